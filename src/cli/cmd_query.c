/* cmd_query.c: sinspace query DB REGION [FILTERS]: the workplaces inside a
 * region, as a table with a summary, CSV, GeoJSON or JSON.
 *
 * GeoJSON goes through the export module's streaming writer
 * (sinspace/export.h), the one `sinspace export` uses: RFC 7946, lon/lat
 * with 6 decimals, the database id as feature id, typed properties, no crs
 * member.  The JSON of --format json (rows and a summary, not GeoJSON) is
 * written here. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum format { FMT_TABLE, FMT_CSV, FMT_GEOJSON, FMT_JSON, FMT_IDS };

typedef struct sector_count {
    char *code;
    long long k[4]; /* by sinspace_risk_class */
} sector_count;

typedef struct qout {
    FILE *f;
    enum format format;
    sinspace_geojson_writer *gj;  /* FMT_GEOJSON */
    sinspace_status gj_status;    /* the writer's first failure */
    int internal, near, changed;
    long long n;
    int ncols;
    /* Table: every cell kept to align columns. */
    char **cells;
    size_t n_cells, cap;
    /* Summary. */
    sector_count *secs;
    size_t n_secs;
    long long cls[4];
    int failed; /* out of memory */
} qout;

/* -------------------------------------------------------------------------
 * Columns
 */

#define MAX_COLS 16

static int
columns(const qout *q, const char *names[MAX_COLS])
{
    int n = 0;
    names[n++] = "id";
    names[n++] = "name";
    names[n++] = "sector";
    names[n++] = "risk";
    names[n++] = "class";
    names[n++] = "lon";
    names[n++] = "lat";
    names[n++] = "area";
    names[n++] = "last_seen";
    if (q->near)
        names[n++] = "distance_m";
    if (q->changed)
        names[n++] = "risk_rise";
    if (q->internal) {
        names[n++] = "address";
        names[n++] = "source";
        names[n++] = "source_note";
    }
    return n;
}

/* The row's cells as text ("" for absent); bufs holds formatted numbers. */
static int
row_cells(const qout *q, const sinspace_workplace_row *r, const char *cells[MAX_COLS],
          char bufs[6][48])
{
    int n = 0;
#define S(x) ((x) ? (x) : "")
    cells[n++] = S(r->ext_id);
    cells[n++] = S(r->name);
    cells[n++] = S(r->sector);
    if (isnan(r->risk))
        bufs[0][0] = '\0';
    else
        snprintf(bufs[0], 48, "%.3f", r->risk);
    cells[n++] = bufs[0];
    cells[n++] = S(r->risk_class);
    snprintf(bufs[1], 48, "%.6f", r->lon);
    cells[n++] = bufs[1];
    snprintf(bufs[2], 48, "%.6f", r->lat);
    cells[n++] = bufs[2];
    cells[n++] = S(r->area_code);
    cells[n++] = S(r->last_seen);
    if (q->near) {
        snprintf(bufs[3], 48, "%.1f", r->distance_m);
        cells[n++] = bufs[3];
    }
    if (q->changed) {
        if (isnan(r->risk_change))
            bufs[4][0] = '\0';
        else
            snprintf(bufs[4], 48, "%+.3f", r->risk_change);
        cells[n++] = bufs[4];
    }
    if (q->internal) {
        cells[n++] = S(r->address);
        cells[n++] = S(r->source_type);
        cells[n++] = S(r->source_note);
    }
#undef S
    return n;
}

/* -------------------------------------------------------------------------
 * Writers
 */

static void
csv_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n") && !(*s == ' ' || (*s && s[strlen(s) - 1] == ' '))) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void
json_number(FILE *f, int decimals, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.*f", decimals, v);
}

/* The typed properties of a row for the JSON rows (GeoJSON: see
 * geojson_properties, the same names and order without lon/lat). */
