/*
 * PBKDF2 (RFC 8018 section 5.2) with HMAC over SHA-1 or SHA-2.
 *
 * The HMAC key schedule is done once: the ipad and opad blocks are absorbed
 * into two digest contexts, and every iteration clones those states instead
 * of rehashing the padded key. Each iteration then costs exactly two
 * compression-function calls (the inner and the outer digest of one short
 * block each), half of what a plain mbedtls_md_hmac() loop spends.
 *
 * Only the mbedtls_md_* calls common to mbedTLS 2.28 and 3.6 are used.
 */
#include "crypto/crypto.h"
#include "crypto/sha_fast.h"

#include <string.h>

#define PBKDF2_MAX_OUT 1024
#define MAX_BLOCK 128 /* SHA-384/512 block size */

/* mbedtls_md_get_block_size() does not exist in 2.28. */
size_t mgw_md_block_size(mbedtls_md_type_t md)
{
    switch (md) {
    case MBEDTLS_MD_SHA1:
    case MBEDTLS_MD_SHA224:
    case MBEDTLS_MD_SHA256:
        return 64;
    case MBEDTLS_MD_SHA384:
    case MBEDTLS_MD_SHA512:
        return 128;
    default:
        return 0;
    }
}

bool mgw_fast_supported(mbedtls_md_type_t md)
{
    return md == MBEDTLS_MD_SHA1 || md == MBEDTLS_MD_SHA256;
}

static int md_fail(int mbedtls_ret)
{
    if (mbedtls_ret == MBEDTLS_ERR_MD_ALLOC_FAILED)
        return mgw_err(MGW_ERR_NO_MEMORY, "PBKDF2: out of memory");
    return mgw_err(MGW_ERR_CRYPTO, "PBKDF2: digest operation failed (mbedTLS -0x%04X)",
                   (unsigned)-mbedtls_ret);
}

/* Absorb the key XOR `pad` as the first block of `ctx`. */
static int absorb_pad(mbedtls_md_context_t *ctx, const uint8_t *key, size_t block, uint8_t pad)
{
    uint8_t buf[MAX_BLOCK];
    for (size_t i = 0; i < block; i++)
        buf[i] = (uint8_t)(key[i] ^ pad);
    int ret = mbedtls_md_starts(ctx);
    if (ret == 0)
        ret = mbedtls_md_update(ctx, buf, block);
    mgw_zeroize(buf, sizeof(buf));
    return ret;
}

/* out = HMAC(key, msg1 || msg2) from the precomputed inner and outer states. */
static int hmac_from_states(mbedtls_md_context_t *work, const mbedtls_md_context_t *inner,
                            const mbedtls_md_context_t *outer, const uint8_t *msg1, size_t len1,
                            const uint8_t *msg2, size_t len2, size_t mdlen, uint8_t *tmp,
                            uint8_t *out)
{
    int ret = mbedtls_md_clone(work, inner);
    if (ret == 0 && len1 > 0)
        ret = mbedtls_md_update(work, msg1, len1);
    if (ret == 0 && len2 > 0)
        ret = mbedtls_md_update(work, msg2, len2);
    if (ret == 0)
        ret = mbedtls_md_finish(work, tmp);
    if (ret == 0)
        ret = mbedtls_md_clone(work, outer);
    if (ret == 0)
        ret = mbedtls_md_update(work, tmp, mdlen);
    if (ret == 0)
        ret = mbedtls_md_finish(work, out);
    return ret;
}

