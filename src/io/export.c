/* export.c: writing a store's layers out for researchers and partners (see
 * sinspace/export.h and docs/export.md): the public entries (to a file and
 * to memory, one code path), the options and names, and what every format
 * shares: the audience rules, the audit row, and publishing only a
 * complete, audited output.
 *
 * Each layer is read row by row through the engine (store/export.h); each
 * row becomes one feature in a sink, one per format family (export_int.h):
 * the streaming GeoJSON writer (export_geojson.c) or an OGR layer
 * (export_ogr.c).  Every layer's attributes are listed once in a column
 * table with the audiences allowed to see each; the engine hands them in
 * that order, and whatever the audience may not see is dropped before the
 * sink, so a withheld field cannot leak through one format and not
 * another.  Public workplace points go through geomask.c.
 *
 * Files are written beside their final name, audited, then moved into
 * place: a failed export leaves nothing. */
#include "io/export_int.h"
#include "core/outfile.h"
#include "geo/cover.h"
#include "geo/geomask.h"
#include "store/export.h"

#include <gdal.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PUB (1u << SINSPACE_AUDIENCE_PUBLIC)
#define PAR (1u << SINSPACE_AUDIENCE_PARTNER)
#define INT (1u << SINSPACE_AUDIENCE_INTERNAL)
#define ALL (PUB | PAR | INT)

typedef sinspace__export_column column;

/* The layers' columns, in the engine's order (store/export.h).
 * Workplaces: names match the import contract, so an internal export
 * imports back as the same workplaces. */
static const column workplace_columns[SINSPACE__XWP_N] = {
    {"id", SINSPACE_VALUE_TEXT, PAR | INT},
    {"name", SINSPACE_VALUE_TEXT, PAR | INT},
    {"name_local", SINSPACE_VALUE_TEXT, PAR | INT},
    {"sector", SINSPACE_VALUE_TEXT, ALL},
    {"status", SINSPACE_VALUE_TEXT, ALL},
    {"risk", SINSPACE_VALUE_REAL, ALL},
    {"risk_class", SINSPACE_VALUE_TEXT, ALL},
    {"area", SINSPACE_VALUE_TEXT, PAR | INT},
    {"district", SINSPACE_VALUE_TEXT, PUB},
    {"first_seen", SINSPACE_VALUE_DATE, ALL},
    {"last_seen", SINSPACE_VALUE_DATE, ALL},
    {"observed", SINSPACE_VALUE_DATE, INT},
    {"address", SINSPACE_VALUE_TEXT, INT},
    {"source", SINSPACE_VALUE_TEXT, INT},
    {"source_note", SINSPACE_VALUE_TEXT, INT},
    {"observer", SINSPACE_VALUE_TEXT, INT},
    {"updated", SINSPACE_VALUE_DATETIME, INT},
};

static const column observation_columns[SINSPACE__XOB_N] = {
    {"workplace", SINSPACE_VALUE_TEXT, PAR | INT},
    {"name", SINSPACE_VALUE_TEXT, PAR | INT},
    {"sector", SINSPACE_VALUE_TEXT, ALL},
    {"observed", SINSPACE_VALUE_DATE, ALL},
    {"risk", SINSPACE_VALUE_REAL, ALL},
    {"risk_class", SINSPACE_VALUE_TEXT, ALL},
    {"scored", SINSPACE_VALUE_INTEGER, ALL},
    {"district", SINSPACE_VALUE_TEXT, PUB},
    {"source", SINSPACE_VALUE_TEXT, INT},
    {"source_note", SINSPACE_VALUE_TEXT, INT},
    {"observer", SINSPACE_VALUE_TEXT, INT},
/* The 28 scores of one visit are a fingerprint that would join a public
 * row to the partner file's: not public. */
#define I(n) {"i" #n, SINSPACE_VALUE_INTEGER, PAR | INT}
    I(01), I(02), I(03), I(04), I(05), I(06), I(07), I(08), I(09), I(10),
    I(11), I(12), I(13), I(14), I(15), I(16), I(17), I(18), I(19), I(20),
    I(21), I(22), I(23), I(24), I(25), I(26), I(27), I(28),
#undef I
};

/* Areas; aggregated workplaces (--aggregate) have the same columns. */
static const column area_columns[SINSPACE__XAR_N] = {
    {"code", SINSPACE_VALUE_TEXT, ALL},
    {"parent_code", SINSPACE_VALUE_TEXT, ALL},
    {"level", SINSPACE_VALUE_TEXT, ALL},
    {"name_latin", SINSPACE_VALUE_TEXT, ALL},
    {"name_local", SINSPACE_VALUE_TEXT, ALL},
    {"area_km2", SINSPACE_VALUE_REAL, ALL},
    {"workplaces", SINSPACE_VALUE_INTEGER, ALL},
    {"high_risk", SINSPACE_VALUE_INTEGER, ALL},
    {"mean_risk", SINSPACE_VALUE_REAL, ALL},
    {"risk_density", SINSPACE_VALUE_REAL, ALL},
    {"suppressed", SINSPACE_VALUE_BOOLEAN, PUB},
    {"source", SINSPACE_VALUE_TEXT, ALL},
};

