/* export.c: writing a store's layers out for researchers and partners (see
 * sinspace/export.h and docs/export.md).
 *
 * Each layer is one SQL statement stepped row by row; each row becomes one
 * feature in a sink: the streaming GeoJSON writer (geojson.c) or an OGR
 * layer.  Every layer's attributes are listed once in a column table with
 * the audiences allowed to see each; the SELECT returns them in that order,
 * and whatever the audience may not see is dropped before the sink, so a
 * withheld field cannot leak through one format and not another.  Public
 * workplace points go through geomask.c.
 *
 * Files are written beside their final name (a mkstemp file for GeoJSON, a
 * private mkdtemp folder for OGR formats, which may write several files),
 * audited, then renamed into place: a failed export leaves nothing. */
#include "geo/geomask.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUB (1u << SINSPACE_AUDIENCE_PUBLIC)
#define PAR (1u << SINSPACE_AUDIENCE_PARTNER)
#define INT (1u << SINSPACE_AUDIENCE_INTERNAL)
#define ALL (PUB | PAR | INT)
#define MAX_COLUMNS 48

typedef struct column {
    const char *name;
    sinspace_value_type type;
    unsigned audiences;
} column;

/* Workplaces: names match the import contract, so an internal export
 * imports back as the same workplaces. */
