/* mgwauth gateway apply and rollback: each step through its own engine, with its
 * own backup and verification; on the first failure the steps done are
 * undone in reverse order. applied.json beside the plan records what
 * rollback needs (whether the certificate was added, the roots backup). */
#include "gateway.h"
#include "gwplan.h"
#include "planrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *dir; /* the plan's directory */
    const gwplan_step *step;
    char record[1024]; /* the applied.json line of a done step, "" if nothing changed */
    char key[32], value[900]; /* the same field unescaped, for an undo in this run */
    char what[1024];   /* what was done, for the account */
    bool left_changed; /* failed, and could not undo all of its own part */
    /* the intermediates this run added, and intermediates/added.txt as an
     * earlier apply left it (NULL: none): an undo in this run takes out
     * only its own and puts the earlier list back */
    char *own_added;
    uint8_t *earlier_added;
    size_t earlier_added_len;
} step_run;

/* What undo needs of a done step: one field, kept as it is and escaped. */
static void set_record(step_run *sr, const char *key, const char *value)
{
    char esc[900];
    snprintf(sr->key, sizeof(sr->key), "%s", key);
    snprintf(sr->value, sizeof(sr->value), "%s", value);
    if (gw_escape(value, esc, sizeof(esc)) == MGW_OK)
        snprintf(sr->record, sizeof(sr->record), "\"%s\": \"%s\"", key, esc);
}

/* A step's file is a relative path inside the plan's directory: no
 * absolute path, drive, or ".." component. */
static bool inside_plan(const char *rel)
{
    if (rel[0] == '\0' || rel[0] == '/' || rel[0] == '\\' || strchr(rel, ':') != NULL)
        return false;
    for (const char *p = rel; *p != '\0';) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        p += *p != '\0';
    }
    return true;
}

static char *plan_file(const step_run *sr, const char *field)
{
    const char *rel = gwplan_get(sr->step, field);
    return rel != NULL ? cli_path(sr->dir, rel, "") : NULL;
}

static int missing_field(const step_run *sr, const char *field)
{
    fprintf(stderr, "mgwauth: error: plan step %s has no \"%s\"\n", gwplan_get(sr->step, "step"),
            field);
    return REPORTED;
}

static int load_regplan(const step_run *sr, mgw_regplan_t **plan)
{
    char *path = plan_file(sr, "plan");
    uint8_t *json = NULL;
    size_t len = 0;
    int r = path == NULL ? missing_field(sr, "plan") : mgw_file_read(path, 1u << 24, &json, &len);
    if (r == MGW_OK)
        r = mgw_regplan_load(json, len, plan);
    mgw_free(json);
    free(path);
    return r;
}

