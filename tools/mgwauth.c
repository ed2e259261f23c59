/* mgwauth: the command-line face of libmgwauth. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage_crypto[] =
    "usage: mgwauth COMMAND ...\n"
    "\n"
    "  cert create --subject DN [--upn U]... [--email E]... [--dns D]... [--uri U]...\n"
    "              [--key rsa2048|rsa3072|rsa4096|p256|p384] [--days N] [--eku LIST]\n"
    "              [--ca FILE.pfx | --ca-cert FILE --ca-key FILE] [--ca-password-file F]\n"
    "              [--chain] --password-file F --out DIR [--name BASE] [--force]\n"
    "              [--profile compat|modern] [--friendly-name NAME] [--iterations N]\n"
    "              [--keyspec exchange|signature] [--csp NAME] [--machine-keyset] [--key-pem]\n"
    "              [--import-cer LOCATION\\NAME]\n"
    "      Writes DIR/BASE.pfx (key and certificate, mode 0600) and DIR/BASE.cer (DER);\n"
    "      with --key-pem also DIR/BASE.key (encrypted PKCS#8). BASE defaults to\n"
    "      Certificate; validity to 730 days; EKU to clientAuth; profile to compat.\n"
    "      --import-cer (Windows) then adds the CER to a system store, e.g.\n"
    "      LocalMachine\\Root, unless it is there already.\n"
    "  ca create --subject DN [--key ...] [--days N (3650)] [--pathlen N (0)]\n"
    "            --password-file F --out DIR [--name BASE (ca)] [--force] [PFX options]\n"
    "      Writes ca.pfx, ca.cer and ca.key.\n"
    "  cert sign --csr FILE (--ca FILE.pfx | --ca-cert FILE --ca-key FILE)\n"
    "            [--ca-password-file F] [--subject DN] [--upn U]... [--email E]...\n"
    "            [--dns D]... [--days N] [--eku LIST] --out DIR [--name BASE] [--force]\n"
    "  cert issue --ca CA.pfx --ca-password-file F --batch users.csv --out DIR\n"
    "             [--jobs N] [--key TYPE] [--profile compat|modern] [--days N] [--force]\n"
    "      One PFX and CER per CSV row (columns upn, email, subject, password,\n"
    "      friendly_name); generated passwords go to DIR/passwords.csv (mode 0600),\n"
    "      DIR/manifest.csv lists what was issued. Re-running resumes.\n"
    "  cert show FILE [--json]\n"
    "  pfx show FILE --password-file F [--json]\n"
    "  pfx convert IN OUT --password-file F [--new-password-file F2]\n"
    "              --profile compat|modern [--iterations N] [--friendly-name NAME] [--force]\n"
    "  check URL --pfx FILE --password-file F (--cafile FILE | --insecure)\n"
    "        [--expect-status 200] [--timeout S] [--connect-to ADDR] [--tls12] [--json]\n"
    "      Requests URL (default path /Microsoft-Server-ActiveSync/HealthCheck.htm) with\n"
    "      and without the client certificate; exit 0 on PASS, 1 on FAIL.\n";

/* Split in two: C99 promises string literals of 4095 bytes only. */
static const char usage_platform[] =
    "  registry plan ([--current FILE.reg]... | --live) [--trust-mode 0|1|2]\n"
    "                [--binding IP:PORT (0.0.0.0:443) | --sni-binding HOST:PORT]\n"
    "                [--no-revocation-check] [--disable-tls13] [--negotiate-client-cert]\n"
    "                [--issuer-store NAME] [--disable-root-autoupdate [--keep-disallowed-updates]]\n"
    "                [--client-cert FILE] --out DIR [--force]\n"
    "      Compares the current registry (regedit exports, or with --live the machine's\n"
    "      registry on Windows) with the gateway settings and writes DIR/security.reg,\n"
    "      rollback.reg, backup.reg and plan.json; prints the table.\n"
    "  registry apply --plan DIR/plan.json (--registry-file STATE.reg | --live)\n"
    "                 [--backup FILE] [--force]\n"
    "  registry rollback --plan DIR/plan.json (--registry-file STATE.reg | --live)\n"
    "                 [--backup FILE] [--force]\n"
    "      Apply (or undo) a plan on a .reg file standing for the registry, or with --live on\n"
    "      the machine's registry (Windows): refuses if it changed since planning, backs up\n"
    "      the touched keys first, verifies, restores on failure.\n"
    "  A store is --store DIR (one certificate per file) or, on Windows,\n"
    "  --system-store LOCATION\\NAME: LocalMachine or CurrentUser, and Root, CA, My,\n"
    "  ClientAuthIssuer or TrustedPeople (e.g. LocalMachine\\Root).\n"
    "  roots plan STORE (--keep THUMB | --keep-file FILE)... [--allow-missing]\n"
    "             [--allow-protected THUMB]... [--remove-protected] [--json]\n"
    "  roots prune STORE (--keep THUMB | --keep-file FILE)... [the plan options]\n"
    "              (--backup FILE.pem.gz [--force] | --backup-dir DIR) [--yes]\n"
    "      Without --yes a dry run. With --yes: a verified gzip PEM backup first, then\n"
    "      the removals; --backup-dir names each backup roots-<UTC time>.pem.gz.\n"
    "  roots restore STORE --backup FILE.pem.gz [--only THUMB]...\n"
    "  store list STORE [--pem]\n"
    "      SHA-1, \"key\" when a usable private key belongs to it, subject.\n"
    "  store add STORE FILE...            (DER or PEM; never a duplicate)\n"
    "  store remove STORE THUMB...\n"
    "  store import-pfx --system-store LOCATION\\NAME FILE.pfx --password-file F\n"
    "                   [--exportable]\n"
    "      Imports the certificate with its private key and checks that the key is usable.\n"
    "  task xml [--interval 15m] [--time-limit 10m] [--start YYYY-MM-DDThh:mm:ss]\n"
    "           (STORE --keep-file F --backup-dir D [--exe PATH] | --command CMD)\n"
    "           --out FILE.xml [--force]\n"
    "      Task Scheduler XML re-running roots prune as SYSTEM (schtasks /create /xml).\n"
    "  version\n"
    "\n"
    "A password file holds the password on its first line; an empty file is the empty\n"
    "password. Existing outputs are never replaced without --force.\n";

