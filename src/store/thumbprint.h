/* Thumbprints as people paste them, and sorted sets of them: how a
 * certificate of a store is named (thumbprint.c). */
#ifndef MGW_STORE_THUMBPRINT_H
#define MGW_STORE_THUMBPRINT_H

#include "core/core.h"

typedef struct {
    uint8_t len; /* 20 (SHA-1) or 32 (SHA-256) */
    uint8_t d[32];
} mgw_thumb;

/* Parse a thumbprint as pasted: whitespace, ':' and '-' separators and
 * Unicode format characters are dropped, hex digits of either case must then
 * number 40 or 64. Errors (MGW_ERR_THUMBPRINT) show the input and the 1-based
 * character position of the problem. */
int mgw_thumb_parse(const char *text, size_t n, mgw_thumb *out);
/* Upper-case hex, NUL-terminated. */
void mgw_thumb_hex(const mgw_thumb *t, char hex[65]);
void mgw_thumb_sha1(mgw_thumb *t, const uint8_t sha1[20]);
int mgw_thumb_cmp(const mgw_thumb *a, const mgw_thumb *b);

/* A sorted set of thumbprints, each with the index it was added with:
 * lookups in O(log n) after mgw_thumbset_sort(), which drops duplicates
 * (keeping the lowest index). */
typedef struct {
    mgw_thumb t;
    size_t index;
} mgw_thumbref;

typedef struct {
    mgw_thumbref *v;
    size_t n, cap;
} mgw_thumbset;

void mgw_thumbset_init(mgw_thumbset *s);
void mgw_thumbset_free(mgw_thumbset *s);
int mgw_thumbset_add(mgw_thumbset *s, const mgw_thumb *t, size_t index);
void mgw_thumbset_sort(mgw_thumbset *s);
const mgw_thumbref *mgw_thumbset_find(const mgw_thumbset *s, const mgw_thumb *t);

#endif
