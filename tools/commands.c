/* The commands of mgwauth: one table that dispatches them and holds their
 * usage, from which --help, `mgwauth help`, the man page mgwauth(1) and the
 * bash completion are all made. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

/* Adding a command: one entry. run gets the arguments after the command word
 * and the subcommand. synopsis: the
 * command line without "mgwauth ", continuation lines indented to line up
 * with the first; text: what it does (NULL: nothing to add). Entries of one
 * command stay together, in the order help lists them. */
static const cli_command commands[] = {
    {"cert", "create", cmd_cert_create,
     "cert create --subject DN [--upn U]... [--email E]... [--dns D]... [--uri U]...\n"
     "            [--key rsa2048|rsa3072|rsa4096|p256|p384] [--days N] [--eku LIST]\n"
     "            [--ca FILE.pfx | --ca-cert FILE --ca-key FILE] [--ca-password-file F]\n"
     "            [--chain] --password-file F --out DIR [--name BASE] [--force]\n"
     "            [--profile compat|modern] [--friendly-name NAME] [--iterations N]\n"
     "            [--keyspec exchange|signature] [--csp NAME] [--machine-keyset] [--key-pem]\n"
     "            [--import-cer LOCATION\\NAME]",
     "Writes DIR/BASE.pfx (key and certificate, mode 0600) and DIR/BASE.cer (DER);\n"
     "with --key-pem also DIR/BASE.key (encrypted PKCS#8). BASE defaults to\n"
     "Certificate; validity to 730 days; EKU to clientAuth; profile to compat.\n"
     "--import-cer (Windows) then adds the CER to a system store, e.g.\n"
     "LocalMachine\\Root, unless it is there already, and names its thumbprint."},
    {"cert", "sign", cmd_cert_sign,
     "cert sign --csr FILE (--ca FILE.pfx | --ca-cert FILE --ca-key FILE)\n"
     "          [--ca-password-file F] [--subject DN] [--upn U]... [--email E]...\n"
     "          [--dns D]... [--days N] [--eku LIST] --out DIR [--name BASE] [--force]",
     "Issues a certificate for a PKCS#10 request (PEM or DER) and writes DIR/BASE.cer."},
    {"cert", "issue", cmd_cert_issue,
     "cert issue --ca CA.pfx --ca-password-file F --batch users.csv --out DIR\n"
     "           [--jobs N] [--key TYPE] [--profile compat|modern] [--days N] [--force]",
     "One PFX and CER per CSV row (columns upn, email, subject, password,\n"
     "friendly_name); generated passwords go to DIR/passwords.csv (mode 0600),\n"
     "DIR/manifest.csv lists what was issued. Re-running resumes."},
    {"cert", "show", cmd_cert_show, "cert show FILE [--json]",
     "Describes a certificate (DER or PEM); a PFX is shown by pfx show."},
    {"ca", "create", cmd_ca_create,
     "ca create --subject DN [--key TYPE] [--days N (3650)] [--pathlen N (0)]\n"
     "          --password-file F --out DIR [--name BASE (ca)] [--force]\n"
     "          [--profile compat|modern] [--friendly-name NAME] [--iterations N]\n"
     "          [--keyspec exchange|signature] [--csp NAME] [--machine-keyset]\n"
     "          [--import-cer LOCATION\\NAME]",
     "Writes ca.pfx, ca.cer and ca.key; --import-cer as for cert create."},
    {"pfx", "show", cmd_pfx_show, "pfx show FILE --password-file F [--json]",
     "Lists the PFX's encryption, MAC, certificates and key."},
    {"pfx", "convert", cmd_pfx_convert,
     "pfx convert IN OUT --password-file F [--new-password-file F2]\n"
     "            --profile compat|modern [--iterations N] [--friendly-name NAME] [--force]",
     "Re-encodes a PFX (compat: 3DES and SHA-1, for older phones; modern: AES-256)."},
    {"check", NULL, cmd_check,
     "check URL --pfx FILE --password-file F (--cafile FILE | --insecure)\n"
     "      [--expect-status 200] [--timeout S] [--connect-to ADDR] [--tls12] [--json]",
     "Requests URL (default path /Microsoft-Server-ActiveSync/HealthCheck.htm) with\n"
     "and without the client certificate; exit 0 on PASS, 1 on FAIL. The server's\n"
     "certificate must match the URL's host name or IP address."},
    {"registry", "plan", cmd_registry_plan,
     "registry plan ([--current FILE.reg]... | --live) [--trust-mode 0|1|2]\n"
     "              [--binding IP:PORT (0.0.0.0:443) | --sni-binding HOST:PORT |\n"
     "               --ccs-binding PORT]\n"
     "              [--no-revocation-check] [--disable-tls13] [--negotiate-client-cert]\n"
     "              [--issuer-store NAME] [--disable-root-autoupdate [--keep-disallowed-updates]]\n"
     "              [--client-cert FILE] --out DIR [--force]",
     "Compares the current registry (regedit exports, or with --live the machine's\n"
     "registry on Windows) with the gateway settings and writes DIR/security.reg,\n"
     "rollback.reg, backup.reg and plan.json; prints the table. --no-revocation-check\n"
     "sets bit 0x1 of DefaultSslCertCheckMode and keeps its other bits."},
    {"registry", "apply", cmd_registry_apply,
     "registry apply --plan DIR/plan.json (--registry-file STATE.reg | --live)\n"
     "               [--backup FILE] [--force]",
     "Applies a plan on a .reg file standing for the registry, or with --live on the\n"
     "machine's registry (Windows): refuses if it changed since planning, backs up\n"
     "the touched keys first, verifies, restores on failure."},
    {"registry", "rollback", cmd_registry_rollback,
     "registry rollback --plan DIR/plan.json (--registry-file STATE.reg | --live)\n"
     "                  [--backup FILE] [--force]",
     "Undoes a plan the same way."},
    {"iis", "show", cmd_iis_show, "iis show (--config FILE | --live) [--json]",
     "Sites, their https bindings with decoded sslFlags, and the effective access\n"
     "sslFlags of each site and of every child location that sets them."},
    {"iis", "plan", cmd_iis_plan,
     "iis plan (--config FILE | --live) [--site NAME (Default Web Site)] [--disable-tls13]\n"
     "         [--binding INFO]... [--negotiate-client-cert-in-handshake] --out DIR [--force]",
     "Require SSL and client certificates on the site and on every child location that\n"
     "sets its own access sslFlags; writes DIR/applicationHost.config (desired),\n"
     "backup.config, appcmd.cmd, appcmd-rollback.cmd and plan.json."},
    {"iis", "apply", cmd_iis_apply,
     "iis apply --plan DIR/plan.json (--config FILE | --live) [--backup FILE] [--force]",
     "Applies a plan to applicationHost.config (with --live the machine's, on Windows):\n"
     "refuses if it changed since planning, writes the backup first, verifies, restores\n"
     "on failure."},
    {"iis", "rollback", cmd_iis_rollback,
     "iis rollback --plan DIR/plan.json (--config FILE | --live) [--backup FILE] [--force]",
     "Undoes a plan the same way."},
    {"roots", "plan", cmd_roots_plan,
     "roots plan (--store DIR | --system-store LOCATION\\NAME)\n"
     "           (--keep THUMB | --keep-file FILE | --keep-cert FILE)...\n"
     "           [--allow-missing]\n"
     "           [--allow-protected THUMB]... [--remove-protected] [--json]\n"
     "           [--move-intermediates]\n"
     "           [--intermediate-store DIR | --intermediate-system-store LOCATION\\NAME]",
     "Lists which trusted roots a prune keeps and removes, and where each sits\n"
     "(--keep-cert: that certificate, e.g. the client or the binding's server\n"
     "certificate, and its issuers in the store up to the root; issuers are also\n"
     "looked for in the intermediate store and in FILE).\n"
     "(policy: put there by Group Policy or the enterprise store, never removed).\n"
     "--move-intermediates: those removed that are not self-signed (IIS 403.16) go\n"
     "to the intermediate store (LOCATION\\CA beside a system store) instead."},
    {"roots", "prune", cmd_roots_prune,
     "roots prune (--store DIR | --system-store LOCATION\\NAME)\n"
     "            (--keep THUMB | --keep-file FILE | --keep-cert FILE)...\n"
     "            [the plan options]\n"
     "            (--backup FILE.pem.gz [--force] | --backup-dir DIR) [--yes]",
     "Without --yes a dry run. With --yes: a verified gzip PEM backup first, then\n"
     "the removals; --backup-dir names each backup roots-<UTC time>.pem.gz. With\n"
     "--move-intermediates the ones not self-signed are first added to the\n"
     "intermediate store, recorded in BACKUP.moved.txt for roots restore."},
    {"roots", "restore", cmd_roots_restore, "roots restore STORE --backup FILE.pem.gz [--only THUMB]...",
     "Puts certificates of a backup back; in a directory store under the file name\n"
     "and format they had (THUMB.cer where that name holds something else now).\n"
     "Takes moved ones (BACKUP.moved.txt) out of the intermediate store again."},
    {"store", "list", cmd_store_list, "store list STORE [--pem]",
     "SHA-1, \"key\" when a usable private key belongs to it, subject."},
    {"store", "add", cmd_store_add, "store add STORE FILE...",
     "Adds certificates (DER or PEM); never a duplicate."},
    {"store", "remove", cmd_store_remove, "store remove STORE THUMB...", NULL},
    {"store", "import-pfx", cmd_store_import_pfx,
     "store import-pfx --system-store LOCATION\\NAME FILE.pfx --password-file F\n"
     "                 [--exportable]",
     "Imports the certificate with its private key and checks that the key is usable."},
    {"task", "xml", cmd_task_xml,
     "task xml [--interval 15m] [--time-limit 10m] [--start YYYY-MM-DDThh:mm:ss]\n"
     "         (STORE --keep-file F --backup-dir D [--exe PATH] | --command CMD)\n"
     "         --out FILE.xml [--force]",
     "Task Scheduler XML re-running roots prune as SYSTEM (schtasks /create /xml).\n"
     "Its paths are Windows paths and must be absolute (C:\\...); --exe defaults to\n"
     "C:\\Program Files\\mgwauth\\mgwauth.exe."},
    {"task", "install", cmd_task_install, "task install --xml FILE.xml --name NAME [--force]",
     "Registers the task with the Task Scheduler (Windows; its COM API) to run as\n"
     "SYSTEM; an existing task of that name is replaced only with --force."},
    {"task", "remove", cmd_task_remove, "task remove --name NAME", "Deletes the task (Windows)."},
    {"task", "show", cmd_task_show, "task show --name NAME",
     "Prints the registered task's XML as the Task Scheduler gives it back (Windows)."},
    {"gateway", "status", cmd_gateway_status,
     "gateway status [--live] [--registry-file STATE.reg] [--store DIR] [--iis-config FILE]\n"
     "               [--task-xml FILE.xml] [--client-cert FILE] [--keep-file FILE]\n"
     "               [--issuer-store NAME] [--site NAME] [--binding IP:PORT]\n"
     "               [--disable-tls13] [--negotiate-client-cert] [--task-name NAME]\n"
     "               [--server-store STORE]\n"
     "               [--url URL --pfx FILE --password-file F (--cafile FILE | --insecure)\n"
     "                [--connect-to ADDR]] [--json]",
     "Audits the gateway against the procedure, one line per step (client-cert,\n"
     "registry, iis, roots, root-self-signed, root-autoupdate, client-cert-expiry,\n"
     "gateway-check) with\n"
     "PASS, WARN or FAIL, the evidence and the command that fixes it; WARN within 60\n"
     "days of the client certificate's expiry. Exit 0 without FAIL, 1 with."},
    {"gateway", "plan", cmd_gateway_plan,
     "gateway plan --client-cert FILE --store DIR --registry-file STATE.reg\n"
     "             --iis-config FILE --keep-file FILE [--backup-dir DIR] [--issuer-store NAME]\n"
     "             [--site NAME] [--binding IP:PORT] [--disable-tls13] [--negotiate-client-cert]\n"
     "             (--disable-root-autoupdate | --task-interval 15m --task-xml FILE|scheduler\n"
     "              [--task-name NAME] [--task-exe PATH]) [--server-store STORE] [--live]\n"
     "             [--move-intermediates STORE]\n"
     "             --out DIR [--force]",
     "One plan from the existing planners, in order: the client certificate into the\n"
     "store, the registry, IIS, the root prune (keeping the client certificate), and\n"
     "either the DisableRootAutoUpdate policy (in the registry step) or the re-prune\n"
     "task. DIR/plan.json lists the steps; each step's files are in DIR/STEP/."},
    {"gateway", "apply", cmd_gateway_apply, "gateway apply --plan DIR/plan.json",
     "Runs the steps in order, each with its own backup and verification; on the first\n"
     "failure undoes the steps done, in reverse order, and says exactly what happened.\n"
     "DIR/applied.json records what rollback needs. Applying twice changes nothing."},
    {"gateway", "rollback", cmd_gateway_rollback, "gateway rollback --plan DIR/plan.json",
     "Undoes an applied plan in reverse order."},
    {"version", NULL, cmd_version, "version", NULL},
    {"help", NULL, cmd_help, "help [COMMAND [SUBCOMMAND]] | help --man | help --bash-completion",
     "Usage of a command (also COMMAND [SUBCOMMAND] --help); the manual page\n"
     "mgwauth(1) in roff; the bash completion script."},
};

