/* dns-tcp's engine: the connections in one epoll set, their reads and frames, answers and their
 * queue, accepts at the cap, the sweep's deadlines, and the state's lifetime (dns-tcp.h). */
#include "dns-tcp.h"

static void settle(server *s, conn *c);

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

void clear_exception(napi_env env) {
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
void release(server *s) {
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
void stop_io(server *s) {
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

void on_env_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  (void)hook;
  stop_io(arg);
}

void finalize(napi_env env, void *data, void *hint) {
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
void send_answer(server *s, conn *c, const uint8_t *msg, size_t len) {
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
void serve(server *s, conn *c) {
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
void leave(server *s) {
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

void on_events(uv_poll_t *h, int status, int events) {
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

void on_sweep(uv_timer_t *t) {
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
