/* mgwauth cert issue: the CSV's rows, their file names and which outputs
 * exist already. */
#include "issue.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const column_names[NCOLS] = {"upn", "email", "subject", "password",
                                                "friendly_name"};

void issue_row_error(batch *b, row *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&b->lock);
    fprintf(stderr, "\rmgwauth: error: %s line %zu: %s\n", b->csv_name, r->line, msg);
    r->state = ROW_FAILED;
    b->failed++;
    pthread_mutex_unlock(&b->lock);
}

/* A file name from the UPN that Windows and POSIX both accept. */
static char *safe_base(const char *upn)
{
    size_t n = strlen(upn);
    if (n > 120)
        n = 120;
    while (n > 0 && ((unsigned char)upn[n] & 0xC0) == 0x80)
        n--; /* do not cut a UTF-8 sequence */
    char *s = malloc(n + 2);
    if (s == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)upn[i];
        s[k++] = c < 0x20 || c == 0x7F || strchr("<>:\"/\\|?*", c) != NULL ? '_' : (char)c;
    }
    while (k > 0 && (s[k - 1] == '.' || s[k - 1] == ' '))
        k--;
    s[k] = '\0';
    static const char *const reserved[] = {"CON", "PRN", "AUX", "NUL"};
    size_t stem = strcspn(s, ".");
    bool bad = k == 0 || s[0] == '.';
    for (size_t i = 0; i < N(reserved); i++)
        if (stem == 3 && strncasecmp(s, reserved[i], 3) == 0)
            bad = true;
    if (stem == 4 && (strncasecmp(s, "COM", 3) == 0 || strncasecmp(s, "LPT", 3) == 0) &&
        s[3] >= '1' && s[3] <= '9')
        bad = true;
    if (bad) {
        memmove(s + 1, s, k + 1);
        s[0] = '_';
    }
    return s;
}

static int map_columns(const csv_record *h, const char *name, int *col)
{
    for (int c = 0; c < NCOLS; c++)
        col[c] = -1;
    for (size_t i = 0; i < h->n; i++) {
        char key[64];
        snprintf(key, sizeof(key), "%s", h->fields[i]);
        for (char *p = key; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        char *k = key;
        while (*k == ' ')
            k++;
        for (size_t e = strlen(k); e > 0 && k[e - 1] == ' ';)
            k[--e] = '\0';
        int found = -1;
        for (int c = 0; c < NCOLS; c++)
            if (strcmp(k, column_names[c]) == 0)
                found = c;
        if (found < 0) {
            fprintf(stderr,
                    "mgwauth: error: %s line %zu: unknown column '%s' (known: upn, email, subject, "
                    "password, friendly_name)\n",
                    name, h->line, h->fields[i]);
            return 1;
        }
        if (col[found] >= 0) {
            fprintf(stderr, "mgwauth: error: %s line %zu: column '%s' appears twice\n", name,
                    h->line, column_names[found]);
            return 1;
        }
        col[found] = (int)i;
    }
    if (col[COL_UPN] < 0) {
        fprintf(stderr, "mgwauth: error: %s line %zu: the header has no 'upn' column\n", name,
                h->line);
        return 1;
    }
    return 0;
}

/* ---- sorted views (a batch can hold a million rows: no quadratic scans) ---- */

static const row *sort_rows; /* qsort has no context argument; callers are single-threaded */

static int by_base(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcasecmp(sort_rows[i].base, sort_rows[j].base);
    return c != 0 ? c : (i > j) - (i < j);
}

static int by_upn(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_rows[i].field[COL_UPN], sort_rows[j].field[COL_UPN]);
    return c != 0 ? c : (i > j) - (i < j);
}

