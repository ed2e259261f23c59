/* Suite "cert": keys, SAN encoding, extensions, validity and serial rules,
 * CA issuance, CSR signing, threads and hostile input. */
#include "cert/key.h"
#include "testutil.h"

#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static mgw_key_t *new_key(int type)
{
    mgw_key_t *k = mgw_key_new();
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(mgw_key_generate(k, type), MGW_OK);
    return k;
}

static mgw_cert_t *self_signed(mgw_key_t *k, const char *subject)
{
    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(o, subject), MGW_OK);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    mgw_certopts_free(&o);
    return c;
}

static mgw_cert_t *make_ca(mgw_key_t *k, const char *subject, int pathlen)
{
    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(o, subject), MGW_OK);
    ck_assert_int_eq(mgw_certopts_set_ca(o, 1, pathlen), MGW_OK);
    ck_assert_int_eq(mgw_certopts_set_days(o, 3650), MGW_OK);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    mgw_certopts_free(&o);
    return c;
}

/* Find the value of extension `oid_hex` (DER OID content, hex) in a certificate. */
static bool find_ext(const mgw_cert_t *c, const char *oid_hex, mgw_span *value, bool *critical)
{
    size_t n;
    uint8_t *oid = test_unhex(oid_hex, &n);
    bool found = false;
    for (size_t i = 0; i + n + 2 < c->der_len && !found; i++) {
        if (c->der[i] == 0x06 && c->der[i + 1] == n && memcmp(c->der + i + 2, oid, n) == 0) {
            size_t j = i + 2 + n;
            *critical = false;
            if (c->der[j] == 0x01) {
                *critical = c->der[j + 2] != 0;
                j += 3;
            }
            ck_assert_int_eq(c->der[j], 0x04);
            size_t len = c->der[j + 1], h = 2;
            if (len & 0x80) {
                size_t k = len & 0x7F;
                len = 0;
                for (size_t q = 0; q < k; q++)
                    len = len << 8 | c->der[j + 2 + q];
                h += k;
            }
            value->p = c->der + j + h;
            value->len = len;
            found = true;
        }
    }
    free(oid);
    return found;
}

static void assert_span_hex(mgw_span s, const char *hex)
{
    size_t n;
    uint8_t *want = test_unhex(hex, &n);
    ck_assert_uint_eq(s.len, n);
    ck_assert_int_eq(memcmp(s.p, want, n), 0);
    free(want);
}

START_TEST(upn_other_name_is_byte_exact)
{
    /* otherName [0] { 1.3.6.1.4.1.311.20.2.3, [0] EXPLICIT UTF8String } */
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    ck_assert_int_eq(mgw_gname_put(&b, MGW_SAN_UPN, "eas@imagoverum.com"), MGW_OK);
    mgw_span s = {b.p, b.len};
    assert_span_hex(s, "A022 060A2B060104018237140203 A014 0C12"
                       "65617340696D61676F766572756D2E636F6D");
    mgw_dbuf_free(&b);
    mgw_dbuf_init(&b);
    ck_assert_int_eq(mgw_gname_put(&b, MGW_SAN_EMAIL, "a@b.c"), MGW_OK);
    s.p = b.p, s.len = b.len;
    assert_span_hex(s, "8105 6140622E63");
    mgw_dbuf_free(&b);
    /* non-ASCII UPN stays UTF-8 inside the UTF8String */
    mgw_dbuf_init(&b);
    ck_assert_int_eq(mgw_gname_put(&b, MGW_SAN_UPN, "j\xC3\xBCrgen@x.de"), MGW_OK);
    ck_assert_int_eq(b.p[b.len - 14], 0x0C);
    ck_assert_int_eq(b.p[b.len - 13], 12);
    mgw_dbuf_free(&b);
}
END_TEST

