/* Private keys: generation, loading, encrypted export. */
#include "cert/key.h"

#include <stdlib.h>
#include <string.h>

#define RSA_MAX_BITS 8192

MGW_API uint32_t mgw_default_iterations(void)
{
    return 2048;
}

void mgw_pk_info(const mbedtls_pk_context *pk, int *type, int *bits)
{
    *type = 0;
    *bits = 0;
    mbedtls_pk_type_t t = mbedtls_pk_get_type(pk);
    if (t == MBEDTLS_PK_RSA) {
        size_t b = mbedtls_pk_get_bitlen(pk);
        *bits = (int)b;
        *type = b == 2048 ? MGW_KEY_RSA2048
                : b == 3072 ? MGW_KEY_RSA3072
                : b == 4096 ? MGW_KEY_RSA4096
                : (b > 2048 && b <= RSA_MAX_BITS) ? MGW_KEY_RSA_OTHER
                                                 : 0;
    } else if (t == MBEDTLS_PK_ECKEY) {
        mbedtls_ecp_group_id g = mgw_compat_pk_ec_group(pk);
        if (g == MBEDTLS_ECP_DP_SECP256R1)
            *type = MGW_KEY_P256, *bits = 256;
        else if (g == MBEDTLS_ECP_DP_SECP384R1)
            *type = MGW_KEY_P384, *bits = 384;
    }
}

int mgw_pk_spki(mbedtls_pk_context *pk, mgw_dbuf *out)
{
    uint8_t buf[2 * RSA_MAX_BITS / 8 + 128];
    memset(buf, 0, sizeof(buf));
    int n = mbedtls_pk_write_pubkey_der(pk, buf, sizeof(buf));
    if (n <= 0)
        return mgw_err(MGW_ERR_CRYPTO, "cannot encode the public key");
    return mgw_dbuf_put(out, buf + sizeof(buf) - (size_t)n, (size_t)n);
}

int mgw_key_matches_spki(const mgw_key_t *key, const uint8_t *spki, size_t n)
{
    if (key == NULL || !key->loaded)
        return MGW_ERR_KEY_MISMATCH;
    mgw_dbuf own;
    mgw_dbuf_init(&own);
    int r = mgw_pk_spki((mbedtls_pk_context *)&key->pk, &own);
    if (r == MGW_OK || own.oom)
        r = own.oom                                          ? MGW_ERR_NO_MEMORY
            : own.len == n && memcmp(own.p, spki, n) == 0 ? MGW_OK
                                                             : MGW_ERR_KEY_MISMATCH;
    else if (r != MGW_ERR_NO_MEMORY)
        r = MGW_ERR_KEY_MISMATCH;
    mgw_dbuf_free(&own);
    return r;
}

MGW_API mgw_key_t *mgw_key_new(void)
{
    mgw_key_t *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    mbedtls_pk_init(&k->pk);
    mgw_rng_init(&k->rng);
    return k;
}

MGW_API void mgw_key_free(mgw_key_t **kp)
{
    if (kp == NULL || *kp == NULL)
        return;
    mbedtls_pk_free(&(*kp)->pk);
    mgw_rng_free(&(*kp)->rng);
    mgw_zeroize(*kp, sizeof(**kp));
    free(*kp);
    *kp = NULL;
}