static const column zone_columns[SINSPACE__XZO_N] = {
    {"zone", SINSPACE_VALUE_INTEGER, ALL},
    {"computed_at", SINSPACE_VALUE_DATETIME, ALL},
    {"params", SINSPACE_VALUE_TEXT, ALL},
    {"workplaces", SINSPACE_VALUE_INTEGER, ALL},
    {"mean_risk", SINSPACE_VALUE_REAL, ALL},
    {"max_risk", SINSPACE_VALUE_REAL, ALL},
    {"peak_density", SINSPACE_VALUE_REAL, ALL},
    {"sectors", SINSPACE_VALUE_TEXT, ALL},
};

static const column fence_columns[SINSPACE__XFE_N] = {
    {"name", SINSPACE_VALUE_TEXT, ALL},
    {"description", SINSPACE_VALUE_TEXT, ALL},
    {"added_by", SINSPACE_VALUE_TEXT, INT},
    {"added_at", SINSPACE_VALUE_DATETIME, INT},
};

static const column tile_columns[SINSPACE__XTI_N] = {
    {"path", SINSPACE_VALUE_TEXT, INT},
    {"driver", SINSPACE_VALUE_TEXT, ALL},
    {"crs", SINSPACE_VALUE_TEXT, ALL},
    {"width", SINSPACE_VALUE_INTEGER, ALL},
    {"height", SINSPACE_VALUE_INTEGER, ALL},
    {"bands", SINSPACE_VALUE_INTEGER, ALL},
    {"pixel_size", SINSPACE_VALUE_REAL, ALL},
    {"pixel_size_m", SINSPACE_VALUE_REAL, ALL},
    {"acquired", SINSPACE_VALUE_TEXT, ALL},
    {"source", SINSPACE_VALUE_TEXT, ALL},
    {"attribution", SINSPACE_VALUE_TEXT, ALL},
    {"added", SINSPACE_VALUE_DATETIME, INT},
};

/* The network's responders (docs/network.md): the public sees what kind
 * of help covers which areas, never who (names of teams are often names
 * of people) nor where they sit; contacts only in an internal file asked
 * for with contacts. */
static const column responder_columns[SINSPACE__XRS_N] = {
    {"id", SINSPACE_VALUE_TEXT, PAR | INT},
    {"name", SINSPACE_VALUE_TEXT, PAR | INT},
    {"agency", SINSPACE_VALUE_TEXT, ALL},
    {"role", SINSPACE_VALUE_TEXT, ALL},
    {"expertise", SINSPACE_VALUE_TEXT, ALL},
    {"languages", SINSPACE_VALUE_TEXT, ALL},
    {"areas", SINSPACE_VALUE_TEXT, ALL},
    {"radius_m", SINSPACE_VALUE_REAL, PAR | INT},
    {"availability", SINSPACE_VALUE_TEXT, INT},
    {"active", SINSPACE_VALUE_BOOLEAN, ALL},
    {"verified", SINSPACE_VALUE_DATE, INT},
    {"phone", SINSPACE_VALUE_TEXT, INT},
    {"email", SINSPACE_VALUE_TEXT, INT},
    {"contact", SINSPACE_VALUE_TEXT, INT},
};

/* -------------------------------------------------------------------------
 * Names
 */

static const char *const layer_names[] = {
    "workplaces", "observations", "areas", "zones", "fences", "tiles",
    "responders"};
static const char *const audience_names[] = {"public", "partner", "internal"};
static const char *const format_names[] = {
    "auto", "GeoJSON", "GeoJSONSeq", "GPKG", "ESRI Shapefile", "KML",
    "FlatGeobuf", "CSV"};

sinspace_export_layer
sinspace_export_layer_parse(const char *name)
{
    for (int i = 0; name && i < 7; i++)
        if (!strcmp(name, layer_names[i]))
            return (sinspace_export_layer)i;
    return SINSPACE_EXPORT_LAYER_INVALID;
}

const char *
sinspace_export_layer_name(sinspace_export_layer layer)
{
    return layer >= 0 && layer < 7 ? layer_names[layer] : NULL;
}

int
sinspace_csv_formula_like(const char *text)
{
    if (!text || !strchr("=+-@\t\r", text[0]) || !text[0])
        return 0;
    /* "-12.5" and "+3" are numbers to a spreadsheet, not formulas. */
    char *end;
    (void)strtod(text, &end);
    return end == text || *end != '\0';
}

