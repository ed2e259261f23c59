/*
 * Key generation (src/crypto/rsagen.c, src/crypto/ec.c) against mbedTLS's own
 * generator and signer and the openssl CLI (on PATH):
 *  - RSA keys: exact sizes, e, d, CRT values, |p - q|, recomputed here with
 *    the mbedtls_mpi API; mbedtls_rsa_check_privkey; `openssl rsa -check`.
 *    Keys of mbedtls_rsa_gen_key pass the same checks, broken keys fail them.
 *  - The prime search: residues of accepted primes modulo sieved primes,
 *    modulo 8 and modulo a prime above the sieve, single bits, and where in
 *    its span the accepted prime lies (a search trying the span in order
 *    would put it near the start).
 *  - ECDSA on the per-thread groups: byte-equal to mbedtls_pk_sign (RFC 6979
 *    is deterministic), from many threads, after fork(), and from a random
 *    callback that re-enters the library.
 */
#include "cert/key.h"

#include <check.h>
#include <math.h>
#include <mbedtls/pk.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif

#define TEST_TIMEOUT 900 /* RSA key generation under sanitizers */

static mgw_rng test_drbg;

static void rng_setup(void)
{
    mgw_rng_init(&test_drbg);
}

static void rng_teardown(void)
{
    mgw_rng_free(&test_drbg);
}

/* ---- statistics --------------------------------------------------------------- */

/* Pearson's chi-square of counts against equal expectations. */
static double chi_square(const unsigned *count, size_t k)
{
    double total = 0, chi = 0;
    for (size_t i = 0; i < k; i++)
        total += count[i];
    double e = total / (double)k;
    for (size_t i = 0; i < k; i++)
        chi += (count[i] - e) * (count[i] - e) / e;
    return chi;
}

/* Critical value of chi-square with df degrees of freedom at about p = 1e-6
 * (Wilson-Hilferty): a correct generator fails once in a million runs. */
static double chi_critical(size_t df)
{
    double d = (double)df, z = 4.75;
    double t = 1 - 2 / (9 * d) + z * sqrt(2 / (9 * d));
    return d * t * t * t;
}

static bool uniform(const unsigned *count, size_t k)
{
    return chi_square(count, k) < chi_critical(k - 1);
}

START_TEST(chi_square_flags_a_missing_or_favoured_class)
{
    /* the statistic of the prime tests must be able to fail */
    unsigned fair[6] = {330, 340, 325, 335, 338, 332};
    unsigned missing[6] = {400, 400, 400, 400, 400, 0};
    unsigned favoured[2] = {1150, 850}; /* 57.5 % against 42.5 % */
    ck_assert(uniform(fair, 6));
    ck_assert(!uniform(missing, 6));
    ck_assert(!uniform(favoured, 2));
}
END_TEST

/* ---- RSA keys ----------------------------------------------------------------- */

/* Why the key is not what it must be, or NULL. Every value is recomputed
 * from P, Q and E with the mbedtls_mpi API. top_two: the factors must have
 * their two top bits set (ours; mbedTLS's are only at least 2^(k-1) sqrt 2,
 * which the size of n checks). */
