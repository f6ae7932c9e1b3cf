/* tiles.c: the imagery catalogue (see sinspace/tiles.h).
 *
 * A raster is read once when registered: GDAL opens it, a pixel in each
 * corner block is read to catch truncated files, and the edge of its pixel
 * grid is carried to lon/lat by GDAL's GenImgProj transformer, which goes
 * through the geotransform and PROJ for ordinary rasters and through the
 * GCP polynomial for GCP-only ones, so the stored footprint is the true
 * outline, not a box.  Queries then work on the stored footprint only. */
#include "core/sinspaceInt.h"
#include "io/tiles_int.h"
#include "store/tiles.h"
#include "core/parse.h"
#include "geo/srs.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <geodesic.h>
#include <ogr_srs_api.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Points per edge of the pixel grid's outline. */
#define EDGE_POINTS 20

/* What add learns from one raster before anything is written. */
typedef struct tile_info {
    char *path;          /* realpath */
    char driver[64];
    char *crs;
    int width, height, bands;
    double pixel_size, pixel_size_m;
    char acquired[11];   /* "" when unknown */
    unsigned char *wkb;
    size_t wkb_size;
} tile_info;

static void
tile_info_clear(tile_info *t)
{
    free(t->path);
    free(t->crs);
    if (t->wkb)
        GEOSFree(t->wkb);
    memset(t, 0, sizeof *t);
}

void
sinspace_tiles_add_options_init(sinspace_tiles_add_options *opts)
{
    if (opts)
        memset(opts, 0, sizeof *opts);
}

/* Resolves path to an absolute one and checks it can be read: a missing
 * or unreadable file is an I/O failure, not invalid input. */
static sinspace_status
resolve_readable(sinspace_context *ctx, const char *path, char **out)
{
    char *real = realpath(path, NULL);
    if (!real)
        return sinspace__error(ctx, errno == ENOENT ? SINSPACE_NOT_FOUND : SINSPACE_IO,
                               "%s: %s", path, strerror(errno));
    struct stat sb;
    if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        free(real);
        return sinspace__error(ctx, SINSPACE_IO, "%s: not a regular file", path);
    }
    if (access(real, R_OK) != 0) {
        int e = errno;
        free(real);
        return sinspace__error(ctx, SINSPACE_IO, "%s: cannot read: %s", path,
                               strerror(e));
    }
    *out = real;
    return SINSPACE_OK;
}

/* The acquisition date from the usual metadata items, as YYYY-MM-DD, or
 * "" when none parses.  TIFFTAG_DATETIME is "YYYY:MM:DD HH:MM:SS". */
static void
metadata_date(GDALDatasetH ds, char out[11])
{
    static const char *const items[][2] = {
        {"ACQUISITIONDATETIME", "IMAGERY"},
        {"ACQUISITIONDATETIME", NULL},
        {"ACQUISITION_DATE", NULL},
        {"TIFFTAG_DATETIME", NULL}};
    out[0] = '\0';
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        const char *v = GDALGetMetadataItem(ds, items[i][0], items[i][1]);
        if (!v || strlen(v) < 10)
            continue;
        char d[11];
        memcpy(d, v, 10);
        d[10] = '\0';
        if (d[4] == ':' && d[7] == ':')
            d[4] = d[7] = '-';
        if (sinspace__parse_date(d, out, NULL, 0) == 0)
            return;
        out[0] = '\0';
    }
}

/* Reads one pixel of every band at (x, y): GDAL opens a truncated file
 * from its header alone, and only reading shows the data is missing. */
static int
probe_pixels(GDALDatasetH ds, int x, int y)
{
    for (int b = 1; b <= GDALGetRasterCount(ds); b++) {
        double v;
        if (GDALRasterIO(GDALGetRasterBand(ds, b), GF_Read, x, y, 1, 1, &v, 1,
                         1, GDT_Float64, 0, 0) != CE_None)
            return -1;
    }
    return 0;
}

