/* import.c: loading workplaces, observations and areas from CSV or any OGR
 * vector source, in one transaction.
 *
 * Every row goes through one validator whatever its source, so a CSV line
 * and a GeoJSON feature are held to the same rules.  Bad rows are all
 * reported (up to max_errors_logged), then the transaction is rolled back:
 * the database file is left byte for byte as it was. */
#include "core/sinspaceInt.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */
#include "core/csv.h"
#include "core/parse.h"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The workplace CSV contract's columns. */
enum column {
    COL_ID, COL_NAME, COL_SECTOR, COL_LON, COL_LAT, COL_WKT, COL_NAME_LOCAL,
    COL_ADDRESS, COL_AREA, COL_SOURCE, COL_SOURCE_NOTE, COL_STATUS,
    COL_FIRST_SEEN, COL_OBSERVED, COL_RISK, COL_OBSERVER,
    COL_I01, /* .. COL_I28 */
    N_COLUMNS = COL_I01 + SINSPACE_INDICATORS
};

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
static int
column_lookup(const char *name)
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

typedef struct importer {
    sinspace_store *store;
    sinspace_context *ctx;
    const char *path;
    const sinspace_import_options *opts;
    sinspace_import_kind kind;
    sinspace_import_result result;
    long long import_id;
    double weights[SINSPACE_INDICATORS];
    int have_areas;
    char today[11];
    OGRCoordinateTransformationH to_wgs84; /* NULL: already lon/lat */
    FILE *rejects;
    int rejects_header_done;
    /* Prepared statements. */
    sqlite3_stmt *find_workplace, *insert_workplace, *update_workplace,
        *upsert_observation, *touch, *sector_exists, *area_exists,
        *index_point, *index_footprint;
    char now[32]; /* one timestamp for the whole import */
    /* SpatiaLite's per-row triggers on workplaces, set aside during the
     * import (see suspend_triggers). */
    char **trigger_sql;         /* and, into an empty store, the secondary
                                   indexes (suspend_indexes) */
    size_t n_triggers, n_saved;
    /* An empty R*Tree of points is packed once at the end (rtree_load.c)
     * instead of taking a row at a time: the points, in write order. */
    int pack;
    sinspace_rtree_point *pack_pts;
    size_t pack_n, pack_cap;
} importer;

/* One row, whatever its source: the raw text of each contract column
 * (NULL when absent or empty) and, for OGR sources, the geometry. */
typedef struct row {
    const char *v[N_COLUMNS];
    OGRGeometryH geom; /* borrowed; EPSG:4326 already */
} row;

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
check_text_field(const row *r, int col, int allow_newlines, size_t max,
                 char *reason, size_t reason_size)
{
    char err[128], buf[8];
    if (r->v[col] && sinspace__check_text(r->v[col], allow_newlines, max, err,
                                          sizeof err) < 0)
        REJECT("%s: %s", column_name(col, buf), err);
    return 0;
}

static int
sector_known(importer *im, const char *code)
{
    sqlite3_reset(im->sector_exists);
    sinspace__bind_text(im->sector_exists, 1, code);
    int found = sqlite3_step(im->sector_exists) == SQLITE_ROW;
    sqlite3_reset(im->sector_exists); /* no read cursor left open between rows */
    return found;
}

static int
area_known(importer *im, const char *code)
{
    sqlite3_reset(im->area_exists);
    sinspace__bind_text(im->area_exists, 1, code);
    int found = sqlite3_step(im->area_exists) == SQLITE_ROW;
    sqlite3_reset(im->area_exists); /* no read cursor left open between rows */
    return found;
}

/* Checks lon/lat after any reprojection. */
static int
check_lonlat(double lon, double lat, char *reason, size_t reason_size)
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

/* GEOS's reason for an invalid geometry, into reason. */
static void
invalid_reason(importer *im, OGRGeometryH g, char *reason, size_t reason_size)
{
    int n = OGR_G_WkbSize(g);
    unsigned char *wkb = n > 0 ? malloc((size_t)n) : NULL;
    snprintf(reason, reason_size, "invalid geometry");
    if (!wkb)
        return;
    if (OGR_G_ExportToWkb(g, wkbNDR, wkb) == OGRERR_NONE) {
        GEOSGeometry *gg = GEOSGeomFromWKB_buf_r(im->ctx->geos, wkb, (size_t)n);
        if (gg) {
            char *why = GEOSisValidReason_r(im->ctx->geos, gg);
            if (why) {
                snprintf(reason, reason_size, "invalid geometry: %s", why);
                GEOSFree_r(im->ctx->geos, why);
            }
            GEOSGeom_destroy_r(im->ctx->geos, gg);
        }
    }
    free(wkb);
}

/* Takes a geometry in EPSG:4326 and sets the point (and footprint). */
static int
use_geometry(importer *im, OGRGeometryH g, parsed *p, char *reason,
             size_t reason_size)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (OGR_G_IsEmpty(g))
        REJECT("empty geometry");
    if (t == wkbPoint) {
        p->lon = OGR_G_GetX(g, 0);
        p->lat = OGR_G_GetY(g, 0);
        p->has_point = 1;
        return check_lonlat(p->lon, p->lat, reason, reason_size);
    }
    if (t != wkbPolygon && t != wkbMultiPolygon)
        REJECT("geometry is a %s; a workplace is a POINT, or a POLYGON or "
               "MULTIPOLYGON footprint", OGRGeometryTypeToName(t));
    OGREnvelope env;
    OGR_G_GetEnvelope(g, &env);
    if (check_lonlat(env.MinX, env.MinY, reason, reason_size) < 0 ||
        check_lonlat(env.MaxX, env.MaxY, reason, reason_size) < 0)
        return -1;
    if (!OGR_G_IsValid(g)) {
        invalid_reason(im, g, reason, reason_size);
        return -1;
    }
    OGRGeometryH multi = OGR_G_ForceToMultiPolygon(OGR_G_Clone(g));
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
    int n = OGR_G_WkbSize(multi);
    p->footprint_wkb = malloc((size_t)n);
    if (!p->footprint_wkb ||
        OGR_G_ExportToWkb(multi, wkbNDR, p->footprint_wkb) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(multi);
        REJECT("out of memory");
    }
    p->footprint_size = (size_t)n;
    OGR_G_DestroyGeometry(multi);
    return 0;
}

static int
transform_xy(importer *im, double *x, double *y, char *reason,
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
validate_scores(const row *r, parsed *p, char *reason, size_t reason_size)
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
validate_observation(importer *im, const row *r, parsed *p, char *reason,
                     size_t reason_size)
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
validate_workplace(importer *im, const row *r, parsed *p, char *reason,
                   size_t reason_size)
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
    if (!sector_known(im, r->v[COL_SECTOR]))
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
    if (r->v[COL_AREA] && im->have_areas && !area_known(im, r->v[COL_AREA]))
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
            check_lonlat(p->lon, p->lat, reason, reason_size) < 0)
            return -1;
        p->has_point = 1;
    }
    return validate_observation(im, r, p, reason, reason_size);
}

/* -------------------------------------------------------------------------
 * Writing
 */

static sinspace_status
step_done(importer *im, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sinspace__db_error(im->store, what);
    return SINSPACE_OK;
}

static void
bind_scores(sqlite3_stmt *stmt, int first, const parsed *p)
{
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        if (p->scores[i])
            sqlite3_bind_int(stmt, first + i, p->scores[i]);
        else
            sqlite3_bind_null(stmt, first + i);
    }
}

static sinspace_status
write_observation(importer *im, long long wid, const row *r, const parsed *p)
{
    sqlite3_stmt *s = im->upsert_observation;
    sqlite3_bind_int64(s, 1, wid);
    sinspace__bind_text(s, 2, p->observed);
    sqlite3_bind_double(s, 3, p->risk);
    sqlite3_bind_int(s, 4, p->scored);
    sinspace__bind_text(s, 5, r->v[COL_SOURCE]);
    sinspace__bind_text(s, 6, r->v[COL_SOURCE_NOTE]);
    sinspace__bind_text(s, 7, r->v[COL_OBSERVER]);
    sqlite3_bind_int64(s, 8, im->import_id);
    bind_scores(s, 9, p);
    sinspace_status st = step_done(im, s, "writing an observation");
    if (!st)
        im->result.observations++;
    return st;
}

