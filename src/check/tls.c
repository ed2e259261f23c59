/*
 * One HTTPS request for the gateway check, over mbedTLS: SNI, TLS 1.2 (and
 * 1.3 where mbedTLS has it), the client certificate, server verification,
 * renegotiation (IIS asks for the certificate that way), a deadline over the
 * whole exchange, and bounded reads.
 */
#define MGW_COMPAT_WANT_SSL
#include "check/check.h"
#include "platform/net.h"

#include <mbedtls/debug.h>
#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mgw_net net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca, own;
    mgw_rng rng;
    mgw_check_request *req;
    const char *host;
    uint8_t ip[16]; /* the host as an IP address */
    size_t ip_len;  /* 4 or 16; 0 for a host name */
    bool timed_out;
    bool no_pss;         /* the second attempt: TLS 1.2 without RSA-PSS */
    bool sigalg_refused; /* mbedTLS refused the server's signature algorithm */
} session;

/* The server certificate of a URL with an IP address must name it in an
 * iPAddress SAN; a mismatch is reported as mbedTLS reports a wrong name. */
static int verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const session *s = ctx;
    if (depth == 0 && s->ip_len > 0 &&
        !mgw_check_cert_has_ip(crt->raw.p, crt->raw.len, s->ip, s->ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    session *s = ctx;
    long r = mgw_net_send(&s->net, buf, len);
    if (r == MGW_NET_TIMEOUT) {
        s->timed_out = true;
        return MBEDTLS_ERR_SSL_TIMEOUT;
    }
    return r < 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : (int)r;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    session *s = ctx;
    long r = mgw_net_recv(&s->net, buf, len);
    if (r == MGW_NET_TIMEOUT) {
        s->timed_out = true;
        return MBEDTLS_ERR_SSL_TIMEOUT;
    }
    if (r == MGW_NET_ERROR) {
        s->req->alert = true; /* reset by the peer */
        return MBEDTLS_ERR_SSL_CONN_EOF;
    }
    return (int)r;
}

/* mbedTLS announces a CertificateRequest in its debug output (the only hook
 * it has); the message itself is then the current handshake message. */
static void on_debug(void *ctx, int level, const char *file, int line, const char *str)
{
    (void)level, (void)file, (void)line;
    session *s = ctx;
    if (mgw_compat_ssl_sigalg_refused(str)) {
        s->sigalg_refused = true;
        return;
    }
    if (strstr(str, "received post-handshake message") != NULL) {
        /* TLS 1.3 post-handshake authentication, which mbedTLS does not have */
        const unsigned char *msg;
        size_t n;
        mgw_compat_ssl_handshake_msg(&s->ssl, &msg, &n);
        if (msg != NULL && n >= 4 && msg[0] == 13) {
            s->req->cert_requested = true;
            s->req->post_handshake = true;
        }
        return;
    }
    if (strstr(str, "got a certificate request") == NULL)
        return;
    s->req->cert_requested = true;
    const unsigned char *msg;
    size_t n;
    mgw_compat_ssl_handshake_msg(&s->ssl, &msg, &n);
    bool tls13 = strcmp(mbedtls_ssl_get_version(&s->ssl), "TLSv1.3") == 0;
    if (msg != NULL && n >= 4 && msg[0] == 13)
        mgw_check_parse_cert_request(msg, n, tls13, s->req);
}

static int fail(mgw_check_request *r, int code, const char *fmt, ...) MGW_PRINTF(3, 4);

static int fail(mgw_check_request *r, int code, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    r->error = code;
    memcpy(r->detail, tmp, sizeof(r->detail) - 1);
    r->detail[sizeof(r->detail) - 1] = '\0';
    return code;
}

static int setup(session *s, const mgw_checkopts_t *o, bool with_cert)
{
    mgw_check_request *r = s->req;
    int ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT,
                                          MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return fail(r, MGW_ERR_CRYPTO, "TLS configuration failed");
    mgw_compat_ssl_versions(&s->conf, o->max_tls == MGW_TLS_1_3 && !s->no_pss);
    mgw_compat_ssl_sig_algs(&s->conf, !s->no_pss);
    mbedtls_ssl_conf_rng(&s->conf, mgw_rng_mbedtls, &s->rng);
    mbedtls_ssl_conf_dbg(&s->conf, on_debug, s);
    mbedtls_ssl_conf_renegotiation(&s->conf, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
    if (o->cafile != NULL) {
        ret = mbedtls_x509_crt_parse_file(&s->ca, o->cafile);
        if (ret < 0 || s->ca.version == 0)
            return fail(r, MGW_ERR_CHECK_UNTRUSTED, "cannot read any CA certificate from %s",
                        o->cafile);
        mbedtls_ssl_conf_ca_chain(&s->conf, &s->ca, NULL);
    }
    mbedtls_ssl_conf_authmode(&s->conf, o->insecure ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                    : MBEDTLS_SSL_VERIFY_REQUIRED);
    s->ip_len = 0;
    if (mgw_check_ip_literal(o->host, s->ip, &s->ip_len))
        mbedtls_ssl_conf_verify(&s->conf, verify_ip, s);
    r->not_verified = o->insecure && o->cafile == NULL;
    if (with_cert) {
        ret = mbedtls_x509_crt_parse_der(&s->own, o->cert->der, o->cert->der_len);
        for (size_t i = 0; ret == 0 && i < o->n_chain; i++)
            ret = mbedtls_x509_crt_parse_der(&s->own, o->chain[i]->der, o->chain[i]->der_len);
        if (ret == 0)
            ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->own, (mbedtls_pk_context *)&o->key->pk);
        if (ret != 0)
            return fail(r, MGW_ERR_CRYPTO, "cannot use the client certificate");
    }
    if (mbedtls_ssl_setup(&s->ssl, &s->conf) != 0 ||
        (s->ip_len > 0 ? mgw_compat_ssl_no_hostname(&s->ssl)
                       : mbedtls_ssl_set_hostname(&s->ssl, o->host)) != 0)
        return fail(r, MGW_ERR_CRYPTO, "TLS set-up failed");
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    return MGW_OK;
}

/* Record the server certificate and how its verification went. */
static int server_certificate(session *s, uint32_t flags)
{
    mgw_check_request *r = s->req;
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&s->ssl);
    if (peer != NULL && r->server_der == NULL && (r->server_der = malloc(peer->raw.len)) != NULL) {
        memcpy(r->server_der, peer->raw.p, peer->raw.len);
        r->server_der_len = peer->raw.len;
    }
    r->server_verified = flags == 0;
    if (flags != 0) {
        int n = mbedtls_x509_crt_verify_info(r->verify_info, sizeof(r->verify_info), "", flags);
        for (int i = 0; i < n; i++)
            if (r->verify_info[i] == '\n')
                r->verify_info[i] = i == n - 1 ? '\0' : ';';
    }
    return flags;
}

