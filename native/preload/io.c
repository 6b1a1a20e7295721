/* The data calls of a UDP socket associated through the proxy (udp.c): send/write add the header on
 * a socket the program connected, recv/read/recvfrom/recvmsg take it off, sendmmsg/recvmmsg go one
 * datagram at a time, close ends the association. Every other descriptor goes straight to the
 * kernel after one atomic load (ws_udp_* return 0 at once while no association exists). */
#include "preload.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/uio.h>

WS_EXPORT ssize_t send(int fd, const void *data, size_t size, int flags)
{
    struct iovec part = { .iov_base = (void *)data, .iov_len = size };
    ssize_t result;
    ws_init();
    return ws_udp_send(fd, &part, 1, flags, NULL, 0, &result) ? result : ws_real.send(fd, data, size, flags);
}

WS_EXPORT ssize_t write(int fd, const void *data, size_t size)
{
    struct iovec part = { .iov_base = (void *)data, .iov_len = size };
    ssize_t result;
    ws_init();
    return ws_udp_send(fd, &part, 1, 0, NULL, 0, &result) ? result : ws_real.write(fd, data, size);
}

WS_EXPORT ssize_t recv(int fd, void *data, size_t size, int flags)
{
    struct iovec part = { .iov_base = data, .iov_len = size };
    ssize_t result;
    ws_init();
    return ws_udp_receive(fd, &part, 1, flags, NULL, NULL, NULL, &result) ? result : ws_real.recv(fd, data, size, flags);
}

WS_EXPORT ssize_t read(int fd, void *data, size_t size)
{
    struct iovec part = { .iov_base = data, .iov_len = size };
    ssize_t result;
    ws_init();
    return ws_udp_receive(fd, &part, 1, 0, NULL, NULL, NULL, &result) ? result : ws_real.read(fd, data, size);
}

WS_EXPORT ssize_t recvfrom(int fd, void *data, size_t size, int flags, struct sockaddr *sender, socklen_t *sender_length)
{
    struct iovec part = { .iov_base = data, .iov_len = size };
    ssize_t result;
    ws_init();
    return ws_udp_receive(fd, &part, 1, flags, sender, sender_length, NULL, &result) ? result : ws_real.recvfrom(fd, data, size, flags, sender, sender_length);
}

WS_EXPORT ssize_t recvmsg(int fd, struct msghdr *message, int flags)
{
    ssize_t result;
    ws_init();
    if (message != NULL && ws_udp_receive(fd, message->msg_iov, message->msg_iovlen, flags, message->msg_name, message->msg_name != NULL ? &message->msg_namelen : NULL, &message->msg_flags, &result)) {
        message->msg_controllen = 0;
        return result;
    }
    return ws_real.recvmsg(fd, message, flags);
}

WS_EXPORT int sendmmsg(int fd, struct mmsghdr *messages, unsigned int count, int flags)
{
    ws_init();
    int type = -1;
    socklen_t size = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_DGRAM)
        return ws_real.sendmmsg(fd, messages, count, flags);
    /* Each datagram through sendmsg, which routes it. */
    unsigned int sent = 0;
    for (; sent < count; sent++) {
        ssize_t n = sendmsg(fd, &messages[sent].msg_hdr, flags);
        if (n < 0)
            return sent > 0 ? (int)sent : -1;
        messages[sent].msg_len = (unsigned int)n;
    }
    return (int)sent;
}

WS_EXPORT int recvmmsg(int fd, struct mmsghdr *messages, unsigned int count, int flags, struct timespec *timeout)
{
    ws_init();
    if (!ws_udp_is_associated(fd))
        return ws_real.recvmmsg(fd, messages, count, flags, timeout);
    unsigned int received = 0;
    for (; received < count; received++) {
        /* After the first datagram, only what is already there (as the kernel's MSG_WAITFORONE). */
        ssize_t n = recvmsg(fd, &messages[received].msg_hdr, received == 0 ? (flags & ~MSG_WAITFORONE) : (flags | MSG_DONTWAIT));
        if (n < 0)
            return received > 0 ? (int)received : -1;
        messages[received].msg_len = (unsigned int)n;
    }
    return (int)received;
}

WS_EXPORT int close(int fd)
{
    ws_init();
    ws_udp_forget(fd);
    return ws_real.close(fd);
}

/* libc's syscall() wrapper, which some libraries call for the socket calls (libuv's sendmmsg and
 * recvmmsg, as dig uses them): the socket calls go through the hooks above, the rest to the kernel. */
WS_EXPORT long syscall(long number, ...)
{
    va_list list;
    long a[6];
    va_start(list, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(list, long);
    va_end(list);
    ws_init();
    switch (number) {
    case SYS_connect:
        return connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
    case SYS_sendto:
        return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3], (const struct sockaddr *)a[4], (socklen_t)a[5]);
    case SYS_sendmsg:
        return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
    case SYS_sendmmsg:
        return sendmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned int)a[2], (int)a[3]);
    case SYS_recvfrom:
        return recvfrom((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3], (struct sockaddr *)a[4], (socklen_t *)a[5]);
    case SYS_recvmsg:
        return recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]);
    case SYS_recvmmsg:
        return recvmmsg((int)a[0], (struct mmsghdr *)a[1], (unsigned int)a[2], (int)a[3], (struct timespec *)a[4]);
    default:
        return ws_real.syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
}
