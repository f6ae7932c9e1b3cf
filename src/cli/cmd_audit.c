/* cmd_audit.c: sinspace audit DB [--since WHEN] [--until WHEN]. */
#include "cli.h"

#include <string.h>

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

/* A --since or --until value, checked before the store is opened. */
static int
check_time(const char *option, const char *value, int end_of_day,
           char out[21])
{
    char why[160];
    if (sinspace_audit_time_parse(value, end_of_day, out, why, sizeof why))
        return cli_usage_error(&cmd_audit, "%s: %s", option, why);
    return EXIT_OK;
}

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {NULL, 0, NULL, 0}};
    const char *since = NULL, *until = NULL;
    char from[21], to[21];
    int opt, rc;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == 's' && !since) {
            since = optarg;
            if ((rc = check_time("--since", optarg, 0, from)))
                return rc;
        } else if (opt == 'u' && !until) {
            until = optarg;
            if ((rc = check_time("--until", optarg, 1, to)))
                return rc;
        } else if (opt == 's' || opt == 'u') {
            return cli_usage_error(&cmd_audit, "--%s given twice",
                                   opt == 's' ? "since" : "until");
        } else {
            return cli_usage_error(&cmd_audit, "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_audit, "expected one database path");
    if (since && until && strcmp(from, to) > 0)
        return cli_usage_error(&cmd_audit, "--since %s is after --until %s",
                               since, until);
    sinspace_store *store = NULL;
    rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    printf("id\tat\tuser\tcommand\ttarget\taudience\tfilters\trows\n");
    sinspace_status st = sinspace_audit_list_range(store, since, until,
                                                   print_entry, NULL);
    rc = st ? cli_fail(c, st) : EXIT_OK;
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_audit = {
    "audit", "list the audit trail of imports, queries, exports and maps",
    "Usage: sinspace audit DB [--since WHEN] [--until WHEN]\n\n"
    "Prints one tab-separated line per recorded operation, oldest first:\n"
    "id, time (UTC), OS user, command, target, audience, filters, rows.\n"
    "WHEN is a date (2026-11-01) or an ISO 8601 time (2026-11-01T08:30:00Z,\n"
    "2026-11-01T15:30+07:00; without Z or an offset, UTC).  --since keeps\n"
    "operations at or after it, --until at or before it; a date given to\n"
    "--until covers that whole day.  Anything else is refused (exit 2).\n",
    run};
