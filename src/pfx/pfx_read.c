/*
 * PKCS#12 reader. The input is hostile: it is size-capped, re-encoded from
 * BER layer by layer, the MAC is verified (in constant time) before anything
 * is decrypted, iteration counts and bag counts are capped, and decrypted key
 * material is wiped.
 */
#include "pfx/pfx.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t oid_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
static const uint8_t oid_encrypted_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x06};
static const uint8_t oid_bag_prefix[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01};
static const uint8_t oid_x509_cert[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x16, 0x01};

enum { BAG_KEY = 1, BAG_SHROUDED_KEY, BAG_CERT, BAG_CRL, BAG_SECRET, BAG_SAFE_CONTENTS };

static const struct {
    uint8_t oid[9];
    size_t len;
    mbedtls_md_type_t md;
    const char *name;
} mac_algs[] = {
    {{0x2B, 0x0E, 0x03, 0x02, 0x1A}, 5, MBEDTLS_MD_SHA1, "HMAC-SHA1"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04}, 9, MBEDTLS_MD_SHA224, "HMAC-SHA224"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}, 9, MBEDTLS_MD_SHA256, "HMAC-SHA256"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}, 9, MBEDTLS_MD_SHA384, "HMAC-SHA384"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}, 9, MBEDTLS_MD_SHA512, "HMAC-SHA512"},
};

/* One bag's attributes. */
typedef struct {
    char *friendly;
    uint8_t keyid[64];
    size_t keyid_len;
    char *csp;
    bool lmk;
} bag_attrs;

typedef struct {
    mgw_cert_t *cert;
    bag_attrs a;
} cert_entry;

typedef struct {
    mgw_password variants[2];
    size_t n_variants;
    const mgw_password *pw; /* the variant that opened the file */
    size_t bags;
    size_t decryptions; /* encrypted safes and shrouded keys: each costs KDF runs */
    cert_entry *certs;
    size_t n_certs;
    mgw_dbuf pki; /* the private key's PrivateKeyInfo */
    bool have_key;
    bag_attrs key_attrs;
    mgw_pfx_t *out;
} reader;

/* MGW_ERR_PFX_FORMAT with the lower layer's detail, if any, in brackets. */
static int fmt(const char *what)
{
    char detail[256];
    snprintf(detail, sizeof(detail), "%s", mgw_last_error());
    if (detail[0] != '\0' && strncmp(detail, "PFX", 3) != 0)
        return mgw_err(MGW_ERR_PFX_FORMAT, "PFX: %s (%s)", what, detail);
    return mgw_err(MGW_ERR_PFX_FORMAT, "PFX: %s", what);
}

static void attrs_free(bag_attrs *a)
{
    free(a->friendly);
    free(a->csp);
    memset(a, 0, sizeof(*a));
}

/* Whether a BMPString is well-formed UTF-16 (big endian), without allocating:
 * when bmp_to_utf8 fails on one that is, memory ran out. */
static bool utf16_ok(mgw_span s)
{
    if (s.len % 2 != 0)
        return false;
    for (size_t i = 0; i < s.len; i += 2) {
        unsigned u = (unsigned)s.p[i] << 8 | s.p[i + 1];
        if (u >= 0xD800 && u <= 0xDBFF) {
            unsigned l = i + 3 < s.len ? (unsigned)s.p[i + 2] << 8 | s.p[i + 3] : 0;
            if (l < 0xDC00 || l > 0xDFFF)
                return false;
            i += 2;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return false;
        }
    }
    return true;
}

/* BMPString attribute text as UTF-8, control characters shown as \xHH so that
 * printing a file's attributes cannot drive a terminal. */
static char *bmp_to_utf8(mgw_span s)
{
    mgw_dbuf b, e;
    mgw_dbuf_init(&b);
    mgw_dbuf_init(&e);
    char *out = NULL;
    if (mgw_utf16_to_utf8(s.p, s.len, true, &b) == MGW_OK && !b.oom) {
        for (size_t i = 0; i < b.len; i++) {
            uint8_t c = b.p[i];
            bool c1 = c == 0xC2 && i + 1 < b.len && b.p[i + 1] >= 0x80 && b.p[i + 1] < 0xA0;
            if (c < 0x20 || c == 0x7F || c == '\\')
                mgw_dbuf_printf(&e, "\\x%02X", c);
            else if (c1)
                mgw_dbuf_printf(&e, "\\x%02X", b.p[++i]);
            else
                mgw_dbuf_putc(&e, c);
        }
        if (!e.oom)
            out = mgw_strndup(e.len > 0 ? (const char *)e.p : "", e.len);
    }
    mgw_dbuf_free(&b);
    mgw_dbuf_free(&e);
    return out;
}

