// udp-batch: the DNS server's UDP socket, read and written in batches as NSD does. On every readable
// event: recvmmsg up to SLOTS datagrams into a fixed arena, ONE call into JavaScript for the whole
// batch (it reads the queries as views of the arena and returns an array of replies aligned with the
// slots), ONE sendmmsg for the replies, straight from the reply Buffers' memory. Node's dgram pays a
// JS call, a Buffer and an rinfo object per datagram in and a syscall per datagram out; this path
// pays one JS call and two syscalls per batch.
//
// JS surface: open(host, port, onBatch(count) → replies[]) → handle {
//   port, arena (Buffer, SLOTS × SLOT_SIZE), lens (Int32Array: datagram length per slot, -1 = skip),
//   counters (Float64Array: see enum), peer(slot) → Buffer, sendTo(buf, peer), close() }
// Queries and peer slots are only valid during the synchronous onBatch call; a deferred reply keeps
// peer(slot) (a copy of the sockaddr) and answers later with sendTo.
//
// Lifetime: the state is freed once both the JS handle was finalized and libuv ran the poll handle's
// close callback, whichever comes last. That callback is our code, so it must run before Node
// unloads the addon: each socket holds an async cleanup hook from open until its close callback ran;
// at environment teardown (worker exit, process exit) the hook closes a socket still open, and Node
// keeps running the loop until every such hook was removed.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define SLOTS 64
#define SLOT_SIZE 4096
// Batches per readable event: bounded so a flood cannot starve the rest of the loop (timers, TCP).
#define BUDGET 8

enum { C_SEND_DROPPED, C_RECV_TRUNCATED, C_BATCHES, C_DATAGRAMS, C_COUNT };

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  bool closed;
  bool in_cb;
  bool released;
  bool finalized;
  bool poll_live;
  napi_async_cleanup_hook_handle cleanup;  // held until on_close: keeps the addon loaded
  napi_ref self, cb, arena_ref, lens_ref, counters_ref;
  napi_async_context actx;
  uint8_t *arena;
  int32_t *lens;
  double *counters;
  struct sockaddr_storage names[SLOTS];
  struct mmsghdr in[SLOTS];
  struct iovec in_iov[SLOTS];
  struct mmsghdr out[SLOTS];
  struct iovec out_iov[SLOTS];
} udp_t;

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "udp-batch: " #call " failed");    \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static void clear_exception(napi_env env) {
  bool pending = false;
  napi_value ignored;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
}

static void maybe_free(udp_t *s) {
  if (s->finalized && !s->poll_live) free(s);
}

static void on_close(uv_handle_t *h) {
  udp_t *s = h->data;
  s->poll_live = false;
  if (s->cleanup != NULL) {
    // Unregisters it, or, when the environment is being torn down, tells Node this socket is done.
    napi_async_cleanup_hook_handle hook = s->cleanup;
    s->cleanup = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
  maybe_free(s);
}

// Drops every JS reference; deferred while onBatch runs (its async context is in use).
static void release(udp_t *s) {
  if (s->released) return;
  s->released = true;
  napi_env env = s->env;
  napi_delete_reference(env, s->cb);
  napi_delete_reference(env, s->arena_ref);
  napi_delete_reference(env, s->lens_ref);
  napi_delete_reference(env, s->counters_ref);
  napi_async_destroy(env, s->actx);
  // Last: the handle object may now be collected (its finalizer frees s once the poll handle closed).
  napi_delete_reference(env, s->self);
}

// Stops polling and closes the socket (the port is free when this returns); no callback fires after.
static void stop_io(udp_t *s) {
  s->closed = true;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_close);
  close(s->fd);
  s->fd = -1;
}

// The environment is going away (worker exit, process teardown): no JS from here. A socket still
// open is closed; either way on_close finishes the hook.
static void on_env_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  udp_t *s = arg;
  (void)hook;
  if (!s->closed) stop_io(s);
}

