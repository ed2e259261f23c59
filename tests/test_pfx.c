/* Suite "pfx": PKCS#12 KDF vectors, writer and reader round trips, attributes,
 * password encodings, and every reader error path with crafted input. */
#include "pfx/pfx.h"
#include "testutil.h"

#include <mbedtls/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the PKCS#12 KDF ---------------------------------------------------------- */

typedef struct {
    mbedtls_md_type_t md;
    const char *pw_hex; /* BMPString with terminator, as OpenSSL's kdf takes it */
    const char *salt_hex;
    uint32_t iter;
    uint8_t id;
    const char *want;
} kdf_vector;

/* Made with `openssl kdf -keylen N -kdfopt digest:D -kdfopt hexpass:P
 * -kdfopt hexsalt:S -kdfopt iter:I -kdfopt id:ID PKCS12KDF` (OpenSSL 3.0);
 * the first two are OpenSSL's own test vectors for "smeg" and "queeg". */
static const kdf_vector kdf_vectors[] = {
    {MBEDTLS_MD_SHA1, "0073006d006500670000", "0A58CF64530D823F", 1, 1,
     "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3"},
    {MBEDTLS_MD_SHA1, "0073006d006500670000", "0A58CF64530D823F", 1, 2, "79993DFE048D3B76"},
    {MBEDTLS_MD_SHA1, "007100750065006500670000", "1682C0FC5B3F7EC5", 1000, 1,
     "483DD6E919D7DE2E8E648BA8F862F3FBFBDC2BCB2C02957F"},
    {MBEDTLS_MD_SHA256, "007000e400730073007700f600720064d83ddd110000", "0102030405060708", 2048,
     3, "0D7E9B87EEF8D80ED4311D8DDBF05BA9FB5213C7A540923EE0038686DBA2E5BC"},
    {MBEDTLS_MD_SHA1, "0000", "0102030405060708", 2048, 3,
     "422271A0229A8E68E59672D9278FE548EB74B013"},
};

/* BMPString hex (with terminator) back to UTF-8 for mgw_password. */
static char *bmp_hex_to_utf8(const char *hex, size_t *len)
{
    size_t n;
    uint8_t *bmp = test_unhex(hex, &n);
    mgw_dbuf u;
    mgw_dbuf_init(&u);
    ck_assert_int_eq(mgw_utf16_to_utf8(bmp, n - 2, true, &u), MGW_OK);
    char *s = calloc(1, u.len + 1);
    if (u.len > 0)
        memcpy(s, u.p, u.len);
    *len = u.len;
    mgw_dbuf_free(&u);
    free(bmp);
    return s;
}

START_TEST(kdf_matches_openssl_vectors)
{
    for (size_t i = 0; i < sizeof(kdf_vectors) / sizeof(kdf_vectors[0]); i++) {
        const kdf_vector *v = &kdf_vectors[i];
        size_t pwlen, saltlen, wantlen;
        char *pw = bmp_hex_to_utf8(v->pw_hex, &pwlen);
        uint8_t *salt = test_unhex(v->salt_hex, &saltlen);
        uint8_t *want = test_unhex(v->want, &wantlen);
        uint8_t out[64];
        mgw_password p = {(const uint8_t *)pw, pwlen, false};
        ck_assert_int_eq(mgw_pkcs12_kdf(v->md, &p, salt, saltlen, v->id, v->iter, out, wantlen),
                         MGW_OK);
        ck_assert_msg(memcmp(out, want, wantlen) == 0, "vector %zu differs", i);
        free(pw);
        free(salt);
        free(want);
    }
}
END_TEST

START_TEST(kdf_long_inputs_and_outputs)
{
    /* 'Ä' x 50 + 'x', 100-byte salt: several v-blocks of I and of output */
    char pw[128];
    size_t k = 0;
    for (int i = 0; i < 50; i++) {
        pw[k++] = (char)0xC3;
        pw[k++] = (char)0x84;
    }
    pw[k++] = 'x';
    uint8_t salt[100];
    for (int i = 0; i < 100; i++)
        salt[i] = (uint8_t)i;
    mgw_password p = {(const uint8_t *)pw, k, false};
    uint8_t out[100];
    size_t n;
    uint8_t *want = test_unhex("B569D3BF5892CC0FD934C60193760DD77F6EDAB6614FEC27A625C4522B7CFEF3"
                               "98C86E6329299D4D9A47EC1EF7BE35A86AA23E694BE0213A47AF548A10AC61E7"
                               "3D059C2017DEA3559EC2599930C30AF274465BACBF30A546C0CA0A7414B121CB"
                               "71C25105",
                               &n);
    ck_assert_uint_eq(n, 100);
    ck_assert_int_eq(mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, &p, salt, 100, 1, 3, out, 100), MGW_OK);
    ck_assert_int_eq(memcmp(out, want, 100), 0);
    free(want);
    want = test_unhex("27AFC72087F8530C9FC5E624C40CC68DBDECD07F571ABB8B47AAC51A24C3771F"
                      "84CA2BD1AC8EAFD7638C0F116F97A24D9229084EFB6A7F67C6C1E5BF96C69835",
                      &n);
    ck_assert_int_eq(mgw_pkcs12_kdf(MBEDTLS_MD_SHA512, &p, salt, 100, 2, 5, out, 64), MGW_OK);
    ck_assert_int_eq(memcmp(out, want, 64), 0);
    free(want);
}
END_TEST