/* Notes that apply to several commands: help prints them after the list. */
static const struct {
    const char *title, *text;
} notes[] = {
    {"STORES",
     "A store is --store DIR (one certificate per file) or, on Windows,\n"
     "--system-store LOCATION\\NAME: LocalMachine or CurrentUser, and Root, CA, My,\n"
     "ClientAuthIssuer or TrustedPeople (e.g. LocalMachine\\Root)."},
    {"FILES",
     "A password file holds the password on its first line; an empty file is the empty\n"
     "password. Password files, keep-lists and CSV files may be UTF-8 (with or\n"
     "without BOM) or UTF-16 with BOM (Notepad's \"Unicode\", PowerShell's Out-File);\n"
     "anything else is refused with its encoding named. Existing outputs are never\n"
     "replaced without --force."},
};

static bool is_help_flag(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* --help among the arguments (before a "--"). */
static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_help_flag(argv[i]))
            return true;
    return false;
}

static const cli_command *find(const char *command, const char *sub)
{
    for (size_t i = 0; i < N(commands); i++)
        if (strcmp(commands[i].command, command) == 0 &&
            (sub == NULL || (commands[i].sub != NULL && strcmp(commands[i].sub, sub) == 0)))
            return &commands[i];
    return NULL;
}

/* Synopsis lines with each line prefixed (the first by first, the others by
 * rest), then the text indented by text_indent spaces. */
