/* mgwauth store list|add|remove|import-pfx: one certificate store, a
 * directory (--store DIR) or a Windows system store (--system-store
 * LOCATION\NAME). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_OPTS OPT("store", true, false), OPT("system-store", true, false)

static void print_pem(const uint8_t *der, size_t len)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    puts("-----BEGIN CERTIFICATE-----");
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < len ? (uint32_t)der[i + 1] << 8 : 0) |
                     (i + 2 < len ? der[i + 2] : 0);
        char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < len ? b64[v >> 6 & 63] : '=',
                     i + 2 < len ? b64[v & 63] : '='};
        fwrite(q, 1, 4, stdout);
        if ((col += 4) == 64) {
            putchar('\n');
            col = 0;
        }
    }
    if (col > 0)
        putchar('\n');
    puts("-----END CERTIFICATE-----");
}

/* One line per certificate: SHA-1, whether it has a private key, subject;
 * with --pem each certificate follows its line. Then the other entries. */
int cmd_store_list(int argc, char **argv)
{
    cli_opt o[] = {STORE_OPTS, OPT("pem", false, false)};
    size_t n = N(o);
    mgw_store_t *s = NULL;
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    int rc = cli_open_store(o, n, &s);
    for (size_t i = 0; rc == 0 && i < mgw_store_cert_count(s); i++) {
        char *tp = NULL, *subject = NULL;
        uint8_t *der = NULL;
        size_t len = 0;
        int r = mgw_store_cert(s, i, &tp, &subject, NULL);
        if (r == MGW_OK && cli_get(o, n, "pem")->seen)
            r = mgw_store_cert_der(s, i, &der, &len);
        if (r != MGW_OK) {
            rc = cli_fail(r, NULL);
        } else {
            char *where = NULL;
            /* where a Windows store keeps it, when not only in the store's own key */
            bool show = mgw_store_cert_physical(s, i, &where) == MGW_OK && where[0] != '\0' &&
                        strcmp(where, ".Default") != 0;
            printf("%s  %s  %s%s%s%s\n", tp, mgw_store_cert_has_key(s, i) ? "key" : "-  ", subject,
                   show ? "  [" : "", show ? where : "", show ? "]" : "");
            mgw_free(where);
            if (der != NULL)
                print_pem(der, len);
        }
        mgw_free(tp);
        mgw_free(subject);
        mgw_free(der);
    }
    for (size_t i = 0; rc == 0 && i < mgw_store_other_count(s); i++) {
        char *name = NULL, *why = NULL;
        if (mgw_store_other(s, i, &name, &why) == MGW_OK)
            printf("other  %s: %s\n", name, why);
        mgw_free(name);
        mgw_free(why);
    }
    if (rc == 0)
        printf("%zu %s, %zu other %s\n", mgw_store_cert_count(s),
               cli_plural(mgw_store_cert_count(s), "certificate", "certificates"),
               mgw_store_other_count(s), cli_plural(mgw_store_other_count(s), "entry", "entries"));
    mgw_store_free(&s);
    return rc;
}

/* STORE ARG...: the store opened, the arguments in pos (at most 64). 0, or
 * the exit code after printing the problem (what: the usage error). */
static int store_and_args(int argc, char **argv, const char *what, mgw_store_t **s,
                          const char **pos, size_t *npos)
{
    cli_opt o[] = {STORE_OPTS};
    size_t n = N(o);
    if (cli_parse(argc, argv, o, n, pos, 64, npos) != 0)
        return EXIT_USAGE;
    if (*npos == 0)
        return cli_usage("%s", what);
    return cli_open_store(o, n, s);
}

int cmd_store_add(int argc, char **argv)
{
    const char *pos[64];
    size_t npos;
    mgw_store_t *s = NULL;
    int rc = store_and_args(argc, argv, "store add needs one or more certificate files (DER or PEM)",
                            &s, pos, &npos);
    for (size_t i = 0; rc == 0 && i < npos; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        char *tp = NULL;
        int added = 0, r;
        if (cli_read(pos[i], &data, &len) != 0)
            rc = 1;
        else if ((r = mgw_store_add_cert(s, data, len, &added, &tp)) != MGW_OK)
            rc = cli_fail(r, pos[i]);
        else
            printf("%s %s  %s\n", added ? "added  " : "present", tp, pos[i]);
        mgw_free(data);
        mgw_free(tp);
    }
    mgw_store_free(&s);
    return rc;
}

int cmd_store_remove(int argc, char **argv)
{
    const char *pos[64];
    size_t npos;
    mgw_store_t *s = NULL;
    int rc = store_and_args(argc, argv, "store remove needs one or more thumbprints", &s, pos, &npos);
    for (size_t i = 0; rc == 0 && i < npos; i++) {
        int r = mgw_store_remove_cert(s, pos[i]);
        if (r != MGW_OK)
            rc = cli_fail(r, NULL);
        else
            printf("removed %s\n", pos[i]);
    }
    mgw_store_free(&s);
    return rc;
}

int cmd_store_import_pfx(int argc, char **argv)
{
    cli_opt o[] = {STORE_OPTS, OPT("password-file", true, false), OPT("exportable", false, false)};
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 1, &npos) != 0)
        return EXIT_USAGE;
    const char *pwfile = cli_value(o, n, "password-file");
    if (npos != 1 || pwfile == NULL)
        return cli_usage("store import-pfx needs FILE.pfx and --password-file F");
    mgw_store_t *s = NULL;
    uint8_t *pfx = NULL;
    size_t len = 0, pwlen = 0;
    char *pw = NULL, *tp = NULL;
    int rc = cli_password(pwfile, &pw, &pwlen);
    if (rc == 0)
        rc = cli_read(pos[0], &pfx, &len);
    if (rc == 0)
        rc = cli_open_store(o, n, &s);
    if (rc == 0) {
        unsigned flags = cli_get(o, n, "exportable")->seen ? MGW_STORE_PFX_EXPORTABLE : 0;
        int r = mgw_store_import_pfx(s, pfx, len, pw, pwlen, flags, &tp);
        if (r != MGW_OK)
            rc = cli_fail(r, pos[0]);
        else
            printf("imported %s with its private key (%s)\n", tp, pos[0]);
    }
    mgw_free(tp);
    mgw_free(pw);
    mgw_free(pfx);
    mgw_store_free(&s);
    return rc;
}
