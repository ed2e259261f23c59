/* The pure planner (keep / protected / remove) and the plan object. */
#include "roots/roots.h"
#include "cert/cert.h"
#include "crypto/digest.h"

#include <stdlib.h>
#include <string.h>

static void plan_destroy(mgw_rootplan_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->rows[i].subject);
        free(p->rows[i].origin);
    }
    for (size_t i = 0; i < p->n_skipped; i++) {
        free(p->skipped[i].name);
        free(p->skipped[i].reason);
    }
    free(p->rows);
    free(p->missing);
    free(p->skipped);
    free(p->location);
    free(p);
}

MGW_API void mgw_rootplan_free(mgw_rootplan_t **p)
{
    if (p == NULL)
        return;
    plan_destroy(*p);
    *p = NULL;
}

/* The lookup sets of a plan: keep-list by SHA-1 and by SHA-256, protected
 * roots, and the protected roots the caller allows to be removed. */
typedef struct {
    mgw_thumbset keep1, keep256, prot, allow;
} plan_sets;

static void sets_free(plan_sets *s)
{
    mgw_thumbset_free(&s->keep1);
    mgw_thumbset_free(&s->keep256);
    mgw_thumbset_free(&s->prot);
    mgw_thumbset_free(&s->allow);
}

static int sets_build(plan_sets *s, const mgw_rootopts_t *o, const mgw_protected_root *prot,
                      size_t n_prot)
{
    int r = MGW_OK;
    for (size_t i = 0; i < o->n_keep && r == MGW_OK; i++)
        r = mgw_thumbset_add(o->keep[i].len == 20 ? &s->keep1 : &s->keep256, &o->keep[i], i);
    for (size_t i = 0; i < o->n_allow && r == MGW_OK; i++)
        r = mgw_thumbset_add(&s->allow, &o->allow[i], i);
    for (size_t i = 0; i < n_prot && r == MGW_OK; i++) {
        mgw_thumb t;
        r = mgw_thumb_parse(prot[i].sha1, strlen(prot[i].sha1), &t);
        if (r == MGW_OK)
            r = mgw_thumbset_add(&s->prot, &t, i);
    }
    mgw_thumbset_sort(&s->keep1);
    mgw_thumbset_sort(&s->keep256);
    mgw_thumbset_sort(&s->prot);
    mgw_thumbset_sort(&s->allow);
    return r;
}

/* Classify one item; marks the keep-list entry it matched in `found`. */
static int classify(const mgw_store_item *it, const plan_sets *s, bool remove_protected,
                    bool *found, mgw_plan_row *row)
{
    mgw_thumb t;
    mgw_thumb_sha1(&t, it->sha1);
    const mgw_thumbref *k = mgw_thumbset_find(&s->keep1, &t);
    if (k == NULL && s->keep256.n > 0) {
        mgw_thumb t256;
        memset(&t256, 0, sizeof(t256));
        t256.len = 32;
        mgw_sha256(it->der, it->der_len, t256.d);
        k = mgw_thumbset_find(&s->keep256, &t256);
    }
    const mgw_thumbref *p = mgw_thumbset_find(&s->prot, &t);
    row->prot = p != NULL ? (int)p->index : -1;
    row->physical = it->physical;
    if (k != NULL) {
        found[k->index] = true;
        row->action = MGW_ROOT_KEEP;
    } else if ((it->physical & MGW_PHYSICAL_POLICY) != 0) {
        /* Group Policy or the enterprise store would put it back. */
        row->action = MGW_ROOT_POLICY;
    } else if (p != NULL && !remove_protected && mgw_thumbset_find(&s->allow, &t) == NULL) {
        row->action = MGW_ROOT_PROTECTED;
    } else {
        row->action = MGW_ROOT_REMOVE;
    }
    return MGW_OK;
}

/* Keep-list entries (first occurrences, in the order given) nobody matched. */
static int collect_missing(mgw_rootplan_t *p, const mgw_rootopts_t *o, const plan_sets *s,
                           const bool *found)
{
    p->missing = calloc(o->n_keep, sizeof(*p->missing));
    if (p->missing == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < o->n_keep; i++) {
        const mgw_thumbref *k =
            mgw_thumbset_find(o->keep[i].len == 20 ? &s->keep1 : &s->keep256, &o->keep[i]);
        if (k != NULL && k->index == i && !found[i])
            p->missing[p->n_missing++] = o->keep[i];
    }
    return MGW_OK;
}

