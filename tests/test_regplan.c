/* Suite "regplan": the planner's options, warnings and idempotence, plan
 * files, and apply/rollback through the .reg-file back-end with drift
 * refusal and injected faults. */
#include "apply/regbackend.h"
#include "regfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCHANNEL                                                                                   \
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"
#define BINDINGS "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters"
#define IP_BINDING BINDINGS "\\SslBindingInfo\\0.0.0.0:443"
#define AUTHROOT "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\AuthRoot"

static void import_fixture(mgw_regstate_t *st, const char *name)
{
    size_t len;
    uint8_t *data = reg_fixture(name, &len);
    ck_assert_int_eq(mgw_regstate_import(st, data, len), MGW_OK);
    free(data);
}

/* The gateway as Wine exported it: SCHANNEL and the HTTP.sys bindings. */
static mgw_regstate_t *gateway(void)
{
    mgw_regstate_t *st = mgw_regstate_new();
    ck_assert_ptr_nonnull(st);
    import_fixture(st, "gateway-schannel.reg");
    import_fixture(st, "gateway-http.reg");
    return st;
}

static void import_text(mgw_regstate_t *st, const char *body)
{
    char text[4096];
    int n = snprintf(text, sizeof(text), "Windows Registry Editor Version 5.00\n%s", body);
    ck_assert_int_eq(mgw_regstate_import(st, (uint8_t *)text, (size_t)n), MGW_OK);
}

static mgw_regplan_t *plan_for(const mgw_regopts_t *o, const mgw_regstate_t *st)
{
    mgw_regplan_t *p = NULL;
    ck_assert_int_eq(mgw_regplan_compute(o, st, &p), MGW_OK);
    ck_assert_str_eq(mgw_last_error(), "");
    return p;
}

