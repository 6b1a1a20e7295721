/* UDP through the proxy (SOCKS5 UDP ASSOCIATE, RFC 1928 section 7) for the program's own UDP socket.
 * The first datagram to a destination routed via a proxy opens an association: a TCP control
 * connection of ours to the proxy (kept as long as the socket lives), whose reply names the relay.
 * From then on each datagram goes to the relay with the header naming its destination (a mapped
 * address as its name, ATYP 3), and each datagram from the relay has its header taken off, its
 * sender reported as the header says. A UDP socket connect()ed to a proxied destination is
 * connected to the relay instead, so send/write/recv/read on it get the header added and removed.
 * sendmmsg/recvmmsg go datagram by datagram through the same paths. */
#include "preload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define WS_ASSOCIATIONS 256
#define WS_UDP_HEADER_MAX (4 + 1 + 255 + 2)

struct association {
    ino_t inode;
    int control;                    /* our TCP connection to the proxy; the association lives while it is open */
    struct sockaddr_storage relay;  /* in the program's socket's family */
    socklen_t relay_length;
    int connected;                  /* the program connect()ed the socket: fd is connected to the relay */
    struct sockaddr_storage peer;   /* what it connected to, as it asked (getpeername) */
    socklen_t peer_length;
    char peer_target[256];          /* the header's destination for send/write on a connected socket */
    int peer_port;
};

static struct association associations[WS_ASSOCIATIONS];
static pthread_mutex_t associations_lock = PTHREAD_MUTEX_INITIALIZER;
/* read/write/recv/send check this first, so programs without a proxied UDP socket pay nothing. */
static atomic_int association_count;

/* A copy of fd's association; 0 when it has none. */
static int find(int fd, struct association *out)
{
    ws_init();
    if (atomic_load(&association_count) == 0)
        return 0;
    ino_t inode;
    if (ws_socket_inode(fd, &inode) != 0)
        return 0;
    int found = 0;
    pthread_mutex_lock(&associations_lock);
    for (int i = 0; i < WS_ASSOCIATIONS; i++) {
        if (associations[i].control > 0 && associations[i].inode == inode) {
            *out = associations[i];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&associations_lock);
    return found;
}

int ws_udp_is_associated(int fd)
{
    struct association a;
    return find(fd, &a);
}

void ws_udp_forget(int fd)
{
    if (atomic_load(&association_count) == 0)
        return;
    ino_t inode;
    if (ws_socket_inode(fd, &inode) != 0)
        return;
    pthread_mutex_lock(&associations_lock);
    for (int i = 0; i < WS_ASSOCIATIONS; i++) {
        if (associations[i].control > 0 && associations[i].inode == inode) {
            /* The last descriptor of the socket is closing only if no other refers to it; a dup'd one
             * keeps the inode, and then the association too. Closing ours early is the safe side: the
             * proxy ends the relay, and the next datagram opens a new association. */
            ws_real.close(associations[i].control);
            associations[i].control = 0;
            atomic_fetch_sub(&association_count, 1);
        }
    }
    pthread_mutex_unlock(&associations_lock);
}

/* Opens the association for fd with the hop of a "VIA" answer; fills a (not yet stored). */
static int associate(int fd, const char *proxy_address, int proxy_port, struct ws_hop *hop, const char *display, struct association *a)
{
    long long deadline = ws_now_ms() + WS_CONNECT_TIMEOUT_MS;
    struct sockaddr_storage proxy;
    socklen_t proxy_length = ws_parse_address(proxy_address, proxy_port, &proxy);
    if (proxy_length == 0) {
        errno = EPROTO;
        return -1;
    }

    /* The datagrams' source port, so the proxy can pin it: bind an unbound socket now. */
    struct sockaddr_storage local;
    socklen_t local_length = sizeof local;
    int family = -1;
    socklen_t size = sizeof family;
    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &size);
    if (ws_real.getsockname(fd, (struct sockaddr *)&local, &local_length) == 0
        && ((local.ss_family == AF_INET && ((struct sockaddr_in *)&local)->sin_port == 0)
            || (local.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&local)->sin6_port == 0))) {
        struct sockaddr_storage any;
        memset(&any, 0, sizeof any);
        any.ss_family = (sa_family_t)family;
        bind(fd, (struct sockaddr *)&any, family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
        local_length = sizeof local;
        ws_real.getsockname(fd, (struct sockaddr *)&local, &local_length);
    }
    int local_port = local.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&local)->sin_port) : ntohs(((struct sockaddr_in6 *)&local)->sin6_port);

    int control = socket(proxy.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (control < 0)
        return -1;
    if (ws_connect_and_wait(control, (struct sockaddr *)&proxy, proxy_length, deadline) != 0) {
        int e = errno;
        ws_report("windsock: UDP to %s failed: cannot reach proxy %s: %s", display, hop->label, strerror(e));
        ws_real.close(control);
        errno = e;
        return -1;
    }

    /* The hop's handshake, with UDP ASSOCIATE for the command and our port as DST. */
    struct ws_hop request = *hop;
    snprintf(request.target, sizeof request.target, "%s", family == AF_INET6 ? "::" : "0.0.0.0");
    request.target_port = local_port;
    struct ws_refusal refusal;
    struct sockaddr_storage bound;
    if (ws_socks_associate(control, &request, deadline, &refusal, &bound) != 0) {
        int e = errno;
        if (refusal.reply > 0 && refusal.reason[0] != '\0')
            ws_report("windsock: UDP to %s denied by proxy %s (%s; reply %d, %s)", display, hop->label, refusal.reason, refusal.reply, ws_socks_meaning(5, refusal.reply));
        else if (refusal.reply > 0)
            ws_report("windsock: UDP to %s failed at proxy %s: %s (reply %d)", display, hop->label, ws_socks_meaning(5, refusal.reply), refusal.reply);
        else
            ws_report("windsock: UDP to %s failed at proxy %s: %s", display, hop->label, refusal.reply < 0 ? refusal.reason : strerror(e));
        ws_real.close(control);
        errno = e;
        return -1;
    }
    int flags = fcntl(control, F_GETFL);
    fcntl(control, F_SETFL, flags & ~O_NONBLOCK);

    /* A relay announced as 0.0.0.0 or :: is at the proxy's own address. */
    int unspecified = (bound.ss_family == AF_INET && ((struct sockaddr_in *)&bound)->sin_addr.s_addr == 0)
        || (bound.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&bound)->sin6_addr));
    int relay_port = bound.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port) : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    struct sockaddr_storage relay = unspecified ? proxy : bound;
    if (relay.ss_family == AF_INET)
        ((struct sockaddr_in *)&relay)->sin_port = htons((uint16_t)relay_port);
    else
        ((struct sockaddr_in6 *)&relay)->sin6_port = htons((uint16_t)relay_port);
    socklen_t relay_length = relay.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (family == AF_INET6 && relay.ss_family == AF_INET) {
        relay_length = ws_to_v4_mapped(&relay);
    } else if (family != relay.ss_family) {
        ws_real.close(control);
        errno = EAFNOSUPPORT;
        return -1;
    }

    memset(a, 0, sizeof *a);
    ws_socket_inode(fd, &a->inode);
    a->control = control;
    a->relay = relay;
    a->relay_length = relay_length;
    return 0;
}

