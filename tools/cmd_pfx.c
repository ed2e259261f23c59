/* mgwauth pfx show|convert. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read and open a PFX; prints the problem on failure. */
static int open_pfx(const char *path, const char *pwfile, mgw_pfx_t **pfx)
{
    char *pw = NULL;
    size_t pwlen = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_password(pwfile, &pw, &pwlen) != 0)
        return 1;
    if (cli_read(path, &data, &len) != 0) {
        mgw_free(pw);
        return 1;
    }
    int r = mgw_pfx_parse(data, len, pw, pwlen, pfx);
    mgw_free(data);
    mgw_free(pw);
    return r == MGW_OK ? 0 : cli_fail(r, path);
}

int cmd_pfx_show(int argc, char **argv)
{
    cli_opt o[] = {OPT("password-file", true, false), OPT("json", false, false)};
    const char *pos[1];
    size_t npos;
    if (cli_parse(argc, argv, o, N(o), pos, 1, &npos) != 0)
        return EXIT_USAGE;
    if (npos != 1 || cli_value(o, N(o), "password-file") == NULL)
        return cli_usage("pfx show needs FILE and --password-file");
    mgw_pfx_t *pfx = NULL;
    if (open_pfx(pos[0], cli_value(o, N(o), "password-file"), &pfx) != 0)
        return 1;
    char *text = NULL;
    int r = mgw_pfx_describe(pfx, o[1].seen ? MGW_DESCRIBE_JSON : MGW_DESCRIBE_TEXT, &text);
    mgw_pfx_free(&pfx);
    if (r != MGW_OK)
        return cli_fail(r, pos[0]);
    fputs(text, stdout);
    mgw_free(text);
    return 0;
}

int cmd_pfx_convert(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("password-file", true, false), OPT("new-password-file", true, false),
        OPT("profile", true, false),       OPT("iterations", true, false),
        OPT("friendly-name", true, false), OPT("force", false, false),
    };
    const char *pos[2];
    size_t npos, n = N(o);
    if (cli_parse(argc, argv, o, n, pos, 2, &npos) != 0)
        return EXIT_USAGE;
    const char *profile = cli_value(o, n, "profile");
    if (npos != 2 || cli_value(o, n, "password-file") == NULL || profile == NULL)
        return cli_usage("pfx convert needs IN OUT --password-file F --profile compat|modern");
    int prof;
    if (!cli_pfx_profile(profile, &prof))
        return cli_usage("--profile must be compat or modern, not '%s'", profile);
    unsigned long iterations = 0;
    const char *it = cli_value(o, n, "iterations");
    if (it != NULL && !cli_uint(it, 1, mgw_pfx_max_iterations(), &iterations))
        return cli_usage("--iterations must be 1 to %lu", (unsigned long)mgw_pfx_max_iterations());
    unsigned force = cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0;
    if (!force) {
        FILE *f = cli_fopen(pos[1], "rb");
        if (f != NULL) {
            fclose(f);
            fprintf(stderr, "mgwauth: error: %s exists (use --force to overwrite)\n", pos[1]);
            return 1;
        }
    }
    const char *newpwf = cli_value(o, n, "new-password-file");
    char *pw = NULL;
    size_t pwlen = 0;
    if (cli_password(newpwf != NULL ? newpwf : cli_value(o, n, "password-file"), &pw, &pwlen) != 0)
        return 1;
    mgw_pfx_t *pfx = NULL;
    mgw_pfxopts_t *opts = mgw_pfxopts_new();
    uint8_t *out = NULL;
    size_t outlen = 0;
    int rc = 1, r = opts == NULL ? MGW_ERR_NO_MEMORY : MGW_OK;
    if (r == MGW_OK && open_pfx(pos[0], cli_value(o, n, "password-file"), &pfx) != 0)
        goto done;
    if (r == MGW_OK)
        r = mgw_pfxopts_set_profile(opts, prof);
    if (r == MGW_OK && iterations > 0)
        r = mgw_pfxopts_set_iterations(opts, (uint32_t)iterations);
    if (r == MGW_OK && cli_value(o, n, "friendly-name") != NULL)
        r = mgw_pfxopts_set_friendly_name(opts, cli_value(o, n, "friendly-name"));
    if (r == MGW_OK)
        r = mgw_pfx_convert(pfx, opts, pw, pwlen, &out, &outlen);
    if (r == MGW_OK)
        r = mgw_file_write(pos[1], out, outlen, force | MGW_FILE_PRIVATE);
    if (r != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    printf("wrote:      %s (%s profile, mode 0600)\n", pos[1], profile);
    rc = 0;
done:
    mgw_free(out);
    mgw_free(pw);
    mgw_pfx_free(&pfx);
    mgw_pfxopts_free(&opts);
    return rc;
}