enum {
    WP_ID, WP_NAME, WP_NAME_LOCAL, WP_SECTOR, WP_STATUS, WP_RISK, WP_CLASS,
    WP_AREA, WP_DISTRICT, WP_FIRST_SEEN, WP_LAST_SEEN, WP_OBSERVED, WP_ADDRESS,
    WP_SOURCE, WP_SOURCE_NOTE, WP_OBSERVER, WP_UPDATED, WP_N
};
static const column workplace_columns[WP_N] = {
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
static const char workplace_select[] =
    "SELECT w.id, w.ext_id, w.name, w.name_local, w.sector, w.status, w.risk,"
    " w.risk_class, w.area_code, NULL, w.first_seen, w.last_seen,"
    " (SELECT max(o.observed) FROM observations AS o WHERE o.workplace_id = w.id),"
    " w.address, w.source_type, w.source_note,"
    " (SELECT o.observer FROM observations AS o WHERE o.workplace_id = w.id"
    "  ORDER BY o.observed DESC LIMIT 1),"
    " w.updated, X(w.geom), Y(w.geom), w.id, w.ext_id"
    " FROM workplaces AS w";
/* The same columns for the public and partners: the internal-only latest
 * observation date and observer are not looked up (two index searches a
 * row, a third of the export's time), just as the writer would drop them. */
static const char workplace_select_shared[] =
    "SELECT w.id, w.ext_id, w.name, w.name_local, w.sector, w.status, w.risk,"
    " w.risk_class, w.area_code, NULL, w.first_seen, w.last_seen,"
    " NULL, w.address, w.source_type, w.source_note, NULL,"
    " w.updated, X(w.geom), Y(w.geom), w.id, w.ext_id"
    " FROM workplaces AS w";

enum {
    OB_WORKPLACE, OB_NAME, OB_SECTOR, OB_OBSERVED, OB_RISK, OB_CLASS, OB_SCORED,
    OB_DISTRICT, OB_SOURCE, OB_SOURCE_NOTE, OB_OBSERVER, OB_I01,
    OB_N = OB_I01 + SINSPACE_INDICATORS
};
static const column observation_columns[OB_N] = {
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
#define I(n) {"i" #n, SINSPACE_VALUE_INTEGER, ALL}
    I(01), I(02), I(03), I(04), I(05), I(06), I(07), I(08), I(09), I(10),
    I(11), I(12), I(13), I(14), I(15), I(16), I(17), I(18), I(19), I(20),
    I(21), I(22), I(23), I(24), I(25), I(26), I(27), I(28),
#undef I
};
static const char observation_select[] =
    "SELECT o.id, w.ext_id, w.name, w.sector, o.observed, o.risk,"
    " CASE WHEN o.risk >= ?3 THEN 'high' WHEN o.risk >= ?4 THEN 'medium'"
    " ELSE 'low' END, o.scored, NULL, o.source_type, o.source_note, o.observer,"
    " o.i01, o.i02, o.i03, o.i04, o.i05, o.i06, o.i07, o.i08, o.i09, o.i10,"
    " o.i11, o.i12, o.i13, o.i14, o.i15, o.i16, o.i17, o.i18, o.i19, o.i20,"
    " o.i21, o.i22, o.i23, o.i24, o.i25, o.i26, o.i27, o.i28,"
    " X(w.geom), Y(w.geom), w.id, w.ext_id"
    " FROM observations AS o JOIN workplaces AS w ON w.id = o.workplace_id";

enum {
    AR_CODE, AR_PARENT, AR_LEVEL, AR_NAME_LATIN, AR_NAME_LOCAL, AR_KM2,
    AR_WORKPLACES, AR_HIGH, AR_MEAN, AR_DENSITY, AR_SUPPRESSED, AR_SOURCE, AR_N
};
static const column area_columns[AR_N] = {
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
/* Counts as the areas_risk layer makes them: closed workplaces left out. */
static const char area_select[] =
    "SELECT r.id, r.code, r.parent_code, r.level, r.name_latin, r.name_local,"
    " r.area_km2, r.workplaces, r.high_risk, r.mean_risk, r.risk_density, 0,"
    " a.source, ST_AsBinary(a.geom)"
    " FROM areas_risk AS r JOIN areas AS a ON a.id = r.id";

/* Aggregated workplaces (--aggregate): the same columns as areas. */
static const char aggregate_select[] =
    "SELECT a.id, a.code, a.parent_code, a.level, a.name_latin, a.name_local,"
    " a.area_km2, count(w.id), coalesce(sum(w.risk_class = 'high'), 0),"
    " round(avg(w.risk), 3),"
    " CASE WHEN a.area_km2 > 0 THEN round(coalesce(sum(w.risk), 0) / a.area_km2, 4) END,"
    " 0, a.source, ST_AsBinary(a.geom)"
    " FROM areas AS a LEFT JOIN area_members AS m ON m.area_id = a.id";

enum { ZO_ID, ZO_COMPUTED, ZO_PARAMS, ZO_WORKPLACES, ZO_MEAN, ZO_MAX,
       ZO_PEAK, ZO_SECTORS, ZO_N };
static const column zone_columns[ZO_N] = {
    {"zone", SINSPACE_VALUE_INTEGER, ALL},
    {"computed_at", SINSPACE_VALUE_DATETIME, ALL},
    {"params", SINSPACE_VALUE_TEXT, ALL},
    {"workplaces", SINSPACE_VALUE_INTEGER, ALL},
    {"mean_risk", SINSPACE_VALUE_REAL, ALL},
    {"max_risk", SINSPACE_VALUE_REAL, ALL},
    {"peak_density", SINSPACE_VALUE_REAL, ALL},
    {"sectors", SINSPACE_VALUE_TEXT, ALL},
};
static const char zone_select[] =
    "SELECT z.id, z.id, z.computed_at, z.params, z.workplaces, z.mean_risk,"
    " z.max_risk, z.peak_density, z.sectors, ST_AsBinary(z.geom) FROM zones AS z";

enum { FE_NAME, FE_DESCRIPTION, FE_ADDED_BY, FE_ADDED_AT, FE_N };
static const column fence_columns[FE_N] = {
    {"name", SINSPACE_VALUE_TEXT, ALL},
    {"description", SINSPACE_VALUE_TEXT, ALL},
    {"added_by", SINSPACE_VALUE_TEXT, INT},
    {"added_at", SINSPACE_VALUE_DATETIME, INT},
};
static const char fence_select[] =
    "SELECT f.id, f.name, f.description, f.added_by, f.added_at,"
    " ST_AsBinary(f.geom) FROM fences AS f";

enum { TI_PATH, TI_DRIVER, TI_CRS, TI_WIDTH, TI_HEIGHT, TI_BANDS, TI_PIXEL,
       TI_PIXEL_M, TI_ACQUIRED, TI_SOURCE, TI_ATTRIBUTION, TI_ADDED, TI_N };
static const column tile_columns[TI_N] = {
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
static const char tile_select[] =
    "SELECT t.id, t.path, t.driver, t.crs, t.width, t.height, t.bands,"
    " t.pixel_size, t.pixel_size_m, t.acquired, t.source, t.attribution,"
    " t.added, ST_AsBinary(t.footprint) FROM tiles AS t";

/* -------------------------------------------------------------------------
 * Names
 */

static const char *const layer_names[] = {
    "workplaces", "observations", "areas", "zones", "fences", "tiles"};
static const char *const audience_names[] = {"public", "partner", "internal"};
static const char *const format_names[] = {
    "auto", "GeoJSON", "GeoJSONSeq", "GPKG", "ESRI Shapefile", "KML",
    "FlatGeobuf", "CSV"};

sinspace_export_layer
sinspace_export_layer_parse(const char *name)
{
    for (int i = 0; name && i < 6; i++)
        if (!strcmp(name, layer_names[i]))
            return (sinspace_export_layer)i;
    return SINSPACE_EXPORT_LAYER_INVALID;
}

const char *
sinspace_export_layer_name(sinspace_export_layer layer)
{
    return layer >= 0 && layer < 6 ? layer_names[layer] : NULL;
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

sinspace_export_format
sinspace_export_format_parse(const char *name)
{
    if (!name)
        return SINSPACE_FORMAT_INVALID;
    for (int i = 1; i < 8; i++)
        if (!strcasecmp(name, format_names[i]))
            return (sinspace_export_format)i;
    if (!strcasecmp(name, "Shapefile") || !strcasecmp(name, "shp"))
        return SINSPACE_FORMAT_SHAPEFILE;
    if (!strcasecmp(name, "json"))
        return SINSPACE_FORMAT_GEOJSON;
    if (!strcasecmp(name, "fgb"))
        return SINSPACE_FORMAT_FLATGEOBUF;
    return SINSPACE_FORMAT_INVALID;
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
 * The exporter and its sinks
 */

typedef struct exporter {
    sinspace_store *store;
    sinspace_context *ctx;
    const sinspace_export_options *o;
    sinspace_export_format format;
    const char *path;
    char generated[32];
    const char *layer_name;
    const column *cols;
    size_t n_cols;
    int polygons;               /* else points */
    /* GeoJSON */
    FILE *fp;
    int own_fp;
    char *tmp_file;
    sinspace_geojson_writer *gj;
    /* OGR */
    char *tmp_dir;
    char *tmp_path;
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRSpatialReferenceH srs;
    int in_ogr_transaction;
    int field_index[MAX_COLUMNS];
    /* Work */
    sinspace_geomask *gm;
    int selection;              /* temp.export_selection holds the rows */
    long long rows, displaced, suppressed;
} exporter;

static int
visible(const exporter *ex, const column *c)
{
    return (c->audiences & (1u << ex->o->audience)) != 0;
}

static OGRFieldType
ogr_type(sinspace_value_type t, OGRFieldSubType *sub)
{
    *sub = OFSTNone;
    switch (t) {
    case SINSPACE_VALUE_INTEGER: return OFTInteger64;
    case SINSPACE_VALUE_REAL: return OFTReal;
    case SINSPACE_VALUE_DATE: return OFTDate;
    case SINSPACE_VALUE_DATETIME: return OFTDateTime;
    case SINSPACE_VALUE_BOOLEAN: *sub = OFSTBoolean; return OFTInteger;
    default: return OFTString;
    }
}

static const char *
ogr_driver_name(sinspace_export_format f)
{
    switch (f) {
    case SINSPACE_FORMAT_GPKG: return "GPKG";
    case SINSPACE_FORMAT_SHAPEFILE: return "ESRI Shapefile";
    case SINSPACE_FORMAT_KML: return "KML";
    case SINSPACE_FORMAT_FLATGEOBUF: return "FlatGeobuf";
    case SINSPACE_FORMAT_CSV: return "CSV";
    default: return NULL;
    }
}

/* 1 if path names the store itself (or its WAL or shared-memory file). */
static int
is_store_file(const sinspace_store *store, const char *path)
{
    struct stat a, b;
    if (stat(path, &a) != 0)
        return 0;
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", store->path, sides[i]);
        if (stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return 1;
    }
    return 0;
}

static sinspace_status
dir_and_base(exporter *ex, char **dir, const char **base)
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

/* The top-level "sinspace" member / dataset metadata. */
static size_t
meta_properties(exporter *ex, sinspace_property meta[5])
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
    if (ex->o->audience == SINSPACE_AUDIENCE_PUBLIC &&
        ex->o->layer == SINSPACE_EXPORT_WORKPLACES && !ex->o->aggregate)
        meta[n++] = (sinspace_property){"geomasked", SINSPACE_VALUE_BOOLEAN, 1, 0,
                                        NULL};
    return n;
}

static sinspace_status
sink_open_geojson(exporter *ex)
{
    sinspace_status st;
    if (!strcmp(ex->path, "-")) {
        ex->fp = stdout;
    } else {
        char *dir = NULL;
        const char *base;
        if ((st = dir_and_base(ex, &dir, &base)))
            return st;
        size_t n = strlen(dir) + strlen(base) + 32;
        ex->tmp_file = malloc(n);
        if (!ex->tmp_file) {
            free(dir);
            return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        snprintf(ex->tmp_file, n, "%s/.%s.XXXXXX", dir, base);
        free(dir);
        /* mkstemp creates the file 0600 whatever the umask. */
        int fd = mkstemp(ex->tmp_file);
        if (fd < 0) {
            free(ex->tmp_file);
            ex->tmp_file = NULL;
            return sinspace__error(ex->ctx, SINSPACE_IO, "%s: cannot create: %s",
                                   ex->path, strerror(errno));
        }
        if (fchmod(fd, 0600) != 0 || !(ex->fp = fdopen(fd, "w"))) {
            int e = errno;
            close(fd);
            return sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", ex->path,
                                   strerror(e));
        }
        ex->own_fp = 1;
    }
    sinspace_geojson_options go;
    sinspace_geojson_options_init(&go);
    go.precision = ex->o->precision;
    go.bbox = ex->o->bbox_member;
    go.sequence = ex->format == SINSPACE_FORMAT_GEOJSONSEQ;
    /* .geojsonl is newline-delimited; .geojsons and --format RFC 8142. */
    const char *dot = strrchr(ex->path, '.');
    go.record_separator = !(dot && !strcasecmp(dot, ".geojsonl"));
    if ((st = sinspace_geojson_writer_create(ex->ctx, ex->fp, &go, &ex->gj)))
        return st;
    sinspace_property meta[5];
    size_t n = meta_properties(ex, meta);
    return sinspace_geojson_begin(ex->gj, "sinspace", meta, n);
}

static sinspace_status
sink_open_ogr(exporter *ex)
{
    sinspace_status st;
    const char *drv_name = ogr_driver_name(ex->format);
    GDALDriverH drv = GDALGetDriverByName(drv_name);
    if (!drv)
        return sinspace__error(ex->ctx, SINSPACE_UNSUPPORTED,
                               "%s: GDAL has no %s driver", ex->path, drv_name);
    if (!strcmp(ex->path, "-"))
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s cannot be written to standard output; give a "
                               "file name", drv_name);
    char *dir = NULL;
    const char *base;
    if ((st = dir_and_base(ex, &dir, &base)))
        return st;
    size_t n = strlen(dir) + 32;
    ex->tmp_dir = malloc(n);
    if (!ex->tmp_dir) {
        free(dir);
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    snprintf(ex->tmp_dir, n, "%s/.sinspace-export-XXXXXX", dir);
    free(dir);
    /* A private folder (0700): whatever modes the driver gives its files,
     * nobody else can open them before they are set to 0600 and moved. */
    if (!mkdtemp(ex->tmp_dir)) {
        free(ex->tmp_dir);
        ex->tmp_dir = NULL;
        return sinspace__error(ex->ctx, SINSPACE_IO, "%s: cannot create a "
                               "folder beside it: %s", ex->path, strerror(errno));
    }
    n = strlen(ex->tmp_dir) + strlen(base) + 2;
    if (!(ex->tmp_path = malloc(n)))
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    snprintf(ex->tmp_path, n, "%s/%s", ex->tmp_dir, base);

    char **dsco = NULL;
    if (ex->format == SINSPACE_FORMAT_KML) {
        /* KML swallows fields called name and description into its own
         * elements; keep ours as ordinary data. */
        dsco = CSLSetNameValue(dsco, "NameField", "kml_name");
        dsco = CSLSetNameValue(dsco, "DescriptionField", "kml_description");
    }
    CPLErrorReset();
    ex->ds = GDALCreate(drv, ex->tmp_path, 0, 0, 0, GDT_Unknown, dsco);
    CSLDestroy(dsco);
    if (!ex->ds)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->path);
    ex->srs = OSRNewSpatialReference(NULL);
    if (!ex->srs || OSRImportFromEPSG(ex->srs, 4326) != OGRERR_NONE)
        return sinspace__gdal_error(ex->ctx, SINSPACE_ERROR, "EPSG:4326");
    OSRSetAxisMappingStrategy(ex->srs, OAMS_TRADITIONAL_GIS_ORDER);
    char **lco = NULL;
    if (ex->format == SINSPACE_FORMAT_CSV)
        lco = CSLSetNameValue(lco, "GEOMETRY", ex->polygons ? "AS_WKT" : "AS_XY");
    if (ex->format == SINSPACE_FORMAT_SHAPEFILE)
        /* The DBF default is Latin-1, which has no Thai: declare UTF-8
         * (written to the .cpg file). */
        lco = CSLSetNameValue(lco, "ENCODING", "UTF-8");
    if (ex->format == SINSPACE_FORMAT_FLATGEOBUF)
        /* The packed R-tree would hold every feature's box in memory. */
        lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "NO");
    /* Layer names: the shapefile's own name is its file name. */
    ex->layer = GDALDatasetCreateLayer(ex->ds, ex->layer_name, ex->srs,
                                       ex->polygons ? wkbMultiPolygon : wkbPoint,
                                       lco);
    CSLDestroy(lco);
    if (!ex->layer)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->path);
    for (size_t i = 0; i < ex->n_cols; i++) {
        ex->field_index[i] = -1;
        if (!visible(ex, &ex->cols[i]))
            continue;
        OGRFieldSubType sub;
        OGRFieldType t = ogr_type(ex->cols[i].type, &sub);
        /* Shapefiles know no date-times; KML and CSV write text anyway. */
        if (t == OFTDateTime && ex->format == SINSPACE_FORMAT_SHAPEFILE)
            t = OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(ex->cols[i].name, t);
        OGR_Fld_SetSubType(fd, sub);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(ex->layer);
        int before = OGR_FD_GetFieldCount(defn);
        OGRErr err = OGR_L_CreateField(ex->layer, fd, 1);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE)
            return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->path);
        /* A driver may rename the field (Shapefile cuts names to 10
         * characters) or, in principle, keep it for itself: index by what
         * the layer now holds, never by creation order alone. */
        defn = OGR_L_GetLayerDefn(ex->layer);
        if (OGR_FD_GetFieldCount(defn) == before + 1)
            ex->field_index[i] = before;
        else
            ex->field_index[i] = OGR_FD_GetFieldIndex(defn, ex->cols[i].name);
        if (ex->field_index[i] < 0)
            return sinspace__error(ex->ctx, SINSPACE_UNSUPPORTED,
                                   "%s: the %s driver did not keep field %s",
                                   ex->path, drv_name, ex->cols[i].name);
    }
    /* The audience travels as metadata where the driver keeps it (GPKG). */
    sinspace_property meta[5];
    size_t nm = meta_properties(ex, meta);
    for (size_t i = 0; i < nm; i++) {
        char key[64];
        snprintf(key, sizeof key, "SINSPACE_%s", meta[i].name);
        for (char *p = key; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        const char *v = meta[i].text ? meta[i].text : "true";
        GDALSetMetadataItem(ex->ds, key, v, NULL);
        GDALSetMetadataItem((GDALMajorObjectH)ex->layer, key, v, NULL);
    }
    if (GDALDatasetStartTransaction(ex->ds, 0) == OGRERR_NONE)
        ex->in_ogr_transaction = 1;
    return SINSPACE_OK;
}

