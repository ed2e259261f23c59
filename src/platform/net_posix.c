/* TCP client sockets on POSIX (net.h): poll()-based waits, getaddrinfo() on
 * a thread under the deadline. */
#include "platform/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t mgw_net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mgw_netos_start(void)
{
    return MGW_OK;
}

int mgw_netos_wait(const mgw_net *n, bool for_write)
{
    for (;;) {
        int ms = mgw_net_remaining(n);
        if (ms == 0)
            return 0;
        struct pollfd p = {(int)n->fd, for_write ? POLLOUT : POLLIN, 0};
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : r;
    }
}

static int try_connect(mgw_net *n, const struct addrinfo *ai, int *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
#if defined(SO_NOSIGPIPE)
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
    n->fd = fd;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS) {
        *err = errno;
        close(fd);
        n->fd = -1;
        return -1;
    }
    int w = mgw_netos_wait(n, true);
    if (w <= 0) {
        *err = w == 0 ? ETIMEDOUT : errno;
        close(fd);
        n->fd = -1;
        return -1;
    }
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) {
        *err = soerr;
        close(fd);
        n->fd = -1;
        return -1;
    }
    return 0;
}

/* Name resolution under the deadline: getaddrinfo() has no timeout, so it runs
 * on a detached thread; whichever side finishes last frees the shared state
 * (a resolver that answers after the deadline cleans up after itself). */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    int refs;
    bool done;
    int rc;
    struct addrinfo *res;
    char *host, *port;
} resolve_job;

static void resolve_release(resolve_job *j)
{
    pthread_mutex_lock(&j->lock);
    int left = --j->refs;
    pthread_mutex_unlock(&j->lock);
    if (left > 0)
        return;
    if (j->res != NULL)
        freeaddrinfo(j->res);
    pthread_cond_destroy(&j->done_cv);
    pthread_mutex_destroy(&j->lock);
    free(j->host);
    free(j->port);
    free(j);
}

static void *resolve_thread(void *arg)
{
    resolve_job *j = arg;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(j->host, j->port, &hints, &res);
    pthread_mutex_lock(&j->lock);
    j->rc = rc;
    j->res = rc == 0 ? res : NULL;
    j->done = true;
    pthread_cond_signal(&j->done_cv);
    pthread_mutex_unlock(&j->lock);
    resolve_release(j);
    return NULL;
}

/* 0 and *out on success, a getaddrinfo error, or EAI_AGAIN with *timed_out. */
int mgw_netos_resolve(const mgw_net *n, const char *host, const char *port, struct addrinfo **out,
                   bool *timed_out)
{
    *out = NULL;
    *timed_out = false;
    resolve_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return EAI_MEMORY;
    j->host = strdup(host);
    j->port = strdup(port);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->done_cv, &ca);
    pthread_condattr_destroy(&ca);
    j->refs = 2;
    pthread_t t;
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    if (j->host == NULL || j->port == NULL || pthread_create(&t, &ta, resolve_thread, j) != 0) {
        pthread_attr_destroy(&ta);
        j->refs = 1;
        resolve_release(j);
        return EAI_MEMORY;
    }
    pthread_attr_destroy(&ta);
    struct timespec until;
    until.tv_sec = (time_t)(n->deadline_ms / 1000);
    until.tv_nsec = (long)(n->deadline_ms % 1000) * 1000000L;
    pthread_mutex_lock(&j->lock);
    while (!j->done)
        if (pthread_cond_timedwait(&j->done_cv, &j->lock, &until) == ETIMEDOUT)
            break;
    int rc = EAI_AGAIN;
    if (j->done) {
        rc = j->rc;
        *out = j->res;
        j->res = NULL;
    } else {
        *timed_out = true;
    }
    pthread_mutex_unlock(&j->lock);
    resolve_release(j);
    return rc;
}

void mgw_netos_free_addresses(struct addrinfo *ai)
{
    freeaddrinfo(ai);
}

int mgw_netos_try_connect_any(mgw_net *n, const struct addrinfo *ai, int *err)
{
    for (; ai != NULL; ai = ai->ai_next)
        if (try_connect(n, ai, err) == 0)
            return 0;
    return -1;
}

bool mgw_netos_timed_out(int err)
{
    return err == ETIMEDOUT;
}

const char *mgw_netos_resolve_text(int code, char *buf, size_t size)
{
    snprintf(buf, size, "%s", gai_strerror(code));
    return buf;
}

const char *mgw_netos_error_text(int err, char *buf, size_t size)
{
    snprintf(buf, size, "%s", strerror(err));
    return buf;
}

long mgw_netos_send(mgw_net *n, const uint8_t *buf, size_t len)
{
    for (;;) {
        ssize_t w = send((int)n->fd, buf, len, MSG_NOSIGNAL);
        if (w >= 0)
            return (long)w;
        if (errno != EINTR)
            return errno == EAGAIN || errno == EWOULDBLOCK ? MGW_NETOS_AGAIN : MGW_NET_ERROR;
    }
}

long mgw_netos_recv(mgw_net *n, uint8_t *buf, size_t len)
{
    for (;;) {
        ssize_t r = recv((int)n->fd, buf, len, 0);
        if (r >= 0)
            return (long)r;
        if (errno != EINTR)
            return errno == EAGAIN || errno == EWOULDBLOCK ? MGW_NETOS_AGAIN : MGW_NET_ERROR;
    }
}

void mgw_net_close(mgw_net *n)
{
    if (n->fd >= 0)
        close((int)n->fd);
    n->fd = -1;
}

bool mgw_netos_out_of_memory(int code)
{
    return code == EAI_MEMORY;
}
