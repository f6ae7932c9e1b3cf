/* cmd_zones.c: sinspace zones DB: high-risk zones, or the per-area
 * ranking with --by-area. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "250", "250m", "1km", "1.5 km" -> metres; -1 when malformed. */
static double
parse_length(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return -1;
    while (*end == ' ')
        end++;
    if (!strcmp(end, "") || !strcmp(end, "m"))
        return v;
    if (!strcmp(end, "km"))
        return v * 1000.0;
    return -1;
}

/* A number with prec decimals, "-" when absent. */
static void
print_number(double v, int prec)
{
    if (isnan(v))
        fputs("-", stdout);
    else
        printf("%.*f", prec, v);
}

static void
zone_header(void)
{
    printf("id\tworkplaces\tmean_risk\tmax_risk\tpeak_density\tarea_km2\t"
           "lon\tlat\tsectors\n");
}

/* The header comes with the first zone (or after success when there are
 * none), so a failure prints nothing on stdout. */
static int
print_zone(void *user, const sinspace_zone *z)
{
    long long *count = user;
    if ((*count)++ == 0)
        zone_header();
    printf("%lld\t%lld\t", z->id, z->workplaces);
    print_number(z->mean_risk, 3);
    putchar('\t');
    print_number(z->max_risk, 3);
    printf("\t%.3f\t%.3f\t%.6f\t%.6f\t%s\n", z->peak_density, z->area_km2,
           z->centroid_lon, z->centroid_lat, z->sectors);
    return 0;
}

static void
area_header(void)
{
    printf("rank\tcode\tname\tname_local\tworkplaces\tmean_risk\trisk_density\n");
}

