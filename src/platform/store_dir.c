/* The portable store back-end: a directory holding one certificate per file
 * (DER or PEM, named *.cer, *.crt, *.pem or *.der). Anything else in the
 * directory is reported and left alone. Subdirectories named after the
 * physical stores of a Windows logical store (.AuthRoot, .GroupPolicy,
 * .Enterprise, .SmartCard) stand for them: their certificates are listed as
 * ".GroupPolicy/NAME" with that physical store's bit, so that a directory
 * copy of a machine's store shows what policy put there. */
#include "platform/store.h"
#include "crypto/digest.h"
#include "platform/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CERT_FILE (1024 * 1024)

typedef struct {
    char *dir;
} dir_store;

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static bool ext_is(const char *e, const char *want)
{
    for (; *want != '\0'; e++, want++)
        if ((*e >= 'A' && *e <= 'Z' ? *e + 32 : *e) != *want)
            return false;
    return *e == '\0';
}

static bool cert_file_name(const char *name)
{
    static const char *const ext[] = {".cer", ".crt", ".pem", ".der"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (n > 4 && ext_is(name + n - 4, ext[i]))
            return true;
    return false;
}

/* Read a store file and return its certificate's DER (detail set on
 * failure); *pem (when not NULL) says the file is PEM text. */
static int read_cert_file(const char *path, mgw_dbuf *der, bool *pem)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int r = mgw_file_read(path, MAX_CERT_FILE, &data, &len);
    if (r == MGW_OK && pem != NULL)
        *pem = mgw_is_pem(data, len);
    if (r == MGW_OK)
        r = mgw_cert_file_der(data, len, der);
    mgw_free(data);
    return r;
}

/* Why `name` is not a store entry, or NULL when it may be one. */
static const char *not_an_entry(const char *name, int kind, uint64_t size)
{
    if (name[0] == '.')
        return "hidden file";
    if (kind == MGW_PATH_LINK)
        return "symbolic link";
    if (kind == MGW_PATH_DIR)
        return "directory";
    if (kind != MGW_PATH_FILE)
        return "not a regular file";
    if (!cert_file_name(name))
        return "not a certificate file name (.cer, .crt, .pem, .der)";
    if (size > MAX_CERT_FILE)
        return "larger than 1 MiB";
    return NULL;
}

