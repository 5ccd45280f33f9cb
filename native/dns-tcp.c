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
 * Lifetime: as udp-batch.c — freed once the JS handle was finalized and both libuv handles (the poll
 * and the sweep timer) ran their close callbacks; an async cleanup hook held until then closes
 * everything without JS when the environment is torn down.
 */
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

static void serve(server *s, conn *c);
static void settle(server *s, conn *c);

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

static void clear_exception(napi_env env) {
  bool pending = false;
  napi_value ignored;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
}

/* ---- lifetime ---- */

static void maybe_free(server *s) {
  if (!s->finalized || s->handles > 0) return;
  free(s->slots);
  free(s->free_slots);
  free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  server *s = h->data;
  if (--s->handles == 0 && s->cleanup != NULL) {
    napi_async_cleanup_hook_handle hook = s->cleanup;
    s->cleanup = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
  maybe_free(s);
}

static void free_dead(server *s) {
  while (s->dead) {
    conn *c = s->dead;
    s->dead = c->next;
    free(c->in);
    free(c->out);
    free(c);
  }
}

/* Drops the JS references (the handle may then be collected); never while a JS call or a callback
 * scope uses them. */
static void release(server *s) {
  if (s->released || s->depth > 0 || s->scope_open || s->scope_closing) return;
  s->released = true;
  napi_env env = s->env;
  napi_delete_reference(env, s->cb);
  napi_delete_reference(env, s->arena_ref);
  napi_async_destroy(env, s->actx);
  napi_delete_reference(env, s->self);
}

static void close_conn(server *s, conn *c) {
  if (c->closed) return;
  c->closed = true;
  if (c->prev) c->prev->next = c->next; else s->open = c->next;
  if (c->next) c->next->prev = c->prev;
  s->slots[c->slot] = NULL;
  s->free_slots[s->nfree++] = c->slot;
  s->stats[S_OPEN]--;
  close(c->fd); /* also leaves the epoll set: nothing else holds the file */
  c->prev = NULL;
  c->next = s->dead;
  s->dead = c;
  if (s->depth == 0) free_dead(s);
}

/* Stops serving: the port is free and every connection closed when this returns. No JS. */
static void stop_io(server *s) {
  if (s->closed) return;
  s->closed = true;
  while (s->open) close_conn(s, s->open);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  uv_timer_stop(&s->sweep);
  uv_close((uv_handle_t *)&s->sweep, on_handle_closed);
  close(s->lfd);
  close(s->epfd);
}

static void on_env_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  (void)hook;
  stop_io(arg);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  server *s = data;
  s->finalized = true;
  maybe_free(s);
}

/* ---- output ---- */

static bool reserve(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) return true;
  size_t n = *cap ? *cap : 4096;
  while (n < need) n *= 2;
  uint8_t *p = realloc(*buf, n);
  if (!p) return false;
  *buf = p;
  *cap = n;
  return true;
}

/* Queues bytes behind what the kernel has not taken yet. */
static bool park(conn *c, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  if (c->out_off > 0 && c->out_len > 0) memmove(c->out, c->out + c->out_off, c->out_len);
  c->out_off = 0;
  if (!reserve(&c->out, &c->out_cap, c->out_len + alen + blen)) return false;
  if (alen > 0) memcpy(c->out + c->out_len, a, alen); /* memcpy from NULL is undefined even for 0 bytes */
  memcpy(c->out + c->out_len + alen, b, blen);
  c->out_len += alen + blen;
  return true;
}

/* Writes one framed answer: straight from its memory when nothing is queued, else behind the queue. */
static void send_answer(server *s, conn *c, const uint8_t *msg, size_t len) {
  uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
  size_t done = 0;
  if (c->out_len == 0) {
    struct iovec iov[2] = {{hdr, 2}, {(void *)msg, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t n;
    do n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      close_conn(s, c);
      return;
    }
    done = n < 0 ? 0 : (size_t)n;
    if (done == len + 2) return;
  }
  bool ok = done < 2 ? park(c, hdr + done, 2 - done, msg, len) : park(c, NULL, 0, msg + (done - 2), len - (done - 2));
  if (!ok) close_conn(s, c);
}

/* Sends what is queued; false when the connection closed. */
static bool flush(server *s, conn *c) {
  while (c->out_len > 0) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) {
      close_conn(s, c);
      return false;
    }
    c->out_off += (size_t)n;
    c->out_len -= (size_t)n;
  }
  c->out_off = 0;
  /* The client took everything: the io deadline starts over (tcp.ts's 'drain'). */
  if (c->kind == IO) {
    c->kind = NONE;
    c->expires = UINT64_MAX;
  }
  return true;
}