static const mgw_regitem *find_item(const mgw_regplan_t *p, const char *name)
{
    for (size_t i = 0; i < p->n_items; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return &p->items[i];
    return NULL;
}

static const mgw_regitem *item(const mgw_regplan_t *p, const char *name)
{
    const mgw_regitem *it = find_item(p, name);
    if (it == NULL)
        ck_abort_msg("the plan has no item %s", name);
    return it;
}

static uint32_t dword_after(const mgw_regplan_t *p, const char *name)
{
    const mgw_regitem *it = item(p, name);
    ck_assert_msg(it->after.len == 4, "item %s is no dword", name);
    const uint8_t *d = it->after.data;
    return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static bool has_warning(const mgw_regplan_t *p, const char *part)
{
    for (size_t i = 0; i < mgw_regplan_warning_count(p); i++) {
        char *w = NULL;
        ck_assert_int_eq(mgw_regplan_warning(p, i, &w), MGW_OK);
        bool hit = strstr(w, part) != NULL;
        mgw_free(w);
        if (hit)
            return true;
    }
    return false;
}

static void reg_file(const mgw_regplan_t *p, int which, mgw_dbuf *out)
{
    uint8_t *d = NULL;
    size_t n = 0;
    ck_assert_int_eq(mgw_regplan_reg_file(p, which, &d, &n), MGW_OK);
    mgw_dbuf_init(out);
    mgw_dbuf_put(out, d, n);
    mgw_free(d);
}

static void import_plan_file(mgw_regstate_t *st, const mgw_regplan_t *p, int which)
{
    mgw_dbuf b;
    reg_file(p, which, &b);
    ck_assert_int_eq(mgw_regstate_import(st, b.p, b.len), MGW_OK);
    mgw_dbuf_free(&b);
}

static void export_state(const mgw_regstate_t *st, mgw_dbuf *out)
{
    uint8_t *d = NULL;
    size_t n = 0;
    ck_assert_int_eq(mgw_regstate_export(st, &d, &n), MGW_OK);
    mgw_dbuf_init(out);
    mgw_dbuf_put(out, d, n);
    mgw_free(d);
}

START_TEST(default_plan_is_the_procedure)
{
    mgw_regstate_t *st = gateway();
    mgw_regopts_t *o = mgw_regopts_new();
    mgw_regplan_t *p = plan_for(o, st);
    ck_assert_uint_eq(dword_after(p, "ClientAuthTrustMode"), 2);
    ck_assert_uint_eq(dword_after(p, "SendTrustedIssuerList"), 0);
    ck_assert_uint_eq(dword_after(p, "DefaultSslCertCheckMode"), 0);
    ck_assert_int_eq(item(p, "ClientAuthTrustMode")->action, MGW_REGACT_SET);
    ck_assert_int_eq(item(p, "DefaultSslCertCheckMode")->action, MGW_REGACT_KEEP);
    ck_assert_int_eq(item(p, "SslCertHash")->action, MGW_REGACT_CHECK);
    ck_assert_ptr_null(find_item(p, "DefaultFlags")); /* untouched without an option */
    ck_assert_ptr_null(find_item(p, "DisableRootAutoUpdate"));
    ck_assert_uint_eq(mgw_regplan_change_count(p), 2);
    ck_assert(has_warning(p, "ClientAuthTrustMode=2 trusts only"));
    ck_assert(has_warning(p, "TLS 1.3"));
    ck_assert(has_warning(p, "restart the server"));
    char *text = NULL;
    ck_assert_int_eq(mgw_regplan_describe(p, MGW_DESCRIBE_TEXT, &text), MGW_OK);
    ck_assert_ptr_nonnull(strstr(text, "VALUE"));
    ck_assert_ptr_nonnull(strstr(text, "SCHANNEL\\ClientAuthTrustMode"));
    ck_assert_ptr_nonnull(strstr(text, "revocation of client certificates IS checked"));
    ck_assert_ptr_nonnull(strstr(text, "2 values to change."));
    ck_assert_ptr_null(strstr(text, "SslCertHash")); /* checks are not rows */
    mgw_free(text);
    mgw_dbuf sec;
    reg_file(p, MGW_REGPLAN_SECURITY, &sec);
    const char want[] = "Windows Registry Editor Version 5.00\r\n\r\n[" SCHANNEL "]\r\n"
                        "\"ClientAuthTrustMode\"=dword:00000002\r\n"
                        "\"SendTrustedIssuerList\"=dword:00000000\r\n\r\n";
    mgw_dbuf w;
    mgw_dbuf_init(&w);
    mgw_dbuf_put(&w, "\xFF\xFE", 2);
    mgw_utf8_to_utf16((const uint8_t *)want, strlen(want), false, &w);
    ck_assert(sec.len == w.len && memcmp(sec.p, w.p, w.len) == 0);
    mgw_dbuf_free(&w);
    mgw_dbuf_free(&sec);
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(every_option_changes_its_value_only)
{
    mgw_regstate_t *st = gateway();
    import_text(st, "[" IP_BINDING "]\n\"DefaultFlags\"=dword:00000411\n");
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_trust_mode(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_revocation_check(o, 0), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_disable_tls13(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_negotiate_client_cert(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_issuer_store(o, "ClientAuthIssuer"), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 1, 1), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    ck_assert_uint_eq(dword_after(p, "ClientAuthTrustMode"), 1);
    ck_assert_uint_eq(dword_after(p, "DefaultSslCertCheckMode"), 1);
    ck_assert_uint_eq(dword_after(p, "DefaultFlags"), 0x411 | 0x40 | 0x2); /* others kept */
    ck_assert_uint_eq(dword_after(p, "DisableRootAutoUpdate"), 1);
    ck_assert_uint_eq(dword_after(p, "EnableDisallowedCertAutoUpdate"), 1);
    const mgw_regitem *store = item(p, "DefaultSslCtlStoreName");
    ck_assert_uint_eq(store->after.type, MGW_REGT_SZ);
    ck_assert_uint_eq(store->after.len, 34); /* 16 UTF-16 units and the NUL */
    ck_assert(!item(p, "DisableRootAutoUpdate")->key_existed);
    ck_assert(!has_warning(p, "trusts only")); /* the store is set */
    ck_assert(!has_warning(p, "TLS 1.3"));     /* both fixes present */
    ck_assert(has_warning(p, "AuthRoot is not in the current state"));
    ck_assert_uint_eq(mgw_regplan_change_count(p), 7);
    mgw_regplan_free(&p);
    /* trust mode 0 needs no issuer store; turning the option off again works */
    ck_assert_int_eq(mgw_regopts_set_trust_mode(o, 0), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_issuer_store(o, NULL), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 0, 0), MGW_OK);
    p = plan_for(o, st);
    ck_assert(!has_warning(p, "trusts only"));
    ck_assert_ptr_null(find_item(p, "DefaultSslCtlStoreName"));
    ck_assert_ptr_null(find_item(p, "DisableRootAutoUpdate"));
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(options_are_validated)
{
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_trust_mode(o, 3), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regopts_set_trust_mode(NULL, 1), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_str_ne(mgw_last_error(), "");
    const char *bad[] = {"0.0.0.0",  "0.0.0.0:",    ":443",    "0.0.0.0:0", "0.0.0.0:65536",
                         "a\\b:443", "0.0.0.0:44x", "[::]443", "[]:443"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mgw_regopts_set_binding(o, bad[i]) == MGW_ERR_INVALID_ARGUMENT, "%s", bad[i]);
    ck_assert_int_eq(mgw_regopts_set_binding(o, "[::]:443"), MGW_OK);
    ck_assert_str_eq(mgw_last_error(), "");
    ck_assert_int_eq(mgw_regopts_set_sni_binding(o, "mail.example.com:443"), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_sni_binding(o, NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regopts_set_issuer_store(o, ""), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 0, 1), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regopts_set_client_cert(o, NULL), MGW_ERR_INVALID_ARGUMENT);
    mgw_regplan_t *p = NULL;
    ck_assert_int_eq(mgw_regplan_compute(o, NULL, &p), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regplan_describe(NULL, MGW_DESCRIBE_TEXT, NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regplan_reg_file(NULL, 9, NULL, NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regplan_apply_file(NULL, "x", "y", 0, NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_regstate_import(NULL, NULL, 0), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(mgw_regplan_change_count(NULL), 0);
    ck_assert_uint_eq(mgw_reg_max_file_size(), 16u * 1024 * 1024);
    mgw_regopts_free(&o);
    ck_assert_ptr_null(o);
    mgw_regopts_free(NULL);
    mgw_regplan_free(NULL);
    mgw_regstate_free(NULL);
}
END_TEST

START_TEST(sni_binding_is_found_by_its_hostname_port)
{
    mgw_regstate_t *st = gateway();
    /* a key name that differs from the HostnamePort value it holds */
    import_text(st, "[" BINDINGS "\\SslSniBindingInfo\\renamed]\n"
                    "\"HostnamePort\"=\"owa.example.com:443\"\n"
                    "\"SslCertHash\"=hex:01,02\n");
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_sni_binding(o, "OWA.example.com:443"), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    const mgw_regitem *cm = item(p, "DefaultSslCertCheckMode");
    ck_assert_str_eq(cm->key, BINDINGS "\\SslSniBindingInfo\\renamed");
    ck_assert_int_eq(item(p, "HostnamePort")->action, MGW_REGACT_CHECK);
    ck_assert_int_eq(cm->action, MGW_REGACT_SET); /* absent there */
    mgw_regplan_free(&p);
    ck_assert_int_eq(mgw_regopts_set_sni_binding(o, "renamed:443"), MGW_OK);
    ck_assert_int_eq(mgw_regplan_compute(o, st, &p), MGW_ERR_REG_NO_BINDING);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(sni_binding_without_hostname_port_is_found_by_its_key_name)
{
    mgw_regstate_t *st = gateway();
    import_text(st, "[" BINDINGS "\\SslSniBindingInfo\\legacy.example.com:8443]\n"
                    "\"SslCertHash\"=hex:01,02\n");
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_sni_binding(o, "LEGACY.example.com:8443"), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    ck_assert_str_eq(item(p, "DefaultSslCertCheckMode")->key,
                     BINDINGS "\\SslSniBindingInfo\\legacy.example.com:8443");
    ck_assert(!item(p, "HostnamePort")->before.present);
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(ccs_bindings_are_planned_like_the_others)
{
    mgw_regstate_t *st = gateway();
    import_text(st, "[" BINDINGS "\\SslCcsBindingInfo\\0.0.0.0:443]\n"
                    "\"DefaultSslCertCheckMode\"=dword:00000004\n"
                    "\"DefaultFlags\"=dword:00000000\n");
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_ccs_binding(o, "443"), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_negotiate_client_cert(o, 1), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    const mgw_regitem *cm = item(p, "DefaultSslCertCheckMode");
    ck_assert_str_eq(cm->key, BINDINGS "\\SslCcsBindingInfo\\0.0.0.0:443");
    ck_assert_uint_eq(dword_after(p, "DefaultSslCertCheckMode"), 4);
    ck_assert_int_eq(cm->action, MGW_REGACT_KEEP);
    ck_assert_uint_eq(dword_after(p, "DefaultFlags"), 0x2);
    ck_assert_ptr_null(find_item(p, "SslCertHash")); /* certificates come from the share */
    ck_assert(!has_warning(p, "SslCertHash"));
    mgw_regplan_free(&p);
    ck_assert_int_eq(mgw_regopts_set_ccs_binding(o, "8443"), MGW_OK);
    ck_assert_int_eq(mgw_regplan_compute(o, st, &p), MGW_ERR_REG_NO_BINDING);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "Central Certificate Store bindings present: "
                                                   "0.0.0.0:443"));
    const char *bad[] = {"", "0", "0443", "65536", "44x", "0.0.0.0:443", "123456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mgw_regopts_set_ccs_binding(o, bad[i]) == MGW_ERR_INVALID_ARGUMENT, "%s",
                      bad[i]);
    ck_assert_int_eq(mgw_regopts_set_ccs_binding(NULL, "443"), MGW_ERR_INVALID_ARGUMENT);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(check_mode_is_a_set_of_bits)
{
    static const struct {
        const char *before; /* NULL: absent */
        int revocation_check;
        uint32_t after;
    } cases[] = {
        {NULL, 1, 0},       {NULL, 0, 1},       {"00000006", 0, 7},       {"00000007", 1, 6},
        {"00010001", 1, 0x10000}, {"00010000", 0, 0x10001}, {"00000002", 1, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mgw_regstate_t *st = gateway();
        char text[256];
        if (cases[i].before != NULL)
            snprintf(text, sizeof(text), "[" IP_BINDING "]\n\"DefaultSslCertCheckMode\"=dword:%s\n",
                     cases[i].before);
        else
            snprintf(text, sizeof(text), "[" IP_BINDING "]\n\"DefaultSslCertCheckMode\"=-\n");
        import_text(st, text);
        mgw_regopts_t *o = mgw_regopts_new();
        ck_assert_int_eq(mgw_regopts_set_revocation_check(o, cases[i].revocation_check), MGW_OK);
        mgw_regplan_t *p = plan_for(o, st);
        ck_assert_msg(dword_after(p, "DefaultSslCertCheckMode") == cases[i].after, "case %zu", i);
        mgw_regplan_free(&p);
        mgw_regopts_free(&o);
        mgw_regstate_free(&st);
    }
}
END_TEST

START_TEST(the_table_names_every_bit)
{
    mgw_dbuf m;
    mgw_dbuf_init(&m);
    uint8_t le[4] = {0x06, 0x00, 0x01, 0x00}; /* 0x10006 */
    mgw_regdata v = {true, MGW_REGT_DWORD, le, 4};
    ck_assert_int_eq(mgw_regmeaning("DefaultSslCertCheckMode", &v, &m), MGW_OK);
    mgw_dbuf_putc(&m, 0);
    const char *t = (const char *)m.p;
    ck_assert_ptr_nonnull(strstr(t, "IS checked"));
    ck_assert_ptr_nonnull(strstr(t, "0x1 no revocation check off"));
    ck_assert_ptr_nonnull(strstr(t, "0x2 cached revocation data only on"));
    ck_assert_ptr_nonnull(strstr(t, "0x4 DefaultSslRevocationFreshnessTime applies on"));
    ck_assert_ptr_nonnull(strstr(t, "0x10000 no usage check on"));
    ck_assert_ptr_null(strstr(t, "other bits"));
    m.len = 0;
    uint8_t flags[4] = {0x00, 0x6B, 0x00, 0x00}; /* 0x6B00 */
    v.data = flags;
    ck_assert_int_eq(mgw_regmeaning("DefaultFlags", &v, &m), MGW_OK);
    mgw_dbuf_putc(&m, 0);
    t = (const char *)m.p;
    const char *names[] = {"ENABLE_TOKEN_BINDING", "LOG_EXTENDED_EVENTS",
                           "ENABLE_SESSION_TICKET", "ENABLE_CLIENT_CORRELATION",
                           "DISABLE_SESSION_ID"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(strstr(t, names[i]) != NULL, "%s in %s", names[i], t);
    ck_assert_ptr_null(strstr(t, "other bits"));
    mgw_dbuf_free(&m);
}
END_TEST

START_TEST(missing_binding_is_an_error_naming_the_sni_bindings)
{
    mgw_regstate_t *st = mgw_regstate_new();
    import_fixture(st, "gateway-http.reg");
    import_text(st, "[-" IP_BINDING "]\n");
    mgw_regopts_t *o = mgw_regopts_new();
    mgw_regplan_t *p = NULL;
    ck_assert_int_eq(mgw_regplan_compute(o, st, &p), MGW_ERR_REG_NO_BINDING);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "never creates a binding key"));
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "SNI bindings present: mail.example.com:443"));
    mgw_regstate_free(&st);
    st = mgw_regstate_new(); /* nothing at all */
    ck_assert_int_eq(mgw_regplan_compute(o, st, &p), MGW_ERR_REG_NO_BINDING);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(pitfall_warnings)
{
    mgw_regstate_t *st = gateway();
    import_text(st, "[" IP_BINDING "]\n\"SslCertHash\"=-\n");
    mgw_key_t *k = mgw_key_new();
    ck_assert_int_eq(mgw_key_generate(k, MGW_KEY_P256), MGW_OK);
    mgw_certopts_t *co = mgw_certopts_new();
    ck_assert_int_eq(mgw_certopts_set_subject(co, "CN=imagoverum.com"), MGW_OK);
    mgw_cert_t *c = NULL;
    ck_assert_int_eq(mgw_cert_create(co, k, NULL, NULL, &c), MGW_OK);
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_client_cert(o, c), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    /* a self-signed certificate names no CRL distribution point: nothing to fail on */
    ck_assert(!has_warning(p, "CRL distribution point"));
    ck_assert(!has_warning(p, "self-signed"));
    ck_assert(has_warning(p, "has no SslCertHash: it is broken"));
    ck_assert(!has_warning(p, "gpedit.msc"));
    mgw_regplan_free(&p);
    ck_assert_int_eq(mgw_regopts_set_revocation_check(o, 0), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 1, 0), MGW_OK);
    p = plan_for(o, st);
    ck_assert(has_warning(p, "gpedit.msc will not show it"));
    ck_assert(has_warning(p, "a domain GPO"));
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_cert_free(&c);
    mgw_certopts_free(&co);
    mgw_key_free(&k);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(planning_a_compliant_state_yields_no_writes)
{
    mgw_regstate_t *st = gateway();
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_negotiate_client_cert(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 1, 0), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    ck_assert_uint_eq(mgw_regplan_change_count(p), 4);
    import_plan_file(st, p, MGW_REGPLAN_SECURITY);
    mgw_regplan_free(&p);
    p = plan_for(o, st);
    ck_assert_uint_eq(mgw_regplan_change_count(p), 0);
    ck_assert(!has_warning(p, "restart"));
    mgw_dbuf sec;
    reg_file(p, MGW_REGPLAN_SECURITY, &sec);
    ck_assert_uint_eq(sec.len, 2 + 2 * 40); /* BOM, header line, final blank line */
    mgw_dbuf_free(&sec);
    char *text = NULL;
    ck_assert_int_eq(mgw_regplan_describe(p, MGW_DESCRIBE_TEXT, &text), MGW_OK);
    ck_assert_ptr_nonnull(strstr(text, "Nothing to change"));
    mgw_free(text);
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(rollback_file_restores_the_exported_state_exactly)
{
    mgw_regstate_t *st = gateway();
    mgw_dbuf before, after;
    export_state(st, &before);
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_disable_tls13(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_issuer_store(o, "ClientAuthIssuer"), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 1, 1), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st);
    import_plan_file(st, p, MGW_REGPLAN_SECURITY);
    import_plan_file(st, p, MGW_REGPLAN_ROLLBACK);
    export_state(st, &after);
    ck_assert(before.len == after.len && memcmp(before.p, after.p, before.len) == 0);
    /* the backup is the export of the touched keys with their subkeys */
    mgw_dbuf backup;
    reg_file(p, MGW_REGPLAN_BACKUP, &backup);
    mgw_regdoc bd;
    ck_assert_int_eq(mgw_regdoc_parse(backup.p, backup.len, &bd), MGW_OK);
    ck_assert_ptr_nonnull(mgw_regdoc_find(&bd, SCHANNEL "\\Protocols\\TLS 1.0\\Server"));
    ck_assert_ptr_nonnull(mgw_regdoc_find(&bd, IP_BINDING));
    ck_assert_ptr_null(mgw_regdoc_find(&bd, BINDINGS "\\SslSniBindingInfo"));
    mgw_regdoc_free(&bd);
    mgw_dbuf_free(&backup);
    mgw_dbuf_free(&before);
    mgw_dbuf_free(&after);
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

START_TEST(plan_json_round_trips_and_detects_tampering)
{
    mgw_regstate_t *st = gateway();
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_issuer_store(o, "Client \"Auth\" \xc3\x84"), MGW_OK);
    mgw_regplan_t *p = plan_for(o, st), *q = NULL;
    char *json = NULL, *json2 = NULL, *fp = NULL, *fp2 = NULL, *t1 = NULL, *t2 = NULL;
    ck_assert_int_eq(mgw_regplan_describe(p, MGW_DESCRIBE_JSON, &json), MGW_OK);
    ck_assert_int_eq(mgw_regplan_load((uint8_t *)json, strlen(json), &q), MGW_OK);
    ck_assert_int_eq(mgw_regplan_describe(q, MGW_DESCRIBE_JSON, &json2), MGW_OK);
    ck_assert_str_eq(json, json2);
    ck_assert_int_eq(mgw_regplan_fingerprint(p, &fp), MGW_OK);
    ck_assert_int_eq(mgw_regplan_fingerprint(q, &fp2), MGW_OK);
    ck_assert_str_eq(fp, fp2);
    ck_assert_uint_eq(strlen(fp), 7 + 64);
    ck_assert_int_eq(mgw_regplan_describe(p, MGW_DESCRIBE_TEXT, &t1), MGW_OK);
    ck_assert_int_eq(mgw_regplan_describe(q, MGW_DESCRIBE_TEXT, &t2), MGW_OK);
    ck_assert_str_eq(t1, t2);
    uint8_t *b = NULL;
    size_t bn = 0;
    ck_assert_int_eq(mgw_regplan_reg_file(q, MGW_REGPLAN_BACKUP, &b, &bn), MGW_ERR_NOT_AVAILABLE);
    /* claim the first key did not exist: the fingerprint no longer matches */
    mgw_regplan_free(&q);
    char *tampered = malloc(strlen(json) + 2);
    char *at = strstr(json, "\"key_existed\": true");
    ck_assert_ptr_nonnull(at);
    sprintf(tampered, "%.*s\"key_existed\": false%s", (int)(at - json), json, at + 19);
    ck_assert_int_eq(mgw_regplan_load((uint8_t *)tampered, strlen(tampered), &q), MGW_ERR_REG_PLAN);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "fingerprint does not match"));
    /* every truncation is refused cleanly, read from an exact-size buffer: a number at
     * the very end was once read past it (libFuzzer found it; ASan with
     * strict_string_checks=1 shows it here) */
    for (size_t n = 0; n < strlen(json) - 2; n++) {
        uint8_t *exact = malloc(n + 1);
        memcpy(exact, json, n);
        ck_assert_int_eq(mgw_regplan_load(exact, n, &q), MGW_ERR_REG_PLAN);
        free(exact);
    }
    ck_assert_int_eq(
        mgw_regplan_load((const uint8_t *)"[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]", 48,
                         &q),
        MGW_ERR_REG_PLAN);
    free(tampered);
    mgw_free(json);
    mgw_free(json2);
    mgw_free(fp);
    mgw_free(fp2);
    mgw_free(t1);
    mgw_free(t2);
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

/* A plan file edited by hand, its fingerprint recomputed (it is not a
 * signature): p's first item gets `key`, or its label `label`. Returns the
 * result of loading the JSON. */
static int load_edited(mgw_regplan_t *p, const char *key, const char *label, const char *bom,
                       long long changes_delta)
{
    mgw_regitem *it = &p->items[0];
    char *old_key = it->key, *old_label = it->label;
    it->key = strdup(key != NULL ? key : old_key);
    it->label = strdup(label != NULL ? label : old_label);
    uint8_t old_fp[32];
    memcpy(old_fp, p->fingerprint, 32);
    ck_assert_int_eq(mgw_regplan_hash(p, p->fingerprint), MGW_OK);
    mgw_dbuf json;
    mgw_dbuf_init(&json);
    mgw_dbuf_puts(&json, bom);
    ck_assert_int_eq(mgw_regplan_to_json(p, &json), MGW_OK);
    if (changes_delta != 0) {
        char *at = test_memmem(json.p, json.len, "\"changes\": ", 11);
        ck_assert_ptr_nonnull(at);
        at[11] = (char)(at[11] + changes_delta);
    }
    mgw_regplan_t *q = NULL;
    int r = mgw_regplan_load(json.p, json.len, &q);
    if (r == MGW_OK) {
        char *j2 = NULL;
        ck_assert_int_eq(mgw_regplan_describe(q, MGW_DESCRIBE_JSON, &j2), MGW_OK);
        ck_assert(strncmp(j2, (const char *)json.p + strlen(bom), strlen(j2)) == 0);
        mgw_free(j2);
    }
    mgw_regplan_free(&q);
    mgw_dbuf_free(&json);
    free(it->key);
    free(it->label);
    it->key = old_key;
    it->label = old_label;
    memcpy(p->fingerprint, old_fp, 32);
    return r;
}

START_TEST(plan_files_cannot_inject_reg_lines)
{
    mgw_regstate_t *st = gateway();
    mgw_regopts_t *o = mgw_regopts_new();
    mgw_regplan_t *p = plan_for(o, st);
    static const char *const bad_keys[] = {
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\r\n\r\n[HKEY_LOCAL_MACHINE\\Evil]\r\n\"a\"=dword:1\r\n[HKEY_LOCAL_MACHINE\\Y",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\X\nY",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\X\x1b[2J",
        "SOFTWARE\\Microsoft",
        "HKLM\\SOFTWARE",
        "HKEY_LOCAL_MACHINE\\\\SOFTWARE",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\",
    };
    for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
        ck_assert_int_eq(load_edited(p, bad_keys[i], NULL, "", 0), MGW_ERR_REG_PLAN);
        ck_assert_msg(strstr(mgw_last_error(), "item 1: invalid key") != NULL, "%zu: %s", i,
                      mgw_last_error());
    }
    /* labels are shown on the terminal */
    ck_assert_int_eq(load_edited(p, NULL, "Trust\x1b]0;x\a", "", 0), MGW_ERR_REG_PLAN);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "control characters"));
    /* the count of changes must be the plan's */
    ck_assert_int_eq(load_edited(p, NULL, NULL, "", 1), MGW_ERR_REG_PLAN);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "changes does not match"));
    /* a plan saved with a UTF-8 byte-order mark is read */
    ck_assert_int_eq(load_edited(p, NULL, NULL, "\xef\xbb\xbf", 0), MGW_OK);
    ck_assert_int_eq(load_edited(p, NULL, NULL, "", 0), MGW_OK);
    /* whatever its source, the writer refuses a path that would break the format */
    mgw_regitem *it = &p->items[0];
    char *old_key = it->key;
    it->key = strdup(bad_keys[0]);
    uint8_t *reg = NULL;
    size_t n = 0;
    for (int which = MGW_REGPLAN_SECURITY; which <= MGW_REGPLAN_ROLLBACK; which++) {
        ck_assert_int_eq(mgw_regplan_reg_file(p, which, &reg, &n), MGW_ERR_REG_SYNTAX);
        ck_assert_ptr_null(reg);
        ck_assert_msg(strstr(mgw_last_error(), "<U+000D><U+000A>") != NULL, "%s", mgw_last_error());
        ck_assert_ptr_null(strchr(mgw_last_error(), '\n'));
    }
    free(it->key);
    it->key = old_key;
    mgw_regplan_free(&p);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}
END_TEST

/* ---- apply through the .reg-file back-end ---------------------------------------- */

typedef struct {
    char *dir, *state, *backup;
    uint8_t *orig;
    size_t orig_len;
    mgw_regplan_t *plan;
} applyfix;

static void applyfix_init(applyfix *f)
{
    f->dir = test_tmpdir();
    f->state = malloc(strlen(f->dir) + 32);
    f->backup = malloc(strlen(f->dir) + 32);
    sprintf(f->state, "%s/state.reg", f->dir);
    sprintf(f->backup, "%s/backup.reg", f->dir);
    mgw_regstate_t *st = gateway();
    mgw_dbuf e;
    export_state(st, &e);
    test_write(f->state, e.p, e.len);
    f->orig = malloc(e.len);
    memcpy(f->orig, e.p, e.len);
    f->orig_len = e.len;
    mgw_dbuf_free(&e);
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_negotiate_client_cert(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_regopts_set_root_autoupdate(o, 1, 1), MGW_OK);
    f->plan = plan_for(o, st);
    ck_assert_uint_eq(mgw_regplan_change_count(f->plan), 5);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
}

static void applyfix_free(applyfix *f)
{
    mgw_backend_regfile_inject_fault(MGW_FAULT_NONE, 0);
    mgw_regplan_free(&f->plan);
    test_rmtree(f->dir);
    free(f->dir);
    free(f->state);
    free(f->backup);
    free(f->orig);
}

static bool state_is_original(const applyfix *f)
{
    size_t n;
    uint8_t *now = test_read(f->state, &n);
    bool same = n == f->orig_len && memcmp(now, f->orig, n) == 0;
    free(now);
    return same;
}

START_TEST(apply_then_reapply_then_rollback)
{
    applyfix f;
    applyfix_init(&f);
    int changed = -1;
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, &changed), MGW_OK);
    ck_assert_str_eq(mgw_last_error(), "");
    ck_assert_int_eq(changed, 5);
    ck_assert(!state_is_original(&f));
    /* the backup was taken before the writes: the original touched keys */
    size_t bn;
    uint8_t *backup = test_read(f.backup, &bn);
    mgw_dbuf want;
    reg_file(f.plan, MGW_REGPLAN_BACKUP, &want);
    ck_assert(bn == want.len && memcmp(backup, want.p, bn) == 0);
    free(backup);
    mgw_dbuf_free(&want);
    /* the state file now plans to nothing */
    mgw_regstate_t *st = mgw_regstate_new();
    size_t sn;
    uint8_t *s = test_read(f.state, &sn);
    ck_assert_int_eq(mgw_regstate_import(st, s, sn), MGW_OK);
    free(s);
    mgw_regopts_t *o = mgw_regopts_new();
    mgw_regopts_set_negotiate_client_cert(o, 1);
    mgw_regopts_set_root_autoupdate(o, 1, 1);
    mgw_regplan_t *again = plan_for(o, st);
    ck_assert_uint_eq(mgw_regplan_change_count(again), 0);
    mgw_regplan_free(&again);
    mgw_regopts_free(&o);
    mgw_regstate_free(&st);
    /* applying again changes nothing and needs no backup */
    unlink(f.backup);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, &changed), MGW_OK);
    ck_assert_int_eq(changed, 0);
    ck_assert_int_ne(access(f.backup, F_OK), 0);
    /* the rollback brings back the original file, byte for byte */
    ck_assert_int_eq(mgw_regplan_rollback_file(f.plan, f.state, f.backup, 0, &changed), MGW_OK);
    ck_assert_int_eq(changed, 5);
    ck_assert(state_is_original(&f));
    ck_assert_int_eq(mgw_regplan_rollback_file(f.plan, f.state, f.backup, 0, &changed), MGW_OK);
    ck_assert_int_eq(changed, 0);
    applyfix_free(&f);
}
END_TEST

