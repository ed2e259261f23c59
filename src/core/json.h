/*
 * JSON: the small strict reader of plan files (RFC 8259) and the pieces every
 * JSON writer of the library shares: escaped strings, "key":"value" fields,
 * and the describe(style) entry point of each described object.
 */
#ifndef MGW_CORE_JSON_H
#define MGW_CORE_JSON_H

#include "core/core.h"

/* ---- reading (json.c) ------------------------------------------------------- */

enum {
    MGW_JSON_NULL = 1,
    MGW_JSON_BOOL,
    MGW_JSON_NUMBER,
    MGW_JSON_STRING,
    MGW_JSON_ARRAY,
    MGW_JSON_OBJECT
};

typedef struct mgw_json {
    int type;
    long long num; /* NUMBER, or BOOL as 0/1 */
    char *str;     /* STRING */
    char *key;     /* member name inside an object */
    struct mgw_json *items;
    size_t n;
} mgw_json;

/* Errors are MGW_ERR_REG_PLAN with the line of the problem. */
int mgw_json_parse(const uint8_t *p, size_t n, mgw_json *out);
void mgw_json_free(mgw_json *v);
/* Member `key` of an object when it has JSON type `type`, else NULL. */
const mgw_json *mgw_json_get(const mgw_json *obj, const char *key, int type);
/* A malloc'ed copy of string member `key`; NULL when it is missing or not a
 * string, or, with *oom set, when the copy could not be made. */
char *mgw_json_dup(const mgw_json *obj, const char *key, bool *oom);

/* ---- writing (json.c) ------------------------------------------------------- */

/* A JSON string of s[0..n): quotes and backslashes escaped, control
 * characters and DEL as \u00XX. MGW_ERR_NO_MEMORY when b ran out. */
int mgw_json_string(mgw_dbuf *b, const char *s, size_t n);
/* A JSON string of a C string; NULL is written as null. */
void mgw_json_str(mgw_dbuf *b, const char *s);
/* "key":value (value as mgw_json_str), then ',' when comma. */
void mgw_json_field(mgw_dbuf *b, const char *key, const char *value, bool comma);
/* The strings v[0..n) as the closing list of a plan file: after the items
 * list, `"warnings": [...]` one per line, and the end of the object. */
void mgw_json_plan_warnings(mgw_dbuf *b, char *const *v, size_t n);

/* ---- describe(style) -------------------------------------------------------- */

/* A writer of one form of an object's description into b. */
typedef int (*mgw_describe_fn)(const void *obj, mgw_dbuf *b);

/* The public describe functions: refuse a NULL object or out ("fn: NULL
 * argument") and an unknown style, write the text or JSON form, hand the
 * result to *out (mgw_free) and clear the error. */
int mgw_describe(const char *fn, const void *obj, int style, mgw_describe_fn text,
                 mgw_describe_fn json, char **out);

#endif
