/* mgwauth gateway status: the machine (or the files standing for it) against
 * the procedure, one step per line with PASS, WARN or FAIL, the evidence and
 * the command that fixes it. Every step uses the library's own planners: a
 * step passes when its planner has nothing left to change. */
#include "cli.h"
#include "gwplan.h"
#include "json.h"
#include "planrun.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <direct.h>
#define getcwd _getcwd
#else
#include <unistd.h>
#endif

enum { PASS, WARN, FAIL };
static const char *const status_names[] = {"PASS", "WARN", "FAIL"};

typedef struct {
    const char *name;
    int status;
    char evidence[768];
    char fix[768];
} step;

typedef struct {
    step steps[10];
    size_t count;
} report;

static step *add_step(report *rep, const char *name, int status, const char *fix_fmt, ...)
    CLI_PRINTF(4, 5);

static step *add_step(report *rep, const char *name, int status, const char *fix_fmt, ...)
{
    step *s = &rep->steps[rep->count++];
    s->name = name;
    s->status = status;
    s->evidence[0] = s->fix[0] = '\0';
    if (fix_fmt != NULL && status != PASS) {
        va_list ap;
        va_start(ap, fix_fmt);
        vsnprintf(s->fix, sizeof(s->fix), fix_fmt, ap);
        va_end(ap);
    }
    return s;
}

static void evidence(step *s, const char *fmt, ...) CLI_PRINTF(2, 3);

static void evidence(step *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->evidence, sizeof(s->evidence), fmt, ap);
    va_end(ap);
}

/* The library's last error on one line. */
static const char *why(int r)
{
    const char *d = mgw_last_error();
    return d[0] != '\0' ? d : mgw_strerror(r);
}

/* What gateway status reads, and how. */
typedef struct {
    cli_opt *o;
    size_t n;
    bool live;
    const char *client_cert, *store, *registry_file, *iis_config, *task_xml, *keep_file;
    const char *issuer_store, *site, *task_name;
    mgw_cert_t *cert;
    char *thumb;
} inputs;

static const char *val(const inputs *in, const char *name)
{
    return cli_value(in->o, in->n, name);
}

static bool flag(const inputs *in, const char *name)
{
    return cli_get(in->o, in->n, name)->seen;
}

static const char *root_store_name(const inputs *in)
{
    return in->issuer_store != NULL ? in->issuer_store : "Root";
}

/* A Windows system store ("LocalMachine\\Root", "CurrentUser/My") or a directory. */
static bool is_system_store(const char *name)
{
    static const char *const locations[] = {"LocalMachine", "CurrentUser"};
    for (size_t i = 0; i < N(locations); i++) {
        size_t n = strlen(locations[i]);
        bool same = strlen(name) > n && (name[n] == '\\' || name[n] == '/');
        for (size_t k = 0; same && k < n; k++)
            same = (name[k] | 0x20) == (locations[i][k] | 0x20);
        if (same)
            return true;
    }
    return false;
}

static int open_store(const char *name, mgw_store_t **store)
{
    return is_system_store(name) ? mgw_store_open_system(name, store)
                                 : mgw_store_open_dir(name, store);
}

/* The trusted store: --store DIR, or with --live LocalMachine\Root (or the
 * issuer store). */
static int open_trust_store(const inputs *in, bool issuer, mgw_store_t **store, char *label,
                            size_t size)
{
    if (in->store != NULL) {
        snprintf(label, size, "%s", in->store);
        return open_store(in->store, store);
    }
    snprintf(label, size, "LocalMachine\\%s", issuer ? root_store_name(in) : "Root");
    return mgw_store_open_system(label, store);
}

static void step_client_cert(const inputs *in, report *rep)
{
    if (in->cert == NULL) {
        evidence(add_step(rep, "client-cert", WARN, "give --client-cert FILE.cer"),
                 "not checked: no --client-cert");
        return;
    }
    if (in->store == NULL && !in->live) {
        evidence(add_step(rep, "client-cert", WARN, "give --store DIR (or --live on Windows)"),
                 "not checked: no store");
        return;
    }
    char label[512];
    mgw_store_t *store = NULL;
    int r = open_trust_store(in, true, &store, label, sizeof(label));
    if (r != MGW_OK) {
        evidence(add_step(rep, "client-cert", FAIL, "check the store name and access"),
                 "%s: %s", label, why(r));
        return;
    }
    int found = 0; /* 1: the certificate itself, 2: its issuer */
    char *issuer_subject = NULL;
    for (size_t i = 0; i < mgw_store_cert_count(store) && found == 0; i++) {
        char *tp = NULL;
        uint8_t *der = NULL;
        size_t len = 0;
        mgw_cert_t *c = NULL;
        if (mgw_store_cert(store, i, &tp, NULL, NULL) == MGW_OK && strcmp(tp, in->thumb) == 0)
            found = 1;
        else if (mgw_store_cert_der(store, i, &der, &len) == MGW_OK &&
                 mgw_cert_parse(der, len, &c) == MGW_OK &&
                 mgw_cert_check_issuer(in->cert, c) == MGW_OK && mgw_cert_subject(c, &issuer_subject) == MGW_OK)
            found = 2;
        mgw_cert_free(&c);
        mgw_free(der);
        mgw_free(tp);
    }
    mgw_store_free(&store);
    if (found == 1)
        evidence(add_step(rep, "client-cert", PASS, NULL), "%s is in %s", in->thumb, label);
    else if (found == 2)
        evidence(add_step(rep, "client-cert", PASS, NULL), "its issuer %s is in %s",
                 issuer_subject, label);
    else
        evidence(add_step(rep, "client-cert", FAIL, "mgwauth store add %s%s %s",
                          in->store != NULL ? "--store " : "--system-store ", label,
                          in->client_cert),
                 "neither %s nor its issuer is in %s", in->thumb, label);
    mgw_free(issuer_subject);
}

static void step_expiry(const inputs *in, report *rep)
{
    if (in->cert == NULL)
        return;
    int64_t nb = 0, na = 0;
    mgw_cert_validity(in->cert, &nb, &na);
    int64_t now = (int64_t)time(NULL), days = (na - now) / 86400;
    char when[32];
    time_t t = (time_t)na;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    const char *fix = "mgwauth cert create ... (a new client certificate, pushed to the devices)";
    if (na <= now)
        evidence(add_step(rep, "client-cert-expiry", FAIL, "%s", fix), "expired %s", when);
    else if (days < 60)
        evidence(add_step(rep, "client-cert-expiry", WARN, "%s", fix),
                 "expires %s, in %lld days (under 60)", when, (long long)days);
    else
        evidence(add_step(rep, "client-cert-expiry", PASS, NULL), "valid until %s (%lld days)",
                 when, (long long)days);
}

/* The registry options of the procedure (as gateway plan uses them). */
static int registry_options(const inputs *in, mgw_regopts_t *opts)
{
    int r = MGW_OK;
    if (val(in, "binding") != NULL)
        r = mgw_regopts_set_binding(opts, val(in, "binding"));
    if (r == MGW_OK)
        r = mgw_regopts_set_disable_tls13(opts, flag(in, "disable-tls13"));
    if (r == MGW_OK)
        r = mgw_regopts_set_negotiate_client_cert(opts, flag(in, "negotiate-client-cert"));
    if (r == MGW_OK && in->issuer_store != NULL)
        r = mgw_regopts_set_issuer_store(opts, in->issuer_store);
    if (r == MGW_OK && in->cert != NULL)
        r = mgw_regopts_set_client_cert(opts, in->cert);
    return r;
}

static int read_registry(const inputs *in, mgw_regstate_t *st)
{
    if (in->live)
        return mgw_regstate_read_live(st, NULL);
    uint8_t *data = NULL;
    size_t len = 0;
    int r = mgw_file_read(in->registry_file, mgw_reg_max_file_size(), &data, &len);
    if (r == MGW_OK)
        r = mgw_regstate_import(st, data, len);
    mgw_free(data);
    return r;
}

/* Changes the registry plan would make; with autoupdate, DisableRootAutoUpdate too. */
static int registry_changes(const inputs *in, const mgw_regstate_t *st, bool autoupdate,
                            size_t *changes)
{
    mgw_regopts_t *opts = mgw_regopts_new();
    mgw_regplan_t *plan = NULL;
    int r = opts == NULL ? MGW_ERR_NO_MEMORY : registry_options(in, opts);
    if (r == MGW_OK && autoupdate)
        r = mgw_regopts_set_root_autoupdate(opts, 1, 0);
    if (r == MGW_OK)
        r = mgw_regplan_compute(opts, st, &plan);
    if (r == MGW_OK)
        *changes = mgw_regplan_change_count(plan);
    mgw_regplan_free(&plan);
    mgw_regopts_free(&opts);
    return r;
}

