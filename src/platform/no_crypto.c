/*
 * The build without mbedTLS (-Dcrypto=none): the public functions of the
 * modules it leaves out (keys, certificate options and issuance, requests,
 * PFX, password generation, the gateway check) keep their exports, so the
 * ABI is the same, and fail through the normal error path with
 * MGW_ERR_NOT_AVAILABLE. Constructors return NULL, counts, limits and the
 * yes/no queries 0, _free() only clears the caller's pointer (no object can
 * exist). tests/abi/check_no_crypto.py keeps this file in step with the
 * left-out sources.
 */
#include "core/core.h"

static int unavailable(const char *fn)
{
    return mgw_err(MGW_ERR_NOT_AVAILABLE, "%s: not available in this build (built without mbedTLS)",
                   fn);
}

MGW_API int mgw_cert_check_issuer(const mgw_cert_t *cert, const mgw_cert_t *issuer)
{
    (void)cert;
    (void)issuer;
    return unavailable(__func__);
}

MGW_API int mgw_cert_check_key(const mgw_cert_t *cert, const mgw_key_t *key)
{
    (void)cert;
    (void)key;
    return unavailable(__func__);
}

MGW_API int mgw_cert_create(const mgw_certopts_t *opts, const mgw_key_t *subject_key,
                            const mgw_cert_t *issuer_cert, const mgw_key_t *issuer_key,
                            mgw_cert_t **out)
{
    (void)opts;
    (void)subject_key;
    (void)issuer_cert;
    (void)issuer_key;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_cert_sign_csr(const mgw_certopts_t *opts, const mgw_csr_t *csr,
                              const mgw_cert_t *ca_cert, const mgw_key_t *ca_key, mgw_cert_t **out)
{
    (void)opts;
    (void)csr;
    (void)ca_cert;
    (void)ca_key;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_add_dns(mgw_certopts_t *opts, const char *dns)
{
    (void)opts;
    (void)dns;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_add_eku(mgw_certopts_t *opts, const char *name_or_oid)
{
    (void)opts;
    (void)name_or_oid;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_add_email(mgw_certopts_t *opts, const char *email)
{
    (void)opts;
    (void)email;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_add_upn(mgw_certopts_t *opts, const char *upn)
{
    (void)opts;
    (void)upn;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_add_uri(mgw_certopts_t *opts, const char *uri)
{
    (void)opts;
    (void)uri;
    return unavailable(__func__);
}

MGW_API void mgw_certopts_free(mgw_certopts_t **opts)
{
    if (opts != NULL)
        *opts = NULL;
}

MGW_API mgw_certopts_t *mgw_certopts_new(void)
{
    unavailable(__func__);
    return NULL;
}

MGW_API int mgw_certopts_set_ca(mgw_certopts_t *opts, int is_ca, int pathlen)
{
    (void)opts;
    (void)is_ca;
    (void)pathlen;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_set_days(mgw_certopts_t *opts, uint32_t days)
{
    (void)opts;
    (void)days;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_set_not_before(mgw_certopts_t *opts, int64_t unix_time)
{
    (void)opts;
    (void)unix_time;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_set_rng(mgw_certopts_t *opts, mgw_rng_cb cb, void *ctx)
{
    (void)opts;
    (void)cb;
    (void)ctx;
    return unavailable(__func__);
}

MGW_API int mgw_certopts_set_subject(mgw_certopts_t *opts, const char *rfc4514)
{
    (void)opts;
    (void)rfc4514;
    return unavailable(__func__);
}

MGW_API int mgw_check_max_tls(void)
{
    return unavailable(__func__);
}

MGW_API int mgw_check_run(const mgw_checkopts_t *opts, mgw_checkres_t **out)
{
    (void)opts;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_add_client_chain(mgw_checkopts_t *opts, const mgw_cert_t *cert)
{
    (void)opts;
    (void)cert;
    return unavailable(__func__);
}

MGW_API void mgw_checkopts_free(mgw_checkopts_t **opts)
{
    if (opts != NULL)
        *opts = NULL;
}

MGW_API mgw_checkopts_t *mgw_checkopts_new(void)
{
    unavailable(__func__);
    return NULL;
}

MGW_API int mgw_checkopts_set_cafile(mgw_checkopts_t *opts, const char *path)
{
    (void)opts;
    (void)path;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_client(mgw_checkopts_t *opts, const mgw_cert_t *cert,
                                     const mgw_key_t *key)
{
    (void)opts;
    (void)cert;
    (void)key;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_connect_to(mgw_checkopts_t *opts, const char *address)
{
    (void)opts;
    (void)address;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_expected_status(mgw_checkopts_t *opts, int status)
{
    (void)opts;
    (void)status;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_insecure(mgw_checkopts_t *opts, int insecure)
{
    (void)opts;
    (void)insecure;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_max_tls(mgw_checkopts_t *opts, int version)
{
    (void)opts;
    (void)version;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_timeout_ms(mgw_checkopts_t *opts, uint32_t ms)
{
    (void)opts;
    (void)ms;
    return unavailable(__func__);
}

MGW_API int mgw_checkopts_set_url(mgw_checkopts_t *opts, const char *url)
{
    (void)opts;
    (void)url;
    return unavailable(__func__);
}

MGW_API int mgw_checkres_describe(const mgw_checkres_t *res, int style, char **out)
{
    (void)res;
    (void)style;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_checkres_error(const mgw_checkres_t *res)
{
    (void)res;
    return unavailable(__func__);
}

MGW_API void mgw_checkres_free(mgw_checkres_t **res)
{
    if (res != NULL)
        *res = NULL;
}

MGW_API int mgw_checkres_passed(const mgw_checkres_t *res)
{
    (void)res;
    unavailable(__func__);
    return 0;
}

MGW_API int mgw_checkres_reason(const mgw_checkres_t *res, char **out)
{
    (void)res;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_checkres_status(const mgw_checkres_t *res, int which)
{
    (void)res;
    (void)which;
    unavailable(__func__);
    return 0;
}

MGW_API void mgw_csr_free(mgw_csr_t **csr)
{
    if (csr != NULL)
        *csr = NULL;
}

MGW_API int mgw_csr_parse(const uint8_t *data, size_t len, mgw_csr_t **out)
{
    (void)data;
    (void)len;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_csr_subject(const mgw_csr_t *csr, char **out)
{
    (void)csr;
    (void)out;
    return unavailable(__func__);
}

MGW_API uint32_t mgw_default_iterations(void)
{
    unavailable(__func__);
    return 0;
}

MGW_API int mgw_key_bits(const mgw_key_t *key)
{
    (void)key;
    unavailable(__func__);
    return 0;
}

MGW_API int mgw_key_export_encrypted(const mgw_key_t *key, int format, const char *password,
                                     size_t password_len, uint32_t iterations, uint8_t **out,
                                     size_t *out_len)
{
    (void)key;
    (void)format;
    (void)password;
    (void)password_len;
    (void)iterations;
    (void)out;
    (void)out_len;
    return unavailable(__func__);
}

MGW_API int mgw_key_export_public(const mgw_key_t *key, int format, uint8_t **out, size_t *out_len)
{
    (void)key;
    (void)format;
    (void)out;
    (void)out_len;
    return unavailable(__func__);
}

MGW_API void mgw_key_free(mgw_key_t **key)
{
    if (key != NULL)
        *key = NULL;
}

MGW_API int mgw_key_generate(mgw_key_t *key, int type)
{
    (void)key;
    (void)type;
    return unavailable(__func__);
}

MGW_API int mgw_key_load(mgw_key_t *key, const uint8_t *data, size_t len, const char *password,
                         size_t password_len)
{
    (void)key;
    (void)data;
    (void)len;
    (void)password;
    (void)password_len;
    return unavailable(__func__);
}

MGW_API mgw_key_t *mgw_key_new(void)
{
    unavailable(__func__);
    return NULL;
}

MGW_API int mgw_key_set_rng(mgw_key_t *key, mgw_rng_cb cb, void *ctx)
{
    (void)key;
    (void)cb;
    (void)ctx;
    return unavailable(__func__);
}

MGW_API int mgw_key_type(const mgw_key_t *key)
{
    (void)key;
    unavailable(__func__);
    return 0;
}

MGW_API int mgw_password_generate(size_t length, char **out)
{
    (void)length;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_algorithm(const mgw_pfx_t *pfx, int part, char **name, uint32_t *iterations)
{
    (void)pfx;
    (void)part;
    (void)name;
    (void)iterations;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_cert(const mgw_pfx_t *pfx, mgw_cert_t **out)
{
    (void)pfx;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_convert(const mgw_pfx_t *pfx, const mgw_pfxopts_t *opts, const char *password,
                            size_t password_len, uint8_t **out, size_t *out_len)
{
    (void)pfx;
    (void)opts;
    (void)password;
    (void)password_len;
    (void)out;
    (void)out_len;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_describe(const mgw_pfx_t *pfx, int style, char **out)
{
    (void)pfx;
    (void)style;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_extra_cert(const mgw_pfx_t *pfx, size_t index, mgw_cert_t **out)
{
    (void)pfx;
    (void)index;
    (void)out;
    return unavailable(__func__);
}

MGW_API size_t mgw_pfx_extra_cert_count(const mgw_pfx_t *pfx)
{
    (void)pfx;
    unavailable(__func__);
    return 0;
}

MGW_API void mgw_pfx_free(mgw_pfx_t **pfx)
{
    if (pfx != NULL)
        *pfx = NULL;
}

MGW_API int mgw_pfx_friendly_name(const mgw_pfx_t *pfx, char **out)
{
    (void)pfx;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_key(const mgw_pfx_t *pfx, mgw_key_t **out)
{
    (void)pfx;
    (void)out;
    return unavailable(__func__);
}

MGW_API uint32_t mgw_pfx_max_iterations(void)
{
    unavailable(__func__);
    return 0;
}

MGW_API int mgw_pfx_parse(const uint8_t *data, size_t len, const char *password,
                          size_t password_len, mgw_pfx_t **out)
{
    (void)data;
    (void)len;
    (void)password;
    (void)password_len;
    (void)out;
    return unavailable(__func__);
}

MGW_API int mgw_pfx_write(const mgw_pfxopts_t *opts, const mgw_cert_t *cert, const mgw_key_t *key,
                          const char *password, size_t password_len, uint8_t **out, size_t *out_len)
{
    (void)opts;
    (void)cert;
    (void)key;
    (void)password;
    (void)password_len;
    (void)out;
    (void)out_len;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_add_chain(mgw_pfxopts_t *opts, const mgw_cert_t *cert)
{
    (void)opts;
    (void)cert;
    return unavailable(__func__);
}

MGW_API void mgw_pfxopts_free(mgw_pfxopts_t **opts)
{
    if (opts != NULL)
        *opts = NULL;
}

MGW_API mgw_pfxopts_t *mgw_pfxopts_new(void)
{
    unavailable(__func__);
    return NULL;
}

MGW_API int mgw_pfxopts_set_csp_name(mgw_pfxopts_t *opts, const char *name)
{
    (void)opts;
    (void)name;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_friendly_name(mgw_pfxopts_t *opts, const char *name)
{
    (void)opts;
    (void)name;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_iterations(mgw_pfxopts_t *opts, uint32_t iterations)
{
    (void)opts;
    (void)iterations;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_key_spec(mgw_pfxopts_t *opts, int key_spec)
{
    (void)opts;
    (void)key_spec;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_local_key_id(mgw_pfxopts_t *opts, const uint8_t *id, size_t len)
{
    (void)opts;
    (void)id;
    (void)len;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_machine_keyset(mgw_pfxopts_t *opts, int on)
{
    (void)opts;
    (void)on;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_profile(mgw_pfxopts_t *opts, int profile)
{
    (void)opts;
    (void)profile;
    return unavailable(__func__);
}

MGW_API int mgw_pfxopts_set_rng(mgw_pfxopts_t *opts, mgw_rng_cb cb, void *ctx)
{
    (void)opts;
    (void)cb;
    (void)ctx;
    return unavailable(__func__);
}