/* Writes one feature: all[] holds a value for every column of the layer;
 * only the audience's columns go out.  geometry: wkb, or lon/lat when wkb
 * is NULL and the layer holds points. */
static sinspace_status
sink_write(exporter *ex, long long id, const sinspace_property *all,
           const unsigned char *wkb, size_t wkb_size, double lon, double lat)
{
    if (ex->gj) {
        sinspace_property props[MAX_COLUMNS];
        size_t n = 0;
        for (size_t i = 0; i < ex->n_cols; i++)
            if (visible(ex, &ex->cols[i]))
                props[n++] = all[i];
        if (ex->polygons)
            return sinspace_geojson_write_feature(ex->gj, id, props, n, wkb,
                                                  wkb_size);
        return sinspace_geojson_write_point(ex->gj, id, props, n, lon, lat);
    }
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(ex->layer));
    if (!f)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < ex->n_cols; i++) {
        int k = ex->field_index[i];
        const sinspace_property *p = &all[i];
        if (k < 0)
            continue;
        switch (p->type) {
        case SINSPACE_VALUE_INTEGER:
        case SINSPACE_VALUE_BOOLEAN:
            OGR_F_SetFieldInteger64(f, k, p->type == SINSPACE_VALUE_BOOLEAN
                                                ? p->integer != 0 : p->integer);
            break;
        case SINSPACE_VALUE_REAL:
            if (isfinite(p->real))
                OGR_F_SetFieldDouble(f, k, p->real);
            else
                OGR_F_SetFieldNull(f, k);
            break;
        case SINSPACE_VALUE_TEXT:
        case SINSPACE_VALUE_DATE:
        case SINSPACE_VALUE_DATETIME:
            if (p->text && ex->format == SINSPACE_FORMAT_CSV &&
                sinspace_csv_formula_like(p->text)) {
                char *quoted = sqlite3_mprintf("'%s", p->text);
                if (!quoted) {
                    OGR_F_Destroy(f);
                    return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
                }
                OGR_F_SetFieldString(f, k, quoted);
                sqlite3_free(quoted);
            } else if (p->text) {
                OGR_F_SetFieldString(f, k, p->text);
            } else {
                OGR_F_SetFieldNull(f, k);
            }
            break;
        default:
            OGR_F_SetFieldNull(f, k);
        }
    }
    OGRGeometryH g = NULL;
    if (wkb) {
        if (OGR_G_CreateFromWkbEx(wkb, NULL, &g, wkb_size) !=
                OGRERR_NONE || !g) {
            OGR_F_Destroy(f);
            return sinspace__error(ex->ctx, SINSPACE_INVALID_INPUT,
                                   "%s: feature %lld: unreadable geometry",
                                   ex->path, id);
        }
        if (ex->polygons)
            g = OGR_G_ForceToMultiPolygon(g);
    } else if (!ex->polygons && isfinite(lon) && isfinite(lat)) {
        g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, lon, lat);
    }
    if (g)
        OGR_F_SetGeometryDirectly(f, g);
    if (id >= 0)
        OGR_F_SetFID(f, id);
    CPLErrorReset();
    OGRErr err = OGR_L_CreateFeature(ex->layer, f);
    OGR_F_Destroy(f);
    if (err != OGRERR_NONE)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->path);
    return SINSPACE_OK;
}