int main(int argc, char **argv)
{
    cli_utf8_args(&argc, &argv);
    cli_console_utf8();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_crypto, argc < 2 ? stderr : stdout);
        fputs(usage_platform, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("mgwauth %s on %s (%s)\n", mgw_version(), mgw_crypto_version(),
               mgw_check_max_tls() == MGW_TLS_1_3 ? "TLS 1.2 and 1.3"
                                                  : "TLS 1.2; TLS 1.3 needs mbedTLS 3.x");
        return 0;
    }
    if (strcmp(argv[1], "cert") == 0)
        return cmd_cert(argc - 2, argv + 2);
    if (strcmp(argv[1], "ca") == 0)
        return cmd_ca(argc - 2, argv + 2);
    /* pfx */
    if (strcmp(argv[1], "pfx") == 0)
        return cmd_pfx(argc - 2, argv + 2);

    /* registry */
    if (strcmp(argv[1], "registry") == 0)
        return cmd_registry(argc - 2, argv + 2);

    /* roots, task */
    if (strcmp(argv[1], "roots") == 0)
        return cmd_roots(argc - 2, argv + 2);
    if (strcmp(argv[1], "task") == 0)
        return cmd_task(argc - 2, argv + 2);
    if (strcmp(argv[1], "store") == 0)
        return cmd_store(argc - 2, argv + 2);

    /* gateway check */
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 2, argv + 2);

    return cli_usage("unknown command '%s'", argv[1]);
}
