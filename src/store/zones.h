/* zones.h: the zones domain of the engine seam (see store/engine.h).
 *
 * What geo/zones.c asks of a store: the sector catalogue, the workplaces a
 * run weighs (everywhere or in one area), the atomic replacement of a run's
 * zones with its audit row, the stored zones, one zone's geometry, and the
 * areas of a level ranked by risk density.  The kernel density, the
 * contouring and the statistics stay in geo/zones.c. */
#ifndef SINSPACE_STORE_ZONES_H
#define SINSPACE_STORE_ZONES_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <sinspace/audit.h>
#include <sinspace/zones.h>
#include <sinspace/hotspots.h>

#include <stddef.h>

/* A workplace a zones run weighs; valid while the callback runs. */
typedef struct sinspace__zone_workplace {
    double lon, lat;    /* EPSG:4326 */
    double risk;
    const char *sector; /* NULL when none */
} sinspace__zone_workplace;

/* A zone to write. */
typedef struct sinspace__zone_new {
    long long id;             /* out: the id the engine gave it */
    long long workplaces;
    double mean_risk;         /* NaN when workplaces is 0: stored as NULL */
    double max_risk;          /* NaN when workplaces is 0: stored as NULL */
    double peak_density;
    const char *sectors;      /* NULL when none */
    const unsigned char *wkb; /* (multi)polygon, EPSG:4326 */
    size_t wkb_size;
} sinspace__zone_new;

/* The run a replacement writes. */
typedef struct sinspace__zone_run {
    /* The zones of the previous run over the same area are those whose
     * params begin with scope ("area=CODE " or "area=* "). */
    const char *scope;
    const char *params;      /* the run's parameters, stored with each zone */
    const char *computed_at; /* ISO 8601 UTC */
    const sinspace_audit_entry *audit; /* written in the same transaction */
} sinspace__zone_run;

typedef int (*sinspace__zone_sector_fn)(void *user, const char *code);
typedef int (*sinspace__zone_workplace_fn)(void *user,
                                           const sinspace__zone_workplace *w);
/* Zones as sinspace_zone; sectors is NULL when none, mean and max risk NaN
 * when NULL. */
typedef int (*sinspace__zone_fn)(void *user, const sinspace_zone *zone);
/* Areas as sinspace_area_rank (rank left 0: the caller numbers them);
 * numbers NaN when NULL. */
typedef int (*sinspace__zone_rank_fn)(void *user, const sinspace_area_rank *a);

/* A workplace a hot-spot run reads (Gi*): current risk, or one observation
 * of its history.  Strings valid while the callback runs. */
typedef struct sinspace__hotspot_point {
    long long row_id;
    const char *ext_id;
    double lon, lat;    /* EPSG:4326 */
    double risk;
    const char *observed; /* history only: the observation's date */
} sinspace__hotspot_point;
typedef int (*sinspace__hotspot_point_fn)(void *user,
                                          const sinspace__hotspot_point *p);

/* A named run of zones to write (zone runs, schema 2). */
typedef struct sinspace__zone_run_new {
    const char *name;        /* replaces the run of that name, if any */
    const char *computed_at;
    const char *method;      /* "gistar" */
    const char *params;
    const char *region;      /* description, NULL: everywhere */
    long long workplaces;    /* workplaces the run weighed */
    const sinspace_audit_entry *audit;
} sinspace__zone_run_new;

/* A stored run; strings valid while the callback runs. */
typedef int (*sinspace__zone_run_fn)(void *user, const sinspace_zone_run *run);

struct sinspace__zone_ops {
    /* The sector codes of the catalogue, sorted bytewise (as strcmp). */
    sinspace_status (*sectors)(sinspace_store *store,
                               sinspace__zone_sector_fn fn, void *user);

    /* How many workplaces a run over area_id (NULL: everywhere) is about
     * to read: not closed and with a risk score.  An estimate for memory
     * and progress; the read may hand out fewer (no point) or more (rows
     * added since). */
    sinspace_status (*count_workplaces)(sinspace_store *store,
                                        const long long *area_id,
                                        long long *out);
    /* The workplaces not closed, with a risk score and a point, that are
     * members of area_id (NULL: everywhere); in no particular order. */
    sinspace_status (*workplaces)(sinspace_store *store,
                                  const long long *area_id,
                                  sinspace__zone_workplace_fn fn, void *user);

