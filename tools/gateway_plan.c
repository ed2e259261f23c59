/* mgwauth gateway plan: the steps in order, each with its own files in
 * OUT/<step>/, and OUT/plan.json listing them (read by gwplan.c). */
#include "gateway.h"
#include "gwplan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <direct.h>
#define getcwd _getcwd
#else
#include <unistd.h>
#endif

/* A JSON string of a value the plan file holds (no control characters). */
static int put_json(mgw_fileset_t *fs, char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    CLI_PRINTF(5, 6);

static int put_json(mgw_fileset_t *fs, char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    (void)fs;
    char tmp[8192];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof(tmp))
        return MGW_ERR_TOO_LARGE;
    if (*len + (size_t)w + 1 > *cap) {
        size_t ncap = (*cap + (size_t)w + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (nb == NULL)
            return MGW_ERR_NO_MEMORY;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, tmp, (size_t)w + 1);
    *len += (size_t)w;
    return MGW_OK;
}

int gw_escape(const char *value, char *out, size_t size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f || n + 3 >= size) {
            fprintf(stderr, "mgwauth: error: '%s': %s\n", value,
                    n + 3 >= size ? "too long for the plan" : "a control character");
            return REPORTED;
        }
        if (*p == '"' || *p == '\\')
            out[n++] = '\\';
        out[n++] = (char)*p;
    }
    out[n] = '\0';
    return MGW_OK;
}

static bool is_file_field(const char *k)
{
    for (size_t f = 0; f < N(step_file_fields); f++)
        if (strcmp(k, step_file_fields[f]) == 0)
            return true;
    return false;
}

typedef struct {
    mgw_fileset_t *fs;
    const char *dir;
    unsigned force;
    char *json;
    size_t len, cap, steps;
    /* the SHA-256 of every staged file, by its path in the plan directory */
    char **staged, **sha256;
    size_t n_staged, cap_staged;
} plan_out;

/* Stage OUT/rel with data, and remember its SHA-256 for the step line. */
static int stage(plan_out *po, const char *rel, const uint8_t *data, size_t len, unsigned extra)
{
    if (po->n_staged == po->cap_staged) {
        size_t ncap = po->cap_staged ? 2 * po->cap_staged : 32;
        char **ns = realloc(po->staged, ncap * sizeof(*ns));
        if (ns != NULL)
            po->staged = ns;
        char **nh = ns != NULL ? realloc(po->sha256, ncap * sizeof(*nh)) : NULL;
        if (nh == NULL)
            return MGW_ERR_NO_MEMORY;
        po->sha256 = nh;
        po->cap_staged = ncap;
    }
    char *path = cli_path(po->dir, rel, ""), *hex = NULL;
    if (path == NULL)
        return MGW_ERR_NO_MEMORY;
    int r = mgw_digest_hex(MGW_DIGEST_SHA256, data, len, &hex);
    if (r == MGW_OK)
        r = mgw_fileset_add(po->fs, path, data, len, po->force | extra);
    if (r == MGW_OK && (po->staged[po->n_staged] = strdup(rel)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK)
        po->sha256[po->n_staged++] = hex;
    else
        mgw_free(hex);
    free(path);
    return r;
}

static void plan_out_free(plan_out *po)
{
    for (size_t i = 0; i < po->n_staged; i++) {
        free(po->staged[i]);
        mgw_free(po->sha256[i]);
    }
    free(po->staged);
    free(po->sha256);
    po->staged = po->sha256 = NULL;
    po->n_staged = po->cap_staged = 0;
}

static const char *staged_sha256(const plan_out *po, const char *rel)
{
    for (size_t i = 0; i < po->n_staged; i++)
        if (strcmp(po->staged[i], rel) == 0)
            return po->sha256[i];
    return NULL;
}

/* A step's target as apply finds it from any directory: a relative path
 * joined to the current directory; "live", "scheduler", system stores and
 * absolute paths as they are. NULL when out of memory or no directory. */
static char *absolute_target(const char *v)
{
    bool as_is = strcmp(v, "live") == 0 || strcmp(v, "scheduler") == 0 || gw_is_system_store(v) ||
                 v[0] == '/';
#ifdef _WIN32
    as_is = as_is || v[0] == '\\' ||
            (((v[0] | 0x20) >= 'a' && (v[0] | 0x20) <= 'z') && v[1] == ':' &&
             (v[2] == '\\' || v[2] == '/'));
#endif
    if (as_is)
        return strdup(v);
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        fprintf(stderr, "mgwauth: error: the current directory: %s\n", strerror(errno));
        return NULL;
    }
    if (strncmp(v, "./", 2) == 0)
        v += 2;
    return cli_path(cwd, v, "");
}

