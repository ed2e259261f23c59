/* task install, remove, show: the Windows Task Scheduler (COM API). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_task_install(int argc, char **argv)
{
    cli_opt o[] = {OPT("xml", true, false), OPT("name", true, false), OPT("force", false, false)};
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    const char *xml_path = cli_value(o, n, "xml"), *name = cli_value(o, n, "name");
    if (xml_path == NULL || name == NULL)
        return cli_usage("task install needs --xml FILE and --name NAME");
    uint8_t *xml = NULL;
    size_t len = 0;
    if (cli_read(xml_path, &xml, &len) != 0)
        return 1;
    int r = mgw_task_install(name, xml, len, cli_get(o, n, "force")->seen ? MGW_FILE_FORCE : 0);
    mgw_free(xml);
    if (r == MGW_ERR_EXISTS) {
        fprintf(stderr, "mgwauth: error: %s\n", mgw_last_error());
        return 1;
    }
    if (r != MGW_OK)
        return cli_fail(r, xml_path);
    printf("installed task \"%s\" from %s (runs as SYSTEM)\n", name, xml_path);
    return 0;
}

static int task_name_only(int argc, char **argv, const char **name)
{
    cli_opt o[] = {OPT("name", true, false)};
    size_t n = N(o);
    if (cli_parse_options(argc, argv, o, n) != 0)
        return EXIT_USAGE;
    *name = cli_value(o, n, "name");
    if (*name == NULL)
        return cli_usage("needs --name NAME");
    return 0;
}

int cmd_task_remove(int argc, char **argv)
{
    const char *name;
    int rc = task_name_only(argc, argv, &name);
    if (rc != 0)
        return rc;
    int r = mgw_task_remove(name);
    if (r != MGW_OK)
        return cli_fail(r, NULL);
    printf("removed task \"%s\"\n", name);
    return 0;
}

int cmd_task_show(int argc, char **argv)
{
    const char *name;
    int rc = task_name_only(argc, argv, &name);
    if (rc != 0)
        return rc;
    char *xml = NULL;
    int r = mgw_task_show(name, &xml);
    if (r != MGW_OK)
        return cli_fail(r, NULL);
    fputs(xml, stdout);
    if (xml[0] != '\0' && xml[strlen(xml) - 1] != '\n')
        fputc('\n', stdout);
    mgw_free(xml);
    return 0;
}
