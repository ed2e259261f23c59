/*
 * libmgwauth - client-certificate authentication for mail gateways.
 *
 * The only public header of the library. It includes standard headers only;
 * no type of mbedTLS or zlib appears here, so the ABI does not depend on the
 * version or configuration of either.
 *
 * Conventions (they hold for every function below):
 *  - Functions return int: MGW_OK (0) or a negative MGW_ERR_* code. Codes are
 *    pinned: a code never changes its meaning; a retired one stays reserved.
 *  - After a failure, mgw_last_error() returns a one-line description of it for
 *    the calling thread. It never contains passwords or key material.
 *  - Objects are opaque. mgw_X_new() creates, mgw_X_free(&p) destroys: it
 *    accepts NULL or a pointer to NULL and sets the caller's pointer to NULL.
 *  - Buffers and strings the library returns through `out` parameters belong
 *    to the caller and are released with mgw_free(), which wipes them first.
 *  - A failed call leaves its output parameters untouched and the objects it
 *    was given as they were.
 *  - Distinct objects may be used from different threads at the same time;
 *    one object must not be used by two threads at once.
 */
#ifndef MGWAUTH_H
#define MGWAUTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MGW_API marks every exported function. Programs linking the static library
 * on Windows must define MGW_STATIC before including this header (pkg-config
 * cannot pass it; the vcpkg port's static builds make it the default). On ELF
 * platforms it makes no difference: static and shared users need nothing. */
#if defined(MGW_STATIC)
#define MGW_API
#elif defined(_WIN32)
#if defined(MGW_BUILDING_LIBRARY)
#define MGW_API __declspec(dllexport)
#else
#define MGW_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define MGW_API __attribute__((visibility("default")))
#else
#define MGW_API
#endif

/** Version of this header; compare with mgw_version_number() at run time. */
#define MGW_VERSION_MAJOR 1
#define MGW_VERSION_MINOR 0
#define MGW_VERSION_PATCH 0

/* ------------------------------------------------------------------------ */
/* Error codes. Pinned forever.                                              */
/* ------------------------------------------------------------------------ */

#define MGW_OK 0
/* General: -1 .. -99 */
#define MGW_ERR_INVALID_ARGUMENT -1 /**< NULL or out-of-range argument */
#define MGW_ERR_NO_MEMORY -2        /**< allocation failed */
#define MGW_ERR_INTERNAL -3         /**< unexpected failure inside the library */
#define MGW_ERR_NOT_AVAILABLE -4    /**< feature not available in this build */
#define MGW_ERR_TOO_LARGE -5        /**< input larger than the library accepts */
#define MGW_ERR_IO -6               /**< file system or operating system error */
#define MGW_ERR_EXISTS -7           /**< output exists and overwriting was not allowed */
#define MGW_ERR_NOT_FOUND -8        /**< a named file or item does not exist */
#define MGW_ERR_RANDOM -9           /**< the random source failed */
/* Input syntax: -100 .. -199 */
#define MGW_ERR_DN_SYNTAX -100      /**< distinguished-name string is malformed */
#define MGW_ERR_DN_ATTRIBUTE -101   /**< unknown attribute type or invalid value in a DN */
#define MGW_ERR_UTF8 -102           /**< text is not valid UTF-8 (or UTF-16) */
#define MGW_ERR_UPN -103            /**< invalid user principal name */
#define MGW_ERR_EMAIL -104          /**< invalid e-mail address */
#define MGW_ERR_DNS -105            /**< invalid DNS name */
#define MGW_ERR_URI -106            /**< invalid URI */
#define MGW_ERR_DER -107            /**< malformed DER/BER structure */
#define MGW_ERR_PEM -108            /**< malformed PEM or no PEM block of the expected kind */
#define MGW_ERR_CERT_PARSE -109     /**< the data is not a usable X.509 certificate */
#define MGW_ERR_CSR_PARSE -110      /**< the data is not a usable PKCS#10 request */
#define MGW_ERR_KEY_PARSE -111      /**< the data is not a usable private key */
#define MGW_ERR_EKU -112            /**< unknown extended key usage name or bad OID */
#define MGW_ERR_VALIDITY -113       /**< validity period out of range */
#define MGW_ERR_PASSWORD -114       /**< password unusable (too long, bad encoding) */
/* Cryptography and policy: -200 .. -299 */
#define MGW_ERR_KEY_TYPE -200        /**< key type or size not supported or refused */
#define MGW_ERR_KEYGEN -201          /**< key generation failed */
#define MGW_ERR_SIGN -202            /**< signing failed */
#define MGW_ERR_CSR_SIGNATURE -203   /**< the request's signature does not verify */
#define MGW_ERR_KEY_MISMATCH -204    /**< key and certificate do not belong together */
#define MGW_ERR_NOT_CA -205          /**< the issuer certificate is not a CA */
#define MGW_ERR_WRONG_PASSWORD -206  /**< wrong password or corrupted data */
#define MGW_ERR_UNSUPPORTED_ALG -207 /**< algorithm not supported */
#define MGW_ERR_CRYPTO -208          /**< other failure of a cryptographic operation */
/* PFX (PKCS#12): -300 .. -399 */
#define MGW_ERR_PFX_FORMAT -300  /**< malformed or unsupported PKCS#12 structure */
#define MGW_ERR_PFX_MAC -301     /**< MAC check failed: wrong password or corrupted file */
#define MGW_ERR_PFX_NO_KEY -302  /**< the PFX holds no private key */
#define MGW_ERR_PFX_NO_CERT -303 /**< no certificate in the PFX matches its key */
#define MGW_ERR_PFX_LIMIT -304   /**< a safety limit (size, bags, iterations) was exceeded */
/* Registry: -400 .. -499 */
/* Trusted roots and stores: -500 .. -599 */
/* Platform back-ends: -600 .. -699 */
/* Gateway check: -700 .. -799 */

/* ------------------------------------------------------------------------ */
/* Library                                                                   */
/* ------------------------------------------------------------------------ */

/** Version string of the library, e.g. "1.0.0". Never NULL. @since 1.0 */
MGW_API const char *mgw_version(void);

/** Version as 0xMMmmpp (major, minor, patch). @since 1.0 */
MGW_API uint32_t mgw_version_number(void);

/** Short, constant description of an error code. Never NULL; unknown codes
 * get "unknown error". @since 1.0 */
MGW_API const char *mgw_strerror(int err);

/** Detailed description of the last error in the calling thread, or "" when
 * the last call succeeded. Valid until the next library call on this thread.
 * @since 1.0 */
MGW_API const char *mgw_last_error(void);

/** Wipe and free a buffer or string returned by the library. NULL is fine.
 * @since 1.0 */
MGW_API void mgw_free(void *p);

/** Signature of a caller-supplied random generator: fill out[0..len) and
 * return 0, or non-zero on failure. For deterministic tests; by default the
 * library uses the OS entropy source through a CTR-DRBG owned by each object. */
typedef int (*mgw_rng_cb)(void *ctx, unsigned char *out, size_t len);

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

#define MGW_FILE_FORCE 0x1u   /**< replace an existing file */
#define MGW_FILE_PRIVATE 0x2u /**< create with mode 0600 (private material) */

/** Write a file atomically: a temporary file in the same directory, written,
 * flushed to disk, then renamed over `path`, and the directory synced. Without
 * MGW_FILE_FORCE an existing `path` is left alone and MGW_ERR_EXISTS returned.
 * @since 1.0 */
MGW_API int mgw_file_write(const char *path, const uint8_t *data, size_t len, unsigned flags);

/** Read a whole file of at most `max_len` bytes (MGW_ERR_TOO_LARGE beyond).
 * *out is NUL-terminated one byte past *out_len; free with mgw_free. @since 1.0 */
MGW_API int mgw_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len);

