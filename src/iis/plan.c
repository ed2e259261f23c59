/*
 * The IIS planner: the site requires SSL and client certificates, so does
 * every child location under it that sets its own access/@sslFlags, and
 * with disable_tls13 the site's https bindings say "Disable TLS 1.3 over
 * TCP". Pure: it reads the parsed file and the options and returns the
 * desired file as splices of the original bytes.
 */
#include "iis/iis.h"

#include "crypto/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SITE "Default Web Site"

/* ---- options ------------------------------------------------------------------ */

MGW_API mgw_iisopts_t *mgw_iisopts_new(void)
{
    mgw_iisopts_t *o = calloc(1, sizeof(*o));
    if (o != NULL && (o->site = mgw_strdup(DEFAULT_SITE)) == NULL) {
        free(o);
        o = NULL;
    }
    return o;
}

MGW_API void mgw_iisopts_free(mgw_iisopts_t **po)
{
    if (po == NULL || *po == NULL)
        return;
    mgw_iisopts_t *o = *po;
    for (size_t i = 0; i < o->n_bindings; i++)
        free(o->bindings[i]);
    free(o->bindings);
    free(o->site);
    free(o);
    *po = NULL;
}

/* Names and binding information: non-empty UTF-8 of sane length. */
static int check_text(const char *what, const char *s)
{
    size_t bad;
    if (s == NULL || s[0] == '\0' || strlen(s) > 1024 ||
        !mgw_utf8_valid((const uint8_t *)s, strlen(s), &bad))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "%s must be non-empty UTF-8 of at most 1024 "
                       "bytes",
                       what);
    for (const char *p = s; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20)
            return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s holds a control character", what);
    return MGW_OK;
}

