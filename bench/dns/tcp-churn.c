/*
 * DNS over TCP, one query per connection: the load generator of bench/dns/tcp-churn.ts (which compiles
 * it with cc into a temporary directory; never committed as a binary).
 *
 *   tcp-churn PORT FRAMES CONCURRENCY SECONDS MAX_CONNECTIONS
 *
 * Keeps CONCURRENCY connections in flight to 127.0.0.1:PORT. Each one: socket, non-blocking connect,
 * send one length-prefixed query (the next of FRAMES, a file of [u16 length][query] records, with a
 * fresh ID), read the whole answer, close (a FIN from the client, as `dig +tcp` does) — then its slot
 * opens the next. Stops opening after SECONDS or MAX_CONNECTIONS, waits for those in flight (each has
 * a 2 s deadline), and prints one line of key=value figures.
 *
 * Every answer is checked: ID, QR, RCODE NOERROR, at least one answer record, and its question
 * section equal to the query's (so FRAMES must hold names that exist). Only checked answers count
 * as ok: a fast wrong server cannot win. Latency runs from socket() to the answer's last byte.
 *
 * As few syscalls per connection as the exchange allows (socket, connect, send, recv, close, one
 * epoll_ctl: edge-triggered for both directions from the start), so that the generator's own core
 * bounds the figures as late as possible. TIME_WAIT entries stay on this side (the client closes
 * first); Linux reuses them for new loopback connections (net.ipv4.tcp_tw_reuse, 2 by default).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_NS 2000000000ULL
#define BUF_SIZE (65535 + 2)

enum { FREE, CONNECTING, SENDING, READING };

struct query { const uint8_t *msg; uint16_t len; };

struct slot {
  int fd, state;
  uint64_t start;
  struct query *q;
  uint16_t id;
  size_t sent, got;
  uint8_t buf[BUF_SIZE];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct query *queries;
static size_t nqueries, next_query;
static uint32_t *lat_us;
static uint64_t started, ok, max_conns;
static uint64_t err_connect, err_eof, err_bad, err_timeout;
static int epfd;
static struct sockaddr_in server;
static uint16_t next_id;
static uint8_t frame[2 + 65535];

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void finish(struct slot *s) {
  close(s->fd); /* also drops it from the epoll set */
  s->fd = -1;
  s->state = FREE;
}

static int open_slot(struct slot *s) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  s->fd = fd;
  s->start = now_ns();
  s->q = &queries[next_query++ % nqueries];
  s->id = next_id++;
  s->sent = s->got = 0;
  started++;
  if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) {
    err_connect++;
    close(fd);
    s->fd = -1;
    s->state = FREE;
    return -1;
  }
  s->state = CONNECTING;
  // Edge-triggered: connected (EPOLLOUT), then the answer (EPOLLIN), without re-arming in between.
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = s };
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
  return 0;
}

