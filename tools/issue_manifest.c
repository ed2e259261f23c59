/* mgwauth cert issue: manifest.csv, what the batch issued or found. */
#include "issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void issue_manifest_fill(row *r, const mgw_cert_t *c)
{
    char *serial = NULL, *sha1 = NULL;
    int64_t nb, na;
    mgw_cert_serial(c, &serial);
    mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &sha1);
    mgw_cert_validity(c, &nb, &na);
    snprintf(r->serial, sizeof(r->serial), "%s", serial ? serial : "");
    snprintf(r->sha1, sizeof(r->sha1), "%s", sha1 ? sha1 : "");
    time_t t = (time_t)na;
    struct tm tm;
    if (gmtime_r(&t, &tm) != NULL)
        strftime(r->not_after, sizeof(r->not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
    mgw_free(serial);
    mgw_free(sha1);
}

int issue_manifest_write(batch *b)
{
    size_t cap = 256 + b->n * 1600, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    len = (size_t)snprintf(buf, cap, "upn,serial,sha1_thumbprint,not_after,pfx,cer\n");
    for (size_t i = 0; i < b->n; i++) {
        row *r = &b->rows[i];
        if (r->state != ROW_ISSUED && r->state != ROW_SKIPPED)
            continue;
        char pfx[200], cer[200];
        snprintf(pfx, sizeof(pfx), "%s.pfx", r->base);
        snprintf(cer, sizeof(cer), "%s.cer", r->base);
        const char *f[] = {r->field[COL_UPN], r->serial, r->sha1, r->not_after, pfx, cer};
        for (size_t k = 0; k < N(f); k++) {
            len = csv_quote(buf, len, cap, f[k]);
            if (len == (size_t)-1) {
                free(buf);
                return 1;
            }
            buf[len++] = k + 1 < N(f) ? ',' : '\n';
        }
    }
    char *path = cli_path(b->dir, "manifest", ".csv");
    int r = path != NULL ? mgw_file_write(path, (uint8_t *)buf, len, MGW_FILE_FORCE)
                         : MGW_ERR_NO_MEMORY;
    free(path);
    free(buf);
    return r == MGW_OK ? 0 : cli_fail(r, "manifest.csv");
}