MGW_API int mgw_iisopts_set_site(mgw_iisopts_t *o, const char *name)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisopts_set_site: NULL options");
    int r = check_text("the site name", name);
    if (r == MGW_OK && strchr(name, '/') != NULL)
        r = mgw_err(MGW_ERR_INVALID_ARGUMENT, "a site name has no '/' (\"%s\")", name);
    char *copy = r == MGW_OK ? mgw_strdup(name) : NULL;
    if (r == MGW_OK && copy == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r != MGW_OK)
        return r;
    free(o->site);
    o->site = copy;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_iisopts_add_binding(mgw_iisopts_t *o, const char *info)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisopts_add_binding: NULL options");
    int r = check_text("the binding information", info);
    if (r != MGW_OK)
        return r;
    char *copy = mgw_strdup(info);
    char **nb = copy != NULL ? realloc(o->bindings, (o->n_bindings + 1) * sizeof(*nb)) : NULL;
    if (nb == NULL) {
        free(copy);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    o->bindings = nb;
    nb[o->n_bindings++] = copy;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_iisopts_set_disable_tls13(mgw_iisopts_t *o, int on)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisopts_set_disable_tls13: NULL options");
    o->disable_tls13 = on != 0;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_iisopts_set_cert_in_handshake(mgw_iisopts_t *o, int on)
{
    if (o == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisopts_set_cert_in_handshake: NULL options");
    o->cert_in_handshake = on != 0;
    mgw_err_clear();
    return MGW_OK;
}

/* ---- the plan object ------------------------------------------------------------ */

mgw_iisplan_t *mgw_iisplan_alloc(void)
{
    return calloc(1, sizeof(mgw_iisplan_t));
}

MGW_API void mgw_iisplan_free(mgw_iisplan_t **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    mgw_iisplan_t *p = *pp;
    for (size_t i = 0; i < p->n_items; i++) {
        mgw_iisitem *it = &p->items[i];
        free(it->where);
        free(it->label);
        free(it->meaning);
        free(it->before_text);
        free(it->after_text);
    }
    free(p->items);
    for (size_t i = 0; i < p->n_warnings; i++)
        free(p->warnings[i]);
    free(p->warnings);
    free(p->site);
    free(p->before);
    free(p->desired);
    free(p);
    *pp = NULL;
}

int mgw_iisplan_add_warning(mgw_iisplan_t *plan, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = mgw_strv_addv(&plan->warnings, &plan->n_warnings, fmt, ap);
    va_end(ap);
    return r;
}

static void hash_str(mgw_dbuf *b, const char *s)
{
    mgw_dbuf_puts(b, s != NULL ? s : "");
    mgw_dbuf_putc(b, 0);
}

static void hash_u32(mgw_dbuf *b, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        mgw_dbuf_putc(b, (uint8_t)(v >> (8 * k)));
}

/* What drives apply and rollback: the site, both files' SHA-256, and per
 * setting its kind, place, action and values. Labels, meanings and warnings
 * are words for people and are not covered. */
int mgw_iisplan_hash(const mgw_iisplan_t *p, uint8_t out[32])
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    hash_str(&b, "mgwauth-iis-plan 1");
    hash_str(&b, p->site);
    mgw_dbuf_put(&b, p->before_hash, 32);
    mgw_dbuf_put(&b, p->desired_hash, 32);
    for (size_t i = 0; i < p->n_items; i++) {
        const mgw_iisitem *it = &p->items[i];
        hash_u32(&b, (uint32_t)it->kind);
        hash_str(&b, it->where);
        hash_u32(&b, (uint32_t)it->action);
        hash_u32(&b, it->present);
        hash_u32(&b, it->before);
        hash_u32(&b, it->after);
        hash_str(&b, it->before_text);
        hash_str(&b, it->after_text);
    }
    int r = b.oom ? MGW_ERR_NO_MEMORY : MGW_OK;
    if (r == MGW_OK)
        mgw_sha256(b.p, b.len, out);
    mgw_dbuf_free(&b);
    return r;
}

/* ---- planning ----------------------------------------------------------------- */

typedef struct {
    const mgw_iisconfig_t *cfg;
    const mgw_iisopts_t *opts;
    mgw_iisplan_t *plan;
    mgw_xedits edits;
} planner;

/* The buffer's text as a malloc'ed string (NULL on failure); b is freed. */
static char *take_str(mgw_dbuf *b)
{
    char *s = b->oom ? NULL : mgw_strndup(b->len > 0 ? (const char *)b->p : "", b->len);
    mgw_dbuf_free(b);
    return s;
}

static char *format_flags(int kind, uint32_t flags, bool numeric)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_iisflags_format(kind, flags, numeric, &b);
    return take_str(&b);
}

static char *meaning_of(int kind, uint32_t flags)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    if (kind == MGW_IISITEM_ACCESS) {
        bool ssl = flags & MGW_ACCESS_SSL, req = flags & MGW_ACCESS_REQUIRE_CERT;
        bool neg = flags & MGW_ACCESS_NEGOTIATE_CERT;
        mgw_dbuf_puts(&b, ssl ? "SSL required" : "plain HTTP allowed");
        mgw_dbuf_puts(&b, req   ? "; client certificate required"
                          : neg ? "; client certificate accepted, not required"
                                : "; client certificates ignored");
    } else {
        mgw_dbuf_puts(&b, flags & MGW_IISBINDING_DISABLE_TLS13 ? "TLS 1.3 over TCP off"
                                                               : "TLS 1.3 over TCP on");
        if (flags & MGW_IISBINDING_SNI)
            mgw_dbuf_puts(&b, "; SNI");
    }
    return take_str(&b);
}

