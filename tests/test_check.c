/* Suite "check": URL rules, HTTP status lines, CertificateRequest parsing and
 * option validation of the gateway check (the network side is in interop). */
#include "check/check.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

START_TEST(urls_are_parsed_with_the_healthcheck_default)
{
    static const struct {
        const char *url, *host, *port, *path;
    } ok[] = {
        {"https://mail.imagoverum.com", "mail.imagoverum.com", "443",
         "/Microsoft-Server-ActiveSync/HealthCheck.htm"},
        {"https://mail.imagoverum.com/", "mail.imagoverum.com", "443",
         "/Microsoft-Server-ActiveSync/HealthCheck.htm"},
        {"https://gw:8443/owa/healthcheck.htm", "gw", "8443", "/owa/healthcheck.htm"},
        {"https://[::1]:444/x?y=1", "::1", "444", "/x?y=1"},
        {"https://[2001:db8::1]", "2001:db8::1", "443",
         "/Microsoft-Server-ActiveSync/HealthCheck.htm"},
        {"https://127.0.0.1:00443", "127.0.0.1", "443",
         "/Microsoft-Server-ActiveSync/HealthCheck.htm"},
    };
    mgw_checkopts_t *o = mgw_checkopts_new();
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_int_eq(mgw_checkopts_set_url(o, ok[i].url), MGW_OK);
        ck_assert_str_eq(o->host, ok[i].host);
        ck_assert_str_eq(o->port, ok[i].port);
        ck_assert_str_eq(o->path, ok[i].path);
    }
    static const char *bad[] = {"", "http://gw/", "https://", "https://:443/", "https://gw:0",
                                "https://gw:65536", "https://gw:12a", "https://gw:",
                                "https://user@gw/", "https://gw/#frag", "https://g w/",
                                "https://[::1", "https://[]:1", "https://[::1]x/",
                                "https://gw/\xC3\xA4", "ftp://gw"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mgw_checkopts_set_url(o, bad[i]) == MGW_ERR_CHECK_URL, "%s", bad[i]);
    /* a failed call keeps the previous URL */
    ck_assert_str_eq(o->host, "127.0.0.1");
    char longurl[600] = "https://";
    memset(longurl + 8, 'a', 500);
    longurl[508] = 0;
    ck_assert_int_eq(mgw_checkopts_set_url(o, longurl), MGW_ERR_CHECK_URL);
    mgw_checkopts_free(&o);
    ck_assert_ptr_null(o);
}
END_TEST

