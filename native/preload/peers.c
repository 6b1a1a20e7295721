/* What getpeername() answers for sockets whose real peer is the proxy: the destination the program
 * asked for. Entries are keyed by the socket's inode (fstat), which dup()ed descriptors and forked
 * children share and a new socket never has, so no close/dup/fork hook is needed to keep it right. */
#include "preload.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

/* Direct-mapped: a collision forgets an older socket's peer, and getpeername then shows the proxy. */
#define WS_PEER_SLOTS 16384

struct peer_entry {
    ino_t inode;
    socklen_t length;
    struct sockaddr_storage peer;
};

static struct peer_entry peers[WS_PEER_SLOTS];
static pthread_mutex_t peers_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork() while another thread holds the lock must not leave the child's copy locked forever. */
static void lock_before_fork(void) { pthread_mutex_lock(&peers_lock); }
static void unlock_after_fork(void) { pthread_mutex_unlock(&peers_lock); }

void ws_peers_init(void)
{
    pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
}

int ws_socket_inode(int fd, ino_t *inode)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino == 0)
        return -1;
    *inode = st.st_ino;
    return 0;
}

void ws_peer_remember(int fd, const struct sockaddr *peer, socklen_t length)
{
    ino_t inode;
    if (ws_socket_inode(fd, &inode) != 0 || length > sizeof(struct sockaddr_storage))
        return;
    struct peer_entry *entry = &peers[inode % WS_PEER_SLOTS];
    pthread_mutex_lock(&peers_lock);
    entry->inode = inode;
    entry->length = length;
    memcpy(&entry->peer, peer, length);
    pthread_mutex_unlock(&peers_lock);
}

int ws_peer_lookup(int fd, struct sockaddr_storage *peer, socklen_t *length)
{
    ino_t inode;
    if (ws_socket_inode(fd, &inode) != 0)
        return 0;
    struct peer_entry *entry = &peers[inode % WS_PEER_SLOTS];
    int found = 0;
    pthread_mutex_lock(&peers_lock);
    if (entry->inode == inode) {
        *peer = entry->peer;
        *length = entry->length;
        found = 1;
    }
    pthread_mutex_unlock(&peers_lock);
    return found;
}