static int add_item(planner *pl, int kind, const char *where, const char *label, bool present,
                    uint32_t before, uint32_t after, bool numeric)
{
    mgw_iisplan_t *p = pl->plan;
    mgw_iisitem *ni = realloc(p->items, (p->n_items + 1) * sizeof(*ni));
    if (ni == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    p->items = ni;
    mgw_iisitem *it = &ni[p->n_items++];
    memset(it, 0, sizeof(*it));
    int fk = kind == MGW_IISITEM_ACCESS ? MGW_FLAGS_ACCESS : MGW_FLAGS_BINDING;
    it->kind = kind;
    it->where = mgw_strdup(where);
    it->label = mgw_strdup(label);
    it->present = present;
    it->before = before;
    it->after = after;
    /* an absent sslFlags is 0: absent and unchanged is kept as it is */
    it->action = before == after ? MGW_IISACT_KEEP : MGW_IISACT_SET;
    it->before_text = present ? format_flags(fk, before, numeric) : mgw_strdup("");
    it->after_text = it->action == MGW_IISACT_KEEP ? mgw_strdup(it->before_text)
                                                   : format_flags(fk, after, numeric);
    it->meaning = meaning_of(kind, after);
    if (it->where == NULL || it->label == NULL || it->before_text == NULL ||
        it->after_text == NULL || it->meaning == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    return MGW_OK;
}

static int not_found(const mgw_iisconfig_t *cfg, const char *site)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    for (size_t i = 0; i < cfg->n_sites; i++) {
        mgw_dbuf_puts(&b, i == 0 ? "\"" : ", \"");
        mgw_dbuf_puts(&b, cfg->sites[i].name);
        mgw_dbuf_putc(&b, '"');
    }
    mgw_dbuf_putc(&b, 0);
    int r = mgw_err(MGW_ERR_IIS_NOT_FOUND, "there is no site \"%s\"; the file has %s", site,
                    cfg->n_sites > 0 && !b.oom ? (char *)b.p : "no sites");
    mgw_dbuf_free(&b);
    return r;
}

/* The location of `path` that decides it: the one that sets
 * access/@sslFlags, else the first with that path (SIZE_MAX when none).
 * Two that both set it are refused, naming both. */
static int site_location(const planner *pl, const char *path, size_t *out)
{
    const mgw_iisconfig_t *c = pl->cfg;
    size_t n, at = mgw_iis_lookup(c->location_keys, c->n_locations, path, &n);
    size_t first = n > 0 ? c->location_keys[at].index : SIZE_MAX, setter = SIZE_MAX;
    for (size_t k = at; k < at + n; k++) {
        size_t i = c->location_keys[k].index;
        if (!c->locations[i].has_flags)
            continue;
        if (setter != SIZE_MAX) {
            unsigned long l1, c1, l2, c2;
            mgw_xdoc_position(&c->doc, c->doc.elems[c->locations[setter].elem].start, &l1, &c1);
            mgw_xdoc_position(&c->doc, c->doc.elems[c->locations[i].elem].start, &l2, &c2);
            return mgw_err(MGW_ERR_IIS_CONFIG,
                           "line %lu, column %lu and line %lu, column %lu: two <location "
                           "path=\"%s\"> set access/@sslFlags; merge them in IIS Manager first",
                           l1, c1, l2, c2, path);
        }
        setter = i;
    }
    *out = setter != SIZE_MAX ? setter : first;
    return MGW_OK;
}

static int require_certs(planner *pl, const char *path, bool child)
{
    static const char *const chain[] = {"location", "system.webServer", "security", "access"};
    const mgw_xdoc *d = &pl->cfg->doc;
    size_t li = SIZE_MAX;
    int r = site_location(pl, path, &li);
    if (r != MGW_OK)
        return r;
    const mgw_iislocation *loc = li != SIZE_MAX ? &pl->cfg->locations[li] : NULL;
    bool present = loc != NULL && loc->has_flags;
    uint32_t before = present ? loc->flags : 0;
    uint32_t after = before | MGW_ACCESS_WANTED;
    bool numeric = present && loc->numeric;
    char label[1200];
    snprintf(label, sizeof(label), "%s: access sslFlags", path);
    if ((r = add_item(pl, MGW_IISITEM_ACCESS, path, label, present, before, after, numeric)) !=
        MGW_OK)
        return r;
    const mgw_iisitem *it = &pl->plan->items[pl->plan->n_items - 1];
    if (it->action == MGW_IISACT_KEEP)
        return MGW_OK;
    if (child)
        mgw_iisplan_add_warning(pl->plan,
                                "the child location \"%s\" sets access sslFlags to \"%s\" and so "
                                "weakened the site's requirement; the plan sets it to \"%s\"",
                                path, it->before_text, it->after_text);
    if (loc != NULL && loc->access != SIZE_MAX)
        return mgw_xedit_set_attr(d, loc->access, "sslFlags", it->after_text, &pl->edits);
    mgw_dbuf a, v;
    mgw_dbuf_init(&a);
    mgw_dbuf_init(&v);
    mgw_dbuf_puts(&a, "path=\"");
    mgw_xml_escape(path, &a);
    mgw_dbuf_puts(&a, "\"");
    mgw_dbuf_printf(&v, "sslFlags=\"%s\"", it->after_text);
    mgw_dbuf_putc(&a, 0);
    mgw_dbuf_putc(&v, 0);
    if (a.oom || v.oom) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    } else if (loc == NULL) {
        /* a new <location> after the last child of <configuration> */
        r = mgw_xedit_add_chain(d, 0, chain, 4, (char *)a.p, (char *)v.p, &pl->edits);
    } else {
        /* the deepest part of system.webServer/security that exists */
        size_t parent = loc->elem, k = 1;
        for (size_t c; k < 3 && (c = mgw_xchild(d, parent, chain[k], SIZE_MAX)) != SIZE_MAX; k++)
            parent = c;
        r = mgw_xedit_add_chain(d, parent, chain + k, 4 - k, NULL, (char *)v.p, &pl->edits);
    }
    mgw_dbuf_free(&a);
    mgw_dbuf_free(&v);
    return r;
}

