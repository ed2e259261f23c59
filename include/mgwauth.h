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
 *  - Every build has every function. The Windows system stores and the
 *    live registry exist only in the Windows build; elsewhere their
 *    functions fail with MGW_ERR_NOT_AVAILABLE.
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
#define MGW_ERR_CERT_SIGNATURE -209  /**< the certificate was not signed by that issuer */
/* PFX (PKCS#12): -300 .. -399 */
#define MGW_ERR_PFX_FORMAT -300  /**< malformed or unsupported PKCS#12 structure */
#define MGW_ERR_PFX_MAC -301     /**< MAC check failed: wrong password or corrupted file */
#define MGW_ERR_PFX_NO_KEY -302  /**< the PFX holds no private key */
#define MGW_ERR_PFX_NO_CERT -303 /**< no certificate in the PFX matches its key */
#define MGW_ERR_PFX_LIMIT -304   /**< a safety limit (size, bags, iterations) was exceeded */
/* Registry: -400 .. -499 */
#define MGW_ERR_REG_SYNTAX -400     /**< malformed .reg file (the detail names the line) */
#define MGW_ERR_REG_NO_BINDING -401 /**< the HTTPS binding to configure does not exist */
#define MGW_ERR_REG_DRIFT -402      /**< the registry changed since the plan was made */
#define MGW_ERR_REG_VERIFY -403     /**< values read back differ (previous state restored) */
#define MGW_ERR_REG_RESTORE -404    /**< restoring after a failed apply failed too */
#define MGW_ERR_REG_PLAN -405       /**< malformed or inconsistent plan file */
#define MGW_ERR_REG_TYPE -406       /**< a value the plan manages has an unexpected type */
/* Trusted roots and stores: -500 .. -599 */
#define MGW_ERR_THUMBPRINT -500          /**< malformed thumbprint */
#define MGW_ERR_ROOTS_KEEP_EMPTY -501    /**< the keep-list is empty */
#define MGW_ERR_ROOTS_KEEP_MISSING -502  /**< a keep-list thumbprint is not in the store */
#define MGW_ERR_ROOTS_KEEPS_NOTHING -503 /**< the plan would keep no certificate at all */
#define MGW_ERR_ROOTS_BACKUP -504        /**< a backup is unreadable or does not verify */
#define MGW_ERR_ROOTS_INCOMPLETE -505    /**< prune or restore stopped part-way */
#define MGW_ERR_STORE_CHANGED -506       /**< the store changed since it was listed or planned */
/* Platform back-ends: -600 .. -699 */
#define MGW_ERR_STORE_NAME -600       /**< unknown system store location or name */
#define MGW_ERR_PLATFORM -601         /**< an operating-system call failed (the detail names it) */
#define MGW_ERR_ACCESS_DENIED -602    /**< the operating system denied access (run elevated) */
#define MGW_ERR_KEY_NOT_ATTACHED -603 /**< an imported certificate has no usable private key */
/* Gateway check: -700 .. -799 */
#define MGW_ERR_CHECK_URL -700          /**< the URL is not https://host[:port][/path] */
#define MGW_ERR_CHECK_RESOLVE -701      /**< the host name does not resolve */
#define MGW_ERR_CHECK_CONNECT -702      /**< the connection was refused or failed */
#define MGW_ERR_CHECK_TIMEOUT -703      /**< the deadline passed */
#define MGW_ERR_CHECK_UNTRUSTED -704    /**< the server certificate is not trusted */
#define MGW_ERR_CHECK_HOSTNAME -705     /**< the server certificate is for another host */
#define MGW_ERR_CHECK_EXPIRED -706      /**< the server certificate has expired */
#define MGW_ERR_CHECK_HANDSHAKE -707    /**< the TLS handshake failed or was refused */
#define MGW_ERR_CHECK_HTTP -708         /**< the answer is not HTTP */
#define MGW_ERR_CHECK_TOO_LARGE -709    /**< response headers or body over the limits */
#define MGW_ERR_CHECK_STATUS -710       /**< the authenticated request got another status */
#define MGW_ERR_CHECK_NOT_ENFORCED -711 /**< a request without a certificate got through */
/* IIS configuration (applicationHost.config): -800 .. -899 */
#define MGW_ERR_IIS_XML -800       /**< malformed XML or XML the reader cannot keep byte for byte */
#define MGW_ERR_IIS_CONFIG -801    /**< not a usable applicationHost.config (the detail says why) */
#define MGW_ERR_IIS_NOT_FOUND -802 /**< the site or https binding does not exist */
#define MGW_ERR_IIS_DRIFT -803     /**< the file changed since the plan was made */
#define MGW_ERR_IIS_VERIFY -804    /**< the file read back differs (previous state restored) */
#define MGW_ERR_IIS_RESTORE -805   /**< restoring after a failed apply failed too */
#define MGW_ERR_IIS_PLAN -806      /**< malformed or inconsistent IIS plan */

/* ------------------------------------------------------------------------ */
/* Library                                                                   */
/* ------------------------------------------------------------------------ */

/** Version string of the library, e.g. "1.0.0". Never NULL. @since 1.0 */
MGW_API const char *mgw_version(void);

/** Version as 0xMMmmpp (major, minor, patch). @since 1.0 */
MGW_API uint32_t mgw_version_number(void);

/** The crypto library this build runs on, as loaded at run time, e.g.
 * "mbedTLS 3.6.6". Never NULL; a constant string. @since 1.1 */
MGW_API const char *mgw_crypto_version(void);

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
/** mgw_fileset_add only: do not sync the file's directory at commit; the
 * caller calls mgw_file_sync_dir() once after many files (bulk writers). The
 * file's data is still synced before it is renamed into place. */
#define MGW_FILE_NO_DIR_SYNC 0x4u
/* Every function taking these flags refuses any other bit with
 * MGW_ERR_INVALID_ARGUMENT ("unknown flags"), and writes nothing. */

/** Write a file atomically: a temporary file in the same directory, written,
 * flushed to disk, then renamed over `path`, and the directory synced. Without
 * MGW_FILE_FORCE an existing `path` is left alone and MGW_ERR_EXISTS returned.
 * @since 1.0 */
MGW_API int mgw_file_write(const char *path, const uint8_t *data, size_t len, unsigned flags);

/** Sync a directory (after files were renamed into it with MGW_FILE_NO_DIR_SYNC).
 * @since 1.0 */
MGW_API int mgw_file_sync_dir(const char *dir);

/** Read a whole file of at most `max_len` bytes (MGW_ERR_TOO_LARGE beyond).
 * *out is NUL-terminated one byte past *out_len; free with mgw_free. @since 1.0 */
MGW_API int mgw_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len);

/** Read a text file of at most `max_len` bytes as UTF-8 without BOM. Accepted:
 * UTF-8 with or without BOM, UTF-16LE or UTF-16BE with BOM (what Windows
 * PowerShell's Out-File and Notepad's "Unicode" write). Anything else --
 * UTF-16 without BOM, UTF-32, NUL bytes, invalid UTF-8 such as the ANSI code
 * page -- fails with MGW_ERR_UTF8 and a detail naming the encoding found and
 * how to save the file. Password files and keep-files are read the same way.
 * *out is NUL-terminated; free with mgw_free. @since 1.1 */
MGW_API int mgw_text_file_read(const char *path, size_t max_len, char **out, size_t *out_len);

/** The digest of `len` bytes as lower-case hex (what sha256sum prints):
 * MGW_DIGEST_SHA1 or MGW_DIGEST_SHA256. Free with mgw_free. @since 1.1 */
MGW_API int mgw_digest_hex(int digest, const uint8_t *data, size_t len, char **out);

/** Outputs written all together or not at all: each file is staged as a
 * temporary file, and mgw_fileset_commit() renames them all into place. A
 * fileset freed before commit removes its temporary files. @since 1.0 */
typedef struct mgw_fileset mgw_fileset_t;
/** @since 1.0 */
MGW_API mgw_fileset_t *mgw_fileset_new(void);
/** @since 1.0 */
MGW_API void mgw_fileset_free(mgw_fileset_t **fs);
/** Stage one file. Fails with MGW_ERR_EXISTS if it exists and `flags` lacks
 * MGW_FILE_FORCE, or if the same path was staged already. @since 1.0 */