START_TEST(apply_refuses_unknown_flags)
{
    applyfix f;
    applyfix_init(&f);
    int changed = -1;
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0x100u, &changed),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "mgw_regplan_apply_file: unknown flags"));
    ck_assert_int_eq(mgw_regplan_rollback_file(f.plan, f.state, f.backup, 0x10u, &changed),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert(state_is_original(&f));
    ck_assert_int_ne(access(f.backup, F_OK), 0);
    applyfix_free(&f);
}
END_TEST

START_TEST(apply_refuses_when_the_registry_drifted)
{
    applyfix f;
    applyfix_init(&f);
    mgw_regstate_t *st = mgw_regstate_new();
    ck_assert_int_eq(mgw_regstate_import(st, f.orig, f.orig_len), MGW_OK);
    import_text(st, "[" SCHANNEL "]\n\"ClientAuthTrustMode\"=dword:00000001\n");
    mgw_dbuf e;
    export_state(st, &e);
    test_write(f.state, e.p, e.len);
    int changed = -1;
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, &changed),
                     MGW_ERR_REG_DRIFT);
    ck_assert_int_eq(changed, -1);
    ck_assert_str_eq(mgw_last_error(),
                     "SCHANNEL\\ClientAuthTrustMode is 0x00000001 (1) where the plan expects "
                     "absent; the registry changed since the plan was made: plan again");
    size_t n;
    uint8_t *now = test_read(f.state, &n);
    ck_assert(n == e.len && memcmp(now, e.p, n) == 0); /* untouched */
    ck_assert_int_ne(access(f.backup, F_OK), 0);       /* and no backup written */
    free(now);
    /* a key that appeared counts as drift too */
    mgw_regstate_free(&st);
    st = mgw_regstate_new();
    ck_assert_int_eq(mgw_regstate_import(st, f.orig, f.orig_len), MGW_OK);
    import_text(st, "[" AUTHROOT "]\n");
    mgw_dbuf_free(&e);
    export_state(st, &e);
    test_write(f.state, e.p, e.len);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, &changed),
                     MGW_ERR_REG_DRIFT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "expects absent with its key"));
    mgw_dbuf_free(&e);
    mgw_regstate_free(&st);
    applyfix_free(&f);
}
END_TEST

