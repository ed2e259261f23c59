/* Helpers shared by the Check suites. */
#ifndef MGW_TESTUTIL_H
#define MGW_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Deterministic generator (xorshift) usable as an mgw_rng_cb. */
typedef struct {
    uint64_t s;
} test_rng;
int test_rng_cb(void *ctx, unsigned char *out, size_t len);

/* Decode hex (whitespace ignored) into a malloc'ed buffer. */
uint8_t *test_unhex(const char *hex, size_t *len);
/* Fresh temporary directory (malloc'ed path) and recursive removal. */
char *test_tmpdir(void);
void test_rmtree(const char *path);
/* Run a shell command; returns its exit status. */
int test_sh(const char *fmt, ...);
/* Read or write a whole file (malloc'ed, NUL-terminated). */
uint8_t *test_read(const char *path, size_t *len);
void test_write(const char *path, const void *data, size_t len);

/* First occurrence of needle in hay, or NULL. */
void *test_memmem(const void *hay, size_t hn, const void *needle, size_t nn);

/* Run the suite with the TAP-friendly defaults; returns the process status. */
int test_run(Suite *s);

#endif
