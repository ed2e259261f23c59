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

/* Fault injection for the unit tests (not exported; MGW_FAULT_* of apply.h)
 * into the writes of IIS plans: a corrupt write cuts the file short by one
 * byte. */
void mgw_iis_inject_fault(int kind, unsigned skip);

#endif
