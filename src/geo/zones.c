/* zones.c: high-risk zones (see sinspace/zones.h and docs/zones.md).
 *
 * The work runs in passes over one struct zrun: read the workplaces, project
 * them to UTM with PROJ, scatter each one's precomputed quartic stencil on a
 * grid of doubles, label the groups of cells above the threshold and turn
 * them into polygons with GDALPolygonize (MEM raster, OGR memory layer),
 * then give each polygon its statistics and write the zones in one
 * transaction.  Memory is bounded by the grid (capped) and the
 * workplaces read (about 50 bytes each). */
#include "core/sinspaceInt.h"
#include "store/areas.h"
#include "store/zones.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRESS_EVERY 65536
#define TOP_SECTORS 3

typedef struct zpoint {
    double lon, lat;
    double risk;
    int sector; /* index into zrun.sectors, -1 if not in the catalogue */
} zpoint;

typedef struct zzone {
    long long id;        /* given when written */
    int32_t label;       /* its group of cells */
    GEOSGeometry *geom;  /* EPSG:4326, valid, (multi)polygon */
    double peak;
    double area_km2;
    long long n;
    double sum, max;
    double clon, clat;
    char sectors[256];
} zzone;

typedef struct zrun {
    sinspace_store *store;
    sinspace_context *ctx;
    const sinspace__zone_ops *ops;
    sinspace_zones_options o;
    /* the area (NULL: everywhere) */
    sinspace__area *area;
    /* the sector catalogue, sorted by code */
    char **sectors;
    int n_sectors;
    /* the workplaces, and their UTM coordinates */
    zpoint *pts;
    size_t n, cap;
    double *xs, *ys;
    int epsg;
    /* the grid: cell (c, r) has its centre at
     * (x0 + (c + 0.5) cell, ytop - (r + 0.5) cell) */
    double x0, ytop;
    long long cols, rows;
    double *grid;
    double threshold;
    char threshold_kind[32];
    zzone *zones;
    size_t nz, zcap;
    char params[512];
    int interrupted;
    sinspace_zones_result res;
} zrun;

/* Seconds on the process's CPU clock, for the debug log of each pass. */
static double
cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void
sinspace_zones_options_init(sinspace_zones_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->cell_m = SINSPACE_ZONES_CELL_M;
    opts->bandwidth_m = SINSPACE_ZONES_BANDWIDTH_M;
    opts->threshold = NAN;
    opts->percentile = 0.0;
}

static sinspace_status
check_options(sinspace_context *ctx, const sinspace_zones_options *o)
{
    if (!(o->cell_m >= 1.0 && o->cell_m <= 100000.0))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the cell size must be 1 m to 100 km, not %g m",
                               o->cell_m);
    if (!(o->bandwidth_m >= 1.0 && o->bandwidth_m <= 200000.0))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the bandwidth must be 1 m to 200 km, not %g m",
                               o->bandwidth_m);
    if (o->bandwidth_m < o->cell_m / 2)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the bandwidth (%g m) must be at least half "
                               "a cell (%g m)", o->bandwidth_m, o->cell_m);
    if (o->bandwidth_m / o->cell_m > 200)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the bandwidth (%g m) spans more than 200 "
                               "cells of %g m; use a bigger cell", o->bandwidth_m,
                               o->cell_m);
    if (!isnan(o->threshold) && !(o->threshold > 0 && isfinite(o->threshold)))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the threshold must be a density above 0");
    if (isnan(o->threshold) && o->percentile != 0 &&
        !(o->percentile > 0 && o->percentile < 100))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the percentile must be above 0 and below 100");
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Reading
 */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct sector_load {
    zrun *z;
    size_t cap;
    sinspace_status st;
} sector_load;

static int
on_sector(void *user, const char *code)
{
    sector_load *sl = user;
    zrun *z = sl->z;
    if ((size_t)z->n_sectors + 1 >= sl->cap) {
        size_t cap = sl->cap ? sl->cap * 2 : 64;
        char **p = realloc(z->sectors, cap * sizeof *p);
        if (!p)
            goto nomem;
        z->sectors = p;
        sl->cap = cap;
    }
    char *s = sinspace__strdup(code);
    if (!s)
        goto nomem;
    z->sectors[z->n_sectors++] = s;
    return 0;
nomem:
    sl->st = sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
    return 1;
}

/* The catalogue, sorted as strcmp sorts (the engine's order), for
 * sector_index's bsearch. */
static sinspace_status
load_sectors(zrun *z)
{
    sector_load sl = {z, 0, SINSPACE_OK};
    sinspace_status st = z->ops->sectors(z->store, on_sector, &sl);
    if (!st)
        st = sl.st;
    if (!st && !z->sectors && !(z->sectors = calloc(1, sizeof *z->sectors)))
        st = sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
    return st;
}

static int
sector_index(const zrun *z, const char *code)
{
    if (!code)
        return -1;
    char **hit = bsearch(&code, z->sectors, (size_t)z->n_sectors,
                         sizeof *z->sectors, cmp_str);
    return hit ? (int)(hit - z->sectors) : -1;
}

typedef struct point_load {
    zrun *z;
    long long total;
    sinspace_status st;
} point_load;