static double
geodesic_m(const struct geod_geodesic *g, double lon1, double lat1,
           double lon2, double lat2)
{
    double s12 = NAN;
    geod_inverse(g, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

/* The outline of the pixel grid in lon/lat, as a valid (multi)polygon in
 * WKB, with the ground size of the central pixel.  ll is the transformer
 * from pixel/line to lon/lat. */
static sinspace_status
footprint_from(sinspace_context *ctx, const char *path, void *ll, int w,
               int h, tile_info *t)
{
    enum { N = 4 * EDGE_POINTS };
    double x[N + 3], y[N + 3], z[N + 3];
    int ok[N + 3];
    /* Counter-clockwise on the ground for a north-up image: down the left
     * edge, along the bottom, up the right, back along the top. */
    const double cx[5] = {0, 0, w, w, 0}, cy[5] = {0, h, h, 0, 0};
    int n = 0;
    for (int e = 0; e < 4; e++)
        for (int i = 0; i < EDGE_POINTS; i++, n++) {
            double f = (double)i / EDGE_POINTS;
            x[n] = cx[e] + (cx[e + 1] - cx[e]) * f;
            y[n] = cy[e] + (cy[e + 1] - cy[e]) * f;
            z[n] = 0;
        }
    /* The central pixel and its neighbours, for the ground pixel size. */
    x[N] = w / 2.0, y[N] = h / 2.0;
    x[N + 1] = w / 2.0 + 1, y[N + 1] = h / 2.0;
    x[N + 2] = w / 2.0, y[N + 2] = h / 2.0 + 1;
    z[N] = z[N + 1] = z[N + 2] = 0;
    CPLErrorReset();
    GDALGenImgProjTransform(ll, FALSE, N + 3, x, y, z, ok);

    GEOSContextHandle_t gh = ctx->geos;
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(gh, N + 1, 2);
    if (!seq)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    unsigned kept = 0;
    double lon_min = INFINITY, lon_max = -INFINITY;
    for (int i = 0; i < N; i++) {
        if (!ok[i] || !isfinite(x[i]) || !isfinite(y[i]) || fabs(y[i]) > 90.000001)
            continue;
        GEOSCoordSeq_setXY_r(gh, seq, kept++, x[i], y[i]);
        lon_min = fmin(lon_min, x[i]);
        lon_max = fmax(lon_max, x[i]);
    }
    if (kept < 3) {
        GEOSCoordSeq_destroy_r(gh, seq);
        char what[1100];
        snprintf(what, sizeof what, "%s: its outline cannot be carried to "
                 "EPSG:4326", path);
        return sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, what);
    }
    if (kept < N)
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s: %d of %d outline points could not be carried to "
                      "EPSG:4326; footprint made from the rest",
                      path, N - (int)kept, N);
    if (lon_max - lon_min > 180.0 && lon_max - lon_min < 359.999)
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s: the footprint spans %.1f degrees of longitude; if "
                      "the raster crosses the antimeridian it is not handled",
                      path, lon_max - lon_min);
    /* Close the ring on its first kept point; shrink the sequence when
     * points were dropped by copying into an exact-size one. */
    double x0, y0;
    GEOSCoordSeq_getXY_r(gh, seq, 0, &x0, &y0);
    GEOSCoordSequence *ring_seq = seq;
    if (kept < N) {
        ring_seq = GEOSCoordSeq_create_r(gh, kept + 1, 2);
        for (unsigned i = 0; ring_seq && i < kept; i++) {
            double a, b;
            GEOSCoordSeq_getXY_r(gh, seq, i, &a, &b);
            GEOSCoordSeq_setXY_r(gh, ring_seq, i, a, b);
        }
        GEOSCoordSeq_destroy_r(gh, seq);
        if (!ring_seq)
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    GEOSCoordSeq_setXY_r(gh, ring_seq, kept, x0, y0);
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(gh, ring_seq);
    GEOSGeometry *poly = ring ? GEOSGeom_createPolygon_r(gh, ring, NULL, 0) : NULL;
    if (!poly) {
        if (ring)
            GEOSGeom_destroy_r(gh, ring);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: cannot make a footprint polygon: %s", path,
                               ctx->geos_message);
    }
    if (GEOSisValid_r(gh, poly) != 1) {
        GEOSGeometry *fixed = GEOSMakeValid_r(gh, poly);
        GEOSGeom_destroy_r(gh, poly);
        poly = fixed;
        int type = poly ? GEOSGeomTypeId_r(gh, poly) : -1;
        if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
            if (poly)
                GEOSGeom_destroy_r(gh, poly);
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                   "%s: the raster's outline in EPSG:4326 is "
                                   "not a valid polygon", path);
        }
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s: the outline in EPSG:4326 crossed itself; repaired",
                      path);
    }
    if (GEOSGeomTypeId_r(gh, poly) == GEOS_POLYGON) {
        GEOSGeometry *parts[1] = {poly};
        GEOSGeometry *multi = GEOSGeom_createCollection_r(gh, GEOS_MULTIPOLYGON,
                                                          parts, 1);
        if (!multi) {
            GEOSGeom_destroy_r(gh, poly);
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        poly = multi;
    }
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(gh);
    if (wr) {
        GEOSWKBWriter_setByteOrder_r(gh, wr, GEOS_WKB_NDR);
        GEOSWKBWriter_setOutputDimension_r(gh, wr, 2);
        t->wkb = GEOSWKBWriter_write_r(gh, wr, poly, &t->wkb_size);
        GEOSWKBWriter_destroy_r(gh, wr);
    }
    GEOSGeom_destroy_r(gh, poly);
    if (!t->wkb)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");

    if (ok[N] && ok[N + 1] && ok[N + 2]) {
        struct geod_geodesic g;
        geod_init(&g, 6378137.0, 1 / 298.257223563);
        double dx = geodesic_m(&g, x[N], y[N], x[N + 1], y[N + 1]);
        double dy = geodesic_m(&g, x[N], y[N], x[N + 2], y[N + 2]);
        t->pixel_size_m = (dx + dy) / 2;
    } else {
        t->pixel_size_m = NAN;
    }
    return SINSPACE_OK;
}

