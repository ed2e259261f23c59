/* Subject alternative names: validation of their text forms and GeneralName DER. */
#include "cert/cert.h"

#include <stdio.h>
#include <string.h>

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* LDH host name: labels of letters, digits and inner hyphens, 1..63 each, at
 * most 253 characters; a leading "*." when wildcard is allowed. */
static int check_hostname(const char *s, bool wildcard, int code, const char *what,
                          const char *full)
{
    size_t n = strlen(s);
    if (n == 0)
        return mgw_err(code, "%s '%s': empty domain", what, full);
    if (n > 253)
        return mgw_err(code, "%s '%s': domain longer than 253 characters", what, full);
    const char *p = s;
    if (wildcard && p[0] == '*' && p[1] == '.')
        p += 2;
    for (;;) {
        size_t len = strcspn(p, ".");
        if (len == 0)
            return mgw_err(code, "%s '%s': empty label in the domain", what, full);
        if (len > 63)
            return mgw_err(code, "%s '%s': label longer than 63 characters", what, full);
        for (size_t i = 0; i < len; i++) {
            int c = (unsigned char)p[i];
            if (!is_alpha(c) && !is_digit(c) && c != '-')
                return mgw_err(code, "%s '%s': invalid character at position %zu", what, full,
                               (size_t)(p - full) + i + 1);
        }
        if (p[0] == '-' || p[len - 1] == '-')
            return mgw_err(code, "%s '%s': label starts or ends with '-'", what, full);
        if (p[len] == '\0')
            return MGW_OK;
        p += len + 1;
    }
}

int mgw_dns_check(const char *dns)
{
    if (dns == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "DNS name: NULL");
    return check_hostname(dns, true, MGW_ERR_DNS, "DNS name", dns);
}

int mgw_email_check(const char *email)
{
    if (email == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "e-mail: NULL");
    const char *at = strchr(email, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return mgw_err(MGW_ERR_EMAIL, "e-mail '%s': needs exactly one '@'", email);
    size_t local = (size_t)(at - email);
    if (local == 0 || local > 64)
        return mgw_err(MGW_ERR_EMAIL, "e-mail '%s': the part before '@' must have 1 to 64 characters",
                       email);
    if (strlen(email) > 254)
        return mgw_err(MGW_ERR_EMAIL, "e-mail '%s': longer than 254 characters", email);
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~.";
    for (size_t i = 0; i < local; i++) {
        int c = (unsigned char)email[i];
        if (c >= 0x80)
            return mgw_err(MGW_ERR_EMAIL,
                           "e-mail '%s': non-ASCII character at position %zu (rfc822Name is ASCII)",
                           email, i + 1);
        if (!is_alpha(c) && !is_digit(c) && strchr(atext, c) == NULL)
            return mgw_err(MGW_ERR_EMAIL, "e-mail '%s': invalid character at position %zu", email,
                           i + 1);
    }
    if (email[0] == '.' || email[local - 1] == '.' || strstr(email, "..") != NULL)
        return mgw_err(MGW_ERR_EMAIL, "e-mail '%s': misplaced '.'", email);
    return check_hostname(at + 1, false, MGW_ERR_EMAIL, "e-mail", email);
}

int mgw_upn_check(const char *upn)
{
    if (upn == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "UPN: NULL");
    size_t n = strlen(upn), bad;
    if (!mgw_utf8_valid((const uint8_t *)upn, n, &bad))
        return mgw_err(MGW_ERR_UPN, "UPN: invalid UTF-8 at byte %zu", bad + 1);
    if (n > 1024)
        return mgw_err(MGW_ERR_UPN, "UPN: longer than 1024 bytes");
    const char *at = strchr(upn, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return mgw_err(MGW_ERR_UPN, "UPN '%s': needs the form user@domain with exactly one '@'",
                       upn);
    if (at == upn)
        return mgw_err(MGW_ERR_UPN, "UPN '%s': empty user part", upn);
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = mgw_utf8_decode((const uint8_t *)upn + i, n - i, &cp);
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            return mgw_err(MGW_ERR_UPN, "UPN: control character at byte %zu", i + 1);
        if (cp == ' ' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200F) ||
            cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF)
            return mgw_err(MGW_ERR_UPN, "UPN '%s': white space or invisible character at byte %zu",
                           upn, i + 1);
        i += k;
    }
    const char *dom = at + 1;
    if (*dom == '\0' || dom[0] == '.' || dom[strlen(dom) - 1] == '.' || strstr(dom, "..") != NULL)
        return mgw_err(MGW_ERR_UPN, "UPN '%s': the domain must be non-empty dot-separated labels",
                       upn);
    if (strlen(dom) > 255)
        return mgw_err(MGW_ERR_UPN, "UPN '%s': domain longer than 255 bytes", upn);
    if (at - upn > 256)
        return mgw_err(MGW_ERR_UPN, "UPN: user part longer than 256 bytes");
    return MGW_OK;
}

