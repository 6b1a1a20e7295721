/* Finding the real functions once, from any thread, before any hook does its work. */
#include "preload.h"

#include <dlfcn.h>
#include <pthread.h>

struct ws_real ws_real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym returns void *; POSIX guarantees function pointers survive the round trip. */
#define WS_RESOLVE(name) (*(void **)(&ws_real.name) = dlsym(RTLD_NEXT, #name))

static void resolve_all(void)
{
    WS_RESOLVE(connect);
    WS_RESOLVE(getpeername);
    WS_RESOLVE(getsockname);
    WS_RESOLVE(sendto);
    WS_RESOLVE(sendmsg);
    WS_RESOLVE(getaddrinfo);
    WS_RESOLVE(getnameinfo);
    WS_RESOLVE(gethostbyname);
    WS_RESOLVE(gethostbyname2);
    WS_RESOLVE(gethostbyname_r);
    WS_RESOLVE(gethostbyname2_r);
    WS_RESOLVE(gethostbyaddr);
    WS_RESOLVE(gethostbyaddr_r);
    WS_RESOLVE(send);
    WS_RESOLVE(write);
    WS_RESOLVE(recv);
    WS_RESOLVE(read);
    WS_RESOLVE(recvfrom);
    WS_RESOLVE(recvmsg);
    WS_RESOLVE(close);
    WS_RESOLVE(sendmmsg);
    WS_RESOLVE(recvmmsg);
    WS_RESOLVE(syscall);
    WS_RESOLVE(bind);
    WS_RESOLVE(listen);
    WS_RESOLVE(accept);
    WS_RESOLVE(accept4);
    ws_load_mapped_ranges();
#ifdef WS_PRELOAD_LIBRARY
    ws_exec_capture();
#endif
    ws_peers_init();
}

void ws_init(void)
{
    pthread_once(&once, resolve_all);
}

/* Early, so a program's first call finds everything ready; the hooks call ws_init() anyway, since
 * another library's constructor may run before this one. */
__attribute__((constructor)) static void ws_constructor(void)
{
    ws_init();
}
