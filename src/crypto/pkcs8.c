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

#include <stdlib.h>
#include <string.h>

/* A PrivateKeyInfo of an RSA-16384 key is under 10 KB; anything far beyond
 * that is not a key, and the cap keeps size arithmetic away from overflow. */
#define PKCS8_MAX_DATA (1u << 20)

/* OID content bytes; the dotted form is in each comment. */
static const uint8_t oid_rsa_encryption[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                             0x0D, 0x01, 0x01, 0x01}; /* 1.2.840.113549.1.1.1 */
static const uint8_t oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE,
                                            0x3D, 0x02, 0x01}; /* 1.2.840.10045.2.1 */
static const uint8_t oid_prime256v1[] = {0x2A, 0x86, 0x48, 0xCE,
                                         0x3D, 0x03, 0x01, 0x07};      /* 1.2.840.10045.3.1.7 */
static const uint8_t oid_secp384r1[] = {0x2B, 0x81, 0x04, 0x00, 0x22}; /* 1.3.132.0.34 */
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

bool mgw_pkcs8_strip(const uint8_t *der, size_t n, mgw_dbuf *out)
{
    mgw_der_reader top, s;
    mgw_span seq, v;
    const uint8_t *start;
    mgw_der_reader_init(&top, der, n);
    if (mgw_der_expect(&top, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&top) ||
        mgw_der_reader_sub(&s, &top, seq) != MGW_OK)
        return false;
    start = s.p;
    if (mgw_der_expect(&s, MGW_ASN1_INTEGER, &v) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &v) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &v) != MGW_OK || mgw_der_at_end(&s))
        return false;
    mgw_err_clear();
    return mgw_der_put(out, MGW_ASN1_SEQUENCE, start, (size_t)(s.p - start)) == MGW_OK;
}

/* ---- EncryptedPrivateKeyInfo ------------------------------------------------ */

/* EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
 *   encryptedData OCTET STRING } */
int mgw_pkcs8_encrypt_with(int scheme, const uint8_t *pki, size_t pkilen, const mgw_password *pw,
                           uint32_t iterations, mgw_rng *rng, mgw_dbuf *out)
{
    if (pki == NULL || pkilen == 0 || pw == NULL || rng == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 encrypt: NULL or empty argument");
    if (pkilen > PKCS8_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "PKCS#8 encrypt: %zu bytes is too large for a key",
                       pkilen);
    mgw_dbuf algid, ct, b;
    mgw_dbuf_init(&algid);
    mgw_dbuf_init(&ct);
    mgw_dbuf_init(&b);
    int r = mgw_pbe_encrypt(scheme, pw, iterations, rng, pki, pkilen, &algid, &ct);
    if (r == MGW_OK) {
        size_t top = mgw_der_open(&b);
        mgw_dbuf_put(&b, algid.p, algid.len);
        mgw_der_put(&b, MGW_ASN1_OCTET_STRING, ct.p, ct.len);
        mgw_der_close(&b, MGW_ASN1_SEQUENCE, top);
        if (b.oom || mgw_dbuf_put(out, b.p, b.len) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, "PKCS#8 encrypt: out of memory");
    } else {
        r = mgw_err_prefix(r, "PKCS#8 encrypt");
    }
    mgw_dbuf_free(&algid);
    mgw_dbuf_free(&ct);
    mgw_dbuf_free(&b);
    return r;
}

int mgw_pkcs8_encrypt(const uint8_t *pki, size_t pkilen, const uint8_t *pw, size_t pwlen,
                      uint32_t iterations, mgw_rng *rng, mgw_dbuf *out)
{
    if (pw == NULL && pwlen > 0)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 encrypt: NULL password");
    if (iterations == 0 || iterations > MGW_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "PKCS#8 encrypt: iteration count %lu not in 1..%lu",
                       (unsigned long)iterations, (unsigned long)MGW_MAX_ITERATIONS);
    mgw_password p = {pw, pwlen, false};
    return mgw_pkcs8_encrypt_with(MGW_PBE_PBES2_AES256, pki, pkilen, &p, iterations, rng, out);
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

int mgw_pkcs8_decrypt_with(const uint8_t *der, size_t n, const mgw_password *pw,
                           uint32_t max_iterations, mgw_dbuf *pki, mgw_pbe_info *info)
{
    if (der == NULL || pki == NULL || pw == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 decrypt: NULL argument");
    mgw_der_reader top, s;
    mgw_span seq, algid, ct;
    unsigned tag;
    mgw_der_reader_init(&top, der, n);
    int r = mgw_der_expect(&top, MGW_ASN1_SEQUENCE, &seq);
    if (r == MGW_OK && !mgw_der_at_end(&top))
        r = mgw_err(MGW_ERR_DER, "trailing data after the structure");
    if (r == MGW_OK)
        r = mgw_der_reader_sub(&s, &top, seq);
    if (r == MGW_OK)
        r = mgw_der_next(&s, &tag, NULL, &algid);
    if (r == MGW_OK && tag != MGW_ASN1_SEQUENCE)
        r = mgw_err(MGW_ERR_DER, "expected an AlgorithmIdentifier");
    if (r == MGW_OK)
        r = mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &ct);
    if (r == MGW_OK && !mgw_der_at_end(&s))
        r = mgw_err(MGW_ERR_DER, "EncryptedPrivateKeyInfo has trailing data");
    if (r == MGW_OK && ct.len > PKCS8_MAX_DATA)
        r = mgw_err(MGW_ERR_TOO_LARGE, "encrypted data of %zu bytes is too large for a key",
                    ct.len);
    mgw_dbuf plain;
    mgw_dbuf_init(&plain);
    if (r == MGW_OK)
        r = mgw_pbe_decrypt(algid, pw, max_iterations, MGW_ERR_KEY_PARSE, ct.p, ct.len, &plain,
                            info);
    if (r == MGW_OK && !looks_like_pki(plain.p, plain.len))
        r = mgw_err(MGW_ERR_WRONG_PASSWORD, "wrong password or corrupted data");
    if (r == MGW_OK && mgw_dbuf_put(pki, plain.p, plain.len) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_dbuf_free(&plain);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "encrypted PKCS#8");
    return MGW_OK;
}

int mgw_pkcs8_decrypt(const uint8_t *der, size_t n, const uint8_t *pw, size_t pwlen, mgw_dbuf *pki)
{
    if (pw == NULL && pwlen > 0)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#8 decrypt: NULL password");
    mgw_password p = {pw, pwlen, false};
    return mgw_pkcs8_decrypt_with(der, n, &p, MGW_MAX_ITERATIONS, pki, NULL);
}
