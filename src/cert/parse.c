/* Reading X.509 certificates and the accessors of mgw_cert_t. */
#include "cert/cert.h"
#include "crypto/digest.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CERT_SIZE (1024 * 1024)

static void cert_destroy(mgw_cert_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_sans; i++)
        free(c->sans[i].value);
    free(c->sans);
    for (size_t i = 0; i < c->n_ekus; i++)
        free(c->ekus[i]);
    free(c->ekus);
    free(c->der);
    free(c);
}

MGW_API void mgw_cert_free(mgw_cert_t **cp)
{
    if (cp == NULL)
        return;
    cert_destroy(*cp);
    *cp = NULL;
}

static int bad(const char *what)
{
    return mgw_err(MGW_ERR_CERT_PARSE, "certificate: %s", what);
}

/* ---- the public key ------------------------------------------------------------ */

#define OID_RSA_ENCRYPTION "1.2.840.113549.1.1.1"
#define OID_EC_PUBLIC_KEY "1.2.840.10045.2.1"
#define RSA_MAX_BITS 8192

/* Named curves by OID: the two this library issues, and the sizes of the
 * others that certificates in the wild carry. */
static const struct {
    const char *oid;
    int type, bits;
} curves[] = {
    {"1.2.840.10045.3.1.7", MGW_KEY_P256, 256}, {"1.3.132.0.34", MGW_KEY_P384, 384},
    {"1.3.132.0.35", 0, 521},                  {"1.3.132.0.33", 0, 224},
    {"1.2.840.10045.3.1.1", 0, 192},           {"1.3.132.0.10", 0, 256},
    {"1.3.36.3.3.2.8.1.1.7", 0, 256},          {"1.3.36.3.3.2.8.1.1.11", 0, 384},
    {"1.3.36.3.3.2.8.1.1.13", 0, 512},
};

/* Modulus size of an RSAPublicKey in a BIT STRING's content, in whole bytes
 * as mbedTLS counts it; 0 when malformed. */
static int rsa_bits(mgw_span bits)
{
    mgw_der_reader r, s;
    mgw_span seq, mod, e;
    if (bits.len < 1 || bits.p[0] != 0)
        return 0;
    mgw_der_reader_init(&r, bits.p + 1, bits.len - 1);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_INTEGER, &mod) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_INTEGER, &e) != MGW_OK || !mgw_der_at_end(&s))
        return 0;
    while (mod.len > 0 && mod.p[0] == 0)
        mod.p++, mod.len--;
    return mod.len > 0 && mod.len <= 64 * 1024 ? (int)mod.len * 8 : 0;
}

void mgw_spki_info(const uint8_t *spki, size_t n, int *type, int *bits)
{
    mgw_der_reader r, s, a;
    mgw_span seq, alg, oid, params, key;
    char txt[64];
    unsigned tag;
    *type = 0;
    *bits = 0;
    mgw_der_reader_init(&r, spki, n);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &alg) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_BIT_STRING, &key) != MGW_OK || !mgw_der_at_end(&s) ||
        mgw_der_reader_sub(&a, &s, alg) != MGW_OK ||
        mgw_der_expect(&a, MGW_ASN1_OID, &oid) != MGW_OK ||
        mgw_oid_to_text(oid.p, oid.len, txt, sizeof(txt)) != MGW_OK)
        return;
    if (strcmp(txt, OID_RSA_ENCRYPTION) == 0) {
        int b = rsa_bits(key);
        *bits = b;
        *type = b == 2048                       ? MGW_KEY_RSA2048
                : b == 3072                     ? MGW_KEY_RSA3072
                : b == 4096                     ? MGW_KEY_RSA4096
                : b > 2048 && b <= RSA_MAX_BITS ? MGW_KEY_RSA_OTHER
                                                : 0;
        return;
    }
    if (strcmp(txt, OID_EC_PUBLIC_KEY) != 0 || !mgw_der_peek(&a, &tag) || tag != MGW_ASN1_OID ||
        mgw_der_expect(&a, MGW_ASN1_OID, &params) != MGW_OK ||
        mgw_oid_to_text(params.p, params.len, txt, sizeof(txt)) != MGW_OK)
        return;
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        if (strcmp(txt, curves[i].oid) == 0) {
            *type = curves[i].type;
            *bits = curves[i].bits;
        }
}

