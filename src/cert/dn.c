/*
 * Distinguished names: RFC 4514 strings to DER Names and back.
 *
 * The parser is our own rather than mbedTLS's because that one keeps only one
 * of several attributes of the same type (OU=a,OU=b) and knows neither
 * multi-valued RDNs nor \XX escapes.
 */
#include "cert/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest subject string accepted (a Name that long is already absurd). */
#define DN_MAX_INPUT 65536
/* Upper bound, in characters, of attributes RFC 5280 gives no ub-* for. */
#define DN_UB_DEFAULT 32768
/* Longest attribute type token we look at (64 arcs of an OID fit easily). */
#define DN_TYPE_MAX 200

typedef enum { DN_UTF8, DN_PRINTABLE, DN_IA5, DN_COUNTRY } dn_kind;

typedef struct {
    const char *name;  /* the short name, also used when formatting */
    const char *alias; /* another accepted spelling, or NULL */
    const char *oid;
    dn_kind kind;
    size_t ub; /* upper bound in code points (RFC 5280 ub-*) */
} dn_attr;

static const dn_attr dn_attrs[] = {
    {"CN", NULL, "2.5.4.3", DN_UTF8, 64},
    {"SN", NULL, "2.5.4.4", DN_UTF8, 32768},
    {"serialNumber", NULL, "2.5.4.5", DN_PRINTABLE, 64},
    {"C", NULL, "2.5.4.6", DN_COUNTRY, 2},
    {"L", NULL, "2.5.4.7", DN_UTF8, 128},
    {"ST", "S", "2.5.4.8", DN_UTF8, 128},
    {"STREET", NULL, "2.5.4.9", DN_UTF8, 128},
    {"O", NULL, "2.5.4.10", DN_UTF8, 64},
    {"OU", NULL, "2.5.4.11", DN_UTF8, 64},
    {"title", NULL, "2.5.4.12", DN_UTF8, 64},
    {"GN", "givenName", "2.5.4.42", DN_UTF8, 32768},
    {"DC", NULL, "0.9.2342.19200300.100.1.25", DN_IA5, 63},
    {"UID", NULL, "0.9.2342.19200300.100.1.1", DN_UTF8, 256},
    {"emailAddress", "E", "1.2.840.113549.1.9.1", DN_IA5, 255},
};

#define DN_NATTRS (sizeof(dn_attrs) / sizeof(dn_attrs[0]))

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive: does s[0..n) spell `word` exactly? */
static bool ascii_ieq(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)s[i]) != ascii_lower((unsigned char)word[i]))
            return false;
    return true;
}

static const dn_attr *attr_by_name(const char *s, size_t n)
{
    for (size_t k = 0; k < DN_NATTRS; k++)
        if (ascii_ieq(s, n, dn_attrs[k].name) ||
            (dn_attrs[k].alias != NULL && ascii_ieq(s, n, dn_attrs[k].alias)))
            return &dn_attrs[k];
    return NULL;
}

static const dn_attr *attr_by_oid(const char *dotted)
{
    for (size_t k = 0; k < DN_NATTRS; k++)
        if (strcmp(dotted, dn_attrs[k].oid) == 0)
            return &dn_attrs[k];
    return NULL;
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t n, i;  /* input, its length, the cursor (0-based) */
    mgw_dbuf oid; /* OID content of the current attribute */
    uint8_t *val; /* the current value, unescaped */
    size_t *vpos; /* 1-based input position each value byte came from */
    size_t vlen;
} dn_parser;

typedef struct {
    size_t off, len;
} dn_piece;

static bool at_end(const dn_parser *p)
{
    return p->i >= p->n;
}

static bool at_separator(const dn_parser *p)
{
    return at_end(p) || p->s[p->i] == ',' || p->s[p->i] == ';' || p->s[p->i] == '+';
}

static void skip_spaces(dn_parser *p)
{
    while (!at_end(p) && p->s[p->i] == ' ')
        p->i++;
}

static bool is_type_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

/* Attribute type: a short name, a dotted OID or "OID." and a dotted OID. Sets
 * p->oid, *attr (NULL for an OID we have no rules for) and a label for
 * messages. */
