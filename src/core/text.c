/* Text encodings: UTF-8, UTF-16, hex, Base64 and PEM armour. */
#include "core.h"

#include <stdio.h>
#include <string.h>

size_t mgw_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    uint8_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

bool mgw_utf8_valid(const uint8_t *p, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = mgw_utf8_decode(p + i, n - i, &cp);
        if (k == 0) {
            if (bad_at != NULL)
                *bad_at = i;
            return false;
        }
        i += k;
    }
    return true;
}

int mgw_utf8_put(mgw_dbuf *b, uint32_t cp)
{
    uint8_t t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        t[0] = (uint8_t)(0xC0 | (cp >> 6)), t[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xE0 | (cp >> 12)), t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        t[0] = (uint8_t)(0xF0 | (cp >> 18)), t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), t[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return mgw_dbuf_put(b, t, n);
}

static int put_u16(mgw_dbuf *out, uint32_t u, bool be)
{
    uint8_t t[2];
    if (be)
        t[0] = (uint8_t)(u >> 8), t[1] = (uint8_t)u;
    else
        t[0] = (uint8_t)u, t[1] = (uint8_t)(u >> 8);
    return mgw_dbuf_put(out, t, 2);
}

int mgw_utf8_to_utf16(const uint8_t *p, size_t n, bool be, mgw_dbuf *out)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = mgw_utf8_decode(p + i, n - i, &cp);
        if (k == 0)
            return mgw_err(MGW_ERR_UTF8, "invalid UTF-8 at byte %zu", i + 1);
        i += k;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put_u16(out, 0xD800 | (cp >> 10), be);
            put_u16(out, 0xDC00 | (cp & 0x3FF), be);
        } else {
            put_u16(out, cp, be);
        }
    }
    return out->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}

int mgw_utf16_to_utf8(const uint8_t *p, size_t n, bool be, mgw_dbuf *out)
{
    if (n % 2 != 0)
        return mgw_err(MGW_ERR_UTF8, "UTF-16 text has an odd number of bytes (%zu)", n);
    for (size_t i = 0; i < n; i += 2) {
        uint32_t u = be ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i + 1] << 8 | p[i]);
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i + 3 >= n)
                return mgw_err(MGW_ERR_UTF8, "unpaired UTF-16 surrogate at byte %zu", i + 1);
            uint32_t l = be ? (uint32_t)(p[i + 2] << 8 | p[i + 3])
                            : (uint32_t)(p[i + 3] << 8 | p[i + 2]);
            if (l < 0xDC00 || l > 0xDFFF)
                return mgw_err(MGW_ERR_UTF8, "unpaired UTF-16 surrogate at byte %zu", i + 1);
            u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
            i += 2;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return mgw_err(MGW_ERR_UTF8, "unpaired UTF-16 surrogate at byte %zu", i + 1);
        }
        mgw_utf8_put(out, u);
    }
    return out->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}

/* What text with NUL bytes but no BOM most likely is: UTF-32 or UTF-16 of
 * mostly ASCII, told apart by where the zero bytes fall; NULL if neither (a
 * stray NUL is left to the caller). */