/* ---- extensions ------------------------------------------------------------------ */

static int parse_basic_constraints(mgw_cert_t *c, mgw_span v, const mgw_der_reader *parent)
{
    mgw_der_reader r, s;
    mgw_span seq, b;
    mgw_der_reader_init(&r, v.p, v.len);
    r.depth = parent->depth;
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK)
        return bad("malformed basicConstraints");
    unsigned tag;
    c->has_basic_constraints = true;
    if (mgw_der_peek(&s, &tag) && tag == MGW_ASN1_BOOLEAN) {
        if (mgw_der_expect(&s, MGW_ASN1_BOOLEAN, &b) != MGW_OK || b.len != 1)
            return bad("malformed basicConstraints cA flag");
        c->is_ca = b.p[0] != 0;
    }
    if (mgw_der_peek(&s, &tag) && tag == MGW_ASN1_INTEGER) {
        uint64_t pl;
        if (mgw_der_get_small_uint(&s, &pl) != MGW_OK || pl > 255)
            return bad("malformed basicConstraints pathLenConstraint");
        c->pathlen = (int)pl;
    }
    if (!mgw_der_at_end(&s))
        return bad("trailing data in basicConstraints");
    return MGW_OK;
}

static int parse_key_usage(mgw_cert_t *c, mgw_span v)
{
    mgw_der_reader r;
    mgw_span bits;
    mgw_der_reader_init(&r, v.p, v.len);
    if (mgw_der_expect(&r, MGW_ASN1_BIT_STRING, &bits) != MGW_OK || !mgw_der_at_end(&r) ||
        bits.len < 1 || bits.p[0] > 7)
        return bad("malformed keyUsage");
    c->key_usage = 0;
    if (bits.len >= 2)
        c->key_usage = bits.p[1];
    if (bits.len >= 3)
        c->key_usage |= bits.p[2] << 8;
    return MGW_OK;
}

static int parse_eku(mgw_cert_t *c, mgw_span v, const mgw_der_reader *parent)
{
    mgw_der_reader r, s;
    mgw_span seq, oid;
    mgw_der_reader_init(&r, v.p, v.len);
    r.depth = parent->depth;
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK)
        return bad("malformed extendedKeyUsage");
    while (!mgw_der_at_end(&s)) {
        char txt[128];
        if (mgw_der_expect(&s, MGW_ASN1_OID, &oid) != MGW_OK ||
            mgw_oid_to_text(oid.p, oid.len, txt, sizeof(txt)) != MGW_OK)
            return bad("malformed extendedKeyUsage OID");
        if (c->n_ekus >= 256)
            return bad("too many extended key usages");
        char **n = realloc(c->ekus, (c->n_ekus + 1) * sizeof(*n));
        if (n == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        c->ekus = n;
        if ((c->ekus[c->n_ekus] = mgw_strdup(txt)) == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        c->n_ekus++;
    }
    return MGW_OK;
}

static int parse_san(mgw_cert_t *c, mgw_span v, const mgw_der_reader *parent)
{
    mgw_der_reader r, s;
    mgw_span seq, gn;
    unsigned tag;
    mgw_der_reader_init(&r, v.p, v.len);
    r.depth = parent->depth;
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK)
        return bad("malformed subjectAltName");
    c->san_ext = v;
    while (!mgw_der_at_end(&s)) {
        if (mgw_der_next(&s, &tag, &gn, NULL) != MGW_OK)
            return bad("malformed subjectAltName entry");
        if (c->n_sans >= 4096)
            return bad("too many subject alternative names");
        mgw_dbuf text;
        mgw_dbuf_init(&text);
        int type;
        int rg = mgw_gname_decode(tag, gn, &type, &text);
        if (rg != MGW_OK || text.oom) {
            mgw_dbuf_free(&text);
            return rg == MGW_ERR_NO_MEMORY || text.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL)
                                                         : bad("malformed subjectAltName entry");
        }
        mgw_san_entry *n = realloc(c->sans, (c->n_sans + 1) * sizeof(*n));
        char *value = mgw_strndup((const char *)text.p, text.len);
        mgw_dbuf_free(&text);
        if (n != NULL)
            c->sans = n;
        if (n == NULL || value == NULL) {
            free(value);
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
        c->sans[c->n_sans].type = type;
        c->sans[c->n_sans].value = value;
        c->n_sans++;
    }
    return MGW_OK;
}

