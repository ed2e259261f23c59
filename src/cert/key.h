/* Internal key layer (mbedTLS): private keys, the public keys of requests and
 * issuance helpers. */
#ifndef MGW_KEY_H
#define MGW_KEY_H

#include "cert/cert.h"
#include "crypto/crypto.h"

/* ---- keys (key.c) --------------------------------------------------------- */

struct mgw_key {
    mbedtls_pk_context pk;
    bool loaded;
    mgw_rng rng;
};

/* MGW_KEY_* and bits of a pk context (type 0 when not a supported key). */
/* Verify an X.509-style signature over `data` (csr.c): `alg` and `sig` are
 * the contents of the AlgorithmIdentifier and of the BIT STRING. */
int mgw_signature_verify(mbedtls_pk_context *pk, mgw_span data, mgw_span alg, mgw_span sig,
                         int depth, int parse_code, int code, const char *what);

void mgw_pk_info(const mbedtls_pk_context *pk, int *type, int *bits);
/* SubjectPublicKeyInfo DER of a pk context. */
int mgw_pk_spki(mbedtls_pk_context *pk, mgw_dbuf *out);
/* MGW_OK when the key's public half is exactly this SubjectPublicKeyInfo,
 * MGW_ERR_KEY_MISMATCH when not (no message set), MGW_ERR_NO_MEMORY. A key
 * object's halves are consistent by construction (generated) or checked when
 * it is loaded, so comparing public keys proves the pair without a
 * private-key operation. */
int mgw_key_matches_spki(const mgw_key_t *key, const uint8_t *spki, size_t n);

/* ---- issuance (issue.c) ------------------------------------------------------ */

/* Subject key identifier as RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
int mgw_spki_key_id(const uint8_t *spki, size_t n, uint8_t id[20]);

/* ---- requests (csr.c) -------------------------------------------------- */

/* Subject Name DER and public key of a parsed request. */
const uint8_t *mgw_csr_subject_der(const mgw_csr_t *csr, size_t *n);
mbedtls_pk_context *mgw_csr_pk(const mgw_csr_t *csr);

#endif
