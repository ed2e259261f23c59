/*
 * PKCS#12 writer (RFC 7292): one private key in a pkcs8ShroudedKeyBag, the
 * certificate and its chain in an encrypted certBag safe, and a MAC.
 *
 * Profiles: compat is what Windows' TripleDES_SHA1 export writes
 * (pbeWithSHAAnd3-KeyTripleDES-CBC for both safes, HMAC-SHA-1 MAC) and what
 * every device seen accepts; modern is OpenSSL 3's default (PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC, HMAC-SHA-256 MAC).
 */
#include "pfx/pfx.h"

#include <stdlib.h>
#include <string.h>

#define MAC_SALT_LEN 16

/* 1.2.840.113549.1.7.1 data, .7.6 encryptedData */
static const uint8_t oid_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
static const uint8_t oid_encrypted_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x06};
/* 1.2.840.113549.1.12.10.1.2 pkcs8ShroudedKeyBag, .3 certBag */
static const uint8_t oid_shrouded_key_bag[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                               0x01, 0x0C, 0x0A, 0x01, 0x02};
static const uint8_t oid_cert_bag[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                       0x01, 0x0C, 0x0A, 0x01, 0x03};
/* 1.2.840.113549.1.9.22.1 x509Certificate */
static const uint8_t oid_x509_cert[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x16, 0x01};
/* 1.3.14.3.2.26 sha1, 2.16.840.1.101.3.4.2.1 sha256 */
static const uint8_t oid_sha1[] = {0x2B, 0x0E, 0x03, 0x02, 0x1A};
static const uint8_t oid_sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};

const uint8_t mgw_oid_friendly_name[9] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x14};
const uint8_t mgw_oid_local_key_id[9] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x15};
const uint8_t mgw_oid_ms_csp_name[9] = {0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x11, 0x01};
const uint8_t mgw_oid_ms_local_machine[9] = {0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x11, 0x02};
const uint8_t mgw_oid_key_usage[3] = {0x55, 0x1D, 0x0F};

/* ---- options ---------------------------------------------------------------- */

MGW_API mgw_pfxopts_t *mgw_pfxopts_new(void)
{
    mgw_pfxopts_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->profile = MGW_PFX_PROFILE_COMPAT;
    o->iterations = mgw_default_iterations();
    mgw_rng_init(&o->rng);
    return o;
}

MGW_API void mgw_pfxopts_free(mgw_pfxopts_t **op)
{
    if (op == NULL || *op == NULL)
        return;
    mgw_pfxopts_t *o = *op;
    free(o->friendly_name);
    free(o->csp_name);
    for (size_t i = 0; i < o->n_chain; i++)
        mgw_cert_free(&o->chain[i]);
    free(o->chain);
    mgw_rng_free(&o->rng);
    free(o);
    *op = NULL;
}

MGW_API int mgw_pfxopts_set_profile(mgw_pfxopts_t *o, int profile)
{
    if (o == NULL || (profile != MGW_PFX_PROFILE_COMPAT && profile != MGW_PFX_PROFILE_MODERN))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PFX profile must be compat or modern");
    o->profile = profile;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_pfxopts_set_iterations(mgw_pfxopts_t *o, uint32_t iterations)
{
    if (o == NULL || iterations < 1 || iterations > MGW_PFX_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PFX iterations must be 1 to %u",
                       MGW_PFX_MAX_ITERATIONS);
    o->iterations = iterations;
    mgw_err_clear();
    return MGW_OK;
}

/* A text attribute: valid UTF-8, no control characters, at most 1024 bytes. */
static int set_text(char **dst, const char *s, const char *what)
{
    if (s != NULL) {
        size_t n = strlen(s), bad;
        if (n > 1024)
            return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s longer than 1024 bytes", what);
        if (!mgw_utf8_valid((const uint8_t *)s, n, &bad))
            return mgw_err(MGW_ERR_UTF8, "%s: invalid UTF-8 at byte %zu", what, bad + 1);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
                return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: control character at byte %zu",
                               what, i + 1);
    }
    char *copy = s != NULL ? mgw_strdup(s) : NULL;
    if (s != NULL && copy == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(*dst);
    *dst = copy;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_pfxopts_set_friendly_name(mgw_pfxopts_t *o, const char *name)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfxopts_set_friendly_name: NULL options");
    int r = set_text(&o->friendly_name, name, "friendly name");
    if (r == MGW_OK)
        o->friendly_name_set = true;
    return r;
}

MGW_API int mgw_pfxopts_set_csp_name(mgw_pfxopts_t *o, const char *name)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfxopts_set_csp_name: NULL options");
    return set_text(&o->csp_name, name, "CSP name");
}

