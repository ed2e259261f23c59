/* Certificates, PEM or DER: parse, every accessor, and the DER and PEM
 * exports parse back to the same certificate. */
#include "fuzz.h"

static void round_trip(const mgw_cert_t *c, int format, const uint8_t *der, size_t der_len)
{
    uint8_t *out = NULL, *again = NULL;
    size_t n = 0, m = 0;
    FUZZ_ASSERT(mgw_cert_export(c, format, &out, &n) == MGW_OK);
    mgw_cert_t *c2 = NULL;
    FUZZ_ASSERT(mgw_cert_parse(out, n, &c2) == MGW_OK);
    FUZZ_ASSERT(mgw_cert_export(c2, MGW_FORMAT_DER, &again, &m) == MGW_OK);
    FUZZ_ASSERT(m == der_len && memcmp(again, der, m) == 0);
    mgw_free(out);
    mgw_free(again);
    mgw_cert_free(&c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mgw_cert_t *c = NULL;
    int r = mgw_cert_parse(data, size, &c);
    fuzz_check_error(r);
    if (r != MGW_OK) {
        FUZZ_ASSERT(c == NULL);
        return 0;
    }
    char *s = NULL;
    for (int style = MGW_DESCRIBE_TEXT; style <= MGW_DESCRIBE_JSON; style++) {
        FUZZ_ASSERT(mgw_cert_describe(c, style, &s) == MGW_OK);
        mgw_free(s);
    }
    FUZZ_ASSERT(mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &s) == MGW_OK && strlen(s) == 40);
    mgw_free(s);
    if (mgw_cert_subject(c, &s) == MGW_OK)
        mgw_free(s);
    if (mgw_cert_issuer(c, &s) == MGW_OK)
        mgw_free(s);
    for (size_t i = 0; i < 64; i++) {
        int type;
        if (mgw_cert_san(c, i, &type, &s) != MGW_OK)
            break;
        mgw_free(s);
    }
    int type, bits;
    mgw_cert_key_info(c, &type, &bits);
    mgw_cert_check_issuer(c, c); /* self-signed or not: no crash, no leak */
    uint8_t *der = NULL;
    size_t der_len = 0;
    FUZZ_ASSERT(mgw_cert_export(c, MGW_FORMAT_DER, &der, &der_len) == MGW_OK);
    round_trip(c, MGW_FORMAT_DER, der, der_len);
    round_trip(c, MGW_FORMAT_PEM, der, der_len);
    mgw_free(der);
    mgw_cert_free(&c);
    return 0;
}