/** Read a password file: its first line without the line ending. An empty file
 * is the empty password. The password must be valid UTF-8 without NUL and at
 * most 1024 bytes. *out is NUL-terminated; free with mgw_free. @since 1.0 */
MGW_API int mgw_password_file_read(const char *path, char **out, size_t *out_len);

/** Outputs written all together or not at all: each file is staged as a
 * temporary file, and mgw_fileset_commit() renames them all into place. A
 * fileset freed before commit removes its temporary files. @since 1.0 */
typedef struct mgw_fileset mgw_fileset_t;
MGW_API mgw_fileset_t *mgw_fileset_new(void);
MGW_API void mgw_fileset_free(mgw_fileset_t **fs);
/** Stage one file. Fails with MGW_ERR_EXISTS if it exists and `flags` lacks
 * MGW_FILE_FORCE, or if the same path was staged already. */
MGW_API int mgw_fileset_add(mgw_fileset_t *fs, const char *path, const uint8_t *data, size_t len,
                            unsigned flags);
/** Rename every staged file into place (re-checking existence without FORCE).
 * On failure the files already renamed are removed again unless they replaced
 * an existing file. */
MGW_API int mgw_fileset_commit(mgw_fileset_t *fs);

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */
/* ------------------------------------------------------------------------ */

