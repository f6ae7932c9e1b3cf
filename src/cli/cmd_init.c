/* cmd_init.c: sinspace init DB: the store and the key file that seals the
 * network's contacts (DB.key unless --key-file or SINSPACE_KEY_FILE). */
#include "cli.h"

#include <stdio.h>
#include <sys/stat.h>

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key-file", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0}};
    const char *key_file = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == 'k')
            key_file = optarg;
        else
            return cli_usage_error(&cmd_init, "unknown option");
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_init, "expected one database path");
    const char *db = argv[optind];
    char key_path[4096];
    if (sinspace_network_key_path(db, key_file, key_path, sizeof key_path))
        return cli_usage_error(&cmd_init, "key file path too long");
    /* An existing key file may seal another store's contacts: never
     * replaced, and checked before the store is made (an existing store
     * is refused by sinspace_store_create, with its own words). */
    struct stat sb;
    if (stat(db, &sb) != 0 && stat(key_path, &sb) == 0) {
        fprintf(stderr, "sinspace: key file %s exists; move it away or name "
                "another with --key-file\n", key_path);
        return EXIT_FAILURE_;
    }
    sinspace_store *store = NULL;
    sinspace_status st = sinspace_store_create(c->ctx, db, &store);
    if (st)
        return cli_fail(c, st);
    st = sinspace_network_key_init(store, key_file);
    sinspace_store_close(store);
    if (st) {
        int rc = cli_fail(c, st);
        /* No half-made store: the database goes with its key. */
        remove(db);
        return rc;
    }
    if (!c->quiet)
        fprintf(stderr, "sinspace: created %s (schema %d, mode 0600) and its key "
                "file %s (mode 0600; back it up apart from the database)\n",
                db, SINSPACE_SCHEMA_VERSION, key_path);
    return EXIT_OK;
}

const cli_command cmd_init = {
    "init", "create a new, private sinspace database",
    "Usage: sinspace init DB [--key-file KEY]\n\n"
    "Creates DB, a SpatiaLite 5 database that QGIS and ogrinfo open as it is,\n"
    "with mode 0600 whatever the umask.  It holds the sector and indicator\n"
    "catalogues and the map layers of layers/.  Fails if DB exists.\n\n"
    "Also creates the key file that seals responders' contact details\n"
    "(DB.key, or KEY, or $SINSPACE_KEY_FILE; mode 0600).  Fails if that file\n"
    "exists.  Keep a backup of it apart from the database: without it the\n"
    "contacts read 'withheld' (docs/network.md).\n",
    run};