static void do_close(udp_t *s) {
  if (s->closed) return;
  stop_io(s);
  if (!s->in_cb) release(s);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_t *s = data;
  s->finalized = true;
  maybe_free(s);
}

static int receive(udp_t *s) {
  for (int i = 0; i < SLOTS; i++) {
    s->in[i].msg_hdr.msg_namelen = sizeof(s->names[i]);
    s->in[i].msg_hdr.msg_flags = 0;
  }
  int n;
  do n = recvmmsg(s->fd, s->in, SLOTS, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    const struct msghdr *h = &s->in[i].msg_hdr;
    const struct sockaddr *sa = (const struct sockaddr *)&s->names[i];
    int port = sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port : ((const struct sockaddr_in *)sa)->sin_port;
    if (h->msg_flags & MSG_TRUNC) {
      // Larger than a slot: never read past it, never answer a partial query.
      s->counters[C_RECV_TRUNCATED]++;
      s->lens[i] = -1;
    } else if (port == 0) {
      s->lens[i] = -1;  // nowhere to answer
    } else {
      s->lens[i] = (int32_t)s->in[i].msg_len;
    }
  }
  s->counters[C_BATCHES]++;
  s->counters[C_DATAGRAMS] += n;
  return n;
}

// UDP semantics: a reply the kernel will not take now (buffer full) is dropped and counted; the
// client retries. A message the kernel rejects for itself (sendmmsg fails on its first) is skipped.
static void send_all(udp_t *s, int m) {
  int done = 0;
  while (done < m) {
    int r = sendmmsg(s->fd, s->out + done, m - done, MSG_DONTWAIT);
    if (r > 0) {
      done += r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      s->counters[C_SEND_DROPPED] += m - done;
      return;
    } else {
      s->counters[C_SEND_DROPPED]++;
      done++;
    }
  }
}

static void reply(udp_t *s, int n, napi_value result) {
  napi_env env = s->env;
  bool is_array = false;
  if (napi_is_array(env, result, &is_array) != napi_ok || !is_array) return;
  int m = 0;
  for (int i = 0; i < n; i++) {
    napi_value v;
    void *data;
    size_t len;
    if (s->lens[i] < 0 || napi_get_element(env, result, i, &v) != napi_ok) continue;
    // null, undefined and anything not a Buffer: no reply for this slot.
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) {
      clear_exception(env);
      continue;
    }
    if (len == 0 || len > 65507) continue;
    s->out_iov[m].iov_base = data;
    s->out_iov[m].iov_len = len;
    struct msghdr *h = &s->out[m].msg_hdr;
    h->msg_name = &s->names[i];
    h->msg_namelen = s->in[i].msg_hdr.msg_namelen;
    h->msg_iov = &s->out_iov[m];
    h->msg_iovlen = 1;
    h->msg_control = NULL;
    h->msg_controllen = 0;
    h->msg_flags = 0;
    m++;
  }
  if (m > 0) send_all(s, m);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  udp_t *s = h->data;
  if (s->closed) return;
  if (status < 0) {
    // libuv stopped polling on a socket error: read (and so clear) it and go on serving.
    int err;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    return;
  }
  napi_env env = s->env;
  for (int round = 0; round < BUDGET && !s->closed; round++) {
    int n = receive(s);
    if (n == 0) break;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value cb, self, argv[1], result = NULL;
    bool ok = napi_get_reference_value(env, s->cb, &cb) == napi_ok && napi_get_reference_value(env, s->self, &self) == napi_ok &&
              napi_create_uint32(env, (uint32_t)n, &argv[0]) == napi_ok;
    if (ok) {
      s->in_cb = true;
      // make_callback: promise jobs and nextTicks queued by the batch run when it returns.
      if (napi_make_callback(env, s->actx, self, cb, 1, argv, &result) != napi_ok) result = NULL;
      s->in_cb = false;
    }
    // A throwing onBatch must not take the process down: its batch simply gets no replies.
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      clear_exception(env);
      result = NULL;
    }
    if (!s->closed && result != NULL) reply(s, n, result);
    napi_close_handle_scope(env, scope);
    if (s->closed) {
      release(s);
      return;
    }
    if (n < SLOTS) break;
  }
}

