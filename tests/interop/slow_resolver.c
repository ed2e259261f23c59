/* LD_PRELOAD shim for the gateway-check interop test: getaddrinfo() sleeps
 * $MGW_SLOW_RESOLVER_MS milliseconds before it answers, like a resolver that
 * does not respond, so the test can see the check's deadline cover name
 * resolution. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    const char *ms = getenv("MGW_SLOW_RESOLVER_MS");
    long wait = ms != NULL ? strtol(ms, NULL, 10) : 0;
    if (wait > 0) {
        struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
    gai_fn real;
    memcpy(&real, &sym, sizeof(real));
    return real(node, service, hints, res);
}
