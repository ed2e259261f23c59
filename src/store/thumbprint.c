/* Thumbprints as people paste them, and sorted sets of them. */
#include "store/thumbprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dropped before the hex digits are counted: whitespace (ASCII and Unicode
 * spaces and line separators), the separators ':' and '-', and the invisible
 * format characters that dialogs and web pages carry along: U+200E above all,
 * which the Windows certificate dialog puts in front of a copied thumbprint
 * (KB 2023835), and its bidi, zero-width and BOM relatives. */
static bool is_dropped(uint32_t cp)
{
    switch (cp) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case ':':
    case '-':
    case 0x00A0: /* no-break space */
    case 0x00AD: /* soft hyphen */
    case 0x061C: /* Arabic letter mark */
    case 0x1680:
    case 0x180E:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF: /* zero-width no-break space, BOM */
        return true;
    default:
        break;
    }
    return (cp >= 0x2000 && cp <= 0x200F) || /* spaces, ZWSP, ZWNJ, ZWJ, LRM, RLM */
           (cp >= 0x2028 && cp <= 0x202E) || /* line/paragraph separator, embeddings */
           (cp >= 0x2060 && cp <= 0x2064) || /* word joiner, invisible operators */
           (cp >= 0x2066 && cp <= 0x206F);   /* isolates, deprecated format characters */
}

/* The input as the error shows it: invisible and control characters as
 * <U+XXXX>, bytes that are not UTF-8 as <0xXX>, at most 64 characters. */
static void show_input(const uint8_t *p, size_t n, mgw_dbuf *out)
{
    size_t chars = 0;
    for (size_t i = 0; i < n;) {
        if (++chars > 64) {
            mgw_dbuf_puts(out, "...");
            return;
        }
        uint32_t cp;
        size_t l = mgw_utf8_decode(p + i, n - i, &cp);
        if (l == 0) {
            mgw_dbuf_printf(out, "<0x%02X>", p[i]);
            i++;
            continue;
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp > 0x7F && is_dropped(cp)))
            mgw_dbuf_printf(out, "<U+%04X>", (unsigned)cp);
        else
            mgw_dbuf_put(out, p + i, l);
        i += l;
    }
}

static int thumb_error(const uint8_t *p, size_t n, const char *fmt, ...) MGW_PRINTF(3, 4);

static int thumb_error(const uint8_t *p, size_t n, const char *fmt, ...)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "thumbprint \"");
    show_input(p, n, &b);
    mgw_dbuf_puts(&b, "\": ");
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mgw_dbuf_puts(&b, msg);
    mgw_dbuf_putc(&b, '\0');
    int r = b.oom ? mgw_err(MGW_ERR_THUMBPRINT, "%s", msg)
                  : mgw_err(MGW_ERR_THUMBPRINT, "%s", (const char *)b.p);
    mgw_dbuf_free(&b);
    return r;
}

static int bad_character(const uint8_t *p, size_t n, uint32_t cp, size_t pos)
{
    /* A U+200E that went through a non-Unicode code page arrives as '?'. */
    const char *hint = cp == '?' && pos == 1 ? " (an invisible U+200E saved as '?'?)" : "";
    if (cp > 0x20 && cp < 0x7F)
        return thumb_error(p, n, "'%c' at position %zu is not a hex digit%s", (char)cp, pos, hint);
    return thumb_error(p, n, "U+%04X at position %zu is not a hex digit", (unsigned)cp, pos);
}

int mgw_thumb_parse(const char *text, size_t n, mgw_thumb *out)
{
    const uint8_t *p = (const uint8_t *)text;
    mgw_thumb t;
    memset(&t, 0, sizeof(t));
    size_t digits = 0, pos = 0, extra_at = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = mgw_utf8_decode(p + i, n - i, &cp);
        pos++;
        if (l == 0)
            return thumb_error(p, n, "invalid UTF-8 at byte %zu", i + 1);
        i += l;
        if (is_dropped(cp))
            continue;
        int v = cp < 0x80 ? mgw_hex_value((int)cp) : -1;
        if (v < 0)
            return bad_character(p, n, cp, pos);
        if (digits == 40)
            extra_at = pos;
        if (digits == 64)
            return thumb_error(p, n, "more than 64 hex digits (the 65th at position %zu)", pos);
        t.d[digits / 2] = (uint8_t)(digits % 2 == 0 ? v << 4 : t.d[digits / 2] | v);
        digits++;
    }
    if (digits == 0)
        return thumb_error(p, n, "no hex digits");
    if (digits < 40)
        return thumb_error(p, n,
                           "%zu hex digits, not 40 (SHA-1) or 64 (SHA-256); the input ends at "
                           "position %zu",
                           digits, pos);
    if (digits != 40 && digits != 64)
        return thumb_error(p, n,
                           "%zu hex digits, not 40 (SHA-1) or 64 (SHA-256); the 41st is at "
                           "position %zu",
                           digits, extra_at);
    t.len = (uint8_t)(digits / 2);
    *out = t;
    return MGW_OK;
}

void mgw_thumb_hex(const mgw_thumb *t, char hex[65])
{
    mgw_hex_upper(t->d, t->len, hex);
}

void mgw_thumb_sha1(mgw_thumb *t, const uint8_t sha1[20])
{
    memset(t, 0, sizeof(*t));
    t->len = 20;
    memcpy(t->d, sha1, 20);
}

int mgw_thumb_cmp(const mgw_thumb *a, const mgw_thumb *b)
{
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->d, b->d, a->len);
}

MGW_API int mgw_thumbprint_normalize(const char *text, char **out)
{
    if (text == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_thumbprint_normalize: NULL argument");
    mgw_thumb t;
    int r = mgw_thumb_parse(text, strlen(text), &t);
    if (r != MGW_OK)
        return r;
    char hex[65];
    mgw_thumb_hex(&t, hex);
    r = mgw_out_str(hex, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

/* ---- sorted sets ---------------------------------------------------------------- */

void mgw_thumbset_init(mgw_thumbset *s)
{
    memset(s, 0, sizeof(*s));
}

void mgw_thumbset_free(mgw_thumbset *s)
{
    free(s->v);
    mgw_thumbset_init(s);
}

int mgw_thumbset_add(mgw_thumbset *s, const mgw_thumb *t, size_t index)
{
    mgw_thumbref *v = mgw_array_grow(s->v, &s->cap, s->n + 1, sizeof(*v));
    if (v == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    s->v = v;
    s->v[s->n].t = *t;
    s->v[s->n].index = index;
    s->n++;
    return MGW_OK;
}

static int ref_cmp(const void *a, const void *b)
{
    const mgw_thumbref *x = a, *y = b;
    int c = mgw_thumb_cmp(&x->t, &y->t);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

void mgw_thumbset_sort(mgw_thumbset *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(*s->v), ref_cmp);
    size_t w = 1;
    for (size_t i = 1; i < s->n; i++)
        if (mgw_thumb_cmp(&s->v[i].t, &s->v[w - 1].t) != 0)
            s->v[w++] = s->v[i];
    s->n = w;
}

const mgw_thumbref *mgw_thumbset_find(const mgw_thumbset *s, const mgw_thumb *t)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = mgw_thumb_cmp(&s->v[mid].t, t);
        if (c == 0)
            return &s->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
