/*
 * Password-based encryption shared by PKCS#8 and PKCS#12: PBES2 (RFC 8018)
 * and the PKCS#12 PBE schemes (RFC 7292 appendix B and C).
 *
 * mbedTLS 2.28 cannot do PBES2 with AES, its PKCS#12 helpers take Latin-1
 * passwords of at most 128 bytes, and no version has RC2, so the schemes are
 * assembled here from PBKDF2 (pbkdf2.c), our PKCS#12 KDF, mbedtls_cipher for
 * AES/3DES and rc2.c. Parameters are untrusted: iteration counts are capped
 * before any work, and every derived key and plaintext buffer is wiped.
 */
#include "crypto/crypto.h"
#include "crypto/rc2.h"
#include "crypto/sha_fast.h"

#include <mbedtls/cipher.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_MAX 1024
#define WRITE_SALT_LEN 16
#define PBE_MAX_DATA (64u << 20)

/* OID content bytes; the dotted form is in each comment. */
static const uint8_t oid_pbes2[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                    0x0D, 0x01, 0x05, 0x0D}; /* 1.2.840.113549.1.5.13 */
static const uint8_t oid_pbkdf2[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                     0x0D, 0x01, 0x05, 0x0C}; /* 1.2.840.113549.1.5.12 */

typedef struct {
    uint8_t oid[9];
    size_t oidlen;
    mbedtls_md_type_t md;
    const char *name;
} prf_alg;

static const prf_alg prf_algs[] = {
    /* hmacWithSHA1 1.2.840.113549.2.7 first: it is the default when absent */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x07}, 8, MBEDTLS_MD_SHA1, "HMAC-SHA1"},
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x08}, 8, MBEDTLS_MD_SHA224, "HMAC-SHA224"},
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x09}, 8, MBEDTLS_MD_SHA256, "HMAC-SHA256"},
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0A}, 8, MBEDTLS_MD_SHA384, "HMAC-SHA384"},
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0B}, 8, MBEDTLS_MD_SHA512, "HMAC-SHA512"},
};
#define PRF_SHA1 (&prf_algs[0])
#define PRF_SHA256 (&prf_algs[2])

typedef struct {
    uint8_t oid[9];
    size_t oidlen;
    mbedtls_cipher_type_t type;
    size_t keylen, block;
    const char *name;
} cipher_alg;

static const cipher_alg cipher_algs[] = {
    /* aes128-CBC 2.16.840.1.101.3.4.1.2, aes192-CBC .22, aes256-CBC .42 */
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02}, 9, MBEDTLS_CIPHER_AES_128_CBC, 16, 16,
     "AES-128-CBC"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16}, 9, MBEDTLS_CIPHER_AES_192_CBC, 24, 16,
     "AES-192-CBC"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A}, 9, MBEDTLS_CIPHER_AES_256_CBC, 32, 16,
     "AES-256-CBC"},
    /* des-ede3-cbc 1.2.840.113549.3.7 */
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x07}, 8, MBEDTLS_CIPHER_DES_EDE3_CBC, 24, 8,
     "DES-EDE3-CBC"},
};
#define CIPHER_AES256 (&cipher_algs[2])
#define CIPHER_MAX_KEY 32
#define CIPHER_MAX_BLOCK 16

/* PKCS#12 PBE schemes: 1.2.840.113549.1.12.1.N */
typedef struct {
    uint8_t last; /* N */
    mbedtls_cipher_type_t type; /* MBEDTLS_CIPHER_NONE for RC2 */
    size_t keylen;
    unsigned rc2_bits;
    const char *name;
} p12_alg;

static const p12_alg p12_algs[] = {
    {3, MBEDTLS_CIPHER_DES_EDE3_CBC, 24, 0, "pbeWithSHAAnd3-KeyTripleDES-CBC"},
    {4, MBEDTLS_CIPHER_DES_EDE_CBC, 16, 0, "pbeWithSHAAnd2-KeyTripleDES-CBC"},
    {5, MBEDTLS_CIPHER_NONE, 16, 128, "pbeWithSHAAnd128BitRC2-CBC"},
    {6, MBEDTLS_CIPHER_NONE, 5, 40, "pbeWithSHAAnd40BitRC2-CBC"},
};
static const uint8_t oid_p12_prefix[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01};

