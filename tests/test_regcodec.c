/* Suite "regcodec": the .reg reader and writer against regedit exports made
 * by Wine, every value type, both encodings, continuations, deletions, and
 * hostile input. */
#include "registry/plan.h"
#include "regfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEST_KEY "HKEY_LOCAL_MACHINE\\SOFTWARE\\MgwauthCodecTest"

/* Parse text given as UTF-8 (no BOM): the header line is added. */
static int parse_text(const char *body, mgw_regdoc *d)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "Windows Registry Editor Version 5.00\r\n");
    mgw_dbuf_puts(&b, body);
    int r = mgw_regdoc_parse(b.p, b.len, d);
    mgw_dbuf_free(&b);
    return r;
}

static void write_doc(const mgw_regdoc *d, mgw_dbuf *out)
{
    mgw_dbuf_init(out);
    ck_assert_int_eq(mgw_regdoc_write(d, out), MGW_OK);
}

/* The writer's output as UTF-8, without the BOM. */
static char *write_utf8(const mgw_regdoc *d)
{
    mgw_dbuf w, u;
    write_doc(d, &w);
    mgw_dbuf_init(&u);
    ck_assert_int_eq(mgw_utf16_to_utf8(w.p + 2, w.len - 2, false, &u), MGW_OK);
    mgw_dbuf_putc(&u, 0);
    char *s = strdup((char *)u.p);
    mgw_dbuf_free(&w);
    mgw_dbuf_free(&u);
    return s;
}

static const mgw_regval *value(const mgw_regdoc *d, const char *key, const char *name)
{
    const mgw_regkey *k = mgw_regdoc_find(d, key);
    ck_assert_msg(k != NULL, "no key %s", key);
    const mgw_regval *v = mgw_regkey_find(k, name);
    ck_assert_msg(v != NULL, "no value %s", name);
    return v;
}

static void assert_data(const mgw_regval *v, uint32_t type, const char *hex)
{
    size_t n;
    uint8_t *want = test_unhex(hex, &n);
    ck_assert_uint_eq(v->type, type);
    ck_assert_uint_eq(v->len, n);
    ck_assert_int_eq(memcmp(v->data, want, n), 0);
    free(want);
}

START_TEST(wine_exports_round_trip_byte_for_byte)
{
    const char *names[] = {"all-types.reg", "gateway-http.reg", "gateway-schannel.reg"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        uint8_t *data = reg_fixture(names[i], &len);
        mgw_regdoc d;
        ck_assert_int_eq(mgw_regdoc_parse(data, len, &d), MGW_OK);
        mgw_dbuf out;
        write_doc(&d, &out);
        ck_assert_msg(out.len == len && memcmp(out.p, data, len) == 0, "%s differs", names[i]);
        mgw_dbuf_free(&out);
        mgw_regdoc_free(&d);
        free(data);
    }
}
END_TEST

START_TEST(every_value_type_is_read)
{
    size_t len;
    uint8_t *data = reg_fixture("all-types.reg", &len);
    mgw_regdoc d;
    ck_assert_int_eq(mgw_regdoc_parse(data, len, &d), MGW_OK);
    ck_assert_uint_eq(d.n_keys, 4);
    assert_data(value(&d, TEST_KEY, ""), MGW_REGT_SZ,
                "640065006600610075006c0074002000760061006c007500650000 00");
    assert_data(value(&d, TEST_KEY, "dword"), MGW_REGT_DWORD, "efbeadde");
    assert_data(value(&d, TEST_KEY, "qword"), MGW_REGT_QWORD, "8877665544332211");
    assert_data(value(&d, TEST_KEY, "multi"), MGW_REGT_MULTI_SZ,
                "6f006e006500000074007700 6f0000000000");
    assert_data(value(&d, TEST_KEY, "none"), MGW_REGT_NONE, "0102");
    assert_data(value(&d, TEST_KEY, "big endian"), 5, "00000001");
    assert_data(value(&d, TEST_KEY, "odd type"), 0x4d2, "cafe");
    assert_data(value(&d, TEST_KEY, "empty binary"), MGW_REGT_BINARY, "");
    assert_data(value(&d, TEST_KEY, "empty sz"), MGW_REGT_SZ, "0000");
    const mgw_regval *bin = value(&d, TEST_KEY, "BINARY"); /* names ignore case */
    ck_assert_uint_eq(bin->len, 80);
    ck_assert_int_eq(bin->data[79], 0x4f);
    ck_assert_uint_eq(value(&d, TEST_KEY, "expand")->type, MGW_REGT_EXPAND_SZ);
    mgw_dbuf s;
    mgw_dbuf_init(&s);
    const mgw_regval *esc = value(&d, TEST_KEY, "escapes");
    ck_assert_int_eq(mgw_regsz_to_utf8(esc->data, esc->len, &s), MGW_OK);
    mgw_dbuf_putc(&s, 0);
    ck_assert_str_eq((char *)s.p, "quote \" backslash \\ path C:\\Windows");
    s.len = 0;
    const mgw_regval *uni = value(&d, TEST_KEY,
                                  "Gr\xc3\xbc\xc3\x9f"
                                  "e \xe2\x82\xac");
    ck_assert_int_eq(mgw_regsz_to_utf8(uni->data, uni->len, &s), MGW_OK);
    mgw_dbuf_putc(&s, 0);
    ck_assert_str_eq((char *)s.p, "\xc3\xbcn\xc3\xaf"
                                  "c\xc3\xb6"
                                  "d\xc3\xa9 \xf0\x9f\x94\x91");
    ck_assert_ptr_nonnull(mgw_regdoc_find(&d, TEST_KEY "\\sub key\\DEEPER"));
    mgw_dbuf_free(&s);
    mgw_regdoc_free(&d);
    free(data);
}
END_TEST

