/*
 * Suite "alloc": allocation-failure injection. Linked against the internal
 * static library with the linker's --wrap for malloc, calloc and realloc
 * (nothing of this reaches the shared library), it drives public functions
 * with the n-th allocation of the library failing, for n = 0, 1, ... until a
 * call makes no more allocations than that. Each failing call must return
 * MGW_ERR_NO_MEMORY (or the function's own error for it, listed per case),
 * set a message, leave its outputs as they were, and leak nothing (ASan's
 * leak check and valgrind run this suite). mbedTLS and zlib allocate on
 * their own (shared libraries): their failures are not injected here.
 * A plain TAP program rather than a Check suite: nothing else may allocate
 * between arming and the call.
 */
#include "mgwauth.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long fail_at = -1; /* the allocation to fail, counting from 0; -1: none */
static long calls;

static bool failing(void)
{
    return fail_at >= 0 && calls++ == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return failing() ? NULL : __real_realloc(p, n);
}

/* ---- fixtures, made before any failure is armed --------------------------------- */

static uint8_t *cert_pem, *cert_der, *key_pem, *pfx, *reg_a, *reg_b, *plan_json, *keep;
static size_t cert_pem_len, cert_der_len, key_pem_len, pfx_len, reg_a_len, reg_b_len, plan_json_len,
    keep_len;
static mgw_key_t *key;
static mgw_cert_t *cert;
static mgw_regstate_t *state;
static mgw_regplan_t *plan;
static char dir[64], regfile[128], backup[128], store_dir[128];
static uint8_t *regfile_orig;
static size_t regfile_orig_len;
/* what the calls give without failures: a call that works around a failed
 * allocation must give the same */
static char *ref_pfx_json, *ref_plan_text, *ref_cert_json;
static uint8_t *ref_rollback;
static size_t ref_rollback_len;

static bool same_text(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("# %s:%d: %s: ", __FILE__, __LINE__, #cond);                                    \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *p = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap == 0 ? 4096 : cap * 2;
            p = realloc(p, cap + 1);
        }
        size_t got = fread(p + *n, 1, cap - *n, f);
        if (got == 0)
            break;
        *n += got;
    }
    fclose(f);
    p[*n] = 0;
    return p;
}

static int rng(void *ctx, unsigned char *out, size_t len)
{
    unsigned *s = ctx;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)((*s = *s * 1103515245u + 12345u) >> 16);
    return 0;
}