START_TEST(a_failure_mid_apply_restores_the_before_state)
{
    for (unsigned skip = 0; skip < 5; skip++) {
        applyfix f;
        applyfix_init(&f);
        mgw_backend_regfile_inject_fault(MGW_FAULT_FAIL, skip);
        int changed = -1;
        ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, &changed),
                         MGW_ERR_IO);
        ck_assert_ptr_nonnull(strstr(mgw_last_error(), "injected fault"));
        ck_assert_ptr_nonnull(strstr(mgw_last_error(), "the previous state was restored"));
        ck_assert(state_is_original(&f));
        ck_assert_int_eq(access(f.backup, F_OK), 0);
        applyfix_free(&f);
    }
}
END_TEST

START_TEST(a_write_that_does_not_take_is_caught_and_restored)
{
    applyfix f;
    applyfix_init(&f);
    mgw_backend_regfile_inject_fault(MGW_FAULT_CORRUPT, 2);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, NULL),
                     MGW_ERR_REG_VERIFY);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "the write did not take"));
    ck_assert(state_is_original(&f));
    applyfix_free(&f);
}
END_TEST

START_TEST(a_failing_restore_says_so_and_names_the_backup)
{
    applyfix f;
    applyfix_init(&f);
    mgw_backend_regfile_inject_fault(MGW_FAULT_FAIL_ALL, 3);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, NULL),
                     MGW_ERR_REG_RESTORE);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), f.backup));
    /* the message says each part once: the failure, the failed restore and why */
    const char *msg = mgw_last_error();
    ck_assert_msg(strncmp(msg, "writing ", 8) == 0 || strncmp(msg, "deleting ", 9) == 0, "%s", msg);
    size_t faults = 0;
    for (const char *q = msg; (q = strstr(q, "injected fault")) != NULL; q++)
        faults++;
    ck_assert_uint_eq(faults, 2);
    const char *mid = strstr(msg, "; restoring the previous state failed as well (");
    ck_assert_ptr_nonnull(mid);
    ck_assert_msg(strstr(mid + 3, "restoring the previous state") == NULL, "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "): restore the keys from "));
    mgw_backend_regfile_inject_fault(MGW_FAULT_NONE, 0);
    /* the state is half applied: neither side, so a new apply refuses */
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, MGW_FILE_FORCE, NULL),
                     MGW_ERR_REG_DRIFT);
    applyfix_free(&f);
}
END_TEST