START_TEST(kdf_agrees_with_mbedtls_including_no_password)
{
    test_rng rng = {77};
    for (int t = 0; t < 200; t++) {
        uint8_t raw[8], salt[40], out[48], ref[48], pwbuf[60];
        test_rng_cb(&rng, raw, sizeof(raw));
        size_t pwlen = raw[0] % 30, saltlen = 1 + raw[1] % 40, outlen = 1 + raw[2] % 48;
        uint32_t iter = 1 + raw[3] % 40;
        uint8_t id = (uint8_t)(1 + raw[4] % 3);
        mbedtls_md_type_t md = raw[5] % 2 ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256;
        bool none = raw[6] % 5 == 0;
        char pw[32];
        for (size_t i = 0; i < pwlen; i++)
            pw[i] = (char)('a' + raw[(i % 2) + 6] % 26 + (int)i % 3);
        test_rng_cb(&rng, salt, saltlen);
        /* mbedTLS wants the already-encoded BMPString (or nothing) */
        size_t bl = 0;
        if (!none) {
            for (size_t i = 0; i < pwlen; i++) {
                pwbuf[bl++] = 0;
                pwbuf[bl++] = (uint8_t)pw[i];
            }
            pwbuf[bl++] = 0;
            pwbuf[bl++] = 0;
        }
        ck_assert_int_eq(mbedtls_pkcs12_derivation(ref, outlen, none ? NULL : pwbuf, bl, salt,
                                                   saltlen, md, id, (int)iter),
                         0);
        mgw_password p = {(const uint8_t *)pw, pwlen, none};
        ck_assert_int_eq(mgw_pkcs12_kdf(md, &p, salt, saltlen, id, iter, out, outlen), MGW_OK);
        ck_assert_msg(memcmp(out, ref, outlen) == 0, "case %d differs", t);
    }
}
END_TEST

/* ---- writer and reader ------------------------------------------------------------- */

static mgw_key_t *key_p256, *key_rsa;
static mgw_cert_t *cert_p256, *cert_rsa, *ca_cert;

static mgw_cert_t *issue(mgw_key_t *k, const char *subject, bool ca)
{
    mgw_certopts_t *o = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(o, subject), MGW_OK);
    if (ca)
        mgw_certopts_set_ca(o, 1, 0);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(o, k, NULL, NULL, &c), MGW_OK);
    mgw_certopts_free(&o);
    return c;
}

static void fixtures_up(void)
{
    key_p256 = mgw_key_new();
    key_rsa = mgw_key_new();
    mgw_key_t *cak = mgw_key_new();
    ck_assert_int_eq(mgw_key_generate(key_p256, MGW_KEY_P256), MGW_OK);
    ck_assert_int_eq(mgw_key_generate(key_rsa, MGW_KEY_RSA2048), MGW_OK);
    ck_assert_int_eq(mgw_key_generate(cak, MGW_KEY_P256), MGW_OK);
    cert_p256 = issue(key_p256, "CN=J\xC3\xBCrgen's phone,O=Imago Verum", false);
    cert_rsa = issue(key_rsa, "CN=imagoverum.com", false);
    ca_cert = issue(cak, "CN=Corp CA", true);
    mgw_key_free(&cak);
}

static void fixtures_down(void)
{
    mgw_key_free(&key_p256);
    mgw_key_free(&key_rsa);
    mgw_cert_free(&cert_p256);
    mgw_cert_free(&cert_rsa);
    mgw_cert_free(&ca_cert);
}

static void write_pfx(mgw_pfxopts_t *o, mgw_cert_t *c, mgw_key_t *k, const char *pw,
                      uint8_t **out, size_t *n)
{
    ck_assert_int_eq(mgw_pfx_write(o, c, k, pw, pw != NULL ? strlen(pw) : 0, out, n), MGW_OK);
}

static void assert_same_cert(const mgw_cert_t *a, const mgw_cert_t *b)
{
    ck_assert_uint_eq(a->der_len, b->der_len);
    ck_assert_int_eq(memcmp(a->der, b->der, a->der_len), 0);
}

static void round_trip(int profile, mgw_cert_t *c, mgw_key_t *k, const char *pw)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    ck_assert_int_eq(mgw_pfxopts_set_profile(o, profile), MGW_OK);
    uint8_t *der;
    size_t n;
    write_pfx(o, c, k, pw, &der, &n);
    mgw_pfx_t *p = NULL;
    ck_assert_int_eq(mgw_pfx_parse(der, n, pw, pw != NULL ? strlen(pw) : 0, &p), MGW_OK);
    mgw_cert_t *back = NULL;
    mgw_key_t *kb = NULL;
    ck_assert_int_eq(mgw_pfx_cert(p, &back), MGW_OK);
    ck_assert_int_eq(mgw_pfx_key(p, &kb), MGW_OK);
    assert_same_cert(back, c);
    ck_assert_int_eq(mgw_cert_check_key(back, kb), MGW_OK);
    char *name;
    uint32_t it;
    ck_assert_int_eq(mgw_pfx_algorithm(p, MGW_PFX_PART_KEY, &name, &it), MGW_OK);
    ck_assert_str_eq(name, profile == MGW_PFX_PROFILE_COMPAT
                               ? "pbeWithSHAAnd3-KeyTripleDES-CBC"
                               : "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC");
    ck_assert_uint_eq(it, 2048);
    mgw_free(name);
    ck_assert_int_eq(mgw_pfx_algorithm(p, MGW_PFX_PART_MAC, &name, &it), MGW_OK);
    ck_assert_str_eq(name, profile == MGW_PFX_PROFILE_COMPAT ? "HMAC-SHA1" : "HMAC-SHA256");
    mgw_free(name);
    if (pw == NULL || pw[0] != '\0') {
        ck_assert_int_eq(mgw_pfx_parse(der, n, "wrong", 5, &p), MGW_ERR_PFX_MAC);
        ck_assert_str_eq(mgw_last_error(), "wrong password or corrupted file (MAC check failed)");
    }
    mgw_pfx_free(&p);
    ck_assert_ptr_null(p);
    mgw_cert_free(&back);
    mgw_key_free(&kb);
    mgw_free(der);
    mgw_pfxopts_free(&o);
}