static bool make_fixtures(void)
{
    static unsigned seed = 42;
    key = mgw_key_new();
    mgw_key_set_rng(key, rng, &seed);
    if (mgw_key_generate(key, MGW_KEY_P256) != MGW_OK)
        return false;
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_set_rng(o, rng, &seed);
    mgw_certopts_set_subject(o, "CN=gateway.example,O=Example GmbH,C=DE");
    mgw_certopts_add_upn(o, "eas@example.com");
    mgw_certopts_add_email(o, "eas@example.com");
    int r = mgw_cert_create(o, key, NULL, NULL, &cert);
    mgw_certopts_free(&o);
    if (r != MGW_OK || mgw_cert_export(cert, MGW_FORMAT_PEM, &cert_pem, &cert_pem_len) != MGW_OK ||
        mgw_cert_export(cert, MGW_FORMAT_DER, &cert_der, &cert_der_len) != MGW_OK ||
        mgw_key_export_encrypted(key, MGW_FORMAT_PEM, "pw", 2, 1000, &key_pem, &key_pem_len) !=
            MGW_OK)
        return false;
    mgw_pfxopts_t *po = mgw_pfxopts_new();
    mgw_pfxopts_set_iterations(po, 1000);
    mgw_pfxopts_set_rng(po, rng, &seed);
    r = mgw_pfx_write(po, cert, key, "pw", 2, &pfx, &pfx_len);
    mgw_pfxopts_free(&po);
    if (r != MGW_OK)
        return false;
    reg_a = slurp(MGW_EXAMPLES "/schannel.reg", &reg_a_len);
    reg_b = slurp(MGW_EXAMPLES "/http.reg", &reg_b_len);
    state = mgw_regstate_new();
    if (reg_a == NULL || reg_b == NULL || mgw_regstate_import(state, reg_a, reg_a_len) != MGW_OK ||
        mgw_regstate_import(state, reg_b, reg_b_len) != MGW_OK)
        return false;
    mgw_regopts_t *ro = mgw_regopts_new();
    mgw_regopts_set_negotiate_client_cert(ro, 1);
    r = mgw_regplan_compute(ro, state, &plan);
    mgw_regopts_free(&ro);
    char *json = NULL;
    if (r != MGW_OK || mgw_regplan_describe(plan, MGW_DESCRIBE_JSON, &json) != MGW_OK)
        return false;
    plan_json = (uint8_t *)json;
    plan_json_len = strlen(json);
    char *tp = NULL;
    mgw_cert_thumbprint(cert, MGW_DIGEST_SHA1, &tp);
    char text[128];
    keep_len = (size_t)snprintf(text, sizeof(text), "# the gateway\r\n%s  CN=gateway\r\n", tp);
    keep = malloc(keep_len + 1);
    memcpy(keep, text, keep_len + 1);
    mgw_free(tp);
    snprintf(dir, sizeof(dir), "/tmp/mgwalloc.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return false;
    snprintf(regfile, sizeof(regfile), "%s/machine.reg", dir);
    snprintf(backup, sizeof(backup), "%s/backup.reg", dir);
    snprintf(store_dir, sizeof(store_dir), "%s/store", dir);
    uint8_t *exported = NULL;
    if (mgw_regstate_export(state, &exported, &regfile_orig_len) != MGW_OK)
        return false;
    regfile_orig = malloc(regfile_orig_len);
    memcpy(regfile_orig, exported, regfile_orig_len);
    mgw_free(exported);
    mgw_pfx_t *px = NULL;
    if (mgw_pfx_parse(pfx, pfx_len, "pw", 2, &px) != MGW_OK ||
        mgw_pfx_describe(px, MGW_DESCRIBE_JSON, &ref_pfx_json) != MGW_OK ||
        mgw_regplan_describe(plan, MGW_DESCRIBE_TEXT, &ref_plan_text) != MGW_OK ||
        mgw_cert_describe(cert, MGW_DESCRIBE_JSON, &ref_cert_json) != MGW_OK ||
        mgw_regplan_reg_file(plan, MGW_REGPLAN_ROLLBACK, &ref_rollback, &ref_rollback_len) !=
            MGW_OK)
        return false;
    mgw_pfx_free(&px);
    char path[160];
    snprintf(path, sizeof(path), "%s/gateway.cer", store_dir);
    return mkdir(store_dir, 0700) == 0 && mgw_file_write(path, cert_der, cert_der_len, 0) == MGW_OK;
}

/* ---- the cases: each returns the call's result and checks what it left ------------ */

#define UNTOUCHED ((void *)0x5a5a)
/* an mgw_*_new() gave NULL: out of memory, with no code to return */
#define CONSTRUCTOR_FAILED 1

static int c_cert_parse(void)
{
    mgw_cert_t *c = UNTOUCHED;
    int r = mgw_cert_parse(cert_pem, cert_pem_len, &c);
    if (r == MGW_OK)
        mgw_cert_free(&c);
    else
        CHECK(c == UNTOUCHED, "output written");
    return r;
}

static int c_cert_describe(void)
{
    char *s = UNTOUCHED;
    int r = mgw_cert_describe(cert, MGW_DESCRIBE_JSON, &s);
    if (r == MGW_OK) {
        CHECK(same_text(s, ref_cert_json), "other text");
        mgw_free(s);
    } else
        CHECK(s == UNTOUCHED, "output written");
    return r;
}

static int c_cert_create(void)
{
    unsigned seed = 7;
    mgw_certopts_t *o = mgw_certopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    mgw_cert_t *c = UNTOUCHED;
    int r = mgw_certopts_set_rng(o, rng, &seed);
    if (r == MGW_OK)
        r = mgw_certopts_set_subject(o, "CN=J\xc3\xbcrgen+OU=IT,O=Example,C=DE");
    if (r == MGW_OK)
        r = mgw_certopts_add_upn(o, "j@example.com");
    if (r == MGW_OK)
        r = mgw_certopts_add_eku(o, "clientAuth");
    if (r == MGW_OK) {
        r = mgw_cert_create(o, key, NULL, NULL, &c);
        if (r == MGW_OK)
            mgw_cert_free(&c);
        else
            CHECK(c == UNTOUCHED, "output written");
    }
    mgw_certopts_free(&o);
    return r;
}

static int c_key_load(void)
{
    mgw_key_t *k = mgw_key_new();
    if (k == NULL)
        return CONSTRUCTOR_FAILED;
    int r = mgw_key_load(k, key_pem, key_pem_len, "pw", 2);
    if (r != MGW_OK)
        CHECK(mgw_key_type(k) == 0, "a key was loaded");
    mgw_key_free(&k);
    return r;
}

static int c_pfx_parse(void)
{
    mgw_pfx_t *p = UNTOUCHED;
    int r = mgw_pfx_parse(pfx, pfx_len, "pw", 2, &p);
    if (r == MGW_OK) {
        char *s = NULL;
        r = mgw_pfx_describe(p, MGW_DESCRIBE_JSON, &s);
        if (r == MGW_OK)
            CHECK(same_text(s, ref_pfx_json), "other description");
        mgw_free(s);
        mgw_pfx_free(&p);
    } else {
        CHECK(p == UNTOUCHED, "output written");
    }
    return r;
}

/* A PFX a call wrote opens, with the fixture's key and certificate. */
static void pfx_opens(const uint8_t *out, size_t n, const char *pw)
{
    long armed = fail_at;
    fail_at = -1;
    mgw_pfx_t *back = NULL;
    mgw_key_t *k = NULL;
    mgw_cert_t *c = NULL;
    CHECK(mgw_pfx_parse(out, n, pw, strlen(pw), &back) == MGW_OK &&
              mgw_pfx_key(back, &k) == MGW_OK && mgw_pfx_cert(back, &c) == MGW_OK &&
              mgw_cert_check_key(cert, k) == MGW_OK,
          "the PFX written: %s", mgw_last_error());
    mgw_key_free(&k);
    mgw_cert_free(&c);
    mgw_pfx_free(&back);
    fail_at = armed;
}

static int c_pfx_write(void)
{
    unsigned seed = 9;
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    uint8_t *out = UNTOUCHED;
    size_t n = 12345;
    int r = mgw_pfxopts_set_iterations(o, 1000);
    if (r == MGW_OK)
        r = mgw_pfxopts_set_rng(o, rng, &seed);
    if (r == MGW_OK)
        r = mgw_pfxopts_set_friendly_name(o, "gateway");
    if (r == MGW_OK) {
        r = mgw_pfx_write(o, cert, key, "pw", 2, &out, &n);
        if (r == MGW_OK) {
            pfx_opens(out, n, "pw");
            mgw_free(out);
        } else
            CHECK(out == UNTOUCHED && n == 12345, "output written");
    }
    mgw_pfxopts_free(&o);
    return r;
}

static int c_pfx_convert(void)
{
    mgw_pfx_t *p = NULL;
    long saved = fail_at;
    fail_at = -1;
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    int r = mgw_pfx_parse(pfx, pfx_len, "pw", 2, &p);
    if (r == MGW_OK)
        r = mgw_pfxopts_set_iterations(o, 1000);
    if (r == MGW_OK)
        r = mgw_pfxopts_set_profile(o, MGW_PFX_PROFILE_MODERN);
    fail_at = saved;
    uint8_t *out = UNTOUCHED;
    size_t n = 12345;
    if (r == MGW_OK) {
        r = mgw_pfx_convert(p, o, "new", 3, &out, &n);
        if (r == MGW_OK) {
            pfx_opens(out, n, "new");
            mgw_free(out);
        } else {
            CHECK(out == UNTOUCHED && n == 12345, "output written");
        }
    }
    mgw_pfxopts_free(&o);
    mgw_pfx_free(&p);
    return r;
}

static int c_exports(void)
{
    uint8_t *out = UNTOUCHED;
    size_t n = 12345;
    int r = mgw_cert_export(cert, MGW_FORMAT_PEM, &out, &n);
    if (r == MGW_OK) {
        CHECK(n == cert_pem_len && memcmp(out, cert_pem, n) == 0, "other PEM");
        mgw_free(out);
        out = UNTOUCHED;
        n = 12345;
        r = mgw_key_export_encrypted(key, MGW_FORMAT_PEM, "pw", 2, 1000, &out, &n);
    }
    if (r == MGW_OK)
        mgw_free(out);
    else
        CHECK(out == UNTOUCHED && n == 12345, "output written");
    return r;
}

static int c_regstate_import(void)
{
    mgw_regstate_t *st = mgw_regstate_new();
    if (st == NULL)
        return CONSTRUCTOR_FAILED;
    int r = mgw_regstate_import(st, reg_a, reg_a_len);
    if (r == MGW_OK) {
        /* a second import that fails leaves the first one's state */
        uint8_t *before = NULL, *after = NULL;
        size_t bn = 0, an = 0;
        long saved = fail_at;
        fail_at = -1;
        mgw_regstate_export(st, &before, &bn);
        fail_at = saved;
        r = mgw_regstate_import(st, reg_b, reg_b_len);
        fail_at = -1;
        if (r != MGW_OK) {
            mgw_regstate_export(st, &after, &an);
            CHECK(an == bn && memcmp(after, before, an) == 0, "state changed by a failed import");
        }
        fail_at = saved;
        mgw_free(before);
        mgw_free(after);
    }
    mgw_regstate_free(&st);
    return r;
}

static int c_regstate_export(void)
{
    uint8_t *out = UNTOUCHED;
    size_t n = 12345;
    int r = mgw_regstate_export(state, &out, &n);
    if (r == MGW_OK) {
        CHECK(n == regfile_orig_len && memcmp(out, regfile_orig, n) == 0, "other export");
        mgw_free(out);
    } else
        CHECK(out == UNTOUCHED && n == 12345, "output written");
    return r;
}

static int c_regplan_compute(void)
{
    mgw_regopts_t *o = mgw_regopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    mgw_regplan_t *p = UNTOUCHED;
    int r = mgw_regopts_set_issuer_store(o, "ClientAuthIssuer");
    if (r == MGW_OK)
        r = mgw_regopts_set_client_cert(o, cert);
    if (r == MGW_OK) {
        r = mgw_regplan_compute(o, state, &p);
        if (r == MGW_OK)
            mgw_regplan_free(&p);
        else
            CHECK(p == UNTOUCHED, "output written");
    }
    mgw_regopts_free(&o);
    return r;
}

static int c_regplan_load(void)
{
    mgw_regplan_t *p = UNTOUCHED;
    int r = mgw_regplan_load(plan_json, plan_json_len, &p);
    if (r == MGW_OK)
        mgw_regplan_free(&p);
    else
        CHECK(p == UNTOUCHED, "output written");
    return r;
}

static int c_regplan_outputs(void)
{
    char *s = UNTOUCHED;
    int r = mgw_regplan_describe(plan, MGW_DESCRIBE_TEXT, &s);
    if (r != MGW_OK) {
        CHECK(s == UNTOUCHED, "output written");
        return r;
    }
    CHECK(same_text(s, ref_plan_text), "other text");
    mgw_free(s);
    uint8_t *reg = UNTOUCHED;
    size_t n = 12345;
    r = mgw_regplan_reg_file(plan, MGW_REGPLAN_ROLLBACK, &reg, &n);
    if (r == MGW_OK) {
        CHECK(n == ref_rollback_len && memcmp(reg, ref_rollback, n) == 0, "other .reg file");
        mgw_free(reg);
    } else
        CHECK(reg == UNTOUCHED && n == 12345, "output written");
    return r;
}

/* Applying writes a file per value; whatever fails, the registry file is
 * the original again (restored) unless the restore itself failed. */
static int c_regplan_apply_file(void)
{
    long saved = fail_at;
    fail_at = -1;
    mgw_file_write(regfile, regfile_orig, regfile_orig_len, MGW_FILE_FORCE);
    unlink(backup);
    fail_at = saved;
    int changed = -1;
    int r = mgw_regplan_apply_file(plan, regfile, backup, 0, &changed);
    fail_at = -1;
    size_t n = 0;
    uint8_t *now = slurp(regfile, &n);
    if (r == MGW_OK)
        CHECK(changed > 0, "changed %d", changed);
    else if (r != MGW_ERR_REG_RESTORE)
        CHECK(n == regfile_orig_len && memcmp(now, regfile_orig, n) == 0,
              "registry file not restored after %d (%s)", r, mgw_last_error());
    free(now);
    fail_at = saved;
    return r;
}

static int c_keep_file(void)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    int r = mgw_rootopts_add_keep_file(o, keep, keep_len, "keep.txt");
    long saved = fail_at;
    fail_at = -1; /* the count itself allocates */
    size_t n = mgw_rootopts_keep_count(o);
    fail_at = saved;
    if (r != MGW_OK)
        CHECK(n == 0, "half a keep-list");
    else
        CHECK(n == 1, "%zu thumbprints", n);
    mgw_rootopts_free(&o);
    return r;
}

