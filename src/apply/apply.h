/*
 * The apply engine shared by the plans that change a machine's configuration
 * (the registry plan, the IIS plan). A target is anything that can be on one
 * of two sides, the plan's before-state and its desired state, item by item.
 * The engine holds the discipline: nothing to do when the target is on the
 * far side already; refuse when it is on neither (drift); write a backup
 * first; write; read back and verify; on any failure put the starting side
 * back and say whether that worked. Targets hold no policy, only access.
 */
#ifndef MGW_APPLY_H
#define MGW_APPLY_H

#include "core/core.h"

/* What the engine needs of a kind of target: a const table per kind (as the
 * store and registry back-ends have), called with the target's context. */
typedef struct {
    /* *bad: the first item whose live state differs from side `wanted`
     * (false: before, true: desired), or SIZE_MAX when none does. */
    int (*compare)(void *ctx, bool wanted, size_t *bad);
    /* Record error `code` saying how item `bad` differs from side `wanted`,
     * followed by `advice`; return it (or the error met while reading). */
    int (*drift)(void *ctx, size_t bad, bool wanted, int code, const char *advice);
    /* Optional: refuse a move to side `to` that would lose data nobody
     * planned for. */
    int (*check_move)(void *ctx, bool to);
    /* Save what the move is about to change to `path`. */
    int (*backup)(void *ctx, const char *path, unsigned flags);
    /* Bring every item to side `wanted`. */
    int (*write)(void *ctx, bool wanted);
    /* The number of items a move changes. */
    size_t (*change_count)(void *ctx);
    /* The error codes and words of this kind of target. */
    int drift_code, verify_code, restore_code;
    const char *drift_advice; /* "the registry changed since the plan was made: plan again" */
    const char *restore_what; /* "the keys": what to restore from the backup by hand */
} mgw_apply_ops;

/* Move the target from one side to the other (forward: apply; reverse: roll
 * back). *changed: 0 when it was on the far side already, else the number of
 * items changed. */
int mgw_apply_run(const mgw_apply_ops *ops, void *ctx, bool reverse, const char *backup_path,
                  unsigned flags, int *changed);

/* The end of a public apply or rollback: on success, *changed (when the
 * caller asked for it) and the thread's error cleared; else r, with a
 * detail (mgw_err_ensure). */
int mgw_apply_done(int r, int n, int *changed);

/* Fault injection for the unit tests (never exported), the same for every
 * kind of target: the write after `skip` more successful writes fails
 * (MGW_FAULT_FAIL) or silently stores other data (MGW_FAULT_CORRUPT); with
 * MGW_FAULT_FAIL_ALL that write and all later ones fail. MGW_FAULT_NONE turns
 * it off. Each kind of target keeps one, global and not thread-safe. */
enum { MGW_FAULT_NONE, MGW_FAULT_FAIL, MGW_FAULT_CORRUPT, MGW_FAULT_FAIL_ALL };
typedef struct {
    int kind;
    unsigned skip;
} mgw_fault;

void mgw_fault_arm(mgw_fault *f, int kind, unsigned skip);
/* The fault for this write: MGW_FAULT_NONE, MGW_FAULT_FAIL or
 * MGW_FAULT_CORRUPT (each fires once, FAIL_ALL every time). */
int mgw_fault_take(mgw_fault *f);

#endif
