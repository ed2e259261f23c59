/* Carrying out a plan (backup, verify, remove) and restoring from a backup. */
#include "roots/roots.h"
#include "crypto/digest.h"
#include "platform/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mgw_roots_event_cb cb;
    void *ctx;
} reporter;

static void report(const reporter *rp, int event, const mgw_store_item *it, const char *origin,
                   const char *detail)
{
    if (rp->cb == NULL)
        return;
    char hex[41];
    mgw_hex_upper(it->sha1, 20, hex);
    rp->cb(rp->ctx, event, hex, it->subject, origin != NULL ? origin : it->origin, detail);
}

/* ---- prune ------------------------------------------------------------------ */

static int write_backup(const mgw_store_t *s, const size_t *idx, size_t n, const char *path,
                        unsigned flags)
{
    mgw_dbuf text, gz;
    mgw_dbuf_init(&text);
    mgw_dbuf_init(&gz);
    int r = mgw_backup_text(s, idx, n, &text);
    if (r == MGW_OK)
        r = mgw_gzip(text.p, text.len, &gz);
    if (r == MGW_OK)
        r = mgw_file_write(path, gz.p, gz.len, flags & MGW_FILE_FORCE);
    mgw_dbuf_free(&text);
    mgw_dbuf_free(&gz);
    return r == MGW_OK ? r : mgw_err_prefix(r, "backup");
}

/* Read the backup back from disk: it must hold exactly the certificates to
 * be removed, in order, each parsing and matching its header. */
static int verify_backup(const mgw_store_t *s, const size_t *idx, size_t n, const char *path)
{
    mgw_store_listing back;
    memset(&back, 0, sizeof(back));
    int r = mgw_backup_load(path, &back);
    if (r == MGW_OK && back.n != n)
        r = mgw_err(MGW_ERR_ROOTS_BACKUP, "%s holds %zu certificates, not %zu", path, back.n, n);
    for (size_t i = 0; i < n && r == MGW_OK; i++) {
        const mgw_store_item *it = &s->list.items[idx[i]];
        if (back.items[i].der_len != it->der_len ||
            memcmp(back.items[i].der, it->der, it->der_len) != 0)
            r = mgw_err(MGW_ERR_ROOTS_BACKUP, "%s: certificate %zu is not the one of %s", path,
                        i + 1, it->origin);
    }
    mgw_store_listing_free(&back);
    if (r != MGW_OK && r != MGW_ERR_NO_MEMORY)
        r = mgw_err_prefix(MGW_ERR_ROOTS_BACKUP, "the backup does not verify, nothing was removed");
    return r;
}

static int remove_all(mgw_store_t *s, const size_t *idx, size_t n, const char *backup,
                      const reporter *rp)
{
    for (size_t i = 0; i < n; i++) {
        const mgw_store_item *it = &s->list.items[idx[i]];
        if (mgw_store_remove(s, idx[i]) == MGW_OK) {
            report(rp, MGW_ROOTS_REMOVED, it, NULL, NULL);
            continue;
        }
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", mgw_last_error());
        report(rp, MGW_ROOTS_FAILED, it, NULL, detail);
        for (size_t k = i + 1; k < n; k++)
            report(rp, MGW_ROOTS_NOT_REMOVED, &s->list.items[idx[k]], NULL, NULL);
        return mgw_err(MGW_ERR_ROOTS_INCOMPLETE,
                       "prune stopped: removed %zu of %zu certificates, %zu not removed (all %zu "
                       "are in the backup %s); removing %s failed: %s",
                       i, n, n - i, n, backup, it->origin, detail);
    }
    return MGW_OK;
}

