/* mgwauth cert issue: the worker threads. Each owns its objects (and its
 * own copy of the CA key); a row's PFX and CER are written together or not
 * at all, so an interrupt leaves no partial file. */
#include "issue.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

bool issue_interrupted(void)
{
    return stop_requested != 0;
}

typedef struct {
    mgw_key_t *ca_key;
    mgw_cert_t *ca_cert;
} worker;

static bool cert_has_upn(const mgw_cert_t *c, const char *upn)
{
    for (size_t i = 0; i < mgw_cert_san_count(c); i++) {
        int type;
        char *v = NULL;
        bool match =
            mgw_cert_san(c, i, &type, &v) == MGW_OK && type == MGW_SAN_UPN && strcmp(v, upn) == 0;
        mgw_free(v);
        if (match)
            return true;
    }
    return false;
}

/* Outputs of an earlier run: usable when they open with the row's password,
 * hold the same certificate and its key, carry the UPN and were signed by
 * this CA. */
static bool verify_existing(batch *b, worker *w, row *r, const char *pfx_path, const char *cer_path,
                            char *why, size_t whysz)
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
        issue_manifest_fill(r, c);
    (void)b;
    mgw_free(pfx);
    mgw_free(cer);
    mgw_cert_free(&c);
    mgw_cert_free(&inside);
    mgw_key_free(&key);
    mgw_pfx_free(&p);
    return ok;
}

static void issue_row(batch *b, worker *w, row *r)
{
    char *pfx_path = cli_path(b->dir, r->base, ".pfx"),
         *cer_path = cli_path(b->dir, r->base, ".cer");
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_pfxopts_t *po = mgw_pfxopts_new();
    mgw_key_t *k = mgw_key_new();
    mgw_cert_t *c = NULL;
    mgw_fileset_t *fs = mgw_fileset_new();
    uint8_t *pfx = NULL, *cer = NULL;
    size_t pl = 0, cl = 0;
    char why[300], subject[1200];
    if (pfx_path == NULL || cer_path == NULL || o == NULL || po == NULL || k == NULL ||
        fs == NULL) {
        issue_row_error(b, r, "out of memory");
        goto done;
    }
    bool have_pfx = r->had_pfx, have_cer = r->had_cer; /* from the scan at the start */
    if ((have_pfx || have_cer) && !b->force) {
        if (have_pfx && have_cer &&
            verify_existing(b, w, r, pfx_path, cer_path, why, sizeof(why))) {
            pthread_mutex_lock(&b->lock);
            r->state = ROW_SKIPPED;
            b->skipped++;
            pthread_mutex_unlock(&b->lock);
        } else {
            issue_row_error(b, r, "%s exists but does not verify (%s); use --force to reissue",
                            have_pfx ? pfx_path : cer_path,
                            have_pfx && have_cer ? why : "the other file is missing");
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
        issue_row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    const char *pw = r->field[COL_PASSWORD];
    if (pw == NULL || pw[0] == '\0') {
        char *gen = NULL;
        if (mgw_password_generate(24, &gen) != MGW_OK) {
            issue_row_error(b, r, "%s", mgw_last_error());
            goto done;
        }
        issue_set_password(r, gen);
        mgw_free(gen);
        r->generated = true;
        pw = r->password;
    }
    if ((rc = mgw_key_generate(k, b->key_type)) != MGW_OK ||
        (rc = mgw_cert_create(o, k, w->ca_cert, w->ca_key, &c)) != MGW_OK ||
        (rc = mgw_cert_export(c, MGW_FORMAT_DER, &cer, &cl)) != MGW_OK ||
        (rc = mgw_pfx_write(po, c, k, pw, strlen(pw), &pfx, &pl)) != MGW_OK) {
        issue_row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    unsigned force = (b->force ? MGW_FILE_FORCE : 0) | MGW_FILE_NO_DIR_SYNC;
    if (mgw_fileset_add(fs, pfx_path, pfx, pl, force | MGW_FILE_PRIVATE) != MGW_OK ||
        mgw_fileset_add(fs, cer_path, cer, cl, force) != MGW_OK) {
        issue_row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    if (r->generated && issue_journal_append(b, r) != 0) {
        issue_row_error(b, r, "cannot record the generated password: %s", strerror(errno));
        goto done;
    }
    if (mgw_fileset_commit(fs) != MGW_OK) {
        issue_row_error(b, r, "%s", mgw_last_error());
        goto done;
    }
    issue_manifest_fill(r, c);
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
    pthread_mutex_lock(&b->lock);
    b->workers_left--;
    pthread_cond_signal(&b->workers_done);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

/* Until every worker has ended or an interrupt came: woken by the last worker,
 * not by a poll, so the batch ends when its work does (a fixed sleep added up
 * to its length to every run); the timeout paces the progress display. */
static void wait_for_workers(batch *b, double start, bool tty, double *last)
{
    pthread_mutex_lock(&b->lock);
    while (b->workers_left > 0 && !stop_requested) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000 * 1000 * 1000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000 * 1000 * 1000;
        }
        if (pthread_cond_timedwait(&b->workers_done, &b->lock, &ts) == ETIMEDOUT &&
            b->workers_left > 0) {
            pthread_mutex_unlock(&b->lock);
            issue_progress(b, start, tty, false, last);
            pthread_mutex_lock(&b->lock);
        }
    }
    pthread_mutex_unlock(&b->lock);
}

int issue_run_jobs(batch *b, long jobs, double *start)
{
    cli_on_interrupt(on_signal);
    pthread_t *threads = calloc((size_t)jobs, sizeof(*threads));
    if (threads == NULL)
        return 1;
    double last;
    *start = last = issue_now();
    bool tty = cli_stderr_is_terminal();
    long started = 0;
    b->workers_left = (size_t)jobs;
    for (long i = 0; i < jobs; i++)
        if (pthread_create(&threads[started], NULL, work, b) == 0)
            started++;
    pthread_mutex_lock(&b->lock);
    b->workers_left -= (size_t)(jobs - started); /* with none started, rows stay "not started" */
    pthread_mutex_unlock(&b->lock);
    wait_for_workers(b, *start, tty, &last);
    for (long i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    issue_progress(b, *start, tty, true, &last);
    free(threads);
    return 0;
}
