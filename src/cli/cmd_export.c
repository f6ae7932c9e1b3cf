/* cmd_export.c: sinspace export DB LAYER -o FILE. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Until the query module lands, regions and filters are optional at link
 * time: the command refuses them when it is absent. */
#pragma weak sinspace_region_from_area
#pragma weak sinspace_region_from_file
#pragma weak sinspace_region_from_fence
#pragma weak sinspace_region_destroy
#pragma weak sinspace_filter_init

#define MAX_SECTORS 32

static int
run(cli *c, int argc, char **argv)
{
    enum { O_AUDIENCE = 256, O_FORMAT, O_PRECISION, O_BBOX, O_AGGREGATE,
           O_LEVEL, O_MIN_COUNT, O_AREA, O_WITHIN, O_FENCE, O_SRS, O_MIN_RISK,
           O_CLASS, O_SECTOR, O_STATUS, O_SEEN_SINCE, O_CHANGED_SINCE, O_LIMIT };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"audience", required_argument, NULL, O_AUDIENCE},
        {"format", required_argument, NULL, O_FORMAT},
        {"precision", required_argument, NULL, O_PRECISION},
        {"bbox-member", no_argument, NULL, O_BBOX},
        {"aggregate", no_argument, NULL, O_AGGREGATE},
        {"level", required_argument, NULL, O_LEVEL},
        {"min-count", required_argument, NULL, O_MIN_COUNT},
        {"area", required_argument, NULL, O_AREA},
        {"within", required_argument, NULL, O_WITHIN},
        {"fence", required_argument, NULL, O_FENCE},
        {"srs", required_argument, NULL, O_SRS},
        {"min-risk", required_argument, NULL, O_MIN_RISK},
        {"class", required_argument, NULL, O_CLASS},
        {"sector", required_argument, NULL, O_SECTOR},
        {"status", required_argument, NULL, O_STATUS},
        {"seen-since", required_argument, NULL, O_SEEN_SINCE},
        {"changed-since", required_argument, NULL, O_CHANGED_SINCE},
        {"limit", required_argument, NULL, O_LIMIT},
        {NULL, 0, NULL, 0}};
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    const char *output = NULL, *area = NULL, *within = NULL, *fence = NULL,
               *srs = NULL;
    int n_regions = 0, have_filter = 0;
    /* Filter values, copied into a sinspace_filter once parsed. */
    double min_risk = NAN;
    unsigned classes = 0;
    const char *sectors[MAX_SECTORS];
    size_t n_sectors = 0;
    char *sector_copy[MAX_SECTORS];
    size_t n_copies = 0;
    const char *status = NULL, *seen_since = NULL, *changed_since = NULL;
    long long limit = 0;
    int opt, rc = EXIT_OK;
    char *end;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case O_AUDIENCE:
            /* Exact names only: internal must be spelled out. */
            o.audience = sinspace_audience_parse(optarg);
            if (o.audience == SINSPACE_AUDIENCE_INVALID) {
                rc = cli_usage_error(&cmd_export, "--audience takes public, "
                                     "partner or internal, not '%s'", optarg);
                goto done;
            }
            break;
        case O_FORMAT:
            o.format = sinspace_export_format_parse(optarg);
            if (o.format == SINSPACE_FORMAT_INVALID) {
                rc = cli_usage_error(&cmd_export, "--format takes GeoJSON, "
                                     "GeoJSONSeq, GPKG, Shapefile, KML, FlatGeobuf "
                                     "or CSV, not '%s'", optarg);
                goto done;
            }
            break;
        case O_PRECISION:
            o.precision = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o.precision < 0 || o.precision > 15) {
                rc = cli_usage_error(&cmd_export, "--precision takes 0..15");
                goto done;
            }
            break;
        case O_BBOX: o.bbox_member = 1; break;
        case O_AGGREGATE: o.aggregate = 1; break;
        case O_LEVEL:
            o.level = sinspace_area_level_parse(optarg);
            if (o.level == SINSPACE_LEVEL_INVALID) {
                rc = cli_usage_error(&cmd_export, "--level takes country, "
                                     "province, district, subdistrict or village");
                goto done;
            }
            break;
        case O_MIN_COUNT:
            o.min_count = strtoll(optarg, &end, 10);
            if (*end || end == optarg || o.min_count < 1) {
                rc = cli_usage_error(&cmd_export, "--min-count takes a whole "
                                     "number of at least 1");
                goto done;
            }
            break;
        case O_AREA: area = optarg; n_regions++; break;
        case O_WITHIN: within = optarg; n_regions++; break;
        case O_FENCE: fence = optarg; n_regions++; break;
        case O_SRS: srs = optarg; break;
        case O_MIN_RISK:
            min_risk = strtod(optarg, &end);
            if (*end || end == optarg || !(min_risk >= 1.0 && min_risk <= 3.0)) {
                rc = cli_usage_error(&cmd_export, "--min-risk takes 1.0..3.0");
                goto done;
            }
            have_filter = 1;
            break;
        case O_CLASS: {
            char *copy = strdup(optarg), *save = NULL;
            if (!copy) {
                rc = EXIT_FAILURE_;
                goto done;
            }
            for (char *t = strtok_r(copy, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                sinspace_risk_class k = sinspace_risk_class_parse(t);
                if (k == SINSPACE_RISK_NONE) {
                    free(copy);
                    rc = cli_usage_error(&cmd_export, "--class takes low, "
                                         "medium, high (comma-separated)");
                    goto done;
                }
                classes |= 1u << k;
            }
            free(copy);
            have_filter = 1;
            break;
        }
        case O_SECTOR: {
            if (n_copies >= MAX_SECTORS) {
                rc = cli_usage_error(&cmd_export, "too many --sector options");
                goto done;
            }
            char *copy = strdup(optarg), *save = NULL;
            if (!copy) {
                rc = EXIT_FAILURE_;
                goto done;
            }
            sector_copy[n_copies++] = copy;
            for (char *t = strtok_r(copy, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                if (n_sectors >= MAX_SECTORS) {
                    rc = cli_usage_error(&cmd_export, "too many sectors");
                    goto done;
                }
                sectors[n_sectors++] = t;
            }
            have_filter = 1;
            break;
        }
        case O_STATUS: status = optarg; have_filter = 1; break;
        case O_SEEN_SINCE: seen_since = optarg; have_filter = 1; break;
        case O_CHANGED_SINCE: changed_since = optarg; have_filter = 1; break;
        case O_LIMIT:
            limit = strtoll(optarg, &end, 10);
            if (*end || end == optarg || limit < 1) {
                rc = cli_usage_error(&cmd_export, "--limit takes a positive number");
                goto done;
            }
            have_filter = 1;
            break;
        default:
            rc = cli_usage_error(&cmd_export, "bad option");
            goto done;
        }
    }
    if (argc - optind != 2) {
        rc = cli_usage_error(&cmd_export, "expected DB and LAYER");
        goto done;
    }
    if (!output) {
        rc = cli_usage_error(&cmd_export, "-o FILE is required (- for stdout)");
        goto done;
    }
    o.layer = sinspace_export_layer_parse(argv[optind + 1]);
    if (o.layer == SINSPACE_EXPORT_LAYER_INVALID) {
        rc = cli_usage_error(&cmd_export, "LAYER is one of workplaces, "
                             "observations, areas, zones, fences, tiles; not '%s'",
                             argv[optind + 1]);
        goto done;
    }
    if (n_regions > 1) {
        rc = cli_usage_error(&cmd_export, "give one of --area, --within, --fence");
        goto done;
    }
    if ((n_regions || have_filter) && !sinspace_filter_init) {
        fprintf(stderr, "sinspace export: regions and filters need the query "
                "module, which this build lacks\n");
        rc = EXIT_FAILURE_;
        goto done;
    }

    sinspace_store *store = NULL;
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto done;
    sinspace_region *region = NULL;
    sinspace_status st = SINSPACE_OK;
    if (area)
        st = sinspace_region_from_area(store, area, &region);
    else if (within)
        st = sinspace_region_from_file(c->ctx, within, srs, 0, &region);
    else if (fence)
        st = sinspace_region_from_fence(store, fence, &region);
    sinspace_filter filter;
    if (!st && have_filter) {
        sinspace_filter_init(&filter);
        filter.min_risk = min_risk;
        filter.classes = classes;
        filter.sectors = n_sectors ? sectors : NULL;
        filter.n_sectors = n_sectors;
        filter.status = status;
        filter.seen_since = seen_since;
        filter.changed_since = changed_since;
        filter.limit = limit;
        o.filter = &filter;
    }
    o.region = region;
    sinspace_export_result r;
    if (!st)
        st = sinspace_export(store, output, &o, &r);
    cli_progress_done(c);
    if (st) {
        rc = cli_fail(c, st);
    } else if (!c->quiet) {
        fprintf(stderr, "sinspace: exported %lld %s (%s, audience %s) to %s",
                r.rows, sinspace_export_layer_name(o.layer),
                sinspace_export_format_name(r.format),
                sinspace_audience_name(o.audience),
                strcmp(output, "-") ? output : "stdout");
        if (r.displaced)
            fprintf(stderr, "; %lld points displaced", r.displaced);
        if (r.suppressed)
            fprintf(stderr, "; %lld counts withheld", r.suppressed);
        fputc('\n', stderr);
    }
    if (region)
        sinspace_region_destroy(region);
    sinspace_store_close(store);
