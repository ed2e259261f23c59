/* The Task Scheduler 1.2 XML of the periodic re-prune (`schtasks /create /xml`).
 * Element order follows the published schema: in CalendarTrigger the
 * sequence StartBoundary, Repetition, ScheduleByDay; elsewhere xs:all. */
#include "roots/roots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MINUTES_SPAN (31u * 86400u) /* the schema's P31D */
#define MAX_PATH_CHARS 260              /* the schema's pathType */
/* where the Windows installation puts the tool (README, "Windows") */
#define MGW_TASK_DEFAULT_PROGRAM "C:\\Program Files\\mgwauth\\mgwauth.exe"

struct mgw_taskopts {
    uint32_t interval, time_limit;
    char start[20]; /* "YYYY-MM-DDThh:mm:ss", or "" for today */
    char *program, *arguments;
};

MGW_API mgw_taskopts_t *mgw_taskopts_new(void)
{
    mgw_taskopts_t *o = calloc(1, sizeof(*o));
    if (o != NULL) {
        o->interval = 900;
        o->time_limit = 600;
    }
    return o;
}

MGW_API void mgw_taskopts_free(mgw_taskopts_t **o)
{
    if (o == NULL || *o == NULL)
        return;
    free((*o)->program);
    free((*o)->arguments);
    free(*o);
    *o = NULL;
}

/* Whole minutes from 1 minute to 31 days: the schema's range for intervals. */
static int set_span(uint32_t *field, uint32_t seconds, const char *what)
{
    if (field == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_taskopts: NULL options");
    if (seconds < 60 || seconds > MAX_MINUTES_SPAN || seconds % 60 != 0)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "%s must be whole minutes from 1 minute to 31 days, not %u seconds", what,
                       (unsigned)seconds);
    *field = seconds;
    mgw_err_clear();
    return MGW_OK;
}

MGW_API int mgw_taskopts_set_interval(mgw_taskopts_t *o, uint32_t seconds)
{
    return set_span(o != NULL ? &o->interval : NULL, seconds, "the repetition interval");
}

MGW_API int mgw_taskopts_set_time_limit(mgw_taskopts_t *o, uint32_t seconds)
{
    return set_span(o != NULL ? &o->time_limit : NULL, seconds, "the execution time limit");
}

MGW_API int mgw_taskopts_set_start(mgw_taskopts_t *o, const char *t)
{
    if (o == NULL || t == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_taskopts_set_start: NULL argument");
    int y, mo, d, h, mi, s, y2, mo2, d2, h2, mi2, s2;
    bool shape = strlen(t) == 19 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
                 t[16] == ':';
    for (int i = 0; i < 19 && shape; i++)
        shape = i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || (t[i] >= '0' && t[i] <= '9');
    if (shape && sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6) {
        /* A real date and time: it survives the round trip through seconds. */
        mgw_time_to_civil(mgw_time_from_civil(y, mo, d, h, mi, s), &y2, &mo2, &d2, &h2, &mi2, &s2);
        shape = y >= 1970 && y == y2 && mo == mo2 && d == d2 && h == h2 && mi == mi2 && s == s2;
    } else {
        shape = false;
    }
    if (!shape)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "start \"%.40s\" is not a local time YYYY-MM-DDThh:mm:ss", t);
    memcpy(o->start, t, 20);
    mgw_err_clear();
    return MGW_OK;
}

/* Task values travel in XML 1.0 and on a command line: UTF-8 without control
 * characters. */
static int check_value(const char *s, const char *what, size_t max_chars)
{
    size_t n = strlen(s), bad, chars = 0;
    if (!mgw_utf8_valid((const uint8_t *)s, n, &bad))
        return mgw_err(MGW_ERR_UTF8, "%s: invalid UTF-8 at byte %zu", what, bad + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: control character at byte %zu", what,
                           i + 1);
        chars += (c & 0xC0) != 0x80;
    }
    if (max_chars > 0 && chars > max_chars)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s: longer than %zu characters", what, max_chars);
    return MGW_OK;
}

