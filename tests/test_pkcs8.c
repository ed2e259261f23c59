/*
 * PBKDF2 (src/crypto/pbkdf2.c) and PKCS#8 (src/crypto/pkcs8.c): known-answer
 * vectors, round trips, interop with the openssl CLI both ways, and hostile
 * input. The interop tests need `openssl` on PATH; the fixtures are read from
 * $MGW_TEST_DATA_DIR, else the MGW_TEST_DATA_DIR macro, else tests/data.
 */
#include "crypto/crypto.h"

#include <check.h>
#include <mbedtls/cipher.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MGW_TEST_DATA_DIR
#define MGW_TEST_DATA_DIR "tests/data"
#endif

#define PW "mgw-test-pass"
#define PW_LEN (sizeof(PW) - 1)
#define TEST_TIMEOUT 600 /* RSA key generation is slow under sanitizers */

/* ---- helpers ------------------------------------------------------------- */

static size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    ck_assert_uint_le(n, cap);
    for (size_t i = 0; i < n; i++) {
        int hi = mgw_hex_value(hex[2 * i]), lo = mgw_hex_value(hex[2 * i + 1]);
        ck_assert(hi >= 0 && lo >= 0);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n;
}

static const char *data_path(const char *name)
{
    static char path[1024];
    const char *dir = getenv("MGW_TEST_DATA_DIR");
    if (dir == NULL || *dir == '\0')
        dir = MGW_TEST_DATA_DIR;
    snprintf(path, sizeof(path), "%s/pkcs8/%s", dir, name);
    return path;
}

static void read_file(const char *path, mgw_dbuf *out)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_int_eq(mgw_dbuf_put(out, buf, n), MGW_OK);
    fclose(f);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void read_fixture(const char *name, mgw_dbuf *out)
{
    read_file(data_path(name), out);
}

/* Deterministic random source: 00 01 02 ... from *ctx on. */
static int counter_rng(void *ctx, unsigned char *out, size_t len)
{
    uint8_t *c = ctx;
    for (size_t i = 0; i < len; i++)
        out[i] = (*c)++;
    return 0;
}

static int failing_rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx, (void)out, (void)len;
    return -1;
}

/* xorshift64*: reproducible pseudo-random numbers for mutation tests. */
static uint64_t prng_state = 0x9E3779B97F4A7C15u;
static uint64_t prng(void)
{
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return prng_state * 0x2545F4914F6CDD1Du;
}

static size_t md_size(mbedtls_md_type_t md)
{
    return mbedtls_md_get_size(mbedtls_md_info_from_type(md));
}

/* ---- PBKDF2 -------------------------------------------------------------- */

typedef struct {
    mbedtls_md_type_t md;
    uint32_t iterations;
    size_t dklen;
    const char *pw_hex, *salt_hex, *dk_hex;
} pbkdf2_vector;

/* RFC 6070 (SHA-1) and RFC 7914 section 11 (SHA-256), then vectors computed
 * with Python's hashlib.pbkdf2_hmac for every digest: empty, one-block,
 * block-sized, longer-than-a-block (hashed) passwords, empty and long salts,
 * outputs of 1 byte up to several digest blocks. RFC 6070's fourth vector
 * (16777216 iterations) is left out: it exceeds MGW_MAX_ITERATIONS, and
 * pbkdf2_iteration_limits checks that it is refused. */
