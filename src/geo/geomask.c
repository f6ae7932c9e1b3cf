/* geomask.c: DHS-style displacement of workplace points for public exports
 * (see geomask.h and docs/export.md).
 *
 * Per workplace it needs the areas that hold it (area_members), the density
 * of its subdistrict or district, and that district's polygon as a GEOS
 * prepared geometry.  Densities are cached per area and polygons in a small
 * round-robin cache, so memory is bounded by the number of areas, never by
 * the number of workplaces. */
#include "geo/geomask.h"
#include "store/export.h"
#include "store/query.h"

#include <geodesic.h>
#include <nettle/hmac.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAX_ATTEMPTS 1000
#define POLY_CACHE 64

/* The water polygons near an area (or a point): each prepared, with its
 * box, so a candidate point is tested only against those whose box holds
 * it. */
typedef struct water_set {
    size_t n, cap;
    GEOSGeometry **geom;
    const GEOSPreparedGeometry **prepared;
    double (*box)[4];           /* west, south, east, north */
} water_set;

typedef struct poly_entry {
    long long area_id; /* 0: empty */
    GEOSGeometry *geom;
    const GEOSPreparedGeometry *prepared;
    water_set water;            /* the water inside the area's box */
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
    const sinspace__query_ops *ops;
    const sinspace__export_ops *xops; /* the water layer */
    sinspace__area_lookup *lookup; /* the store's prepared lookups */
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
    sinspace_status st;
    char hex[2 * SINSPACE_GEOMASK_SECRET_BYTES + 1];
    hex[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        if ((st = gm->ops->geomask_secret(store, hex, sizeof hex)))
            return st;
        if (hex[0] || pass == 1)
            break;
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
        st = gm->ops->geomask_secret_create(store, fresh);
        if (st == SINSPACE_PERMISSION)
            return sinspace__error(gm->ctx, SINSPACE_PERMISSION,
                                   "%s: the geomasking secret is created on the "
                                   "first public export, which needs the "
                                   "database open for writing",
                                   sinspace_store_path(store));
        if (st)
            return st;
        sinspace__log(gm->ctx, SINSPACE_LOG_INFO,
                      "%s: created the geomasking secret", sinspace_store_path(store));
    }
    if (strlen(hex) != 2 * SINSPACE_GEOMASK_SECRET_BYTES)
        return sinspace__error(gm->ctx, SINSPACE_SCHEMA,
                               "%s: the geomasking secret is malformed",
                               sinspace_store_path(store));
    for (int i = 0; i < SINSPACE_GEOMASK_SECRET_BYTES; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return sinspace__error(gm->ctx, SINSPACE_SCHEMA,
                                   "%s: the geomasking secret is malformed",
                                   sinspace_store_path(store));
        gm->secret[i] = (unsigned char)(hi * 16 + lo);
    }
    return SINSPACE_OK;
}

