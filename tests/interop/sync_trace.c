/* LD_PRELOAD shim for the interop tests: logs every fsync() (the path of its
 * descriptor, from /proc/self/fd) and every rename to the file named by
 * $MGW_SYNC_TRACE, one line per call and in the order the calls return, so a
 * test can check that each file reached the disk before its name did and
 * when the directories were synced. The calls themselves are unchanged. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The next definition of `name`; memcpy because ISO C has no cast from an
 * object pointer to a function pointer. */
static void next_symbol(const char *name, void *fn, size_t size)
{
    void *sym = dlsym(RTLD_NEXT, name);
    memcpy(fn, &sym, size);
}

/* One line, one write() on an O_APPEND descriptor: whole lines from threads. */
static void log_line(const char *kind, const char *a, const char *b)
{
    const char *path = getenv("MGW_SYNC_TRACE");
    if (path == NULL || path[0] == '\0')
        return;
    char line[3 * PATH_MAX];
    int n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", kind, a, b != NULL ? b : "");
    if (n <= 0 || (size_t)n >= sizeof(line))
        return;
    int (*real_open)(const char *, int, ...);
    next_symbol("open", &real_open, sizeof(real_open));
    int fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
        close(fd);
    }
}

int fsync(int fd)
{
    int (*real)(int);
    next_symbol("fsync", &real, sizeof(real));
    int r = real(fd);
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (r == 0 && n > 0) {
        target[n] = '\0';
        log_line("fsync", target, NULL);
    }
    return r;
}

static void log_rename(int r, const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (r == 0 && realpath(to, b) != NULL) {
        /* the source is gone: its directory is the target's (same-directory renames) */
        const char *slash = strrchr(from, '/');
        snprintf(a, sizeof(a), "%.*s/%s", (int)(strrchr(b, '/') - b), b,
                 slash != NULL ? slash + 1 : from);
        log_line("rename", a, b);
    }
}

int rename(const char *from, const char *to)
{
    int (*real)(const char *, const char *);
    next_symbol("rename", &real, sizeof(real));
    int r = real(from, to);
    log_rename(r, from, to);
    return r;
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
    int (*real)(int, const char *, int, const char *, unsigned);
    next_symbol("renameat2", &real, sizeof(real));
    int r = real(fd1, from, fd2, to, flags);
    if (fd1 == AT_FDCWD && fd2 == AT_FDCWD)
        log_rename(r, from, to);
    return r;
}
