/*
 * The portable registry back-end: a .reg file stands for the machine's
 * registry. Every read parses the file afresh and every write rewrites it
 * atomically, so the file behaves like a registry that changes value by value
 * (and a failure half-way leaves a half-changed file, as it would leave a
 * half-changed registry: the apply engine restores it).
 */
#include "platform/regbackend.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *path;
} file_ctx;

static int fault_kind = MGW_REGFAULT_NONE;
static unsigned fault_skip;

void mgw_regbackend_file_inject_fault(int kind, unsigned skip)
{
    fault_kind = kind;
    fault_skip = skip;
}

/* The fault to inject into this write, if any (each fault fires once). */
static int take_fault(void)
{
    if (fault_kind == MGW_REGFAULT_NONE)
        return MGW_REGFAULT_NONE;
    if (fault_skip > 0) {
        fault_skip--;
        return MGW_REGFAULT_NONE;
    }
    int kind = fault_kind;
    if (kind == MGW_REGFAULT_FAIL_ALL)
        return MGW_REGFAULT_FAIL;
    fault_kind = MGW_REGFAULT_NONE;
    return kind;
}

static int load(const file_ctx *c, mgw_regdoc *st)
{
    uint8_t *data = NULL;
    size_t len = 0;
    mgw_regdoc parsed;
    mgw_regdoc_init(st);
    int r = mgw_file_read(c->path, MGW_REG_MAX_FILE, &data, &len);
    if (r == MGW_OK)
        r = mgw_regdoc_parse(data, len, &parsed);
    mgw_free(data);
    if (r != MGW_OK)
        return mgw_err_prefix(r, c->path);
    r = mgw_regstate_merge(st, &parsed);
    mgw_regdoc_free(&parsed);
    if (r != MGW_OK)
        mgw_regdoc_free(st);
    return r == MGW_OK ? MGW_OK : mgw_err(r, NULL);
}

static int save(const file_ctx *c, mgw_regdoc *st)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = mgw_regdoc_write(st, &b);
    if (r == MGW_OK)
        r = mgw_file_write(c->path, b.p, b.len, MGW_FILE_FORCE);
    mgw_dbuf_free(&b);
    mgw_regdoc_free(st);
    return r;
}

static int file_read_key(void *ctx, const char *path, mgw_regdoc *out)
{
    mgw_regdoc st;
    int r = load(ctx, &st);
    if (r != MGW_OK)
        return r;
    const mgw_regkey *k = mgw_regdoc_find(&st, path);
    if (k != NULL) {
        mgw_regkey copy = *k;
        copy.deleted = false;
        r = mgw_regdoc_copy_key(out, &copy);
    }
    mgw_regdoc_free(&st);
    return r == MGW_OK || r == MGW_ERR_REG_SYNTAX ? r : mgw_err(r, NULL);
}

static int file_set_value(void *ctx, const char *path, const mgw_regval *v)
{
    int fault = take_fault();
    if (fault == MGW_REGFAULT_FAIL)
        return mgw_err(MGW_ERR_IO, "writing %s: injected fault", v->name);
    mgw_regdoc st;
    int r = load(ctx, &st);
    if (r != MGW_OK)
        return r;
    mgw_regval w = *v;
    uint8_t *other = malloc(v->len + 1);
    if (other == NULL) {
        mgw_regdoc_free(&st);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    if (fault == MGW_REGFAULT_CORRUPT) { /* one byte more than asked */
        memcpy(other, v->data, v->len);
        other[v->len] = 0xEE;
        w.data = other;
        w.len = v->len + 1;
    }
    r = mgw_regstate_set(&st, path, &w);
    free(other);
    if (r != MGW_OK) {
        mgw_regdoc_free(&st);
        return mgw_err(r, NULL);
    }
    return save(ctx, &st);
}

static int file_delete(void *ctx, const char *path, const char *name)
{
    int fault = take_fault();
    if (fault == MGW_REGFAULT_FAIL)
        return mgw_err(MGW_ERR_IO, "deleting in %s: injected fault", path);
    mgw_regdoc st;
    int r = load(ctx, &st);
    if (r != MGW_OK)
        return r;
    if (fault != MGW_REGFAULT_CORRUPT) { /* corrupt: the deletion silently does not happen */
        if (name != NULL)
            mgw_regstate_delete_value(&st, path, name);
        else
            mgw_regstate_delete_key(&st, path);
    }
    return save(ctx, &st);
}

static int file_delete_value(void *ctx, const char *path, const char *name)
{
    return file_delete(ctx, path, name);
}

static int file_delete_key(void *ctx, const char *path)
{
    return file_delete(ctx, path, NULL);
}

static int file_export(void *ctx, const char *const *paths, size_t n, mgw_dbuf *reg)
{
    mgw_regdoc st, out;
    int r = load(ctx, &st);
    if (r != MGW_OK)
        return r;
    mgw_regdoc_init(&out);
    r = mgw_regstate_extract(&st, paths, n, &out);
    if (r == MGW_OK)
        r = mgw_regdoc_write(&out, reg);
    mgw_regdoc_free(&out);
    mgw_regdoc_free(&st);
    return r == MGW_OK || r == MGW_ERR_REG_SYNTAX ? r : mgw_err(r, NULL);
}

int mgw_regbackend_file_open(const char *path, mgw_regbackend *be)
{
    file_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->path = mgw_strdup(path)) == NULL) {
        free(c);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_regdoc st;
    int r = load(c, &st); /* the file must exist and be readable as a registry */
    if (r != MGW_OK) {
        free(c->path);
        free(c);
        return r;
    }
    mgw_regdoc_free(&st);
    be->ctx = c;
    be->read_key = file_read_key;
    be->set_value = file_set_value;
    be->delete_value = file_delete_value;
    be->delete_key = file_delete_key;
    be->export_keys = file_export;
    return MGW_OK;
}

void mgw_regbackend_file_close(mgw_regbackend *be)
{
    file_ctx *c = be->ctx;
    if (c != NULL) {
        free(c->path);
        free(c);
    }
    be->ctx = NULL;
}

static int run_on_file(const mgw_regplan_t *plan, const char *registry_file,
                       const char *backup_path, unsigned flags, int *changed, bool reverse)
{
    if (plan == NULL || registry_file == NULL || backup_path == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: NULL argument",
                       reverse ? "mgw_regplan_rollback_file" : "mgw_regplan_apply_file");
    mgw_regbackend be;
    int n = 0;
    int r = mgw_regbackend_file_open(registry_file, &be);
    if (r != MGW_OK)
        return mgw_err_ensure(r);
    r = mgw_regplan_run(plan, &be, reverse, backup_path, flags, &n);
    mgw_regbackend_file_close(&be);
    if (r != MGW_OK)
        return mgw_err_ensure(r);
    if (changed != NULL)
        *changed = n;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regplan_apply_file(const mgw_regplan_t *plan, const char *registry_file,
                                   const char *backup_path, unsigned flags, int *changed)
{
    return run_on_file(plan, registry_file, backup_path, flags, changed, false);
}

MGW_API int mgw_regplan_rollback_file(const mgw_regplan_t *plan, const char *registry_file,
                                      const char *backup_path, unsigned flags, int *changed)
{
    return run_on_file(plan, registry_file, backup_path, flags, changed, true);
}