static long long
find_workplace(importer *im, const char *ext_id)
{
    sqlite3_reset(im->find_workplace);
    sinspace__bind_text(im->find_workplace, 1, ext_id);
    long long id = 0;
    if (sqlite3_step(im->find_workplace) == SQLITE_ROW)
        id = sqlite3_column_int64(im->find_workplace, 0);
    sqlite3_reset(im->find_workplace);
    return id;
}

static sinspace_status
write_workplace(importer *im, const row *r, const parsed *p)
{
    const char *now = im->now;
    long long wid = find_workplace(im, r->v[COL_ID]);
    const char *seen = p->has_observation ? p->observed : NULL;
    sqlite3_stmt *s = wid ? im->update_workplace : im->insert_workplace;
    sinspace__bind_text(s, 1, r->v[COL_ID]);
    sinspace__bind_text(s, 2, r->v[COL_NAME]);
    sinspace__bind_text(s, 3, r->v[COL_NAME_LOCAL]);
    sinspace__bind_text(s, 4, r->v[COL_SECTOR]);
    sinspace__bind_text(s, 5, r->v[COL_ADDRESS]);
    sinspace__bind_text(s, 6, r->v[COL_AREA]);
    sinspace__bind_text(s, 7, r->v[COL_SOURCE]);
    sinspace__bind_text(s, 8, r->v[COL_SOURCE_NOTE]);
    sinspace__bind_text(s, 9, r->v[COL_STATUS]);
    sinspace__bind_text(s, 10, p->first_seen[0] ? p->first_seen : seen);
    sinspace__bind_text(s, 11, seen);
    sinspace__bind_text(s, 12, now);
    sqlite3_bind_double(s, 13, p->lon);
    sqlite3_bind_double(s, 14, p->lat);
    if (p->footprint_wkb)
        sqlite3_bind_blob(s, 15, p->footprint_wkb, (int)p->footprint_size,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 15);
    /* A new workplace's risk is its one observation's, set here; a
     * workplace written again is marked stale and refreshed at the end
     * from all its observations (sinspace__refresh_risk). */
    double risk = p->has_observation ? p->risk : NAN;
    if (!wid) {
        if (isnan(risk))
            sqlite3_bind_null(s, 16);
        else
            sqlite3_bind_double(s, 16, risk);
        sinspace__bind_text(s, 17, sinspace_risk_class_name(sinspace_risk_classify(risk)));
    }
    sinspace_status st = step_done(im, s, "writing a workplace");
    sqlite3_clear_bindings(s);
    if (st)
        return st;
    if (wid) {
        im->result.updated++;
    } else {
        wid = sqlite3_last_insert_rowid(im->store->db);
        im->result.inserted++;
    }
    sqlite3_bind_int64(im->touch, 1, wid);
    sqlite3_bind_int(im->touch, 2, s == im->update_workplace);
    if ((st = step_done(im, im->touch, "recording a workplace")))
        return st;
    /* The R*Trees, kept here while SpatiaLite's triggers are set aside.
     * SQLite's rtree rounds min down and max up to 32-bit floats. */
    if (im->pack) {
        if (im->pack_n == im->pack_cap) {
            size_t cap = im->pack_cap ? 2 * im->pack_cap : 4096;
            sinspace_rtree_point *v = realloc(im->pack_pts, cap * sizeof *v);
            if (!v)
                return sinspace__error(im->store->ctx, SINSPACE_NO_MEMORY,
                                       "out of memory");
            im->pack_pts = v;
            im->pack_cap = cap;
        }
        im->pack_pts[im->pack_n++] = (sinspace_rtree_point){wid, p->lon, p->lat};
    } else {
        sqlite3_bind_int64(im->index_point, 1, wid);
        sqlite3_bind_double(im->index_point, 2, p->lon);
        sqlite3_bind_double(im->index_point, 3, p->lon);
        sqlite3_bind_double(im->index_point, 4, p->lat);
        sqlite3_bind_double(im->index_point, 5, p->lat);
        if ((st = step_done(im, im->index_point, "indexing a workplace")))
            return st;
    }
    if (p->footprint_wkb) {
        sqlite3_bind_int64(im->index_footprint, 1, wid);
        sqlite3_bind_blob(im->index_footprint, 2, p->footprint_wkb,
                          (int)p->footprint_size, SQLITE_STATIC);
        if ((st = step_done(im, im->index_footprint, "indexing a footprint")))
            return st;
    }
    if (p->has_observation)
        return write_observation(im, wid, r, p);
    return SINSPACE_OK;
}

static sinspace_status
prepare_statements(importer *im)
{
    sinspace_store *s = im->store;
    sinspace_status st;
    if ((st = sinspace__prepare(s, "SELECT id FROM workplaces WHERE ext_id = ?1",
                                &im->find_workplace)) ||
        (st = sinspace__prepare(s, "SELECT 1 FROM sectors WHERE code = ?1",
                                &im->sector_exists)) ||
        (st = sinspace__prepare(s, "SELECT 1 FROM areas WHERE code = ?1",
                                &im->area_exists)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO workplaces(ext_id, name, name_local, sector, address,"
            " area_code, source_type, source_note, status, first_seen, last_seen,"
            " updated, geom, footprint, risk, risk_class) VALUES (?1, ?2, ?3, ?4,"
            " ?5, ?6, ?7, ?8, coalesce(?9, 'unknown'), ?10, ?11, ?12,"
            " MakePoint(?13, ?14, 4326), CastToMultiPolygon(GeomFromWKB(?15, 4326)),"
            " ?16, ?17)",
            &im->insert_workplace)) ||
        /* An update keeps what the row leaves empty. */
        (st = sinspace__prepare(s,
            "UPDATE workplaces SET name = ?2, name_local = coalesce(?3, name_local),"
            " sector = ?4, address = coalesce(?5, address),"
            " area_code = coalesce(?6, area_code),"
            " source_type = coalesce(?7, source_type),"
            " source_note = coalesce(?8, source_note),"
            " status = coalesce(?9, status),"
            " first_seen = CASE WHEN first_seen IS NULL OR ?10 < first_seen"
            "  THEN coalesce(?10, first_seen) ELSE first_seen END,"
            " last_seen = CASE WHEN last_seen IS NULL OR ?11 > last_seen"
            "  THEN coalesce(?11, last_seen) ELSE last_seen END,"
            " updated = ?12, geom = MakePoint(?13, ?14, 4326),"
            " footprint = coalesce(CastToMultiPolygon(GeomFromWKB(?15, 4326)), footprint)"
            " WHERE ext_id = ?1", &im->update_workplace)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO observations(workplace_id, observed, risk, scored,"
            " source_type, source_note, observer, import_id,"
            " i01, i02, i03, i04, i05, i06, i07, i08, i09, i10, i11, i12, i13, i14,"
            " i15, i16, i17, i18, i19, i20, i21, i22, i23, i24, i25, i26, i27, i28)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
            " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
            " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)"
            " ON CONFLICT(workplace_id, observed) DO UPDATE SET risk = excluded.risk,"
            " scored = excluded.scored, source_type = excluded.source_type,"
            " source_note = excluded.source_note, observer = excluded.observer,"
            " import_id = excluded.import_id, i01 = excluded.i01, i02 = excluded.i02,"
            " i03 = excluded.i03, i04 = excluded.i04, i05 = excluded.i05,"
            " i06 = excluded.i06, i07 = excluded.i07, i08 = excluded.i08,"
            " i09 = excluded.i09, i10 = excluded.i10, i11 = excluded.i11,"
            " i12 = excluded.i12, i13 = excluded.i13, i14 = excluded.i14,"
            " i15 = excluded.i15, i16 = excluded.i16, i17 = excluded.i17,"
            " i18 = excluded.i18, i19 = excluded.i19, i20 = excluded.i20,"
            " i21 = excluded.i21, i22 = excluded.i22, i23 = excluded.i23,"
            " i24 = excluded.i24, i25 = excluded.i25, i26 = excluded.i26,"
            " i27 = excluded.i27, i28 = excluded.i28",
            &im->upsert_observation)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO temp.import_touched(id, stale) VALUES (?1, ?2)"
            " ON CONFLICT(id) DO UPDATE SET stale = max(stale, excluded.stale)",
            &im->touch)) ||
        (st = sinspace__prepare(s,
            "INSERT OR REPLACE INTO idx_workplaces_geom(pkid, xmin, xmax, ymin, ymax)"
            " VALUES (?1, ?2, ?3, ?4, ?5)", &im->index_point)) ||
        (st = sinspace__prepare(s,
            "INSERT OR REPLACE INTO idx_workplaces_footprint(pkid, xmin, xmax, ymin, ymax)"
            " SELECT ?1, MbrMinX(g), MbrMaxX(g), MbrMinY(g), MbrMaxY(g)"
            " FROM (SELECT GeomFromWKB(?2, 4326) AS g)", &im->index_footprint)))
        return st;
    return SINSPACE_OK;
}

