/* cmd_hotspots.c: sinspace hotspots DB [REGION]: Getis-Ord Gi* hot spots
 * of the open workplaces' risk, with FDR-corrected bins, or emerging hot
 * spots over yearly or quarterly steps (--emerging). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_TABLE, F_CSV, F_GEOJSON, F_JSON } hformat;

typedef struct hout {
    hformat format;
    int emerging;
    long long rows;
} hout;

static void
json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* CSV field: quoted when it holds a comma, quote or line break. */
static void
csv_string(const char *s)
{
    s = s ? s : "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* A number with prec significant digits in width columns (0: none); absent
 * for NaN. */
static void
number(double v, int width, int prec, const char *absent)
{
    if (isnan(v))
        printf("%*s", width, absent);
    else
        printf("%*.*g", width, prec, v);
}

static int
on_row(void *user, const sinspace_hotspot_row *r)
{
    hout *o = user;
    int first = o->rows++ == 0;
    switch (o->format) {
    case F_TABLE:
        if (first)
            printf("%-14s %5s %7s %8s %9s %4s%s\n", "id", "risk", "nbrs", "z", "p", "bin",
                   o->emerging ? "  category" : "");
        printf("%-14s %5.2f %7lld ", r->id, r->risk, r->neighbours);
        number(r->z, 8, 4, "-");
        putchar(' ');
        number(r->p, 9, 3, "-");
        printf(" %+4d", r->bin);
        if (o->emerging)
            printf("  %s", r->category);
        putchar('\n');
        break;
    case F_CSV:
        if (first)
            printf("id,lon,lat,risk,neighbours,z,p,bin%s\n",
                   o->emerging ? ",category,trend_tau,trend_z,trend_p,steps,steps_hot,"
                                 "steps_cold" : "");
        csv_string(r->id);
        printf(",%.7f,%.7f,%.4f,%lld,", r->lon, r->lat, r->risk, r->neighbours);
        number(r->z, 0, 10, "");
        putchar(',');
        number(r->p, 0, 6, "");
        printf(",%d", r->bin);
        if (o->emerging) {
            printf(",%s,", r->category);
            number(r->trend_tau, 0, 6, "");
            putchar(',');
            number(r->trend_z, 0, 6, "");
            putchar(',');
            number(r->trend_p, 0, 6, "");
            printf(",%d,%d,%d", r->steps, r->steps_hot, r->steps_cold);
        }
        putchar('\n');
        break;
    case F_GEOJSON:
    case F_JSON:
        if (o->format == F_GEOJSON) {
            printf("%s{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                   "\"coordinates\":[%.7f,%.7f]},\"properties\":{",
                   first ? "" : ",\n", r->lon, r->lat);
        } else {
            printf("%s{\"lon\":%.7f,\"lat\":%.7f,", first ? "" : ",\n", r->lon, r->lat);
        }
        printf("\"id\":");
        json_string(r->id);
        printf(",\"risk\":%.4f,\"neighbours\":%lld,\"z\":", r->risk, r->neighbours);
        number(r->z, 0, 10, "null");
        printf(",\"p\":");
        number(r->p, 0, 6, "null");
        printf(",\"bin\":%d", r->bin);
        if (o->emerging) {
            printf(",\"category\":");
            json_string(r->category);
            printf(",\"trend_tau\":");
            number(r->trend_tau, 0, 6, "null");
            printf(",\"trend_z\":");
            number(r->trend_z, 0, 6, "null");
            printf(",\"trend_p\":");
            number(r->trend_p, 0, 6, "null");
            printf(",\"steps\":%d,\"steps_hot\":%d,\"steps_cold\":%d", r->steps,
                   r->steps_hot, r->steps_cold);
        }
        printf(o->format == F_GEOJSON ? "}}" : "}");
        break;
    }
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    enum { O_FORMAT = CLI_OPT_OWN, O_BAND, O_AT, O_FDR, O_NO_FDR, O_EMERGING, O_STEP };
    static const struct option own[] = {
        {"format", required_argument, NULL, O_FORMAT},
        {"band", required_argument, NULL, O_BAND},
        {"at", required_argument, NULL, O_AT},
        {"fdr", no_argument, NULL, O_FDR},
        {"no-fdr", no_argument, NULL, O_NO_FDR},
        {"emerging", no_argument, NULL, O_EMERGING},
        {"step", required_argument, NULL, O_STEP},
        {NULL, 0, NULL, 0}};
    struct option longopts[40];
    cli_select_longopts(longopts, sizeof longopts / sizeof *longopts, NULL, own);
    const cli_command *cmd = &cmd_hotspots;
    sinspace_hotspots_options o;
    sinspace_hotspots_options_init(&o);
    const char *band = "auto", *step = NULL;
    hout out = {F_TABLE, 0, 0};
    cli_select sel;
    if (cli_select_init(&sel, argc) < 0)
        return EXIT_FAILURE_;
    int rc = EXIT_OK, opt, fdr_given = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case O_FORMAT:
            if (!strcmp(optarg, "table")) out.format = F_TABLE;
            else if (!strcmp(optarg, "csv")) out.format = F_CSV;
            else if (!strcmp(optarg, "geojson")) out.format = F_GEOJSON;
            else if (!strcmp(optarg, "json")) out.format = F_JSON;
            else {
                rc = cli_usage_error(cmd, "--format takes table, csv, geojson or json, "
                                     "not '%s'", optarg);
                goto out;
            }
            break;
        case O_BAND: band = optarg; break;
        case O_AT: o.at = optarg; break;
        case O_FDR:
        case O_NO_FDR:
            if (fdr_given++) {
                rc = cli_usage_error(cmd, "give --fdr or --no-fdr once");
                goto out;
            }
            o.fdr = opt == O_FDR;
            break;
        case O_EMERGING: o.emerging = 1; break;
        case O_STEP: step = optarg; break;
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
        rc = cli_usage_error(cmd, "filters do not apply: Gi* weighs every open "
                             "workplace with a risk score in the region");
        goto out;
    }
    if ((rc = cli_select_check(cmd, &sel, 0)) || (rc = cli_select_distances(c, cmd, &sel)))
        goto out;
    if (step && !o.emerging) {
        rc = cli_usage_error(cmd, "--step goes with --emerging");
        goto out;
    }
    if (step) {
        if (!strcmp(step, "year")) o.step = SINSPACE_STEP_YEAR;
        else if (!strcmp(step, "quarter")) o.step = SINSPACE_STEP_QUARTER;
        else {
            rc = cli_usage_error(cmd, "--step takes year or quarter, not '%s'", step);
            goto out;
        }
    }
    if (strcmp(band, "auto") != 0 &&
        sinspace_hotspots_parse_band(c->ctx, band, &o.band_m)) {
        rc = cli_usage_error(cmd, "--band: %s", sinspace_context_message(c->ctx));
        goto out;
    }
    out.emerging = o.emerging;
    o.save = o.emerging;

    sinspace_store *store = NULL;
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto out;
    sinspace_region *region = NULL;
    sinspace_hotspots_result res;
    sinspace_status st = cli_select_region(c, store, &sel, &region);
    o.region = region;
    if (!st) {
        if (out.format == F_GEOJSON)
            printf("{\"type\":\"FeatureCollection\",\"features\":[\n");
        else if (out.format == F_JSON)
            printf("[\n");
        st = sinspace_hotspots_compute(store, &o, on_row, &out, &res);
        if (!st && out.format == F_GEOJSON)
            printf("\n]}\n");
        else if (!st && out.format == F_JSON)
            printf("\n]\n");
        fflush(stdout);
    }
    if (!st) {
        char target[512], filters[256];
        snprintf(target, sizeof target, "hotspots %s",
                 region ? sinspace_region_describe(region) : "everywhere");
        snprintf(filters, sizeof filters, "band=%.0fm%s fdr=%s%s%s%s%s",
                 res.gistar.band_m, res.band_auto ? "(auto)" : "", o.fdr ? "on" : "off",
                 o.at ? " at=" : "", o.at ? o.at : "",
                 o.emerging ? " emerging step=" : "",
                 o.emerging ? (o.step == SINSPACE_STEP_QUARTER ? "quarter" : "year") : "");
        sinspace_audit_entry e = {.command = "hotspots", .target = target,
                                  .filters = filters, .rows = out.rows};
        st = sinspace_audit_record(store, &e);
    }
    if (st) {
        rc = cli_fail(c, st);
    } else if (!c->quiet) {
        const sinspace_gistar_result *g = &res.gistar;
        if (res.band_auto)
            fprintf(stderr, "sinspace: band auto: %s\n", res.band_reason);
        fprintf(stderr, "sinspace: Gi* on %lld workplaces, band %.0f m (geodesic, "
                "WGS 84), risk mean %.3f sd %.3f; %s\n", res.workplaces, g->band_m,
                g->mean, sqrt(g->variance),
                o.fdr ? "FDR (Benjamini-Hochberg) on" : "no FDR correction");
        fprintf(stderr, "sinspace: hot spots 99%%/95%%/90%%: %lld/%lld/%lld; cold: "
                "%lld/%lld/%lld; p thresholds %.3g/%.3g/%.3g\n", g->hot[3], g->hot[2],
                g->hot[1], g->cold[3], g->cold[2], g->cold[1], g->threshold[3],
                g->threshold[2], g->threshold[1]);
        if (o.emerging) {
            fprintf(stderr, "sinspace: emerging: %d %s steps %s to %s;", res.steps,
                    o.step == SINSPACE_STEP_QUARTER ? "quarterly" : "yearly",
                    res.first_step, res.last_step);
            for (int k = 0; k < SINSPACE_EMERGING_COUNT; k++)
                if (res.categories[k])
                    fprintf(stderr, " %s: %lld;",
                            sinspace_emerging_category_name((sinspace_emerging_category)k),
                            res.categories[k]);
            fputc('\n', stderr);
            sinspace_emerging_run er;
            int found = 0;
            if (!sinspace_emerging_latest(store, &er, &found) && found)
                fprintf(stderr, "sinspace: categories stored as emerging run %lld (%s); "
                        "query --hotspot and the atlas read the latest run\n", er.id,
                        er.computed_at);
        }
    }
    if (!st && res.warnings[0])
        fprintf(stderr, "sinspace: warning: %s\n", res.warnings);
    sinspace_region_destroy(region);
    sinspace_store_close(store);
out:
    cli_select_free(&sel);
    return rc;
}

