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

static void
run_header(void)
{
    printf("run\tname\tcomputed_at\tmethod\tzones\tworkplaces\tregion\tparams\n");
}

static int
print_run(void *user, const sinspace_zone_run *r)
{
    long long *count = user;
    if ((*count)++ == 0)
        run_header();
    printf("%lld\t%s\t%s\t%s\t%lld\t%lld\t%s\t%s\n", r->id, r->name, r->computed_at,
           r->method, r->zones, r->workplaces, r->region ? r->region : "everywhere",
           r->params);
    return 0;
}

static void
gzone_header(void)
{
    printf("id\tworkplaces\thigh_share\tmean_z\tmax_z\tmean_risk\tarea_km2\tlon\tlat\n");
}

static int
print_gzone(void *user, const sinspace_zone *z)
{
    long long *count = user;
    if ((*count)++ == 0)
        gzone_header();
    printf("%lld\t%lld\t", z->id, z->workplaces);
    print_number(z->high_share, 3);
    putchar('\t');
    print_number(z->mean_z, 3);
    printf("\t%.3f\t", z->peak_density);
    print_number(z->mean_risk, 3);
    printf("\t%.3f\t%.6f\t%.6f\n", z->area_km2, z->centroid_lon, z->centroid_lat);
    return 0;
}

static int
audit(sinspace_store *store, const char *target, const char *filters, long long rows)
{
    sinspace_audit_entry e = {0};
    e.command = "zones";
    e.target = target;
    e.filters = filters;
    e.rows = rows;
    return sinspace_audit_record(store, &e);
}

