/* LD_PRELOAD shim for the interop tests: unlink() and unlinkat() fail with
 * EIO for paths that contain $MGW_FAIL_UNLINK, so that `mgwauth roots prune`
 * meets a real removal failure in the middle of its run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int refused(const char *path)
{
    const char *pattern = getenv("MGW_FAIL_UNLINK");
    return pattern != NULL && pattern[0] != '\0' && path != NULL && strstr(path, pattern) != NULL;
}

/* The next definition of `name`; memcpy because ISO C has no cast from an
 * object pointer to a function pointer. */
static void next_symbol(const char *name, void *fn, size_t size)
{
    void *sym = dlsym(RTLD_NEXT, name);
    memcpy(fn, &sym, size);
}

int unlink(const char *path)
{
    if (refused(path)) {
        errno = EIO;
        return -1;
    }
    int (*real)(const char *) = NULL;
    next_symbol("unlink", &real, sizeof(real));
    return real(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    if (refused(path)) {
        errno = EIO;
        return -1;
    }
    int (*real)(int, const char *, int) = NULL;
    next_symbol("unlinkat", &real, sizeof(real));
    return real(dirfd, path, flags);
}
