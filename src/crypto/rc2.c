/*
 * RC2 (RFC 2268) block cipher and CBC decryption with PKCS#7 padding.
 *
 * Only the PFX reader uses it, to open bags encrypted with
 * pbeWithSHAAnd40BitRC2-CBC or pbeWithSHAAnd128BitRC2-CBC. RC2's "mash"
 * rounds index the key schedule with data bits, so the cipher itself is not
 * constant time; what is constant time is the padding check, which is what a
 * padding oracle would probe.
 */
#include "crypto/rc2.h"

#include "core/core.h"

#include <string.h>

#define RC2_BLOCK 8
#define RC2_MAX_KEY 128
#define RC2_MAX_BITS 1024

/* RFC 2268 section 2: a permutation of 0..255 derived from the digits of pi. */
static const uint8_t PITABLE[256] = {
    0xd9, 0x78, 0xf9, 0xc4, 0x19, 0xdd, 0xb5, 0xed, 0x28, 0xe9, 0xfd, 0x79, 0x4a, 0xa0, 0xd8, 0x9d,
    0xc6, 0x7e, 0x37, 0x83, 0x2b, 0x76, 0x53, 0x8e, 0x62, 0x4c, 0x64, 0x88, 0x44, 0x8b, 0xfb, 0xa2,
    0x17, 0x9a, 0x59, 0xf5, 0x87, 0xb3, 0x4f, 0x13, 0x61, 0x45, 0x6d, 0x8d, 0x09, 0x81, 0x7d, 0x32,
    0xbd, 0x8f, 0x40, 0xeb, 0x86, 0xb7, 0x7b, 0x0b, 0xf0, 0x95, 0x21, 0x22, 0x5c, 0x6b, 0x4e, 0x82,
    0x54, 0xd6, 0x65, 0x93, 0xce, 0x60, 0xb2, 0x1c, 0x73, 0x56, 0xc0, 0x14, 0xa7, 0x8c, 0xf1, 0xdc,
    0x12, 0x75, 0xca, 0x1f, 0x3b, 0xbe, 0xe4, 0xd1, 0x42, 0x3d, 0xd4, 0x30, 0xa3, 0x3c, 0xb6, 0x26,
    0x6f, 0xbf, 0x0e, 0xda, 0x46, 0x69, 0x07, 0x57, 0x27, 0xf2, 0x1d, 0x9b, 0xbc, 0x94, 0x43, 0x03,
    0xf8, 0x11, 0xc7, 0xf6, 0x90, 0xef, 0x3e, 0xe7, 0x06, 0xc3, 0xd5, 0x2f, 0xc8, 0x66, 0x1e, 0xd7,
    0x08, 0xe8, 0xea, 0xde, 0x80, 0x52, 0xee, 0xf7, 0x84, 0xaa, 0x72, 0xac, 0x35, 0x4d, 0x6a, 0x2a,
    0x96, 0x1a, 0xd2, 0x71, 0x5a, 0x15, 0x49, 0x74, 0x4b, 0x9f, 0xd0, 0x5e, 0x04, 0x18, 0xa4, 0xec,
    0xc2, 0xe0, 0x41, 0x6e, 0x0f, 0x51, 0xcb, 0xcc, 0x24, 0x91, 0xaf, 0x50, 0xa1, 0xf4, 0x70, 0x39,
    0x99, 0x7c, 0x3a, 0x85, 0x23, 0xb8, 0xb4, 0x7a, 0xfc, 0x02, 0x36, 0x5b, 0x25, 0x55, 0x97, 0x31,
    0x2d, 0x5d, 0xfa, 0x98, 0xe3, 0x8a, 0x92, 0xae, 0x05, 0xdf, 0x29, 0x10, 0x67, 0x6c, 0xba, 0xc9,
    0xd3, 0x00, 0xe6, 0xcf, 0xe1, 0x9e, 0xa8, 0x2c, 0x63, 0x16, 0x01, 0x3f, 0x58, 0xe2, 0x89, 0xa9,
    0x0d, 0x38, 0x34, 0x1b, 0xab, 0x33, 0xff, 0xb0, 0xbb, 0x48, 0x0c, 0x5f, 0xb9, 0xb1, 0xcd, 0x2e,
    0xc5, 0xf3, 0xdb, 0x47, 0xe5, 0xa5, 0x9c, 0x77, 0x0a, 0xa6, 0x20, 0x68, 0xfe, 0x7f, 0xc1, 0xad,
};