static int parse_extensions(mgw_cert_t *c, mgw_span exts, const mgw_der_reader *parent)
{
    mgw_der_reader r, s, e;
    mgw_span seq, ext, oid, val, crit;
    mgw_der_reader_init(&r, exts.p, exts.len);
    r.depth = parent->depth;
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK)
        return bad("malformed extensions");
    char seen[6] = {0};
    static const char *known[6] = {"2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.14",
                                   "2.5.29.17", "2.5.29.35"};
    while (!mgw_der_at_end(&s)) {
        if (mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &ext) != MGW_OK ||
            mgw_der_reader_sub(&e, &s, ext) != MGW_OK ||
            mgw_der_expect(&e, MGW_ASN1_OID, &oid) != MGW_OK)
            return bad("malformed extension");
        unsigned tag;
        if (mgw_der_peek(&e, &tag) && tag == MGW_ASN1_BOOLEAN &&
            (mgw_der_expect(&e, MGW_ASN1_BOOLEAN, &crit) != MGW_OK || crit.len != 1))
            return bad("malformed extension critical flag");
        if (mgw_der_expect(&e, MGW_ASN1_OCTET_STRING, &val) != MGW_OK || !mgw_der_at_end(&e))
            return bad("malformed extension value");
        char txt[128];
        if (mgw_oid_to_text(oid.p, oid.len, txt, sizeof(txt)) != MGW_OK)
            return bad("malformed extension OID");
        int k = -1;
        for (int i = 0; i < 6; i++)
            if (strcmp(txt, known[i]) == 0)
                k = i;
        c->has_crl_dp = c->has_crl_dp || strcmp(txt, "2.5.29.31") == 0;
        if (k < 0)
            continue;
        if (seen[k]++)
            return bad("an extension appears twice");
        int rc = MGW_OK;
        mgw_der_reader inner = {0};
        inner.depth = e.depth + 1;
        if (k == 0)
            rc = parse_basic_constraints(c, val, &inner);
        else if (k == 1)
            rc = parse_key_usage(c, val);
        else if (k == 2)
            rc = parse_eku(c, val, &inner);
        else if (k == 3) {
            mgw_der_reader kr;
            mgw_der_reader_init(&kr, val.p, val.len);
            if (mgw_der_expect(&kr, MGW_ASN1_OCTET_STRING, &c->ski) != MGW_OK)
                rc = bad("malformed subjectKeyIdentifier");
        } else if (k == 4)
            rc = parse_san(c, val, &inner);
        if (rc != MGW_OK)
            return rc;
    }
    return MGW_OK;
}

/* A Name the certificate's accessors can show: what they will do later
 * must not fail on a certificate that parsed. */
static int check_name(mgw_span name, const char *what)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = mgw_dn_format(name.p, name.len, &b);
    mgw_dbuf_free(&b);
    if (r == MGW_ERR_NO_MEMORY)
        return mgw_err(r, NULL);
    return r == MGW_OK ? MGW_OK : bad(what);
}