MGW_API int mgw_pfxopts_set_key_spec(mgw_pfxopts_t *o, int spec)
{
    if (o == NULL || (spec != MGW_PFX_KEYSPEC_NONE && spec != MGW_PFX_KEYSPEC_EXCHANGE &&
                      spec != MGW_PFX_KEYSPEC_SIGNATURE))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "key spec must be none, exchange or signature");
    o->key_spec = spec;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_pfxopts_set_machine_keyset(mgw_pfxopts_t *o, int on)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfxopts_set_machine_keyset: NULL options");
    o->machine_keyset = on != 0;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_pfxopts_set_local_key_id(mgw_pfxopts_t *o, const uint8_t *id, size_t len)
{
    if (o == NULL || (id == NULL && len > 0) || len > sizeof(o->local_key_id))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "local key ID must be 0 to 64 bytes");
    if (len > 0)
        memcpy(o->local_key_id, id, len);
    o->local_key_id_len = len;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_pfxopts_add_chain(mgw_pfxopts_t *o, const mgw_cert_t *cert)
{
    if (o == NULL || cert == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfxopts_add_chain: NULL argument");
    if (o->n_chain >= 32)
        return mgw_err(MGW_ERR_TOO_LARGE, "more than 32 chain certificates");
    mgw_cert_t **n = realloc(o->chain, (o->n_chain + 1) * sizeof(*n));
    if (n == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    o->chain = n;
    int r = mgw_cert_from_der(cert->der, cert->der_len, &o->chain[o->n_chain]);
    if (r != MGW_OK)
        return r;
    o->n_chain++;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_pfxopts_set_rng(mgw_pfxopts_t *o, mgw_rng_cb cb, void *ctx)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfxopts_set_rng: NULL options");
    mgw_rng_set_cb(&o->rng, cb, ctx);
    mgw_err_clear();
    return MGW_OK;
}

/* ---- encoding helpers ---------------------------------------------------------- */

/* The last CN of a DER Name, as UTF-8 (for the default friendly name). */
static char *name_cn(mgw_span name)
{
    static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
    mgw_der_reader r, rdns, set, atv;
    mgw_span seq, s, a, oid, v;
    unsigned tag;
    char *found = NULL;
    mgw_der_reader_init(&r, name.p, name.len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&rdns, &r, seq) != MGW_OK)
        return NULL;
    while (mgw_der_expect(&rdns, MGW_ASN1_SET, &s) == MGW_OK &&
           mgw_der_reader_sub(&set, &rdns, s) == MGW_OK) {
        while (mgw_der_expect(&set, MGW_ASN1_SEQUENCE, &a) == MGW_OK &&
               mgw_der_reader_sub(&atv, &set, a) == MGW_OK &&
               mgw_der_expect(&atv, MGW_ASN1_OID, &oid) == MGW_OK &&
               mgw_der_next(&atv, &tag, &v, NULL) == MGW_OK) {
            if (mgw_span_eq(oid, oid_cn, sizeof(oid_cn)) &&
                (tag == MGW_ASN1_UTF8_STRING || tag == MGW_ASN1_PRINTABLE_STRING ||
                 tag == MGW_ASN1_IA5_STRING) &&
                mgw_utf8_valid(v.p, v.len, NULL) && memchr(v.p, 0, v.len) == NULL) {
                free(found);
                found = mgw_strndup((const char *)v.p, v.len);
            }
        }
    }
    return found;
}

static void put_attr(mgw_dbuf *b, const uint8_t *oid, size_t oidlen, unsigned tag,
                     const void *value, size_t n, bool empty_set)
{
    size_t a = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid, oidlen);
    size_t s = mgw_der_open(b);
    if (!empty_set)
        mgw_der_put(b, tag, value, n);
    mgw_der_close(b, MGW_ASN1_SET, s);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, a);
}

