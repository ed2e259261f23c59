/*
 * PKCS#8 (RFC 5208/5958): PrivateKeyInfo for RSA and EC keys, and
 * EncryptedPrivateKeyInfo with PBES2 (RFC 8018).
 *
 * mbedTLS writes no PrivateKeyInfo and 2.28 cannot do PBES2 with AES, so both
 * are done here: PBKDF2 from pbkdf2.c, CBC with PKCS#7 padding from
 * mbedtls_cipher. The reader is strict DER and treats its input as hostile:
 * the iteration count is capped before any work is done, and every buffer
 * that held a derived key or plaintext is wiped on every path.
 */
#include "crypto/crypto.h"

#include <mbedtls/asn1.h>
#include <mbedtls/cipher.h>

#include <stdlib.h>
#include <string.h>

/* A PrivateKeyInfo of an RSA-16384 key is under 10 KB; anything far beyond
 * that is not a key, and the cap keeps size arithmetic away from overflow. */
#define PKCS8_MAX_DATA (1u << 20)
#define PBKDF2_SALT_MIN 1
#define PBKDF2_SALT_MAX 1024
#define ENCRYPT_SALT_LEN 16

/* OID content bytes; the dotted form is in each comment. */
static const uint8_t oid_rsa_encryption[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                             0x0D, 0x01, 0x01, 0x01}; /* 1.2.840.113549.1.1.1 */
static const uint8_t oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE,
                                            0x3D, 0x02, 0x01}; /* 1.2.840.10045.2.1 */
static const uint8_t oid_prime256v1[] = {0x2A, 0x86, 0x48, 0xCE,
                                         0x3D, 0x03, 0x01, 0x07};      /* 1.2.840.10045.3.1.7 */
static const uint8_t oid_secp384r1[] = {0x2B, 0x81, 0x04, 0x00, 0x22}; /* 1.3.132.0.34 */
static const uint8_t oid_pbes2[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                    0x0D, 0x01, 0x05, 0x0D}; /* 1.2.840.113549.1.5.13 */
static const uint8_t oid_pbkdf2[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                     0x0D, 0x01, 0x05, 0x0C}; /* 1.2.840.113549.1.5.12 */

typedef struct {
    uint8_t oid[9];
    size_t oidlen;
    mbedtls_md_type_t md;
} prf_alg;

static const prf_alg prf_algs[] = {
    /* hmacWithSHA1 1.2.840.113549.2.7 first: it is the default when absent */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x07}, 8, MBEDTLS_MD_SHA1},
    /* hmacWithSHA224 1.2.840.113549.2.8 */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x08}, 8, MBEDTLS_MD_SHA224},
    /* hmacWithSHA256 1.2.840.113549.2.9 */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x09}, 8, MBEDTLS_MD_SHA256},
    /* hmacWithSHA384 1.2.840.113549.2.10 */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0A}, 8, MBEDTLS_MD_SHA384},
    /* hmacWithSHA512 1.2.840.113549.2.11 */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0B}, 8, MBEDTLS_MD_SHA512},
};
#define PRF_SHA1 (&prf_algs[0])
#define PRF_SHA256 (&prf_algs[2])

typedef struct {
    uint8_t oid[9];
    size_t oidlen;
    mbedtls_cipher_type_t type;
    size_t keylen, block;
} cipher_alg;

static const cipher_alg cipher_algs[] = {
    /* aes128-CBC 2.16.840.1.101.3.4.1.2 */
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02}, 9, MBEDTLS_CIPHER_AES_128_CBC, 16, 16},
    /* aes192-CBC 2.16.840.1.101.3.4.1.22 */
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16}, 9, MBEDTLS_CIPHER_AES_192_CBC, 24, 16},
    /* aes256-CBC 2.16.840.1.101.3.4.1.42 */
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A}, 9, MBEDTLS_CIPHER_AES_256_CBC, 32, 16},
    /* des-ede3-cbc 1.2.840.113549.3.7 */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x07}, 8, MBEDTLS_CIPHER_DES_EDE3_CBC, 24, 8},
};
#define CIPHER_AES256 (&cipher_algs[2])
#define CIPHER_MAX_KEY 32
#define CIPHER_MAX_BLOCK 16

static int put_oid(mgw_dbuf *b, const uint8_t *oid, size_t n)
{
    return mgw_der_put(b, MGW_ASN1_OID, oid, n);
}