static void
json_properties(const qout *q, const sinspace_workplace_row *r)
{
    FILE *f = q->f;
    fputs("{\"id\":", f);
    json_string(f, r->ext_id);
    fputs(",\"name\":", f);
    json_string(f, r->name);
    fputs(",\"sector\":", f);
    json_string(f, r->sector);
    fputs(",\"risk\":", f);
    json_number(f, 3, r->risk);
    fputs(",\"class\":", f);
    json_string(f, r->risk_class);
    fputs(",\"lon\":", f);
    json_number(f, 6, r->lon);
    fputs(",\"lat\":", f);
    json_number(f, 6, r->lat);
    fputs(",\"area\":", f);
    json_string(f, r->area_code);
    fputs(",\"last_seen\":", f);
    json_string(f, r->last_seen);
    if (q->near) {
        fputs(",\"distance_m\":", f);
        json_number(f, 1, r->distance_m);
    }
    if (q->changed) {
        fputs(",\"risk_rise\":", f);
        json_number(f, 3, r->risk_change);
    }
    if (q->internal) {
        fputs(",\"address\":", f);
        json_string(f, r->address);
        fputs(",\"source\":", f);
        json_string(f, r->source_type);
        fputs(",\"source_note\":", f);
        json_string(f, r->source_note);
    }
    fputc('}', f);
}

/* v rounded to decimals places (NaN stays NaN, written as null), so the
 * shared writer's shortest form gives the digits the table shows. */
static double
rounded(double v, int decimals)
{
    double k = pow(10, decimals);
    return isfinite(v) ? round(v * k) / k : v;
}

/* The GeoJSON properties of a row: id (the workplace's own identifier)
 * first; address, source and note only with --internal. */
static size_t
geojson_properties(const qout *q, const sinspace_workplace_row *r,
                   sinspace_property p[MAX_COLS])
{
    size_t n = 0;
#define TEXT(nm, v) p[n++] = (sinspace_property){nm, SINSPACE_VALUE_TEXT, 0, 0, v}
#define REAL(nm, v) p[n++] = (sinspace_property){nm, SINSPACE_VALUE_REAL, 0, v, NULL}
    TEXT("id", r->ext_id);
    TEXT("name", r->name);
    TEXT("sector", r->sector);
    REAL("risk", rounded(r->risk, 3));
    TEXT("class", r->risk_class);
    TEXT("area", r->area_code);
    p[n++] = (sinspace_property){"last_seen", SINSPACE_VALUE_DATE, 0, 0, r->last_seen};
    if (q->near)
        REAL("distance_m", rounded(r->distance_m, 1));
    if (q->changed)
        REAL("risk_rise", rounded(r->risk_change, 3));
    if (q->internal) {
        TEXT("address", r->address);
        TEXT("source", r->source_type);
        TEXT("source_note", r->source_note);
    }
#undef TEXT
#undef REAL
    return n;
}

static void
count_row(qout *q, const sinspace_workplace_row *r)
{
    int c = (int)sinspace_risk_class_parse(r->risk_class);
    q->cls[c]++;
    const char *code = r->sector ? r->sector : "";
    for (size_t i = 0; i < q->n_secs; i++)
        if (!strcmp(q->secs[i].code, code)) {
            q->secs[i].k[c]++;
            return;
        }
    sector_count *s = realloc(q->secs, (q->n_secs + 1) * sizeof *s);
    if (!s) {
        q->failed = 1;
        return;
    }
    q->secs = s;
    memset(&s[q->n_secs], 0, sizeof *s);
    if (!(s[q->n_secs].code = strdup(code))) {
        q->failed = 1;
        return;
    }
    s[q->n_secs].k[c] = 1;
    q->n_secs++;
}

/* --format ids: the database id (the GeoJSON feature id), one a line. */
static int
on_id(void *user, long long id)
{
    qout *q = user;
    fprintf(q->f, "%lld\n", id);
    q->n++;
    return 0;
}