static void print_entry(FILE *f, const cli_command *c, const char *first, const char *rest,
                        int text_indent)
{
    const char *s = c->synopsis;
    for (bool start = true; *s != '\0'; start = false) {
        size_t len = strcspn(s, "\n");
        fprintf(f, "%s%.*s\n", start ? first : rest, (int)len, s);
        s += len + (s[len] == '\n');
    }
    for (s = c->text; s != NULL && *s != '\0';) {
        size_t len = strcspn(s, "\n");
        fprintf(f, "%*s%.*s\n", text_indent, "", (int)len, s);
        s += len + (s[len] == '\n');
    }
}

static void print_notes(FILE *f)
{
    for (size_t i = 0; i < N(notes); i++)
        fprintf(f, "\n%s\n", notes[i].text);
}

/* Every entry of command (all commands when NULL), as a list. */
static void print_list(FILE *f, const char *command)
{
    if (command == NULL)
        fputs("usage: mgwauth COMMAND ...\n\n", f);
    else
        fprintf(f, "usage: mgwauth %s SUBCOMMAND ...\n\n", command);
    for (size_t i = 0; i < N(commands); i++)
        if (command == NULL || strcmp(commands[i].command, command) == 0)
            print_entry(f, &commands[i], "  ", "  ", 6);
    if (command == NULL)
        print_notes(f);
}

