// Calibration only, not part of Windsock: the least a SOCKS5 UDP ASSOCIATE relay can do on this machine.
// No-auth handshake, UDP ASSOCIATE, IPv4 address destinations only; no checks, no limits, no logging, no
// fragments. One thread and one level-triggered epoll set for every association, as Windsock's datagram loop:
// a readable socket gets one recvfrom(MSG_DONTWAIT) and its datagram one sendto(MSG_DONTWAIT) right there.
// (The handshake is read blocking on the same thread: the loads connect once, at their start.)
// docs/benchmarks.md ("UDP, round four") compares it with Windsock and Dante under `windsock bench udp`.
//
//   gcc -O2 -o /tmp/bare-udp-relay bench/calibration/bare-udp-relay.c
//   /tmp/bare-udp-relay 20001 &   # listens on 127.0.0.1:20001 only
//   windsock bench udp --proxy 127.0.0.1:20001 --concurrency 1
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CONTROL, CLIENT_SIDE, OUTSIDE };
struct assoc { int control, client_side, outside; struct sockaddr_in client; int client_known; };
struct slot { int kind; struct assoc *a; };

static int ep;
static unsigned char buf[65536 + 64];

static int readn(int fd, unsigned char *b, int n) {
  int g = 0;
  while (g < n) { int r = read(fd, b + g, n - g); if (r <= 0) return -1; g += r; }
  return 0;
}

static void watch(int fd, int kind, struct assoc *a) {
  struct slot *s = malloc(sizeof *s);
  s->kind = kind; s->a = a;
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int udp_socket(in_addr_t address) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = address };
  bind(fd, (struct sockaddr *)&sa, sizeof sa);
  return fd;
}

// Greeting, method "none", UDP ASSOCIATE request (its address is ignored), reply with the client side's address.
static void handshake(int control) {
  unsigned char b[300];
  if (readn(control, b, 2) || readn(control, b + 2, b[1]) || write(control, "\x05\x00", 2) != 2) goto fail;
  if (readn(control, b, 4) || b[1] != 3) goto fail;
  int rest = b[3] == 1 ? 6 : b[3] == 4 ? 18 : -1;
  if (b[3] == 3) { if (readn(control, b, 1)) goto fail; rest = b[0] + 2; }
  if (rest < 0 || readn(control, b, rest)) goto fail;
  struct assoc *a = calloc(1, sizeof *a);
  a->control = control;
  a->client_side = udp_socket(htonl(INADDR_LOOPBACK));
  a->outside = udp_socket(htonl(INADDR_ANY));
  struct sockaddr_in local; socklen_t len = sizeof local;
  getsockname(a->client_side, (struct sockaddr *)&local, &len);
  unsigned char reply[10] = { 5, 0, 0, 1 };
  memcpy(reply + 4, &local.sin_addr, 4); memcpy(reply + 8, &local.sin_port, 2);
  if (write(control, reply, 10) != 10) goto fail;
  watch(control, CONTROL, a); watch(a->client_side, CLIENT_SIDE, a); watch(a->outside, OUTSIDE, a);
  return;
fail:
  close(control);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s PORT\n", argv[0]); return 2; }
  int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(listener, (struct sockaddr *)&sa, sizeof sa) || listen(listener, 128)) { perror("listen"); return 1; }
  ep = epoll_create1(0);
  struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
  struct epoll_event events[128];
  for (;;) {
    int n = epoll_wait(ep, events, 128, -1);
    for (int i = 0; i < n; i++) {
      struct slot *s = events[i].data.ptr;
      if (s == NULL) { int c = accept(listener, NULL, NULL); if (c >= 0) handshake(c); continue; }
      struct assoc *a = s->a;
      if (s->kind == CONTROL) {
        // Any byte or EOF ends the association (its slots are leaked: a calibration runs for one load).
        epoll_ctl(ep, EPOLL_CTL_DEL, a->control, NULL); epoll_ctl(ep, EPOLL_CTL_DEL, a->client_side, NULL);
        epoll_ctl(ep, EPOLL_CTL_DEL, a->outside, NULL);
        close(a->control); close(a->client_side); close(a->outside);
        continue;
      }
      struct sockaddr_in from; socklen_t len = sizeof from;
      // Room for the reply's 10-byte header in front of the payload.
      ssize_t got = recvfrom(s->kind == CLIENT_SIDE ? a->client_side : a->outside, buf + 16, sizeof buf - 16, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
      if (got < 0) continue;
      if (s->kind == CLIENT_SIDE) {
        unsigned char *h = buf + 16;
        if (got < 10 || h[2] != 0 || h[3] != 1) continue;
        if (!a->client_known) { a->client = from; a->client_known = 1; }
        struct sockaddr_in to = { .sin_family = AF_INET };
        memcpy(&to.sin_addr, h + 4, 4); memcpy(&to.sin_port, h + 8, 2);
        sendto(a->outside, h + 10, got - 10, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
      } else if (a->client_known) {
        unsigned char *h = buf + 6;
        h[0] = h[1] = h[2] = 0; h[3] = 1;
        memcpy(h + 4, &from.sin_addr, 4); memcpy(h + 8, &from.sin_port, 2);
        sendto(a->client_side, h, got + 10, MSG_DONTWAIT, (struct sockaddr *)&a->client, sizeof a->client);
      }
    }
  }
}