static const pbkdf2_vector pbkdf2_vectors[] = {
    /* RFC 6070 #1 */
    {MBEDTLS_MD_SHA1, 1, 20, "70617373776f7264", "73616c74",
     "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
    /* RFC 6070 #2 */
    {MBEDTLS_MD_SHA1, 2, 20, "70617373776f7264", "73616c74",
     "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
    /* RFC 6070 #3 */
    {MBEDTLS_MD_SHA1, 4096, 20, "70617373776f7264", "73616c74",
     "4b007901b765489abead49d926f721d065a429c1"},
    /* RFC 6070 #5 */
    {MBEDTLS_MD_SHA1, 4096, 25, "70617373776f726450415353574f524470617373776f7264",
     "73616c7453414c5473616c7453414c5473616c7453414c5473616c7453414c5473616c74",
     "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
    /* RFC 6070 #6 */
    {MBEDTLS_MD_SHA1, 4096, 16, "7061737300776f7264", "7361006c74",
     "56fa6aa75548099dcc37d7f03425e0c3"},
    /* RFC 7914 s.11 #1 */
    {MBEDTLS_MD_SHA256, 1, 64, "706173737764", "73616c74",
     "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645"
     "991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
    /* RFC 7914 s.11 #2 */
    {MBEDTLS_MD_SHA256, 80000, 64, "50617373776f7264", "4e61436c",
     "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a122583354"
     "9adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
    /* hashlib SHA1 #1 */
    {MBEDTLS_MD_SHA1, 1, 1, "", "", "1e"},
    /* hashlib SHA1 #2 */
    {MBEDTLS_MD_SHA1, 2, 19, "79", "d9a267dec127b6d4", "37bc8a032a952f94e8660a72dd87f0ddc118b8"},
    /* hashlib SHA1 #3 */
    {MBEDTLS_MD_SHA1, 3, 20,
     "95ac194180409e26bd8517d36bec19f3869c682c884673afcf1bd4944a903680a0dd09216a74c1d4"
     "f064a32fda747e8dc5d7fac55a4d21a8c2d381af6c5ec6",
     "815c74c549eda5fa2db9ce651ccb8aac", "d785a59246c89b5f4c8f79db81db2dd3fbddc104"},
    /* hashlib SHA1 #4 */
    {MBEDTLS_MD_SHA1, 1000, 21,
     "e29aee3806108efa44172e2be8296aecbab1ba4449c608fc3af169b406a1a363f02a3c754dcb97a8"
     "33bfa11c4be258b632127030533a5ec7929971bdea52a50e",
     "55", "338c2c42ccd0276fd552c2e65a3304c17c0c0ee9ed"},
    /* hashlib SHA1 #5 */
    {MBEDTLS_MD_SHA1, 1952, 43,
     "7ed95ac96c879ec82691b8e3b7d49c6fffe48eeba2a3244e9d6253732bab64df7708e1ca71f25ac5"
     "0a1af0849d9c619c2cfaa75c1b96e5a433500a42791eadf78b",
     "083aea42f6d0fc3aa01412fa569209d5725f7bdfc3a77ce4b69aadf7ed82908a5f09d815a6c299d9"
     "c5f1578a609b4ef2256d78aa985ee6bdc976be380605cf3d",
     "28c6ea0f3998ec8c2266c5a7980bd12bafbfc2663d579e06a972b274141a29ac74a9397f1186e08a"
     "066947"},
    /* hashlib SHA1 #6 */
    {MBEDTLS_MD_SHA1, 17, 100,
     "3a8cfda2151acb812e6ea7825bc294b7b2369559d136dc79c24e6c937a7f79fa1ffa442440e74d42"
     "34a3a0f58cb6d679a11be7786194158832a1fe76db6f575b88c6c52dc9cbbbc99d598fa3f4eb321a"
     "770d30a261b1a3233ea975d4a3262fc7a42f9eaf1ea474c2e50938ea9e63e362893252c1abf445c5"
     "5d6b3d4bb8a8d75bbbd53df0251fbf",
     "2b6d297cb5b4109744f8e4cd1fa20b658bd0ddebb69c1dd6f080390346f6f62d9b969676b94c920f"
     "c242a27b0ac1cc983b7f15ff3eb44b2126b89b09e8b2242164d03104e9bb93b97e4108",
     "6d2ac5f53522c5e163345a52e9ed9937d32b1b534c5c5270211859e7f1b402dcadf8df58d76b8c22"
     "b2dbe2f4ea769fd5922f67513b04849a2ff7ca0308fbb6ec92b2bf8a327bdc609b858abf89056475"
     "aa3ef1b0cb0ac52f150644f63ba5a3de4a3e9b75"},
    /* hashlib SHA1 #7 */
    {MBEDTLS_MD_SHA1, 1064, 108, "8da658f7de229e4ce5",
     "1a366e0c57ad4e10058329c8cdcfff4c2d433d1017c1c1cf9b25b1da5baa71ba635e8b1021c83bf6"
     "6341d8a452aeee1fb646b59dc3b652011cfbb472bea117feea4c9b52d044dcb23358c5c854b1a9ce"
     "26d2c5cc8ce2df6adee6bf3fc92ea95bbefa1a42b33b1a2b8b220225c555c7e2b74f7eb0af924718"
     "d287ad3c9c0da74f564841a87543c511aecd2e4882528cc7049248bf04f64e584c7457c39de0a74d"
     "048f6d2db0c43f460edab607cb3f5cdfc98ffdbb0eaa9c1e23de2d224c831b53877d8913cd0d7041",
     "6e730c093a32fddf1ad51b9974442670c007cca77992220cd59a16fc50c9514d1e7519a08d43c286"
     "3fb06d6f8742e58cfb5fa38042b787b6ed9c326b292e22739541ffef0ed162971b10db48f7a34d1b"
     "b33110e1cfb84e93d62c7ab3da6bd6719373dda461af48a99bd03095"},
    /* hashlib SHA1 #8 */
    {MBEDTLS_MD_SHA1, 1, 60,
     "0ea3cba59f9b97bdcd6a8d08764dd55a2de9b6be039c7c8785fc3388b1373064b4db91095cc4f04f"
     "448c22364d252118f88b037928814369a85813efd49f58026bbdd0e29cef07ac8dad5efae2724c4f"
     "0ff36c78f77e078f426175088b458fa5b79e78e20baadec39c2734dc3ad73eef5c4868ca11de4438"
     "4f7231662841779bcff7053f1d7b3ca20227b167c57fc28cdbec336faeefe946746098915916dd25"
     "e112e5bbf5a6f9e8923531e330c32f64721d361baf027cc6cc78e0df8d8b1195f59801f131579cdc"
     "be013374d0f818918066e6013199f3b7ac03921a6fa9b1b936b89bc2c8bcb0fc3837b1",
     "40d34367d3b75c91b74f1dcdb3d72acf",
     "b30f6f32dd8db78353210326fe9656127fe85b5bbd477f7d8e2757dd73e8031247831bc63f56f693"
     "687dcfe179356d7073359312926ff66dbab6d4ea"},
    /* hashlib SHA224 #1 */
    {MBEDTLS_MD_SHA224, 1, 1, "", "", "10"},
    /* hashlib SHA224 #2 */
    {MBEDTLS_MD_SHA224, 2, 27, "4e", "bd49dab534d4daba",
     "2b579bb5786efd84558ac738e5b835a9419760e12d834d6c2e730b"},
    /* hashlib SHA224 #3 */
    {MBEDTLS_MD_SHA224, 3, 28,
     "618b1b0d1cec01267733bdb0f3d4d0d79d040e8534c1c83f4bac06bb4e8b93b8920e6604eec86e63"
     "345f569f39f60fa0f51be0e31763dd0e5f5e06098ae7d9",
     "2af27cfb46a4234d0406c8821ea6bb02",
     "fdabb50c99b0bfdff1e268ecac9732713956487b69866c4750d7a613"},
    /* hashlib SHA224 #4 */
    {MBEDTLS_MD_SHA224, 1000, 29,
     "e81893392ea6b9afd6a7e7201a29a4f3607d63c64b6e484df6585a4e9a8167e55f51ae51c32b1daa"
     "2455e321e2e7b817817efa747a0e2ec63bda6cc8444fc307",
     "b2", "791e3d4acae3a9da3ee7b3b27aa9490381211ab0e620e72f63e71e4b1f"},
    /* hashlib SHA224 #5 */
    {MBEDTLS_MD_SHA224, 112, 59,
     "c70ad40a137bc640034278e1206cecbb6ffcb6ff4ab4b2598d7491b613508c28adeaa7feb31d66d2"
     "114c3299f85242117a75367cf40b63e3d34182fc2921c3b4e9",
     "2a2e8b0240902b46a5d57aad7f3dd6c9469feafcde8f99b3222760ca3b15b542b778aee26ef05abd"
     "12128f7231a00e0efb834724cb0a5728aa6697f6b4cd65e0",
     "42ca0ccd7323421210c7c15bf211be91dbf7a5e84df031f9afb5f4cb60c7c7534967bca09d3a4ca8"
     "759b3200f5c372ef2530dd206a15a142ae45f0"},
    /* hashlib SHA224 #6 */
    {MBEDTLS_MD_SHA224, 17, 100,
     "a12863ec3b18ca5fb39038ae4104bf06a0b76ccfc4e62ab7d9479a9fccd4f0714542a9a9d9649d30"
     "6312bb0bbb2eb0072714e2024399c6aec61dc7750202cc952c08862c83b0439520564588c2ab602f"
     "c7ab3412ee543113319e981a23d9d9fa2c5972bd429d23f0bed617fefcc67335cac9b7cd898e5a7c"
     "15e46335d6c161f11ce0d133ffc207",
     "799e45194a93",
     "72c60b87ceff24fa9341490e21405dd8c09d6b2d401f220cc6b0701b64153fee37ff4d4cf8b996bb"
     "27e66de2618926f586981ff0d703919a50c54711c38a1cecc54f199e43576dd7dc97e6ae83bd5405"
     "cb6ce46f64c4734b5e27286f36632b93ead9c5ee"},
    /* hashlib SHA224 #7 */
    {MBEDTLS_MD_SHA224, 2330, 119, "10f37b",
     "a78b30c024c27b4d607e19b823421a9e66129a987f71096a5d9885fe6c25d7e28a1bbe838d35e58e"
     "e79737e10e96daac4b07d2f6a6ae32f648c023789281861e6c41cc71b474bc89737e4eb4860e7f18"
     "cb57d3f89e699d2e61e3b53dc04ae7cbd96819599a88b30cf203def924a2cb5968cb2831085c951a"
     "4dad9006540fdd0b4e8539b6e0bcc14c7a2a7c4598a1d42662af126f895c809a19a189ff8f5e470b"
     "03f04a11d0255e86ec255c26ace8d75c3560e22d6cdb9ece729e7273a2989e25fbdad61364f46a4c",
     "baab0df64ee0d8f1ec481c2148a3b96c326905f55048d543b0d557f3239e094da2937fb09cb9810d"
     "8e5a1983fd202692e057aeb960aa8021d9df6d17f4af8dcea239f8603a4b1f45c2c19a2d4e840480"
     "e581d90fc62c8197fd2e8e1a4042eea3081f5945f79b0f05b79dad50b98b553ad339d924bf75f5"},
    /* hashlib SHA224 #8 */
    {MBEDTLS_MD_SHA224, 1, 84,
     "96873a94a3dfdde66af0d1d9dd41b3e0c6ed5a3da28cd35981312b15cd10a5b71638adb12ec97dd3"
     "b5d04784ad9f810c9d646b18a06b87d17154dc0faff5c44804d29aed1571ece038c640eaebc71250"
     "47d2015c149b66363dd2740154950803851e020c323f40322979cfb08f421a10d4f1302e1d9c351c"
     "b09444204c5c34e542fee6b09a76f9b29d901d6af9be4a23ebd8f376dfa03faba1de515b74e53ad5"
     "1bafcd54369553bbf89ceaa29dedd9",
     "e6b2705dd52b1fab0254d3ddac75f9a2",
     "7c6d8bd3ffc13d5db11da20a2e2371e3d8e739edab1e237daf037a378241574106b4c49cdba2936c"
     "6deb46ccb2477248e87d7a3148f182a313774160b104991dc914710589d66a4a822542d41cbfbb09"
     "056d1db7"},
    /* hashlib SHA256 #1 */
    {MBEDTLS_MD_SHA256, 1, 1, "", "", "f7"},
    /* hashlib SHA256 #2 */
    {MBEDTLS_MD_SHA256, 2, 31, "46", "2cf2c6412a0dd356",
     "235a8fdb5ca1d294291f11ec5daa6e0e328463882e038285468791f5babc08"},
    /* hashlib SHA256 #3 */
    {MBEDTLS_MD_SHA256, 3, 32,
     "61e7d0869f0eae75b37908f47e8df4989105bc2f64ab49b92659bb45355364153715fc2f06aa80ae"
     "2d37ff19a1850291d53f01840bf8798d589b65a204e32a",
     "e458c0f4d5380176554d9e62b12cb4c1",
     "d69b1709b42a95f4ce1e4be0495096a5f1ed377566d9798bfa4151dee5314ecd"},
    /* hashlib SHA256 #4 */
    {MBEDTLS_MD_SHA256, 1000, 33,
     "b5084f9d1db57eee5538298a423f7f236655d7e04ade65038b529aba2f095104a637628228b053ff"
     "9f67812dce0131396492ee87cfa022772e4f045d90226993",
     "e2", "1f7393c7bcdb1918ca65481b647af3a2ca0e783ebb951f1e47ce9740cee71b9468"},
    /* hashlib SHA256 #5 */
    {MBEDTLS_MD_SHA256, 604, 67,
     "6ed09bb0043b973ffc07b182002e0557991e1e215def128db708f36a3acf82d9eac8f3fa9f2428d3"
     "5bcd51b2960d26d057a83510d5b239c428ee745c6e3d4a19f4",
     "edd9a735c6d4c74eae5f41ddc1d5d5ace21fb74d15b79124811de9af832865326acfbdfa8fb8d150"
     "a8a2b9b0dbe62e9e5bf5d2adb48df1d80ea2ca5f1646396d",
     "4eae4647c6f8db55f76f9a173b2a25c7298494b548dc5afdd4bbda20a527f553027f5819050c0814"
     "cb68d0e7b7cd6f901366b6aebc0ca0bb2ec7f137dbbc546d9740e7"},
    /* hashlib SHA256 #6 */
    {MBEDTLS_MD_SHA256, 17, 100,
     "bf895b73f7de06ea69761879f061f958f36dae59102e8b517ffe82c5dd955a72ec540a6da79be9eb"
     "73415732386cb6045b3ad56a89cfe1815cfb4cbc9f8054c6a606267206bd92eef43f1d9300144da0"
     "4a09d09053a77e475c18153cffb33d1441b8e01a31551a325e6de355787dfe835f35356ec0af5967"
     "9bf348fe039f6a1dcbc7a8ef09e6a4",
     "c652bdb770af493fb4a4cfc144b6",
     "2637064baa6d4295f9f68ff4f3fcf732faac9e0e2fd4c4942be25957b98bcb9a7ffa3244d659bc0d"
     "d9cbc56ae8b3898966066ff61b05951560c21f49a25dbb7311cd1f59ab89011f1dbd0342d8640ffb"
     "d951fce9c00661d897bb740bb3febacafd62c5c6"},
    /* hashlib SHA256 #7 */
    {MBEDTLS_MD_SHA256, 281, 155, "91ced25e",
     "efe62bbc7ac78944c6dcfa5ba46fac9b55e3caa265c07947215c00eb00630e852a4f4ca276ab86e0"
     "a234e602833df9e1842fecc7a2fa4cd99b4c8b946a6cdf6059740daa34df4f4265ca4cbac13a90c7"
     "72b1106c57929cb8b1b949ae8ee19323dbe3e85fdf531805119a5763120875c9a3fba96b47e1efd7"
     "8f93d53c0be8438868fbe12704898e4c389b3e4b88477a7f1e1e77eba2d04e180db9e85233ddf06a"
     "f4095c885fada7baa839d6f0b0b624ee54e5d7e7b7c7c4308d7cbf9d05b82be80c20e29a7eb2694c",
     "277df03496c8ebc98d49c802980b6f2f7f0cb44f708e1a70fbebac1f71f3b9903afce1731d0f2811"
     "bad615e56d17dc95c0d7dd56a7e77b40caddf3f53b3fc499aa1614ee45fe704a04f95068b2b8c411"
     "b6e5ca6bc894b9939ce9f45fd87f750d06466f7b468c35aacc678f6b103249ce30914d0e89aa1686"
     "015b41e8c7006ebda28a4f93645b68c4590a68a61345c146889df093cf922695b1a151"},
    /* hashlib SHA256 #8 */
    {MBEDTLS_MD_SHA256, 1, 96,
     "85aaca1d6b4890d7d5637747e7406791cce97627b0464ca9c487465ef66bcbc6fd96bf65d3a9d4ad"
     "dc47f0f1bd0d75eba41b241524ce2a3643d0c80605378d2fb9a52badf377efd58710ec2b8a2d6b04"
     "ad29e0c904f78b866132979e6af5d10a8621c34838a00a3935fefb41ec9ea7deedd865057c235303"
     "7e2f71174ddabc70569c52b80d95ba2f8ebd364ac04de57783a3e11306b317011ee3eea3c796f60f"
     "3f96b3284cffba2589504d8a83990ac9a1668d96af216e2b130b349f76269220f5d68f5b675c59ac"
     "5976925d97c4cf6621e7cde30762dd95a72396069de853f10b04bbbbda5fb0ed157dda09080c0362"
     "d09644f15b26706a10c29658d608991537ca909ce5dd1a605a694a42d07d3da5afb6a96d8b9e2e65"
     "94f9a2ee2abbd0d1f46b402b1948fbd0f8",
     "4e7b1c0bbc339eee2b6d55903cc4217c",
     "c210b7308cb4120d9b64d4f31ec6b82672df774c4119cd932c2cf3ae447fdad2fdae81133b0e5d2a"
     "dd8480d74be849285b6c91c07fa4ae8526b4db9801eeae34975212c602c180619e099c1707322c69"
     "dc499e65ae41c1437b780033b815f3d5"},
    /* hashlib SHA384 #1 */
    {MBEDTLS_MD_SHA384, 1, 1, "", "", "4b"},
    /* hashlib SHA384 #2 */
    {MBEDTLS_MD_SHA384, 2, 47, "ca", "782d82a385dc22bc",
     "d80ace0be4edab8b5436d711854ee077dc9fb5dc890b2396af5614b762e929bdced628233c8f6045"
     "fb37e8be3ced19"},
    /* hashlib SHA384 #3 */
    {MBEDTLS_MD_SHA384, 3, 48,
     "549ae192e9ca92044e194a82330ff14b7f0a81812a313099ce7ba6ecac06106d604633fe6826f3f3"
     "7dede88cb3ca3fb3b249c2619c1d2c633ebb63382fbfc7a303229c3048c1190f1feb844a499a2c7a"
     "69303f8810122b34477a07c4a677c6d9d1de695a31ca19a7de43cd0e0f38adc6cf60ccf104de930d"
     "b14fcf9e5314cd",
     "9cc767f494275f1013ca439ac4a8c252",
     "bdeb73400860aa6849d420f95f42e9af512161c99e6225c7303075722ebd61feca7d4ff1c22d1c5a"
     "01e669c3057ecd4d"},
    /* hashlib SHA384 #4 */
    {MBEDTLS_MD_SHA384, 1000, 49,
     "8fd6cf39cdf483e68fedf77a42cd57a0afa9e02d34d4362acecbf1d1b1501a36021cafb15c233302"
     "e8dfc03c6ec031b3cb6c2f16b67a64e792cbc1516f0836faabb61f9320c38f15bf8a01643525cd30"
     "451690ce69bcab352d3aa11c961ac093ccc17717284b5d1f27e23dd5119711c4be97385831814653"
     "81e34afd3807866f",
     "d3",
     "1c62ebbb34cce9902f980a6855086af5c99a32eeda566aad215fd786003403dfa80bb2091afb3c86"
     "f20c88d1b05275d97e"},
    /* hashlib SHA384 #5 */
    {MBEDTLS_MD_SHA384, 1833, 99,
     "ec59c4fe4393ac7717985a402201ad457f31d0e87c48fcb63e9db04b3fb56a074787ae1049c75ee9"
     "5d9118719d46805698588e3fd36057279c5bbf0b79e0a9ca2af6a7455f646102b5f7a6d04c50967d"
     "a7c6e086d0ff69239e5d0ed054880806d426063fd63ba5eaaaa0d11b08b54a13d47c504ae61c7fc1"
     "7cd03f2bf16c693b90",
     "a87d78d109a5129269d2853e3ca5c1fb2d4efb9d99ea731e8f0bf37fbbbb44c4691e220f2667e2b8"
     "0c77e65fe28bb48e105ca4b1d658f4c018832c5f4e138332",
     "d45d8e4d1b973f09e63993cc7e4cfa0a00a873a82d09f8c302064044cab46cab70cd54f2fcbbaf3a"
     "9519fd7d3b75c65dbb599f804fea137ad1a5d5c08b36c859c74e8757c6d82608ad8074ff0fbeb286"
     "1d67d9290b21973ba9ce9339d9b86947ae187c"},
    /* hashlib SHA384 #6 */
    {MBEDTLS_MD_SHA384, 17, 100,
     "b0c3b38c48581e48295ef2d4a908571b66d80ba3c4079e0ddb37a70651d58bb54104c34b4995ea1b"
     "f9972d574c41f3b8a585af9cd1e2b59f4e2be8787a8c93b02d239006ef03f095653b3387766e39b8"
     "fff59dace1fb82a9ec9ff645632ac8af2a2e5d0bb999b22c8bf07240c26ce1147db510406b62712e"
     "802ca0485586b106bbfe8505236dfda006e8a79d526a3e247b33bef50b8944f1cb9921ab0e69e6b0"
     "e13bbac04f2aabdb090257ecd25e86b333bbe305cf4ed445b2a5622e10dfb3d9a0dd73a8544c6269"
     "c2b67744f8837fe457567578797fa05d252311cc42c9e368a7d86f7d285dfe4ab39de4fcc1faac04"
     "d55aba8763d6e41bcbc65d4515e6d86f8cee247536a094",
     "f51dcd5a1d68bbbec55932024f9d544dfab14ad010c7735cd90c56c22b739a1df997d7952340b6e6"
     "8a",
     "319a8ca5d330a6ff500b4121b9fc11611f7b775d7896db3c933d76ad768eeaa1e6f36d0da9fa523d"
     "3c31e1715fb8284801fc811386c777a31217e148942607a87a40adf92d1cef19146d9c0e4aab5cb4"
     "d5fa2d1a9320b7df347d2dc9d1caef5768a93ebf"},
    /* hashlib SHA384 #7 */
    {MBEDTLS_MD_SHA384, 169, 18, "1a2c29767d7435",
     "d1f20d2f707a25bf679895c8fc5fd3b0da969253a7f7ac6a0a15377d2e122fedcfd42531af0e60fc"
     "35c9040fde7bf7bd3a1e0cbbd85d06c254cd04211526ae4afc955825fb3935815aa152d0e91c4a57"
     "925d7886f1924480f9fad0ceddefa1b18852ab84c9d9ed0b1f9b14c34899bae6b6e279d9dd86087b"
     "8caf276a801aee763ec72a7ee3b5bb8155b0f986b5f65e3bd63c153965e6d6e6f9295967ea4a9d18"
     "0283a4710b2bf493a731383b6048536a450bdf7fd320045f36df46b29ae347a27b1d838d8c58f9aa",
     "e0d09a11c19769eb1c0678b0ce242528d229"},
    /* hashlib SHA384 #8 */
    {MBEDTLS_MD_SHA384, 1, 144,
     "ff3da79aeb3ea258e94461082aed0db93847414c8f3f5071b17359373e42acf70b0a034e727706e9"
     "bc50635ba97fe33f5b248454553309de1999a0a6adf9e813d3d50da924f8c0c0ae42858812b61b06"
     "27837baf9757844bad19aee605414069ccec7e4fb9b7543226045a7d34d69c6b74664318f1fdd253"
     "72aaa723d6c540873da9de870b52203fd4db9b1ad24e0c97f91c0d12fd779819a4d38da1160435a8"
     "a2bdebd9ac253e7a5ec9e064fd84d8581dd89c92cd7a1707bb9c925bce236075116e5bc1283f0aca"
     "e9166db52a772333a76d33bd5ff26467e512dc21cf0b0cec1c0ce23ddb55ee21bafbabbb64558cb1"
     "22192fca42c0bff3d117",
     "8c332a81a937644a4eb5f0dcc2ac9f06",
     "dcb86390e6735272aeeb194e125b8e737281d974daa5c76911d88ef84ac3768f7cc8616140d2037f"
     "8110aee125a8bb048d1f80626a9b68c5b6f7285a82efda431d6807a821f6269dbae65cdc39f7cf7a"
     "33ef3ca26df284032c376401505dee19aad83be81c5fa1a9154b57768e2069d4574a275ab17192e5"
     "f64d3c32ebdabef47e7683f2ce4d9bccb1d0d1e3af22fcae"},
    /* hashlib SHA512 #1 */
    {MBEDTLS_MD_SHA512, 1, 1, "", "", "6d"},
    /* hashlib SHA512 #2 */
    {MBEDTLS_MD_SHA512, 2, 63, "bf", "d701f5ce17294dcc",
     "b565195ecdfc324f9f50d17a976fc6e822784606c47a461cfdaf9ab8a36bd022ec7271872cb6d962"
     "dd441d01d614b435ae19c804b4b06c91f16e28ada228fb"},
    /* hashlib SHA512 #3 */
    {MBEDTLS_MD_SHA512, 3, 64,
     "2214c5038a8fd7e2ef955a3fdd7966e679a90b996bb3706e445ac233584bf281a24213f65c1b4585"
     "9cdac621a3f57d67c641cbce70b6eac8eade223d879655f32d8f41d50e6d688695a4d88ab2ba1421"
     "711639eaa131f5aace0c95e4adfb1e90d6c67fad239648fe0685e8f03c3ecb54f5a926b2fd4d04b9"
     "8e4e420b15e45f",
     "b4d45d3368558625215accae2873a070",
     "fa7c599a92ab454cb709d5f374166dd7894ce56a4e237880b26f64b6eb6cc02d400d4412902ad34a"
     "10de0fd86d584816b717b8422f35d8b8766b22d8e3ffb5e6"},
    /* hashlib SHA512 #4 */
    {MBEDTLS_MD_SHA512, 1000, 65,
     "1593cf146cc2f68286bfbf29579850e3c3914b3143c7c7fa04a1fcffa974b969c7f6f03c06330971"
     "17118362d817746266659894f8db0313df44253d55a5bb139246a2a70057456c8584df5cc29b6628"
     "35a4452ad1b344ec4b8608a55f82e323d7e321998e817e0f6e58e95f2ee2100388a665e943d0f6d0"
     "73752dd53ca423e3",
     "ea",
     "f06e2dcaccd896d166f75709079294096c02492f273df58ab3ada46f5d855283734eed316389593e"
     "6d9b3ac3264cdadf4903866f910c7e6ca9339feb0da6bc77c9"},
    /* hashlib SHA512 #5 */
    {MBEDTLS_MD_SHA512, 2181, 131,
     "9196d14b515e56e7f5a85577b53507a64785f283cc31bbcc667929c40dee2994e3bcb74dd4c535c9"
     "3148ae54d5d6ca6ee0bdb2aeb983b594e9be110fc0d9fbc0efbd5d2ced8a2dc275c8798b9a247dd7"
     "e9306c9d097f9d7fdffc319810521e8f76d732a158ebb803cd4c5f0c0c413127bab391ffae775f99"
     "ea9fbc8547845c0a0e",
     "6f878be13c7cb2edb569679f8cfab83881a07416233c32dbe6b187e92542a948fe3cea8c5013fdb0"
     "bd868dbcfec5147ea572811dfc18a4060b8415a97175e0c4",
     "9c27b83e4009a0d80a48771f357d1036842dce33d9a5e7f35dbcaea14dd9f6e2b5812a39b8bcb1d1"
     "04722f29111575caae8b828a0d58d16035d90e7d14aacf5f5b98f184569cf389f7e02fe297cb34e1"
     "8b3ec8e9719d00af17492cad33e801afa8ff012dc7976cb7d377c06efc35475c66a2f58644f15c88"
     "b8657a5e0967c6fa781b67"},
    /* hashlib SHA512 #6 */
    {MBEDTLS_MD_SHA512, 17, 100,
     "e0bf1ebc89d73d77bdd992d57d07c98b4799b7698fbe13b49b6c73e88f6d79ae0326b4b1d7a6ca3d"
     "cffdc50f45938114eefd7ed93945b246b3c84bd8c145ec11d1ac3f28cb21748c3d315b3079496839"
     "139f54335b27de01f4cea558fd6ec74cc31dc1983baf2f9d317a4ee00d6ae26a48120aa509c46239"
     "83769ad8755b70857a076cc834867d9025ae8f64a6983a9b3925a9c7a35e2212d4544e19785c7db3"
     "ada0e6073d051b81808bfff68c87f0777f0aeda7b4ed634bcdad7a3db3c7d1efbb07d80ce70c7891"
     "2f4ed6426951d65e3703c67ed10a932f043805391e77e72e19492bdf59ae8f0634a6a2134dd135f4"
     "a87f2a187a9fe14b0df2347e820e2381b7e495b1d30e25",
     "f22c51bd8b1780c08893",
     "72658aadca6a8fc69dbfb732f489b1879aaa95f007ffb49a2de57560864ff403caf2f871f28e8500"
     "ee48f1c4a8db20ea9ebcf7cd257e60f999a8a19083f37e560f5ffd3a01b9b94d92aba9ad0f20478f"
     "39450481fd5a5e58610ecabfa3f7e735598cfc46"},
    /* hashlib SHA512 #7 */
    {MBEDTLS_MD_SHA512, 2294, 12,
     "e1126097b8de207b3519d70586ae78f9d3a4645d75ab70201cb6c8f93ed3e519892aca1753",
     "093b2ff33cb270eeb210fff416df5c2cddea70c325d101eb57a983b099ba9bda363392181507261b"
     "ad955d3547f75cdff8bcf5067515737bd73753f77fe32686961139ce74ccfd70a5f8e59393c31115"
     "d9ccdc43d5f6f5ba346d1b72271d06460eae97216c483df8677e0727e11967f6d5d1e8cbffbab267"
     "7e9064f064c94e5a507732b7abc2bf4d65b42d830eeaaa3b2c3cd8738e16c6db4abf4f2444b50c42"
     "bcb15c55164481315d7ad24ea9204c9892aee36e8501d1ef843cd74b874d5df6939978ee27df428b",
     "333d0d921f3022ab54c63f52"},
    /* hashlib SHA512 #8 */
    {MBEDTLS_MD_SHA512, 1, 192,
     "04e565ec8583866ac76600d11d3013dbe15ff32fc1b27f21a4cd6860d38d4844af449a32b9fd2ecc"
     "cf85642397704ef53bfed6d8f9eb3a3da8c3145659cf5b16fab373cb2ade412394124bde28607b78"
     "6b06eea30444924daf694f5c7d881534ff476e0f74a2246c7f3c25aa8476387b3e2b4aa681c26502"
     "2e1f93bf1de995ff32",
     "3a323375adcd22a7739221ec09cfbac9",
     "897eec42add518daee3826f521e7b57edfd4519a5e6c808b1df5a9608c27b3519b24ec33fb6488ab"
     "e382d1bdc4b0215bacb85b34062bb9a2b3c3c07bf80ad158d19dd6bb9ef12f507192c1337694ecae"
     "b3988c8a878f08cbc387023d8ad17e128b2f1bd4c1007e72a19963daf773a4435014356fb751559b"
     "34b89031955ec3490b9f280630daf5e7237c988b5234ba3e0732a9c5b2ab1d1d98850aba35b64ce8"
     "228a11a90603b7b2f5d908da472718b92d7d95833cb511754f5e9093e5f25a8c"},
};

START_TEST(pbkdf2_known_answers)
{
    for (size_t i = 0; i < sizeof(pbkdf2_vectors) / sizeof(pbkdf2_vectors[0]); i++) {
        const pbkdf2_vector *v = &pbkdf2_vectors[i];
        uint8_t pw[512], salt[512], want[512], got[512];
        size_t pwlen = hex_decode(v->pw_hex, pw, sizeof(pw));
        size_t saltlen = hex_decode(v->salt_hex, salt, sizeof(salt));
        ck_assert_uint_eq(hex_decode(v->dk_hex, want, sizeof(want)), v->dklen);
        memset(got, 0xEE, sizeof(got));
        ck_assert_int_eq(mgw_pbkdf2(v->md, pw, pwlen, salt, saltlen, v->iterations, got, v->dklen),
                         MGW_OK);
        ck_assert_msg(memcmp(got, want, v->dklen) == 0, "PBKDF2 vector %zu differs", i);
        ck_assert_uint_eq(got[v->dklen], 0xEE); /* nothing written past the output */
    }
}
END_TEST

/* A longer output extends a shorter one (T_1 || T_2 || ...), up to 1024 bytes. */
START_TEST(pbkdf2_longer_output_extends_shorter)
{
    static const mbedtls_md_type_t mds[] = {MBEDTLS_MD_SHA1, MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA256,
                                            MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512};
    for (size_t m = 0; m < sizeof(mds) / sizeof(mds[0]); m++) {
        uint8_t full[1024], part[1024];
        const size_t lens[] = {1, md_size(mds[m]) - 1, md_size(mds[m]), 333, 1023};
        ck_assert_int_eq(mgw_pbkdf2(mds[m], (const uint8_t *)"pw", 2, (const uint8_t *)"salt", 4, 3,
                                    full, sizeof(full)),
                         MGW_OK);
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            ck_assert_int_eq(mgw_pbkdf2(mds[m], (const uint8_t *)"pw", 2, (const uint8_t *)"salt",
                                        4, 3, part, lens[i]),
                             MGW_OK);
            ck_assert(memcmp(full, part, lens[i]) == 0);
        }
    }
}
END_TEST

START_TEST(pbkdf2_iteration_limits)
{
    uint8_t out[20];
    const uint8_t *pw = (const uint8_t *)"password", *salt = (const uint8_t *)"salt";
    mgw_err_clear();
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA1, pw, 8, salt, 4, 16777216, out, 20),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "iteration"));
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA1, pw, 8, salt, 4, MGW_MAX_ITERATIONS + 1, out, 20),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA1, pw, 8, salt, 4, 0, out, 20),
                     MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(pbkdf2_refuses_bad_arguments)
{
    uint8_t out[1025];
    const uint8_t *pw = (const uint8_t *)"password", *salt = (const uint8_t *)"salt";
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, pw, 8, salt, 4, 1, out, 0),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, pw, 8, salt, 4, 1, out, 1025),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, pw, 8, salt, 4, 1, out, 1024), MGW_OK);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, NULL, 8, salt, 4, 1, out, 16),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, pw, 8, NULL, 4, 1, out, 16),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, pw, 8, salt, 4, 1, NULL, 16),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_SHA256, NULL, 0, NULL, 0, 1, out, 16), MGW_OK);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_MD5, pw, 8, salt, 4, 1, out, 16),
                     MGW_ERR_UNSUPPORTED_ALG);
    ck_assert_int_eq(mgw_pbkdf2(MBEDTLS_MD_NONE, pw, 8, salt, 4, 1, out, 16),
                     MGW_ERR_UNSUPPORTED_ALG);
}
END_TEST