/* One step line: pairs of name, value (NULL-terminated list); the targets
 * (store, target, backup_dir) are written as absolute paths. */
static int step_line(plan_out *po, const char *name, ...)
{
    char esc[4200];
    int r = put_json(po->fs, &po->json, &po->len, &po->cap, "%s{\"step\": \"%s\"",
                     po->steps > 0 ? ",\n" : "", name);
    va_list ap;
    va_start(ap, name);
    for (const char *k; r == MGW_OK && (k = va_arg(ap, const char *)) != NULL;) {
        const char *v = va_arg(ap, const char *);
        char *abs = NULL;
        if (strcmp(k, "store") == 0 || strcmp(k, "target") == 0 || strcmp(k, "backup_dir") == 0) {
            if ((abs = absolute_target(v)) == NULL) {
                r = REPORTED;
                break;
            }
            v = abs;
        }
        r = gw_escape(v, esc, sizeof(esc));
        free(abs);
        if (r == MGW_OK)
            r = put_json(po->fs, &po->json, &po->len, &po->cap, ", \"%s\": \"%s\"", k, esc);
        const char *sha = is_file_field(k) ? staged_sha256(po, v) : NULL;
        if (r == MGW_OK && sha != NULL)
            r = put_json(po->fs, &po->json, &po->len, &po->cap, ", \"%s_sha256\": \"%s\"", k,
                         sha);
    }
    va_end(ap);
    if (r == MGW_OK)
        r = put_json(po->fs, &po->json, &po->len, &po->cap, "}");
    po->steps++;
    return r;
}

static int plan_client_cert(const inputs *in, plan_out *po)
{
    uint8_t *der = NULL;
    size_t len = 0;
    int r = mgw_cert_export(in->cert, MGW_FORMAT_DER, &der, &len);
    if (r == MGW_OK)
        r = stage(po, "client-cert/client.cer", der, len, 0);
    mgw_free(der);
    /* on the machine into the binding's issuer store when there is one */
    char issuer[128];
    const char *target = in->store;
    if (in->live && in->issuer_store != NULL) {
        snprintf(issuer, sizeof(issuer), "LocalMachine\\%s", in->issuer_store);
        target = issuer;
    }
    if (r == MGW_OK)
        r = step_line(po, "client-cert", "cert", "client-cert/client.cer", "store", target,
                      "thumbprint", in->thumb, (char *)NULL);
    printf("1. client-cert: %s into %s\n", in->thumb, target);
    return r;
}

static int plan_registry(const inputs *in, plan_out *po, bool autoupdate, size_t *changes)
{
    mgw_regstate_t *st = mgw_regstate_new();
    mgw_regopts_t *opts = mgw_regopts_new();
    mgw_regplan_t *plan = NULL;
    int r = st == NULL || opts == NULL ? MGW_ERR_NO_MEMORY : gw_read_registry(in, st);
    if (r == MGW_OK)
        r = gw_registry_options(in, opts);
    if (r == MGW_OK && autoupdate)
        r = mgw_regopts_set_root_autoupdate(opts, 1, 0);
    if (r == MGW_OK)
        r = mgw_regplan_compute(opts, st, &plan);
    static const struct {
        int which;
        const char *name;
    } files[] = {{MGW_REGPLAN_SECURITY, "registry/security.reg"},
                 {MGW_REGPLAN_ROLLBACK, "registry/rollback.reg"},
                 {MGW_REGPLAN_BACKUP, "registry/backup.reg"}};
    for (size_t i = 0; r == MGW_OK && i < N(files); i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        r = mgw_regplan_reg_file(plan, files[i].which, &data, &len);
        if (r == MGW_OK)
            r = stage(po, files[i].name, data, len, 0);
        mgw_free(data);
    }
    char *json = NULL;
    if (r == MGW_OK)
        r = mgw_regplan_describe(plan, MGW_DESCRIBE_JSON, &json);
    if (r == MGW_OK)
        r = stage(po, "registry/plan.json", (const uint8_t *)json, strlen(json), 0);
    if (r == MGW_OK)
        r = step_line(po, "registry", "plan", "registry/plan.json", "target",
                      in->live ? "live" : in->registry_file,
                      (char *)NULL);
    if (r == MGW_OK) {
        *changes = mgw_regplan_change_count(plan);
        printf("2. registry: %zu %s in %s\n", *changes, cli_plural(*changes, "change", "changes"),
               in->live ? "the registry" : in->registry_file);
    }
    mgw_free(json);
    mgw_regplan_free(&plan);
    mgw_regopts_free(&opts);
    mgw_regstate_free(&st);
    return r;
}

