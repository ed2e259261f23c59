/*
 * Distinguished names: RFC 4514 strings to DER Names and back (src/cert/dn.c).
 *
 * Expected DER was made with Python's cryptography 48 (which builds a Name in
 * DER order and sorts multi-valued RDNs), e.g.
 *   x509.Name([RelativeDistinguishedName([NameAttribute(NameOID.COUNTRY_NAME,
 *       "DE")]), ...]).public_bytes().hex()
 */
#include "cert/cert.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static void hex_to_dbuf(const char *hex, mgw_dbuf *out)
{
    size_t n = strlen(hex);
    ck_assert_uint_eq(n % 2, 0);
    for (size_t i = 0; i < n; i += 2) {
        int hi = mgw_hex_value((unsigned char)hex[i]);
        int lo = mgw_hex_value((unsigned char)hex[i + 1]);
        ck_assert(hi >= 0 && lo >= 0);
        mgw_dbuf_putc(out, (uint8_t)(hi << 4 | lo));
    }
    ck_assert(!out->oom);
}

/* Upper-case hex of a buffer, malloc'd. */
static char *hex_of(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    ck_assert_ptr_nonnull(h);
    mgw_hex_upper(p, n, h);
    return h;
}

/* Text of a dbuf as a malloc'd C string. */
static char *str_of(const mgw_dbuf *b)
{
    char *s = malloc(b->len + 1);
    ck_assert_ptr_nonnull(s);
    if (b->len > 0)
        memcpy(s, b->p, b->len);
    s[b->len] = '\0';
    return s;
}

static void assert_parses_to(const char *dn, const char *hex)
{
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    int r = mgw_dn_parse(dn, &name);
    ck_assert_msg(r == MGW_OK, "parse '%s': %d (%s)", dn, r, mgw_last_error());
    char *got = hex_of(name.p, name.len);
    ck_assert_msg(strcmp(got, hex) == 0, "parse '%s':\n got  %s\n want %s", dn, got, hex);
    free(got);
    mgw_dbuf_free(&name);
}

static void assert_same_der(const char *a, const char *b)
{
    mgw_dbuf x, y;
    mgw_dbuf_init(&x);
    mgw_dbuf_init(&y);
    ck_assert_int_eq(mgw_dn_parse(a, &x), MGW_OK);
    ck_assert_int_eq(mgw_dn_parse(b, &y), MGW_OK);
    char *hx = hex_of(x.p, x.len), *hy = hex_of(y.p, y.len);
    ck_assert_msg(strcmp(hx, hy) == 0, "'%s' -> %s but '%s' -> %s", a, hx, b, hy);
    free(hx);
    free(hy);
    mgw_dbuf_free(&x);
    mgw_dbuf_free(&y);
}

/* Parse must fail with `code`, name the position, and leave `name` alone. */
static void assert_parse_fails(const char *dn, int code, size_t pos)
{
    static const uint8_t before[] = {0xAA, 0xBB, 0xCC};
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    mgw_dbuf_put(&name, before, sizeof(before));
    int r = mgw_dn_parse(dn, &name);
    ck_assert_msg(r == code, "parse '%s': got %d (%s), want %d", dn, r, mgw_last_error(), code);
    ck_assert_msg(name.len == sizeof(before) && memcmp(name.p, before, sizeof(before)) == 0,
                  "parse '%s' changed the output buffer", dn);
    char want[64];
    snprintf(want, sizeof(want), "at position %zu", pos);
    const char *detail = mgw_last_error();
    ck_assert_msg(strncmp(detail, "subject: ", 9) == 0, "'%s': detail '%s'", dn, detail);
    ck_assert_msg(strstr(detail, want) != NULL, "'%s': detail '%s' lacks '%s'", dn, detail, want);
    mgw_dbuf_free(&name);
}

static void assert_formats_to(const char *hex, const char *text)
{
    mgw_dbuf der, out;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&out);
    hex_to_dbuf(hex, &der);
    int r = mgw_dn_format(der.p, der.len, &out);
    ck_assert_msg(r == MGW_OK, "format %s: %d (%s)", hex, r, mgw_last_error());
    char *got = str_of(&out);
    ck_assert_msg(strcmp(got, text) == 0, "format %s:\n got  '%s'\n want '%s'", hex, got, text);
    free(got);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&out);
}

static void assert_format_fails(const char *hex)
{
    mgw_dbuf der, out;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&out);
    hex_to_dbuf(hex, &der);
    mgw_dbuf_puts(&out, "keep");
    int r = mgw_dn_format(der.p, der.len, &out);
    ck_assert_msg(r == MGW_ERR_DER, "format %s: got %d, want MGW_ERR_DER", hex, r);
    ck_assert_msg(mgw_last_error()[0] != '\0', "format %s: no detail", hex);
    ck_assert_msg(out.len == 4 && memcmp(out.p, "keep", 4) == 0, "format %s touched out", hex);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&out);
}

/* A Name of one RDN holding one attribute with a value of any tag. */
static void one_attribute_name(const char *oid, unsigned tag, const void *v, size_t n,
                               mgw_dbuf *out)
{
    size_t name = mgw_der_open(out);
    size_t set = mgw_der_open(out);
    size_t atv = mgw_der_open(out);
    ck_assert_int_eq(mgw_der_put_oid_text(out, oid), MGW_OK);
    ck_assert_int_eq(mgw_der_put(out, tag, v, n), MGW_OK);
    ck_assert_int_eq(mgw_der_close(out, MGW_ASN1_SEQUENCE, atv), MGW_OK);
    ck_assert_int_eq(mgw_der_close(out, MGW_ASN1_SET, set), MGW_OK);
    ck_assert_int_eq(mgw_der_close(out, MGW_ASN1_SEQUENCE, name), MGW_OK);
}