static void
finalize_statements(importer *im)
{
    sqlite3_finalize(im->find_workplace);
    sqlite3_finalize(im->sector_exists);
    sqlite3_finalize(im->area_exists);
    sqlite3_finalize(im->insert_workplace);
    sqlite3_finalize(im->update_workplace);
    sqlite3_finalize(im->upsert_observation);
    sqlite3_finalize(im->touch);
    sqlite3_finalize(im->index_point);
    sqlite3_finalize(im->index_footprint);
    im->find_workplace = im->sector_exists = im->area_exists = NULL;
    im->insert_workplace = im->update_workplace = im->upsert_observation = NULL;
    im->touch = im->index_point = im->index_footprint = NULL;
}

/* A point's workplace id and its place in write order. */
typedef struct keyed_point {
    long long id;
    size_t at;
} keyed_point;

static int
by_id_then_at(const void *a, const void *b)
{
    const keyed_point *p = a, *q = b;
    if (p->id != q->id)
        return (p->id > q->id) - (p->id < q->id);
    return (p->at > q->at) - (p->at < q->at);
}

/* Packs the workplaces' points into their empty R*Tree.  A workplace
 * written twice (a file holding its history) keeps its last point: the
 * points are sorted by id, then by write order (part of the key, qsort
 * not being stable). */
static sinspace_status
pack_points(importer *im)
{
    size_t n = im->pack_n;
    sinspace_rtree_point *v = im->pack_pts;
    keyed_point *k = n ? malloc(n * sizeof *k) : NULL;
    if (n && !k)
        return sinspace__error(im->store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed_point){v[i].id, i};
    if (n > 1) /* qsort(NULL, 0) is undefined (UBSan) */
        qsort(k, n, sizeof *k, by_id_then_at);
    sinspace_rtree_point *out = n ? malloc(n * sizeof *out) : NULL;
    if (n && !out) {
        free(k);
        return sinspace__error(im->store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && k[i + 1].id == k[i].id)
            continue; /* a later point of the same workplace follows */
        out[m++] = v[k[i].at];
    }
    free(k);
    sinspace_status st = sinspace__rtree_pack(im->store, "idx_workplaces_geom", out, m);
    free(out);
    return st;
}

/* SpatiaLite 5 keeps the R*Tree through triggers that call RTreeAlign(),
 * which builds and prepares a new SQL statement for every row, stamps
 * geometry_columns_time on every insert and update, and checks each
 * geometry's type and SRID against geometry_columns (the import makes
 * every geometry itself, as POINT or MULTIPOLYGON in 4326): together most
 * of an import's time.  Inside the import's transaction we drop those triggers,
 * maintain the R*Tree rows with one prepared statement, and put the
 * triggers back, exactly as SpatiaLite wrote them, before commit.  A
 * rollback (or a crash) restores them too: DDL is transactional. */
static const char trigger_select[] =
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    " AND tbl_name = 'workplaces'"
    " AND (name GLOB 'gii_workplaces_*' OR name GLOB 'giu_workplaces_*'"
    "  OR name GLOB 'tmi_workplaces_*' OR name GLOB 'tmu_workplaces_*'"
    "  OR name GLOB 'ggi_workplaces_*' OR name GLOB 'ggu_workplaces_*')";

/* The secondary indexes of workplaces and observations (not the UNIQUE
 * ones, which the import itself relies on and which have no sql). */
static const char index_select[] =
    "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
    " AND tbl_name IN ('workplaces', 'observations') AND sql IS NOT NULL";

/* Drops what select lists (kind: TRIGGER or INDEX), keeping each one's
 * CREATE statement to put it back verbatim (restore_triggers). */