/* ---- PKCS#12 key derivation ------------------------------------------------ */

/* The password as the KDF wants it: BMPString plus the 00 00 terminator, or
 * nothing at all when there is no password. */
static int bmp_password(const mgw_password *pw, mgw_dbuf *out)
{
    if (pw->none)
        return MGW_OK;
    int r = mgw_utf8_to_utf16(pw->p, pw->len, true, out);
    if (r != MGW_OK)
        return r == MGW_ERR_NO_MEMORY ? r : mgw_err(MGW_ERR_UTF8, "password: invalid UTF-8");
    mgw_dbuf_put(out, "\0\0", 2);
    return out->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}

/* Fill dst (len a multiple of v) with copies of src. */
static void repeat_fill(uint8_t *dst, size_t len, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i % n];
}

int mgw_pkcs12_kdf(mbedtls_md_type_t md, const mgw_password *pw, const uint8_t *salt,
                   size_t saltlen, uint8_t id, uint32_t iterations, uint8_t *out, size_t n)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    size_t v = mgw_md_block_size(md);
    if (info == NULL || v == 0 || iterations == 0 || n == 0 || n > 1024 ||
        (saltlen > 0 && salt == NULL) || saltlen > SALT_MAX)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PKCS#12 KDF: bad arguments");
    size_t u = mbedtls_md_get_size(info);
    mgw_dbuf pass;
    mgw_dbuf_init(&pass);
    int r = bmp_password(pw, &pass);
    if (r != MGW_OK) {
        mgw_dbuf_free(&pass);
        return r;
    }
    size_t slen = saltlen == 0 ? 0 : v * ((saltlen + v - 1) / v);
    size_t plen = pass.len == 0 ? 0 : v * ((pass.len + v - 1) / v);
    size_t ilen = slen + plen;
    uint8_t *I = calloc(1, ilen + v);
    uint8_t D[128], A[64], B[128];
    mbedtls_md_context_t ctx;
    mbedtls_md_init(&ctx);
    if (I == NULL || mbedtls_md_setup(&ctx, info, 0) != 0) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    memset(D, id, v);
    if (slen > 0)
        repeat_fill(I, slen, salt, saltlen);
    if (plen > 0)
        repeat_fill(I + slen, plen, pass.p, pass.len);
    for (size_t done = 0; done < n;) {
        int ret = mbedtls_md_starts(&ctx);
        ret |= mbedtls_md_update(&ctx, D, v);
        ret |= mbedtls_md_update(&ctx, I, ilen);
        ret |= mbedtls_md_finish(&ctx, A);
        /* each further round hashes one short block: one compression */
        if (mgw_fast_supported(md)) {
            mgw_fast_hash h;
            mgw_fast_init(&h, md == MBEDTLS_MD_SHA256);
            for (uint32_t k = 1; k < iterations; k++)
                mgw_fast_final_short(&h, A, u, 0, A);
        } else {
            for (uint32_t k = 1; k < iterations && ret == 0; k++) {
                ret |= mbedtls_md_starts(&ctx);
                ret |= mbedtls_md_update(&ctx, A, u);
                ret |= mbedtls_md_finish(&ctx, A);
            }
        }
        if (ret != 0) {
            r = mgw_err(MGW_ERR_CRYPTO, "PKCS#12 KDF: digest failed");
            goto done;
        }
        size_t take = n - done < u ? n - done : u;
        memcpy(out + done, A, take);
        done += take;
        if (done >= n)
            break;
        /* I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I */
        repeat_fill(B, v, A, u);
        for (size_t j = 0; j < ilen; j += v) {
            unsigned carry = 1;
            for (size_t k = v; k-- > 0;) {
                carry += (unsigned)I[j + k] + B[k];
                I[j + k] = (uint8_t)carry;
                carry >>= 8;
            }
        }
    }