/* Opens and measures one raster; writes nothing. */
static sinspace_status
analyse(sinspace_context *ctx, const char *given, tile_info *t)
{
    sinspace_status st = resolve_readable(ctx, given, &t->path);
    if (st)
        return st;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(t->path, GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                                 NULL, NULL, NULL);
    if (!ds) {
        char what[1100];
        snprintf(what, sizeof what, "%s: not a raster GDAL can read", given);
        return sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, what);
    }
    void *ll = NULL;
    t->width = GDALGetRasterXSize(ds);
    t->height = GDALGetRasterYSize(ds);
    t->bands = GDALGetRasterCount(ds);
    snprintf(t->driver, sizeof t->driver, "%s",
             GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
    if (t->width <= 0 || t->height <= 0 || t->bands <= 0) {
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s: a raster with no pixels or no bands", given);
        goto done;
    }
    double gt[6];
    int has_gt = GDALGetGeoTransform(ds, gt) == CE_None;
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    int use_gcps = 0;
    if (!has_gt || !srs) {
        if (GDALGetGCPCount(ds) > 0 && GDALGetGCPSpatialRef(ds)) {
            use_gcps = 1;
            srs = GDALGetGCPSpatialRef(ds);
        } else {
            st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                 "%s: not georeferenced (%s)", given,
                                 has_gt ? "a geotransform but no CRS"
                                        : "no geotransform and no GCPs");
            goto done;
        }
    }
    if (!(t->crs = sinspace__srs_text(srs))) {
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s: its CRS cannot be written as WKT", given);
        goto done;
    }
    CPLErrorReset();
    if (probe_pixels(ds, 0, 0) || probe_pixels(ds, t->width - 1, t->height - 1)) {
        char what[1100];
        snprintf(what, sizeof what, "%s: cannot read its pixels (truncated or "
                 "corrupt file?)", given);
        st = sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, what);
        goto done;
    }
    metadata_date(ds, t->acquired);

    /* Pixel/line to lon/lat.  GenImgProj goes through the geotransform and
     * PROJ, or the GCP polynomial for GCP-only rasters (GDAL_OF_RASTER
     * rasters with RPCs use them too). */
    const char *const to_ll[] = {"DST_SRS=EPSG:4326", NULL};
    CPLErrorReset();
    ll = GDALCreateGenImgProjTransformer2(ds, NULL, (char **)to_ll);
    if (!ll) {
        char what[1100];
        snprintf(what, sizeof what, "%s: cannot transform its pixel grid to "
                 "EPSG:4326", given);
        st = sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, what);
        goto done;
    }
    if ((st = footprint_from(ctx, given, ll, t->width, t->height, t)))
        goto done;

    if (!use_gcps) {
        t->pixel_size = (hypot(gt[1], gt[4]) + hypot(gt[2], gt[5])) / 2;
    } else {
        /* No geotransform: measure the central pixel in the GCPs' CRS. */
        void *nat = GDALCreateGenImgProjTransformer2(ds, NULL, NULL);
        double px[3] = {t->width / 2.0, t->width / 2.0 + 1, t->width / 2.0};
        double py[3] = {t->height / 2.0, t->height / 2.0, t->height / 2.0 + 1};
        double pz[3] = {0, 0, 0};
        int pok[3] = {0, 0, 0};
        t->pixel_size = NAN;
        if (nat && GDALGenImgProjTransform(nat, FALSE, 3, px, py, pz, pok) &&
            pok[0] && pok[1] && pok[2])
            t->pixel_size = (hypot(px[1] - px[0], py[1] - py[0]) +
                             hypot(px[2] - px[0], py[2] - py[0])) / 2;
        if (nat)
            GDALDestroyGenImgProjTransformer(nat);
    }
done:
    if (ll)
        GDALDestroyGenImgProjTransformer(ll);
    GDALClose(ds);
    return st;
}