static void print_one(FILE *f, const cli_command *c)
{
    print_entry(f, c, "usage: mgwauth ", "               ", 2);
}

void cli_print_usage(FILE *f)
{
    print_list(f, NULL);
}

/* "create, sign, show or issue" */
static void list_subs(char *buf, size_t size, const char *command)
{
    size_t n = 0, k = 0, len = 0;
    for (size_t i = 0; i < N(commands); i++)
        n += strcmp(commands[i].command, command) == 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N(commands) && len < size; i++) {
        if (strcmp(commands[i].command, command) != 0)
            continue;
        k++;
        int w = snprintf(buf + len, size - len, "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
                         commands[i].sub);
        len += w > 0 ? (size_t)w : 0;
    }
}

int cli_dispatch(int argc, char **argv)
{
    const cli_command *c = find(argv[0], NULL);
    char subs[256];
    if (c == NULL)
        return cli_usage("unknown command '%s'", argv[0]);
    if (c->sub == NULL) {
        if (wants_help(argc - 1, argv + 1)) {
            print_one(stdout, c);
            return 0;
        }
        return c->run(argc - 1, argv + 1);
    }
    list_subs(subs, sizeof(subs), c->command);
    if (argc < 2)
        return cli_usage("%s needs a subcommand: %s (mgwauth %s --help shows their usage)",
                         c->command, subs, c->command);
    if (is_help_flag(argv[1])) {
        print_list(stdout, c->command);
        return 0;
    }
    const cli_command *s = find(argv[0], argv[1]);
    if (s == NULL)
        return cli_usage("unknown %s subcommand '%s' (%s has %s)", c->command, argv[1],
                         c->command, subs);
    if (wants_help(argc - 2, argv + 2)) {
        print_one(stdout, s);
        return 0;
    }
    return s->run(argc - 2, argv + 2);
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 0)
        return cli_usage("version takes no arguments");
    printf("mgwauth %s on %s (%s)\n", mgw_version(), mgw_crypto_version(),
           mgw_check_max_tls() == MGW_TLS_1_3 ? "TLS 1.2 and 1.3"
                                              : "TLS 1.2; TLS 1.3 needs mbedTLS 3.x");
    return 0;
}

