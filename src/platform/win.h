/* Helpers of the Windows back-ends (win.c): UTF-8 <-> UTF-16 and the text of
 * Windows error codes. Included only by the *_win.c files. */
#ifndef MGW_PLATFORM_WIN_H
#define MGW_PLATFORM_WIN_H

#include "core/core.h"

#include <windows.h>

/* UTF-16 copy of UTF-8 text (free()), or NULL with the error set
 * (MGW_ERR_UTF8 or MGW_ERR_NO_MEMORY). */
wchar_t *mgw_wide(const char *utf8);
/* UTF-8 copy of n UTF-16 units (free()), or NULL with the error set. */
char *mgw_narrow(const wchar_t *w, size_t n);
/* "message (code)" of a Windows error into buf. */
const char *mgw_win_strerror(DWORD code, char *buf, size_t size);
/* Record a failed call: MGW_ERR_ACCESS_DENIED for ERROR_ACCESS_DENIED,
 * MGW_ERR_NOT_FOUND for the not-found errors, else MGW_ERR_PLATFORM, with
 * "what: message (code)". */
int mgw_win_err(DWORD code, const char *fmt, ...) MGW_PRINTF(2, 3);

#endif
