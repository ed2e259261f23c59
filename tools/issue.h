/* mgwauth cert issue --batch: the batch and its rows, shared by the files
 * of the command: cmd_issue.c (options and the run), issue_csv.c (CSV rows
 * and file names), issue_jobs.c (the worker threads), issue_journal.c (the
 * password journal passwords.csv), issue_manifest.c and issue_progress.c. */
#ifndef MGW_ISSUE_H
#define MGW_ISSUE_H

#include "cli.h"
#include "csv.h"

#include <pthread.h>

enum { ROW_PENDING, ROW_ISSUED, ROW_SKIPPED, ROW_FAILED };
enum { COL_UPN, COL_EMAIL, COL_SUBJECT, COL_PASSWORD, COL_FRIENDLY, NCOLS };

typedef struct {
    size_t line;
    const char *field[NCOLS]; /* NULL when the column is absent */
    char *base;
    char *password;        /* generated or remembered; mgw_free */
    bool generated;        /* made by this run */
    bool remembered;       /* read back from passwords.csv */
    bool had_pfx, had_cer; /* the outputs existed when the batch started */
    int state;
    char serial[80], sha1[41], not_after[32];
} row;

typedef struct {
    row *rows;
    size_t n, next;
    size_t issued, skipped, failed;
    pthread_mutex_t lock;
    pthread_cond_t workers_done; /* signalled as each worker ends (under lock) */
    size_t workers_left;
    const char *dir, *csv_name;
    uint8_t *ca_pfx;
    size_t ca_pfx_len;
    char *ca_pw;
    size_t ca_pw_len;
    int key_type, profile;
    uint32_t days, iterations;
    bool force;
    int pw_fd;                /* passwords.csv, appended as rows get generated passwords */
    csv_table old_pw;         /* passwords.csv as found: lines for UPNs not in this CSV are kept */
    size_t *by_upn, n_by_upn; /* row indices sorted by UPN */
} batch;

/* issue_csv.c */
/* Report a row's problem on stderr and count the row as failed. */
void issue_row_error(batch *b, row *r, const char *fmt, ...) CLI_PRINTF(3, 4);
/* b->rows from the table (its first record is the header); per-row problems
 * are reported and the row fails. 0, or 1 after printing the problem. */
int issue_build_rows(batch *b, const csv_table *t, const char *csv_name);
/* Position in b->by_upn of the first row with this UPN, or (size_t)-1. */
size_t issue_find_upn(const batch *b, const char *upn);
/* Which rows' outputs already exist. */
void issue_scan_outputs(batch *b);

/* issue_journal.c */
/* Keep a password (malloc'ed copy; NULL drops it); the old one is wiped. */
void issue_set_password(row *r, const char *pw);
/* Read back passwords.csv, then open it for appending (a header first on a
 * new file). 0, or 1 after printing the problem. */
int issue_journal_open(batch *b, const char *path);
/* Append a generated password before the PFX it protects is committed. */
int issue_journal_append(batch *b, row *r);
/* Close the journal and rewrite it, one line per UPN (0600, atomic). */
int issue_journal_finish(batch *b, const char *path);
/* No password was made or kept: no file (a header alone is no file). */
void issue_journal_drop_empty(const char *path);
/* Wipe and free what was read from passwords.csv. */
void issue_journal_free(batch *b);

/* issue_manifest.c */
/* One manifest line per row issued or already there, with its certificate. */
void issue_manifest_fill(row *r, const mgw_cert_t *c);
int issue_manifest_write(batch *b);

/* issue_jobs.c */
/* Issue the pending rows on jobs threads, showing progress, until done or
 * interrupted (SIGINT/SIGTERM). 0, or 1 when the threads cannot start. */
int issue_run_jobs(batch *b, long jobs, double *start);
bool issue_interrupted(void);

/* issue_progress.c */
double issue_now(void);
/* A bar with rate and ETA on a terminal, a line every few seconds otherwise. */
void issue_progress(batch *b, double start, bool tty, bool final, double *last);

#endif