static void store(const struct association *a)
{
    pthread_mutex_lock(&associations_lock);
    int slot = -1;
    for (int i = 0; i < WS_ASSOCIATIONS; i++) {
        if (associations[i].control > 0 && associations[i].inode == a->inode) {
            slot = i;
            break;
        }
        if (slot < 0 && associations[i].control <= 0)
            slot = i;
    }
    if (slot >= 0) {
        if (associations[slot].control <= 0)
            atomic_fetch_add(&association_count, 1);
        associations[slot] = *a;
    }
    pthread_mutex_unlock(&associations_lock);
}

/* RSV RSV FRAG ATYP DST.ADDR DST.PORT */
static size_t write_header(unsigned char *out, const char *target, int port)
{
    size_t n = 0;
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = 0;
    struct in_addr four;
    struct in6_addr six;
    if (inet_pton(AF_INET, target, &four) == 1) {
        out[n++] = 1;
        memcpy(out + n, &four, 4);
        n += 4;
    } else if (inet_pton(AF_INET6, target, &six) == 1) {
        out[n++] = 4;
        memcpy(out + n, &six, 16);
        n += 16;
    } else {
        size_t length = strlen(target);
        out[n++] = 3;
        out[n++] = (unsigned char)length;
        memcpy(out + n, target, length);
        n += length;
    }
    out[n++] = (unsigned char)(port >> 8);
    out[n++] = (unsigned char)(port & 0xff);
    return n;
}

