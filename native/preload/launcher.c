/* windsock-launch: the syscall engine of windsock run, for programs a preloaded library cannot
 * reach (static binaries, Go). It forks; the child installs a seccomp filter that turns connect,
 * sendto-with-an-address, sendmsg and sendmmsg into user notifications (SECCOMP_RET_USER_NOTIF) and
 * execs the program; this process is the supervisor. For each notification it takes a duplicate of
 * the program's socket (pidfd_getfd: the same open file, so the program's epoll registrations stay
 * valid), asks the windsock process for the route exactly as the preload does, and does the SOCKS
 * handshake on that socket with the preload's own code (connect.c, socks.c). Then it answers the
 * system call: 0, or -EINPROGRESS for a non-blocking socket (connected by then), or the errno of a
 * denial, or "continue" for what is not its business (AF_UNIX, loopback, direct routes).
 * UDP connects to port 53 are connected to windsock's DNS responder (WINDSOCK_RUN_DNS), which
 * answers names with mapped addresses. io_uring and foreign-architecture system calls get ENOSYS,
 * since they would connect around the filter. Modelled on the kernel's samples/seccomp/user-trap.c.
 * Not a security boundary: "continue" re-reads the program's memory (the seccomp man page's TOCTOU). */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#if defined(__x86_64__)
#define WS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define WS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "windsock-launch: unsupported architecture"
#endif

#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))

static int install_filter(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, WS_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
        /* x32 system calls: another numbering the checks below would miss. */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendmsg, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendmmsg, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        /* sendto without an address (every TCP write through send) stays in the kernel. */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(4)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(4) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = { .len = sizeof filter / sizeof filter[0], .filter = filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
}

static int listener = -1;
static struct sockaddr_storage dns_responder;
static socklen_t dns_responder_length;

static int read_memory(pid_t pid, unsigned long long address, void *buffer, size_t size)
{
    struct iovec local = { .iov_base = buffer, .iov_len = size };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)address, .iov_len = size };
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)size ? 0 : -1;
}

/* The program's descriptor, duplicated into this process (the same open file). */
static int take_socket(pid_t tid, int fd)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    FILE *status = fopen(path, "re");
    pid_t tgid = tid;
    if (status != NULL) {
        while (fgets(line, sizeof line, status) != NULL)
            if (strncmp(line, "Tgid:", 5) == 0)
                tgid = (pid_t)atoi(line + 5);
        fclose(status);
    }
    int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
    if (pidfd < 0)
        return -1;
    int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    int e = errno;
    close(pidfd);
    errno = e;
    return copy;
}

static int socket_type_of(int fd)
{
    int type = -1;
    socklen_t length = sizeof type;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length);
    return type;
}

/* A UDP socket connecting to port 53: to the DNS responder instead, in the socket's family. */
static int connect_to_responder(int fd)
{
    struct sockaddr_storage target = dns_responder;
    socklen_t length = dns_responder_length;
    int family = -1;
    socklen_t size = sizeof family;
    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &size);
    if (family == AF_INET6 && target.ss_family == AF_INET) {
        int off = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        length = ws_to_v4_mapped(&target);
    }
    return ws_real.connect(fd, (struct sockaddr *)&target, length);
}

/* What to answer: let the call proceed, or its return value and errno. */
struct verdict {
    int proceed; /* 1: let the kernel run the call as asked */
    long long value;
    int error;
};

static struct verdict judge_destination(pid_t pid, int fd, unsigned long long address, unsigned long long length, int is_connect)
{
    struct verdict v = { 1, 0, 0 };
    struct sockaddr_storage target;
    if (address == 0 || length < sizeof(sa_family_t) || length > sizeof target)
        return v;
    memset(&target, 0, sizeof target);
    if (read_memory(pid, address, &target, (size_t)length) != 0)
        return v; /* the kernel will fail it with EFAULT itself */
    if (target.ss_family != AF_INET && target.ss_family != AF_INET6)
        return v;
    int copy = take_socket(pid, fd);
    if (copy < 0)
        return v; /* not a descriptor: the kernel answers EBADF */
    int type = socket_type_of(copy);
    const struct sockaddr *sa = (const struct sockaddr *)&target;
    if (type == SOCK_DGRAM) {
        if (ws_port_of(sa) == 53 && is_connect && dns_responder_length != 0) {
            v.proceed = 0;
            v.value = connect_to_responder(copy) == 0 ? 0 : -1;
            v.error = v.value == 0 ? 0 : errno;
        } else if (ws_port_of(sa) == 53 && !ws_is_loopback(sa)) {
            /* Unconnected DNS datagrams are not redirected yet; refused, never leaked. */
            ws_report("windsock: DNS over unconnected UDP is not carried by the syscall engine yet; refused");
            v.proceed = 0;
            v.value = -1;
            v.error = EACCES;
        } else if (!ws_udp_allowed(sa, (socklen_t)length)) {
            v.proceed = 0;
            v.value = -1;
            v.error = errno;
        }
    } else if (type == SOCK_STREAM && is_connect) {
        int pass;
        int r = ws_route_connect(copy, sa, (socklen_t)length, &pass);
        if (!pass) {
            v.proceed = 0;
            v.value = r;
            v.error = r == 0 ? 0 : errno;
        }
    } else if (type == SOCK_STREAM) {
        /* sendto/sendmsg with an address on TCP: Fast Open, which would connect around the route. */
        v.proceed = 0;
        v.value = -1;
        v.error = EOPNOTSUPP;
    }
    close(copy);
    return v;
}