static void assert_value_formats_to(unsigned tag, const void *v, size_t n, const char *text)
{
    mgw_dbuf der, out;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&out);
    one_attribute_name("2.5.4.3", tag, v, n, &der);
    int r = mgw_dn_format(der.p, der.len, &out);
    ck_assert_msg(r == MGW_OK, "format tag %02X: %d (%s)", tag, r, mgw_last_error());
    char *got = str_of(&out);
    ck_assert_msg(strcmp(got, text) == 0, "tag %02X: got '%s' want '%s'", tag, got, text);
    free(got);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&out);
}

/* Deterministic pseudo-random numbers (xorshift32) for the hostile-input tests. */
static uint32_t rnd_state = 0x12345678u;

static uint32_t rnd(void)
{
    uint32_t x = rnd_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rnd_state = x;
}

/* ---- parsing: byte-exact DER ------------------------------------------------ */

START_TEST(parse_writes_rdns_in_reverse_string_order)
{
    assert_parses_to("CN=x,O=y,C=DE", "3025310B3009060355040613024445310A3008060355040A0C0179310A"
                                      "300806035504030C0178");
}
END_TEST

START_TEST(parse_encodes_a_typical_subject_with_utf8)
{
    assert_parses_to(
        "CN=Max Mustermann,OU=IT,OU=Mail,O=Example GmbH,L=M\xC3\xBCnchen,ST=Bayern,C=DE",
        "307D310B3009060355040613024445310F300D06035504080C0642617965726E3111300F0603550407"
        "0C084DC3BC6E6368656E31153013060355040A0C0C4578616D706C6520476D6248310D300B06035504"
        "0B0C044D61696C310B3009060355040B0C0249543117301506035504030C0E4D6178204D7573746572"
        "6D616E6E");
}
END_TEST

START_TEST(parse_keeps_repeated_attributes_as_separate_rdns)
{
    assert_parses_to("OU=a,OU=b", "3018310A3008060355040B0C0162310A3008060355040B0C0161");
}
END_TEST

START_TEST(parse_uses_ia5_for_dc_and_email)
{
    assert_parses_to("emailAddress=a@b.de,DC=example,DC=com",
                     "304531133011060A0992268993F22C6401191603636F6D31173015060A0992268993F22C"
                     "64011916076578616D706C653115301306092A864886F70D01090116066140622E6465");
}
END_TEST

START_TEST(parse_knows_every_short_name)
{
    /* serialNumber is a PrintableString, the rest UTF8String. */
    assert_parses_to("serialNumber=1234,GN=Max,SN=Muster,title=Dr,STREET=Main St 1,UID=jdoe",
                     "306531143012060A0992268993F22C6401010C046A646F653112301006035504090C094D61"
                     "696E2053742031310B3009060355040C0C024472310F300D06035504040C064D7573746572"
                     "310C300A060355042A0C034D6178310D300B0603550405130431323334");
}
END_TEST

START_TEST(parse_type_names_ignore_case_and_accept_aliases)
{
    assert_same_der("cn=x,o=y,c=DE", "CN=x,O=y,C=DE");
    assert_same_der("Cn=x,st=Bayern", "CN=x,S=Bayern");
    assert_same_der("E=a@b.de", "EMAILADDRESS=a@b.de");
    assert_same_der("givenName=Max,sn=M", "GN=Max,SN=M");
    assert_same_der("SERIALNUMBER=1,Title=t,street=s,uid=u,dc=d,l=x,ou=y",
                    "serialNumber=1,title=t,STREET=s,UID=u,DC=d,L=x,OU=y");
}
END_TEST

START_TEST(parse_accepts_dotted_oids)
{
    assert_parses_to("2.5.4.97=VATDE-123", "30143112301006035504610C0956415444452D313233");
    /* A dotted OID of a known attribute follows that attribute's rules. */
    assert_same_der("OID.2.5.4.3=x", "CN=x");
    assert_same_der("oid.2.5.4.6=DE", "C=DE");
    assert_same_der("0.9.2342.19200300.100.1.25=com", "DC=com");
}
END_TEST

START_TEST(parse_sorts_multivalued_rdn_by_encoding)
{
    assert_parses_to("OU=b+CN=a", "30163114300806035504030C01613008060355040B0C0162");
    assert_parses_to("CN=a+OU=b", "30163114300806035504030C01613008060355040B0C0162");
    /* The shorter encoding sorts first because its length octet is smaller. */
    assert_parses_to("CN=abc+CN=z", "30183116300806035504030C017A300A06035504030C03616263");
    assert_parses_to("UID=x+C=DE+CN=y", "30283126300806035504030C01793009060355040613024445300F"
                                        "060A0992268993F22C6401010C0178");
    assert_parses_to("CN=a + OU=b, CN=x", "3022310A300806035504030C01783114300806035504030C0161"
                                          "3008060355040B0C0162");
}
END_TEST

START_TEST(parse_unescapes_every_special_character)
{
    assert_parses_to("CN=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i\\#j",
                     "301E311C301A06035504030C13612C622B6322645C653C663E673B683D69236A");
    /* '=' and a '#' that does not lead may stand unescaped. */
    assert_parses_to("CN=x#y=z", "3010310E300C06035504030C057823793D7A");
}
END_TEST