#define MGW_KEY_RSA2048 1
#define MGW_KEY_RSA3072 2
#define MGW_KEY_RSA4096 3
#define MGW_KEY_P256 4
#define MGW_KEY_P384 5
#define MGW_KEY_RSA_OTHER 6 /**< RSA of another size >= 2048 (loaded keys only) */

#define MGW_FORMAT_DER 1
#define MGW_FORMAT_PEM 2

typedef struct mgw_key mgw_key_t;

/** @since 1.0 */
MGW_API mgw_key_t *mgw_key_new(void);
MGW_API void mgw_key_free(mgw_key_t **key);
/** Use a caller-supplied random generator for this key's operations. */
MGW_API int mgw_key_set_rng(mgw_key_t *key, mgw_rng_cb cb, void *ctx);
/** Generate a key of type MGW_KEY_*. RSA uses e = 65537. */
MGW_API int mgw_key_generate(mgw_key_t *key, int type);
/** Parse a private key, PEM or DER: encrypted PKCS#8 (PBES2 with PBKDF2 and
 * AES-CBC, or PKCS#12 3DES), unencrypted PKCS#8, PKCS#1 or SEC1. `password`
 * is UTF-8 (NULL when the key is not encrypted). RSA below 2048 bits and
 * curves other than P-256/P-384 are refused with MGW_ERR_KEY_TYPE. */
MGW_API int mgw_key_load(mgw_key_t *key, const uint8_t *data, size_t len, const char *password,
                         size_t password_len);
/** MGW_KEY_* of a loaded or generated key, 0 if it holds none. */
MGW_API int mgw_key_type(const mgw_key_t *key);
/** Key size in bits (RSA modulus or curve size), 0 if none. */
MGW_API int mgw_key_bits(const mgw_key_t *key);
/** Export as encrypted PKCS#8 (EncryptedPrivateKeyInfo, PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC). `iterations` 0 means the default
 * (mgw_default_iterations()). MGW_FORMAT_PEM gives "ENCRYPTED PRIVATE KEY". */
MGW_API int mgw_key_export_encrypted(const mgw_key_t *key, int format, const char *password,
                                     size_t password_len, uint32_t iterations, uint8_t **out,
                                     size_t *out_len);
/** Export the public key as SubjectPublicKeyInfo DER or PEM. */
MGW_API int mgw_key_export_public(const mgw_key_t *key, int format, uint8_t **out,
                                  size_t *out_len);
/** Default PBKDF2 / PKCS#12 iteration count (2048). */
MGW_API uint32_t mgw_default_iterations(void);

/* ------------------------------------------------------------------------ */
/* Certificate options                                                       */
/* ------------------------------------------------------------------------ */

typedef struct mgw_certopts mgw_certopts_t;

/** Options for a certificate to issue. Defaults: empty subject, no SAN, 730
 * days from now - 10 minutes, EKU clientAuth for end entities, not a CA. */
MGW_API mgw_certopts_t *mgw_certopts_new(void);
MGW_API void mgw_certopts_free(mgw_certopts_t **opts);
/** Subject as an RFC 4514 string, most specific RDN first ("CN=x,O=y,C=DE").
 * Attribute types: CN, O, OU, L, ST (S), C, DC, STREET, emailAddress (E),
 * serialNumber, UID, title, GN, SN, or a dotted OID. Escapes \, \+ \" \\ \#
 * \< \> \; \= and \XX hex pairs; "+" joins a multi-valued RDN; OID=#hex gives
 * a raw BER value. Errors name the byte position (1-based). */
