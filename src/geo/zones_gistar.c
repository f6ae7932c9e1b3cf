/* zones_gistar.c: zones from significance (see sinspace/zones.h and
 * docs/zones.md).
 *
 * Gi* runs on the open workplaces of the study region
 * (sinspace_hotspots_compute); the hot spots at the chosen confidence each
 * get a geodesic disc of radius band (geod_direct, 64 vertices); GEOS
 * dissolves the discs, clips them to the region and takes out the water
 * layer; each polygon left is one zone, counted over the workplaces Gi*
 * weighed.  The run is written, with its name and parameters, in one
 * transaction with its audit row. */
#include "geo/hotspots_int.h"
#include "geo/queryInt.h"
#include "store/export.h"
#include "store/zones.h"

#include <sinspace/hotspots.h>
#include <sinspace/risk.h>
#include <sinspace/zones.h>

#include <geodesic.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DISC_VERTICES 64

void
sinspace_zones_gistar_options_init(sinspace_zones_gistar_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->confidence = 95;
    opts->fdr = 1;
}

typedef struct zpt {
    double lon, lat, risk, z;
    int bin;
} zpt;

typedef struct zcollect {
    sinspace_context *ctx;
    zpt *p;
    size_t n, cap;
    sinspace_status st;
} zcollect;

static int
on_row(void *user, const sinspace_hotspot_row *r)
{
    zcollect *c = user;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        zpt *g = realloc(c->p, cap * sizeof *g);
        if (!g) {
            c->st = sinspace__error(c->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        c->p = g;
        c->cap = cap;
    }
    c->p[c->n++] = (zpt){r->lon, r->lat, r->risk, r->z, r->bin};
    return 0;
}

static GEOSGeometry *
disc(GEOSContextHandle_t h, const struct geod_geodesic *g, double lon, double lat,
     double radius)
{
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, DISC_VERTICES + 1, 2);
    if (!seq)
        return NULL;
    for (int i = 0; i <= DISC_VERTICES; i++) {
        double lat2, lon2;
        double az = 360.0 - 360.0 * (i % DISC_VERTICES) / DISC_VERTICES;
        geod_direct(g, lat, lon, az, radius, &lat2, &lon2, NULL);
        GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, lon2, lat2);
    }
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, seq);
    return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
}

typedef struct water_acc {
    GEOSContextHandle_t h;
    GEOSWKBReader *reader;
    GEOSGeometry **g;
    size_t n, cap;
} water_acc;

static int
on_water(void *user, const unsigned char *wkb, size_t size)
{
    water_acc *w = user;
    GEOSGeometry *g = GEOSWKBReader_read_r(w->h, w->reader, wkb, size);
    if (!g)
        return 0;
    if (!GEOSisValid_r(w->h, g)) {
        GEOSGeometry *v = GEOSMakeValid_r(w->h, g);
        GEOSGeom_destroy_r(w->h, g);
        if (!v)
            return 0;
        g = v;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        GEOSGeometry **gg = realloc(w->g, cap * sizeof *gg);
        if (!gg) {
            GEOSGeom_destroy_r(w->h, g);
            return 1;
        }
        w->g = gg;
        w->cap = cap;
    }
    w->g[w->n++] = g;
    return 0;
}

typedef struct zone_out {
    GEOSGeometry *geom;
    long long n, high;
    double sum_risk, max_risk, sum_z, max_z;
    double area;
} zone_out;

