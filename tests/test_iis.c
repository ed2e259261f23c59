/* Suite "iis": the XML reader on real and hostile input (line and column in
 * every error, nothing half-read), the model, the planner's byte-preserving
 * edits, plan files, and apply/rollback through the shared engine with
 * drift refusal and injected faults. */
#include "iis/iis.h"
#include "apply/iisapply.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint8_t *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/iis/%s", MGW_TEST_DATA_DIR, name);
    uint8_t *p = test_read(path, len);
    ck_assert_msg(p != NULL, "missing fixture %s", path);
    return p;
}

static mgw_iisconfig_t *parse_fixture(const char *name)
{
    size_t len;
    uint8_t *data = fixture(name, &len);
    mgw_iisconfig_t *c = NULL;
    ck_assert_msg(mgw_iisconfig_parse(data, len, &c) == MGW_OK, "%s: %s", name, mgw_last_error());
    free(data);
    return c;
}

static mgw_iisplan_t *plan_with(const char *name, bool tls13)
{
    mgw_iisconfig_t *c = parse_fixture(name);
    mgw_iisopts_t *o = mgw_iisopts_new();
    ck_assert_int_eq(mgw_iisopts_set_disable_tls13(o, tls13), MGW_OK);
    mgw_iisplan_t *p = NULL;
    ck_assert_msg(mgw_iisplan_compute(o, c, &p) == MGW_OK, "%s: %s", name, mgw_last_error());
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&c);
    return p;
}

/* Parse text that must fail with `code` and a detail containing `detail`. */
static void refused(const char *text, size_t len, int code, const char *detail)
{
    mgw_iisconfig_t *c = NULL;
    int r = mgw_iisconfig_parse((const uint8_t *)text, len, &c);
    ck_assert_msg(r == code, "expected %d, got %d (%s) for: %.60s", code, r, mgw_last_error(),
                  text);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(mgw_last_error(), detail) != NULL, "detail \"%s\" lacks \"%s\"",
                  mgw_last_error(), detail);
}

static void refused_str(const char *text, const char *detail)
{
    refused(text, strlen(text), MGW_ERR_IIS_XML, detail);
}

START_TEST(every_fixture_reads_with_its_sites_bindings_and_locations)
{
    static const char *const names[] = {
        "applicationHost.config", "bom-crlf.config", "bom-lf.config", "crlf.config", "sni.config",
        "weakening-child.config", "compliant.config"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        mgw_iisconfig_t *c = parse_fixture(names[i]);
        ck_assert_uint_eq(c->n_sites, 1);
        ck_assert_str_eq(c->sites[0].name, "Default Web Site");
        ck_assert_str_eq(c->sites[0].id, "1");
        ck_assert_uint_ge(c->sites[0].n_bindings, 2);
        ck_assert_str_eq(c->sites[0].bindings[0].protocol, "http");
        ck_assert(c->has_global && c->global_flags == 0);
        ck_assert_int_eq(c->doc.bom, strncmp(names[i], "bom", 3) == 0);
        ck_assert_str_eq(c->doc.eol, strstr(names[i], "crlf") != NULL ? "\r\n" : "\n");
        mgw_iisconfig_free(&c);
    }
    mgw_iisconfig_t *c = parse_fixture("weakening-child.config");
    ck_assert_uint_eq(c->n_locations, 4);
    ck_assert_str_eq(c->locations[1].path, "Default Web Site/Microsoft-Server-ActiveSync");
    ck_assert(c->locations[1].has_flags);
    ck_assert_uint_eq(c->locations[1].flags, 8 | 256);
    ck_assert_uint_eq(c->locations[2].flags, 32 | 64);
    ck_assert(!c->locations[0].has_flags);
    mgw_iisconfig_free(&c);
    c = parse_fixture("sni.config");
    ck_assert_uint_eq(c->sites[0].n_bindings, 3);
    ck_assert(!c->sites[0].bindings[1].has_flags);
    ck_assert_str_eq(c->sites[0].bindings[2].info, "*:443:mail.example.com");
    ck_assert_uint_eq(c->sites[0].bindings[2].flags, MGW_IISBINDING_SNI);
    mgw_iisconfig_free(&c);
}
END_TEST

START_TEST(sslflags_read_as_names_or_numbers_and_unknown_names_are_refused)
{
    uint32_t f;
    bool numeric;
    ck_assert_int_eq(
        mgw_iisflags_parse(MGW_FLAGS_ACCESS, "Ssl, SslNegotiateCert,SslRequireCert", &f, &numeric),
        MGW_OK);
    ck_assert_uint_eq(f, 104);
    ck_assert(!numeric);
    ck_assert_int_eq(mgw_iisflags_parse(MGW_FLAGS_ACCESS, "ssl128", &f, &numeric), MGW_OK);
    ck_assert_uint_eq(f, 256);
    ck_assert_int_eq(mgw_iisflags_parse(MGW_FLAGS_ACCESS, "None", &f, &numeric), MGW_OK);
    ck_assert_uint_eq(f, 0);
    ck_assert_int_eq(mgw_iisflags_parse(MGW_FLAGS_BINDING, "97", &f, &numeric), MGW_OK);
    ck_assert_uint_eq(f, 97);
    ck_assert(numeric);
    ck_assert_int_eq(mgw_iisflags_parse(MGW_FLAGS_BINDING, "Sni, DisableTLS13", &f, &numeric),
                     MGW_OK);
    ck_assert_uint_eq(f, 33);
    ck_assert_int_ne(mgw_iisflags_parse(MGW_FLAGS_ACCESS, "Ssl, Sni", &f, &numeric), MGW_OK);
    ck_assert_int_ne(mgw_iisflags_parse(MGW_FLAGS_ACCESS, "Ssl,", &f, &numeric), MGW_OK);
    ck_assert_int_ne(mgw_iisflags_parse(MGW_FLAGS_BINDING, "99999999999", &f, &numeric), MGW_OK);
    ck_assert_int_ne(mgw_iisflags_parse(MGW_FLAGS_BINDING, "3x", &f, &numeric), MGW_OK);
    const char *doc = "<configuration>\n<location path=\"S\"><system.webServer><security>\n"
                      "  <access sslFlags=\"Ssl, Bogus\" />\n</security></system.webServer>"
                      "</location></configuration>";
    refused(doc, strlen(doc), MGW_ERR_IIS_CONFIG, "line 3, column 21: access sslFlags");
}
END_TEST

