/* The store object over a back-end (store.h): opening it, keeping its
 * listing in step with the back-end, and the public functions that read it. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static int item_cmp(const void *a, const void *b)
{
    return strcmp(((const mgw_store_item *)a)->origin, ((const mgw_store_item *)b)->origin);
}

static int skipped_cmp(const void *a, const void *b)
{
    return strcmp(((const mgw_store_skipped *)a)->name, ((const mgw_store_skipped *)b)->name);
}

/* ---- the store object ------------------------------------------------------------ */

static void store_destroy(mgw_store_t *s)
{
    if (s == NULL)
        return;
    mgw_store_listing_free(&s->list);
    if (s->ops != NULL && s->be != NULL)
        s->ops->close(s->be);
    free(s->location);
    free(s);
}

int mgw_storeobj_attach(const mgw_store_ops *ops, void *be, const char *location,
                        mgw_store_t **out)
{
    mgw_store_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ops->close(be);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    s->ops = ops;
    s->be = be;
    s->location = mgw_strdup(location);
    int r = s->location == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : ops->list(be, &s->list);
    if (r != MGW_OK) {
        store_destroy(s);
        return r;
    }
    mgw_storeobj_compact(s);
    if (s->list.n_skipped > 1)
        qsort(s->list.skipped, s->list.n_skipped, sizeof(*s->list.skipped), skipped_cmp);
    *out = s;
    return MGW_OK;
}

int mgw_storeobj_fault_point(mgw_store_t *s, const char *point, size_t nth)
{
    if (s->fault == NULL)
        return MGW_OK;
    int code = s->fault(s->fault_ctx, point, nth);
    return code == MGW_OK ? MGW_OK : mgw_err(code, "injected failure at %s #%zu", point, nth + 1);
}

void mgw_storeobj_set_fault(mgw_store_t *s, mgw_store_fault_fn fn, void *ctx)
{
    s->fault = fn;
    s->fault_ctx = ctx;
}

int mgw_storeobj_add(mgw_store_t *s, const uint8_t *der, size_t n, const uint8_t sha1[20],
                  size_t *index)
{
    bool renamed;
    return mgw_storeobj_add_named(s, der, n, sha1, NULL, false, index, &renamed);
}

int mgw_storeobj_add_named(mgw_store_t *s, const uint8_t *der, size_t n, const uint8_t sha1[20],
                        const char *name, bool pem, size_t *index, bool *renamed)
{
    char *origin = NULL;
    mgw_store_item item;
    memset(&item, 0, sizeof(item));
    *renamed = false;
    /* the listing's entry and room for it before the store changes: once the
     * certificate is in the store, nothing fails for want of memory */
    int r = mgw_store_item_from_der(der, n, "", &item);
    mgw_store_item *room = NULL;
    if (r == MGW_OK &&
        (room = mgw_array_grow(s->list.items, &s->list.cap, s->list.n + 1, sizeof(*room))) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (room != NULL)
        s->list.items = room;
    if (r == MGW_OK)
        r = mgw_storeobj_fault_point(s, "add", s->n_added);
    if (r == MGW_OK && name != NULL && s->ops->add_named != NULL)
        r = s->ops->add_named(s->be, der, n, sha1, name, pem, &origin, renamed);
    else if (r == MGW_OK)
        r = s->ops->add(s->be, der, n, sha1, &origin);
    if (r != MGW_OK) {
        mgw_store_item_clear(&item);
        return r;
    }
    s->n_added++;
    s->generation++;
    free(item.origin);
    item.origin = origin;
    item.pem = pem && name != NULL && !*renamed && s->ops->add_named != NULL;
    r = mgw_store_listing_add(&s->list, &item);
    mgw_store_item_clear(&item);
    if (r == MGW_OK)
        *index = s->list.n - 1;
    return r;
}

int mgw_storeobj_remove(mgw_store_t *s, size_t index)
{
    mgw_store_item *item = &s->list.items[index];
    if (item->gone)
        return mgw_err(MGW_ERR_STORE_CHANGED, "%s was removed already", item->origin);
    int r = mgw_storeobj_fault_point(s, "remove", s->n_removed);
    if (r == MGW_OK)
        r = s->ops->remove(s->be, item);
    if (r != MGW_OK)
        return r;
    item->gone = true;
    s->n_removed++;
    s->generation++;
    return MGW_OK;
}

void mgw_storeobj_compact(mgw_store_t *s)
{
    mgw_store_listing_compact(&s->list);
    /* Listing order is the back-end's; plans and reports want a stable one. */
    if (s->list.n > 1)
        qsort(s->list.items, s->list.n, sizeof(*s->list.items), item_cmp);
}

/* ---- public API ------------------------------------------------------------------ */

MGW_API int mgw_store_open_dir(const char *path, mgw_store_t **out)
{
    if (path == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_open_dir: NULL argument");
    const mgw_store_ops *ops = NULL;
    void *be = NULL;
    int r = mgw_backend_dirstore_open(path, &ops, &be);
    if (r == MGW_OK)
        r = mgw_storeobj_attach(ops, be, path, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_store_open_system(const char *location_name, mgw_store_t **out)
{
    if (location_name == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_open_system: NULL argument");
    const mgw_store_ops *ops = NULL;
    void *be = NULL;
    char *location = NULL;
    int r = mgw_backend_sysstore_open(location_name, &ops, &be, &location);
    if (r == MGW_OK)
        r = mgw_storeobj_attach(ops, be, location, out);
    free(location);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API void mgw_store_free(mgw_store_t **s)
{
    if (s == NULL)
        return;
    store_destroy(*s);
    *s = NULL;
}

MGW_API size_t mgw_store_cert_count(const mgw_store_t *s)
{
    return s == NULL ? 0 : s->list.n;
}

MGW_API int mgw_store_cert(const mgw_store_t *s, size_t index, char **thumbprint, char **subject,
                           char **origin)
{
    if (s == NULL || index >= s->list.n)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_cert: NULL store or index out of range");
    const mgw_store_item *it = &s->list.items[index];
    char hex[41];
    mgw_hex_upper(it->sha1, 20, hex);
    return mgw_out_strings(hex, thumbprint, it->subject, subject, it->origin, origin);
}

MGW_API int mgw_store_cert_physical(const mgw_store_t *s, size_t index, char **names)
{
    if (s == NULL || index >= s->list.n || names == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_cert_physical: NULL argument or index out of range");
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_physical_names(s->list.items[index].physical, &b);
    mgw_dbuf_putc(&b, '\0');
    int r = b.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : mgw_out_str((const char *)b.p, names);
    mgw_dbuf_free(&b);
    return r;
}

MGW_API size_t mgw_store_other_count(const mgw_store_t *s)
{
    return s == NULL ? 0 : s->list.n_skipped;
}

MGW_API int mgw_store_other(const mgw_store_t *s, size_t index, char **name, char **reason)
{
    if (s == NULL || index >= s->list.n_skipped)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_other: NULL store or index out of range");
    const mgw_store_skipped *sk = &s->list.skipped[index];
    return mgw_out_strings(sk->name, name, sk->reason, reason, "", NULL);
}

MGW_API int mgw_store_cert_der(const mgw_store_t *s, size_t index, uint8_t **der, size_t *der_len)
{
    if (s == NULL || index >= s->list.n || der == NULL || der_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_cert_der: NULL argument or index out of range");
    const mgw_store_item *it = &s->list.items[index];
    int r = mgw_out_copy(it->der, it->der_len, der, der_len);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_store_cert_has_key(const mgw_store_t *s, size_t index)
{
    return s != NULL && index < s->list.n && s->list.items[index].has_key;
}