MGW_API int mgw_key_set_rng(mgw_key_t *key, mgw_rng_cb cb, void *ctx)
{
    if (key == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_key_set_rng: NULL key");
    mgw_rng_set_cb(&key->rng, cb, ctx);
    mgw_err_clear();
    return MGW_OK;
}

static void key_replace(mgw_key_t *key, mbedtls_pk_context *pk)
{
    mbedtls_pk_free(&key->pk);
    key->pk = *pk; /* the context owns heap data only; moving it is safe */
    mbedtls_pk_init(pk);
    key->loaded = true;
}

MGW_API int mgw_key_generate(mgw_key_t *key, int type)
{
    if (key == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_key_generate: NULL key");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    unsigned bits = 0;
    mbedtls_ecp_group_id grp = MBEDTLS_ECP_DP_NONE;
    switch (type) {
    case MGW_KEY_RSA2048: bits = 2048; break;
    case MGW_KEY_RSA3072: bits = 3072; break;
    case MGW_KEY_RSA4096: bits = 4096; break;
    case MGW_KEY_P256: grp = MBEDTLS_ECP_DP_SECP256R1; break;
    case MGW_KEY_P384: grp = MBEDTLS_ECP_DP_SECP384R1; break;
    default:
        return mgw_err(MGW_ERR_KEY_TYPE,
                       "key type %d is not one of rsa2048, rsa3072, rsa4096, p256, p384", type);
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc;
    if (bits > 0) {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mgw_rsa_generate(mbedtls_pk_rsa(pk), bits, 65537, mgw_rng_mbedtls, &key->rng);
    } else {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (rc == 0)
            rc = mgw_ec_generate(grp, mbedtls_pk_ec(pk), mgw_rng_mbedtls, &key->rng);
    }
    if (rc != 0) {
        mbedtls_pk_free(&pk);
        if (mgw_last_error()[0] != '\0' && rc == MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED)
            return MGW_ERR_RANDOM;
        return mgw_err(MGW_ERR_KEYGEN, "key generation failed (mbedTLS error -0x%04X)",
                       (unsigned)-rc);
    }
    key_replace(key, &pk);
    mgw_err_clear();
    return MGW_OK;
}

/* True when the DER looks like EncryptedPrivateKeyInfo (its first element is
 * an AlgorithmIdentifier SEQUENCE, where PrivateKeyInfo has an INTEGER). */
static bool der_is_encrypted_pkcs8(const uint8_t *p, size_t n)
{
    mgw_der_reader r, s;
    mgw_span c;
    unsigned tag;
    mgw_der_reader_init(&r, p, n);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &c) != MGW_OK ||
        mgw_der_reader_sub(&s, &r, c) != MGW_OK)
        return false;
    return mgw_der_peek(&s, &tag) && tag == MGW_ASN1_SEQUENCE;
}

static int check_supported(const mbedtls_pk_context *pk)
{
    int type, bits;
    mgw_pk_info(pk, &type, &bits);
    if (type != 0)
        return MGW_OK;
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA)
        return mgw_err(MGW_ERR_KEY_TYPE, "RSA keys of %d bits are refused (2048 to %d accepted)",
                       bits, RSA_MAX_BITS);
    return mgw_err(MGW_ERR_KEY_TYPE, "only RSA and ECDSA P-256/P-384 keys are supported");
}

MGW_API int mgw_key_load(mgw_key_t *key, const uint8_t *data, size_t len, const char *password,
                         size_t password_len)
{
    if (key == NULL || data == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_key_load: NULL argument");
    if (len > 1024 * 1024)
        return mgw_err(MGW_ERR_TOO_LARGE, "key data larger than 1 MiB");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    mgw_dbuf der, plain;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&plain);
    int r = MGW_OK;
    const uint8_t *p = data;
    size_t n = len;
    if (mgw_is_pem(data, len)) {
        /* the key block, wherever it is (a file may hold the certificate too) */
        static const char *const labels[] = {"ENCRYPTED PRIVATE KEY", "PRIVATE KEY",
                                             "RSA PRIVATE KEY", "EC PRIVATE KEY"};
        r = MGW_ERR_KEY_PARSE;
        for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]) && r != MGW_OK; i++) {
            mgw_dbuf_free(&der);
            r = mgw_pem_read(data, len, labels[i], &der, NULL, 0);
            if (r != MGW_OK && r != MGW_ERR_PEM)
                break;
            if (r == MGW_ERR_PEM && strstr(mgw_last_error(), "no ") == NULL)
                break; /* a key block that is itself malformed */
        }
        if (r == MGW_ERR_PEM && strstr(mgw_last_error(), "no ") != NULL)
            r = mgw_err(MGW_ERR_KEY_PARSE, "key: the PEM data holds no private key block");
        p = der.p;
        n = der.len;
    }
    if (r == MGW_OK && der_is_encrypted_pkcs8(p, n)) {
        if (password == NULL)
            r = mgw_err(MGW_ERR_PASSWORD, "key: the key is encrypted and no password was given");
        else
            r = mgw_pkcs8_decrypt(p, n, (const uint8_t *)password, password_len, &plain);
        p = plain.p;
        n = plain.len;
    }
    mgw_dbuf bare;
    mgw_dbuf_init(&bare);
    if (r == MGW_OK && mgw_pkcs8_strip(p, n, &bare)) {
        p = bare.p;
        n = bare.len;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (r == MGW_OK) {
        int rc = mgw_compat_pk_parse_key(&pk, p, n, mgw_rng_mbedtls, &key->rng);
        if (rc != 0)
            r = mgw_err(MGW_ERR_KEY_PARSE, "key: not a PKCS#8, PKCS#1 or SEC1 private key "
                                           "(mbedTLS error -0x%04X)",
                        (unsigned)-rc);
    }
    if (r == MGW_OK)
        r = check_supported(&pk);
    /* A key file may carry a public part that is not its private key's; check
     * once here so that later matches can compare public keys only. */
    if (r == MGW_OK && mgw_compat_pk_check_pair(&pk, &pk, mgw_rng_mbedtls, &key->rng) != 0)
        r = mgw_err(MGW_ERR_KEY_PARSE, "key: its public and private parts do not match");
    if (r == MGW_OK)
        key_replace(key, &pk);
    mbedtls_pk_free(&pk);
    mgw_dbuf_free(&bare);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&plain);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_key_type(const mgw_key_t *key)
{
    if (key == NULL || !key->loaded)
        return 0;
    int type, bits;
    mgw_pk_info(&key->pk, &type, &bits);
    return type;
}