/* -1: registry not read; 0: root auto-update on; 1: disabled by policy value. */
static int step_registry(const inputs *in, report *rep)
{
    const char *src = in->live ? "the registry" : in->registry_file;
    if (src == NULL) {
        evidence(add_step(rep, "registry", WARN,
                          "give --registry-file STATE.reg (or --live on Windows)"),
                 "not checked: no registry");
        return -1;
    }
    mgw_regstate_t *st = mgw_regstate_new();
    size_t base = 0, with_policy = 0;
    int r = st == NULL ? MGW_ERR_NO_MEMORY : read_registry(in, st);
    if (r == MGW_OK)
        r = registry_changes(in, st, false, &base);
    if (r == MGW_OK)
        r = registry_changes(in, st, true, &with_policy);
    mgw_regstate_free(&st);
    if (r != MGW_OK) {
        evidence(add_step(rep, "registry", FAIL, "mgwauth registry plan (see its error)"), "%s: %s",
                 src, why(r));
        return -1;
    }
    if (base == 0)
        evidence(add_step(rep, "registry", PASS, NULL),
                 "SCHANNEL and HTTP.sys values in %s are as the procedure sets them", src);
    else {
        /* the registry plan with the options this status checked against */
        char opts[1024];
        snprintf(opts, sizeof(opts), "%s%s%s%s%s%s%s%s", val(in, "binding") ? " --binding " : "",
                 val(in, "binding") ? val(in, "binding") : "",
                 flag(in, "disable-tls13") ? " --disable-tls13" : "",
                 flag(in, "negotiate-client-cert") ? " --negotiate-client-cert" : "",
                 in->issuer_store ? " --issuer-store " : "", in->issuer_store ? in->issuer_store : "",
                 in->cert != NULL ? " --client-cert " : "", in->cert != NULL ? in->client_cert : "");
        evidence(add_step(rep, "registry", FAIL,
                          "mgwauth registry plan %s%s%s --out DIR, then mgwauth registry apply "
                          "--plan DIR/plan.json %s%s",
                          in->live ? "--live" : "--current ", in->live ? "" : src, opts,
                          in->live ? "--live" : "--registry-file ", in->live ? "" : src),
                 "%zu SCHANNEL/HTTP.sys %s in %s %s the procedure", base,
                 base == 1 ? "value" : "values", src, base == 1 ? "differs from" : "differ from");
    }
    return with_policy == base ? 1 : 0;
}

/* The SHA-1 of the binding's server certificate (SslCertHash) as the
 * registry plan reads it, upper-case, or "" when there is none. */
static void binding_cert_hash(const inputs *in, char hex[41])
{
    hex[0] = '\0';
    if (!in->live && in->registry_file == NULL)
        return;
    mgw_regstate_t *st = mgw_regstate_new();
    mgw_regopts_t *opts = mgw_regopts_new();
    mgw_regplan_t *plan = NULL;
    char *json = NULL;
    int r = st == NULL || opts == NULL ? MGW_ERR_NO_MEMORY : read_registry(in, st);
    if (r == MGW_OK)
        r = registry_options(in, opts);
    if (r == MGW_OK)
        r = mgw_regplan_compute(opts, st, &plan);
    if (r == MGW_OK)
        r = mgw_regplan_describe(plan, MGW_DESCRIBE_JSON, &json);
    json_value doc = {0};
    char err[200];
    if (r == MGW_OK && json_parse(json, strlen(json), &doc, err, sizeof(err)) == 0) {
        /* the SslCertHash item's data, as it is now (before) or as planned */
        const json_value *items = json_get(&doc, "items"), *data = NULL;
        for (size_t i = 0; items != NULL && items->type == JSON_ARRAY && i < items->count; i++) {
            const json_value *it = &items->items[i];
            const char *value = json_get_string(it, "value");
            if (data == NULL && value != NULL && strcmp(value, "SslCertHash") == 0)
                data = json_get(json_get(it, "before"), "data") != NULL
                           ? json_get(json_get(it, "before"), "data")
                           : json_get(json_get(it, "after"), "data");
        }
        size_t n = 0;
        const char *p = data != NULL && data->type == JSON_STRING ? data->text : "";
        while (n < 40 && ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f') ||
                          (p[n] >= 'A' && p[n] <= 'F'))) {
            hex[n] = (char)(p[n] >= 'a' ? p[n] - 32 : p[n]);
            n++;
        }
        hex[n == 40 && p[40] == '\0' ? 40 : 0] = '\0';
    }
    json_free(&doc);
    mgw_free(json);
    mgw_regplan_free(&plan);
    mgw_regopts_free(&opts);
    mgw_regstate_free(&st);
}

/* The certificate with thumbprint tp in a store, or the one that issued
 * cert (issuer != NULL); NULL when there is none. */
static mgw_cert_t *find_cert(mgw_store_t *store, const char *tp, const mgw_cert_t *issued)
{
    mgw_cert_t *found = NULL;
    for (size_t i = 0; i < mgw_store_cert_count(store) && found == NULL; i++) {
        char *t = NULL;
        uint8_t *der = NULL;
        size_t len = 0;
        mgw_cert_t *c = NULL;
        if (mgw_store_cert(store, i, &t, NULL, NULL) == MGW_OK &&
            (tp == NULL || strcmp(t, tp) == 0) && mgw_store_cert_der(store, i, &der, &len) == MGW_OK &&
            mgw_cert_parse(der, len, &c) == MGW_OK &&
            (issued == NULL || mgw_cert_check_issuer(issued, c) == MGW_OK)) {
            found = c;
            c = NULL;
        }
        mgw_cert_free(&c);
        mgw_free(der);
        mgw_free(t);
    }
    return found;
}

/* The root (in the trust store) of the binding's server certificate (in
 * --server-store, or LocalMachine\\My with --live): root[] gets its SHA-1, or
 * "" with why[] saying why not. */
static void server_root(const inputs *in, char root[41], char *why_not, size_t size)
{
    char hash[41], label[512];
    root[0] = '\0';
    binding_cert_hash(in, hash);
    const char *server_store = val(in, "server-store") != NULL ? val(in, "server-store")
                               : in->live                      ? "LocalMachine\\My"
                                                               : NULL;
    if (hash[0] == '\0' || server_store == NULL) {
        snprintf(why_not, size, "%s", hash[0] == '\0' ? "the binding has no SslCertHash"
                                                        : "no --server-store to find it in");
        return;
    }
    mgw_store_t *my = NULL, *trust = NULL;
    mgw_cert_t *cur = NULL;
    if (open_store(server_store, &my) != MGW_OK ||
        open_trust_store(in, false, &trust, label, sizeof(label)) != MGW_OK) {
        snprintf(why_not, size, "%s", mgw_last_error());
    } else if ((cur = find_cert(my, hash, NULL)) == NULL) {
        snprintf(why_not, size, "the binding's certificate %s is not in %s", hash, server_store);
    } else {
        for (int depth = 0; depth < 8 && root[0] == '\0'; depth++) {
            mgw_cert_t *up = find_cert(trust, NULL, cur);
            if (up == NULL)
                up = find_cert(my, NULL, cur);
            if (up == NULL)
                break;
            mgw_cert_free(&cur);
            cur = up;
            char *tp = NULL;
            if (mgw_cert_check_issuer(cur, cur) == MGW_OK &&
                mgw_cert_thumbprint(cur, MGW_DIGEST_SHA1, &tp) == MGW_OK)
                snprintf(root, 41, "%s", tp);
            mgw_free(tp);
        }
        if (root[0] == '\0')
            snprintf(why_not, size, "no root of the binding's certificate %s in %s", hash, label);
    }
    mgw_cert_free(&cur);
    mgw_store_free(&trust);
    mgw_store_free(&my);
}