/* ---- keys ---------------------------------------------------------------- */

enum { KEY_RSA2048, KEY_P256, KEY_P384, NKEYS };
static const char *const key_names[NKEYS] = {"RSA-2048", "P-256", "P-384"};
static mbedtls_pk_context keys[NKEYS];
static mgw_rng test_rng;

/* Generated once in main(); the forked tests inherit them. */
static int keys_generate(void)
{
    mgw_rng_init(&test_rng);
    for (int i = 0; i < NKEYS; i++)
        mbedtls_pk_init(&keys[i]);
    if (mbedtls_pk_setup(&keys[KEY_RSA2048], mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(keys[KEY_RSA2048]), mgw_rng_mbedtls, &test_rng, 2048,
                            65537) != 0)
        return -1;
    const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1};
    for (int i = 0; i < 2; i++) {
        mbedtls_pk_context *pk = &keys[KEY_P256 + i];
        if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
            mbedtls_ecp_gen_key(curves[i], mbedtls_pk_ec(*pk), mgw_rng_mbedtls, &test_rng) != 0)
            return -1;
    }
    return 0;
}

static void keys_free(void)
{
    for (int i = 0; i < NKEYS; i++)
        mbedtls_pk_free(&keys[i]);
    mgw_rng_free(&test_rng);
}

