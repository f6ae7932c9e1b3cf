/* sinspace/import.h: loading workplaces, observations and areas.
 *
 * Sources are CSV files (the workplace CSV contract in README.md) or any
 * vector source OGR opens (GeoJSON, GPKG, Shapefile, KML, FlatGeobuf, ...),
 * reprojected to EPSG:4326 through OGR/PROJ.  An import is one transaction:
 * any invalid row rejects the whole source and the database is left exactly
 * as it was, unless a rejects file is given, in which case the good rows are
 * loaded and each bad one is written to that file with its reason. */
#ifndef SINSPACE_IMPORT_H
#define SINSPACE_IMPORT_H

#include <sinspace/api.h>

#include <sinspace/store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sinspace_import_kind {
    SINSPACE_IMPORT_AUTO = 0,  /* areas for polygon sources, else workplaces */
    SINSPACE_IMPORT_WORKPLACES,
    SINSPACE_IMPORT_OBSERVATIONS,
    SINSPACE_IMPORT_AREAS,
    SINSPACE_IMPORT_WATER      /* polygons public points are kept out of */
} sinspace_import_kind;

typedef struct sinspace_import_options {
    sinspace_import_kind kind;
    /* CRS of the source's coordinates when it declares none (CSV lon/lat or
     * wkt, or a source without a CRS): anything PROJ understands, e.g.
     * "EPSG:32647".  NULL means EPSG:4326 lon/lat. */
    const char *srs;
    /* Load the good rows and write each rejected one, with its reason, to
     * this CSV file.  NULL: one bad row rejects everything. */
    const char *rejects_path;
    /* OGR layer to read; NULL for the first. */
    const char *layer;
    /* Areas: the fields holding the Latin name, the local-script name and
     * the code (NULL: guessed from common names such as name_en/ADMn_EN,
     * name_th/ADMn_TH, code/pcode; a missing code is made from the parent's
     * code and the Latin name), and the level of every feature. */
    const char *name_field;
    const char *name_local_field;
    const char *code_field;
    sinspace_area_level level;
    /* Source description recorded with areas (e.g. attribution). */
    const char *source;
    /* How many row errors to log before only counting them. */
    int max_errors_logged;
    /* Repair invalid polygons (areas, footprints) with GEOS instead of
     * refusing them, and close unclosed rings; each change is logged as a
     * warning naming the feature.  Malformed positions are refused all the
     * same. */
    int make_valid;
    /* Accept bidirectional control characters (U+202A..U+202E,
     * U+2066..U+2069) in ids and names; refused by default. */
    int allow_bidi;
    /* A workplace id given twice in one file: the last row wins, with a
     * warning naming both lines; by default it is an error. */
    int last_wins;
} sinspace_import_options;

SINSPACE_API void sinspace_import_options_init(sinspace_import_options *opts);

typedef struct sinspace_import_result {
    long long rows;          /* rows or features read */
    long long inserted;      /* new workplaces or areas */
    long long updated;       /* existing workplaces or areas updated */
    long long observations;  /* observations added or replaced */
    long long rejected;      /* rows refused (loaded nothing, or written to rejects) */
} sinspace_import_result;

/* Imports path into store.  On SINSPACE_INVALID_INPUT without a rejects
 * file nothing was written; each bad row was logged at SINSPACE_LOG_ERROR
 * as "FILE: line N: reason" (or "FILE: feature N: reason") and result->rejected
 * counts them.  result may be NULL. */
SINSPACE_API sinspace_status sinspace_import_file(sinspace_store *store, const char *path,
                                     const sinspace_import_options *opts,
                                     sinspace_import_result *result);

/* Replaces the indicator catalogue with a CSV of 28 rows
 * (position,code,name,domain,weight,description; positions 1..28, weights
 * above 0), then recomputes every scored observation's risk and every
 * workplace's current risk with the new weights, in one transaction. */
SINSPACE_API sinspace_status sinspace_import_indicators(sinspace_store *store,
                                           const char *path);

#ifdef __cplusplus
}
#endif
#endif
