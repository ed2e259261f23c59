/* Reader of the gateway plan file: see gwplan.h. */
#include "gwplan.h"

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

static void skip_spaces(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
        r->p++;
}

static bool take(reader *r, char c)
{
    skip_spaces(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return true;
    }
    return false;
}

/* A JSON string: printable ASCII and UTF-8 bytes, escapes \" \\ \/ only
 * (what the writer produces); no control characters. */
static int string(reader *r, char **out)
{
    skip_spaces(r);
    if (r->p >= r->end || *r->p != '"')
        return fail(r, "expected a string");
    r->p++;
    char buf[GWPLAN_MAX_VALUE];
    size_t n = 0;
    for (;;) {
        if (r->p >= r->end)
            return fail(r, "unterminated string");
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"')
            break;
        if (c < 0x20 || c == 0x7f)
            return fail(r, "control character in a string");
        if (c == '\\') {
            if (r->p >= r->end)
                return fail(r, "unterminated string");
            c = (unsigned char)*r->p++;
            if (c != '"' && c != '\\' && c != '/')
                return fail(r, "unsupported escape \\%c", c);
        }
        if (n + 1 >= sizeof(buf))
            return fail(r, "string longer than %d bytes", GWPLAN_MAX_VALUE - 1);
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *out = malloc(n + 1);
    if (*out == NULL)
        return fail(r, "out of memory");
    memcpy(*out, buf, n + 1);
    return 0;
}

/* One line: {"name": "value", ...} followed by "," or (last) nothing. */
static int step_line(reader *r, gwplan_step *s, bool *last)
{
    if (!take(r, '{'))
        return fail(r, "expected a step object");
    while (!take(r, '}')) {
        if (s->count > 0 && !take(r, ','))
            return fail(r, "expected , or }");
        if (s->count == GWPLAN_MAX_FIELDS)
            return fail(r, "more than %d fields", GWPLAN_MAX_FIELDS);
        size_t k = s->count;
        s->name[k] = s->value[k] = NULL;
        if (string(r, &s->name[k]) != 0)
            return -1;
        s->count++;
        if (!take(r, ':'))
            return fail(r, "expected :");
        if (string(r, &s->value[k]) != 0)
            return -1;
        for (size_t i = 0; i < k; i++)
            if (strcmp(s->name[i], s->name[k]) == 0)
                return fail(r, "field \"%s\" twice", s->name[k]);
    }
    *last = !take(r, ',');
    skip_spaces(r);
    if (gwplan_get(s, "step") == NULL)
        return fail(r, "a step without \"step\"");
    return 0;
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
        if (line.p != line.end)
            return fail(&line, "unexpected text after the step");
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
