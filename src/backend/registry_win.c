/*
 * The Windows registry back-end (advapi32): the machine's registry behind the
 * same table as the .reg-file back-end, so that plans are applied with the
 * same drift check, backup, verification and restore (regapply.c). Wide-
 * character APIs throughout, always the 64-bit view (KEY_WOW64_64KEY). Values
 * are read and written as raw bytes, which is what the registry model holds.
 */
#include "apply/regbackend.h"
#include "platform/win.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW KEY_WOW64_64KEY

static const struct {
    const char *name, *abbrev;
    HKEY key;
} roots[] = {
    {"HKEY_LOCAL_MACHINE", "HKLM", HKEY_LOCAL_MACHINE},
    {"HKEY_CURRENT_USER", "HKCU", HKEY_CURRENT_USER},
    {"HKEY_USERS", "HKU", HKEY_USERS},
    {"HKEY_CLASSES_ROOT", "HKCR", HKEY_CLASSES_ROOT},
    {"HKEY_CURRENT_CONFIG", "HKCC", HKEY_CURRENT_CONFIG},
};

/* "HKLM\\SYSTEM\\X" -> the root, L"SYSTEM\\X" (free()) and the root's full name. */
static int split(const char *path, HKEY *root, wchar_t **sub, const char **root_name)
{
    const char *bs = strchr(path, '\\');
    size_t n = bs != NULL ? (size_t)(bs - path) : strlen(path);
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        if ((strlen(roots[i].name) != n || _strnicmp(path, roots[i].name, n) != 0) &&
            (strlen(roots[i].abbrev) != n || _strnicmp(path, roots[i].abbrev, n) != 0))
            continue;
        *root = roots[i].key;
        *root_name = roots[i].name;
        if ((*sub = mgw_wide(bs != NULL ? bs + 1 : "")) == NULL)
            return mgw_err(MGW_ERR_UTF8, "registry path %s is not UTF-8", path);
        return MGW_OK;
    }
    return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                   "registry path %s does not start with HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, "
                   "HKEY_USERS, HKEY_CLASSES_ROOT or HKEY_CURRENT_CONFIG",
                   path);
}

/* Open a key for `access`; *h stays NULL (and MGW_OK) when it does not exist. */
static int open_key(const char *path, REGSAM access, HKEY *h)
{
    HKEY root;
    wchar_t *sub = NULL;
    const char *rn;
    *h = NULL;
    int r = split(path, &root, &sub, &rn);
    if (r != MGW_OK)
        return r;
    LSTATUS e = RegOpenKeyExW(root, sub, 0, access | VIEW, h);
    free(sub);
    if (e == ERROR_FILE_NOT_FOUND) {
        *h = NULL;
        return MGW_OK;
    }
    return e == ERROR_SUCCESS ? MGW_OK : mgw_win_err((DWORD)e, "cannot open %s", path);
}

#define GREW 1 /* a value grew while it was read */

/* Put the values of an open key into k; GREW when one outgrew the sizes
 * the key reported. */
static int values_once(HKEY h, const char *path, mgw_regkey *k)
{
    DWORD max_name = 0, max_data = 0;
    LSTATUS e = RegQueryInfoKeyW(h, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &max_name, &max_data,
                                 NULL, NULL);
    if (e != ERROR_SUCCESS)
        return mgw_win_err((DWORD)e, "cannot query %s", path);
    wchar_t *name = malloc(((size_t)max_name + 1) * sizeof(*name));
    uint8_t *data = malloc((size_t)max_data + 1);
    int r = name == NULL || data == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    for (DWORD i = 0; r == MGW_OK; i++) {
        DWORD nlen = max_name + 1, dlen = max_data, type = 0;
        e = RegEnumValueW(h, i, name, &nlen, NULL, &type, data, &dlen);
        if (e == ERROR_NO_MORE_ITEMS)
            break;
        if (e == ERROR_MORE_DATA) {
            r = GREW;
            break;
        }
        if (e != ERROR_SUCCESS) {
            r = mgw_win_err((DWORD)e, "cannot read the values of %s", path);
            break;
        }
        char *u = mgw_narrow(name, nlen);
        if (u == NULL)
            r = mgw_err_prefix(MGW_ERR_UTF8, path);
        else if (mgw_regkey_put(k, u, type, data, dlen, false) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        free(u);
    }
    free(name);
    free(data);
    return r;
}

/* Append the key `path` with the values of the open key h to `out`. */
static int read_values(HKEY h, const char *path, mgw_regdoc *out)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        mgw_regdoc tmp;
        mgw_regdoc_init(&tmp);
        mgw_regkey *k = mgw_regdoc_append(&tmp, path, false);
        int r = k == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : values_once(h, path, k);
        if (r == MGW_OK && mgw_regdoc_copy_key(out, k) != MGW_OK)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        mgw_regdoc_free(&tmp);
        if (r != GREW)
            return r;
    }
    return mgw_err(MGW_ERR_REG_DRIFT, "the values of %s keep changing while they are read", path);
}