static void step_iis(const inputs *in, report *rep)
{
    char *live_path = NULL;
    const char *path = in->iis_config;
    if (path == NULL && in->live) {
        int r = mgw_iis_live_path(&live_path);
        if (r != MGW_OK) {
            evidence(add_step(rep, "iis", FAIL, "give --iis-config FILE"), "%s", why(r));
            return;
        }
        path = live_path;
    }
    if (path == NULL) {
        evidence(add_step(rep, "iis", WARN, "give --iis-config applicationHost.config"),
                 "not checked: no IIS configuration");
        return;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    mgw_iisconfig_t *cfg = NULL;
    mgw_iisopts_t *opts = mgw_iisopts_new();
    mgw_iisplan_t *plan = NULL;
    int r = opts == NULL ? MGW_ERR_NO_MEMORY : mgw_file_read(path, mgw_iis_max_file_size(), &data, &len);
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
    const char *site = in->site != NULL ? in->site : "Default Web Site";
    if (r != MGW_OK)
        evidence(add_step(rep, "iis", FAIL, "mgwauth iis show --config %s", path), "%s: %s", path,
                 why(r));
    else if (mgw_iisplan_change_count(plan) == 0)
        evidence(add_step(rep, "iis", PASS, NULL),
                 "site \"%s\" and its child locations require SSL and client certificates%s "
                 "(%s)",
                 site, flag(in, "disable-tls13") ? ", TLS 1.3 off on its bindings" : "", path);
    else
        evidence(add_step(rep, "iis", FAIL,
                          "mgwauth iis plan --config %s --out DIR, then mgwauth iis apply --plan "
                          "DIR/plan.json --config %s",
                          path, path),
                 "%zu IIS %s of site \"%s\" %s the procedure (%s)",
                 mgw_iisplan_change_count(plan),
                 mgw_iisplan_change_count(plan) == 1 ? "setting" : "settings", site,
                 mgw_iisplan_change_count(plan) == 1 ? "differs from" : "differ from", path);
    mgw_iisplan_free(&plan);
    mgw_iisopts_free(&opts);
    mgw_iisconfig_free(&cfg);
    mgw_free(data);
    free(live_path);
}

/* Certificates that Group Policy or the enterprise store put into a Windows
 * store: a prune would be undone by policy, so they are kept (and counted). */
static int keep_policy_certs(const mgw_store_t *store, mgw_rootopts_t *opts, size_t *count)
{
    int r = MGW_OK;
    *count = 0;
    for (size_t i = 0; r == MGW_OK && i < mgw_store_cert_count(store); i++) {
        char *where = NULL, *tp = NULL;
        r = mgw_store_cert_physical(store, i, &where);
        if (r == MGW_OK && (strstr(where, ".GroupPolicy") != NULL ||
                            strstr(where, ".Enterprise") != NULL) &&
            (r = mgw_store_cert(store, i, &tp, NULL, NULL)) == MGW_OK &&
            (r = mgw_rootopts_add_keep(opts, tp)) == MGW_OK)
            (*count)++;
        mgw_free(tp);
        mgw_free(where);
    }
    return r;
}

static void step_roots(const inputs *in, report *rep)
{
    if (in->keep_file == NULL || (in->store == NULL && !in->live)) {
        evidence(add_step(rep, "roots", WARN, "give --store DIR and --keep-file FILE"),
                 "not checked: needs the store and the keep-list");
        return;
    }
    char label[512];
    mgw_store_t *store = NULL;
    mgw_rootopts_t *opts = mgw_rootopts_new();
    mgw_rootplan_t *plan = NULL;
    uint8_t *keep = NULL;
    size_t len = 0;
    int r = opts == NULL ? MGW_ERR_NO_MEMORY : mgw_file_read(in->keep_file, 1u << 24, &keep, &len);
    if (r == MGW_OK)
        r = mgw_rootopts_add_keep_file(opts, keep, len, in->keep_file);
    if (r == MGW_OK && in->thumb != NULL)
        r = mgw_rootopts_add_keep(opts, in->thumb);
    char server[41], why_not[600];
    server_root(in, server, why_not, sizeof(why_not));
    if (r == MGW_OK && server[0] != '\0')
        r = mgw_rootopts_add_keep(opts, server);
    if (r == MGW_OK)
        r = mgw_rootopts_set_allow_missing(opts, 1);
    if (r == MGW_OK)
        r = open_trust_store(in, false, &store, label, sizeof(label));
    size_t policy = 0;
    if (r == MGW_OK)
        r = keep_policy_certs(store, opts, &policy);
    if (r == MGW_OK)
        r = mgw_rootplan_compute(store, opts, &plan);
    if (r != MGW_OK) {
        evidence(add_step(rep, "roots", FAIL, "mgwauth roots plan (see its error)"), "%s",
                 why(r));
    } else {
        size_t removes = mgw_rootplan_count(plan, MGW_ROOT_REMOVE);
        size_t kept = mgw_rootplan_count(plan, 0) - removes;
        char policy_note[160] = "";
        if (policy > 0)
            snprintf(policy_note, sizeof(policy_note),
                     "; %zu put there by Group Policy or the enterprise store (kept: policy puts "
                     "them back)", policy);
        if (removes == 0)
            evidence(add_step(rep, "roots", PASS, NULL),
                     "%s holds %zu %s, all on the keep-list or protected; a prune removes "
                     "nothing%s",
                     label, kept, cli_plural(kept, "certificate", "certificates"), policy_note);
        else
            evidence(add_step(rep, "roots", FAIL,
                              "mgwauth roots prune %s%s --keep-file %s%s%s%s%s --backup-dir DIR "
                              "--yes",
                              in->store != NULL ? "--store " : "--system-store ", label,
                              in->keep_file, in->thumb != NULL ? " --keep " : "",
                              in->thumb != NULL ? in->thumb : "", server[0] ? " --keep " : "",
                              server),
                     "a prune of %s would remove %zu of %zu certificates%s", label, removes,
                     removes + kept, policy_note);
    }
    mgw_rootplan_free(&plan);
    mgw_rootopts_free(&opts);
    mgw_store_free(&store);
    mgw_free(keep);
}

/* Certificates in the trusted root store that are not self-signed: Windows
 * then builds client certificate chains through them and IIS answers 403.16;
 * they belong in the intermediate store (LocalMachine\\CA). */
static void step_self_signed(const inputs *in, report *rep)
{
    if (in->store == NULL && !in->live)
        return;
    char label[512];
    mgw_store_t *store = NULL;
    int r = open_trust_store(in, false, &store, label, sizeof(label));
    if (r != MGW_OK) {
        evidence(add_step(rep, "root-self-signed", FAIL, "check the store name and access"),
                 "%s: %s", label, why(r));
        return;
    }
    size_t bad = 0, total = mgw_store_cert_count(store);
    char first[600] = "";
    for (size_t i = 0; i < total; i++) {
        uint8_t *der = NULL;
        size_t len = 0;
        mgw_cert_t *c = NULL;
        char *tp = NULL, *subject = NULL;
        if (mgw_store_cert_der(store, i, &der, &len) == MGW_OK &&
            mgw_cert_parse(der, len, &c) == MGW_OK &&
            mgw_cert_check_issuer(c, c) == MGW_ERR_CERT_SIGNATURE &&
            mgw_store_cert(store, i, &tp, &subject, NULL) == MGW_OK) {
            if (bad++ == 0)
                snprintf(first, sizeof(first), "%s %s", tp, subject);
        }
        mgw_free(tp);
        mgw_free(subject);
        mgw_cert_free(&c);
        mgw_free(der);
    }
    mgw_store_free(&store);
    if (bad == 0)
        evidence(add_step(rep, "root-self-signed", PASS, NULL),
                 "every certificate in %s is self-signed", label);
    else
        evidence(add_step(rep, "root-self-signed", WARN,
                          "move it to the intermediate store: mgwauth store add --system-store "
                          "LocalMachine\\CA FILE, then mgwauth store remove %s%s THUMB",
                          in->store != NULL ? "--store " : "--system-store ", label),
                 "%zu %s in %s %s not self-signed (a cause of IIS 403.16), first: %s", bad,
                 cli_plural(bad, "certificate", "certificates"), label, bad == 1 ? "is" : "are",
                 first);
}

/* The value after "--keep-file" in the task's command line ("..." or a word). */
static char *task_keep_file(const char *xml)
{
    const char *p = strstr(xml, "--keep-file");
    if (p == NULL)
        return NULL;
    p += strlen("--keep-file");
    while (*p == ' ')
        p++;
    const char *end;
    if (strncmp(p, "&quot;", 6) == 0) {
        p += 6;
        end = strstr(p, "&quot;");
    } else if (*p == '"') {
        p++;
        end = strchr(p, '"');
    } else {
        end = p + strcspn(p, " <");
    }
    if (end == NULL || end == p)
        return NULL;
    char *s = malloc((size_t)(end - p) + 1);
    if (s != NULL) {
        memcpy(s, p, (size_t)(end - p));
        s[end - p] = '\0';
    }
    return s;
}

static void step_autoupdate(const inputs *in, report *rep, int policy)
{
    if (policy == 1) {
        evidence(add_step(rep, "root-autoupdate", PASS, NULL),
                 "policy DisableRootAutoUpdate = 1: Windows does not put roots back");
        return;
    }
    char *xml = NULL;
    size_t len = 0;
    const char *src = in->task_xml;
    char label[256];
    int r = MGW_ERR_NOT_FOUND;
    if (src != NULL) {
        r = mgw_text_file_read(src, 1u << 20, &xml, &len);
    } else if (in->live) {
        snprintf(label, sizeof(label), "task \"%s\"", in->task_name);
        src = label;
        r = mgw_task_show(in->task_name, &xml);
    }
    const char *fix = "gateway plan with --disable-root-autoupdate, or mgwauth task install --xml "
                      "FILE --name NAME (mgwauth task xml makes FILE)";
    if (src == NULL) {
        evidence(add_step(rep, "root-autoupdate", policy == 0 ? FAIL : WARN, "%s", fix),
                 "%s; no re-prune task given (--task-xml FILE)",
                 policy == 0 ? "root auto-update is on (no DisableRootAutoUpdate policy)"
                             : "registry not read");
        return;
    }
    if (r != MGW_OK) {
        evidence(add_step(rep, "root-autoupdate", FAIL, "%s", fix),
                 "root auto-update is not disabled and the re-prune task is missing: %s",
                 why(r));
        return;
    }
    char *keep = strstr(xml, "roots prune") != NULL ? task_keep_file(xml) : NULL;
    bool keep_ok = keep != NULL && (cli_exists(keep) || (in->keep_file != NULL &&
                                                        strcmp(keep, in->keep_file) == 0));
    if (keep == NULL)
        evidence(add_step(rep, "root-autoupdate", FAIL, "%s", fix),
                 "%s does not run mgwauth roots prune with a --keep-file", src);
    else if (!keep_ok)
        evidence(add_step(rep, "root-autoupdate", FAIL, "%s", fix),
                 "%s re-prunes with keep-list %s, which does not exist", src, keep);
    else
        evidence(add_step(rep, "root-autoupdate", PASS, NULL),
                 "%s re-prunes the roots with keep-list %s", src, keep);
    free(keep);
    mgw_free(xml);
}

static void step_check(const inputs *in, report *rep)
{
    const char *url = val(in, "url"), *pfx = val(in, "pfx");
    if (url == NULL)
        return;
    mgw_checkopts_t *opts = mgw_checkopts_new();
    mgw_checkres_t *res = NULL;
    char *reason = NULL;
    int r = opts == NULL ? MGW_ERR_NO_MEMORY : mgw_checkopts_set_url(opts, url);
    if (r == MGW_OK && flag(in, "insecure"))
        r = mgw_checkopts_set_insecure(opts, 1);
    if (r == MGW_OK && val(in, "cafile") != NULL)
        r = mgw_checkopts_set_cafile(opts, val(in, "cafile"));
    if (r == MGW_OK && val(in, "connect-to") != NULL)
        r = mgw_checkopts_set_connect_to(opts, val(in, "connect-to"));
    if (r == MGW_OK && cli_check_load_client(opts, pfx, val(in, "password-file")) != 0)
        r = MGW_ERR_INVALID_ARGUMENT;
    if (r == MGW_OK)
        r = mgw_check_run(opts, &res);
    if (r == MGW_OK)
        r = mgw_checkres_reason(res, &reason);
    char fix[600];
    snprintf(fix, sizeof(fix), "mgwauth check %s --pfx %s --password-file F --cafile FILE (details)",
             url, pfx);
    if (r != MGW_OK)
        evidence(add_step(rep, "gateway-check", FAIL, "%s", fix), "%s", why(r));
    else if (mgw_checkres_passed(res))
        evidence(add_step(rep, "gateway-check", PASS, NULL), "%s: %s", url, reason);
    else
        evidence(add_step(rep, "gateway-check", FAIL, "%s", fix), "%s: %s", url, reason);
    mgw_free(reason);
    mgw_checkres_free(&res);
    mgw_checkopts_free(&opts);
}

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_report(const report *rep, bool json, int worst)
{
    if (json) {
        printf("{\"result\": \"%s\", \"steps\": [", status_names[worst]);
        for (size_t i = 0; i < rep->count; i++) {
            const step *s = &rep->steps[i];
            printf("%s\n  {\"step\": \"%s\", \"status\": \"%s\", \"evidence\": ", i ? "," : "",
                   s->name, status_names[s->status]);
            json_string(s->evidence);
            fputs(", \"fix\": ", stdout);
            if (s->fix[0] != '\0')
                json_string(s->fix);
            else
                fputs("null", stdout);
            putchar('}');
        }
        puts("\n]}");
        return;
    }
    for (size_t i = 0; i < rep->count; i++) {
        const step *s = &rep->steps[i];
        printf("%s  %-18s %s\n", status_names[s->status], s->name, s->evidence);
        if (s->fix[0] != '\0')
            printf("      %-18s fix: %s\n", "", s->fix);
    }
    printf("%s\n", status_names[worst]);
}

static int load_cert(inputs *in)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read(in->client_cert, &data, &len) != 0)
        return 1;
    int r = mgw_cert_parse(data, len, &in->cert);
    mgw_free(data);
    if (r == MGW_OK)
        r = mgw_cert_thumbprint(in->cert, MGW_DIGEST_SHA1, &in->thumb);
    return r == MGW_OK ? 0 : cli_fail(r, in->client_cert);
}