START_TEST(utf8_and_lf_read_like_the_utf16_export)
{
    size_t len;
    uint8_t *data = reg_fixture("all-types.reg", &len);
    mgw_dbuf u8;
    mgw_dbuf_init(&u8);
    mgw_dbuf_puts(&u8, "\xEF\xBB\xBF"); /* with a UTF-8 BOM */
    ck_assert_int_eq(mgw_utf16_to_utf8(data + 2, len - 2, false, &u8), MGW_OK);
    mgw_dbuf lf;
    mgw_dbuf_init(&lf); /* and without, LF only */
    for (size_t i = 3; i < u8.len; i++)
        if (u8.p[i] != '\r')
            mgw_dbuf_putc(&lf, u8.p[i]);
    mgw_regdoc a, b, c;
    ck_assert_int_eq(mgw_regdoc_parse(data, len, &a), MGW_OK);
    ck_assert_int_eq(mgw_regdoc_parse(u8.p, u8.len, &b), MGW_OK);
    ck_assert_int_eq(mgw_regdoc_parse(lf.p, lf.len, &c), MGW_OK);
    mgw_dbuf wa, wb, wc;
    write_doc(&a, &wa);
    write_doc(&b, &wb);
    write_doc(&c, &wc);
    ck_assert(wa.len == len && memcmp(wa.p, data, len) == 0);
    ck_assert(wb.len == len && memcmp(wb.p, data, len) == 0);
    ck_assert(wc.len == len && memcmp(wc.p, data, len) == 0);
    mgw_dbuf_free(&wa);
    mgw_dbuf_free(&wb);
    mgw_dbuf_free(&wc);
    mgw_regdoc_free(&a);
    mgw_regdoc_free(&b);
    mgw_regdoc_free(&c);
    mgw_dbuf_free(&u8);
    mgw_dbuf_free(&lf);
    free(data);
}
END_TEST

START_TEST(regedit4_files_are_read_in_the_ansi_code_page)
{
    /* Windows-1252: 0xE4 is "a umlaut", 0x80 the euro sign; hex(2) holds ANSI bytes. */
    const char text[] = "REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\T]\r\n"
                        "\"n\xe4me\"=\"\x80 5\"\r\n"
                        "\"path\"=hex(2):25,54,25,00\r\n"
                        "\"d\"=dword:00000010\r\n";
    mgw_regdoc d;
    ck_assert_int_eq(mgw_regdoc_parse((const uint8_t *)text, sizeof(text) - 1, &d), MGW_OK);
    const char *key = "HKEY_CURRENT_USER\\Software\\T";
    assert_data(value(&d, key, "n\xc3\xa4me"), MGW_REGT_SZ, "ac2020003500 0000");
    assert_data(value(&d, key, "path"), MGW_REGT_EXPAND_SZ, "250054002500 0000");
    assert_data(value(&d, key, "d"), MGW_REGT_DWORD, "10000000");
    mgw_regdoc_free(&d);
    /* The same in UTF-8 is read as UTF-8. */
    const char utf8[] = "REGEDIT4\n[HKEY_CURRENT_USER\\T]\n\"x\"=\"\xc3\xa4\"\n";
    ck_assert_int_eq(mgw_regdoc_parse((const uint8_t *)utf8, sizeof(utf8) - 1, &d), MGW_OK);
    assert_data(value(&d, "HKEY_CURRENT_USER\\T", "x"), MGW_REGT_SZ, "e4000000");
    mgw_regdoc_free(&d);
}
END_TEST

START_TEST(continuations_comments_and_spacing)
{
    mgw_regdoc d;
    ck_assert_int_eq(parse_text("; a comment\r\n"
                                "  [HKEY_USERS\\X] ; after the key\r\n"
                                "\"a\" = hex:01, 02 ,03,\\ ; comment after the backslash\r\n"
                                "\r\n"
                                "   ; a comment line inside the list\r\n"
                                "  04,05\r\n"
                                "\"b\"=hex:\\\r\n"
                                "  ff\r\n"
                                "\"c\"=hex:0a,0b,\r\n"
                                "\"d\"=dword:  1f ; spaces and a comment\r\n"
                                "@=\"with ; semicolon\" ; real comment\r\n"
                                "\"e\"=\"cr\\rlf\\n\"\t \r\n"
                                "\"f\"=hex(7):61,00,00,00,00,00,\\\r\n",
                                &d),
                     MGW_OK);
    assert_data(value(&d, "HKEY_USERS\\X", "a"), MGW_REGT_BINARY, "0102030405");
    assert_data(value(&d, "HKEY_USERS\\X", "b"), MGW_REGT_BINARY, "ff");
    assert_data(value(&d, "HKEY_USERS\\X", "c"), MGW_REGT_BINARY, "0a0b");
    assert_data(value(&d, "HKEY_USERS\\X", "d"), MGW_REGT_DWORD, "1f000000");
    assert_data(value(&d, "HKEY_USERS\\X", "e"), MGW_REGT_SZ, "630072000d006c0066000a000000");
    assert_data(value(&d, "HKEY_USERS\\X", "f"), MGW_REGT_MULTI_SZ, "610000000000");
    ck_assert_uint_eq(value(&d, "HKEY_USERS\\X", "")->type, MGW_REGT_SZ);
    mgw_regdoc_free(&d);
}
END_TEST

