/*
 * The model of an applicationHost.config: sites with their bindings, and
 * the top-level <location> elements with their
 * system.webServer/security/access. Values are read, never interpreted
 * beyond the sslFlags bits.
 */
#include "iis/iis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    uint32_t bit;
} flag_name;

/* system.webServer/security/access/@sslFlags */
static const flag_name access_flags[] = {
    {"Ssl", 8}, {"SslNegotiateCert", 32}, {"SslRequireCert", 64}, {"Ssl128", 256}};
/* system.applicationHost/sites/site/bindings/binding/@sslFlags */
static const flag_name binding_flags[] = {
    {"Sni", 1},          {"CentralCertStore", 2}, {"DisableHTTP2", 4},     {"DisableOCSPStp", 8},
    {"DisableQUIC", 16}, {"DisableTLS13", 32},    {"DisableLegacyTLS", 64}};

static const flag_name *table(int kind, size_t *n)
{
    if (kind == MGW_FLAGS_ACCESS) {
        *n = sizeof(access_flags) / sizeof(access_flags[0]);
        return access_flags;
    }
    *n = sizeof(binding_flags) / sizeof(binding_flags[0]);
    return binding_flags;
}

int mgw_iis_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        ca = ca >= 'A' && ca <= 'Z' ? ca + 32 : ca;
        cb = cb >= 'A' && cb <= 'Z' ? cb + 32 : cb;
        if (ca != cb || ca == 0)
            return ca - cb;
    }
}

bool mgw_iis_eq(const char *a, const char *b)
{
    return mgw_iis_cmp(a, b) == 0;
}

static int by_key(const void *pa, const void *pb)
{
    const mgw_iiskey *a = pa, *b = pb;
    int c = mgw_iis_cmp(a->key, b->key);
    return c != 0 ? c : a->index < b->index ? -1 : a->index > b->index;
}

