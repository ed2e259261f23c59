/* Suite "core": errors, buffers, DER, text encodings, time, files. */
#include "core/core.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(every_error_code_has_a_text)
{
    for (int c = -800; c <= 0; c++)
        ck_assert_ptr_nonnull(mgw_strerror(c));
    ck_assert_str_eq(mgw_strerror(12345), "unknown error");
    ck_assert_str_eq(mgw_strerror(MGW_ERR_EXISTS), "output exists (use force to overwrite)");
    ck_assert_int_eq(MGW_ERR_DN_SYNTAX, -100); /* pinned */
    ck_assert_int_eq(MGW_ERR_KEY_TYPE, -200);
}
END_TEST

START_TEST(last_error_is_per_call_and_cleared)
{
    mgw_err(MGW_ERR_IO, "disk %d on fire", 3);
    ck_assert_str_eq(mgw_last_error(), "disk 3 on fire");
    mgw_err_prefix(MGW_ERR_IO, "backup");
    ck_assert_str_eq(mgw_last_error(), "backup: disk 3 on fire");
    mgw_err_clear();
    ck_assert_str_eq(mgw_last_error(), "");
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    mgw_err(MGW_ERR_IO, "%s", big);
    ck_assert_uint_eq(strlen(mgw_last_error()), 511);
}
END_TEST

START_TEST(version_matches_header)
{
    ck_assert_uint_eq(mgw_version_number(),
                      (MGW_VERSION_MAJOR << 16) | (MGW_VERSION_MINOR << 8) | MGW_VERSION_PATCH);
    ck_assert_str_eq(mgw_version(), "1.0.0");
}
END_TEST

START_TEST(free_accepts_null_and_out_buffers_are_terminated)
{
    mgw_free(NULL);
    uint8_t *p;
    size_t n;
    ck_assert_int_eq(mgw_out_copy("abc", 3, &p, &n), MGW_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(p[3], 0);
    mgw_free(p);
}
END_TEST

START_TEST(dbuf_grows_and_inserts)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(mgw_dbuf_putc(&b, (uint8_t)i), MGW_OK);
    ck_assert_uint_eq(b.len, 10000);
    ck_assert_int_eq(mgw_dbuf_insert(&b, 0, "XY", 2), MGW_OK);
    ck_assert_int_eq(b.p[0], 'X');
    ck_assert_int_eq(b.p[2], 0);
    ck_assert_int_eq(b.p[3], 1);
    ck_assert_int_eq(mgw_dbuf_insert(&b, b.len + 1, "Z", 1), MGW_ERR_INTERNAL);
    mgw_dbuf_printf(&b, "%d", 42);
    ck_assert_int_eq(memcmp(b.p + b.len - 2, "42", 2), 0);
    mgw_dbuf_free(&b);
    ck_assert_ptr_null(b.p);
}
END_TEST

static void der_len_roundtrip(size_t n, const char *hdr_hex)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    uint8_t *content = calloc(1, n + 1);
    ck_assert_int_eq(mgw_der_put(&b, MGW_ASN1_OCTET_STRING, content, n), MGW_OK);
    size_t hl;
    uint8_t *hdr = test_unhex(hdr_hex, &hl);
    ck_assert_uint_eq(b.len, hl + n);
    ck_assert_int_eq(memcmp(b.p, hdr, hl), 0);
    mgw_der_reader r;
    mgw_span c;
    mgw_der_reader_init(&r, b.p, b.len);
    ck_assert_int_eq(mgw_der_expect(&r, MGW_ASN1_OCTET_STRING, &c), MGW_OK);
    ck_assert_uint_eq(c.len, n);
    ck_assert(mgw_der_at_end(&r));
    free(hdr);
    free(content);
    mgw_dbuf_free(&b);
}

START_TEST(der_lengths_use_minimal_forms)
{
    der_len_roundtrip(0, "0400");
    der_len_roundtrip(127, "047F");
    der_len_roundtrip(128, "048180");
    der_len_roundtrip(255, "0481FF");
    der_len_roundtrip(256, "04820100");
    der_len_roundtrip(70000, "0483011170");
}
END_TEST