/* ---- input ---- */

static bool backed_up(server *s, conn *c) { return c->out_len >= s->max_queued; }

static bool has_room(server *s, conn *c) {
  return !c->closed && !s->closed && !backed_up(s, c) && c->inflight < s->max_inflight;
}

/* One query to JavaScript; its answer is written at once, or comes later through answer(id). */
static void ask(server *s, conn *c, uint32_t off, uint32_t len) {
  napi_env env = s->env;
  napi_handle_scope hs;
  if (napi_open_handle_scope(env, &hs) != napi_ok) { close_conn(s, c); return; }
  napi_value self, cb, argv[3], result = NULL;
  /* A whole query arrived: no deadline until settle() picks the next one (which then gets its own
   * io deadline). The old one must not linger: a forwarded query was closed at the idle deadline
   * of its connection's accept (or at once: a query read with the accept had none yet). */
  c->kind = NONE;
  c->expires = UINT64_MAX;
  bool ok = napi_get_reference_value(env, s->self, &self) == napi_ok && napi_get_reference_value(env, s->cb, &cb) == napi_ok;
  if (ok && s->loop_entry && !s->scope_open) {
    /* Entered from the loop (not from JS): promise jobs and ticks the handler queues run when the
     * scope closes, after this wake-up's work. */
    s->scope_open = napi_open_callback_scope(env, self, s->actx, &s->scope) == napi_ok;
  }
  ok = ok && napi_create_double(env, c->id, &argv[0]) == napi_ok && napi_create_uint32(env, off, &argv[1]) == napi_ok &&
       napi_create_uint32(env, len, &argv[2]) == napi_ok && napi_call_function(env, self, cb, 3, argv, &result) == napi_ok;
  napi_valuetype type = napi_undefined;
  void *data;
  size_t n;
  bool flag;
  if (!ok || napi_typeof(env, result, &type) != napi_ok) {
    clear_exception(env);
    close_conn(s, c);
  } else if (type == napi_object && napi_get_buffer_info(env, result, &data, &n) == napi_ok) {
    if (!c->closed && n > 0 && n <= 65535) send_answer(s, c, data, n);
  } else if (type == napi_boolean && napi_get_value_bool(env, result, &flag) == napi_ok) {
    if (flag) c->inflight++;
    else close_conn(s, c);
  }
  clear_exception(env);
  napi_close_handle_scope(env, hs);
}

/* Answers the complete frames pending in c->in while there is room (frames assembled across reads,
 * or left over from a read that hit a limit). */
static void serve(server *s, conn *c) {
  while (c->in_len >= 2 && has_room(s, c)) {
    uint32_t len = be16(c->in + c->in_off);
    if (c->in_len < 2 + len) break;
    memcpy(s->arena + STAGE_AT, c->in + c->in_off + 2, len);
    c->in_off += 2 + len;
    c->in_len -= 2 + len;
    if (c->in_len == 0) c->in_off = 0;
    ask(s, c, STAGE_AT, len);
  }
  settle(s, c);
}

/* Keeps bytes a read left over (a partial frame, or frames a limit held back). */
static bool keep(conn *c, const uint8_t *p, uint32_t n) {
  size_t cap = c->in_cap;
  if (!reserve(&c->in, &cap, n)) return false;
  c->in_cap = (uint32_t)cap;
  memcpy(c->in, p, n);
  c->in_off = 0;
  c->in_len = n;
  return true;
}

