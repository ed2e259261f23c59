/* mgwauth cert create|sign|show and mgwauth ca create. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OUTPUTS 4

static int parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                      unsigned long *v)
{
    if (!cli_uint(s, lo, hi, v))
        return cli_usage("--%s must be a whole number from %lu to %lu, not '%s'", opt, lo, hi, s);
    return 0;
}

/* One file a command writes. */
typedef struct {
    const char *ext, *what;
    uint8_t *data;
    size_t len;
    unsigned flags;
    char *path;
} output;

/* Everything a command needs released at the end. */
typedef struct {
    mgw_certopts_t *opts;
    mgw_pfxopts_t *pfxopts;
    mgw_key_t *key, *ca_key;
    mgw_cert_t *cert, *ca_cert;
    mgw_csr_t *csr;
    mgw_pfx_t *ca_pfx;
    char *password;
    size_t password_len;
    output out[MAX_OUTPUTS];
    size_t n_out;
    mgw_fileset_t *files;
} job;

static void job_free(job *j)
{
    mgw_certopts_free(&j->opts);
    mgw_pfxopts_free(&j->pfxopts);
    mgw_key_free(&j->key);
    mgw_key_free(&j->ca_key);
    mgw_cert_free(&j->cert);
    mgw_cert_free(&j->ca_cert);
    mgw_csr_free(&j->csr);
    mgw_pfx_free(&j->ca_pfx);
    mgw_free(j->password);
    for (size_t i = 0; i < j->n_out; i++) {
        mgw_free(j->out[i].data);
        free(j->out[i].path);
    }
    mgw_fileset_free(&j->files);
}

static void add_output(job *j, const char *ext, const char *what, unsigned flags)
{
    output *o = &j->out[j->n_out++];
    memset(o, 0, sizeof(*o));
    o->ext = ext;
    o->what = what;
    o->flags = flags;
}

static output *find_output(job *j, const char *ext)
{
    for (size_t i = 0; i < j->n_out; i++)
        if (strcmp(j->out[i].ext, ext) == 0)
            return &j->out[i];
    return NULL;
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
    unsigned long days = default_days;
    const char *d = cli_value(o, n, "days");
    if (d != NULL && parse_uint("days", d, 1, 36500, &days) != 0)
        return EXIT_USAGE;
    if ((r = mgw_certopts_set_days(j->opts, (uint32_t)days)) != MGW_OK)
        return cli_fail(r, "--days");
    return 0;
}

/* The issuing CA: --ca FILE.pfx, or --ca-cert and --ca-key; [--ca-password-file]. */
static int load_ca(job *j, cli_opt *o, size_t n)
{
    const char *pfx = cli_value(o, n, "ca"), *cert = cli_value(o, n, "ca-cert");
    const char *key = cli_value(o, n, "ca-key"), *pwf = cli_value(o, n, "ca-password-file");
    uint8_t *data = NULL;
    size_t len = 0, pwlen = 0;
    char *pw = NULL;
    int r = MGW_OK;
    if (pwf != NULL && cli_password(pwf, &pw, &pwlen) != 0)
        return 1;
    if (pfx != NULL) {
        if (cli_read(pfx, &data, &len) != 0) {
            mgw_free(pw);
            return 1;
        }
        r = mgw_pfx_parse(data, len, pw != NULL ? pw : "", pwlen, &j->ca_pfx);
        if (r == MGW_OK)
            r = mgw_pfx_key(j->ca_pfx, &j->ca_key);
        if (r == MGW_OK)
            r = mgw_pfx_cert(j->ca_pfx, &j->ca_cert);
        mgw_free(data);
        mgw_free(pw);
        return r == MGW_OK ? 0 : cli_fail(r, pfx);
    }
    if (cli_read(cert, &data, &len) != 0) {
        mgw_free(pw);
        return 1;
    }
    r = mgw_cert_parse(data, len, &j->ca_cert);
    mgw_free(data);
    if (r != MGW_OK) {
        mgw_free(pw);
        return cli_fail(r, cert);
    }
    if (cli_read(key, &data, &len) != 0) {
        mgw_free(pw);
        return 1;
    }
    j->ca_key = mgw_key_new();
    r = j->ca_key == NULL ? MGW_ERR_NO_MEMORY : mgw_key_load(j->ca_key, data, len, pw, pwlen);
    mgw_free(data);
    mgw_free(pw);
    return r == MGW_OK ? 0 : cli_fail(r, key);
}

