/*
 * File primitives on Windows (see file.h). Paths are UTF-8 and go to the
 * wide-character APIs as UTF-16. A temporary file is written next to its
 * target and flushed (FlushFileBuffers), then moved over it with
 * MoveFileExW(MOVEFILE_WRITE_THROUGH), which also returns only once the move
 * is on disk; without MGW_FILE_FORCE the move does not replace, so an
 * existing file is never overwritten. Windows has no directory fsync: the
 * write-through move stands for it (mgw_dir_sync only checks the directory).
 *
 * Private files (MGW_FILE_PRIVATE) are created with a protected DACL that
 * grants access to the user running the program and to SYSTEM only, and
 * inherits nothing from the directory (SDDL "D:P(A;;FA;;;<user>)(A;;FA;;;SY)").
 * Other files get the directory's inherited permissions. Wine stores the DACL
 * but its host file system does not enforce it.
 */
#include "platform/file.h"
#include "platform/win.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int io_err(const char *what, const char *path)
{
    return mgw_win_err(GetLastError(), "%s %s", what, path);
}

bool mgw_path_exists(const char *path)
{
    wchar_t *w = mgw_wide(path);
    bool e = w != NULL && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
    free(w);
    return e;
}

int mgw_path_kind(const char *path, bool follow, int *kind, uint64_t *size)
{
    WIN32_FILE_ATTRIBUTE_DATA fa;
    wchar_t *w = mgw_wide(path);
    *size = 0;
    *kind = MGW_PATH_MISSING;
    if (w == NULL)
        return mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", path);
    BOOL ok = GetFileAttributesExW(w, GetFileExInfoStandard, &fa);
    DWORD e = GetLastError();
    free(w);
    if (!ok)
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND
                   ? MGW_OK
                   : mgw_win_err(e, "cannot read the attributes of %s", path);
    if ((fa.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && !follow)
        *kind = MGW_PATH_LINK;
    else if (fa.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        *kind = MGW_PATH_DIR;
    else if (fa.dwFileAttributes & FILE_ATTRIBUTE_DEVICE)
        *kind = MGW_PATH_OTHER;
    else
        *kind = MGW_PATH_FILE;
    *size = (uint64_t)fa.nFileSizeHigh << 32 | fa.nFileSizeLow;
    return MGW_OK;
}

/* The protected DACL of private files: the current user and SYSTEM. */
static int private_descriptor(PSECURITY_DESCRIPTOR *sd)
{
    HANDLE token = NULL;
    union {
        TOKEN_USER user;
        uint8_t room[256];
    } info;
    DWORD got = 0;
    wchar_t *sid = NULL;
    int r = MGW_OK;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token) ||
        !GetTokenInformation(token, TokenUser, &info, sizeof(info), &got) ||
        !ConvertSidToStringSidW(info.user.User.Sid, &sid))
        r = mgw_win_err(GetLastError(), "cannot find the user's security identifier");
    if (token != NULL)
        CloseHandle(token);
    if (r != MGW_OK)
        return r;
    wchar_t sddl[256];
    _snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]), L"D:P(A;;FA;;;%ls)(A;;FA;;;SY)", sid);
    sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = L'\0';
    LocalFree(sid);
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, sd, NULL))
        return mgw_win_err(GetLastError(), "cannot build the DACL of a private file");
    return MGW_OK;
}

