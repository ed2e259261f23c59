/* Registry model: keys and values, and the state a series of .reg imports
 * leaves behind. */
#include "registry/registry.h"

#include <stdlib.h>
#include <string.h>

static int fold(int c)
{
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

bool mgw_regname_eq(const char *a, const char *b)
{
    while (*a != '\0' && fold((unsigned char)*a) == fold((unsigned char)*b))
        a++, b++;
    return *a == '\0' && *b == '\0';
}

bool mgw_regpath_within(const char *path, const char *parent)
{
    size_t n = strlen(parent);
    if (strlen(path) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)path[i]) != fold((unsigned char)parent[i]))
            return false;
    return path[n] == '\0' || path[n] == '\\';
}

static void val_free(mgw_regval *v)
{
    free(v->name);
    free(v->data);
}

static void key_free(mgw_regkey *k)
{
    for (size_t i = 0; i < k->n_vals; i++)
        val_free(&k->vals[i]);
    free(k->vals);
    free(k->path);
}

void mgw_regdoc_init(mgw_regdoc *d)
{
    d->keys = NULL;
    d->n_keys = 0;
}

void mgw_regdoc_free(mgw_regdoc *d)
{
    for (size_t i = 0; i < d->n_keys; i++)
        key_free(&d->keys[i]);
    free(d->keys);
    mgw_regdoc_init(d);
}

mgw_regkey *mgw_regdoc_find(const mgw_regdoc *d, const char *path)
{
    for (size_t i = d->n_keys; i > 0; i--)
        if (mgw_regname_eq(d->keys[i - 1].path, path))
            return &d->keys[i - 1];
    return NULL;
}

/* Insert a section at position `at` (the array grows one by one: documents
 * are small and this keeps every pointer handling in one place). */
static mgw_regkey *insert_key(mgw_regdoc *d, size_t at, const char *path, bool deleted)
{
    char *p = mgw_strdup(path);
    mgw_regkey *nk = realloc(d->keys, (d->n_keys + 1) * sizeof(*nk));
    if (p == NULL || nk == NULL) {
        free(p);
        if (nk != NULL)
            d->keys = nk;
        return NULL;
    }
    d->keys = nk;
    memmove(&nk[at + 1], &nk[at], (d->n_keys - at) * sizeof(*nk));
    memset(&nk[at], 0, sizeof(*nk));
    nk[at].path = p;
    nk[at].deleted = deleted;
    d->n_keys++;
    return &nk[at];
}

mgw_regkey *mgw_regdoc_append(mgw_regdoc *d, const char *path, bool deleted)
{
    return insert_key(d, d->n_keys, path, deleted);
}

mgw_regval *mgw_regkey_find(const mgw_regkey *k, const char *name)
{
    for (size_t i = 0; i < k->n_vals; i++)
        if (mgw_regname_eq(k->vals[i].name, name))
            return &k->vals[i];
    return NULL;
}

int mgw_regkey_put(mgw_regkey *k, const char *name, uint32_t type, const uint8_t *data, size_t len,
                   bool deleted)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return MGW_ERR_NO_MEMORY;
    if (len > 0)
        memcpy(copy, data, len);
    mgw_regval *v = mgw_regkey_find(k, name);
    if (v == NULL) {
        char *nm = mgw_strdup(name);
        mgw_regval *nv = realloc(k->vals, (k->n_vals + 1) * sizeof(*nv));
        if (nm == NULL || nv == NULL) {
            free(nm);
            free(copy);
            if (nv != NULL)
                k->vals = nv;
            return MGW_ERR_NO_MEMORY;
        }
        k->vals = nv;
        v = &nv[k->n_vals++];
        v->name = nm;
        v->data = NULL;
    }
    free(v->data);
    v->data = copy;
    v->len = len;
    v->type = type;
    v->deleted = deleted;
    return MGW_OK;
}