static int
on_row(void *user, const sinspace_workplace_row *r)
{
    qout *q = user;
    count_row(q, r);
    const char *cells[MAX_COLS];
    char bufs[6][48];
    int n = row_cells(q, r, cells, bufs);
    switch (q->format) {
    case FMT_TABLE:
        if (q->n_cells + (size_t)n > q->cap) {
            size_t cap = q->cap ? 2 * q->cap : 1024;
            char **p = realloc(q->cells, cap * sizeof *p);
            if (!p) {
                q->failed = 1;
                return 1;
            }
            q->cells = p;
            q->cap = cap;
        }
        for (int i = 0; i < n; i++) {
            char *s = strdup(cells[i]);
            if (!s) {
                q->failed = 1;
                return 1;
            }
            /* Addresses and notes may hold newlines and tabs. */
            for (char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20)
                    *p = ' ';
            q->cells[q->n_cells++] = s;
        }
        break;
    case FMT_CSV:
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', q->f);
            if (sinspace_csv_formula_like(cells[i])) {
                /* A name like =HYPERLINK(...) stays text: the apostrophe
                 * goes inside the cell, before any quoting. */
                size_t len = strlen(cells[i]);
                char *d = malloc(len + 2);
                if (!d) {
                    q->failed = 1;
                    return 1;
                }
                d[0] = '\'';
                memcpy(d + 1, cells[i], len + 1);
                csv_cell(q->f, d);
                free(d);
            } else {
                csv_cell(q->f, cells[i]);
            }
        }
        fputc('\n', q->f);
        break;
    case FMT_GEOJSON: {
        sinspace_property props[MAX_COLS];
        size_t np = geojson_properties(q, r, props);
        q->gj_status = sinspace_geojson_write_point(q->gj, r->id, props, np,
                                                    r->lon, r->lat);
        if (q->gj_status)
            return 1;
        break;
    }
    case FMT_IDS: /* on_id */
        break;
    case FMT_JSON:
        fputs(q->n ? ",\n" : "\n", q->f);
        json_properties(q, r);
        break;
    }
    q->n++;
    return q->failed || ferror(q->f);
}

static const char *const class_cols[4] = {"unscored", "low", "medium", "high"};

/* Display width of UTF-8 text: code points (enough for Latin and Thai base
 * letters; combining marks are not subtracted). */
static size_t
text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void
pad_cell(FILE *f, const char *s, size_t width, int last)
{
    fputs(*s ? s : "-", f);
    if (last)
        return;
    for (size_t w = *s ? text_width(s) : 1; w < width + 2; w++)
        fputc(' ', f);
}

static void
write_table(qout *q)
{
    FILE *f = q->f;
    const char *names[MAX_COLS];
    int n = columns(q, names);
    if (q->n == 0) {
        fputs("0 workplaces\n", f);
        return;
    }
    size_t width[MAX_COLS];
    for (int i = 0; i < n; i++)
        width[i] = strlen(names[i]);
    for (size_t k = 0; k < q->n_cells; k++) {
        size_t w = text_width(q->cells[k]);
        if (w > width[k % (size_t)n])
            width[k % (size_t)n] = w;
    }
    for (int i = 0; i < n; i++)
        pad_cell(f, names[i], width[i], i == n - 1);
    fputc('\n', f);
    for (size_t k = 0; k < q->n_cells; k++) {
        int i = (int)(k % (size_t)n);
        pad_cell(f, q->cells[k], width[i], i == n - 1);
        if (i == n - 1)
            fputc('\n', f);
    }
    fprintf(f, "\n%lld workplace%s\n\n", q->n, q->n == 1 ? "" : "s");
    size_t sw = strlen("sector");
    for (size_t i = 0; i < q->n_secs; i++)
        if (text_width(q->secs[i].code) > sw)
            sw = text_width(q->secs[i].code);
    fprintf(f, "%-*s %8s %8s %8s %8s %8s\n", (int)sw, "sector", "low", "medium",
            "high", "unscored", "total");
    for (size_t i = 0; i < q->n_secs; i++) {
        const long long *k = q->secs[i].k;
        fprintf(f, "%-*s %8lld %8lld %8lld %8lld %8lld\n", (int)sw, q->secs[i].code,
                k[1], k[2], k[3], k[0], k[0] + k[1] + k[2] + k[3]);
    }
    fprintf(f, "%-*s %8lld %8lld %8lld %8lld %8lld\n", (int)sw, "all", q->cls[1],
            q->cls[2], q->cls[3], q->cls[0], q->n);
}

