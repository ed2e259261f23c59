/* PKCS#10 certificate requests: parsing and signature verification. */
#include "cert/key.h"

#include <stdlib.h>
#include <string.h>

struct mgw_csr {
    uint8_t *der;
    size_t der_len;
    mgw_span subject; /* whole Name element */
    mbedtls_pk_context pk;
};

const uint8_t *mgw_csr_subject_der(const mgw_csr_t *csr, size_t *n)
{
    *n = csr->subject.len;
    return csr->subject.p;
}

mbedtls_pk_context *mgw_csr_pk(const mgw_csr_t *csr)
{
    return (mbedtls_pk_context *)&csr->pk;
}

MGW_API void mgw_csr_free(mgw_csr_t **cp)
{
    if (cp == NULL || *cp == NULL)
        return;
    mbedtls_pk_free(&(*cp)->pk);
    free((*cp)->der);
    free(*cp);
    *cp = NULL;
}

static int bad(const char *what)
{
    return mgw_err(MGW_ERR_CSR_PARSE, "certificate request: %s", what);
}

static const struct {
    const char *oid;
    mbedtls_pk_type_t pk;
    mbedtls_md_type_t md;
} sig_algs[] = {
    {"1.2.840.113549.1.1.5", MBEDTLS_PK_RSA, MBEDTLS_MD_SHA1},
    {"1.2.840.113549.1.1.11", MBEDTLS_PK_RSA, MBEDTLS_MD_SHA256},
    {"1.2.840.113549.1.1.12", MBEDTLS_PK_RSA, MBEDTLS_MD_SHA384},
    {"1.2.840.113549.1.1.13", MBEDTLS_PK_RSA, MBEDTLS_MD_SHA512},
    {"1.2.840.10045.4.3.2", MBEDTLS_PK_ECKEY, MBEDTLS_MD_SHA256},
    {"1.2.840.10045.4.3.3", MBEDTLS_PK_ECKEY, MBEDTLS_MD_SHA384},
    {"1.2.840.10045.4.3.4", MBEDTLS_PK_ECKEY, MBEDTLS_MD_SHA512},
};

/* Verify an X.509-style signature (AlgorithmIdentifier contents `alg`,
 * BIT STRING contents `sig`) over `data` with `pk`. Malformed fields fail with
 * `parse_code`, a wrong signature with `code`; messages name `what`. */
int mgw_signature_verify(mbedtls_pk_context *pk, mgw_span data, mgw_span alg, mgw_span sig,
                         int depth, int parse_code, int code, const char *what)
{
    mgw_der_reader r;
    mgw_span oid;
    char txt[64];
    mgw_der_reader_init(&r, alg.p, alg.len);
    r.depth = depth + 1;
    if (mgw_der_expect(&r, MGW_ASN1_OID, &oid) != MGW_OK ||
        mgw_oid_to_text(oid.p, oid.len, txt, sizeof(txt)) != MGW_OK)
        return mgw_err(parse_code, "%s: malformed signature algorithm", what);
    size_t k = 0;
    while (k < sizeof(sig_algs) / sizeof(sig_algs[0]) && strcmp(sig_algs[k].oid, txt) != 0)
        k++;
    if (k == sizeof(sig_algs) / sizeof(sig_algs[0]))
        return mgw_err(MGW_ERR_UNSUPPORTED_ALG, "%s: signature algorithm %s is not supported", what,
                       txt);
    if (mbedtls_pk_get_type(pk) != sig_algs[k].pk)
        return mgw_err(code, "%s: the signature algorithm does not match the key", what);
    if (sig.len < 2 || sig.p[0] != 0)
        return mgw_err(parse_code, "%s: malformed signature", what);
    uint8_t hash[64];
    int rc = mgw_digest(sig_algs[k].md, data.p, data.len, hash);
    if (rc != MGW_OK)
        return rc;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(sig_algs[k].md);
    if (mbedtls_pk_verify(pk, sig_algs[k].md, hash, mbedtls_md_get_size(info), sig.p + 1,
                          sig.len - 1) != 0)
        return mgw_err(code, "%s: the signature does not verify (tampered data or wrong key)",
                       what);
    return MGW_OK;
}