/* roff text: backslashes, hyphens (so that options copy as ASCII), and a
 * leading dot or quote that would start a request. */
static void roff(FILE *f, const char *s, size_t len)
{
    if (len > 0 && (s[0] == '.' || s[0] == '\''))
        fputs("\\&", f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            fputs("\\e", f);
        else if (s[i] == '-')
            fputs("\\-", f);
        else
            fputc(s[i], f);
    }
}

static void roff_lines(FILE *f, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t len = strcspn(s, "\n");
        roff(f, s, len);
        fputc('\n', f);
        s += len + (s[len] == '\n');
    }
}

static void print_man(FILE *f)
{
    fprintf(f, ".\\\" mgwauth(1), made by mgwauth help --man from the tool's usage table\n"
               ".TH MGWAUTH 1 \"\" \"mgwauth %s\" \"User Commands\"\n"
               ".SH NAME\nmgwauth \\- client certificates, registry settings and trusted roots "
               "of a mail gateway\n.SH SYNOPSIS\n.B mgwauth\n.I COMMAND\n[\\fISUBCOMMAND\\fR] "
               "[\\fIOPTIONS\\fR]\n.SH DESCRIPTION\n"
               "mgwauth automates client-certificate authentication of an IIS/Exchange ActiveSync\n"
               "gateway: certificates for the phones, PFX files, the SCHANNEL and HTTP.sys\n"
               "registry settings, pruning of trusted roots and a check of the gateway.\n"
               "Options take their value as \\fB\\-\\-name value\\fR or "
               "\\fB\\-\\-name=value\\fR.\n.SH COMMANDS\n",
            mgw_version());
    for (size_t i = 0; i < N(commands); i++) {
        fputs(".SS ", f);
        roff(f, commands[i].command, strlen(commands[i].command));
        if (commands[i].sub != NULL) {
            fputc(' ', f);
            roff(f, commands[i].sub, strlen(commands[i].sub));
        }
        fputs("\n.nf\n", f);
        roff_lines(f, commands[i].synopsis);
        fputs(".fi\n", f);
        if (commands[i].text != NULL) {
            fputs(".PP\n.nf\n", f);
            roff_lines(f, commands[i].text);
            fputs(".fi\n", f);
        }
    }
    for (size_t i = 0; i < N(notes); i++) {
        fprintf(f, ".SH %s\n.nf\n", notes[i].title);
        roff_lines(f, notes[i].text);
        fputs(".fi\n", f);
    }
    fputs(".SH EXIT STATUS\n0 on success, 1 on failure (for check: the gateway failed),\n"
          "2 on a usage error.\n.SH SEE ALSO\n"
          ".BR openssl (1),\n.BR certutil (1)\n",
          f);
}

