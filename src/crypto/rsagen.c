/* RSA key generation: mbedtls_rsa_gen_key's checks around a prime search
 * with a wide trial division.
 *
 * mbedtls_mpi_gen_prime draws a fresh random number for every candidate,
 * divides it by the 168 primes below 1000 and runs Miller-Rabin on what is
 * left: about 58 modular exponentiations for a 1024-bit prime. Here one
 * random odd base X gets its residues modulo every odd prime below 2^16
 * once; a candidate X + 2i (0 <= i < SPAN) is then trial-divided by all
 * 6,541 of them with the residues (a few multiplications per prime, no
 * division), which lets through about 1 in 9.9 candidates and leaves about
 * 36 survivors to test per 1024-bit prime. Each survivor gets a strong
 * base-2 test in Montgomery form (squarings and doublings only, about 0.7
 * of an mbedtls_mpi_exp_mod), which rejects nearly every composite, and the
 * one that passes gets mbedTLS's random-base Miller-Rabin rounds, whose
 * exponentiations share one R^2 mod W. The trial division of
 * mbedtls_mpi_is_prime_ext is not repeated.
 *
 * Distribution: trying X, X + 2, X + 4, ... in order would pick each prime
 * with a probability proportional to the gap before it, which favours for
 * instance primes = 2 mod 3 (p - 2 is then divisible by 3, so the gap is
 * longer). Each candidate is instead drawn uniformly from the span (with
 * replacement: no list of candidates indexed by a secret), so the prime
 * found is uniform among the primes of the span. The test suite checks the
 * residues of accepted primes, where they lie in the span and the share of
 * candidates the trial division lets through (tests/test_keygen.c).
 *
 * Side channels, as in mbedTLS: the random-base rounds use
 * mbedtls_mpi_exp_mod (window table read with a constant-time select) like
 * mbedtls_mpi_is_prime_ext; the base-2 exponentiation does the same steps
 * for every exponent bit and selects with masks, and its reduction ends with
 * a masked subtraction. The trial division reads the same addresses for
 * every candidate and branches only on its outcome (reject, or go on to the
 * base-2 test), as mbedTLS's branches on a zero remainder;
 * the residues of X come from one hardware division per 32-bit word, as in
 * mbedtls_mpi_mod_int. What still depends on the secret: that outcome, the
 * number of squarings after the exponentiation and the early exits of the
 * tests (as in mbedTLS's Miller-Rabin), the operand-dependent latency of
 * those divisions where the CPU has it, and the GCD and inverse of the key
 * checks (mbedtls_mpi_gcd/inv_mod, as in mbedtls_rsa_gen_key). A rejected
 * candidate is discarded, so its timing says nothing about the key; for the
 * accepted one an observer learns that it passed, which it knows anyway.
 * Every copy of a candidate's limbs and of intermediate values in this file
 * is wiped before its function returns, on every path.
 *
 * An earlier version struck the multiples of each small prime out of a
 * bitmap of the span (stores at addresses computed from X mod p): an exact
 * trace of those addresses, as a cache or page-fault attack on the same
 * machine could approach, gives X mod p for every small prime and with them
 * the prime itself. */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#define SIEVE_LIMIT 65536u /* trial division by the odd primes below this */
#define SPAN 8192u         /* candidates X + 2i, 0 <= i < SPAN (a power of two) */
#define MAX_DRAWS (16 * SPAN) /* then a new base (a span without primes) */
#define SMALL_PRIMES 6541
#define FILTER_LEN 6544 /* a multiple of the vector width: the loop vectorizes */

/* Trial division by the odd primes p below SIEVE_LIMIT, without memory
 * addresses or branches that depend on the candidate: r[k] = X mod p once
 * per base, and X + 2i is divisible by p exactly when
 * (r[k] + 2i) * p^-1 mod 2^32 <= (2^32 - 1) / p (p odd, r[k] + 2i < 2^32). */
typedef struct {
    uint32_t p[FILTER_LEN], inv[FILTER_LEN], lim[FILTER_LEN], r[FILTER_LEN];
} small_filter;

/* The odd primes below SIEVE_LIMIT with their inverses. Computed per search:
 * a sieve of Eratosthenes over 64 Ki public numbers costs far less than one
 * Miller-Rabin round and needs no shared state. */
