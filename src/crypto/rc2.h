/*
 * RC2 (RFC 2268), only as far as reading PFX files needs it: Windows exports
 * encrypt the certificate bag with pbeWithSHAAnd40BitRC2-CBC and mbedTLS has
 * no RC2. The library decrypts only; encryption exists for the test vectors.
 */
#ifndef MGW_RC2_H
#define MGW_RC2_H

#include <stddef.h>
#include <stdint.h>

/* RC2 key schedule (RFC 2268): key of 1..128 bytes, effective key bits 1..1024. */
typedef struct {
    uint16_t k[64];
} mgw_rc2_key;

int mgw_rc2_setup(mgw_rc2_key *ks, const uint8_t *key, size_t keylen, unsigned effective_bits);
/* Decrypt one 8-byte block in place semantics: out may equal in. */
void mgw_rc2_decrypt_block(const mgw_rc2_key *ks, const uint8_t in[8], uint8_t out[8]);
void mgw_rc2_encrypt_block(const mgw_rc2_key *ks, const uint8_t in[8],
                           uint8_t out[8]); /* for test vectors only */
/* CBC decryption of len bytes (a multiple of 8) with PKCS#7 padding removed and checked in
 * constant time over the last block; *out_len is the plaintext length. Returns MGW_OK,
 * MGW_ERR_INVALID_ARGUMENT (bad key/len), or MGW_ERR_WRONG_PASSWORD (bad padding). */
int mgw_rc2_cbc_decrypt(const uint8_t *key, size_t keylen, unsigned effective_bits,
                        const uint8_t iv[8], const uint8_t *in, size_t len, uint8_t *out,
                        size_t *out_len);

#endif