static sinspace_status
check_option_text(sinspace_context *ctx, const char *what, const char *s)
{
    char err[128];
    if (s && sinspace__check_text(s, 0, 1000, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "%s: %s", what, err);
    return SINSPACE_OK;
}

sinspace_status
sinspace_tiles_add(sinspace_store *store, const char *const *paths, size_t n,
                   const sinspace_tiles_add_options *opts,
                   sinspace_tiles_add_result *result)
{
    if (!store || !paths || n == 0)
        return sinspace__error(store ? sinspace_store_context(store) : NULL,
                               SINSPACE_INVALID_ARGUMENT,
                               "tiles_add: store and at least one path are required");
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__tile_ops *ops = sinspace__store_engine(store)->tiles;
    sinspace_tiles_add_options o;
    sinspace_tiles_add_options_init(&o);
    if (opts)
        o = *opts;
    char date[11];
    if (o.acquired) {
        char err[128];
        if (sinspace__parse_date(o.acquired, date, err, sizeof err) < 0)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "acquisition %s", err);
        o.acquired = date;
    }
    sinspace_status st;
    if ((st = check_option_text(ctx, "source", o.source)) ||
        (st = check_option_text(ctx, "attribution", o.attribution)))
        return st;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: opened read-only", sinspace_store_path(store));

    tile_info *infos = calloc(n, sizeof *infos);
    if (!infos)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    /* Read every raster first: one bad file writes nothing. */
    for (size_t i = 0; i < n && !st; i++) {
        if (!paths[i] || !*paths[i])
            st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                 "tiles_add: empty path");
        else if (!(st = sinspace__progress(ctx, "tiles", (double)i, (double)n)))
            st = analyse(ctx, paths[i], &infos[i]);
    }
    sinspace_tiles_add_result r = {0, 0};
    char *target = NULL;
    if (!st) {
        /* The audit target: the resolved paths. */
        size_t len = 1;
        for (size_t i = 0; i < n; i++)
            len += strlen(infos[i].path) + 2;
        if (!(target = malloc(len)))
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        else
            target[0] = '\0';
        for (size_t i = 0; target && i < n; i++) {
            if (i)
                strcat(target, "; ");
            strcat(target, infos[i].path);
        }
    }
    sinspace_tile *rows = NULL;
    if (!st && !(rows = calloc(n, sizeof *rows)))
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (!st) {
        char now[32];
        sinspace__now_iso(now);
        for (size_t i = 0; i < n; i++) {
            const tile_info *t = &infos[i];
            sinspace_tile *row = &rows[i];
            row->path = t->path;
            row->driver = t->driver;
            row->crs = t->crs;
            row->width = t->width;
            row->height = t->height;
            row->bands = t->bands;
            row->pixel_size = t->pixel_size;
            row->pixel_size_m = t->pixel_size_m;
            /* The date given wins over the raster's own. */
            row->acquired = o.acquired ? o.acquired
                                       : (t->acquired[0] ? t->acquired : NULL);
            row->source = o.source;
            row->attribution = o.attribution;
            row->added = now;
            row->footprint_wkb = t->wkb;
            row->footprint_wkb_size = t->wkb_size;
        }
        sinspace_audit_entry e = {0};
        e.command = "tiles add";
        e.target = target;
        e.rows = (long long)n;
        st = ops->add(store, rows, n, &e, &r.inserted, &r.updated);
    }
    free(rows);
    if (!st)
        sinspace__progress(ctx, "tiles", (double)n, (double)n);
    free(target);
    for (size_t i = 0; i < n; i++)
        tile_info_clear(&infos[i]);
    free(infos);
    if (!st && result)
        *result = r;
    return st;
}

static int
file_missing(const char *path)
{
    struct stat sb;
    return !path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
           access(path, R_OK) != 0;
}

/* Hands the engine's tiles on, marking files that are gone. */
typedef struct list_state {
    int (*fn)(void *, const sinspace_tile *);
    void *user_data;
} list_state;

static int
on_listed(void *user, const sinspace_tile *tile)
{
    list_state *ls = user;
    sinspace_tile t = *tile;
    /* A service is no file; a package is. */
    t.missing = t.service && strcmp(t.service, "package") ? 0
                                                         : file_missing(t.path);
    return ls->fn(ls->user_data, &t);
}

sinspace_status
sinspace_tiles_list(sinspace_store *store,
                    int (*fn)(void *, const sinspace_tile *), void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? sinspace_store_context(store) : NULL,
                               SINSPACE_INVALID_ARGUMENT, "tiles_list: no store");
    list_state ls = {fn, user_data};
    return sinspace__store_engine(store)->tiles->list(store, on_listed, &ls);
}

static int
all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

sinspace_status
sinspace_tiles_remove(sinspace_store *store, const char *id_or_path,
                      long long *removed_id)
{
    if (!store || !id_or_path || !*id_or_path)
        return sinspace__error(store ? sinspace_store_context(store) : NULL,
                               SINSPACE_INVALID_ARGUMENT,
                               "tiles_remove: a tile id or path is required");
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__tile_ops *ops = sinspace__store_engine(store)->tiles;
    long long id = 0;
    sinspace_status st;
    if (all_digits(id_or_path)) {
        /* 18 digits always fit in a long long. */
        if (strlen(id_or_path) > 18)
            return sinspace__error(ctx, SINSPACE_NOT_FOUND, "no tile %s", id_or_path);
        st = ops->find(store, strtoll(id_or_path, NULL, 10), NULL, &id);
    } else {
        /* The file may be gone: then match the path as stored, made
         * absolute against the working directory. */
        char *real = realpath(id_or_path, NULL);
        char *abs = NULL;
        if (!real && id_or_path[0] != '/') {
            char cwd[PATH_MAX];
            if (getcwd(cwd, sizeof cwd)) {
                size_t len = strlen(cwd) + strlen(id_or_path) + 2;
                if ((abs = malloc(len)))
                    snprintf(abs, len, "%s/%s", cwd, id_or_path);
            }
        }
        const char *key = real ? real : abs ? abs : id_or_path;
        st = ops->find(store, 0, key, &id);
        if (!st && !id && key != id_or_path)
            st = ops->find(store, 0, id_or_path, &id);
        free(real);
        free(abs);
    }
    if (st)
        return st;
    if (!id)
        return sinspace__error(ctx, SINSPACE_NOT_FOUND, "no tile %s in %s",
                               id_or_path, sinspace_store_path(store));
    /* The engine names the removed file in the audit row. */
    sinspace_audit_entry e = {0};
    e.command = "tiles rm";
    e.target = id_or_path;
    e.rows = 1;
    if ((st = ops->remove(store, id, &e)))
        return st;
    if (removed_id)
        *removed_id = id;
    return SINSPACE_OK;
}