sinspace_audience
sinspace_audience_parse(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, audience_names[i]))
            return (sinspace_audience)i;
    return SINSPACE_AUDIENCE_INVALID;
}

const char *
sinspace_audience_name(sinspace_audience audience)
{
    return audience >= 0 && audience < 3 ? audience_names[audience] : NULL;
}

/* The other names of each format: GDAL's long name and extensions as GDAL
 * 3.6 gives them (the driver's own metadata is asked too, for another
 * GDAL's words), and the ones people say. */
static const char *const format_aliases[8][5] = {
    [SINSPACE_FORMAT_GEOJSON] = {"json", "geojson"},
    [SINSPACE_FORMAT_GEOJSONSEQ] = {"GeoJSON Sequence", "geojsons", "geojsonl",
                                    "geojsonseq"},
    [SINSPACE_FORMAT_GPKG] = {"GeoPackage", "gpkg"},
    [SINSPACE_FORMAT_SHAPEFILE] = {"Shapefile", "shp"},
    [SINSPACE_FORMAT_KML] = {"Keyhole Markup Language (KML)", "kml"},
    [SINSPACE_FORMAT_FLATGEOBUF] = {"fgb"},
    [SINSPACE_FORMAT_CSV] = {"Comma Separated Value (.csv)", "csv"},
};

/* 1 when name is one of the space-separated words of list (GDAL's
 * DMD_EXTENSIONS), in any case. */
static int
in_word_list(const char *name, const char *list)
{
    size_t n = strlen(name);
    while (list && *list) {
        while (*list == ' ')
            list++;
        size_t k = strcspn(list, " ");
        if (k && k == n && !strncasecmp(list, name, n))
            return 1;
        list += k;
    }
    return 0;
}

sinspace_export_format
sinspace_export_format_parse(const char *name)
{
    if (!name || !*name)
        return SINSPACE_FORMAT_INVALID;
    /* An extension may come with its dot. */
    const char *bare = name[0] == '.' && name[1] ? name + 1 : name;
    for (int i = 1; i < 8; i++) {
        if (!strcasecmp(name, format_names[i]))
            return (sinspace_export_format)i;
        for (int k = 0; k < 5 && format_aliases[i][k]; k++)
            if (!strcasecmp(name, format_aliases[i][k]) ||
                !strcasecmp(bare, format_aliases[i][k]))
                return (sinspace_export_format)i;
    }
    /* What the driver itself says, when GDAL's drivers are registered (a
     * context registers them). */
    if (GDALGetDriverCount() > 0) {
        for (int i = 1; i < 8; i++) {
            GDALDriverH drv = GDALGetDriverByName(format_names[i]);
            if (!drv)
                continue;
            const char *ln = GDALGetMetadataItem(drv, GDAL_DMD_LONGNAME, NULL);
            if (ln && !strcasecmp(name, ln))
                return (sinspace_export_format)i;
            if (in_word_list(bare, GDALGetMetadataItem(drv, GDAL_DMD_EXTENSIONS,
                                                       NULL)) ||
                in_word_list(bare, GDALGetMetadataItem(drv, GDAL_DMD_EXTENSION,
                                                       NULL)))
                return (sinspace_export_format)i;
        }
    }
    return SINSPACE_FORMAT_INVALID;
}

const char *
sinspace_export_format_list(void)
{
    return "GeoJSON, GeoJSONSeq (GeoJSON Sequence), GPKG (GeoPackage), "
           "ESRI Shapefile (Shapefile, shp), KML, FlatGeobuf (fgb), CSV, "
           "or a file extension; any case";
}

const char *
sinspace_export_format_name(sinspace_export_format format)
{
    return format > 0 && format < 8 ? format_names[format] : NULL;
}

sinspace_export_format
sinspace_export_format_from_path(const char *path)
{
    if (!path || !strcmp(path, "-"))
        return SINSPACE_FORMAT_GEOJSON;
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot)
        return SINSPACE_FORMAT_GEOJSON;
    static const struct { const char *ext; sinspace_export_format f; } exts[] = {
        {".geojson", SINSPACE_FORMAT_GEOJSON}, {".json", SINSPACE_FORMAT_GEOJSON},
        {".geojsons", SINSPACE_FORMAT_GEOJSONSEQ},
        {".geojsonl", SINSPACE_FORMAT_GEOJSONSEQ},
        {".geojsonseq", SINSPACE_FORMAT_GEOJSONSEQ},
        {".gpkg", SINSPACE_FORMAT_GPKG}, {".shp", SINSPACE_FORMAT_SHAPEFILE},
        {".kml", SINSPACE_FORMAT_KML}, {".fgb", SINSPACE_FORMAT_FLATGEOBUF},
        {".csv", SINSPACE_FORMAT_CSV}};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i].ext))
            return exts[i].f;
    return SINSPACE_FORMAT_INVALID;
}

