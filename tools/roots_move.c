/* roots plan|prune --move-intermediates and what roots restore does with it:
 * the certificates a prune removes from a trust store that are not
 * self-signed (a cause of IIS 403.16) are first added to the intermediate
 * store, so they are moved rather than deleted. The certificates this adds
 * are listed in BACKUP.moved.txt, written before the first one is added, so
 * that roots restore takes them out of the intermediate store again. */
#include "roots_move.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void moves_free(roots_moves *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->tp[i]);
        free(m->subject[i]);
    }
    free(m->index);
    free(m->tp);
    free(m->subject);
    memset(m, 0, sizeof(*m));
}

/* 1 when certificate i of the store is self-signed, 0 when not, -1 (reported)
 * when it cannot be read: never guessed, since a self-signed certificate is
 * deleted rather than moved (one whose signature cannot be judged is moved). */
static int self_signed(const mgw_store_t *store, size_t i, const char *tp)
{
    uint8_t *der = NULL;
    size_t len = 0;
    mgw_cert_t *c = NULL;
    int r = mgw_store_cert_der(store, i, &der, &len);
    if (r == MGW_OK)
        r = mgw_cert_parse(der, len, &c);
    int v = -1;
    if (r == MGW_OK) {
        r = mgw_cert_check_issuer(c, c);
        v = r == MGW_OK ? 1 : r == MGW_ERR_CERT_SIGNATURE || r == MGW_ERR_UNSUPPORTED_ALG ? 0 : -1;
    }
    mgw_cert_free(&c);
    mgw_free(der);
    if (v < 0)
        cli_fail(r, tp);
    return v;
}

