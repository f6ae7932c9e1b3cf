/* export.h: the export domain of the engine seam (see store/engine.h).
 *
 * What io/export*.c reads from a store: the rows of each exportable layer,
 * every column the layer has (which of them an audience may see is
 * export's business, not the engine's), in a region or in a selection of
 * workplaces, and for aggregates the counts per area of a level.
 *
 * The columns of each layer are handed out in the order of the enums
 * below; the caller passes one sinspace_property per column with its name
 * and type set, and the engine fills the value (integer, real or text; a
 * NULL integer becomes SINSPACE_VALUE_NULL, a NULL real NaN, a NULL text
 * NULL) before each callback. */
#ifndef SINSPACE_STORE_EXPORT_H
#define SINSPACE_STORE_EXPORT_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <sinspace/audit.h>

#include <stddef.h>

/* Workplaces: names match the import contract. */
enum {
    SINSPACE__XWP_ID, SINSPACE__XWP_NAME, SINSPACE__XWP_NAME_LOCAL,
    SINSPACE__XWP_SECTOR, SINSPACE__XWP_STATUS, SINSPACE__XWP_RISK,
    SINSPACE__XWP_CLASS, SINSPACE__XWP_AREA,
    SINSPACE__XWP_DISTRICT,   /* never filled (geomasking sets it) */
    SINSPACE__XWP_FIRST_SEEN, SINSPACE__XWP_LAST_SEEN,
    SINSPACE__XWP_OBSERVED,   /* latest observation: only with .latest */
    SINSPACE__XWP_ADDRESS, SINSPACE__XWP_SOURCE, SINSPACE__XWP_SOURCE_NOTE,
    SINSPACE__XWP_OBSERVER,   /* latest observer: only with .latest */
    SINSPACE__XWP_UPDATED, SINSPACE__XWP_N
};

/* Observations, with their workplace's id, name, sector and point. */
enum {
    SINSPACE__XOB_WORKPLACE, SINSPACE__XOB_NAME, SINSPACE__XOB_SECTOR,
    SINSPACE__XOB_OBSERVED, SINSPACE__XOB_RISK,
    SINSPACE__XOB_CLASS,      /* by the thresholds of core/risk */
    SINSPACE__XOB_SCORED,
    SINSPACE__XOB_DISTRICT,   /* never filled */
    SINSPACE__XOB_SOURCE, SINSPACE__XOB_SOURCE_NOTE, SINSPACE__XOB_OBSERVER,
    SINSPACE__XOB_I01,        /* .. I28: the indicators */
    SINSPACE__XOB_N = SINSPACE__XOB_I01 + SINSPACE_INDICATORS
};

/* Areas, and the aggregate of workplaces per area (the same columns). */
enum {
    SINSPACE__XAR_CODE, SINSPACE__XAR_PARENT, SINSPACE__XAR_LEVEL,
    SINSPACE__XAR_NAME_LATIN, SINSPACE__XAR_NAME_LOCAL, SINSPACE__XAR_KM2,
    SINSPACE__XAR_WORKPLACES, SINSPACE__XAR_HIGH, SINSPACE__XAR_MEAN,
    SINSPACE__XAR_DENSITY,
    SINSPACE__XAR_SUPPRESSED, /* always 0 (export decides) */
    SINSPACE__XAR_SOURCE, SINSPACE__XAR_N
};

enum {
    SINSPACE__XZO_ID, SINSPACE__XZO_COMPUTED, SINSPACE__XZO_PARAMS,
    SINSPACE__XZO_WORKPLACES, SINSPACE__XZO_MEAN, SINSPACE__XZO_MAX,
    SINSPACE__XZO_PEAK, SINSPACE__XZO_SECTORS, SINSPACE__XZO_N
};

enum {
    SINSPACE__XFE_NAME, SINSPACE__XFE_DESCRIPTION, SINSPACE__XFE_ADDED_BY,
    SINSPACE__XFE_ADDED_AT, SINSPACE__XFE_N
};

/* The imagery catalogue. */
enum {
    SINSPACE__XTI_PATH, SINSPACE__XTI_DRIVER, SINSPACE__XTI_CRS,
    SINSPACE__XTI_WIDTH, SINSPACE__XTI_HEIGHT, SINSPACE__XTI_BANDS,
    SINSPACE__XTI_PIXEL, SINSPACE__XTI_PIXEL_M, SINSPACE__XTI_ACQUIRED,
    SINSPACE__XTI_SOURCE, SINSPACE__XTI_ATTRIBUTION, SINSPACE__XTI_ADDED,
    SINSPACE__XTI_N
};

