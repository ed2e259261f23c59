/*
 * The planner: the gateway's SCHANNEL, HTTP.sys and root auto-update settings
 * as desired state, compared with a registry state. Pure: it reads the state
 * and options it is given and returns data; it never touches a registry.
 */
#include "registry/plan.h"

#include "crypto/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HKLM_SYSTEM "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet"
#define SCHANNEL_KEY HKLM_SYSTEM "\\Control\\SecurityProviders\\SCHANNEL"
#define HTTP_PARAMS HKLM_SYSTEM "\\Services\\HTTP\\Parameters"
#define IP_BINDINGS HTTP_PARAMS "\\SslBindingInfo"
#define SNI_BINDINGS HTTP_PARAMS "\\SslSniBindingInfo"
#define CCS_BINDINGS HTTP_PARAMS "\\SslCcsBindingInfo"
#define SYSCERTS_POLICY "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates"
#define AUTHROOT_KEY SYSCERTS_POLICY "\\AuthRoot"

#define FLAG_NEGOTIATE_CLIENT_CERT 0x2u
#define FLAG_DISABLE_TLS13 0x40u
#define CHECK_MODE_NO_REVOCATION 0x1u

const char *const *mgw_regplan_read_keys(size_t *n)
{
    static const char *const keys[] = {SCHANNEL_KEY, HTTP_PARAMS, SYSCERTS_POLICY};
    *n = sizeof(keys) / sizeof(keys[0]);
    return keys;
}

/* ---- items ------------------------------------------------------------------ */

int mgw_regdata_set(mgw_regdata *d, bool present, uint32_t type, const uint8_t *data, size_t len)
{
    uint8_t *copy = NULL;
    if (present) {
        copy = malloc(len > 0 ? len : 1);
        if (copy == NULL)
            return MGW_ERR_NO_MEMORY;
        if (len > 0)
            memcpy(copy, data, len);
    }
    free(d->data);
    d->present = present;
    d->type = present ? type : 0;
    d->data = copy;
    d->len = present ? len : 0;
    return MGW_OK;
}

bool mgw_regdata_same(const mgw_regdata *a, const mgw_regdata *b)
{
    if (!a->present || !b->present)
        return a->present == b->present;
    return a->type == b->type && a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

void mgw_regitem_free(mgw_regitem *it)
{
    free(it->key);
    free(it->name);
    free(it->label);
    free(it->meaning);
    free(it->before.data);
    free(it->after.data);
}

mgw_regplan_t *mgw_regplan_alloc(void)
{
    mgw_regplan_t *p = calloc(1, sizeof(*p));
    if (p != NULL)
        mgw_regdoc_init(&p->backup);
    return p;
}

MGW_API void mgw_regplan_free(mgw_regplan_t **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    mgw_regplan_t *p = *pp;
    for (size_t i = 0; i < p->n_items; i++)
        mgw_regitem_free(&p->items[i]);
    free(p->items);
    for (size_t i = 0; i < p->n_warnings; i++)
        free(p->warnings[i]);
    free(p->warnings);
    free(p->binding);
    mgw_regdoc_free(&p->backup);
    free(p);
    *pp = NULL;
}

int mgw_regplan_add_warning(mgw_regplan_t *plan, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    char *copy = mgw_strdup(text);
    char **nw = realloc(plan->warnings, (plan->n_warnings + 1) * sizeof(*nw));
    if (copy == NULL || nw == NULL) {
        free(copy);
        if (nw != NULL)
            plan->warnings = nw;
        return MGW_ERR_NO_MEMORY;
    }
    plan->warnings = nw;
    nw[plan->n_warnings++] = copy;
    return MGW_OK;
}

static void hash_data(mgw_dbuf *b, const mgw_regdata *d)
{
    mgw_dbuf_putc(b, d->present);
    uint64_t len = d->len;
    uint8_t hdr[12];
    for (int k = 0; k < 4; k++)
        hdr[k] = (uint8_t)(d->type >> (8 * k));
    for (int k = 0; k < 8; k++)
        hdr[4 + k] = (uint8_t)(len >> (8 * k));
    mgw_dbuf_put(b, hdr, sizeof(hdr));
    mgw_dbuf_put(b, d->data, d->len);
}

static void hash_upper(mgw_dbuf *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        mgw_dbuf_putc(b, (uint8_t)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s));
    mgw_dbuf_putc(b, 0);
}

