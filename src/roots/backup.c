/* Backups of removed roots: gzip-compressed PEM bundles with a comment header
 * per certificate, and their reader. zlib errors are translated here. */
#include "roots/roots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK 65536u
#define MAX_BACKUP_FILE (64u * 1024 * 1024)
#define MAX_BACKUP_TEXT (256u * 1024 * 1024)

static uInt chunk_of(size_t left)
{
    return (uInt)(left < CHUNK ? left : CHUNK);
}

/* Feed zlib the next chunk of input once it used up the last, and give it a
 * chunk of room at the end of `out`. */
static int zlib_step(z_stream *z, size_t *left, mgw_dbuf *out)
{
    if (z->avail_in == 0 && *left > 0) {
        z->avail_in = chunk_of(*left);
        *left -= z->avail_in;
    }
    if (mgw_dbuf_reserve(out, CHUNK) != MGW_OK)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    z->next_out = out->p + out->len;
    z->avail_out = CHUNK;
    return MGW_OK;
}

int mgw_gzip(const uint8_t *p, size_t n, mgw_dbuf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* windowBits 15 + 16: a gzip wrapper, as zcat and gzip -d expect. */
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return mgw_err(MGW_ERR_INTERNAL, "zlib: deflateInit2 failed");
    int zr = Z_OK, r = MGW_OK;
    size_t left = n;
    z.next_in = (Bytef *)(uintptr_t)p;
    while (zr != Z_STREAM_END && r == MGW_OK) {
        if ((r = zlib_step(&z, &left, out)) != MGW_OK)
            break;
        zr = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
        out->len += CHUNK - z.avail_out;
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            r = mgw_err(MGW_ERR_INTERNAL, "zlib: deflate failed (%d)", zr);
    }
    deflateEnd(&z);
    return r;
}

int mgw_gunzip(const uint8_t *p, size_t n, size_t max, mgw_dbuf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return mgw_err(MGW_ERR_INTERNAL, "zlib: inflateInit2 failed");
    size_t left = n;
    int r = MGW_OK;
    z.next_in = (Bytef *)(uintptr_t)p;
    while ((r = zlib_step(&z, &left, out)) == MGW_OK) {
        int zr = inflate(&z, Z_NO_FLUSH);
        out->len += CHUNK - z.avail_out;
        if (out->len > max) {
            r = mgw_err(MGW_ERR_TOO_LARGE, "decompresses to more than %zu bytes", max);
            break;
        }
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0 && left == 0)
                break;
            /* Another gzip member follows (what `cat a.gz b.gz` makes). */
            if (inflateReset(&z) != Z_OK) {
                r = mgw_err(MGW_ERR_INTERNAL, "zlib: inflateReset failed");
                break;
            }
            continue;
        }
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && left == 0) {
            r = mgw_err(MGW_ERR_ROOTS_BACKUP, "truncated gzip data");
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            r = mgw_err(MGW_ERR_ROOTS_BACKUP, "corrupt gzip data (%s)",
                        z.msg != NULL ? z.msg : "zlib error");
            break;
        }
    }
    inflateEnd(&z);
    return r;
}

/* A header value on one line: control characters become \xXX. */
static void put_value(mgw_dbuf *b, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7F)
            mgw_dbuf_printf(b, "\\x%02X", *c);
        else
            mgw_dbuf_putc(b, *c);
    }
    mgw_dbuf_putc(b, '\n');
}

int mgw_backup_text(const mgw_store_t *s, const size_t *index, size_t n, mgw_dbuf *text)
{
    char when[21];
    mgw_time_iso(mgw_now(), when);
    mgw_dbuf_puts(text, "# mgwauth trusted-root backup\n# store: ");
    put_value(text, s->location);
    mgw_dbuf_printf(text, "# created: %s\n# certificates: %zu\n", when, n);
    mgw_dbuf_puts(text, "# restore: mgwauth roots restore --store STORE --backup FILE\n");
    for (size_t i = 0; i < n; i++) {
        const mgw_store_item *it = &s->list.items[index[i]];
        char hex[41];
        mgw_hex_upper(it->sha1, 20, hex);
        mgw_dbuf_puts(text, "\n# subject: ");
        put_value(text, it->subject);
        mgw_dbuf_printf(text, "# sha1: %s\n# from: ", hex);
        mgw_dbuf_puts(text, s->location);
        mgw_dbuf_putc(text, '/');
        put_value(text, it->origin);
        mgw_dbuf_printf(text, "# format: %s\n", it->pem ? "PEM" : "DER");
        if (mgw_pem_write("CERTIFICATE", it->der, it->der_len, text) != MGW_OK)
            break;
    }
    return text->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}

/* ---- reading -------------------------------------------------------------------- */

typedef struct {
    mgw_store_listing *out;
    bool have_sha1;
    mgw_thumb sha1;
    char from[1024];
    int format; /* 0 unknown, 1 DER, 2 PEM */
} backup_reader;

