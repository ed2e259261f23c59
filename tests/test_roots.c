/* Suite "roots": the directory store, the planner, verified backups, prune
 * with injected failures, restore, and the scheduled task's XML. */
#include "roots/roots.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOZILLA_DIR "/usr/share/ca-certificates/mozilla"

/* ---- helpers ------------------------------------------------------------------- */

static mgw_key_t *shared_key(void)
{
    mgw_key_t *k = mgw_key_new();
    ck_assert_int_eq(mgw_key_generate(k, MGW_KEY_P256), MGW_OK);
    return k;
}

/* A self-signed certificate for `cn`, as DER or PEM. */
static uint8_t *make_cert(mgw_key_t *k, const char *cn, int format, size_t *len)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "CN=%s", cn);
    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(o, subject), MGW_OK);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    uint8_t *out = NULL;
    ck_assert_int_eq(mgw_cert_export(c, format, &out, len), MGW_OK);
    mgw_cert_free(&c);
    mgw_certopts_free(&o);
    return out;
}

static char *sha1_of(const uint8_t *der, size_t len)
{
    mgw_cert_t *c = NULL;
    char *tp = NULL;
    ck_assert_int_eq(mgw_cert_parse(der, len, &c), MGW_OK);
    ck_assert_int_eq(mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &tp), MGW_OK);
    mgw_cert_free(&c);
    return tp;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
    char *p = path_in(dir, name);
    test_write(p, data, len);
    free(p);
}

static bool exists_in(const char *dir, const char *name)
{
    char *p = path_in(dir, name);
    struct stat st;
    bool e = lstat(p, &st) == 0;
    free(p);
    return e;
}

/* A store directory with `n` certificates "cert-0.cer" ... (DER); their
 * thumbprints go to tp[] (mgw_free). */
static char *make_store(mgw_key_t *k, size_t n, char **tp)
{
    char *dir = test_tmpdir();
    for (size_t i = 0; i < n; i++) {
        char name[32];
        size_t len;
        snprintf(name, sizeof(name), "cert-%zu", i);
        uint8_t *der = make_cert(k, name, MGW_FORMAT_DER, &len);
        strcat(name, ".cer");
        put_file(dir, name, der, len);
        if (tp != NULL)
            tp[i] = sha1_of(der, len);
        mgw_free(der);
    }
    return dir;
}

static mgw_store_t *open_store(const char *dir)
{
    mgw_store_t *s = NULL;
    ck_assert_msg(mgw_store_open_dir(dir, &s) == MGW_OK, "%s", mgw_last_error());
    return s;
}

static mgw_rootopts_t *keep_opts(const char *const *keep, size_t n)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(mgw_rootopts_add_keep(o, keep[i]), MGW_OK);
    return o;
}

/* Events of prune and restore, recorded. */
typedef struct {
    int event[512];
    char tp[512][41];
    char detail[512];
    size_t n;
} events;

static void record(void *ctx, int event, const char *thumbprint, const char *subject,
                   const char *origin, const char *detail)
{
    events *ev = ctx;
    ck_assert_ptr_nonnull(subject);
    ck_assert_ptr_nonnull(origin);
    ck_assert_uint_lt(ev->n, 512);
    ev->event[ev->n] = event;
    snprintf(ev->tp[ev->n], sizeof(ev->tp[0]), "%s", thumbprint);
    if (detail != NULL)
        snprintf(ev->detail, sizeof(ev->detail), "%s", detail);
    ev->n++;
}

static size_t count_events(const events *ev, int event)
{
    size_t n = 0;
    for (size_t i = 0; i < ev->n; i++)
        n += ev->event[i] == event;
    return n;
}

/* Fail the `nth` call at `point` (0-based) with MGW_ERR_IO. */
typedef struct {
    const char *point;
    size_t nth;
} fault;

static int inject(void *ctx, const char *point, size_t nth)
{
    const fault *f = ctx;
    return strcmp(point, f->point) == 0 && nth == f->nth ? MGW_ERR_IO : MGW_OK;
}

/* Where `origin` is in the store's listing. */
static size_t index_of(const mgw_store_t *s, const char *origin)
{
    for (size_t i = 0; i < s->list.n; i++)
        if (strcmp(s->list.items[i].origin, origin) == 0)
            return i;
    ck_abort_msg("%s is not listed", origin);
    return 0;
}

/* A backup path next to a test directory: /tmp/mgwtest.XXXXXX.pem.gz. */
static char *backup_beside(const char *dir)
{
    char *p = malloc(strlen(dir) + 8);
    sprintf(p, "%s.pem.gz", dir);
    return p;
}

/* A store of n certificates cert-<i>.cer, opened and planned with cert-<keep>
 * on the keep-list; the backup goes next to the store directory. */
typedef struct {
    mgw_key_t *k;
    char *dir, *backup, *tp[8];
    size_t n;
    mgw_store_t *s;
    mgw_rootopts_t *o;
    mgw_rootplan_t *p;
} fixture;

static void fixture_open(fixture *f, size_t n, size_t keep)
{
    memset(f, 0, sizeof(*f));
    f->k = shared_key();
    f->n = n;
    f->dir = make_store(f->k, n, f->tp);
    f->backup = backup_beside(f->dir);
    f->s = open_store(f->dir);
    const char *kept[1] = {f->tp[keep]};
    f->o = keep_opts(kept, 1);
    ck_assert_int_eq(mgw_rootplan_compute(f->s, f->o, &f->p), MGW_OK);
}

static void fixture_close(fixture *f)
{
    unlink(f->backup);
    mgw_rootplan_free(&f->p);
    mgw_rootopts_free(&f->o);
    mgw_store_free(&f->s);
    for (size_t i = 0; i < f->n; i++)
        mgw_free(f->tp[i]);
    mgw_key_free(&f->k);
    free(f->backup);
    test_rmtree(f->dir);
    free(f->dir);
}

/* ---- the directory store --------------------------------------------------------- */

