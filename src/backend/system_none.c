/* Systems other than Windows have no system certificate store and no
 * registry: the back-ends that need them say so through the error path. The
 * directory store and the .reg-file registry stand in for them everywhere. */
#include "apply/regbackend.h"
#include "store/store.h"

int mgw_backend_sysstore_open(const char *location_name, const mgw_store_ops **ops, void **be,
                          char **location)
{
    (void)ops, (void)be, (void)location;
    return mgw_err(MGW_ERR_NOT_AVAILABLE,
                   "system store %s: Windows certificate stores are available only in the "
                   "Windows build (use a directory store here)",
                   location_name);
}

int mgw_backend_reglive_open(mgw_regbackend *be)
{
    (void)be;
    return mgw_err(MGW_ERR_NOT_AVAILABLE,
                   "the live registry is available only in the Windows build (use a .reg file "
                   "standing for the registry here)");
}