MGW_API int mgw_fileset_add(mgw_fileset_t *fs, const char *path, const uint8_t *data, size_t len,
                            unsigned flags);
/** Rename every staged file into place (re-checking existence without FORCE).
 * On failure the files already renamed are removed again unless they replaced
 * an existing file. @since 1.0 */
MGW_API int mgw_fileset_commit(mgw_fileset_t *fs);

/* ------------------------------------------------------------------------ */
/* Passwords                                                                 */
/* ------------------------------------------------------------------------ */

/* Every password the library takes (PFX writing, reading and conversion,
 * encrypted key export, password files, the Windows PFX import) follows one
 * rule: at most 1024 bytes of UTF-8 without a NUL byte; anything else is
 * refused with MGW_ERR_PASSWORD or MGW_ERR_UTF8, and no message shows it. */

/** Read a password file: its first line without the line ending. An empty file
 * is the empty password. The file is text as mgw_text_file_read() reads it
 * (UTF-8, or UTF-16 with BOM). The password follows the rule above. *out is
 * NUL-terminated; free with mgw_free. @since 1.0 */
MGW_API int mgw_password_file_read(const char *path, char **out, size_t *out_len);

/** A random password of `length` characters (16 to 256) from the OS entropy
 * source, drawn without bias from 55 letters and digits that cannot be
 * mistaken for one another (no 0/O/o, 1/I/i/l). 20 characters carry 115 bits.
 * Free with mgw_free. @since 1.0 */
MGW_API int mgw_password_generate(size_t length, char **out);

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
/** @since 1.0 */
MGW_API void mgw_key_free(mgw_key_t **key);
/** Use a caller-supplied random generator for this key's operations. @since 1.0 */
MGW_API int mgw_key_set_rng(mgw_key_t *key, mgw_rng_cb cb, void *ctx);
/** Generate a key of type MGW_KEY_*. RSA uses e = 65537. @since 1.0 */
MGW_API int mgw_key_generate(mgw_key_t *key, int type);
/** Parse a private key, PEM or DER: encrypted PKCS#8 (PBES2 with PBKDF2 and
 * AES-CBC, or PKCS#12 3DES), unencrypted PKCS#8, PKCS#1 or SEC1. `password`
 * is UTF-8 (NULL when the key is not encrypted). RSA below 2048 bits and
 * curves other than P-256/P-384 are refused with MGW_ERR_KEY_TYPE. @since 1.0 */
MGW_API int mgw_key_load(mgw_key_t *key, const uint8_t *data, size_t len, const char *password,
                         size_t password_len);
/** MGW_KEY_* of a loaded or generated key, 0 if it holds none. @since 1.0 */
MGW_API int mgw_key_type(const mgw_key_t *key);
/** Key size in bits (RSA modulus or curve size), 0 if none. @since 1.0 */
MGW_API int mgw_key_bits(const mgw_key_t *key);
/** Export as encrypted PKCS#8 (EncryptedPrivateKeyInfo, PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC). `iterations` 0 means the default
 * (mgw_default_iterations()). MGW_FORMAT_PEM gives "ENCRYPTED PRIVATE KEY". @since 1.0 */
MGW_API int mgw_key_export_encrypted(const mgw_key_t *key, int format, const char *password,
                                     size_t password_len, uint32_t iterations, uint8_t **out,
                                     size_t *out_len);
/** Export the public key as SubjectPublicKeyInfo DER or PEM. @since 1.0 */
MGW_API int mgw_key_export_public(const mgw_key_t *key, int format, uint8_t **out,
                                  size_t *out_len);
/** Default PBKDF2 / PKCS#12 iteration count (2048). @since 1.0 */
MGW_API uint32_t mgw_default_iterations(void);

/* ------------------------------------------------------------------------ */
/* Certificate options                                                       */
/* ------------------------------------------------------------------------ */

typedef struct mgw_certopts mgw_certopts_t;

/** Options for a certificate to issue. Defaults: empty subject, no SAN, 730
 * days from now - 10 minutes, EKU clientAuth for end entities, not a CA. @since 1.0 */
MGW_API mgw_certopts_t *mgw_certopts_new(void);
/** @since 1.0 */
MGW_API void mgw_certopts_free(mgw_certopts_t **opts);
/** Subject as an RFC 4514 string, most specific RDN first ("CN=x,O=y,C=DE").
 * Attribute types: CN, O, OU, L, ST (S), C, DC, STREET, emailAddress (E),
 * serialNumber, UID, title, GN, SN, or a dotted OID. Escapes \, \+ \" \\ \#
 * \< \> \; \= and \XX hex pairs; "+" joins a multi-valued RDN; OID=#hex gives
 * a raw BER value. Errors name the byte position (1-based). @since 1.0 */
MGW_API int mgw_certopts_set_subject(mgw_certopts_t *opts, const char *rfc4514);
/** Add a SAN user principal name (otherName 1.3.6.1.4.1.311.20.2.3). @since 1.0 */
MGW_API int mgw_certopts_add_upn(mgw_certopts_t *opts, const char *upn);
/** Add a SAN e-mail address (rfc822Name, ASCII). @since 1.0 */
MGW_API int mgw_certopts_add_email(mgw_certopts_t *opts, const char *email);
/** Add a SAN DNS name (ASCII, LDH labels, optional leading "*."). @since 1.0 */
MGW_API int mgw_certopts_add_dns(mgw_certopts_t *opts, const char *dns);
/** Add a SAN URI (ASCII, with a scheme). @since 1.0 */
MGW_API int mgw_certopts_add_uri(mgw_certopts_t *opts, const char *uri);
/** Validity in days, 1 to 36500. @since 1.0 */
MGW_API int mgw_certopts_set_days(mgw_certopts_t *opts, uint32_t days);
/** notBefore as seconds since 1970 (UTC); default: now - 600 s. @since 1.0 */
MGW_API int mgw_certopts_set_not_before(mgw_certopts_t *opts, int64_t unix_time);
/** Add an extended key usage: clientAuth, serverAuth, codeSigning,
 * emailProtection, timeStamping, OCSPSigning, smartcardLogon, or a dotted OID.
 * The first call replaces the clientAuth default. @since 1.0 */
MGW_API int mgw_certopts_add_eku(mgw_certopts_t *opts, const char *name_or_oid);
/** Make a CA certificate. pathlen >= 0 limits the path; -1 leaves it open.
 * (mgw_certopts_new() + set_ca(opts, 1, 0) is the usual company CA.) @since 1.0 */
MGW_API int mgw_certopts_set_ca(mgw_certopts_t *opts, int is_ca, int pathlen);
/** Use a caller-supplied random generator (serial numbers, ECDSA). @since 1.0 */
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
 * SHA-256 signatures (SHA-384 for P-384 issuers). @since 1.0 */
MGW_API int mgw_cert_create(const mgw_certopts_t *opts, const mgw_key_t *subject_key,
                            const mgw_cert_t *issuer_cert, const mgw_key_t *issuer_key,
                            mgw_cert_t **out);
/** Issue a certificate for a PKCS#10 request (whose signature was verified by
 * mgw_csr_parse). The subject is the request's unless opts sets one; SAN, EKU
 * and validity come from opts, never from the request. @since 1.0 */
MGW_API int mgw_cert_sign_csr(const mgw_certopts_t *opts, const mgw_csr_t *csr,
                              const mgw_cert_t *ca_cert, const mgw_key_t *ca_key,
                              mgw_cert_t **out);
/** Parse one certificate, DER or PEM (the first CERTIFICATE block). @since 1.0 */
MGW_API int mgw_cert_parse(const uint8_t *data, size_t len, mgw_cert_t **out);
/** @since 1.0 */
MGW_API void mgw_cert_free(mgw_cert_t **cert);
/** Encode as DER (.cer, what Windows imports) or PEM. @since 1.0 */
MGW_API int mgw_cert_export(const mgw_cert_t *cert, int format, uint8_t **out, size_t *out_len);
/** Thumbprint in upper-case hex without separators: MGW_DIGEST_SHA1 (as
 * Windows shows it) or MGW_DIGEST_SHA256. @since 1.0 */
