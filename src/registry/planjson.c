/* Plan files: a plan as JSON and back. The file carries everything apply
 * needs: each item's key, value, before- and after-state, and the
 * fingerprint of the before-state, which loading checks. */
#include "registry/plan.h"

#include "cert/cert.h" /* mgw_json_string */

#include <stdlib.h>
#include <string.h>

#define PLAN_FORMAT "mgwauth-registry-plan"
#define PLAN_MAX_ITEMS 1000
#define PLAN_MAX_WARNINGS 1000

static void put_str(mgw_dbuf *b, const char *s)
{
    mgw_json_string(b, s, strlen(s));
}

static void put_data(mgw_dbuf *b, const mgw_regdata *v)
{
    if (!v->present) {
        mgw_dbuf_puts(b, "null");
        return;
    }
    char tn[16];
    mgw_dbuf_puts(b, "{\"type\": ");
    put_str(b, mgw_regtype_name(v->type, tn));
    mgw_dbuf_printf(b, ", \"type_code\": %lu, \"data\": \"", (unsigned long)v->type);
    for (size_t i = 0; i < v->len; i++)
        mgw_dbuf_printf(b, "%02x", v->data[i]);
    mgw_dbuf_puts(b, "\", \"display\": ");
    mgw_dbuf disp;
    mgw_dbuf_init(&disp);
    if (mgw_regval_format(v->type, v->data, v->len, &disp) != MGW_OK || disp.oom)
        b->oom = true;
    mgw_json_string(b, (const char *)disp.p, disp.len);
    mgw_dbuf_free(&disp);
    mgw_dbuf_puts(b, "}");
}

static const char *action_name(int action)
{
    return action == MGW_REGACT_SET ? "set" : action == MGW_REGACT_KEEP ? "keep" : "check";
}

