/* cmd_query.c: sinspace query DB REGION [FILTERS]: the workplaces inside a
 * region, as a table with a summary, CSV, GeoJSON, JSON or ids.
 *
 * Parsing only: the region and filter options are cli_select.c's, the
 * output and its audit row sinspace_query_write()'s (sinspace/query.h). */
#include "cli.h"

#include <string.h>
#include <sys/stat.h>

/* --explain: how the index and the exact test narrowed the query. */
static void
explain(sinspace_store *store, const sinspace_region *region,
        const sinspace_query_result *r)
{
    sinspace_store_info info;
    long long total = sinspace_store_info_get(store, &info) ? -1 : info.workplaces;
    fprintf(stderr, "explain: region: %s\n", sinspace_region_describe(region));
    fprintf(stderr, "explain: index candidates: %lld of %lld workplaces "
            "(R*Tree idx_workplaces_geom, one box per polygon part)\n",
            r->stats.candidates, total);
    if (r->stats.exact >= 0)
        fprintf(stderr, "explain: decided by the index's cell grid: %lld;"
                " points read for the exact test: %lld\n",
                r->stats.candidates - r->stats.exact, r->stats.exact);
    fprintf(stderr, "explain: inside the region: %lld\n", r->stats.inside);
    fprintf(stderr, "explain: after filters and limit: %lld\n", r->stats.matched);
    /* The query and its output, without the process's start (loading
     * GDAL's libraries) or opening the store. */
    fprintf(stderr, "explain: query and output took %.3f s\n", r->seconds);
}

static int
run(cli *c, int argc, char **argv)
{
    enum { O_FORMAT = CLI_OPT_OWN, O_INTERNAL, O_EXPLAIN, O_OVERWRITE };
    static const struct option own[] = {
        {"format", required_argument, NULL, O_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"overwrite", no_argument, NULL, O_OVERWRITE},
        {"internal", no_argument, NULL, O_INTERNAL},
        {"explain", no_argument, NULL, O_EXPLAIN},
        {NULL, 0, NULL, 0}};
    struct option longopts[32];
    cli_select_longopts(longopts, sizeof longopts / sizeof *longopts, NULL, own);
    const cli_command *cmd = &cmd_query;
    const char *output = NULL;
    int internal = 0, want_explain = 0, overwrite = 0;
    sinspace_query_format format = SINSPACE_QUERY_TABLE;
    cli_select sel;
    if (cli_select_init(&sel, argc) < 0)
        return EXIT_FAILURE_;
    int rc = EXIT_OK, opt;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case O_FORMAT:
            format = sinspace_query_format_parse(optarg);
            if (format == SINSPACE_QUERY_FORMAT_INVALID) {
                rc = cli_usage_error(cmd, "--format takes table, csv, geojson, "
                                     "json or ids, not '%s'", optarg);
                goto out;
            }
            break;
        case 'o': output = optarg; break;
        case O_OVERWRITE: overwrite = 1; break;
        case O_INTERNAL: internal = 1; break;
        case O_EXPLAIN: want_explain = 1; break;
        default:
            if ((rc = cli_select_option(c, cmd, &sel, opt, optarg)) < 0)
                rc = cli_usage_error(cmd, "bad option");
            if (rc)
                goto out;
        }
    }
    if (argc - optind != 1) {
        rc = cli_usage_error(cmd, "expected one database path");
        goto out;
    }
    if ((rc = cli_select_check(cmd, &sel, 1)))
        goto out;
    if (output) {
        /* Renaming the output over the database would destroy it. */
        struct stat so, sd;
        if (stat(output, &so) == 0 && stat(argv[optind], &sd) == 0 &&
            so.st_dev == sd.st_dev && so.st_ino == sd.st_ino) {
            rc = cli_usage_error(cmd, "-o %s is the database itself", output);
            goto out;
        }
    }
    if ((rc = cli_select_distances(c, cmd, &sel)))
        goto out;

    sinspace_store *store = NULL;
    /* Read-write: the query is written to the audit trail. */
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto out;
    sinspace_region *region = NULL;
    sinspace_query_result r;
    sinspace_status st = cli_select_region(c, store, &sel, &region);
    if (!st)
        st = sinspace_query_write(store, region, &sel.filter, format,
                                  (internal ? SINSPACE_QUERY_INTERNAL : 0) |
                                      (overwrite ? SINSPACE_QUERY_OVERWRITE : 0),
                                  output, &r);
    cli_progress_done(c);
    if (st) {
        rc = cli_fail(c, st);
    } else {
        if (r.rows == 0 && format != SINSPACE_QUERY_TABLE && !c->quiet)
            fprintf(stderr, "sinspace: 0 workplaces\n");
        if (output && !c->quiet)
            fprintf(stderr, "sinspace: %lld workplace%s written to %s\n", r.rows,
                    r.rows == 1 ? "" : "s", output);
        if (sel.filter.hotspots && !c->quiet) {
            sinspace_emerging_run er;
            int found = 0;
            if (!sinspace_emerging_latest(store, &er, &found) && found)
                fprintf(stderr, "sinspace: --hotspot: categories of emerging run %lld "
                        "(%s, %s steps %s to %s, band %.0f m, %s)\n", er.id,
                        er.computed_at, er.step, er.first_step, er.last_step,
                        er.band_m, *er.region ? er.region : "everywhere");
        }
        if (want_explain)
            explain(store, region, &r);
    }
    sinspace_region_destroy(region);
    sinspace_store_close(store);
