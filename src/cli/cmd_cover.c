/* cmd_cover.c: sinspace cover: who covers a workplace, an area, a zone or
 * a point, and --gaps: the high-risk workplaces nobody covers
 * (docs/network.md). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_GEOJSON };

typedef struct out_state {
    int format;
    int contacts;
    long long n;
    sinspace_geojson_writer *gj;
    sinspace_status st;
} out_state;

static const char *
s_(const char *s)
{
    return s ? s : "";
}

static void
json_str(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void
json_num(double v)
{
    if (isfinite(v))
        printf("%.1f", v);
    else
        fputs("null", stdout);
}

static int
on_responder(void *user, const sinspace_responder *r)
{
    out_state *o = user;
    char dist[32] = "";
    if (!isnan(r->distance_m))
        snprintf(dist, sizeof dist, "%.0f", r->distance_m);
    char score[16];
    snprintf(score, sizeof score, "%d", r->score);
    switch (o->format) {
    case FMT_TABLE:
        printf("%-4lld %-12s %-30.30s %-18s %-5d %-10s %-24s %-30.30s %-10s", o->n + 1,
               r->id, r->name, r->role, r->score, dist, s_(r->covers_by),
               s_(r->match), s_(r->languages));
        if (o->contacts)
            printf(" %s %s %s", s_(r->phone), s_(r->email), s_(r->contact));
        putchar('\n');
        break;
    case FMT_CSV:
        {
            char rank[24];
            snprintf(rank, sizeof rank, "%lld", o->n + 1);
            cli_csv_field(rank, 0); cli_csv_field(r->id, 0); cli_csv_field(r->name, 0);
            cli_csv_field(r->agency, 0); cli_csv_field(r->role, 0);
            cli_csv_field(r->expertise, 0); cli_csv_field(r->languages, 0);
            cli_csv_field(r->covers_by, 0); cli_csv_field(score, 0);
            cli_csv_field(r->match, 0); cli_csv_field(dist, !o->contacts);
            if (o->contacts) {
                cli_csv_field(r->phone, 0); cli_csv_field(r->email, 0);
                cli_csv_field(r->contact, 1);
            }
        }
        break;
    case FMT_JSON:
        printf("%s\n    {\"rank\": %lld, \"id\": ", o->n ? "," : "", o->n + 1);
        json_str(r->id);
        fputs(", \"name\": ", stdout); json_str(r->name);
        fputs(", \"agency\": ", stdout); json_str(r->agency);
        fputs(", \"role\": ", stdout); json_str(r->role);
        fputs(", \"expertise\": ", stdout); json_str(r->expertise);
        fputs(", \"languages\": ", stdout); json_str(r->languages);
        fputs(", \"covers_by\": ", stdout); json_str(r->covers_by);
        printf(", \"score\": %d, \"match\": ", r->score); json_str(r->match);
        fputs(", \"distance_m\": ", stdout); json_num(r->distance_m);
        if (o->contacts) {
            fputs(", \"phone\": ", stdout); json_str(r->phone);
            fputs(", \"email\": ", stdout); json_str(r->email);
            fputs(", \"contact\": ", stdout); json_str(r->contact);
        }
        putchar('}');
        break;
    case FMT_GEOJSON: {
        sinspace_property p[14];
        size_t n = 0;
        p[n++] = (sinspace_property){"rank", SINSPACE_VALUE_INTEGER, o->n + 1, 0, NULL};
        p[n++] = (sinspace_property){"name", SINSPACE_VALUE_TEXT, 0, 0, r->name};
        p[n++] = (sinspace_property){"agency", SINSPACE_VALUE_TEXT, 0, 0, r->agency};
        p[n++] = (sinspace_property){"role", SINSPACE_VALUE_TEXT, 0, 0, r->role};
        p[n++] = (sinspace_property){"expertise", SINSPACE_VALUE_TEXT, 0, 0, r->expertise};
        p[n++] = (sinspace_property){"languages", SINSPACE_VALUE_TEXT, 0, 0, r->languages};
        p[n++] = (sinspace_property){"covers_by", SINSPACE_VALUE_TEXT, 0, 0, r->covers_by};
        p[n++] = (sinspace_property){"score", SINSPACE_VALUE_INTEGER, r->score, 0, NULL};
        p[n++] = (sinspace_property){"match", SINSPACE_VALUE_TEXT, 0, 0, r->match};
        p[n++] = (sinspace_property){"distance_m", SINSPACE_VALUE_REAL, 0, r->distance_m, NULL};
        if (o->contacts) {
            p[n++] = (sinspace_property){"phone", SINSPACE_VALUE_TEXT, 0, 0, r->phone};
            p[n++] = (sinspace_property){"email", SINSPACE_VALUE_TEXT, 0, 0, r->email};
            p[n++] = (sinspace_property){"contact", SINSPACE_VALUE_TEXT, 0, 0, r->contact};
        }
        if (r->has_base)
            o->st = sinspace_geojson_write_point_text_id(o->gj, r->id, p, n, r->lon, r->lat);
        else
            o->st = sinspace_geojson_write_feature(o->gj, o->n + 1, p, n, NULL, 0);
        if (o->st)
            return 1;
        break;
    }
    }
    o->n++;
    return 0;
}

static int
on_gap(void *user, const sinspace_gap *g)
{
    out_state *o = user;
    char risk[16] = "";
    if (isfinite(g->risk))
        snprintf(risk, sizeof risk, "%.2f", g->risk);
    char covering[24];
    snprintf(covering, sizeof covering, "%lld", g->covering);
    switch (o->format) {
    case FMT_TABLE:
        printf("%-10s %-34.34s %-20s %-36s %-5s %9.5f %9.5f  %s\n", g->id, s_(g->name),
               s_(g->sector), s_(g->area), risk, g->lon, g->lat, g->missing);
        break;
    case FMT_CSV: {
        char lon[32], lat[32];
        snprintf(lon, sizeof lon, "%.6f", g->lon);
        snprintf(lat, sizeof lat, "%.6f", g->lat);
        cli_csv_field(g->id, 0); cli_csv_field(g->name, 0); cli_csv_field(g->sector, 0);
        cli_csv_field(g->area, 0); cli_csv_field(risk, 0); cli_csv_field(lon, 0);
        cli_csv_field(lat, 0); cli_csv_field(covering, 0); cli_csv_field(g->missing, 1);
        break;
    }
    case FMT_JSON:
        printf("%s\n    {\"id\": ", o->n ? "," : "");
        json_str(g->id);
        fputs(", \"name\": ", stdout); json_str(g->name);
        fputs(", \"sector\": ", stdout); json_str(g->sector);
        fputs(", \"area\": ", stdout); json_str(g->area);
        fputs(", \"risk\": ", stdout);
        if (isfinite(g->risk)) printf("%.2f", g->risk); else fputs("null", stdout);
        printf(", \"lon\": %.6f, \"lat\": %.6f, \"covering\": %lld, \"missing\": ",
               g->lon, g->lat, g->covering);
        json_str(g->missing);
        putchar('}');
        break;
    case FMT_GEOJSON: {
        sinspace_property p[] = {
            {"name", SINSPACE_VALUE_TEXT, 0, 0, g->name},
            {"sector", SINSPACE_VALUE_TEXT, 0, 0, g->sector},
            {"area", SINSPACE_VALUE_TEXT, 0, 0, g->area},
            {"risk", SINSPACE_VALUE_REAL, 0, g->risk, NULL},
            {"covering", SINSPACE_VALUE_INTEGER, g->covering, 0, NULL},
            {"missing", SINSPACE_VALUE_TEXT, 0, 0, g->missing}};
        o->st = sinspace_geojson_write_point_text_id(o->gj, g->id, p,
                                                     sizeof p / sizeof p[0],
                                                     g->lon, g->lat);
        if (o->st)
            return 1;
        break;
    }
    }
    o->n++;
    return 0;
}

enum {
    OPT_WORKPLACE = CLI_OPT_OWN, OPT_AREA, OPT_ZONE, OPT_NEAR, OPT_RADIUS,
    OPT_FORMAT, OPT_CONTACTS, OPT_KEY, OPT_GAPS, OPT_NEED, OPT_INACTIVE
};

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workplace", required_argument, NULL, OPT_WORKPLACE},
        {"area", required_argument, NULL, OPT_AREA},
        {"zone", required_argument, NULL, OPT_ZONE},
        {"near", required_argument, NULL, OPT_NEAR},
        {"radius", required_argument, NULL, OPT_RADIUS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"contacts", no_argument, NULL, OPT_CONTACTS},
        {"key-file", required_argument, NULL, OPT_KEY},
        {"gaps", no_argument, NULL, OPT_GAPS},
        {"need", required_argument, NULL, OPT_NEED},
        {"include-inactive", no_argument, NULL, OPT_INACTIVE},
        {NULL, 0, NULL, 0}};
    sinspace_cover_query q = {0};
    const char *workplace = NULL, *area = NULL, *zone = NULL, *near = NULL,
               *radius = NULL;
    int gaps = 0, places = 0, opt;
    out_state o = {0};
    const char *needs[64];
    size_t n_needs = 0;
    static char need_buf[4096];
    size_t need_used = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_WORKPLACE: workplace = optarg; places++; break;
        case OPT_AREA: area = optarg; places++; break;
        case OPT_ZONE: zone = optarg; places++; break;
        case OPT_NEAR: near = optarg; places++; break;
        case OPT_RADIUS: radius = optarg; break;
        case OPT_CONTACTS: q.contacts = 1; break;
        case OPT_KEY: q.key_file = optarg; break;
        case OPT_GAPS: gaps = 1; break;
        case OPT_INACTIVE: q.include_inactive = 1; break;
        case OPT_NEED: {
            /* Comma lists and repeats both add. */
            size_t len = strlen(optarg);
            if (need_used + len + 1 > sizeof need_buf)
                return cli_usage_error(&cmd_cover, "--need: too long");
            char *copy = need_buf + need_used;
            memcpy(copy, optarg, len + 1);
            need_used += len + 1;
            for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
                if (n_needs == 64)
                    return cli_usage_error(&cmd_cover, "--need: at most 64");
                needs[n_needs++] = tok;
            }
            break;
        }
        case OPT_FORMAT:
            if (!strcmp(optarg, "table")) o.format = FMT_TABLE;
            else if (!strcmp(optarg, "csv")) o.format = FMT_CSV;
            else if (!strcmp(optarg, "json")) o.format = FMT_JSON;
            else if (!strcmp(optarg, "geojson")) o.format = FMT_GEOJSON;
            else
                return cli_usage_error(&cmd_cover, "--format '%s': expected table, "
                                       "csv, json or geojson", optarg);
            break;
        default: return cli_usage_error(&cmd_cover, "bad option");
        }
    }
    int positional = argc - optind;
    if (gaps) {
        if (places)
            return cli_usage_error(&cmd_cover, "--gaps takes no --workplace, --area, "
                                   "--zone or --near (give the region after --gaps)");
        if (q.contacts)
            return cli_usage_error(&cmd_cover, "--gaps lists workplaces, not "
                                   "contacts: --contacts does not apply");
        if (radius)
            return cli_usage_error(&cmd_cover, "--radius goes with --near");
        if (positional != 1 && positional != 2)
            return cli_usage_error(&cmd_cover, "cover --gaps takes DB [REGION]");
    } else {
        if (positional != 1)
            return cli_usage_error(&cmd_cover, "expected one database path");
        if (places != 1)
            return cli_usage_error(&cmd_cover, "give exactly one of --workplace, "
                                   "--area, --zone, --near (or --gaps)");
        if (n_needs)
            return cli_usage_error(&cmd_cover, "--need goes with --gaps");
        if (radius && !near)
            return cli_usage_error(&cmd_cover, "--radius goes with --near");
        if (workplace) {
            q.kind = SINSPACE_COVER_WORKPLACE;
            q.key = workplace;
        } else if (area) {
            q.kind = SINSPACE_COVER_AREA;
            q.key = area;
        } else if (zone) {
            char *end;
            q.kind = SINSPACE_COVER_ZONE;
            q.zone = strtoll(zone, &end, 10);
            if (!*zone || *end || q.zone <= 0)
                return cli_usage_error(&cmd_cover, "--zone '%s': expected a zone "
                                       "number", zone);
        } else {
            double v[2];
            q.kind = SINSPACE_COVER_POINT;
            if (cli_parse_numbers(near, v, 2) || v[0] < -180 || v[0] > 180 ||
                v[1] < -90 || v[1] > 90)
                return cli_usage_error(&cmd_cover, "--near '%s': expected LON,LAT",
                                       near);
            q.lon = v[0];
            q.lat = v[1];
            if (radius && sinspace_parse_distance(c->ctx, radius, &q.radius_m))
                return cli_usage_error(&cmd_cover, "--radius: %s",
                                       sinspace_context_message(c->ctx));
        }
    }
    o.contacts = q.contacts;
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_status st = SINSPACE_OK;
    if (o.format == FMT_GEOJSON) {
        sinspace_geojson_options go;
        sinspace_geojson_options_init(&go);
        st = sinspace_geojson_writer_create(c->ctx, stdout, &go, &o.gj);
        if (!st)
            st = sinspace_geojson_begin(o.gj, NULL, NULL, 0);
    }
    long long count = 0;
    if (!st && gaps) {
        sinspace_gap_query g = {positional == 2 ? argv[optind + 1] : NULL, needs, n_needs};
        if (o.format == FMT_TABLE)
            printf("%-10s %-34s %-20s %-36s %-5s %9s %9s  %s\n", "id", "name",
                   "sector", "area", "risk", "lon", "lat", "missing");
        else if (o.format == FMT_CSV)
            printf("id,name,sector,area,risk,lon,lat,covering,missing\n");
        else if (o.format == FMT_JSON)
            printf("{\"gaps\": [");
        st = sinspace_cover_gaps(store, &g, on_gap, &o, &count);
        if (!st && o.format == FMT_JSON)
            printf("\n  ], \"count\": %lld}\n", count);
        if (!st && o.format == FMT_TABLE && !c->quiet)
            fprintf(stderr, "sinspace: %lld high-risk workplace%s without the cover "
                    "asked for\n", count, count == 1 ? "" : "s");
    } else if (!st) {
        sinspace_cover_place place;
        if (o.format == FMT_TABLE)
            printf("%-4s %-12s %-30s %-18s %-5s %-10s %-24s %-30s %-10s%s\n", "rank",
                   "id", "name", "role", "score", "dist_m", "covers_by", "match",
                   "languages", q.contacts ? " phone email contact" : "");
        else if (o.format == FMT_CSV)
            printf("rank,id,name,agency,role,expertise,languages,covers_by,score,"
                   "match,distance_m%s\n", q.contacts ? ",phone,email,contact" : "");
        else if (o.format == FMT_JSON)
            printf("{\"responders\": [");
        st = sinspace_cover(store, &q, &place, on_responder, &o, &count);
        if (!st && o.st)
            st = o.st;
        if (!st && o.format == FMT_JSON)
            printf("\n  ], \"count\": %lld}\n", count);
        if (!st && o.format == FMT_TABLE && !c->quiet)
            fprintf(stderr, "sinspace: %lld responder%s cover%s %s\n", count,
                    count == 1 ? "" : "s", count == 1 ? "s" : "", place.label);
    }
    if (!st && o.gj)
        st = sinspace_geojson_end(o.gj);
    sinspace_geojson_writer_destroy(o.gj);
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_cover = {
    "cover", "who covers a place, and the high-risk places nobody covers",
    "Usage: sinspace cover DB --workplace ID | --area AREA | --zone N |\n"
    "                         --near LON,LAT [--radius D]\n"
    "                         [--format table|csv|json|geojson] [--contacts]\n"
    "                         [--key-file KEY] [--include-inactive]\n"
    "       sinspace cover DB --gaps [REGION] [--need CODE[,CODE...]]...\n"
    "                         [--format table|csv|json|geojson]\n\n"
    "Lists the active responders covering the place, best first: by how well\n"
    "their expertise, role and languages match what the place's sector needs\n"
    "(docs/network.md has the table), then by geodesic distance to their base.\n"
    "A responder covers a place through an area code (covering every area\n"
    "below it), a polygon, or a base and radius.  --near with --radius also\n"
    "lists teams based within that distance.\n\n"
    "--gaps lists the high-risk workplaces (not closed) of REGION (an area\n"
    "code or name; default everywhere) that no active responder covers, or,\n"
    "with --need, that no covering responder has each role, expertise or\n"
    "language code for.\n\n"
    "--contacts adds phone, email and contact, opened with the key file\n"
    "(DB.key, SINSPACE_KEY_FILE or --key-file; 'withheld' without one).  Every\n"
    "cover writes an audit row; one that read contacts says so.\n\n"
    "Exit status: 0 ok, 1 failure (also a key file that does not open the\n"
    "store's contacts), 2 usage, 3 invalid input.\n",
    run};
