/* Private keys, PEM or DER, encrypted or not. The first byte picks the
 * password (none, "pass", or empty); a key that loads exports as encrypted
 * PKCS#8 and its public key, and the export loads back as the same type. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const passwords[] = {NULL, "pass", ""};
    const char *pw = passwords[data[0] % 3];
    mgw_key_t *k = mgw_key_new();
    FUZZ_ASSERT(k != NULL);
    int r = mgw_key_load(k, data + 1, size - 1, pw, pw != NULL ? strlen(pw) : 0);
    fuzz_check_error(r);
    if (r == MGW_OK) {
        FUZZ_ASSERT(mgw_key_type(k) != 0 && mgw_key_bits(k) > 0);
        uint8_t *out = NULL;
        size_t n = 0;
        FUZZ_ASSERT(mgw_key_export_public(k, MGW_FORMAT_PEM, &out, &n) == MGW_OK);
        mgw_free(out);
        /* few iterations: the round trip, not the KDF, is under test */
        FUZZ_ASSERT(mgw_key_export_encrypted(k, MGW_FORMAT_DER, "x", 1, 1000, &out, &n) == MGW_OK);
        mgw_key_t *k2 = mgw_key_new();
        FUZZ_ASSERT(mgw_key_load(k2, out, n, "x", 1) == MGW_OK);
        FUZZ_ASSERT(mgw_key_type(k2) == mgw_key_type(k) && mgw_key_bits(k2) == mgw_key_bits(k));
        mgw_key_free(&k2);
        mgw_free(out);
    } else {
        FUZZ_ASSERT(mgw_key_type(k) == 0);
    }
    mgw_key_free(&k);
    return 0;
}
