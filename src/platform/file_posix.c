/* Files on POSIX systems: atomic replacement, bounded reads, staged sets. */
#if defined(HAVE_RENAMEAT2)
#define _GNU_SOURCE /* renameat2; before any system header */
#endif
#include "core/core.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_err(const char *what, const char *path)
{
    return mgw_err(MGW_ERR_IO, "%s %s: %s", what, path, strerror(errno));
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return mgw_strdup(".");
    if (slash == path)
        return mgw_strdup("/");
    return mgw_strndup(path, (size_t)(slash - path));
}

static int sync_dir(const char *path)
{
    char *dir = dir_of(path);
    if (dir == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int r = MGW_OK;
    if (fd < 0 || fsync(fd) != 0)
        r = io_err("cannot sync directory", dir);
    if (fd >= 0)
        close(fd);
    free(dir);
    return r;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Write data to a fresh temporary file next to `path`; *tmp gets its name. */
static int write_temp(const char *path, const uint8_t *data, size_t len, unsigned flags,
                      char **tmp)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash == NULL ? 0 : (size_t)(slash - path) + 1;
    const char *base = path + dlen;
    if (*base == '\0')
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "not a file name: %s", path);
    size_t n = dlen + strlen(base) + 48;
    char *t = malloc(n);
    if (t == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    /* A hidden name unique in this process (pid and counter), created with
     * O_EXCL and the final mode: private files 0600, others 0644 (less what
     * the umask takes away). */
    static _Atomic unsigned long counter;
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(t, n, "%.*s.%s.%ld-%lu.tmp", (int)dlen, path, base, (long)getpid(),
                 atomic_fetch_add(&counter, 1));
        fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  (flags & MGW_FILE_PRIVATE) ? 0600 : 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int r = io_err("cannot create a file in the directory of", path);
        free(t);
        return r;
    }
    int r = MGW_OK;
    for (size_t off = 0; r == MGW_OK && off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            r = io_err("cannot write", t);
        else
            off += (size_t)w;
    }
    if (r == MGW_OK && fsync(fd) != 0)
        r = io_err("cannot sync", t);
    if (close(fd) != 0 && r == MGW_OK)
        r = io_err("cannot close", t);
    if (r != MGW_OK) {
        unlink(t);
        free(t);
        return r;
    }
    *tmp = t;
    return MGW_OK;
}

/* Move tmp to path; without FORCE never replace an existing file. */
static int place(const char *tmp, const char *path, unsigned flags)
{
    if (flags & MGW_FILE_FORCE) {
        if (rename(tmp, path) != 0)
            return io_err("cannot rename into", path);
        return MGW_OK;
    }
#if defined(HAVE_RENAMEAT2)
    /* one atomic step that never replaces: Linux's RENAME_NOREPLACE */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return MGW_OK;
    if (errno == EEXIST)
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
#endif
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return MGW_OK;
    }
    if (errno == EEXIST)
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
    /* File systems without hard links: check, then rename. */
    if (exists(path))
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
    if (rename(tmp, path) != 0)
        return io_err("cannot rename into", path);
    return MGW_OK;
}

