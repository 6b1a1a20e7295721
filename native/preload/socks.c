/* The client side of SOCKS5 (RFC 1928, RFC 1929 username/password, Windsock's reason extension)
 * and SOCKS4/4a, one hop at a time, on the program's own socket. The socket is non-blocking here;
 * every read and write waits with poll() against one deadline for the whole connection. */
#include "preload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Windsock's private method (docs/protocol-extensions.md): offered last, never selected; a Windsock
 * server then follows a failure reply with the reason in words. */
#define WS_REASON_METHOD 0xE5
/* How long to wait for a reason after a failure reply, as Windsock.Client does. */
#define WS_REASON_WAIT_MS 2000

long long ws_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int ws_wait(int fd, short events, long long deadline_ms)
{
    for (;;) {
        /* A deadline already past still gets one look (timeout 0): "is it ready now?". */
        long long left = deadline_ms - ws_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r > 0)
            return 1;
        if (left == 0) {
            errno = ETIMEDOUT;
            return 0;
        }
    }
}

static int send_all(int fd, const unsigned char *data, size_t length, long long deadline_ms)
{
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            length -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (ws_wait(fd, POLLOUT, deadline_ms) <= 0)
                return -1;
            continue;
        }
        return -1;
    }
    return 0;
}

/* Exactly length bytes: the bytes after a reply belong to the program. 0 on success; -1 with errno
 * (ECONNRESET when the proxy closed early). */
static int receive_exactly(int fd, unsigned char *data, size_t length, long long deadline_ms)
{
    while (length > 0) {
        ssize_t n = recv(fd, data, length, 0);
        if (n > 0) {
            data += n;
            length -= (size_t)n;
            continue;
        }
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (ws_wait(fd, POLLIN, deadline_ms) <= 0)
                return -1;
            continue;
        }
        return -1;
    }
    return 0;
}

const char *ws_socks_meaning(int protocol, int reply)
{
    if (protocol != 5) {
        switch (reply) {
        case 91: return "request rejected or failed";
        case 92: return "rejected: the proxy could not reach this client's identd";
        case 93: return "rejected: identd reported a different user than the user id";
        default: return "unknown SOCKS4 reply code";
        }
    }
    switch (reply) {
    case 1: return "general SOCKS server failure";
    case 2: return "connection not allowed by ruleset";
    case 3: return "network unreachable";
    case 4: return "host unreachable";
    case 5: return "connection refused";
    case 6: return "TTL expired";
    case 7: return "command not supported";
    case 8: return "address type not supported";
    default: return "unassigned reply code";
    }
}

int ws_socks_errno(int protocol, int reply)
{
    if (protocol != 5)
        return reply == 91 ? ECONNREFUSED : EACCES;
    switch (reply) {
    case 2: return EACCES;
    case 3: return ENETUNREACH;
    case 4: return EHOSTUNREACH;
    case 6: return ETIMEDOUT;
    default: return ECONNREFUSED;
    }
}

/* After a failure reply: the rest of the reply, then maybe VER=1 LEN(2) REASON. Never fails. */
static void read_reason(int fd, const unsigned char head[5], long long deadline_ms, struct ws_refusal *refusal)
{
    long long bound = ws_now_ms() + WS_REASON_WAIT_MS;
    if (bound > deadline_ms)
        bound = deadline_ms;
    unsigned char rest[300];
    size_t more;
    switch (head[3]) {
    case 1: more = 4 - 1 + 2; break;
    case 4: more = 16 - 1 + 2; break;
    case 3: more = (size_t)head[4] + 2; break;
    default: return;
    }
    if (receive_exactly(fd, rest, more, bound) != 0)
        return;
    unsigned char reason_head[3];
    if (receive_exactly(fd, reason_head, 3, bound) != 0 || reason_head[0] != 1)
        return;
    size_t length = (size_t)reason_head[1] << 8 | reason_head[2];
    if (length == 0 || length >= sizeof refusal->reason)
        return;
    if (receive_exactly(fd, (unsigned char *)refusal->reason, length, bound) != 0) {
        refusal->reason[0] = '\0';
        return;
    }
    refusal->reason[length] = '\0';
}