START_TEST(deletions_are_kept_and_written_back)
{
    const char *body = "\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone]\r\n"
                       "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept]\r\n"
                       "\"old\"=-\r\n"
                       "@=-\r\n"
                       "\"new\"=dword:00000001\r\n\r\n";
    mgw_regdoc d;
    ck_assert_int_eq(parse_text(body, &d), MGW_OK);
    ck_assert(d.keys[0].deleted);
    ck_assert(value(&d, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept", "old")->deleted);
    ck_assert(value(&d, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept", "")->deleted);
    char *back = write_utf8(&d);
    char want[512];
    snprintf(want, sizeof(want), "Windows Registry Editor Version 5.00\r\n%s", body);
    ck_assert_str_eq(back, want);
    free(back);
    mgw_regdoc_free(&d);
}
END_TEST

START_TEST(state_merge_follows_regedit_import)
{
    mgw_regdoc st, a, b;
    mgw_regdoc_init(&st);
    ck_assert_int_eq(parse_text("[HKEY_USERS\\A]\r\n\"v\"=dword:1\r\n\"w\"=\"x\"\r\n"
                                "[HKEY_USERS\\A\\Sub]\r\n\"s\"=dword:2\r\n"
                                "[HKEY_USERS\\B]\r\n",
                                &a),
                     MGW_OK);
    ck_assert_int_eq(parse_text("[-HKEY_USERS\\a]\r\n[HKEY_USERS\\B\\New]\r\n\"n\"=hex:\r\n"
                                "[hkey_users\\b]\r\n\"V\"=dword:3\r\n\"gone\"=-\r\n",
                                &b),
                     MGW_OK);
    ck_assert_int_eq(mgw_regstate_merge(&st, &a), MGW_OK);
    ck_assert_uint_eq(st.n_keys, 3);
    ck_assert_int_eq(mgw_regstate_merge(&st, &b), MGW_OK);
    ck_assert_ptr_null(mgw_regdoc_find(&st, "HKEY_USERS\\A\\Sub"));
    ck_assert_uint_eq(st.n_keys, 2);
    ck_assert_str_eq(st.keys[0].path, "HKEY_USERS\\B"); /* spelling of the first import */
    ck_assert_str_eq(st.keys[1].path, "HKEY_USERS\\B\\New");
    assert_data(value(&st, "HKEY_USERS\\B", "v"), MGW_REGT_DWORD, "03000000");
    mgw_regdoc_free(&a);
    mgw_regdoc_free(&b);
    mgw_regdoc_free(&st);
}
END_TEST

START_TEST(writer_wraps_and_falls_back_to_hex_as_regedit)
{
    mgw_regdoc d;
    mgw_regdoc_init(&d);
    mgw_regkey *k = mgw_regdoc_append(&d, "HKEY_USERS\\W", false);
    uint8_t bytes[30];
    for (int i = 0; i < 30; i++)
        bytes[i] = (uint8_t)i;
    /* A name of 60 characters: the first line holds only a few bytes. */
    const char *name = "012345678901234567890123456789012345678901234567890123456789";
    ck_assert_int_eq(mgw_regkey_put(k, name, MGW_REGT_BINARY, bytes, 30, false), MGW_OK);
    ck_assert_int_eq(mgw_regkey_put(k, "no nul", MGW_REGT_SZ, (const uint8_t *)"a\0b\0", 4, false),
                     MGW_OK);
    ck_assert_int_eq(mgw_regkey_put(k, "short dword", MGW_REGT_DWORD, bytes, 2, false), MGW_OK);
    ck_assert_int_eq(mgw_regkey_put(k, "empty", MGW_REGT_SZ, bytes, 0, false), MGW_OK);
    char *text = write_utf8(&d);
    ck_assert_str_eq(text,
                     "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_USERS\\W]\r\n"
                     "\"012345678901234567890123456789012345678901234567890123456789\"=hex:00,01,"
                     "02,03,\\\r\n"
                     "  04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,17,18,19,1a,1b,"
                     "1c,\\\r\n"
                     "  1d\r\n"
                     "\"no nul\"=hex(1):61,00,62,00\r\n"
                     "\"short dword\"=hex(4):00,01\r\n"
                     "\"empty\"=hex(1):\r\n\r\n");
    free(text);
    mgw_regdoc_free(&d);
}
END_TEST

/* ---- hostile input ------------------------------------------------------------ */

typedef struct {
    const char *text; /* after the v5 header line (line 1) */
    int code;
    const char *detail; /* expected start of mgw_last_error() */
} bad_case;

static const bad_case bad_cases[] = {
    {"[HKEY_USERS\\X]\r\n\"a\"=\"no end\r\n", MGW_ERR_REG_SYNTAX, "line 3: unterminated string"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex:01,g0\r\n", MGW_ERR_REG_SYNTAX, "line 3: invalid hex byte"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex:012\r\n", MGW_ERR_REG_SYNTAX, "line 3: hex byte with more"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex:01 02\r\n", MGW_ERR_REG_SYNTAX, "line 3: ',' expected"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex:01\\\r\n", MGW_ERR_REG_SYNTAX, "line 3: ',' expected"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex:01,\\\r\nzz\r\n", MGW_ERR_REG_SYNTAX, "line 4: hex bytes"},
    {"[HKEY_USERS\\X]\r\n\r\n\"a\"=dword:123456789\r\n", MGW_ERR_REG_SYNTAX,
     "line 4: dword: has more than 8"},
    {"[HKEY_USERS\\X]\r\n\"a\"=dword:\r\n", MGW_ERR_REG_SYNTAX, "line 3: dword: needs hex"},
    {"[HKEY_USERS\\X]\r\n\"a\"=dword:1x\r\n", MGW_ERR_REG_SYNTAX, "line 3: unexpected text"},
    {"[HKEY_USERS\\X]\r\n\"a\"=DWORD:1\r\n", MGW_ERR_REG_SYNTAX, "line 3: unknown value type"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex(0x4):01\r\n", MGW_ERR_REG_SYNTAX, "line 3: invalid value type"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex(123456789):01\r\n", MGW_ERR_REG_SYNTAX, "line 3: invalid"},
    {"[HKEY_USERS\\X]\r\n\"a\"=\"x\\q\"\r\n", MGW_ERR_REG_SYNTAX, "line 3: unknown escape"},
    {"[HKEY_USERS\\X]\r\n\"a\"=\"x\\0\"\r\n", MGW_ERR_REG_SYNTAX, "line 3: unknown escape"},
    {"[HKEY_USERS\\X]\r\n\"a\"=\"x\" y\r\n", MGW_ERR_REG_SYNTAX, "line 3: unexpected text after"},
    {"[HKEY_USERS\\X]\r\n\"a\" dword:1\r\n", MGW_ERR_REG_SYNTAX, "line 3: '=' expected"},
    {"[HKEY_USERS\\X]\r\n\"a\"=- x\r\n", MGW_ERR_REG_SYNTAX, "line 3: unexpected text after"},
    {"[HKEY_USERS\\X]\r\ngarbage\r\n", MGW_ERR_REG_SYNTAX, "line 3: unexpected text"},
    {"\"a\"=dword:1\r\n", MGW_ERR_REG_SYNTAX, "line 2: a value before the first"},
    {"[-HKEY_USERS\\X]\r\n\"a\"=dword:1\r\n", MGW_ERR_REG_SYNTAX, "line 3: a value under"},
    {"[HKEY_USERS\\X\r\n", MGW_ERR_REG_SYNTAX, "line 2: missing ']'"},
    {"[ HKEY_USERS\\X]\r\n", MGW_ERR_REG_SYNTAX, "line 2: a key name must"},
    {"[HKLM\\X]\r\n", MGW_ERR_REG_SYNTAX, "line 2: invalid key name"},
    {"[HKEY_USERS\\\\X]\r\n", MGW_ERR_REG_SYNTAX, "line 2: invalid key name"},
    {"[HKEY_USERS\\X\\]\r\n", MGW_ERR_REG_SYNTAX, "line 2: invalid key name"},
    {"[]\r\n", MGW_ERR_REG_SYNTAX, "line 2: invalid key name"},
    {"[HKEY_USERS\\X\001Y]\r\n", MGW_ERR_REG_SYNTAX, "line 2: invalid key name"},
    {"[HKEY_USERS\\X] junk\r\n", MGW_ERR_REG_SYNTAX, "line 2: unexpected text after ']'"},
    {"[HKEY_USERS\\X]\r\n\"a\"=hex:ff\xff\r\n", MGW_ERR_UTF8, "line 3, column 11: invalid UTF-8"},
};

START_TEST(malformed_lines_give_their_line_number)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        mgw_regdoc d;
        int r = parse_text(bad_cases[i].text, &d);
        ck_assert_msg(r == bad_cases[i].code, "case %zu: got %d", i, r);
        ck_assert_msg(strncmp(mgw_last_error(), bad_cases[i].detail, strlen(bad_cases[i].detail)) ==
                          0,
                      "case %zu: detail '%s'", i, mgw_last_error());
    }
}
END_TEST

START_TEST(bad_encodings_headers_and_sizes_are_refused)
{
    mgw_regdoc d;
    const uint8_t odd[] = {0xFF, 0xFE, 'W', 0, '\n', 0, 'x'};
    ck_assert_int_eq(mgw_regdoc_parse(odd, sizeof(odd), &d), MGW_ERR_UTF8);
    ck_assert_str_eq(mgw_last_error(), "line 2: UTF-16 text with an odd number of bytes");
    const uint8_t surrogate[] = {0xFF, 0xFE, '\n', 0, 0x00, 0xD8, 'x', 0};
    ck_assert_int_eq(mgw_regdoc_parse(surrogate, sizeof(surrogate), &d), MGW_ERR_UTF8);
    ck_assert_str_eq(mgw_last_error(), "line 2: invalid UTF-16 (unpaired surrogate)");
    const uint8_t be[] = {0xFE, 0xFF, 0, 'W'};
    ck_assert_int_eq(mgw_regdoc_parse(be, sizeof(be), &d), MGW_ERR_REG_SYNTAX);
    const uint8_t nul[] = "REGEDIT4\n[HKEY_USERS\\A\0]\n";
    ck_assert_int_eq(mgw_regdoc_parse(nul, sizeof(nul) - 1, &d), MGW_ERR_REG_SYNTAX);
    ck_assert_str_eq(mgw_last_error(), "line 2: NUL character");
    /* UTF-16 saved without its byte-order mark says so, not "NUL character" */
    const uint8_t le_nobom[] = {'W', 0, 'i', 0, 'n', 0, 'd', 0, '\r', 0, '\n', 0};
    ck_assert_int_eq(mgw_regdoc_parse(le_nobom, sizeof(le_nobom), &d), MGW_ERR_REG_SYNTAX);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "line 1: UTF-16 little-endian text without a "
                                                   "byte-order mark"));
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "FF FE, or UTF-8"));
    const uint8_t be_nobom[] = {0, 'R', 0, 'E', 0, 'G', 0, 'E'};
    ck_assert_int_eq(mgw_regdoc_parse(be_nobom, sizeof(be_nobom), &d), MGW_ERR_REG_SYNTAX);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "UTF-16 big-endian text without"));
    ck_assert_int_eq(mgw_regdoc_parse((const uint8_t *)"REGEDIT", 7, &d), MGW_ERR_REG_SYNTAX);
    ck_assert_int_eq(mgw_regdoc_parse((const uint8_t *)"", 0, &d), MGW_ERR_REG_SYNTAX);
    ck_assert(strncmp(mgw_last_error(), "line 1: not a registry file", 27) == 0);
    /* an enormous line, and an enormous file */
    size_t big = MGW_REG_MAX_LINE + 100;
    char *line = malloc(big + 64);
    int n = snprintf(line, 64, "REGEDIT4\n[HKEY_USERS\\A]\n\"a\"=hex:");
    memset(line + n, '0', big);
    ck_assert_int_eq(mgw_regdoc_parse((uint8_t *)line, (size_t)n + big, &d), MGW_ERR_TOO_LARGE);
    ck_assert_str_eq(mgw_last_error(), "line 3 is longer than 4194304 bytes");
    free(line);
    uint8_t *huge = calloc(1, MGW_REG_MAX_FILE + 1);
    ck_assert_int_eq(mgw_regdoc_parse(huge, MGW_REG_MAX_FILE + 1, &d), MGW_ERR_TOO_LARGE);
    free(huge);
}
END_TEST

