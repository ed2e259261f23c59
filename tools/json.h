/* The JSON reader of the tool: the gateway plan files (gwplan.c) and the
 * JSON the library describes plans in. RFC 8259 text into a tree; strings
 * come out as UTF-8 (\u escapes decoded, surrogate pairs joined), numbers as
 * their text. Depth, size and string length are capped; a duplicate key in
 * an object is refused. */
#ifndef MGW_JSON_H
#define MGW_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32

typedef enum {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value {
    json_type type;
    char *text;               /* JSON_STRING: the string (NUL-terminated); JSON_NUMBER: its text */
    size_t len;               /* bytes of text (a string may hold U+0000) */
    struct json_value *items; /* JSON_ARRAY: the elements; JSON_OBJECT: the values */
    char **keys;              /* JSON_OBJECT: the keys, one per item */
    size_t count;
} json_value;

/* Parse one JSON value filling text[0..len) (white space around it allowed).
 * 0, or -1 with "offset N: reason" in err; *out is freed with json_free
 * either way. */
int json_parse(const char *text, size_t len, json_value *out, char *err, size_t err_size);
void json_free(json_value *v);
/* The member key of an object, or NULL (also when v is no object). */
const json_value *json_get(const json_value *v, const char *key);
/* The string member key of an object, or NULL. */
const char *json_get_string(const json_value *v, const char *key);

#endif