/* Everything that drives apply and rollback: per item the key and name
 * (upper-cased: the registry ignores case), the action, whether the key
 * existed, the value before and the value the plan writes (present, type,
 * length, data); then the binding. Labels, meanings and warnings are words
 * for people and are not covered. */
int mgw_regplan_hash(const mgw_regplan_t *plan, uint8_t out[32])
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "mgwauth-registry-plan/2");
    mgw_dbuf_putc(&b, 0);
    for (size_t i = 0; i < plan->n_items; i++) {
        const mgw_regitem *it = &plan->items[i];
        hash_upper(&b, it->key);
        hash_upper(&b, it->name);
        mgw_dbuf_putc(&b, (uint8_t)it->action);
        mgw_dbuf_putc(&b, it->key_existed);
        hash_data(&b, &it->before);
        hash_data(&b, &it->after);
    }
    hash_upper(&b, plan->binding);
    if (b.oom) {
        mgw_dbuf_free(&b);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    mgw_sha256(b.p, b.len, out);
    mgw_dbuf_free(&b);
    return MGW_OK;
}

/* ---- meanings ------------------------------------------------------------------ */

static bool dword_of(const mgw_regdata *v, uint32_t *out)
{
    if (!v->present || v->type != MGW_REGT_DWORD || v->len != 4)
        return false;
    *out = v->data[0] | v->data[1] << 8 | v->data[2] << 16 | (uint32_t)v->data[3] << 24;
    return true;
}

static void bits_in_words(mgw_dbuf *out, uint32_t v, const uint32_t *bits, const char *const *names,
                          size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!(v & bits[i]))
            continue;
        mgw_dbuf_printf(out, "%s%s", first ? "" : "; ", names[i]);
        v &= ~bits[i];
        first = false;
    }
    if (v != 0)
        mgw_dbuf_printf(out, "%sother bits 0x%x", first ? "" : "; ", (unsigned)v);
}

/* Every bit of DefaultSslCertCheckMode, set or not (HTTP_SERVICE_CONFIG_SSL_PARAM,
 * DefaultCertCheckMode), then any bit without a name. */
static void check_mode_meaning(uint32_t v, mgw_dbuf *out)
{
    static const uint32_t bits[] = {0x1, 0x2, 0x4, 0x10000};
    static const char *const names[] = {"no revocation check", "cached revocation data only",
                                        "DefaultSslRevocationFreshnessTime applies",
                                        "no usage check"};
    mgw_dbuf_puts(out, v & CHECK_MODE_NO_REVOCATION
                           ? "revocation of client certificates is not checked: "
                           : "revocation of client certificates IS checked (0 is the default, "
                             "not 'off'; it fails only a certificate naming a CRL distribution "
                             "point Windows cannot reach): ");
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        mgw_dbuf_printf(out, "%s0x%x %s %s", i > 0 ? "; " : "", (unsigned)bits[i], names[i],
                        v & bits[i] ? "on" : "off");
        v &= ~bits[i];
    }
    if (v != 0)
        mgw_dbuf_printf(out, "; other bits 0x%x", (unsigned)v);
}

