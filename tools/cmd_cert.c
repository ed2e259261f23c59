/* mgwauth cert create|sign|show and mgwauth ca create. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int key_type_from_name(const char *s)
{
    static const struct {
        const char *name;
        int type;
    } k[] = {{"rsa2048", MGW_KEY_RSA2048}, {"rsa3072", MGW_KEY_RSA3072},
             {"rsa4096", MGW_KEY_RSA4096}, {"p256", MGW_KEY_P256},
             {"p384", MGW_KEY_P384}};
    for (size_t i = 0; i < N(k); i++)
        if (strcmp(k[i].name, s) == 0)
            return k[i].type;
    return 0;
}

static int parse_days(const char *s, uint32_t *days)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || v < 1 || v > 36500)
        return cli_usage("--days must be a whole number from 1 to 36500, not '%s'", s);
    *days = (uint32_t)v;
    return 0;
}

/* Everything a command needs released at the end. */
typedef struct {
    mgw_certopts_t *opts;
    mgw_key_t *key, *ca_key;
    mgw_cert_t *cert, *ca_cert;
    mgw_csr_t *csr;
    char *password;
    size_t password_len;
    uint8_t *cer, *keypem;
    size_t cer_len, keypem_len;
    char *cer_path, *key_path;
    mgw_fileset_t *files;
} job;

static void job_free(job *j)
{
    mgw_certopts_free(&j->opts);
    mgw_key_free(&j->key);
    mgw_key_free(&j->ca_key);
    mgw_cert_free(&j->cert);
    mgw_cert_free(&j->ca_cert);
    mgw_csr_free(&j->csr);
    mgw_free(j->password);
    mgw_free(j->cer);
    mgw_free(j->keypem);
    free(j->cer_path);
    free(j->key_path);
    mgw_fileset_free(&j->files);
}

/* Options shared by the issuing commands: SANs, EKUs, validity, subject. */
static int apply_common(job *j, cli_opt *o, size_t n, uint32_t default_days)
{
    int r;
    const char *subject = cli_value(o, n, "subject");
    if (subject != NULL && (r = mgw_certopts_set_subject(j->opts, subject)) != MGW_OK)
        return cli_fail(r, "--subject");
    static const struct {
        const char *opt;
        int (*add)(mgw_certopts_t *, const char *);
    } sans[] = {{"upn", mgw_certopts_add_upn},
                {"email", mgw_certopts_add_email},
                {"dns", mgw_certopts_add_dns},
                {"uri", mgw_certopts_add_uri}};
    for (size_t s = 0; s < N(sans); s++) {
        cli_opt *c = cli_get(o, n, sans[s].opt);
        for (size_t i = 0; c != NULL && i < c->count; i++)
            if ((r = sans[s].add(j->opts, c->values[i])) != MGW_OK)
                return cli_fail(r, NULL);
    }
    cli_opt *eku = cli_get(o, n, "eku");
    for (size_t i = 0; eku != NULL && i < eku->count; i++) {
        char *list = strdup(eku->values[i]), *save = NULL;
        if (list == NULL)
            return 1;
        for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if ((r = mgw_certopts_add_eku(j->opts, t)) != MGW_OK) {
                free(list);
                return cli_fail(r, "--eku");
            }
        }
        free(list);
    }
    uint32_t days = default_days;
    const char *d = cli_value(o, n, "days");
    if (d != NULL && parse_days(d, &days) != 0)
        return EXIT_USAGE;
    if ((r = mgw_certopts_set_days(j->opts, days)) != MGW_OK)
        return cli_fail(r, "--days");
    return 0;
}