static void
write_json_summary(qout *q)
{
    FILE *f = q->f;
    fprintf(f, "],\n\"count\":%lld,\n\"summary\":{\"by_class\":{", q->n);
    for (int c = 0; c < 4; c++)
        fprintf(f, "%s\"%s\":%lld", c ? "," : "", class_cols[c], q->cls[c]);
    fputs("},\"by_sector\":{", f);
    for (size_t i = 0; i < q->n_secs; i++) {
        if (i)
            fputc(',', f);
        json_string(f, q->secs[i].code);
        fputs(":{", f);
        long long total = 0;
        for (int c = 0; c < 4; c++) {
            fprintf(f, "%s\"%s\":%lld", c ? "," : "", class_cols[c], q->secs[i].k[c]);
            total += q->secs[i].k[c];
        }
        fprintf(f, ",\"total\":%lld}", total);
    }
    fputs("}}}\n", f);
}

static void
qout_free(qout *q)
{
    for (size_t i = 0; i < q->n_cells; i++)
        free(q->cells[i]);
    free(q->cells);
    for (size_t i = 0; i < q->n_secs; i++)
        free(q->secs[i].code);
    free(q->secs);
    sinspace_geojson_writer_destroy(q->gj);
}

/* -------------------------------------------------------------------------
 * Arguments
 */

/* Opens the output: stdout, or a private temporary file beside -o, renamed
 * into place once everything is written. */
static int
open_output(const char *path, char **tmp, FILE **out)
{
    if (!path) {
        *out = stdout;
        return 0;
    }
    size_t n = strlen(path) + 16;
    char *t = malloc(n);
    if (!t)
        return -1;
    snprintf(t, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(t); /* mode 0600 */
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(t);
        }
        fprintf(stderr, "sinspace: %s: cannot create: %s\n", path, strerror(e));
        free(t);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(t);
        free(t);
        return -1;
    }
    *tmp = t;
    *out = f;
    return 0;
}