int mgw_regplan_to_json(const mgw_regplan_t *p, mgw_dbuf *b)
{
    char fp[72] = "sha256:";
    mgw_hex_upper(p->fingerprint, 32, fp + 7);
    mgw_dbuf_printf(b, "{\n  \"format\": \"%s\",\n  \"version\": 1,\n  \"binding\": ", PLAN_FORMAT);
    put_str(b, p->binding);
    mgw_dbuf_printf(b, ",\n  \"fingerprint\": \"%s\",\n  \"changes\": %zu,\n  \"items\": [", fp,
                    mgw_regplan_change_count(p));
    for (size_t i = 0; i < p->n_items; i++) {
        const mgw_regitem *it = &p->items[i];
        mgw_dbuf_puts(b, i == 0 ? "\n    {\"key\": " : ",\n    {\"key\": ");
        put_str(b, it->key);
        mgw_dbuf_puts(b, ",\n     \"value\": ");
        put_str(b, it->name);
        mgw_dbuf_puts(b, ",\n     \"label\": ");
        put_str(b, it->label);
        mgw_dbuf_printf(b,
                        ",\n     \"action\": \"%s\",\n     \"key_existed\": %s,\n"
                        "     \"before\": ",
                        action_name(it->action), it->key_existed ? "true" : "false");
        put_data(b, &it->before);
        mgw_dbuf_puts(b, ",\n     \"after\": ");
        put_data(b, &it->after);
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
        return mgw_err(MGW_ERR_REG_PLAN, "plan file: %s", what);
    return mgw_err(MGW_ERR_REG_PLAN, "plan file: item %zu: %s", item + 1, what);
}

static int read_data(const mgw_json *v, size_t i, mgw_regdata *d)
{
    if (v != NULL && v->type == MGW_JSON_NULL)
        return mgw_regdata_set(d, false, 0, NULL, 0);
    const mgw_json *code = mgw_json_get(v, "type_code", MGW_JSON_NUMBER);
    const mgw_json *hex = mgw_json_get(v, "data", MGW_JSON_STRING);
    if (code == NULL || hex == NULL || code->num < 0 || code->num > 0xFFFFFFFFLL)
        return bad("a value needs type_code (0 to 4294967295) and data", i);
    size_t n = strlen(hex->str);
    if (n % 2 != 0 || n / 2 > MGW_REG_MAX_DATA)
        return bad("value data must be whole hex bytes", i);
    uint8_t *bytes = malloc(n / 2 + 1);
    if (bytes == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = MGW_OK;
    for (size_t k = 0; k < n / 2 && r == MGW_OK; k++) {
        int hi = mgw_hex_value((unsigned char)hex->str[2 * k]);
        int lo = mgw_hex_value((unsigned char)hex->str[2 * k + 1]);
        if (hi < 0 || lo < 0) {
            r = bad("value data must be hex digits", i);
            break;
        }
        bytes[k] = (uint8_t)(hi << 4 | lo);
    }
    if (r == MGW_OK && mgw_regdata_set(d, true, (uint32_t)code->num, bytes, n / 2) != MGW_OK)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(bytes);
    return r;
}

/* Text a plan shows on the terminal holds no control characters. */
static bool has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return true;
    return false;
}

static char *dup_member(const mgw_json *obj, const char *name)
{
    const mgw_json *s = mgw_json_get(obj, name, MGW_JSON_STRING);
    return s != NULL ? mgw_strdup(s->str) : NULL;
}

/* A member that is there but could not be copied: out of memory. */
static bool copy_failed(const mgw_json *obj, const char *name, const char *copy)
{
    return copy == NULL && mgw_json_get(obj, name, MGW_JSON_STRING) != NULL;
}

static int read_item(const mgw_json *j, size_t i, mgw_regitem *it)
{
    const mgw_json *action = mgw_json_get(j, "action", MGW_JSON_STRING);
    const mgw_json *existed = mgw_json_get(j, "key_existed", MGW_JSON_BOOL);
    const mgw_json *before = mgw_json_get(j, "before", MGW_JSON_NULL);
    const mgw_json *after = mgw_json_get(j, "after", MGW_JSON_NULL);
    before = before != NULL ? before : mgw_json_get(j, "before", MGW_JSON_OBJECT);
    after = after != NULL ? after : mgw_json_get(j, "after", MGW_JSON_OBJECT);
    it->key = dup_member(j, "key");
    it->name = dup_member(j, "value");
    it->label = dup_member(j, "label");
    it->meaning = dup_member(j, "meaning");
    if (copy_failed(j, "key", it->key) || copy_failed(j, "value", it->name) ||
        copy_failed(j, "label", it->label) || copy_failed(j, "meaning", it->meaning))
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (it->key == NULL || it->name == NULL || it->label == NULL || it->meaning == NULL ||
        action == NULL || existed == NULL || before == NULL || after == NULL)
        return bad("needs key, value, label, action, key_existed, before, after and meaning", i);
    if (!mgw_regpath_valid(it->key))
        return bad("invalid key (it must start with a root such as HKEY_LOCAL_MACHINE and have "
                   "no empty parts and no control characters)",
                   i);
    if (has_control(it->name) || strlen(it->name) > MGW_REG_MAX_NAME)
        return bad("invalid value name (control characters, or longer than 16383 bytes)", i);
    if (has_control(it->label) || has_control(it->meaning))
        return bad("label and meaning must not hold control characters", i);
    it->key_existed = existed->num != 0;
    if (strcmp(action->str, "set") == 0)
        it->action = MGW_REGACT_SET;
    else if (strcmp(action->str, "keep") == 0)
        it->action = MGW_REGACT_KEEP;
    else if (strcmp(action->str, "check") == 0)
        it->action = MGW_REGACT_CHECK;
    else
        return bad("action must be set, keep or check", i);
    int r = read_data(before, i, &it->before);
    if (r == MGW_OK)
        r = read_data(after, i, &it->after);
    if (r != MGW_OK)
        return r;
    bool same = mgw_regdata_same(&it->before, &it->after);
    if (it->action == MGW_REGACT_SET ? (same || !it->after.present) : !same)
        return bad("its action does not fit its before and after", i);
    if (!it->key_existed && it->before.present)
        return bad("a value cannot exist in a key that did not", i);
    return MGW_OK;
}

static int read_lists(const mgw_json *root, mgw_regplan_t *p)
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
    /* one item per value: a repeated one would be written (and counted) twice */
    for (size_t i = 0; i < p->n_items && r == MGW_OK; i++)
        for (size_t j = 0; j < i && r == MGW_OK; j++)
            if (mgw_regname_eq(p->items[i].key, p->items[j].key) &&
                mgw_regname_eq(p->items[i].name, p->items[j].name))
                r = bad("the same value is listed twice", i);
    for (size_t i = 0; i < warnings->n && r == MGW_OK; i++) {
        if (warnings->items[i].type != MGW_JSON_STRING || has_control(warnings->items[i].str))
            r = bad("warnings must be strings without control characters", SIZE_MAX);
        else if (mgw_regplan_add_warning(p, "%s", warnings->items[i].str) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    return r;
}

int mgw_regplan_from_json(const uint8_t *text, size_t n, mgw_regplan_t *p)
{
    mgw_json root;
    /* an editor may have saved the plan with a UTF-8 byte-order mark */
    if (n >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF)
        text += 3, n -= 3;
    int r = mgw_json_parse(text, n, &root);
    if (r != MGW_OK)
        return r;
    const mgw_json *format = mgw_json_get(&root, "format", MGW_JSON_STRING);
    const mgw_json *version = mgw_json_get(&root, "version", MGW_JSON_NUMBER);
    const mgw_json *fp = mgw_json_get(&root, "fingerprint", MGW_JSON_STRING);
    const mgw_json *changes = mgw_json_get(&root, "changes", MGW_JSON_NUMBER);
    if (format == NULL || strcmp(format->str, PLAN_FORMAT) != 0)
        r = bad("not a registry plan (format " PLAN_FORMAT ")", SIZE_MAX);
    else if (version == NULL || version->num != 1)
        r = bad("unsupported version (this library reads version 1)", SIZE_MAX);
    else if ((p->binding = dup_member(&root, "binding")) == NULL &&
             copy_failed(&root, "binding", p->binding))
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    else if (p->binding == NULL || fp == NULL || changes == NULL)
        r = bad("needs binding, fingerprint and changes", SIZE_MAX);
    else if (has_control(p->binding))
        r = bad("the binding must not hold control characters", SIZE_MAX);
    if (r == MGW_OK)
        r = read_lists(&root, p);
    if (r == MGW_OK)
        r = mgw_regplan_hash(p, p->fingerprint);
    char want[72] = "sha256:";
    mgw_hex_upper(p->fingerprint, 32, want + 7);
    if (r == MGW_OK && !mgw_regname_eq(fp->str, want))
        r = bad("the fingerprint does not match what the plan reads and writes (the file was "
                "changed after planning): plan again",
                SIZE_MAX);
    if (r == MGW_OK && changes->num != (long long)mgw_regplan_change_count(p))
        r = bad("changes does not match the number of values the plan writes", SIZE_MAX);
    mgw_json_free(&root);
    return r;
}

MGW_API int mgw_regplan_load(const uint8_t *json, size_t len, mgw_regplan_t **out)
{
    if (json == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regplan_load: NULL argument");
    if (len > MGW_REG_MAX_FILE)
        return mgw_err(MGW_ERR_TOO_LARGE, "plan file larger than %u bytes", MGW_REG_MAX_FILE);
    mgw_regplan_t *p = mgw_regplan_alloc();
    if (p == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = mgw_regplan_from_json(json, len, p);
    if (r != MGW_OK) {
        mgw_regplan_free(&p);
        return mgw_err_ensure(r);
    }
    *out = p;
    mgw_err_clear();
    return MGW_OK;
}