MGW_API int mgw_cert_thumbprint(const mgw_cert_t *cert, int digest, char **out);
/** Subject or issuer as an RFC 4514 string. @since 1.0 */
MGW_API int mgw_cert_subject(const mgw_cert_t *cert, char **out);
/** @since 1.0 */
MGW_API int mgw_cert_issuer(const mgw_cert_t *cert, char **out);
/** Serial number in upper-case hex (big-endian, as stored). @since 1.0 */
MGW_API int mgw_cert_serial(const mgw_cert_t *cert, char **out);
/** Validity bounds as seconds since 1970 (UTC). @since 1.0 */
MGW_API int mgw_cert_validity(const mgw_cert_t *cert, int64_t *not_before, int64_t *not_after);
/** Number of subject alternative names, and the i-th one (MGW_SAN_* and text). @since 1.0 */
MGW_API size_t mgw_cert_san_count(const mgw_cert_t *cert);
/** @since 1.0 */
MGW_API int mgw_cert_san(const mgw_cert_t *cert, size_t index, int *type, char **value);
/** Number of extended key usages, and the i-th as a dotted OID. @since 1.0 */
MGW_API size_t mgw_cert_eku_count(const mgw_cert_t *cert);
/** @since 1.0 */
MGW_API int mgw_cert_eku(const mgw_cert_t *cert, size_t index, char **oid);
/** Key of the certificate: MGW_KEY_* (0 for other types) and size in bits. @since 1.0 */
MGW_API int mgw_cert_key_info(const mgw_cert_t *cert, int *type, int *bits);
/** 1 if basicConstraints says CA:TRUE, else 0. @since 1.0 */
MGW_API int mgw_cert_is_ca(const mgw_cert_t *cert);
/** MGW_OK if `key` is the private key of `cert`, else MGW_ERR_KEY_MISMATCH. @since 1.0 */
MGW_API int mgw_cert_check_key(const mgw_cert_t *cert, const mgw_key_t *key);
/** MGW_OK if `issuer` issued `cert`: its issuer name is `issuer`'s subject and
 * its signature verifies with `issuer`'s public key; else MGW_ERR_CERT_SIGNATURE
 * (MGW_ERR_UNSUPPORTED_ALG for a signature algorithm the library does not
 * know). Validity dates and CA flags are not judged. @since 1.0 */
MGW_API int mgw_cert_check_issuer(const mgw_cert_t *cert, const mgw_cert_t *issuer);
/** Everything above as text (MGW_DESCRIBE_TEXT) or a JSON object. @since 1.0 */
MGW_API int mgw_cert_describe(const mgw_cert_t *cert, int style, char **out);

/** Parse a PKCS#10 request, PEM or DER, and verify its signature. @since 1.0 */
MGW_API int mgw_csr_parse(const uint8_t *data, size_t len, mgw_csr_t **out);
/** @since 1.0 */
MGW_API void mgw_csr_free(mgw_csr_t **csr);
/** The request's subject as an RFC 4514 string. @since 1.0 */
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
/** @since 1.0 */
MGW_API void mgw_pfxopts_free(mgw_pfxopts_t **opts);
/** @since 1.0 */
MGW_API int mgw_pfxopts_set_profile(mgw_pfxopts_t *opts, int profile);
/** Iterations of every KDF (1 to mgw_pfx_max_iterations()). @since 1.0 */
MGW_API int mgw_pfxopts_set_iterations(mgw_pfxopts_t *opts, uint32_t iterations);
/** friendlyName (UTF-8); "" or NULL writes none. @since 1.0 */
MGW_API int mgw_pfxopts_set_friendly_name(mgw_pfxopts_t *opts, const char *name);
/** Microsoft CSP name attribute (1.3.6.1.4.1.311.17.1), e.g. "Microsoft
 * Enhanced RSA and AES Cryptographic Provider"; NULL removes it. @since 1.0 */
MGW_API int mgw_pfxopts_set_csp_name(mgw_pfxopts_t *opts, const char *name);
/** MGW_PFX_KEYSPEC_*: exchange (0x10) is what -KeySpec KeyExchange keys carry. @since 1.0 */
MGW_API int mgw_pfxopts_set_key_spec(mgw_pfxopts_t *opts, int key_spec);
/** Mark the key for the LocalMachine key set (1.3.6.1.4.1.311.17.2). @since 1.0 */
MGW_API int mgw_pfxopts_set_machine_keyset(mgw_pfxopts_t *opts, int on);
/** localKeyID bytes (Windows writes 01 00 00 00); 0 to 64 bytes, 0 = default. @since 1.0 */
MGW_API int mgw_pfxopts_set_local_key_id(mgw_pfxopts_t *opts, const uint8_t *id, size_t len);
/** Add a chain certificate (copied), e.g. the issuing CA. @since 1.0 */
MGW_API int mgw_pfxopts_add_chain(mgw_pfxopts_t *opts, const mgw_cert_t *cert);
/** Use a caller-supplied random generator for salts and IVs. @since 1.0 */
MGW_API int mgw_pfxopts_set_rng(mgw_pfxopts_t *opts, mgw_rng_cb cb, void *ctx);

/** Write a PFX holding `key`, `cert` (which must belong together) and the
 * chain of opts. `password` is UTF-8 (the empty string is a valid password);
 * NULL writes a PFX with no password, which PKCS#12 distinguishes from "". @since 1.0 */
MGW_API int mgw_pfx_write(const mgw_pfxopts_t *opts, const mgw_cert_t *cert, const mgw_key_t *key,
                          const char *password, size_t password_len, uint8_t **out,
                          size_t *out_len);
/** Parse and decrypt a PFX (DER or BER). The MAC is verified before anything
 * is decrypted; a wrong password gives MGW_ERR_PFX_MAC. An empty password also
 * opens files made with no password. Reads 3DES, RC2-40/128 (Windows exports)
 * and PBES2 with AES. Inputs above the size, bag or iteration limits give
 * MGW_ERR_PFX_LIMIT. @since 1.0 */
MGW_API int mgw_pfx_parse(const uint8_t *data, size_t len, const char *password,
                          size_t password_len, mgw_pfx_t **out);
/** @since 1.0 */
MGW_API void mgw_pfx_free(mgw_pfx_t **pfx);
/** Copies of the private key and of the certificate that matches it. @since 1.0 */
MGW_API int mgw_pfx_key(const mgw_pfx_t *pfx, mgw_key_t **out);
/** @since 1.0 */
MGW_API int mgw_pfx_cert(const mgw_pfx_t *pfx, mgw_cert_t **out);
/** The other certificates (the chain). @since 1.0 */
MGW_API size_t mgw_pfx_extra_cert_count(const mgw_pfx_t *pfx);
/** @since 1.0 */
MGW_API int mgw_pfx_extra_cert(const mgw_pfx_t *pfx, size_t index, mgw_cert_t **out);
/** friendlyName, or MGW_ERR_NOT_FOUND. @since 1.0 */
MGW_API int mgw_pfx_friendly_name(const mgw_pfx_t *pfx, char **out);
/** Algorithm name and iteration count found for a part (MGW_PFX_PART_*). @since 1.0 */
MGW_API int mgw_pfx_algorithm(const mgw_pfx_t *pfx, int part, char **name, uint32_t *iterations);
/** Algorithms, iterations, attributes, certificates and key, as text or JSON. @since 1.0 */
MGW_API int mgw_pfx_describe(const mgw_pfx_t *pfx, int style, char **out);
/** Re-encrypt a parsed PFX with opts (profile, iterations, extra chain,
 * attributes override the source's) and a new password (NULL: none). @since 1.0 */
MGW_API int mgw_pfx_convert(const mgw_pfx_t *pfx, const mgw_pfxopts_t *opts, const char *password,
                            size_t password_len, uint8_t **out, size_t *out_len);
