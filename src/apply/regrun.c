/* The public entry points of registry plans and states on a back-end: a .reg
 * file standing for the registry (backend/registry_file.c) or the machine's
 * registry (backend/registry_win.c, or backend/system_none.c where there is
 * none). One runner for both: open the back-end, carry the plan out through
 * the apply engine (regapply.c), close. */
#include "apply/apply.h"
#include "apply/regbackend.h"
#include "platform/file.h"

MGW_API int mgw_regstate_read_live(mgw_regstate_t *st, const char *key)
{
    if (st == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regstate_read_live: NULL state");
    size_t n = 1;
    const char *const *keys = key != NULL ? &key : mgw_regplan_read_keys(&n);
    mgw_regbackend be;
    mgw_dbuf reg;
    mgw_dbuf_init(&reg);
    int r = mgw_backend_reglive_open(&be);
    if (r != MGW_OK)
        return r;
    r = be.ops->export_keys(be.ctx, keys, n, &reg);
    mgw_regbackend_close(&be);
    /* Importing merges into a copy: on failure the state is as it was. */
    if (r == MGW_OK)
        r = mgw_regstate_import(st, reg.p, reg.len);
    mgw_dbuf_free(&reg);
    return r;
}

/* On the .reg file registry_file, or with live on the machine's registry. */
static int run(const mgw_regplan_t *plan, bool live, const char *registry_file,
               const char *backup_path, unsigned flags, int *changed, bool reverse, const char *fn)
{
    if (plan == NULL || backup_path == NULL || (!live && registry_file == NULL))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (mgw_file_flags_check(flags, fn) != MGW_OK)
        return MGW_ERR_INVALID_ARGUMENT;
    mgw_regbackend be;
    int n = 0;
    int r = live ? mgw_backend_reglive_open(&be) : mgw_backend_regfile_open(registry_file, &be);
    if (r != MGW_OK)
        return mgw_err_ensure(r);
    r = mgw_regplan_run(plan, &be, reverse, backup_path, flags, &n);
    mgw_regbackend_close(&be);
    return mgw_apply_done(r, n, changed);
}

MGW_API int mgw_regplan_apply_file(const mgw_regplan_t *plan, const char *registry_file,
                                   const char *backup_path, unsigned flags, int *changed)
{
    return run(plan, false, registry_file, backup_path, flags, changed, false,
               "mgw_regplan_apply_file");
}

MGW_API int mgw_regplan_rollback_file(const mgw_regplan_t *plan, const char *registry_file,
                                      const char *backup_path, unsigned flags, int *changed)
{
    return run(plan, false, registry_file, backup_path, flags, changed, true,
               "mgw_regplan_rollback_file");
}

MGW_API int mgw_regplan_apply_live(const mgw_regplan_t *plan, const char *backup_path,
                                   unsigned flags, int *changed)
{
    return run(plan, true, NULL, backup_path, flags, changed, false, "mgw_regplan_apply_live");
}

MGW_API int mgw_regplan_rollback_live(const mgw_regplan_t *plan, const char *backup_path,
                                      unsigned flags, int *changed)
{
    return run(plan, true, NULL, backup_path, flags, changed, true, "mgw_regplan_rollback_live");
}