int cmd_gateway_status(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("live", false, false),          OPT("json", false, false),
        OPT("registry-file", true, false),  OPT("store", true, false),
        OPT("iis-config", true, false),     OPT("task-xml", true, false),
        OPT("task-name", true, false),      OPT("client-cert", true, false),
        OPT("keep-file", true, false),      OPT("issuer-store", true, false),
        OPT("site", true, false),           OPT("binding", true, false),
        OPT("disable-tls13", false, false), OPT("negotiate-client-cert", false, false),
        OPT("url", true, false),            OPT("pfx", true, false),
        OPT("server-store", true, false),
        OPT("password-file", true, false),  OPT("cafile", true, false),
        OPT("insecure", false, false),      OPT("connect-to", true, false),
    };
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    inputs in = {.o = o, .n = n};
    in.live = flag(&in, "live");
    in.client_cert = val(&in, "client-cert");
    in.store = val(&in, "store");
    in.registry_file = val(&in, "registry-file");
    in.iis_config = val(&in, "iis-config");
    in.task_xml = val(&in, "task-xml");
    in.keep_file = val(&in, "keep-file");
    in.issuer_store = val(&in, "issuer-store");
    in.site = val(&in, "site");
    in.task_name = val(&in, "task-name") != NULL ? val(&in, "task-name") : "mgwauth roots prune";
    if (in.live && in.registry_file != NULL)
        return cli_usage("--live and --registry-file exclude each other");
    if ((val(&in, "url") != NULL) != (val(&in, "pfx") != NULL) ||
        (val(&in, "pfx") != NULL && val(&in, "password-file") == NULL))
        return cli_usage("the gateway check needs --url URL, --pfx FILE and --password-file F");
    if (val(&in, "url") != NULL && flag(&in, "insecure") == (val(&in, "cafile") != NULL))
        return cli_usage("the gateway check needs exactly one of --cafile FILE and --insecure");
    if (in.client_cert != NULL && load_cert(&in) != 0)
        return 1;
    report rep = {0};
    step_client_cert(&in, &rep);
    int policy = step_registry(&in, &rep);
    step_iis(&in, &rep);
    step_roots(&in, &rep);
    step_self_signed(&in, &rep);
    step_autoupdate(&in, &rep, policy);
    step_expiry(&in, &rep);
    step_check(&in, &rep);
    int worst = PASS;
    for (size_t i = 0; i < rep.count; i++)
        worst = rep.steps[i].status > worst ? rep.steps[i].status : worst;
    print_report(&rep, flag(&in, "json"), worst);
    mgw_free(in.thumb);
    mgw_cert_free(&in.cert);
    return worst == FAIL ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* A failure already reported on stderr. */
#define REPORTED (-100000)

/* gateway plan: the steps in order, each with its own files in OUT/<step>/ */

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

/* value escaped for a JSON string into out (control characters refused). */
static int escape(const char *value, char *out, size_t size)
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

typedef struct {
    mgw_fileset_t *fs;
    const char *dir;
    unsigned force;
    char *json;
    size_t len, cap, steps;
} plan_out;

/* Stage OUT/rel with data. */
static int stage(plan_out *po, const char *rel, const uint8_t *data, size_t len, unsigned extra)
{
    char *path = cli_path(po->dir, rel, "");
    if (path == NULL)
        return MGW_ERR_NO_MEMORY;
    int r = mgw_fileset_add(po->fs, path, data, len, po->force | extra);
    free(path);
    return r;
}

/* A step's target as apply finds it from any directory: a relative path
 * joined to the current directory; "live", "scheduler", system stores and
 * absolute paths as they are. NULL when out of memory or no directory. */
