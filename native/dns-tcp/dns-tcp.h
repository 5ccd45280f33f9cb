/*
 * dns-tcp: the DNS server's TCP listener (RFC 7766) without a Node net.Socket per connection. One
 * epoll set of our own holds the listening socket and every connection; libuv polls that set with a
 * single uv_poll_t, so a connection costs accept4, one epoll_ctl ADD, the reads and writes of its
 * queries, and close (which also drops it from the set): no libuv handle, no JS object, no
 * close callback per connection. Each query goes to JavaScript with one call (the handler the UDP
 * path uses); its answer is written at once, framed, straight from the answer Buffer's memory.
 *
 * JS surface:
 *   listen(host, port, maxConnections, idleMs, ioMs, maxQueuedBytes, maxInFlight,
 *          onQuery(id, offset, length) → Buffer | null | true | false) → handle {
 *     port, arena (Buffer: queries are arena[offset, offset + length), valid during the call only),
 *     stats() → [open connections, rejected at the cap, accepted],
 *     answer(id, Buffer | null)   a deferred answer (onQuery returned true); null: none after all
 *     close() }
 * onQuery's result: a Buffer is the answer; null/undefined none; true: the answer comes later through
 * answer(id) (a forwarded query: it counts against maxInFlight); false: close the connection.
 *
 * The limits and deadlines are those of src/dns/tcp.ts (the Node fallback), counted in ticks of one
 * sweep timer: past maxConnections a connection is accepted and closed at once; queued answer bytes
 * (what the kernel did not take) at or past maxQueuedBytes stop answering and reading; maxInFlight
 * deferred answers stop them too; a connection with nothing to do closes after idleMs; a started
 * frame, unsent answers, or frames waiting unread close it after ioMs (restarted by each complete
 * query and each time the queue empties). Memory per connection is bounded: pending input is at
 * most one recv of the scratch size or one frame (2 + 65535), queued output under maxQueuedBytes
 * plus one answer.
 *
 * Re-entrancy: onQuery may call close(), and answer() may be called from inside onQuery; conns are
 * only freed when no C frame is iterating them (depth 0), answers that arrive inside a call are
 * served once the outer frame finished (the ready list), and JS calls never nest, so the arena's
 * views stay valid for the call they were made for.
 *
 * Files: dns-tcp.h (this: the state and what the two files share), engine.c (the connections: the
 * epoll set, reads and framing, answers and their queue, accepts at the cap, the sweep's deadlines,
 * the lifetime of the state) and binding.c (the JS surface above: argument checks, the listening
 * socket, the handle and its references). Built as one addon by scripts/build-native.mjs.
 *
 * Lifetime: as udp-batch.c — freed once the JS handle was finalized and both libuv handles (the poll
 * and the sweep timer) ran their close callbacks; an async cleanup hook held until then closes
 * everything without JS when the environment is torn down.
 */
#ifndef MAESTRO_DNS_TCP_H
#define MAESTRO_DNS_TCP_H

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define SCRATCH 65536          /* one recv when nothing is pending */
#define FRAME_MAX (2 + 65535)  /* a length prefix and the longest message */
#define STAGE_AT SCRATCH       /* arena offset where a frame assembled across reads is handed over */
#define ARENA (SCRATCH + 65535)
#define EVENTS 128
#define ACCEPT_BUDGET 64       /* accepts per wake-up: a SYN flood cannot starve the loop */
#define SLOT_BITS 20           /* id = generation << SLOT_BITS | slot */
#define LISTENER ((void *)1)   /* epoll data of the listening socket */

enum { NONE, IDLE, IO };
enum { S_OPEN, S_REJECTED, S_ACCEPTED, S_COUNT };

typedef struct conn conn;
struct conn {
  conn *prev, *next;  /* the open list, or the dead list once closed */
  conn *ready_next;   /* answered inside a JS call: serve its pending frames afterwards */
  double id;
  int fd;
  uint32_t slot, inflight, events;
  bool registered, read_ended, closed, ready;
  uint8_t kind;
  uint64_t expires;
  uint8_t *in;  /* pending input: in[in_off, in_off + in_len) */
  uint32_t in_off, in_len, in_cap;
  uint8_t *out; /* answer bytes the kernel has not taken: out[out_off, out_off + out_len) */
  size_t out_off, out_len, out_cap;
};

typedef struct {
  napi_env env;
  uv_poll_t poll; /* on epfd */
  uv_timer_t sweep;
  int epfd, lfd, handles;
  bool closed, released, finalized, accept_paused, scope_open, scope_closing;
  bool loop_entry; /* entered from libuv (not from JS): a JS call needs a callback scope */
  uint32_t max_conns, max_inflight, depth;
  uint64_t max_queued, idle_ticks, io_ticks, tick, generation;
  conn *open, *dead, *ready;
  conn **slots;
  uint32_t *free_slots, nfree;
  uint8_t *arena;
  double stats[S_COUNT];
  napi_ref self, cb, arena_ref;
  napi_async_context actx;
  napi_callback_scope scope; /* open while scope_open */
  napi_async_cleanup_hook_handle cleanup;
} server;

/* Shared by engine.c and binding.c only: hidden, so the addon exports nothing but its module init. */
#pragma GCC visibility push(hidden)

/* engine.c */
void clear_exception(napi_env env);
/* Stops serving: the port is free and every connection closed when this returns. No JS. */
void stop_io(server *s);
/* Drops the JS references (the handle may then be collected); never while a JS call or a callback
 * scope uses them. */
void release(server *s);
void finalize(napi_env env, void *data, void *hint);
void on_env_teardown(napi_async_cleanup_hook_handle hook, void *arg);
/* Frames and writes an answer, queueing what the kernel does not take. */
void send_answer(server *s, conn *c, const uint8_t *msg, size_t len);
/* Hands c's complete pending frames to JS while it has room. */
void serve(server *s, conn *c);
/* Leaves a C frame that iterated conns: at depth 0, serves the ready list and frees the dead. */
void leave(server *s);
void on_events(uv_poll_t *h, int status, int events);
void on_sweep(uv_timer_t *t);

#pragma GCC visibility pop

#endif