bool mgw_regval_same(const mgw_regval *a, const mgw_regval *b)
{
    return a->type == b->type && a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int mgw_regdoc_copy_key(mgw_regdoc *to, const mgw_regkey *k)
{
    mgw_regkey *c = mgw_regdoc_append(to, k->path, k->deleted);
    if (c == NULL)
        return MGW_ERR_NO_MEMORY;
    for (size_t i = 0; i < k->n_vals; i++) {
        const mgw_regval *v = &k->vals[i];
        if (mgw_regkey_put(c, v->name, v->type, v->data, v->len, v->deleted) != MGW_OK)
            return MGW_ERR_NO_MEMORY;
    }
    return MGW_OK;
}

/* ---- state ------------------------------------------------------------------ */

/* Where a new key goes: after the last key below its nearest present ancestor. */
static size_t insertion_point(const mgw_regdoc *st, const char *path)
{
    char *anc = mgw_strdup(path);
    size_t at = st->n_keys;
    if (anc == NULL)
        return at;
    for (char *bs = strrchr(anc, '\\'); bs != NULL; bs = strrchr(anc, '\\')) {
        *bs = '\0';
        size_t last = SIZE_MAX;
        for (size_t i = 0; i < st->n_keys; i++)
            if (mgw_regpath_within(st->keys[i].path, anc))
                last = i;
        if (last != SIZE_MAX) {
            at = last + 1;
            break;
        }
    }
    free(anc);
    return at;
}

mgw_regkey *mgw_regstate_key(mgw_regdoc *st, const char *path, bool create)
{
    mgw_regkey *k = mgw_regdoc_find(st, path);
    if (k != NULL || !create)
        return k;
    return insert_key(st, insertion_point(st, path), path, false);
}

int mgw_regstate_set(mgw_regdoc *st, const char *path, const mgw_regval *v)
{
    mgw_regkey *k = mgw_regstate_key(st, path, true);
    if (k == NULL)
        return MGW_ERR_NO_MEMORY;
    return mgw_regkey_put(k, v->name, v->type, v->data, v->len, false);
}

int mgw_regstate_delete_value(mgw_regdoc *st, const char *path, const char *name)
{
    mgw_regkey *k = mgw_regdoc_find(st, path);
    mgw_regval *v = k != NULL ? mgw_regkey_find(k, name) : NULL;
    if (v == NULL)
        return MGW_OK;
    size_t i = (size_t)(v - k->vals);
    val_free(v);
    memmove(&k->vals[i], &k->vals[i + 1], (k->n_vals - i - 1) * sizeof(*v));
    k->n_vals--;
    return MGW_OK;
}

int mgw_regstate_delete_key(mgw_regdoc *st, const char *path)
{
    size_t w = 0;
    for (size_t i = 0; i < st->n_keys; i++) {
        if (mgw_regpath_within(st->keys[i].path, path))
            key_free(&st->keys[i]);
        else
            st->keys[w++] = st->keys[i];
    }
    st->n_keys = w;
    return MGW_OK;
}

int mgw_regstate_merge(mgw_regdoc *st, const mgw_regdoc *reg)
{
    for (size_t i = 0; i < reg->n_keys; i++) {
        const mgw_regkey *k = &reg->keys[i];
        if (k->deleted) {
            mgw_regstate_delete_key(st, k->path);
            continue;
        }
        if (mgw_regstate_key(st, k->path, true) == NULL)
            return MGW_ERR_NO_MEMORY;
        for (size_t j = 0; j < k->n_vals; j++) {
            const mgw_regval *v = &k->vals[j];
            int r = v->deleted ? mgw_regstate_delete_value(st, k->path, v->name)
                               : mgw_regstate_set(st, k->path, v);
            if (r != MGW_OK)
                return r;
        }
    }
    return MGW_OK;
}

int mgw_regstate_extract(const mgw_regdoc *st, const char *const *paths, size_t n, mgw_regdoc *out)
{
    for (size_t i = 0; i < st->n_keys; i++) {
        bool wanted = false;
        for (size_t j = 0; j < n && !wanted; j++)
            wanted = mgw_regpath_within(st->keys[i].path, paths[j]);
        if (wanted && mgw_regdoc_copy_key(out, &st->keys[i]) != MGW_OK)
            return MGW_ERR_NO_MEMORY;
    }
    return MGW_OK;
}
