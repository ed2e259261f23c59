/*
 * KDF cost against its floor: PBKDF2-HMAC-SHA256 (floor: two SHA-256
 * compressions per iteration) and the PKCS#12 KDF with SHA-1 (floor: one SHA-1
 * compression per iteration), plus the plain mbedtls_md_hmac() loop that a
 * straightforward implementation would spend. Prints one JSON object.
 */
#include "crypto/crypto.h"
#include "crypto/sha_fast.h"

#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best of `runs` timings of fn, in seconds. */
static double best(int runs, void (*fn)(void))
{
    double best_time = 1e30;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        fn();
        double d = now() - t0;
        if (d < best_time)
            best_time = d;
    }
    return best_time;
}

static volatile uint8_t sink;

static uint32_t iterations;
static uint8_t out[32], salt[16] = {7};
static const mgw_password pw = {(const uint8_t *)"Secret123", 9, false};

/* The floor: the compression calls alone, with the same implementation the
 * KDFs use (the CPU's SHA instructions when it has them). */
static void floor256(void)
{
    uint32_t st[8] = {1};
    uint8_t block[64] = {1};
    for (uint32_t i = 0; i < 2 * iterations; i++)
        mgw_sha256_compress(st, block, 1);
    sink = (uint8_t)st[0];
}

static void floor1(void)
{
    uint32_t st[5] = {1};
    uint8_t block[64] = {1};
    for (uint32_t i = 0; i < iterations; i++)
        mgw_sha1_compress(st, block, 1);
    sink = (uint8_t)st[0];
}

/* mbedTLS's own compression, for reference. */
static void sha256_blocks(void)
{
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    uint8_t block[64] = {1};
    for (uint32_t i = 0; i < 2 * iterations; i++)
        mbedtls_internal_sha256_process(&c, block);
    mbedtls_sha256_free(&c);
}

static void sha1_blocks(void)
{
    mbedtls_sha1_context c;
    mbedtls_sha1_init(&c);
    uint8_t block[64] = {1};
    for (uint32_t i = 0; i < iterations; i++)
        mbedtls_internal_sha1_process(&c, block);
    mbedtls_sha1_free(&c);
}

/* PBKDF2 the straightforward way: a full HMAC per iteration (4 compressions). */
static void naive_pbkdf2(void)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    uint8_t u[32] = {0}, t[32] = {0};
    for (uint32_t i = 0; i < iterations; i++) {
        mbedtls_md_hmac(info, (const uint8_t *)"password", 8, u, sizeof(u), u);
        for (int k = 0; k < 32; k++)
            t[k] ^= u[k];
    }
    sink = t[0];
}

static void pbkdf2(void)
{
    mgw_pbkdf2(MBEDTLS_MD_SHA256, pw.p, pw.len, salt, sizeof(salt), iterations, out, 32);
}

static void pkcs12_kdf(void)
{
    mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, &pw, salt, 8, 1, iterations, out, 20);
}

int main(int argc, char **argv)
{
    iterations = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 200000;
    double t_floor256 = best(5, floor256);
    double t_mbed256 = best(5, sha256_blocks);
    double t_pbkdf2 = best(5, pbkdf2);
    double t_naive = best(3, naive_pbkdf2);
    double t_floor1 = best(5, floor1);
    double t_mbed1 = best(5, sha1_blocks);
    double t_p12 = best(5, pkcs12_kdf);
    sink = out[0];
    printf("{\"iterations\":%lu,\"sha_hardware\":%s,"
           "\"pbkdf2_sha256_s\":%.6f,\"pbkdf2_floor_s\":%.6f,\"pbkdf2_mbedtls_floor_s\":%.6f,"
           "\"pbkdf2_naive_hmac_s\":%.6f,"
           "\"pkcs12_kdf_sha1_s\":%.6f,\"pkcs12_floor_s\":%.6f,\"pkcs12_mbedtls_floor_s\":%.6f}\n",
           (unsigned long)iterations, mgw_sha_hw_available() ? "true" : "false", t_pbkdf2,
           t_floor256, t_mbed256, t_naive, t_p12, t_floor1, t_mbed1);
    return 0;
}
