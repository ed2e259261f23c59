/* Internal layout of registry plans and options, the JSON reader for plan
 * files, and the engine that carries a plan out through a back-end. */
#ifndef MGW_REGPLAN_H
#define MGW_REGPLAN_H

#include "core/json.h"
#include "registry/registry.h"

struct mgw_regstate {
    mgw_regdoc doc;
};

enum { MGW_BINDING_IP = 1, MGW_BINDING_SNI = 2, MGW_BINDING_CCS = 3 };

struct mgw_regopts {
    int trust_mode;
    int binding_kind;
    char *binding; /* "IP:PORT", "HOST:PORT" or (Central Certificate Store) "PORT" */
    bool revocation_check;
    bool disable_tls13, negotiate_client_cert;
    char *issuer_store; /* NULL: untouched */
    bool disable_root_autoupdate, keep_disallowed;
    int client_self_signed; /* -1 unknown, 0, 1 */
    int client_names_cdp;   /* -1 unknown, 0, 1: a CRL distribution point */
};

/* A value's content at one moment: absent, or type and data. */
typedef struct {
    bool present;
    uint32_t type;
    uint8_t *data;
    size_t len;
} mgw_regdata;

enum {
    MGW_REGACT_KEEP = 0,  /* already as desired */
    MGW_REGACT_SET = 1,   /* write `after` */
    MGW_REGACT_CHECK = 2, /* only read: part of the before-state */
};

typedef struct {
    char *key, *name; /* full key path, value name */
    char *label;      /* short name for the table */
    char *meaning;    /* what the desired (or checked) value does, in words */
    int action;
    bool key_existed;
    mgw_regdata before, after; /* after: what SET writes (== before otherwise) */
} mgw_regitem;

struct mgw_regplan {
    mgw_regitem *items;
    size_t n_items;
    char **warnings;
    size_t n_warnings;
    char *binding; /* the binding's name as requested */
    mgw_regdoc backup;
    bool has_backup;
    uint8_t fingerprint[32];
};

/* The keys (with their subkeys) whose state the planner reads: what a live
 * registry state must hold to plan from it. */
const char *const *mgw_regplan_read_keys(size_t *n);

void mgw_regitem_free(mgw_regitem *it);
int mgw_regdata_set(mgw_regdata *d, bool present, uint32_t type, const uint8_t *data, size_t len);
bool mgw_regdata_same(const mgw_regdata *a, const mgw_regdata *b);
/* SHA-256 over the before-state of every item (keys' existence, values). */
int mgw_regplan_hash(const mgw_regplan_t *plan, uint8_t out[32]);
mgw_regplan_t *mgw_regplan_alloc(void);
int mgw_regplan_add_warning(mgw_regplan_t *plan, const char *fmt, ...) MGW_PRINTF(2, 3);
/* The meaning of a value the planner manages, in words, into out. */
int mgw_regmeaning(const char *name, const mgw_regdata *v, mgw_dbuf *out);

/* ---- plan files (planjson.c, json.c) ---------------------------------------- */

int mgw_regplan_to_json(const mgw_regplan_t *plan, mgw_dbuf *out);
int mgw_regplan_from_json(const uint8_t *p, size_t n, mgw_regplan_t *plan);

#endif
