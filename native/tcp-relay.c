/*
 * tcp-relay: the L4 proxy's byte mover. JavaScript accepts the client, picks and connects an
 * instance, then hands both sockets' file descriptors to relay(); from there bytes move in C on
 * libuv's loop, with no JavaScript per chunk:
 *
 *   relay(fdA, fdB, idleMs, stallMs, onClose) -> Tunnel { close() }   (throws Error with .code)
 *   active() -> number of open tunnels
 *
 * Both fds are dup()ed, so the caller destroys its JS sockets at once (that closes only the
 * originals; no FIN leaves while a dup is open). One uv_poll_t per fd; per direction one recv into
 * a per-loop scratch buffer and one send straight out. A partial send parks the rest in that
 * direction's own buffer and stops reading the source until the destination drained (back-pressure).
 * EOF on one side becomes shutdown(SHUT_WR) on the other (half-close kept). onClose(bytesAtoB,
 * bytesBtoA, reason) runs once, from libuv's close callback (never inside a JS call); reason is
 * "eof", "idle", "stalled", "closed" or an errno name such as "ECONNRESET".
 *
 * A source that is not read (back-pressure) is still watched for its peer leaving: EPOLLRDHUP and
 * EPOLLERR stay armed, so a reset closes the pair at once instead of at the idle timeout. Parked
 * bytes the destination takes none of for stallMs close the pair too ("stalled": HAProxy's timeout
 * server/client on a blocked write) — that also ends a pair whose source sent FIN and left while
 * its last bytes wait. Idleness (no byte either way for idleMs) and stalls share one sweep timer.
 *
 * uv_poll_start() always deletes and re-adds the epoll registration, so events are only re-armed
 * when they change: in a request/response steady state both fds stay readable-only and a chunk
 * costs one recv and one send.
 *
 * Lifetime: libuv calls our close callbacks after uv_close returns, so the code and the per-env
 * state must outlive every handle. An async cleanup hook closes what is open when the environment
 * (a worker thread, the process) is torn down and finishes only once the last close callback ran:
 * Node keeps running the loop until then, before it unloads the addon.
 */
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define CHUNK (64 * 1024)

typedef struct tunnel tunnel;

/** Per JS environment (main thread or a worker): the tunnel list, the sweep, the scratch. */
typedef struct {
  uv_loop_t *loop;
  uv_timer_t sweep;
  uint64_t step;    /* sweep period in ms, 0 while stopped */
  tunnel *head;
  uint32_t count;   /* open tunnels */
  uint32_t handles; /* uv handles whose close callback has not run yet (the sweep's included) */
  int dying;        /* the environment is being torn down: no more JS */
  napi_async_cleanup_hook_handle cleanup;
  napi_ref tunnel_class;
  char scratch[CHUNK];
} relay_env;

typedef struct {
  int fd;
  uv_poll_t poll;
  int events; /* what is armed now */
  int gone;   /* the peer's FIN was seen while not reading: stop asking (RDHUP is level-triggered) */
} side;

/** One direction, from side i to side 1-i; bytes parked after a partial send. */
typedef struct {
  char *buf;
  size_t off, len;
  uint64_t bytes;  /* delivered to the destination */
  uint64_t moved;  /* loop time of the last progress while bytes are parked */
  int eof, shut;
} flow;

struct tunnel {
  side s[2];
  flow f[2];
  relay_env *re;
  tunnel *prev, *next;
  uint64_t last, idle_ms, stall_ms;
  const char *reason;
  int closing, open_handles, refs; /* refs: the loop's and the JS wrapper's */
  napi_env env;
  napi_ref on_close; /* NULL: report nothing (set up failed, or the env is dying) */
  napi_async_context ctx;
};

static void on_poll(uv_poll_t *h, int status, int events);

static void unref(tunnel *t) {
  if (--t->refs > 0) return;
  free(t->f[0].buf);
  free(t->f[1].buf);
  free(t);
}

/** A handle of this env finished closing; the last one during teardown lets Node go on. */
static void handle_gone(relay_env *re) {
  if (--re->handles > 0 || !re->dying) return;
  napi_remove_async_cleanup_hook(re->cleanup);
  free(re);
}