/* Finishes writing (before the audit row), without moving anything. */
static sinspace_status
sink_finish(exporter *ex)
{
    if (ex->gj) {
        sinspace_status st = sinspace_geojson_end(ex->gj);
        if (st)
            return st;
        if (ex->own_fp) {
            int bad = fsync(fileno(ex->fp)) != 0 && errno != EINVAL;
            bad |= fclose(ex->fp) != 0;
            ex->fp = NULL;
            if (bad)
                return sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", ex->path,
                                       strerror(errno));
        }
        return SINSPACE_OK;
    }
    if (ex->in_ogr_transaction) {
        ex->in_ogr_transaction = 0;
        if (GDALDatasetCommitTransaction(ex->ds) != OGRERR_NONE)
            return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->path);
    }
    CPLErrorReset();
    GDALClose(ex->ds);
    ex->ds = NULL;
    if (CPLGetLastErrorType() >= CE_Failure)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->path);
    return SINSPACE_OK;
}

/* Moves the finished file(s) into place, mode 0600. */
static sinspace_status
sink_publish(exporter *ex)
{
    if (ex->tmp_file) {
        if (rename(ex->tmp_file, ex->path) != 0)
            return sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", ex->path,
                                   strerror(errno));
        free(ex->tmp_file);
        ex->tmp_file = NULL;
        return SINSPACE_OK;
    }
    if (!ex->tmp_dir)
        return SINSPACE_OK;
    char *dir = NULL;
    const char *base;
    sinspace_status st = dir_and_base(ex, &dir, &base);
    if (st)
        return st;
    DIR *d = opendir(ex->tmp_dir);
    if (!d) {
        free(dir);
        return sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", ex->tmp_dir,
                               strerror(errno));
    }
    struct dirent *e;
    char from[4096], to[4096];
    while (!st && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(from, sizeof from, "%s/%s", ex->tmp_dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        if (is_store_file(ex->store, to))
            st = sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                                 "%s: that is the database itself; not replaced",
                                 to);
        else if (chmod(from, 0600) != 0 || rename(from, to) != 0)
            st = sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", to,
                                 strerror(errno));
    }
    closedir(d);
    free(dir);
    return st;
}

