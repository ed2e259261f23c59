/*
 * Carrying a plan out through a registry back-end. Each item has two sides:
 * its before-state and the state the plan wants. Applying moves every item
 * from the first to the second, rolling back the other way; either refuses
 * when the registry is on neither side (drift), and changes nothing when it
 * is already on the far side. The steps are the apply engine's (apply.c);
 * this file gives it access to the registry through a back-end.
 */
#include "apply/regbackend.h"

#include "apply/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registry as a target of the apply engine (apply.h): a plan and the
 * back-end it is carried out through. */
typedef struct {
    const mgw_regplan_t *plan;
    const mgw_regbackend *be;
} reg_target;

/* The key's existence and the value on one side of an item. */
static void side(const mgw_regitem *it, bool wanted, bool *key_exists, const mgw_regdata **v)
{
    if (wanted && it->action == MGW_REGACT_SET) {
        *key_exists = true;
        *v = &it->after;
    } else {
        *key_exists = it->key_existed;
        *v = &it->before;
    }
}

static int read_live(const mgw_regbackend *be, const mgw_regitem *it, bool *key_exists,
                     mgw_regdata *v)
{
    mgw_regdoc d;
    mgw_regdoc_init(&d);
    int r = be->ops->read_key(be->ctx, it->key, &d);
    if (r == MGW_OK) {
        const mgw_regval *val = d.n_keys > 0 ? mgw_regkey_find(&d.keys[0], it->name) : NULL;
        *key_exists = d.n_keys > 0;
        r = val != NULL ? mgw_regdata_set(v, true, val->type, val->data, val->len)
                        : mgw_regdata_set(v, false, 0, NULL, 0);
    }
    mgw_regdoc_free(&d);
    return r;
}

/* *bad: the first item whose live state differs from the given side, or
 * SIZE_MAX when none does. */
static int compare(void *ctx, bool wanted, size_t *bad)
{
    const reg_target *t = ctx;
    const mgw_regplan_t *p = t->plan;
    *bad = SIZE_MAX;
    for (size_t i = 0; i < p->n_items; i++) {
        bool want_key, live_key = false;
        const mgw_regdata *want;
        mgw_regdata live = {false, 0, NULL, 0};
        side(&p->items[i], wanted, &want_key, &want);
        int r = read_live(t->be, &p->items[i], &live_key, &live);
        bool same = r == MGW_OK && live_key == want_key && mgw_regdata_same(&live, want);
        free(live.data);
        if (r != MGW_OK)
            return r;
        if (!same) {
            *bad = i;
            return MGW_OK;
        }
    }
    return MGW_OK;
}

static void describe(const mgw_regdata *v, bool key_exists, mgw_dbuf *b)
{
    if (!key_exists)
        mgw_dbuf_puts(b, "absent with its key");
    else if (!v->present)
        mgw_dbuf_puts(b, "absent");
    else
        mgw_regval_format(v->type, v->data, v->len, b);
    mgw_dbuf_putc(b, 0);
}

static int drift(void *ctx, size_t i, bool wanted, int code, const char *advice)
{
    const reg_target *t = ctx;
    const mgw_regitem *it = &t->plan->items[i];
    bool want_key, live_key = false;
    const mgw_regdata *want;
    mgw_regdata live = {false, 0, NULL, 0};
    side(it, wanted, &want_key, &want);
    int r = read_live(t->be, it, &live_key, &live);
    mgw_dbuf a, b;
    mgw_dbuf_init(&a);
    mgw_dbuf_init(&b);
    describe(&live, live_key, &a);
    describe(want, want_key, &b);
    if (r == MGW_OK)
        r = mgw_err(code, "%s is %s where the plan expects %s; %s", it->label,
                    a.p != NULL ? (char *)a.p : "", b.p != NULL ? (char *)b.p : "", advice);
    mgw_dbuf_free(&a);
    mgw_dbuf_free(&b);
    free(live.data);
    return r;
}

/* Bring every item the plan writes to one side. */
static int write_side(void *ctx, bool wanted)
{
    const reg_target *t = ctx;
    const mgw_regplan_t *p = t->plan;
    const mgw_regbackend *be = t->be;
    for (size_t i = 0; i < p->n_items; i++) {
        const mgw_regitem *it = &p->items[i];
        bool key_exists;
        const mgw_regdata *v;
        if (it->action != MGW_REGACT_SET)
            continue;
        side(it, wanted, &key_exists, &v);
        int r;
        if (!key_exists) {
            r = be->ops->delete_key(be->ctx, it->key);
        } else if (!v->present) {
            r = be->ops->delete_value(be->ctx, it->key, it->name);
        } else {
            mgw_regval val = {it->name, v->type, v->data, v->len, false};
            r = be->ops->set_value(be->ctx, it->key, &val);
        }
        if (r != MGW_OK)
            return r;
    }
    return MGW_OK;
}