/* Error messages quote the offending input with its control characters
 * shown as <U+XXXX>: a hostile file cannot drive the admin's terminal. */
START_TEST(control_characters_in_errors_are_escaped)
{
    static const char *const cases[][2] = {
        {"[HKEY_USERS\\X]\r\n\x1b[2J\x1b]0;owned\a\r\n", "unexpected text '<U+001B>[2J<U+001B>]0;"},
        {"[HKEY_USERS\\X\x1b[31m\\\\Y]\r\n", "invalid key name 'HKEY_USERS\\X<U+001B>[31m"},
        {"[HKEY_USERS\\X]\r\n\"a\"=\x1b[1m\r\n", "unknown value type in '<U+001B>[1m'"},
        {"[HKEY_USERS\\X]\r\n\"a\"=hex:01,\x07\r\n", "invalid hex byte '<U+0007>'"},
        {"[HKEY_USERS\\X]\r\n\"a\"=\"x\\\x1b\"\r\n", "unknown escape '\\<U+001B>'"},
        {"[HKEY_USERS\\X]\r\n\xc2\x9b" "31m\r\n", "unexpected text '<U+009B>31m'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mgw_regdoc d;
        ck_assert_int_eq(parse_text(cases[i][0], &d), MGW_ERR_REG_SYNTAX);
        const char *msg = mgw_last_error();
        ck_assert_msg(strstr(msg, cases[i][1]) != NULL, "case %zu: %s", i, msg);
        for (const char *c = msg; *c != '\0'; c++)
            ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7F, "case %zu: %s", i, msg);
        ck_assert_ptr_null(strstr(msg, "\xc2\x9b"));
    }
}
END_TEST