void
sinspace_export_options_init(sinspace_export_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->layer = SINSPACE_EXPORT_WORKPLACES;
    opts->audience = SINSPACE_AUDIENCE_PUBLIC;
    opts->format = SINSPACE_FORMAT_AUTO;
    opts->precision = 6;
    opts->level = SINSPACE_LEVEL_DISTRICT;
    opts->min_count = 5;
}

/* -------------------------------------------------------------------------
 * What every sink shares
 */

int
sinspace__export_visible(const sinspace__exporter *ex, const column *c)
{
    return (c->audiences & (1u << ex->o->audience)) != 0;
}

int
sinspace__export_is_store_file(const sinspace_store *store, const char *path)
{
    struct stat a, b;
    const char *db = sinspace_store_path(store);
    if (!db || stat(path, &a) != 0)
        return 0;
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", db, sides[i]);
        if (stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return 1;
    }
    return 0;
}

sinspace_status
sinspace__export_dir_and_base(sinspace__exporter *ex, char **dir,
                              const char **base)
{
    const char *slash = strrchr(ex->path, '/');
    *base = slash ? slash + 1 : ex->path;
    if (!**base)
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: not a file name", ex->path);
    if (!slash)
        *dir = sinspace__strdup(".");
    else if (slash == ex->path)
        *dir = sinspace__strdup("/");
    else {
        *dir = malloc((size_t)(slash - ex->path) + 1);
        if (*dir) {
            memcpy(*dir, ex->path, (size_t)(slash - ex->path));
            (*dir)[slash - ex->path] = '\0';
        }
    }
    return *dir ? SINSPACE_OK
                : sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
}

size_t
sinspace__export_meta(const sinspace__exporter *ex, sinspace_property meta[5])
{
    size_t n = 0;
    meta[n++] = (sinspace_property){"audience", SINSPACE_VALUE_TEXT, 0, 0,
                                    sinspace_audience_name(ex->o->audience)};
    meta[n++] = (sinspace_property){"generated", SINSPACE_VALUE_DATETIME, 0, 0,
                                    ex->generated};
    meta[n++] = (sinspace_property){"layer", SINSPACE_VALUE_TEXT, 0, 0,
                                    ex->layer_name};
    meta[n++] = (sinspace_property){"generator", SINSPACE_VALUE_TEXT, 0, 0,
                                    sinspace_version()};
    if (ex->o->audience == SINSPACE_AUDIENCE_PUBLIC && !ex->polygons)
        meta[n++] = (sinspace_property){"geomasked", SINSPACE_VALUE_BOOLEAN, 1, 0,
                                        NULL};
    return n;
}

/* -------------------------------------------------------------------------
 * Rows: the audience rules
 */

typedef struct rows_ctx {
    sinspace__exporter *ex;
    sinspace_property *all;     /* the engine fills it for each row */
    sinspace_geomask *gm;       /* public points */
    sinspace__export_selection *sel; /* region and filter's workplaces */
    char months[SINSPACE__EXPORT_MAX_COLUMNS][8]; /* public dates, "YYYY-MM" */
    sinspace_status st;
    long long rows, displaced, suppressed;
} rows_ctx;

static void
set_null(sinspace_property *p)
{
    if (p->type == SINSPACE_VALUE_REAL)
        p->real = NAN;
    else if (p->type == SINSPACE_VALUE_INTEGER || p->type == SINSPACE_VALUE_BOOLEAN)
        p->type = SINSPACE_VALUE_NULL;
    else
        p->text = NULL;
}

/* What the public gets of a point's attributes: risk to one decimal,
 * dates to the month, so that no value is precise enough to join a public
 * row to a fuller file's. */
static void
coarsen(rows_ctx *rc, sinspace_property *all)
{
    const sinspace__exporter *ex = rc->ex;
    for (size_t i = 0; i < ex->n_cols; i++) {
        sinspace_property *p = &all[i];
        if (ex->coarse[i] == SINSPACE__EXPORT_ROUND1 &&
            p->type == SINSPACE_VALUE_REAL && isfinite(p->real)) {
            p->real = round(p->real * 10.0) / 10.0;
        } else if (ex->coarse[i] == SINSPACE__EXPORT_MONTH && p->text) {
            /* "YYYY-MM-DD..." -> "YYYY-MM"; anything shorter is withheld
             * rather than shown whole. */
            if (strlen(p->text) >= 7 && p->text[4] == '-') {
                memcpy(rc->months[i], p->text, 7);
                rc->months[i][7] = '\0';
                p->text = rc->months[i];
            } else {
                p->text = NULL;
            }
        }
    }
}