static int
on_workplace(void *user, const sinspace__zone_workplace *w)
{
    point_load *pl = user;
    zrun *z = pl->z;
    if (z->n == z->cap) {
        /* Rows added since the count: grow. */
        size_t cap = z->cap * 2;
        zpoint *p = realloc(z->pts, cap * sizeof *p);
        if (!p) {
            pl->st = sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        z->pts = p;
        z->cap = cap;
    }
    zpoint *p = &z->pts[z->n++];
    p->lon = w->lon;
    p->lat = w->lat;
    p->risk = w->risk;
    p->sector = sector_index(z, w->sector);
    if (z->n % PROGRESS_EVERY == 0 &&
        (pl->st = sinspace__progress(z->ctx, "reading", (double)z->n,
                                     (double)pl->total)))
        return 1;
    return 0;
}

/* Workplaces that are not closed (active or unknown, as the areas_risk
 * layer counts them) and have a risk score. */
static sinspace_status
read_points(zrun *z)
{
    long long total = 0;
    const long long *area_id = z->area ? &z->area->id : NULL;
    sinspace_status st = z->ops->count_workplaces(z->store, area_id, &total);
    if (st)
        return st;
    z->cap = total > 0 ? (size_t)total : 1;
    z->pts = malloc(z->cap * sizeof *z->pts);
    if (!z->pts)
        return sinspace__error(z->ctx, SINSPACE_NO_MEMORY,
                               "out of memory for %lld workplaces", total);
    point_load pl = {z, total, SINSPACE_OK};
    st = z->ops->workplaces(z->store, area_id, on_workplace, &pl);
    if (!st)
        st = pl.st;
    if (st)
        return st;
    z->res.workplaces = (long long)z->n;
    return sinspace__progress(z->ctx, "reading", (double)z->n, (double)z->n);
}

/* -------------------------------------------------------------------------
 * Projection and density
 */

static sinspace_status
proj_fail(zrun *z, const char *what)
{
    int e = proj_context_errno(z->ctx->proj);
    return sinspace__error(z->ctx, SINSPACE_ERROR, "zones: %s: %s", what,
                           e ? proj_context_errno_string(z->ctx->proj, e)
                             : "PROJ failed");
}

static sinspace_status
project_points(zrun *z)
{
    double minlon = INFINITY, maxlon = -INFINITY, minlat = INFINITY, maxlat = -INFINITY;
    for (size_t i = 0; i < z->n; i++) {
        minlon = fmin(minlon, z->pts[i].lon);
        maxlon = fmax(maxlon, z->pts[i].lon);
        minlat = fmin(minlat, z->pts[i].lat);
        maxlat = fmax(maxlat, z->pts[i].lat);
    }
    double clon = (minlon + maxlon) / 2, clat = (minlat + maxlat) / 2;
    int zone = (int)floor((clon + 180.0) / 6.0) + 1;
    if (zone < 1)
        zone = 1;
    if (zone > 60)
        zone = 60;
    z->epsg = (clat >= 0 ? 32600 : 32700) + zone;

    char crs[32];
    snprintf(crs, sizeof crs, "EPSG:%d", z->epsg);
    PJ *pj = proj_create_crs_to_crs(z->ctx->proj, "EPSG:4326", crs, NULL);
    if (!pj)
        return proj_fail(z, "cannot project to UTM");
    PJ *norm = proj_normalize_for_visualization(z->ctx->proj, pj);
    proj_destroy(pj);
    if (!norm)
        return proj_fail(z, "cannot project to UTM");
    z->xs = malloc(z->n * sizeof *z->xs);
    z->ys = malloc(z->n * sizeof *z->ys);
    if (!z->xs || !z->ys) {
        proj_destroy(norm);
        return sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < z->n; i++) {
        z->xs[i] = z->pts[i].lon;
        z->ys[i] = z->pts[i].lat;
    }
    proj_trans_generic(norm, PJ_FWD, z->xs, sizeof(double), z->n, z->ys,
                       sizeof(double), z->n, NULL, 0, 0, NULL, 0, 0);
    proj_destroy(norm);
    for (size_t i = 0; i < z->n; i++)
        if (!isfinite(z->xs[i]) || !isfinite(z->ys[i]) || fabs(z->xs[i]) > 1e8 ||
            fabs(z->ys[i]) > 1e8)
            return sinspace__error(z->ctx, SINSPACE_ERROR,
                                   "zones: cannot project %.6f %.6f to EPSG:%d",
                                   z->pts[i].lon, z->pts[i].lat, z->epsg);
    return SINSPACE_OK;
}

/* The quartic kernel (1 - d^2/h^2)^2 at the offsets of cell centres from
 * the centre cell, scaled so that it sums to 1 over the cells' area in km2:
 * a workplace of weight w then adds exactly w to sum(density * cell km2),
 * whatever the ratio of bandwidth to cell. */
static double *
make_stencil(double h, double cell, int *radius)
{
    int r = (int)ceil(h / cell);
    int side = 2 * r + 1;
    double *k = calloc((size_t)side * side, sizeof *k);
    if (!k)
        return NULL;
    double sum = 0, h2 = h * h;
    for (int j = -r; j <= r; j++)
        for (int i = -r; i <= r; i++) {
            double d2 = ((double)i * i + (double)j * j) * cell * cell;
            double v = d2 < h2 ? (1 - d2 / h2) * (1 - d2 / h2) : 0;
            k[(j + r) * side + (i + r)] = v;
            sum += v;
        }
    double cell_km2 = cell * cell / 1e6;
    for (int i = 0; i < side * side; i++)
        k[i] /= sum * cell_km2;
    *radius = r;
    return k;
}

static sinspace_status
density(zrun *z)
{
    double cell = z->o.cell_m, h = z->o.bandwidth_m;
    double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < z->n; i++) {
        minx = fmin(minx, z->xs[i]);
        maxx = fmax(maxx, z->xs[i]);
        miny = fmin(miny, z->ys[i]);
        maxy = fmax(maxy, z->ys[i]);
    }
    int r;
    double *k = make_stencil(h, cell, &r);
    if (!k)
        return sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
    /* Two empty cells around every kernel: every zone closes inside. */
    double margin = (r + 2) * cell;
    double cols = ceil((maxx - minx + 2 * margin) / cell);
    double rows = ceil((maxy - miny + 2 * margin) / cell);
    if (cols * rows > (double)SINSPACE_ZONES_MAX_CELLS) {
        free(k);
        return sinspace__error(z->ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: a grid of %.0f x %.0f cells of %g m is "
                               "more than %lld cells; use a bigger --cell (about "
                               "%.0f m) or an --area",
                               cols, rows, cell, SINSPACE_ZONES_MAX_CELLS,
                               ceil(cell * sqrt(cols * rows /
                                                (double)SINSPACE_ZONES_MAX_CELLS)));
    }
    z->cols = (long long)cols;
    z->rows = (long long)rows;
    z->x0 = minx - margin;
    z->ytop = maxy + margin;
    z->grid = calloc((size_t)(z->cols * z->rows), sizeof *z->grid);
    if (!z->grid) {
        free(k);
        return sinspace__error(z->ctx, SINSPACE_NO_MEMORY,
                               "zones: out of memory for %lld x %lld cells; use a "
                               "bigger --cell", z->cols, z->rows);
    }
    int side = 2 * r + 1;
    sinspace_status st = SINSPACE_OK;
    for (size_t i = 0; i < z->n; i++) {
        double w = z->pts[i].risk - 1.0;
        z->res.weight_sum += w;
        if (w > 0) {
            long long c = (long long)floor((z->xs[i] - z->x0) / cell);
            long long rr = (long long)floor((z->ytop - z->ys[i]) / cell);
            for (int dj = -r; dj <= r; dj++) {
                double *row = z->grid + (rr + dj) * z->cols + c;
                const double *kr = k + (dj + r) * side + r;
                for (int di = -r; di <= r; di++)
                    row[di] += w * kr[di];
            }
        }
        if ((i + 1) % PROGRESS_EVERY == 0 &&
            (st = sinspace__progress(z->ctx, "density", (double)(i + 1),
                                     (double)z->n)))
            break;
    }
    free(k);
    if (st)
        return st;
    double mass = 0, mx = 0;
    size_t ncells = (size_t)(z->cols * z->rows);
    for (size_t i = 0; i < ncells; i++) {
        mass += z->grid[i];
        if (z->grid[i] > mx)
            mx = z->grid[i];
    }
    z->res.mass = mass * cell * cell / 1e6;
    z->res.max_density = mx;
    z->res.columns = z->cols;
    z->res.rows = z->rows;
    return sinspace__progress(z->ctx, "density", (double)z->n, (double)z->n);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static sinspace_status
choose_threshold(zrun *z)
{
    if (!isnan(z->o.threshold)) {
        z->threshold = z->o.threshold;
        snprintf(z->threshold_kind, sizeof z->threshold_kind, "fixed");
        return SINSPACE_OK;
    }
    if (z->o.percentile > 0) {
        snprintf(z->threshold_kind, sizeof z->threshold_kind, "p%g", z->o.percentile);
        size_t ncells = (size_t)(z->cols * z->rows), nz = 0;
        for (size_t i = 0; i < ncells; i++)
            nz += z->grid[i] > 0;
        if (nz == 0) {
            z->threshold = INFINITY;
            return SINSPACE_OK;
        }
        double *v = malloc(nz * sizeof *v);
        if (!v)
            return sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
        nz = 0;
        for (size_t i = 0; i < ncells; i++)
            if (z->grid[i] > 0)
                v[nz++] = z->grid[i];
        if (nz > 1)
            qsort(v, nz, sizeof *v, cmp_double);
        /* Nearest rank. */
        size_t rank = (size_t)ceil(z->o.percentile / 100.0 * (double)nz);
        z->threshold = v[rank > 0 ? rank - 1 : 0];
        free(v);
        return SINSPACE_OK;
    }
    double hkm = z->o.bandwidth_m / 1000.0;
    z->threshold = SINSPACE_ZONES_DEFAULT_WORKPLACES * (SINSPACE_RISK_HIGH - 1.0) /
                   (M_PI * hkm * hkm);
    snprintf(z->threshold_kind, sizeof z->threshold_kind, "default");
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Zone polygons and statistics
 */

static GEOSGeometry *
ogr_to_geos(zrun *z, OGRGeometryH g)
{
    int size = OGR_G_WkbSize(g);
    unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf)
        return NULL;
    GEOSGeometry *out = NULL;
    if (OGR_G_ExportToWkb(g, wkbNDR, buf) == OGRERR_NONE)
        out = GEOSGeomFromWKB_buf_r(z->ctx->geos, buf, (size_t)size);
    free(buf);
    return out;
}

static OGRGeometryH
geos_to_ogr(zrun *z, const GEOSGeometry *g)
{
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(z->ctx->geos);
    if (!w)
        return NULL;
    size_t size = 0;
    unsigned char *buf = GEOSWKBWriter_write_r(z->ctx->geos, w, g, &size);
    GEOSWKBWriter_destroy_r(z->ctx->geos, w);
    if (!buf)
        return NULL;
    OGRGeometryH out = NULL;
    if (OGR_G_CreateFromWkb(buf, NULL, &out, (int)size) != OGRERR_NONE)
        out = NULL;
    GEOSFree_r(z->ctx->geos, buf);
    return out;
}

/* The polygons of g (after MakeValid or an intersection, which may return
 * lines and points too) as one multipolygon; NULL when there are none. */
static GEOSGeometry *
polygonal_part(zrun *z, const GEOSGeometry *g)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    int n = GEOSGetNumGeometries_r(gh, g);
    if (n <= 0)
        return NULL;
    GEOSGeometry **parts = malloc((size_t)n * 4 * sizeof *parts);
    size_t np = 0, cap = (size_t)n * 4;
    if (!parts)
        return NULL;
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(gh, g, i);
        int t = GEOSGeomTypeId_r(gh, p);
        if (t == GEOS_POLYGON) {
            if (!GEOSisEmpty_r(gh, p) && np < cap)
                parts[np++] = GEOSGeom_clone_r(gh, p);
        } else if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
            GEOSGeometry *sub = polygonal_part(z, p);
            if (sub) {
                int m = GEOSGetNumGeometries_r(gh, sub);
                if (np + (size_t)m > cap) {
                    cap = np + (size_t)m + 4;
                    GEOSGeometry **q = realloc(parts, cap * sizeof *q);
                    if (!q) {
                        GEOSGeom_destroy_r(gh, sub);
                        break;
                    }
                    parts = q;
                }
                for (int j = 0; j < m; j++)
                    parts[np++] = GEOSGeom_clone_r(gh, GEOSGetGeometryN_r(gh, sub, j));
                GEOSGeom_destroy_r(gh, sub);
            }
        }
    }
    GEOSGeometry *out = NULL;
    if (np > 0)
        out = GEOSGeom_createCollection_r(gh, GEOS_MULTIPOLYGON, parts,
                                          (unsigned)np);
    if (!out)
        for (size_t i = 0; i < np; i++)
            GEOSGeom_destroy_r(gh, parts[i]);
    free(parts);
    return out;
}