START_TEST(both_profiles_round_trip_for_rsa_and_ec)
{
    round_trip(MGW_PFX_PROFILE_COMPAT, cert_rsa, key_rsa, "Secret123");
    round_trip(MGW_PFX_PROFILE_MODERN, cert_rsa, key_rsa, "Secret123");
    round_trip(MGW_PFX_PROFILE_COMPAT, cert_p256, key_p256, "Secret123");
    round_trip(MGW_PFX_PROFILE_MODERN, cert_p256, key_p256, "Secret123");
}
END_TEST

START_TEST(passwords_of_every_kind)
{
    static const char *pws[] = {"ascii", "p\xC3\xA4ss w\xC3\xB6rd", "key \xF0\x9F\x94\x91 \xE2\x82\xAC",
                                ""};
    for (size_t i = 0; i < sizeof(pws) / sizeof(pws[0]); i++) {
        round_trip(MGW_PFX_PROFILE_COMPAT, cert_p256, key_p256, pws[i]);
        round_trip(MGW_PFX_PROFILE_MODERN, cert_p256, key_p256, pws[i]);
    }
    round_trip(MGW_PFX_PROFILE_COMPAT, cert_p256, key_p256, NULL);
    round_trip(MGW_PFX_PROFILE_MODERN, cert_p256, key_p256, NULL);
}
END_TEST

START_TEST(empty_and_absent_passwords_are_distinct_but_empty_opens_both)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    uint8_t *none, *empty;
    size_t nn, ne;
    write_pfx(o, cert_p256, key_p256, NULL, &none, &nn);
    write_pfx(o, cert_p256, key_p256, "", &empty, &ne);
    mgw_pfx_t *p = NULL;
    /* "" opens both, as OpenSSL does */
    ck_assert_int_eq(mgw_pfx_parse(none, nn, "", 0, &p), MGW_OK);
    ck_assert(p->null_password);
    mgw_pfx_free(&p);
    ck_assert_int_eq(mgw_pfx_parse(empty, ne, "", 0, &p), MGW_OK);
    ck_assert(!p->null_password);
    mgw_pfx_free(&p);
    /* no password opens only the no-password file */
    ck_assert_int_eq(mgw_pfx_parse(none, nn, NULL, 0, &p), MGW_OK);
    mgw_pfx_free(&p);
    ck_assert_int_eq(mgw_pfx_parse(empty, ne, NULL, 0, &p), MGW_ERR_PFX_MAC);
    ck_assert_int_eq(mgw_pfx_parse(none, nn, "x", 1, &p), MGW_ERR_PFX_MAC);
    mgw_free(none);
    mgw_free(empty);
    /* invalid UTF-8 and NUL bytes are refused before anything is written */
    uint8_t *x = NULL;
    size_t xn = 0;
    ck_assert_int_eq(mgw_pfx_write(o, cert_p256, key_p256, "bad\xC3", 4, &x, &xn), MGW_ERR_UTF8);
    ck_assert_int_eq(mgw_pfx_write(o, cert_p256, key_p256, "a\0b", 3, &x, &xn), MGW_ERR_PASSWORD);
    ck_assert_ptr_null(x);
    ck_assert_int_eq(mgw_pfx_parse((const uint8_t *)"x", 1, "\xFF", 1, &p), MGW_ERR_UTF8);
    mgw_pfxopts_free(&o);
}
END_TEST

