/* The operating system's entropy source on Windows: BCryptGenRandom with the
 * system-preferred RNG (no algorithm handle to open or leak). */
#include "platform/entropy.h"

#include <windows.h>
#include <bcrypt.h>

int mgw_os_entropy(uint8_t *buf, size_t len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000u ? 0x10000000u : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return -1;
        buf += n;
        len -= n;
    }
    return 0;
}
