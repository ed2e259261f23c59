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
#define make_dir(p) _mkdir(p)
#else
#define make_dir(p) mkdir((p), 0755)
#endif

int cli_fail(int code, const char *what)
{
    const char *detail = mgw_last_error();
    if (detail[0] == '\0')
        detail = mgw_strerror(code);
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

int cli_read(const char *path, uint8_t **data, size_t *len)
{
    int r = mgw_file_read(path, 16u * 1024 * 1024, data, len);
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
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (make_dir(p) != 0 && errno != EEXIST) {
            fprintf(stderr, "mgwauth: error: cannot create directory %s: %s\n", p, strerror(errno));
            free(p);
            return 1;
        }
        *s = '/';
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