/* The route of one destination: 1 proxied (target filled, association ready), 0 direct, -1 refused (errno). */
static int route(int fd, const struct sockaddr *destination, socklen_t length, char *target, size_t target_size, struct association *a)
{
    char text[64];
    int port;
    /* Loopback too: windsock keeps it direct unless a rule names it, like TCP. */
    if (ws_format_address(destination, length, text, sizeof text, &port) != 0)
        return 0;

    /* The last destination decided, per thread: a conversation asks once. */
    static __thread char last_key[80];
    static __thread char last_target[256];
    static __thread int last_proxied;
    char key[80];
    snprintf(key, sizeof key, "%s %d", text, port);
    struct association existing;
    int have = find(fd, &existing);
    if (strcmp(key, last_key) == 0 && (!last_proxied || have)) {
        if (!last_proxied)
            return 0;
        snprintf(target, target_size, "%s", last_target);
        *a = existing;
        return 1;
    }

    char request[160];
    static __thread char reply[WS_REPLY_MAX];
    snprintf(request, sizeof request, "UDP %d %s %d", (int)getpid(), text, port);
    if (ws_control(request, reply, sizeof reply) < 0) {
        ws_report("windsock: UDP to %s refused: the windsock run process cannot be asked (%s)", key, strerror(errno));
        errno = EACCES;
        return -1;
    }
    char *cursor = reply;
    char *line = ws_line(&cursor);
    char *word = line ? ws_field(&line) : NULL;
    if (word != NULL && strcmp(word, "PASS") == 0) {
        snprintf(last_key, sizeof last_key, "%s", key);
        last_proxied = 0;
        return 0;
    }
    if (word == NULL || strcmp(word, "VIA") != 0) {
        char *code = word != NULL && strcmp(word, "DENY") == 0 ? ws_field(&line) : NULL;
        errno = code ? atoi(code) : EACCES;
        return -1;
    }
    char *display = ws_field(&line);
    char *try_line = ws_line(&cursor);
    char *hop_line = ws_line(&cursor);
    char *fields[7];
    char *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = try_line ? ws_field(&try_line) : NULL;
    for (int i = 0; i < 7; i++)
        fields[i] = hop_line ? ws_field(&hop_line) : NULL;
    if (display == NULL || t[3] == NULL || fields[6] == NULL) {
        errno = EPROTO;
        return -1;
    }
    ws_decode(display);
    struct ws_hop hop;
    hop.protocol = 5;
    snprintf(hop.user, sizeof hop.user, "%s", ws_decode(fields[2]));
    snprintf(hop.password, sizeof hop.password, "%s", ws_decode(fields[3]));
    snprintf(hop.target, sizeof hop.target, "%s", ws_decode(fields[4]));
    hop.target_port = atoi(fields[5]);
    snprintf(hop.label, sizeof hop.label, "%s", ws_decode(fields[6]));
    if (!have) {
        if (associate(fd, t[1], atoi(t[2]), &hop, display, &existing) != 0)
            return -1;
        store(&existing);
    }
    snprintf(target, target_size, "%s", hop.target);
    snprintf(last_key, sizeof last_key, "%s", key);
    snprintf(last_target, sizeof last_target, "%s", hop.target);
    last_proxied = 1;
    *a = existing;
    return 1;
}

/* One datagram to the relay with its header; the payload size, or -1. */
static ssize_t send_wrapped(int fd, const struct association *a, const char *target, int port, const struct iovec *parts, size_t count, int flags)
{
    unsigned char header[WS_UDP_HEADER_MAX];
    struct iovec vector[64];
    if (count + 1 > sizeof vector / sizeof vector[0]) {
        errno = EMSGSIZE;
        return -1;
    }
    vector[0].iov_base = header;
    vector[0].iov_len = write_header(header, target, port);
    size_t payload = 0;
    for (size_t i = 0; i < count; i++) {
        vector[i + 1] = parts[i];
        payload += parts[i].iov_len;
    }
    struct msghdr message;
    memset(&message, 0, sizeof message);
    if (!a->connected) {
        message.msg_name = (void *)&a->relay;
        message.msg_namelen = a->relay_length;
    }
    message.msg_iov = vector;
    message.msg_iovlen = count + 1;
    ssize_t sent = ws_real.sendmsg(fd, &message, flags);
    return sent < 0 ? -1 : (ssize_t)payload;
}

/* 1 when the datagram was for the proxy (sent or failed: *result), 0 when the kernel should send it as asked. */
int ws_udp_send(int fd, const struct iovec *parts, size_t count, int flags, const struct sockaddr *destination, socklen_t length, ssize_t *result)
{
    char target[256];
    struct association a;
    if (destination == NULL) {
        if (!find(fd, &a) || !a.connected)
            return 0;
        *result = send_wrapped(fd, &a, a.peer_target, a.peer_port, parts, count, flags);
        return 1;
    }
    int r = route(fd, destination, length, target, sizeof target, &a);
    if (r == 0)
        return 0;
    *result = r < 0 ? -1 : send_wrapped(fd, &a, target, ws_port_of(destination), parts, count, flags);
    return 1;
}

/* connect() of a UDP socket: 1 handled (*result), 0 let the kernel connect as asked. */
int ws_udp_connect(int fd, const struct sockaddr *destination, socklen_t length, int *result)
{
    char target[256];
    struct association a;
    int r = route(fd, destination, length, target, sizeof target, &a);
    if (r == 0)
        return 0;
    if (r < 0) {
        *result = -1;
        return 1;
    }
    if (ws_real.connect(fd, (struct sockaddr *)&a.relay, a.relay_length) != 0) {
        *result = -1;
        return 1;
    }
    a.connected = 1;
    memcpy(&a.peer, destination, length);
    a.peer_length = length;
    snprintf(a.peer_target, sizeof a.peer_target, "%s", target);
    a.peer_port = ws_port_of(destination);
    store(&a);
    *result = 0;
    return 1;
}

