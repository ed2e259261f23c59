/*
 * TCP client sockets on Windows (Winsock 2; net.h): select()-based waits,
 * getaddrinfo() on a thread under the deadline. Winsock is started once per process and
 * left running (WSACleanup at exit would race with other threads' sockets).
 */
/* winsock2.h before windows.h (which would pull in the old winsock.h) */
#include <winsock2.h>
#include <ws2tcpip.h>

#include "platform/net.h"
#include "platform/win.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int64_t mgw_net_now_ms(void)
{
    return (int64_t)GetTickCount64();
}

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_status = -1;

static BOOL CALLBACK wsa_start(PINIT_ONCE o, PVOID p, PVOID *c)
{
    (void)o, (void)p, (void)c;
    WSADATA wd;
    wsa_status = WSAStartup(MAKEWORD(2, 2), &wd);
    return TRUE;
}

/* A connect that failed shows in the exception set. */
int mgw_netos_wait(const mgw_net *n, bool for_write)
{
    SOCKET s = (SOCKET)n->fd;
    int ms = mgw_net_remaining(n);
    if (ms == 0)
        return 0;
    fd_set rd, wr, ex;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    if (for_write) {
        FD_SET(s, &wr);
        FD_SET(s, &ex); /* a failed connect shows here */
    } else {
        FD_SET(s, &rd);
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    int r = select(0, &rd, &wr, &ex, &tv);
    return r == SOCKET_ERROR ? -1 : r > 0 ? 1 : 0;
}

static void close_socket(mgw_net *n)
{
    closesocket((SOCKET)n->fd);
    n->fd = -1;
}

/* 0 connected; -1 with *err (a WSA error code) otherwise. */
static int try_connect(mgw_net *n, const struct addrinfo *ai, int *err)
{
    SOCKET s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (s == INVALID_SOCKET) {
        *err = WSAGetLastError();
        return -1;
    }
    u_long nonblocking = 1;
    ioctlsocket(s, FIONBIO, &nonblocking);
    n->fd = (intptr_t)s;
    if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0)
        return 0;
    int e = WSAGetLastError();
    if (e != WSAEWOULDBLOCK && e != WSAEINPROGRESS) {
        *err = e;
        close_socket(n);
        return -1;
    }
    int w = mgw_netos_wait(n, true);
    int soerr = 0;
    int len = sizeof(soerr);
    if (w > 0)
        getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&soerr, &len);
    if (w <= 0 || soerr != 0) {
        *err = w == 0 ? WSAETIMEDOUT : soerr != 0 ? soerr : WSAGetLastError();
        close_socket(n);
        return -1;
    }
    return 0;
}

/* Name resolution under the deadline: getaddrinfo() has no timeout, so it runs
 * on its own thread; whichever side finishes last frees the shared state. */
typedef struct {
    CRITICAL_SECTION lock;
    CONDITION_VARIABLE done_cv;
    int refs;
    bool done;
    int rc;
    struct addrinfo *res;
    char *host, *port;
} resolve_job;

static void resolve_release(resolve_job *j)
{
    EnterCriticalSection(&j->lock);
    int left = --j->refs;
    LeaveCriticalSection(&j->lock);
    if (left > 0)
        return;
    if (j->res != NULL)
        freeaddrinfo(j->res);
    DeleteCriticalSection(&j->lock);
    free(j->host);
    free(j->port);
    free(j);
}

static DWORD WINAPI resolve_thread(LPVOID arg)
{
    resolve_job *j = arg;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(j->host, j->port, &hints, &res);
    EnterCriticalSection(&j->lock);
    j->rc = rc;
    j->res = rc == 0 ? res : NULL;
    j->done = true;
    WakeConditionVariable(&j->done_cv);
    LeaveCriticalSection(&j->lock);
    resolve_release(j);
    return 0;
}

static char *copy(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL)
        memcpy(c, s, n);
    return c;
}

int mgw_netos_resolve(const mgw_net *n, const char *host, const char *port, struct addrinfo **out,
                   bool *timed_out)
{
    *out = NULL;
    *timed_out = false;
    resolve_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return EAI_MEMORY;
    InitializeCriticalSection(&j->lock);
    InitializeConditionVariable(&j->done_cv);
    j->host = copy(host);
    j->port = copy(port);
    j->refs = 2;
    HANDLE t = NULL;
    if (j->host != NULL && j->port != NULL)
        t = CreateThread(NULL, 0, resolve_thread, j, 0, NULL);
    if (t == NULL) {
        j->refs = 1;
        resolve_release(j);
        return EAI_MEMORY;
    }
    CloseHandle(t);
    EnterCriticalSection(&j->lock);
    while (!j->done) {
        int ms = mgw_net_remaining(n);
        if (ms == 0 || (!SleepConditionVariableCS(&j->done_cv, &j->lock, (DWORD)ms) &&
                        GetLastError() == ERROR_TIMEOUT && mgw_net_remaining(n) == 0))
            break;
    }
    int rc = EAI_AGAIN;
    if (j->done) {
        rc = j->rc;
        *out = j->res;
        j->res = NULL;
    } else {
        *timed_out = true;
    }
    LeaveCriticalSection(&j->lock);
    resolve_release(j);
    return rc;
}

int mgw_netos_start(void)
{
    InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
    if (wsa_status != 0)
        return mgw_err(MGW_ERR_CHECK_CONNECT, "cannot start Winsock (%d)", wsa_status);
    return MGW_OK;
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
    return err == WSAETIMEDOUT;
}

const char *mgw_netos_resolve_text(int code, char *buf, size_t size)
{
    return mgw_win_strerror((DWORD)code, buf, size);
}

const char *mgw_netos_error_text(int err, char *buf, size_t size)
{
    return mgw_win_strerror((DWORD)err, buf, size);
}

long mgw_netos_send(mgw_net *n, const uint8_t *buf, size_t len)
{
    int chunk = len > 0x40000000u ? 0x40000000 : (int)len;
    int w = send((SOCKET)n->fd, (const char *)buf, chunk, 0);
    if (w != SOCKET_ERROR)
        return (long)w;
    return WSAGetLastError() == WSAEWOULDBLOCK ? MGW_NETOS_AGAIN : MGW_NET_ERROR;
}

long mgw_netos_recv(mgw_net *n, uint8_t *buf, size_t len)
{
    int chunk = len > 0x40000000u ? 0x40000000 : (int)len;
    int r = recv((SOCKET)n->fd, (char *)buf, chunk, 0);
    if (r != SOCKET_ERROR)
        return (long)r;
    return WSAGetLastError() == WSAEWOULDBLOCK ? MGW_NETOS_AGAIN : MGW_NET_ERROR;
}

void mgw_net_close(mgw_net *n)
{
    if (n->fd >= 0)
        closesocket((SOCKET)n->fd);
    n->fd = -1;
}

bool mgw_netos_out_of_memory(int code)
{
    return code == EAI_MEMORY;
}