START_TEST(hostile_xml_gets_line_and_column)
{
    refused_str("<configuration>\n  <a>\n</configuration>", "line 3, column 1: the end tag");
    refused_str("<configuration>\n  <a x=\"1\">", "the file ends inside <a> (opened at line 2, "
                                                  "column 3)");
    refused_str("<configuration><a x=\"1", "not closed");
    refused_str("<configuration", "line 1, column 1: the start tag is not closed");
    refused_str("", "no root element");
    refused_str("   \n", "no root element");
    refused_str("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
                " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n"
                "<configuration>&lol2;</configuration>",
                "line 2, column 1: a DOCTYPE");
    refused_str("<configuration a=\"&xxe;\" />", "line 1, column 19: an entity reference");
    refused_str("<configuration>&#0;</configuration>", "column 16: a character reference");
    refused_str("<configuration>&#xD800;</configuration>", "a character reference");
    refused_str("<configuration>&#99999999999;</configuration>", "malformed character");
    refused_str("<configuration a=\"1\" a=\"2\" />", "line 1, column 22: an attribute given twice");
    refused_str("<configuration a=\"<\" />", "'<' inside an attribute value");
    refused_str("<configuration a=1 />", "a quoted attribute value");
    refused_str("<configuration a=\"1\"b=\"2\" />", "white space was expected");
    refused_str("<configuration/><second/>", "a second root element");
    refused_str("<configuration/>trailing", "text after the root element");
    refused_str("junk<configuration/>", "line 1, column 1: text before the root element");
    refused_str("<configuration><!-- a -- b --></configuration>", "\"--\" inside a comment");
    refused_str("<configuration><!-- open", "the comment is not closed");
    refused_str("<configuration><![CDATA[ open", "the CDATA section is not closed");
    refused_str("<configuration>]]></configuration>", "\"]]>\" in text");
    refused_str("\n<?xml version=\"1.0\"?><configuration/>", "line 2, column 1: an XML "
                                                             "declaration");
    refused_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><configuration/>",
                "line 1, column 31: an encoding other than UTF-8");
    refused_str("<configuration>\n\x01</configuration>", "line 2, column 1: a control character");
    refused_str("<configuration>\n caf\xe9</configuration>", "line 2, column 5: not UTF-8");
    refused_str("<configuration>\n h\xc3\xa9\xc3\xa9 \xff</configuration>",
                "line 2, column 6: not UTF-8");
    refused_str("<configuration><!ELEMENT x ANY></configuration>", "markup declarations");
    refused("<\0c\0o\0n\0f\0/\0>\0", 14, MGW_ERR_IIS_XML, "line 1, column 2: a NUL byte");
    refused("\xff\xfe<\0c\0/\0>\0", 10, MGW_ERR_IIS_XML, "line 1, column 1: the file is UTF-16");
    refused("\xfe\xff\0<\0c\0/\0>", 10, MGW_ERR_IIS_XML, "UTF-16");
    /* the BOM is not a column */
    refused_str("\xef\xbb\xbfjunk<configuration/>", "line 1, column 1: text before");
    mgw_iisconfig_t *c = NULL;
    ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)"<root/>", 7, &c), MGW_ERR_IIS_CONFIG);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(mgw_iisconfig_parse(NULL, 0, &c), MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(caps_on_depth_attributes_and_size)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    for (int i = 0; i < 65; i++)
        mgw_dbuf_puts(&b, "<a>");
    refused((const char *)b.p, b.len, MGW_ERR_IIS_XML,
            "line 1, column 193: elements nested "
            "deeper than 64");
    mgw_dbuf_free(&b);
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "<configuration");
    for (int i = 0; i < 257; i++)
        mgw_dbuf_printf(&b, " a%d=\"1\"", i);
    mgw_dbuf_puts(&b, "/>");
    refused((const char *)b.p, b.len, MGW_ERR_IIS_XML, "more than 256 attributes");
    mgw_dbuf_free(&b);
    size_t big = MGW_IIS_MAX_FILE + 1;
    char *huge = malloc(big);
    ck_assert_ptr_nonnull(huge);
    memset(huge, ' ', big);
    memcpy(huge, "<configuration>", 15);
    refused(huge, big, MGW_ERR_TOO_LARGE, "larger than");
    free(huge);
    ck_assert_uint_eq(mgw_iis_max_file_size(), MGW_IIS_MAX_FILE);
}
END_TEST

START_TEST(entities_and_cdata_are_read_and_kept)
{
    const char *doc = "<?xml version='1.0' encoding='utf-8'?><?other pi?>\n<configuration>"
                      "<![CDATA[ <not> & markup ]]>"
                      "<system.applicationHost><sites><site name=\"R&amp;D &#x263A;\t&lt;x&gt;\" "
                      "id='2'><bindings><binding protocol=\"https\" bindingInformation="
                      "\"*:443:a&quot;b\" /></bindings></site></sites></system.applicationHost>"
                      "</configuration>";
    mgw_iisconfig_t *c = NULL;
    ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)doc, strlen(doc), &c), MGW_OK);
    ck_assert_str_eq(c->sites[0].name, "R&D \xe2\x98\xba <x>");
    ck_assert_str_eq(c->sites[0].bindings[0].info, "*:443:a\"b");
    mgw_iisconfig_free(&c);
}
END_TEST