/* Removes whatever is left of an unfinished export. */
static void
sink_cleanup(exporter *ex)
{
    if (ex->gj)
        sinspace_geojson_writer_destroy(ex->gj);
    if (ex->fp && ex->own_fp)
        fclose(ex->fp);
    if (ex->tmp_file) {
        unlink(ex->tmp_file);
        free(ex->tmp_file);
    }
    if (ex->ds) {
        if (ex->in_ogr_transaction)
            GDALDatasetRollbackTransaction(ex->ds);
        GDALClose(ex->ds);
    }
    if (ex->srs)
        OSRDestroySpatialReference(ex->srs);
    if (ex->tmp_dir) {
        DIR *d = opendir(ex->tmp_dir);
        if (d) {
            struct dirent *e;
            char p[4096];
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                snprintf(p, sizeof p, "%s/%s", ex->tmp_dir, e->d_name);
                unlink(p);
            }
            closedir(d);
        }
        rmdir(ex->tmp_dir);
        free(ex->tmp_dir);
    }
    free(ex->tmp_path);
    sinspace__geomask_destroy(ex->gm);
}

/* -------------------------------------------------------------------------
 * Rows
 */

/* Fills all[0..n) from statement columns first..first+n, typed by cols. */
static void
read_values(sqlite3_stmt *stmt, int first, const column *cols, size_t n,
            sinspace_property *all)
{
    for (size_t i = 0; i < n; i++) {
        int k = first + (int)i;
        sinspace_property *p = &all[i];
        p->name = cols[i].name;
        p->type = cols[i].type;
        p->integer = 0;
        p->real = NAN;
        p->text = NULL;
        int null = sqlite3_column_type(stmt, k) == SQLITE_NULL;
        switch (cols[i].type) {
        case SINSPACE_VALUE_INTEGER:
        case SINSPACE_VALUE_BOOLEAN:
            if (null)
                p->type = SINSPACE_VALUE_NULL;
            else
                p->integer = sqlite3_column_int64(stmt, k);
            break;
        case SINSPACE_VALUE_REAL:
            if (!null)
                p->real = sqlite3_column_double(stmt, k);
            break;
        default:
            p->text = null ? NULL : (const char *)sqlite3_column_text(stmt, k);
        }
    }
}

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