static int parse_type(dn_parser *p, const dn_attr **attr, char *label, size_t label_sz)
{
    size_t start = p->i;
    while (!at_end(p) && is_type_char(p->s[p->i]))
        p->i++;
    const char *t = p->s + start;
    size_t tn = p->i - start;
    if (tn == 0) {
        if (p->s[start] == '=')
            return mgw_err(MGW_ERR_DN_SYNTAX, "subject: empty attribute type at position %zu",
                           start + 1);
        return mgw_err(MGW_ERR_DN_SYNTAX, "subject: expected an attribute type at position %zu",
                       start + 1);
    }
    const char *dotted = t;
    size_t dn = tn;
    if (tn > 4 && ascii_ieq(t, 4, "OID."))
        dotted += 4, dn -= 4;
    p->oid.len = 0;
    if (dotted[0] >= '0' && dotted[0] <= '9') {
        char buf[DN_TYPE_MAX + 1];
        if (dn > DN_TYPE_MAX)
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: attribute type OID too long at position %zu", start + 1);
        memcpy(buf, dotted, dn);
        buf[dn] = '\0';
        int r = mgw_oid_from_text(buf, &p->oid);
        if (r == MGW_ERR_NO_MEMORY)
            return mgw_err(r, NULL);
        if (r != MGW_OK)
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: invalid attribute type OID '%s' at position %zu", buf,
                           start + 1);
        *attr = attr_by_oid(buf);
        snprintf(label, label_sz, "%s", *attr != NULL ? (*attr)->name : buf);
        return MGW_OK;
    }
    *attr = attr_by_name(t, tn);
    if (*attr == NULL)
        return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                       "subject: unknown attribute type '%.*s' at position %zu",
                       tn > 64 ? 64 : (int)tn, t, start + 1);
    snprintf(label, label_sz, "%s", (*attr)->name);
    return mgw_oid_from_text((*attr)->oid, &p->oid) == MGW_OK ? MGW_OK
                                                              : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

static void value_add(dn_parser *p, uint8_t byte, size_t pos)
{
    p->val[p->vlen] = byte;
    p->vpos[p->vlen] = pos;
    p->vlen++;
}

static bool decode_string(unsigned tag, mgw_span v, mgw_dbuf *text);
static int check_value(const dn_parser *p, dn_kind kind, size_t ub, const char *label,
                       size_t value_pos);

/* The rules of the string form for a value given as "#" and a DER string:
 * the string type must be one the attribute takes, and its text must pass
 * the attribute's checks. */
static int check_hex_string(const dn_parser *p, const dn_attr *attr, const char *label,
                            size_t hash_pos)
{
    mgw_der_reader r;
    unsigned tag;
    mgw_span v;
    mgw_der_reader_init(&r, p->val, p->vlen);
    if (mgw_der_next(&r, &tag, &v, NULL) != MGW_OK)
        return mgw_err(MGW_ERR_INTERNAL, NULL);
    dn_kind kind = attr != NULL ? attr->kind : DN_UTF8;
    bool is_string = tag == MGW_ASN1_UTF8_STRING || tag == MGW_ASN1_PRINTABLE_STRING ||
                     tag == MGW_ASN1_T61_STRING || tag == MGW_ASN1_BMP_STRING ||
                     tag == MGW_ASN1_UNIVERSAL_STRING || tag == MGW_ASN1_IA5_STRING;
    bool allowed;
    switch (kind) {
    case DN_COUNTRY:
    case DN_PRINTABLE:
        allowed = tag == MGW_ASN1_PRINTABLE_STRING;
        break;
    case DN_IA5:
        allowed = tag == MGW_ASN1_IA5_STRING;
        break;
    default:
        allowed = is_string && (tag != MGW_ASN1_IA5_STRING || attr == NULL);
        break;
    }
    /* an attribute we have no rules for may hold any single element */
    if (attr == NULL && !is_string)
        return MGW_OK;
    if (!allowed)
        return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                       "subject: value of %s at position %zu is a DER element of tag 0x%02X, not "
                       "a string type %s takes",
                       label, hash_pos, tag, label);
    if (kind == DN_UTF8 && tag == MGW_ASN1_PRINTABLE_STRING)
        kind = DN_PRINTABLE;
    if (kind == DN_UTF8 && tag == MGW_ASN1_IA5_STRING)
        kind = DN_IA5;
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    dn_parser t = *p;
    t.vpos = NULL;
    bool ok = decode_string(tag, v, &text);
    int rc = MGW_OK;
    if (text.oom)
        rc = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    else if (!ok)
        rc = mgw_err(MGW_ERR_DN_ATTRIBUTE,
                     "subject: value of %s at position %zu does not decode as its string type",
                     label, hash_pos);
    if (rc == MGW_OK && text.len > 0 && (t.vpos = malloc(text.len * sizeof(*t.vpos))) == NULL)
        rc = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (rc == MGW_OK) {
        for (size_t k = 0; k < text.len; k++)
            t.vpos[k] = hash_pos;
        t.val = text.p;
        t.vlen = text.len;
        rc = check_value(&t, kind, attr != NULL ? attr->ub : DN_UB_DEFAULT, label, hash_pos);
    }
    free(t.vpos);
    mgw_dbuf_free(&text);
    return rc;
}