/* The desired file is the input with `added` inserted at one place and
 * nothing else changed. */
static void assert_only_change(const mgw_iisplan_t *p, const char *added)
{
    size_t an = strlen(added);
    ck_assert_uint_eq(p->desired_len, p->before_len + an);
    for (size_t k = 0; k <= p->before_len; k++)
        if (memcmp(p->desired, p->before, k) == 0 && memcmp(p->desired + k, added, an) == 0 &&
            memcmp(p->desired + k + an, p->before + k, p->before_len - k) == 0)
            return;
    ck_abort_msg("the desired file is not the input with \"%s\" inserted", added);
}

START_TEST(the_site_gets_its_access_element_indented_like_its_neighbours)
{
    mgw_iisplan_t *p = plan_with("applicationHost.config", false);
    ck_assert_uint_eq(mgw_iisplan_change_count(p), 1);
    assert_only_change(p, "\n                <access sslFlags=\"Ssl, SslNegotiateCert, "
                          "SslRequireCert\" />");
    ck_assert_str_eq(p->items[0].before_text, "");
    ck_assert_uint_eq(p->items[0].after, 104);
    ck_assert_int_eq(p->items[1].action, MGW_IISACT_KEEP);
    mgw_iisplan_free(&p);
    p = plan_with("bom-crlf.config", false);
    ck_assert_mem_eq(p->desired, "\xef\xbb\xbf<?xml", 8);
    assert_only_change(p, "\r\n                <access sslFlags=\"Ssl, SslNegotiateCert, "
                          "SslRequireCert\" />");
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(disable_tls13_rewrites_the_binding_attribute_in_place_and_keeps_other_bits)
{
    mgw_iisplan_t *p = plan_with("sni.config", true);
    ck_assert_uint_eq(mgw_iisplan_change_count(p), 3);
    ck_assert_ptr_nonnull(test_memmem(p->desired, p->desired_len,
                                      "bindingInformation=\"*:443:\" sslFlags=\"32\" />", 41));
    ck_assert_ptr_nonnull(
        test_memmem(p->desired, p->desired_len, "mail.example.com\" sslFlags=\"33\" />", 34));
    /* no location for the site: a new one after the last, before </configuration> */
    const char *loc = "    </location>\n    <location path=\"Default Web Site\">\n"
                      "        <system.webServer>\n            <security>\n"
                      "                <access sslFlags=\"Ssl, SslNegotiateCert, "
                      "SslRequireCert\" />\n            </security>\n"
                      "        </system.webServer>\n    </location>\n</configuration>\n";
    size_t n = strlen(loc);
    ck_assert_uint_ge(p->desired_len, n);
    ck_assert_mem_eq(p->desired + p->desired_len - n, loc, n);
    mgw_iisplan_free(&p);
    /* one binding chosen: only that one */
    mgw_iisconfig_t *c = parse_fixture("sni.config");
    mgw_iisopts_t *o = mgw_iisopts_new();
    mgw_iisopts_set_disable_tls13(o, 1);
    ck_assert_int_eq(mgw_iisopts_add_binding(o, "*:443:MAIL.example.com"), MGW_OK);
    ck_assert_int_eq(mgw_iisplan_compute(o, c, &p), MGW_OK);
    ck_assert_uint_eq(p->n_items, 2);
    ck_assert_uint_eq(p->items[1].after, 33);
    mgw_iisplan_free(&p);
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&c);
}
END_TEST

static const void *find(const uint8_t *s, size_t n, const char *lit, size_t ignored)
{
    (void)ignored;
    return test_memmem(s, n, lit, strlen(lit));
}

static bool has_warning(const mgw_iisplan_t *p, const char *text)
{
    for (size_t i = 0; i < p->n_warnings; i++)
        if (strstr(p->warnings[i], text) != NULL)
            return true;
    return false;
}

