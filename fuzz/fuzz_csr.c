/* PKCS#10 requests, PEM or DER: parse (with the signature check) and subject. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mgw_csr_t *csr = NULL;
    int r = mgw_csr_parse(data, size, &csr);
    fuzz_check_error(r);
    if (r != MGW_OK) {
        FUZZ_ASSERT(csr == NULL);
        return 0;
    }
    char *s = NULL;
    if (mgw_csr_subject(csr, &s) == MGW_OK)
        mgw_free(s);
    mgw_csr_free(&csr);
    FUZZ_ASSERT(csr == NULL);
    return 0;
}
