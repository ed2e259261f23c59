/* Error codes, their descriptions, and the per-thread detail message. */
#include "core.h"

#include <stdio.h>
#include <string.h>

#if defined(_MSC_VER)
#define MGW_THREAD_LOCAL __declspec(thread)
#else
#define MGW_THREAD_LOCAL _Thread_local
#endif

static MGW_THREAD_LOCAL char last_error[512];

static const struct {
    int code;
    const char *text;
} error_texts[] = {
    {MGW_OK, "success"},
    {MGW_ERR_INVALID_ARGUMENT, "invalid argument"},
    {MGW_ERR_NO_MEMORY, "out of memory"},
    {MGW_ERR_INTERNAL, "internal error"},
    {MGW_ERR_NOT_AVAILABLE, "not available in this build"},
    {MGW_ERR_TOO_LARGE, "input too large"},
    {MGW_ERR_IO, "input/output error"},
    {MGW_ERR_EXISTS, "output exists (use force to overwrite)"},
    {MGW_ERR_NOT_FOUND, "not found"},
    {MGW_ERR_RANDOM, "random source failed"},
    {MGW_ERR_DN_SYNTAX, "malformed distinguished name"},
    {MGW_ERR_DN_ATTRIBUTE, "invalid distinguished-name attribute"},
    {MGW_ERR_UTF8, "invalid UTF-8 or UTF-16 text"},
    {MGW_ERR_UPN, "invalid user principal name"},
    {MGW_ERR_EMAIL, "invalid e-mail address"},
    {MGW_ERR_DNS, "invalid DNS name"},
    {MGW_ERR_URI, "invalid URI"},
    {MGW_ERR_DER, "malformed DER structure"},
    {MGW_ERR_PEM, "malformed PEM or missing PEM block"},
    {MGW_ERR_CERT_PARSE, "not a usable X.509 certificate"},
    {MGW_ERR_CSR_PARSE, "not a usable PKCS#10 certificate request"},
    {MGW_ERR_KEY_PARSE, "not a usable private key"},
    {MGW_ERR_EKU, "unknown extended key usage"},
    {MGW_ERR_VALIDITY, "validity period out of range"},
    {MGW_ERR_PASSWORD, "unusable password"},
    {MGW_ERR_KEY_TYPE, "key type or size not supported"},
    {MGW_ERR_KEYGEN, "key generation failed"},
    {MGW_ERR_SIGN, "signing failed"},
    {MGW_ERR_CSR_SIGNATURE, "certificate request signature does not verify"},
    {MGW_ERR_KEY_MISMATCH, "key does not match certificate"},
    {MGW_ERR_NOT_CA, "issuer certificate is not a CA"},
    {MGW_ERR_WRONG_PASSWORD, "wrong password or corrupted data"},
    {MGW_ERR_UNSUPPORTED_ALG, "unsupported algorithm"},
    {MGW_ERR_CRYPTO, "cryptographic operation failed"},
    {MGW_ERR_CERT_SIGNATURE, "certificate not signed by that issuer"},
    /* PFX */
    {MGW_ERR_PFX_FORMAT, "malformed or unsupported PKCS#12 file"},
    {MGW_ERR_PFX_MAC, "wrong password or corrupted file (MAC check failed)"},
    {MGW_ERR_PFX_NO_KEY, "the PFX holds no private key"},
    {MGW_ERR_PFX_NO_CERT, "no certificate in the PFX matches its key"},
    {MGW_ERR_PFX_LIMIT, "PFX exceeds a safety limit"},

    /* registry */
    {MGW_ERR_REG_SYNTAX, "malformed registry (.reg) file"},
    {MGW_ERR_REG_NO_BINDING, "the HTTPS binding does not exist"},
    {MGW_ERR_REG_DRIFT, "the registry changed since the plan was made"},
    {MGW_ERR_REG_VERIFY, "registry values read back differ from those written"},
    {MGW_ERR_REG_RESTORE, "restoring the registry after a failed apply failed"},
    {MGW_ERR_REG_PLAN, "malformed or inconsistent registry plan"},
    {MGW_ERR_REG_TYPE, "a registry value has an unexpected type"},

    /* IIS configuration */
    {MGW_ERR_IIS_XML, "malformed XML, or XML that cannot be kept byte for byte"},
    {MGW_ERR_IIS_CONFIG, "not a usable IIS applicationHost.config"},
    {MGW_ERR_IIS_NOT_FOUND, "the IIS site or https binding does not exist"},
    {MGW_ERR_IIS_DRIFT, "the IIS configuration changed since the plan was made"},
    {MGW_ERR_IIS_VERIFY, "the IIS configuration read back differs from the one written"},
    {MGW_ERR_IIS_RESTORE, "restoring the IIS configuration after a failed apply failed"},
    {MGW_ERR_IIS_PLAN, "malformed or inconsistent IIS plan"},

    /* trusted roots */
    {MGW_ERR_THUMBPRINT, "malformed thumbprint"},
    {MGW_ERR_ROOTS_KEEP_EMPTY, "the keep-list is empty"},
    {MGW_ERR_ROOTS_KEEP_MISSING, "a keep-list thumbprint is not in the store"},
    {MGW_ERR_ROOTS_KEEPS_NOTHING, "the plan would keep no certificate"},
    {MGW_ERR_ROOTS_BACKUP, "backup unreadable or not verified"},
    {MGW_ERR_ROOTS_INCOMPLETE, "operation stopped part-way"},
    {MGW_ERR_STORE_CHANGED, "the store changed since it was listed"},

    /* platform back-ends */
    {MGW_ERR_STORE_NAME, "unknown certificate store location or name"},
    {MGW_ERR_PLATFORM, "an operating-system call failed"},
    {MGW_ERR_ACCESS_DENIED, "access denied by the operating system"},
    {MGW_ERR_KEY_NOT_ATTACHED, "the imported certificate has no usable private key"},

    /* gateway check */
    {MGW_ERR_CHECK_URL, "bad gateway URL"},
    {MGW_ERR_CHECK_RESOLVE, "host name does not resolve"},
    {MGW_ERR_CHECK_CONNECT, "connection failed"},
    {MGW_ERR_CHECK_TIMEOUT, "timed out"},
    {MGW_ERR_CHECK_UNTRUSTED, "server certificate not trusted"},
    {MGW_ERR_CHECK_HOSTNAME, "server certificate is for another host"},
    {MGW_ERR_CHECK_EXPIRED, "server certificate expired"},
    {MGW_ERR_CHECK_HANDSHAKE, "TLS handshake failed or refused"},
    {MGW_ERR_CHECK_HTTP, "not an HTTP answer"},
    {MGW_ERR_CHECK_TOO_LARGE, "response too large"},
    {MGW_ERR_CHECK_STATUS, "unexpected HTTP status"},
    {MGW_ERR_CHECK_NOT_ENFORCED, "gateway does not enforce client certificates"},

};

