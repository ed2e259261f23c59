/* The store object over a back-end, its listing, and the certificate-text
 * helpers the back-ends and the backup reader share. */
#include "platform/store.h"
#include "cert/cert.h"
#include "crypto/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- items and listings ------------------------------------------------------ */

int mgw_store_item_from_der(const uint8_t *der, size_t n, const char *origin, mgw_store_item *item)
{
    mgw_cert_t *c = NULL;
    mgw_dbuf subject;
    mgw_dbuf_init(&subject);
    int r = mgw_cert_from_der(der, n, &c);
    if (r == MGW_OK)
        r = mgw_dn_format(c->subject.p, c->subject.len, &subject);
    if (r == MGW_OK)
        mgw_sha1(c->der, c->der_len, item->sha1);
    if (r == MGW_OK) {
        item->subject = mgw_strndup((const char *)subject.p, subject.len);
        item->origin = mgw_strdup(origin);
        if (subject.oom || item->subject == NULL || item->origin == NULL) {
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
            mgw_store_item_clear(item);
        } else {
            /* The item takes the certificate's copy of the DER. */
            item->der = c->der;
            item->der_len = c->der_len;
            item->gone = false;
            item->physical = 0; /* the back-end says where it sits */
            c->der = NULL;
        }
    }
    mgw_cert_free(&c);
    mgw_dbuf_free(&subject);
    return r;
}

void mgw_store_item_clear(mgw_store_item *item)
{
    free(item->der);
    free(item->subject);
    free(item->origin);
    memset(item, 0, sizeof(*item));
}

void *mgw_array_grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    size_t c = *cap < 16 ? 16 : *cap;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return NULL;
        c *= 2;
    }
    void *p = realloc(v, c * size);
    if (p != NULL)
        *cap = c;
    return p;
}

int mgw_store_listing_add(mgw_store_listing *l, mgw_store_item *item)
{
    mgw_store_item *items = mgw_array_grow(l->items, &l->cap, l->n + 1, sizeof(*items));
    if (items == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    l->items = items;
    l->items[l->n++] = *item;
    memset(item, 0, sizeof(*item));
    return MGW_OK;
}

int mgw_store_listing_skip(mgw_store_listing *l, const char *name, const char *reason)
{
    mgw_store_skipped *sk =
        mgw_array_grow(l->skipped, &l->cap_skipped, l->n_skipped + 1, sizeof(*sk));
    if (sk == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    l->skipped = sk;
    mgw_store_skipped *s = &l->skipped[l->n_skipped];
    s->name = mgw_strdup(name);
    s->reason = mgw_strdup(reason);
    if (s->name == NULL || s->reason == NULL) {
        free(s->name);
        free(s->reason);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    l->n_skipped++;
    return MGW_OK;
}

void mgw_store_listing_compact(mgw_store_listing *l)
{
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i].gone)
            mgw_store_item_clear(&l->items[i]);
        else
            l->items[w++] = l->items[i];
    }
    l->n = w;
}

void mgw_store_listing_free(mgw_store_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        mgw_store_item_clear(&l->items[i]);
    for (size_t i = 0; i < l->n_skipped; i++) {
        free(l->skipped[i].name);
        free(l->skipped[i].reason);
    }
    free(l->items);
    free(l->skipped);
    memset(l, 0, sizeof(*l));
}

static int item_cmp(const void *a, const void *b)
{
    return strcmp(((const mgw_store_item *)a)->origin, ((const mgw_store_item *)b)->origin);
}

static int skipped_cmp(const void *a, const void *b)
{
    return strcmp(((const mgw_store_skipped *)a)->name, ((const mgw_store_skipped *)b)->name);
}

/* ---- PEM text ------------------------------------------------------------------ */

bool mgw_next_line(const uint8_t *text, size_t n, size_t *at, const char **line, size_t *len)
{
    if (*at >= n)
        return false;
    size_t s = *at, e = s;
    while (e < n && text[e] != '\n')
        e++;
    *at = e < n ? e + 1 : e;
    if (e > s && text[e - 1] == '\r')
        e--;
    *line = (const char *)text + s;
    *len = e - s;
    return true;
}

static bool has_prefix(const char *l, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && memcmp(l, prefix, pl) == 0;
}

static bool is_dashes_end(const char *l, size_t n)
{
    return n >= 5 && memcmp(l + n - 5, "-----", 5) == 0;
}

