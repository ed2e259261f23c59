/* What a plan hands out: its .reg files, its table, its counts and warnings. */
#include "registry/plan.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The section for `path` (with the deletion flag `deleted`), added if new. */
static mgw_regkey *section(mgw_regdoc *d, const char *path, bool deleted)
{
    for (size_t i = 0; i < d->n_keys; i++)
        if (d->keys[i].deleted == deleted && mgw_regname_eq(d->keys[i].path, path))
            return &d->keys[i];
    return mgw_regdoc_append(d, path, deleted);
}

static int put_data(mgw_regdoc *d, const mgw_regitem *it, const mgw_regdata *v)
{
    mgw_regkey *k = section(d, it->key, false);
    if (k == NULL)
        return MGW_ERR_NO_MEMORY;
    return mgw_regkey_put(k, it->name, v->type, v->data, v->len, !v->present);
}

static int security_doc(const mgw_regplan_t *p, mgw_regdoc *d)
{
    int r = MGW_OK;
    for (size_t i = 0; i < p->n_items && r == MGW_OK; i++)
        if (p->items[i].action == MGW_REGACT_SET)
            r = put_data(d, &p->items[i], &p->items[i].after);
    return r;
}

/* Keys the plan creates are deleted; values it changes get their old content
 * back, or are deleted when they did not exist. */
static int rollback_doc(const mgw_regplan_t *p, mgw_regdoc *d)
{
    int r = MGW_OK;
    for (size_t i = 0; i < p->n_items && r == MGW_OK; i++) {
        const mgw_regitem *it = &p->items[i];
        if (it->action != MGW_REGACT_SET)
            continue;
        if (!it->key_existed)
            r = section(d, it->key, true) != NULL ? MGW_OK : MGW_ERR_NO_MEMORY;
        else
            r = put_data(d, it, &it->before);
    }
    return r;
}

MGW_API int mgw_regplan_reg_file(const mgw_regplan_t *p, int which, uint8_t **out, size_t *out_len)
{
    if (p == NULL || out == NULL || out_len == NULL ||
        (which != MGW_REGPLAN_SECURITY && which != MGW_REGPLAN_ROLLBACK &&
         which != MGW_REGPLAN_BACKUP))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regplan_reg_file: invalid argument");
    if (which == MGW_REGPLAN_BACKUP && !p->has_backup)
        return mgw_err(MGW_ERR_NOT_AVAILABLE, "a plan read from a plan file has no backup; "
                                              "the plan's backup.reg holds it");
    mgw_regdoc tmp;
    mgw_regdoc_init(&tmp);
    const mgw_regdoc *d = &tmp;
    int r = MGW_OK;
    if (which == MGW_REGPLAN_SECURITY)
        r = security_doc(p, &tmp);
    else if (which == MGW_REGPLAN_ROLLBACK)
        r = rollback_doc(p, &tmp);
    else
        d = &p->backup;
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    if (r == MGW_OK)
        r = mgw_regdoc_write(d, &b);
    if (r == MGW_OK)
        r = mgw_dbuf_detach(&b, out, out_len);
    mgw_dbuf_free(&b);
    mgw_regdoc_free(&tmp);
    if (r != MGW_OK)
        return r == MGW_ERR_REG_SYNTAX ? r : mgw_err(r, NULL); /* the writer said why */
    mgw_err_clear();
    return MGW_OK;
}

/* ---- the table ---------------------------------------------------------------- */

#define CELL_MAX 36

static const char *action_name(int action)
{
    return action == MGW_REGACT_SET ? "set" : action == MGW_REGACT_KEEP ? "keep" : "check";
}

/* A value as a table cell: at most CELL_MAX characters. Out of memory marks
 * `table`, so that the table is not handed out with an empty cell. */
static void cell(const mgw_regdata *v, char *buf, size_t bufsz, mgw_dbuf *table)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    if (!v->present)
        mgw_dbuf_puts(&b, "(absent)");
    else
        mgw_regval_format(v->type, v->data, v->len, &b);
    if (b.len > CELL_MAX) {
        b.len = CELL_MAX - 3;
        while (b.len > 0 && (b.p[b.len] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
            b.len--;
        mgw_dbuf_puts(&b, "...");
    }
    snprintf(buf, bufsz, "%.*s", (int)b.len, b.p != NULL ? (const char *)b.p : "");
    if (b.oom)
        table->oom = true;
    mgw_dbuf_free(&b);
}

static void describe_text(const mgw_regplan_t *p, mgw_dbuf *b)
{
    char fp[72] = "sha256:";
    mgw_hex_upper(p->fingerprint, 32, fp + 7);
    mgw_dbuf_printf(b, "Registry plan for binding %s (before-state %s)\n\n", p->binding, fp);
    /* Two passes over the rows: column widths first, then the lines. */
    int w[3] = {5, 7, 7}; /* VALUE, CURRENT, DESIRED */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            mgw_dbuf_printf(b, "%-*s  %-*s  %-*s  %-6s  %s\n", w[0], "VALUE", w[1], "CURRENT", w[2],
                            "DESIRED", "ACTION", "MEANING");
        for (size_t i = 0; i < p->n_items; i++) {
            const mgw_regitem *it = &p->items[i];
            char cur[CELL_MAX * 2], want[CELL_MAX * 2];
            if (it->action == MGW_REGACT_CHECK)
                continue;
            cell(&it->before, cur, sizeof(cur), b);
            cell(&it->after, want, sizeof(want), b);
            int len[3] = {(int)strlen(it->label), (int)strlen(cur), (int)strlen(want)};
            for (int k = 0; k < 3; k++)
                w[k] = len[k] > w[k] ? len[k] : w[k];
            if (pass == 1)
                mgw_dbuf_printf(b, "%-*s  %-*s  %-*s  %-6s  %s\n", w[0], it->label, w[1], cur, w[2],
                                want, action_name(it->action), it->meaning);
        }
    }
    mgw_dbuf_puts(b, "\nKeys:\n");
    for (size_t i = 0; i < p->n_items; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = mgw_regname_eq(p->items[j].key, p->items[i].key);
        if (!seen)
            mgw_dbuf_printf(b, "  %s%s\n", p->items[i].key,
                            p->items[i].key_existed ? "" : " (does not exist yet)");
    }
    for (size_t i = 0; i < p->n_warnings; i++)
        mgw_dbuf_printf(b, "%swarning: %s\n", i == 0 ? "\n" : "", p->warnings[i]);
    size_t n = mgw_regplan_change_count(p);
    if (n == 0)
        mgw_dbuf_puts(b, "\nNothing to change: the registry already has the desired values.\n");
    else
        mgw_dbuf_printf(b, "\n%zu value%s to change.\n", n, n == 1 ? "" : "s");
}

static int plan_text(const void *obj, mgw_dbuf *b)
{
    describe_text(obj, b);
    return MGW_OK;
}

static int plan_json(const void *obj, mgw_dbuf *b)
{
    return mgw_regplan_to_json(obj, b);
}

MGW_API int mgw_regplan_describe(const mgw_regplan_t *p, int style, char **out)
{
    return mgw_describe("mgw_regplan_describe", p, style, plan_text, plan_json, out);
}