done:
    mbedtls_md_free(&ctx);
    mgw_zeroize(A, sizeof(A));
    mgw_zeroize(B, sizeof(B));
    if (I != NULL) {
        mgw_zeroize(I, ilen + v);
        free(I);
    }
    mgw_dbuf_free(&pass);
    if (r != MGW_OK)
        mgw_zeroize(out, n);
    return r;
}

/* ---- CBC ------------------------------------------------------------------ */

/* One-shot CBC with PKCS#7 padding; returns the mbedTLS code. `out` must hold
 * inlen + one block. */
static int cbc_crypt(mbedtls_cipher_type_t type, const uint8_t *key, size_t keylen,
                     const uint8_t *iv, size_t ivlen, mbedtls_operation_t op, const uint8_t *in,
                     size_t inlen, uint8_t *out, size_t *outlen)
{
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(type);
    if (info == NULL)
        return MBEDTLS_ERR_CIPHER_FEATURE_UNAVAILABLE;
    mbedtls_cipher_context_t ctx;
    mbedtls_cipher_init(&ctx);
    int ret = mbedtls_cipher_setup(&ctx, info);
    if (ret == 0)
        ret = mbedtls_cipher_setkey(&ctx, key, (int)(keylen * 8), op);
    if (ret == 0)
        ret = mbedtls_cipher_set_padding_mode(&ctx, MBEDTLS_PADDING_PKCS7);
    if (ret == 0)
        ret = mbedtls_cipher_crypt(&ctx, iv, ivlen, in, inlen, out, outlen);
    mbedtls_cipher_free(&ctx);
    return ret;
}

/* ---- parameter readers -------------------------------------------------------- */

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
static int read_iterations(mgw_der_reader *r, uint32_t max, int param_err, uint32_t *iterations)
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
        return mgw_err(param_err, "negative iteration count");
    size_t i = c.p[0] == 0x00 ? 1 : 0;
    uint64_t v = 0;
    for (; i < c.len; i++) {
        if (v > max)
            break;
        v = (v << 8) | c.p[i];
    }
    if (v > max)
        return mgw_err(MGW_ERR_TOO_LARGE, "iteration count exceeds the limit of %lu",
                       (unsigned long)max);
    if (v == 0)
        return mgw_err(param_err, "iteration count is 0");
    *iterations = (uint32_t)v;
    return MGW_OK;
}

typedef struct {
    mgw_span salt;
    uint32_t iterations;
    const prf_alg *prf;
    const cipher_alg *cipher;
    mgw_span iv;
} pbes2_fields;

/* PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
 *   keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 } */
static int read_pbkdf2_params(mgw_der_reader *r, uint32_t max, int param_err, pbes2_fields *f,
                              bool *has_keylen, uint64_t *keylen)
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
        ret = read_iterations(&s, max, param_err, &f->iterations);
    if (ret != MGW_OK)
        return ret;
    if (f->salt.len < 1 || f->salt.len > SALT_MAX)
        return mgw_err(param_err, "PBKDF2 salt length %zu not in 1..%d", f->salt.len, SALT_MAX);
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
            return mgw_err(param_err, "PBKDF2 PRF parameters must be NULL or absent");
    }
    if (!mgw_der_at_end(&s))
        return mgw_err(MGW_ERR_DER, "PBKDF2 parameters have trailing data");
    return MGW_OK;
}

/* PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier,
 *   encryptionScheme AlgorithmIdentifier } */
static int read_pbes2_params(const mgw_der_reader *parent, mgw_span content, uint32_t max,
                             int param_err, pbes2_fields *f)
{
    mgw_der_reader s, kdf;
    mgw_span seq, oid, params;
    unsigned tag = 0;
    bool has_params, has_keylen = false;
    uint64_t keylen = 0;

    int ret = mgw_der_reader_sub(&s, parent, content);
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
    ret = read_pbkdf2_params(&kdf, max, param_err, f, &has_keylen, &keylen);
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
        return mgw_err(param_err, "PBES2 encryption scheme has no IV");
    if (params.len != f->cipher->block)
        return mgw_err(param_err, "PBES2 IV is %zu bytes, the cipher needs %zu", params.len,
                       f->cipher->block);
    f->iv = params;
    if (has_keylen && keylen != f->cipher->keylen)
        return mgw_err(param_err, "PBKDF2 keyLength %llu does not match the cipher's %zu",
                       (unsigned long long)keylen, f->cipher->keylen);
    if (!mgw_der_at_end(&s))
        return mgw_err(MGW_ERR_DER, "PBES2 parameters have trailing data");
    return MGW_OK;
}

