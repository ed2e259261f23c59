/* A store's listing (store.h): the items a back-end lists and the entries it
 * skips. The back-ends fill it; the store object keeps it in step. */
#include "store/store.h"
#include "cert/cert.h"
#include "crypto/digest.h"

#include <stdlib.h>
#include <string.h>

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

/* ---- physical stores ------------------------------------------------------------ */

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
