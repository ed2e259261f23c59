/*
 * Registry back-ends: the small table of functions through which plans are
 * applied. The portable back-end (backend/registry_file.c) keeps the registry in a
 * .reg file; the Windows one (backend/registry_win.c) calls advapi32, and elsewhere
 * system_none.c says that it is not available. Back-ends hold no policy:
 * drift checks, backups, verification and restore live in the apply engine
 * (apply.c), which regapply.c connects to a back-end.
 */
#ifndef MGW_APPLY_REGBACKEND_H
#define MGW_APPLY_REGBACKEND_H

#include "apply/apply.h"
#include "registry/plan.h"

/* A registry back-end's operations: a const table per kind of back-end (as
 * the store back-ends have), called with the open back-end's context. */
typedef struct {
    /* Append a copy of key `path` (its values, not its subkeys) to `out`;
     * nothing when the key does not exist. */
    int (*read_key)(void *ctx, const char *path, mgw_regdoc *out);
    /* Set a value, creating the key (and its parents) when missing. */
    int (*set_value)(void *ctx, const char *path, const mgw_regval *v);
    /* Delete a value; a missing value or key is not an error. */
    int (*delete_value)(void *ctx, const char *path, const char *name);
    /* Delete a key with all its subkeys; a missing key is not an error. */
    int (*delete_key)(void *ctx, const char *path);
    /* Export the keys with their subkeys as regedit does (UTF-16LE .reg). */
    int (*export_keys)(void *ctx, const char *const *paths, size_t n, mgw_dbuf *reg);
    /* Release the context (it may be NULL). */
    void (*close)(void *ctx);
} mgw_regbackend_ops;

/* An open back-end: its table and its context. */
typedef struct {
    const mgw_regbackend_ops *ops;
    void *ctx;
} mgw_regbackend;

/* Close an open back-end (any kind); a closed one stays closed. */
void mgw_regbackend_close(mgw_regbackend *be);

/* The .reg-file back-end (backend/registry_file.c). `path` must exist. */
int mgw_backend_regfile_open(const char *path, mgw_regbackend *be);

/* The machine's registry (backend/registry_win.c; backend/system_none.c elsewhere). Key
 * paths start with a full root name (HKEY_LOCAL_MACHINE) or its
 * abbreviation (HKLM); exports spell roots in full. */
int mgw_backend_reglive_open(mgw_regbackend *be);

/* Fault injection for the unit tests (not exported; MGW_FAULT_* of apply.h)
 * into the writes of the .reg-file back-end: a corrupt write stores one byte
 * more than asked, or a deletion silently does not happen. */
void mgw_backend_regfile_inject_fault(int kind, unsigned skip);

/* Carry out a plan through a back-end (forward: apply; reverse: roll back):
 * refuse on drift, write the backup, write, verify, restore on failure
 * (regapply.c). */
int mgw_regplan_run(const mgw_regplan_t *plan, const mgw_regbackend *be, bool reverse,
                    const char *backup_path, unsigned flags, int *changed);

#endif