START_TEST(der_nested_close_inserts_headers)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    size_t m = mgw_der_open(&b);
    mgw_der_put_small_int(&b, 0);
    mgw_der_put_small_int(&b, 128);
    mgw_der_put_small_int(&b, 65537);
    mgw_der_close(&b, MGW_ASN1_SEQUENCE, m);
    size_t n;
    uint8_t *want = test_unhex("300C 020100 02020080 0203010001", &n);
    ck_assert_uint_eq(b.len, n);
    ck_assert_int_eq(memcmp(b.p, want, n), 0);
    free(want);
    mgw_dbuf_free(&b);
}
END_TEST

START_TEST(der_uint_strips_zeros_and_adds_sign_byte)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    mgw_der_put_uint(&b, (const uint8_t *)"\x00\x00\x80\x01", 4);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_int_eq(memcmp(b.p, "\x02\x03\x00\x80\x01", 5), 0);
    mgw_dbuf_free(&b);
}
END_TEST

START_TEST(der_reader_rejects_bad_lengths)
{
    static const char *bad[] = {
        "0481 05 0102030405", /* long form for a short length */
        "048200 05 0102030405", /* leading zero in the length */
        "0480 00",             /* indefinite */
        "0405 0102",           /* longer than the data */
        "04",                  /* no length */
        "1F0100",              /* multi-byte tag */
        "0485 0000000001 00",  /* 5 length bytes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n;
        uint8_t *p = test_unhex(bad[i], &n);
        mgw_der_reader r;
        unsigned tag;
        mgw_span c;
        mgw_der_reader_init(&r, p, n);
        ck_assert_int_eq(mgw_der_next(&r, &tag, &c, NULL), MGW_ERR_DER);
        ck_assert(strlen(mgw_last_error()) > 0);
        free(p);
    }
}
END_TEST

START_TEST(der_reader_caps_nesting_depth)
{
    /* 40 nested SEQUENCEs */
    uint8_t buf[80];
    for (int i = 0; i < 40; i++) {
        buf[2 * i] = 0x30;
        buf[2 * i + 1] = (uint8_t)(78 - 2 * i);
    }
    mgw_der_reader r = {0}, sub;
    mgw_der_reader_init(&r, buf, sizeof(buf));
    int rc = MGW_OK, depth = 0;
    while (rc == MGW_OK) {
        mgw_span c;
        rc = mgw_der_expect(&r, MGW_ASN1_SEQUENCE, &c);
        if (rc != MGW_OK)
            break;
        rc = mgw_der_reader_sub(&sub, &r, c);
        r = sub;
        depth++;
    }
    ck_assert_int_eq(rc, MGW_ERR_DER);
    ck_assert_int_le(depth, MGW_DER_MAX_DEPTH + 1);
}
END_TEST

START_TEST(oid_text_round_trips)
{
    static const char *oids[] = {"1.3.6.1.4.1.311.20.2.3", "2.5.29.17", "0.9.2342.19200300.100.1.25",
                                 "2.999.1", "1.2.840.113549.1.9.1"};
    for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
        mgw_dbuf c;
        mgw_dbuf_init(&c);
        ck_assert_int_eq(mgw_oid_from_text(oids[i], &c), MGW_OK);
        char txt[128];
        ck_assert_int_eq(mgw_oid_to_text(c.p, c.len, txt, sizeof(txt)), MGW_OK);
        ck_assert_str_eq(txt, oids[i]);
        mgw_dbuf_free(&c);
    }
    mgw_dbuf c;
    mgw_dbuf_init(&c);
    ck_assert_int_eq(mgw_der_put_oid_text(&c, "1.3.6.1.4.1.311.20.2.3"), MGW_OK);
    size_t n;
    uint8_t *want = test_unhex("060A2B060104018237140203", &n);
    ck_assert_uint_eq(c.len, n);
    ck_assert_int_eq(memcmp(c.p, want, n), 0);
    free(want);
    mgw_dbuf_free(&c);
    static const char *bad[] = {"", "1", "3.1", "1.40", "1..2", "1.2.", "a.b", "1.02", "-1.2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mgw_dbuf_init(&c);
        ck_assert_int_ne(mgw_oid_from_text(bad[i], &c), MGW_OK);
        mgw_dbuf_free(&c);
    }
    char txt[16];
    ck_assert_int_eq(mgw_oid_to_text((const uint8_t *)"\x2B\x86", 2, txt, sizeof(txt)), MGW_ERR_DER);
    ck_assert_int_eq(mgw_oid_to_text((const uint8_t *)"\x2B\x80\x01", 3, txt, sizeof(txt)),
                     MGW_ERR_DER);
}
END_TEST