const cli_command cmd_hotspots = {
    "hotspots", "Getis-Ord Gi* hot spots of risk, and emerging hot spots",
    "Usage: sinspace hotspots DB [REGION] [--band 500m|auto] [--at DATE]\n"
    "                         [--fdr|--no-fdr] [--format table|csv|geojson|json]\n"
    "       sinspace hotspots DB [REGION] --emerging [--step year|quarter] ...\n\n"
    "Getis-Ord Gi* on the risk of every open workplace with a risk score (in\n"
    "REGION, or everywhere), with binary distance-band weights that include the\n"
    "workplace itself; distances are geodesic metres on WGS 84.  One row per\n"
    "workplace: id, risk, neighbours (itself included), z, p (two-sided) and bin\n"
    "(+3/+2/+1 hot at 99/95/90 %% confidence, negatives cold, 0 not significant).\n"
    "See docs/zones.md.\n\n"
    "REGION (at most one): --within FILE, --area NAME|CODE, --fence NAME,\n"
    "  --zone ID, --near LON,LAT --radius DIST, --bbox W,S,E,N, --buffer DIST\n"
    "  (as in sinspace query).\n\n"
    "Options:\n"
    "  --band DIST          the neighbourhood: 500m, 0.5km; auto (the default):\n"
    "                       the smallest band giving every workplace a neighbour,\n"
    "                       printed with the reason.  Degrees are refused.\n"
    "  --at DATE            risk as of DATE (YYYY-MM-DD): each workplace's latest\n"
    "                       observation on or before it\n"
    "  --fdr / --no-fdr     false discovery rate correction (Benjamini-Hochberg,\n"
    "                       as ArcGIS and esda); on by default\n"
    "  --emerging           emerging hot spots: Gi* per step over the observation\n"
    "                       history, the Mann-Kendall trend of each workplace's z,\n"
    "                       and ArcGIS's category (new, consecutive, intensifying,\n"
    "                       persistent, diminishing, sporadic, oscillating,\n"
    "                       historical hot/cold spot, no pattern detected)\n"
    "  --step year|quarter  the steps of --emerging (default year)\n"
    "  --format F           table (default), csv, geojson or json, on stdout\n\n"
    "Warnings (on stderr): fewer than 30 workplaces, workplaces with no neighbour\n"
    "besides themselves within the band (never binned).\n",
    run,
};
