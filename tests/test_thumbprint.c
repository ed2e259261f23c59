/* Suite "thumbprint": thumbprints as people paste them, keep-lists from
 * arguments and keep-files (PowerShell's table included), the protected roots. */
#include "roots/roots.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define LRM "\xE2\x80\x8E" /* U+200E LEFT-TO-RIGHT MARK, as the certificate dialog copies it */
#define SHA1_UP "CDD4EEAE6000AC7F40C3802C171E30148030C072"
#define SHA1_LOW "cdd4eeae6000ac7f40c3802c171e30148030c072"

static void assert_normalises(const char *in, const char *want)
{
    char *out = NULL;
    ck_assert_msg(mgw_thumbprint_normalize(in, &out) == MGW_OK, "%s: %s", in, mgw_last_error());
    ck_assert_str_eq(out, want);
    ck_assert_str_eq(mgw_last_error(), "");
    mgw_free(out);
}

static void assert_refused(const char *in, const char *needle)
{
    char *out = (char *)"untouched";
    ck_assert_int_eq(mgw_thumbprint_normalize(in, &out), MGW_ERR_THUMBPRINT);
    ck_assert_str_eq(out, "untouched");
    ck_assert_msg(strstr(mgw_last_error(), needle) != NULL, "'%s' lacks '%s'", mgw_last_error(),
                  needle);
}

START_TEST(pasted_thumbprints_normalise)
{
    assert_normalises(SHA1_UP, SHA1_UP);
    assert_normalises(SHA1_LOW, SHA1_UP);
    assert_normalises(LRM SHA1_LOW, SHA1_UP);
    assert_normalises("cd d4 ee ae 60 00 ac 7f 40 c3 80 2c 17 1e 30 14 80 30 c0 72", SHA1_UP);
    assert_normalises(LRM "cd:d4:ee:ae:60:00:ac:7f:40:c3:80:2c:17:1e:30:14:80:30:c0:72 ", SHA1_UP);
    assert_normalises("CD-D4-EE-AE-60-00-AC-7F-40-C3-80-2C-17-1E-30-14-80-30-C0-72", SHA1_UP);
    /* BOM, right-to-left mark, bidi embedding, zero-width space, no-break space, tab */
    assert_normalises("\xEF\xBB\xBF" SHA1_UP "\xE2\x80\x8F", SHA1_UP);
    assert_normalises("\xE2\x80\xAA"
                      "CDD4EEAE6000AC7F\xE2\x80\x8B"
                      "40C3802C171E3014\xC2\xA0"
                      "8030C072\t\xE2\x80\xAC",
                      SHA1_UP);
    assert_normalises("  2b:8f:1b:57:33:0d:bb:a2:d0:7a:6c:51:f7:0e:e9:0d:da:b9:ad:8e:"
                      "e0:8b:fe:1c:2a:a2:a1:a9:5d:1e:04:4d\r\n",
                      "2B8F1B57330DBBA2D07A6C51F70EE90DDAB9AD8EE08BFE1C2AA2A1A95D1E044D");
}
END_TEST