static const char *rsa_problem(mbedtls_rsa_context *rsa, unsigned bits, bool top_two)
{
    static char why[160];
    mbedtls_mpi N, P, Q, D, E, DP, DQ, QP, P1, Q1, G, L, T;
    mbedtls_mpi *all[] = {&N, &P, &Q, &D, &E, &DP, &DQ, &QP, &P1, &Q1, &G, &L, &T};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        mbedtls_mpi_init(all[i]);
    const char *bad = NULL;
    if (mbedtls_rsa_export(rsa, &N, &P, &Q, &D, &E) != 0 ||
        mbedtls_rsa_export_crt(rsa, &DP, &DQ, &QP) != 0)
        bad = "cannot export";
    else if (mbedtls_mpi_bitlen(&N) != bits)
        bad = "n has the wrong size";
    else if (mbedtls_mpi_bitlen(&P) != bits / 2 || mbedtls_mpi_bitlen(&Q) != bits / 2)
        bad = "a factor has the wrong size";
    else if (top_two &&
             (!mbedtls_mpi_get_bit(&P, bits / 2 - 2) || !mbedtls_mpi_get_bit(&Q, bits / 2 - 2)))
        bad = "a factor lacks its second-highest bit";
    else if (mbedtls_mpi_cmp_int(&E, 65537) != 0)
        bad = "e is not 65537";
    else if (mbedtls_mpi_mul_mpi(&T, &P, &Q) != 0 || mbedtls_mpi_cmp_mpi(&T, &N) != 0)
        bad = "n != p q";
    else if (mbedtls_mpi_cmp_mpi(&P, &Q) <= 0)
        bad = "p <= q";
    else if (mbedtls_mpi_sub_mpi(&T, &P, &Q) != 0 || mbedtls_mpi_bitlen(&T) <= bits / 2 - 99)
        bad = "|p - q| <= 2^(bits/2 - 100) (FIPS 186-4 B.3.3)";
    else if (mbedtls_mpi_is_prime_ext(&P, 40, mgw_rng_mbedtls, &test_drbg) != 0 ||
             mbedtls_mpi_is_prime_ext(&Q, 40, mgw_rng_mbedtls, &test_drbg) != 0)
        bad = "a factor is not prime";
    else if (mbedtls_mpi_sub_int(&P1, &P, 1) != 0 || mbedtls_mpi_sub_int(&Q1, &Q, 1) != 0 ||
             mbedtls_mpi_mul_mpi(&T, &P1, &Q1) != 0 || mbedtls_mpi_gcd(&G, &P1, &Q1) != 0 ||
             mbedtls_mpi_div_mpi(&L, NULL, &T, &G) != 0 || mbedtls_mpi_inv_mod(&T, &E, &L) != 0)
        bad = "e is not invertible mod lcm(p-1, q-1)";
    else if (mbedtls_mpi_cmp_mpi(&T, &D) != 0)
        bad = "d is not e^-1 mod lcm(p-1, q-1)";
    else if (mbedtls_mpi_bitlen(&D) <= (bits + 1) / 2)
        bad = "d is too small (FIPS 186-4 B.3.1)";
    else if (mbedtls_mpi_mod_mpi(&T, &D, &P1) != 0 || mbedtls_mpi_cmp_mpi(&T, &DP) != 0 ||
             mbedtls_mpi_mod_mpi(&T, &D, &Q1) != 0 || mbedtls_mpi_cmp_mpi(&T, &DQ) != 0)
        bad = "dp or dq is wrong";
    else if (mbedtls_mpi_inv_mod(&T, &Q, &P) != 0 || mbedtls_mpi_cmp_mpi(&T, &QP) != 0)
        bad = "qinv is wrong";
    else if (mbedtls_rsa_check_privkey(rsa) != 0)
        bad = "mbedtls_rsa_check_privkey refuses it";
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        mbedtls_mpi_free(all[i]);
    if (bad == NULL)
        return NULL;
    snprintf(why, sizeof(why), "%s", bad);
    return why;
}

/* `openssl rsa -check` on the key (PKCS#1 PEM); true when it says ok. */
static bool openssl_checks(mbedtls_pk_context *pk)
{
    unsigned char pem[16000];
    ck_assert_int_eq(mbedtls_pk_write_key_pem(pk, pem, sizeof(pem)), 0);
    char *dir = test_tmpdir();
    char path[4096];
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    test_write(path, pem, strlen((char *)pem));
    int st = test_sh("openssl rsa -check -noout -in '%s' 2>&1 | grep -qx 'RSA key ok'", path);
    test_rmtree(dir);
    free(dir);
    return st == 0;
}

