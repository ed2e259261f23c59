/* Public face of registry states: import .reg files, export as regedit does. */
#include "registry/plan.h"

#include <stdlib.h>

MGW_API size_t mgw_reg_max_file_size(void)
{
    return MGW_REG_MAX_FILE;
}

MGW_API mgw_regstate_t *mgw_regstate_new(void)
{
    mgw_regstate_t *st = calloc(1, sizeof(*st));
    if (st != NULL)
        mgw_regdoc_init(&st->doc);
    return st;
}

MGW_API void mgw_regstate_free(mgw_regstate_t **stp)
{
    if (stp == NULL || *stp == NULL)
        return;
    mgw_regdoc_free(&(*stp)->doc);
    free(*stp);
    *stp = NULL;
}

MGW_API int mgw_regstate_import(mgw_regstate_t *st, const uint8_t *reg, size_t len)
{
    if (st == NULL || (reg == NULL && len > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regstate_import: NULL argument");
    mgw_regdoc parsed, merged;
    int r = mgw_regdoc_parse(reg, len, &parsed);
    if (r != MGW_OK)
        return r;
    /* Merge into a copy so that a failure leaves the state as it was. */
    mgw_regdoc_init(&merged);
    for (size_t i = 0; i < st->doc.n_keys && r == MGW_OK; i++)
        r = mgw_regdoc_copy_key(&merged, &st->doc.keys[i]);
    if (r == MGW_OK)
        r = mgw_regstate_merge(&merged, &parsed);
    mgw_regdoc_free(&parsed);
    if (r != MGW_OK) {
        mgw_regdoc_free(&merged);
        return mgw_err(r, NULL);
    }
    mgw_regdoc_free(&st->doc);
    st->doc = merged;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_regstate_export(const mgw_regstate_t *st, uint8_t **out, size_t *out_len)
{
    if (st == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_regstate_export: NULL argument");
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = mgw_regdoc_write(&st->doc, &b);
    if (r == MGW_OK)
        r = mgw_dbuf_detach(&b, out, out_len);
    mgw_dbuf_free(&b);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