static int
on_row(void *user, const sinspace__export_row *row)
{
    rows_ctx *rc = user;
    sinspace__exporter *ex = rc->ex;
    sinspace_property *all = rc->all;
    int public_ = ex->o->audience == SINSPACE_AUDIENCE_PUBLIC;
    /* Outlives the block below: all[] may point into it. */
    sinspace_geomask_result gr;
    sinspace_status st;
    /* Public files number features 1..n: database ids stay inside. */
    long long id = public_ ? rc->rows + 1 : row->fid;
    if (ex->polygons) {
        if (public_ && (ex->o->layer == SINSPACE_EXPORT_AREAS ||
                        ex->o->layer == SINSPACE_EXPORT_WORKPLACES)) {
            /* Small counts are withheld (the polygon is an administrative
             * boundary and stays). */
            const sinspace_property *w = &all[SINSPACE__XAR_WORKPLACES];
            long long count = w->type == SINSPACE_VALUE_NULL ? 0 : w->integer;
            /* None is none: only 1 .. min-count - 1 could single anyone
             * out. */
            int small = count > 0 && count < ex->o->min_count;
            all[SINSPACE__XAR_SUPPRESSED].type = SINSPACE_VALUE_BOOLEAN;
            all[SINSPACE__XAR_SUPPRESSED].integer = small;
            if (small) {
                set_null(&all[SINSPACE__XAR_WORKPLACES]);
                set_null(&all[SINSPACE__XAR_HIGH]);
                set_null(&all[SINSPACE__XAR_MEAN]);
                set_null(&all[SINSPACE__XAR_DENSITY]);
                rc->suppressed++;
            }
        }
        if (public_ && ex->o->layer == SINSPACE_EXPORT_ZONES &&
            (all[SINSPACE__XZO_WORKPLACES].type == SINSPACE_VALUE_NULL ||
             all[SINSPACE__XZO_WORKPLACES].integer < ex->o->min_count)) {
            /* A zone drawn round a few workplaces shows where they are:
             * left out entirely. */
            rc->suppressed++;
            return 0;
        }
        st = ex->sink->write(ex, id, all, row->wkb, row->wkb_size, NAN, NAN);
    } else {
        double lon = row->lon, lat = row->lat;
        if (public_)
            coarsen(rc, all);
        if (public_ && isfinite(lon) && isfinite(lat)) {
            if ((st = sinspace__geomask_point(rc->gm, row->workplace_id,
                                              row->ext_id ? row->ext_id : "",
                                              lon, lat, &gr))) {
                rc->st = st;
                return 1;
            }
            lon = gr.lon;
            lat = gr.lat;
            int district = ex->o->layer == SINSPACE_EXPORT_WORKPLACES
                               ? SINSPACE__XWP_DISTRICT : SINSPACE__XOB_DISTRICT;
            all[district].text = gr.kept_level == SINSPACE_LEVEL_DISTRICT
                                     ? gr.kept_in : NULL;
            rc->displaced++;
        }
        st = ex->sink->write(ex, id, all, NULL, 0, lon, lat);
    }
    if (!st) {
        rc->rows++;
        if (rc->rows % 10000 == 0)
            st = sinspace__progress(ex->ctx, "export", (double)rc->rows, 0.0);
    }
    rc->st = st;
    return st != SINSPACE_OK;
}

static long long
order_key(void *user, const char *ext_id)
{
    return sinspace__geomask_order_key(user, ext_id);
}

static int
select_one(void *user, const sinspace_workplace_row *row)
{
    rows_ctx *rc = user;
    const sinspace__export_ops *ops = sinspace__store_engine(rc->ex->store)->export;
    /* Public files: the keyed order (geomask.h); else by id. */
    long long key = rc->gm ? sinspace__geomask_order_key(rc->gm, row->ext_id
                                                                 ? row->ext_id : "")
                           : 0;
    rc->st = ops->selection_add(rc->sel, row->id, key);
    return rc->st != SINSPACE_OK;
}

/* One responder: the public gets no base point (a volunteer's base may
 * be a home), nor the geomasking a workplace gets. */
static int
responder_row(void *user, long long fid, double lon, double lat)
{
    rows_ctx *rc = user;
    sinspace__exporter *ex = rc->ex;
    int public_ = ex->o->audience == SINSPACE_AUDIENCE_PUBLIC;
    if (public_) {
        coarsen(rc, rc->all);
        lon = lat = NAN;
    }
    sinspace_status st = ex->sink->write(ex, public_ ? rc->rows + 1 : fid, rc->all,
                                         NULL, 0, lon, lat);
    if (!st)
        rc->rows++;
    rc->st = st;
    return st != SINSPACE_OK;
}

