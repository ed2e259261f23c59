/* mgwauth gateway status: the machine (or the files standing for it) against
 * the procedure, one step per line with PASS, WARN or FAIL, the evidence and
 * the command that fixes it. Every step uses the library's own planners: a
 * step passes when its planner has nothing left to change. */
#include "gateway.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const char *root_store_name(const inputs *in)
{
    return in->issuer_store != NULL ? in->issuer_store : "Root";
}

/* A Windows system store ("LocalMachine\\Root", "CurrentUser/My") or a directory. */
bool gw_is_system_store(const char *name)
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

int gw_open_store(const char *name, mgw_store_t **store)
{
    return gw_is_system_store(name) ? mgw_store_open_system(name, store)
                                 : mgw_store_open_dir(name, store);
}

/* The trusted store: --store DIR, or with --live LocalMachine\Root (or the
 * issuer store). */
static int open_trust_store(const inputs *in, bool issuer, mgw_store_t **store, char *label,
                            size_t size)
{
    if (in->store != NULL) {
        snprintf(label, size, "%s", in->store);
        return gw_open_store(in->store, store);
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
int gw_registry_options(const inputs *in, mgw_regopts_t *opts)
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

int gw_read_registry(const inputs *in, mgw_regstate_t *st)
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
    int r = opts == NULL ? MGW_ERR_NO_MEMORY : gw_registry_options(in, opts);
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
    int r = st == NULL ? MGW_ERR_NO_MEMORY : gw_read_registry(in, st);
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
    int r = st == NULL || opts == NULL ? MGW_ERR_NO_MEMORY : gw_read_registry(in, st);
    if (r == MGW_OK)
        r = gw_registry_options(in, opts);
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
void gw_server_root(const inputs *in, char root[41], char *why_not, size_t size)
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
    if (gw_open_store(server_store, &my) != MGW_OK ||
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
    gw_server_root(in, server, why_not, sizeof(why_not));
    if (r == MGW_OK && server[0] != '\0')
        r = mgw_rootopts_add_keep(opts, server);
    if (r == MGW_OK)
        r = mgw_rootopts_set_allow_missing(opts, 1);
    if (r == MGW_OK)
        r = open_trust_store(in, false, &store, label, sizeof(label));
    if (r == MGW_OK)
        r = mgw_rootplan_compute(store, opts, &plan);
    size_t policy = r == MGW_OK ? mgw_rootplan_count(plan, MGW_ROOT_POLICY) : 0;
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

inputs gw_inputs(cli_opt *o, size_t n)
{
    inputs in = {.o = o, .n = n};
    in.client_cert = val(&in, "client-cert");
    in.store = val(&in, "store");
    in.registry_file = val(&in, "registry-file");
    in.iis_config = val(&in, "iis-config");
    in.keep_file = val(&in, "keep-file");
    in.issuer_store = val(&in, "issuer-store");
    in.site = val(&in, "site");
    in.task_name = val(&in, "task-name") != NULL ? val(&in, "task-name") : "mgwauth roots prune";
    return in;
}

int gw_load_cert(inputs *in)
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
        GW_INPUT_OPTS,
        OPT("json", false, false),
        OPT("url", true, false),
        OPT("pfx", true, false),
        OPT("password-file", true, false),
        OPT("cafile", true, false),
        OPT("insecure", false, false),
        OPT("connect-to", true, false),
    };
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    inputs in = gw_inputs(o, n);
    in.live = flag(&in, "live");
    in.task_xml = val(&in, "task-xml");
    if (in.live && in.registry_file != NULL)
        return cli_usage("--live and --registry-file exclude each other");
    if ((val(&in, "url") != NULL) != (val(&in, "pfx") != NULL) ||
        (val(&in, "pfx") != NULL && val(&in, "password-file") == NULL))
        return cli_usage("the gateway check needs --url URL, --pfx FILE and --password-file F");
    if (val(&in, "url") != NULL && flag(&in, "insecure") == (val(&in, "cafile") != NULL))
        return cli_usage("the gateway check needs exactly one of --cafile FILE and --insecure");
    if (in.client_cert != NULL && gw_load_cert(&in) != 0)
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