static void rsa_pk(mbedtls_pk_context *pk)
{
    mbedtls_pk_init(pk);
    ck_assert_int_eq(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
}

START_TEST(rsa_keys_are_exact_and_valid)
{
    unsigned bits = _i < 20 ? 2048 : _i == 20 ? 3072 : 4096;
    mbedtls_pk_context pk;
    rsa_pk(&pk);
    ck_assert_int_eq(mgw_rsa_generate(mbedtls_pk_rsa(pk), bits, 65537, mgw_rng_mbedtls, &test_drbg),
                     0);
    const char *why = rsa_problem(mbedtls_pk_rsa(pk), bits, true);
    ck_assert_msg(why == NULL, "%u-bit key: %s", bits, why);
    ck_assert_msg(openssl_checks(&pk), "openssl rsa -check refuses a %u-bit key", bits);
    mbedtls_pk_free(&pk);
}
END_TEST

START_TEST(mbedtls_keys_pass_the_same_checks)
{
    mbedtls_pk_context pk;
    rsa_pk(&pk);
    ck_assert_int_eq(
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mgw_rng_mbedtls, &test_drbg, 2048, 65537), 0);
    const char *why = rsa_problem(mbedtls_pk_rsa(pk), 2048, false);
    ck_assert_msg(why == NULL, "mbedTLS's key: %s", why);
    ck_assert(openssl_checks(&pk));
    mbedtls_pk_free(&pk);
}
END_TEST

START_TEST(broken_keys_fail_the_checks)
{
    mbedtls_pk_context pk, bad;
    rsa_pk(&pk);
    rsa_pk(&bad);
    ck_assert_int_eq(mgw_rsa_generate(mbedtls_pk_rsa(pk), 2048, 65537, mgw_rng_mbedtls, &test_drbg),
                     0);
    mbedtls_mpi N, P, Q, D, E;
    mbedtls_mpi *all[] = {&N, &P, &Q, &D, &E};
    for (size_t i = 0; i < 5; i++)
        mbedtls_mpi_init(all[i]);
    ck_assert_int_eq(mbedtls_rsa_export(mbedtls_pk_rsa(pk), &N, &P, &Q, &D, &E), 0);
    /* another d (its CRT values follow it) */
    ck_assert_int_eq(mbedtls_mpi_add_int(&D, &D, 2), 0);
    ck_assert_int_eq(mbedtls_rsa_import(mbedtls_pk_rsa(bad), &N, &P, &Q, &D, &E), 0);
    ck_assert_int_eq(mbedtls_rsa_complete(mbedtls_pk_rsa(bad)), 0);
    ck_assert_ptr_nonnull(rsa_problem(mbedtls_pk_rsa(bad), 2048, true));
    ck_assert(!openssl_checks(&bad));
    /* a key of the right size whose factors are in the wrong order */
    mbedtls_pk_free(&bad);
    rsa_pk(&bad);
    ck_assert_int_eq(mbedtls_mpi_sub_int(&D, &D, 2), 0);
    ck_assert_int_eq(mbedtls_rsa_import(mbedtls_pk_rsa(bad), &N, &Q, &P, &D, &E), 0);
    ck_assert_int_eq(mbedtls_rsa_complete(mbedtls_pk_rsa(bad)), 0);
    ck_assert_str_eq(rsa_problem(mbedtls_pk_rsa(bad), 2048, true), "p <= q");
    for (size_t i = 0; i < 5; i++)
        mbedtls_mpi_free(all[i]);
    mbedtls_pk_free(&bad);
    mbedtls_pk_free(&pk);
}
END_TEST

