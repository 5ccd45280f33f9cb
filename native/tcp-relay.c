/*
 * tcp-relay: the L4 proxy's byte mover. JavaScript accepts the client, picks and connects an
 * instance, then hands both sockets' file descriptors to relay(); from there bytes move in C on
 * libuv's loop, with no JavaScript per chunk:
 *
 *   relay(fdA, fdB, idleMs, onClose) -> Tunnel { close() }
 *   active() -> number of open tunnels
 *
 * Both fds are dup()ed, so the caller destroys its JS sockets at once (that closes only the
 * originals; no FIN leaves while a dup is open). One uv_poll_t per fd; per direction one recv into
 * a per-loop scratch buffer and one send straight out. A partial send parks the rest in that
 * direction's own buffer and stops reading the source until the destination drained (back-pressure).
 * EOF on one side becomes shutdown(SHUT_WR) on the other (half-close kept). Both directions done,
 * an error, idleness beyond idleMs (one coarse sweep timer for all tunnels) or close() closes both
 * fds; onClose(bytesAtoB, bytesBtoA, reason) then runs once, from libuv's close callback (never
 * inside a JS call), reason being "eof", "idle", "closed" or an errno name such as "ECONNRESET".
 *
 * uv_poll_start() always deletes and re-adds the epoll registration, so events are only re-armed
 * when they change: in a request/response steady state both fds stay readable-only and a chunk
 * costs one recv and one send.
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

#define CHECK(call)                                                                                  \
  do {                                                                                               \
    if ((call) != napi_ok) return NULL;                                                              \
  } while (0)

typedef struct tunnel tunnel;

/** Per JS environment (main thread or a worker): the tunnel list, the idle sweep, the scratch. */
typedef struct {
  uv_loop_t *loop;
  uv_timer_t sweep;
  uint64_t step;  /* sweep period in ms, 0 while stopped */
  tunnel *head;
  uint32_t count;
  int dying;      /* the environment is being torn down: no more JS calls */
  napi_ref tunnel_class;
  char scratch[CHUNK];
} relay_env;

typedef struct {
  int fd;
  uv_poll_t poll;
  int events;     /* what is armed now */
} side;

/** One direction, from side i to side 1-i; bytes parked after a partial send. */
typedef struct {
  char *buf;
  size_t off, len;
  uint64_t bytes; /* delivered to the destination */
  int eof, shut;
} flow;

struct tunnel {
  side s[2];
  flow f[2];
  relay_env *re;
  tunnel *prev, *next;
  uint64_t last, idle_ms;
  const char *reason;
  int closing, open_handles, refs; /* refs: the loop's and the JS wrapper's */
  napi_env env;
  napi_ref on_close;
  napi_async_context ctx;
};

static void on_poll(uv_poll_t *h, int status, int events);

static void unref(tunnel *t) {
  if (--t->refs > 0) return;
  free(t->f[0].buf);
  free(t->f[1].buf);
  free(t);
}

