/*
 * The gateway check: the same HTTPS request with and without the client
 * certificate, and a verdict. PASS when the authenticated request gets the
 * expected status and the anonymous one is refused (TLS alert, 403, or 400
 * "No required SSL certificate was sent").
 */
#include "check/check.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_PATH "/Microsoft-Server-ActiveSync/HealthCheck.htm"

MGW_API mgw_checkopts_t *mgw_checkopts_new(void)
{
    mgw_checkopts_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->expect_status = 200;
    o->timeout_ms = 10000;
    o->max_tls = MGW_TLS_1_3;
    return o;
}

static void free_client(mgw_checkopts_t *o)
{
    mgw_cert_free(&o->cert);
    mgw_key_free(&o->key);
    for (size_t i = 0; i < o->n_chain; i++)
        mgw_cert_free(&o->chain[i]);
    free(o->chain);
    o->chain = NULL;
    o->n_chain = 0;
}

MGW_API void mgw_checkopts_free(mgw_checkopts_t **op)
{
    if (op == NULL || *op == NULL)
        return;
    mgw_checkopts_t *o = *op;
    free(o->host);
    free(o->port);
    free(o->path);
    free(o->connect_to);
    free(o->cafile);
    free_client(o);
    free(o);
    *op = NULL;
}

static bool url_char_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F)
            return false;
    return true;
}