static void put_bmp_attr(mgw_dbuf *b, const uint8_t *oid, const char *text)
{
    mgw_dbuf bmp;
    mgw_dbuf_init(&bmp);
    mgw_utf8_to_utf16((const uint8_t *)text, strlen(text), true, &bmp);
    put_attr(b, oid, 9, MGW_ASN1_BMP_STRING, bmp.p, bmp.len, false);
    if (bmp.oom)
        b->oom = true;
    mgw_dbuf_free(&bmp);
}

typedef struct {
    mgw_span items[8];
    size_t n;
} element_list;

/* Split a run of DER elements and write them as a DER SET OF: sorted by their
 * encodings (X.690 11.6). */
static int cmp_span(const void *a, const void *b)
{
    const mgw_span *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static int put_sorted_set(mgw_dbuf *b, unsigned tag, const mgw_dbuf *elements)
{
    element_list l = {.n = 0};
    mgw_der_reader r;
    mgw_der_reader_init(&r, elements->p, elements->len);
    while (!mgw_der_at_end(&r) && l.n < 8)
        if (mgw_der_next(&r, NULL, NULL, &l.items[l.n++]) != MGW_OK)
            return MGW_ERR_INTERNAL;
    qsort(l.items, l.n, sizeof(l.items[0]), cmp_span);
    size_t m = mgw_der_open(b);
    for (size_t i = 0; i < l.n; i++)
        mgw_dbuf_put(b, l.items[i].p, l.items[i].len);
    return mgw_der_close(b, tag, m);
}

/* SafeBag ::= SEQUENCE { bagId, [0] EXPLICIT bagValue, bagAttributes SET OF OPTIONAL } */
static void put_safe_bag(mgw_dbuf *b, const uint8_t *bag_oid, size_t oidlen, const mgw_dbuf *value,
                         const mgw_dbuf *attrs)
{
    size_t m = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, bag_oid, oidlen);
    size_t v = mgw_der_open(b);
    mgw_dbuf_put(b, value->p, value->len);
    mgw_der_close(b, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, v);
    if (attrs != NULL && attrs->len > 0)
        put_sorted_set(b, MGW_ASN1_SET, attrs);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, m);
}

/* ContentInfo { contentType, [0] EXPLICIT content } */
static void put_content_info(mgw_dbuf *b, const uint8_t *oid, size_t oidlen, const mgw_dbuf *inner,
                             bool as_octets)
{
    size_t m = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid, oidlen);
    size_t c = mgw_der_open(b);
    if (as_octets)
        mgw_der_put(b, MGW_ASN1_OCTET_STRING, inner->p, inner->len);
    else
        mgw_dbuf_put(b, inner->p, inner->len);
    mgw_der_close(b, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, c);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, m);
}

/* PrivateKeyInfo with the key-usage attribute OpenSSL writes for -keyex/-keysig. */
static int pki_with_key_spec(mgw_dbuf *pki, int spec)
{
    if (spec == MGW_PFX_KEYSPEC_NONE)
        return MGW_OK;
    mgw_der_reader r;
    mgw_span content;
    mgw_der_reader_init(&r, pki->p, pki->len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &content) != MGW_OK)
        return MGW_ERR_INTERNAL;
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    size_t m = mgw_der_open(&out);
    mgw_dbuf_put(&out, content.p, content.len);
    size_t attrs = mgw_der_open(&out);
    uint8_t unused = 0;
    while (unused < 7 && !(spec & (1 << unused)))
        unused++;
    uint8_t bits[2] = {unused, (uint8_t)spec};
    put_attr(&out, mgw_oid_key_usage, sizeof(mgw_oid_key_usage), MGW_ASN1_BIT_STRING, bits, 2,
             false);
    mgw_der_close(&out, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, attrs);
    mgw_der_close(&out, MGW_ASN1_SEQUENCE, m);
    if (out.oom) {
        mgw_dbuf_free(&out);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_dbuf_free(pki);
    *pki = out;
    return MGW_OK;
}