/** Largest iteration count the reader accepts and the writer uses. @since 1.0 */
MGW_API uint32_t mgw_pfx_max_iterations(void);

/* ------------------------------------------------------------------------ */
/* Registry plans                                                            */
/* ------------------------------------------------------------------------ */

/* The SCHANNEL, HTTP.sys and root auto-update settings of the gateway as
 * desired state. A registry state is read from .reg files (what regedit and
 * `reg export` write); a plan compares it with the desired state and yields
 * the changes as .reg files, a table and JSON; apply writes them through a
 * registry back-end. Key paths and value names compare without regard to
 * (ASCII) case, as the registry does. */

typedef struct mgw_regstate mgw_regstate_t;
typedef struct mgw_regopts mgw_regopts_t;
typedef struct mgw_regplan mgw_regplan_t;

/** Largest .reg file the library reads (16 MiB). @since 1.0 */
MGW_API size_t mgw_reg_max_file_size(void);

/** An empty registry state. NULL when out of memory. @since 1.0 */
MGW_API mgw_regstate_t *mgw_regstate_new(void);
/** @since 1.0 */
MGW_API void mgw_regstate_free(mgw_regstate_t **st);
/** Import a .reg file into the state as `regedit /s` would: keys are created,
 * values set, `[-KEY]` and `"name"=-` delete. Reads "Windows Registry Editor
 * Version 5.00" as UTF-16LE with BOM or UTF-8, and REGEDIT4; CRLF or LF.
 * Unlike regedit, a line it cannot read is an error (MGW_ERR_REG_SYNTAX,
 * MGW_ERR_UTF8 or MGW_ERR_TOO_LARGE, the detail naming the line), and then
 * the state is left as it was. @since 1.0 */
MGW_API int mgw_regstate_import(mgw_regstate_t *st, const uint8_t *reg, size_t len);
/** The whole state as regedit writes an export: UTF-16LE with BOM, CRLF, hex
 * lists wrapped as regedit wraps them. Importing a regedit export into an
 * empty state and exporting it gives the same bytes. Free with mgw_free.
 * @since 1.0 */
MGW_API int mgw_regstate_export(const mgw_regstate_t *st, uint8_t **out, size_t *out_len);

/** Desired state. Defaults are the procedure's: ClientAuthTrustMode 2,
 * SendTrustedIssuerList 0, DefaultSslCertCheckMode 0 on the IP binding
 * 0.0.0.0:443, DefaultFlags and the root auto-update policy untouched.
 * NULL when out of memory. @since 1.0 */
MGW_API mgw_regopts_t *mgw_regopts_new(void);
/** @since 1.0 */
MGW_API void mgw_regopts_free(mgw_regopts_t **opts);
/** SCHANNEL ClientAuthTrustMode: 0 machine trust, 1 exclusive root trust,
 * 2 exclusive CA trust. @since 1.0 */
MGW_API int mgw_regopts_set_trust_mode(mgw_regopts_t *opts, int mode);
/** The IP binding "IP:PORT" (e.g. "0.0.0.0:443", "[::]:443") under
 * HTTP\\Parameters\\SslBindingInfo. @since 1.0 */
MGW_API int mgw_regopts_set_binding(mgw_regopts_t *opts, const char *ip_port);
/** An SNI binding "HOST:PORT" instead, found under SslSniBindingInfo by its
 * HostnamePort value. @since 1.0 */
MGW_API int mgw_regopts_set_sni_binding(mgw_regopts_t *opts, const char *host_port);
/** A Central Certificate Store binding for a port ("443") instead, found under
 * SslCcsBindingInfo by the port of its key name ("0.0.0.0:443" or "443").
 * It has no SslCertHash of its own. @since 1.1 */
MGW_API int mgw_regopts_set_ccs_binding(mgw_regopts_t *opts, const char *port);
/** 1 (default): clear DefaultSslCertCheckMode bit 0x1, client certificate
 * revocation is checked; 0: set bit 0x1, no revocation check. The other bits
 * (0x2 cached only, 0x4 freshness time, 0x10000 no usage check) are kept;
 * an absent value is taken as 0. @since 1.0 */
MGW_API int mgw_regopts_set_revocation_check(mgw_regopts_t *opts, int on);
/** Set DefaultFlags bit 0x40 (DISABLE_TLS13); other bits are kept. @since 1.0 */
MGW_API int mgw_regopts_set_disable_tls13(mgw_regopts_t *opts, int on);
/** Set DefaultFlags bit 0x2 (NEGOTIATE_CLIENT_CERT); other bits are kept. @since 1.0 */
MGW_API int mgw_regopts_set_negotiate_client_cert(mgw_regopts_t *opts, int on);
/** The binding's trusted issuer store, DefaultSslCtlStoreName (e.g.
 * "ClientAuthIssuer"); NULL leaves it untouched. @since 1.0 */
MGW_API int mgw_regopts_set_issuer_store(mgw_regopts_t *opts, const char *store);
/** disable: policy DisableRootAutoUpdate = 1; keep_disallowed (needs disable):
 * EnableDisallowedCertAutoUpdate = 1 as well. @since 1.0 */
MGW_API int mgw_regopts_set_root_autoupdate(mgw_regopts_t *opts, int disable,
                                            int keep_disallowed);
/** The client certificate the gateway will see; the plan warns about
 * pitfalls that depend on it (a self-signed one has no revocation source).
 * The options keep what they need; the certificate may be freed after. @since 1.0 */
MGW_API int mgw_regopts_set_client_cert(mgw_regopts_t *opts, const mgw_cert_t *cert);

/** Compare `current` with the desired state. A missing binding is
 * MGW_ERR_REG_NO_BINDING (the planner never creates a binding key; the detail
 * names the SNI bindings present). Against a compliant state the plan has no
 * changes. The plan keeps a copy of what it needs. @since 1.0 */
MGW_API int mgw_regplan_compute(const mgw_regopts_t *opts, const mgw_regstate_t *current,
                                mgw_regplan_t **out);
/** Read a plan written by mgw_regplan_describe(MGW_DESCRIBE_JSON).
 * MGW_ERR_REG_PLAN when it is malformed (a member or a value listed twice
 * included) or its fingerprint does not match what it reads and writes. A
 * loaded plan has no backup (MGW_REGPLAN_BACKUP). @since 1.0 */
MGW_API int mgw_regplan_load(const uint8_t *json, size_t len, mgw_regplan_t **out);
/** @since 1.0 */
MGW_API void mgw_regplan_free(mgw_regplan_t **plan);
/** Number of values the plan writes (0: the state is compliant). @since 1.0 */
MGW_API size_t mgw_regplan_change_count(const mgw_regplan_t *plan);
/** Number of warnings, and the i-th as one line of text. @since 1.0 */
MGW_API size_t mgw_regplan_warning_count(const mgw_regplan_t *plan);
/** @since 1.0 */
MGW_API int mgw_regplan_warning(const mgw_regplan_t *plan, size_t index, char **text);
/** "sha256:" and 64 hex digits over everything that drives apply and
 * rollback: per value the key and name, the action, the key's existence, the
 * value before and the value written (type and data), and the binding. It
 * catches edits and damage; it is not a signature (anyone can recompute it). @since 1.0 */
MGW_API int mgw_regplan_fingerprint(const mgw_regplan_t *plan, char **out);

#define MGW_REGPLAN_SECURITY 1 /**< the changes only */
#define MGW_REGPLAN_ROLLBACK 2 /**< restores changed values, deletes created ones and keys */
#define MGW_REGPLAN_BACKUP 3   /**< export of every key the plan touches, with subkeys */

/** One of the plan's .reg files, byte for byte as regedit writes them. @since 1.0 */
MGW_API int mgw_regplan_reg_file(const mgw_regplan_t *plan, int which, uint8_t **out,
                                 size_t *out_len);
/** The plan as a table (MGW_DESCRIBE_TEXT: value, current, desired, action,
 * meaning, then warnings) or as JSON (MGW_DESCRIBE_JSON, what
 * mgw_regplan_load reads). @since 1.0 */
