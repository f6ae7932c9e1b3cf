/* import.c: loading workplaces, observations and areas from CSV or any OGR
 * vector source, in one transaction: the entry point and the base every
 * source reader shares (import_int.h).
 *
 * Every row goes through one validator whatever its source, so a CSV line
 * and a GeoJSON feature are held to the same rules.  Bad rows are all
 * reported (up to max_errors_logged), then the load is rolled back: the
 * database file is left byte for byte as it was.  With a rejects file the
 * good rows are loaded and each bad one is written there, privately and
 * atomically (core/outfile.h). */
#include "io/import_int.h"
#include "core/csv.h"
#include "core/parse.h"
#include "geo/geomcheck.h"
#include "geo/srs.h"

#include <cpl_conv.h>
#include <gdal.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const column_names[COL_I01] = {
    "id", "name", "sector", "lon", "lat", "wkt", "name_local", "address",
    "area", "source", "source_note", "status", "first_seen", "observed",
    "risk", "observer"};

static const char *
column_name(int col, char buf[8])
{
    if (col < COL_I01)
        return column_names[col];
    snprintf(buf, 8, "i%02d", col - COL_I01 + 1);
    return buf;
}

/* Accepted spellings of lon/lat headers. */
int
sinspace__import_column_lookup(const char *name)
{
    char buf[8];
    for (int c = 0; c < N_COLUMNS; c++)
        if (!strcasecmp(name, column_name(c, buf)))
            return c;
    if (!strcasecmp(name, "longitude") || !strcasecmp(name, "lng") ||
        !strcasecmp(name, "x"))
        return COL_LON;
    if (!strcasecmp(name, "latitude") || !strcasecmp(name, "y"))
        return COL_LAT;
    return -1;
}

/* A validated workplace row, ready to write. */
typedef struct parsed {
    double lon, lat;
    int has_point;
    unsigned char *footprint_wkb;
    size_t footprint_size;
    char first_seen[11], observed[11];
    int has_observation;
    double risk;
    int scores[SINSPACE_INDICATORS];
    int scored;
} parsed;

static void
parsed_free(parsed *p)
{
    free(p->footprint_wkb);
    p->footprint_wkb = NULL;
}

/* -------------------------------------------------------------------------
 * Validation
 */

#define REJECT(...)                                                            \
    do {                                                                       \
        snprintf(reason, reason_size, __VA_ARGS__);                            \
        return -1;                                                             \
    } while (0)

static int
check_text_field(const sinspace__import_row *r, int col, int allow_newlines,
                 size_t max, char *reason, size_t reason_size)
{
    char err[128], buf[8];
    if (r->v[col] && sinspace__check_text(r->v[col], allow_newlines, max, err,
                                          sizeof err) < 0)
        REJECT("%s: %s", column_name(col, buf), err);
    return 0;
}

int
sinspace__import_check_lonlat(double lon, double lat, char *reason,
                              size_t reason_size)
{
    if (!isfinite(lon) || !isfinite(lat))
        REJECT("coordinates are not finite numbers");
    if (lat < -90.0 || lat > 90.0) {
        if (lon >= -90.0 && lon <= 90.0 && lat >= -180.0 && lat <= 180.0)
            REJECT("latitude %.6f is out of range: lon and lat look swapped "
                   "(lon comes first)", lat);
        REJECT("latitude %.6f is out of range -90..90", lat);
    }
    if (lon < -180.0 || lon > 180.0)
        REJECT("longitude %.6f is out of range -180..180", lon);
    return 0;
}

unsigned char *
sinspace__import_wkb(OGRGeometryH g, size_t *size)
{
    int n = OGR_G_WkbSize(g);
    unsigned char *wkb = n > 0 ? malloc((size_t)n) : NULL;
    if (!wkb || OGR_G_ExportToWkb(g, wkbNDR, wkb) != OGRERR_NONE) {
        free(wkb);
        return NULL;
    }
    *size = (size_t)n;
    return wkb;
}

/* g as a GEOS geometry (NULL when it cannot be converted). */
static GEOSGeometry *
to_geos(sinspace__importer *im, OGRGeometryH g)
{
    size_t n;
    unsigned char *wkb = sinspace__import_wkb(g, &n);
    if (!wkb)
        return NULL;
    GEOSGeometry *gg = GEOSGeomFromWKB_buf_r(im->ctx->geos, wkb, n);
    free(wkb);
    return gg;
}

