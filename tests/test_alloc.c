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
 * A call that works around a failure (returns MGW_OK) must give the same
 * outputs as a run without failures (every string and byte output is
 * hashed), and no run may leave a temporary file anywhere in the fixtures'
 * directory (registry, IIS, roots and store cases alike). One allocation
 * fails per run, so a restore after it never sees a failure: a
 * MGW_ERR_REG_RESTORE or MGW_ERR_IIS_RESTORE is a failure of the test.
 * MGW_ALLOC_ONLY=N runs only test N; MGW_ALLOC_DUMP=1 prints the outputs.
 * A plain TAP program rather than a Check suite: nothing else may allocate
 * between arming and the call.
 */
#include "mgwauth.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* internal: the message is cleared before each run, and put back after a check */
void mgw_err_clear(void);
int mgw_err(int code, const char *fmt, ...);

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

/* ---- fixtures of the further cases --------------------------------------------- */

static mgw_key_t *ca_key;
static mgw_cert_t *ca_cert, *leaf;
static uint8_t *ca_der, *ca_pem, *csr_pem, *pfx_chain, *regfile_applied, *iis_config, *iis_desired,
    *iis_plan_json;
static size_t ca_der_len, ca_pem_len, csr_pem_len, pfx_chain_len, regfile_applied_len,
    iis_config_len, iis_desired_len, iis_plan_json_len;
static char *ca_tp;
static mgw_iisplan_t *iis_plan;
static char work_dir[128], prune_backup[128], restore_backup[128], utf16_file[128], iis_file[128],
    iis_backup[128], check_url[64], ca_file_path[128];

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    if (d == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n++;
    closedir(d);
    return n;
}


/* ---- the cases: each returns the call's result and checks what it left ------------ */

#define UNTOUCHED ((void *)0x5a5a)
/* an mgw_*_new() gave NULL: out of memory, with no code to return */
#define CONSTRUCTOR_FAILED 1

static int str_out(int r, char **s);
static void sig_add(const void *p, size_t n);

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
    if (r == MGW_OK)
        r = mgw_certopts_add_email(o, "j@example.com");
    if (r == MGW_OK)
        r = mgw_certopts_add_dns(o, "j.example.com");
    if (r == MGW_OK)
        r = mgw_certopts_add_uri(o, "https://example.com/j");
    if (r == MGW_OK)
        r = mgw_certopts_set_not_before(o, 1767225600);
    if (r == MGW_OK)
        r = mgw_certopts_set_days(o, 730);
    if (r == MGW_OK)
        r = mgw_certopts_set_ca(o, 0, -1);
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
    if (r == MGW_OK)
        r = mgw_pfxopts_set_csp_name(o, "Microsoft Software Key Storage Provider");
    if (r == MGW_OK)
        r = mgw_pfxopts_set_key_spec(o, MGW_PFX_KEYSPEC_EXCHANGE);
    if (r == MGW_OK)
        r = mgw_pfxopts_set_machine_keyset(o, 1);
    if (r == MGW_OK)
        r = mgw_pfxopts_set_local_key_id(o, (const uint8_t *)"\x01\x02\x03\x04", 4);
    if (r == MGW_OK)
        r = mgw_pfxopts_add_chain(o, ca_cert);
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
            char message[512];
            snprintf(message, sizeof(message), "%s", mgw_last_error());
            mgw_regstate_export(st, &after, &an);
            mgw_err(r, "%s", message); /* the export cleared it */
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
    else
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
    if (r != MGW_OK)
        return r;
    char *hex = UNTOUCHED;
    r = mgw_digest_hex(MGW_DIGEST_SHA256, (const uint8_t *)"abc", 3, &hex);
    if (r == MGW_OK) {
        CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
              "SHA-256 of abc");
        mgw_free(hex);
    } else {
        CHECK(hex == UNTOUCHED, "output written");
    }
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
    if (r == MGW_OK)
        r = mgw_rootopts_add_keep(o, "0123456789abcdef0123456789abcdef01234567");
    if (r == MGW_OK)
        r = mgw_rootopts_set_allow_missing(o, 1);
    if (r == MGW_OK) {
        r = mgw_rootplan_compute(s, o, &p);
        if (r == MGW_OK) {
            char *text = UNTOUCHED;
            r = mgw_rootplan_describe(p, MGW_DESCRIBE_JSON, &text);
            if (r == MGW_OK)
                mgw_free(text);
            else
                CHECK(text == UNTOUCHED, "output written");
            /* the gateway's certificate, in the store and in its .GroupPolicy */
            CHECK(mgw_rootplan_count(p, 0) == 2 && mgw_rootplan_count(p, MGW_ROOT_KEEP) == 2 &&
                      mgw_rootplan_missing_count(p) == 1,
                  "plan counts %zu %zu %zu %zu", mgw_rootplan_count(p, 0),
                  mgw_rootplan_count(p, MGW_ROOT_KEEP), mgw_rootplan_count(p, MGW_ROOT_POLICY),
                  mgw_rootplan_missing_count(p));
            if (r == MGW_OK) {
                int action = -1;
                char *tp = UNTOUCHED, *subject = UNTOUCHED;
                r = mgw_rootplan_entry(p, 0, &action, &tp, &subject);
                if (r == MGW_OK) {
                    mgw_free(tp);
                    mgw_free(subject);
                } else
                    CHECK(action == -1 && tp == UNTOUCHED && subject == UNTOUCHED,
                          "output written");
            }
            if (r == MGW_OK) {
                char *tp = UNTOUCHED;
                r = str_out(mgw_rootplan_missing(p, 0, &tp), &tp);
            }
            if (r == MGW_OK) {
                char *names = UNTOUCHED;
                r = mgw_rootplan_entry_physical(p, 1, &names);
                if (r == MGW_OK) {
                    /* the store's own file, with a copy in .GroupPolicy */
                    CHECK(strcmp(names, ".GroupPolicy") == 0, "physical \"%s\"", names);
                    sig_add(names, strlen(names));
                    mgw_free(names);
                }
                else
                    CHECK(names == UNTOUCHED, "output written");
            }
            mgw_rootplan_free(&p);
        } else {
            CHECK(p == UNTOUCHED, "output written");
        }
    }
    mgw_rootopts_free(&o);
    mgw_store_free(&s);
    return r;
}

/* ---- more of the API: each call's outputs untouched when it fails ---------------- */

/* Fixture work between the calls under test: no failures, and the message of
 * the call under test kept. */
static long paused_at;
static char paused_message[512];

static void pause_failures(void)
{
    paused_at = fail_at;
    fail_at = -1;
    snprintf(paused_message, sizeof(paused_message), "%s", mgw_last_error());
}

static void resume_failures(void)
{
    if (paused_message[0] != '\0')
        mgw_err(MGW_ERR_INTERNAL, "%s", paused_message);
    else
        mgw_err_clear();
    fail_at = paused_at;
}
#define PAUSE() pause_failures()
#define RESUME() resume_failures()

/* What a case's calls gave: every string and byte output of a call that
 * worked, hashed (FNV-1a). A case that works around a failed allocation must
 * give what it gives without failures. */
static uint64_t out_sig;

static void sig_add(const void *p, size_t n)
{
    const uint8_t *b = p;
    if (getenv("MGW_ALLOC_DUMP") != NULL) /* when looking into a difference */
        fprintf(stderr, "[%ld] %.*s\n---\n", fail_at, (int)n, (const char *)p);
    out_sig ^= n;
    out_sig *= 0x100000001b3ull;
    for (size_t i = 0; i < n; i++) {
        out_sig ^= b[i];
        out_sig *= 0x100000001b3ull;
    }
}