/* The PrivateKeyInfo parses with mbedTLS and holds the same key as `orig`. */
static void assert_same_key(const uint8_t *pki, size_t n, mbedtls_pk_context *orig,
                            const char *what)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int ret = mgw_compat_pk_parse_key(&pk, pki, n, mgw_rng_mbedtls, &test_rng);
    ck_assert_msg(ret == 0, "%s: mbedTLS cannot parse the key (-0x%04X)", what, (unsigned)-ret);
    ck_assert_msg(mgw_compat_pk_check_pair(orig, &pk, mgw_rng_mbedtls, &test_rng) == 0,
                  "%s: parsed key differs from the original", what);
    mbedtls_pk_free(&pk);
}

static void wrap_key(int i, mgw_dbuf *pki)
{
    mgw_dbuf_init(pki);
    ck_assert_int_eq(mgw_pkcs8_wrap(&keys[i], pki), MGW_OK);
}

static void expect_oid(mgw_der_reader *r, const char *dotted)
{
    mgw_span oid;
    mgw_dbuf want;
    mgw_dbuf_init(&want);
    ck_assert_int_eq(mgw_oid_from_text(dotted, &want), MGW_OK);
    ck_assert_int_eq(mgw_der_expect(r, MGW_ASN1_OID, &oid), MGW_OK);
    ck_assert_msg(mgw_span_eq(oid, want.p, want.len), "expected OID %s", dotted);
    mgw_dbuf_free(&want);
}

static void enter(mgw_der_reader *sub, mgw_der_reader *r, unsigned tag)
{
    mgw_span c;
    ck_assert_int_eq(mgw_der_expect(r, tag, &c), MGW_OK);
    ck_assert_int_eq(mgw_der_reader_sub(sub, r, c), MGW_OK);
}

/* ---- PrivateKeyInfo --------------------------------------------------------- */

START_TEST(wrap_writes_private_key_info)
{
    static const char *const params[NKEYS] = {NULL, "1.2.840.10045.3.1.7", "1.3.132.0.34"};
    int i = _i;
    mgw_dbuf pki;
    wrap_key(i, &pki);
    mgw_der_reader top, s, alg;
    mgw_span v;
    mgw_der_reader_init(&top, pki.p, pki.len);
    enter(&s, &top, MGW_ASN1_SEQUENCE);
    ck_assert(mgw_der_at_end(&top));
    ck_assert_int_eq(mgw_der_expect(&s, MGW_ASN1_INTEGER, &v), MGW_OK);
    ck_assert(mgw_span_eq(v, "\0", 1));
    enter(&alg, &s, MGW_ASN1_SEQUENCE);
    if (params[i] == NULL) {
        expect_oid(&alg, "1.2.840.113549.1.1.1");
        ck_assert_int_eq(mgw_der_expect(&alg, MGW_ASN1_NULL, &v), MGW_OK);
        ck_assert_uint_eq(v.len, 0);
    } else {
        expect_oid(&alg, "1.2.840.10045.2.1");
        expect_oid(&alg, params[i]);
    }
    ck_assert(mgw_der_at_end(&alg));
    ck_assert_int_eq(mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &v), MGW_OK);
    ck_assert(mgw_der_at_end(&s));
    assert_same_key(pki.p, pki.len, &keys[i], key_names[i]);
    mgw_dbuf_free(&pki);
}
END_TEST

START_TEST(wrap_appends_to_the_buffer)
{
    mgw_dbuf pki, alone;
    mgw_dbuf_init(&pki);
    mgw_dbuf_puts(&pki, "keep");
    ck_assert_int_eq(mgw_pkcs8_wrap(&keys[KEY_P256], &pki), MGW_OK);
    wrap_key(KEY_P256, &alone);
    ck_assert_uint_eq(pki.len, 4 + alone.len);
    ck_assert(memcmp(pki.p, "keep", 4) == 0 && memcmp(pki.p + 4, alone.p, alone.len) == 0);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&alone);
}
END_TEST

START_TEST(wrap_refuses_other_key_types)
{
    mbedtls_pk_context pk;
    mgw_dbuf pki;
    mgw_dbuf_init(&pki);
    mbedtls_pk_init(&pk);
    ck_assert_int_eq(mgw_pkcs8_wrap(&pk, &pki), MGW_ERR_KEY_TYPE); /* no key at all */
    ck_assert_int_eq(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    ck_assert_int_eq(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP521R1, mbedtls_pk_ec(pk),
                                         mgw_rng_mbedtls, &test_rng),
                     0);
    mgw_err_clear();
    ck_assert_int_eq(mgw_pkcs8_wrap(&pk, &pki), MGW_ERR_KEY_TYPE);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "P-256"));
    ck_assert_uint_eq(pki.len, 0);
    ck_assert_int_eq(mgw_pkcs8_wrap(NULL, &pki), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_wrap(&keys[KEY_P256], NULL), MGW_ERR_INVALID_ARGUMENT);
    mbedtls_pk_free(&pk);
    mgw_dbuf_free(&pki);
}
END_TEST

/* ---- EncryptedPrivateKeyInfo: our writer ------------------------------------ */