sinspace_status
sinspace_tiles_covering(sinspace_store *store, const double bbox[4],
                        int (*fn)(void *, const sinspace_tile *),
                        void *user_data)
{
    sinspace_context *ctx = store ? sinspace_store_context(store) : NULL;
    if (!store || !bbox || !fn)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles_covering: store, bbox and fn are required");
    for (int i = 0; i < 4; i++)
        if (!isfinite(bbox[i]))
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "tiles_covering: bbox is not finite");
    if (bbox[0] > bbox[2] || bbox[1] > bbox[3])
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles_covering: bbox west > east or south > north");
    return sinspace__store_engine(store)->tiles->covering(store, bbox, fn,
                                                          user_data);
}

/* Counts every workplace for the summary, also after fn asked to stop. */
typedef struct cover_state {
    int (*fn)(void *, const sinspace_tile_cover *);
    void *user_data;
    sinspace_tiles_cover_stats stats;
    int stopped;
} cover_state;

static int
on_cover(void *user, const sinspace_tile_cover *row)
{
    cover_state *cs = user;
    cs->stats.workplaces++;
    if (row->tile)
        cs->stats.covered++;
    if (!cs->stopped && cs->fn(cs->user_data, row))
        cs->stopped = 1;
    return 0;
}

sinspace_status
sinspace_tiles_cover(sinspace_store *store,
                     int (*fn)(void *, const sinspace_tile_cover *),
                     void *user_data, sinspace_tiles_cover_stats *stats)
{
    if (!store || !fn)
        return sinspace__error(store ? sinspace_store_context(store) : NULL,
                               SINSPACE_INVALID_ARGUMENT, "tiles_cover: no store");
    cover_state cs = {fn, user_data, {0, 0}, 0};
    sinspace_status st =
        sinspace__store_engine(store)->tiles->cover(store, on_cover, &cs);
    if (!st && stats)
        *stats = cs.stats;
    return st;
}

/* ------------------------------------------------------------------ */
/* Tile services (docs/imagery.md) */

#define WEB_MERCATOR_R 6378137.0
#define WEB_MERCATOR_MAX_LAT 85.0511287798066

void
sinspace_tiles_service_options_init(sinspace_tiles_service_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->min_zoom = opts->max_zoom = -1;
}

static int
starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The first bytes of a file, to see a GDAL WMS/WMTS description. */
static int
is_description_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "<GDAL_WMS") != NULL || strstr(buf, "<GDAL_WMTS") != NULL;
}

int
sinspace_tiles_is_service(const char *text)
{
    if (!text)
        return 0;
    if (starts_with_ci(text, "http://") || starts_with_ci(text, "https://") ||
        starts_with_ci(text, "WMTS:") || starts_with_ci(text, "WMS:"))
        return 1;
    return is_description_file(text);
}

static int
contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

/* xyz, tms, wmts or wms for a URL; NULL for one that is none of them. */
static const char *
service_kind(const char *url)
{
    if (starts_with_ci(url, "WMTS:"))
        return "wmts";
    if (starts_with_ci(url, "WMS:"))
        return "wms";
    if (!starts_with_ci(url, "http://") && !starts_with_ci(url, "https://"))
        return "gdal";
    if (strstr(url, "{z}") && strstr(url, "{x}") &&
        (strstr(url, "{y}") || strstr(url, "{-y}")))
        return strstr(url, "{-y}") ? "tms" : "xyz";
    if (contains_ci(url, "WMTS"))
        return "wmts";
    if (contains_ci(url, "SERVICE=WMS") || contains_ci(url, "/wms"))
        return "wms";
    return NULL;
}

