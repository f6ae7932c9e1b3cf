/* geomask.c: DHS-style displacement of workplace points for public exports
 * (see geomask.h and docs/export.md).
 *
 * Per workplace it needs the areas that hold it (area_members), the density
 * of its subdistrict or district, and that district's polygon as a GEOS
 * prepared geometry.  Densities are cached per area and polygons in a small
 * round-robin cache, so memory is bounded by the number of areas, never by
 * the number of workplaces. */
#include "geo/geomask.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */

#include <geodesic.h>
#include <nettle/hmac.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAX_ATTEMPTS 1000
#define POLY_CACHE 16

typedef struct poly_entry {
    long long area_id; /* 0: empty */
    GEOSGeometry *geom;
    const GEOSPreparedGeometry *prepared;
} poly_entry;

typedef struct density_entry {
    long long area_id; /* 0: empty */
    double density;    /* workplaces per km2; NaN when unknown */
} density_entry;

struct sinspace_geomask {
    sinspace_store *store;
    sinspace_context *ctx;
    unsigned char secret[SINSPACE_GEOMASK_SECRET_BYTES];
    struct geod_geodesic geod;
    sqlite3_stmt *areas_of, *density_of, *polygon_of;
    GEOSWKBReader *reader;
    poly_entry polys[POLY_CACHE];
    int next_poly;
    density_entry *densities;
    size_t n_densities, cap_densities; /* open addressing, cap a power of 2 */
};

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads the secret, creating it first when the store has none. */
static sinspace_status
load_secret(sinspace_geomask *gm)
{
    sinspace_store *store = gm->store;
    sqlite3_stmt *stmt;
    sinspace_status st;
    char hex[2 * SINSPACE_GEOMASK_SECRET_BYTES + 1];
    hex[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        if ((st = sinspace__prepare(store,
                "SELECT value FROM sinspace_meta WHERE key = 'geomask_secret'",
                &stmt)))
            return st;
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            snprintf(hex, sizeof hex, "%s", (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        if (hex[0] || pass == 1)
            break;
        if (!store->writable)
            return sinspace__error(gm->ctx, SINSPACE_PERMISSION,
                                   "%s: the geomasking secret is created on the "
                                   "first public export, which needs the "
                                   "database open for writing", store->path);
        unsigned char bytes[SINSPACE_GEOMASK_SECRET_BYTES];
        size_t got = 0;
        while (got < sizeof bytes) {
            ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return sinspace__error(gm->ctx, SINSPACE_ERROR,
                                       "getrandom: %s", strerror(errno));
            got += (size_t)n;
        }
        char fresh[sizeof hex];
        for (size_t i = 0; i < sizeof bytes; i++)
            snprintf(fresh + 2 * i, 3, "%02x", bytes[i]);
        if ((st = sinspace__begin(store)))
            return st;
        st = sinspace__prepare(store,
            "INSERT OR IGNORE INTO sinspace_meta(key, value)"
            " VALUES ('geomask_secret', ?1)", &stmt);
        if (!st) {
            sinspace__bind_text(stmt, 1, fresh);
            if (sqlite3_step(stmt) != SQLITE_DONE)
                st = sinspace__db_error(store, "storing the geomasking secret");
            sqlite3_finalize(stmt);
        }
        if (st) {
            sinspace__rollback(store);
            return st;
        }
        if ((st = sinspace__commit(store)))
            return st;
        sinspace__log(gm->ctx, SINSPACE_LOG_INFO,
                      "%s: created the geomasking secret", store->path);
    }
    if (strlen(hex) != 2 * SINSPACE_GEOMASK_SECRET_BYTES)
        return sinspace__error(gm->ctx, SINSPACE_SCHEMA,
                               "%s: the geomasking secret is malformed",
                               store->path);
    for (int i = 0; i < SINSPACE_GEOMASK_SECRET_BYTES; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return sinspace__error(gm->ctx, SINSPACE_SCHEMA,
                                   "%s: the geomasking secret is malformed",
                                   store->path);
        gm->secret[i] = (unsigned char)(hi * 16 + lo);
    }
    return SINSPACE_OK;
}

sinspace_status
sinspace__geomask_create(sinspace_store *store, sinspace_geomask **out)
{
    sinspace_geomask *gm = calloc(1, sizeof *gm);
    if (!gm)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    gm->store = store;
    gm->ctx = store->ctx;
    geod_init(&gm->geod, 6378137.0, 1.0 / 298.257223563);
    sinspace_status st = load_secret(gm);
    if (!st)
        st = sinspace__prepare(store,
            "SELECT a.id, a.level_rank, a.code FROM area_members AS m"
            " JOIN areas AS a ON a.id = m.area_id"
            " WHERE m.workplace_id = ?1 AND a.level_rank BETWEEN 1 AND 3",
            &gm->areas_of);
    if (!st)
        st = sinspace__prepare(store,
            "SELECT (SELECT count(*) FROM area_members WHERE area_id = a.id),"
            " coalesce(a.area_km2, ST_Area(a.geom, 1) / 1e6)"
            " FROM areas AS a WHERE a.id = ?1", &gm->density_of);
    if (!st)
        st = sinspace__prepare(store,
            "SELECT ST_AsBinary(geom) FROM areas WHERE id = ?1", &gm->polygon_of);
    if (!st && !(gm->reader = GEOSWKBReader_create_r(gm->ctx->geos)))
        st = sinspace__error(gm->ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (st) {
        sinspace__geomask_destroy(gm);
        return st;
    }
    *out = gm;
    return SINSPACE_OK;
}

void
sinspace__geomask_destroy(sinspace_geomask *gm)
{
    if (!gm)
        return;
    sqlite3_finalize(gm->areas_of);
    sqlite3_finalize(gm->density_of);
    sqlite3_finalize(gm->polygon_of);
    for (int i = 0; i < POLY_CACHE; i++) {
        if (gm->polys[i].prepared)
            GEOSPreparedGeom_destroy_r(gm->ctx->geos, gm->polys[i].prepared);
        if (gm->polys[i].geom)
            GEOSGeom_destroy_r(gm->ctx->geos, gm->polys[i].geom);
    }
    if (gm->reader)
        GEOSWKBReader_destroy_r(gm->ctx->geos, gm->reader);
    free(gm->densities);
    memset(gm->secret, 0, sizeof gm->secret);
    free(gm);
}

void
sinspace__geomask_uniforms(const unsigned char *secret, size_t secret_size,
                           const char *ext_id, unsigned block, double u[4])
{
    struct hmac_sha256_ctx h;
    uint8_t digest[SHA256_DIGEST_SIZE];
    static const char domain[] = "sinspace-geomask-v1";
    uint8_t counter[4] = {(uint8_t)(block >> 24), (uint8_t)(block >> 16),
                          (uint8_t)(block >> 8), (uint8_t)block};
    hmac_sha256_set_key(&h, secret_size, secret);
    hmac_sha256_update(&h, sizeof domain, (const uint8_t *)domain); /* with NUL */
    hmac_sha256_update(&h, strlen(ext_id) + 1, (const uint8_t *)ext_id);
    hmac_sha256_update(&h, sizeof counter, counter);
    hmac_sha256_digest(&h, sizeof digest, digest);
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++)
            v = (v << 8) | digest[8 * i + b];
        u[i] = (double)(v >> 11) * 0x1.0p-53;
    }
}

/* Workplaces per km2 of an area, cached. */
static sinspace_status
area_density(sinspace_geomask *gm, long long area_id, double *out)
{
    if (gm->cap_densities) {
        size_t mask = gm->cap_densities - 1;
        for (size_t i = (size_t)area_id & mask;; i = (i + 1) & mask) {
            if (gm->densities[i].area_id == area_id) {
                *out = gm->densities[i].density;
                return SINSPACE_OK;
            }
            if (!gm->densities[i].area_id)
                break;
        }
    }
    double density = NAN;
    sqlite3_reset(gm->density_of);
    sqlite3_bind_int64(gm->density_of, 1, area_id);
    int rc = sqlite3_step(gm->density_of);
    if (rc == SQLITE_ROW && sqlite3_column_type(gm->density_of, 1) != SQLITE_NULL) {
        double km2 = sqlite3_column_double(gm->density_of, 1);
        if (km2 > 0)
            density = (double)sqlite3_column_int64(gm->density_of, 0) / km2;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return sinspace__db_error(gm->store, "geomasking: area density");
    }
    sqlite3_reset(gm->density_of);
    if (2 * (gm->n_densities + 1) > gm->cap_densities) {
        size_t cap = gm->cap_densities ? 2 * gm->cap_densities : 64;
        density_entry *t = calloc(cap, sizeof *t);
        if (!t)
            return sinspace__error(gm->ctx, SINSPACE_NO_MEMORY, "out of memory");
        for (size_t i = 0; i < gm->cap_densities; i++) {
            if (!gm->densities[i].area_id)
                continue;
            size_t j = (size_t)gm->densities[i].area_id & (cap - 1);
            while (t[j].area_id)
                j = (j + 1) & (cap - 1);
            t[j] = gm->densities[i];
        }
        free(gm->densities);
        gm->densities = t;
        gm->cap_densities = cap;
    }
    size_t j = (size_t)area_id & (gm->cap_densities - 1);
    while (gm->densities[j].area_id)
        j = (j + 1) & (gm->cap_densities - 1);
    gm->densities[j].area_id = area_id;
    gm->densities[j].density = density;
    gm->n_densities++;
    *out = density;
    return SINSPACE_OK;
}

/* The prepared polygon of an area, from the cache or the store. */
static sinspace_status
area_polygon(sinspace_geomask *gm, long long area_id,
             const GEOSPreparedGeometry **out)
{
    for (int i = 0; i < POLY_CACHE; i++)
        if (gm->polys[i].area_id == area_id) {
            *out = gm->polys[i].prepared;
            return SINSPACE_OK;
        }
    GEOSContextHandle_t geos = gm->ctx->geos;
    sqlite3_reset(gm->polygon_of);
    sqlite3_bind_int64(gm->polygon_of, 1, area_id);
    if (sqlite3_step(gm->polygon_of) != SQLITE_ROW ||
        sqlite3_column_type(gm->polygon_of, 0) != SQLITE_BLOB) {
        sqlite3_reset(gm->polygon_of);
        return sinspace__error(gm->ctx, SINSPACE_DATABASE,
                               "%s: geomasking: area %lld has no polygon",
                               gm->store->path, area_id);
    }
    GEOSGeometry *g = GEOSWKBReader_read_r(
        geos, gm->reader, sqlite3_column_blob(gm->polygon_of, 0),
        (size_t)sqlite3_column_bytes(gm->polygon_of, 0));
    sqlite3_reset(gm->polygon_of);
    if (!g)
        return sinspace__error(gm->ctx, SINSPACE_ERROR,
                               "geomasking: area %lld: GEOS: %s", area_id,
                               gm->ctx->geos_message);
    const GEOSPreparedGeometry *p = GEOSPrepare_r(geos, g);
    if (!p) {
        GEOSGeom_destroy_r(geos, g);
        return sinspace__error(gm->ctx, SINSPACE_ERROR,
                               "geomasking: area %lld: GEOS: %s", area_id,
                               gm->ctx->geos_message);
    }
    poly_entry *e = &gm->polys[gm->next_poly];
    gm->next_poly = (gm->next_poly + 1) % POLY_CACHE;
    if (e->prepared)
        GEOSPreparedGeom_destroy_r(geos, e->prepared);
    if (e->geom)
        GEOSGeom_destroy_r(geos, e->geom);
    e->area_id = area_id;
    e->geom = g;
    e->prepared = p;
    *out = p;
    return SINSPACE_OK;
}

/* 1 if lon/lat lies in the polygon (boundary included), 0 if not, -1 on a
 * GEOS failure. */
static int
inside(sinspace_geomask *gm, const GEOSPreparedGeometry *poly, double lon,
       double lat)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gm->ctx->geos, lon, lat);
    if (!pt)
        return -1;
    char r = GEOSPreparedIntersects_r(gm->ctx->geos, poly, pt);
    GEOSGeom_destroy_r(gm->ctx->geos, pt);
    return r == 2 ? -1 : r;
}

