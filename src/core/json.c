/* JSON (json.h). The reader is for plan files: they come from disk and may
 * have been edited, so it caps depth and size and reports the line of the
 * first problem. The writers are the pieces every description shares. */
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 16
#define JSON_MAX_NODES 200000 /* values in one file (a plan of 1000 items has ~20,000) */
#define JSON_MAX_MEMBERS 256  /* members of one object */

typedef struct {
    const uint8_t *p, *end, *start;
    size_t nodes;
} jreader;

static int jerr(const jreader *r, const char *what)
{
    size_t line = 1;
    for (const uint8_t *q = r->start; q < r->p && q < r->end; q++)
        line += *q == '\n';
    return mgw_err(MGW_ERR_REG_PLAN, "plan file, line %zu: %s", line, what);
}

static void skip_ws(jreader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(jreader *r, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = r->p < r->end ? mgw_hex_value(*r->p) : -1;
        if (h < 0)
            return jerr(r, "invalid \\u escape");
        *v = *v << 4 | (uint32_t)h;
        r->p++;
    }
    return MGW_OK;
}

static int parse_escape(jreader *r, mgw_dbuf *out)
{
    if (r->p >= r->end)
        return jerr(r, "unterminated string");
    uint8_t c = *r->p++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = c != 0 ? strchr(from, c) : NULL;
    if (hit != NULL)
        return mgw_dbuf_putc(out, (uint8_t)to[hit - from]);
    if (c != 'u')
        return jerr(r, "invalid escape in a string");
    uint32_t cp, lo;
    int rc = hex4(r, &cp);
    if (rc != MGW_OK)
        return rc;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
            return jerr(r, "unpaired surrogate in a \\u escape");
        r->p += 2;
        if ((rc = hex4(r, &lo)) != MGW_OK)
            return rc;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return jerr(r, "unpaired surrogate in a \\u escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
        return jerr(r, "invalid code point in a \\u escape");
    }
    return mgw_utf8_put(out, cp);
}

static int parse_string(jreader *r, char **out)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    r->p++; /* opening quote */
    int rc = MGW_OK;
    while (rc == MGW_OK) {
        if (r->p >= r->end) {
            rc = jerr(r, "unterminated string");
            break;
        }
        uint8_t c = *r->p;
        if (c == '"') {
            r->p++;
            break;
        }
        if (c < 0x20) {
            rc = jerr(r, "control character in a string");
        } else if (c == '\\') {
            r->p++;
            rc = parse_escape(r, &b);
        } else {
            uint32_t cp;
            size_t k = mgw_utf8_decode(r->p, (size_t)(r->end - r->p), &cp);
            if (k == 0)
                rc = jerr(r, "invalid UTF-8 in a string");
            else
                rc = mgw_dbuf_put(&b, r->p, k), r->p += k;
        }
    }
    if (rc == MGW_OK && mgw_dbuf_putc(&b, 0) != MGW_OK)
        rc = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (rc == MGW_OK) {
        *out = mgw_strndup((const char *)b.p, b.len - 1);
        if (*out == NULL)
            rc = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_dbuf_free(&b);
    return rc;
}

static int parse_number(jreader *r, mgw_json *v)
{
    const uint8_t *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    size_t digits = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++, digits++;
    if (digits == 0 || (digits > 1 && s[*s == '-'] == '0'))
        return jerr(r, "invalid number");
    if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
        return jerr(r, "only whole numbers are expected");
    if (digits > 18)
        return jerr(r, "number too large");
    /* The input need not be NUL-terminated: no strtoll. */
    long long num = 0;
    for (const uint8_t *q = s + (*s == '-'); q < r->p; q++)
        num = num * 10 + (*q - '0');
    v->type = MGW_JSON_NUMBER;
    v->num = *s == '-' ? -num : num;
    return MGW_OK;
}

static int parse_value(jreader *r, mgw_json *v, unsigned depth);

