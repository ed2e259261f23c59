/*
 * mgwauth cert issue --batch users.csv: one PFX and CER per row from a company
 * CA, on worker threads that each own their objects (and their own copy of the
 * CA key), resumable, interruptible without partial files.
 */
#include "cli.h"
#include "csv.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { ROW_PENDING, ROW_ISSUED, ROW_SKIPPED, ROW_FAILED };
enum { COL_UPN, COL_EMAIL, COL_SUBJECT, COL_PASSWORD, COL_FRIENDLY, NCOLS };
static const char *const column_names[NCOLS] = {"upn", "email", "subject", "password",
                                                "friendly_name"};

typedef struct {
    size_t line;
    const char *field[NCOLS]; /* NULL when the column is absent */
    char *base;
    char *password; /* generated or remembered; mgw_free */
    bool generated; /* made by this run */
    bool remembered; /* read back from passwords.csv */
    bool had_pfx, had_cer; /* the outputs existed when the batch started */
    int state;
    char serial[80], sha1[41], not_after[32];
} row;

typedef struct {
    row *rows;
    size_t n, next;
    size_t issued, skipped, failed;
    pthread_mutex_t lock;
    const char *dir, *csv_name;
    uint8_t *ca_pfx;
    size_t ca_pfx_len;
    char *ca_pw;
    size_t ca_pw_len;
    int key_type, profile;
    uint32_t days, iterations;
    bool force;
    int pw_fd; /* passwords.csv, appended as rows get generated passwords */
    csv_table old_pw; /* passwords.csv as found: lines for UPNs not in this CSV are kept */
    size_t *by_upn, n_by_upn; /* row indices sorted by UPN */
} batch;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void row_error(batch *b, row *r, const char *fmt, ...) CLI_PRINTF(3, 4);

static void row_error(batch *b, row *r, const char *fmt, ...)
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

/* ---- one row ------------------------------------------------------------------ */

typedef struct {
    mgw_key_t *ca_key;
    mgw_cert_t *ca_cert;
} worker;