/* GEOS's repair, as query's --make-valid does it (geo/region.c): the
 * structure method, polygons kept, collapsed parts dropped.  NULL when no
 * area is left. */
static GEOSGeometry *
repair(GEOSContextHandle_t h, const GEOSGeometry *g)
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
    int t = GEOSGeomTypeId_r(h, fixed);
    if (t == GEOS_GEOMETRYCOLLECTION) {
        /* Keep the polygons only. */
        int n = GEOSGetNumGeometries_r(h, fixed);
        GEOSGeometry **polys = calloc((size_t)(n > 0 ? n : 1), sizeof *polys);
        unsigned k = 0;
        for (int i = 0; polys && i < n; i++) {
            const GEOSGeometry *p = GEOSGetGeometryN_r(h, fixed, i);
            int pt = GEOSGeomTypeId_r(h, p);
            if ((pt == GEOS_POLYGON || pt == GEOS_MULTIPOLYGON) && !GEOSisEmpty_r(h, p))
                polys[k++] = GEOSGeom_clone_r(h, p);
        }
        GEOSGeometry *coll = k ? GEOSGeom_createCollection_r(
                                     h, GEOS_GEOMETRYCOLLECTION, polys, k) : NULL;
        free(polys);
        GEOSGeom_destroy_r(h, fixed);
        fixed = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
    } else if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) {
        GEOSGeom_destroy_r(h, fixed);
        return NULL;
    }
    if (fixed && (GEOSisEmpty_r(h, fixed) || GEOSisValid_r(h, fixed) != 1)) {
        GEOSGeom_destroy_r(h, fixed);
        fixed = NULL;
    }
    return fixed;
}

int
sinspace__import_check_polygon(sinspace__importer *im, OGRGeometryH *g,
                               const char *where, char *reason,
                               size_t reason_size)
{
    OGREnvelope env;
    OGR_G_GetEnvelope(*g, &env);
    if (sinspace__import_check_lonlat(env.MinX, env.MinY, reason, reason_size) < 0 ||
        sinspace__import_check_lonlat(env.MaxX, env.MaxY, reason, reason_size) < 0)
        return -1;
    GEOSContextHandle_t h = im->ctx->geos;
    GEOSGeometry *gg = to_geos(im, *g);
    if (!gg)
        REJECT("invalid polygon: GEOS cannot read it");
    if (GEOSisValid_r(h, gg) == 1) {
        GEOSGeom_destroy_r(h, gg);
        return 0;
    }
    char *why_geos = GEOSisValidReason_r(h, gg);
    char why[300];
    sinspace__geos_reason_format(why_geos, why, sizeof why);
    if (why_geos)
        GEOSFree_r(h, why_geos);
    if (!im->opts->make_valid) {
        GEOSGeom_destroy_r(h, gg);
        REJECT("invalid polygon: %s (fix it, or repair it with --make-valid)", why);
    }
    GEOSGeometry *fixed = repair(h, gg);
    double before = 0, after = 0;
    GEOSArea_r(h, gg, &before);
    GEOSGeom_destroy_r(h, gg);
    if (!fixed)
        REJECT("invalid polygon (%s) and --make-valid left no valid area", why);
    GEOSArea_r(h, fixed, &after);
    int parts = GEOSGetNumGeometries_r(h, fixed);
    size_t n = 0;
    unsigned char *wkb = GEOSGeomToWKB_buf_r(h, fixed, &n);
    GEOSGeom_destroy_r(h, fixed);
    OGRGeometryH og = NULL;
    if (!wkb || OGR_G_CreateFromWkbEx(wkb, NULL, &og, n) != OGRERR_NONE || !og) {
        if (wkb)
            GEOSFree_r(h, wkb);
        REJECT("invalid polygon (%s) and its repair cannot be read back", why);
    }
    GEOSFree_r(h, wkb);
    OGRGeometryH multi = OGR_G_ForceToMultiPolygon(og);
    OGR_G_DestroyGeometry(*g);
    *g = multi;
    /* What changed: the parts, and the area (square degrees, as drawn: a
     * self-crossing ring's parts cancel out in the drawn area). */
    sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                  "%s: %s: repaired an invalid polygon (%s): now %d polygon%s, "
                  "area %.6g square degrees (as drawn: %.6g)", im->path, where,
                  why, parts, parts == 1 ? "" : "s", after, before);
    return 0;
}