int mgw_pem_walk(const uint8_t *text, size_t n, mgw_pem_block_fn block, mgw_pem_line_fn line,
                 void *ctx)
{
    mgw_dbuf body, der;
    mgw_dbuf_init(&body);
    mgw_dbuf_init(&der);
    char label[65] = "";
    size_t at = 0, lineno = 0, begin_line = 0, ln;
    const char *l;
    bool inside = false;
    int r = MGW_OK;
    while (r == MGW_OK && mgw_next_line(text, n, &at, &l, &ln)) {
        lineno++;
        while (ln > 0 && (l[ln - 1] == ' ' || l[ln - 1] == '\t'))
            ln--;
        if (!inside && has_prefix(l, ln, "-----BEGIN ") && is_dashes_end(l, ln)) {
            size_t ll = ln < 16 ? 0 : ln - 16;
            if (ll == 0 || ll >= sizeof(label)) {
                r = mgw_err(MGW_ERR_PEM, "line %zu: malformed BEGIN line", lineno);
                break;
            }
            memcpy(label, l + 11, ll);
            label[ll] = '\0';
            if (!mgw_pem_label_ok(label, ll)) {
                char shown[400];
                r = mgw_err(MGW_ERR_PEM, "line %zu: malformed BEGIN line (label '%s')", lineno,
                            mgw_show_text(label, ll, 64, shown, sizeof(shown)));
                break;
            }
            inside = true;
            begin_line = lineno;
            body.len = 0;
        } else if (!inside) {
            if (line != NULL)
                r = line(ctx, l, ln, lineno);
        } else if (has_prefix(l, ln, "-----END ")) {
            size_t ll = strlen(label);
            if (ln != ll + 14 || memcmp(l + 9, label, ll) != 0 || !is_dashes_end(l, ln)) {
                r = mgw_err(MGW_ERR_PEM, "line %zu: END line does not match BEGIN %s", lineno,
                            label);
                break;
            }
            der.len = 0;
            r = mgw_base64_decode((const char *)body.p, body.len, &der);
            if (r != MGW_OK) {
                char where[48];
                snprintf(where, sizeof(where), "PEM block at line %zu", begin_line);
                r = mgw_err_prefix(r, where);
            } else if (der.len == 0) {
                r = mgw_err(MGW_ERR_PEM, "line %zu: the %s block is empty", begin_line, label);
            } else {
                r = block(ctx, label, der.p, der.len, begin_line);
            }
            inside = false;
        } else if (mgw_dbuf_put(&body, l, ln) != MGW_OK) {
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    if (r == MGW_OK && inside)
        r = mgw_err(MGW_ERR_PEM, "line %zu: BEGIN %s without END line", begin_line, label);
    mgw_dbuf_free(&body);
    mgw_dbuf_free(&der);
    return r;
}

typedef struct {
    size_t blocks;
    bool other_label;
    char label[65];
    mgw_dbuf *der;
} one_cert;

static int count_block(void *ctx, const char *label, const uint8_t *der, size_t n, size_t lineno)
{
    (void)lineno;
    one_cert *oc = ctx;
    if (oc->blocks++ > 0)
        return MGW_OK;
    snprintf(oc->label, sizeof(oc->label), "%s", label);
    oc->other_label = strcmp(label, "CERTIFICATE") != 0;
    return mgw_dbuf_put(oc->der, der, n);
}

int mgw_cert_file_der(const uint8_t *data, size_t n, mgw_dbuf *der)
{
    /* DER: a SEQUENCE with a long-form length (a certificate is longer than
     * 127 bytes); text never starts so. */
    if (n >= 4 && data[0] == MGW_ASN1_SEQUENCE && data[1] >= 0x81 && data[1] <= 0x83)
        return mgw_dbuf_put(der, data, n) == MGW_OK ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
    one_cert oc = {0, false, "", der};
    int r = mgw_pem_walk(data, n, count_block, NULL, &oc);
    if (r != MGW_OK)
        return r;
    if (oc.blocks == 0)
        return mgw_err(MGW_ERR_CERT_PARSE, "neither DER nor PEM (no BEGIN line)");
    if (oc.blocks > 1)
        return mgw_err(MGW_ERR_CERT_PARSE,
                       "holds %zu PEM blocks; a store file holds one certificate", oc.blocks);
    if (oc.other_label)
        return mgw_err(MGW_ERR_CERT_PARSE, "holds a PEM %s block, not a CERTIFICATE", oc.label);
    return MGW_OK;
}

/* ---- the store object ------------------------------------------------------------ */

static void store_destroy(mgw_store_t *s)
{
    if (s == NULL)
        return;
    mgw_store_listing_free(&s->list);
    if (s->ops != NULL && s->be != NULL)
        s->ops->close(s->be);
    free(s->location);
    free(s);
}

int mgw_store_attach(const mgw_store_ops *ops, void *be, const char *location, mgw_store_t **out)
{
    mgw_store_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ops->close(be);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    s->ops = ops;
    s->be = be;
    s->location = mgw_strdup(location);
    int r = s->location == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : ops->list(be, &s->list);
    if (r != MGW_OK) {
        store_destroy(s);
        return r;
    }
    mgw_store_compact(s);
    if (s->list.n_skipped > 1)
        qsort(s->list.skipped, s->list.n_skipped, sizeof(*s->list.skipped), skipped_cmp);
    *out = s;
    return MGW_OK;
}

int mgw_store_fault_point(mgw_store_t *s, const char *point, size_t nth)
{
    if (s->fault == NULL)
        return MGW_OK;
    int code = s->fault(s->fault_ctx, point, nth);
    return code == MGW_OK ? MGW_OK : mgw_err(code, "injected failure at %s #%zu", point, nth + 1);
}

void mgw_store_set_fault(mgw_store_t *s, mgw_store_fault_fn fn, void *ctx)
{
    s->fault = fn;
    s->fault_ctx = ctx;
}

int mgw_store_add(mgw_store_t *s, const uint8_t *der, size_t n, const uint8_t sha1[20],
                  size_t *index)
{
    bool renamed;
    return mgw_store_add_named(s, der, n, sha1, NULL, false, index, &renamed);
}

int mgw_store_add_named(mgw_store_t *s, const uint8_t *der, size_t n, const uint8_t sha1[20],
                        const char *name, bool pem, size_t *index, bool *renamed)
{
    char *origin = NULL;
    mgw_store_item item;
    memset(&item, 0, sizeof(item));
    *renamed = false;
    /* the listing's entry and room for it before the store changes: once the
     * certificate is in the store, nothing fails for want of memory */
    int r = mgw_store_item_from_der(der, n, "", &item);
    mgw_store_item *room = NULL;
    if (r == MGW_OK &&
        (room = mgw_array_grow(s->list.items, &s->list.cap, s->list.n + 1, sizeof(*room))) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (room != NULL)
        s->list.items = room;
    if (r == MGW_OK)
        r = mgw_store_fault_point(s, "add", s->n_added);
    if (r == MGW_OK && name != NULL && s->ops->add_named != NULL)
        r = s->ops->add_named(s->be, der, n, sha1, name, pem, &origin, renamed);
    else if (r == MGW_OK)
        r = s->ops->add(s->be, der, n, sha1, &origin);
    if (r != MGW_OK) {
        mgw_store_item_clear(&item);
        return r;
    }
    s->n_added++;
    s->generation++;
    free(item.origin);
    item.origin = origin;
    item.pem = pem && name != NULL && !*renamed && s->ops->add_named != NULL;
    r = mgw_store_listing_add(&s->list, &item);
    mgw_store_item_clear(&item);
    if (r == MGW_OK)
        *index = s->list.n - 1;
    return r;
}

int mgw_store_remove(mgw_store_t *s, size_t index)
{
    mgw_store_item *item = &s->list.items[index];
    if (item->gone)
        return mgw_err(MGW_ERR_STORE_CHANGED, "%s was removed already", item->origin);
    int r = mgw_store_fault_point(s, "remove", s->n_removed);
    if (r == MGW_OK)
        r = s->ops->remove(s->be, item);
    if (r != MGW_OK)
        return r;
    item->gone = true;
    s->n_removed++;
    s->generation++;
    return MGW_OK;
}

void mgw_store_compact(mgw_store_t *s)
{
    mgw_store_listing_compact(&s->list);
    /* Listing order is the back-end's; plans and reports want a stable one. */
    if (s->list.n > 1)
        qsort(s->list.items, s->list.n, sizeof(*s->list.items), item_cmp);
}

/* ---- public API ------------------------------------------------------------------ */

MGW_API int mgw_store_open_dir(const char *path, mgw_store_t **out)
{
    if (path == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_open_dir: NULL argument");
    const mgw_store_ops *ops = NULL;
    void *be = NULL;
    int r = mgw_store_dir_open(path, &ops, &be);
    if (r == MGW_OK)
        r = mgw_store_attach(ops, be, path, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_store_open_system(const char *location_name, mgw_store_t **out)
{
    if (location_name == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_store_open_system: NULL argument");
    const mgw_store_ops *ops = NULL;
    void *be = NULL;
    char *location = NULL;
    int r = mgw_store_system_open(location_name, &ops, &be, &location);
    if (r == MGW_OK)
        r = mgw_store_attach(ops, be, location, out);
    free(location);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API void mgw_store_free(mgw_store_t **s)
{
    if (s == NULL)
        return;
    store_destroy(*s);
    *s = NULL;
}

MGW_API size_t mgw_store_cert_count(const mgw_store_t *s)
{
    return s == NULL ? 0 : s->list.n;
}

int mgw_out_strings(const char *a, char **oa, const char *b, char **ob, const char *c, char **oc)
{
    const char *src[3] = {a, b, c};
    char **dst[3] = {oa, ob, oc};
    char *tmp[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        if (dst[i] != NULL && mgw_out_str(src[i], &tmp[i]) != MGW_OK) {
            for (int k = 0; k < i; k++)
                mgw_free(tmp[k]);
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    for (int i = 0; i < 3; i++)
        if (dst[i] != NULL)
            *dst[i] = tmp[i];
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_store_cert(const mgw_store_t *s, size_t index, char **thumbprint, char **subject,
                           char **origin)
{
    if (s == NULL || index >= s->list.n)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_cert: NULL store or index out of range");
    const mgw_store_item *it = &s->list.items[index];
    char hex[41];
    mgw_hex_upper(it->sha1, 20, hex);
    return mgw_out_strings(hex, thumbprint, it->subject, subject, it->origin, origin);
}

static const struct {
    unsigned bit;
    const char *name;
} physical_table[] = {{MGW_PHYSICAL_DEFAULT, ".Default"},
                      {MGW_PHYSICAL_AUTHROOT, ".AuthRoot"},
                      {MGW_PHYSICAL_GROUPPOLICY, ".GroupPolicy"},
                      {MGW_PHYSICAL_ENTERPRISE, ".Enterprise"},
                      {MGW_PHYSICAL_SMARTCARD, ".SmartCard"}};

unsigned mgw_physical_bit(const char *name)
{
    for (size_t i = 0; i < sizeof(physical_table) / sizeof(physical_table[0]); i++)
        if (strcmp(name, physical_table[i].name) == 0)
            return physical_table[i].bit;
    return 0;
}

void mgw_physical_names(unsigned bits, mgw_dbuf *out)
{
    bool first = true;
    for (size_t i = 0; i < sizeof(physical_table) / sizeof(physical_table[0]); i++)
        if (bits & physical_table[i].bit) {
            mgw_dbuf_printf(out, "%s%s", first ? "" : ",", physical_table[i].name);
            first = false;
        }
}

MGW_API int mgw_store_cert_physical(const mgw_store_t *s, size_t index, char **names)
{
    if (s == NULL || index >= s->list.n || names == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_cert_physical: NULL argument or index out of range");
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_physical_names(s->list.items[index].physical, &b);
    mgw_dbuf_putc(&b, '\0');
    int r = b.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : mgw_out_str((const char *)b.p, names);
    mgw_dbuf_free(&b);
    return r;
}

MGW_API size_t mgw_store_other_count(const mgw_store_t *s)
{
    return s == NULL ? 0 : s->list.n_skipped;
}

MGW_API int mgw_store_other(const mgw_store_t *s, size_t index, char **name, char **reason)
{
    if (s == NULL || index >= s->list.n_skipped)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_other: NULL store or index out of range");
    const mgw_store_skipped *sk = &s->list.skipped[index];
    return mgw_out_strings(sk->name, name, sk->reason, reason, "", NULL);
}

MGW_API int mgw_store_cert_der(const mgw_store_t *s, size_t index, uint8_t **der, size_t *der_len)
{
    if (s == NULL || index >= s->list.n || der == NULL || der_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_store_cert_der: NULL argument or index out of range");
    const mgw_store_item *it = &s->list.items[index];
    int r = mgw_out_copy(it->der, it->der_len, der, der_len);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_store_cert_has_key(const mgw_store_t *s, size_t index)
{
    return s != NULL && index < s->list.n && s->list.items[index].has_key;
}
