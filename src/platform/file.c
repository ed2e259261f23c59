/* Atomic writes, staged file sets and password files, on the primitives of
 * the platform file (file_posix.c or file_win.c). */
#include "platform/file.h"

#include <stdlib.h>
#include <string.h>

static int sync_parent(const char *path)
{
    char *dir = mgw_path_dir(path);
    int r = dir != NULL ? mgw_dir_sync(dir) : mgw_err(MGW_ERR_NO_MEMORY, NULL);
    free(dir);
    return r;
}

int mgw_file_flags_check(unsigned flags, const char *fn)
{
    if (flags & ~MGW_FILE_PUBLIC_FLAGS)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn,
                       flags & ~MGW_FILE_PUBLIC_FLAGS);
    return MGW_OK;
}

MGW_API int mgw_file_write(const char *path, const uint8_t *data, size_t len, unsigned flags)
{
    if (path == NULL || (data == NULL && len > 0))
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_file_write: NULL argument");
    if (mgw_file_flags_check(flags, "mgw_file_write") != MGW_OK)
        return MGW_ERR_INVALID_ARGUMENT;
    bool replaced = mgw_path_exists(path);
    if (!(flags & MGW_FILE_FORCE) && replaced)
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
    char *tmp = NULL;
    int r = mgw_file_write_temp(path, data, len, flags, &tmp);
    if (r != MGW_OK)
        return r;
    r = mgw_file_place(tmp, path, flags);
    if (r != MGW_OK)
        mgw_file_discard(tmp);
    free(tmp);
    if (r == MGW_OK && (r = sync_parent(path)) != MGW_OK && !replaced)
        mgw_file_discard(path); /* not durable: a new file is taken back rather than half-kept */
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

int mgw_file_replace_keep(const char *path, const uint8_t *data, size_t len)
{
    char *tmp = NULL;
    /* private first: never more open than the original, even for a moment */
    int r = mgw_file_write_temp(path, data, len, MGW_FILE_PRIVATE, &tmp);
    if (r != MGW_OK)
        return r;
    r = mgw_file_copy_access(path, tmp);
    if (r == MGW_OK)
        r = mgw_file_place(tmp, path, MGW_FILE_FORCE);
    if (r != MGW_OK)
        mgw_file_discard(tmp);
    free(tmp);
    if (r == MGW_OK)
        r = sync_parent(path);
    return r;
}

MGW_API int mgw_file_sync_dir(const char *dir)
{
    if (dir == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_file_sync_dir: NULL directory");
    int r = mgw_dir_sync(dir);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len)
{
    if (path == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_file_read: NULL argument");
    intptr_t h;
    int r = mgw_file_open_read(path, &h);
    if (r != MGW_OK)
        return r;
    mgw_dbuf b;
    mgw_dbuf_init(&b);
    for (;;) {
        size_t got = 0;
        if (mgw_dbuf_reserve(&b, 65536) != MGW_OK) {
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
            break;
        }
        if ((r = mgw_file_read_some(h, path, b.p + b.len, 65536, &got)) != MGW_OK || got == 0)
            break;
        b.len += got;
        if (b.len > max_len) {
            r = mgw_err(MGW_ERR_TOO_LARGE, "%s is larger than %zu bytes", path, max_len);
            break;
        }
    }
    mgw_file_close_read(h);
    if (r == MGW_OK)
        r = mgw_dbuf_detach(&b, out, out_len);
    mgw_dbuf_free(&b);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_text_file_read(const char *path, size_t max_len, char **out, size_t *out_len)
{
    if (path == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_text_file_read: NULL argument");
    uint8_t *data = NULL;
    size_t len = 0;
    int r = mgw_file_read(path, max_len, &data, &len);
    if (r != MGW_OK)
        return r;
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    r = mgw_text_decode(data, len, path, &text);
    mgw_free(data);
    if (r == MGW_OK && text.len > 0 && memchr(text.p, 0, text.len) != NULL)
        r = mgw_err(MGW_ERR_UTF8, "%s: a NUL byte in text", path);
    if (r == MGW_OK)
        r = mgw_out_copy(text.p, text.len, (uint8_t **)out, out_len);
    mgw_dbuf_free(&text);
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
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    char what[300];
    snprintf(what, sizeof(what), "password file %.250s", path);
    r = mgw_text_decode(data, len, what, &text);
    mgw_free(data);
    if (r != MGW_OK) {
        mgw_dbuf_free(&text);
        return r;
    }
    const uint8_t *p = text.len > 0 ? text.p : (const uint8_t *)"";
    size_t n = 0;
    while (n < text.len && p[n] != '\n')
        n++;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    r = mgw_password_check((const char *)p, n);
    if (r != MGW_OK)
        r = mgw_err_prefix(r, what);
    else
        r = mgw_out_copy(p, n, (uint8_t **)out, out_len);
    mgw_dbuf_free(&text);
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
            mgw_file_discard(fs->files[i].tmp);
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
    if (mgw_file_flags_check(flags, "mgw_fileset_add") != MGW_OK)
        return MGW_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->files[i].path, path) == 0)
            return mgw_err(MGW_ERR_EXISTS, "%s is written twice", path);
    if (!(flags & MGW_FILE_FORCE) && mgw_path_exists(path))
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
    /* written now, flushed at commit: the files of a set then reach the disk
     * together (a row of a batch: two flushes that share the directory's
     * metadata blocks wait for each other less) */
    flags &= MGW_FILE_FORCE | MGW_FILE_PRIVATE | MGW_FILE_NO_DIR_SYNC;
    int r = mgw_file_write_temp(path, data, len, flags | MGW_FILE_SYNC_LATER, &f->tmp);
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
    /* every file on disk before any is renamed into place */
    for (size_t i = 0; i < fs->n && r == MGW_OK; i++)
        if (fs->files[i].tmp != NULL)
            r = mgw_file_sync_temp(fs->files[i].tmp);
    for (size_t i = 0; i < fs->n && r == MGW_OK; i++) {
        staged_file *f = &fs->files[i];
        bool replaced = (f->flags & MGW_FILE_FORCE) && mgw_path_exists(f->path);
        r = mgw_file_place(f->tmp, f->path, f->flags);
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
            continue;      /* the caller syncs the directory later */
        bool seen = false; /* each directory once */
        char *dir = mgw_path_dir(fs->files[i].path);
        for (size_t k = 0; dir != NULL && k < i && !seen; k++) {
            char *other = mgw_path_dir(fs->files[k].path);
            seen = other != NULL && strcmp(other, dir) == 0;
            free(other);
        }
        if (dir == NULL)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        else if (!seen)
            r = mgw_dir_sync(dir);
        free(dir);
    }
    for (size_t i = 0; r != MGW_OK && i < fs->n; i++)
        if (fs->files[i].placed)
            mgw_file_discard(fs->files[i].path);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