/* The highest cell of the grid whose centre lies in the UTM polygon. */
static double
peak_in(zrun *z, const GEOSGeometry *utm)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    double xmin, xmax, ymin, ymax, peak = z->threshold;
    if (!GEOSGeom_getXMin_r(gh, utm, &xmin) || !GEOSGeom_getXMax_r(gh, utm, &xmax) ||
        !GEOSGeom_getYMin_r(gh, utm, &ymin) || !GEOSGeom_getYMax_r(gh, utm, &ymax))
        return peak;
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(gh, utm);
    if (!prep)
        return peak;
    double cell = z->o.cell_m;
    long long c0 = (long long)floor((xmin - z->x0) / cell);
    long long c1 = (long long)ceil((xmax - z->x0) / cell);
    long long r0 = (long long)floor((z->ytop - ymax) / cell);
    long long r1 = (long long)ceil((z->ytop - ymin) / cell);
    c0 = c0 < 0 ? 0 : c0;
    r0 = r0 < 0 ? 0 : r0;
    c1 = c1 >= z->cols ? z->cols - 1 : c1;
    r1 = r1 >= z->rows ? z->rows - 1 : r1;
    for (long long r = r0; r <= r1; r++)
        for (long long c = c0; c <= c1; c++) {
            double v = z->grid[r * z->cols + c];
            if (v <= peak)
                continue;
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(
                gh, z->x0 + (c + 0.5) * cell, z->ytop - (r + 0.5) * cell);
            if (pt && GEOSPreparedIntersects_r(gh, prep, pt) == 1)
                peak = v;
            GEOSGeom_destroy_r(gh, pt);
        }
    GEOSPreparedGeom_destroy_r(gh, prep);
    return peak;
}