START_TEST(utf8_validation_rejects_malformed_sequences)
{
    static const struct {
        const char *s;
        size_t bad_at;
    } bad[] = {
        {"ab\xC0\xAF", 2},         /* overlong '/' */
        {"\xED\xA0\x80", 0},       /* surrogate */
        {"x\xF4\x90\x80\x80", 1},  /* > U+10FFFF */
        {"\xE2\x82", 0},           /* truncated */
        {"ok\x80", 2},             /* lone continuation */
        {"\xFF", 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t at = 99;
        ck_assert(!mgw_utf8_valid((const uint8_t *)bad[i].s, strlen(bad[i].s), &at));
        ck_assert_uint_eq(at, bad[i].bad_at);
    }
    const char *good = "Gr\xC3\xBC\xC3\x9F" "e \xE2\x82\xAC \xF0\x9F\x94\x91";
    ck_assert(mgw_utf8_valid((const uint8_t *)good, strlen(good), NULL));
}
END_TEST

START_TEST(utf16_conversion_handles_surrogates)
{
    const char *s = "A\xC3\xA9\xF0\x9F\x94\x91"; /* A, e-acute, U+1F511 */
    mgw_dbuf be, back;
    mgw_dbuf_init(&be);
    mgw_dbuf_init(&back);
    ck_assert_int_eq(mgw_utf8_to_utf16((const uint8_t *)s, strlen(s), true, &be), MGW_OK);
    size_t n;
    uint8_t *want = test_unhex("0041 00E9 D83D DD11", &n);
    ck_assert_uint_eq(be.len, n);
    ck_assert_int_eq(memcmp(be.p, want, n), 0);
    ck_assert_int_eq(mgw_utf16_to_utf8(be.p, be.len, true, &back), MGW_OK);
    ck_assert_uint_eq(back.len, strlen(s));
    ck_assert_int_eq(memcmp(back.p, s, back.len), 0);
    mgw_dbuf_free(&back);
    mgw_dbuf_init(&back);
    ck_assert_int_eq(mgw_utf16_to_utf8(be.p, 3, true, &back), MGW_ERR_UTF8);      /* odd */
    ck_assert_int_eq(mgw_utf16_to_utf8(be.p, 6, true, &back), MGW_ERR_UTF8);      /* lone high */
    ck_assert_int_eq(mgw_utf16_to_utf8(be.p + 6, 2, true, &back), MGW_ERR_UTF8);  /* lone low */
    ck_assert_int_eq(mgw_utf8_to_utf16((const uint8_t *)"\xC0\x80", 2, true, &back), MGW_ERR_UTF8);
    free(want);
    mgw_dbuf_free(&be);
    mgw_dbuf_free(&back);
    mgw_dbuf le;
    mgw_dbuf_init(&le);
    ck_assert_int_eq(mgw_utf8_to_utf16((const uint8_t *)"Hi", 2, false, &le), MGW_OK);
    ck_assert_int_eq(memcmp(le.p, "H\0i\0", 4), 0);
    mgw_dbuf_free(&le);
}
END_TEST

START_TEST(base64_matches_rfc4648_vectors)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        mgw_dbuf b, d;
        mgw_dbuf_init(&b);
        mgw_dbuf_init(&d);
        mgw_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), 0, &b);
        ck_assert_uint_eq(b.len, strlen(enc[i]));
        ck_assert(b.len == 0 || memcmp(b.p, enc[i], b.len) == 0);
        ck_assert_int_eq(mgw_base64_decode(enc[i], strlen(enc[i]), &d), MGW_OK);
        ck_assert_uint_eq(d.len, strlen(plain[i]));
        ck_assert(d.len == 0 || memcmp(d.p, plain[i], d.len) == 0);
        mgw_dbuf_free(&b);
        mgw_dbuf_free(&d);
    }
    mgw_dbuf d;
    mgw_dbuf_init(&d);
    ck_assert_int_eq(mgw_base64_decode("Zm9v!", 5, &d), MGW_ERR_PEM);
    ck_assert_int_eq(mgw_base64_decode("Zg=a", 4, &d), MGW_ERR_PEM);
    ck_assert_int_eq(mgw_base64_decode("Z", 1, &d), MGW_ERR_PEM);
    mgw_dbuf_free(&d);
}
END_TEST