START_TEST(weakening_child_locations_are_listed_and_raised)
{
    mgw_iisplan_t *p = plan_with("weakening-child.config", false);
    ck_assert_uint_eq(mgw_iisplan_change_count(p), 3);
    ck_assert_str_eq(p->items[1].where, "Default Web Site/Microsoft-Server-ActiveSync");
    ck_assert_str_eq(p->items[1].after_text, "Ssl, SslNegotiateCert, SslRequireCert, Ssl128");
    ck_assert_str_eq(p->items[2].after_text, "Ssl, SslNegotiateCert, SslRequireCert");
    ck_assert(has_warning(p, "weakened the site"));
    ck_assert(has_warning(p, "\"Default Web Site/EWS\" has SslRequireCert without Ssl"));
    ck_assert(has_warning(p, "\"Old Site/owa\" names no site"));
    ck_assert(has_warning(p, "HTTP 413"));
    ck_assert(has_warning(p, "TLS 1.3 over TCP on"));
    /* the old site's location is not touched */
    ck_assert_ptr_nonnull(test_memmem(p->desired, p->desired_len,
                                      "<location path=\"Old Site/owa\">\n        <system.webServer>"
                                      "\n            <security>\n"
                                      "                <access sslFlags=\"Ssl\" />",
                                      110));
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(a_compliant_file_yields_no_changes_and_replanning_the_desired_file_too)
{
    mgw_iisplan_t *p = plan_with("compliant.config", true);
    ck_assert_uint_eq(mgw_iisplan_change_count(p), 0);
    ck_assert_uint_eq(p->before_len, p->desired_len);
    ck_assert_mem_eq(p->before, p->desired, p->before_len);
    mgw_iisplan_free(&p);
    static const char *const names[] = {"applicationHost.config", "bom-crlf.config", "sni.config",
                                        "weakening-child.config"};
    for (size_t i = 0; i < 4; i++) {
        p = plan_with(names[i], true);
        mgw_iisconfig_t *c = NULL;
        ck_assert_int_eq(mgw_iisconfig_parse(p->desired, p->desired_len, &c), MGW_OK);
        mgw_iisopts_t *o = mgw_iisopts_new();
        mgw_iisopts_set_disable_tls13(o, 1);
        mgw_iisplan_t *again = NULL;
        ck_assert_int_eq(mgw_iisplan_compute(o, c, &again), MGW_OK);
        ck_assert_uint_eq(mgw_iisplan_change_count(again), 0);
        mgw_iisplan_free(&again);
        mgw_iisopts_free(&o);
        mgw_iisconfig_free(&c);
        mgw_iisplan_free(&p);
    }
}
END_TEST

START_TEST(missing_sites_and_bindings_are_errors_naming_what_exists)
{
    mgw_iisconfig_t *c = parse_fixture("sni.config");
    mgw_iisopts_t *o = mgw_iisopts_new();
    mgw_iisplan_t *p = NULL;
    ck_assert_int_eq(mgw_iisopts_set_site(o, "Exchange Back End"), MGW_OK);
    ck_assert_int_eq(mgw_iisplan_compute(o, c, &p), MGW_ERR_IIS_NOT_FOUND);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "the file has \"Default Web Site\""));
    ck_assert_int_eq(mgw_iisopts_set_site(o, "default web site"), MGW_OK);
    ck_assert_int_eq(mgw_iisopts_add_binding(o, "*:8443:"), MGW_OK);
    ck_assert_int_eq(mgw_iisplan_compute(o, c, &p), MGW_ERR_IIS_NOT_FOUND);
    ck_assert_ptr_nonnull(
        strstr(mgw_last_error(), "its https bindings: \"*:443:\", \"*:443:mail.example.com\""));
    ck_assert_int_eq(mgw_iisopts_set_site(o, "a/b"), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_iisopts_set_site(o, ""), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_iisopts_add_binding(o, "a\nb"), MGW_ERR_INVALID_ARGUMENT);
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&c);
    const char *doc = "<configuration><system.applicationHost><sites><site name=\"S\" id=\"1\">"
                      "<bindings><binding protocol=\"http\" bindingInformation=\"*:80:\" />"
                      "</bindings></site></sites></system.applicationHost></configuration>";
    ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)doc, strlen(doc), &c), MGW_OK);
    o = mgw_iisopts_new();
    mgw_iisopts_set_site(o, "S");
    ck_assert_int_eq(mgw_iisplan_compute(o, c, &p), MGW_ERR_IIS_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "no https binding"));
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&c);
}
END_TEST

START_TEST(insertion_into_empty_and_self_closing_parents_and_numeric_values)
{
    const char *doc = "<configuration>\n\t<system.applicationHost>\n\t\t<sites>\n"
                      "\t\t\t<site name=\"S\" id=\"1\"><bindings><binding protocol=\"https\" "
                      "bindingInformation=\"*:443:\" sslFlags=\"Sni\" /></bindings></site>\n"
                      "\t\t</sites>\n\t</system.applicationHost>\n"
                      "\t<location path=\"S\" />\n"
                      "\t<location path=\"S/a\"><system.webServer><security><access "
                      "sslFlags=\"8\"/></security></system.webServer></location>\n"
                      "</configuration>\n";
    mgw_iisconfig_t *c = NULL;
    ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)doc, strlen(doc), &c), MGW_OK);
    mgw_iisopts_t *o = mgw_iisopts_new();
    mgw_iisopts_set_site(o, "S");
    mgw_iisopts_set_disable_tls13(o, 1);
    mgw_iisplan_t *p = NULL;
    ck_assert_int_eq(mgw_iisplan_compute(o, c, &p), MGW_OK);
    const char *want =
        "<configuration>\n\t<system.applicationHost>\n\t\t<sites>\n"
        "\t\t\t<site name=\"S\" id=\"1\"><bindings><binding protocol=\"https\" "
        "bindingInformation=\"*:443:\" sslFlags=\"Sni, DisableTLS13\" /></bindings></site>\n"
        "\t\t</sites>\n\t</system.applicationHost>\n"
        "\t<location path=\"S\">\n\t\t<system.webServer>\n\t\t\t<security>\n"
        "\t\t\t\t<access sslFlags=\"Ssl, SslNegotiateCert, SslRequireCert\" />\n"
        "\t\t\t</security>\n\t\t</system.webServer>\n\t</location>\n"
        "\t<location path=\"S/a\"><system.webServer><security><access "
        "sslFlags=\"104\"/></security></system.webServer></location>\n"
        "</configuration>\n";
    ck_assert_uint_eq(p->desired_len, strlen(want));
    ck_assert_mem_eq(p->desired, want, strlen(want));
    mgw_iisplan_free(&p);
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&c);
}
END_TEST

