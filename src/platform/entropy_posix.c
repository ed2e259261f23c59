/* The operating system's entropy source on POSIX systems: getrandom() where
 * the C library has it (no file descriptor), /dev/urandom otherwise. */
#include "platform/entropy.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(HAVE_GETRANDOM)
#include <sys/random.h>
#endif

int mgw_os_entropy(uint8_t *buf, size_t len)
{
#if defined(HAVE_GETRANDOM)
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done == len)
        return 0;
#endif
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return got == len ? 0 : -1;
}
