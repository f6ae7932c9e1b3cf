/* sinspace/hotspots.h: Getis-Ord Gi* hot spots and emerging hot spots.
 *
 * Gi* (Getis and Ord 1992, Ord and Getis 1995) on each open workplace's
 * risk, with binary distance-band weights that include the workplace
 * itself, the band a geodesic distance in metres on WGS 84 (PROJ's
 * geod_inverse).  With x the values, n their number, xbar their mean,
 * s2 = sum((x - xbar)^2) / n, W_i the number of workplaces within the band
 * of i (i included) and L_i the sum of their values:
 *
 *     z_i = (L_i - xbar W_i) / sqrt(s2 (n W_i - W_i^2) / (n - 1))
 *
 * which is R spdep::localG with include.self() on the same neighbours.  p is
 * two-sided from the standard normal.  Bins: +3/+2/+1 a hot spot at 99, 95,
 * 90 % confidence, the negatives cold, 0 not significant; with the false
 * discovery rate on (the default, Benjamini-Hochberg as ArcGIS's FDR option
 * and esda's fdr()), each level's threshold is the largest p(k) with
 * p(k) <= k alpha / n over the sorted p values.
 *
 * Emerging hot spots: the observation history is cut into steps (years or
 * quarters); a workplace's value at a step is its latest observation up to
 * the step's end.  Gi* runs per step, the Mann-Kendall test on each
 * workplace's z series, and each workplace gets one of ArcGIS's Emerging
 * Hot Spot Analysis categories (docs/zones.md lists them). */
#ifndef SINSPACE_HOTSPOTS_H
#define SINSPACE_HOTSPOTS_H

#include <sinspace/api.h>

#include <sinspace/query.h>
#include <sinspace/store.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fewer workplaces than this is warned about (the normal approximation of
 * Gi* is poor; ArcGIS warns likewise). */
#define SINSPACE_HOTSPOTS_MIN_WORKPLACES 30
/* Trend significance of the Mann-Kendall test in emerging hot spots. */
#define SINSPACE_HOTSPOTS_TREND_ALPHA 0.05

/* ---- the engine-neutral statistic, on arrays ---------------------------- */

typedef struct sinspace_gistar_result {
    double band_m;          /* the band used */
    double mean, variance;  /* xbar and s2 of the values */
    long long isolated;     /* workplaces with no neighbour but themselves */
    long long hot[4];       /* hot[k]: workplaces in bin +k (k = 1..3) */
    long long cold[4];      /* cold[k]: workplaces in bin -k */
    double threshold[4];    /* p threshold of level k (1: 90, 2: 95, 3: 99 %),
                               after FDR when on; 0 when nothing passes */
} sinspace_gistar_result;

/* Gi* of values x at points (lon, lat) in degrees, band in metres.  Writes
 * neighbours[i] (W_i, the workplace included), z[i], p[i] and bin[i] (any
 * output may be NULL).  An isolated workplace (W_i = 1) keeps its z (its
 * own standardised value, as spdep gives it) but is never binned (bin 0);
 * when every workplace is a neighbour of i, z and p are NaN.  Fails with SINSPACE_INVALID_ARGUMENT when n < 2, band <= 0, or
 * all values are equal (s2 = 0: Gi* is undefined). */
SINSPACE_API sinspace_status sinspace_gistar(sinspace_context *ctx, size_t n,
                                             const double *lon, const double *lat,
                                             const double *x, double band_m, int fdr,
                                             long long *neighbours, double *z,
                                             double *p, int *bin,
                                             sinspace_gistar_result *result);

/* The band --band auto chooses: the smallest distance (rounded up to the
 * metre) that gives every workplace at least one neighbour besides itself,
 * i.e. the largest nearest-neighbour distance.  *farthest gets the index of
 * the workplace whose nearest neighbour is farthest, *median_m the median
 * nearest-neighbour distance (either may be NULL).  Fails when n < 2. */