static size_t small_primes(small_filter *f)
{
    static const size_t n = SIEVE_LIMIT / 2; /* odd numbers 2k + 1 */
    uint8_t *composite = calloc(n, 1);
    if (composite == NULL)
        return 0;
    size_t count = 0;
    for (size_t k = 1; k < n && count < SMALL_PRIMES; k++) {
        if (composite[k])
            continue;
        uint32_t p = (uint32_t)(2 * k + 1), inv = p; /* Newton: p inv = 1 mod 2^32 */
        for (int i = 0; i < 4; i++)
            inv *= 2 - p * inv;
        f->p[count] = p;
        f->inv[count] = inv;
        f->lim[count] = UINT32_MAX / p;
        count++;
        for (size_t m = (size_t)p * p / 2; m < n; m += p)
            composite[m] = 1;
    }
    free(composite);
    for (size_t k = count; k < FILTER_LEN; k++) { /* padding that never divides */
        f->p[k] = 1;
        f->inv[k] = 1;
        f->lim[k] = 0;
        f->r[k] = 1; /* 1 + 2i > 0 */
    }
    return count;
}

/* X as 32-bit words, most significant first. */
static int words_of(const mbedtls_mpi *X, uint32_t *w, size_t nw)
{
    uint8_t be[8192 / 8 + 4];
    size_t nb = nw * 4;
    int rc = nb > sizeof(be) || mbedtls_mpi_write_binary(X, be, nb) != 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < nw; i++)
        w[i] = (uint32_t)be[4 * i] << 24 | (uint32_t)be[4 * i + 1] << 16 |
               (uint32_t)be[4 * i + 2] << 8 | be[4 * i + 3];
    mgw_zeroize(be, sizeof(be));
    return rc;
}

/* w mod m, one word at a time, like mbedtls_mpi_mod_int (a hardware division
 * per word; its latency may depend on the operands there as here). */
static uint32_t mod_small(const uint32_t *w, size_t nw, uint32_t m)
{
    uint64_t r = 0;
    for (size_t i = 0; i < nw; i++)
        r = ((r << 32) | w[i]) % m;
    return (uint32_t)r;
}

/* f->r[k] = X mod p_k, two primes at a time (p q < 2^32). */
static int residues(small_filter *f, const mbedtls_mpi *X)
{
    uint32_t w[8192 / 32 + 1];
    size_t nw = (mbedtls_mpi_bitlen(X) + 31) / 32;
    int rc = nw > sizeof(w) / sizeof(w[0]) ? -1 : words_of(X, w, nw);
    size_t k = 0;
    for (; rc == 0 && k + 1 < SMALL_PRIMES; k += 2) {
        uint32_t p = f->p[k], q = f->p[k + 1];
        uint32_t r = mod_small(w, nw, p * q);
        f->r[k] = r % p;
        f->r[k + 1] = r % q;
    }
    if (rc == 0 && k < SMALL_PRIMES)
        f->r[k] = mod_small(w, nw, f->p[k]);
    mgw_zeroize(w, sizeof(w));
    return rc;
}

/* All ones when X + 2i has a factor below SIEVE_LIMIT, else 0: every prime
 * is tried, the same loads and arithmetic for every i, no branch. */
static uint32_t has_small_factor(const small_filter *f, uint32_t two_i)
{
    uint32_t any = 0;
    for (size_t k = 0; k < FILTER_LEN; k++)
        any |= (uint32_t)0 - (uint32_t)((f->r[k] + two_i) * f->inv[k] <= f->lim[k]);
    return any;
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

/* Intermediate values, kept in strong_base2's frame and wiped there once. */
typedef struct {
    limb t[2 * MAX_LIMBS]; /* a square before its reduction */
    limb d[MAX_LIMBS];     /* a value minus m */
} mont_scratch;

#define INLINE static inline __attribute__((always_inline))

/* r = t R^-1 mod m, t of 2n limbs (destroyed), r < m */
INLINE void mont_reduce(limb *r, limb *restrict t, const mont *M, size_t n, limb *restrict d)
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
    limb borrow = 0;
    for (size_t j = 0; j < n; j++) {
        dlimb s = (dlimb)t[n + j] - M->m[j] - borrow;
        d[j] = (limb)s;
        borrow = (limb)(s >> 64) & 1;
    }
    limb keep = (limb)0 - (borrow & (top ^ 1)); /* all ones: t < m, keep t */
    for (size_t j = 0; j < n; j++)
        r[j] = (t[n + j] & keep) | (d[j] & ~keep);
}

INLINE void mont_square_n(limb *r, const limb *a, const mont *M, size_t n, mont_scratch *S)
{
    limb *restrict t = S->t;
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
    mont_reduce(r, t, M, n, S->d);
}

/* The sizes known at compile time unroll: 16 limbs are the primes of RSA-2048. */
static void mont_square(limb *r, const limb *a, const mont *M, mont_scratch *S)
{
    if (M->n == 16)
        mont_square_n(r, a, M, 16, S);
    else if (M->n == 24)
        mont_square_n(r, a, M, 24, S);
    else
        mont_square_n(r, a, M, M->n, S);
}