START_TEST(value_data_is_capped)
{
    /* 1 MiB + 1 bytes of hex on continued lines of 32 bytes each */
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "REGEDIT4\n[HKEY_USERS\\A]\n\"a\"=hex:");
    for (size_t i = 0; i <= MGW_REG_MAX_DATA; i++)
        mgw_dbuf_puts(&b, i % 32 == 31 ? "00,\\\n" : "00,");
    mgw_dbuf_puts(&b, "00\n");
    mgw_regdoc d;
    ck_assert_int_eq(mgw_regdoc_parse(b.p, b.len, &d), MGW_ERR_TOO_LARGE);
    ck_assert(strstr(mgw_last_error(), "value data longer than") != NULL);
    mgw_dbuf_free(&b);
}
END_TEST

/* Whatever the parser accepts, its own output must read back to the same
 * output; nothing may crash or leak (ASan runs this suite). */
static void check_stable(const uint8_t *p, size_t n)
{
    mgw_regdoc d;
    if (mgw_regdoc_parse(p, n, &d) != MGW_OK) {
        ck_assert_str_ne(mgw_last_error(), "");
        return;
    }
    mgw_dbuf w1, w2;
    write_doc(&d, &w1);
    mgw_regdoc d2;
    ck_assert_int_eq(mgw_regdoc_parse(w1.p, w1.len, &d2), MGW_OK);
    write_doc(&d2, &w2);
    ck_assert(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
    mgw_dbuf_free(&w1);
    mgw_dbuf_free(&w2);
    mgw_regdoc_free(&d);
    mgw_regdoc_free(&d2);
}

START_TEST(random_and_mutated_input_never_crashes)
{
    test_rng rng = {0x9E3779B97F4A7C15ull};
    const char *seeds[] = {"all-types.reg", "gateway-http.reg", "gateway-schannel.reg"};
    uint8_t buf[4096];
    for (int round = 0; round < 1500; round++) { /* random bytes behind a valid header */
        unsigned char len_b[2];
        test_rng_cb(&rng, len_b, 2);
        size_t n = (size_t)(len_b[0] | len_b[1] << 8) % 600;
        const char *hdr = round % 2 ? "REGEDIT4\n" : "Windows Registry Editor Version 5.00\r\n";
        size_t h = strlen(hdr);
        memcpy(buf, hdr, h);
        test_rng_cb(&rng, buf + h, n);
        for (size_t i = h; i < h + n; i++) /* bias towards the grammar's characters */
            if (buf[i] % 3 == 0)
                buf[i] = (uint8_t) "[]\"=@-\\,:;hexdword()0123456789abf\r\n "[buf[i] % 37];
        check_stable(buf, h + n);
        check_stable(buf + h, n); /* no header at all */
    }
    for (size_t s = 0; s < 3; s++) { /* mutations of real exports */
        size_t len;
        uint8_t *orig = reg_fixture(seeds[s], &len);
        uint8_t *m = malloc(len);
        for (int round = 0; round < 700; round++) {
            memcpy(m, orig, len);
            unsigned char r[8];
            test_rng_cb(&rng, r, sizeof(r));
            size_t cut = len;
            for (int k = 0; k < 1 + r[0] % 4; k++) {
                test_rng_cb(&rng, r, sizeof(r));
                size_t at = (size_t)(r[0] | r[1] << 8 | r[2] << 16) % len;
                if (r[3] % 4 == 0)
                    cut = at; /* truncation */
                else
                    m[at] = r[4];
            }
            check_stable(m, cut);
        }
        free(m);
        free(orig);
    }
}
END_TEST

/* ---- merging: the fast state against the plain definition ---------------------- */

/* The definition of a regedit import, one step at a time and in O(n^2):
 * keys in an array, a new key after the last key below its nearest ancestor
 * that has any, values replaced in place or appended. */
typedef struct {
    const char *path;
    const mgw_regval **vals;
    size_t n_vals;
} ref_key;

typedef struct {
    ref_key *keys;
    size_t n;
} ref_state;

static ref_key *ref_find(ref_state *st, const char *path)
{
    for (size_t i = st->n; i > 0; i--)
        if (mgw_regname_eq(st->keys[i - 1].path, path))
            return &st->keys[i - 1];
    return NULL;
}

static ref_key *ref_add(ref_state *st, const char *path)
{
    size_t at = st->n;
    char *anc = strdup(path);
    for (char *bs = strrchr(anc, '\\'); bs != NULL; bs = strrchr(anc, '\\')) {
        *bs = '\0';
        size_t last = SIZE_MAX;
        for (size_t i = 0; i < st->n; i++)
            if (mgw_regpath_within(st->keys[i].path, anc))
                last = i;
        if (last != SIZE_MAX) {
            at = last + 1;
            break;
        }
    }
    free(anc);
    st->keys = realloc(st->keys, (st->n + 1) * sizeof(*st->keys));
    memmove(&st->keys[at + 1], &st->keys[at], (st->n - at) * sizeof(*st->keys));
    st->n++;
    st->keys[at] = (ref_key){path, NULL, 0};
    return &st->keys[at];
}

static void ref_merge(ref_state *st, const mgw_regdoc *d)
{
    for (size_t i = 0; i < d->n_keys; i++) {
        const mgw_regkey *k = &d->keys[i];
        if (k->deleted) {
            size_t w = 0;
            for (size_t j = 0; j < st->n; j++) {
                if (mgw_regpath_within(st->keys[j].path, k->path))
                    free(st->keys[j].vals);
                else
                    st->keys[w++] = st->keys[j];
            }
            st->n = w;
            continue;
        }
        ref_key *rk = ref_find(st, k->path);
        if (rk == NULL)
            rk = ref_add(st, k->path);
        for (size_t j = 0; j < k->n_vals; j++) {
            const mgw_regval *v = &k->vals[j];
            size_t at = SIZE_MAX;
            for (size_t m = 0; m < rk->n_vals && at == SIZE_MAX; m++)
                if (mgw_regname_eq(rk->vals[m]->name, v->name))
                    at = m;
            if (v->deleted && at != SIZE_MAX) {
                memmove(&rk->vals[at], &rk->vals[at + 1], (rk->n_vals - at - 1) * sizeof(*rk->vals));
                rk->n_vals--;
            } else if (!v->deleted && at != SIZE_MAX) {
                rk->vals[at] = v;
            } else if (!v->deleted) {
                rk->vals = realloc(rk->vals, (rk->n_vals + 1) * sizeof(*rk->vals));
                rk->vals[rk->n_vals++] = v;
            }
        }
    }
}

static void random_reg(test_rng *rng, mgw_dbuf *b, size_t sections)
{
    static const char *const roots[] = {"HKEY_USERS", "HKEY_LOCAL_MACHINE"};
    static const char *const parts[] = {"a", "A", "b", "c", "Dd"};
    static const char *const names[] = {"x", "X", "y", "z", ""};
    mgw_dbuf_puts(b, "Windows Registry Editor Version 5.00\n");
    for (size_t s = 0; s < sections; s++) {
        uint8_t r[8];
        test_rng_cb(rng, r, sizeof(r));
        mgw_dbuf_printf(b, "\n[%s%s", r[0] % 7 == 0 ? "-" : "", roots[r[1] % 2]);
        for (int d = 0; d < 1 + r[2] % 4; d++)
            mgw_dbuf_printf(b, "\\%s", parts[r[3 + d] % 5]);
        mgw_dbuf_puts(b, "]\n");
        if (r[0] % 7 == 0)
            continue;
        for (int v = 0; v < r[7] % 4; v++) {
            uint8_t q[2];
            test_rng_cb(rng, q, 2);
            const char *nm = names[q[0] % 5];
            if (nm[0] == '\0')
                mgw_dbuf_puts(b, "@=");
            else
                mgw_dbuf_printf(b, "\"%s\"=", nm);
            if (q[1] % 6 == 0)
                mgw_dbuf_puts(b, "-\n");
            else
                mgw_dbuf_printf(b, "dword:%08x\n", q[1]);
        }
    }
}

START_TEST(merge_matches_the_plain_definition)
{
    test_rng rng = {0x0123456789ABCDEFull};
    for (int round = 0; round < 300; round++) {
        mgw_regdoc st, docs[4];
        mgw_regdoc_init(&st);
        ref_state ref = {NULL, 0};
        for (int d = 0; d < 4; d++) {
            mgw_dbuf b;
            mgw_dbuf_init(&b);
            random_reg(&rng, &b, 5 + (size_t)(round % 40));
            ck_assert_int_eq(mgw_regdoc_parse(b.p, b.len, &docs[d]), MGW_OK);
            mgw_dbuf_free(&b);
            ck_assert_int_eq(mgw_regstate_merge(&st, &docs[d]), MGW_OK);
            ref_merge(&ref, &docs[d]);
            ck_assert_uint_eq(st.n_keys, ref.n);
            for (size_t i = 0; i < ref.n; i++) {
                ck_assert_msg(mgw_regname_eq(st.keys[i].path, ref.keys[i].path),
                              "round %d doc %d key %zu: %s, want %s", round, d, i, st.keys[i].path,
                              ref.keys[i].path);
                ck_assert_uint_eq(st.keys[i].n_vals, ref.keys[i].n_vals);
                for (size_t j = 0; j < ref.keys[i].n_vals; j++) {
                    ck_assert(mgw_regname_eq(st.keys[i].vals[j].name, ref.keys[i].vals[j]->name));
                    ck_assert(mgw_regval_same(&st.keys[i].vals[j], ref.keys[i].vals[j]));
                }
            }
        }
        for (size_t i = 0; i < ref.n; i++)
            free(ref.keys[i].vals);
        free(ref.keys);
        mgw_regdoc_free(&st);
        for (int d = 0; d < 4; d++)
            mgw_regdoc_free(&docs[d]);
    }
}
END_TEST

/* A key with many values, and a state with many keys, stay in order. */
START_TEST(many_values_and_keys_keep_their_order)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_dbuf_puts(&b, "Windows Registry Editor Version 5.00\n\n[HKEY_USERS\\K]\n");
    for (int i = 0; i < 3000; i++)
        mgw_dbuf_printf(&b, "\"v%d\"=dword:%08x\n", i, i);
    for (int i = 0; i < 3000; i += 2)
        mgw_dbuf_printf(&b, "\"V%d\"=-\n", i);
    for (int i = 0; i < 3000; i += 3)
        mgw_dbuf_printf(&b, "\"V%d\"=dword:00000001\n", i);
    mgw_regdoc d, st;
    ck_assert_int_eq(mgw_regdoc_parse(b.p, b.len, &d), MGW_OK);
    ck_assert_uint_eq(d.n_keys, 1);
    ck_assert_uint_eq(d.keys[0].n_vals, 3000); /* deletions recorded in place */
    mgw_regdoc_init(&st);
    ck_assert_int_eq(mgw_regstate_merge(&st, &d), MGW_OK);
    /* in one section the last line for a name wins: the odd ones and the
     * multiples of 6 stay, in their places and spelling */
    ck_assert_uint_eq(st.keys[0].n_vals, 1500 + 500);
    ck_assert_str_eq(st.keys[0].vals[0].name, "v0");
    ck_assert_str_eq(st.keys[0].vals[1].name, "v1");
    ck_assert_str_eq(st.keys[0].vals[2].name, "v3");
    ck_assert_str_eq(st.keys[0].vals[1999].name, "v2999");
    ck_assert_ptr_nonnull(mgw_regkey_find(&st.keys[0], "V2997"));
    ck_assert_ptr_null(mgw_regkey_find(&st.keys[0], "v2998"));
    mgw_regdoc_free(&d);
    mgw_regdoc_free(&st);
    mgw_dbuf_free(&b);
}
END_TEST

