/* cmd_export.c: sinspace export DB LAYER -o FILE: parses the options and
 * calls sinspace_export(); the region and filter options are
 * cli_select.c's, shared with query. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
run(cli *c, int argc, char **argv)
{
    const cli_command *cmd = &cmd_export;
    enum { O_AUDIENCE = CLI_OPT_OWN, O_FORMAT, O_PRECISION, O_BBOX_MEMBER,
           O_AGGREGATE, O_LEVEL, O_MIN_COUNT, O_OVERWRITE, O_CONTACTS, O_KEY_FILE };
    static const struct option own[] = {
        {"output", required_argument, NULL, 'o'},
        {"overwrite", no_argument, NULL, O_OVERWRITE},
        {"audience", required_argument, NULL, O_AUDIENCE},
        {"format", required_argument, NULL, O_FORMAT},
        {"precision", required_argument, NULL, O_PRECISION},
        {"bbox-member", no_argument, NULL, O_BBOX_MEMBER},
        {"aggregate", no_argument, NULL, O_AGGREGATE},
        {"level", required_argument, NULL, O_LEVEL},
        {"min-count", required_argument, NULL, O_MIN_COUNT},
        {"contacts", no_argument, NULL, O_CONTACTS},
        {"key-file", required_argument, NULL, O_KEY_FILE},
        {NULL, 0, NULL, 0}};
    struct option longopts[32];
    cli_select_longopts(longopts, sizeof longopts / sizeof *longopts, own, NULL);
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    const char *output = NULL;
    int opt, rc = EXIT_OK;
    cli_select sel;
    if (cli_select_init(&sel, argc) < 0)
        return EXIT_FAILURE_;
    char *end;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case O_OVERWRITE: o.overwrite = 1; break;
        case O_CONTACTS: o.contacts = 1; break;   /* responders, internal */
        case O_KEY_FILE: o.key_file = optarg; break;
        case O_AUDIENCE:
            /* Exact names only: internal must be spelled out. */
            o.audience = sinspace_audience_parse(optarg);
            if (o.audience == SINSPACE_AUDIENCE_INVALID) {
                rc = cli_usage_error(cmd, "--audience takes public, partner or "
                                     "internal, not '%s'", optarg);
                goto out;
            }
            break;
        case O_FORMAT:
            o.format = sinspace_export_format_parse(optarg);
            if (o.format == SINSPACE_FORMAT_INVALID) {
                rc = cli_usage_error(cmd, "--format takes %s; not '%s'",
                                     sinspace_export_format_list(), optarg);
                goto out;
            }
            break;
        case O_PRECISION:
            errno = 0;
            o.precision = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || errno || o.precision < 0 ||
                o.precision > 15) {
                rc = cli_usage_error(cmd, "--precision takes 0 to 15, not '%s'",
                                     optarg);
                goto out;
            }
            break;
        case O_BBOX_MEMBER: o.bbox_member = 1; break;
        case O_AGGREGATE: o.aggregate = 1; break;
        case O_LEVEL:
            o.level = sinspace_area_level_parse(optarg);
            if (o.level == SINSPACE_LEVEL_INVALID) {
                rc = cli_usage_error(cmd, "--level takes country, province, "
                                     "district, subdistrict or village, not '%s'",
                                     optarg);
                goto out;
            }
            break;
        case O_MIN_COUNT:
            errno = 0;
            o.min_count = strtoll(optarg, &end, 10);
            if (*end || end == optarg || errno || o.min_count < 1) {
                rc = cli_usage_error(cmd, "--min-count takes a whole number of at "
                                     "least 1, not '%s'", optarg);
                goto out;
            }
            break;
        default:
            if ((rc = cli_select_option(c, cmd, &sel, opt, optarg)) < 0)
                rc = cli_usage_error(cmd, "bad option");
            if (rc)
                goto out;
        }
    }
    if (argc - optind != 2) {
        rc = cli_usage_error(cmd, "expected DB and LAYER");
        goto out;
    }
    if (!output) {
        rc = cli_usage_error(cmd, "-o FILE is required ('-o -' for stdout)");
        goto out;
    }
    o.layer = sinspace_export_layer_parse(argv[optind + 1]);
    if (o.layer == SINSPACE_EXPORT_LAYER_INVALID) {
        rc = cli_usage_error(cmd, "LAYER is one of workplaces, observations, "
                             "areas, zones, fences, tiles; not '%s'",
                             argv[optind + 1]);
        goto out;
    }
    if ((rc = cli_select_check(cmd, &sel, 0)) ||
        (rc = cli_select_distances(c, cmd, &sel)))
        goto out;

    sinspace_store *store = NULL;
    /* Read-write: the export is written to the audit trail. */
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto out;
    sinspace_region *region = NULL;
    sinspace_status st = cli_select_region(c, store, &sel, &region);
    o.region = region;
    o.filter = sel.have_filter ? &sel.filter : NULL;
    sinspace_export_result r;
    if (!st)
        st = sinspace_export(store, output, &o, &r);
    cli_progress_done(c);
    if (st) {
        rc = cli_fail(c, st);
    } else if (!c->quiet) {
        fprintf(stderr, "sinspace: exported %lld %s (%s, audience %s) to %s",
                r.rows, o.aggregate ? "areas" : sinspace_export_layer_name(o.layer),
                sinspace_export_format_name(r.format),
                sinspace_audience_name(o.audience),
                strcmp(output, "-") ? output : "stdout");
        if (r.displaced)
            fprintf(stderr, "; %lld points displaced", r.displaced);
        if (r.suppressed)
            fprintf(stderr, "; %lld withheld (fewer than %lld workplaces)",
                    r.suppressed, o.min_count);
        fputc('\n', stderr);
    }
    sinspace_region_destroy(region);
    sinspace_store_close(store);
