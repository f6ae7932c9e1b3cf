/* import.h: the import domain of the engine seam.
 *
 * What io/import*.c asks of a store while it loads a file: one load is one
 * transaction, opened by begin and closed by end (commit, or rollback that
 * leaves the store byte for byte as it was).  In between, the reader hands
 * over validated rows one at a time (a workplace found or inserted by its
 * external id, an observation with its indicator scores, an area inserted
 * or replaced by its code), asks the lookups validation needs (known
 * sectors, known areas, existing workplaces, an area's parent), and at the
 * end has the derived columns refreshed (current risk, area membership),
 * the import's row count recorded and the audit row written.
 *
 * How the rows get in fast is the engine's business: the SpatiaLite engine
 * (store/spatialite_import.c) sets its per-row triggers and, into an empty
 * store, the secondary indexes aside for the load, and packs the R*Tree of
 * an empty store once at the end.  All validation stays with the caller:
 * the engine writes what it is given. */
#ifndef SINSPACE_STORE_IMPORT_H
#define SINSPACE_STORE_IMPORT_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <stddef.h>

/* One load in progress, owned by the engine from begin until end. */
typedef struct sinspace__import_load sinspace__import_load;

/* What a load is: recorded in the store's list of imports. */
typedef struct sinspace__import_start {
    const char *file;      /* the source as given */
    const char *kind;      /* "workplaces", "observations", "areas", "auto" */
    int may_write_workplaces; /* not an areas-only load: the engine may
                                 prepare for a bulk load of workplaces */
} sinspace__import_start;

/* A validated workplace row.  NULL strings are absent values: an insert
 * leaves them empty, an update keeps what the store has. */
typedef struct sinspace__import_workplace {
    const char *ext_id;
    const char *name;
    const char *name_local;
    const char *sector;
    const char *address;
    const char *area_code;
    const char *source_type; /* "primary", "secondary" */
    const char *source_note;
    const char *status;      /* NULL: 'unknown' for a new workplace */
    const char *first_seen;  /* YYYY-MM-DD; an update keeps the earlier */
    const char *last_seen;   /* YYYY-MM-DD; an update keeps the later */
    double lon, lat;         /* EPSG:4326 */
    const unsigned char *footprint_wkb; /* MULTIPOLYGON, EPSG:4326; NULL: none */
    size_t footprint_size;
    /* A new workplace's current risk and class (NaN and NULL when it has
     * no observation); an updated one is refreshed at the end from all its
     * observations (refresh_risk). */
    double risk;
    const char *risk_class;
} sinspace__import_workplace;

/* A validated observation of a workplace on one day; a second one for the
 * same workplace and day replaces the first. */
typedef struct sinspace__import_observation {
    const char *observed;    /* YYYY-MM-DD */
    double risk;             /* 1.0 .. 3.0 */
    int scored;              /* how many indicators were scored */
    const int *scores;       /* SINSPACE_INDICATORS scores, 0 = not scored */
    const char *source_type;
    const char *source_note;
    const char *observer;
} sinspace__import_observation;

/* A validated area, inserted or, when its code exists, replaced. */
typedef struct sinspace__import_area {
    const char *code;
    const char *parent_code; /* NULL for a root */
    const char *level;       /* "district", ... */
    int level_rank;          /* sinspace_area_level */
    const char *name_local;
    const char *name_latin;
    const char *source;
    const unsigned char *wkb; /* MULTIPOLYGON, EPSG:4326 */
    size_t wkb_size;
    double area_km2;          /* geodesic, on WGS 84 (GeographicLib) */
} sinspace__import_area;

/* An indicator of a user's catalogue. */
typedef struct sinspace__import_indicator {
    long long position;      /* 1 .. SINSPACE_INDICATORS */
    const char *code;
    const char *name;
    const char *domain;
    double weight;           /* above 0 */
    const char *description;
} sinspace__import_indicator;

/* A scored observation's new risk from its scores (NaN: leave it). */
typedef double (*sinspace__import_score_fn)(void *user, const int *scores);

