/* mgwauth: the command-line face of libmgwauth. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: mgwauth COMMAND ...\n"
    "\n"
    "  cert create --subject DN [--upn U]... [--email E]... [--dns D]... [--uri U]...\n"
    "              [--key rsa2048|rsa3072|rsa4096|p256|p384] [--days N] [--eku LIST]\n"
    "              [--ca-cert FILE --ca-key FILE [--ca-password-file F]]\n"
    "              --password-file F --out DIR [--name BASE] [--force] [--iterations N]\n"
    "      Writes DIR/BASE.cer (DER) and DIR/BASE.key (encrypted PKCS#8 PEM, mode 0600).\n"
    "      BASE defaults to Certificate; validity to 730 days; EKU to clientAuth.\n"
    "  ca create --subject DN [--key ...] [--days N (3650)] [--pathlen N (0)]\n"
    "            --password-file F --out DIR [--name BASE (ca)] [--force]\n"
    "  cert sign --csr FILE --ca-cert FILE --ca-key FILE [--ca-password-file F]\n"
    "            [--subject DN] [--upn U]... [--email E]... [--dns D]... [--days N]\n"
    "            [--eku LIST] --out DIR [--name BASE] [--force]\n"
    "  cert show FILE [--json]\n"
    "  roots plan --store DIR (--keep THUMB | --keep-file FILE)... [--allow-missing]\n"
    "             [--allow-protected THUMB]... [--remove-protected] [--json]\n"
    "  roots prune --store DIR (--keep THUMB | --keep-file FILE)... [the plan options]\n"
    "              (--backup FILE.pem.gz [--force] | --backup-dir DIR) [--yes]\n"
    "      Without --yes a dry run. With --yes: a verified gzip PEM backup first, then\n"
    "      the removals; --backup-dir names each backup roots-<UTC time>.pem.gz.\n"
    "  roots restore --store DIR --backup FILE.pem.gz [--only THUMB]...\n"
    "  task xml [--interval 15m] [--time-limit 10m] [--start YYYY-MM-DDThh:mm:ss]\n"
    "           (--store S --keep-file F --backup-dir D [--exe PATH] | --command CMD)\n"
    "           --out FILE.xml [--force]\n"
    "      Task Scheduler XML re-running roots prune as SYSTEM (schtasks /create /xml).\n"
    "  version\n"
    "\n"
    "A password file holds the password on its first line; an empty file is the empty\n"
    "password. Existing outputs are never replaced without --force.\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("mgwauth %s\n", mgw_version());
        return 0;
    }
    if (strcmp(argv[1], "cert") == 0)
        return cmd_cert(argc - 2, argv + 2);
    if (strcmp(argv[1], "ca") == 0)
        return cmd_ca(argc - 2, argv + 2);
    /* pfx */

    /* registry */

    /* roots, task */
    if (strcmp(argv[1], "roots") == 0)
        return cmd_roots(argc - 2, argv + 2);
    if (strcmp(argv[1], "task") == 0)
        return cmd_task(argc - 2, argv + 2);

    return cli_usage("unknown command '%s'", argv[1]);
}