/* y = 2y mod m when mask is all ones, y otherwise (y < m) */
static void mont_double_masked(limb *y, limb mask, const mont *M, limb *restrict d)
{
    size_t n = M->n;
    limb carry = 0, borrow = 0;
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
    int rc = n > MAX_LIMBS || mbedtls_mpi_write_binary_le(X, le, n * 8) != 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        out[i] = 0;
        for (int b = 7; b >= 0; b--)
            out[i] = out[i] << 8 | le[8 * i + (size_t)b];
    }
    mgw_zeroize(le, sizeof(le));
    return rc;
}

/* 0: W is a strong probable prime to base 2; MBEDTLS_ERR_MPI_NOT_ACCEPTABLE:
 * composite; MBEDTLS_ERR_MPI_BAD_INPUT_DATA: W even, below 2^127 or above
 * 4096 bits; other: mbedTLS error. */
int mgw_prime_strong_base2(const mbedtls_mpi *W)
{
    size_t bits = mbedtls_mpi_bitlen(W);
    if (bits < 128 || bits > 64 * MAX_LIMBS || mbedtls_mpi_get_bit(W, 0) == 0)
        return MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
    mont M;
    mont_scratch S;
    limb one[MAX_LIMBS], minus_one[MAX_LIMBS], y[MAX_LIMBS];
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
    if (rc != 0) {
        mgw_zeroize(&M, sizeof(M));
        mgw_zeroize(one, sizeof(one));
        return rc;
    }
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
        mont_square(y, y, &M, &S);
        mont_double_masked(y, (limb)0 - ((M.m[b / 64] >> (b % 64)) & 1), &M, S.d);
    }
    bool pass =
        memcmp(y, one, M.n * sizeof(limb)) == 0 || memcmp(y, minus_one, M.n * sizeof(limb)) == 0;
    for (size_t j = 1; !pass && j < s; j++) {
        mont_square(y, y, &M, &S);
        if (memcmp(y, minus_one, M.n * sizeof(limb)) == 0)
            pass = true;
        else if (memcmp(y, one, M.n * sizeof(limb)) == 0)
            break;
    }
    mgw_zeroize(y, sizeof(y));
    mgw_zeroize(one, sizeof(one));
    mgw_zeroize(minus_one, sizeof(minus_one));
    mgw_zeroize(&S, sizeof(S));
    mgw_zeroize(&M, sizeof(M));
    return pass ? 0 : MBEDTLS_ERR_MPI_NOT_ACCEPTABLE;
}
#else
/* Without 128-bit products the random-base rounds do all the work. */
int mgw_prime_strong_base2(const mbedtls_mpi *W)
{
    size_t bits = mbedtls_mpi_bitlen(W);
    if (bits < 128 || bits > 4096 || mbedtls_mpi_get_bit(W, 0) == 0)
        return MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
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
        if (rc != 0) {
            mgw_zeroize(b, sizeof(b));
            return rc;
        }
        uint32_t v = ((uint32_t)b[0] << 8 | b[1]) & mask;
        mgw_zeroize(b, sizeof(b));
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
    small_filter *f = malloc(sizeof(*f));
    mbedtls_mpi base, cand;
    mbedtls_mpi_init(&base);
    mbedtls_mpi_init(&cand);
    int rc = f == NULL || small_primes(f) != SMALL_PRIMES ? MBEDTLS_ERR_MPI_ALLOC_FAILED : 0;
    bool found = false;
    while (rc == 0 && !found) {
        rc = random_base(&base, nbits, f_rng, p_rng);
        if (rc == 0 && residues(f, &base) != 0)
            rc = MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
        st.bases++;
        /* uniform draws from the span, with replacement: each prime of the
         * span is as likely as any other */
        for (unsigned draw = 0; rc == 0 && draw < MAX_DRAWS && !found; draw++) {
            size_t i = 0;
            rc = random_index(SPAN, &i, f_rng, p_rng);
            if (rc != 0)
                break;
            st.drawn++;
            if (has_small_factor(f, 2 * (uint32_t)i) != 0)
                continue; /* the one branch on the trial division's outcome */
            rc = mbedtls_mpi_add_int(&cand, &base, 2 * (mbedtls_mpi_sint)i);
            if (rc != 0 || mbedtls_mpi_bitlen(&cand) != nbits)
                continue; /* past 2^nbits: only where X is within 2 * SPAN of it */
            st.tested++;
            rc = mgw_prime_strong_base2(&cand);
            if (rc == 0) {
                st.full_tests++;
                rc = miller_rabin(&cand, rounds, f_rng, p_rng);
            }
            if (rc == 0) {
                found = true;
                st.offset = (unsigned)i;
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
    if (f != NULL)
        mgw_zeroize(f->r, sizeof(f->r));
    free(f);
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
    /* an even e has no inverse modulo (P-1)(Q-1): mbedtls_rsa_gen_key would search forever */
    if (f_rng == NULL || nbits < 1024 || nbits > 8192 || nbits % 2 != 0 || e < 3 || e % 2 == 0)
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
