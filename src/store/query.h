/* query.h: the region-query domain of the engine seam (see engine.h).
 *
 * What geo/query.c, geo/region.c and geo/geomask.c ask of the store.  The
 * spatial work (the cell grid, GEOS predicates, geodesic distances) stays
 * in geo/; the engine hands out index entries, points and rows:
 *
 *   candidates  the workplaces' spatial index entries within a box, read
 *               from the index alone (no table rows);
 *   points      the exact points of chosen workplaces (the edge cells);
 *   rows        the full rows of the workplaces found inside (or of every
 *               workplace), passing a filter, sorted and limited.
 *
 * The filter reaches the engine as a checked, engine-neutral struct; the
 * engine binds each of its values as a parameter. */
#ifndef SINSPACE_STORE_QUERY_H
#define SINSPACE_STORE_QUERY_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <sinspace/query.h>

#include <stddef.h>

/* One spatial index entry: a workplace's id and its box (xmin, xmax, ymin,
 * ymax), which holds the workplace's exact point (a point's entry is the
 * point itself, rounded outward). */
typedef int (*sinspace__candidate_fn)(void *user, long long id,
                                      const double box[4]);

/* One workplace's exact point, lon/lat. */
typedef int (*sinspace__point_fn)(void *user, long long id, double lon,
                                  double lat);

/* A stored geometry (ISO WKB, EPSG:4326); wkb is NULL (size 0) when the
 * row has none. */
typedef int (*sinspace__wkb_fn)(void *user, const unsigned char *wkb,
                                size_t size);

/* A workplace found inside the region, with its geodesic distance from a
 * circle's centre (NaN when none). */
typedef struct sinspace__query_hit {
    long long id;
    double distance;
} sinspace__query_hit;

/* A checked filter (geo/query.c checks sinspace_filter and fills this). */
typedef struct sinspace__query_filter {
    double min_risk;            /* NaN: none */
    unsigned classes;           /* bits 1 << sinspace_risk_class; 0: all */
    const char *const *sectors; /* n_sectors known sector codes */
    size_t n_sectors;
    const char *status;         /* active, closed, unknown; NULL: all */
    const char *seen_since;     /* YYYY-MM-DD or NULL: last_seen on or after */
    const char *changed_since;  /* YYYY-MM-DD or NULL: the current risk is
                                   above the latest observation on or before
                                   it (workplaces unobserved by then fail) */
    long long limit;            /* 0: none */
    sinspace_sort sort;         /* DISTANCE only with hits from a circle */
    unsigned hotspots;          /* bits 1 << category in the latest emerging
                                   run; 0: none */
} sinspace__query_filter;

/* A row of the result: the public row (risk_change NaN) and, with
 * changed_since, the risk of the latest observation on or before it. */
typedef struct sinspace__query_row {
    sinspace_workplace_row w;
    double prior_risk;          /* NaN when not asked or none */
} sinspace__query_row;

typedef int (*sinspace__query_row_fn)(void *user, const sinspace__query_row *row);

/* An area holding a workplace (geomasking). */
typedef int (*sinspace__area_of_fn)(void *user, long long area_id,
                                    int level_rank, const char *code);

/* The engine's prepared lookups for geomasking, kept open across the many
 * workplaces of one export (owned by the engine: lookup_close). */
typedef struct sinspace__area_lookup sinspace__area_lookup;

struct sinspace__query_ops {
    /* A read snapshot: the operations between read_begin and read_end see
     * one state of the store.  read_end ends it whatever happened and sets
     * no error. */
    sinspace_status (*read_begin)(sinspace_store *store);
    void (*read_end)(sinspace_store *store);

    /* *exists: 1 when the sector catalogue has code, else 0. */
    sinspace_status (*sector_exists)(sinspace_store *store, const char *code,
                                     int *exists);

    /* The index entries of workplaces whose box meets bbox (west, south,
     * east, north), in no particular order.  Only the index is read. */
    sinspace_status (*candidates)(sinspace_store *store, const double bbox[4],
                                  sinspace__candidate_fn fn, void *user);

    /* The points of the n workplaces ids, called in the order of ids;
     * an id with no row or no point is skipped. */
    sinspace_status (*points)(sinspace_store *store, const long long *ids,
                              size_t n, sinspace__point_fn fn, void *user);

    /* The own ids (ext_id) of the n workplaces ids, called in the order of
     * ids; an id with no row is skipped. */
    sinspace_status (*own_ids)(sinspace_store *store, const long long *ids,
                               size_t n,
                               int (*fn)(void *user, const char *own_id),
                               void *user);

    /* The rows of the n hits (in_region), or of every workplace (!in_region:
     * hits ignored, distance NaN), that pass filter, in its order (id,
     * risk highest first and unscored last, name without case, distance;
     * ties by id) and within its limit. */
    sinspace_status (*rows)(sinspace_store *store, int in_region,
                            const sinspace__query_hit *hits, size_t n,
                            const sinspace__query_filter *filter,
                            sinspace__query_row_fn fn, void *user);

    /* A zone's geometry: fn is called once (wkb NULL when the zone has
     * none); *found 0 and fn not called when there is no such zone. */
    sinspace_status (*zone_geometry)(sinspace_store *store, long long zone_id,
                                     sinspace__wkb_fn fn, void *user,
                                     int *found);

    /* The geomasking secret as hex, written into hex ("" when the store
     * has none yet). */
    sinspace_status (*geomask_secret)(sinspace_store *store, char *hex,
                                      size_t size);
    /* Saves hex as the secret unless one exists already (in its own
     * transaction).  SINSPACE_PERMISSION ("PATH: opened read-only") when
     * the store is not open for writing. */
    sinspace_status (*geomask_secret_create)(sinspace_store *store,
                                             const char *hex);

    /* Geomasking lookups, prepared once (*out freed with lookup_close). */
    sinspace_status (*lookup_open)(sinspace_store *store,
                                   sinspace__area_lookup **out);
    void (*lookup_close)(sinspace__area_lookup *lookup);
    /* The areas holding a workplace whose level rank is within min_rank ..
     * max_rank, in no particular order. */
    sinspace_status (*areas_of)(sinspace_store *store,
                                sinspace__area_lookup *lookup,
                                long long workplace_id, int min_rank,
                                int max_rank, sinspace__area_of_fn fn,
                                void *user);
    /* An area's number of workplaces and its size on the ellipsoid in km2
     * (the stored size when there is one); *km2 NaN when unknown or no
     * such area. */
    sinspace_status (*area_density)(sinspace_store *store,
                                    sinspace__area_lookup *lookup,
                                    long long area_id, long long *workplaces,
                                    double *km2);
    /* An area's polygon: fn called once, *found 0 when there is no such
     * area or it has no polygon. */
    sinspace_status (*area_geometry)(sinspace_store *store,
                                     sinspace__area_lookup *lookup,
                                     long long area_id, sinspace__wkb_fn fn,
                                     void *user, int *found);
};

extern const sinspace__query_ops sinspace__spatialite_query_ops;

#endif
