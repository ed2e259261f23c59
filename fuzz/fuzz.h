/*
 * Shared by the fuzz harnesses. Each harness is one LLVMFuzzerTestOneInput:
 * built with clang -fsanitize=fuzzer by `./run fuzz`, and with replay.c as an
 * ordinary program that `./run test` runs over the harness's corpus.
 */
#ifndef MGW_FUZZ_H
#define MGW_FUZZ_H

#include "mgwauth.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that does not hold: report it and abort (libFuzzer saves the input). */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s (last error: %s)\n", __FILE__, __LINE__,   \
                    #cond, mgw_last_error());                                                      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A failed call leaves a message that names the problem and carries no
 * control characters from the input (it may reach a terminal). */
static inline void fuzz_check_error(int r)
{
    if (r == MGW_OK)
        return;
    const char *e = mgw_last_error();
    FUZZ_ASSERT(e[0] != '\0');
    for (const unsigned char *c = (const unsigned char *)e; *c != '\0'; c++) {
        FUZZ_ASSERT(*c >= 0x20 && *c != 0x7F);
        /* C1 controls as UTF-8 (U+0080..U+009F), e.g. CSI */
        FUZZ_ASSERT(!(c[0] == 0xC2 && c[1] >= 0x80 && c[1] < 0xA0));
    }
}

/* The input as a NUL-terminated string (malloc'ed). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