/* A string output: freed when the call worked, else still untouched. */
static int str_out(int r, char **s)
{
    if (r == MGW_OK)
        sig_add(*s, strlen(*s));
    if (r == MGW_OK)
        mgw_free(*s);
    else
        CHECK(*s == UNTOUCHED, "output written");
    return r;
}
#define STR(var, call) (var = UNTOUCHED, str_out((call), &var))

static int bytes_out(int r, uint8_t **p, size_t *n)
{
    if (r == MGW_OK)
        sig_add(*p, *n);
    if (r == MGW_OK)
        mgw_free(*p);
    else
        CHECK(*p == UNTOUCHED && *n == 12345, "output written");
    return r;
}
#define BYTES(var, len, call)                                                                      \
    (var = UNTOUCHED, len = 12345, bytes_out((call), (uint8_t **)(void *)&var, &len))

static bool file_is(const char *path, const uint8_t *data, size_t len)
{
    size_t n = 0;
    uint8_t *now = slurp(path, &n);
    bool same = now != NULL && n == len && memcmp(now, data, len) == 0;
    free(now);
    return same;
}

/* The registry file holds the same keys and values as `want` (a restore may
 * write them in another order): the exports' lines compared as sorted sets. */
static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_export(const uint8_t *reg, size_t n)
{
    mgw_regstate_t *st = mgw_regstate_new();
    uint8_t *out = NULL;
    size_t len = 0;
    if (mgw_regstate_import(st, reg, n) != MGW_OK || mgw_regstate_export(st, &out, &len) != MGW_OK)
        len = 0;
    mgw_regstate_free(&st);
    /* UTF-16LE with BOM: the ASCII of it is enough to compare */
    char *text = malloc(len / 2 + 1), *lines[4096];
    size_t t = 0, nl = 0;
    for (size_t i = 2; i + 1 < len; i += 2)
        text[t++] = (char)out[i];
    text[t] = '\0';
    mgw_free(out);
    for (char *l = strtok(text, "\r\n"); l != NULL && nl < 4096; l = strtok(NULL, "\r\n"))
        lines[nl++] = l;
    qsort(lines, nl, sizeof(lines[0]), cmp_line);
    char *joined = malloc(t + nl + 1);
    size_t j = 0;
    for (size_t i = 0; i < nl; i++) {
        size_t ll = strlen(lines[i]);
        memcpy(joined + j, lines[i], ll);
        j += ll;
        joined[j++] = '\n';
    }
    joined[j] = '\0';
    free(text);
    return joined;
}

