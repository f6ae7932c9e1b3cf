/* region.c: regions of the earth that queries, fences and maps select by
 * (see sinspace/query.h and docs/query.md).
 *
 * Polygons come in through OGR (any vector source, GeoJSON with or without
 * a crs member) or OGR's WKT reader, are checked by GEOS in the CRS they were
 * given in (so a reason such as "Self-intersection[x y]" names the user's own
 * coordinates), optionally repaired with GEOSMakeValid, then reprojected to
 * EPSG:4326 through PROJ.  Buffers are computed in metres, in an azimuthal
 * equidistant projection centred on the region; circles use PROJ's geodesic
 * routines (GeographicLib).  No projection or predicate is computed here by
 * hand. */
#include "geo/geomcheck.h"
#include "geo/queryInt.h"
#include "geo/srs.h"
#include "store/areas.h"
#include "store/fences.h"
#include "store/query.h"
#include "core/parse.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <geodesic.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <nettle/sha2.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CIRCLE_VERTICES 128
/* Largest file read as WKT text. */
#define MAX_WKT_BYTES (64u << 20)
/* Largest GeoJSON file checked as written before OGR reads it. */
#define MAX_JSON_BYTES (512u << 20)

/* -------------------------------------------------------------------------
 * Geodesics
 */

static struct geod_geodesic wgs84_geod;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;

static void
wgs84_init(void)
{
    geod_init(&wgs84_geod, SINSPACE_WGS84_A, SINSPACE_WGS84_F);
}

/* The WGS 84 ellipsoid's constants, computed once for all threads. */
static const struct geod_geodesic *
wgs84(void)
{
    pthread_once(&wgs84_once, wgs84_init);
    return &wgs84_geod;
}

double
sinspace__geodesic_distance(double lon1, double lat1, double lon2, double lat2)
{
    double s12;
    geod_inverse(wgs84(), lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

void
sinspace__circle_bounds(const sinspace_region *r, double bbox[4])
{
    double lat2, lon2;
    double west = -180.0, east = 180.0, south, north;
    /* A pole within the radius: every longitude is reached. */
    int north_pole = sinspace__geodesic_distance(r->lon, r->lat, r->lon, 90.0) <= r->radius_m;
    int south_pole = sinspace__geodesic_distance(r->lon, r->lat, r->lon, -90.0) <= r->radius_m;
    if (north_pole)
        north = 90.0;
    else {
        geod_direct(wgs84(), r->lat, r->lon, 0.0, r->radius_m, &lat2, &lon2, NULL);
        north = lat2;
    }
    if (south_pole)
        south = -90.0;
    else {
        geod_direct(wgs84(), r->lat, r->lon, 180.0, r->radius_m, &lat2, &lon2, NULL);
        south = lat2;
    }
    if (!north_pole && !south_pole) {
        /* The widest longitude is near azimuth 90 but not at it away from the
         * equator: sample every degree and pad for the gaps between. */
        double dmax = 0.0;
        for (int az = 0; az < 360; az++) {
            geod_direct(wgs84(), r->lat, r->lon, az, r->radius_m, &lat2, &lon2, NULL);
            double d = fabs(remainder(lon2 - r->lon, 360.0));
            if (d > dmax)
                dmax = d;
        }
        dmax = dmax * 1.001 + 1e-7;
        if (r->lon - dmax >= -180.0 && r->lon + dmax <= 180.0) {
            west = r->lon - dmax;
            east = r->lon + dmax;
        }
        /* else it crosses the antimeridian: keep every longitude. */
    }
    double pad = 1e-7;
    bbox[0] = west;
    bbox[1] = fmax(-90.0, south - pad);
    bbox[2] = east;
    bbox[3] = fmin(90.0, north + pad);
}

/* -------------------------------------------------------------------------
 * Region objects
 */

static sinspace_status
region_new(sinspace_context *ctx, sinspace_region **out)
{
    sinspace_region *r = calloc(1, sizeof *r);
    if (!r)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    r->ctx = ctx;
    *out = r;
    return SINSPACE_OK;
}

static sinspace_status
set_description(sinspace_region *r, const char *fmt, ...) SINSPACE_PRINTF(2, 3);

static sinspace_status
set_description(sinspace_region *r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *d = sinspace__strdup(buf);
    if (!d)
        return sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
    free(r->description);
    r->description = d;
    return SINSPACE_OK;
}

void
sinspace_region_destroy(sinspace_region *r)
{
    if (!r)
        return;
    if (r->geom)
        GEOSGeom_destroy_r(r->ctx->geos, r->geom);
    free(r->description);
    free(r->wkb);
    free(r);
}

const char *
sinspace_region_describe(const sinspace_region *r)
{
    return r && r->description ? r->description : "";
}

/* Replaces the region's polygon; forgets derived WKB. */
static void
set_geom(sinspace_region *r, GEOSGeometry *g)
{
    if (r->geom)
        GEOSGeom_destroy_r(r->ctx->geos, r->geom);
    r->geom = g;
    free(r->wkb);
    r->wkb = NULL;
    r->wkb_size = 0;
}

/* -------------------------------------------------------------------------
 * Validity
 */

static int
is_polygonal(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g);
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

/* The polygonal part of g (Polygon or MultiPolygon), or NULL if there is
 * none.  g is not consumed. */
static GEOSGeometry *
polygonal_part(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    if (is_polygonal(h, g))
        return GEOSGeom_clone_r(h, g);
    int n = GEOSGetNumGeometries_r(h, g);
    if (n <= 0)
        return NULL;
    GEOSGeometry **polys = calloc((size_t)n, sizeof *polys);
    if (!polys)
        return NULL;
    unsigned k = 0;
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        if (GEOSGeomTypeId_r(h, p) == GEOS_POLYGON && !GEOSisEmpty_r(h, p))
            polys[k++] = GEOSGeom_clone_r(h, p);
        else if (GEOSGeomTypeId_r(h, p) == GEOS_MULTIPOLYGON ||
                 GEOSGeomTypeId_r(h, p) == GEOS_GEOMETRYCOLLECTION) {
            GEOSGeometry *sub = polygonal_part(h, p);
            if (sub) {
                /* Rare (nested collections): union keeps it simple. */
                polys[k++] = sub;
            }
        }
    }
    GEOSGeometry *res = NULL;
    if (k == 1)
        res = polys[0];
    else if (k > 1) {
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, polys, k);
        if (coll) {
            res = GEOSUnaryUnion_r(h, coll);
            GEOSGeom_destroy_r(h, coll);
        }
    }
    free(polys);
    return res;
}