struct sinspace__import_ops {
    /* The indicator weights, indexed by position - 1. */
    sinspace_status (*indicator_weights)(sinspace_store *store,
                                         double weights[SINSPACE_INDICATORS]);

    /* Opens a load: one transaction, in which the import is recorded.
     * *have_areas tells whether the store holds any area.  On failure
     * nothing is left open and *out is untouched; on success *out is ended
     * with end(). */
    sinspace_status (*begin)(sinspace_store *store,
                             const sinspace__import_start *start,
                             sinspace__import_load **out, int *have_areas);
    /* Commits (commit != 0) or rolls the load back, and frees it.  Returns
     * the commit's status (a rollback returns SINSPACE_OK). */
    sinspace_status (*end)(sinspace__import_load *load, int commit);

    /* Lookups for validation. */
    int (*sector_known)(sinspace__import_load *load, const char *code);
    int (*area_known)(sinspace__import_load *load, const char *code);
    /* The workplace with this external id, or 0. */
    long long (*workplace_find)(sinspace__import_load *load, const char *ext_id);

    /* Inserts the workplace, or updates the one with its ext_id; *id is
     * its id and *updated tells which. */
    sinspace_status (*workplace_write)(sinspace__import_load *load,
                                       const sinspace__import_workplace *w,
                                       long long *id, int *updated);
    /* Writes an observation of workplace id.  refresh: the workplace's
     * current risk is recomputed at the end (refresh_risk); a workplace
     * just written by workplace_write is already marked as needed. */
    sinspace_status (*observation_write)(sinspace__import_load *load,
                                         long long workplace_id,
                                         const sinspace__import_observation *o,
                                         int refresh);

    /* The parent of an area of level_rank with geometry wkb (bounding box
     * min_x..max_y): among the areas of a coarser level that overlap it,
     * the finest level, and there the largest overlap.  Writes its code
     * into code ("" when none). */
    sinspace_status (*area_parent)(sinspace__import_load *load, int level_rank,
                                   const unsigned char *wkb, size_t wkb_size,
                                   double min_x, double min_y, double max_x,
                                   double max_y, char *code, size_t code_size);
    /* Claims code for this load: 1 when no earlier area of the load has it
     * (it is now taken), 0 when one has. */
    int (*area_code_claim)(sinspace__import_load *load, const char *code);
    sinspace_status (*area_write)(sinspace__import_load *load,
                                  const sinspace__import_area *a, int *updated);

    /* Derived columns, before end.  refresh_risk: the current risk, class
     * and last date of every workplace marked for it.  refresh_members:
     * which areas contain the workplaces written by the load (all the
     * store's workplaces when all is set) and their finest area code. */
    sinspace_status (*refresh_risk)(sinspace__import_load *load);
    sinspace_status (*refresh_members)(sinspace__import_load *load, int all);
    /* Records the load's row count and completes what the engine set
     * aside for the load (indexes, triggers); before end(load, 1). */
    sinspace_status (*finish)(sinspace__import_load *load, long long rows);

    /* Writes the audit row inside the open transaction. */
    sinspace_status (*audit)(sinspace_store *store,
                             const sinspace_audit_entry *entry);

    /* A user's indicator catalogue, in one transaction of its own:
     * indicators_begin empties the catalogue (on failure nothing is left
     * open); indicator_write adds one (a refusal is reported as
     * "where: reason"); indicators_rescore gives every scored observation
     * the risk fn computes and refreshes every workplace's current risk;
     * indicators_end commits or rolls back. */
    sinspace_status (*indicators_begin)(sinspace_store *store);
    sinspace_status (*indicator_write)(sinspace_store *store,
                                       const sinspace__import_indicator *ind,
                                       const char *where);
    sinspace_status (*indicators_rescore)(sinspace_store *store,
                                          sinspace__import_score_fn fn,
                                          void *user);
    sinspace_status (*indicators_end)(sinspace_store *store, int commit);
};

extern const sinspace__import_ops sinspace__spatialite_import_ops;

#endif