static int c_thumbprint(void)
{
    char *s = UNTOUCHED;
    int r = mgw_thumbprint_normalize("\xe2\x80\x8e"
                                     "ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 "
                                     "89 ab cd ef 01",
                                     &s);
    if (r == MGW_OK)
        mgw_free(s);
    else
        CHECK(s == UNTOUCHED, "output written");
    return r;
}

static int c_store_and_plan(void)
{
    mgw_store_t *s = UNTOUCHED;
    int r = mgw_store_open_dir(store_dir, &s);
    if (r != MGW_OK) {
        CHECK(s == UNTOUCHED, "output written");
        return r;
    }
    mgw_rootopts_t *o = mgw_rootopts_new();
    mgw_rootplan_t *p = UNTOUCHED;
    if (o == NULL)
        r = CONSTRUCTOR_FAILED;
    if (r == MGW_OK)
        r = mgw_rootopts_add_keep_file(o, keep, keep_len, "keep.txt");
    if (r == MGW_OK) {
        r = mgw_rootplan_compute(s, o, &p);
        if (r == MGW_OK) {
            char *text = UNTOUCHED;
            r = mgw_rootplan_describe(p, MGW_DESCRIBE_JSON, &text);
            if (r == MGW_OK)
                mgw_free(text);
            else
                CHECK(text == UNTOUCHED, "output written");
            mgw_rootplan_free(&p);
        } else {
            CHECK(p == UNTOUCHED, "output written");
        }
    }
    mgw_rootopts_free(&o);
    mgw_store_free(&s);
    return r;
}