/* Rotation amounts of the four words in a mixing round (RFC 2268 section 3.1). */
static const unsigned ROT[4] = {1, 2, 3, 5};

int mgw_rc2_setup(mgw_rc2_key *ks, const uint8_t *key, size_t keylen, unsigned effective_bits)
{
    if (ks == NULL || key == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "RC2: missing key");
    if (keylen < 1 || keylen > RC2_MAX_KEY)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "RC2: key of %zu bytes (1..%d allowed)", keylen,
                       RC2_MAX_KEY);
    if (effective_bits < 1 || effective_bits > RC2_MAX_BITS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "RC2: %u effective key bits (1..%d allowed)",
                       effective_bits, RC2_MAX_BITS);

    uint8_t l[RC2_MAX_KEY];
    memcpy(l, key, keylen);
    /* Expand the key to 128 bytes. */
    for (size_t i = keylen; i < RC2_MAX_KEY; i++)
        l[i] = PITABLE[(uint8_t)(l[i - 1] + l[i - keylen])];
    /* Then reduce its effective size to effective_bits: t8 bytes, the top
     * byte masked to the bits that remain. */
    size_t t8 = (effective_bits + 7) / 8;
    uint8_t tm = (uint8_t)(0xFFu >> (8 * t8 - effective_bits));
    l[RC2_MAX_KEY - t8] = PITABLE[l[RC2_MAX_KEY - t8] & tm];
    for (size_t i = RC2_MAX_KEY - t8; i-- > 0;)
        l[i] = PITABLE[l[i + 1] ^ l[i + t8]];

    for (size_t i = 0; i < 64; i++)
        ks->k[i] = (uint16_t)(l[2 * i] | (l[2 * i + 1] << 8));
    mgw_zeroize(l, sizeof(l));
    return MGW_OK;
}

static void load_words(uint16_t r[4], const uint8_t in[8])
{
    for (int i = 0; i < 4; i++)
        r[i] = (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8));
}

static void store_words(uint8_t out[8], const uint16_t r[4])
{
    for (int i = 0; i < 4; i++) {
        out[2 * i] = (uint8_t)r[i];
        out[2 * i + 1] = (uint8_t)(r[i] >> 8);
    }
}

static uint16_t rol16(uint16_t x, unsigned s)
{
    return (uint16_t)((x << s) | (x >> (16 - s)));
}

static uint16_t ror16(uint16_t x, unsigned s)
{
    return (uint16_t)((x >> s) | (x << (16 - s)));
}

/* The nonlinear term of a mixing round: bit by bit, the word just before
 * selects between the words two and three before. */
static uint16_t mix_term(const uint16_t r[4], int i)
{
    uint16_t a = r[(i + 3) & 3], b = r[(i + 2) & 3], c = r[(i + 1) & 3];
    return (uint16_t)((a & b) | (~a & c));
}

static void mix_round(uint16_t r[4], const uint16_t k[64], unsigned *j)
{
    for (int i = 0; i < 4; i++) {
        r[i] = (uint16_t)(r[i] + k[*j] + mix_term(r, i));
        (*j)++;
        r[i] = rol16(r[i], ROT[i]);
    }
}

static void mash_round(uint16_t r[4], const uint16_t k[64])
{
    for (int i = 0; i < 4; i++)
        r[i] = (uint16_t)(r[i] + k[r[(i + 3) & 3] & 63]);
}

static void rmix_round(uint16_t r[4], const uint16_t k[64], unsigned *j)
{
    for (int i = 3; i >= 0; i--) {
        r[i] = ror16(r[i], ROT[i]);
        r[i] = (uint16_t)(r[i] - k[*j] - mix_term(r, i));
        (*j)--;
    }
}

static void rmash_round(uint16_t r[4], const uint16_t k[64])
{
    for (int i = 3; i >= 0; i--)
        r[i] = (uint16_t)(r[i] - k[r[(i + 3) & 3] & 63]);
}

/* Encryption is 5 mixing rounds, a mashing round, 6 mixing, a mashing, 5
 * mixing; decryption runs the inverses in the reverse order. */
