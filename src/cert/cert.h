/* Internal certificate layer: names, general names, keys, certificates. */
#ifndef MGW_CERT_H
#define MGW_CERT_H

#include "core/core.h"
#include "crypto/crypto.h"

/* ---- distinguished names (dn.c) ----------------------------------------- */

/* Parse an RFC 4514 string into a DER Name (the whole SEQUENCE element,
 * appended to `name`). The string lists RDNs most specific first, so the
 * DER order is the reverse. Errors: MGW_ERR_DN_SYNTAX / MGW_ERR_DN_ATTRIBUTE /
 * MGW_ERR_UTF8, with a detail naming the 1-based byte position. */
int mgw_dn_parse(const char *s, mgw_dbuf *name);
/* Format a DER Name (the whole SEQUENCE element) as an RFC 4514 string. */
int mgw_dn_format(const uint8_t *der, size_t n, mgw_dbuf *out);
/* True when a DER Name has no RDN. */
bool mgw_dn_is_empty(const uint8_t *der, size_t n);

/* ---- general names (gname.c) --------------------------------------------- */

#define MGW_OID_UPN "1.3.6.1.4.1.311.20.2.3"

/* Validate the text forms (the detail names the problem). */
int mgw_upn_check(const char *upn);
int mgw_email_check(const char *email);
int mgw_dns_check(const char *dns);
int mgw_uri_check(const char *uri);
/* Append one GeneralName of type MGW_SAN_UPN/EMAIL/DNS/URI (value already checked). */
int mgw_gname_put(mgw_dbuf *b, int type, const char *value);
/* Decode one GeneralName element into (MGW_SAN_*, text). */
int mgw_gname_decode(unsigned tag, mgw_span content, int *type, mgw_dbuf *text);

/* ---- keys (key.c) --------------------------------------------------------- */

struct mgw_key {
    mbedtls_pk_context pk;
    bool loaded;
    mgw_rng rng;
};

/* MGW_KEY_* and bits of a pk context (type 0 when not a supported key). */
void mgw_pk_info(const mbedtls_pk_context *pk, int *type, int *bits);
/* SubjectPublicKeyInfo DER of a pk context. */
int mgw_pk_spki(mbedtls_pk_context *pk, mgw_dbuf *out);
/* True when the key's public half is exactly this SubjectPublicKeyInfo. A
 * key object's halves are consistent by construction (generated) or checked
 * when it is loaded, so comparing public keys proves the pair without a
 * private-key operation. */
bool mgw_key_matches_spki(const mgw_key_t *key, const uint8_t *spki, size_t n);

/* ---- parsed certificates (parse.c) ------------------------------------------ */

typedef struct {
    int type;
    char *value;
} mgw_san_entry;

struct mgw_cert {
    uint8_t *der;
    size_t der_len;
    mgw_span tbs, serial, issuer, subject, spki, ski, san_ext;
    int64_t not_before, not_after;
    bool is_ca, has_basic_constraints;
    int pathlen; /* -1 when absent */
    int key_usage; /* bits as in the DER BIT STRING, -1 when absent */
    mgw_san_entry *sans;
    size_t n_sans;
    char **ekus;
    size_t n_ekus;
    mbedtls_pk_context pk;
    bool has_pk; /* false when mbedTLS cannot read the key type */
};

/* Parse certificate DER (a copy is kept). */
int mgw_cert_from_der(const uint8_t *der, size_t n, mgw_cert_t **out);
/* Subject key identifier as RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
int mgw_spki_key_id(const uint8_t *spki, size_t n, uint8_t id[20]);

/* ---- requests (csr.c) -------------------------------------------------- */

/* Subject Name DER and public key of a parsed request. */
const uint8_t *mgw_csr_subject_der(const mgw_csr_t *csr, size_t *n);
mbedtls_pk_context *mgw_csr_pk(const mgw_csr_t *csr);

/* ---- JSON (describe.c) ------------------------------------------------------ */

/* Append s as a JSON string literal (quotes included). */
int mgw_json_string(mgw_dbuf *b, const char *s, size_t n);

#endif
