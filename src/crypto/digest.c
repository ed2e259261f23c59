/* Whole-message SHA-1 and SHA-256 (FIPS 180-4) on the compression functions
 * of sha_fast.c: the whole blocks straight from the input, then the padded
 * tail (one block, or two when the length field does not fit). */
#include "crypto/digest.h"
#include "crypto/sha_fast.h"

#include <string.h>

static void digest(bool sha256, const uint8_t *p, size_t n, uint8_t *out)
{
    mgw_fast_hash h;
    mgw_fast_init(&h, sha256);
    size_t whole = n / 64, rest = n % 64;
    if (whole > 0)
        mgw_fast_blocks(&h, p, whole);
    uint8_t tail[128];
    memset(tail, 0, sizeof(tail));
    if (rest > 0)
        memcpy(tail, p + whole * 64, rest);
    tail[rest] = 0x80;
    size_t blocks = rest < 56 ? 1 : 2;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        tail[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    mgw_fast_blocks(&h, tail, blocks);
    for (unsigned i = 0; i < h.words; i++) {
        out[4 * i] = (uint8_t)(h.st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h.st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h.st[i] >> 8);
        out[4 * i + 3] = (uint8_t)h.st[i];
    }
    mgw_zeroize(tail, sizeof(tail));
    mgw_zeroize(&h, sizeof(h));
}

void mgw_sha1(const uint8_t *p, size_t n, uint8_t out[MGW_SHA1_LEN])
{
    digest(false, p, n, out);
}

void mgw_sha256(const uint8_t *p, size_t n, uint8_t out[MGW_SHA256_LEN])
{
    digest(true, p, n, out);
}

MGW_API int mgw_digest_hex(int alg, const uint8_t *data, size_t len, char **out)
{
    if ((data == NULL && len > 0) || out == NULL ||
        (alg != MGW_DIGEST_SHA1 && alg != MGW_DIGEST_SHA256))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "mgw_digest_hex: NULL argument or unknown digest %d", alg);
    uint8_t d[MGW_SHA256_LEN];
    size_t n = alg == MGW_DIGEST_SHA1 ? MGW_SHA1_LEN : MGW_SHA256_LEN;
    digest(alg == MGW_DIGEST_SHA256, data != NULL ? data : (const uint8_t *)"", len, d);
    char hex[2 * MGW_SHA256_LEN + 1];
    mgw_hex_upper(d, n, hex);
    for (size_t i = 0; i < 2 * n; i++)
        hex[i] = (char)(hex[i] >= 'A' ? hex[i] + 32 : hex[i]);
    return mgw_out_str(hex, out);
}
