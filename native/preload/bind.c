/* BIND through the proxy (RFC 1928's BIND; the handbook's active FTP) for a program's listening
 * socket that waits for a peer of a proxied connection. Detected the way FTP clients work: a TCP
 * socket bound to port 0 of the local address of a connection this process made through the proxy
 * (ftp binds its data socket to its control connection's address) asks the proxy to listen instead:
 * the socket becomes a connection of ours to the proxy carrying a BIND request for that connection's
 * destination. getsockname then answers the address the proxy announced (what ftp sends in PORT or
 * EPRT), listen() succeeds, poll/select see the socket readable when the proxy's second reply (the
 * peer connected) arrives, and accept() reads that reply and returns the same connection as the
 * accepted socket, with the peer the proxy names. */
#include "preload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WS_RECENT 32
#define WS_BINDS 64
/* How long accept() waits for the proxy's second reply; the proxy gives up first (bind.timeout). */
#define WS_BIND_WAIT_MS (10 * 60 * 1000)

struct recent_connection {
    int used;
    struct sockaddr_storage local;
    struct sockaddr_storage asked;
    socklen_t asked_length;
};

struct bound_socket {
    ino_t inode;
    int accepted;
    struct sockaddr_storage announced;
    socklen_t announced_length;
    char display[320];
    char label[320];
};

static struct recent_connection recent[WS_RECENT];
static int recent_next;
static struct bound_socket bounds[WS_BINDS];
static pthread_mutex_t bind_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

void ws_bind_note_connection(int fd, const struct sockaddr *asked, socklen_t asked_length)
{
    struct sockaddr_storage local;
    socklen_t length = sizeof local;
    if (ws_real.getsockname(fd, (struct sockaddr *)&local, &length) != 0 || asked_length > sizeof(struct sockaddr_storage))
        return;
    pthread_mutex_lock(&bind_lock);
    struct recent_connection *entry = &recent[recent_next++ % WS_RECENT];
    entry->used = 1;
    entry->local = local;
    memcpy(&entry->asked, asked, asked_length);
    entry->asked_length = asked_length;
    pthread_mutex_unlock(&bind_lock);
}

static struct bound_socket *find_locked(int fd)
{
    ino_t inode;
    if (ws_socket_inode(fd, &inode) != 0)
        return NULL;
    for (int i = 0; i < WS_BINDS; i++)
        if (bounds[i].inode == inode)
            return &bounds[i];
    return NULL;
}