static int parse_tbs(mgw_cert_t *c, mgw_der_reader *t)
{
    mgw_span v, alg, validity, exts;
    unsigned tag;
    if (mgw_der_peek(t, &tag) && tag == (MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0)) {
        mgw_der_reader vr;
        uint64_t ver;
        if (mgw_der_next(t, NULL, &v, NULL) != MGW_OK || mgw_der_reader_sub(&vr, t, v) != MGW_OK ||
            mgw_der_get_small_uint(&vr, &ver) != MGW_OK || ver > 2)
            return bad("bad version");
    }
    if (mgw_der_expect(t, MGW_ASN1_INTEGER, &c->serial) != MGW_OK || c->serial.len == 0 ||
        c->serial.len > 64)
        return bad("bad serial number");
    if (mgw_der_expect(t, MGW_ASN1_SEQUENCE, &alg) != MGW_OK)
        return bad("bad signature algorithm");
    const uint8_t *mark = t->p;
    if (mgw_der_expect(t, MGW_ASN1_SEQUENCE, &v) != MGW_OK)
        return bad("bad issuer");
    c->issuer.p = mark, c->issuer.len = (size_t)(t->p - mark);
    int rn = check_name(c->issuer, "malformed issuer name");
    if (rn != MGW_OK)
        return rn;
    mgw_der_reader vr;
    mgw_span tb, ta;
    unsigned t1, t2;
    if (mgw_der_expect(t, MGW_ASN1_SEQUENCE, &validity) != MGW_OK ||
        mgw_der_reader_sub(&vr, t, validity) != MGW_OK ||
        mgw_der_next(&vr, &t1, &tb, NULL) != MGW_OK || mgw_der_next(&vr, &t2, &ta, NULL) != MGW_OK ||
        !mgw_der_at_end(&vr) || mgw_der_parse_time(t1, tb, &c->not_before) != MGW_OK ||
        mgw_der_parse_time(t2, ta, &c->not_after) != MGW_OK)
        return bad("bad validity");
    mark = t->p;
    if (mgw_der_expect(t, MGW_ASN1_SEQUENCE, &v) != MGW_OK)
        return bad("bad subject");
    c->subject.p = mark, c->subject.len = (size_t)(t->p - mark);
    if ((rn = check_name(c->subject, "malformed subject name")) != MGW_OK)
        return rn;
    mark = t->p;
    if (mgw_der_expect(t, MGW_ASN1_SEQUENCE, &v) != MGW_OK)
        return bad("bad subjectPublicKeyInfo");
    c->spki.p = mark, c->spki.len = (size_t)(t->p - mark);
    while (mgw_der_peek(t, &tag)) {
        if (tag == (MGW_ASN1_CTX | 1) || tag == (MGW_ASN1_CTX | 2) ||
            tag == (MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 1) ||
            tag == (MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 2)) {
            if (mgw_der_next(t, NULL, NULL, NULL) != MGW_OK)
                return bad("bad unique identifier");
            continue;
        }
        if (tag != (MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 3) ||
            mgw_der_next(t, NULL, &exts, NULL) != MGW_OK)
            return bad("unexpected field in TBSCertificate");
        int rc = parse_extensions(c, exts, t);
        if (rc != MGW_OK)
            return rc;
        if (!mgw_der_at_end(t))
            return bad("data after the extensions");
    }
    return MGW_OK;
}