static bool same_registry(const char *path, const uint8_t *want, size_t want_len)
{
    size_t n = 0;
    uint8_t *now = slurp(path, &n);
    char *a = now != NULL ? sorted_export(now, n) : NULL, *b = sorted_export(want, want_len);
    bool same = a != NULL && a[0] != '\0' && strcmp(a, b) == 0;
    free(now);
    free(a);
    free(b);
    return same;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static int c_cert_accessors(void)
{
    char *s;
    int r = STR(s, mgw_cert_thumbprint(leaf, MGW_DIGEST_SHA256, &s));
    if (r == MGW_OK)
        r = STR(s, mgw_cert_subject(leaf, &s));
    if (r == MGW_OK)
        r = STR(s, mgw_cert_issuer(leaf, &s));
    if (r == MGW_OK)
        r = STR(s, mgw_cert_serial(leaf, &s));
    if (r == MGW_OK) {
        int type = -7;
        r = STR(s, mgw_cert_san(leaf, 0, &type, &s));
        if (r != MGW_OK)
            CHECK(type == -7, "type written");
    }
    if (r == MGW_OK)
        r = STR(s, mgw_cert_eku(leaf, 0, &s));
    if (r == MGW_OK) {
        int64_t a = 0, b = 0;
        r = mgw_cert_validity(leaf, &a, &b);
    }
    if (r == MGW_OK) {
        int type = 0, bits = 0;
        r = mgw_cert_key_info(leaf, &type, &bits);
    }
    if (r == MGW_OK)
        r = mgw_cert_check_key(cert, key);
    if (r == MGW_OK)
        r = mgw_cert_check_issuer(leaf, ca_cert);
    if (r == MGW_OK) {
        CHECK(mgw_cert_san_count(leaf) == 1 && mgw_cert_eku_count(leaf) == 1, "counts");
        CHECK(mgw_cert_is_ca(ca_cert) == 1 && mgw_cert_is_ca(leaf) == 0, "CA flags");
    }
    return r;
}

static int c_csr(void)
{
    mgw_csr_t *csr = UNTOUCHED;
    int r = mgw_csr_parse(csr_pem, csr_pem_len, &csr);
    if (r != MGW_OK) {
        CHECK(csr == UNTOUCHED, "output written");
        return r;
    }
    char *s;
    r = STR(s, mgw_csr_subject(csr, &s));
    mgw_certopts_t *o = NULL;
    if (r == MGW_OK && (o = mgw_certopts_new()) == NULL)
        r = CONSTRUCTOR_FAILED;
    if (r == MGW_OK)
        r = mgw_certopts_add_eku(o, "clientAuth");
    if (r == MGW_OK)
        r = mgw_certopts_set_days(o, 30);
    if (r == MGW_OK) {
        mgw_cert_t *c = UNTOUCHED;
        r = mgw_cert_sign_csr(o, csr, ca_cert, ca_key, &c);
        if (r == MGW_OK)
            mgw_cert_free(&c);
        else
            CHECK(c == UNTOUCHED, "output written");
    }
    mgw_certopts_free(&o);
    mgw_csr_free(&csr);
    return r;
}

static int c_key_generate(void)
{
    unsigned seed = 11;
    mgw_key_t *k = mgw_key_new();
    if (k == NULL)
        return CONSTRUCTOR_FAILED;
    int r = mgw_key_set_rng(k, rng, &seed);
    if (r == MGW_OK)
        r = mgw_key_generate(k, MGW_KEY_P256);
    if (r == MGW_OK)
        CHECK(mgw_key_type(k) == MGW_KEY_P256 && mgw_key_bits(k) == 256, "key");
    else
        CHECK(mgw_key_type(k) == 0, "a half-made key");
    uint8_t *out;
    size_t n;
    if (r == MGW_OK)
        r = BYTES(out, n, mgw_key_export_public(k, MGW_FORMAT_PEM, &out, &n));
    mgw_key_free(&k);
    return r;
}

static int c_pfx_accessors(void)
{
    PAUSE();
    mgw_pfx_t *p = NULL;
    int r = mgw_pfx_parse(pfx_chain, pfx_chain_len, "pw", 2, &p);
    RESUME();
    if (r != MGW_OK)
        return r;
    mgw_key_t *k = UNTOUCHED;
    mgw_cert_t *c = UNTOUCHED;
    r = mgw_pfx_key(p, &k);
    if (r == MGW_OK)
        mgw_key_free(&k);
    else
        CHECK(k == UNTOUCHED, "output written");
    if (r == MGW_OK) {
        r = mgw_pfx_cert(p, &c);
        if (r == MGW_OK)
            mgw_cert_free(&c);
        else
            CHECK(c == UNTOUCHED, "output written");
    }
    if (r == MGW_OK) {
        CHECK(mgw_pfx_extra_cert_count(p) == 1, "chain");
        c = UNTOUCHED;
        r = mgw_pfx_extra_cert(p, 0, &c);
        if (r == MGW_OK)
            mgw_cert_free(&c);
        else
            CHECK(c == UNTOUCHED, "output written");
    }
    char *s;
    if (r == MGW_OK)
        r = STR(s, mgw_pfx_friendly_name(p, &s));
    if (r == MGW_OK) {
        uint32_t it = 77;
        r = STR(s, mgw_pfx_algorithm(p, MGW_PFX_PART_KEY, &s, &it));
        if (r != MGW_OK)
            CHECK(it == 77, "iterations written");
    }
    mgw_pfx_free(&p);
    return r;
}

static int c_regopts_sni(void)
{
    mgw_regopts_t *o = mgw_regopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    mgw_regplan_t *p = UNTOUCHED;
    int r = mgw_regopts_set_sni_binding(o, "mail.example.com:443");
    if (r == MGW_OK)
        r = mgw_regopts_set_trust_mode(o, 2);
    if (r == MGW_OK)
        r = mgw_regopts_set_revocation_check(o, 1);
    if (r == MGW_OK)
        r = mgw_regopts_set_disable_tls13(o, 1);
    if (r == MGW_OK)
        r = mgw_regopts_set_root_autoupdate(o, 1, 1);
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

static int c_regopts_binding(void)
{
    mgw_regopts_t *o = mgw_regopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    mgw_regplan_t *p = UNTOUCHED;
    int r = mgw_regopts_set_binding(o, "0.0.0.0:443");
    if (r == MGW_OK)
        r = mgw_regopts_set_negotiate_client_cert(o, 1);
    if (r == MGW_OK) {
        r = mgw_regplan_compute(o, state, &p);
        if (r == MGW_OK)
            mgw_regplan_free(&p);
        else
            CHECK(p == UNTOUCHED, "output written");
    }
    if (r == MGW_OK)
        r = mgw_regopts_set_ccs_binding(o, "443");
    mgw_regopts_free(&o);
    return r;
}

static int c_regplan_accessors(void)
{
    char *s;
    int r = STR(s, mgw_regplan_fingerprint(plan, &s));
    if (r == MGW_OK) {
        CHECK(mgw_regplan_change_count(plan) > 0, "no changes");
        if (mgw_regplan_warning_count(plan) > 0)
            r = STR(s, mgw_regplan_warning(plan, 0, &s));
    }
    return r;
}

static int c_regplan_rollback_file(void)
{
    PAUSE();
    mgw_file_write(regfile, regfile_applied, regfile_applied_len, MGW_FILE_FORCE);
    unlink(backup);
    RESUME();
    int changed = -1;
    int r = mgw_regplan_rollback_file(plan, regfile, backup, 0, &changed);
    PAUSE();
    if (r == MGW_OK)
        CHECK(changed > 0 && file_is(regfile, regfile_orig, regfile_orig_len), "not rolled back");
    else
        CHECK(same_registry(regfile, regfile_applied, regfile_applied_len),
              "registry file not restored after %d (%s)", r, mgw_last_error());
    RESUME();
    return r;
}

static int c_rootopts(void)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    char *tp = NULL;
    PAUSE();
    mgw_roots_protected(0, &tp, NULL);
    RESUME();
    /* a failed call leaves the keep set as it was */
    int r = mgw_rootopts_add_keep(o, "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01");
    PAUSE();
    size_t k = mgw_rootopts_keep_count(o);
    RESUME();
    CHECK(k == (r == MGW_OK ? 1u : 0u), "%zu thumbprints after add_keep gave %d", k, r);
    if (r == MGW_OK) {
        r = mgw_rootopts_allow_protected(o, tp);
        PAUSE();
        size_t k2 = mgw_rootopts_keep_count(o);
        RESUME();
        CHECK(k2 == k, "%zu thumbprints after allow_protected gave %d", k2, r);
    }
    if (r == MGW_OK)
        r = mgw_rootopts_set_remove_protected(o, 1);
    if (r == MGW_OK)
        r = mgw_rootopts_set_allow_missing(o, 1);
    PAUSE();
    size_t n = mgw_rootopts_keep_count(o);
    RESUME();
    CHECK(n == 1u || r != MGW_OK, "%zu thumbprints", n);
    mgw_free(tp);
    mgw_rootopts_free(&o);
    return r;
}

static int c_roots_protected(void)
{
    char *tp = UNTOUCHED, *name = UNTOUCHED;
    size_t n = mgw_roots_protected_count();
    int r = mgw_roots_protected(n - 1, &tp, &name);
    if (r == MGW_OK) {
        mgw_free(tp);
        mgw_free(name);
    } else
        CHECK(tp == UNTOUCHED && name == UNTOUCHED, "output written");
    return r;
}

static int c_store_accessors(void)
{
    PAUSE();
    mgw_store_t *s = NULL;
    int r = mgw_store_open_dir(store_dir, &s);
    RESUME();
    if (r != MGW_OK)
        return r;
    CHECK(mgw_store_cert_count(s) == 2 && mgw_store_other_count(s) == 1, "store listing %zu %zu",
          mgw_store_cert_count(s), mgw_store_other_count(s));
    char *tp = UNTOUCHED, *subj = UNTOUCHED, *origin = UNTOUCHED;
    r = mgw_store_cert(s, 0, &tp, &subj, &origin);
    if (r == MGW_OK) {
        mgw_free(tp);
        mgw_free(subj);
        mgw_free(origin);
    } else
        CHECK(tp == UNTOUCHED && subj == UNTOUCHED && origin == UNTOUCHED, "output written");
    char *s1, *s2;
    if (r == MGW_OK)
        r = STR(s1, mgw_store_cert_physical(s, 0, &s1));
    if (r == MGW_OK) {
        s1 = s2 = UNTOUCHED;
        r = mgw_store_other(s, 0, &s1, &s2);
        if (r == MGW_OK) {
            mgw_free(s1);
            mgw_free(s2);
        } else
            CHECK(s1 == UNTOUCHED && s2 == UNTOUCHED, "output written");
    }
    uint8_t *der;
    size_t n;
    if (r == MGW_OK)
        r = BYTES(der, n, mgw_store_cert_der(s, 0, &der, &n));
    if (r == MGW_OK)
        CHECK(mgw_store_cert_has_key(s, 0) == 0, "a key in a directory store");
    mgw_store_free(&s);
    return r;
}

static void fresh_dir(const char *path, bool with_ca)
{
    char cmd[300], file[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0 || mkdir(path, 0700) != 0)
        return;
    snprintf(file, sizeof(file), "%s/gateway.cer", path);
    mgw_file_write(file, cert_der, cert_der_len, 0);
    if (with_ca) {
        snprintf(file, sizeof(file), "%s/ca.cer", path);
        mgw_file_write(file, ca_der, ca_der_len, 0);
    }
}

static int c_store_add_remove(void)
{
    PAUSE();
    fresh_dir(work_dir, false);
    mgw_store_t *s = NULL;
    int r = mgw_store_open_dir(work_dir, &s);
    RESUME();
    if (r != MGW_OK)
        return r;
    char *tp = UNTOUCHED;
    int added = -1;
    char ca_file[300];
    snprintf(ca_file, sizeof(ca_file), "%s/%s.cer", work_dir, ca_tp);
    r = mgw_store_add_cert(s, ca_pem, ca_pem_len, &added, &tp);
    if (r == MGW_OK) {
        CHECK(added == 1 && same_text(tp, ca_tp) && exists(ca_file), "not added");
        mgw_free(tp);
        r = mgw_store_remove_cert(s, ca_tp);
        if (r == MGW_OK)
            CHECK(!exists(ca_file), "not removed");
        else
            CHECK(exists(ca_file), "removed by a failed call");
    } else {
        CHECK(tp == UNTOUCHED && added == -1, "output written: %d (%s)", r, mgw_last_error());
        CHECK(!exists(ca_file), "a failed add left the file: %d (%s)", r, mgw_last_error());
    }
    mgw_store_free(&s);
    return r;
}

/* The backup at `path` holds the certificate `tp`: restored from it into an
 * empty directory store (without failures). */
static bool backup_holds(const char *path, const char *tp)
{
    PAUSE();
    char scratch[300];
    snprintf(scratch, sizeof(scratch), "%s/scratch", dir);
    fresh_dir(scratch, false);
    mgw_store_t *s = NULL;
    const char *only[] = {tp};
    bool held = mgw_store_open_dir(scratch, &s) == MGW_OK &&
                mgw_roots_restore(s, path, only, 1, NULL, NULL) == MGW_OK;
    mgw_store_free(&s);
    char cmd[320];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    held = system(cmd) == 0 && held;
    RESUME();
    return held;
}

static int c_roots_prune(void)
{
    PAUSE();
    fresh_dir(work_dir, true);
    unlink(prune_backup);
    mgw_store_t *s = NULL;
    mgw_rootopts_t *o = mgw_rootopts_new();
    mgw_rootplan_t *p = NULL;
    int r = mgw_store_open_dir(work_dir, &s);
    if (r == MGW_OK)
        r = mgw_rootopts_add_keep_file(o, keep, keep_len, "keep.txt");
    if (r == MGW_OK)
        r = mgw_rootplan_compute(s, o, &p);
    RESUME();
    char ca_file[300];
    snprintf(ca_file, sizeof(ca_file), "%s/ca.cer", work_dir);
    if (r == MGW_OK) {
        r = mgw_roots_prune(s, p, prune_backup, 0, NULL, NULL);
        if (r == MGW_OK)
            CHECK(!exists(ca_file) && exists(prune_backup), "not pruned");
        else if (r != MGW_ERR_ROOTS_INCOMPLETE)
            CHECK(exists(ca_file) && !exists(prune_backup), "files changed by a failed prune");
        else /* the removal failed, after the backup: the certificate is in both */
            CHECK(exists(ca_file) && backup_holds(prune_backup, ca_tp),
                  "an incomplete prune lost the certificate");
    }
    mgw_rootplan_free(&p);
    mgw_rootopts_free(&o);
    mgw_store_free(&s);
    return r;
}

static int c_roots_restore(void)
{
    PAUSE();
    fresh_dir(work_dir, false);
    mgw_store_t *s = NULL;
    int r = mgw_store_open_dir(work_dir, &s);
    RESUME();
    char ca_file[300]; /* under the name it had in the store it was pruned from */
    snprintf(ca_file, sizeof(ca_file), "%s/ca.cer", work_dir);
    if (r == MGW_OK) {
        const char *only[] = {ca_tp};
        r = mgw_roots_restore(s, restore_backup, only, 1, NULL, NULL);
        if (r == MGW_OK)
            CHECK(exists(ca_file), "not restored");
        else /* one certificate: a failed restore added nothing */
            CHECK(!exists(ca_file), "a failed restore added a file");
    }
    mgw_store_free(&s);
    return r;
}

static int c_task(void)
{
    mgw_taskopts_t *o = mgw_taskopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    int r = mgw_taskopts_set_interval(o, 3600);
    if (r == MGW_OK)
        r = mgw_taskopts_set_time_limit(o, 1200);
    if (r == MGW_OK)
        r = mgw_taskopts_set_start(o, "2026-01-01T03:00:00");
    if (r == MGW_OK)
        r = mgw_taskopts_set_command(o, "C:\\Tools\\prune.exe", "--all \"a b\"");
    uint8_t *xml;
    size_t n;
    if (r == MGW_OK)
        r = BYTES(xml, n, mgw_task_xml(o, &xml, &n));
    if (r == MGW_OK)
        r = mgw_taskopts_set_prune_command(o, NULL, "LocalMachine\\Root", "C:\\mgw\\keep.txt",
                                           "C:\\mgw\\backups");
    if (r == MGW_OK)
        r = BYTES(xml, n, mgw_task_xml(o, &xml, &n));
    mgw_taskopts_free(&o);
    return r;
}

static int c_files(void)
{
    char path[300], path2[300];
    snprintf(path, sizeof(path), "%s/written.bin", dir);
    PAUSE();
    unlink(path);
    RESUME();
    int r = mgw_file_write(path, cert_der, cert_der_len, MGW_FILE_PRIVATE);
    if (r != MGW_OK) {
        CHECK(!exists(path), "a failed write left the file");
        return r;
    }
    r = mgw_file_sync_dir(dir);
    uint8_t *data;
    size_t n;
    if (r == MGW_OK)
        r = BYTES(data, n, mgw_file_read(path, 1 << 20, &data, &n));
    char *text;
    if (r == MGW_OK)
        r = BYTES(text, n, mgw_text_file_read(utf16_file, 1 << 20, &text, &n));
    if (r == MGW_OK)
        r = BYTES(text, n, mgw_password_file_read(utf16_file, &text, &n));
    if (r == MGW_OK)
    if (r == MGW_OK) { /* random: not part of the output compared */
        text = UNTOUCHED;
        r = mgw_password_generate(20, &text);
        if (r == MGW_OK)
            mgw_free(text);
        else
            CHECK(text == UNTOUCHED, "output written");
    }
    if (r != MGW_OK)
        return r;
    snprintf(path, sizeof(path), "%s/set-a.pem", dir);
    snprintf(path2, sizeof(path2), "%s/set-b.pem", dir);
    PAUSE();
    unlink(path);
    unlink(path2);
    int before = count_entries(dir);
    RESUME();
    mgw_fileset_t *fs = mgw_fileset_new();
    if (fs == NULL)
        return CONSTRUCTOR_FAILED;
    r = mgw_fileset_add(fs, path, cert_pem, cert_pem_len, 0);
    if (r == MGW_OK)
        r = mgw_fileset_add(fs, path2, key_pem, key_pem_len, MGW_FILE_PRIVATE);
    if (r == MGW_OK)
        r = mgw_fileset_commit(fs);
    mgw_fileset_free(&fs);
    PAUSE();
    if (r == MGW_OK)
        CHECK(file_is(path, cert_pem, cert_pem_len) && file_is(path2, key_pem, key_pem_len),
              "fileset");
    else
        CHECK(!exists(path) && !exists(path2), "a failed fileset left files");
    CHECK(count_entries(dir) == before + (r == MGW_OK ? 2 : 0), "temporary files left");
    RESUME();
    return r;
}

static int c_iis(void)
{
    mgw_iisconfig_t *cfg = UNTOUCHED;
    int r = mgw_iisconfig_parse(iis_config, iis_config_len, &cfg);
    if (r != MGW_OK) {
        CHECK(cfg == UNTOUCHED, "output written");
        return r;
    }
    char *s;
    r = STR(s, mgw_iisconfig_describe(cfg, MGW_DESCRIBE_JSON, &s));
    mgw_iisopts_t *o = NULL;
    if (r == MGW_OK && (o = mgw_iisopts_new()) == NULL)
        r = CONSTRUCTOR_FAILED;
    if (r == MGW_OK)
        r = mgw_iisopts_set_site(o, "Default Web Site");
    if (r == MGW_OK)
        r = mgw_iisopts_add_binding(o, "*:443:");
    if (r == MGW_OK)
        r = mgw_iisopts_set_disable_tls13(o, 1);
    if (r == MGW_OK)
        r = mgw_iisopts_set_cert_in_handshake(o, 0);
    mgw_iisplan_t *p = UNTOUCHED;
    if (r == MGW_OK) {
        r = mgw_iisplan_compute(o, cfg, &p);
        if (r != MGW_OK)
            CHECK(p == UNTOUCHED, "output written");
    }
    if (r == MGW_OK) {
        CHECK(mgw_iisplan_change_count(p) > 0, "no changes");
        r = STR(s, mgw_iisplan_fingerprint(p, &s));
        if (r == MGW_OK && mgw_iisplan_warning_count(p) > 0)
            r = STR(s, mgw_iisplan_warning(p, 0, &s));
        if (r == MGW_OK)
            r = STR(s, mgw_iisplan_describe(p, MGW_DESCRIBE_TEXT, &s));
        uint8_t *out;
        size_t n;
        for (int which = MGW_IISPLAN_DESIRED; which <= MGW_IISPLAN_APPCMD_ROLLBACK && r == MGW_OK;
             which++)
            r = BYTES(out, n, mgw_iisplan_output(p, which, &out, &n));
        mgw_iisplan_free(&p);
    }
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&cfg);
    return r;
}

