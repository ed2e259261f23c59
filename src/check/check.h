/* Internal layout of the gateway check: the verdict (check.c), the TLS client
 * (tls.c), the parsers both use (parse.c) and the reports (describe.c). */
#ifndef MGW_CHECK_H
#define MGW_CHECK_H

#include "cert/key.h"

#define MGW_CHECK_HEADER_MAX (16u * 1024)
#define MGW_CHECK_BODY_MAX (1024u * 1024)
#define MGW_CHECK_EXCERPT 256
#define MGW_CHECK_MAX_CA_NAMES 64

struct mgw_checkopts {
    char *host, *port, *path; /* from the URL */
    char *connect_to;
    mgw_cert_t *cert;
    mgw_key_t *key;
    mgw_cert_t **chain;
    size_t n_chain;
    char *cafile;
    bool insecure;
    int expect_status;
    uint32_t timeout_ms;
    int max_tls; /* MGW_TLS_1_2 or MGW_TLS_1_3 */
};

/* What one request saw. */
typedef struct {
    bool ran;
    int error; /* MGW_OK or MGW_ERR_CHECK_* */
    char detail[256];
    bool alert;            /* the server refused with a TLS alert or reset */
    bool handshake_done;
    bool cert_requested;   /* a CertificateRequest arrived */
    bool post_handshake;   /* ... after a TLS 1.3 handshake, which mbedTLS refuses */
    bool without_pss;      /* TLS 1.2 again without RSA-PSS (mbedTLS issue 10668) */
    char **ca_names;       /* its certificate_authorities, RFC 4514 */
    size_t n_ca_names;
    char tls_version[16];
    char cipher[96];
    int status;
    char status_line[160];
    char excerpt[MGW_CHECK_EXCERPT + 1];
    /* the server's certificate (first request that saw one fills it) */
    uint8_t *server_der;
    size_t server_der_len;
    bool server_verified;
    bool not_verified; /* --insecure without a CA file: nothing to verify against */
    char verify_info[256];
} mgw_check_request;

struct mgw_checkres {
    bool passed;
    int error;
    char reason[640];
    char url[512];
    mgw_check_request with, without;
};

/* What to do about a server that wants the certificate after the TLS 1.3
 * handshake (post-handshake authentication, which mbedTLS does not support). */
#define MGW_CHECK_PHA_ADVICE                                                                   \
    "the server asks for the client certificate after the TLS 1.3 handshake "                 \
    "(post-handshake authentication), which mbedTLS does not support; fix the server: "       \
    "negotiate the client certificate in the handshake (IIS: mgwauth registry plan "          \
    "--negotiate-client-cert) or disable TLS 1.3 (--disable-tls13); mgwauth check --tls12 "    \
    "checks over TLS 1.2"

/* Whether the crypto library can speak TLS 1.3 (tls.c). */
bool mgw_check_tls13_available(void);
/* Run one HTTPS request (tls.c); with_cert selects the client certificate. */
void mgw_check_request_run(const mgw_checkopts_t *o, bool with_cert, mgw_check_request *req);
void mgw_check_request_free(mgw_check_request *req);
/* Parse a CertificateRequest handshake message (type byte first) for its CA
 * names; tls13 selects the TLS 1.3 layout. */
int mgw_check_parse_cert_request(const uint8_t *msg, size_t n, bool tls13,
                                 mgw_check_request *req);
/* An IP address literal (dotted IPv4, or IPv6 as inside URL brackets, no zone)
 * as its 4 or 16 bytes; false for a host name. */
bool mgw_check_ip_literal(const char *host, uint8_t ip[16], size_t *len);
/* Whether certificate DER has an iPAddress SAN equal to ip (no CN fallback:
 * RFC 6125 takes IP addresses from iPAddress SANs only). */
bool mgw_check_cert_has_ip(const uint8_t *der, size_t n, const uint8_t *ip, size_t len);
/* Parse the start of an HTTP response (status line); MGW_ERR_CHECK_HTTP if not HTTP. */
int mgw_check_parse_status(const uint8_t *p, size_t n, int *status, char *line, size_t linesz);

#endif