static bool binding_chosen(const mgw_iisopts_t *o, const char *info)
{
    if (o->n_bindings == 0)
        return true;
    for (size_t i = 0; i < o->n_bindings; i++)
        if (mgw_iis_eq(o->bindings[i], info))
            return true;
    return false;
}

static int plan_bindings(planner *pl, const mgw_iissite *s)
{
    const mgw_iisopts_t *o = pl->opts;
    size_t https = 0;
    mgw_dbuf names;
    mgw_dbuf_init(&names);
    for (size_t i = 0; i < s->n_bindings; i++)
        if (mgw_iis_eq(s->bindings[i].protocol, "https")) {
            mgw_dbuf_puts(&names, https++ == 0 ? "\"" : ", \"");
            mgw_dbuf_puts(&names, s->bindings[i].info);
            mgw_dbuf_putc(&names, '"');
        }
    mgw_dbuf_putc(&names, 0);
    int r = names.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    if (r == MGW_OK && https == 0)
        r = mgw_err(MGW_ERR_IIS_NOT_FOUND,
                    "site \"%s\" has no https binding; add one (with its certificate) in IIS "
                    "Manager first: the planner never creates a binding",
                    s->name);
    for (size_t k = 0; r == MGW_OK && k < o->n_bindings; k++) {
        bool found = false;
        for (size_t i = 0; i < s->n_bindings; i++)
            found |= mgw_iis_eq(s->bindings[i].protocol, "https") &&
                     mgw_iis_eq(s->bindings[i].info, o->bindings[k]);
        if (!found)
            r = mgw_err(MGW_ERR_IIS_NOT_FOUND,
                        "site \"%s\" has no https binding \"%s\"; its https bindings: %s", s->name,
                        o->bindings[k], (char *)names.p);
    }
    mgw_dbuf_free(&names);
    for (size_t i = 0; r == MGW_OK && i < s->n_bindings; i++) {
        const mgw_iisbinding *b = &s->bindings[i];
        if (!mgw_iis_eq(b->protocol, "https") || !binding_chosen(o, b->info))
            continue;
        uint32_t after = b->flags | (o->disable_tls13 ? MGW_IISBINDING_DISABLE_TLS13 : 0);
        char label[1200];
        snprintf(label, sizeof(label), "%s: binding https %s sslFlags", s->name, b->info);
        r = add_item(pl, MGW_IISITEM_BINDING, b->info, label, b->has_flags, b->flags, after,
                     b->numeric);
        const mgw_iisitem *it = r == MGW_OK ? &pl->plan->items[pl->plan->n_items - 1] : NULL;
        if (it != NULL && it->action == MGW_IISACT_SET)
            r = mgw_xedit_set_attr(&pl->cfg->doc, b->elem, "sslFlags", it->after_text, &pl->edits);
        if (r == MGW_OK && !(after & MGW_IISBINDING_DISABLE_TLS13))
            r = mgw_iisplan_add_warning(
                pl->plan,
                "binding https %s keeps TLS 1.3 over TCP on: on Windows Server 2022 IIS cannot "
                "ask a TLS 1.3 client for its certificate after the handshake and the "
                "connection is reset; use --disable-tls13 here together with the registry "
                "plan's --disable-tls13 (HTTP.sys DefaultFlags 0x40), or negotiate the "
                "certificate in the handshake (registry plan --negotiate-client-cert)",
                b->info);
    }
    return r;
}