/* GEOS's repair, keeping only polygons (geomcheck.h). */
GEOSGeometry *
sinspace__geom_make_valid(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(h);
    if (!params)
        return NULL;
    GEOSMakeValidParams_setMethod_r(h, params, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(h, params, 0);
    GEOSGeometry *fixed = GEOSMakeValidWithParams_r(h, g, params);
    GEOSMakeValidParams_destroy_r(h, params);
    if (!fixed)
        return NULL;
    GEOSGeometry *poly = polygonal_part(h, fixed);
    GEOSGeom_destroy_r(h, fixed);
    if (poly && GEOSisEmpty_r(h, poly)) {
        GEOSGeom_destroy_r(h, poly);
        poly = NULL;
    }
    return poly;
}

/* Checks g; on failure either repairs it (make_valid) or fails with GEOS's
 * reason.  *g may be replaced. */
static sinspace_status
check_valid(sinspace_context *ctx, GEOSGeometry **g, int repair,
            const char *what)
{
    GEOSContextHandle_t h = ctx->geos;
    char valid = GEOSisValid_r(h, *g);
    if (valid == 1)
        return SINSPACE_OK;
    if (valid != 0)
        return sinspace__error(ctx, SINSPACE_ERROR, "%s: GEOS cannot check "
                               "validity: %s", what, ctx->geos_message);
    char *why_geos = GEOSisValidReason_r(h, *g);
    char why[300];
    sinspace__geos_reason_format(why_geos, why, sizeof why);
    if (why_geos)
        GEOSFree_r(h, why_geos);
    if (!repair)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
            "%s: invalid polygon: %s (fix it, or repair it with --make-valid)",
            what, why);
    GEOSGeometry *fixed = sinspace__geom_make_valid(h, *g);
    if (!fixed || GEOSisValid_r(h, fixed) != 1) {
        if (fixed)
            GEOSGeom_destroy_r(h, fixed);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
            "%s: invalid polygon (%s) and make-valid left no valid area",
            what, why);
    }
    sinspace__log(ctx, SINSPACE_LOG_WARNING, "%s: repaired an invalid polygon (%s)",
                  what, why);
    GEOSGeom_destroy_r(h, *g);
    *g = fixed;
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Reprojection through PROJ
 */

static int
transform_fwd(double *x, double *y, void *user)
{
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    c = proj_trans((PJ *)user, PJ_FWD, c);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y) || c.xy.x == HUGE_VAL)
        return 0;
    *x = c.xy.x;
    *y = c.xy.y;
    return 1;
}

static int
transform_inv(double *x, double *y, void *user)
{
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    c = proj_trans((PJ *)user, PJ_INV, c);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y) || c.xy.x == HUGE_VAL)
        return 0;
    *x = c.xy.x;
    *y = c.xy.y;
    return 1;
}

/* A PROJ operation from src (anything PROJ reads) to dst, lon/lat order. */
static sinspace_status
make_operation(sinspace_context *ctx, const char *src, const char *dst,
               const char *what, PJ **out)
{
    PJ *op = proj_create_crs_to_crs(ctx->proj, src, dst, NULL);
    if (!op) {
        int e = proj_context_errno(ctx->proj);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: no transformation to %s: %s", what, dst,
                               e ? proj_context_errno_string(ctx->proj, e) : "unknown CRS");
    }
    PJ *norm = proj_normalize_for_visualization(ctx->proj, op);
    proj_destroy(op);
    if (!norm)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: cannot order axes as lon/lat", what);
    *out = norm;
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Loading polygons
 */

typedef struct loader {
    sinspace_context *ctx;
    const char *what;          /* file name or "text", for messages */
    int make_valid;
    PJ *to_wgs84;              /* NULL: lon/lat already */
    GEOSGeometry **parts;
    size_t n, cap;
} loader;

static void
loader_free(loader *ld)
{
    for (size_t i = 0; i < ld->n; i++)
        GEOSGeom_destroy_r(ld->ctx->geos, ld->parts[i]);
    free(ld->parts);
    if (ld->to_wgs84)
        proj_destroy(ld->to_wgs84);
}