/* ---- PrivateKeyInfo ------------------------------------------------------ */

/* PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey of `pk` into a fresh heap buffer
 * (mbedtls writes at the end of the buffer it is given). */
static int write_key_der(mbedtls_pk_context *pk, uint8_t **der, size_t *len)
{
    for (size_t size = 4096; size <= 65536; size *= 2) {
        uint8_t *buf = calloc(1, size);
        if (buf == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        int ret = mbedtls_pk_write_key_der(pk, buf, size);
        if (ret > 0) {
            size_t n = (size_t)ret;
            memmove(buf, buf + size - n, n);
            mgw_zeroize(buf + n, size - n);
            *der = buf;
            *len = n;
            return MGW_OK;
        }
        mgw_zeroize(buf, size);
        free(buf);
        if (ret != MBEDTLS_ERR_ASN1_BUF_TOO_SMALL)
            return mgw_err(MGW_ERR_CRYPTO, "cannot encode the private key (mbedTLS -0x%04X)",
                           (unsigned)-ret);
    }
    return mgw_err(MGW_ERR_TOO_LARGE, "private key encoding larger than 64 KB");
}

int mgw_pkcs8_wrap(mbedtls_pk_context *pk, mgw_dbuf *pki)
{
    if (pk == NULL || pki == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 wrap: NULL argument");
    mbedtls_pk_type_t type = mbedtls_pk_get_type(pk);
    const uint8_t *curve = NULL;
    size_t curve_len = 0;
    if (type == MBEDTLS_PK_ECKEY) {
        switch (mgw_compat_pk_ec_group(pk)) {
        case MBEDTLS_ECP_DP_SECP256R1:
            curve = oid_prime256v1;
            curve_len = sizeof(oid_prime256v1);
            break;
        case MBEDTLS_ECP_DP_SECP384R1:
            curve = oid_secp384r1;
            curve_len = sizeof(oid_secp384r1);
            break;
        default:
            return mgw_err(MGW_ERR_KEY_TYPE, "PKCS#8 wrap: only the curves P-256 and P-384 "
                                             "are supported");
        }
    } else if (type != MBEDTLS_PK_RSA) {
        return mgw_err(MGW_ERR_KEY_TYPE, "PKCS#8 wrap: only RSA and EC keys are supported");
    }

    uint8_t *key = NULL;
    size_t key_len = 0;
    int r = write_key_der(pk, &key, &key_len);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "PKCS#8 wrap");

    mgw_dbuf b;
    mgw_dbuf_init(&b);
    size_t top = mgw_der_open(&b);
    mgw_der_put_small_int(&b, 0);
    size_t alg = mgw_der_open(&b);
    if (curve != NULL) {
        put_oid(&b, oid_ec_public_key, sizeof(oid_ec_public_key));
        put_oid(&b, curve, curve_len);
    } else {
        put_oid(&b, oid_rsa_encryption, sizeof(oid_rsa_encryption));
        mgw_der_put(&b, MGW_ASN1_NULL, NULL, 0);
    }
    mgw_der_close(&b, MGW_ASN1_SEQUENCE, alg);
    mgw_der_put(&b, MGW_ASN1_OCTET_STRING, key, key_len);
    mgw_der_close(&b, MGW_ASN1_SEQUENCE, top);
    if (b.oom || mgw_dbuf_put(pki, b.p, b.len) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, "PKCS#8 wrap: out of memory");

    mgw_zeroize(key, key_len);
    free(key);
    mgw_dbuf_free(&b);
    return r;
}

/* ---- CBC ----------------------------------------------------------------- */

/* One-shot CBC with PKCS#7 padding; returns the mbedTLS code. `out` must
 * hold inlen + one block. */
static int cbc_crypt(const cipher_alg *alg, const uint8_t *key, const uint8_t *iv,
                     mbedtls_operation_t op, const uint8_t *in, size_t inlen, uint8_t *out,
                     size_t *outlen)
{
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(alg->type);
    if (info == NULL)
        return MBEDTLS_ERR_CIPHER_FEATURE_UNAVAILABLE;
    mbedtls_cipher_context_t ctx;
    mbedtls_cipher_init(&ctx);
    int ret = mbedtls_cipher_setup(&ctx, info);
    if (ret == 0)
        ret = mbedtls_cipher_setkey(&ctx, key, (int)(alg->keylen * 8), op);
    if (ret == 0)
        ret = mbedtls_cipher_set_padding_mode(&ctx, MBEDTLS_PADDING_PKCS7);
    if (ret == 0)
        ret = mbedtls_cipher_crypt(&ctx, iv, alg->block, in, inlen, out, outlen);
    mbedtls_cipher_free(&ctx);
    return ret;
}

/* ---- EncryptedPrivateKeyInfo writer --------------------------------------- */

/* The layout OpenSSL 3 writes for -v2 aes-256-cbc -v2prf hmacWithSHA256: no
 * keyLength, prf with NULL parameters. */
static void put_epki(mgw_dbuf *b, const uint8_t *salt, size_t saltlen, uint32_t iterations,
                     const uint8_t *iv, const uint8_t *ct, size_t ctlen)
{
    size_t top = mgw_der_open(b);
    size_t algid = mgw_der_open(b);
    put_oid(b, oid_pbes2, sizeof(oid_pbes2));
    size_t params = mgw_der_open(b);
    size_t kdf = mgw_der_open(b);
    put_oid(b, oid_pbkdf2, sizeof(oid_pbkdf2));
    size_t kdf_params = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, salt, saltlen);
    mgw_der_put_small_int(b, (long)iterations);
    size_t prf = mgw_der_open(b);
    put_oid(b, PRF_SHA256->oid, PRF_SHA256->oidlen);
    mgw_der_put(b, MGW_ASN1_NULL, NULL, 0);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, prf);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, kdf_params);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, kdf);
    size_t enc = mgw_der_open(b);
    put_oid(b, CIPHER_AES256->oid, CIPHER_AES256->oidlen);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, iv, CIPHER_AES256->block);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, enc);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, params);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, algid);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, ct, ctlen);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, top);
}