/* Our output has OpenSSL's layout: PBES2 { PBKDF2 { salt(16), count,
 * hmacWithSHA256 + NULL } (no keyLength), aes256-CBC { IV(16) } }. */
static void assert_our_layout(const uint8_t *der, size_t n, uint32_t iterations, size_t pkilen)
{
    mgw_der_reader top, s, alg, params, kdf, kdfp, prf, enc;
    mgw_span v;
    uint64_t count;
    mgw_der_reader_init(&top, der, n);
    enter(&s, &top, MGW_ASN1_SEQUENCE);
    ck_assert(mgw_der_at_end(&top));
    enter(&alg, &s, MGW_ASN1_SEQUENCE);
    expect_oid(&alg, "1.2.840.113549.1.5.13");
    enter(&params, &alg, MGW_ASN1_SEQUENCE);
    ck_assert(mgw_der_at_end(&alg));
    enter(&kdf, &params, MGW_ASN1_SEQUENCE);
    expect_oid(&kdf, "1.2.840.113549.1.5.12");
    enter(&kdfp, &kdf, MGW_ASN1_SEQUENCE);
    ck_assert(mgw_der_at_end(&kdf));
    ck_assert_int_eq(mgw_der_expect(&kdfp, MGW_ASN1_OCTET_STRING, &v), MGW_OK);
    ck_assert_uint_eq(v.len, 16);
    ck_assert_int_eq(mgw_der_get_small_uint(&kdfp, &count), MGW_OK);
    ck_assert_uint_eq(count, iterations);
    enter(&prf, &kdfp, MGW_ASN1_SEQUENCE);
    ck_assert(mgw_der_at_end(&kdfp));
    expect_oid(&prf, "1.2.840.113549.2.9");
    ck_assert_int_eq(mgw_der_expect(&prf, MGW_ASN1_NULL, &v), MGW_OK);
    ck_assert(mgw_der_at_end(&prf));
    enter(&enc, &params, MGW_ASN1_SEQUENCE);
    ck_assert(mgw_der_at_end(&params));
    expect_oid(&enc, "2.16.840.1.101.3.4.1.42");
    ck_assert_int_eq(mgw_der_expect(&enc, MGW_ASN1_OCTET_STRING, &v), MGW_OK);
    ck_assert_uint_eq(v.len, 16);
    ck_assert(mgw_der_at_end(&enc));
    ck_assert_int_eq(mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &v), MGW_OK);
    ck_assert_uint_eq(v.len, (pkilen / 16 + 1) * 16); /* PKCS#7 always pads */
    ck_assert(mgw_der_at_end(&s));
}

/* Salt, IV and ciphertext of a PBES2 EncryptedPrivateKeyInfo. */
typedef struct {
    mgw_span salt, iv, ct;
} epki_parts;

static epki_parts locate_parts(const uint8_t *der, size_t n)
{
    epki_parts parts;
    mgw_der_reader top, s, alg, params, kdf, kdfp, enc;
    mgw_span oid;
    mgw_der_reader_init(&top, der, n);
    enter(&s, &top, MGW_ASN1_SEQUENCE);
    enter(&alg, &s, MGW_ASN1_SEQUENCE);
    ck_assert_int_eq(mgw_der_expect(&alg, MGW_ASN1_OID, &oid), MGW_OK);
    enter(&params, &alg, MGW_ASN1_SEQUENCE);
    enter(&kdf, &params, MGW_ASN1_SEQUENCE);
    ck_assert_int_eq(mgw_der_expect(&kdf, MGW_ASN1_OID, &oid), MGW_OK);
    enter(&kdfp, &kdf, MGW_ASN1_SEQUENCE);
    ck_assert_int_eq(mgw_der_expect(&kdfp, MGW_ASN1_OCTET_STRING, &parts.salt), MGW_OK);
    enter(&enc, &params, MGW_ASN1_SEQUENCE);
    ck_assert_int_eq(mgw_der_expect(&enc, MGW_ASN1_OID, &oid), MGW_OK);
    ck_assert_int_eq(mgw_der_expect(&enc, MGW_ASN1_OCTET_STRING, &parts.iv), MGW_OK);
    ck_assert_int_eq(mgw_der_expect(&s, MGW_ASN1_OCTET_STRING, &parts.ct), MGW_OK);
    return parts;
}

START_TEST(encrypt_decrypt_round_trip)
{
    int i = _i;
    const uint32_t counts[] = {1, 2048};
    mgw_dbuf pki;
    wrap_key(i, &pki);
    for (size_t c = 0; c < 2; c++) {
        mgw_dbuf enc, dec;
        mgw_dbuf_init(&enc);
        mgw_dbuf_init(&dec);
        ck_assert_int_eq(mgw_pkcs8_encrypt(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, counts[c],
                                           &test_rng, &enc),
                         MGW_OK);
        assert_our_layout(enc.p, enc.len, counts[c], pki.len);
        ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, (const uint8_t *)PW, PW_LEN, &dec),
                         MGW_OK);
        ck_assert_uint_eq(dec.len, pki.len);
        ck_assert(memcmp(dec.p, pki.p, pki.len) == 0);
        assert_same_key(dec.p, dec.len, &keys[i], key_names[i]);
        mgw_dbuf_free(&enc);
        mgw_dbuf_free(&dec);
    }
    mgw_dbuf_free(&pki);
}
END_TEST

START_TEST(encrypt_matches_independent_known_answer)
{
    mgw_dbuf pki, want, got;
    mgw_dbuf_init(&pki);
    mgw_dbuf_init(&want);
    mgw_dbuf_init(&got);
    read_fixture("p256.pk8.der", &pki);
    read_fixture("p256-kat-ours.der", &want);
    uint8_t counter = 0;
    mgw_rng rng;
    mgw_rng_init(&rng);
    mgw_rng_set_cb(&rng, counter_rng, &counter);
    ck_assert_int_eq(
        mgw_pkcs8_encrypt(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 2048, &rng, &got), MGW_OK);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.p, want.p, want.len) == 0);
    mgw_rng_free(&rng);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&want);
    mgw_dbuf_free(&got);
}
END_TEST

START_TEST(encrypt_uses_fresh_salt_and_iv)
{
    mgw_dbuf pki, a, b, dec;
    wrap_key(KEY_P256, &pki);
    mgw_dbuf_init(&a);
    mgw_dbuf_init(&b);
    mgw_dbuf_init(&dec);
    ck_assert_int_eq(
        mgw_pkcs8_encrypt(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 10, &test_rng, &a), MGW_OK);
    ck_assert_int_eq(
        mgw_pkcs8_encrypt(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 10, &test_rng, &b), MGW_OK);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert(memcmp(a.p, b.p, a.len) != 0);
    epki_parts pa = locate_parts(a.p, a.len), pb = locate_parts(b.p, b.len);
    ck_assert(pa.salt.len == 16 && memcmp(pa.salt.p, pb.salt.p, 16) != 0);
    ck_assert(pa.iv.len == 16 && memcmp(pa.iv.p, pb.iv.p, 16) != 0);
    ck_assert_int_eq(mgw_pkcs8_decrypt(b.p, b.len, (const uint8_t *)PW, PW_LEN, &dec), MGW_OK);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&a);
    mgw_dbuf_free(&b);
    mgw_dbuf_free(&dec);
}
END_TEST

START_TEST(encrypt_refuses_bad_arguments)
{
    const uint8_t pki[] = {0x30, 0x00};
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    mgw_dbuf_puts(&out, "keep");
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, 2, (const uint8_t *)PW, PW_LEN, 0, &test_rng, &out),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, 2, (const uint8_t *)PW, PW_LEN, MGW_MAX_ITERATIONS + 1,
                                       &test_rng, &out),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_encrypt(NULL, 2, (const uint8_t *)PW, PW_LEN, 1, &test_rng, &out),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, 0, (const uint8_t *)PW, PW_LEN, 1, &test_rng, &out),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, 2, NULL, 3, 1, &test_rng, &out),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, 2, (const uint8_t *)PW, PW_LEN, 1, NULL, &out),
                     MGW_ERR_INVALID_ARGUMENT);
    mgw_rng bad;
    mgw_rng_init(&bad);
    mgw_rng_set_cb(&bad, failing_rng, NULL);
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, 2, (const uint8_t *)PW, PW_LEN, 1, &bad, &out),
                     MGW_ERR_RANDOM);
    mgw_rng_free(&bad);
    ck_assert_uint_eq(out.len, 4);
    ck_assert(memcmp(out.p, "keep", 4) == 0);
    mgw_dbuf_free(&out);
}
END_TEST

/* Encrypt `pki` with PW at `iterations` into `out` (fresh). */
static void encrypt_with(const uint8_t *pki, size_t n, const uint8_t *pw, size_t pwlen,
                         uint32_t iterations, mgw_dbuf *out)
{
    mgw_dbuf_init(out);
    ck_assert_int_eq(mgw_pkcs8_encrypt(pki, n, pw, pwlen, iterations, &test_rng, out), MGW_OK);
}

/* Decrypt must fail with `code` and leave a non-empty buffer as it was. */
static void expect_decrypt_error(const uint8_t *der, size_t n, const uint8_t *pw, size_t pwlen,
                                 int code, const char *detail)
{
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    mgw_dbuf_puts(&out, "keep");
    mgw_err_clear();
    int rc = mgw_pkcs8_decrypt(der, n, pw, pwlen, &out);
    ck_assert_msg(rc == code, "expected %d, got %d (%s)", code, rc, mgw_last_error());
    ck_assert_msg(mgw_last_error()[0] != '\0', "error %d without a detail", rc);
    if (detail != NULL)
        ck_assert_msg(strstr(mgw_last_error(), detail) != NULL, "detail \"%s\" lacks \"%s\"",
                      mgw_last_error(), detail);
    ck_assert_uint_eq(out.len, 4);
    ck_assert(memcmp(out.p, "keep", 4) == 0);
    mgw_dbuf_free(&out);
}

START_TEST(wrong_password_is_reported)
{
    static const char *const wrong[] = {"", "mgw-test-pas", "mgw-test-passs", "MGW-TEST-PASS", "x"};
    mgw_dbuf pki, enc;
    wrap_key(KEY_RSA2048, &pki);
    encrypt_with(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 50, &enc);
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
        expect_decrypt_error(enc.p, enc.len, (const uint8_t *)wrong[i], strlen(wrong[i]),
                             MGW_ERR_WRONG_PASSWORD, "wrong password");
    ck_assert_ptr_null(strstr(mgw_last_error(), "MGW-TEST")); /* no password in the detail */
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&enc);
}
END_TEST

/* A wrong key gives valid padding about once in 256 tries; the PrivateKeyInfo
 * check must still catch every one. */
START_TEST(many_wrong_passwords_never_succeed)
{
    mgw_dbuf pki, enc;
    wrap_key(KEY_P256, &pki);
    encrypt_with(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 1, &enc);
    for (int i = 0; i < 3000; i++) {
        char pw[16];
        snprintf(pw, sizeof(pw), "guess-%d", i);
        expect_decrypt_error(enc.p, enc.len, (const uint8_t *)pw, strlen(pw),
                             MGW_ERR_WRONG_PASSWORD, NULL);
    }
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&enc);
}
END_TEST