START_TEST(pem_round_trip_and_errors)
{
    uint8_t der[100];
    for (int i = 0; i < 100; i++)
        der[i] = (uint8_t)(i * 7);
    mgw_dbuf pem, back;
    mgw_dbuf_init(&pem);
    mgw_dbuf_init(&back);
    ck_assert_int_eq(mgw_pem_write("CERTIFICATE", der, sizeof(der), &pem), MGW_OK);
    ck_assert(mgw_is_pem(pem.p, pem.len));
    char label[32];
    ck_assert_int_eq(mgw_pem_read(pem.p, pem.len, NULL, &back, label, sizeof(label)), MGW_OK);
    ck_assert_str_eq(label, "CERTIFICATE");
    ck_assert_uint_eq(back.len, sizeof(der));
    ck_assert_int_eq(memcmp(back.p, der, sizeof(der)), 0);
    mgw_dbuf_free(&back);
    mgw_dbuf_init(&back);
    ck_assert_int_eq(mgw_pem_read(pem.p, pem.len, "PRIVATE KEY", &back, NULL, 0), MGW_ERR_PEM);
    ck_assert_int_eq(mgw_pem_read(pem.p, pem.len - 10, NULL, &back, NULL, 0), MGW_ERR_PEM);
    const char *hdr = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n"
                      "-----END RSA PRIVATE KEY-----\n";
    ck_assert_int_eq(mgw_pem_read((const uint8_t *)hdr, strlen(hdr), NULL, &back, NULL, 0),
                     MGW_ERR_PEM);
    mgw_dbuf_free(&pem);
    mgw_dbuf_free(&back);
}
END_TEST

START_TEST(civil_time_conversions)
{
    ck_assert_int_eq(mgw_time_from_civil(1970, 1, 1, 0, 0, 0), 0);
    ck_assert_int_eq(mgw_time_from_civil(2000, 3, 1, 0, 0, 0), 951868800);
    ck_assert_int_eq(mgw_time_from_civil(2049, 12, 31, 23, 59, 59), 2524607999LL);
    ck_assert_int_eq(mgw_time_from_civil(1950, 1, 1, 0, 0, 0), -631152000LL);
    for (int64_t t = -700000000LL; t < 4102444800LL; t += 86399 * 37) {
        int y, mo, d, h, mi, s;
        mgw_time_to_civil(t, &y, &mo, &d, &h, &mi, &s);
        ck_assert_int_eq(mgw_time_from_civil(y, mo, d, h, mi, s), t);
    }
    char iso[21];
    mgw_time_iso(951782400, iso);
    ck_assert_str_eq(iso, "2000-02-29T00:00:00Z");
}
END_TEST

