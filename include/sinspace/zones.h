/* sinspace/zones.h: high-risk zones and the per-area ranking.
 *
 * A zone is a polygon where risk concentrates: the workplaces that are not
 * closed and have a risk score are projected to the UTM zone of their
 * extent's centre, each adds a quartic (biweight) kernel of radius
 * `bandwidth` weighted by (risk - 1) to a grid of square cells, and each
 * 4-connected group of cells at or above a threshold density becomes one
 * zone (a polygon, with holes where the density dips below it), kept in the store's `zones` table (the layer `map` draws,
 * `query --zone ID` selects with and `export` writes) with its workplace
 * count, mean and maximum risk, peak density and dominant sectors.
 * docs/zones.md describes the method and its defaults. */
#ifndef SINSPACE_ZONES_H
#define SINSPACE_ZONES_H

#include <sinspace/api.h>

#include <sinspace/query.h>
#include <sinspace/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults and limits. */
#define SINSPACE_ZONES_CELL_M 250.0
#define SINSPACE_ZONES_BANDWIDTH_M 1000.0
/* The default threshold is the density of this many high-risk workplaces
 * (risk SINSPACE_RISK_HIGH) spread evenly over a disc of radius bandwidth. */
#define SINSPACE_ZONES_DEFAULT_WORKPLACES 5
/* A grid of more cells is refused (memory: 12 bytes a cell). */
#define SINSPACE_ZONES_MAX_CELLS 50000000LL

typedef struct sinspace_zones_options {
    /* Only workplaces inside this administrative area (code, Latin or
     * local name), and zones clipped to it; NULL: everywhere. */
    const char *area;
    double cell_m;      /* grid cell side in metres, > 0 */
    double bandwidth_m; /* kernel radius in metres, >= cell_m / 2 */
    /* Threshold density in risk per km2 (> 0), or NaN for the default. */
    double threshold;
    /* When > 0 (and threshold is NaN): the threshold is this percentile
     * (0 < p < 100) of the grid's non-zero cells. */
    double percentile;
} sinspace_zones_options;

/* Fills in the defaults: everywhere, 250 m cells, 1 km bandwidth, the
 * default threshold. */
SINSPACE_API void sinspace_zones_options_init(sinspace_zones_options *opts);

/* One zone.  Strings live until the callback returns. */
typedef struct sinspace_zone {
    long long id;           /* the zones table's id */
    long long workplaces;   /* workplaces (of the run's selection) inside */
    double mean_risk;       /* NaN when workplaces is 0 */
    double max_risk;        /* NaN when workplaces is 0 */
    double peak_density;    /* risk per km2 */
    const char *sectors;    /* top 3 by count: "brothel:12,karaoke_bar:7" */
    double centroid_lon, centroid_lat;
    double area_km2;
    /* Zones of a Gi* run (else NaN / 0): */
    double high_share;      /* share of its workplaces of high risk class */
    double mean_z;          /* mean Gi* z of its workplaces */
    long long run_id;       /* 0 for zones of no named run */
} sinspace_zone;

typedef struct sinspace_zones_result {
    long long workplaces;   /* workplaces read (not closed, with a risk) */
    long long zones;        /* zones written */
    int epsg;               /* the metric CRS of the grid (326xx/327xx) */
    long long columns, rows;/* grid size */
    double threshold;       /* the threshold used, risk per km2 */
    double weight_sum;      /* sum of (risk - 1) over the workplaces read */
    double mass;            /* sum of density * cell area: equals
                               weight_sum when the grid holds every kernel */
    double max_density;     /* the grid's maximum, risk per km2 */
} sinspace_zones_result;

/* Computes the zones and replaces, in one transaction with one audit row,
 * the zones of the previous run over the same area (or of the previous run
 * over everywhere when opts->area is NULL).  Calls fn (may be NULL) for
 * each new zone, hottest first, after the commit; fn returns non-zero to
 * stop listing (the zones stay written).  result may be NULL.  Fails with
 * SINSPACE_INVALID_ARGUMENT for a bad cell, bandwidth or threshold or a grid
 * over SINSPACE_ZONES_MAX_CELLS, SINSPACE_NOT_FOUND for an unknown area.
 * No workplaces is not an error: the previous zones are replaced by none. */
SINSPACE_API sinspace_status sinspace_zones_compute(sinspace_store *store,
                                       const sinspace_zones_options *opts,
                                       int (*fn)(void *user_data,
                                                 const sinspace_zone *zone),
                                       void *user_data,
                                       sinspace_zones_result *result);