/* "#" and hex digits: a whole DER element, kept as it is. */
static int parse_hex_value(dn_parser *p, const dn_attr *attr, const char *label)
{
    size_t hash_pos = p->i + 1;
    p->i++;
    p->vlen = 0;
    while (!at_separator(p) && p->s[p->i] != ' ') {
        int hi = mgw_hex_value((unsigned char)p->s[p->i]);
        if (hi < 0)
            return mgw_err(MGW_ERR_DN_SYNTAX, "subject: invalid hex digit at position %zu",
                           p->i + 1);
        int lo = p->i + 1 < p->n ? mgw_hex_value((unsigned char)p->s[p->i + 1]) : -1;
        if (lo < 0)
            return mgw_err(MGW_ERR_DN_SYNTAX, "subject: incomplete hex pair at position %zu",
                           p->i + 2);
        value_add(p, (uint8_t)(hi << 4 | lo), p->i + 1);
        p->i += 2;
    }
    skip_spaces(p);
    if (!at_separator(p))
        return mgw_err(MGW_ERR_DN_SYNTAX,
                       "subject: unexpected character after a hex value at position %zu", p->i + 1);
    if (p->vlen == 0)
        return mgw_err(MGW_ERR_DN_SYNTAX, "subject: empty hex value at position %zu", hash_pos);
    mgw_der_reader r;
    mgw_der_reader_init(&r, p->val, p->vlen);
    if (mgw_der_next(&r, NULL, NULL, NULL) != MGW_OK || !mgw_der_at_end(&r))
        return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                       "subject: value of %s is not one complete DER element at position %zu",
                       label, hash_pos);
    return check_hex_string(p, attr, label, hash_pos);
}

/* A string value up to the next unescaped ',' ';' '+' or the end, unescaped
 * into p->val; unescaped trailing spaces are dropped. */
static int parse_string_value(dn_parser *p)
{
    static const char specials[] = ",+\"\\<>;=# ";
    size_t keep = 0;
    p->vlen = 0;
    while (!at_end(p)) {
        char c = p->s[p->i];
        size_t pos = p->i + 1;
        if (c == ',' || c == ';' || c == '+')
            break;
        if (c == '"' || c == '<' || c == '>')
            return mgw_err(MGW_ERR_DN_SYNTAX, "subject: '%c' must be escaped at position %zu", c,
                           pos);
        if (c != '\\') {
            value_add(p, (uint8_t)c, pos);
            if (c != ' ')
                keep = p->vlen;
            p->i++;
            continue;
        }
        if (p->i + 1 >= p->n)
            return mgw_err(MGW_ERR_DN_SYNTAX,
                           "subject: backslash at the end of the input at position %zu", pos);
        char e = p->s[p->i + 1];
        int hi = mgw_hex_value((unsigned char)e);
        if (hi >= 0) {
            int lo = p->i + 2 < p->n ? mgw_hex_value((unsigned char)p->s[p->i + 2]) : -1;
            if (lo < 0)
                return mgw_err(MGW_ERR_DN_SYNTAX,
                               "subject: '\\' must be followed by two hex digits at position %zu",
                               pos);
            value_add(p, (uint8_t)(hi << 4 | lo), pos);
            p->i += 3;
        } else if (strchr(specials, e) != NULL) {
            value_add(p, (uint8_t)e, pos);
            p->i += 2;
        } else {
            return mgw_err(MGW_ERR_DN_SYNTAX, "subject: invalid escape at position %zu", pos);
        }
        keep = p->vlen;
    }
    p->vlen = keep;
    return MGW_OK;
}