static udp_t *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "udp-batch: not a socket handle");
    return NULL;
  }
  return data;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  udp_t *s = unwrap_this(env, info, &argc, NULL);
  if (s != NULL) do_close(s);
  return NULL;
}

// The sender of `slot` in the current batch, as an opaque copy for a later sendTo.
static napi_value js_peer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  udp_t *s = unwrap_this(env, info, &argc, argv);
  if (s == NULL) return NULL;
  uint32_t slot;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok || slot >= SLOTS) {
    napi_throw_range_error(env, NULL, "udp-batch: bad slot");
    return NULL;
  }
  napi_value buf;
  CHECK(napi_create_buffer_copy(env, s->in[slot].msg_hdr.msg_namelen, &s->names[slot], NULL, &buf));
  return buf;
}

static napi_value js_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  udp_t *s = unwrap_this(env, info, &argc, argv);
  if (s == NULL) return NULL;
  void *data, *peer;
  size_t len, peer_len;
  if (argc < 2 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || napi_get_buffer_info(env, argv[1], &peer, &peer_len) != napi_ok ||
      (peer_len != sizeof(struct sockaddr_in) && peer_len != sizeof(struct sockaddr_in6))) {
    napi_throw_type_error(env, NULL, "udp-batch: sendTo(buffer, peer)");
    return NULL;
  }
  if (s->closed || len == 0 || len > 65507) return NULL;  // a reply for a closed server goes nowhere
  struct sockaddr_storage to;
  memcpy(&to, peer, peer_len);
  ssize_t r;
  do r = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&to, (socklen_t)peer_len);
  while (r < 0 && errno == EINTR);
  if (r < 0) s->counters[C_SEND_DROPPED]++;
  return NULL;
}

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, uv_err_name(-err), msg);
  return NULL;
}

