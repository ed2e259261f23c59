/* Registry plan files. The fingerprint is recomputed first, so that edited
 * plans reach every check of the loader (anyone can recompute it); a plan that
 * loads describes itself, writes its .reg files, saves to the same JSON, and
 * is applied and rolled back on the .reg-file back-end. */
#include "fuzz.h"

#include "registry/plan.h"

#include <unistd.h>

static char dir[64];

static void remove_dir(void)
{
    rmdir(dir);
}

/* The input with its first "sha256:<64 hex>" replaced by the fingerprint of
 * what it holds (NULL when it does not read as far as that). */
static uint8_t *refingerprint(const uint8_t *data, size_t size)
{
    mgw_regplan_t *p = mgw_regplan_alloc();
    FUZZ_ASSERT(p != NULL);
    int r = mgw_regplan_from_json(data, size, p);
    uint8_t *out = NULL;
    const char *at = NULL;
    for (size_t i = 0; i + 71 <= size && at == NULL; i++)
        if (memcmp(data + i, "sha256:", 7) == 0)
            at = (const char *)data + i;
    if (r == MGW_ERR_REG_PLAN && strstr(mgw_last_error(), "fingerprint does not match") != NULL &&
        at != NULL) {
        out = malloc(size);
        FUZZ_ASSERT(out != NULL);
        memcpy(out, data, size);
        mgw_hex_upper(p->fingerprint, 32, (char *)out + (at - (const char *)data) + 7);
        out[at - (const char *)data + 71] = data[at - (const char *)data + 71];
    }
    mgw_regplan_free(&p);
    return out;
}

/* The plan's before-state as a .reg file standing for the registry. */
static void write_before_state(const mgw_regplan_t *p, const char *path)
{
    mgw_regdoc st;
    mgw_regdoc_init(&st);
    for (size_t i = 0; i < p->n_items; i++) {
        const mgw_regitem *it = &p->items[i];
        if (!it->key_existed)
            continue;
        FUZZ_ASSERT(mgw_regstate_key(&st, it->key, true) != NULL);
        if (it->before.present) {
            mgw_regval v = {it->name, it->before.type, it->before.data, it->before.len, false};
            FUZZ_ASSERT(mgw_regstate_set(&st, it->key, &v) == MGW_OK);
        }
    }
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    FUZZ_ASSERT(mgw_regdoc_write(&st, &b) == MGW_OK);
    FUZZ_ASSERT(mgw_file_write(path, b.p, b.len, MGW_FILE_FORCE) == MGW_OK);
    mgw_dbuf_free(&b);
    mgw_regdoc_free(&st);
}

static void apply_and_roll_back(const mgw_regplan_t *p)
{
    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "%s/mgwfuzz.XXXXXX",
                 getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 30 ? getenv("TMPDIR")
                                                                           : "/tmp");
        FUZZ_ASSERT(mkdtemp(dir) != NULL);
        atexit(remove_dir);
    }
    char reg[96], backup[96];
    snprintf(reg, sizeof(reg), "%s/machine.reg", dir);
    snprintf(backup, sizeof(backup), "%s/backup.reg", dir);
    write_before_state(p, reg);
    int changed = -1;
    int r = mgw_regplan_apply_file(p, reg, backup, MGW_FILE_FORCE, &changed);
    fuzz_check_error(r);
    FUZZ_ASSERT(r != MGW_ERR_REG_RESTORE);
    if (r == MGW_OK) {
        FUZZ_ASSERT(changed == (int)mgw_regplan_change_count(p));
        FUZZ_ASSERT(mgw_regplan_apply_file(p, reg, backup, MGW_FILE_FORCE, &changed) == MGW_OK);
        FUZZ_ASSERT(changed == 0);
        r = mgw_regplan_rollback_file(p, reg, backup, MGW_FILE_FORCE, &changed);
        FUZZ_ASSERT(r == MGW_OK);
    }
    unlink(reg);
    unlink(backup);
}

static void loaded(const mgw_regplan_t *p, const uint8_t *json, size_t n)
{
    char *s = NULL;
    FUZZ_ASSERT(mgw_regplan_describe(p, MGW_DESCRIBE_TEXT, &s) == MGW_OK);
    mgw_free(s);
    FUZZ_ASSERT(mgw_regplan_describe(p, MGW_DESCRIBE_JSON, &s) == MGW_OK);
    mgw_regplan_t *q = NULL;
    FUZZ_ASSERT(mgw_regplan_load((const uint8_t *)s, strlen(s), &q) == MGW_OK);
    char *s2 = NULL;
    FUZZ_ASSERT(mgw_regplan_describe(q, MGW_DESCRIBE_JSON, &s2) == MGW_OK);
    FUZZ_ASSERT(strcmp(s, s2) == 0);
    mgw_free(s);
    mgw_free(s2);
    mgw_regplan_free(&q);
    (void)json, (void)n;
    for (int which = MGW_REGPLAN_SECURITY; which <= MGW_REGPLAN_ROLLBACK; which++) {
        uint8_t *reg = NULL;
        size_t len = 0;
        FUZZ_ASSERT(mgw_regplan_reg_file(p, which, &reg, &len) == MGW_OK);
        /* what the plan writes is a .reg file the reader takes */
        mgw_regdoc d;
        FUZZ_ASSERT(mgw_regdoc_parse(reg, len, &d) == MGW_OK);
        mgw_regdoc_free(&d);
        mgw_free(reg);
    }
    apply_and_roll_back(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed = refingerprint(data, size);
    const uint8_t *in = fixed != NULL ? fixed : data;
    mgw_regplan_t *p = NULL;
    int r = mgw_regplan_load(in, size, &p);
    fuzz_check_error(r);
    if (r == MGW_OK)
        loaded(p, in, size);
    else
        FUZZ_ASSERT(p == NULL);
    mgw_regplan_free(&p);
    free(fixed);
    return 0;
}
