/* Keep-lists (from arguments and keep-files) and the protected roots. */
#include "roots/roots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* KB 293781, "Trusted root certificates that are required by Windows Server",
 * with the SHA-1 thumbprints as the project reference lists them. */
static const mgw_protected_root protected_roots[] = {
    {"A43489159A520F0D93D032CCAF37E7FE20A8B419", "Microsoft Root Authority"},
    {"CDD4EEAE6000AC7F40C3802C171E30148030C072", "Microsoft Root Certificate Authority"},
    {"8F43288AD272F3103B6FB1428485EA3014C0BCFE", "Microsoft Root Certificate Authority 2011"},
    {"3B1EFD3A66EA28B16697394703A72CA340A05BD5", "Microsoft Root Certificate Authority 2010"},
    {"245C97DF7514E7CF2DF8BE72AE957B9E04741E85",
     "Copyright (c) 1997 Microsoft Corp. (Microsoft Timestamp Root)"},
    {"7F88CD7223F3C813818C994614A89C99FA3B5247", "Microsoft Authenticode(tm) Root Authority"},
    {"18F7C1FCC3090203FD5BAA2F861A754976C8DD25", "NO LIABILITY ACCEPTED, (c)97 VeriSign, Inc."},
    {"BE36A4562FB2EE05DBB3D32323ADF445084ED656", "Thawte Timestamping CA"},
    {"92B46C76E13054E104F230517E6E504D43AB10B5", "Symantec Enterprise Mobile Root for Microsoft"},
    {"06F1AA330B927B753A40E68CDF22E34BCBEF3352",
     "Microsoft ECC Product Root Certificate Authority 2018"},
    {"31F9FC8BA3805986B721EA7295C65B3A44534274",
     "Microsoft ECC TS Root Certificate Authority 2018"},
    {"0119E81BE9A14CD8E22F40AC118C687ECBA3F4D8",
     "Microsoft Time Stamp Root Certificate Authority 2014"},
};

const mgw_protected_root *mgw_protected_roots(size_t *n)
{
    *n = sizeof(protected_roots) / sizeof(protected_roots[0]);
    return protected_roots;
}

MGW_API size_t mgw_roots_protected_count(void)
{
    return sizeof(protected_roots) / sizeof(protected_roots[0]);
}

MGW_API int mgw_roots_protected(size_t index, char **thumbprint, char **name)
{
    if (index >= mgw_roots_protected_count())
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_roots_protected: index out of range");
    return mgw_out_strings(protected_roots[index].sha1, thumbprint, protected_roots[index].name,
                           name, "", NULL);
}

/* ---- options ------------------------------------------------------------------ */

MGW_API mgw_rootopts_t *mgw_rootopts_new(void)
{
    return calloc(1, sizeof(mgw_rootopts_t));
}

MGW_API void mgw_rootopts_free(mgw_rootopts_t **opts)
{
    if (opts == NULL || *opts == NULL)
        return;
    free((*opts)->keep);
    free((*opts)->allow);
    free(*opts);
    *opts = NULL;
}

