/* PFX (PKCS#12). The first byte picks the password: none, "pass", or the
 * empty one; a file that opens shows its parts, and a conversion of it opens
 * again with the same certificate. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const passwords[] = {NULL, "pass", ""};
    const char *pw = passwords[data[0] % 3];
    mgw_pfx_t *pfx = NULL;
    int r = mgw_pfx_parse(data + 1, size - 1, pw, pw != NULL ? strlen(pw) : 0, &pfx);
    fuzz_check_error(r);
    if (r != MGW_OK) {
        FUZZ_ASSERT(pfx == NULL);
        return 0;
    }
    char *s = NULL;
    for (int style = MGW_DESCRIBE_TEXT; style <= MGW_DESCRIBE_JSON; style++) {
        FUZZ_ASSERT(mgw_pfx_describe(pfx, style, &s) == MGW_OK);
        mgw_free(s);
    }
    if (mgw_pfx_friendly_name(pfx, &s) == MGW_OK)
        mgw_free(s);
    for (int part = MGW_PFX_PART_KEY; part <= MGW_PFX_PART_MAC; part++) {
        uint32_t iter;
        if (mgw_pfx_algorithm(pfx, part, &s, &iter) == MGW_OK)
            mgw_free(s);
    }
    for (size_t i = 0; i < 16; i++) {
        mgw_cert_t *x = NULL;
        if (mgw_pfx_extra_cert(pfx, i, &x) != MGW_OK)
            break;
        mgw_cert_free(&x);
    }
    mgw_key_t *k = NULL;
    mgw_cert_t *c = NULL;
    r = mgw_pfx_key(pfx, &k);
    fuzz_check_error(r);
    if (r != MGW_OK) {
        /* a PFX of certificates only */
        FUZZ_ASSERT(r == MGW_ERR_PFX_NO_KEY && k == NULL);
        mgw_pfx_free(&pfx);
        return 0;
    }
    FUZZ_ASSERT(mgw_pfx_cert(pfx, &c) == MGW_OK);
    FUZZ_ASSERT(mgw_cert_check_key(c, k) == MGW_OK);
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    FUZZ_ASSERT(o != NULL && mgw_pfxopts_set_iterations(o, 1000) == MGW_OK);
    uint8_t *out = NULL;
    size_t n = 0;
    FUZZ_ASSERT(mgw_pfx_convert(pfx, o, "y", 1, &out, &n) == MGW_OK);
    mgw_pfx_t *again = NULL;
    FUZZ_ASSERT(mgw_pfx_parse(out, n, "y", 1, &again) == MGW_OK);
    mgw_cert_t *c2 = NULL;
    char *t1 = NULL, *t2 = NULL;
    FUZZ_ASSERT(mgw_pfx_cert(again, &c2) == MGW_OK);
    FUZZ_ASSERT(mgw_cert_thumbprint(c, MGW_DIGEST_SHA256, &t1) == MGW_OK);
    FUZZ_ASSERT(mgw_cert_thumbprint(c2, MGW_DIGEST_SHA256, &t2) == MGW_OK);
    FUZZ_ASSERT(strcmp(t1, t2) == 0);
    mgw_free(t1);
    mgw_free(t2);
    mgw_cert_free(&c2);
    mgw_pfx_free(&again);
    mgw_free(out);
    mgw_pfxopts_free(&o);
    mgw_key_free(&k);
    mgw_cert_free(&c);
    mgw_pfx_free(&pfx);
    return 0;
}
