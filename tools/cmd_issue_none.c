/* mgwauth cert issue where batch issuance is not built (Windows): it runs
 * POSIX threads, signal handling and fsync, and it issues certificates,
 * which the Windows build made with mingw-w64 cannot (no mbedTLS). */
#include "cli.h"

int cmd_issue(int argc, char **argv)
{
    (void)argc, (void)argv;
    fputs("mgwauth: error: cert issue --batch: not available in this build\n", stderr);
    return 1;
}
