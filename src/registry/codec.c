/*
 * The .reg codec. The reader follows the grammar regedit's importer accepts
 * (checked against Wine's regedit), but where regedit silently skips a line it
 * does not understand, we stop with an error that names the line: a plan
 * built on a half-read file would be wrong. The writer produces what regedit
 * /e produces, byte for byte.
 */
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char header_v5[] = "Windows Registry Editor Version 5.00";
static const char header_v4[] = "REGEDIT4";

static const char *const roots[] = {"HKEY_LOCAL_MACHINE",  "HKEY_USERS",        "HKEY_CLASSES_ROOT",
                                    "HKEY_CURRENT_CONFIG", "HKEY_CURRENT_USER", "HKEY_DYN_DATA"};

/* ---- decoding to UTF-8 lines ------------------------------------------------ */

/* Windows-1252 bytes 0x80-0x9F; the rest maps to the same code point. Bytes
 * the code page leaves undefined keep their C1 value, as Windows does. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static uint32_t cp1252(uint8_t c)
{
    return c >= 0x80 && c < 0xA0 ? cp1252_high[c - 0x80] : c;
}

typedef enum { ENC_UTF16LE, ENC_UTF8, ENC_CP1252 } encoding;

/* Convert one line (without its line break) to UTF-8 and append it and "\n". */
static int decode_line(encoding enc, const uint8_t *p, size_t n, size_t line, mgw_dbuf *out)
{
    size_t start = out->len, bad;
    if (enc == ENC_UTF16LE) {
        int r = mgw_utf16_to_utf8(p, n, false, out);
        if (r != MGW_OK)
            return r == MGW_ERR_NO_MEMORY
                       ? r
                       : mgw_err(MGW_ERR_UTF8, "line %zu: invalid UTF-16 (unpaired surrogate)", line);
    } else if (enc == ENC_UTF8) {
        if (!mgw_utf8_valid(p, n, &bad))
            return mgw_err(MGW_ERR_UTF8, "line %zu, column %zu: invalid UTF-8", line, bad + 1);
        mgw_dbuf_put(out, p, n);
    } else {
        for (size_t i = 0; i < n; i++)
            mgw_utf8_put(out, cp1252(p[i]));
    }
    if (out->oom)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (out->len > start && memchr(out->p + start, 0, out->len - start) != NULL)
        return mgw_err(MGW_ERR_REG_SYNTAX, "line %zu: NUL character", line);
    if (out->len - start > MGW_REG_MAX_LINE)
        return mgw_err(MGW_ERR_TOO_LARGE, "line %zu is longer than %u bytes", line,
                       MGW_REG_MAX_LINE);
    return mgw_dbuf_putc(out, '\n') == MGW_OK ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

/* Split into lines at CR LF, LF or CR (units of `unit` bytes, little endian)
 * and decode each; the result uses "\n" only. */
static int decode_lines(encoding enc, const uint8_t *p, size_t n, mgw_dbuf *out)
{
    size_t unit = enc == ENC_UTF16LE ? 2 : 1, line = 1, start = 0, i = 0;
    size_t end = n - n % unit;
    while (i < end) {
        unsigned c = unit == 2 ? (unsigned)(p[i] | p[i + 1] << 8) : p[i];
        if (c != '\r' && c != '\n') {
            i += unit;
            continue;
        }
        int r = decode_line(enc, p + start, i - start, line, out);
        if (r != MGW_OK)
            return r;
        i += unit;
        if (c == '\r' && i < end && (unit == 2 ? (p[i] | p[i + 1] << 8) : p[i]) == '\n')
            i += unit;
        start = i;
        line++;
    }
    if (end != n)
        return mgw_err(MGW_ERR_UTF8, "line %zu: UTF-16 text with an odd number of bytes", line);
    return start < end ? decode_line(enc, p + start, end - start, line, out) : MGW_OK;
}

static bool starts_with_v4_header(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return n - i >= 8 && memcmp(p + i, header_v4, 8) == 0;
}

static int decode(const uint8_t *p, size_t n, mgw_dbuf *text)
{
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE)
        return decode_lines(ENC_UTF16LE, p + 2, n - 2, text);
    if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF)
        return mgw_err(MGW_ERR_REG_SYNTAX,
                       "line 1: UTF-16 big-endian text (regedit writes little-endian)");
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        p += 3, n -= 3;
    /* UTF-16 without its byte-order mark: every other byte of the ASCII header is NUL */
    if (n >= 4 && p[0] != 0 && p[1] == 0 && p[2] != 0 && p[3] == 0)
        return mgw_err(MGW_ERR_REG_SYNTAX,
                       "line 1: UTF-16 little-endian text without a byte-order mark (expected "
                       "regedit's UTF-16LE with the mark FF FE, or UTF-8): add the mark or save "
                       "the file as UTF-8");
    if (n >= 4 && p[0] == 0 && p[1] != 0 && p[2] == 0 && p[3] != 0)
        return mgw_err(MGW_ERR_REG_SYNTAX,
                       "line 1: UTF-16 big-endian text without a byte-order mark (expected "
                       "regedit's UTF-16LE with the mark FF FE, or UTF-8)");
    encoding enc = ENC_UTF8;
    if (!mgw_utf8_valid(p, n, NULL) && starts_with_v4_header(p, n))
        enc = ENC_CP1252; /* REGEDIT4 files are in the ANSI code page */
    return decode_lines(enc, p, n, text);
}