static void on_readable(server *s, conn *c) {
  ssize_t n;
  if (c->in_len == 0) {
    /* The common case: frames are answered straight from the scratch, only a rest is copied. */
    do n = recv(c->fd, s->arena, SCRATCH, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
      uint32_t at = 0, got = (uint32_t)n;
      while (got - at >= 2 && got - at >= 2 + be16(s->arena + at) && has_room(s, c)) {
        uint32_t len = be16(s->arena + at);
        ask(s, c, at + 2, len);
        at += 2 + len;
      }
      if (c->closed || s->closed) return;
      if (at < got && !keep(c, s->arena + at, got - at)) { close_conn(s, c); return; }
      serve(s, c);
      return;
    }
  } else {
    /* A frame started in an earlier read (nothing else is pending, or reading would have stopped):
     * read only what completes its header or its body, into its own buffer. */
    if (c->in_off > 0) {
      memmove(c->in, c->in + c->in_off, c->in_len);
      c->in_off = 0;
    }
    uint32_t want = c->in_len < 2 ? 2 - c->in_len : 2 + be16(c->in) - c->in_len;
    size_t cap = c->in_cap;
    if (!reserve(&c->in, &cap, c->in_len + want)) { close_conn(s, c); return; }
    c->in_cap = (uint32_t)cap;
    do n = recv(c->fd, c->in + c->in_len, want, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
      c->in_len += (uint32_t)n;
      serve(s, c);
      return;
    }
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n < 0) { close_conn(s, c); return; }
  /* EOF (RFC 7766 §6.2.4: a client may half-close after its queries). A partial frame can never
   * complete now: drop it; answers already owed are still sent, then the connection closes. */
  c->read_ended = true;
  c->in_len = c->in_off = 0;
  settle(s, c);
}

/* Interest and deadline for the state the connection is in now (tcp-connection.ts's flow/settle). */
static void settle(server *s, conn *c) {
  if (c->closed || s->closed) return;
  bool frame_waiting = c->in_len >= 2 && c->in_len >= 2 + be16(c->in + c->in_off);
  bool reading = !c->read_ended && !backed_up(s, c) && c->inflight < s->max_inflight && !frame_waiting;
  uint32_t want = (reading ? EPOLLIN : 0) | (c->out_len > 0 ? EPOLLOUT : 0);
  uint8_t kind;
  if (c->out_len > 0 || c->in_len > 0) kind = IO;
  else if (c->inflight > 0) kind = NONE;
  else if (c->read_ended) { close_conn(s, c); return; } /* served: every answer is in the kernel */
  else kind = IDLE;
  if (kind != c->kind) {
    c->kind = kind;
    c->expires = kind == NONE ? UINT64_MAX : s->tick + (kind == IDLE ? s->idle_ticks : s->io_ticks);
  }
  if (c->registered && want == c->events) return;
  struct epoll_event ev = {.events = want, .data.ptr = c};
  if (epoll_ctl(s->epfd, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) != 0) { close_conn(s, c); return; }
  c->registered = true;
  c->events = want;
}

/* ---- accept, events, sweep ---- */

static void pause_accept(server *s, bool pause) {
  if (s->accept_paused == pause) return;
  struct epoll_event ev = {.events = pause ? 0 : EPOLLIN, .data.ptr = LISTENER};
  if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev) == 0) s->accept_paused = pause;
}

static bool handle_ready(server *s);

static void accept_some(server *s) {
  for (int i = 0; i < ACCEPT_BUDGET && !s->closed; i++) {
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* Out of descriptors or memory: stop asking until the next sweep (NSD's slow accept), or the
       * level-triggered listener would spin. */
      if (errno != EAGAIN && errno != EWOULDBLOCK) pause_accept(s, true);
      return;
    }
    if (s->nfree == 0) {
      /* At the cap: first serve what became ready since this batch began (one epoll_wait, only
       * at the cap). A client may have closed a connection just before it opened this one. */
      handle_ready(s);
      if (s->closed) {
        close(fd);
        return;
      }
    }
    conn *c = s->nfree > 0 ? calloc(1, sizeof *c) : NULL;
    if (c == NULL) { /* at the cap (NSD's tcp-reject-overflow): the client learns now */
      close(fd);
      s->stats[S_REJECTED]++;
      continue;
    }
    c->fd = fd;
    c->expires = UINT64_MAX;
    c->slot = s->free_slots[--s->nfree];
    c->id = (double)(++s->generation << SLOT_BITS | c->slot);
    s->slots[c->slot] = c;
    c->next = s->open;
    if (s->open) s->open->prev = c;
    s->open = c;
    s->stats[S_OPEN]++;
    s->stats[S_ACCEPTED]++;
    /* The query is usually there already: read it now rather than after another epoll round. */
    on_readable(s, c);
    if (!c->closed && !c->registered) settle(s, c);
  }
}