static void fill_manifest(row *r, const mgw_cert_t *c)
{
    char *serial = NULL, *sha1 = NULL;
    int64_t nb, na;
    mgw_cert_serial(c, &serial);
    mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &sha1);
    mgw_cert_validity(c, &nb, &na);
    snprintf(r->serial, sizeof(r->serial), "%s", serial ? serial : "");
    snprintf(r->sha1, sizeof(r->sha1), "%s", sha1 ? sha1 : "");
    time_t t = (time_t)na;
    struct tm tm;
    if (gmtime_r(&t, &tm) != NULL)
        strftime(r->not_after, sizeof(r->not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
    mgw_free(serial);
    mgw_free(sha1);
}

static bool cert_has_upn(const mgw_cert_t *c, const char *upn)
{
    for (size_t i = 0; i < mgw_cert_san_count(c); i++) {
        int type;
        char *v = NULL;
        bool match = mgw_cert_san(c, i, &type, &v) == MGW_OK && type == MGW_SAN_UPN &&
                     strcmp(v, upn) == 0;
        mgw_free(v);
        if (match)
            return true;
    }
    return false;
}

/* Outputs of an earlier run: usable when they open with the row's password,
 * hold the same certificate and its key, carry the UPN and were signed by
 * this CA. */
static bool verify_existing(batch *b, worker *w, row *r, const char *pfx_path,
                            const char *cer_path, char *why, size_t whysz)
{
    uint8_t *pfx = NULL, *cer = NULL;
    size_t pl = 0, cl = 0;
    mgw_pfx_t *p = NULL;
    mgw_cert_t *c = NULL, *inside = NULL;
    mgw_key_t *key = NULL;
    bool ok = false;
    const char *pw = r->field[COL_PASSWORD] != NULL && r->field[COL_PASSWORD][0] != '\0'
                         ? r->field[COL_PASSWORD]
                         : r->password;
    if (pw == NULL)
        snprintf(why, whysz, "no password is known for the existing PFX");
    else if (mgw_file_read(pfx_path, 1u << 20, &pfx, &pl) != MGW_OK ||
             mgw_file_read(cer_path, 1u << 20, &cer, &cl) != MGW_OK ||
             mgw_cert_parse(cer, cl, &c) != MGW_OK ||
             mgw_pfx_parse(pfx, pl, pw, strlen(pw), &p) != MGW_OK ||
             mgw_pfx_cert(p, &inside) != MGW_OK)
        snprintf(why, whysz, "%s", mgw_last_error());
    else {
        uint8_t *a = NULL, *d = NULL;
        size_t al = 0, dl = 0;
        mgw_cert_export(c, MGW_FORMAT_DER, &a, &al);
        mgw_cert_export(inside, MGW_FORMAT_DER, &d, &dl);
        if (a == NULL || d == NULL || al != dl || memcmp(a, d, al) != 0)
            snprintf(why, whysz, "the PFX and the CER hold different certificates");
        else if (!cert_has_upn(c, r->field[COL_UPN]))
            snprintf(why, whysz, "the certificate is for another UPN");
        else if (mgw_cert_check_issuer(c, w->ca_cert) != MGW_OK)
            snprintf(why, whysz, "the certificate was not issued by this CA");
        else if (mgw_pfx_key(p, &key) != MGW_OK || mgw_cert_check_key(c, key) != MGW_OK)
            snprintf(why, whysz, "the PFX key does not belong to its certificate");
        else
            ok = true;
        mgw_free(a);
        mgw_free(d);
    }
    if (ok)
        fill_manifest(r, c);
    (void)b;
    mgw_free(pfx);
    mgw_free(cer);
    mgw_cert_free(&c);
    mgw_cert_free(&inside);
    mgw_key_free(&key);
    mgw_pfx_free(&p);
    return ok;
}

/* Keep a password (malloc'ed copy); the old one is wiped. */
static void set_password(row *r, const char *pw)
{
    if (r->password != NULL) {
        memset(r->password, 0, strlen(r->password));
        free(r->password);
    }
    r->password = pw != NULL ? strdup(pw) : NULL;
}

/* One "upn,password" line appended at buf[len]; (size_t)-1 when cap is short. */
static size_t append_password_line(char *buf, size_t len, size_t cap, const char *upn,
                                   const char *pw)
{
    len = csv_quote(buf, len, cap, upn);
    if (len == (size_t)-1 || len + 1 >= cap)
        return (size_t)-1;
    buf[len++] = ',';
    len = csv_quote(buf, len, cap, pw);
    if (len == (size_t)-1 || len + 1 >= cap)
        return (size_t)-1;
    buf[len++] = '\n';
    return len;
}

/* Remember a generated password before the PFX it protects is committed. */
static int remember_password(batch *b, row *r)
{
    size_t cap = 2 * (strlen(r->field[COL_UPN]) + strlen(r->password)) + 8;
    char *line = malloc(cap);
    size_t len = line != NULL ? append_password_line(line, 0, cap, r->field[COL_UPN], r->password)
                              : (size_t)-1;
    if (len == (size_t)-1) {
        free(line);
        errno = ENOMEM;
        return -1;
    }
    /* One write() per line before the PFX is committed: an interrupt never loses
     * it. It reaches the disk with the final rewrite (not one fsync per row:
     * after a power failure, a PFX whose password line was lost is reported on
     * the next run and reissued with --force). */
    pthread_mutex_lock(&b->lock);
    ssize_t w = write(b->pw_fd, line, (unsigned)len);
    int rc = w == (ssize_t)len ? 0 : -1;
    if (w >= 0 && rc != 0)
        errno = EIO;
    pthread_mutex_unlock(&b->lock);
    memset(line, 0, cap);
    free(line);
    return rc;
}

static void issue_row(batch *b, worker *w, row *r)
{
    char *pfx_path = cli_path(b->dir, r->base, ".pfx"), *cer_path = cli_path(b->dir, r->base, ".cer");
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_pfxopts_t *po = mgw_pfxopts_new();
    mgw_key_t *k = mgw_key_new();
    mgw_cert_t *c = NULL;
    mgw_fileset_t *fs = mgw_fileset_new();
    uint8_t *pfx = NULL, *cer = NULL;
    size_t pl = 0, cl = 0;
    char why[300], subject[1200];
    if (pfx_path == NULL || cer_path == NULL || o == NULL || po == NULL || k == NULL || fs == NULL) {
        row_error(b, r, "out of memory");
        goto done;
    }
    bool have_pfx = r->had_pfx, have_cer = r->had_cer; /* from the scan at the start */
    if ((have_pfx || have_cer) && !b->force) {
        if (have_pfx && have_cer && verify_existing(b, w, r, pfx_path, cer_path, why, sizeof(why))) {
            pthread_mutex_lock(&b->lock);
            r->state = ROW_SKIPPED;
            b->skipped++;
            pthread_mutex_unlock(&b->lock);
        } else {
            row_error(b, r, "%s exists but does not verify (%s); use --force to reissue",
                      have_pfx ? pfx_path : cer_path, have_pfx && have_cer ? why : "the other file is missing");
        }
        goto done;
    }
    const char *sub = r->field[COL_SUBJECT];
    if (sub == NULL || sub[0] == '\0') {
        snprintf(subject, sizeof(subject), "CN=");
        size_t len = 3;
        for (const char *p = r->field[COL_UPN]; *p && len + 3 < sizeof(subject); p++) {
            if (strchr(",+\"\\<>;=#", *p) != NULL)
                subject[len++] = '\\';
            subject[len++] = *p;
        }
        subject[len] = '\0';
        sub = subject;
    }
    int rc;
    if ((rc = mgw_certopts_set_subject(o, sub)) != MGW_OK ||
        (rc = mgw_certopts_add_upn(o, r->field[COL_UPN])) != MGW_OK ||
        (r->field[COL_EMAIL] != NULL && r->field[COL_EMAIL][0] != '\0' &&
         (rc = mgw_certopts_add_email(o, r->field[COL_EMAIL])) != MGW_OK) ||
        (rc = mgw_certopts_set_days(o, b->days)) != MGW_OK ||
        (rc = mgw_pfxopts_set_profile(po, b->profile)) != MGW_OK ||
        (b->iterations > 0 && (rc = mgw_pfxopts_set_iterations(po, b->iterations)) != MGW_OK) ||
        (r->field[COL_FRIENDLY] != NULL && r->field[COL_FRIENDLY][0] != '\0' &&
         (rc = mgw_pfxopts_set_friendly_name(po, r->field[COL_FRIENDLY])) != MGW_OK) ||
        (rc = mgw_pfxopts_add_chain(po, w->ca_cert)) != MGW_OK) {
        row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    const char *pw = r->field[COL_PASSWORD];
    if (pw == NULL || pw[0] == '\0') {
        char *gen = NULL;
        if (mgw_password_generate(24, &gen) != MGW_OK) {
            row_error(b, r, "%s", mgw_last_error());
            goto done;
        }
        set_password(r, gen);
        mgw_free(gen);
        r->generated = true;
        pw = r->password;
    }
    if ((rc = mgw_key_generate(k, b->key_type)) != MGW_OK ||
        (rc = mgw_cert_create(o, k, w->ca_cert, w->ca_key, &c)) != MGW_OK ||
        (rc = mgw_cert_export(c, MGW_FORMAT_DER, &cer, &cl)) != MGW_OK ||
        (rc = mgw_pfx_write(po, c, k, pw, strlen(pw), &pfx, &pl)) != MGW_OK) {
        row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    unsigned force = (b->force ? MGW_FILE_FORCE : 0) | MGW_FILE_NO_DIR_SYNC;
    if (mgw_fileset_add(fs, pfx_path, pfx, pl, force | MGW_FILE_PRIVATE) != MGW_OK ||
        mgw_fileset_add(fs, cer_path, cer, cl, force) != MGW_OK) {
        row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    if (r->generated && remember_password(b, r) != 0) {
        row_error(b, r, "cannot record the generated password: %s", strerror(errno));
        goto done;
    }
    if (mgw_fileset_commit(fs) != MGW_OK) {
        row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    fill_manifest(r, c);
    pthread_mutex_lock(&b->lock);
    r->state = ROW_ISSUED;
    b->issued++;
    pthread_mutex_unlock(&b->lock);
done:
    mgw_free(pfx);
    mgw_free(cer);
    mgw_fileset_free(&fs);
    mgw_cert_free(&c);
    mgw_key_free(&k);
    mgw_pfxopts_free(&po);
    mgw_certopts_free(&o);
    free(pfx_path);
    free(cer_path);
}

static void *work(void *arg)
{
    batch *b = arg;
    worker w = {NULL, NULL};
    mgw_pfx_t *ca = NULL;
    /* each worker opens its own copy of the CA: no object is shared between threads */
    if (mgw_pfx_parse(b->ca_pfx, b->ca_pfx_len, b->ca_pw, b->ca_pw_len, &ca) != MGW_OK ||
        mgw_pfx_key(ca, &w.ca_key) != MGW_OK || mgw_pfx_cert(ca, &w.ca_cert) != MGW_OK) {
        pthread_mutex_lock(&b->lock);
        fprintf(stderr, "mgwauth: error: CA: %s\n", mgw_last_error());
        b->next = b->n;
        pthread_mutex_unlock(&b->lock);
    }
    mgw_pfx_free(&ca);
    for (;;) {
        pthread_mutex_lock(&b->lock);
        row *r = NULL;
        while (b->next < b->n && !stop_requested && r == NULL) {
            r = &b->rows[b->next++];
            if (r->state != ROW_PENDING)
                r = NULL;
        }
        pthread_mutex_unlock(&b->lock);
        if (r == NULL)
            break;
        issue_row(b, &w, r);
    }
    mgw_cert_free(&w.ca_cert);
    mgw_key_free(&w.ca_key);
    return NULL;
}

/* ---- CSV to rows ------------------------------------------------------------------ */

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
            row_error(b, &b->rows[i], "file name '%s' collides with line %zu", b->rows[i].base,
                      b->rows[first[i] - 1].line);
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

/* Position in b->by_upn of the first row with this UPN, or (size_t)-1. */
static size_t find_upn(const batch *b, const char *upn)
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
    return lo < b->n_by_upn && strcmp(b->rows[idx[lo]].field[COL_UPN], upn) == 0 ? lo
                                                                                   : (size_t)-1;
}

/* A passwords.csv line is a header only when it says so: after a crash the
 * file can hold password lines with no header (appended before the rewrite). */
static bool is_password_header(const csv_record *rec)
{
    return rec->n == 2 && strcmp(rec->fields[0], "upn") == 0 &&
           strcmp(rec->fields[1], "password") == 0;
}

/* Passwords generated by an earlier run, so its outputs can be verified. The
 * table is kept (b->old_pw) so the rewrite keeps lines of other UPNs; a later
 * line for the same UPN wins (lines are appended as passwords are made). */
static void load_passwords(batch *b, const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (mgw_file_read(path, 64u << 20, &data, &len) != MGW_OK)
        return;
    char err[128];
    const size_t *idx = b->by_upn, m = b->n_by_upn;
    if (csv_parse(data, len, &b->old_pw, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < b->old_pw.n; i++) {
            const csv_record *rec = &b->old_pw.recs[i];
            if (rec->n != 2 || (i == 0 && is_password_header(rec)))
                continue;
            for (size_t k = find_upn(b, rec->fields[0]);
                 k < m && strcmp(b->rows[idx[k]].field[COL_UPN], rec->fields[0]) == 0; k++) {
                set_password(&b->rows[idx[k]], rec->fields[1]);
                b->rows[idx[k]].remembered = true;
            }
        }
    } else {
        fprintf(stderr, "mgwauth: warning: %s %s; its passwords are not used\n", path, err);
        memset(&b->old_pw, 0, sizeof(b->old_pw));
    }
    mgw_free(data); /* wipes */
}

/* Wipe and free the table read from passwords.csv. */
static void free_old_passwords(batch *b)
{
    for (size_t i = 0; i < b->old_pw.n; i++)
        for (size_t f = 0; f < b->old_pw.recs[i].n; f++)
            memset(b->old_pw.recs[i].fields[f], 0, strlen(b->old_pw.recs[i].fields[f]));
    csv_free(&b->old_pw);
}

/* Rows from the table; per-row problems are reported and the row skipped. */
static int build_rows(batch *b, const csv_table *t, const int *col)
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
            row_error(b, r, "%zu fields, the header has %zu", rec->n, t->recs[0].n);
            continue;
        }
        if (r->field[COL_UPN][0] == '\0') {
            row_error(b, r, "empty upn");
            continue;
        }
        if ((r->base = safe_base(r->field[COL_UPN])) == NULL)
            return 1;
    }
    return check_collisions(b);
}

/* ---- outputs of the whole batch ------------------------------------------------- */

static int write_manifest(batch *b)
{
    size_t cap = 256 + b->n * 1600, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    len = (size_t)snprintf(buf, cap, "upn,serial,sha1_thumbprint,not_after,pfx,cer\n");
    for (size_t i = 0; i < b->n; i++) {
        row *r = &b->rows[i];
        if (r->state != ROW_ISSUED && r->state != ROW_SKIPPED)
            continue;
        char pfx[200], cer[200];
        snprintf(pfx, sizeof(pfx), "%s.pfx", r->base);
        snprintf(cer, sizeof(cer), "%s.cer", r->base);
        const char *f[] = {r->field[COL_UPN], r->serial, r->sha1, r->not_after, pfx, cer};
        for (size_t k = 0; k < N(f); k++) {
            len = csv_quote(buf, len, cap, f[k]);
            if (len == (size_t)-1) {
                free(buf);
                return 1;
            }
            buf[len++] = k + 1 < N(f) ? ',' : '\n';
        }
    }
    char *path = cli_path(b->dir, "manifest", ".csv");
    int r = path != NULL ? mgw_file_write(path, (uint8_t *)buf, len, MGW_FILE_FORCE) : MGW_ERR_NO_MEMORY;
    free(path);
    free(buf);
    return r == MGW_OK ? 0 : cli_fail(r, "manifest.csv");
}

static const csv_table *old_sort;

static int by_old_upn(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(old_sort->recs[i].fields[0], old_sort->recs[j].fields[0]);
    return c != 0 ? c : (i > j) - (i < j);
}

/* passwords.csv was appended to as passwords were generated; rewrite it once,
 * one line per UPN, atomically and mode 0600. It keeps every password known:
 * made by this run, read back for rows of this CSV, and lines of UPNs that are
 * not in this CSV (an earlier batch into the same directory). */
static int consolidate_passwords(batch *b, const char *path)
{
    size_t cap = 64;
    for (size_t i = 0; i < b->n; i++)
        if (b->rows[i].password != NULL)
            cap += 2 * (strlen(b->rows[i].field[COL_UPN]) + strlen(b->rows[i].password)) + 8;
    for (size_t i = 0; i < b->old_pw.n; i++)
        if (b->old_pw.recs[i].n == 2)
            cap += 2 * (strlen(b->old_pw.recs[i].fields[0]) +
                        strlen(b->old_pw.recs[i].fields[1])) + 8;
    char *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    size_t len = (size_t)snprintf(buf, cap, "upn,password\n"), count = 0;
    size_t *old = malloc((b->old_pw.n + 1) * sizeof(size_t)), om = 0;
    if (old == NULL)
        len = (size_t)-1;
    for (size_t i = 0; i < b->old_pw.n && len != (size_t)-1; i++) {
        const csv_record *rec = &b->old_pw.recs[i];
        if (rec->n == 2 && !(i == 0 && is_password_header(rec)) &&
            find_upn(b, rec->fields[0]) == (size_t)-1)
            old[om++] = i;
    }
    /* lines of UPNs outside this CSV, the newest of each */
    old_sort = &b->old_pw;
    if (len != (size_t)-1)
        qsort(old, om, sizeof(size_t), by_old_upn);
    for (size_t k = 0; k < om && len != (size_t)-1; k++) {
        const csv_record *rec = &b->old_pw.recs[old[k]];
        if (k + 1 < om && strcmp(b->old_pw.recs[old[k + 1]].fields[0], rec->fields[0]) == 0)
            continue;
        len = append_password_line(buf, len, cap, rec->fields[0], rec->fields[1]);
        count++;
    }
    free(old);
    for (size_t i = 0; i < b->n && len != (size_t)-1; i++) {
        row *r = &b->rows[i];
        bool own_pw = r->field[COL_PASSWORD] != NULL && r->field[COL_PASSWORD][0] != '\0';
        if (r->password == NULL || !(r->generated || (r->remembered && !own_pw)))
            continue;
        len = append_password_line(buf, len, cap, r->field[COL_UPN], r->password);
        count++;
    }
    int r = MGW_OK;
    if (len == (size_t)-1)
        r = MGW_ERR_NO_MEMORY;
    else if (count > 0)
        r = mgw_file_write(path, (uint8_t *)buf, len, MGW_FILE_FORCE | MGW_FILE_PRIVATE);
    memset(buf, 0, cap);
    free(buf);
    return r == MGW_OK ? 0 : cli_fail(r, "passwords.csv");
}

/* No password was made or kept: no file (a header alone is no file). */
static void drop_empty_password_file(const char *path)
{
    FILE *f = cli_fopen(path, "rb");
    if (f == NULL)
        return;
    char head[16];
    size_t got = fread(head, 1, sizeof(head), f);
    fclose(f);
    if (got == 0 || (got == 13 && memcmp(head, "upn,password\n", 13) == 0))
        cli_remove(path);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which rows' outputs already exist: one directory scan instead of two
 * system calls per row. */
static void scan_outputs(batch *b)
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A bar with rate and ETA on a terminal, a line every few seconds otherwise. */
static void progress(batch *b, double start, bool tty, bool final, double *last)
{
    pthread_mutex_lock(&b->lock);
    size_t done = b->issued + b->skipped + b->failed, total = b->n, issued = b->issued;
    pthread_mutex_unlock(&b->lock);
    double t = now_s(), el = t - start, rate = el > 0 ? (double)issued / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    if (tty) {
        char bar[31];
        size_t fill = total > 0 ? done * 30 / total : 30;
        for (size_t i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %zu/%zu %.1f/s ETA %.0fs ", bar, done, total, rate, eta);
        if (final)
            fputc('\n', stderr);
        fflush(stderr); /* a Windows console's stderr is buffered (os.c) */
    } else if (final || t - *last >= 5) {
        fprintf(stderr, "progress: %zu/%zu rows, %.1f certificates/s, ETA %.0f s\n", done, total,
                rate, eta);
        *last = t;
    }
}

int cmd_cert_issue(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("ca", true, false),       OPT("ca-password-file", true, false),
        OPT("batch", true, false),    OPT("out", true, false),
        OPT("jobs", true, false),     OPT("key", true, false),
        OPT("profile", true, false),  OPT("days", true, false),
        OPT("iterations", true, false), OPT("force", false, false),
    };
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    const char *ca = cli_value(o, n, "ca"), *csv = cli_value(o, n, "batch");
    const char *dir = cli_value(o, n, "out");
    if (ca == NULL || csv == NULL || dir == NULL || cli_value(o, n, "ca-password-file") == NULL)
        return cli_usage("cert issue needs --ca FILE.pfx, --ca-password-file F, --batch FILE.csv "
                         "and --out DIR");
    batch b;
    memset(&b, 0, sizeof(b));
    b.dir = dir;
    b.csv_name = csv;
    b.key_type = MGW_KEY_P256;
    b.profile = MGW_PFX_PROFILE_COMPAT;
    b.days = 730;
    b.force = cli_get(o, n, "force")->seen;
    b.pw_fd = -1;
    long jobs = cli_cpu_count();
    const char *v;
    unsigned long u;
    if ((v = cli_value(o, n, "jobs")) != NULL) {
        if (!cli_uint(v, 1, 256, &u))
            return cli_usage("--jobs must be 1 to 256");
        jobs = (long)u;
    }
    if (jobs < 1)
        jobs = 1;
    if ((v = cli_value(o, n, "key")) != NULL && !cli_key_type(v, &b.key_type))
        return cli_usage("--key must be " CLI_KEY_NAMES);
    if ((v = cli_value(o, n, "profile")) != NULL && !cli_pfx_profile(v, &b.profile))
        return cli_usage("--profile must be compat or modern");
    if ((v = cli_value(o, n, "days")) != NULL) {
        if (!cli_uint(v, 1, 36500, &u))
            return cli_usage("--days must be 1 to 36500");
        b.days = (uint32_t)u;
    }
    if ((v = cli_value(o, n, "iterations")) != NULL) {
        if (!cli_uint(v, 1, mgw_pfx_max_iterations(), &u))
            return cli_usage("--iterations must be 1 to %lu", (unsigned long)mgw_pfx_max_iterations());
        b.iterations = (uint32_t)u;
    }

    int rc = 1;
    uint8_t *data = NULL;
    size_t len = 0;
    csv_table t = {NULL, 0};
    char err[256], *pw_path = NULL;
    pthread_t *threads = NULL;
    pthread_mutex_init(&b.lock, NULL);
    if (cli_password(cli_value(o, n, "ca-password-file"), &b.ca_pw, &b.ca_pw_len) != 0 ||
        cli_read(ca, &b.ca_pfx, &b.ca_pfx_len) != 0 || cli_read_text(csv, &data, &len) != 0)
        goto done;
    /* open the CA once here so a wrong password is one clear error */
    mgw_pfx_t *check = NULL;
    int r = mgw_pfx_parse(b.ca_pfx, b.ca_pfx_len, b.ca_pw, b.ca_pw_len, &check);
    mgw_cert_t *cac = NULL;
    if (r == MGW_OK && (r = mgw_pfx_cert(check, &cac)) == MGW_OK && !mgw_cert_is_ca(cac))
        r = MGW_ERR_NOT_CA;
    mgw_cert_free(&cac);
    mgw_pfx_free(&check);
    if (r != MGW_OK) {
        cli_fail(r, ca);
        goto done;
    }
    if (csv_parse(data, len, &t, err, sizeof(err)) != 0) {
        fprintf(stderr, "mgwauth: error: %s %s\n", csv, err);
        goto done;
    }
    if (t.n == 0) {
        fprintf(stderr, "mgwauth: error: %s: no header row\n", csv);
        goto done;
    }
    int col[NCOLS];
    if (map_columns(&t.recs[0], csv, col) != 0 || build_rows(&b, &t, col) != 0 ||
        index_upns(&b) != 0)
        goto done;
    if (cli_mkdirs(dir) != 0 || (pw_path = cli_path(dir, "passwords", ".csv")) == NULL)
        goto done;
    load_passwords(&b, pw_path);
    scan_outputs(&b);
    b.pw_fd = cli_open_append_private(pw_path);
    if (b.pw_fd < 0) {
        fprintf(stderr, "mgwauth: error: cannot open %s: %s\n", pw_path, strerror(errno));
        goto done;
    }
    /* a header first, so lines appended before a crash still read back; after
     * a line cut short by a crash, a newline so the next line stands alone */
    struct stat pst;
    char lastc = '\n';
    if (fstat(b.pw_fd, &pst) == 0 && pst.st_size > 0 && cli_last_byte(pw_path, &lastc) != 0)
        lastc = '\n';
    if (fstat(b.pw_fd, &pst) != 0 ||
        (pst.st_size == 0 && write(b.pw_fd, "upn,password\n", 13) != 13) ||
        (pst.st_size > 0 && lastc != '\n' && write(b.pw_fd, "\n", 1) != 1)) {
        fprintf(stderr, "mgwauth: error: cannot write %s: %s\n", pw_path, strerror(errno));
        goto done;
    }
    cli_on_interrupt(on_signal);
    threads = calloc((size_t)jobs, sizeof(*threads));
    if (threads == NULL)
        goto done;
    double start = now_s(), last = start;
    bool tty = cli_stderr_is_terminal();
    for (long i = 0; i < jobs; i++)
        pthread_create(&threads[i], NULL, work, &b);
    for (;;) {
        pthread_mutex_lock(&b.lock);
        bool finished = b.issued + b.skipped + b.failed >= b.n || (stop_requested && b.next >= b.n);
        pthread_mutex_unlock(&b.lock);
        if (finished || stop_requested)
            break;
        progress(&b, start, tty, false, &last);
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (long i = 0; i < jobs; i++)
        pthread_join(threads[i], NULL);
    progress(&b, start, tty, true, &last);
    /* the append handle goes before passwords.csv is replaced (Windows does
     * not rename over an open file) */
    close(b.pw_fd);
    b.pw_fd = -1;
    /* the rows' files were renamed without a directory sync each: one now */
    int wrote = mgw_file_sync_dir(dir) == MGW_OK ? 0 : cli_fail(MGW_ERR_IO, dir);
    wrote |= write_manifest(&b) | consolidate_passwords(&b, pw_path);
    drop_empty_password_file(pw_path);
    double el = now_s() - start;
    printf("issued %zu, already done %zu, failed %zu, not started %zu in %.1f s "
           "(%.1f certificates/s, %ld jobs)\n",
           b.issued, b.skipped, b.failed, b.n - b.issued - b.skipped - b.failed, el,
           el > 0 ? (double)b.issued / el : 0.0, jobs);
    printf("wrote:      %s/manifest.csv%s\n", dir,
           cli_exists(pw_path) ? ", passwords.csv (mode 0600)" : "");
    rc = stop_requested ? 130 : (b.failed > 0 || wrote != 0) ? 1 : 0;
done:
    if (b.pw_fd >= 0)
        close(b.pw_fd);
    if (pw_path != NULL) {
        drop_empty_password_file(pw_path);
    }
    for (size_t i = 0; i < b.n; i++) {
        set_password(&b.rows[i], NULL);
        free(b.rows[i].base);
    }
    free(b.rows);
    free_old_passwords(&b);
    free(b.by_upn);
    free(threads);
    free(pw_path);
    csv_free(&t);
    mgw_free(data);
    mgw_free(b.ca_pfx);
    mgw_free(b.ca_pw);
    pthread_mutex_destroy(&b.lock);
    return rc;
}