/* Create a new file for writing next to `path`: ".<base>.<random>". */
static int create_temp(const char *path, unsigned flags, char **tmp, HANDLE *h)
{
    const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');
    if (bslash != NULL && (slash == NULL || bslash > slash))
        slash = bslash;
    size_t dlen = slash == NULL ? 0 : (size_t)(slash - path) + 1;
    const char *base = path + dlen;
    if (*base == '\0')
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "not a file name: %s", path);
    SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};
    int r = (flags & MGW_FILE_PRIVATE) ? private_descriptor(&sa.lpSecurityDescriptor) : MGW_OK;
    size_t n = dlen + strlen(base) + 24;
    char *t = r == MGW_OK ? malloc(n) : NULL;
    if (r == MGW_OK && t == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    for (unsigned attempt = 0; r == MGW_OK; attempt++) {
        LARGE_INTEGER now;
        QueryPerformanceCounter(&now);
        snprintf(t, n, "%.*s.%s.%08lX", (int)dlen, path, base,
                 (unsigned long)((uint64_t)now.QuadPart * 2654435761u + attempt +
                                 GetCurrentProcessId()));
        wchar_t *w = mgw_wide(t);
        if (w == NULL) {
            r = mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", path);
            break;
        }
        *h = CreateFileW(w, GENERIC_WRITE, 0, &sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
        DWORD e = GetLastError();
        free(w);
        if (*h != INVALID_HANDLE_VALUE)
            break;
        if ((e != ERROR_FILE_EXISTS && e != ERROR_ALREADY_EXISTS) || attempt >= 100)
            r = mgw_win_err(e, "cannot create a file in the directory of %s", path);
    }
    if (sa.lpSecurityDescriptor != NULL)
        LocalFree(sa.lpSecurityDescriptor);
    if (r != MGW_OK) {
        free(t);
        return r;
    }
    *tmp = t;
    return MGW_OK;
}

int mgw_file_write_temp(const char *path, const uint8_t *data, size_t len, unsigned flags,
                        char **tmp)
{
    HANDLE h = INVALID_HANDLE_VALUE;
    char *t = NULL;
    int r = create_temp(path, flags, &t, &h);
    if (r != MGW_OK)
        return r;
    for (size_t off = 0; r == MGW_OK && off < len;) {
        DWORD chunk = len - off > 1u << 30 ? 1u << 30 : (DWORD)(len - off), done = 0;
        if (!WriteFile(h, data + off, chunk, &done, NULL) || done == 0)
            r = io_err("cannot write", t);
        off += done;
    }
    if (r == MGW_OK && !FlushFileBuffers(h))
        r = io_err("cannot flush", t);
    if (!CloseHandle(h) && r == MGW_OK)
        r = io_err("cannot close", t);
    if (r != MGW_OK) {
        mgw_file_discard(t);
        free(t);
        return r;
    }
    *tmp = t;
    return MGW_OK;
}

/* mgw_file_write_temp flushes every file here, MGW_FILE_SYNC_LATER or not. */
int mgw_file_sync_temp(const char *tmp)
{
    (void)tmp;
    return MGW_OK;
}

int mgw_file_place(const char *tmp, const char *path, unsigned flags)
{
    wchar_t *wt = mgw_wide(tmp), *wp = mgw_wide(path);
    int r = MGW_OK;
    DWORD how = MOVEFILE_WRITE_THROUGH | ((flags & MGW_FILE_FORCE) ? MOVEFILE_REPLACE_EXISTING : 0);
    if (wt == NULL || wp == NULL)
        r = mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", path);
    else if (!MoveFileExW(wt, wp, how)) {
        DWORD e = GetLastError();
        r = e == ERROR_ALREADY_EXISTS || e == ERROR_FILE_EXISTS
                ? mgw_err(MGW_ERR_EXISTS, "%s exists (use force to overwrite)", path)
                : mgw_win_err(e, "cannot rename into %s", path);
    }
    free(wt);
    free(wp);
    return r;
}

int mgw_file_remove(const char *path)
{
    wchar_t *w = mgw_wide(path);
    if (w == NULL)
        return mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", path);
    BOOL ok = DeleteFileW(w);
    DWORD e = GetLastError();
    free(w);
    if (ok)
        return MGW_OK;
    return e == ERROR_FILE_NOT_FOUND ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                                     : mgw_win_err(e, "cannot remove %s", path);
}

void mgw_file_discard(const char *path)
{
    wchar_t *w = mgw_wide(path);
    if (w != NULL)
        DeleteFileW(w);
    free(w);
}

char *mgw_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/'), *bslash = strrchr(path, '\\');
    if (bslash != NULL && (slash == NULL || bslash > slash))
        slash = bslash;
    if (slash == NULL)
        return mgw_strdup(path[0] != '\0' && path[1] == ':' ? "" : ".");
    /* "C:\x" -> "C:\", "\x" -> "\" */
    size_t n = (size_t)(slash - path);
    if (n == 0 || (n == 2 && path[1] == ':'))
        n++;
    return mgw_strndup(path, n);
}

int mgw_dir_sync(const char *dir)
{
    /* Windows has no directory fsync; the moves into it were made with
     * MOVEFILE_WRITE_THROUGH. What remains to check is that it is there. */
    int kind;
    uint64_t size;
    int r = mgw_path_kind(dir[0] != '\0' ? dir : ".", true, &kind, &size);
    if (r == MGW_OK && kind != MGW_PATH_DIR)
        r = mgw_err(MGW_ERR_NOT_FOUND, "%s: no such directory", dir);
    return r;
}