static void report(tunnel *t) {
  napi_env env = t->env;
  napi_handle_scope scope;
  napi_value cb, recv, argv[3];
  bool pending = false;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (napi_get_reference_value(env, t->on_close, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_double(env, (double)t->f[0].bytes, &argv[0]) == napi_ok && napi_create_double(env, (double)t->f[1].bytes, &argv[1]) == napi_ok &&
      napi_create_string_utf8(env, t->reason, NAPI_AUTO_LENGTH, &argv[2]) == napi_ok) {
    napi_make_callback(env, t->ctx, recv, cb, 3, argv, NULL);
  }
  /* A throwing onClose is the process's uncaught exception. No JS may run (env stopping): nothing
   * is pending then, and nothing to report. */
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  napi_async_destroy(env, t->ctx);
  napi_delete_reference(env, t->on_close);
  napi_close_handle_scope(env, scope);
}

static void on_handle_closed(uv_handle_t *h) {
  tunnel *t = h->data;
  relay_env *re = t->re;
  if (--t->open_handles == 0) {
    if (t->on_close && !re->dying) report(t);
    unref(t);
  }
  handle_gone(re);
}

/** Closes both fds at once (the peers see it now) and reports from the handles' close callbacks. */
static void teardown(tunnel *t, const char *reason) {
  if (t->closing) return;
  t->closing = 1;
  t->reason = reason;
  relay_env *re = t->re;
  if (t->prev) t->prev->next = t->next; else re->head = t->next;
  if (t->next) t->next->prev = t->prev;
  if (--re->count == 0 && re->step) {
    uv_timer_stop(&re->sweep);
    re->step = 0;
  }
  for (int i = 0; i < 2; i++) {
    uv_close((uv_handle_t *)&t->s[i].poll, on_handle_closed); /* stops polling the fd first */
    close(t->s[i].fd);
  }
}

static void fail(tunnel *t, int err) {
  teardown(t, uv_err_name(uv_translate_sys_error(err)));
}

/** Arms each fd for what its two flows need: readable while its outgoing flow has room, writable
 *  while its incoming flow has parked bytes, and the peer's FIN/reset while it is not read. */
static void rearm(tunnel *t) {
  for (int i = 0; i < 2 && !t->closing; i++) {
    int want = 0;
    if (!t->f[i].eof) want |= t->f[i].len == 0 ? UV_READABLE : t->s[i].gone ? 0 : UV_DISCONNECT;
    if (t->f[1 - i].len > 0) want |= UV_WRITABLE;
    if (want == t->s[i].events) continue;
    t->s[i].events = want;
    if (want) uv_poll_start(&t->s[i].poll, want, on_poll);
    else uv_poll_stop(&t->s[i].poll);
  }
}

/** Flow i is finished once its source said EOF and everything parked went out: pass the FIN on. */
static void maybe_shut(tunnel *t, int i) {
  flow *f = &t->f[i];
  if (!f->eof || f->len || f->shut) return;
  f->shut = 1;
  shutdown(t->s[1 - i].fd, SHUT_WR); /* a dead peer shows up on the next read or write */
  if (t->f[1 - i].shut) teardown(t, "eof");
}

/** Sends flow i's parked bytes; 0 when done or waiting for writable, -1 after an error. */
static int flush(tunnel *t, int i) {
  flow *f = &t->f[i];
  while (f->len) {
    ssize_t w = send(t->s[1 - i].fd, f->buf + f->off, f->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      fail(t, errno);
      return -1;
    }
    f->off += (size_t)w;
    f->len -= (size_t)w;
    f->bytes += (uint64_t)w;
    t->last = f->moved = uv_now(t->re->loop);
  }
  f->off = 0;
  maybe_shut(t, i);
  return 0;
}

/** One recv from side i and one send of it to the other side; the rest is parked. */
static void pump(tunnel *t, int i) {
  flow *f = &t->f[i];
  char *buf = t->re->scratch;
  ssize_t n, w;
  do n = recv(t->s[i].fd, buf, CHUNK, 0); while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) fail(t, errno);
    return;
  }
  if (n == 0) {
    f->eof = 1;
    maybe_shut(t, i);
    return;
  }
  t->last = uv_now(t->re->loop);
  do w = send(t->s[1 - i].fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT); while (w < 0 && errno == EINTR);
  if (w < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      fail(t, errno);
      return;
    }
    w = 0;
  }
  f->bytes += (uint64_t)w;
  if (w == n) return;
  if (!f->buf && !(f->buf = malloc(CHUNK))) {
    fail(t, ENOMEM);
    return;
  }
  memcpy(f->buf, buf + w, (size_t)(n - w));
  f->off = 0;
  f->len = (size_t)(n - w);
  f->moved = t->last; /* the stall clock starts now */
}

