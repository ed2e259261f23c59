/*
 * Internal foundation: errors, memory, growable buffers, DER, text encodings,
 * time. Nothing here depends on mbedTLS, so the Windows build without it can
 * use all of it.
 */
#ifndef MGW_CORE_H
#define MGW_CORE_H

#include "mgwauth.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* __MINGW_PRINTF_FORMAT on mingw-w64 */

#if defined(__MINGW_PRINTF_FORMAT)
/* mingw-w64: the C99 formats of __USE_MINGW_ANSI_STDIO, not msvcrt's */
#define MGW_PRINTF(a, b) __attribute__((format(__MINGW_PRINTF_FORMAT, a, b)))
#elif defined(__GNUC__)
#define MGW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MGW_PRINTF(a, b)
#endif

/* ---- errors ------------------------------------------------------------ */

/* Record `code` with a formatted detail for mgw_last_error() and return it. */
int mgw_err(int code, const char *fmt, ...) MGW_PRINTF(2, 3);
/* Clear the thread's last error (every public entry point that succeeds). */
void mgw_err_clear(void);
/* Prefix the current detail with "what: " (used when a callee already set it). */
int mgw_err_prefix(int code, const char *what);
/* Return `code`; a failure that set no detail (an allocation deep down) gets
 * the code's text as its message, so that mgw_last_error() is never empty
 * after a failure. */
int mgw_err_ensure(int code);

/* ---- memory ------------------------------------------------------------ */

void mgw_zeroize(void *p, size_t n);
/* Constant-time comparison: 0 when equal. */
int mgw_ct_memcmp(const void *a, const void *b, size_t n);
/* Allocation handed to callers (freed by mgw_free, which wipes it). */
void *mgw_out_alloc(size_t n);
/* Copy into an mgw_free-able buffer; NUL-terminated one past n. */
int mgw_out_copy(const void *p, size_t n, uint8_t **out, size_t *out_len);
int mgw_out_str(const char *s, char **out);
char *mgw_strdup(const char *s);
char *mgw_strndup(const char *s, size_t n);

/* Growable byte buffer. Growth never leaves stale copies of its content
 * behind (it may hold secrets). Errors are sticky: check `oom` once at the end
 * or use the return values. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} mgw_dbuf;

void mgw_dbuf_init(mgw_dbuf *b);
void mgw_dbuf_free(mgw_dbuf *b); /* wipes */
int mgw_dbuf_reserve(mgw_dbuf *b, size_t extra);
int mgw_dbuf_put(mgw_dbuf *b, const void *p, size_t n);
int mgw_dbuf_putc(mgw_dbuf *b, uint8_t c);
int mgw_dbuf_puts(mgw_dbuf *b, const char *s);
int mgw_dbuf_printf(mgw_dbuf *b, const char *fmt, ...) MGW_PRINTF(2, 3);
/* Insert n bytes at offset `at`. */
int mgw_dbuf_insert(mgw_dbuf *b, size_t at, const void *p, size_t n);
/* Hand the content to the caller as an mgw_free-able buffer and reset b. */
int mgw_dbuf_detach(mgw_dbuf *b, uint8_t **out, size_t *out_len);
int mgw_dbuf_detach_str(mgw_dbuf *b, char **out);

/* ---- DER ---------------------------------------------------------------- */

enum {
    MGW_ASN1_BOOLEAN = 0x01,
    MGW_ASN1_INTEGER = 0x02,
    MGW_ASN1_BIT_STRING = 0x03,
    MGW_ASN1_OCTET_STRING = 0x04,
    MGW_ASN1_NULL = 0x05,
    MGW_ASN1_OID = 0x06,
    MGW_ASN1_UTF8_STRING = 0x0C,
    MGW_ASN1_PRINTABLE_STRING = 0x13,
    MGW_ASN1_T61_STRING = 0x14,
    MGW_ASN1_IA5_STRING = 0x16,
    MGW_ASN1_UTC_TIME = 0x17,
    MGW_ASN1_GENERALIZED_TIME = 0x18,
    MGW_ASN1_UNIVERSAL_STRING = 0x1C,
    MGW_ASN1_BMP_STRING = 0x1E,
    MGW_ASN1_SEQUENCE = 0x30,
    MGW_ASN1_SET = 0x31,
    MGW_ASN1_CTX = 0x80,         /* context-specific class */
    MGW_ASN1_CONSTRUCTED = 0x20, /* constructed bit */
};

/* Writer (forward; nested values are closed by inserting their header). */
int mgw_der_put(mgw_dbuf *b, unsigned tag, const void *content, size_t n);
/* Start a constructed value: returns the mark to pass to mgw_der_close(). */
size_t mgw_der_open(mgw_dbuf *b);
int mgw_der_close(mgw_dbuf *b, unsigned tag, size_t mark);
/* INTEGER from a non-negative big-endian magnitude (adds 00 if needed). */
int mgw_der_put_uint(mgw_dbuf *b, const uint8_t *mag, size_t n);
int mgw_der_put_small_int(mgw_dbuf *b, long v);
/* OID from dotted text ("1.2.840.113549"). MGW_ERR_INVALID_ARGUMENT if bad. */
int mgw_oid_from_text(const char *dotted, mgw_dbuf *content);
int mgw_der_put_oid_text(mgw_dbuf *b, const char *dotted);
/* Dotted text of OID content bytes; MGW_ERR_DER when malformed. */
int mgw_oid_to_text(const uint8_t *p, size_t n, char *buf, size_t bufsz);