static int c_iisplan_load(void)
{
    mgw_iisplan_t *p = UNTOUCHED;
    int r = mgw_iisplan_load(iis_plan_json, iis_plan_json_len, iis_desired, iis_desired_len,
                             iis_config, iis_config_len, &p);
    if (r == MGW_OK) {
        PAUSE(); /* what was loaded, compared with a load without failures */
        char *text = NULL;
        if (mgw_iisplan_describe(p, MGW_DESCRIBE_JSON, &text) == MGW_OK)
            sig_add(text, strlen(text));
        else
            CHECK(0, "describing the loaded plan: %s", mgw_last_error());
        mgw_free(text);
        RESUME();
        mgw_iisplan_free(&p);
    }
    else
        CHECK(p == UNTOUCHED, "output written");
    return r;
}

static int c_iisplan_files(void)
{
    PAUSE();
    mgw_file_write(iis_file, iis_config, iis_config_len, MGW_FILE_FORCE);
    unlink(iis_backup);
    RESUME();
    int changed = -1;
    int r = mgw_iisplan_apply_file(iis_plan, iis_file, iis_backup, 0, &changed);
    PAUSE();
    if (r == MGW_OK)
        CHECK(changed > 0 && file_is(iis_file, iis_desired, iis_desired_len), "not applied");
    else
        CHECK(file_is(iis_file, iis_config, iis_config_len), "not restored after %d", r);
    RESUME();
    if (r != MGW_OK)
        return r;
    PAUSE();
    unlink(iis_backup);
    RESUME();
    r = mgw_iisplan_rollback_file(iis_plan, iis_file, iis_backup, 0, &changed);
    PAUSE();
    if (r == MGW_OK)
        CHECK(file_is(iis_file, iis_config, iis_config_len), "not rolled back");
    else
        CHECK(file_is(iis_file, iis_desired, iis_desired_len), "not restored after %d", r);
    RESUME();
    return r;
}