static int plan_iis(const inputs *in, plan_out *po)
{
    uint8_t *data = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    mgw_iisconfig_t *cfg = NULL;
    mgw_iisopts_t *opts = mgw_iisopts_new();
    mgw_iisplan_t *plan = NULL;
    char *json = NULL;
    int r = opts == NULL ? MGW_ERR_NO_MEMORY
                         : mgw_file_read(in->iis_config, mgw_iis_max_file_size(), &data, &len);
    if (r == MGW_OK)
        r = mgw_iisconfig_parse(data, len, &cfg);
    if (r == MGW_OK && in->site != NULL)
        r = mgw_iisopts_set_site(opts, in->site);
    if (r == MGW_OK)
        r = mgw_iisopts_set_disable_tls13(opts, flag(in, "disable-tls13"));
    if (r == MGW_OK)
        r = mgw_iisopts_set_cert_in_handshake(opts, flag(in, "negotiate-client-cert"));
    if (r == MGW_OK)
        r = mgw_iisplan_compute(opts, cfg, &plan);
    if (r == MGW_OK)
        r = mgw_iisplan_output(plan, MGW_IISPLAN_DESIRED, &out, &out_len);
    if (r == MGW_OK)
        r = stage(po, "iis/applicationHost.config", out, out_len, MGW_FILE_PRIVATE);
    mgw_free(out);
    out = NULL;
    if (r == MGW_OK)
        r = mgw_iisplan_output(plan, MGW_IISPLAN_BACKUP, &out, &out_len);
    if (r == MGW_OK)
        r = stage(po, "iis/backup.config", out, out_len, MGW_FILE_PRIVATE);
    if (r == MGW_OK)
        r = mgw_iisplan_describe(plan, MGW_DESCRIBE_JSON, &json);
    if (r == MGW_OK)
        r = stage(po, "iis/plan.json", (const uint8_t *)json, strlen(json), 0);
    if (r == MGW_OK)
        r = step_line(po, "iis", "plan", "iis/plan.json", "desired", "iis/applicationHost.config",
                      "backup", "iis/backup.config", "target", in->live ? "live" : in->iis_config,
                      (char *)NULL);
    if (r == MGW_OK)
        printf("3. iis: %zu %s in %s\n", mgw_iisplan_change_count(plan),
               cli_plural(mgw_iisplan_change_count(plan), "change", "changes"), in->iis_config);
    mgw_free(json);
    mgw_free(out);
    mgw_iisplan_free(&plan);
    mgw_iisopts_free(&opts);
    mgw_iisconfig_free(&cfg);
    mgw_free(data);
    return r;
}

