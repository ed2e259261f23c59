/* Where IIS keeps its configuration: applicationHost.config under the
 * system directory (%windir%\System32\inetsrv\config). */
#include "apply/iisapply.h"
#include "platform/win.h"

#include <stdlib.h>
#include <string.h>

MGW_API int mgw_iis_live_path(char **out)
{
    if (out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iis_live_path: NULL argument");
    wchar_t dir[MAX_PATH];
    UINT n = GetSystemDirectoryW(dir, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return mgw_win_err(GetLastError(), "GetSystemDirectoryW");
    char *sys = mgw_narrow(dir, n);
    if (sys == NULL)
        return MGW_ERR_NO_MEMORY;
    static const char tail[] = "\\inetsrv\\config\\applicationHost.config";
    size_t len = strlen(sys) + sizeof(tail);
    char *path = malloc(len);
    int r = MGW_ERR_NO_MEMORY;
    if (path != NULL) {
        memcpy(path, sys, strlen(sys));
        memcpy(path + strlen(sys), tail, sizeof(tail));
        r = mgw_out_str(path, out);
    }
    free(path);
    free(sys);
    if (r != MGW_OK)
        return mgw_err(r, NULL);
    mgw_err_clear();
    return MGW_OK;
}
