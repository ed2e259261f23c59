/* TCP client sockets with a deadline (the gateway check's transport). The
 * portable half (net.c) resolves, tries each address, maps errors and keeps
 * the deadline around every send and receive; the system files (net_posix.c,
 * net_win.c) implement the small seam below it. */
#ifndef MGW_NET_H
#define MGW_NET_H

#include "core/core.h"

typedef struct {
    intptr_t fd; /* -1 when closed */
    int64_t deadline_ms; /* monotonic milliseconds */
} mgw_net;

#define MGW_NET_TIMEOUT -1
#define MGW_NET_ERROR -2

int64_t mgw_net_now_ms(void);
/* Connect to host:port before the deadline. Errors: MGW_ERR_CHECK_RESOLVE,
 * MGW_ERR_CHECK_CONNECT, MGW_ERR_CHECK_TIMEOUT, with a detail; MGW_ERR_NO_MEMORY
 * when the resolver ran out of memory. */
int mgw_net_connect(mgw_net *n, const char *host, const char *port, int64_t deadline_ms);
/* Bytes sent or received (0 = orderly close on recv), MGW_NET_TIMEOUT when
 * the deadline passes, MGW_NET_ERROR otherwise. */
long mgw_net_send(mgw_net *n, const uint8_t *buf, size_t len);
long mgw_net_recv(mgw_net *n, uint8_t *buf, size_t len);
void mgw_net_close(mgw_net *n);

/* ---- the seam each system implements (net_posix.c, net_win.c) -------------- */

struct addrinfo;

/* Milliseconds left before the deadline, 0 when it passed. */
static inline int mgw_net_remaining(const mgw_net *n)
{
    int64_t left = n->deadline_ms - mgw_net_now_ms();
    return left <= 0 ? 0 : left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
}
/* Start the socket library (once per process where it needs starting):
 * MGW_OK, or an MGW_ERR_CHECK_CONNECT with the detail set. */
int mgw_netos_start(void);
/* Resolve host:port before the deadline: 0 and *out (mgw_netos_free_addresses),
 * a resolver error code, or EAI_AGAIN with *timed_out. */
int mgw_netos_resolve(const mgw_net *n, const char *host, const char *port, struct addrinfo **out,
                      bool *timed_out);
void mgw_netos_free_addresses(struct addrinfo *ai);
/* Whether a resolver error code is the resolver running out of memory. */
bool mgw_netos_out_of_memory(int code);
/* Connect to each address of the list in turn before the deadline, the
 * socket non-blocking from then on: 0 at the first that answers, or -1 with
 * *err the system's error code of the last attempt (n->fd -1). */
int mgw_netos_try_connect_any(mgw_net *n, const struct addrinfo *ai, int *err);
/* Whether a system error code is a timeout. */
bool mgw_netos_timed_out(int err);
/* The text of a resolver error and of a system error, into buf. */
const char *mgw_netos_resolve_text(int code, char *buf, size_t size);
const char *mgw_netos_error_text(int err, char *buf, size_t size);
/* One send or receive: the bytes moved (0: the peer closed, on receive),
 * MGW_NETOS_AGAIN when the socket would block, MGW_NET_ERROR otherwise. */
#define MGW_NETOS_AGAIN -3
long mgw_netos_send(mgw_net *n, const uint8_t *buf, size_t len);
long mgw_netos_recv(mgw_net *n, uint8_t *buf, size_t len);
/* Wait until the socket can be written (or a connect finished) or read,
 * within the deadline: 1 ready, 0 timeout, -1 error. */
int mgw_netos_wait(const mgw_net *n, bool for_write);

#endif
