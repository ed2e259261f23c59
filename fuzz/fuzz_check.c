/* What the gateway check reads from a server: the HTTP status line and the
 * TLS CertificateRequest (its CA names). The first byte picks the parser and
 * the TLS version. */
#include "fuzz.h"

#include "check/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if ((data[0] & 3) == 0) {
        int status = -1;
        char line[160];
        int r = mgw_check_parse_status(data + 1, size - 1, &status, line, sizeof(line));
        fuzz_check_error(r);
        if (r == MGW_OK) {
            FUZZ_ASSERT(status >= 100 && status <= 999);
            FUZZ_ASSERT(strlen(line) < sizeof(line));
            for (const unsigned char *c = (const unsigned char *)line; *c != '\0'; c++)
                FUZZ_ASSERT(*c >= 0x20 && *c != 0x7F);
        }
        return 0;
    }
    mgw_check_request req;
    memset(&req, 0, sizeof(req));
    int r = mgw_check_parse_cert_request(data + 1, size - 1, (data[0] & 3) == 2, &req);
    if (r == MGW_OK)
        for (size_t i = 0; i < req.n_ca_names; i++)
            FUZZ_ASSERT(req.ca_names[i] != NULL);
    mgw_check_request_free(&req);
    return 0;
}