static void time_enc(int64_t t, const char *want_hex)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    ck_assert_int_eq(mgw_der_put_time(&b, t), MGW_OK);
    size_t n;
    uint8_t *want = test_unhex(want_hex, &n);
    ck_assert_uint_eq(b.len, n);
    ck_assert_int_eq(memcmp(b.p, want, n), 0);
    mgw_der_reader r;
    unsigned tag;
    mgw_span c;
    int64_t back;
    mgw_der_reader_init(&r, b.p, b.len);
    ck_assert_int_eq(mgw_der_next(&r, &tag, &c, NULL), MGW_OK);
    ck_assert_int_eq(mgw_der_parse_time(tag, c, &back), MGW_OK);
    ck_assert_int_eq(back, t);
    free(want);
    mgw_dbuf_free(&b);
}

START_TEST(times_switch_to_generalized_in_2050)
{
    /* 2049-12-31 23:59:59 UTCTime "491231235959Z" */
    time_enc(2524607999LL, "170D 343931323331323335393539 5A");
    /* 2050-01-01 00:00:00 GeneralizedTime "20500101000000Z" */
    time_enc(2524608000LL, "180F 3230353030313031303030303030 5A");
    /* 1950-01-01 UTCTime "500101000000Z" */
    time_enc(-631152000LL, "170D 353030313031303030303030 5A");
    mgw_span bad = {(const uint8_t *)"490230000000Z", 13};
    int64_t t;
    ck_assert_int_eq(mgw_der_parse_time(MGW_ASN1_UTC_TIME, bad, &t), MGW_ERR_DER);
    mgw_span nz = {(const uint8_t *)"4901010000000", 13};
    ck_assert_int_eq(mgw_der_parse_time(MGW_ASN1_UTC_TIME, nz, &t), MGW_ERR_DER);
    mgw_span leap = {(const uint8_t *)"20000229000000Z", 15};
    ck_assert_int_eq(mgw_der_parse_time(MGW_ASN1_GENERALIZED_TIME, leap, &t), MGW_OK);
    mgw_span noleap = {(const uint8_t *)"21000229000000Z", 15};
    ck_assert_int_eq(mgw_der_parse_time(MGW_ASN1_GENERALIZED_TIME, noleap, &t), MGW_ERR_DER);
}
END_TEST

START_TEST(file_write_is_atomic_and_refuses_overwrite)
{
    char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/out.cer", dir);
    ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"one", 3, 0), MGW_OK);
    ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"two", 3, 0), MGW_ERR_EXISTS);
    size_t n;
    uint8_t *p = test_read(path, &n);
    ck_assert_str_eq((char *)p, "one");
    free(p);
    ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"three", 5, MGW_FILE_FORCE), MGW_OK);
    p = test_read(path, &n);
    ck_assert_str_eq((char *)p, "three");
    free(p);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    snprintf(path, sizeof(path), "%s/secret.key", dir);
    ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"k", 1, MGW_FILE_PRIVATE), MGW_OK);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    /* no temporary files left behind */
    ck_assert_int_eq(test_sh("test $(ls -A '%s' | wc -l) -eq 2", dir), 0);
    snprintf(path, sizeof(path), "%s/missing/x", dir);
    ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"x", 1, 0), MGW_ERR_IO);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* The file flags are MGW_FILE_FORCE, _PRIVATE and _NO_DIR_SYNC: any other
 * bit is refused, and nothing is written. Bit 0x100 was once taken for the
 * library's own "flush later" and made mgw_file_write rename an unflushed
 * file into place. */
