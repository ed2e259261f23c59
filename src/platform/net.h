/* TCP client sockets with a deadline (the gateway check's transport). */
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
 * MGW_ERR_CHECK_CONNECT, MGW_ERR_CHECK_TIMEOUT, with a detail. */
int mgw_net_connect(mgw_net *n, const char *host, const char *port, int64_t deadline_ms);
/* Bytes sent or received (0 = orderly close on recv), MGW_NET_TIMEOUT when
 * the deadline passes, MGW_NET_ERROR otherwise. */
long mgw_net_send(mgw_net *n, const uint8_t *buf, size_t len);
long mgw_net_recv(mgw_net *n, uint8_t *buf, size_t len);
void mgw_net_close(mgw_net *n);

#endif