/* ---- scaling ---------------------------------------------------------------------- */

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `keys` keys in `groups` subtrees, two values each; `interleaved` lists them
 * across the subtrees (every new key goes into the middle of the state). */
static void big_reg(size_t keys, size_t groups, bool interleaved, mgw_dbuf *b)
{
    mgw_dbuf_init(b);
    mgw_dbuf_puts(b, "Windows Registry Editor Version 5.00\r\n");
    size_t per = keys / groups;
    for (size_t i = 0; i < keys; i++) {
        size_t g = interleaved ? i % groups : i / per, k = interleaved ? i / groups : i % per;
        mgw_dbuf_printf(b,
                        "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Scale\\G%04zu\\K%06zu]\r\n"
                        "\"Count\"=dword:%08zx\r\n\"Name\"=\"key %zu\"\r\n",
                        g, k, i, i);
    }
    ck_assert(!b->oom);
}

/* Importing a file costs about what reading it costs, whatever its size: the
 * ratio of the two CPU times (the best of three of each, so that a loaded
 * machine does not decide) is bounded. Each key and value was once looked up
 * and inserted linearly: 20,000 keys took 7 s, 100,000 keys 217 s. */
static double import_ratio(const mgw_dbuf *b, size_t want_keys)
{
    double parse = 1e30, import = 1e30;
    for (int round = 0; round < 3; round++) {
        mgw_regdoc d;
        double t0 = cpu_seconds();
        ck_assert_int_eq(mgw_regdoc_parse(b->p, b->len, &d), MGW_OK);
        double t1 = cpu_seconds();
        mgw_regdoc_free(&d);
        mgw_regstate_t *st = mgw_regstate_new();
        double t2 = cpu_seconds();
        ck_assert_int_eq(mgw_regstate_import(st, b->p, b->len), MGW_OK);
        double t3 = cpu_seconds();
        ck_assert_uint_eq(st->doc.n_keys, want_keys);
        mgw_regstate_free(&st);
        parse = t1 - t0 < parse ? t1 - t0 : parse;
        import = t3 - t2 < import ? t3 - t2 : import;
    }
    return import / (parse > 1e-6 ? parse : 1e-6);
}