START_TEST(directory_store_lists_certificates_and_reports_everything_else)
{
    mgw_key_t *k = shared_key();
    char *dir = test_tmpdir();
    size_t len, len2;
    uint8_t *der = make_cert(k, "der one", MGW_FORMAT_DER, &len);
    put_file(dir, "one.CER", der, len);
    uint8_t *pem = make_cert(k, "pem two", MGW_FORMAT_PEM, &len2);
    put_file(dir, "two.pem", pem, len2);
    /* text around the PEM block, as `openssl x509 -text` leaves it */
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "subject=CN = pem two\r\nissuer=CN = pem two\r\n");
    mgw_dbuf_put(&b, pem, len2);
    put_file(dir, "three.crt", b.p, b.len);
    /* a key next to the certificate: never a store entry */
    mgw_dbuf_puts(&b, "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n");
    put_file(dir, "with-key.pem", b.p, b.len);
    mgw_dbuf_free(&b);
    mgw_dbuf_init(&b);
    mgw_dbuf_put(&b, pem, len2);
    mgw_dbuf_put(&b, pem, len2);
    put_file(dir, "bundle.pem", b.p, b.len);
    mgw_dbuf_free(&b);
    put_file(dir, "README.txt", "hello\n", 6);
    put_file(dir, ".hidden.cer", der, len);
    put_file(dir, "garbage.der", "\x30\x81\x03\x02\x01\x01", 6);
    put_file(dir, "empty.crt", "", 0);
    put_file(dir, "blank.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", 54);
    ck_assert_int_eq(test_sh("mkdir '%s/sub.cer' && ln -s one.CER '%s/link.cer'", dir, dir), 0);
    ck_assert_int_eq(test_sh("truncate -s 2M '%s/huge.crt'", dir), 0);

    mgw_store_t *s = open_store(dir);
    ck_assert_uint_eq(mgw_store_cert_count(s), 3);
    char *tp, *subject, *origin;
    ck_assert_int_eq(mgw_store_cert(s, 0, &tp, &subject, &origin), MGW_OK);
    ck_assert_str_eq(origin, "one.CER"); /* ordered by origin */
    ck_assert_str_eq(subject, "CN=der one");
    char *want = sha1_of(der, len);
    ck_assert_str_eq(tp, want);
    mgw_free(want);
    mgw_free(tp);
    mgw_free(subject);
    mgw_free(origin);
    ck_assert_int_eq(mgw_store_cert(s, 2, NULL, NULL, &origin), MGW_OK);
    ck_assert_str_eq(origin, "two.pem");
    mgw_free(origin);
    ck_assert_int_eq(mgw_store_cert(s, 3, NULL, NULL, &origin), MGW_ERR_INVALID_ARGUMENT);

    static const char *const others[][2] = {
        {".hidden.cer", "hidden file"},         {"README.txt", "not a certificate file name"},
        {"blank.pem", "the CERTIFICATE block is empty"},
        {"bundle.pem", "holds 2 PEM blocks"},   {"empty.crt", "no BEGIN line"},
        {"garbage.der", "certificate"},         {"huge.crt", "larger than 1 MiB"},
        {"link.cer", "symbolic link"},          {"sub.cer", "directory"},
        {"with-key.pem", "holds 2 PEM blocks"},
    };
    ck_assert_uint_eq(mgw_store_other_count(s), sizeof(others) / sizeof(others[0]));
    for (size_t i = 0; i < mgw_store_other_count(s); i++) {
        char *name, *reason;
        ck_assert_int_eq(mgw_store_other(s, i, &name, &reason), MGW_OK);
        ck_assert_str_eq(name, others[i][0]);
        ck_assert_msg(strstr(reason, others[i][1]) != NULL, "%s: %s", name, reason);
        mgw_free(name);
        mgw_free(reason);
    }
    mgw_store_free(&s);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(mgw_store_open_dir("/nonexistent/store", &s), MGW_ERR_NOT_FOUND);
    char *file = path_in(dir, "README.txt");
    ck_assert_int_eq(mgw_store_open_dir(file, &s), MGW_ERR_INVALID_ARGUMENT);
    free(file);
    mgw_free(der);
    mgw_free(pem);
    mgw_key_free(&k);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(store_adds_sha1_cer_and_removes_only_what_it_listed)
{
    fixture f;
    fixture_open(&f, 3, 0);
    mgw_store_t *s = f.s;
    const char *dir = f.dir;
    size_t len;
    uint8_t *der = make_cert(f.k, "added", MGW_FORMAT_DER, &len);
    char *added = sha1_of(der, len);
    mgw_store_item item;
    memset(&item, 0, sizeof(item));
    ck_assert_int_eq(mgw_store_item_from_der(der, len, "x", &item), MGW_OK);
    size_t at;
    ck_assert_int_eq(mgw_store_add(s, der, len, item.sha1, &at), MGW_OK);
    char name[48];
    snprintf(name, sizeof(name), "%s.cer", added);
    ck_assert(exists_in(dir, name));
    ck_assert_str_eq(s->list.items[at].origin, name);
    /* the file is the DER, written whole */
    char *p = path_in(dir, name);
    size_t got;
    uint8_t *back = test_read(p, &got);
    ck_assert_uint_eq(got, len);
    ck_assert_int_eq(memcmp(back, der, len), 0);
    free(back);
    free(p);
    /* adding it again: the file exists, nothing is replaced */
    ck_assert_int_eq(mgw_store_add(s, der, len, item.sha1, &at), MGW_ERR_EXISTS);
    mgw_store_compact(s);
    ck_assert_uint_eq(mgw_store_cert_count(s), 4);

    /* cert-1.cer is replaced behind the store's back: its removal is refused */
    size_t len1;
    uint8_t *other = make_cert(f.k, "impostor", MGW_FORMAT_DER, &len1);
    put_file(dir, "cert-1.cer", other, len1);
    ck_assert_int_eq(mgw_store_remove(s, index_of(s, "cert-1.cer")), MGW_ERR_STORE_CHANGED);
    ck_assert(exists_in(dir, "cert-1.cer"));
    char *p0 = path_in(dir, "cert-0.cer");
    ck_assert_int_eq(unlink(p0), 0);
    free(p0);
    ck_assert_int_eq(mgw_store_remove(s, index_of(s, "cert-0.cer")), MGW_ERR_STORE_CHANGED);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "vanished"));
    size_t i2 = index_of(s, "cert-2.cer");
    ck_assert_int_eq(mgw_store_remove(s, i2), MGW_OK);
    ck_assert(!exists_in(dir, "cert-2.cer"));
    ck_assert_int_eq(mgw_store_remove(s, i2), MGW_ERR_STORE_CHANGED); /* removed already */
    mgw_store_compact(s);
    ck_assert_uint_eq(mgw_store_cert_count(s), 3);
    mgw_store_item_clear(&item);
    mgw_free(der);
    mgw_free(other);
    mgw_free(added);
    fixture_close(&f);
}
END_TEST

/* ---- the planner ----------------------------------------------------------------- */

typedef struct {
    mgw_store_item items[6];
    char hex[6][41];
} item_set;

static void make_items(mgw_key_t *k, item_set *is)
{
    for (int i = 0; i < 6; i++) {
        char cn[16], origin[16];
        size_t len;
        snprintf(cn, sizeof(cn), "item %d", i);
        snprintf(origin, sizeof(origin), "f%d.cer", i);
        uint8_t *der = make_cert(k, cn, MGW_FORMAT_DER, &len);
        ck_assert_int_eq(mgw_store_item_from_der(der, len, origin, &is->items[i]), MGW_OK);
        mgw_hex_upper(is->items[i].sha1, 20, is->hex[i]);
        mgw_free(der);
    }
}

/* The override without the built-in table's check (the stand-ins are not
 * Windows roots). */
static void allow_for_test(mgw_rootopts_t *o, const char *hex)
{
    o->allow = realloc(o->allow, (o->n_allow + 1) * sizeof(*o->allow));
    ck_assert_int_eq(mgw_thumb_parse(hex, strlen(hex), &o->allow[o->n_allow]), MGW_OK);
    o->cap_allow = ++o->n_allow;
}

static void free_items(item_set *is)
{
    for (int i = 0; i < 6; i++)
        mgw_store_item_clear(&is->items[i]);
}

