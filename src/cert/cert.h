/* Internal certificate layer: names, general names, parsed certificates.
 * No mbedTLS here: the build without it reads certificates too (store
 * listings, thumbprints, subjects). Keys, issuance and requests are in key.h. */
#ifndef MGW_CERT_H
#define MGW_CERT_H

#include "core/core.h"

/* ---- distinguished names (dn.c) ----------------------------------------- */

/* Parse an RFC 4514 string into a DER Name (the whole SEQUENCE element,
 * appended to `name`). The string lists RDNs most specific first, so the
 * DER order is the reverse. Errors: MGW_ERR_DN_SYNTAX / MGW_ERR_DN_ATTRIBUTE /
 * MGW_ERR_UTF8, with a detail naming the 1-based byte position. */
int mgw_dn_parse(const char *s, mgw_dbuf *name);
/* Format a DER Name (the whole SEQUENCE element) as an RFC 4514 string. */
int mgw_dn_format(const uint8_t *der, size_t n, mgw_dbuf *out);
/* The RFC 4514 text of a Name element to *out (mgw_free); clears the error
 * (parse.c). */
int mgw_dn_out(mgw_span name, char **out);
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

/* ---- parsed certificates (parse.c) ------------------------------------------ */

typedef struct {
    int type;
    char *value;
} mgw_san_entry;

struct mgw_cert {
    uint8_t *der;
    size_t der_len;
    mgw_span tbs, serial, issuer, subject, spki, ski, san_ext;
    mgw_span sig_alg, sig; /* contents of signatureAlgorithm and signatureValue */
    int64_t not_before, not_after;
    bool is_ca, has_basic_constraints;
    int pathlen; /* -1 when absent */
    int key_usage; /* bits as in the DER BIT STRING, -1 when absent */
    mgw_san_entry *sans;
    size_t n_sans;
    char **ekus;
    size_t n_ekus;
    int key_type, key_bits; /* of the public key, as mgw_cert_key_info reports them */
    bool has_crl_dp;        /* a cRLDistributionPoints extension */
};

/* Parse certificate DER (a copy is kept). */
int mgw_cert_from_der(const uint8_t *der, size_t n, mgw_cert_t **out);
/* MGW_KEY_* and size of a SubjectPublicKeyInfo (the whole element): RSA by
 * its modulus, EC by its named curve; type 0 for anything else (bits still
 * given for RSA and the curves whose size is known), both 0 when unreadable. */
void mgw_spki_info(const uint8_t *spki, size_t n, int *type, int *bits);

/* ---- descriptions (describe.c) ------------------------------------------------ */

/* Extended key usages by name: the name of a known OID, or NULL; the OID of a
 * known name (or of a known OID given as text), or NULL. */
const char *mgw_eku_name(const char *oid);
const char *mgw_eku_oid(const char *name_or_oid);

/* ---- certificate files (parse.c) ---------------------------------------------- */

/* The certificate DER of a file's content, DER or PEM: exactly one PEM block,
 * labelled CERTIFICATE (a file that also holds a key is not a store entry).
 * On refusal the detail says why. */
int mgw_cert_file_der(const uint8_t *data, size_t n, mgw_dbuf *der);

#endif
