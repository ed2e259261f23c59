/* Version-dependent library set-up; see compat.h. */
#include "crypto/compat.h"
#include "core/core.h"

#include <stdio.h>

/* One-time set-up: PSA crypto on 3.x, and the version string of the mbedTLS
 * loaded at run time (which may differ from the headers built against). */
static int init_status;
static char crypto_version[32];

static void run_init(void)
{
    char v[16] = {0}; /* "x.y.z": at most 9 bytes with its NUL */
    mbedtls_version_get_string(v);
    snprintf(crypto_version, sizeof(crypto_version), "mbedTLS %s", v);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    init_status = psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
#else
    init_status = 0;
#endif
}

#if defined(_WIN32)
#include <windows.h>
static INIT_ONCE init_once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK run_init_once(PINIT_ONCE o, PVOID p, PVOID *c)
{
    (void)o, (void)p, (void)c;
    run_init();
    return TRUE;
}
int mgw_compat_init(void)
{
    InitOnceExecuteOnce(&init_once, run_init_once, NULL, NULL);
    return init_status;
}
#else
#include <pthread.h>
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
int mgw_compat_init(void)
{
    pthread_once(&init_once, run_init);
    return init_status;
}
#endif

MGW_API const char *mgw_crypto_version(void)
{
    mgw_compat_init();
    return crypto_version;
}
