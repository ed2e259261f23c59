/*
 * Carrying an IIS plan out on a configuration file through the apply engine
 * (apply.c). The file is one item: it is on the before side when its bytes
 * are the plan's backup, on the desired side when they are the plan's
 * desired file, and drifted otherwise. Writes replace it atomically.
 */
#include "apply/iisapply.h"

#include "crypto/digest.h"
#include "apply/apply.h"
#include "platform/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const mgw_iisplan_t *plan;
    const char *path;
} iis_target;

static mgw_fault fault;

void mgw_iis_inject_fault(int kind, unsigned skip)
{
    mgw_fault_arm(&fault, kind, skip);
}

static int read_live(const iis_target *t, uint8_t **data, size_t *len)
{
    int r = mgw_file_read(t->path, MGW_IIS_MAX_FILE, data, len);
    return r == MGW_OK ? MGW_OK : mgw_err_prefix(r, t->path);
}

static int target_compare(void *ctx, bool wanted, size_t *bad)
{
    const iis_target *t = ctx;
    uint8_t *data = NULL, h[32];
    size_t len = 0;
    int r = read_live(t, &data, &len);
    if (r != MGW_OK)
        return r;
    mgw_sha256(data, len, h);
    mgw_free(data);
    *bad = memcmp(h, wanted ? t->plan->desired_hash : t->plan->before_hash, 32) == 0 ? SIZE_MAX : 0;
    return MGW_OK;
}

/* Which setting differs, in words, when the file still parses. */
static void difference(const iis_target *t, const uint8_t *data, size_t len, bool wanted,
                       mgw_dbuf *b)
{
    mgw_iisconfig_t *c = NULL;
    char saved[512];
    snprintf(saved, sizeof(saved), "%s", mgw_last_error());
    if (mgw_iisconfig_parse(data, len, &c) != MGW_OK) {
        mgw_dbuf_printf(b, "it does not parse any more (%s)", mgw_last_error());
        return;
    }
    uint32_t v = 0;
    bool present = false;
    size_t i = mgw_iisplan_first_difference(t->plan, c, wanted, &v, &present);
    if (i == SIZE_MAX) {
        mgw_dbuf_puts(b, "the settings are as expected but other bytes changed");
    } else {
        const mgw_iisitem *it = &t->plan->items[i];
        mgw_dbuf_printf(b, "%s is ", it->label);
        if (present)
            mgw_iisflags_format(
                it->kind == MGW_IISITEM_ACCESS ? MGW_FLAGS_ACCESS : MGW_FLAGS_BINDING, v, true, b);
        else
            mgw_dbuf_puts(b, "absent");
        mgw_dbuf_printf(b, " where the plan expects %s",
                        (wanted ? it->after_text : it->before_text)[0] != '\0'
                            ? (wanted ? it->after_text : it->before_text)
                            : "it absent");
    }
    mgw_iisconfig_free(&c);
    (void)saved;
}

static int target_drift(void *ctx, size_t bad, bool wanted, int code, const char *advice)
{
    const iis_target *t = ctx;
    (void)bad;
    uint8_t *data = NULL;
    size_t len = 0;
    int r = read_live(t, &data, &len);
    if (r != MGW_OK)
        return r;
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    difference(t, data, len, wanted, &b);
    mgw_dbuf_putc(&b, 0);
    r = mgw_err(code, "%s is not the %s file of the plan: %s; %s", t->path,
                wanted ? "desired" : "original", b.oom ? "" : (char *)b.p, advice);
    mgw_dbuf_free(&b);
    mgw_free(data);
    return r;
}

static int target_backup(void *ctx, const char *path, unsigned flags)
{
    const iis_target *t = ctx;
    uint8_t *data = NULL;
    size_t len = 0;
    int r = read_live(t, &data, &len);
    if (r == MGW_OK)
        r = mgw_file_write(path, data, len, (flags & MGW_FILE_FORCE) | MGW_FILE_PRIVATE);
    mgw_free(data);
    return r == MGW_OK ? MGW_OK : mgw_err_prefix(r, "backup");
}