static int socks5(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal, int command, struct sockaddr_storage *bound)
{
    unsigned char buffer[600];
    int with_password = hop->user[0] != '\0';

    /* +----+----------+----------+
     * |VER | NMETHODS | METHODS  |
     * +----+----------+----------+  none, username/password when we have one, then the reason method */
    size_t n = 0;
    buffer[n++] = 5;
    buffer[n++] = (unsigned char)(with_password ? 3 : 2);
    buffer[n++] = 0x00;
    if (with_password)
        buffer[n++] = 0x02;
    buffer[n++] = WS_REASON_METHOD;
    if (send_all(fd, buffer, n, deadline_ms) != 0 || receive_exactly(fd, buffer, 2, deadline_ms) != 0)
        return -1;
    if (buffer[0] != 5) {
        errno = EPROTO;
        return -1;
    }
    if (buffer[1] == 0x02 && with_password) {
        /* RFC 1929: VER is the sub-negotiation's 1. */
        size_t ulen = strlen(hop->user), plen = strlen(hop->password);
        n = 0;
        buffer[n++] = 1;
        buffer[n++] = (unsigned char)ulen;
        memcpy(buffer + n, hop->user, ulen);
        n += ulen;
        buffer[n++] = (unsigned char)plen;
        memcpy(buffer + n, hop->password, plen);
        n += plen;
        if (send_all(fd, buffer, n, deadline_ms) != 0 || receive_exactly(fd, buffer, 2, deadline_ms) != 0)
            return -1;
        if (buffer[1] != 0) {
            refusal->reply = -1;
            snprintf(refusal->reason, sizeof refusal->reason, "user '%s' rejected (status %d)", hop->user, buffer[1]);
            errno = EACCES;
            return -1;
        }
    } else if (buffer[1] != 0x00) {
        refusal->reply = -1;
        snprintf(refusal->reason, sizeof refusal->reason, buffer[1] == 0xFF
                     ? (with_password ? "it accepted no authentication method offered" : "it requires authentication; give user:password@ in the proxy URL")
                     : "it chose a method that was not offered");
        errno = EACCES;
        return -1;
    }

    /* +----+-----+-------+------+----------+----------+
     * |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
     * +----+-----+-------+------+----------+----------+ */
    n = 0;
    buffer[n++] = 5;
    buffer[n++] = (unsigned char)command; /* 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE */
    buffer[n++] = 0;
    struct in_addr four;
    struct in6_addr six;
    if (inet_pton(AF_INET, hop->target, &four) == 1) {
        buffer[n++] = 1;
        memcpy(buffer + n, &four, 4);
        n += 4;
    } else if (inet_pton(AF_INET6, hop->target, &six) == 1) {
        buffer[n++] = 4;
        memcpy(buffer + n, &six, 16);
        n += 16;
    } else {
        size_t length = strlen(hop->target);
        buffer[n++] = 3;
        buffer[n++] = (unsigned char)length;
        memcpy(buffer + n, hop->target, length);
        n += length;
    }
    buffer[n++] = (unsigned char)(hop->target_port >> 8);
    buffer[n++] = (unsigned char)(hop->target_port & 0xff);
    if (send_all(fd, buffer, n, deadline_ms) != 0)
        return -1;

    return ws_socks_read_reply(fd, deadline_ms, refusal, bound);
}