/* Rows whose file names collide (case-insensitively) with an earlier line fail. */
static int check_collisions(batch *b)
{
    size_t *idx = malloc((b->n + 1) * sizeof(size_t)), m = 0;
    size_t *first = calloc(b->n + 1, sizeof(size_t));
    if (idx == NULL || first == NULL) {
        free(idx);
        free(first);
        return 1;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->rows[i].base != NULL && b->rows[i].state != ROW_FAILED)
            idx[m++] = i;
    sort_rows = b->rows;
    qsort(idx, m, sizeof(size_t), by_base);
    for (size_t k = 1; k < m; k++)
        if (strcasecmp(b->rows[idx[k]].base, b->rows[idx[k - 1]].base) == 0)
            first[idx[k]] = first[idx[k - 1]] != 0 ? first[idx[k - 1]] : idx[k - 1] + 1;
    for (size_t i = 0; i < b->n; i++) /* reported in line order */
        if (first[i] != 0)
            issue_row_error(b, &b->rows[i], "file name '%s' collides with line %zu",
                            b->rows[i].base, b->rows[first[i] - 1].line);
    free(idx);
    free(first);
    return 0;
}

/* b->by_upn: row indices sorted by UPN, for lookups of passwords.csv lines. */
static int index_upns(batch *b)
{
    if ((b->by_upn = malloc((b->n + 1) * sizeof(size_t))) == NULL)
        return 1;
    for (size_t i = 0; i < b->n; i++)
        if (b->rows[i].field[COL_UPN] != NULL)
            b->by_upn[b->n_by_upn++] = i;
    sort_rows = b->rows;
    qsort(b->by_upn, b->n_by_upn, sizeof(size_t), by_upn);
    return 0;
}

size_t issue_find_upn(const batch *b, const char *upn)
{
    const size_t *idx = b->by_upn;
    size_t lo = 0, hi = b->n_by_upn;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(b->rows[idx[mid]].field[COL_UPN], upn) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n_by_upn && strcmp(b->rows[idx[lo]].field[COL_UPN], upn) == 0 ? lo : (size_t)-1;
}

/* Rows from the table; per-row problems are reported and the row skipped. */
static int rows_from(batch *b, const csv_table *t, const int *col)
{
    b->rows = calloc(t->n, sizeof(row));
    if (b->rows == NULL)
        return 1;
    for (size_t i = 1; i < t->n; i++) {
        const csv_record *rec = &t->recs[i];
        row *r = &b->rows[b->n++];
        r->line = rec->line;
        for (int c = 0; c < NCOLS; c++)
            r->field[c] = col[c] >= 0 && (size_t)col[c] < rec->n ? rec->fields[col[c]] : NULL;
        if (rec->n != t->recs[0].n) {
            issue_row_error(b, r, "%zu fields, the header has %zu", rec->n, t->recs[0].n);
            continue;
        }
        if (r->field[COL_UPN][0] == '\0') {
            issue_row_error(b, r, "empty upn");
            continue;
        }
        if ((r->base = safe_base(r->field[COL_UPN])) == NULL)
            return 1;
    }
    return check_collisions(b);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One directory scan instead of two system calls per row. */
void issue_scan_outputs(batch *b)
{
    size_t n = 0;
    char **names = cli_list_dir(b->dir, &n);
    if (names == NULL)
        return;
    for (size_t i = 0; i < b->n; i++) {
        row *r = &b->rows[i];
        if (r->base == NULL)
            continue;
        char name[200];
        const char *key = name;
        snprintf(name, sizeof(name), "%s.pfx", r->base);
        r->had_pfx = bsearch(&key, names, n, sizeof(*names), cmp_names) != NULL;
        snprintf(name, sizeof(name), "%s.cer", r->base);
        r->had_cer = bsearch(&key, names, n, sizeof(*names), cmp_names) != NULL;
    }
    cli_free_list(names, n);
}

int issue_build_rows(batch *b, const csv_table *t, const char *csv_name)
{
    int col[NCOLS];
    return map_columns(&t->recs[0], csv_name, col) != 0 || rows_from(b, t, col) != 0 ||
           index_upns(b) != 0;
}