/* bagAttributes SET OF { attrId, attrValues SET OF } */
static int read_attrs(const mgw_der_reader *parent, mgw_span set, bag_attrs *a)
{
    mgw_der_reader s, attr, vals;
    mgw_span seq, oid, vset, v;
    unsigned tag;
    if (mgw_der_reader_sub(&s, parent, set) != MGW_OK)
        return fmt("bag attributes nested too deeply");
    while (!mgw_der_at_end(&s)) {
        if (mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
            mgw_der_reader_sub(&attr, &s, seq) != MGW_OK ||
            mgw_der_expect(&attr, MGW_ASN1_OID, &oid) != MGW_OK ||
            mgw_der_expect(&attr, MGW_ASN1_SET, &vset) != MGW_OK || !mgw_der_at_end(&attr) ||
            mgw_der_reader_sub(&vals, &attr, vset) != MGW_OK)
            return fmt("malformed bag attribute");
        bool empty = mgw_der_at_end(&vals);
        if (mgw_span_eq(oid, mgw_oid_ms_local_machine, 9)) {
            a->lmk = true;
            continue;
        }
        if (empty)
            continue;
        if (mgw_der_next(&vals, &tag, &v, NULL) != MGW_OK)
            return fmt("malformed bag attribute value");
        if (mgw_span_eq(oid, mgw_oid_friendly_name, 9) && tag == MGW_ASN1_BMP_STRING &&
            a->friendly == NULL) {
            if ((a->friendly = bmp_to_utf8(v)) == NULL)
                return utf16_ok(v) ? mgw_err(MGW_ERR_NO_MEMORY, NULL)
                                   : mgw_err(MGW_ERR_UTF8, "PFX: friendlyName is not valid UTF-16");
        } else if (mgw_span_eq(oid, mgw_oid_ms_csp_name, 9) && tag == MGW_ASN1_BMP_STRING &&
                   a->csp == NULL) {
            if ((a->csp = bmp_to_utf8(v)) == NULL)
                return utf16_ok(v) ? mgw_err(MGW_ERR_NO_MEMORY, NULL)
                                   : mgw_err(MGW_ERR_UTF8, "PFX: CSP name is not valid UTF-16");
        } else if (mgw_span_eq(oid, mgw_oid_local_key_id, 9) && tag == MGW_ASN1_OCTET_STRING) {
            if (v.len > sizeof(a->keyid))
                return fmt("localKeyID longer than 64 bytes");
            memcpy(a->keyid, v.p, v.len);
            a->keyid_len = v.len;
        }
    }
    return MGW_OK;
}

static int add_cert(reader *rd, const mgw_der_reader *parent, mgw_span value, bag_attrs *a)
{
    mgw_der_reader r, s, e;
    mgw_span seq, oid, wrap, der;
    mgw_der_reader_init(&r, value.p, value.len);
    r.depth = parent->depth + 1;
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_OID, &oid) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &wrap) != MGW_OK)
        return fmt("malformed certBag");
    if (!mgw_span_eq(oid, oid_x509_cert, sizeof(oid_x509_cert)))
        return MGW_OK; /* SDSI certificates: nothing a gateway uses */
    if (mgw_der_reader_sub(&e, &s, wrap) != MGW_OK ||
        mgw_der_expect(&e, MGW_ASN1_OCTET_STRING, &der) != MGW_OK)
        return fmt("malformed certBag value");
    cert_entry *n = realloc(rd->certs, (rd->n_certs + 1) * sizeof(*n));
    if (n == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    rd->certs = n;
    int r2 = mgw_cert_from_der(der.p, der.len, &n[rd->n_certs].cert);
    if (r2 != MGW_OK)
        return mgw_err_prefix(r2, "PFX certificate");
    n[rd->n_certs].a = *a;
    memset(a, 0, sizeof(*a));
    rd->n_certs++;
    return MGW_OK;
}

