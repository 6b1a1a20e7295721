/* Names: getaddrinfo, gethostbyname*, gethostbyaddr and getnameinfo. A name that windsock does not
 * route direct is never looked up here: windsock answers it with an address from the mapped range
 * (by default 198.18.0.0/15 and an IPv6 ULA prefix, not multicast), and a connect() to that address
 * goes to the proxy as the name (SOCKS5 ATYP 3). The lists built here are laid out the way glibc's
 * freeaddrinfo frees them (one allocation per entry, ai_addr inside it, ai_canonname on its own),
 * so the real freeaddrinfo frees them and needs no hook. The res_* API (raw DNS queries) is refused
 * rather than let queries leave through the local resolver. */
#include "preload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum name_answer { NAME_LOCAL, NAME_MAPPED, NAME_FAILED };

static int is_numeric_host(const char *name)
{
    struct in_addr four;
    struct in6_addr six;
    /* inet_aton also takes "127.1" and "0x7f000001", as getaddrinfo does. */
    return inet_aton(name, &four) != 0 || inet_pton(AF_INET6, name, &six) == 1 || strchr(name, '%') != NULL;
}

/* Asks windsock how to answer a name: LOCAL (a direct route: the real resolver) or MAPPED v4 v6. */
static enum name_answer ask_name(const char *name, struct in_addr *four, struct in6_addr *six)
{
    char encoded[800], request[900], reply[256];
    if (strlen(name) > 253) {
        errno = ENAMETOOLONG;
        return NAME_FAILED;
    }
    ws_encode(name, encoded, sizeof encoded);
    snprintf(request, sizeof request, "NAME %d %s", (int)getpid(), encoded);
    if (ws_control(request, reply, sizeof reply) < 0) {
        ws_report("windsock: lookup of %s refused: the windsock run process cannot be asked (%s)", name, strerror(errno));
        return NAME_FAILED;
    }
    char *cursor = reply;
    char *word = ws_field(&cursor);
    if (word != NULL && strncmp(word, "LOCAL", 5) == 0)
        return NAME_LOCAL;
    char *v4 = ws_field(&cursor);
    char *v6 = ws_field(&cursor);
    if (word == NULL || strcmp(word, "MAPPED") != 0 || v4 == NULL || v6 == NULL)
        return NAME_FAILED;
    char *newline = strchr(v6, '\n');
    if (newline != NULL)
        *newline = '\0';
    if (inet_pton(AF_INET, v4, four) != 1 || inet_pton(AF_INET6, v6, six) != 1)
        return NAME_FAILED;
    return NAME_MAPPED;
}

/* The name behind a mapped address, from windsock; 0 when known. */
static int ask_address(const struct sockaddr *address, char *name, size_t name_size)
{
    char text[64], request[128], reply[600];
    int port;
    if (ws_format_address(address, sizeof(struct sockaddr_in6), text, sizeof text, &port) != 0)
        return -1;
    snprintf(request, sizeof request, "ADDR %d %s", (int)getpid(), text);
    if (ws_control(request, reply, sizeof reply) < 0)
        return -1;
    char *cursor = reply;
    char *word = ws_field(&cursor);
    char *value = ws_field(&cursor);
    if (word == NULL || strcmp(word, "NAME") != 0 || value == NULL)
        return -1;
    char *newline = strchr(value, '\n');
    if (newline != NULL)
        *newline = '\0';
    snprintf(name, name_size, "%s", ws_decode(value));
    return 0;
}

static int service_port(const char *service, const struct addrinfo *hints, int *port)
{
    if (service == NULL || *service == '\0') {
        *port = 0;
        return 0;
    }
    char *end;
    long number = strtol(service, &end, 10);
    if (*end == '\0' && number >= 0 && number <= 65535) {
        *port = (int)number;
        return 0;
    }
    if (hints != NULL && (hints->ai_flags & AI_NUMERICSERV))
        return EAI_NONAME;
    const char *protocol = hints != NULL && hints->ai_socktype == SOCK_DGRAM ? "udp" : "tcp";
    struct servent entry, *found = NULL;
    char buffer[1024];
    if (getservbyname_r(service, protocol, &entry, buffer, sizeof buffer, &found) != 0 || found == NULL)
        return EAI_SERVICE;
    *port = ntohs((uint16_t)found->s_port);
    return 0;
}