SINSPACE_API sinspace_status sinspace_gistar_auto_band(sinspace_context *ctx, size_t n,
                                                       const double *lon,
                                                       const double *lat,
                                                       double *band_m,
                                                       size_t *farthest,
                                                       double *median_m);

/* Mann-Kendall trend test of y[0..n-1] against time 0..n-1: S, Kendall's
 * tau-b, z = S / sqrt(Var S) (variance corrected for ties, no continuity
 * correction) and its two-sided normal p, as R's cor.test(method =
 * "kendall", exact = FALSE, continuity = FALSE).  n < 3 or a constant
 * series: tau = z = 0, p = 1. */
typedef struct sinspace_mann_kendall {
    double s, tau, z, p;
} sinspace_mann_kendall;
SINSPACE_API void sinspace_mann_kendall_test(const double *y, size_t n,
                                             sinspace_mann_kendall *out);

/* ArcGIS's Emerging Hot Spot Analysis categories. */
typedef enum sinspace_emerging_category {
    SINSPACE_EMERGING_NONE = 0,     /* "no pattern detected" */
    SINSPACE_EMERGING_NEW_HOT,
    SINSPACE_EMERGING_CONSECUTIVE_HOT,
    SINSPACE_EMERGING_INTENSIFYING_HOT,
    SINSPACE_EMERGING_PERSISTENT_HOT,
    SINSPACE_EMERGING_DIMINISHING_HOT,
    SINSPACE_EMERGING_SPORADIC_HOT,
    SINSPACE_EMERGING_OSCILLATING_HOT,
    SINSPACE_EMERGING_HISTORICAL_HOT,
    SINSPACE_EMERGING_NEW_COLD,
    SINSPACE_EMERGING_CONSECUTIVE_COLD,
    SINSPACE_EMERGING_INTENSIFYING_COLD,
    SINSPACE_EMERGING_PERSISTENT_COLD,
    SINSPACE_EMERGING_DIMINISHING_COLD,
    SINSPACE_EMERGING_SPORADIC_COLD,
    SINSPACE_EMERGING_OSCILLATING_COLD,
    SINSPACE_EMERGING_HISTORICAL_COLD,
    SINSPACE_EMERGING_COUNT
} sinspace_emerging_category;

/* "new hot spot", "no pattern detected", ...; NULL out of range. */
SINSPACE_API const char *sinspace_emerging_category_name(sinspace_emerging_category c);
/* The category whose name is name, or its first word for hot spots ("new",
 * "intensifying"), case-insensitive; -1 when none. */
SINSPACE_API int sinspace_emerging_category_parse(const char *name);

/* The category of one location from its bins per step (oldest first, n
 * steps; significant = bin != 0) and the Mann-Kendall test of its z series
 * (trend significant when p < SINSPACE_HOTSPOTS_TREND_ALPHA). */
SINSPACE_API sinspace_emerging_category sinspace_emerging_classify(const int *bins, size_t n,
                                                                   const sinspace_mann_kendall *mk);

/* ---- hot spots of a store ----------------------------------------------- */

typedef enum sinspace_hotspot_step {
    SINSPACE_STEP_YEAR = 1,
    SINSPACE_STEP_QUARTER = 2
} sinspace_hotspot_step;

typedef struct sinspace_hotspots_options {
    const sinspace_region *region; /* NULL: everywhere */
    double band_m;                 /* > 0, or 0 for auto */
    const char *at;                /* YYYY-MM-DD: risk as of that day, from
                                      the observations; NULL: current */
    int fdr;                       /* 1 (default): Benjamini-Hochberg */
    int emerging;                  /* 1: emerging hot spots over steps */
    sinspace_hotspot_step step;    /* with emerging */
    int save;                      /* emerging: 1 stores each workplace's
                                      category as a new emerging run (for
                                      query --hotspot and the atlas) */
} sinspace_hotspots_options;

