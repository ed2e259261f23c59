/* The portable store back-end: a directory holding one certificate per file
 * (DER or PEM, named *.cer, *.crt, *.pem or *.der). Anything else in the
 * directory is reported and left alone. */
#include "platform/store.h"
#include "crypto/crypto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

static bool cert_file_name(const char *name)
{
    static const char *const ext[] = {".cer", ".crt", ".pem", ".der"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (n > 4 && strcasecmp(name + n - 4, ext[i]) == 0)
            return true;
    return false;
}

/* Read a store file and return its certificate's DER (detail set on failure). */
static int read_cert_file(const char *path, mgw_dbuf *der)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int r = mgw_file_read(path, MAX_CERT_FILE, &data, &len);
    if (r == MGW_OK)
        r = mgw_cert_file_der(data, len, der);
    mgw_free(data);
    return r;
}

/* Why `name` is not a store entry, or NULL when it may be one. */
static const char *not_an_entry(const char *name, const struct stat *st)
{
    if (name[0] == '.')
        return "hidden file";
    if (S_ISLNK(st->st_mode))
        return "symbolic link";
    if (S_ISDIR(st->st_mode))
        return "directory";
    if (!S_ISREG(st->st_mode))
        return "not a regular file";
    if (!cert_file_name(name))
        return "not a certificate file name (.cer, .crt, .pem, .der)";
    if (st->st_size > MAX_CERT_FILE)
        return "larger than 1 MiB";
    return NULL;
}

static int list_one(const dir_store *d, const char *name, mgw_store_listing *l)
{
    char *path = join(d->dir, name);
    if (path == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    struct stat st;
    int r;
    const char *why = NULL;
    if (lstat(path, &st) != 0) {
        mgw_err(MGW_ERR_IO, "cannot stat: %s", strerror(errno));
        why = mgw_last_error();
    } else {
        why = not_an_entry(name, &st);
    }
    if (why == NULL) {
        mgw_dbuf der;
        mgw_dbuf_init(&der);
        mgw_store_item item;
        memset(&item, 0, sizeof(item));
        r = read_cert_file(path, &der);
        if (r == MGW_OK)
            r = mgw_store_item_from_der(der.p, der.len, name, &item);
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

static int dir_list(void *be, mgw_store_listing *out)
{
    const dir_store *d = be;
    DIR *dp = opendir(d->dir);
    if (dp == NULL)
        return mgw_err(MGW_ERR_IO, "cannot read the store directory %s: %s", d->dir,
                       strerror(errno));
    int r = MGW_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dp);
        if (de == NULL) {
            if (errno != 0)
                r = mgw_err(MGW_ERR_IO, "cannot read the store directory %s: %s", d->dir,
                            strerror(errno));
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((r = list_one(d, de->d_name, out)) != MGW_OK)
            break;
    }
    closedir(dp);
    return r;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int r = MGW_OK;
    if (fd < 0 || fsync(fd) != 0)
        r = mgw_err(MGW_ERR_IO, "cannot sync the store directory %s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    return r;
}

static int dir_add(void *be, const uint8_t *der, size_t n, const uint8_t sha1[20], char **origin)
{
    const dir_store *d = be;
    char name[45];
    mgw_hex_upper(sha1, 20, name);
    memcpy(name + 40, ".cer", 5);
    char *path = join(d->dir, name);
    if (path == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    /* Atomic and synced, and never over an existing file. */
    int r = mgw_file_write(path, der, n, 0);
    free(path);
    if (r == MGW_OK && (*origin = mgw_strdup(name)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
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
    struct stat st;
    /* Delete only the certificate that was listed (and backed up). */
    int r = read_cert_file(path, &der);
    if (r == MGW_OK && mgw_digest(MBEDTLS_MD_SHA1, der.p, der.len, sha1) != MGW_OK)
        r = MGW_ERR_CRYPTO;
    if (r == MGW_ERR_NOT_FOUND)
        r = mgw_err(MGW_ERR_STORE_CHANGED, "%s vanished since the store was listed", path);
    else if ((r == MGW_OK && (memcmp(sha1, item->sha1, 20) != 0 || lstat(path, &st) != 0 ||
                              !S_ISREG(st.st_mode))) ||
             r == MGW_ERR_CERT_PARSE || r == MGW_ERR_PEM || r == MGW_ERR_TOO_LARGE)
        r = mgw_err(MGW_ERR_STORE_CHANGED, "%s changed since the store was listed", path);
    else if (r != MGW_OK)
        r = mgw_err_prefix(r, path);
    if (r == MGW_OK && unlink(path) != 0)
        r = mgw_err(MGW_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    if (r == MGW_OK)
        r = sync_dir(d->dir);
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

static const mgw_store_ops dir_ops = {"directory", dir_list, dir_add, dir_remove, dir_close};

int mgw_store_dir_open(const char *path, const mgw_store_ops **ops, void **be)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT
                   ? mgw_err(MGW_ERR_NOT_FOUND, "store directory %s does not exist", path)
                   : mgw_err(MGW_ERR_IO, "cannot open the store directory %s: %s", path,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
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
