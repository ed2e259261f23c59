/* The CSV reader of batch issuance (users.csv, passwords.csv): every field
 * of a table that parses quotes back into a line that parses to the same
 * field. */
#include "fuzz.h"

#include "../tools/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csv_table t;
    char err[256] = "";
    memset(&t, 0, sizeof(t));
    int r = csv_parse(data, size, &t, err, sizeof(err));
    if (r != 0) {
        FUZZ_ASSERT(err[0] != '\0');
        for (const unsigned char *c = (const unsigned char *)err; *c != '\0'; c++)
            FUZZ_ASSERT(*c >= 0x20 && *c != 0x7F);
        return 0;
    }
    for (size_t i = 0; i < t.n && i < 4; i++)
        for (size_t j = 0; j < t.recs[i].n; j++) {
            const char *f = t.recs[i].fields[j];
            size_t cap = 2 * strlen(f) + 8;
            char *line = malloc(cap);
            FUZZ_ASSERT(line != NULL);
            size_t len = csv_quote(line, 0, cap, f);
            FUZZ_ASSERT(len < cap);
            csv_table t2;
            char err2[256];
            memset(&t2, 0, sizeof(t2));
            FUZZ_ASSERT(csv_parse((const uint8_t *)line, len, &t2, err2, sizeof(err2)) == 0);
            FUZZ_ASSERT(f[0] == '\0' ? t2.n <= 1 : t2.n == 1 && t2.recs[0].n == 1);
            if (f[0] != '\0')
                FUZZ_ASSERT(strcmp(t2.recs[0].fields[0], f) == 0);
            csv_free(&t2);
            free(line);
        }
    csv_free(&t);
    return 0;
}
