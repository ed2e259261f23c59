/* BER to DER, as the PFX reader normalizes Windows exports: the output is
 * DER (normalizing it again changes nothing), and nothing reads past the
 * input. */
#include "fuzz.h"

#include "pfx/pfx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mgw_dbuf out, again;
    mgw_dbuf_init(&out);
    mgw_dbuf_init(&again);
    int r = mgw_ber_to_der(data, size, &out);
    fuzz_check_error(r);
    if (r == MGW_OK) {
        FUZZ_ASSERT(mgw_ber_to_der(out.p, out.len, &again) == MGW_OK);
        FUZZ_ASSERT(again.len == out.len && (out.len == 0 || memcmp(again.p, out.p, out.len) == 0));
    }
    mgw_dbuf_free(&out);
    mgw_dbuf_free(&again);
    return 0;
}