START_TEST(procedure_certificate_has_every_field)
{
    mgw_key_t *k = new_key(MGW_KEY_RSA2048);
    ck_assert_int_eq(mgw_key_type(k), MGW_KEY_RSA2048);
    ck_assert_int_eq(mgw_key_bits(k), 2048);
    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(o, "CN=imagoverum.com"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_upn(o, "eas@imagoverum.com"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_email(o, "eas@imagoverum.com"), MGW_OK);
    mgw_cert_t *c = NULL;
    int64_t before = mgw_now();
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    ck_assert_str_eq(mgw_last_error(), "");

    char *s;
    ck_assert_int_eq(mgw_cert_subject(c, &s), MGW_OK);
    ck_assert_str_eq(s, "CN=imagoverum.com");
    mgw_free(s);
    ck_assert_int_eq(mgw_cert_issuer(c, &s), MGW_OK);
    ck_assert_str_eq(s, "CN=imagoverum.com");
    mgw_free(s);
    int64_t nb, na;
    ck_assert_int_eq(mgw_cert_validity(c, &nb, &na), MGW_OK);
    ck_assert_int_le(nb, before - 600);
    ck_assert_int_ge(nb, before - 602);
    ck_assert_int_eq(na - nb, 730LL * 86400);
    ck_assert_uint_eq(mgw_cert_san_count(c), 2);
    int type;
    ck_assert_int_eq(mgw_cert_san(c, 0, &type, &s), MGW_OK);
    ck_assert_int_eq(type, MGW_SAN_UPN);
    ck_assert_str_eq(s, "eas@imagoverum.com");
    mgw_free(s);
    ck_assert_int_eq(mgw_cert_san(c, 1, &type, &s), MGW_OK);
    ck_assert_int_eq(type, MGW_SAN_EMAIL);
    mgw_free(s);
    ck_assert_int_eq(mgw_cert_san(c, 2, &type, &s), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(mgw_cert_eku_count(c), 1);
    ck_assert_int_eq(mgw_cert_eku(c, 0, &s), MGW_OK);
    ck_assert_str_eq(s, "1.3.6.1.5.5.7.3.2");
    mgw_free(s);
    ck_assert_int_eq(mgw_cert_is_ca(c), 0);

    mgw_span v;
    bool crit;
    ck_assert(find_ext(c, "551D13", &v, &crit)); /* basicConstraints CA:FALSE */
    assert_span_hex(v, "3000");
    ck_assert(find_ext(c, "551D0F", &v, &crit)); /* keyUsage critical dS+kE */
    ck_assert(crit);
    assert_span_hex(v, "030205A0");
    ck_assert(find_ext(c, "551D25", &v, &crit)); /* EKU clientAuth */
    ck_assert(!crit);
    assert_span_hex(v, "300A06082B06010505070302");
    ck_assert(find_ext(c, "551D11", &v, &crit)); /* SAN, not critical: subject set */
    ck_assert(!crit);
    ck_assert(find_ext(c, "551D0E", &v, &crit)); /* SKI = SHA-1 of the key bits */
    uint8_t id[20];
    ck_assert_int_eq(mgw_spki_key_id(c->spki.p, c->spki.len, id), MGW_OK);
    ck_assert_uint_eq(v.len, 22);
    ck_assert_int_eq(memcmp(v.p + 2, id, 20), 0);
    ck_assert(!find_ext(c, "551D23", &v, &crit)); /* no AKI when self-signed */

    /* serial: 16 bytes, positive */
    ck_assert_uint_eq(c->serial.len, 16);
    ck_assert_int_gt(c->serial.p[0], 0);
    ck_assert_int_lt(c->serial.p[0], 0x80);

    /* mbedTLS verifies the self-signature */
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    ck_assert_int_eq(mbedtls_x509_crt_parse_der(&crt, c->der, c->der_len), 0);
    uint32_t flags = 0;
    ck_assert_int_eq(mbedtls_x509_crt_verify(&crt, &crt, NULL, NULL, &flags, NULL, NULL), 0);
    mbedtls_x509_crt_free(&crt);
    ck_assert_int_eq(mgw_cert_check_key(c, k), MGW_OK);

    char *tp;
    ck_assert_int_eq(mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &tp), MGW_OK);
    ck_assert_uint_eq(strlen(tp), 40);
    for (char *p = tp; *p; p++)
        ck_assert((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F'));
    mgw_free(tp);
    ck_assert_int_eq(mgw_cert_thumbprint(c, MGW_DIGEST_SHA256, &tp), MGW_OK);
    ck_assert_uint_eq(strlen(tp), 64);
    mgw_free(tp);
    ck_assert_int_eq(mgw_cert_thumbprint(c, 7, &tp), MGW_ERR_INVALID_ARGUMENT);
    mgw_cert_free(&c);
    ck_assert_ptr_null(c);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
    mgw_key_free(&k); /* double free through the cleared pointer is harmless */
}
END_TEST

START_TEST(ec_leaf_has_digital_signature_only_and_ecdsa)
{
    mgw_key_t *k = new_key(MGW_KEY_P384);
    ck_assert_int_eq(mgw_key_bits(k), 384);
    mgw_cert_t *c = self_signed(k, "CN=ec");
    mgw_span v;
    bool crit;
    ck_assert(find_ext(c, "551D0F", &v, &crit));
    assert_span_hex(v, "03020780");
    /* ecdsa-with-SHA384 */
    size_t n;
    uint8_t *oid = test_unhex("06082A8648CE3D040303", &n);
    ck_assert_ptr_nonnull(test_memmem(c->der, c->der_len, oid, n));
    free(oid);
    int type, bits;
    ck_assert_int_eq(mgw_cert_key_info(c, &type, &bits), MGW_OK);
    ck_assert_int_eq(type, MGW_KEY_P384);
    mgw_cert_free(&c);
    mgw_key_free(&k);
}
END_TEST

START_TEST(empty_subject_needs_san_and_makes_it_critical)
{
    mgw_key_t *ca_k = new_key(MGW_KEY_P256), *k = new_key(MGW_KEY_P256);
    mgw_cert_t *ca = make_ca(ca_k, "CN=Corp CA", 0);
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, ca, ca_k, &c), MGW_ERR_DN_SYNTAX);
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_ERR_DN_SYNTAX);
    ck_assert_int_eq(mgw_certopts_add_upn(o, "u@corp.example"), MGW_OK);
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_ERR_DN_SYNTAX); /* self-signed */
    ck_assert_int_eq(mgw_cert_create(o, k, ca, ca_k, &c), MGW_OK);
    mgw_span v;
    bool crit;
    ck_assert(find_ext(c, "551D11", &v, &crit));
    ck_assert(crit);
    mgw_cert_free(&c);
    mgw_cert_free(&ca);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
    mgw_key_free(&ca_k);
}
END_TEST

