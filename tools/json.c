/* The tool's JSON reader: see json.h. */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_STRING (1u << 20)

typedef struct {
    const char *p, *start, *end;
    char *err;
    size_t err_size;
} reader;

static int fail(reader *r, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(r->err, r->err_size, "offset %zu: %s", (size_t)(r->p - r->start), msg);
    return -1;
}

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool take(reader *r, char c)
{
    skip_space(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return true;
    }
    return false;
}

static int hex4(reader *r, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++, r->p++) {
        char c = r->p < r->end ? *r->p : '\0';
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16)
            return fail(r, "bad \\u escape");
        *v = *v << 4 | d;
    }
    return 0;
}

/* A \u escape (after the u) as UTF-8 into out; returns its length or -1. */
static int unicode_escape(reader *r, char out[4])
{
    unsigned c, lo;
    if (hex4(r, &c) != 0)
        return -1;
    if (c >= 0xDC00 && c <= 0xDFFF)
        return fail(r, "lone low surrogate");
    if (c >= 0xD800 && c <= 0xDBFF) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return fail(r, "lone high surrogate");
        r->p += 2;
        if (hex4(r, &lo) != 0)
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(r, "high surrogate without its low surrogate");
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (char)(0x80 | (c >> 6 & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A string (the reader is at its opening quote) into a malloc'ed copy. The
 * decoded text is never longer than the source. */
static int string(reader *r, char **out, size_t *out_len)
{
    const char *close = r->p + 1;
    while (close < r->end && *close != '"')
        close += *close == '\\' && close + 1 < r->end ? 2 : 1;
    if (close >= r->end)
        return fail(r, "unterminated string");
    size_t cap = (size_t)(close - r->p);
    if (cap > JSON_MAX_STRING)
        return fail(r, "string longer than %u bytes", JSON_MAX_STRING);
    char *s = malloc(cap + 1);
    if (s == NULL)
        return fail(r, "out of memory");
    size_t n = 0;
    r->p++;
    while (*r->p != '"') {
        unsigned char c = (unsigned char)*r->p++;
        if (c < 0x20) {
            free(s);
            r->p--;
            return fail(r, "control character in a string");
        }
        if (c != '\\') {
            s[n++] = (char)c;
            continue;
        }
        static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
        const char *k = strchr(plain, *r->p);
        if (*r->p != '\0' && k != NULL) {
            s[n++] = decoded[k - plain];
            r->p++;
        } else if (*r->p == 'u') {
            r->p++;
            int w = unicode_escape(r, s + n);
            if (w < 0) {
                free(s);
                return -1;
            }
            n += (size_t)w;
        } else {
            free(s);
            return fail(r, "unknown escape \\%c", *r->p);
        }
    }
    r->p++;
    s[n] = '\0';
    *out = s;
    *out_len = n;
    return 0;
}

static int number(reader *r, json_value *v)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    size_t digits = 0;
    bool leading_zero = r->p < r->end && *r->p == '0';
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++, digits++;
    if (digits == 0 || (leading_zero && digits > 1))
        return fail(r, "bad number");
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        for (digits = 0; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++)
            digits++;
        if (digits == 0)
            return fail(r, "bad number");
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        for (digits = 0; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++)
            digits++;
        if (digits == 0)
            return fail(r, "bad number");
    }
    v->len = (size_t)(r->p - s);
    if ((v->text = malloc(v->len + 1)) == NULL)
        return fail(r, "out of memory");
    memcpy(v->text, s, v->len);
    v->text[v->len] = '\0';
    v->type = JSON_NUMBER;
    return 0;
}

static int value(reader *r, json_value *v, int depth);

/* One more element of an array or member of an object, grown by doubling. */
static json_value *grow(reader *r, json_value *v, bool object)
{
    if (v->count == 0 || (v->count >= 4 && (v->count & (v->count - 1)) == 0)) { /* full */
        size_t cap = v->count == 0 ? 4 : v->count * 2;
        json_value *items = realloc(v->items, cap * sizeof(*items));
        if (items != NULL)
            v->items = items;
        char **keys = object && items != NULL ? realloc(v->keys, cap * sizeof(*keys)) : NULL;
        if (keys != NULL)
            v->keys = keys;
        if (items == NULL || (object && keys == NULL)) {
            fail(r, "out of memory");
            return NULL;
        }
    }
    json_value *e = &v->items[v->count];
    memset(e, 0, sizeof(*e));
    if (object)
        v->keys[v->count] = NULL;
    v->count++;
    return e;
}

static int container(reader *r, json_value *v, int depth, bool object)
{
    char close = object ? '}' : ']';
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    r->p++;
    if (take(r, close))
        return 0;
    do {
        json_value *e = grow(r, v, object);
        if (e == NULL)
            return -1;
        if (object) {
            size_t klen;
            skip_space(r);
            if (r->p >= r->end || *r->p != '"')
                return fail(r, "expected a member name");
            if (string(r, &v->keys[v->count - 1], &klen) != 0)
                return -1;
            if (strlen(v->keys[v->count - 1]) != klen)
                return fail(r, "U+0000 in a member name");
            for (size_t i = 0; i + 1 < v->count; i++)
                if (strcmp(v->keys[i], v->keys[v->count - 1]) == 0)
                    return fail(r, "member \"%s\" twice", v->keys[i]);
            if (!take(r, ':'))
                return fail(r, "expected :");
        }
        if (value(r, e, depth + 1) != 0)
            return -1;
    } while (take(r, ','));
    if (!take(r, close))
        return fail(r, "expected , or %c", close);
    return 0;
}

static bool literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->p += n;
    return true;
}

static int value(reader *r, json_value *v, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(r, "nested deeper than %d", JSON_MAX_DEPTH);
    skip_space(r);
    if (r->p >= r->end)
        return fail(r, "expected a value");
    switch (*r->p) {
    case '{':
    case '[':
        return container(r, v, depth, *r->p == '{');
    case '"':
        v->type = JSON_STRING;
        return string(r, &v->text, &v->len);
    case 't':
    case 'f':
    case 'n':
        if (literal(r, "true"))
            v->type = JSON_TRUE;
        else if (literal(r, "false"))
            v->type = JSON_FALSE;
        else if (literal(r, "null"))
            v->type = JSON_NULL;
        else
            return fail(r, "expected a value");
        return 0;
    default:
        return number(r, v);
    }
}

int json_parse(const char *text, size_t len, json_value *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    reader r = {text, text, text + len, err, err_size};
    if (value(&r, out, 0) != 0)
        return -1;
    skip_space(&r);
    if (r.p != r.end)
        return fail(&r, "text after the value");
    return 0;
}

void json_free(json_value *v)
{
    for (size_t i = 0; i < v->count; i++) {
        json_free(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    memset(v, 0, sizeof(*v));
}

const json_value *json_get(const json_value *v, const char *key)
{
    if (v == NULL || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->keys[i], key) == 0)
            return &v->items[i];
    return NULL;
}

const char *json_get_string(const json_value *v, const char *key)
{
    const json_value *m = json_get(v, key);
    return m != NULL && m->type == JSON_STRING ? m->text : NULL;
}