out:
    cli_select_free(&sel);
    return rc;
}

const cli_command cmd_export = {
    "export", "export a layer as GeoJSON, GPKG, Shapefile, KML, FlatGeobuf, CSV",
    "Usage: sinspace export DB LAYER -o FILE [options]\n\n"
    "Writes LAYER (workplaces, observations, areas, zones, fences, tiles,\n"
    "responders) to\n"
    "FILE, feature by feature, mode 0600; '-o -' writes GeoJSON to stdout.\n"
    "An existing FILE is kept (exit status 1) unless --overwrite is given.\n"
    "The format comes from FILE's extension (.geojson .geojsons .geojsonl .gpkg\n"
    ".shp .kml .fgb .csv) or --format.  Every export is recorded in the audit\n"
    "trail.  See docs/export.md.\n\n"
    "Audiences (default public, the safest):\n"
    "  public    no names, addresses, sources, notes or observers; workplace\n"
    "            points displaced 100 m..2 km (urban), ..5 km (rural; 1 in 100\n"
    "            up to 10 km) inside their district, the same way every time;\n"
    "            area and zone counts below --min-count withheld\n"
    "  partner   exact points, names, sector, risk and class; no sources,\n"
    "            notes, observers or addresses\n"
    "  internal  everything (must be spelled out)\n\n"
    "Options:\n"
    "  -o, --output FILE     the file to write (- for stdout)\n"
    "  --overwrite           replace FILE (a Shapefile: its parts) if it exists\n"
    "  --audience A          public, partner or internal\n"
    "  --format F            GeoJSON, GeoJSONSeq (RFC 8142), GPKG (GeoPackage),\n"
    "                        ESRI Shapefile, KML, FlatGeobuf, CSV, as GDAL\n"
    "                        names them (short or long name, any case)\n"
    "  --precision N         GeoJSON coordinate decimals (default 6)\n"
    "  --bbox-member         GeoJSON bbox on features and the collection\n"
    "  --aggregate           workplaces: counts and mean risk per area instead\n"
    "                        of points\n"
    "  --level LEVEL         area level for --aggregate (default district)\n"
    "  --min-count K         public: withhold counts below K (default 5)\n"
    "REGION (at most one; default: the whole layer):\n"
    "  --within FILE        a polygon file: GeoJSON, WKT, any OGR source\n"
    "    --srs CRS          CRS of FILE when it declares none\n"
    "    --make-valid       repair an invalid polygon instead of refusing it\n"
    "  --area NAME|CODE     an administrative area\n"
    "  --fence NAME         a saved fence\n"
    "  --zone ID            a computed zone\n"
    "  --near LON,LAT --radius DIST   within DIST (500m, 2km), geodesic\n"
    "  --bbox W,S,E,N       a lon/lat box\n"
    "  --buffer DIST        grow the region by DIST\n"
    "Workplaces and observations: workplaces inside the region; other layers:\n"
    "features whose geometry intersects it.\n\n"
    "FILTERS (workplaces and observations), as in query:\n"
    "  --min-risk X  --class low,medium,high,unscored  --sector S1,S2 (any\n"
    "  case; --class and --sector may also be repeated)  --status\n"
    "  active|closed|unknown  --seen-since DATE  --changed-since DATE\n"
    "  --limit N  --sort risk|name|distance|id (distance: --near)\n",
    run};