START_TEST(parse_hex_escapes_form_utf8)
{
    assert_same_der("CN=J\\C3\\BCrgen", "CN=J\xC3\xBCrgen");
    assert_same_der("CN=\\4a\\75", "CN=Ju");
    assert_parses_to("CN=J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80",
                     "301B3119301706035504030C104AC3BC7267656E20E282AC20F09F9880");
}
END_TEST

START_TEST(parse_keeps_escaped_spaces_and_drops_plain_trailing_ones)
{
    assert_parses_to("O=trail\\ ,CN=\\ lead",
                     "3021310E300C06035504030C05206C656164310F300D060355040A0C06747261696C20");
    assert_parses_to("CN=a \\ ", "300E310C300A06035504030C03612020");
    assert_parses_to("CN=\\#x", "300D310B300906035504030C022378");
}
END_TEST

START_TEST(parse_tolerates_spaces_around_separators)
{
    assert_same_der("  CN = x ,  O=y ;C=DE  ", "CN=x,O=y,C=DE");
    assert_same_der("CN=x ; O=y", "CN=x,O=y");
    assert_same_der("CN=a b", "CN=a\\20b");
}
END_TEST

START_TEST(parse_writes_hex_values_as_they_are)
{
    assert_parses_to("2.5.4.3=#0C03616263", "300E310C300A06035504030C03616263");
    assert_parses_to("CN=#1303616263 ,C=DE",
                     "301B310B3009060355040613024445310C300A06035504031303616263");
}
END_TEST

START_TEST(parse_gives_empty_name_for_blank_input)
{
    assert_parses_to("", "3000");
    assert_parses_to("    ", "3000");
}
END_TEST

START_TEST(parse_appends_to_the_buffer)
{
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    mgw_dbuf_puts(&name, "xy");
    ck_assert_int_eq(mgw_dn_parse("CN=x", &name), MGW_OK);
    char *h = hex_of(name.p, name.len);
    ck_assert_str_eq(h, "7879300C310A300806035504030C0178");
    free(h);
    mgw_dbuf_free(&name);
}
END_TEST

/* ---- parsing: limits ------------------------------------------------------- */

/* "TYPE=" followed by `count` copies of `unit`. */
static char *repeated_value(const char *type, const char *unit, size_t count)
{
    size_t tl = strlen(type), ul = strlen(unit);
    char *s = malloc(tl + 1 + ul * count + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, type, tl);
    s[tl] = '=';
    for (size_t k = 0; k < count; k++)
        memcpy(s + tl + 1 + k * ul, unit, ul);
    s[tl + 1 + ul * count] = '\0';
    return s;
}

static void assert_bound(const char *type, const char *unit, size_t ub)
{
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    char *ok = repeated_value(type, unit, ub);
    ck_assert_msg(mgw_dn_parse(ok, &name) == MGW_OK, "%s with %zu chars: %s", type, ub,
                  mgw_last_error());
    free(ok);
    char *over = repeated_value(type, unit, ub + 1);
    /* The offending character is the first past the limit. */
    size_t pos = strlen(type) + 1 + ub * strlen(unit) + 1;
    assert_parse_fails(over, MGW_ERR_DN_ATTRIBUTE, pos);
    char limit[32];
    snprintf(limit, sizeof(limit), "%zu", ub);
    ck_assert_msg(strstr(mgw_last_error(), limit) != NULL, "%s", mgw_last_error());
    free(over);
    mgw_dbuf_free(&name);
}

START_TEST(parse_enforces_rfc5280_upper_bounds)
{
    assert_bound("CN", "a", 64);
    assert_bound("CN", "\xC3\xBC", 64); /* characters, not bytes */
    assert_bound("O", "o", 64);
    assert_bound("OU", "o", 64);
    assert_bound("title", "t", 64);
    assert_bound("L", "l", 128);
    assert_bound("ST", "s", 128);
    assert_bound("STREET", "s", 128);
    assert_bound("serialNumber", "1", 64);
    assert_bound("DC", "d", 63);
    assert_bound("UID", "u", 256);
    assert_bound("emailAddress", "e", 255);
    assert_bound("GN", "g", 32768);
    assert_bound("SN", "s", 32768);
    assert_bound("1.2.3.4", "x", 32768);
}
END_TEST

START_TEST(parse_refuses_input_over_64k)
{
    /* Exactly 65536 bytes is accepted. */
    char *s = malloc(65537 + 1);
    ck_assert_ptr_nonnull(s);
    size_t k = 0;
    memcpy(s + k, "2.5.4.97=", 9), k += 9;
    memset(s + k, 'a', 32765), k += 32765;
    memcpy(s + k, ",2.5.4.98=", 10), k += 10;
    memset(s + k, 'b', 65536 - k), k = 65536;
    s[k] = '\0';
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    ck_assert_int_eq(mgw_dn_parse(s, &name), MGW_OK);
    size_t len = name.len;
    s[k] = 'b';
    s[k + 1] = '\0';
    ck_assert_int_eq(mgw_dn_parse(s, &name), MGW_ERR_TOO_LARGE);
    ck_assert_uint_eq(name.len, len);
    free(s);
    mgw_dbuf_free(&name);
}
END_TEST

/* ---- parsing: errors ------------------------------------------------------------ */

