/* Text and JSON reports of a gateway check. */
#include "check/check.h"

#include "core/json.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *subject, *issuer, *sha1;
    char not_after[21];
    bool present;
} server_info;

static void server_get(const mgw_check_request *r, server_info *s)
{
    memset(s, 0, sizeof(*s));
    mgw_cert_t *c = NULL;
    if (r->server_der == NULL || mgw_cert_from_der(r->server_der, r->server_der_len, &c) != MGW_OK)
        return;
    s->present = true;
    mgw_cert_subject(c, &s->subject);
    mgw_cert_issuer(c, &s->issuer);
    mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &s->sha1);
    mgw_time_iso(c->not_after, s->not_after);
    mgw_cert_free(&c);
}

static void server_free(server_info *s)
{
    mgw_free(s->subject);
    mgw_free(s->issuer);
    mgw_free(s->sha1);
}

static void request_json(mgw_dbuf *b, const mgw_check_request *r)
{
    mgw_dbuf_printf(b, "{\"ran\":%s,\"error\":%d,", r->ran ? "true" : "false", r->error);
    mgw_json_field(b, "error_text", r->error != MGW_OK ? mgw_strerror(r->error) : NULL, true);
    mgw_json_field(b, "detail", r->error != MGW_OK ? r->detail : NULL, true);
    mgw_dbuf_printf(b, "\"refused_by_tls\":%s,\"certificate_requested\":%s,",
                    r->alert ? "true" : "false", r->cert_requested ? "true" : "false");
    mgw_dbuf_puts(b, "\"ca_names\":[");
    for (size_t i = 0; i < r->n_ca_names; i++) {
        if (i > 0)
            mgw_dbuf_putc(b, ',');
        mgw_json_str(b, r->ca_names[i]);
    }
    mgw_dbuf_puts(b, "],");
    mgw_json_field(b, "tls_version", r->tls_version[0] ? r->tls_version : NULL, true);
    mgw_dbuf_printf(b, "\"tls12_without_pss\":%s,", r->without_pss ? "true" : "false");
    mgw_json_field(b, "cipher_suite", r->cipher[0] ? r->cipher : NULL, true);
    mgw_dbuf_printf(b, "\"status\":%d,", r->status);
    mgw_json_field(b, "status_line", r->status_line[0] ? r->status_line : NULL, true);
    mgw_json_field(b, "body_excerpt", r->excerpt, false);
    mgw_dbuf_putc(b, '}');
}

static void describe_json(const mgw_checkres_t *res, const server_info *s,
                          const mgw_check_request *sr, mgw_dbuf *b)
{
    mgw_dbuf_putc(b, '{');
    mgw_json_field(b, "url", res->url, true);
    mgw_json_field(b, "verdict", res->passed ? "PASS" : "FAIL", true);
    mgw_json_field(b, "reason", res->reason, true);
    mgw_dbuf_printf(b, "\"error\":%d,", res->error);
    mgw_dbuf_puts(b, "\"server_certificate\":");
    if (s->present) {
        mgw_dbuf_putc(b, '{');
        mgw_json_field(b, "subject", s->subject, true);
        mgw_json_field(b, "issuer", s->issuer, true);
        mgw_json_field(b, "not_after", s->not_after, true);
        mgw_json_field(b, "thumbprint_sha1", s->sha1, true);
        mgw_dbuf_printf(b, "\"verified\":%s,\"verification_skipped\":%s,",
                        sr->server_verified ? "true" : "false",
                        sr->not_verified ? "true" : "false");
        mgw_json_field(b, "verify_problems",
             sr->verify_info[0] && !sr->not_verified ? sr->verify_info : NULL, false);
        mgw_dbuf_puts(b, "},");
    } else {
        mgw_dbuf_puts(b, "null,");
    }
    mgw_dbuf_puts(b, "\"with_certificate\":");
    request_json(b, &res->with);
    mgw_dbuf_puts(b, ",\"without_certificate\":");
    request_json(b, &res->without);
    mgw_dbuf_puts(b, "}\n");
}

static void request_text(mgw_dbuf *b, const char *title, const mgw_check_request *r)
{
    mgw_dbuf_printf(b, "%s:\n", title);
    if (!r->ran) {
        mgw_dbuf_puts(b, "  not run\n");
        return;
    }
    if (r->tls_version[0])
        mgw_dbuf_printf(b, "  TLS:             %s, %s%s\n", r->tls_version, r->cipher,
                        r->without_pss ? " (second attempt, TLS 1.2 without RSA-PSS: the "
                                         "server chose RSA-PSS, which mbedTLS refuses in TLS 1.2)"
                                       : "");
    mgw_dbuf_printf(b, "  cert requested:  %s\n", r->cert_requested ? "yes" : "no");
    for (size_t i = 0; i < r->n_ca_names; i++)
        mgw_dbuf_printf(b, "  accepted CA:     %s\n", r->ca_names[i]);
    if (r->status_line[0])
        mgw_dbuf_printf(b, "  HTTP:            %s\n", r->status_line);
    if (r->error != MGW_OK)
        mgw_dbuf_printf(b, "  error:           %s\n", r->detail);
    if (r->excerpt[0]) {
        mgw_dbuf_puts(b, "  body:            ");
        for (const char *p = r->excerpt; *p && p < r->excerpt + 120; p++)
            mgw_dbuf_putc(b, *p == '\n' ? ' ' : (uint8_t)*p);
        mgw_dbuf_puts(b, "\n");
    }
}

static void describe_text(const mgw_checkres_t *res, const server_info *s,
                          const mgw_check_request *sr, mgw_dbuf *b)
{
    mgw_dbuf_printf(b, "%s %s\n  %s\n", res->passed ? "PASS" : "FAIL", res->url, res->reason);
    if (s->present) {
        mgw_dbuf_printf(b, "Server certificate:\n  subject:         %s\n  issuer:          %s\n",
                        s->subject ? s->subject : "?", s->issuer ? s->issuer : "?");
        mgw_dbuf_printf(b, "  expires:         %s\n  SHA-1:           %s\n  verified:        %s\n",
                        s->not_after, s->sha1 ? s->sha1 : "?",
                        sr->server_verified ? "yes"
                        : sr->not_verified
                            ? "no: not checked (--insecure without a CA file; anyone could "
                              "be answering)"
                        : sr->verify_info[0] ? sr->verify_info
                                             : "no");
    }
    request_text(b, "With the client certificate", &res->with);
    request_text(b, "Without a client certificate", &res->without);
}

/* A writer of mgw_describe (core/json.h): the server's certificate as the
 * first request that saw one showed it, then the text or JSON. */
static int describe_form(const mgw_checkres_t *res, mgw_dbuf *b, bool json)
{
    const mgw_check_request *sr = res->with.server_der != NULL ? &res->with : &res->without;
    server_info s;
    server_get(sr, &s);
    if (json)
        describe_json(res, &s, sr, b);
    else
        describe_text(res, &s, sr, b);
    server_free(&s);
    return MGW_OK;
}

static int write_text(const void *obj, mgw_dbuf *b)
{
    return describe_form(obj, b, false);
}

static int write_json(const void *obj, mgw_dbuf *b)
{
    return describe_form(obj, b, true);
}

MGW_API int mgw_checkres_describe(const mgw_checkres_t *res, int style, char **out)
{
    return mgw_describe("mgw_checkres_describe", res, style, write_text, write_json, out);
}