static int
run(cli *c, int argc, char **argv)
{
    enum {
        O_WITHIN = 256, O_SRS, O_MAKE_VALID, O_AREA, O_FENCE, O_ZONE, O_NEAR,
        O_RADIUS, O_BBOX, O_BUFFER, O_MIN_RISK, O_CLASS, O_SECTOR, O_STATUS,
        O_SEEN, O_CHANGED, O_LIMIT, O_SORT, O_FORMAT, O_INTERNAL, O_EXPLAIN
    };
    static const struct option longopts[] = {
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
        {"sort", required_argument, NULL, O_SORT},
        {"format", required_argument, NULL, O_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"internal", no_argument, NULL, O_INTERNAL},
        {"explain", no_argument, NULL, O_EXPLAIN},
        {NULL, 0, NULL, 0}};
    const cli_command *cmd = &cmd_query;
    const char *within = NULL, *srs = NULL, *area = NULL, *fence = NULL;
    const char *zone = NULL, *near = NULL, *radius = NULL, *bbox = NULL;
    const char *buffer = NULL, *output = NULL;
    int make_valid = 0, internal = 0, explain = 0, n_regions = 0;
    enum format format = FMT_TABLE;
    sinspace_filter filter;
    sinspace_filter_init(&filter);
    const char **sectors = calloc((size_t)argc + 1, sizeof *sectors);
    if (!sectors)
        return EXIT_FAILURE_;
    int rc = EXIT_OK, opt;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
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
            if (cli_parse_number(optarg, &filter.min_risk) < 0 || filter.min_risk < 1.0 ||
                filter.min_risk > 3.0) {
                rc = cli_usage_error(cmd, "--min-risk takes a number from 1 to 3, "
                                     "not '%s'", optarg);
                goto out;
            }
            break;
        case O_CLASS:
            if (cli_parse_classes(optarg, &filter.classes) < 0) {
                rc = cli_usage_error(cmd, "--class takes low, medium, high or "
                                     "unscored (comma-separated), not '%s'", optarg);
                goto out;
            }
            break;
        case O_SECTOR: sectors[filter.n_sectors++] = optarg; break;
        case O_STATUS: filter.status = optarg; break;
        case O_SEEN: filter.seen_since = optarg; break;
        case O_CHANGED: filter.changed_since = optarg; break;
        case O_LIMIT: {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (end == optarg || *end || errno || v <= 0) {
                rc = cli_usage_error(cmd, "--limit takes a whole number above 0, "
                                     "not '%s'", optarg);
                goto out;
            }
            filter.limit = v;
            break;
        }
        case O_SORT:
            if (!strcmp(optarg, "risk"))
                filter.sort = SINSPACE_SORT_RISK;
            else if (!strcmp(optarg, "name"))
                filter.sort = SINSPACE_SORT_NAME;
            else if (!strcmp(optarg, "distance"))
                filter.sort = SINSPACE_SORT_DISTANCE;
            else if (!strcmp(optarg, "id"))
                filter.sort = SINSPACE_SORT_ID;
            else {
                rc = cli_usage_error(cmd, "--sort takes risk, name, distance or id, "
                                     "not '%s'", optarg);
                goto out;
            }
            break;
        case O_FORMAT:
            if (!strcmp(optarg, "table"))
                format = FMT_TABLE;
            else if (!strcmp(optarg, "csv"))
                format = FMT_CSV;
            else if (!strcmp(optarg, "geojson"))
                format = FMT_GEOJSON;
            else if (!strcmp(optarg, "json"))
                format = FMT_JSON;
            else if (!strcmp(optarg, "ids"))
                format = FMT_IDS;
            else {
                rc = cli_usage_error(cmd, "--format takes table, csv, geojson, "
                                     "json or ids, not '%s'", optarg);
                goto out;
            }
            break;
        case 'o': output = optarg; break;
        case O_INTERNAL: internal = 1; break;
        case O_EXPLAIN: explain = 1; break;
        default:
            rc = cli_usage_error(cmd, "bad option");
            goto out;
        }
    }
    filter.sectors = filter.n_sectors ? sectors : NULL;
    if (argc - optind != 1) {
        rc = cli_usage_error(cmd, "expected one database path");
        goto out;
    }
    if (n_regions != 1) {
        rc = cli_usage_error(cmd, n_regions ? "give only one region"
                                            : "give a region: --within, --area, "
                                              "--fence, --zone, --near or --bbox");
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
    if (filter.sort == SINSPACE_SORT_DISTANCE && !near) {
        rc = cli_usage_error(cmd, "--sort distance needs --near");
        goto out;
    }
    double centre[2], box[4], radius_m = 0, buffer_m = 0;
    long long zone_id = 0;
    if (near && cli_parse_numbers(near, centre, 2) < 0) {
        rc = cli_usage_error(cmd, "--near takes LON,LAT in degrees, not '%s'", near);
        goto out;
    }
    if (bbox && cli_parse_numbers(bbox, box, 4) < 0) {
        rc = cli_usage_error(cmd, "--bbox takes W,S,E,N in degrees, not '%s'", bbox);
        goto out;
    }
    if (zone) {
        char *end;
        errno = 0;
        zone_id = strtoll(zone, &end, 10);
        if (end == zone || *end || errno || zone_id <= 0) {
            rc = cli_usage_error(cmd, "--zone takes a zone id, not '%s'", zone);
            goto out;
        }
    }
    if (output) {
        /* Renaming the output over the database would destroy it. */
        struct stat so, sd;
        if (stat(output, &so) == 0 && stat(argv[optind], &sd) == 0 &&
            so.st_dev == sd.st_dev && so.st_ino == sd.st_ino) {
            rc = cli_usage_error(cmd, "-o %s is the database itself", output);
            goto out;
        }
    }
    sinspace_status st;
    if (radius && (st = sinspace_parse_distance(c->ctx, radius, &radius_m))) {
        rc = cli_usage_error(cmd, "--radius: %s", sinspace_context_message(c->ctx));
        goto out;
    }
    if (buffer && (st = sinspace_parse_distance(c->ctx, buffer, &buffer_m))) {
        rc = cli_usage_error(cmd, "--buffer: %s", sinspace_context_message(c->ctx));
        goto out;
    }

    sinspace_store *store = NULL;
    /* Read-write: the query is written to the audit trail. */
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store)))
        goto out;
    sinspace_region *region = NULL;
    if (within)
        st = sinspace_region_from_file(c->ctx, within, srs, make_valid, &region);
    else if (area)
        st = sinspace_region_from_area(store, area, &region);
    else if (fence)
        st = sinspace_region_from_fence(store, fence, &region);
    else if (zone)
        st = sinspace_region_from_zone(store, zone_id, &region);
    else if (near)
        st = sinspace_region_from_circle(c->ctx, centre[0], centre[1], radius_m, &region);
    else
        st = sinspace_region_from_bbox(c->ctx, box[0], box[1], box[2], box[3], &region);
    if (!st && buffer)
        st = sinspace_region_buffer(region, buffer_m);
    if (st) {
        rc = cli_fail(c, st);
        goto close_store;
    }

    char *tmp = NULL;
    qout q;
    memset(&q, 0, sizeof q);
    q.format = format;
    q.internal = internal;
    q.near = near != NULL;
    q.changed = filter.changed_since != NULL;
    if (open_output(output, &tmp, &q.f) < 0) {
        rc = EXIT_FAILURE_;
        goto free_region;
    }
    char *fdesc = sinspace_filter_describe(&filter);
    if (format == FMT_CSV) {
        const char *names[MAX_COLS];
        int n = columns(&q, names);
        for (int i = 0; i < n; i++)
            fprintf(q.f, "%s%s", i ? "," : "", names[i]);
        fputc('\n', q.f);
    } else if (format == FMT_JSON) {
        fputs("{\"region\":", q.f);
        json_string(q.f, sinspace_region_describe(region));
        fputs(",\n\"filters\":", q.f);
        json_string(q.f, fdesc ? fdesc : "");
        fputs(",\n\"rows\":[", q.f);
    }
    sinspace_query_stats stats = {0};
    st = SINSPACE_OK;
    if (format == FMT_GEOJSON) {
        st = sinspace_geojson_writer_create(c->ctx, q.f, NULL, &q.gj);
        if (!st)
            st = sinspace_geojson_begin(q.gj, NULL, NULL, 0);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!st && format == FMT_IDS)
        st = sinspace_query_ids(store, region, &filter, on_id, &q, &stats);
    else if (!st)
        st = sinspace_query_workplaces(store, region, &filter, on_row, &q, &stats);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!st && q.gj_status)
        st = q.gj_status; /* the writer stopped the query */
    cli_progress_done(c);
    if (!st && q.failed) {
        fprintf(stderr, "sinspace: out of memory\n");
        rc = EXIT_FAILURE_;
    } else if (st) {
        rc = cli_fail(c, st);
    }
    if (!rc) {
        if (format == FMT_TABLE)
            write_table(&q);
        else if (format == FMT_GEOJSON && (st = sinspace_geojson_end(q.gj)))
            rc = cli_fail(c, st);
        else if (format == FMT_JSON)
            write_json_summary(&q);
        /* The writer is done with the file before it is closed. */
        sinspace_geojson_writer_destroy(q.gj);
        q.gj = NULL;
        int closing = !rc && q.f != stdout;
        if (!rc && (closing ? fclose(q.f) : fflush(q.f)) != 0) {
            fprintf(stderr, "sinspace: %s: write error: %s\n",
                    output ? output : "standard output", strerror(errno));
            rc = EXIT_FAILURE_;
        }
        if (closing)
            q.f = NULL;
    }
    if (!rc) {
        const char *fmt_names[] = {"table", "csv", "geojson", "json", "ids"};
        size_t n = (fdesc ? strlen(fdesc) : 0) + (output ? strlen(output) : 0) + 64;
        char *audit_filters = malloc(n);
        if (audit_filters)
            snprintf(audit_filters, n, "%s%sformat=%s%s%s", fdesc ? fdesc : "",
                     fdesc && *fdesc ? " " : "", fmt_names[format],
                     output ? " output=" : "", output ? output : "");
        sinspace_audit_entry e = {0};
        e.command = "query";
        e.target = sinspace_region_describe(region);
        e.audience = internal ? "internal" : NULL;
        e.filters = audit_filters;
        e.rows = q.n;
        st = sinspace_audit_record(store, &e);
        free(audit_filters);
        if (st)
            rc = cli_fail(c, st);
    }
    if (!rc && tmp && rename(tmp, output) != 0) {
        fprintf(stderr, "sinspace: %s: %s\n", output, strerror(errno));
        rc = EXIT_FAILURE_;
    }
    if (rc && tmp) {
        if (q.f && q.f != stdout)
            fclose(q.f);
        unlink(tmp);
    }
    if (!rc && q.n == 0 && format != FMT_TABLE && !c->quiet)
        fprintf(stderr, "sinspace: 0 workplaces\n");
    if (!rc && output && !c->quiet)
        fprintf(stderr, "sinspace: %lld workplace%s written to %s\n", q.n,
                q.n == 1 ? "" : "s", output);
    if (!rc && explain) {
        sinspace_store_info info;
        long long total = sinspace_store_info_get(store, &info) ? -1 : info.workplaces;
        fprintf(stderr, "explain: region: %s\n", sinspace_region_describe(region));
        fprintf(stderr, "explain: index candidates: %lld of %lld workplaces "
                "(R*Tree idx_workplaces_geom, one box per polygon part)\n",
                stats.candidates, total);
        if (stats.exact >= 0)
            fprintf(stderr, "explain: decided by the index's cell grid: %lld;"
                    " points read for the exact test: %lld\n",
                    stats.candidates - stats.exact, stats.exact);
        fprintf(stderr, "explain: inside the region: %lld\n", stats.inside);
        fprintf(stderr, "explain: after filters and limit: %lld\n", stats.matched);
        /* The query and its output, without the process's start (loading
         * GDAL's libraries) or opening the store. */
        fprintf(stderr, "explain: query and output took %.3f s\n",
                (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    free(fdesc);
    free(tmp);
    qout_free(&q);
free_region:
    sinspace_region_destroy(region);
close_store:
    sinspace_store_close(store);
out:
    free(sectors);
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
    "  --class C            low, medium, high or unscored; repeatable or C1,C2\n"
    "  --sector S           repeatable (see: sinspace sectors)\n"
    "  --status S           active, closed or unknown\n"
    "  --seen-since DATE    last seen on or after DATE (YYYY-MM-DD)\n"
    "  --changed-since DATE risk rose since DATE: the current risk is above the\n"
    "                       latest observation on or before DATE (workplaces\n"
    "                       not observed by DATE are left out)\n"
    "  --limit N            at most N rows\n"
    "  --sort KEY           risk (highest first), name, distance (--near), id\n\n"
    "OUTPUT:\n"
    "  --format F           table (default: rows, then a summary per sector and\n"
    "                       class), csv (header row, no summary), geojson\n"
    "                       (RFC 7946 points), json (rows and summary), ids\n"
    "                       (the database ids, as GeoJSON feature ids, one a\n"
    "                       line: the fastest, reading only the spatial index\n"
    "                       and the points near the region's edge)\n"
    "  -o, --output FILE    write to FILE (created mode 0600) instead of stdout\n"
    "  --internal           also output address, source and source note: these\n"
    "                       personal and source fields are left out otherwise;\n"
    "                       the audit trail records internal queries as such\n"
    "  --explain            on stderr: index candidates, rows inside, rows kept\n\n"
    "Every query is written to the audit trail (user, region, filters, rows).\n"
    "Exit status: 0 ok (also for 0 workplaces), 1 failure (e.g. unknown area or\n"
    "fence), 2 usage (bad option value, ambiguous area name), 3 invalid region\n"
    "file (the reason from GEOS is shown).\n",
    run};