START_TEST(unknown_file_flags_are_refused)
{
    char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/out.cer", dir);
    static const unsigned bad[] = {0x8u, 0x100u, 0x100u | MGW_FILE_FORCE, 0x80000000u};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"one", 3, bad[i]),
                         MGW_ERR_INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(mgw_last_error(), "unknown flags"));
        mgw_fileset_t *fs = mgw_fileset_new();
        ck_assert_int_eq(mgw_fileset_add(fs, path, (const uint8_t *)"one", 3, bad[i]),
                         MGW_ERR_INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(mgw_last_error(), "mgw_fileset_add: unknown flags"));
        ck_assert_int_eq(mgw_fileset_commit(fs), MGW_OK);
        mgw_fileset_free(&fs);
    }
    ck_assert_int_eq(test_sh("test $(ls -A '%s' | wc -l) -eq 0", dir), 0);
    ck_assert_int_eq(mgw_file_write(path, (const uint8_t *)"one", 3,
                                    MGW_FILE_FORCE | MGW_FILE_PRIVATE | MGW_FILE_NO_DIR_SYNC),
                     MGW_OK);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(fileset_writes_all_or_nothing)
{
    char *dir = test_tmpdir();
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/a.cer", dir);
    snprintf(b, sizeof(b), "%s/b.key", dir);
    mgw_fileset_t *fs = mgw_fileset_new();
    ck_assert_int_eq(mgw_fileset_add(fs, a, (const uint8_t *)"A", 1, 0), MGW_OK);
    ck_assert_int_eq(mgw_fileset_add(fs, a, (const uint8_t *)"A", 1, 0), MGW_ERR_EXISTS);
    ck_assert_int_eq(mgw_fileset_add(fs, b, (const uint8_t *)"B", 1, MGW_FILE_PRIVATE), MGW_OK);
    /* someone creates b meanwhile: commit fails and a is removed again */
    test_write(b, "other", 5);
    ck_assert_int_eq(mgw_fileset_commit(fs), MGW_ERR_EXISTS);
    ck_assert_int_ne(access(a, F_OK), 0);
    mgw_fileset_free(&fs);
    ck_assert_ptr_null(fs);
    ck_assert_int_eq(test_sh("test $(ls -A '%s' | wc -l) -eq 1", dir), 0);
    /* freed before commit: nothing is written */
    fs = mgw_fileset_new();
    ck_assert_int_eq(mgw_fileset_add(fs, a, (const uint8_t *)"A", 1, 0), MGW_OK);
    mgw_fileset_free(&fs);
    ck_assert_int_eq(test_sh("test $(ls -A '%s' | wc -l) -eq 1", dir), 0);
    fs = mgw_fileset_new();
    ck_assert_int_eq(mgw_fileset_add(fs, a, (const uint8_t *)"A", 1, 0), MGW_OK);
    ck_assert_int_eq(mgw_fileset_add(fs, b, (const uint8_t *)"B", 1, MGW_FILE_FORCE), MGW_OK);
    ck_assert_int_eq(mgw_fileset_commit(fs), MGW_OK);
    mgw_fileset_free(&fs);
    size_t n;
    uint8_t *p = test_read(b, &n);
    ck_assert_str_eq((char *)p, "B");
    free(p);
    test_rmtree(dir);
    free(dir);
}
END_TEST

static int read_pw(const char *dir, const void *content, size_t len, char **pw, size_t *pwlen)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/pw", dir);
    test_write(path, content, len);
    return mgw_password_file_read(path, pw, pwlen);
}

/* mgw_text_decode of n bytes: the result code, and the text when it is MGW_OK. */
static int decode(const char *in, size_t n, char *text, size_t size)
{
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = mgw_text_decode((const uint8_t *)in, n, "in.txt", &b);
    snprintf(text, size, "%.*s", (int)b.len, b.len > 0 ? (const char *)b.p : "");
    mgw_dbuf_free(&b);
    return r;
}