START_TEST(ca_issued_leaf_chains_and_carries_aki)
{
    mgw_key_t *ca_k = new_key(MGW_KEY_P256), *k = new_key(MGW_KEY_P256);
    mgw_cert_t *ca = make_ca(ca_k, "CN=Imago Verum Device CA,O=Imago Verum,C=DE", 0);
    ck_assert_int_eq(mgw_cert_is_ca(ca), 1);
    mgw_span v;
    bool crit;
    ck_assert(find_ext(ca, "551D13", &v, &crit));
    ck_assert(crit);
    assert_span_hex(v, "30060101FF020100");
    ck_assert(find_ext(ca, "551D0F", &v, &crit));
    ck_assert(crit);
    assert_span_hex(v, "03020106");
    ck_assert(!find_ext(ca, "551D25", &v, &crit)); /* no EKU on the CA by default */
    mgw_span ca_ski;
    ck_assert(find_ext(ca, "551D0E", &ca_ski, &crit));

    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(o, "CN=device1"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_eku(o, "clientAuth"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_eku(o, "serverAuth"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_eku(o, "1.3.6.1.5.5.7.3.2"), MGW_OK); /* duplicate */
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, ca, ca_k, &c), MGW_OK);
    ck_assert_uint_eq(mgw_cert_eku_count(c), 2);
    char *s;
    ck_assert_int_eq(mgw_cert_issuer(c, &s), MGW_OK);
    ck_assert_str_eq(s, "CN=Imago Verum Device CA,O=Imago Verum,C=DE");
    mgw_free(s);
    ck_assert(find_ext(c, "551D23", &v, &crit));
    ck_assert_uint_eq(v.len, 2 + 2 + 20);
    ck_assert_int_eq(v.p[2], 0x80);
    ck_assert_int_eq(memcmp(v.p + 4, ca_ski.p + 2, 20), 0);

    mbedtls_x509_crt root, leaf;
    mbedtls_x509_crt_init(&root);
    mbedtls_x509_crt_init(&leaf);
    ck_assert_int_eq(mbedtls_x509_crt_parse_der(&root, ca->der, ca->der_len), 0);
    ck_assert_int_eq(mbedtls_x509_crt_parse_der(&leaf, c->der, c->der_len), 0);
    uint32_t flags = 0;
    ck_assert_int_eq(mbedtls_x509_crt_verify(&leaf, &root, NULL, NULL, &flags, NULL, NULL), 0);
    mbedtls_x509_crt_free(&root);
    mbedtls_x509_crt_free(&leaf);

    /* pathlen 0 forbids a sub-CA; a leaf is not a CA; the wrong key is refused */
    mgw_certopts_t *sub = mgw_certopts_new();
    mgw_certopts_set_subject(sub, "CN=Sub CA");
    mgw_certopts_set_ca(sub, 1, 0);
    mgw_cert_t *x = NULL;
    ck_assert_int_eq(mgw_cert_create(sub, k, ca, ca_k, &x), MGW_ERR_NOT_CA);
    ck_assert_int_eq(mgw_cert_create(o, k, c, k, &x), MGW_ERR_NOT_CA);
    ck_assert_int_eq(mgw_cert_create(o, k, ca, k, &x), MGW_ERR_KEY_MISMATCH);
    ck_assert_int_eq(mgw_cert_create(o, k, ca, NULL, &x), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(x);
    ck_assert_int_eq(mgw_cert_check_key(ca, k), MGW_ERR_KEY_MISMATCH);
    mgw_certopts_free(&sub);
    mgw_cert_free(&c);
    mgw_cert_free(&ca);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
    mgw_key_free(&ca_k);
}
END_TEST

START_TEST(expired_ca_is_refused)
{
    mgw_key_t *ca_k = new_key(MGW_KEY_P256);
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_set_subject(o, "CN=Old CA");
    mgw_certopts_set_ca(o, 1, 0);
    mgw_certopts_set_not_before(o, mgw_now() - 10 * 86400);
    mgw_certopts_set_days(o, 1);
    mgw_cert_t *ca = NULL, *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, ca_k, NULL, NULL, &ca), MGW_OK);
    mgw_certopts_t *leaf = mgw_certopts_new();
    mgw_certopts_set_subject(leaf, "CN=x");
    ck_assert_int_eq(mgw_cert_create(leaf, ca_k, ca, ca_k, &c), MGW_ERR_VALIDITY);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "expired"));
    mgw_certopts_free(&leaf);
    mgw_certopts_free(&o);
    mgw_cert_free(&ca);
    mgw_key_free(&ca_k);
}
END_TEST

START_TEST(validity_limits_and_time_encodings)
{
    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_days(o, 0), MGW_ERR_VALIDITY);
    ck_assert_int_eq(mgw_certopts_set_days(o, 36501), MGW_ERR_VALIDITY);
    ck_assert_int_eq(mgw_certopts_set_days(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_certopts_set_days(o, 36500), MGW_OK);
    mgw_key_t *k = new_key(MGW_KEY_P256);
    mgw_certopts_set_subject(o, "CN=long");
    /* notBefore 2049-12-31 23:59:59 (UTCTime) + 36500 days (GeneralizedTime) */
    ck_assert_int_eq(mgw_certopts_set_not_before(o, 2524607999LL), MGW_OK);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    ck_assert_ptr_nonnull(test_memmem(c->der, c->der_len, "\x17\x0D" "491231235959Z", 15));
    ck_assert_ptr_nonnull(test_memmem(c->der, c->der_len, "\x18\x0F" "21491207235959Z", 17));
    int64_t nb, na;
    mgw_cert_validity(c, &nb, &na);
    ck_assert_int_eq(nb, 2524607999LL);
    ck_assert_int_eq(na - nb, 36500LL * 86400);
    mgw_cert_free(&c);
    ck_assert_int_eq(mgw_certopts_set_not_before(o, -700000000LL), MGW_ERR_VALIDITY);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
}
END_TEST

static int zero_rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    memset(out, 0, len);
    return 0;
}

/* 0xFF for the first request (the serial), then ordinary pseudo-random bytes. */
static int ff_rng(void *ctx, unsigned char *out, size_t len)
{
    test_rng *r = ctx;
    if (r->s == 0) {
        memset(out, 0xFF, len);
        r->s = 99;
        return 0;
    }
    return test_rng_cb(ctx, out, len);
}

static int failing_rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx, (void)out, (void)len;
    return -1;
}

START_TEST(serials_are_positive_and_rng_failures_surface)
{
    mgw_key_t *k = new_key(MGW_KEY_P256);
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_set_subject(o, "CN=s");
    mgw_cert_t *c = NULL;
    test_rng ffstate = {0};
    ck_assert_int_eq(mgw_certopts_set_rng(o, ff_rng, &ffstate), MGW_OK);
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    ck_assert_uint_eq(c->serial.len, 16);
    ck_assert_int_eq(c->serial.p[0], 0x7F);
    mgw_cert_free(&c);
    mgw_certopts_set_rng(o, zero_rng, NULL);
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_ERR_RANDOM);
    mgw_certopts_set_rng(o, failing_rng, NULL);
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_ERR_RANDOM);
    ck_assert_ptr_null(c);
    mgw_key_t *k2 = mgw_key_new();
    mgw_key_set_rng(k2, failing_rng, NULL);
    ck_assert_int_eq(mgw_key_generate(k2, MGW_KEY_P256), MGW_ERR_RANDOM);
    ck_assert_int_eq(mgw_key_type(k2), 0);
    mgw_key_free(&k2);
    /* two default-seeded objects never share serials */
    mgw_certopts_t *o2 = mgw_certopts_new();
    mgw_certopts_set_subject(o2, "CN=s");
    mgw_cert_t *a = NULL, *b = NULL;
    ck_assert_int_eq(mgw_cert_create(o2, k, NULL, NULL, &a), MGW_OK);
    ck_assert_int_eq(mgw_cert_create(o2, k, NULL, NULL, &b), MGW_OK);
    ck_assert_int_ne(memcmp(a->serial.p, b->serial.p, 16), 0);
    mgw_cert_free(&a);
    mgw_cert_free(&b);
    mgw_certopts_free(&o2);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
}
END_TEST

