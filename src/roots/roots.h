/*
 * Trusted-root pruning: thumbprints and keep-lists, the protected roots, the
 * pure planner, verified gzip PEM backups, restore, and the Task Scheduler XML
 * of the periodic re-prune. Uses the store interface of src/platform; the
 * planner itself does no I/O.
 */
#ifndef MGW_ROOTS_H
#define MGW_ROOTS_H

#include "core/core.h"
#include "platform/store.h"

/* ---- thumbprints (thumbprint.c) ---------------------------------------------- */

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

/* ---- keep-lists and protected roots (keeplist.c) --------------------------------- */

struct mgw_rootopts {
    mgw_thumb *keep; /* in the order given; duplicates are dropped by the planner */
    size_t n_keep, cap_keep;
    mgw_thumb *allow; /* protected roots that may be removed */
    size_t n_allow, cap_allow;
    bool remove_protected, allow_missing;
};

typedef struct {
    const char *sha1; /* upper-case hex */
    const char *name;
} mgw_protected_root;

/* The roots Windows needs (KB 293781), as listed in the project reference. */
const mgw_protected_root *mgw_protected_roots(size_t *n);

/* ---- plans (plan.c) ---------------------------------------------------------------- */

typedef struct {
    size_t item; /* index in the listing the plan was made from */
    int action;  /* MGW_ROOT_KEEP, _PROTECTED, _REMOVE or _POLICY */
    int prot;    /* index in the protected table, or -1 */
    unsigned physical; /* MGW_PHYSICAL_* bits of the item */
    uint8_t sha1[20];
    char *subject, *origin;
} mgw_plan_row;

struct mgw_rootplan {
    const mgw_store_t *store; /* identity only: the store the plan is for */
    uint64_t generation;      /* the store's generation when planned */
    char *location;
    const char *kind;
    mgw_plan_row *rows; /* one per listed certificate, in listing order */
    size_t n;
    size_t counts[MGW_ROOT_POLICY + 1];
    mgw_thumb *missing; /* keep-list entries not in the store */
    size_t n_missing;
    mgw_store_skipped *skipped;
    size_t n_skipped;
    const mgw_protected_root *prot;
};

/* Physical stores whose certificates policy puts back: a plan never removes them. */
#define MGW_PHYSICAL_POLICY (MGW_PHYSICAL_GROUPPOLICY | MGW_PHYSICAL_ENTERPRISE)

/* The pure planner: classify `items` against the keep-list, the physical
 * stores they sit in and the protected table. Refuses an empty keep-list, keep-list entries missing from the items
 * (unless allowed), and a plan that keeps nothing. */
int mgw_rootplan_build(const mgw_store_item *items, size_t n, const mgw_rootopts_t *opts,
                       const mgw_protected_root *prot, size_t n_prot, mgw_rootplan_t **out);

/* ---- backups (backup.c) ------------------------------------------------------------- */

/* gzip (RFC 1952) with zlib; inflating accepts concatenated members and stops
 * at `max` bytes of output (MGW_ERR_TOO_LARGE). */
int mgw_gzip(const uint8_t *p, size_t n, mgw_dbuf *out);
int mgw_gunzip(const uint8_t *p, size_t n, size_t max, mgw_dbuf *out);
/* The backup text of the store's items at `index[0..n)`: a header, then per
 * certificate comment lines (subject, SHA-1, where it came from) and PEM. */
int mgw_backup_text(const mgw_store_t *s, const size_t *index, size_t n, mgw_dbuf *text);
/* Read a backup (gzip, or plain PEM text): every certificate must parse and
 * match the SHA-1 of its comment header. Items keep the order of the file;
 * an item's origin is its "from" line. */
int mgw_backup_load(const char *path, mgw_store_listing *out);

#endif
