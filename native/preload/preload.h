/* windsock run's preload: what the parts of the library share. See README.md for the design. */
#ifndef WINDSOCK_PRELOAD_H
#define WINDSOCK_PRELOAD_H

#define _GNU_SOURCE
#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WS_EXPORT __attribute__((visibility("default")))

/* Room for one control reply: a route is a few lines, a name at most 255 bytes. */
#define WS_REPLY_MAX 8192

/* How long one proxy connection (TCP connect plus every hop's handshake) may take, as Router's ConnectTimeout. */
#define WS_CONNECT_TIMEOUT_MS 10000

/* The real functions, found with dlsym(RTLD_NEXT) once (ws_init). */
struct ws_real {
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*getpeername)(int, struct sockaddr *, socklen_t *);
    int (*getsockname)(int, struct sockaddr *, socklen_t *);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    int (*getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int);
    struct hostent *(*gethostbyname)(const char *);
    struct hostent *(*gethostbyname2)(const char *, int);
    int (*gethostbyname_r)(const char *, struct hostent *, char *, size_t, struct hostent **, int *);
    int (*gethostbyname2_r)(const char *, int, struct hostent *, char *, size_t, struct hostent **, int *);
    struct hostent *(*gethostbyaddr)(const void *, socklen_t, int);
    int (*gethostbyaddr_r)(const void *, socklen_t, int, struct hostent *, char *, size_t, struct hostent **, int *);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    int (*close)(int);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
    long (*syscall)(long, ...);
    int (*bind)(int, const struct sockaddr *, socklen_t);
    int (*listen)(int, int);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
};

extern struct ws_real ws_real;

/* Resolves the real functions and reads the environment; safe to call from every hook, every thread. */
void ws_init(void);

/* control.c: one request line to the windsock process, its whole reply back (NUL-terminated).
 * Returns the reply length, or -1 with errno when the windsock process cannot be asked. */
int ws_control(const char *request, char *reply, size_t reply_size);

