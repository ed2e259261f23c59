/* DER writing and strict DER reading. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t der_len_header(uint8_t *hdr, unsigned tag, size_t n)
{
    size_t h = 0;
    hdr[h++] = (uint8_t)tag;
    if (n < 0x80) {
        hdr[h++] = (uint8_t)n;
        return h;
    }
    uint8_t tmp[sizeof(size_t)];
    size_t k = 0;
    for (size_t v = n; v > 0; v >>= 8)
        tmp[k++] = (uint8_t)(v & 0xFF);
    hdr[h++] = (uint8_t)(0x80 | k);
    while (k > 0)
        hdr[h++] = tmp[--k];
    return h;
}

int mgw_der_put(mgw_dbuf *b, unsigned tag, const void *content, size_t n)
{
    uint8_t hdr[2 + sizeof(size_t)];
    size_t h = der_len_header(hdr, tag, n);
    if (mgw_dbuf_put(b, hdr, h) != MGW_OK || mgw_dbuf_put(b, content, n) != MGW_OK)
        return MGW_ERR_NO_MEMORY;
    return MGW_OK;
}

size_t mgw_der_open(mgw_dbuf *b)
{
    return b->len;
}

int mgw_der_close(mgw_dbuf *b, unsigned tag, size_t mark)
{
    if (b->oom)
        return MGW_ERR_NO_MEMORY;
    if (mark > b->len)
        return MGW_ERR_INTERNAL;
    uint8_t hdr[2 + sizeof(size_t)];
    size_t h = der_len_header(hdr, tag, b->len - mark);
    return mgw_dbuf_insert(b, mark, hdr, h);
}

int mgw_der_put_uint(mgw_dbuf *b, const uint8_t *mag, size_t n)
{
    while (n > 1 && mag[0] == 0) {
        mag++;
        n--;
    }
    size_t mark = mgw_der_open(b);
    if (n == 0 || (mag[0] & 0x80))
        mgw_dbuf_putc(b, 0);
    if (n > 0)
        mgw_dbuf_put(b, mag, n);
    return mgw_der_close(b, MGW_ASN1_INTEGER, mark);
}

int mgw_der_put_small_int(mgw_dbuf *b, long v)
{
    if (v < 0)
        return MGW_ERR_INTERNAL; /* only non-negative values are ever written */
    uint8_t tmp[sizeof(long)];
    size_t k = sizeof(tmp);
    unsigned long u = (unsigned long)v;
    do {
        tmp[--k] = (uint8_t)(u & 0xFF);
        u >>= 8;
    } while (u > 0);
    return mgw_der_put_uint(b, tmp + k, sizeof(tmp) - k);
}

static int put_base128(mgw_dbuf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t k = sizeof(tmp);
    tmp[--k] = (uint8_t)(v & 0x7F);
    v >>= 7;
    while (v > 0) {
        tmp[--k] = (uint8_t)(0x80 | (v & 0x7F));
        v >>= 7;
    }
    return mgw_dbuf_put(b, tmp + k, sizeof(tmp) - k);
}

int mgw_oid_from_text(const char *s, mgw_dbuf *content)
{
    uint64_t arcs[64];
    size_t n = 0;
    const char *p = s;
    for (;;) {
        if (*p < '0' || *p > '9' || n == 64)
            return MGW_ERR_INVALID_ARGUMENT;
        if (*p == '0' && p[1] >= '0' && p[1] <= '9')
            return MGW_ERR_INVALID_ARGUMENT; /* no leading zeros */
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            uint64_t digit = (uint64_t)(*p++ - '0');
            if (v > (UINT64_MAX - digit) / 10)
                return MGW_ERR_INVALID_ARGUMENT; /* arcs beyond 64 bits are not supported */
            v = v * 10 + digit;
        }
        arcs[n++] = v;
        if (*p == '\0')
            break;
        if (*p++ != '.')
            return MGW_ERR_INVALID_ARGUMENT;
    }
    if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) || arcs[1] > UINT64_MAX - 80)
        return MGW_ERR_INVALID_ARGUMENT;
    if (put_base128(content, arcs[0] * 40 + arcs[1]) != MGW_OK)
        return MGW_ERR_NO_MEMORY;
    for (size_t i = 2; i < n; i++)
        if (put_base128(content, arcs[i]) != MGW_OK)
            return MGW_ERR_NO_MEMORY;
    return MGW_OK;
}

int mgw_der_put_oid_text(mgw_dbuf *b, const char *dotted)
{
    mgw_dbuf c;
    mgw_dbuf_init(&c);
    int r = mgw_oid_from_text(dotted, &c);
    if (r == MGW_OK)
        r = mgw_der_put(b, MGW_ASN1_OID, c.p, c.len);
    else if (r == MGW_ERR_NO_MEMORY || c.oom)
        b->oom = true; /* writers check b once at the end: it must not look complete */
    mgw_dbuf_free(&c);
    return r;
}