START_TEST(status_lines)
{
    int st;
    char line[64];
    const char *r = "HTTP/1.1 403 Forbidden\r\nServer: x\r\n\r\n";
    ck_assert_int_eq(mgw_check_parse_status((const uint8_t *)r, strlen(r), &st, line, sizeof(line)),
                     MGW_OK);
    ck_assert_int_eq(st, 403);
    ck_assert_str_eq(line, "HTTP/1.1 403 Forbidden");
    r = "HTTP/1.0 200\r\n";
    ck_assert_int_eq(mgw_check_parse_status((const uint8_t *)r, strlen(r), &st, line, sizeof(line)),
                     MGW_OK);
    ck_assert_int_eq(st, 200);
    static const char *bad[] = {"", "HTTP/2 200 OK\r\n", "SSH-2.0-OpenSSH\r\n", "HTTP/1.1 99 x",
                                "HTTP/1.1 600 x", "HTTP/1.1 2000 x", "HTTP/1.1 20", "http/1.1 200 OK"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(mgw_check_parse_status((const uint8_t *)bad[i], strlen(bad[i]), &st, line,
                                                sizeof(line)),
                         MGW_ERR_CHECK_HTTP);
}
END_TEST

/* Name DER "CN=A" (30 0C 31 0A 30 08 06 03 55 04 03 0C 01 41). */
static const char *name_a = "300C310A300806035504030C0141";

START_TEST(certificate_request_ca_names_tls12_and_tls13)
{
    /* TLS 1.2: types(1: 40) sigalgs(2: 0403) CAs(2+len) */
    size_t dn_len;
    uint8_t *dn = test_unhex(name_a, &dn_len);
    uint8_t msg[128];
    size_t k = 4;
    msg[k++] = 1;
    msg[k++] = 0x40;
    msg[k++] = 0;
    msg[k++] = 2;
    msg[k++] = 4;
    msg[k++] = 3;
    msg[k++] = 0;
    msg[k++] = (uint8_t)(2 * (dn_len + 2));
    for (int i = 0; i < 2; i++) {
        msg[k++] = 0;
        msg[k++] = (uint8_t)dn_len;
        memcpy(msg + k, dn, dn_len);
        k += dn_len;
    }
    msg[0] = 13;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = (uint8_t)(k - 4);
    mgw_check_request req;
    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(mgw_check_parse_cert_request(msg, k, false, &req), MGW_OK);
    ck_assert_uint_eq(req.n_ca_names, 2);
    ck_assert_str_eq(req.ca_names[0], "CN=A");
    mgw_check_request_free(&req);
    /* every truncation is refused or yields no more than the full message */
    for (size_t i = 0; i < k; i++) {
        memset(&req, 0, sizeof(req));
        msg[3] = (uint8_t)(i >= 4 ? i - 4 : 0);
        mgw_check_parse_cert_request(msg, i, false, &req);
        ck_assert_uint_le(req.n_ca_names, 2);
        mgw_check_request_free(&req);
    }
    /* TLS 1.3: context(0) extensions: sig algs (13) then certificate_authorities (47) */
    k = 4;
    msg[k++] = 0;
    size_t ext_len_at = k;
    k += 2;
    msg[k++] = 0, msg[k++] = 13, msg[k++] = 0, msg[k++] = 4, msg[k++] = 0, msg[k++] = 2;
    msg[k++] = 4, msg[k++] = 3;
    msg[k++] = 0, msg[k++] = 47, msg[k++] = 0, msg[k++] = (uint8_t)(dn_len + 4);
    msg[k++] = 0, msg[k++] = (uint8_t)(dn_len + 2);
    msg[k++] = 0, msg[k++] = (uint8_t)dn_len;
    memcpy(msg + k, dn, dn_len);
    k += dn_len;
    msg[ext_len_at] = 0;
    msg[ext_len_at + 1] = (uint8_t)(k - ext_len_at - 2);
    msg[3] = (uint8_t)(k - 4);
    memset(&req, 0, sizeof(req));
    ck_assert_int_eq(mgw_check_parse_cert_request(msg, k, true, &req), MGW_OK);
    ck_assert_uint_eq(req.n_ca_names, 1);
    ck_assert_str_eq(req.ca_names[0], "CN=A");
    mgw_check_request_free(&req);
    /* random garbage never crashes */
    test_rng rng = {5};
    for (int i = 0; i < 5000; i++) {
        uint8_t junk[96];
        test_rng_cb(&rng, junk, sizeof(junk));
        junk[0] = 13;
        memset(&req, 0, sizeof(req));
        mgw_check_parse_cert_request(junk, 1 + junk[1] % 96, junk[2] & 1, &req);
        mgw_check_request_free(&req);
    }
    free(dn);
}
END_TEST

START_TEST(options_are_validated_and_run_needs_them)
{
    mgw_checkopts_t *o = mgw_checkopts_new();
    mgw_checkres_t *res = NULL;
    ck_assert_int_eq(mgw_check_run(o, &res), MGW_ERR_CHECK_URL);
    ck_assert_int_eq(mgw_checkopts_set_url(o, "https://localhost:1/"), MGW_OK);
    ck_assert_int_eq(mgw_check_run(o, &res), MGW_ERR_INVALID_ARGUMENT); /* no client */
    mgw_key_t *k = mgw_key_new(), *other = mgw_key_new();
    mgw_key_generate(k, MGW_KEY_P256);
    mgw_key_generate(other, MGW_KEY_P256);
    mgw_certopts_t *co = mgw_certopts_new();
    mgw_certopts_set_subject(co, "CN=c");
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(co, k, NULL, NULL, &c), MGW_OK);
    ck_assert_int_eq(mgw_checkopts_set_client(o, c, other), MGW_ERR_KEY_MISMATCH);
    ck_assert_int_eq(mgw_checkopts_set_client(o, c, k), MGW_OK);
    ck_assert_int_eq(mgw_check_run(o, &res), MGW_ERR_INVALID_ARGUMENT); /* no CA, not insecure */
    ck_assert_ptr_null(res);
    ck_assert_int_eq(mgw_checkopts_set_expected_status(o, 99), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_checkopts_set_timeout_ms(o, 0), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_checkopts_set_max_tls(o, 0x0302), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_checkopts_set_connect_to(o, "a b"), MGW_ERR_INVALID_ARGUMENT);
    ck_assert(mgw_check_max_tls() == MGW_TLS_1_2 || mgw_check_max_tls() == MGW_TLS_1_3);
    /* port 1 on loopback refuses at once: a result with a specific error */
    ck_assert_int_eq(mgw_checkopts_set_insecure(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_checkopts_set_timeout_ms(o, 3000), MGW_OK);
    ck_assert_int_eq(mgw_check_run(o, &res), MGW_OK);
    ck_assert_int_eq(mgw_checkres_passed(res), 0);
    ck_assert_int_eq(mgw_checkres_error(res), MGW_ERR_CHECK_CONNECT);
    ck_assert_int_eq(mgw_checkres_status(res, MGW_CHECK_WITH_CERT), 0);
    char *s;
    ck_assert_int_eq(mgw_checkres_reason(res, &s), MGW_OK);
    ck_assert_ptr_nonnull(strstr(s, "cannot connect"));
    mgw_free(s);
    ck_assert_int_eq(mgw_checkres_describe(res, MGW_DESCRIBE_JSON, &s), MGW_OK);
    ck_assert_ptr_nonnull(strstr(s, "\"verdict\":\"FAIL\""));
    mgw_free(s);
    mgw_checkres_free(&res);
    mgw_cert_free(&c);
    mgw_certopts_free(&co);
    mgw_key_free(&k);
    mgw_key_free(&other);
    mgw_checkopts_free(&o);
}
END_TEST

START_TEST(ip_address_literals)
{
    static const struct {
        const char *text;
        size_t len;
        const char *hex;
    } good[] = {
        {"127.0.0.1", 4, "7F000001"},
        {"255.255.255.255", 4, "FFFFFFFF"},
        {"::1", 16, "00000000000000000000000000000001"},
        {"::", 16, "00000000000000000000000000000000"},
        {"fe80::1:2", 16, "FE800000000000000000000000010002"},
        {"2001:DB8:0:0:0:0:0:1", 16, "20010DB8000000000000000000000001"},
        {"1::", 16, "00010000000000000000000000000000"},
        {"::ffff:192.0.2.1", 16, "00000000000000000000FFFFC0000201"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint8_t ip[16];
        size_t len = 0;
        char hex[33];
        ck_assert_msg(mgw_check_ip_literal(good[i].text, ip, &len), "%s", good[i].text);
        ck_assert_uint_eq(len, good[i].len);
        mgw_hex_upper(ip, len, hex);
        ck_assert_str_eq(hex, good[i].hex);
    }
    static const char *const bad[] = {
        "", "localhost", "127.0.0", "127.0.0.1.", "127.0.0.256", "127.0.0.01", "1.2.3.4.5",
        "1..2.3", " 127.0.0.1", "127.0.0.1 ", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1",
        "1:", "12345::", "fe80::1%eth0", "::ffff:1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "g::1",
        "127.0.0.1x", "::1.2.3.4.5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t ip[16];
        size_t len = 0;
        ck_assert_msg(!mgw_check_ip_literal(bad[i], ip, &len), "accepted '%s'", bad[i]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("check");
    TCase *t = tcase_create("check");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, urls_are_parsed_with_the_healthcheck_default);
    tcase_add_test(t, status_lines);
    tcase_add_test(t, certificate_request_ca_names_tls12_and_tls13);
    tcase_add_test(t, options_are_validated_and_run_needs_them);
    tcase_add_test(t, ip_address_literals);
    suite_add_tcase(s, t);
    return test_run(s);
}