typedef struct sector_count {
    int index;
    long long n;
} sector_count;

static int
cmp_sector_count(const void *a, const void *b)
{
    const sector_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return x->index - y->index; /* by code: the catalogue is sorted */
}

static void
count_point(zrun *z, zzone *zz, const zpoint *p, long long *sector_n)
{
    zz->n++;
    zz->sum += p->risk;
    if (p->risk > zz->max)
        zz->max = p->risk;
    sector_n[p->sector >= 0 ? p->sector : z->n_sectors]++;
}

/* The leading sectors and the centroid, once the places are counted. */
static void
zone_finish(zrun *z, zzone *zz, const long long *sector_n)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    sector_count top[TOP_SECTORS];
    int ntop = 0;
    for (int s = 0; s < z->n_sectors; s++) {
        if (!sector_n[s])
            continue;
        sector_count c = {s, sector_n[s]};
        if (ntop < TOP_SECTORS)
            top[ntop++] = c;
        else if (cmp_sector_count(&c, &top[TOP_SECTORS - 1]) < 0)
            top[TOP_SECTORS - 1] = c;
        else
            continue;
        qsort(top, (size_t)ntop, sizeof *top, cmp_sector_count);
    }
    zz->sectors[0] = '\0';
    for (int t = 0; t < ntop; t++) {
        size_t len = strlen(zz->sectors);
        snprintf(zz->sectors + len, sizeof zz->sectors - len, "%s%s:%lld",
                 t ? "," : "", z->sectors[top[t].index], top[t].n);
    }
    GEOSGeometry *c = GEOSGetCentroid_r(gh, zz->geom);
    if (c) {
        GEOSGeomGetX_r(gh, c, &zz->clon);
        GEOSGeomGetY_r(gh, c, &zz->clat);
        GEOSGeom_destroy_r(gh, c);
    }
}

/* 1 if the place lies in the zone (EPSG:4326; the boundary counts as
 * inside, as in sinspace_query_workplaces), 0 if not, 2 on a GEOS error. */
static char
geos_inside(zrun *z, const GEOSPreparedGeometry *prep, const zpoint *p)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gh, p->lon, p->lat);
    char in = pt ? GEOSPreparedIntersects_r(gh, prep, pt) : 2;
    GEOSGeom_destroy_r(gh, pt);
    return in;
}

/* Counts the workplaces inside one zone by testing each candidate with
 * GEOS; used when zones were clipped to an area.  z->pts is sorted by lon. */
static sinspace_status
zone_stats(zrun *z, zzone *zz, long long *sector_n)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    double xmin, xmax, ymin, ymax;
    if (!GEOSGeom_getXMin_r(gh, zz->geom, &xmin) ||
        !GEOSGeom_getXMax_r(gh, zz->geom, &xmax) ||
        !GEOSGeom_getYMin_r(gh, zz->geom, &ymin) ||
        !GEOSGeom_getYMax_r(gh, zz->geom, &ymax))
        return sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                               z->ctx->geos_message);
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(gh, zz->geom);
    if (!prep)
        return sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                               z->ctx->geos_message);
    memset(sector_n, 0, (size_t)(z->n_sectors + 1) * sizeof *sector_n);
    zz->max = -INFINITY;
    /* The points are sorted by lon: the first at or east of xmin. */
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->pts[mid].lon < xmin)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < z->n && z->pts[i].lon <= xmax; i++) {
        const zpoint *p = &z->pts[i];
        if (p->lat < ymin || p->lat > ymax)
            continue;
        char in = geos_inside(z, prep, p);
        if (in == 2) {
            GEOSPreparedGeom_destroy_r(gh, prep);
            return sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                                   z->ctx->geos_message);
        }
        if (in)
            count_point(z, zz, p, sector_n);
    }
    GEOSPreparedGeom_destroy_r(gh, prep);
    zone_finish(z, zz, sector_n);
    return SINSPACE_OK;
}

/* Counts the workplaces of every unclipped zone in one pass.  A zone is the
 * union of the cells of its label, so a place more than EDGE_M from its
 * cell's edges is inside exactly when its cell has the zone's label; only
 * places nearer an edge (where the stored, reprojected polygon may differ
 * from the cell by far less than EDGE_M) are tested with GEOS against the
 * zones of the cells around them. */
#define EDGE_M 1.0