static int load_iisplan(const step_run *sr, mgw_iisplan_t **plan)
{
    char *p[3] = {plan_file(sr, "plan"), plan_file(sr, "desired"), plan_file(sr, "backup")};
    uint8_t *d[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    int r = MGW_OK;
    for (int i = 0; i < 3 && r == MGW_OK; i++)
        r = p[i] == NULL ? missing_field(sr, i == 0 ? "plan" : i == 1 ? "desired" : "backup")
                         : mgw_file_read(p[i], mgw_iis_max_file_size(), &d[i], &len[i]);
    if (r == MGW_OK)
        r = mgw_iisplan_load(d[0], len[0], d[1], len[1], d[2], len[2], plan);
    for (int i = 0; i < 3; i++) {
        mgw_free(d[i]);
        free(p[i]);
    }
    return r;
}

static int do_client_cert(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *store_dir = gwplan_get(sr->step, "store"), *thumb = gwplan_get(sr->step, "thumbprint");
    if (store_dir == NULL || thumb == NULL)
        return missing_field(sr, store_dir == NULL ? "store" : "thumbprint");
    mgw_store_t *store = NULL;
    int r = gw_open_store(store_dir, &store);
    if (undo) {
        const char *added = rec != NULL ? gwplan_get(rec, "added") : NULL;
        const char *started = rec != NULL ? gwplan_get(rec, "started") : NULL;
        /* a step that stopped after it began: the store lacked it before */
        bool absent_before = started != NULL && strcmp(started, "absent") == 0;
        if (r == MGW_OK && absent_before && !cli_store_holds(store, thumb)) {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (the step stopped before it "
                     "added %s)", thumb);
        } else if (r == MGW_OK && ((added != NULL && strcmp(added, "yes") == 0) || absent_before)) {
            r = mgw_store_remove_cert(store, thumb);
            snprintf(sr->what, sizeof(sr->what), "removed %s from %s", thumb, store_dir);
        } else {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (%s was there before)", thumb);
        }
        mgw_store_free(&store);
        return r;
    }
    char *path = plan_file(sr, "cert"), *got = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    int added = 0;
    if (r == MGW_OK)
        r = path == NULL ? missing_field(sr, "cert") : mgw_file_read(path, 1u << 20, &der, &len);
    /* the certificate is the planned one before anything is added */
    mgw_cert_t *cert = NULL;
    if (r == MGW_OK && (r = mgw_cert_parse(der, len, &cert)) == MGW_OK &&
        (r = mgw_cert_thumbprint(cert, MGW_DIGEST_SHA1, &got)) == MGW_OK &&
        strcmp(got, thumb) != 0) {
        fprintf(stderr, "mgwauth: error: %s is %s, not the planned %s\n", path, got, thumb);
        r = REPORTED;
    }
    mgw_cert_free(&cert);
    mgw_free(got);
    got = NULL;
    if (r == MGW_OK)
        r = mgw_store_add_cert(store, der, len, &added, &got);
    mgw_store_free(&store);
    /* verified: a fresh listing holds it */
    bool there = false;
    if (r == MGW_OK && (r = gw_open_store(store_dir, &store)) == MGW_OK)
        for (size_t i = 0; i < mgw_store_cert_count(store) && !there; i++) {
            char *tp = NULL;
            there = mgw_store_cert(store, i, &tp, NULL, NULL) == MGW_OK && strcmp(tp, thumb) == 0;
            mgw_free(tp);
        }
    if (r == MGW_OK && !there) {
        fprintf(stderr, "mgwauth: error: %s is not in %s after adding it\n", thumb, store_dir);
        r = REPORTED;
    }
    /* a failure after the add takes the certificate out again */
    mgw_store_free(&store);
    if (r != MGW_OK && added &&
        (gw_open_store(store_dir, &store) != MGW_OK || mgw_store_remove_cert(store, thumb) != MGW_OK)) {
        fprintf(stderr, "mgwauth: error: %s stays in %s: %s\n", thumb, store_dir,
                mgw_last_error());
        sr->left_changed = true;
    }
    if (r == MGW_OK) {
        snprintf(sr->what, sizeof(sr->what), "%s %s %s", added ? "added" : "found", thumb,
                 added ? "to the store" : "in the store already");
        if (added)
            set_record(sr, "added", "yes");
    }
    mgw_store_free(&store);
    mgw_free(got);
    mgw_free(der);
    free(path);
    return r;
}

/* The registry and iis steps: their plan applied to the target file, or
 * to the machine when the target is "live", with the backup in the step's
 * directory. applied.json records "changed": "yes" when the apply changed
 * something; rollback undoes a step only when its record says so. */
static int do_file_plan(step_run *sr, bool undo, const gwplan_step *rec, const planrun_kind *kind)
{
    const char *target = gwplan_get(sr->step, "target");
    if (target == NULL)
        return missing_field(sr, "target");
    /* a step that began ("started") is rolled back by the engine, which
     * changes nothing where the values are as before */
    const char *was = rec != NULL ? gwplan_get(rec, "changed") : NULL;
    if (undo && (was == NULL || strcmp(was, "yes") != 0) &&
        (rec == NULL || gwplan_get(rec, "started") == NULL)) {
        snprintf(sr->what, sizeof(sr->what), "nothing to undo (apply changed no %s)", kind->unit);
        return MGW_OK;
    }
    bool live = strcmp(target, "live") == 0;
    void *plan = NULL;
    char rel[64];
    snprintf(rel, sizeof(rel), "%s/before-%s%s", kind->name, undo ? "rollback" : "apply", kind->ext);
    char *backup = cli_path(sr->dir, rel, "");
    int changed = 0, r = backup == NULL ? MGW_ERR_NO_MEMORY
                         : kind == &planrun_registry ? load_regplan(sr, (mgw_regplan_t **)&plan)
                                                     : load_iisplan(sr, (mgw_iisplan_t **)&plan);
    if (r == MGW_OK)
        r = kind->run(plan, live ? NULL : target, backup, MGW_FILE_FORCE, undo, &changed);
    if (r == MGW_OK) {
        snprintf(sr->what, sizeof(sr->what), "%d %s %s in %s%s%s", changed,
                 cli_plural((size_t)changed, kind->unit, kind->units), undo ? "restored" : "changed",
                 live ? kind->live_name : target, changed ? ", backup " : "", changed ? backup : "");
        if (changed > 0 && !undo)
            set_record(sr, "changed", "yes");
    }
    if (plan != NULL)
        kind->free(plan);
    free(backup);
    return r;
}

/* DIR/roots-YYYYMMDDThhmmssZ[-k].pem.gz that does not exist yet. */
static char *new_backup(const char *dir)
{
    char base[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t len = strftime(base, sizeof(base), "roots-%Y%m%dT%H%M%SZ", &tm);
    for (int k = 1; k <= 100; k++) {
        if (k > 1)
            snprintf(base + len, sizeof(base) - len, "-%d", k);
        char *path = cli_path(dir, base, ".pem.gz");
        if (path == NULL || !cli_exists(path))
            return path;
        free(path);
    }
    return NULL;
}

static void on_roots_event(void *ctx, int event, const char *thumbprint, const char *subject,
                           const char *origin, const char *detail)
{
    (void)ctx, (void)origin;
    if (event == MGW_ROOTS_FAILED)
        fprintf(stderr, "    failed on %s %s: %s\n", thumbprint, subject, detail);
}

static void report_failure(int r);
static int write_record(const char *path, const gwplan *plan, const step_run *runs, size_t done,
                        const gwplan *earlier, const char *state);
static void test_exit_after(const char *step_name);

/* The apply in progress: a step records what it is about to do before a
 * change it could not undo without the record (the prune's backup). */
static struct {
    const char *path;
    const gwplan *plan, *earlier;
    step_run *runs;
} in_progress;

static int record_now(const step_run *sr)
{
    if (in_progress.path == NULL)
        return MGW_OK;
    size_t i = (size_t)(sr - in_progress.runs);
    int r = write_record(in_progress.path, in_progress.plan, in_progress.runs, i + 1,
                         in_progress.earlier, "applying");
    if (r != MGW_OK)
        cli_fail(r, in_progress.path);
    return r == MGW_OK ? MGW_OK : REPORTED;
}

/* The record an earlier apply left of the step (NULL: none). */
static const gwplan_step *earlier_step(const char *step_name)
{
    for (size_t k = 0; in_progress.earlier != NULL && k < in_progress.earlier->count; k++)
        if (strcmp(gwplan_get(&in_progress.earlier->steps[k], "step"), step_name) == 0)
            return &in_progress.earlier->steps[k];
    return NULL;
}

/* The list file (SHA-1 lines) an earlier apply recorded in field `field` of
 * the intermediates step; MGW_OK with *data NULL when there is none. */
static int earlier_list(const step_run *sr, const char *field, uint8_t **data, size_t *len)
{
    const gwplan_step *e = earlier_step("intermediates");
    const char *rel = e != NULL ? gwplan_get(e, field) : NULL;
    *data = NULL;
    *len = 0;
    if (rel == NULL)
        return MGW_OK;
    if (!inside_plan(rel)) {
        fprintf(stderr, "mgwauth: error: the record's \"%s\": \"%s\" is not a file inside the "
                "plan's directory\n", field, rel);
        return REPORTED;
    }
    char *path = cli_path(sr->dir, rel, "");
    int r = path == NULL ? MGW_ERR_NO_MEMORY : mgw_file_read(path, 1u << 24, data, len);
    if (r != MGW_OK && r != MGW_ERR_NO_MEMORY) {
        cli_fail(r, path);
        r = REPORTED;
    }
    free(path);
    return r;
}

/* Appends to out (out_len) the SHA-1 lines of list not in it yet: 41 bytes
 * a line, the last one too, and a NUL (out has room for len + 2 more). */
static void merge_lines(char *out, size_t *out_len, const uint8_t *list, size_t len)
{
    for (size_t at = 0; at + 40 <= len; at += 41) {
        char line[42];
        memcpy(line, list + at, 40);
        line[40] = '\n';
        line[41] = '\0';
        out[*out_len] = '\0';
        if (strspn(line, "0123456789ABCDEFabcdef") == 40 && strstr(out, line) == NULL) {
            memcpy(out + *out_len, line, 41);
            *out_len += 41;
        }
    }
    out[*out_len] = '\0';
}

/* Case-insensitive comparison of two thumbprints. */
static bool same_hex(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return false;
    return *a == *b;
}

static int do_roots(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *store_dir = gwplan_get(sr->step, "store"), *remove = gwplan_get(sr->step, "remove");
    const char *backup_dir = gwplan_get(sr->step, "backup_dir");
    if (store_dir == NULL || remove == NULL || backup_dir == NULL)
        return missing_field(sr, store_dir == NULL ? "store" : remove == NULL ? "remove" : "backup_dir");
    mgw_store_t *store = NULL;
    if (undo) {
        const char *backup = rec != NULL ? gwplan_get(rec, "backup") : NULL;
        if (backup == NULL) {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (nothing was removed)");
            return MGW_OK;
        }
        if (!cli_exists(backup)) {
            /* recorded before the prune, which never began: its backup is written first */
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (the prune did not begin: no %s)",
                     backup);
            return MGW_OK;
        }
        int r = gw_open_store(store_dir, &store);
        if (r == MGW_OK)
            r = mgw_roots_restore(store, backup, NULL, 0, on_roots_event, NULL);
        if (r == MGW_OK)
            snprintf(sr->what, sizeof(sr->what), "restored the certificates of %s into %s", backup,
                     store_dir);
        mgw_store_free(&store);
        return r;
    }
    char *keep_path = plan_file(sr, "keep"), *list = NULL, *backup = NULL;
    char *remove_path = plan_file(sr, "remove");
    uint8_t *planned = NULL;
    size_t planned_len = 0;
    const char *thumb = gwplan_get(sr->step, "thumbprint");
    uint8_t *keep = NULL;
    size_t len = 0;
    mgw_rootplan_t *plan = NULL;
    int r = keep_path == NULL ? missing_field(sr, "keep")
                              : mgw_file_read(keep_path, 1u << 24, &keep, &len);
    if (r == MGW_OK)
        r = gw_root_plan(store_dir, keep, len, keep_path, thumb != NULL && thumb[0] ? thumb : NULL,
                      &store, &plan);
    if (r == MGW_OK && (list = gw_removals(plan)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    size_t n = r == MGW_OK ? mgw_rootplan_count(plan, MGW_ROOT_REMOVE) : 0;
    if (r == MGW_OK && n > 0)
        r = mgw_file_read(remove_path, 1u << 24, &planned, &planned_len);
    if (r == MGW_OK && n > 0 &&
        (planned_len != strlen(list) || memcmp(planned, list, planned_len) != 0)) {
        fprintf(stderr, "mgwauth: error: %s changed since planning: a prune now would remove "
                        "%zu certificates, not those of %s\n", store_dir, n, remove_path);
        r = REPORTED;
    }
    if (r == MGW_OK && n > 0) {
        if (cli_mkdirs(backup_dir) != 0)
            r = REPORTED;
        else if ((backup = new_backup(backup_dir)) == NULL)
            r = MGW_ERR_NO_MEMORY;
        /* recorded before the prune: a crash during it leaves rollback the backup */
        if (r == MGW_OK) {
            set_record(sr, "backup", backup);
            r = record_now(sr);
            test_exit_after("roots:pruning");
        }
        if (r == MGW_OK)
            r = mgw_roots_prune(store, plan, backup, 0, on_roots_event, NULL);
        /* a prune stopped part-way puts back what it removed (all in the backup) */
        if (r == MGW_ERR_ROOTS_INCOMPLETE) {
            report_failure(r);
            mgw_store_t *again = NULL;
            int u = gw_open_store(store_dir, &again);
            if (u == MGW_OK)
                u = mgw_roots_restore(again, backup, NULL, 0, on_roots_event, NULL);
            sr->left_changed = u != MGW_OK;
            if (u != MGW_OK)
                fprintf(stderr, "mgwauth: error: the certificates removed from %s are not all "
                        "back: mgwauth roots restore %s %s --backup %s\n", store_dir,
                        gw_is_system_store(store_dir) ? "--system-store" : "--store", store_dir,
                        backup);
            else
                fprintf(stderr, "mgwauth: the certificates removed from %s are back (from %s)\n",
                        store_dir, backup);
            mgw_store_free(&again);
            r = REPORTED;
        }
    }
    if (r == MGW_OK)
        snprintf(sr->what, sizeof(sr->what), "%zu %s removed from %s%s%s", n,
                 cli_plural(n, "certificate", "certificates"), store_dir,
                 n ? ", backup " : "", n ? backup : "");
    free(backup);
    free(list);
    mgw_free(planned);
    free(remove_path);
    mgw_rootplan_free(&plan);
    mgw_store_free(&store);
    mgw_free(keep);
    free(keep_path);
    return r;
}

static int do_task(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *target = gwplan_get(sr->step, "target"), *name = gwplan_get(sr->step, "name");
    if (target == NULL || name == NULL)
        return missing_field(sr, target == NULL ? "target" : "name");
    bool scheduler = strcmp(target, "scheduler") == 0;
    if (undo) {
        const char *installed = rec != NULL ? gwplan_get(rec, "installed") : NULL;
        const char *started = rec != NULL ? gwplan_get(rec, "started") : NULL;
        if (installed == NULL && (started == NULL || strcmp(started, "absent") != 0)) {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (the task was there before)");
            return MGW_OK;
        }
        char *shown = NULL;
        bool there = scheduler ? mgw_task_show(name, &shown) == MGW_OK : cli_exists(target);
        mgw_free(shown);
        if (installed == NULL && !there) {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (the step stopped before it "
                     "installed the task)");
            return MGW_OK;
        }
        int r = scheduler ? mgw_task_remove(name) : cli_remove(target) == 0 ? MGW_OK : REPORTED;
        if (r == MGW_OK)
            snprintf(sr->what, sizeof(sr->what), "removed %s", scheduler ? name : target);
        return r;
    }
    char *path = plan_file(sr, "xml");
    uint8_t *xml = NULL, *cur = NULL;
    size_t len = 0, cur_len = 0;
    int r = path == NULL ? missing_field(sr, "xml") : mgw_file_read(path, 1u << 20, &xml, &len);
    bool installed = false;
    if (r == MGW_OK && scheduler) {
        char *shown = NULL;
        int s = mgw_task_show(name, &shown);
        mgw_free(shown);
        if (s == MGW_ERR_NOT_FOUND) {
            r = mgw_task_install(name, xml, len, 0);
            installed = r == MGW_OK;
        } else if (s != MGW_OK) {
            r = s;
        }
        /* verified: the Task Scheduler gives it back */
        if (r == MGW_OK && (r = mgw_task_show(name, &shown)) == MGW_OK)
            mgw_free(shown);
    } else if (r == MGW_OK) {
        if (mgw_file_read(target, 1u << 20, &cur, &cur_len) == MGW_OK) {
            if (cur_len != len || memcmp(cur, xml, len) != 0) {
                fprintf(stderr, "mgwauth: error: %s holds another task; remove it first\n",
                        target);
                r = REPORTED;
            }
        } else {
            r = mgw_file_write(target, xml, len, 0);
            installed = r == MGW_OK;
            mgw_free(cur);
            cur = NULL;
            if (r == MGW_OK && ((r = mgw_file_read(target, 1u << 20, &cur, &cur_len)) != MGW_OK ||
                                cur_len != len || memcmp(cur, xml, len) != 0)) {
                fprintf(stderr, "mgwauth: error: %s does not read back as written\n", target);
                r = REPORTED;
            }
        }
    }
    /* a task installed but not verified is taken out again */
    if (r != MGW_OK && installed &&
        (scheduler ? mgw_task_remove(name) != MGW_OK : cli_remove(target) != 0)) {
        fprintf(stderr, "mgwauth: error: the task %s stays installed\n", scheduler ? name : target);
        sr->left_changed = true;
    }
    if (r == MGW_OK) {
        snprintf(sr->what, sizeof(sr->what), "%s %s", installed ? "installed" : "found",
                 scheduler ? name : target);
        if (installed)
            set_record(sr, "installed", "yes");
    }
    mgw_free(cur);
    mgw_free(xml);
    free(path);
    return r;
}

/* The intermediates step: each certificate of the list that the store
 * lacks is added, from intermediates/SHA1.cer, after its SHA-256 is found
 * in the step's hashes list and its SHA-1 is the listed one. The ones added
 * go into intermediates/added.txt, with those an earlier apply added. */
static int do_intermediates(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *target = gwplan_get(sr->step, "store");
    char *list_path = plan_file(sr, "list"), *hashes_path = plan_file(sr, "hashes");
    char *added_path = cli_path(sr->dir, "intermediates/added.txt", "");
    uint8_t *list = NULL, *hashes = NULL;
    size_t len = 0, hashes_len = 0;
    const uint8_t *items = NULL;
    mgw_store_t *store = NULL;
    char *added = NULL;
    int r = target == NULL ? missing_field(sr, "store") : list_path == NULL ? missing_field(sr, "list")
            : hashes_path == NULL ? missing_field(sr, "hashes")
            : added_path == NULL ? MGW_ERR_NO_MEMORY : MGW_OK;
    /* a step that stopped after it began undoes what its store lacked
     * before (that list holds what earlier applies added too) */
    const char *started = undo && rec != NULL ? gwplan_get(rec, "started") : NULL;
    bool from_start = started != NULL;
    bool own = undo && !from_start && sr->own_added != NULL;
    if (r == MGW_OK && undo && (rec == NULL || gwplan_get(rec, "added") == NULL) && !from_start) {
        snprintf(sr->what, sizeof(sr->what), "nothing to undo (none was added)");
        goto done;
    }
    char *absent_path = from_start ? cli_path(sr->dir, started, "") : NULL;
    if (r == MGW_OK && from_start && (absent_path == NULL || !inside_plan(started)))
        r = absent_path == NULL ? MGW_ERR_NO_MEMORY : missing_field(sr, "started");
    if (r == MGW_OK && !own)
        r = mgw_file_read(from_start ? absent_path : undo ? added_path : list_path, 1u << 24, &list,
                          &len);
    free(absent_path);
    items = own ? (const uint8_t *)sr->own_added : list;
    if (own)
        len = strlen(sr->own_added);
    if (r == MGW_OK && !undo &&
        (r = mgw_file_read(hashes_path, 1u << 24, &hashes, &hashes_len)) == MGW_OK &&
        memchr(hashes, '\0', hashes_len) != NULL) {
        fprintf(stderr, "mgwauth: error: %s: not a list of SHA-256 lines\n", hashes_path);
        r = REPORTED;
    }
    /* what an earlier apply added stays listed beside this run's */
    if (r == MGW_OK && !undo)
        r = earlier_list(sr, "added", &sr->earlier_added, &sr->earlier_added_len);
    if (r == MGW_OK)
        r = gw_open_store(target, &store);
    size_t n_added = 0, added_len = 0;
    if (r == MGW_OK && (added = calloc(len + sr->earlier_added_len + 2, 1)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    char *hashes_text = NULL;
    if (r == MGW_OK && !undo && (hashes_text = calloc(hashes_len + 1, 1)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    if (hashes_text != NULL)
        memcpy(hashes_text, hashes, hashes_len);
    for (size_t at = 0; r == MGW_OK && at + 40 <= len; at += 41) {
        char tp[41], rel[80];
        memcpy(tp, items + at, 40);
        tp[40] = '\0';
        if (strspn(tp, "0123456789ABCDEFabcdef") != 40 ||
            (at + 40 < len && items[at + 40] != '\n')) {
            fprintf(stderr, "mgwauth: error: %s: line %zu is not a SHA-1 thumbprint\n",
                    undo ? added_path : list_path, at / 41 + 1);
            r = REPORTED;
            break;
        }
        if (undo) {
            if (from_start && !cli_store_holds(store, tp))
                continue;
            r = mgw_store_remove_cert(store, tp);
            n_added++;
            continue;
        }
        snprintf(rel, sizeof(rel), "intermediates/%s.cer", tp);
        char *path = cli_path(sr->dir, rel, ""), *sha1 = NULL, *sha256 = NULL, line[160];
        uint8_t *der = NULL;
        size_t der_len = 0;
        int was_added = 0;
        r = path == NULL ? MGW_ERR_NO_MEMORY : mgw_file_read(path, 1u << 20, &der, &der_len);
        /* the planned file (its SHA-256 in the hashes list), and the listed
         * certificate (its SHA-1 the listed one) before anything is added */
        if (r == MGW_OK && (r = mgw_digest_hex(MGW_DIGEST_SHA256, der, der_len, &sha256)) == MGW_OK)
            snprintf(line, sizeof(line), "%s  %s\n", sha256, rel);
        if (r == MGW_OK && strstr(hashes_text, line) == NULL) {
            fprintf(stderr, "mgwauth: error: %s: its SHA-256 %s is not in %s: plan again\n", path,
                    sha256, hashes_path);
            r = REPORTED;
        }
        if (r == MGW_OK && (r = mgw_digest_hex(MGW_DIGEST_SHA1, der, der_len, &sha1)) == MGW_OK &&
            !same_hex(sha1, tp)) {
            fprintf(stderr, "mgwauth: error: %s is %s, not the planned %s\n", path, sha1, tp);
            r = REPORTED;
        }
        if (r == MGW_OK)
            r = mgw_store_add_cert(store, der, der_len, &was_added, NULL);
        if (r == MGW_OK && was_added) {
            added_len += (size_t)sprintf(added + added_len, "%s\n", tp);
            n_added++;
        }
        if (r != MGW_OK && r != REPORTED && path != NULL) {
            const char *d = mgw_last_error();
            fprintf(stderr, "mgwauth: error: %s: %s\n", path, d[0] ? d : mgw_strerror(r));
            r = REPORTED;
        }
        mgw_free(sha1);
        mgw_free(sha256);
        mgw_free(der);
        free(path);
    }
    free(hashes_text);
    if (r == MGW_OK && !undo && n_added > 0) {
        /* added.txt: the earlier apply's list, then this run's additions */
        char *all = malloc(sr->earlier_added_len + added_len + 4);
        size_t all_len = 0;
        if (all == NULL)
            r = MGW_ERR_NO_MEMORY;
        if (all != NULL) {
            all[0] = '\0';
            merge_lines(all, &all_len, sr->earlier_added, sr->earlier_added_len);
            merge_lines(all, &all_len, (const uint8_t *)added, added_len);
            r = mgw_file_write(added_path, (const uint8_t *)all, all_len, MGW_FILE_FORCE);
        }
        free(all);
        if (r == MGW_OK && (sr->own_added = strdup(added)) == NULL)
            r = MGW_ERR_NO_MEMORY;
        if (r == MGW_OK)
            set_record(sr, "added", "intermediates/added.txt");
    }
    /* undone in this run: added.txt lists what the earlier apply added again */
    if (r == MGW_OK && own && sr->earlier_added != NULL)
        r = mgw_file_write(added_path, sr->earlier_added, sr->earlier_added_len, MGW_FILE_FORCE);
    /* stopped part-way: the certificates this run added are taken out again */
    for (size_t at = 0; r != MGW_OK && !undo && added != NULL && at + 40 <= added_len; at += 41) {
        char tp[41];
        memcpy(tp, added + at, 40);
        tp[40] = '\0';
        if (mgw_store_remove_cert(store, tp) != MGW_OK) {
            fprintf(stderr, "mgwauth: error: %s stays in %s: %s\n", tp, target, mgw_last_error());
            sr->left_changed = true;
        } else
            fprintf(stderr, "mgwauth: took %s out of %s again\n", tp, target);
    }
    if (r == MGW_OK)
        snprintf(sr->what, sizeof(sr->what), "%zu %s %s %s", n_added,
                 cli_plural(n_added, "certificate", "certificates"),
                 undo ? "taken out of" : "added to", target);
done:
    free(added);
    mgw_store_free(&store);
    mgw_free(list);
    mgw_free(hashes);
    free(added_path);
    free(hashes_path);
    free(list_path);
    return r;
}

/* What a step's undo needs to know if the step stops after it began (a
 * crash, a kill): recorded as "started" before the step changes anything.
 * The certificate and the task: whether they were there ("present") or not
 * ("absent"); the intermediates: the file listing those the store lacked;
 * the registry and IIS engines change nothing where the state is as before,
 * so "yes" is enough for them, and the roots step records its backup itself. */
static int step_started(step_run *sr, char *value, size_t size)
{
    const char *name = gwplan_get(sr->step, "step");
    snprintf(value, size, "yes");
    mgw_store_t *store = NULL;
    int r = MGW_OK;
    if (strcmp(name, "client-cert") == 0) {
        const char *store_dir = gwplan_get(sr->step, "store");
        const char *thumb = gwplan_get(sr->step, "thumbprint");
        if (store_dir == NULL || thumb == NULL)
            return missing_field(sr, store_dir == NULL ? "store" : "thumbprint");
        if ((r = gw_open_store(store_dir, &store)) == MGW_OK)
            snprintf(value, size, "%s", cli_store_holds(store, thumb) ? "present" : "absent");
    } else if (strcmp(name, "task") == 0) {
        const char *target = gwplan_get(sr->step, "target"), *task = gwplan_get(sr->step, "name");
        if (target == NULL || task == NULL)
            return missing_field(sr, target == NULL ? "target" : "name");
        char *shown = NULL;
        bool there = strcmp(target, "scheduler") == 0 ? mgw_task_show(task, &shown) == MGW_OK
                                                       : cli_exists(target);
        mgw_free(shown);
        snprintf(value, size, "%s", there ? "present" : "absent");
    } else if (strcmp(name, "intermediates") == 0) {
        const char *target = gwplan_get(sr->step, "store");
        char *list_path = plan_file(sr, "list");
        char *absent = cli_path(sr->dir, "intermediates/absent-before.txt", "");
        uint8_t *list = NULL;
        size_t len = 0, n = 0;
        r = target == NULL ? missing_field(sr, "store") : list_path == NULL ? missing_field(sr, "list")
            : absent == NULL ? MGW_ERR_NO_MEMORY : mgw_file_read(list_path, 1u << 24, &list, &len);
        if (r == MGW_OK)
            r = gw_open_store(target, &store);
        /* the list is SHA-1 lines; those the store lacks are copied over */
        for (size_t at = 0; r == MGW_OK && at + 40 <= len; at += 41) {
            char tp[41];
            memcpy(tp, list + at, 40);
            tp[40] = '\0';
            if (!cli_store_holds(store, tp)) {
                memcpy(list + n, tp, 40);
                list[n + 40] = '\n';
                n += 41;
            }
        }
        /* with what an earlier apply added, or began to add: an undo from
         * here takes those out too */
        uint8_t *was_added = NULL, *was_absent = NULL;
        size_t was_added_len = 0, was_absent_len = 0, all_len = 0;
        if (r == MGW_OK)
            r = earlier_list(sr, "added", &was_added, &was_added_len);
        if (r == MGW_OK)
            r = earlier_list(sr, "started", &was_absent, &was_absent_len);
        char *all = r == MGW_OK ? malloc(n + was_added_len + was_absent_len + 4) : NULL;
        if (r == MGW_OK && all == NULL)
            r = MGW_ERR_NO_MEMORY;
        if (r == MGW_OK) {
            all[0] = '\0';
            merge_lines(all, &all_len, list, n);
            merge_lines(all, &all_len, was_added, was_added_len);
            merge_lines(all, &all_len, was_absent, was_absent_len);
            r = mgw_file_write(absent, (const uint8_t *)all, all_len, MGW_FILE_FORCE);
        }
        if (r == MGW_OK)
            snprintf(value, size, "intermediates/absent-before.txt");
        free(all);
        mgw_free(was_added);
        mgw_free(was_absent);
        mgw_free(list);
        free(list_path);
        free(absent);
    }
    mgw_store_free(&store);
    return r;
}

/* Tests only: MGWAUTH_TEST_EXIT_IN=STEP ends the process once that step has
 * changed what it changes, before it is recorded as done, as a crash in the
 * middle of it would. */
static void test_exit_in(const char *step_name)
{
    const char *at = getenv("MGWAUTH_TEST_EXIT_IN");
    if (at != NULL && strcmp(at, step_name) == 0) {
        fflush(stdout);
        _Exit(98);
    }
}

static int run_step(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *name = gwplan_get(sr->step, "step");
    sr->record[0] = sr->what[0] = '\0';
    sr->left_changed = false;
    if (strcmp(name, "client-cert") == 0)
        return do_client_cert(sr, undo, rec);
    if (strcmp(name, "registry") == 0)
        return do_file_plan(sr, undo, rec, &planrun_registry);
    if (strcmp(name, "iis") == 0)
        return do_file_plan(sr, undo, rec, &planrun_iis);
    if (strcmp(name, "roots") == 0)
        return do_roots(sr, undo, rec);
    if (strcmp(name, "intermediates") == 0)
        return do_intermediates(sr, undo, rec);
    if (strcmp(name, "task") == 0)
        return do_task(sr, undo, rec);
    fprintf(stderr, "mgwauth: error: unknown plan step \"%s\"\n", name);
    return REPORTED;
}

static void report_failure(int r)
{
    if (r == REPORTED)
        return;
    const char *d = mgw_last_error();
    fprintf(stderr, "mgwauth: error: %s\n", d[0] ? d : mgw_strerror(r));
}

/* Why a step failed, for the account on stdout (the error itself goes to
 * stderr as it happens). */
static void failure_reason(int r, char *out, size_t size)
{
    const char *d = mgw_last_error();
    if (r == REPORTED)
        snprintf(out, size, "see the error above");
    else
        snprintf(out, size, "%s", d[0] ? d : mgw_strerror(r));
}

/* The names of runs[from..to) for which `pick` holds, comma-separated, or "none". */
static void step_names(const gwplan *plan, const bool *pick, size_t from, size_t to, char *out,
                       size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = from; i < to; i++)
        if (pick == NULL || pick[i]) {
            int w = snprintf(out + len, size - len, "%s%s", len ? ", " : "",
                             gwplan_get(&plan->steps[i], "step"));
            if (w > 0 && (size_t)w < size - len)
                len += (size_t)w;
        }
    if (len == 0)
        snprintf(out, size, "none");
}

static int read_plan(const char *path, gwplan *plan)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char err[300];
    if (cli_read(path, &data, &len) != 0)
        return 1;
    int r = gwplan_parse(data, len, plan, err, sizeof(err));
    mgw_free(data);
    if (r != 0) {
        fprintf(stderr, "mgwauth: error: %s: %s\n", path, err);
        gwplan_free(plan);
        return 1;
    }
    return 0;
}

/* The record of the applied steps (applied.json): a first line
 * {"step": "apply", "state": "applying"|"applied"}, then one line per step
 * done with what undo needs. It is written before the first step and again
 * after every step, so a crash leaves what rollback needs. A step not done
 * in this run, or done without a change, keeps what an earlier apply
 * recorded. */
static void earlier_fields(const gwplan *earlier, const char *step_name, char *out, size_t size,
                           bool *found)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < earlier->count; k++) {
        const gwplan_step *e = &earlier->steps[k];
        if (strcmp(gwplan_get(e, "step"), step_name) != 0)
            continue;
        *found = true;
        for (size_t f = 0; f < e->count; f++) {
            char esc[900];
            /* a "started" of an earlier run gives way to this run's */
            if (strcmp(e->name[f], "step") == 0 || strcmp(e->name[f], "started") == 0 ||
                gw_escape(e->value[f], esc, sizeof(esc)) != 0)
                continue;
            int w = snprintf(out + len, size - len, "%s\"%s\": \"%s\"", len ? ", " : "",
                             e->name[f], esc);
            if (w > 0 && (size_t)w < size - len)
                len += (size_t)w;
        }
    }
}

static int write_record(const char *path, const gwplan *plan, const step_run *runs, size_t done,
                        const gwplan *earlier, const char *state)
{
    size_t cap = 256 + (plan->count + 1) * 1200, len = 0;
    char *text = malloc(cap);
    if (text == NULL)
        return MGW_ERR_NO_MEMORY;
    len += (size_t)snprintf(text, cap, "%s\n{\"step\": \"apply\", \"state\": \"%s\"}", GWPLAN_HEAD,
                            state);
    for (size_t i = 0; i < plan->count; i++) {
        char fields[1024];
        bool found = false;
        const char *name = gwplan_get(&plan->steps[i], "step");
        if (i < done && strncmp(runs[i].record, "\"started\"", 9) == 0) {
            /* a step under way: what an earlier apply recorded of it stays beside */
            char before[1024];
            earlier_fields(earlier, name, before, sizeof(before), &found);
            size_t at = (size_t)snprintf(fields, sizeof(fields), "%s", runs[i].record);
            if (before[0] != '\0' && at + 2 + strlen(before) < sizeof(fields)) {
                memcpy(fields + at, ", ", 2);
                memcpy(fields + at + 2, before, strlen(before) + 1);
            }
            found = true;
        } else if (i < done && runs[i].record[0] != '\0') {
            snprintf(fields, sizeof(fields), "%s", runs[i].record);
            found = true;
        } else {
            earlier_fields(earlier, name, fields, sizeof(fields), &found);
            found = found || i < done;
        }
        if (found)
            len += (size_t)snprintf(text + len, cap - len, ",\n{\"step\": \"%s\"%s%s}", name,
                                    fields[0] ? ", " : "", fields);
    }
    len += (size_t)snprintf(text + len, cap - len, "\n%s\n", GWPLAN_TAIL);
    int r = mgw_file_write(path, (const uint8_t *)text, len, MGW_FILE_FORCE);
    free(text);
    return r;
}

/* The state an earlier record was left in ("applied" for a record written
 * before the state line existed). */
static const char *record_state(const gwplan *record)
{
    for (size_t k = 0; k < record->count; k++)
        if (strcmp(gwplan_get(&record->steps[k], "step"), "apply") == 0 &&
            gwplan_get(&record->steps[k], "state") != NULL)
            return strcmp(gwplan_get(&record->steps[k], "state"), "applying") == 0 ? "applying"
                                                                                 : "applied";
    return "applied";
}

/* Tests only: MGWAUTH_TEST_EXIT_AFTER=STEP ends the process right after that
 * step is done and recorded, as a crash or kill would. */
static void test_exit_after(const char *step_name)
{
    const char *at = getenv("MGWAUTH_TEST_EXIT_AFTER");
    if (at != NULL && strcmp(at, step_name) == 0) {
        fflush(stdout);
        _Exit(99);
    }
}

static char *plan_dir(const char *plan_path)
{
    const char *slash = strrchr(plan_path, '/');
#ifdef _WIN32
    const char *bs = strrchr(plan_path, '\\');
    if (bs != NULL && (slash == NULL || bs > slash))
        slash = bs;
#endif
    size_t n = slash != NULL ? (size_t)(slash - plan_path) : 1;
    char *dir = malloc(n + 1);
    if (dir != NULL) {
        memcpy(dir, slash != NULL ? plan_path : ".", n);
        dir[n] = '\0';
    }
    return dir;
}

/* Every step file as it was planned: its SHA-256 against the plan's
 * FIELD_sha256, before anything runs. An edited (or unfingerprinted) file
 * is refused, named. */
/* The files a "hashes" list names (text, len bytes), each against its
 * SHA-256 there: "SHA256  path" lines, each path inside the plan's directory. */
static bool verify_hashed(const char *plan_path, const char *dir, const gwplan_step *st,
                          const char *list_file, const uint8_t *text, size_t len)
{
    for (size_t at = 0, line = 1; at < len; line++) {
        const uint8_t *nl = memchr(text + at, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
        char want[65], rel[1024];
        if (nl == NULL || n < 67 || n - 66 >= sizeof(rel) || text[at + 64] != ' ' ||
            text[at + 65] != ' ' || memchr(text + at, '\0', n) != NULL) {
            fprintf(stderr, "mgwauth: error: %s: line %zu is not \"SHA256  file\"\n", list_file,
                    line);
            return false;
        }
        memcpy(want, text + at, 64);
        want[64] = '\0';
        memcpy(rel, text + at + 66, n - 66);
        rel[n - 66] = '\0';
        at += n + 1;
        if (strspn(want, "0123456789abcdef") != 64) {
            fprintf(stderr, "mgwauth: error: %s: line %zu is not \"SHA256  file\"\n", list_file,
                    line);
            return false;
        }
        if (!inside_plan(rel)) {
            fprintf(stderr, "mgwauth: error: %s: step %s: \"%s\" (%s) is not a file inside the "
                    "plan's directory (absolute, or with ..)\n", plan_path,
                    gwplan_get(st, "step"), rel, list_file);
            return false;
        }
        char *file = cli_path(dir, rel, ""), *have = NULL;
        uint8_t *data = NULL;
        size_t data_len = 0;
        int r = file == NULL ? MGW_ERR_NO_MEMORY
                             : mgw_file_read(file, (size_t)1 << 28, &data, &data_len);
        if (r == MGW_OK)
            r = mgw_digest_hex(MGW_DIGEST_SHA256, data, data_len, &have);
        if (r != MGW_OK)
            cli_fail(r, file);
        else if (strcmp(have, want) != 0)
            fprintf(stderr, "mgwauth: error: %s: step %s: %s was changed after planning "
                    "(SHA-256 %s, planned %s): plan again\n", plan_path, gwplan_get(st, "step"),
                    file, have, want);
        bool ok = r == MGW_OK && strcmp(have, want) == 0;
        mgw_free(have);
        mgw_free(data);
        free(file);
        if (!ok)
            return false;
    }
    return true;
}

static int verify_step_files(const char *plan_path, const char *dir, const gwplan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        const gwplan_step *st = &plan->steps[i];
        /* the intermediates' certificates are files of the plan too */
        if (strcmp(gwplan_get(st, "step"), "intermediates") == 0 &&
            gwplan_get(st, "hashes") == NULL) {
            fprintf(stderr, "mgwauth: error: %s: step intermediates has no fingerprints of its "
                    "certificates (\"hashes\"): plan again\n", plan_path);
            return 1;
        }
        for (size_t f = 0; f < N(step_file_fields); f++) {
            const char *rel = gwplan_get(st, step_file_fields[f]);
            if (rel == NULL)
                continue;
            /* only a file inside the plan's directory is read, hashed or used */
            if (!inside_plan(rel)) {
                fprintf(stderr, "mgwauth: error: %s: step %s: \"%s\" is not a file inside the "
                        "plan's directory (absolute, or with ..)\n", plan_path,
                        gwplan_get(st, "step"), rel);
                return 1;
            }
            char key[32];
            snprintf(key, sizeof(key), "%s_sha256", step_file_fields[f]);
            const char *want = gwplan_get(st, key);
            char *file = cli_path(dir, rel, ""), *have = NULL;
            uint8_t *data = NULL;
            size_t len = 0;
            int r = file == NULL ? MGW_ERR_NO_MEMORY : MGW_OK;
            if (r == MGW_OK && want == NULL)
                fprintf(stderr, "mgwauth: error: %s: step %s: %s has no fingerprint (\"%s\"): "
                        "plan again\n", plan_path, gwplan_get(st, "step"), file, key);
            if (r == MGW_OK && want != NULL &&
                (r = mgw_file_read(file, (size_t)1 << 28, &data, &len)) == MGW_OK)
                r = mgw_digest_hex(MGW_DIGEST_SHA256, data, len, &have);
            if (r != MGW_OK)
                cli_fail(r, file);
            else if (want != NULL && strcmp(have, want) != 0)
                fprintf(stderr, "mgwauth: error: %s: step %s: %s was changed after planning "
                        "(SHA-256 %s, planned %s): plan again\n", plan_path,
                        gwplan_get(st, "step"), file, have, want);
            bool ok = r == MGW_OK && want != NULL && strcmp(have, want) == 0;
            if (ok && strcmp(step_file_fields[f], "hashes") == 0)
                ok = verify_hashed(plan_path, dir, st, file, data, len);
            mgw_free(have);
            mgw_free(data);
            free(file);
            if (!ok)
                return 1;
        }
    }
    return 0;
}

static int gateway_apply_or_rollback(int argc, char **argv, bool rollback)
{
    cli_opt o[] = {OPT("plan", true, false)};
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    const char *path = cli_value(o, n, "plan");
    if (path == NULL)
        return cli_usage("needs --plan DIR/plan.json");
    gwplan plan, record = {0};
    if (read_plan(path, &plan) != 0)
        return 1;
    /* rollback finds a step's record by its name: one step of each name */
    for (size_t i = 0; i < plan.count; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(gwplan_get(&plan.steps[i], "step"), gwplan_get(&plan.steps[k], "step")) == 0) {
                fprintf(stderr, "mgwauth: error: %s: step \"%s\" more than once\n", path,
                        gwplan_get(&plan.steps[i], "step"));
                gwplan_free(&plan);
                return 1;
            }
    char *dir = plan_dir(path), *record_path = dir != NULL ? cli_path(dir, "applied", ".json") : NULL;
    step_run runs[GWPLAN_MAX_STEPS];
    memset(runs, 0, sizeof(runs));
    int rc = 1;
    if (record_path == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    if (verify_step_files(path, dir, &plan) != 0)
        goto done;
    for (size_t i = 0; i < plan.count; i++)
        runs[i] = (step_run){.dir = dir, .step = &plan.steps[i]};
    if (rollback) {
        if (!cli_exists(record_path)) {
            printf("nothing to roll back: %s is not there (the plan was not applied, or was rolled "
                   "back)\n", record_path);
            rc = 0;
            goto done;
        }
        if (read_plan(record_path, &record) != 0)
            goto done;
        rc = 0;
        for (size_t i = plan.count; i-- > 0;) {
            const gwplan_step *rec = NULL;
            for (size_t k = 0; k < record.count; k++)
                if (strcmp(gwplan_get(&record.steps[k], "step"), gwplan_get(&plan.steps[i], "step")) == 0)
                    rec = &record.steps[k];
            if (rec == NULL)
                continue;
            int r = run_step(&runs[i], true, rec);
            if (r != MGW_OK) {
                char reason[700];
                failure_reason(r, reason, sizeof(reason));
                report_failure(r);
                printf("FAILED   %s: %s; rollback stopped; the steps before it are still "
                       "applied\n", gwplan_get(&plan.steps[i], "step"), reason);
                rc = 1;
                goto done;
            }
            printf("undone   %s: %s\n", gwplan_get(&plan.steps[i], "step"), runs[i].what);
        }
        cli_remove(record_path);
        printf("rolled back\n");
        goto done;
    }
    size_t done_steps = 0;
    int r = MGW_OK;
    bool had_record = cli_exists(record_path), record_failed = false;
    /* the record is read and written before the first step: an unreadable
     * or unwritable applied.json stops apply before anything changes */
    if (had_record && read_plan(record_path, &record) != 0)
        goto done;
    const char *earlier_state = record_state(&record);
    in_progress.path = record_path;
    in_progress.plan = &plan;
    in_progress.earlier = &record;
    in_progress.runs = runs;
    if ((r = write_record(record_path, &plan, runs, 0, &record, "applying")) != MGW_OK) {
        cli_fail(r, record_path);
        printf("stopped before the first step: nothing changed\n");
        goto done;
    }
    for (; done_steps < plan.count; done_steps++) {
        char started[128];
        /* recorded before the step changes anything: rollback after a crash
         * in the middle of it knows to undo it */
        r = step_started(&runs[done_steps], started, sizeof(started));
        if (r == MGW_OK) {
            set_record(&runs[done_steps], "started", started);
            if ((r = write_record(record_path, &plan, runs, done_steps + 1, &record,
                                  "applying")) != MGW_OK) {
                cli_fail(r, record_path);
                r = REPORTED;
            }
        }
        if (r == MGW_OK)
            r = run_step(&runs[done_steps], false, NULL);
        if (r != MGW_OK)
            break;
        test_exit_in(gwplan_get(&plan.steps[done_steps], "step"));
        printf("done     %s: %s\n", gwplan_get(&plan.steps[done_steps], "step"),
               runs[done_steps].what);
        fflush(stdout);
        if ((r = write_record(record_path, &plan, runs, done_steps + 1, &record, "applying")) !=
            MGW_OK) {
            cli_fail(r, record_path);
            record_failed = true;
            done_steps++;
            break;
        }
        test_exit_after(gwplan_get(&plan.steps[done_steps], "step"));
    }
    if (r == MGW_OK) {
        if ((r = write_record(record_path, &plan, runs, plan.count, &record, "applied")) != MGW_OK)
            cli_fail(r, record_path);
        else
            rc = 0;
        printf("applied: %zu %s\n", plan.count, cli_plural(plan.count, "step", "steps"));
        goto done;
    }
    char reason[700];
    failure_reason(r, reason, sizeof(reason));
    bool failed_left = false;
    if (record_failed) {
        printf("FAILED   writing %s: %s\n", record_path, reason);
    } else {
        report_failure(r);
        /* the engines restore what they began; where that failed too they say so */
        failed_left = runs[done_steps].left_changed || r == MGW_ERR_REG_RESTORE ||
                      r == MGW_ERR_IIS_RESTORE;
        printf("FAILED   %s: %s; %s\n", gwplan_get(&plan.steps[done_steps], "step"), reason,
               failed_left ? "NOT as before: the step could not undo all it had begun (see the "
                             "errors above)"
                           : "nothing of it changed (the step undid what it had begun)");
    }
    for (size_t i = done_steps + (record_failed ? 0 : 1); i < plan.count; i++)
        printf("not run  %s\n", gwplan_get(&plan.steps[i], "step"));
    bool undo_ok = true, left[GWPLAN_MAX_STEPS] = {false};
    int u_r;
    for (size_t i = done_steps; i-- > 0;) {
        gwplan_step rec = {0};
        /* the undo of a step just done takes its record from runs[i] */
        rec.name[0] = runs[i].key;
        rec.value[0] = runs[i].value;
        rec.count = runs[i].record[0] != '\0' ? 1 : 0;
        char saved[sizeof(runs[i].record)];
        memcpy(saved, runs[i].record, sizeof(saved));
        int u = run_step(&runs[i], true, &rec);
        if (u != MGW_OK) {
            char why_not[700];
            failure_reason(u, why_not, sizeof(why_not));
            report_failure(u);
            printf("NOT UNDONE %s: %s; left applied\n", gwplan_get(&plan.steps[i], "step"),
                   why_not);
            memcpy(runs[i].record, saved, sizeof(saved));
            undo_ok = false;
            left[i] = true;
        } else {
            printf("undone   %s: %s\n", gwplan_get(&plan.steps[i], "step"), runs[i].what);
            runs[i].record[0] = '\0';
        }
    }
    /* the record says what is left: nothing (no record), what an earlier
     * apply did, or the steps this one could not undo */
    if (undo_ok && !had_record)
        cli_remove(record_path);
    else if ((u_r = write_record(record_path, &plan, runs, done_steps, &record,
                                 undo_ok ? earlier_state : "applying")) != MGW_OK)
        cli_fail(u_r, record_path);
    printf("%s\n", undo_ok && !failed_left ? "stopped: everything is as it was before apply"
                                           : "stopped: NOT everything could be undone (see above)");
    /* the account in one line: every step of the plan in one of its parts */
    {
        bool undone[GWPLAN_MAX_STEPS] = {false};
        for (size_t i = 0; i < done_steps; i++)
            undone[i] = !left[i];
        char a[600], b[600], c[600];
        step_names(&plan, undone, 0, done_steps, a, sizeof(a));
        step_names(&plan, left, 0, done_steps, b, sizeof(b));
        step_names(&plan, NULL, done_steps + (record_failed ? 0 : 1), plan.count, c, sizeof(c));
        printf("account: applied and undone: %s; failed: %s (%s); not run: %s; left applied: %s\n",
               a, record_failed ? "writing the record" : gwplan_get(&plan.steps[done_steps], "step"),
               failed_left ? "NOT as before" : "nothing of it changed", c, b);
    }
done:
    for (size_t i = 0; i < plan.count; i++) {
        free(runs[i].own_added);
        mgw_free(runs[i].earlier_added);
    }
    free(record_path);
    free(dir);
    gwplan_free(&record);
    gwplan_free(&plan);
    return rc;
}

int cmd_gateway_apply(int argc, char **argv)
{
    return gateway_apply_or_rollback(argc, argv, false);
}

int cmd_gateway_rollback(int argc, char **argv)
{
    return gateway_apply_or_rollback(argc, argv, true);
}