static int handshake_error(session *s, int ret)
{
    mgw_check_request *r = s->req;
    uint32_t flags = mbedtls_ssl_get_verify_result(&s->ssl);
    if (s->timed_out)
        return fail(r, MGW_ERR_CHECK_TIMEOUT, "the TLS handshake timed out");
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        server_certificate(s, flags);
        if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
            return fail(r, MGW_ERR_CHECK_HOSTNAME,
                        "the server certificate is not valid for %s", s->host);
        if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
            return fail(r, MGW_ERR_CHECK_EXPIRED, "the server certificate has expired");
        return fail(r, MGW_ERR_CHECK_UNTRUSTED, "the server certificate is not trusted (%s)",
                    r->verify_info);
    }
    char msg[128];
    mbedtls_strerror(ret, msg, sizeof(msg));
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || ret == MBEDTLS_ERR_SSL_CONN_EOF ||
        ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r->alert) {
        r->alert = true;
        return fail(r, MGW_ERR_CHECK_HANDSHAKE, "the server ended the TLS handshake (%s)", msg);
    }
    return fail(r, MGW_ERR_CHECK_HANDSHAKE, "TLS handshake failed (%s; not a TLS server?)", msg);
}

static int write_request(session *s, const mgw_checkopts_t *o)
{
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: mgwauth/%s\r\n"
                     "Accept: */*\r\nConnection: close\r\n\r\n",
                     o->path, o->host, strcmp(o->port, "443") != 0 ? ":" : "",
                     strcmp(o->port, "443") != 0 ? o->port : "", mgw_version());
    if (n < 0 || (size_t)n >= sizeof(req))
        return fail(s->req, MGW_ERR_CHECK_URL, "the URL is too long");
    for (size_t off = 0; off < (size_t)n;) {
        int w = mbedtls_ssl_write(&s->ssl, (const unsigned char *)req + off, (size_t)n - off);
        if (w <= 0) {
            if (s->timed_out)
                return fail(s->req, MGW_ERR_CHECK_TIMEOUT, "sending the request timed out");
            s->req->alert = true;
            return fail(s->req, MGW_ERR_CHECK_HANDSHAKE,
                        "the server closed the connection on the request");
        }
        off += (size_t)w;
    }
    return MGW_OK;
}