/* A line for the user, printed by the windsock process on its standard error (ours may be a socket). */
void ws_report(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* %XX for bytes that would break a space-separated line; the windsock side decodes. */
void ws_encode(const char *in, char *out, size_t out_size);
/* In place; returns the string. */
char *ws_decode(char *s);
/* The next space-separated field of *cursor (NUL-terminated in place), or NULL at the end of the line. */
char *ws_field(char **cursor);
/* The next line of *cursor (NUL-terminated in place), or NULL. */
char *ws_line(char **cursor);

/* address.c: "1.2.3.4" / "2001:db8::1" (IPv4-mapped IPv6 shown as IPv4), and the port; 0 on success. */
int ws_format_address(const struct sockaddr *address, socklen_t length, char *text, size_t text_size, int *port);
/* A sockaddr for a literal and a port; returns its length, 0 when the text is not an address. */
socklen_t ws_parse_address(const char *text, int port, struct sockaddr_storage *out);
/* Is the address in the mapped (fake) ranges windsock answers names with? */
int ws_is_mapped(const struct sockaddr *address);
/* Loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
int ws_is_loopback(const struct sockaddr *address);
/* An IPv4 address rewritten in place as IPv4-mapped IPv6, for an IPv6 socket; returns its length. */
socklen_t ws_to_v4_mapped(struct sockaddr_storage *address);
int ws_port_of(const struct sockaddr *address);
/* Reads WINDSOCK_RUN_MAPPED4 / WINDSOCK_RUN_MAPPED6 (CIDR). */
void ws_load_mapped_ranges(void);

/* peers.c: what getpeername answers for sockets whose real peer is the proxy. Keyed by the socket's
 * inode, so dup(), fork() and fd reuse need no hooks: a stale entry never matches a new socket. */
void ws_peer_remember(int fd, const struct sockaddr *peer, socklen_t length);
/* 1 and the remembered peer when fd is a socket connected by us, else 0. */
int ws_peer_lookup(int fd, struct sockaddr_storage *peer, socklen_t *length);
void ws_peers_init(void);
/* The inode of a socket descriptor; -1 when fd is not a socket. */
int ws_socket_inode(int fd, ino_t *inode);

/* socks.c: one hop's handshake on a connected non-blocking socket, before deadline_ms (CLOCK_MONOTONIC). */
struct ws_hop {
    int protocol;          /* 5, 4, or 0x4a (SOCKS4a) */
    char user[256];        /* empty: no username/password */
    char password[256];
    char target[256];      /* what this hop is asked to reach: the next hop, or the destination */
    int target_port;
    char label[320];       /* the hop's URL without credentials, for messages */
};

/* Why a proxy refused: its reply code, and its own words when it sent them (Windsock's reason extension). */
struct ws_refusal {
    int reply;
    char reason[1024];
};

/* 0 when granted; -1 with errno otherwise (refusal->reply > 0 when the proxy answered with a failure code). */
int ws_socks_handshake(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal);
/* The errno a refused connect() reports for a reply code (docs/client-tools.md). */
int ws_socks_errno(int protocol, int reply);
const char *ws_socks_meaning(int protocol, int reply);

/* connect.c, shared with the syscall engine's supervisor (launcher.c). */
/* The route for a TCP connect of fd to address: as connect() returns, or 0 with *pass = 1 when the
 * caller should let the kernel connect as asked (loopback, direct). */
int ws_route_connect(int fd, const struct sockaddr *address, socklen_t length, int *pass);
/* 1 when UDP to target may go out as asked; 0 with errno (and a line reported) otherwise. */
int ws_udp_allowed(const struct sockaddr *target, socklen_t length);
/* The kernel's connect on a non-blocking socket, waited for until the deadline; 0 or -1 with errno. */
int ws_connect_and_wait(int fd, const struct sockaddr *target, socklen_t length, long long deadline_ms);
/* Set by the supervisor: fd is a duplicate of the program's socket, which must not be replaced. */
extern int ws_supervising;

/* udp.c: UDP ASSOCIATE for the program's UDP sockets (see there). Each returns 1 when it handled the
 * call (result in *result, errno set on -1), 0 when the kernel should do it as asked. */
struct iovec;
int ws_udp_send(int fd, const struct iovec *parts, size_t count, int flags, const struct sockaddr *destination, socklen_t length, ssize_t *result);
int ws_udp_connect(int fd, const struct sockaddr *destination, socklen_t length, int *result);
int ws_udp_receive(int fd, struct iovec *parts, size_t count, int flags, struct sockaddr *sender, socklen_t *sender_length, int *message_flags, ssize_t *result);
int ws_udp_peer(int fd, struct sockaddr_storage *peer, socklen_t *length);
int ws_udp_is_associated(int fd);
void ws_udp_forget(int fd);
/* socks.c: UDP ASSOCIATE on a connected control socket; the relay's address in *bound. */
int ws_socks_associate(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal, struct sockaddr_storage *bound);

/* BIND's first reply (the announced address) after the request; its second reply (the peer). */
int ws_socks_bind(int fd, const struct ws_hop *hop, long long deadline_ms, struct ws_refusal *refusal, struct sockaddr_storage *announced);
int ws_socks_read_reply(int fd, long long deadline_ms, struct ws_refusal *refusal, struct sockaddr_storage *bound);
/* bind.c: BIND for a listening socket waiting for a peer of a proxied connection (see there). */
void ws_bind_note_connection(int fd, const struct sockaddr *asked, socklen_t asked_length);
int ws_bind(int fd, const struct sockaddr *address, socklen_t length, int *result);
int ws_bind_sockname(int fd, struct sockaddr *address, socklen_t *length);
int ws_bind_is_bound(int fd);
int ws_bind_accept(int fd, struct sockaddr *address, socklen_t *length, int flags, int *result);

/* exec.c (the library only): keeps our variables in children's environments. */
void ws_exec_capture(void);

long long ws_now_ms(void);
/* poll() for events until the deadline; 1 ready, 0 timed out (errno ETIMEDOUT), -1 error. Restarts after EINTR. */
int ws_wait(int fd, short events, long long deadline_ms);

#endif