out:
    cli_select_free(&sel);
    return rc;
}

const cli_command cmd_query = {
    "query", "list the workplaces inside a region, with filters",
    "Usage: sinspace query DB REGION [FILTERS] [--format F] [-o FILE]\n\n"
    "Lists the workplaces whose point lies inside REGION (a point on the\n"
    "boundary counts as inside; holes and multipolygons are honoured), one\n"
    "row each: id, name, sector, risk, class, lon, lat, area, last seen\n"
    "(and distance with --near).  See docs/query.md.\n\n"
    "REGION (exactly one):\n"
    "  --within FILE        a polygon: GeoJSON (Polygon, MultiPolygon, Feature,\n"
    "                       FeatureCollection), WKT or EWKT, or any OGR source\n"
    "    --srs CRS          CRS of FILE when it declares none (e.g. EPSG:32647)\n"
    "    --make-valid       repair an invalid polygon instead of refusing it\n"
    "  --area NAME|CODE     an administrative area by code, Latin or local name\n"
    "  --fence NAME         a saved fence (sinspace fence)\n"
    "  --zone ID            a computed zone\n"
    "  --near LON,LAT --radius DIST   within DIST (500m, 2km) by geodesic distance\n"
    "  --bbox W,S,E,N       a lon/lat box\n"
    "  --buffer DIST        grow the region by DIST metres (500m, 1km)\n\n"
    "FILTERS:\n"
    "  --min-risk X         risk at least X (1.0 to 3.0)\n"
    "  --class C            low, medium, high or unscored; C1,C2 or repeated\n"
    "  --sector S           a sector code, any case (see: sinspace sectors);\n"
    "                       S1,S2 or repeated\n"
    "  --status S           active, closed or unknown\n"
    "  --seen-since DATE    last seen on or after DATE (YYYY-MM-DD)\n"
    "  --changed-since DATE risk rose since DATE: the current risk is above the\n"
    "                       latest observation on or before DATE (workplaces\n"
    "                       not observed by DATE are left out)\n"
    "  --limit N            at most N rows\n"
    "  --sort KEY           risk (highest first), name, distance (--near), id\n"
    "  --hotspot CATS       the category in the latest emerging hot-spot run\n"
    "                       (sinspace hotspots DB --emerging): new, consecutive,\n"
    "                       intensifying, persistent, diminishing, sporadic,\n"
    "                       oscillating, historical (hot spots), new-cold ...\n"
    "                       historical-cold (cold spots), none; C1,C2 or repeated\n\n"
    "OUTPUT:\n"
    "  --format F           table (default: rows, then a summary per sector and\n"
    "                       class), csv (header row, no summary), geojson\n"
    "                       (RFC 7946 points), json (rows and summary), ids\n"
    "                       (the workplaces' own ids, the id column of the\n"
    "                       other formats, one a line)\n"
    "  -o, --output FILE    write to FILE (created mode 0600) instead of stdout\n"
    "  --overwrite          replace FILE if it exists (without it an existing\n"
    "                       FILE is kept and the query fails, exit status 1)\n"
    "  --internal           also output address, source and source note: these\n"
    "                       personal and source fields are left out otherwise;\n"
    "                       the audit trail records internal queries as such\n"
    "  --explain            on stderr: index candidates, rows inside, rows kept\n\n"
    "Every query is written to the audit trail (user, region, filters, rows).\n"
    "Exit status: 0 ok (also for 0 workplaces), 1 failure (e.g. unknown area or\n"
    "fence), 2 usage (bad option value, ambiguous area name), 3 invalid region\n"
    "file (the reason from GEOS is shown).\n",
    run};
