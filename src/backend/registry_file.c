/*
 * The portable registry back-end: a .reg file stands for the machine's
 * registry. Every read parses the file afresh and every write rewrites it
 * atomically, so the file behaves like a registry that changes value by value
 * (and a failure half-way leaves a half-changed file, as it would leave a
 * half-changed registry: the apply engine restores it).
 */
#include "apply/regbackend.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *path;
} file_ctx;

static mgw_fault fault;

void mgw_backend_regfile_inject_fault(int kind, unsigned skip)
{
    mgw_fault_arm(&fault, kind, skip);
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
    int f = mgw_fault_take(&fault);
    if (f == MGW_FAULT_FAIL)
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
    if (f == MGW_FAULT_CORRUPT) { /* one byte more than asked */
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
    int f = mgw_fault_take(&fault);
    if (f == MGW_FAULT_FAIL)
        return mgw_err(MGW_ERR_IO, "deleting in %s: injected fault", path);
    mgw_regdoc st;
    int r = load(ctx, &st);
    if (r != MGW_OK)
        return r;
    if (f != MGW_FAULT_CORRUPT) { /* corrupt: the deletion silently does not happen */
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

static void file_close(void *ctx)
{
    file_ctx *c = ctx;
    if (c != NULL) {
        free(c->path);
        free(c);
    }
}

static const mgw_regbackend_ops file_ops = {
    .read_key = file_read_key,
    .set_value = file_set_value,
    .delete_value = file_delete_value,
    .delete_key = file_delete_key,
    .export_keys = file_export,
    .close = file_close,
};

int mgw_backend_regfile_open(const char *path, mgw_regbackend *be)
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
    be->ops = &file_ops;
    be->ctx = c;
    return MGW_OK;
}