START_TEST(plan_files_round_trip_and_tampering_is_caught)
{
    mgw_iisplan_t *p = plan_with("weakening-child.config", true);
    char *json = NULL;
    ck_assert_int_eq(mgw_iisplan_describe(p, MGW_DESCRIBE_JSON, &json), MGW_OK);
    mgw_iisplan_t *q = NULL;
    size_t jl = strlen(json);
    ck_assert_int_eq(mgw_iisplan_load((uint8_t *)json, jl, p->desired, p->desired_len, p->before,
                                      p->before_len, &q),
                     MGW_OK);
    ck_assert_mem_eq(q->fingerprint, p->fingerprint, 32);
    ck_assert_uint_eq(mgw_iisplan_change_count(q), mgw_iisplan_change_count(p));
    ck_assert_uint_eq(mgw_iisplan_warning_count(q), mgw_iisplan_warning_count(p));
    mgw_iisplan_free(&q);
    /* the two files swapped */
    ck_assert_int_eq(mgw_iisplan_load((uint8_t *)json, jl, p->before, p->before_len, p->desired,
                                      p->desired_len, &q),
                     MGW_ERR_IIS_PLAN);
    ck_assert_ptr_null(q);
    /* a changed value */
    char *at = strstr(json, "\"after\": 360");
    ck_assert_ptr_nonnull(at);
    at[11] = '1';
    ck_assert_int_eq(mgw_iisplan_load((uint8_t *)json, jl, p->desired, p->desired_len, p->before,
                                      p->before_len, &q),
                     MGW_ERR_IIS_PLAN);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "fingerprint"));
    at[11] = '0';
    ck_assert_int_eq(mgw_iisplan_load((uint8_t *)json, jl - 3, p->desired, p->desired_len,
                                      p->before, p->before_len, &q),
                     MGW_ERR_IIS_PLAN);
    mgw_free(json);
    char *fp = NULL;
    ck_assert_int_eq(mgw_iisplan_fingerprint(p, &fp), MGW_OK);
    ck_assert_uint_eq(strlen(fp), 71);
    mgw_free(fp);
    mgw_iisplan_free(&p);
}
END_TEST

static char *write_tmp(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    test_write(path, data, len);
    return path;
}

static void assert_file(const char *path, const uint8_t *data, size_t len)
{
    size_t n;
    uint8_t *got = test_read(path, &n);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(n, len);
    ck_assert_mem_eq(got, data, len);
    free(got);
}

