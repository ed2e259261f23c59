/* Scheduled tasks through the Task Scheduler 2.0 COM API (taskschd.dll):
 * ITaskService, the root folder, RegisterTask with the task's XML as SYSTEM
 * (TASK_LOGON_SERVICE_ACCOUNT), DeleteTask, and the registered task's XML. */
#define COBJMACROS
#include "platform/file.h"
#include "platform/win.h"

#include <ole2.h>
#include <oleauto.h>
#include <taskschd.h>

#include <stdlib.h>
#include <string.h>

/* Task names here are names in the root folder: no folder separators and
 * none of the characters a file name cannot hold (Task Scheduler keeps each
 * task as a file of that name under System32\Tasks). */
static int check_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "task name: empty");
    if (strlen(name) > 200)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "task name: longer than 200 bytes");
    for (const char *p = name; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || strchr("\\/:*?\"<>|", c) != NULL)
            return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                           "task name '%s': character %u is not allowed (no \\ / : * ? \" < > | "
                           "or control characters)",
                           name, (unsigned)(p - name + 1));
    }
    if (name[strlen(name) - 1] == '.' || name[strlen(name) - 1] == ' ')
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "task name '%s': ends in a dot or space", name);
    return MGW_OK;
}

static int hr_err(HRESULT hr, const char *what, const char *name)
{
    if (HRESULT_FACILITY(hr) == FACILITY_WIN32)
        return mgw_win_err((DWORD)HRESULT_CODE(hr), "%s '%s'", what, name);
    /* SCHED_E_* (0x80041300..) and XmlLite's errors: the task's XML or settings */
    return mgw_err(MGW_ERR_PLATFORM, "%s '%s': refused with HRESULT 0x%08lX", what, name,
                   (unsigned long)hr);
}

/* The Task Scheduler's root folder; *com says whether CoUninitialize is due. */
static int open_root(ITaskService **svc, ITaskFolder **folder, bool *com, const char *name)
{
    *svc = NULL;
    *folder = NULL;
    HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    *com = SUCCEEDED(hr);
    if (FAILED(hr) && hr != RPC_E_CHANGED_MODE)
        return hr_err(hr, "CoInitializeEx for task", name);
    hr = CoCreateInstance(&CLSID_TaskScheduler, NULL, CLSCTX_INPROC_SERVER, &IID_ITaskService,
                          (void **)svc);
    if (FAILED(hr))
        return hr_err(hr, "Task Scheduler (CoCreateInstance) for task", name);
    VARIANT empty;
    VariantInit(&empty);
    hr = ITaskService_Connect(*svc, empty, empty, empty, empty);
    if (FAILED(hr))
        return hr_err(hr, "ITaskService::Connect for task", name);
    BSTR root = SysAllocString(L"\\");
    if (root == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    hr = ITaskService_GetFolder(*svc, root, folder);
    SysFreeString(root);
    if (FAILED(hr))
        return hr_err(hr, "ITaskService::GetFolder(\\) for task", name);
    return MGW_OK;
}

static void close_root(ITaskService *svc, ITaskFolder *folder, bool com)
{
    if (folder != NULL)
        ITaskFolder_Release(folder);
    if (svc != NULL)
        ITaskService_Release(svc);
    if (com)
        CoUninitialize();
}

static BSTR bstr_utf8(const char *s)
{
    wchar_t *w = mgw_wide(s);
    if (w == NULL)
        return NULL;
    BSTR b = SysAllocString(w);
    free(w);
    if (b == NULL)
        mgw_err(MGW_ERR_NO_MEMORY, NULL);
    return b;
}

/* Whether the root folder has a task of that name. */
static int task_exists(ITaskFolder *folder, BSTR bname, const char *name, bool *exists)
{
    IRegisteredTask *task = NULL;
    HRESULT hr = ITaskFolder_GetTask(folder, bname, &task);
    *exists = SUCCEEDED(hr);
    if (task != NULL)
        IRegisteredTask_Release(task);
    if (FAILED(hr) && hr != HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) &&
        hr != HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND))
        return hr_err(hr, "ITaskFolder::GetTask", name);
    return MGW_OK;
}

