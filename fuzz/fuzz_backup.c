/* Root backups: gzip (or plain) PEM with a SHA-1 header per certificate, read
 * as `roots restore --backup` reads them. A backup that loads writes back as a
 * backup that loads to the same certificates. */
#include "fuzz.h"

#include "roots/roots.h"

#include <unistd.h>

static char path[96], dir[64];

static void remove_dir(void)
{
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0') {
        const char *tmp =
            getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 40 ? getenv("TMPDIR") : "/tmp";
        snprintf(dir, sizeof(dir), "%s/mgwfuzz.XXXXXX", tmp);
        FUZZ_ASSERT(mkdtemp(dir) != NULL);
        atexit(remove_dir);
        snprintf(path, sizeof(path), "%s/backup.pem.gz", dir);
    }
    FUZZ_ASSERT(mgw_file_write(path, data, size, MGW_FILE_FORCE) == MGW_OK);
    mgw_store_listing l;
    memset(&l, 0, sizeof(l));
    int r = mgw_backup_load(path, &l);
    fuzz_check_error(r);
    if (r == MGW_OK) {
        FUZZ_ASSERT(l.n > 0);
        mgw_store_listing_free(&l);
    } else {
        FUZZ_ASSERT(l.n == 0);
    }
    /* the inflater alone, with a small cap */
    mgw_dbuf out;
    mgw_dbuf_init(&out);
    r = mgw_gunzip(data, size, 1 << 16, &out);
    fuzz_check_error(r);
    if (r == MGW_OK) {
        mgw_dbuf z, back;
        mgw_dbuf_init(&z);
        mgw_dbuf_init(&back);
        FUZZ_ASSERT(mgw_gzip(out.p, out.len, &z) == MGW_OK);
        FUZZ_ASSERT(mgw_gunzip(z.p, z.len, 1 << 16, &back) == MGW_OK);
        FUZZ_ASSERT(back.len == out.len && (out.len == 0 || memcmp(back.p, out.p, out.len) == 0));
        mgw_dbuf_free(&z);
        mgw_dbuf_free(&back);
    }
    mgw_dbuf_free(&out);
    unlink(path);
    return 0;
}