/* A one-ring MULTIPOLYGON in little-endian ISO WKB around a box. */
static unsigned char *
box_wkb(const double b[4], size_t *size)
{
    const size_t n = 1 + 4 + 4 + 1 + 4 + 4 + 4 + 5 * 16;
    unsigned char *w = malloc(n), *p = w;
    if (!w)
        return NULL;
    uint32_t u;
#define PUT_U32(v) (u = (v), memcpy(p, &u, 4), p += 4)
#define PUT_D(v) do { double d_ = (v); memcpy(p, &d_, 8); p += 8; } while (0)
    *p++ = 1;
    PUT_U32(6); /* MultiPolygon */
    PUT_U32(1);
    *p++ = 1;
    PUT_U32(3); /* Polygon */
    PUT_U32(1);
    PUT_U32(5);
    const double xs[5] = {b[0], b[2], b[2], b[0], b[0]};
    const double ys[5] = {b[1], b[1], b[3], b[3], b[1]};
    for (int i = 0; i < 5; i++) {
        PUT_D(xs[i]);
        PUT_D(ys[i]);
    }
#undef PUT_U32
#undef PUT_D
    *size = n;
    return w;
}

/* Checks "Name: value" headers and joins them with CRLF into *out. */
static sinspace_status
join_headers(sinspace_context *ctx, const char *const *h, size_t n, char **out)
{
    *out = NULL;
    if (!n)
        return SINSPACE_OK;
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        const char *colon = h[i] ? strchr(h[i], ':') : NULL;
        /* The header's value is secret: name the header by position only. */
        if (!colon || colon == h[i])
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "--header %zu: expected \"Name: value\"", i + 1);
        for (const char *c = h[i]; c < colon; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                       "--header %zu: the name may hold only "
                                       "letters, digits, - and _", i + 1);
        for (const char *c = h[i]; *c; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t')
                return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                       "--header %zu: control characters are "
                                       "not allowed", i + 1);
        len += strlen(h[i]) + 2;
    }
    char *s = malloc(len);
    if (!s)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, "\r\n");
        strcat(s, h[i]);
    }
    *out = s;
    return SINSPACE_OK;
}

/* Pixel size of Web Mercator zoom z, in metres of the projection. */
double
sinspace__tiles_zoom_res(int z)
{
    return 2 * M_PI * WEB_MERCATOR_R / 256.0 / ldexp(1.0, z);
}

/* An XYZ/TMS template: no request at all; the catalogue keeps the zooms
 * and the extent it was given. */
static sinspace_status
describe_template(sinspace_context *ctx, const char *url,
                  const sinspace_tiles_service_options *o, int *minz,
                  int *maxz, double ext[4], sinspace_tile *row)
{
    *minz = o->min_zoom >= 0 ? o->min_zoom : 0;
    *maxz = o->max_zoom >= 0 ? o->max_zoom : 19;
    if (*maxz > 24 || *minz > *maxz)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "--min-zoom %d, --max-zoom %d: zooms go from 0 "
                               "to 24, the minimum not above the maximum",
                               *minz, *maxz);
    if (strlen(url) > 2000)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "service URL: longer than 2000 characters");
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= 0x20)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "service URL: spaces and control characters "
                                   "must be percent-encoded");
    if (!o->has_extent) {
        ext[0] = -180, ext[1] = -WEB_MERCATOR_MAX_LAT;
        ext[2] = 180, ext[3] = WEB_MERCATOR_MAX_LAT;
    }
    double res = sinspace__tiles_zoom_res(*maxz);
    double lat = (ext[1] + ext[3]) / 2 * M_PI / 180;
    double y0 = WEB_MERCATOR_R * log(tan(M_PI / 4 + ext[1] * M_PI / 360));
    double y1 = WEB_MERCATOR_R * log(tan(M_PI / 4 + ext[3] * M_PI / 360));
    double w = (ext[2] - ext[0]) * M_PI / 180 * WEB_MERCATOR_R / res;
    double h = (y1 - y0) / res;
    row->driver = "WMS";
    row->crs = "EPSG:3857";
    row->width = w > INT_MAX ? INT_MAX : (int)ceil(w);
    row->height = h > INT_MAX ? INT_MAX : (int)ceil(h);
    row->bands = 4;
    row->pixel_size = res;
    row->pixel_size_m = res * cos(lat);
    return SINSPACE_OK;
}

/* WMTS, WMS and GDAL description files: GDAL opens them, which reads the
 * capabilities (or the file) and never a block of pixels. */