static int ca_options_ok(cli_opt *o, size_t n, bool required, bool *issued)
{
    bool pfx = cli_value(o, n, "ca") != NULL;
    bool cert = cli_value(o, n, "ca-cert") != NULL, key = cli_value(o, n, "ca-key") != NULL;
    *issued = pfx || cert || key;
    if (pfx && (cert || key))
        return cli_usage("give the CA as --ca FILE.pfx or as --ca-cert and --ca-key, not both");
    if (!pfx && cert != key)
        return cli_usage("--ca-cert and --ca-key go together");
    if (!*issued && cli_value(o, n, "ca-password-file") != NULL)
        return cli_usage("--ca-password-file needs --ca or --ca-cert and --ca-key");
    if (required && !*issued)
        return cli_usage("the issuing CA is required (--ca FILE.pfx, or --ca-cert and --ca-key)");
    return 0;
}

/* Output paths; refuse early when one exists, before spending time on keys. */
static int prepare_out(job *j, cli_opt *o, size_t n, const char *default_base)
{
    const char *dir = cli_value(o, n, "out");
    const char *base = cli_value(o, n, "name");
    if (base == NULL)
        base = default_base;
    if (!cli_valid_base(base))
        return cli_usage("--name must be a plain file name, not '%s'", base);
    bool force = cli_get(o, n, "force")->seen;
    j->files = mgw_fileset_new();
    if (j->files == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < j->n_out; i++) {
        if ((j->out[i].path = cli_path(dir, base, j->out[i].ext)) == NULL)
            return cli_fail(MGW_ERR_NO_MEMORY, NULL);
        FILE *f = force ? NULL : cli_fopen(j->out[i].path, "rb");
        if (f != NULL) {
            fclose(f);
            fprintf(stderr, "mgwauth: error: %s exists (use --force to overwrite)\n",
                    j->out[i].path);
            return 1;
        }
    }
    return 0;
}

/* Stage and write the outputs: all of them, or none. */
static int write_outputs(job *j, cli_opt *o, size_t n)
{
    unsigned force = cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0;
    int r;
    if (cli_mkdirs(cli_value(o, n, "out")) != 0)
        return 1;
    for (size_t i = 0; i < j->n_out; i++)
        if ((r = mgw_fileset_add(j->files, j->out[i].path, j->out[i].data, j->out[i].len,
                                 force | j->out[i].flags)) != MGW_OK)
            return cli_fail(r, NULL);
    if ((r = mgw_fileset_commit(j->files)) != MGW_OK)
        return cli_fail(r, NULL);
    return 0;
}

static void print_summary(job *j)
{
    char *subject = NULL, *tp = NULL;
    int64_t nb = 0, na = 0;
    mgw_cert_subject(j->cert, &subject);
    mgw_cert_thumbprint(j->cert, MGW_DIGEST_SHA1, &tp);
    mgw_cert_validity(j->cert, &nb, &na);
    time_t t = (time_t)na;
    struct tm tm;
    char when[32] = "";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("subject:    %s\n", subject != NULL ? subject : "");
    printf("thumbprint: %s\n", tp != NULL ? tp : "");
    printf("expires:    %s\n", when);
    for (size_t i = 0; i < j->n_out; i++)
        printf("wrote:      %s (%s)\n", j->out[i].path, j->out[i].what);
    mgw_free(subject);
    mgw_free(tp);
}

/* PFX options: --profile, --friendly-name, --iterations, --keyspec, --csp,
 * --machine-keyset, --chain (the issuing CA and its PFX chain). */