/* The answer is whole: check it against its query. */
static void judge(struct slot *s) {
  const uint8_t *a = s->buf + 2;
  size_t alen = s->got - 2;
  const uint8_t *q = s->q->msg;
  /* Question section: from offset 12 to the end of the query's QNAME + QTYPE + QCLASS. */
  size_t qend = 12;
  while (qend < s->q->len && q[qend] != 0) qend += (size_t)q[qend] + 1;
  qend += 5;
  int good = alen >= qend && alen >= 12 && ((a[0] << 8) | a[1]) == s->id && (a[2] & 0x80) && (a[3] & 0x0f) == 0 &&
             ((a[6] << 8) | a[7]) >= 1 && memcmp(a + 12, q + 12, qend - 12) == 0;
  if (good) {
    uint64_t us = (now_ns() - s->start) / 1000;
    lat_us[ok++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
  } else {
    err_bad++;
  }
  finish(s);
}

static void on_event(struct slot *s, uint32_t events) {
  if (s->state == FREE) return; /* closed earlier in this batch (no reuse before the next one) */
  if (s->state == CONNECTING) {
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      err_connect++;
      finish(s);
      return;
    }
    s->state = SENDING;
  }
  if (s->state == SENDING) {
    uint16_t len = s->q->len;
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, s->q->msg, len);
    frame[2] = (uint8_t)(s->id >> 8);
    frame[3] = (uint8_t)s->id;
    ssize_t n = send(s->fd, frame + s->sent, (size_t)len + 2 - s->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) return;
      err_eof++;
      finish(s);
      return;
    }
    s->sent += (size_t)n;
    if (s->sent < (size_t)len + 2) return; /* the next EPOLLOUT edge sends the rest */
    s->state = READING;
    /* Fall through: with edge triggering, an answer already here would bring no further event. */
  }
  for (;;) {
    ssize_t n = recv(s->fd, s->buf + s->got, BUF_SIZE - s->got, 0);
    if (n < 0) {
      if (errno == EAGAIN) return;
      err_eof++; /* reset: e.g. closed at accept past the server's connection cap */
      finish(s);
      return;
    }
    if (n == 0) {
      err_eof++; /* closed before the whole answer */
      finish(s);
      return;
    }
    s->got += (size_t)n;
    if (s->got >= 2) {
      size_t want = 2 + (((size_t)s->buf[0] << 8) | s->buf[1]);
      if (s->got >= want) {
        s->got = want;
        judge(s);
        return;
      }
    }
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static void load_frames(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path);
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat");
  uint8_t *data = malloc((size_t)st.st_size + 1);
  if (!data) die("malloc");
  size_t have = 0;
  while (have < (size_t)st.st_size) {
    ssize_t n = read(fd, data + have, (size_t)st.st_size - have);
    if (n <= 0) die("read frames");
    have += (size_t)n;
  }
  close(fd);
  queries = calloc(have / 14 + 1, sizeof *queries);
  for (size_t at = 0; at + 2 <= have;) {
    uint16_t len = (uint16_t)((data[at] << 8) | data[at + 1]);
    if (len < 17 || at + 2 + len > have) {
      fprintf(stderr, "tcp-churn: bad frame at byte %zu\n", at);
      exit(2);
    }
    queries[nqueries++] = (struct query){ data + at + 2, len };
    at += 2 + (size_t)len;
  }
  if (nqueries == 0) {
    fprintf(stderr, "tcp-churn: no queries in %s\n", path);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: tcp-churn PORT FRAMES CONCURRENCY SECONDS MAX_CONNECTIONS\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int conc = atoi(argv[3]);
  double seconds = atof(argv[4]);
  max_conns = strtoull(argv[5], NULL, 10);
  if (port <= 0 || conc <= 0 || seconds <= 0 || max_conns == 0) {
    fprintf(stderr, "tcp-churn: bad arguments\n");
    return 2;
  }
  load_frames(argv[2]);
  server = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  server.sin_addr.s_addr = htonl(0x7f000001u);
  lat_us = malloc(max_conns * sizeof *lat_us);
  struct slot *slots = calloc((size_t)conc, sizeof *slots);
  if (!lat_us || !slots) die("malloc");
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  uint64_t t0 = now_ns(), stop_at = t0 + (uint64_t)(seconds * 1e9), last_sweep = t0;
  int running = 1, in_flight = 0;
  struct epoll_event evs[256];
  for (;;) {
    uint64_t now = now_ns();
    if (running && (now >= stop_at || started >= max_conns)) running = 0;
    /* Refill free slots; a connect refused at once leaves the slot free for the next turn. */
    in_flight = 0;
    for (int i = 0; i < conc; i++) {
      if (slots[i].state == FREE && running && started < max_conns) open_slot(&slots[i]);
      if (slots[i].state != FREE) in_flight++;
    }
    if (!running && in_flight == 0) break;
    now = now_ns(); /* after the refill: a slot opened above must not look 2^64 ns old */
    if (now - last_sweep > 10000000ULL) {
      last_sweep = now;
      for (int i = 0; i < conc; i++)
        if (slots[i].state != FREE && now - slots[i].start > DEADLINE_NS) {
          err_timeout++;
          finish(&slots[i]);
        }
    }
    int n = epoll_wait(epfd, evs, 256, 10);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events);
  }
  uint64_t t1 = now_ns();
  getrusage(RUSAGE_SELF, &ru1);
  double elapsed = (double)(t1 - t0) / 1e9;
  double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  qsort(lat_us, ok, sizeof *lat_us, cmp_u32);
#define PCT(p) (ok ? lat_us[(size_t)((double)(ok - 1) * (p))] : 0)
  printf("ok=%llu started=%llu connect_errors=%llu closed_early=%llu bad_answers=%llu timeouts=%llu elapsed=%.3f "
         "qps=%.1f p50_us=%u p99_us=%u max_us=%u client_cpu=%.3f\n",
         (unsigned long long)ok, (unsigned long long)started, (unsigned long long)err_connect, (unsigned long long)err_eof,
         (unsigned long long)err_bad, (unsigned long long)err_timeout, elapsed, (double)ok / elapsed, PCT(0.5), PCT(0.99),
         PCT(1.0), cpu);
  return 0;
}