/* Reads the layer through the engine, each row to the sink.  Workplaces
 * and observations in a region or passing a filter are chosen first
 * through the query module (the same rows as `sinspace query`); public
 * points always are, each with its key, so the file comes out in the
 * keyed order rather than the database's. */
static sinspace_status
run_layer(sinspace__exporter *ex, rows_ctx *rc)
{
    const sinspace_export_options *o = ex->o;
    const sinspace__export_ops *ops = sinspace__store_engine(ex->store)->export;
    sinspace_property all[SINSPACE__EXPORT_MAX_COLUMNS];
    for (size_t i = 0; i < ex->n_cols; i++)
        all[i] = (sinspace_property){ex->cols[i].name, ex->cols[i].type, 0, NAN,
                                     NULL};
    sinspace__export_read q = {
        .layer = o->layer,
        .aggregate = o->layer == SINSPACE_EXPORT_WORKPLACES && o->aggregate,
        .level = o->level,
        /* Only the internal audience sees the latest observation's date
         * and observer: the others skip the lookups (a third of the
         * export's time). */
        .latest = o->audience == SINSPACE_AUDIENCE_INTERNAL,
        .values = all,
        .n_values = ex->n_cols,
    };
    sinspace_status st;
    if (o->layer == SINSPACE_EXPORT_RESPONDERS) {
        rc->all = all;
        rc->st = SINSPACE_OK;
        st = sinspace__responders_export(ex->store, o->contacts, o->key_file, all,
                                         responder_row, rc);
        return rc->st ? rc->st : st;
    }
    int points_layer = o->layer == SINSPACE_EXPORT_WORKPLACES ||
                       o->layer == SINSPACE_EXPORT_OBSERVATIONS;
    int public_points = points_layer && !q.aggregate &&
                        o->audience == SINSPACE_AUDIENCE_PUBLIC;
    if (points_layer && (o->region || o->filter || public_points)) {
        if ((st = ops->selection_open(ex->store, &rc->sel)))
            return st;
        rc->st = SINSPACE_OK;
        if (!o->region && !o->filter)
            /* Public, everything: the ids and keys in one pass. */
            st = ops->selection_add_all(rc->sel, order_key, rc->gm);
        else
            st = sinspace_query_workplaces(ex->store, o->region, o->filter,
                                           select_one, rc, NULL);
        if (!st)
            st = rc->st;
        if (st)
            return st;
        q.selection = rc->sel;
        q.keyed = public_points;
    }
    /* Polygon layers, and the areas of an aggregate, keep what overlaps
     * the region. */
    if ((!points_layer || q.aggregate) && o->region) {
        if ((st = sinspace_region_wkb(o->region, &q.region_wkb,
                                      &q.region_wkb_size)))
            return st;
    }
    rc->all = all;
    rc->st = SINSPACE_OK;
    st = ops->read(ex->store, &q, on_row, rc);
    return rc->st ? rc->st : st;
}

/* -------------------------------------------------------------------------
 * Entry points
 */

static char *
describe_filters(const sinspace__exporter *ex)
{
    const sinspace_export_options *o = ex->o;
    char *filter = o->filter ? sinspace_filter_describe(o->filter) : NULL;
    const char *region = o->region ? sinspace_region_describe(o->region) : NULL;
    char agg[96] = "";
    if (o->layer == SINSPACE_EXPORT_WORKPLACES && o->aggregate)
        snprintf(agg, sizeof agg, "aggregate level=%s",
                 sinspace_area_level_name(o->level));
    char extra[64] = "";
    if (o->audience == SINSPACE_AUDIENCE_PUBLIC &&
        (o->aggregate || o->layer == SINSPACE_EXPORT_AREAS ||
         o->layer == SINSPACE_EXPORT_ZONES))
        snprintf(extra, sizeof extra, "min-count=%lld", o->min_count);
    size_t len = (filter ? strlen(filter) : 0) + (region ? strlen(region) : 0) +
                 strlen(agg) + strlen(extra) + 8;
    char *out = malloc(len);
    if (out) {
        out[0] = '\0';
        const char *parts[4] = {region, filter, agg[0] ? agg : NULL,
                                extra[0] ? extra : NULL};
        for (int i = 0; i < 4; i++) {
            if (!parts[i] || !*parts[i])
                continue;
            if (out[0])
                strcat(out, " ");
            strcat(out, parts[i]);
        }
    }
    free(filter);
    if (out && !out[0]) {
        free(out);
        out = NULL;
    }
    return out;
}

/* The files a Shapefile export writes beside FILE.shp. */
static const char *const shapefile_parts[] = {".shp", ".shx", ".dbf", ".prj",
                                              ".cpg"};

/* Refuses targets an export must never replace: the database, a folder,
 * and, without opts->overwrite, any existing file the export would write
 * (for a Shapefile, each of its parts).  Before any work: the sinks'
 * final moves check again, atomically. */
