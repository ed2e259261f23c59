/* mgwauth registry plan|apply|rollback. */
#include "cli.h"
#include "planrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outputs[] = {"security.reg", "rollback.reg", "backup.reg", "plan.json"};

/* Import every --current file into one state, in the order given, or with
 * --live the keys the planner reads from the machine's registry. */
static int load_current(cli_opt *o, size_t n, mgw_regstate_t *st)
{
    cli_opt *cur = cli_get(o, n, "current");
    if (cli_get(o, n, "live")->seen) {
        if (cur->count > 0)
            return cli_usage("--live and --current exclude each other");
        int r = mgw_regstate_read_live(st, NULL);
        return r == MGW_OK ? 0 : cli_fail(r, "--live");
    }
    for (size_t i = 0; i < cur->count; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        int r = mgw_file_read(cur->values[i], mgw_reg_max_file_size(), &data, &len);
        if (r == MGW_OK)
            r = mgw_regstate_import(st, data, len);
        mgw_free(data);
        if (r != MGW_OK)
            return cli_fail(r, cur->values[i]);
    }
    return 0;
}

/* Turn the command-line options into plan options. */
static int set_options(cli_opt *o, size_t n, mgw_regopts_t *opts)
{
    int r = MGW_OK;
    const char *mode = cli_value(o, n, "trust-mode");
    if (mode != NULL) {
        if (strlen(mode) != 1 || mode[0] < '0' || mode[0] > '2')
            return cli_usage("--trust-mode must be 0, 1 or 2, not '%s'", mode);
        r = mgw_regopts_set_trust_mode(opts, mode[0] - '0');
    }
    const char *ip = cli_value(o, n, "binding"), *sni = cli_value(o, n, "sni-binding");
    const char *ccs = cli_value(o, n, "ccs-binding");
    if ((ip != NULL) + (sni != NULL) + (ccs != NULL) > 1)
        return cli_usage("--binding, --sni-binding and --ccs-binding exclude each other");
    if (r == MGW_OK && ccs != NULL && (r = mgw_regopts_set_ccs_binding(opts, ccs)) != MGW_OK)
        return cli_usage("--ccs-binding: %s", mgw_last_error());
    if (r == MGW_OK && ip != NULL && (r = mgw_regopts_set_binding(opts, ip)) != MGW_OK)
        return cli_usage("--binding: %s", mgw_last_error());
    if (r == MGW_OK && sni != NULL && (r = mgw_regopts_set_sni_binding(opts, sni)) != MGW_OK)
        return cli_usage("--sni-binding: %s", mgw_last_error());
    bool disable = cli_get(o, n, "disable-root-autoupdate")->seen;
    bool keep = cli_get(o, n, "keep-disallowed-updates")->seen;
    if (keep && !disable)
        return cli_usage("--keep-disallowed-updates goes with --disable-root-autoupdate");
    if (r == MGW_OK)
        r = mgw_regopts_set_revocation_check(opts, !cli_get(o, n, "no-revocation-check")->seen);
    if (r == MGW_OK)
        r = mgw_regopts_set_disable_tls13(opts, cli_get(o, n, "disable-tls13")->seen);
    if (r == MGW_OK)
        r = mgw_regopts_set_negotiate_client_cert(opts,
                                                  cli_get(o, n, "negotiate-client-cert")->seen);
    if (r == MGW_OK)
        r = mgw_regopts_set_root_autoupdate(opts, disable, keep);
    const char *store = cli_value(o, n, "issuer-store");
    if (r == MGW_OK && store != NULL && (r = mgw_regopts_set_issuer_store(opts, store)) != 0)
        return cli_usage("--issuer-store: %s", mgw_last_error());
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

static int set_client_cert(const char *path, mgw_regopts_t *opts)
{
    uint8_t *data = NULL;
    size_t len = 0;
    mgw_cert_t *cert = NULL;
    if (cli_read(path, &data, &len) != 0)
        return 1;
    int r = mgw_cert_parse(data, len, &cert);
    mgw_free(data);
    if (r == MGW_OK)
        r = mgw_regopts_set_client_cert(opts, cert);
    mgw_cert_free(&cert);
    return r == MGW_OK ? 0 : cli_fail(r, path);
}

/* Stage the four outputs and write them all, or none. */
static int write_plan(const mgw_regplan_t *plan, const char *dir, unsigned force)
{
    static const int which[] = {MGW_REGPLAN_SECURITY, MGW_REGPLAN_ROLLBACK, MGW_REGPLAN_BACKUP};
    planrun_file files[N(outputs)] = {{0}};
    int r = MGW_OK;
    for (size_t i = 0; i < N(outputs) && r == MGW_OK; i++) {
        planrun_file *f = &files[i];
        f->name = outputs[i];
        if (i < N(which))
            r = mgw_regplan_reg_file(plan, which[i], &f->data, &f->len);
        else if ((r = mgw_regplan_describe(plan, MGW_DESCRIBE_JSON, (char **)&f->data)) == MGW_OK)
            f->len = strlen((char *)f->data);
    }
    return planrun_write(dir, files, N(files), force, r);
}

int cmd_registry_plan(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("current", true, true),
        OPT("live", false, false),
        OPT("trust-mode", true, false),
        OPT("binding", true, false),
        OPT("sni-binding", true, false),
        OPT("ccs-binding", true, false),
        OPT("no-revocation-check", false, false),
        OPT("disable-tls13", false, false),
        OPT("negotiate-client-cert", false, false),
        OPT("issuer-store", true, false),
        OPT("disable-root-autoupdate", false, false),
        OPT("keep-disallowed-updates", false, false),
        OPT("client-cert", true, false),
        OPT("out", true, false),
        OPT("force", false, false),
    };
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    const char *dir = cli_value(o, n, "out");
    if (dir == NULL)
        return cli_usage("--out DIR is required");
    mgw_regopts_t *opts = mgw_regopts_new();
    mgw_regstate_t *st = mgw_regstate_new();
    mgw_regplan_t *plan = NULL;
    char *table = NULL;
    int rc = 1, r;
    if (opts == NULL || st == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    if ((rc = set_options(o, n, opts)) != 0)
        goto done;
    rc = 1;
    const char *cert = cli_value(o, n, "client-cert");
    if (cert != NULL && set_client_cert(cert, opts) != 0)
        goto done;
    if ((rc = load_current(o, n, st)) != 0)
        goto done;
    rc = 1;
    if ((r = mgw_regplan_compute(opts, st, &plan)) != MGW_OK ||
        (r = mgw_regplan_describe(plan, MGW_DESCRIBE_TEXT, &table)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    if (cli_mkdirs(dir) != 0 ||
        write_plan(plan, dir, cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0) != 0)
        goto done;
    fputs(table, stdout);
    printf("\nwrote: %s/security.reg (the changes), %s/rollback.reg (undoes them),\n"
           "       %s/backup.reg (export of the touched keys), %s/plan.json\n",
           dir, dir, dir, dir);
    rc = 0;
done:
    mgw_free(table);
    mgw_regplan_free(&plan);
    mgw_regstate_free(&st);
    mgw_regopts_free(&opts);
    return rc;
}

static const planrun_command run;

/* --registry-file FILE.reg, or NULL for the machine's registry with --live. */
static int run_target(cli_opt *o, size_t n, const char *what, char **path)
{
    const char *state = cli_value(o, n, "registry-file");
    bool live = cli_get(o, n, "live")->seen;
    if ((state == NULL) == !live)
        return planrun_usage(&run, what);
    *path = state != NULL ? strdup(state) : NULL;
    return state == NULL || *path != NULL ? 0 : cli_fail(MGW_ERR_NO_MEMORY, NULL);
}

static int load_plan(const char *plan_path, void **plan)
{
    uint8_t *json = NULL;
    size_t len = 0;
    if (cli_read(plan_path, &json, &len) != 0)
        return 1;
    int r = mgw_regplan_load(json, len, (mgw_regplan_t **)plan);
    mgw_free(json);
    return r == MGW_OK ? 0 : cli_fail(r, plan_path);
}

static const planrun_command run = {
    .kind = &planrun_registry,
    .target_option = "registry-file",
    .target_usage = "--registry-file FILE.reg",
    .target = run_target,
    .load = load_plan,
    .backup_name = "",
    .nothing = {"already has the desired values", "already has the before values"},
    .backup_line = "backup of the touched keys",
};

int cmd_registry_apply(int argc, char **argv)
{
    return planrun_main(&run, argc, argv, false);
}

int cmd_registry_rollback(int argc, char **argv)
{
    return planrun_main(&run, argc, argv, true);
}