    /* In one transaction: deletes the zones of run->scope, writes the n
     * zones with ids never given before (above every id a zone had, even
     * deleted ones; zones[i].id is set), and run->audit.  Nothing is
     * written on failure. */
    sinspace_status (*replace)(sinspace_store *store,
                               const sinspace__zone_run *run,
                               sinspace__zone_new *zones, size_t n);

    /* The stored zones by id, with centroid and geodesic area. */
    sinspace_status (*list)(sinspace_store *store, sinspace__zone_fn fn,
                            void *user);

    /* Zone id's geometry (ISO WKB, EPSG:4326) to fn; *found says whether
     * there is such a zone. */
    sinspace_status (*geometry)(sinspace_store *store, long long id,
                                int (*fn)(void *user, const unsigned char *wkb,
                                          size_t size),
                                void *user, int *found);

    /* The areas of level (its name: "district", ...) from the areas_risk
     * layer, densest first, those with no density last, then by code. */
    sinspace_status (*ranks)(sinspace_store *store, const char *level,
                             sinspace__zone_rank_fn fn, void *user);

    /* Hot spots: the workplaces not closed, with a point and a risk score,
     * whose point is in bbox (W, S, E, N; NULL: everywhere; read through
     * the workplaces' R*Tree), by row id. */
    sinspace_status (*hotspot_points)(sinspace_store *store, const double *bbox,
                                      sinspace__hotspot_point_fn fn, void *user);
    /* Their observations up to until (a date, inclusive; NULL: all), by row
     * id then date; p->risk is the observation's. */
    /* In one transaction: deletes the run named run->name and its zones,
     * writes the run, its n zones (ids as replace gives them, zones[i].id
     * set) with high_share[i] and mean_z[i], and run->audit. */
    sinspace_status (*run_write)(sinspace_store *store,
                                 const sinspace__zone_run_new *run,
                                 sinspace__zone_new *zones, size_t n,
                                 const double *high_share, const double *mean_z);
    /* The runs by id (oldest first). */
    sinspace_status (*runs)(sinspace_store *store, sinspace__zone_run_fn fn,
                            void *user);
    /* The run named name (NULL: the latest), *found 0 when none. */
    sinspace_status (*run_find)(sinspace_store *store, const char *name,
                                sinspace__zone_run_fn fn, void *user, int *found);
    /* The zones of run run_id, by id, as list gives them. */
    sinspace_status (*run_zones)(sinspace_store *store, long long run_id,
                                 sinspace__zone_fn fn, void *user);

    sinspace_status (*hotspot_history)(sinspace_store *store, const double *bbox,
                                       const char *until,
                                       sinspace__hotspot_point_fn fn, void *user);

    /* Emerging hot spots (schema 2): writes a run (computed now, UTC) and
     * the category of each of its n workplaces (row ids), in one
     * transaction; *run_id its id. */
    sinspace_status (*emerging_write)(sinspace_store *store, const char *step,
                                      double band_m, const char *region,
                                      const char *first_step, const char *last_step,
                                      size_t n, const long long *row_ids,
                                      const int *categories, long long *run_id);
    /* The latest emerging run (*found 0 when none): fills out. */
    sinspace_status (*emerging_latest)(sinspace_store *store,
                                       sinspace_emerging_run *out, int *found);
    /* The workplaces of the latest emerging run whose category bit
     * (1 << category) is in mask, in region's bbox (NULL: everywhere), by
     * row id: fn(user, row id, own id, name, category). */
    sinspace_status (*emerging_workplaces)(sinspace_store *store, unsigned mask,
                                           const double *bbox,
                                           int (*fn)(void *user, long long row_id,
                                                     const char *ext_id,
                                                     const char *name, int category),
                                           void *user);
};

extern const sinspace__zone_ops sinspace__spatialite_zone_ops;

#endif