/* A check against a port nothing listens on: the result says so. */
static int c_check(void)
{
    mgw_checkopts_t *o = mgw_checkopts_new();
    if (o == NULL)
        return CONSTRUCTOR_FAILED;
    int r = mgw_checkopts_set_url(o, check_url);
    if (r == MGW_OK)
        r = mgw_checkopts_set_client(o, cert, key);
    if (r == MGW_OK)
        r = mgw_checkopts_add_client_chain(o, ca_cert);
    if (r == MGW_OK)
        r = mgw_checkopts_set_cafile(o, ca_file_path);
    if (r == MGW_OK)
        r = mgw_checkopts_set_insecure(o, 0);
    if (r == MGW_OK)
        r = mgw_checkopts_set_expected_status(o, 200);
    if (r == MGW_OK)
        r = mgw_checkopts_set_timeout_ms(o, 5000);
    if (r == MGW_OK)
        r = mgw_checkopts_set_connect_to(o, "127.0.0.1");
    if (r == MGW_OK)
        r = mgw_checkopts_set_max_tls(o, MGW_TLS_1_2);
    mgw_checkres_t *res = UNTOUCHED;
    if (r == MGW_OK) {
        r = mgw_check_run(o, &res);
        if (r != MGW_OK)
            CHECK(res == UNTOUCHED, "output written");
    }
    if (r == MGW_OK) {
        CHECK(mgw_checkres_passed(res) == 0 && mgw_checkres_error(res) != MGW_OK &&
                  mgw_checkres_status(res, MGW_CHECK_WITH_CERT) == 0,
              "a check against nothing passed");
        char *s;
        r = STR(s, mgw_checkres_reason(res, &s));
        if (r == MGW_OK)
            r = STR(s, mgw_checkres_describe(res, MGW_DESCRIBE_JSON, &s));
        mgw_checkres_free(&res);
    }
    mgw_checkopts_free(&o);
    return r;
}

/* Functions that hand out constants: they must not allocate at all. */
static int c_constants(void)
{
    const char *v = mgw_version(), *cv = mgw_crypto_version();
    CHECK(v != NULL && cv != NULL && mgw_version_number() > 0, "version");
    CHECK(mgw_strerror(MGW_ERR_NO_MEMORY) != NULL && mgw_last_error() != NULL, "error texts");
    CHECK(mgw_default_iterations() > 0 && mgw_pfx_max_iterations() > 0, "iterations");
    CHECK(mgw_reg_max_file_size() > 0 && mgw_iis_max_file_size() > 0, "sizes");
    CHECK(mgw_check_max_tls() >= MGW_TLS_1_2, "TLS");
    mgw_free(NULL);
    CHECK(calls == 0, "%ld allocations", calls);
    return MGW_OK;
}