START_TEST(empty_password_works)
{
    mgw_dbuf pki, enc, dec;
    wrap_key(KEY_P384, &pki);
    encrypt_with(pki.p, pki.len, NULL, 0, 100, &enc);
    mgw_dbuf_init(&dec);
    ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, (const uint8_t *)"", 0, &dec), MGW_OK);
    ck_assert(dec.len == pki.len && memcmp(dec.p, pki.p, pki.len) == 0);
    mgw_dbuf_free(&dec);
    mgw_dbuf_init(&dec);
    ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, NULL, 0, &dec), MGW_OK);
    ck_assert(dec.len == pki.len && memcmp(dec.p, pki.p, pki.len) == 0);
    expect_decrypt_error(enc.p, enc.len, (const uint8_t *)" ", 1, MGW_ERR_WRONG_PASSWORD, NULL);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&enc);
    mgw_dbuf_free(&dec);
}
END_TEST

/* Right password, but the plaintext is not a PrivateKeyInfo. */
START_TEST(plaintext_must_be_private_key_info)
{
    static const char *const bad[] = {
        "68656c6c6f",             /* "hello" */
        "300702010130000400",     /* version 1 */
        "3008020200003000040000", /* version 0 encoded non-minimally */
        "300802010030000400",     /* SEQUENCE longer than its content */
        "30070201003000040000",   /* trailing byte after the SEQUENCE */
        "30050201003000",         /* no privateKey */
        "30050201000400",         /* no AlgorithmIdentifier */
        "300430000400",           /* no version */
        "3080020100300004000000", /* indefinite length (BER) */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t plain[64];
        size_t n = hex_decode(bad[i], plain, sizeof(plain));
        mgw_dbuf enc;
        encrypt_with(plain, n, (const uint8_t *)PW, PW_LEN, 1, &enc);
        expect_decrypt_error(enc.p, enc.len, (const uint8_t *)PW, PW_LEN, MGW_ERR_WRONG_PASSWORD,
                             NULL);
        mgw_dbuf_free(&enc);
    }
    /* the smallest acceptable shape */
    uint8_t ok[] = {0x30, 0x07, 0x02, 0x01, 0x00, 0x30, 0x00, 0x04, 0x00};
    mgw_dbuf enc, dec;
    encrypt_with(ok, sizeof(ok), (const uint8_t *)PW, PW_LEN, 1, &enc);
    mgw_dbuf_init(&dec);
    ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, (const uint8_t *)PW, PW_LEN, &dec), MGW_OK);
    ck_assert(dec.len == sizeof(ok) && memcmp(dec.p, ok, sizeof(ok)) == 0);
    mgw_dbuf_free(&enc);
    mgw_dbuf_free(&dec);
}
END_TEST

START_TEST(decrypt_appends_to_the_buffer)
{
    mgw_dbuf pki, enc, dec;
    wrap_key(KEY_P256, &pki);
    encrypt_with(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 1, &enc);
    mgw_dbuf_init(&dec);
    mgw_dbuf_puts(&dec, "keep");
    ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, (const uint8_t *)PW, PW_LEN, &dec), MGW_OK);
    ck_assert(dec.len == 4 + pki.len && memcmp(dec.p + 4, pki.p, pki.len) == 0);
    ck_assert_int_eq(mgw_pkcs8_decrypt(NULL, 1, (const uint8_t *)PW, PW_LEN, &dec),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, NULL, 1, &dec), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_pkcs8_decrypt(enc.p, enc.len, (const uint8_t *)PW, PW_LEN, NULL),
                     MGW_ERR_INVALID_ARGUMENT);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&enc);
    mgw_dbuf_free(&dec);
}
END_TEST

/* ---- EncryptedPrivateKeyInfo from OpenSSL (committed fixtures) -------------- */

typedef struct {
    const char *file, *plain;
    const char *password; /* NULL: read utf8-password.txt */
} fixture;

static const fixture openssl_fixtures[] = {
    {"p256-aes256-sha256.der", "p256.pk8.der", PW},
    {"rsa2048-aes128-sha1.der", "rsa2048.pk8.der", PW},
    {"p256-des3-sha256.der", "p256.pk8.der", PW},
    {"rsa2048-aes256-sha512.der", "rsa2048.pk8.der", PW},
    {"p384-aes192-sha384.der", "p384.pk8.der", PW},
    {"p384-aes256-sha224.der", "p384.pk8.der", PW},
    {"p256-aes256-emptypw.der", "p256.pk8.der", ""},
    {"p256-aes256-utf8pw.der", "p256.pk8.der", NULL},
    {"p256-kat-ours.der", "p256.pk8.der", PW},
};

static void fixture_password(const fixture *f, mgw_dbuf *pw)
{
    mgw_dbuf_init(pw);
    if (f->password != NULL)
        mgw_dbuf_puts(pw, f->password);
    else
        read_fixture("utf8-password.txt", pw);
}

START_TEST(decrypts_openssl_fixtures)
{
    const fixture *f = &openssl_fixtures[_i];
    mgw_dbuf der, want, pw, got;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&want);
    mgw_dbuf_init(&got);
    read_fixture(f->file, &der);
    read_fixture(f->plain, &want);
    fixture_password(f, &pw);
    int rc = mgw_pkcs8_decrypt(der.p, der.len, pw.p, pw.len, &got);
    ck_assert_msg(rc == MGW_OK, "%s: %d (%s)", f->file, rc, mgw_last_error());
    ck_assert_msg(got.len == want.len && memcmp(got.p, want.p, want.len) == 0,
                  "%s: plaintext differs from %s", f->file, f->plain);
    expect_decrypt_error(der.p, der.len, (const uint8_t *)"nope", 4, MGW_ERR_WRONG_PASSWORD, NULL);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&want);
    mgw_dbuf_free(&pw);
    mgw_dbuf_free(&got);
}
END_TEST

START_TEST(pkcs12_pbe_decrypts_and_scrypt_is_unsupported)
{
    /* OpenSSL's -v1 PBE-SHA1-3DES: the PKCS#12 PBE that compat PFX key bags use */
    mgw_dbuf der, pki, want;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&pki);
    mgw_dbuf_init(&want);
    read_fixture("p256-pkcs12-3des.der", &der);
    read_fixture("p256.pk8.der", &want);
    ck_assert_int_eq(mgw_pkcs8_decrypt(der.p, der.len, (const uint8_t *)PW, PW_LEN, &pki), MGW_OK);
    ck_assert_uint_eq(pki.len, want.len);
    ck_assert_int_eq(memcmp(pki.p, want.p, want.len), 0);
    ck_assert_int_eq(mgw_pkcs8_decrypt(der.p, der.len, (const uint8_t *)"x", 1, &pki),
                     MGW_ERR_WRONG_PASSWORD);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&want);
    mgw_dbuf_free(&der);
    mgw_dbuf_init(&der);
    read_fixture("p256-scrypt.der", &der);
    expect_decrypt_error(der.p, der.len, (const uint8_t *)PW, PW_LEN, MGW_ERR_UNSUPPORTED_ALG,
                         "1.3.6.1.4.1.11591.4.11");
    mgw_dbuf_free(&der);
}
END_TEST

/* ---- interop with the openssl CLI ------------------------------------------- */

static char tmpdir[512];

static void tmpdir_create(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/mgw-pkcs8-XXXXXX",
             base != NULL && *base != '\0' ? base : "/tmp");
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
}

static void tmpdir_remove(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp_path(const char *name)
{
    static char paths[4][600];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
    return p;
}

/* Run a shell command in tmpdir; its output goes to tmpdir/log. Exit status. */
static int sh(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof(full), "cd '%s' && { %s ; } >>log 2>&1", tmpdir, cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sh_ok(const char *cmd)
{
    int rc = sh(cmd);
    if (rc != 0) {
        mgw_dbuf log;
        mgw_dbuf_init(&log);
        read_file(tmp_path("log"), &log);
        mgw_dbuf_putc(&log, 0);
        ck_abort_msg("command failed (%d): %s\n%s", rc, cmd, (const char *)log.p);
    }
}

static void require_openssl(void)
{
    ck_assert_msg(sh("openssl version") == 0,
                  "the openssl command is needed for the interop tests; put it on PATH");
}

static void pem_to_der(const char *path, const char *label, mgw_dbuf *der)
{
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    read_file(path, &text);
    mgw_dbuf_init(der);
    ck_assert_int_eq(mgw_pem_read(text.p, text.len, label, der, NULL, 0), MGW_OK);
    mgw_dbuf_free(&text);
}

/* (a) openssl decrypts what we write, with the password from a file, an empty
 * password, and refuses a wrong one. */
START_TEST(openssl_decrypts_ours)
{
    int i = _i;
    require_openssl();
    mgw_dbuf pki, enc, pem, plain;
    wrap_key(i, &pki);
    write_file(tmp_path("pki.der"), pki.p, pki.len);
    sh_ok("openssl pkey -inform DER -in pki.der -check -noout");
    static const struct {
        const char *pw, *passin;
    } cases[] = {{PW, "file:pw.txt"}, {"", "pass:"}};
    for (size_t c = 0; c < 2; c++) {
        write_file(tmp_path("pw.txt"), cases[c].pw, strlen(cases[c].pw));
        encrypt_with(pki.p, pki.len, (const uint8_t *)cases[c].pw, strlen(cases[c].pw), 2048, &enc);
        mgw_dbuf_init(&pem);
        ck_assert_int_eq(mgw_pem_write("ENCRYPTED PRIVATE KEY", enc.p, enc.len, &pem), MGW_OK);
        write_file(tmp_path("ours.pem"), pem.p, pem.len);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "openssl pkcs8 -in ours.pem -passin %s -out plain.pem",
                 cases[c].passin);
        sh_ok(cmd);
        pem_to_der(tmp_path("plain.pem"), "PRIVATE KEY", &plain);
        assert_same_key(plain.p, plain.len, &keys[i], key_names[i]);
        ck_assert_int_ne(sh("openssl pkcs8 -in ours.pem -passin pass:wrong -out bad.pem"), 0);
        mgw_dbuf_free(&enc);
        mgw_dbuf_free(&pem);
        mgw_dbuf_free(&plain);
    }
    mgw_dbuf_free(&pki);
}
END_TEST

/* (b) we decrypt what openssl writes with freshly generated keys. */
START_TEST(ours_decrypts_openssl)
{
    static const char *const genkey[] = {
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem",
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem",
    };
    static const char *const schemes[] = {
        "-v2 aes-256-cbc -v2prf hmacWithSHA256",
        "-v2 aes-128-cbc -v2prf hmacWithSHA1",
        "-v2 des3",
        "-v2 aes-256-cbc -v2prf hmacWithSHA512",
    };
    require_openssl();
    sh_ok(genkey[_i]);
    sh_ok("openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out plain.der");
    write_file(tmp_path("pw.txt"), PW, PW_LEN);
    mgw_dbuf want;
    mgw_dbuf_init(&want);
    read_file(tmp_path("plain.der"), &want);
    for (size_t s = 0; s < sizeof(schemes) / sizeof(schemes[0]); s++) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd),
                 "openssl pkcs8 -topk8 %s -in key.pem -passout file:pw.txt -outform DER "
                 "-out enc.der",
                 schemes[s]);
        sh_ok(cmd);
        mgw_dbuf der, got;
        mgw_dbuf_init(&der);
        mgw_dbuf_init(&got);
        read_file(tmp_path("enc.der"), &der);
        int rc = mgw_pkcs8_decrypt(der.p, der.len, (const uint8_t *)PW, PW_LEN, &got);
        ck_assert_msg(rc == MGW_OK, "%s: %d (%s)", schemes[s], rc, mgw_last_error());
        ck_assert_msg(got.len == want.len && memcmp(got.p, want.p, want.len) == 0,
                      "%s: plaintext differs", schemes[s]);
        expect_decrypt_error(der.p, der.len, (const uint8_t *)"nope", 4, MGW_ERR_WRONG_PASSWORD,
                             NULL);
        mgw_dbuf_free(&der);
        mgw_dbuf_free(&got);
    }
    mgw_dbuf_free(&want);
}
END_TEST