static sinspace_status
label_stats(zrun *z, const int32_t *labels, int32_t n_labels)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    sinspace_status st = SINSPACE_OK;
    size_t ns = (size_t)z->n_sectors + 1;
    int *zone_of = malloc(((size_t)n_labels + 1) * sizeof *zone_of);
    long long *sector_n = calloc(z->nz * ns + 1, sizeof *sector_n);
    const GEOSPreparedGeometry **prep = calloc(z->nz + 1, sizeof *prep);
    if (!zone_of || !sector_n || !prep) {
        st = sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int32_t l = 0; l <= n_labels; l++)
        zone_of[l] = -1;
    for (size_t k = 0; k < z->nz; k++) {
        zone_of[z->zones[k].label] = (int)k;
        z->zones[k].max = -INFINITY;
    }
    double cell = z->o.cell_m;
    for (size_t i = 0; i < z->n && !st; i++) {
        const zpoint *p = &z->pts[i];
        double fx = (z->xs[i] - z->x0) / cell, fy = (z->ytop - z->ys[i]) / cell;
        long long c = (long long)floor(fx), r = (long long)floor(fy);
        fx -= (double)c;
        fy -= (double)r;
        double edge = fmin(fmin(fx, 1 - fx), fmin(fy, 1 - fy)) * cell;
        if (edge > EDGE_M) {
            int k = zone_of[labels[r * z->cols + c]];
            if (k >= 0)
                count_point(z, &z->zones[k], p, sector_n + (size_t)k * ns);
            continue;
        }
        /* Near an edge: the distinct zones of the 3 x 3 cells around. */
        int seen[9], nseen = 0;
        for (int dr = -1; dr <= 1; dr++)
            for (int dc = -1; dc <= 1; dc++) {
                int k = zone_of[labels[(r + dr) * z->cols + c + dc]];
                int dup = k < 0;
                for (int j = 0; j < nseen && !dup; j++)
                    dup = seen[j] == k;
                if (!dup)
                    seen[nseen++] = k;
            }
        for (int j = 0; j < nseen; j++) {
            int k = seen[j];
            if (!prep[k] && !(prep[k] = GEOSPrepare_r(gh, z->zones[k].geom))) {
                st = sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                                     z->ctx->geos_message);
                break;
            }
            char in = geos_inside(z, prep[k], p);
            if (in == 2) {
                st = sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                                     z->ctx->geos_message);
                break;
            }
            /* Zones meet at most at a cell corner; a place right there
             * counts in each, as a query of either zone returns it. */
            if (in)
                count_point(z, &z->zones[k], p, sector_n + (size_t)k * ns);
        }
    }
    for (size_t k = 0; k < z->nz && !st; k++) {
        zone_finish(z, &z->zones[k], sector_n + k * ns);
        st = sinspace__progress(z->ctx, "zones", (double)(k + 1), (double)z->nz);
    }
done:
    for (size_t k = 0; prep && k < z->nz; k++)
        if (prep[k])
            GEOSPreparedGeom_destroy_r(gh, prep[k]);
    free(prep);
    free(sector_n);
    free(zone_of);
    return st;
}

/* One zone polygon (UTM, OGR) to a zone: made valid, clipped to the
 * area, its peak and size taken in UTM, then carried to EPSG:4326. */
static sinspace_status
add_zone(zrun *z, OGRGeometryH poly, const GEOSGeometry *area_utm,
         OGRCoordinateTransformationH to_wgs84, int32_t label, double peak)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    OGRGeometryH og = NULL;
    double area = 0;
    if (!area_utm) {
        /* A polygon of whole cells from GDALPolygonize: carried to EPSG:4326
         * as it is and checked there. */
        area = OGR_G_Area(poly);
        og = OGR_G_Clone(poly);
    } else {
        GEOSGeometry *g = ogr_to_geos(z, poly);
        if (g && GEOSisValid_r(gh, g) != 1) {
            GEOSGeometry *v = GEOSMakeValid_r(gh, g);
            GEOSGeom_destroy_r(gh, g);
            g = v;
        }
        if (g) {
            GEOSGeometry *v = GEOSIntersection_r(gh, g, area_utm);
            GEOSGeom_destroy_r(gh, g);
            g = v;
        }
        if (!g)
            return sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                                   z->ctx->geos_message);
        GEOSGeometry *utm = polygonal_part(z, g);
        GEOSGeom_destroy_r(gh, g);
        if (!utm)
            return SINSPACE_OK; /* nothing left inside the area */
        GEOSArea_r(gh, utm, &area);
        peak = peak_in(z, utm); /* the clipped part's own peak */
        og = geos_to_ogr(z, utm);
        GEOSGeom_destroy_r(gh, utm);
    }
    if (!og)
        return sinspace__error(z->ctx, SINSPACE_ERROR,
                               "zones: cannot convert a zone polygon");
    if (OGR_G_Transform(og, to_wgs84) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(og);
        return sinspace__gdal_error(z->ctx, SINSPACE_ERROR,
                                    "zones: cannot transform a zone to EPSG:4326");
    }
    GEOSGeometry *wgs = ogr_to_geos(z, og);
    OGR_G_DestroyGeometry(og);
    if (wgs && GEOSisValid_r(gh, wgs) != 1) {
        /* A hole touching the shell at a cell corner, or a ring pinched by
         * the reprojection. */
        GEOSGeometry *v = GEOSMakeValid_r(gh, wgs);
        GEOSGeom_destroy_r(gh, wgs);
        wgs = v ? polygonal_part(z, v) : NULL;
        GEOSGeom_destroy_r(gh, v);
    }
    if (!wgs)
        return sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                               z->ctx->geos_message);
    if (z->nz == z->zcap) {
        size_t cap = z->zcap ? z->zcap * 2 : 16;
        zzone *q = realloc(z->zones, cap * sizeof *q);
        if (!q) {
            GEOSGeom_destroy_r(gh, wgs);
            return sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        z->zones = q;
        z->zcap = cap;
    }
    zzone *zz = &z->zones[z->nz++];
    memset(zz, 0, sizeof *zz);
    zz->geom = wgs;
    zz->label = label;
    zz->peak = peak;
    zz->area_km2 = area / 1e6;
    return SINSPACE_OK;
}

