/* .reg files: a document that parses writes back (as regedit would) to a
 * file that parses to the same writing; imported as a registry state, the
 * export imports again to the same export. */
#include "fuzz.h"

#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mgw_regdoc d, d2;
    int r = mgw_regdoc_parse(data, size, &d);
    fuzz_check_error(r);
    if (r != MGW_OK)
        return 0;
    mgw_dbuf w1, w2;
    mgw_dbuf_init(&w1);
    mgw_dbuf_init(&w2);
    FUZZ_ASSERT(mgw_regdoc_write(&d, &w1) == MGW_OK);
    FUZZ_ASSERT(mgw_regdoc_parse(w1.p, w1.len, &d2) == MGW_OK);
    FUZZ_ASSERT(mgw_regdoc_write(&d2, &w2) == MGW_OK);
    FUZZ_ASSERT(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
    mgw_regdoc_free(&d);
    mgw_regdoc_free(&d2);
    mgw_dbuf_free(&w1);
    mgw_dbuf_free(&w2);

    mgw_regstate_t *st = mgw_regstate_new(), *st2 = mgw_regstate_new();
    FUZZ_ASSERT(st != NULL && st2 != NULL);
    uint8_t *e1 = NULL, *e2 = NULL;
    size_t n1 = 0, n2 = 0;
    FUZZ_ASSERT(mgw_regstate_import(st, data, size) == MGW_OK);
    FUZZ_ASSERT(mgw_regstate_export(st, &e1, &n1) == MGW_OK);
    FUZZ_ASSERT(mgw_regstate_import(st2, e1, n1) == MGW_OK);
    FUZZ_ASSERT(mgw_regstate_export(st2, &e2, &n2) == MGW_OK);
    FUZZ_ASSERT(n1 == n2 && memcmp(e1, e2, n1) == 0);
    /* importing the same file twice changes nothing the second time */
    FUZZ_ASSERT(mgw_regstate_import(st2, data, size) == MGW_OK);
    mgw_free(e2);
    FUZZ_ASSERT(mgw_regstate_export(st2, &e2, &n2) == MGW_OK);
    mgw_free(e1);
    mgw_free(e2);
    mgw_regstate_free(&st);
    mgw_regstate_free(&st2);
    return 0;
}