static sinspace_status
step_rows(exporter *ex, sqlite3_stmt *stmt)
{
    int public_ = ex->o->audience == SINSPACE_AUDIENCE_PUBLIC;
    int n = (int)ex->n_cols;
    sinspace_property all[MAX_COLUMNS];
    /* Outlives each row's block: all[] may point into it. */
    sinspace_geomask_result gr;
    int rc;
    sinspace_status st = SINSPACE_OK;
    while (!st && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        long long fid = sqlite3_column_int64(stmt, 0);
        read_values(stmt, 1, ex->cols, ex->n_cols, all);
        /* Public files number features 1..n: database ids stay inside. */
        long long id = public_ ? ex->rows + 1 : fid;
        if (ex->polygons) {
            const unsigned char *wkb = sqlite3_column_blob(stmt, n + 1);
            size_t size = (size_t)sqlite3_column_bytes(stmt, n + 1);
            if (public_ && (ex->o->layer == SINSPACE_EXPORT_AREAS ||
                            ex->o->layer == SINSPACE_EXPORT_WORKPLACES)) {
                /* Small counts are withheld (the polygon is an
                 * administrative boundary and stays). */
                long long count = all[AR_WORKPLACES].type == SINSPACE_VALUE_NULL
                                      ? 0 : all[AR_WORKPLACES].integer;
                int small = count < ex->o->min_count;
                all[AR_SUPPRESSED].type = SINSPACE_VALUE_BOOLEAN;
                all[AR_SUPPRESSED].integer = small;
                if (small) {
                    set_null(&all[AR_WORKPLACES]);
                    set_null(&all[AR_HIGH]);
                    set_null(&all[AR_MEAN]);
                    set_null(&all[AR_DENSITY]);
                    ex->suppressed++;
                }
            }
            if (public_ && ex->o->layer == SINSPACE_EXPORT_ZONES &&
                (all[ZO_WORKPLACES].type == SINSPACE_VALUE_NULL ||
                 all[ZO_WORKPLACES].integer < ex->o->min_count)) {
                /* A zone drawn round a few workplaces shows where they
                 * are: left out entirely. */
                ex->suppressed++;
                continue;
            }
            st = sink_write(ex, id, all, wkb, size, NAN, NAN);
        } else {
            double lon = sqlite3_column_type(stmt, n + 1) == SQLITE_NULL
                             ? NAN : sqlite3_column_double(stmt, n + 1);
            double lat = sqlite3_column_type(stmt, n + 2) == SQLITE_NULL
                             ? NAN : sqlite3_column_double(stmt, n + 2);
            if (public_ && isfinite(lon) && isfinite(lat)) {
                long long wid = sqlite3_column_int64(stmt, n + 3);
                const char *ext = (const char *)sqlite3_column_text(stmt, n + 4);
                if ((st = sinspace__geomask_point(ex->gm, wid, ext ? ext : "",
                                                  lon, lat, &gr)))
                    break;
                lon = gr.lon;
                lat = gr.lat;
                int district = ex->o->layer == SINSPACE_EXPORT_WORKPLACES
                                   ? WP_DISTRICT : OB_DISTRICT;
                all[district].text = gr.kept_level == SINSPACE_LEVEL_DISTRICT
                                         ? gr.kept_in : NULL;
                ex->displaced++;
            }
            st = sink_write(ex, id, all, NULL, 0, lon, lat);
        }
        if (st)
            break;
        ex->rows++;
        if (ex->rows % 10000 == 0)
            st = sinspace__progress(ex->ctx, "export", (double)ex->rows, 0.0);
    }
    if (!st && rc != SQLITE_DONE)
        st = sinspace__db_error(ex->store, "exporting");
    return st;
}

/* -------------------------------------------------------------------------
 * Selection through the query module
 */