const char *
sinspace__import_strict_fault(const sinspace__importer *im, long long nfeat)
{
    if (!im->strict_faults || nfeat < 1 || nfeat > im->n_strict)
        return NULL;
    return im->strict_faults[nfeat];
}

/* Takes a geometry in EPSG:4326 and sets the point (and footprint). */
static int
use_geometry(sinspace__importer *im, OGRGeometryH g, parsed *p, char *reason,
             size_t reason_size)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (OGR_G_IsEmpty(g))
        REJECT("empty geometry");
    if (t == wkbPoint) {
        p->lon = OGR_G_GetX(g, 0);
        p->lat = OGR_G_GetY(g, 0);
        p->has_point = 1;
        return sinspace__import_check_lonlat(p->lon, p->lat, reason, reason_size);
    }
    if (t != wkbPolygon && t != wkbMultiPolygon)
        REJECT("geometry is a %s; a workplace is a POINT, or a POLYGON or "
               "MULTIPOLYGON footprint", OGRGeometryTypeToName(t));
    OGRGeometryH checked = OGR_G_Clone(g);
    if (im->opts->make_valid)
        OGR_G_CloseRings(checked); /* as query's --make-valid does */
    if (sinspace__import_check_polygon(im, &checked, "footprint", reason,
                                       reason_size) < 0) {
        OGR_G_DestroyGeometry(checked);
        return -1;
    }
    OGRGeometryH multi = OGR_G_ForceToMultiPolygon(checked);
    OGR_G_FlattenTo2D(multi);
    OGRGeometryH pos = OGR_G_PointOnSurface(multi);
    if (!pos) {
        OGR_G_DestroyGeometry(multi);
        REJECT("cannot find a point inside the footprint");
    }
    p->lon = OGR_G_GetX(pos, 0);
    p->lat = OGR_G_GetY(pos, 0);
    p->has_point = 1;
    OGR_G_DestroyGeometry(pos);
    p->footprint_wkb = sinspace__import_wkb(multi, &p->footprint_size);
    OGR_G_DestroyGeometry(multi);
    if (!p->footprint_wkb)
        REJECT("out of memory");
    return 0;
}

static int
transform_xy(sinspace__importer *im, double *x, double *y, char *reason,
             size_t reason_size)
{
    if (!im->to_wgs84)
        return 0;
    int ok = 0;
    if (!OCTTransformEx(im->to_wgs84, 1, x, y, NULL, &ok) || !ok)
        REJECT("coordinates %g, %g cannot be transformed from %s to lon/lat",
               *x, *y, im->opts->srs);
    return 0;
}

static int
validate_scores(const sinspace__import_row *r, parsed *p, char *reason,
                size_t reason_size)
{
    char buf[8];
    p->scored = 0;
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        const char *s = r->v[COL_I01 + i];
        p->scores[i] = 0;
        if (!s)
            continue;
        if (!(s[0] >= '1' && s[0] <= '3' && s[1] == '\0'))
            REJECT("%s: indicator score '%.20s' must be 1, 2 or 3",
                   column_name(COL_I01 + i, buf), s);
        p->scores[i] = s[0] - '0';
        p->scored++;
    }
    return 0;
}

/* The observation part of a row: observed, risk, indicator scores. */
static int
validate_observation(sinspace__importer *im, const sinspace__import_row *r,
                     parsed *p, char *reason, size_t reason_size)
{
    char err[160];
    if (validate_scores(r, p, reason, reason_size) < 0)
        return -1;
    p->risk = NAN;
    if (r->v[COL_RISK]) {
        if (sinspace__parse_double(r->v[COL_RISK], &p->risk, err, sizeof err) < 0)
            REJECT("risk: %s", err);
        if (p->risk < 1.0 || p->risk > 3.0)
            REJECT("risk %g is outside 1.0..3.0", p->risk);
    }
    if (p->scored)
        p->risk = sinspace_risk_score(p->scores, im->weights);
    p->has_observation = p->scored > 0 || !isnan(p->risk);
    if (r->v[COL_OBSERVED]) {
        if (sinspace__parse_date(r->v[COL_OBSERVED], p->observed, err, sizeof err) < 0)
            REJECT("observed: %s", err);
        if (strcmp(p->observed, im->today) > 0)
            REJECT("observed: %s is in the future", p->observed);
        if (!p->has_observation)
            REJECT("observed is given but neither risk nor any indicator score");
    } else {
        /* An undated score is taken as observed on the day of import. */
        memcpy(p->observed, im->today, 11);
    }
    if (r->v[COL_SOURCE] && strcmp(r->v[COL_SOURCE], "primary") &&
        strcmp(r->v[COL_SOURCE], "secondary"))
        REJECT("source '%.40s' must be primary or secondary", r->v[COL_SOURCE]);
    if (check_text_field(r, COL_SOURCE_NOTE, 1, 4000, reason, reason_size) < 0 ||
        check_text_field(r, COL_OBSERVER, 0, 200, reason, reason_size) < 0)
        return -1;
    return 0;
}

