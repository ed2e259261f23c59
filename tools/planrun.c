/* Apply and rollback of registry and IIS plans: see planrun.h. */
#include "planrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int run_registry(const void *plan, const char *target, const char *backup, unsigned flags,
                        bool undo, int *changed)
{
    const mgw_regplan_t *p = plan;
    if (target == NULL)
        return undo ? mgw_regplan_rollback_live(p, backup, flags, changed)
                    : mgw_regplan_apply_live(p, backup, flags, changed);
    return undo ? mgw_regplan_rollback_file(p, target, backup, flags, changed)
                : mgw_regplan_apply_file(p, target, backup, flags, changed);
}

static void free_registry(void *plan)
{
    mgw_regplan_t *p = plan;
    mgw_regplan_free(&p);
}

static int run_iis(const void *plan, const char *target, const char *backup, unsigned flags,
                   bool undo, int *changed)
{
    const mgw_iisplan_t *p = plan;
    if (target == NULL)
        return undo ? mgw_iisplan_rollback_live(p, backup, flags, changed)
                    : mgw_iisplan_apply_live(p, backup, flags, changed);
    return undo ? mgw_iisplan_rollback_file(p, target, backup, flags, changed)
                : mgw_iisplan_apply_file(p, target, backup, flags, changed);
}

static void free_iis(void *plan)
{
    mgw_iisplan_t *p = plan;
    mgw_iisplan_free(&p);
}

const planrun_kind planrun_registry = {"registry", "value",      "values",     "the registry",
                                       ".reg",     run_registry, free_registry};
const planrun_kind planrun_iis = {
    "iis",     "setting", "settings", "the machine's applicationHost.config",
    ".config", run_iis,   free_iis};

int planrun_same_file_refused(const char *input, const char *out, const char *option)
{
    if (!cli_same_file(input, out))
        return 0;
    fprintf(stderr,
            "mgwauth: error: %s: %s is the input file %s itself; refused even with --force "
            "(choose another path)\n",
            option, out, input);
    return 1;
}

int planrun_write(const char *dir, planrun_file *files, size_t count, unsigned force, int r)
{
    mgw_fileset_t *fs = NULL;
    if (r == MGW_OK && (fs = mgw_fileset_new()) == NULL)
        r = MGW_ERR_NO_MEMORY;
    for (size_t i = 0; i < count && r == MGW_OK; i++) {
        char *path = files[i].skip ? NULL : cli_path(dir, files[i].name, "");
        if (!files[i].skip)
            r = path == NULL ? MGW_ERR_NO_MEMORY
                             : mgw_fileset_add(fs, path, files[i].data, files[i].len,
                                               force | files[i].flags);
        free(path);
    }
    if (r == MGW_OK)
        r = mgw_fileset_commit(fs);
    mgw_fileset_free(&fs);
    for (size_t i = 0; i < count; i++) {
        char *stale =
            r == MGW_OK && files[i].skip && force ? cli_path(dir, files[i].name, "") : NULL;
        if (stale != NULL)
            cli_remove(stale);
        free(stale);
        mgw_free(files[i].data);
        files[i].data = NULL;
    }
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

/* DIR-of-plan/backup-before-<name><what>-YYYYMMDDThhmmssZ<ext> */
static char *default_backup(const char *plan_path, const char *name, const char *what,
                            const char *ext)
{
    const char *slash = strrchr(plan_path, '/'), *bslash = strrchr(plan_path, '\\');
    if (bslash != NULL && (slash == NULL || bslash > slash))
        slash = bslash; /* a Windows path */
    char stamp[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) != NULL)
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    int dir = slash != NULL ? (int)(slash - plan_path) + 1 : 0;
    size_t len = (size_t)dir + strlen(name) + strlen(what) + strlen(ext) + 64;
    char *p = malloc(len);
    if (p != NULL)
        snprintf(p, len, "%.*sbackup-before-%s%s-%s%s", dir, plan_path, name, what, stamp, ext);
    return p;
}

int planrun_usage(const planrun_command *cmd, const char *what)
{
    return cli_usage("%s %s needs --plan DIR/plan.json and either %s or --live", cmd->kind->name,
                     what, cmd->target_usage);
}

int planrun_main(const planrun_command *cmd, int argc, char **argv, bool undo)
{
    cli_opt o[] = {
        OPT("plan", true, false),   OPT(cmd->target_option, true, false), OPT("live", false, false),
        OPT("backup", true, false), OPT("force", false, false),
    };
    size_t n = N(o);
    const char *what = undo ? "rollback" : "apply";
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    const char *plan_path = cli_value(o, n, "plan");
    if (plan_path == NULL)
        return planrun_usage(cmd, what);
    const planrun_kind *kind = cmd->kind;
    char *target = NULL, *backup = NULL;
    void *plan = NULL;
    int changed = 0, rc = cmd->target(o, n, what, &target);
    if (rc != 0)
        goto done;
    rc = 1;
    backup = cli_value(o, n, "backup") != NULL
                 ? strdup(cli_value(o, n, "backup"))
                 : default_backup(plan_path, cmd->backup_name, what, kind->ext);
    if (backup == NULL || cmd->load(plan_path, &plan) != 0)
        goto done;
    if (cmd->backup_not_target && target != NULL &&
        planrun_same_file_refused(target, backup, "--backup"))
        goto done;
    unsigned force = cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0;
    int r = kind->run(plan, target, backup, force, undo, &changed);
    if (r != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    const char *where = target != NULL ? target : kind->live_name;
    if (changed == 0)
        printf("Nothing changed: %s %s of the plan.\n", where, cmd->nothing[undo]);
    else
        printf("%s %d %s in %s.\n%s: %s\n", undo ? "Rolled back" : "Applied", changed,
               cli_plural((size_t)changed, kind->unit, kind->units), where, cmd->backup_line,
               backup);
    rc = 0;
done:
    free(backup);
    free(target);
    if (plan != NULL)
        kind->free(plan);
    return rc;
}