START_TEST(apply_reapply_rollback_and_drift)
{
    mgw_iisplan_t *p = plan_with("bom-crlf.config", true);
    char *dir = test_tmpdir();
    char *cfg = write_tmp(dir, "applicationHost.config", p->before, p->before_len);
    char backup[600];
    snprintf(backup, sizeof(backup), "%s/backup1", dir);
    int changed = -1;
    /* flags other than the file flags are refused, nothing written */
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, 0x100u, &changed),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "mgw_iisplan_apply_file: unknown flags"));
    assert_file(cfg, p->before, p->before_len);
    ck_assert_int_ne(access(backup, F_OK), 0);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, 0, &changed), MGW_OK);
    ck_assert_int_eq(changed, 2);
    assert_file(cfg, p->desired, p->desired_len);
    assert_file(backup, p->before, p->before_len);
    /* twice: nothing changed, no backup needed */
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, 0, &changed), MGW_OK);
    ck_assert_int_eq(changed, 0);
    /* the backup path is taken: refused without force, nothing written */
    ck_assert_int_eq(mgw_iisplan_rollback_file(p, cfg, backup, 0, &changed), MGW_ERR_EXISTS);
    assert_file(cfg, p->desired, p->desired_len);
    ck_assert_int_eq(mgw_iisplan_rollback_file(p, cfg, backup, MGW_FILE_FORCE, &changed), MGW_OK);
    ck_assert_int_eq(changed, 2);
    assert_file(cfg, p->before, p->before_len);
    assert_file(backup, p->desired, p->desired_len);
    /* drift: one byte more, refused both ways, file untouched */
    uint8_t *drifted = malloc(p->before_len + 1);
    memcpy(drifted, p->before, p->before_len);
    drifted[p->before_len] = '\n';
    test_write(cfg, drifted, p->before_len + 1);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, MGW_FILE_FORCE, &changed),
                     MGW_ERR_IIS_DRIFT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "other bytes changed"));
    assert_file(cfg, drifted, p->before_len + 1);
    /* drift in a setting is named */
    char *text = strndup((char *)p->before, p->before_len);
    char *flag = strstr(text, "sslFlags=\"0\"");
    ck_assert_ptr_nonnull(flag);
    flag[10] = '1';
    test_write(cfg, text, p->before_len);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, MGW_FILE_FORCE, &changed),
                     MGW_ERR_IIS_DRIFT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "binding https *:443: sslFlags is 1 where"));
    free(text);
    free(drifted);
    /* a missing file */
    snprintf(backup, sizeof(backup), "%s/none", dir);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, backup, backup, 0, &changed), MGW_ERR_NOT_FOUND);
    ck_assert_int_eq(mgw_iisplan_apply_live(p, backup, 0, &changed), MGW_ERR_NOT_AVAILABLE);
    free(cfg);
    test_rmtree(dir);
    free(dir);
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(failed_and_corrupt_writes_are_restored_and_a_failed_restore_names_the_backup)
{
    mgw_iisplan_t *p = plan_with("applicationHost.config", true);
    char *dir = test_tmpdir();
    char *cfg = write_tmp(dir, "applicationHost.config", p->before, p->before_len);
    char backup[600];
    snprintf(backup, sizeof(backup), "%s/b", dir);
    int changed = -1;
    mgw_iis_inject_fault(MGW_FAULT_FAIL, 0);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, MGW_FILE_FORCE, &changed), MGW_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "the previous state was restored"));
    assert_file(cfg, p->before, p->before_len);
    mgw_iis_inject_fault(MGW_FAULT_CORRUPT, 0);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, MGW_FILE_FORCE, &changed),
                     MGW_ERR_IIS_VERIFY);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "the write did not take"));
    assert_file(cfg, p->before, p->before_len);
    mgw_iis_inject_fault(MGW_FAULT_CORRUPT, 0);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, MGW_FILE_FORCE, &changed),
                     MGW_ERR_IIS_VERIFY);
    mgw_iis_inject_fault(MGW_FAULT_FAIL_ALL, 0);
    ck_assert_int_eq(mgw_iisplan_apply_file(p, cfg, backup, MGW_FILE_FORCE, &changed),
                     MGW_ERR_IIS_RESTORE);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "restore the file from"));
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), backup));
    mgw_iis_inject_fault(MGW_FAULT_NONE, 0);
    assert_file(backup, p->before, p->before_len);
    free(cfg);
    test_rmtree(dir);
    free(dir);
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(appcmd_scripts_carry_the_changes)
{
    mgw_iisplan_t *p = plan_with("weakening-child.config", true);
    uint8_t *s = NULL;
    size_t n = 0;
    ck_assert_int_eq(mgw_iisplan_output(p, MGW_IISPLAN_APPCMD, &s, &n), MGW_OK);
    ck_assert_ptr_nonnull(find(s, n, "add backup \"mgwauth-before-apply-", 33));
    ck_assert_ptr_nonnull(
        find(s, n,
             "set config \"Default Web Site/EWS\" -section:system.webServer/security/access "
             "/sslFlags:\"Ssl, SslNegotiateCert, SslRequireCert\" /commit:apphost\r\n",
             139));
    ck_assert_ptr_nonnull(
        find(s, n,
             "\"/[name='Default Web Site'].bindings.[protocol='https',bindingInformation='*:443:'"
             "].sslFlags:32\" /commit:apphost",
             113));
    mgw_free(s);
    ck_assert_int_eq(mgw_iisplan_output(p, MGW_IISPLAN_APPCMD_ROLLBACK, &s, &n), MGW_OK);
    ck_assert_ptr_nonnull(find(s, n, "clear config \"Default Web Site\" -section:", 41));
    ck_assert_ptr_nonnull(find(s, n, "/sslFlags:\"Ssl, Ssl128\"", 23));
    mgw_free(s);
    ck_assert_int_eq(mgw_iisplan_output(p, 9, &s, &n), MGW_ERR_INVALID_ARGUMENT);
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(error_codes_are_pinned)
{
    ck_assert_int_eq(MGW_ERR_IIS_XML, -800);
    ck_assert_int_eq(MGW_ERR_IIS_CONFIG, -801);
    ck_assert_int_eq(MGW_ERR_IIS_NOT_FOUND, -802);
    ck_assert_int_eq(MGW_ERR_IIS_DRIFT, -803);
    ck_assert_int_eq(MGW_ERR_IIS_VERIFY, -804);
    ck_assert_int_eq(MGW_ERR_IIS_RESTORE, -805);
    ck_assert_int_eq(MGW_ERR_IIS_PLAN, -806);
    for (int c = -806; c <= -800; c++)
        ck_assert_ptr_null(strstr(mgw_strerror(c), "unknown"));
}
END_TEST

/* ---- reviewed defects ---------------------------------------------------------------- */

static mgw_iisplan_t *plan_text(const char *text, bool tls13, int want)
{
    mgw_iisconfig_t *c = NULL;
    ck_assert_msg(mgw_iisconfig_parse((const uint8_t *)text, strlen(text), &c) == MGW_OK, "%s",
                  mgw_last_error());
    mgw_iisopts_t *o = mgw_iisopts_new();
    ck_assert_int_eq(mgw_iisopts_set_disable_tls13(o, tls13), MGW_OK);
    mgw_iisplan_t *p = NULL;
    int r = mgw_iisplan_compute(o, c, &p);
    ck_assert_msg(r == want, "wanted %d, got %d: %s", want, r, mgw_last_error());
    mgw_iisopts_free(&o);
    mgw_iisconfig_free(&c);
    return p;
}

/* The plan of the desired file must have nothing left to change. */
static void replans_to_nothing(const mgw_iisplan_t *p, bool tls13)
{
    char *text = malloc(p->desired_len + 1); /* desired is not NUL-terminated */
    memcpy(text, p->desired, p->desired_len);
    text[p->desired_len] = '\0';
    mgw_iisplan_t *q = plan_text(text, tls13, MGW_OK);
    ck_assert_uint_eq(mgw_iisplan_change_count(q), 0);
    mgw_iisplan_free(&q);
    free(text);
}

#define SITES                                                                                      \
    "<configuration>\n"                                                                            \
    "    <system.applicationHost>\n"                                                               \
    "        <sites>\n"                                                                            \
    "            <site name=\"Default Web Site\" id=\"1\">\n"                                      \
    "                <bindings>\n"                                                                 \
    "                    <binding protocol=\"https\" bindingInformation=\"*:443:\" />\n"           \
    "                </bindings>\n"                                                                \
    "            </site>\n"                                                                        \
    "        </sites>\n"                                                                           \
    "    </system.applicationHost>\n"
#define EWS_ACCESS(flags)                                                                          \
    "    <location path=\"Default Web Site/EWS\">\n"                                               \
    "        <system.webServer><security><access sslFlags=\"" flags "\" /></security>"             \
    "</system.webServer>\n    </location>\n"

START_TEST(a_weakening_location_after_one_of_the_same_path_without_access_is_planned)
{
    mgw_iisplan_t *p = plan_text(
        SITES "    <location path=\"Default Web Site/EWS\">\n"
              "        <system.webServer><directoryBrowse enabled=\"false\" />"
              "</system.webServer>\n    </location>\n" EWS_ACCESS("None") "</configuration>\n",
        false, MGW_OK);
    ck_assert_uint_eq(p->n_items, 3);
    ck_assert_str_eq(p->items[1].where, "Default Web Site/EWS");
    ck_assert_str_eq(p->items[1].before_text, "None");
    ck_assert_int_eq(p->items[1].action, MGW_IISACT_SET);
    ck_assert(has_warning(p, "weakened the site"));
    /* the access element that exists is the one rewritten */
    ck_assert_ptr_nonnull(find(p->desired, p->desired_len,
                               "<access sslFlags=\"Ssl, SslNegotiateCert, SslRequireCert\" />"
                               "</security></system.webServer>",
                               0));
    ck_assert_ptr_nonnull(find(p->desired, p->desired_len, "<directoryBrowse enabled", 0));
    replans_to_nothing(p, false);
    mgw_iisplan_free(&p);
    /* two that both set it: refused, naming both */
    p = plan_text(SITES EWS_ACCESS("Ssl") EWS_ACCESS("None") "</configuration>\n", false,
                  MGW_ERR_IIS_CONFIG);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "line 11, column 5 and line 14, column 5"));
}
END_TEST