START_TEST(deterministic_rng_gives_identical_certificates)
{
    mgw_cert_t *c[2];
    for (int i = 0; i < 2; i++) {
        test_rng kr = {0x1234567887654321ULL}, cr = {0xABCDEF0011223344ULL};
        mgw_key_t *k = mgw_key_new();
        mgw_key_set_rng(k, test_rng_cb, &kr);
        ck_assert_int_eq(mgw_key_generate(k, MGW_KEY_P256), MGW_OK);
        mgw_certopts_t *o = mgw_certopts_new();
        mgw_certopts_set_rng(o, test_rng_cb, &cr);
        mgw_certopts_set_subject(o, "CN=det");
        mgw_certopts_set_not_before(o, 1700000000);
        ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c[i]), MGW_OK);
        mgw_certopts_free(&o);
        mgw_key_free(&k);
    }
    ck_assert_uint_eq(c[0]->der_len, c[1]->der_len);
    ck_assert_int_eq(memcmp(c[0]->der, c[1]->der, c[0]->der_len), 0);
    mgw_cert_free(&c[0]);
    mgw_cert_free(&c[1]);
}
END_TEST

START_TEST(key_types_and_weak_rsa_are_refused)
{
    mgw_key_t *k = mgw_key_new();
    ck_assert_int_eq(mgw_key_generate(k, 0), MGW_ERR_KEY_TYPE);
    ck_assert_int_eq(mgw_key_generate(k, 99), MGW_ERR_KEY_TYPE);
    ck_assert_int_eq(mgw_key_type(k), 0);
    /* an RSA-1024 key made by mbedTLS directly */
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    mgw_rng rng;
    mgw_rng_init(&rng);
    ck_assert_int_eq(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
    ck_assert_int_eq(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mgw_rng_mbedtls, &rng, 1024, 65537), 0);
    uint8_t buf[4096];
    int n = mbedtls_pk_write_key_der(&pk, buf, sizeof(buf));
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(mgw_key_load(k, buf + sizeof(buf) - n, (size_t)n, NULL, 0), MGW_ERR_KEY_TYPE);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "1024"));
    /* an unsupported curve (P-521) */
    mbedtls_pk_free(&pk);
    mbedtls_pk_init(&pk);
    ck_assert_int_eq(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    ck_assert_int_eq(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP521R1, mbedtls_pk_ec(pk),
                                         mgw_rng_mbedtls, &rng), 0);
    n = mbedtls_pk_write_key_der(&pk, buf, sizeof(buf));
    ck_assert_int_eq(mgw_key_load(k, buf + sizeof(buf) - n, (size_t)n, NULL, 0), MGW_ERR_KEY_TYPE);
    mbedtls_pk_free(&pk);
    mgw_rng_free(&rng);
    ck_assert_int_eq(mgw_key_load(k, (const uint8_t *)"garbage", 7, NULL, 0), MGW_ERR_KEY_PARSE);
    mgw_key_free(&k);
}
END_TEST

/* What mgw_cert_key_info reported when mbedTLS parsed the key: mgw_pk_info,
 * else the bit length mbedTLS gives. */
static void check_spki_info(mbedtls_pk_context *pk, const char *what)
{
    uint8_t buf[2048];
    int n = mbedtls_pk_write_pubkey_der(pk, buf, sizeof(buf));
    ck_assert_int_gt(n, 0);
    int want_type, want_bits, type, bits;
    mgw_pk_info(pk, &want_type, &want_bits);
    if (want_bits == 0)
        want_bits = (int)mbedtls_pk_get_bitlen(pk);
    mgw_spki_info(buf + sizeof(buf) - n, (size_t)n, &type, &bits);
    ck_assert_msg(type == want_type && bits == want_bits, "%s: %d/%d, mbedTLS %d/%d", what, type,
                  bits, want_type, want_bits);
}

START_TEST(public_key_info_without_mbedtls_agrees_with_mbedtls)
{
    static const struct {
        mbedtls_ecp_group_id id;
        const char *name;
    } curves[] = {{MBEDTLS_ECP_DP_SECP256R1, "P-256"},        {MBEDTLS_ECP_DP_SECP384R1, "P-384"},
                  {MBEDTLS_ECP_DP_SECP521R1, "P-521"},        {MBEDTLS_ECP_DP_SECP256K1, "secp256k1"},
                  {MBEDTLS_ECP_DP_BP256R1, "brainpoolP256r1"}, {MBEDTLS_ECP_DP_SECP224R1, "P-224"}};
    mgw_rng rng;
    mgw_rng_init(&rng);
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        ck_assert_int_eq(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
        ck_assert_int_eq(mbedtls_ecp_gen_key(curves[i].id, mbedtls_pk_ec(pk), mgw_rng_mbedtls, &rng),
                         0);
        check_spki_info(&pk, curves[i].name);
        mbedtls_pk_free(&pk);
    }
    static const unsigned rsa[] = {1024, 2048};
    for (size_t i = 0; i < 2; i++) {
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        ck_assert_int_eq(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
        ck_assert_int_eq(
            mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mgw_rng_mbedtls, &rng, rsa[i], 65537), 0);
        check_spki_info(&pk, rsa[i] == 1024 ? "RSA-1024" : "RSA-2048");
        mbedtls_pk_free(&pk);
    }
    mgw_rng_free(&rng);
    int type = -1, bits = -1;
    mgw_spki_info((const uint8_t *)"\x30\x03\x02\x01\x00", 5, &type, &bits);
    ck_assert_int_eq(type, 0);
    ck_assert_int_eq(bits, 0);
}
END_TEST

