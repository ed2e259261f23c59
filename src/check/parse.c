/* The parsers of the gateway check (check.h): what the server sends (the
 * HTTP status line, the CertificateRequest's CA names) and the host of the
 * URL as an IP address, with the certificate match for it. They sit below
 * both the TLS client (tls.c) and the verdict (check.c), which call them. */
#include "check/check.h"

#include <stdlib.h>
#include <string.h>

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
