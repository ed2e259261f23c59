/*
 * libFuzzer target: the IIS XML reader, the model and the planner. Any input
 * must either be refused with MGW_ERR_IIS_XML / MGW_ERR_IIS_CONFIG /
 * MGW_ERR_TOO_LARGE and a "line L, column C" detail where the reader is the
 * one refusing, or parse; a parsed file must plan (or name a missing site),
 * and a plan's desired file must parse and plan to no changes.
 */
#include "mgwauth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plan(const mgw_iisconfig_t *cfg)
{
    mgw_iisopts_t *o = mgw_iisopts_new();
    mgw_iisplan_t *p = NULL, *again = NULL;
    mgw_iisconfig_t *c2 = NULL;
    uint8_t *desired = NULL;
    size_t n = 0;
    if (o == NULL)
        return;
    mgw_iisopts_set_disable_tls13(o, 1);
    int r = mgw_iisplan_compute(o, cfg, &p);
    if (r != MGW_OK) {
        if (r != MGW_ERR_IIS_NOT_FOUND && r != MGW_ERR_IIS_CONFIG && r != MGW_ERR_NO_MEMORY)
            abort();
        goto done;
    }
    if (mgw_iisplan_output(p, MGW_IISPLAN_DESIRED, &desired, &n) != MGW_OK)
        abort();
    if (mgw_iisconfig_parse(desired, n, &c2) != MGW_OK)
        abort(); /* the planner wrote something its own reader refuses */
    if (mgw_iisplan_compute(o, c2, &again) != MGW_OK || mgw_iisplan_change_count(again) != 0)
        abort(); /* planning the desired file must change nothing */
done:
    mgw_free(desired);
    mgw_iisplan_free(&again);
    mgw_iisplan_free(&p);
    mgw_iisconfig_free(&c2);
    mgw_iisopts_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mgw_iisconfig_t *cfg = NULL;
    int r = mgw_iisconfig_parse(data, size, &cfg);
    if (r == MGW_OK) {
        char *text = NULL;
        if (mgw_iisconfig_describe(cfg, MGW_DESCRIBE_JSON, &text) != MGW_OK)
            abort();
        mgw_free(text);
        check_plan(cfg);
        mgw_iisconfig_free(&cfg);
        return 0;
    }
    if (cfg != NULL)
        abort(); /* nothing half-read is handed out */
    if (r == MGW_ERR_IIS_XML && strncmp(mgw_last_error(), "line ", 5) != 0)
        abort(); /* every reader error names its line and column */
    if (r != MGW_ERR_IIS_XML && r != MGW_ERR_IIS_CONFIG && r != MGW_ERR_TOO_LARGE &&
        r != MGW_ERR_NO_MEMORY)
        abort();
    return 0;
}