START_TEST(a_trailing_slash_location_and_the_site_are_both_planned)
{
    mgw_iisplan_t *p = plan_text(SITES "    <location path=\"Default Web Site/\">\n"
                                       "        <system.webServer><security><access "
                                       "sslFlags=\"None\" /></security></system.webServer>\n"
                                       "    </location>\n</configuration>\n",
                                 false, MGW_OK);
    ck_assert_uint_eq(mgw_iisplan_change_count(p), 2);
    ck_assert_str_eq(p->items[0].where, "Default Web Site");
    ck_assert_str_eq(p->items[1].where, "Default Web Site/");
    ck_assert_str_eq(p->items[1].after_text, "Ssl, SslNegotiateCert, SslRequireCert");
    ck_assert(has_warning(p, "ends in '/'"));
    replans_to_nothing(p, false);
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(the_server_wide_default_is_shown_and_a_weak_one_warned_about)
{
    const char *text = SITES "    <location path=\"\">\n        <system.webServer><security>"
                             "<access sslFlags=\"None\" /></security></system.webServer>\n"
                             "    </location>\n</configuration>\n";
    mgw_iisconfig_t *c = NULL;
    ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)text, strlen(text), &c), MGW_OK);
    char *out = NULL;
    ck_assert_int_eq(mgw_iisconfig_describe(c, MGW_DESCRIBE_TEXT, &out), MGW_OK);
    ck_assert_msg(strstr(out, "server-wide default access sslFlags: 0 = None (location \"\", "
                              "line 11)") != NULL,
                  "%s", out);
    mgw_free(out);
    ck_assert_int_eq(mgw_iisconfig_describe(c, MGW_DESCRIBE_JSON, &out), MGW_OK);
    ck_assert_msg(strstr(out, "\"server\": {\"access\": {\"value\": 0, \"names\": \"None\"}, "
                              "\"source\": \"location\", \"line\": 11}") != NULL,
                  "%s", out);
    mgw_free(out);
    mgw_iisconfig_free(&c);
    mgw_iisplan_t *p = plan_text(text, false, MGW_OK);
    ck_assert(has_warning(p, "<location path=\"\"> (the server-wide default) sets access "
                             "sslFlags to \"None\""));
    /* the site gets its own location; the default is left as it was */
    ck_assert_uint_eq(mgw_iisplan_change_count(p), 1);
    ck_assert_ptr_nonnull(find(p->desired, p->desired_len, "<access sslFlags=\"None\" />", 0));
    mgw_iisplan_free(&p);
}
END_TEST

START_TEST(noncharacters_undeclared_prefixes_and_the_reserved_xml_target_are_refused)
{
    refused_str("<configuration>\n <a x=\"\xef\xbf\xbe\" /></configuration>",
                "line 2, column 8: the noncharacter U+FFFE");
    refused_str("<configuration>\xef\xbf\xbf</configuration>", "noncharacter");
    refused_str("<configuration>\n  <x:site name=\"a\" /></configuration>",
                "line 2, column 4: a namespace prefix that is not declared");
    refused_str("<configuration><a y:b=\"1\" /></configuration>", "not declared");
    refused_str("<configuration><a:b:c xmlns:a=\"u\" /></configuration>", "two colons");
    refused_str("<?XML version=\"1.0\"?><configuration/>",
                "line 1, column 3: the processing instruction target \"xml\" is reserved");
    /* what XML allows is still read: U+FFFD, declared prefixes, xml:space */
    static const char *const ok[] = {
        "<configuration a=\"\xef\xbf\xbd\" />",
        "<configuration xmlns:x=\"urn:x\"><x:a x:b=\"1\"><x:c /></x:a></configuration>",
        "<configuration xml:space=\"preserve\" />",
    };
    for (size_t i = 0; i < 3; i++) {
        mgw_iisconfig_t *c = NULL;
        ck_assert_msg(mgw_iisconfig_parse((const uint8_t *)ok[i], strlen(ok[i]), &c) == MGW_OK,
                      "%s: %s", ok[i], mgw_last_error());
        mgw_iisconfig_free(&c);
    }
}
END_TEST

START_TEST(cr_only_and_single_line_files_get_their_own_line_ends_and_indentation)
{
    /* CR-only: errors count lines by CR, inserted text uses CR */
    refused_str("<configuration>\r  <a>\r</configuration>", "line 3, column 1: the end tag");
    char *cr = strdup(SITES EWS_ACCESS("None") "</configuration>\n");
    for (char *q = cr; *q != '\0'; q++)
        if (*q == '\n')
            *q = '\r';
    mgw_iisplan_t *p = plan_text(cr, false, MGW_OK);
    ck_assert_ptr_null(memchr(p->desired, '\n', p->desired_len));
    ck_assert_ptr_nonnull(find(p->desired, p->desired_len,
                               "\r    <location path=\"Default Web Site\">\r        "
                               "<system.webServer>\r",
                               0));
    replans_to_nothing(p, false);
    mgw_iisplan_free(&p);
    free(cr);
    mgw_iisconfig_t *c = NULL;
    const char *bad = "<configuration>\r\r<a x='1' x='2'/></configuration>";
    ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)bad, strlen(bad), &c), MGW_ERR_IIS_XML);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "line 3, column 10"));
    /* one line: indented by depth from the root's own line, the end tag of
     * the parent on a line of its own */
    p = plan_text("<?xml version=\"1.0\"?><configuration><system.applicationHost><sites><site "
                  "name=\"Default Web Site\" id=\"1\"><bindings><binding protocol=\"https\" "
                  "bindingInformation=\"*:443:\"/></bindings></site></sites>"
                  "</system.applicationHost></configuration>",
                  false, MGW_OK);
    ck_assert_ptr_nonnull(find(p->desired, p->desired_len,
                               "</system.applicationHost>\n"
                               "    <location path=\"Default Web Site\">\n"
                               "        <system.webServer>\n"
                               "            <security>\n"
                               "                <access sslFlags=\"Ssl, SslNegotiateCert, "
                               "SslRequireCert\" />\n"
                               "            </security>\n"
                               "        </system.webServer>\n"
                               "    </location>\n"
                               "</configuration>",
                               0));
    replans_to_nothing(p, false);
    mgw_iisplan_free(&p);
}
END_TEST

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n child locations of the site (each already requiring certificates) and n
 * of a site that does not exist. */
