/* Applying and rolling back the plans that rewrite one file or the machine's
 * registry: the registry plan and the IIS plan. registry apply|rollback,
 * iis apply|rollback and the registry and iis steps of gateway apply all run
 * them through the one kind table here. */
#ifndef MGW_PLANRUN_H
#define MGW_PLANRUN_H

#include "cli.h"

/* One kind of plan, seen through the public API. */
typedef struct {
    const char *name;         /* "registry", "iis" */
    const char *unit, *units; /* what one change is: "value", "values" */
    const char *live_name;    /* the machine's target in messages: "the registry" */
    const char *ext;          /* of its backups: ".reg", ".config" */
    /* Apply (undo: roll back) plan on the file target, or on the machine
     * when target is NULL; *changed counts the changes. */
    int (*run)(const void *plan, const char *target, const char *backup, unsigned flags, bool undo,
               int *changed);
    void (*free)(void *plan);
} planrun_kind;

extern const planrun_kind planrun_registry, planrun_iis;

/* The apply and rollback subcommands of a kind: `mgwauth KIND apply|rollback
 * --plan DIR/plan.json (--TARGET FILE | --live) [--backup FILE] [--force]`. */
typedef struct {
    const planrun_kind *kind;
    const char *target_option; /* "registry-file", "config" */
    const char *target_usage;  /* "--registry-file FILE.reg", "--config FILE" */
    /* The target file of the options, or NULL for the machine (the kind's
     * live run); 0 or the exit code after printing the problem. what is
     * "apply" or "rollback". */
    int (*target)(cli_opt *o, size_t n, const char *what, char **path);
    /* plan.json (and what lies beside it) as a plan; 0 or the exit code. */
    int (*load)(const char *plan_path, void **plan);
    const char *backup_name; /* the default backup: backup-before-NAMEwhat-TIME.ext */
    bool backup_not_target;  /* refuse a --backup that is the target itself */
    const char *nothing[2];  /* "already has the desired values", the rollback's */
    const char *backup_line; /* "backup of the touched keys" */
} planrun_command;

int planrun_main(const planrun_command *cmd, int argc, char **argv, bool undo);
/* "KIND apply needs --plan DIR/plan.json and either TARGET or --live" */
int planrun_usage(const planrun_command *cmd, const char *what);

/* One file a plan command writes into its output directory. */
typedef struct {
    const char *name;
    unsigned flags; /* MGW_FILE_PRIVATE or 0 */
    uint8_t *data;  /* from the library (mgw_free) */
    size_t len;
    bool skip; /* the plan has no such file: not written, and with --force an
                  old one of that name is removed (none from another plan stays) */
} planrun_file;

/* Write the files into dir, all of them or none (force: MGW_FILE_FORCE or
 * 0), and free their data; r is the result of making them, reported here
 * when it is not MGW_OK. 0, or 1 after printing the problem. */
int planrun_write(const char *dir, planrun_file *files, size_t count, unsigned force, int r);

/* An output path that is the input file itself (a name, a link or the
 * live file) would destroy the input, even with --force: prints why and
 * returns 1, else 0. */
int planrun_same_file_refused(const char *input, const char *out, const char *option);

#endif