static int
validate_workplace(sinspace__importer *im, const sinspace__import_row *r,
                   parsed *p, char *reason, size_t reason_size)
{
    char err[160];
    memset(p, 0, sizeof *p);
    if (!r->v[COL_ID])
        REJECT("id is missing");
    if (!r->v[COL_NAME])
        REJECT("name is missing");
    if (!r->v[COL_SECTOR])
        REJECT("sector is missing");
    if (check_text_field(r, COL_ID, 0, 64, reason, reason_size) < 0 ||
        check_text_field(r, COL_NAME, 0, 300, reason, reason_size) < 0 ||
        check_text_field(r, COL_NAME_LOCAL, 0, 300, reason, reason_size) < 0 ||
        check_text_field(r, COL_ADDRESS, 1, 1000, reason, reason_size) < 0 ||
        check_text_field(r, COL_AREA, 0, 200, reason, reason_size) < 0)
        return -1;
    if (!im->ops->sector_known(im->load, r->v[COL_SECTOR]))
        REJECT("unknown sector '%.60s' (see: sinspace sectors)", r->v[COL_SECTOR]);
    if (r->v[COL_STATUS] && strcmp(r->v[COL_STATUS], "active") &&
        strcmp(r->v[COL_STATUS], "closed") && strcmp(r->v[COL_STATUS], "unknown"))
        REJECT("status '%.40s' must be active, closed or unknown",
               r->v[COL_STATUS]);
    if (r->v[COL_FIRST_SEEN]) {
        if (sinspace__parse_date(r->v[COL_FIRST_SEEN], p->first_seen, err, sizeof err) < 0)
            REJECT("first_seen: %s", err);
        if (strcmp(p->first_seen, im->today) > 0)
            REJECT("first_seen: %s is in the future", p->first_seen);
    }
    if (r->v[COL_AREA] && im->have_areas &&
        !im->ops->area_known(im->load, r->v[COL_AREA]))
        REJECT("unknown area code '%.60s'", r->v[COL_AREA]);

    /* Geometry: an OGR feature's, or lon/lat, or wkt. */
    if (r->geom) {
        if (use_geometry(im, r->geom, p, reason, reason_size) < 0)
            return -1;
    } else if (r->v[COL_WKT]) {
        if (r->v[COL_LON] || r->v[COL_LAT])
            REJECT("give either lon/lat or wkt, not both");
        OGRGeometryH g = NULL;
        char *w = (char *)r->v[COL_WKT];
        if (OGR_G_CreateFromWkt(&w, NULL, &g) != OGRERR_NONE || !g)
            REJECT("wkt: not well-known text");
        while (isspace((unsigned char)*w))
            w++;
        if (*w) {
            OGR_G_DestroyGeometry(g);
            REJECT("wkt: unexpected text after the geometry");
        }
        if (im->to_wgs84 && OGR_G_Transform(g, im->to_wgs84) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(g);
            REJECT("wkt: cannot transform from %s to lon/lat", im->opts->srs);
        }
        int rc = use_geometry(im, g, p, reason, reason_size);
        OGR_G_DestroyGeometry(g);
        if (rc < 0)
            return -1;
    } else {
        if (!r->v[COL_LON] || !r->v[COL_LAT])
            REJECT("lon and lat (or wkt) are required");
        if (sinspace__parse_double(r->v[COL_LON], &p->lon, err, sizeof err) < 0)
            REJECT("lon: %s", err);
        if (sinspace__parse_double(r->v[COL_LAT], &p->lat, err, sizeof err) < 0)
            REJECT("lat: %s", err);
        if (transform_xy(im, &p->lon, &p->lat, reason, reason_size) < 0 ||
            sinspace__import_check_lonlat(p->lon, p->lat, reason, reason_size) < 0)
            return -1;
        p->has_point = 1;
    }
    return validate_observation(im, r, p, reason, reason_size);
}