static int
run(cli *c, int argc, char **argv)
{
    enum { O_CELL = CLI_OPT_OWN, O_BANDWIDTH, O_THRESHOLD, O_BY_AREA, O_LIST, O_RUNS,
           O_RUN, O_METHOD, O_BAND, O_CONFIDENCE, O_FDR, O_NO_FDR, O_NAME, O_WEIGH };
    static const struct option own[] = {
        {"cell", required_argument, NULL, O_CELL},
        {"bandwidth", required_argument, NULL, O_BANDWIDTH},
        {"threshold", required_argument, NULL, O_THRESHOLD},
        {"by-area", required_argument, NULL, O_BY_AREA},
        {"list", no_argument, NULL, O_LIST},
        {"runs", no_argument, NULL, O_RUNS},
        {"run", required_argument, NULL, O_RUN},
        {"method", required_argument, NULL, O_METHOD},
        {"band", required_argument, NULL, O_BAND},
        {"confidence", required_argument, NULL, O_CONFIDENCE},
        {"fdr", no_argument, NULL, O_FDR},
        {"no-fdr", no_argument, NULL, O_NO_FDR},
        {"name", required_argument, NULL, O_NAME},
        {"weigh", required_argument, NULL, O_WEIGH},
        {NULL, 0, NULL, 0}};
    struct option longopts[48];
    cli_select_longopts(longopts, sizeof longopts / sizeof *longopts, NULL, own);
    const cli_command *cmd = &cmd_zones;
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    sinspace_zones_gistar_options g;
    sinspace_zones_gistar_options_init(&g);
    sinspace_area_level by_area = SINSPACE_LEVEL_INVALID;
    int list = 0, runs = 0, kde = 0, kde_opts = 0, gistar_opts = 0, opt;
    const char *run_name = NULL, *band = "500m";
    char *end;
    cli_select sel;
    if (cli_select_init(&sel, argc) < 0)
        return EXIT_FAILURE_;
    int rc = EXIT_OK;
    /* "zones DB list": the runs, as --runs */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "list") && i == argc - 1 && argc >= 3) {
            runs = 1;
            argc--;
        }
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case O_CELL:
            kde_opts = 1;
            o.cell_m = parse_length(optarg);
            if (!(o.cell_m > 0)) {
                rc = cli_usage_error(cmd, "--cell takes a length such as 250m or 0.5km, "
                                     "not '%s'", optarg);
                goto out;
            }
            break;
        case O_BANDWIDTH:
            kde_opts = 1;
            o.bandwidth_m = parse_length(optarg);
            if (!(o.bandwidth_m > 0)) {
                rc = cli_usage_error(cmd, "--bandwidth takes a length such as 1km or "
                                     "800m, not '%s'", optarg);
                goto out;
            }
            break;
        case O_THRESHOLD:
            kde_opts = 1;
            if (optarg[0] == 'p' || optarg[0] == 'P') {
                o.percentile = strtod(optarg + 1, &end);
                if (end == optarg + 1 || *end || !(o.percentile > 0 && o.percentile < 100)) {
                    rc = cli_usage_error(cmd, "--threshold pNN takes a percentile above 0 "
                                         "and below 100, not '%s'", optarg);
                    goto out;
                }
            } else {
                o.threshold = strtod(optarg, &end);
                if (end == optarg || *end || !(o.threshold > 0) || !isfinite(o.threshold)) {
                    rc = cli_usage_error(cmd, "--threshold takes a density above 0 (risk "
                                         "per km2) or a percentile such as p95, not '%s'",
                                         optarg);
                    goto out;
                }
            }
            break;
        case O_BY_AREA:
            by_area = sinspace_area_level_parse(optarg);
            if (by_area == SINSPACE_LEVEL_INVALID) {
                rc = cli_usage_error(cmd, "--by-area takes province, district or "
                                     "subdistrict, not '%s'", optarg);
                goto out;
            }
            break;
        case O_LIST: list = 1; break;
        case O_RUNS: runs = 1; break;
        case O_RUN: run_name = optarg; break;
        case O_METHOD:
            if (!strcmp(optarg, "kde")) kde = 1;
            else if (!strcmp(optarg, "gistar")) kde = 0;
            else {
                rc = cli_usage_error(cmd, "--method takes gistar or kde, not '%s'", optarg);
                goto out;
            }
            break;
        case O_BAND: gistar_opts = 1; band = optarg; break;
        case O_CONFIDENCE:
            gistar_opts = 1;
            g.confidence = (int)strtol(optarg, &end, 10);
            if (*end == '%')
                end++;
            if (end == optarg || *end ||
                (g.confidence != 90 && g.confidence != 95 && g.confidence != 99)) {
                rc = cli_usage_error(cmd, "--confidence takes 90, 95 or 99, not '%s'",
                                     optarg);
                goto out;
            }
            break;
        case O_FDR: gistar_opts = 1; g.fdr = 1; break;
        case O_NO_FDR: gistar_opts = 1; g.fdr = 0; break;
        case O_NAME: gistar_opts = 1; g.name = optarg; break;
        case O_WEIGH:
            gistar_opts = 1;
            if (!strcmp(optarg, "all")) g.weigh_all = 1;
            else if (!strcmp(optarg, "region")) g.weigh_all = 0;
            else {
                rc = cli_usage_error(cmd, "--weigh takes region or all, not '%s'", optarg);
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
    if (argc - optind != 1) {
        rc = cli_usage_error(cmd, "expected one database path");
        goto out;
    }
    if (sel.have_filter) {
        rc = cli_usage_error(cmd, "filters do not apply to zones");
        goto out;
    }
    int views = list + runs + (by_area != SINSPACE_LEVEL_INVALID);
    if (views > 1) {
        rc = cli_usage_error(cmd, "give one of --by-area, --list and --runs");
        goto out;
    }
    if (views && (sel.n_regions || kde_opts || gistar_opts || kde)) {
        rc = cli_usage_error(cmd, "--by-area, --list and --runs take no zone options");
        goto out;
    }
    if (run_name && !list) {
        rc = cli_usage_error(cmd, "--run NAME goes with --list");
        goto out;
    }
    if (kde && gistar_opts) {
        rc = cli_usage_error(cmd, "--band, --confidence, --fdr and --name are for "
                             "--method gistar");
        goto out;
    }
    if (!kde && kde_opts) {
        rc = cli_usage_error(cmd, "--cell, --bandwidth and --threshold are for "
                             "--method kde");
        goto out;
    }
    if (kde && (sel.n_regions > 1 || (sel.n_regions == 1 && !sel.area))) {
        rc = cli_usage_error(cmd, "--method kde takes --area only as its region");
        goto out;
    }
    if ((rc = cli_select_check(cmd, &sel, 0)) || (rc = cli_select_distances(c, cmd, &sel)))
        goto out;
    if (!kde && !views && strcmp(band, "auto") != 0 &&
        sinspace_hotspots_parse_band(c->ctx, band, &g.band_m)) {
        rc = cli_usage_error(cmd, "--band: %s", sinspace_context_message(c->ctx));
        goto out;
    }

    sinspace_store *store = NULL;
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto out;
    sinspace_status st = SINSPACE_OK;
    if (runs) {
        long long n = 0;
        st = sinspace_zone_runs(store, print_run, &n);
        if (!st && n == 0)
            run_header();
        if (!st)
            st = audit(store, "zone runs", "runs", n);
    } else if (list) {
        long long n = 0, run_id = 0;
        if (run_name) {
            st = sinspace_zone_run_zones(store, run_name, print_gzone, &n, &run_id);
            if (!st && n == 0)
                gzone_header();
        } else {
            st = sinspace_zones_list(store, print_zone, &n);
            if (!st && n == 0)
                zone_header();
        }
        if (!st) {
            char filters[128];
            snprintf(filters, sizeof filters, "list%s%s", run_name ? " run=" : "",
                     run_name ? run_name : "");
            st = audit(store, "zones", filters, n);
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
            st = audit(store, "areas_risk", filters, n);
        }
        if (!st && !c->quiet)
            fprintf(stderr, "sinspace: %lld %s areas ranked by risk per km2; the "
                    "choropleth layer is areas_risk\n", n,
                    sinspace_area_level_name(by_area));
    } else if (kde) {
        sinspace_zones_result r;
        long long n = 0;
        o.area = sel.area;
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
    } else {
        sinspace_region *region = NULL;
        sinspace_zones_gistar_result r;
        long long n = 0;
        st = cli_select_region(c, store, &sel, &region);
        g.region = region;
        if (!st)
            st = sinspace_zones_gistar(store, &g, print_gzone, &n, &r);
        if (!st && n == 0)
            gzone_header();
        if (!st && !c->quiet) {
            fprintf(stderr, "sinspace: run %s: %lld zone%s from %lld hot spots at %d%% "
                    "confidence (%s) among %lld workplaces; band %.0f m%s",
                    r.name, r.zones, r.zones == 1 ? "" : "s", r.hot, g.confidence,
                    g.fdr ? "FDR" : "no FDR", r.workplaces, r.band_m,
                    r.band_auto ? " (auto)" : "");
            if (region)
                fprintf(stderr, "; clipped to %s", sinspace_region_describe(region));
            if (r.water_parts)
                fprintf(stderr, "; %lld water polygons taken out", r.water_parts);
            fputc('\n', stderr);
            if (r.note[0])
                fprintf(stderr, "sinspace: no zones: %s\n", r.note);
        }
        sinspace_region_destroy(region);
    }
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
out:
    cli_select_free(&sel);
    return rc;
}

