/* cmd_export.c: sinspace export DB LAYER -o FILE. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* "a,b" or "a,b,c,d" into n doubles. */
static int
parse_list(const char *s, double *v, int n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    int i = 0;
    for (; tok && i < n; i++, tok = strtok_r(NULL, ",", &save))
        if (parse_number(tok, &v[i]) < 0)
            return -1;
    return (i == n && !tok) ? 0 : -1;
}

static int
add_classes(const char *s, unsigned *classes)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        sinspace_risk_class k = sinspace_risk_class_parse(tok);
        if (k == SINSPACE_RISK_NONE && strcmp(tok, "unscored"))
            return -1;
        *classes |= 1u << k;
    }
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    const cli_command *cmd = &cmd_export;
    enum { O_AUDIENCE = 256, O_FORMAT, O_PRECISION, O_BBOX_MEMBER, O_AGGREGATE,
           O_LEVEL, O_MIN_COUNT, O_WITHIN, O_SRS, O_MAKE_VALID, O_AREA, O_FENCE,
           O_ZONE, O_NEAR, O_RADIUS, O_BBOX, O_BUFFER, O_MIN_RISK, O_CLASS,
           O_SECTOR, O_STATUS, O_SEEN, O_CHANGED, O_LIMIT };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"audience", required_argument, NULL, O_AUDIENCE},
        {"format", required_argument, NULL, O_FORMAT},
        {"precision", required_argument, NULL, O_PRECISION},
        {"bbox-member", no_argument, NULL, O_BBOX_MEMBER},
        {"aggregate", no_argument, NULL, O_AGGREGATE},
        {"level", required_argument, NULL, O_LEVEL},
        {"min-count", required_argument, NULL, O_MIN_COUNT},
        {"within", required_argument, NULL, O_WITHIN},
        {"srs", required_argument, NULL, O_SRS},
        {"make-valid", no_argument, NULL, O_MAKE_VALID},
        {"area", required_argument, NULL, O_AREA},
        {"fence", required_argument, NULL, O_FENCE},
        {"zone", required_argument, NULL, O_ZONE},
        {"near", required_argument, NULL, O_NEAR},
        {"radius", required_argument, NULL, O_RADIUS},
        {"bbox", required_argument, NULL, O_BBOX},
        {"buffer", required_argument, NULL, O_BUFFER},
        {"min-risk", required_argument, NULL, O_MIN_RISK},
        {"class", required_argument, NULL, O_CLASS},
        {"sector", required_argument, NULL, O_SECTOR},
        {"status", required_argument, NULL, O_STATUS},
        {"seen-since", required_argument, NULL, O_SEEN},
        {"changed-since", required_argument, NULL, O_CHANGED},
        {"limit", required_argument, NULL, O_LIMIT},
        {NULL, 0, NULL, 0}};
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    sinspace_filter filter;
    sinspace_filter_init(&filter);
    const char *output = NULL, *within = NULL, *area = NULL, *fence = NULL,
               *zone = NULL, *near = NULL, *radius = NULL, *bbox = NULL,
               *srs = NULL, *buffer = NULL;
    int make_valid = 0, n_regions = 0, have_filter = 0, opt, rc = EXIT_OK;
    const char **sectors = calloc((size_t)argc + 1, sizeof *sectors);
    if (!sectors)
        return EXIT_FAILURE_;
    char *end;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
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
                rc = cli_usage_error(cmd, "--format takes GeoJSON, GeoJSONSeq, "
                                     "GPKG, Shapefile, KML, FlatGeobuf or CSV, "
                                     "not '%s'", optarg);
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
        case O_WITHIN: within = optarg; n_regions++; break;
        case O_AREA: area = optarg; n_regions++; break;
        case O_FENCE: fence = optarg; n_regions++; break;
        case O_ZONE: zone = optarg; n_regions++; break;
        case O_NEAR: near = optarg; n_regions++; break;
        case O_BBOX: bbox = optarg; n_regions++; break;
        case O_SRS: srs = optarg; break;
        case O_MAKE_VALID: make_valid = 1; break;
        case O_RADIUS: radius = optarg; break;
        case O_BUFFER: buffer = optarg; break;
        case O_MIN_RISK:
            if (parse_number(optarg, &filter.min_risk) < 0 ||
                filter.min_risk < 1.0 || filter.min_risk > 3.0) {
                rc = cli_usage_error(cmd, "--min-risk takes a number from 1 to 3, "
                                     "not '%s'", optarg);
                goto out;
            }
            have_filter = 1;
            break;
        case O_CLASS:
            if (add_classes(optarg, &filter.classes) < 0) {
                rc = cli_usage_error(cmd, "--class takes low, medium, high or "
                                     "unscored (comma-separated), not '%s'", optarg);
                goto out;
            }
            have_filter = 1;
            break;
        case O_SECTOR: sectors[filter.n_sectors++] = optarg; have_filter = 1; break;
        case O_STATUS: filter.status = optarg; have_filter = 1; break;
        case O_SEEN: filter.seen_since = optarg; have_filter = 1; break;
        case O_CHANGED: filter.changed_since = optarg; have_filter = 1; break;
        case O_LIMIT:
            errno = 0;
            filter.limit = strtoll(optarg, &end, 10);
            if (end == optarg || *end || errno || filter.limit <= 0) {
                rc = cli_usage_error(cmd, "--limit takes a whole number above 0, "
                                     "not '%s'", optarg);
                goto out;
            }
            have_filter = 1;
            break;
        default:
            rc = cli_usage_error(cmd, "bad option");
            goto out;
        }
    }
    filter.sectors = filter.n_sectors ? sectors : NULL;
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
    if (n_regions > 1) {
        rc = cli_usage_error(cmd, "give only one region");
        goto out;
    }
    if ((srs || make_valid) && !within) {
        rc = cli_usage_error(cmd, "--srs and --make-valid go with --within FILE");
        goto out;
    }
    if (!near != !radius) {
        rc = cli_usage_error(cmd, near ? "--near needs --radius"
                                       : "--radius goes with --near LON,LAT");
        goto out;
    }
    if (buffer && !n_regions) {
        rc = cli_usage_error(cmd, "--buffer grows a region; give one");
        goto out;
    }
    double centre[2], box[4], radius_m = 0, buffer_m = 0;
    long long zone_id = 0;
    if (near && parse_list(near, centre, 2) < 0) {
        rc = cli_usage_error(cmd, "--near takes LON,LAT in degrees, not '%s'", near);
        goto out;
    }
    if (bbox && parse_list(bbox, box, 4) < 0) {
        rc = cli_usage_error(cmd, "--bbox takes W,S,E,N in degrees, not '%s'", bbox);
        goto out;
    }
    if (zone) {
        errno = 0;
        zone_id = strtoll(zone, &end, 10);
        if (end == zone || *end || errno || zone_id <= 0) {
            rc = cli_usage_error(cmd, "--zone takes a zone id, not '%s'", zone);
            goto out;
        }
    }
    if (radius && sinspace_parse_distance(c->ctx, radius, &radius_m)) {
        rc = cli_usage_error(cmd, "--radius: %s", sinspace_context_message(c->ctx));
        goto out;
    }
    if (buffer && sinspace_parse_distance(c->ctx, buffer, &buffer_m)) {
        rc = cli_usage_error(cmd, "--buffer: %s", sinspace_context_message(c->ctx));
        goto out;
    }

    sinspace_store *store = NULL;
    /* Read-write: the export is written to the audit trail. */
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto out;
    sinspace_region *region = NULL;
    sinspace_status st = SINSPACE_OK;
    if (within)
        st = sinspace_region_from_file(c->ctx, within, srs, make_valid, &region);
    else if (area)
        st = sinspace_region_from_area(store, area, &region);
    else if (fence)
        st = sinspace_region_from_fence(store, fence, &region);
    else if (zone)
        st = sinspace_region_from_zone(store, zone_id, &region);
    else if (near)
        st = sinspace_region_from_circle(c->ctx, centre[0], centre[1], radius_m,
                                         &region);
    else if (bbox)
        st = sinspace_region_from_bbox(c->ctx, box[0], box[1], box[2], box[3],
                                       &region);
    if (!st && buffer)
        st = sinspace_region_buffer(region, buffer_m);
    o.region = region;
    o.filter = have_filter ? &filter : NULL;
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
            fprintf(stderr, "; %lld withheld (fewer than %lld workplaces)",
                    r.suppressed, o.min_count);
        fputc('\n', stderr);
    }
    sinspace_region_destroy(region);
    sinspace_store_close(store);
out:
    free(sectors);
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
    "  --min-risk X  --class low,medium,high,unscored  --sector S (repeatable)\n"
    "  --status active|closed|unknown  --seen-since DATE  --changed-since DATE\n"
    "  --limit N\n",
    run};