static struct verdict judge(const struct seccomp_notif *request)
{
    const unsigned long long *a = request->data.args;
    struct verdict pass = { 1, 0, 0 };
    pid_t pid = (pid_t)request->pid;
    switch (request->data.nr) {
    case SYS_connect:
        return judge_destination(pid, (int)a[0], a[1], a[2], 1);
    case SYS_sendto:
        return judge_destination(pid, (int)a[0], a[4], a[5], 0);
    case SYS_sendmsg: {
        struct msghdr message;
        if (read_memory(pid, a[1], &message, sizeof message) != 0)
            return pass;
        return judge_destination(pid, (int)a[0], (unsigned long long)(uintptr_t)message.msg_name, message.msg_namelen, 0);
    }
    case SYS_sendmmsg: {
        unsigned int count = (unsigned int)a[2] > 1024 ? 1024 : (unsigned int)a[2];
        for (unsigned int i = 0; i < count; i++) {
            struct mmsghdr message;
            if (read_memory(pid, a[1] + (unsigned long long)i * sizeof message, &message, sizeof message) != 0)
                return pass;
            struct verdict v = judge_destination(pid, (int)a[0], (unsigned long long)(uintptr_t)message.msg_hdr.msg_name, message.msg_hdr.msg_namelen, 0);
            if (!v.proceed)
                return v;
        }
        return pass;
    }
    default:
        return pass;
    }
}

static void *handle(void *argument)
{
    struct seccomp_notif *request = argument;
    struct verdict v = judge(request);
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = request->id;
    if (v.proceed) {
        response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else {
        response.val = v.value;
        response.error = v.value < 0 ? -v.error : 0;
    }
    /* ENOENT: the program's thread was interrupted or died meanwhile; nothing to answer. */
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
    free(request);
    return NULL;
}

static void *supervise(void *unused)
{
    (void)unused;
    for (;;) {
        struct pollfd p = { .fd = listener, .events = POLLIN, .revents = 0 };
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
            return NULL;
        struct seccomp_notif *request = calloc(1, sizeof *request);
        if (request == NULL)
            continue;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, request) != 0) {
            free(request);
            if (errno == EINTR || errno == ENOENT)
                continue;
            return NULL;
        }
        /* One thread per call: a handshake may take seconds, and other threads' calls must not wait for it. */
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, handle, request) != 0)
            handle(request);
        pthread_attr_destroy(&attributes);
    }
}

static void load_responder(void)
{
    const char *text = getenv("WINDSOCK_RUN_DNS");
    char copy[80];
    if (text == NULL || strlen(text) >= sizeof copy)
        return;
    strcpy(copy, text);
    char *space = strchr(copy, ' ');
    if (space == NULL)
        return;
    *space = '\0';
    dns_responder_length = ws_parse_address(copy, atoi(space + 1), &dns_responder);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "windsock-launch: run by windsock run --engine syscall, as windsock-launch PROGRAM ARGS...\n");
        return 2;
    }
    ws_init();
    ws_supervising = 1;
    load_responder();

    int listener_pipe[2], go_pipe[2];
    if (pipe2(listener_pipe, O_CLOEXEC) != 0 || pipe2(go_pipe, O_CLOEXEC) != 0) {
        perror("windsock-launch: pipe");
        return 126;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("windsock-launch: fork");
        return 126;
    }
    if (child == 0) {
        int fd = install_filter();
        if (fd < 0) {
            fprintf(stderr, "windsock-launch: cannot install the seccomp filter (%s); refused rather than run unproxied\n", strerror(errno));
            _exit(126);
        }
        /* The supervisor takes the listener with pidfd_getfd: sendmsg would itself wait for the supervisor. */
        char go;
        if (write(listener_pipe[1], &fd, sizeof fd) != (ssize_t)sizeof fd || read(go_pipe[0], &go, 1) != 1)
            _exit(126);
        close(fd);
        execv(argv[1], argv + 1);
        fprintf(stderr, "windsock-launch: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    close(listener_pipe[1]);
    close(go_pipe[0]);
    int child_listener;
    if (read(listener_pipe[0], &child_listener, sizeof child_listener) != (ssize_t)sizeof child_listener) {
        int status;
        waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, child_listener, 0);
    if (listener < 0) {
        fprintf(stderr, "windsock-launch: cannot take the seccomp listener (%s); refused rather than run unproxied\n", strerror(errno));
        kill(child, SIGKILL);
        return 126;
    }
    pthread_t supervisor;
    if (pthread_create(&supervisor, NULL, supervise, NULL) != 0) {
        kill(child, SIGKILL);
        return 126;
    }
    char go = 1;
    if (write(go_pipe[1], &go, 1) != 1) {
        kill(child, SIGKILL);
        return 126;
    }
    /* SIGTERM and SIGHUP from windsock go on to the program; the status comes back from it. */
    signal(SIGINT, SIG_IGN);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
