/* Talking to the windsock process: one short unix-socket connection per question, so threads,
 * fork() and exec() need no shared state (the path travels in WINDSOCK_RUN_SOCKET). */
#include "preload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define WS_SOCKET_VARIABLE "WINDSOCK_RUN_SOCKET"

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

int ws_control(const char *request, char *reply, size_t reply_size)
{
    const char *path = getenv(WS_SOCKET_VARIABLE);
    struct sockaddr_un address;
    if (path == NULL || *path == '\0' || strlen(path) >= sizeof address.sun_path) {
        errno = ENOENT;
        return -1;
    }

    int saved_errno = errno;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path, path, strlen(path) + 1);
    int r;
    do
        r = ws_real.connect(fd, (struct sockaddr *)&address, sizeof address);
    while (r < 0 && errno == EINTR);
    if (r < 0 || write_all(fd, request, strlen(request)) < 0 || write_all(fd, "\n", 1) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    shutdown(fd, SHUT_WR);

    /* The windsock process answers and closes: read to EOF. */
    size_t used = 0;
    for (;;) {
        if (used + 1 >= reply_size) {
            close(fd);
            errno = EMSGSIZE;
            return -1;
        }
        ssize_t n = read(fd, reply + used, reply_size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    reply[used] = '\0';
    if (used == 0) {
        errno = ECONNRESET;
        return -1;
    }
    errno = saved_errno;
    return (int)used;
}

void ws_report(const char *format, ...)
{
    char line[2048];
    char encoded[6200];
    char request[6300];
    char reply[64];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    ws_encode(line, encoded, sizeof encoded);
    snprintf(request, sizeof request, "REPORT %d %s", (int)getpid(), encoded);
    int saved_errno = errno;
    if (ws_control(request, reply, sizeof reply) < 0) {
        /* Nobody to tell: the program's standard error is the last resort. */
        dprintf(2, "%s\n", line);
    }
    errno = saved_errno;
}

void ws_encode(const char *in, char *out, size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 4 < out_size; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '%' || *p == '-') {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        } else {
            out[o++] = (char)*p;
        }
    }
    if (o == 0 && o + 2 < out_size) {
        /* An empty value is written "-" so fields stay in place; a real dash is always "%2D". */
        out[o++] = '-';
    }
    out[o] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *ws_decode(char *s)
{
    if (strcmp(s, "-") == 0) {
        s[0] = '\0';
        return s;
    }
    char *o = s;
    for (char *p = s; *p != '\0'; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return s;
}

char *ws_field(char **cursor)
{
    char *p = *cursor;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return NULL;
    char *start = p;
    while (*p != '\0' && *p != ' ')
        p++;
    if (*p == ' ')
        *p++ = '\0';
    *cursor = p;
    return start;
}

char *ws_line(char **cursor)
{
    char *p = *cursor;
    if (p == NULL || *p == '\0')
        return NULL;
    char *end = strchr(p, '\n');
    if (end != NULL) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = p + strlen(p);
    }
    return p;
}