static bool make_more_fixtures(void)
{
    static unsigned seed = 43;
    ca_key = mgw_key_new();
    mgw_key_set_rng(ca_key, rng, &seed);
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_set_rng(o, rng, &seed);
    mgw_certopts_set_subject(o, "CN=Example Root CA,O=Example GmbH,C=DE");
    mgw_certopts_set_ca(o, 1, 0);
    int r = mgw_key_generate(ca_key, MGW_KEY_P256);
    if (r == MGW_OK)
        r = mgw_cert_create(o, ca_key, NULL, NULL, &ca_cert);
    mgw_certopts_free(&o);
    o = mgw_certopts_new();
    mgw_certopts_set_rng(o, rng, &seed);
    mgw_certopts_set_subject(o, "CN=eas user,O=Example GmbH,C=DE");
    mgw_certopts_add_upn(o, "eas@example.com");
    mgw_certopts_add_eku(o, "clientAuth");
    mgw_certopts_set_not_before(o, 1767225600);
    mgw_certopts_set_days(o, 365);
    if (r == MGW_OK)
        r = mgw_cert_create(o, key, ca_cert, ca_key, &leaf);
    mgw_certopts_free(&o);
    if (r != MGW_OK || mgw_cert_export(ca_cert, MGW_FORMAT_DER, &ca_der, &ca_der_len) != MGW_OK ||
        mgw_cert_export(ca_cert, MGW_FORMAT_PEM, &ca_pem, &ca_pem_len) != MGW_OK ||
        mgw_cert_thumbprint(ca_cert, MGW_DIGEST_SHA1, &ca_tp) != MGW_OK)
        return false;
    mgw_pfxopts_t *po = mgw_pfxopts_new();
    mgw_pfxopts_set_iterations(po, 1000);
    mgw_pfxopts_set_rng(po, rng, &seed);
    mgw_pfxopts_set_friendly_name(po, "eas user");
    mgw_pfxopts_add_chain(po, ca_cert);
    r = mgw_pfx_write(po, leaf, key, "pw", 2, &pfx_chain, &pfx_chain_len);
    mgw_pfxopts_free(&po);
    csr_pem = slurp(MGW_SOURCE "/fuzz/corpus/csr/8ec298f84ba461ff", &csr_pem_len);
    if (r != MGW_OK || csr_pem == NULL)
        return false;

    /* the registry file after the plan: what a rollback starts from */
    mgw_file_write(regfile, regfile_orig, regfile_orig_len, MGW_FILE_FORCE);
    unlink(backup);
    if (mgw_regplan_apply_file(plan, regfile, backup, 0, NULL) != MGW_OK ||
        (regfile_applied = slurp(regfile, &regfile_applied_len)) == NULL)
        return false;

    /* an "other" entry in the store; a backup holding the CA certificate */
    char path[300];
    snprintf(path, sizeof(path), "%s/readme.txt", store_dir);
    snprintf(work_dir, sizeof(work_dir), "%s/work", dir);
    snprintf(prune_backup, sizeof(prune_backup), "%s/pruned.pem.gz", dir);
    snprintf(restore_backup, sizeof(restore_backup), "%s/restore.pem.gz", dir);
    if (mgw_file_write(path, (const uint8_t *)"not a certificate\n", 18, 0) != MGW_OK)
        return false;
    /* a physical store: the gateway's certificate also put there by Group
     * Policy, so that listing recurses and the physical names propagate */
    snprintf(path, sizeof(path), "%s/.GroupPolicy", store_dir);
    if (mkdir(path, 0700) != 0)
        return false;
    snprintf(path, sizeof(path), "%s/.GroupPolicy/gateway.cer", store_dir);
    if (mgw_file_write(path, cert_der, cert_der_len, 0) != MGW_OK)
        return false;
    fresh_dir(work_dir, true);
    mgw_store_t *s = NULL;
    mgw_rootopts_t *ro = mgw_rootopts_new();
    mgw_rootplan_t *rp = NULL;
    r = mgw_store_open_dir(work_dir, &s);
    if (r == MGW_OK)
        r = mgw_rootopts_add_keep_file(ro, keep, keep_len, "keep.txt");
    if (r == MGW_OK)
        r = mgw_rootplan_compute(s, ro, &rp);
    if (r == MGW_OK)
        r = mgw_roots_prune(s, rp, restore_backup, 0, NULL, NULL);
    mgw_rootplan_free(&rp);
    mgw_rootopts_free(&ro);
    mgw_store_free(&s);
    if (r != MGW_OK)
        return false;

    /* a password in UTF-16LE with BOM, as Notepad saves it */
    static const uint8_t utf16[] = {0xff, 0xfe, 'p', 0, 0xfc, 0, 'w', 0, '\r', 0, '\n', 0};
    snprintf(utf16_file, sizeof(utf16_file), "%s/password.txt", dir);
    if (mgw_file_write(utf16_file, utf16, sizeof(utf16), 0) != MGW_OK)
        return false;

    /* IIS: the fixture configuration, its plan as JSON, a file to apply it to */
    iis_config = slurp(MGW_TEST_DATA "/iis/applicationHost.config", &iis_config_len);
    mgw_iisconfig_t *cfg = NULL;
    mgw_iisopts_t *io = mgw_iisopts_new();
    mgw_iisopts_set_disable_tls13(io, 1);
    char *json = NULL;
    if (iis_config == NULL || mgw_iisconfig_parse(iis_config, iis_config_len, &cfg) != MGW_OK ||
        mgw_iisplan_compute(io, cfg, &iis_plan) != MGW_OK ||
        mgw_iisplan_describe(iis_plan, MGW_DESCRIBE_JSON, &json) != MGW_OK ||
        mgw_iisplan_output(iis_plan, MGW_IISPLAN_DESIRED, &iis_desired, &iis_desired_len) !=
            MGW_OK)
        return false;
    mgw_iisopts_free(&io);
    mgw_iisconfig_free(&cfg);
    iis_plan_json = (uint8_t *)json;
    iis_plan_json_len = strlen(json);
    snprintf(iis_file, sizeof(iis_file), "%s/applicationHost.config", dir);
    snprintf(iis_backup, sizeof(iis_backup), "%s/applicationHost.backup", dir);

    /* the check: a port nothing listens on, the CA as the server's trust */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        return false;
    snprintf(check_url, sizeof(check_url), "https://gateway.example:%u/", ntohs(sa.sin_port));
    close(fd);
    snprintf(ca_file_path, sizeof(ca_file_path), "%s/ca.pem", dir);
    if (mgw_file_write(ca_file_path, ca_pem, ca_pem_len, 0) != MGW_OK)
        return false;
    return true;
}

static void free_more_fixtures(void)
{
    mgw_key_free(&ca_key);
    mgw_cert_free(&ca_cert);
    mgw_cert_free(&leaf);
    mgw_free(ca_der);
    mgw_free(ca_pem);
    mgw_free(ca_tp);
    mgw_free(pfx_chain);
    mgw_free(iis_desired);
    mgw_free(iis_plan_json);
    mgw_iisplan_free(&iis_plan);
    free(csr_pem);
    free(regfile_applied);
    free(iis_config);
}

typedef struct {
    const char *name;
    int (*run)(void);
    int other;          /* an error the function may give for a failed allocation, else 0 */
    const char *drives; /* the exported functions the case calls under failures */
} alloc_case;