int mgw_dir_list(const char *dir, char ***names, size_t *n)
{
    size_t len = strlen(dir);
    char *pattern = malloc(len + 3);
    if (pattern == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    snprintf(pattern, len + 3, "%s\\*", dir);
    wchar_t *w = mgw_wide(pattern);
    free(pattern);
    if (w == NULL)
        return mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", dir);
    WIN32_FIND_DATAW fd;
    HANDLE h = FindFirstFileW(w, &fd);
    DWORD e = GetLastError();
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND
                   ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such directory", dir)
                   : mgw_win_err(e, "cannot read the directory %s", dir);
    char **v = NULL;
    size_t count = 0, cap = 0;
    int r = MGW_OK;
    do {
        if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
            continue;
        r = mgw_names_push(&v, &count, &cap, mgw_narrow(fd.cFileName, wcslen(fd.cFileName)));
        if (r != MGW_OK)
            break;
    } while (FindNextFileW(h, &fd));
    e = GetLastError();
    FindClose(h);
    if (r == MGW_OK && e != ERROR_NO_MORE_FILES)
        r = mgw_win_err(e, "cannot read the directory %s", dir);
    if (r != MGW_OK) {
        mgw_names_free(v, count);
        return r;
    }
    *names = v;
    *n = count;
    return MGW_OK;
}

int mgw_file_open_read(const char *path, intptr_t *h)
{
    wchar_t *w = mgw_wide(path);
    if (w == NULL)
        return mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", path);
    HANDLE f = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD e = GetLastError();
    free(w);
    if (f == INVALID_HANDLE_VALUE)
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND
                   ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                   : mgw_win_err(e, "cannot open %s", path);
    *h = (intptr_t)f;
    return MGW_OK;
}

int mgw_file_read_some(intptr_t h, const char *path, uint8_t *buf, size_t n, size_t *got)
{
    DWORD k = 0;
    if (!ReadFile((HANDLE)h, buf, n > 1u << 30 ? 1u << 30 : (DWORD)n, &k, NULL))
        return io_err("cannot read", path);
    *got = k;
    return MGW_OK;
}

void mgw_file_close_read(intptr_t h)
{
    CloseHandle((HANDLE)h);
}

static HANDLE open_any(const char *path)
{
    wchar_t *w = mgw_wide(path);
    HANDLE h = w != NULL ? CreateFileW(w, FILE_READ_ATTRIBUTES,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                                       OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL)
                         : INVALID_HANDLE_VALUE;
    free(w);
    return h;
}

int mgw_path_same(const char *a, const char *b, bool *same)
{
    BY_HANDLE_FILE_INFORMATION x, y;
    HANDLE ha = open_any(a), hb = open_any(b);
    *same = ha != INVALID_HANDLE_VALUE && hb != INVALID_HANDLE_VALUE &&
            GetFileInformationByHandle(ha, &x) && GetFileInformationByHandle(hb, &y) &&
            x.dwVolumeSerialNumber == y.dwVolumeSerialNumber &&
            x.nFileIndexHigh == y.nFileIndexHigh && x.nFileIndexLow == y.nFileIndexLow;
    if (ha != INVALID_HANDLE_VALUE)
        CloseHandle(ha);
    if (hb != INVALID_HANDLE_VALUE)
        CloseHandle(hb);
    return MGW_OK;
}

int mgw_path_resolve(const char *path, char **out)
{
    HANDLE h = open_any(path);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND
                   ? mgw_err(MGW_ERR_NOT_FOUND, "%s: no such file", path)
                   : mgw_win_err(e, "cannot open %s", path);
    }
    wchar_t buf[32768];
    DWORD n = GetFinalPathNameByHandleW(h, buf, sizeof(buf) / sizeof(buf[0]), FILE_NAME_NORMALIZED);
    DWORD e = GetLastError();
    CloseHandle(h);
    if (n == 0 || n >= sizeof(buf) / sizeof(buf[0]))
        return mgw_win_err(e, "cannot resolve %s", path);
    /* \\?\C:\x -> C:\x, \\?\UNC\server\share -> \\server\share */
    wchar_t *p = buf;
    if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
        p += 6;
        p[0] = L'\\';
    } else if (wcsncmp(p, L"\\\\?\\", 4) == 0) {
        p += 4;
    }
    int len = WideCharToMultiByte(CP_UTF8, 0, p, -1, NULL, 0, NULL, NULL);
    char *u = len > 0 ? malloc((size_t)len) : NULL;
    if (u == NULL || WideCharToMultiByte(CP_UTF8, 0, p, -1, u, len, NULL, NULL) != len) {
        free(u);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    *out = u;
    return MGW_OK;
}

int mgw_file_copy_access(const char *from, const char *tmp)
{
    wchar_t *wf = mgw_wide(from), *wt = mgw_wide(tmp);
    PACL dacl = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    int r = MGW_OK;
    DWORD e;
    if (wf == NULL || wt == NULL) {
        r = mgw_err(MGW_ERR_UTF8, "%s: not a UTF-8 path", from);
    } else if ((e = GetNamedSecurityInfoW(wf, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                          &dacl, NULL, &sd)) != ERROR_SUCCESS) {
        r = mgw_win_err(e, "cannot read the permissions of %s", from);
    } else {
        SECURITY_DESCRIPTOR_CONTROL ctl = 0;
        DWORD rev;
        GetSecurityDescriptorControl(sd, &ctl, &rev);
        SECURITY_INFORMATION si =
            DACL_SECURITY_INFORMATION |
            ((ctl & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                       : UNPROTECTED_DACL_SECURITY_INFORMATION);
        if ((e = SetNamedSecurityInfoW(wt, SE_FILE_OBJECT, si, NULL, NULL, dacl, NULL)) !=
            ERROR_SUCCESS)
            r = mgw_win_err(e, "cannot give the permissions of %s to %s", from, tmp);
    }
    if (sd != NULL)
        LocalFree(sd);
    free(wf);
    free(wt);
    return r;
}