MGW_API int mgw_taskopts_set_command(mgw_taskopts_t *o, const char *program, const char *args)
{
    if (o == NULL || program == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_taskopts_set_command: NULL argument");
    if (program[0] == '\0')
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "the task's program is empty");
    int r = check_value(program, "the task's program", MAX_PATH_CHARS);
    if (r == MGW_OK && args != NULL)
        r = check_value(args, "the task's arguments", 0);
    if (r != MGW_OK)
        return r;
    char *p = mgw_strdup(program), *a = args != NULL ? mgw_strdup(args) : NULL;
    if (p == NULL || (args != NULL && a == NULL)) {
        free(p);
        free(a);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    free(o->program);
    free(o->arguments);
    o->program = p;
    o->arguments = a;
    mgw_err_clear();
    return MGW_OK;
}

/* One argument quoted so that CommandLineToArgvW (and the MSVC runtime) give
 * it back unchanged: backslashes are literal unless they precede a quote. */
static void win_quote(mgw_dbuf *b, const char *arg)
{
    if (arg[0] != '\0' && strpbrk(arg, " \t\"") == NULL) {
        mgw_dbuf_puts(b, arg);
        return;
    }
    mgw_dbuf_putc(b, '"');
    for (const char *p = arg;; p++) {
        size_t bs = 0;
        while (*p == '\\') {
            bs++;
            p++;
        }
        size_t times = *p == '\0' ? 2 * bs : *p == '"' ? 2 * bs + 1 : bs;
        for (size_t i = 0; i < times; i++)
            mgw_dbuf_putc(b, '\\');
        if (*p == '\0')
            break;
        mgw_dbuf_putc(b, (uint8_t)*p);
    }
    mgw_dbuf_putc(b, '"');
}

static bool prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        char a = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
        char b = *prefix >= 'A' && *prefix <= 'Z' ? (char)(*prefix + 32) : *prefix;
        if (a != b)
            return false;
    }
    return true;
}

/* "C:\\..." (or "C:/...") or a UNC path "\\\\server\\share\\...": the task runs
 * as SYSTEM, whose working directory (System32) is nobody's choice. */
static bool windows_absolute(const char *s)
{
    bool drive = ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':' &&
                 (s[2] == '\\' || s[2] == '/');
    return drive || (s[0] == '\\' && s[1] == '\\' && s[2] != '\0');
}

static int check_absolute(const char *value, const char *what)
{
    if (windows_absolute(value))
        return MGW_OK;
    return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                   "%s '%.200s' is not an absolute Windows path (C:\\... or \\\\server\\...): "
                   "the task runs as SYSTEM in C:\\Windows\\System32; in bash, quote Windows "
                   "paths ('C:\\mgwauth\\keep.txt' - unquoted, bash makes C:mgwauthkeep.txt of it)",
                   what, value);
}

MGW_API int mgw_taskopts_set_prune_command(mgw_taskopts_t *o, const char *program,
                                           const char *store, const char *keep_file,
                                           const char *backup_dir)
{
    if (o == NULL || store == NULL || keep_file == NULL || backup_dir == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_taskopts_set_prune_command: NULL argument");
    const char *names[3] = {"the store", "the keep-file", "the backup directory"};
    const char *values[3] = {store, keep_file, backup_dir};
    /* LocalMachine\Root and the like are Windows system stores. */
    bool system = prefix_nocase(store, "LocalMachine\\") || prefix_nocase(store, "CurrentUser\\");
    const char *flags[3] = {system ? " --system-store " : " --store ", " --keep-file ",
                            " --backup-dir "};
    mgw_dbuf args;
    mgw_dbuf_init(&args);
    mgw_dbuf_puts(&args, "roots prune");
    int r = MGW_OK;
    for (int i = 0; i < 3 && r == MGW_OK; i++) {
        if (values[i][0] == '\0')
            r = mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s is empty", names[i]);
        else
            r = check_value(values[i], names[i], 0);
        if (r == MGW_OK && !(i == 0 && system))
            r = check_absolute(values[i], names[i]);
        mgw_dbuf_puts(&args, flags[i]);
        win_quote(&args, values[i]);
    }
    mgw_dbuf_puts(&args, " --yes");
    mgw_dbuf_putc(&args, '\0');
    if (r == MGW_OK && args.oom)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (program == NULL)
        program = MGW_TASK_DEFAULT_PROGRAM;
    if (r == MGW_OK && (r = check_value(program, "the program", 0)) == MGW_OK)
        r = check_absolute(program, "the program");
    if (r == MGW_OK)
        r = mgw_taskopts_set_command(o, program, (const char *)args.p);
    mgw_dbuf_free(&args);
    return r;
}

/* ---- the XML -------------------------------------------------------------------- */

static void iso_duration(uint32_t s, char buf[40])
{
    unsigned d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
    int n = snprintf(buf, 40, "P");
    if (d > 0)
        n += snprintf(buf + n, (size_t)(40 - n), "%uD", d);
    if (h > 0 || m > 0)
        n += snprintf(buf + n, (size_t)(40 - n), "T");
    if (h > 0)
        n += snprintf(buf + n, (size_t)(40 - n), "%uH", h);
    if (m > 0)
        snprintf(buf + n, (size_t)(40 - n), "%uM", m);
}

static void xml_escaped(mgw_dbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            mgw_dbuf_puts(b, "&amp;");
            break;
        case '<':
            mgw_dbuf_puts(b, "&lt;");
            break;
        case '>':
            mgw_dbuf_puts(b, "&gt;");
            break;
        case '"':
            mgw_dbuf_puts(b, "&quot;");
            break;
        case '\'':
            mgw_dbuf_puts(b, "&apos;");
            break;
        default:
            mgw_dbuf_putc(b, (uint8_t)*s);
            break;
        }
    }
}