static sinspace_status
loader_set_srs(loader *ld, OGRSpatialReferenceH srs)
{
    if (!srs || sinspace__srs_is_wgs84(srs))
        return SINSPACE_OK;
    char *text = sinspace__srs_text(srs);
    if (!text)
        return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                               "%s: cannot describe its CRS to PROJ", ld->what);
    sinspace_status st = make_operation(ld->ctx, text, "EPSG:4326", ld->what,
                                        &ld->to_wgs84);
    free(text);
    return st;
}

/* Unclosed rings: GEOS would refuse them with a generic message, so name
 * them here.  Returns 0 when all are closed, 1 when some are not and the
 * loader repairs (the caller closes them), -1 with the error set. */
static int
check_rings_closed(loader *ld, OGRGeometryH g, const char *where)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
            int rc = check_rings_closed(ld, OGR_G_GetGeometryRef(g, i), where);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (t != wkbPolygon)
        return 0;
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        OGRGeometryH ring = OGR_G_GetGeometryRef(g, i);
        int n = OGR_G_GetPointCount(ring);
        if (n == 0)
            continue;
        double x0 = OGR_G_GetX(ring, 0), y0 = OGR_G_GetY(ring, 0);
        double x1 = OGR_G_GetX(ring, n - 1), y1 = OGR_G_GetY(ring, n - 1);
        if (x0 != x1 || y0 != y1) {
            if (ld->make_valid)
                return 1;
            sinspace__geom_fault f;
            memset(&f, 0, sizeof f);
            f.ring = i + 1;
            snprintf(f.what, sizeof f.what, "not closed: starts at %.15g %.15g, "
                     "ends at %.15g %.15g (a ring ends where it starts)",
                     x0, y0, x1, y1);
            char msg[400];
            sinspace__geom_fault_format(&f, msg, sizeof msg);
            sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                "%s: invalid polygon: %s (fix it, or repair it with --make-valid)",
                where, msg);
            return -1;
        }
    }
    return 0;
}

static const char *
ogr_type_name(OGRwkbGeometryType t)
{
    const char *n = OGRGeometryTypeToName(t);
    return n ? n : "geometry";
}

/* Takes one OGR geometry (not consumed): checks, repairs, reprojects and
 * adds it to the loader's parts. */
static sinspace_status
loader_add(loader *ld, OGRGeometryH g, const char *where)
{
    sinspace_context *ctx = ld->ctx;
    GEOSContextHandle_t h = ctx->geos;
    if (!g || OGR_G_IsEmpty(g))
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: no geometry", where);
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbGeometryCollection)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: a %s is not an area; a region must be a "
                               "Polygon or MultiPolygon", where, ogr_type_name(t));
    if (t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
            OGRGeometryH sub = OGR_G_GetGeometryRef(g, i);
            OGRwkbGeometryType st2 = wkbFlatten(OGR_G_GetGeometryType(sub));
            if (st2 != wkbPolygon && st2 != wkbMultiPolygon)
                return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                       "%s: a %s inside a collection is not an area",
                                       where, ogr_type_name(st2));
        }
    }
    OGRGeometryH c = OGR_G_Clone(g);
    OGR_G_FlattenTo2D(c);
    int closed = check_rings_closed(ld, c, where);
    if (closed < 0) {
        OGR_G_DestroyGeometry(c);
        return ctx->status;
    }
    if (closed == 1) {
        OGR_G_CloseRings(c);
        sinspace__log(ctx, SINSPACE_LOG_WARNING, "%s: closed an unclosed ring", where);
    }
    sinspace_status st;
    int size = OGR_G_WkbSize(c);
    unsigned char *wkb = size > 0 ? malloc((size_t)size) : NULL;
    if (!wkb || OGR_G_ExportToWkb(c, wkbNDR, wkb) != OGRERR_NONE) {
        free(wkb);
        OGR_G_DestroyGeometry(c);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "%s: out of memory", where);
    }
    OGR_G_DestroyGeometry(c);
    ctx->geos_message[0] = '\0';
    GEOSGeometry *gg = GEOSGeomFromWKB_buf_r(h, wkb, (size_t)size);
    free(wkb);
    if (!gg)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: invalid polygon: %s",
                               where, ctx->geos_message[0] ? ctx->geos_message
                                                           : "GEOS cannot read it");
    if (GEOSGeomTypeId_r(h, gg) == GEOS_GEOMETRYCOLLECTION) {
        /* Polygons of a collection are checked as one area, as drawn. */
        GEOSGeometry *p = polygonal_part(h, gg);
        GEOSGeom_destroy_r(h, gg);
        if (!p)
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: no polygon", where);
        gg = p;
    }
    if ((st = check_valid(ctx, &gg, ld->make_valid, where))) {
        GEOSGeom_destroy_r(h, gg);
        return st;
    }
    if (ld->to_wgs84) {
        GEOSGeometry *t2 = GEOSGeom_transformXY_r(h, gg, transform_fwd, ld->to_wgs84);
        GEOSGeom_destroy_r(h, gg);
        if (!t2)
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                   "%s: cannot transform to lon/lat (are the "
                                   "coordinates in the CRS given?)", where);
        gg = t2;
        if (GEOSisValid_r(h, gg) != 1) {
            /* Valid where drawn, invalid after rounding in lon/lat: repair
             * quietly, the user's polygon was fine. */
            GEOSGeometry *fixed = sinspace__geom_make_valid(h, gg);
            GEOSGeom_destroy_r(h, gg);
            if (!fixed)
                return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                       "%s: polygon collapses in lon/lat", where);
            gg = fixed;
        }
    }
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(h, gg, &x0) || !GEOSGeom_getYMin_r(h, gg, &y0) ||
        !GEOSGeom_getXMax_r(h, gg, &x1) || !GEOSGeom_getYMax_r(h, gg, &y1) ||
        x0 < -180.0 || x1 > 180.0 || y0 < -90.0 || y1 > 90.0) {
        GEOSGeom_destroy_r(h, gg);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: coordinates outside the lon/lat range; if "
                               "they are projected, give their CRS (--srs)", where);
    }
    if (ld->n == ld->cap) {
        size_t cap = ld->cap ? 2 * ld->cap : 8;
        GEOSGeometry **p = realloc(ld->parts, cap * sizeof *p);
        if (!p) {
            GEOSGeom_destroy_r(h, gg);
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        ld->parts = p;
        ld->cap = cap;
    }
    ld->parts[ld->n++] = gg;
    return SINSPACE_OK;
}