int mgw_oid_to_text(const uint8_t *p, size_t n, char *buf, size_t bufsz)
{
    size_t pos = 0;
    bool first = true;
    if (n == 0 || bufsz == 0)
        return MGW_ERR_DER;
    size_t i = 0;
    while (i < n) {
        uint64_t v = 0;
        if (p[i] == 0x80)
            return MGW_ERR_DER; /* non-minimal arc */
        do {
            if (v > (UINT64_MAX >> 7))
                return MGW_ERR_DER;
            v = (v << 7) | (p[i] & 0x7F);
        } while ((p[i++] & 0x80) && i < n);
        if (p[i - 1] & 0x80)
            return MGW_ERR_DER; /* truncated arc */
        int w;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            w = snprintf(buf + pos, bufsz - pos, "%u.%llu", a,
                         (unsigned long long)(v - 40ULL * a));
            first = false;
        } else {
            w = snprintf(buf + pos, bufsz - pos, ".%llu", (unsigned long long)v);
        }
        if (w < 0 || (size_t)w >= bufsz - pos)
            return MGW_ERR_TOO_LARGE;
        pos += (size_t)w;
    }
    return MGW_OK;
}

void mgw_der_reader_init(mgw_der_reader *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = p + n;
    r->depth = 0;
}

int mgw_der_reader_sub(mgw_der_reader *sub, const mgw_der_reader *parent, mgw_span content)
{
    if (parent->depth + 1 > MGW_DER_MAX_DEPTH)
        return mgw_err(MGW_ERR_DER, "DER nesting deeper than %d levels", MGW_DER_MAX_DEPTH);
    sub->p = content.p;
    sub->end = content.p + content.len;
    sub->depth = parent->depth + 1;
    return MGW_OK;
}

bool mgw_der_at_end(const mgw_der_reader *r)
{
    return r->p >= r->end;
}

bool mgw_der_peek(const mgw_der_reader *r, unsigned *tag)
{
    if (r->p >= r->end)
        return false;
    *tag = r->p[0];
    return true;
}

int mgw_der_next(mgw_der_reader *r, unsigned *tag, mgw_span *content, mgw_span *whole)
{
    const uint8_t *p = r->p;
    size_t avail = (size_t)(r->end - p);
    if (avail < 2)
        return mgw_err(MGW_ERR_DER, "DER: truncated element");
    unsigned t = p[0];
    if ((t & 0x1F) == 0x1F)
        return mgw_err(MGW_ERR_DER, "DER: multi-byte tags are not supported");
    size_t len, h;
    if (p[1] < 0x80) {
        len = p[1];
        h = 2;
    } else {
        size_t k = p[1] & 0x7F;
        if (k == 0)
            return mgw_err(MGW_ERR_DER, "DER: indefinite length");
        if (k > 4)
            return mgw_err(MGW_ERR_DER, "DER: length field too long");
        if (avail < 2 + k)
            return mgw_err(MGW_ERR_DER, "DER: truncated length");
        if (p[2] == 0)
            return mgw_err(MGW_ERR_DER, "DER: non-minimal length");
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = (len << 8) | p[2 + i];
        if (len < 0x80)
            return mgw_err(MGW_ERR_DER, "DER: non-minimal length");
        h = 2 + k;
    }
    if (len > avail - h)
        return mgw_err(MGW_ERR_DER, "DER: element length %zu exceeds the %zu bytes left", len,
                       avail - h);
    if (tag != NULL)
        *tag = t;
    if (content != NULL) {
        content->p = p + h;
        content->len = len;
    }
    if (whole != NULL) {
        whole->p = p;
        whole->len = h + len;
    }
    r->p = p + h + len;
    return MGW_OK;
}

int mgw_der_expect(mgw_der_reader *r, unsigned tag, mgw_span *content)
{
    unsigned t;
    if (r->p >= r->end)
        return mgw_err(MGW_ERR_DER, "DER: expected tag 0x%02X, found end of data", tag);
    if (r->p[0] != tag)
        return mgw_err(MGW_ERR_DER, "DER: expected tag 0x%02X, found 0x%02X", tag, r->p[0]);
    return mgw_der_next(r, &t, content, NULL);
}

int mgw_der_get_small_uint(mgw_der_reader *r, uint64_t *v)
{
    mgw_span c;
    int rc = mgw_der_expect(r, MGW_ASN1_INTEGER, &c);
    if (rc != MGW_OK)
        return rc;
    if (c.len == 0 || (c.p[0] & 0x80))
        return mgw_err(MGW_ERR_DER, "DER: expected a non-negative INTEGER");
    if (c.len > 1 && c.p[0] == 0 && !(c.p[1] & 0x80))
        return mgw_err(MGW_ERR_DER, "DER: non-minimal INTEGER");
    size_t i = 0;
    if (c.p[0] == 0)
        i = 1;
    if (c.len - i > 8)
        return mgw_err(MGW_ERR_DER, "DER: INTEGER too large");
    uint64_t x = 0;
    for (; i < c.len; i++)
        x = (x << 8) | c.p[i];
    *v = x;
    return MGW_OK;
}

bool mgw_span_eq(mgw_span s, const void *p, size_t n)
{
    return s.len == n && memcmp(s.p, p, n) == 0;
}