/* Every decryption runs the KDF up to MGW_PFX_MAX_ITERATIONS times over:
 * their number is capped so that no file can make parsing take long. */
static int count_decryption(reader *rd)
{
    if (++rd->decryptions > MGW_PFX_MAX_DECRYPTIONS)
        return mgw_err(MGW_ERR_PFX_LIMIT, "PFX: more than %d encrypted parts",
                       MGW_PFX_MAX_DECRYPTIONS);
    return MGW_OK;
}

static int add_key(reader *rd, mgw_span value, bool shrouded, bag_attrs *a)
{
    if (rd->have_key)
        return fmt("more than one private key");
    if (shrouded && count_decryption(rd) != MGW_OK)
        return MGW_ERR_PFX_LIMIT;
    int r = MGW_OK;
    if (shrouded) {
        mgw_pbe_info info;
        memset(&info, 0, sizeof(info));
        r = mgw_pkcs8_decrypt_with(value.p, value.len, rd->pw, MGW_PFX_MAX_ITERATIONS, &rd->pki,
                                   &info);
        if (r == MGW_ERR_TOO_LARGE)
            return mgw_err_prefix(MGW_ERR_PFX_LIMIT, "PFX key bag");
        if (r != MGW_OK)
            return r;
        snprintf(rd->out->key_alg, sizeof(rd->out->key_alg), "%s", info.name);
        rd->out->key_iterations = info.iterations;
    } else {
        if (mgw_dbuf_put(&rd->pki, value.p, value.len) != MGW_OK)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        snprintf(rd->out->key_alg, sizeof(rd->out->key_alg), "none");
    }
    rd->have_key = true;
    rd->key_attrs = *a;
    memset(a, 0, sizeof(*a));
    return MGW_OK;
}

static int read_safe_contents(reader *rd, const uint8_t *p, size_t n, unsigned depth);

/* SafeBag ::= SEQUENCE { bagId, [0] EXPLICIT bagValue, bagAttributes OPTIONAL } */
static int read_bag(reader *rd, const mgw_der_reader *parent, mgw_span bag, unsigned depth)
{
    mgw_der_reader b, v;
    mgw_span oid, wrap, value, set;
    unsigned tag;
    if (++rd->bags > MGW_PFX_MAX_BAGS)
        return mgw_err(MGW_ERR_PFX_LIMIT, "PFX: more than %d bags", MGW_PFX_MAX_BAGS);
    if (mgw_der_reader_sub(&b, parent, bag) != MGW_OK ||
        mgw_der_expect(&b, MGW_ASN1_OID, &oid) != MGW_OK ||
        mgw_der_expect(&b, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &wrap) != MGW_OK ||
        mgw_der_reader_sub(&v, &b, wrap) != MGW_OK ||
        mgw_der_next(&v, &tag, NULL, &value) != MGW_OK || !mgw_der_at_end(&v))
        return fmt("malformed SafeBag");
    bag_attrs a;
    memset(&a, 0, sizeof(a));
    int r = MGW_OK;
    if (!mgw_der_at_end(&b)) {
        if (mgw_der_expect(&b, MGW_ASN1_SET, &set) != MGW_OK || !mgw_der_at_end(&b))
            return fmt("malformed SafeBag attributes");
        r = read_attrs(&b, set, &a);
    }
    int kind = 0;
    if (oid.len == sizeof(oid_bag_prefix) + 1 &&
        memcmp(oid.p, oid_bag_prefix, sizeof(oid_bag_prefix)) == 0)
        kind = oid.p[oid.len - 1];
    if (r == MGW_OK) {
        switch (kind) {
        case BAG_KEY:
            r = add_key(rd, value, false, &a);
            break;
        case BAG_SHROUDED_KEY:
            r = add_key(rd, value, true, &a);
            break;
        case BAG_CERT:
            r = add_cert(rd, &v, value, &a);
            break;
        case BAG_SAFE_CONTENTS:
            r = read_safe_contents(rd, value.p, value.len, depth + 1);
            break;
        default: /* CRLs, secrets and unknown bags carry nothing we use */
            break;
        }
    }
    attrs_free(&a);
    return r;
}