/* ---- the writer ------------------------------------------------------------------ */

typedef struct {
    const mgw_pfx_content *c;
    bool modern;
    mgw_rng *rng;
    mgw_password pw;
    int pbe;
    uint32_t iterations;
    uint8_t keyid[64];
    size_t keyid_len;
} pfx_job;

static int key_safe(const pfx_job *j, const mgw_key_t *key, mgw_dbuf *safe)
{
    mgw_dbuf pki, epki, attrs, bag;
    mgw_dbuf_init(&pki);
    mgw_dbuf_init(&epki);
    mgw_dbuf_init(&attrs);
    mgw_dbuf_init(&bag);
    int r = mgw_pkcs8_wrap((mbedtls_pk_context *)&key->pk, &pki);
    if (r == MGW_OK)
        r = pki_with_key_spec(&pki, j->c->key_spec);
    if (r == MGW_OK)
        r = mgw_pkcs8_encrypt_with(j->pbe, pki.p, pki.len, &j->pw, j->iterations, j->rng, &epki);
    if (r == MGW_OK) {
        if (j->c->friendly != NULL)
            put_bmp_attr(&attrs, mgw_oid_friendly_name, j->c->friendly);
        put_attr(&attrs, mgw_oid_local_key_id, 9, MGW_ASN1_OCTET_STRING, j->keyid, j->keyid_len,
                 false);
        if (j->c->csp != NULL)
            put_bmp_attr(&attrs, mgw_oid_ms_csp_name, j->c->csp);
        if (j->c->machine_keyset)
            put_attr(&attrs, mgw_oid_ms_local_machine, 9, 0, NULL, 0, true);
        put_safe_bag(&bag, oid_shrouded_key_bag, sizeof(oid_shrouded_key_bag), &epki, &attrs);
        size_t m = mgw_der_open(safe);
        mgw_dbuf_put(safe, bag.p, bag.len);
        mgw_der_close(safe, MGW_ASN1_SEQUENCE, m);
        if (safe->oom || bag.oom || attrs.oom)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&epki);
    mgw_dbuf_free(&attrs);
    mgw_dbuf_free(&bag);
    return r;
}

static void put_cert_bag(mgw_dbuf *safe, const mgw_cert_t *c, const mgw_dbuf *attrs)
{
    mgw_dbuf v;
    mgw_dbuf_init(&v);
    size_t m = mgw_der_open(&v);
    mgw_der_put(&v, MGW_ASN1_OID, oid_x509_cert, sizeof(oid_x509_cert));
    size_t e = mgw_der_open(&v);
    mgw_der_put(&v, MGW_ASN1_OCTET_STRING, c->der, c->der_len);
    mgw_der_close(&v, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, e);
    mgw_der_close(&v, MGW_ASN1_SEQUENCE, m);
    put_safe_bag(safe, oid_cert_bag, sizeof(oid_cert_bag), &v, attrs);
    if (v.oom)
        safe->oom = true;
    mgw_dbuf_free(&v);
}