START_TEST(planner_keeps_listed_protects_windows_roots_and_removes_the_rest)
{
    mgw_key_t *k = shared_key();
    item_set is;
    make_items(k, &is);
    /* items 2 and 3 stand in for Windows roots; 3 is also on the keep-list */
    const mgw_protected_root prot[2] = {{is.hex[2], "Stand-in Root A"},
                                        {is.hex[3], "Stand-in Root B"}};
    const char *keep[2] = {is.hex[0], is.hex[3]};
    mgw_rootopts_t *o = keep_opts(keep, 2);
    mgw_rootplan_t *p = NULL;
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, prot, 2, &p), MGW_OK);
    int want[6] = {MGW_ROOT_KEEP, MGW_ROOT_REMOVE, MGW_ROOT_PROTECTED,
                   MGW_ROOT_KEEP, MGW_ROOT_REMOVE, MGW_ROOT_REMOVE};
    for (size_t i = 0; i < 6; i++) {
        int action;
        char *tp;
        ck_assert_int_eq(mgw_rootplan_entry(p, i, &action, &tp, NULL), MGW_OK);
        ck_assert_int_eq(action, want[i]);
        ck_assert_str_eq(tp, is.hex[i]);
        mgw_free(tp);
    }
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_KEEP), 2);
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_PROTECTED), 1);
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_REMOVE), 3);
    ck_assert_uint_eq(mgw_rootplan_count(p, 0), 6);
    ck_assert_int_eq(p->rows[2].prot, 0);
    mgw_rootplan_free(&p);

    /* the override is explicit: one root by thumbprint ... */
    allow_for_test(o, is.hex[2]);
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, prot, 2, &p), MGW_OK);
    ck_assert_int_eq(p->rows[2].action, MGW_ROOT_REMOVE);
    ck_assert_int_eq(p->rows[2].prot, 0); /* still named in the plan */
    ck_assert_int_eq(p->rows[3].action, MGW_ROOT_KEEP);
    mgw_rootplan_free(&p);
    /* ... or all of them; the keep-list still wins */
    o->n_allow = 0;
    mgw_rootopts_set_remove_protected(o, 1);
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, prot, 2, &p), MGW_OK);
    ck_assert_int_eq(p->rows[2].action, MGW_ROOT_REMOVE);
    ck_assert_int_eq(p->rows[3].action, MGW_ROOT_KEEP);
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_PROTECTED), 0);
    mgw_rootplan_free(&p);
    mgw_rootopts_free(&o);
    free_items(&is);
    mgw_key_free(&k);
}
END_TEST

START_TEST(planner_refuses_empty_missing_and_keep_nothing_plans)
{
    mgw_key_t *k = shared_key();
    item_set is;
    make_items(k, &is);
    mgw_rootopts_t *o = mgw_rootopts_new();
    mgw_rootplan_t *p = NULL;
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, NULL, 0, &p), MGW_ERR_ROOTS_KEEP_EMPTY);
    ck_assert_ptr_null(p);
    /* a typo: one digit off from item 1 */
    char typo[41];
    memcpy(typo, is.hex[1], 41);
    typo[39] = typo[39] == '0' ? '1' : '0';
    const char *keep[3] = {is.hex[0], typo, typo};
    mgw_rootopts_free(&o);
    o = keep_opts(keep, 3);
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, NULL, 0, &p), MGW_ERR_ROOTS_KEEP_MISSING);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), typo));
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "1 keep-list thumbprint is not in the store"));
    mgw_rootopts_set_allow_missing(o, 1);
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, NULL, 0, &p), MGW_OK);
    ck_assert_uint_eq(mgw_rootplan_missing_count(p), 1);
    char *m;
    ck_assert_int_eq(mgw_rootplan_missing(p, 0, &m), MGW_OK);
    ck_assert_str_eq(m, typo);
    mgw_free(m);
    mgw_rootplan_free(&p);
    /* every keep-list entry missing: the plan would keep nothing */
    const char *only_typo[1] = {typo};
    mgw_rootopts_free(&o);
    o = keep_opts(only_typo, 1);
    mgw_rootopts_set_allow_missing(o, 1);
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, NULL, 0, &p), MGW_ERR_ROOTS_KEEPS_NOTHING);
    ck_assert_int_eq(mgw_rootplan_build(is.items, 0, o, NULL, 0, &p), MGW_ERR_ROOTS_KEEPS_NOTHING);
    /* ... unless a protected root stays */
    const mgw_protected_root prot[1] = {{is.hex[5], "Stand-in"}};
    ck_assert_int_eq(mgw_rootplan_build(is.items, 6, o, prot, 1, &p), MGW_OK);
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_PROTECTED), 1);
    mgw_rootplan_free(&p);
    mgw_rootopts_free(&o);
    free_items(&is);
    mgw_key_free(&k);
}
END_TEST

START_TEST(sha256_keep_entries_match_and_describe_shows_everything)
{
    fixture f;
    fixture_open(&f, 3, 0);
    put_file(f.dir, "notes.txt", "x", 1);
    mgw_store_free(&f.s);
    f.s = open_store(f.dir); /* listed again, with the note */
    char *const *tp = f.tp;
    /* cert-2 by its SHA-256, pasted in lower case with colons */
    mgw_cert_t *c = NULL;
    char *p2 = path_in(f.dir, "cert-2.cer"), *t256 = NULL;
    size_t len;
    uint8_t *der = test_read(p2, &len);
    ck_assert_int_eq(mgw_cert_parse(der, len, &c), MGW_OK);
    ck_assert_int_eq(mgw_cert_thumbprint(c, MGW_DIGEST_SHA256, &t256), MGW_OK);
    char pasted[128] = "";
    for (size_t i = 0; i < 64; i += 2) {
        char pair[4] = {(char)(t256[i] | 0x20), (char)(t256[i + 1] | 0x20), ':', 0};
        strcat(pasted, pair);
    }
    const char *keep[2] = {tp[0], pasted};
    mgw_rootopts_t *o = keep_opts(keep, 2);
    mgw_rootplan_t *p = NULL;
    ck_assert_int_eq(mgw_rootplan_compute(f.s, o, &p), MGW_OK);
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_KEEP), 2);
    ck_assert_uint_eq(mgw_rootplan_count(p, MGW_ROOT_REMOVE), 1);
    char *text = NULL, *json = NULL;
    ck_assert_int_eq(mgw_rootplan_describe(p, MGW_DESCRIBE_TEXT, &text), MGW_OK);
    ck_assert_ptr_nonnull(strstr(text, "3 certificates, 1 other entry"));
    ck_assert_ptr_nonnull(strstr(text, "plan: keep 2, protected 0, remove 1"));
    char line[160];
    snprintf(line, sizeof(line), "remove     %s  CN=cert-1  [cert-1.cer]", tp[1]);
    ck_assert_ptr_nonnull(strstr(text, line));
    ck_assert_ptr_nonnull(strstr(text, "other      notes.txt: not a certificate file name"));
    ck_assert_int_eq(mgw_rootplan_describe(p, MGW_DESCRIBE_JSON, &json), MGW_OK);
    ck_assert_ptr_nonnull(strstr(json, "\"counts\":{\"keep\":2,\"protected\":0,\"remove\":1,"
                                       "\"other\":1,\"missing\":0,\"policy\":0}"));
    snprintf(line, sizeof(line),
             "{\"action\":\"remove\",\"sha1\":\"%s\",\"subject\":\"CN=cert-1\","
             "\"origin\":\"cert-1.cer\"}",
             tp[1]);
    ck_assert_ptr_nonnull(strstr(json, line));
    ck_assert_int_eq(mgw_rootplan_describe(p, 9, &text), MGW_ERR_INVALID_ARGUMENT);
    mgw_free(text);
    mgw_free(json);
    mgw_rootplan_free(&p);
    mgw_rootopts_free(&o);
    mgw_cert_free(&c);
    mgw_free(t256);
    free(der);
    free(p2);
    fixture_close(&f);
}
END_TEST

/* ---- prune ----------------------------------------------------------------------- */

/* A directory store stands for the physical stores of a Windows logical
 * store with subdirectories of their names: what .GroupPolicy or .Enterprise
 * hold is reported with where it sits and never removed. */
