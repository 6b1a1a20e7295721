// Calibration only, not part of Windsock: the least CPU a SOCKS5 CONNECT server can spend on a short connection on
// this machine, to read `windsock bench connrate` against. SOCKS5 no-auth CONNECT to an IPv4 address, nothing else (no
// checks, no limits, no logging, no timeouts). Built for the fewest system calls and wakes per connection:
//  - a thread per core (or THREADS), each with a listener of its own on the same port (SO_REUSEPORT) and an epoll set
//    of its own: no lock, no hand-off between threads, every step on the thread that accepted;
//  - TCP_DEFER_ACCEPT, so the greeting comes with the accept;
//  - sockets left blocking and every receive and send made with MSG_DONTWAIT, so no fcntl; the connect to the
//    destination and a send that does not fit (never, for the bench's 32 bytes) block the thread, which on loopback
//    costs nothing and anywhere else would be a fault;
//  - level-triggered waits, each socket added once; a direction that ends is taken out (EPOLL_CTL_DEL) and the pair
//    closed when both have ended.
// docs/benchmarks.md ("Connections, round five") runs it next to microsocks and Windsock in bench/connection-cpu.
//
//   gcc -O2 -pthread -o /tmp/bare-socks bench/calibration/bare-socks.c
//   /tmp/bare-socks 20000 &     # 127.0.0.1:20000 only
//   windsock bench connrate --proxy 127.0.0.1:20000 -j 64 --seconds 3
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { GREETING, REQUEST, RELAY };
struct conn;
struct end { struct conn *conn; int fd; int ended; };
struct conn { int state; struct end client, dest; };
static int port;

static void fail(const char *what) { perror(what); exit(1); }

// Closing takes a descriptor out of the set.
static void finish(struct conn *c) {
  close(c->client.fd);
  if (c->dest.fd >= 0) close(c->dest.fd);
  free(c);
}

// The greeting (already here with a deferred accept, else waited for): answer "no authentication".
static int on_greeting(struct conn *c) {
  unsigned char b[257];
  ssize_t n = recv(c->client.fd, b, sizeof b, MSG_DONTWAIT);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n < 2 || b[0] != 5 || n != 2 + b[1]) return -1;
  if (send(c->client.fd, "\x05\x00", 2, MSG_DONTWAIT | MSG_NOSIGNAL) != 2) return -1;
  c->state = REQUEST;
  return 0;
}

static int on_request(int ep, struct conn *c) {
  unsigned char b[262];
  ssize_t n = recv(c->client.fd, b, sizeof b, MSG_DONTWAIT);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n != 10 || b[0] != 5 || b[1] != 1 || b[3] != 1) return -1;
  struct sockaddr_in to = { .sin_family = AF_INET };
  memcpy(&to.sin_addr, b + 4, 4);
  memcpy(&to.sin_port, b + 8, 2);
  c->dest.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->dest.fd < 0 || connect(c->dest.fd, (struct sockaddr *)&to, sizeof to) != 0) {
    send(c->client.fd, "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10, MSG_DONTWAIT | MSG_NOSIGNAL);
    return -1;
  }
  if (send(c->client.fd, "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00", 10, MSG_DONTWAIT | MSG_NOSIGNAL) != 10) return -1;
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->dest };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->dest.fd, &ev) != 0) return -1;
  c->state = RELAY;
  return 0;
}

static int on_relay(int ep, struct end *from) {
  static __thread unsigned char buf[16384];
  struct conn *c = from->conn;
  struct end *to = from == &c->client ? &c->dest : &c->client;
  ssize_t n = recv(from->fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN ? 0 : -1;
  if (n == 0) {
    from->ended = 1;
    if (to->ended) return -1; // both ways done
    shutdown(to->fd, SHUT_WR);
    epoll_ctl(ep, EPOLL_CTL_DEL, from->fd, NULL);
    return 0;
  }
  for (ssize_t sent = 0; sent < n;) {
    ssize_t w = send(to->fd, buf + sent, n - sent, MSG_NOSIGNAL); // blocking: see the top
    if (w <= 0) return -1;
    sent += w;
  }
  return 0;
}

static void *loop(void *unused) {
  (void)unused;
  int one = 1, defer = 1;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l < 0) fail("socket");
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) fail("SO_REUSEPORT");
  setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
  struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(l, (struct sockaddr *)&at, sizeof at) || listen(l, 4096)) fail("bind/listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev)) fail("epoll");
  struct epoll_event events[128];
  for (;;) {
    int count = epoll_wait(ep, events, 128, -1);
    for (int i = 0; i < count; i++) {
      struct end *e = events[i].data.ptr;
      if (e == NULL) {
        int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        struct conn *c = calloc(1, sizeof *c);
        c->client = (struct end){ c, fd, 0 };
        c->dest = (struct end){ c, -1, 0 };
        struct epoll_event add = { .events = EPOLLIN, .data.ptr = &c->client };
        if (on_greeting(c) != 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &add) != 0) finish(c);
        continue;
      }
      struct conn *c = e->conn;
      int r = c->state == GREETING ? on_greeting(c) : c->state == REQUEST ? on_request(ep, c) : on_relay(ep, e);
      if (r != 0) finish(c);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3 || (port = atoi(argv[1])) <= 0 || port > 65535) {
    fprintf(stderr, "usage: bare-socks PORT [THREADS]   (127.0.0.1:PORT only; THREADS, or $BARE_SOCKS_THREADS, default one per core)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *given = argc == 3 ? argv[2] : getenv("BARE_SOCKS_THREADS");
  long threads = given != NULL && *given ? atol(given) : sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1 || threads > 64) { fprintf(stderr, "bare-socks: THREADS wants 1..64\n"); return 2; }
  for (long i = 1; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, loop, NULL)) fail("pthread_create");
  }
  loop(NULL);
  return 0;
}