static int refuse_missing(const mgw_rootplan_t *p)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    for (size_t i = 0; i < p->n_missing && i < 3; i++) {
        char hex[65];
        mgw_thumb_hex(&p->missing[i], hex);
        mgw_dbuf_printf(&b, "%s%s", i > 0 ? ", " : "", hex);
    }
    if (p->n_missing > 3)
        mgw_dbuf_printf(&b, " and %zu more", p->n_missing - 3);
    mgw_dbuf_putc(&b, '\0');
    int r =
        mgw_err(MGW_ERR_ROOTS_KEEP_MISSING,
                "%zu keep-list thumbprint%s not in the store: %s (a typo would remove the "
                "certificate it meant to keep)",
                p->n_missing, p->n_missing == 1 ? " is" : "s are", b.oom ? "" : (const char *)b.p);
    mgw_dbuf_free(&b);
    return r;
}

int mgw_rootplan_build(const mgw_store_item *items, size_t n, const mgw_rootopts_t *opts,
                       const mgw_protected_root *prot, size_t n_prot, mgw_rootplan_t **out)
{
    if (opts->n_keep == 0)
        return mgw_err(MGW_ERR_ROOTS_KEEP_EMPTY,
                       "the keep-list is empty: the plan would remove every certificate");
    plan_sets sets;
    memset(&sets, 0, sizeof(sets));
    mgw_rootplan_t *p = calloc(1, sizeof(*p));
    bool *found = calloc(opts->n_keep, sizeof(*found));
    int r = p == NULL || found == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    if (r == MGW_OK && n > 0 && (p->rows = calloc(n, sizeof(*p->rows))) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK)
        r = sets_build(&sets, opts, prot, n_prot);
    for (size_t i = 0; i < n && r == MGW_OK; i++, p->n++) {
        mgw_plan_row *row = &p->rows[i];
        row->item = i;
        memcpy(row->sha1, items[i].sha1, 20);
        row->subject = mgw_strdup(items[i].subject);
        row->origin = mgw_strdup(items[i].origin);
        if (row->subject == NULL || row->origin == NULL)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        else
            r = classify(&items[i], &sets, opts->remove_protected, found, row);
        if (r == MGW_OK)
            p->counts[row->action]++;
    }
    if (r == MGW_OK)
        r = collect_missing(p, opts, &sets, found);
    if (r == MGW_OK && p->n_missing > 0 && !opts->allow_missing)
        r = refuse_missing(p);
    if (r == MGW_OK &&
        p->counts[MGW_ROOT_KEEP] + p->counts[MGW_ROOT_PROTECTED] + p->counts[MGW_ROOT_POLICY] == 0)
        r = mgw_err(MGW_ERR_ROOTS_KEEPS_NOTHING,
                    "the plan keeps no certificate: it would empty the store (%zu certificates)",
                    n);
    sets_free(&sets);
    free(found);
    if (r != MGW_OK) {
        plan_destroy(p);
        return r;
    }
    p->prot = prot;
    *out = p;
    return MGW_OK;
}