/* Serves connections answered from inside a JS call, once that call returned. */
static void drain_ready(server *s) {
  while (s->ready && !s->closed) {
    conn *c = s->ready;
    s->ready = c->ready_next;
    c->ready = false;
    if (!c->closed) serve(s, c);
  }
  s->ready = NULL;
}

/* Leaves an entry point: at depth 0 nothing iterates conns, so the closed ones are freed. */
static void leave(server *s) {
  if (s->depth == 1) drain_ready(s); /* not inside a JS call: JS calls never nest */
  if (--s->depth > 0) return;
  free_dead(s);
  s->loop_entry = false;
  if (s->scope_open) {
    /* Closing it runs the queued promise jobs, so answer() may come in here and leave() again:
     * that inner leave must not close this scope a second time. */
    s->scope_open = false;
    s->scope_closing = true;
    napi_close_callback_scope(s->env, s->scope);
    s->scope_closing = false;
  }
  if (s->closed) release(s);
}

/* Serves the connections the set has ready now; true when the listener is ready too (the caller
 * accepts after: the clients that left in this batch free their slots first). */
static bool handle_ready(server *s) {
  struct epoll_event ev[EVENTS];
  int n;
  do n = epoll_wait(s->epfd, ev, EVENTS, 0);
  while (n < 0 && errno == EINTR);
  bool accepting = false;
  for (int i = 0; i < n && !s->closed; i++) {
    if (ev[i].data.ptr == LISTENER) {
      accepting = true;
      continue;
    }
    conn *c = ev[i].data.ptr;
    uint32_t e = ev[i].events;
    if (c->closed) continue; /* closed by an earlier event of this batch */
    if (e & EPOLLERR) {
      close_conn(s, c);
      continue;
    }
    if ((e & EPOLLOUT) && !flush(s, c)) continue;
    if ((e & EPOLLIN) && (c->events & EPOLLIN)) on_readable(s, c);
    else if (e & EPOLLHUP) close_conn(s, c); /* gone while we were not reading */
    else if (e & EPOLLOUT) serve(s, c);      /* drained: held-back frames may go on */
  }
  return accepting;
}

static void on_events(uv_poll_t *h, int status, int events) {
  (void)status, (void)events;
  server *s = h->data;
  napi_handle_scope hs;
  if (s->closed || napi_open_handle_scope(s->env, &hs) != napi_ok) return;
  s->depth++;
  s->loop_entry = true;
  /* Accepts last, so a client that closes one connection and opens the next is not refused at
   * the cap for its own old one. */
  if (handle_ready(s) && !s->closed) accept_some(s);
  leave(s);
  napi_close_handle_scope(s->env, hs);
}

static void on_sweep(uv_timer_t *t) {
  server *s = t->data;
  if (s->closed) return;
  uint64_t now = ++s->tick;
  s->depth++;
  for (conn *c = s->open, *next; c; c = next) {
    next = c->next;
    if (c->expires <= now) close_conn(s, c);
  }
  pause_accept(s, false);
  s->depth--;
  free_dead(s);
}

/* ---- JS ---- */

static server *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "dns-tcp: not a listener handle");
    return NULL;
  }
  return data;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  server *s = unwrap_this(env, info, &argc, NULL);
  if (s != NULL && !s->closed) {
    stop_io(s);
    release(s); /* deferred to the outer frame when called from inside onQuery */
  }
  return NULL;
}