MGW_API int mgw_task_install(const char *name, const uint8_t *xml, size_t xml_len,
                             unsigned flags)
{
    if (xml == NULL && xml_len > 0)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_task_install: NULL XML");
    if (mgw_file_flags_check(flags, "mgw_task_install") != MGW_OK)
        return MGW_ERR_INVALID_ARGUMENT;
    int r = check_name(name);
    if (r != MGW_OK)
        return r;
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    r = mgw_text_decode(xml, xml_len, "task XML", &text);
    if (r == MGW_OK)
        r = mgw_dbuf_putc(&text, 0);
    if (r == MGW_OK && strlen((const char *)text.p) + 1 != text.len)
        r = mgw_err(MGW_ERR_INVALID_ARGUMENT, "task XML: holds a NUL character");
    if (r != MGW_OK) {
        mgw_dbuf_free(&text);
        return r;
    }
    ITaskService *svc;
    ITaskFolder *folder;
    bool com;
    BSTR bname = NULL, bxml = NULL, user = NULL;
    r = open_root(&svc, &folder, &com, name);
    if (r == MGW_OK && ((bname = bstr_utf8(name)) == NULL ||
                        (bxml = bstr_utf8((const char *)text.p)) == NULL ||
                        (user = SysAllocString(L"SYSTEM")) == NULL))
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    bool exists = false;
    if (r == MGW_OK)
        r = task_exists(folder, bname, name, &exists);
    if (r == MGW_OK && exists && !(flags & MGW_FILE_FORCE))
        r = mgw_err(MGW_ERR_EXISTS, "task '%s' exists already (replace it with force)", name);
    if (r == MGW_OK) {
        VARIANT vuser, empty;
        VariantInit(&vuser);
        VariantInit(&empty);
        vuser.vt = VT_BSTR;
        vuser.bstrVal = user;
        IRegisteredTask *task = NULL;
        HRESULT hr = ITaskFolder_RegisterTask(folder, bname, bxml,
                                              exists ? TASK_CREATE_OR_UPDATE : TASK_CREATE, vuser,
                                              empty, TASK_LOGON_SERVICE_ACCOUNT, empty, &task);
        if (task != NULL)
            IRegisteredTask_Release(task);
        if (FAILED(hr))
            r = hr_err(hr, "ITaskFolder::RegisterTask", name);
    }
    SysFreeString(user);
    SysFreeString(bxml);
    SysFreeString(bname);
    close_root(svc, folder, com);
    mgw_dbuf_free(&text);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_task_remove(const char *name)
{
    int r = check_name(name);
    if (r != MGW_OK)
        return r;
    ITaskService *svc;
    ITaskFolder *folder;
    bool com;
    BSTR bname = NULL;
    r = open_root(&svc, &folder, &com, name);
    if (r == MGW_OK && (bname = bstr_utf8(name)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK) {
        HRESULT hr = ITaskFolder_DeleteTask(folder, bname, 0);
        if (hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) ||
            hr == HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND))
            r = mgw_err(MGW_ERR_NOT_FOUND, "task '%s': no such task", name);
        else if (FAILED(hr))
            r = hr_err(hr, "ITaskFolder::DeleteTask", name);
    }
    SysFreeString(bname);
    close_root(svc, folder, com);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_task_show(const char *name, char **xml)
{
    if (xml == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_task_show: NULL argument");
    int r = check_name(name);
    if (r != MGW_OK)
        return r;
    ITaskService *svc;
    ITaskFolder *folder;
    bool com;
    BSTR bname = NULL, bxml = NULL;
    IRegisteredTask *task = NULL;
    r = open_root(&svc, &folder, &com, name);
    if (r == MGW_OK && (bname = bstr_utf8(name)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK) {
        HRESULT hr = ITaskFolder_GetTask(folder, bname, &task);
        if (hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) ||
            hr == HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND))
            r = mgw_err(MGW_ERR_NOT_FOUND, "task '%s': no such task", name);
        else if (FAILED(hr))
            r = hr_err(hr, "ITaskFolder::GetTask", name);
    }
    if (r == MGW_OK) {
        HRESULT hr = IRegisteredTask_get_Xml(task, &bxml);
        if (FAILED(hr))
            r = hr_err(hr, "IRegisteredTask::get_Xml", name);
    }
    if (r == MGW_OK) {
        char *text = mgw_narrow(bxml, SysStringLen(bxml));
        r = text == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : mgw_out_str(text, xml);
        free(text);
    }
    if (task != NULL)
        IRegisteredTask_Release(task);
    SysFreeString(bxml);
    SysFreeString(bname);
    close_root(svc, folder, com);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