static int copy_skipped(mgw_rootplan_t *p, const mgw_store_listing *l)
{
    if (l->n_skipped == 0)
        return MGW_OK;
    p->skipped = calloc(l->n_skipped, sizeof(*p->skipped));
    if (p->skipped == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < l->n_skipped; i++, p->n_skipped++) {
        p->skipped[i].name = mgw_strdup(l->skipped[i].name);
        p->skipped[i].reason = mgw_strdup(l->skipped[i].reason);
        if (p->skipped[i].name == NULL || p->skipped[i].reason == NULL) {
            p->n_skipped++;
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    return MGW_OK;
}

MGW_API int mgw_rootplan_compute(const mgw_store_t *store, const mgw_rootopts_t *opts,
                                 mgw_rootplan_t **out)
{
    if (store == NULL || opts == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_rootplan_compute: NULL argument");
    size_t n_prot;
    const mgw_protected_root *prot = mgw_protected_roots(&n_prot);
    mgw_rootplan_t *p = NULL;
    int r = mgw_rootplan_build(store->list.items, store->list.n, opts, prot, n_prot, &p);
    if (r != MGW_OK)
        return r;
    p->store = store;
    p->generation = store->generation;
    p->kind = store->ops->kind;
    p->location = mgw_strdup(store->location);
    r = p->location == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : copy_skipped(p, &store->list);
    if (r != MGW_OK) {
        plan_destroy(p);
        return r;
    }
    *out = p;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API size_t mgw_rootplan_count(const mgw_rootplan_t *p, int action)
{
    if (p == NULL)
        return 0;
    if (action == 0)
        return p->n;
    return action >= MGW_ROOT_KEEP && action <= MGW_ROOT_POLICY ? p->counts[action] : 0;
}

MGW_API int mgw_rootplan_entry(const mgw_rootplan_t *p, size_t index, int *action,
                               char **thumbprint, char **subject)
{
    if (p == NULL || action == NULL || index >= p->n)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_rootplan_entry: NULL argument or index out of range");
    char hex[41];
    mgw_hex_upper(p->rows[index].sha1, 20, hex);
    int r = mgw_out_strings(hex, thumbprint, p->rows[index].subject, subject, "", NULL);
    if (r == MGW_OK)
        *action = p->rows[index].action;
    return r;
}

MGW_API int mgw_rootplan_entry_physical(const mgw_rootplan_t *p, size_t index, char **names)
{
    if (p == NULL || names == NULL || index >= p->n)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_rootplan_entry_physical: NULL argument or index out of range");
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_physical_names(p->rows[index].physical, &b);
    mgw_dbuf_putc(&b, '\0');
    int r = b.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL)
                  : mgw_out_strings((const char *)b.p, names, "", NULL, "", NULL);
    mgw_dbuf_free(&b);
    return r;
}

MGW_API size_t mgw_rootplan_missing_count(const mgw_rootplan_t *p)
{
    return p == NULL ? 0 : p->n_missing;
}

MGW_API int mgw_rootplan_missing(const mgw_rootplan_t *p, size_t index, char **thumbprint)
{
    if (p == NULL || thumbprint == NULL || index >= p->n_missing)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_rootplan_missing: NULL argument or index out of range");
    char hex[65];
    mgw_thumb_hex(&p->missing[index], hex);
    return mgw_out_strings(hex, thumbprint, "", NULL, "", NULL);
}

/* ---- descriptions ------------------------------------------------------------------ */

static const char *action_name(int a)
{
    return a == MGW_ROOT_KEEP        ? "keep"
           : a == MGW_ROOT_PROTECTED ? "protected"
           : a == MGW_ROOT_POLICY    ? "policy"
                                     : "remove";
}

/* The order entries are described in: kept, then policy, then removed. */
static const int describe_order[] = {MGW_ROOT_KEEP, MGW_ROOT_PROTECTED, MGW_ROOT_POLICY,
                                     MGW_ROOT_REMOVE};

static void describe_text(const mgw_rootplan_t *p, mgw_dbuf *b)
{
    mgw_dbuf_printf(b, "store: %s (%s): %zu certificate%s, %zu other entr%s\n", p->location,
                    p->kind, p->n, p->n == 1 ? "" : "s", p->n_skipped,
                    p->n_skipped == 1 ? "y" : "ies");
    mgw_dbuf_printf(b, "plan: keep %zu, protected %zu, remove %zu, policy %zu\n",
                    p->counts[MGW_ROOT_KEEP], p->counts[MGW_ROOT_PROTECTED],
                    p->counts[MGW_ROOT_REMOVE], p->counts[MGW_ROOT_POLICY]);
    for (size_t o = 0; o < sizeof(describe_order) / sizeof(describe_order[0]); o++) {
        int a = describe_order[o];
        for (size_t i = 0; i < p->n; i++) {
            const mgw_plan_row *row = &p->rows[i];
            if (row->action != a)
                continue;
            char hex[41];
            mgw_hex_upper(row->sha1, 20, hex);
            mgw_dbuf_printf(b, "%-10s %s  %s  [%s]", action_name(a), hex, row->subject,
                            row->origin);
            if (row->physical != 0 && row->physical != MGW_PHYSICAL_DEFAULT) {
                mgw_dbuf_puts(b, "  in ");
                mgw_physical_names(row->physical, b);
            }
            if (a == MGW_ROOT_POLICY)
                mgw_dbuf_puts(b, "  (put there by Group Policy or the enterprise store: not "
                                 "removed, policy puts it back)");
            if (row->prot >= 0 && a == MGW_ROOT_PROTECTED)
                mgw_dbuf_printf(b, "  (Windows needs it: %s)", p->prot[row->prot].name);
            else if (row->prot >= 0 && a == MGW_ROOT_REMOVE)
                mgw_dbuf_printf(b, "  (protected root %s, removal allowed)",
                                p->prot[row->prot].name);
            mgw_dbuf_putc(b, '\n');
        }
    }
    for (size_t i = 0; i < p->n_skipped; i++)
        mgw_dbuf_printf(b, "%-10s %s: %s\n", "other", p->skipped[i].name, p->skipped[i].reason);
    for (size_t i = 0; i < p->n_missing; i++) {
        char hex[65];
        mgw_thumb_hex(&p->missing[i], hex);
        mgw_dbuf_printf(b, "%-10s %s  on the keep-list, not in the store\n", "missing", hex);
    }
}

static void json_pair(mgw_dbuf *b, const char *key, const char *value, bool comma)
{
    mgw_json_string(b, key, strlen(key));
    mgw_dbuf_putc(b, ':');
    mgw_json_string(b, value, strlen(value));
    if (comma)
        mgw_dbuf_putc(b, ',');
}

static void describe_json(const mgw_rootplan_t *p, mgw_dbuf *b)
{
    mgw_dbuf_putc(b, '{');
    json_pair(b, "store", p->location, true);
    json_pair(b, "kind", p->kind, true);
    mgw_dbuf_printf(b,
                    "\"counts\":{\"keep\":%zu,\"protected\":%zu,\"remove\":%zu,"
                    "\"other\":%zu,\"missing\":%zu,\"policy\":%zu},\"entries\":[",
                    p->counts[MGW_ROOT_KEEP], p->counts[MGW_ROOT_PROTECTED],
                    p->counts[MGW_ROOT_REMOVE], p->n_skipped, p->n_missing,
                    p->counts[MGW_ROOT_POLICY]);
    for (size_t i = 0; i < p->n; i++) {
        const mgw_plan_row *row = &p->rows[i];
        char hex[41];
        mgw_hex_upper(row->sha1, 20, hex);
        mgw_dbuf_puts(b, i > 0 ? ",{" : "{");
        json_pair(b, "action", action_name(row->action), true);
        json_pair(b, "sha1", hex, true);
        json_pair(b, "subject", row->subject, true);
        json_pair(b, "origin", row->origin, false);
        if (row->physical != 0) {
            mgw_dbuf_puts(b, ",\"physical\":\"");
            mgw_physical_names(row->physical, b);
            mgw_dbuf_putc(b, '"');
        }
        if (row->action == MGW_ROOT_POLICY)
            mgw_dbuf_puts(b, ",\"reason\":\"put there by Group Policy or the enterprise store: "
                             "policy puts it back\"");
        if (row->prot >= 0) {
            mgw_dbuf_putc(b, ',');
            json_pair(b, "protected", p->prot[row->prot].name, false);
        }
        mgw_dbuf_putc(b, '}');
    }
    mgw_dbuf_puts(b, "],\"other\":[");
    for (size_t i = 0; i < p->n_skipped; i++) {
        mgw_dbuf_puts(b, i > 0 ? ",{" : "{");
        json_pair(b, "name", p->skipped[i].name, true);
        json_pair(b, "reason", p->skipped[i].reason, false);
        mgw_dbuf_putc(b, '}');
    }
    mgw_dbuf_puts(b, "],\"missing\":[");
    for (size_t i = 0; i < p->n_missing; i++) {
        char hex[65];
        mgw_thumb_hex(&p->missing[i], hex);
        if (i > 0)
            mgw_dbuf_putc(b, ',');
        mgw_json_string(b, hex, strlen(hex));
    }
    mgw_dbuf_puts(b, "]}\n");
}

MGW_API int mgw_rootplan_describe(const mgw_rootplan_t *p, int style, char **out)
{
    if (p == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_rootplan_describe: NULL argument");
    if (style != MGW_DESCRIBE_TEXT && style != MGW_DESCRIBE_JSON)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown description style %d", style);
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    if (style == MGW_DESCRIBE_TEXT)
        describe_text(p, &b);
    else
        describe_json(p, &b);
    int r = mgw_dbuf_detach_str(&b, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