static int read_safe_contents(reader *rd, const uint8_t *p, size_t n, unsigned depth)
{
    if (depth > 4)
        return fmt("safeContentsBag nested too deeply");
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    mgw_der_reader r, s;
    mgw_span seq, bag;
    int rc = mgw_ber_to_der(p, n, &der);
    if (rc != MGW_OK) {
        mgw_dbuf_free(&der);
        return rc == MGW_ERR_NO_MEMORY ? mgw_err(rc, NULL) : fmt("SafeContents is not valid BER");
    }
    mgw_der_reader_init(&r, der.p, der.len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK)
        rc = fmt("SafeContents is not a SEQUENCE");
    while (rc == MGW_OK && !mgw_der_at_end(&s)) {
        if (mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &bag) != MGW_OK)
            rc = fmt("SafeContents holds a non-bag");
        else
            rc = read_bag(rd, &s, bag, depth);
    }
    mgw_dbuf_free(&der);
    return rc;
}

/* EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType,
 *   contentEncryptionAlgorithm, [0] IMPLICIT encryptedContent OPTIONAL } } */
static int read_encrypted_data(reader *rd, const mgw_der_reader *parent, mgw_span content)
{
    mgw_der_reader r, ed, eci, chunks;
    mgw_span seq, ver, eciseq, ctype, algid, ct;
    unsigned tag;
    if (mgw_der_reader_sub(&r, parent, content) != MGW_OK ||
        mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&ed, &r, seq) != MGW_OK ||
        mgw_der_expect(&ed, MGW_ASN1_INTEGER, &ver) != MGW_OK ||
        mgw_der_expect(&ed, MGW_ASN1_SEQUENCE, &eciseq) != MGW_OK ||
        mgw_der_reader_sub(&eci, &ed, eciseq) != MGW_OK ||
        mgw_der_expect(&eci, MGW_ASN1_OID, &ctype) != MGW_OK ||
        mgw_der_next(&eci, &tag, NULL, &algid) != MGW_OK || tag != MGW_ASN1_SEQUENCE)
        return fmt("malformed EncryptedData");
    if (!mgw_span_eq(ctype, oid_data, sizeof(oid_data)))
        return fmt("EncryptedData does not hold data");
    if (mgw_der_at_end(&eci))
        return MGW_OK; /* detached content: nothing here */
    if (mgw_der_next(&eci, &tag, &ct, NULL) != MGW_OK)
        return fmt("malformed encryptedContent");
    mgw_dbuf joined, plain;
    mgw_dbuf_init(&joined);
    mgw_dbuf_init(&plain);
    int rc = MGW_OK;
    if (tag == (MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0)) {
        /* constructed [0] IMPLICIT OCTET STRING: concatenated chunks */
        mgw_span chunk;
        if (mgw_der_reader_sub(&chunks, &eci, ct) != MGW_OK)
            rc = fmt("encryptedContent nested too deeply");
        while (rc == MGW_OK && !mgw_der_at_end(&chunks)) {
            if (mgw_der_expect(&chunks, MGW_ASN1_OCTET_STRING, &chunk) != MGW_OK)
                rc = fmt("malformed encryptedContent chunk");
            else
                mgw_dbuf_put(&joined, chunk.p, chunk.len);
        }
        ct.p = joined.p;
        ct.len = joined.len;
    } else if (tag != (MGW_ASN1_CTX | 0)) {
        rc = fmt("unexpected encryptedContent tag");
    }
    mgw_pbe_info info;
    memset(&info, 0, sizeof(info));
    if (rc == MGW_OK)
        rc = count_decryption(rd);
    if (rc == MGW_OK) {
        rc = mgw_pbe_decrypt(algid, rd->pw, MGW_PFX_MAX_ITERATIONS, MGW_ERR_PFX_FORMAT, ct.p,
                             ct.len, &plain, &info);
        if (rc == MGW_ERR_TOO_LARGE)
            rc = mgw_err_prefix(MGW_ERR_PFX_LIMIT, "PFX certificate safe");
    }
    if (rc == MGW_OK && rd->out->cert_alg[0] == '\0') {
        snprintf(rd->out->cert_alg, sizeof(rd->out->cert_alg), "%s", info.name);
        rd->out->cert_iterations = info.iterations;
    }
    if (rc == MGW_OK)
        rc = read_safe_contents(rd, plain.p, plain.len, 0);
    mgw_dbuf_free(&joined);
    mgw_dbuf_free(&plain);
    return rc;
}