static int target_write(void *ctx, bool wanted)
{
    const iis_target *t = ctx;
    const uint8_t *data = wanted ? t->plan->desired : t->plan->before;
    size_t len = wanted ? t->plan->desired_len : t->plan->before_len;
    int f = mgw_fault_take(&fault);
    if (f == MGW_FAULT_FAIL)
        return mgw_err(MGW_ERR_IO, "%s: injected write failure", t->path);
    if (f == MGW_FAULT_CORRUPT)
        len = len > 0 ? len - 1 : 0;
    /* t->path is the file itself, links resolved: the replacement is made in
     * its own directory and keeps its permissions */
    return mgw_file_replace_keep(t->path, data, len);
}

static size_t target_change_count(void *ctx)
{
    const iis_target *t = ctx;
    return mgw_iisplan_change_count(t->plan);
}

static const mgw_apply_ops iis_ops = {
    .compare = target_compare,
    .drift = target_drift,
    .check_move = NULL,
    .backup = target_backup,
    .write = target_write,
    .change_count = target_change_count,
    .drift_code = MGW_ERR_IIS_DRIFT,
    .verify_code = MGW_ERR_IIS_VERIFY,
    .restore_code = MGW_ERR_IIS_RESTORE,
    .drift_advice = "the file changed since the plan was made: plan again",
    .restore_what = "the file",
};

int mgw_iisplan_run(const mgw_iisplan_t *plan, const char *path, bool reverse,
                    const char *backup_path, unsigned flags, int *changed)
{
    iis_target t = {plan, path};
    return mgw_apply_run(&iis_ops, &t, reverse, backup_path, flags, changed);
}

static int run(const mgw_iisplan_t *plan, const char *path, const char *backup_path, unsigned flags,
               int *changed, bool reverse, const char *fn)
{
    if (plan == NULL || path == NULL || backup_path == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (mgw_file_flags_check(flags, fn) != MGW_OK)
        return MGW_ERR_INVALID_ARGUMENT;
    /* A symbolic link is followed: the file it names is the one replaced,
     * and the link stays a link. */
    char *real = NULL;
    bool same = false;
    int n = 0;
    int r = mgw_path_resolve(path, &real);
    if (r == MGW_OK && (r = mgw_path_same(real, backup_path, &same)) == MGW_OK && same)
        r = mgw_err(MGW_ERR_INVALID_ARGUMENT,
                    "the backup path %s is the configuration file %s itself: the backup would "
                    "be lost; choose another backup path",
                    backup_path, path);
    if (r == MGW_OK)
        r = mgw_iisplan_run(plan, real, reverse, backup_path, flags, &n);
    free(real);
    return mgw_apply_done(r, n, changed);
}

MGW_API int mgw_iisplan_apply_file(const mgw_iisplan_t *plan, const char *config_path,
                                   const char *backup_path, unsigned flags, int *changed)
{
    return run(plan, config_path, backup_path, flags, changed, false, "mgw_iisplan_apply_file");
}

MGW_API int mgw_iisplan_rollback_file(const mgw_iisplan_t *plan, const char *config_path,
                                      const char *backup_path, unsigned flags, int *changed)
{
    return run(plan, config_path, backup_path, flags, changed, true, "mgw_iisplan_rollback_file");
}

static int run_live(const mgw_iisplan_t *plan, const char *backup_path, unsigned flags,
                    int *changed, bool reverse)
{
    char *path = NULL;
    int r = mgw_iis_live_path(&path);
    if (r == MGW_OK)
        r = run(plan, path, backup_path, flags, changed, reverse,
                reverse ? "mgw_iisplan_rollback_live" : "mgw_iisplan_apply_live");
    mgw_free(path);
    return r;
}

MGW_API int mgw_iisplan_apply_live(const mgw_iisplan_t *plan, const char *backup_path,
                                   unsigned flags, int *changed)
{
    return run_live(plan, backup_path, flags, changed, false);
}

MGW_API int mgw_iisplan_rollback_live(const mgw_iisplan_t *plan, const char *backup_path,
                                      unsigned flags, int *changed)
{
    return run_live(plan, backup_path, flags, changed, true);
}
