/* cmd_indicators.c: sinspace indicators DB [--load FILE]. */
#include "cli.h"

static int
print_indicator(void *user, const sinspace_indicator_desc *i)
{
    (void)user;
    printf("i%02d  %-28s %-14s %4.2f  %s\n", i->position, i->code, i->domain,
           i->weight, i->name);
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"load", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    const char *load = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt != 'l')
            return cli_usage_error(&cmd_indicators, "bad option");
        load = optarg;
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_indicators, "expected one database path");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind],
                      load ? SINSPACE_OPEN_READWRITE : SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    sinspace_status st = SINSPACE_OK;
    if (load) {
        st = sinspace_import_indicators(store, load);
        if (!st && !c->quiet)
            fprintf(stderr, "sinspace: loaded %s; risk recomputed\n", load);
    } else {
        printf("col  %-28s %-14s %-5s name\n", "code", "domain", "weight");
        st = sinspace_store_indicators(store, print_indicator, NULL);
    }
    rc = st ? cli_fail(c, st) : EXIT_OK;
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_indicators = {
    "indicators", "list the 28 risk indicators, or load your own catalogue",
    "Usage: sinspace indicators DB [--load FILE.csv]\n\n"
    "Without --load, lists the catalogue: CSV column (i01..i28), code, domain,\n"
    "weight and name.  With --load, replaces it with FILE.csv (columns\n"
    "position,code,name,domain,weight,description; all 28 positions) and\n"
    "recomputes every risk score with the new weights.\n\n"
    "Risk score: the weighted mean of the scored indicators of a workplace's\n"
    "latest observation, 1.0..3.0; classes low < 1.667 <= medium < 2.333 <= high.\n",
    run};