START_TEST(policy_certificates_in_physical_subdirectories_are_reported_and_kept)
{
    fixture f;
    fixture_open(&f, 3, 0);
    char *gp = path_in(f.dir, ".GroupPolicy"), *ent = path_in(f.dir, ".Enterprise");
    char *other = path_in(f.dir, ".Other");
    ck_assert_int_eq(mkdir(gp, 0700), 0);
    ck_assert_int_eq(mkdir(ent, 0700), 0);
    ck_assert_int_eq(mkdir(other, 0700), 0);
    size_t len1, len_e;
    /* cert-1 also in .GroupPolicy (its top-level copy is policy's too);
     * a new one only in .Enterprise; .Other is no physical store */
    char *p1 = path_in(f.dir, "cert-1.cer");
    uint8_t *der1 = test_read(p1, &len1);
    free(p1);
    put_file(gp, "copy.cer", der1, len1);
    uint8_t *der_e = make_cert(f.k, "enterprise", MGW_FORMAT_PEM, &len_e);
    put_file(ent, "e.pem", der_e, len_e);
    put_file(other, "x.cer", der1, len1);
    mgw_store_free(&f.s);
    f.s = open_store(f.dir);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 5);
    char *where = NULL;
    ck_assert_int_eq(mgw_store_cert_physical(f.s, index_of(f.s, ".GroupPolicy/copy.cer"), &where),
                     MGW_OK);
    ck_assert_str_eq(where, ".GroupPolicy");
    mgw_free(where);
    ck_assert_int_eq(mgw_store_cert_physical(f.s, index_of(f.s, "cert-1.cer"), &where), MGW_OK);
    ck_assert_str_eq(where, ".GroupPolicy");
    mgw_free(where);
    ck_assert_int_eq(mgw_store_cert_physical(f.s, index_of(f.s, "cert-2.cer"), &where), MGW_OK);
    ck_assert_str_eq(where, "");
    mgw_free(where);
    ck_assert_int_eq(mgw_store_cert_physical(f.s, index_of(f.s, ".Enterprise/e.pem"), &where),
                     MGW_OK);
    ck_assert_str_eq(where, ".Enterprise");
    mgw_free(where);
    ck_assert_uint_eq(mgw_store_other_count(f.s), 1); /* .Other: a hidden directory */

    mgw_rootplan_free(&f.p);
    ck_assert_int_eq(mgw_rootplan_compute(f.s, f.o, &f.p), MGW_OK);
    ck_assert_uint_eq(mgw_rootplan_count(f.p, MGW_ROOT_KEEP), 1);
    ck_assert_uint_eq(mgw_rootplan_count(f.p, MGW_ROOT_POLICY), 3);
    ck_assert_uint_eq(mgw_rootplan_count(f.p, MGW_ROOT_REMOVE), 1);
    for (size_t i = 0; i < mgw_rootplan_count(f.p, 0); i++) {
        int action = 0;
        char *tp = NULL;
        ck_assert_int_eq(mgw_rootplan_entry(f.p, i, &action, &tp, NULL), MGW_OK);
        ck_assert_int_eq(mgw_rootplan_entry_physical(f.p, i, &where), MGW_OK);
        if (strcmp(tp, f.tp[1]) == 0)
            ck_assert_str_eq(where, ".GroupPolicy");
        ck_assert_int_eq(action == MGW_ROOT_POLICY, where[0] != '\0');
        mgw_free(where);
        mgw_free(tp);
    }
    ck_assert_int_eq(mgw_rootplan_entry_physical(f.p, 99, &where), MGW_ERR_INVALID_ARGUMENT);
    char *text = NULL, *json = NULL;
    ck_assert_int_eq(mgw_rootplan_describe(f.p, MGW_DESCRIBE_TEXT, &text), MGW_OK);
    ck_assert_ptr_nonnull(strstr(text, "plan: keep 1, protected 0, remove 1, policy 3\n"));
    char line[300];
    snprintf(line, sizeof(line),
             "policy     %s  CN=cert-1  [.GroupPolicy/copy.cer]  in .GroupPolicy  (put there by "
             "Group Policy or the enterprise store: not removed, policy puts it back)\n",
             f.tp[1]);
    ck_assert_msg(strstr(text, line) != NULL, "%s", text);
    ck_assert_int_eq(mgw_rootplan_describe(f.p, MGW_DESCRIBE_JSON, &json), MGW_OK);
    snprintf(line, sizeof(line),
             "{\"action\":\"policy\",\"sha1\":\"%s\",\"subject\":\"CN=cert-1\","
             "\"origin\":\"cert-1.cer\",\"physical\":\".GroupPolicy\",\"reason\":\"put "
             "there by Group Policy or the enterprise store: policy puts it back\"}",
             f.tp[1]);
    ck_assert_msg(strstr(json, line) != NULL, "%s", json);
    ck_assert_ptr_nonnull(strstr(json, "\"policy\":3}"));

    /* the prune removes cert-2 only; the policy copies stay where they are */
    events ev = {0};
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, record, &ev), MGW_OK);
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_REMOVED), 1);
    ck_assert_str_eq(ev.tp[0], f.tp[2]);
    ck_assert(exists_in(f.dir, "cert-1.cer") && !exists_in(f.dir, "cert-2.cer"));
    ck_assert(exists_in(gp, "copy.cer") && exists_in(ent, "e.pem"));

    mgw_free(text);
    mgw_free(json);
    free(der1);
    mgw_free(der_e);
    free(gp);
    free(ent);
    free(other);
    fixture_close(&f);
}
END_TEST

START_TEST(prune_backs_up_verifies_and_then_removes)
{
    fixture f;
    fixture_open(&f, 4, 3);
    events ev = {0};
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, record, &ev), MGW_OK);
    ck_assert_str_eq(mgw_last_error(), "");
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_REMOVED), 3);
    ck_assert_uint_eq(ev.n, 3);
    ck_assert(!exists_in(f.dir, "cert-0.cer") && exists_in(f.dir, "cert-3.cer"));
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 1);
    /* the backup: gzip, a header per certificate, PEM that parses */
    size_t gzlen;
    uint8_t *gz = test_read(f.backup, &gzlen);
    ck_assert_uint_gt(gzlen, 2);
    ck_assert_int_eq(gz[0], 0x1F);
    ck_assert_int_eq(gz[1], 0x8B);
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    ck_assert_int_eq(mgw_gunzip(gz, gzlen, 1u << 20, &text), MGW_OK);
    mgw_dbuf_putc(&text, 0);
    for (int i = 0; i < 3; i++) {
        char hdr[200];
        snprintf(hdr, sizeof(hdr),
                 "# subject: CN=cert-%d\n# sha1: %s\n# from: %s/cert-%d.cer\n"
                 "# format: DER\n-----BEGIN CERTIFICATE-----\n",
                 i, f.tp[i], f.dir, i);
        ck_assert_msg(strstr((char *)text.p, hdr) != NULL, "%s", text.p);
    }
    ck_assert_ptr_nonnull(strstr((char *)text.p, "# certificates: 3\n"));
    mgw_dbuf_free(&text);
    free(gz);
    /* the plan is spent: the store changed */
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, MGW_FILE_FORCE, NULL, NULL),
                     MGW_ERR_STORE_CHANGED);
    mgw_rootplan_free(&f.p);
    /* a plan that removes nothing does nothing, and writes no backup */
    ck_assert_int_eq(mgw_rootplan_compute(f.s, f.o, &f.p), MGW_OK);
    ck_assert_int_eq(unlink(f.backup), 0);
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, record, &ev), MGW_OK);
    ck_assert_int_eq(access(f.backup, F_OK), -1);
    fixture_close(&f);
}
END_TEST