/* https://host[:port][/path]; host may be [IPv6]. No user info, no fragment. */
MGW_API int mgw_checkopts_set_url(mgw_checkopts_t *o, const char *url)
{
    if (o == NULL || url == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkopts_set_url: NULL argument");
    if (strlen(url) > 400 || !url_char_ok(url))
        return mgw_err(MGW_ERR_CHECK_URL, "URL: too long or contains spaces or non-ASCII");
    if (strncmp(url, "https://", 8) != 0)
        return mgw_err(MGW_ERR_CHECK_URL, "URL: must start with https://");
    const char *h = url + 8, *end;
    const char *path = strchr(h, '/');
    if (strchr(url, '#') != NULL || strchr(url, '@') != NULL)
        return mgw_err(MGW_ERR_CHECK_URL, "URL: user info and fragments are not allowed");
    const char *hend = path != NULL ? path : h + strlen(h);
    const char *colon;
    char host[256], port[8] = "443";
    if (*h == '[') {
        end = memchr(h, ']', (size_t)(hend - h));
        if (end == NULL || end == h + 1)
            return mgw_err(MGW_ERR_CHECK_URL, "URL: unterminated IPv6 address");
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] != '\0' && end + 1 != hend && colon == NULL)
            return mgw_err(MGW_ERR_CHECK_URL, "URL: junk after the IPv6 address");
        snprintf(host, sizeof(host), "%.*s", (int)(end - h - 1), h + 1);
    } else {
        colon = memchr(h, ':', (size_t)(hend - h));
        const char *he = colon != NULL ? colon : hend;
        if (he == h || he - h >= (long)sizeof(host))
            return mgw_err(MGW_ERR_CHECK_URL, "URL: missing or overlong host");
        snprintf(host, sizeof(host), "%.*s", (int)(he - h), h);
    }
    if (colon != NULL) {
        size_t pl = (size_t)(hend - colon - 1);
        if (pl == 0 || pl > 5)
            return mgw_err(MGW_ERR_CHECK_URL, "URL: bad port");
        unsigned long v = 0;
        for (size_t i = 1; i <= pl; i++) {
            if (colon[i] < '0' || colon[i] > '9')
                return mgw_err(MGW_ERR_CHECK_URL, "URL: bad port");
            v = v * 10 + (unsigned long)(colon[i] - '0');
        }
        if (v == 0 || v > 65535)
            return mgw_err(MGW_ERR_CHECK_URL, "URL: port out of range");
        snprintf(port, sizeof(port), "%lu", v);
    }
    /* no path (or just "/") means the ActiveSync health check */
    const char *p = path == NULL || strcmp(path, "/") == 0 ? DEFAULT_PATH : path;
    char *nh = mgw_strdup(host), *np = mgw_strdup(port), *npath = mgw_strdup(p);
    if (nh == NULL || np == NULL || npath == NULL) {
        free(nh);
        free(np);
        free(npath);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    free(o->host);
    free(o->port);
    free(o->path);
    o->host = nh;
    o->port = np;
    o->path = npath;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_checkopts_set_client(mgw_checkopts_t *o, const mgw_cert_t *cert,
                                     const mgw_key_t *key)
{
    if (o == NULL || cert == NULL || key == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkopts_set_client: NULL argument");
    int r = mgw_cert_check_key(cert, key);
    if (r != MGW_OK)
        return r;
    mgw_cert_t *c = NULL;
    mgw_key_t *k = mgw_key_new();
    mgw_dbuf pki;
    mgw_dbuf_init(&pki);
    r = k == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : mgw_cert_from_der(cert->der, cert->der_len, &c);
    if (r == MGW_OK)
        r = mgw_pkcs8_wrap((mbedtls_pk_context *)&key->pk, &pki);
    if (r == MGW_OK)
        r = mgw_key_load(k, pki.p, pki.len, NULL, 0);
    mgw_dbuf_free(&pki);
    if (r != MGW_OK) {
        mgw_cert_free(&c);
        mgw_key_free(&k);
        return r;
    }
    free_client(o);
    o->cert = c;
    o->key = k;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_checkopts_add_client_chain(mgw_checkopts_t *o, const mgw_cert_t *cert)
{
    if (o == NULL || cert == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkopts_add_client_chain: NULL argument");
    if (o->n_chain >= 16)
        return mgw_err(MGW_ERR_TOO_LARGE, "more than 16 chain certificates");
    mgw_cert_t **n = realloc(o->chain, (o->n_chain + 1) * sizeof(*n));
    if (n == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    o->chain = n;
    int r = mgw_cert_from_der(cert->der, cert->der_len, &o->chain[o->n_chain]);
    if (r == MGW_OK) {
        o->n_chain++;
        mgw_err_clear();
    }
    return r;
}

static int set_string(char **dst, const char *s)
{
    char *c = s != NULL ? mgw_strdup(s) : NULL;
    if (s != NULL && c == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(*dst);
    *dst = c;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_checkopts_set_cafile(mgw_checkopts_t *o, const char *path)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkopts_set_cafile: NULL options");
    return set_string(&o->cafile, path);
}

MGW_API int mgw_checkopts_set_connect_to(mgw_checkopts_t *o, const char *address)
{
    if (o == NULL || (address != NULL && (strlen(address) > 255 || !url_char_ok(address))))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkopts_set_connect_to: bad address");
    return set_string(&o->connect_to, address);
}

MGW_API int mgw_checkopts_set_insecure(mgw_checkopts_t *o, int insecure)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkopts_set_insecure: NULL options");
    o->insecure = insecure != 0;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_checkopts_set_expected_status(mgw_checkopts_t *o, int status)
{
    if (o == NULL || status < 100 || status > 599)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "expected status must be 100 to 599");
    o->expect_status = status;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_checkopts_set_timeout_ms(mgw_checkopts_t *o, uint32_t ms)
{
    if (o == NULL || ms < 1 || ms > 600000)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "timeout must be 1 ms to 600 s");
    o->timeout_ms = ms;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_checkopts_set_max_tls(mgw_checkopts_t *o, int version)
{
    if (o == NULL || (version != MGW_TLS_1_2 && version != MGW_TLS_1_3))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "TLS version must be MGW_TLS_1_2 or MGW_TLS_1_3");
    o->max_tls = version;
    mgw_err_clear();
    return MGW_OK;
}

/* ---- the verdict -------------------------------------------------------------- */

static bool refused(const mgw_check_request *r)
{
    if (r->alert || r->error == MGW_ERR_CHECK_HANDSHAKE)
        return true;
    if (r->status == 403 || r->status == 495 || r->status == 496)
        return true;
    return r->status == 400 && strstr(r->excerpt, "No required SSL certificate") != NULL;
}

static void verdict(const mgw_checkopts_t *o, mgw_checkres_t *res)
{
    const mgw_check_request *w = &res->with, *wo = &res->without;
    res->passed = false;
    if (w->error != MGW_OK) {
        res->error = w->error;
        snprintf(res->reason, sizeof(res->reason), "request with the certificate: %s", w->detail);
        return;
    }
    if (w->status != o->expect_status && !w->cert_requested &&
        strcmp(w->tls_version, "TLSv1.3") == 0 && w->status >= 400 && w->status < 500) {
        /* a TLS 1.3 server that wants the certificate later cannot get it from
         * mbedTLS (no post_handshake_auth extension) and answers 403 or so */
        res->error = MGW_ERR_CHECK_STATUS;
        snprintf(res->reason, sizeof(res->reason),
                 "request with the certificate got HTTP %d, expected %d, and the server did "
                 "not ask for a certificate in the TLS 1.3 handshake: probably %s",
                 w->status, o->expect_status, MGW_CHECK_PHA_ADVICE);
        return;
    }
    if (w->status != o->expect_status) {
        res->error = MGW_ERR_CHECK_STATUS;
        snprintf(res->reason, sizeof(res->reason),
                 "request with the certificate got HTTP %d, expected %d%s", w->status,
                 o->expect_status,
                 w->cert_requested ? "" : " (the server never asked for a certificate)");
        return;
    }
    if (wo->error == MGW_ERR_CHECK_TIMEOUT || wo->error == MGW_ERR_CHECK_CONNECT ||
        wo->error == MGW_ERR_CHECK_RESOLVE) {
        res->error = wo->error;
        snprintf(res->reason, sizeof(res->reason), "request without a certificate: %s",
                 wo->detail);
        return;
    }
    if (!refused(wo)) {
        res->error = MGW_ERR_CHECK_NOT_ENFORCED;
        snprintf(res->reason, sizeof(res->reason),
                 "the gateway answered HTTP %d to a request without a client certificate%s",
                 wo->status, wo->cert_requested ? "" : " (it never asked for one)");
        return;
    }
    res->passed = true;
    res->error = MGW_OK;
    snprintf(res->reason, sizeof(res->reason),
             "HTTP %d with the certificate; without it the gateway %s", w->status,
             wo->alert || wo->error == MGW_ERR_CHECK_HANDSHAKE ? "ended the TLS handshake"
                                                                : "refused the request");
}

MGW_API int mgw_check_run(const mgw_checkopts_t *o, mgw_checkres_t **out)
{
    if (o == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_check_run: NULL argument");
    if (o->host == NULL)
        return mgw_err(MGW_ERR_CHECK_URL, "no URL set");
    if (o->cert == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "no client certificate set");
    if (o->cafile == NULL && !o->insecure)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "give a CA file to verify the server, or allow an unverified server");
    if (mgw_compat_init() != 0)
        return mgw_err(MGW_ERR_CRYPTO, "crypto library initialisation failed");
    mgw_checkres_t *res = calloc(1, sizeof(*res));
    if (res == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    snprintf(res->url, sizeof(res->url), "https://%s%s%s%s%s%s",
             strchr(o->host, ':') != NULL ? "[" : "", o->host,
             strchr(o->host, ':') != NULL ? "]" : "", strcmp(o->port, "443") != 0 ? ":" : "",
             strcmp(o->port, "443") != 0 ? o->port : "", o->path);
    mgw_check_request_run(o, true, &res->with);
    if (res->with.error == MGW_OK)
        mgw_check_request_run(o, false, &res->without);
    if (res->with.error == MGW_ERR_NO_MEMORY || res->without.error == MGW_ERR_NO_MEMORY) {
        /* out of memory here says nothing of the gateway: no result */
        mgw_checkres_free(&res);
        return mgw_err(MGW_ERR_NO_MEMORY, "out of memory during the check");
    }
    verdict(o, res);
    *out = res;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_check_max_tls(void)
{
    return mgw_check_tls13_available() ? MGW_TLS_1_3 : MGW_TLS_1_2;
}

MGW_API void mgw_checkres_free(mgw_checkres_t **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    mgw_check_request_free(&(*rp)->with);
    mgw_check_request_free(&(*rp)->without);
    free(*rp);
    *rp = NULL;
}

MGW_API int mgw_checkres_passed(const mgw_checkres_t *r)
{
    return r != NULL && r->passed;
}

MGW_API int mgw_checkres_error(const mgw_checkres_t *r)
{
    return r == NULL ? MGW_ERR_INVALID_ARGUMENT : r->error;
}

MGW_API int mgw_checkres_reason(const mgw_checkres_t *r, char **out)
{
    if (r == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_checkres_reason: NULL argument");
    int rc = mgw_out_str(r->reason, out);
    if (rc == MGW_OK)
        mgw_err_clear();
    return rc;
}

MGW_API int mgw_checkres_status(const mgw_checkres_t *r, int which)
{
    if (r == NULL || (which != MGW_CHECK_WITH_CERT && which != MGW_CHECK_WITHOUT_CERT))
        return 0;
    return which == MGW_CHECK_WITH_CERT ? r->with.status : r->without.status;
}