static napi_value js_answer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  server *s = unwrap_this(env, info, &argc, argv);
  double id;
  if (s == NULL) return NULL;
  if (argc < 2 || napi_get_value_double(env, argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "dns-tcp: answer(id, buffer | null)");
    return NULL;
  }
  void *data = NULL;
  size_t len = 0;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    clear_exception(env);
    len = 0; /* null: the query gets no answer, its slot frees */
  }
  if (s->closed || !(id >= 0) || id > 9007199254740991.0) return NULL;
  uint64_t key = (uint64_t)id;
  conn *c = s->slots[key & ((1u << SLOT_BITS) - 1)];
  if (c == NULL || c->id != id || c->closed || c->inflight == 0) return NULL; /* closed meanwhile */
  c->inflight--;
  s->depth++;
  if (len > 0 && len <= 65535) send_answer(s, c, data, len);
  if (!c->closed && s->depth > 1) {
    if (!c->ready) {
      c->ready = true;
      c->ready_next = s->ready;
      s->ready = c;
    }
  } else if (!c->closed) {
    serve(s, c);
  }
  leave(s);
  return NULL;
}

/* [open connections, rejected at the cap, accepted] */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  server *s = unwrap_this(env, info, &argc, NULL);
  napi_value arr, v;
  if (s == NULL || napi_create_array_with_length(env, S_COUNT, &arr) != napi_ok) return NULL;
  for (uint32_t i = 0; i < S_COUNT; i++)
    if (napi_create_double(env, s->stats[i], &v) != napi_ok || napi_set_element(env, arr, i, v) != napi_ok) return NULL;
  return arr;
}

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, uv_err_name(-err), msg);
  return NULL;
}