START_TEST(backup_is_never_overwritten_without_force)
{
    fixture f;
    fixture_open(&f, 2, 1);
    test_write(f.backup, "precious", 8);
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, NULL, NULL), MGW_ERR_EXISTS);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "backup: "));
    ck_assert(exists_in(f.dir, "cert-0.cer"));
    size_t n;
    uint8_t *old = test_read(f.backup, &n);
    ck_assert_uint_eq(n, 8);
    free(old);
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, MGW_FILE_FORCE, NULL, NULL), MGW_OK);
    ck_assert(!exists_in(f.dir, "cert-0.cer"));
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0x80, NULL, NULL),
                     MGW_ERR_INVALID_ARGUMENT);
    fixture_close(&f);
}
END_TEST

static int truncate_backup(void *ctx, const char *point, size_t nth)
{
    (void)nth;
    if (strcmp(point, "backup-written") == 0)
        ck_assert_int_eq(truncate((const char *)ctx, 100), 0);
    return MGW_OK;
}

START_TEST(a_backup_that_does_not_read_back_stops_everything)
{
    fixture f;
    fixture_open(&f, 3, 0);
    mgw_store_set_fault(f.s, truncate_backup, f.backup);
    events ev = {0};
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, record, &ev), MGW_ERR_ROOTS_BACKUP);
    ck_assert_ptr_nonnull(
        strstr(mgw_last_error(), "the backup does not verify, nothing was removed"));
    ck_assert_uint_eq(ev.n, 0);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 3);
    ck_assert(exists_in(f.dir, "cert-1.cer") && exists_in(f.dir, "cert-2.cer"));
    fixture_close(&f);
}
END_TEST

/* Debian's CA bundle plus our own certificate, in a fresh directory. */
static char *mozilla_store(mgw_key_t *k, char **ours)
{
    char *dir = test_tmpdir();
    ck_assert_int_eq(test_sh("cp " MOZILLA_DIR "/*.crt '%s'/", dir), 0);
    size_t len;
    uint8_t *der = make_cert(k, "imagoverum.com", MGW_FORMAT_DER, &len);
    put_file(dir, "Certificate.cer", der, len);
    *ours = sha1_of(der, len);
    mgw_free(der);
    return dir;
}

START_TEST(injected_failure_mid_prune_leaves_a_complete_backup_and_an_exact_account)
{
    mgw_key_t *k = shared_key();
    char *ours;
    char *dir = mozilla_store(k, &ours);
    char *backup = backup_beside(dir);
    mgw_store_t *s = open_store(dir);
    size_t total = mgw_store_cert_count(s);
    ck_assert_uint_gt(total, 100);
    ck_assert_uint_eq(mgw_store_other_count(s), 0); /* every Mozilla root parses */
    const char *keep[1] = {ours};
    mgw_rootopts_t *o = keep_opts(keep, 1);
    mgw_rootplan_t *p = NULL;
    ck_assert_int_eq(mgw_rootplan_compute(s, o, &p), MGW_OK);
    size_t n_remove = mgw_rootplan_count(p, MGW_ROOT_REMOVE);
    ck_assert_uint_eq(n_remove, total - 1);
    fault f = {"remove", 57};
    mgw_store_set_fault(s, inject, &f);
    events ev = {0};
    ck_assert_int_eq(mgw_roots_prune(s, p, backup, 0, record, &ev), MGW_ERR_ROOTS_INCOMPLETE);
    char want[128];
    snprintf(want, sizeof(want), "removed 57 of %zu certificates, %zu not removed (all %zu are in",
             n_remove, n_remove - 57, n_remove);
    ck_assert_msg(strstr(mgw_last_error(), want) != NULL, "%s", mgw_last_error());
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "injected failure at remove #58"));
    /* the account: 57 removed, the 58th failed, the rest not removed, in plan order */
    ck_assert_uint_eq(ev.n, n_remove);
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_REMOVED), 57);
    ck_assert_int_eq(ev.event[57], MGW_ROOTS_FAILED);
    ck_assert_ptr_nonnull(strstr(ev.detail, "injected failure"));
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_NOT_REMOVED), n_remove - 58);
    /* the store holds exactly what the account says */
    ck_assert_uint_eq(mgw_store_cert_count(s), total - 57);
    mgw_store_t *again = open_store(dir);
    ck_assert_uint_eq(mgw_store_cert_count(again), total - 57);
    for (size_t i = 0; i < ev.n; i++) {
        bool present = false;
        for (size_t j = 0; j < mgw_store_cert_count(again) && !present; j++) {
            char *tp;
            mgw_store_cert(again, j, &tp, NULL, NULL);
            present = strcmp(tp, ev.tp[i]) == 0;
            mgw_free(tp);
        }
        ck_assert_msg(present == (ev.event[i] != MGW_ROOTS_REMOVED), "event %zu", i);
    }
    mgw_store_free(&again);
    /* all of it is in the backup, and restore brings it back */
    mgw_store_listing back;
    memset(&back, 0, sizeof(back));
    ck_assert_int_eq(mgw_backup_load(backup, &back), MGW_OK);
    ck_assert_uint_eq(back.n, n_remove);
    mgw_store_listing_free(&back);
    mgw_store_set_fault(s, NULL, NULL);
    events ev2 = {0};
    ck_assert_int_eq(mgw_roots_restore(s, backup, NULL, 0, record, &ev2), MGW_OK);
    ck_assert_uint_eq(count_events(&ev2, MGW_ROOTS_ADDED), 57);
    ck_assert_uint_eq(count_events(&ev2, MGW_ROOTS_PRESENT), n_remove - 57);
    ck_assert_uint_eq(mgw_store_cert_count(s), total);
    unlink(backup);
    mgw_rootplan_free(&p);
    mgw_rootopts_free(&o);
    mgw_store_free(&s);
    mgw_free(ours);
    mgw_key_free(&k);
    free(backup);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- backups and restore ----------------------------------------------------------- */

START_TEST(gzip_round_trips_and_the_reader_refuses_damage)
{
    const char msg[] = "# header\nnot much else\n";
    mgw_dbuf gz, gz2, out;
    mgw_dbuf_init(&gz);
    mgw_dbuf_init(&gz2);
    mgw_dbuf_init(&out);
    ck_assert_int_eq(mgw_gzip((const uint8_t *)msg, strlen(msg), &gz), MGW_OK);
    ck_assert_int_eq(mgw_gunzip(gz.p, gz.len, 1024, &out), MGW_OK);
    ck_assert_uint_eq(out.len, strlen(msg));
    ck_assert_int_eq(memcmp(out.p, msg, out.len), 0);
    /* concatenated members, as `cat a.gz b.gz` makes them */
    mgw_dbuf_put(&gz2, gz.p, gz.len);
    mgw_dbuf_put(&gz2, gz.p, gz.len);
    out.len = 0;
    ck_assert_int_eq(mgw_gunzip(gz2.p, gz2.len, 1024, &out), MGW_OK);
    ck_assert_uint_eq(out.len, 2 * strlen(msg));
    out.len = 0;
    ck_assert_int_eq(mgw_gunzip(gz.p, gz.len - 5, 1024, &out), MGW_ERR_ROOTS_BACKUP);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "truncated"));
    gz.p[gz.len / 2] ^= 0x55;
    out.len = 0;
    ck_assert_int_ne(mgw_gunzip(gz.p, gz.len, 1024, &out), MGW_OK);
    /* a small file that inflates beyond the limit */
    uint8_t *zeros = calloc(1, 1 << 20);
    mgw_dbuf_free(&gz);
    mgw_dbuf_init(&gz);
    ck_assert_int_eq(mgw_gzip(zeros, 1 << 20, &gz), MGW_OK);
    ck_assert_uint_lt(gz.len, 4096);
    out.len = 0;
    ck_assert_int_eq(mgw_gunzip(gz.p, gz.len, 65536, &out), MGW_ERR_TOO_LARGE);
    free(zeros);
    mgw_dbuf_free(&gz);
    mgw_dbuf_free(&gz2);
    mgw_dbuf_free(&out);
}
END_TEST