START_TEST(encrypted_key_export_round_trips)
{
    mgw_key_t *k = new_key(MGW_KEY_P256), *back = mgw_key_new();
    uint8_t *pem;
    size_t n;
    const char *pw = "p\xC3\xA4ss w\xC3\xB6rd";
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_PEM, pw, strlen(pw), 1000, &pem, &n),
                     MGW_OK);
    ck_assert_ptr_nonnull(strstr((char *)pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    ck_assert_int_eq(mgw_key_load(back, pem, n, "wrong", 5), MGW_ERR_WRONG_PASSWORD);
    ck_assert_int_eq(mgw_key_type(back), 0); /* a failed load leaves the key empty */
    ck_assert_int_eq(mgw_key_load(back, pem, n, NULL, 0), MGW_ERR_PASSWORD);
    ck_assert_int_eq(mgw_key_load(back, pem, n, pw, strlen(pw)), MGW_OK);
    ck_assert_int_eq(mgw_key_type(back), MGW_KEY_P256);
    mgw_cert_t *c = self_signed(k, "CN=k");
    ck_assert_int_eq(mgw_cert_check_key(c, back), MGW_OK);
    mgw_free(pem);
    /* DER form and the empty password */
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_DER, "", 0, 0, &pem, &n), MGW_OK);
    mgw_key_t *b2 = mgw_key_new();
    ck_assert_int_eq(mgw_key_load(b2, pem, n, "", 0), MGW_OK);
    ck_assert_int_eq(mgw_cert_check_key(c, b2), MGW_OK);
    mgw_free(pem);
    ck_assert_int_eq(mgw_key_export_encrypted(k, 9, "", 0, 0, &pem, &n), MGW_ERR_INVALID_ARGUMENT);
    mgw_key_t *empty = mgw_key_new();
    ck_assert_int_eq(mgw_key_export_encrypted(empty, MGW_FORMAT_PEM, "", 0, 0, &pem, &n),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_key_export_public(k, MGW_FORMAT_PEM, &pem, &n), MGW_OK);
    ck_assert_ptr_nonnull(strstr((char *)pem, "PUBLIC KEY"));
    mgw_free(pem);
    mgw_key_free(&empty);
    mgw_key_free(&b2);
    mgw_cert_free(&c);
    mgw_key_free(&back);
    mgw_key_free(&k);
}
END_TEST

START_TEST(encrypted_key_export_takes_the_password_rule)
{
    /* the rule of every password the library takes: at most 1024 bytes of
     * UTF-8 without NUL; nothing is handed out on refusal */
    mgw_key_t *k = new_key(MGW_KEY_P256);
    uint8_t *out = NULL;
    size_t n = 0;
    char big[1025];
    memset(big, 'p', sizeof(big));
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_PEM, big, 1025, 1000, &out, &n),
                     MGW_ERR_PASSWORD);
    ck_assert_ptr_null(strstr(mgw_last_error(), "ppp")); /* never shows the password */
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_PEM, "a\0b", 3, 1000, &out, &n),
                     MGW_ERR_PASSWORD);
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_DER, "caf\xE9", 4, 1000, &out, &n),
                     MGW_ERR_UTF8);
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_PEM, "\xC0\x80", 2, 1000, &out, &n),
                     MGW_ERR_UTF8); /* an overlong NUL is no way around the NUL rule */
    ck_assert_ptr_null(out);
    /* 1024 bytes is within the rule, and the key loads back with it */
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_PEM, big, 1024, 1000, &out, &n),
                     MGW_OK);
    mgw_key_t *back = mgw_key_new();
    ck_assert_int_eq(mgw_key_load(back, out, n, big, 1024), MGW_OK);
    ck_assert_int_eq(mgw_key_type(back), MGW_KEY_P256);
    mgw_free(out);
    mgw_key_free(&back);
    mgw_key_free(&k);
}
END_TEST

START_TEST(san_inputs_are_validated)
{
    mgw_certopts_t *o = mgw_certopts_new();
    static const char *bad_upn[] = {"", "nouser", "@d.com", "u@", "u@@d", "u@d@e", "u d@x.com",
                                    "u@.com", "u@com.", "u\x01@x.com", "u\xC3@x.com",
                                    "u\xE2\x80\x8E@x.com"};
    for (size_t i = 0; i < sizeof(bad_upn) / sizeof(bad_upn[0]); i++)
        ck_assert_int_eq(mgw_certopts_add_upn(o, bad_upn[i]), MGW_ERR_UPN);
    ck_assert_int_eq(mgw_certopts_add_upn(o, "j\xC3\xBCrgen@imagoverum.com"), MGW_OK);
    char longupn[1100];
    memset(longupn, 'a', sizeof(longupn));
    longupn[300] = '@';
    longupn[1099] = 0;
    ck_assert_int_eq(mgw_certopts_add_upn(o, longupn), MGW_ERR_UPN);
    static const char *bad_mail[] = {"", "a", "a@", "@b.c", "a@b@c.d", "a b@c.d", "j\xC3\xBC@x.de",
                                     ".a@b.c", "a.@b.c", "a..b@c.d", "a@-b.c", "a@b..c",
                                     "a@b_c.d"};
    for (size_t i = 0; i < sizeof(bad_mail) / sizeof(bad_mail[0]); i++)
        ck_assert_int_eq(mgw_certopts_add_email(o, bad_mail[i]), MGW_ERR_EMAIL);
    ck_assert_int_eq(mgw_certopts_add_email(o, "first.last+tag@mail.imagoverum.com"), MGW_OK);
    static const char *bad_dns[] = {"", ".", "a..b", "-a.b", "a-.b", "a b", "*.*.b", "a.*.b",
                                    "\xC3\xBC.de", "a_b.c"};
    for (size_t i = 0; i < sizeof(bad_dns) / sizeof(bad_dns[0]); i++)
        ck_assert_int_eq(mgw_certopts_add_dns(o, bad_dns[i]), MGW_ERR_DNS);
    ck_assert_int_eq(mgw_certopts_add_dns(o, "*.mail.imagoverum.com"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_dns(o, "xn--jrgen-kva.de"), MGW_OK);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".com");
    ck_assert_int_eq(mgw_certopts_add_dns(o, label), MGW_ERR_DNS);
    static const char *bad_uri[] = {"", "noscheme", "1http://x", "http:", "http://a b",
                                    "http://\xC3\xBC"};
    for (size_t i = 0; i < sizeof(bad_uri) / sizeof(bad_uri[0]); i++)
        ck_assert_int_eq(mgw_certopts_add_uri(o, bad_uri[i]), MGW_ERR_URI);
    ck_assert_int_eq(mgw_certopts_add_uri(o, "https://imagoverum.com/device/1"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_eku(o, "clientauth"), MGW_ERR_EKU);
    ck_assert_int_eq(mgw_certopts_add_eku(o, "1.2"), MGW_OK);
    ck_assert_int_eq(mgw_certopts_add_eku(o, "1.2.x"), MGW_ERR_EKU);
    ck_assert_int_eq(mgw_certopts_add_upn(NULL, "a@b"), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_certopts_set_ca(o, 1, 256), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_certopts_set_subject(o, "CN=a,XX=b"), MGW_ERR_DN_ATTRIBUTE);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "position"));

    /* several of each land in the certificate, in order */
    mgw_certopts_add_upn(o, "second@imagoverum.com");
    mgw_certopts_set_subject(o, "CN=multi");
    mgw_key_t *k = new_key(MGW_KEY_P256);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    ck_assert_uint_eq(mgw_cert_san_count(c), 6);
    int type;
    char *v;
    ck_assert_int_eq(mgw_cert_san(c, 0, &type, &v), MGW_OK);
    ck_assert_int_eq(type, MGW_SAN_UPN);
    ck_assert_str_eq(v, "j\xC3\xBCrgen@imagoverum.com");
    mgw_free(v);
    ck_assert_int_eq(mgw_cert_san(c, 4, &type, &v), MGW_OK);
    ck_assert_int_eq(type, MGW_SAN_URI);
    mgw_free(v);
    ck_assert_int_eq(mgw_cert_san(c, 5, &type, &v), MGW_OK);
    ck_assert_str_eq(v, "second@imagoverum.com");
    mgw_free(v);
    mgw_cert_free(&c);
    mgw_key_free(&k);
    mgw_certopts_free(&o);
}
END_TEST

