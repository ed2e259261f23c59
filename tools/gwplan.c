/* Reader of the gateway plan file: see gwplan.h. */
#include "gwplan.h"
#include "json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GWPLAN_MAX_SIZE (1u << 20)
#define GWPLAN_MAX_VALUE 4096

typedef struct {
    const char *p, *end;
    size_t line;
    char *err;
    size_t err_size;
} reader;

static int fail(reader *r, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(r->err, r->err_size, "line %zu: %s", r->line, msg);
    return -1;
}

/* One line: {"name": "value", ...} followed by "," or (last) nothing. The
 * values are strings without control characters, as the writer makes them. */
static int step_line(reader *r, gwplan_step *s, bool *last)
{
    const char *end = r->end;
    while (end > r->p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *last = !(end > r->p && end[-1] == ',');
    if (!*last)
        end--;
    char err[200];
    json_value v;
    int rc = json_parse(r->p, (size_t)(end - r->p), &v, err, sizeof(err));
    if (rc != 0)
        rc = fail(r, "%s", err);
    else if (v.type != JSON_OBJECT)
        rc = fail(r, "expected a step object");
    else if (v.count > GWPLAN_MAX_FIELDS)
        rc = fail(r, "more than %d fields", GWPLAN_MAX_FIELDS);
    for (size_t k = 0; rc == 0 && k < v.count; k++) {
        const json_value *f = &v.items[k];
        for (const char *c = v.keys[k]; rc == 0 && *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                rc = fail(r, "control character in a string");
        if (f->type != JSON_STRING)
            rc = fail(r, "field \"%s\" is not a string", v.keys[k]);
        else if (f->len >= GWPLAN_MAX_VALUE)
            rc = fail(r, "string longer than %d bytes", GWPLAN_MAX_VALUE - 1);
        for (size_t i = 0; rc == 0 && i < f->len; i++)
            if ((unsigned char)f->text[i] < 0x20 || f->text[i] == 0x7f)
                rc = fail(r, "control character in a string");
    }
    /* the step takes the strings over */
    for (size_t k = 0; rc == 0 && k < v.count; k++) {
        s->name[k] = v.keys[k];
        s->value[k] = v.items[k].text;
        v.keys[k] = v.items[k].text = NULL;
        s->count++;
    }
    json_free(&v);
    if (rc == 0 && gwplan_get(s, "step") == NULL)
        rc = fail(r, "a step without \"step\"");
    r->p = r->end;
    return rc;
}

/* The next line (without its end: \n or \r\n), or false at the end. */
static bool next_line(reader *r, reader *line)
{
    if (r->p >= r->end)
        return false;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl != NULL ? nl : r->end;
    r->line++;
    *line = *r;
    line->end = stop > r->p && stop[-1] == '\r' ? stop - 1 : stop;
    r->p = nl != NULL ? nl + 1 : r->end;
    return true;
}

int gwplan_parse(const uint8_t *text, size_t len, gwplan *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    reader r = {(const char *)text, (const char *)text + len, 0, err, err_size}, line;
    if (text == NULL || len == 0)
        return fail(&r, "empty plan file");
    if (len > GWPLAN_MAX_SIZE)
        return fail(&r, "plan file larger than %u bytes", GWPLAN_MAX_SIZE);
    if (memchr(text, '\0', len) != NULL)
        return fail(&r, "NUL byte in the plan file");
    if (!next_line(&r, &line) || (size_t)(line.end - line.p) != strlen(GWPLAN_HEAD) ||
        memcmp(line.p, GWPLAN_HEAD, strlen(GWPLAN_HEAD)) != 0)
        return fail(&line, "not a gateway plan (the first line must be %s)", GWPLAN_HEAD);
    bool last = false;
    while (!last) {
        if (!next_line(&r, &line))
            return fail(&r, "the plan ends before its steps do");
        if (out->count == GWPLAN_MAX_STEPS)
            return fail(&line, "more than %d steps", GWPLAN_MAX_STEPS);
        if (step_line(&line, &out->steps[out->count++], &last) != 0)
            return -1;
    }
    if (!next_line(&r, &line) || (size_t)(line.end - line.p) != strlen(GWPLAN_TAIL) ||
        memcmp(line.p, GWPLAN_TAIL, strlen(GWPLAN_TAIL)) != 0)
        return fail(&line, "expected %s closing the plan", GWPLAN_TAIL);
    while (r.p < r.end && (*r.p == '\n' || *r.p == '\r' || *r.p == ' '))
        r.p++;
    if (r.p != r.end)
        return fail(&r, "text after the plan");
    return 0;
}

void gwplan_free(gwplan *p)
{
    for (size_t i = 0; i < p->count; i++)
        for (size_t k = 0; k < p->steps[i].count; k++) {
            free(p->steps[i].name[k]);
            free(p->steps[i].value[k]);
        }
    memset(p, 0, sizeof(*p));
}

const char *gwplan_get(const gwplan_step *s, const char *name)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->name[i], name) == 0)
            return s->value[i];
    return NULL;
}