/* Options named in a synopsis, space-separated, each once. */
static void synopsis_options(FILE *f, const char *s)
{
    char seen[1024] = " ";
    for (const char *p = s; (p = strstr(p, "--")) != NULL;) {
        size_t len = 2;
        while (islower((unsigned char)p[len]) || isdigit((unsigned char)p[len]) || p[len] == '-')
            len++;
        char word[64];
        if (len > 2 && len < sizeof(word) - 1) {
            snprintf(word, sizeof(word), " %.*s ", (int)len, p);
            if (strstr(seen, word) == NULL && strlen(seen) + len + 2 < sizeof(seen)) {
                fprintf(f, "%s%.*s", seen[1] == '\0' ? "" : " ", (int)len, p);
                strcat(seen, word + 1);
            }
        }
        p += len;
    }
    fputs(" --help", f);
}

/* Each command once, in table order, space-separated. */
static void command_names(FILE *f)
{
    for (size_t i = 0; i < N(commands); i++)
        if (i == 0 || strcmp(commands[i].command, commands[i - 1].command) != 0)
            fprintf(f, "%s%s", i == 0 ? "" : " ", commands[i].command);
}

static void print_bash_completion(FILE *f)
{
    fputs("# bash completion for mgwauth, made by mgwauth help --bash-completion\n"
          "_mgwauth_subcommands() {\n"
          "    case $1 in\n",
          f);
    for (size_t i = 0; i < N(commands); i++) {
        if (commands[i].sub == NULL ||
            (i > 0 && strcmp(commands[i].command, commands[i - 1].command) == 0))
            continue;
        fprintf(f, "    %s) echo \"", commands[i].command);
        for (size_t k = i; k < N(commands) && strcmp(commands[k].command, commands[i].command) == 0;
             k++)
            fprintf(f, "%s%s", k == i ? "" : " ", commands[k].sub);
        fputs("\" ;;\n", f);
    }
    fputs("    esac\n"
          "}\n"
          "\n"
          "_mgwauth() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]} words=\n"
          "    COMPREPLY=()\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        words=\"",
          f);
    command_names(f);
    fputs(" --help --version\"\n"
          "    elif [ \"$cmd\" = help ]; then\n"
          "        case $COMP_CWORD in\n"
          "        2) words=\"",
          f);
    command_names(f);
    fputs("\" ;;\n"
          "        3) words=$(_mgwauth_subcommands \"$sub\") ;;\n"
          "        esac\n"
          "    elif [ \"$COMP_CWORD\" -eq 2 ] && [ -n \"$(_mgwauth_subcommands \"$cmd\")\" ]; then\n"
          "        words=\"$(_mgwauth_subcommands \"$cmd\") --help\"\n"
          "    elif [[ $cur == -* ]]; then\n"
          "        case \"$cmd $sub\" in\n",
          f);
    for (size_t i = 0; i < N(commands); i++) {
        if (commands[i].sub != NULL)
            fprintf(f, "        \"%s %s\")", commands[i].command, commands[i].sub);
        else
            fprintf(f, "        \"%s \"*)", commands[i].command);
        fputs(" words=\"", f);
        synopsis_options(f, commands[i].synopsis);
        fputs("\" ;;\n", f);
    }
    fputs("        esac\n"
          "    fi\n"
          "    [ -n \"$words\" ] && COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
          "    return 0\n"
          "}\n"
          "complete -o default -F _mgwauth mgwauth\n",
          f);
}

static int cmd_help(int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "--man") == 0) {
        print_man(stdout);
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "--bash-completion") == 0) {
        print_bash_completion(stdout);
        return 0;
    }
    if (argc == 0) {
        print_list(stdout, NULL);
        return 0;
    }
    const cli_command *c = argc <= 2 ? find(argv[0], NULL) : NULL;
    if (c == NULL)
        return cli_usage("no help on '%s'", argv[0]);
    if (argc == 1 && c->sub != NULL) {
        print_list(stdout, c->command);
        return 0;
    }
    if (argc == 2 && (c->sub == NULL || (c = find(argv[0], argv[1])) == NULL))
        return cli_usage("no help on '%s %s'", argv[0], argv[1]);
    print_one(stdout, c);
    return 0;
}