static char *absolute_target(const char *v)
{
    bool as_is = strcmp(v, "live") == 0 || strcmp(v, "scheduler") == 0 || is_system_store(v) ||
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
        r = escape(v, esc, sizeof(esc));
        free(abs);
        if (r == MGW_OK)
            r = put_json(po->fs, &po->json, &po->len, &po->cap, ", \"%s\": \"%s\"", k, esc);
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
    int r = st == NULL || opts == NULL ? MGW_ERR_NO_MEMORY : read_registry(in, st);
    if (r == MGW_OK)
        r = registry_options(in, opts);
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
static int root_plan(const char *store_dir, const uint8_t *keep, size_t keep_len,
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
        r = open_store(store_dir, store);
    size_t policy = 0;
    if (r == MGW_OK)
        r = keep_policy_certs(*store, opts, &policy);
    if (r == MGW_OK && policy > 0)
        printf("   kept: %zu %s that Group Policy or the enterprise store put there (policy "
               "puts %s back)\n",
               policy, cli_plural(policy, "certificate", "certificates"),
               policy == 1 ? "it" : "them");
    if (r == MGW_OK)
        r = mgw_rootplan_compute(*store, opts, plan);
    mgw_rootopts_free(&opts);
    return r;
}

/* The thumbprints a root plan removes, one per line (free()). */
static char *removals(const mgw_rootplan_t *plan)
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
 * intermediates/SHA1.cer; intermediates/move.txt lists them. */
static int plan_intermediates(const inputs *in, plan_out *po, const char *target)
{
    mgw_store_t *store = NULL;
    char *list = NULL;
    size_t len = 0, n = 0;
    int r = open_store(in->store, &store);
    size_t count = r == MGW_OK ? mgw_store_cert_count(store) : 0;
    if (r == MGW_OK && (list = calloc(count * 41 + 1, 1)) == NULL)
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
            len += (size_t)sprintf(list + len, "%s\n", tp);
            n++;
        }
        mgw_free(tp);
        mgw_cert_free(&c);
        mgw_free(der);
    }
    if (r == MGW_OK)
        r = stage(po, "intermediates/move.txt", (const uint8_t *)list, len, 0);
    if (r == MGW_OK)
        r = step_line(po, "intermediates", "list", "intermediates/move.txt", "store", target,
                      (char *)NULL);
    if (r == MGW_OK)
        printf("   intermediates: %zu not self-signed in %s, moved to %s before the prune\n", n,
               in->store, target);
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
    server_root(in, server, why_not, sizeof(why_not));
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
        r = root_plan(in->store, all, all_len, in->keep_file, in->thumb, &store, &plan);
    }
    if (r == MGW_OK)
        r = stage(po, "roots/keep.txt", all, all_len, 0);
    if (r == MGW_OK && server[0] != '\0')
        printf("   keeps %s, the root of the binding's server certificate\n", server);
    free(all);
    if (r == MGW_OK && (list = removals(plan)) == NULL)
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
    len = (size_t)sprintf(out, "roots prune %s", is_system_store(store) ? "--system-store" : "--store");
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
        server_root(in, server, why_not, sizeof(why_not));
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
        OPT("registry-file", true, false),  OPT("store", true, false),
        OPT("iis-config", true, false),     OPT("client-cert", true, false),
        OPT("keep-file", true, false),      OPT("issuer-store", true, false),
        OPT("site", true, false),           OPT("binding", true, false),
        OPT("disable-tls13", false, false), OPT("negotiate-client-cert", false, false),
        OPT("backup-dir", true, false),     OPT("disable-root-autoupdate", false, false),
        OPT("task-interval", true, false),  OPT("task-xml", true, false),
        OPT("task-name", true, false),      OPT("task-exe", true, false),
        OPT("live", false, false),          OPT("out", true, false),
        OPT("force", false, false),         OPT("server-store", true, false),
        OPT("move-intermediates", true, false),
    };
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    inputs in = {.o = o, .n = n};
    in.client_cert = val(&in, "client-cert");
    in.store = val(&in, "store");
    in.registry_file = val(&in, "registry-file");
    in.iis_config = val(&in, "iis-config");
    in.keep_file = val(&in, "keep-file");
    in.issuer_store = val(&in, "issuer-store");
    in.site = val(&in, "site");
    in.task_name = val(&in, "task-name") != NULL ? val(&in, "task-name") : "mgwauth roots prune";
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
    if (load_cert(&in) != 0) {
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
    plan_out po = {mgw_fileset_new(), out, flag(&in, "force") ? MGW_FILE_FORCE : 0, NULL, 0, 0, 0};
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
    mgw_fileset_free(&po.fs);
    free(default_backups);
    mgw_free(live_iis);
    mgw_free(in.thumb);
    mgw_cert_free(&in.cert);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* gateway apply and rollback: each step through its own engine, with its
 * own backup and verification; on the first failure the steps done are
 * undone in reverse order. applied.json beside the plan records what
 * rollback needs (whether the certificate was added, the roots backup). */

typedef struct {
    const char *dir; /* the plan's directory */
    const gwplan_step *step;
    char record[1024]; /* the applied.json line of a done step, "" if nothing changed */
    char key[32], value[900]; /* the same field unescaped, for an undo in this run */
    char what[1024];   /* what was done, for the account */
} step_run;

/* What undo needs of a done step: one field, kept as it is and escaped. */
static void set_record(step_run *sr, const char *key, const char *value)
{
    char esc[900];
    snprintf(sr->key, sizeof(sr->key), "%s", key);
    snprintf(sr->value, sizeof(sr->value), "%s", value);
    if (escape(value, esc, sizeof(esc)) == MGW_OK)
        snprintf(sr->record, sizeof(sr->record), "\"%s\": \"%s\"", key, esc);
}

/* A step's file is a relative path inside the plan's directory: no
 * absolute path, drive, or ".." component. */
static bool inside_plan(const char *rel)
{
    if (rel[0] == '\0' || rel[0] == '/' || rel[0] == '\\' || strchr(rel, ':') != NULL)
        return false;
    for (const char *p = rel; *p != '\0';) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        p += *p != '\0';
    }
    return true;
}

static const char *const step_file_fields[] = {"cert", "plan", "desired", "backup",
                                               "keep", "remove", "xml", "list"};

static char *plan_file(const step_run *sr, const char *field)
{
    const char *rel = gwplan_get(sr->step, field);
    return rel != NULL ? cli_path(sr->dir, rel, "") : NULL;
}

static int missing_field(const step_run *sr, const char *field)
{
    fprintf(stderr, "mgwauth: error: plan step %s has no \"%s\"\n", gwplan_get(sr->step, "step"),
            field);
    return REPORTED;
}

static int load_regplan(const step_run *sr, mgw_regplan_t **plan)
{
    char *path = plan_file(sr, "plan");
    uint8_t *json = NULL;
    size_t len = 0;
    int r = path == NULL ? missing_field(sr, "plan") : mgw_file_read(path, 1u << 24, &json, &len);
    if (r == MGW_OK)
        r = mgw_regplan_load(json, len, plan);
    mgw_free(json);
    free(path);
    return r;
}