/* The root plan of a store: the keep-list and the client certificate kept. */
int gw_root_plan(const char *store_dir, const uint8_t *keep, size_t keep_len,
                     const char *keep_name, const char *thumb, mgw_store_t **store,
                     mgw_rootplan_t **plan)
{
    mgw_rootopts_t *opts = mgw_rootopts_new();
    int r = opts == NULL ? MGW_ERR_NO_MEMORY
                         : mgw_rootopts_add_keep_file(opts, keep, keep_len, keep_name);
    if (r == MGW_OK && thumb != NULL)
        r = mgw_rootopts_add_keep(opts, thumb);
    if (r == MGW_OK)
        r = mgw_rootopts_set_allow_missing(opts, 1);
    if (r == MGW_OK)
        r = gw_open_store(store_dir, store);
    if (r == MGW_OK)
        r = mgw_rootplan_compute(*store, opts, plan);
    size_t policy = r == MGW_OK ? mgw_rootplan_count(*plan, MGW_ROOT_POLICY) : 0;
    if (policy > 0)
        printf("   kept: %zu %s that Group Policy or the enterprise store put there (policy "
               "puts %s back)\n",
               policy, cli_plural(policy, "certificate", "certificates"),
               policy == 1 ? "it" : "them");
    mgw_rootopts_free(&opts);
    return r;
}

char *gw_removals(const mgw_rootplan_t *plan)
{
    size_t n = mgw_rootplan_count(plan, 0), len = 0;
    char *list = calloc(n * 41 + 1, 1);
    for (size_t i = 0; list != NULL && i < n; i++) {
        int action = 0;
        char *tp = NULL;
        if (mgw_rootplan_entry(plan, i, &action, &tp, NULL) == MGW_OK && action == MGW_ROOT_REMOVE) {
            len += (size_t)sprintf(list + len, "%s\n", tp);
        }
        mgw_free(tp);
    }
    return list;
}

/* Certificates in the trust store that are not self-signed (a cause of IIS
 * 403.16) are copied to the intermediate store before the prune removes
 * them from the trust store: moved, not deleted. Each goes in as
 * intermediates/SHA1.cer; intermediates/move.txt lists them and
 * intermediates/sha256.txt holds the SHA-256 of each file. */
static int plan_intermediates(const inputs *in, plan_out *po, const char *target)
{
    mgw_store_t *store = NULL;
    char *list = NULL, *hashes = NULL;
    size_t len = 0, n = 0, hashes_len = 0;
    int r = gw_open_store(in->store, &store);
    size_t count = r == MGW_OK ? mgw_store_cert_count(store) : 0;
    if (r == MGW_OK && ((list = calloc(count * 41 + 1, 1)) == NULL ||
                        (hashes = calloc(count * 128 + 1, 1)) == NULL))
        r = MGW_ERR_NO_MEMORY;
    for (size_t i = 0; r == MGW_OK && i < count; i++) {
        uint8_t *der = NULL;
        size_t der_len = 0;
        mgw_cert_t *c = NULL;
        char *tp = NULL, rel[80];
        if ((r = mgw_store_cert_der(store, i, &der, &der_len)) == MGW_OK &&
            mgw_cert_parse(der, der_len, &c) == MGW_OK &&
            mgw_cert_check_issuer(c, c) == MGW_ERR_CERT_SIGNATURE &&
            (r = mgw_store_cert(store, i, &tp, NULL, NULL)) == MGW_OK &&
            (in->thumb == NULL || strcmp(tp, in->thumb) != 0) && strstr(list, tp) == NULL) {
            snprintf(rel, sizeof(rel), "intermediates/%s.cer", tp);
            r = stage(po, rel, der, der_len, 0);
            if (r == MGW_OK) {
                len += (size_t)sprintf(list + len, "%s\n", tp);
                hashes_len += (size_t)sprintf(hashes + hashes_len, "%s  %s\n",
                                              po->sha256[po->n_staged - 1], rel);
                n++;
            }
        }
        mgw_free(tp);
        mgw_cert_free(&c);
        mgw_free(der);
    }
    if (r == MGW_OK)
        r = stage(po, "intermediates/move.txt", (const uint8_t *)list, len, 0);
    if (r == MGW_OK)
        r = stage(po, "intermediates/sha256.txt", (const uint8_t *)hashes, hashes_len, 0);
    if (r == MGW_OK)
        r = step_line(po, "intermediates", "list", "intermediates/move.txt", "hashes",
                      "intermediates/sha256.txt", "store", target, (char *)NULL);
    if (r == MGW_OK)
        printf("   intermediates: %zu not self-signed in %s, moved to %s before the prune\n", n,
               in->store, target);
    free(hashes);
    free(list);
    mgw_store_free(&store);
    return r;
}