static char *many_locations(size_t n)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, SITES);
    for (size_t i = 0; i < n; i++)
        mgw_dbuf_printf(&b,
                        "    <location path=\"Default Web Site/d%zu\">\n        <system.webServer>"
                        "<security><access sslFlags=\"Ssl, SslNegotiateCert, SslRequireCert\" />"
                        "</security></system.webServer>\n    </location>\n"
                        "    <location path=\"Gone/d%zu\">\n        <system.webServer>"
                        "<directoryBrowse enabled=\"false\" /></system.webServer>\n"
                        "    </location>\n",
                        i, i);
    mgw_dbuf_puts(&b, "</configuration>\n");
    mgw_dbuf_putc(&b, 0);
    ck_assert(!b.oom);
    return (char *)b.p;
}

/* Planning and showing cost a bounded multiple of parsing, whatever the
 * number of locations: the ratio of CPU times (best of three of each). Each
 * location was once looked up linearly, and line numbers counted from the
 * start of the file: 20,000 locations took 54 s. */
START_TEST(planning_and_showing_scale_like_parsing)
{
    size_t n = getenv("MGW_UNDER_VALGRIND") != NULL ? 500 : 10000;
    char *text = many_locations(n);
    size_t len = strlen(text);
    mgw_iisopts_t *o = mgw_iisopts_new();
    double parse = 1e30, plan = 1e30, show = 1e30;
    for (int round = 0; round < 3; round++) {
        mgw_iisconfig_t *c = NULL;
        double t0 = cpu_seconds();
        ck_assert_int_eq(mgw_iisconfig_parse((const uint8_t *)text, len, &c), MGW_OK);
        double t1 = cpu_seconds();
        mgw_iisplan_t *p = NULL;
        ck_assert_int_eq(mgw_iisplan_compute(o, c, &p), MGW_OK);
        double t2 = cpu_seconds();
        char *out = NULL;
        ck_assert_int_eq(mgw_iisconfig_describe(c, MGW_DESCRIBE_TEXT, &out), MGW_OK);
        double t3 = cpu_seconds();
        ck_assert_uint_eq(p->n_items, n + 2);
        ck_assert_uint_eq(mgw_iisplan_change_count(p), 1);
        mgw_free(out);
        mgw_iisplan_free(&p);
        mgw_iisconfig_free(&c);
        parse = t1 - t0 < parse ? t1 - t0 : parse;
        plan = t2 - t1 < plan ? t2 - t1 : plan;
        show = t3 - t2 < show ? t3 - t2 : show;
    }
    parse = parse > 1e-6 ? parse : 1e-6;
    ck_assert_msg(plan / parse < 25, "%zu locations: planning takes %.1f times the parsing", 2 * n,
                  plan / parse);
    ck_assert_msg(show / parse < 25, "%zu locations: showing takes %.1f times the parsing", 2 * n,
                  show / parse);
    mgw_iisopts_free(&o);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iis");
    TCase *t = tcase_create("iis");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, every_fixture_reads_with_its_sites_bindings_and_locations);
    tcase_add_test(t, sslflags_read_as_names_or_numbers_and_unknown_names_are_refused);
    tcase_add_test(t, hostile_xml_gets_line_and_column);
    tcase_add_test(t, caps_on_depth_attributes_and_size);
    tcase_add_test(t, entities_and_cdata_are_read_and_kept);
    tcase_add_test(t, the_site_gets_its_access_element_indented_like_its_neighbours);
    tcase_add_test(t, disable_tls13_rewrites_the_binding_attribute_in_place_and_keeps_other_bits);
    tcase_add_test(t, weakening_child_locations_are_listed_and_raised);
    tcase_add_test(t, a_compliant_file_yields_no_changes_and_replanning_the_desired_file_too);
    tcase_add_test(t, missing_sites_and_bindings_are_errors_naming_what_exists);
    tcase_add_test(t, insertion_into_empty_and_self_closing_parents_and_numeric_values);
    tcase_add_test(t, plan_files_round_trip_and_tampering_is_caught);
    tcase_add_test(t, apply_reapply_rollback_and_drift);
    tcase_add_test(t, failed_and_corrupt_writes_are_restored_and_a_failed_restore_names_the_backup);
    tcase_add_test(t, appcmd_scripts_carry_the_changes);
    tcase_add_test(t, error_codes_are_pinned);
    tcase_add_test(t, a_weakening_location_after_one_of_the_same_path_without_access_is_planned);
    tcase_add_test(t, a_trailing_slash_location_and_the_site_are_both_planned);
    tcase_add_test(t, the_server_wide_default_is_shown_and_a_weak_one_warned_about);
    tcase_add_test(t, noncharacters_undeclared_prefixes_and_the_reserved_xml_target_are_refused);
    tcase_add_test(t, cr_only_and_single_line_files_get_their_own_line_ends_and_indentation);
    tcase_add_test(t, planning_and_showing_scale_like_parsing);
    suite_add_tcase(s, t);
    return test_run(s);
}