/* The loader's parts as one valid (multi)polygon: parts of several features
 * are unioned, so overlapping features make one area. */
static sinspace_status
loader_finish(loader *ld, GEOSGeometry **out)
{
    GEOSContextHandle_t h = ld->ctx->geos;
    if (ld->n == 0)
        return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                               "%s: no polygon found", ld->what);
    if (ld->n == 1) {
        *out = ld->parts[0];
        ld->n = 0;
        return SINSPACE_OK;
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
                                                     ld->parts, (unsigned)ld->n);
    if (!coll)
        return sinspace__error(ld->ctx, SINSPACE_ERROR, "%s: %s", ld->what,
                               ld->ctx->geos_message);
    ld->n = 0; /* owned by coll now */
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    GEOSGeometry *p = u ? polygonal_part(h, u) : NULL;
    if (u)
        GEOSGeom_destroy_r(h, u);
    if (!p)
        return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                               "%s: cannot merge its polygons: %s", ld->what,
                               ld->ctx->geos_message);
    *out = p;
    return SINSPACE_OK;
}

/* Does text look like WKT of an area (optionally EWKT's SRID=n;)? */
static int
looks_like_wkt(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    static const char *const words[] = {"SRID=", "POLYGON", "MULTIPOLYGON",
                                        "GEOMETRYCOLLECTION", NULL};
    for (int k = 0; words[k]; k++) {
        size_t w = strlen(words[k]);
        if (n - i >= w && !strncasecmp(s + i, words[k], w))
            return 1;
    }
    return 0;
}

/* WKT (or EWKT) text, NUL-terminated. */
static sinspace_status
load_wkt(loader *ld, char *text, const char *srs_opt)
{
    char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    char srs_buf[32] = "";
    if (!strncasecmp(p, "SRID=", 5)) {
        char *end;
        long srid = strtol(p + 5, &end, 10);
        if (end == p + 5 || *end != ';' || srid <= 0)
            return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                                   "%s: bad SRID= prefix", ld->what);
        snprintf(srs_buf, sizeof srs_buf, "EPSG:%ld", srid);
        p = end + 1;
        if (srs_opt)
            sinspace__log(ld->ctx, SINSPACE_LOG_WARNING,
                          "%s declares SRID=%ld; --srs %s is ignored", ld->what,
                          srid, srs_opt);
        srs_opt = srs_buf;
    }
    OGRSpatialReferenceH srs = NULL;
    sinspace_status st = sinspace__srs_parse(ld->ctx, srs_opt, "--srs", &srs);
    if (st)
        return st;
    st = loader_set_srs(ld, srs);
    if (srs)
        OSRDestroySpatialReference(srs);
    if (st)
        return st;
    OGRGeometryH g = NULL;
    char *w = p;
    if (OGR_G_CreateFromWkt(&w, NULL, &g) != OGRERR_NONE || !g)
        return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                               "%s: not well-known text of a polygon", ld->what);
    while (isspace((unsigned char)*w))
        w++;
    if (*w) {
        OGR_G_DestroyGeometry(g);
        return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT,
                               "%s: unexpected text after the geometry", ld->what);
    }
    st = loader_add(ld, g, ld->what);
    OGR_G_DestroyGeometry(g);
    return st;
}

