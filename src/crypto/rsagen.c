/* RSA key generation: mbedtls_rsa_gen_key's checks around a sieved prime
 * search.
 *
 * mbedtls_mpi_gen_prime draws a fresh random number for every candidate,
 * divides it by the 168 primes below 1000 and runs Miller-Rabin on what is
 * left: about 58 modular exponentiations for a 1024-bit prime. Here one
 * random odd base X gets its residues modulo every odd prime below 2^16
 * once; they strike out every candidate X + 2i (0 <= i < SPAN) with a small
 * factor, leaving about 36 candidates per prime. Each survivor is tested
 * once: a strong base-2 test in Montgomery form (squarings and doublings
 * only, about 0.7 of an mbedtls_mpi_exp_mod) rejects nearly every
 * composite, and the one that passes gets mbedTLS's random-base Miller-Rabin
 * rounds, whose exponentiations share one R^2 mod W. The trial division of
 * mbedtls_mpi_is_prime_ext (done by the sieve) is not repeated.
 *
 * Distribution: trying X, X + 2, X + 4, ... in order would pick each prime
 * with a probability proportional to the gap before it, which favours for
 * instance primes = 2 mod 3 (p - 2 is then divisible by 3, so the gap is
 * longer). The survivors are tried in a uniformly random order instead, so
 * the prime found is uniform among the primes of the span. The test suite
 * checks the residues of accepted primes and where they lie in the span
 * (tests/test_keygen.c).
 *
 * Constant time, as in mbedTLS: the random-base rounds use
 * mbedtls_mpi_exp_mod (window table read with a constant-time select) like
 * mbedtls_mpi_is_prime_ext; the base-2 exponentiation does the same steps
 * for every exponent bit and selects with masks, and its reduction ends with
 * a masked subtraction. Like mbedTLS's trial division and Miller-Rabin, the
 * sieve, the number of squarings after the exponentiation and the early
 * exits depend on the candidate, and the GCD and inverse of the key checks
 * are mbedtls_mpi_gcd/inv_mod as in mbedtls_rsa_gen_key; a rejected
 * candidate is discarded, so its timing says nothing about the key. */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#define SIEVE_LIMIT 65536u /* sieve with the odd primes below this */
#define SPAN 8192u         /* candidates X + 2i, 0 <= i < SPAN */

/* The odd primes below SIEVE_LIMIT (6541 of them). Computed per search: a
 * sieve of Eratosthenes over 64 Ki numbers costs far less than one
 * Miller-Rabin round and needs no shared state. */
static size_t small_primes(uint16_t *out)
{
    static const size_t n = SIEVE_LIMIT / 2; /* odd numbers 2k + 1 */
    uint8_t *composite = calloc(n, 1);
    if (composite == NULL)
        return 0;
    size_t count = 0;
    for (size_t k = 1; k < n; k++) {
        if (composite[k])
            continue;
        size_t p = 2 * k + 1;
        out[count++] = (uint16_t)p;
        for (size_t m = p * p / 2; m < n; m += p)
            composite[m] = 1;
    }
    free(composite);
    return count;
}

#define SMALL_PRIMES 6541

/* X as 32-bit words, most significant first. */
static int words_of(const mbedtls_mpi *X, uint32_t *w, size_t nw)
{
    uint8_t be[8192 / 8 + 4];
    size_t nb = nw * 4;
    if (nb > sizeof(be) || mbedtls_mpi_write_binary(X, be, nb) != 0)
        return -1;
    for (size_t i = 0; i < nw; i++)
        w[i] = (uint32_t)be[4 * i] << 24 | (uint32_t)be[4 * i + 1] << 16 |
               (uint32_t)be[4 * i + 2] << 8 | be[4 * i + 3];
    mgw_zeroize(be, sizeof(be));
    return 0;
}

static uint32_t mod_small(const uint32_t *w, size_t nw, uint32_t m)
{
    uint64_t r = 0;
    for (size_t i = 0; i < nw; i++)
        r = ((r << 32) | w[i]) % m;
    return (uint32_t)r;
}

