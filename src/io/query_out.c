/* query_out.c: the rows of a query written as `sinspace query` shows them
 * (sinspace_query_write in sinspace/query.h): an aligned table with a
 * summary per sector and class, CSV, GeoJSON, JSON or the workplaces' ids, to
 * standard output or a private file, and the query's audit row.
 *
 * Text goes through the library's one JSON escaper (core/json.h) and CSV
 * field writer (core/csv.h) with the formula guard; GeoJSON through the
 * export module's streaming writer (sinspace/export.h), the one
 * `sinspace export` uses; files through core/outfile.h. */
#include "core/csv.h"
#include "core/json.h"
#include "core/outfile.h"
#include "core/sinspaceInt.h"
#include "geo/queryInt.h"
#include "io/query_out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Per sector, the rows by risk class, for the summaries. */
typedef struct sector_count {
    char *code;
    long long k[4]; /* by sinspace_risk_class */
} sector_count;

/* One query's output under way. */
typedef struct qout {
    FILE *f;                      /* the outfile's stream or stdout */
    sinspace_query_format format;
    sinspace_geojson_writer *gj;  /* SINSPACE_QUERY_GEOJSON */
    sinspace_status gj_status;    /* the writer's first failure */
    int internal, near, changed;
    long long n;
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

#define MAX_COLS SINSPACE__QUERY_MAX_PROPS

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
json_properties(const qout *q, const sinspace_workplace_row *r)
{
    FILE *f = q->f;
    fputs("{\"id\":", f);
    sinspace__json_string(f, r->ext_id);
    fputs(",\"name\":", f);
    sinspace__json_string(f, r->name);
    fputs(",\"sector\":", f);
    sinspace__json_string(f, r->sector);
    fputs(",\"risk\":", f);
    sinspace__json_number(f, 3, r->risk);
    fputs(",\"class\":", f);
    sinspace__json_string(f, r->risk_class);
    fputs(",\"lon\":", f);
    sinspace__json_number(f, 6, r->lon);
    fputs(",\"lat\":", f);
    sinspace__json_number(f, 6, r->lat);
    fputs(",\"area\":", f);
    sinspace__json_string(f, r->area_code);
    fputs(",\"last_seen\":", f);
    sinspace__json_string(f, r->last_seen);
    if (q->near) {
        fputs(",\"distance_m\":", f);
        sinspace__json_number(f, 1, r->distance_m);
    }
    if (q->changed) {
        fputs(",\"risk_rise\":", f);
        sinspace__json_number(f, 3, r->risk_change);
    }
    if (q->internal) {
        fputs(",\"address\":", f);
        sinspace__json_string(f, r->address);
        fputs(",\"source\":", f);
        sinspace__json_string(f, r->source_type);
        fputs(",\"source_note\":", f);
        sinspace__json_string(f, r->source_note);
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
 * first; address, source and note only with --internal.  The web API
 * writes the same (io/query_out.h). */
size_t
sinspace__query_geojson_properties(const sinspace_workplace_row *r, int near,
                                   int changed, int internal,
                                   sinspace_property *p)
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
    if (near)
        REAL("distance_m", rounded(r->distance_m, 1));
    if (changed)
        REAL("risk_rise", rounded(r->risk_change, 3));
    if (internal) {
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

static int
on_row(void *user, const sinspace_workplace_row *r)
{
    qout *q = user;
    count_row(q, r);
    const char *cells[MAX_COLS];
    char bufs[6][48];
    int n = row_cells(q, r, cells, bufs);
    switch (q->format) {
    case SINSPACE_QUERY_TABLE:
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
    case SINSPACE_QUERY_CSV:
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
                sinspace__csv_write_field(q->f, d);
                free(d);
            } else {
                sinspace__csv_write_field(q->f, cells[i]);
            }
        }
        fputc('\n', q->f);
        break;
    case SINSPACE_QUERY_GEOJSON: {
        sinspace_property props[MAX_COLS];
        size_t np = sinspace__query_geojson_properties(r, q->near, q->changed,
                                                       q->internal, props);
        q->gj_status = sinspace_geojson_write_point_text_id(q->gj, r->ext_id, props, np,
                                                    r->lon, r->lat);
        if (q->gj_status)
            return 1;
        break;
    }
    case SINSPACE_QUERY_IDS:
        /* The workplace's own id, the id column of every other format. */
        fprintf(q->f, "%s\n", r->ext_id ? r->ext_id : "");
        break;
    case SINSPACE_QUERY_FORMAT_INVALID: /* refused before the query */
        break;
    case SINSPACE_QUERY_JSON:
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
        sinspace__json_string(f, q->secs[i].code);
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
 * Formats
 */

static const char *const format_names[] = {"table", "csv", "geojson", "json", "ids"};
#define N_FORMATS (sizeof format_names / sizeof *format_names)

sinspace_query_format
sinspace_query_format_parse(const char *name)
{
    for (size_t i = 0; name && i < N_FORMATS; i++)
        if (!strcmp(name, format_names[i]))
            return (sinspace_query_format)i;
    return SINSPACE_QUERY_FORMAT_INVALID;
}

const char *
sinspace_query_format_name(sinspace_query_format format)
{
    if (format < 0 || (size_t)format >= N_FORMATS)
        return NULL;
    return format_names[format];
}

/* -------------------------------------------------------------------------
 * The query, its output and its audit row
 */

/* What comes before the rows: the CSV header, the JSON's region and
 * filters, the GeoJSON collection's opening. */
static sinspace_status
write_head(sinspace_context *ctx, qout *q, const sinspace_region *region,
           const char *fdesc)
{
    if (q->format == SINSPACE_QUERY_CSV) {
        const char *names[MAX_COLS];
        int n = columns(q, names);
        for (int i = 0; i < n; i++)
            fprintf(q->f, "%s%s", i ? "," : "", names[i]);
        fputc('\n', q->f);
    } else if (q->format == SINSPACE_QUERY_JSON) {
        fputs("{\"region\":", q->f);
        sinspace__json_string(q->f, sinspace_region_describe(region));
        fputs(",\n\"filters\":", q->f);
        sinspace__json_string(q->f, fdesc ? fdesc : "");
        fputs(",\n\"rows\":[", q->f);
    } else if (q->format == SINSPACE_QUERY_GEOJSON) {
        sinspace_status st = sinspace_geojson_writer_create(ctx, q->f, NULL, &q->gj);
        if (!st)
            st = sinspace_geojson_begin(q->gj, NULL, NULL, 0);
        return st;
    }
    return SINSPACE_OK;
}

/* What comes after the rows: the table itself (it needs every width), the
 * GeoJSON collection's end, the JSON summary. */
static sinspace_status
write_tail(qout *q)
{
    sinspace_status st = SINSPACE_OK;
    if (q->format == SINSPACE_QUERY_TABLE)
        write_table(q);
    else if (q->format == SINSPACE_QUERY_GEOJSON)
        st = sinspace_geojson_end(q->gj);
    else if (q->format == SINSPACE_QUERY_JSON)
        write_json_summary(q);
    /* The writer is done with the stream before it is closed. */
    sinspace_geojson_writer_destroy(q->gj);
    q->gj = NULL;
    return st;
}

/* The audit row: the filters, then format=F and output=PATH. */
static sinspace_status
audit(sinspace_store *store, const sinspace_region *region, const char *fdesc,
      sinspace_query_format format, int internal, const char *path, long long rows)
{
    size_t n = (fdesc ? strlen(fdesc) : 0) + (path ? strlen(path) : 0) + 64;
    char *filters = malloc(n);
    if (filters)
        snprintf(filters, n, "%s%sformat=%s%s%s", fdesc ? fdesc : "",
                 fdesc && *fdesc ? " " : "", format_names[format],
                 path ? " output=" : "", path ? path : "");
    sinspace_audit_entry e = {0};
    e.command = "query";
    e.target = sinspace_region_describe(region);
    e.audience = internal ? "internal" : NULL;
    e.filters = filters;
    e.rows = rows;
    sinspace_status st = sinspace_audit_record(store, &e);
    free(filters);
    return st;
}

/* --format ids: the workplace's own id, the id column of every other
 * format, one a line. */
static int
on_own_id(void *user, const char *own_id)
{
    qout *q = user;
    fprintf(q->f, "%s\n", own_id);
    q->n++;
    return ferror(q->f);
}

sinspace_status
sinspace_query_write(sinspace_store *store, const sinspace_region *region,
                     const sinspace_filter *filter, sinspace_query_format format,
                     int flags, const char *path, sinspace_query_result *result)
{
    int internal = (flags & SINSPACE_QUERY_INTERNAL) != 0;
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || format < 0 || (size_t)format >= N_FORMATS)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "sinspace_query_write: no store or no such format");
    if (result)
        memset(result, 0, sizeof *result);
    sinspace__outfile *of = NULL;
    sinspace_status st = SINSPACE_OK;
    if (path && (st = sinspace__outfile_open(ctx, path,
                                             (flags & SINSPACE_QUERY_OVERWRITE)
                                                 ? SINSPACE__OUTFILE_REPLACE
                                                 : SINSPACE__OUTFILE_NO_REPLACE,
                                             &of)))
        return st;
    /* Standard output gets the result only once it is complete and
     * audited: until then it is held in memory, so a query that fails
     * prints nothing that looks like a result. */
    char *held = NULL;
    size_t held_size = 0;
    FILE *mem = NULL;
    if (!of && !(mem = open_memstream(&held, &held_size)))
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    qout q;
    memset(&q, 0, sizeof q);
    q.f = of ? sinspace__outfile_stream(of) : mem;
    q.format = format;
    q.internal = internal;
    /* Circle regions (--near) have a distance per row. */
    q.near = region && region->is_circle;
    q.changed = filter && filter->changed_since;
    char *fdesc = sinspace_filter_describe(filter);
    sinspace_query_stats stats = {0};
    st = write_head(ctx, &q, region, fdesc);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!st && format == SINSPACE_QUERY_IDS)
        /* The spatial index and one lookup a hit, not whole rows. */
        st = sinspace_query_own_ids(store, region, filter, on_own_id, &q, &stats);
    else if (!st)
        st = sinspace_query_workplaces(store, region, filter, on_row, &q, &stats);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!st && q.gj_status)
        st = q.gj_status; /* the writer stopped the query */
    if (!st && q.failed)
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (!st)
        st = write_tail(&q);
    /* Everything reaches the file before the audit says it was written. */
    if (!st && (fflush(q.f) != 0 || ferror(q.f)))
        st = sinspace__error(ctx, SINSPACE_IO, "%s: write error: %s",
                             path ? path : "standard output", strerror(errno));
    if (!st)
        st = audit(store, region, fdesc, format, internal, path, q.n);
    st = sinspace__outfile_finish(of, st);
    if (mem) {
        fclose(mem);
        if (!st && held_size &&
            (fwrite(held, 1, held_size, stdout) != held_size || fflush(stdout) != 0))
            st = sinspace__error(ctx, SINSPACE_IO, "standard output: write error: %s",
                                 strerror(errno));
        free(held);
    }
    if (result) {
        result->rows = q.n;
        result->stats = stats;
        result->seconds = (double)(t1.tv_sec - t0.tv_sec) +
                          (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    }
    free(fdesc);
    qout_free(&q);
    return st;
}