static void flags_meaning(uint32_t v, mgw_dbuf *out)
{
    /* HTTP_SERVICE_CONFIG_SSL_FLAG_* of http.h */
    static const uint32_t bits[] = {0x1,   0x2,   0x4,   0x8,    0x10,   0x20,  0x40, 0x80,
                                    0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000};
    static const char *const names[] = {
        "USE_DS_MAPPER",
        "NEGOTIATE_CLIENT_CERT: the client certificate is asked for in the "
        "first handshake",
        "NO_RAW_FILTER",
        "REJECT",
        "DISABLE_HTTP2",
        "DISABLE_QUIC",
        "DISABLE_TLS13: TLS 1.3 off for this binding",
        "DISABLE_OCSP_STAPLING",
        "ENABLE_TOKEN_BINDING",
        "LOG_EXTENDED_EVENTS",
        "DISABLE_LEGACY_TLS",
        "ENABLE_SESSION_TICKET",
        "DISABLE_TLS12",
        "ENABLE_CLIENT_CORRELATION",
        "DISABLE_SESSION_ID"};
    if (v == 0) {
        mgw_dbuf_puts(out, "no flags: the client certificate is asked for by renegotiation, "
                           "which TLS 1.3 does not have");
        return;
    }
    bits_in_words(out, v, bits, names, sizeof(bits) / sizeof(bits[0]));
}

