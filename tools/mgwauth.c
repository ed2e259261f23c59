/* mgwauth: the command-line face of libmgwauth. The commands and their usage
 * are in the table of commands.c. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    cli_utf8_args(&argc, &argv);
    cli_console_utf8();
    if (argc < 2) {
        cli_print_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        argv[1] = "version";
    return cli_dispatch(argc - 1, argv + 1);
}