static sinspace_status
set_aside(importer *im, const char *select, const char *kind)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(im->store, select, &stmt);
    if (st)
        return st;
    size_t cap = im->n_saved;
    while (!st && sqlite3_step(stmt) == SQLITE_ROW) {
        if (im->n_saved == cap) {
            cap = cap ? cap * 2 : 8;
            char **p = realloc(im->trigger_sql, cap * sizeof *p);
            if (!p) {
                st = sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
                break;
            }
            im->trigger_sql = p;
        }
        char *sql = sinspace__strdup((const char *)sqlite3_column_text(stmt, 1));
        if (!sql) {
            st = sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
            break;
        }
        im->trigger_sql[im->n_saved++] = sql;
        /* Names come from the store's own schema; quoted all the same. */
        char *drop = sqlite3_mprintf("DROP %s \"%w\"", kind,
                                     (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        stmt = NULL;
        st = drop ? sinspace__exec(im->store, drop)
                  : sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
        sqlite3_free(drop);
        if (!st)
            st = sinspace__prepare(im->store, select, &stmt);
    }
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
suspend_triggers(importer *im)
{
    sinspace_status st = set_aside(im, trigger_select, "TRIGGER");
    im->n_triggers = im->n_saved;
    return st;
}

/* Into an empty store, the secondary indexes are built once after the
 * load (CREATE INDEX sorts) instead of taking a million random inserts
 * each: 4 s of a 30 s 1M import.  Put back with the triggers. */
static sinspace_status
suspend_indexes(importer *im)
{
    return set_aside(im, index_select, "INDEX");
}

static sinspace_status
restore_triggers(importer *im)
{
    sinspace_status st = SINSPACE_OK;
    for (size_t i = 0; i < im->n_saved && !st; i++)
        st = sinspace__exec(im->store, im->trigger_sql[i]);
    if (!st && im->n_triggers) {
        /* What the stamping triggers would have left. */
        st = sinspace__exec(im->store,
            "UPDATE geometry_columns_time SET"
            " last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
            " last_update = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            " WHERE Lower(f_table_name) = 'workplaces'");
    }
    return st;
}

static void
free_triggers(importer *im)
{
    for (size_t i = 0; i < im->n_saved; i++)
        free(im->trigger_sql[i]);
    free(im->trigger_sql);
    im->trigger_sql = NULL;
    im->n_triggers = im->n_saved = 0;
}

/* -------------------------------------------------------------------------
 * Derived columns
 */

sinspace_status
sinspace__refresh_risk(sinspace_store *store, long long batch)
{
    (void)batch;
    /* One pass, one rewrite of each touched row: its latest observation's
     * risk, that risk's class, and the latest observation date. */
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "UPDATE workplaces SET risk = x.risk,"
        " risk_class = CASE WHEN x.risk IS NULL THEN NULL"
        "  WHEN x.risk >= ?1 THEN 'high' WHEN x.risk >= ?2 THEN 'medium'"
        "  ELSE 'low' END,"
        " last_seen = coalesce(x.last, workplaces.last_seen)"
        " FROM (SELECT t.id AS id,"
        "  (SELECT o.risk FROM observations AS o WHERE o.workplace_id = t.id"
        "   ORDER BY o.observed DESC, o.id DESC LIMIT 1) AS risk,"
        "  (SELECT max(o.observed) FROM observations AS o"
        "   WHERE o.workplace_id = t.id) AS last"
        "  FROM temp.import_touched AS t WHERE t.stale) AS x"
        " WHERE workplaces.id = x.id", &stmt);
    if (st)
        return st;
    sqlite3_bind_double(stmt, 1, SINSPACE_RISK_HIGH);
    sqlite3_bind_double(stmt, 2, SINSPACE_RISK_MEDIUM);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "refreshing risk");
    sqlite3_finalize(stmt);
    return st;
}

/* Area membership of the touched workplaces: the R*Tree of areas narrows
 * the candidates, ST_Intersects decides (a point on a shared edge belongs
 * to both areas).  The finest containing area becomes area_code. */
static sinspace_status
refresh_members(sinspace_store *store)
{
    sinspace_status st;
    if ((st = sinspace__exec(store,
            "DELETE FROM area_members WHERE workplace_id IN"
            " (SELECT id FROM temp.import_touched)")) ||
        (st = sinspace__exec(store,
            "INSERT INTO area_members(area_id, workplace_id)"
            " SELECT a.id, w.id FROM temp.import_touched AS t"
            " JOIN workplaces AS w ON w.id = t.id"
            " JOIN areas AS a ON a.id IN (SELECT pkid FROM idx_areas_geom"
            "  WHERE xmin <= ST_X(w.geom) AND xmax >= ST_X(w.geom)"
            "  AND ymin <= ST_Y(w.geom) AND ymax >= ST_Y(w.geom))"
            " WHERE ST_Intersects(a.geom, w.geom) = 1")) ||
        (st = sinspace__exec(store,
            "UPDATE workplaces SET area_code = coalesce((SELECT a.code"
            "  FROM area_members AS m JOIN areas AS a ON a.id = m.area_id"
            "  WHERE m.workplace_id = workplaces.id"
            "  ORDER BY a.level_rank DESC, a.id LIMIT 1), area_code)"
            " WHERE id IN (SELECT id FROM temp.import_touched)")))
        return st;
    return SINSPACE_OK;
}

sinspace_status
sinspace__refresh_areas(sinspace_store *store)
{
    sinspace_status st;
    if ((st = sinspace__exec(store, "DELETE FROM temp.import_touched")) ||
        (st = sinspace__exec(store,
            "INSERT INTO temp.import_touched(id) SELECT id FROM workplaces")))
        return st;
    return refresh_members(store);
}

/* -------------------------------------------------------------------------
 * Rejects and error reporting
 */

static sinspace_status
open_rejects(importer *im)
{
    if (!im->opts->rejects_path)
        return SINSPACE_OK;
    /* The rejects file is truncated: never let that be the source being
     * read or the database being written. */
    struct stat rs, other;
    if (stat(im->opts->rejects_path, &rs) == 0) {
        int is_source = stat(im->path, &other) == 0 && rs.st_dev == other.st_dev &&
                        rs.st_ino == other.st_ino;
        int is_db = stat(im->store->path, &other) == 0 &&
                    rs.st_dev == other.st_dev && rs.st_ino == other.st_ino;
        if (is_source || is_db)
            return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                                   "%s: the rejects file may not be the %s",
                                   im->opts->rejects_path,
                                   is_source ? "file being imported" : "database");
    }
    int fd = open(im->opts->rejects_path,
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return sinspace__error(im->ctx, SINSPACE_IO, "%s: cannot write: %s",
                               im->opts->rejects_path, strerror(errno));
    /* Rejected rows carry the same sensitive data as the source. */
    if (fchmod(fd, 0600) != 0 || !(im->rejects = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        return sinspace__error(im->ctx, SINSPACE_IO, "%s: cannot write: %s",
                               im->opts->rejects_path, strerror(e));
    }
    return SINSPACE_OK;
}

/* Logs one bad row and, with a rejects file, writes it there. */
static void
reject_row(importer *im, const char *where, const char *reason,
           char *const *fields, size_t n_fields, char *const *header,
           size_t n_header)
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
    if (!im->rejects_header_done) {
        im->rejects_header_done = 1;
        fputs("where,reason", im->rejects);
        for (size_t i = 0; i < n_header; i++) {
            fputc(',', im->rejects);
            sinspace__csv_write_field(im->rejects, header[i]);
        }
        fputs("\r\n", im->rejects);
    }
    sinspace__csv_write_field(im->rejects, where);
    fputc(',', im->rejects);
    sinspace__csv_write_field(im->rejects, reason);
    for (size_t i = 0; i < n_fields; i++) {
        fputc(',', im->rejects);
        sinspace__csv_write_field(im->rejects, fields[i]);
    }
    fputs("\r\n", im->rejects);
}

/* -------------------------------------------------------------------------
 * CSV
 */

static sinspace_status
import_csv(importer *im)
{
    FILE *f = fopen(im->path, "rb");
    if (!f)
        return sinspace__error(im->ctx, SINSPACE_IO, "%s: cannot read: %s",
                               im->path, strerror(errno));
    struct stat sb;
    double total = fstat(fileno(f), &sb) == 0 ? (double)sb.st_size : 0.0;
    sinspace_csv *csv = sinspace__csv_open_file(f);
    if (!csv) {
        fclose(f);
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    sinspace_status st = SINSPACE_OK;
    char **fields, err[256], reason[512], where[64];
    char **header = NULL;
    size_t n, n_header = 0;
    long line;
    int map[256]; /* CSV column -> contract column */
    int rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err);
    if (rc <= 0) {
        st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s",
                             im->path, rc < 0 ? line : 1L,
                             rc < 0 ? err : "empty file: a header row is required");
        goto done;
    }
    if (n > 256) {
        st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                             "%s:1: %zu columns; at most 256", im->path, n);
        goto done;
    }
    header = calloc(n, sizeof *header);
    if (!header) {
        st = sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    n_header = n;
    int seen[N_COLUMNS] = {0};
    for (size_t i = 0; i < n; i++) {
        char *h = fields[i];
        while (isspace((unsigned char)*h))
            h++;
        size_t len = strlen(h);
        while (len && isspace((unsigned char)h[len - 1]))
            h[--len] = '\0';
        if (!(header[i] = sinspace__strdup(h))) {
            st = sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
            goto done;
        }
        map[i] = column_lookup(h);
        if (map[i] < 0) {
            sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                          "%s:1: column '%.60s' is not part of the contract; ignored",
                          im->path, h);
            continue;
        }
        if (seen[map[i]]) {
            st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                                 "%s:1: column '%s' appears twice", im->path, h);
            goto done;
        }
        seen[map[i]] = 1;
    }
    const char *missing = NULL;
    if (!seen[COL_ID])
        missing = "id";
    else if (im->kind == SINSPACE_IMPORT_WORKPLACES) {
        if (!seen[COL_NAME])
            missing = "name";
        else if (!seen[COL_SECTOR])
            missing = "sector";
        else if (!seen[COL_WKT] && !(seen[COL_LON] && seen[COL_LAT]))
            missing = "lon and lat (or wkt)";
    }
    if (missing) {
        st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                             "%s:1: the header has no %s column%s", im->path,
                             missing,
                             im->kind == SINSPACE_IMPORT_WORKPLACES
                                 ? " (a workplace CSV needs id,name,sector,lon,lat)"
                                 : "");
        goto done;
    }

    while ((rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err)) != 0) {
        im->result.rows++;
        snprintf(where, sizeof where, "line %ld", line);
        if (rc < 0) {
            reject_row(im, where, err, NULL, 0, header, n_header);
            continue;
        }
        if (n != n_header) {
            snprintf(reason, sizeof reason, "%zu fields; the header has %zu", n,
                     n_header);
            reject_row(im, where, reason, fields, n, header, n_header);
            continue;
        }
        row r;
        memset(&r, 0, sizeof r);
        for (size_t i = 0; i < n; i++)
            if (map[i] >= 0 && fields[i][0])
                r.v[map[i]] = fields[i];
        parsed p;
        int bad;
        if (im->kind == SINSPACE_IMPORT_OBSERVATIONS) {
            memset(&p, 0, sizeof p);
            bad = 0;
            if (!r.v[COL_ID]) {
                snprintf(reason, sizeof reason, "id is missing");
                bad = -1;
            }
            if (!bad)
                bad = validate_observation(im, &r, &p, reason, sizeof reason);
            if (!bad && !p.has_observation) {
                snprintf(reason, sizeof reason, "no risk and no indicator score");
                bad = -1;
            }
            long long wid = 0;
            if (!bad && !(wid = find_workplace(im, r.v[COL_ID]))) {
                snprintf(reason, sizeof reason, "no workplace with id '%.60s'",
                         r.v[COL_ID]);
                bad = -1;
            }
            if (!bad) {
                if ((st = write_observation(im, wid, &r, &p)))
                    goto done;
                sqlite3_bind_int64(im->touch, 1, wid);
                sqlite3_bind_int(im->touch, 2, 1); /* its risk is refreshed */
                if ((st = step_done(im, im->touch, "recording a workplace")))
                    goto done;
                im->result.updated++;
            }
        } else {
            bad = validate_workplace(im, &r, &p, reason, sizeof reason);
            if (!bad && (st = write_workplace(im, &r, &p))) {
                parsed_free(&p);
                goto done;
            }
            parsed_free(&p);
        }
        if (bad)
            reject_row(im, where, reason, fields, n, header, n_header);
        if (im->result.rows % 20000 == 0 &&
            (st = sinspace__progress(im->ctx, "import",
                                     (double)ftell(f), total)))
            goto done;
    }
    if (ferror(f))
        st = sinspace__error(im->ctx, SINSPACE_IO, "%s: read error", im->path);
    else
        st = sinspace__progress(im->ctx, "import", total, total);