START_TEST(errors_show_the_input_and_the_position)
{
    /* Positions count characters: the invisible mark is position 1. */
    assert_refused(LRM "cdG4eeae6000ac7f40c3802c171e30148030c072", "'G' at position 4");
    assert_refused(LRM "cdG4eeae6000ac7f40c3802c171e30148030c072", "\"<U+200E>cdG4");
    assert_refused("CDD4EEAE6000AC7F40C3802C171E30148030C07", "39 hex digits");
    assert_refused("CDD4EEAE6000AC7F40C3802C171E30148030C07", "ends at position 39");
    assert_refused("CD:D4", "ends at position 5");
    assert_refused(SHA1_UP "AB", "the 41st is at position 41");
    assert_refused(SHA1_UP "AB", "42 hex digits");
    assert_refused("2B8F1B57330DBBA2D07A6C51F70EE90DDAB9AD8EE08BFE1C2AA2A1A95D1E044D0",
                   "the 65th at position 65");
    assert_refused("", "no hex digits");
    assert_refused(" : - ", "no hex digits");
    assert_refused("CDD4\xFF", "invalid UTF-8 at byte 5");
    assert_refused("CDD4\xC3\xA9", "U+00E9 at position 5");
    assert_refused("?" SHA1_UP, "'?' at position 1 is not a hex digit (an invisible U+200E");
    assert_refused("0x" SHA1_UP, "'x' at position 2");
    /* A long input is shown shortened, and the message still fits. */
    char long_in[300];
    memset(long_in, 'A', sizeof(long_in) - 1);
    long_in[sizeof(long_in) - 1] = '\0';
    assert_refused(long_in, "...\": more than 64 hex digits");
    char *out;
    ck_assert_int_eq(mgw_thumbprint_normalize(NULL, &out), MGW_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(keep_list_from_arguments_counts_distinct_entries)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    ck_assert_int_eq(mgw_rootopts_add_keep(o, SHA1_UP), MGW_OK);
    ck_assert_int_eq(mgw_rootopts_add_keep(o, LRM SHA1_LOW), MGW_OK);
    ck_assert_int_eq(mgw_rootopts_add_keep(o, "0119E81BE9A14CD8E22F40AC118C687ECBA3F4D8"), MGW_OK);
    ck_assert_uint_eq(mgw_rootopts_keep_count(o), 2);
    ck_assert_int_eq(mgw_rootopts_add_keep(o, "nope"), MGW_ERR_THUMBPRINT);
    ck_assert_uint_eq(mgw_rootopts_keep_count(o), 2);
    ck_assert_int_eq(mgw_rootopts_add_keep(o, NULL), MGW_ERR_INVALID_ARGUMENT);
    mgw_rootopts_free(&o);
    ck_assert_ptr_null(o);
    mgw_rootopts_free(&o);
    mgw_rootopts_free(NULL);
}
END_TEST

/* Get-ChildItem Cert:\LocalMachine\Root, as Windows PowerShell prints it. */
static const char powershell_table[] =
    "\r\n"
    "\r\n"
    "   PSParentPath: Microsoft.PowerShell.Security\\Certificate::LocalMachine\\Root\r\n"
    "\r\n"
    "Thumbprint                                Subject\r\n"
    "----------                                -------\r\n"
    "CDD4EEAE6000AC7F40C3802C171E30148030C072  CN=Microsoft Root Certificate Authority, "
    "DC=microsoft, DC=com   \r\n"
    "BE36A4562FB2EE05DBB3D32323ADF445084ED656  CN=Thawte Timestamping CA, OU=Thawte "
    "Certification, O=Thawte, L=Durbanville, S=Western Cape, C=ZA\r\n"
    "245C97DF7514E7CF2DF8BE72AE957B9E04741E85  OU=Copyright (c) 1997 Microsoft Corp., "
    "OU=Microsoft Time Stamping Service Root, OU=Microsoft Corporation, O=Micr...\r\n"
    "\r\n";

static size_t keep_file_count(const void *data, size_t len, int *rc)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    *rc = mgw_rootopts_add_keep_file(o, data, len, "keep.txt");
    size_t n = mgw_rootopts_keep_count(o);
    mgw_rootopts_free(&o);
    return n;
}

