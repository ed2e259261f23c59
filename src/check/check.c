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

/* ---- parsing of what the server sent ------------------------------------------- */

int mgw_check_parse_status(const uint8_t *p, size_t n, int *status, char *line, size_t linesz)
{
    size_t len = 0;
    while (len < n && p[len] != '\r' && p[len] != '\n')
        len++;
    if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
        p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (len > 12 && p[12] != ' '))
        return mgw_err(MGW_ERR_CHECK_HTTP, "the answer is not an HTTP/1.x response");
    *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < linesz; i++)
        line[k++] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '.';
    line[k] = '\0';
    return MGW_OK;
}

static int add_ca_name(mgw_check_request *req, const uint8_t *der, size_t n)
{
    if (req->n_ca_names >= MGW_CHECK_MAX_CA_NAMES)
        return MGW_OK;
    mgw_dbuf t;
    mgw_dbuf_init(&t);
    int r = mgw_dn_format(der, n, &t);
    char *s = NULL;
    if (r == MGW_OK)
        s = mgw_strndup(t.len > 0 ? (const char *)t.p : "", t.len);
    mgw_dbuf_free(&t);
    char **nn = s != NULL ? realloc(req->ca_names, (req->n_ca_names + 1) * sizeof(*nn)) : NULL;
    if (nn == NULL) {
        free(s);
        return r != MGW_OK ? r : MGW_ERR_NO_MEMORY;
    }
    req->ca_names = nn;
    req->ca_names[req->n_ca_names++] = s;
    return MGW_OK;
}

/* certificate_authorities: DistinguishedName list<0..2^16-1>, each <1..2^16-1>. */
static int parse_dn_list(const uint8_t *p, size_t n, mgw_check_request *req)
{
    size_t i = 0;
    while (i < n) {
        if (n - i < 2)
            return MGW_ERR_DER;
        size_t len = (size_t)p[i] << 8 | p[i + 1];
        i += 2;
        if (len == 0 || len > n - i)
            return MGW_ERR_DER;
        add_ca_name(req, p + i, len);
        i += len;
    }
    return MGW_OK;
}

int mgw_check_parse_cert_request(const uint8_t *msg, size_t n, bool tls13, mgw_check_request *req)
{
    if (n < 4 || msg[0] != 13)
        return MGW_ERR_DER;
    size_t body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
    if (body > n - 4)
        return MGW_ERR_DER;
    const uint8_t *p = msg + 4;
    size_t i = 0;
    if (!tls13) {
        /* certificate_types<1..2^8-1>, signature algorithms<2..2^16-2>, CA names */
        if (body < 1 || p[0] + 1u > body)
            return MGW_ERR_DER;
        i = 1 + p[0];
        if (body - i < 2)
            return MGW_ERR_DER;
        size_t sl = (size_t)p[i] << 8 | p[i + 1];
        i += 2;
        if (sl > body - i)
            return MGW_ERR_DER;
        i += sl;
        if (body - i < 2)
            return MGW_ERR_DER;
        size_t cl = (size_t)p[i] << 8 | p[i + 1];
        i += 2;
        if (cl > body - i)
            return MGW_ERR_DER;
        return parse_dn_list(p + i, cl, req);
    }
    /* TLS 1.3: context<0..2^8-1>, extensions<2..2^16-1>; certificate_authorities is 47 */
    if (body < 1 || p[0] + 1u > body)
        return MGW_ERR_DER;
    i = 1 + p[0];
    if (body - i < 2)
        return MGW_ERR_DER;
    size_t el = (size_t)p[i] << 8 | p[i + 1];
    i += 2;
    if (el > body - i)
        return MGW_ERR_DER;
    size_t end = i + el;
    while (end - i >= 4) {
        unsigned type = (unsigned)p[i] << 8 | p[i + 1];
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        i += 4;
        if (len > end - i)
            return MGW_ERR_DER;
        if (type == 47 && len >= 2) {
            size_t ll = (size_t)p[i] << 8 | p[i + 1];
            if (ll > len - 2)
                return MGW_ERR_DER;
            return parse_dn_list(p + i + 2, ll, req);
        }
        i += len;
    }
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

/* ---- IP addresses ------------------------------------------------------------- */

static bool ipv4(const char *s, uint8_t out[4])
{
    for (int k = 0; k < 4; k++) {
        unsigned v = 0;
        size_t d = 0;
        for (; s[d] >= '0' && s[d] <= '9' && d < 3; d++)
            v = v * 10 + (unsigned)(s[d] - '0');
        /* no leading zeros: 010 would be octal to some resolvers */
        if (d == 0 || v > 255 || (d > 1 && s[0] == '0'))
            return false;
        out[k] = (uint8_t)v;
        s += d;
        if (k < 3 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

static int hex_group(const char *s, unsigned *v)
{
    int d = 0;
    *v = 0;
    for (int h; d < 4 && (h = mgw_hex_value((unsigned char)s[d])) >= 0; d++)
        *v = *v << 4 | (unsigned)h;
    return d;
}

static bool ipv6(const char *s, uint8_t out[16])
{
    uint8_t head[16], tail[16];
    size_t nh = 0, nt = 0;
    bool gap = false;
    if (s[0] == ':' && s[1] == ':') {
        gap = true;
        s += 2;
    }
    while (*s != '\0') {
        uint8_t *g = gap ? tail : head;
        size_t *n = gap ? &nt : &nh;
        unsigned v;
        int d = hex_group(s, &v);
        if (nh + nt + 4 <= 16 && s[d] == '.' && ipv4(s, g + *n)) {
            *n += 4;
            break;
        }
        if (d == 0 || nh + nt + 2 > 16)
            return false;
        g[(*n)++] = (uint8_t)(v >> 8);
        g[(*n)++] = (uint8_t)v;
        s += d;
        if (*s == '\0')
            break;
        if (*s++ != ':')
            return false;
        if (*s == ':') {
            if (gap)
                return false;
            gap = true;
            s++;
        } else if (*s == '\0') {
            return false;
        }
    }
    if (gap ? nh + nt > 14 : nh != 16)
        return false;
    memset(out, 0, 16);
    memcpy(out, head, nh);
    memcpy(out + 16 - nt, tail, nt);
    return true;
}

bool mgw_check_ip_literal(const char *host, uint8_t ip[16], size_t *len)
{
    if (ipv4(host, ip)) {
        *len = 4;
        return true;
    }
    if (strchr(host, ':') != NULL && ipv6(host, ip)) {
        *len = 16;
        return true;
    }
    return false;
}

bool mgw_check_cert_has_ip(const uint8_t *der, size_t n, const uint8_t *ip, size_t len)
{
    mgw_cert_t *c = NULL;
    if (mgw_cert_from_der(der, n, &c) != MGW_OK)
        return false;
    bool found = false;
    for (size_t i = 0; i < c->n_sans && !found; i++) {
        uint8_t want[16];
        size_t wl;
        found = c->sans[i].type == MGW_SAN_IP &&
                mgw_check_ip_literal(c->sans[i].value, want, &wl) && wl == len &&
                memcmp(want, ip, len) == 0;
    }
    mgw_cert_free(&c);
    return found;
}