static sinspace_status
describe_gdal(sinspace_context *ctx, const char *kind, const char *given,
              const sinspace_tiles_service_options *o, char **name, int *minz,
              int *maxz, double ext[4], sinspace_tile *row, char **crs_out)
{
    char *conn = NULL;
    if (!strcmp(kind, "wmts") && !starts_with_ci(given, "WMTS:")) {
        size_t n = strlen(given) + 64 + (o->layer ? strlen(o->layer) : 0) +
                   (o->matrix_set ? strlen(o->matrix_set) : 0);
        if (!(conn = malloc(n)))
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        snprintf(conn, n, "WMTS:%s%s%s%s%s", given, o->layer ? ",layer=" : "",
                 o->layer ? o->layer : "", o->matrix_set ? ",tilematrixset=" : "",
                 o->matrix_set ? o->matrix_set : "");
    } else if (!strcmp(kind, "wms") && !starts_with_ci(given, "WMS:")) {
        size_t n = strlen(given) + 8;
        if (!(conn = malloc(n)))
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        snprintf(conn, n, "WMS:%s", given);
    } else if (!strcmp(kind, "gdal")) {
        sinspace_status st = resolve_readable(ctx, given, &conn);
        if (st)
            return st;
    } else if (!(conn = sinspace__strdup(given))) {
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(conn, GDAL_OF_RASTER | GDAL_OF_READONLY |
                                 GDAL_OF_VERBOSE_ERROR, NULL, NULL, NULL);
    if (!ds) {
        free(conn);
        char what[600];
        snprintf(what, sizeof what, "%.400s: GDAL cannot open the service", given);
        return sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, what);
    }
    sinspace_status st = SINSPACE_OK;
    char **subs = GDALGetMetadata(ds, "SUBDATASETS");
    if (subs && CSLCount(subs) > 2) {
        /* Several layers or matrix sets: list them. */
        char list[4000] = "";
        size_t len = 0;
        for (int i = 0; subs[i] && len < sizeof list - 200; i++) {
            const char *eq = strchr(subs[i], '=');
            if (eq && strstr(subs[i], "_NAME="))
                len += (size_t)snprintf(list + len, sizeof list - len, "\n  %s",
                                        eq + 1);
        }
        st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                             "%.400s: the service offers several layers or tile "
                             "matrix sets; choose one with --layer and "
                             "--tile-matrix-set (or add one of these):%s",
                             given, list);
        GDALClose(ds);
        free(conn);
        return st;
    }
    double gt[6];
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    if (GDALGetGeoTransform(ds, gt) != CE_None || !srs) {
        GDALClose(ds);
        free(conn);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%.400s: the service gives no georeferencing", given);
    }
    tile_info t;
    memset(&t, 0, sizeof t);
    const char *const to_ll[] = {"DST_SRS=EPSG:4326", NULL};
    void *ll = GDALCreateGenImgProjTransformer2(ds, NULL, (char **)to_ll);
    if (!ll)
        st = sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, "service: transform");
    else
        st = footprint_from(ctx, given, ll, GDALGetRasterXSize(ds),
                            GDALGetRasterYSize(ds), &t);
    if (ll)
        GDALDestroyGenImgProjTransformer(ll);
    if (!st) {
        row->width = GDALGetRasterXSize(ds);
        row->height = GDALGetRasterYSize(ds);
        row->bands = GDALGetRasterCount(ds);
        row->pixel_size = (hypot(gt[1], gt[4]) + hypot(gt[2], gt[5])) / 2;
        row->pixel_size_m = t.pixel_size_m;
        row->driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds));
        *crs_out = sinspace__srs_text(srs);
        row->crs = *crs_out;
        int novr = GDALGetOverviewCount(GDALGetRasterBand(ds, 1));
        *maxz = o->max_zoom;
        *minz = o->min_zoom >= 0 ? o->min_zoom : -1;
        (void)novr;
        if (!o->has_extent) {
            /* The footprint's bounds. */
            GEOSGeometry *g = GEOSGeomFromWKB_buf_r(ctx->geos, t.wkb, t.wkb_size);
            if (g) {
                GEOSGeom_getXMin_r(ctx->geos, g, &ext[0]);
                GEOSGeom_getYMin_r(ctx->geos, g, &ext[1]);
                GEOSGeom_getXMax_r(ctx->geos, g, &ext[2]);
                GEOSGeom_getYMax_r(ctx->geos, g, &ext[3]);
                GEOSGeom_destroy_r(ctx->geos, g);
            }
        }
    }
    /* driver name points into GDAL's driver, which outlives the dataset. */
    GDALClose(ds);
    if (t.wkb)
        GEOSFree(t.wkb);
    if (st)
        free(conn);
    else
        *name = conn;
    return st;
}