/* -------------------------------------------------------------------------
 * Writing, through the engine
 */

static sinspace_status
write_observation(sinspace__importer *im, long long wid,
                  const sinspace__import_row *r, const parsed *p, int refresh)
{
    sinspace__import_observation o = {
        .observed = p->observed,
        .risk = p->risk,
        .scored = p->scored,
        .scores = p->scores,
        .source_type = r->v[COL_SOURCE],
        .source_note = r->v[COL_SOURCE_NOTE],
        .observer = r->v[COL_OBSERVER],
    };
    sinspace_status st = im->ops->observation_write(im->load, wid, &o, refresh);
    if (!st)
        im->result.observations++;
    return st;
}

static sinspace_status
write_workplace(sinspace__importer *im, const sinspace__import_row *r,
                const parsed *p)
{
    const char *seen = p->has_observation ? p->observed : NULL;
    /* A new workplace's risk is its one observation's, set here; a
     * workplace written again is refreshed at the end from all its
     * observations (the engine's refresh_risk). */
    double risk = p->has_observation ? p->risk : NAN;
    sinspace__import_workplace w = {
        .ext_id = r->v[COL_ID],
        .name = r->v[COL_NAME],
        .name_local = r->v[COL_NAME_LOCAL],
        .sector = r->v[COL_SECTOR],
        .address = r->v[COL_ADDRESS],
        .area_code = r->v[COL_AREA],
        .source_type = r->v[COL_SOURCE],
        .source_note = r->v[COL_SOURCE_NOTE],
        .status = r->v[COL_STATUS],
        .first_seen = p->first_seen[0] ? p->first_seen : seen,
        .last_seen = seen,
        .lon = p->lon,
        .lat = p->lat,
        .footprint_wkb = p->footprint_wkb,
        .footprint_size = p->footprint_size,
        .risk = risk,
        .risk_class = sinspace_risk_class_name(sinspace_risk_classify(risk)),
    };
    long long wid = 0;
    int updated = 0;
    sinspace_status st = im->ops->workplace_write(im->load, &w, &wid, &updated);
    if (st)
        return st;
    if (updated)
        im->result.updated++;
    else
        im->result.inserted++;
    if (p->has_observation)
        return write_observation(im, wid, r, p, 0);
    return SINSPACE_OK;
}

sinspace_status
sinspace__import_workplace_row(sinspace__importer *im, const sinspace__import_row *r,
                           const char *where, char *const *fields,
                           size_t n_fields, char *const *header, size_t n_header)
{
    char reason[512];
    parsed p;
    sinspace_status st = SINSPACE_OK;
    if (validate_workplace(im, r, &p, reason, sizeof reason) < 0)
        sinspace__import_reject(im, where, reason, fields, n_fields, header,
                                n_header);
    else
        st = write_workplace(im, r, &p);
    parsed_free(&p);
    return st;
}

sinspace_status
sinspace__import_observation_row(sinspace__importer *im,
                             const sinspace__import_row *r, const char *where,
                             char *const *fields, size_t n_fields,
                             char *const *header, size_t n_header)
{
    char reason[512];
    parsed p;
    memset(&p, 0, sizeof p);
    int bad = 0;
    if (!r->v[COL_ID]) {
        snprintf(reason, sizeof reason, "id is missing");
        bad = -1;
    }
    if (!bad)
        bad = validate_observation(im, r, &p, reason, sizeof reason);
    if (!bad && !p.has_observation) {
        snprintf(reason, sizeof reason, "no risk and no indicator score");
        bad = -1;
    }
    long long wid = 0;
    if (!bad && !(wid = im->ops->workplace_find(im->load, r->v[COL_ID]))) {
        snprintf(reason, sizeof reason, "no workplace with id '%.60s'",
                 r->v[COL_ID]);
        bad = -1;
    }
    if (bad) {
        sinspace__import_reject(im, where, reason, fields, n_fields, header,
                                n_header);
        return SINSPACE_OK;
    }
    /* Its current risk is refreshed at the end. */
    sinspace_status st = write_observation(im, wid, r, &p, 1);
    if (!st)
        im->result.updated++;
    return st;
}

/* -------------------------------------------------------------------------
 * Rejects and error reporting
 */

