/* Issuing certificates: TBSCertificate assembly, extensions and signing. */
#include "cert/opts.h"

#include <stdlib.h>
#include <string.h>

#define OID_BASIC_CONSTRAINTS "2.5.29.19"
#define OID_KEY_USAGE "2.5.29.15"
#define OID_EXT_KEY_USAGE "2.5.29.37"
#define OID_SUBJECT_KEY_ID "2.5.29.14"
#define OID_AUTHORITY_KEY_ID "2.5.29.35"
#define OID_SUBJECT_ALT_NAME "2.5.29.17"
#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"

/* keyUsage bits as they appear in the first DER byte (bit 0 is 0x80). */
#define KU_DIGITAL_SIGNATURE 0x80
#define KU_KEY_ENCIPHERMENT 0x20
#define KU_KEY_CERT_SIGN 0x04
#define KU_CRL_SIGN 0x02

typedef struct {
    const mgw_certopts_t *opts;
    mgw_rng *rng;
    const uint8_t *subject;
    size_t subject_len;
    mbedtls_pk_context *subject_pk;
    const mgw_cert_t *issuer; /* NULL when self-signed */
    mbedtls_pk_context *signer;
} issue_job;

int mgw_spki_key_id(const uint8_t *spki, size_t n, uint8_t id[20])
{
    mgw_der_reader r, s;
    mgw_span seq, alg, bits;
    mgw_der_reader_init(&r, spki, n);
    if (mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &seq) != MGW_OK ||
        mgw_der_reader_sub(&s, &r, seq) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_SEQUENCE, &alg) != MGW_OK ||
        mgw_der_expect(&s, MGW_ASN1_BIT_STRING, &bits) != MGW_OK || bits.len < 1)
        return mgw_err(MGW_ERR_DER, "malformed SubjectPublicKeyInfo");
    return mgw_digest(MBEDTLS_MD_SHA1, bits.p + 1, bits.len - 1, id);
}

static void put_extension(mgw_dbuf *b, const char *oid, bool critical, const mgw_dbuf *value)
{
    if (value->oom) { /* the value is incomplete: so is the certificate */
        b->oom = true;
        return;
    }
    size_t m = mgw_der_open(b);
    mgw_der_put_oid_text(b, oid);
    if (critical)
        mgw_der_put(b, MGW_ASN1_BOOLEAN, "\xff", 1);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, value->p, value->len);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, m);
}

/* keyUsage BIT STRING with one byte of named bits; trailing zero bits unused. */
static void put_key_usage(mgw_dbuf *ext, uint8_t bits)
{
    mgw_dbuf v;
    mgw_dbuf_init(&v);
    uint8_t unused = 0;
    while (unused < 7 && !(bits & (1u << unused)))
        unused++;
    uint8_t content[2] = {unused, bits};
    mgw_der_put(&v, MGW_ASN1_BIT_STRING, content, 2);
    put_extension(ext, OID_KEY_USAGE, true, &v);
    mgw_dbuf_free(&v);
}