/* ---- parser --------------------------------------------------------------- */

typedef struct {
    char *next, *end; /* the rest of the text: NUL-terminated lines */
    size_t line;      /* number of the current line */
    int version;      /* 4 or 5 */
    mgw_regdoc *doc;
    mgw_regkey *key; /* current section; NULL before the first */
} parser;

static int syntax(const parser *ps, const char *fmt, ...) MGW_PRINTF(2, 3);

static int syntax(const parser *ps, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return mgw_err(MGW_ERR_REG_SYNTAX, "line %zu: %s", ps->line, msg);
}

static char *next_line(parser *ps)
{
    if (ps->next >= ps->end)
        return NULL;
    char *s = ps->next;
    ps->next += strlen(s) + 1;
    ps->line++;
    return s;
}

static char *skip_ws(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The character at s as an error message may show it. */
static const char *show_char(const char *s, char *buf, size_t bufsz)
{
    uint32_t cp;
    size_t l = mgw_utf8_decode((const uint8_t *)s, strnlen(s, 4), &cp);
    return mgw_show_text(s, l > 0 ? l : 1, 1, buf, bufsz);
}

/* A C0 control character or DEL (a CR or LF would end the line of a .reg
 * file, the rest are never part of a key name). */
static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return true;
    return false;
}

/* Nothing but blanks or a comment may follow. */
static bool at_end(char *s)
{
    s = skip_ws(s);
    return *s == '\0' || *s == ';';
}

static bool valid_path(const char *path, size_t n)
{
    if (n == 0 || n > MGW_REG_MAX_PATH || path[n - 1] == '\\' || has_control(path, n))
        return false;
    size_t root_len = 0;
    while (root_len < n && path[root_len] != '\\')
        root_len++;
    bool known = false;
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]) && !known; i++) {
        char root[24];
        snprintf(root, sizeof(root), "%.*s", (int)(root_len < 23 ? root_len : 23), path);
        known = root_len == strlen(roots[i]) && mgw_regname_eq(root, roots[i]);
    }
    for (size_t i = 1; known && i < n; i++)
        if (path[i] == '\\' && path[i - 1] == '\\')
            return false;
    return known;
}

bool mgw_regpath_valid(const char *path)
{
    return valid_path(path, strlen(path));
}

