/*
 * SHA-1 and SHA-256 of whole messages without mbedTLS. Thumbprints, plan
 * fingerprints and store listings hash many certificates; these run on the
 * compression functions of sha_fast.c (the CPU's SHA instructions where
 * present).
 */
#ifndef MGW_DIGEST_H
#define MGW_DIGEST_H

#include "core/core.h"

#define MGW_SHA1_LEN 20
#define MGW_SHA256_LEN 32

void mgw_sha1(const uint8_t *p, size_t n, uint8_t out[MGW_SHA1_LEN]);
void mgw_sha256(const uint8_t *p, size_t n, uint8_t out[MGW_SHA256_LEN]);

#endif
