/* mgwauth iis show|plan|apply|rollback. */
#include "cli.h"
#include "planrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --config FILE or, on Windows, --live: the path of the file to read. */
static int config_path(cli_opt *o, size_t n, char **path)
{
    const char *file = cli_value(o, n, "config");
    bool live = cli_get(o, n, "live")->seen;
    if ((file == NULL) == !live)
        return cli_usage("give either --config FILE or --live");
    if (file != NULL) {
        *path = strdup(file);
        return *path != NULL ? 0 : cli_fail(MGW_ERR_NO_MEMORY, NULL);
    }
    char *p = NULL;
    int r = mgw_iis_live_path(&p);
    if (r != MGW_OK)
        return cli_fail(r, "--live");
    *path = strdup(p);
    mgw_free(p);
    return *path != NULL ? 0 : cli_fail(MGW_ERR_NO_MEMORY, NULL);
}

static int load_config(const char *path, mgw_iisconfig_t **cfg)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int r = mgw_file_read(path, mgw_iis_max_file_size(), &data, &len);
    if (r == MGW_OK)
        r = mgw_iisconfig_parse(data, len, cfg);
    mgw_free(data);
    return r == MGW_OK ? 0 : cli_fail(r, path);
}

int cmd_iis_show(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("config", true, false),
        OPT("live", false, false),
        OPT("json", false, false),
    };
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    char *path = NULL, *text = NULL;
    mgw_iisconfig_t *cfg = NULL;
    int rc = config_path(o, n, &path);
    if (rc == 0 && (rc = load_config(path, &cfg)) == 0) {
        int r = mgw_iisconfig_describe(
            cfg, cli_get(o, n, "json")->seen ? MGW_DESCRIBE_JSON : MGW_DESCRIBE_TEXT, &text);
        if (r == MGW_OK)
            fputs(text, stdout);
        else
            rc = cli_fail(r, NULL);
    }
    mgw_free(text);
    mgw_iisconfig_free(&cfg);
    free(path);
    return rc;
}

static const struct {
    const char *name;
    int which;
    unsigned flags;
} outputs[] = {
    /* the configuration may hold (encrypted) secrets: owner only */
    {"applicationHost.config", MGW_IISPLAN_DESIRED, MGW_FILE_PRIVATE},
    {"backup.config", MGW_IISPLAN_BACKUP, MGW_FILE_PRIVATE},
    {"appcmd.cmd", MGW_IISPLAN_APPCMD, 0},
    {"appcmd-rollback.cmd", MGW_IISPLAN_APPCMD_ROLLBACK, 0},
    {"plan.json", 0, 0},
};

/* Stage the five outputs and write them all, or none. Scripts a plan
 * cannot have (a '"' in a name; the plan warns) are skipped, and an old one
 * of the same name is removed so that none from another plan stays. */
static int write_plan(const mgw_iisplan_t *plan, const char *dir, unsigned force, const char *input,
                      bool *scripts)
{
    for (size_t i = 0; i < N(outputs); i++) {
        char *path = cli_path(dir, outputs[i].name, "");
        int refused = path != NULL ? planrun_same_file_refused(input, path, "--out") : 0;
        free(path);
        if (refused)
            return 1;
    }
    planrun_file files[N(outputs)] = {{0}};
    int r = MGW_OK;
    *scripts = true;
    for (size_t i = 0; i < N(outputs) && r == MGW_OK; i++) {
        planrun_file *f = &files[i];
        bool script = outputs[i].which == MGW_IISPLAN_APPCMD ||
                      outputs[i].which == MGW_IISPLAN_APPCMD_ROLLBACK;
        f->name = outputs[i].name;
        f->flags = outputs[i].flags;
        if (outputs[i].which != 0)
            r = mgw_iisplan_output(plan, outputs[i].which, &f->data, &f->len);
        else if ((r = mgw_iisplan_describe(plan, MGW_DESCRIBE_JSON, (char **)&f->data)) == MGW_OK)
            f->len = strlen((char *)f->data);
        if (r == MGW_ERR_IIS_CONFIG && script) {
            *scripts = false;
            f->skip = true;
            r = MGW_OK;
        }
    }
    return planrun_write(dir, files, N(files), force, r);
}