/* Any OGR source: every feature of its first layer. */
static sinspace_status
load_ogr(loader *ld, const char *path, const char *srs_opt)
{
    sinspace_context *ctx = ld->ctx;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    if (!ds) {
        const char *msg = CPLGetLastErrorMsg();
        if (msg && *msg)
            return sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, ld->what);
        /* GDAL says nothing when no driver knows the file. */
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: not a polygon format sinspace reads (GeoJSON, "
                               "WKT, or a vector source GDAL reads: GPKG, "
                               "Shapefile, KML, FlatGeobuf...)", ld->what);
    }
    sinspace_status st = SINSPACE_OK;
    OGRSpatialReferenceH opt = NULL;
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    if (!layer) {
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: no vector layer",
                             ld->what);
        goto done;
    }
    if ((st = sinspace__srs_parse(ctx, srs_opt, "--srs", &opt)))
        goto done;
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
    /* GeoJSON without a crs member is reported as WGS 84 by OGR (RFC 7946):
     * an explicit --srs then says what the coordinates really are. */
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    int geojson = drv && !strcmp(GDALGetDriverShortName(drv), "GeoJSON");
    OGRSpatialReferenceH use = lsrs;
    if (opt && (!lsrs || (geojson && sinspace__srs_is_wgs84(lsrs))))
        use = opt;
    else if (opt)
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s declares its own CRS; --srs %s is ignored", ld->what,
                      srs_opt);
    if (use) {
        OGRSpatialReferenceH c = OSRClone(use);
        st = loader_set_srs(ld, c);
        OSRDestroySpatialReference(c);
        if (st)
            goto done;
    }
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    long nf = 0;
    char where[1200];
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        nf++;
        snprintf(where, sizeof where, "%s: feature %ld", ld->what, nf);
        st = loader_add(ld, OGR_F_GetGeometryRef(f), where);
        OGR_F_Destroy(f);
        if (st)
            goto done;
    }
done:
    if (opt)
        OSRDestroySpatialReference(opt);
    GDALClose(ds);
    return st;
}

/* The first fault of a GeoJSON text, as the loader's error. */
typedef struct strict_ctx {
    loader *ld;
    sinspace_status st;
} strict_ctx;

static int
on_strict_fault(void *user, const sinspace__geom_fault *f)
{
    strict_ctx *sc = user;
    char msg[480], feat[48] = "";
    sinspace__geom_fault_format(f, msg, sizeof msg);
    if (f->feature > 0)
        snprintf(feat, sizeof feat, "feature %ld: ", f->feature);
    sc->st = sinspace__error(sc->ld->ctx, SINSPACE_INVALID_INPUT,
                             "%s: %s%s%s", sc->ld->what, feat, msg,
                             f->fixable ? " (fix it, or repair it with --make-valid)"
                                        : "");
    return 1;
}

/* GeoJSON read as written, before OGR normalises it: a malformed position
 * or ring is an error, never dropped (geomcheck.h).  Unclosed rings are
 * left to the loader under --make-valid (it closes them and says so). */
static sinspace_status
strict_geojson(loader *ld, const char *text, size_t size)
{
    char reason[300];
    strict_ctx sc = {ld, SINSPACE_OK};
    if (sinspace__geojson_check(text, size, !ld->make_valid, on_strict_fault, &sc,
                                reason, sizeof reason) < 0)
        return sinspace__error(ld->ctx, SINSPACE_INVALID_INPUT, "%s: %s", ld->what,
                               reason);
    return sc.st;
}

static sinspace_status
finish_region(loader *ld, const char *description, sinspace_region **out)
{
    GEOSGeometry *g = NULL;
    sinspace_status st = loader_finish(ld, &g);
    if (st)
        return st;
    sinspace_region *r = NULL;
    if ((st = region_new(ld->ctx, &r))) {
        GEOSGeom_destroy_r(ld->ctx->geos, g);
        return st;
    }
    r->geom = g;
    if ((st = set_description(r, "%s", description))) {
        sinspace_region_destroy(r);
        return st;
    }
    *out = r;
    return SINSPACE_OK;
}

sinspace_status
sinspace_region_from_file(sinspace_context *ctx, const char *path,
                          const char *srs, int make_valid,
                          sinspace_region **out)
{
    if (!ctx || !path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_file: path and out are required");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sinspace__error(ctx, errno == ENOENT ? SINSPACE_NOT_FOUND : SINSPACE_IO,
                               "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode) || S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode))
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: %s, not a polygon file", path,
                               S_ISDIR(sb.st_mode) ? "a directory" : "a device");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sinspace__error(ctx, errno == ENOENT ? SINSPACE_NOT_FOUND : SINSPACE_IO,
                               "%s: %s", path, strerror(errno));
    char head[64];
    size_t nh = fread(head, 1, sizeof head, f);
    loader ld = {ctx, path, make_valid, NULL, NULL, 0, 0};
    sinspace_status st;
    if (looks_like_wkt(head, nh)) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        rewind(f);
        if (size < 0 || (unsigned long)size > MAX_WKT_BYTES) {
            fclose(f);
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                   "%s: WKT larger than %u MB", path, MAX_WKT_BYTES >> 20);
        }
        char *text = malloc((size_t)size + 1);
        if (!text) {
            fclose(f);
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        size_t got = fread(text, 1, (size_t)size, f);
        text[got] = '\0';
        fclose(f);
        st = load_wkt(&ld, text, srs);
        free(text);
    } else {
        fclose(f);
        const char *dot = strrchr(path, '.');
        st = SINSPACE_OK;
        if (sinspace__looks_like_json(head, nh) ||
            (dot && (!strcasecmp(dot, ".geojson") || !strcasecmp(dot, ".json")))) {
            char why[200];
            size_t n = 0;
            char *text = sinspace__read_input(path, MAX_JSON_BYTES, &n, why, sizeof why);
            if (!text)
                st = sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: %s", path, why);
            else
                st = strict_geojson(&ld, text, n);
            free(text);
        }
        if (!st)
            st = load_ogr(&ld, path, srs);
    }
    if (!st) {
        char desc[1100];
        snprintf(desc, sizeof desc, "file %s", path);
        st = finish_region(&ld, desc, out);
    }
    loader_free(&ld);
    return st;
}

