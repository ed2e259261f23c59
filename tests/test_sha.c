/* Suite "sha": the KDFs' SHA-1/SHA-256 compression (hardware and portable)
 * against mbedTLS on random messages, both KDFs with the hardware off, and
 * the whole-message digests of thumbprints and fingerprints. */
#include "crypto/crypto.h"
#include "crypto/digest.h"
#include "crypto/sha_fast.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Full hash through our compression: pad and run all blocks. */
static void our_hash(mbedtls_md_type_t md, const uint8_t *msg, size_t len, uint8_t *out)
{
    size_t total = ((len + 9 + 63) / 64) * 64;
    uint8_t *buf = calloc(1, total);
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        buf[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    mgw_fast_hash h;
    mgw_fast_init(&h, md == MBEDTLS_MD_SHA256);
    mgw_fast_blocks(&h, buf, total / 64);
    for (unsigned i = 0; i < h.words; i++) {
        out[4 * i] = (uint8_t)(h.st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h.st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h.st[i] >> 8);
        out[4 * i + 3] = (uint8_t)h.st[i];
    }
    free(buf);
}

static void differential(int hw_off)
{
    mgw_sha_hw_disable(hw_off);
    test_rng rng = {12345};
    uint8_t msg[700], a[32], b[32];
    for (int t = 0; t < 3000; t++) {
        uint8_t r[2];
        test_rng_cb(&rng, r, 2);
        size_t len = ((size_t)r[0] << 8 | r[1]) % sizeof(msg);
        test_rng_cb(&rng, msg, len);
        mbedtls_md_type_t md = t % 2 ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256;
        our_hash(md, msg, len, a);
        ck_assert_int_eq(mgw_digest(md, msg, len, b), MGW_OK);
        ck_assert_msg(memcmp(a, b, md == MBEDTLS_MD_SHA1 ? 20 : 32) == 0,
                      "case %d (%zu bytes, %s, hw %s) differs", t, len,
                      md == MBEDTLS_MD_SHA1 ? "SHA-1" : "SHA-256",
                      mgw_sha_hw_available() ? "on" : "off");
    }
    mgw_sha_hw_disable(0);
}

START_TEST(compression_matches_mbedtls_with_hardware)
{
    differential(0);
}
END_TEST

START_TEST(compression_matches_mbedtls_in_portable_c)
{
    differential(1);
}
END_TEST

START_TEST(hardware_and_portable_agree_block_by_block)
{
    if (!mgw_sha_hw_available())
        return; /* nothing to compare on this CPU; the portable path is tested above */
    test_rng rng = {9};
    uint8_t blocks[64 * 8];
    for (int t = 0; t < 500; t++) {
        test_rng_cb(&rng, blocks, sizeof(blocks));
        uint32_t s1[5], s2[5], t1[8], t2[8];
        test_rng_cb(&rng, (unsigned char *)s1, sizeof(s1));
        memcpy(s2, s1, sizeof(s1));
        test_rng_cb(&rng, (unsigned char *)t1, sizeof(t1));
        memcpy(t2, t1, sizeof(t1));
        size_t n = 1 + (size_t)t % 8;
        mgw_sha1_compress(s1, blocks, n);
        mgw_sha1_compress_c(s2, blocks, n);
        ck_assert_int_eq(memcmp(s1, s2, sizeof(s1)), 0);
        mgw_sha256_compress(t1, blocks, n);
        mgw_sha256_compress_c(t2, blocks, n);
        ck_assert_int_eq(memcmp(t1, t2, sizeof(t1)), 0);
    }
}
END_TEST

START_TEST(kdfs_agree_with_and_without_hardware)
{
    uint8_t salt[16] = {1, 2, 3}, a[40], b[40];
    mgw_password pw = {(const uint8_t *)"Secret123", 9, false};
    for (int md = 0; md < 2; md++) {
        mbedtls_md_type_t t = md ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA1;
        ck_assert_int_eq(mgw_pbkdf2(t, pw.p, pw.len, salt, 16, 3000, a, 40), MGW_OK);
        ck_assert_int_eq(mgw_pkcs12_kdf(t, &pw, salt, 16, 1, 3000, a + 20, 20), MGW_OK);
        mgw_sha_hw_disable(1);
        ck_assert_int_eq(mgw_pbkdf2(t, pw.p, pw.len, salt, 16, 3000, b, 40), MGW_OK);
        ck_assert_int_eq(mgw_pkcs12_kdf(t, &pw, salt, 16, 1, 3000, b + 20, 20), MGW_OK);
        mgw_sha_hw_disable(0);
        ck_assert_int_eq(memcmp(a, b, 40), 0);
    }
}
END_TEST

/* Every length around the padding boundaries (55/56/64 bytes), then longer
 * random messages, hardware on and off. */
static void digests_against_mbedtls(int hw_off)
{
    mgw_sha_hw_disable(hw_off);
    test_rng rng = {77};
    static uint8_t msg[5000];
    test_rng_cb(&rng, msg, sizeof(msg));
    uint8_t a[32], b[32];
    for (size_t len = 0; len <= sizeof(msg); len += len < 300 ? 1 : 197) {
        mgw_sha1(msg, len, a);
        ck_assert_int_eq(mgw_digest(MBEDTLS_MD_SHA1, msg, len, b), MGW_OK);
        ck_assert_msg(memcmp(a, b, 20) == 0, "SHA-1 of %zu bytes differs", len);
        mgw_sha256(msg, len, a);
        ck_assert_int_eq(mgw_digest(MBEDTLS_MD_SHA256, msg, len, b), MGW_OK);
        ck_assert_msg(memcmp(a, b, 32) == 0, "SHA-256 of %zu bytes differs", len);
    }
    mgw_sha_hw_disable(0);
}

START_TEST(whole_message_digests_match_mbedtls)
{
    digests_against_mbedtls(0);
    digests_against_mbedtls(1);
}
END_TEST

START_TEST(whole_message_digests_match_fips_180_examples)
{
    static const char abc[] = "abc";
    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t h[32];
    char hex[65];
    mgw_sha1((const uint8_t *)abc, 3, h);
    mgw_hex_upper(h, 20, hex);
    ck_assert_str_eq(hex, "A9993E364706816ABA3E25717850C26C9CD0D89D");
    mgw_sha256((const uint8_t *)two, strlen(two), h);
    mgw_hex_upper(h, 32, hex);
    ck_assert_str_eq(hex, "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1");
    mgw_sha256(NULL, 0, h);
    mgw_hex_upper(h, 32, hex);
    ck_assert_str_eq(hex, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha");
    TCase *t = tcase_create("sha");
    tcase_add_test(t, compression_matches_mbedtls_with_hardware);
    tcase_add_test(t, compression_matches_mbedtls_in_portable_c);
    tcase_add_test(t, hardware_and_portable_agree_block_by_block);
    tcase_add_test(t, kdfs_agree_with_and_without_hardware);
    tcase_add_test(t, whole_message_digests_match_mbedtls);
    tcase_add_test(t, whole_message_digests_match_fips_180_examples);
    suite_add_tcase(s, t);
    return test_run(s);
}