static int open_listener(const char *host, uint32_t port, int *out_fd, uint32_t *bound) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  socklen_t sl;
  if (uv_ip4_addr(host, (int)port, v4) == 0) sl = sizeof *v4;
  else if (uv_ip6_addr(host, (int)port, v6) == 0) sl = sizeof *v6;
  else return EINVAL;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int one = 1;
  /* As Node's net: SO_REUSEADDR; TCP_NODELAY is inherited by accepted sockets (no call per
   * connection), so pipelined answers are not held back by Nagle behind an unacknowledged one. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 511) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  *out_fd = fd;
  *bound = ntohs(ss.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port);
  return 0;
}

static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  char host[64];
  size_t host_len;
  uint32_t port, max_conns, max_inflight;
  double idle_ms, io_ms, max_queued;
  napi_valuetype cb_type = napi_undefined;
  if (argc < 8 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535 || napi_get_value_uint32(env, argv[2], &max_conns) != napi_ok ||
      max_conns < 1 || max_conns > (1u << SLOT_BITS) || napi_get_value_double(env, argv[3], &idle_ms) != napi_ok || !(idle_ms >= 1) ||
      napi_get_value_double(env, argv[4], &io_ms) != napi_ok || !(io_ms >= 1) || napi_get_value_double(env, argv[5], &max_queued) != napi_ok ||
      !(max_queued >= 1) || napi_get_value_uint32(env, argv[6], &max_inflight) != napi_ok || max_inflight < 1 ||
      napi_typeof(env, argv[7], &cb_type) != napi_ok || cb_type != napi_function) {
    napi_throw_type_error(env, NULL, "dns-tcp: listen(host, port, maxConnections, idleMs, ioMs, maxQueuedBytes, maxInFlight, onQuery)");
    return NULL;
  }
  int lfd = -1;
  uint32_t bound = 0;
  int err = open_listener(host, port, &lfd, &bound);
  if (err != 0) return throw_errno(env, err, err == EINVAL ? "cannot parse the address" : "cannot listen");
  server *s = calloc(1, sizeof *s);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = LISTENER};
  if (s == NULL || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) != 0 || !(s->slots = calloc(max_conns, sizeof *s->slots)) ||
      !(s->free_slots = malloc(max_conns * sizeof *s->free_slots))) {
    err = errno ? errno : ENOMEM;
    if (s) free(s->slots);
    free(s);
    close(lfd);
    if (epfd >= 0) close(epfd);
    return throw_errno(env, err, "dns-tcp");
  }
  s->env = env;
  s->lfd = lfd;
  s->epfd = epfd;
  s->max_conns = max_conns;
  s->max_inflight = max_inflight;
  s->max_queued = (uint64_t)max_queued;
  for (uint32_t i = 0; i < max_conns; i++) s->free_slots[s->nfree++] = max_conns - 1 - i;
  /* tcp.ts's sweep: period min(idle, io) / 8 within [5, 250] ms; a deadline of ms closes after
   * ceil(ms / period) + 1 ticks (the current tick is partly gone). */
  double low = idle_ms < io_ms ? idle_ms : io_ms;
  uint64_t period = (uint64_t)(low / 8);
  period = period < 5 ? 5 : period > 250 ? 250 : period;
  s->idle_ticks = (uint64_t)((idle_ms + (double)period - 1) / (double)period) + 1;
  s->io_ticks = (uint64_t)((io_ms + (double)period - 1) / (double)period) + 1;

  napi_value handle, arena, port_v, name;
  void *mem;
  bool ok = napi_create_object(env, &handle) == napi_ok && napi_create_buffer(env, ARENA, &mem, &arena) == napi_ok;
  if (ok) s->arena = mem;
  ok = ok && napi_create_uint32(env, bound, &port_v) == napi_ok && napi_create_string_utf8(env, "maestro:dns-tcp", NAPI_AUTO_LENGTH, &name) == napi_ok;
  napi_property_descriptor props[] = {
      {"port", NULL, NULL, NULL, NULL, port_v, napi_enumerable, NULL},
      {"arena", NULL, NULL, NULL, NULL, arena, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"answer", NULL, js_answer, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  uv_loop_t *loop;
  ok = ok && napi_define_properties(env, handle, sizeof props / sizeof props[0], props) == napi_ok && napi_get_uv_event_loop(env, &loop) == napi_ok &&
       uv_poll_init(loop, &s->poll, epfd) == 0;
  if (!ok) {
    close(lfd);
    close(epfd);
    free(s->slots);
    free(s->free_slots);
    free(s);
    napi_throw_error(env, NULL, "dns-tcp: cannot set the listener up");
    return NULL;
  }
  uv_timer_init(loop, &s->sweep);
  uv_unref((uv_handle_t *)&s->sweep); /* the listener keeps the loop alive, not its sweep */
  s->poll.data = s->sweep.data = s;
  s->handles = 2;
  /* From here s is freed by finalize + the handles' close callbacks, whatever fails. */
  if (napi_add_async_cleanup_hook(env, on_env_teardown, s, &s->cleanup) != napi_ok) {
    s->cleanup = NULL;
    s->finalized = true;
    stop_io(s);
    napi_throw_error(env, NULL, "dns-tcp: cannot register the teardown hook");
    return NULL;
  }
  if (napi_wrap(env, handle, s, finalize, NULL, NULL) != napi_ok) {
    s->finalized = true;
    stop_io(s);
    napi_throw_error(env, NULL, "dns-tcp: napi_wrap failed");
    return NULL;
  }
  if (napi_create_reference(env, handle, 1, &s->self) != napi_ok || napi_create_reference(env, argv[7], 1, &s->cb) != napi_ok ||
      napi_create_reference(env, arena, 1, &s->arena_ref) != napi_ok ||
      napi_async_init(env, handle, name, &s->actx) != napi_ok) {
    s->released = true; /* what was referenced leaks with the env; better than a double delete */
    stop_io(s);
    napi_throw_error(env, NULL, "dns-tcp: cannot reference the listener's state");
    return NULL;
  }
  uv_timer_start(&s->sweep, on_sweep, period, period);
  err = uv_poll_start(&s->poll, UV_READABLE, on_events);
  if (err != 0) {
    stop_io(s);
    release(s);
    return throw_errno(env, -err, "cannot poll");
  }
  return handle;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "listen", NAPI_AUTO_LENGTH, js_listen, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "listen", fn) != napi_ok) {
    napi_throw_error(env, NULL, "dns-tcp: cannot initialise");
    return NULL;
  }
  return exports;
}