MGW_API int mgw_certopts_set_subject(mgw_certopts_t *opts, const char *rfc4514);
/** Add a SAN user principal name (otherName 1.3.6.1.4.1.311.20.2.3). */
MGW_API int mgw_certopts_add_upn(mgw_certopts_t *opts, const char *upn);
/** Add a SAN e-mail address (rfc822Name, ASCII). */
MGW_API int mgw_certopts_add_email(mgw_certopts_t *opts, const char *email);
/** Add a SAN DNS name (ASCII, LDH labels, optional leading "*."). */
MGW_API int mgw_certopts_add_dns(mgw_certopts_t *opts, const char *dns);
/** Add a SAN URI (ASCII, with a scheme). */
MGW_API int mgw_certopts_add_uri(mgw_certopts_t *opts, const char *uri);
/** Validity in days, 1 to 36500. */
MGW_API int mgw_certopts_set_days(mgw_certopts_t *opts, uint32_t days);
/** notBefore as seconds since 1970 (UTC); default: now - 600 s. */
MGW_API int mgw_certopts_set_not_before(mgw_certopts_t *opts, int64_t unix_time);
/** Add an extended key usage: clientAuth, serverAuth, codeSigning,
 * emailProtection, timeStamping, OCSPSigning, smartcardLogon, or a dotted OID.
 * The first call replaces the clientAuth default. */
MGW_API int mgw_certopts_add_eku(mgw_certopts_t *opts, const char *name_or_oid);
/** Make a CA certificate. pathlen >= 0 limits the path; -1 leaves it open.
 * (mgw_certopts_new() + set_ca(opts, 1, 0) is the usual company CA.) */
MGW_API int mgw_certopts_set_ca(mgw_certopts_t *opts, int is_ca, int pathlen);
/** Use a caller-supplied random generator (serial numbers, ECDSA). */
MGW_API int mgw_certopts_set_rng(mgw_certopts_t *opts, mgw_rng_cb cb, void *ctx);

/* ------------------------------------------------------------------------ */
/* Certificates                                                              */
/* ------------------------------------------------------------------------ */

typedef struct mgw_cert mgw_cert_t;
typedef struct mgw_csr mgw_csr_t;

#define MGW_SAN_UPN 1
#define MGW_SAN_EMAIL 2
#define MGW_SAN_DNS 3
#define MGW_SAN_URI 4
#define MGW_SAN_IP 5
#define MGW_SAN_OTHER 6 /**< any other GeneralName, shown as "tag:hex" */

#define MGW_DIGEST_SHA1 1
#define MGW_DIGEST_SHA256 2

#define MGW_DESCRIBE_TEXT 1
#define MGW_DESCRIBE_JSON 2

/** Issue a certificate for `subject_key` (its public half). With
 * issuer_cert and issuer_key both NULL the certificate is self-signed;
 * otherwise the issuer must be a CA whose key matches its certificate.
 * SHA-256 signatures (SHA-384 for P-384 issuers). */
MGW_API int mgw_cert_create(const mgw_certopts_t *opts, const mgw_key_t *subject_key,
                            const mgw_cert_t *issuer_cert, const mgw_key_t *issuer_key,
                            mgw_cert_t **out);
/** Issue a certificate for a PKCS#10 request (whose signature was verified by
 * mgw_csr_parse). The subject is the request's unless opts sets one; SAN, EKU
 * and validity come from opts, never from the request. */
MGW_API int mgw_cert_sign_csr(const mgw_certopts_t *opts, const mgw_csr_t *csr,
                              const mgw_cert_t *ca_cert, const mgw_key_t *ca_key,
                              mgw_cert_t **out);
/** Parse one certificate, DER or PEM (the first CERTIFICATE block). */
MGW_API int mgw_cert_parse(const uint8_t *data, size_t len, mgw_cert_t **out);
MGW_API void mgw_cert_free(mgw_cert_t **cert);
/** Encode as DER (.cer, what Windows imports) or PEM. */
MGW_API int mgw_cert_export(const mgw_cert_t *cert, int format, uint8_t **out, size_t *out_len);
/** Thumbprint in upper-case hex without separators: MGW_DIGEST_SHA1 (as
 * Windows shows it) or MGW_DIGEST_SHA256. */