int mgw_regmeaning(const char *name, const mgw_regdata *v, mgw_dbuf *out)
{
    uint32_t d = 0;
    bool dw = dword_of(v, &d);
    if (!v->present) {
        mgw_dbuf_puts(out, "absent");
    } else if (mgw_regname_eq(name, "ClientAuthTrustMode") && dw && d <= 2) {
        static const char *const modes[] = {
            "Machine Trust: the client certificate must be issued by a CA in the trusted "
            "issuers list (the default)",
            "Exclusive Root Trust: the chain must end in a root in the binding's issuer store",
            "Exclusive CA Trust: the chain must reach a CA in the binding's issuer store"};
        mgw_dbuf_puts(out, modes[d]);
    } else if (mgw_regname_eq(name, "SendTrustedIssuerList") && dw) {
        mgw_dbuf_puts(out, d == 0 ? "the certificate request names no trusted issuers (as "
                                    "Server 2012 and later do when the value is absent)"
                                  : "the certificate request lists the trusted issuers "
                                    "(at most 16 KB of them)");
    } else if (mgw_regname_eq(name, "DefaultSslCertCheckMode") && dw) {
        check_mode_meaning(d, out);
    } else if (mgw_regname_eq(name, "DefaultFlags") && dw) {
        flags_meaning(d, out);
    } else if (mgw_regname_eq(name, "DefaultSslCtlStoreName")) {
        mgw_dbuf_puts(out, "client certificates must chain to a CA in this LocalMachine store "
                           "(the binding's trusted issuer store)");
    } else if (mgw_regname_eq(name, "DisableRootAutoUpdate") && dw) {
        mgw_dbuf_puts(out, d != 0 ? "Windows no longer fetches trusted roots automatically "
                                    "(this can also stop disallowed-list and pin-rule updates)"
                                  : "automatic root certificate updates are allowed");
    } else if (mgw_regname_eq(name, "EnableDisallowedCertAutoUpdate") && dw) {
        mgw_dbuf_puts(out, d != 0 ? "the disallowed-certificate list keeps updating "
                                    "(Server 2012 R2 and later)"
                                  : "disallowed-certificate updates follow the root policy");
    } else if (mgw_regname_eq(name, "SslCertHash")) {
        mgw_dbuf_puts(out, "the binding's server certificate (SHA-1 thumbprint)");
    } else if (mgw_regname_eq(name, "HostnamePort")) {
        mgw_dbuf_puts(out, "the host name and port of the SNI binding");
    } else {
        mgw_dbuf_puts(out, "a value of an unexpected type or range");
    }
    return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

/* ---- the planner ------------------------------------------------------------------ */

typedef struct {
    const mgw_regdoc *st;
    const mgw_regopts_t *opts;
    mgw_regplan_t *plan;
    const mgw_regkey *binding; /* the binding's key in the state */
} planner;

static void dword_data(uint32_t v, uint8_t le[4])
{
    le[0] = (uint8_t)v, le[1] = (uint8_t)(v >> 8), le[2] = (uint8_t)(v >> 16);
    le[3] = (uint8_t)(v >> 24);
}

static mgw_regdata value_in(const mgw_regdoc *st, const char *key, const char *name)
{
    mgw_regdata d = {false, 0, NULL, 0};
    const mgw_regkey *k = mgw_regdoc_find(st, key);
    const mgw_regval *v = k != NULL ? mgw_regkey_find(k, name) : NULL;
    if (v != NULL) {
        d.present = true, d.type = v->type, d.data = v->data, d.len = v->len;
    }
    return d;
}

/* Last part of a key path: "SCHANNEL", "0.0.0.0:443". */
static const char *leaf(const char *path)
{
    const char *bs = strrchr(path, '\\');
    return bs != NULL ? bs + 1 : path;
}

/* Add an item for key\name: CHECK reads it; otherwise `want` is the desired
 * content, and the item is KEEP or SET. */
static int add_item(planner *pl, const char *key, const char *name, int action, uint32_t type,
                    const uint8_t *want, size_t want_len)
{
    mgw_regplan_t *p = pl->plan;
    mgw_regitem *ni = realloc(p->items, (p->n_items + 1) * sizeof(*ni));
    if (ni == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    p->items = ni;
    mgw_regitem *it = &ni[p->n_items];
    memset(it, 0, sizeof(*it));
    p->n_items++;
    const mgw_regkey *k = mgw_regdoc_find(pl->st, key);
    const char *path = k != NULL ? k->path : key;
    mgw_regdata before = value_in(pl->st, key, name);
    it->key = mgw_strdup(path);
    it->name = mgw_strdup(name);
    it->key_existed = k != NULL;
    mgw_dbuf label, meaning;
    mgw_dbuf_init(&label);
    mgw_dbuf_init(&meaning);
    mgw_dbuf_printf(&label, "%s\\%s", leaf(path), name);
    int r = mgw_regdata_set(&it->before, before.present, before.type, before.data, before.len);
    if (r == MGW_OK && action == MGW_REGACT_CHECK)
        r = mgw_regdata_set(&it->after, before.present, before.type, before.data, before.len);
    else if (r == MGW_OK)
        r = mgw_regdata_set(&it->after, true, type, want, want_len);
    if (r == MGW_OK && action != MGW_REGACT_CHECK)
        action = mgw_regdata_same(&it->before, &it->after) ? MGW_REGACT_KEEP : MGW_REGACT_SET;
    it->action = action;
    if (r == MGW_OK)
        r = mgw_regmeaning(name, &it->after, &meaning);
    if (r == MGW_OK && (mgw_dbuf_putc(&label, 0) != MGW_OK || mgw_dbuf_putc(&meaning, 0)))
        r = MGW_ERR_NO_MEMORY;
    if (r == MGW_OK) {
        it->label = mgw_strdup((const char *)label.p);
        it->meaning = mgw_strdup((const char *)meaning.p);
    }
    mgw_dbuf_free(&label);
    mgw_dbuf_free(&meaning);
    if (r != MGW_OK || it->key == NULL || it->name == NULL || it->label == NULL ||
        it->meaning == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    return MGW_OK;
}

/* A managed DWORD value of another type (or size) is not read as a number by
 * Windows; replacing it silently would hide whatever put it there. */
static int add_dword(planner *pl, const char *key, const char *name, uint32_t v)
{
    mgw_regdata cur = value_in(pl->st, key, name);
    uint32_t old;
    if (cur.present && !dword_of(&cur, &old)) {
        char buf[16];
        const char *type = mgw_regtype_name(cur.type, buf);
        return mgw_err(MGW_ERR_REG_TYPE,
                       "%s\\%s is a %s of %zu bytes where a REG_DWORD is expected (Windows does "
                       "not read it as a number): delete it or set it as a REG_DWORD, then plan "
                       "again",
                       leaf(key), name, type, cur.len);
    }
    uint8_t le[4];
    dword_data(v, le);
    return add_item(pl, key, name, MGW_REGACT_SET, MGW_REGT_DWORD, le, 4);
}

/* True when `path` is a direct subkey of `parent`. */
static bool is_child(const char *path, const char *parent)
{
    size_t n = strlen(parent);
    return mgw_regpath_within(path, parent) && path[n] == '\\' &&
           strchr(path + n + 1, '\\') == NULL;
}

/* The HostnamePort of an SNI binding key, or its key name. */
static void sni_name(const mgw_regkey *k, mgw_dbuf *out)
{
    const mgw_regval *hp = mgw_regkey_find(k, "HostnamePort");
    if (hp == NULL || hp->type != MGW_REGT_SZ || mgw_regsz_to_utf8(hp->data, hp->len, out) != 0) {
        out->len = 0;
        mgw_dbuf_puts(out, leaf(k->path));
    }
}

static int no_binding(planner *pl)
{
    const mgw_regopts_t *o = pl->opts;
    mgw_dbuf ip, sni, ccs, name;
    mgw_dbuf_init(&ccs);
    mgw_dbuf_init(&ip);
    mgw_dbuf_init(&sni);
    mgw_dbuf_init(&name);
    for (size_t i = 0; i < pl->st->n_keys; i++) {
        const mgw_regkey *k = &pl->st->keys[i];
        if (is_child(k->path, IP_BINDINGS))
            mgw_dbuf_printf(&ip, "%s%s", ip.len > 0 ? ", " : "", leaf(k->path));
        if (is_child(k->path, SNI_BINDINGS)) {
            name.len = 0;
            sni_name(k, &name);
            mgw_dbuf_printf(&sni, "%s%.*s", sni.len > 0 ? ", " : "", (int)name.len,
                            (const char *)name.p);
        }
        if (is_child(k->path, CCS_BINDINGS))
            mgw_dbuf_printf(&ccs, "%s%s", ccs.len > 0 ? ", " : "", leaf(k->path));
    }
    mgw_dbuf_putc(&ccs, 0);
    mgw_dbuf_putc(&ip, 0);
    mgw_dbuf_putc(&sni, 0);
    int r =
        mgw_err(MGW_ERR_REG_NO_BINDING,
                "the %s binding %s is not in the current registry state; the planner never "
                "creates a binding key (one without SslCertHash is broken): create the "
                "binding with 'netsh http add sslcert' or IIS first%s%s%s%s%s%s",
                o->binding_kind == MGW_BINDING_IP    ? "IP"
                : o->binding_kind == MGW_BINDING_SNI ? "SNI"
                                                     : "Central Certificate Store",
                o->binding, ip.len > 1 ? "; IP bindings present: " : "",
                ip.len > 1 ? (char *)ip.p : "", sni.len > 1 ? "; SNI bindings present: " : "",
                sni.len > 1 ? (char *)sni.p : "",
                ccs.len > 1 ? "; Central Certificate Store bindings present: " : "",
                ccs.len > 1 ? (char *)ccs.p : "");
    mgw_dbuf_free(&ccs);
    mgw_dbuf_free(&ip);
    mgw_dbuf_free(&sni);
    mgw_dbuf_free(&name);
    return r;
}

/* A Central Certificate Store binding is per port: its key under
 * SslCcsBindingInfo is "ADDRESS:PORT" (any address) or the port alone. */
static int find_ccs_binding(planner *pl)
{
    const char *port = pl->opts->binding;
    size_t found = 0, n = strlen(port);
    for (size_t i = 0; i < pl->st->n_keys; i++) {
        const mgw_regkey *k = &pl->st->keys[i];
        if (!is_child(k->path, CCS_BINDINGS))
            continue;
        const char *name = leaf(k->path), *colon = strrchr(name, ':');
        const char *p = colon != NULL ? colon + 1 : name;
        if (strlen(p) == n && memcmp(p, port, n) == 0) {
            pl->binding = k;
            found++;
        }
    }
    if (found > 1)
        return mgw_err(MGW_ERR_REG_NO_BINDING,
                       "%zu Central Certificate Store binding keys are for port %s; remove the "
                       "stale ones first",
                       found, port);
    return found == 1 ? MGW_OK : no_binding(pl);
}

static int find_binding(planner *pl)
{
    const mgw_regopts_t *o = pl->opts;
    if (o->binding_kind == MGW_BINDING_IP) {
        char path[512];
        snprintf(path, sizeof(path), "%s\\%s", IP_BINDINGS, o->binding);
        pl->binding = mgw_regdoc_find(pl->st, path);
        return pl->binding != NULL ? MGW_OK : no_binding(pl);
    }
    if (o->binding_kind == MGW_BINDING_CCS)
        return find_ccs_binding(pl);
    size_t found = 0;
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    int r = MGW_OK;
    for (size_t i = 0; i < pl->st->n_keys && r == MGW_OK; i++) {
        const mgw_regkey *k = &pl->st->keys[i];
        if (!is_child(k->path, SNI_BINDINGS))
            continue;
        /* HostnamePort names the binding; a key without it, by its own name */
        const mgw_regval *hp = mgw_regkey_find(k, "HostnamePort");
        name.len = 0;
        r = hp == NULL ? mgw_dbuf_puts(&name, leaf(k->path))
                       : mgw_regsz_to_utf8(hp->data, hp->len, &name);
        if (r == MGW_OK)
            r = mgw_dbuf_putc(&name, 0);
        if (r == MGW_OK && mgw_regname_eq((char *)name.p, o->binding)) {
            pl->binding = k;
            found++;
        }
        if (r != MGW_ERR_NO_MEMORY)
            r = MGW_OK; /* a HostnamePort that is no string names no binding */
    }
    mgw_dbuf_free(&name);
    if (r != MGW_OK)
        return mgw_err(r, NULL);
    if (found > 1)
        return mgw_err(MGW_ERR_REG_NO_BINDING,
                       "%zu SNI binding keys are for %s (by HostnamePort or key name); remove "
                       "the stale ones first",
                       found, o->binding);
    return found == 1 ? MGW_OK : no_binding(pl);
}

static int plan_schannel(planner *pl)
{
    int r = add_dword(pl, SCHANNEL_KEY, "ClientAuthTrustMode", (uint32_t)pl->opts->trust_mode);
    return r != MGW_OK ? r : add_dword(pl, SCHANNEL_KEY, "SendTrustedIssuerList", 0);
}

static int plan_binding(planner *pl)
{
    const mgw_regopts_t *o = pl->opts;
    const char *key = pl->binding->path;
    int r = MGW_OK;
    if (o->binding_kind == MGW_BINDING_SNI)
        r = add_item(pl, key, "HostnamePort", MGW_REGACT_CHECK, 0, NULL, 0);
    /* Central Certificate Store bindings take their certificates from the share */
    if (r == MGW_OK && o->binding_kind != MGW_BINDING_CCS)
        r = add_item(pl, key, "SslCertHash", MGW_REGACT_CHECK, 0, NULL, 0);
    if (r == MGW_OK) {
        /* a set of bits: only "no revocation check" is ours, the others stay */
        mgw_regdata cur = value_in(pl->st, key, "DefaultSslCertCheckMode");
        uint32_t mode = 0;
        dword_of(&cur, &mode); /* add_dword refuses another type */
        mode = o->revocation_check ? mode & ~CHECK_MODE_NO_REVOCATION
                                   : mode | CHECK_MODE_NO_REVOCATION;
        r = add_dword(pl, key, "DefaultSslCertCheckMode", mode);
    }
    uint32_t bits = (o->disable_tls13 ? FLAG_DISABLE_TLS13 : 0) |
                    (o->negotiate_client_cert ? FLAG_NEGOTIATE_CLIENT_CERT : 0);
    if (r == MGW_OK && bits != 0) {
        mgw_regdata cur = value_in(pl->st, key, "DefaultFlags");
        uint32_t flags = 0;
        dword_of(&cur, &flags); /* add_dword refuses another type */
        r = add_dword(pl, key, "DefaultFlags", flags | bits);
    }
    if (r == MGW_OK && o->issuer_store != NULL) {
        mgw_dbuf sz;
        mgw_dbuf_init(&sz);
        r = mgw_regsz_from_utf8(o->issuer_store, &sz);
        if (r == MGW_OK)
            r = add_item(pl, key, "DefaultSslCtlStoreName", MGW_REGACT_SET, MGW_REGT_SZ, sz.p,
                         sz.len);
        mgw_dbuf_free(&sz);
    }
    return r;
}

static int plan_autoupdate(planner *pl)
{
    if (!pl->opts->disable_root_autoupdate)
        return MGW_OK;
    int r = add_dword(pl, AUTHROOT_KEY, "DisableRootAutoUpdate", 1);
    if (r == MGW_OK && pl->opts->keep_disallowed)
        r = add_dword(pl, AUTHROOT_KEY, "EnableDisallowedCertAutoUpdate", 1);
    return r;
}

static const mgw_regitem *item_named(const mgw_regplan_t *p, const char *name)
{
    for (size_t i = 0; i < p->n_items; i++)
        if (mgw_regname_eq(p->items[i].name, name))
            return &p->items[i];
    return NULL;
}

static int warn_pitfalls(planner *pl)
{
    mgw_regplan_t *p = pl->plan;
    const mgw_regopts_t *o = pl->opts;
    int r = MGW_OK;
    const char *b = leaf(pl->binding->path);
    const mgw_regitem *hash = item_named(p, "SslCertHash");
    if (hash != NULL && !hash->before.present)
        r = mgw_regplan_add_warning(p,
                                    "binding %s has no SslCertHash: it is broken; recreate it "
                                    "with netsh http add sslcert",
                                    b);
    /* An empty REG_SZ (two zero bytes) names no store either. */
    mgw_regdata store = value_in(pl->st, pl->binding->path, "DefaultSslCtlStoreName");
    bool no_store = !store.present || store.len <= 2;
    if (r == MGW_OK && o->trust_mode != 0 && o->issuer_store == NULL && no_store)
        r = mgw_regplan_add_warning(
            p,
            "ClientAuthTrustMode=%d trusts only the CAs in the binding's issuer store, but "
            "binding %s names none (DefaultSslCtlStoreName); what Schannel then does is not "
            "documented: set an issuer store (e.g. ClientAuthIssuer) holding the company CA",
            o->trust_mode, b);
    if (r == MGW_OK && o->revocation_check && o->client_names_cdp == 1)
        r = mgw_regplan_add_warning(
            p, "revocation of client certificates is checked (DefaultSslCertCheckMode bit 0x1 "
               "clear) and the client certificate names a CRL distribution point: Windows "
               "refuses the certificate whenever it cannot reach that CRL; make sure the "
               "gateway can, or plan with --no-revocation-check");
    if (r == MGW_OK && o->disable_root_autoupdate)
        r = mgw_regplan_add_warning(
            p, "DisableRootAutoUpdate is written to the policy key directly: this is not a "
               "local Group Policy setting (gpedit.msc will not show it), and a domain GPO "
               "(\"Turn off Automatic Root Certificates Update\") overrides it; on a domain "
               "member set it in the GPO instead");
    const mgw_regitem *fl = item_named(p, "DefaultFlags");
    mgw_regdata cur = value_in(pl->st, pl->binding->path, "DefaultFlags");
    uint32_t flags = 0;
    if (fl != NULL)
        dword_of(&fl->after, &flags);
    else
        dword_of(&cur, &flags);
    if (r == MGW_OK && !(flags & (FLAG_DISABLE_TLS13 | FLAG_NEGOTIATE_CLIENT_CERT)))
        r = mgw_regplan_add_warning(
            p,
            "binding %s requires client certificates by renegotiation, which TLS 1.3 does "
            "not have (Server 2022 resets the connection, 2025 answers HTTP 500): negotiate "
            "the certificate in the first handshake (DefaultFlags 0x2) or disable TLS 1.3 on "
            "the binding (DefaultFlags 0x40)",
            b);
    if (r == MGW_OK && o->disable_tls13)
        r = mgw_regplan_add_warning(
            p, "DefaultFlags 0x40 and the IIS binding's sslFlags bit 32 (DisableTLS13) belong "
               "together: IIS Manager sets both, and may drop a value written here alone when "
               "it rewrites the binding; plan the IIS side with mgwauth iis plan "
               "--disable-tls13");
    return r;
}

static int warn_effects(planner *pl)
{
    mgw_regplan_t *p = pl->plan;
    int r = MGW_OK;
    const char *warned = NULL;
    for (size_t i = 0; i < p->n_items && r == MGW_OK; i++) {
        const mgw_regitem *it = &p->items[i];
        if (it->key_existed || it->action != MGW_REGACT_SET ||
            (warned != NULL && mgw_regname_eq(warned, it->key)))
            continue;
        warned = it->key;
        r = mgw_regplan_add_warning(p,
                                    "key %s is not in the current state: it will be created, "
                                    "and the rollback deletes it with everything below it; "
                                    "include its export if it exists",
                                    it->key);
    }
    if (r == MGW_OK && mgw_regplan_change_count(p) > 0)
        r = mgw_regplan_add_warning(p, "Schannel and HTTP.sys read these values when they start: "
                                       "restart the server after the change; IIS recreates the "
                                       "binding with default settings when its certificate "
                                       "changes, so plan again then");
    return r;
}

static int collect_backup(planner *pl)
{
    mgw_regplan_t *p = pl->plan;
    const char **paths = calloc(p->n_items + 1, sizeof(*paths));
    if (paths == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < p->n_items; i++)
        paths[i] = p->items[i].key;
    int r = mgw_regstate_extract(pl->st, paths, p->n_items, &p->backup);
    free(paths);
    p->has_backup = r == MGW_OK;
    return r == MGW_OK ? MGW_OK : mgw_err(r, NULL);
}

MGW_API int mgw_regplan_compute(const mgw_regopts_t *opts, const mgw_regstate_t *current,
                                mgw_regplan_t **out)
{
    if (opts == NULL || current == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regplan_compute: NULL argument");
    planner pl = {&current->doc, opts, mgw_regplan_alloc(), NULL};
    if (pl.plan == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = find_binding(&pl);
    if (r == MGW_OK && (pl.plan->binding = mgw_strdup(opts->binding)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK)
        r = plan_schannel(&pl);
    if (r == MGW_OK)
        r = plan_binding(&pl);
    if (r == MGW_OK)
        r = plan_autoupdate(&pl);
    if (r == MGW_OK)
        r = warn_pitfalls(&pl);
    if (r == MGW_OK)
        r = warn_effects(&pl);
    if (r == MGW_OK)
        r = collect_backup(&pl);
    if (r == MGW_OK)
        r = mgw_regplan_hash(pl.plan, pl.plan->fingerprint);
    if (r != MGW_OK) {
        mgw_regplan_free(&pl.plan);
        return r == MGW_ERR_NO_MEMORY ? mgw_err(r, NULL) : r;
    }
    *out = pl.plan;
    mgw_err_clear();
    return MGW_OK;
}