/* A CSR made by mbedTLS's own writer (not our code). */
static size_t make_csr(mbedtls_pk_context *pk, const char *subject, uint8_t *out, size_t cap)
{
    mbedtls_x509write_csr w;
    mbedtls_x509write_csr_init(&w);
    mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&w, pk);
    ck_assert_int_eq(mbedtls_x509write_csr_set_subject_name(&w, subject), 0);
    mgw_rng rng;
    mgw_rng_init(&rng);
    int n = mbedtls_x509write_csr_der(&w, out, cap, mgw_rng_mbedtls, &rng);
    ck_assert_int_gt(n, 0);
    memmove(out, out + cap - (size_t)n, (size_t)n);
    mgw_rng_free(&rng);
    mbedtls_x509write_csr_free(&w);
    return (size_t)n;
}

START_TEST(check_issuer_verifies_name_and_signature)
{
    static const int types[] = {MGW_KEY_RSA2048, MGW_KEY_P256, MGW_KEY_P384};
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        mgw_key_t *ca_k = new_key(types[t]), *twin_k = new_key(MGW_KEY_P256), *k = new_key(MGW_KEY_P256);
        mgw_cert_t *ca = make_ca(ca_k, "CN=Issuer CA,O=Imago Verum", 0);
        mgw_cert_t *twin = make_ca(twin_k, "CN=Issuer CA,O=Imago Verum", 0); /* same name, other key */
        mgw_cert_t *other = make_ca(twin_k, "CN=Other CA", 0);
        mgw_certopts_t *o = mgw_certopts_new();
        ck_assert_int_eq(mgw_certopts_set_subject(o, "CN=device"), MGW_OK);
        mgw_cert_t *c = NULL;
        ck_assert_int_eq(mgw_cert_create(o, k, ca, ca_k, &c), MGW_OK);
        ck_assert_int_eq(mgw_cert_check_issuer(c, ca), MGW_OK);
        ck_assert_int_eq(mgw_cert_check_issuer(ca, ca), MGW_OK); /* self-signed */
        ck_assert_int_eq(mgw_cert_check_issuer(c, twin), MGW_ERR_CERT_SIGNATURE);
        ck_assert_int_eq(mgw_cert_check_issuer(c, other), MGW_ERR_CERT_SIGNATURE);
        ck_assert_int_eq(mgw_cert_check_issuer(ca, c), MGW_ERR_CERT_SIGNATURE);
        ck_assert_int_eq(mgw_cert_check_issuer(NULL, ca), MGW_ERR_INVALID_ARGUMENT);
        ck_assert_int_eq(mgw_cert_check_issuer(c, NULL), MGW_ERR_INVALID_ARGUMENT);
        /* a flipped bit in the signature, and one in the serial number (signed
         * part): both still parse, neither verifies */
        size_t tbs_hdr = 2 + ((c->tbs.p[1] & 0x80) ? (c->tbs.p[1] & 0x7f) : 0);
        size_t in_serial = (size_t)(c->tbs.p - c->der) + tbs_hdr + 5 /* [0] version */ + 2 + 3;
        const size_t flips[] = {c->der_len - 3, in_serial};
        for (size_t f = 0; f < 2; f++) {
            uint8_t *der = malloc(c->der_len);
            memcpy(der, c->der, c->der_len);
            der[flips[f]] ^= 0x01;
            mgw_cert_t *bad = NULL;
            ck_assert_int_eq(mgw_cert_parse(der, c->der_len, &bad), MGW_OK);
            ck_assert_int_eq(mgw_cert_check_issuer(bad, ca), MGW_ERR_CERT_SIGNATURE);
            ck_assert_ptr_nonnull(strstr(mgw_last_error(), "does not verify"));
            mgw_cert_free(&bad);
            free(der);
        }
        mgw_cert_free(&c);
        mgw_cert_free(&ca);
        mgw_cert_free(&twin);
        mgw_cert_free(&other);
        mgw_certopts_free(&o);
        mgw_key_free(&ca_k);
        mgw_key_free(&twin_k);
        mgw_key_free(&k);
    }
}
END_TEST