int mgw_cert_from_der(const uint8_t *der, size_t n, mgw_cert_t **out)
{
    if (n > MAX_CERT_SIZE)
        return mgw_err(MGW_ERR_TOO_LARGE, "certificate larger than 1 MiB");
    mgw_cert_t *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->der = malloc(n > 0 ? n : 1)) == NULL) {
        free(c);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    if (n > 0)
        memcpy(c->der, der, n);
    c->der_len = n;
    c->pathlen = -1;
    c->key_usage = -1;

    mgw_der_reader r, cr, t;
    mgw_span cert, sigalg, sig;
    int rc = MGW_OK;
    mgw_der_reader_init(&r, c->der, n);
    const uint8_t *mark;
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &cert) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&cr, &r, cert) != MGW_OK) {
        rc = bad("not a DER certificate");
        goto fail;
    }
    mark = cr.p;
    if (mgw_der_expect(&cr, MGW_ASN1_SEQUENCE, &c->tbs) != MGW_OK ||
        mgw_der_reader_sub(&t, &cr, c->tbs) != MGW_OK) {
        rc = bad("missing TBSCertificate");
        goto fail;
    }
    c->tbs.p = mark;
    c->tbs.len = (size_t)(cr.p - mark);
    if ((rc = parse_tbs(c, &t)) != MGW_OK)
        goto fail;
    if (mgw_der_expect(&cr, MGW_ASN1_SEQUENCE, &sigalg) != MGW_OK ||
        mgw_der_expect(&cr, MGW_ASN1_BIT_STRING, &sig) != MGW_OK || !mgw_der_at_end(&cr)) {
        rc = bad("bad signature");
        goto fail;
    }
    c->sig_alg = sigalg;
    c->sig = sig;
    mgw_spki_info(c->spki.p, c->spki.len, &c->key_type, &c->key_bits);
    *out = c;
    return MGW_OK;
fail:
    cert_destroy(c);
    return rc;
}