static const struct {
    const char *dn;
    int code;
    size_t pos;
} bad_dns[] = {
    /* structure */
    {"CN", MGW_ERR_DN_SYNTAX, 3},
    {"CN x", MGW_ERR_DN_SYNTAX, 4},
    {"CN=a, O", MGW_ERR_DN_SYNTAX, 8},
    {"=x", MGW_ERR_DN_SYNTAX, 1},
    {"CN=a,=b", MGW_ERR_DN_SYNTAX, 6},
    {"\"CN\"=a", MGW_ERR_DN_SYNTAX, 1},
    {"CN=a,", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a , ", MGW_ERR_DN_SYNTAX, 6},
    {"CN=a,,O=b", MGW_ERR_DN_SYNTAX, 6},
    {",CN=a", MGW_ERR_DN_SYNTAX, 1},
    {"CN=x;;", MGW_ERR_DN_SYNTAX, 6},
    {"CN=a+", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a+,O=b", MGW_ERR_DN_SYNTAX, 5},
    {"+CN=a", MGW_ERR_DN_SYNTAX, 1},
    /* escapes and specials */
    {"CN=a\\", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a\\x", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a\\4", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a\\4G", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a\\\t", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a\"b", MGW_ERR_DN_SYNTAX, 5},
    {"CN=a<b", MGW_ERR_DN_SYNTAX, 5},
    {"CN=ab>", MGW_ERR_DN_SYNTAX, 6},
    /* hex values */
    {"CN=#", MGW_ERR_DN_SYNTAX, 4},
    {"CN=#XY", MGW_ERR_DN_SYNTAX, 5},
    {"CN=#0G", MGW_ERR_DN_SYNTAX, 6},
    {"CN=#0C0", MGW_ERR_DN_SYNTAX, 8},
    {"CN=#0C02 61", MGW_ERR_DN_SYNTAX, 10},
    {"CN=#0C0261", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#0C016161", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#0C8101", MGW_ERR_DN_ATTRIBUTE, 4},
    /* hex values meet the rules of the string form */
    {"C=#1303444555", MGW_ERR_DN_ATTRIBUTE, 3},
    {"C=#0C024445", MGW_ERR_DN_ATTRIBUTE, 3},
    {"CN=#0C021B5B", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#0C02C29B", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#0500", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#0C00", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#13022A2A", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#1603616263", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=#1E02D800", MGW_ERR_DN_ATTRIBUTE, 4},
    {"O=x,E=#0C03612E62", MGW_ERR_DN_ATTRIBUTE, 7},
    {"serialNumber=#0C0131", MGW_ERR_DN_ATTRIBUTE, 14},
    {"1.2.3.4=#0C010A", MGW_ERR_DN_ATTRIBUTE, 9},
    /* attribute types */
    {"XX=a", MGW_ERR_DN_ATTRIBUTE, 1},
    {"O=b, foo=a", MGW_ERR_DN_ATTRIBUTE, 6},
    {"OID.x=1", MGW_ERR_DN_ATTRIBUTE, 1},
    {"OID.=1", MGW_ERR_DN_ATTRIBUTE, 1},
    {"3.1=x", MGW_ERR_DN_ATTRIBUTE, 1},
    {"1..2=x", MGW_ERR_DN_ATTRIBUTE, 1},
    {"1.2.=x", MGW_ERR_DN_ATTRIBUTE, 1},
    {"2.5.4.03=x", MGW_ERR_DN_ATTRIBUTE, 1},
    /* values */
    {"CN=", MGW_ERR_DN_ATTRIBUTE, 4},
    {"CN=   ,O=x", MGW_ERR_DN_ATTRIBUTE, 7},
    {"O=x,CN= +OU=y", MGW_ERR_DN_ATTRIBUTE, 9},
    {"CN=a\001b", MGW_ERR_DN_ATTRIBUTE, 5},
    {"CN=a\tb", MGW_ERR_DN_ATTRIBUTE, 5},
    {"CN=a\\0Ab", MGW_ERR_DN_ATTRIBUTE, 5},
    {"CN=a\\00", MGW_ERR_DN_ATTRIBUTE, 5},
    {"CN=a\\7f", MGW_ERR_DN_ATTRIBUTE, 5},
    {"CN=a\x7f", MGW_ERR_DN_ATTRIBUTE, 5},
    {"C=DEU", MGW_ERR_DN_ATTRIBUTE, 5},
    {"C=D", MGW_ERR_DN_ATTRIBUTE, 3},
    {"C=D1", MGW_ERR_DN_ATTRIBUTE, 4},
    {"C=\303\234A", MGW_ERR_DN_ATTRIBUTE, 3},
    {"serialNumber=12_3", MGW_ERR_DN_ATTRIBUTE, 16},
    {"serialNumber=a@b", MGW_ERR_DN_ATTRIBUTE, 15},
    {"DC=ex\xC3\xA4mple", MGW_ERR_DN_ATTRIBUTE, 6},
    {"E=j\xC3\xBC@x.de", MGW_ERR_DN_ATTRIBUTE, 4},
    /* UTF-8 */
    {"CN=\xC3(", MGW_ERR_UTF8, 4},
    {"CN=a\xFF", MGW_ERR_UTF8, 5},
    {"CN=ab\\C3", MGW_ERR_UTF8, 6},
    {"CN=\\C3\\28", MGW_ERR_UTF8, 4},
    {"CN=\xED\xA0\x80", MGW_ERR_UTF8, 4},
    {"CN=\xC0\xAF", MGW_ERR_UTF8, 4},
    {"CN=x,O=ok\xF4\x90\x80\x80", MGW_ERR_UTF8, 10},
};

START_TEST(parse_reports_code_and_position_of_bad_input)
{
    assert_parse_fails(bad_dns[_i].dn, bad_dns[_i].code, bad_dns[_i].pos);
}
END_TEST

START_TEST(parse_names_the_unknown_attribute_type)
{
    assert_parse_fails("CN=a,Foo=b", MGW_ERR_DN_ATTRIBUTE, 6);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "unknown attribute type 'Foo'"));
}
END_TEST

START_TEST(parse_refuses_null_arguments)
{
    mgw_dbuf name;
    mgw_dbuf_init(&name);
    ck_assert_int_eq(mgw_dn_parse(NULL, &name), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_dn_parse("CN=x", NULL), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(name.len, 0);
}
END_TEST

/* ---- formatting ------------------------------------------------------------------ */

START_TEST(format_lists_the_last_der_rdn_first)
{
    assert_formats_to("3025310B3009060355040613024445310A3008060355040A0C0179310A300806035504"
                      "030C0178",
                      "CN=x,O=y,C=DE");
    assert_formats_to("3018310A3008060355040B0C0162310A3008060355040B0C0161", "OU=a,OU=b");
}
END_TEST

START_TEST(format_joins_multivalued_rdn_members_with_plus)
{
    assert_formats_to("3022310A300806035504030C01783114300806035504030C01613008060355040B0C0162",
                      "CN=a+OU=b,CN=x");
}
END_TEST

START_TEST(format_uses_short_names_and_dotted_oids)
{
    assert_formats_to("306531143012060A0992268993F22C6401010C046A646F653112301006035504090C094D"
                      "61696E2053742031310B3009060355040C0C024472310F300D06035504040C064D757374"
                      "6572310C300A060355042A0C034D6178310D300B0603550405130431323334",
                      "serialNumber=1234,GN=Max,SN=Muster,title=Dr,STREET=Main St 1,UID=jdoe");
    assert_formats_to("304531133011060A0992268993F22C6401191603636F6D31173015060A0992268993F22C"
                      "64011916076578616D706C653115301306092A864886F70D01090116066140622E6465",
                      "emailAddress=a@b.de,DC=example,DC=com");
    assert_formats_to("3021310F300D06035504080C0642617965726E310E300C06035504070C054D756E6963",
                      "L=Munic,ST=Bayern");
    assert_formats_to("30143112301006035504610C0956415444452D313233", "2.5.4.97=VATDE-123");
}
END_TEST

START_TEST(format_escapes_rfc4514_specials)
{
    assert_formats_to("301E311C301A06035504030C13612C622B6322645C653C663E673B683D69236A",
                      "CN=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h=i#j");
    assert_formats_to("3021310E300C06035504030C05206C656164310F300D060355040A0C06747261696C20",
                      "O=trail\\ ,CN=\\ lead");
    assert_formats_to("300D310B300906035504030C022378", "CN=\\#x");
    assert_value_formats_to(MGW_ASN1_UTF8_STRING, " ", 1, "CN=\\ ");
    assert_value_formats_to(MGW_ASN1_UTF8_STRING, "a  b", 4, "CN=a  b");
    assert_value_formats_to(MGW_ASN1_UTF8_STRING, "a\nb\x7F\x01", 5, "CN=a\\0Ab\\7F\\01");
    assert_value_formats_to(MGW_ASN1_UTF8_STRING, "a\0b", 3, "CN=a\\00b");
}
END_TEST

START_TEST(format_decodes_bmp_t61_and_universal_strings)
{
    assert_value_formats_to(MGW_ASN1_BMP_STRING, "\x00J\x00\xFC\xD8\x3D\xDE\x00", 8,
                            "CN=J\xC3\xBC\xF0\x9F\x98\x80");
    assert_value_formats_to(MGW_ASN1_T61_STRING, "\xE9t\xE9", 3, "CN=\xC3\xA9t\xC3\xA9");
    assert_value_formats_to(MGW_ASN1_UNIVERSAL_STRING, "\0\0\0A\0\0\x20\xAC\0\x01\xF6\0", 12,
                            "CN=A\xE2\x82\xAC\xF0\x9F\x98\x80");
    assert_value_formats_to(MGW_ASN1_PRINTABLE_STRING, "Max (1)", 7, "CN=Max (1)");
    assert_value_formats_to(MGW_ASN1_IA5_STRING, "a@b", 3, "CN=a@b");
    /* Specials are escaped whatever the string type. */
    assert_value_formats_to(MGW_ASN1_BMP_STRING, "\0#\0,", 4, "CN=\\#\\,");
}
END_TEST

START_TEST(format_shows_undecodable_values_as_hex)
{
    assert_value_formats_to(MGW_ASN1_OCTET_STRING, "\x01\x02\x03", 3, "CN=#0403010203");
    assert_value_formats_to(MGW_ASN1_UTF8_STRING, "\xFF", 1, "CN=#0C01FF");
    assert_value_formats_to(MGW_ASN1_UTF8_STRING, "", 0, "CN=#0C00");
    assert_value_formats_to(MGW_ASN1_PRINTABLE_STRING, "\x80", 1, "CN=#130180");
    assert_value_formats_to(MGW_ASN1_IA5_STRING, "a\xC3\xBC", 3, "CN=#160361C3BC");
    assert_value_formats_to(MGW_ASN1_BMP_STRING, "\0A\0", 3, "CN=#1E03004100");
    assert_value_formats_to(MGW_ASN1_BMP_STRING, "\xD8\x3D\0A", 4, "CN=#1E04D83D0041");
    assert_value_formats_to(MGW_ASN1_UNIVERSAL_STRING, "\0\x11\0\0", 4, "CN=#1C0400110000");
    assert_value_formats_to(MGW_ASN1_UNIVERSAL_STRING, "\0\0\xD8\0", 4, "CN=#1C040000D800");
    assert_value_formats_to(MGW_ASN1_UNIVERSAL_STRING, "\0\0\0", 3, "CN=#1C03000000");
    assert_value_formats_to(MGW_ASN1_SEQUENCE, "\x05\x00", 2, "CN=#30020500");
    assert_formats_to("300F310D300B06032A0304020401020304", "1.2.3.4=#020401020304");
}
END_TEST

START_TEST(format_gives_empty_text_for_empty_name)
{
    assert_formats_to("3000", "");
}
END_TEST

START_TEST(format_appends_to_the_buffer)
{
    mgw_dbuf der, out;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&out);
    hex_to_dbuf("300D310B300906035504030C022378", &der);
    mgw_dbuf_puts(&out, "subject=");
    ck_assert_int_eq(mgw_dn_format(der.p, der.len, &out), MGW_OK);
    char *s = str_of(&out);
    ck_assert_str_eq(s, "subject=CN=\\#x");
    free(s);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&out);
}
END_TEST

static const char *const malformed_names[] = {
    "",                                 /* nothing */
    "30",                               /* truncated header */
    "3100",                             /* a SET, not a SEQUENCE */
    "300200",                           /* length past the end */
    "30000000",                         /* trailing data */
    "3080310B300906035504030C01780000", /* indefinite length */
    "308100",                           /* non-minimal length */
    "30023000",                         /* RDN is a SEQUENCE */
    "30023100",                         /* empty RDN */
    "300431023100",                     /* attribute is a SET */
    "3009310730050603550403",           /* type without value */
    "300D310B3009060355040313017800",   /* stray byte after the value */
    "300E310C300A06035504031301780500", /* extra element after the value */
    "300C310A300804035504030C0178",     /* type is not an OID */
    "30093107300506000C0178",           /* empty OID */
    "300A31083006060180130178",         /* OID arc with a leading 0x80 */
    "300A31083006060181130178",         /* OID with a truncated arc */
    "300B31093007060255041F0178",       /* multi-byte tag */
    "3007310530030603550403",           /* lengths that do not add up */
};

START_TEST(format_rejects_malformed_der)
{
    assert_format_fails(malformed_names[_i]);
}
END_TEST

START_TEST(format_rejects_every_truncation_of_a_name)
{
    mgw_dbuf der, out;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&out);
    ck_assert_int_eq(mgw_dn_parse("CN=Max+OU=IT,O=Example,C=DE", &der), MGW_OK);
    for (size_t n = 0; n < der.len; n++) {
        out.len = 0;
        ck_assert_int_eq(mgw_dn_format(der.p, n, &out), MGW_ERR_DER);
        ck_assert_uint_eq(out.len, 0);
    }
    ck_assert_int_eq(mgw_dn_format(der.p, der.len, &out), MGW_OK);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&out);
}
END_TEST

