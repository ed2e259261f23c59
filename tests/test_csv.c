/* Suite "csv": the RFC 4180 reader of batch issuance, with hostile input. */
#include "../tools/csv.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *s, csv_table *t, char *err)
{
    return csv_parse((const uint8_t *)s, strlen(s), t, err, 128);
}

START_TEST(quoted_fields_commas_newlines_and_bom)
{
    csv_table t;
    char err[128];
    const char *s = "\xEF\xBB\xBFupn,subject\r\n"
                    "a@x.com,\"CN=Doe\\, John,O=X\"\r\n"
                    "\r\n"
                    "\"b@x.com\",\"two\nlines \"\"quoted\"\"\"\n"
                    "c@x.com,\n"
                    "d@x.com,last";
    ck_assert_int_eq(parse(s, &t, err), 0);
    ck_assert_uint_eq(t.n, 5);
    ck_assert_str_eq(t.recs[0].fields[0], "upn");
    ck_assert_str_eq(t.recs[1].fields[1], "CN=Doe\\, John,O=X");
    ck_assert_uint_eq(t.recs[2].line, 4);
    ck_assert_str_eq(t.recs[2].fields[1], "two\nlines \"quoted\"");
    ck_assert_uint_eq(t.recs[3].line, 6);
    ck_assert_uint_eq(t.recs[3].n, 2);
    ck_assert_str_eq(t.recs[3].fields[1], "");
    ck_assert_str_eq(t.recs[4].fields[1], "last");
    csv_free(&t);
    ck_assert_int_eq(parse("", &t, err), 0);
    ck_assert_uint_eq(t.n, 0);
}
END_TEST

START_TEST(malformed_input_names_the_line)
{
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"upn\n\"open", "line 2: unterminated quoted field"},
        {"upn\na\"b\n", "line 2: quote inside an unquoted field"},
        {"upn\n\"a\"b\n", "line 2: text after a closing quote"},
        {"upn\nx\ry\n", "line 2: bare carriage return"},
        {"upn\nok\n\xC3\x28\n", "line 3: invalid UTF-8"},
        {"upn\n\xED\xA0\x80\n", "line 2: invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        csv_table t;
        char err[128];
        ck_assert_int_eq(parse(bad[i].in, &t, err), -1);
        ck_assert_str_eq(err, bad[i].msg);
        ck_assert_ptr_null(t.recs);
    }
    csv_table t;
    char err[128];
    ck_assert_int_eq(csv_parse((const uint8_t *)"a\0b", 3, &t, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "line 1: NUL byte");
    /* 65 fields, and a 70 KiB field */
    char many[200] = "";
    for (int i = 0; i < 65; i++)
        strcat(many, i ? ",x" : "x");
    ck_assert_int_eq(parse(many, &t, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "more than 64 fields"));
    char *big = malloc(70 * 1024 + 1);
    memset(big, 'a', 70 * 1024);
    big[70 * 1024] = 0;
    ck_assert_int_eq(parse(big, &t, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "64 KiB"));
    free(big);
}
END_TEST

START_TEST(random_input_never_crashes)
{
    test_rng rng = {3};
    static const char alphabet[] = "ab,\"\r\n\xC3\xA4 ";
    for (int i = 0; i < 20000; i++) {
        char buf[64];
        uint8_t r[64];
        test_rng_cb(&rng, r, sizeof(r));
        size_t n = r[0] % 63;
        for (size_t k = 0; k < n; k++)
            buf[k] = alphabet[r[k + 1] % (sizeof(alphabet) - 1)];
        csv_table t;
        char err[128];
        if (csv_parse((const uint8_t *)buf, n, &t, err, sizeof(err)) == 0)
            csv_free(&t);
    }
}
END_TEST

START_TEST(quoting_round_trips)
{
    /* the first field starts with U+FEFF: unquoted, it would be read as the
     * file's byte-order mark and dropped (the fuzzer found it) */
    static const char *fields[] = {"\xEF\xBB\xBFupn", "plain", "a,b", "say \"hi\"",
                                   "two\nlines", " lead", ""};
    char line[512];
    size_t len = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        len = csv_quote(line, len, sizeof(line), fields[i]);
        ck_assert_uint_ne(len, (size_t)-1);
        line[len++] = i + 1 < sizeof(fields) / sizeof(fields[0]) ? ',' : '\n';
    }
    line[len] = 0;
    csv_table t;
    char err[128];
    ck_assert_int_eq(parse(line, &t, err), 0);
    ck_assert_uint_eq(t.n, 1);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        ck_assert_str_eq(t.recs[0].fields[i], fields[i]);
    csv_free(&t);
    char small[8];
    ck_assert_uint_eq(csv_quote(small, 0, sizeof(small), "too long for it"), (size_t)-1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv");
    TCase *t = tcase_create("csv");
    tcase_add_test(t, quoted_fields_commas_newlines_and_bom);
    tcase_add_test(t, malformed_input_names_the_line);
    tcase_add_test(t, random_input_never_crashes);
    tcase_add_test(t, quoting_round_trips);
    suite_add_tcase(s, t);
    return test_run(s);
}