/* AuthenticatedSafe ::= SEQUENCE OF ContentInfo */
static int read_auth_safe(reader *rd, mgw_span octets)
{
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    mgw_der_reader r, s, ci, w;
    mgw_span seq, info, oid, wrap, inner;
    int rc = mgw_ber_to_der(octets.p, octets.len, &der);
    if (rc != MGW_OK) {
        mgw_dbuf_free(&der);
        return rc == MGW_ERR_NO_MEMORY ? mgw_err(rc, NULL) : fmt("AuthenticatedSafe is not valid BER");
    }
    mgw_der_reader_init(&r, der.p, der.len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK)
        rc = fmt("AuthenticatedSafe is not a SEQUENCE");
    size_t n_info = 0;
    while (rc == MGW_OK && !mgw_der_at_end(&s)) {
        if (++n_info > MGW_PFX_MAX_SAFES) {
            rc = mgw_err(MGW_ERR_PFX_LIMIT, "PFX: more than %d safes", MGW_PFX_MAX_SAFES);
            break;
        }
        if (mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &info) != MGW_OK ||
            mgw_der_reader_sub(&ci, &s, info) != MGW_OK ||
            mgw_der_expect(&ci, MGW_ASN1_OID, &oid) != MGW_OK ||
            mgw_der_expect(&ci, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &wrap) != MGW_OK) {
            rc = fmt("malformed ContentInfo");
            break;
        }
        if (mgw_span_eq(oid, oid_data, sizeof(oid_data))) {
            if (mgw_der_reader_sub(&w, &ci, wrap) != MGW_OK ||
                mgw_der_expect(&w, MGW_ASN1_OCTET_STRING, &inner) != MGW_OK)
                rc = fmt("malformed data ContentInfo");
            else
                rc = read_safe_contents(rd, inner.p, inner.len, 0);
        } else if (mgw_span_eq(oid, oid_encrypted_data, sizeof(oid_encrypted_data))) {
            rc = read_encrypted_data(rd, &ci, wrap);
        } else {
            char text[64];
            if (mgw_oid_to_text(oid.p, oid.len, text, sizeof(text)) != MGW_OK)
                snprintf(text, sizeof(text), "?");
            rc = mgw_err(MGW_ERR_UNSUPPORTED_ALG,
                         "PFX: ContentInfo type %s (public-key protected safes) is not supported",
                         text);
        }
    }
    mgw_dbuf_free(&der);
    return rc;
}

/* MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } */
static int verify_mac(reader *rd, const mgw_der_reader *parent, mgw_span macdata, mgw_span octets)
{
    mgw_der_reader m, di, alg;
    mgw_span seq, algseq, oid, digest, salt, params;
    unsigned tag = 0;
    if (mgw_der_reader_sub(&m, parent, macdata) != MGW_OK ||
        mgw_der_expect(&m, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&di, &m, seq) != MGW_OK ||
        mgw_der_expect(&di, MGW_ASN1_SEQUENCE, &algseq) != MGW_OK ||
        mgw_der_reader_sub(&alg, &di, algseq) != MGW_OK ||
        mgw_der_expect(&alg, MGW_ASN1_OID, &oid) != MGW_OK ||
        mgw_der_expect(&di, MGW_ASN1_OCTET_STRING, &digest) != MGW_OK ||
        mgw_der_expect(&m, MGW_ASN1_OCTET_STRING, &salt) != MGW_OK)
        return fmt("malformed MacData");
    if (!mgw_der_at_end(&alg) &&
        (mgw_der_next(&alg, &tag, &params, NULL) != MGW_OK || tag != MGW_ASN1_NULL))
        return fmt("MAC digest parameters must be NULL");
    uint64_t iterations = 1;
    if (!mgw_der_at_end(&m) && mgw_der_get_small_uint(&m, &iterations) != MGW_OK)
        return fmt("malformed MAC iteration count");
    if (!mgw_der_at_end(&m))
        return fmt("trailing data in MacData");
    size_t k = 0, n_algs = sizeof(mac_algs) / sizeof(mac_algs[0]);
    while (k < n_algs && !mgw_span_eq(oid, mac_algs[k].oid, mac_algs[k].len))
        k++;
    if (k == n_algs) {
        char text[64];
        if (mgw_oid_to_text(oid.p, oid.len, text, sizeof(text)) != MGW_OK)
            snprintf(text, sizeof(text), "?");
        return mgw_err(MGW_ERR_UNSUPPORTED_ALG, "PFX: MAC digest %s is not supported", text);
    }
    if (iterations == 0 || iterations > MGW_PFX_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_PFX_LIMIT, "PFX: MAC iteration count %llu outside 1..%u",
                       (unsigned long long)iterations, MGW_PFX_MAX_ITERATIONS);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(mac_algs[k].md);
    size_t mlen = mbedtls_md_get_size(info);
    if (digest.len != mlen)
        return fmt("MAC length does not match its digest");
    if (salt.len == 0 || salt.len > 1024)
        return fmt("MAC salt length out of range");
    rd->out->has_mac = true;
    snprintf(rd->out->mac_alg, sizeof(rd->out->mac_alg), "%s", mac_algs[k].name);
    rd->out->mac_iterations = (uint32_t)iterations;
    rd->out->mac_salt_len = salt.len;
    uint8_t key[64], mac[64];
    int rc = MGW_ERR_PFX_MAC;
    for (size_t v = 0; v < rd->n_variants && rc == MGW_ERR_PFX_MAC; v++) {
        int r = mgw_pkcs12_kdf(mac_algs[k].md, &rd->variants[v], salt.p, salt.len, 3,
                               (uint32_t)iterations, key, mlen);
        if (r != MGW_OK) {
            rc = r;
            break;
        }
        if (mbedtls_md_hmac(info, key, mlen, octets.p, octets.len, mac) != 0) {
            rc = mgw_err(MGW_ERR_CRYPTO, "PFX: MAC computation failed");
            break;
        }
        if (mgw_ct_memcmp(mac, digest.p, mlen) == 0) {
            rd->pw = &rd->variants[v];
            rc = MGW_OK;
        }
    }
    mgw_zeroize(key, sizeof(key));
    if (rc == MGW_ERR_PFX_MAC)
        return mgw_err(MGW_ERR_PFX_MAC, "wrong password or corrupted file (MAC check failed)");
    return rc;
}

/* Key-usage attribute (KeySpec) of a PrivateKeyInfo, 0 when absent. */
static int pki_key_spec(const mgw_dbuf *pki)
{
    mgw_der_reader r, s, attrs, attr, vals;
    mgw_span seq, x, set, a, oid, vset, bits;
    mgw_der_reader_init(&r, pki->p, pki->len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_INTEGER, &x) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &x) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &x) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &set) != MGW_OK ||
        mgw_der_reader_sub(&attrs, &s, set) != MGW_OK)
        return 0;
    while (mgw_der_expect(&attrs, MGW_ASN1_SEQUENCE, &a) == MGW_OK &&
           mgw_der_reader_sub(&attr, &attrs, a) == MGW_OK &&
           mgw_der_expect(&attr, MGW_ASN1_OID, &oid) == MGW_OK &&
           mgw_der_expect(&attr, MGW_ASN1_SET, &vset) == MGW_OK &&
           mgw_der_reader_sub(&vals, &attr, vset) == MGW_OK)
        if (mgw_span_eq(oid, mgw_oid_key_usage, sizeof(mgw_oid_key_usage)) &&
            mgw_der_expect(&vals, MGW_ASN1_BIT_STRING, &bits) == MGW_OK && bits.len == 2 &&
            (bits.p[1] == MGW_PFX_KEYSPEC_EXCHANGE || bits.p[1] == MGW_PFX_KEYSPEC_SIGNATURE))
            return bits.p[1];
    return 0;
}

static void pfx_destroy(mgw_pfx_t *p)
{
    if (p == NULL)
        return;
    mgw_key_free(&p->key);
    mgw_cert_free(&p->leaf);
    for (size_t i = 0; i < p->n_others; i++)
        mgw_cert_free(&p->others[i]);
    free(p->others);
    free(p->friendly_name);
    free(p->csp_name);
    mgw_zeroize(p, sizeof(*p));
    free(p);
}

