/* IIS plan files: plan.json names the desired file and the backup by their
 * SHA-256 and carries every setting's before and after value; loading checks
 * the files and the fingerprint. */
#include "iis/iis.h"

#include "cert/cert.h" /* mgw_json_string */
#include "crypto/digest.h"
#include "registry/plan.h" /* the JSON reader */

#include <stdlib.h>
#include <string.h>

#define PLAN_FORMAT "mgwauth-iis-plan"
#define PLAN_MAX_ITEMS 1000
#define PLAN_MAX_WARNINGS 1000

static void put_str(mgw_dbuf *b, const char *s)
{
    mgw_json_string(b, s, strlen(s));
}

static void put_hash(mgw_dbuf *b, const uint8_t h[32])
{
    char hex[65];
    mgw_hex_upper(h, 32, hex);
    mgw_dbuf_printf(b, "\"sha256:%s\"", hex);
}

int mgw_iisplan_to_json(const mgw_iisplan_t *p, mgw_dbuf *b)
{
    mgw_dbuf_printf(b, "{\n  \"format\": \"%s\",\n  \"version\": 1,\n  \"site\": ", PLAN_FORMAT);
    put_str(b, p->site);
    mgw_dbuf_puts(b, ",\n  \"fingerprint\": ");
    put_hash(b, p->fingerprint);
    mgw_dbuf_printf(b,
                    ",\n  \"changes\": %zu,\n  \"desired\": {\"file\": \"applicationHost.config\", "
                    "\"size\": %zu, \"sha256\": ",
                    mgw_iisplan_change_count(p), p->desired_len);
    put_hash(b, p->desired_hash);
    mgw_dbuf_printf(b,
                    "},\n  \"backup\": {\"file\": \"backup.config\", \"size\": %zu, "
                    "\"sha256\": ",
                    p->before_len);
    put_hash(b, p->before_hash);
    mgw_dbuf_puts(b, "},\n  \"items\": [");
    for (size_t i = 0; i < p->n_items; i++) {
        const mgw_iisitem *it = &p->items[i];
        mgw_dbuf_printf(b, "%s    {\"kind\": \"%s\",\n     \"where\": ", i == 0 ? "\n" : ",\n",
                        it->kind == MGW_IISITEM_ACCESS ? "access" : "binding");
        put_str(b, it->where);
        mgw_dbuf_puts(b, ",\n     \"label\": ");
        put_str(b, it->label);
        mgw_dbuf_printf(b,
                        ",\n     \"action\": \"%s\",\n     \"present\": %s,\n"
                        "     \"before\": %lu,\n     \"after\": %lu,\n     \"before_text\": ",
                        it->action == MGW_IISACT_SET ? "set" : "keep",
                        it->present ? "true" : "false", (unsigned long)it->before,
                        (unsigned long)it->after);
        put_str(b, it->before_text);
        mgw_dbuf_puts(b, ",\n     \"after_text\": ");
        put_str(b, it->after_text);
        mgw_dbuf_puts(b, ",\n     \"meaning\": ");
        put_str(b, it->meaning);
        mgw_dbuf_puts(b, "}");
    }
    mgw_dbuf_puts(b, "\n  ],\n  \"warnings\": [");
    for (size_t i = 0; i < p->n_warnings; i++) {
        mgw_dbuf_puts(b, i == 0 ? "\n    " : ",\n    ");
        put_str(b, p->warnings[i]);
    }
    mgw_dbuf_puts(b, "\n  ]\n}\n");
    return b->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

/* ---- reading ------------------------------------------------------------------ */

static int bad(const char *what, size_t item)
{
    if (item == SIZE_MAX)
        return mgw_err(MGW_ERR_IIS_PLAN, "IIS plan file: %s", what);
    return mgw_err(MGW_ERR_IIS_PLAN, "IIS plan file: item %zu: %s", item + 1, what);
}

/* A copy of a string member; NULL when it is missing or, with *oom set, when
 * the copy could not be made. */
static char *dup_member(const mgw_json *obj, const char *name, bool *oom)
{
    const mgw_json *s = mgw_json_get(obj, name, MGW_JSON_STRING);
    char *copy = s != NULL ? mgw_strdup(s->str) : NULL;
    if (s != NULL && copy == NULL)
        *oom = true;
    return copy;
}

static bool read_hash(const mgw_json *obj, uint8_t out[32])
{
    const mgw_json *s = mgw_json_get(obj, "sha256", MGW_JSON_STRING);
    if (s == NULL || strlen(s->str) != 71 || strncmp(s->str, "sha256:", 7) != 0)
        return false;
    for (size_t k = 0; k < 32; k++) {
        int hi = mgw_hex_value((unsigned char)s->str[7 + 2 * k]);
        int lo = mgw_hex_value((unsigned char)s->str[8 + 2 * k]);
        if (hi < 0 || lo < 0)
            return false;
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool u32_member(const mgw_json *obj, const char *name, uint32_t *v)
{
    const mgw_json *n = mgw_json_get(obj, name, MGW_JSON_NUMBER);
    if (n == NULL || n->num < 0 || n->num > 0xFFFFFFFFLL)
        return false;
    *v = (uint32_t)n->num;
    return true;
}

static int read_item(const mgw_json *j, size_t i, mgw_iisitem *it)
{
    const mgw_json *kind = mgw_json_get(j, "kind", MGW_JSON_STRING);
    const mgw_json *action = mgw_json_get(j, "action", MGW_JSON_STRING);
    const mgw_json *present = mgw_json_get(j, "present", MGW_JSON_BOOL);
    bool oom = false;
    it->where = dup_member(j, "where", &oom);
    it->label = dup_member(j, "label", &oom);
    it->meaning = dup_member(j, "meaning", &oom);
    it->before_text = dup_member(j, "before_text", &oom);
    it->after_text = dup_member(j, "after_text", &oom);
    if (oom)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (kind == NULL || action == NULL || present == NULL || it->where == NULL ||
        it->label == NULL || it->meaning == NULL || it->before_text == NULL ||
        it->after_text == NULL || !u32_member(j, "before", &it->before) ||
        !u32_member(j, "after", &it->after))
        return bad("needs kind, where, label, action, present, before, after, before_text, "
                   "after_text and meaning",
                   i);
    it->present = present->num != 0;
    if (strcmp(kind->str, "access") == 0)
        it->kind = MGW_IISITEM_ACCESS;
    else if (strcmp(kind->str, "binding") == 0)
        it->kind = MGW_IISITEM_BINDING;
    else
        return bad("kind must be access or binding", i);
    if (strcmp(action->str, "set") == 0)
        it->action = MGW_IISACT_SET;
    else if (strcmp(action->str, "keep") == 0)
        it->action = MGW_IISACT_KEEP;
    else
        return bad("action must be set or keep", i);
    if ((it->action == MGW_IISACT_SET) == (it->before == it->after) ||
        (!it->present && it->before != 0))
        return bad("its action does not fit its before and after", i);
    return MGW_OK;
}

static int read_lists(const mgw_json *root, mgw_iisplan_t *p)
{
    const mgw_json *items = mgw_json_get(root, "items", MGW_JSON_ARRAY);
    const mgw_json *warnings = mgw_json_get(root, "warnings", MGW_JSON_ARRAY);
    if (items == NULL || warnings == NULL || items->n > PLAN_MAX_ITEMS ||
        warnings->n > PLAN_MAX_WARNINGS)
        return bad("needs an items list (at most 1000) and a warnings list (at most 1000)",
                   SIZE_MAX);
    p->items = calloc(items->n + 1, sizeof(*p->items));
    if (p->items == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = MGW_OK;
    for (size_t i = 0; i < items->n && r == MGW_OK; i++) {
        p->n_items++;
        r = items->items[i].type == MGW_JSON_OBJECT ? read_item(&items->items[i], i, &p->items[i])
                                                    : bad("not an object", i);
    }
    for (size_t i = 0; i < warnings->n && r == MGW_OK; i++) {
        if (warnings->items[i].type != MGW_JSON_STRING)
            r = bad("warnings must be strings", SIZE_MAX);
        else if (mgw_iisplan_add_warning(p, "%s", warnings->items[i].str) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    return r;
}

int mgw_iisplan_from_json(const uint8_t *text, size_t n, mgw_iisplan_t *p)
{
    mgw_json root;
    int r = mgw_json_parse(text, n, &root);
    if (r == MGW_ERR_NO_MEMORY)
        return mgw_err(r, NULL);
    if (r != MGW_OK)
        return mgw_err_prefix(MGW_ERR_IIS_PLAN, "IIS plan file");
    const mgw_json *format = mgw_json_get(&root, "format", MGW_JSON_STRING);
    const mgw_json *version = mgw_json_get(&root, "version", MGW_JSON_NUMBER);
    const mgw_json *fp = mgw_json_get(&root, "fingerprint", MGW_JSON_STRING);
    const mgw_json *desired = mgw_json_get(&root, "desired", MGW_JSON_OBJECT);
    const mgw_json *backup = mgw_json_get(&root, "backup", MGW_JSON_OBJECT);
    bool oom = false;
    if (format == NULL || strcmp(format->str, PLAN_FORMAT) != 0)
        r = bad("not an IIS plan (format " PLAN_FORMAT ")", SIZE_MAX);
    else if (version == NULL || version->num != 1)
        r = bad("unsupported version (this library reads version 1)", SIZE_MAX);
    else if ((p->site = dup_member(&root, "site", &oom)) == NULL || fp == NULL)
        r = oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : bad("needs site and fingerprint", SIZE_MAX);
    else if (!read_hash(desired, p->desired_hash) || !read_hash(backup, p->before_hash))
        r = bad("needs desired and backup, each with its sha256", SIZE_MAX);
    if (r == MGW_OK)
        r = read_lists(&root, p);
    if (r == MGW_OK)
        r = mgw_iisplan_hash(p, p->fingerprint);
    char want[72] = "sha256:";
    mgw_hex_upper(p->fingerprint, 32, want + 7);
    if (r == MGW_OK && strcmp(fp->str, want) != 0)
        r = bad("the fingerprint does not match what the plan reads and writes (the file was "
                "changed after planning): plan again",
                SIZE_MAX);
    mgw_json_free(&root);
    return r;
}

static int check_file(const char *what, const uint8_t *data, size_t len, const uint8_t want[32],
                      uint8_t **copy, size_t *copy_len)
{
    uint8_t h[32];
    mgw_sha256(data, len, h);
    if (memcmp(h, want, 32) != 0)
        return mgw_err(MGW_ERR_IIS_PLAN,
                       "IIS plan: %s is not the file the plan names (SHA-256 differs): it was "
                       "changed after planning; plan again",
                       what);
    if ((*copy = malloc(len + 1)) == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    memcpy(*copy, data, len);
    *copy_len = len;
    return MGW_OK;
}

/* The files must hold the values the items say (the fingerprint alone can
 * be recomputed by anyone who edits the plan). */
static int check_items(const mgw_iisplan_t *p, const uint8_t *data, size_t len, bool wanted,
                       const char *what)
{
    mgw_iisconfig_t *c = NULL;
    int r = mgw_iisconfig_parse(data, len, &c);
    if (r != MGW_OK) {
        if (r != MGW_ERR_NO_MEMORY)
            r = mgw_err_prefix(MGW_ERR_IIS_PLAN, what);
    } else if (mgw_iisplan_first_difference(p, c, wanted, NULL, NULL) != SIZE_MAX)
        r = mgw_err(MGW_ERR_IIS_PLAN, "IIS plan: %s does not hold the values the plan lists", what);
    mgw_iisconfig_free(&c);
    return r;
}

static bool same_text(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* The plan's desired file must be exactly what planning its backup gives,
 * with the options the plan records (its site, its bindings, and TLS 1.3
 * off when every binding ends with DisableTLS13): hashes and a fingerprint
 * can be recomputed by anyone who edits the files, the planner's own output
 * cannot be forged. */
static int replan_check(const mgw_iisplan_t *p)
{
    mgw_iisconfig_t *c = NULL;
    mgw_iisopts_t *o = mgw_iisopts_new();
    mgw_iisplan_t *q = NULL;
    int r = o != NULL ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
    size_t bindings = 0, off = 0;
    if (r == MGW_OK)
        r = mgw_iisopts_set_site(o, p->site);
    for (size_t i = 0; r == MGW_OK && i < p->n_items; i++)
        if (p->items[i].kind == MGW_IISITEM_BINDING) {
            bindings++;
            off += (p->items[i].after & MGW_IISBINDING_DISABLE_TLS13) != 0;
            r = mgw_iisopts_add_binding(o, p->items[i].where);
        }
    if (r == MGW_OK)
        r = mgw_iisopts_set_disable_tls13(o, bindings > 0 && off == bindings);
    if (r == MGW_OK)
        r = mgw_iisconfig_parse(p->before, p->before_len, &c);
    if (r == MGW_OK)
        r = mgw_iisplan_compute(o, c, &q);
    if (r != MGW_OK && r != MGW_ERR_NO_MEMORY)
        r = mgw_err_prefix(MGW_ERR_IIS_PLAN, "IIS plan: planning backup.config again failed");
    bool same = r == MGW_OK && q->desired_len == p->desired_len &&
                memcmp(q->desired, p->desired, p->desired_len) == 0 && q->n_items == p->n_items;
    for (size_t i = 0; same && i < p->n_items; i++) {
        const mgw_iisitem *a = &p->items[i], *b = &q->items[i];
        same = a->kind == b->kind && a->action == b->action && a->present == b->present &&
               a->before == b->before && a->after == b->after && same_text(a->where, b->where) &&
               same_text(a->before_text, b->before_text) && same_text(a->after_text, b->after_text);
    }
    if (r == MGW_OK && !same)
        r = mgw_err(MGW_ERR_IIS_PLAN,
                    "IIS plan: applicationHost.config or the items of plan.json are not what "
                    "planning backup.config gives (edited after planning?); the plan is "
                    "refused: plan again");
    mgw_iisplan_free(&q);
    mgw_iisconfig_free(&c);
    mgw_iisopts_free(&o);
    return r;
}

MGW_API int mgw_iisplan_load(const uint8_t *json, size_t json_len, const uint8_t *desired,
                             size_t desired_len, const uint8_t *backup, size_t backup_len,
                             mgw_iisplan_t **out)
{
    if (json == NULL || desired == NULL || backup == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisplan_load: NULL argument");
    if (json_len > MGW_IIS_MAX_FILE || desired_len > MGW_IIS_MAX_FILE ||
        backup_len > MGW_IIS_MAX_FILE)
        return mgw_err(MGW_ERR_TOO_LARGE, "IIS plan: a file larger than %u bytes",
                       MGW_IIS_MAX_FILE);
    mgw_iisplan_t *p = mgw_iisplan_alloc();
    if (p == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = mgw_iisplan_from_json(json, json_len, p);
    if (r == MGW_OK)
        r = check_file("applicationHost.config", desired, desired_len, p->desired_hash, &p->desired,
                       &p->desired_len);
    if (r == MGW_OK)
        r = check_file("backup.config", backup, backup_len, p->before_hash, &p->before,
                       &p->before_len);
    if (r == MGW_OK)
        r = check_items(p, p->before, p->before_len, false, "backup.config");
    if (r == MGW_OK)
        r = check_items(p, p->desired, p->desired_len, true, "applicationHost.config");
    if (r == MGW_OK)
        r = replan_check(p);
    if (r != MGW_OK) {
        mgw_iisplan_free(&p);
        return mgw_err_ensure(r);
    }
    *out = p;
    mgw_err_clear();
    return MGW_OK;
}