static OGRSpatialReferenceH
srs_from_epsg(int epsg)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!s)
        return NULL;
    if (OSRImportFromEPSG(s, epsg) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

static int
cmp_lon(const void *a, const void *b)
{
    const zpoint *x = a, *y = b;
    return (x->lon > y->lon) - (x->lon < y->lon);
}

static int
cmp_zone(const void *a, const void *b)
{
    const zzone *x = a, *y = b;
    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return (x->clon > y->clon) - (x->clon < y->clon);
}

/* GDAL's progress to the context's; a stop request makes GDAL fail, and
 * zone_polygons() then reports the interruption rather than GDAL's message. */
static int CPL_STDCALL
polygon_progress(double complete, const char *msg, void *arg)
{
    zrun *z = arg;
    (void)msg;
    if (sinspace__progress(z->ctx, "polygons", complete, 1.0) == SINSPACE_OK)
        return TRUE;
    z->interrupted = 1;
    return FALSE;
}

/* Labels the 4-connected groups of cells at or above the threshold 1, 2,
 * ... (0 elsewhere; GDALPolygonize joins cells 4-connected too, so one
 * label is one polygon) and records each group's peak, peaks[label]. */
static sinspace_status
label_components(zrun *z, int32_t **labels_out, double **peaks_out,
                 int32_t *n_out)
{
    size_t ncells = (size_t)(z->cols * z->rows), cap = 1024, top = 0, pcap = 64;
    int32_t *labels = calloc(ncells, sizeof *labels);
    size_t *stack = malloc(cap * sizeof *stack);
    double *peaks = malloc(pcap * sizeof *peaks);
    int32_t n = 0;
    if (!labels || !stack || !peaks)
        goto nomem;
    const double *g = z->grid, thr = z->threshold;
    for (size_t start = 0; start < ncells; start++) {
        if (g[start] < thr || labels[start])
            continue;
        if (n == INT32_MAX - 1)
            goto nomem;
        n++;
        if ((size_t)n >= pcap) {
            double *p = realloc(peaks, (pcap *= 2) * sizeof *p);
            if (!p)
                goto nomem;
            peaks = p;
        }
        peaks[n] = g[start];
        labels[start] = n;
        stack[top++] = start;
        while (top) {
            size_t i = stack[--top];
            if (g[i] > peaks[n])
                peaks[n] = g[i];
            /* The border cells are below the threshold (the grid has an
             * empty margin), so neighbours never leave the grid. */
            size_t nb[4] = {i - 1, i + 1, i - (size_t)z->cols, i + (size_t)z->cols};
            for (int k = 0; k < 4; k++) {
                size_t j = nb[k];
                if (g[j] < thr || labels[j])
                    continue;
                labels[j] = n;
                if (top == cap) {
                    size_t *q = realloc(stack, (cap *= 2) * sizeof *q);
                    if (!q)
                        goto nomem;
                    stack = q;
                }
                stack[top++] = j;
            }
        }
    }
    free(stack);
    *labels_out = labels;
    *peaks_out = peaks;
    *n_out = n;
    return SINSPACE_OK;
nomem:
    free(labels);
    free(stack);
    free(peaks);
    return sinspace__error(z->ctx, SINSPACE_NO_MEMORY,
                           "zones: out of memory labelling the grid");
}

static sinspace_status
zone_polygons(zrun *z)
{
    sinspace_status st = SINSPACE_OK;
    GDALDatasetH ras = NULL, vec = NULL;
    OGRSpatialReferenceH utm = NULL, wgs = NULL;
    OGRCoordinateTransformationH to_wgs84 = NULL, to_utm = NULL;
    GEOSGeometry *area_utm = NULL;
    long long *sector_n = NULL;
    int32_t *labels = NULL, n_labels = 0;
    double *peaks = NULL;
    double t0 = cpu_seconds();
    char **opts = NULL;
    GEOSContextHandle_t gh = z->ctx->geos;

    if (!(utm = srs_from_epsg(z->epsg)) || !(wgs = srs_from_epsg(4326)) ||
        !(to_wgs84 = OCTNewCoordinateTransformation(utm, wgs)) ||
        !(to_utm = OCTNewCoordinateTransformation(wgs, utm))) {
        st = sinspace__gdal_error(z->ctx, SINSPACE_ERROR,
                                  "zones: cannot set up EPSG:4326 <-> UTM");
        goto done;
    }
    if (z->area) {
        OGRGeometryH ag = NULL;
        if (OGR_G_CreateFromWkb(z->area->wkb, NULL, &ag, (int)z->area->wkb_size) !=
                OGRERR_NONE ||
            OGR_G_Transform(ag, to_utm) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(ag);
            st = sinspace__gdal_error(z->ctx, SINSPACE_ERROR,
                                      "zones: cannot project the area's geometry");
            goto done;
        }
        area_utm = ogr_to_geos(z, ag);
        OGR_G_DestroyGeometry(ag);
        if (area_utm && GEOSisValid_r(gh, area_utm) != 1) {
            GEOSGeometry *v = GEOSMakeValid_r(gh, area_utm);
            GEOSGeom_destroy_r(gh, area_utm);
            area_utm = v;
        }
        if (!area_utm) {
            st = sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                                 z->ctx->geos_message);
            goto done;
        }
    }

    if ((st = label_components(z, &labels, &peaks, &n_labels)))
        goto done;

    /* The labels as a MEM raster over our own buffer (no copy), each
     * component polygonized with its label. */
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDriverH memv = GDALGetDriverByName("Memory");
    if (!mem || !memv) {
        st = sinspace__error(z->ctx, SINSPACE_UNSUPPORTED,
                             "zones: GDAL lacks the MEM or Memory driver");
        goto done;
    }
    ras = GDALCreate(mem, "", (int)z->cols, (int)z->rows, 0, GDT_Int32, NULL);
    if (!ras) {
        st = sinspace__gdal_error(z->ctx, SINSPACE_ERROR, "zones: MEM raster");
        goto done;
    }
    char ptr[64], line[64];
    snprintf(ptr, sizeof ptr, "DATAPOINTER=%p", (void *)labels);
    snprintf(line, sizeof line, "LINEOFFSET=%lld", z->cols * (long long)sizeof *labels);
    opts = CSLAddString(opts, ptr);
    opts = CSLAddString(opts, "PIXELOFFSET=4");
    opts = CSLAddString(opts, line);
    if (GDALAddBand(ras, GDT_Int32, opts) != CE_None) {
        st = sinspace__gdal_error(z->ctx, SINSPACE_ERROR, "zones: MEM band");
        goto done;
    }
    CSLDestroy(opts);
    opts = NULL;
    double gt[6] = {z->x0, z->o.cell_m, 0, z->ytop, 0, -z->o.cell_m};
    GDALSetGeoTransform(ras, gt);
    GDALSetSpatialRef(ras, utm);

    vec = GDALCreate(memv, "zones", 0, 0, 0, GDT_Unknown, NULL);
    OGRLayerH layer = vec ? GDALDatasetCreateLayer(vec, "zones", utm, wkbPolygon,
                                                   NULL) : NULL;
    if (!layer) {
        st = sinspace__gdal_error(z->ctx, SINSPACE_ERROR, "zones: OGR memory layer");
        goto done;
    }
    OGRFieldDefnH fd = OGR_Fld_Create("label", OFTInteger);
    OGR_L_CreateField(layer, fd, 1);
    OGR_Fld_Destroy(fd);
    /* Label 0 (below the threshold) is masked out by the band itself. */
    GDALRasterBandH band = GDALGetRasterBand(ras, 1);
    if (GDALPolygonize(band, band, layer, 0, NULL, polygon_progress, z) != CE_None) {
        if (z->interrupted)
            st = sinspace__error(z->ctx, SINSPACE_INTERRUPTED,
                                 "polygons: interrupted");
        else
            st = sinspace__gdal_error(z->ctx, SINSPACE_ERROR, "zones: polygonizing");
        goto done;
    }

    sinspace__log(z->ctx, SINSPACE_LOG_DEBUG, "zones: %d groups of cells polygonized: "
                  "%.2f s CPU", (int)n_labels, cpu_seconds() - t0);
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while (!st && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        int label = OGR_F_GetFieldAsInteger(f, 0);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && label >= 1 && label <= n_labels)
            st = add_zone(z, g, area_utm, to_wgs84, label, peaks[label]);
        OGR_F_Destroy(f);
    }
    if (st)
        goto done;

    sinspace__log(z->ctx, SINSPACE_LOG_DEBUG, "zones: polygons made valid, clipped "
                  "and reprojected: %.2f s CPU", cpu_seconds() - t0);
    if (!area_utm) {
        st = label_stats(z, labels, n_labels);
    } else {
        /* Clipped zones are no longer unions of cells: test with GEOS,
         * the points sorted by lon (their UTM coordinates are done with). */
        free(z->xs);
        free(z->ys);
        z->xs = z->ys = NULL;
        if (z->n > 1)
            qsort(z->pts, z->n, sizeof *z->pts, cmp_lon);
        sector_n = malloc((size_t)(z->n_sectors + 1) * sizeof *sector_n);
        if (!sector_n) {
            st = sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < z->nz && !st; i++) {
            st = zone_stats(z, &z->zones[i], sector_n);
            if (!st)
                st = sinspace__progress(z->ctx, "zones", (double)(i + 1),
                                        (double)z->nz);
        }
    }
    if (!st && z->nz > 1)
        qsort(z->zones, z->nz, sizeof *z->zones, cmp_zone);