MGW_API void mgw_pfx_free(mgw_pfx_t **pp)
{
    if (pp == NULL)
        return;
    pfx_destroy(*pp);
    *pp = NULL;
}

/* Choose the leaf (the certificate of the key) and move everything into out. */
static int assemble(reader *rd)
{
    mgw_pfx_t *p = rd->out;
    size_t leaf = rd->n_certs;
    if (rd->have_key) {
        p->key = mgw_key_new();
        if (p->key == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        int r = mgw_key_load(p->key, rd->pki.p, rd->pki.len, NULL, 0);
        if (r != MGW_OK)
            return mgw_err_prefix(r, "PFX private key");
        p->key_spec = pki_key_spec(&rd->pki);
        for (size_t i = 0; i < rd->n_certs && leaf == rd->n_certs; i++)
            if (rd->key_attrs.keyid_len > 0 && rd->certs[i].a.keyid_len == rd->key_attrs.keyid_len &&
                memcmp(rd->certs[i].a.keyid, rd->key_attrs.keyid, rd->key_attrs.keyid_len) == 0 &&
                mgw_cert_check_key(rd->certs[i].cert, p->key) == MGW_OK)
                leaf = i;
        for (size_t i = 0; i < rd->n_certs && leaf == rd->n_certs; i++)
            if (mgw_cert_check_key(rd->certs[i].cert, p->key) == MGW_OK)
                leaf = i;
        if (leaf == rd->n_certs)
            return mgw_err(MGW_ERR_PFX_NO_CERT, "PFX: no certificate matches the private key");
        p->friendly_name = rd->key_attrs.friendly;
        rd->key_attrs.friendly = NULL;
        p->csp_name = rd->key_attrs.csp;
        rd->key_attrs.csp = NULL;
        p->machine_keyset = rd->key_attrs.lmk;
        memcpy(p->local_key_id, rd->key_attrs.keyid, rd->key_attrs.keyid_len);
        p->local_key_id_len = rd->key_attrs.keyid_len;
    } else if (rd->n_certs > 0) {
        leaf = 0;
    } else {
        return fmt("holds neither a key nor a certificate");
    }
    if (p->friendly_name == NULL && rd->certs[leaf].a.friendly != NULL) {
        p->friendly_name = rd->certs[leaf].a.friendly;
        rd->certs[leaf].a.friendly = NULL;
    }
    if (p->local_key_id_len == 0) {
        memcpy(p->local_key_id, rd->certs[leaf].a.keyid, rd->certs[leaf].a.keyid_len);
        p->local_key_id_len = rd->certs[leaf].a.keyid_len;
    }
    p->others = calloc(rd->n_certs, sizeof(*p->others));
    if (p->others == NULL && rd->n_certs > 0)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < rd->n_certs; i++) {
        if (i == leaf)
            p->leaf = rd->certs[i].cert;
        else
            p->others[p->n_others++] = rd->certs[i].cert;
        rd->certs[i].cert = NULL;
    }
    return MGW_OK;
}

/* Forget what a failed attempt with another password form collected. */
static void reset_contents(reader *rd)
{
    for (size_t i = 0; i < rd->n_certs; i++) {
        mgw_cert_free(&rd->certs[i].cert);
        attrs_free(&rd->certs[i].a);
    }
    rd->n_certs = 0;
    rd->bags = 0;
    rd->decryptions = 0;
    rd->have_key = false;
    attrs_free(&rd->key_attrs);
    mgw_dbuf_free(&rd->pki);
}

