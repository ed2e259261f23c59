/*
 * SHA-1 and SHA-256 compression functions for the KDF inner loops, with the
 * x86 SHA extensions when the CPU has them (checked at run time) and portable
 * C otherwise. PBKDF2 and the PKCS#12 KDF spend nearly all their time here;
 * mbedTLS 2.28 has no hardware SHA, OpenSSL does. Tested against mbedTLS. No
 * mbedTLS is needed here: the build without it hashes with these too.
 */
#include "crypto/sha_fast.h"

#include <string.h>

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void mgw_sha1_compress_c(uint32_t st[5], const uint8_t *blocks, size_t n)
{
    for (; n > 0; n--, blocks += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = be32(blocks + 4 * i);
        for (int i = 16; i < 80; i++)
            w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20)
                f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40)
                f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60)
                f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else
                f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = ROL(a, 5) + f + e + k + w[i];
            e = d, d = c, c = ROL(b, 30), b = a, a = t;
        }
        st[0] += a, st[1] += b, st[2] += c, st[3] += d, st[4] += e;
    }
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

void mgw_sha256_compress_c(uint32_t st[8], const uint8_t *blocks, size_t n)
{
    for (; n > 0; n--, blocks += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = be32(blocks + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
                 h = st[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
                          K256[i] + w[i];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        st[0] += a, st[1] += b, st[2] += c, st[3] += d;
        st[4] += e, st[5] += f, st[6] += g, st[7] += h;
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define MGW_HAVE_SHA_X86 1
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

SHA_TARGET static void sha1_x86(uint32_t st[5], const uint8_t *data, size_t n)
{
    const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0x1B);
    __m128i e0 = _mm_set_epi32((int)st[4], 0, 0, 0), e1;
    for (; n > 0; n--, data += 64) {
        __m128i abcd_save = abcd, e0_save = e0, w[4];
        /* fully unrolled: the w[] indices and round constants become fixed */
#pragma GCC unroll 20
        for (int g = 0; g < 20; g++) {
            if (g < 4)
                w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), mask);
            __m128i *x = (g & 1) ? &e1 : &e0, *y = (g & 1) ? &e0 : &e1;
            if (g == 0)
                e0 = _mm_add_epi32(e0, w[0]);
            else
                *x = _mm_sha1nexte_epu32(*x, w[g % 4]);
            *y = abcd;
            if (g >= 3 && g <= 18)
                w[(g + 1) % 4] = _mm_sha1msg2_epu32(w[(g + 1) % 4], w[g % 4]);
            switch (g / 5) {
            case 0: abcd = _mm_sha1rnds4_epu32(abcd, *x, 0); break;
            case 1: abcd = _mm_sha1rnds4_epu32(abcd, *x, 1); break;
            case 2: abcd = _mm_sha1rnds4_epu32(abcd, *x, 2); break;
            default: abcd = _mm_sha1rnds4_epu32(abcd, *x, 3); break;
            }
            if (g >= 1 && g <= 16)
                w[(g + 3) % 4] = _mm_sha1msg1_epu32(w[(g + 3) % 4], w[g % 4]);
            if (g >= 2 && g <= 17)
                w[(g + 2) % 4] = _mm_xor_si128(w[(g + 2) % 4], w[g % 4]);
        }
        e0 = _mm_sha1nexte_epu32(e0, e0_save);
        abcd = _mm_add_epi32(abcd, abcd_save);
    }
    _mm_storeu_si128((__m128i *)st, _mm_shuffle_epi32(abcd, 0x1B));
    st[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

SHA_TARGET static void sha256_x86(uint32_t st[8], const uint8_t *data, size_t n)
{
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xB1);
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1B);
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);
    for (; n > 0; n--, data += 64) {
        __m128i s0_save = s0, s1_save = s1, w[4], msg;
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            if (i < 4)
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), mask);
            msg = _mm_add_epi32(w[i % 4], _mm_loadu_si128((const __m128i *)&K256[4 * i]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
            if (i >= 3 && i <= 14) {
                tmp = _mm_alignr_epi8(w[i % 4], w[(i + 3) % 4], 4);
                w[(i + 1) % 4] = _mm_add_epi32(w[(i + 1) % 4], tmp);
                w[(i + 1) % 4] = _mm_sha256msg2_epu32(w[(i + 1) % 4], w[i % 4]);
            }
            msg = _mm_shuffle_epi32(msg, 0x0E);
            s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
            if (i >= 1 && i <= 12)
                w[(i + 3) % 4] = _mm_sha256msg1_epu32(w[(i + 3) % 4], w[i % 4]);
        }
        s0 = _mm_add_epi32(s0, s0_save);
        s1 = _mm_add_epi32(s1, s1_save);
    }
    tmp = _mm_shuffle_epi32(s0, 0x1B);
    s1 = _mm_shuffle_epi32(s1, 0xB1);
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);
    s1 = _mm_alignr_epi8(s1, tmp, 8);
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
}

static int detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0; /* SHA extensions */
}
#endif

/* -1 unknown, 0 no, 1 yes; racing threads compute the same answer. */
static volatile int hw_state = -1;
static volatile int hw_disabled;

bool mgw_sha_hw_available(void)
{
#if defined(MGW_HAVE_SHA_X86)
    if (hw_state < 0)
        hw_state = detect();
    return hw_state == 1 && !hw_disabled;
#else
    return false;
#endif
}

void mgw_sha_hw_disable(int disable)
{
    hw_disabled = disable;
}

void mgw_sha1_compress(uint32_t st[5], const uint8_t *blocks, size_t n)
{
#if defined(MGW_HAVE_SHA_X86)
    if (mgw_sha_hw_available()) {
        sha1_x86(st, blocks, n);
        return;
    }
#endif
    mgw_sha1_compress_c(st, blocks, n);
}

void mgw_sha256_compress(uint32_t st[8], const uint8_t *blocks, size_t n)
{
#if defined(MGW_HAVE_SHA_X86)
    if (mgw_sha_hw_available()) {
        sha256_x86(st, blocks, n);
        return;
    }
#endif
    mgw_sha256_compress_c(st, blocks, n);
}

void mgw_fast_init(mgw_fast_hash *h, bool sha256)
{
    static const uint32_t iv1[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    static const uint32_t iv256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    h->sha256 = sha256;
    h->words = h->sha256 ? 8 : 5;
    memcpy(h->st, h->sha256 ? iv256 : iv1, h->words * 4);
}

void mgw_fast_blocks(mgw_fast_hash *h, const uint8_t *blocks, size_t n)
{
    if (h->sha256)
        mgw_sha256_compress(h->st, blocks, n);
    else
        mgw_sha1_compress(h->st, blocks, n);
}

void mgw_fast_final_short(const mgw_fast_hash *h, const uint8_t *msg, size_t len,
                          uint64_t prefix_len, uint8_t *out)
{
    uint8_t block[64];
    memset(block, 0, sizeof(block));
    memcpy(block, msg, len);
    block[len] = 0x80;
    uint64_t bits = (prefix_len + len) * 8;
    for (int i = 0; i < 8; i++)
        block[63 - i] = (uint8_t)(bits >> (8 * i));
    mgw_fast_hash t = *h;
    mgw_fast_blocks(&t, block, 1);
    for (unsigned i = 0; i < t.words; i++) {
        out[4 * i] = (uint8_t)(t.st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(t.st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(t.st[i] >> 8);
        out[4 * i + 3] = (uint8_t)t.st[i];
    }
}
