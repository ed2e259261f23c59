/* TCP client sockets on POSIX with poll()-based deadlines. */
#include "platform/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
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

static int remaining(const mgw_net *n)
{
    int64_t left = n->deadline_ms - mgw_net_now_ms();
    return left <= 0 ? 0 : left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
}

/* Wait until fd is ready for `events`; 1 ready, 0 timeout, -1 error. */
static int wait_for(const mgw_net *n, short events)
{
    for (;;) {
        int ms = remaining(n);
        if (ms == 0)
            return 0;
        struct pollfd p = {(int)n->fd, events, 0};
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
    int w = wait_for(n, POLLOUT);
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

int mgw_net_connect(mgw_net *n, const char *host, const char *port, int64_t deadline_ms)
{
    n->fd = -1;
    n->deadline_ms = deadline_ms;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0)
        return mgw_err(MGW_ERR_CHECK_RESOLVE, "cannot resolve %s: %s", host, gai_strerror(g));
    int err = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        if (try_connect(n, ai, &err) == 0) {
            freeaddrinfo(res);
            return MGW_OK;
        }
    freeaddrinfo(res);
    if (err == ETIMEDOUT || remaining(n) == 0)
        return mgw_err(MGW_ERR_CHECK_TIMEOUT, "connecting to %s:%s timed out", host, port);
    return mgw_err(MGW_ERR_CHECK_CONNECT, "cannot connect to %s:%s: %s", host, port,
                   strerror(err));
}

long mgw_net_send(mgw_net *n, const uint8_t *buf, size_t len)
{
    for (;;) {
        ssize_t w = send((int)n->fd, buf, len, MSG_NOSIGNAL);
        if (w >= 0)
            return (long)w;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return MGW_NET_ERROR;
        int r = wait_for(n, POLLOUT);
        if (r <= 0)
            return r == 0 ? MGW_NET_TIMEOUT : MGW_NET_ERROR;
    }
}

long mgw_net_recv(mgw_net *n, uint8_t *buf, size_t len)
{
    for (;;) {
        ssize_t r = recv((int)n->fd, buf, len, 0);
        if (r >= 0)
            return (long)r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return MGW_NET_ERROR;
        int w = wait_for(n, POLLIN);
        if (w <= 0)
            return w == 0 ? MGW_NET_TIMEOUT : MGW_NET_ERROR;
    }
}

void mgw_net_close(mgw_net *n)
{
    if (n->fd >= 0)
        close((int)n->fd);
    n->fd = -1;
}
