/* features.h: the features domain of the engine seam: what a map frame, a
 * web tile and an atlas page read from the store.
 *
 * Every operation answers a question the renderer asks ("the areas meeting
 * this box", "the imagery under this box, oldest first"), hands its rows to
 * a callback as the structs below (strings and WKB valid until the callback
 * returns; it returns non-zero to stop) and leaves the drawing, the
 * projection and the path names to render/.  Boxes are west, south, east,
 * north in lon/lat (EPSG:4326); geometries are ISO WKB in EPSG:4326. */
#ifndef SINSPACE_STORE_FEATURES_H
#define SINSPACE_STORE_FEATURES_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <stddef.h>

/* An administrative area meeting a box. */
typedef struct sinspace__feature_area {
    const char *code;
    const char *name_latin;   /* NULL when unknown */
    const char *name_local;
    int level_rank;           /* sinspace_area_level */
    const unsigned char *wkb;
    size_t wkb_size;
    const char *source;       /* the import's --source, NULL when none */
} sinspace__feature_area;

/* A hotspot zone (the `zones` table). */
typedef struct sinspace__feature_zone {
    long long id, workplaces;
    double mean_risk, max_risk, peak_density; /* NaN when null */
    const char *sectors;
    const unsigned char *wkb;
    size_t wkb_size;
    long long run_id;      /* the zone run that made it; 0: none */
} sinspace__feature_zone;

/* A workplace with the attributes a symbology may test (the mapped layer:
 * no personal or source fields). */
typedef struct sinspace__feature_workplace {
    long long id;
    const char *ext_id, *name, *name_local, *sector, *status, *risk_class;
    double risk;              /* NaN when unscored */
    double lon, lat;
    const char *last_seen;    /* ISO date or NULL */
} sinspace__feature_workplace;

/* A catalogued imagery tile; path as catalogued (relative paths are from
 * the database's folder). */
typedef struct sinspace__feature_imagery {
    const char *path, *acquired, *source, *attribution;
} sinspace__feature_imagery;

/* An area of an atlas, with its risk figures (closed workplaces left out,
 * as the areas_risk layer counts). */
typedef struct sinspace__feature_atlas_area {
    const char *code, *name_latin, *name_local;
    double density;           /* risk-weighted density per km2; NaN: none */
    long long workplaces, high;
    const unsigned char *wkb;
    size_t wkb_size;
} sinspace__feature_atlas_area;

/* A high-risk workplace of an area's table; total is how many there are. */
typedef struct sinspace__feature_high_risk {
    const char *ext_id, *name, *sector_label;
    double risk;
    long long total;
} sinspace__feature_high_risk;

/* One year of an area's observations. */
typedef struct sinspace__feature_year {
    const char *year;
    double mean_risk;
    long long observations, high;
} sinspace__feature_year;

typedef int (*sinspace__feature_area_fn)(void *user,
                                         const sinspace__feature_area *row);
typedef int (*sinspace__feature_zone_fn)(void *user,
                                         const sinspace__feature_zone *row);
typedef int (*sinspace__feature_workplace_fn)(
    void *user, const sinspace__feature_workplace *row);
typedef int (*sinspace__feature_imagery_fn)(
    void *user, const sinspace__feature_imagery *row);
typedef int (*sinspace__feature_atlas_area_fn)(
    void *user, const sinspace__feature_atlas_area *row);
typedef int (*sinspace__feature_high_risk_fn)(
    void *user, const sinspace__feature_high_risk *row);
typedef int (*sinspace__feature_year_fn)(void *user,
                                         const sinspace__feature_year *row);

struct sinspace__feature_ops {
    /* The areas whose bounding box meets box.  level >= 0: that level only,
     * by code; level < 0: every level, finest first.  tolerance > 0: each
     * geometry simplified (topology kept) to that many degrees, for views
     * whose pixels cannot show finer detail. */
    sinspace_status (*areas_in)(sinspace_store *store, const double box[4],
                                int level, double tolerance,
                                sinspace__feature_area_fn fn, void *user);
    /* The zones whose geometry meets box, by id; tolerance as above. */
    sinspace_status (*zones_in)(sinspace_store *store, const double box[4],
                                double tolerance, sinspace__feature_zone_fn fn,
                                void *user);
    /* The workplaces whose point falls in box (in no order). */
    sinspace_status (*workplaces_in)(sinspace_store *store, const double box[4],
                                     sinspace__feature_workplace_fn fn,
                                     void *user);
    /* The imagery whose footprint meets box, oldest acquisition first. */
    sinspace_status (*imagery_in)(sinspace_store *store, const double box[4],
                                  sinspace__feature_imagery_fn fn, void *user);
    /* The first area of level containing the point lon, lat (an inset's
     * province); fn is called at most once. */
    sinspace_status (*area_at)(sinspace_store *store, double lon, double lat,
                               int level, sinspace__feature_area_fn fn,
                               void *user);
    /* The areas of an atlas: level, children of parent_code (NULL: all),
     * ordered by their name as printed. */
    sinspace_status (*atlas_areas)(sinspace_store *store, int level,
                                   const char *parent_code,
                                   sinspace__feature_atlas_area_fn fn,
                                   void *user);
    /* An area's high-risk workplaces, highest risk first, at most max. */
    sinspace_status (*high_risk_in_area)(sinspace_store *store,
                                         const char *code, int max,
                                         sinspace__feature_high_risk_fn fn,
                                         void *user);
    /* An area's observations by year, in year order. */
    sinspace_status (*risk_by_year)(sinspace_store *store, const char *code,
                                    sinspace__feature_year_fn fn, void *user);
    /* The distance in metres on the WGS 84 ellipsoid between two lon/lat
     * points (a scale bar true at the map's centre). */
    sinspace_status (*distance_m)(sinspace_store *store, double lon1,
                                  double lat1, double lon2, double lat2,
                                  double *out);
};

extern const sinspace__feature_ops sinspace__spatialite_feature_ops;

#endif