static int pfx_options(job *j, cli_opt *o, size_t n)
{
    int r = MGW_OK;
    const char *profile = cli_value(o, n, "profile"), *v;
    int p;
    if (profile != NULL && !cli_pfx_profile(profile, &p))
        return cli_usage("--profile must be compat or modern, not '%s'", profile);
    if (profile != NULL)
        r = mgw_pfxopts_set_profile(j->pfxopts, p);
    unsigned long it;
    if (r == MGW_OK && (v = cli_value(o, n, "iterations")) != NULL) {
        if (parse_uint("iterations", v, 1, mgw_pfx_max_iterations(), &it) != 0)
            return EXIT_USAGE;
        r = mgw_pfxopts_set_iterations(j->pfxopts, (uint32_t)it);
    }
    if (r == MGW_OK && (v = cli_value(o, n, "friendly-name")) != NULL)
        r = mgw_pfxopts_set_friendly_name(j->pfxopts, v);
    if (r == MGW_OK && (v = cli_value(o, n, "csp")) != NULL)
        r = mgw_pfxopts_set_csp_name(j->pfxopts, v);
    if (r == MGW_OK && (v = cli_value(o, n, "keyspec")) != NULL) {
        int spec = strcmp(v, "exchange") == 0    ? MGW_PFX_KEYSPEC_EXCHANGE
                   : strcmp(v, "signature") == 0 ? MGW_PFX_KEYSPEC_SIGNATURE
                   : strcmp(v, "none") == 0      ? MGW_PFX_KEYSPEC_NONE
                                                 : -1;
        if (spec < 0)
            return cli_usage("--keyspec must be exchange, signature or none, not '%s'", v);
        r = mgw_pfxopts_set_key_spec(j->pfxopts, spec);
    }
    if (r == MGW_OK && cli_get(o, n, "machine-keyset")->seen)
        r = mgw_pfxopts_set_machine_keyset(j->pfxopts, 1);
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

static int add_chain(job *j)
{
    int r = mgw_pfxopts_add_chain(j->pfxopts, j->ca_cert);
    for (size_t i = 0; r == MGW_OK && j->ca_pfx != NULL && i < mgw_pfx_extra_cert_count(j->ca_pfx);
         i++) {
        mgw_cert_t *c = NULL;
        r = mgw_pfx_extra_cert(j->ca_pfx, i, &c);
        if (r == MGW_OK)
            r = mgw_pfxopts_add_chain(j->pfxopts, c);
        mgw_cert_free(&c);
    }
    return r == MGW_OK ? 0 : cli_fail(r, "--chain");
}

/* cert create and ca create share everything but defaults. */
static int create(int argc, char **argv, bool ca)
{
    cli_opt o[] = {
        OPT("subject", true, false),       OPT("upn", true, true),
        OPT("email", true, true),          OPT("dns", true, true),
        OPT("uri", true, true),            OPT("key", true, false),
        OPT("days", true, false),          OPT("eku", true, true),
        OPT("ca", true, false),            OPT("ca-cert", true, false),
        OPT("ca-key", true, false),        OPT("ca-password-file", true, false),
        OPT("password-file", true, false), OPT("out", true, false),
        OPT("name", true, false),          OPT("force", false, false),
        OPT("pathlen", true, false),       OPT("iterations", true, false),
        OPT("profile", true, false),       OPT("friendly-name", true, false),
        OPT("chain", false, false),        OPT("key-pem", false, false),
        OPT("keyspec", true, false),       OPT("csp", true, false),
        OPT("machine-keyset", false, false), OPT("import-cer", true, false),
    };
    size_t n = N(o);
    bool issued;
    mgw_store_t *store = NULL;
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    if (cli_value(o, n, "subject") == NULL)
        return cli_usage("--subject is required");
    if (cli_value(o, n, "password-file") == NULL)
        return cli_usage("--password-file is required (passwords are never taken from the "
                         "command line)");
    if (cli_value(o, n, "out") == NULL)
        return cli_usage("--out DIR is required");
    if (ca_options_ok(o, n, false, &issued) != 0)
        return EXIT_USAGE;
    if (!ca && cli_value(o, n, "pathlen") != NULL)
        return cli_usage("--pathlen is for ca create");
    if (cli_get(o, n, "chain")->seen && !issued)
        return cli_usage("--chain needs the issuing CA");
    const char *kname = cli_value(o, n, "key");
    int ktype = MGW_KEY_RSA2048;
    if (kname != NULL && !cli_key_type(kname, &ktype))
        return cli_usage("--key must be " CLI_KEY_NAMES ", not '%s'", kname);
    int pathlen = 0;
    if (cli_value(o, n, "pathlen") != NULL) {
        char *end;
        long v = strtol(cli_value(o, n, "pathlen"), &end, 10);
        if (*end != '\0' || v < -1 || v > 255)
            return cli_usage("--pathlen must be -1 (none) or 0 to 255");
        pathlen = (int)v;
    }

    job j;
    memset(&j, 0, sizeof(j));
    int rc = 1, r;
    j.opts = mgw_certopts_new();
    j.pfxopts = mgw_pfxopts_new();
    j.key = mgw_key_new();
    if (j.opts == NULL || j.pfxopts == NULL || j.key == NULL) {
        cli_fail(MGW_ERR_NO_MEMORY, NULL);
        goto done;
    }
    if (ca && (r = mgw_certopts_set_ca(j.opts, 1, pathlen)) != MGW_OK) {
        cli_fail(r, NULL);
        goto done;
    }
    if ((rc = apply_common(&j, o, n, ca ? 3650 : 730)) != 0 || (rc = pfx_options(&j, o, n)) != 0)
        goto done;
    rc = 1;
    add_output(&j, ".pfx", "PKCS#12 with the key, mode 0600", MGW_FILE_PRIVATE);
    add_output(&j, ".cer", "certificate, DER", 0);
    if (ca || cli_get(o, n, "key-pem")->seen)
        add_output(&j, ".key", "encrypted PKCS#8 key, mode 0600", MGW_FILE_PRIVATE);
    if (prepare_out(&j, o, n, ca ? "ca" : "Certificate") != 0)
        goto done;
    /* the store is opened first: a wrong name costs no key and writes nothing */
    const char *import = cli_value(o, n, "import-cer");
    if (import != NULL && (r = mgw_store_open_system(import, &store)) != MGW_OK) {
        cli_fail(r, "--import-cer");
        goto done;
    }
    if (cli_password(cli_value(o, n, "password-file"), &j.password, &j.password_len) != 0)
        goto done;
    if (issued && load_ca(&j, o, n) != 0)
        goto done;
    if (cli_get(o, n, "chain")->seen && add_chain(&j) != 0)
        goto done;
    unsigned long iterations = 0;
    if (cli_value(o, n, "iterations") != NULL)
        iterations = strtoul(cli_value(o, n, "iterations"), NULL, 10);
    output *pfx = find_output(&j, ".pfx"), *cer = find_output(&j, ".cer");
    output *pem = find_output(&j, ".key");
    if ((r = mgw_key_generate(j.key, ktype)) != MGW_OK ||
        (r = mgw_cert_create(j.opts, j.key, j.ca_cert, j.ca_key, &j.cert)) != MGW_OK ||
        (r = mgw_cert_export(j.cert, MGW_FORMAT_DER, &cer->data, &cer->len)) != MGW_OK ||
        (r = mgw_pfx_write(j.pfxopts, j.cert, j.key, j.password, j.password_len, &pfx->data,
                           &pfx->len)) != MGW_OK ||
        (pem != NULL &&
         (r = mgw_key_export_encrypted(j.key, MGW_FORMAT_PEM, j.password, j.password_len,
                                       (uint32_t)iterations, &pem->data, &pem->len)) != MGW_OK)) {
        cli_fail(r, NULL);
        goto done;
    }
    if (write_outputs(&j, o, n) != 0)
        goto done;
    print_summary(&j);
    rc = 0;
    if (store != NULL) {
        /* the CER into the store (the procedure's second step); adding a
         * certificate the store holds already changes nothing */
        int added = 0;
        char *tp = NULL;
        if ((r = mgw_store_add_cert(store, cer->data, cer->len, &added, &tp)) != MGW_OK)
            rc = cli_fail(r, import);
        else
            printf("%s %s into %s\n", added ? "imported:  " : "present:   ", tp, import);
        mgw_free(tp);
    }
done:
    mgw_store_free(&store);
    job_free(&j);
    return rc;
}

int cmd_cert_sign(int argc, char **argv)
{
    cli_opt o[] = {
        OPT("csr", true, false),      OPT("subject", true, false), OPT("upn", true, true),
        OPT("email", true, true),     OPT("dns", true, true),      OPT("uri", true, true),
        OPT("days", true, false),     OPT("eku", true, true),      OPT("ca", true, false),
        OPT("ca-cert", true, false),  OPT("ca-key", true, false),
        OPT("ca-password-file", true, false),
        OPT("out", true, false),      OPT("name", true, false),    OPT("force", false, false),
    };
    size_t n = N(o);
    bool issued;
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    if (cli_value(o, n, "csr") == NULL || cli_value(o, n, "out") == NULL)
        return cli_usage("cert sign needs --csr, the issuing CA and --out");
    if (ca_options_ok(o, n, true, &issued) != 0)
        return EXIT_USAGE;
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
    add_output(&j, ".cer", "certificate, DER", 0);
    if (prepare_out(&j, o, n, "Certificate") != 0)
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
    output *cer = find_output(&j, ".cer");
    if ((r = mgw_cert_sign_csr(j.opts, j.csr, j.ca_cert, j.ca_key, &j.cert)) != MGW_OK ||
        (r = mgw_cert_export(j.cert, MGW_FORMAT_DER, &cer->data, &cer->len)) != MGW_OK) {
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

/* A PFX opens (or fails only on its password) without one. */
static bool is_pfx(const uint8_t *data, size_t len)
{
    mgw_pfx_t *p = NULL;
    int r = mgw_pfx_parse(data, len, "", 0, &p);
    mgw_pfx_free(&p);
    return r == MGW_OK || r == MGW_ERR_PFX_MAC;
}

int cmd_cert_show(int argc, char **argv)
{
    cli_opt o[] = {OPT("json", false, false)};
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
    if (r != MGW_OK && is_pfx(data, len)) {
        mgw_free(data);
        fprintf(stderr,
                "mgwauth: error: %s is a PFX (PKCS#12) file, not a certificate: use "
                "mgwauth pfx show %s --password-file F\n",
                pos[0], pos[0]);
        return 1;
    }
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

int cmd_cert_create(int argc, char **argv)
{
    return create(argc, argv, false);
}

int cmd_ca_create(int argc, char **argv)
{
    return create(argc, argv, true);
}