MGW_API int mgw_regplan_describe(const mgw_regplan_t *plan, int style, char **out);

/** Apply the plan to a .reg file standing for the machine's registry
 * (rewritten atomically after each write, as a registry changes value by
 * value). It re-reads the state: if every value is as the plan wants already
 * it changes nothing (*changed = 0); if anything differs from the plan's
 * before-state it refuses with MGW_ERR_REG_DRIFT. Otherwise it writes an
 * export of the touched keys to `backup_path` (MGW_FILE_FORCE in flags to
 * replace one), writes the values, reads them back, and on any failure
 * restores the before-state (MGW_ERR_REG_VERIFY or the write's error; if the
 * restore fails as well, MGW_ERR_REG_RESTORE). *changed (may be NULL)
 * receives the number of values written. @since 1.0 */
MGW_API int mgw_regplan_apply_file(const mgw_regplan_t *plan, const char *registry_file,
                                   const char *backup_path, unsigned flags, int *changed);
/** The reverse: bring a state the plan was applied to back to the plan's
 * before-state, with the same checks, backup and restore. @since 1.0 */
MGW_API int mgw_regplan_rollback_file(const mgw_regplan_t *plan, const char *registry_file,
                                      const char *backup_path, unsigned flags, int *changed);

/** Import a key of the machine's registry, with its subkeys and values, into
 * the state, as `reg export` would (advapi32, the 64-bit view). `key` is a
 * full path ("HKEY_LOCAL_MACHINE\\SYSTEM\\..."; HKLM and HKCU abbreviate);
 * NULL reads the keys the gateway planner looks at: SCHANNEL,
 * HTTP\\Parameters and SOFTWARE\\Policies\\Microsoft\\SystemCertificates. A
 * key that does not exist adds nothing. On failure the state is left as it
 * was. MGW_ERR_NOT_AVAILABLE when the library was not built for Windows.
 * @since 1.0 */
MGW_API int mgw_regstate_read_live(mgw_regstate_t *st, const char *key);
/** mgw_regplan_apply_file and mgw_regplan_rollback_file on the machine's
 * registry: the same drift check, backup (a regedit export of the touched
 * keys, written before anything changes), verification and automatic
 * restore. Changes take effect when the services read them (a restart).
 * MGW_ERR_ACCESS_DENIED without the rights to write the keys (nothing is
 * changed then); MGW_ERR_NOT_AVAILABLE when not built for Windows.
 * @since 1.0 */
MGW_API int mgw_regplan_apply_live(const mgw_regplan_t *plan, const char *backup_path,
                                   unsigned flags, int *changed);
/** @since 1.0 */
MGW_API int mgw_regplan_rollback_live(const mgw_regplan_t *plan, const char *backup_path,
                                      unsigned flags, int *changed);

/* ------------------------------------------------------------------------ */
/* Certificate stores                                                        */
/* ------------------------------------------------------------------------ */

/** A certificate store, listed when opened. @since 1.0 */
typedef struct mgw_store mgw_store_t;

/** Open a directory store: one certificate per file, DER or PEM, named *.cer,
 * *.crt, *.pem or *.der. Other files (and files that are not exactly one
 * readable certificate) are listed as "other" with the reason, and never
 * touched. Certificates are added as <SHA1>.cer (DER). MGW_ERR_NOT_FOUND when
 * the directory does not exist. @since 1.0 */
MGW_API int mgw_store_open_dir(const char *path, mgw_store_t **out);
/** @since 1.0 */
MGW_API void mgw_store_free(mgw_store_t **store);
/** Number of certificates, and the `index`-th: SHA-1 thumbprint, subject
 * (RFC 4514) and origin (the file name). Outputs may be NULL; the others are
 * freed with mgw_free. Entries are ordered by origin. @since 1.0 */
MGW_API size_t mgw_store_cert_count(const mgw_store_t *store);
/** @since 1.0 */
MGW_API int mgw_store_cert(const mgw_store_t *store, size_t index, char **thumbprint,
                           char **subject, char **origin);
/** The physical stores of a Windows system store that hold the `index`-th
 * certificate, comma-separated: ".Default" (the store's own), ".AuthRoot"
 * (put there by Windows Update), ".GroupPolicy" (by Group Policy),
 * ".Enterprise" (by the enterprise, Active Directory), ".SmartCard"; the
 * logical store LocalMachine\Root is a view over them. Policy puts
 * ".GroupPolicy" and ".Enterprise" certificates back, so removing them is
 * futile. A directory store stands for them with subdirectories of those
 * names (".GroupPolicy/NAME.cer"); its own files give "" unless a copy of
 * the same certificate sits in such a subdirectory. Free with mgw_free.
 * @since 1.1 */
MGW_API int mgw_store_cert_physical(const mgw_store_t *store, size_t index, char **names);
/** Number of other entries, and the `index`-th with why it was left alone. @since 1.0 */
MGW_API size_t mgw_store_other_count(const mgw_store_t *store);
/** @since 1.0 */
MGW_API int mgw_store_other(const mgw_store_t *store, size_t index, char **name, char **reason);

/** Open a Windows system certificate store named "Location\Name" (or with
 * "/"): location LocalMachine or CurrentUser, name Root, CA, My,
 * ClientAuthIssuer or TrustedPeople, in any case. The store is opened with
 * the most access the caller has (read-only without elevation) and created
 * if it does not exist yet (as certutil -addstore does). Certificates are
 * listed with origin "Cert:\Location\Name\SHA1", as PowerShell names
 * them; certificates this library cannot read are "other" entries, never
 * touched. MGW_ERR_STORE_NAME names the accepted locations and names;
 * MGW_ERR_NOT_AVAILABLE when the library was not built for Windows.
 * @since 1.0 */
MGW_API int mgw_store_open_system(const char *location_name, mgw_store_t **out);
/** DER of the `index`-th certificate (free with mgw_free). @since 1.0 */
MGW_API int mgw_store_cert_der(const mgw_store_t *store, size_t index, uint8_t **der,
                               size_t *der_len);
/** 1 when the `index`-th certificate has a private key that can be used
 * (Windows stores: acquired through its key provider), else 0. @since 1.0 */
MGW_API int mgw_store_cert_has_key(const mgw_store_t *store, size_t index);
/** Add one certificate (DER, or PEM with one CERTIFICATE block) unless the
 * store holds it already (by SHA-1): *added (may be NULL) is 1 when it was
 * added, 0 when present; *thumbprint (may be NULL) receives its SHA-1.
 * Directory stores write <SHA1>.cer. @since 1.0 */
MGW_API int mgw_store_add_cert(mgw_store_t *store, const uint8_t *data, size_t len, int *added,
                               char **thumbprint);
/** Remove the certificate with this thumbprint (SHA-1 or SHA-256, as
 * mgw_thumbprint_normalize reads it), every copy of it where a directory
 * store holds it in several files. MGW_ERR_NOT_FOUND when the store does
 * not hold it; MGW_ERR_STORE_CHANGED when it vanished since the listing.
 * @since 1.0 */
MGW_API int mgw_store_remove_cert(mgw_store_t *store, const char *thumbprint);

#define MGW_STORE_PFX_EXPORTABLE 0x1u /**< mark the imported private key exportable */

/** Import a PFX with its private key into a Windows system store
 * (PFXImportCertStore: the machine key set for LocalMachine, the user's for
 * CurrentUser; the key is not exportable unless `flags` has
 * MGW_STORE_PFX_EXPORTABLE). The certificate that has the key is added to
 * the store (an identical one there is replaced, so that it carries the new
 * key) and the key is then acquired through the certificate: when that fails
 * the certificate is taken out again and MGW_ERR_KEY_NOT_ATTACHED returned.
 * Chain certificates in the PFX are not added. `password` is UTF-8 (NULL: a
 * PFX without password). *thumbprint (may be NULL) receives the SHA-1 of the
 * certificate. A wrong password is MGW_ERR_PFX_MAC; a PFX the system cannot
 * read MGW_ERR_PFX_FORMAT; directory stores, and builds not for Windows, give
 * MGW_ERR_NOT_AVAILABLE. @since 1.0 */
