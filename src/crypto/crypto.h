/* Internal crypto layer: randomness, digests, key derivation, PKCS#8. */
#ifndef MGW_CRYPTO_H
#define MGW_CRYPTO_H

#include "core/core.h"
#include "crypto/compat.h"

/* Random source of one object: the caller's callback, or a CTR-DRBG seeded
 * lazily straight from the OS entropy source (mbedtls_entropy would also run
 * HAVEGE where it is enabled, costing far more than the DRBG itself). Not shared between objects, so objects
 * used by different threads never contend or race. */
typedef struct {
    mgw_rng_cb cb;
    void *cb_ctx;
    bool seeded;
    unsigned long fork_gen; /* mgw_fork_generation() when last (re)seeded */
    mbedtls_ctr_drbg_context drbg;
} mgw_rng;

void mgw_rng_init(mgw_rng *rng);
void mgw_rng_free(mgw_rng *rng);
void mgw_rng_set_cb(mgw_rng *rng, mgw_rng_cb cb, void *ctx);
int mgw_rng_fill(mgw_rng *rng, uint8_t *out, size_t len);
/* Changes in a child process after fork() (counted by an atfork handler, or
 * the process id where there is none; constant on Windows). An object's
 * DRBG seeded under another value is reseeded before its next draw. */
unsigned long mgw_fork_generation(void);
/* mbedTLS-style f_rng; p_rng is an mgw_rng *. */
int mgw_rng_mbedtls(void *p_rng, unsigned char *out, size_t len);

/* One-shot digest; out must hold mbedtls_md_get_size(). */
int mgw_digest(mbedtls_md_type_t md, const uint8_t *p, size_t n, uint8_t *out);

/* PBKDF2 (RFC 8018) with HMAC over md (SHA-1, SHA-224, SHA-256, SHA-384,
 * SHA-512). The HMAC key schedule is computed once, so each iteration costs
 * two compression-function calls. */
int mgw_pbkdf2(mbedtls_md_type_t md, const uint8_t *pw, size_t pwlen, const uint8_t *salt,
               size_t saltlen, uint32_t iterations, uint8_t *out, size_t outlen);

/* Block size of a SHA-1/SHA-2 digest (64 or 128), 0 for others. */
size_t mgw_md_block_size(mbedtls_md_type_t md);
/* Whether the KDF loops can run md on the raw states of sha_fast.h. */
bool mgw_fast_supported(mbedtls_md_type_t md);

/* ---- keys on this thread's loaded EC groups (ec.c) ------------------------ */

/* A P-256/P-384 key pair in kp (initialised by the caller), as
 * mbedtls_ecp_gen_key makes it. */
int mgw_ec_generate(mbedtls_ecp_group_id id, mbedtls_ecp_keypair *kp, mgw_compat_rng f_rng,
                    void *p_rng);
/* DER ECDSA signature of a hash, as mbedtls_pk_sign makes it. */
int mgw_ec_sign(mbedtls_ecp_keypair *kp, mbedtls_md_type_t md, const uint8_t *hash,
                size_t hash_len, uint8_t *sig, size_t sig_size, size_t *sig_len,
                mgw_compat_rng f_rng, void *p_rng);
/* mbedtls_pk_sign, with EC keys signed by mgw_ec_sign. */
int mgw_pk_sign(mbedtls_pk_context *pk, mbedtls_md_type_t md, const uint8_t *hash,
                size_t hash_len, uint8_t *sig, size_t sig_size, size_t *sig_len,
                mgw_compat_rng f_rng, void *p_rng);

/* ---- RSA key generation (rsagen.c) ----------------------------------------- */

/* An RSA key of `nbits` bits (even, 1024 to 8192) with public exponent e in
 * rsa (initialised by the caller), with the checks of mbedtls_rsa_gen_key
 * but primes from a sieve (see rsagen.c). */
int mgw_rsa_generate(mbedtls_rsa_context *rsa, unsigned nbits, int e, mgw_compat_rng f_rng,
                     void *p_rng);
/* What one prime search did (for the tests and the benchmark). */
typedef struct {
    unsigned bases;      /* random bases X drawn (one span each) */
    unsigned tested;     /* candidates tested (strong base-2 test first) */
    unsigned full_tests; /* candidates that passed it and got the random-base rounds */
    unsigned drawn;      /* candidates drawn from the spans (trial-divided) */
    unsigned offset;     /* the prime is X + 2 * offset, 0 <= offset < span */
    unsigned span;       /* candidates per base */
} mgw_prime_stats;

/* A random prime of exactly `nbits` bits (128 to 4096) with its top two bits
 * set, probable prime by `rounds` Miller-Rabin rounds with random bases.
 * stats may be NULL. */
