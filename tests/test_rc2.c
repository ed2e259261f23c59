/* Suite "rc2": RC2 block cipher (RFC 2268) and CBC decryption with PKCS#7 padding. */
#include "core/core.h"
#include "crypto/rc2.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* RFC 2268 section 5, all eight vectors: key, effective bits, plaintext, ciphertext. */
static const struct {
    const char *key;
    unsigned bits;
    const char *plain, *cipher;
} RFC2268[] = {
    {"0000000000000000", 63, "0000000000000000", "ebb773f993278eff"},
    {"ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"},
    {"3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"},
    {"88", 64, "0000000000000000", "61a8a244adacccf0"},
    {"88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"},
    {"88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"},
    {"88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"},
    {"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129, "0000000000000000",
     "5b78d3a43dfff1f1"},
};

START_TEST(matches_rfc2268_vectors_in_both_directions)
{
    size_t klen, plen, clen;
    uint8_t *key = test_unhex(RFC2268[_i].key, &klen);
    uint8_t *plain = test_unhex(RFC2268[_i].plain, &plen);
    uint8_t *cipher = test_unhex(RFC2268[_i].cipher, &clen);
    ck_assert_uint_eq(plen, 8);
    ck_assert_uint_eq(clen, 8);

    mgw_rc2_key ks;
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, klen, RFC2268[_i].bits), MGW_OK);
    uint8_t block[8];
    mgw_rc2_encrypt_block(&ks, plain, block);
    ck_assert_mem_eq(block, cipher, 8);
    mgw_rc2_decrypt_block(&ks, cipher, block);
    ck_assert_mem_eq(block, plain, 8);

    /* In place, both ways. */
    memcpy(block, plain, 8);
    mgw_rc2_encrypt_block(&ks, block, block);
    ck_assert_mem_eq(block, cipher, 8);
    mgw_rc2_decrypt_block(&ks, block, block);
    ck_assert_mem_eq(block, plain, 8);

    free(key);
    free(plain);
    free(cipher);
}
END_TEST

/* CBC vectors made by OpenSSL 3.0 (legacy provider). */
static const struct {
    const char *key;
    unsigned bits;
    const char *iv, *plain, *cipher;
} OPENSSL_CBC[] = {
    /* printf 'Windows PFX bags use RC2-40' > f
     * openssl enc -provider legacy -provider default -rc2-40-cbc -K 0102030405
     *     -iv 1122334455667788 -in f -out g
     * 27 bytes, so 5 bytes of padding. */
    {"0102030405", 40, "1122334455667788", "57696e646f777320504658206261677320757365205243322d3430",
     "350fc5f8785e9d1d8d5e76316d2ce64c9edce156ad359e9a3dae4f3ef26387d1"},
    /* printf '0123456789abcdef' > f
     * openssl enc -provider legacy -provider default -rc2-cbc
     *     -K 000102030405060708090a0b0c0d0e0f -iv a0a1a2a3a4a5a6a7 -in f -out g
     * 16 bytes, so a whole block of padding; -rc2-cbc uses 128 effective bits. */
    {"000102030405060708090a0b0c0d0e0f", 128, "a0a1a2a3a4a5a6a7",
     "30313233343536373839616263646566", "22e16eda97c9e92b08cf58c0d697c3798e96fa9d9ec92d94"},
};

START_TEST(decrypts_openssl_cbc_output)
{
    size_t klen, ivlen, plen, clen, outlen = 12345;
    uint8_t *key = test_unhex(OPENSSL_CBC[_i].key, &klen);
    uint8_t *iv = test_unhex(OPENSSL_CBC[_i].iv, &ivlen);
    uint8_t *plain = test_unhex(OPENSSL_CBC[_i].plain, &plen);
    uint8_t *cipher = test_unhex(OPENSSL_CBC[_i].cipher, &clen);
    ck_assert_uint_eq(ivlen, 8);

    uint8_t *out = malloc(clen);
    ck_assert_int_eq(
        mgw_rc2_cbc_decrypt(key, klen, OPENSSL_CBC[_i].bits, iv, cipher, clen, out, &outlen),
        MGW_OK);
    ck_assert_uint_eq(outlen, plen);
    ck_assert_mem_eq(out, plain, plen);

    /* out == in gives the same plaintext. */
    outlen = 12345;
    ck_assert_int_eq(
        mgw_rc2_cbc_decrypt(key, klen, OPENSSL_CBC[_i].bits, iv, cipher, clen, cipher, &outlen),
        MGW_OK);
    ck_assert_uint_eq(outlen, plen);
    ck_assert_mem_eq(cipher, plain, plen);

    free(out);
    free(key);
    free(iv);
    free(plain);
    free(cipher);
}
END_TEST

static const uint8_t KEY40[5] = {1, 2, 3, 4, 5};
static const uint8_t IV[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};

/* CBC-encrypt already padded data with the test-only block encryption, so the
 * padding checks can be fed any last block. */
static void cbc_encrypt(const uint8_t *p, size_t n, uint8_t *c)
{
    mgw_rc2_key ks;
    ck_assert_int_eq(mgw_rc2_setup(&ks, KEY40, sizeof(KEY40), 40), MGW_OK);
    uint8_t chain[8];
    memcpy(chain, IV, 8);
    for (size_t off = 0; off < n; off += 8) {
        for (size_t i = 0; i < 8; i++)
            chain[i] ^= p[off + i];
        mgw_rc2_encrypt_block(&ks, chain, chain);
        memcpy(c + off, chain, 8);
    }
}