static void on_poll(uv_poll_t *h, int status, int events) {
  tunnel *t = h->data;
  int i = h == &t->s[0].poll ? 0 : 1;
  if (status < 0) { /* POLLERR (a reset, also while not read): libuv says EBADF; the socket knows why */
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(t->s[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
    fail(t, err ? err : EIO);
    return;
  }
  if ((events & UV_WRITABLE) && flush(t, 1 - i) < 0) return;
  if ((events & UV_READABLE) && !t->closing) pump(t, i);
  /* FIN while not read: its bytes still wait in the kernel behind the parked ones; the pair lives
   * on half-closed (a reset would have come as POLLERR), bounded by the stall deadline. */
  if ((events & UV_DISCONNECT) && !(t->s[i].events & UV_READABLE)) t->s[i].gone = 1;
  rearm(t);
}

/** A tunnel idles out between idleMs and idleMs + step after its last byte; parked bytes that
 *  did not move for stallMs end it likewise. */
static void on_sweep(uv_timer_t *timer) {
  relay_env *re = timer->data;
  uint64_t now = uv_now(re->loop);
  for (tunnel *t = re->head, *next; t; t = next) {
    next = t->next;
    if (t->idle_ms && now - t->last > t->idle_ms) teardown(t, "idle");
    else if (t->stall_ms && ((t->f[0].len && now - t->f[0].moved > t->stall_ms) || (t->f[1].len && now - t->f[1].moved > t->stall_ms)))
      teardown(t, "stalled");
  }
}

static void watch(relay_env *re, uint64_t ms) {
  if (!ms) return;
  uint64_t step = ms / 4 < 10 ? 10 : ms / 4 > 1000 ? 1000 : ms / 4;
  if (re->step && re->step <= step) return;
  re->step = step;
  uv_timer_start(&re->sweep, on_sweep, step, step);
}

static void finalize_wrapper(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  unref(data);
}

/** Throws an Error whose .code is `code` (an errno name or ERR_*), unless one is already pending. */
static napi_value throw_code(napi_env env, const char *code, const char *msg) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) napi_throw_error(env, code, msg);
  return NULL;
}

static const char *errno_name(int err) {
  return uv_err_name(uv_translate_sys_error(err));
}

/** dup()s both fds and checks they are stream sockets; 0, or an errno with nothing left open. */
static int take_fds(const int32_t in[2], int out[2]) {
  int err = 0;
  out[0] = out[1] = -1;
  for (int i = 0; i < 2 && !err; i++) {
    int type = 0;
    socklen_t len = sizeof type;
    if ((out[i] = dup(in[i])) < 0) err = errno;
    else if (getsockopt(out[i], SOL_SOCKET, SO_TYPE, &type, &len) < 0) err = errno;
    else if (type != SOCK_STREAM) err = EPROTOTYPE;
  }
  if (err)
    for (int i = 0; i < 2; i++)
      if (out[i] >= 0) close(out[i]);
  return err;
}

static napi_value js_relay(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], cls, obj, name;
  int32_t in[2];
  int fds[2];
  double idle, stall;
  napi_valuetype cb_type = napi_undefined;
  relay_env *re;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || napi_get_instance_data(env, (void **)&re) != napi_ok)
    return throw_code(env, "ERR_RELAY_NAPI", "relay: Node-API call failed");
  if (argc < 5 || napi_get_value_int32(env, argv[0], &in[0]) != napi_ok || napi_get_value_int32(env, argv[1], &in[1]) != napi_ok ||
      napi_get_value_double(env, argv[2], &idle) != napi_ok || napi_get_value_double(env, argv[3], &stall) != napi_ok ||
      napi_typeof(env, argv[4], &cb_type) != napi_ok || cb_type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relay(fdA, fdB, idleMs, stallMs, onClose)");
    return NULL;
  }
  if (re->dying) return throw_code(env, "ERR_RELAY_CLOSED", "relay: the environment is shutting down");
  int err = take_fds(in, fds);
  if (err) return throw_code(env, errno_name(err), "relay: cannot take the connection's sockets");

  /* From here every failure closes both dups. The wrapper, once made, owns t (its finalizer frees). */
  tunnel *t = calloc(1, sizeof *t);
  int wrapped = 0;
  if (!t) goto no_memory;
  if (napi_get_reference_value(env, re->tunnel_class, &cls) != napi_ok || napi_new_instance(env, cls, 0, NULL, &obj) != napi_ok ||
      napi_wrap(env, obj, t, finalize_wrapper, NULL, NULL) != napi_ok)
    goto napi_failed;
  wrapped = 1;
  t->refs = 1;
  if (napi_create_string_utf8(env, "maestro.TcpRelay", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, obj, name, &t->ctx) != napi_ok)
    goto napi_failed;
  if (napi_create_reference(env, argv[4], 1, &t->on_close) != napi_ok) {
    napi_async_destroy(env, t->ctx);
    goto napi_failed;
  }
  t->re = re;
  t->env = env;
  err = uv_poll_init_socket(re->loop, &t->s[0].poll, fds[0]);
  if (!err && (err = uv_poll_init_socket(re->loop, &t->s[1].poll, fds[1])) != 0) {
    /* the first handle exists: it must be closed through libuv, silently */
    t->s[0].poll.data = t;
    t->closing = 1;
    t->refs++;
    t->open_handles = 1;
    re->handles++;
    uv_close((uv_handle_t *)&t->s[0].poll, on_handle_closed);
  }
  if (err) {
    napi_async_destroy(env, t->ctx);
    napi_delete_reference(env, t->on_close);
    t->on_close = NULL;
    close(fds[0]);
    close(fds[1]);
    return throw_code(env, uv_err_name(err), "relay: cannot poll the connection's sockets");
  }
  for (int i = 0; i < 2; i++) {
    t->s[i].fd = fds[i];
    t->s[i].poll.data = t;
  }
  t->refs = 2;
  t->open_handles = 2;
  re->handles += 2;
  t->idle_ms = idle > 0 ? (uint64_t)idle : 0;
  t->stall_ms = stall > 0 ? (uint64_t)stall : 0;
  t->last = uv_now(re->loop);
  t->next = re->head;
  if (re->head) re->head->prev = t;
  re->head = t;
  re->count++;
  watch(re, t->idle_ms);
  watch(re, t->stall_ms);
  rearm(t);
  return obj;