static int add_member(mgw_json *v, mgw_json *item, char *key)
{
    /* capacity is the next power of two: grown by doubling, not per member */
    mgw_json *ni = v->items;
    if (v->n == 0 || (v->n & (v->n - 1)) == 0) {
        ni = realloc(v->items, (v->n == 0 ? 4 : v->n * 2) * sizeof(*ni));
        if (ni == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    v->items = ni;
    ni[v->n] = *item;
    ni[v->n].key = key;
    v->n++;
    return MGW_OK;
}

/* Arrays and objects: members separated by commas up to `close`. */
static int parse_container(jreader *r, mgw_json *v, unsigned depth)
{
    bool obj = *r->p == '{';
    uint8_t close = obj ? '}' : ']';
    v->type = obj ? MGW_JSON_OBJECT : MGW_JSON_ARRAY;
    if (depth >= JSON_MAX_DEPTH)
        return jerr(r, "nesting too deep");
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return MGW_OK;
    }
    for (;;) {
        char *key = NULL;
        int rc = MGW_OK;
        skip_ws(r);
        if (obj) {
            if (r->p >= r->end || *r->p != '"')
                return jerr(r, "a member name expected");
            if ((rc = parse_string(r, &key)) != MGW_OK)
                return rc;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                return jerr(r, "':' expected");
            }
            r->p++;
            if (v->n >= JSON_MAX_MEMBERS) {
                free(key);
                return jerr(r, "an object with too many members");
            }
            for (size_t k = 0; k < v->n; k++)
                if (strcmp(v->items[k].key, key) == 0) {
                    free(key);
                    return jerr(r, "a member name appears twice in one object");
                }
        }
        mgw_json item;
        memset(&item, 0, sizeof(item));
        if ((rc = parse_value(r, &item, depth + 1)) != MGW_OK ||
            (rc = add_member(v, &item, key)) != MGW_OK) {
            mgw_json_free(&item);
            free(key);
            return rc;
        }
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return MGW_OK;
        }
        return jerr(r, obj ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static bool literal(jreader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static int parse_value(jreader *r, mgw_json *v, unsigned depth)
{
    skip_ws(r);
    if (r->p >= r->end)
        return jerr(r, "unexpected end of the file");
    if (++r->nodes > JSON_MAX_NODES)
        return jerr(r, "too many values for a plan file");
    uint8_t c = *r->p;
    if (c == '{' || c == '[')
        return parse_container(r, v, depth);
    if (c == '"') {
        v->type = MGW_JSON_STRING;
        return parse_string(r, &v->str);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(r, v);
    if (literal(r, "true") || literal(r, "false")) {
        v->type = MGW_JSON_BOOL;
        v->num = r->p[-1] == 'e' && r->p[-2] == 'u';
        return MGW_OK;
    }
    if (literal(r, "null")) {
        v->type = MGW_JSON_NULL;
        return MGW_OK;
    }
    return jerr(r, "unexpected character");
}

int mgw_json_parse(const uint8_t *p, size_t n, mgw_json *out)
{
    jreader r = {p, p + n, p, 0};
    memset(out, 0, sizeof(*out));
    int rc = parse_value(&r, out, 0);
    if (rc == MGW_OK) {
        skip_ws(&r);
        if (r.p != r.end)
            rc = jerr(&r, "unexpected text after the end");
    }
    if (rc != MGW_OK)
        mgw_json_free(out);
    return rc;
}

void mgw_json_free(mgw_json *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i].key);
        v->items[i].key = NULL;
        mgw_json_free(&v->items[i]);
    }
    free(v->items);
    free(v->str);
    memset(v, 0, sizeof(*v));
}

const mgw_json *mgw_json_get(const mgw_json *obj, const char *key, int type)
{
    if (obj == NULL || obj->type != MGW_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->items[i].key, key) == 0)
            return obj->items[i].type == type ? &obj->items[i] : NULL;
    return NULL;
}

char *mgw_json_dup(const mgw_json *obj, const char *key, bool *oom)
{
    const mgw_json *s = mgw_json_get(obj, key, MGW_JSON_STRING);
    char *copy = s != NULL ? mgw_strdup(s->str) : NULL;
    if (s != NULL && copy == NULL)
        *oom = true;
    return copy;
}

/* ---- writing ------------------------------------------------------------------- */

int mgw_json_string(mgw_dbuf *b, const char *s, size_t n)
{
    mgw_dbuf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            mgw_dbuf_putc(b, '\\');
            mgw_dbuf_putc(b, c);
        } else if (c < 0x20 || c == 0x7F) {
            mgw_dbuf_printf(b, "\\u%04x", c);
        } else {
            mgw_dbuf_putc(b, c);
        }
    }
    mgw_dbuf_putc(b, '"');
    return b->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

void mgw_json_str(mgw_dbuf *b, const char *s)
{
    if (s != NULL)
        mgw_json_string(b, s, strlen(s));
    else
        mgw_dbuf_puts(b, "null");
}

void mgw_json_field(mgw_dbuf *b, const char *key, const char *value, bool comma)
{
    mgw_json_str(b, key);
    mgw_dbuf_putc(b, ':');
    mgw_json_str(b, value);
    if (comma)
        mgw_dbuf_putc(b, ',');
}

int mgw_describe(const char *fn, const void *obj, int style, mgw_describe_fn text,
                 mgw_describe_fn json, char **out)
{
    if (obj == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (style != MGW_DESCRIBE_TEXT && style != MGW_DESCRIBE_JSON)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown description style %d", style);
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = (style == MGW_DESCRIBE_JSON ? json : text)(obj, &b);
    if (r == MGW_OK)
        r = mgw_dbuf_detach_str(&b, out);
    mgw_dbuf_free(&b);
    if (r != MGW_OK)
        return mgw_err(r, NULL);
    mgw_err_clear();
    return MGW_OK;
}

void mgw_json_plan_warnings(mgw_dbuf *b, char *const *v, size_t n)
{
    mgw_dbuf_puts(b, "\n  ],\n  \"warnings\": [");
    for (size_t i = 0; i < n; i++) {
        mgw_dbuf_puts(b, i == 0 ? "\n    " : ",\n    ");
        mgw_json_str(b, v[i]);
    }
    mgw_dbuf_puts(b, "\n  ]\n}\n");
}
