/* Version-dependent library set-up; see compat.h. */
#include "crypto/compat.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#if defined(_WIN32)
#include <windows.h>
static INIT_ONCE init_once = INIT_ONCE_STATIC_INIT;
static int init_status;
static BOOL CALLBACK run_init(PINIT_ONCE o, PVOID p, PVOID *c)
{
    (void)o, (void)p, (void)c;
    init_status = psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
    return TRUE;
}
int mgw_compat_init(void)
{
    InitOnceExecuteOnce(&init_once, run_init, NULL, NULL);
    return init_status;
}
#else
#include <pthread.h>
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status;
static void run_init(void)
{
    init_status = psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
}
int mgw_compat_init(void)
{
    pthread_once(&init_once, run_init);
    return init_status;
}
#endif
#else
int mgw_compat_init(void)
{
    return 0;
}
#endif