START_TEST(csr_is_verified_and_signed_with_our_policy)
{
    mgw_key_t *ca_k = new_key(MGW_KEY_P256), *dev = new_key(MGW_KEY_P256);
    mgw_cert_t *ca = make_ca(ca_k, "CN=Corp CA", 0);
    uint8_t der[2048];
    size_t n = make_csr(&dev->pk, "CN=phone-17,O=Imago Verum", der, sizeof(der));
    mgw_csr_t *csr = NULL;
    ck_assert_int_eq(mgw_csr_parse(der, n, &csr), MGW_OK);
    char *s;
    /* mbedTLS takes its subject string in DER order; RFC 4514 text is the reverse */
    ck_assert_int_eq(mgw_csr_subject(csr, &s), MGW_OK);
    ck_assert_str_eq(s, "O=Imago Verum,CN=phone-17");
    mgw_free(s);

    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_add_upn(o, "phone17@imagoverum.com");
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_sign_csr(o, csr, ca, ca_k, &c), MGW_OK);
    ck_assert_int_eq(mgw_cert_subject(c, &s), MGW_OK);
    ck_assert_str_eq(s, "O=Imago Verum,CN=phone-17");
    mgw_free(s);
    ck_assert_int_eq(mgw_cert_check_key(c, dev), MGW_OK);
    ck_assert_uint_eq(mgw_cert_eku_count(c), 1);
    ck_assert_uint_eq(mgw_cert_san_count(c), 1);
    mgw_cert_free(&c);
    /* the subject can be overridden */
    mgw_certopts_set_subject(o, "CN=override");
    ck_assert_int_eq(mgw_cert_sign_csr(o, csr, ca, ca_k, &c), MGW_OK);
    ck_assert_int_eq(mgw_cert_subject(c, &s), MGW_OK);
    ck_assert_str_eq(s, "CN=override");
    mgw_free(s);
    mgw_cert_free(&c);
    mgw_csr_free(&csr);

    /* tampered: flip a byte of the subject, then of the signature */
    uint8_t bad[2048];
    memcpy(bad, der, n);
    uint8_t *p = test_memmem(bad, n, "phone-17", 8);
    ck_assert_ptr_nonnull(p);
    p[0] = 'P';
    ck_assert_int_eq(mgw_csr_parse(bad, n, &csr), MGW_ERR_CSR_SIGNATURE);
    memcpy(bad, der, n);
    bad[n - 5] ^= 0x01;
    ck_assert_int_eq(mgw_csr_parse(bad, n, &csr), MGW_ERR_CSR_SIGNATURE);
    ck_assert_ptr_null(csr);
    /* truncations never crash */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_ne(mgw_csr_parse(der, i, &csr), MGW_OK);
    /* PEM form */
    mgw_dbuf pem;
    mgw_dbuf_init(&pem);
    mgw_pem_write("CERTIFICATE REQUEST", der, n, &pem);
    ck_assert_int_eq(mgw_csr_parse(pem.p, pem.len, &csr), MGW_OK);
    mgw_csr_free(&csr);
    mgw_dbuf_free(&pem);
    mgw_certopts_free(&o);
    mgw_cert_free(&ca);
    mgw_key_free(&dev);
    mgw_key_free(&ca_k);
}
END_TEST

START_TEST(certificate_parser_survives_hostile_input)
{
    mgw_key_t *k = new_key(MGW_KEY_P256);
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_set_subject(o, "CN=fuzz,OU=a+OU=b,O=x");
    mgw_certopts_add_upn(o, "f@x.com");
    mgw_certopts_add_dns(o, "x.com");
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    size_t n = c->der_len;
    uint8_t *der = malloc(n);
    memcpy(der, c->der, n);
    mgw_cert_t *x = NULL;
    for (size_t i = 0; i < n; i++) {
        int r = mgw_cert_parse(der, i, &x);
        ck_assert_int_ne(r, MGW_OK);
        ck_assert_ptr_null(x);
    }
    test_rng rng = {42};
    uint8_t *m = malloc(n);
    for (int i = 0; i < 20000; i++) {
        memcpy(m, der, n);
        unsigned char pick[4];
        test_rng_cb(&rng, pick, 4);
        size_t pos = ((size_t)pick[0] << 8 | pick[1]) % n;
        m[pos] ^= (uint8_t)(pick[2] | 1);
        if (mgw_cert_parse(m, n, &x) == MGW_OK) {
            char *d = NULL;
            mgw_cert_describe(x, MGW_DESCRIBE_JSON, &d);
            mgw_free(d);
            mgw_cert_free(&x);
        }
    }
    ck_assert_int_eq(mgw_cert_parse((const uint8_t *)"-----BEGIN CERTIFICATE-----\n!!\n"
                                                     "-----END CERTIFICATE-----\n",
                                    59, &x),
                     MGW_ERR_PEM);
    ck_assert_int_eq(mgw_cert_parse(NULL, 0, &x), MGW_ERR_INVALID_ARGUMENT);
    free(m);
    free(der);
    mgw_cert_free(&c);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
}
END_TEST

START_TEST(pem_edge_cases)
{
    mgw_cert_t *c = NULL;
    const char *empty = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    ck_assert_int_eq(mgw_cert_parse((const uint8_t *)empty, strlen(empty), &c), MGW_ERR_PEM);
    mgw_key_t *k = new_key(MGW_KEY_P256), *back = mgw_key_new();
    mgw_cert_t *cert = self_signed(k, "CN=combined");
    uint8_t *cp, *kp;
    size_t cl, kl;
    ck_assert_int_eq(mgw_cert_export(cert, MGW_FORMAT_PEM, &cp, &cl), MGW_OK);
    ck_assert_int_eq(mgw_key_export_encrypted(k, MGW_FORMAT_PEM, "pw", 2, 1, &kp, &kl), MGW_OK);
    /* certificate first, key second, in one file */
    uint8_t *both = malloc(cl + kl);
    memcpy(both, cp, cl);
    memcpy(both + cl, kp, kl);
    ck_assert_int_eq(mgw_key_load(back, both, cl + kl, "pw", 2), MGW_OK);
    ck_assert_int_eq(mgw_cert_check_key(cert, back), MGW_OK);
    ck_assert_int_eq(mgw_key_load(back, cp, cl, NULL, 0), MGW_ERR_KEY_PARSE);
    free(both);
    mgw_free(cp);
    mgw_free(kp);
    mgw_cert_free(&cert);
    mgw_key_free(&k);
    mgw_key_free(&back);
}
END_TEST