static int push_thumbs(mgw_thumb **v, size_t *n, size_t *cap, const mgw_thumb *t, size_t k)
{
    mgw_thumb *p = k <= SIZE_MAX - *n ? mgw_array_grow(*v, cap, *n + k, sizeof(*p)) : NULL;
    if (p == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    *v = p;
    memcpy(*v + *n, t, k * sizeof(*t));
    *n += k;
    return MGW_OK;
}

MGW_API int mgw_rootopts_add_keep(mgw_rootopts_t *opts, const char *thumbprint)
{
    if (opts == NULL || thumbprint == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_rootopts_add_keep: NULL argument");
    mgw_thumb t;
    int r = mgw_thumb_parse(thumbprint, strlen(thumbprint), &t);
    if (r == MGW_OK)
        r = push_thumbs(&opts->keep, &opts->n_keep, &opts->cap_keep, &t, 1);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API size_t mgw_rootopts_keep_count(const mgw_rootopts_t *opts)
{
    if (opts == NULL)
        return 0;
    mgw_thumbset set;
    mgw_thumbset_init(&set);
    for (size_t i = 0; i < opts->n_keep; i++)
        if (mgw_thumbset_add(&set, &opts->keep[i], i) != MGW_OK)
            break;
    mgw_thumbset_sort(&set);
    size_t n = set.n;
    mgw_thumbset_free(&set);
    return n;
}

MGW_API int mgw_rootopts_allow_protected(mgw_rootopts_t *opts, const char *thumbprint)
{
    if (opts == NULL || thumbprint == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_rootopts_allow_protected: NULL argument");
    mgw_thumb t;
    int r = mgw_thumb_parse(thumbprint, strlen(thumbprint), &t);
    if (r != MGW_OK)
        return r;
    char hex[65];
    mgw_thumb_hex(&t, hex);
    bool known = false;
    for (size_t i = 0; i < mgw_roots_protected_count(); i++)
        known = known || strcmp(hex, protected_roots[i].sha1) == 0;
    if (!known)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "%s is not one of the protected roots (their SHA-1 thumbprints)", hex);
    r = push_thumbs(&opts->allow, &opts->n_allow, &opts->cap_allow, &t, 1);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

static int set_flag(bool *flag, int on)
{
    if (flag == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_rootopts: NULL options");
    *flag = on != 0;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_rootopts_set_remove_protected(mgw_rootopts_t *opts, int on)
{
    return set_flag(opts != NULL ? &opts->remove_protected : NULL, on);
}

MGW_API int mgw_rootopts_set_allow_missing(mgw_rootopts_t *opts, int on)
{
    return set_flag(opts != NULL ? &opts->allow_missing : NULL, on);
}

/* ---- keep-files ------------------------------------------------------------------ */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The furniture of PowerShell's table: "PSParentPath: ...", the
 * "Thumbprint  Subject" header, and the line of dashes under it. */
static bool is_table_furniture(const char *l, size_t n)
{
    if (n >= 13 && strncasecmp(l, "PSParentPath:", 13) == 0)
        return true;
    if (n >= 10 && strncasecmp(l, "Thumbprint", 10) == 0 && (n == 10 || is_space(l[10])))
        return true;
    size_t dashes = 0;
    for (size_t i = 0; i < n; i++) {
        if (l[i] == '-')
            dashes++;
        else if (!is_space(l[i]))
            return false;
    }
    return dashes >= 3;
}

/* One keep-file line (comment and surrounding blanks already gone): the
 * whole line as a thumbprint, else a table row whose first column is one. */
static int keep_line(const char *l, size_t n, mgw_thumb *t)
{
    int r = mgw_thumb_parse(l, n, t);
    if (r == MGW_OK)
        return r;
    size_t first = 0;
    while (first < n && !is_space(l[first]))
        first++;
    /* PowerShell separates columns by at least two spaces (or a tab). */
    bool row = first < n && (l[first] == '\t' || (first + 1 < n && is_space(l[first + 1])));
    return row ? mgw_thumb_parse(l, first, t) : r;
}

static int parse_keep_lines(const char *text, size_t len, const char *name, mgw_thumb **v,
                            size_t *n, size_t *cap)
{
    size_t lineno = 0, at = 0, n_line;
    const char *l;
    while (mgw_next_line((const uint8_t *)text, len, &at, &l, &n_line)) {
        lineno++;
        const char *hash = memchr(l, '#', n_line);
        if (hash != NULL)
            n_line = (size_t)(hash - l);
        while (n_line > 0 && is_space(l[0])) {
            l++;
            n_line--;
        }
        while (n_line > 0 && is_space(l[n_line - 1]))
            n_line--;
        if (n_line == 0 || is_table_furniture(l, n_line))
            continue;
        mgw_thumb t;
        int r = keep_line(l, n_line, &t);
        if (r == MGW_OK)
            r = push_thumbs(v, n, cap, &t, 1);
        if (r != MGW_OK) {
            char where[300];
            snprintf(where, sizeof(where), "%.200s line %zu", name, lineno);
            return mgw_err_prefix(r, where);
        }
    }
    return MGW_OK;
}

MGW_API int mgw_rootopts_add_keep_file(mgw_rootopts_t *opts, const uint8_t *data, size_t len,
                                       const char *name)
{
    if (opts == NULL || (data == NULL && len > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_rootopts_add_keep_file: NULL argument");
    if (name == NULL)
        name = "keep-file";
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    mgw_thumb *v = NULL;
    size_t n = 0, cap = 0;
    int r = mgw_text_decode(data, len, name, &text);
    if (r == MGW_OK)
        r = parse_keep_lines((const char *)text.p, text.len, name, &v, &n, &cap);
    /* All the file's thumbprints, or none. */
    if (r == MGW_OK && n > 0)
        r = push_thumbs(&opts->keep, &opts->n_keep, &opts->cap_keep, v, n);
    free(v);
    mgw_dbuf_free(&text);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