MGW_API int mgw_store_import_pfx(mgw_store_t *store, const uint8_t *pfx, size_t len,
                                 const char *password, size_t password_len, unsigned flags,
                                 char **thumbprint);

/* ------------------------------------------------------------------------ */
/* Trusted roots                                                             */
/* ------------------------------------------------------------------------ */

/** Normalise a thumbprint as people paste it: whitespace, ':' and '-'
 * separators and invisible Unicode format characters (U+200E, which the
 * Windows certificate dialog puts in front, U+200F, U+202A-U+202E, U+FEFF,
 * U+200B and the like) are dropped; what remains must be 40 (SHA-1) or 64
 * (SHA-256) hex digits of either case. *out receives upper-case hex (free
 * with mgw_free). MGW_ERR_THUMBPRINT names the input and the 1-based
 * character position of the problem. @since 1.0 */
MGW_API int mgw_thumbprint_normalize(const char *text, char **out);

/** The roots Windows itself needs (KB 293781), built in: their number, and
 * the SHA-1 thumbprint and name of the `index`-th (free both with mgw_free;
 * either output may be NULL). A plan keeps them unless told otherwise.
 * @since 1.0 */
MGW_API size_t mgw_roots_protected_count(void);
/** @since 1.0 */
MGW_API int mgw_roots_protected(size_t index, char **thumbprint, char **name);

/** What a plan keeps: a keep-list and the overrides. @since 1.0 */
typedef struct mgw_rootopts mgw_rootopts_t;
/** @since 1.0 */
MGW_API mgw_rootopts_t *mgw_rootopts_new(void);
/** @since 1.0 */
MGW_API void mgw_rootopts_free(mgw_rootopts_t **opts);
/** Add one thumbprint (SHA-1 or SHA-256, as for mgw_thumbprint_normalize). @since 1.0 */
MGW_API int mgw_rootopts_add_keep(mgw_rootopts_t *opts, const char *thumbprint);
/** Add the thumbprints of a keep-file: UTF-8 (a BOM is skipped) or UTF-16
 * with BOM (what Windows PowerShell's ">" writes); one thumbprint per line;
 * "#" starts a comment. The table PowerShell prints for
 * Get-ChildItem Cert:\LocalMachine\Root works as it is: its PSParentPath,
 * "Thumbprint  Subject" header and dashes lines are skipped, and a row's
 * thumbprint is its first column. Any other line that is not a thumbprint is
 * an error naming `name`, the line and the position; nothing is added then. @since 1.0 */
MGW_API int mgw_rootopts_add_keep_file(mgw_rootopts_t *opts, const uint8_t *data, size_t len,
                                       const char *name);
/** Number of distinct thumbprints on the keep-list. @since 1.0 */
MGW_API size_t mgw_rootopts_keep_count(const mgw_rootopts_t *opts);
/** Let the plan remove one protected root (its SHA-1 thumbprint; anything
 * that is not a protected root is MGW_ERR_INVALID_ARGUMENT). @since 1.0 */
MGW_API int mgw_rootopts_allow_protected(mgw_rootopts_t *opts, const char *thumbprint);
/** Let the plan remove every protected root that is not on the keep-list. @since 1.0 */
MGW_API int mgw_rootopts_set_remove_protected(mgw_rootopts_t *opts, int on);
/** Accept keep-list entries that are not in the store (they are reported). @since 1.0 */
MGW_API int mgw_rootopts_set_allow_missing(mgw_rootopts_t *opts, int on);

#define MGW_ROOT_KEEP 1      /**< on the keep-list */
#define MGW_ROOT_PROTECTED 2 /**< a protected root, kept */
#define MGW_ROOT_REMOVE 3    /**< to be removed */
/** Put into the store by Group Policy or the enterprise store (the physical
 * store .GroupPolicy or .Enterprise; in a directory store its subdirectory
 * of that name): reported, never removed, since policy puts it back.
 * @since 1.1 */
#define MGW_ROOT_POLICY 4

/** A plan: every certificate of a store classified. @since 1.0 */
typedef struct mgw_rootplan mgw_rootplan_t;

/** Plan the store against the options. Refused: an empty keep-list
 * (MGW_ERR_ROOTS_KEEP_EMPTY), keep-list entries missing from the store unless
 * allowed (MGW_ERR_ROOTS_KEEP_MISSING, naming them), a plan that keeps no
 * certificate (MGW_ERR_ROOTS_KEEPS_NOTHING). Linear in the store size. @since 1.0 */
MGW_API int mgw_rootplan_compute(const mgw_store_t *store, const mgw_rootopts_t *opts,
                                 mgw_rootplan_t **out);
/** @since 1.0 */
MGW_API void mgw_rootplan_free(mgw_rootplan_t **plan);
/** Number of entries with `action` (MGW_ROOT_*), or all of them for 0. @since 1.0 */
MGW_API size_t mgw_rootplan_count(const mgw_rootplan_t *plan, int action);
/** The `index`-th entry (store order): action, SHA-1 thumbprint, subject.
 * String outputs may be NULL. @since 1.0 */
MGW_API int mgw_rootplan_entry(const mgw_rootplan_t *plan, size_t index, int *action,
                               char **thumbprint, char **subject);
/** Where the `index`-th entry sits: the physical stores, comma-separated, as
 * mgw_store_cert_physical names them ("" where none is known). Free with
 * mgw_free. @since 1.1 */
MGW_API int mgw_rootplan_entry_physical(const mgw_rootplan_t *plan, size_t index, char **names);
/** Keep-list entries not found in the store (with mgw_rootopts_set_allow_missing). @since 1.0 */
MGW_API size_t mgw_rootplan_missing_count(const mgw_rootplan_t *plan);
/** @since 1.0 */
MGW_API int mgw_rootplan_missing(const mgw_rootplan_t *plan, size_t index, char **thumbprint);
/** The plan as text (MGW_DESCRIBE_TEXT) or a JSON object (MGW_DESCRIBE_JSON):
 * counts, every entry with its action, protected roots by name, other
 * entries of the store with their reasons, missing keep-list entries. @since 1.0 */
MGW_API int mgw_rootplan_describe(const mgw_rootplan_t *plan, int style, char **out);

#define MGW_ROOTS_REMOVED 1     /**< prune removed this certificate */
#define MGW_ROOTS_NOT_REMOVED 2 /**< prune stopped before removing it */
#define MGW_ROOTS_ADDED 3       /**< restore added it */
#define MGW_ROOTS_NOT_ADDED 4   /**< restore stopped before adding it */
#define MGW_ROOTS_PRESENT 5     /**< restore found it in the store already */
#define MGW_ROOTS_FAILED 6      /**< the operation on it failed; the run stops */

/** Report of prune and restore, one call per certificate as it happens.
 * `detail` is NULL except for MGW_ROOTS_FAILED, where it says why. */
typedef void (*mgw_roots_event_cb)(void *ctx, int event, const char *thumbprint,
                                   const char *subject, const char *origin, const char *detail);

/** Carry out a plan: write the backup of every certificate to be removed to
 * `backup_path` (gzip-compressed PEM with a comment header per certificate:
 * subject, SHA-1, where it came from) atomically and synced, read it back and
 * verify every certificate in it, and only then remove them one by one,
 * reporting each through `cb` (may be NULL). The backup is never replaced
 * unless `flags` has MGW_FILE_FORCE (MGW_ERR_EXISTS). A plan that removes
 * nothing does nothing and writes no backup. A removal failure stops at once:
 * MGW_ERR_ROOTS_INCOMPLETE, the events say exactly what was removed and what
 * not, and all of it is in the backup. The plan must have been computed from
 * this store as it is (MGW_ERR_STORE_CHANGED otherwise). @since 1.0 */
MGW_API int mgw_roots_prune(mgw_store_t *store, const mgw_rootplan_t *plan,
                            const char *backup_path, unsigned flags, mgw_roots_event_cb cb,
                            void *ctx);