static int parse(reader *rd, const uint8_t *data, size_t len)
{
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    mgw_der_reader r, pfx, ci, w;
    mgw_span seq, oid, wrap, octets, macdata;
    uint64_t version;
    int rc = mgw_ber_to_der(data, len, &der);
    if (rc != MGW_OK) {
        rc = rc == MGW_ERR_NO_MEMORY ? mgw_err(rc, NULL) : fmt("not a PKCS#12 file (BER)");
        goto done;
    }
    mgw_der_reader_init(&r, der.p, der.len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&pfx, &r, seq) != MGW_OK ||
        mgw_der_get_small_uint(&pfx, &version) != MGW_OK) {
        rc = fmt("not a PKCS#12 file");
        goto done;
    }
    if (version != 3) {
        rc = mgw_err(MGW_ERR_PFX_FORMAT, "PFX: version %llu, expected 3",
                     (unsigned long long)version);
        goto done;
    }
    if (mgw_der_expect(&pfx, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&ci, &pfx, seq) != MGW_OK ||
        mgw_der_expect(&ci, MGW_ASN1_OID, &oid) != MGW_OK) {
        rc = fmt("malformed authSafe");
        goto done;
    }
    if (!mgw_span_eq(oid, oid_data, sizeof(oid_data))) {
        rc = mgw_err(MGW_ERR_UNSUPPORTED_ALG,
                     "PFX: public-key integrity mode (signedData) is not supported");
        goto done;
    }
    if (mgw_der_expect(&ci, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &wrap) != MGW_OK ||
        mgw_der_reader_sub(&w, &ci, wrap) != MGW_OK ||
        mgw_der_expect(&w, MGW_ASN1_OCTET_STRING, &octets) != MGW_OK) {
        rc = fmt("malformed authSafe content");
        goto done;
    }
    if (!mgw_der_at_end(&pfx)) {
        if (mgw_der_expect(&pfx, MGW_ASN1_SEQUENCE, &macdata) != MGW_OK || !mgw_der_at_end(&pfx)) {
            rc = fmt("malformed MacData");
            goto done;
        }
        rc = verify_mac(rd, &pfx, macdata, octets);
        if (rc != MGW_OK)
            goto done;
        rc = read_auth_safe(rd, octets);
    } else {
        /* No MAC: try each password form until the contents decrypt (a wrong
         * key can pass the padding check and fail later, in any way). The
         * first form's error is the one reported. */
        char first[512] = "";
        int first_rc = MGW_OK;
        for (size_t v = 0; v < rd->n_variants; v++) {
            reset_contents(rd);
            rd->out->cert_alg[0] = rd->out->key_alg[0] = '\0';
            rd->pw = &rd->variants[v];
            rc = read_auth_safe(rd, octets);
            if (rc == MGW_OK || rc == MGW_ERR_PFX_LIMIT || rc == MGW_ERR_NO_MEMORY)
                break;
            if (v == 0) {
                first_rc = rc;
                snprintf(first, sizeof(first), "%s", mgw_last_error());
            }
        }
        if (rc != MGW_OK && first_rc != MGW_OK && rc != MGW_ERR_PFX_LIMIT) {
            rc = first_rc;
            mgw_err(rc, "%s", first);
        }
    }
done:
    mgw_dbuf_free(&der);
    return rc;
}

MGW_API int mgw_pfx_parse(const uint8_t *data, size_t len, const char *password,
                          size_t password_len, mgw_pfx_t **out)
{
    if (data == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_parse: NULL argument");
    if (len > MGW_PFX_MAX_SIZE)
        return mgw_err(MGW_ERR_PFX_LIMIT, "PFX larger than %u bytes", MGW_PFX_MAX_SIZE);
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    mgw_err_clear(); /* lower layers' details are appended to ours */
    reader rd;
    memset(&rd, 0, sizeof(rd));
    int rc = mgw_pfx_password(password, password_len, &rd.variants[0]);
    if (rc != MGW_OK)
        return rc;
    rd.n_variants = 1;
    /* An empty password also opens files made with no password, as OpenSSL does. */
    if (password != NULL && password_len == 0) {
        rd.variants[1].none = true;
        rd.n_variants = 2;
    }
    rd.pw = &rd.variants[0];
    mgw_dbuf_init(&rd.pki);
    rd.out = calloc(1, sizeof(*rd.out));
    if (rd.out == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    rc = parse(&rd, data, len);
    if (rc == MGW_OK)
        rc = assemble(&rd);
    if (rc == MGW_OK) {
        rd.out->null_password = rd.pw->none;
        if (rd.out->cert_alg[0] == '\0')
            snprintf(rd.out->cert_alg, sizeof(rd.out->cert_alg), "none");
        if (!rd.out->has_mac)
            snprintf(rd.out->mac_alg, sizeof(rd.out->mac_alg), "none");
        *out = rd.out;
        rd.out = NULL;
    }
    reset_contents(&rd);
    free(rd.certs);
    pfx_destroy(rd.out);
    if (rc == MGW_OK)
        mgw_err_clear();
    return rc;
}