MGW_API int mgw_roots_prune(mgw_store_t *s, const mgw_rootplan_t *plan, const char *backup_path,
                            unsigned flags, mgw_roots_event_cb cb, void *ctx)
{
    if (s == NULL || plan == NULL || backup_path == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_roots_prune: NULL argument");
    if (flags & ~MGW_FILE_FORCE)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_roots_prune: unknown flags 0x%x", flags);
    if (plan->store != s || plan->generation != s->generation)
        return mgw_err(MGW_ERR_STORE_CHANGED,
                       "the plan is not for this store as it is now; plan again");
    size_t n = plan->counts[MGW_ROOT_REMOVE], k = 0;
    if (n == 0) {
        mgw_err_clear();
        return MGW_OK;
    }
    size_t *idx = malloc(n * sizeof(*idx));
    if (idx == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < plan->n; i++)
        if (plan->rows[i].action == MGW_ROOT_REMOVE)
            idx[k++] = plan->rows[i].item;
    reporter rp = {cb, ctx};
    bool existed = mgw_path_exists(backup_path);
    int r = write_backup(s, idx, n, backup_path, flags);
    bool written = r == MGW_OK;
    if (r == MGW_OK)
        r = mgw_store_fault_point(s, "backup-written", 0);
    if (r == MGW_OK)
        r = verify_backup(s, idx, n, backup_path);
    /* nothing was removed: a backup this call made and could not verify goes */
    if (r != MGW_OK && written && !existed)
        mgw_file_discard(backup_path);
    if (r == MGW_OK)
        r = remove_all(s, idx, n, backup_path, &rp);
    mgw_store_compact(s);
    free(idx);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

/* ---- restore ------------------------------------------------------------------- */

/* selected[i]: backup certificate i is to be restored (the first copy of
 * each certificate, and with `only`, one of those named). */
static int select_certs(const mgw_store_listing *back, const char *const *only, size_t n_only,
                        const char *path, bool *selected)
{
    mgw_thumbset by1, by256;
    mgw_thumbset_init(&by1);
    mgw_thumbset_init(&by256);
    bool want256 = false;
    mgw_thumb *named = calloc(n_only > 0 ? n_only : 1, sizeof(*named));
    int r = named == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    for (size_t i = 0; i < n_only && r == MGW_OK; i++) {
        r = mgw_thumb_parse(only[i], strlen(only[i]), &named[i]);
        want256 = want256 || named[i].len == 32;
    }
    for (size_t i = 0; i < back->n && r == MGW_OK; i++) {
        mgw_thumb t;
        mgw_thumb_sha1(&t, back->items[i].sha1);
        r = mgw_thumbset_add(&by1, &t, i);
        if (r == MGW_OK && want256) {
            t.len = 32;
            mgw_sha256(back->items[i].der, back->items[i].der_len, t.d);
            r = mgw_thumbset_add(&by256, &t, i);
        }
    }
    mgw_thumbset_sort(&by1);
    mgw_thumbset_sort(&by256);
    for (size_t i = 0; i < n_only && r == MGW_OK; i++) {
        const mgw_thumbref *f = mgw_thumbset_find(named[i].len == 20 ? &by1 : &by256, &named[i]);
        char hex[65];
        mgw_thumb_hex(&named[i], hex);
        if (f == NULL)
            r = mgw_err(MGW_ERR_NOT_FOUND, "%s is not in the backup %s", hex, path);
        else
            selected[f->index] = true;
    }
    for (size_t i = 0; i < back->n && r == MGW_OK; i++) {
        mgw_thumb t;
        mgw_thumb_sha1(&t, back->items[i].sha1);
        bool first = mgw_thumbset_find(&by1, &t)->index == i;
        selected[i] = first && (n_only == 0 || selected[i]);
    }
    free(named);
    mgw_thumbset_free(&by1);
    mgw_thumbset_free(&by256);
    return r;
}

/* The file name of a backup's "# from: LOCATION/NAME", NULL without one. */
static const char *base_name(const char *from)
{
    const char *slash = from != NULL ? strrchr(from, '/') : NULL;
    return slash != NULL && slash[1] != '\0' ? slash + 1 : NULL;
}

static int add_selected(mgw_store_t *s, const mgw_store_listing *back, const bool *selected,
                        const mgw_thumbset *present, const reporter *rp)
{
    size_t added = 0;
    for (size_t i = 0; i < back->n; i++) {
        const mgw_store_item *it = &back->items[i];
        mgw_thumb t;
        mgw_thumb_sha1(&t, it->sha1);
        const mgw_thumbref *have = selected[i] ? mgw_thumbset_find(present, &t) : NULL;
        size_t at;
        bool renamed = false;
        if (!selected[i])
            continue;
        if (have != NULL) {
            report(rp, MGW_ROOTS_PRESENT, it, s->list.items[have->index].origin, NULL);
        } else if (mgw_store_add_named(s, it->der, it->der_len, it->sha1, base_name(it->origin),
                                       it->pem, &at, &renamed) == MGW_OK) {
            char note[600];
            const char *name = base_name(it->origin);
            snprintf(note, sizeof(note), "%.500s holds another certificate now; written as %s",
                     name != NULL ? name : "", s->list.items[at].origin);
            report(rp, MGW_ROOTS_ADDED, it, s->list.items[at].origin,
                   renamed && name != NULL && s->ops->add_named != NULL ? note : NULL);
            added++;
        } else {
            char detail[512];
            snprintf(detail, sizeof(detail), "%s", mgw_last_error());
            report(rp, MGW_ROOTS_FAILED, it, NULL, detail);
            size_t left = 0;
            for (size_t k = i + 1; k < back->n; k++) {
                mgw_thumb_sha1(&t, back->items[k].sha1);
                if (selected[k] && mgw_thumbset_find(present, &t) == NULL) {
                    report(rp, MGW_ROOTS_NOT_ADDED, &back->items[k], NULL, NULL);
                    left++;
                }
            }
            return mgw_err(MGW_ERR_ROOTS_INCOMPLETE,
                           "restore stopped: added %zu, %zu not added; adding %s failed: %s "
                           "(restoring again skips what is present)",
                           added, left + 1, it->origin, detail);
        }
    }
    return MGW_OK;
}

MGW_API int mgw_roots_restore(mgw_store_t *s, const char *backup_path, const char *const *only,
                              size_t n_only, mgw_roots_event_cb cb, void *ctx)
{
    if (s == NULL || backup_path == NULL || (only == NULL && n_only > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_roots_restore: NULL argument");
    for (size_t i = 0; i < n_only; i++)
        if (only[i] == NULL)
            return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_roots_restore: NULL thumbprint");
    mgw_store_listing back;
    memset(&back, 0, sizeof(back));
    mgw_thumbset present;
    mgw_thumbset_init(&present);
    bool *selected = NULL;
    reporter rp = {cb, ctx};
    int r = mgw_backup_load(backup_path, &back);
    if (r == MGW_OK && (selected = calloc(back.n, sizeof(*selected))) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK)
        r = select_certs(&back, only, n_only, backup_path, selected);
    for (size_t i = 0; i < s->list.n && r == MGW_OK; i++) {
        mgw_thumb t;
        mgw_thumb_sha1(&t, s->list.items[i].sha1);
        r = mgw_thumbset_add(&present, &t, i);
    }
    mgw_thumbset_sort(&present);
    if (r == MGW_OK)
        r = add_selected(s, &back, selected, &present, &rp);
    mgw_store_compact(s);
    free(selected);
    mgw_thumbset_free(&present);
    mgw_store_listing_free(&back);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