/* Reader. Strict DER lengths (definite, minimal) unless `ber` is set, in
 * which case indefinite lengths are accepted for constructed values. */
typedef struct {
    const uint8_t *p;
    size_t len;
} mgw_span;

typedef struct {
    const uint8_t *p, *end;
    unsigned depth; /* nesting depth of this reader (caps recursion) */
} mgw_der_reader;

#define MGW_DER_MAX_DEPTH 32

void mgw_der_reader_init(mgw_der_reader *r, const uint8_t *p, size_t n);
/* Reader over the content of `content`, one level deeper than `parent`
 * (MGW_ERR_DER when too deep). */
int mgw_der_reader_sub(mgw_der_reader *sub, const mgw_der_reader *parent, mgw_span content);
bool mgw_der_at_end(const mgw_der_reader *r);
/* Next element of any tag: tag, content and whole encoding (may be NULL). */
int mgw_der_next(mgw_der_reader *r, unsigned *tag, mgw_span *content, mgw_span *whole);
/* Next element, which must have tag `tag`. */
int mgw_der_expect(mgw_der_reader *r, unsigned tag, mgw_span *content);
/* Peek the next tag without consuming; false at end. */
bool mgw_der_peek(const mgw_der_reader *r, unsigned *tag);
/* Content of a non-negative INTEGER that fits in *v. */
int mgw_der_get_small_uint(mgw_der_reader *r, uint64_t *v);
bool mgw_span_eq(mgw_span s, const void *p, size_t n);

/* ---- text ---------------------------------------------------------------- */

/* Validate UTF-8 (no overlongs, surrogates or values past U+10FFFF). On
 * failure *bad_at is the byte offset of the first bad sequence. */
bool mgw_utf8_valid(const uint8_t *p, size_t n, size_t *bad_at);
/* Decode one code point; returns its length or 0 when invalid. */
size_t mgw_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);
/* Append the UTF-8 encoding of cp. */
int mgw_utf8_put(mgw_dbuf *b, uint32_t cp);
/* UTF-8 to UTF-16 (big endian when be, else little), surrogates as needed. */
int mgw_utf8_to_utf16(const uint8_t *p, size_t n, bool be, mgw_dbuf *out);
/* UTF-16 to UTF-8; MGW_ERR_UTF8 on odd length or broken surrogate pairs. */
int mgw_utf16_to_utf8(const uint8_t *p, size_t n, bool be, mgw_dbuf *out);

/* A text input as UTF-8 without BOM: UTF-8 (with or without BOM) or UTF-16
 * with BOM (LE or BE). Anything else (UTF-16 without BOM, UTF-32, invalid
 * UTF-8 such as Windows-1252) is MGW_ERR_UTF8 with a message naming `what`,
 * the encoding found and how to save the file instead. A NUL byte that is
 * not part of such a pattern is left in the text. Appends to out. */
int mgw_text_decode(const uint8_t *p, size_t n, const char *what, mgw_dbuf *out);
/* Input text as an error message may show it: control characters (C0, DEL,
 * C1) as <U+XXXX>, bytes that are not UTF-8 as <0xXX>, at most `max_chars`
 * characters ("..." after). Always NUL-terminates buf; returns buf. */
const char *mgw_show_text(const void *p, size_t n, size_t max_chars, char *buf, size_t bufsz);

/* Upper-case hex of p, NUL-terminated, into buf (2n+1 bytes). */
void mgw_hex_upper(const uint8_t *p, size_t n, char *buf);
int mgw_hex_value(int c); /* -1 if not a hex digit */

/* Base64 (RFC 4648) encoding with lines of `wrap` characters (0: no wrap). */
int mgw_base64_encode(const uint8_t *p, size_t n, size_t wrap, mgw_dbuf *out);
int mgw_base64_decode(const char *s, size_t n, mgw_dbuf *out);
/* PEM: write "-----BEGIN label-----" block; find and decode the first block
 * whose label is `label` (NULL: any; *found_label receives it when non-NULL). */
int mgw_pem_write(const char *label, const uint8_t *der, size_t n, mgw_dbuf *out);
int mgw_pem_read(const uint8_t *text, size_t n, const char *label, mgw_dbuf *der,
                 char *found_label, size_t found_sz);
/* A PEM label of printable ASCII (RFC 7468), safe to show in a message. */
bool mgw_pem_label_ok(const char *label, size_t n);
/* True if the data looks like PEM (starts, after whitespace, with "-----BEGIN"). */
bool mgw_is_pem(const uint8_t *p, size_t n);

/* ---- time ----------------------------------------------------------------- */

int64_t mgw_now(void);
/* Civil UTC <-> seconds since 1970 (proleptic Gregorian). */
int64_t mgw_time_from_civil(int y, int mon, int d, int h, int mi, int s);
void mgw_time_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *mi, int *s);
/* RFC 5280 Time: UTCTime for 1950..2049, GeneralizedTime otherwise. */
int mgw_der_put_time(mgw_dbuf *b, int64_t t);
/* Parse a Time element (either form, "Z" only, seconds required). */
int mgw_der_parse_time(unsigned tag, mgw_span content, int64_t *t);
/* ISO 8601 "YYYY-MM-DDThh:mm:ssZ" into buf[21]. */
void mgw_time_iso(int64_t t, char buf[21]);

#endif