static const alloc_case cases[] = {
    {"mgw_cert_parse", c_cert_parse, 0, "mgw_cert_parse mgw_cert_free"},
    {"mgw_cert_describe", c_cert_describe, 0, "mgw_cert_describe mgw_free"},
    {"mgw_cert_create with its options", c_cert_create, 0,
     "mgw_certopts_new mgw_certopts_free mgw_certopts_set_rng mgw_certopts_set_subject "
     "mgw_certopts_add_upn mgw_certopts_add_email mgw_certopts_add_dns mgw_certopts_add_uri "
     "mgw_certopts_add_eku mgw_certopts_set_days mgw_certopts_set_not_before mgw_certopts_set_ca "
     "mgw_cert_create"},
    {"certificate accessors", c_cert_accessors, 0,
     "mgw_cert_thumbprint mgw_cert_subject mgw_cert_issuer mgw_cert_serial mgw_cert_san "
     "mgw_cert_san_count mgw_cert_eku mgw_cert_eku_count mgw_cert_validity mgw_cert_key_info "
     "mgw_cert_check_key mgw_cert_check_issuer mgw_cert_is_ca"},
    {"mgw_csr_parse, mgw_csr_subject, mgw_cert_sign_csr", c_csr, 0,
     "mgw_csr_parse mgw_csr_subject mgw_csr_free mgw_cert_sign_csr"},
    {"mgw_key_load (encrypted PKCS#8)", c_key_load, 0,
     "mgw_key_new mgw_key_load mgw_key_type mgw_key_free"},
    {"mgw_key_generate (P-256) and mgw_key_export_public", c_key_generate, 0,
     "mgw_key_set_rng mgw_key_generate mgw_key_bits mgw_key_export_public"},
    {"mgw_pfx_parse and mgw_pfx_describe", c_pfx_parse, 0,
     "mgw_pfx_parse mgw_pfx_describe mgw_pfx_free"},
    {"PFX accessors", c_pfx_accessors, 0,
     "mgw_pfx_key mgw_pfx_cert mgw_pfx_extra_cert_count mgw_pfx_extra_cert "
     "mgw_pfx_friendly_name mgw_pfx_algorithm"},
    {"mgw_pfx_write with its options", c_pfx_write, 0,
     "mgw_pfxopts_new mgw_pfxopts_free mgw_pfxopts_set_iterations mgw_pfxopts_set_rng "
     "mgw_pfxopts_set_friendly_name mgw_pfxopts_set_csp_name mgw_pfxopts_set_key_spec "
     "mgw_pfxopts_set_machine_keyset mgw_pfxopts_set_local_key_id mgw_pfxopts_add_chain "
     "mgw_pfx_write"},
    {"mgw_pfx_convert (modern profile)", c_pfx_convert, 0, "mgw_pfx_convert mgw_pfxopts_set_profile"},
    {"mgw_cert_export and mgw_key_export_encrypted", c_exports, 0,
     "mgw_cert_export mgw_key_export_encrypted"},
    {"mgw_regstate_import (a failed second import keeps the state)", c_regstate_import, 0,
     "mgw_regstate_new mgw_regstate_free mgw_regstate_import"},
    {"mgw_regstate_export", c_regstate_export, 0, "mgw_regstate_export"},
    {"mgw_regplan_compute", c_regplan_compute, 0,
     "mgw_regopts_new mgw_regopts_free mgw_regopts_set_issuer_store mgw_regopts_set_client_cert "
     "mgw_regplan_compute mgw_regplan_free"},
    {"mgw_regplan_compute for an SNI binding, with every policy", c_regopts_sni, 0,
     "mgw_regopts_set_sni_binding mgw_regopts_set_trust_mode mgw_regopts_set_revocation_check "
     "mgw_regopts_set_disable_tls13 mgw_regopts_set_root_autoupdate"},
    {"mgw_regplan_compute for an IP binding; a CCS binding", c_regopts_binding, 0,
     "mgw_regopts_set_binding mgw_regopts_set_negotiate_client_cert mgw_regopts_set_ccs_binding"},
    {"mgw_regplan_load", c_regplan_load, 0, "mgw_regplan_load"},
    {"registry plan accessors", c_regplan_accessors, 0,
     "mgw_regplan_fingerprint mgw_regplan_change_count mgw_regplan_warning_count "
     "mgw_regplan_warning"},
    {"mgw_regplan_describe and mgw_regplan_reg_file", c_regplan_outputs, 0,
     "mgw_regplan_describe mgw_regplan_reg_file"},
    /* one allocation fails, so the restore after it never sees a failure:
     * MGW_ERR_REG_RESTORE (and MGW_ERR_IIS_RESTORE below) cannot be right */
    {"mgw_regplan_apply_file (restores the file)", c_regplan_apply_file, 0,
     "mgw_regplan_apply_file"},
    {"mgw_regplan_rollback_file (restores the file)", c_regplan_rollback_file, 0,
     "mgw_regplan_rollback_file"},
    {"mgw_rootopts_add_keep_file", c_keep_file, 0,
     "mgw_rootopts_new mgw_rootopts_free mgw_rootopts_add_keep_file mgw_rootopts_keep_count"},
    {"keep-list options", c_rootopts, 0,
     "mgw_rootopts_add_keep mgw_rootopts_allow_protected mgw_rootopts_set_remove_protected "
     "mgw_rootopts_set_allow_missing"},
    {"mgw_roots_protected", c_roots_protected, 0, "mgw_roots_protected mgw_roots_protected_count"},
    {"mgw_thumbprint_normalize, mgw_digest_hex", c_thumbprint, 0,
     "mgw_thumbprint_normalize mgw_digest_hex"},
    {"mgw_store_open_dir, mgw_rootplan_compute and its accessors", c_store_and_plan, 0,
     "mgw_store_open_dir mgw_store_free mgw_rootplan_compute mgw_rootplan_describe "
     "mgw_rootplan_free mgw_rootplan_count mgw_rootplan_entry mgw_rootplan_missing_count "
     "mgw_rootplan_missing mgw_rootplan_entry_physical"},
    {"directory store accessors", c_store_accessors, 0,
     "mgw_store_cert_count mgw_store_cert mgw_store_cert_physical mgw_store_other_count "
     "mgw_store_other mgw_store_cert_der mgw_store_cert_has_key"},
    {"mgw_store_add_cert and mgw_store_remove_cert (directory store)", c_store_add_remove, 0,
     "mgw_store_add_cert mgw_store_remove_cert"},
    {"mgw_roots_prune (backup first; store untouched on failure)", c_roots_prune,
     MGW_ERR_ROOTS_INCOMPLETE, "mgw_roots_prune"},
    {"mgw_roots_restore (one certificate)", c_roots_restore, MGW_ERR_ROOTS_INCOMPLETE,
     "mgw_roots_restore"},
    {"task XML with its options", c_task, 0,
     "mgw_taskopts_new mgw_taskopts_free mgw_taskopts_set_interval mgw_taskopts_set_time_limit "
     "mgw_taskopts_set_start mgw_taskopts_set_command mgw_taskopts_set_prune_command "
     "mgw_task_xml"},
    {"files: write, read, text, password, fileset", c_files, 0,
     "mgw_file_write mgw_file_sync_dir mgw_file_read mgw_text_file_read mgw_password_file_read "
     "mgw_password_generate mgw_fileset_new mgw_fileset_add mgw_fileset_commit mgw_fileset_free"},
    {"IIS: parse, describe, plan and its outputs", c_iis, 0,
     "mgw_iisconfig_parse mgw_iisconfig_describe mgw_iisconfig_free mgw_iisopts_new "
     "mgw_iisopts_free mgw_iisopts_set_site mgw_iisopts_add_binding mgw_iisopts_set_disable_tls13 "
     "mgw_iisopts_set_cert_in_handshake mgw_iisplan_compute mgw_iisplan_change_count "
     "mgw_iisplan_fingerprint mgw_iisplan_warning_count mgw_iisplan_warning "
     "mgw_iisplan_describe mgw_iisplan_output mgw_iisplan_free"},
    {"mgw_iisplan_load", c_iisplan_load, 0, "mgw_iisplan_load"},
    {"mgw_iisplan_apply_file and mgw_iisplan_rollback_file (restore the file)", c_iisplan_files, 0,
     "mgw_iisplan_apply_file mgw_iisplan_rollback_file"},
    {"gateway check against a closed port", c_check, 0,
     "mgw_checkopts_new mgw_checkopts_free mgw_checkopts_set_url mgw_checkopts_set_client "
     "mgw_checkopts_add_client_chain mgw_checkopts_set_cafile mgw_checkopts_set_insecure "
     "mgw_checkopts_set_expected_status mgw_checkopts_set_timeout_ms "
     "mgw_checkopts_set_connect_to mgw_checkopts_set_max_tls mgw_check_run mgw_checkres_free "
     "mgw_checkres_passed mgw_checkres_error mgw_checkres_status mgw_checkres_reason "
     "mgw_checkres_describe"},
    {"constants and error texts (no allocation)", c_constants, 0,
     "mgw_version mgw_version_number mgw_crypto_version mgw_strerror mgw_last_error "
     "mgw_default_iterations mgw_pfx_max_iterations mgw_reg_max_file_size "
     "mgw_iis_max_file_size mgw_check_max_tls"},
};

/* Exported functions no case drives, each with the reason. */
static const struct {
    const char *name, *why;
} exempt[] = {
    {"mgw_regstate_read_live", "Windows registry (advapi32): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_regplan_apply_live", "Windows registry (advapi32): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_regplan_rollback_live", "Windows registry (advapi32): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_store_open_system", "Windows system store (crypt32): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_store_import_pfx", "Windows system store only (PFXImportCertStore)"},
    {"mgw_task_install", "Windows Task Scheduler (COM): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_task_remove", "Windows Task Scheduler (COM): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_task_show", "Windows Task Scheduler (COM): MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_iis_live_path", "%windir% path: MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_iisplan_apply_live", "the machine's IIS configuration: MGW_ERR_NOT_AVAILABLE here"},
    {"mgw_iisplan_rollback_live", "the machine's IIS configuration: MGW_ERR_NOT_AVAILABLE here"},
};