static int put_extensions(mgw_dbuf *b, const issue_job *j, const uint8_t ski[20])
{
    const mgw_certopts_t *o = j->opts;
    mgw_dbuf ext, v;
    mgw_dbuf_init(&ext);
    mgw_dbuf_init(&v);

    /* basicConstraints */
    size_t m = mgw_der_open(&v);
    if (o->is_ca) {
        mgw_der_put(&v, MGW_ASN1_BOOLEAN, "\xff", 1);
        if (o->pathlen >= 0)
            mgw_der_put_small_int(&v, o->pathlen);
    }
    mgw_der_close(&v, MGW_ASN1_SEQUENCE, m);
    put_extension(&ext, OID_BASIC_CONSTRAINTS, o->is_ca, &v);
    v.len = 0;

    /* keyUsage */
    int ktype, kbits;
    mgw_pk_info(j->subject_pk, &ktype, &kbits);
    bool rsa = ktype != MGW_KEY_P256 && ktype != MGW_KEY_P384;
    if (o->is_ca)
        put_key_usage(&ext, KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    else
        put_key_usage(&ext, rsa ? KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT
                                : KU_DIGITAL_SIGNATURE);

    /* extKeyUsage: clientAuth unless the caller chose; none for a CA by default */
    if (o->n_ekus > 0 || !o->is_ca) {
        m = mgw_der_open(&v);
        if (o->n_ekus == 0)
            mgw_der_put_oid_text(&v, OID_CLIENT_AUTH);
        for (size_t i = 0; i < o->n_ekus; i++)
            mgw_der_put_oid_text(&v, o->ekus[i]);
        mgw_der_close(&v, MGW_ASN1_SEQUENCE, m);
        put_extension(&ext, OID_EXT_KEY_USAGE, false, &v);
        v.len = 0;
    }

    /* subjectKeyIdentifier */
    mgw_der_put(&v, MGW_ASN1_OCTET_STRING, ski, 20);
    put_extension(&ext, OID_SUBJECT_KEY_ID, false, &v);
    v.len = 0;

    /* authorityKeyIdentifier, when another certificate signs */
    if (j->issuer != NULL) {
        uint8_t aki[20];
        const uint8_t *id = j->issuer->ski.p;
        size_t idlen = j->issuer->ski.len;
        if (idlen == 0) {
            if (mgw_spki_key_id(j->issuer->spki.p, j->issuer->spki.len, aki) != MGW_OK)
                goto fail;
            id = aki;
            idlen = 20;
        }
        m = mgw_der_open(&v);
        mgw_der_put(&v, MGW_ASN1_CTX | 0, id, idlen);
        mgw_der_close(&v, MGW_ASN1_SEQUENCE, m);
        put_extension(&ext, OID_AUTHORITY_KEY_ID, false, &v);
        v.len = 0;
    }

    /* subjectAltName: critical when the subject is empty (RFC 5280 4.2.1.6) */
    if (o->n_sans > 0) {
        m = mgw_der_open(&v);
        for (size_t i = 0; i < o->n_sans; i++)
            mgw_gname_put(&v, o->sans[i].type, o->sans[i].value);
        mgw_der_close(&v, MGW_ASN1_SEQUENCE, m);
        put_extension(&ext, OID_SUBJECT_ALT_NAME,
                      mgw_dn_is_empty(j->subject, j->subject_len), &v);
    }

    m = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_SEQUENCE, ext.p, ext.len);
    mgw_der_close(b, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 3, m);
    bool oom = ext.oom || v.oom;
    mgw_dbuf_free(&ext);
    mgw_dbuf_free(&v);
    return oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
fail:
    mgw_dbuf_free(&ext);
    mgw_dbuf_free(&v);
    return MGW_ERR_DER;
}

/* Signature algorithm and digest for the signer's key. */
static int signature_alg(mbedtls_pk_context *signer, const char **oid, bool *null_params,
                         mbedtls_md_type_t *md)
{
    int type, bits;
    mgw_pk_info(signer, &type, &bits);
    switch (type) {
    case MGW_KEY_P256:
        *oid = "1.2.840.10045.4.3.2", *null_params = false, *md = MBEDTLS_MD_SHA256;
        return MGW_OK;
    case MGW_KEY_P384:
        *oid = "1.2.840.10045.4.3.3", *null_params = false, *md = MBEDTLS_MD_SHA384;
        return MGW_OK;
    case 0:
        return mgw_err(MGW_ERR_KEY_TYPE, "the signing key type is not supported");
    default:
        *oid = "1.2.840.113549.1.1.11", *null_params = true, *md = MBEDTLS_MD_SHA256;
        return MGW_OK;
    }
}

static void put_alg_id(mgw_dbuf *b, const char *oid, bool null_params)
{
    size_t m = mgw_der_open(b);
    mgw_der_put_oid_text(b, oid);
    if (null_params)
        mgw_der_put(b, MGW_ASN1_NULL, NULL, 0);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, m);
}

/* 16 random bytes, positive, minimal DER (first byte 01..7F). */
static int random_serial(mgw_rng *rng, uint8_t serial[16])
{
    for (int tries = 0; tries < 64; tries++) {
        int r = mgw_rng_fill(rng, serial, 16);
        if (r != MGW_OK)
            return r;
        serial[0] &= 0x7F;
        if (serial[0] != 0)
            return MGW_OK;
    }
    return mgw_err(MGW_ERR_RANDOM, "the random generator returned zeros");
}