/* EncryptedData { version 0, EncryptedContentInfo { data, alg, [0] IMPLICIT ct } } */
static int cert_safe(const pfx_job *j, const mgw_cert_t *leaf, mgw_dbuf *ci)
{
    mgw_dbuf bags, attrs, algid, ct, ed;
    mgw_dbuf_init(&bags);
    mgw_dbuf_init(&attrs);
    mgw_dbuf_init(&algid);
    mgw_dbuf_init(&ct);
    mgw_dbuf_init(&ed);
    size_t m = mgw_der_open(&bags);
    if (j->c->friendly != NULL)
        put_bmp_attr(&attrs, mgw_oid_friendly_name, j->c->friendly);
    put_attr(&attrs, mgw_oid_local_key_id, 9, MGW_ASN1_OCTET_STRING, j->keyid, j->keyid_len, false);
    put_cert_bag(&bags, leaf, &attrs);
    for (size_t i = 0; i < j->c->n_chain; i++) {
        const mgw_cert_t *c = j->c->chain[i];
        if (c->der_len == leaf->der_len && memcmp(c->der, leaf->der, c->der_len) == 0)
            continue;
        put_cert_bag(&bags, c, NULL);
    }
    mgw_der_close(&bags, MGW_ASN1_SEQUENCE, m);
    int r = bags.oom || attrs.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    if (r == MGW_OK)
        r = mgw_pbe_encrypt(j->pbe, &j->pw, j->iterations, j->rng, bags.p, bags.len, &algid, &ct);
    if (r == MGW_OK) {
        m = mgw_der_open(&ed);
        mgw_der_put_small_int(&ed, 0);
        size_t eci = mgw_der_open(&ed);
        mgw_der_put(&ed, MGW_ASN1_OID, oid_data, sizeof(oid_data));
        mgw_dbuf_put(&ed, algid.p, algid.len);
        mgw_der_put(&ed, MGW_ASN1_CTX | 0, ct.p, ct.len);
        mgw_der_close(&ed, MGW_ASN1_SEQUENCE, eci);
        mgw_der_close(&ed, MGW_ASN1_SEQUENCE, m);
        put_content_info(ci, oid_encrypted_data, sizeof(oid_encrypted_data), &ed, false);
        if (ed.oom || ci->oom)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_dbuf_free(&bags);
    mgw_dbuf_free(&attrs);
    mgw_dbuf_free(&algid);
    mgw_dbuf_free(&ct);
    mgw_dbuf_free(&ed);
    return r;
}

/* MacData { DigestInfo { alg, digest }, macSalt, iterations } over authsafe octets. */
static int mac_data(const pfx_job *j, const mgw_dbuf *authsafe, mgw_dbuf *out)
{
    bool modern = j->modern;
    mbedtls_md_type_t md = modern ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA1;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    size_t mlen = mbedtls_md_get_size(info);
    uint8_t salt[MAC_SALT_LEN], key[32], mac[32];
    int r = mgw_rng_fill(j->rng, salt, sizeof(salt));
    if (r == MGW_OK)
        r = mgw_pkcs12_kdf(md, &j->pw, salt, sizeof(salt), 3, j->iterations, key, mlen);
    if (r == MGW_OK && mbedtls_md_hmac(info, key, mlen, authsafe->p, authsafe->len, mac) != 0)
        r = mgw_err(MGW_ERR_CRYPTO, "PFX MAC computation failed");
    if (r == MGW_OK) {
        size_t m = mgw_der_open(out);
        size_t di = mgw_der_open(out);
        size_t alg = mgw_der_open(out);
        if (modern)
            mgw_der_put(out, MGW_ASN1_OID, oid_sha256, sizeof(oid_sha256));
        else
            mgw_der_put(out, MGW_ASN1_OID, oid_sha1, sizeof(oid_sha1));
        mgw_der_put(out, MGW_ASN1_NULL, NULL, 0);
        mgw_der_close(out, MGW_ASN1_SEQUENCE, alg);
        mgw_der_put(out, MGW_ASN1_OCTET_STRING, mac, mlen);
        mgw_der_close(out, MGW_ASN1_SEQUENCE, di);
        mgw_der_put(out, MGW_ASN1_OCTET_STRING, salt, sizeof(salt));
        mgw_der_put_small_int(out, (long)j->iterations);
        mgw_der_close(out, MGW_ASN1_SEQUENCE, m);
        if (out->oom) /* an incomplete MacData must not end up in the file */
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_zeroize(key, sizeof(key));
    return r;
}

int mgw_pfx_encode(const mgw_pfxopts_t *o, const mgw_pfx_content *c, const mgw_password *pw,
                   mgw_dbuf *out)
{
    pfx_job j = {
        .c = c,
        .modern = o->profile == MGW_PFX_PROFILE_MODERN,
        .rng = (mgw_rng *)&o->rng,
        .pw = *pw,
        .pbe = o->profile == MGW_PFX_PROFILE_MODERN ? MGW_PBE_PBES2_AES256 : MGW_PBE_PKCS12_3DES,
        .iterations = o->iterations,
    };
    if (c->keyid_len > 0) {
        memcpy(j.keyid, c->keyid, c->keyid_len);
        j.keyid_len = c->keyid_len;
    } else {
        int r = mgw_digest(MBEDTLS_MD_SHA1, c->leaf->der, c->leaf->der_len, j.keyid);
        if (r != MGW_OK)
            return r;
        j.keyid_len = 20;
    }
    mgw_dbuf certs, keys, keyci, authsafe, mac;
    mgw_dbuf_init(&certs);
    mgw_dbuf_init(&keys);
    mgw_dbuf_init(&keyci);
    mgw_dbuf_init(&authsafe);
    mgw_dbuf_init(&mac);
    int r = cert_safe(&j, c->leaf, &certs);
    if (r == MGW_OK)
        r = key_safe(&j, c->key, &keys);
    if (r == MGW_OK) {
        put_content_info(&keyci, oid_data, sizeof(oid_data), &keys, true);
        size_t m = mgw_der_open(&authsafe);
        mgw_dbuf_put(&authsafe, certs.p, certs.len);
        mgw_dbuf_put(&authsafe, keyci.p, keyci.len);
        mgw_der_close(&authsafe, MGW_ASN1_SEQUENCE, m);
        r = authsafe.oom || keyci.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    }
    if (r == MGW_OK)
        r = mac_data(&j, &authsafe, &mac);
    if (r == MGW_OK) {
        size_t m = mgw_der_open(out);
        mgw_der_put_small_int(out, 3);
        put_content_info(out, oid_data, sizeof(oid_data), &authsafe, true);
        mgw_dbuf_put(out, mac.p, mac.len);
        mgw_der_close(out, MGW_ASN1_SEQUENCE, m);
        if (out->oom)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_dbuf_free(&certs);
    mgw_dbuf_free(&keys);
    mgw_dbuf_free(&keyci);
    mgw_dbuf_free(&authsafe);
    mgw_dbuf_free(&mac);
    return r;
}

int mgw_pfx_encode_out(const mgw_pfxopts_t *o, const mgw_pfx_content *c, const mgw_password *pw,
                       uint8_t **out, size_t *out_len)
{
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    int r = mgw_pfx_encode(o, c, pw, &der);
    if (r == MGW_OK)
        r = mgw_dbuf_detach(&der, out, out_len);
    mgw_dbuf_free(&der);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

int mgw_pfx_password(const char *password, size_t len, mgw_password *pw)
{
    pw->p = (const uint8_t *)password;
    pw->len = password == NULL ? 0 : len;
    pw->none = password == NULL;
    return password == NULL ? MGW_OK : mgw_password_check(password, len);
}

MGW_API int mgw_pfx_write(const mgw_pfxopts_t *o, const mgw_cert_t *cert, const mgw_key_t *key,
                          const char *password, size_t password_len, uint8_t **out,
                          size_t *out_len)
{
    if (o == NULL || cert == NULL || key == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_write: NULL argument");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    mgw_password pw;
    int r = mgw_pfx_password(password, password_len, &pw);
    if (r != MGW_OK)
        return r;
    if ((r = mgw_cert_check_key(cert, key)) != MGW_OK)
        return r;
    char *cn = NULL;
    const char *friendly = o->friendly_name;
    if (!o->friendly_name_set)
        friendly = cn = name_cn(cert->subject);
    if (friendly != NULL && friendly[0] == '\0')
        friendly = NULL;
    mgw_pfx_content c = {
        .leaf = cert,
        .key = key,
        .chain = o->chain,
        .n_chain = o->n_chain,
        .friendly = friendly,
        .csp = o->csp_name,
        .key_spec = o->key_spec,
        .machine_keyset = o->machine_keyset,
        .keyid = o->local_key_id,
        .keyid_len = o->local_key_id_len,
    };
    r = mgw_pfx_encode_out(o, &c, &pw, out, out_len);
    free(cn);
    return r;
}