static int open_socket(const char *host, uint32_t port, int *out_fd, uint32_t *bound) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  // libuv's parsers, as dgram uses: IPv6 scope ids (fe80::1%eth0) included.
  if (uv_ip4_addr(host, (int)port, v4) == 0) {
    sl = sizeof *v4;
  } else if (uv_ip6_addr(host, (int)port, v6) == 0) {
    sl = sizeof *v6;
  } else {
    return EINVAL;
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  *out_fd = fd;
  *bound = ntohs(ss.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port);
  return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[64];
  size_t host_len;
  uint32_t port;
  napi_valuetype cb_type = napi_undefined;
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535 || napi_typeof(env, argv[2], &cb_type) != napi_ok ||
      cb_type != napi_function) {
    napi_throw_type_error(env, NULL, "udp-batch: open(host, port, onBatch)");
    return NULL;
  }
  int fd = -1;
  uint32_t bound = 0;
  int err = open_socket(host, port, &fd, &bound);
  if (err != 0) return throw_errno(env, err, err == EINVAL ? "cannot parse the address" : "cannot bind");

  udp_t *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "udp-batch");
  }
  s->env = env;
  s->fd = fd;
  for (int i = 0; i < SLOTS; i++) {
    s->in[i].msg_hdr.msg_name = &s->names[i];
    s->in[i].msg_hdr.msg_iov = &s->in_iov[i];
    s->in[i].msg_hdr.msg_iovlen = 1;
  }
  napi_value handle, arena, lens_ab, lens, counters_ab, counters, port_v, name;
  void *mem;
  bool ok = napi_create_object(env, &handle) == napi_ok && napi_create_buffer(env, SLOTS * SLOT_SIZE, &mem, &arena) == napi_ok;
  if (ok) s->arena = mem;
  ok = ok && napi_create_arraybuffer(env, SLOTS * sizeof(int32_t), &mem, &lens_ab) == napi_ok;
  if (ok) s->lens = mem;
  ok = ok && napi_create_typedarray(env, napi_int32_array, SLOTS, lens_ab, 0, &lens) == napi_ok &&
       napi_create_arraybuffer(env, C_COUNT * sizeof(double), &mem, &counters_ab) == napi_ok;
  if (ok) {
    s->counters = mem;
    memset(mem, 0, C_COUNT * sizeof(double));
  }
  ok = ok && napi_create_typedarray(env, napi_float64_array, C_COUNT, counters_ab, 0, &counters) == napi_ok &&
       napi_create_uint32(env, bound, &port_v) == napi_ok && napi_create_string_utf8(env, "maestro:dns-udp", NAPI_AUTO_LENGTH, &name) == napi_ok;
  if (!ok) {
    close(fd);
    free(s);
    napi_throw_error(env, NULL, "udp-batch: cannot allocate the socket's buffers");
    return NULL;
  }
  for (int i = 0; i < SLOTS; i++) {
    s->in_iov[i].iov_base = s->arena + (size_t)i * SLOT_SIZE;
    s->in_iov[i].iov_len = SLOT_SIZE;
  }
  napi_property_descriptor props[] = {
      {"port", NULL, NULL, NULL, NULL, port_v, napi_enumerable, NULL},
      {"arena", NULL, NULL, NULL, NULL, arena, napi_enumerable, NULL},
      {"lens", NULL, NULL, NULL, NULL, lens, napi_enumerable, NULL},
      {"counters", NULL, NULL, NULL, NULL, counters, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"peer", NULL, js_peer, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
  };
  uv_loop_t *loop;
  ok = napi_define_properties(env, handle, sizeof props / sizeof props[0], props) == napi_ok && napi_get_uv_event_loop(env, &loop) == napi_ok &&
       uv_poll_init(loop, &s->poll, fd) == 0;
  if (!ok) {
    close(fd);
    free(s);
    napi_throw_error(env, NULL, "udp-batch: cannot set the socket up");
    return NULL;
  }
  s->poll.data = s;
  s->poll_live = true;
  if (napi_add_async_cleanup_hook(env, on_env_teardown, s, &s->cleanup) != napi_ok) {
    s->finalized = true;  // nothing JS holds it: on_close frees
    stop_io(s);
    napi_throw_error(env, NULL, "udp-batch: cannot register the teardown hook");
    return NULL;
  }
  // From here on s is freed by finalize + on_close, whatever fails.
  if (napi_wrap(env, handle, s, finalize, NULL, NULL) != napi_ok) {
    s->finalized = true;
    stop_io(s);
    napi_throw_error(env, NULL, "udp-batch: napi_wrap failed");
    return NULL;
  }
  if (napi_create_reference(env, handle, 1, &s->self) != napi_ok || napi_create_reference(env, argv[2], 1, &s->cb) != napi_ok ||
      napi_create_reference(env, arena, 1, &s->arena_ref) != napi_ok || napi_create_reference(env, lens, 1, &s->lens_ref) != napi_ok ||
      napi_create_reference(env, counters, 1, &s->counters_ref) != napi_ok || napi_async_init(env, handle, name, &s->actx) != napi_ok) {
    stop_io(s);
    napi_throw_error(env, NULL, "udp-batch: cannot reference the socket's state");
    return NULL;
  }
  err = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (err != 0) {
    do_close(s);
    return throw_errno(env, -err, "cannot poll");
  }
  return handle;
}

NAPI_MODULE_INIT() {
  napi_value fn, slots, slot_size;
  CHECK(napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "open", fn));
  CHECK(napi_create_uint32(env, SLOTS, &slots));
  CHECK(napi_set_named_property(env, exports, "SLOTS", slots));
  CHECK(napi_create_uint32(env, SLOT_SIZE, &slot_size));
  CHECK(napi_set_named_property(env, exports, "SLOT_SIZE", slot_size));
  return exports;
}
