/* Internal PKCS#12 layer: writer options, the parsed PFX, BER normalisation. */
#ifndef MGW_PFX_H
#define MGW_PFX_H

#include "cert/key.h"

/* Hostile-input caps of the reader. */
#define MGW_PFX_MAX_SIZE (4u << 20)
#define MGW_PFX_MAX_BAGS 256
#define MGW_PFX_MAX_ITERATIONS 1000000u
#define MGW_PFX_MAX_DECRYPTIONS 8
#define MGW_PFX_MAX_SAFES 32

struct mgw_pfxopts {
    int profile;
    uint32_t iterations;
    char *friendly_name; /* NULL: from the certificate's CN */
    bool friendly_name_set;
    char *csp_name;
    int key_spec; /* 0, 0x10 or 0x80 */
    bool machine_keyset;
    uint8_t local_key_id[64];
    size_t local_key_id_len; /* 0: SHA-1 of the certificate */
    mgw_cert_t **chain;
    size_t n_chain;
    mgw_rng rng;
};

struct mgw_pfx {
    mgw_key_t *key;
    mgw_cert_t *leaf;
    mgw_cert_t **others;
    size_t n_others;
    char *friendly_name;
    uint8_t local_key_id[64];
    size_t local_key_id_len;
    char *csp_name;
    int key_spec;
    bool machine_keyset;
    bool has_mac, null_password;
    char key_alg[96], cert_alg[96], mac_alg[32];
    uint32_t key_iterations, cert_iterations, mac_iterations;
    size_t mac_salt_len;
};

/* Re-encode BER (indefinite lengths, constructed OCTET STRINGs, long-form
 * lengths) as DER, without looking inside OCTET STRING contents. */
int mgw_ber_to_der(const uint8_t *p, size_t n, mgw_dbuf *out);

/* Check a caller's password (UTF-8, at most 1024 bytes, no NUL) and describe
 * it for the KDFs; NULL means no password. */
int mgw_pfx_password(const char *password, size_t len, mgw_password *pw);
/* What goes into a PFX besides the protection settings. */
typedef struct {
    const mgw_cert_t *leaf;
    const mgw_key_t *key;
    mgw_cert_t *const *chain;
    size_t n_chain;
    const char *friendly; /* NULL: no friendlyName */
    const char *csp;      /* NULL: no CSP attribute */
    int key_spec;
    bool machine_keyset;
    const uint8_t *keyid; /* keyid_len 0: the SHA-1 of the certificate */
    size_t keyid_len;
} mgw_pfx_content;

/* Encode a PFX with the profile, iterations and random source of o; the
 * second form hands it out as an mgw_free-able buffer. */
int mgw_pfx_encode(const mgw_pfxopts_t *o, const mgw_pfx_content *c, const mgw_password *pw,
                   mgw_dbuf *out);
int mgw_pfx_encode_out(const mgw_pfxopts_t *o, const mgw_pfx_content *c, const mgw_password *pw,
                       uint8_t **out, size_t *out_len);

/* Attribute OIDs (content bytes). */
extern const uint8_t mgw_oid_friendly_name[9];
extern const uint8_t mgw_oid_local_key_id[9];
extern const uint8_t mgw_oid_ms_csp_name[9];
extern const uint8_t mgw_oid_ms_local_machine[9];
extern const uint8_t mgw_oid_key_usage[3];

#endif