sinspace_status
sinspace__geomask_point(sinspace_geomask *gm, long long workplace_id,
                        const char *ext_id, double lon, double lat,
                        sinspace_geomask_result *out)
{
    /* The areas holding the workplace: keep it inside the finest of
     * district and province; judge density on subdistrict, else district. */
    long long keep_id = 0, density_id = 0;
    int keep_rank = -1, density_rank = -1;
    char keep_code[64] = "";
    sqlite3_reset(gm->areas_of);
    sqlite3_bind_int64(gm->areas_of, 1, workplace_id);
    int rc;
    while ((rc = sqlite3_step(gm->areas_of)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(gm->areas_of, 0);
        int rank = sqlite3_column_int(gm->areas_of, 1);
        const char *code = (const char *)sqlite3_column_text(gm->areas_of, 2);
        if (rank <= SINSPACE_LEVEL_DISTRICT && rank > keep_rank) {
            keep_rank = rank;
            keep_id = id;
            snprintf(keep_code, sizeof keep_code, "%s", code ? code : "");
        }
        if (rank >= SINSPACE_LEVEL_DISTRICT && rank > density_rank) {
            density_rank = rank;
            density_id = id;
        }
    }
    sqlite3_reset(gm->areas_of);
    if (rc != SQLITE_DONE)
        return sinspace__db_error(gm->store, "geomasking: areas of a workplace");

    double density = NAN;
    sinspace_status st;
    if (density_id && (st = area_density(gm, density_id, &density)))
        return st;
    int urban = !isnan(density) && density >= SINSPACE_GEOMASK_URBAN_DENSITY;

    const GEOSPreparedGeometry *poly = NULL;
    if (keep_id && (st = area_polygon(gm, keep_id, &poly)))
        return st;

    double u[4];
    sinspace__geomask_uniforms(gm->secret, sizeof gm->secret, ext_id, 0, u);
    double max_m = urban ? SINSPACE_GEOMASK_URBAN_M
                 : u[0] < SINSPACE_GEOMASK_FAR_SHARE ? SINSPACE_GEOMASK_FAR_M
                                                      : SINSPACE_GEOMASK_RURAL_M;
    /* Should a small district refuse every try at the full distance, the
     * later tries use the urban limit: still at least 100 m. */
    for (unsigned attempt = 0; attempt < 2 * MAX_ATTEMPTS; attempt++) {
        double limit = attempt < MAX_ATTEMPTS ? max_m
                     : fmin(max_m, SINSPACE_GEOMASK_URBAN_M);
        sinspace__geomask_uniforms(gm->secret, sizeof gm->secret, ext_id,
                                   attempt + 1, u);
        double azimuth = u[0] * 360.0 - 180.0;
        double dist = SINSPACE_GEOMASK_MIN_M + u[1] * (limit - SINSPACE_GEOMASK_MIN_M);
        double lat2, lon2;
        geod_direct(&gm->geod, lat, lon, azimuth, dist, &lat2, &lon2, NULL);
        if (poly) {
            int in = inside(gm, poly, lon2, lat2);
            if (in < 0)
                return sinspace__error(gm->ctx, SINSPACE_ERROR,
                                       "geomasking: GEOS: %s", gm->ctx->geos_message);
            if (!in)
                continue;
        }
        out->lon = lon2;
        out->lat = lat2;
        out->distance_m = dist;
        out->max_m = limit;
        out->urban = urban;
        snprintf(out->kept_in, sizeof out->kept_in, "%s", keep_code);
        out->kept_level = keep_rank;
        return SINSPACE_OK;
    }
    return sinspace__error(gm->ctx, SINSPACE_ERROR,
                           "geomasking: workplace %s: no displaced point inside "
                           "area %s after %d tries", ext_id, keep_code,
                           2 * MAX_ATTEMPTS);
}
