/* The registry fixtures under tests/data/registry, for the registry suites. */
#ifndef MGW_REGFIXTURE_H
#define MGW_REGFIXTURE_H

#include "testutil.h"

#include <stdio.h>

/* A whole fixture file (malloc'ed); a missing one fails the test. */
static inline uint8_t *reg_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/registry/%s", MGW_TEST_DATA_DIR, name);
    uint8_t *p = test_read(path, len);
    ck_assert_msg(p != NULL, "missing fixture %s", path);
    return p;
}

#endif