START_TEST(backup_reader_checks_every_certificate_against_its_header)
{
    mgw_key_t *k = shared_key();
    char *dir = test_tmpdir();
    size_t l1, l2;
    uint8_t *a = make_cert(k, "a", MGW_FORMAT_PEM, &l1);
    uint8_t *b = make_cert(k, "b", MGW_FORMAT_PEM, &l2);
    char *ta = sha1_of(a, l1), *tb = sha1_of(b, l2);
    mgw_dbuf t;
    mgw_dbuf_init(&t);
    mgw_dbuf_printf(&t, "# sha1: %s\n# from: /x/a.cer\n%s\n# sha1: %s\n%s", ta, (char *)a, tb,
                    (char *)b);
    put_file(dir, "plain.pem", t.p, t.len);
    char *plain = path_in(dir, "plain.pem");
    mgw_store_listing back;
    memset(&back, 0, sizeof(back));
    ck_assert_int_eq(mgw_backup_load(plain, &back), MGW_OK); /* plain PEM is fine too */
    ck_assert_uint_eq(back.n, 2);
    ck_assert_str_eq(back.items[0].origin, "/x/a.cer");
    ck_assert_str_eq(back.items[1].subject, "CN=b");
    mgw_store_listing_free(&back);
    /* a header that names another certificate */
    mgw_dbuf_free(&t);
    mgw_dbuf_init(&t);
    mgw_dbuf_printf(&t, "# sha1: %s\n%s# sha1: %s\n%s", ta, (char *)a, ta, (char *)b);
    put_file(dir, "swapped.pem", t.p, t.len);
    char *swapped = path_in(dir, "swapped.pem");
    ck_assert_int_eq(mgw_backup_load(swapped, &back), MGW_ERR_ROOTS_BACKUP);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "certificate 2 (line"));
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "its header says"));
    ck_assert_uint_eq(back.n, 0);
    /* other blocks, a missing END, nothing at all */
    static const char *const bad[][2] = {
        {"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n", "not a CERTIFICATE"},
        {"-----BEGIN CERTIFICATE-----\nMAA=\n", "without END"},
        {"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n", "does not parse"},
        {"# sha1: 12\n", "bad sha1 header"},
        {"just text\n", "no certificate"},
        {"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "the CERTIFICATE block is empty"},
        {"-----BEGIN \x1b]0;x\a-----\nMAA=\n-----END \x1b]0;x\a-----\n", "label '<U+001B>]0;x<U+0007>'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put_file(dir, "bad.pem", bad[i][0], strlen(bad[i][0]));
        char *path = path_in(dir, "bad.pem");
        ck_assert_int_eq(mgw_backup_load(path, &back), MGW_ERR_ROOTS_BACKUP);
        ck_assert_msg(strstr(mgw_last_error(), bad[i][1]) != NULL, "%s", mgw_last_error());
        ck_assert_ptr_null(strchr(mgw_last_error(), '\x1b'));
        free(path);
    }
    mgw_dbuf_free(&t);
    free(plain);
    free(swapped);
    mgw_free(a);
    mgw_free(b);
    mgw_free(ta);
    mgw_free(tb);
    mgw_key_free(&k);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(restore_is_idempotent_and_takes_only_what_is_named)
{
    fixture f;
    fixture_open(&f, 4, 0);
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, NULL, NULL), MGW_OK);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 1);
    /* only one, named by a pasted SHA-1 */
    char pasted[64];
    snprintf(pasted, sizeof(pasted), "\xE2\x80\x8E%s", f.tp[2]);
    const char *only[1] = {pasted};
    events ev = {0};
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, only, 1, record, &ev), MGW_OK);
    ck_assert_uint_eq(ev.n, 1);
    ck_assert_int_eq(ev.event[0], MGW_ROOTS_ADDED);
    ck_assert_str_eq(ev.tp[0], f.tp[2]);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 2);
    /* a thumbprint that is not in the backup: nothing changes */
    const char *absent[2] = {f.tp[1], f.tp[0]};
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, absent, 2, NULL, NULL), MGW_ERR_NOT_FOUND);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 2);
    const char *malformed[1] = {"xyz"};
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, malformed, 1, NULL, NULL),
                     MGW_ERR_THUMBPRINT);
    /* everything: two added, one present; then again: all present */
    memset(&ev, 0, sizeof(ev));
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, NULL, 0, record, &ev), MGW_OK);
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_ADDED), 2);
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_PRESENT), 1);
    memset(&ev, 0, sizeof(ev));
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, NULL, 0, record, &ev), MGW_OK);
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_PRESENT), 3);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 4);
    /* the restored set is the original one */
    for (size_t i = 0; i < 4; i++) {
        char *t;
        bool found = false;
        mgw_store_cert(f.s, i, &t, NULL, NULL);
        for (int j = 0; j < 4; j++)
            found = found || strcmp(t, f.tp[j]) == 0;
        ck_assert(found);
        mgw_free(t);
    }
    fixture_close(&f);
}
END_TEST

START_TEST(restore_failure_stops_with_an_account)
{
    fixture f;
    fixture_open(&f, 5, 4);
    ck_assert_int_eq(mgw_roots_prune(f.s, f.p, f.backup, 0, NULL, NULL), MGW_OK);
    fault flt = {"add", 1};
    mgw_store_set_fault(f.s, inject, &flt);
    events ev = {0};
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, NULL, 0, record, &ev),
                     MGW_ERR_ROOTS_INCOMPLETE);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "restore stopped: added 1, 3 not added"));
    ck_assert_int_eq(ev.event[0], MGW_ROOTS_ADDED);
    ck_assert_int_eq(ev.event[1], MGW_ROOTS_FAILED);
    ck_assert_uint_eq(count_events(&ev, MGW_ROOTS_NOT_ADDED), 2);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 2);
    mgw_store_set_fault(f.s, NULL, NULL);
    ck_assert_int_eq(mgw_roots_restore(f.s, f.backup, NULL, 0, NULL, NULL), MGW_OK);
    ck_assert_uint_eq(mgw_store_cert_count(f.s), 5);
    fixture_close(&f);
}
END_TEST

/* ---- the scheduled task ------------------------------------------------------------ */

/* The task XML as UTF-8 (malloc'ed), after checking the BOM. */
static char *task_utf8(const mgw_taskopts_t *t)
{
    uint8_t *xml = NULL;
    size_t len = 0;
    ck_assert_msg(mgw_task_xml(t, &xml, &len) == MGW_OK, "%s", mgw_last_error());
    ck_assert_uint_gt(len, 2);
    ck_assert_int_eq(xml[0], 0xFF);
    ck_assert_int_eq(xml[1], 0xFE);
    mgw_dbuf u8;
    mgw_dbuf_init(&u8);
    ck_assert_int_eq(mgw_utf16_to_utf8(xml + 2, len - 2, false, &u8), MGW_OK);
    mgw_dbuf_putc(&u8, 0);
    char *s = strdup((char *)u8.p);
    mgw_dbuf_free(&u8);
    mgw_free(xml);
    return s;
}

