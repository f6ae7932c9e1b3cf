/* import_int.h: what the import's source readers share.
 *
 * As libvips's foreign/ has one loader per format over one base, an import
 * is read by one reader per source (import_csv.c: CSV workplaces and
 * observations; import_ogr.c: OGR/GeoJSON point and footprint sources;
 * import_areas.c: area polygons) over one base (import.c: the entry
 * points, the options, the one row validator, error reporting and the
 * rejects file).  Every row goes through the same validator whatever its
 * source, and reaches the store only through the engine seam
 * (store/import.h). */
#ifndef SINSPACE_IO_IMPORT_INT_H
#define SINSPACE_IO_IMPORT_INT_H

#include "core/outfile.h"
#include "core/sinspaceInt.h"
#include "store/import.h"

#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <stddef.h>

/* The workplace CSV contract's columns. */
enum sinspace__import_column {
    COL_ID, COL_NAME, COL_SECTOR, COL_LON, COL_LAT, COL_WKT, COL_NAME_LOCAL,
    COL_ADDRESS, COL_AREA, COL_SOURCE, COL_SOURCE_NOTE, COL_STATUS,
    COL_FIRST_SEEN, COL_OBSERVED, COL_RISK, COL_OBSERVER,
    COL_I01, /* .. COL_I28 */
    N_COLUMNS = COL_I01 + SINSPACE_INDICATORS
};

/* One import in progress. */
typedef struct sinspace__importer {
    sinspace_store *store;
    sinspace_context *ctx;
    const sinspace__import_ops *ops;  /* the store's engine */
    sinspace__import_load *load;      /* the open load, owned by the engine */
    const char *path;
    const sinspace_import_options *opts;
    sinspace_import_kind kind;
    sinspace_import_result result;
    double weights[SINSPACE_INDICATORS];
    int have_areas;
    char today[11];
    OGRCoordinateTransformationH to_wgs84; /* NULL: already lon/lat */
    sinspace__outfile *rejects;            /* NULL without --skip-invalid */
    int rejects_header_done;
    /* GeoJSON sources read as written (geo/geomcheck.h): the fault of
     * feature i (1-based) in strict_faults[i], NULL when it has none. */
    char **strict_faults;
    long n_strict;
    /* What this file has given so far (import.c): "W<id>" for each
     * workplace, "O<id>\x1f<date>" for each observation, with where it was
     * first given, so a repeat is named and counts are counts stored. */
    struct sinspace__seen *seen;
    size_t n_seen, cap_seen;
    long long dropped; /* rows with fields that could not be stored */
} sinspace__importer;

/* Frees the importer's record of what the file gave. */
void sinspace__import_seen_free(sinspace__importer *im);
/* Frees what a run of the importer holds (the transform, the strict
 * reader's faults, the ids seen); the load itself is ended by the caller. */
void sinspace__import_release(sinspace__importer *im);

/* One row, whatever its source: the raw text of each contract column
 * (NULL when absent or empty) and, for OGR sources, the geometry. */
typedef struct sinspace__import_row {
    const char *v[N_COLUMNS];
    OGRGeometryH geom; /* borrowed; EPSG:4326 already */
} sinspace__import_row;

/* The contract column a header or field name stands for (lon/lat have
 * other accepted spellings), or -1. */
int sinspace__import_column_lookup(const char *name);

/* Logs one bad row and, with a rejects file, writes it there: where,
 * reason, then the row's fields (header: the source's column names, for
 * the rejects file's first line). */
void sinspace__import_reject(sinspace__importer *im, const char *where,
                             const char *reason, char *const *fields,
                             size_t n_fields, char *const *header,
                             size_t n_header);

/* Validates a workplace row and writes it (with its observation, if it
 * has one).  A bad row is rejected (sinspace__import_reject with the
 * given fields) and is not an error; the status is the store's. */
sinspace_status sinspace__import_workplace_row(sinspace__importer *im,
                                           const sinspace__import_row *r,
                                           const char *where,
                                           char *const *fields, size_t n_fields,
                                           char *const *header, size_t n_header);

/* Validates an observation row of a known workplace and writes it; a bad
 * row is rejected as above. */
sinspace_status sinspace__import_observation_row(sinspace__importer *im,
                                             const sinspace__import_row *r,
                                             const char *where,
                                             char *const *fields, size_t n_fields,
                                             char *const *header, size_t n_header);

/* Checks lon/lat after any reprojection: 0, or -1 with reason. */
int sinspace__import_check_lonlat(double lon, double lat, char *reason,
                                  size_t reason_size);
/* Checks a polygon's envelope and validity (GEOS's reason when invalid,
 * worded as query words it): 0, or -1 with reason.  With --make-valid an
 * invalid polygon is repaired in place (*g replaced) and the change logged
 * as a warning for `where`. */
int sinspace__import_check_polygon(sinspace__importer *im, OGRGeometryH *g,
                                   const char *where, char *reason,
                                   size_t reason_size);
/* The strict reading's fault of feature nfeat (1-based), or NULL. */
const char *sinspace__import_strict_fault(const sinspace__importer *im,
                                          long long nfeat);
/* A geometry as ISO WKB (little-endian); NULL when out of memory.  The
 * caller frees it. */
unsigned char *sinspace__import_wkb(OGRGeometryH g, size_t *size);

/* The CRS named by --srs, or NULL in *out when none was given; the caller
 * destroys it. */
sinspace_status sinspace__import_srs_from_option(sinspace__importer *im,
                                                 OGRSpatialReferenceH *out);
/* Sets up the transformation from src to EPSG:4326 lon/lat; a NULL src
 * means the data is lon/lat already. */
sinspace_status sinspace__import_setup_transform(sinspace__importer *im,
                                                 OGRSpatialReferenceH src);

/* Reports progress every `every` rows (and never for row 0). */
sinspace_status sinspace__import_progress(sinspace__importer *im,
                                          long long count, long long every,
                                          double done, double total);

/* The readers: CSV (import_csv.c), OGR (import_ogr.c), which hands polygon
 * layers to the area reader (import_areas.c). */
sinspace_status sinspace__import_csv(sinspace__importer *im);
sinspace_status sinspace__import_ogr(sinspace__importer *im);
sinspace_status sinspace__import_areas(sinspace__importer *im, OGRLayerH layer);

#endif
