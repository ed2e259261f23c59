/*
 * The one place where mbedTLS 2.28 and 3.x differ. Every other file calls the
 * mgw_compat_* wrappers or the API common to both versions; no other file may
 * test MBEDTLS_VERSION_NUMBER.
 */
#ifndef MGW_COMPAT_H
#define MGW_COMPAT_H

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <mbedtls/build_info.h>
#include <psa/crypto.h>
#else
#include <mbedtls/config.h>
#endif

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#if MBEDTLS_VERSION_NUMBER < 0x021C0000 ||                                                       \
    (MBEDTLS_VERSION_NUMBER >= 0x03000000 && MBEDTLS_VERSION_NUMBER < 0x03060100)
#error "libmgwauth needs mbedTLS 2.28 LTS or 3.6.1 or newer 3.x"
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x04000000
#error "mbedTLS 4 removed APIs libmgwauth uses (PKCS#5, cipher, CTR-DRBG); use 3.6 LTS"
#endif

/* Struct fields that 3.x marks private are reached through this macro. */
#ifndef MBEDTLS_PRIVATE
#define MBEDTLS_PRIVATE(member) member
#endif

typedef int (*mgw_compat_rng)(void *, unsigned char *, size_t);

/* One-time library set-up (PSA crypto on 3.x). Thread-safe; returns 0 on success. */
int mgw_compat_init(void);

static inline int mgw_compat_pk_sign(mbedtls_pk_context *pk, mbedtls_md_type_t md,
                                     const unsigned char *hash, size_t hash_len,
                                     unsigned char *sig, size_t sig_size, size_t *sig_len,
                                     mgw_compat_rng f_rng, void *p_rng)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_sign(pk, md, hash, hash_len, sig, sig_size, sig_len, f_rng, p_rng);
#else
    (void)sig_size; /* 2.28 writes at most MBEDTLS_PK_SIGNATURE_MAX_SIZE */
    return mbedtls_pk_sign(pk, md, hash, hash_len, sig, sig_len, f_rng, p_rng);
#endif
}

static inline int mgw_compat_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *der,
                                          size_t len, mgw_compat_rng f_rng, void *p_rng)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_parse_key(pk, der, len, NULL, 0, f_rng, p_rng);
#else
    (void)f_rng, (void)p_rng;
    return mbedtls_pk_parse_key(pk, der, len, NULL, 0);
#endif
}

static inline int mgw_compat_pk_check_pair(const mbedtls_pk_context *pub,
                                           const mbedtls_pk_context *prv, mgw_compat_rng f_rng,
                                           void *p_rng)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_check_pair(pub, prv, f_rng, p_rng);
#else
    (void)f_rng, (void)p_rng;
    return mbedtls_pk_check_pair(pub, prv);
#endif
}

/* ---- TLS (the gateway check) ---------------------------------------------- */
#if defined(MGW_COMPAT_WANT_SSL)
#include <mbedtls/ssl.h>

/* TLS 1.2 as the floor (Debian's 2.28 would otherwise allow 1.0 and 1.1) and
 * the newest version this mbedTLS has (1.3 on 3.6) as the ceiling; tls13 = 0
 * caps at 1.2. */
static inline void mgw_compat_ssl_versions(mbedtls_ssl_config *conf, int tls13)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    mbedtls_ssl_conf_max_tls_version(conf, tls13 ? MBEDTLS_SSL_VERSION_TLS1_3
                                                 : MBEDTLS_SSL_VERSION_TLS1_2);
#else
    (void)tls13;
    mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
#else
    (void)tls13;
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

/* Connect to an IP address: no SNI (RFC 6066 allows host names only) and no
 * host-name check by mbedTLS, whose 2.28 never matches iPAddress SANs (3.6
 * does); the caller checks the address itself, the same way on both. 3.6.3
 * and later fail verification when the name was never set, so the NULL is
 * given explicitly there; 2.28 takes it as "no name". */
static inline int mgw_compat_ssl_no_hostname(mbedtls_ssl_context *ssl)
{
    return mbedtls_ssl_set_hostname(ssl, NULL);
}

#include <string.h>

/* The signature algorithms the client offers. mbedTLS 3.6 (3.6.6 at least)
 * offers the RSA-PSS algorithms in a ClientHello that allows TLS 1.2 (TLS 1.3
 * needs them), but its TLS 1.2 code accepts only PKCS#1 v1.5 and ECDSA
 * signatures and refuses a server that picks PSS (Mbed-TLS/mbedtls issue
 * 10668), which OpenSSL does with an RSA certificate. 3.x offers this list
 * instead: PKCS#1 v1.5 before PSS, so that a TLS 1.2 server choosing in the
 * client's order picks PKCS#1 v1.5 (TLS 1.3 allows only PSS for RSA and still
 * finds it), and no rsa_pss_rsae_sha512. A server that picks PSS anyway (its
 * own preference) is asked again over TLS 1.2 with pss = 0: no PSS at all.
 * 2.28 offers no PSS and needs nothing. */
static inline void mgw_compat_ssl_sig_algs(mbedtls_ssl_config *conf, int pss)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MGW_SIG_ALGS_NO_PSS                                                                   \
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256, MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,     \
        MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512, MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,       \
        MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384, MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512
    static const uint16_t with_pss[] = {MGW_SIG_ALGS_NO_PSS, MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
                                        MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
                                        MBEDTLS_TLS1_3_SIG_NONE};
    static const uint16_t without_pss[] = {MGW_SIG_ALGS_NO_PSS, MBEDTLS_TLS1_3_SIG_NONE};
#undef MGW_SIG_ALGS_NO_PSS
    mbedtls_ssl_conf_sig_algs(conf, pss ? with_pss : without_pss);
#else
    (void)conf, (void)pss;
#endif
}

/* Whether the handshake failed because a TLS 1.2 server chose a signature
 * algorithm this mbedTLS offered but cannot use there (see above); the
 * debug message is the only sign of it. */
static inline int mgw_compat_ssl_sigalg_refused(const char *debug_message)
{
    return strstr(debug_message, "Server used unsupported value in SigAlg") != NULL;
}

/* Whether this mbedTLS build can speak TLS 1.3 as a client. */
static inline int mgw_compat_ssl_has_tls13(void)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
    return 1;
#else
    return 0;
#endif
}

/* The handshake message being processed (type byte first). Private fields
 * on 3.x (reached through MBEDTLS_PRIVATE, only here): mbedTLS has no API
 * for the CertificateRequest's CA list or a post-handshake message; its debug
 * hook tells when one arrives and this reads it. */
static inline void mgw_compat_ssl_handshake_msg(const mbedtls_ssl_context *ssl,
                                                const unsigned char **p, size_t *len)
{
    *p = ssl->MBEDTLS_PRIVATE(in_msg);
    *len = ssl->MBEDTLS_PRIVATE(in_hslen);
}
#endif

/* Curve of an EC key held in a pk context: the public accessor on 3.6; 2.28
 * has none and its struct fields are public. */
static inline mbedtls_ecp_group_id mgw_compat_pk_ec_group(const mbedtls_pk_context *pk)
{
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    if (ec == NULL)
        return MBEDTLS_ECP_DP_NONE;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_ecp_keypair_get_group_id(ec);
#else
    return ec->grp.id;
#endif
}

#endif
