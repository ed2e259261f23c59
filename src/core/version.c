/* Run-time version of the library. */
#include "core.h"

#define STR2(x) #x
#define STR(x) STR2(x)

MGW_API const char *mgw_version(void)
{
    return STR(MGW_VERSION_MAJOR) "." STR(MGW_VERSION_MINOR) "." STR(MGW_VERSION_PATCH);
}

MGW_API uint32_t mgw_version_number(void)
{
    return (uint32_t)(MGW_VERSION_MAJOR << 16 | MGW_VERSION_MINOR << 8 | MGW_VERSION_PATCH);
}