int mgw_pkcs8_encrypt(const uint8_t *pki, size_t pkilen, const uint8_t *pw, size_t pwlen,
                      uint32_t iterations, mgw_rng *rng, mgw_dbuf *out)
{
    if (pki == NULL || pkilen == 0 || (pw == NULL && pwlen > 0) || rng == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 encrypt: NULL or empty argument");
    if (iterations == 0 || iterations > MGW_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "PKCS#8 encrypt: iteration count %lu not in 1..%lu",
                       (unsigned long)iterations, (unsigned long)MGW_MAX_ITERATIONS);
    if (pkilen > PKCS8_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "PKCS#8 encrypt: %zu bytes is too large for a key",
                       pkilen);

    const cipher_alg *alg = CIPHER_AES256;
    uint8_t salt[ENCRYPT_SALT_LEN], iv[CIPHER_MAX_BLOCK], key[CIPHER_MAX_KEY];
    uint8_t *ct = NULL;
    size_t ctlen = 0;
    mgw_dbuf b;
    mgw_dbuf_init(&b);

    int r = mgw_rng_fill(rng, salt, sizeof(salt));
    if (r == MGW_OK)
        r = mgw_rng_fill(rng, iv, alg->block);
    if (r == MGW_OK)
        r = mgw_pbkdf2(PRF_SHA256->md, pw, pwlen, salt, sizeof(salt), iterations, key, alg->keylen);
    if (r != MGW_OK) {
        r = mgw_err_prefix(r, "PKCS#8 encrypt");
        goto done;
    }
    ct = malloc(pkilen + alg->block);
    if (ct == NULL) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    int ret = cbc_crypt(alg, key, iv, MBEDTLS_ENCRYPT, pki, pkilen, ct, &ctlen);
    if (ret != 0) {
        r = mgw_err(MGW_ERR_CRYPTO, "PKCS#8 encrypt: AES-256-CBC failed (mbedTLS -0x%04X)",
                    (unsigned)-ret);
        goto done;
    }
    put_epki(&b, salt, sizeof(salt), iterations, iv, ct, ctlen);
    if (b.oom || mgw_dbuf_put(out, b.p, b.len) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, "PKCS#8 encrypt: out of memory");

done:
    mgw_zeroize(key, sizeof(key));
    if (ct != NULL) {
        mgw_zeroize(ct, pkilen + alg->block);
        free(ct);
    }
    mgw_dbuf_free(&b);
    return r;
}

/* ---- EncryptedPrivateKeyInfo reader --------------------------------------- */

typedef struct {
    mgw_span salt;
    uint32_t iterations;
    const prf_alg *prf;
    const cipher_alg *cipher;
    mgw_span iv;
    mgw_span ct;
} pbes2_fields;

static int unsupported(const char *what, mgw_span oid)
{
    char text[128];
    if (mgw_oid_to_text(oid.p, oid.len, text, sizeof(text)) != MGW_OK)
        return mgw_err(MGW_ERR_DER, "malformed %s OID", what);
    return mgw_err(MGW_ERR_UNSUPPORTED_ALG, "%s %s is not supported", what, text);
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static int read_algid(mgw_der_reader *r, mgw_span *oid, bool *has_params, unsigned *ptag,
                      mgw_span *params)
{
    mgw_span seq;
    mgw_der_reader s;
    int ret = mgw_der_expect(r, MGW_ASN1_SEQUENCE, &seq);
    if (ret == MGW_OK)
        ret = mgw_der_reader_sub(&s, r, seq);
    if (ret == MGW_OK)
        ret = mgw_der_expect(&s, MGW_ASN1_OID, oid);
    if (ret != MGW_OK)
        return ret;
    *has_params = !mgw_der_at_end(&s);
    if (*has_params) {
        ret = mgw_der_next(&s, ptag, params, NULL);
        if (ret != MGW_OK)
            return ret;
        if (!mgw_der_at_end(&s))
            return mgw_err(MGW_ERR_DER, "AlgorithmIdentifier has trailing data");
    }
    return MGW_OK;
}

/* Iteration count: capped before any other use, so hostile counts fail fast. */
static int read_iterations(mgw_der_reader *r, uint32_t *iterations)
{
    mgw_span c;
    int ret = mgw_der_expect(r, MGW_ASN1_INTEGER, &c);
    if (ret != MGW_OK)
        return ret;
    if (c.len == 0)
        return mgw_err(MGW_ERR_DER, "empty INTEGER");
    if (c.len > 1 && ((c.p[0] == 0x00 && !(c.p[1] & 0x80)) || (c.p[0] == 0xFF && (c.p[1] & 0x80))))
        return mgw_err(MGW_ERR_DER, "non-minimal INTEGER");
    if (c.p[0] & 0x80)
        return mgw_err(MGW_ERR_KEY_PARSE, "negative PBKDF2 iteration count");
    size_t i = c.p[0] == 0x00 ? 1 : 0;
    uint64_t v = 0;
    for (; i < c.len; i++) {
        if (v > MGW_MAX_ITERATIONS)
            break;
        v = (v << 8) | c.p[i];
    }
    if (v > MGW_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_TOO_LARGE, "PBKDF2 iteration count exceeds the limit of %lu",
                       (unsigned long)MGW_MAX_ITERATIONS);
    if (v == 0)
        return mgw_err(MGW_ERR_KEY_PARSE, "PBKDF2 iteration count is 0");
    *iterations = (uint32_t)v;
    return MGW_OK;
}

/* PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, ... },
 *   iterationCount INTEGER, keyLength INTEGER OPTIONAL,
 *   prf AlgorithmIdentifier DEFAULT hmacWithSHA1 } */
static int read_pbkdf2_params(mgw_der_reader *r, pbes2_fields *f, bool *has_keylen,
                              uint64_t *keylen)
{
    mgw_span seq;
    mgw_der_reader s;
    unsigned tag = 0;
    int ret = mgw_der_expect(r, MGW_ASN1_SEQUENCE, &seq);
    if (ret == MGW_OK)
        ret = mgw_der_reader_sub(&s, r, seq);
    if (ret != MGW_OK)
        return ret;
    if (mgw_der_peek(&s, &tag) && tag == MGW_ASN1_SEQUENCE)
        return mgw_err(MGW_ERR_UNSUPPORTED_ALG, "PBKDF2 salt from otherSource is not supported");
    ret = mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &f->salt);
    if (ret == MGW_OK)
        ret = read_iterations(&s, &f->iterations);
    if (ret != MGW_OK)
        return ret;
    if (f->salt.len < PBKDF2_SALT_MIN || f->salt.len > PBKDF2_SALT_MAX)
        return mgw_err(MGW_ERR_KEY_PARSE, "PBKDF2 salt length %zu not in %d..%d", f->salt.len,
                       PBKDF2_SALT_MIN, PBKDF2_SALT_MAX);
    *has_keylen = mgw_der_peek(&s, &tag) && tag == MGW_ASN1_INTEGER;
    if (*has_keylen) {
        ret = mgw_der_get_small_uint(&s, keylen);
        if (ret != MGW_OK)
            return ret;
    }
    f->prf = PRF_SHA1;
    if (!mgw_der_at_end(&s)) {
        mgw_span oid, params;
        bool has_params;
        ret = read_algid(&s, &oid, &has_params, &tag, &params);
        if (ret != MGW_OK)
            return ret;
        f->prf = NULL;
        for (size_t i = 0; i < sizeof(prf_algs) / sizeof(prf_algs[0]); i++)
            if (mgw_span_eq(oid, prf_algs[i].oid, prf_algs[i].oidlen))
                f->prf = &prf_algs[i];
        if (f->prf == NULL)
            return unsupported("PBKDF2 PRF", oid);
        if (has_params && (tag != MGW_ASN1_NULL || params.len != 0))
            return mgw_err(MGW_ERR_KEY_PARSE, "PBKDF2 PRF parameters must be NULL or absent");
    }
    if (!mgw_der_at_end(&s))
        return mgw_err(MGW_ERR_DER, "PBKDF2 parameters have trailing data");
    return MGW_OK;
}

/* PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier,
 *   encryptionScheme AlgorithmIdentifier } */
static int read_pbes2_params(const mgw_der_reader *parent, mgw_span content, pbes2_fields *f)
{
    mgw_der_reader s, kdf;
    mgw_span seq, oid, params;
    unsigned tag = 0;
    bool has_params, has_keylen = false;
    uint64_t keylen = 0;

    int ret = mgw_der_reader_sub(&s, parent, content);
    /* keyDerivationFunc: opened by hand, its parameters are read in place */
    if (ret == MGW_OK)
        ret = mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &seq);
    if (ret == MGW_OK)
        ret = mgw_der_reader_sub(&kdf, &s, seq);
    if (ret == MGW_OK)
        ret = mgw_der_expect(&kdf, MGW_ASN1_OID, &oid);
    if (ret != MGW_OK)
        return ret;
    if (!mgw_span_eq(oid, oid_pbkdf2, sizeof(oid_pbkdf2)))
        return unsupported("PBES2 key derivation function", oid);
    ret = read_pbkdf2_params(&kdf, f, &has_keylen, &keylen);
    if (ret != MGW_OK)
        return ret;
    if (!mgw_der_at_end(&kdf))
        return mgw_err(MGW_ERR_DER, "PBKDF2 AlgorithmIdentifier has trailing data");

    ret = read_algid(&s, &oid, &has_params, &tag, &params);
    if (ret != MGW_OK)
        return ret;
    f->cipher = NULL;
    for (size_t i = 0; i < sizeof(cipher_algs) / sizeof(cipher_algs[0]); i++)
        if (mgw_span_eq(oid, cipher_algs[i].oid, cipher_algs[i].oidlen))
            f->cipher = &cipher_algs[i];
    if (f->cipher == NULL || mbedtls_cipher_info_from_type(f->cipher->type) == NULL)
        return unsupported("PBES2 encryption scheme", oid);
    if (!has_params || tag != MGW_ASN1_OCTET_STRING)
        return mgw_err(MGW_ERR_KEY_PARSE, "PBES2 encryption scheme has no IV");
    if (params.len != f->cipher->block)
        return mgw_err(MGW_ERR_KEY_PARSE, "PBES2 IV is %zu bytes, the cipher needs %zu", params.len,
                       f->cipher->block);
    f->iv = params;
    if (has_keylen && keylen != f->cipher->keylen)
        return mgw_err(MGW_ERR_KEY_PARSE, "PBKDF2 keyLength %llu does not match the cipher's %zu",
                       (unsigned long long)keylen, f->cipher->keylen);
    if (!mgw_der_at_end(&s))
        return mgw_err(MGW_ERR_DER, "PBES2 parameters have trailing data");
    return MGW_OK;
}

/* EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
 *   encryptedData OCTET STRING } */
static int read_epki(const uint8_t *der, size_t n, pbes2_fields *f)
{
    mgw_der_reader top, s;
    mgw_span seq, oid, params;
    unsigned tag = 0;
    bool has_params;

    mgw_der_reader_init(&top, der, n);
    int ret = mgw_der_expect(&top, MGW_ASN1_SEQUENCE, &seq);
    if (ret != MGW_OK)
        return ret;
    if (!mgw_der_at_end(&top))
        return mgw_err(MGW_ERR_DER, "trailing data after the structure");
    ret = mgw_der_reader_sub(&s, &top, seq);
    if (ret == MGW_OK)
        ret = read_algid(&s, &oid, &has_params, &tag, &params);
    if (ret != MGW_OK)
        return ret;
    if (!mgw_span_eq(oid, oid_pbes2, sizeof(oid_pbes2)))
        return unsupported("encryption algorithm", oid);
    if (!has_params || tag != MGW_ASN1_SEQUENCE)
        return mgw_err(MGW_ERR_DER, "PBES2 parameters missing");
    ret = read_pbes2_params(&s, params, f);
    if (ret == MGW_OK)
        ret = mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &f->ct);
    if (ret != MGW_OK)
        return ret;
    if (!mgw_der_at_end(&s))
        return mgw_err(MGW_ERR_DER, "EncryptedPrivateKeyInfo has trailing data");
    if (f->ct.len == 0 || f->ct.len % f->cipher->block != 0)
        return mgw_err(MGW_ERR_KEY_PARSE,
                       "encrypted data length %zu is not a positive multiple of %zu", f->ct.len,
                       f->cipher->block);
    if (f->ct.len > PKCS8_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "encrypted data of %zu bytes is too large for a key",
                       f->ct.len);
    return MGW_OK;
}

