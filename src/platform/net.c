/* TCP client sockets with a deadline (net.h): what is the same on every
 * system, over the seam of net_posix.c and net_win.c. */
#include "platform/net.h"

#include <stddef.h>

int mgw_net_connect(mgw_net *n, const char *host, const char *port, int64_t deadline_ms)
{
    n->fd = -1;
    n->deadline_ms = deadline_ms;
    int r = mgw_netos_start();
    if (r != MGW_OK)
        return r;
    struct addrinfo *res = NULL;
    bool timed_out = false;
    int g = mgw_netos_resolve(n, host, port, &res, &timed_out);
    char msg[256];
    if (timed_out)
        return mgw_err(MGW_ERR_CHECK_TIMEOUT, "resolving %s timed out", host);
    if (mgw_netos_out_of_memory(g)) /* this process, not the name: no verdict on the gateway */
        return mgw_err(MGW_ERR_NO_MEMORY, "resolving %s: out of memory", host);
    if (g != 0)
        return mgw_err(MGW_ERR_CHECK_RESOLVE, "cannot resolve %s: %s", host,
                       mgw_netos_resolve_text(g, msg, sizeof(msg)));
    int err = 0;
    if (mgw_netos_try_connect_any(n, res, &err) == 0) {
        mgw_netos_free_addresses(res);
        return MGW_OK;
    }
    mgw_netos_free_addresses(res);
    if (mgw_netos_timed_out(err) || mgw_net_remaining(n) == 0)
        return mgw_err(MGW_ERR_CHECK_TIMEOUT, "connecting to %s:%s timed out", host, port);
    return mgw_err(MGW_ERR_CHECK_CONNECT, "cannot connect to %s:%s: %s", host, port,
                   mgw_netos_error_text(err, msg, sizeof(msg)));
}

/* After MGW_NETOS_AGAIN: 0 when the socket is ready again, else what the
 * send or receive returns. */
static long wait_ready(const mgw_net *n, bool for_write)
{
    int w = mgw_netos_wait(n, for_write);
    return w > 0 ? 0 : w == 0 ? MGW_NET_TIMEOUT : MGW_NET_ERROR;
}

/* The deadline is checked before every call, not only when the socket would
 * block: a peer that keeps it busy (a flood of alerts or renegotiation
 * requests, which the TLS layer reads and drops) is still cut off. */
long mgw_net_send(mgw_net *n, const uint8_t *buf, size_t len)
{
    for (;;) {
        if (mgw_net_remaining(n) == 0)
            return MGW_NET_TIMEOUT;
        long r = mgw_netos_send(n, buf, len);
        if (r != MGW_NETOS_AGAIN || (r = wait_ready(n, true)) != 0)
            return r;
    }
}

long mgw_net_recv(mgw_net *n, uint8_t *buf, size_t len)
{
    for (;;) {
        if (mgw_net_remaining(n) == 0)
            return MGW_NET_TIMEOUT;
        long r = mgw_netos_recv(n, buf, len);
        if (r != MGW_NETOS_AGAIN || (r = wait_ready(n, false)) != 0)
            return r;
    }
}
