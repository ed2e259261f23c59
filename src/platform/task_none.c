/* Systems other than Windows have no Task Scheduler: installing, removing
 * and showing a task say so (the task's XML file, written by mgw_task_xml,
 * stands for it in the file-based flow). */
#include "core/core.h"

static int no_scheduler(void)
{
    return mgw_err(MGW_ERR_NOT_AVAILABLE,
                   "the Task Scheduler is available only in the Windows build (here the task "
                   "is its XML file: mgwauth task xml)");
}

MGW_API int mgw_task_install(const char *name, const uint8_t *xml, size_t xml_len,
                             unsigned flags)
{
    (void)name, (void)xml, (void)xml_len, (void)flags;
    return no_scheduler();
}

MGW_API int mgw_task_remove(const char *name)
{
    (void)name;
    return no_scheduler();
}

MGW_API int mgw_task_show(const char *name, char **xml)
{
    (void)name;
    (void)xml;
    return no_scheduler();
}
