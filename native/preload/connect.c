/* connect() and the calls around it: the program's TCP socket becomes its connection through the
 * proxies windsock names, with the handshake done right here on the same socket.
 *
 * Non-blocking sockets: the handshake runs in a bounded blocking sub-phase (the socket is polled,
 * never blocked, against one 10 s deadline), then the program's flags are restored and connect()
 * answers -1/EINPROGRESS as the kernel would. The socket is already connected to the destination by
 * then, so the program's poll/select/epoll reports it writable at once and SO_ERROR is 0: its own
 * completion path runs unchanged, and nothing the program writes can mix into the handshake (which
 * a helper thread finishing later could not promise, as writability comes with the TCP connect to
 * the proxy). The price: an event loop waits for one handshake at a time. A refusal is reported at
 * once as -1 with the errno of docs/client-tools.md, which connect() may return on any socket. */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define WS_MAX_HOPS 8

static int socket_type(int fd)
{
    int type = -1;
    socklen_t length = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 ? type : -1;
}

static int socket_family(int fd)
{
    int family = -1;
    socklen_t length = sizeof family;
    return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &length) == 0 ? family : -1;
}

/* A fresh socket of another family (or after a failed attempt) in the program's descriptor, with
 * its file flags, close-on-exec and the usual options kept. */
int ws_supervising;

static int replace_socket(int fd, int family)
{
    if (ws_supervising) {
        /* The supervisor holds a duplicate of the program's socket: a fresh socket here would not be the program's. */
        errno = EAFNOSUPPORT;
        return -1;
    }
    int type = socket_type(fd);
    int status = fcntl(fd, F_GETFL);
    int descriptor = fcntl(fd, F_GETFD);
    int nodelay = 0, keepalive = 0;
    socklen_t length = sizeof nodelay;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length);
    length = sizeof keepalive;
    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &length);
    int fresh = socket(family, type, 0);
    if (fresh < 0)
        return -1;
    if (dup3(fresh, fd, (descriptor & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
        int e = errno;
        close(fresh);
        errno = e;
        return -1;
    }
    close(fresh);
    fcntl(fd, F_SETFL, status);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, sizeof keepalive);
    return 0;
}

/* Puts target (an address in its own family) in a form fd can connect to: an IPv4 address for an
 * IPv6 socket as IPv4-mapped, anything else by replacing the socket. */
static socklen_t fit_family(int fd, struct sockaddr_storage *target, socklen_t length)
{
    int family = socket_family(fd);
    if (family == target->ss_family)
        return length;
    if (family == AF_INET6 && target->ss_family == AF_INET) {
        int off = 0;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0)
            return ws_to_v4_mapped(target);
    }
    return replace_socket(fd, target->ss_family) == 0 ? length : 0;
}