START_TEST(format_refuses_null_arguments)
{
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    ck_assert_int_eq(mgw_dn_format(NULL, 2, &out), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(mgw_dn_format((const uint8_t *)"\x30\x00", 2, NULL), MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- round trips ------------------------------------------------------------------ */

static const char *const round_trip_dns[] = {
    "",
    "CN=x,O=y,C=DE",
    "CN=Max Mustermann,OU=IT,OU=Mail,O=Example GmbH,L=M\xC3\xBCnchen,ST=Bayern,C=DE",
    "CN=a+OU=b",
    "OU=b+CN=a+C=de,O=x",
    "OU=a,OU=a,OU=a",
    "CN=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i\\#j",
    "CN=\\ lead\\ ",
    "CN=\\ ",
    "CN=\\#x",
    "CN=x#y=z",
    "CN=#0C03616263",
    "C=#13024445",
    "E=#1603612E62",
    "1.2.3.4=#0500",
    "1.2.3.4=#3003020101",
    "2.5.4.97=VATDE-123",
    "OID.1.3.6.1.4.1.311.60.2.1.3=DE",
    "emailAddress=a@b.de,DC=example,DC=com",
    "serialNumber=1234 (x),title=Dr.",
    "CN=J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80",
    "UID=jdoe,GN=Max,SN=Muster,STREET=Main St 1",
    "CN=\\E2\\82\\AC",
    "CN=  spaced  out  ",
    "CN=a;O=b;C=DE",
    "E=x@y,S=Bayern,givenName=Z",
};

START_TEST(round_trip_keeps_the_der)
{
    const char *dn = round_trip_dns[_i];
    mgw_dbuf first, text, second;
    mgw_dbuf_init(&first);
    mgw_dbuf_init(&text);
    mgw_dbuf_init(&second);
    ck_assert_msg(mgw_dn_parse(dn, &first) == MGW_OK, "'%s': %s", dn, mgw_last_error());
    ck_assert_int_eq(mgw_dn_format(first.p, first.len, &text), MGW_OK);
    char *s = str_of(&text);
    ck_assert_msg(mgw_dn_parse(s, &second) == MGW_OK, "'%s' -> '%s': %s", dn, s, mgw_last_error());
    char *h1 = hex_of(first.p, first.len), *h2 = hex_of(second.p, second.len);
    ck_assert_msg(strcmp(h1, h2) == 0, "'%s' -> '%s':\n %s\n %s", dn, s, h1, h2);
    free(s);
    free(h1);
    free(h2);
    mgw_dbuf_free(&first);
    mgw_dbuf_free(&text);
    mgw_dbuf_free(&second);
}
END_TEST

/* What format writes parses back, and formats to the same text again (a
 * BMPString or T61String value comes back as UTF8String: same text). */
static const char *const text_fixpoint_dns[] = {
    "O=#1E0400410042", "CN=#14024142", "CN=#1C0400000041", "CN=#130141+C=#13024445",
    "1.2.3.4=#0500",   "CN=#0C05C3A4E282AC",
};

START_TEST(formatted_text_parses_back_to_itself)
{
    const char *dn = text_fixpoint_dns[_i];
    mgw_dbuf der, text, der2, text2;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&text);
    mgw_dbuf_init(&der2);
    mgw_dbuf_init(&text2);
    ck_assert_msg(mgw_dn_parse(dn, &der) == MGW_OK, "'%s': %s", dn, mgw_last_error());
    ck_assert_int_eq(mgw_dn_format(der.p, der.len, &text), MGW_OK);
    char *s = str_of(&text);
    ck_assert_msg(mgw_dn_parse(s, &der2) == MGW_OK, "'%s' -> '%s': %s", dn, s, mgw_last_error());
    ck_assert_int_eq(mgw_dn_format(der2.p, der2.len, &text2), MGW_OK);
    char *s2 = str_of(&text2);
    ck_assert_str_eq(s, s2);
    free(s);
    free(s2);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&text);
    mgw_dbuf_free(&der2);
    mgw_dbuf_free(&text2);
}
END_TEST

START_TEST(round_trip_gives_canonical_text)
{
    mgw_dbuf der, text;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&text);
    ck_assert_int_eq(mgw_dn_parse(" cn = a ; ou=b+o=c , c=DE ", &der), MGW_OK);
    ck_assert_int_eq(mgw_dn_format(der.p, der.len, &text), MGW_OK);
    char *s = str_of(&text);
    ck_assert_str_eq(s, "CN=a,O=c+OU=b,C=DE");
    free(s);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&text);
}
END_TEST