done:
    for (size_t i = 0; header && i < n_header; i++)
        free(header[i]);
    free(header);
    sinspace__csv_close(csv);
    fclose(f);
    return st;
}

/* -------------------------------------------------------------------------
 * OGR sources
 */

/* Sets up the transformation from srs to EPSG:4326 lon/lat; NULL srs
 * means the data is lon/lat already. */
static sinspace_status
setup_transform(importer *im, OGRSpatialReferenceH src)
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

static sinspace_status
srs_from_option(importer *im, OGRSpatialReferenceH *out)
{
    *out = NULL;
    if (!im->opts->srs)
        return SINSPACE_OK;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(srs, im->opts->srs) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                               "--srs %s: unknown coordinate reference system",
                               im->opts->srs);
    }
    *out = srs;
    return SINSPACE_OK;
}

/* First field of the layer whose name matches one of the candidates. */
static int
guess_field(OGRFeatureDefnH defn, const char *given, const char *const *cands,
            int *missing_given)
{
    if (given) {
        int i = OGR_FD_GetFieldIndex(defn, given);
        if (i < 0)
            *missing_given = 1;
        return i;
    }
    for (int c = 0; cands[c]; c++) {
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
            if (!strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)),
                            cands[c]))
                return i;
    }
    return -1;
}

