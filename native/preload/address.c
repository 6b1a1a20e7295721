/* Socket addresses as text and back, and the two ranges that matter here: loopback and mapped. */
#include "preload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The mapped ranges windsock answers names with (docs/client-tools.md); defaults match the CLI's. */
static struct in_addr mapped4 = { 0 };
static int mapped4_bits = 0;
static struct in6_addr mapped6;
static int mapped6_bits = 0;

static void parse_cidr(const char *text, int family, void *address, int *bits)
{
    char copy[64];
    if (text == NULL || strlen(text) >= sizeof copy)
        return;
    strcpy(copy, text);
    char *slash = strchr(copy, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    int b = atoi(slash + 1);
    if (inet_pton(family, copy, address) == 1 && b > 0 && b <= (family == AF_INET ? 32 : 128))
        *bits = b;
}

void ws_load_mapped_ranges(void)
{
    parse_cidr(getenv("WINDSOCK_RUN_MAPPED4"), AF_INET, &mapped4, &mapped4_bits);
    parse_cidr(getenv("WINDSOCK_RUN_MAPPED6"), AF_INET6, &mapped6, &mapped6_bits);
}

static int in_prefix(const unsigned char *a, const unsigned char *prefix, int bits)
{
    if (bits <= 0)
        return 0;
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, prefix, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (prefix[whole] & mask);
}

/* IPv4 inside an IPv4-mapped IPv6 address, else NULL. */
static const unsigned char *mapped_v4(const struct sockaddr_in6 *six)
{
    return IN6_IS_ADDR_V4MAPPED(&six->sin6_addr) ? six->sin6_addr.s6_addr + 12 : NULL;
}

int ws_is_mapped(const struct sockaddr *address)
{
    if (address->sa_family == AF_INET)
        return in_prefix((const unsigned char *)&((const struct sockaddr_in *)address)->sin_addr, (const unsigned char *)&mapped4, mapped4_bits);
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *six = (const struct sockaddr_in6 *)address;
        const unsigned char *v4 = mapped_v4(six);
        if (v4 != NULL)
            return in_prefix(v4, (const unsigned char *)&mapped4, mapped4_bits);
        return in_prefix(six->sin6_addr.s6_addr, mapped6.s6_addr, mapped6_bits);
    }
    return 0;
}

int ws_is_loopback(const struct sockaddr *address)
{
    if (address->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)address)->sin_addr.s_addr) >> 24) == 127;
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *six = (const struct sockaddr_in6 *)address;
        const unsigned char *v4 = mapped_v4(six);
        return v4 != NULL ? v4[0] == 127 : IN6_IS_ADDR_LOOPBACK(&six->sin6_addr);
    }
    return 0;
}

int ws_format_address(const struct sockaddr *address, socklen_t length, char *text, size_t text_size, int *port)
{
    if (address->sa_family == AF_INET && length >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *four = (const struct sockaddr_in *)address;
        *port = ntohs(four->sin_port);
        return inet_ntop(AF_INET, &four->sin_addr, text, (socklen_t)text_size) != NULL ? 0 : -1;
    }
    if (address->sa_family == AF_INET6 && length >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *six = (const struct sockaddr_in6 *)address;
        *port = ntohs(six->sin6_port);
        const unsigned char *v4 = mapped_v4(six);
        if (v4 != NULL)
            return inet_ntop(AF_INET, v4, text, (socklen_t)text_size) != NULL ? 0 : -1;
        return inet_ntop(AF_INET6, &six->sin6_addr, text, (socklen_t)text_size) != NULL ? 0 : -1;
    }
    return -1;
}

socklen_t ws_parse_address(const char *text, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *four = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, text, &four->sin_addr) == 1) {
        four->sin_family = AF_INET;
        four->sin_port = htons((uint16_t)port);
        return sizeof *four;
    }
    struct sockaddr_in6 *six = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, text, &six->sin6_addr) == 1) {
        six->sin6_family = AF_INET6;
        six->sin6_port = htons((uint16_t)port);
        return sizeof *six;
    }
    return 0;
}

socklen_t ws_to_v4_mapped(struct sockaddr_storage *address)
{
    struct sockaddr_in four = *(struct sockaddr_in *)address;
    struct sockaddr_in6 *six = (struct sockaddr_in6 *)address;
    memset(six, 0, sizeof *six);
    six->sin6_family = AF_INET6;
    six->sin6_port = four.sin_port;
    six->sin6_addr.s6_addr[10] = 0xff;
    six->sin6_addr.s6_addr[11] = 0xff;
    memcpy(six->sin6_addr.s6_addr + 12, &four.sin_addr, 4);
    return sizeof *six;
}

int ws_port_of(const struct sockaddr *address)
{
    return ntohs(address->sa_family == AF_INET ? ((const struct sockaddr_in *)address)->sin_port : ((const struct sockaddr_in6 *)address)->sin6_port);
}
