/* Planning benchmark (./run bench, never part of the tests): 100,000
 * synthetic certificates are listed (parsed, SHA-1, subject) and planned
 * against a 1,000-entry keep-list, and the time is compared with merely
 * SHA-1 hashing the same bytes. A linear planner keeps the ratio flat as the
 * store grows; a quarter of the store is timed as well to show it. */
#include "cert/cert.h"
#include "crypto/crypto.h"
#include "roots/roots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEEP 1000
#define ROUNDS 3

typedef struct {
    uint8_t *der;
    size_t len, serial_at;
} template;

typedef struct {
    uint8_t *arena;
    size_t *off, *len, n, bytes;
} corpus;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, mgw_last_error());
    exit(1);
}

/* A CA certificate of the given key type; the synthetic ones differ from it
 * only in their serial number. */
static template make_template(int key_type, const char *subject)
{
    mgw_key_t *k = mgw_key_new();
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_cert_t *c = NULL;
    if (mgw_key_generate(k, key_type) != MGW_OK || mgw_certopts_set_subject(o, subject) != MGW_OK ||
        mgw_certopts_set_ca(o, 1, -1) != MGW_OK || mgw_cert_create(o, k, NULL, NULL, &c) != MGW_OK)
        die("template");
    template t = {malloc(c->der_len), c->der_len, (size_t)(c->serial.p - c->der)};
    memcpy(t.der, c->der, c->der_len);
    mgw_cert_free(&c);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
    return t;
}

/* Three RSA-2048 roots to one P-384 root, roughly a real root store's mix. */
static corpus make_corpus(size_t n, const template *rsa, const template *ec)
{
    corpus c = {NULL, malloc(n * sizeof(size_t)), malloc(n * sizeof(size_t)), n, 0};
    for (size_t i = 0; i < n; i++)
        c.bytes += (i % 4 == 3 ? ec : rsa)->len;
    c.arena = malloc(c.bytes);
    if (c.arena == NULL || c.off == NULL || c.len == NULL)
        die("out of memory");
    for (size_t i = 0, at = 0; i < n; i++) {
        const template *t = i % 4 == 3 ? ec : rsa;
        memcpy(c.arena + at, t->der, t->len);
        for (int b = 0; b < 8; b++) /* the serial's last 8 bytes number the copy */
            c.arena[at + t->serial_at + 15 - b] = (uint8_t)(i >> (8 * b));
        c.off[i] = at;
        c.len[i] = t->len;
        at += t->len;
    }
    return c;
}

static double time_sha1(const corpus *c, size_t n, volatile uint8_t *sink)
{
    double best = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = seconds_now();
        for (size_t i = 0; i < n; i++) {
            uint8_t h[20];
            if (mgw_digest(MBEDTLS_MD_SHA1, c->arena + c->off[i], c->len[i], h) != MGW_OK)
                die("sha1");
            *sink ^= h[0];
        }
        double t = seconds_now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

typedef struct {
    double list, plan;
    size_t keep, remove;
} plan_time;

/* List the first n certificates and plan them; the best of ROUNDS runs. */
static plan_time time_plan(const corpus *c, size_t n)
{
    plan_time best = {1e9, 1e9, 0, 0};
    size_t n_prot;
    const mgw_protected_root *prot = mgw_protected_roots(&n_prot);
    mgw_store_item *items = calloc(n, sizeof(*items));
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = seconds_now();
        for (size_t i = 0; i < n; i++)
            if (mgw_store_item_from_der(c->arena + c->off[i], c->len[i], "synthetic.cer",
                                        &items[i]) != MGW_OK)
                die("listing");
        double t1 = seconds_now();
        /* half of the keep-list is in the store, half is not */
        mgw_rootopts_t *o = mgw_rootopts_new();
        for (size_t k = 0; k < KEEP; k++) {
            char hex[41];
            uint8_t absent[20] = {0xA5, (uint8_t)(k >> 8), (uint8_t)k};
            mgw_hex_upper(k % 2 == 0 ? items[(k * 7919) % n].sha1 : absent, 20, hex);
            mgw_rootopts_add_keep(o, hex);
        }
        mgw_rootopts_set_allow_missing(o, 1);
        double t2 = seconds_now();
        mgw_rootplan_t *p = NULL;
        if (mgw_rootplan_build(items, n, o, prot, n_prot, &p) != MGW_OK)
            die("plan");
        double t3 = seconds_now();
        best.list = t1 - t0 < best.list ? t1 - t0 : best.list;
        best.plan = t3 - t2 < best.plan ? t3 - t2 : best.plan;
        best.keep = mgw_rootplan_count(p, MGW_ROOT_KEEP);
        best.remove = mgw_rootplan_count(p, MGW_ROOT_REMOVE);
        mgw_rootplan_free(&p);
        mgw_rootopts_free(&o);
        for (size_t i = 0; i < n; i++)
            mgw_store_item_clear(&items[i]);
    }
    free(items);
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    if (n < 4 * KEEP || mgw_compat_init() != 0) {
        fprintf(stderr, "usage: bench_roots [N >= %d]\n", 4 * KEEP);
        return 2;
    }
    template rsa = make_template(MGW_KEY_RSA2048, "CN=Synthetic RSA Root,O=libmgwauth bench,C=DE");
    template ec = make_template(MGW_KEY_P384, "CN=Synthetic ECC Root,O=libmgwauth bench,C=DE");
    corpus c = make_corpus(n, &rsa, &ec);
    volatile uint8_t sink = 0; /* keeps the hashing from being optimised away */
    printf("roots planning benchmark: %zu synthetic certificates (%.0f bytes each on average), "
           "keep-list of %d\n",
           n, (double)c.bytes / (double)n, KEEP);
    size_t sizes[2] = {n / 4, n};
    double ratio = 0, h = 0;
    plan_time pt = {0};
    for (int s = 0; s < 2; s++) {
        h = time_sha1(&c, sizes[s], &sink);
        pt = time_plan(&c, sizes[s]);
        ratio = (pt.list + pt.plan) / h;
        printf("%7zu certificates: SHA-1 only %.3f s; listing (parse, SHA-1, subject) %.3f s; "
               "planning %.3f s (keep %zu, remove %zu); %.2f us per certificate\n",
               sizes[s], h, pt.list, pt.plan, pt.keep, pt.remove,
               (pt.list + pt.plan) * 1e6 / (double)sizes[s]);
        printf("%7zu certificates: ratio to SHA-1 hashing of the same bytes: %.2f "
               "(planning alone: %.2f)\n",
               sizes[s], ratio, pt.plan / h);
    }
    /* the last line is for bench/run_bench.py */
    printf("{\"certificates\":%zu,\"sha1_s\":%.6f,\"list_s\":%.6f,\"plan_s\":%.6f,"
           "\"ratio_to_sha1\":%.3f}\n",
           n, h, pt.list, pt.plan, ratio);
    free(c.arena);
    free(c.off);
    free(c.len);
    free(rsa.der);
    free(ec.der);
    return 0;
}