static int write_backup(void *ctx, const char *path, unsigned flags)
{
    const reg_target *t = ctx;
    const mgw_regplan_t *p = t->plan;
    const mgw_regbackend *be = t->be;
    const char **keys = calloc(p->n_items + 1, sizeof(*keys));
    if (keys == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < p->n_items; i++)
        keys[i] = p->items[i].key;
    mgw_dbuf reg;
    mgw_dbuf_init(&reg);
    int r = be->ops->export_keys(be->ctx, keys, p->n_items, &reg);
    if (r == MGW_OK)
        r = mgw_file_write(path, reg.p, reg.len, flags & MGW_FILE_FORCE);
    if (r != MGW_OK)
        r = mgw_err_prefix(r, "backup");
    mgw_dbuf_free(&reg);
    free(keys);
    return r;
}

/* True when the plan writes value `name` of key `key`. */
static bool plan_writes(const mgw_regplan_t *p, const char *key, const char *name)
{
    for (size_t i = 0; i < p->n_items; i++)
        if (p->items[i].action == MGW_REGACT_SET && mgw_regname_eq(p->items[i].key, key) &&
            mgw_regname_eq(p->items[i].name, name))
            return true;
    return false;
}

/* Key `key` is about to be deleted with everything in it: refuse when it holds
 * a value or subkey the plan did not create (added since), which would go
 * silently. */
static int check_only_ours(const mgw_regplan_t *p, const mgw_regbackend *be, const char *key)
{
    mgw_dbuf reg;
    mgw_regdoc d;
    mgw_dbuf_init(&reg);
    mgw_regdoc_init(&d);
    int r = be->ops->export_keys(be->ctx, &key, 1, &reg);
    if (r == MGW_OK && reg.len > 0)
        r = mgw_regdoc_parse(reg.p, reg.len, &d);
    if (r == MGW_OK && d.n_keys > 1)
        r = mgw_err(MGW_ERR_REG_DRIFT,
                    "%s has subkeys the plan did not create (%s); deleting the key would remove "
                    "them: move them away or plan again",
                    key, d.keys[1].path);
    for (size_t k = 0; r == MGW_OK && d.n_keys > 0 && k < d.keys[0].n_vals; k++)
        if (!plan_writes(p, key, d.keys[0].vals[k].name))
            r = mgw_err(MGW_ERR_REG_DRIFT,
                        "%s holds a value the plan did not create (\"%s\"); deleting the key "
                        "would remove it: move it away or plan again",
                        key, d.keys[0].vals[k].name);
    mgw_regdoc_free(&d);
    mgw_dbuf_free(&reg);
    return r;
}

/* Every key that moving to side `to` deletes (keys the plan created, on
 * rollback) must hold only the plan's own values. */
static int check_key_deletions(void *ctx, bool to)
{
    const reg_target *t = ctx;
    const mgw_regplan_t *p = t->plan;
    for (size_t i = 0; i < p->n_items; i++) {
        bool key_exists;
        const mgw_regdata *v;
        side(&p->items[i], to, &key_exists, &v);
        if (p->items[i].action == MGW_REGACT_SET && !key_exists) {
            int r = check_only_ours(p, t->be, p->items[i].key);
            if (r != MGW_OK)
                return r;
        }
    }
    return MGW_OK;
}

static size_t change_count(void *ctx)
{
    const reg_target *t = ctx;
    return mgw_regplan_change_count(t->plan);
}

static const mgw_apply_ops registry_ops = {
    .compare = compare,
    .drift = drift,
    .check_move = check_key_deletions,
    .backup = write_backup,
    .write = write_side,
    .change_count = change_count,
    .drift_code = MGW_ERR_REG_DRIFT,
    .verify_code = MGW_ERR_REG_VERIFY,
    .restore_code = MGW_ERR_REG_RESTORE,
    .drift_advice = "the registry changed since the plan was made: plan again",
    .restore_what = "the keys",
};

int mgw_regplan_run(const mgw_regplan_t *p, const mgw_regbackend *be, bool reverse,
                    const char *backup_path, unsigned flags, int *changed)
{
    reg_target t = {p, be};
    return mgw_apply_run(&registry_ops, &t, reverse, backup_path, flags, changed);
}

void mgw_regbackend_close(mgw_regbackend *be)
{
    if (be->ops != NULL)
        be->ops->close(be->ctx);
    be->ops = NULL;
    be->ctx = NULL;
}