MGW_API int mgw_key_bits(const mgw_key_t *key)
{
    if (key == NULL || !key->loaded)
        return 0;
    int type, bits;
    mgw_pk_info(&key->pk, &type, &bits);
    return bits;
}

static int finish_export(mgw_dbuf *der, int format, const char *label, uint8_t **out,
                         size_t *out_len)
{
    if (format == MGW_FORMAT_DER)
        return mgw_dbuf_detach(der, out, out_len);
    mgw_dbuf pem;
    mgw_dbuf_init(&pem);
    int r = mgw_pem_write(label, der->p, der->len, &pem);
    mgw_dbuf_free(der);
    if (r != MGW_OK) {
        mgw_dbuf_free(&pem);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    return mgw_dbuf_detach(&pem, out, out_len);
}

MGW_API int mgw_key_export_encrypted(const mgw_key_t *key, int format, const char *password,
                                     size_t password_len, uint32_t iterations, uint8_t **out,
                                     size_t *out_len)
{
    if (key == NULL || password == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_key_export_encrypted: NULL argument");
    if (!key->loaded)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_key_export_encrypted: the key is empty");
    if (format != MGW_FORMAT_DER && format != MGW_FORMAT_PEM)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown format %d", format);
    if (iterations == 0)
        iterations = mgw_default_iterations();
    if (iterations > MGW_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "iteration count above %u", MGW_MAX_ITERATIONS);
    mgw_key_t *k = (mgw_key_t *)key; /* the rng state advances; the key does not change */
    mgw_dbuf pki, enc;
    mgw_dbuf_init(&pki);
    mgw_dbuf_init(&enc);
    int r = mgw_pkcs8_wrap(&k->pk, &pki);
    if (r == MGW_OK)
        r = mgw_pkcs8_encrypt(pki.p, pki.len, (const uint8_t *)password, password_len,
                              iterations, &k->rng, &enc);
    mgw_dbuf_free(&pki);
    if (r == MGW_OK)
        r = finish_export(&enc, format, "ENCRYPTED PRIVATE KEY", out, out_len);
    mgw_dbuf_free(&enc);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}

MGW_API int mgw_key_export_public(const mgw_key_t *key, int format, uint8_t **out,
                                  size_t *out_len)
{
    if (key == NULL || out == NULL || out_len == NULL || !key->loaded)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_key_export_public: NULL or empty key");
    if (format != MGW_FORMAT_DER && format != MGW_FORMAT_PEM)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown format %d", format);
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    int r = mgw_pk_spki((mbedtls_pk_context *)&key->pk, &der);
    if (r == MGW_OK)
        r = finish_export(&der, format, "PUBLIC KEY", out, out_len);
    mgw_dbuf_free(&der);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}

MGW_API int mgw_cert_check_issuer(const mgw_cert_t *c, const mgw_cert_t *issuer)
{
    if (c == NULL || issuer == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_check_issuer: NULL argument");
    if (c->issuer.len != issuer->subject.len ||
        memcmp(c->issuer.p, issuer->subject.p, c->issuer.len) != 0)
        return mgw_err(MGW_ERR_CERT_SIGNATURE,
                       "the certificate names another issuer than the given certificate");
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int r;
    if (mbedtls_pk_parse_public_key(&pk, issuer->spki.p, issuer->spki.len) != 0)
        r = mgw_err(MGW_ERR_CERT_SIGNATURE, "the issuer's public key is not usable");
    else
        r = mgw_signature_verify(&pk, c->tbs, c->sig_alg, c->sig, 0, MGW_ERR_CERT_SIGNATURE,
                                 MGW_ERR_CERT_SIGNATURE, "certificate");
    mbedtls_pk_free(&pk);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_cert_check_key(const mgw_cert_t *c, const mgw_key_t *key)
{
    if (c == NULL || key == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_check_key: NULL argument");
    int r = mgw_key_matches_spki(key, c->spki.p, c->spki.len);
    if (r == MGW_ERR_NO_MEMORY)
        return mgw_err(r, NULL);
    if (r != MGW_OK)
        return mgw_err(MGW_ERR_KEY_MISMATCH, "the key does not belong to the certificate");
    mgw_err_clear();
    return MGW_OK;
}