static sinspace_status
open_rejects(sinspace__importer *im)
{
    const char *path = im->opts->rejects_path;
    if (!path)
        return SINSPACE_OK;
    /* The rejects file replaces what is there: never let that be the
     * source being read or the database being written. */
    struct stat rs, other;
    if (stat(path, &rs) == 0) {
        int is_source = stat(im->path, &other) == 0 && rs.st_dev == other.st_dev &&
                        rs.st_ino == other.st_ino;
        const char *db = sinspace_store_path(im->store);
        int is_db = db && stat(db, &other) == 0 && rs.st_dev == other.st_dev &&
                    rs.st_ino == other.st_ino;
        if (is_source || is_db)
            return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                                   "%s: the rejects file may not be the %s",
                                   path,
                                   is_source ? "file being imported" : "database");
    }
    /* Rejected rows carry the same sensitive data as the source: private,
     * and only in place once the import commits. */
    return sinspace__outfile_open(im->ctx, path, SINSPACE__OUTFILE_REPLACE,
                                  &im->rejects);
}

void
sinspace__import_reject(sinspace__importer *im, const char *where,
                        const char *reason, char *const *fields,
                        size_t n_fields, char *const *header, size_t n_header)
{
    im->result.rejected++;
    int max = im->opts->max_errors_logged;
    if (max <= 0 || im->result.rejected <= max)
        sinspace__log(im->ctx, SINSPACE_LOG_ERROR, "%s: %s: %s", im->path,
                      where, reason);
    else if (im->result.rejected == max + 1)
        sinspace__log(im->ctx, SINSPACE_LOG_ERROR,
                      "%s: more invalid rows; only counting them from here",
                      im->path);
    if (!im->rejects)
        return;
    FILE *f = sinspace__outfile_stream(im->rejects);
    if (!im->rejects_header_done) {
        im->rejects_header_done = 1;
        fputs("where,reason", f);
        for (size_t i = 0; i < n_header; i++) {
            fputc(',', f);
            sinspace__csv_write_field(f, header[i]);
        }
        fputs("\r\n", f);
    }
    sinspace__csv_write_field(f, where);
    fputc(',', f);
    sinspace__csv_write_field(f, reason);
    for (size_t i = 0; i < n_fields; i++) {
        fputc(',', f);
        sinspace__csv_write_field(f, fields[i]);
    }
    fputs("\r\n", f);
}

sinspace_status
sinspace__import_progress(sinspace__importer *im, long long count,
                          long long every, double done, double total)
{
    if (count % every != 0)
        return SINSPACE_OK;
    return sinspace__progress(im->ctx, "import", done, total);
}

/* -------------------------------------------------------------------------
 * Coordinate reference systems
 */

sinspace_status
sinspace__import_setup_transform(sinspace__importer *im, OGRSpatialReferenceH src)
{
    if (!src)
        return SINSPACE_OK;
    OGRSpatialReferenceH wgs84 = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs84, 4326);
    OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    sinspace_status st = SINSPACE_OK;
    if (!OSRIsSame(src, wgs84)) {
        im->to_wgs84 = OCTNewCoordinateTransformation(src, wgs84);
        if (!im->to_wgs84)
            st = sinspace__gdal_error(im->ctx, SINSPACE_INVALID_INPUT,
                                      "no transformation to EPSG:4326");
    }
    OSRDestroySpatialReference(wgs84);
    return st;
}

sinspace_status
sinspace__import_srs_from_option(sinspace__importer *im, OGRSpatialReferenceH *out)
{
    return sinspace__srs_parse(im->ctx, im->opts->srs, "--srs", out);
}

/* -------------------------------------------------------------------------
 * Entry point
 */

void
sinspace_import_options_init(sinspace_import_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->kind = SINSPACE_IMPORT_AUTO;
    opts->level = SINSPACE_LEVEL_INVALID;
    opts->max_errors_logged = 50;
}

static int
is_csv(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".txt"));
}

static const char *
kind_name(sinspace_import_kind k)
{
    switch (k) {
    case SINSPACE_IMPORT_WORKPLACES: return "workplaces";
    case SINSPACE_IMPORT_OBSERVATIONS: return "observations";
    case SINSPACE_IMPORT_AREAS: return "areas";
    default: return "auto";
    }
}