START_TEST(attributes_round_trip)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    ck_assert_int_eq(mgw_pfxopts_set_friendly_name(o, "Ger\xC3\xA4t \xF0\x9F\x93\xB1"), MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_set_csp_name(o, "Microsoft Enhanced RSA and AES Cryptographic "
                                                 "Provider"),
                     MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_set_key_spec(o, MGW_PFX_KEYSPEC_EXCHANGE), MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_set_machine_keyset(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_set_local_key_id(o, (const uint8_t *)"\x01\x00\x00\x00", 4),
                     MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_set_iterations(o, 2000), MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_add_chain(o, ca_cert), MGW_OK);
    ck_assert_int_eq(mgw_pfxopts_set_key_spec(o, 3), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pfxopts_set_iterations(o, 0), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pfxopts_set_profile(o, 9), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pfxopts_set_friendly_name(o, "bad\x01"), MGW_ERR_INVALID_ARGUMENT);
    uint8_t *der;
    size_t n;
    write_pfx(o, cert_rsa, key_rsa, "pw", &der, &n);
    mgw_pfx_t *p = NULL;
    ck_assert_int_eq(mgw_pfx_parse(der, n, "pw", 2, &p), MGW_OK);
    char *s;
    ck_assert_int_eq(mgw_pfx_friendly_name(p, &s), MGW_OK);
    ck_assert_str_eq(s, "Ger\xC3\xA4t \xF0\x9F\x93\xB1");
    mgw_free(s);
    ck_assert_str_eq(p->csp_name, "Microsoft Enhanced RSA and AES Cryptographic Provider");
    ck_assert_int_eq(p->key_spec, MGW_PFX_KEYSPEC_EXCHANGE);
    ck_assert(p->machine_keyset);
    ck_assert_uint_eq(p->local_key_id_len, 4);
    ck_assert_uint_eq(mgw_pfx_extra_cert_count(p), 1);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_pfx_extra_cert(p, 0, &c), MGW_OK);
    assert_same_cert(c, ca_cert);
    mgw_cert_free(&c);
    ck_assert_int_eq(mgw_pfx_extra_cert(p, 1, &c), MGW_ERR_INVALID_ARGUMENT);
    uint32_t it;
    ck_assert_int_eq(mgw_pfx_algorithm(p, MGW_PFX_PART_CERTS, &s, &it), MGW_OK);
    ck_assert_uint_eq(it, 2000);
    mgw_free(s);
    ck_assert_int_eq(mgw_pfx_describe(p, MGW_DESCRIBE_JSON, &s), MGW_OK);
    ck_assert_ptr_nonnull(strstr(s, "\"key_spec\":\"exchange\""));
    ck_assert_ptr_nonnull(strstr(s, "\"machine_keyset\":true"));
    ck_assert_ptr_nonnull(strstr(s, "\"local_key_id\":\"01000000\""));
    mgw_free(s);

    /* convert keeps the attributes and changes the protection */
    mgw_pfxopts_t *m = mgw_pfxopts_new();
    mgw_pfxopts_set_profile(m, MGW_PFX_PROFILE_MODERN);
    uint8_t *conv;
    size_t cn;
    ck_assert_int_eq(mgw_pfx_convert(p, m, "new", 3, &conv, &cn), MGW_OK);
    mgw_pfx_t *q = NULL;
    ck_assert_int_eq(mgw_pfx_parse(conv, cn, "new", 3, &q), MGW_OK);
    ck_assert_str_eq(q->friendly_name, p->friendly_name);
    ck_assert_str_eq(q->mac_alg, "HMAC-SHA256");
    ck_assert_int_eq(q->key_spec, MGW_PFX_KEYSPEC_EXCHANGE);
    ck_assert_uint_eq(mgw_pfx_extra_cert_count(q), 1);
    assert_same_cert(q->leaf, p->leaf);
    mgw_pfx_free(&q);
    mgw_free(conv);
    mgw_pfxopts_free(&m);
    mgw_pfx_free(&p);
    mgw_free(der);
    mgw_pfxopts_free(&o);
}
END_TEST

START_TEST(default_friendly_name_is_the_cn_and_can_be_removed)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    uint8_t *der;
    size_t n;
    write_pfx(o, cert_p256, key_p256, "pw", &der, &n);
    mgw_pfx_t *p = NULL;
    ck_assert_int_eq(mgw_pfx_parse(der, n, "pw", 2, &p), MGW_OK);
    ck_assert_str_eq(p->friendly_name, "J\xC3\xBCrgen's phone");
    /* the default localKeyID is the SHA-1 of the certificate */
    uint8_t h[20];
    mgw_digest(MBEDTLS_MD_SHA1, cert_p256->der, cert_p256->der_len, h);
    ck_assert_uint_eq(p->local_key_id_len, 20);
    ck_assert_int_eq(memcmp(p->local_key_id, h, 20), 0);
    mgw_pfx_free(&p);
    mgw_free(der);
    ck_assert_int_eq(mgw_pfxopts_set_friendly_name(o, ""), MGW_OK);
    write_pfx(o, cert_p256, key_p256, "pw", &der, &n);
    ck_assert_int_eq(mgw_pfx_parse(der, n, "pw", 2, &p), MGW_OK);
    char *s = NULL;
    ck_assert_int_eq(mgw_pfx_friendly_name(p, &s), MGW_ERR_NOT_FOUND);
    mgw_pfx_free(&p);
    mgw_free(der);
    mgw_pfxopts_free(&o);
}
END_TEST

START_TEST(writer_refuses_a_key_of_another_certificate)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    uint8_t *der = NULL;
    size_t n = 0;
    ck_assert_int_eq(mgw_pfx_write(o, cert_rsa, key_p256, "pw", 2, &der, &n), MGW_ERR_KEY_MISMATCH);
    ck_assert_ptr_null(der);
    ck_assert_int_eq(mgw_pfx_write(NULL, cert_rsa, key_rsa, "pw", 2, &der, &n),
                     MGW_ERR_INVALID_ARGUMENT);
    mgw_pfxopts_free(&o);
}
END_TEST