/* ---- hostile input ---------------------------------------------------------- */

enum { PRF_OMIT, PRF_NULL, PRF_NO_PARAMS, PRF_BAD_PARAMS };

/* Everything an EncryptedPrivateKeyInfo can vary in; spec_default() is a
 * valid PBES2/PBKDF2-SHA256/AES-256-CBC one encrypting a tiny PrivateKeyInfo
 * with PW. */
typedef struct {
    const char *alg_oid, *kdf_oid, *prf_oid, *cipher_oid;
    int prf_form;
    mbedtls_md_type_t md;
    mbedtls_cipher_type_t cipher; /* MBEDTLS_CIPHER_NONE: filler ciphertext */
    size_t keylen, block;
    size_t salt_len;
    bool salt_other_source;
    const char *iter_hex; /* raw INTEGER content; overrides iterations */
    uint32_t iterations;
    long key_length; /* < 0: omitted */
    long iv_len;     /* < 0: omitted */
    long ct_len;     /* >= 0: that many filler bytes instead of real ciphertext */
    bool kdf_params_trailing, enc_trailing, top_trailing;
} epki_spec;

static const uint8_t tiny_pki[] = {0x30, 0x07, 0x02, 0x01, 0x00, 0x30, 0x00, 0x04, 0x00};

static epki_spec spec_default(void)
{
    epki_spec s;
    memset(&s, 0, sizeof(s));
    s.alg_oid = "1.2.840.113549.1.5.13";
    s.kdf_oid = "1.2.840.113549.1.5.12";
    s.prf_oid = "1.2.840.113549.2.9";
    s.prf_form = PRF_NULL;
    s.md = MBEDTLS_MD_SHA256;
    s.cipher_oid = "2.16.840.1.101.3.4.1.42";
    s.cipher = MBEDTLS_CIPHER_AES_256_CBC;
    s.keylen = 32;
    s.block = 16;
    s.salt_len = 16;
    s.iterations = 10;
    s.key_length = -1;
    s.iv_len = 16;
    s.ct_len = -1;
    return s;
}

static void build_epki(const epki_spec *s, mgw_dbuf *b)
{
    uint8_t salt[1100], iv[32], key[32], ct[64];
    size_t ctlen = 0;
    for (size_t i = 0; i < sizeof(salt); i++)
        salt[i] = (uint8_t)(0x5A ^ i);
    for (size_t i = 0; i < sizeof(iv); i++)
        iv[i] = (uint8_t)(0xC3 + i);
    if (s->ct_len >= 0) {
        ctlen = (size_t)s->ct_len;
        ck_assert_uint_le(ctlen, sizeof(ct));
        memset(ct, 0x42, ctlen);
    } else {
        mbedtls_cipher_context_t c;
        mbedtls_cipher_init(&c);
        ck_assert_int_eq(mgw_pbkdf2(s->md, (const uint8_t *)PW, PW_LEN, salt, s->salt_len,
                                    s->iterations, key, s->keylen),
                         MGW_OK);
        ck_assert_int_eq(mbedtls_cipher_setup(&c, mbedtls_cipher_info_from_type(s->cipher)), 0);
        ck_assert_int_eq(mbedtls_cipher_setkey(&c, key, (int)(s->keylen * 8), MBEDTLS_ENCRYPT), 0);
        ck_assert_int_eq(mbedtls_cipher_set_padding_mode(&c, MBEDTLS_PADDING_PKCS7), 0);
        ck_assert_int_eq(
            mbedtls_cipher_crypt(&c, iv, s->block, tiny_pki, sizeof(tiny_pki), ct, &ctlen), 0);
        mbedtls_cipher_free(&c);
    }
    mgw_dbuf_init(b);
    size_t top = mgw_der_open(b), alg = mgw_der_open(b);
    mgw_der_put_oid_text(b, s->alg_oid);
    size_t params = mgw_der_open(b), kdf = mgw_der_open(b);
    mgw_der_put_oid_text(b, s->kdf_oid);
    size_t kdfp = mgw_der_open(b);
    if (s->salt_other_source) {
        size_t other = mgw_der_open(b);
        mgw_der_put_oid_text(b, "1.2.3.4");
        mgw_der_close(b, MGW_ASN1_SEQUENCE, other);
    } else {
        mgw_der_put(b, MGW_ASN1_OCTET_STRING, salt, s->salt_len);
    }
    if (s->iter_hex != NULL) {
        uint8_t raw[32];
        size_t n = hex_decode(s->iter_hex, raw, sizeof(raw));
        mgw_der_put(b, MGW_ASN1_INTEGER, raw, n);
    } else {
        mgw_der_put_small_int(b, (long)s->iterations);
    }
    if (s->key_length >= 0)
        mgw_der_put_small_int(b, s->key_length);
    if (s->prf_form != PRF_OMIT) {
        size_t prf = mgw_der_open(b);
        mgw_der_put_oid_text(b, s->prf_oid);
        if (s->prf_form == PRF_NULL)
            mgw_der_put(b, MGW_ASN1_NULL, NULL, 0);
        else if (s->prf_form == PRF_BAD_PARAMS)
            mgw_der_put_small_int(b, 1);
        mgw_der_close(b, MGW_ASN1_SEQUENCE, prf);
    }
    if (s->kdf_params_trailing)
        mgw_der_put(b, MGW_ASN1_NULL, NULL, 0);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, kdfp);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, kdf);
    size_t enc = mgw_der_open(b);
    mgw_der_put_oid_text(b, s->cipher_oid);
    if (s->iv_len >= 0)
        mgw_der_put(b, MGW_ASN1_OCTET_STRING, iv, (size_t)s->iv_len);
    if (s->enc_trailing)
        mgw_der_put(b, MGW_ASN1_NULL, NULL, 0);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, enc);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, params);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, alg);
    mgw_der_put(b, MGW_ASN1_OCTET_STRING, ct, ctlen);
    mgw_der_close(b, MGW_ASN1_SEQUENCE, top);
    if (s->top_trailing)
        mgw_dbuf_putc(b, 0);
    ck_assert(!b->oom);
}

static void expect_spec(const epki_spec *s, int code, const char *detail)
{
    mgw_dbuf der;
    build_epki(s, &der);
    if (code == MGW_OK) {
        mgw_dbuf out;
        mgw_dbuf_init(&out);
        int rc = mgw_pkcs8_decrypt(der.p, der.len, (const uint8_t *)PW, PW_LEN, &out);
        ck_assert_msg(rc == MGW_OK, "expected success, got %d (%s)", rc, mgw_last_error());
        ck_assert(out.len == sizeof(tiny_pki) && memcmp(out.p, tiny_pki, out.len) == 0);
        mgw_dbuf_free(&out);
    } else {
        expect_decrypt_error(der.p, der.len, (const uint8_t *)PW, PW_LEN, code, detail);
    }
    mgw_dbuf_free(&der);
}

START_TEST(builder_round_trips_every_prf_and_cipher)
{
    static const struct {
        const char *oid;
        mbedtls_md_type_t md;
    } prfs[] = {{"1.2.840.113549.2.7", MBEDTLS_MD_SHA1},
                {"1.2.840.113549.2.8", MBEDTLS_MD_SHA224},
                {"1.2.840.113549.2.9", MBEDTLS_MD_SHA256},
                {"1.2.840.113549.2.10", MBEDTLS_MD_SHA384},
                {"1.2.840.113549.2.11", MBEDTLS_MD_SHA512}};
    static const struct {
        const char *oid;
        mbedtls_cipher_type_t type;
        size_t keylen, block;
    } ciphers[] = {{"2.16.840.1.101.3.4.1.2", MBEDTLS_CIPHER_AES_128_CBC, 16, 16},
                   {"2.16.840.1.101.3.4.1.22", MBEDTLS_CIPHER_AES_192_CBC, 24, 16},
                   {"2.16.840.1.101.3.4.1.42", MBEDTLS_CIPHER_AES_256_CBC, 32, 16},
                   {"1.2.840.113549.3.7", MBEDTLS_CIPHER_DES_EDE3_CBC, 24, 8}};
    for (size_t p = 0; p < 5; p++)
        for (size_t c = 0; c < 4; c++) {
            epki_spec s = spec_default();
            s.prf_oid = prfs[p].oid;
            s.md = prfs[p].md;
            s.cipher_oid = ciphers[c].oid;
            s.cipher = ciphers[c].type;
            s.keylen = ciphers[c].keylen;
            s.block = ciphers[c].block;
            s.iv_len = (long)ciphers[c].block;
            expect_spec(&s, MGW_OK, NULL);
            s.key_length = (long)ciphers[c].keylen; /* explicit, matching keyLength */
            expect_spec(&s, MGW_OK, NULL);
            s.key_length = (long)ciphers[c].keylen + 8;
            expect_spec(&s, MGW_ERR_KEY_PARSE, "keyLength");
        }
    /* prf absent means hmacWithSHA1; parameters may be absent too */
    epki_spec s = spec_default();
    s.prf_form = PRF_OMIT;
    s.md = MBEDTLS_MD_SHA1;
    expect_spec(&s, MGW_OK, NULL);
    s = spec_default();
    s.prf_form = PRF_NO_PARAMS;
    expect_spec(&s, MGW_OK, NULL);
}
END_TEST

START_TEST(iteration_counts_are_capped)
{
    static const struct {
        const char *hex;
        int code;
    } cases[] = {
        {"0080000000", MGW_ERR_TOO_LARGE},             /* 2^31 */
        {"00FFFFFFFF", MGW_ERR_TOO_LARGE},             /* 2^32 - 1 */
        {"0100000000000000000000", MGW_ERR_TOO_LARGE}, /* 2^80 */
        {"00989681", MGW_ERR_TOO_LARGE},               /* MGW_MAX_ITERATIONS + 1 */
        {"00", MGW_ERR_KEY_PARSE},                     /* zero */
        {"FF", MGW_ERR_KEY_PARSE},                     /* -1 */
        {"80000000", MGW_ERR_KEY_PARSE},               /* -2^31 */
        {"000A", MGW_ERR_DER},                         /* non-minimal */
        {"", MGW_ERR_DER},                             /* empty INTEGER */
    };
    ck_assert_uint_eq(MGW_MAX_ITERATIONS, 0x989680u);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        epki_spec s = spec_default();
        s.iter_hex = cases[i].hex;
        s.ct_len = 16;
        expect_spec(&s, cases[i].code, NULL);
    }
}
END_TEST