/* ---- is_empty ----------------------------------------------------------------------- */

START_TEST(is_empty_only_for_an_empty_sequence)
{
    ck_assert(mgw_dn_is_empty((const uint8_t *)"\x30\x00", 2));
    ck_assert(!mgw_dn_is_empty(NULL, 0));
    ck_assert(!mgw_dn_is_empty((const uint8_t *)"", 0));
    ck_assert(!mgw_dn_is_empty((const uint8_t *)"\x31\x00", 2));
    ck_assert(!mgw_dn_is_empty((const uint8_t *)"\x30\x00\x00", 3));
    ck_assert(!mgw_dn_is_empty((const uint8_t *)"\x30\x81\x00", 3));
    ck_assert(!mgw_dn_is_empty((const uint8_t *)"\x30", 1));
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    ck_assert_int_eq(mgw_dn_parse("CN=x", &der), MGW_OK);
    ck_assert(!mgw_dn_is_empty(der.p, der.len));
    der.len = 0;
    ck_assert_int_eq(mgw_dn_parse("  ", &der), MGW_OK);
    ck_assert(mgw_dn_is_empty(der.p, der.len));
    mgw_dbuf_free(&der);
}
END_TEST

/* ---- hostile input ------------------------------------------------------------------ */

/* Format must succeed with valid UTF-8 or fail with MGW_ERR_DER, untouched. */
static void format_hostile(const uint8_t *p, size_t n)
{
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    mgw_dbuf_putc(&out, 'z');
    int r = mgw_dn_format(p, n, &out);
    ck_assert_msg(r == MGW_OK || r == MGW_ERR_DER, "format: unexpected %d", r);
    if (r == MGW_OK)
        ck_assert(mgw_utf8_valid(out.p, out.len, NULL));
    else
        ck_assert(out.len == 1 && out.p[0] == 'z');
    mgw_dbuf_free(&out);
}

