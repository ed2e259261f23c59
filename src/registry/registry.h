/*
 * Internal registry layer: the model of keys and values, the .reg codec, the
 * registry state that a .reg file describes, and plan outputs. Pure data: no
 * I/O happens here (the back-ends in src/backend/ do it).
 */
#ifndef MGW_REGISTRY_H
#define MGW_REGISTRY_H

#include "core/core.h"

/* Value types (winnt.h). Any other 32-bit number is a valid type too. */
enum {
    MGW_REGT_NONE = 0,
    MGW_REGT_SZ = 1,
    MGW_REGT_EXPAND_SZ = 2,
    MGW_REGT_BINARY = 3,
    MGW_REGT_DWORD = 4,
    MGW_REGT_MULTI_SZ = 7,
    MGW_REGT_QWORD = 11,
};

/* Hostile-input caps of the codec. */
#define MGW_REG_MAX_FILE (16u * 1024 * 1024) /* bytes of a .reg file */
#define MGW_REG_MAX_LINE (4u * 1024 * 1024)  /* bytes of one line (as UTF-8) */
#define MGW_REG_MAX_DATA (1u * 1024 * 1024)  /* bytes of one value's data */
#define MGW_REG_MAX_PATH 32767u              /* bytes of a key path */
#define MGW_REG_MAX_NAME 16383u              /* bytes of a value name in a plan */

/* One value, or in a .reg file one value deletion ("name"=-). */
typedef struct {
    char *name; /* UTF-8 without NUL; "" is the default value (@) */
    uint32_t type;
    uint8_t *data; /* raw bytes as the registry holds them (strings UTF-16LE) */
    size_t len;
    bool deleted;
} mgw_regval;

/* One key with its values in order, or in a .reg file a key deletion [-path]. */
typedef struct {
    char *path; /* "HKEY_LOCAL_MACHINE\\SYSTEM\\..." as written (case kept) */
    bool deleted;
    mgw_regval *vals;
    size_t n_vals;
    /* model.c's bookkeeping: capacity of vals, and a hash index of the value
     * names (NULL until a key has many values; dropped when vals change
     * other than by mgw_regkey_put). */
    size_t cap_vals;
    size_t *vslots, n_vslots;
    uint64_t vseed; /* the index's hash seed, drawn from the entropy source */
    bool holes; /* values removed during a merge, not yet compacted */
} mgw_regkey;

/* A .reg document: its sections in file order. Used also as a registry state
 * (no deletions, every key once), where the order is the export order. */
typedef struct {
    mgw_regkey *keys;
    size_t n_keys;
    size_t cap_keys; /* model.c's bookkeeping */
} mgw_regdoc;

/* ---- model (model.c) ------------------------------------------------------ */

void mgw_regdoc_init(mgw_regdoc *d);
void mgw_regdoc_free(mgw_regdoc *d);
/* Key paths and value names compare without regard to ASCII case. */
bool mgw_regname_eq(const char *a, const char *b);
/* True when `path` is `parent` or lies below it. */
bool mgw_regpath_within(const char *path, const char *parent);
/* Last key section with this path (any deletion flag), or NULL. */
mgw_regkey *mgw_regdoc_find(const mgw_regdoc *d, const char *path);
/* Append a section (a copy of path). */
mgw_regkey *mgw_regdoc_append(mgw_regdoc *d, const char *path, bool deleted);
mgw_regval *mgw_regkey_find(const mgw_regkey *k, const char *name);
/* Set a value (replacing one of the same name in place, keeping its spelling)
 * or, with deleted, record a value deletion. */
int mgw_regkey_put(mgw_regkey *k, const char *name, uint32_t type, const uint8_t *data, size_t len,
                   bool deleted);
bool mgw_regval_same(const mgw_regval *a, const mgw_regval *b);
int mgw_regdoc_copy_key(mgw_regdoc *to, const mgw_regkey *k);

/* Registry state operations (regedit import semantics). A state holds every
 * key at most once; new keys go after the subtree of their nearest ancestor. */
mgw_regkey *mgw_regstate_key(mgw_regdoc *st, const char *path, bool create);
int mgw_regstate_set(mgw_regdoc *st, const char *path, const mgw_regval *v);
int mgw_regstate_delete_value(mgw_regdoc *st, const char *path, const char *name);
int mgw_regstate_delete_key(mgw_regdoc *st, const char *path); /* with its subkeys */
/* Apply a parsed .reg document as `regedit /s` would. */
int mgw_regstate_merge(mgw_regdoc *st, const mgw_regdoc *reg);
/* Copy the keys at `paths` with their subkeys, in state order, each once. */
int mgw_regstate_extract(const mgw_regdoc *st, const char *const *paths, size_t n, mgw_regdoc *out);

/* ---- codec (codec.c) ------------------------------------------------------ */

/* Parse a .reg file: "Windows Registry Editor Version 5.00" as UTF-16LE with
 * BOM or UTF-8 (BOM optional), or REGEDIT4 (UTF-8, else Windows-1252). Errors
 * (MGW_ERR_REG_SYNTAX, MGW_ERR_UTF8, MGW_ERR_TOO_LARGE) name the line. */
int mgw_regdoc_parse(const uint8_t *p, size_t n, mgw_regdoc *out);
/* A key path the reader accepts: a known root, no empty parts, no control
 * characters, at most MGW_REG_MAX_PATH bytes. */
bool mgw_regpath_valid(const char *path);
/* Write as regedit does (MGW_ERR_REG_SYNTAX for a path with a control
 * character, which no .reg file can carry): UTF-16LE with BOM, CRLF, version 5 header, a blank
 * line before each key, hex lists wrapped as regedit wraps them. */
int mgw_regdoc_write(const mgw_regdoc *d, mgw_dbuf *out);
/* Short human form of a value: 0x00000002 (2), "text", hex bytes... */
int mgw_regval_format(uint32_t type, const uint8_t *data, size_t len, mgw_dbuf *out);
/* Name of a value type: REG_DWORD, ..., or "hex(N)". */
const char *mgw_regtype_name(uint32_t type, char buf[16]);

/* UTF-8 text as REG_SZ data (UTF-16LE with its terminating NUL). */
int mgw_regsz_from_utf8(const char *s, mgw_dbuf *out);
/* REG_SZ data as UTF-8 when it is one well-formed string, else an error. */
int mgw_regsz_to_utf8(const uint8_t *data, size_t len, mgw_dbuf *out);

#endif
