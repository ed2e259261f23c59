/* The machine's registry as a registry state and as the target of plans:
 * the same engine as the .reg-file back-end (regapply.c), on the live
 * back-end (registry_win.c, or system_none.c where there is none). */
#include "apply/regbackend.h"

MGW_API int mgw_regstate_read_live(mgw_regstate_t *st, const char *key)
{
    if (st == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regstate_read_live: NULL state");
    size_t n = 1;
    const char *const *keys = key != NULL ? &key : mgw_regplan_read_keys(&n);
    mgw_regbackend be;
    mgw_dbuf reg;
    mgw_dbuf_init(&reg);
    int r = mgw_regbackend_live_open(&be);
    if (r != MGW_OK)
        return r;
    r = be.export_keys(be.ctx, keys, n, &reg);
    mgw_regbackend_live_close(&be);
    /* Importing merges into a copy: on failure the state is as it was. */
    if (r == MGW_OK)
        r = mgw_regstate_import(st, reg.p, reg.len);
    mgw_dbuf_free(&reg);
    return r;
}

static int run_live(const mgw_regplan_t *plan, const char *backup_path, unsigned flags,
                    int *changed, bool reverse)
{
    if (plan == NULL || backup_path == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: NULL argument",
                       reverse ? "mgw_regplan_rollback_live" : "mgw_regplan_apply_live");
    mgw_regbackend be;
    int n = 0;
    int r = mgw_regbackend_live_open(&be);
    if (r != MGW_OK)
        return r;
    r = mgw_regplan_run(plan, &be, reverse, backup_path, flags, &n);
    mgw_regbackend_live_close(&be);
    if (r != MGW_OK)
        return r;
    if (changed != NULL)
        *changed = n;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regplan_apply_live(const mgw_regplan_t *plan, const char *backup_path,
                                   unsigned flags, int *changed)
{
    return run_live(plan, backup_path, flags, changed, false);
}

MGW_API int mgw_regplan_rollback_live(const mgw_regplan_t *plan, const char *backup_path,
                                      unsigned flags, int *changed)
{
    return run_live(plan, backup_path, flags, changed, true);
}