static int
cmp_zone(const void *a, const void *b)
{
    const zone_out *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

sinspace_status
sinspace_zones_gistar(sinspace_store *store, const sinspace_zones_gistar_options *opts,
                      int (*fn)(void *user_data, const sinspace_zone *zone),
                      void *user_data, sinspace_zones_gistar_result *result)
{
    if (!store)
        return SINSPACE_INVALID_ARGUMENT;
    sinspace_context *ctx = sinspace_store_context(store);
    sinspace_zones_gistar_options def;
    if (!opts) {
        sinspace_zones_gistar_options_init(&def);
        opts = &def;
    }
    int level = opts->confidence == 90 ? 1 : opts->confidence == 95 ? 2
              : opts->confidence == 99 ? 3 : 0;
    if (!level)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: the confidence is 90, 95 or 99 (%%), not %d",
                               opts->confidence);
    if (opts->name && (!opts->name[0] || strlen(opts->name) > 80))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "zones: a run name has 1 to 80 characters");
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "zones: the store is open read-only");
    sinspace_zones_gistar_result res;
    memset(&res, 0, sizeof res);
    sinspace_hotspots_options ho;
    sinspace_hotspots_options_init(&ho);
    ho.region = opts->weigh_all ? NULL : opts->region;
    ho.band_m = opts->band_m;
    ho.fdr = opts->fdr;
    sinspace_hotspots_result hr;
    zcollect c = {ctx, NULL, 0, 0, SINSPACE_OK};
    sinspace_status st = sinspace_hotspots_compute(store, &ho, on_row, &c, &hr);
    if (!st && c.st)
        st = c.st;
    if (st == SINSPACE_INVALID_ARGUMENT && !c.st) {
        /* Gi* is undefined on these workplaces (fewer than 2, or all of
         * one risk): a run without zones, and the reason. */
        snprintf(res.note, sizeof res.note, "%s", sinspace_context_message(ctx));
        sinspace_context_clear(ctx);
        memset(&hr, 0, sizeof hr);
        hr.gistar.band_m = opts->band_m;
        st = SINSPACE_OK;
    }
    GEOSContextHandle_t h = ctx->geos;
    GEOSGeometry *all = NULL;
    zone_out *zones = NULL;
    size_t n_zones = 0;
    struct geod_geodesic g;
    geod_init(&g, SINSPACE_WGS84_A, SINSPACE_WGS84_F);
    double band = hr.gistar.band_m;
    if (!st) {
        res.workplaces = hr.workplaces;
        res.band_m = band;
        res.band_auto = hr.band_auto;
        size_t n_hot = 0;
        for (size_t i = 0; i < c.n; i++)
            n_hot += c.p[i].bin >= level;
        res.hot = (long long)n_hot;
        GEOSGeometry **discs = malloc((n_hot ? n_hot : 1) * sizeof *discs);
        size_t k = 0;
        for (size_t i = 0; discs && i < c.n; i++)
            if (c.p[i].bin >= level) {
                discs[k] = disc(h, &g, c.p[i].lon, c.p[i].lat, band);
                if (discs[k])
                    k++;
            }
        if (!discs || k != n_hot) {
            for (size_t i = 0; discs && i < k; i++)
                GEOSGeom_destroy_r(h, discs[i]);
            free(discs);
            st = sinspace__error(ctx, SINSPACE_ERROR, "zones: GEOS could not make a disc");
        } else if (k) {
            GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, discs,
                                                             (unsigned)k);
            free(discs);
            all = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
            if (coll)
                GEOSGeom_destroy_r(h, coll);
            if (!all)
                st = sinspace__error(ctx, SINSPACE_ERROR, "zones: GEOS could not dissolve "
                                     "the hot spots' discs");
        } else {
            free(discs);
        }
    }
    /* Clip to the study region. */
    if (!st && all && opts->region) {
        sinspace_region *r = (sinspace_region *)opts->region;
        const unsigned char *wkb;
        size_t size;
        st = sinspace_region_wkb(r, &wkb, &size);
        GEOSWKBReader *rd = st ? NULL : GEOSWKBReader_create_r(h);
        GEOSGeometry *clip = rd ? GEOSWKBReader_read_r(h, rd, wkb, size) : NULL;
        if (rd)
            GEOSWKBReader_destroy_r(h, rd);
        GEOSGeometry *cut = clip ? GEOSIntersection_r(h, all, clip) : NULL;
        if (clip)
            GEOSGeom_destroy_r(h, clip);
        if (!st && !cut)
            st = sinspace__error(ctx, SINSPACE_ERROR, "zones: GEOS could not clip the "
                                 "zones to %s", sinspace_region_describe(opts->region));
        if (cut) {
            GEOSGeom_destroy_r(h, all);
            all = cut;
        }
    }
    /* Take out the water. */
    if (!st && all && !GEOSisEmpty_r(h, all)) {
        double box[4];
        GEOSGeom_getXMin_r(h, all, &box[0]);
        GEOSGeom_getYMin_r(h, all, &box[1]);
        GEOSGeom_getXMax_r(h, all, &box[2]);
        GEOSGeom_getYMax_r(h, all, &box[3]);
        water_acc w = {h, GEOSWKBReader_create_r(h), NULL, 0, 0};
        const sinspace__export_ops *xops = sinspace__store_engine(store)->export;
        if (w.reader && xops && xops->water_in_box)
            st = xops->water_in_box(store, box, on_water, &w);
        if (!st && w.n) {
            GEOSGeometry *wc = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
                                                           w.g, (unsigned)w.n);
            GEOSGeometry *wu = wc ? GEOSUnaryUnion_r(h, wc) : NULL;
            GEOSGeometry *dry = wu ? GEOSDifference_r(h, all, wu) : NULL;
            if (!dry)
                st = sinspace__error(ctx, SINSPACE_ERROR, "zones: GEOS could not take "
                                     "the water out of the zones");
            else {
                GEOSGeom_destroy_r(h, all);
                all = dry;
            }
            res.water_parts = (long long)w.n;
            if (wu)
                GEOSGeom_destroy_r(h, wu);
            if (wc)
                GEOSGeom_destroy_r(h, wc);
            else
                for (size_t i = 0; i < w.n; i++)
                    GEOSGeom_destroy_r(h, w.g[i]);
        } else {
            for (size_t i = 0; i < w.n; i++)
                GEOSGeom_destroy_r(h, w.g[i]);
        }
        free(w.g);
        if (w.reader)
            GEOSWKBReader_destroy_r(h, w.reader);
    }
    /* One zone per polygon, counted over the workplaces Gi* weighed. */
    if (!st && all && !GEOSisEmpty_r(h, all)) {
        int parts = GEOSGetNumGeometries_r(h, all);
        zones = calloc((size_t)(parts > 0 ? parts : 1), sizeof *zones);
        if (!zones)
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        GEOSContextHandle_t hh = h;
        for (int i = 0; !st && i < parts; i++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(hh, all, i);
            if (GEOSGeomTypeId_r(hh, part) != GEOS_POLYGON)
                continue;
            const GEOSPreparedGeometry *pg = GEOSPrepare_r(hh, part);
            if (!pg)
                continue;
            zone_out z = {0};
            long long hot_in = 0;
            z.max_risk = -INFINITY;
            z.max_z = -INFINITY;
            for (size_t k = 0; k < c.n; k++) {
                GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(hh, c.p[k].lon, c.p[k].lat);
                if (!pt)
                    continue;
                if (GEOSPreparedIntersects_r(hh, pg, pt) == 1) {
                    z.n++;
                    hot_in += c.p[k].bin >= level;
                    z.sum_risk += c.p[k].risk;
                    z.high += c.p[k].risk >= SINSPACE_RISK_HIGH;
                    if (c.p[k].risk > z.max_risk)
                        z.max_risk = c.p[k].risk;
                    if (!isnan(c.p[k].z)) {
                        z.sum_z += c.p[k].z;
                        if (c.p[k].z > z.max_z)
                            z.max_z = c.p[k].z;
                    }
                }
                GEOSGeom_destroy_r(hh, pt);
            }
            GEOSPreparedGeom_destroy_r(hh, pg);
            /* A sliver cut off by the region's edge or the water, holding
             * no hot spot of its own, is not a zone. */
            if (z.n == 0 || hot_in == 0)
                continue;
            z.geom = GEOSGeom_clone_r(hh, part);
            if (!z.geom) {
                st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
                break;
            }
            zones[n_zones++] = z;
        }
        qsort(zones, n_zones, sizeof *zones, cmp_zone);
    }
    /* Write the run. */
    sinspace__zone_new *nz = NULL;
    double *share = NULL, *meanz = NULL;
    unsigned char **wkbs = NULL;
    char name[96], params[256], now[32];
    if (!st) {
        sinspace__now_iso(now);
        if (opts->name)
            snprintf(name, sizeof name, "%s", opts->name);
        else {
            /* gistar-20261208T012345Z */
            char compact[32];
            size_t j = 0;
            for (const char *s = now; *s && j + 1 < sizeof compact; s++)
                if (*s != '-' && *s != ':')
                    compact[j++] = *s;
            compact[j] = '\0';
            snprintf(name, sizeof name, "gistar-%s", compact);
        }
        snprintf(res.name, sizeof res.name, "%s", name);
        snprintf(params, sizeof params, "method=gistar band=%.0fm%s confidence=%d fdr=%s"
                 " weigh=%s", band, hr.band_auto ? "(auto)" : "", opts->confidence,
                 opts->fdr ? "on" : "off", opts->weigh_all ? "all" : "region");
        nz = calloc(n_zones ? n_zones : 1, sizeof *nz);
        share = calloc(n_zones ? n_zones : 1, sizeof *share);
        meanz = calloc(n_zones ? n_zones : 1, sizeof *meanz);
        wkbs = calloc(n_zones ? n_zones : 1, sizeof *wkbs);
        GEOSWKBWriter *wr = GEOSWKBWriter_create_r(h);
        if (!nz || !share || !meanz || !wkbs || !wr)
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        if (wr) {
            GEOSWKBWriter_setOutputDimension_r(h, wr, 2);
            GEOSWKBWriter_setByteOrder_r(h, wr, GEOS_WKB_NDR);
        }
        for (size_t i = 0; !st && i < n_zones; i++) {
            zone_out *z = &zones[i];
            size_t size;
            wkbs[i] = GEOSWKBWriter_write_r(h, wr, z->geom, &size);
            if (!wkbs[i]) {
                st = sinspace__error(ctx, SINSPACE_ERROR, "zones: GEOS could not write "
                                     "a zone");
                break;
            }
            nz[i].workplaces = z->n;
            nz[i].mean_risk = z->sum_risk / (double)z->n;
            nz[i].max_risk = z->max_risk;
            nz[i].peak_density = isfinite(z->max_z) ? z->max_z : 0;
            nz[i].sectors = NULL;
            nz[i].wkb = wkbs[i];
            nz[i].wkb_size = size;
            share[i] = (double)z->high / (double)z->n;
            meanz[i] = z->sum_z / (double)z->n;
        }
        if (wr)
            GEOSWKBWriter_destroy_r(h, wr);
        if (!st) {
            const char *region = opts->region ? sinspace_region_describe(opts->region) : NULL;
            char target[256];
            snprintf(target, sizeof target, "zones run %s over %s", name,
                     region ? region : "everywhere");
            sinspace_audit_entry audit = {.command = "zones", .target = target,
                                          .filters = params, .rows = (long long)n_zones};
            sinspace__zone_run_new run = {name, now, "gistar", params, region,
                                          hr.workplaces, &audit};
            st = sinspace__store_engine(store)->zones->run_write(store, &run, nz, n_zones,
                                                                 share, meanz);
        }
        res.zones = (long long)n_zones;
    }
    for (size_t i = 0; !st && fn && i < n_zones; i++) {
        double clon = NAN, clat = NAN;
        GEOSGeometry *cen = GEOSGetCentroid_r(h, zones[i].geom);
        if (cen) {
            GEOSGeomGetX_r(h, cen, &clon);
            GEOSGeomGetY_r(h, cen, &clat);
            GEOSGeom_destroy_r(h, cen);
        }
        double area_m2 = 0;
        struct geod_polygon poly;
        geod_polygon_init(&poly, 0);
        const GEOSGeometry *ring = GEOSGetExteriorRing_r(h, zones[i].geom);
        const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
        unsigned np = 0;
        if (seq && GEOSCoordSeq_getSize_r(h, seq, &np))
            for (unsigned k = 0; k + 1 < np; k++) {
                double x, y;
                GEOSCoordSeq_getXY_r(h, seq, k, &x, &y);
                geod_polygon_addpoint(&g, &poly, y, x);
            }
        geod_polygon_compute(&g, &poly, 0, 1, &area_m2, NULL);
        int holes = GEOSGetNumInteriorRings_r(h, zones[i].geom);
        for (int k = 0; k < holes; k++) {
            struct geod_polygon hp;
            geod_polygon_init(&hp, 0);
            const GEOSGeometry *hr_ = GEOSGetInteriorRingN_r(h, zones[i].geom, k);
            const GEOSCoordSequence *hs = GEOSGeom_getCoordSeq_r(h, hr_);
            unsigned hn = 0;
            GEOSCoordSeq_getSize_r(h, hs, &hn);
            for (unsigned q = 0; q + 1 < hn; q++) {
                double x, y;
                GEOSCoordSeq_getXY_r(h, hs, q, &x, &y);
                geod_polygon_addpoint(&g, &hp, y, x);
            }
            double ha = 0;
            geod_polygon_compute(&g, &hp, 0, 1, &ha, NULL);
            area_m2 -= fabs(ha);
        }
        sinspace_zone z = {
            .id = nz[i].id, .workplaces = nz[i].workplaces, .mean_risk = nz[i].mean_risk,
            .max_risk = nz[i].max_risk, .peak_density = nz[i].peak_density,
            .sectors = NULL, .centroid_lon = clon, .centroid_lat = clat,
            .area_km2 = fabs(area_m2) / 1e6, .high_share = share[i], .mean_z = meanz[i],
            .run_id = 0,
        };
        if (fn(user_data, &z))
            break;
    }
    for (size_t i = 0; wkbs && i < n_zones; i++)
        if (wkbs[i])
            GEOSFree_r(h, wkbs[i]);
    free(wkbs);
    free(nz);
    free(share);
    free(meanz);
    for (size_t i = 0; i < n_zones; i++)
        GEOSGeom_destroy_r(h, zones[i].geom);
    free(zones);
    if (all)
        GEOSGeom_destroy_r(h, all);
    free(c.p);
    if (!st && result)
        *result = res;
    return st;
}