static struct addrinfo *entry(int family, int socktype, int protocol, const void *address, int port)
{
    struct addrinfo *ai = calloc(1, sizeof(struct addrinfo) + sizeof(struct sockaddr_in6));
    if (ai == NULL)
        return NULL;
    ai->ai_family = family;
    ai->ai_socktype = socktype;
    ai->ai_protocol = protocol;
    ai->ai_addr = (struct sockaddr *)(ai + 1);
    if (family == AF_INET) {
        struct sockaddr_in *four = (struct sockaddr_in *)ai->ai_addr;
        four->sin_family = AF_INET;
        four->sin_port = htons((uint16_t)port);
        memcpy(&four->sin_addr, address, 4);
        ai->ai_addrlen = sizeof *four;
    } else {
        struct sockaddr_in6 *six = (struct sockaddr_in6 *)ai->ai_addr;
        six->sin6_family = AF_INET6;
        six->sin6_port = htons((uint16_t)port);
        memcpy(&six->sin6_addr, address, 16);
        ai->ai_addrlen = sizeof *six;
    }
    return ai;
}

WS_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **result)
{
    ws_init();
    int family = hints != NULL ? hints->ai_family : AF_UNSPEC;
    if (node == NULL || result == NULL || is_numeric_host(node) || (hints != NULL && (hints->ai_flags & AI_NUMERICHOST))
        || (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
        return ws_real.getaddrinfo(node, service, hints, result);

    int port;
    int service_error = service_port(service, hints, &port);
    if (service_error != 0)
        return service_error;

    struct in_addr four;
    struct in6_addr six;
    switch (ask_name(node, &four, &six)) {
    case NAME_LOCAL:
        return ws_real.getaddrinfo(node, service, hints, result);
    case NAME_FAILED:
        /* Never fall back to the local resolver: that is the leak this library exists to stop. */
        return EAI_FAIL;
    case NAME_MAPPED:
        break;
    }

    /* One family: IPv4 unless only IPv6 was asked for, so a program does not connect twice for one name. */
    int mapped_family = family == AF_INET6 ? AF_INET6 : AF_INET;
    const void *address = mapped_family == AF_INET ? (const void *)&four : (const void *)&six;
    int socktypes[2], protocols[2], count = 0;
    int wanted = hints != NULL ? hints->ai_socktype : 0;
    if (wanted == 0 || wanted == SOCK_STREAM) {
        socktypes[count] = SOCK_STREAM;
        protocols[count++] = hints != NULL && hints->ai_protocol != 0 ? hints->ai_protocol : IPPROTO_TCP;
    }
    if (wanted == 0 || wanted == SOCK_DGRAM) {
        socktypes[count] = SOCK_DGRAM;
        protocols[count++] = hints != NULL && hints->ai_protocol != 0 ? hints->ai_protocol : IPPROTO_UDP;
    }
    if (count == 0) {
        socktypes[count] = wanted;
        protocols[count++] = hints->ai_protocol;
    }

    struct addrinfo *head = NULL, **tail = &head;
    for (int i = 0; i < count; i++) {
        struct addrinfo *ai = entry(mapped_family, socktypes[i], protocols[i], address, port);
        if (ai == NULL) {
            freeaddrinfo(head);
            return EAI_MEMORY;
        }
        *tail = ai;
        tail = &ai->ai_next;
    }
    if (hints != NULL && (hints->ai_flags & AI_CANONNAME)) {
        head->ai_canonname = strdup(node);
        if (head->ai_canonname == NULL) {
            freeaddrinfo(head);
            return EAI_MEMORY;
        }
    }
    *result = head;
    return 0;
}

/* A hostent for one mapped address in caller-provided memory; ERANGE when it does not fit. */
static int fill_hostent(const char *name, int family, const void *address, struct hostent *host, char *buffer, size_t size)
{
    size_t address_size = family == AF_INET ? 4 : 16;
    size_t name_size = strlen(name) + 1;
    size_t pointers = 4 * sizeof(char *);
    if (size < pointers + address_size + name_size + sizeof(char *))
        return ERANGE;
    /* Pointers first (aligned), then the address, then the name. */
    char **list = (char **)(void *)(((uintptr_t)buffer + sizeof(char *) - 1) & ~(uintptr_t)(sizeof(char *) - 1));
    char *data = (char *)(list + 4);
    if (data + address_size + name_size > buffer + size)
        return ERANGE;
    memcpy(data, address, address_size);
    memcpy(data + address_size, name, name_size);
    list[0] = data;            /* h_addr_list */
    list[1] = NULL;
    list[2] = NULL;            /* h_aliases */
    host->h_name = data + address_size;
    host->h_aliases = &list[2];
    host->h_addrtype = family;
    host->h_length = (int)address_size;
    host->h_addr_list = &list[0];
    return 0;
}

WS_EXPORT int gethostbyname2_r(const char *name, int family, struct hostent *host, char *buffer, size_t size, struct hostent **result, int *error)
{
    ws_init();
    if (name == NULL || is_numeric_host(name) || (family != AF_INET && family != AF_INET6))
        return ws_real.gethostbyname2_r(name, family, host, buffer, size, result, error);
    struct in_addr four;
    struct in6_addr six;
    switch (ask_name(name, &four, &six)) {
    case NAME_LOCAL:
        return ws_real.gethostbyname2_r(name, family, host, buffer, size, result, error);
    case NAME_FAILED:
        *result = NULL;
        *error = NO_RECOVERY;
        return EAGAIN;
    case NAME_MAPPED:
        break;
    }
    int r = fill_hostent(name, family, family == AF_INET ? (const void *)&four : (const void *)&six, host, buffer, size);
    *result = r == 0 ? host : NULL;
    *error = r == 0 ? 0 : NETDB_INTERNAL;
    return r;
}

WS_EXPORT int gethostbyname_r(const char *name, struct hostent *host, char *buffer, size_t size, struct hostent **result, int *error)
{
    return gethostbyname2_r(name, AF_INET, host, buffer, size, result, error);
}

/* The non-reentrant forms: per-thread storage, so threads do not overwrite each other's answer. */
static __thread struct hostent static_host;
static __thread char static_buffer[1024];

WS_EXPORT struct hostent *gethostbyname2(const char *name, int family)
{
    ws_init();
    if (name == NULL || is_numeric_host(name) || (family != AF_INET && family != AF_INET6))
        return ws_real.gethostbyname2(name, family);
    struct in_addr four;
    struct in6_addr six;
    switch (ask_name(name, &four, &six)) {
    case NAME_LOCAL:
        return ws_real.gethostbyname2(name, family);
    case NAME_FAILED:
        h_errno = NO_RECOVERY;
        return NULL;
    case NAME_MAPPED:
        break;
    }
    if (fill_hostent(name, family, family == AF_INET ? (const void *)&four : (const void *)&six, &static_host, static_buffer, sizeof static_buffer) != 0) {
        h_errno = NO_RECOVERY;
        return NULL;
    }
    return &static_host;
}

WS_EXPORT struct hostent *gethostbyname(const char *name)
{
    return gethostbyname2(name, AF_INET);
}

static int sockaddr_of(const void *address, socklen_t length, int family, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (family == AF_INET && length == 4) {
        ((struct sockaddr_in *)out)->sin_family = AF_INET;
        memcpy(&((struct sockaddr_in *)out)->sin_addr, address, 4);
        return 0;
    }
    if (family == AF_INET6 && length == 16) {
        ((struct sockaddr_in6 *)out)->sin6_family = AF_INET6;
        memcpy(&((struct sockaddr_in6 *)out)->sin6_addr, address, 16);
        return 0;
    }
    return -1;
}

WS_EXPORT struct hostent *gethostbyaddr(const void *address, socklen_t length, int family)
{
    ws_init();
    struct sockaddr_storage sa;
    char name[300];
    if (address == NULL || sockaddr_of(address, length, family, &sa) != 0 || !ws_is_mapped((struct sockaddr *)&sa))
        return ws_real.gethostbyaddr(address, length, family);
    if (ask_address((struct sockaddr *)&sa, name, sizeof name) != 0
        || fill_hostent(name, family, address, &static_host, static_buffer, sizeof static_buffer) != 0) {
        h_errno = HOST_NOT_FOUND;
        return NULL;
    }
    return &static_host;
}

WS_EXPORT int gethostbyaddr_r(const void *address, socklen_t length, int family, struct hostent *host, char *buffer, size_t size, struct hostent **result, int *error)
{
    ws_init();
    struct sockaddr_storage sa;
    char name[300];
    if (address == NULL || sockaddr_of(address, length, family, &sa) != 0 || !ws_is_mapped((struct sockaddr *)&sa))
        return ws_real.gethostbyaddr_r(address, length, family, host, buffer, size, result, error);
    *result = NULL;
    if (ask_address((struct sockaddr *)&sa, name, sizeof name) != 0) {
        *error = HOST_NOT_FOUND;
        return ENOENT;
    }
    int r = fill_hostent(name, family, address, host, buffer, size);
    *result = r == 0 ? host : NULL;
    *error = r == 0 ? 0 : NETDB_INTERNAL;
    return r;
}

WS_EXPORT int getnameinfo(const struct sockaddr *address, socklen_t length, char *host, socklen_t host_size, char *service, socklen_t service_size, int flags)
{
    ws_init();
    if (address == NULL || host == NULL || host_size == 0 || (flags & NI_NUMERICHOST) || !ws_is_mapped(address))
        return ws_real.getnameinfo(address, length, host, host_size, service, service_size, flags);
    char name[300];
    if (ask_address(address, name, sizeof name) != 0)
        return (flags & NI_NAMEREQD) ? EAI_NONAME : ws_real.getnameinfo(address, length, host, host_size, service, service_size, flags | NI_NUMERICHOST);
    if (strlen(name) >= host_size)
        return EAI_OVERFLOW;
    if (service != NULL && service_size > 0) {
        int r = ws_real.getnameinfo(address, length, NULL, 0, service, service_size, flags);
        if (r != 0)
            return r;
    }
    strcpy(host, name);
    return 0;
}

/* The res_* API sends DNS queries itself (MX, SRV, TXT lookups): not carried yet, so refused. */
static int refuse_query(const char *name)
{
    static __thread int told;
    if (!told) {
        told = 1;
        ws_report("windsock: DNS query for %s through the res_* API refused: windsock run answers getaddrinfo and gethostbyname only, and a query sent here would leave around the proxy",
                  name != NULL ? name : "?");
    }
    h_errno = NO_RECOVERY;
    errno = ECONNREFUSED;
    return -1;
}

#define WS_REFUSE_QUERY(symbol) \
    WS_EXPORT int symbol(const char *name, int class, int type, unsigned char *answer, int answer_size) \
    { (void)class; (void)type; (void)answer; (void)answer_size; return refuse_query(name); }

WS_REFUSE_QUERY(__res_query)
WS_REFUSE_QUERY(__res_search)
WS_REFUSE_QUERY(res_query)
WS_REFUSE_QUERY(res_search)

#define WS_REFUSE_NQUERY(symbol) \
    WS_EXPORT int symbol(res_state state, const char *name, int class, int type, unsigned char *answer, int answer_size) \
    { (void)class; (void)type; (void)answer; (void)answer_size; int r = refuse_query(name); if (state) state->res_h_errno = NO_RECOVERY; return r; }

WS_REFUSE_NQUERY(__res_nquery)
WS_REFUSE_NQUERY(__res_nsearch)
WS_REFUSE_NQUERY(res_nquery)
WS_REFUSE_NQUERY(res_nsearch)