napi_failed:
  close(fds[0]);
  close(fds[1]);
  if (!wrapped) free(t);
  return throw_code(env, "ERR_RELAY_NAPI", "relay: Node-API call failed");
no_memory:
  close(fds[0]);
  close(fds[1]);
  return throw_code(env, "ENOMEM", "relay: out of memory");
}

static napi_value js_tunnel_new(napi_env env, napi_callback_info info) {
  napi_value self;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok) return NULL;
  return self;
}

static napi_value js_tunnel_close(napi_env env, napi_callback_info info) {
  napi_value self;
  tunnel *t;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok || napi_unwrap(env, self, (void **)&t) != napi_ok)
    return throw_code(env, "ERR_INVALID_THIS", "close(): not a tunnel");
  teardown(t, "closed");
  return NULL;
}

static napi_value js_active(napi_env env, napi_callback_info info) {
  relay_env *re;
  napi_value n;
  (void)info;
  if (napi_get_instance_data(env, (void **)&re) != napi_ok || napi_create_uint32(env, re->count, &n) != napi_ok) return NULL;
  return n;
}

static void on_sweep_closed(uv_handle_t *h) {
  handle_gone(h->data);
}

/** Environment teardown: close everything without calling into JS; done once the loop has run
 *  every close callback (handle_gone). */
static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  relay_env *re = arg;
  (void)handle;
  re->dying = 1;
  while (re->head) teardown(re->head, "closed");
  uv_close((uv_handle_t *)&re->sweep, on_sweep_closed);
}

NAPI_MODULE_INIT() {
  napi_value fn, cls;
  napi_property_descriptor methods[] = {{"close", NULL, js_tunnel_close, NULL, NULL, NULL, napi_default, NULL}};
  relay_env *re = calloc(1, sizeof *re);
  if (!re || napi_get_uv_event_loop(env, &re->loop) != napi_ok) {
    free(re);
    return NULL;
  }
  uv_timer_init(re->loop, &re->sweep);
  uv_unref((uv_handle_t *)&re->sweep); /* tunnels keep the process alive, not their sweep */
  re->sweep.data = re;
  re->handles = 1;
  /* From here re lives until the teardown hook saw the sweep timer's close callback. */
  if (napi_add_async_cleanup_hook(env, on_env_teardown, re, &re->cleanup) != napi_ok ||
      napi_define_class(env, "Tunnel", NAPI_AUTO_LENGTH, js_tunnel_new, NULL, 1, methods, &cls) != napi_ok ||
      napi_create_reference(env, cls, 1, &re->tunnel_class) != napi_ok || napi_set_instance_data(env, re, NULL, NULL) != napi_ok ||
      napi_create_function(env, "relay", NAPI_AUTO_LENGTH, js_relay, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "relay", fn) != napi_ok ||
      napi_create_function(env, "active", NAPI_AUTO_LENGTH, js_active, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "active", fn) != napi_ok)
    return throw_code(env, "ERR_RELAY_NAPI", "tcp-relay: cannot initialise");
  return exports;
}