int moves_find(const mgw_store_t *store, const mgw_rootplan_t *plan, roots_moves *m)
{
    size_t n = mgw_rootplan_count(plan, 0);
    memset(m, 0, sizeof(*m));
    m->index = calloc(n + 1, sizeof(*m->index));
    m->tp = calloc(n + 1, sizeof(*m->tp));
    m->subject = calloc(n + 1, sizeof(*m->subject));
    if (m->index == NULL || m->tp == NULL || m->subject == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    /* plan entries are in the store's listing order */
    for (size_t i = 0; i < n; i++) {
        int action = 0;
        char *tp = NULL, *subject = NULL;
        int r = mgw_rootplan_entry(plan, i, &action, &tp, &subject);
        if (r != MGW_OK)
            return cli_fail(r, NULL);
        int self = action == MGW_ROOT_REMOVE ? self_signed(store, i, tp) : 1;
        if (self < 0) {
            mgw_free(tp);
            mgw_free(subject);
            return 1;
        }
        if (self == 0) {
            m->index[m->n] = i;
            m->tp[m->n] = strdup(tp);
            m->subject[m->n] = strdup(subject);
            if (m->tp[m->n] == NULL || m->subject[m->n] == NULL) {
                m->n++;
                mgw_free(tp);
                mgw_free(subject);
                return cli_fail(MGW_ERR_NO_MEMORY, NULL);
            }
            m->n++;
        }
        mgw_free(tp);
        mgw_free(subject);
    }
    return 0;
}

void moves_print(const roots_moves *m, const char *to)
{
    for (size_t i = 0; i < m->n; i++)
        printf("%-10s %s  %s  (not self-signed, a cause of IIS 403.16: moved to %s)\n", "move",
               m->tp[i], m->subject[i], to);
    printf("move: %zu of the removed %s to %s, not deleted\n", m->n,
           cli_plural(m->n, "certificate goes", "certificates go"), to);
}

/* s as a JSON string appended to buf (grown as needed); false without memory. */
static bool json_str(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + 6 * strlen(s) + 3;
    if (need > *cap) {
        size_t c = need * 2;
        char *b = realloc(*buf, c);
        if (b == NULL)
            return false;
        *buf = b;
        *cap = c;
    }
    char *o = *buf + *len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += sprintf(o, "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    *len = (size_t)(o - *buf);
    return true;
}

static bool json_raw(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *b = realloc(*buf, c);
        if (b == NULL)
            return false;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return true;
}

char *moves_json(const roots_moves *m, const char *flag, const char *to)
{
    char *b = NULL;
    size_t len = 0, cap = 0;
    bool ok = json_raw(&b, &len, &cap, "{\"to\": {\"kind\": ") &&
              json_str(&b, &len, &cap, strcmp(flag, "--store") == 0 ? "directory" : "system") &&
              json_raw(&b, &len, &cap, ", \"name\": ") && json_str(&b, &len, &cap, to) &&
              json_raw(&b, &len, &cap, "}, \"certificates\": [");
    for (size_t i = 0; ok && i < m->n; i++)
        ok = json_raw(&b, &len, &cap, i > 0 ? ", {\"sha1\": " : "{\"sha1\": ") &&
             json_str(&b, &len, &cap, m->tp[i]) && json_raw(&b, &len, &cap, ", \"subject\": ") &&
             json_str(&b, &len, &cap, m->subject[i]) && json_raw(&b, &len, &cap, "}");
    ok = ok && json_raw(&b, &len, &cap, "]}");
    if (!ok) {
        free(b);
        return NULL;
    }
    return b;
}

static int open_named(const char *flag, const char *name, mgw_store_t **s)
{
    int r =
        strcmp(flag, "--store") == 0 ? mgw_store_open_dir(name, s) : mgw_store_open_system(name, s);
    return r == MGW_OK ? 0 : cli_fail(r, name);
}

char *moves_record_path(const char *backup)
{
    size_t n = strlen(backup) + sizeof(".moved.txt");
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s.moved.txt", backup);
    return p;
}

/* BACKUP.moved.txt:
 *   # comment lines
 *   store DIR | system-store LOCATION\NAME   the intermediate store
 *   backup-sha256 HEX | pending             the backup it belongs to
 *   THUMBPRINT                               added by the move, not taken back
 *   taken-back THUMBPRINT                    added by the move, taken back */
typedef struct {
    char *data;
    char flag[40], name[1024], sha[72];
    char **tp;
    bool *done;
    size_t n;
} record_t;

static void record_free(record_t *rec)
{
    mgw_free(rec->data);
    free(rec->tp);
    free(rec->done);
    memset(rec, 0, sizeof(*rec));
}

/* 0, or 1 (reported) when unreadable or not a record. */
static int record_read(const char *path, record_t *rec)
{
    size_t len = 0;
    memset(rec, 0, sizeof(*rec));
    if (cli_read(path, (uint8_t **)&rec->data, &len) != 0)
        return 1;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += rec->data[i] == '\n' || rec->data[i] == '\r';
    rec->tp = calloc(lines, sizeof(*rec->tp));
    rec->done = calloc(lines, sizeof(*rec->done));
    if (rec->tp == NULL || rec->done == NULL) {
        record_free(rec);
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    }
    /* cli_read leaves a NUL after the data */
    for (char *line = strtok(rec->data, "\r\n"); line != NULL; line = strtok(NULL, "\r\n")) {
        if (line[0] == '#')
            continue;
        if (rec->flag[0] == '\0') {
            if (sscanf(line, "%30s %1023[^\n]", rec->flag + 2, rec->name) != 2 ||
                (strcmp(rec->flag + 2, "store") != 0 && strcmp(rec->flag + 2, "system-store") != 0))
                break;
            rec->flag[0] = rec->flag[1] = '-';
        } else if (strncmp(line, "backup-sha256 ", 14) == 0) {
            snprintf(rec->sha, sizeof(rec->sha), "%s", line + 14);
        } else {
            bool done = strncmp(line, "taken-back ", 11) == 0;
            char *tp = done ? line + 11 : line;
            if (strlen(tp) != 40 || strspn(tp, "0123456789ABCDEF") != 40) {
                fprintf(stderr, "mgwauth: error: %s: '%.60s' is no SHA-1 thumbprint\n", path, line);
                record_free(rec);
                return 1;
            }
            rec->done[rec->n] = done;
            rec->tp[rec->n++] = tp;
        }
    }
    if (rec->flag[0] == '\0') {
        fprintf(stderr, "mgwauth: error: %s: the first line names no store\n", path);
        record_free(rec);
        return 1;
    }
    return 0;
}

/* Write the record (replacing it): 0 or 1 (reported). */
static int record_write(const char *path, const record_t *rec, unsigned flags)
{
    size_t cap = 256 + strlen(rec->name) + strlen(rec->sha), len = 0;
    for (size_t i = 0; i < rec->n; i++)
        cap += strlen(rec->tp[i]) + 16;
    char *text = malloc(cap);
    if (text == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    len = (size_t)snprintf(text, cap,
                           "# mgwauth roots prune --move-intermediates: added to the "
                           "intermediate store\n%s %s\nbackup-sha256 %s\n",
                           rec->flag + 2, rec->name, rec->sha);
    for (size_t i = 0; i < rec->n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s%s\n", rec->done[i] ? "taken-back " : "",
                                rec->tp[i]);
    int r = mgw_file_write(path, (const uint8_t *)text, len, flags);
    free(text);
    if (r == MGW_ERR_EXISTS) {
        fprintf(stderr, "mgwauth: error: %s exists\n", path);
        return 1;
    }
    return r == MGW_OK ? 0 : cli_fail(r, path);
}

static size_t record_live(const record_t *rec)
{
    size_t live = 0;
    for (size_t i = 0; i < rec->n; i++)
        live += !rec->done[i];
    return live;
}

/* The backup's SHA-256 (malloc'ed by the library), or NULL (reported). */
static char *file_sha256(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *hex = NULL;
    if (cli_read(path, &data, &len) != 0)
        return NULL;
    int r = mgw_digest_hex(MGW_DIGEST_SHA256, data, len, &hex);
    mgw_free(data);
    if (r != MGW_OK)
        cli_fail(r, path);
    return hex;
}

int moves_check_record(const char *record, const char *root_flag, const char *root_name,
                       bool change)
{
    if (!cli_exists(record))
        return 0;
    record_t rec;
    if (record_read(record, &rec) != 0) {
        fprintf(stderr, "mgwauth: error: %s is in the way (not replaced)\n", record);
        return 1;
    }
    size_t live = record_live(&rec);
    /* a prune that stopped before writing its backup (nothing removed):
     * the copies of what the trust store holds go out again */
    size_t blen = strlen(record) - strlen(".moved.txt");
    char *backup = live > 0 && strcmp(rec.sha, "pending") == 0 ? strdup(record) : NULL;
    if (backup != NULL) {
        backup[blen] = '\0';
        if (!cli_exists(backup) && !change) {
            printf("%s is of a prune that stopped before writing its backup: with --yes, its "
                   "copies of certificates %s holds are taken out of %s first\n",
                   record, root_name, rec.name);
            live = 0;
            free(backup);
        } else if (!cli_exists(backup)) {
            printf("%s is of a prune that stopped before writing its backup: its copies of "
                   "certificates %s holds are taken out of %s again\n",
                   record, root_name, rec.name);
            record_free(&rec);
            int rc = moves_undo_unremoved(root_flag, root_name, record);
            if (rc == 0)
                rc = record_read(record, &rec);
            free(backup);
            if (rc != 0)
                return 1;
            live = record_live(&rec);
        } else {
            free(backup);
        }
    }
    if (live > 0)
        fprintf(stderr,
                "mgwauth: error: %s records %zu %s moved to %s and not taken back: run roots "
                "restore with this backup first, or move the record away (not replaced)\n",
                record, live, cli_plural(live, "certificate", "certificates"), rec.name);
    record_free(&rec);
    return live > 0;
}

/* Take the certificates `tp[0..n)` out of the store again where it holds
 * them; 0 when all of them are gone from it afterwards (seen by a fresh
 * listing). */
static int take_out(const char *flag, const char *name, char *const *tp, size_t n)
{
    mgw_store_t *s = NULL;
    int rc = open_named(flag, name, &s);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!cli_store_holds(s, tp[i])) {
            printf("%-10s %s  not in %s (taken out before)\n", "gone", tp[i], name);
            continue;
        }
        int r = mgw_store_remove_cert(s, tp[i]);
        if (r != MGW_OK)
            rc = cli_fail(r, tp[i]);
        else
            printf("%-10s %s  out of %s again\n", "taken-back", tp[i], name);
    }
    mgw_store_free(&s);
    /* verified: a fresh listing of the store holds none of them */
    if (rc == 0 && (rc = open_named(flag, name, &s)) == 0) {
        for (size_t i = 0; i < n; i++)
            if (cli_store_holds(s, tp[i])) {
                fprintf(stderr, "mgwauth: error: %s still holds %s\n", name, tp[i]);
                rc = 1;
            }
        mgw_store_free(&s);
    }
    return rc;
}

/* The lines of tps[] in the record are marked taken back; 0 or 1. */
static int record_mark(const char *path, record_t *rec, char *const *tps, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < rec->n; i++)
            if (rec->tp[i] == tps[k])
                rec->done[i] = true;
    return record_write(path, rec, MGW_FILE_FORCE);
}