static bool header(const char *l, size_t n, const char *key, const char **value, size_t *vn)
{
    size_t kl = strlen(key);
    if (n < kl || memcmp(l, key, kl) != 0)
        return false;
    *value = l + kl;
    *vn = n - kl;
    while (*vn > 0 && **value == ' ') {
        (*value)++;
        (*vn)--;
    }
    return true;
}

static int backup_line(void *ctx, const char *l, size_t n, size_t lineno)
{
    backup_reader *br = ctx;
    const char *v;
    size_t vn;
    if (header(l, n, "# sha1:", &v, &vn)) {
        int r = mgw_thumb_parse(v, vn, &br->sha1);
        if (r == MGW_OK && br->sha1.len != 20)
            r = mgw_err(MGW_ERR_THUMBPRINT, "not a SHA-1 thumbprint");
        if (r != MGW_OK) {
            char where[64];
            snprintf(where, sizeof(where), "line %zu: bad sha1 header", lineno);
            return mgw_err_prefix(MGW_ERR_ROOTS_BACKUP, where);
        }
        br->have_sha1 = true;
    } else if (header(l, n, "# from:", &v, &vn)) {
        snprintf(br->from, sizeof(br->from), "%.*s", (int)(vn < 1000 ? vn : 1000), v);
    } else if (header(l, n, "# format:", &v, &vn)) {
        br->format = vn == 3 && memcmp(v, "PEM", 3) == 0   ? 2
                     : vn == 3 && memcmp(v, "DER", 3) == 0 ? 1
                                                          : 0;
    }
    return MGW_OK;
}

/* Backups made before the format was recorded: .pem and .crt files are
 * taken for PEM (Debian's CA files are .crt in PEM), others for DER. */
static bool pem_by_name(const char *from)
{
    size_t n = strlen(from);
    char ext[5] = "";
    for (size_t i = 0; n > 4 && i < 4; i++) {
        char c = from[n - 4 + i];
        ext[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    return strcmp(ext, ".pem") == 0 || strcmp(ext, ".crt") == 0;
}

static int backup_block(void *ctx, const char *label, const uint8_t *der, size_t n, size_t lineno)
{
    backup_reader *br = ctx;
    if (strcmp(label, "CERTIFICATE") != 0)
        return mgw_err(MGW_ERR_ROOTS_BACKUP, "line %zu: a %s block, not a CERTIFICATE", lineno,
                       label);
    mgw_store_item item;
    memset(&item, 0, sizeof(item));
    int r = mgw_store_item_from_der(der, n, br->from, &item);
    item.pem = br->format == 2 || (br->format == 0 && pem_by_name(br->from));
    if (r != MGW_OK && r != MGW_ERR_NO_MEMORY) {
        char where[80];
        snprintf(where, sizeof(where), "certificate %zu (line %zu) does not parse", br->out->n + 1,
                 lineno);
        r = mgw_err_prefix(MGW_ERR_ROOTS_BACKUP, where);
    }
    if (r == MGW_OK && br->have_sha1 && memcmp(br->sha1.d, item.sha1, 20) != 0) {
        char want[65], got[41];
        mgw_thumb_hex(&br->sha1, want);
        mgw_hex_upper(item.sha1, 20, got);
        r = mgw_err(MGW_ERR_ROOTS_BACKUP,
                    "certificate %zu (line %zu): its SHA-1 is %s, its header says %s",
                    br->out->n + 1, lineno, got, want);
    }
    if (r == MGW_OK)
        r = mgw_store_listing_add(br->out, &item);
    mgw_store_item_clear(&item);
    br->have_sha1 = false;
    br->from[0] = '\0';
    br->format = 0;
    return r;
}

int mgw_backup_load(const char *path, mgw_store_listing *out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    int r = mgw_file_read(path, MAX_BACKUP_FILE, &data, &len);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "backup"); /* the detail names the file */
    if (len >= 2 && data[0] == 0x1F && data[1] == 0x8B)
        r = mgw_gunzip(data, len, MAX_BACKUP_TEXT, &text);
    else if (mgw_dbuf_put(&text, data, len) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_free(data);
    backup_reader br;
    memset(&br, 0, sizeof(br));
    br.out = out;
    if (r == MGW_OK)
        r = mgw_pem_walk(text.p, text.len, backup_block, backup_line, &br);
    if (r == MGW_ERR_PEM || r == MGW_ERR_THUMBPRINT)
        r = MGW_ERR_ROOTS_BACKUP; /* the detail says what */
    if (r == MGW_OK && out->n == 0)
        r = mgw_err(MGW_ERR_ROOTS_BACKUP, "no certificate in it");
    if (r != MGW_OK) {
        mgw_store_listing_free(out);
        r = mgw_err_prefix(r, path);
    }
    mgw_dbuf_free(&text);
    return r;
}