typedef struct {
    const char *name;
    int (*run)(void);
    int other; /* an error the function may give for a failed allocation, else 0 */
} alloc_case;

static const alloc_case cases[] = {
    {"mgw_cert_parse", c_cert_parse, 0},
    {"mgw_cert_describe", c_cert_describe, 0},
    {"mgw_cert_create with its options", c_cert_create, 0},
    {"mgw_key_load (encrypted PKCS#8)", c_key_load, 0},
    {"mgw_pfx_parse and mgw_pfx_describe", c_pfx_parse, 0},
    {"mgw_pfx_write", c_pfx_write, 0},
    {"mgw_pfx_convert (modern profile)", c_pfx_convert, 0},
    {"mgw_cert_export and mgw_key_export_encrypted", c_exports, 0},
    {"mgw_regstate_import (a failed second import keeps the state)", c_regstate_import, 0},
    {"mgw_regstate_export", c_regstate_export, 0},
    {"mgw_regplan_compute", c_regplan_compute, 0},
    {"mgw_regplan_load", c_regplan_load, 0},
    {"mgw_regplan_describe and mgw_regplan_reg_file", c_regplan_outputs, 0},
    {"mgw_regplan_apply_file (restores the file)", c_regplan_apply_file, MGW_ERR_REG_RESTORE},
    {"mgw_rootopts_add_keep_file", c_keep_file, 0},
    {"mgw_thumbprint_normalize", c_thumbprint, 0},
    {"mgw_store_open_dir, mgw_rootplan_compute and describe", c_store_and_plan, 0},
};