int moves_copy(const mgw_store_t *root, const roots_moves *m, const char *flag, const char *name,
               const char *record)
{
    mgw_store_t *ca = NULL;
    int rc = open_named(flag, name, &ca);
    record_t rec = {0};
    bool recorded = false;
    if (rc == 0) {
        rec.tp = calloc(m->n + 1, sizeof(*rec.tp));
        rec.done = calloc(m->n + 1, sizeof(*rec.done));
        if (rec.tp == NULL || rec.done == NULL)
            rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
    }
    if (rc == 0) {
        /* the record names every certificate the store lacks now, before
         * any is added (what was there before is never taken out); it
         * belongs to no backup until the prune has written one */
        snprintf(rec.flag, sizeof(rec.flag), "%s", flag);
        snprintf(rec.name, sizeof(rec.name), "%s", name);
        snprintf(rec.sha, sizeof(rec.sha), "pending");
        for (size_t i = 0; i < m->n; i++)
            if (!cli_store_holds(ca, m->tp[i]))
                rec.tp[rec.n++] = m->tp[i];
        rc = record_write(record, &rec, 0);
        recorded = rc == 0;
    }
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        uint8_t *der = NULL;
        size_t dlen = 0;
        int was_added = 0;
        int r = mgw_store_cert_der(root, m->index[i], &der, &dlen);
        if (r == MGW_OK)
            r = mgw_store_add_cert(ca, der, dlen, &was_added, NULL);
        mgw_free(der);
        if (r != MGW_OK)
            rc = cli_fail(r, m->tp[i]);
        else
            printf("%-10s %s  %s  -> %s\n", was_added ? "copied" : "present", m->tp[i],
                   m->subject[i], name);
    }
    mgw_store_free(&ca);
    if (rc != 0 && rec.n > 0 && recorded) {
        /* nothing was removed yet: what was added goes out again */
        printf("copying to %s stopped: taking back what was added\n", name);
        if (take_out(flag, name, rec.tp, rec.n) == 0)
            cli_remove(record);
    }
    free(rec.tp);
    free(rec.done);
    return rc;
}

