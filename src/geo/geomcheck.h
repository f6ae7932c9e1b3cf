/* geomcheck.h: polygon inputs read strictly, before OGR or GEOS see them,
 * and the one way a geometry fault is worded (import and query alike).
 *
 * OGR normalises what it reads: a GeoJSON hole whose last position has one
 * number ([100.2]) is dropped without a word, and the polygon then covers
 * the hole.  So a GeoJSON text is first parsed here, every position, ring
 * size and ring closure checked as written, and each fault reported with
 * its feature, polygon, ring and position.  File-level faults (not JSON,
 * not GeoJSON, an unknown "type") are named here too. */
#ifndef SINSPACE_GEO_GEOMCHECK_H
#define SINSPACE_GEO_GEOMCHECK_H

#include "core/sinspaceInt.h"

#include <stddef.h>

/* Where and what.  Indexes are 1-based; 0 means "not applicable" (a bare
 * geometry has feature 0, a Polygon polygon 0, a fault of a whole ring
 * position 0). */
typedef struct sinspace__geom_fault {
    long feature;
    long polygon;
    long ring;
    long position;
    int fixable;     /* an unclosed ring: --make-valid closes it */
    char what[320];  /* the fault, e.g. "[100.2] has 1 number; ..." */
} sinspace__geom_fault;

/* The one wording of a fault's place and reason:
 * "polygon 1, ring 2 (a hole), position 5: [100.2] has 1 number; a
 * position is [lon, lat]".  The feature is left to the caller (import and
 * query name features differently: with or without its name). */
void sinspace__geom_fault_format(const sinspace__geom_fault *f, char *buf,
                                 size_t size);

/* GEOS's validity reason ("Self-intersection[100.5 0.5]") in the same
 * words ("self-intersection at 100.5 0.5").  why may be NULL. */
void sinspace__geos_reason_format(const char *why, char *buf, size_t size);

/* Does text look like JSON (first non-space byte '{' or '[')? */
int sinspace__looks_like_json(const char *text, size_t size);

/* Called for each faulty feature; returns non-zero to stop. */
typedef int (*sinspace__geom_fault_fn)(void *user, const sinspace__geom_fault *f);

/* Checks a GeoJSON text (FeatureCollection, Feature or geometry).
 * Returns 0 when it is GeoJSON (fn was called for every feature with a
 * fault, the first fault of each), or -1 when it is not JSON or not
 * GeoJSON, with the cause in file_reason ("not JSON: line 3, column 7:
 * expected ',' or '}'", "not GeoJSON: unknown type \"Polgon\"").
 * Faults marked fixable are reported only when report_fixable. */
int sinspace__geojson_check(const char *text, size_t size, int report_fixable,
                            sinspace__geom_fault_fn fn, void *user,
                            char *file_reason, size_t reason_size);

/* Reads a whole regular file into memory (NUL-terminated) for the check,
 * refusing what is not a regular file with its kind ("a directory", "a
 * character device") and files over max bytes.  NULL with reason set. */
char *sinspace__read_input(const char *path, size_t max, size_t *size,
                           char *reason, size_t reason_size);

/* GEOS's repair as --make-valid does it for query and import alike: the
 * structure method, collapsed parts dropped, only the polygons kept (lines
 * and points left over from collapsed rings go).  NULL when no area is
 * left or GEOS fails.  The caller destroys the result. */
GEOSGeometry *sinspace__geom_make_valid(GEOSContextHandle_t h,
                                        const GEOSGeometry *g);

#endif