MGW_API int mgw_cert_parse(const uint8_t *data, size_t len, mgw_cert_t **out)
{
    if (data == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_parse: NULL argument");
    if (len > MAX_CERT_SIZE)
        return mgw_err(MGW_ERR_TOO_LARGE, "certificate data larger than 1 MiB");
    int r;
    if (mgw_is_pem(data, len)) {
        mgw_dbuf der;
        mgw_dbuf_init(&der);
        r = mgw_pem_read(data, len, "CERTIFICATE", &der, NULL, 0);
        if (r == MGW_OK)
            r = mgw_cert_from_der(der.p, der.len, out);
        mgw_dbuf_free(&der);
    } else {
        r = mgw_cert_from_der(data, len, out);
    }
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_cert_export(const mgw_cert_t *c, int format, uint8_t **out, size_t *out_len)
{
    if (c == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_export: NULL argument");
    int r;
    if (format == MGW_FORMAT_DER) {
        r = mgw_out_copy(c->der, c->der_len, out, out_len);
    } else if (format == MGW_FORMAT_PEM) {
        mgw_dbuf pem;
        mgw_dbuf_init(&pem);
        r = mgw_pem_write("CERTIFICATE", c->der, c->der_len, &pem);
        r = r == MGW_OK ? mgw_dbuf_detach(&pem, out, out_len) : mgw_err(MGW_ERR_NO_MEMORY, NULL);
        mgw_dbuf_free(&pem);
    } else {
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown format %d", format);
    }
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_cert_thumbprint(const mgw_cert_t *c, int digest, char **out)
{
    if (c == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_thumbprint: NULL argument");
    uint8_t h[32];
    char hex[65];
    size_t n;
    if (digest == MGW_DIGEST_SHA1)
        n = 20;
    else if (digest == MGW_DIGEST_SHA256)
        n = 32;
    else
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown digest %d", digest);
    if (n == 20)
        mgw_sha1(c->der, c->der_len, h);
    else
        mgw_sha256(c->der, c->der_len, h);
    mgw_hex_upper(h, n, hex);
    int r = mgw_out_str(hex, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

int mgw_dn_out(mgw_span name, char **out)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = mgw_dn_format(name.p, name.len, &b);
    if (r == MGW_OK)
        r = mgw_dbuf_detach_str(&b, out);
    mgw_dbuf_free(&b);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}

MGW_API int mgw_cert_subject(const mgw_cert_t *c, char **out)
{
    if (c == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_subject: NULL argument");
    return mgw_dn_out(c->subject, out);
}

MGW_API int mgw_cert_issuer(const mgw_cert_t *c, char **out)
{
    if (c == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_issuer: NULL argument");
    return mgw_dn_out(c->issuer, out);
}

MGW_API int mgw_cert_serial(const mgw_cert_t *c, char **out)
{
    if (c == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_serial: NULL argument");
    char hex[129];
    mgw_hex_upper(c->serial.p, c->serial.len, hex);
    int r = mgw_out_str(hex, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_cert_validity(const mgw_cert_t *c, int64_t *not_before, int64_t *not_after)
{
    if (c == NULL || not_before == NULL || not_after == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_validity: NULL argument");
    *not_before = c->not_before;
    *not_after = c->not_after;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API size_t mgw_cert_san_count(const mgw_cert_t *c)
{
    return c == NULL ? 0 : c->n_sans;
}

MGW_API int mgw_cert_san(const mgw_cert_t *c, size_t i, int *type, char **value)
{
    if (c == NULL || type == NULL || value == NULL || i >= c->n_sans)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_san: NULL argument or index out of range");
    int r = mgw_out_str(c->sans[i].value, value);
    if (r == MGW_OK) {
        *type = c->sans[i].type;
        mgw_err_clear();
    }
    return r;
}

MGW_API size_t mgw_cert_eku_count(const mgw_cert_t *c)
{
    return c == NULL ? 0 : c->n_ekus;
}

MGW_API int mgw_cert_eku(const mgw_cert_t *c, size_t i, char **oid)
{
    if (c == NULL || oid == NULL || i >= c->n_ekus)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_eku: NULL argument or index out of range");
    int r = mgw_out_str(c->ekus[i], oid);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_cert_key_info(const mgw_cert_t *c, int *type, int *bits)
{
    if (c == NULL || type == NULL || bits == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_key_info: NULL argument");
    *type = c->key_type;
    *bits = c->key_bits;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_cert_is_ca(const mgw_cert_t *c)
{
    return c != NULL && c->is_ca;
}

/* ---- certificate files ---------------------------------------------------------- */

typedef struct {
    size_t blocks;
    bool other_label;
    char label[65];
    mgw_dbuf *der;
} one_cert;

static int count_block(void *ctx, const char *label, const uint8_t *der, size_t n, size_t lineno)
{
    (void)lineno;
    one_cert *oc = ctx;
    if (oc->blocks++ > 0)
        return MGW_OK;
    snprintf(oc->label, sizeof(oc->label), "%s", label);
    oc->other_label = strcmp(label, "CERTIFICATE") != 0;
    return mgw_dbuf_put(oc->der, der, n);
}

int mgw_cert_file_der(const uint8_t *data, size_t n, mgw_dbuf *der)
{
    /* DER: a SEQUENCE with a long-form length (a certificate is longer than
     * 127 bytes); text never starts so. */
    if (n >= 4 && data[0] == MGW_ASN1_SEQUENCE && data[1] >= 0x81 && data[1] <= 0x83)
        return mgw_dbuf_put(der, data, n) == MGW_OK ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
    one_cert oc = {0, false, "", der};
    int r = mgw_pem_walk(data, n, count_block, NULL, &oc);
    if (r != MGW_OK)
        return r;
    if (oc.blocks == 0)
        return mgw_err(MGW_ERR_CERT_PARSE, "neither DER nor PEM (no BEGIN line)");
    if (oc.blocks > 1)
        return mgw_err(MGW_ERR_CERT_PARSE,
                       "holds %zu PEM blocks; a store file holds one certificate", oc.blocks);
    if (oc.other_label)
        return mgw_err(MGW_ERR_CERT_PARSE, "holds a PEM %s block, not a CERTIFICATE", oc.label);
    return MGW_OK;
}