static int parse_key(parser *ps, char *s)
{
    if (*s == ' ' || *s == '\t')
        return syntax(ps, "a key name must follow '[' directly");
    char *close = strrchr(s, ']');
    if (close == NULL)
        return syntax(ps, "missing ']' after the key name");
    if (!at_end(close + 1))
        return syntax(ps, "unexpected text after ']'");
    bool deleted = *s == '-';
    if (deleted)
        s++;
    *close = '\0';
    if (!valid_path(s, (size_t)(close - s))) {
        char shown[400];
        return syntax(ps,
                      "invalid key name '%s' (it must start with a root such as "
                      "HKEY_LOCAL_MACHINE and have no empty parts)",
                      mgw_show_text(s, strlen(s), 80, shown, sizeof(shown)));
    }
    ps->key = mgw_regdoc_append(ps->doc, s, deleted);
    return ps->key != NULL ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

/* Read a quoted string (s is past the opening quote) into out as UTF-8;
 * *rest receives the position after the closing quote. */
static int unquote(parser *ps, char *s, mgw_dbuf *out, char **rest)
{
    for (; *s != '"'; s++) {
        if (*s == '\0')
            return syntax(ps, "unterminated string (no closing '\"')");
        char c = *s;
        if (c == '\\') {
            switch (*++s) {
            case '\\':
                c = '\\';
                break;
            case '"':
                c = '"';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case '\0':
                return syntax(ps, "unterminated string (it ends with '\\')");
            default: {
                char shown[40];
                return syntax(ps, "unknown escape '\\%s' in a string",
                              show_char(s, shown, sizeof(shown)));
            }
            }
        }
        mgw_dbuf_putc(out, (uint8_t)c);
    }
    *rest = s + 1;
    if (out->len > MGW_REG_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "line %zu: string longer than %u bytes", ps->line,
                       MGW_REG_MAX_DATA);
    return out->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}

static int parse_dword(parser *ps, char *s, mgw_dbuf *data)
{
    s = skip_ws(s);
    uint32_t v = 0;
    size_t digits = 0;
    for (int h; (h = mgw_hex_value((unsigned char)*s)) >= 0; s++, digits++)
        v = v << 4 | (uint32_t)h;
    if (digits == 0)
        return syntax(ps, "dword: needs hex digits");
    if (digits > 8)
        return syntax(ps, "dword: has more than 8 hex digits");
    if (!at_end(s))
        return syntax(ps, "unexpected text after the dword value");
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return mgw_dbuf_put(data, le, 4) == MGW_OK ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

/* Continue a hex list on the next line that is neither blank nor a comment. */
static int continue_hex(parser *ps, char *s, char **rest)
{
    if (!at_end(s + 1))
        return syntax(ps, "unexpected text after the line continuation '\\'");
    for (;;) {
        char *ln = next_line(ps);
        if (ln == NULL) {
            *rest = NULL;
            return MGW_OK;
        }
        ln = skip_ws(ln);
        if (*ln == '\0' || *ln == ';')
            continue;
        if (mgw_hex_value((unsigned char)*ln) < 0)
            return syntax(ps, "hex bytes expected on the continued line");
        *rest = ln;
        return MGW_OK;
    }
}

static int parse_hex(parser *ps, char *s, mgw_dbuf *data)
{
    for (;;) {
        s = skip_ws(s);
        if (*s == '\0' || *s == ';')
            return MGW_OK;
        if (*s == '\\') {
            int r = continue_hex(ps, s, &s);
            if (r != MGW_OK || s == NULL)
                return r;
            continue;
        }
        int hi = mgw_hex_value((unsigned char)*s), lo;
        if (hi < 0) {
            char shown[40];
            return syntax(ps, "invalid hex byte '%s'",
                          show_char(s, shown, sizeof(shown)));
        }
        s++;
        if ((lo = mgw_hex_value((unsigned char)*s)) >= 0)
            hi = hi << 4 | lo, s++;
        if (mgw_hex_value((unsigned char)*s) >= 0)
            return syntax(ps, "hex byte with more than two digits");
        if (data->len >= MGW_REG_MAX_DATA)
            return mgw_err(MGW_ERR_TOO_LARGE, "line %zu: value data longer than %u bytes", ps->line,
                           MGW_REG_MAX_DATA);
        if (mgw_dbuf_putc(data, (uint8_t)hi) != MGW_OK)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        s = skip_ws(s);
        if (*s == ',')
            s++;
        else if (*s != '\0' && *s != ';')
            return syntax(ps, "',' expected between hex bytes");
    }
}

/* "hex(N):" with N in hex; s is past "hex(". */
static int parse_hex_type(parser *ps, char **s, uint32_t *type)
{
    uint64_t v = 0;
    size_t digits = 0;
    for (int h; (h = mgw_hex_value((unsigned char)**s)) >= 0; (*s)++, digits++)
        v = v << 4 | (unsigned)h;
    if (digits == 0 || digits > 8 || (*s)[0] != ')' || (*s)[1] != ':')
        return syntax(ps, "invalid value type (expected hex(N): with N in hex)");
    *s += 2;
    *type = (uint32_t)v;
    return MGW_OK;
}

/* In REGEDIT4 files string types given as hex hold ANSI bytes; the registry
 * holds UTF-16LE. */
static int widen_ansi(mgw_dbuf *data)
{
    mgw_dbuf w;
    mgw_dbuf_init(&w);
    for (size_t i = 0; i < data->len; i++) {
        uint32_t cp = cp1252(data->p[i]);
        uint8_t le[2] = {(uint8_t)cp, (uint8_t)(cp >> 8)};
        mgw_dbuf_put(&w, le, 2);
    }
    if (w.oom) {
        mgw_dbuf_free(&w);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_dbuf_free(data);
    *data = w;
    return MGW_OK;
}

static int parse_data(parser *ps, char *s, uint32_t *type, mgw_dbuf *data)
{
    int r;
    if (*s == '"') {
        mgw_dbuf text;
        mgw_dbuf_init(&text);
        char *rest;
        r = unquote(ps, s + 1, &text, &rest);
        if (r == MGW_OK && !at_end(rest))
            r = syntax(ps, "unexpected text after the string");
        if (r == MGW_OK)
            r = mgw_utf8_to_utf16(text.p, text.len, false, data);
        mgw_dbuf_free(&text);
        *type = MGW_REGT_SZ;
        if (r == MGW_OK && mgw_dbuf_put(data, "\0", 2) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        return r;
    }
    if (strncmp(s, "dword:", 6) == 0) {
        *type = MGW_REGT_DWORD;
        return parse_dword(ps, s + 6, data);
    }
    if (strncmp(s, "hex:", 4) == 0) {
        *type = MGW_REGT_BINARY;
        return parse_hex(ps, s + 4, data);
    }
    if (strncmp(s, "hex(", 4) == 0) {
        s += 4;
        if ((r = parse_hex_type(ps, &s, type)) != MGW_OK || (r = parse_hex(ps, s, data)) != MGW_OK)
            return r;
        bool text =
            *type == MGW_REGT_SZ || *type == MGW_REGT_EXPAND_SZ || *type == MGW_REGT_MULTI_SZ;
        return ps->version == 4 && text ? widen_ansi(data) : MGW_OK;
    }
    char shown[120];
    return syntax(ps,
                  "unknown value type in '%s' (expected \"string\", dword:, hex: or "
                  "hex(N):)",
                  mgw_show_text(s, strlen(s), 20, shown, sizeof(shown)));
}

static int parse_value(parser *ps, const char *name, char *s)
{
    if (ps->key == NULL)
        return syntax(ps, "a value before the first [key] line");
    if (ps->key->deleted)
        return syntax(ps, "a value under a key deletion [-key]");
    s = skip_ws(s);
    if (*s != '=')
        return syntax(ps, "'=' expected after the value name");
    s = skip_ws(s + 1);
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    if (*s == '-') {
        if (!at_end(s + 1))
            return syntax(ps, "unexpected text after '=-'");
        return mgw_regkey_put(ps->key, name, MGW_REGT_NONE, NULL, 0, true) == MGW_OK
                   ? MGW_OK
                   : mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_regkey *key = ps->key; /* a hex list may read further lines */
    mgw_dbuf data;
    mgw_dbuf_init(&data);
    uint32_t type = 0;
    int r = parse_data(ps, s, &type, &data);
    if (r == MGW_OK && data.oom)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK && mgw_regkey_put(key, name, type, data.p, data.len, false) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_dbuf_free(&data);
    return r;
}

static int parse_line(parser *ps, char *s)
{
    s = skip_ws(s);
    if (*s == '\0' || *s == ';')
        return MGW_OK;
    if (*s == '[')
        return parse_key(ps, s + 1);
    if (*s == '@')
        return parse_value(ps, "", s + 1);
    if (*s != '"') {
        char shown[120];
        return syntax(ps, "unexpected text '%s' (expected [key], \"name\"=, @= or ;)",
                      mgw_show_text(s, strlen(s), 20, shown, sizeof(shown)));
    }
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    char *rest;
    int r = unquote(ps, s + 1, &name, &rest);
    if (r == MGW_OK && mgw_dbuf_putc(&name, 0) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK)
        r = parse_value(ps, (const char *)name.p, rest);
    mgw_dbuf_free(&name);
    return r;
}

static int parse_header(parser *ps)
{
    char *h = next_line(ps);
    h = h != NULL ? skip_ws(h) : NULL;
    if (h != NULL && strcmp(h, header_v5) == 0)
        ps->version = 5;
    else if (h != NULL && strcmp(h, header_v4) == 0)
        ps->version = 4;
    else
        return mgw_err(MGW_ERR_REG_SYNTAX,
                       "line 1: not a registry file (expected \"%s\" or \"%s\")", header_v5,
                       header_v4);
    return MGW_OK;
}

int mgw_regdoc_parse(const uint8_t *p, size_t n, mgw_regdoc *out)
{
    if (n > MGW_REG_MAX_FILE)
        return mgw_err(MGW_ERR_TOO_LARGE, "registry file larger than %u bytes", MGW_REG_MAX_FILE);
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    int r = decode(p, n, &text);
    if (r == MGW_OK && mgw_dbuf_putc(&text, 0) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_regdoc doc;
    mgw_regdoc_init(&doc);
    if (r == MGW_OK) {
        for (size_t i = 0; i + 1 < text.len; i++)
            if (text.p[i] == '\n')
                text.p[i] = '\0';
        parser ps = {(char *)text.p, (char *)text.p + text.len - 1, 0, 0, &doc, NULL};
        r = parse_header(&ps);
        for (char *ln; r == MGW_OK && (ln = next_line(&ps)) != NULL;)
            r = parse_line(&ps, ln);
    }
    mgw_dbuf_free(&text);
    if (r != MGW_OK) {
        mgw_regdoc_free(&doc);
        return r;
    }
    *out = doc;
    return MGW_OK;
}

/* ---- writer --------------------------------------------------------------- */

int mgw_regsz_to_utf8(const uint8_t *data, size_t len, mgw_dbuf *out)
{
    if (len < 2 || len % 2 != 0 || data[len - 1] != 0 || data[len - 2] != 0)
        return MGW_ERR_UTF8;
    for (size_t i = 0; i + 2 < len; i += 2)
        if (data[i] == 0 && data[i + 1] == 0)
            return MGW_ERR_UTF8;
    return mgw_utf16_to_utf8(data, len - 2, false, out);
}

int mgw_regsz_from_utf8(const char *s, mgw_dbuf *out)
{
    int r = mgw_utf8_to_utf16((const uint8_t *)s, strlen(s), false, out);
    if (r == MGW_OK && mgw_dbuf_put(out, "\0", 2) != MGW_OK)
        r = MGW_ERR_NO_MEMORY;
    return r;
}

/* Length in UTF-16 units, as regedit counts line length. */
static size_t utf16_units(const uint8_t *p, size_t n)
{
    size_t units = 0;
    for (size_t i = 0; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            units += (p[i] & 0xF8) == 0xF0 ? 2 : 1;
    return units;
}

static void put_escaped(mgw_dbuf *b, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\\':
            mgw_dbuf_puts(b, "\\\\");
            break;
        case '"':
            mgw_dbuf_puts(b, "\\\"");
            break;
        case '\r':
            mgw_dbuf_puts(b, "\\r");
            break;
        case '\n':
            mgw_dbuf_puts(b, "\\n");
            break;
        default:
            mgw_dbuf_putc(b, s[i]);
        }
    }
}

/* regedit's hex list: "xx," per byte, and after a byte that brings the line to
 * 77 characters or more, "\" and a new line indented by two spaces. */
static void put_hex(mgw_dbuf *b, uint32_t type, size_t line_len, const uint8_t *p, size_t n)
{
    size_t start = b->len;
    if (type == MGW_REGT_BINARY)
        mgw_dbuf_puts(b, "hex:");
    else
        mgw_dbuf_printf(b, "hex(%x):", type);
    line_len += b->len - start;
    for (size_t i = 0; i < n; i++) {
        mgw_dbuf_printf(b, "%02x", p[i]);
        if (i + 1 == n)
            break;
        mgw_dbuf_putc(b, ',');
        line_len += 3;
        if (line_len >= 77) {
            mgw_dbuf_puts(b, "\\\r\n  ");
            line_len = 2;
        }
    }
}

static void put_value(mgw_dbuf *b, const mgw_regval *v)
{
    size_t start = b->len;
    if (v->name[0] == '\0') {
        mgw_dbuf_puts(b, "@=");
    } else {
        mgw_dbuf_putc(b, '"');
        put_escaped(b, (const uint8_t *)v->name, strlen(v->name));
        mgw_dbuf_puts(b, "\"=");
    }
    size_t line_len = utf16_units(b->p + start, b->len - start);
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    if (v->deleted) {
        mgw_dbuf_putc(b, '-');
    } else if (v->type == MGW_REGT_SZ && mgw_regsz_to_utf8(v->data, v->len, &text) == MGW_OK) {
        mgw_dbuf_putc(b, '"');
        put_escaped(b, text.p, text.len);
        mgw_dbuf_putc(b, '"');
    } else if (v->type == MGW_REGT_DWORD && v->len == 4) {
        mgw_dbuf_printf(b, "dword:%08x",
                        (unsigned)(v->data[0] | v->data[1] << 8 | v->data[2] << 16 |
                                   (uint32_t)v->data[3] << 24));
    } else {
        put_hex(b, v->type, line_len, v->data, v->len);
    }
    if (text.oom) /* the string would be written as hex: do not hand that out */
        b->oom = true;
    mgw_dbuf_free(&text);
    mgw_dbuf_puts(b, "\r\n");
}

int mgw_regdoc_write(const mgw_regdoc *d, mgw_dbuf *out)
{
    mgw_dbuf t;
    mgw_dbuf_init(&t);
    mgw_dbuf_printf(&t, "%s\r\n", header_v5);
    for (size_t i = 0; i < d->n_keys; i++) {
        const mgw_regkey *k = &d->keys[i];
        /* whatever its source, a path must not break the format */
        if (has_control(k->path, strlen(k->path))) {
            char shown[400];
            mgw_dbuf_free(&t);
            return mgw_err(MGW_ERR_REG_SYNTAX,
                           "key '%s' has a control character: it cannot be written to a .reg "
                           "file",
                           mgw_show_text(k->path, strlen(k->path), 80, shown, sizeof(shown)));
        }
        mgw_dbuf_printf(&t, "\r\n[%s%s]\r\n", k->deleted ? "-" : "", k->path);
        for (size_t j = 0; j < k->n_vals; j++)
            put_value(&t, &k->vals[j]);
    }
    mgw_dbuf_puts(&t, "\r\n");
    int r = t.oom ? MGW_ERR_NO_MEMORY : MGW_OK;
    if (r == MGW_OK && mgw_dbuf_put(out, "\xFF\xFE", 2) != MGW_OK)
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK)
        r = mgw_utf8_to_utf16(t.p, t.len, false, out);
    mgw_dbuf_free(&t);
    return r == MGW_OK ? MGW_OK : mgw_err(r, NULL);
}

/* ---- display ------------------------------------------------------------------ */

const char *mgw_regtype_name(uint32_t type, char buf[16])
{
    static const char *const names[] = {"REG_NONE",
                                        "REG_SZ",
                                        "REG_EXPAND_SZ",
                                        "REG_BINARY",
                                        "REG_DWORD",
                                        "REG_DWORD_BIG_ENDIAN",
                                        "REG_LINK",
                                        "REG_MULTI_SZ",
                                        "REG_RESOURCE_LIST",
                                        "REG_FULL_RESOURCE_DESCRIPTOR",
                                        "REG_RESOURCE_REQUIREMENTS_LIST",
                                        "REG_QWORD"};
    if (type < sizeof(names) / sizeof(names[0]))
        return names[type];
    snprintf(buf, 16, "hex(%x)", (unsigned)type);
    return buf;
}

static int format_multi_sz(const uint8_t *data, size_t len, mgw_dbuf *out)
{
    if (len < 2 || len % 2 != 0 || data[len - 1] != 0 || data[len - 2] != 0)
        return MGW_ERR_UTF8;
    size_t start = 0;
    bool first = true;
    for (size_t i = 0; i < len; i += 2) {
        if (data[i] != 0 || data[i + 1] != 0)
            continue;
        if (i == start) /* the list's final empty string */
            break;
        mgw_dbuf_puts(out, first ? "\"" : ", \"");
        if (mgw_utf16_to_utf8(data + start, i - start, false, out) != MGW_OK)
            return MGW_ERR_UTF8;
        mgw_dbuf_putc(out, '"');
        first = false;
        start = i + 2;
    }
    if (first)
        mgw_dbuf_puts(out, "(empty list)");
    return MGW_OK;
}

int mgw_regval_format(uint32_t type, const uint8_t *data, size_t len, mgw_dbuf *out)
{
    size_t mark = out->len;
    if (type == MGW_REGT_DWORD && len == 4) {
        uint32_t v = data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
        return mgw_dbuf_printf(out, "0x%08x (%u)", (unsigned)v, (unsigned)v);
    }
    if (type == MGW_REGT_QWORD && len == 8) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
            v = v << 8 | data[i];
        return mgw_dbuf_printf(out, "0x%016llx", (unsigned long long)v);
    }
    if (type == MGW_REGT_SZ || type == MGW_REGT_EXPAND_SZ) {
        mgw_dbuf_putc(out, '"');
        if (mgw_regsz_to_utf8(data, len, out) == MGW_OK)
            return mgw_dbuf_putc(out, '"');
        out->len = mark;
    }
    if (type == MGW_REGT_MULTI_SZ) {
        if (format_multi_sz(data, len, out) == MGW_OK)
            return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
        out->len = mark;
    }
    if (len == 0)
        return mgw_dbuf_puts(out, "(no data)");
    for (size_t i = 0; i < len && i < 24; i++)
        mgw_dbuf_printf(out, "%s%02x", i > 0 ? " " : "", data[i]);
    if (len > 24)
        mgw_dbuf_printf(out, " ... (%zu bytes)", len);
    return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}
