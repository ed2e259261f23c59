/* Per-object random source (see crypto.h). */
#include "crypto/crypto.h"

#include <string.h>

void mgw_rng_init(mgw_rng *rng)
{
    memset(rng, 0, sizeof(*rng));
    mbedtls_entropy_init(&rng->entropy);
    mbedtls_ctr_drbg_init(&rng->drbg);
}

void mgw_rng_free(mgw_rng *rng)
{
    mbedtls_ctr_drbg_free(&rng->drbg);
    mbedtls_entropy_free(&rng->entropy);
    memset(rng, 0, sizeof(*rng));
}

void mgw_rng_set_cb(mgw_rng *rng, mgw_rng_cb cb, void *ctx)
{
    rng->cb = cb;
    rng->cb_ctx = ctx;
}

int mgw_rng_fill(mgw_rng *rng, uint8_t *out, size_t len)
{
    if (rng->cb != NULL)
        return rng->cb(rng->cb_ctx, out, len) == 0
                   ? MGW_OK
                   : mgw_err(MGW_ERR_RANDOM, "the caller's random generator failed");
    if (!rng->seeded) {
        static const char pers[] = "libmgwauth";
        if (mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy,
                                  (const unsigned char *)pers, sizeof(pers) - 1) != 0)
            return mgw_err(MGW_ERR_RANDOM, "cannot seed the random generator from the OS");
        rng->seeded = true;
    }
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(&rng->drbg, out, n) != 0)
            return mgw_err(MGW_ERR_RANDOM, "the random generator failed");
        out += n;
        len -= n;
    }
    return MGW_OK;
}

int mgw_rng_mbedtls(void *p_rng, unsigned char *out, size_t len)
{
    return mgw_rng_fill(p_rng, out, len) == MGW_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int mgw_digest(mbedtls_md_type_t md, const uint8_t *p, size_t n, uint8_t *out)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (info == NULL || mbedtls_md(info, p, n, out) != 0)
        return mgw_err(MGW_ERR_CRYPTO, "digest failed");
    return MGW_OK;
}

MGW_API int mgw_password_generate(size_t length, char **out)
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const size_t n = sizeof(alphabet) - 1; /* 56: bytes below 224 map without bias */
    if (out == NULL || length < 16 || length > 256)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "password length must be 16 to 256");
    char *pw = mgw_out_alloc(length);
    if (pw == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_rng rng;
    mgw_rng_init(&rng);
    uint8_t buf[64];
    size_t k = 0;
    int r = MGW_OK;
    while (k < length && r == MGW_OK) {
        r = mgw_rng_fill(&rng, buf, sizeof(buf));
        for (size_t i = 0; r == MGW_OK && i < sizeof(buf) && k < length; i++)
            if (buf[i] < 4 * n)
                pw[k++] = alphabet[buf[i] % n];
    }
    mgw_zeroize(buf, sizeof(buf));
    mgw_rng_free(&rng);
    if (r != MGW_OK) {
        mgw_free(pw);
        return r;
    }
    pw[length] = '\0';
    *out = pw;
    mgw_err_clear();
    return MGW_OK;
}