/* Strike out the i with X + 2i = 0 mod p, given r = X mod p. */
static void strike(uint8_t *sieve, uint32_t p, uint32_t r)
{
    /* 2i = -r (mod p): i = (p - r) * (p + 1) / 2 mod p */
    uint32_t i = (uint32_t)((uint64_t)((p - r) % p) * ((p + 1) / 2) % p);
    for (; i < SPAN; i += p)
        sieve[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Survivors of the sieve for base X: indices i of X + 2i with no factor
 * below SIEVE_LIMIT. Residues come two primes at a time (p * q < 2^32). */
static size_t sieve_survivors(const mbedtls_mpi *X, const uint16_t *primes, size_t np,
                              uint16_t *surv)
{
    uint32_t w[8192 / 32 + 1];
    size_t nw = (mbedtls_mpi_bitlen(X) + 31) / 32;
    uint8_t sieve[SPAN / 8];
    memset(sieve, 0, sizeof(sieve));
    if (words_of(X, w, nw) != 0)
        return 0;
    size_t k = 0;
    for (; k + 1 < np; k += 2) {
        uint32_t p = primes[k], q = primes[k + 1];
        uint32_t r = mod_small(w, nw, p * q);
        strike(sieve, p, r % p);
        strike(sieve, q, r % q);
    }
    if (k < np)
        strike(sieve, primes[k], mod_small(w, nw, primes[k]));
    mgw_zeroize(w, sizeof(w));
    size_t n = 0;
    for (uint32_t i = 0; i < SPAN; i++)
        if (!(sieve[i / 8] & (1u << (i % 8))))
            surv[n++] = (uint16_t)i;
    return n;
}

#if defined(__SIZEOF_INT128__)
/* A strong probable-prime test to base 2, the first test of every survivor:
 * almost every composite fails it, and with base 2 the exponentiation needs
 * no multiplications, only Montgomery squarings and modular doublings (2y is
 * a shift and a subtraction), about half the work of mbedtls_mpi_exp_mod.
 * It only rejects: a candidate that passes still gets all the random-base
 * rounds. Constant time in the exponent like mbedtls_mpi_exp_mod: every
 * step squares and doubles and keeps the double through a mask. */
typedef uint64_t limb;
__extension__ typedef unsigned __int128 dlimb; /* GCC and Clang on 64-bit targets */
#define MAX_LIMBS (4096 / 64)

typedef struct {
    size_t n;
    limb m[MAX_LIMBS];
    limb minv; /* -m^-1 mod 2^64 */
} mont;

#define INLINE static inline __attribute__((always_inline))

/* r = t R^-1 mod m, t of 2n limbs (destroyed), r < m */
INLINE void mont_reduce(limb *r, limb *t, const mont *M, size_t n)
{
    limb top = 0;
    size_t i = 0;
    /* Two rows at a time, the second one limb behind the first: two
     * independent carry chains, and each limb of t loaded and stored once
     * per pair. The sums are those of one row after the other. */
    for (; i + 1 < n; i += 2) {
        limb q0 = t[i] * M->minv, c0, c1;
        dlimb s = (dlimb)q0 * M->m[0] + t[i];
        c0 = (limb)(s >> 64);
        s = (dlimb)q0 * M->m[1] + t[i + 1] + c0;
        c0 = (limb)(s >> 64);
        limb t1 = (limb)s, q1 = t1 * M->minv;
        s = (dlimb)q1 * M->m[0] + t1;
        c1 = (limb)(s >> 64);
#pragma GCC unroll 8
        for (size_t j = 2; j < n; j++) {
            s = (dlimb)q0 * M->m[j] + t[i + j] + c0;
            c0 = (limb)(s >> 64);
            s = (dlimb)q1 * M->m[j - 1] + (limb)s + c1;
            t[i + j] = (limb)s;
            c1 = (limb)(s >> 64);
        }
        s = (dlimb)t[i + n] + c0 + top; /* the end of the first row */
        top = (limb)(s >> 64);
        s = (dlimb)q1 * M->m[n - 1] + (limb)s + c1;
        t[i + n] = (limb)s;
        c1 = (limb)(s >> 64);
        s = (dlimb)t[i + n + 1] + c1 + top; /* the end of the second */
        t[i + n + 1] = (limb)s;
        top = (limb)(s >> 64);
    }
    for (; i < n; i++) { /* the last row of an odd n */
        limb q = t[i] * M->minv, c = 0;
        for (size_t j = 0; j < n; j++) {
            dlimb s = (dlimb)q * M->m[j] + t[i + j] + c;
            t[i + j] = (limb)s;
            c = (limb)(s >> 64);
        }
        dlimb s = (dlimb)t[i + n] + c + top;
        t[i + n] = (limb)s;
        top = (limb)(s >> 64);
    }
    /* t[n..2n) + top 2^(64n) < 2m: subtract m unless that borrows past top */
    limb borrow = 0, d[MAX_LIMBS];
    for (size_t j = 0; j < n; j++) {
        dlimb s = (dlimb)t[n + j] - M->m[j] - borrow;
        d[j] = (limb)s;
        borrow = (limb)(s >> 64) & 1;
    }
    limb keep = (limb)0 - (borrow & (top ^ 1)); /* all ones: t < m, keep t */
    for (size_t j = 0; j < n; j++)
        r[j] = (t[n + j] & keep) | (d[j] & ~keep);
}

INLINE void mont_square_n(limb *r, const limb *a, const mont *M, size_t n)
{
    limb t[2 * MAX_LIMBS];
    memset(t, 0, 2 * n * sizeof(limb));
    for (size_t i = 0; i < n; i++) { /* the products a_i a_j, i < j */
        limb c = 0;
#pragma GCC unroll 8
        for (size_t j = i + 1; j < n; j++) {
            dlimb p = (dlimb)a[i] * a[j];
            limb lo = (limb)p + c, hi = (limb)(p >> 64);
            hi += lo < c;
            limb v = t[i + j] + lo;
            hi += v < lo;
            t[i + j] = v;
            c = hi;
        }
        t[i + n] = c;
    }
    for (size_t k = 2 * n - 1; k > 0; k--) /* doubled */
        t[k] = t[k] << 1 | t[k - 1] >> 63;
    t[0] <<= 1;
    limb c = 0;
    for (size_t i = 0; i < n; i++) { /* plus the squares a_i^2 */
        dlimb sq = (dlimb)a[i] * a[i];
        dlimb s = (dlimb)t[2 * i] + (limb)sq + c;
        t[2 * i] = (limb)s;
        s = (dlimb)t[2 * i + 1] + (limb)(sq >> 64) + (limb)(s >> 64);
        t[2 * i + 1] = (limb)s;
        c = (limb)(s >> 64);
    }
    mont_reduce(r, t, M, n);
}

/* The sizes known at compile time unroll: 16 limbs are the primes of RSA-2048. */
static void mont_square(limb *r, const limb *a, const mont *M)
{
    if (M->n == 16)
        mont_square_n(r, a, M, 16);
    else if (M->n == 24)
        mont_square_n(r, a, M, 24);
    else
        mont_square_n(r, a, M, M->n);
}

/* y = 2y mod m when mask is all ones, y otherwise (y < m) */
static void mont_double_masked(limb *y, limb mask, const mont *M)
{
    size_t n = M->n;
    limb d[MAX_LIMBS], carry = 0, borrow = 0;
    for (size_t j = 0; j < n; j++) {
        limb v = y[j] << 1 | carry;
        carry = y[j] >> 63;
        dlimb s = (dlimb)v - M->m[j] - borrow;
        d[j] = (limb)s;
        borrow = (limb)(s >> 64) & 1;
        y[j] = (y[j] & ~mask) | (v & mask); /* 2y, not yet reduced */
    }
    /* 2y >= m when the doubling carried out or the subtraction did not borrow */
    limb sub = mask & ((limb)0 - (carry | (borrow ^ 1)));
    for (size_t j = 0; j < n; j++)
        y[j] = (y[j] & ~sub) | (d[j] & sub);
}

static int limbs_of(const mbedtls_mpi *X, limb *out, size_t n)
{
    uint8_t le[MAX_LIMBS * 8];
    if (mbedtls_mpi_write_binary_le(X, le, n * 8) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        out[i] = 0;
        for (int b = 7; b >= 0; b--)
            out[i] = out[i] << 8 | le[8 * i + (size_t)b];
    }
    return 0;
}

/* 0: W is a strong probable prime to base 2; MBEDTLS_ERR_MPI_NOT_ACCEPTABLE:
 * composite; other: mbedTLS error. W odd, 128 to 4096 bits. */
static int strong_base2(const mbedtls_mpi *W)
{
    mont M;
    limb one[MAX_LIMBS], minus_one[MAX_LIMBS], y[MAX_LIMBS];
    size_t bits = mbedtls_mpi_bitlen(W);
    M.n = (bits + 63) / 64;
    mbedtls_mpi T;
    mbedtls_mpi_init(&T);
    /* R mod W, Montgomery's 1 (R = 2^(64 n)) */
    int rc = mbedtls_mpi_lset(&T, 1);
    if (rc == 0)
        rc = mbedtls_mpi_shift_l(&T, 64 * M.n);
    if (rc == 0)
        rc = mbedtls_mpi_mod_mpi(&T, &T, W);
    if (rc == 0 && (limbs_of(W, M.m, M.n) != 0 || limbs_of(&T, one, M.n) != 0))
        rc = MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
    mbedtls_mpi_free(&T);
    if (rc != 0)
        return rc;
    limb inv = M.m[0]; /* Newton: each step doubles the correct low bits */
    for (int i = 0; i < 6; i++)
        inv *= 2 - M.m[0] * inv;
    M.minv = (limb)0 - inv;
    limb borrow = 0;
    for (size_t j = 0; j < M.n; j++) { /* -1 = W - one */
        dlimb s = (dlimb)M.m[j] - one[j] - borrow;
        minus_one[j] = (limb)s;
        borrow = (limb)(s >> 64) & 1;
    }
    /* W - 1 = 2^s d: y = 2^d from the top bit of W - 1 down to bit s */
    size_t s = 1;
    while (!((M.m[s / 64] >> (s % 64)) & 1))
        s++;
    memcpy(y, one, M.n * sizeof(limb));
    for (size_t b = bits; b-- > s;) {
        mont_square(y, y, &M);
        mont_double_masked(y, (limb)0 - ((M.m[b / 64] >> (b % 64)) & 1), &M);
    }
    bool pass =
        memcmp(y, one, M.n * sizeof(limb)) == 0 || memcmp(y, minus_one, M.n * sizeof(limb)) == 0;
    for (size_t j = 1; !pass && j < s; j++) {
        mont_square(y, y, &M);
        if (memcmp(y, minus_one, M.n * sizeof(limb)) == 0)
            pass = true;
        else if (memcmp(y, one, M.n * sizeof(limb)) == 0)
            break;
    }
    mgw_zeroize(y, sizeof(y));
    mgw_zeroize(&M, sizeof(M));
    return pass ? 0 : MBEDTLS_ERR_MPI_NOT_ACCEPTABLE;
}
#else
/* Without 128-bit products the random-base rounds do all the work. */
static int strong_base2(const mbedtls_mpi *W)
{
    (void)W;
    return 0;
}
#endif

/* Miller-Rabin with `rounds` random bases, as mbedtls_mpi_is_prime_ext does
 * after its trial division. Returns 0 (probably prime),
 * MBEDTLS_ERR_MPI_NOT_ACCEPTABLE (composite) or another mbedTLS error. */
static int miller_rabin(const mbedtls_mpi *W, int rounds, mgw_compat_rng f_rng, void *p_rng)
{
    mbedtls_mpi W1, R, A, T, RR;
    mbedtls_mpi_init(&W1);
    mbedtls_mpi_init(&R);
    mbedtls_mpi_init(&A);
    mbedtls_mpi_init(&T);
    mbedtls_mpi_init(&RR); /* R^2 mod W, computed by the first exponentiation */
    size_t bits = mbedtls_mpi_bitlen(W), bytes = (bits + 7) / 8;
    int rc = mbedtls_mpi_sub_int(&W1, W, 1);
    size_t s = mbedtls_mpi_lsb(&W1);
    if (rc == 0)
        rc = mbedtls_mpi_copy(&R, &W1);
    if (rc == 0)
        rc = mbedtls_mpi_shift_r(&R, s);
    for (int round = 0; rc == 0 && round < rounds; round++) {
        /* a random base 1 < A < W - 1 (W > 2^(bits - 1) * 1.5: few retries) */
        int tries = 0;
        do {
            rc = mbedtls_mpi_fill_random(&A, bytes, f_rng, p_rng);
            if (rc == 0)
                rc = mbedtls_mpi_shift_r(&A, bytes * 8 - bits);
            if (rc == 0 && ++tries > 30)
                rc = MBEDTLS_ERR_MPI_NOT_ACCEPTABLE;
        } while (rc == 0 && (mbedtls_mpi_cmp_mpi(&A, &W1) >= 0 || mbedtls_mpi_cmp_int(&A, 1) <= 0));
        if (rc == 0)
            rc = mbedtls_mpi_exp_mod(&A, &A, &R, W, &RR);
        if (rc != 0 || mbedtls_mpi_cmp_mpi(&A, &W1) == 0 || mbedtls_mpi_cmp_int(&A, 1) == 0)
            continue;
        for (size_t j = 1; rc == 0 && j < s && mbedtls_mpi_cmp_mpi(&A, &W1) != 0; j++) {
            rc = mbedtls_mpi_mul_mpi(&T, &A, &A);
            if (rc == 0)
                rc = mbedtls_mpi_mod_mpi(&A, &T, W);
            if (rc == 0 && mbedtls_mpi_cmp_int(&A, 1) == 0)
                break;
        }
        if (rc == 0 && mbedtls_mpi_cmp_mpi(&A, &W1) != 0)
            rc = MBEDTLS_ERR_MPI_NOT_ACCEPTABLE;
    }
    mbedtls_mpi_free(&W1);
    mbedtls_mpi_free(&R);
    mbedtls_mpi_free(&A);
    mbedtls_mpi_free(&T);
    mbedtls_mpi_free(&RR);
    return rc;
}

/* A uniform index below n (n <= SPAN) from the random generator. */
static int random_index(size_t n, size_t *out, mgw_compat_rng f_rng, void *p_rng)
{
    uint32_t mask = 1;
    while (mask < n - 1)
        mask = mask << 1 | 1;
    for (;;) {
        uint8_t b[2];
        int rc = f_rng(p_rng, b, sizeof(b));
        if (rc != 0)
            return rc;
        uint32_t v = ((uint32_t)b[0] << 8 | b[1]) & mask;
        if (v < n) {
            *out = v;
            return 0;
        }
    }
}

/* A random odd X of nbits bits with the top two bits set. */
static int random_base(mbedtls_mpi *X, unsigned nbits, mgw_compat_rng f_rng, void *p_rng)
{
    size_t bytes = (nbits + 7) / 8;
    int rc = mbedtls_mpi_fill_random(X, bytes, f_rng, p_rng);
    if (rc == 0)
        rc = mbedtls_mpi_shift_r(X, bytes * 8 - nbits);
    if (rc == 0)
        rc = mbedtls_mpi_set_bit(X, nbits - 1, 1);
    if (rc == 0)
        rc = mbedtls_mpi_set_bit(X, nbits - 2, 1);
    if (rc == 0)
        rc = mbedtls_mpi_set_bit(X, 0, 1);
    return rc;
}

int mgw_prime_generate(mbedtls_mpi *X, unsigned nbits, int rounds, mgw_compat_rng f_rng,
                       void *p_rng, mgw_prime_stats *stats)
{
    mgw_prime_stats st = {0, 0, 0, 0, 0, SPAN};
    if (nbits < 128 || nbits > 4096 || rounds < 1)
        return MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
    uint16_t *primes = malloc(SMALL_PRIMES * sizeof(*primes));
    uint16_t *surv = malloc(SPAN * sizeof(*surv));
    mbedtls_mpi base, cand;
    mbedtls_mpi_init(&base);
    mbedtls_mpi_init(&cand);
    int rc = primes == NULL || surv == NULL ? MBEDTLS_ERR_MPI_ALLOC_FAILED : 0;
    size_t np = rc == 0 ? small_primes(primes) : 0;
    if (rc == 0 && np != SMALL_PRIMES)
        rc = MBEDTLS_ERR_MPI_ALLOC_FAILED;
    bool found = false;
    while (rc == 0 && !found) {
        rc = random_base(&base, nbits, f_rng, p_rng);
        size_t left = rc == 0 ? sieve_survivors(&base, primes, np, surv) : 0;
        st.bases++;
        st.survivors = (unsigned)left;
        while (rc == 0 && left > 0 && !found) {
            size_t j = 0;
            rc = random_index(left, &j, f_rng, p_rng);
            if (rc != 0)
                break;
            uint32_t i = surv[j];
            surv[j] = surv[--left];
            rc = mbedtls_mpi_add_int(&cand, &base, 2 * (mbedtls_mpi_sint)i);
            if (rc != 0 || mbedtls_mpi_bitlen(&cand) != nbits)
                continue; /* past 2^nbits: only where X is within 2 * SPAN of it */
            st.tested++;
            rc = strong_base2(&cand);
            if (rc == 0) {
                st.full_tests++;
                rc = miller_rabin(&cand, rounds, f_rng, p_rng);
            }
            if (rc == 0) {
                found = true;
                st.offset = i;
            } else if (rc == MBEDTLS_ERR_MPI_NOT_ACCEPTABLE)
                rc = 0;
        }
    }
    if (rc == 0)
        rc = mbedtls_mpi_copy(X, &cand);
    if (stats != NULL)
        *stats = st;
    mbedtls_mpi_free(&base);
    mbedtls_mpi_free(&cand);
    if (surv != NULL)
        mgw_zeroize(surv, SPAN * sizeof(*surv));
    free(surv);
    free(primes);
    return rc;
}

/* Miller-Rabin rounds of mbedtls_mpi_gen_prime for an nbits prime: error
 * below 2^-80 (keys up to 1024 bits) or 2^-100 (MBEDTLS_MPI_GEN_PRIME_FLAG_LOW_ERR,
 * larger keys), from HAC table 4.4 and fact 4.48. */
static int mr_rounds(unsigned nbits, bool low_err)
{
    if (!low_err)
        return nbits >= 1300  ? 2
               : nbits >= 850 ? 3
               : nbits >= 650 ? 4
               : nbits >= 350 ? 8
               : nbits >= 250 ? 12
               : nbits >= 150 ? 18
                              : 27;
    return nbits >= 1450   ? 4
           : nbits >= 1150 ? 5
           : nbits >= 1000 ? 6
           : nbits >= 850  ? 7
           : nbits >= 750  ? 8
           : nbits >= 500  ? 13
           : nbits >= 250  ? 28
           : nbits >= 150  ? 40
                           : 51;
}

/* The loop of mbedtls_rsa_gen_key: P > Q, |P - Q| > 2^(nbits/2 - 99) (FIPS
 * 186-4 B.3.3 step 5.4), GCD(E, (P-1)(Q-1)) = 1, D = E^-1 mod LCM(P-1, Q-1)
 * of more than nbits/2 bits (B.3.1 criteria 2 and 3). */
static int find_pq(mbedtls_mpi *P, mbedtls_mpi *Q, mbedtls_mpi *D, const mbedtls_mpi *E,
                   unsigned nbits, mgw_compat_rng f_rng, void *p_rng)
{
    mbedtls_mpi H, G, L;
    mbedtls_mpi_init(&H);
    mbedtls_mpi_init(&G);
    mbedtls_mpi_init(&L);
    int rounds = mr_rounds(nbits / 2, nbits > 1024);
    int rc;
    for (;;) {
        if ((rc = mgw_prime_generate(P, nbits / 2, rounds, f_rng, p_rng, NULL)) != 0 ||
            (rc = mgw_prime_generate(Q, nbits / 2, rounds, f_rng, p_rng, NULL)) != 0 ||
            (rc = mbedtls_mpi_sub_mpi(&H, P, Q)) != 0)
            break;
        if (mbedtls_mpi_bitlen(&H) <= nbits / 2 - 99)
            continue;
        if (mbedtls_mpi_cmp_int(&H, 0) < 0)
            mbedtls_mpi_swap(P, Q);
        /* P - 1 and Q - 1 for the checks, restored below */
        if ((rc = mbedtls_mpi_sub_int(P, P, 1)) != 0 || (rc = mbedtls_mpi_sub_int(Q, Q, 1)) != 0 ||
            (rc = mbedtls_mpi_mul_mpi(&H, P, Q)) != 0 || (rc = mbedtls_mpi_gcd(&G, E, &H)) != 0)
            break;
        if (mbedtls_mpi_cmp_int(&G, 1) != 0)
            continue;
        if ((rc = mbedtls_mpi_gcd(&G, P, Q)) != 0 ||
            (rc = mbedtls_mpi_div_mpi(&L, NULL, &H, &G)) != 0 ||
            (rc = mbedtls_mpi_inv_mod(D, E, &L)) != 0)
            break;
        if (mbedtls_mpi_bitlen(D) <= (nbits + 1) / 2)
            continue;
        if ((rc = mbedtls_mpi_add_int(P, P, 1)) == 0)
            rc = mbedtls_mpi_add_int(Q, Q, 1);
        break;
    }
    mbedtls_mpi_free(&H);
    mbedtls_mpi_free(&G);
    mbedtls_mpi_free(&L);
    return rc;
}

int mgw_rsa_generate(mbedtls_rsa_context *rsa, unsigned nbits, int e, mgw_compat_rng f_rng,
                     void *p_rng)
{
    if (f_rng == NULL || nbits < 1024 || nbits > 8192 || nbits % 2 != 0 || e < 3)
        return MBEDTLS_ERR_RSA_BAD_INPUT_DATA;
    mbedtls_mpi P, Q, D, E, N;
    mbedtls_mpi_init(&P);
    mbedtls_mpi_init(&Q);
    mbedtls_mpi_init(&D);
    mbedtls_mpi_init(&E);
    mbedtls_mpi_init(&N);
    int rc = mbedtls_mpi_lset(&E, e);
    if (rc == 0)
        rc = find_pq(&P, &Q, &D, &E, nbits, f_rng, p_rng);
    if (rc == 0)
        rc = mbedtls_mpi_mul_mpi(&N, &P, &Q);
    /* the CRT values (unless MBEDTLS_RSA_NO_CRT), then mbedTLS's own check of
     * the private key, as at the end of mbedtls_rsa_gen_key */
    if (rc == 0)
        rc = mbedtls_rsa_import(rsa, &N, &P, &Q, &D, &E);
    if (rc == 0)
        rc = mbedtls_rsa_complete(rsa);
    if (rc == 0)
        rc = mbedtls_rsa_check_privkey(rsa);
    mbedtls_mpi_free(&P);
    mbedtls_mpi_free(&Q);
    mbedtls_mpi_free(&D);
    mbedtls_mpi_free(&E);
    mbedtls_mpi_free(&N);
    return rc;
}