START_TEST(rsa_refuses_bad_arguments)
{
    mbedtls_rsa_context *rsa;
    mbedtls_pk_context pk;
    rsa_pk(&pk);
    rsa = mbedtls_pk_rsa(pk);
    ck_assert_int_eq(mgw_rsa_generate(rsa, 2047, 65537, mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    ck_assert_int_eq(mgw_rsa_generate(rsa, 512, 65537, mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    ck_assert_int_eq(mgw_rsa_generate(rsa, 2048, 1, mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    /* an even e has no inverse: the search would never end */
    ck_assert_int_eq(mgw_rsa_generate(rsa, 1024, 4, mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    ck_assert_int_eq(mgw_rsa_generate(rsa, 1024, 65536, mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    ck_assert_int_eq(mgw_rsa_generate(rsa, 1024, -65537, mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    ck_assert_int_eq(mgw_rsa_generate(rsa, 2048, 65537, NULL, NULL),
                     MBEDTLS_ERR_RSA_BAD_INPUT_DATA);
    mbedtls_mpi X;
    mbedtls_mpi_init(&X);
    ck_assert_int_eq(mgw_prime_generate(&X, 64, 10, mgw_rng_mbedtls, &test_drbg, NULL),
                     MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
    ck_assert_int_eq(mgw_prime_generate(&X, 256, 0, mgw_rng_mbedtls, &test_drbg, NULL),
                     MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
    mbedtls_mpi_free(&X);
    mbedtls_pk_free(&pk);
}
END_TEST

static int failing_rng(void *ctx, unsigned char *out, size_t len)
{
    size_t *left = ctx;
    if (*left < len)
        return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    *left -= len;
    memset(out, 0x5a, len);
    return 0;
}

START_TEST(a_failing_random_source_is_reported)
{
    mbedtls_pk_context pk;
    rsa_pk(&pk);
    size_t budget = 300; /* runs out within the first Miller-Rabin rounds */
    ck_assert_int_eq(mgw_rsa_generate(mbedtls_pk_rsa(pk), 2048, 65537, failing_rng, &budget),
                     MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED);
    mbedtls_pk_free(&pk);
}
END_TEST

/* ---- the prime search: what it accepts ----------------------------------------- */

#define NPRIMES 1500
#define PRIME_BITS 256

static unsigned mod_u(const mbedtls_mpi *X, unsigned m)
{
    mbedtls_mpi_uint r;
    ck_assert_int_eq(mbedtls_mpi_mod_int(&r, X, (mbedtls_mpi_sint)m), 0);
    return (unsigned)r;
}

START_TEST(accepted_primes_are_uniform)
{
    static const unsigned sieved[] = {3, 5, 7, 11, 13, 17};
    unsigned res[6][17], mod8[4], big[16], offsets[16], bit_set[16];
    memset(res, 0, sizeof(res));
    memset(mod8, 0, sizeof(mod8));
    memset(big, 0, sizeof(big));
    memset(offsets, 0, sizeof(offsets));
    memset(bit_set, 0, sizeof(bit_set));
    unsigned long tested = 0, full = 0, drawn = 0;
    mbedtls_mpi X;
    mbedtls_mpi_init(&X);
    for (int n = 0; n < NPRIMES; n++) {
        mgw_prime_stats st;
        ck_assert_int_eq(mgw_prime_generate(&X, PRIME_BITS, 8, mgw_rng_mbedtls, &test_drbg, &st),
                         0);
        ck_assert_uint_eq(mbedtls_mpi_bitlen(&X), PRIME_BITS);
        ck_assert(mbedtls_mpi_get_bit(&X, PRIME_BITS - 2));
        if (n % 50 == 0)
            ck_assert_int_eq(mbedtls_mpi_is_prime_ext(&X, 40, mgw_rng_mbedtls, &test_drbg), 0);
        for (int k = 0; k < 6; k++) {
            unsigned r = mod_u(&X, sieved[k]);
            ck_assert_uint_ne(r, 0);
            res[k][r - 1]++;
        }
        mod8[mod_u(&X, 8) / 2]++;
        /* 65537 lies above the sieve: its classes are only thinned by chance */
        big[mod_u(&X, 65537) * 16 / 65537]++;
        ck_assert_uint_lt(st.offset, st.span);
        offsets[st.offset * 16 / st.span]++;
        for (int b = 1; b <= 16; b++)
            bit_set[b - 1] += mbedtls_mpi_get_bit(&X, (size_t)b);
        tested += st.tested;
        full += st.full_tests;
        drawn += st.drawn;
    }
    for (int k = 0; k < 6; k++)
        ck_assert_msg(uniform(res[k], sieved[k] - 1), "residues mod %u: chi-square %.1f", sieved[k],
                      chi_square(res[k], sieved[k] - 1));
    ck_assert_msg(uniform(mod8, 4), "residues mod 8: chi-square %.1f", chi_square(mod8, 4));
    ck_assert_msg(uniform(big, 16), "residues mod 65537: chi-square %.1f", chi_square(big, 16));
    /* trying the span in order would put the prime in the first bins */
    ck_assert_msg(uniform(offsets, 16), "offsets in the span: chi-square %.1f",
                  chi_square(offsets, 16));
    for (int b = 0; b < 16; b++) {
        unsigned c[2] = {bit_set[b], NPRIMES - bit_set[b]};
        ck_assert_msg(uniform(c, 2), "bit %d set in %u of %d primes", b + 1, bit_set[b], NPRIMES);
    }
    /* survivors of a sieve to 2^16 are prime with probability about
     * ln(2^16) e^gamma / ln(2^256) = 1/9; without the sieve 1/89 */
    double per_prime = (double)tested / NPRIMES;
    ck_assert_msg(per_prime > 5 && per_prime < 14, "%.1f candidates tested per prime", per_prime);
    /* the trial division lets through the odd numbers without a factor
     * below 2^16: prod (1 - 1/p) = 2 e^-gamma / ln(2^16) = 1/9.87 of them */
    double per_survivor = (double)drawn / (double)tested;
    ck_assert_msg(per_survivor > 9.0 && per_survivor < 10.8, "%.2f candidates drawn per survivor",
                  per_survivor);
#if defined(__SIZEOF_INT128__)
    /* the strong base-2 test lets through the primes and (with a chance far
     * below 2^-40 here) nothing else: the random-base rounds run once per prime */
    ck_assert_uint_eq(full, NPRIMES);
#else
    ck_assert_uint_eq(full, tested);
#endif
    mbedtls_mpi_free(&X);
}
END_TEST

START_TEST(primes_of_every_limb_count)
{
    /* odd and even numbers of 64-bit limbs, and sizes between limbs */
    static const unsigned sizes[] = {128, 160, 192, 320, 520, 1088};
    unsigned bits = sizes[_i];
    mbedtls_mpi X;
    mbedtls_mpi_init(&X);
    for (int n = 0; n < (bits > 600 ? 3 : 30); n++) {
        mgw_prime_stats st;
        ck_assert_int_eq(mgw_prime_generate(&X, bits, 8, mgw_rng_mbedtls, &test_drbg, &st), 0);
        ck_assert_uint_eq(mbedtls_mpi_bitlen(&X), bits);
        ck_assert(mbedtls_mpi_get_bit(&X, bits - 2));
        ck_assert_int_eq(mbedtls_mpi_is_prime_ext(&X, 40, mgw_rng_mbedtls, &test_drbg), 0);
#if defined(__SIZEOF_INT128__)
        ck_assert_uint_eq(st.full_tests, 1);
#endif
    }
    mbedtls_mpi_free(&X);
}
END_TEST

/* The base-2 test takes what its fixed-size arrays hold, and nothing else. */
START_TEST(strong_base2_refuses_what_it_cannot_hold)
{
    mbedtls_mpi W;
    mbedtls_mpi_init(&W);
    ck_assert_int_eq(mbedtls_mpi_lset(&W, 1), 0);
    ck_assert_int_eq(mbedtls_mpi_shift_l(&W, 4096), 0);
    ck_assert_int_eq(mbedtls_mpi_add_int(&W, &W, 1), 0); /* 2^4096 + 1: 4097 bits */
    ck_assert_int_eq(mgw_prime_strong_base2(&W), MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
    ck_assert_int_eq(mbedtls_mpi_shift_l(&W, 4000), 0);
    ck_assert_int_eq(mbedtls_mpi_add_int(&W, &W, 1), 0);
    ck_assert_int_eq(mgw_prime_strong_base2(&W), MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
    ck_assert_int_eq(mbedtls_mpi_sub_int(&W, &W, 1), 0); /* even */
    ck_assert_int_eq(mgw_prime_strong_base2(&W), MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
    ck_assert_int_eq(mbedtls_mpi_lset(&W, 65537), 0); /* too small for the search */
    ck_assert_int_eq(mgw_prime_strong_base2(&W), MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
    ck_assert_int_eq(mbedtls_mpi_lset(&W, 1), 0);
    ck_assert_int_eq(mbedtls_mpi_shift_l(&W, 4096), 0);
    ck_assert_int_eq(mbedtls_mpi_sub_int(&W, &W, 1), 0); /* 2^4096 - 1 = 3 * 5 * 17 ...: fits */
#if defined(__SIZEOF_INT128__)
    ck_assert_int_eq(mgw_prime_strong_base2(&W), MBEDTLS_ERR_MPI_NOT_ACCEPTABLE);
#endif
    ck_assert_int_eq(mbedtls_mpi_gen_prime(&W, 1100, 0, mgw_rng_mbedtls, &test_drbg), 0);
    ck_assert_int_eq(mgw_prime_strong_base2(&W), 0);
    mbedtls_mpi_free(&W);
}
END_TEST

/* What a prime search leaves on the stack below its caller: a region is
 * zeroed, the search runs in a frame of the same depth, and the region is
 * then searched for four limbs of the prime it returned. */
#define STACK_REGION (1u << 17)
static uint8_t stack_copy[STACK_REGION];

__attribute__((noinline)) static void stack_clear(void)
{
    volatile uint8_t big[STACK_REGION];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((noinline)) static void stack_snapshot(void)
{
    volatile uint8_t big[STACK_REGION];
    for (size_t i = 0; i < sizeof(big); i++)
        stack_copy[i] = big[i]; /* what the frames below left there */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
    VALGRIND_MAKE_MEM_DEFINED(stack_copy, sizeof(stack_copy));
#endif
#endif
}
#pragma GCC diagnostic pop

__attribute__((noinline)) static int search_prime(mbedtls_mpi *X, unsigned bits)
{
    return mgw_prime_generate(X, bits, 4, mgw_rng_mbedtls, &test_drbg, NULL);
}

START_TEST(a_prime_search_leaves_no_limbs_on_the_stack)
{
    static const unsigned sizes[] = {1024, 1536};
    mbedtls_mpi X;
    mbedtls_mpi_init(&X);
    for (int n = 0; n < 2; n++) {
        unsigned bits = sizes[n];
        stack_clear();
        ck_assert_int_eq(search_prime(&X, bits), 0);
        stack_snapshot();
        uint8_t le[1536 / 8];
        size_t len = bits / 8;
        ck_assert_int_eq(mbedtls_mpi_write_binary_le(&X, le, len), 0);
        for (size_t at = 0; at + 32 <= len; at += 32)
            for (size_t i = 0; i + 32 <= sizeof(stack_copy); i += 8)
                ck_assert_msg(memcmp(stack_copy + i, le + at, 32) != 0,
                              "bytes %zu..%zu of a %u-bit prime left on the stack", at, at + 31,
                              bits);
    }
    mbedtls_mpi_free(&X);
}
END_TEST

/* ---- ECDSA on the per-thread groups ------------------------------------------- */

static void ec_key(mbedtls_pk_context *pk, mbedtls_ecp_group_id id, mgw_compat_rng f, void *p)
{
    mbedtls_pk_init(pk);
    ck_assert_int_eq(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    ck_assert_int_eq(mgw_ec_generate(id, mbedtls_pk_ec(*pk), f, p), 0);
}

/* A fresh key of curve id signs a hash; the signature verifies, and equals
 * mbedtls_pk_sign's where that is deterministic. Returns 0 when all holds. */
static int ec_round(mbedtls_ecp_group_id id, mgw_rng *rng)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int bad = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
              mgw_ec_generate(id, mbedtls_pk_ec(pk), mgw_rng_mbedtls, rng) != 0;
    mbedtls_ecp_keypair *kp = bad ? NULL : mbedtls_pk_ec(pk);
    bad = bad || mbedtls_ecp_check_privkey(mgw_compat_ecp_grp(kp), mgw_compat_ecp_d(kp)) != 0 ||
          mbedtls_ecp_check_pubkey(mgw_compat_ecp_grp(kp), mgw_compat_ecp_Q(kp)) != 0 ||
          mgw_compat_pk_check_pair(&pk, &pk, mgw_rng_mbedtls, rng) != 0;
    uint8_t hash[48], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE], ref[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t hl = id == MBEDTLS_ECP_DP_SECP256R1 ? 32 : 48, sl = 0, rl = 0;
    mbedtls_md_type_t md = hl == 32 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA384;
    bad = bad || mgw_rng_fill(rng, hash, hl) != MGW_OK ||
          mgw_pk_sign(&pk, md, hash, hl, sig, sizeof(sig), &sl, mgw_rng_mbedtls, rng) != 0 ||
          mbedtls_pk_verify(&pk, md, hash, hl, sig, sl) != 0 ||
          mgw_compat_pk_sign(&pk, md, hash, hl, ref, sizeof(ref), &rl, mgw_rng_mbedtls, rng) != 0;
#if defined(MBEDTLS_ECDSA_DETERMINISTIC)
    bad = bad || sl != rl || memcmp(sig, ref, sl) != 0;
#endif
    hash[0] ^= 1; /* and a signature of something else does not verify */
    bad = bad || mbedtls_pk_verify(&pk, md, hash, hl, sig, sl) == 0;
    mbedtls_pk_free(&pk);
    return bad;
}

START_TEST(ec_signatures_match_mbedtls)
{
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(ec_round(MBEDTLS_ECP_DP_SECP256R1, &test_drbg), 0);
        ck_assert_int_eq(ec_round(MBEDTLS_ECP_DP_SECP384R1, &test_drbg), 0);
    }
}
END_TEST

START_TEST(ec_signature_buffer_too_small)
{
    mbedtls_pk_context pk;
    ec_key(&pk, MBEDTLS_ECP_DP_SECP256R1, mgw_rng_mbedtls, &test_drbg);
    uint8_t hash[32] = {1}, sig[16];
    size_t sl = 0;
    ck_assert_int_eq(mgw_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sizeof(sig), &sl,
                                 mgw_rng_mbedtls, &test_drbg),
                     MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL);
    mbedtls_pk_free(&pk);
}
END_TEST

static void *ec_worker(void *arg)
{
    (void)arg;
    mgw_rng rng;
    mgw_rng_init(&rng);
    intptr_t bad = 0;
    for (int i = 0; i < 15 && !bad; i++)
        bad = ec_round(i % 3 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1, &rng);
    mgw_rng_free(&rng);
    return (void *)bad;
}

START_TEST(threads_sign_with_their_own_groups)
{
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, ec_worker, NULL), 0);
    for (int i = 0; i < 6; i++) {
        void *bad = NULL;
        ck_assert_int_eq(pthread_join(t[i], &bad), 0);
        ck_assert_ptr_null(bad);
    }
}
END_TEST

START_TEST(a_forked_child_keeps_working)
{
    ck_assert_int_eq(ec_round(MBEDTLS_ECP_DP_SECP256R1, &test_drbg), 0); /* groups loaded */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        mgw_rng rng; /* the child's own generator: the parent's state is not reused */
        mgw_rng_init(&rng);
        int bad =
            ec_round(MBEDTLS_ECP_DP_SECP256R1, &rng) || ec_round(MBEDTLS_ECP_DP_SECP384R1, &rng);
        mgw_rng_free(&rng);
        _exit(bad ? 1 : 0);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(ec_round(MBEDTLS_ECP_DP_SECP256R1, &test_drbg), 0);
}
END_TEST

/* Reads up to cap bytes from fd until end of file. */
static size_t read_all(int fd, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

/* One object seeded before fork(): parent and child each draw from it. The
 * child sends its key's public DER and 32 random bytes of a second object
 * back through a pipe; none of it may equal the parent's. */
START_TEST(parent_and_child_draw_different_bytes_after_fork)
{
    mgw_key_t *k = mgw_key_new();
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(mgw_key_generate(k, MGW_KEY_P256), MGW_OK); /* seeds k's DRBG */
    uint8_t seeded[32];
    ck_assert_int_eq(mgw_rng_fill(&test_drbg, seeded, sizeof(seeded)), MGW_OK);
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    uint8_t bytes[32], *der = NULL;
    size_t len = 0;
    int bad = mgw_key_generate(k, MGW_KEY_P256) != MGW_OK ||
              mgw_key_export_public(k, MGW_FORMAT_DER, &der, &len) != MGW_OK ||
              mgw_rng_fill(&test_drbg, bytes, sizeof(bytes)) != MGW_OK || len > 512;
    if (pid == 0) {
        close(fd[0]);
        if (!bad && (write(fd[1], bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes) ||
                     write(fd[1], der, len) != (ssize_t)len))
            bad = 1;
        _exit(bad ? 1 : 0);
    }
    close(fd[1]);
    uint8_t child[32 + 512];
    size_t n = read_all(fd[0], child, sizeof(child));
    close(fd[0]);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert(!bad);
    ck_assert_uint_eq(n, sizeof(bytes) + len);
    ck_assert_msg(memcmp(child, bytes, sizeof(bytes)) != 0, "the child repeated the parent's bytes");
    ck_assert_msg(memcmp(child + sizeof(bytes), der, len) != 0,
                  "the child generated the parent's key");
    mgw_free(der);
    mgw_key_free(&k);
}
END_TEST

/* A random callback that generates a key itself while the outer generation
 * holds this thread's group. */
typedef struct {
    test_rng inner;
    int nested;
} reentrant_ctx;

static int reentrant_rng(void *ctx, unsigned char *out, size_t len)
{
    reentrant_ctx *c = ctx;
    if (c->nested < 3) {
        c->nested++;
        mgw_key_t *k = mgw_key_new();
        int r = k == NULL ? MGW_ERR_NO_MEMORY : mgw_key_generate(k, MGW_KEY_P256);
        mgw_key_free(&k);
        if (r != MGW_OK)
            return -1;
    }
    return test_rng_cb(&c->inner, out, len);
}

START_TEST(a_reentrant_random_callback_gets_its_own_group)
{
    reentrant_ctx ctx = {{0x1234567}, 0};
    mgw_key_t *k = mgw_key_new();
    ck_assert_int_eq(mgw_key_set_rng(k, reentrant_rng, &ctx), MGW_OK);
    ck_assert_int_eq(mgw_key_generate(k, MGW_KEY_P256), MGW_OK);
    ck_assert_int_ge(ctx.nested, 1); /* 2.28 draws three times, 3.6 twice */
    mbedtls_ecp_keypair *kp = mbedtls_pk_ec(k->pk);
    ck_assert_int_eq(mbedtls_ecp_check_pubkey(mgw_compat_ecp_grp(kp), mgw_compat_ecp_Q(kp)), 0);
    ck_assert_int_eq(mgw_compat_pk_check_pair(&k->pk, &k->pk, mgw_rng_mbedtls, &test_drbg), 0);
    mgw_key_free(&k);
}
END_TEST

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, TEST_TIMEOUT);
    tcase_add_checked_fixture(tc, rng_setup, rng_teardown);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("keygen");
    TCase *tc = tcase(s, "rsa");
    tcase_add_loop_test(tc, rsa_keys_are_exact_and_valid, 0, 22);
    tcase_add_loop_test(tc, mbedtls_keys_pass_the_same_checks, 0, 2);
    tcase_add_test(tc, broken_keys_fail_the_checks);
    tcase_add_test(tc, rsa_refuses_bad_arguments);
    tcase_add_test(tc, a_failing_random_source_is_reported);

    tc = tcase(s, "prime");
    tcase_add_test(tc, chi_square_flags_a_missing_or_favoured_class);
    tcase_add_test(tc, accepted_primes_are_uniform);
    tcase_add_loop_test(tc, primes_of_every_limb_count, 0, 6);
    tcase_add_test(tc, strong_base2_refuses_what_it_cannot_hold);
    tcase_add_test(tc, a_prime_search_leaves_no_limbs_on_the_stack);

    tc = tcase(s, "ec");
    tcase_add_test(tc, ec_signatures_match_mbedtls);
    tcase_add_test(tc, ec_signature_buffer_too_small);
    tcase_add_test(tc, threads_sign_with_their_own_groups);
    tcase_add_test(tc, a_forked_child_keeps_working);
    tcase_add_test(tc, parent_and_child_draw_different_bytes_after_fork);
    tcase_add_test(tc, a_reentrant_random_callback_gets_its_own_group);
    return test_run(s);
}
