/* Distinguished names. The first byte picks the direction: RFC 4514 text to
 * DER (whatever parses formats to text that parses back and formats the same:
 * the round trip), or DER to text. */
#include "fuzz.h"

#include "cert/cert.h"

static void text_round_trip(const char *s)
{
    mgw_dbuf der, text, der2, text2;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&text);
    mgw_dbuf_init(&der2);
    mgw_dbuf_init(&text2);
    int r = mgw_dn_parse(s, &der);
    fuzz_check_error(r);
    if (r == MGW_OK) {
        FUZZ_ASSERT(mgw_dn_format(der.p, der.len, &text) == MGW_OK);
        FUZZ_ASSERT(mgw_dbuf_putc(&text, 0) == MGW_OK);
        FUZZ_ASSERT(mgw_dn_parse((const char *)text.p, &der2) == MGW_OK);
        FUZZ_ASSERT(mgw_dn_format(der2.p, der2.len, &text2) == MGW_OK);
        FUZZ_ASSERT(mgw_dbuf_putc(&text2, 0) == MGW_OK);
        FUZZ_ASSERT(strcmp((const char *)text.p, (const char *)text2.p) == 0);
    } else {
        FUZZ_ASSERT(der.len == 0);
    }
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&text);
    mgw_dbuf_free(&der2);
    mgw_dbuf_free(&text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        char *s = fuzz_string(data + 1, size - 1);
        text_round_trip(s);
        free(s);
        return 0;
    }
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    int r = mgw_dn_format(data + 1, size - 1, &text);
    fuzz_check_error(r);
    FUZZ_ASSERT(r == MGW_OK || text.len == 0);
    mgw_dbuf_free(&text);
    return 0;
}
