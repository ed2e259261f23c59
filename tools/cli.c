/* Option parsing and small file helpers of the mgwauth tool. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(_WIN32)
#include <direct.h>
#include <windows.h>
#include <shellapi.h>

/* UTF-8 text as UTF-16 for the wide-character C library (free()). */
static wchar_t *wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(*w)) : NULL;
    if (w != NULL)
        MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
    return w;
}

static int make_dir(const char *path)
{
    wchar_t *w = wide(path);
    int r = w != NULL ? _wmkdir(w) : -1;
    free(w);
    return r;
}

/* The command line as UTF-8: the library takes UTF-8 paths and passwords,
 * and argv of main() is in the ANSI code page. */
void cli_utf8_args(int *argc, char ***argv)
{
    int n = 0;
    wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
    char **v = w != NULL ? calloc((size_t)n + 1, sizeof(*v)) : NULL;
    for (int i = 0; v != NULL && i < n; i++) {
        int len = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
        if (len <= 0 || (v[i] = malloc((size_t)len)) == NULL) {
            v = NULL; /* keep the ANSI arguments; the process ends soon */
            break;
        }
        WideCharToMultiByte(CP_UTF8, 0, w[i], -1, v[i], len, NULL, NULL);
    }
    if (w != NULL)
        LocalFree(w);
    if (v != NULL) {
        *argc = n;
        *argv = v;
    }
}

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* Length of a drive prefix ("C:"), which exists already. */
static size_t drive_len(const char *p)
{
    return p[0] != '\0' && p[1] == ':' ? 2 : 0;
}
#else
#define make_dir(p) mkdir((p), 0755)

void cli_utf8_args(int *argc, char ***argv)
{
    (void)argc, (void)argv; /* already the bytes the user typed */
}

static bool is_sep(char c)
{
    return c == '/';
}

static size_t drive_len(const char *p)
{
    (void)p;
    return 0;
}
#endif

const char *cli_plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The detail names `what` already ("x.reg: no such file" for x.reg,
 * "subject: ..." for --subject). */
static bool names(const char *detail, const char *what)
{
    if (what[0] == '-' && what[1] == '-')
        what += 2;
    size_t n = strlen(what);
    return strncmp(detail, what, n) == 0 && (detail[n] == ':' || detail[n] == ' ');
}

int cli_fail(int code, const char *what)
{
    const char *detail = mgw_last_error();
    if (detail[0] == '\0')
        detail = mgw_strerror(code);
    if (what != NULL && names(detail, what))
        what = NULL;
    if (what != NULL)
        fprintf(stderr, "mgwauth: error: %s: %s\n", what, detail);
    else
        fprintf(stderr, "mgwauth: error: %s\n", detail);
    return 1;
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mgwauth: usage error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see mgwauth --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

cli_opt *cli_get(cli_opt *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

const char *cli_value(cli_opt *opts, size_t n, const char *name)
{
    cli_opt *o = cli_get(opts, n, name);
    return o != NULL && o->count > 0 ? o->values[0] : NULL;
}

bool cli_key_type(const char *name, int *type)
{
    static const struct {
        const char *name;
        int type;
    } keys[] = {{"rsa2048", MGW_KEY_RSA2048}, {"rsa3072", MGW_KEY_RSA3072},
                {"rsa4096", MGW_KEY_RSA4096}, {"p256", MGW_KEY_P256},
                {"p384", MGW_KEY_P384}};
    for (size_t i = 0; i < N(keys); i++)
        if (strcmp(keys[i].name, name) == 0) {
            *type = keys[i].type;
            return true;
        }
    return false;
}

bool cli_pfx_profile(const char *name, int *profile)
{
    if (strcmp(name, "compat") != 0 && strcmp(name, "modern") != 0)
        return false;
    *profile = strcmp(name, "modern") == 0 ? MGW_PFX_PROFILE_MODERN : MGW_PFX_PROFILE_COMPAT;
    return true;
}

bool cli_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

int cli_parse(int argc, char **argv, cli_opt *opts, size_t n_opts, const char **pos,
              size_t max_pos, size_t *n_pos)
{
    *n_pos = 0;
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] != '-') {
            if (!only_pos && a[0] == '-' && a[1] != '\0')
                return cli_usage("unknown option '%s'", a);
            if (*n_pos >= max_pos)
                return cli_usage("unexpected argument '%s'", a);
            pos[(*n_pos)++] = a;
            continue;
        }
        if (a[2] == '\0') {
            only_pos = true;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t nl = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
        cli_opt *o = NULL;
        for (size_t k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == nl && strncmp(opts[k].name, a + 2, nl) == 0)
                o = &opts[k];
        if (o == NULL)
            return cli_usage("unknown option '%.*s'", (int)nl + 2, a);
        if (o->seen && !o->repeatable)
            return cli_usage("option --%s given twice", o->name);
        o->seen = true;
        if (!o->takes_value) {
            if (eq != NULL)
                return cli_usage("option --%s takes no value", o->name);
            continue;
        }
        const char *v = eq != NULL ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (v == NULL)
            return cli_usage("option --%s needs a value", o->name);
        if (o->count >= sizeof(o->values) / sizeof(o->values[0]))
            return cli_usage("option --%s given too often", o->name);
        o->values[o->count++] = v;
    }
    return 0;
}

int cli_parse_options(int argc, char **argv, cli_opt *opts, size_t n_opts)
{
    const char *pos[1];
    size_t n_pos;
    return cli_parse(argc, argv, opts, n_opts, pos, 0, &n_pos);
}

int cli_read(const char *path, uint8_t **data, size_t *len)
{
    int r = mgw_file_read(path, 16u * 1024 * 1024, data, len);
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

int cli_read_text(const char *path, uint8_t **data, size_t *len)
{
    int r = mgw_text_file_read(path, 16u * 1024 * 1024, (char **)data, len);
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

int cli_password(const char *path, char **pw, size_t *len)
{
    int r = mgw_password_file_read(path, pw, len);
    return r == MGW_OK ? 0 : cli_fail(r, NULL);
}

int cli_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return 1;
    /* the root (and a drive) exists already */
    char *s = p + drive_len(p) + 1;
    for (; s[-1] != '\0' && *s != '\0'; s++) {
        if (!is_sep(*s))
            continue;
        char sep = *s;
        *s = '\0';
        if (make_dir(p) != 0 && errno != EEXIST) {
            fprintf(stderr, "mgwauth: error: cannot create directory %s: %s\n", p, strerror(errno));
            free(p);
            return 1;
        }
        *s = sep;
    }
    int r = 0;
    if (make_dir(p) != 0 && errno != EEXIST) {
        fprintf(stderr, "mgwauth: error: cannot create directory %s: %s\n", p, strerror(errno));
        r = 1;
    }
    free(p);
    return r;
}

char *cli_path(const char *dir, const char *base, const char *ext)
{
    size_t n = strlen(dir) + strlen(base) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s%s", dir, base, ext);
    return p;
}

bool cli_valid_base(const char *base)
{
    return base[0] != '\0' && strpbrk(base, "/\\:") == NULL && strcmp(base, ".") != 0 &&
           strcmp(base, "..") != 0;
}

/* Whether the store's listing holds the certificate with SHA-1 `tp`. */
bool cli_store_holds(const mgw_store_t *store, const char *tp)
{
    bool there = false;
    for (size_t i = 0; i < mgw_store_cert_count(store) && !there; i++) {
        char *t = NULL;
        there = mgw_store_cert(store, i, &t, NULL, NULL) == MGW_OK && strcmp(t, tp) == 0;
        mgw_free(t);
    }
    return there;
}
