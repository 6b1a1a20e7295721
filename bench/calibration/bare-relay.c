// Calibration only, not part of Windsock: the least a SOCKS5 relay can do on this machine.
// SOCKS5 no-auth CONNECT to an IPv4 address, nothing else (no checks, no limits, no logging);
// a thread per direction, blocking splice() socket -> pipe (256 KiB) -> socket (mode "splice"),
// or read/write through a 256 KiB buffer (mode "copy"). docs/benchmarks.md compares it with
// Windsock under `windsock bench throughput`, at the same moment, on the same machine.
//
//   gcc -O2 -pthread -o /tmp/bare-relay bench/calibration/bare-relay.c
//   /tmp/bare-relay splice 20000 &   # listens on 127.0.0.1:20000 only
//   windsock bench throughput --proxy 127.0.0.1:20000 --streams 8
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static int use_splice;
struct dir { int from, to; };
static int readn(int fd, unsigned char *b, int n) { int g = 0; while (g < n) { int r = read(fd, b + g, n - g); if (r <= 0) return -1; g += r; } return 0; }
static void *pump(void *arg) {
  struct dir *d = arg;
  if (use_splice) {
    int p[2]; pipe2(p, O_CLOEXEC); fcntl(p[1], F_SETPIPE_SZ, 256 * 1024);
    for (;;) {
      ssize_t n = splice(d->from, NULL, p[1], NULL, 1 << 20, SPLICE_F_MOVE);
      if (n <= 0) break;
      while (n > 0) { ssize_t w = splice(p[0], NULL, d->to, NULL, n, SPLICE_F_MOVE); if (w <= 0) goto out; n -= w; }
    }
  out: close(p[0]); close(p[1]);
  } else {
    static __thread unsigned char *buf; if (!buf) buf = malloc(256 * 1024);
    for (;;) { ssize_t n = read(d->from, buf, 256 * 1024); if (n <= 0) break; ssize_t o = 0; while (o < n) { ssize_t w = write(d->to, buf + o, n - o); if (w <= 0) goto out2; o += w; } }
  out2:;
  }
  shutdown(d->to, SHUT_WR);
  return NULL;
}
static void *session(void *arg) {
  int c = (int)(long)arg; unsigned char b[512];
  if (readn(c, b, 2) || readn(c, b + 2, b[1])) goto done;
  write(c, "\x05\x00", 2);
  if (readn(c, b, 10) || b[3] != 1) goto done;
  struct sockaddr_in sa = { .sin_family = AF_INET }; memcpy(&sa.sin_addr, b + 4, 4); memcpy(&sa.sin_port, b + 8, 2);
  int d = socket(AF_INET, SOCK_STREAM, 0); int one = 1; setsockopt(d, IPPROTO_TCP, TCP_NODELAY, &one, 4);
  if (connect(d, (void *)&sa, sizeof sa)) { close(d); goto done; }
  write(c, "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00", 10);
  struct dir up = { c, d }, down = { d, c }; pthread_t t;
  pthread_create(&t, NULL, pump, &up); pump(&down); pthread_join(t, NULL); close(d);
done: close(c); return NULL;
}
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: bare-relay splice|copy PORT\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  use_splice = strcmp(argv[1], "splice") == 0;
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1; setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, 4);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) }; sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (void *)&sa, sizeof sa) || listen(l, 1024)) { perror("listen"); return 1; }
  printf("listening on 127.0.0.1:%s\n", argv[2]); fflush(stdout);
  for (;;) { int c = accept(l, NULL, NULL); if (c < 0) continue; setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 4); pthread_t t; pthread_create(&t, NULL, session, (void *)(long)c); pthread_detach(t); }
}