int moves_bind(const char *record, const char *backup)
{
    record_t rec;
    char *hex = file_sha256(backup);
    int rc = hex == NULL ? 1 : record_read(record, &rec);
    if (rc == 0) {
        snprintf(rec.sha, sizeof(rec.sha), "%s", hex);
        rc = record_write(record, &rec, MGW_FILE_FORCE);
        record_free(&rec);
    }
    mgw_free(hex);
    return rc;
}

int moves_undo_unremoved(const char *root_flag, const char *root_name, const char *record)
{
    record_t rec;
    if (record_read(record, &rec) != 0)
        return 1;
    /* the moves of certificates the prune did not remove are taken back */
    mgw_store_t *root = NULL;
    char **tps = calloc(rec.n + 1, sizeof(*tps));
    size_t n = 0;
    int rc =
        tps == NULL ? cli_fail(MGW_ERR_NO_MEMORY, NULL) : open_named(root_flag, root_name, &root);
    for (size_t i = 0; rc == 0 && i < rec.n; i++)
        if (!rec.done[i] && cli_store_holds(root, rec.tp[i]))
            tps[n++] = rec.tp[i];
    mgw_store_free(&root);
    if (rc == 0 && n > 0 && (rc = take_out(rec.flag, rec.name, tps, n)) == 0)
        rc = record_mark(record, &rec, tps, n);
    free(tps);
    record_free(&rec);
    return rc;
}

