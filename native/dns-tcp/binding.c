/* dns-tcp's JS surface (dns-tcp.h): argument checks, the listening socket, the handle and its
 * references; everything after listen() is engine.c's. */
#include "dns-tcp.h"

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
