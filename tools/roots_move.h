/* roots prune --move-intermediates: certificates a prune removes from a
 * trust store that are not self-signed are added to the intermediate store
 * first; roots restore takes them out of it again (roots_move.c). */
#ifndef MGW_ROOTS_MOVE_H
#define MGW_ROOTS_MOVE_H

#include "cli.h"

typedef struct {
    size_t *index; /* in the store's listing (= the plan's order) */
    char **tp, **subject;
    size_t n;
} roots_moves;

/* The certificates the plan removes that are not self-signed. */
int moves_find(const mgw_store_t *store, const mgw_rootplan_t *plan, roots_moves *m);
void moves_free(roots_moves *m);
void moves_print(const roots_moves *m, const char *to);
/* The moves as a JSON object {"to": {"kind", "name"}, "certificates":
 * [{"sha1", "subject"}]} (malloc'ed), or NULL without memory. */
char *moves_json(const roots_moves *m, const char *flag, const char *to);
/* BACKUP.moved.txt (malloc'ed). */
char *moves_record_path(const char *backup);
/* Before a prune writes a backup: 1 (reported) when its BACKUP.moved.txt
 * still lists certificates not taken back (or cannot be read), else 0. A
 * record of a prune that stopped before writing the backup is taken back
 * first for what the trust store (root_flag, root_name) holds (with change;
 * without, a dry run, it is only said). */
int moves_check_record(const char *record, const char *root_flag, const char *root_name,
                       bool change);
/* Write the record (which certificates the intermediate store lacks, bound
 * to no backup yet: "backup-sha256 pending"), then
 * add each to the store named by flag ("--store"/"--system-store") and name.
 * On failure what was added is taken out again. 0 or 1 (reported). */
int moves_copy(const mgw_store_t *root, const roots_moves *m, const char *flag, const char *name,
               const char *record);
/* After the prune wrote the backup: the record names its SHA-256, so that
 * restore takes nothing out for another backup of the same name. */
int moves_bind(const char *record, const char *backup);
/* After a prune that failed: take the copies of the certificates still in
 * the trust store out of the intermediate store again. */
int moves_undo_unremoved(const char *root_flag, const char *root_name, const char *record);
/* roots restore: when BACKUP.moved.txt exists, take the certificates it
 * lists (or those of them named in only[]) out of the intermediate store,
 * verify with a fresh listing that it holds none of them and mark them
 * taken back in the record. Only copies of certificates the trust store
 * (root_flag, root_name) holds are taken out; a record of another backup is
 * left alone. */
int moves_restore(const char *root_flag, const char *root_name, const char *backup,
                  const char *const *only, size_t n_only);

#endif