/* ---- runs ---------------------------------------------------------------- */

typedef struct run_fwd {
    int (*fn)(void *user_data, const sinspace_zone_run *run);
    void *user;
    long long id;
} run_fwd;

static int
on_run(void *user, const sinspace_zone_run *run)
{
    run_fwd *f = user;
    f->id = run->id;
    return f->fn ? f->fn(f->user, run) : 0;
}

sinspace_status
sinspace_zone_runs(sinspace_store *store,
                   int (*fn)(void *user_data, const sinspace_zone_run *run),
                   void *user_data)
{
    if (!store)
        return SINSPACE_INVALID_ARGUMENT;
    run_fwd f = {fn, user_data, 0};
    return sinspace__store_engine(store)->zones->runs(store, on_run, &f);
}

sinspace_status
sinspace_zone_run_zones(sinspace_store *store, const char *name,
                        int (*fn)(void *user_data, const sinspace_zone *zone),
                        void *user_data, long long *run_id)
{
    if (!store)
        return SINSPACE_INVALID_ARGUMENT;
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__zone_ops *ops = sinspace__store_engine(store)->zones;
    run_fwd f = {NULL, NULL, 0};
    int found = 0;
    sinspace_status st = ops->run_find(store, name, on_run, &f, &found);
    if (st)
        return st;
    if (!found)
        return sinspace__error(ctx, SINSPACE_NOT_FOUND, name ? "zones: no run named '%s' "
                               "(see: sinspace zones DB --runs)" : "zones: no run yet%s",
                               name ? name : "; compute one with sinspace zones DB");
    if (run_id)
        *run_id = f.id;
    if (!fn)
        return SINSPACE_OK;
    return ops->run_zones(store, f.id, fn, user_data);
}