MGW_API const char *mgw_strerror(int err)
{
    for (size_t i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
        if (error_texts[i].code == err)
            return error_texts[i].text;
    return "unknown error";
}

MGW_API const char *mgw_last_error(void)
{
    return last_error;
}

void mgw_err_clear(void)
{
    last_error[0] = '\0';
}

int mgw_err(int code, const char *fmt, ...)
{
    if (fmt == NULL) {
        snprintf(last_error, sizeof(last_error), "%s", mgw_strerror(code));
        return code;
    }
    /* Format into a copy first: callers may pass mgw_last_error() itself as
     * an argument, and vsnprintf into the buffer it reads is undefined. */
    char tmp[sizeof(last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    memcpy(last_error, tmp, sizeof(last_error));
    return code;
}

int mgw_err_ensure(int code)
{
    if (code != MGW_OK && last_error[0] == '\0')
        snprintf(last_error, sizeof(last_error), "%s", mgw_strerror(code));
    return code;
}

int mgw_err_prefix(int code, const char *what)
{
    char tmp[sizeof(last_error) + 256];
    if (last_error[0] == '\0')
        snprintf(tmp, sizeof(tmp), "%.200s: %s", what, mgw_strerror(code));
    else
        snprintf(tmp, sizeof(tmp), "%.200s: %s", what, last_error);
    memcpy(last_error, tmp, sizeof(last_error) - 1);
    last_error[sizeof(last_error) - 1] = '\0';
    return code;
}