static void on_handle_closed(uv_handle_t *h) {
  tunnel *t = h->data;
  if (--t->open_handles > 0) return;
  relay_env *re = t->re;
  if (!re->dying) {
    napi_env env = t->env;
    napi_handle_scope scope;
    napi_value cb, recv, argv[3], exc;
    napi_open_handle_scope(env, &scope);
    napi_get_reference_value(env, t->on_close, &cb);
    napi_get_global(env, &recv);
    napi_create_double(env, (double)t->f[0].bytes, &argv[0]);
    napi_create_double(env, (double)t->f[1].bytes, &argv[1]);
    napi_create_string_utf8(env, t->reason, NAPI_AUTO_LENGTH, &argv[2]);
    if (napi_make_callback(env, t->ctx, recv, cb, 3, argv, NULL) == napi_pending_exception) {
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
    napi_async_destroy(env, t->ctx);
    napi_delete_reference(env, t->on_close);
    napi_close_handle_scope(env, scope);
  }
  unref(t);
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
 *  while its incoming flow has parked bytes. */
static void rearm(tunnel *t) {
  for (int i = 0; i < 2 && !t->closing; i++) {
    int want = 0;
    if (!t->f[i].eof && t->f[i].len == 0) want |= UV_READABLE;
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
    t->last = uv_now(t->re->loop);
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
}

static void on_poll(uv_poll_t *h, int status, int events) {
  tunnel *t = h->data;
  int i = h == &t->s[0].poll ? 0 : 1;
  if (status < 0) { /* POLLERR: libuv says EBADF; the socket knows the real cause */
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(t->s[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
    fail(t, err ? err : EIO);
    return;
  }
  if ((events & UV_WRITABLE) && flush(t, 1 - i) < 0) return;
  if ((events & UV_READABLE) && !t->closing) pump(t, i);
  rearm(t);
}

/** A tunnel idles out between idleMs and idleMs + step after its last byte. */
static void on_sweep(uv_timer_t *timer) {
  relay_env *re = timer->data;
  uint64_t now = uv_now(re->loop);
  for (tunnel *t = re->head, *next; t; t = next) {
    next = t->next;
    if (t->idle_ms && now - t->last > t->idle_ms) teardown(t, "idle");
  }
}

static void watch_idle(relay_env *re, uint64_t idle_ms) {
  if (!idle_ms) return;
  uint64_t step = idle_ms / 4 < 10 ? 10 : idle_ms / 4 > 1000 ? 1000 : idle_ms / 4;
  if (re->step && re->step <= step) return;
  re->step = step;
  uv_timer_start(&re->sweep, on_sweep, step, step);
}

static void finalize_wrapper(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  unref(data);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_throw_error(env, uv_err_name(uv_translate_sys_error(err)), what);
  return NULL;
}

static napi_value js_relay(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], cls, obj, name;
  int32_t fds[2];
  double idle;
  relay_env *re;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_instance_data(env, (void **)&re));
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fds[0]) != napi_ok ||
      napi_get_value_int32(env, argv[1], &fds[1]) != napi_ok || napi_get_value_double(env, argv[2], &idle) != napi_ok) {
    napi_throw_type_error(env, NULL, "relay(fdA, fdB, idleMs, onClose)");
    return NULL;
  }
  tunnel *t = calloc(1, sizeof *t);
  if (!t) return throw_errno(env, "relay: out of memory", ENOMEM);
  t->refs = 1; /* the JS wrapper's, from here on */
  CHECK(napi_get_reference_value(env, re->tunnel_class, &cls));
  CHECK(napi_new_instance(env, cls, 0, NULL, &obj));
  CHECK(napi_wrap(env, obj, t, finalize_wrapper, NULL, NULL));
  t->s[0].fd = dup(fds[0]);
  t->s[1].fd = t->s[0].fd < 0 ? -1 : dup(fds[1]);
  if (t->s[1].fd < 0) {
    int err = errno;
    if (t->s[0].fd >= 0) close(t->s[0].fd);
    return throw_errno(env, "relay: dup failed", err);
  }
  CHECK(napi_create_reference(env, argv[3], 1, &t->on_close));
  CHECK(napi_create_string_utf8(env, "maestro.TcpRelay", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, obj, name, &t->ctx));
  for (int i = 0; i < 2; i++) {
    uv_poll_init_socket(re->loop, &t->s[i].poll, t->s[i].fd); /* cannot fail: fresh dup of a socket */
    t->s[i].poll.data = t;
  }
  t->refs = 2;
  t->re = re;
  t->env = env;
  t->idle_ms = idle > 0 ? (uint64_t)idle : 0;
  t->last = uv_now(re->loop);
  t->open_handles = 2;
  t->next = re->head;
  if (re->head) re->head->prev = t;
  re->head = t;
  re->count++;
  watch_idle(re, t->idle_ms);
  rearm(t);
  return obj;
}

static napi_value js_tunnel_new(napi_env env, napi_callback_info info) {
  napi_value self;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  return self;
}

static napi_value js_tunnel_close(napi_env env, napi_callback_info info) {
  napi_value self;
  tunnel *t;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  CHECK(napi_unwrap(env, self, (void **)&t));
  teardown(t, "closed");
  return NULL;
}

static napi_value js_active(napi_env env, napi_callback_info info) {
  relay_env *re;
  napi_value n;
  (void)info;
  CHECK(napi_get_instance_data(env, (void **)&re));
  CHECK(napi_create_uint32(env, re->count, &n));
  return n;
}

/** Environment teardown: close what is left without calling into JS. The struct stays allocated
 *  (a few bytes per environment) since close callbacks may still run after this. */
static void cleanup(void *arg) {
  relay_env *re = arg;
  re->dying = 1;
  while (re->head) teardown(re->head, "closed");
  uv_close((uv_handle_t *)&re->sweep, NULL);
}

NAPI_MODULE_INIT() {
  napi_value fn, cls;
  napi_property_descriptor methods[] = {{"close", NULL, js_tunnel_close, NULL, NULL, NULL, napi_default, NULL}};
  relay_env *re = calloc(1, sizeof *re);
  if (!re) return NULL;
  CHECK(napi_get_uv_event_loop(env, &re->loop));
  uv_timer_init(re->loop, &re->sweep);
  uv_unref((uv_handle_t *)&re->sweep); /* tunnels keep the process alive, not their sweep */
  re->sweep.data = re;
  CHECK(napi_define_class(env, "Tunnel", NAPI_AUTO_LENGTH, js_tunnel_new, NULL, 1, methods, &cls));
  CHECK(napi_create_reference(env, cls, 1, &re->tunnel_class));
  CHECK(napi_set_instance_data(env, re, NULL, NULL));
  CHECK(napi_add_env_cleanup_hook(env, cleanup, re));
  CHECK(napi_create_function(env, "relay", NAPI_AUTO_LENGTH, js_relay, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "relay", fn));
  CHECK(napi_create_function(env, "active", NAPI_AUTO_LENGTH, js_active, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "active", fn));
  return exports;
}