/* Read the response: headers within their cap, the body until close or its cap. */
static int read_response(session *s)
{
    mgw_check_request *r = s->req;
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    size_t header_end = 0;
    int rc = MGW_OK;
    uint8_t buf[4096];
    for (;;) {
        int n = mbedtls_ssl_read(&s->ssl, buf, sizeof(buf));
        if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            break;
        if (n < 0) {
            if (s->timed_out) {
                rc = fail(r, MGW_ERR_CHECK_TIMEOUT, "reading the response timed out");
            } else if (r->post_handshake) {
                rc = fail(r, MGW_ERR_CHECK_HANDSHAKE, "%s", MGW_CHECK_PHA_ADVICE);
            } else if (b.len == 0) {
                /* TLS 1.3 servers refuse a missing certificate only now */
                r->alert = true;
                char msg[128];
                mbedtls_strerror(n, msg, sizeof(msg));
                rc = fail(r, MGW_ERR_CHECK_HANDSHAKE, "the server refused the connection (%s)",
                          msg);
            }
            break;
        }
        if (mgw_dbuf_put(&b, buf, (size_t)n) != MGW_OK) {
            rc = fail(r, MGW_ERR_NO_MEMORY, "out of memory");
            break;
        }
        if (header_end == 0) {
            for (size_t i = 3; i < b.len && header_end == 0; i++)
                if (memcmp(b.p + i - 3, "\r\n\r\n", 4) == 0)
                    header_end = i + 1;
            if (header_end == 0 && b.len > MGW_CHECK_HEADER_MAX) {
                rc = fail(r, MGW_ERR_CHECK_TOO_LARGE, "response headers exceed 16 KiB");
                break;
            }
        }
        if (header_end != 0 && b.len - header_end > MGW_CHECK_BODY_MAX) {
            rc = fail(r, MGW_ERR_CHECK_TOO_LARGE, "response body exceeds 1 MiB");
            break;
        }
    }
    if (rc == MGW_OK || rc == MGW_ERR_CHECK_TOO_LARGE) {
        int hrc = b.len == 0 ? fail(r, MGW_ERR_CHECK_HTTP, "the server sent no response")
                             : mgw_check_parse_status(b.p, b.len, &r->status, r->status_line,
                                                      sizeof(r->status_line));
        if (hrc != MGW_OK && rc == MGW_OK && r->error == MGW_OK)
            rc = fail(r, MGW_ERR_CHECK_HTTP, "%s", mgw_last_error());
        size_t start = header_end != 0 ? header_end : b.len;
        size_t k = 0;
        for (size_t i = start; i < b.len && k < MGW_CHECK_EXCERPT; i++, k++)
            r->excerpt[k] = (b.p[i] >= 0x20 && b.p[i] < 0x7F) || b.p[i] == '\n' ? (char)b.p[i]
                                                                                 : '.';
        r->excerpt[k] = '\0';
    }
    mgw_dbuf_free(&b);
    return rc;
}