MGW_API int mgw_cert_thumbprint(const mgw_cert_t *cert, int digest, char **out);
/** Subject or issuer as an RFC 4514 string. */
MGW_API int mgw_cert_subject(const mgw_cert_t *cert, char **out);
MGW_API int mgw_cert_issuer(const mgw_cert_t *cert, char **out);
/** Serial number in upper-case hex (big-endian, as stored). */
MGW_API int mgw_cert_serial(const mgw_cert_t *cert, char **out);
/** Validity bounds as seconds since 1970 (UTC). */
MGW_API int mgw_cert_validity(const mgw_cert_t *cert, int64_t *not_before, int64_t *not_after);
/** Number of subject alternative names, and the i-th one (MGW_SAN_* and text). */
MGW_API size_t mgw_cert_san_count(const mgw_cert_t *cert);
MGW_API int mgw_cert_san(const mgw_cert_t *cert, size_t index, int *type, char **value);
/** Number of extended key usages, and the i-th as a dotted OID. */
MGW_API size_t mgw_cert_eku_count(const mgw_cert_t *cert);
MGW_API int mgw_cert_eku(const mgw_cert_t *cert, size_t index, char **oid);
/** Key of the certificate: MGW_KEY_* (0 for other types) and size in bits. */
MGW_API int mgw_cert_key_info(const mgw_cert_t *cert, int *type, int *bits);
/** 1 if basicConstraints says CA:TRUE, else 0. */
MGW_API int mgw_cert_is_ca(const mgw_cert_t *cert);
/** MGW_OK if `key` is the private key of `cert`, else MGW_ERR_KEY_MISMATCH. */
MGW_API int mgw_cert_check_key(const mgw_cert_t *cert, const mgw_key_t *key);
/** Everything above as text (MGW_DESCRIBE_TEXT) or a JSON object. */
MGW_API int mgw_cert_describe(const mgw_cert_t *cert, int style, char **out);

/** Parse a PKCS#10 request, PEM or DER, and verify its signature. */
MGW_API int mgw_csr_parse(const uint8_t *data, size_t len, mgw_csr_t **out);
MGW_API void mgw_csr_free(mgw_csr_t **csr);
/** The request's subject as an RFC 4514 string. */
MGW_API int mgw_csr_subject(const mgw_csr_t *csr, char **out);

/* ------------------------------------------------------------------------ */
/* PFX (PKCS#12)                                                             */
/* ------------------------------------------------------------------------ */

/** compat: pbeWithSHAAnd3-KeyTripleDES-CBC for the key and certificates and an
 * HMAC-SHA-1 MAC, as Windows' TripleDES_SHA1 export; opens on every device.
 * modern: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and an HMAC-SHA-256 MAC, as
 * OpenSSL 3; Windows Server 2016 and older devices report it as "wrong password". */
#define MGW_PFX_PROFILE_COMPAT 1
#define MGW_PFX_PROFILE_MODERN 2

/** Windows KeySpec, written as the key-usage attribute inside the PKCS#8 key. */
#define MGW_PFX_KEYSPEC_NONE 0
#define MGW_PFX_KEYSPEC_EXCHANGE 0x10
#define MGW_PFX_KEYSPEC_SIGNATURE 0x80

/** Parts of a PFX for mgw_pfx_algorithm(). */
#define MGW_PFX_PART_KEY 1
#define MGW_PFX_PART_CERTS 2
#define MGW_PFX_PART_MAC 3

typedef struct mgw_pfxopts mgw_pfxopts_t;
typedef struct mgw_pfx mgw_pfx_t;

/** Options for writing a PFX. Defaults: compat profile, 2048 iterations, the
 * friendlyName from the certificate's CN, localKeyID = SHA-1 of the
 * certificate, no Microsoft attributes, no chain. @since 1.0 */
MGW_API mgw_pfxopts_t *mgw_pfxopts_new(void);
MGW_API void mgw_pfxopts_free(mgw_pfxopts_t **opts);
MGW_API int mgw_pfxopts_set_profile(mgw_pfxopts_t *opts, int profile);
/** Iterations of every KDF (1 to mgw_pfx_max_iterations()). */
MGW_API int mgw_pfxopts_set_iterations(mgw_pfxopts_t *opts, uint32_t iterations);
/** friendlyName (UTF-8); "" or NULL writes none. */
MGW_API int mgw_pfxopts_set_friendly_name(mgw_pfxopts_t *opts, const char *name);
/** Microsoft CSP name attribute (1.3.6.1.4.1.311.17.1), e.g. "Microsoft
 * Enhanced RSA and AES Cryptographic Provider"; NULL removes it. */
