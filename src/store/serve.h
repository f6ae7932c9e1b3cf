/* serve.h: the serve domain of the engine seam (see store/engine.h).
 *
 * What the web server's API asks of a store that no public function
 * already gives: the data's version (for the tile cache), the imagery's
 * extent and the sector codes (for /api/info), and the areas, fences and
 * zones as features with their geometry (for /api/areas, /api/fences,
 * /api/zones).  Counts and the workplaces' extent come from
 * sinspace_store_info_get(), queries from sinspace_query_workplaces(). */
#ifndef SINSPACE_STORE_SERVE_H
#define SINSPACE_STORE_SERVE_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <stddef.h>

/* An area with the number of workplaces inside it; valid while the
 * callback runs.  Strings may be NULL; area_km2 NaN when unknown. */
typedef struct sinspace__serve_area_row {
    long long id;
    const char *code, *parent_code, *level, *name_latin, *name_local;
    double area_km2;
    long long workplaces;
    const unsigned char *wkb;     /* ISO WKB, EPSG:4326 */
    size_t wkb_size;
} sinspace__serve_area_row;

typedef struct sinspace__serve_fence_row {
    long long id;
    const char *name, *description, *added_by, *added_at;
    const unsigned char *wkb;
    size_t wkb_size;
} sinspace__serve_fence_row;

/* A zone; the reals are NaN when unknown, workplaces -1. */
typedef struct sinspace__serve_zone_row {
    long long id;
    const char *computed_at;
    long long workplaces;
    double mean_risk, max_risk, peak_density;
    const char *sectors;
    const unsigned char *wkb;
    size_t wkb_size;
} sinspace__serve_zone_row;

typedef int (*sinspace__serve_area_fn)(void *user,
                                       const sinspace__serve_area_row *row);
typedef int (*sinspace__serve_fence_fn)(void *user,
                                        const sinspace__serve_fence_row *row);
typedef int (*sinspace__serve_zone_fn)(void *user,
                                       const sinspace__serve_zone_row *row);

struct sinspace__serve_ops {
    /* A short text that changes whenever the workplaces, imagery, zones
     * or areas change (counts, last ids and times), written into buf. */
    sinspace_status (*data_version)(sinspace_store *store, char *buf,
                                    size_t size);
    /* The extent of the imagery's footprints in lon/lat (west, south,
     * east, north); *has 0 when there is no imagery. */
    sinspace_status (*imagery_extent)(sinspace_store *store, int *has,
                                      double box[4]);
    /* The sector codes, in code order. */
    sinspace_status (*sector_codes)(sinspace_store *store,
                                    int (*fn)(void *user, const char *code),
                                    void *user);
    /* The credits of the store's own records: per imagery source
     * ("imagery", source, attribution, acquisition date or NULL), then per
     * boundary source ("boundaries", source, its levels, NULL). */
    sinspace_status (*credits)(sinspace_store *store,
                               int (*fn)(void *user, const char *kind,
                                         const char *source,
                                         const char *attribution,
                                         const char *acquired),
                               void *user);
    /* The areas of level (its name; NULL: every level), by level then
     * code. */
    sinspace_status (*areas)(sinspace_store *store, const char *level,
                             sinspace__serve_area_fn fn, void *user);
    /* The fences, by name. */
    sinspace_status (*fences)(sinspace_store *store,
                              sinspace__serve_fence_fn fn, void *user);
    /* The zones, by id. */
    sinspace_status (*zones)(sinspace_store *store,
                             sinspace__serve_zone_fn fn, void *user);
};

extern const sinspace__serve_ops sinspace__spatialite_serve_ops;

#endif