START_TEST(apply_needs_a_readable_registry_file_and_a_free_backup_path)
{
    applyfix f;
    applyfix_init(&f);
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/none.reg", f.dir);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, missing, f.backup, 0, NULL), MGW_ERR_NOT_FOUND);
    test_write(f.backup, "x", 1);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, 0, NULL), MGW_ERR_EXISTS);
    ck_assert(state_is_original(&f));
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, MGW_FILE_FORCE, NULL),
                     MGW_OK);
    test_write(f.state, "garbage", 7);
    ck_assert_int_eq(mgw_regplan_apply_file(f.plan, f.state, f.backup, MGW_FILE_FORCE, NULL),
                     MGW_ERR_REG_SYNTAX);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "line 1: not a registry file"));
    applyfix_free(&f);
}
END_TEST

START_TEST(a_managed_value_of_another_type_is_refused)
{
    static const char *const bad[] = {
        "[" IP_BINDING "]\n\"DefaultSslCertCheckMode\"=\"0\"\n",
        "[" IP_BINDING "]\n\"DefaultFlags\"=hex:02,00\n",
        "[" SCHANNEL "]\n\"ClientAuthTrustMode\"=hex(b):02,00,00,00,00,00,00,00\n",
    };
    static const char *const what[] = {"DefaultSslCertCheckMode is a REG_SZ of 4 bytes",
                                       "DefaultFlags is a REG_BINARY of 2 bytes",
                                       "ClientAuthTrustMode is a REG_QWORD of 8 bytes"};
    mgw_regopts_t *o = mgw_regopts_new();
    ck_assert_int_eq(mgw_regopts_set_negotiate_client_cert(o, 1), MGW_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mgw_regstate_t *st = gateway();
        import_text(st, bad[i]);
        mgw_regplan_t *p = NULL;
        ck_assert_int_eq(mgw_regplan_compute(o, st, &p), MGW_ERR_REG_TYPE);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(mgw_last_error(), what[i]) != NULL, "%s", mgw_last_error());
        ck_assert_ptr_nonnull(strstr(mgw_last_error(), "where a REG_DWORD is expected"));
        mgw_regstate_free(&st);
    }
    mgw_regopts_free(&o);
}
END_TEST

