/* The gateway plan file (DIR/plan.json) and the record of an applied plan
 * (DIR/applied.json): a JSON object whose "steps" array holds one flat
 * object of string values per line, as gateway plan writes it. The reader
 * takes that form only and refuses anything else with the line and reason. */
#ifndef MGW_GWPLAN_H
#define MGW_GWPLAN_H

#include <stddef.h>
#include <stdint.h>

#define GWPLAN_MAX_STEPS 16
#define GWPLAN_MAX_FIELDS 20

typedef struct {
    char *name[GWPLAN_MAX_FIELDS];
    char *value[GWPLAN_MAX_FIELDS];
    size_t count;
} gwplan_step;

typedef struct {
    gwplan_step steps[GWPLAN_MAX_STEPS];
    size_t count;
} gwplan;

/* The first line of every file, and the line that closes it. */
#define GWPLAN_HEAD "{\"format\": \"mgwauth-gateway-plan\", \"version\": 1, \"steps\": ["
#define GWPLAN_TAIL "]}"

/* Parse text (len bytes, need not be NUL-terminated). 0, or -1 with a
 * message in err. The plan is freed with gwplan_free also after a failure. */
int gwplan_parse(const uint8_t *text, size_t len, gwplan *out, char *err, size_t err_size);
void gwplan_free(gwplan *p);
/* The value of field name, or NULL. */
const char *gwplan_get(const gwplan_step *s, const char *name);

#endif