static const char *guess_wide(const uint8_t *p, size_t n)
{
    size_t zeros[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        zeros[i % 4] += p[i] == 0;
    size_t quads = (n + 3) / 4;
    if (zeros[1] * 10 >= quads * 9 && zeros[2] * 10 >= quads * 9 && zeros[3] * 10 >= quads * 9)
        return "UTF-32LE";
    if (zeros[0] * 10 >= quads * 9 && zeros[1] * 10 >= quads * 9 && zeros[2] * 10 >= quads * 9)
        return "UTF-32BE";
    if ((zeros[1] + zeros[3]) * 10 >= (n / 2) * 9)
        return "UTF-16LE without BOM";
    if ((zeros[0] + zeros[2]) * 10 >= (n / 2) * 9)
        return "UTF-16BE without BOM";
    return NULL;
}

#define TEXT_HOW                                                                                 \
    "save it as UTF-8 (Notepad: Save As, Encoding UTF-8; PowerShell: Set-Content -Encoding "   \
    "UTF8) or as UTF-16LE with BOM (Notepad's Unicode, PowerShell's Out-File)"

static int wrong_encoding(const char *what, const char *encoding)
{
    return mgw_err(MGW_ERR_UTF8, "%s is %s text: %s", what, encoding, TEXT_HOW);
}

int mgw_text_decode(const uint8_t *p, size_t n, const char *what, mgw_dbuf *out)
{
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0)
        return wrong_encoding(what, "UTF-32LE");
    if (n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xFE && p[3] == 0xFF)
        return wrong_encoding(what, "UTF-32BE");
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        bool be = p[0] == 0xFE;
        int r = mgw_utf16_to_utf8(p + 2, n - 2, be, out);
        if (r == MGW_ERR_UTF8) {
            char detail[128];
            snprintf(detail, sizeof(detail), "%s", mgw_last_error());
            return mgw_err(MGW_ERR_UTF8, "%s: broken UTF-16%s text (%s)", what, be ? "BE" : "LE",
                           detail);
        }
        return r;
    }
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        p += 3, n -= 3;
    const char *wide = n > 0 && memchr(p, 0, n) != NULL ? guess_wide(p, n) : NULL;
    if (wide != NULL)
        return wrong_encoding(what, wide);
    size_t bad;
    if (!mgw_utf8_valid(p, n, &bad))
        return mgw_err(MGW_ERR_UTF8,
                       "%s is not UTF-8 (byte %zu; probably the ANSI code page, e.g. "
                       "Windows-1252): %s",
                       what, bad + 1, TEXT_HOW);
    return mgw_dbuf_put(out, p, n) == MGW_OK ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

void mgw_hex_upper(const uint8_t *p, size_t n, char *buf)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = digits[p[i] >> 4];
        buf[2 * i + 1] = digits[p[i] & 0xF];
    }
    buf[2 * n] = '\0';
}

int mgw_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mgw_base64_encode(const uint8_t *p, size_t n, size_t wrap, mgw_dbuf *out)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        for (int k = 0; k < 4; k++) {
            mgw_dbuf_putc(out, (uint8_t)q[k]);
            if (wrap > 0 && ++col == wrap) {
                mgw_dbuf_putc(out, '\n');
                col = 0;
            }
        }
    }
    if (wrap > 0 && col > 0)
        mgw_dbuf_putc(out, '\n');
    return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

static int b64_value(int c)
{
    const char *q = c != 0 ? strchr(b64, c) : NULL;
    return q == NULL ? -1 : (int)(q - b64);
}

int mgw_base64_decode(const char *s, size_t n, mgw_dbuf *out)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad > 0)
            return mgw_err(MGW_ERR_PEM, "invalid Base64 character");
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            mgw_dbuf_putc(out, (uint8_t)(acc >> bits));
        }
    }
    if (pad > 2 || (bits == 6) || (bits > 0 && (acc & ((1u << bits) - 1)) != 0))
        return mgw_err(MGW_ERR_PEM, "invalid Base64 padding");
    return out->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}

int mgw_pem_write(const char *label, const uint8_t *der, size_t n, mgw_dbuf *out)
{
    mgw_dbuf_printf(out, "-----BEGIN %s-----\n", label);
    mgw_base64_encode(der, n, 64, out);
    mgw_dbuf_printf(out, "-----END %s-----\n", label);
    return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

bool mgw_pem_label_ok(const char *label, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)label[i] < 0x20 || (unsigned char)label[i] > 0x7E)
            return false;
    return true;
}

bool mgw_is_pem(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return n - i >= 10 && memcmp(p + i, "-----BEGIN", 10) == 0;
}