MGW_API int mgw_pfxopts_set_csp_name(mgw_pfxopts_t *opts, const char *name);
/** MGW_PFX_KEYSPEC_*: exchange (0x10) is what -KeySpec KeyExchange keys carry. */
MGW_API int mgw_pfxopts_set_key_spec(mgw_pfxopts_t *opts, int key_spec);
/** Mark the key for the LocalMachine key set (1.3.6.1.4.1.311.17.2). */
MGW_API int mgw_pfxopts_set_machine_keyset(mgw_pfxopts_t *opts, int on);
/** localKeyID bytes (Windows writes 01 00 00 00); 0 to 64 bytes, 0 = default. */
MGW_API int mgw_pfxopts_set_local_key_id(mgw_pfxopts_t *opts, const uint8_t *id, size_t len);
/** Add a chain certificate (copied), e.g. the issuing CA. */
MGW_API int mgw_pfxopts_add_chain(mgw_pfxopts_t *opts, const mgw_cert_t *cert);
/** Use a caller-supplied random generator for salts and IVs. */
MGW_API int mgw_pfxopts_set_rng(mgw_pfxopts_t *opts, mgw_rng_cb cb, void *ctx);

/** Write a PFX holding `key`, `cert` (which must belong together) and the
 * chain of opts. `password` is UTF-8 (the empty string is a valid password);
 * NULL writes a PFX with no password, which PKCS#12 distinguishes from "". */
MGW_API int mgw_pfx_write(const mgw_pfxopts_t *opts, const mgw_cert_t *cert, const mgw_key_t *key,
                          const char *password, size_t password_len, uint8_t **out,
                          size_t *out_len);
/** Parse and decrypt a PFX (DER or BER). The MAC is verified before anything
 * is decrypted; a wrong password gives MGW_ERR_PFX_MAC. An empty password also
 * opens files made with no password. Reads 3DES, RC2-40/128 (Windows exports)
 * and PBES2 with AES. Inputs above the size, bag or iteration limits give
 * MGW_ERR_PFX_LIMIT. */
MGW_API int mgw_pfx_parse(const uint8_t *data, size_t len, const char *password,
                          size_t password_len, mgw_pfx_t **out);
MGW_API void mgw_pfx_free(mgw_pfx_t **pfx);
/** Copies of the private key and of the certificate that matches it. */
MGW_API int mgw_pfx_key(const mgw_pfx_t *pfx, mgw_key_t **out);
MGW_API int mgw_pfx_cert(const mgw_pfx_t *pfx, mgw_cert_t **out);
/** The other certificates (the chain). */
MGW_API size_t mgw_pfx_extra_cert_count(const mgw_pfx_t *pfx);
MGW_API int mgw_pfx_extra_cert(const mgw_pfx_t *pfx, size_t index, mgw_cert_t **out);
/** friendlyName, or MGW_ERR_NOT_FOUND. */
MGW_API int mgw_pfx_friendly_name(const mgw_pfx_t *pfx, char **out);
/** Algorithm name and iteration count found for a part (MGW_PFX_PART_*). */
MGW_API int mgw_pfx_algorithm(const mgw_pfx_t *pfx, int part, char **name, uint32_t *iterations);
/** Algorithms, iterations, attributes, certificates and key, as text or JSON. */
MGW_API int mgw_pfx_describe(const mgw_pfx_t *pfx, int style, char **out);
/** Re-encrypt a parsed PFX with opts (profile, iterations, extra chain,
 * attributes override the source's) and a new password (NULL: none). */
MGW_API int mgw_pfx_convert(const mgw_pfx_t *pfx, const mgw_pfxopts_t *opts, const char *password,
                            size_t password_len, uint8_t **out, size_t *out_len);
/** Largest iteration count the reader accepts and the writer uses. */
MGW_API uint32_t mgw_pfx_max_iterations(void);

/* ------------------------------------------------------------------------ */
/* Registry plans                                                            */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Trusted roots                                                             */
/* ------------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif
#endif /* MGWAUTH_H */