START_TEST(task_xml_carries_every_setting)
{
    mgw_taskopts_t *t = mgw_taskopts_new();
    uint8_t *xml;
    size_t len;
    ck_assert_int_eq(mgw_task_xml(t, &xml, &len), MGW_ERR_INVALID_ARGUMENT); /* no command */
    ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, "C:\\ProgramData\\mgw\\Root",
                                                    "C:\\mgw\\keep list.txt", "C:\\mgw\\backups\\"),
                     MGW_OK);
    ck_assert_int_eq(mgw_taskopts_set_start(t, "2025-03-01T00:00:00"), MGW_OK);
    char *s = task_utf8(t);
    static const char *const want[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task version=\"1.2\" "
        "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n",
        "<StartBoundary>2025-03-01T00:00:00</StartBoundary>",
        "<Repetition>\r\n        <Interval>PT15M</Interval>\r\n      </Repetition>",
        "<ScheduleByDay>\r\n        <DaysInterval>1</DaysInterval>",
        "<UserId>S-1-5-18</UserId>",
        "<RunLevel>HighestAvailable</RunLevel>",
        "<StartWhenAvailable>true</StartWhenAvailable>",
        "<AllowStartOnDemand>true</AllowStartOnDemand>",
        "<RestartOnFailure>\r\n      <Interval>PT1M</Interval>\r\n      <Count>3</Count>",
        "<ExecutionTimeLimit>PT10M</ExecutionTimeLimit>",
        "<Command>C:\\Program Files\\mgwauth\\mgwauth.exe</Command>",
        "<Arguments>roots prune --store C:\\ProgramData\\mgw\\Root --keep-file &quot;C:\\mgw\\keep "
        "list.txt&quot; --backup-dir C:\\mgw\\backups\\ --yes</Arguments>",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(strstr(s, want[i]) != NULL, "lacks %s", want[i]);
    ck_assert_ptr_null(strstr(s, "<Duration>"));
    free(s);
    /* intervals: whole minutes, 1 minute to 31 days, ISO 8601 out */
    static const struct {
        uint32_t seconds;
        const char *iso;
    } spans[] = {{60, "PT1M"},   {3600, "PT1H"},      {5400, "PT1H30M"},
                 {86400, "P1D"}, {93780, "P1DT2H3M"}, {31u * 86400, "P31D"}};
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        ck_assert_int_eq(mgw_taskopts_set_interval(t, spans[i].seconds), MGW_OK);
        ck_assert_int_eq(mgw_taskopts_set_time_limit(t, spans[i].seconds), MGW_OK);
        s = task_utf8(t);
        char el[64];
        snprintf(el, sizeof(el), "<Interval>%s</Interval>", spans[i].iso);
        ck_assert_msg(strstr(s, el) != NULL, "%s", el);
        snprintf(el, sizeof(el), "<ExecutionTimeLimit>%s</ExecutionTimeLimit>", spans[i].iso);
        ck_assert_msg(strstr(s, el) != NULL, "%s", el);
        free(s);
    }
    static const uint32_t refused[] = {0, 59, 61, 90, 31u * 86400 + 60};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ck_assert_int_eq(mgw_taskopts_set_interval(t, refused[i]), MGW_ERR_INVALID_ARGUMENT);
        ck_assert_int_eq(mgw_taskopts_set_time_limit(t, refused[i]), MGW_ERR_INVALID_ARGUMENT);
    }
    static const char *const bad_start[] = {"2025-02-29T00:00:00", "2025-13-01T00:00:00",
                                            "2025-01-01 00:00:00", "2025-01-01T24:00:00",
                                            "2025-1-01T00:00:00Z", ""};
    for (size_t i = 0; i < sizeof(bad_start) / sizeof(bad_start[0]); i++)
        ck_assert_int_eq(mgw_taskopts_set_start(t, bad_start[i]), MGW_ERR_INVALID_ARGUMENT);
    mgw_taskopts_free(&t);
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(task_values_are_escaped_quoted_and_checked)
{
    mgw_taskopts_t *t = mgw_taskopts_new();
    ck_assert_int_eq(mgw_taskopts_set_prune_command(t, "C:\\Program Files\\mgwauth\\mgwauth.exe",
                                                    "C:\\Root<&>'", "C:\\a \"b\"\\c\\",
                                                    "D:\\back ups\\\\"),
                     MGW_OK);
    char *s = task_utf8(t);
    ck_assert_ptr_nonnull(strstr(s, "<Command>C:\\Program Files\\mgwauth\\mgwauth.exe</Command>"));
    /* CommandLineToArgvW: backslashes double before a quote, quotes are \" */
    ck_assert_msg(strstr(s, "--store C:\\Root&lt;&amp;&gt;&apos; --keep-file &quot;C:\\a "
                            "\\&quot;b\\&quot;\\c\\\\&quot; --backup-dir &quot;D:\\back "
                            "ups\\\\\\\\&quot; --yes") != NULL,
                  "%s", s);
    free(s);
    ck_assert_int_eq(mgw_taskopts_set_command(t, "cmd.exe", "/c echo <hi> & exit 1"), MGW_OK);
    s = task_utf8(t);
    ck_assert_ptr_nonnull(strstr(s, "<Arguments>/c echo &lt;hi&gt; &amp; exit 1</Arguments>"));
    free(s);
    ck_assert_int_eq(mgw_taskopts_set_command(t, "C:\\x.exe", NULL), MGW_OK);
    s = task_utf8(t);
    ck_assert_ptr_null(strstr(s, "<Arguments>"));
    free(s);
    ck_assert_int_eq(mgw_taskopts_set_command(t, "a\nb", NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_taskopts_set_command(t, "x.exe", "\x01"), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_taskopts_set_command(t, "x\xFF.exe", NULL), MGW_ERR_UTF8);
    ck_assert_int_eq(mgw_taskopts_set_command(t, "", NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, "", "k", "d"),
                     MGW_ERR_INVALID_ARGUMENT);
    /* Windows paths of a task must be absolute: bash turns C:\mgw\keep.txt into C:mgwkeep.txt */
    static const char *const relative[] = {"C:mgwkeep.txt", "keep.txt", "\\keep.txt", "mgw\\k",
                                           "1:\\k", "\\\\", ""};
    for (size_t i = 0; i < sizeof(relative) / sizeof(relative[0]); i++) {
        ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, "LocalMachine\\Root",
                                                        relative[i], "C:\\b"),
                         MGW_ERR_INVALID_ARGUMENT);
        ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, "LocalMachine\\Root",
                                                        "C:\\k", relative[i]),
                         MGW_ERR_INVALID_ARGUMENT);
        ck_assert_int_eq(mgw_taskopts_set_prune_command(t, relative[i], "LocalMachine\\Root",
                                                        "C:\\k", "C:\\b"),
                         MGW_ERR_INVALID_ARGUMENT);
        ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, relative[i], "C:\\k", "C:\\b"),
                         MGW_ERR_INVALID_ARGUMENT);
    }
    ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, "LocalMachine\\Root",
                                                    "C:mgwkeep.txt", "C:\\b"),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "'C:mgwkeep.txt' is not an absolute"));
    static const char *const absolute[] = {"C:\\k", "z:/k", "\\\\srv\\share\\k"};
    for (size_t i = 0; i < sizeof(absolute) / sizeof(absolute[0]); i++)
        ck_assert_int_eq(mgw_taskopts_set_prune_command(t, absolute[i], absolute[i], absolute[i],
                                                        absolute[i]),
                         MGW_OK);
    char longpath[300];
    memset(longpath, 'p', 261);
    longpath[261] = '\0';
    ck_assert_int_eq(mgw_taskopts_set_command(t, longpath, NULL), MGW_ERR_INVALID_ARGUMENT);
    longpath[260] = '\0';
    ck_assert_int_eq(mgw_taskopts_set_command(t, longpath, NULL), MGW_OK);
    /* a failed setter left the last good command */
    s = task_utf8(t);
    ck_assert_ptr_nonnull(strstr(s, "<Command>pppp"));
    free(s);
    mgw_taskopts_free(&t);
}
END_TEST