START_TEST(salts_are_random_per_file)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    uint8_t *a, *b;
    size_t na, nb;
    write_pfx(o, cert_p256, key_p256, "pw", &a, &na);
    write_pfx(o, cert_p256, key_p256, "pw", &b, &nb);
    ck_assert(na != nb || memcmp(a, b, na) != 0);
    /* the MAC salt is the last OCTET STRING: 16 bytes that differ */
    ck_assert_int_ne(memcmp(a + na - 21, b + nb - 21, 16), 0);
    mgw_free(a);
    mgw_free(b);
    mgw_pfxopts_free(&o);
}
END_TEST

/* ---- crafted input -------------------------------------------------------------- */

/* Wrap an AuthenticatedSafe into a PFX with a valid SHA-1 MAC over it. */
static void craft_pfx(const mgw_dbuf *authsafe, const char *pw, uint64_t mac_iter,
                      bool valid_mac, int version, mgw_dbuf *out)
{
    static const uint8_t oid_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
    uint8_t salt[8] = {1, 2, 3, 4, 5, 6, 7, 8}, key[20], mac[20];
    mgw_password p = {(const uint8_t *)pw, strlen(pw), false};
    memset(mac, 0, sizeof(mac));
    if (valid_mac) {
        ck_assert_int_eq(mgw_pkcs12_kdf(MBEDTLS_MD_SHA1, &p, salt, 8, 3, (uint32_t)mac_iter, key,
                                        20),
                         MGW_OK);
        mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), key, 20, authsafe->p,
                        authsafe->len, mac);
    }
    size_t m = mgw_der_open(out);
    mgw_der_put_small_int(out, version);
    size_t ci = mgw_der_open(out);
    mgw_der_put(out, MGW_ASN1_OID, oid_data, sizeof(oid_data));
    size_t w = mgw_der_open(out);
    mgw_der_put(out, MGW_ASN1_OCTET_STRING, authsafe->p, authsafe->len);
    mgw_der_close(out, 0xA0, w);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, ci);
    size_t md = mgw_der_open(out);
    size_t di = mgw_der_open(out);
    size_t alg = mgw_der_open(out);
    mgw_der_put(out, MGW_ASN1_OID, "\x2B\x0E\x03\x02\x1A", 5);
    mgw_der_put(out, MGW_ASN1_NULL, NULL, 0);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, alg);
    mgw_der_put(out, MGW_ASN1_OCTET_STRING, mac, 20);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, di);
    mgw_der_put(out, MGW_ASN1_OCTET_STRING, salt, 8);
    uint8_t it[8];
    size_t k = 8;
    do {
        it[--k] = (uint8_t)mac_iter;
        mac_iter >>= 8;
    } while (mac_iter > 0);
    mgw_der_put_uint(out, it + k, 8 - k);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, md);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, m);
}

/* AuthenticatedSafe with one data ContentInfo holding `bags` (SafeBag elements). */
static void authsafe_of(const mgw_dbuf *bags, mgw_dbuf *out)
{
    static const uint8_t oid_data[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
    mgw_dbuf sc;
    mgw_dbuf_init(&sc);
    mgw_der_put(&sc, MGW_ASN1_SEQUENCE, bags->p, bags->len);
    size_t m = mgw_der_open(out);
    size_t ci = mgw_der_open(out);
    mgw_der_put(out, MGW_ASN1_OID, oid_data, sizeof(oid_data));
    size_t w = mgw_der_open(out);
    mgw_der_put(out, MGW_ASN1_OCTET_STRING, sc.p, sc.len);
    mgw_der_close(out, 0xA0, w);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, ci);
    mgw_der_close(out, MGW_ASN1_SEQUENCE, m);
    mgw_dbuf_free(&sc);
}

static void cert_bag(mgw_dbuf *b, const mgw_cert_t *c)
{
    static const uint8_t oid_cert_bag[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                           0x01, 0x0C, 0x0A, 0x01, 0x03};
    static const uint8_t oid_x509[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x16, 0x01};
    size_t m = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid_cert_bag, sizeof(oid_cert_bag));
    size_t v = mgw_der_open(b);
    size_t s = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid_x509, sizeof(oid_x509));
    size_t e = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, c->der, c->der_len);
    mgw_der_close(b, 0xA0, e);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, s);
    mgw_der_close(b, 0xA0, v);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, m);
}

/* A keyBag (unencrypted PKCS#8) for k. */
static void key_bag(mgw_dbuf *b, mgw_key_t *k)
{
    static const uint8_t oid_key_bag[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                          0x01, 0x0C, 0x0A, 0x01, 0x01};
    mgw_dbuf pki;
    mgw_dbuf_init(&pki);
    ck_assert_int_eq(mgw_pkcs8_wrap(&k->pk, &pki), MGW_OK);
    size_t m = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OID, oid_key_bag, sizeof(oid_key_bag));
    size_t v = mgw_der_open(b);
    mgw_dbuf_put(b, pki.p, pki.len);
    mgw_der_close(b, 0xA0, v);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, m);
    mgw_dbuf_free(&pki);
}

