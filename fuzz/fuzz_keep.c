/* Thumbprints and keep-lists. The first byte picks the reader: one
 * thumbprint as pasted (a normalized one normalizes to itself), or a keep
 * file (all or nothing). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        char *s = fuzz_string(data + 1, size - 1);
        char *norm = NULL, *again = NULL;
        int r = mgw_thumbprint_normalize(s, &norm);
        fuzz_check_error(r);
        if (r == MGW_OK) {
            FUZZ_ASSERT(strlen(norm) == 40 || strlen(norm) == 64);
            FUZZ_ASSERT(mgw_thumbprint_normalize(norm, &again) == MGW_OK);
            FUZZ_ASSERT(strcmp(norm, again) == 0);
            mgw_free(again);
            mgw_free(norm);
        }
        free(s);
        return 0;
    }
    mgw_rootopts_t *o = mgw_rootopts_new();
    FUZZ_ASSERT(o != NULL);
    int r = mgw_rootopts_add_keep_file(o, data + 1, size - 1, "keep.txt");
    fuzz_check_error(r);
    if (r != MGW_OK)
        FUZZ_ASSERT(mgw_rootopts_keep_count(o) == 0);
    mgw_rootopts_free(&o);
    return 0;
}