static sinspace_status
check_target(sinspace__exporter *ex, const char *path)
{
    struct stat sb;
    if (sinspace__export_is_store_file(ex->store, path))
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: that is the database itself; choose another "
                               "output file", path);
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: exists and is not a regular file", path);
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    /* These drivers make a folder of a name without their extension. */
    static const struct { sinspace_export_format f; const char *ext; } own[] = {
        {SINSPACE_FORMAT_SHAPEFILE, ".shp"}, {SINSPACE_FORMAT_CSV, ".csv"},
        {SINSPACE_FORMAT_FLATGEOBUF, ".fgb"}};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (ex->format == own[i].f && (!dot || strcasecmp(dot, own[i].ext)))
            return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                                   "%s: the %s format needs a name ending in "
                                   "%s (GDAL would write a folder)", path,
                                   sinspace_export_format_name(ex->format),
                                   own[i].ext);
    int replace = ex->o->overwrite ? SINSPACE__OUTFILE_REPLACE
                                   : SINSPACE__OUTFILE_NO_REPLACE;
    sinspace_status st = sinspace__outfile_check(ex->ctx, path, replace);
    if (st || replace || ex->format != SINSPACE_FORMAT_SHAPEFILE || !dot ||
        strcasecmp(dot, ".shp"))
        return st;
    size_t stem = (size_t)(dot - path), n = stem + 8;
    char *part = malloc(n);
    if (!part)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; !st && i < sizeof shapefile_parts / sizeof *shapefile_parts;
         i++) {
        snprintf(part, n, "%.*s%s", (int)stem, path, shapefile_parts[i]);
        st = sinspace__outfile_check(ex->ctx, part, replace);
    }
    free(part);
    return st;
}

/* The one export: to path (a file or "-") or, with path NULL, into
 * *data / *size. */