static int set_options(cli_opt *o, size_t n, mgw_iisopts_t *opts)
{
    const char *site = cli_value(o, n, "site");
    int r = MGW_OK;
    if (site != NULL && (r = mgw_iisopts_set_site(opts, site)) != MGW_OK)
        return cli_usage("--site: %s", mgw_last_error());
    cli_opt *b = cli_get(o, n, "binding");
    for (size_t i = 0; i < b->count; i++)
        if ((r = mgw_iisopts_add_binding(opts, b->values[i])) != MGW_OK)
            return cli_usage("--binding: %s", mgw_last_error());
    r = mgw_iisopts_set_disable_tls13(opts, cli_get(o, n, "disable-tls13")->seen);
    if (r == MGW_OK)
        r = mgw_iisopts_set_cert_in_handshake(
            opts, cli_get(o, n, "negotiate-client-cert-in-handshake")->seen);
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

int cmd_iis_plan(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("config", true, false),
        OPT("live", false, false),
        OPT("site", true, false),
        OPT("binding", true, true),
        OPT("disable-tls13", false, false),
        OPT("negotiate-client-cert-in-handshake", false, false),
        OPT("out", true, false),
        OPT("force", false, false),
    };
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    const char *dir = cli_value(o, n, "out");
    if (dir == NULL)
        return cli_usage("--out DIR is required");
    mgw_iisopts_t *opts = mgw_iisopts_new();
    mgw_iisconfig_t *cfg = NULL;
    mgw_iisplan_t *plan = NULL;
    char *path = NULL, *table = NULL;
    int rc = 1, r;
    if (opts == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    if ((rc = set_options(o, n, opts)) != 0 || (rc = config_path(o, n, &path)) != 0 ||
        (rc = load_config(path, &cfg)) != 0)
        goto done;
    rc = 1;
    if ((r = mgw_iisplan_compute(opts, cfg, &plan)) != MGW_OK ||
        (r = mgw_iisplan_describe(plan, MGW_DESCRIBE_TEXT, &table)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    bool scripts = true;
    if (cli_mkdirs(dir) != 0 ||
        write_plan(plan, dir, cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0, path, &scripts) !=
            0)
        goto done;
    fputs(table, stdout);
    if (scripts)
        printf("\nwrote: %s/applicationHost.config (the desired file), %s/backup.config (the "
               "current one),\n       %s/appcmd.cmd and appcmd-rollback.cmd (the same with "
               "appcmd), %s/plan.json\n",
               dir, dir, dir, dir);
    else
        printf("\nwrote: %s/applicationHost.config (the desired file), %s/backup.config (the "
               "current one),\n       %s/plan.json; NOT appcmd.cmd and appcmd-rollback.cmd "
               "(see the warning)\n",
               dir, dir, dir);
    rc = 0;
done:
    mgw_free(table);
    free(path);
    mgw_iisplan_free(&plan);
    mgw_iisconfig_free(&cfg);
    mgw_iisopts_free(&opts);
    return rc;
}

/* plan.json with the desired file and the backup beside it. */
static int load_plan(const char *plan_path, void **plan)
{
    const char *slash = strrchr(plan_path, '/'), *bslash = strrchr(plan_path, '\\');
    if (bslash != NULL && (slash == NULL || bslash > slash))
        slash = bslash;
    int dir = slash != NULL ? (int)(slash - plan_path) + 1 : 0;
    static const char *const names[] = {"applicationHost.config", "backup.config"};
    uint8_t *data[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    int rc = cli_read(plan_path, &data[0], &len[0]);
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        size_t plen = (size_t)dir + strlen(names[i]) + 1;
        char *p = malloc(plen);
        if (p == NULL) {
            rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
            break;
        }
        snprintf(p, plen, "%.*s%s", dir, plan_path, names[i]);
        int r = mgw_file_read(p, mgw_iis_max_file_size(), &data[i + 1], &len[i + 1]);
        if (r != MGW_OK)
            rc = cli_fail(r, p);
        free(p);
    }
    if (rc == 0) {
        int r = mgw_iisplan_load(data[0], len[0], data[1], len[1], data[2], len[2],
                                 (mgw_iisplan_t **)plan);
        if (r != MGW_OK)
            rc = cli_fail(r, plan_path);
    }
    for (size_t i = 0; i < 3; i++)
        mgw_free(data[i]);
    return rc;
}

/* --config FILE, or with --live the machine's file. */
static int run_target(cli_opt *o, size_t n, const char *what, char **path)
{
    (void)what;
    return config_path(o, n, path);
}

static const planrun_command run = {
    .kind = &planrun_iis,
    .target_option = "config",
    .target_usage = "--config FILE",
    .target = run_target,
    .load = load_plan,
    .backup_name = "iis-",
    .backup_not_target = true,
    .nothing = {"already is the desired file", "already is the original file"},
    .backup_line = "backup of the file before",
};

int cmd_iis_apply(int argc, char **argv)
{
    return planrun_main(&run, argc, argv, false);
}

int cmd_iis_rollback(int argc, char **argv)
{
    return planrun_main(&run, argc, argv, true);
}
