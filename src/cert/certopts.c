/* Options for a certificate to issue: subject, SANs, EKUs, validity, CA flag. */
#include "cert/opts.h"

#include <stdlib.h>
#include <string.h>

MGW_API mgw_certopts_t *mgw_certopts_new(void)
{
    mgw_certopts_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    mgw_dbuf_init(&o->subject);
    if (mgw_der_put(&o->subject, MGW_ASN1_SEQUENCE, NULL, 0) != MGW_OK) {
        free(o);
        return NULL;
    }
    o->days = 730;
    o->pathlen = 0;
    mgw_rng_init(&o->rng);
    return o;
}

MGW_API void mgw_certopts_free(mgw_certopts_t **op)
{
    if (op == NULL || *op == NULL)
        return;
    mgw_certopts_t *o = *op;
    mgw_dbuf_free(&o->subject);
    for (size_t i = 0; i < o->n_sans; i++)
        free(o->sans[i].value);
    free(o->sans);
    for (size_t i = 0; i < o->n_ekus; i++)
        free(o->ekus[i]);
    free(o->ekus);
    mgw_rng_free(&o->rng);
    free(o);
    *op = NULL;
}

MGW_API int mgw_certopts_set_subject(mgw_certopts_t *o, const char *s)
{
    if (o == NULL || s == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_certopts_set_subject: NULL argument");
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    int r = mgw_dn_parse(s, &name);
    if (r != MGW_OK) {
        mgw_dbuf_free(&name);
        return mgw_err_ensure(r);
    }
    mgw_dbuf_free(&o->subject);
    o->subject = name;
    o->subject_set = true;
    mgw_err_clear();
    return MGW_OK;
}

static int add_san(mgw_certopts_t *o, int type, const char *v, int (*check)(const char *))
{
    if (o == NULL || v == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "certificate options: NULL argument");
    int r = check(v);
    if (r != MGW_OK)
        return r;
    if (o->n_sans >= 1024)
        return mgw_err(MGW_ERR_TOO_LARGE, "more than 1024 subject alternative names");
    mgw_san_entry *n = realloc(o->sans, (o->n_sans + 1) * sizeof(*n));
    if (n == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    o->sans = n;
    char *copy = mgw_strdup(v);
    if (copy == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    o->sans[o->n_sans].type = type;
    o->sans[o->n_sans].value = copy;
    o->n_sans++;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_certopts_add_upn(mgw_certopts_t *o, const char *upn)
{
    return add_san(o, MGW_SAN_UPN, upn, mgw_upn_check);
}

MGW_API int mgw_certopts_add_email(mgw_certopts_t *o, const char *email)
{
    return add_san(o, MGW_SAN_EMAIL, email, mgw_email_check);
}

MGW_API int mgw_certopts_add_dns(mgw_certopts_t *o, const char *dns)
{
    return add_san(o, MGW_SAN_DNS, dns, mgw_dns_check);
}

MGW_API int mgw_certopts_add_uri(mgw_certopts_t *o, const char *uri)
{
    return add_san(o, MGW_SAN_URI, uri, mgw_uri_check);
}

MGW_API int mgw_certopts_set_days(mgw_certopts_t *o, uint32_t days)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_certopts_set_days: NULL options");
    if (days < 1 || days > 36500)
        return mgw_err(MGW_ERR_VALIDITY, "validity of %u days is outside 1 to 36500", days);
    o->days = days;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_certopts_set_not_before(mgw_certopts_t *o, int64_t t)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_certopts_set_not_before: NULL options");
    /* 1950-01-01 .. 9999-12-31 minus the longest validity */
    if (t < -631152000LL || t > 253402300799LL - 36500LL * 86400)
        return mgw_err(MGW_ERR_VALIDITY, "notBefore out of range");
    o->not_before = t;
    o->not_before_set = true;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_certopts_add_eku(mgw_certopts_t *o, const char *name)
{
    if (o == NULL || name == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_certopts_add_eku: NULL argument");
    const char *oid = mgw_eku_oid(name);
    if (oid == NULL) {
        mgw_dbuf tmp;
        mgw_dbuf_init(&tmp);
        int r = mgw_oid_from_text(name, &tmp);
        mgw_dbuf_free(&tmp);
        if (r != MGW_OK)
            return mgw_err(MGW_ERR_EKU,
                           "unknown extended key usage '%s' (use clientAuth, serverAuth, "
                           "codeSigning, emailProtection, timeStamping, OCSPSigning, "
                           "smartcardLogon or a dotted OID)",
                           name);
        oid = name;
    }
    for (size_t i = 0; i < o->n_ekus; i++)
        if (strcmp(o->ekus[i], oid) == 0) {
            mgw_err_clear();
            return MGW_OK; /* already present */
        }
    if (o->n_ekus >= 64)
        return mgw_err(MGW_ERR_TOO_LARGE, "more than 64 extended key usages");
    char **n = realloc(o->ekus, (o->n_ekus + 1) * sizeof(*n));
    if (n == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    o->ekus = n;
    if ((o->ekus[o->n_ekus] = mgw_strdup(oid)) == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    o->n_ekus++;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_certopts_set_ca(mgw_certopts_t *o, int is_ca, int pathlen)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_certopts_set_ca: NULL options");
    if (pathlen < -1 || pathlen > 255)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "pathlen %d outside -1 to 255", pathlen);
    o->is_ca = is_ca != 0;
    o->pathlen = pathlen;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_certopts_set_rng(mgw_certopts_t *o, mgw_rng_cb cb, void *ctx)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_certopts_set_rng: NULL options");
    mgw_rng_set_cb(&o->rng, cb, ctx);
    mgw_err_clear();
    return MGW_OK;
}