static int issue(const issue_job *j, mgw_cert_t **out)
{
    const mgw_certopts_t *o = j->opts;
    const char *sig_oid = NULL;
    bool null_params = false;
    mbedtls_md_type_t md = MBEDTLS_MD_NONE;
    int r = signature_alg(j->signer, &sig_oid, &null_params, &md);
    if (r != MGW_OK)
        return r;

    int64_t nb = o->not_before_set ? o->not_before : mgw_now() - 600;
    int64_t na = nb + (int64_t)o->days * 86400;
    uint8_t serial[16], ski[20];
    mgw_dbuf spki, tbs, cert;
    mgw_dbuf_init(&spki);
    mgw_dbuf_init(&tbs);
    mgw_dbuf_init(&cert);
    if ((r = random_serial(j->rng, serial)) != MGW_OK || (r = mgw_pk_spki(j->subject_pk, &spki)) ||
        (r = mgw_spki_key_id(spki.p, spki.len, ski)) != MGW_OK)
        goto done;

    size_t m = mgw_der_open(&tbs);
    mgw_der_put(&tbs, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, "\x02\x01\x02", 3); /* v3 */
    mgw_der_put_uint(&tbs, serial, sizeof(serial));
    put_alg_id(&tbs, sig_oid, null_params);
    if (j->issuer != NULL)
        mgw_dbuf_put(&tbs, j->issuer->subject.p, j->issuer->subject.len);
    else
        mgw_dbuf_put(&tbs, j->subject, j->subject_len);
    size_t v = mgw_der_open(&tbs);
    if ((r = mgw_der_put_time(&tbs, nb)) != MGW_OK || (r = mgw_der_put_time(&tbs, na)) != MGW_OK) {
        r = r == MGW_ERR_NO_MEMORY ? mgw_err(r, NULL)
                                   : mgw_err(MGW_ERR_VALIDITY, "validity period cannot be encoded");
        goto done;
    }
    mgw_der_close(&tbs, MGW_ASN1_SEQUENCE, v);
    mgw_dbuf_put(&tbs, j->subject, j->subject_len);
    mgw_dbuf_put(&tbs, spki.p, spki.len);
    if ((r = put_extensions(&tbs, j, ski)) != MGW_OK)
        goto done;
    mgw_der_close(&tbs, MGW_ASN1_SEQUENCE, m);
    if (tbs.oom) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }

    uint8_t hash[64], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE + 1];
    size_t sig_len = 0;
    if ((r = mgw_digest(md, tbs.p, tbs.len, hash)) != MGW_OK)
        goto done;
    int rc = mgw_pk_sign(j->signer, md, hash, mbedtls_md_get_size(mbedtls_md_info_from_type(md)),
                                sig + 1, sizeof(sig) - 1, &sig_len, mgw_rng_mbedtls, j->rng);
    if (rc != 0) {
        r = mgw_err(MGW_ERR_SIGN, "signing the certificate failed (mbedTLS error -0x%04X)",
                    (unsigned)-rc);
        goto done;
    }
    sig[0] = 0; /* no unused bits */
    m = mgw_der_open(&cert);
    mgw_dbuf_put(&cert, tbs.p, tbs.len);
    put_alg_id(&cert, sig_oid, null_params);
    mgw_der_put(&cert, MGW_ASN1_BIT_STRING, sig, sig_len + 1);
    mgw_der_close(&cert, MGW_ASN1_SEQUENCE, m);
    if (cert.oom) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    r = mgw_cert_from_der(cert.p, cert.len, out);
done:
    mgw_dbuf_free(&spki);
    mgw_dbuf_free(&tbs);
    mgw_dbuf_free(&cert);
    return r;
}