static int
print_area(void *user, const sinspace_area_rank *a)
{
    (void)user;
    if (a->rank == 1)
        area_header();
    printf("%lld\t%s\t%s\t%s\t%lld\t", a->rank, a->code,
           a->name_latin ? a->name_latin : "", a->name_local ? a->name_local : "",
           a->workplaces);
    print_number(a->mean_risk, 3);
    putchar('\t');
    print_number(a->risk_density, 4);
    putchar('\n');
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"area", required_argument, NULL, 'a'},
        {"cell", required_argument, NULL, 'c'},
        {"bandwidth", required_argument, NULL, 'b'},
        {"threshold", required_argument, NULL, 't'},
        {"by-area", required_argument, NULL, 'B'},
        {"list", no_argument, NULL, 'l'},
        {NULL, 0, NULL, 0}};
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    sinspace_area_level by_area = SINSPACE_LEVEL_INVALID;
    int list = 0, opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a': o.area = optarg; break;
        case 'c':
            o.cell_m = parse_length(optarg);
            if (!(o.cell_m > 0))
                return cli_usage_error(&cmd_zones, "--cell takes a length such "
                                       "as 250m or 0.5km, not '%s'", optarg);
            break;
        case 'b':
            o.bandwidth_m = parse_length(optarg);
            if (!(o.bandwidth_m > 0))
                return cli_usage_error(&cmd_zones, "--bandwidth takes a length "
                                       "such as 1km or 800m, not '%s'", optarg);
            break;
        case 't':
            if (optarg[0] == 'p' || optarg[0] == 'P') {
                o.percentile = strtod(optarg + 1, &end);
                if (end == optarg + 1 || *end || !(o.percentile > 0 && o.percentile < 100))
                    return cli_usage_error(&cmd_zones, "--threshold pNN takes a "
                                           "percentile above 0 and below 100, "
                                           "not '%s'", optarg);
            } else {
                o.threshold = strtod(optarg, &end);
                if (end == optarg || *end || !(o.threshold > 0) || !isfinite(o.threshold))
                    return cli_usage_error(&cmd_zones, "--threshold takes a density "
                                           "above 0 (risk per km2) or a percentile "
                                           "such as p95, not '%s'", optarg);
            }
            break;
        case 'B':
            by_area = sinspace_area_level_parse(optarg);
            if (by_area == SINSPACE_LEVEL_INVALID)
                return cli_usage_error(&cmd_zones, "--by-area takes province, "
                                       "district or subdistrict, not '%s'", optarg);
            break;
        case 'l': list = 1; break;
        default:
            return cli_usage_error(&cmd_zones, "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_zones, "expected one database path");
    if ((list || by_area != SINSPACE_LEVEL_INVALID) &&
        (o.area || o.cell_m != SINSPACE_ZONES_CELL_M ||
         o.bandwidth_m != SINSPACE_ZONES_BANDWIDTH_M || !isnan(o.threshold) ||
         o.percentile > 0))
        return cli_usage_error(&cmd_zones, "--by-area and --list take no zone "
                               "options");
    if (list && by_area != SINSPACE_LEVEL_INVALID)
        return cli_usage_error(&cmd_zones, "give --by-area or --list, not both");

    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_status st;
    if (list) {
        long long n = 0;
        st = sinspace_zones_list(store, print_zone, &n);
        if (!st && n == 0)
            zone_header();
        if (!st) {
            sinspace_audit_entry e = {0};
            e.command = "zones";
            e.target = "zones";
            e.filters = "list";
            e.rows = n;
            st = sinspace_audit_record(store, &e);
        }
    } else if (by_area != SINSPACE_LEVEL_INVALID) {
        long long n = 0;
        st = sinspace_zones_by_area(store, by_area, print_area, NULL, &n);
        if (!st && n == 0)
            area_header();
        if (!st) {
            char filters[64];
            snprintf(filters, sizeof filters, "by-area=%s",
                     sinspace_area_level_name(by_area));
            sinspace_audit_entry e = {0};
            e.command = "zones";
            e.target = "areas_risk";
            e.filters = filters;
            e.rows = n;
            st = sinspace_audit_record(store, &e);
        }
        if (!st && !c->quiet)
            fprintf(stderr, "sinspace: %lld %s areas ranked by risk per km2; the "
                    "choropleth layer is areas_risk\n", n,
                    sinspace_area_level_name(by_area));
    } else {
        sinspace_zones_result r;
        long long n = 0;
        st = sinspace_zones_compute(store, &o, print_zone, &n, &r);
        cli_progress_done(c);
        if (!st && n == 0)
            zone_header();
        if (!st && !c->quiet) {
            if (r.workplaces == 0)
                fprintf(stderr, "sinspace: no workplaces with a risk score; "
                        "previous zones removed\n");
            else
                fprintf(stderr, "sinspace: %lld zones from %lld workplaces; grid "
                        "%lld x %lld cells of %g m in EPSG:%d; threshold %.4g "
                        "risk/km2 (max %.4g)\n", r.zones, r.workplaces, r.columns,
                        r.rows, o.cell_m, r.epsg, r.threshold, r.max_density);
        }
    }
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_zones = {
    "zones", "compute high-risk zones, or rank areas by risk density",
    "Usage: sinspace zones DB [--area NAME] [--cell 250m] [--bandwidth 1km]\n"
    "                         [--threshold VALUE|pNN]\n"
    "       sinspace zones DB --by-area district|subdistrict|province\n"
    "       sinspace zones DB --list\n\n"
    "Finds zones where risk concentrates: each workplace that is not closed and\n"
    "has a risk score spreads a quartic kernel of radius --bandwidth, weighted\n"
    "by (risk - 1), over a grid of --cell squares in the UTM zone of the data;\n"
    "each 4-connected group of cells whose density (risk per km2) reaches the\n"
    "threshold becomes a zone.  The zones replace those of the previous run over\n"
    "the same --area (or over everywhere), are kept in the `zones` layer that\n"
    "map draws, query --zone ID selects with and export writes, and the run is\n"
    "recorded in the audit trail.  The zones are printed hottest first as\n"
    "tab-separated columns: id, workplaces, mean and max risk, peak density,\n"
    "area in km2, centroid lon/lat and the three leading sectors.\n\n"
    "Options:\n"
    "  --area NAME          only workplaces in this area (code, Latin or local\n"
    "                       name); zones are clipped to it\n"
    "  --cell LENGTH        grid cell side (default 250m; m or km)\n"
    "  --bandwidth LENGTH   kernel radius (default 1km)\n"
    "  --threshold VALUE    density in risk per km2 above which a cell belongs\n"
    "                       to a zone; pNN: the NNth percentile of the non-zero\n"
    "                       cells (default: 5 high-risk workplaces within one\n"
    "                       bandwidth, 5 x 1.333 / (pi x bandwidth_km^2))\n"
    "  --by-area LEVEL      rank the areas of LEVEL by risk density (sum of risk\n"
    "                       of workplaces not closed / km2), densest first; the\n"
    "                       choropleth layer is areas_risk\n"
    "  --list               print the stored zones\n\n"
    "See docs/zones.md for the method.\n",
    run};