START_TEST(single_certificates_are_added_once_and_removed_by_thumbprint)
{
    mgw_key_t *k = shared_key();
    char *tp[2];
    char *dir = make_store(k, 2, tp);
    mgw_store_t *s = open_store(dir);
    size_t pem_len;
    uint8_t *pem = make_cert(k, "added", MGW_FORMAT_PEM, &pem_len);
    int added = -1;
    char *thumb = NULL;
    ck_assert_int_eq(mgw_store_add_cert(s, pem, pem_len, &added, &thumb), MGW_OK);
    ck_assert_int_eq(added, 1);
    ck_assert_uint_eq(mgw_store_cert_count(s), 3);
    char name[45];
    snprintf(name, sizeof(name), "%s.cer", thumb);
    ck_assert(exists_in(dir, name));
    /* the same certificate again, as DER: present, nothing written */
    uint8_t *der = NULL;
    size_t der_len = 0;
    size_t at = 0;
    for (size_t i = 0; i < mgw_store_cert_count(s); i++) {
        char *t = NULL;
        ck_assert_int_eq(mgw_store_cert(s, i, &t, NULL, NULL), MGW_OK);
        if (strcmp(t, thumb) == 0)
            at = i;
        mgw_free(t);
    }
    ck_assert_int_eq(mgw_store_cert_der(s, at, &der, &der_len), MGW_OK);
    ck_assert_int_eq(mgw_store_add_cert(s, der, der_len, &added, NULL), MGW_OK);
    ck_assert_int_eq(added, 0);
    ck_assert_uint_eq(mgw_store_cert_count(s), 3);
    ck_assert_int_eq(mgw_store_cert_has_key(s, at), 0);
    /* not a certificate: refused before the store is touched */
    ck_assert_int_eq(mgw_store_add_cert(s, (const uint8_t *)"junk", 4, &added, NULL),
                     MGW_ERR_CERT_PARSE);
    ck_assert_uint_eq(mgw_store_cert_count(s), 3);
    /* removal by SHA-1 as pasted, and by SHA-256 */
    char pasted[64];
    snprintf(pasted, sizeof(pasted), "\xE2\x80\x8E%.2s %s", tp[0], tp[0] + 2);
    ck_assert_int_eq(mgw_store_remove_cert(s, pasted), MGW_OK);
    ck_assert(!exists_in(dir, "cert-0.cer"));
    char *t256 = NULL;
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_parse(der, der_len, &c), MGW_OK);
    ck_assert_int_eq(mgw_cert_thumbprint(c, MGW_DIGEST_SHA256, &t256), MGW_OK);
    ck_assert_int_eq(mgw_store_remove_cert(s, t256), MGW_OK);
    ck_assert(!exists_in(dir, name));
    ck_assert_uint_eq(mgw_store_cert_count(s), 1);
    ck_assert_int_eq(mgw_store_remove_cert(s, t256), MGW_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "holds no certificate with thumbprint"));
    ck_assert_int_eq(mgw_store_remove_cert(s, "12"), MGW_ERR_THUMBPRINT);
    /* a directory holds no keys */
    ck_assert_int_eq(mgw_store_import_pfx(s, der, der_len, "pw", 2, 0, NULL),
                     MGW_ERR_NOT_AVAILABLE);
    mgw_cert_free(&c);
    mgw_free(t256);
    mgw_free(der);
    mgw_free(pem);
    mgw_free(thumb);
    mgw_free(tp[0]);
    mgw_free(tp[1]);
    mgw_store_free(&s);
    mgw_key_free(&k);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(system_stores_and_the_live_registry_need_the_windows_build)
{
    mgw_store_t *s = NULL;
    ck_assert_int_eq(mgw_store_open_system("LocalMachine\\Root", &s), MGW_ERR_NOT_AVAILABLE);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "Windows build"));
    mgw_regstate_t *st = mgw_regstate_new();
    ck_assert_int_eq(mgw_regstate_read_live(st, NULL), MGW_ERR_NOT_AVAILABLE);
    mgw_regstate_free(&st);
    /* the scheduled prune of a system store names it with --system-store */
    mgw_taskopts_t *t = mgw_taskopts_new();
    ck_assert_int_eq(mgw_taskopts_set_prune_command(t, NULL, "LocalMachine\\Root", "C:\\k.txt",
                                                    "C:\\backups"),
                     MGW_OK);
    uint8_t *xml = NULL;
    size_t len = 0;
    ck_assert_int_eq(mgw_task_xml(t, &xml, &len), MGW_OK);
    mgw_dbuf utf8;
    mgw_dbuf_init(&utf8);
    ck_assert_int_eq(mgw_utf16_to_utf8(xml + 2, len - 2, false, &utf8), MGW_OK);
    mgw_dbuf_putc(&utf8, 0);
    ck_assert_ptr_nonnull(strstr((char *)utf8.p, "roots prune --system-store LocalMachine\\Root "));
    mgw_dbuf_free(&utf8);
    mgw_free(xml);
    mgw_taskopts_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("roots");
    TCase *t = tcase_create("roots");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, directory_store_lists_certificates_and_reports_everything_else);
    tcase_add_test(t, store_adds_sha1_cer_and_removes_only_what_it_listed);
    tcase_add_test(t, planner_keeps_listed_protects_windows_roots_and_removes_the_rest);
    tcase_add_test(t, planner_refuses_empty_missing_and_keep_nothing_plans);
    tcase_add_test(t, sha256_keep_entries_match_and_describe_shows_everything);
    tcase_add_test(t, policy_certificates_in_physical_subdirectories_are_reported_and_kept);
    tcase_add_test(t, prune_backs_up_verifies_and_then_removes);
    tcase_add_test(t, backup_is_never_overwritten_without_force);
    tcase_add_test(t, a_backup_that_does_not_read_back_stops_everything);
    tcase_add_test(t, injected_failure_mid_prune_leaves_a_complete_backup_and_an_exact_account);
    tcase_add_test(t, gzip_round_trips_and_the_reader_refuses_damage);
    tcase_add_test(t, backup_reader_checks_every_certificate_against_its_header);
    tcase_add_test(t, restore_is_idempotent_and_takes_only_what_is_named);
    tcase_add_test(t, restore_failure_stops_with_an_account);
    tcase_add_test(t, task_xml_carries_every_setting);
    tcase_add_test(t, task_values_are_escaped_quoted_and_checked);
    tcase_add_test(t, single_certificates_are_added_once_and_removed_by_thumbprint);
    tcase_add_test(t, system_stores_and_the_live_registry_need_the_windows_build);
    suite_add_tcase(s, t);
    return test_run(s);
}
