/* cmd_init.c: sinspace init DB. */
#include "cli.h"

static int
run(cli *c, int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "")) != -1)
        return cli_usage_error(&cmd_init, "unknown option");
    if (argc - optind != 1)
        return cli_usage_error(&cmd_init, "expected one database path");
    sinspace_store *store = NULL;
    sinspace_status st = sinspace_store_create(c->ctx, argv[optind], &store);
    if (st)
        return cli_fail(c, st);
    sinspace_store_close(store);
    if (!c->quiet)
        fprintf(stderr, "sinspace: created %s (schema %d, mode 0600)\n",
                argv[optind], SINSPACE_SCHEMA_VERSION);
    return EXIT_OK;
}

const cli_command cmd_init = {
    "init", "create a new, private sinspace database",
    "Usage: sinspace init DB\n\n"
    "Creates DB, a SpatiaLite 5 database that QGIS and ogrinfo open as it is,\n"
    "with mode 0600 whatever the umask.  It holds the sector and indicator\n"
    "catalogues and the map layers of layers/.  Fails if DB exists.\n",
    run};