/* ---- decryption ----------------------------------------------------------- */

static int finish_decrypt(int ret, const uint8_t *plain, size_t plen, mgw_dbuf *pt)
{
    if (ret == MBEDTLS_ERR_CIPHER_INVALID_PADDING)
        return mgw_err(MGW_ERR_WRONG_PASSWORD, "wrong password or corrupted data");
    if (ret != 0)
        return mgw_err(MGW_ERR_CRYPTO, "decryption failed (mbedTLS -0x%04X)", (unsigned)-ret);
    if (mgw_dbuf_put(pt, plain, plen) != MGW_OK)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    return MGW_OK;
}

static int decrypt_pbes2(const mgw_der_reader *r, mgw_span params, const mgw_password *pw,
                         uint32_t max, int param_err, const uint8_t *ct, size_t n, mgw_dbuf *pt,
                         mgw_pbe_info *info)
{
    pbes2_fields f;
    memset(&f, 0, sizeof(f));
    int rc = read_pbes2_params(r, params, max, param_err, &f);
    if (rc != MGW_OK)
        return rc;
    if (n == 0 || n % f.cipher->block != 0)
        return mgw_err(param_err, "encrypted data length %zu is not a positive multiple of %zu",
                       n, f.cipher->block);
    if (info != NULL) {
        snprintf(info->name, sizeof(info->name), "PBES2 PBKDF2-%s %s", f.prf->name,
                 f.cipher->name);
        info->iterations = f.iterations;
    }
    uint8_t key[CIPHER_MAX_KEY];
    uint8_t *plain = malloc(n + f.cipher->block);
    size_t plen = 0;
    if (plain == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    rc = mgw_pbkdf2(f.prf->md, pw->p, pw->none ? 0 : pw->len, f.salt.p, f.salt.len, f.iterations,
                    key, f.cipher->keylen);
    if (rc == MGW_OK) {
        int ret = cbc_crypt(f.cipher->type, key, f.cipher->keylen, f.iv.p, f.iv.len,
                            MBEDTLS_DECRYPT, ct, n, plain, &plen);
        rc = finish_decrypt(ret, plain, plen, pt);
    }
    mgw_zeroize(key, sizeof(key));
    mgw_zeroize(plain, n + f.cipher->block);
    free(plain);
    return rc;
}

static int decrypt_pkcs12(const mgw_der_reader *r, const p12_alg *alg, mgw_span params,
                          const mgw_password *pw, uint32_t max, int param_err, const uint8_t *ct,
                          size_t n, mgw_dbuf *pt, mgw_pbe_info *info)
{
    /* pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER } */
    mgw_der_reader s;
    mgw_span salt;
    uint32_t iterations = 0;
    int rc = mgw_der_reader_sub(&s, r, params);
    if (rc == MGW_OK)
        rc = mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &salt);
    if (rc == MGW_OK)
        rc = read_iterations(&s, max, param_err, &iterations);
    if (rc != MGW_OK)
        return rc;
    if (!mgw_der_at_end(&s))
        return mgw_err(MGW_ERR_DER, "PKCS#12 PBE parameters have trailing data");
    if (salt.len < 1 || salt.len > SALT_MAX)
        return mgw_err(param_err, "PKCS#12 PBE salt length %zu not in 1..%d", salt.len, SALT_MAX);
    if (n == 0 || n % 8 != 0)
        return mgw_err(param_err, "encrypted data length %zu is not a positive multiple of 8", n);
    if (alg->type != MBEDTLS_CIPHER_NONE && mbedtls_cipher_info_from_type(alg->type) == NULL)
        return mgw_err(MGW_ERR_UNSUPPORTED_ALG, "%s: cipher not in this mbedTLS build", alg->name);
    if (info != NULL) {
        snprintf(info->name, sizeof(info->name), "%s", alg->name);
        info->iterations = iterations;
    }
    uint8_t key[24], iv[8];
    uint8_t *plain = malloc(n + 8);
    size_t plen = 0;
    if (plain == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    rc = mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, pw, salt.p, salt.len, 1, iterations, key, alg->keylen);
    if (rc == MGW_OK)
        rc = mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, pw, salt.p, salt.len, 2, iterations, iv, 8);
    if (rc == MGW_OK && alg->type == MBEDTLS_CIPHER_NONE) {
        rc = mgw_rc2_cbc_decrypt(key, alg->keylen, alg->rc2_bits, iv, ct, n, plain, &plen);
        if (rc == MGW_OK && mgw_dbuf_put(pt, plain, plen) != MGW_OK)
            rc = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        else if (rc == MGW_ERR_WRONG_PASSWORD)
            rc = mgw_err(MGW_ERR_WRONG_PASSWORD, "wrong password or corrupted data");
    } else if (rc == MGW_OK) {
        int ret = cbc_crypt(alg->type, key, alg->keylen, iv, 8, MBEDTLS_DECRYPT, ct, n, plain,
                            &plen);
        rc = finish_decrypt(ret, plain, plen, pt);
    }
    mgw_zeroize(key, sizeof(key));
    mgw_zeroize(iv, sizeof(iv));
    mgw_zeroize(plain, n + 8);
    free(plain);
    return rc;
}

