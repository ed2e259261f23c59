/* mgwauth roots plan|prune|restore and mgwauth task xml. */
#include "cli.h"
#include "roots_move.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Options shared by plan and prune. */
#define PLAN_OPTS                                                                                  \
    OPT("store", true, false), OPT("system-store", true, false), OPT("keep", true, true),          \
        OPT("keep-file", true, true), OPT("keep-cert", true, true),                                \
        OPT("allow-missing", false, false), OPT("allow-protected", true, true),                    \
        OPT("remove-protected", false, false), OPT("move-intermediates", false, false),            \
        OPT("intermediate-store", true, false), OPT("intermediate-system-store", true, false)

/* Everything a roots command holds, released at the end. */
typedef struct {
    mgw_store_t *store;
    mgw_rootopts_t *opts;
    mgw_rootplan_t *plan;
    char *text;
} roots_job;

static void job_free(roots_job *j)
{
    mgw_store_free(&j->store);
    mgw_rootopts_free(&j->opts);
    mgw_rootplan_free(&j->plan);
    mgw_free(j->text);
}

int cli_open_store(cli_opt *o, size_t n, mgw_store_t **store)
{
    const char *dir = cli_value(o, n, "store"), *sys = cli_value(o, n, "system-store");
    if ((dir == NULL) == (sys == NULL))
        return cli_usage("give the store: --store DIR or --system-store LOCATION\\NAME "
                         "(e.g. LocalMachine\\Root)");
    int r = dir != NULL ? mgw_store_open_dir(dir, store) : mgw_store_open_system(sys, store);
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

static int open_store(roots_job *j, cli_opt *o, size_t n)
{
    return cli_open_store(o, n, &j->store);
}

/* How the store was named, for the commands printed back to the user. */
static const char *store_flag(cli_opt *o, size_t n)
{
    return cli_value(o, n, "store") != NULL ? "--store" : "--system-store";
}

static const char *store_value(cli_opt *o, size_t n)
{
    const char *dir = cli_value(o, n, "store");
    return dir != NULL ? dir : cli_value(o, n, "system-store");
}

/* --keep-cert: the certificates its issuers are looked for among. */
typedef struct {
    mgw_cert_t *cert;
    char *tp;     /* SHA-1 */
    bool in_root; /* the trust store holds it (only those are kept) */
    bool seen;
} chain_cand;

typedef struct {
    chain_cand *v;
    size_t n, cap;
} chain_pool;

static void pool_free(chain_pool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        mgw_cert_free(&p->v[i].cert);
        mgw_free(p->v[i].tp);
    }
    free(p->v);
    memset(p, 0, sizeof(*p));
}

/* A certificate is one node of the walk, wherever it was found. */
static void pool_seen(chain_pool *p, size_t k)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].tp, p->v[k].tp) == 0)
            p->v[i].seen = true;
}

/* Takes *c; MGW_OK or an error code. */
static int pool_add(chain_pool *p, mgw_cert_t **c, const mgw_store_t *root)
{
    if (p->n == p->cap) {
        size_t cap = p->cap != 0 ? 2 * p->cap : 64;
        chain_cand *v = realloc(p->v, cap * sizeof(*v));
        if (v == NULL) {
            mgw_cert_free(c);
            return MGW_ERR_NO_MEMORY;
        }
        p->v = v;
        p->cap = cap;
    }
    chain_cand *e = &p->v[p->n];
    memset(e, 0, sizeof(*e));
    int r = mgw_cert_thumbprint(*c, MGW_DIGEST_SHA1, &e->tp);
    if (r != MGW_OK) {
        mgw_cert_free(c);
        return r;
    }
    e->cert = *c;
    *c = NULL;
    e->in_root = cli_store_holds(root, e->tp);
    p->n++;
    return MGW_OK;
}

/* Every certificate of a store into the pool; those it cannot read are
 * left out (they are no issuer the walk could follow). */
static int pool_add_store(chain_pool *p, const mgw_store_t *s, const mgw_store_t *root)
{
    int r = MGW_OK;
    for (size_t i = 0; r == MGW_OK && i < mgw_store_cert_count(s); i++) {
        uint8_t *der = NULL;
        size_t len = 0;
        mgw_cert_t *c = NULL;
        if (mgw_store_cert_der(s, i, &der, &len) == MGW_OK &&
            mgw_cert_parse(der, len, &c) == MGW_OK)
            r = pool_add(p, &c, root);
        mgw_free(der);
    }
    return r;
}