sinspace_status
sinspace__geomask_create(sinspace_store *store, sinspace_geomask **out)
{
    sinspace_context *ctx = sinspace_store_context(store);
    sinspace_geomask *gm = calloc(1, sizeof *gm);
    if (!gm)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    gm->store = store;
    gm->ctx = ctx;
    gm->ops = sinspace__store_engine(store)->query;
    gm->xops = sinspace__store_engine(store)->export;
    geod_init(&gm->geod, 6378137.0, 1.0 / 298.257223563);
    sinspace_status st = load_secret(gm);
    if (!st)
        st = gm->ops->lookup_open(store, &gm->lookup);
    if (!st && !(gm->reader = GEOSWKBReader_create_r(gm->ctx->geos)))
        st = sinspace__error(gm->ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (st) {
        sinspace__geomask_destroy(gm);
        return st;
    }
    *out = gm;
    return SINSPACE_OK;
}

static void
water_free(sinspace_geomask *gm, water_set *w)
{
    for (size_t i = 0; i < w->n; i++) {
        GEOSPreparedGeom_destroy_r(gm->ctx->geos, w->prepared[i]);
        GEOSGeom_destroy_r(gm->ctx->geos, w->geom[i]);
    }
    free(w->geom);
    free(w->prepared);
    free(w->box);
    memset(w, 0, sizeof *w);
}

void
sinspace__geomask_destroy(sinspace_geomask *gm)
{
    if (!gm)
        return;
    if (gm->lookup)
        gm->ops->lookup_close(gm->lookup);
    for (int i = 0; i < POLY_CACHE; i++) {
        if (gm->polys[i].prepared)
            GEOSPreparedGeom_destroy_r(gm->ctx->geos, gm->polys[i].prepared);
        if (gm->polys[i].geom)
            GEOSGeom_destroy_r(gm->ctx->geos, gm->polys[i].geom);
        water_free(gm, &gm->polys[i].water);
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

long long
sinspace__geomask_order_key(const sinspace_geomask *gm, const char *ext_id)
{
    struct hmac_sha256_ctx h;
    uint8_t digest[SHA256_DIGEST_SIZE];
    /* Its own domain: the order tells nothing of the displacement. */
    static const char domain[] = "sinspace-order-v1";
    hmac_sha256_set_key(&h, sizeof gm->secret, gm->secret);
    hmac_sha256_update(&h, sizeof domain, (const uint8_t *)domain); /* with NUL */
    hmac_sha256_update(&h, strlen(ext_id) + 1, (const uint8_t *)ext_id);
    hmac_sha256_digest(&h, sizeof digest, digest);
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v = (v << 8) | digest[b];
    return (long long)(v >> 1); /* 63 bits: a non-negative SQLite integer */
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
    double density = NAN, km2;
    long long members;
    sinspace_status st = gm->ops->area_density(gm->store, gm->lookup, area_id,
                                               &members, &km2);
    if (st)
        return st;
    if (!isnan(km2) && km2 > 0)
        density = (double)members / km2;
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

/* An area's polygon read by GEOS as the store hands it out. */
typedef struct polygon_read {
    sinspace_geomask *gm;
    GEOSGeometry *g;            /* NULL: GEOS could not read it */
} polygon_read;

static int
read_polygon(void *user, const unsigned char *wkb, size_t size)
{
    polygon_read *pr = user;
    pr->g = GEOSWKBReader_read_r(pr->gm->ctx->geos, pr->gm->reader, wkb, size);
    return 1;
}

/* Water polygons read into a set as the store hands them out. */
typedef struct water_read {
    sinspace_geomask *gm;
    water_set *w;
    sinspace_status st;
} water_read;

static int
add_water(void *user, const unsigned char *wkb, size_t size)
{
    water_read *wr = user;
    sinspace_geomask *gm = wr->gm;
    GEOSContextHandle_t geos = gm->ctx->geos;
    water_set *w = wr->w;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        GEOSGeometry **g = realloc(w->geom, cap * sizeof *g);
        if (g)
            w->geom = g;
        const GEOSPreparedGeometry **p = realloc(w->prepared, cap * sizeof *p);
        if (p)
            w->prepared = p;
        double (*b)[4] = realloc(w->box, cap * sizeof *b);
        if (b)
            w->box = b;
        if (!g || !p || !b) {
            wr->st = sinspace__error(gm->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        w->cap = cap;
    }
    GEOSGeometry *g = GEOSWKBReader_read_r(geos, gm->reader, wkb, size);
    const GEOSPreparedGeometry *p = g ? GEOSPrepare_r(geos, g) : NULL;
    double *b = w->box[w->n];
    if (!p || !GEOSGeom_getXMin_r(geos, g, &b[0]) ||
        !GEOSGeom_getYMin_r(geos, g, &b[1]) ||
        !GEOSGeom_getXMax_r(geos, g, &b[2]) ||
        !GEOSGeom_getYMax_r(geos, g, &b[3])) {
        if (p)
            GEOSPreparedGeom_destroy_r(geos, p);
        if (g)
            GEOSGeom_destroy_r(geos, g);
        wr->st = sinspace__error(gm->ctx, SINSPACE_ERROR,
                                 "geomasking: a water polygon: GEOS: %s",
                                 gm->ctx->geos_message);
        return 1;
    }
    w->geom[w->n] = g;
    w->prepared[w->n] = p;
    w->n++;
    return 0;
}

/* The water whose boxes meet box (none when the store has no water
 * layer). */
static sinspace_status
water_load(sinspace_geomask *gm, const double box[4], water_set *w)
{
    water_read wr = {gm, w, SINSPACE_OK};
    sinspace_status st = gm->xops->water_in_box(gm->store, box, add_water, &wr);
    if (!st)
        st = wr.st;
    if (st)
        water_free(gm, w);
    return st;
}

/* 1 if lon/lat lies in (or on the shore of) a water polygon of w, 0 if
 * not, -1 on a GEOS failure. */
static int
in_water(sinspace_geomask *gm, const water_set *w, double lon, double lat)
{
    GEOSGeometry *pt = NULL;
    int r = 0;
    for (size_t i = 0; i < w->n && !r; i++) {
        const double *b = w->box[i];
        if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3])
            continue;
        if (!pt && !(pt = GEOSGeom_createPointFromXY_r(gm->ctx->geos, lon, lat)))
            return -1;
        char c = GEOSPreparedIntersects_r(gm->ctx->geos, w->prepared[i], pt);
        r = c == 2 ? -1 : c;
    }
    if (pt)
        GEOSGeom_destroy_r(gm->ctx->geos, pt);
    return r;
}

/* The prepared polygon of an area and the water in its box, from the
 * cache or the store. */
static sinspace_status
area_polygon(sinspace_geomask *gm, long long area_id, const poly_entry **out)
{
    for (int i = 0; i < POLY_CACHE; i++)
        if (gm->polys[i].area_id == area_id) {
            *out = &gm->polys[i];
            return SINSPACE_OK;
        }
    GEOSContextHandle_t geos = gm->ctx->geos;
    polygon_read pr = {gm, NULL};
    int found = 0;
    sinspace_status st = gm->ops->area_geometry(gm->store, gm->lookup, area_id,
                                                read_polygon, &pr, &found);
    if (st) {
        if (pr.g)
            GEOSGeom_destroy_r(geos, pr.g);
        return st;
    }
    if (!found)
        return sinspace__error(gm->ctx, SINSPACE_DATABASE,
                               "%s: geomasking: area %lld has no polygon",
                               sinspace_store_path(gm->store), area_id);
    GEOSGeometry *g = pr.g;
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
    double box[4];
    if (!GEOSGeom_getXMin_r(geos, g, &box[0]) || !GEOSGeom_getYMin_r(geos, g, &box[1]) ||
        !GEOSGeom_getXMax_r(geos, g, &box[2]) || !GEOSGeom_getYMax_r(geos, g, &box[3])) {
        GEOSPreparedGeom_destroy_r(geos, p);
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
    water_free(gm, &e->water);
    e->area_id = 0;
    e->geom = g;
    e->prepared = p;
    sinspace_status st2 = water_load(gm, box, &e->water);
    if (st2) {
        GEOSPreparedGeom_destroy_r(geos, p);
        GEOSGeom_destroy_r(geos, g);
        e->geom = NULL;
        e->prepared = NULL;
        return st2;
    }
    e->area_id = area_id;
    *out = e;
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

/* The areas holding a workplace, as the store hands them out. */
typedef struct holders {
    long long keep_id, density_id;
    int keep_rank, density_rank;
    char keep_code[64];
} holders;

static int
on_holder(void *user, long long id, int rank, const char *code)
{
    holders *hd = user;
    if (rank <= SINSPACE_LEVEL_DISTRICT && rank > hd->keep_rank) {
        hd->keep_rank = rank;
        hd->keep_id = id;
        snprintf(hd->keep_code, sizeof hd->keep_code, "%s", code ? code : "");
    }
    if (rank >= SINSPACE_LEVEL_DISTRICT && rank > hd->density_rank) {
        hd->density_rank = rank;
        hd->density_id = id;
    }
    return 0;
}

sinspace_status
sinspace__geomask_point(sinspace_geomask *gm, long long workplace_id,
                        const char *ext_id, double lon, double lat,
                        sinspace_geomask_result *out)
{
    /* The areas holding the workplace (provinces to subdistricts): keep it
     * inside the finest of district and province; judge density on
     * subdistrict, else district. */
    holders hd = {0, 0, -1, -1, ""};
    sinspace_status st = gm->ops->areas_of(gm->store, gm->lookup, workplace_id,
                                           SINSPACE_LEVEL_PROVINCE,
                                           SINSPACE_LEVEL_SUBDISTRICT, on_holder, &hd);
    if (st)
        return st;
    long long keep_id = hd.keep_id, density_id = hd.density_id;
    int keep_rank = hd.keep_rank;
    char keep_code[64];
    snprintf(keep_code, sizeof keep_code, "%s", hd.keep_code);

    double density = NAN;
    if (density_id && (st = area_density(gm, density_id, &density)))
        return st;
    int urban = !isnan(density) && density >= SINSPACE_GEOMASK_URBAN_DENSITY;

    const poly_entry *area = NULL;
    if (keep_id && (st = area_polygon(gm, keep_id, &area)))
        return st;
    const GEOSPreparedGeometry *poly = area ? area->prepared : NULL;

    double u[4];
    sinspace__geomask_uniforms(gm->secret, sizeof gm->secret, ext_id, 0, u);
    double max_m = urban ? SINSPACE_GEOMASK_URBAN_M
                 : u[0] < SINSPACE_GEOMASK_FAR_SHARE ? SINSPACE_GEOMASK_FAR_M
                                                      : SINSPACE_GEOMASK_RURAL_M;
    /* The water a displaced point must miss: the area's (cached with its
     * polygon), or with no area known, what lies within reach of the
     * point (a box a little wider than the longest displacement). */
    water_set near = {0};
    const water_set *water = area ? &area->water : &near;
    if (!area) {
        double dlat = (max_m + 1000.0) / 110000.0;
        double c = cos(lat * M_PI / 180.0);
        double dlon = c > 0.01 ? dlat / c : 180.0;
        double box[4] = {lon - dlon, lat - dlat, lon + dlon, lat + dlat};
        if ((st = water_load(gm, box, &near)))
            return st;
    }
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
            if (in < 0) {
                water_free(gm, &near);
                return sinspace__error(gm->ctx, SINSPACE_ERROR,
                                       "geomasking: GEOS: %s", gm->ctx->geos_message);
            }
            if (!in)
                continue;
        }
        int wet = in_water(gm, water, lon2, lat2);
        if (wet < 0) {
            water_free(gm, &near);
            return sinspace__error(gm->ctx, SINSPACE_ERROR,
                                   "geomasking: GEOS: %s", gm->ctx->geos_message);
        }
        if (wet)
            continue;
        water_free(gm, &near);
        out->lon = lon2;
        out->lat = lat2;
        out->distance_m = dist;
        out->max_m = limit;
        out->urban = urban;
        snprintf(out->kept_in, sizeof out->kept_in, "%s", keep_code);
        out->kept_level = keep_rank;
        return SINSPACE_OK;
    }
    water_free(gm, &near);
    return sinspace__error(gm->ctx, SINSPACE_ERROR,
                           "geomasking: workplace %s: no displaced point on land "
                           "inside area %s after %d tries", ext_id, keep_code,
                           2 * MAX_ATTEMPTS);
}