done:
    free(sector_n);
    free(peaks);
    free(labels);
    CSLDestroy(opts);
    if (area_utm)
        GEOSGeom_destroy_r(gh, area_utm);
    if (vec)
        GDALClose(vec);
    if (ras)
        GDALClose(ras);
    if (to_wgs84)
        OCTDestroyCoordinateTransformation(to_wgs84);
    if (to_utm)
        OCTDestroyCoordinateTransformation(to_utm);
    if (utm)
        OSRDestroySpatialReference(utm);
    if (wgs)
        OSRDestroySpatialReference(wgs);
    return st;
}

/* -------------------------------------------------------------------------
 * Writing
 */

/* Deletes the zones of the previous run over the same area, writes the new
 * ones with ids never used before (an id a user noted keeps meaning the
 * zone it meant, or nothing), and the audit row, in one transaction. */
static sinspace_status
write_zones(zrun *z)
{
    GEOSContextHandle_t gh = z->ctx->geos;
    char now[32], scope[300];
    sinspace__now_iso(now);
    const char *code = z->area ? z->area->code : NULL;
    snprintf(scope, sizeof scope, "area=%s ", code ? code : "*");
    sinspace_status st = SINSPACE_OK;
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(gh);
    sinspace__zone_new *rows = calloc(z->nz + 1, sizeof *rows);
    unsigned char **wkbs = calloc(z->nz + 1, sizeof *wkbs);
    if (!w || !rows || !wkbs) {
        st = sinspace__error(z->ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < z->nz; i++) {
        const zzone *zz = &z->zones[i];
        sinspace__zone_new *r = &rows[i];
        size_t size;
        if (!(wkbs[i] = GEOSWKBWriter_write_r(gh, w, zz->geom, &size))) {
            st = sinspace__error(z->ctx, SINSPACE_ERROR, "zones: GEOS: %s",
                                 z->ctx->geos_message);
            goto done;
        }
        r->workplaces = zz->n;
        r->mean_risk = zz->n > 0 ? zz->sum / (double)zz->n : NAN;
        r->max_risk = zz->n > 0 ? zz->max : NAN;
        r->peak_density = zz->peak;
        r->sectors = zz->sectors[0] ? zz->sectors : NULL;
        r->wkb = wkbs[i];
        r->wkb_size = size;
    }
    sinspace_audit_entry e = {0};
    e.command = "zones";
    e.target = code ? code : "all";
    e.filters = z->params;
    e.rows = (long long)z->nz;
    sinspace__zone_run run = {
        .scope = scope,
        .params = z->params,
        .computed_at = now,
        .audit = &e,
    };
    if ((st = z->ops->replace(z->store, &run, rows, z->nz)))
        goto done;
    for (size_t i = 0; i < z->nz; i++)
        z->zones[i].id = rows[i].id;
done:
    for (size_t i = 0; wkbs && i < z->nz; i++)
        if (wkbs[i])
            GEOSFree_r(gh, wkbs[i]);
    free(wkbs);
    free(rows);
    if (w)
        GEOSWKBWriter_destroy_r(gh, w);
    return st;
}

static void
zrun_free(zrun *z)
{
    for (size_t i = 0; i < z->nz; i++)
        GEOSGeom_destroy_r(z->ctx->geos, z->zones[i].geom);
    free(z->zones);
    for (int i = 0; i < z->n_sectors; i++)
        free(z->sectors[i]);
    free(z->sectors);
    free(z->grid);
    free(z->xs);
    free(z->ys);
    free(z->pts);
    sinspace__area_free(z->area);
}

sinspace_status
sinspace_zones_compute(sinspace_store *store, const sinspace_zones_options *opts,
                       int (*fn)(void *, const sinspace_zone *), void *user_data,
                       sinspace_zones_result *result)
{
    if (!store)
        return sinspace__error(NULL, SINSPACE_INVALID_ARGUMENT, "zones: no store");
    zrun z;
    memset(&z, 0, sizeof z);
    z.store = store;
    z.ctx = sinspace_store_context(store);
    z.ops = sinspace__store_engine(store)->zones;
    if (opts)
        z.o = *opts;
    else
        sinspace_zones_options_init(&z.o);
    sinspace_status st = check_options(z.ctx, &z.o);
    if (st)
        return st;
    if (!sinspace__store_writable(store))
        return sinspace__error(z.ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: zones need the database open for writing",
                               sinspace_store_path(store));
    if (z.o.area && (st = sinspace__area_resolve(store, z.o.area, &z.area)))
        goto done;
    double t0 = cpu_seconds(), t1;
    if ((st = load_sectors(&z)) || (st = read_points(&z)))
        goto done;
    t1 = cpu_seconds();
    sinspace__log(z.ctx, SINSPACE_LOG_DEBUG, "zones: read %zu workplaces: %.2f s CPU",
                  z.n, t1 - t0);
    if (z.n > 0) {
        if ((st = project_points(&z)))
            goto done;
        t0 = cpu_seconds();
        sinspace__log(z.ctx, SINSPACE_LOG_DEBUG, "zones: projected to EPSG:%d: %.2f s CPU",
                      z.epsg, t0 - t1);
        if ((st = density(&z)) || (st = choose_threshold(&z)))
            goto done;
        t1 = cpu_seconds();
        sinspace__log(z.ctx, SINSPACE_LOG_DEBUG,
                      "zones: density on %lld x %lld cells, threshold %g: %.2f s CPU",
                      z.cols, z.rows, z.threshold, t1 - t0);
        if (z.res.max_density >= z.threshold && (st = zone_polygons(&z)))
            goto done;
        t0 = cpu_seconds();
        sinspace__log(z.ctx, SINSPACE_LOG_DEBUG, "zones: %zu zones: %.2f s CPU",
                      z.nz, t0 - t1);
    } else {
        snprintf(z.threshold_kind, sizeof z.threshold_kind, "none");
        z.threshold = NAN;
    }
    snprintf(z.params, sizeof z.params,
             "area=%s cell=%g bandwidth=%g threshold=%.6g (%s) epsg=%d kernel=quartic "
             "weight=risk-1",
             z.area ? z.area->code : "*", z.o.cell_m, z.o.bandwidth_m,
             z.threshold, z.threshold_kind, z.epsg);
    t1 = cpu_seconds();
    if ((st = write_zones(&z)))
        goto done;
    sinspace__log(z.ctx, SINSPACE_LOG_DEBUG, "zones: written: %.2f s CPU",
                  cpu_seconds() - t1);
    z.res.zones = (long long)z.nz;
    z.res.epsg = z.epsg;
    z.res.threshold = z.threshold;
    for (size_t i = 0; fn && i < z.nz; i++) {
        const zzone *zz = &z.zones[i];
        sinspace_zone out;
        out.id = zz->id;
        out.workplaces = zz->n;
        out.mean_risk = zz->n ? zz->sum / (double)zz->n : NAN;
        out.max_risk = zz->n ? zz->max : NAN;
        out.peak_density = zz->peak;
        out.sectors = zz->sectors;
        out.centroid_lon = zz->clon;
        out.centroid_lat = zz->clat;
        out.area_km2 = zz->area_km2;
        if (fn(user_data, &out))
            break;
    }
    if (result)
        *result = z.res;
done:
    zrun_free(&z);
    return st;
}

/* Hands the engine's zones on with "" for no sectors, as the API says. */
typedef struct list_state {
    int (*fn)(void *, const sinspace_zone *);
    void *user_data;
} list_state;

static int
on_zone(void *user, const sinspace_zone *zone)
{
    list_state *ls = user;
    sinspace_zone zz = *zone;
    if (!zz.sectors)
        zz.sectors = "";
    return ls->fn(ls->user_data, &zz);
}

sinspace_status
sinspace_zones_list(sinspace_store *store,
                    int (*fn)(void *, const sinspace_zone *), void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? sinspace_store_context(store) : NULL,
                               SINSPACE_INVALID_ARGUMENT, "zones_list: no store");
    list_state ls = {fn, user_data};
    return sinspace__store_engine(store)->zones->list(store, on_zone, &ls);
}

