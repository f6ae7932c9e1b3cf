/* cmd_sectors.c: sinspace sectors DB: the sector catalogue. */
#include "cli.h"

static int
print_sector(void *user, const sinspace_sector_desc *s)
{
    (void)user;
    printf("%-22s %-22s %-8lld %s\n", s->code, s->label_en, s->workplaces,
           s->label_th);
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_sectors, "unknown option");
    if (argc - optind != 1)
        return cli_usage_error(&cmd_sectors, "expected one database path");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    printf("%-22s %-22s %-8s %s\n", "code", "label", "count", "label (Thai)");
    sinspace_status st = sinspace_store_sectors(store, print_sector, NULL);
    rc = st ? cli_fail(c, st) : EXIT_OK;
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_sectors = {
    "sectors", "list the sector codes a workplace may have",
    "Usage: sinspace sectors DB\n\n"
    "Lists the sector catalogue: code (as the CSV's sector column takes it),\n"
    "English label, number of workplaces, Thai label.\n",
    run};