/** Re-add the certificates of a backup that the store lacks (by SHA-1), or
 * only those named in only[0..n_only) (SHA-1 or SHA-256 thumbprints; one not
 * in the backup is MGW_ERR_NOT_FOUND before anything changes). Idempotent:
 * certificates present are reported as MGW_ROOTS_PRESENT. A failure stops at
 * once with MGW_ERR_ROOTS_INCOMPLETE. @since 1.0 */
MGW_API int mgw_roots_restore(mgw_store_t *store, const char *backup_path,
                              const char *const *only, size_t n_only, mgw_roots_event_cb cb,
                              void *ctx);

/** Options of the scheduled re-prune task. @since 1.0 */
typedef struct mgw_taskopts mgw_taskopts_t;
/** @since 1.0 */
MGW_API mgw_taskopts_t *mgw_taskopts_new(void);
/** @since 1.0 */
MGW_API void mgw_taskopts_free(mgw_taskopts_t **opts);
/** Repetition interval in seconds: whole minutes from 1 minute to 31 days
 * (the schema's range). Default 900 (PT15M). @since 1.0 */
MGW_API int mgw_taskopts_set_interval(mgw_taskopts_t *opts, uint32_t seconds);
/** Execution time limit in seconds: whole minutes from 1 minute to 31 days.
 * Default 600 (PT10M). @since 1.0 */
MGW_API int mgw_taskopts_set_time_limit(mgw_taskopts_t *opts, uint32_t seconds);
/** Start boundary of the daily trigger as local time "YYYY-MM-DDThh:mm:ss".
 * Default: today (UTC date) at 00:00:00. @since 1.0 */
MGW_API int mgw_taskopts_set_start(mgw_taskopts_t *opts, const char *local_time);
/** The program to run (at most 260 characters) and its arguments (may be
 * NULL), taken as they are. @since 1.0 */
MGW_API int mgw_taskopts_set_command(mgw_taskopts_t *opts, const char *program,
                                     const char *arguments);
/** The default command: `program` (NULL: "C:\\Program Files\\mgwauth\\mgwauth.exe",
 * where a Windows installation puts it) with
 * "roots prune --store S --keep-file F --backup-dir D --yes", each value
 * quoted by the rules of CommandLineToArgvW; a store named LocalMachine\\...
 * or CurrentUser\\... is a Windows system store (--system-store S). Each run
 * writes its backup under a new dated name in D. The program, F, D and a
 * directory store S must be absolute Windows paths ("C:\\..." or a UNC path
 * "\\\\server\\share\\..."), since the task runs as SYSTEM in System32;
 * anything else is MGW_ERR_INVALID_ARGUMENT. @since 1.0 */
MGW_API int mgw_taskopts_set_prune_command(mgw_taskopts_t *opts, const char *program,
                                           const char *store, const char *keep_file,
                                           const char *backup_dir);
/** The task as Task Scheduler 1.2 XML for `schtasks /create /xml`: UTF-16LE
 * with BOM; SYSTEM (S-1-5-18) with highest privileges; a daily calendar
 * trigger repeating every interval without end; start when available, start
 * on demand, restart on failure every minute up to 3 times, the execution
 * time limit; the Exec action. Values are XML-escaped; control characters are
 * refused. @since 1.0 */
MGW_API int mgw_task_xml(const mgw_taskopts_t *opts, uint8_t **out, size_t *out_len);

/** Register a task with the Windows Task Scheduler (the Task Scheduler 2.0
 * COM API: ITaskService, ITaskFolder::RegisterTask in the root folder) from
 * its XML (as mgw_task_xml writes it: UTF-16 with BOM, or UTF-8), to run as
 * SYSTEM (TASK_LOGON_SERVICE_ACCOUNT) whatever the XML's principal says.
 * `name` is a task name in the root folder: no \ / : * ? " < > | or control
 * characters (MGW_ERR_INVALID_ARGUMENT). An existing task of that name is
 * replaced only with MGW_FILE_FORCE in flags (MGW_ERR_EXISTS otherwise). XML
 * the Task Scheduler refuses is MGW_ERR_INVALID_ARGUMENT; without
 * administrator rights MGW_ERR_ACCESS_DENIED. Builds not for Windows:
 * MGW_ERR_NOT_AVAILABLE. @since 1.1 */
MGW_API int mgw_task_install(const char *name, const uint8_t *xml, size_t xml_len,
                             unsigned flags);
/** Delete the task `name` (MGW_ERR_NOT_FOUND when there is none). @since 1.1 */
MGW_API int mgw_task_remove(const char *name);
/** The registered task's XML as the Task Scheduler gives it back, in UTF-8
 * (free with mgw_free); MGW_ERR_NOT_FOUND when there is no such task.
 * @since 1.1 */
MGW_API int mgw_task_show(const char *name, char **xml);
/* ------------------------------------------------------------------------ */
/* Gateway check                                                             */
/* ------------------------------------------------------------------------ */

#define MGW_TLS_1_2 0x0303
#define MGW_TLS_1_3 0x0304
#define MGW_CHECK_WITH_CERT 1
#define MGW_CHECK_WITHOUT_CERT 2

typedef struct mgw_checkopts mgw_checkopts_t;
typedef struct mgw_checkres mgw_checkres_t;

/** Options of a gateway check. Defaults: expected status 200, timeout 10 s,
 * TLS 1.2 up to the newest version the crypto library has. @since 1.0 */
MGW_API mgw_checkopts_t *mgw_checkopts_new(void);
/** @since 1.0 */
MGW_API void mgw_checkopts_free(mgw_checkopts_t **opts);
/** https://host[:port][/path]; without a path (or with "/") the check
 * requests /Microsoft-Server-ActiveSync/HealthCheck.htm. @since 1.0 */
MGW_API int mgw_checkopts_set_url(mgw_checkopts_t *opts, const char *url);
/** The client certificate and its key (copied; they must belong together). @since 1.0 */
MGW_API int mgw_checkopts_set_client(mgw_checkopts_t *opts, const mgw_cert_t *cert,
                                     const mgw_key_t *key);
/** An intermediate certificate sent after the client certificate. @since 1.0 */
MGW_API int mgw_checkopts_add_client_chain(mgw_checkopts_t *opts, const mgw_cert_t *cert);
/** CA certificates (PEM bundle or DER) that verify the server. @since 1.0 */
MGW_API int mgw_checkopts_set_cafile(mgw_checkopts_t *opts, const char *path);
/** Accept an unverified server certificate (reported as unverified). @since 1.0 */
MGW_API int mgw_checkopts_set_insecure(mgw_checkopts_t *opts, int insecure);
/** @since 1.0 */
MGW_API int mgw_checkopts_set_expected_status(mgw_checkopts_t *opts, int status);
/** Deadline of each request, connection to last byte (1 ms to 600 s). @since 1.0 */
MGW_API int mgw_checkopts_set_timeout_ms(mgw_checkopts_t *opts, uint32_t ms);
/** Connect to this address instead of the URL's host (which still names the
 * server for SNI and the certificate check), like curl --resolve. @since 1.0 */
MGW_API int mgw_checkopts_set_connect_to(mgw_checkopts_t *opts, const char *address);
/** Highest TLS version to offer: MGW_TLS_1_2 or MGW_TLS_1_3. @since 1.0 */
MGW_API int mgw_checkopts_set_max_tls(mgw_checkopts_t *opts, int version);

/** Newest TLS version this build can speak: MGW_TLS_1_2 or MGW_TLS_1_3 (mbedTLS 3.x). @since 1.0 */
MGW_API int mgw_check_max_tls(void);
/** Run the check: one request with the client certificate, one without.
 * Returns MGW_OK when a result was produced, whatever the verdict; network and
 * TLS faults are in the result (mgw_checkres_error). @since 1.0 */
MGW_API int mgw_check_run(const mgw_checkopts_t *opts, mgw_checkres_t **out);
/** @since 1.0 */
MGW_API void mgw_checkres_free(mgw_checkres_t **res);
/** 1 for PASS: the authenticated request got the expected status and the
 * anonymous one was refused (TLS alert, 403, or 400 "No required SSL
 * certificate was sent"). @since 1.0 */