sinspace_status
sinspace_tiles_add_service(sinspace_store *store, const char *url,
                           const sinspace_tiles_service_options *opts,
                           long long *id)
{
    sinspace_context *ctx = store ? sinspace_store_context(store) : NULL;
    if (!store || !url || !*url)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles_add_service: store and URL are required");
    sinspace_tiles_service_options o;
    sinspace_tiles_service_options_init(&o);
    if (opts)
        o = *opts;
    const char *kind = service_kind(url);
    if (!kind)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%.400s: not a tile service URL: an XYZ/TMS "
                               "template needs {z}, {x} and {y} (or {-y}); a "
                               "WMTS or WMS URL names its service", url);
    if (!o.attribution || !*o.attribution)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "--attribution is required for a tile service: "
                               "every map that uses it prints it");
    sinspace_status st;
    if ((st = check_option_text(ctx, "source", o.source)) ||
        (st = check_option_text(ctx, "attribution", o.attribution)))
        return st;
    char date[11];
    if (o.acquired) {
        char err[128];
        if (sinspace__parse_date(o.acquired, date, err, sizeof err) < 0)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "acquisition %s", err);
        o.acquired = date;
    }
    double ext[4];
    if (o.has_extent) {
        memcpy(ext, o.extent, sizeof ext);
        if (!(isfinite(ext[0]) && isfinite(ext[1]) && isfinite(ext[2]) &&
              isfinite(ext[3])) || ext[0] >= ext[2] || ext[1] >= ext[3] ||
            ext[0] < -180 || ext[2] > 180 || ext[1] < -WEB_MERCATOR_MAX_LAT ||
            ext[3] > WEB_MERCATOR_MAX_LAT)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "--extent: expected W,S,E,N in degrees, west "
                                   "< east, south < north, latitudes within "
                                   "+-85.05");
    }
    if ((o.min_zoom > 24) || (o.max_zoom > 24))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "--min-zoom/--max-zoom: zooms go from 0 to 24");
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: opened read-only", sinspace_store_path(store));
    char *headers = NULL;
    if ((st = join_headers(ctx, o.headers, o.n_headers, &headers)))
        return st;

    sinspace_tile row;
    memset(&row, 0, sizeof row);
    int minz = -1, maxz = -1;
    char *name = NULL, *crs = NULL;
    if (!strcmp(kind, "xyz") || !strcmp(kind, "tms")) {
        st = describe_template(ctx, url, &o, &minz, &maxz, ext, &row);
        if (!st && !(name = sinspace__strdup(url)))
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    } else {
        if (headers)
            CPLSetThreadLocalConfigOption("GDAL_HTTP_HEADERS", headers);
        st = describe_gdal(ctx, kind, url, &o, &name, &minz, &maxz, ext, &row,
                           &crs);
        if (headers)
            CPLSetThreadLocalConfigOption("GDAL_HTTP_HEADERS", NULL);
    }
    unsigned char *wkb = NULL;
    size_t wkb_size = 0;
    if (!st && !(wkb = box_wkb(ext, &wkb_size)))
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (!st) {
        char now[32];
        sinspace__now_iso(now);
        row.path = name;
        row.acquired = o.acquired;
        row.source = o.source;
        row.attribution = o.attribution;
        row.added = now;
        row.footprint_wkb = wkb;
        row.footprint_wkb_size = wkb_size;
        sinspace__tile_service svc = {0};
        svc.kind = kind;
        svc.url = name;
        svc.headers = headers;
        svc.min_zoom = minz;
        svc.max_zoom = maxz;
        svc.zoom = -1;
        /* The audit names the service, never its headers. */
        sinspace_audit_entry e = {0};
        e.command = "tiles add";
        e.target = name;
        e.rows = 1;
        int inserted = 0;
        st = sinspace__store_engine(store)->tiles->add_service(
            store, &row, &svc, &e, id, &inserted);
    }
    free(wkb);
    free(name);
    free(crs);
    if (headers) {
        memset(headers, 0, strlen(headers));
        free(headers);
    }
    return st;
}

/* Whether maps may use tile services (sinspace_tiles_set_offline). */
static volatile int offline_flag;

void
sinspace_tiles_set_offline(int offline)
{
    offline_flag = offline ? 1 : 0;
}

int
sinspace_tiles_offline(void)
{
    return offline_flag;
}

sinspace_status
sinspace__tiles_add_package(sinspace_store *store, const char *path,
                            const sinspace_tile *service, int zoom,
                            long long *id)
{
    sinspace_context *ctx = sinspace_store_context(store);
    tile_info t;
    memset(&t, 0, sizeof t);
    sinspace_status st = analyse(ctx, path, &t);
    if (!st) {
        char now[32];
        sinspace__now_iso(now);
        sinspace_tile row;
        memset(&row, 0, sizeof row);
        row.path = t.path;
        row.driver = t.driver;
        row.crs = t.crs;
        row.width = t.width;
        row.height = t.height;
        row.bands = t.bands;
        row.pixel_size = t.pixel_size;
        row.pixel_size_m = t.pixel_size_m;
        row.acquired = service->acquired;
        row.source = service->source;
        row.attribution = service->attribution;
        row.added = now;
        row.footprint_wkb = t.wkb;
        row.footprint_wkb_size = t.wkb_size;
        sinspace__tile_service svc = {0};
        svc.kind = "package";
        svc.url = service->path;
        svc.min_zoom = svc.max_zoom = zoom;
        svc.service_id = service->id;
        svc.zoom = zoom;
        sinspace_audit_entry e = {0};
        e.command = "tiles fetch";
        e.target = t.path;
        e.rows = 1;
        int inserted = 0;
        st = sinspace__store_engine(store)->tiles->add_service(store, &row, &svc,
                                                               &e, id, &inserted);
    }
    tile_info_clear(&t);
    return st;
}
