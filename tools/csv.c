/* RFC 4180 CSV reader and field quoting; the input is untrusted. */
#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_put(sbuf *b, char c)
{
    if (b->len + 1 >= b->cap) {
        size_t cap = b->cap < 64 ? 64 : b->cap * 2;
        char *n = realloc(b->p, cap);
        if (n == NULL)
            return -1;
        b->p = n;
        b->cap = cap;
    }
    b->p[b->len++] = c;
    return 0;
}

/* Validate UTF-8 (no overlongs, surrogates, values past U+10FFFF). */
static size_t utf8_bad(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        uint32_t v, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2, v = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3, v = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4, v = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (n - i < k)
            return i;
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return i;
            v = v << 6 | (p[i + j] & 0x3F);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return i;
        i += k;
    }
    return (size_t)-1;
}

static size_t line_of(const uint8_t *p, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += p[i] == '\n';
    return line;
}

void csv_free(csv_table *t)
{
    for (size_t r = 0; r < t->n; r++) {
        for (size_t f = 0; f < t->recs[r].n; f++)
            free(t->recs[r].fields[f]);
        free(t->recs[r].fields);
    }
    free(t->recs);
    t->recs = NULL;
    t->n = 0;
}

static int fail(csv_table *t, char *err, size_t errsz, size_t line, const char *what)
{
    snprintf(err, errsz, "line %zu: %s", line, what);
    csv_free(t);
    return -1;
}

int csv_parse(const uint8_t *data, size_t len, csv_table *t, char *err, size_t errsz)
{
    t->recs = NULL;
    t->n = 0;
    size_t i = 0, line = 1;
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        i = 3;
    size_t bad = utf8_bad(data + i, len - i);
    if (bad != (size_t)-1)
        return fail(t, err, errsz, line_of(data, i + bad), "invalid UTF-8");
    if (memchr(data, 0, len) != NULL)
        return fail(t, err, errsz, line_of(data, (size_t)((const uint8_t *)memchr(data, 0, len) - data)),
                    "NUL byte");
    size_t cap = 0;
    while (i < len) {
        /* skip a completely empty line */
        if (data[i] == '\n' || (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')) {
            i += data[i] == '\r' ? 2 : 1;
            line++;
            continue;
        }
        if (t->n >= CSV_MAX_RECORDS)
            return fail(t, err, errsz, line, "more than 1,000,000 records");
        if (t->n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            csv_record *n = realloc(t->recs, cap * sizeof(*n));
            if (n == NULL)
                return fail(t, err, errsz, line, "out of memory");
            t->recs = n;
        }
        csv_record *rec = &t->recs[t->n++];
        memset(rec, 0, sizeof(*rec));
        rec->line = line;
        size_t fcap = 0; /* grown as fields come: a table of tiny rows stays small */
        for (;;) {
            sbuf f = {NULL, 0, 0};
            bool quoted = i < len && data[i] == '"';
            size_t start_line = line;
            if (quoted) {
                i++;
                for (;;) {
                    if (i >= len) {
                        free(f.p);
                        return fail(t, err, errsz, start_line, "unterminated quoted field");
                    }
                    if (data[i] == '"') {
                        if (i + 1 < len && data[i + 1] == '"') {
                            i += 2;
                            if (sb_put(&f, '"') != 0)
                                goto oom;
                            continue;
                        }
                        i++;
                        break;
                    }
                    line += data[i] == '\n';
                    if (sb_put(&f, (char)data[i++]) != 0)
                        goto oom;
                    if (f.len > CSV_MAX_FIELD) {
                        free(f.p);
                        return fail(t, err, errsz, start_line, "field longer than 64 KiB");
                    }
                }
                if (i < len && data[i] != ',' && data[i] != '\n' && data[i] != '\r') {
                    free(f.p);
                    return fail(t, err, errsz, line, "text after a closing quote");
                }
            } else {
                while (i < len && data[i] != ',' && data[i] != '\n' && data[i] != '\r') {
                    if (data[i] == '"') {
                        free(f.p);
                        return fail(t, err, errsz, line, "quote inside an unquoted field");
                    }
                    if (sb_put(&f, (char)data[i++]) != 0)
                        goto oom;
                    if (f.len > CSV_MAX_FIELD) {
                        free(f.p);
                        return fail(t, err, errsz, line, "field longer than 64 KiB");
                    }
                }
            }
            if (sb_put(&f, '\0') != 0) {
            oom:
                free(f.p);
                return fail(t, err, errsz, line, "out of memory");
            }
            if (rec->n >= CSV_MAX_FIELDS) {
                free(f.p);
                return fail(t, err, errsz, rec->line, "more than 64 fields");
            }
            if (rec->n == fcap) {
                size_t nc = fcap == 0 ? 8 : fcap * 2;
                char **nf = realloc(rec->fields, nc * sizeof(char *));
                if (nf == NULL)
                    goto oom;
                rec->fields = nf;
                fcap = nc;
            }
            char *exact = realloc(f.p, f.len); /* give back the growth slack */
            rec->fields[rec->n++] = exact != NULL ? exact : f.p;
            if (i < len && data[i] == ',') {
                i++;
                continue;
            }
            if (i < len && data[i] == '\r') {
                if (i + 1 < len && data[i + 1] == '\n')
                    i++;
                else
                    return fail(t, err, errsz, line, "bare carriage return");
            }
            if (i < len && data[i] == '\n') {
                i++;
                line++;
            }
            break;
        }
    }
    return 0;
}

size_t csv_quote(char *buf, size_t len, size_t cap, const char *field)
{
    /* a leading byte-order mark would be taken for the file's */
    bool need = strpbrk(field, ",\"\r\n") != NULL || field[0] == ' ' ||
                (field[0] != '\0' && field[strlen(field) - 1] == ' ') ||
                strncmp(field, "\xEF\xBB\xBF", 3) == 0;
    size_t need_len = strlen(field) * 2 + 4;
    if (len + need_len >= cap)
        return (size_t)-1;
    if (need)
        buf[len++] = '"';
    for (const char *p = field; *p; p++) {
        if (*p == '"')
            buf[len++] = '"';
        buf[len++] = *p;
    }
    if (need)
        buf[len++] = '"';
    buf[len] = '\0';
    return len;
}