MGW_API int mgw_checkres_passed(const mgw_checkres_t *res);
/** MGW_OK on PASS, else the specific MGW_ERR_CHECK_* (or other) code. @since 1.0 */
MGW_API int mgw_checkres_error(const mgw_checkres_t *res);
/** @since 1.0 */
MGW_API int mgw_checkres_reason(const mgw_checkres_t *res, char **out);
/** HTTP status of one request (MGW_CHECK_WITH_CERT / _WITHOUT_CERT), 0 if none. @since 1.0 */
MGW_API int mgw_checkres_status(const mgw_checkres_t *res, int which);
/** Verdict, TLS version and cipher suite, server certificate, whether a
 * CertificateRequest came and which CA names it listed, status lines and
 * body excerpts, as text or JSON. @since 1.0 */
MGW_API int mgw_checkres_describe(const mgw_checkres_t *res, int style, char **out);

/* ------------------------------------------------------------------------ */
/* IIS configuration (applicationHost.config)                                */
/* ------------------------------------------------------------------------ */

/** A parsed applicationHost.config, with its bytes. The reader takes UTF-8
 * with or without BOM (XML declaration, elements, attributes with the five
 * named and numeric character references, comments, processing
 * instructions, CDATA) and refuses what it could not keep byte for byte or
 * what applicationHost.config never holds: a DOCTYPE (and with it every
 * entity declaration), other encodings (UTF-16 included), NUL and control
 * characters. Caps: mgw_iis_max_file_size() bytes, nesting depth 64, 256
 * attributes per element. Errors are MGW_ERR_IIS_XML with the line and
 * column (counted in characters), or MGW_ERR_IIS_CONFIG for a document
 * that is not an IIS configuration. @since 1.1 */
typedef struct mgw_iisconfig mgw_iisconfig_t;
/** @since 1.1 */
MGW_API size_t mgw_iis_max_file_size(void);
/** @since 1.1 */
MGW_API int mgw_iisconfig_parse(const uint8_t *data, size_t len, mgw_iisconfig_t **out);
/** @since 1.1 */
MGW_API void mgw_iisconfig_free(mgw_iisconfig_t **cfg);
/** Sites, their bindings with decoded binding sslFlags, and the
 * system.webServer/security/access sslFlags of each site's location and of
 * every child location that sets it, as text (MGW_DESCRIBE_TEXT) or JSON.
 * @since 1.1 */
MGW_API int mgw_iisconfig_describe(const mgw_iisconfig_t *cfg, int style, char **out);
/** The machine's file, %windir%\System32\inetsrv\config\applicationHost.config
 * (free with mgw_free); MGW_ERR_NOT_AVAILABLE when not built for Windows.
 * @since 1.1 */
MGW_API int mgw_iis_live_path(char **out);

/** What an IIS plan wants. @since 1.1 */
typedef struct mgw_iisopts mgw_iisopts_t;
/** @since 1.1 */
MGW_API mgw_iisopts_t *mgw_iisopts_new(void);
/** @since 1.1 */
MGW_API void mgw_iisopts_free(mgw_iisopts_t **opts);
/** The site (default "Default Web Site"). @since 1.1 */
MGW_API int mgw_iisopts_set_site(mgw_iisopts_t *opts, const char *name);
/** Restrict the binding changes to this https binding ("*:443:"); may be
 * given several times. Default: every https binding of the site. @since 1.1 */
MGW_API int mgw_iisopts_add_binding(mgw_iisopts_t *opts, const char *binding_information);
/** Set binding sslFlags bit 32 (DisableTLS13, "Disable TLS 1.3 over TCP"). @since 1.1 */
MGW_API int mgw_iisopts_set_disable_tls13(mgw_iisopts_t *opts, int on);
/** Say that HTTP.sys negotiates the client certificate in the handshake
 * (DefaultFlags 0x2): no warning about renegotiation and HTTP 413. @since 1.1 */
MGW_API int mgw_iisopts_set_cert_in_handshake(mgw_iisopts_t *opts, int on);

/** A plan: the settings compared, the complete desired file, the current
 * file, warnings, fingerprint. @since 1.1 */
typedef struct mgw_iisplan mgw_iisplan_t;
/** The site's location and every child location under it that sets
 * access/@sslFlags get Ssl, SslNegotiateCert and SslRequireCert (other bits
 * kept); with disable_tls13 the chosen https bindings get bit 32. The
 * desired file differs from the current one only where a setting changes.
 * A site or binding that does not exist is MGW_ERR_IIS_NOT_FOUND naming
 * those that do; the planner never creates a site or a binding. @since 1.1 */
MGW_API int mgw_iisplan_compute(const mgw_iisopts_t *opts, const mgw_iisconfig_t *current,
                                mgw_iisplan_t **out);
/** Read a plan written by mgw_iisplan_describe(MGW_DESCRIBE_JSON) with the
 * desired and the current (backup) file it names; MGW_ERR_IIS_PLAN when
 * anything does not match its fingerprint. @since 1.1 */
MGW_API int mgw_iisplan_load(const uint8_t *json, size_t json_len, const uint8_t *desired,
                             size_t desired_len, const uint8_t *backup, size_t backup_len,
                             mgw_iisplan_t **out);
/** @since 1.1 */
MGW_API void mgw_iisplan_free(mgw_iisplan_t **plan);
/** @since 1.1 */
MGW_API size_t mgw_iisplan_change_count(const mgw_iisplan_t *plan);
/** @since 1.1 */
MGW_API size_t mgw_iisplan_warning_count(const mgw_iisplan_t *plan);
/** @since 1.1 */
MGW_API int mgw_iisplan_warning(const mgw_iisplan_t *plan, size_t index, char **text);
/** "sha256:" and 64 hex digits over the site, both files' SHA-256 and
 * every setting's before and after value. @since 1.1 */
MGW_API int mgw_iisplan_fingerprint(const mgw_iisplan_t *plan, char **out);
/** The table (setting, current, desired, action, meaning; warnings) or the
 * JSON plan file. @since 1.1 */
MGW_API int mgw_iisplan_describe(const mgw_iisplan_t *plan, int style, char **out);

#define MGW_IISPLAN_DESIRED 1         /**< the complete desired applicationHost.config */
#define MGW_IISPLAN_BACKUP 2          /**< the current file, byte for byte */
#define MGW_IISPLAN_APPCMD 3          /**< the changes as appcmd lines (.cmd) */
#define MGW_IISPLAN_APPCMD_ROLLBACK 4 /**< appcmd lines that undo them */
/** @since 1.1 */
MGW_API int mgw_iisplan_output(const mgw_iisplan_t *plan, int which, uint8_t **out,
                               size_t *out_len);

/** Apply the plan to a configuration file: if it is the desired file
 * already nothing changes (*changed = 0); if it is not the file the plan
 * was made from, MGW_ERR_IIS_DRIFT. Otherwise the current file is copied to
 * `backup_path` (MGW_FILE_FORCE to replace one; mode 0600), the desired
 * file replaces it atomically, is read back, and on any failure the file is
 * restored (MGW_ERR_IIS_VERIFY or the write's error; MGW_ERR_IIS_RESTORE if
 * that fails too). *changed (may be NULL): settings changed. @since 1.1 */
MGW_API int mgw_iisplan_apply_file(const mgw_iisplan_t *plan, const char *config_path,
                                   const char *backup_path, unsigned flags, int *changed);
/** @since 1.1 */
MGW_API int mgw_iisplan_rollback_file(const mgw_iisplan_t *plan, const char *config_path,
                                      const char *backup_path, unsigned flags, int *changed);
/** The same on mgw_iis_live_path(). @since 1.1 */
MGW_API int mgw_iisplan_apply_live(const mgw_iisplan_t *plan, const char *backup_path,
                                   unsigned flags, int *changed);
/** @since 1.1 */
MGW_API int mgw_iisplan_rollback_live(const mgw_iisplan_t *plan, const char *backup_path,
                                      unsigned flags, int *changed);

#ifdef __cplusplus
}
#endif
#endif /* MGWAUTH_H */