/* The issuer must be a CA certificate whose key is the one given. */
static int check_issuer(const mgw_certopts_t *o, const mgw_cert_t *ca, const mgw_key_t *ca_key)
{
    if (!ca->is_ca)
        return mgw_err(MGW_ERR_NOT_CA, "the issuer certificate is not a CA (basicConstraints)");
    if (ca->key_usage >= 0 && !(ca->key_usage & KU_KEY_CERT_SIGN))
        return mgw_err(MGW_ERR_NOT_CA, "the issuer certificate's keyUsage lacks keyCertSign");
    if (o->is_ca && ca->pathlen == 0)
        return mgw_err(MGW_ERR_NOT_CA, "the issuer's pathlen 0 forbids issuing a CA certificate");
    int r = mgw_key_matches_spki(ca_key, ca->spki.p, ca->spki.len);
    if (r == MGW_ERR_NO_MEMORY)
        return mgw_err(r, NULL);
    if (r != MGW_OK)
        return mgw_err(MGW_ERR_KEY_MISMATCH, "the CA key does not belong to the CA certificate");
    if (mgw_now() > ca->not_after) {
        char when[21];
        mgw_time_iso(ca->not_after, when);
        return mgw_err(MGW_ERR_VALIDITY, "the issuer certificate expired on %s", when);
    }
    return MGW_OK;
}

static int check_subject_key(const mbedtls_pk_context *pk)
{
    int type, bits;
    mgw_pk_info(pk, &type, &bits);
    if (type == 0)
        return mgw_err(MGW_ERR_KEY_TYPE, "the subject key must be RSA (2048 bits or more) or "
                                         "ECDSA P-256/P-384");
    return MGW_OK;
}

static int check_names(const mgw_certopts_t *o, const uint8_t *subject, size_t n, bool self)
{
    bool empty = mgw_dn_is_empty(subject, n);
    if (empty && (self || o->is_ca))
        return mgw_err(MGW_ERR_DN_SYNTAX, "a %s certificate needs a non-empty subject",
                       o->is_ca ? "CA" : "self-signed");
    if (empty && o->n_sans == 0)
        return mgw_err(MGW_ERR_DN_SYNTAX,
                       "the subject is empty and there is no subject alternative name");
    return MGW_OK;
}

MGW_API int mgw_cert_create(const mgw_certopts_t *opts, const mgw_key_t *subject_key,
                            const mgw_cert_t *issuer_cert, const mgw_key_t *issuer_key,
                            mgw_cert_t **out)
{
    if (opts == NULL || subject_key == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_create: NULL argument");
    if ((issuer_cert == NULL) != (issuer_key == NULL))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_cert_create: give both the issuer certificate and key, or neither");
    if (!subject_key->loaded)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_create: the subject key is empty");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    int r = check_subject_key(&subject_key->pk);
    if (r == MGW_OK)
        r = check_names(opts, opts->subject.p, opts->subject.len, issuer_cert == NULL);
    if (r == MGW_OK && issuer_cert != NULL)
        r = check_issuer(opts, issuer_cert, issuer_key);
    if (r != MGW_OK)
        return mgw_err_ensure(r);
    issue_job j = {
        .opts = opts,
        .rng = (mgw_rng *)&opts->rng,
        .subject = opts->subject.p,
        .subject_len = opts->subject.len,
        .subject_pk = (mbedtls_pk_context *)&subject_key->pk,
        .issuer = issuer_cert,
        .signer = (mbedtls_pk_context *)(issuer_key != NULL ? &issuer_key->pk : &subject_key->pk),
    };
    r = issue(&j, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}

MGW_API int mgw_cert_sign_csr(const mgw_certopts_t *opts, const mgw_csr_t *csr,
                              const mgw_cert_t *ca_cert, const mgw_key_t *ca_key,
                              mgw_cert_t **out)
{
    if (opts == NULL || csr == NULL || ca_cert == NULL || ca_key == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_cert_sign_csr: NULL argument");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    const uint8_t *subject = opts->subject.p;
    size_t subject_len = opts->subject.len;
    if (!opts->subject_set)
        subject = mgw_csr_subject_der(csr, &subject_len);
    int r = check_subject_key(mgw_csr_pk(csr));
    if (r == MGW_OK)
        r = check_names(opts, subject, subject_len, false);
    if (r == MGW_OK)
        r = check_issuer(opts, ca_cert, ca_key);
    if (r != MGW_OK)
        return mgw_err_ensure(r);
    issue_job j = {
        .opts = opts,
        .rng = (mgw_rng *)&opts->rng,
        .subject = subject,
        .subject_len = subject_len,
        .subject_pk = mgw_csr_pk(csr),
        .issuer = ca_cert,
        .signer = (mbedtls_pk_context *)&ca_key->pk,
    };
    r = issue(&j, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}