/* A set of workplaces a read is limited to (export's region and filter,
 * chosen through sinspace_query_workplaces).  Held by the engine however
 * it likes (SpatiaLite: a temporary table, so memory stays bounded). */
typedef struct sinspace__export_selection sinspace__export_selection;

/* What to read. */
typedef struct sinspace__export_read {
    sinspace_export_layer layer;
    /* Workplaces: counts, high-risk counts, mean risk and risk density per
     * area of level (the area columns) instead of the workplaces.  Without
     * a selection closed workplaces are left out, as areas_risk does. */
    int aggregate;
    sinspace_area_level level;
    /* Workplaces: also look up the latest observation's date and
     * observer (two index searches a row; only the internal audience sees
     * them, so others skip the cost). */
    int latest;
    /* Workplaces and observations: only the selected workplaces (NULL:
     * all). */
    const sinspace__export_selection *selection;
    /* Workplaces and observations read through a selection: in the order
     * of the keys the selection was given (then by id; observations of
     * one workplace by date), not by id.  Public files are written so,
     * so that they cannot be joined row by row to a fuller one. */
    int keyed;
    /* Areas, zones, fences, tiles, and the areas of an aggregate: only
     * features whose geometry overlaps
     * this ISO WKB polygon in EPSG:4326 (intersects it, more than by
     * touching); NULL: all. */
    const unsigned char *region_wkb;
    size_t region_wkb_size;
    /* One per column of the layer (the enums above), name and type set;
     * the engine fills the values for each row. */
    sinspace_property *values;
    size_t n_values;
} sinspace__export_read;

/* One row; valid while the callback runs. */
typedef struct sinspace__export_row {
    long long fid;                /* the feature's database id */
    const unsigned char *wkb;     /* polygon layers: ISO WKB, EPSG:4326 */
    size_t wkb_size;
    double lon, lat;              /* point layers; NaN when there is none */
    long long workplace_id;       /* point layers: whose point (the */
    const char *ext_id;           /* geomasking key) */
} sinspace__export_row;

typedef int (*sinspace__export_fn)(void *user, const sinspace__export_row *row);

struct sinspace__export_ops {
    /* An empty selection; *out is freed by selection_close. */
    sinspace_status (*selection_open)(sinspace_store *store,
                                      sinspace__export_selection **out);
    /* Adds a workplace by database id (again: no effect) with the key a
     * keyed read sorts it by (see sinspace__export_read.keyed). */
    sinspace_status (*selection_add)(sinspace__export_selection *sel,
                                     long long workplace_id,
                                     long long order_key);
    /* Adds every workplace, each with the key key(user, ext_id) gives it
     * (a public export of everything: one pass over the ids, no query). */
    sinspace_status (*selection_add_all)(sinspace__export_selection *sel,
                                         long long (*key)(void *user,
                                                          const char *ext_id),
                                         void *user);
    /* Drops the selection; NULL is harmless. */
    void (*selection_close)(sinspace__export_selection *sel);

    /* The rows of q->layer, ordered (workplaces and observations by id,
     * areas by level and code, aggregates by code, zones by id, fences by
     * name, tiles by acquisition date), q->values filled before each
     * call of fn. */
    sinspace_status (*read)(sinspace_store *store,
                            const sinspace__export_read *q,
                            sinspace__export_fn fn, void *user);

    /* The water layer: polygons (rivers, canals, lakes, the sea) that
     * displaced public points must not land in.  Optional: a store
     * without one has no water. */

    /* Adds polygons, each an ISO WKB Polygon or MultiPolygon in
     * EPSG:4326, in one transaction with the audit row (its rows set to
     * the count; the layer's table is made on first use): next(user,
     * &wkb, &size) hands out one polygon and returns 1, or returns 0 when
     * there are no more (-1: stop, rolling back; next has reported why).
     * *added counts them; with none, nothing is written. */
    sinspace_status (*water_add)(sinspace_store *store, const char *source,
                                 int (*next)(void *user,
                                             const unsigned char **wkb,
                                             size_t *size),
                                 void *user, const sinspace_audit_entry *audit,
                                 long long *added);
    /* Every water polygon whose box meets the box west, south, east,
     * north (degrees), as ISO WKB; none when the store has no water. */
    sinspace_status (*water_in_box)(sinspace_store *store, const double box[4],
                                    int (*fn)(void *user,
                                              const unsigned char *wkb,
                                              size_t size),
                                    void *user);
};

extern const sinspace__export_ops sinspace__spatialite_export_ops;

#endif