/* bind(): 1 handled (*result), 0 the kernel's. */
int ws_bind(int fd, const struct sockaddr *address, socklen_t length, int *result)
{
    if (address == NULL || (address->sa_family != AF_INET && address->sa_family != AF_INET6) || ws_port_of(address) != 0 || ws_is_loopback(address))
        return 0;
    int type = -1;
    socklen_t size = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_STREAM)
        return 0;
    struct sockaddr_storage wanted;
    memset(&wanted, 0, sizeof wanted);
    memcpy(&wanted, address, length < sizeof wanted ? length : sizeof wanted);
    struct recent_connection match;
    int found = 0;
    pthread_mutex_lock(&bind_lock);
    for (int i = 0; i < WS_RECENT; i++) {
        int k = (recent_next - 1 - i + WS_RECENT * 2) % WS_RECENT;
        if (recent[k].used && same_address(&recent[k].local, &wanted)) {
            match = recent[k];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&bind_lock);
    if (!found)
        return 0;

    /* The route of the connection it listens for: the same question as its connect. */
    char text[64], request[160];
    int port;
    static __thread char reply[WS_REPLY_MAX];
    if (ws_format_address((struct sockaddr *)&match.asked, match.asked_length, text, sizeof text, &port) != 0)
        return 0;
    snprintf(request, sizeof request, "BIND %d %s %d", (int)getpid(), text, port);
    if (ws_control(request, reply, sizeof reply) < 0)
        return 0;
    char *cursor = reply;
    char *line = ws_line(&cursor);
    char *word = line ? ws_field(&line) : NULL;
    if (word == NULL || strcmp(word, "VIA") != 0)
        return 0; /* direct: an ordinary listening socket is right */
    char *display = ws_field(&line);
    char *try_line = ws_line(&cursor);
    char *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = try_line ? ws_field(&try_line) : NULL;
    int hop_count = t[3] ? atoi(t[3]) : 0;
    if (display == NULL || hop_count < 1 || hop_count > 8)
        return 0;
    ws_decode(display);
    struct ws_hop hops[8];
    for (int h = 0; h < hop_count; h++) {
        char *hop_line = ws_line(&cursor);
        char *f[7];
        for (int i = 0; i < 7; i++)
            f[i] = hop_line ? ws_field(&hop_line) : NULL;
        if (f[6] == NULL)
            return 0;
        hops[h].protocol = strcmp(f[1], "4a") == 0 ? 0x4a : atoi(f[1]);
        snprintf(hops[h].user, sizeof hops[h].user, "%s", ws_decode(f[2]));
        snprintf(hops[h].password, sizeof hops[h].password, "%s", ws_decode(f[3]));
        snprintf(hops[h].target, sizeof hops[h].target, "%s", ws_decode(f[4]));
        hops[h].target_port = atoi(f[5]);
        snprintf(hops[h].label, sizeof hops[h].label, "%s", ws_decode(f[6]));
    }
    if (hops[hop_count - 1].protocol != 5) {
        ws_report("windsock: listening for %s through proxy %s: BIND is carried over SOCKS5 only here", display, hops[hop_count - 1].label);
        *result = -1;
        errno = EOPNOTSUPP;
        return 1;
    }

    struct sockaddr_storage proxy;
    socklen_t proxy_length = ws_parse_address(t[1], atoi(t[2]), &proxy);
    int control = proxy_length ? socket(proxy.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) : -1;
    long long deadline = ws_now_ms() + WS_CONNECT_TIMEOUT_MS;
    struct ws_refusal refusal = { 0, "" };
    struct sockaddr_storage announced;
    int ok = control >= 0 && ws_connect_and_wait(control, (struct sockaddr *)&proxy, proxy_length, deadline) == 0;
    for (int h = 0; ok && h < hop_count; h++)
        ok = (h + 1 < hop_count ? ws_socks_handshake(control, &hops[h], deadline, &refusal) : ws_socks_bind(control, &hops[h], deadline, &refusal, &announced)) == 0;
    if (!ok) {
        int e = errno;
        if (refusal.reply > 0)
            ws_report("windsock: listening for %s denied by proxy %s (%s%sreply %d, %s)", display, hops[hop_count - 1].label, refusal.reason, refusal.reason[0] ? "; " : "", refusal.reply, ws_socks_meaning(5, refusal.reply));
        else
            ws_report("windsock: listening for %s through proxy %s failed: %s", display, hops[0].label, strerror(e));
        if (control >= 0)
            ws_real.close(control);
        *result = -1;
        errno = e;
        return 1;
    }

    /* Our connection takes the program's descriptor, with its flags. */
    int status = fcntl(fd, F_GETFL);
    int descriptor = fcntl(fd, F_GETFD);
    if (dup3(control, fd, (descriptor & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
        int e = errno;
        ws_real.close(control);
        *result = -1;
        errno = e;
        return 1;
    }
    ws_real.close(control);
    fcntl(fd, F_SETFL, status);

    pthread_mutex_lock(&bind_lock);
    struct bound_socket *slot = NULL;
    for (int i = 0; i < WS_BINDS && slot == NULL; i++)
        if (bounds[i].inode == 0 || bounds[i].accepted)
            slot = &bounds[i];
    if (slot == NULL)
        slot = &bounds[0];
    memset(slot, 0, sizeof *slot);
    ws_socket_inode(fd, &slot->inode);
    slot->announced = announced;
    slot->announced_length = announced.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    snprintf(slot->display, sizeof slot->display, "%s", display);
    snprintf(slot->label, sizeof slot->label, "%s", hops[hop_count - 1].label);
    pthread_mutex_unlock(&bind_lock);
    *result = 0;
    return 1;
}

int ws_bind_sockname(int fd, struct sockaddr *address, socklen_t *length)
{
    pthread_mutex_lock(&bind_lock);
    struct bound_socket *b = find_locked(fd);
    int found = b != NULL;
    if (found) {
        memcpy(address, &b->announced, *length < b->announced_length ? *length : b->announced_length);
        *length = b->announced_length;
    }
    pthread_mutex_unlock(&bind_lock);
    return found;
}

int ws_bind_is_bound(int fd)
{
    pthread_mutex_lock(&bind_lock);
    int found = find_locked(fd) != NULL;
    pthread_mutex_unlock(&bind_lock);
    return found;
}

/* accept()/accept4(): 1 handled (*result is the new descriptor or -1), 0 the kernel's. */
int ws_bind_accept(int fd, struct sockaddr *address, socklen_t *length, int flags, int *result)
{
    pthread_mutex_lock(&bind_lock);
    struct bound_socket *b = find_locked(fd);
    struct bound_socket copy;
    if (b != NULL)
        copy = *b;
    pthread_mutex_unlock(&bind_lock);
    if (b == NULL)
        return 0;
    if (copy.accepted) {
        *result = -1;
        errno = EINVAL; /* one peer per BIND */
        return 1;
    }
    int status = fcntl(fd, F_GETFL);
    if ((status & O_NONBLOCK) && ws_wait(fd, POLLIN, ws_now_ms()) != 1) {
        *result = -1;
        errno = EAGAIN;
        return 1;
    }
    fcntl(fd, F_SETFL, status | O_NONBLOCK);
    struct ws_refusal refusal = { 0, "" };
    struct sockaddr_storage peer;
    int r = ws_socks_read_reply(fd, ws_now_ms() + WS_BIND_WAIT_MS, &refusal, &peer);
    fcntl(fd, F_SETFL, status);
    if (r != 0) {
        int e = errno;
        if (refusal.reply > 0)
            ws_report("windsock: waiting for %s through proxy %s failed: %s (reply %d)", copy.display, copy.label, ws_socks_meaning(5, refusal.reply), refusal.reply);
        *result = -1;
        errno = e == 0 ? ECONNABORTED : e;
        return 1;
    }
    int accepted = fcntl(fd, (flags & SOCK_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
    if (accepted < 0) {
        *result = -1;
        return 1;
    }
    if (flags & SOCK_NONBLOCK)
        fcntl(accepted, F_SETFL, fcntl(accepted, F_GETFL) | O_NONBLOCK);
    socklen_t peer_length = peer.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    ws_peer_remember(accepted, (struct sockaddr *)&peer, peer_length);
    if (address != NULL && length != NULL) {
        memcpy(address, &peer, *length < peer_length ? *length : peer_length);
        *length = peer_length;
    }
    pthread_mutex_lock(&bind_lock);
    b = find_locked(fd);
    if (b != NULL)
        b->accepted = 1;
    pthread_mutex_unlock(&bind_lock);
    *result = accepted;
    return 1;
}