/* One attempt; true when it should be made again without RSA-PSS. */
static bool run_once(const mgw_checkopts_t *o, bool with_cert, mgw_check_request *req,
                     int64_t deadline, bool no_pss)
{
    session s;
    memset(&s, 0, sizeof(s));
    memset(req, 0, sizeof(*req));
    req->ran = true;
    req->without_pss = no_pss;
    s.req = req;
    s.host = o->host;
    s.no_pss = no_pss;
    s.net.fd = -1;
    mbedtls_ssl_init(&s.ssl);
    mbedtls_ssl_config_init(&s.conf);
    mbedtls_x509_crt_init(&s.ca);
    mbedtls_x509_crt_init(&s.own);
    mgw_rng_init(&s.rng);
    /* level 3 carries "got a certificate request"; the threshold is global to mbedTLS */
    mbedtls_debug_set_threshold(3);
    int rc = setup(&s, o, with_cert);
    if (rc == MGW_OK) {
        rc = mgw_net_connect(&s.net, o->connect_to != NULL ? o->connect_to : o->host, o->port,
                             deadline);
        if (rc != MGW_OK)
            fail(req, rc, "%s", mgw_last_error());
    }
    if (rc == MGW_OK) {
        int ret = mbedtls_ssl_handshake(&s.ssl);
        if (ret != 0) {
            rc = handshake_error(&s, ret);
        } else {
            req->handshake_done = true;
            snprintf(req->tls_version, sizeof(req->tls_version), "%s",
                     mbedtls_ssl_get_version(&s.ssl));
            snprintf(req->cipher, sizeof(req->cipher), "%s", mbedtls_ssl_get_ciphersuite(&s.ssl));
            server_certificate(&s, mbedtls_ssl_get_verify_result(&s.ssl));
        }
    }
    if (rc == MGW_OK)
        rc = write_request(&s, o);
    if (rc == MGW_OK)
        read_response(&s);
    if (req->handshake_done)
        mbedtls_ssl_close_notify(&s.ssl);
    mgw_net_close(&s.net);
    mbedtls_ssl_free(&s.ssl);
    mbedtls_ssl_config_free(&s.conf);
    mbedtls_x509_crt_free(&s.ca);
    mbedtls_x509_crt_free(&s.own);
    mgw_rng_free(&s.rng);
    mgw_err_clear();
    return s.sigalg_refused && !req->handshake_done && !no_pss && !s.timed_out;
}

/* A TLS 1.2 server that picks RSA-PSS, which mbedTLS 3.6 offers but refuses
 * there, is asked once more over TLS 1.2 without PSS, within the deadline. */
void mgw_check_request_run(const mgw_checkopts_t *o, bool with_cert, mgw_check_request *req)
{
    int64_t deadline = mgw_net_now_ms() + o->timeout_ms;
    if (run_once(o, with_cert, req, deadline, false)) {
        mgw_check_request_free(req);
        run_once(o, with_cert, req, deadline, true);
    }
}

bool mgw_check_tls13_available(void)
{
    return mgw_compat_ssl_has_tls13() != 0;
}

void mgw_check_request_free(mgw_check_request *req)
{
    for (size_t i = 0; i < req->n_ca_names; i++)
        free(req->ca_names[i]);
    free(req->ca_names);
    free(req->server_der);
    memset(req, 0, sizeof(*req));
}
