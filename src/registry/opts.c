/* Desired registry state: the options of a plan. */
#include "registry/plan.h"

#include "cert/cert.h"

#include <stdlib.h>
#include <string.h>

MGW_API mgw_regopts_t *mgw_regopts_new(void)
{
    mgw_regopts_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->binding = mgw_strdup("0.0.0.0:443");
    if (o->binding == NULL) {
        free(o);
        return NULL;
    }
    o->trust_mode = 2;
    o->binding_kind = MGW_BINDING_IP;
    o->revocation_check = true;
    o->client_self_signed = -1;
    o->client_names_cdp = -1;
    return o;
}

MGW_API void mgw_regopts_free(mgw_regopts_t **op)
{
    if (op == NULL || *op == NULL)
        return;
    free((*op)->binding);
    free((*op)->issuer_store);
    free(*op);
    *op = NULL;
}

MGW_API int mgw_regopts_set_trust_mode(mgw_regopts_t *o, int mode)
{
    if (o == NULL || mode < 0 || mode > 2)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "trust mode must be 0, 1 or 2");
    o->trust_mode = mode;
    mgw_err_clear();
    return MGW_OK;
}

/* "NAME:PORT" with a port of 1 to 65535 and a name that can be a key name. */
static int check_binding(const char *s, const char *what)
{
    const char *colon = strrchr(s, ':');
    size_t n = strlen(s);
    bool ok =
        colon != NULL && colon != s && colon[1] != '\0' && n <= 255 && strpbrk(s, "\\\"[]") == NULL;
    if (s[0] == '[') { /* IPv6: [::]:443 */
        const char *close = strchr(s, ']');
        ok = close != NULL && close + 1 == colon && close > s + 1 && n <= 255 &&
             strpbrk(s, "\\\"") == NULL;
    }
    unsigned long port = 0;
    for (const char *p = colon != NULL ? colon + 1 : ""; ok && *p != '\0'; p++) {
        ok = *p >= '0' && *p <= '9' && port <= 65535;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (!ok || port == 0 || port > 65535)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s must look like %s, not '%.80s'", what,
                       strcmp(what, "binding") == 0 ? "0.0.0.0:443" : "mail.example.com:443", s);
    return MGW_OK;
}

static int set_binding(mgw_regopts_t *o, const char *s, int kind, const char *what)
{
    if (o == NULL || s == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regopts_set_%s: NULL argument", what);
    int r = check_binding(s, what);
    if (r != MGW_OK)
        return r;
    char *copy = mgw_strdup(s);
    if (copy == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(o->binding);
    o->binding = copy;
    o->binding_kind = kind;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regopts_set_binding(mgw_regopts_t *o, const char *ip_port)
{
    return set_binding(o, ip_port, MGW_BINDING_IP, "binding");
}

MGW_API int mgw_regopts_set_sni_binding(mgw_regopts_t *o, const char *host_port)
{
    return set_binding(o, host_port, MGW_BINDING_SNI, "sni_binding");
}

MGW_API int mgw_regopts_set_ccs_binding(mgw_regopts_t *o, const char *port)
{
    if (o == NULL || port == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regopts_set_ccs_binding: NULL argument");
    unsigned long v = 0;
    size_t n = strlen(port);
    for (size_t i = 0; i < n && v <= 65535; i++)
        v = port[i] >= '0' && port[i] <= '9' ? v * 10 + (unsigned long)(port[i] - '0') : 65536;
    if (n == 0 || n > 5 || port[0] == '0' || v == 0 || v > 65535)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "ccs_binding must be a port from 1 to 65535 (e.g. 443), not '%.80s'", port);
    char *copy = mgw_strdup(port);
    if (copy == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(o->binding);
    o->binding = copy;
    o->binding_kind = MGW_BINDING_CCS;
    mgw_err_clear();
    return MGW_OK;
}

/* The flag setters: o must exist; `on` is taken as a boolean. */
static int set_flag(mgw_regopts_t *o, bool *field, int on)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "registry options: NULL argument");
    *field = on != 0;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regopts_set_revocation_check(mgw_regopts_t *o, int on)
{
    return set_flag(o, o != NULL ? &o->revocation_check : NULL, on);
}

MGW_API int mgw_regopts_set_disable_tls13(mgw_regopts_t *o, int on)
{
    return set_flag(o, o != NULL ? &o->disable_tls13 : NULL, on);
}

MGW_API int mgw_regopts_set_negotiate_client_cert(mgw_regopts_t *o, int on)
{
    return set_flag(o, o != NULL ? &o->negotiate_client_cert : NULL, on);
}

MGW_API int mgw_regopts_set_issuer_store(mgw_regopts_t *o, const char *store)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regopts_set_issuer_store: NULL argument");
    size_t bad;
    if (store != NULL && (store[0] == '\0' || strlen(store) > 255 ||
                          !mgw_utf8_valid((const uint8_t *)store, strlen(store), &bad)))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "the issuer store must be a store name such as ClientAuthIssuer");
    char *copy = store != NULL ? mgw_strdup(store) : NULL;
    if (store != NULL && copy == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(o->issuer_store);
    o->issuer_store = copy;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regopts_set_root_autoupdate(mgw_regopts_t *o, int disable, int keep_disallowed)
{
    if (o == NULL || (keep_disallowed && !disable))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "keeping disallowed-certificate updates goes with disabling root "
                       "auto-update");
    o->disable_root_autoupdate = disable != 0;
    o->keep_disallowed = keep_disallowed != 0;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regopts_set_client_cert(mgw_regopts_t *o, const mgw_cert_t *cert)
{
    if (o == NULL || cert == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regopts_set_client_cert: NULL argument");
    char *subject = NULL, *issuer = NULL;
    int r = mgw_cert_subject(cert, &subject);
    if (r == MGW_OK)
        r = mgw_cert_issuer(cert, &issuer);
    if (r == MGW_OK) {
        o->client_self_signed = strcmp(subject, issuer) == 0;
        o->client_names_cdp = cert->has_crl_dp;
    }
    mgw_free(subject);
    mgw_free(issuer);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