typedef struct select_ctx {
    sqlite3_stmt *insert;
    sinspace_status st;
    exporter *ex;
} select_ctx;

static int
select_one(void *user, const sinspace_workplace_row *row)
{
    select_ctx *sc = user;
    sqlite3_reset(sc->insert);
    sqlite3_bind_int64(sc->insert, 1, row->id);
    if (sqlite3_step(sc->insert) != SQLITE_DONE) {
        sc->st = sinspace__db_error(sc->ex->store, "selecting workplaces");
        return 1;
    }
    return 0;
}

/* Fills temp.export_selection with the ids of the workplaces in the
 * region passing the filter: the temporary table lives in SQLite's temp
 * store (a file), so memory stays bounded however many are selected. */
static sinspace_status
build_selection(exporter *ex)
{
    sinspace_status st = sinspace__exec(ex->store,
        "CREATE TEMP TABLE IF NOT EXISTS export_selection"
        " (id INTEGER PRIMARY KEY); DELETE FROM temp.export_selection");
    if (st)
        return st;
    select_ctx sc = {NULL, SINSPACE_OK, ex};
    if ((st = sinspace__prepare(ex->store,
            "INSERT OR IGNORE INTO temp.export_selection(id) VALUES (?1)",
            &sc.insert)))
        return st;
    st = sinspace_query_workplaces(ex->store, ex->o->region, ex->o->filter,
                                   select_one, &sc, NULL);
    sqlite3_finalize(sc.insert);
    if (!st)
        st = sc.st;
    if (!st)
        ex->selection = 1;
    return st;
}

/* Runs the layer's statement: base SELECT, then the fixed clauses chosen
 * here (never text from input), values bound. */
static sinspace_status
run_layer(exporter *ex)
{
    const sinspace_export_options *o = ex->o;
    const char *base, *where = "", *tail = "";
    const unsigned char *region_wkb = NULL;
    size_t region_size = 0;
    sinspace_status st;
    int needs_selection = o->region || o->filter;

    switch (o->layer) {
    case SINSPACE_EXPORT_WORKPLACES:
        if (o->aggregate) {
            base = aggregate_select;
            where = needs_selection
                ? " LEFT JOIN workplaces AS w ON w.id = m.workplace_id"
                  " AND w.id IN (SELECT id FROM temp.export_selection)"
                  " WHERE a.level_rank = ?2"
                : " LEFT JOIN workplaces AS w ON w.id = m.workplace_id"
                  " AND w.status <> 'closed' WHERE a.level_rank = ?2";
            tail = " GROUP BY a.id ORDER BY a.code";
        } else {
            base = o->audience == SINSPACE_AUDIENCE_INTERNAL ? workplace_select
                                                             : workplace_select_shared;
            where = needs_selection
                ? " WHERE w.id IN (SELECT id FROM temp.export_selection)" : "";
            tail = " ORDER BY w.id";
        }
        break;
    case SINSPACE_EXPORT_OBSERVATIONS:
        base = observation_select;
        where = needs_selection
            ? " WHERE w.id IN (SELECT id FROM temp.export_selection)" : "";
        tail = " ORDER BY o.id";
        break;
    case SINSPACE_EXPORT_AREAS:
        base = area_select;
        where = " WHERE ?1 IS NULL OR (MbrIntersects(a.geom, GeomFromWKB(?1, 4326))"
                " AND ST_Intersects(a.geom, GeomFromWKB(?1, 4326))"
                " AND NOT ST_Touches(a.geom, GeomFromWKB(?1, 4326)))";
        tail = " ORDER BY a.level_rank, a.code";
        break;
    case SINSPACE_EXPORT_ZONES:
        base = zone_select;
        where = " WHERE ?1 IS NULL OR (MbrIntersects(z.geom, GeomFromWKB(?1, 4326))"
                " AND ST_Intersects(z.geom, GeomFromWKB(?1, 4326))"
                " AND NOT ST_Touches(z.geom, GeomFromWKB(?1, 4326)))";
        tail = " ORDER BY z.id";
        break;
    case SINSPACE_EXPORT_FENCES:
        base = fence_select;
        where = " WHERE ?1 IS NULL OR (MbrIntersects(f.geom, GeomFromWKB(?1, 4326))"
                " AND ST_Intersects(f.geom, GeomFromWKB(?1, 4326))"
                " AND NOT ST_Touches(f.geom, GeomFromWKB(?1, 4326)))";
        tail = " ORDER BY f.name";
        break;
    case SINSPACE_EXPORT_TILES:
        base = tile_select;
        where = " WHERE ?1 IS NULL OR (MbrIntersects(t.footprint, GeomFromWKB(?1, 4326))"
                " AND ST_Intersects(t.footprint, GeomFromWKB(?1, 4326))"
                " AND NOT ST_Touches(t.footprint, GeomFromWKB(?1, 4326)))";
        tail = " ORDER BY t.acquired, t.id";
        break;
    default:
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: unknown layer %d", (int)o->layer);
    }
    if (needs_selection && (o->layer == SINSPACE_EXPORT_WORKPLACES ||
                            o->layer == SINSPACE_EXPORT_OBSERVATIONS)) {
        if ((st = build_selection(ex)))
            return st;
    } else if (o->region) {
        if ((st = sinspace_region_wkb(o->region, &region_wkb, &region_size)))
            return st;
    }
    size_t len = strlen(base) + strlen(where) + strlen(tail) + 1;
    char *sql = malloc(len);
    if (!sql)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    snprintf(sql, len, "%s%s%s", base, where, tail);
    sqlite3_stmt *stmt;
    st = sinspace__prepare(ex->store, sql, &stmt);
    free(sql);
    if (st)
        return st;
    if (sqlite3_bind_parameter_count(stmt) >= 1) {
        if (region_wkb)
            sqlite3_bind_blob(stmt, 1, region_wkb, (int)region_size, SQLITE_STATIC);
        else
            sqlite3_bind_null(stmt, 1);
    }
    if (o->layer == SINSPACE_EXPORT_WORKPLACES && o->aggregate)
        sqlite3_bind_int(stmt, 2, (int)o->level);
    if (o->layer == SINSPACE_EXPORT_OBSERVATIONS) {
        /* An observation's class, by the thresholds of risk.h. */
        sqlite3_bind_double(stmt, 3, SINSPACE_RISK_HIGH);
        sqlite3_bind_double(stmt, 4, SINSPACE_RISK_MEDIUM);
    }
    st = step_rows(ex, stmt);
    sqlite3_finalize(stmt);
    return st;
}