START_TEST(import_scales_like_reading_the_file)
{
    static const struct {
        size_t keys, groups;
        bool interleaved;
    } sizes[] = {{10000, 100, false}, {10000, 100, true}, {100000, 100, false}, {100000, 1000, true}};
    /* under valgrind (memory errors are what it checks) the small files only */
    size_t n = getenv("MGW_UNDER_VALGRIND") != NULL ? 2 : sizeof(sizes) / sizeof(sizes[0]);
    for (size_t i = 0; i < n; i++) {
        mgw_dbuf b;
        big_reg(sizes[i].keys, sizes[i].groups, sizes[i].interleaved, &b);
        double ratio = import_ratio(&b, sizes[i].keys);
        ck_assert_msg(ratio < 10, "%zu keys (%s, %zu bytes): import takes %.1f times the reading",
                      sizes[i].keys, sizes[i].interleaved ? "interleaved" : "in order", b.len, ratio);
        mgw_dbuf_free(&b);
    }
}
END_TEST

/* Hostile deletions: a key's values deleted one by one ("v"=-), once a
 * memmove each and a linear lookup after it; siblings deleted from the last
 * one back ([-KEY]), once a scan of all siblings each; a key created and its
 * parent deleted again and again, once a walk past every earlier child; a
 * key added and deleted again and again below a parent without a key of its
 * own, with a key outside it in front, once a scan of every earlier
 * (deleted) child each. */
static void deletions_reg(int kind, size_t n, mgw_dbuf *b)
{
    mgw_dbuf_init(b);
    mgw_dbuf_puts(b, "Windows Registry Editor Version 5.00\r\n");
    const char *parent = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Scale\\P";
    if (kind == 0) {
        mgw_dbuf_printf(b, "\r\n[%s]\r\n", parent);
        for (size_t i = 0; i < n; i++)
            mgw_dbuf_printf(b, "\"v%06zu\"=dword:%08zx\r\n", i, i);
        for (size_t i = 0; i < n; i++)
            mgw_dbuf_printf(b, "\"v%06zu\"=-\r\n", i);
    } else if (kind == 1) {
        for (size_t i = 0; i < n; i++)
            mgw_dbuf_printf(b, "\r\n[%s\\K%06zu]\r\n\"n\"=dword:%08zx\r\n", parent, i, i);
        for (size_t i = n; i > 0; i--)
            mgw_dbuf_printf(b, "\r\n[-%s\\K%06zu]\r\n", parent, i - 1);
    } else if (kind == 2) {
        for (size_t i = 0; i < n; i++)
            mgw_dbuf_printf(b, "\r\n[%s\\K%06zu]\r\n\r\n[-%s]\r\n", parent, i, parent);
    } else {
        /* a key in front, outside P (which has no key of its own): each
         * deletion finds P's last key gone and no key of P in front of it */
        mgw_dbuf_puts(b, "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\"x\"=dword:00000001\r\n");
        for (size_t i = 0; i < n; i++)
            mgw_dbuf_printf(b, "\r\n[%s\\K%06zu]\r\n\r\n[-%s\\K%06zu]\r\n", parent, i,
                            parent, i);
    }
    mgw_dbuf_printf(b, "\r\n[%s]\r\n\"left\"=dword:00000001\r\n", parent);
    ck_assert(!b->oom);
}