START_TEST(format_survives_random_bytes)
{
    uint8_t buf[96];
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = rnd() % sizeof(buf);
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rnd();
        /* Start most buffers like a Name so the inner code is reached. */
        if (n >= 2 && iter % 2 == 0) {
            buf[0] = 0x30;
            buf[1] = (uint8_t)(n - 2);
            if (n >= 4 && iter % 4 == 0) {
                buf[2] = 0x31;
                buf[3] = (uint8_t)(rnd() % (n - 3));
            }
        }
        format_hostile(buf, n);
    }
}
END_TEST

START_TEST(format_survives_mutated_names)
{
    mgw_dbuf good;
    mgw_dbuf_init(&good);
    ck_assert_int_eq(mgw_dn_parse("CN=J\xC3\xBCrgen+UID=x,OU=a\\,b,O=#1E0400410042,"
                                  "1.2.3.4=#3003020101,C=DE",
                                  &good),
                     MGW_OK);
    uint8_t *buf = malloc(good.len);
    ck_assert_ptr_nonnull(buf);
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(buf, good.p, good.len);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = rnd() % good.len;
            switch (rnd() % 3) {
            case 0:
                buf[at] = (uint8_t)rnd();
                break;
            case 1:
                buf[at] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            default:
                buf[at] = (uint8_t)(buf[at] + 1);
                break;
            }
        }
        format_hostile(buf, good.len - (iter % 5 == 0 ? rnd() % good.len : 0));
    }
    free(buf);
    mgw_dbuf_free(&good);
}
END_TEST