/* A weak server-wide default: the site's own location overrides it, so this
 * is a warning, not a change. */
static int global_warning(planner *pl, const char *where, uint32_t flags)
{
    mgw_dbuf names;
    mgw_dbuf_init(&names);
    mgw_iisflags_names(MGW_FLAGS_ACCESS, flags, &names);
    mgw_dbuf_putc(&names, 0);
    if (names.oom) {
        mgw_dbuf_free(&names);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    int r = mgw_iisplan_add_warning(
        pl->plan,
        "%s sets access sslFlags to \"%s\", weaker than SSL with a required client "
        "certificate: every site and location that does not set its own inherits it (the "
        "planned site sets its own, so this is not changed)",
        where, (char *)names.p);
    mgw_dbuf_free(&names);
    return r == MGW_OK ? MGW_OK : mgw_err(r, NULL);
}

static int warnings(planner *pl)
{
    const mgw_iisconfig_t *c = pl->cfg;
    int r = MGW_OK;
    if (!pl->opts->cert_in_handshake)
        r = mgw_iisplan_add_warning(
            pl->plan,
            "on TLS 1.2 IIS asks for the client certificate by renegotiation after reading "
            "the request: a POST larger than serverRuntime/@uploadReadAheadSize (default "
            "49152 bytes) then fails with HTTP 413, and ActiveSync POSTs mail with "
            "attachments; negotiate the certificate in the handshake (registry plan "
            "--negotiate-client-cert, HTTP.sys DefaultFlags 0x2) and plan with "
            "--negotiate-client-cert-in-handshake");
    if (r == MGW_OK && pl->opts->disable_tls13)
        r = mgw_iisplan_add_warning(pl->plan,
                                    "binding sslFlags DisableTLS13 (32) and HTTP.sys DefaultFlags "
                                    "0x40 belong together: apply the registry plan with "
                                    "--disable-tls13 as well");
    if (r == MGW_OK && c->has_global && (c->global_flags & MGW_ACCESS_WANTED) != MGW_ACCESS_WANTED)
        r = global_warning(pl, "the server level (system.webServer/security/access)",
                           c->global_flags);
    for (size_t i = 0; r == MGW_OK && i < c->n_locations; i++) {
        const mgw_iislocation *l = &c->locations[i];
        size_t plen = strlen(l->path);
        if (l->path[0] == '\0' && l->has_flags &&
            (l->flags & MGW_ACCESS_WANTED) != MGW_ACCESS_WANTED)
            r = global_warning(pl, "<location path=\"\"> (the server-wide default)", l->flags);
        if (r == MGW_OK && plen > 0 && l->path[plen - 1] == '/' && l->has_flags)
            r = mgw_iisplan_add_warning(pl->plan,
                                        "location \"%s\" ends in '/': it is planned like a "
                                        "child location of its own, and the site's own location "
                                        "is planned as well, whichever of the two IIS applies",
                                        l->path);
        if (r != MGW_OK)
            break;
        if (l->has_flags && (l->flags & MGW_ACCESS_REQUIRE_CERT) && !(l->flags & MGW_ACCESS_SSL))
            r = mgw_iisplan_add_warning(pl->plan,
                                        "location \"%s\" has SslRequireCert without Ssl: plain "
                                        "HTTP requests are served without any certificate",
                                        l->path);
        if (r != MGW_OK || l->path[0] == '\0')
            continue;
        const char *slash = strchr(l->path, '/');
        char *site =
            slash != NULL ? mgw_strndup(l->path, (size_t)(slash - l->path)) : mgw_strdup(l->path);
        if (site == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        if (mgw_iis_find_site(c, site) == NULL)
            r = mgw_iisplan_add_warning(pl->plan,
                                        "location \"%s\" names no site of this file (a site "
                                        "renamed or removed?); IIS ignores it",
                                        l->path);
        free(site);
    }
    return r;
}

/* A '"' cannot be carried by a cmd.exe line: the appcmd scripts are then
 * not produced (mgw_iisplan_output refuses them), the other files are. */
static int script_warning(planner *pl)
{
    const mgw_iisplan_t *p = pl->plan;
    const char *bad = strchr(p->site, '"') != NULL ? p->site : NULL;
    for (size_t i = 0; bad == NULL && i < p->n_items; i++)
        if (p->items[i].action == MGW_IISACT_SET && strchr(p->items[i].where, '"') != NULL)
            bad = p->items[i].where;
    if (bad == NULL)
        return MGW_OK;
    return mgw_iisplan_add_warning(pl->plan,
                                   "\"%s\" holds a '\"', which a cmd.exe line cannot carry: "
                                   "appcmd.cmd and appcmd-rollback.cmd are not written; apply "
                                   "the plan's applicationHost.config instead",
                                   bad) == MGW_OK
               ? MGW_OK
               : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

static int compute(planner *pl)
{
    const mgw_iisconfig_t *c = pl->cfg;
    const char *name = pl->opts->site;
    const mgw_iissite *s = mgw_iis_find_site(c, name);
    if (s == NULL)
        return not_found(c, name);
    mgw_iisplan_t *p = pl->plan;
    if ((p->site = mgw_strdup(s->name)) == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = require_certs(pl, s->name, false);
    /* each child path that some location sets sslFlags for, once, in file
     * order: at the first location of that path that sets it (an earlier one
     * with the same path that does not set it does not count) */
    for (size_t i = 0; r == MGW_OK && i < c->n_locations; i++) {
        const mgw_iislocation *l = &c->locations[i];
        if (!l->has_flags || !mgw_iis_under(l->path, s->name))
            continue;
        size_t n, at = mgw_iis_lookup(c->location_keys, c->n_locations, l->path, &n);
        size_t first_setter = SIZE_MAX;
        for (size_t k = at; k < at + n && first_setter == SIZE_MAX; k++)
            if (c->locations[c->location_keys[k].index].has_flags)
                first_setter = c->location_keys[k].index;
        if (first_setter == i)
            r = require_certs(pl, l->path, true);
    }
    if (r == MGW_OK)
        r = plan_bindings(pl, s);
    if (r == MGW_OK)
        r = warnings(pl);
    if (r == MGW_OK)
        r = script_warning(pl);
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    if (r == MGW_OK)
        r = mgw_xedits_apply(&c->doc, &pl->edits, &out);
    if (r == MGW_OK && (p->desired = malloc(out.len + 1)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK) {
        memcpy(p->desired, out.p, out.len);
        p->desired_len = out.len;
    }
    mgw_dbuf_free(&out);
    if (r != MGW_OK)
        return r;
    if ((p->before = malloc(c->doc.len + 1)) == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    memcpy(p->before, c->doc.data, c->doc.len);
    p->before_len = c->doc.len;
    mgw_sha256(p->before, p->before_len, p->before_hash);
    mgw_sha256(p->desired, p->desired_len, p->desired_hash);
    return mgw_iisplan_hash(p, p->fingerprint);
}

/* The desired file must read back with the values the plan wants. */
static int self_check(const mgw_iisplan_t *p)
{
    mgw_iisconfig_t *c = NULL;
    int r = mgw_iisconfig_parse(p->desired, p->desired_len, &c);
    if (r == MGW_OK && mgw_iisplan_first_difference(p, c, true, NULL, NULL) != SIZE_MAX)
        r = mgw_err(MGW_ERR_INTERNAL, "the desired file does not read back as planned");
    else if (r != MGW_OK && r != MGW_ERR_NO_MEMORY)
        r = mgw_err_prefix(MGW_ERR_INTERNAL, "the desired file does not parse");
    mgw_iisconfig_free(&c);
    return r;
}

MGW_API int mgw_iisplan_compute(const mgw_iisopts_t *opts, const mgw_iisconfig_t *current,
                                mgw_iisplan_t **out)
{
    if (opts == NULL || current == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisplan_compute: NULL argument");
    planner pl = {current, opts, mgw_iisplan_alloc(), {NULL, 0}};
    if (pl.plan == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = compute(&pl);
    mgw_xedits_free(&pl.edits);
    if (r == MGW_OK)
        r = self_check(pl.plan);
    if (r != MGW_OK) {
        mgw_iisplan_free(&pl.plan);
        return mgw_err_ensure(r);
    }
    *out = pl.plan;
    mgw_err_clear();
    return MGW_OK;
}

/* ---- reading a plan's settings back from a file ----------------------------------- */

static bool item_value(const mgw_iisplan_t *p, const mgw_iisitem *it, const mgw_iisconfig_t *c,
                       uint32_t *flags, bool *present)
{
    *flags = 0;
    *present = false;
    if (it->kind == MGW_IISITEM_ACCESS) {
        size_t n, at = mgw_iis_lookup(c->location_keys, c->n_locations, it->where, &n);
        for (size_t k = at; k < at + n; k++) {
            const mgw_iislocation *l = &c->locations[c->location_keys[k].index];
            if (l->has_flags) {
                *flags = l->flags;
                *present = true;
            }
        }
        return true;
    }
    const mgw_iissite *s = mgw_iis_find_site(c, p->site);
    for (size_t i = 0; s != NULL && i < s->n_bindings; i++)
        if (mgw_iis_eq(s->bindings[i].protocol, "https") &&
            mgw_iis_eq(s->bindings[i].info, it->where)) {
            *flags = s->bindings[i].flags;
            *present = s->bindings[i].has_flags;
            return true;
        }
    return false;
}

size_t mgw_iisplan_first_difference(const mgw_iisplan_t *p, const mgw_iisconfig_t *c, bool wanted,
                                    uint32_t *found, bool *found_present)
{
    for (size_t i = 0; i < p->n_items; i++) {
        const mgw_iisitem *it = &p->items[i];
        uint32_t v;
        bool present;
        bool exists = item_value(p, it, c, &v, &present);
        bool want_present = wanted && it->action == MGW_IISACT_SET ? true : it->present;
        uint32_t want = wanted ? it->after : it->before;
        if (!exists || present != want_present || (present && v != want)) {
            if (found != NULL)
                *found = v;
            if (found_present != NULL)
                *found_present = present && exists;
            return i;
        }
    }
    return SIZE_MAX;
}

/* ---- what a plan hands out ------------------------------------------------------ */

MGW_API size_t mgw_iisplan_change_count(const mgw_iisplan_t *p)
{
    size_t n = 0;
    for (size_t i = 0; p != NULL && i < p->n_items; i++)
        n += p->items[i].action == MGW_IISACT_SET;
    return n;
}

MGW_API size_t mgw_iisplan_warning_count(const mgw_iisplan_t *p)
{
    return p != NULL ? p->n_warnings : 0;
}

MGW_API int mgw_iisplan_warning(const mgw_iisplan_t *p, size_t index, char **text)
{
    return mgw_strv_out("mgw_iisplan_warning: no such warning", p != NULL ? p->warnings : NULL,
                        p != NULL ? p->n_warnings : 0, index, text);
}

MGW_API int mgw_iisplan_fingerprint(const mgw_iisplan_t *p, char **out)
{
    if (p == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisplan_fingerprint: NULL argument");
    return mgw_out_sha256_text(p->fingerprint, out);
}