/* "Mueang Chiang Mai" -> "mueang-chiang-mai". */
static void
slugify(const char *in, char *out, size_t size)
{
    size_t n = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 2 < size; p++) {
        if (isalnum(*p)) {
            if (dash && n)
                out[n++] = '-';
            out[n++] = (char)tolower(*p);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[n] = '\0';
}

static sinspace_status
import_areas(importer *im, OGRLayerH layer)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    static const char *const name_cands[] = {
        "name_latin", "name_en", "ADM4_EN", "ADM3_EN", "ADM2_EN", "ADM1_EN",
        "dname_e", "shapeName", "NAME_EN", "name", NULL};
    static const char *const local_cands[] = {
        "name_local", "name_th", "ADM4_TH", "ADM3_TH", "ADM2_TH", "ADM1_TH",
        "dname", "NAME_TH", NULL};
    static const char *const code_cands[] = {
        "code", "ADM4_PCODE", "ADM3_PCODE", "ADM2_PCODE", "ADM1_PCODE",
        "dcode", "shapeISO", "shapeID", NULL};
    int missing = 0;
    int f_name = guess_field(defn, im->opts->name_field, name_cands, &missing);
    int f_local = guess_field(defn, im->opts->name_local_field, local_cands, &missing);
    int f_code = guess_field(defn, im->opts->code_field, code_cands, &missing);
    if (missing)
        return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: a field named by --name-field, "
                               "--name-local-field or --code-field is not in "
                               "layer %s", im->path, OGR_L_GetName(layer));
    if (f_name < 0 && f_local < 0)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s: no name field found; name one with "
                               "--name-field", im->path);
    sinspace_area_level level = im->opts->level;
    if (level == SINSPACE_LEVEL_INVALID) {
        const char *nf = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, f_name >= 0 ? f_name : f_local));
        if (!strncasecmp(nf, "ADM", 3) && nf[3] >= '1' && nf[3] <= '4')
            level = (sinspace_area_level)(nf[3] - '0');
        else
            return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                                   "%s: cannot tell the areas' level; give --level "
                                   "province|district|subdistrict|village",
                                   im->path);
    }

    sqlite3_stmt *upsert = NULL, *parent = NULL, *taken = NULL;
    sinspace_status st;
    if ((st = sinspace__prepare(im->store,
            "INSERT INTO areas(code, parent_code, level, level_rank, name_local,"
            " name_latin, source, geom, area_km2)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CastToMultiPolygon(GeomFromWKB(?8, 4326)),"
            " ST_Area(GeomFromWKB(?8, 4326), 1) / 1e6)"
            " ON CONFLICT(code) DO UPDATE SET parent_code = excluded.parent_code,"
            " level = excluded.level, level_rank = excluded.level_rank,"
            " name_local = excluded.name_local, name_latin = excluded.name_latin,"
            " source = excluded.source, geom = excluded.geom,"
            " area_km2 = excluded.area_km2",
            &upsert)) ||
        /* The parent: of the areas of a higher level that overlap this
         * one, the finest level, and there the largest overlap.  Upstream
         * boundaries leave slivers, so one inner point is not enough
         * ("Sop Mae Kha" of Hang Dong pokes into Saraphi). */
        (st = sinspace__prepare(im->store,
            "SELECT code FROM (SELECT code, level_rank, id,"
            "  ST_Area(ST_Intersection(geom, GeomFromWKB(?6, 4326))) AS overlap"
            "  FROM areas WHERE level_rank < ?1"
            "  AND id IN (SELECT pkid FROM idx_areas_geom WHERE xmin <= ?3"
            "   AND xmax >= ?2 AND ymin <= ?5 AND ymax >= ?4))"
            " WHERE overlap > 0 ORDER BY level_rank DESC, overlap DESC, id LIMIT 1",
            &parent)) ||
        (st = sinspace__prepare(im->store,
            "INSERT INTO temp.import_areas(code) VALUES (?1)"
            " ON CONFLICT DO NOTHING RETURNING 1", &taken)))
        goto done;

    GIntBig total = OGR_L_GetFeatureCount(layer, 0);
    OGRFeatureH feat;
    long long nfeat = 0;
    char reason[512], where[160];
    while ((feat = OGR_L_GetNextFeature(layer)) != NULL) {
        nfeat++;
        im->result.rows++;
        snprintf(where, sizeof where, "feature %lld", nfeat);
        reason[0] = '\0';
        const char *name = f_name >= 0 && OGR_F_IsFieldSetAndNotNull(feat, f_name)
                               ? OGR_F_GetFieldAsString(feat, f_name) : NULL;
        const char *local = f_local >= 0 && OGR_F_IsFieldSetAndNotNull(feat, f_local)
                                ? OGR_F_GetFieldAsString(feat, f_local) : NULL;
        char *name_copy = sinspace__strdup(name), *local_copy = sinspace__strdup(local);
        char code[256] = "";
        if (f_code >= 0 && OGR_F_IsFieldSetAndNotNull(feat, f_code))
            snprintf(code, sizeof code, "%s", OGR_F_GetFieldAsString(feat, f_code));
        if (name_copy || local_copy)
            snprintf(where, sizeof where, "feature %lld (%.100s)", nfeat,
                     name_copy ? name_copy : local_copy);
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        char err[160];
        OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
        if (!name_copy && !local_copy)
            snprintf(reason, sizeof reason, "no name");
        else if ((name_copy && sinspace__check_text(name_copy, 0, 300, err, sizeof err) < 0) ||
                 (local_copy && sinspace__check_text(local_copy, 0, 300, err, sizeof err) < 0))
            snprintf(reason, sizeof reason, "name: %s", err);
        else if (code[0] && sinspace__check_text(code, 0, 200, err, sizeof err) < 0)
            snprintf(reason, sizeof reason, "code: %s", err);
        else if (!g || OGR_G_IsEmpty(g))
            snprintf(reason, sizeof reason, "no geometry");
        else if (t != wkbPolygon && t != wkbMultiPolygon)
            snprintf(reason, sizeof reason, "geometry is a %s; areas are polygons",
                     OGRGeometryTypeToName(t));
        OGRGeometryH multi = NULL;
        if (!reason[0]) {
            multi = OGR_G_ForceToMultiPolygon(OGR_G_Clone(g));
            OGR_G_FlattenTo2D(multi);
            if (im->to_wgs84 && OGR_G_Transform(multi, im->to_wgs84) != OGRERR_NONE)
                snprintf(reason, sizeof reason, "cannot transform to lon/lat");
            else {
                OGREnvelope env;
                OGR_G_GetEnvelope(multi, &env);
                if (check_lonlat(env.MinX, env.MinY, reason, sizeof reason) == 0 &&
                    check_lonlat(env.MaxX, env.MaxY, reason, sizeof reason) == 0 &&
                    !OGR_G_IsValid(multi))
                    invalid_reason(im, multi, reason, sizeof reason);
            }
        }
        if (reason[0]) {
            char *flds[1] = {where};
            reject_row(im, where, reason, flds, 0, NULL, 0);
        } else {
            /* The parent: the finest area of a higher level containing a
             * point inside this one. */
            char parent_code[256] = "";
            int wkb_size = OGR_G_WkbSize(multi);
            unsigned char *fwkb = malloc((size_t)wkb_size);
            if (fwkb && OGR_G_ExportToWkb(multi, wkbNDR, fwkb) == OGRERR_NONE) {
                OGREnvelope env;
                OGR_G_GetEnvelope(multi, &env);
                sqlite3_bind_int(parent, 1, level);
                sqlite3_bind_double(parent, 2, env.MinX);
                sqlite3_bind_double(parent, 3, env.MaxX);
                sqlite3_bind_double(parent, 4, env.MinY);
                sqlite3_bind_double(parent, 5, env.MaxY);
                sqlite3_bind_blob(parent, 6, fwkb, wkb_size, SQLITE_STATIC);
                if (sqlite3_step(parent) == SQLITE_ROW)
                    snprintf(parent_code, sizeof parent_code, "%s",
                             (const char *)sqlite3_column_text(parent, 0));
                sqlite3_reset(parent);
            }
            free(fwkb);
            int generated = !code[0];
            char slug[200];
            if (generated) {
                slugify(name_copy ? name_copy : local_copy, slug, sizeof slug);
                if (!slug[0])
                    snprintf(slug, sizeof slug, "%lld", nfeat);
                snprintf(code, sizeof code, "%s%s%s", parent_code,
                         parent_code[0] ? "/" : "", slug);
            }
            /* Two features of one import may not share a code; a made-up
             * one gets a number (two tambon of Fang are both "Mae Kha"). */
            int fresh = 0;
            for (int k = 2; k < 100; k++) {
                sinspace__bind_text(taken, 1, code);
                fresh = sqlite3_step(taken) == SQLITE_ROW;
                sqlite3_reset(taken);
                if (fresh || !generated)
                    break;
                snprintf(code, sizeof code, "%s%s%s-%d", parent_code,
                         parent_code[0] ? "/" : "", slug, k);
            }
            if (!fresh) {
                snprintf(reason, sizeof reason, "code '%.100s' is used by an "
                         "earlier feature of this file", code);
                char *flds[1] = {where};
                reject_row(im, where, reason, flds, 0, NULL, 0);
            } else {
                int n = OGR_G_WkbSize(multi);
                unsigned char *wkb = malloc((size_t)n);
                if (!wkb || OGR_G_ExportToWkb(multi, wkbNDR, wkb) != OGRERR_NONE) {
                    free(wkb);
                    st = sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
                } else {
                    sinspace__bind_text(upsert, 1, code);
                    sinspace__bind_text(upsert, 2, parent_code[0] ? parent_code : NULL);
                    sinspace__bind_text(upsert, 3, sinspace_area_level_name(level));
                    sqlite3_bind_int(upsert, 4, level);
                    sinspace__bind_text(upsert, 5, local_copy);
                    sinspace__bind_text(upsert, 6, name_copy);
                    sinspace__bind_text(upsert, 7, im->opts->source);
                    sqlite3_bind_blob(upsert, 8, wkb, n, SQLITE_STATIC);
                    long long before = 0;
                    sinspace__query_int(im->store,
                        "SELECT count(*) FROM areas WHERE code = ?1", &before, 1, code);
                    int rc = sqlite3_step(upsert);
                    while (rc == SQLITE_ROW)
                        rc = sqlite3_step(upsert);
                    if (rc != SQLITE_DONE)
                        st = sinspace__db_error(im->store, "writing an area");
                    sqlite3_reset(upsert);
                    free(wkb);
                    if (!st) {
                        if (before)
                            im->result.updated++;
                        else
                            im->result.inserted++;
                    }
                }
            }
        }
        if (multi)
            OGR_G_DestroyGeometry(multi);
        free(name_copy);
        free(local_copy);
        OGR_F_Destroy(feat);
        if (st)
            goto done;
        if (nfeat % 100 == 0 &&
            (st = sinspace__progress(im->ctx, "import", (double)nfeat,
                                     total > 0 ? (double)total : 0.0)))
            goto done;
    }
done:
    sqlite3_finalize(upsert);
    sqlite3_finalize(parent);
    sqlite3_finalize(taken);
    return st;
}

/* Workplaces from an OGR layer: fields named as the CSV contract's
 * columns, geometry a point or a footprint polygon. */
static sinspace_status
import_ogr_workplaces(importer *im, OGRLayerH layer)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn);
    int *map = calloc((size_t)(nf ? nf : 1), sizeof *map);
    if (!map)
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    int have_id = 0;
    for (int i = 0; i < nf; i++) {
        map[i] = column_lookup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (map[i] == COL_ID)
            have_id = 1;
    }
    sinspace_status st = SINSPACE_OK;
    if (!have_id) {
        free(map);
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s: layer %s has no 'id' field", im->path,
                               OGR_L_GetName(layer));
    }
    GIntBig total = OGR_L_GetFeatureCount(layer, 0);
    OGRFeatureH feat;
    long long nfeat = 0;
    char reason[512], where[160];
    char *values[N_COLUMNS];
    while ((feat = OGR_L_GetNextFeature(layer)) != NULL) {
        nfeat++;
        im->result.rows++;
        row r;
        memset(&r, 0, sizeof r);
        memset(values, 0, sizeof values);
        for (int i = 0; i < nf; i++) {
            if (map[i] < 0 || !OGR_F_IsFieldSetAndNotNull(feat, i))
                continue;
            /* OGR reads "2025-03-01" in GeoJSON as a Date, which it
             * formats as "2025/03/01": give the contract's ISO form. */
            OGRFieldType ft = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i));
            int y, mo, d, h, mi, tz;
            float sec;
            char iso[32];
            if ((ft == OFTDate || ft == OFTDateTime) &&
                OGR_F_GetFieldAsDateTimeEx(feat, i, &y, &mo, &d, &h, &mi, &sec, &tz)) {
                snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mo, d);
                values[map[i]] = sinspace__strdup(iso);
            } else {
                values[map[i]] = sinspace__strdup(OGR_F_GetFieldAsString(feat, i));
            }
            if (values[map[i]] && values[map[i]][0])
                r.v[map[i]] = values[map[i]];
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        OGRGeometryH g2 = NULL;
        snprintf(where, sizeof where, "feature %lld%s%.60s%s", nfeat,
                 r.v[COL_ID] ? " (id " : "", r.v[COL_ID] ? r.v[COL_ID] : "",
                 r.v[COL_ID] ? ")" : "");
        int bad = 0;
        if (!g) {
            snprintf(reason, sizeof reason, "no geometry");
            bad = 1;
        } else {
            g2 = OGR_G_Clone(g);
            if (im->to_wgs84 && OGR_G_Transform(g2, im->to_wgs84) != OGRERR_NONE) {
                snprintf(reason, sizeof reason, "cannot transform to lon/lat");
                bad = 1;
            }
            r.geom = g2;
        }
        parsed p;
        memset(&p, 0, sizeof p);
        if (!bad)
            bad = validate_workplace(im, &r, &p, reason, sizeof reason) < 0;
        if (!bad)
            st = write_workplace(im, &r, &p);
        parsed_free(&p);
        if (bad) {
            char *flds[1] = {where};
            reject_row(im, where, reason, flds, 0, NULL, 0);
        }
        for (int c = 0; c < N_COLUMNS; c++)
            free(values[c]);
        if (g2)
            OGR_G_DestroyGeometry(g2);
        OGR_F_Destroy(feat);
        if (st)
            break;
        if (nfeat % 20000 == 0 &&
            (st = sinspace__progress(im->ctx, "import", (double)nfeat,
                                     total > 0 ? (double)total : 0.0)))
            break;
    }
    free(map);
    return st;
}

