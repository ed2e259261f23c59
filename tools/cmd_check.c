/* mgwauth check: does the gateway accept our certificate and refuse everyone else? */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Client certificate, key and chain from the PFX into the options. */
int cli_check_load_client(mgw_checkopts_t *opts, const char *path, const char *pwfile)
{
    char *pw = NULL;
    size_t pwlen = 0, len = 0;
    uint8_t *data = NULL;
    if (cli_password(pwfile, &pw, &pwlen) != 0)
        return 1;
    if (cli_read(path, &data, &len) != 0) {
        mgw_free(pw);
        return 1;
    }
    mgw_pfx_t *pfx = NULL;
    mgw_cert_t *cert = NULL, *extra = NULL;
    mgw_key_t *key = NULL;
    int r = mgw_pfx_parse(data, len, pw, pwlen, &pfx);
    mgw_free(data);
    mgw_free(pw);
    if (r == MGW_OK)
        r = mgw_pfx_key(pfx, &key);
    if (r == MGW_OK)
        r = mgw_pfx_cert(pfx, &cert);
    if (r == MGW_OK)
        r = mgw_checkopts_set_client(opts, cert, key);
    for (size_t i = 0; r == MGW_OK && i < mgw_pfx_extra_cert_count(pfx); i++) {
        r = mgw_pfx_extra_cert(pfx, i, &extra);
        if (r == MGW_OK)
            r = mgw_checkopts_add_client_chain(opts, extra);
        mgw_cert_free(&extra);
    }
    mgw_cert_free(&cert);
    mgw_key_free(&key);
    mgw_pfx_free(&pfx);
    return r == MGW_OK ? 0 : cli_fail(r, path);
}

int cmd_check(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("pfx", true, false),           OPT("password-file", true, false),
        OPT("cafile", true, false),        OPT("insecure", false, false),
        OPT("expect-status", true, false), OPT("timeout", true, false),
        OPT("json", false, false),         OPT("connect-to", true, false),
        OPT("tls12", false, false),
    };
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 1, &npos) != 0)
        return EXIT_USAGE;
    if (npos != 1 || cli_value(o, n, "pfx") == NULL || cli_value(o, n, "password-file") == NULL)
        return cli_usage("check needs URL, --pfx FILE and --password-file F");
    bool insecure = cli_get(o, n, "insecure")->seen;
    if (insecure == (cli_value(o, n, "cafile") != NULL))
        return cli_usage("give exactly one of --cafile FILE and --insecure");
    long status = 200, timeout = 10;
    char *end;
    if (cli_value(o, n, "expect-status") != NULL) {
        status = strtol(cli_value(o, n, "expect-status"), &end, 10);
        if (*end != '\0' || status < 100 || status > 599)
            return cli_usage("--expect-status must be an HTTP status from 100 to 599");
    }
    if (cli_value(o, n, "timeout") != NULL) {
        timeout = strtol(cli_value(o, n, "timeout"), &end, 10);
        if (*end != '\0' || timeout < 1 || timeout > 600)
            return cli_usage("--timeout must be 1 to 600 seconds");
    }
    mgw_checkopts_t *opts = mgw_checkopts_new();
    mgw_checkres_t *res = NULL;
    char *text = NULL;
    int rc = 1, r = opts == NULL ? MGW_ERR_NO_MEMORY : mgw_checkopts_set_url(opts, pos[0]);
    if (r == MGW_OK)
        r = mgw_checkopts_set_expected_status(opts, (int)status);
    if (r == MGW_OK)
        r = mgw_checkopts_set_timeout_ms(opts, (uint32_t)timeout * 1000);
    if (r == MGW_OK && insecure)
        r = mgw_checkopts_set_insecure(opts, 1);
    if (r == MGW_OK && !insecure)
        r = mgw_checkopts_set_cafile(opts, cli_value(o, n, "cafile"));
    if (r == MGW_OK && cli_value(o, n, "connect-to") != NULL)
        r = mgw_checkopts_set_connect_to(opts, cli_value(o, n, "connect-to"));
    if (r == MGW_OK && cli_get(o, n, "tls12")->seen)
        r = mgw_checkopts_set_max_tls(opts, MGW_TLS_1_2);
    if (r != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    if (cli_check_load_client(opts, cli_value(o, n, "pfx"), cli_value(o, n, "password-file")) != 0)
        goto done;
    if ((r = mgw_check_run(opts, &res)) != MGW_OK ||
        (r = mgw_checkres_describe(res, cli_get(o, n, "json")->seen ? MGW_DESCRIBE_JSON
                                                                    : MGW_DESCRIBE_TEXT,
                                   &text)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    fputs(text, stdout);
    rc = mgw_checkres_passed(res) ? 0 : 1;
done:
    mgw_free(text);
    mgw_checkres_free(&res);
    mgw_checkopts_free(&opts);
    return rc;
}