size_t mgw_iis_lookup(const mgw_iiskey *keys, size_t n, const char *key, size_t *count)
{
    size_t lo = 0, hi = n; /* the first entry >= key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mgw_iis_cmp(keys[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < n && mgw_iis_eq(keys[end].key, key))
        end++;
    *count = end - lo;
    return lo;
}

static mgw_iiskey *make_index(size_t n, const char *(*key)(const mgw_iisconfig_t *, size_t),
                              const mgw_iisconfig_t *cfg)
{
    mgw_iiskey *v = malloc((n + 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].key = key(cfg, i);
        v[i].index = i;
    }
    qsort(v, n, sizeof(*v), by_key);
    return v;
}

static const char *site_key(const mgw_iisconfig_t *c, size_t i)
{
    return c->sites[i].name;
}

static const char *location_key(const mgw_iisconfig_t *c, size_t i)
{
    return c->locations[i].path;
}

bool mgw_iis_under(const char *path, const char *site)
{
    size_t k = strlen(site);
    if (strlen(path) < k + 1 || path[k] != '/')
        return false;
    char *head = mgw_strndup(path, k);
    bool same = head != NULL && mgw_iis_eq(head, site);
    free(head);
    return same;
}

int mgw_iisflags_parse(int kind, const char *text, uint32_t *flags, bool *numeric)
{
    size_t n;
    const flag_name *t = table(kind, &n);
    const char *s = text;
    while (*s == ' ')
        s++;
    *flags = 0;
    *numeric = *s >= '0' && *s <= '9';
    if (*numeric) {
        unsigned long long v = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            if ((v = v * 10 + (unsigned)(*s - '0')) > 0xFFFFFFFFull)
                return MGW_ERR_IIS_CONFIG;
        while (*s == ' ')
            s++;
        *flags = (uint32_t)v;
        return *s == '\0' ? MGW_OK : MGW_ERR_IIS_CONFIG;
    }
    while (*s != '\0') {
        const char *e = strchr(s, ',');
        size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
        while (len > 0 && s[len - 1] == ' ')
            len--;
        char word[40];
        if (len == 0 || len >= sizeof(word))
            return MGW_ERR_IIS_CONFIG;
        memcpy(word, s, len);
        word[len] = '\0';
        bool known = mgw_iis_eq(word, "None");
        for (size_t k = 0; k < n && !known; k++)
            if (mgw_iis_eq(word, t[k].name)) {
                *flags |= t[k].bit;
                known = true;
            }
        if (!known)
            return MGW_ERR_IIS_CONFIG;
        if (e == NULL)
            break;
        s = e + 1;
        while (*s == ' ')
            s++;
        if (*s == '\0')
            return MGW_ERR_IIS_CONFIG;
    }
    return MGW_OK;
}

int mgw_iisflags_names(int kind, uint32_t flags, mgw_dbuf *out)
{
    size_t n;
    const flag_name *t = table(kind, &n);
    uint32_t rest = flags;
    bool first = true;
    for (size_t k = 0; k < n; k++)
        if (flags & t[k].bit) {
            mgw_dbuf_puts(out, first ? "" : ", ");
            mgw_dbuf_puts(out, t[k].name);
            rest &= ~t[k].bit;
            first = false;
        }
    if (rest != 0)
        mgw_dbuf_printf(out, "%s0x%lx", first ? "" : ", ", (unsigned long)rest);
    else if (first)
        mgw_dbuf_puts(out, "None");
    return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

int mgw_iisflags_format(int kind, uint32_t flags, bool numeric, mgw_dbuf *out)
{
    size_t n;
    const flag_name *t = table(kind, &n);
    uint32_t known = 0;
    for (size_t k = 0; k < n; k++)
        known |= t[k].bit;
    if (numeric || (flags & ~known) != 0) {
        mgw_dbuf_printf(out, "%lu", (unsigned long)flags);
        return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
    }
    return mgw_iisflags_names(kind, flags, out);
}

static int bad_value(const mgw_xdoc *d, const mgw_xattr *a, const char *what)
{
    unsigned long line, col;
    mgw_xdoc_position(d, a->value.off, &line, &col);
    return mgw_err(MGW_ERR_IIS_CONFIG,
                   "line %lu, column %lu: %s \"%s\" is not a value this "
                   "planner knows; it is left to IIS Manager",
                   line, col, what, a->text);
}

/* sslFlags of element `elem`, if it has one. */
static int read_flags(const mgw_xdoc *d, size_t elem, int kind, bool *has, uint32_t *flags,
                      bool *numeric)
{
    const mgw_xattr *a = mgw_xattr_get(d, &d->elems[elem], "sslFlags");
    *has = a != NULL;
    *flags = 0;
    *numeric = kind == MGW_FLAGS_BINDING;
    if (a == NULL)
        return MGW_OK;
    if (mgw_iisflags_parse(kind, a->text, flags, numeric) != MGW_OK)
        return bad_value(d, a, kind == MGW_FLAGS_ACCESS ? "access sslFlags" : "binding sslFlags");
    return MGW_OK;
}

static const char *attr_text(const mgw_xdoc *d, size_t elem, const char *name)
{
    const mgw_xattr *a = mgw_xattr_get(d, &d->elems[elem], name);
    return a != NULL ? a->text : NULL;
}

/* system.webServer/security/access under `parent`. */
static size_t access_of(const mgw_xdoc *d, size_t parent)
{
    size_t ws = mgw_xchild(d, parent, "system.webServer", SIZE_MAX);
    size_t sec = mgw_xchild(d, ws, "security", SIZE_MAX);
    return mgw_xchild(d, sec, "access", SIZE_MAX);
}

static int read_site(const mgw_xdoc *d, size_t elem, mgw_iissite *s)
{
    s->elem = elem;
    s->name = attr_text(d, elem, "name");
    s->id = attr_text(d, elem, "id");
    if (s->name == NULL) {
        unsigned long line, col;
        mgw_xdoc_position(d, d->elems[elem].start, &line, &col);
        return mgw_err(MGW_ERR_IIS_CONFIG, "line %lu, column %lu: a <site> without a name", line,
                       col);
    }
    size_t bs = mgw_xchild(d, elem, "bindings", SIZE_MAX);
    for (size_t b = mgw_xchild(d, bs, "binding", SIZE_MAX); b != SIZE_MAX;
         b = mgw_xchild(d, bs, "binding", b)) {
        mgw_iisbinding *nb = realloc(s->bindings, (s->n_bindings + 1) * sizeof(*nb));
        if (nb == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        s->bindings = nb;
        mgw_iisbinding *bi = &nb[s->n_bindings++];
        memset(bi, 0, sizeof(*bi));
        bi->elem = b;
        bi->protocol = attr_text(d, b, "protocol");
        bi->info = attr_text(d, b, "bindingInformation");
        if (bi->protocol == NULL)
            bi->protocol = "";
        if (bi->info == NULL)
            bi->info = "";
        int r = read_flags(d, b, MGW_FLAGS_BINDING, &bi->has_flags, &bi->flags, &bi->numeric);
        if (r != MGW_OK)
            return r;
    }
    return MGW_OK;
}

int mgw_iisconfig_build(mgw_iisconfig_t *cfg)
{
    const mgw_xdoc *d = &cfg->doc;
    if (!mgw_xname_is(d, &d->elems[0], "configuration"))
        return mgw_err(MGW_ERR_IIS_CONFIG,
                       "the root element is <%.*s>, not <configuration>: not an IIS "
                       "applicationHost.config",
                       (int)(d->elems[0].name.len > 60 ? 60 : d->elems[0].name.len),
                       (const char *)d->data + d->elems[0].name.off);
    size_t sites =
        mgw_xchild(d, mgw_xchild(d, 0, "system.applicationHost", SIZE_MAX), "sites", SIZE_MAX);
    int r = MGW_OK;
    for (size_t s = mgw_xchild(d, sites, "site", SIZE_MAX); s != SIZE_MAX && r == MGW_OK;
         s = mgw_xchild(d, sites, "site", s)) {
        mgw_iissite *ns = realloc(cfg->sites, (cfg->n_sites + 1) * sizeof(*ns));
        if (ns == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        cfg->sites = ns;
        memset(&ns[cfg->n_sites], 0, sizeof(*ns));
        r = read_site(d, s, &ns[cfg->n_sites++]);
    }
    for (size_t l = mgw_xchild(d, 0, "location", SIZE_MAX); l != SIZE_MAX && r == MGW_OK;
         l = mgw_xchild(d, 0, "location", l)) {
        mgw_iislocation *nl = realloc(cfg->locations, (cfg->n_locations + 1) * sizeof(*nl));
        if (nl == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        cfg->locations = nl;
        mgw_iislocation *loc = &nl[cfg->n_locations++];
        memset(loc, 0, sizeof(*loc));
        loc->elem = l;
        loc->path = attr_text(d, l, "path");
        if (loc->path == NULL)
            loc->path = "";
        loc->access = access_of(d, l);
        if (loc->access != SIZE_MAX)
            r = read_flags(d, loc->access, MGW_FLAGS_ACCESS, &loc->has_flags, &loc->flags,
                           &loc->numeric);
    }
    if (r == MGW_OK &&
        ((cfg->site_keys = make_index(cfg->n_sites, site_key, cfg)) == NULL ||
         (cfg->location_keys = make_index(cfg->n_locations, location_key, cfg)) == NULL))
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    size_t global = access_of(d, 0);
    bool numeric;
    if (r == MGW_OK && global != SIZE_MAX)
        r = read_flags(d, global, MGW_FLAGS_ACCESS, &cfg->has_global, &cfg->global_flags, &numeric);
    return r;
}

const mgw_iissite *mgw_iis_find_site(const mgw_iisconfig_t *cfg, const char *name)
{
    size_t n, at = mgw_iis_lookup(cfg->site_keys, cfg->n_sites, name, &n);
    return n > 0 ? &cfg->sites[cfg->site_keys[at].index] : NULL;
}

MGW_API size_t mgw_iis_max_file_size(void)
{
    return MGW_IIS_MAX_FILE;
}

MGW_API void mgw_iisconfig_free(mgw_iisconfig_t **pc)
{
    if (pc == NULL || *pc == NULL)
        return;
    mgw_iisconfig_t *c = *pc;
    for (size_t i = 0; i < c->n_sites; i++)
        free(c->sites[i].bindings);
    free(c->sites);
    free(c->locations);
    free(c->site_keys);
    free(c->location_keys);
    mgw_xml_free(&c->doc);
    free(c);
    *pc = NULL;
}

MGW_API int mgw_iisconfig_parse(const uint8_t *data, size_t len, mgw_iisconfig_t **out)
{
    if (data == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisconfig_parse: NULL argument");
    mgw_iisconfig_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = mgw_xml_parse(data, len, &c->doc);
    if (r == MGW_OK)
        r = mgw_iisconfig_build(c);
    if (r != MGW_OK) {
        mgw_iisconfig_free(&c);
        return mgw_err_ensure(r);
    }
    *out = c;
    mgw_err_clear();
    return MGW_OK;
}