START_TEST(keep_file_takes_the_powershell_table_in_utf8_and_utf16)
{
    int rc;
    ck_assert_uint_eq(keep_file_count(powershell_table, strlen(powershell_table), &rc), 3);
    ck_assert_int_eq(rc, MGW_OK);
    /* What Windows PowerShell's "> keep.txt" writes: UTF-16LE with BOM. */
    mgw_dbuf u16;
    mgw_dbuf_init(&u16);
    mgw_dbuf_put(&u16, "\xFF\xFE", 2);
    ck_assert_int_eq(
        mgw_utf8_to_utf16((const uint8_t *)powershell_table, strlen(powershell_table), false, &u16),
        MGW_OK);
    ck_assert_uint_eq(keep_file_count(u16.p, u16.len, &rc), 3);
    ck_assert_int_eq(rc, MGW_OK);
    mgw_dbuf_free(&u16);
    mgw_dbuf_init(&u16);
    mgw_dbuf_put(&u16, "\xFE\xFF", 2);
    mgw_utf8_to_utf16((const uint8_t *)powershell_table, strlen(powershell_table), true, &u16);
    ck_assert_uint_eq(keep_file_count(u16.p, u16.len, &rc), 3);
    mgw_dbuf_free(&u16);
    /* UTF-8 with BOM, comments, pasted forms, a tab-separated row */
    const char mixed[] = "\xEF\xBB\xBF# gateway roots\n" LRM
                         "cd d4 ee ae 60 00 ac 7f 40 c3 80 2c 17 1e 30 14 80 30 c0 72\n"
                         "\n   # indented comment\n"
                         "BE36A4562FB2EE05DBB3D32323ADF445084ED656\tThawte  # trailing\n"
                         "0119e81b-e9a1-4cd8-e22f-40ac118c687ecba3f4d8\n";
    ck_assert_uint_eq(keep_file_count(mixed, strlen(mixed), &rc), 3);
    ck_assert_int_eq(rc, MGW_OK);
    ck_assert_uint_eq(keep_file_count("# nothing\n\n", 11, &rc), 0);
    ck_assert_int_eq(rc, MGW_OK);
}
END_TEST

START_TEST(keep_file_errors_name_file_line_and_position_and_add_nothing)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    ck_assert_int_eq(mgw_rootopts_add_keep(o, SHA1_UP), MGW_OK);
    const char bad[] = "CDD4EEAE6000AC7F40C3802C171E30148030C072\n"
                       "# fine so far\n"
                       "BE36A4562FB2EE05DBB3D32323ADF445084ED65  CN=typo\n";
    ck_assert_int_eq(mgw_rootopts_add_keep_file(o, (const uint8_t *)bad, strlen(bad), "keep.txt"),
                     MGW_ERR_THUMBPRINT);
    ck_assert_msg(strstr(mgw_last_error(),
                         "keep.txt line 3: thumbprint "
                         "\"BE36A4562FB2EE05DBB3D32323ADF445084ED65\": 39 hex") != NULL,
                  "%s", mgw_last_error());
    ck_assert_uint_eq(mgw_rootopts_keep_count(o), 1); /* nothing of the file was added */
    /* A PowerShell prompt line is not table furniture. */
    const char prompt[] = "PS C:\\> Get-ChildItem Cert:\\LocalMachine\\Root\n";
    ck_assert_int_eq(
        mgw_rootopts_add_keep_file(o, (const uint8_t *)prompt, strlen(prompt), "ps.txt"),
        MGW_ERR_THUMBPRINT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "ps.txt line 1: thumbprint \"PS C:"));
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "'P' at position 1 is not a hex digit"));
    const char latin1[] = "CDD4EEAE6000AC7F40C3802C171E30148030C072 \xE9t\xE9\n";
    ck_assert_int_eq(
        mgw_rootopts_add_keep_file(o, (const uint8_t *)latin1, strlen(latin1), "l.txt"),
        MGW_ERR_UTF8);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "l.txt is not UTF-8 (byte 42;"));
    const char odd16[] = "\xFF\xFE"
                         "C\0D\0D";
    ck_assert_int_eq(
        mgw_rootopts_add_keep_file(o, (const uint8_t *)odd16, sizeof(odd16) - 1, "u.txt"),
        MGW_ERR_UTF8);
    ck_assert_uint_eq(mgw_rootopts_keep_count(o), 1);
    mgw_rootopts_free(&o);
}
END_TEST

