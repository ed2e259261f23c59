/*
 * What the tool needs of the operating system beyond the library's file API:
 * existence checks, directory listings, the append-only passwords file, the
 * number of processors, interrupts and console output. Paths are UTF-8; on
 * Windows they go to the wide-character APIs.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append name to a growing list; false when out of memory. */
static bool push(char ***names, size_t *n, size_t *cap, char *name)
{
    if (name == NULL)
        return false;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        char **nn = realloc(*names, nc * sizeof(*nn));
        if (nn == NULL) {
            free(name);
            return false;
        }
        *names = nn;
        *cap = nc;
    }
    (*names)[(*n)++] = name;
    return true;
}

#if defined(_WIN32)
static wchar_t *wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(*w)) : NULL;
    if (w != NULL)
        MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

static char *narrow(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (s != NULL)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

FILE *cli_fopen(const char *path, const char *mode)
{
    wchar_t *w = wide(path), *m = wide(mode);
    FILE *f = w != NULL && m != NULL ? _wfopen(w, m) : NULL;
    free(w);
    free(m);
    return f;
}

/* The same file: volume serial number and file index (links followed). */
static bool file_id(const char *path, BY_HANDLE_FILE_INFORMATION *fi)
{
    wchar_t *w = wide(path);
    HANDLE h = w != NULL ? CreateFileW(w, FILE_READ_ATTRIBUTES,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                       NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL)
                         : INVALID_HANDLE_VALUE;
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    BOOL ok = GetFileInformationByHandle(h, fi);
    CloseHandle(h);
    return ok != 0;
}

bool cli_same_file(const char *a, const char *b)
{
    BY_HANDLE_FILE_INFORMATION x, y;
    return file_id(a, &x) && file_id(b, &y) &&
           x.dwVolumeSerialNumber == y.dwVolumeSerialNumber &&
           x.nFileIndexHigh == y.nFileIndexHigh && x.nFileIndexLow == y.nFileIndexLow;
}

bool cli_exists(const char *path)
{
    wchar_t *w = wide(path);
    bool e = w != NULL && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
    free(w);
    return e;
}

int cli_remove(const char *path)
{
    wchar_t *w = wide(path);
    int r = w != NULL && DeleteFileW(w) ? 0 : -1;
    free(w);
    return r;
}

char **cli_list_dir(const char *dir, size_t *n)
{
    *n = 0;
    size_t len = strlen(dir);
    char *pattern = malloc(len + 3);
    if (pattern == NULL)
        return NULL;
    memcpy(pattern, dir, len);
    memcpy(pattern + len, "\\*", 3);
    wchar_t *w = wide(pattern);
    free(pattern);
    WIN32_FIND_DATAW fd;
    HANDLE h = w != NULL ? FindFirstFileW(w, &fd) : INVALID_HANDLE_VALUE;
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return NULL;
    size_t cap = 0;
    char **names = NULL;
    do {
        if (!push(&names, n, &cap, narrow(fd.cFileName)))
            break;
    } while (FindNextFileW(h, &fd));
    FindClose(h);
    if (names != NULL)
        qsort(names, *n, sizeof(*names), cmp_names);
    return names;
}

/* The file is created empty through the library first, which gives it the
 * protected DACL of private files (the user and SYSTEM only); then it is
 * opened for appending. */
int cli_open_append_private(const char *path)
{
    if (!cli_exists(path)) {
        int r = mgw_file_write(path, (const uint8_t *)"", 0, MGW_FILE_PRIVATE);
        if (r != MGW_OK && r != MGW_ERR_EXISTS) {
            errno = EACCES;
            return -1;
        }
    }
    wchar_t *w = wide(path);
    int fd = w != NULL ? _wopen(w, _O_WRONLY | _O_APPEND | _O_BINARY | _O_NOINHERIT) : -1;
    free(w);
    return fd;
}

long cli_cpu_count(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (long)si.dwNumberOfProcessors;
}

/* Ctrl+C and Ctrl+Break (the console's interrupts; Windows has no SIGTERM). */
static void (*interrupt_handler)(int);
static BOOL WINAPI on_console_ctrl(DWORD type)
{
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT)
        return FALSE;
    interrupt_handler(SIGINT);
    return TRUE;
}

void cli_on_interrupt(void (*handler)(int))
{
    interrupt_handler = handler;
    SetConsoleCtrlHandler(on_console_ctrl, TRUE);
}

bool cli_stderr_is_terminal(void)
{
    DWORD mode;
    return GetConsoleMode(GetStdHandle(STD_ERROR_HANDLE), &mode) != 0;
}

/* Console output: the tool writes UTF-8 everywhere. A console is switched to
 * the UTF-8 code page (65001) for the run and set back at exit; its streams
 * go to binary mode (the C run time's text mode converts through the ANSI
 * code page on some systems) and are fully buffered, so that a character is
 * never split across two writes. Redirected output (a file or a pipe) gets
 * the UTF-8 bytes as they are, without BOM, with CRLF line ends. */
static UINT saved_cp;
static void restore_cp(void)
{
    fflush(stdout);
    fflush(stderr);
    SetConsoleOutputCP(saved_cp);
}

void cli_console_utf8(void)
{
    DWORD mode;
    bool out = GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode) != 0;
    bool err = GetConsoleMode(GetStdHandle(STD_ERROR_HANDLE), &mode) != 0;
    if (!out && !err)
        return;
    saved_cp = GetConsoleOutputCP();
    if (!SetConsoleOutputCP(CP_UTF8))
        return;
    atexit(restore_cp);
    if (out) {
        _setmode(_fileno(stdout), _O_BINARY);
        setvbuf(stdout, NULL, _IOFBF, 1u << 14);
    }
    if (err) {
        _setmode(_fileno(stderr), _O_BINARY);
        setvbuf(stderr, NULL, _IOFBF, 1u << 14);
    }
}
#else
FILE *cli_fopen(const char *path, const char *mode)
{
    return fopen(path, mode);
}

bool cli_same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

bool cli_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int cli_remove(const char *path)
{
    return unlink(path);
}

char **cli_list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    size_t cap = 0;
    char **names = NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (!push(&names, n, &cap, strdup(e->d_name)))
            break;
    closedir(d);
    if (names != NULL)
        qsort(names, *n, sizeof(*names), cmp_names);
    return names;
}

int cli_open_append_private(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

long cli_cpu_count(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN);
}

void cli_on_interrupt(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool cli_stderr_is_terminal(void)
{
    return isatty(STDERR_FILENO) != 0;
}

void cli_console_utf8(void)
{
}
#endif

void cli_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int cli_last_byte(const char *path, char *c)
{
    FILE *f = cli_fopen(path, "rb");
    int r = -1;
    if (f != NULL && fseek(f, -1, SEEK_END) == 0) {
        int ch = fgetc(f);
        if (ch != EOF) {
            *c = (char)ch;
            r = 0;
        }
    }
    if (f != NULL)
        fclose(f);
    return r;
}