static int load_iisplan(const step_run *sr, mgw_iisplan_t **plan)
{
    char *p[3] = {plan_file(sr, "plan"), plan_file(sr, "desired"), plan_file(sr, "backup")};
    uint8_t *d[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    int r = MGW_OK;
    for (int i = 0; i < 3 && r == MGW_OK; i++)
        r = p[i] == NULL ? missing_field(sr, i == 0 ? "plan" : i == 1 ? "desired" : "backup")
                         : mgw_file_read(p[i], mgw_iis_max_file_size(), &d[i], &len[i]);
    if (r == MGW_OK)
        r = mgw_iisplan_load(d[0], len[0], d[1], len[1], d[2], len[2], plan);
    for (int i = 0; i < 3; i++) {
        mgw_free(d[i]);
        free(p[i]);
    }
    return r;
}

static int do_client_cert(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *store_dir = gwplan_get(sr->step, "store"), *thumb = gwplan_get(sr->step, "thumbprint");
    if (store_dir == NULL || thumb == NULL)
        return missing_field(sr, store_dir == NULL ? "store" : "thumbprint");
    mgw_store_t *store = NULL;
    int r = open_store(store_dir, &store);
    if (undo) {
        const char *added = rec != NULL ? gwplan_get(rec, "added") : NULL;
        if (r == MGW_OK && added != NULL && strcmp(added, "yes") == 0) {
            r = mgw_store_remove_cert(store, thumb);
            snprintf(sr->what, sizeof(sr->what), "removed %s from %s", thumb, store_dir);
        } else {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (%s was there before)", thumb);
        }
        mgw_store_free(&store);
        return r;
    }
    char *path = plan_file(sr, "cert"), *got = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    int added = 0;
    if (r == MGW_OK)
        r = path == NULL ? missing_field(sr, "cert") : mgw_file_read(path, 1u << 20, &der, &len);
    /* the certificate is the planned one before anything is added */
    mgw_cert_t *cert = NULL;
    if (r == MGW_OK && (r = mgw_cert_parse(der, len, &cert)) == MGW_OK &&
        (r = mgw_cert_thumbprint(cert, MGW_DIGEST_SHA1, &got)) == MGW_OK &&
        strcmp(got, thumb) != 0) {
        fprintf(stderr, "mgwauth: error: %s is %s, not the planned %s\n", path, got, thumb);
        r = REPORTED;
    }
    mgw_cert_free(&cert);
    mgw_free(got);
    got = NULL;
    if (r == MGW_OK)
        r = mgw_store_add_cert(store, der, len, &added, &got);
    mgw_store_free(&store);
    /* verified: a fresh listing holds it */
    bool there = false;
    if (r == MGW_OK && (r = open_store(store_dir, &store)) == MGW_OK)
        for (size_t i = 0; i < mgw_store_cert_count(store) && !there; i++) {
            char *tp = NULL;
            there = mgw_store_cert(store, i, &tp, NULL, NULL) == MGW_OK && strcmp(tp, thumb) == 0;
            mgw_free(tp);
        }
    if (r == MGW_OK && !there) {
        fprintf(stderr, "mgwauth: error: %s is not in %s after adding it\n", thumb, store_dir);
        r = REPORTED;
    }
    /* a failure after the add takes the certificate out again */
    mgw_store_free(&store);
    if (r != MGW_OK && added && open_store(store_dir, &store) == MGW_OK &&
        mgw_store_remove_cert(store, thumb) != MGW_OK)
        fprintf(stderr, "mgwauth: error: %s stays in %s: %s\n", thumb, store_dir,
                mgw_last_error());
    if (r == MGW_OK) {
        snprintf(sr->what, sizeof(sr->what), "%s %s %s", added ? "added" : "found", thumb,
                 added ? "to the store" : "in the store already");
        if (added)
            set_record(sr, "added", "yes");
    }
    mgw_store_free(&store);
    mgw_free(got);
    mgw_free(der);
    free(path);
    return r;
}

/* The registry and iis steps: their plan applied to the target file, or
 * to the machine when the target is "live", with the backup in the step's
 * directory. applied.json records "changed": "yes" when the apply changed
 * something; rollback undoes a step only when its record says so. */
static int do_file_plan(step_run *sr, bool undo, const gwplan_step *rec, const planrun_kind *kind)
{
    const char *target = gwplan_get(sr->step, "target");
    if (target == NULL)
        return missing_field(sr, "target");
    const char *was = rec != NULL ? gwplan_get(rec, "changed") : NULL;
    if (undo && (was == NULL || strcmp(was, "yes") != 0)) {
        snprintf(sr->what, sizeof(sr->what), "nothing to undo (apply changed no %s)", kind->unit);
        return MGW_OK;
    }
    bool live = strcmp(target, "live") == 0;
    void *plan = NULL;
    char rel[64];
    snprintf(rel, sizeof(rel), "%s/before-%s%s", kind->name, undo ? "rollback" : "apply", kind->ext);
    char *backup = cli_path(sr->dir, rel, "");
    int changed = 0, r = backup == NULL ? MGW_ERR_NO_MEMORY
                         : kind == &planrun_registry ? load_regplan(sr, (mgw_regplan_t **)&plan)
                                                     : load_iisplan(sr, (mgw_iisplan_t **)&plan);
    if (r == MGW_OK)
        r = kind->run(plan, live ? NULL : target, backup, MGW_FILE_FORCE, undo, &changed);
    if (r == MGW_OK) {
        snprintf(sr->what, sizeof(sr->what), "%d %s %s in %s%s%s", changed,
                 cli_plural((size_t)changed, kind->unit, kind->units), undo ? "restored" : "changed",
                 live ? kind->live_name : target, changed ? ", backup " : "", changed ? backup : "");
        if (changed > 0 && !undo)
            set_record(sr, "changed", "yes");
    }
    if (plan != NULL)
        kind->free(plan);
    free(backup);
    return r;
}

/* DIR/roots-YYYYMMDDThhmmssZ[-k].pem.gz that does not exist yet. */
static char *new_backup(const char *dir)
{
    char base[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t len = strftime(base, sizeof(base), "roots-%Y%m%dT%H%M%SZ", &tm);
    for (int k = 1; k <= 100; k++) {
        if (k > 1)
            snprintf(base + len, sizeof(base) - len, "-%d", k);
        char *path = cli_path(dir, base, ".pem.gz");
        if (path == NULL || !cli_exists(path))
            return path;
        free(path);
    }
    return NULL;
}

static void on_roots_event(void *ctx, int event, const char *thumbprint, const char *subject,
                           const char *origin, const char *detail)
{
    (void)ctx, (void)origin;
    if (event == MGW_ROOTS_FAILED)
        fprintf(stderr, "    failed on %s %s: %s\n", thumbprint, subject, detail);
}

static void report_failure(int r);
static int write_record(const char *path, const gwplan *plan, const step_run *runs, size_t done,
                        const gwplan *earlier, const char *state);
static void test_exit_after(const char *step_name);

/* The apply in progress: a step records what it is about to do before a
 * change it could not undo without the record (the prune's backup). */
static struct {
    const char *path;
    const gwplan *plan, *earlier;
    step_run *runs;
} in_progress;

static int record_now(const step_run *sr)
{
    if (in_progress.path == NULL)
        return MGW_OK;
    size_t i = (size_t)(sr - in_progress.runs);
    int r = write_record(in_progress.path, in_progress.plan, in_progress.runs, i + 1,
                         in_progress.earlier, "applying");
    if (r != MGW_OK)
        cli_fail(r, in_progress.path);
    return r == MGW_OK ? MGW_OK : REPORTED;
}

static int do_roots(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *store_dir = gwplan_get(sr->step, "store"), *remove = gwplan_get(sr->step, "remove");
    const char *backup_dir = gwplan_get(sr->step, "backup_dir");
    if (store_dir == NULL || remove == NULL || backup_dir == NULL)
        return missing_field(sr, store_dir == NULL ? "store" : remove == NULL ? "remove" : "backup_dir");
    mgw_store_t *store = NULL;
    if (undo) {
        const char *backup = rec != NULL ? gwplan_get(rec, "backup") : NULL;
        if (backup == NULL) {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (nothing was removed)");
            return MGW_OK;
        }
        if (!cli_exists(backup)) {
            /* recorded before the prune, which never began: its backup is written first */
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (the prune did not begin: no %s)",
                     backup);
            return MGW_OK;
        }
        int r = open_store(store_dir, &store);
        if (r == MGW_OK)
            r = mgw_roots_restore(store, backup, NULL, 0, on_roots_event, NULL);
        if (r == MGW_OK)
            snprintf(sr->what, sizeof(sr->what), "restored the certificates of %s into %s", backup,
                     store_dir);
        mgw_store_free(&store);
        return r;
    }
    char *keep_path = plan_file(sr, "keep"), *list = NULL, *backup = NULL;
    char *remove_path = plan_file(sr, "remove");
    uint8_t *planned = NULL;
    size_t planned_len = 0;
    const char *thumb = gwplan_get(sr->step, "thumbprint");
    uint8_t *keep = NULL;
    size_t len = 0;
    mgw_rootplan_t *plan = NULL;
    int r = keep_path == NULL ? missing_field(sr, "keep")
                              : mgw_file_read(keep_path, 1u << 24, &keep, &len);
    if (r == MGW_OK)
        r = root_plan(store_dir, keep, len, keep_path, thumb != NULL && thumb[0] ? thumb : NULL,
                      &store, &plan);
    if (r == MGW_OK && (list = removals(plan)) == NULL)
        r = MGW_ERR_NO_MEMORY;
    size_t n = r == MGW_OK ? mgw_rootplan_count(plan, MGW_ROOT_REMOVE) : 0;
    if (r == MGW_OK && n > 0)
        r = mgw_file_read(remove_path, 1u << 24, &planned, &planned_len);
    if (r == MGW_OK && n > 0 &&
        (planned_len != strlen(list) || memcmp(planned, list, planned_len) != 0)) {
        fprintf(stderr, "mgwauth: error: %s changed since planning: a prune now would remove "
                        "%zu certificates, not those of %s\n", store_dir, n, remove_path);
        r = REPORTED;
    }
    if (r == MGW_OK && n > 0) {
        if (cli_mkdirs(backup_dir) != 0)
            r = REPORTED;
        else if ((backup = new_backup(backup_dir)) == NULL)
            r = MGW_ERR_NO_MEMORY;
        /* recorded before the prune: a crash during it leaves rollback the backup */
        if (r == MGW_OK) {
            set_record(sr, "backup", backup);
            r = record_now(sr);
            test_exit_after("roots:pruning");
        }
        if (r == MGW_OK)
            r = mgw_roots_prune(store, plan, backup, 0, on_roots_event, NULL);
        /* a prune stopped part-way puts back what it removed (all in the backup) */
        if (r == MGW_ERR_ROOTS_INCOMPLETE) {
            report_failure(r);
            mgw_store_t *again = NULL;
            int u = open_store(store_dir, &again);
            if (u == MGW_OK)
                u = mgw_roots_restore(again, backup, NULL, 0, on_roots_event, NULL);
            if (u != MGW_OK)
                fprintf(stderr, "mgwauth: error: the certificates removed from %s are not all "
                        "back: mgwauth roots restore %s %s --backup %s\n", store_dir,
                        is_system_store(store_dir) ? "--system-store" : "--store", store_dir,
                        backup);
            else
                fprintf(stderr, "mgwauth: the certificates removed from %s are back (from %s)\n",
                        store_dir, backup);
            mgw_store_free(&again);
            r = REPORTED;
        }
    }
    if (r == MGW_OK)
        snprintf(sr->what, sizeof(sr->what), "%zu %s removed from %s%s%s", n,
                 cli_plural(n, "certificate", "certificates"), store_dir,
                 n ? ", backup " : "", n ? backup : "");
    free(backup);
    free(list);
    mgw_free(planned);
    free(remove_path);
    mgw_rootplan_free(&plan);
    mgw_store_free(&store);
    mgw_free(keep);
    free(keep_path);
    return r;
}

static int do_task(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *target = gwplan_get(sr->step, "target"), *name = gwplan_get(sr->step, "name");
    if (target == NULL || name == NULL)
        return missing_field(sr, target == NULL ? "target" : "name");
    bool scheduler = strcmp(target, "scheduler") == 0;
    if (undo) {
        const char *installed = rec != NULL ? gwplan_get(rec, "installed") : NULL;
        if (installed == NULL) {
            snprintf(sr->what, sizeof(sr->what), "nothing to undo (the task was there before)");
            return MGW_OK;
        }
        int r = scheduler ? mgw_task_remove(name) : cli_remove(target) == 0 ? MGW_OK : REPORTED;
        if (r == MGW_OK)
            snprintf(sr->what, sizeof(sr->what), "removed %s", scheduler ? name : target);
        return r;
    }
    char *path = plan_file(sr, "xml");
    uint8_t *xml = NULL, *cur = NULL;
    size_t len = 0, cur_len = 0;
    int r = path == NULL ? missing_field(sr, "xml") : mgw_file_read(path, 1u << 20, &xml, &len);
    bool installed = false;
    if (r == MGW_OK && scheduler) {
        char *shown = NULL;
        int s = mgw_task_show(name, &shown);
        mgw_free(shown);
        if (s == MGW_ERR_NOT_FOUND) {
            r = mgw_task_install(name, xml, len, 0);
            installed = r == MGW_OK;
        } else if (s != MGW_OK) {
            r = s;
        }
        /* verified: the Task Scheduler gives it back */
        if (r == MGW_OK && (r = mgw_task_show(name, &shown)) == MGW_OK)
            mgw_free(shown);
    } else if (r == MGW_OK) {
        if (mgw_file_read(target, 1u << 20, &cur, &cur_len) == MGW_OK) {
            if (cur_len != len || memcmp(cur, xml, len) != 0) {
                fprintf(stderr, "mgwauth: error: %s holds another task; remove it first\n",
                        target);
                r = REPORTED;
            }
        } else {
            r = mgw_file_write(target, xml, len, 0);
            installed = r == MGW_OK;
            mgw_free(cur);
            cur = NULL;
            if (r == MGW_OK && ((r = mgw_file_read(target, 1u << 20, &cur, &cur_len)) != MGW_OK ||
                                cur_len != len || memcmp(cur, xml, len) != 0)) {
                fprintf(stderr, "mgwauth: error: %s does not read back as written\n", target);
                r = REPORTED;
            }
        }
    }
    /* a task installed but not verified is taken out again */
    if (r != MGW_OK && installed &&
        (scheduler ? mgw_task_remove(name) != MGW_OK : cli_remove(target) != 0))
        fprintf(stderr, "mgwauth: error: the task %s stays installed\n", scheduler ? name : target);
    if (r == MGW_OK) {
        snprintf(sr->what, sizeof(sr->what), "%s %s", installed ? "installed" : "found",
                 scheduler ? name : target);
        if (installed)
            set_record(sr, "installed", "yes");
    }
    mgw_free(cur);
    mgw_free(xml);
    free(path);
    return r;
}

static int do_intermediates(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *target = gwplan_get(sr->step, "store");
    char *list_path = plan_file(sr, "list");
    char *added_path = cli_path(sr->dir, "intermediates/added.txt", "");
    uint8_t *list = NULL;
    size_t len = 0;
    mgw_store_t *store = NULL;
    int r = target == NULL ? missing_field(sr, "store") : list_path == NULL ? missing_field(sr, "list")
            : added_path == NULL ? MGW_ERR_NO_MEMORY : MGW_OK;
    if (r == MGW_OK && undo && (rec == NULL || gwplan_get(rec, "added") == NULL)) {
        snprintf(sr->what, sizeof(sr->what), "nothing to undo (none was added)");
        goto done;
    }
    if (r == MGW_OK)
        r = mgw_file_read(undo ? added_path : list_path, 1u << 24, &list, &len);
    if (r == MGW_OK)
        r = open_store(target, &store);
    char *added = calloc(len + 1, 1);
    size_t n_added = 0, added_len = 0;
    if (r == MGW_OK && added == NULL)
        r = MGW_ERR_NO_MEMORY;
    for (size_t at = 0; r == MGW_OK && at + 40 <= len; at += 41) {
        char tp[41], rel[80];
        memcpy(tp, list + at, 40);
        tp[40] = '\0';
        if (strspn(tp, "0123456789ABCDEFabcdef") != 40 || (at + 40 < len && list[at + 40] != '\n')) {
            fprintf(stderr, "mgwauth: error: %s: line %zu is not a SHA-1 thumbprint\n",
                    undo ? added_path : list_path, at / 41 + 1);
            r = REPORTED;
            break;
        }
        if (undo) {
            r = mgw_store_remove_cert(store, tp);
            n_added++;
            continue;
        }
        snprintf(rel, sizeof(rel), "intermediates/%s.cer", tp);
        char *path = cli_path(sr->dir, rel, "");
        uint8_t *der = NULL;
        size_t der_len = 0;
        int was_added = 0;
        r = path == NULL ? MGW_ERR_NO_MEMORY : mgw_file_read(path, 1u << 20, &der, &der_len);
        if (r == MGW_OK)
            r = mgw_store_add_cert(store, der, der_len, &was_added, NULL);
        if (r == MGW_OK && was_added) {
            added_len += (size_t)sprintf(added + added_len, "%s\n", tp);
            n_added++;
        }
        if (r != MGW_OK && path != NULL) {
            const char *d = mgw_last_error();
            fprintf(stderr, "mgwauth: error: %s: %s\n", path, d[0] ? d : mgw_strerror(r));
            r = REPORTED;
        }
        mgw_free(der);
        free(path);
    }
    if (r == MGW_OK && !undo && n_added > 0) {
        r = mgw_file_write(added_path, (const uint8_t *)added, added_len, MGW_FILE_FORCE);
        if (r == MGW_OK)
            set_record(sr, "added", "intermediates/added.txt");
    }
    /* stopped part-way: the certificates this run added are taken out again */
    for (size_t at = 0; r != MGW_OK && !undo && added != NULL && at + 40 <= added_len; at += 41) {
        char tp[41];
        memcpy(tp, added + at, 40);
        tp[40] = '\0';
        if (mgw_store_remove_cert(store, tp) != MGW_OK)
            fprintf(stderr, "mgwauth: error: %s stays in %s: %s\n", tp, target, mgw_last_error());
        else
            fprintf(stderr, "mgwauth: took %s out of %s again\n", tp, target);
    }
    if (r == MGW_OK)
        snprintf(sr->what, sizeof(sr->what), "%zu %s %s %s", n_added,
                 cli_plural(n_added, "certificate", "certificates"),
                 undo ? "taken out of" : "added to", target);
    free(added);
done:
    mgw_store_free(&store);
    mgw_free(list);
    free(added_path);
    free(list_path);
    return r;
}

static int run_step(step_run *sr, bool undo, const gwplan_step *rec)
{
    const char *name = gwplan_get(sr->step, "step");
    sr->record[0] = sr->what[0] = '\0';
    if (strcmp(name, "client-cert") == 0)
        return do_client_cert(sr, undo, rec);
    if (strcmp(name, "registry") == 0)
        return do_file_plan(sr, undo, rec, &planrun_registry);
    if (strcmp(name, "iis") == 0)
        return do_file_plan(sr, undo, rec, &planrun_iis);
    if (strcmp(name, "roots") == 0)
        return do_roots(sr, undo, rec);
    if (strcmp(name, "intermediates") == 0)
        return do_intermediates(sr, undo, rec);
    if (strcmp(name, "task") == 0)
        return do_task(sr, undo, rec);
    fprintf(stderr, "mgwauth: error: unknown plan step \"%s\"\n", name);
    return REPORTED;
}

static void report_failure(int r)
{
    if (r == REPORTED)
        return;
    const char *d = mgw_last_error();
    fprintf(stderr, "mgwauth: error: %s\n", d[0] ? d : mgw_strerror(r));
}

static int read_plan(const char *path, gwplan *plan)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char err[300];
    if (cli_read(path, &data, &len) != 0)
        return 1;
    int r = gwplan_parse(data, len, plan, err, sizeof(err));
    mgw_free(data);
    if (r != 0) {
        fprintf(stderr, "mgwauth: error: %s: %s\n", path, err);
        gwplan_free(plan);
        return 1;
    }
    return 0;
}