/* A stored emerging hot-spot run. */
typedef struct sinspace_emerging_run {
    long long id;
    char computed_at[32];          /* ISO 8601 UTC */
    char step[16];                 /* year or quarter */
    double band_m;
    char region[256];              /* "" everywhere */
    char first_step[16], last_step[16];
    long long workplaces;
} sinspace_emerging_run;

/* The latest stored emerging run (the one query --hotspot filters by);
 * *found 0 when the store has none. */
SINSPACE_API sinspace_status sinspace_emerging_latest(sinspace_store *store,
                                                      sinspace_emerging_run *out,
                                                      int *found);

/* The categories, as a comma list of the words --hotspot takes. */
#define SINSPACE_EMERGING_WORDS \
    "new, consecutive, intensifying, persistent, diminishing, sporadic, " \
    "oscillating, historical (hot spots), new-cold, consecutive-cold, ... " \
    "historical-cold (cold spots), none (no pattern); a comma list"

/* The workplaces of the latest emerging run in one of the categories of
 * mask (bits 1 << sinspace_emerging_category) whose point is in bbox
 * (W, S, E, N; NULL: everywhere), by row id. */
SINSPACE_API sinspace_status sinspace_emerging_workplaces(
    sinspace_store *store, unsigned mask, const double *bbox,
    int (*fn)(void *user, long long row_id, const char *id, const char *name,
              int category),
    void *user);

SINSPACE_API void sinspace_hotspots_options_init(sinspace_hotspots_options *opts);

/* One workplace's result.  Strings live until the callback returns. */
typedef struct sinspace_hotspot_row {
    long long row_id;          /* the store's row id */
    const char *id;            /* the workplace's own id (ext_id) */
    double lon, lat, risk;     /* risk: the value used (last step's) */
    long long neighbours;      /* W_i, itself included (last step's) */
    double z, p;               /* NaN when every workplace is a neighbour */
    int bin;
    /* Emerging only (else NULL / NaN / 0): */
    const char *category;
    double trend_tau, trend_z, trend_p;
    int steps;                 /* steps in the workplace's series */
    int steps_hot, steps_cold; /* of them, significant hot / cold */
} sinspace_hotspot_row;

typedef struct sinspace_hotspots_result {
    long long workplaces;
    sinspace_gistar_result gistar; /* of the last step */
    int band_auto;
    char band_reason[256];         /* why this band (auto) */
    int steps;                     /* emerging: steps; else 1 */
    char first_step[16], last_step[16];
    long long categories[SINSPACE_EMERGING_COUNT];
    char warnings[512];            /* "; "-separated pitfalls, "" when none */
} sinspace_hotspots_result;

/* Computes the hot spots and calls fn (may be NULL) for each workplace, in
 * the order of the store's row ids; fn returns non-zero to stop.  Does not
 * write the audit trail (the command that shows them does).  Fails with
 * SINSPACE_INVALID_ARGUMENT for a bad option or when Gi* is undefined
 * (fewer than 2 workplaces, all risks equal); fewer than
 * SINSPACE_HOTSPOTS_MIN_WORKPLACES and isolated workplaces are warnings in
 * result->warnings. */
SINSPACE_API sinspace_status sinspace_hotspots_compute(sinspace_store *store,
                                          const sinspace_hotspots_options *opts,
                                          int (*fn)(void *user_data,
                                                    const sinspace_hotspot_row *row),
                                          void *user_data,
                                          sinspace_hotspots_result *result);

/* Reads a band: "500m", "0.5km", "500" (metres).  A band in degrees
 * ("0.005deg", "0.005°") or a bare number under 1 (degrees, most likely) is
 * refused with SINSPACE_INVALID_ARGUMENT and the reason: Gi* needs metres. */
SINSPACE_API sinspace_status sinspace_hotspots_parse_band(sinspace_context *ctx,
                                                          const char *text,
                                                          double *band_m);

#ifdef __cplusplus
}
#endif
#endif
