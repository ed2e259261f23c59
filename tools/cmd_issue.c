/*
 * mgwauth cert issue --batch users.csv: one PFX and CER per row from a company
 * CA, on worker threads that each own their objects (and their own copy of the
 * CA key), resumable, interruptible without partial files. This file reads
 * the options and runs the batch; issue.h names the files of its parts.
 */
#include "issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_cert_issue(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("ca", true, false),       OPT("ca-password-file", true, false),
        OPT("batch", true, false),    OPT("out", true, false),
        OPT("jobs", true, false),     OPT("key", true, false),
        OPT("profile", true, false),  OPT("days", true, false),
        OPT("iterations", true, false), OPT("force", false, false),
    };
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    const char *ca = cli_value(o, n, "ca"), *csv = cli_value(o, n, "batch");
    const char *dir = cli_value(o, n, "out");
    if (ca == NULL || csv == NULL || dir == NULL || cli_value(o, n, "ca-password-file") == NULL)
        return cli_usage("cert issue needs --ca FILE.pfx, --ca-password-file F, --batch FILE.csv "
                         "and --out DIR");
    batch b;
    memset(&b, 0, sizeof(b));
    b.dir = dir;
    b.csv_name = csv;
    b.key_type = MGW_KEY_P256;
    b.profile = MGW_PFX_PROFILE_COMPAT;
    b.days = 730;
    b.force = cli_get(o, n, "force")->seen;
    b.pw_fd = -1;
    long jobs = cli_cpu_count();
    const char *v;
    unsigned long u;
    if ((v = cli_value(o, n, "jobs")) != NULL) {
        if (!cli_uint(v, 1, 256, &u))
            return cli_usage("--jobs must be 1 to 256");
        jobs = (long)u;
    }
    if (jobs < 1)
        jobs = 1;
    if ((v = cli_value(o, n, "key")) != NULL && !cli_key_type(v, &b.key_type))
        return cli_usage("--key must be " CLI_KEY_NAMES);
    if ((v = cli_value(o, n, "profile")) != NULL && !cli_pfx_profile(v, &b.profile))
        return cli_usage("--profile must be compat or modern");
    if ((v = cli_value(o, n, "days")) != NULL) {
        if (!cli_uint(v, 1, 36500, &u))
            return cli_usage("--days must be 1 to 36500");
        b.days = (uint32_t)u;
    }
    if ((v = cli_value(o, n, "iterations")) != NULL) {
        if (!cli_uint(v, 1, mgw_pfx_max_iterations(), &u))
            return cli_usage("--iterations must be 1 to %lu", (unsigned long)mgw_pfx_max_iterations());
        b.iterations = (uint32_t)u;
    }

    int rc = 1;
    uint8_t *data = NULL;
    size_t len = 0;
    csv_table t = {NULL, 0};
    char err[256], *pw_path = NULL;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.workers_done, NULL);
    if (cli_password(cli_value(o, n, "ca-password-file"), &b.ca_pw, &b.ca_pw_len) != 0 ||
        cli_read(ca, &b.ca_pfx, &b.ca_pfx_len) != 0 || cli_read_text(csv, &data, &len) != 0)
        goto done;
    /* open the CA once here so a wrong password is one clear error */
    mgw_pfx_t *check = NULL;
    int r = mgw_pfx_parse(b.ca_pfx, b.ca_pfx_len, b.ca_pw, b.ca_pw_len, &check);
    mgw_cert_t *cac = NULL;
    if (r == MGW_OK && (r = mgw_pfx_cert(check, &cac)) == MGW_OK && !mgw_cert_is_ca(cac))
        r = MGW_ERR_NOT_CA;
    mgw_cert_free(&cac);
    mgw_pfx_free(&check);
    if (r != MGW_OK) {
        cli_fail(r, ca);
        goto done;
    }
    if (csv_parse(data, len, &t, err, sizeof(err)) != 0) {
        fprintf(stderr, "mgwauth: error: %s %s\n", csv, err);
        goto done;
    }
    if (t.n == 0) {
        fprintf(stderr, "mgwauth: error: %s: no header row\n", csv);
        goto done;
    }
    if (issue_build_rows(&b, &t, csv) != 0)
        goto done;
    if (cli_mkdirs(dir) != 0 || (pw_path = cli_path(dir, "passwords", ".csv")) == NULL)
        goto done;
    issue_scan_outputs(&b);
    double start;
    if (issue_journal_open(&b, pw_path) != 0 || issue_run_jobs(&b, jobs, &start) != 0)
        goto done;
    /* the rows' files were renamed without a directory sync each: one now */
    int wrote = mgw_file_sync_dir(dir) == MGW_OK ? 0 : cli_fail(MGW_ERR_IO, dir);
    wrote |= issue_manifest_write(&b) | issue_journal_finish(&b, pw_path);
    issue_journal_drop_empty(pw_path);
    double el = issue_now() - start;
    printf("issued %zu, already done %zu, failed %zu, not started %zu in %.1f s "
           "(%.1f certificates/s, %ld jobs)\n",
           b.issued, b.skipped, b.failed, b.n - b.issued - b.skipped - b.failed, el,
           el > 0 ? (double)b.issued / el : 0.0, jobs);
    printf("wrote:      %s/manifest.csv%s\n", dir,
           cli_exists(pw_path) ? ", passwords.csv (mode 0600)" : "");
    rc = issue_interrupted() ? 130 : (b.failed > 0 || wrote != 0) ? 1 : 0;
done:
    if (b.pw_fd >= 0)
        close(b.pw_fd);
    if (pw_path != NULL)
        issue_journal_drop_empty(pw_path);
    for (size_t i = 0; i < b.n; i++) {
        issue_set_password(&b.rows[i], NULL);
        free(b.rows[i].base);
    }
    free(b.rows);
    issue_journal_free(&b);
    free(b.by_upn);
    free(pw_path);
    csv_free(&t);
    mgw_free(data);
    mgw_free(b.ca_pfx);
    mgw_free(b.ca_pw);
    pthread_mutex_destroy(&b.lock);
    pthread_cond_destroy(&b.workers_done);
    return rc;
}