/* The record of the applied steps (applied.json): a first line
 * {"step": "apply", "state": "applying"|"applied"}, then one line per step
 * done with what undo needs. It is written before the first step and again
 * after every step, so a crash leaves what rollback needs. A step not done
 * in this run, or done without a change, keeps what an earlier apply
 * recorded. */
static void earlier_fields(const gwplan *earlier, const char *step_name, char *out, size_t size,
                           bool *found)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < earlier->count; k++) {
        const gwplan_step *e = &earlier->steps[k];
        if (strcmp(gwplan_get(e, "step"), step_name) != 0)
            continue;
        *found = true;
        for (size_t f = 0; f < e->count; f++) {
            char esc[900];
            if (strcmp(e->name[f], "step") == 0 || escape(e->value[f], esc, sizeof(esc)) != 0)
                continue;
            int w = snprintf(out + len, size - len, "%s\"%s\": \"%s\"", len ? ", " : "",
                             e->name[f], esc);
            if (w > 0 && (size_t)w < size - len)
                len += (size_t)w;
        }
    }
}

static int write_record(const char *path, const gwplan *plan, const step_run *runs, size_t done,
                        const gwplan *earlier, const char *state)
{
    size_t cap = 256 + (plan->count + 1) * 1200, len = 0;
    char *text = malloc(cap);
    if (text == NULL)
        return MGW_ERR_NO_MEMORY;
    len += (size_t)snprintf(text, cap, "%s\n{\"step\": \"apply\", \"state\": \"%s\"}", GWPLAN_HEAD,
                            state);
    for (size_t i = 0; i < plan->count; i++) {
        char fields[1024];
        bool found = false;
        const char *name = gwplan_get(&plan->steps[i], "step");
        if (i < done && runs[i].record[0] != '\0') {
            snprintf(fields, sizeof(fields), "%s", runs[i].record);
            found = true;
        } else {
            earlier_fields(earlier, name, fields, sizeof(fields), &found);
            found = found || i < done;
        }
        if (found)
            len += (size_t)snprintf(text + len, cap - len, ",\n{\"step\": \"%s\"%s%s}", name,
                                    fields[0] ? ", " : "", fields);
    }
    len += (size_t)snprintf(text + len, cap - len, "\n%s\n", GWPLAN_TAIL);
    int r = mgw_file_write(path, (const uint8_t *)text, len, MGW_FILE_FORCE);
    free(text);
    return r;
}