int mgw_pbkdf2(mbedtls_md_type_t md, const uint8_t *pw, size_t pwlen, const uint8_t *salt,
               size_t saltlen, uint32_t iterations, uint8_t *out, size_t outlen)
{
    if ((pw == NULL && pwlen > 0) || (salt == NULL && saltlen > 0) || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PBKDF2: NULL buffer");
    if (outlen == 0 || outlen > PBKDF2_MAX_OUT)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PBKDF2: output length %zu not in 1..%d", outlen,
                       PBKDF2_MAX_OUT);
    if (iterations == 0 || iterations > MGW_MAX_ITERATIONS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "PBKDF2: iteration count %lu not in 1..%lu",
                       (unsigned long)iterations, (unsigned long)MGW_MAX_ITERATIONS);
    size_t block = mgw_md_block_size(md);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (block == 0 || info == NULL)
        return mgw_err(MGW_ERR_UNSUPPORTED_ALG, "PBKDF2: digest %d not supported", (int)md);
    size_t mdlen = mbedtls_md_get_size(info);
    uint8_t *const out_start = out;
    const size_t out_total = outlen;

    uint8_t key[MAX_BLOCK] = {0};
    uint8_t u[MBEDTLS_MD_MAX_SIZE], t[MBEDTLS_MD_MAX_SIZE], tmp[MBEDTLS_MD_MAX_SIZE];
    mbedtls_md_context_t inner, outer, work;
    mbedtls_md_init(&inner);
    mbedtls_md_init(&outer);
    mbedtls_md_init(&work);

    int ret = mbedtls_md_setup(&inner, info, 0);
    if (ret == 0)
        ret = mbedtls_md_setup(&outer, info, 0);
    if (ret == 0)
        ret = mbedtls_md_setup(&work, info, 0);
    if (ret != 0)
        goto fail;

    /* HMAC key: hashed when longer than a block, then zero-padded. */
    if (pwlen > block)
        ret = mbedtls_md(info, pw, pwlen, key);
    else if (pwlen > 0)
        memcpy(key, pw, pwlen);
    if (ret == 0)
        ret = absorb_pad(&inner, key, block, 0x36);
    if (ret == 0)
        ret = absorb_pad(&outer, key, block, 0x5C);
    if (ret != 0)
        goto fail;

    /* SHA-1 and SHA-256 iterate on raw compression states (sha_fast.c):
     * exactly two compressions per iteration, in hardware where possible. */
    bool fast = mgw_fast_supported(md);
    mgw_fast_hash fin, fout;
    if (fast) {
        uint8_t pad[64];
        mgw_fast_init(&fin, md == MBEDTLS_MD_SHA256);
        mgw_fast_init(&fout, md == MBEDTLS_MD_SHA256);
        for (size_t k = 0; k < 64; k++)
            pad[k] = (uint8_t)(key[k] ^ 0x36);
        mgw_fast_blocks(&fin, pad, 1);
        for (size_t k = 0; k < 64; k++)
            pad[k] = (uint8_t)(key[k] ^ 0x5C);
        mgw_fast_blocks(&fout, pad, 1);
        mgw_zeroize(pad, sizeof(pad));
    }

    for (uint32_t i = 1; outlen > 0; i++) {
        const uint8_t be_i[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
                                 (uint8_t)i};
        /* U_1 = PRF(P, S || INT(i)) */
        ret = hmac_from_states(&work, &inner, &outer, salt, saltlen, be_i, 4, mdlen, tmp, u);
        if (ret != 0)
            goto fail;
        memcpy(t, u, mdlen);
        /* U_j = PRF(P, U_{j-1}); T_i = U_1 ^ ... ^ U_c */
        for (uint32_t j = 1; j < iterations; j++) {
            if (fast) {
                mgw_fast_final_short(&fin, u, mdlen, 64, tmp);
                mgw_fast_final_short(&fout, tmp, mdlen, 64, u);
            } else {
                ret = hmac_from_states(&work, &inner, &outer, u, mdlen, NULL, 0, mdlen, tmp, u);
                if (ret != 0)
                    goto fail;
            }
            for (size_t k = 0; k < mdlen; k++)
                t[k] ^= u[k];
        }
        size_t n = outlen < mdlen ? outlen : mdlen;
        memcpy(out, t, n);
        out += n;
        outlen -= n;
    }

fail:
    mgw_zeroize(&fin, sizeof(fin));
    mgw_zeroize(&fout, sizeof(fout));
    if (ret != 0)
        mgw_zeroize(out_start, out_total); /* no partial key material */
    mgw_zeroize(key, sizeof(key));
    mgw_zeroize(u, sizeof(u));
    mgw_zeroize(t, sizeof(t));
    mgw_zeroize(tmp, sizeof(tmp));
    mbedtls_md_free(&inner);
    mbedtls_md_free(&outer);
    mbedtls_md_free(&work);
    return ret == 0 ? MGW_OK : md_fail(ret);
}