/* Numbers the areas in the engine's order; every row is counted, also
 * after fn asked to stop, for *rows. */
typedef struct rank_state {
    int (*fn)(void *, const sinspace_area_rank *);
    void *user_data;
    long long n;
    int stop;
} rank_state;

static int
on_rank(void *user, const sinspace_area_rank *area)
{
    rank_state *rs = user;
    rs->n++;
    if (rs->stop || !rs->fn)
        return 0;
    sinspace_area_rank a = *area;
    a.rank = rs->n;
    rs->stop = rs->fn(rs->user_data, &a) != 0;
    return 0;
}

sinspace_status
sinspace_zones_by_area(sinspace_store *store, sinspace_area_level level,
                       int (*fn)(void *, const sinspace_area_rank *),
                       void *user_data, long long *rows)
{
    if (!store)
        return sinspace__error(NULL, SINSPACE_INVALID_ARGUMENT, "zones: no store");
    const char *lname = sinspace_area_level_name(level);
    if (!lname)
        return sinspace__error(sinspace_store_context(store),
                               SINSPACE_INVALID_ARGUMENT,
                               "zones: unknown area level %d", (int)level);
    rank_state rs = {fn, user_data, 0, 0};
    sinspace_status st =
        sinspace__store_engine(store)->zones->ranks(store, lname, on_rank, &rs);
    if (st)
        return st;
    if (rows)
        *rows = rs.n;
    return SINSPACE_OK;
}