START_TEST(unknown_algorithms_are_named)
{
    static const char *const pbe[] = {
        "1.2.840.113549.1.12.1.1", "1.2.840.113549.1.12.1.2", /* RC4 */
        "1.2.840.113549.1.12.1.7", "1.2.840.113549.1.5.3", /* PBES1 pbeWithMD5AndDES-CBC */
    };
    for (size_t i = 0; i < sizeof(pbe) / sizeof(pbe[0]); i++) {
        epki_spec s = spec_default();
        s.alg_oid = pbe[i];
        s.ct_len = 16;
        expect_spec(&s, MGW_ERR_UNSUPPORTED_ALG, pbe[i]);
    }
    epki_spec s = spec_default();
    s.kdf_oid = "1.3.6.1.4.1.11591.4.11"; /* scrypt */
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_UNSUPPORTED_ALG, "1.3.6.1.4.1.11591.4.11");
    static const char *const prfs[] = {"1.2.840.113549.2.6", "1.2.840.113549.2.12",
                                       "1.2.840.113549.2.13", "2.16.840.1.101.3.4.2.8"};
    for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++) {
        s = spec_default();
        s.prf_oid = prfs[i];
        s.ct_len = 16;
        expect_spec(&s, MGW_ERR_UNSUPPORTED_ALG, prfs[i]);
    }
    static const char *const ciphers[] = {"2.16.840.1.101.3.4.1.46", "2.16.840.1.101.3.4.1.1",
                                          "1.2.840.113549.3.2", "1.3.14.3.2.7",
                                          "1.2.840.113549.3.9"};
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        s = spec_default();
        s.cipher_oid = ciphers[i];
        s.ct_len = 16;
        expect_spec(&s, MGW_ERR_UNSUPPORTED_ALG, ciphers[i]);
    }
}
END_TEST

START_TEST(malformed_fields_are_refused)
{
    epki_spec s = spec_default();
    s.salt_len = 1;
    expect_spec(&s, MGW_OK, NULL);
    s.salt_len = 1024;
    expect_spec(&s, MGW_OK, NULL);
    s.salt_len = 0;
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_KEY_PARSE, "salt");
    s.salt_len = 1025;
    expect_spec(&s, MGW_ERR_KEY_PARSE, "salt");

    s = spec_default();
    s.salt_other_source = true;
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_UNSUPPORTED_ALG, "otherSource");

    const long bad_iv[] = {-1, 0, 8, 15, 17, 32};
    for (size_t i = 0; i < sizeof(bad_iv) / sizeof(bad_iv[0]); i++) {
        s = spec_default();
        s.iv_len = bad_iv[i];
        s.ct_len = 16;
        expect_spec(&s, MGW_ERR_KEY_PARSE, "IV");
    }
    s = spec_default();
    s.cipher_oid = "1.2.840.113549.3.7"; /* DES-EDE3 needs an 8-byte IV */
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_KEY_PARSE, "IV");

    const long bad_ct[] = {0, 1, 15, 17, 31};
    for (size_t i = 0; i < sizeof(bad_ct) / sizeof(bad_ct[0]); i++) {
        s = spec_default();
        s.ct_len = bad_ct[i];
        expect_spec(&s, MGW_ERR_KEY_PARSE, "multiple");
    }

    s = spec_default();
    s.prf_form = PRF_BAD_PARAMS;
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_KEY_PARSE, "PRF");
    s = spec_default();
    s.kdf_params_trailing = true;
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_DER, NULL);
    s = spec_default();
    s.enc_trailing = true;
    s.ct_len = 16;
    expect_spec(&s, MGW_ERR_DER, NULL);
    s = spec_default();
    s.top_trailing = true;
    expect_spec(&s, MGW_ERR_DER, "trailing");
}
END_TEST

START_TEST(non_der_encodings_are_refused)
{
    static const char *const bad[] = {
        "",                 /* nothing */
        "30",               /* tag only */
        "3080300000000000", /* indefinite length */
        "04020000",         /* not a SEQUENCE */
        "3000",             /* empty SEQUENCE */
        "300430020500",     /* AlgorithmIdentifier without an OID */
        "3081023000",       /* non-minimal length */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t der[32];
        size_t n = hex_decode(bad[i], der, sizeof(der));
        expect_decrypt_error(n > 0 ? der : (const uint8_t *)"", n, (const uint8_t *)PW, PW_LEN,
                             MGW_ERR_DER, NULL);
    }
}
END_TEST

/* Every proper prefix of a valid structure is refused (and read in bounds:
 * each prefix is copied to a buffer of exactly its length for ASan). */
static void truncations_of(const uint8_t *der, size_t n, const uint8_t *pw, size_t pwlen)
{
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len > 0 ? len : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, der, len);
        mgw_dbuf out;
        mgw_dbuf_init(&out);
        int rc = mgw_pkcs8_decrypt(copy, len, pw, pwlen, &out);
        ck_assert_msg(rc == MGW_ERR_DER, "prefix of %zu bytes: %d (%s)", len, rc, mgw_last_error());
        ck_assert_uint_eq(out.len, 0);
        free(copy);
    }
}

START_TEST(truncations_are_refused)
{
    mgw_dbuf pki, enc;
    wrap_key(KEY_RSA2048, &pki);
    encrypt_with(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 10, &enc);
    truncations_of(enc.p, enc.len, (const uint8_t *)PW, PW_LEN);
    mgw_dbuf_free(&enc);
    mgw_dbuf_init(&enc);
    read_fixture("p256-des3-sha256.der", &enc);
    truncations_of(enc.p, enc.len, (const uint8_t *)PW, PW_LEN);
    mgw_dbuf_free(&enc);
    mgw_dbuf_free(&pki);
}
END_TEST

static bool in_span(const uint8_t *base, size_t pos, mgw_span s)
{
    return base + pos >= s.p && base + pos < s.p + s.len;
}

/* Random byte changes never crash and are refused, except inside the IV and
 * the ciphertext: CBC has no integrity, so a change there may still yield a
 * well-formed (corrupted) PrivateKeyInfo. */
static void mutations_of(const uint8_t *der, size_t n, int rounds)
{
    epki_parts parts = locate_parts(der, n);
    uint8_t *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    int refused = 0, outside = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(buf, der, n);
        bool only_iv_or_ct = true, changed = false;
        int k = 1 + (int)(prng() % 3);
        for (int j = 0; j < k; j++) {
            /* half of the changes hit the header, where the parsing happens */
            size_t span = (prng() & 1) && n > 128 ? 128 : n;
            size_t pos = (size_t)(prng() % span);
            uint8_t v = (uint8_t)prng();
            if (prng() & 1)
                v = (uint8_t)(buf[pos] ^ (1u << (prng() % 8))); /* single bit flip */
            if (v == buf[pos])
                continue;
            buf[pos] = v;
            changed = true;
            if (!in_span(der, pos, parts.iv) && !in_span(der, pos, parts.ct))
                only_iv_or_ct = false;
        }
        if (!changed)
            continue;
        outside += !only_iv_or_ct;
        mgw_dbuf out;
        mgw_dbuf_init(&out);
        mgw_dbuf_puts(&out, "keep");
        mgw_err_clear();
        int rc = mgw_pkcs8_decrypt(buf, n, (const uint8_t *)PW, PW_LEN, &out);
        if (rc == MGW_OK) {
            ck_assert_msg(only_iv_or_ct, "round %d: a change outside IV/ciphertext was accepted",
                          r);
            ck_assert(out.len > 4 && memcmp(out.p, "keep", 4) == 0 && out.p[4] == 0x30);
        } else {
            refused++;
            ck_assert_msg(rc == MGW_ERR_DER || rc == MGW_ERR_KEY_PARSE ||
                              rc == MGW_ERR_WRONG_PASSWORD || rc == MGW_ERR_UNSUPPORTED_ALG ||
                              rc == MGW_ERR_TOO_LARGE,
                          "round %d: unexpected error %d (%s)", r, rc, mgw_last_error());
            ck_assert(mgw_last_error()[0] != '\0');
            ck_assert(out.len == 4 && memcmp(out.p, "keep", 4) == 0);
        }
        mgw_dbuf_free(&out);
    }
    ck_assert_int_gt(outside, rounds / 4);
    ck_assert_int_ge(refused, outside);
    free(buf);
}

START_TEST(mutations_never_crash)
{
    mgw_dbuf pki, enc;
    uint8_t counter = 0;
    mgw_rng rng;
    mgw_rng_init(&rng);
    mgw_rng_set_cb(&rng, counter_rng, &counter);
    wrap_key(KEY_P256, &pki);
    mgw_dbuf_init(&enc);
    ck_assert_int_eq(
        mgw_pkcs8_encrypt(pki.p, pki.len, (const uint8_t *)PW, PW_LEN, 100, &rng, &enc), MGW_OK);
    mutations_of(enc.p, enc.len, 5000);
    static const char *const files[] = {"p256-des3-sha256.der", "rsa2048-aes128-sha1.der",
                                        "p384-aes192-sha384.der"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        mgw_dbuf der;
        mgw_dbuf_init(&der);
        read_fixture(files[i], &der);
        mutations_of(der.p, der.len, 1000);
        mgw_dbuf_free(&der);
    }
    mgw_rng_free(&rng);
    mgw_dbuf_free(&pki);
    mgw_dbuf_free(&enc);
}
END_TEST

/* ---- runner ------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, TEST_TIMEOUT);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    if (mgw_compat_init() != 0 || keys_generate() != 0) {
        fprintf(stderr, "test_pkcs8: cannot set up mbedTLS or generate the test keys\n");
        return EXIT_FAILURE;
    }
    Suite *s = suite_create("pkcs8");

    TCase *tc = tcase(s, "pbkdf2");
    tcase_add_test(tc, pbkdf2_known_answers);
    tcase_add_test(tc, pbkdf2_longer_output_extends_shorter);
    tcase_add_test(tc, pbkdf2_iteration_limits);
    tcase_add_test(tc, pbkdf2_refuses_bad_arguments);

    tc = tcase(s, "wrap");
    tcase_add_loop_test(tc, wrap_writes_private_key_info, 0, NKEYS);
    tcase_add_test(tc, wrap_appends_to_the_buffer);
    tcase_add_test(tc, wrap_refuses_other_key_types);

    tc = tcase(s, "encrypt");
    tcase_add_loop_test(tc, encrypt_decrypt_round_trip, 0, NKEYS);
    tcase_add_test(tc, encrypt_matches_independent_known_answer);
    tcase_add_test(tc, encrypt_uses_fresh_salt_and_iv);
    tcase_add_test(tc, encrypt_refuses_bad_arguments);
    tcase_add_test(tc, wrong_password_is_reported);
    tcase_add_test(tc, many_wrong_passwords_never_succeed);
    tcase_add_test(tc, empty_password_works);
    tcase_add_test(tc, plaintext_must_be_private_key_info);
    tcase_add_test(tc, decrypt_appends_to_the_buffer);

    tc = tcase(s, "fixtures");
    tcase_add_loop_test(tc, decrypts_openssl_fixtures, 0,
                        (int)(sizeof(openssl_fixtures) / sizeof(openssl_fixtures[0])));
    tcase_add_test(tc, pkcs12_pbe_decrypts_and_scrypt_is_unsupported);

    tc = tcase(s, "interop");
    tcase_add_checked_fixture(tc, tmpdir_create, tmpdir_remove);
    tcase_add_loop_test(tc, openssl_decrypts_ours, 0, NKEYS);
    tcase_add_loop_test(tc, ours_decrypts_openssl, 0, 2);

    tc = tcase(s, "hostile");
    tcase_add_test(tc, builder_round_trips_every_prf_and_cipher);
    tcase_add_test(tc, iteration_counts_are_capped);
    tcase_add_test(tc, unknown_algorithms_are_named);
    tcase_add_test(tc, malformed_fields_are_refused);
    tcase_add_test(tc, non_der_encodings_are_refused);
    tcase_add_test(tc, truncations_are_refused);
    tcase_add_test(tc, mutations_never_crash);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    keys_free();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
