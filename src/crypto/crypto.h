/* Internal crypto layer: randomness, digests, key derivation, PKCS#8. */
#ifndef MGW_CRYPTO_H
#define MGW_CRYPTO_H

#include "core/core.h"
#include "crypto/compat.h"

/* Random source of one object: the caller's callback, or a CTR-DRBG seeded
 * lazily from the OS entropy source. Not shared between objects, so objects
 * used by different threads never contend or race. */
typedef struct {
    mgw_rng_cb cb;
    void *cb_ctx;
    bool seeded;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} mgw_rng;

void mgw_rng_init(mgw_rng *rng);
void mgw_rng_free(mgw_rng *rng);
void mgw_rng_set_cb(mgw_rng *rng, mgw_rng_cb cb, void *ctx);
int mgw_rng_fill(mgw_rng *rng, uint8_t *out, size_t len);
/* mbedTLS-style f_rng; p_rng is an mgw_rng *. */
int mgw_rng_mbedtls(void *p_rng, unsigned char *out, size_t len);

/* One-shot digest; out must hold mbedtls_md_get_size(). */
int mgw_digest(mbedtls_md_type_t md, const uint8_t *p, size_t n, uint8_t *out);

/* PBKDF2 (RFC 8018) with HMAC over md (SHA-1, SHA-224, SHA-256, SHA-384,
 * SHA-512). The HMAC key schedule is computed once, so each iteration costs
 * two compression-function calls. */
int mgw_pbkdf2(mbedtls_md_type_t md, const uint8_t *pw, size_t pwlen, const uint8_t *salt,
               size_t saltlen, uint32_t iterations, uint8_t *out, size_t outlen);

/* Largest iteration count any decryption accepts (hostile-input cap). */
#define MGW_MAX_ITERATIONS 10000000u

/* Wrap a private key (RSA or EC in `pk`) as PKCS#8 PrivateKeyInfo DER. */
int mgw_pkcs8_wrap(mbedtls_pk_context *pk, mgw_dbuf *pki);
/* PrivateKeyInfo -> EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC), random 16-byte salt and IV. */
int mgw_pkcs8_encrypt(const uint8_t *pki, size_t pkilen, const uint8_t *pw, size_t pwlen,
                      uint32_t iterations, mgw_rng *rng, mgw_dbuf *out);
/* EncryptedPrivateKeyInfo -> PrivateKeyInfo. PBES2 with PBKDF2 (HMAC-SHA1/
 * 224/256/384/512) and AES-128/192/256-CBC or DES-EDE3-CBC. Wrong password
 * (bad padding, or a result that is not a PrivateKeyInfo) gives
 * MGW_ERR_WRONG_PASSWORD. */
int mgw_pkcs8_decrypt(const uint8_t *der, size_t n, const uint8_t *pw, size_t pwlen,
                      mgw_dbuf *pki);

#endif
