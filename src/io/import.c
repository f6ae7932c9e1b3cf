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
#include "io/water.h"

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

/* Appends one fault to reason ("; " between faults): a row's faults are
 * all reported, not only the first. */
static void
add_fault(char *reason, size_t reason_size, const char *msg)
{
    size_t n = strlen(reason);
    if (n + 3 >= reason_size)
        return;
    snprintf(reason + n, reason_size - n, "%s%s", n ? "; " : "", msg);
}

#define ADD(...)                                                               \
    do {                                                                       \
        char m_[400];                                                          \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                  \
        add_fault(reason, reason_size, m_);                                    \
    } while (0)

/* The byte offset of the first bidirectional control character (U+202A..
 * U+202E, U+2066..U+2069) in s, or -1. */
static long
bidi_at(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (p[0] == 0xE2 && ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
                             (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
            return (long)(p - (const unsigned char *)s);
    return -1;
}

/* Text checks of one column: controls and length (core/parse.c), and for
 * ids and names the bidirectional controls that make text read otherwise
 * than it is stored.  0, or -1 with the fault added. */
static int
check_text_field_all(const sinspace__importer *im, const sinspace__import_row *r,
                     int col, int allow_newlines, size_t max, char *reason,
                     size_t reason_size)
{
    char err[128], buf[8];
    const char *v = r->v[col];
    if (!v)
        return 0;
    if (sinspace__check_text(v, allow_newlines, max, err, sizeof err) < 0) {
        ADD("%s: %s", column_name(col, buf), err);
        return -1;
    }
    long at;
    if ((col == COL_ID || col == COL_NAME || col == COL_NAME_LOCAL) &&
        !(im && im->opts->allow_bidi) && (at = bidi_at(v)) >= 0) {
        const unsigned char *u = (const unsigned char *)v + at;
        unsigned cp = ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
        ADD("%s: bidirectional control character U+%04X at byte %ld (it makes "
            "text read otherwise than it is stored; --allow-bidi accepts it)",
            column_name(col, buf), cp, at + 1);
        return -1;
    }
    return 0;
}

/* lon/lat checked, echoed as written when the text is known (lon_text,
 * lat_text may be NULL: then as numbers, shortest form). */
static int
check_lonlat_text(double lon, double lat, const char *lon_text,
                  const char *lat_text, char *reason, size_t reason_size)
{
    char lo[48], la[48];
    if (lon_text)
        snprintf(lo, sizeof lo, "%.40s", lon_text);
    else
        snprintf(lo, sizeof lo, "%.15g", lon);
    if (lat_text)
        snprintf(la, sizeof la, "%.40s", lat_text);
    else
        snprintf(la, sizeof la, "%.15g", lat);
    if (!isfinite(lon) || !isfinite(lat)) {
        ADD("coordinates %s, %s are not finite numbers", lo, la);
        return -1;
    }
    if (lat < -90.0 || lat > 90.0) {
        if (lon >= -90.0 && lon <= 90.0 && lat >= -180.0 && lat <= 180.0)
            ADD("latitude %s is out of range: lon and lat look swapped "
                "(lon comes first)", la);
        else
            ADD("latitude %s is out of range -90..90", la);
        return -1;
    }
    if (lon < -180.0 || lon > 180.0) {
        ADD("longitude %s is out of range -180..180", lo);
        return -1;
    }
    return 0;
}

int
sinspace__import_check_lonlat(double lon, double lat, char *reason,
                              size_t reason_size)
{
    reason[0] = '\0';
    return check_lonlat_text(lon, lat, NULL, NULL, reason, reason_size);
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

/* GEOS's repair, as query's --make-valid does it (geomcheck.h); NULL
 * when no valid area is left. */
static GEOSGeometry *
repair(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    GEOSGeometry *fixed = sinspace__geom_make_valid(h, g);
    if (fixed && GEOSisValid_r(h, fixed) != 1) {
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

static void
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
        if (!(s[0] >= '1' && s[0] <= '3' && s[1] == '\0')) {
            ADD("%s: indicator score '%.20s' must be 1, 2 or 3",
                column_name(COL_I01 + i, buf), s);
            continue;
        }
        p->scores[i] = s[0] - '0';
        p->scored++;
    }
}

/* The observation part of a row: observed, risk, indicator scores.  Every
 * fault is added to reason; -1 when there was any. */
static int
validate_observation(sinspace__importer *im, const sinspace__import_row *r,
                     parsed *p, char *reason, size_t reason_size)
{
    char err[160];
    size_t before = strlen(reason);
    validate_scores(r, p, reason, reason_size);
    p->risk = NAN;
    if (r->v[COL_RISK]) {
        if (sinspace__parse_double(r->v[COL_RISK], &p->risk, err, sizeof err) < 0) {
            ADD("risk: %s", err);
            p->risk = NAN;
        } else if (p->risk < 1.0 || p->risk > 3.0) {
            /* As written: 3.0000001 is not "3". */
            ADD("risk %.40s is outside 1.0..3.0", r->v[COL_RISK]);
            p->risk = NAN;
        }
    }
    if (p->scored)
        p->risk = sinspace_risk_score(p->scores, im->weights);
    p->has_observation = p->scored > 0 || !isnan(p->risk);
    if (r->v[COL_OBSERVED]) {
        if (sinspace__parse_date(r->v[COL_OBSERVED], p->observed, err, sizeof err) < 0)
            ADD("observed: %s", err);
        else if (strcmp(p->observed, im->today) > 0)
            ADD("observed: %s is in the future", p->observed);
        else if (!p->has_observation && !r->v[COL_RISK])
            ADD("observed is given but neither risk nor any indicator score");
    } else {
        /* An undated score is taken as observed on the day of import. */
        memcpy(p->observed, im->today, 11);
    }
    if (r->v[COL_SOURCE] && strcmp(r->v[COL_SOURCE], "primary") &&
        strcmp(r->v[COL_SOURCE], "secondary"))
        ADD("source '%.40s' must be primary or secondary", r->v[COL_SOURCE]);
    check_text_field_all(im, r, COL_SOURCE_NOTE, 1, 4000, reason, reason_size);
    check_text_field_all(im, r, COL_OBSERVER, 0, 200, reason, reason_size);
    return strlen(reason) > before ? -1 : 0;
}

static int
validate_workplace(sinspace__importer *im, const sinspace__import_row *r,
                   parsed *p, char *reason, size_t reason_size)
{
    char err[160], one[512];
    memset(p, 0, sizeof *p);
    reason[0] = '\0';
    if (!r->v[COL_ID])
        ADD("id is missing");
    if (!r->v[COL_NAME])
        ADD("name is missing");
    if (!r->v[COL_SECTOR])
        ADD("sector is missing");
    check_text_field_all(im, r, COL_ID, 0, 64, reason, reason_size);
    check_text_field_all(im, r, COL_NAME, 0, 300, reason, reason_size);
    check_text_field_all(im, r, COL_NAME_LOCAL, 0, 300, reason, reason_size);
    check_text_field_all(im, r, COL_ADDRESS, 1, 1000, reason, reason_size);
    check_text_field_all(im, r, COL_AREA, 0, 200, reason, reason_size);
    if (r->v[COL_SECTOR] && !im->ops->sector_known(im->load, r->v[COL_SECTOR]))
        ADD("unknown sector '%.60s' (see: sinspace sectors)", r->v[COL_SECTOR]);
    if (r->v[COL_STATUS] && strcmp(r->v[COL_STATUS], "active") &&
        strcmp(r->v[COL_STATUS], "closed") && strcmp(r->v[COL_STATUS], "unknown"))
        ADD("status '%.40s' must be active, closed or unknown", r->v[COL_STATUS]);
    if (r->v[COL_FIRST_SEEN]) {
        if (sinspace__parse_date(r->v[COL_FIRST_SEEN], p->first_seen, err, sizeof err) < 0)
            ADD("first_seen: %s", err);
        else if (strcmp(p->first_seen, im->today) > 0)
            ADD("first_seen: %s is in the future", p->first_seen);
    }
    if (r->v[COL_AREA] && im->have_areas &&
        !im->ops->area_known(im->load, r->v[COL_AREA]))
        ADD("unknown area code '%.60s'", r->v[COL_AREA]);

    /* Geometry: an OGR feature's, or lon/lat, or wkt. */
    if (r->geom) {
        one[0] = '\0';
        if (use_geometry(im, r->geom, p, one, sizeof one) < 0)
            add_fault(reason, reason_size, one);
    } else if (r->v[COL_WKT]) {
        OGRGeometryH g = NULL;
        char *w = (char *)r->v[COL_WKT];
        if (r->v[COL_LON] || r->v[COL_LAT]) {
            ADD("give either lon/lat or wkt, not both");
        } else if (OGR_G_CreateFromWkt(&w, NULL, &g) != OGRERR_NONE || !g) {
            ADD("wkt: not well-known text");
        } else {
            while (isspace((unsigned char)*w))
                w++;
            one[0] = '\0';
            if (*w)
                ADD("wkt: unexpected text after the geometry");
            else if (im->to_wgs84 && OGR_G_Transform(g, im->to_wgs84) != OGRERR_NONE)
                ADD("wkt: cannot transform from %s to lon/lat", im->opts->srs);
            else if (use_geometry(im, g, p, one, sizeof one) < 0)
                add_fault(reason, reason_size, one);
        }
        if (g)
            OGR_G_DestroyGeometry(g);
    } else if (!r->v[COL_LON] || !r->v[COL_LAT]) {
        ADD("lon and lat (or wkt) are required");
    } else {
        int ok = 1;
        if (sinspace__parse_double(r->v[COL_LON], &p->lon, err, sizeof err) < 0) {
            ADD("lon: %s", err);
            ok = 0;
        }
        if (sinspace__parse_double(r->v[COL_LAT], &p->lat, err, sizeof err) < 0) {
            ADD("lat: %s", err);
            ok = 0;
        }
        one[0] = '\0';
        if (ok && im->to_wgs84) {
            if (transform_xy(im, &p->lon, &p->lat, one, sizeof one) < 0) {
                add_fault(reason, reason_size, one);
                ok = 0;
            } else if (check_lonlat_text(p->lon, p->lat, NULL, NULL, reason,
                                         reason_size) < 0) {
                ok = 0;
            }
        } else if (ok && check_lonlat_text(p->lon, p->lat, r->v[COL_LON],
                                           r->v[COL_LAT], reason, reason_size) < 0) {
            ok = 0;
        }
        p->has_point = ok;
    }
    validate_observation(im, r, p, reason, reason_size);
    return reason[0] ? -1 : 0;
}

/* -------------------------------------------------------------------------
 * Writing, through the engine
 */

/* repeat: the row replaces an observation given earlier in the file
 * (--last-wins), so it is not counted again. */
static sinspace_status
write_observation(sinspace__importer *im, long long wid,
                  const sinspace__import_row *r, const parsed *p, int refresh,
                  int repeat)
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
    if (!st && !repeat)
        im->result.observations++;
    return st;
}

/* first: the file's first row of this workplace (new and updated count
 * workplaces, not rows); repeat as for write_observation. */
static sinspace_status
write_workplace(sinspace__importer *im, const sinspace__import_row *r,
                const parsed *p, int first, int repeat)
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
    if (first && updated)
        im->result.updated++;
    else if (first)
        im->result.inserted++;
    if (p->has_observation)
        return write_observation(im, wid, r, p, 0, repeat);
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * What the file gave: repeats named, counts as stored
 */

struct sinspace__seen {
    char *key;   /* NULL: free slot */
    char *where;
};

static unsigned long
hash_key(const char *k)
{
    unsigned long h = 1469598103934665603UL;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211UL;
    return h;
}

/* Records key; returns NULL when new, or where it was first given. */
static const char *
seen_add(sinspace__importer *im, const char *key, const char *where, int *oom)
{
    if (2 * (im->n_seen + 1) > im->cap_seen) {
        size_t cap = im->cap_seen ? 2 * im->cap_seen : 1024;
        struct sinspace__seen *t = calloc(cap, sizeof *t);
        if (!t) {
            *oom = 1;
            return NULL;
        }
        for (size_t i = 0; i < im->cap_seen; i++) {
            if (!im->seen[i].key)
                continue;
            size_t j = hash_key(im->seen[i].key) & (cap - 1);
            while (t[j].key)
                j = (j + 1) & (cap - 1);
            t[j] = im->seen[i];
        }
        free(im->seen);
        im->seen = t;
        im->cap_seen = cap;
    }
    size_t j = hash_key(key) & (im->cap_seen - 1);
    while (im->seen[j].key) {
        if (!strcmp(im->seen[j].key, key))
            return im->seen[j].where;
        j = (j + 1) & (im->cap_seen - 1);
    }
    im->seen[j].key = sinspace__strdup(key);
    im->seen[j].where = sinspace__strdup(where);
    if (!im->seen[j].key || !im->seen[j].where) {
        free(im->seen[j].key);
        free(im->seen[j].where);
        im->seen[j].key = NULL;
        *oom = 1;
        return NULL;
    }
    im->n_seen++;
    return NULL;
}

void
sinspace__import_release(sinspace__importer *im)
{
    if (im->to_wgs84)
        OCTDestroyCoordinateTransformation(im->to_wgs84);
    im->to_wgs84 = NULL;
    for (long i = 0; im->strict_faults && i <= im->n_strict; i++)
        free(im->strict_faults[i]);
    free(im->strict_faults);
    im->strict_faults = NULL;
    sinspace__import_seen_free(im);
}

void
sinspace__import_seen_free(sinspace__importer *im)
{
    for (size_t i = 0; i < im->cap_seen; i++) {
        free(im->seen[i].key);
        free(im->seen[i].where);
    }
    free(im->seen);
    im->seen = NULL;
    im->n_seen = im->cap_seen = 0;
}

/* The observation (id, date) of a row given before in this file: an error
 * (reason set, -1), or with --last-wins a warning (1: the earlier one is
 * replaced, not counted again); 0 when new. */
static int
check_repeat(sinspace__importer *im, const char *id, const char *observed,
             const char *where, char *reason, size_t reason_size)
{
    size_t n = strlen(id) + (observed ? strlen(observed) : 0) + 4;
    char *key = malloc(n);
    if (!key)
        return 0;
    snprintf(key, n, "O%s\x1f%s", id, observed ? observed : "");
    int oom = 0;
    const char *first = seen_add(im, key, where, &oom);
    free(key);
    if (!first)
        return 0;
    char what[200];
    if (observed)
        snprintf(what, sizeof what, "id '%.60s' observed %s", id, observed);
    else
        snprintf(what, sizeof what, "id '%.60s' (no observation)", id);
    if (!im->opts->last_wins) {
        snprintf(reason, reason_size, "%s was given already at %s (one row per "
                 "workplace and date; --last-wins keeps the last)", what, first);
        return -1;
    }
    sinspace__log(im->ctx, SINSPACE_LOG_WARNING, "%s: %s: %s was given already at "
                  "%s; this row replaces it (--last-wins)", im->path, where, what,
                  first);
    return 1;
}

/* Is this the file's first row of workplace id?  (Counted once.) */
static int
first_of_workplace(sinspace__importer *im, const char *id, const char *where)
{
    size_t n = strlen(id) + 2;
    char *key = malloc(n);
    if (!key)
        return 1;
    snprintf(key, n, "W%s", id);
    int oom = 0;
    const char *first = seen_add(im, key, where, &oom);
    free(key);
    return first == NULL;
}

/* A field given but not stored: an observer belongs to an observation. */
static void
warn_dropped(sinspace__importer *im, const sinspace__import_row *r,
             const parsed *p, const char *where)
{
    if (p->has_observation || !r->v[COL_OBSERVER])
        return;
    im->dropped++;
    int max = im->opts->max_errors_logged;
    if (max <= 0 || im->dropped <= max)
        sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                      "%s: %s: observer '%.60s' is not stored: the row has no "
                      "risk or indicator score, so no observation to keep it",
                      im->path, where, r->v[COL_OBSERVER]);
}

sinspace_status
sinspace__import_workplace_row(sinspace__importer *im, const sinspace__import_row *r0,
                           const char *where, char *const *fields,
                           size_t n_fields, char *const *header, size_t n_header)
{
    char reason[1024];
    parsed p;
    sinspace_status st = SINSPACE_OK;
    /* Sector codes are matched and stored in lower case. */
    sinspace__import_row row = *r0;
    char sector[128];
    if (row.v[COL_SECTOR] && strlen(row.v[COL_SECTOR]) < sizeof sector) {
        size_t i = 0;
        for (; row.v[COL_SECTOR][i]; i++)
            sector[i] = (char)tolower((unsigned char)row.v[COL_SECTOR][i]);
        sector[i] = '\0';
        row.v[COL_SECTOR] = sector;
    }
    const sinspace__import_row *r = &row;
    int repeat = 0;
    if (validate_workplace(im, r, &p, reason, sizeof reason) < 0 ||
        (repeat = check_repeat(im, r->v[COL_ID],
                               p.has_observation ? p.observed : NULL, where,
                               reason, sizeof reason)) < 0) {
        sinspace__import_reject(im, where, reason, fields, n_fields, header,
                                n_header);
    } else {
        warn_dropped(im, r, &p, where);
        int first = first_of_workplace(im, r->v[COL_ID], where);
        st = write_workplace(im, r, &p, first, repeat);
    }
    parsed_free(&p);
    return st;
}

sinspace_status
sinspace__import_observation_row(sinspace__importer *im,
                             const sinspace__import_row *r, const char *where,
                             char *const *fields, size_t n_fields,
                             char *const *header, size_t n_header)
{
    char reason[1024];
    parsed p;
    memset(&p, 0, sizeof p);
    reason[0] = '\0';
    int bad = 0;
    if (!r->v[COL_ID]) {
        snprintf(reason, sizeof reason, "id is missing");
        bad = -1;
    }
    if (validate_observation(im, r, &p, reason, sizeof reason) < 0)
        bad = -1;
    else if (!p.has_observation) {
        add_fault(reason, sizeof reason, "no risk and no indicator score");
        bad = -1;
    }
    long long wid = 0;
    if (r->v[COL_ID] && !(wid = im->ops->workplace_find(im->load, r->v[COL_ID]))) {
        char m[120];
        snprintf(m, sizeof m, "no workplace with id '%.60s'", r->v[COL_ID]);
        add_fault(reason, sizeof reason, m);
        bad = -1;
    }
    int repeat = 0;
    if (!bad && (repeat = check_repeat(im, r->v[COL_ID], p.observed, where, reason,
                                       sizeof reason)) < 0)
        bad = -1;
    if (bad) {
        sinspace__import_reject(im, where, reason, fields, n_fields, header,
                                n_header);
        return SINSPACE_OK;
    }
    /* Its current risk is refreshed at the end. */
    sinspace_status st = write_observation(im, wid, r, &p, 1, repeat);
    if (!st && first_of_workplace(im, r->v[COL_ID], where))
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
    /* With --skip-invalid the row is skipped, not an error of the import. */
    sinspace_log_level level = im->rejects ? SINSPACE_LOG_WARNING : SINSPACE_LOG_ERROR;
    const char *tag = im->rejects ? "skipped: " : "";
    if (max <= 0 || im->result.rejected <= max)
        sinspace__log(im->ctx, level, "%s%s: %s: %s", tag, im->path, where, reason);
    else if (im->result.rejected == max + 1)
        sinspace__log(im->ctx, level, "%s%s: more invalid rows; only counting "
                      "them from here", tag, im->path);
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
    if (opts->kind == SINSPACE_IMPORT_WATER)
        return sinspace__import_water(store, path, opts, result);
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
    sinspace__import_release(&im);
    if (result)
        *result = im.result;
    return st;
}