START_TEST(describe_json_and_text)
{
    mgw_key_t *k = new_key(MGW_KEY_P256);
    mgw_certopts_t *o = mgw_certopts_new();
    mgw_certopts_set_subject(o, "CN=Quote \\\"x\\\"");
    mgw_certopts_add_upn(o, "eas@imagoverum.com");
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    char *j, *t;
    ck_assert_int_eq(mgw_cert_describe(c, MGW_DESCRIBE_JSON, &j), MGW_OK);
    ck_assert_ptr_nonnull(strstr(j, "\"subject\":\"CN=Quote \\\\\\\"x\\\\\\\"\""));
    ck_assert_ptr_nonnull(strstr(j, "{\"type\":\"upn\",\"value\":\"eas@imagoverum.com\"}"));
    ck_assert_ptr_nonnull(strstr(j, "\"name\":\"clientAuth\""));
    ck_assert_int_eq(mgw_cert_describe(c, MGW_DESCRIBE_TEXT, &t), MGW_OK);
    ck_assert_ptr_nonnull(strstr(t, "SAN upn"));
    ck_assert_int_eq(mgw_cert_describe(c, 3, &t), MGW_ERR_INVALID_ARGUMENT);
    mgw_free(j);
    mgw_free(t);
    mgw_cert_free(&c);
    mgw_certopts_free(&o);
    mgw_key_free(&k);
}
END_TEST

typedef struct {
    int type;
    int ok;
    uint8_t serial[16];
} thread_job;

static void *issue_in_thread(void *arg)
{
    thread_job *j = arg;
    mgw_key_t *ca_k = mgw_key_new(), *k = mgw_key_new();
    mgw_certopts_t *cao = mgw_certopts_new(), *o = mgw_certopts_new();
    mgw_cert_t *ca = NULL, *c = NULL;
    j->ok = mgw_key_generate(ca_k, MGW_KEY_P256) == MGW_OK &&
            mgw_key_generate(k, j->type) == MGW_OK &&
            mgw_certopts_set_subject(cao, "CN=Thread CA") == MGW_OK &&
            mgw_certopts_set_ca(cao, 1, 0) == MGW_OK &&
            mgw_cert_create(cao, ca_k, NULL, NULL, &ca) == MGW_OK &&
            mgw_certopts_set_subject(o, "CN=thread leaf") == MGW_OK &&
            mgw_certopts_add_upn(o, "t@imagoverum.com") == MGW_OK &&
            mgw_cert_create(o, k, ca, ca_k, &c) == MGW_OK && mgw_cert_check_key(c, k) == MGW_OK &&
            strcmp(mgw_last_error(), "") == 0;
    if (c != NULL)
        memcpy(j->serial, c->serial.p, 16);
    mgw_cert_free(&c);
    mgw_cert_free(&ca);
    mgw_certopts_free(&o);
    mgw_certopts_free(&cao);
    mgw_key_free(&k);
    mgw_key_free(&ca_k);
    return NULL;
}

START_TEST(distinct_objects_work_from_many_threads)
{
    enum { N = 8 };
    pthread_t t[N];
    thread_job jobs[N];
    for (int i = 0; i < N; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].type = i == 0 ? MGW_KEY_RSA2048 : (i % 2 ? MGW_KEY_P256 : MGW_KEY_P384);
        ck_assert_int_eq(pthread_create(&t[i], NULL, issue_in_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(jobs[i].ok, "thread %d failed", i);
        for (int k = 0; k < i; k++)
            ck_assert_int_ne(memcmp(jobs[i].serial, jobs[k].serial, 16), 0);
    }
}
END_TEST

/* An empty PEM block reaches the DER parser with no data at all (UBSan
 * checks the copy of nothing from NULL in the ASan build). */
START_TEST(empty_der_is_refused_without_undefined_behaviour)
{
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_from_der(NULL, 0, &c), MGW_ERR_CERT_PARSE);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(mgw_cert_parse((const uint8_t *)"-----BEGIN CERTIFICATE-----\n-----END "
                                                     "CERTIFICATE-----\n",
                                    54, &c),
                     MGW_ERR_PEM);
    ck_assert_ptr_null(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cert");
    TCase *t = tcase_create("cert");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, upn_other_name_is_byte_exact);
    tcase_add_test(t, empty_der_is_refused_without_undefined_behaviour);
    tcase_add_test(t, procedure_certificate_has_every_field);
    tcase_add_test(t, ec_leaf_has_digital_signature_only_and_ecdsa);
    tcase_add_test(t, empty_subject_needs_san_and_makes_it_critical);
    tcase_add_test(t, ca_issued_leaf_chains_and_carries_aki);
    tcase_add_test(t, check_issuer_verifies_name_and_signature);
    tcase_add_test(t, expired_ca_is_refused);
    tcase_add_test(t, validity_limits_and_time_encodings);
    tcase_add_test(t, serials_are_positive_and_rng_failures_surface);
    tcase_add_test(t, deterministic_rng_gives_identical_certificates);
    tcase_add_test(t, key_types_and_weak_rsa_are_refused);
    tcase_add_test(t, public_key_info_without_mbedtls_agrees_with_mbedtls);
    tcase_add_test(t, encrypted_key_export_round_trips);
    tcase_add_test(t, encrypted_key_export_takes_the_password_rule);
    tcase_add_test(t, san_inputs_are_validated);
    tcase_add_test(t, csr_is_verified_and_signed_with_our_policy);
    tcase_add_test(t, certificate_parser_survives_hostile_input);
    tcase_add_test(t, describe_json_and_text);
    tcase_add_test(t, pem_edge_cases);
    tcase_add_test(t, distinct_objects_work_from_many_threads);
    suite_add_tcase(s, t);
    return test_run(s);
}