int mgw_pbe_decrypt(mgw_span algid, const mgw_password *pw, uint32_t max_iterations,
                    int param_err, const uint8_t *ct, size_t n, mgw_dbuf *pt, mgw_pbe_info *info)
{
    if (pw == NULL || pt == NULL || (ct == NULL && n > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PBE decrypt: NULL argument");
    if (n > PBE_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "encrypted data of %zu bytes is too large", n);
    mgw_der_reader r;
    mgw_span oid, params;
    bool has_params;
    unsigned tag = 0;
    mgw_der_reader_init(&r, algid.p, algid.len);
    int rc = read_algid(&r, &oid, &has_params, &tag, &params);
    if (rc != MGW_OK)
        return rc;
    if (mgw_span_eq(oid, oid_pbes2, sizeof(oid_pbes2))) {
        if (!has_params || tag != MGW_ASN1_SEQUENCE)
            return mgw_err(MGW_ERR_DER, "PBES2 parameters missing");
        return decrypt_pbes2(&r, params, pw, max_iterations, param_err, ct, n, pt, info);
    }
    if (oid.len == sizeof(oid_p12_prefix) + 1 &&
        memcmp(oid.p, oid_p12_prefix, sizeof(oid_p12_prefix)) == 0) {
        for (size_t i = 0; i < sizeof(p12_algs) / sizeof(p12_algs[0]); i++)
            if (oid.p[oid.len - 1] == p12_algs[i].last) {
                if (!has_params || tag != MGW_ASN1_SEQUENCE)
                    return mgw_err(MGW_ERR_DER, "PKCS#12 PBE parameters missing");
                return decrypt_pkcs12(&r, &p12_algs[i], params, pw, max_iterations, param_err,
                                      ct, n, pt, info);
            }
    }
    return unsupported("encryption algorithm", oid);
}

/* ---- encryption ----------------------------------------------------------- */

static void put_pbes2_algid(mgw_dbuf *b, const uint8_t *salt, size_t saltlen, uint32_t iterations,
                            const uint8_t *iv)
{
    /* OpenSSL 3's layout for -v2 aes-256-cbc -v2prf hmacWithSHA256: no
     * keyLength, prf with NULL parameters. */
    size_t algid = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid_pbes2, sizeof(oid_pbes2));
    size_t params = mgw_der_open(b);
    size_t kdf = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid_pbkdf2, sizeof(oid_pbkdf2));
    size_t kdf_params = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, salt, saltlen);
    mgw_der_put_small_int(b, (long)iterations);
    size_t prf = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, PRF_SHA256->oid, PRF_SHA256->oidlen);
    mgw_der_put(b, MGW_ASN1_NULL, NULL, 0);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, prf);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, kdf_params);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, kdf);
    size_t enc = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, CIPHER_AES256->oid, CIPHER_AES256->oidlen);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, iv, CIPHER_AES256->block);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, enc);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, params);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, algid);
}