MGW_API int mgw_file_write(const char *path, const uint8_t *data, size_t len, unsigned flags)
{
    if (path == NULL || (data == NULL && len > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_file_write: NULL argument");
    bool replaced = exists(path);
    if (!(flags & MGW_FILE_FORCE) && replaced)
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
    char *tmp = NULL;
    int r = write_temp(path, data, len, flags, &tmp);
    if (r != MGW_OK)
        return r;
    r = place(tmp, path, flags);
    if (r != MGW_OK)
        unlink(tmp);
    free(tmp);
    if (r == MGW_OK && (r = sync_dir(path)) != MGW_OK && !replaced)
        unlink(path); /* not durable: a new file is taken back rather than half-kept */
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len)
{
    if (path == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_file_read: NULL argument");
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                               : io_err("cannot open", path);
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    int r = MGW_OK;
    for (;;) {
        if (mgw_dbuf_reserve(&b, 65536) != MGW_OK) {
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
            break;
        }
        ssize_t n = read(fd, b.p + b.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = io_err("cannot read", path);
            break;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        if (b.len > max_len) {
            r = mgw_err(MGW_ERR_TOO_LARGE, "%s is larger than %zu bytes", path, max_len);
            break;
        }
    }
    close(fd);
    if (r == MGW_OK)
        r = mgw_dbuf_detach(&b, out, out_len);
    mgw_dbuf_free(&b);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_password_file_read(const char *path, char **out, size_t *out_len)
{
    if (path == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_password_file_read: NULL argument");
    uint8_t *data = NULL;
    size_t len = 0;
    int r = mgw_file_read(path, 65536, &data, &len);
    if (r != MGW_OK)
        return mgw_err_prefix(r, "password file");
    size_t n = 0;
    while (n < len && data[n] != '\n')
        n++;
    if (n > 0 && data[n - 1] == '\r')
        n--;
    size_t bad;
    if (memchr(data, 0, n) != NULL)
        r = mgw_err(MGW_ERR_PASSWORD, "password file %s: the password contains a NUL byte", path);
    else if (n > 1024)
        r = mgw_err(MGW_ERR_PASSWORD, "password file %s: the password is longer than 1024 bytes",
                    path);
    else if (!mgw_utf8_valid(data, n, &bad))
        r = mgw_err(MGW_ERR_UTF8, "password file %s: invalid UTF-8 at byte %zu", path, bad + 1);
    else
        r = mgw_out_copy(data, n, (uint8_t **)out, out_len);
    mgw_free(data);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_file_sync_dir(const char *dir)
{
    if (dir == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_file_sync_dir: NULL directory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = MGW_OK;
    if (fd < 0 || fsync(fd) != 0)
        r = io_err("cannot sync directory", dir);
    if (fd >= 0)
        close(fd);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

typedef struct {
    char *path, *tmp;
    unsigned flags;
    bool placed;
} staged_file;

struct mgw_fileset {
    staged_file *files;
    size_t n;
};

MGW_API mgw_fileset_t *mgw_fileset_new(void)
{
    return calloc(1, sizeof(mgw_fileset_t));
}

MGW_API void mgw_fileset_free(mgw_fileset_t **fsp)
{
    if (fsp == NULL || *fsp == NULL)
        return;
    mgw_fileset_t *fs = *fsp;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->files[i].tmp != NULL)
            unlink(fs->files[i].tmp);
        free(fs->files[i].tmp);
        free(fs->files[i].path);
    }
    free(fs->files);
    free(fs);
    *fsp = NULL;
}

MGW_API int mgw_fileset_add(mgw_fileset_t *fs, const char *path, const uint8_t *data, size_t len,
                            unsigned flags)
{
    if (fs == NULL || path == NULL || (data == NULL && len > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_fileset_add: NULL argument");
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->files[i].path, path) == 0)
            return mgw_err(MGW_ERR_EXISTS, "%s is written twice", path);
    if (!(flags & MGW_FILE_FORCE) && exists(path))
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
    staged_file *nf = realloc(fs->files, (fs->n + 1) * sizeof(*nf));
    if (nf == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    fs->files = nf;
    staged_file *f = &fs->files[fs->n];
    memset(f, 0, sizeof(*f));
    f->path = mgw_strdup(path);
    if (f->path == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    int r = write_temp(path, data, len, flags, &f->tmp);
    if (r != MGW_OK) {
        free(f->path);
        return r;
    }
    f->flags = flags;
    fs->n++;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_fileset_commit(mgw_fileset_t *fs)
{
    if (fs == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_fileset_commit: NULL argument");
    int r = MGW_OK;
    for (size_t i = 0; i < fs->n && r == MGW_OK; i++) {
        staged_file *f = &fs->files[i];
        bool replaced = (f->flags & MGW_FILE_FORCE) && exists(f->path);
        r = place(f->tmp, f->path, f->flags);
        if (r == MGW_OK) {
            free(f->tmp);
            f->tmp = NULL;
            f->placed = !replaced;
        }
    }
    /* the directories are synced only once everything is in place; any
     * failure takes back every file this set created */
    for (size_t i = 0; i < fs->n && r == MGW_OK; i++) {
        if (fs->files[i].flags & MGW_FILE_NO_DIR_SYNC)
            continue; /* the caller syncs the directory later */
        bool seen = false; /* each directory once */
        char *dir = dir_of(fs->files[i].path);
        for (size_t k = 0; dir != NULL && k < i && !seen; k++) {
            char *other = dir_of(fs->files[k].path);
            seen = other != NULL && strcmp(other, dir) == 0;
            free(other);
        }
        free(dir);
        if (!seen)
            r = sync_dir(fs->files[i].path);
    }
    for (size_t i = 0; r != MGW_OK && i < fs->n; i++)
        if (fs->files[i].placed)
            unlink(fs->files[i].path);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
