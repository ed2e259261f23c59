/* Single certificates in a store: add one, remove one by thumbprint, import
 * a PFX with its key. The back-end does the work; this keeps the listing in
 * step and never duplicates a certificate. */
#include "roots/roots.h"
#include "crypto/digest.h"

#include <stdlib.h>
#include <string.h>

/* Index of the listed certificate with this thumbprint, or SIZE_MAX. */
static size_t find(const mgw_store_t *s, const mgw_thumb *t)
{
    for (size_t i = 0; i < s->list.n; i++) {
        const mgw_store_item *it = &s->list.items[i];
        uint8_t h[32];
        if (it->gone)
            continue;
        if (t->len == 20 && memcmp(it->sha1, t->d, 20) == 0)
            return i;
        if (t->len == 32) {
            mgw_sha256(it->der, it->der_len, h);
            if (memcmp(h, t->d, 32) == 0)
                return i;
        }
    }
    return SIZE_MAX;
}

static int out_thumbprint(const uint8_t sha1[20], char **out)
{
    char hex[41];
    mgw_hex_upper(sha1, 20, hex);
    return out == NULL ? MGW_OK : mgw_out_str(hex, out);
}

MGW_API int mgw_store_add_cert(mgw_store_t *s, const uint8_t *data, size_t len, int *added,
                               char **thumbprint)
{
    if (s == NULL || data == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_add_cert: NULL argument");
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    mgw_thumb t;
    size_t at;
    int r = mgw_cert_file_der(data, len, &der);
    mgw_store_item probe;
    memset(&probe, 0, sizeof(probe));
    /* Parse before touching the store: only a readable certificate goes in. */
    if (r == MGW_OK)
        r = mgw_store_item_from_der(der.p, der.len, "", &probe);
    if (r == MGW_OK)
        mgw_thumb_sha1(&t, probe.sha1);
    bool present = r == MGW_OK && find(s, &t) != SIZE_MAX;
    /* the thumbprint's copy first: once the file is written, nothing fails */
    char *tp = NULL;
    if (r == MGW_OK)
        r = out_thumbprint(probe.sha1, thumbprint != NULL ? &tp : NULL);
    if (r == MGW_OK && !present)
        r = mgw_store_add(s, der.p, der.len, probe.sha1, &at);
    mgw_store_compact(s);
    if (r == MGW_OK && thumbprint != NULL)
        *thumbprint = tp;
    else
        mgw_free(tp);
    if (r == MGW_OK && added != NULL)
        *added = !present;
    mgw_store_item_clear(&probe);
    mgw_dbuf_free(&der);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}

MGW_API int mgw_store_remove_cert(mgw_store_t *s, const char *thumbprint)
{
    if (s == NULL || thumbprint == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_remove_cert: NULL argument");
    mgw_thumb t;
    int r = mgw_thumb_parse(thumbprint, strlen(thumbprint), &t);
    if (r != MGW_OK)
        return r;
    size_t i = find(s, &t);
    if (i == SIZE_MAX) {
        char hex[65];
        mgw_thumb_hex(&t, hex);
        return mgw_err(MGW_ERR_NOT_FOUND, "%s holds no certificate with thumbprint %s", s->location,
                       hex);
    }
    /* a directory store can hold the same certificate twice (a .cer and a
     * .pem): every copy goes, or the certificate would stay trusted */
    while (r == MGW_OK && i != SIZE_MAX) {
        r = mgw_store_remove(s, i);
        i = find(s, &t);
    }
    mgw_store_compact(s);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_store_import_pfx(mgw_store_t *s, const uint8_t *pfx, size_t len,
                                 const char *password, size_t password_len, unsigned flags,
                                 char **thumbprint)
{
    if (s == NULL || pfx == NULL || (password == NULL && password_len > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_import_pfx: NULL argument");
    if (flags & ~MGW_STORE_PFX_EXPORTABLE)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_import_pfx: unknown flags 0x%x", flags);
    if (s->ops->import_pfx == NULL)
        return mgw_err(MGW_ERR_NOT_AVAILABLE,
                       "a %s store holds no private keys: import PFX files into a Windows "
                       "system store (e.g. LocalMachine\\My)",
                       s->ops->kind);
    uint8_t *der = NULL;
    size_t der_len = 0;
    char *origin = NULL;
    mgw_store_item item;
    memset(&item, 0, sizeof(item));
    int r =
        s->ops->import_pfx(s->be, pfx, len, password, password_len, flags, &der, &der_len, &origin);
    if (r != MGW_OK)
        return r;
    s->generation++;
    r = mgw_store_item_from_der(der, der_len, origin, &item);
    if (r == MGW_OK)
        r = out_thumbprint(item.sha1, thumbprint);
    if (r == MGW_OK) {
        mgw_thumb t;
        mgw_thumb_sha1(&t, item.sha1);
        size_t i = find(s, &t);
        item.has_key = true;
        if (i != SIZE_MAX)
            s->list.items[i].has_key = true;
        else
            r = mgw_store_listing_add(&s->list, &item);
    }
    mgw_store_compact(s);
    mgw_store_item_clear(&item);
    free(der);
    free(origin);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