static int parse_crafted(const mgw_dbuf *bags, uint64_t mac_iter, bool valid_mac, int version)
{
    mgw_dbuf as, pfx;
    mgw_dbuf_init(&as);
    mgw_dbuf_init(&pfx);
    authsafe_of(bags, &as);
    craft_pfx(&as, "pw", mac_iter, valid_mac, version, &pfx);
    mgw_pfx_t *p = NULL;
    int r = mgw_pfx_parse(pfx.p, pfx.len, "pw", 2, &p);
    if (r == MGW_OK) {
        ck_assert_ptr_nonnull(p);
        mgw_pfx_free(&p);
    } else {
        ck_assert_ptr_null(p);
        ck_assert(strlen(mgw_last_error()) > 0);
    }
    mgw_dbuf_free(&as);
    mgw_dbuf_free(&pfx);
    return r;
}

START_TEST(crafted_files_give_specific_errors)
{
    mgw_dbuf bags;
    mgw_dbuf_init(&bags);
    cert_bag(&bags, cert_p256);
    key_bag(&bags, key_p256);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 3), MGW_OK); /* unencrypted bags work */
    ck_assert_int_eq(parse_crafted(&bags, 1, false, 3), MGW_ERR_PFX_MAC);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 2), MGW_ERR_PFX_FORMAT);
    /* 2^31 MAC iterations: refused at once, not computed */
    time_t t0 = time(NULL);
    ck_assert_int_eq(parse_crafted(&bags, 1ULL << 31, false, 3), MGW_ERR_PFX_LIMIT);
    ck_assert_int_eq(parse_crafted(&bags, 0, false, 3), MGW_ERR_PFX_LIMIT);
    ck_assert_int_le(time(NULL) - t0, 2);
    /* two keys; a key whose certificate is missing; nothing at all */
    key_bag(&bags, key_p256);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 3), MGW_ERR_PFX_FORMAT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "more than one private key"));
    mgw_dbuf_free(&bags);
    mgw_dbuf_init(&bags);
    cert_bag(&bags, cert_rsa);
    key_bag(&bags, key_p256);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 3), MGW_ERR_PFX_NO_CERT);
    mgw_dbuf_free(&bags);
    mgw_dbuf_init(&bags);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 3), MGW_ERR_PFX_FORMAT);
    /* certificates only: allowed, with no key */
    cert_bag(&bags, ca_cert);
    mgw_dbuf as, pfx;
    mgw_dbuf_init(&as);
    mgw_dbuf_init(&pfx);
    authsafe_of(&bags, &as);
    craft_pfx(&as, "pw", 1, true, 3, &pfx);
    mgw_pfx_t *p = NULL;
    ck_assert_int_eq(mgw_pfx_parse(pfx.p, pfx.len, "pw", 2, &p), MGW_OK);
    mgw_key_t *k = NULL;
    ck_assert_int_eq(mgw_pfx_key(p, &k), MGW_ERR_PFX_NO_KEY);
    mgw_pfx_free(&p);
    mgw_dbuf_free(&as);
    mgw_dbuf_free(&pfx);
    /* too many bags */
    for (int i = 0; i < MGW_PFX_MAX_BAGS; i++)
        cert_bag(&bags, ca_cert);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 3), MGW_ERR_PFX_LIMIT);
    mgw_dbuf_free(&bags);
    /* not a PFX at all */
    ck_assert_int_eq(mgw_pfx_parse(cert_p256->der, cert_p256->der_len, "pw", 2, &p),
                     MGW_ERR_PFX_FORMAT);
    ck_assert_int_eq(mgw_pfx_parse((const uint8_t *)"", 0, "pw", 2, &p), MGW_ERR_PFX_FORMAT);
    uint8_t *big = calloc(1, MGW_PFX_MAX_SIZE + 1);
    ck_assert_int_eq(mgw_pfx_parse(big, MGW_PFX_MAX_SIZE + 1, "pw", 2, &p), MGW_ERR_PFX_LIMIT);
    free(big);
}
END_TEST

START_TEST(huge_bag_iteration_count_is_refused_after_the_mac)
{
    /* a shrouded key bag whose PKCS#12 PBE claims 2^31 iterations */
    static const uint8_t oid_shrouded[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                           0x01, 0x0C, 0x0A, 0x01, 0x02};
    mgw_dbuf bags;
    mgw_dbuf_init(&bags);
    size_t m = mgw_der_open(&bags);
    mgw_der_put(&bags, MGW_ASN1_OID, oid_shrouded, sizeof(oid_shrouded));
    size_t v = mgw_der_open(&bags);
    size_t epki = mgw_der_open(&bags);
    size_t alg = mgw_der_open(&bags);
    mgw_der_put_oid_text(&bags, "1.2.840.113549.1.12.1.3");
    size_t prm = mgw_der_open(&bags);
    mgw_der_put(&bags, MGW_ASN1_OCTET_STRING, "saltsalt", 8);
    mgw_der_put_uint(&bags, (const uint8_t *)"\x80\x00\x00\x00", 4);
    mgw_der_close(&bags, MGW_ASN1_SEQUENCE, prm);
    mgw_der_close(&bags, MGW_ASN1_SEQUENCE, alg);
    mgw_der_put(&bags, MGW_ASN1_OCTET_STRING, "0123456789abcdef", 16);
    mgw_der_close(&bags, MGW_ASN1_SEQUENCE, epki);
    mgw_der_close(&bags, 0xA0, v);
    mgw_der_close(&bags, MGW_ASN1_SEQUENCE, m);
    time_t t0 = time(NULL);
    ck_assert_int_eq(parse_crafted(&bags, 1, true, 3), MGW_ERR_PFX_LIMIT);
    ck_assert_int_le(time(NULL) - t0, 2);
    mgw_dbuf_free(&bags);
}
END_TEST