done:
    for (size_t i = 0; i < n_copies; i++)
        free(sector_copy[i]);
    return rc;
}

const cli_command cmd_export = {
    "export", "export a layer as GeoJSON, GPKG, Shapefile, KML, FlatGeobuf, CSV",
    "Usage: sinspace export DB LAYER -o FILE [options]\n\n"
    "Writes LAYER (workplaces, observations, areas, zones, fences, tiles) to\n"
    "FILE, feature by feature, mode 0600; '-o -' writes GeoJSON to stdout.\n"
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
    "  --audience A          public, partner or internal\n"
    "  --format F            GeoJSON, GeoJSONSeq (RFC 8142), GPKG, Shapefile,\n"
    "                        KML, FlatGeobuf, CSV\n"
    "  --precision N         GeoJSON coordinate decimals (default 6)\n"
    "  --bbox-member         GeoJSON bbox on features and the collection\n"
    "  --aggregate           workplaces: counts and mean risk per area instead\n"
    "                        of points\n"
    "  --level LEVEL         area level for --aggregate (default district)\n"
    "  --min-count K         public: withhold counts below K (default 5)\n"
    "Region (one of):\n"
    "  --area NAME           an administrative area by code or name\n"
    "  --within FILE         a polygon file (GeoJSON, WKT, any OGR source)\n"
    "  --srs CRS             CRS of --within FILE when it declares none\n"
    "  --fence NAME          a saved fence\n"
    "Filters (workplaces and observations), as in query:\n"
    "  --min-risk R  --class low,medium,high  --sector CODE[,CODE]\n"
    "  --status active|closed|unknown  --seen-since DATE  --changed-since DATE\n"
    "  --limit N\n",
    run};
