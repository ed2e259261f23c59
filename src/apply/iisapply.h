/* IIS plans on configuration files (iisapply.c), and where the machine's
 * file is (iis_live_win.c; iis_live_none.c elsewhere). */
#ifndef MGW_APPLY_IISAPPLY_H
#define MGW_APPLY_IISAPPLY_H

#include "apply/apply.h"
#include "iis/iis.h"

/* Carry a plan out on the file at `path` (forward: apply; reverse: roll
 * back) through the apply engine. */
int mgw_iisplan_run(const mgw_iisplan_t *plan, const char *path, bool reverse,
                    const char *backup_path, unsigned flags, int *changed);

/* Fault injection for the unit tests (not exported): the write after `skip`
 * more successful writes fails, or writes the file cut short by one byte;
 * FAIL_ALL makes that write and all later ones fail. Global, not
 * thread-safe. */
enum {
    MGW_IISFAULT_NONE = MGW_FAULT_NONE,
    MGW_IISFAULT_FAIL = MGW_FAULT_FAIL,
    MGW_IISFAULT_CORRUPT = MGW_FAULT_CORRUPT,
    MGW_IISFAULT_FAIL_ALL = MGW_FAULT_FAIL_ALL
};
void mgw_iis_inject_fault(int kind, unsigned skip);

#endif
