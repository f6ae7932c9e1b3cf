/* cmd_key.c: sinspace key create|rotate|path: the key file that seals the
 * network's contact details (docs/network.md). */
#include "cli.h"

#include <string.h>

static int
key_action(cli *c, int argc, char **argv, const char *action)
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
            return cli_usage_error(&cmd_key, "bad option");
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_key, "key %s takes DB", action);
    const char *db = argv[optind];
    char path[4096];
    if (sinspace_network_key_path(db, key_file, path, sizeof path))
        return cli_usage_error(&cmd_key, "key file path too long");
    if (!strcmp(action, "path")) {
        printf("%s\n", path);
        return EXIT_OK;
    }
    sinspace_store *store = NULL;
    int rc = cli_open(c, db, SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_status st;
    if (!strcmp(action, "create")) {
        int created = 0;
        st = sinspace_network_key_create(store, key_file, &created);
        if (!st && !c->quiet)
            fprintf(stderr, created ? "sinspace: created key file %s (mode 0600); "
                                      "back it up apart from the database\n"
                                    : "sinspace: key file %s opens the store; "
                                      "nothing to create\n", path);
    } else {
        long long n = 0;
        st = sinspace_network_key_rotate(store, key_file, &n);
        if (!st && !c->quiet)
            fprintf(stderr, "sinspace: %lld responder%s re-sealed under a new key "
                    "in %s; back it up now (the old key no longer opens them)\n",
                    n, n == 1 ? "" : "s", path);
    }
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
    return rc;
}

static int
run(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_key, "expected create, rotate or path");
    const char *action = argv[1];
    if (!strcmp(action, "create") || !strcmp(action, "rotate") ||
        !strcmp(action, "path"))
        return key_action(c, argc - 1, argv + 1, action);
    return cli_usage_error(&cmd_key, "unknown action '%s': expected create, "
                           "rotate or path", action);
}

const cli_command cmd_key = {
    "key", "create or rotate the key that seals responders' contacts",
    "Usage: sinspace key create DB [--key-file KEY]\n"
    "       sinspace key rotate DB [--key-file KEY]\n"
    "       sinspace key path DB [--key-file KEY]\n\n"
    "The key file (DB.key beside the database unless --key-file or\n"
    "SINSPACE_KEY_FILE names another; mode 0600) seals the phone, email and\n"
    "contact of every responder with AES-256-GCM.  sinspace init creates it.\n\n"
    "create  writes a new key when there is none (a store whose contacts are\n"
    "        sealed under a missing key is refused: restore that key instead),\n"
    "        or adopts an existing key file for a store that has none yet.\n"
    "rotate  re-seals every contact under a new key in one transaction, then\n"
    "        moves the new key over the old file atomically (KEY.new until it\n"
    "        is in place).  Back the new key up at once.\n"
    "path    prints the key file the store uses.\n\n"
    "Exit status: 0 ok, 1 failure (also a key that does not open the store's\n"
    "contacts), 2 usage.\n",
    run};
