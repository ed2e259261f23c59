/* File primitives on POSIX systems (see file.h). */
#if defined(HAVE_RENAMEAT2)
#define _GNU_SOURCE /* renameat2; before any system header */
#endif
#include "platform/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_err(const char *what, const char *path)
{
    return mgw_err(MGW_ERR_IO, "%s %s: %s", what, path, strerror(errno));
}

char *mgw_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return mgw_strdup(".");
    if (slash == path)
        return mgw_strdup("/");
    return mgw_strndup(path, (size_t)(slash - path));
}

int mgw_dir_sync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = MGW_OK;
    if (fd < 0 || fsync(fd) != 0)
        r = io_err("cannot sync directory", dir);
    if (fd >= 0)
        close(fd);
    return r;
}

bool mgw_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int mgw_path_kind(const char *path, bool follow, int *kind, uint64_t *size)
{
    struct stat st;
    *size = 0;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
        *kind = MGW_PATH_MISSING;
        return errno == ENOENT || errno == ENOTDIR ? MGW_OK : io_err("cannot stat", path);
    }
    *kind = S_ISLNK(st.st_mode)   ? MGW_PATH_LINK
            : S_ISDIR(st.st_mode) ? MGW_PATH_DIR
            : S_ISREG(st.st_mode) ? MGW_PATH_FILE
                                  : MGW_PATH_OTHER;
    *size = (uint64_t)st.st_size;
    return MGW_OK;
}

int mgw_file_write_temp(const char *path, const uint8_t *data, size_t len, unsigned flags,
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
    if (r == MGW_OK && !(flags & MGW_FILE_SYNC_LATER) && fsync(fd) != 0)
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

int mgw_file_sync_temp(const char *tmp)
{
    /* any descriptor of the file serves fsync on the systems this file is for */
    int fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int r = MGW_OK;
    if (fd < 0 || fsync(fd) != 0)
        r = io_err("cannot sync", tmp);
    if (fd >= 0)
        close(fd);
    return r;
}

int mgw_file_place(const char *tmp, const char *path, unsigned flags)
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
    if (mgw_path_exists(path))
        return mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path);
    if (rename(tmp, path) != 0)
        return io_err("cannot rename into", path);
    return MGW_OK;
}

int mgw_file_remove(const char *path)
{
    if (unlink(path) == 0)
        return MGW_OK;
    return errno == ENOENT ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                           : io_err("cannot remove", path);
}

void mgw_file_discard(const char *path)
{
    unlink(path);
}

int mgw_dir_list(const char *dir, char ***names, size_t *n)
{
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return errno == ENOENT ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such directory", dir)
                               : io_err("cannot read the directory", dir);
    char **v = NULL;
    size_t count = 0, cap = 0;
    int r = MGW_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dp);
        if (de == NULL) {
            if (errno != 0)
                r = io_err("cannot read the directory", dir);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((r = mgw_names_push(&v, &count, &cap, mgw_strdup(de->d_name))) != MGW_OK)
            break;
    }
    closedir(dp);
    if (r != MGW_OK) {
        mgw_names_free(v, count);
        return r;
    }
    *names = v;
    *n = count;
    return MGW_OK;
}

int mgw_file_open_read(const char *path, intptr_t *h)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                               : io_err("cannot open", path);
    *h = fd;
    return MGW_OK;
}

int mgw_file_read_some(intptr_t h, const char *path, uint8_t *buf, size_t n, size_t *got)
{
    for (;;) {
        ssize_t k = read((int)h, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return io_err("cannot read", path);
        *got = (size_t)k;
        return MGW_OK;
    }
}

void mgw_file_close_read(intptr_t h)
{
    close((int)h);
}

int mgw_path_same(const char *a, const char *b, bool *same)
{
    struct stat x, y;
    *same = stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
    return MGW_OK;
}

int mgw_path_resolve(const char *path, char **out)
{
    char *p = realpath(path, NULL);
    if (p == NULL)
        return errno == ENOENT ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                               : io_err("cannot resolve", path);
    *out = mgw_strdup(p);
    free(p);
    return *out != NULL ? MGW_OK : mgw_err(MGW_ERR_NO_MEMORY, NULL);
}

int mgw_file_copy_access(const char *from, const char *tmp)
{
    struct stat st;
    if (stat(from, &st) != 0)
        return io_err("cannot stat", from);
    if (geteuid() == 0 && chown(tmp, st.st_uid, st.st_gid) != 0)
        return io_err("cannot give the owner and group of the original to", tmp);
    if (chmod(tmp, st.st_mode & 07777) != 0)
        return io_err("cannot give the mode of the original to", tmp);
    return MGW_OK;
}