static const uint8_t *find_bytes(const uint8_t *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

int mgw_pem_read(const uint8_t *text, size_t n, const char *label, mgw_dbuf *der,
                 char *found_label, size_t found_sz)
{
    const uint8_t *p = text, *end = text + n;
    for (;;) {
        const uint8_t *b = find_bytes(p, (size_t)(end - p), "-----BEGIN ");
        if (b == NULL)
            break;
        const uint8_t *lab = b + 11;
        const uint8_t *le = find_bytes(lab, (size_t)(end - lab), "-----");
        if (le == NULL || le - lab > 64)
            return mgw_err(MGW_ERR_PEM, "PEM: malformed BEGIN line");
        size_t ll = (size_t)(le - lab);
        if (!mgw_pem_label_ok((const char *)lab, ll)) {
            char shown[400];
            return mgw_err(MGW_ERR_PEM, "PEM: malformed BEGIN line (label '%s')",
                           mgw_show_text(lab, ll, 64, shown, sizeof(shown)));
        }
        p = le + 5;
        if (label != NULL && (strlen(label) != ll || memcmp(lab, label, ll) != 0))
            continue;
        char endline[96];
        memcpy(endline, "-----END ", 9);
        memcpy(endline + 9, lab, ll);
        memcpy(endline + 9 + ll, "-----", 6);
        const uint8_t *e = find_bytes(p, (size_t)(end - p), endline);
        if (e == NULL)
            return mgw_err(MGW_ERR_PEM, "PEM: no END line for %.*s", (int)ll, (const char *)lab);
        const uint8_t *body = p;
        /* Encrypted legacy PEM has headers ("Proc-Type:"); we do not read those. */
        if (find_bytes(body, (size_t)(e - body), ":") != NULL)
            return mgw_err(MGW_ERR_PEM, "PEM: headers (legacy encrypted PEM) are not supported");
        size_t before = der->len;
        int r = mgw_base64_decode((const char *)body, (size_t)(e - body), der);
        if (r != MGW_OK)
            return r;
        if (der->len == before)
            return mgw_err(MGW_ERR_PEM, "PEM: the %.*s block is empty", (int)ll,
                           (const char *)lab);
        if (found_label != NULL && found_sz > ll) {
            memcpy(found_label, lab, ll);
            found_label[ll] = '\0';
        }
        return MGW_OK;
    }
    return mgw_err(MGW_ERR_PEM, "PEM: no %s block found", label != NULL ? label : "");
}

/* Append s to buf[*at..bufsz) if it fits whole; false when it does not. */
static bool show_put(char *buf, size_t bufsz, size_t *at, const char *s, size_t n)
{
    if (bufsz - *at <= n)
        return false;
    memcpy(buf + *at, s, n);
    *at += n;
    buf[*at] = '\0';
    return true;
}

const char *mgw_show_text(const void *p, size_t n, size_t max_chars, char *buf, size_t bufsz)
{
    const uint8_t *s = p;
    size_t at = 0, chars = 0;
    if (bufsz == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < n;) {
        char tmp[16];
        uint32_t cp;
        size_t l = mgw_utf8_decode(s + i, n - i, &cp);
        const char *piece = (const char *)s + i;
        size_t pn = l;
        if (l == 0) {
            snprintf(tmp, sizeof(tmp), "<0x%02X>", s[i]);
            piece = tmp, pn = strlen(tmp), l = 1;
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            snprintf(tmp, sizeof(tmp), "<U+%04X>", (unsigned)cp);
            piece = tmp, pn = strlen(tmp);
        }
        /* room for "..." is kept so that a cut is always marked */
        if (++chars > max_chars || bufsz - at <= pn + 3) {
            show_put(buf, bufsz, &at, "...", 3);
            break;
        }
        show_put(buf, bufsz, &at, piece, pn);
        i += l;
    }
    return buf;
}

bool mgw_next_line(const uint8_t *text, size_t n, size_t *at, const char **line, size_t *len)
{
    if (*at >= n)
        return false;
    size_t s = *at, e = s;
    while (e < n && text[e] != '\n')
        e++;
    *at = e < n ? e + 1 : e;
    if (e > s && text[e - 1] == '\r')
        e--;
    *line = (const char *)text + s;
    *len = e - s;
    return true;
}

int mgw_out_sha256_text(const uint8_t h[32], char **out)
{
    char text[7 + 64 + 1] = "sha256:";
    mgw_hex_upper(h, 32, text + 7);
    int r = mgw_out_str(text, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}