const cli_command cmd_zones = {
    "zones", "compute high-risk zones from Gi* hot spots, or rank areas",
    "Usage: sinspace zones DB [REGION] [--band 500m|auto] [--confidence 95]\n"
    "                         [--fdr|--no-fdr] [--name RUN]\n"
    "       sinspace zones DB --runs            (or: sinspace zones DB list)\n"
    "       sinspace zones DB --list [--run RUN]\n"
    "       sinspace zones DB --by-area district|subdistrict|province\n"
    "       sinspace zones DB --method kde [--area NAME] [--cell 250m]\n"
    "                         [--bandwidth 1km] [--threshold VALUE|pNN]\n\n"
    "A zone is a contiguous area of hot-spot workplaces: Getis-Ord Gi* on the\n"
    "risk of the open workplaces of REGION (see sinspace hotspots), the hot\n"
    "spots at --confidence (after FDR unless --no-fdr) each given a geodesic disc\n"
    "of radius --band, the discs dissolved, clipped to REGION and with the water\n"
    "layer (import --as water) taken out.  Each polygon is one zone: its open\n"
    "workplaces with a risk score, their high-risk share, mean and max z.  Zones\n"
    "are kept as named runs (--name, default gistar-DATE); a run of the same\n"
    "name is replaced.  map draws one run (map --zones RUN, default the\n"
    "latest); query --zone ID lists the open workplaces a zone counts.\n\n"
    "REGION (at most one): --area NAME|CODE, --within FILE, --fence NAME,\n"
    "  --near LON,LAT --radius DIST, --bbox W,S,E,N (as in sinspace query)\n\n"
    "Options:\n"
    "  --band DIST          disc radius and Gi* band (default 500m; auto)\n"
    "  --confidence N       90, 95 (default) or 99\n"
    "  --no-fdr             bins without the false discovery rate correction\n"
    "  --name RUN           the run's name\n"
    "  --weigh region|all   Gi* weighs the workplaces of REGION (default) or of\n"
    "                       the whole store, the zones clipped to REGION either way\n"
    "  --runs, list         the stored runs: name, date, method, parameters\n"
    "  --list [--run RUN]   the stored zones (of one run)\n"
    "  --by-area LEVEL      rank the areas of LEVEL by risk density (sum of risk\n"
    "                       of workplaces not closed / km2), densest first\n"
    "  --method kde         the former kernel-density surface (docs/zones.md):\n"
    "                       --cell, --bandwidth, --threshold as before\n\n"
    "See docs/zones.md for the method.\n",
    run};
