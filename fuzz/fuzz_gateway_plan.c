/*
 * libFuzzer target: the gateway plan reader of the tool (tools/gwplan.c),
 * which reads DIR/plan.json and DIR/applied.json. Any input must either be
 * refused with a "line N: ..." message or parse into at most
 * GWPLAN_MAX_STEPS steps, each with a "step" field and NUL-terminated
 * names and values; nothing leaks either way (build with tools/gwplan.c and
 * tools/json.c).
 */
#include "../tools/gwplan.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gwplan plan;
    char err[300];
    int r = gwplan_parse(data, size, &plan, err, sizeof(err));
    if (r != 0) {
        if (strncmp(err, "line ", 5) != 0)
            abort();
    } else {
        if (plan.count == 0 || plan.count > GWPLAN_MAX_STEPS)
            abort();
        for (size_t i = 0; i < plan.count; i++) {
            if (gwplan_get(&plan.steps[i], "step") == NULL)
                abort();
            for (size_t k = 0; k < plan.steps[i].count; k++)
                if (strlen(plan.steps[i].name[k]) > 4096 || strlen(plan.steps[i].value[k]) > 4096)
                    abort();
        }
    }
    gwplan_free(&plan);
    return 0;
}