/* ---- the table ------------------------------------------------------------------ */

static int live_read_key(void *ctx, const char *path, mgw_regdoc *out)
{
    (void)ctx;
    HKEY h;
    int r = open_key(path, KEY_QUERY_VALUE, &h);
    if (r != MGW_OK || h == NULL)
        return r;
    r = read_values(h, path, out);
    RegCloseKey(h);
    return r;
}

static int live_set_value(void *ctx, const char *path, const mgw_regval *v)
{
    (void)ctx;
    HKEY root, h;
    wchar_t *sub = NULL, *name = NULL;
    const char *rn;
    if (v->len > MGW_REG_MAX_DATA)
        return mgw_err(MGW_ERR_TOO_LARGE, "%s\\%s: value too large", path, v->name);
    int r = split(path, &root, &sub, &rn);
    if (r == MGW_OK && (name = mgw_wide(v->name)) == NULL)
        r = mgw_err_prefix(MGW_ERR_UTF8, path);
    if (r == MGW_OK) {
        /* Creates the key and any missing parents. */
        LSTATUS e = RegCreateKeyExW(root, sub, 0, NULL, 0, KEY_SET_VALUE | VIEW, NULL, &h, NULL);
        if (e != ERROR_SUCCESS)
            r = mgw_win_err((DWORD)e, "cannot create or open %s", path);
    }
    if (r == MGW_OK) {
        LSTATUS e = RegSetValueExW(h, name, 0, v->type, v->data, (DWORD)v->len);
        if (e != ERROR_SUCCESS)
            r = mgw_win_err((DWORD)e, "cannot set %s\\%s", path, v->name);
        RegCloseKey(h);
    }
    free(sub);
    free(name);
    return r;
}

static int live_delete_value(void *ctx, const char *path, const char *name)
{
    (void)ctx;
    HKEY h;
    int r = open_key(path, KEY_SET_VALUE, &h);
    if (r != MGW_OK || h == NULL)
        return r;
    wchar_t *w = mgw_wide(name);
    if (w == NULL)
        r = mgw_err_prefix(MGW_ERR_UTF8, path);
    else {
        LSTATUS e = RegDeleteValueW(h, w);
        if (e != ERROR_SUCCESS && e != ERROR_FILE_NOT_FOUND)
            r = mgw_win_err((DWORD)e, "cannot delete %s\\%s", path, name);
    }
    free(w);
    RegCloseKey(h);
    return r;
}

static int live_delete_key(void *ctx, const char *path)
{
    (void)ctx;
    HKEY h, root;
    wchar_t *sub = NULL;
    const char *rn;
    int r = open_key(path, DELETE | KEY_ENUMERATE_SUB_KEYS | KEY_QUERY_VALUE | KEY_SET_VALUE, &h);
    if (r != MGW_OK || h == NULL)
        return r;
    /* Subkeys and values first (in the open 64-bit view), then the key. */
    LSTATUS e = RegDeleteTreeW(h, NULL);
    RegCloseKey(h);
    if (e != ERROR_SUCCESS)
        return mgw_win_err((DWORD)e, "cannot delete the subkeys of %s", path);
    r = split(path, &root, &sub, &rn);
    if (r == MGW_OK) {
        e = RegDeleteKeyExW(root, sub, VIEW, 0);
        if (e != ERROR_SUCCESS && e != ERROR_FILE_NOT_FOUND)
            r = mgw_win_err((DWORD)e, "cannot delete %s", path);
    }
    free(sub);
    return r;
}

/* Append the key at `path` (open as h) and its subkeys, depth first in the
 * order the registry enumerates them, as regedit exports. */