static bool is_printable_char(uint32_t cp)
{
    return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
           (cp != 0 && cp < 0x80 && strchr(" '()+,-./:=?", (int)cp) != NULL);
}

/* Check the unescaped value against the attribute's rules and choose its
 * string type. */
static int check_value(const dn_parser *p, dn_kind kind, size_t ub, const char *label,
                       size_t value_pos)
{
    if (p->vlen == 0)
        return mgw_err(MGW_ERR_DN_ATTRIBUTE, "subject: empty value for %s at position %zu", label,
                       value_pos);
    size_t bad;
    if (!mgw_utf8_valid(p->val, p->vlen, &bad))
        return mgw_err(MGW_ERR_UTF8, "subject: invalid UTF-8 in the value of %s at position %zu",
                       label, p->vpos[bad]);
    size_t count = 0;
    for (size_t k = 0; k < p->vlen;) {
        uint32_t cp;
        size_t l = mgw_utf8_decode(p->val + k, p->vlen - k, &cp);
        size_t pos = p->vpos[k];
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: control character U+%04X in the value of %s at position %zu",
                           (unsigned)cp, label, pos);
        if (kind == DN_COUNTRY && !((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')))
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: C must be a two-letter country code at position %zu", pos);
        if (kind == DN_PRINTABLE && !is_printable_char(cp))
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: character not allowed in %s (PrintableString) at position %zu",
                           label, pos);
        if (kind == DN_IA5 && cp >= 0x80)
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: non-ASCII character in %s (IA5String) at position %zu", label,
                           pos);
        if (++count > ub)
            return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                           "subject: value of %s longer than %zu characters at position %zu", label,
                           ub, pos);
        k += l;
    }
    if (kind == DN_COUNTRY && count != 2)
        return mgw_err(MGW_ERR_DN_ATTRIBUTE,
                       "subject: C must be a two-letter country code at position %zu", value_pos);
    return MGW_OK;
}

/* The string type of a value given as text. */
static unsigned string_tag(dn_kind kind)
{
    switch (kind) {
    case DN_COUNTRY:
    case DN_PRINTABLE:
        return MGW_ASN1_PRINTABLE_STRING;
    case DN_IA5:
        return MGW_ASN1_IA5_STRING;
    default:
        return MGW_ASN1_UTF8_STRING;
    }
}

/* TYPE = VALUE, appended to `out` as an AttributeTypeAndValue. */
static int parse_atv(dn_parser *p, mgw_dbuf *out)
{
    const dn_attr *attr = NULL;
    char label[DN_TYPE_MAX + 1];
    int r = parse_type(p, &attr, label, sizeof(label));
    if (r != MGW_OK)
        return r;
    skip_spaces(p);
    if (at_end(p) || p->s[p->i] != '=')
        return mgw_err(MGW_ERR_DN_SYNTAX,
                       "subject: missing '=' after attribute type %s at position %zu", label,
                       p->i + 1);
    p->i++;
    skip_spaces(p);
    size_t value_pos = p->i + 1;
    bool raw = !at_end(p) && p->s[p->i] == '#';
    unsigned tag = 0;
    if (raw) {
        r = parse_hex_value(p, attr, label);
    } else {
        dn_kind kind = attr != NULL ? attr->kind : DN_UTF8;
        r = parse_string_value(p);
        if (r == MGW_OK)
            r = check_value(p, kind, attr != NULL ? attr->ub : DN_UB_DEFAULT, label, value_pos);
        tag = string_tag(kind);
    }
    if (r != MGW_OK)
        return r;
    size_t mark = mgw_der_open(out);
    mgw_der_put(out, MGW_ASN1_OID, p->oid.p, p->oid.len);
    if (raw)
        mgw_dbuf_put(out, p->val, p->vlen);
    else
        mgw_der_put(out, tag, p->val, p->vlen);
    return mgw_der_close(out, MGW_ASN1_SEQUENCE, mark);
}