/* -------------------------------------------------------------------------
 * Entry point
 */

static char *
describe_filters(exporter *ex)
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

/* Refuses targets an export must never replace: the database, a folder. */
static sinspace_status
check_target(exporter *ex, const char *path)
{
    struct stat sb;
    if (is_store_file(ex->store, path))
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: that is the database itself; choose another "
                               "output file", path);
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: exists and is not a regular file", path);
    return SINSPACE_OK;
}

sinspace_status
sinspace_export(sinspace_store *store, const char *path,
                const sinspace_export_options *opts,
                sinspace_export_result *result)
{
    if (!store || !path || !*path)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT,
                               "export: store and path are required");
    sinspace_export_options defaults;
    if (!opts) {
        sinspace_export_options_init(&defaults);
        opts = &defaults;
    }
    sinspace_context *ctx = store->ctx;
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
    if (!store->writable)
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: export records itself in the audit trail; "
                               "open the database for writing", store->path);
    sinspace_status st0;
    exporter ex;
    memset(&ex, 0, sizeof ex);
    ex.store = store;
    ex.ctx = ctx;
    ex.o = opts;
    ex.path = path;
    ex.format = opts->format != SINSPACE_FORMAT_AUTO
                    ? opts->format : sinspace_export_format_from_path(path);
    if (!sinspace_export_format_name(ex.format))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: unknown format; name one with --format "
                               "(GeoJSON, GeoJSONSeq, GPKG, Shapefile, KML, "
                               "FlatGeobuf, CSV)", path);
    if (strcmp(path, "-") && (st0 = check_target(&ex, path)))
        return st0;
    sinspace__now_iso(ex.generated);
    ex.layer_name = sinspace_export_layer_name(opts->layer);
    switch (opts->layer) {
    case SINSPACE_EXPORT_WORKPLACES:
        if (opts->aggregate) {
            ex.cols = area_columns;
            ex.n_cols = AR_N;
            ex.polygons = 1;
        } else {
            ex.cols = workplace_columns;
            ex.n_cols = WP_N;
        }
        break;
    case SINSPACE_EXPORT_OBSERVATIONS:
        ex.cols = observation_columns;
        ex.n_cols = OB_N;
        break;
    case SINSPACE_EXPORT_AREAS:
        ex.cols = area_columns; ex.n_cols = AR_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_ZONES:
        ex.cols = zone_columns; ex.n_cols = ZO_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_FENCES:
        ex.cols = fence_columns; ex.n_cols = FE_N; ex.polygons = 1; break;
    case SINSPACE_EXPORT_TILES:
        ex.cols = tile_columns; ex.n_cols = TI_N; ex.polygons = 1; break;
    default:
        break;
    }

    sinspace_status st = SINSPACE_OK;
    if (opts->audience == SINSPACE_AUDIENCE_PUBLIC && !ex.polygons)
        st = sinspace__geomask_create(store, &ex.gm);
    if (!st)
        st = ex.format == SINSPACE_FORMAT_GEOJSON ||
                     ex.format == SINSPACE_FORMAT_GEOJSONSEQ
                 ? sink_open_geojson(&ex) : sink_open_ogr(&ex);
    if (!st)
        st = run_layer(&ex);
    if (!st)
        st = sink_finish(&ex);
    if (!st) {
        char target[1024];
        snprintf(target, sizeof target, "%s -> %s (%s)", ex.layer_name,
                 strcmp(path, "-") ? path : "stdout",
                 sinspace_export_format_name(ex.format));
        char *filters = describe_filters(&ex);
        sinspace_audit_entry e = {0};
        e.command = "export";
        e.target = target;
        e.audience = sinspace_audience_name(opts->audience);
        e.filters = filters;
        e.rows = ex.rows;
        st = sinspace_audit_record(store, &e);
        free(filters);
    }
    if (!st)
        st = sink_publish(&ex);
    if (ex.selection)
        sinspace__exec(store, "DROP TABLE IF EXISTS temp.export_selection");
    sink_cleanup(&ex);
    if (st)
        return st;
    if (result) {
        result->rows = ex.rows;
        result->displaced = ex.displaced;
        result->suppressed = ex.suppressed;
        result->format = ex.format;
    }
    return SINSPACE_OK;
}