int main(void)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);
    printf("1..%zu\n", n + 1);
    bool fixtures = make_fixtures();
    printf("%s 1 - fixtures made without failures\n", fixtures ? "ok" : "not ok");
    if (!fixtures) {
        printf("# %s\n", mgw_last_error());
        return 1;
    }
    /* every allocation point in the plain and ASan builds; under valgrind,
     * which checks the same paths again and slowly, every fifth */
    long step = getenv("MGW_UNDER_VALGRIND") != NULL ? 5 : 1;
    for (size_t i = 0; i < n; i++) {
        int before = failures;
        long points = 0, survived = 0;
        for (long at = 0;; at += step) {
            calls = 0;
            fail_at = at;
            int r = cases[i].run();
            long made = calls;
            fail_at = -1;
            if (made <= at) { /* nothing failed: the call made fewer allocations */
                CHECK(r == MGW_OK, "%s without failures: %d (%s)", cases[i].name, r,
                      mgw_last_error());
                points = at;
                break;
            }
            if (r == CONSTRUCTOR_FAILED)
                continue;
            if (r == MGW_OK) {
                survived++; /* a failure the code works around (an index it can do without) */
                continue;
            }
            CHECK(r == MGW_ERR_NO_MEMORY || (cases[i].other != 0 && r == cases[i].other),
                  "%s, allocation %ld failing: %d (%s)", cases[i].name, at, r, mgw_last_error());
            CHECK(r == MGW_ERR_NO_MEMORY || mgw_last_error()[0] != '\0',
                  "%s, allocation %ld: no message", cases[i].name, at);
            if (failures - before > 5)
                break;
        }
        printf("%s %zu - %s: %ld allocation points%s\n", failures == before ? "ok" : "not ok",
               i + 2, cases[i].name, points, survived > 0 ? " (some failures worked around)" : "");
    }
    mgw_cert_free(&cert);
    mgw_key_free(&key);
    mgw_regstate_free(&state);
    mgw_regplan_free(&plan);
    mgw_free(cert_pem);
    mgw_free(cert_der);
    mgw_free(key_pem);
    mgw_free(pfx);
    mgw_free(plan_json);
    free(reg_a);
    free(reg_b);
    free(keep);
    free(regfile_orig);
    mgw_free(ref_pfx_json);
    mgw_free(ref_plan_text);
    mgw_free(ref_cert_json);
    mgw_free(ref_rollback);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return failures == 0 ? 0 : 1;
}