/* The Windows-only functions say so, without allocating. */
static bool exempt_not_available(void)
{
    mgw_regstate_t *st = mgw_regstate_new();
    mgw_store_t *s = UNTOUCHED;
    char *text = UNTOUCHED;
    calls = 0;
    fail_at = 1L << 30;
    const int got[] = {
        mgw_regstate_read_live(st, NULL),
        mgw_regplan_apply_live(plan, backup, 0, NULL),
        mgw_regplan_rollback_live(plan, backup, 0, NULL),
        mgw_store_open_system("LocalMachine\\Root", &s),
        mgw_task_install("mgw", (const uint8_t *)"<x/>", 4, 0),
        mgw_task_remove("mgw"),
        mgw_task_show("mgw", &text),
        mgw_iis_live_path(&text),
        mgw_iisplan_apply_live(iis_plan, iis_backup, 0, NULL),
        mgw_iisplan_rollback_live(iis_plan, iis_backup, 0, NULL),
    };
    long made = calls;
    fail_at = -1;
    bool ok = s == UNTOUCHED && text == UNTOUCHED && made == 0;
    if (!ok)
        printf("# outputs written or allocations made (%ld)\n", made);
    for (size_t i = 0; i < sizeof(got) / sizeof(got[0]); i++)
        if (got[i] != MGW_ERR_NOT_AVAILABLE) {
            printf("# Windows-only function %zu: %d (%s)\n", i, got[i], mgw_strerror(got[i]));
            ok = false;
        }
    if (made != 0)
        printf("# the Windows-only functions made %ld allocations\n", made);
    mgw_store_t *ds = NULL;
    int r = mgw_store_open_dir(store_dir, &ds);
    if (r == MGW_OK)
        r = mgw_store_import_pfx(ds, pfx, pfx_len, "pw", 2, 0, NULL);
    if (r != MGW_ERR_NOT_AVAILABLE) {
        printf("# mgw_store_import_pfx on a directory store: %d (%s)\n", r, mgw_last_error());
        ok = false;
    }
    mgw_store_free(&ds);
    mgw_regstate_free(&st);
    return ok;
}

/* A temporary file (".NAME.PID-N.tmp", what an atomic write renames into
 * place) anywhere below `path`: its path in `found`. */
static bool temp_left(const char *path, char *found, size_t size)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    bool left = false;
    for (struct dirent *e; !left && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[400];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        size_t n = strlen(e->d_name);
        struct stat st;
        if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0) {
            snprintf(found, size, "%s", sub);
            left = true;
        } else if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            left = temp_left(sub, found, size);
        }
    }
    closedir(d);
    return left;
}

static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(list, name); p != NULL; p = strstr(p + 1, name))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* Every function of the symbol map is driven by a case or exempt with a
 * reason, and every name the cases give is exported (no stale entries). */
static bool complete(size_t n_cases)
{
    size_t n = 0;
    uint8_t *map = slurp(MGW_SOURCE "/src/libmgwauth.map", &n);
    if (map == NULL)
        return false;
    bool ok = true;
    size_t exported = 0, driven = 0;
    for (char *line = strtok((char *)map, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t len = strcspn(line, ";");
        if (strncmp(line, "mgw_", 4) != 0 || line[len] != ';')
            continue;
        line[len] = '\0';
        exported++;
        bool found = false;
        for (size_t i = 0; i < n_cases && !found; i++)
            found = listed(cases[i].drives, line);
        if (found)
            driven++;
        for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]) && !found; i++)
            found = strcmp(exempt[i].name, line) == 0;
        if (!found) {
            printf("# %s: exported, but neither driven by a case nor exempt\n", line);
            ok = false;
        }
    }
    free(map);
    printf("# %zu exported functions: %zu driven, %zu exempt\n", exported, driven,
           sizeof(exempt) / sizeof(exempt[0]));
    return ok && exported == driven + sizeof(exempt) / sizeof(exempt[0]);
}

int main(void)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);
    printf("1..%zu\n", n + 3);
    bool fixtures = make_fixtures() && make_more_fixtures();
    printf("%s 1 - fixtures made without failures\n", fixtures ? "ok" : "not ok");
    if (!fixtures) {
        printf("# %s\n", mgw_last_error());
        return 1;
    }
    bool whole = complete(n);
    printf("%s 2 - every exported function driven or exempt with a reason\n",
           whole ? "ok" : "not ok");
    bool na = exempt_not_available();
    printf("%s 3 - the exempt Windows-only functions: not available, no allocation\n",
           na ? "ok" : "not ok");
    if (!whole || !na)
        failures++;
    /* every allocation point in the plain and ASan builds; under valgrind,
     * which checks the same paths again and slowly, every fifth */
    long step = getenv("MGW_UNDER_VALGRIND") != NULL ? 5 : 1;
    for (size_t i = 0; i < n; i++) {
        /* MGW_ALLOC_ONLY=N: only the case of test N (when looking into one) */
        if (getenv("MGW_ALLOC_ONLY") != NULL && (size_t)atol(getenv("MGW_ALLOC_ONLY")) != i + 4)
            continue;
        int before = failures;
        long points = 0, survived = 0;
        /* the outputs without failures, which a run that worked around one must give */
        calls = 0;
        fail_at = -1;
        out_sig = 0xcbf29ce484222325ull;
        mgw_err_clear();
        int r0 = cases[i].run();
        CHECK(r0 == MGW_OK, "%s without failures: %d (%s)", cases[i].name, r0, mgw_last_error());
        uint64_t want_sig = out_sig;
        for (long at = 0;; at += step) {
            calls = 0;
            fail_at = at;
            out_sig = 0xcbf29ce484222325ull;
            mgw_err_clear();
            int r = cases[i].run();
            long made = calls;
            fail_at = -1;
            /* no temporary file is left anywhere in the fixtures' directory */
            char left[400];
            CHECK(!temp_left(dir, left, sizeof(left)), "%s, allocation %ld: %s left behind",
                  cases[i].name, at, left);
            if (made <= at) { /* nothing failed: the call made fewer allocations */
                CHECK(r == MGW_OK, "%s without failures: %d (%s)", cases[i].name, r,
                      mgw_last_error());
                CHECK(out_sig == want_sig, "%s: other outputs in a second run", cases[i].name);
                points = at;
                break;
            }
            if (r == CONSTRUCTOR_FAILED)
                continue;
            if (r == MGW_OK) {
                survived++; /* a failure the code works around (an index it can do without) */
                CHECK(out_sig == want_sig, "%s, allocation %ld failing: worked around, but other "
                      "outputs than without failures", cases[i].name, at);
                continue;
            }
            CHECK(r == MGW_ERR_NO_MEMORY || (cases[i].other != 0 && r == cases[i].other),
                  "%s, allocation %ld failing: %d (%s)", cases[i].name, at, r, mgw_last_error());
            CHECK(mgw_last_error()[0] != '\0', "%s, allocation %ld: no message", cases[i].name,
                  at);
            if (failures - before > 5)
                break;
        }
        printf("%s %zu - %s: %ld allocation points%s\n", failures == before ? "ok" : "not ok",
               i + 4, cases[i].name, points, survived > 0 ? " (some failures worked around)" : "");
    }
    free_more_fixtures();
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