START_TEST(text_inputs_in_the_encodings_windows_writes)
{
    char t[64];
    ck_assert_int_eq(decode(NULL, 0, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "");
    ck_assert_int_eq(decode("\xEF\xBB\xBF", 3, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "");
    ck_assert_int_eq(decode("\xFF\xFE", 2, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "");
    ck_assert_int_eq(decode("\xEF\xBB\xBF\xC3\xA4" "b", 6, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "\xC3\xA4" "b");
    ck_assert_int_eq(decode("\xFF\xFE\xE4\0b\0", 6, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "\xC3\xA4" "b");
    ck_assert_int_eq(decode("\xFE\xFF\0\xE4\0b", 6, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "\xC3\xA4" "b");
    ck_assert_int_eq(decode("\xFF\xFE\x3D\xD8\x11\xDD", 6, t, sizeof(t)), MGW_OK);
    ck_assert_str_eq(t, "\xF0\x9F\x94\x91");
    static const struct {
        const char *in;
        size_t n;
        const char *says;
    } bad[] = {
        {"\xFF\xFEx", 3, "broken UTF-16LE"},
        {"\xFF\xFE\x3D\xD8", 4, "broken UTF-16LE"},
        {"\xFE\xFF\xD8\x3D", 4, "broken UTF-16BE"},
        {"\xFF\xFE\0\0x\0\0\0", 8, "UTF-32LE"},
        {"\0\0\xFE\xFF\0\0\0x", 8, "UTF-32BE"},
        {"a\0b\0c\0", 6, "UTF-16LE without BOM"},
        {"\0a\0b\0c", 6, "UTF-16BE without BOM"},
        {"a\0\0\0b\0\0\0", 8, "UTF-32LE"},
        {"K\xF6ln", 4, "not UTF-8 (byte 2; probably the ANSI code page"},
        {"\xEF\xBB\xBF\xC0\x80", 5, "not UTF-8 (byte 1;"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(decode(bad[i].in, bad[i].n, t, sizeof(t)), MGW_ERR_UTF8);
        ck_assert_msg(strstr(mgw_last_error(), bad[i].says) != NULL, "%zu: %s", i,
                      mgw_last_error());
        ck_assert_ptr_nonnull(strstr(mgw_last_error(), "in.txt"));
    }
    /* a stray NUL is left to the caller (a password refuses it, with its own code) */
    ck_assert_int_eq(decode("a\0b\n", 4, t, sizeof(t)), MGW_OK);
}
END_TEST

START_TEST(password_files_take_the_first_line)
{
    char *dir = test_tmpdir();
    char *pw;
    size_t n;
    ck_assert_int_eq(read_pw(dir, "s3cret\r\nsecond", 14, &pw, &n), MGW_OK);
    ck_assert_str_eq(pw, "s3cret");
    ck_assert_uint_eq(n, 6);
    mgw_free(pw);
    ck_assert_int_eq(read_pw(dir, "", 0, &pw, &n), MGW_OK);
    ck_assert_uint_eq(n, 0);
    mgw_free(pw);
    ck_assert_int_eq(read_pw(dir, "\n", 1, &pw, &n), MGW_OK);
    ck_assert_uint_eq(n, 0);
    mgw_free(pw);
    ck_assert_int_eq(read_pw(dir, "no-newline", 10, &pw, &n), MGW_OK);
    ck_assert_str_eq(pw, "no-newline");
    mgw_free(pw);
    ck_assert_int_eq(read_pw(dir, "caf\xC3\xA9 \xF0\x9F\x94\x91\n", 11, &pw, &n), MGW_OK);
    ck_assert_uint_eq(n, 10);
    mgw_free(pw);
    ck_assert_int_eq(read_pw(dir, "a\0b\n", 4, &pw, &n), MGW_ERR_PASSWORD);
    ck_assert_int_eq(read_pw(dir, "bad\xC3(\n", 6, &pw, &n), MGW_ERR_UTF8);
    char big[1100];
    memset(big, 'p', sizeof(big));
    ck_assert_int_eq(read_pw(dir, big, sizeof(big), &pw, &n), MGW_ERR_PASSWORD);
    ck_assert_ptr_null(strstr(mgw_last_error(), "ppp")); /* never echoes the password */
    ck_assert_int_eq(mgw_password_file_read("/nonexistent/pw", &pw, &n), MGW_ERR_NOT_FOUND);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(file_read_enforces_the_size_cap)
{
    char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/big", dir);
    char *data = calloc(1, 200000);
    test_write(path, data, 200000);
    uint8_t *p;
    size_t n;
    ck_assert_int_eq(mgw_file_read(path, 100000, &p, &n), MGW_ERR_TOO_LARGE);
    ck_assert_int_eq(mgw_file_read(path, 200000, &p, &n), MGW_OK);
    ck_assert_uint_eq(n, 200000);
    mgw_free(p);
    free(data);
    test_rmtree(dir);
    free(dir);
}
END_TEST

/* Callers build a message from the previous one: mgw_err(code, "...%s...",
 * mgw_last_error()) must read the old text, not the one being written. */
START_TEST(an_error_built_from_the_last_error_is_not_garbled)
{
    mgw_err(MGW_ERR_IO, "writing X: injected fault");
    ck_assert_int_eq(mgw_err(MGW_ERR_REG_RESTORE, "restore failed (%s); see %s", mgw_last_error(),
                             "backup.reg"),
                     MGW_ERR_REG_RESTORE);
    ck_assert_str_eq(mgw_last_error(), "restore failed (writing X: injected fault); see backup.reg");
    mgw_err(MGW_ERR_IO, "abc");
    mgw_err(MGW_ERR_IO, "%s%s", mgw_last_error(), mgw_last_error());
    ck_assert_str_eq(mgw_last_error(), "abcabc");
}
END_TEST

START_TEST(pem_labels_with_control_characters_are_shown_escaped)
{
    static const char text[] = "-----BEGIN \x1b[2J\x9b-----\nMAA=\n-----END \x1b[2J\x9b-----\n";
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    ck_assert_int_eq(mgw_pem_read((const uint8_t *)text, sizeof(text) - 1, NULL, &der, NULL, 0),
                     MGW_ERR_PEM);
    ck_assert_str_eq(mgw_last_error(), "PEM: malformed BEGIN line (label '<U+001B>[2J<0x9B>')");
    mgw_dbuf_free(&der);
    char buf[16];
    ck_assert_str_eq(mgw_show_text("abcdefghijklmnop", 16, 64, buf, sizeof(buf)), "abcdefghijkl...");
    ck_assert_str_eq(mgw_show_text("ab\ncd", 5, 3, buf, sizeof(buf)), "ab<U+000A>...");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *t = tcase_create("core");
    tcase_add_test(t, every_error_code_has_a_text);
    tcase_add_test(t, last_error_is_per_call_and_cleared);
    tcase_add_test(t, an_error_built_from_the_last_error_is_not_garbled);
    tcase_add_test(t, pem_labels_with_control_characters_are_shown_escaped);
    tcase_add_test(t, version_matches_header);
    tcase_add_test(t, free_accepts_null_and_out_buffers_are_terminated);
    tcase_add_test(t, dbuf_grows_and_inserts);
    tcase_add_test(t, der_lengths_use_minimal_forms);
    tcase_add_test(t, der_nested_close_inserts_headers);
    tcase_add_test(t, der_uint_strips_zeros_and_adds_sign_byte);
    tcase_add_test(t, der_reader_rejects_bad_lengths);
    tcase_add_test(t, der_reader_caps_nesting_depth);
    tcase_add_test(t, oid_text_round_trips);
    tcase_add_test(t, utf8_validation_rejects_malformed_sequences);
    tcase_add_test(t, utf16_conversion_handles_surrogates);
    tcase_add_test(t, base64_matches_rfc4648_vectors);
    tcase_add_test(t, pem_round_trip_and_errors);
    tcase_add_test(t, civil_time_conversions);
    tcase_add_test(t, times_switch_to_generalized_in_2050);
    tcase_add_test(t, file_write_is_atomic_and_refuses_overwrite);
    tcase_add_test(t, unknown_file_flags_are_refused);
    tcase_add_test(t, fileset_writes_all_or_nothing);
    tcase_add_test(t, password_files_take_the_first_line);
    tcase_add_test(t, text_inputs_in_the_encodings_windows_writes);
    tcase_add_test(t, file_read_enforces_the_size_cap);
    suite_add_tcase(s, t);
    return test_run(s);
}