/* The stored zones, ordered by id; fn returns non-zero to stop.  Does not
 * write the audit trail (the command that shows them does). */
SINSPACE_API sinspace_status sinspace_zones_list(sinspace_store *store,
                                    int (*fn)(void *user_data,
                                              const sinspace_zone *zone),
                                    void *user_data);

/* ---- zones from significance: named runs of Gi* hot spots -------------
 *
 * A zone is a contiguous area of hot-spot workplaces (Gi* bin at or above
 * the chosen confidence, FDR on by default; sinspace/hotspots.h): the union
 * of the geodesic discs of radius band around them, dissolved, clipped to
 * the study region and with the water layer taken out; each connected
 * polygon left is one zone.  A zone counts the open workplaces with a risk
 * score inside it (the workplaces Gi* weighs), their high-risk share and
 * mean z.  Runs are named and kept side by side; maps draw one run. */

typedef struct sinspace_zone_run {
    long long id;
    const char *name;
    const char *computed_at;
    const char *method;      /* "gistar", or "kde" for kernel-density runs */
    const char *params;
    const char *region;      /* NULL: everywhere */
    long long zones;
    long long workplaces;
} sinspace_zone_run;

typedef struct sinspace_zones_gistar_options {
    const sinspace_region *region; /* study region (clip); NULL: everywhere */
    double band_m;                 /* > 0, or 0 for auto */
    int confidence;                /* 90, 95 (default) or 99 */
    int fdr;                       /* 1 (default) */
    const char *name;              /* run name; NULL: "gistar-YYYYMMDDTHHMMSSZ" */
    int weigh_all;                 /* 1: Gi* weighs every workplace of the store
                                      (the whole study), the zones are still
                                      clipped to region */
} sinspace_zones_gistar_options;

SINSPACE_API void sinspace_zones_gistar_options_init(sinspace_zones_gistar_options *opts);

typedef struct sinspace_zones_gistar_result {
    long long workplaces;   /* weighed by Gi* */
    long long hot;          /* hot spots at the confidence */
    long long zones;
    double band_m;
    int band_auto;
    long long water_parts;  /* water polygons taken out */
    char name[96];          /* the run's name */
    char note[256];         /* why there are no zones, when Gi* is undefined
                               on the region's workplaces; "" otherwise */
} sinspace_zones_gistar_result;

/* Computes the zones and writes them as a run (replacing a run of the same
 * name) with one audit row; fn (may be NULL) gets each zone after the
 * commit, largest count first. */
SINSPACE_API sinspace_status sinspace_zones_gistar(sinspace_store *store,
                                      const sinspace_zones_gistar_options *opts,
                                      int (*fn)(void *user_data, const sinspace_zone *zone),
                                      void *user_data,
                                      sinspace_zones_gistar_result *result);

/* The stored runs, oldest first. */
SINSPACE_API sinspace_status sinspace_zone_runs(sinspace_store *store,
                                   int (*fn)(void *user_data, const sinspace_zone_run *run),
                                   void *user_data);

/* The zones of run name (NULL: the latest); SINSPACE_NOT_FOUND when there
 * is no such run.  run (may be NULL) gets the run (strings valid until the
 * next call on the store). */
SINSPACE_API sinspace_status sinspace_zone_run_zones(sinspace_store *store, const char *name,
                                        int (*fn)(void *user_data, const sinspace_zone *zone),
                                        void *user_data, long long *run_id);

/* One area in the ranking.  Strings live until the callback returns. */
typedef struct sinspace_area_rank {
    long long rank;         /* 1 = densest */
    const char *code;
    const char *name_latin; /* may be NULL */
    const char *name_local; /* may be NULL */
    long long workplaces;   /* not closed */
    double mean_risk;       /* NaN when no workplace has a risk */
    double risk_density;    /* sum of risk per km2; NaN without an area */
    double area_km2;
} sinspace_area_rank;

/* Calls fn (may be NULL) for each area of level, densest first (the
 * areas_risk layer's risk_density; areas without a known size last, then
 * by code); fn returns non-zero to stop.  rows (may be NULL) receives the
 * number of areas.  Like sinspace_query_workplaces, it does not write the
 * audit trail: the command that shows the ranking does. */
SINSPACE_API sinspace_status sinspace_zones_by_area(sinspace_store *store,
                                       sinspace_area_level level,
                                       int (*fn)(void *user_data,
                                                 const sinspace_area_rank *area),
                                       void *user_data, long long *rows);

#ifdef __cplusplus
}
#endif
#endif