/* A polygon sent as text (drawn on the web page, or piped in) has no
 * name: the audit trail and titles know it by a digest of its geometry
 * (SHA-256 of its WKB in EPSG:4326, the first 16 hex digits) and its
 * number of vertices, the same for the same polygon however it was
 * written. */
static sinspace_status
describe_drawn(sinspace_region *r)
{
    const unsigned char *wkb;
    size_t size;
    sinspace_status st = sinspace_region_wkb(r, &wkb, &size);
    if (st)
        return st;
    uint8_t digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, size, wkb);
    sha256_digest(&h, sizeof digest, digest);
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    /* Vertices as a person counts them: a ring's closing point repeats its
     * first. */
    GEOSContextHandle_t g = r->ctx->geos;
    long n = 0;
    int parts = GEOSGetNumGeometries_r(g, r->geom);
    for (int i = 0; i < parts; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(g, r->geom, i);
        int holes = GEOSGetNumInteriorRings_r(g, p);
        for (int k = -1; k < holes; k++) {
            const GEOSGeometry *ring = k < 0 ? GEOSGetExteriorRing_r(g, p)
                                             : GEOSGetInteriorRingN_r(g, p, k);
            int pts = ring ? GEOSGeomGetNumPoints_r(g, ring) : 0;
            if (pts > 1)
                n += pts - 1;
        }
    }
    return set_description(r, "polygon sha256:%s (%ld vertices)", hex, n);
}

sinspace_status
sinspace_region_from_text(sinspace_context *ctx, const char *text, size_t size,
                          const char *srs, int make_valid, sinspace_region **out)
{
    if (!ctx || !text || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_text: text and out are required");
    loader ld = {ctx, "region", make_valid, NULL, NULL, 0, 0};
    sinspace_status st;
    if (looks_like_wkt(text, size)) {
        char *copy = malloc(size + 1);
        if (!copy)
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        memcpy(copy, text, size);
        copy[size] = '\0';
        st = load_wkt(&ld, copy, srs);
        free(copy);
    } else if ((st = strict_geojson(&ld, text, size))) {
        ; /* refused as written */
    } else {
        /* OGR reads GeoJSON from a memory file; the name is unique to this
         * context so concurrent contexts do not collide. */
        char name[64];
        snprintf(name, sizeof name, "/vsimem/sinspace_region_%p.geojson", (void *)ctx);
        VSILFILE *vf = VSIFileFromMemBuffer(name, (GByte *)text, (vsi_l_offset)size, FALSE);
        if (!vf)
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        VSIFCloseL(vf);
        st = load_ogr(&ld, name, srs);
        VSIUnlink(name);
    }
    if (!st)
        st = finish_region(&ld, "polygon", out);
    loader_free(&ld);
    if (!st && (st = describe_drawn(*out))) {
        sinspace_region_destroy(*out);
        *out = NULL;
    }
    return st;
}

/* A stored MULTIPOLYGON (areas, fences, zones) read as WKB. */
static sinspace_status
region_from_blob(sinspace_context *ctx, const unsigned char *blob, size_t size,
                 const char *what, sinspace_region **out)
{
    if (!blob || size == 0)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: no geometry", what);
    GEOSGeometry *g = GEOSGeomFromWKB_buf_r(ctx->geos, blob, size);
    if (!g)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: unreadable geometry: %s",
                               what, ctx->geos_message);
    if (!is_polygonal(ctx->geos, g)) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: not a polygon", what);
    }
    /* Stored areas may come from simplified sources: an invalid one is
     * repaired rather than refused, since the user cannot fix it here. */
    sinspace_status st = check_valid(ctx, &g, 1, what);
    if (st) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return st;
    }
    sinspace_region *r = NULL;
    if ((st = region_new(ctx, &r))) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return st;
    }
    r->geom = g;
    *out = r;
    return SINSPACE_OK;
}

/* A stored geometry as the store hands it out, made a region. */
typedef struct blob_region {
    sinspace_context *ctx;
    const char *what;
    sinspace_region *r;
    sinspace_status st;
} blob_region;

static int
on_blob(void *user, const unsigned char *wkb, size_t size)
{
    blob_region *br = user;
    br->st = region_from_blob(br->ctx, wkb, size, br->what, &br->r);
    return 1;
}

sinspace_status
sinspace_region_from_area(sinspace_store *store, const char *name_or_code,
                          sinspace_region **out)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !name_or_code || !*name_or_code || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_area: an area name or code is required");
    sinspace__area *a = NULL;
    sinspace_status st = sinspace__area_resolve(store, name_or_code, &a);
    if (st)
        return st;
    char what[300];
    snprintf(what, sizeof what, "area %s", a->code);
    sinspace_region *r = NULL;
    st = region_from_blob(ctx, a->wkb, a->wkb_size, what, &r);
    if (!st) {
        const char *nm = a->name_latin ? a->name_latin : a->name_local;
        st = nm ? set_description(r, "area %s (%s)", a->code, nm)
                : set_description(r, "area %s", a->code);
    }
    sinspace__area_free(a);
    if (st) {
        sinspace_region_destroy(r);
        return st;
    }
    *out = r;
    return SINSPACE_OK;
}