int ws_udp_peer(int fd, struct sockaddr_storage *peer, socklen_t *length)
{
    struct association a;
    if (!find(fd, &a) || !a.connected)
        return 0;
    *peer = a.peer;
    *length = a.peer_length;
    return 1;
}

/* Takes the header off a datagram received on an associated socket, in place. Returns the payload
 * length, or -1 for a datagram to drop (fragments, garbage); fills the sender when asked. */
static ssize_t unwrap(unsigned char *data, size_t size, const struct association *a, struct sockaddr *sender, socklen_t *sender_length, size_t *offset)
{
    if (size < 4 || data[2] != 0)
        return -1;
    size_t at = 4;
    struct sockaddr_storage from;
    memset(&from, 0, sizeof from);
    socklen_t from_length = 0;
    if (data[3] == 1 && size >= at + 4 + 2) {
        struct sockaddr_in *four = (struct sockaddr_in *)&from;
        four->sin_family = AF_INET;
        memcpy(&four->sin_addr, data + at, 4);
        memcpy(&four->sin_port, data + at + 4, 2);
        at += 6;
        from_length = sizeof *four;
    } else if (data[3] == 4 && size >= at + 16 + 2) {
        struct sockaddr_in6 *six = (struct sockaddr_in6 *)&from;
        six->sin6_family = AF_INET6;
        memcpy(&six->sin6_addr, data + at, 16);
        memcpy(&six->sin6_port, data + at + 16, 2);
        at += 18;
        from_length = sizeof *six;
    } else if (data[3] == 3 && size >= at + 1 && size >= at + 1 + data[at] + 2) {
        /* A name: the sender is what the program sent to, when it is connected; else the relay. */
        at += 1 + data[at] + 2;
        from = a->connected ? a->peer : a->relay;
        from_length = a->connected ? a->peer_length : a->relay_length;
    } else {
        return -1;
    }
    if (a->connected) {
        /* The program connected to a name's mapped address: answers come from it. */
        from = a->peer;
        from_length = a->peer_length;
    }
    if (sender != NULL && sender_length != NULL) {
        memcpy(sender, &from, *sender_length < from_length ? *sender_length : from_length);
        *sender_length = from_length;
    }
    *offset = at;
    return (ssize_t)(size - at);
}

/* 1 when fd is associated: the datagram was received and unwrapped (*result), 0 otherwise. */
int ws_udp_receive(int fd, struct iovec *parts, size_t count, int flags, struct sockaddr *sender, socklen_t *sender_length, int *message_flags, ssize_t *result)
{
    struct association a;
    if (!find(fd, &a))
        return 0;
    size_t capacity = 0;
    for (size_t i = 0; i < count; i++)
        capacity += parts[i].iov_len;
    unsigned char *buffer = malloc(capacity + WS_UDP_HEADER_MAX);
    if (buffer == NULL) {
        errno = ENOMEM;
        *result = -1;
        return 1;
    }
    for (;;) {
        struct sockaddr_storage from;
        struct iovec whole = { .iov_base = buffer, .iov_len = capacity + WS_UDP_HEADER_MAX };
        struct msghdr message;
        memset(&message, 0, sizeof message);
        message.msg_name = &from;
        message.msg_namelen = sizeof from;
        message.msg_iov = &whole;
        message.msg_iovlen = 1;
        ssize_t n = ws_real.recvmsg(fd, &message, flags);
        if (n < 0) {
            *result = -1;
            break;
        }
        size_t offset = 0;
        ssize_t payload = unwrap(buffer, (size_t)n, &a, sender, sender_length, &offset);
        if (payload < 0) {
            if (flags & MSG_DONTWAIT) {
                errno = EAGAIN;
                *result = -1;
                break;
            }
            continue; /* dropped; wait for the next one as the kernel would */
        }
        size_t copied = 0;
        for (size_t i = 0; i < count && copied < (size_t)payload; i++) {
            size_t piece = parts[i].iov_len < (size_t)payload - copied ? parts[i].iov_len : (size_t)payload - copied;
            memcpy(parts[i].iov_base, buffer + offset + copied, piece);
            copied += piece;
        }
        if (message_flags != NULL)
            *message_flags = copied < (size_t)payload ? MSG_TRUNC : 0;
        *result = (flags & MSG_TRUNC) ? payload : (ssize_t)copied;
        break;
    }
    free(buffer);
    return 1;
}