static int plan_roots(const inputs *in, plan_out *po, const char *backup_dir)
{
    uint8_t *keep = NULL;
    size_t len = 0;
    mgw_store_t *store = NULL;
    mgw_rootplan_t *plan = NULL;
    char *list = NULL;
    int r = mgw_file_read(in->keep_file, 1u << 24, &keep, &len);
    char server[41], why_not[600], extra[120] = "";
    gw_server_root(in, server, why_not, sizeof(why_not));
    if (server[0] != '\0')
        snprintf(extra, sizeof(extra), "\n# the root of the binding's server certificate\n%s\n",
                 server);
    else
        printf("   note: the root of the binding's server certificate is not kept by itself: %s\n",
               why_not);
    uint8_t *all = NULL;
    size_t all_len = len + strlen(extra);
    if (r == MGW_OK && (all = malloc(all_len + 1)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK) {
        memcpy(all, keep, len);
        memcpy(all + len, extra, strlen(extra));
        r = gw_root_plan(in->store, all, all_len, in->keep_file, in->thumb, &store, &plan);
    }
    if (r == MGW_OK)
        r = stage(po, "roots/keep.txt", all, all_len, 0);
    if (r == MGW_OK && server[0] != '\0')
        printf("   keeps %s, the root of the binding's server certificate\n", server);
    free(all);
    if (r == MGW_OK && (list = gw_removals(plan)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK)
        r = stage(po, "roots/remove.txt", (const uint8_t *)list, strlen(list), 0);
    if (r == MGW_OK)
        r = step_line(po, "roots", "store", in->store, "keep", "roots/keep.txt", "thumbprint",
                      in->thumb != NULL ? in->thumb : "", "remove", "roots/remove.txt",
                      "backup_dir", backup_dir, (char *)NULL);
    if (r == MGW_OK)
        printf("4. roots: remove %zu of %zu in %s (backups into %s)\n",
               mgw_rootplan_count(plan, MGW_ROOT_REMOVE), mgw_rootplan_count(plan, 0), in->store,
               backup_dir);
    free(list);
    mgw_rootplan_free(&plan);
    mgw_store_free(&store);
    mgw_free(keep);
    return r;
}

/* An argument as the Windows command line parser reads it back (the
 * quoting of CommandLineToArgvW). */
static void win_arg(char *out, size_t *len, const char *arg)
{
    if (arg[0] != '\0' && strpbrk(arg, " \t\"") == NULL) {
        *len += (size_t)sprintf(out + *len, " %s", arg);
        return;
    }
    out[(*len)++] = ' ';
    out[(*len)++] = '"';
    for (const char *p = arg;; p++) {
        size_t bs = 0;
        for (; *p == '\\'; p++)
            bs++;
        size_t times = *p == '\0' ? 2 * bs : *p == '"' ? 2 * bs + 1 : bs;
        for (size_t i = 0; i < times; i++)
            out[(*len)++] = '\\';
        if (*p == '\0')
            break;
        out[(*len)++] = *p;
    }
    out[(*len)++] = '"';
    out[*len] = '\0';
}

#define TASK_DEFAULT_EXE "C:\\Program Files\\mgwauth\\mgwauth.exe"

/* roots prune's arguments for the re-prune task: the admin's keep-file and
 * --keep for the client certificate and the server certificate's root. */
static char *task_prune_args(const char *store, const char *keep_file, const char *backup_dir,
                             const char *client, const char *server)
{
    size_t cap = 256 + 2 * (strlen(store) + strlen(keep_file) + strlen(backup_dir)) + 3 * 3, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    len = (size_t)sprintf(out, "roots prune %s", gw_is_system_store(store) ? "--system-store" : "--store");
    win_arg(out, &len, store);
    len += (size_t)sprintf(out + len, " --keep-file");
    win_arg(out, &len, keep_file);
    len += (size_t)sprintf(out + len, " --backup-dir");
    win_arg(out, &len, backup_dir);
    if (client != NULL && client[0] != '\0')
        len += (size_t)sprintf(out + len, " --keep %s", client);
    if (server != NULL && server[0] != '\0' && (client == NULL || strcmp(client, server) != 0))
        len += (size_t)sprintf(out + len, " --keep %s", server);
    sprintf(out + len, " --yes");
    return out;
}

static int plan_task(const inputs *in, plan_out *po, const char *interval, const char *backup_dir,
                     const char *target)
{
    mgw_taskopts_t *t = mgw_taskopts_new();
    uint8_t *xml = NULL;
    size_t len = 0;
    char *end;
    unsigned long minutes = strtoul(interval, &end, 10);
    if (strcmp(end, "m") == 0)
        ;
    else if (strcmp(end, "h") == 0)
        minutes *= 60;
    else
        minutes = 0;
    if (minutes == 0 || minutes > 44640) {
        mgw_taskopts_free(&t);
        fprintf(stderr, "mgwauth: error: --task-interval: minutes (15m) or hours (1h)\n");
        return REPORTED;
    }
    int r = t == NULL ? MGW_ERR_NO_MEMORY : mgw_taskopts_set_interval(t, (uint32_t)(minutes * 60));
    const char *store = in->live ? "LocalMachine\\Root" : in->store;
    /* the library checks the paths (absolute Windows paths, no control
     * characters); the command then also keeps what the plan keeps beyond
     * the admin's keep-file: the client certificate and the root of the
     * binding's server certificate (the task must never remove them) */
    if (r == MGW_OK)
        r = mgw_taskopts_set_prune_command(t, val(in, "task-exe"), store, in->keep_file,
                                           backup_dir);
    char server[41] = "", why_not[600], *args = NULL;
    if (r == MGW_OK)
        gw_server_root(in, server, why_not, sizeof(why_not));
    if (r == MGW_OK && (args = task_prune_args(store, in->keep_file, backup_dir, in->thumb,
                                               server)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK)
        r = mgw_taskopts_set_command(t, val(in, "task-exe") != NULL ? val(in, "task-exe")
                                                                    : TASK_DEFAULT_EXE,
                                     args);
    free(args);
    if (r == MGW_OK)
        r = mgw_task_xml(t, &xml, &len);
    if (r == MGW_OK)
        r = stage(po, "task/task.xml", xml, len, 0);
    if (r == MGW_OK)
        r = step_line(po, "task", "xml", "task/task.xml", "target", target, "name", in->task_name,
                      (char *)NULL);
    if (r == MGW_OK)
        printf("5. task: \"%s\" every %s, %s\n", in->task_name, interval,
               strcmp(target, "scheduler") == 0 ? "registered with the Task Scheduler" : target);
    mgw_free(xml);
    mgw_taskopts_free(&t);
    return r;
}

int cmd_gateway_plan(int argc, char **argv)
{
    cli_opt o[] = {
        GW_INPUT_OPTS,
        OPT("backup-dir", true, false),
        OPT("disable-root-autoupdate", false, false),
        OPT("task-interval", true, false),
        OPT("task-exe", true, false),
        OPT("out", true, false),
        OPT("force", false, false),
        OPT("move-intermediates", true, false),
    };
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    inputs in = gw_inputs(o, n);
    const char *out = val(&in, "out"), *interval = val(&in, "task-interval");
    bool autoupdate = flag(&in, "disable-root-autoupdate");
    if (autoupdate == (interval != NULL))
        return cli_usage("give one of --disable-root-autoupdate and --task-interval SPAN");
    if (interval != NULL && val(&in, "task-xml") == NULL)
        return cli_usage("--task-interval needs --task-xml FILE (where apply puts the task; "
                         "'scheduler' registers it with the Windows Task Scheduler)");
    char *live_iis = NULL;
    in.live = flag(&in, "live");
    if (in.live) {
        if (in.registry_file != NULL || in.iis_config != NULL)
            return cli_usage("--live replaces --registry-file and --iis-config");
        if (in.store == NULL)
            in.store = "LocalMachine\\Root";
        int lr = mgw_iis_live_path(&live_iis);
        if (lr != MGW_OK)
            return cli_fail(lr, "--live");
        in.iis_config = live_iis;
    }
    if (out == NULL || in.client_cert == NULL || in.store == NULL ||
        (in.registry_file == NULL && !in.live) || in.iis_config == NULL || in.keep_file == NULL) {
        mgw_free(live_iis);
        return cli_usage("gateway plan needs --client-cert, --store, --registry-file, "
                         "--iis-config (or --live), --keep-file and --out DIR");
    }
    if (gw_load_cert(&in) != 0) {
        mgw_free(live_iis);
        mgw_cert_free(&in.cert);
        return 1;
    }
    /* a plan applied here has its undo data here: never planned over */
    char *applied = cli_path(out, "applied", ".json");
    bool was_applied = applied != NULL && cli_exists(applied);
    if (was_applied)
        fprintf(stderr, "mgwauth: error: %s exists: this plan is applied; roll it back first "
                "(mgwauth gateway rollback --plan %s/plan.json), or plan into another "
                "directory\n", applied, out);
    free(applied);
    if (was_applied) {
        mgw_free(live_iis);
        mgw_cert_free(&in.cert);
        mgw_free(in.thumb);
        return 1;
    }
    char *default_backups = cli_path(out, "roots", "");
    const char *backup_dir = val(&in, "backup-dir") != NULL ? val(&in, "backup-dir")
                                                            : default_backups;
    plan_out po = {.fs = mgw_fileset_new(), .dir = out, .force = flag(&in, "force") ? MGW_FILE_FORCE : 0};
    size_t reg_changes = 0;
    int rc = 1, r = po.fs == NULL ? MGW_ERR_NO_MEMORY : cli_mkdirs(out) != 0 ? REPORTED : MGW_OK;
    const char *move_to = val(&in, "move-intermediates");
    if (move_to != NULL && strcmp(move_to, "live") == 0)
        move_to = "LocalMachine\\CA";
    static const char *const subdirs[] = {"client-cert", "registry", "iis", "roots",
                                          "intermediates", "task"};
    for (size_t i = 0; r == MGW_OK && i < N(subdirs); i++) {
        if ((i == 4 && move_to == NULL) || (i == 5 && interval == NULL))
            continue;
        char *d = cli_path(out, subdirs[i], "");
        r = d == NULL ? MGW_ERR_NO_MEMORY : cli_mkdirs(d) != 0 ? REPORTED : MGW_OK;
        free(d);
    }
    if (r == MGW_OK)
        r = put_json(po.fs, &po.json, &po.len, &po.cap, "%s\n", GWPLAN_HEAD);
    if (r == MGW_OK)
        r = plan_client_cert(&in, &po);
    if (r == MGW_OK)
        r = plan_registry(&in, &po, autoupdate, &reg_changes);
    if (r == MGW_OK)
        r = plan_iis(&in, &po);
    if (r == MGW_OK && move_to != NULL)
        r = plan_intermediates(&in, &po, move_to);
    if (r == MGW_OK)
        r = plan_roots(&in, &po, backup_dir);
    if (r == MGW_OK && interval != NULL)
        r = plan_task(&in, &po, interval, backup_dir, val(&in, "task-xml"));
    if (r == MGW_OK)
        r = put_json(po.fs, &po.json, &po.len, &po.cap, "\n%s\n", GWPLAN_TAIL);
    if (r == MGW_OK)
        r = stage(&po, "plan.json", (const uint8_t *)po.json, po.len, 0);
    if (r == MGW_OK)
        r = mgw_fileset_commit(po.fs);
    if (r == MGW_OK) {
        char *plan_path = cli_path(out, "plan.json", "");
        printf("wrote %s; apply with mgwauth gateway apply --plan %s\n", plan_path, plan_path);
        free(plan_path);
        rc = 0;
    } else if (r == MGW_ERR_EXISTS) {
        fprintf(stderr, "mgwauth: error: %s (use --force to overwrite)\n", mgw_last_error());
    } else if (r != REPORTED) {
        cli_fail(r, NULL);
    }
    free(po.json);
    plan_out_free(&po);
    mgw_fileset_free(&po.fs);
    free(default_backups);
    mgw_free(live_iis);
    mgw_free(in.thumb);
    mgw_cert_free(&in.cert);
    return rc;
}