/* DER orders SET OF by the encodings; equal prefixes put the shorter first. */
static int cmp_encoding(const void *a, const void *b)
{
    const mgw_span *x = a, *y = b;
    size_t common = x->len < y->len ? x->len : y->len;
    int c = common > 0 ? memcmp(x->p, y->p, common) : 0;
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Write the collected AttributeTypeAndValues as one DER SET. */
static int put_rdn_set(const mgw_dbuf *atvs, const mgw_dbuf *pieces, mgw_dbuf *out)
{
    size_t count = pieces->len / sizeof(dn_piece);
    mgw_span *sorted = calloc(count, sizeof(*sorted));
    if (sorted == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t k = 0; k < count; k++) {
        dn_piece pc;
        memcpy(&pc, pieces->p + k * sizeof(pc), sizeof(pc));
        sorted[k].p = atvs->p + pc.off;
        sorted[k].len = pc.len;
    }
    qsort(sorted, count, sizeof(*sorted), cmp_encoding);
    size_t mark = mgw_der_open(out);
    for (size_t k = 0; k < count; k++)
        mgw_dbuf_put(out, sorted[k].p, sorted[k].len);
    free(sorted);
    return mgw_der_close(out, MGW_ASN1_SET, mark);
}

/* One RDN: attributes joined by '+'. `sep_pos` is the position of the
 * separator before it (0 for the first). */
static int parse_rdn(dn_parser *p, size_t sep_pos, mgw_dbuf *atvs, mgw_dbuf *pieces, mgw_dbuf *out)
{
    size_t plus_pos = 0;
    atvs->len = 0;
    pieces->len = 0;
    for (;;) {
        if (at_separator(p)) {
            if (plus_pos != 0)
                return mgw_err(MGW_ERR_DN_SYNTAX,
                               "subject: empty attribute after '+' at position %zu", plus_pos);
            return mgw_err(MGW_ERR_DN_SYNTAX, "subject: empty RDN at position %zu",
                           at_end(p) && sep_pos != 0 ? sep_pos : p->i + 1);
        }
        dn_piece pc = {atvs->len, 0};
        int r = parse_atv(p, atvs);
        if (r != MGW_OK)
            return r;
        pc.len = atvs->len - pc.off;
        mgw_dbuf_put(pieces, &pc, sizeof(pc));
        skip_spaces(p);
        if (at_end(p) || p->s[p->i] != '+')
            break;
        plus_pos = p->i + 1;
        p->i++;
        skip_spaces(p);
    }
    if (atvs->oom || pieces->oom)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    return put_rdn_set(atvs, pieces, out);
}

/* All RDNs in string order into `rdns`, their extents into `extents`. */
static int parse_rdns(dn_parser *p, mgw_dbuf *rdns, mgw_dbuf *extents)
{
    mgw_dbuf atvs, pieces;
    mgw_dbuf_init(&atvs);
    mgw_dbuf_init(&pieces);
    int r = MGW_OK;
    size_t sep_pos = 0;
    skip_spaces(p);
    while (r == MGW_OK && !(at_end(p) && sep_pos == 0)) {
        dn_piece pc = {rdns->len, 0};
        r = parse_rdn(p, sep_pos, &atvs, &pieces, rdns);
        if (r != MGW_OK)
            break;
        pc.len = rdns->len - pc.off;
        mgw_dbuf_put(extents, &pc, sizeof(pc));
        skip_spaces(p);
        if (at_end(p))
            break;
        /* parse_rdn stops only at the end or at ',' or ';'. */
        sep_pos = p->i + 1;
        p->i++;
        skip_spaces(p);
    }
    mgw_dbuf_free(&atvs);
    mgw_dbuf_free(&pieces);
    return r;
}

int mgw_dn_parse(const char *s, mgw_dbuf *name)
{
    if (s == NULL || name == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "subject: NULL argument");
    size_t n = 0;
    while (n <= DN_MAX_INPUT && s[n] != '\0')
        n++;
    if (n > DN_MAX_INPUT)
        return mgw_err(MGW_ERR_TOO_LARGE, "subject: longer than %d bytes", DN_MAX_INPUT);

    dn_parser p = {.s = s, .n = n, .i = 0};
    mgw_dbuf_init(&p.oid);
    p.val = malloc(n + 1);
    p.vpos = malloc((n + 1) * sizeof(*p.vpos));
    mgw_dbuf rdns, extents;
    mgw_dbuf_init(&rdns);
    mgw_dbuf_init(&extents);
    int r = MGW_OK;
    if (p.val == NULL || p.vpos == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK)
        r = parse_rdns(&p, &rdns, &extents);
    if (r == MGW_OK && (rdns.oom || extents.oom || p.oid.oom))
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);

    if (r == MGW_OK) {
        /* The string is most specific first; DER is the reverse. */
        size_t orig = name->len;
        size_t mark = mgw_der_open(name);
        for (size_t k = extents.len / sizeof(dn_piece); k-- > 0;) {
            dn_piece pc;
            memcpy(&pc, extents.p + k * sizeof(pc), sizeof(pc));
            mgw_dbuf_put(name, rdns.p + pc.off, pc.len);
        }
        if (mgw_der_close(name, MGW_ASN1_SEQUENCE, mark) != MGW_OK || name->oom) {
            name->len = orig;
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    mgw_dbuf_free(&rdns);
    mgw_dbuf_free(&extents);
    mgw_dbuf_free(&p.oid);
    free(p.val);
    free(p.vpos);
    return r;
}

/* ---- formatting ------------------------------------------------------------ */

/* Decode a directory string value to UTF-8; false when it is of another type
 * or does not decode. */
static bool decode_string(unsigned tag, mgw_span v, mgw_dbuf *text)
{
    switch (tag) {
    case MGW_ASN1_UTF8_STRING:
        if (!mgw_utf8_valid(v.p, v.len, NULL))
            return false;
        mgw_dbuf_put(text, v.p, v.len);
        return true;
    case MGW_ASN1_PRINTABLE_STRING:
    case MGW_ASN1_IA5_STRING:
        for (size_t k = 0; k < v.len; k++)
            if (v.p[k] >= 0x80)
                return false;
        mgw_dbuf_put(text, v.p, v.len);
        return true;
    case MGW_ASN1_T61_STRING:
        /* In practice T61 values are Latin-1. */
        for (size_t k = 0; k < v.len; k++)
            mgw_utf8_put(text, v.p[k]);
        return true;
    case MGW_ASN1_BMP_STRING:
        return mgw_utf16_to_utf8(v.p, v.len, true, text) == MGW_OK;
    case MGW_ASN1_UNIVERSAL_STRING:
        if (v.len % 4 != 0)
            return false;
        for (size_t k = 0; k < v.len; k += 4) {
            uint32_t cp = (uint32_t)v.p[k] << 24 | (uint32_t)v.p[k + 1] << 16 |
                          (uint32_t)v.p[k + 2] << 8 | v.p[k + 3];
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return false;
            mgw_utf8_put(text, cp);
        }
        return true;
    default:
        return false;
    }
}

/* RFC 4514 section 2.4 escaping of valid UTF-8 text. */
static void put_escaped(const mgw_dbuf *text, mgw_dbuf *out)
{
    for (size_t k = 0; k < text->len;) {
        uint32_t cp;
        size_t l = mgw_utf8_decode(text->p + k, text->len - k, &cp);
        if (l == 0 || cp < 0x20 || cp == 0x7F) {
            mgw_dbuf_printf(out, "\\%02X", text->p[k]);
            k++;
            continue;
        }
        bool first = k == 0, last = k + l == text->len;
        if ((cp < 0x80 && strchr(",+\"\\<>;", (int)cp) != NULL) ||
            (first && (cp == '#' || cp == ' ')) || (last && cp == ' '))
            mgw_dbuf_putc(out, '\\');
        mgw_dbuf_put(out, text->p + k, l);
        k += l;
    }
}

static void put_hex_element(mgw_span whole, mgw_dbuf *out)
{
    mgw_dbuf_putc(out, '#');
    if (mgw_dbuf_reserve(out, 2 * whole.len + 1) != MGW_OK)
        return;
    mgw_hex_upper(whole.p, whole.len, (char *)out->p + out->len);
    out->len += 2 * whole.len;
}

static int format_value(unsigned tag, mgw_span value, mgw_span whole, mgw_dbuf *out)
{
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    bool ok = decode_string(tag, value, &text);
    if (text.oom) {
        mgw_dbuf_free(&text);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    /* An empty string would not parse back; "#..." does. */
    if (ok && text.len > 0)
        put_escaped(&text, out);
    else
        put_hex_element(whole, out);
    mgw_dbuf_free(&text);
    return MGW_OK;
}

static int format_atv(const mgw_der_reader *parent, mgw_span content, mgw_dbuf *out)
{
    mgw_der_reader rd;
    mgw_span oid, value, whole;
    unsigned tag;
    int r = mgw_der_reader_sub(&rd, parent, content);
    if (r == MGW_OK)
        r = mgw_der_expect(&rd, MGW_ASN1_OID, &oid);
    if (r == MGW_OK)
        r = mgw_der_next(&rd, &tag, &value, &whole);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "Name");
    if (!mgw_der_at_end(&rd))
        return mgw_err(MGW_ERR_DER, "Name: extra data after an attribute value");
    /* Each content byte gives at most 4 characters of dotted text. */
    size_t bufsz = 4 * oid.len + 8;
    char *dotted = malloc(bufsz);
    if (dotted == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (mgw_oid_to_text(oid.p, oid.len, dotted, bufsz) != MGW_OK) {
        free(dotted);
        return mgw_err(MGW_ERR_DER, "Name: malformed attribute type OID");
    }
    const dn_attr *attr = attr_by_oid(dotted);
    mgw_dbuf_puts(out, attr != NULL ? attr->name : dotted);
    free(dotted);
    mgw_dbuf_putc(out, '=');
    return format_value(tag, value, whole, out);
}

/* One attribute of a multi-valued RDN as text, and the encoding its text
 * gets when parsed again (the key that orders it in a SET OF). */
typedef struct {
    mgw_dbuf text;
    mgw_dbuf name; /* the text parsed back: a Name of one RDN of this attribute */
    mgw_span key;  /* the AttributeTypeAndValue inside `name` */
    size_t index;
} rdn_piece;

static int cmp_piece(const void *a, const void *b)
{
    const rdn_piece *x = a, *y = b;
    int c = cmp_encoding(&x->key, &y->key);
    return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

/* The AttributeTypeAndValue of a Name of one single-valued RDN. */
static mgw_span only_atv(const mgw_dbuf *name)
{
    mgw_der_reader top, seq, set;
    mgw_span content, atv = {NULL, 0}, whole = {NULL, 0};
    unsigned tag;
    mgw_der_reader_init(&top, name->p, name->len);
    if (mgw_der_expect(&top, MGW_ASN1_SEQUENCE, &content) == MGW_OK &&
        mgw_der_reader_sub(&seq, &top, content) == MGW_OK &&
        mgw_der_expect(&seq, MGW_ASN1_SET, &content) == MGW_OK &&
        mgw_der_reader_sub(&set, &seq, content) == MGW_OK &&
        mgw_der_next(&set, &tag, &atv, &whole) == MGW_OK)
        return whole;
    return (mgw_span){NULL, 0};
}

/* A multi-valued RDN lists its attributes in the order parsing the text back
 * gives them: DER sorts a SET OF by the encodings, and the text of a value
 * that was not a UTF8String (a BMPString, say) is encoded again as one, which
 * can move it. So the text of a name is a fixed point: it parses to a name
 * that formats to the same text. */
static int format_rdn(const mgw_der_reader *parent, mgw_span content, mgw_dbuf *out)
{
    mgw_der_reader set;
    int r = mgw_der_reader_sub(&set, parent, content);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "Name");
    if (mgw_der_at_end(&set))
        return mgw_err(MGW_ERR_DER, "Name: empty RDN");
    size_t count = 0;
    for (mgw_der_reader it = set; !mgw_der_at_end(&it); count++) {
        mgw_span atv;
        r = mgw_der_expect(&it, MGW_ASN1_SEQUENCE, &atv);
        if (r != MGW_OK)
            return mgw_err_prefix(r, "Name");
    }
    if (count == 1) {
        mgw_span atv;
        r = mgw_der_expect(&set, MGW_ASN1_SEQUENCE, &atv);
        return r == MGW_OK ? format_atv(&set, atv, out) : mgw_err_prefix(r, "Name");
    }
    rdn_piece *pc = calloc(count, sizeof(*pc));
    if (pc == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < count; i++) {
        mgw_dbuf_init(&pc[i].text);
        mgw_dbuf_init(&pc[i].name);
        pc[i].index = i;
    }
    for (size_t i = 0; r == MGW_OK && i < count; i++) {
        mgw_span atv;
        r = mgw_der_expect(&set, MGW_ASN1_SEQUENCE, &atv);
        if (r != MGW_OK) {
            r = mgw_err_prefix(r, "Name");
            break;
        }
        r = format_atv(&set, atv, &pc[i].text);
        if (r == MGW_OK && mgw_dbuf_putc(&pc[i].text, 0) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        if (r != MGW_OK)
            break;
        /* what the text parses back to; a piece that does not parse keeps
         * its place (it sorts by no key, first, in its own order) */
        int pr = mgw_dn_parse((const char *)pc[i].text.p, &pc[i].name);
        if (pr == MGW_ERR_NO_MEMORY)
            r = pr;
        else if (pr == MGW_OK)
            pc[i].key = only_atv(&pc[i].name);
    }
    if (r == MGW_OK) {
        qsort(pc, count, sizeof(*pc), cmp_piece);
        for (size_t i = 0; i < count; i++) {
            if (i > 0)
                mgw_dbuf_putc(out, '+');
            mgw_dbuf_put(out, pc[i].text.p, pc[i].text.len - 1);
        }
    }
    for (size_t i = 0; i < count; i++) {
        mgw_dbuf_free(&pc[i].text);
        mgw_dbuf_free(&pc[i].name);
    }
    free(pc);
    return r;
}

/* The RDN SETs of a Name, in DER order, into `rdns` (an array of mgw_span). */
static int collect_rdns(const uint8_t *der, size_t n, mgw_der_reader *seq, mgw_dbuf *rdns)
{
    mgw_der_reader top;
    mgw_span content;
    mgw_der_reader_init(&top, der, n);
    int r = mgw_der_expect(&top, MGW_ASN1_SEQUENCE, &content);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "Name");
    if (!mgw_der_at_end(&top))
        return mgw_err(MGW_ERR_DER, "Name: extra data after the SEQUENCE");
    r = mgw_der_reader_sub(seq, &top, content);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "Name");
    mgw_der_reader it = *seq;
    while (!mgw_der_at_end(&it)) {
        mgw_span set;
        r = mgw_der_expect(&it, MGW_ASN1_SET, &set);
        if (r != MGW_OK)
            return mgw_err_prefix(r, "Name");
        if (mgw_dbuf_put(rdns, &set, sizeof(set)) != MGW_OK)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    return MGW_OK;
}

int mgw_dn_format(const uint8_t *der, size_t n, mgw_dbuf *out)
{
    if ((der == NULL && n > 0) || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "Name: NULL argument");
    mgw_der_reader seq;
    mgw_dbuf rdns;
    mgw_dbuf_init(&rdns);
    size_t orig = out->len;
    int r = collect_rdns(der, n, &seq, &rdns);
    /* RFC 4514 lists the last RDN of the DER SEQUENCE first. */
    for (size_t k = rdns.len / sizeof(mgw_span); r == MGW_OK && k-- > 0;) {
        mgw_span set;
        memcpy(&set, rdns.p + k * sizeof(set), sizeof(set));
        r = format_rdn(&seq, set, out);
        if (r == MGW_OK && k > 0)
            mgw_dbuf_putc(out, ',');
    }
    if (r == MGW_OK && out->oom)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r != MGW_OK)
        out->len = orig;
    mgw_dbuf_free(&rdns);
    return r;
}

bool mgw_dn_is_empty(const uint8_t *der, size_t n)
{
    /* DER has exactly one encoding of an empty SEQUENCE. */
    return der != NULL && n == 2 && der[0] == MGW_ASN1_SEQUENCE && der[1] == 0;
}
