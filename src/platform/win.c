/* Helpers of the Windows back-ends: text conversions and error messages. */
#include "platform/win.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

wchar_t *mgw_wide(const char *utf8)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
    if (n <= 0) {
        mgw_err(MGW_ERR_UTF8, "not valid UTF-8: %s", utf8);
        return NULL;
    }
    wchar_t *w = malloc((size_t)n * sizeof(*w));
    if (w == NULL) {
        mgw_err(MGW_ERR_NO_MEMORY, NULL);
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n);
    return w;
}

char *mgw_narrow(const wchar_t *w, size_t n)
{
    if (n > INT_MAX / 4) {
        mgw_err(MGW_ERR_TOO_LARGE, "text too long");
        return NULL;
    }
    int len = n == 0 ? 0 : WideCharToMultiByte(CP_UTF8, 0, w, (int)n, NULL, 0, NULL, NULL);
    if (n > 0 && len <= 0) {
        mgw_err(MGW_ERR_UTF8, "text that is not UTF-16");
        return NULL;
    }
    char *s = malloc((size_t)len + 1);
    if (s == NULL) {
        mgw_err(MGW_ERR_NO_MEMORY, NULL);
        return NULL;
    }
    if (len > 0)
        WideCharToMultiByte(CP_UTF8, 0, w, (int)n, s, len, NULL, NULL);
    s[len] = '\0';
    return s;
}

const char *mgw_win_strerror(DWORD code, char *buf, size_t size)
{
    wchar_t msg[256];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, msg, sizeof(msg) / sizeof(msg[0]), NULL);
    while (n > 0 &&
           (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' ' || msg[n - 1] == L'.'))
        n--;
    char *text = n > 0 ? mgw_narrow(msg, n) : NULL;
    if (text != NULL)
        snprintf(buf, size, "%s (error 0x%08lX)", text, (unsigned long)code);
    else
        snprintf(buf, size, "Windows error 0x%08lX", (unsigned long)code);
    free(text);
    return buf;
}

int mgw_win_err(DWORD code, const char *fmt, ...)
{
    char what[384], why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    mgw_win_strerror(code, why, sizeof(why));
    int err = code == ERROR_ACCESS_DENIED                                    ? MGW_ERR_ACCESS_DENIED
              : code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND ? MGW_ERR_NOT_FOUND
                                                                             : MGW_ERR_PLATFORM;
    return mgw_err(err, "%s: %s%s", what, why,
                   err == MGW_ERR_ACCESS_DENIED ? "; run as an administrator" : "");
}