static sinspace_status
import_ogr(importer *im)
{
    GDALDatasetH ds = GDALOpenEx(im->path, GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 NULL, NULL, NULL);
    if (!ds)
        return sinspace__gdal_error(im->ctx, SINSPACE_INVALID_INPUT, im->path);
    sinspace_status st = SINSPACE_OK;
    OGRSpatialReferenceH opt_srs = NULL;
    OGRLayerH layer = im->opts->layer ? GDALDatasetGetLayerByName(ds, im->opts->layer)
                                      : GDALDatasetGetLayer(ds, 0);
    if (!layer) {
        st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: no layer %s",
                             im->path, im->opts->layer ? im->opts->layer : "");
        goto done;
    }
    if ((st = srs_from_option(im, &opt_srs)))
        goto done;
    OGRSpatialReferenceH layer_srs = OGR_L_GetSpatialRef(layer);
    if (layer_srs && opt_srs)
        sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                      "%s declares its own CRS; --srs %s is ignored", im->path,
                      im->opts->srs);
    OGRSpatialReferenceH src = layer_srs ? OSRClone(layer_srs)
                                         : (opt_srs ? OSRClone(opt_srs) : NULL);
    st = setup_transform(im, src);
    if (src)
        OSRDestroySpatialReference(src);
    if (st)
        goto done;
    if (im->kind == SINSPACE_IMPORT_AUTO) {
        OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(layer));
        im->kind = (t == wkbPolygon || t == wkbMultiPolygon) ? SINSPACE_IMPORT_AREAS
                                                             : SINSPACE_IMPORT_WORKPLACES;
    }
    if (im->kind == SINSPACE_IMPORT_AREAS)
        st = import_areas(im, layer);
    else if (im->kind == SINSPACE_IMPORT_WORKPLACES)
        st = import_ogr_workplaces(im, layer);
    else
        st = sinspace__error(im->ctx, SINSPACE_UNSUPPORTED,
                             "%s: observations are imported from CSV", im->path);
done:
    if (opt_srs)
        OSRDestroySpatialReference(opt_srs);
    GDALClose(ds);
    return st;
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

sinspace_status
sinspace_import_file(sinspace_store *store, const char *path,
                     const sinspace_import_options *opts,
                     sinspace_import_result *result)
{
    if (!store || !path)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT,
                               "import: store and path are required");
    if (!store->writable)
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: opened read-only", store->path);
    sinspace_import_options defaults;
    if (!opts) {
        sinspace_import_options_init(&defaults);
        opts = &defaults;
    }
    importer im;
    memset(&im, 0, sizeof im);
    im.store = store;
    im.ctx = store->ctx;
    im.path = path;
    im.opts = opts;
    im.kind = opts->kind;
    sinspace__today(im.today);
    int csv = is_csv(path);
    if (csv && im.kind == SINSPACE_IMPORT_AUTO)
        im.kind = SINSPACE_IMPORT_WORKPLACES;
    if (csv && im.kind == SINSPACE_IMPORT_AREAS)
        return sinspace__error(store->ctx, SINSPACE_UNSUPPORTED,
                               "%s: areas come from polygon sources (GeoJSON, "
                               "GPKG, Shapefile...), not CSV", path);
    if (access(path, R_OK) != 0)
        return sinspace__error(store->ctx, SINSPACE_IO, "%s: %s", path,
                               strerror(errno));

    sinspace_status st;
    if ((st = sinspace__exec(store,
            "CREATE TEMP TABLE IF NOT EXISTS import_touched(id INTEGER PRIMARY KEY,"
            " stale INTEGER NOT NULL DEFAULT 1);"
            "CREATE TEMP TABLE IF NOT EXISTS import_areas(code TEXT PRIMARY KEY);"
            "DELETE FROM temp.import_touched; DELETE FROM temp.import_areas;")))
        return st;
    /* A large page cache keeps a bulk import from spilling into the WAL
     * row by row (35 s -> 7 s for 100k rows here); back to the reader's
     * size afterwards. */
    if ((st = sinspace__exec(store, "PRAGMA cache_size = -131072")))
        return st;
    if ((st = sinspace__begin(store)))
        return st;
    sinspace__now_iso(im.now);
    if ((st = suspend_triggers(&im)) ||
        (st = sinspace__indicator_weights(store, im.weights)) ||
        (st = prepare_statements(&im)))
        goto fail;
    long long n_areas = 0;
    if ((st = sinspace__query_int(store, "SELECT count(*) FROM areas", &n_areas, 0)))
        goto fail;
    /* Workplaces into an empty store: their R*Tree is packed at the end. */
    if (im.kind != SINSPACE_IMPORT_AREAS) {
        long long indexed = 0;
        if ((st = sinspace__query_int(store,
                "SELECT (SELECT count(*) FROM idx_workplaces_geom_rowid)"
                " + (SELECT count(*) FROM workplaces)", &indexed, 0)))
            goto fail;
        im.pack = indexed == 0;
        if (im.pack && (st = suspend_indexes(&im)))
            goto fail;
    }
    im.have_areas = n_areas > 0;
    {
        char now[32];
        sinspace__now_iso(now);
        sqlite3_stmt *s;
        if ((st = sinspace__prepare(store,
                "INSERT INTO imports(at, user, file, kind) VALUES (?1, ?2, ?3, ?4)", &s)))
            goto fail;
        sinspace__bind_text(s, 1, now);
        sinspace__bind_text(s, 2, store->ctx->user);
        sinspace__bind_text(s, 3, path);
        sinspace__bind_text(s, 4, kind_name(im.kind));
        if (sqlite3_step(s) != SQLITE_DONE)
            st = sinspace__db_error(store, "recording the import");
        sqlite3_finalize(s);
        if (st)
            goto fail;
        im.import_id = sqlite3_last_insert_rowid(store->db);
    }
    if ((st = open_rejects(&im)))
        goto fail;

    if (csv) {
        if (opts->srs) {
            OGRSpatialReferenceH srs;
            if ((st = srs_from_option(&im, &srs)))
                goto fail;
            st = setup_transform(&im, srs);
            OSRDestroySpatialReference(srs);
            if (st)
                goto fail;
        }
        st = import_csv(&im);
    } else {
        st = import_ogr(&im);
    }
    if (st)
        goto fail;
    if (im.result.rejected && !im.rejects) {
        st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                             "%s: %lld of %lld rows invalid; nothing was imported "
                             "(fix them, or load the rest with --skip-invalid FILE)",
                             path, im.result.rejected, im.result.rows);
        goto fail;
    }
    if (im.kind == SINSPACE_IMPORT_AREAS) {
        if ((st = sinspace__refresh_areas(store)))
            goto fail;
    } else {
        if ((st = sinspace__refresh_risk(store, im.import_id)) ||
            (im.have_areas && (st = refresh_members(store))))
            goto fail;
    }
    {
        char rows[32];
        snprintf(rows, sizeof rows, "%lld", im.result.rows - im.result.rejected);
        sqlite3_stmt *s;
        if ((st = sinspace__prepare(store,
                "UPDATE imports SET rows = CAST(?1 AS INTEGER) WHERE id = ?2", &s)))
            goto fail;
        sinspace__bind_text(s, 1, rows);
        sqlite3_bind_int64(s, 2, im.import_id);
        if (sqlite3_step(s) != SQLITE_DONE)
            st = sinspace__db_error(store, "recording the import");
        sqlite3_finalize(s);
        if (st)
            goto fail;
    }
    if (im.pack && (st = pack_points(&im)))
        goto fail;
    if ((st = restore_triggers(&im)))
        goto fail;
    {
        char filters[64];
        snprintf(filters, sizeof filters, "as=%s%s", kind_name(im.kind),
                 im.rejects ? " skip-invalid" : "");
        sinspace_audit_entry e = {0};
        e.command = "import";
        e.target = path;
        e.filters = filters;
        e.rows = im.result.rows - im.result.rejected;
        if ((st = sinspace__audit_write(store, &e)))
            goto fail;
    }
    finalize_statements(&im);
    if (im.rejects && fclose(im.rejects) != 0) {
        im.rejects = NULL;
        st = sinspace__error(store->ctx, SINSPACE_IO, "%s: write error",
                             opts->rejects_path);
        sinspace__rollback(store);
        goto out;
    }
    im.rejects = NULL;
    st = sinspace__commit(store);
    goto out;
