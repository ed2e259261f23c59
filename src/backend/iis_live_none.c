/* Systems other than Windows have no IIS: the machine's configuration file
 * is not available (a file given by path stands in for it). */
#include "apply/iisapply.h"

MGW_API int mgw_iis_live_path(char **out)
{
    (void)out;
    return mgw_err(MGW_ERR_NOT_AVAILABLE,
                   "the machine's IIS configuration is available only in the Windows build (use "
                   "--config FILE here)");
}