/* PrivateKeyInfo ::= SEQUENCE { version INTEGER (0), privateKeyAlgorithm
 * AlgorithmIdentifier, privateKey OCTET STRING, ... }: after CBC without a MAC
 * this shape is the only sign that the password was right. */
static bool looks_like_pki(const uint8_t *p, size_t n)
{
    static const uint8_t zero = 0;
    mgw_der_reader top, s;
    mgw_span seq, v;
    mgw_der_reader_init(&top, p, n);
    return mgw_der_expect(&top, MGW_ASN1_SEQUENCE, &seq) == MGW_OK && mgw_der_at_end(&top) &&
           mgw_der_reader_sub(&s, &top, seq) == MGW_OK &&
           mgw_der_expect(&s, MGW_ASN1_INTEGER, &v) == MGW_OK && mgw_span_eq(v, &zero, 1) &&
           mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &v) == MGW_OK &&
           mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &v) == MGW_OK;
}

int mgw_pkcs8_decrypt(const uint8_t *der, size_t n, const uint8_t *pw, size_t pwlen, mgw_dbuf *pki)
{
    if (der == NULL || pki == NULL || (pw == NULL && pwlen > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 decrypt: NULL argument");
    pbes2_fields f;
    memset(&f, 0, sizeof(f));
    int r = read_epki(der, n, &f);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "encrypted PKCS#8");

    uint8_t key[CIPHER_MAX_KEY];
    size_t cap = f.ct.len + f.cipher->block, plen = 0;
    uint8_t *plain = NULL;
    r = mgw_pbkdf2(f.prf->md, pw, pwlen, f.salt.p, f.salt.len, f.iterations, key, f.cipher->keylen);
    if (r != MGW_OK) {
        r = mgw_err_prefix(r, "encrypted PKCS#8");
        goto done;
    }
    plain = malloc(cap);
    if (plain == NULL) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    int ret = cbc_crypt(f.cipher, key, f.iv.p, MBEDTLS_DECRYPT, f.ct.p, f.ct.len, plain, &plen);
    if (ret == MBEDTLS_ERR_CIPHER_INVALID_PADDING || (ret == 0 && !looks_like_pki(plain, plen)))
        r = mgw_err(MGW_ERR_WRONG_PASSWORD, "encrypted PKCS#8: wrong password or corrupted data");
    else if (ret != 0)
        r = mgw_err(MGW_ERR_CRYPTO, "encrypted PKCS#8: decryption failed (mbedTLS -0x%04X)",
                    (unsigned)-ret);
    else if (mgw_dbuf_put(pki, plain, plen) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, "encrypted PKCS#8: out of memory");

done:
    mgw_zeroize(key, sizeof(key));
    if (plain != NULL) {
        mgw_zeroize(plain, cap);
        free(plain);
    }
    return r;
}