/* Reads the source into the open load. */
static sinspace_status
read_source(sinspace__importer *im, int csv)
{
    if (!csv)
        return sinspace__import_ogr(im);
    if (im->opts->srs) {
        OGRSpatialReferenceH srs;
        sinspace_status st = sinspace__import_srs_from_option(im, &srs);
        if (st)
            return st;
        st = sinspace__import_setup_transform(im, srs);
        OSRDestroySpatialReference(srs);
        if (st)
            return st;
    }
    return sinspace__import_csv(im);
}

/* After a clean read: the derived columns, the import's record, the audit
 * row, all inside the load. */
static sinspace_status
complete_load(sinspace__importer *im)
{
    const sinspace__import_ops *ops = im->ops;
    sinspace_status st;
    if (im->kind == SINSPACE_IMPORT_AREAS) {
        if ((st = ops->refresh_members(im->load, 1)))
            return st;
    } else {
        if ((st = ops->refresh_risk(im->load)) ||
            (im->have_areas && (st = ops->refresh_members(im->load, 0))))
            return st;
    }
    long long rows = im->result.rows - im->result.rejected;
    if ((st = ops->finish(im->load, rows)))
        return st;
    char filters[64];
    snprintf(filters, sizeof filters, "as=%s%s", kind_name(im->kind),
             im->rejects ? " skip-invalid" : "");
    sinspace_audit_entry e = {0};
    e.command = "import";
    e.target = im->path;
    e.filters = filters;
    e.rows = rows;
    return ops->audit(im->store, &e);
}

sinspace_status
sinspace_import_file(sinspace_store *store, const char *path,
                     const sinspace_import_options *opts,
                     sinspace_import_result *result)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !path)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "import: store and path are required");
    const sinspace__import_ops *ops = sinspace__store_engine(store)->import;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: opened read-only", sinspace_store_path(store));
    sinspace_import_options defaults;
    if (!opts) {
        sinspace_import_options_init(&defaults);
        opts = &defaults;
    }
    sinspace__importer im;
    memset(&im, 0, sizeof im);
    im.store = store;
    im.ctx = ctx;
    im.ops = ops;
    im.path = path;
    im.opts = opts;
    im.kind = opts->kind;
    sinspace__today(im.today);
    int csv = is_csv(path);
    if (csv && im.kind == SINSPACE_IMPORT_AUTO)
        im.kind = SINSPACE_IMPORT_WORKPLACES;
    if (csv && im.kind == SINSPACE_IMPORT_AREAS)
        return sinspace__error(ctx, SINSPACE_UNSUPPORTED,
                               "%s: areas come from polygon sources (GeoJSON, "
                               "GPKG, Shapefile...), not CSV", path);
    if (access(path, R_OK) != 0)
        return sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (stat(path, &sb) == 0 && (S_ISDIR(sb.st_mode) || S_ISCHR(sb.st_mode) ||
                                 S_ISBLK(sb.st_mode)))
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: %s, not a file to import", path,
                               S_ISDIR(sb.st_mode) ? "a directory" : "a device");

    /* One transaction from here to end. */
    sinspace__import_start start = {
        .file = path,
        .kind = kind_name(im.kind),
        .may_write_workplaces = im.kind != SINSPACE_IMPORT_AREAS,
    };
    sinspace_status st = ops->begin(store, &start, &im.load, &im.have_areas);
    if (st)
        return st;
    if ((st = ops->indicator_weights(store, im.weights)) ||
        (st = open_rejects(&im)) ||
        (st = read_source(&im, csv)))
        goto fail;
    if (im.result.rejected && !im.rejects) {
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s: %lld of %lld rows invalid; nothing was imported "
                             "(fix them, or load the rest with --skip-invalid FILE)",
                             path, im.result.rejected, im.result.rows);
        goto fail;
    }
    if ((st = complete_load(&im)))
        goto fail;
    /* The rejects file goes into place first: if it cannot, nothing is
     * imported. */
    st = sinspace__outfile_commit(im.rejects);
    im.rejects = NULL;
    if (st)
        goto fail;
    st = ops->end(im.load, 1);
    goto out;
fail:
    ops->end(im.load, 0);
    sinspace__outfile_abort(im.rejects);
out:
    if (im.to_wgs84)
        OCTDestroyCoordinateTransformation(im.to_wgs84);
    for (long i = 0; im.strict_faults && i <= im.n_strict; i++)
        free(im.strict_faults[i]);
    free(im.strict_faults);
    if (result)
        *result = im.result;
    return st;
}