START_TEST(format_handles_many_rdns_and_long_oids)
{
    /* A Name with many RDNs and a long OID still formats. */
    mgw_dbuf der, out;
    mgw_dbuf_init(&der);
    mgw_dbuf_init(&out);
    size_t mark = mgw_der_open(&der);
    for (int k = 0; k < 2000; k++) {
        size_t set = mgw_der_open(&der);
        size_t atv = mgw_der_open(&der);
        mgw_der_put_oid_text(&der, "1.3.6.1.4.1.99999.1.2.3.4.5.6.7.8.9.10.11.12.13.14.15."
                                   "4294967295");
        mgw_der_put(&der, MGW_ASN1_UTF8_STRING, "v", 1);
        mgw_der_close(&der, MGW_ASN1_SEQUENCE, atv);
        mgw_der_close(&der, MGW_ASN1_SET, set);
    }
    mgw_der_close(&der, MGW_ASN1_SEQUENCE, mark);
    ck_assert(!der.oom);
    ck_assert_int_eq(mgw_dn_format(der.p, der.len, &out), MGW_OK);
    ck_assert(out.len > 2000 * 60);
    mgw_dbuf_free(&der);
    mgw_dbuf_free(&out);
}
END_TEST

START_TEST(parse_survives_random_strings)
{
    static const char alphabet[] = "CNOUDE=,+;\\#\"<> 0123456789abcdefABCDEF.\xC3\xBC\x01\x80";
    char s[48];
    mgw_dbuf name, text;
    mgw_dbuf_init(&name);
    mgw_dbuf_init(&text);
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = rnd() % (sizeof(s) - 1);
        for (size_t k = 0; k < n; k++)
            s[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
        s[n] = '\0';
        name.len = 0;
        mgw_dbuf_putc(&name, 0x55);
        int r = mgw_dn_parse(s, &name);
        ck_assert_msg(r == MGW_OK || r == MGW_ERR_DN_SYNTAX || r == MGW_ERR_DN_ATTRIBUTE ||
                          r == MGW_ERR_UTF8,
                      "'%s': %d", s, r);
        if (r != MGW_OK) {
            ck_assert(name.len == 1 && name.p[0] == 0x55);
            ck_assert_ptr_nonnull(strstr(mgw_last_error(), "at position "));
            continue;
        }
        /* Whatever parses must format. */
        text.len = 0;
        ck_assert_msg(mgw_dn_format(name.p + 1, name.len - 1, &text) == MGW_OK, "'%s': %s", s,
                      mgw_last_error());
    }
    mgw_dbuf_free(&name);
    mgw_dbuf_free(&text);
}
END_TEST

/* ---- suite -------------------------------------------------------------------------- */

static Suite *dn_suite(void)
{
    Suite *s = suite_create("dn");

    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, parse_writes_rdns_in_reverse_string_order);
    tcase_add_test(tc, parse_encodes_a_typical_subject_with_utf8);
    tcase_add_test(tc, parse_keeps_repeated_attributes_as_separate_rdns);
    tcase_add_test(tc, parse_uses_ia5_for_dc_and_email);
    tcase_add_test(tc, parse_knows_every_short_name);
    tcase_add_test(tc, parse_type_names_ignore_case_and_accept_aliases);
    tcase_add_test(tc, parse_accepts_dotted_oids);
    tcase_add_test(tc, parse_sorts_multivalued_rdn_by_encoding);
    tcase_add_test(tc, parse_unescapes_every_special_character);
    tcase_add_test(tc, parse_hex_escapes_form_utf8);
    tcase_add_test(tc, parse_keeps_escaped_spaces_and_drops_plain_trailing_ones);
    tcase_add_test(tc, parse_tolerates_spaces_around_separators);
    tcase_add_test(tc, parse_writes_hex_values_as_they_are);
    tcase_add_test(tc, parse_gives_empty_name_for_blank_input);
    tcase_add_test(tc, parse_appends_to_the_buffer);
    tcase_add_test(tc, parse_enforces_rfc5280_upper_bounds);
    tcase_add_test(tc, parse_refuses_input_over_64k);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse_errors");
    tcase_add_loop_test(tc, parse_reports_code_and_position_of_bad_input, 0,
                        (int)(sizeof(bad_dns) / sizeof(bad_dns[0])));
    tcase_add_test(tc, parse_names_the_unknown_attribute_type);
    tcase_add_test(tc, parse_refuses_null_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("format");
    tcase_add_test(tc, format_lists_the_last_der_rdn_first);
    tcase_add_test(tc, format_joins_multivalued_rdn_members_with_plus);
    tcase_add_test(tc, format_uses_short_names_and_dotted_oids);
    tcase_add_test(tc, format_escapes_rfc4514_specials);
    tcase_add_test(tc, format_decodes_bmp_t61_and_universal_strings);
    tcase_add_test(tc, format_shows_undecodable_values_as_hex);
    tcase_add_test(tc, format_gives_empty_text_for_empty_name);
    tcase_add_test(tc, format_appends_to_the_buffer);
    tcase_add_loop_test(tc, format_rejects_malformed_der, 0,
                        (int)(sizeof(malformed_names) / sizeof(malformed_names[0])));
    tcase_add_test(tc, format_rejects_every_truncation_of_a_name);
    tcase_add_test(tc, format_refuses_null_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("round_trip");
    tcase_add_loop_test(tc, round_trip_keeps_the_der, 0,
                        (int)(sizeof(round_trip_dns) / sizeof(round_trip_dns[0])));
    tcase_add_loop_test(tc, formatted_text_parses_back_to_itself, 0,
                        (int)(sizeof(text_fixpoint_dns) / sizeof(text_fixpoint_dns[0])));
    tcase_add_test(tc, round_trip_gives_canonical_text);
    tcase_add_test(tc, is_empty_only_for_an_empty_sequence);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, format_survives_random_bytes);
    tcase_add_test(tc, format_survives_mutated_names);
    tcase_add_test(tc, format_handles_many_rdns_and_long_oids);
    tcase_add_test(tc, parse_survives_random_strings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dn_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