/* Load the issuing CA from --ca-cert/--ca-key [--ca-password-file]. */
static int load_ca(job *j, cli_opt *o, size_t n)
{
    const char *cert = cli_value(o, n, "ca-cert"), *key = cli_value(o, n, "ca-key");
    const char *pwf = cli_value(o, n, "ca-password-file");
    uint8_t *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    size_t pwlen = 0;
    int r;
    if (cli_read(cert, &data, &len) != 0)
        return 1;
    r = mgw_cert_parse(data, len, &j->ca_cert);
    mgw_free(data);
    if (r != MGW_OK)
        return cli_fail(r, cert);
    if (pwf != NULL && cli_password(pwf, &pw, &pwlen) != 0)
        return 1;
    if (cli_read(key, &data, &len) != 0) {
        mgw_free(pw);
        return 1;
    }
    j->ca_key = mgw_key_new();
    r = j->ca_key == NULL ? MGW_ERR_NO_MEMORY : mgw_key_load(j->ca_key, data, len, pw, pwlen);
    mgw_free(data);
    mgw_free(pw);
    if (r != MGW_OK)
        return cli_fail(r, key);
    return 0;
}

static int prepare_out(job *j, cli_opt *o, size_t n, const char *default_base, bool with_key)
{
    const char *dir = cli_value(o, n, "out");
    const char *base = cli_value(o, n, "name");
    if (base == NULL)
        base = default_base;
    if (!cli_valid_base(base))
        return cli_usage("--name must be a plain file name, not '%s'", base);
    j->cer_path = cli_path(dir, base, ".cer");
    if (with_key)
        j->key_path = cli_path(dir, base, ".key");
    j->files = mgw_fileset_new();
    if (j->cer_path == NULL || (with_key && j->key_path == NULL) || j->files == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    return 0;
}

/* Stage and write the outputs: all of them, or none. */
static int write_outputs(job *j, cli_opt *o, size_t n)
{
    unsigned force = cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0;
    int r;
    if (cli_mkdirs(cli_value(o, n, "out")) != 0)
        return 1;
    if ((r = mgw_cert_export(j->cert, MGW_FORMAT_DER, &j->cer, &j->cer_len)) != MGW_OK)
        return cli_fail(r, NULL);
    if ((r = mgw_fileset_add(j->files, j->cer_path, j->cer, j->cer_len, force)) != MGW_OK)
        return cli_fail(r, NULL);
    if (j->key_path != NULL &&
        (r = mgw_fileset_add(j->files, j->key_path, j->keypem, j->keypem_len,
                             force | MGW_FILE_PRIVATE)) != MGW_OK)
        return cli_fail(r, NULL);
    if ((r = mgw_fileset_commit(j->files)) != MGW_OK)
        return cli_fail(r, NULL);
    return 0;
}

/* Refuse early when an output exists, before spending time on keys. */
static int check_outputs_free(job *j, cli_opt *o, size_t n)
{
    if (cli_get(o, n, "force")->seen)
        return 0;
    const char *paths[2] = {j->cer_path, j->key_path};
    for (int i = 0; i < 2; i++) {
        if (paths[i] == NULL)
            continue;
        FILE *f = fopen(paths[i], "rb");
        if (f != NULL) {
            fclose(f);
            fprintf(stderr, "mgwauth: error: %s exists (use --force to overwrite)\n", paths[i]);
            return 1;
        }
    }
    return 0;
}

static void print_summary(job *j)
{
    char *subject = NULL, *tp = NULL;
    int64_t nb = 0, na = 0;
    mgw_cert_subject(j->cert, &subject);
    mgw_cert_thumbprint(j->cert, MGW_DIGEST_SHA1, &tp);
    mgw_cert_validity(j->cert, &nb, &na);
    printf("subject:    %s\n", subject != NULL ? subject : "");
    printf("thumbprint: %s\n", tp != NULL ? tp : "");
    time_t t = (time_t)na;
    struct tm tm;
    char when[32] = "";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("expires:    %s\n", when);
    printf("wrote:      %s\n", j->cer_path);
    if (j->key_path != NULL)
        printf("wrote:      %s (encrypted PKCS#8, mode 0600)\n", j->key_path);
    mgw_free(subject);
    mgw_free(tp);
}

/* cert create and ca create share everything but defaults. */
static int create(int argc, char **argv, bool ca)
{
    cli_opt o[] = {
        {"subject", true, false, {0}, 0, false},  {"upn", true, true, {0}, 0, false},
        {"email", true, true, {0}, 0, false},     {"dns", true, true, {0}, 0, false},
        {"uri", true, true, {0}, 0, false},       {"key", true, false, {0}, 0, false},
        {"days", true, false, {0}, 0, false},     {"eku", true, true, {0}, 0, false},
        {"ca-cert", true, false, {0}, 0, false},  {"ca-key", true, false, {0}, 0, false},
        {"ca-password-file", true, false, {0}, 0, false},
        {"password-file", true, false, {0}, 0, false},
        {"out", true, false, {0}, 0, false},      {"name", true, false, {0}, 0, false},
        {"force", false, false, {0}, 0, false},   {"pathlen", true, false, {0}, 0, false},
        {"iterations", true, false, {0}, 0, false},
    };
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    if (cli_value(o, n, "subject") == NULL)
        return cli_usage("--subject is required");
    if (cli_value(o, n, "password-file") == NULL)
        return cli_usage("--password-file is required (passwords are never taken from the "
                         "command line)");
    if (cli_value(o, n, "out") == NULL)
        return cli_usage("--out DIR is required");
    bool issued = cli_value(o, n, "ca-cert") != NULL || cli_value(o, n, "ca-key") != NULL;
    if (issued && (cli_value(o, n, "ca-cert") == NULL || cli_value(o, n, "ca-key") == NULL))
        return cli_usage("--ca-cert and --ca-key go together");
    if (!issued && cli_value(o, n, "ca-password-file") != NULL)
        return cli_usage("--ca-password-file needs --ca-cert and --ca-key");
    if (!ca && cli_value(o, n, "pathlen") != NULL)
        return cli_usage("--pathlen is for ca create");
    const char *kname = cli_value(o, n, "key");
    int ktype = kname != NULL ? key_type_from_name(kname) : MGW_KEY_RSA2048;
    if (ktype == 0)
        return cli_usage("--key must be rsa2048, rsa3072, rsa4096, p256 or p384, not '%s'",
                         kname);
    int pathlen = 0;
    if (cli_value(o, n, "pathlen") != NULL) {
        char *end;
        long v = strtol(cli_value(o, n, "pathlen"), &end, 10);
        if (*end != '\0' || v < -1 || v > 255)
            return cli_usage("--pathlen must be -1 (none) or 0 to 255");
        pathlen = (int)v;
    }
    uint32_t iterations = 0;
    if (cli_value(o, n, "iterations") != NULL) {
        char *end;
        unsigned long v = strtoul(cli_value(o, n, "iterations"), &end, 10);
        if (*end != '\0' || v < 1 || v > 10000000)
            return cli_usage("--iterations must be 1 to 10000000");
        iterations = (uint32_t)v;
    }

    job j;
    memset(&j, 0, sizeof(j));
    int rc = 1, r;
    j.opts = mgw_certopts_new();
    j.key = mgw_key_new();
    if (j.opts == NULL || j.key == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    if (ca && (r = mgw_certopts_set_ca(j.opts, 1, pathlen)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    if ((rc = apply_common(&j, o, n, ca ? 3650 : 730)) != 0)
        goto done;
    rc = 1;
    if (prepare_out(&j, o, n, ca ? "ca" : "Certificate", true) != 0 ||
        check_outputs_free(&j, o, n) != 0)
        goto done;
    if (cli_password(cli_value(o, n, "password-file"), &j.password, &j.password_len) != 0)
        goto done;
    if (issued && load_ca(&j, o, n) != 0)
        goto done;
    if ((r = mgw_key_generate(j.key, ktype)) != MGW_OK ||
        (r = mgw_cert_create(j.opts, j.key, j.ca_cert, j.ca_key, &j.cert)) != MGW_OK ||
        (r = mgw_key_export_encrypted(j.key, MGW_FORMAT_PEM, j.password, j.password_len,
                                      iterations, &j.keypem, &j.keypem_len)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    if (write_outputs(&j, o, n) != 0)
        goto done;
    print_summary(&j);
    rc = 0;
done:
    job_free(&j);
    return rc;
}

static int sign(int argc, char **argv)
{
    cli_opt o[] = {
        {"csr", true, false, {0}, 0, false},     {"subject", true, false, {0}, 0, false},
        {"upn", true, true, {0}, 0, false},      {"email", true, true, {0}, 0, false},
        {"dns", true, true, {0}, 0, false},      {"uri", true, true, {0}, 0, false},
        {"days", true, false, {0}, 0, false},    {"eku", true, true, {0}, 0, false},
        {"ca-cert", true, false, {0}, 0, false}, {"ca-key", true, false, {0}, 0, false},
        {"ca-password-file", true, false, {0}, 0, false},
        {"out", true, false, {0}, 0, false},     {"name", true, false, {0}, 0, false},
        {"force", false, false, {0}, 0, false},
    };
    size_t n = N(o), npos;
    const char *pos[1];
    if (cli_parse(argc, argv, o, n, pos, 0, &npos) != 0)
        return EXIT_USAGE;
    if (cli_value(o, n, "csr") == NULL || cli_value(o, n, "ca-cert") == NULL ||
        cli_value(o, n, "ca-key") == NULL || cli_value(o, n, "out") == NULL)
        return cli_usage("cert sign needs --csr, --ca-cert, --ca-key and --out");
    job j;
    memset(&j, 0, sizeof(j));
    int rc = 1, r;
    uint8_t *data = NULL;
    size_t len = 0;
    if ((j.opts = mgw_certopts_new()) == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    if ((rc = apply_common(&j, o, n, 730)) != 0)
        goto done;
    rc = 1;
    if (prepare_out(&j, o, n, "Certificate", false) != 0 || check_outputs_free(&j, o, n) != 0)
        goto done;
    if (cli_read(cli_value(o, n, "csr"), &data, &len) != 0)
        goto done;
    r = mgw_csr_parse(data, len, &j.csr);
    mgw_free(data);
    if (r != MGW_OK) {
        cli_fail(r, cli_value(o, n, "csr"));
        goto done;
    }
    if (load_ca(&j, o, n) != 0)
        goto done;
    if ((r = mgw_cert_sign_csr(j.opts, j.csr, j.ca_cert, j.ca_key, &j.cert)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    if (write_outputs(&j, o, n) != 0)
        goto done;
    print_summary(&j);
    rc = 0;
done:
    job_free(&j);
    return rc;
}

static int show(int argc, char **argv)
{
    cli_opt o[] = {{"json", false, false, {0}, 0, false}};
    const char *pos[1];
    size_t npos;
    if (cli_parse(argc, argv, o, N(o), pos, 1, &npos) != 0)
        return EXIT_USAGE;
    if (npos != 1)
        return cli_usage("cert show needs one FILE");
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read(pos[0], &data, &len) != 0)
        return 1;
    mgw_cert_t *c = NULL;
    char *text = NULL;
    int r = mgw_cert_parse(data, len, &c);
    mgw_free(data);
    if (r != MGW_OK)
        return cli_fail(r, pos[0]);
    r = mgw_cert_describe(c, o[0].seen ? MGW_DESCRIBE_JSON : MGW_DESCRIBE_TEXT, &text);
    mgw_cert_free(&c);
    if (r != MGW_OK)
        return cli_fail(r, pos[0]);
    fputs(text, stdout);
    mgw_free(text);
    return 0;
}

int cmd_cert(int argc, char **argv)
{
    if (argc < 1)
        return cli_usage("cert needs a subcommand: create, sign or show");
    if (strcmp(argv[0], "create") == 0)
        return create(argc - 1, argv + 1, false);
    if (strcmp(argv[0], "sign") == 0)
        return sign(argc - 1, argv + 1);
    if (strcmp(argv[0], "show") == 0)
        return show(argc - 1, argv + 1);
    return cli_usage("unknown cert subcommand '%s'", argv[0]);
}

int cmd_ca(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "create") != 0)
        return cli_usage("ca needs the subcommand create");
    return create(argc - 1, argv + 1, true);
}