START_TEST(error_codes_are_pinned)
{
    ck_assert_int_eq(MGW_ERR_REG_SYNTAX, -400);
    ck_assert_int_eq(MGW_ERR_REG_NO_BINDING, -401);
    ck_assert_int_eq(MGW_ERR_REG_DRIFT, -402);
    ck_assert_int_eq(MGW_ERR_REG_VERIFY, -403);
    ck_assert_int_eq(MGW_ERR_REG_RESTORE, -404);
    ck_assert_int_eq(MGW_ERR_REG_PLAN, -405);
    ck_assert_int_eq(MGW_ERR_REG_TYPE, -406);
    for (int c = -406; c <= -400; c++)
        ck_assert_str_ne(mgw_strerror(c), "unknown error");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("regplan");
    TCase *t = tcase_create("regplan");
    tcase_add_test(t, default_plan_is_the_procedure);
    tcase_add_test(t, every_option_changes_its_value_only);
    tcase_add_test(t, options_are_validated);
    tcase_add_test(t, sni_binding_is_found_by_its_hostname_port);
    tcase_add_test(t, missing_binding_is_an_error_naming_the_sni_bindings);
    tcase_add_test(t, pitfall_warnings);
    tcase_add_test(t, sni_binding_without_hostname_port_is_found_by_its_key_name);
    tcase_add_test(t, ccs_bindings_are_planned_like_the_others);
    tcase_add_test(t, check_mode_is_a_set_of_bits);
    tcase_add_test(t, the_table_names_every_bit);
    tcase_add_test(t, planning_a_compliant_state_yields_no_writes);
    tcase_add_test(t, rollback_file_restores_the_exported_state_exactly);
    tcase_add_test(t, plan_json_round_trips_and_detects_tampering);
    tcase_add_test(t, plan_files_cannot_inject_reg_lines);
    tcase_add_test(t, apply_then_reapply_then_rollback);
    tcase_add_test(t, apply_refuses_unknown_flags);
    tcase_add_test(t, apply_refuses_when_the_registry_drifted);
    tcase_add_test(t, a_failure_mid_apply_restores_the_before_state);
    tcase_add_test(t, a_write_that_does_not_take_is_caught_and_restored);
    tcase_add_test(t, a_failing_restore_says_so_and_names_the_backup);
    tcase_add_test(t, apply_needs_a_readable_registry_file_and_a_free_backup_path);
    tcase_add_test(t, a_managed_value_of_another_type_is_refused);
    tcase_add_test(t, error_codes_are_pinned);
    suite_add_tcase(s, t);
    return test_run(s);
}