int moves_restore(const char *root_flag, const char *root_name, const char *backup,
                  const char *const *only, size_t n_only)
{
    char *record = moves_record_path(backup);
    int rc = 0;
    if (record == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    if (!cli_exists(record)) {
        free(record);
        return 0;
    }
    record_t rec;
    if (record_read(record, &rec) != 0) {
        free(record);
        return 1;
    }
    char *hex = file_sha256(backup);
    char **tps = calloc(rec.n + 1, sizeof(*tps));
    size_t n = 0;
    if (hex == NULL)
        rc = 1;
    else if (tps == NULL)
        rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
    if (rc == 0 && strcmp(rec.sha, hex) != 0 && strcmp(rec.sha, "pending") != 0 &&
        record_live(&rec) > 0) {
        /* a record of another backup (this one was replaced since): what it
         * lists is left alone */
        printf("not taken back: %s does not belong to this backup (its backup-sha256 "
               "differs); the %zu %s it lists stay in %s\n",
               record, record_live(&rec),
               cli_plural(record_live(&rec), "certificate", "certificates"), rec.name);
        goto done;
    }
    for (size_t i = 0; rc == 0 && i < rec.n; i++) {
        bool wanted = n_only == 0;
        for (size_t k = 0; k < n_only && !wanted; k++) {
            char *norm = NULL;
            wanted =
                mgw_thumbprint_normalize(only[k], &norm) == MGW_OK && strcmp(norm, rec.tp[i]) == 0;
            mgw_free(norm);
        }
        if (wanted && !rec.done[i])
            tps[n++] = rec.tp[i];
    }
    /* only a copy of what the trust store holds (again) is taken out: never
     * the last one of a certificate (a record of a prune that did not
     * finish, "pending", lists copies of certificates never removed too) */
    mgw_store_t *root = NULL;
    if (rc == 0 && n > 0)
        rc = open_named(root_flag, root_name, &root);
    size_t kept = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (cli_store_holds(root, tps[i]))
            tps[kept++] = tps[i];
        else
            printf("%-10s %s  stays in %s: %s does not hold it\n", "kept", tps[i], rec.name,
                   root_name);
    }
    if (rc == 0)
        n = kept;
    mgw_store_free(&root);
    if (rc == 0 && n == 0 && record_live(&rec) == 0 && rec.n > 0)
        printf("the move to %s was taken back before (%s): nothing taken out\n", rec.name, record);
    if (rc == 0 && n > 0) {
        printf("the move to %s, taken back (%s):\n", rec.name, record);
        rc = take_out(rec.flag, rec.name, tps, n);
        if (rc == 0)
            rc = record_mark(record, &rec, tps, n);
        if (rc == 0)
            printf("verified: %s holds none of the %zu moved %s\n", rec.name, n,
                   cli_plural(n, "certificate", "certificates"));
    }
done:
    free(tps);
    mgw_free(hex);
    record_free(&rec);
    free(record);
    return rc;
}