START_TEST(protected_roots_are_built_in_with_names)
{
    size_t n = mgw_roots_protected_count();
    ck_assert_uint_eq(n, 12);
    for (size_t i = 0; i < n; i++) {
        char *tp = NULL, *name = NULL, *norm = NULL;
        ck_assert_int_eq(mgw_roots_protected(i, &tp, &name), MGW_OK);
        ck_assert_int_eq(mgw_thumbprint_normalize(tp, &norm), MGW_OK);
        ck_assert_str_eq(norm, tp);
        ck_assert_uint_eq(strlen(tp), 40);
        ck_assert_uint_gt(strlen(name), 5);
        for (size_t k = 0; k < i; k++) {
            char *other = NULL;
            ck_assert_int_eq(mgw_roots_protected(k, &other, NULL), MGW_OK);
            ck_assert_str_ne(other, tp);
            mgw_free(other);
        }
        mgw_free(tp);
        mgw_free(name);
        mgw_free(norm);
    }
    char *name = NULL;
    ck_assert_int_eq(mgw_roots_protected(1, NULL, &name), MGW_OK);
    ck_assert_str_eq(name, "Microsoft Root Certificate Authority");
    mgw_free(name);
    name = (char *)"untouched";
    ck_assert_int_eq(mgw_roots_protected(12, NULL, &name), MGW_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(name, "untouched");
}
END_TEST

START_TEST(only_protected_roots_can_be_allowed_for_removal)
{
    mgw_rootopts_t *o = mgw_rootopts_new();
    ck_assert_int_eq(
        mgw_rootopts_allow_protected(o, LRM "cdd4eeae6000ac7f40c3802c171e30148030c072"), MGW_OK);
    ck_assert_int_eq(mgw_rootopts_allow_protected(o, "93057A8815C64FCE882FFA9116522878BC536417"),
                     MGW_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(mgw_last_error(), "not one of the protected roots"));
    ck_assert_int_eq(mgw_rootopts_allow_protected(o, "CDD4"), MGW_ERR_THUMBPRINT);
    ck_assert_int_eq(mgw_rootopts_set_remove_protected(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_rootopts_set_allow_missing(o, 1), MGW_OK);
    ck_assert_int_eq(mgw_rootopts_set_allow_missing(NULL, 1), MGW_ERR_INVALID_ARGUMENT);
    mgw_rootopts_free(&o);
}
END_TEST

START_TEST(thumbset_sorts_drops_duplicates_and_finds)
{
    mgw_thumbset s;
    mgw_thumbset_init(&s);
    mgw_thumb t[5];
    const char *hex[5] = {SHA1_UP, "0119E81BE9A14CD8E22F40AC118C687ECBA3F4D8", SHA1_LOW,
                          "2B8F1B57330DBBA2D07A6C51F70EE90DDAB9AD8EE08BFE1C2AA2A1A95D1E044D",
                          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(mgw_thumb_parse(hex[i], strlen(hex[i]), &t[i]), MGW_OK);
        ck_assert_int_eq(mgw_thumbset_add(&s, &t[i], i), MGW_OK);
    }
    mgw_thumbset_sort(&s);
    ck_assert_uint_eq(s.n, 4);
    ck_assert_uint_eq(mgw_thumbset_find(&s, &t[2])->index, 0); /* the first copy wins */
    ck_assert_uint_eq(mgw_thumbset_find(&s, &t[3])->index, 3);
    mgw_thumb absent = t[4];
    absent.d[19] = 0xFE;
    ck_assert_ptr_null(mgw_thumbset_find(&s, &absent));
    /* a SHA-1 and a SHA-256 with the same first bytes are different */
    mgw_thumb longer = t[0];
    longer.len = 32;
    ck_assert_ptr_null(mgw_thumbset_find(&s, &longer));
    mgw_thumbset_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("thumbprint");
    TCase *t = tcase_create("thumbprint");
    tcase_add_test(t, pasted_thumbprints_normalise);
    tcase_add_test(t, errors_show_the_input_and_the_position);
    tcase_add_test(t, keep_list_from_arguments_counts_distinct_entries);
    tcase_add_test(t, keep_file_takes_the_powershell_table_in_utf8_and_utf16);
    tcase_add_test(t, keep_file_errors_name_file_line_and_position_and_add_nothing);
    tcase_add_test(t, protected_roots_are_built_in_with_names);
    tcase_add_test(t, only_protected_roots_can_be_allowed_for_removal);
    tcase_add_test(t, thumbset_sorts_drops_duplicates_and_finds);
    suite_add_tcase(s, t);
    return test_run(s);
}
