/*
 * The apply engine (apply.h): drift check, backup first, write, re-read and
 * verify, restore on any failure. The same steps for every kind of target.
 */
#include "apply/apply.h"

#include <stdio.h>
#include <stdlib.h>

/* After a failed write or verification: put the starting side back. */
static int restore(const mgw_apply_ops *t, void *ctx, bool from, int code, const char *backup_path)
{
    /* Both messages are copied before the next call replaces the last error. */
    char what[512], why[512] = "values differ";
    snprintf(what, sizeof(what), "%s", mgw_last_error());
    size_t bad = SIZE_MAX;
    int r = t->write(ctx, from);
    if (r == MGW_OK)
        r = t->compare(ctx, from, &bad);
    if (r != MGW_OK)
        snprintf(why, sizeof(why), "%s", mgw_last_error());
    if (r != MGW_OK || bad != SIZE_MAX)
        return mgw_err(t->restore_code,
                       "%.200s; restoring the previous state failed as well (%.160s): restore "
                       "%s from %s",
                       what, why, t->restore_what, backup_path);
    return mgw_err(code, "%s; the previous state was restored", what);
}

int mgw_apply_run(const mgw_apply_ops *t, void *ctx, bool reverse, const char *backup_path,
                  unsigned flags, int *changed)
{
    bool from = reverse, to = !reverse;
    size_t bad;
    int r = t->compare(ctx, to, &bad);
    if (r != MGW_OK)
        return r;
    if (bad == SIZE_MAX) {
        *changed = 0;
        return MGW_OK;
    }
    if ((r = t->compare(ctx, from, &bad)) != MGW_OK)
        return r;
    /* a rollback cannot be planned again: it says how to get back instead */
    if (bad != SIZE_MAX)
        return t->drift(ctx, bad, from, t->drift_code,
                        reverse ? "it changed after the plan was applied: undo those later "
                                  "changes first, or restore it from the apply's backup"
                                : t->drift_advice);
    if (t->check_move != NULL && (r = t->check_move(ctx, to)) != MGW_OK)
        return r;
    if ((r = t->backup(ctx, backup_path, flags)) != MGW_OK)
        return r;
    if ((r = t->write(ctx, to)) != MGW_OK)
        return restore(t, ctx, from, r, backup_path);
    if ((r = t->compare(ctx, to, &bad)) != MGW_OK)
        return restore(t, ctx, from, r, backup_path);
    if (bad != SIZE_MAX) {
        t->drift(ctx, bad, to, t->verify_code, "the write did not take");
        return restore(t, ctx, from, t->verify_code, backup_path);
    }
    *changed = (int)t->change_count(ctx);
    return MGW_OK;
}

int mgw_apply_done(int r, int n, int *changed)
{
    if (r != MGW_OK)
        return mgw_err_ensure(r);
    if (changed != NULL)
        *changed = n;
    mgw_err_clear();
    return MGW_OK;
}

void mgw_fault_arm(mgw_fault *f, int kind, unsigned skip)
{
    f->kind = kind;
    f->skip = skip;
}

int mgw_fault_take(mgw_fault *f)
{
    if (f->kind == MGW_FAULT_NONE)
        return MGW_FAULT_NONE;
    if (f->skip > 0) {
        f->skip--;
        return MGW_FAULT_NONE;
    }
    int kind = f->kind;
    if (kind == MGW_FAULT_FAIL_ALL)
        return MGW_FAULT_FAIL;
    f->kind = MGW_FAULT_NONE;
    return kind;
}