void mgw_rc2_encrypt_block(const mgw_rc2_key *ks, const uint8_t in[8], uint8_t out[8])
{
    uint16_t r[4];
    unsigned j = 0;
    load_words(r, in);
    for (int n = 0; n < 16; n++) {
        mix_round(r, ks->k, &j);
        if (n == 4 || n == 10)
            mash_round(r, ks->k);
    }
    store_words(out, r);
    mgw_zeroize(r, sizeof(r));
}

void mgw_rc2_decrypt_block(const mgw_rc2_key *ks, const uint8_t in[8], uint8_t out[8])
{
    uint16_t r[4];
    unsigned j = 63;
    load_words(r, in);
    for (int n = 0; n < 16; n++) {
        rmix_round(r, ks->k, &j);
        if (n == 4 || n == 10)
            rmash_round(r, ks->k);
    }
    store_words(out, r);
    mgw_zeroize(r, sizeof(r));
}

/* 0xFF when a == b, else 0, without a branch. */
static uint8_t ct_eq_mask(uint8_t a, uint8_t b)
{
    unsigned d = (unsigned)(a ^ b);
    return (uint8_t)(((d - 1) >> 8) & 0xFF);
}

/* 0xFF when a < b (both < 256), else 0, without a branch. */
static uint8_t ct_lt_mask(unsigned a, unsigned b)
{
    return (uint8_t)(((a - b) >> 8) & 0xFF);
}

/* Pad length (1..8) if the last block ends in valid PKCS#7 padding, else 0.
 * Every byte of the block is examined whatever the padding byte says. */
static size_t pkcs7_pad_len(const uint8_t last[RC2_BLOCK])
{
    uint8_t pad = last[RC2_BLOCK - 1];
    uint8_t good = (uint8_t)(~ct_eq_mask(pad, 0) & ct_lt_mask(pad, RC2_BLOCK + 1));
    for (unsigned i = 0; i < RC2_BLOCK; i++) {
        /* The i-th byte from the end is padding when i < pad. */
        uint8_t in_pad = ct_lt_mask(i, pad);
        good &= (uint8_t)(~in_pad | ct_eq_mask(last[RC2_BLOCK - 1 - i], pad));
    }
    return (size_t)(pad & good);
}

int mgw_rc2_cbc_decrypt(const uint8_t *key, size_t keylen, unsigned effective_bits,
                        const uint8_t iv[8], const uint8_t *in, size_t len, uint8_t *out,
                        size_t *out_len)
{
    if (iv == NULL || in == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "RC2-CBC: missing argument");
    if (len == 0 || len % RC2_BLOCK != 0)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "RC2-CBC: ciphertext of %zu bytes is not a positive multiple of 8", len);
    *out_len = 0;

    mgw_rc2_key ks;
    int r = mgw_rc2_setup(&ks, key, keylen, effective_bits);
    if (r != MGW_OK)
        return r;

    /* The ciphertext block is saved before its plaintext is written, so the
     * chaining still works when out == in. */
    uint8_t prev[RC2_BLOCK], cur[RC2_BLOCK], plain[RC2_BLOCK];
    memcpy(prev, iv, RC2_BLOCK);
    for (size_t off = 0; off < len; off += RC2_BLOCK) {
        memcpy(cur, in + off, RC2_BLOCK);
        mgw_rc2_decrypt_block(&ks, cur, plain);
        for (size_t i = 0; i < RC2_BLOCK; i++)
            out[off + i] = (uint8_t)(plain[i] ^ prev[i]);
        memcpy(prev, cur, RC2_BLOCK);
    }
    size_t pad = pkcs7_pad_len(out + len - RC2_BLOCK);

    mgw_zeroize(&ks, sizeof(ks));
    mgw_zeroize(plain, sizeof(plain));
    mgw_zeroize(prev, sizeof(prev));
    mgw_zeroize(cur, sizeof(cur));
    if (pad == 0) {
        /* A wrong key yields garbage; leave none of it behind. */
        mgw_zeroize(out, len);
        return mgw_err(MGW_ERR_WRONG_PASSWORD, "RC2-CBC: bad padding (wrong password?)");
    }
    *out_len = len - pad;
    return MGW_OK;
}