START_TEST(deletions_scale_like_reading_the_file)
{
    static const struct {
        int kind;
        size_t n;
        const char *what;
    } cases[] = {
        {0, 200000, "200,000 value deletions from one key"},
        {1, 100000, "100,000 sibling keys deleted from the last one back"},
        {2, 100000, "100,000 times a key added and its parent deleted"},
        {3, 100000, "100,000 times a key added and deleted below a parent without a key"},
    };
    bool valgrind = getenv("MGW_UNDER_VALGRIND") != NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mgw_dbuf b;
        deletions_reg(cases[i].kind, valgrind ? cases[i].n / 20 : cases[i].n, &b);
        /* what is left: the parent with one value */
        double ratio = import_ratio(&b, cases[i].kind == 3 ? 2 : 1);
        ck_assert_msg(ratio < 10, "%s (%zu bytes): import takes %.1f times the reading",
                      cases[i].what, b.len, ratio);
        mgw_dbuf_free(&b);
    }
}
END_TEST

/* Value names that all fall into one slot of an index hashed with FNV-1a
 * from its fixed offset (low 20 bits: every table up to a million slots):
 * 2^m names of m three-character blocks, each block one of two that take
 * the hash's low bits to the same state. */
static void colliding_reg(size_t m, bool collide, mgw_dbuf *b)
{
    const char *abc = "abcdefghijklmnopqrstuvwxyz0123456789";
    const uint64_t mask = (1u << 20) - 1;
    uint32_t *seen = malloc((mask + 1) * sizeof(*seen));
    char blocks[32][2][4];
    uint64_t h = 0xCBF29CE484222325ull;
    ck_assert(seen != NULL && m < 32);
    for (size_t j = 0; j < m; j++) {
        memset(seen, 0, (mask + 1) * sizeof(*seen));
        bool found = false;
        for (uint32_t idx = 0; idx < 36 * 36 * 36 && !found; idx++) {
            char c[3] = {abc[idx % 36], abc[idx / 36 % 36], abc[idx / 1296]};
            uint64_t x = h;
            for (int k = 0; k < 3; k++)
                x = (x ^ (unsigned char)c[k]) * 0x100000001B3ull;
            uint32_t *slot = &seen[x & mask];
            if (*slot != 0) {
                uint32_t o = *slot - 1;
                snprintf(blocks[j][0], 4, "%c%c%c", abc[o % 36], abc[o / 36 % 36], abc[o / 1296]);
                snprintf(blocks[j][1], 4, "%.3s", c);
                h = x;
                found = true;
            }
            *slot = idx + 1;
        }
        ck_assert(found);
    }
    free(seen);
    mgw_dbuf_init(b);
    mgw_dbuf_puts(b, "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\C]\r\n");
    for (size_t i = 0; i < ((size_t)1 << m); i++) {
        mgw_dbuf_putc(b, '"');
        if (collide)
            for (size_t j = 0; j < m; j++)
                mgw_dbuf_puts(b, blocks[j][(i >> j) & 1]);
        else /* as long, without collisions */
            mgw_dbuf_printf(b, "%0*zu", (int)(3 * m), i);
        mgw_dbuf_printf(b, "\"=dword:%08zx\r\n", i);
    }
    ck_assert(!b->oom);
}

static double read_and_import(const mgw_dbuf *b)
{
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        mgw_regstate_t *st = mgw_regstate_new();
        double t0 = cpu_seconds();
        ck_assert_int_eq(mgw_regstate_import(st, b->p, b->len), MGW_OK);
        double t1 = cpu_seconds();
        mgw_regstate_free(&st);
        best = t1 - t0 < best ? t1 - t0 : best;
    }
    return best;
}

/* A file of value names made to collide in the index costs what a file of
 * as many names of the same length costs: the index's hash is seeded per
 * process and mixed, so no file collides everywhere. With FNV-1a from its
 * fixed offset 16,384 such names took 13 times as long, and the factor grows
 * with the number (every lookup walked all earlier names). */
START_TEST(colliding_value_names_cost_what_others_cost)
{
    size_t m = getenv("MGW_UNDER_VALGRIND") != NULL ? 10 : 14;
    mgw_dbuf hostile, plain;
    colliding_reg(m, true, &hostile);
    colliding_reg(m, false, &plain);
    ck_assert_uint_eq(hostile.len, plain.len);
    double th = read_and_import(&hostile), tp = read_and_import(&plain);
    double ratio = th / (tp > 1e-6 ? tp : 1e-6);
    ck_assert_msg(ratio < 5, "%zu colliding names: %.1f times as long as others", (size_t)1 << m,
                  ratio);
    mgw_dbuf_free(&hostile);
    mgw_dbuf_free(&plain);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("regcodec");
    TCase *t = tcase_create("regcodec");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, wine_exports_round_trip_byte_for_byte);
    tcase_add_test(t, every_value_type_is_read);
    tcase_add_test(t, utf8_and_lf_read_like_the_utf16_export);
    tcase_add_test(t, regedit4_files_are_read_in_the_ansi_code_page);
    tcase_add_test(t, continuations_comments_and_spacing);
    tcase_add_test(t, deletions_are_kept_and_written_back);
    tcase_add_test(t, state_merge_follows_regedit_import);
    tcase_add_test(t, writer_wraps_and_falls_back_to_hex_as_regedit);
    tcase_add_test(t, malformed_lines_give_their_line_number);
    tcase_add_test(t, bad_encodings_headers_and_sizes_are_refused);
    tcase_add_test(t, value_data_is_capped);
    tcase_add_test(t, control_characters_in_errors_are_escaped);
    tcase_add_test(t, merge_matches_the_plain_definition);
    tcase_add_test(t, many_values_and_keys_keep_their_order);
    tcase_add_test(t, import_scales_like_reading_the_file);
    tcase_add_test(t, deletions_scale_like_reading_the_file);
    tcase_add_test(t, colliding_value_names_cost_what_others_cost);
    tcase_add_test(t, random_and_mutated_input_never_crashes);
    suite_add_tcase(s, t);
    return test_run(s);
}