/* The kernel's connect, waited for (non-blocking socket) until the deadline. */
int ws_connect_and_wait(int fd, const struct sockaddr *target, socklen_t length, long long deadline_ms)
{
    int r = ws_real.connect(fd, target, length);
    if (r == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EINTR)
        return -1;
    if (ws_wait(fd, POLLOUT, deadline_ms) <= 0)
        return -1;
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
        return -1;
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

static void report_refusal(const char *display, const struct ws_hop *hop, const struct ws_refusal *refusal)
{
    const char *meaning = ws_socks_meaning(hop->protocol, refusal->reply);
    int denial = refusal->reply < 0 || refusal->reason[0] != '\0' || (hop->protocol == 5 ? refusal->reply == 2 : refusal->reply != 91);
    if (refusal->reply < 0)
        ws_report("windsock: connect to %s denied by proxy %s (%s)", display, hop->label, refusal->reason);
    else if (denial && refusal->reason[0] != '\0')
        ws_report("windsock: connect to %s denied by proxy %s (%s; reply %d, %s)", display, hop->label, refusal->reason, refusal->reply, meaning);
    else if (denial)
        ws_report("windsock: connect to %s denied by proxy %s (reply %d, %s)", display, hop->label, refusal->reply, meaning);
    else
        ws_report("windsock: connect to %s failed at proxy %s: %s (reply %d)", display, hop->label, meaning, refusal->reply);
}

/* The VIA answer: "VIA display tries", then per try "TRY address port hops" and its "HOP ..." lines. */
static int via_proxies(int fd, const struct sockaddr *asked, socklen_t asked_length, char *header, char **lines)
{
    char *display = ws_field(&header);
    char *tries_text = ws_field(&header);
    if (display == NULL || tries_text == NULL) {
        errno = EPROTO;
        return -1;
    }
    ws_decode(display);
    int tries = atoi(tries_text);

    int status = fcntl(fd, F_GETFL);
    int nonblocking = status >= 0 && (status & O_NONBLOCK);
    if (status >= 0 && !nonblocking)
        fcntl(fd, F_SETFL, status | O_NONBLOCK);
    long long deadline = ws_now_ms() + WS_CONNECT_TIMEOUT_MS;

    static __thread struct ws_hop hops[WS_MAX_HOPS];
    int result = -1, result_errno = ECONNREFUSED;
    char unreachable[400] = "";
    for (int attempt = 0; attempt < tries; attempt++) {
        char *line = ws_line(lines);
        char *word = line ? ws_field(&line) : NULL;
        char *address = line ? ws_field(&line) : NULL;
        char *port = line ? ws_field(&line) : NULL;
        char *count = line ? ws_field(&line) : NULL;
        if (word == NULL || strcmp(word, "TRY") != 0 || address == NULL || port == NULL || count == NULL) {
            result_errno = EPROTO;
            break;
        }
        int hop_count = atoi(count);
        if (hop_count < 1 || hop_count > WS_MAX_HOPS) {
            result_errno = EPROTO;
            break;
        }
        int parsed = 1;
        for (int h = 0; h < hop_count; h++) {
            char *hop_line = ws_line(lines);
            char *fields[7];
            for (int f = 0; f < 7; f++)
                fields[f] = hop_line ? ws_field(&hop_line) : NULL;
            if (fields[6] == NULL || strcmp(fields[0], "HOP") != 0) {
                parsed = 0;
                break;
            }
            struct ws_hop *hop = &hops[h];
            hop->protocol = strcmp(fields[1], "4a") == 0 ? 0x4a : atoi(fields[1]);
            snprintf(hop->user, sizeof hop->user, "%s", ws_decode(fields[2]));
            snprintf(hop->password, sizeof hop->password, "%s", ws_decode(fields[3]));
            snprintf(hop->target, sizeof hop->target, "%s", ws_decode(fields[4]));
            hop->target_port = atoi(fields[5]);
            snprintf(hop->label, sizeof hop->label, "%s", ws_decode(fields[6]));
        }
        if (!parsed) {
            result_errno = EPROTO;
            break;
        }

        struct sockaddr_storage proxy;
        socklen_t proxy_length = ws_parse_address(address, atoi(port), &proxy);
        if (attempt > 0 && replace_socket(fd, proxy.ss_family) != 0) {
            result_errno = errno;
            break;
        }
        if (proxy_length == 0 || (proxy_length = fit_family(fd, &proxy, proxy_length)) == 0 || ws_connect_and_wait(fd, (struct sockaddr *)&proxy, proxy_length, deadline) != 0) {
            /* Unreachable: the next proxy of the route may be tried, as Router does. */
            result_errno = errno;
            snprintf(unreachable, sizeof unreachable, "cannot reach proxy %s: %s", hops[0].label, strerror(errno));
            for (int h = 0; h < hop_count; h++)
                ws_line(lines);
            continue;
        }

        struct ws_refusal refusal;
        int h;
        for (h = 0; h < hop_count; h++) {
            if (ws_socks_handshake(fd, &hops[h], deadline, &refusal) != 0)
                break;
        }
        if (h < hop_count) {
            /* The proxy answered: its refusal decides, no other proxy is tried. */
            result_errno = errno;
            if (refusal.reply != 0)
                report_refusal(display, &hops[h], &refusal);
            else
                ws_report("windsock: connect to %s failed at proxy %s: %s", display, hops[h].label, strerror(errno));
            unreachable[0] = '\0';
            break;
        }
        ws_peer_remember(fd, asked, asked_length);
        ws_bind_note_connection(fd, asked, asked_length);
        result = 0;
        unreachable[0] = '\0';
        break;
    }
    if (result != 0 && unreachable[0] != '\0')
        ws_report("windsock: connect to %s failed: %s", display, unreachable);

    if (status >= 0 && !nonblocking)
        fcntl(fd, F_SETFL, status);
    if (result == 0 && nonblocking) {
        errno = EINPROGRESS;
        return -1;
    }
    if (result != 0)
        errno = result_errno;
    return result;
}

/* 1 when a datagram (or a UDP connect) to target may go out: loopback, or windsock says direct. */
int ws_udp_allowed(const struct sockaddr *target, socklen_t length)
{
    if (ws_is_loopback(target))
        return 1;
    char text[64];
    int port;
    if (ws_format_address(target, length, text, sizeof text, &port) != 0)
        return 1;
    /* The last destination allowed, per thread: a UDP conversation asks once. */
    static __thread char last_allowed[80];
    char key[80];
    snprintf(key, sizeof key, "%s %d", text, port);
    if (strcmp(key, last_allowed) == 0)
        return 1;
    char request[128], reply[256];
    snprintf(request, sizeof request, "UDP %d %s %d", (int)getpid(), text, port);
    if (ws_control(request, reply, sizeof reply) < 0) {
        ws_report("windsock: UDP to %s refused: the windsock run process cannot be asked (%s)", key, strerror(errno));
        errno = EACCES;
        return 0;
    }
    if (strncmp(reply, "PASS", 4) == 0) {
        snprintf(last_allowed, sizeof last_allowed, "%s", key);
        return 1;
    }
    if (strncmp(reply, "VIA", 3) == 0) {
        ws_report("windsock: UDP to %s refused: the syscall engine does not relay UDP through proxies yet (the preload does)", key);
        errno = EACCES;
        return 0;
    }
    errno = strncmp(reply, "DENY ", 5) == 0 ? atoi(reply + 5) : EACCES;
    return 0;
}

int ws_route_connect(int fd, const struct sockaddr *address, socklen_t length, int *pass)
{
    char text[64];
    int port;
    *pass = 0;
    if (ws_format_address(address, length, text, sizeof text, &port) != 0) {
        *pass = 1;
        return 0;
    }

    static __thread char reply[WS_REPLY_MAX];
    char request[160];
    snprintf(request, sizeof request, "CONNECT %d %s %d", (int)getpid(), text, port);
    if (ws_control(request, reply, sizeof reply) < 0) {
        /* Fail closed: without windsock there is no route, and going direct would leak. */
        ws_report("windsock: connect to %s:%d refused: the windsock run process cannot be asked (%s)", text, port, strerror(errno));
        errno = EACCES;
        return -1;
    }
    char *cursor = reply;
    char *line = ws_line(&cursor);
    char *word = line ? ws_field(&line) : NULL;
    if (word != NULL && strcmp(word, "PASS") == 0) {
        *pass = 1;
        return 0;
    }
    if (word != NULL && strcmp(word, "DENY") == 0) {
        char *code = ws_field(&line);
        errno = code ? atoi(code) : EACCES;
        return -1;
    }
    if (word != NULL && strcmp(word, "DIRECT") == 0) {
        /* A mapped name routed direct: windsock resolved it here; the program keeps seeing its mapped address. */
        char *real = ws_field(&line);
        struct sockaddr_storage target;
        socklen_t target_length = real ? ws_parse_address(real, port, &target) : 0;
        if (target_length == 0 || (target_length = fit_family(fd, &target, target_length)) == 0) {
            errno = EPROTO;
            return -1;
        }
        int r = ws_real.connect(fd, (struct sockaddr *)&target, target_length);
        if (r == 0 || errno == EINPROGRESS)
            ws_peer_remember(fd, address, length);
        return r;
    }
    if (word != NULL && strcmp(word, "VIA") == 0)
        return via_proxies(fd, address, length, line, &cursor);
    errno = EPROTO;
    return -1;
}

WS_EXPORT int connect(int fd, const struct sockaddr *address, socklen_t length)
{
    ws_init();
    if (address == NULL || length < sizeof(sa_family_t) || (address->sa_family != AF_INET && address->sa_family != AF_INET6))
        return ws_real.connect(fd, address, length);
    int type = socket_type(fd);
    if (type == SOCK_DGRAM) {
        int result;
        return ws_udp_connect(fd, address, length, &result) ? result : ws_real.connect(fd, address, length);
    }
    if (type != SOCK_STREAM)
        return ws_real.connect(fd, address, length);
    struct sockaddr_storage peer;
    socklen_t peer_length;
    if (ws_peer_lookup(fd, &peer, &peer_length)) {
        /* Connected by us already (a program asking again whether its non-blocking connect finished): EISCONN. */
        return ws_real.connect(fd, address, length);
    }
    int saved_errno = errno;
    int pass;
    int r = ws_route_connect(fd, address, length, &pass);
    if (pass)
        return ws_real.connect(fd, address, length);
    if (r == 0)
        errno = saved_errno;
    return r;
}

WS_EXPORT int getpeername(int fd, struct sockaddr *address, socklen_t *length)
{
    ws_init();
    struct sockaddr_storage peer;
    socklen_t peer_length;
    if (address != NULL && length != NULL && (ws_peer_lookup(fd, &peer, &peer_length) || ws_udp_peer(fd, &peer, &peer_length))) {
        memcpy(address, &peer, *length < peer_length ? *length : peer_length);
        *length = peer_length;
        return 0;
    }
    return ws_real.getpeername(fd, address, length);
}

WS_EXPORT int getsockname(int fd, struct sockaddr *address, socklen_t *length)
{
    ws_init();
    if (address != NULL && length != NULL && ws_bind_sockname(fd, address, length))
        return 0;
    int r = ws_real.getsockname(fd, address, length);
    struct sockaddr_storage peer;
    socklen_t peer_length;
    /* An IPv4 destination reached over an IPv6 socket to the proxy: show the program an IPv4 address. */
    if (r == 0 && address != NULL && address->sa_family == AF_INET6 && *length >= sizeof(struct sockaddr_in6)
        && ws_peer_lookup(fd, &peer, &peer_length) && peer.ss_family == AF_INET && socket_family(fd) == AF_INET6) {
        struct sockaddr_in6 six = *(struct sockaddr_in6 *)address;
        if (IN6_IS_ADDR_V4MAPPED(&six.sin6_addr)) {
            struct sockaddr_in four = { .sin_family = AF_INET, .sin_port = six.sin6_port };
            memcpy(&four.sin_addr, six.sin6_addr.s6_addr + 12, 4);
            memcpy(address, &four, sizeof four);
            *length = sizeof four;
        }
    }
    return r;
}

WS_EXPORT ssize_t sendto(int fd, const void *data, size_t size, int flags, const struct sockaddr *address, socklen_t length)
{
    ws_init();
    int type = socket_type(fd);
    int inet = address != NULL && length >= sizeof(sa_family_t) && (address->sa_family == AF_INET || address->sa_family == AF_INET6);
    if (type == SOCK_DGRAM && (inet || address == NULL)) {
        struct iovec part = { .iov_base = (void *)data, .iov_len = size };
        ssize_t result;
        if (ws_udp_send(fd, &part, 1, flags, inet ? address : NULL, length, &result))
            return result;
    }
    if (type == SOCK_STREAM && inet && (flags & MSG_FASTOPEN)) {
        /* TCP Fast Open connects implicitly: through the route instead, then an ordinary send. */
        if (connect(fd, address, length) != 0 && errno != EINPROGRESS)
            return -1;
        return ws_real.send(fd, data, size, flags & ~MSG_FASTOPEN);
    }
    return ws_real.sendto(fd, data, size, flags, address, length);
}

WS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *message, int flags)
{
    ws_init();
    const struct sockaddr *address = message != NULL ? message->msg_name : NULL;
    int inet = address != NULL && message->msg_namelen >= sizeof(sa_family_t) && (address->sa_family == AF_INET || address->sa_family == AF_INET6);
    if (message != NULL && (inet || address == NULL) && socket_type(fd) == SOCK_DGRAM) {
        ssize_t result;
        if (ws_udp_send(fd, message->msg_iov, message->msg_iovlen, flags, inet ? address : NULL, message->msg_namelen, &result))
            return result;
    }
    return ws_real.sendmsg(fd, message, flags);
}

WS_EXPORT int bind(int fd, const struct sockaddr *address, socklen_t length)
{
    ws_init();
    int result;
    return ws_bind(fd, address, length, &result) ? result : ws_real.bind(fd, address, length);
}

WS_EXPORT int listen(int fd, int backlog)
{
    ws_init();
    /* A socket whose listening the proxy does (BIND) is already "listening". */
    return ws_bind_is_bound(fd) ? 0 : ws_real.listen(fd, backlog);
}

WS_EXPORT int accept(int fd, struct sockaddr *address, socklen_t *length)
{
    ws_init();
    int result;
    return ws_bind_accept(fd, address, length, 0, &result) ? result : ws_real.accept(fd, address, length);
}

WS_EXPORT int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags)
{
    ws_init();
    int result;
    return ws_bind_accept(fd, address, length, flags, &result) ? result : ws_real.accept4(fd, address, length, flags);
}