/* The certificates of a --keep-cert file: one DER certificate, or every
 * PEM CERTIFICATE block (the first is the one to keep, the others are
 * issuers offered with it). */
static int pool_add_file(chain_pool *p, const uint8_t *data, size_t len, const mgw_store_t *root)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    const char *text = (const char *)data, *at = strstr(text, begin);
    mgw_cert_t *c = NULL;
    int r = MGW_OK;
    if (at == NULL || strlen(text) != len) {
        r = mgw_cert_parse(data, len, &c);
        return r == MGW_OK ? pool_add(p, &c, root) : r;
    }
    for (; r == MGW_OK && at != NULL; at = strstr(at, begin)) {
        const char *stop = strstr(at, end);
        if (stop == NULL)
            return mgw_cert_parse((const uint8_t *)at, len - (size_t)(at - text), &c);
        stop += sizeof(end) - 1;
        r = mgw_cert_parse((const uint8_t *)at, (size_t)(stop - at), &c);
        if (r == MGW_OK)
            r = pool_add(p, &c, root);
        at = stop;
    }
    return r;
}

/* --keep-cert FILE: the certificate (the gateway's client certificate, its
 * CA, or the HTTPS binding's server certificate) and every issuer above it
 * that the trust store holds, up to its roots: a prune never breaks a
 * chain. Issuers are looked for in the trust store, the intermediate store
 * (issuer_store) and the file; every certificate that verifies as an issuer
 * is followed (cross-signed CAs have several), but only those in the trust
 * store are kept. */
static int keep_chain(roots_job *j, const char *file, const char *ca_flag, const char *ca_name,
                      bool ca_named)
{
    enum { MAX_DEPTH = 8 };
    uint8_t *data = NULL;
    size_t len = 0;
    chain_pool pool = {0};
    mgw_store_t *ca = NULL;
    if (cli_read(file, &data, &len) != 0)
        return 1;
    int r = pool_add_file(&pool, data, len, j->store);
    mgw_free(data);
    if (r != MGW_OK)
        return cli_fail(r, file);
    if (ca_name != NULL) {
        int o = strcmp(ca_flag, "--store") == 0 ? mgw_store_open_dir(ca_name, &ca)
                                                : mgw_store_open_system(ca_name, &ca);
        if (o != MGW_OK && ca_named) {
            pool_free(&pool);
            return cli_fail(o, ca_name);
        }
    }
    r = pool_add_store(&pool, j->store, j->store);
    if (r == MGW_OK && ca != NULL)
        r = pool_add_store(&pool, ca, j->store);
    mgw_store_free(&ca);
    size_t *front = calloc(pool.n + 1, sizeof(*front)), *next = calloc(pool.n + 1, sizeof(*next));
    size_t nf = 0, kept = 0;
    if (r == MGW_OK && (front == NULL || next == NULL))
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK) {
        pool_seen(&pool, 0);
        front[nf++] = 0;
        /* the certificate itself where the store holds it (a client
         * certificate may be trusted through its CA alone) */
        if (pool.v[0].in_root && (r = mgw_rootopts_add_keep(j->opts, pool.v[0].tp)) == MGW_OK)
            kept++;
    }
    int depth = 0;
    for (; r == MGW_OK && nf > 0 && depth < MAX_DEPTH; depth++) {
        size_t nn = 0;
        for (size_t f = 0; r == MGW_OK && f < nf; f++) {
            const mgw_cert_t *cur = pool.v[front[f]].cert;
            if (mgw_cert_check_issuer(cur, cur) == MGW_OK)
                continue; /* a root: the chain ends here */
            for (size_t k = 0; r == MGW_OK && k < pool.n; k++) {
                if (pool.v[k].seen || mgw_cert_check_issuer(cur, pool.v[k].cert) != MGW_OK)
                    continue;
                pool_seen(&pool, k);
                next[nn++] = k;
                if (pool.v[k].in_root &&
                    (r = mgw_rootopts_add_keep(j->opts, pool.v[k].tp)) == MGW_OK)
                    kept++;
            }
        }
        size_t *t = front;
        front = next;
        next = t;
        nf = nn;
    }
    if (r == MGW_OK && nf > 0) {
        bool above = false;
        for (size_t f = 0; f < nf; f++)
            above = above ||
                    mgw_cert_check_issuer(pool.v[front[f]].cert, pool.v[front[f]].cert) != MGW_OK;
        if (above)
            fprintf(stderr,
                    "mgwauth: warning: %s: the chain is longer than %d issuers; those "
                    "above were not looked for\n",
                    file, MAX_DEPTH);
    }
    free(front);
    free(next);
    pool_free(&pool);
    if (r == MGW_OK && kept == 0) {
        fprintf(stderr, "mgwauth: error: %s: neither it nor an issuer of it is in the store\n",
                file);
        return 1;
    }
    return r == MGW_OK ? 0 : cli_fail(r, file);
}