static void put_pkcs12_algid(mgw_dbuf *b, const uint8_t *salt, size_t saltlen,
                             uint32_t iterations)
{
    size_t algid = mgw_der_open(b);
    uint8_t oid[sizeof(oid_p12_prefix) + 1];
    memcpy(oid, oid_p12_prefix, sizeof(oid_p12_prefix));
    oid[sizeof(oid_p12_prefix)] = 3; /* pbeWithSHAAnd3-KeyTripleDES-CBC */
    mgw_der_put(b, MGW_ASN1_OID, oid, sizeof(oid));
    size_t params = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, salt, saltlen);
    mgw_der_put_small_int(b, (long)iterations);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, params);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, algid);
}

int mgw_pbe_encrypt(int scheme, const mgw_password *pw, uint32_t iterations, mgw_rng *rng,
                    const uint8_t *pt, size_t n, mgw_dbuf *algid, mgw_dbuf *ct)
{
    if (pw == NULL || rng == NULL || algid == NULL || ct == NULL || (pt == NULL && n > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PBE encrypt: NULL argument");
    if (iterations == 0 || iterations > MGW_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "iteration count %lu not in 1..%lu",
                       (unsigned long)iterations, (unsigned long)MGW_MAX_ITERATIONS);
    if (n > PBE_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "%zu bytes is too much to encrypt", n);
    if (scheme != MGW_PBE_PKCS12_3DES && scheme != MGW_PBE_PBES2_AES256)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown encryption scheme %d", scheme);
    bool p12 = scheme == MGW_PBE_PKCS12_3DES;
    size_t keylen = p12 ? 24 : CIPHER_AES256->keylen, block = p12 ? 8 : CIPHER_AES256->block;
    uint8_t salt[WRITE_SALT_LEN], iv[CIPHER_MAX_BLOCK], key[CIPHER_MAX_KEY];
    uint8_t *out = malloc(n + block);
    size_t outlen = 0;
    if (out == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = mgw_rng_fill(rng, salt, sizeof(salt));
    if (r == MGW_OK && p12) {
        r = mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, pw, salt, sizeof(salt), 1, iterations, key, keylen);
        if (r == MGW_OK)
            r = mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, pw, salt, sizeof(salt), 2, iterations, iv, block);
    } else if (r == MGW_OK) {
        r = mgw_rng_fill(rng, iv, block);
        if (r == MGW_OK)
            r = mgw_pbkdf2(PRF_SHA256->md, pw->p, pw->none ? 0 : pw->len, salt, sizeof(salt),
                           iterations, key, keylen);
    }
    if (r == MGW_OK) {
        int ret = cbc_crypt(p12 ? MBEDTLS_CIPHER_DES_EDE3_CBC : CIPHER_AES256->type, key, keylen,
                            iv, block, MBEDTLS_ENCRYPT, pt, n, out, &outlen);
        if (ret != 0)
            r = mgw_err(MGW_ERR_CRYPTO, "encryption failed (mbedTLS -0x%04X)", (unsigned)-ret);
    }
    if (r == MGW_OK) {
        if (p12)
            put_pkcs12_algid(algid, salt, sizeof(salt), iterations);
        else
            put_pbes2_algid(algid, salt, sizeof(salt), iterations, iv);
        mgw_dbuf_put(ct, out, outlen);
        if (algid->oom || ct->oom)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_zeroize(key, sizeof(key));
    mgw_zeroize(iv, sizeof(iv));
    mgw_zeroize(out, n + block);
    free(out);
    return r;
}
