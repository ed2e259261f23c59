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

static bool self_signed(const mgw_store_t *store, size_t i)
{
    uint8_t *der = NULL;
    size_t len = 0;
    mgw_cert_t *c = NULL;
    bool not_self = mgw_store_cert_der(store, i, &der, &len) == MGW_OK &&
                    mgw_cert_parse(der, len, &c) == MGW_OK &&
                    mgw_cert_check_issuer(c, c) == MGW_ERR_CERT_SIGNATURE;
    mgw_cert_free(&c);
    mgw_free(der);
    return !not_self;
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
        if (action == MGW_ROOT_REMOVE && !self_signed(store, i)) {
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

static int open_named(const char *flag, const char *name, mgw_store_t **s)
{
    int r = strcmp(flag, "--store") == 0 ? mgw_store_open_dir(name, s)
                                         : mgw_store_open_system(name, s);
    return r == MGW_OK ? 0 : cli_fail(r, name);
}

static bool holds(const mgw_store_t *s, const char *tp)
{
    for (size_t i = 0; i < mgw_store_cert_count(s); i++) {
        char *t = NULL;
        bool same = mgw_store_cert(s, i, &t, NULL, NULL) == MGW_OK && strcmp(t, tp) == 0;
        mgw_free(t);
        if (same)
            return true;
    }
    return false;
}

char *moves_record_path(const char *backup)
{
    size_t n = strlen(backup) + sizeof(".moved.txt");
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s.moved.txt", backup);
    return p;
}

/* Take the certificates `tp[0..n)` out of the store again where it holds
 * them; 0 when all of them are gone from it afterwards (seen by a fresh
 * listing). */
static int take_out(const char *flag, const char *name, char *const *tp, size_t n)
{
    mgw_store_t *s = NULL;
    int rc = open_named(flag, name, &s);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!holds(s, tp[i])) {
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
            if (holds(s, tp[i])) {
                fprintf(stderr, "mgwauth: error: %s still holds %s\n", name, tp[i]);
                rc = 1;
            }
        mgw_store_free(&s);
    }
    return rc;
}

int moves_copy(const mgw_store_t *root, const roots_moves *m, const char *flag, const char *name,
               const char *record)
{
    mgw_store_t *ca = NULL;
    int rc = open_named(flag, name, &ca);
    char **added = calloc(m->n + 1, sizeof(*added));
    size_t n_added = 0;
    /* the record names every certificate the store lacks now, before any is added */
    size_t cap = 256 + strlen(name) + 42 * (m->n + 1), len = 0;
    char *text = malloc(cap);
    if (rc == 0 && (added == NULL || text == NULL))
        rc = cli_fail(MGW_ERR_NO_MEMORY, NULL);
    if (rc == 0) {
        len = (size_t)snprintf(text, cap,
                               "# mgwauth roots prune --move-intermediates: added to the "
                               "intermediate store\n%s %s\n",
                               flag + 2, name);
        for (size_t i = 0; i < m->n; i++)
            if (!holds(ca, m->tp[i])) {
                added[n_added++] = m->tp[i];
                len += (size_t)snprintf(text + len, cap - len, "%s\n", m->tp[i]);
            }
        int r = mgw_file_write(record, (const uint8_t *)text, len, 0);
        if (r != MGW_OK)
            rc = r == MGW_ERR_EXISTS ? (fprintf(stderr, "mgwauth: error: %s exists\n", record), 1)
                                     : cli_fail(r, record);
    }
    size_t done = 0;
    for (size_t i = 0; rc == 0 && i < m->n; i++, done++) {
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
    if (rc != 0 && n_added > 0) {
        /* nothing was removed yet: what was added goes out again */
        printf("copying to %s stopped: taking back what was added\n", name);
        if (take_out(flag, name, added, n_added) == 0)
            cli_remove(record);
    }
    free(added);
    free(text);
    return rc;
}

int moves_undo_unremoved(const char *root_flag, const char *root_name, const char *record)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read(record, &data, &len) != 0)
        return 1;
    /* the moves of certificates the prune did not remove are taken back */
    mgw_store_t *root = NULL;
    char flag[32] = "", name[1024] = "", *tps[4096];
    size_t n = 0;
    int rc = open_named(root_flag, root_name, &root);
    char *line = strtok((char *)data, "\r\n");
    for (; rc == 0 && line != NULL; line = strtok(NULL, "\r\n")) {
        if (line[0] == '#')
            continue;
        if (flag[0] == '\0') {
            if (sscanf(line, "%29s %1023[^\n]", flag + 2, name) != 2)
                break;
            flag[0] = flag[1] = '-';
        } else if (n < 4096 && holds(root, line)) {
            tps[n++] = line;
        }
    }
    if (rc == 0 && n > 0)
        rc = take_out(flag, name, tps, n);
    mgw_store_free(&root);
    mgw_free(data);
    return rc;
}

int moves_restore(const char *backup, const char *const *only, size_t n_only)
{
    char *record = moves_record_path(backup);
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = 0;
    if (record == NULL)
        return cli_fail(MGW_ERR_NO_MEMORY, NULL);
    if (!cli_exists(record)) {
        free(record);
        return 0;
    }
    if (cli_read(record, &data, &len) != 0) {
        free(record);
        return 1;
    }
    char flag[40] = "", name[1024] = "", *tps[4096];
    size_t n = 0;
    for (char *line = strtok((char *)data, "\r\n"); line != NULL; line = strtok(NULL, "\r\n")) {
        if (line[0] == '#')
            continue;
        if (flag[0] == '\0') {
            if (sscanf(line, "%30s %1023[^\n]", flag + 2, name) != 2 ||
                (strcmp(flag + 2, "store") != 0 && strcmp(flag + 2, "system-store") != 0)) {
                fprintf(stderr, "mgwauth: error: %s: the first line names no store\n", record);
                rc = 1;
                break;
            }
            flag[0] = flag[1] = '-';
            continue;
        }
        bool wanted = n_only == 0;
        for (size_t k = 0; k < n_only && !wanted; k++) {
            char *norm = NULL;
            wanted = mgw_thumbprint_normalize(only[k], &norm) == MGW_OK && strcmp(norm, line) == 0;
            mgw_free(norm);
        }
        if (wanted && n < 4096)
            tps[n++] = line;
    }
    if (rc == 0 && n > 0) {
        printf("the move to %s, taken back (%s):\n", name, record);
        rc = take_out(flag, name, tps, n);
        if (rc == 0)
            printf("verified: %s holds none of the %zu moved %s\n", name, n,
                   cli_plural(n, "certificate", "certificates"));
    }
    mgw_free(data);
    free(record);
    return rc;
}