static int parse_der(mgw_csr_t *c)
{
    mgw_der_reader r, cr, ir;
    mgw_span req, info, alg, sig, v;
    mgw_der_reader_init(&r, c->der, c->der_len);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &req) != MGW_OK || !mgw_der_at_end(&r) ||
        mgw_der_reader_sub(&cr, &r, req) != MGW_OK)
        return bad("not a DER PKCS#10 request");
    const uint8_t *mark = cr.p;
    if (mgw_der_expect(&cr, MGW_ASN1_SEQUENCE, &info) != MGW_OK)
        return bad("missing certificationRequestInfo");
    mgw_span cri = {mark, (size_t)(cr.p - mark)};
    if (mgw_der_expect(&cr, MGW_ASN1_SEQUENCE, &alg) != MGW_OK ||
        mgw_der_expect(&cr, MGW_ASN1_BIT_STRING, &sig) != MGW_OK || !mgw_der_at_end(&cr))
        return bad("malformed signature fields");
    uint64_t ver;
    if (mgw_der_reader_sub(&ir, &cr, info) != MGW_OK || mgw_der_get_small_uint(&ir, &ver) != MGW_OK ||
        ver != 0)
        return bad("unsupported version");
    mark = ir.p;
    if (mgw_der_expect(&ir, MGW_ASN1_SEQUENCE, &v) != MGW_OK)
        return bad("malformed subject");
    c->subject.p = mark;
    c->subject.len = (size_t)(ir.p - mark);
    mark = ir.p;
    if (mgw_der_expect(&ir, MGW_ASN1_SEQUENCE, &v) != MGW_OK)
        return bad("malformed subjectPKInfo");
    if (mbedtls_pk_parse_public_key(&c->pk, mark, (size_t)(ir.p - mark)) != 0)
        return bad("unreadable public key");
    if (mgw_der_expect(&ir, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &v) != MGW_OK ||
        !mgw_der_at_end(&ir))
        return bad("malformed attributes");
    mgw_dbuf tmp;
    mgw_dbuf_init(&tmp);
    int rc = mgw_dn_format(c->subject.p, c->subject.len, &tmp);
    mgw_dbuf_free(&tmp);
    if (rc == MGW_ERR_NO_MEMORY)
        return mgw_err(rc, NULL);
    if (rc != MGW_OK)
        return bad("malformed subject name");
    return mgw_signature_verify(&c->pk, cri, alg, sig, cr.depth, MGW_ERR_CSR_PARSE,
                                MGW_ERR_CSR_SIGNATURE, "certificate request");
}

MGW_API int mgw_csr_parse(const uint8_t *data, size_t len, mgw_csr_t **out)
{
    if (data == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_csr_parse: NULL argument");
    if (len > 1024 * 1024)
        return mgw_err(MGW_ERR_TOO_LARGE, "certificate request larger than 1 MiB");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    int r = MGW_OK;
    if (mgw_is_pem(data, len)) {
        r = mgw_pem_read(data, len, "CERTIFICATE REQUEST", &der, NULL, 0);
        if (r != MGW_OK && r != MGW_ERR_NO_MEMORY) {
            mgw_dbuf_free(&der);
            mgw_dbuf_init(&der);
            r = mgw_pem_read(data, len, "NEW CERTIFICATE REQUEST", &der, NULL, 0);
        }
        if (r == MGW_ERR_NO_MEMORY)
            r = mgw_err(r, NULL);
        else if (r != MGW_OK)
            r = mgw_err(MGW_ERR_PEM, "certificate request: no CERTIFICATE REQUEST PEM block");
    } else {
        r = mgw_dbuf_put(&der, data, len);
    }
    mgw_csr_t *c = NULL;
    if (r == MGW_OK && (c = calloc(1, sizeof(*c))) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK) {
        mbedtls_pk_init(&c->pk);
        c->der_len = der.len;
        c->der = malloc(der.len > 0 ? der.len : 1);
        if (c->der == NULL)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        else {
            if (der.len > 0)
                memcpy(c->der, der.p, der.len);
            r = parse_der(c);
        }
    }
    mgw_dbuf_free(&der);
    if (r != MGW_OK) {
        mgw_csr_free(&c);
        return mgw_err_ensure(r);
    }
    *out = c;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_csr_subject(const mgw_csr_t *c, char **out)
{
    if (c == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_csr_subject: NULL argument");
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = mgw_dn_format(c->subject.p, c->subject.len, &b);
    if (r == MGW_OK)
        r = mgw_dbuf_detach_str(&b, out);
    mgw_dbuf_free(&b);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}