static int list_one(const dir_store *d, const char *name, unsigned physical,
                    mgw_store_listing *l)
{
    char *path = join(d->dir, name);
    if (path == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int kind, r;
    uint64_t size;
    const char *why = NULL;
    if (mgw_path_kind(path, false, &kind, &size) != MGW_OK)
        why = mgw_last_error();
    else
        why = not_an_entry(strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name, kind,
                           size);
    if (why == NULL) {
        mgw_dbuf der;
        mgw_dbuf_init(&der);
        mgw_store_item item;
        memset(&item, 0, sizeof(item));
        bool pem = false;
        r = read_cert_file(path, &der, &pem);
        if (r == MGW_OK)
            r = mgw_store_item_from_der(der.p, der.len, name, &item);
        item.pem = pem;
        item.physical = physical;
        if (r == MGW_OK)
            r = mgw_store_listing_add(l, &item);
        mgw_store_item_clear(&item);
        mgw_dbuf_free(&der);
        /* An unreadable file is reported; only running out of memory stops the listing. */
        if (r != MGW_OK && r != MGW_ERR_NO_MEMORY)
            why = mgw_last_error();
    } else {
        r = MGW_OK;
    }
    if (why != NULL)
        r = mgw_store_listing_skip(l, name, why);
    free(path);
    return r;
}

/* List the directory `sub` of the store ("" for the store itself), whose
 * entries are named "sub/NAME" and carry the bits `physical`. */
static int list_dir(const dir_store *d, const char *sub, unsigned physical,
                    mgw_store_listing *out)
{
    char *dir = sub[0] == '\0' ? mgw_strdup(d->dir) : join(d->dir, sub);
    char **names = NULL;
    size_t n = 0;
    int r = dir == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : mgw_dir_list(dir, &names, &n);
    if (r != MGW_OK && dir != NULL)
        r = mgw_err_prefix(r, "the store directory");
    for (size_t i = 0; i < n; i++) {
        char *name = sub[0] == '\0' ? mgw_strdup(names[i]) : join(sub, names[i]);
        int kind = MGW_PATH_MISSING;
        uint64_t size;
        char *path = name == NULL ? NULL : join(d->dir, name);
        if (r == MGW_OK && (name == NULL || path == NULL))
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        unsigned bit = sub[0] == '\0' ? mgw_physical_bit(names[i]) : 0;
        if (r == MGW_OK && bit != 0 && bit != MGW_PHYSICAL_DEFAULT &&
            mgw_path_kind(path, false, &kind, &size) == MGW_OK && kind == MGW_PATH_DIR)
            r = list_dir(d, names[i], bit, out);
        else if (r == MGW_OK)
            r = list_one(d, name, physical, out);
        free(path);
        free(name);
        free(names[i]);
    }
    free(names);
    free(dir);
    return r;
}

static int dir_list(void *be, mgw_store_listing *out)
{
    const dir_store *d = be;
    int r = list_dir(d, "", 0, out);
    /* A certificate is where any of its copies is: a copy at the top of the
     * store does not make one that policy put there removable. */
    for (size_t i = 0; r == MGW_OK && i < out->n; i++)
        for (size_t j = 0; out->items[i].physical != 0 && j < out->n; j++)
            if (memcmp(out->items[i].sha1, out->items[j].sha1, 20) == 0)
                out->items[j].physical |= out->items[i].physical;
    return r;
}

static int dir_add(void *be, const uint8_t *der, size_t n, const uint8_t sha1[20], char **origin)
{
    const dir_store *d = be;
    char name[45];
    mgw_hex_upper(sha1, 20, name);
    memcpy(name + 40, ".cer", 5);
    char *path = join(d->dir, name), *copy = mgw_strdup(name);
    if (path == NULL || copy == NULL) {
        free(path);
        free(copy);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    /* Atomic and synced, and never over an existing file. */
    int r = mgw_file_write(path, der, n, 0);
    free(path);
    if (r == MGW_OK)
        *origin = copy;
    else
        free(copy);
    return r;
}

static int dir_add_named(void *be, const uint8_t *der, size_t n, const uint8_t sha1[20],
                         const char *name, bool pem, char **origin, bool *renamed)
{
    const dir_store *d = be;
    *renamed = true;
    if (name[0] == '.' || strpbrk(name, "/\\:") != NULL || !cert_file_name(name))
        return dir_add(be, der, n, sha1, origin);
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    char *path = join(d->dir, name), *copy = mgw_strdup(name);
    int r = path == NULL || copy == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    if (r == MGW_OK && pem)
        r = mgw_pem_write("CERTIFICATE", der, n, &text);
    /* Atomic and synced, and never over an existing file. */
    if (r == MGW_OK)
        r = mgw_file_write(path, pem ? text.p : der, pem ? text.len : n, 0);
    free(path);
    mgw_dbuf_free(&text);
    if (r != MGW_OK)
        free(copy);
    if (r == MGW_ERR_EXISTS)
        return dir_add(be, der, n, sha1, origin);
    *renamed = false;
    if (r == MGW_OK)
        *origin = copy;
    return r;
}

static int dir_remove(void *be, const mgw_store_item *item)
{
    const dir_store *d = be;
    char *path = join(d->dir, item->origin);
    if (path == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_dbuf der;
    mgw_dbuf_init(&der);
    uint8_t sha1[20];
    int kind = MGW_PATH_MISSING;
    uint64_t size;
    /* Delete only the certificate that was listed (and backed up). */
    int r = read_cert_file(path, &der, NULL);
    if (r == MGW_OK)
        mgw_sha1(der.p, der.len, sha1);
    if (r == MGW_ERR_NOT_FOUND)
        r = mgw_err(MGW_ERR_STORE_CHANGED, "%s vanished since the store was listed", path);
    else if ((r == MGW_OK && (memcmp(sha1, item->sha1, 20) != 0 ||
                              mgw_path_kind(path, false, &kind, &size) != MGW_OK ||
                              kind != MGW_PATH_FILE)) ||
             r == MGW_ERR_CERT_PARSE || r == MGW_ERR_PEM || r == MGW_ERR_TOO_LARGE)
        r = mgw_err(MGW_ERR_STORE_CHANGED, "%s changed since the store was listed", path);
    else if (r != MGW_OK)
        r = mgw_err_prefix(r, path);
    if (r == MGW_OK)
        r = mgw_file_remove(path);
    /* the directory that held it: the store's, or its physical-store subdirectory */
    char *slash = r == MGW_OK ? strrchr(path, '/') : NULL;
    if (slash != NULL)
        *slash = '\0';
    if (r == MGW_OK)
        r = mgw_dir_sync(slash != NULL ? path : d->dir);
    mgw_dbuf_free(&der);
    free(path);
    return r;
}

static void dir_close(void *be)
{
    dir_store *d = be;
    free(d->dir);
    free(d);
}

static const mgw_store_ops dir_ops = {
    .kind = "directory",
    .list = dir_list,
    .add = dir_add,
    .remove = dir_remove,
    .import_pfx = NULL, /* a directory holds no private keys */
    .close = dir_close,
    .add_named = dir_add_named,
};

int mgw_store_dir_open(const char *path, const mgw_store_ops **ops, void **be)
{
    int kind;
    uint64_t size;
    int r = mgw_path_kind(path, true, &kind, &size);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "the store directory");
    if (kind == MGW_PATH_MISSING)
        return mgw_err(MGW_ERR_NOT_FOUND, "store directory %s does not exist", path);
    if (kind != MGW_PATH_DIR)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "store %s is not a directory", path);
    dir_store *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->dir = mgw_strdup(path)) == NULL) {
        free(d);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    *ops = &dir_ops;
    *be = d;
    return MGW_OK;
}