fail:
    finalize_statements(&im);
    sinspace__rollback(store);
    if (im.rejects) {
        fclose(im.rejects);
        unlink(opts->rejects_path);
    }
out:
    sqlite3_exec(store->db, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
    free_triggers(&im);
    free(im.pack_pts);
    if (im.to_wgs84)
        OCTDestroyCoordinateTransformation(im.to_wgs84);
    if (result)
        *result = im.result;
    return st;
}

/* -------------------------------------------------------------------------
 * A user's own indicator catalogue
 */

static sinspace_status
rescore_observations(sinspace_store *store)
{
    double w[SINSPACE_INDICATORS];
    sinspace_status st = sinspace__indicator_weights(store, w);
    if (st)
        return st;
    sqlite3_stmt *sel = NULL, *upd = NULL;
    if ((st = sinspace__prepare(store,
            "SELECT id, i01, i02, i03, i04, i05, i06, i07, i08, i09, i10, i11,"
            " i12, i13, i14, i15, i16, i17, i18, i19, i20, i21, i22, i23, i24,"
            " i25, i26, i27, i28 FROM observations WHERE scored > 0", &sel)) ||
        (st = sinspace__prepare(store,
            "UPDATE observations SET risk = ?1 WHERE id = ?2", &upd)))
        goto done;
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        int scores[SINSPACE_INDICATORS];
        for (int i = 0; i < SINSPACE_INDICATORS; i++)
            scores[i] = sqlite3_column_type(sel, i + 1) == SQLITE_NULL
                            ? 0 : sqlite3_column_int(sel, i + 1);
        double r = sinspace_risk_score(scores, w);
        if (isnan(r))
            continue;
        sqlite3_bind_double(upd, 1, r);
        sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
        if (sqlite3_step(upd) != SQLITE_DONE) {
            st = sinspace__db_error(store, "rescoring observations");
            goto done;
        }
        sqlite3_reset(upd);
    }
    if (rc != SQLITE_DONE)
        st = sinspace__db_error(store, "rescoring observations");
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return st;
}

sinspace_status
sinspace_import_indicators(sinspace_store *store, const char *path)
{
    if (!store || !path)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT,
                               "import_indicators: store and path are required");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sinspace__error(store->ctx, SINSPACE_IO, "%s: cannot read: %s",
                               path, strerror(errno));
    sinspace_csv *csv = sinspace__csv_open_file(f);
    sinspace_status st = csv ? SINSPACE_OK
                             : sinspace__error(store->ctx, SINSPACE_NO_MEMORY,
                                               "out of memory");
    sqlite3_stmt *ins = NULL;
    int seen[SINSPACE_INDICATORS] = {0};
    int began = 0;
    static const char *const want[] = {"position", "code", "name", "domain",
                                       "weight", "description"};
    if (!st && !(st = sinspace__exec(store,
            "CREATE TEMP TABLE IF NOT EXISTS import_touched(id INTEGER PRIMARY KEY,"
            " stale INTEGER NOT NULL DEFAULT 1);"
            "DELETE FROM temp.import_touched")) &&
        !(st = sinspace__begin(store))) {
        began = 1;
        if (!(st = sinspace__exec(store, "DELETE FROM indicators")))
            st = sinspace__prepare(store,
                "INSERT INTO indicators(position, code, name, domain, weight,"
                " description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &ins);
    }
    char **fields, err[256];
    size_t n;
    long line;
    int rc, header = 1;
    while (!st && (rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err))) {
        if (rc < 0) {
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s",
                                 path, line, err);
            break;
        }
        if (n != 6) {
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                 "%s:%ld: %zu fields; expected position,code,name,"
                                 "domain,weight,description", path, line, n);
            break;
        }
        if (header) {
            for (int i = 0; i < 6 && !st; i++)
                if (strcasecmp(fields[i], want[i]))
                    st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                         "%s:1: column %d is '%.40s'; expected '%s'",
                                         path, i + 1, fields[i], want[i]);
            header = 0;
            continue;
        }
        long long pos;
        double weight;
        char why[160];
        if (sinspace__parse_int(fields[0], &pos, why, sizeof why) < 0 ||
            pos < 1 || pos > SINSPACE_INDICATORS)
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                 "%s:%ld: position must be 1..28", path, line);
        else if (seen[pos - 1]++)
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                 "%s:%ld: position %lld given twice", path, line, pos);
        else if (sinspace__parse_double(fields[4], &weight, why, sizeof why) < 0 ||
                 !(weight > 0.0))
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                 "%s:%ld: weight must be a number above 0", path, line);
        else if (!fields[1][0] || !fields[2][0] ||
                 sinspace__check_text(fields[1], 0, 64, why, sizeof why) < 0 ||
                 sinspace__check_text(fields[2], 0, 200, why, sizeof why) < 0 ||
                 sinspace__check_text(fields[3], 0, 64, why, sizeof why) < 0 ||
                 sinspace__check_text(fields[5], 1, 2000, why, sizeof why) < 0)
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                 "%s:%ld: code and name are required, text must "
                                 "be clean UTF-8", path, line);
        if (st)
            break;
        sqlite3_bind_int64(ins, 1, pos);
        for (int i = 1; i < 6; i++)
            if (i == 4)
                sqlite3_bind_double(ins, 5, weight);
            else
                sinspace__bind_text(ins, i + 1, fields[i]);
        if (sqlite3_step(ins) != SQLITE_DONE)
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s",
                                 path, line, sqlite3_errmsg(store->db));
        sqlite3_reset(ins);
    }
    for (int i = 0; !st && i < SINSPACE_INDICATORS; i++)
        if (!seen[i])
            st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT,
                                 "%s: no indicator at position %d; a catalogue "
                                 "has all 28", path, i + 1);
    sqlite3_finalize(ins);
    if (!st && !(st = rescore_observations(store)) &&
        !(st = sinspace__exec(store,
            "INSERT INTO temp.import_touched(id) SELECT id FROM workplaces")) &&
        !(st = sinspace__refresh_risk(store, -1))) {
        sinspace_audit_entry e = {0};
        e.command = "indicators";
        e.target = path;
        e.rows = SINSPACE_INDICATORS;
        st = sinspace__audit_write(store, &e);
    }
    if (began) {
        if (st)
            sinspace__rollback(store);
        else
            st = sinspace__commit(store);
    }
    sinspace__csv_close(csv);
    fclose(f);
    return st;
}