static sinspace_status
export_run(sinspace_store *store, const char *path,
           const sinspace_export_options *opts, unsigned char **data,
           size_t *size, sinspace_export_result *result)
{
    sinspace_export_options defaults;
    if (!opts) {
        sinspace_export_options_init(&defaults);
        opts = &defaults;
    }
    sinspace_context *ctx = sinspace_store_context(store);
    if (!sinspace_export_layer_name(opts->layer))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: unknown layer");
    if (!sinspace_audience_name(opts->audience))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: unknown audience");
    if (opts->precision < 0 || opts->precision > 15)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: precision %d is outside 0..15",
                               opts->precision);
    if (opts->min_count < 1)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: min-count must be at least 1");
    if (opts->aggregate && (opts->layer != SINSPACE_EXPORT_WORKPLACES ||
                            !sinspace_area_level_name(opts->level)))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: aggregate takes the workplaces layer and "
                               "an area level");
    if (opts->filter && opts->layer != SINSPACE_EXPORT_WORKPLACES &&
        opts->layer != SINSPACE_EXPORT_OBSERVATIONS)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: filters apply to the workplaces and "
                               "observations layers only");
    if (opts->contacts && (opts->layer != SINSPACE_EXPORT_RESPONDERS ||
                           opts->audience != SINSPACE_AUDIENCE_INTERNAL))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: contacts go only into an internal export "
                               "of the responders layer");
    if (opts->layer == SINSPACE_EXPORT_RESPONDERS && (opts->region || opts->aggregate))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: the responders layer takes no region and "
                               "no aggregate (sinspace cover selects by place)");
    const sinspace__export_ops *ops = sinspace__store_engine(store)->export;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: export records itself in the audit trail; "
                               "open the database for writing",
                               sinspace_store_path(store));
    sinspace__exporter ex;
    memset(&ex, 0, sizeof ex);
    ex.store = store;
    ex.ctx = ctx;
    ex.o = opts;
    ex.path = path;
    ex.label = path ? path : "(memory)";
    ex.format = opts->format != SINSPACE_FORMAT_AUTO
                    ? opts->format : sinspace_export_format_from_path(path);
    if (!sinspace_export_format_name(ex.format))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: unknown format; name one with --format "
                               "(%s)", ex.label, sinspace_export_format_list());
    sinspace_status st;
    if (path && strcmp(path, "-") && (st = check_target(&ex, path)))
        return st;
    sinspace__now_iso(ex.generated);
    ex.layer_name = sinspace_export_layer_name(opts->layer);
    switch (opts->layer) {
    case SINSPACE_EXPORT_WORKPLACES:
        if (opts->aggregate) {
            ex.cols = area_columns;
            ex.n_cols = SINSPACE__XAR_N;
            ex.polygons = 1;
        } else {
            ex.cols = workplace_columns;
            ex.n_cols = SINSPACE__XWP_N;
        }
        break;
    case SINSPACE_EXPORT_OBSERVATIONS:
        ex.cols = observation_columns;
        ex.n_cols = SINSPACE__XOB_N;
        break;
    case SINSPACE_EXPORT_AREAS:
        ex.cols = area_columns; ex.n_cols = SINSPACE__XAR_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_ZONES:
        ex.cols = zone_columns; ex.n_cols = SINSPACE__XZO_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_FENCES:
        ex.cols = fence_columns; ex.n_cols = SINSPACE__XFE_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_TILES:
        ex.cols = tile_columns; ex.n_cols = SINSPACE__XTI_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_RESPONDERS:
        ex.cols = responder_columns; ex.n_cols = SINSPACE__XRS_N; break;
    default:
        break;
    }
    /* The public's points: dates to the month (as text: "2025-08"), risk
     * to one decimal. */
    memcpy(ex.cols_buf, ex.cols, ex.n_cols * sizeof ex.cols[0]);
    if (opts->audience == SINSPACE_AUDIENCE_PUBLIC && !ex.polygons) {
        for (size_t i = 0; i < ex.n_cols; i++) {
            if (ex.cols_buf[i].type == SINSPACE_VALUE_DATE) {
                ex.cols_buf[i].type = SINSPACE_VALUE_TEXT;
                ex.coarse[i] = SINSPACE__EXPORT_MONTH;
            } else if (!strcmp(ex.cols_buf[i].name, "risk")) {
                ex.coarse[i] = SINSPACE__EXPORT_ROUND1;
            }
        }
    }
    /* Contact columns exist only when asked for. */
    if (opts->layer == SINSPACE_EXPORT_RESPONDERS && !opts->contacts) {
        ex.cols_buf[SINSPACE__XRS_PHONE].audiences = 0;
        ex.cols_buf[SINSPACE__XRS_EMAIL].audiences = 0;
        ex.cols_buf[SINSPACE__XRS_CONTACT].audiences = 0;
    }
    ex.cols = ex.cols_buf;
    ex.sink = ex.format == SINSPACE_FORMAT_GEOJSON ||
                      ex.format == SINSPACE_FORMAT_GEOJSONSEQ
                  ? &sinspace__export_geojson_sink : &sinspace__export_ogr_sink;

    rows_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.ex = &ex;
    st = SINSPACE_OK;
    if (opts->audience == SINSPACE_AUDIENCE_PUBLIC && !ex.polygons)
        st = sinspace__geomask_create(store, &rc.gm);
    if (!st)
        st = ex.sink->open(&ex);
    if (!st)
        st = run_layer(&ex, &rc);
    if (!st)
        st = ex.sink->finish(&ex);
    if (!st) {
        char target[1024];
        snprintf(target, sizeof target, "%s -> %s (%s)", ex.layer_name,
                 !path ? "(memory)" : strcmp(path, "-") ? path : "stdout",
                 sinspace_export_format_name(ex.format));
        char *filters = opts->contacts ? sinspace__strdup("contacts")
                                       : describe_filters(&ex);
        sinspace_audit_entry e = {0};
        e.command = "export";
        e.target = target;
        e.audience = sinspace_audience_name(opts->audience);
        e.filters = filters;
        e.rows = rc.rows;
        st = sinspace_audit_record(store, &e);
        free(filters);
    }
    if (!st)
        st = ex.sink->publish(&ex);
    ops->selection_close(rc.sel);
    ex.sink->cleanup(&ex);
    sinspace__geomask_destroy(rc.gm);
    if (st) {
        free(ex.mem);
        return st;
    }
    if (data) {
        *data = ex.mem;
        *size = ex.mem_size;
    } else {
        free(ex.mem);
    }
    if (result) {
        result->rows = rc.rows;
        result->displaced = rc.displaced;
        result->suppressed = rc.suppressed;
        result->format = ex.format;
    }
    return SINSPACE_OK;
}

sinspace_status
sinspace_export(sinspace_store *store, const char *path,
                const sinspace_export_options *opts,
                sinspace_export_result *result)
{
    if (!store || !path || !*path)
        return sinspace__error(sinspace_store_context(store),
                               SINSPACE_INVALID_ARGUMENT,
                               "export: store and path are required");
    return export_run(store, path, opts, NULL, NULL, result);
}

sinspace_status
sinspace_export_memory(sinspace_store *store, const sinspace_export_options *opts,
                       unsigned char **data, size_t *size,
                       sinspace_export_result *result)
{
    if (!store || !data || !size)
        return sinspace__error(sinspace_store_context(store),
                               SINSPACE_INVALID_ARGUMENT,
                               "export: store, data and size are required");
    *data = NULL;
    *size = 0;
    return export_run(store, NULL, opts, data, size, result);
}