int mgw_uri_check(const char *uri)
{
    if (uri == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "URI: NULL");
    size_t n = strlen(uri);
    if (n > 4096)
        return mgw_err(MGW_ERR_URI, "URI: longer than 4096 characters");
    if (!is_alpha((unsigned char)uri[0]))
        return mgw_err(MGW_ERR_URI, "URI '%s': must start with a scheme (e.g. https:)", uri);
    size_t i = 1;
    while (is_alpha((unsigned char)uri[i]) || is_digit((unsigned char)uri[i]) || uri[i] == '+' ||
           uri[i] == '-' || uri[i] == '.')
        i++;
    if (uri[i] != ':' || uri[i + 1] == '\0')
        return mgw_err(MGW_ERR_URI, "URI '%s': must have the form scheme:rest", uri);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)uri[i];
        if (c <= 0x20 || c >= 0x7F)
            return mgw_err(MGW_ERR_URI,
                           "URI: invalid character at position %zu (percent-encode it)", i + 1);
    }
    return MGW_OK;
}

int mgw_gname_put(mgw_dbuf *b, int type, const char *value)
{
    size_t n = strlen(value);
    switch (type) {
    case MGW_SAN_UPN: {
        /* otherName [0] { type-id, [0] EXPLICIT UTF8String } */
        size_t m = mgw_der_open(b);
        mgw_der_put_oid_text(b, MGW_OID_UPN);
        size_t v = mgw_der_open(b);
        mgw_der_put(b, MGW_ASN1_UTF8_STRING, value, n);
        mgw_der_close(b, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, v);
        return mgw_der_close(b, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, m);
    }
    case MGW_SAN_EMAIL:
        return mgw_der_put(b, MGW_ASN1_CTX | 1, value, n);
    case MGW_SAN_DNS:
        return mgw_der_put(b, MGW_ASN1_CTX | 2, value, n);
    case MGW_SAN_URI:
        return mgw_der_put(b, MGW_ASN1_CTX | 6, value, n);
    default:
        return MGW_ERR_INTERNAL;
    }
}

/* Printable ASCII as is, anything else as \xHH (these are IA5String fields). */
static void put_ascii_escaped(mgw_dbuf *t, mgw_span s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            mgw_dbuf_putc(t, c);
        else
            mgw_dbuf_printf(t, "\\x%02X", c);
    }
}

static void put_hex(mgw_dbuf *t, mgw_span s)
{
    for (size_t i = 0; i < s.len; i++)
        mgw_dbuf_printf(t, "%02X", s.p[i]);
}

/* C0, DEL and C1 control characters (as UTF-8). A UPN holding one is shown in
 * hex rather than printed raw. */
static bool has_control(mgw_span s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < 0x20 || s.p[i] == 0x7F ||
            (s.p[i] == 0xC2 && i + 1 < s.len && s.p[i + 1] >= 0x80 && s.p[i + 1] < 0xA0))
            return true;
    return false;
}

static int decode_other_name(mgw_span c, int *type, mgw_dbuf *text)
{
    mgw_der_reader r, v;
    mgw_span oid, val, inner;
    mgw_der_reader_init(&r, c.p, c.len);
    if (mgw_der_expect(&r, MGW_ASN1_OID, &oid) != MGW_OK ||
        mgw_der_expect(&r, MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0, &val) != MGW_OK ||
        !mgw_der_at_end(&r))
        return mgw_err(MGW_ERR_DER, "SAN: malformed otherName");
    char oidtxt[128];
    if (mgw_oid_to_text(oid.p, oid.len, oidtxt, sizeof(oidtxt)) != MGW_OK)
        return mgw_err(MGW_ERR_DER, "SAN: malformed otherName type");
    mgw_der_reader_init(&v, val.p, val.len);
    unsigned tag;
    if (strcmp(oidtxt, MGW_OID_UPN) == 0 && mgw_der_next(&v, &tag, &inner, NULL) == MGW_OK &&
        tag == MGW_ASN1_UTF8_STRING && mgw_der_at_end(&v) &&
        mgw_utf8_valid(inner.p, inner.len, NULL) && !has_control(inner)) {
        *type = MGW_SAN_UPN;
        return mgw_dbuf_put(text, inner.p, inner.len);
    }
    *type = MGW_SAN_OTHER;
    mgw_dbuf_printf(text, "otherName:%s:", oidtxt);
    put_hex(text, val);
    return text->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

int mgw_gname_decode(unsigned tag, mgw_span c, int *type, mgw_dbuf *text)
{
    switch (tag) {
    case MGW_ASN1_CTX | MGW_ASN1_CONSTRUCTED | 0:
        return decode_other_name(c, type, text);
    case MGW_ASN1_CTX | 1:
        *type = MGW_SAN_EMAIL;
        put_ascii_escaped(text, c);
        break;
    case MGW_ASN1_CTX | 2:
        *type = MGW_SAN_DNS;
        put_ascii_escaped(text, c);
        break;
    case MGW_ASN1_CTX | 6:
        *type = MGW_SAN_URI;
        put_ascii_escaped(text, c);
        break;
    case MGW_ASN1_CTX | 7:
        *type = MGW_SAN_IP;
        if (c.len == 4) {
            mgw_dbuf_printf(text, "%u.%u.%u.%u", c.p[0], c.p[1], c.p[2], c.p[3]);
        } else if (c.len == 16) {
            for (int i = 0; i < 16; i += 2)
                mgw_dbuf_printf(text, "%s%x", i ? ":" : "", (unsigned)(c.p[i] << 8 | c.p[i + 1]));
        } else {
            return mgw_err(MGW_ERR_DER, "SAN: IP address of %zu bytes", c.len);
        }
        break;
    default:
        *type = MGW_SAN_OTHER;
        mgw_dbuf_printf(text, "tag%02X:", tag);
        put_hex(text, c);
        break;
    }
    return text->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}