sinspace_status
sinspace_region_from_fence(sinspace_store *store, const char *name,
                           sinspace_region **out)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !name || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_fence: a fence name is required");
    char what[300];
    snprintf(what, sizeof what, "fence %s", name);
    blob_region br = {ctx, what, NULL, SINSPACE_OK};
    int found = 0;
    sinspace_status st = sinspace__store_engine(store)->fences->geometry(
        store, name, on_blob, &br, &found);
    if (!st && !found)
        st = sinspace__error(ctx, SINSPACE_NOT_FOUND,
                             "fence '%s': no such fence (see: sinspace fence list)",
                             name);
    if (!st)
        st = br.st;
    if (!st)
        st = set_description(br.r, "fence %s", name);
    if (st) {
        sinspace_region_destroy(br.r);
        return st;
    }
    *out = br.r;
    return SINSPACE_OK;
}

sinspace_status
sinspace_region_from_zone(sinspace_store *store, long long zone_id,
                          sinspace_region **out)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_zone: store and out are required");
    char what[64];
    snprintf(what, sizeof what, "zone %lld", zone_id);
    blob_region br = {ctx, what, NULL, SINSPACE_OK};
    int found = 0;
    sinspace_status st = sinspace__store_engine(store)->query->zone_geometry(
        store, zone_id, on_blob, &br, &found);
    if (!st && !found)
        st = sinspace__error(ctx, SINSPACE_NOT_FOUND, "zone %lld: no such zone",
                             zone_id);
    if (!st)
        st = br.st;
    if (!st)
        st = set_description(br.r, "zone %lld", zone_id);
    if (st) {
        sinspace_region_destroy(br.r);
        return st;
    }
    *out = br.r;
    return SINSPACE_OK;
}

sinspace_status
sinspace_region_from_bbox(sinspace_context *ctx, double west, double south,
                          double east, double north, sinspace_region **out)
{
    if (!ctx || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_bbox: out is required");
    if (!isfinite(west) || !isfinite(south) || !isfinite(east) || !isfinite(north) ||
        west < -180.0 || east > 180.0 || south < -90.0 || north > 90.0 ||
        !(west < east) || !(south < north))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "bbox %g,%g,%g,%g: need W<E within -180..180 and "
                               "S<N within -90..90 (lon/lat degrees)",
                               west, south, east, north);
    GEOSGeometry *g = GEOSGeom_createRectangle_r(ctx->geos, west, south, east, north);
    if (!g)
        return sinspace__error(ctx, SINSPACE_ERROR, "bbox: %s", ctx->geos_message);
    sinspace_region *r = NULL;
    sinspace_status st = region_new(ctx, &r);
    if (st) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return st;
    }
    r->geom = g;
    if ((st = set_description(r, "bbox %.6f,%.6f,%.6f,%.6f", west, south, east, north))) {
        sinspace_region_destroy(r);
        return st;
    }
    *out = r;
    return SINSPACE_OK;
}

static sinspace_status
describe_circle(sinspace_region *r)
{
    return set_description(r, "circle %.6f,%.6f radius %.0f m", r->lon, r->lat,
                           r->radius_m);
}

sinspace_status
sinspace_region_from_circle(sinspace_context *ctx, double lon, double lat,
                            double radius_m, sinspace_region **out)
{
    if (!ctx || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "region_from_circle: out is required");
    if (!isfinite(lon) || !isfinite(lat) || lon < -180.0 || lon > 180.0 ||
        lat < -90.0 || lat > 90.0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "centre %g,%g is not a lon/lat position", lon, lat);
    if (!isfinite(radius_m) || !(radius_m > 0.0) || radius_m > 2.0e7)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "radius %g m must be more than 0 and at most 20000 km",
                               radius_m);
    sinspace_region *r = NULL;
    sinspace_status st = region_new(ctx, &r);
    if (st)
        return st;
    r->is_circle = 1;
    r->lon = lon;
    r->lat = lat;
    r->radius_m = radius_m;
    if ((st = describe_circle(r))) {
        sinspace_region_destroy(r);
        return st;
    }
    *out = r;
    return SINSPACE_OK;
}

sinspace_status
sinspace_parse_distance(sinspace_context *ctx, const char *text, double *metres)
{
    char err[160];
    double m;
    if (!metres || sinspace__parse_distance(text, &m, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "%s",
                               metres ? err : "parse_distance: no output");
    *metres = m;
    return SINSPACE_OK;
}

/* The circle's polygon, for WKB and fences. */
static sinspace_status
circle_polygon(sinspace_region *r)
{
    GEOSContextHandle_t h = r->ctx->geos;
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, CIRCLE_VERTICES + 1, 2);
    if (!seq)
        return sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (int i = 0; i <= CIRCLE_VERTICES; i++) {
        double lat2, lon2;
        /* Clockwise from north; GEOS does not care, WKB users may. */
        double az = 360.0 - 360.0 * (i % CIRCLE_VERTICES) / CIRCLE_VERTICES;
        geod_direct(wgs84(), r->lat, r->lon, az, r->radius_m, &lat2, &lon2, NULL);
        GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, lon2, lat2);
    }
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, seq);
    GEOSGeometry *poly = ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
    if (!poly)
        return sinspace__error(r->ctx, SINSPACE_ERROR, "circle: %s",
                               r->ctx->geos_message);
    set_geom(r, poly);
    return SINSPACE_OK;
}