static int decrypt_padded(const char *plain_hex, size_t *outlen, uint8_t out[16])
{
    size_t n;
    uint8_t *p = test_unhex(plain_hex, &n);
    ck_assert_uint_eq(n, 16);
    uint8_t c[16];
    cbc_encrypt(p, n, c);
    free(p);
    return mgw_rc2_cbc_decrypt(KEY40, sizeof(KEY40), 40, IV, c, sizeof(c), out, outlen);
}

START_TEST(accepts_every_valid_padding_length)
{
    static const char *const padded[] = {
        "41424344454647484142434445464701", "41424344454647484142434445460202",
        "41424344454647484142434445030303", "41424344454647484142434404040404",
        "41424344454647484142430505050505", "41424344454647484142060606060606",
        "41424344454647484107070707070707", "41424344454647480808080808080808",
    };
    for (size_t i = 0; i < 8; i++) {
        uint8_t out[16];
        size_t outlen = 0;
        ck_assert_int_eq(decrypt_padded(padded[i], &outlen, out), MGW_OK);
        ck_assert_uint_eq(outlen, 16 - (i + 1));
        ck_assert_mem_eq(out, "ABCDEFGHABCDEFG", outlen);
    }
}
END_TEST

START_TEST(refuses_bad_padding_as_wrong_password)
{
    static const char *const bad[] = {
        "41424344454647484142434445464700", /* pad byte 0 */
        "41424344454647484142434445464709", /* pad byte 9 > block size */
        "414243444546474841424344454647ff", /* pad byte 255 */
        "41424344454647484142434445030203", /* inconsistent pad bytes */
        "41424344454647484142434404040403", /* pad byte 3, ... 04 04 03 */
        "41424344454647480908080808080808", /* full block but first byte wrong */
        "41424344454647484142430405050505", /* one byte short of the claimed 5 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t outlen = 99;
        ck_assert_int_eq(decrypt_padded(bad[i], &outlen, out), MGW_ERR_WRONG_PASSWORD);
        ck_assert_uint_eq(outlen, 0);
        static const uint8_t zero[16];
        ck_assert_mem_eq(out, zero, 16); /* no garbage left behind */
    }
}
END_TEST

START_TEST(a_wrong_key_is_reported_as_wrong_password)
{
    /* The 40-bit OpenSSL vector decrypted under another key: with this key the
     * last block does not end in valid padding. */
    size_t clen, outlen;
    uint8_t *c = test_unhex(OPENSSL_CBC[0].cipher, &clen);
    uint8_t out[32];
    static const uint8_t other[5] = {1, 2, 3, 4, 6};
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(other, 5, 40, IV, c, clen, out, &outlen),
                     MGW_ERR_WRONG_PASSWORD);
    free(c);
}
END_TEST

START_TEST(refuses_lengths_that_are_not_whole_blocks)
{
    uint8_t in[24] = {0}, out[24];
    size_t outlen;
    static const size_t lens[] = {0, 1, 7, 9, 12, 23};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        ck_assert_int_eq(mgw_rc2_cbc_decrypt(KEY40, 5, 40, IV, in, lens[i], out, &outlen),
                         MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(refuses_out_of_range_keys_and_effective_bits)
{
    uint8_t key[129] = {0}, in[8] = {0}, out[8];
    size_t outlen;
    mgw_rc2_key ks;
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, 0, 64), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, 129, 64), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, 8, 0), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, 8, 1025), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_setup(&ks, NULL, 8, 64), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_setup(NULL, key, 8, 64), MGW_ERR_INVALID_ARGUMENT);
    /* The limits themselves are accepted. */
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, 1, 1), MGW_OK);
    ck_assert_int_eq(mgw_rc2_setup(&ks, key, 128, 1024), MGW_OK);

    ck_assert_int_eq(mgw_rc2_cbc_decrypt(key, 0, 64, IV, in, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(key, 129, 64, IV, in, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(key, 8, 0, IV, in, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(key, 8, 1025, IV, in, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(refuses_null_arguments)
{
    uint8_t in[8] = {0}, out[8];
    size_t outlen;
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(NULL, 5, 40, IV, in, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(KEY40, 5, 40, NULL, in, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(KEY40, 5, 40, IV, NULL, 8, out, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(KEY40, 5, 40, IV, in, 8, NULL, &outlen),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_rc2_cbc_decrypt(KEY40, 5, 40, IV, in, 8, out, NULL),
                     MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rc2");
    TCase *t = tcase_create("rc2");
    tcase_add_loop_test(t, matches_rfc2268_vectors_in_both_directions, 0,
                        (int)(sizeof(RFC2268) / sizeof(RFC2268[0])));
    tcase_add_loop_test(t, decrypts_openssl_cbc_output, 0,
                        (int)(sizeof(OPENSSL_CBC) / sizeof(OPENSSL_CBC[0])));
    tcase_add_test(t, accepts_every_valid_padding_length);
    tcase_add_test(t, refuses_bad_padding_as_wrong_password);
    tcase_add_test(t, a_wrong_key_is_reported_as_wrong_password);
    tcase_add_test(t, refuses_lengths_that_are_not_whole_blocks);
    tcase_add_test(t, refuses_out_of_range_keys_and_effective_bits);
    tcase_add_test(t, refuses_null_arguments);
    suite_add_tcase(s, t);
    return test_run(s);
}
