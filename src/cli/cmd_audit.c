/* cmd_audit.c: sinspace audit DB [--since DATE]. */
#include "cli.h"

static int
print_entry(void *user, const sinspace_audit_entry *e)
{
    (void)user;
    printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t", e->id, e->at, e->user, e->command,
           e->target ? e->target : "-", e->audience ? e->audience : "-",
           e->filters ? e->filters : "-");
    if (e->rows >= 0)
        printf("%lld\n", e->rows);
    else
        printf("-\n");
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    const char *since = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt != 's')
            return cli_usage_error(&cmd_audit, "bad option");
        since = optarg;
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_audit, "expected one database path");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    printf("id\tat\tuser\tcommand\ttarget\taudience\tfilters\trows\n");
    sinspace_status st = sinspace_audit_list(store, since, print_entry, NULL);
    rc = st ? cli_fail(c, st) : EXIT_OK;
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_audit = {
    "audit", "list the audit trail of imports, queries, exports and maps",
    "Usage: sinspace audit DB [--since DATE]\n\n"
    "Prints one tab-separated line per recorded operation, oldest first:\n"
    "id, time (UTC), OS user, command, target, audience, filters, rows.\n"
    "--since takes an ISO date or time (e.g. 2026-11-01).\n",
    run};
