/* The one rule for passwords the library takes (core.h). */
#include "core/core.h"

#include <string.h>

int mgw_password_check(const char *password, size_t len)
{
    size_t bad;
    if (len > MGW_PASSWORD_MAX)
        return mgw_err(MGW_ERR_PASSWORD, "password longer than %d bytes", MGW_PASSWORD_MAX);
    if (!mgw_utf8_valid((const uint8_t *)password, len, &bad))
        return mgw_err(MGW_ERR_UTF8, "password: invalid UTF-8 at byte %zu", bad + 1);
    if (memchr(password, 0, len) != NULL)
        return mgw_err(MGW_ERR_PASSWORD, "password contains a NUL byte");
    return MGW_OK;
}