int mgw_prime_generate(mbedtls_mpi *X, unsigned nbits, int rounds, mgw_compat_rng f_rng,
                       void *p_rng, mgw_prime_stats *stats);
/* The strong probable-prime test to base 2 the search runs first: 0 (passes),
 * MBEDTLS_ERR_MPI_NOT_ACCEPTABLE (composite), MBEDTLS_ERR_MPI_BAD_INPUT_DATA
 * (W even, or not of 128 to 4096 bits). */
int mgw_prime_strong_base2(const mbedtls_mpi *W);

/* Largest iteration count any decryption accepts (hostile-input cap). */
#define MGW_MAX_ITERATIONS 10000000u

/* ---- password-based encryption (pbe.c) ------------------------------------ */

/* A password as the caller gave it: UTF-8 bytes, or none at all. PKCS#12
 * tells the two apart (the empty password is the BMPString terminator 00 00,
 * no password is zero bytes); PBKDF2 treats both as zero bytes. */
typedef struct {
    const uint8_t *p;
    size_t len;
    bool none;
} mgw_password;

/* Schemes the writers use. */
enum {
    MGW_PBE_PKCS12_3DES = 1,  /* pbeWithSHAAnd3-KeyTripleDES-CBC */
    MGW_PBE_PBES2_AES256 = 2, /* PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC */
};

/* What a decryption found, for reports. */
typedef struct {
    char name[96];
    uint32_t iterations;
} mgw_pbe_info;

/* PKCS#12 key derivation (RFC 7292 appendix B.2): ID 1 key, 2 IV, 3 MAC key.
 * The password is converted from UTF-8 to a terminated BMPString here. */
int mgw_pkcs12_kdf(mbedtls_md_type_t md, const mgw_password *pw, const uint8_t *salt,
                   size_t saltlen, uint8_t id, uint32_t iterations, uint8_t *out, size_t n);
/* Encrypt pt: appends the AlgorithmIdentifier to algid and the ciphertext to ct. */
int mgw_pbe_encrypt(int scheme, const mgw_password *pw, uint32_t iterations, mgw_rng *rng,
                    const uint8_t *pt, size_t n, mgw_dbuf *algid, mgw_dbuf *ct);
/* Decrypt with the scheme named by `algid` (the whole AlgorithmIdentifier
 * element): PBES2 (PBKDF2 with HMAC-SHA1..512; AES-128/192/256-CBC or
 * DES-EDE3-CBC) or a PKCS#12 PBE (3DES 3-key/2-key, RC2-CBC 128/40-bit).
 * Malformed parameters give `param_err`; bad padding MGW_ERR_WRONG_PASSWORD;
 * an iteration count above max_iterations MGW_ERR_TOO_LARGE. */
int mgw_pbe_decrypt(mgw_span algid, const mgw_password *pw, uint32_t max_iterations,
                    int param_err, const uint8_t *ct, size_t n, mgw_dbuf *pt, mgw_pbe_info *info);

/* Wrap a private key (RSA or EC in `pk`) as PKCS#8 PrivateKeyInfo DER. */
int mgw_pkcs8_wrap(mbedtls_pk_context *pk, mgw_dbuf *pki);
/* If der is a PrivateKeyInfo with attributes or a public key (RFC 5958),
 * append the bare { version, algorithm, privateKey } to out and return true
 * (mbedTLS 3.6 refuses the optional fields). */
bool mgw_pkcs8_strip(const uint8_t *der, size_t n, mgw_dbuf *out);
/* PrivateKeyInfo -> EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC), random 16-byte salt and IV. */
int mgw_pkcs8_encrypt(const uint8_t *pki, size_t pkilen, const uint8_t *pw, size_t pwlen,
                      uint32_t iterations, mgw_rng *rng, mgw_dbuf *out);
/* The same with any writer scheme (MGW_PBE_*) and password form. */
int mgw_pkcs8_encrypt_with(int scheme, const uint8_t *pki, size_t pkilen, const mgw_password *pw,
                           uint32_t iterations, mgw_rng *rng, mgw_dbuf *out);
/* EncryptedPrivateKeyInfo -> PrivateKeyInfo, with every scheme of
 * mgw_pbe_decrypt. Wrong password (bad padding, or a result that is not a
 * PrivateKeyInfo) gives MGW_ERR_WRONG_PASSWORD. */
int mgw_pkcs8_decrypt(const uint8_t *der, size_t n, const uint8_t *pw, size_t pwlen,
                      mgw_dbuf *pki);
int mgw_pkcs8_decrypt_with(const uint8_t *der, size_t n, const mgw_password *pw,
                           uint32_t max_iterations, mgw_dbuf *pki, mgw_pbe_info *info);

#endif