/* One line: indentation, then either <name>value</name> or a bare tag. */
static void line(mgw_dbuf *b, int depth, const char *name, const char *value)
{
    for (int i = 0; i < depth; i++)
        mgw_dbuf_puts(b, "  ");
    if (value == NULL) {
        mgw_dbuf_puts(b, name);
    } else {
        mgw_dbuf_printf(b, "<%s>", name);
        xml_escaped(b, value);
        mgw_dbuf_printf(b, "</%s>", name);
    }
    mgw_dbuf_puts(b, "\r\n");
}

static void settings(mgw_dbuf *b, const mgw_taskopts_t *o)
{
    static const char *const fixed[][2] = {
        {"MultipleInstancesPolicy", "IgnoreNew"},
        {"DisallowStartIfOnBatteries", "false"},
        {"StopIfGoingOnBatteries", "false"},
        {"AllowHardTerminate", "true"},
        {"StartWhenAvailable", "true"},
        {"RunOnlyIfNetworkAvailable", "false"},
        {"AllowStartOnDemand", "true"},
        {"Enabled", "true"},
        {"Hidden", "false"},
        {"RunOnlyIfIdle", "false"},
        {"WakeToRun", "false"},
    };
    char limit[40];
    iso_duration(o->time_limit, limit);
    line(b, 1, "<Settings>", NULL);
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        line(b, 2, fixed[i][0], fixed[i][1]);
    line(b, 2, "ExecutionTimeLimit", limit);
    line(b, 2, "Priority", "7");
    line(b, 2, "<RestartOnFailure>", NULL);
    line(b, 3, "Interval", "PT1M");
    line(b, 3, "Count", "3");
    line(b, 2, "</RestartOnFailure>", NULL);
    line(b, 1, "</Settings>", NULL);
}

static void task_text(mgw_dbuf *b, const mgw_taskopts_t *o, const char *start)
{
    char interval[40];
    iso_duration(o->interval, interval);
    line(b, 0, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", NULL);
    line(b, 0,
         "<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">",
         NULL);
    line(b, 1, "<RegistrationInfo>", NULL);
    line(b, 2, "Author", "libmgwauth");
    line(b, 2, "Description",
         "Re-prunes the trusted root certificates to the keep-list; every run backs up and "
         "verifies what it removes (mgwauth roots prune).");
    line(b, 1, "</RegistrationInfo>", NULL);
    line(b, 1, "<Triggers>", NULL);
    line(b, 2, "<CalendarTrigger>", NULL);
    line(b, 3, "StartBoundary", start);
    line(b, 3, "<Repetition>", NULL);
    line(b, 4, "Interval", interval); /* no Duration: repeat without end */
    line(b, 3, "</Repetition>", NULL);
    line(b, 3, "<ScheduleByDay>", NULL);
    line(b, 4, "DaysInterval", "1");
    line(b, 3, "</ScheduleByDay>", NULL);
    line(b, 2, "</CalendarTrigger>", NULL);
    line(b, 1, "</Triggers>", NULL);
    line(b, 1, "<Principals>", NULL);
    line(b, 2, "<Principal id=\"Author\">", NULL);
    line(b, 3, "UserId", "S-1-5-18");
    line(b, 3, "RunLevel", "HighestAvailable");
    line(b, 2, "</Principal>", NULL);
    line(b, 1, "</Principals>", NULL);
    settings(b, o);
    line(b, 1, "<Actions Context=\"Author\">", NULL);
    line(b, 2, "<Exec>", NULL);
    line(b, 3, "Command", o->program);
    if (o->arguments != NULL && o->arguments[0] != '\0')
        line(b, 3, "Arguments", o->arguments);
    line(b, 2, "</Exec>", NULL);
    line(b, 1, "</Actions>", NULL);
    line(b, 0, "</Task>", NULL);
}

MGW_API int mgw_task_xml(const mgw_taskopts_t *o, uint8_t **out, size_t *out_len)
{
    if (o == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_task_xml: NULL argument");
    if (o->program == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT,
                       "the task has no command (set one, or the default prune command)");
    char today[20];
    if (o->start[0] == '\0') {
        int y, mo, d, h, mi, s;
        mgw_time_to_civil(mgw_now(), &y, &mo, &d, &h, &mi, &s);
        snprintf(today, sizeof(today), "%04d-%02d-%02dT00:00:00", y, mo, d);
    }
    mgw_dbuf text, utf16;
    mgw_dbuf_init(&text);
    mgw_dbuf_init(&utf16);
    task_text(&text, o, o->start[0] != '\0' ? o->start : today);
    mgw_dbuf_putc(&utf16, 0xFF); /* BOM, little endian */
    mgw_dbuf_putc(&utf16, 0xFE);
    int r = text.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL)
                     : mgw_utf8_to_utf16(text.p, text.len, false, &utf16);
    if (r == MGW_OK)
        r = mgw_dbuf_detach(&utf16, out, out_len);
    mgw_dbuf_free(&text);
    mgw_dbuf_free(&utf16);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}