/* The state an earlier record was left in ("applied" for a record written
 * before the state line existed). */
static const char *record_state(const gwplan *record)
{
    for (size_t k = 0; k < record->count; k++)
        if (strcmp(gwplan_get(&record->steps[k], "step"), "apply") == 0 &&
            gwplan_get(&record->steps[k], "state") != NULL)
            return strcmp(gwplan_get(&record->steps[k], "state"), "applying") == 0 ? "applying"
                                                                                 : "applied";
    return "applied";
}

/* Tests only: MGWAUTH_TEST_EXIT_AFTER=STEP ends the process right after that
 * step is done and recorded, as a crash or kill would. */
static void test_exit_after(const char *step_name)
{
    const char *at = getenv("MGWAUTH_TEST_EXIT_AFTER");
    if (at != NULL && strcmp(at, step_name) == 0) {
        fflush(stdout);
        _Exit(99);
    }
}

static char *plan_dir(const char *plan_path)
{
    const char *slash = strrchr(plan_path, '/');
#ifdef _WIN32
    const char *bs = strrchr(plan_path, '\\');
    if (bs != NULL && (slash == NULL || bs > slash))
        slash = bs;
#endif
    size_t n = slash != NULL ? (size_t)(slash - plan_path) : 1;
    char *dir = malloc(n + 1);
    if (dir != NULL) {
        memcpy(dir, slash != NULL ? plan_path : ".", n);
        dir[n] = '\0';
    }
    return dir;
}

static int gateway_apply_or_rollback(int argc, char **argv, bool rollback)
{
    cli_opt o[] = {OPT("plan", true, false)};
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    const char *path = cli_value(o, n, "plan");
    if (path == NULL)
        return cli_usage("needs --plan DIR/plan.json");
    gwplan plan, record = {0};
    if (read_plan(path, &plan) != 0)
        return 1;
    /* rollback finds a step's record by its name: one step of each name */
    for (size_t i = 0; i < plan.count; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(gwplan_get(&plan.steps[i], "step"), gwplan_get(&plan.steps[k], "step")) == 0) {
                fprintf(stderr, "mgwauth: error: %s: step \"%s\" more than once\n", path,
                        gwplan_get(&plan.steps[i], "step"));
                gwplan_free(&plan);
                return 1;
            }
    for (size_t i = 0; i < plan.count; i++)
        for (size_t f = 0; f < N(step_file_fields); f++) {
            const char *rel = gwplan_get(&plan.steps[i], step_file_fields[f]);
            if (rel != NULL && !inside_plan(rel)) {
                fprintf(stderr, "mgwauth: error: %s: step %s: \"%s\" is not a file inside the "
                        "plan's directory (absolute, or with ..)\n", path,
                        gwplan_get(&plan.steps[i], "step"), rel);
                gwplan_free(&plan);
                return 1;
            }
        }
    char *dir = plan_dir(path), *record_path = dir != NULL ? cli_path(dir, "applied", ".json") : NULL;
    step_run runs[GWPLAN_MAX_STEPS];
    int rc = 1;
    if (record_path == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    for (size_t i = 0; i < plan.count; i++)
        runs[i] = (step_run){.dir = dir, .step = &plan.steps[i]};
    if (rollback) {
        if (!cli_exists(record_path)) {
            printf("nothing to roll back: %s is not there (the plan was not applied, or was rolled "
                   "back)\n", record_path);
            rc = 0;
            goto done;
        }
        if (read_plan(record_path, &record) != 0)
            goto done;
        rc = 0;
        for (size_t i = plan.count; i-- > 0;) {
            const gwplan_step *rec = NULL;
            for (size_t k = 0; k < record.count; k++)
                if (strcmp(gwplan_get(&record.steps[k], "step"), gwplan_get(&plan.steps[i], "step")) == 0)
                    rec = &record.steps[k];
            if (rec == NULL)
                continue;
            int r = run_step(&runs[i], true, rec);
            if (r != MGW_OK) {
                report_failure(r);
                printf("FAILED   %s: rollback stopped; the steps before it are still applied\n",
                       gwplan_get(&plan.steps[i], "step"));
                rc = 1;
                goto done;
            }
            printf("undone   %s: %s\n", gwplan_get(&plan.steps[i], "step"), runs[i].what);
        }
        cli_remove(record_path);
        printf("rolled back\n");
        goto done;
    }
    size_t done_steps = 0;
    int r = MGW_OK;
    bool had_record = cli_exists(record_path), record_failed = false;
    /* the record is read and written before the first step: an unreadable
     * or unwritable applied.json stops apply before anything changes */
    if (had_record && read_plan(record_path, &record) != 0)
        goto done;
    const char *earlier_state = record_state(&record);
    in_progress.path = record_path;
    in_progress.plan = &plan;
    in_progress.earlier = &record;
    in_progress.runs = runs;
    if ((r = write_record(record_path, &plan, runs, 0, &record, "applying")) != MGW_OK) {
        cli_fail(r, record_path);
        printf("stopped before the first step: nothing changed\n");
        goto done;
    }
    for (; done_steps < plan.count; done_steps++) {
        r = run_step(&runs[done_steps], false, NULL);
        if (r != MGW_OK)
            break;
        printf("done     %s: %s\n", gwplan_get(&plan.steps[done_steps], "step"),
               runs[done_steps].what);
        fflush(stdout);
        if ((r = write_record(record_path, &plan, runs, done_steps + 1, &record, "applying")) !=
            MGW_OK) {
            cli_fail(r, record_path);
            record_failed = true;
            done_steps++;
            break;
        }
        test_exit_after(gwplan_get(&plan.steps[done_steps], "step"));
    }
    if (r == MGW_OK) {
        if ((r = write_record(record_path, &plan, runs, plan.count, &record, "applied")) != MGW_OK)
            cli_fail(r, record_path);
        else
            rc = 0;
        printf("applied: %zu %s\n", plan.count, cli_plural(plan.count, "step", "steps"));
        goto done;
    }
    if (record_failed) {
        printf("FAILED   writing %s\n", record_path);
    } else {
        report_failure(r);
        printf("FAILED   %s: nothing of it changed\n", gwplan_get(&plan.steps[done_steps], "step"));
    }
    for (size_t i = done_steps + (record_failed ? 0 : 1); i < plan.count; i++)
        printf("not run  %s\n", gwplan_get(&plan.steps[i], "step"));
    bool undo_ok = true;
    int u_r;
    for (size_t i = done_steps; i-- > 0;) {
        gwplan_step rec = {0};
        /* the undo of a step just done takes its record from runs[i] */
        rec.name[0] = runs[i].key;
        rec.value[0] = runs[i].value;
        rec.count = runs[i].record[0] != '\0' ? 1 : 0;
        char saved[sizeof(runs[i].record)];
        memcpy(saved, runs[i].record, sizeof(saved));
        int u = run_step(&runs[i], true, &rec);
        if (u != MGW_OK) {
            report_failure(u);
            printf("NOT UNDONE %s: left applied\n", gwplan_get(&plan.steps[i], "step"));
            memcpy(runs[i].record, saved, sizeof(saved));
            undo_ok = false;
        } else {
            printf("undone   %s: %s\n", gwplan_get(&plan.steps[i], "step"), runs[i].what);
            runs[i].record[0] = '\0';
        }
    }
    /* the record says what is left: nothing (no record), what an earlier
     * apply did, or the steps this one could not undo */
    if (undo_ok && !had_record)
        cli_remove(record_path);
    else if ((u_r = write_record(record_path, &plan, runs, done_steps, &record,
                                 undo_ok ? earlier_state : "applying")) != MGW_OK)
        cli_fail(u_r, record_path);
    printf("%s\n", undo_ok ? "stopped: everything is as it was before apply"
                           : "stopped: NOT everything could be undone (see above)");
done:
    free(record_path);
    free(dir);
    gwplan_free(&record);
    gwplan_free(&plan);
    return rc;
}

int cmd_gateway_apply(int argc, char **argv)
{
    return gateway_apply_or_rollback(argc, argv, false);
}

int cmd_gateway_rollback(int argc, char **argv)
{
    return gateway_apply_or_rollback(argc, argv, true);
}