int ws_socks_read_reply(int fd, long long deadline_ms, struct ws_refusal *refusal, struct sockaddr_storage *bound)
{
    unsigned char buffer[300];
    /* +----+-----+-------+------+----------+----------+
     * |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
     * +----+-----+-------+------+----------+----------+  five bytes first: they hold a name's length */
    if (receive_exactly(fd, buffer, 5, deadline_ms) != 0)
        return -1;
    if (buffer[0] != 5) {
        errno = EPROTO;
        return -1;
    }
    if (buffer[1] != 0) {
        refusal->reply = buffer[1];
        read_reason(fd, buffer, deadline_ms, refusal);
        errno = ws_socks_errno(5, buffer[1]);
        return -1;
    }
    size_t rest;
    switch (buffer[3]) {
    case 1: rest = 4 - 1 + 2; break;
    case 4: rest = 16 - 1 + 2; break;
    case 3: rest = (size_t)buffer[4] + 2; break;
    default: errno = EPROTO; return -1;
    }
    if (receive_exactly(fd, buffer + 5, rest, deadline_ms) != 0)
        return -1;
    if (bound != NULL) {
        memset(bound, 0, sizeof *bound);
        if (buffer[3] == 1) {
            struct sockaddr_in *b4 = (struct sockaddr_in *)bound;
            b4->sin_family = AF_INET;
            memcpy(&b4->sin_addr, buffer + 4, 4);
            memcpy(&b4->sin_port, buffer + 8, 2);
        } else if (buffer[3] == 4) {
            struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)bound;
            b6->sin6_family = AF_INET6;
            memcpy(&b6->sin6_addr, buffer + 4, 16);
            memcpy(&b6->sin6_port, buffer + 20, 2);
        } else {
            errno = EPROTO; /* an address given as a name: not followed */
            return -1;
        }
    }
    return 0;
}

static int socks4(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal)
{
    /* +----+----+----+----+----+----+----+----+----+----+....+----+ [+ name + NUL for 4a]
     * | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
     * +----+----+----+----+----+----+----+----+----+----+....+----+ */
    unsigned char buffer[600];
    size_t n = 0;
    struct in_addr four;
    int by_name = inet_pton(AF_INET, hop->target, &four) != 1;
    if (by_name && hop->protocol != 0x4a) {
        errno = EAFNOSUPPORT; /* windsock resolves names for SOCKS4 hops before answering */
        return -1;
    }
    buffer[n++] = 4;
    buffer[n++] = 1;
    buffer[n++] = (unsigned char)(hop->target_port >> 8);
    buffer[n++] = (unsigned char)(hop->target_port & 0xff);
    if (by_name) {
        const unsigned char invalid[4] = { 0, 0, 0, 1 };
        memcpy(buffer + n, invalid, 4);
    } else {
        memcpy(buffer + n, &four, 4);
    }
    n += 4;
    size_t ulen = strlen(hop->user);
    memcpy(buffer + n, hop->user, ulen);
    n += ulen;
    buffer[n++] = 0;
    if (by_name) {
        size_t length = strlen(hop->target);
        memcpy(buffer + n, hop->target, length + 1);
        n += length + 1;
    }
    if (send_all(fd, buffer, n, deadline_ms) != 0 || receive_exactly(fd, buffer, 8, deadline_ms) != 0)
        return -1;
    if (buffer[1] != 90) {
        refusal->reply = buffer[1];
        errno = ws_socks_errno(4, buffer[1]);
        return -1;
    }
    return 0;
}

int ws_socks_handshake(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal)
{
    refusal->reply = 0;
    refusal->reason[0] = '\0';
    return hop->protocol == 5 ? socks5(fd, hop, deadline_ms, refusal, 1, NULL) : socks4(fd, hop, deadline_ms, refusal);
}

int ws_socks_associate(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal, struct sockaddr_storage *bound)
{
    refusal->reply = 0;
    refusal->reason[0] = '\0';
    return socks5(fd, hop, deadline_ms, refusal, 3, bound);
}

int ws_socks_bind(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal, struct sockaddr_storage *announced)
{
    refusal->reply = 0;
    refusal->reason[0] = '\0';
    return socks5(fd, hop, deadline_ms, refusal, 2, announced);
}
