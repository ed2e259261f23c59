/* SHA-1/SHA-256 compression with hardware acceleration (sha_fast.c). No
 * mbedTLS here: the digests of digest.c build on it in every configuration. */
#ifndef MGW_SHA_FAST_H
#define MGW_SHA_FAST_H

#include "core/core.h"

/* Raw compression of n 64-byte blocks into st (no padding). */
void mgw_sha1_compress(uint32_t st[5], const uint8_t *blocks, size_t n);
void mgw_sha256_compress(uint32_t st[8], const uint8_t *blocks, size_t n);
void mgw_sha1_compress_c(uint32_t st[5], const uint8_t *blocks, size_t n);
void mgw_sha256_compress_c(uint32_t st[8], const uint8_t *blocks, size_t n);
/* Whether the CPU's SHA instructions are in use; tests can turn them off. */
bool mgw_sha_hw_available(void);
void mgw_sha_hw_disable(int disable);

/* A SHA-1 or SHA-256 state for loops that hash whole blocks and then one
 * short final block (the KDFs). */
typedef struct {
    uint32_t st[8];
    unsigned words;
    bool sha256;
} mgw_fast_hash;

void mgw_fast_init(mgw_fast_hash *h, bool sha256);
void mgw_fast_blocks(mgw_fast_hash *h, const uint8_t *blocks, size_t n);
/* Digest of (blocks already absorbed, prefix_len bytes) + msg (len <= 55). */
void mgw_fast_final_short(const mgw_fast_hash *h, const uint8_t *msg, size_t len,
                          uint64_t prefix_len, uint8_t *out);

#endif