/* An encryptedData ContentInfo (3DES PBE, `iter` iterations) around junk. */
static void encrypted_safe(mgw_dbuf *b, uint32_t iter)
{
    size_t ci = mgw_der_open(b);
    mgw_der_put_oid_text(b, "1.2.840.113549.1.7.6");
    size_t w = mgw_der_open(b);
    size_t ed = mgw_der_open(b);
    mgw_der_put_small_int(b, 0);
    size_t eci = mgw_der_open(b);
    mgw_der_put_oid_text(b, "1.2.840.113549.1.7.1");
    size_t alg = mgw_der_open(b);
    mgw_der_put_oid_text(b, "1.2.840.113549.1.12.1.3");
    size_t prm = mgw_der_open(b);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, "saltsalt", 8);
    mgw_der_put_small_int(b, (long)iter);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, prm);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, alg);
    mgw_der_put(b, 0x80, "0123456789abcdef", 16);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, eci);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, ed);
    mgw_der_close(b, 0xA0, w);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, ci);
}

START_TEST(many_encrypted_safes_are_refused_before_the_work)
{
    /* 20 safes of 1e6 iterations each would take many seconds to decrypt */
    mgw_dbuf as, pfx;
    mgw_dbuf_init(&as);
    mgw_dbuf_init(&pfx);
    size_t m = mgw_der_open(&as);
    for (int i = 0; i < 20; i++)
        encrypted_safe(&as, i < MGW_PFX_MAX_DECRYPTIONS ? 1 : 1000000);
    mgw_der_close(&as, MGW_ASN1_SEQUENCE, m);
    craft_pfx(&as, "pw", 1, true, 3, &pfx);
    mgw_pfx_t *p = NULL;
    time_t t0 = time(NULL);
    int r = mgw_pfx_parse(pfx.p, pfx.len, "pw", 2, &p);
    ck_assert_int_le(time(NULL) - t0, 2);
    /* junk ciphertext fails on its own; what matters is it never reaches safe 9 */
    ck_assert_int_ne(r, MGW_OK);
    mgw_dbuf_free(&as);
    mgw_dbuf_init(&as);
    m = mgw_der_open(&as);
    for (int i = 0; i < MGW_PFX_MAX_SAFES + 1; i++) {
        size_t ci = mgw_der_open(&as);
        mgw_der_put_oid_text(&as, "1.2.840.113549.1.7.1");
        size_t w = mgw_der_open(&as);
        mgw_der_put(&as, MGW_ASN1_OCTET_STRING, "\x30\x00", 2);
        mgw_der_close(&as, 0xA0, w);
        mgw_der_close(&as, MGW_ASN1_SEQUENCE, ci);
    }
    mgw_der_close(&as, MGW_ASN1_SEQUENCE, m);
    mgw_dbuf_free(&pfx);
    mgw_dbuf_init(&pfx);
    craft_pfx(&as, "pw", 1, true, 3, &pfx);
    ck_assert_int_eq(mgw_pfx_parse(pfx.p, pfx.len, "pw", 2, &p), MGW_ERR_PFX_LIMIT);
    mgw_dbuf_free(&as);
    mgw_dbuf_free(&pfx);
}
END_TEST

START_TEST(upn_with_control_characters_is_shown_in_hex)
{
    /* a UPN with control characters is shown in hex, not printed raw */
    mgw_dbuf b, t;
    mgw_dbuf_init(&b);
    mgw_dbuf_init(&t);
    size_t m = mgw_der_open(&b);
    mgw_der_put_oid_text(&b, "1.3.6.1.4.1.311.20.2.3");
    size_t v = mgw_der_open(&b);
    static const char evil[] = "a\x1b[2J@x.com";
    mgw_der_put(&b, MGW_ASN1_UTF8_STRING, evil, sizeof(evil) - 1);
    mgw_der_close(&b, 0xA0, v);
    mgw_der_close(&b, 0xA0, m);
    mgw_der_reader r;
    unsigned tag;
    mgw_span c;
    mgw_der_reader_init(&r, b.p, b.len);
    ck_assert_int_eq(mgw_der_next(&r, &tag, &c, NULL), MGW_OK);
    int type;
    ck_assert_int_eq(mgw_gname_decode(tag, c, &type, &t), MGW_OK);
    ck_assert_int_eq(type, MGW_SAN_OTHER);
    ck_assert_ptr_null(memchr(t.p, 0x1b, t.len));
    mgw_dbuf_free(&b);
    mgw_dbuf_free(&t);
}
END_TEST