static int export_tree(HKEY h, const char *path, unsigned depth, mgw_regdoc *out)
{
    if (depth > 512)
        return mgw_err(MGW_ERR_TOO_LARGE, "%s: keys nested too deep", path);
    int r = read_values(h, path, out);
    DWORD max_sub = 0;
    LSTATUS e = ERROR_SUCCESS;
    if (r == MGW_OK) {
        e = RegQueryInfoKeyW(h, NULL, NULL, NULL, NULL, &max_sub, NULL, NULL, NULL, NULL, NULL,
                             NULL);
        if (e != ERROR_SUCCESS)
            r = mgw_win_err((DWORD)e, "cannot query %s", path);
    }
    wchar_t *name = r == MGW_OK ? malloc(((size_t)max_sub + 1) * sizeof(*name)) : NULL;
    if (r == MGW_OK && name == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (DWORD i = 0; r == MGW_OK; i++) {
        DWORD nlen = max_sub + 1;
        e = RegEnumKeyExW(h, i, name, &nlen, NULL, NULL, NULL, NULL);
        if (e == ERROR_NO_MORE_ITEMS)
            break;
        if (e != ERROR_SUCCESS) {
            r = mgw_win_err((DWORD)e, "cannot list the subkeys of %s", path);
            break;
        }
        char *u = mgw_narrow(name, nlen);
        size_t len = u != NULL ? strlen(path) + strlen(u) + 2 : 0;
        char *child = u != NULL ? malloc(len) : NULL;
        HKEY ch = NULL;
        if (child == NULL) {
            r = u == NULL ? mgw_err_prefix(MGW_ERR_UTF8, path) : mgw_err(MGW_ERR_NO_MEMORY, NULL);
        } else {
            snprintf(child, len, "%s\\%s", path, u);
            e = RegOpenKeyExW(h, name, 0, KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | VIEW, &ch);
            if (e == ERROR_SUCCESS) {
                r = export_tree(ch, child, depth + 1, out);
                RegCloseKey(ch);
            } else if (e != ERROR_FILE_NOT_FOUND) { /* gone since listed: skip it */
                r = mgw_win_err((DWORD)e, "cannot open %s", child);
            }
        }
        free(child);
        free(u);
    }
    free(name);
    return r;
}

/* True when paths[i] is exported with another requested key already. */
static bool covered(const char *const *paths, size_t n, size_t i)
{
    for (size_t j = 0; j < n; j++) {
        if (j == i || !mgw_regpath_within(paths[i], paths[j]))
            continue;
        if (!mgw_regname_eq(paths[i], paths[j]) || j < i)
            return true;
    }
    return false;
}

static int live_export(void *ctx, const char *const *paths, size_t n, mgw_dbuf *reg)
{
    (void)ctx;
    mgw_regdoc doc;
    mgw_regdoc_init(&doc);
    int r = MGW_OK;
    for (size_t i = 0; i < n && r == MGW_OK; i++) {
        HKEY root, h = NULL;
        wchar_t *sub = NULL;
        const char *rn;
        if (covered(paths, n, i))
            continue;
        r = split(paths[i], &root, &sub, &rn);
        if (r != MGW_OK)
            break;
        /* Exports spell the root in full, as regedit does. */
        const char *bs = strchr(paths[i], '\\');
        size_t len = strlen(rn) + (bs != NULL ? strlen(bs) : 0) + 1;
        char *full = malloc(len);
        LSTATUS e =
            RegOpenKeyExW(root, sub, 0, KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | VIEW, &h);
        if (full == NULL)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        else if (e == ERROR_SUCCESS) {
            snprintf(full, len, "%s%s", rn, bs != NULL ? bs : "");
            r = export_tree(h, full, 0, &doc);
        } else if (e != ERROR_FILE_NOT_FOUND) {
            r = mgw_win_err((DWORD)e, "cannot open %s", paths[i]);
        }
        if (h != NULL)
            RegCloseKey(h);
        free(full);
        free(sub);
    }
    if (r == MGW_OK)
        r = mgw_regdoc_write(&doc, reg);
    mgw_regdoc_free(&doc);
    return r == MGW_ERR_NO_MEMORY ? mgw_err(r, NULL) : r;
}

static void live_close(void *ctx)
{
    (void)ctx;
}

static const mgw_regbackend_ops live_ops = {
    .read_key = live_read_key,
    .set_value = live_set_value,
    .delete_value = live_delete_value,
    .delete_key = live_delete_key,
    .export_keys = live_export,
    .close = live_close,
};

int mgw_backend_reglive_open(mgw_regbackend *be)
{
    be->ops = &live_ops;
    be->ctx = NULL;
    return MGW_OK;
}