sinspace_status
sinspace_region_buffer(sinspace_region *r, double metres)
{
    if (!r)
        return SINSPACE_INVALID_ARGUMENT;
    sinspace_context *ctx = r->ctx;
    if (!isfinite(metres) || metres < 0.0 || metres > 2.0e6)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "buffer %g m must be 0 to 2000 km", metres);
    if (metres == 0.0)
        return SINSPACE_OK;
    char base[900];
    snprintf(base, sizeof base, "%s", sinspace_region_describe(r));
    if (r->is_circle) {
        /* A geodesic circle grown by d is the circle of radius r + d. */
        r->radius_m += metres;
        if (r->geom)
            set_geom(r, NULL);
        return set_description(r, "%s buffer %.0f m", base, metres);
    }
    GEOSContextHandle_t h = ctx->geos;
    double x0, y0, x1, y1;
    GEOSGeom_getXMin_r(h, r->geom, &x0);
    GEOSGeom_getYMin_r(h, r->geom, &y0);
    GEOSGeom_getXMax_r(h, r->geom, &x1);
    GEOSGeom_getYMax_r(h, r->geom, &y1);
    char crs[200];
    snprintf(crs, sizeof crs,
             "+proj=aeqd +lat_0=%.9f +lon_0=%.9f +datum=WGS84 +units=m +no_defs +type=crs",
             (y0 + y1) / 2.0, (x0 + x1) / 2.0);
    PJ *op = NULL;
    sinspace_status st = make_operation(ctx, "EPSG:4326", crs, "buffer", &op);
    if (st)
        return st;
    /* Straight edges in lon/lat bend in the projection: densify first so
     * the buffer follows the region as drawn. */
    GEOSGeometry *dense = GEOSDensify_r(h, r->geom, 0.01);
    GEOSGeometry *proj = dense ? GEOSGeom_transformXY_r(h, dense, transform_fwd, op) : NULL;
    GEOSGeometry *buf = proj ? GEOSBuffer_r(h, proj, metres, 16) : NULL;
    GEOSGeometry *dense2 = buf ? GEOSDensify_r(h, buf, 1000.0) : NULL;
    GEOSGeometry *back = dense2 ? GEOSGeom_transformXY_r(h, dense2, transform_inv, op) : NULL;
    if (dense)
        GEOSGeom_destroy_r(h, dense);
    if (proj)
        GEOSGeom_destroy_r(h, proj);
    if (buf)
        GEOSGeom_destroy_r(h, buf);
    if (dense2)
        GEOSGeom_destroy_r(h, dense2);
    proj_destroy(op);
    if (!back)
        return sinspace__error(ctx, SINSPACE_ERROR, "buffer: %s",
                               ctx->geos_message[0] ? ctx->geos_message
                                                    : "projection failed");
    if (GEOSisValid_r(h, back) != 1) {
        GEOSGeometry *fixed = sinspace__geom_make_valid(h, back);
        GEOSGeom_destroy_r(h, back);
        if (!fixed)
            return sinspace__error(ctx, SINSPACE_ERROR, "buffer: result is not a polygon");
        back = fixed;
    }
    set_geom(r, back);
    return set_description(r, "%s buffer %.0f m", base, metres);
}

sinspace_status
sinspace_region_bounds(const sinspace_region *r, double bbox[4])
{
    if (!r || !bbox)
        return SINSPACE_INVALID_ARGUMENT;
    if (r->is_circle) {
        sinspace__circle_bounds(r, bbox);
        return SINSPACE_OK;
    }
    GEOSContextHandle_t h = r->ctx->geos;
    if (!GEOSGeom_getXMin_r(h, r->geom, &bbox[0]) ||
        !GEOSGeom_getYMin_r(h, r->geom, &bbox[1]) ||
        !GEOSGeom_getXMax_r(h, r->geom, &bbox[2]) ||
        !GEOSGeom_getYMax_r(h, r->geom, &bbox[3]))
        return sinspace__error(r->ctx, SINSPACE_ERROR, "region bounds: %s",
                               r->ctx->geos_message);
    return SINSPACE_OK;
}

sinspace_status
sinspace_region_wkb(sinspace_region *r, const unsigned char **wkb, size_t *size)
{
    if (!r || !wkb || !size)
        return sinspace__error(r ? r->ctx : NULL, SINSPACE_INVALID_ARGUMENT,
                               "region_wkb: region, wkb and size are required");
    sinspace_status st;
    if (r->is_circle && !r->geom && (st = circle_polygon(r)))
        return st;
    if (!r->wkb) {
        GEOSContextHandle_t h = r->ctx->geos;
        GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
        if (!w)
            return sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
        GEOSWKBWriter_setByteOrder_r(h, w, GEOS_WKB_NDR);
        size_t n = 0;
        unsigned char *b = GEOSWKBWriter_write_r(h, w, r->geom, &n);
        GEOSWKBWriter_destroy_r(h, w);
        if (!b)
            return sinspace__error(r->ctx, SINSPACE_ERROR, "region WKB: %s",
                                   r->ctx->geos_message);
        r->wkb = malloc(n);
        if (!r->wkb) {
            GEOSFree_r(h, b);
            return sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        memcpy(r->wkb, b, n);
        r->wkb_size = n;
        GEOSFree_r(h, b);
    }
    *wkb = r->wkb;
    *size = r->wkb_size;
    return SINSPACE_OK;
}