/* Re-encode DER with indefinite lengths and chunked OCTET STRINGs, as BER. */
static void to_ber(const uint8_t *p, size_t n, mgw_dbuf *out, int depth)
{
    mgw_der_reader r;
    mgw_der_reader_init(&r, p, n);
    while (!mgw_der_at_end(&r)) {
        unsigned tag;
        mgw_span c;
        ck_assert_int_eq(mgw_der_next(&r, &tag, &c, NULL), MGW_OK);
        if (tag & MGW_ASN1_CONSTRUCTED) {
            mgw_dbuf_putc(out, (uint8_t)tag);
            mgw_dbuf_putc(out, 0x80);
            to_ber(c.p, c.len, out, depth + 1);
            mgw_dbuf_put(out, "\0\0", 2);
        } else if (tag == MGW_ASN1_OCTET_STRING && c.len > 10) {
            mgw_dbuf_putc(out, 0x24);
            mgw_dbuf_putc(out, 0x80);
            size_t half = c.len / 2;
            mgw_der_put(out, MGW_ASN1_OCTET_STRING, c.p, half);
            mgw_der_put(out, MGW_ASN1_OCTET_STRING, c.p + half, c.len - half);
            mgw_dbuf_put(out, "\0\0", 2);
        } else {
            mgw_der_put(out, tag, c.p, c.len);
        }
    }
}

START_TEST(ber_encoded_outer_layers_are_read)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    uint8_t *der;
    size_t n;
    write_pfx(o, cert_p256, key_p256, "pw", &der, &n);
    /* Only the outer layer becomes BER: the MAC covers the inner bytes. */
    mgw_dbuf ber;
    mgw_dbuf_init(&ber);
    to_ber(der, n, &ber, 0);
    ck_assert_uint_gt(ber.len, n);
    mgw_pfx_t *p = NULL;
    ck_assert_int_eq(mgw_pfx_parse(ber.p, ber.len, "pw", 2, &p), MGW_OK);
    assert_same_cert(p->leaf, cert_p256);
    mgw_pfx_free(&p);
    /* normaliser round trip: BER back to the original DER */
    mgw_dbuf back;
    mgw_dbuf_init(&back);
    ck_assert_int_eq(mgw_ber_to_der(ber.p, ber.len, &back), MGW_OK);
    ck_assert_uint_eq(back.len, n);
    ck_assert_int_eq(memcmp(back.p, der, n), 0);
    /* truncated BER and a missing end-of-contents */
    for (size_t i = 0; i < ber.len; i += 7)
        ck_assert_int_ne(mgw_pfx_parse(ber.p, i, "pw", 2, &p), MGW_OK);
    mgw_dbuf_free(&back);
    mgw_dbuf_free(&ber);
    mgw_free(der);
    mgw_pfxopts_free(&o);
}
END_TEST

START_TEST(truncations_and_mutations_never_crash)
{
    mgw_pfxopts_t *o = mgw_pfxopts_new();
    mgw_pfxopts_set_iterations(o, 1);
    mgw_pfxopts_add_chain(o, ca_cert);
    uint8_t *der;
    size_t n;
    write_pfx(o, cert_p256, key_p256, "pw", &der, &n);
    mgw_pfx_t *p = NULL;
    for (size_t i = 0; i < n; i++) {
        int r = mgw_pfx_parse(der, i, "pw", 2, &p);
        ck_assert_int_ne(r, MGW_OK);
        ck_assert_ptr_null(p);
    }
    test_rng rng = {99};
    uint8_t *m = malloc(n);
    int opened = 0;
    for (int i = 0; i < 5000; i++) {
        memcpy(m, der, n);
        uint8_t pick[4];
        test_rng_cb(&rng, pick, 4);
        m[((size_t)pick[0] << 8 | pick[1]) % n] ^= (uint8_t)(pick[2] | 1);
        if (pick[3] & 1)
            m[((size_t)pick[1] << 8 | pick[0]) % n] = pick[2];
        if (mgw_pfx_parse(m, n, "pw", 2, &p) == MGW_OK) {
            opened++;
            mgw_pfx_free(&p);
        }
    }
    /* a flipped bit can only survive where the MAC does not reach (its own
     * salt, a DEFAULT-able field); nothing inside the authsafe may */
    ck_assert_int_lt(opened, 100);
    free(m);
    mgw_free(der);
    mgw_pfxopts_free(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pfx");
    TCase *t = tcase_create("kdf");
    tcase_add_test(t, kdf_matches_openssl_vectors);
    tcase_add_test(t, kdf_long_inputs_and_outputs);
    tcase_add_test(t, kdf_agrees_with_mbedtls_including_no_password);
    suite_add_tcase(s, t);
    t = tcase_create("pfx");
    tcase_set_timeout(t, 600);
    tcase_add_unchecked_fixture(t, fixtures_up, fixtures_down);
    tcase_add_test(t, both_profiles_round_trip_for_rsa_and_ec);
    tcase_add_test(t, passwords_of_every_kind);
    tcase_add_test(t, empty_and_absent_passwords_are_distinct_but_empty_opens_both);
    tcase_add_test(t, attributes_round_trip);
    tcase_add_test(t, default_friendly_name_is_the_cn_and_can_be_removed);
    tcase_add_test(t, writer_refuses_a_key_of_another_certificate);
    tcase_add_test(t, salts_are_random_per_file);
    tcase_add_test(t, crafted_files_give_specific_errors);
    tcase_add_test(t, huge_bag_iteration_count_is_refused_after_the_mac);
    tcase_add_test(t, ber_encoded_outer_layers_are_read);
    tcase_add_test(t, truncations_and_mutations_never_crash);
    tcase_add_test(t, many_encrypted_safes_are_refused_before_the_work);
    tcase_add_test(t, upn_with_control_characters_is_shown_in_hex);
    suite_add_tcase(s, t);
    return test_run(s);
}
