/* Shared helpers of the mgwauth command-line tool (public API only). */
#ifndef MGW_CLI_H
#define MGW_CLI_H

#include "mgwauth.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h> /* __MINGW_PRINTF_FORMAT on mingw-w64 */

#define EXIT_USAGE 2

/* The number of elements of an array. */
#define N(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__MINGW_PRINTF_FORMAT)
#define CLI_PRINTF(a, b) __attribute__((format(__MINGW_PRINTF_FORMAT, a, b)))
#elif defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Replace argc/argv by the command line in UTF-8 (Windows; elsewhere the
 * arguments are used as they are). */
void cli_utf8_args(int *argc, char ***argv);
/* Print "mgwauth: error: ..." for a failed library call and return 1. */
int cli_fail(int code, const char *what);
/* one when n is 1, else many ("1 certificate", "2 certificates"). */
const char *cli_plural(size_t n, const char *one, const char *many);
/* Print a usage error and return EXIT_USAGE. */
int cli_usage(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Command-line options: "--name value", "--name=value" or a flag. */
typedef struct {
    const char *name;
    bool takes_value;
    bool repeatable;
    const char *values[64];
    size_t count;
    bool seen;
} cli_opt;

/* An option of a command's table: OPT("out", true, false) is --out VALUE,
 * given at most once. */
#define OPT(name, takes_value, repeatable) {name, takes_value, repeatable, {0}, 0, false}

/* Parse argv against opts; positional arguments go to pos (at most max_pos).
 * Returns 0 or prints the problem and returns EXIT_USAGE. */
int cli_parse(int argc, char **argv, cli_opt *opts, size_t n_opts, const char **pos,
              size_t max_pos, size_t *n_pos);
/* cli_parse for a command that takes no positional arguments. */
int cli_parse_options(int argc, char **argv, cli_opt *opts, size_t n_opts);
cli_opt *cli_get(cli_opt *opts, size_t n, const char *name);
const char *cli_value(cli_opt *opts, size_t n, const char *name);

/* Values of options several commands take. Each returns false for a value
 * it does not know; the caller words the usage error. */
#define CLI_KEY_NAMES "rsa2048, rsa3072, rsa4096, p256 or p384"
/* --key NAME: one of CLI_KEY_NAMES as MGW_KEY_*. */
bool cli_key_type(const char *name, int *type);
/* --profile compat|modern as MGW_PFX_PROFILE_*. */
bool cli_pfx_profile(const char *name, int *profile);
/* A whole number from lo to hi: decimal digits only. */
bool cli_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *v);

/* Read a whole input file (at most 16 MiB) or print why not and return non-zero. */
int cli_read(const char *path, uint8_t **data, size_t *len);
/* Read a text input as UTF-8 (UTF-8, or UTF-16 with BOM; see
 * mgw_text_file_read) or print why not and return non-zero. */
int cli_read_text(const char *path, uint8_t **data, size_t *len);
/* Read a password file; prints the problem on failure. */
int cli_password(const char *path, char **pw, size_t *len);
/* Create a directory (and its parents) if missing. */
int cli_mkdirs(const char *path);
/* path = dir + "/" + base + ext (caller frees with free()). */
char *cli_path(const char *dir, const char *base, const char *ext);
/* A file base name: non-empty, no path separators, not "." or "..". */
bool cli_valid_base(const char *base);

/* The commands, one function per entry of the table in commands.c. Each
 * gets the arguments after its command word(s) ("mgwauth cert create A B":
 * argc 2, argv {A, B}). */
int cmd_cert_create(int argc, char **argv);
int cmd_cert_sign(int argc, char **argv);
int cmd_cert_issue(int argc, char **argv);
int cmd_cert_show(int argc, char **argv);
int cmd_ca_create(int argc, char **argv);
int cmd_pfx_show(int argc, char **argv);
int cmd_pfx_convert(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_registry_plan(int argc, char **argv);
int cmd_registry_apply(int argc, char **argv);
int cmd_registry_rollback(int argc, char **argv);
int cmd_iis_show(int argc, char **argv);
int cmd_iis_plan(int argc, char **argv);
int cmd_iis_apply(int argc, char **argv);
int cmd_iis_rollback(int argc, char **argv);
int cmd_roots_plan(int argc, char **argv);
int cmd_roots_prune(int argc, char **argv);
int cmd_roots_restore(int argc, char **argv);
int cmd_store_list(int argc, char **argv);
int cmd_store_add(int argc, char **argv);
int cmd_store_remove(int argc, char **argv);
int cmd_store_import_pfx(int argc, char **argv);
int cmd_task_xml(int argc, char **argv);
int cmd_task_install(int argc, char **argv);
int cmd_task_remove(int argc, char **argv);
int cmd_task_show(int argc, char **argv);
int cmd_gateway_status(int argc, char **argv);
int cmd_gateway_plan(int argc, char **argv);
int cmd_gateway_apply(int argc, char **argv);
int cmd_gateway_rollback(int argc, char **argv);

/* Open the store of --store DIR or --system-store LOCATION\NAME (exactly one
 * of them among opts); prints the problem and returns non-zero on failure. */
int cli_open_store(cli_opt *opts, size_t n, mgw_store_t **store);
/* The client certificate, key and chain of a PFX into check options. */
int cli_check_load_client(mgw_checkopts_t *opts, const char *path, const char *pwfile);

/* One command (or subcommand) of the tool: see the table in commands.c. */
typedef struct {
    const char *command, *sub;
    int (*run)(int argc, char **argv);
    const char *synopsis, *text;
} cli_command;

/* Run argv[0] [argv[1]] from the table, or print its usage for --help. The
 * table is the one place that maps command words to functions. */
int cli_dispatch(int argc, char **argv);
/* The usage of every command. */
void cli_print_usage(FILE *f);
/* The operating system (os.c). Paths are UTF-8 everywhere. */
FILE *cli_fopen(const char *path, const char *mode);
bool cli_exists(const char *path);
/* True when both paths exist and name the same file (links followed). */
bool cli_same_file(const char *a, const char *b);
/* Whether the store's listing holds the certificate with SHA-1 `tp`. */
bool cli_store_holds(const mgw_store_t *store, const char *tp);
int cli_remove(const char *path);
/* The names in a directory, sorted (strcmp), or NULL; free with cli_free_list. */
char **cli_list_dir(const char *dir, size_t *n);
void cli_free_list(char **names, size_t n);
/* A file descriptor appending to path, created private (0600, or on Windows
 * the protected user+SYSTEM DACL) if missing; -1 with errno on failure. */
int cli_open_append_private(const char *path);
/* The last byte of a file; 0, or -1 when empty or unreadable. */
int cli_last_byte(const char *path, char *c);
long cli_cpu_count(void);
/* Call handler on SIGINT/SIGTERM (Windows: Ctrl+C, Ctrl+Break). */
void cli_on_interrupt(void (*handler)(int));
bool cli_stderr_is_terminal(void);
/* Windows: a console shows the tool's UTF-8 output as UTF-8 (code page 65001
 * for the run); elsewhere nothing to do. */
void cli_console_utf8(void);


#endif