/* Where --keep-cert looks for intermediates besides the trust store and
 * its file: --intermediate-store DIR, --intermediate-system-store
 * LOCATION\\NAME, or beside a system trust store its location's CA store
 * (*named false: not an error when it cannot be opened). */
static void issuer_store(cli_opt *o, size_t n, const char **flag, char *name, size_t size,
                         bool *named)
{
    const char *dir = cli_value(o, n, "intermediate-store");
    const char *sys = cli_value(o, n, "intermediate-system-store");
    const char *root_sys = cli_value(o, n, "system-store");
    *named = dir != NULL || sys != NULL;
    *flag = dir != NULL ? "--store" : sys != NULL || root_sys != NULL ? "--system-store" : NULL;
    if (dir != NULL || sys != NULL) {
        snprintf(name, size, "%s", dir != NULL ? dir : sys);
    } else if (root_sys != NULL) {
        size_t loc = strcspn(root_sys, "\\/");
        snprintf(name, size, "%.*s\\CA", (int)loc, root_sys);
    }
}

/* The keep-list and the overrides, from --keep, --keep-file, --keep-cert, --allow-*. */
static int load_opts(roots_job *j, cli_opt *o, size_t n)
{
    cli_opt *keep = cli_get(o, n, "keep"), *files = cli_get(o, n, "keep-file");
    cli_opt *allow = cli_get(o, n, "allow-protected"), *certs = cli_get(o, n, "keep-cert");
    if (keep->count == 0 && files->count == 0 && certs->count == 0)
        return cli_usage("name the certificates to keep with --keep THUMBPRINT, --keep-file FILE "
                         "or --keep-cert FILE");
    if ((j->opts = mgw_rootopts_new()) == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    int r;
    for (size_t i = 0; i < keep->count; i++)
        if ((r = mgw_rootopts_add_keep(j->opts, keep->values[i])) != MGW_OK)
            return cli_fail(r, "--keep");
    for (size_t i = 0; i < files->count; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        if (cli_read(files->values[i], &data, &len) != 0)
            return 1;
        r = mgw_rootopts_add_keep_file(j->opts, data, len, files->values[i]);
        mgw_free(data);
        if (r != MGW_OK)
            return cli_fail(r, NULL);
    }
    const char *ca_flag = NULL;
    char ca_name[1024];
    bool ca_named = false;
    if (certs->count > 0)
        issuer_store(o, n, &ca_flag, ca_name, sizeof(ca_name), &ca_named);
    for (size_t i = 0; i < certs->count; i++)
        if (keep_chain(j, certs->values[i], ca_flag, ca_flag != NULL ? ca_name : NULL, ca_named) !=
            0)
            return 1;
    for (size_t i = 0; i < allow->count; i++)
        if ((r = mgw_rootopts_allow_protected(j->opts, allow->values[i])) != MGW_OK)
            return cli_fail(r, "--allow-protected");
    mgw_rootopts_set_allow_missing(j->opts, cli_get(o, n, "allow-missing")->seen);
    mgw_rootopts_set_remove_protected(j->opts, cli_get(o, n, "remove-protected")->seen);
    return 0;
}

static int make_plan(roots_job *j, cli_opt *o, size_t n, int style, bool print)
{
    int rc;
    if ((rc = open_store(j, o, n)) != 0 || (rc = load_opts(j, o, n)) != 0)
        return rc;
    int r = mgw_rootplan_compute(j->store, j->opts, &j->plan);
    if (r == MGW_OK)
        r = mgw_rootplan_describe(j->plan, style, &j->text);
    if (r != MGW_OK)
        return cli_fail(r, NULL);
    if (print)
        fputs(j->text, stdout);
    return 0;
}

/* --move-intermediates: the intermediate store (--intermediate-store DIR,
 * --intermediate-system-store LOCATION\\NAME, or beside a system trust
 * store its location's CA store) as *flag and *name; 0, or usage. */
static int intermediate_store(cli_opt *o, size_t n, const char **flag, char *name, size_t size)
{
    const char *dir = cli_value(o, n, "intermediate-store");
    const char *sys = cli_value(o, n, "intermediate-system-store");
    if (!cli_get(o, n, "move-intermediates")->seen) {
        if ((dir != NULL || sys != NULL) && cli_get(o, n, "keep-cert")->count == 0)
            return cli_usage("--intermediate-store and --intermediate-system-store go with "
                             "--move-intermediates or --keep-cert");
        *flag = NULL;
        return 0;
    }
    if (dir != NULL && sys != NULL)
        return cli_usage("give one of --intermediate-store and --intermediate-system-store");
    const char *root_sys = cli_value(o, n, "system-store");
    if (dir == NULL && sys == NULL && root_sys == NULL)
        return cli_usage("--move-intermediates with a directory store needs --intermediate-store "
                         "DIR");
    if (dir == NULL && sys == NULL) {
        size_t loc = strcspn(root_sys, "\\/");
        snprintf(name, size, "%.*s\\CA", (int)loc, root_sys);
    } else {
        snprintf(name, size, "%s", dir != NULL ? dir : sys);
    }
    *flag = dir != NULL ? "--store" : "--system-store";
    /* moving into the trust store itself would remove what it "moved" */
    const char *root_dir = cli_value(o, n, "store");
    bool same = false;
    if (dir != NULL && root_dir != NULL)
        same = cli_same_file(dir, root_dir) || strcmp(dir, root_dir) == 0;
    if (dir == NULL && root_sys != NULL) {
        size_t k = 0;
        for (same = true; same && (name[k] != '\0' || root_sys[k] != '\0'); k++) {
            char a = name[k] == '/' ? '\\' : name[k], b = root_sys[k] == '/' ? '\\' : root_sys[k];
            same = tolower((unsigned char)a) == tolower((unsigned char)b);
        }
    }
    if (same)
        return cli_usage("the intermediate store %s is the trust store itself: name another one",
                         name);
    return 0;
}

int cmd_roots_plan(int argc, char **argv)
{
    cli_opt o[] = {PLAN_OPTS, OPT("json", false, false)};
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    const char *to_flag = NULL;
    char to[1024];
    bool json = cli_get(o, n, "json")->seen;
    if (intermediate_store(o, n, &to_flag, to, sizeof(to)) != 0)
        return EXIT_USAGE;
    roots_job j = {0};
    roots_moves m = {0};
    bool moves_json_too = to_flag != NULL && json;
    int rc = make_plan(&j, o, n, json ? MGW_DESCRIBE_JSON : MGW_DESCRIBE_TEXT, !moves_json_too);
    if (rc == 0 && to_flag != NULL && (rc = moves_find(j.store, j.plan, &m)) == 0) {
        if (!moves_json_too) {
            moves_print(&m, to);
        } else {
            /* the plan's object with "moves" added as its last member */
            char *mj = moves_json(&m, to_flag, to), *close = strrchr(j.text, '}');
            if (mj == NULL || close == NULL) {
                rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
            } else {
                const char *back = close;
                while (back > j.text && (back[-1] == ' ' || back[-1] == '\n'))
                    back--;
                printf("%.*s,\n  \"moves\": %s\n%s", (int)(back - j.text), j.text, mj, close);
            }
            free(mj);
        }
    }
    moves_free(&m);
    job_free(&j);
    return rc;
}

/* ---- prune ------------------------------------------------------------------ */

typedef struct {
    const char *backup;
    size_t backed_up;
    bool announced;
} prune_report;

static void print_event(const char *what, const char *thumbprint, const char *subject,
                        const char *origin, const char *detail)
{
    printf("%-11s %s  %s  [%s]%s%s\n", what, thumbprint, subject, origin,
           detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static void on_prune_event(void *ctx, int event, const char *thumbprint, const char *subject,
                           const char *origin, const char *detail)
{
    prune_report *pr = ctx;
    if (!pr->announced) {
        /* The first event comes after the backup was written and verified. */
        printf("backup: %s (%zu %s, written and verified)\n", pr->backup, pr->backed_up,
               cli_plural(pr->backed_up, "certificate", "certificates"));
        pr->announced = true;
    }
    const char *what = event == MGW_ROOTS_REMOVED  ? "removed"
                       : event == MGW_ROOTS_FAILED ? "FAILED"
                                                   : "not-removed";
    print_event(what, thumbprint, subject, origin, detail);
    fflush(stdout);
}

/* DIR/roots-YYYYMMDDThhmmssZ[-k].pem.gz: Task Scheduler has no date
 * variables, so the tool names each run's backup itself. */
static char *dated_backup(const char *dir, int k)
{
    char base[64];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL)
        return NULL;
    size_t len = strftime(base, sizeof(base), "roots-%Y%m%dT%H%M%SZ", &tm);
    if (k > 1)
        snprintf(base + len, sizeof(base) - len, "-%d", k);
    return cli_path(dir, base, ".pem.gz");
}

static int report_exists(const char *path)
{
    fprintf(stderr, "mgwauth: error: %s exists (use --force to overwrite)\n", path);
    return 1;
}

static int run_prune(roots_job *j, const char *flag, const char *store, const char *backup,
                     const char *backup_dir, bool force, bool *written)
{
    size_t n_remove = mgw_rootplan_count(j->plan, MGW_ROOT_REMOVE);
    if (n_remove == 0) {
        printf("nothing to remove; no backup written\n");
        return 0;
    }
    if (backup_dir != NULL && cli_mkdirs(backup_dir) != 0)
        return 1;
    int r = MGW_ERR_EXISTS;
    char *path = NULL;
    for (int k = 1; r == MGW_ERR_EXISTS && k <= 100; k++) {
        free(path);
        path = backup_dir != NULL ? dated_backup(backup_dir, k) : strdup(backup);
        if (path == NULL)
            return cli_fail(MGW_ERR_NO_MEMORY, NULL);
        prune_report pr = {path, n_remove, false};
        r = mgw_roots_prune(j->store, j->plan, path, force ? MGW_FILE_FORCE : 0, on_prune_event,
                            &pr);
        /* events come only once the backup is written and verified */
        if (written != NULL)
            *written = r == MGW_OK || pr.announced;
        if (backup_dir == NULL)
            break;
    }
    int rc = 0;
    if (r != MGW_OK) {
        rc = cli_fail(r, NULL);
    } else {
        printf("removed %zu %s; to undo: mgwauth roots restore %s %s --backup %s\n", n_remove,
               cli_plural(n_remove, "certificate", "certificates"), flag, store, path);
    }
    free(path);
    return rc;
}

/* prune --move-intermediates: the backup's name is fixed first (its
 * record of the move is named after it), the certificates are copied to the
 * intermediate store, then the prune runs; when it fails, the copies of
 * what it did not remove are taken back. */
static int prune_moving(roots_job *j, cli_opt *o, size_t n, const char *to_flag, const char *to,
                        const char *backup, const char *dir, bool force)
{
    roots_moves m = {0};
    char *path = NULL, *record = NULL;
    int rc = moves_find(j->store, j->plan, &m);
    if (rc == 0)
        moves_print(&m, to);
    /* an earlier move's record is never dropped while it lists copies not
     * taken back (nor left to a new backup of the same name) */
    if (rc == 0 && backup != NULL && (record = moves_record_path(backup)) == NULL)
        rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
    if (rc == 0 && record != NULL)
        rc = moves_check_record(record, store_flag(o, n), store_value(o, n),
                                cli_get(o, n, "yes")->seen);
    free(record);
    record = NULL;
    if (rc == 0 && !cli_get(o, n, "yes")->seen) {
        printf(
            "dry run: nothing changed; with --yes, %zu %s would be backed up, %zu of them "
            "first copied to %s, and removed\n",
            mgw_rootplan_count(j->plan, MGW_ROOT_REMOVE),
            cli_plural(mgw_rootplan_count(j->plan, MGW_ROOT_REMOVE), "certificate", "certificates"),
            m.n, to);
        goto done;
    }
    if (rc == 0 && m.n == 0) {
        rc = run_prune(j, store_flag(o, n), store_value(o, n), backup, dir, force, NULL);
        goto done;
    }
    if (rc == 0 && dir != NULL && cli_mkdirs(dir) != 0)
        rc = 1;
    for (int k = 1; rc == 0 && k <= 100 && path == NULL; k++) {
        path = dir != NULL ? dated_backup(dir, k) : strdup(backup);
        if (path != NULL && dir != NULL && cli_exists(path)) {
            free(path);
            path = NULL;
        } else if (path == NULL) {
            rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    if (rc == 0 && path == NULL)
        rc = report_exists(dir);
    if (rc == 0 && !force && dir == NULL && cli_exists(path))
        rc = report_exists(path);
    if (rc == 0 && (record = moves_record_path(path)) == NULL)
        rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
    /* one fully taken back is replaced */
    if (rc == 0)
        rc = moves_check_record(record, store_flag(o, n), store_value(o, n),
                                cli_get(o, n, "yes")->seen);
    if (rc == 0 && cli_exists(record)) {
        printf("replacing %s (its move was taken back)\n", record);
        if (cli_remove(record) != 0) {
            fprintf(stderr, "mgwauth: error: %s: cannot remove it\n", record);
            rc = 1;
        }
    }
    if (rc == 0)
        rc = moves_copy(j->store, &m, to_flag, to, record);
    if (rc == 0) {
        bool written = false;
        printf("record of the move: %s (roots restore takes the copies back)\n", record);
        rc = run_prune(j, store_flag(o, n), store_value(o, n), path, NULL, force, &written);
        if (written && moves_bind(record, path) != 0) {
            printf("NOT bound to the backup: %s (roots restore leaves the copies in %s)\n", record,
                   to);
            rc = 1;
        }
        if (rc != 0 && moves_undo_unremoved(store_flag(o, n), store_value(o, n), record) != 0)
            printf("NOT taken back: the copies in %s of certificates still in the trust store "
                   "(see %s)\n",
                   to, record);
    }
done:
    free(record);
    free(path);
    moves_free(&m);
    job_free(j);
    return rc;
}

int cmd_roots_prune(int argc, char **argv)
{
    cli_opt o[] = {PLAN_OPTS, OPT("backup", true, false), OPT("backup-dir", true, false),
                   OPT("force", false, false), OPT("yes", false, false)};
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    const char *backup = cli_value(o, n, "backup"), *dir = cli_value(o, n, "backup-dir");
    bool force = cli_get(o, n, "force")->seen;
    if ((backup == NULL) == (dir == NULL))
        return cli_usage("prune needs --backup FILE.pem.gz or --backup-dir DIR (one of them)");
    if (dir != NULL && force)
        return cli_usage("--force is for --backup; --backup-dir never replaces a backup");
    const char *to_flag = NULL;
    char to[1024];
    if (intermediate_store(o, n, &to_flag, to, sizeof(to)) != 0)
        return EXIT_USAGE;
    roots_job j = {0};
    int rc = make_plan(&j, o, n, MGW_DESCRIBE_TEXT, true);
    if (rc == 0 && to_flag != NULL)
        return prune_moving(&j, o, n, to_flag, to, backup, dir, force);
    if (rc == 0 && backup != NULL && !force) {
        FILE *f = cli_fopen(backup, "rb");
        if (f != NULL) {
            fclose(f);
            rc = report_exists(backup);
        }
    }
    /* replacing a backup whose move was not taken back would orphan the
     * copies its record lists */
    char *record = rc == 0 && backup != NULL ? moves_record_path(backup) : NULL;
    if (rc == 0 && backup != NULL && record == NULL)
        rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
    if (rc == 0 && record != NULL)
        rc = moves_check_record(record, store_flag(o, n), store_value(o, n),
                                cli_get(o, n, "yes")->seen);
    free(record);
    if (rc == 0 && !cli_get(o, n, "yes")->seen)
        printf(
            "dry run: nothing changed; with --yes, %zu %s would be backed up to %s "
            "and removed\n",
            mgw_rootplan_count(j.plan, MGW_ROOT_REMOVE),
            cli_plural(mgw_rootplan_count(j.plan, MGW_ROOT_REMOVE), "certificate", "certificates"),
            backup != NULL ? backup : "a dated file in the backup directory");
    else if (rc == 0)
        rc = run_prune(&j, store_flag(o, n), store_value(o, n), backup, dir, force, NULL);
    job_free(&j);
    return rc;
}

/* ---- restore ------------------------------------------------------------------- */

typedef struct {
    size_t added, present;
} restore_report;

static void on_restore_event(void *ctx, int event, const char *thumbprint, const char *subject,
                             const char *origin, const char *detail)
{
    restore_report *rr = ctx;
    rr->added += event == MGW_ROOTS_ADDED;
    rr->present += event == MGW_ROOTS_PRESENT;
    const char *what = event == MGW_ROOTS_ADDED     ? "added"
                       : event == MGW_ROOTS_PRESENT ? "present"
                       : event == MGW_ROOTS_FAILED  ? "FAILED"
                                                    : "not-added";
    print_event(what, thumbprint, subject, origin, detail);
    fflush(stdout);
}

int cmd_roots_restore(int argc, char **argv)
{
    cli_opt o[] = {OPT("store", true, false), OPT("system-store", true, false),
                   OPT("backup", true, false), OPT("only", true, true)};
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    if (cli_value(o, n, "backup") == NULL)
        return cli_usage("restore needs --backup FILE.pem.gz");
    roots_job j = {0};
    int rc = open_store(&j, o, n);
    if (rc == 0) {
        cli_opt *only = cli_get(o, n, "only");
        restore_report rr = {0, 0};
        int r = mgw_roots_restore(j.store, cli_value(o, n, "backup"), only->values, only->count,
                                  on_restore_event, &rr);
        if (r != MGW_OK)
            rc = cli_fail(r, NULL);
        else
            printf("restored %zu %s, %zu already present\n", rr.added,
                   cli_plural(rr.added, "certificate", "certificates"), rr.present);
        if (rc == 0)
            rc = moves_restore(store_flag(o, n), store_value(o, n), cli_value(o, n, "backup"),
                               only->values, only->count);
    }
    job_free(&j);
    return rc;
}

/* ---- task xml ----------------------------------------------------------------- */

/* A duration: "15m", "1h30m", "90s", "2d", or ISO 8601 ("PT15M", "P1DT2H"). */
static int parse_duration(const char *s, uint32_t *seconds)
{
    const char *p = s;
    bool iso = *p == 'P', in_time = false;
    uint64_t total = 0;
    if (iso)
        p++;
    if (*p == '\0')
        return -1;
    while (*p != '\0') {
        if (iso && *p == 'T' && !in_time) {
            in_time = true;
            p++;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno != 0 || v > 100000000ull)
            return -1;
        char unit = *end;
        uint64_t mult = 0;
        if (iso)
            mult = !in_time && unit == 'D'  ? 86400
                   : in_time && unit == 'H' ? 3600
                   : in_time && unit == 'M' ? 60
                   : in_time && unit == 'S' ? 1
                                            : 0;
        else
            mult = unit == 'd'   ? 86400
                   : unit == 'h' ? 3600
                   : unit == 'm' ? 60
                   : unit == 's' ? 1
                                 : 0;
        if (mult == 0)
            return -1;
        total += v * mult;
        if (total > 0xFFFFFFFFull)
            return -1;
        p = end + 1;
    }
    *seconds = (uint32_t)total;
    return 0;
}

static int set_span(mgw_taskopts_t *t, cli_opt *o, size_t n, const char *name,
                    int (*set)(mgw_taskopts_t *, uint32_t))
{
    const char *v = cli_value(o, n, name);
    uint32_t seconds;
    if (v == NULL)
        return 0;
    if (parse_duration(v, &seconds) != 0)
        return cli_usage("--%s takes a duration such as 15m, 1h, 1h30m, 2d or PT15M, not '%s'",
                         name, v);
    if (set(t, seconds) != MGW_OK)
        return cli_usage("--%s %s: %s", name, v, mgw_last_error());
    return 0;
}

/* --command "C:\Program Files\x\x.exe" --flag: the program (quoted when it
 * holds spaces), then its arguments. */
static int set_command_line(mgw_taskopts_t *t, const char *cmd)
{
    while (*cmd == ' ' || *cmd == '\t')
        cmd++;
    const char *start = cmd, *end;
    if (*cmd == '"') {
        start = cmd + 1;
        end = strchr(start, '"');
        if (end == NULL)
            return cli_usage("--command: the quoted program has no closing quote");
    } else {
        end = start + strcspn(start, " \t");
    }
    size_t plen = (size_t)(end - start);
    char *program = malloc(plen + 1);
    if (program == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    memcpy(program, start, plen);
    program[plen] = '\0';
    const char *args = *end == '"' ? end + 1 : end;
    while (*args == ' ' || *args == '\t')
        args++;
    int r = mgw_taskopts_set_command(t, program, *args != '\0' ? args : NULL);
    free(program);
    return r == MGW_OK ? 0 : cli_fail(r, "--command");
}

int cmd_task_xml(int argc, char **argv)
{
    cli_opt o[] = {OPT("interval", true, false),  OPT("time-limit", true, false),
                   OPT("start", true, false),     OPT("command", true, false),
                   OPT("store", true, false),     OPT("system-store", true, false),
                   OPT("keep-file", true, false), OPT("backup-dir", true, false),
                   OPT("exe", true, false),       OPT("out", true, false),
                   OPT("force", false, false)};
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    const char *out = cli_value(o, n, "out"), *cmd = cli_value(o, n, "command");
    const char *store = store_value(o, n), *keep = cli_value(o, n, "keep-file");
    if (cli_value(o, n, "store") != NULL && cli_value(o, n, "system-store") != NULL)
        return cli_usage("--store and --system-store exclude each other");
    const char *dir = cli_value(o, n, "backup-dir");
    if (out == NULL)
        return cli_usage("task xml needs --out FILE.xml");
    if (cmd != NULL && (store != NULL || keep != NULL || dir != NULL || cli_value(o, n, "exe")))
        return cli_usage("--command replaces the prune command: leave out --store, --keep-file, "
                         "--backup-dir and --exe");
    if (cmd == NULL && (store == NULL || keep == NULL || dir == NULL))
        return cli_usage("the prune command needs --store, --keep-file and --backup-dir "
                         "(or give --command)");
    mgw_taskopts_t *t = mgw_taskopts_new();
    if (t == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    uint8_t *xml = NULL;
    size_t len = 0;
    int r, rc = set_span(t, o, n, "interval", mgw_taskopts_set_interval);
    if (rc == 0)
        rc = set_span(t, o, n, "time-limit", mgw_taskopts_set_time_limit);
    if (rc == 0 && cli_value(o, n, "start") != NULL &&
        mgw_taskopts_set_start(t, cli_value(o, n, "start")) != MGW_OK)
        rc = cli_usage("--start: %s", mgw_last_error());
    if (rc == 0 && cmd != NULL)
        rc = set_command_line(t, cmd);
    else if (rc == 0 && (r = mgw_taskopts_set_prune_command(t, cli_value(o, n, "exe"), store, keep,
                                                            dir)) != MGW_OK)
        rc = cli_fail(r, NULL);
    if (rc == 0 && (r = mgw_task_xml(t, &xml, &len)) != MGW_OK)
        rc = cli_fail(r, NULL);
    if (rc == 0 &&
        (r = mgw_file_write(out, xml, len, cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0)) !=
            MGW_OK)
        rc = r == MGW_ERR_EXISTS ? report_exists(out) : cli_fail(r, NULL);
    if (rc == 0)
        printf("wrote %s (Task Scheduler 1.2, UTF-16LE)\nregister it on the gateway with:\n"
               "  schtasks /create /tn \"mgwauth roots prune\" /xml %s\n",
               out, out);
    mgw_free(xml);
    mgw_taskopts_free(&t);
    return rc;
}
