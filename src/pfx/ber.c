/*
 * BER to DER for PKCS#12 input. Some writers use indefinite lengths and
 * constructed (chunked) OCTET STRINGs; the reader works on DER, so structures
 * are re-encoded first. OCTET STRING contents are copied unchanged (the PFX MAC
 * covers the exact bytes inside them), so each nested layer is normalised on
 * its own when the reader reaches it.
 */
#include "pfx/pfx.h"

#include <string.h>

#define BER_MAX_DEPTH 32

typedef struct {
    const uint8_t *p, *end;
} cursor;

static int ber_header(cursor *c, unsigned *tag, bool *indefinite, size_t *len)
{
    if (c->end - c->p < 2)
        return mgw_err(MGW_ERR_DER, "BER: truncated element");
    *tag = *c->p++;
    if ((*tag & 0x1F) == 0x1F)
        return mgw_err(MGW_ERR_DER, "BER: multi-byte tags are not supported");
    uint8_t l = *c->p++;
    *indefinite = false;
    if (l < 0x80) {
        *len = l;
    } else if (l == 0x80) {
        if (!(*tag & MGW_ASN1_CONSTRUCTED))
            return mgw_err(MGW_ERR_DER, "BER: indefinite length on a primitive element");
        *indefinite = true;
        *len = 0;
    } else {
        size_t k = l & 0x7F;
        if (k > 4 || (size_t)(c->end - c->p) < k)
            return mgw_err(MGW_ERR_DER, "BER: bad length field");
        size_t v = 0;
        for (size_t i = 0; i < k; i++)
            v = (v << 8) | *c->p++;
        *len = v;
    }
    if (!*indefinite && *len > (size_t)(c->end - c->p))
        return mgw_err(MGW_ERR_DER, "BER: element longer than the data");
    return MGW_OK;
}

static int normalize(cursor *c, bool until_eoc, unsigned depth, mgw_dbuf *out, bool flatten_octets);

/* One element from c into out as DER. */
static int element(cursor *c, unsigned depth, mgw_dbuf *out, bool flatten_octets)
{
    unsigned tag = 0;
    bool indef = false;
    size_t len = 0;
    int r = ber_header(c, &tag, &indef, &len);
    if (r != MGW_OK)
        return r;
    if (!(tag & MGW_ASN1_CONSTRUCTED)) {
        if (flatten_octets && tag == MGW_ASN1_OCTET_STRING)
            r = mgw_dbuf_put(out, c->p, len);
        else
            r = mgw_der_put(out, tag, c->p, len);
        c->p += len;
        return r == MGW_OK ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    if (depth >= BER_MAX_DEPTH)
        return mgw_err(MGW_ERR_DER, "BER: nesting deeper than %d levels", BER_MAX_DEPTH);
    cursor inner = {c->p, indef ? c->end : c->p + len};
    /* A constructed OCTET STRING becomes one primitive OCTET STRING whose
     * content is the concatenation of its chunks. */
    bool octets = tag == (MGW_ASN1_OCTET_STRING | MGW_ASN1_CONSTRUCTED);
    size_t mark = mgw_der_open(out);
    r = normalize(&inner, indef, depth + 1, out, octets);
    if (r != MGW_OK)
        return r;
    c->p = indef ? inner.p : c->p + len;
    if (octets && flatten_octets)
        return MGW_OK;
    return mgw_der_close(out, octets ? MGW_ASN1_OCTET_STRING : tag, mark);
}

static int normalize(cursor *c, bool until_eoc, unsigned depth, mgw_dbuf *out, bool flatten_octets)
{
    for (;;) {
        if (until_eoc) {
            if (c->end - c->p < 2)
                return mgw_err(MGW_ERR_DER, "BER: missing end-of-contents");
            if (c->p[0] == 0 && c->p[1] == 0) {
                c->p += 2;
                return MGW_OK;
            }
        } else if (c->p >= c->end) {
            return MGW_OK;
        }
        if (flatten_octets && (c->p[0] & ~MGW_ASN1_CONSTRUCTED) != MGW_ASN1_OCTET_STRING)
            return mgw_err(MGW_ERR_DER, "BER: constructed OCTET STRING holds another type");
        int r = element(c, depth, out, flatten_octets);
        if (r != MGW_OK)
            return r;
    }
}

int mgw_ber_to_der(const uint8_t *p, size_t n, mgw_dbuf *out)
{
    cursor c = {p, p + n};
    size_t start = out->len;
    int r = element(&c, 0, out, false);
    if (r == MGW_OK && c.p != c.end)
        r = mgw_err(MGW_ERR_DER, "BER: %zu bytes of trailing data", (size_t)(c.end - c.p));
    if (r == MGW_OK && out->oom)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r != MGW_OK)
        out->len = start;
    return r;
}
