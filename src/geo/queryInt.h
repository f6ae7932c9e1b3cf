/* queryInt.h: what region.c, query.c and fence.c share about regions.
 *
 * A region is either polygonal (geom, EPSG:4326, valid, Polygon or
 * MultiPolygon) or a geodesic circle (centre and radius; geom is then its
 * 128-gon, made on demand for WKB and fences only: selection uses the exact
 * geodesic distance). */
#ifndef SINSPACE_QUERY_INT_H
#define SINSPACE_QUERY_INT_H

#include "core/sinspaceInt.h"

#include <sinspace/query.h>

struct sinspace_region {
    sinspace_context *ctx;
    int is_circle;
    double lon, lat, radius_m;   /* circle */
    GEOSGeometry *geom;          /* polygonal regions; circle: its 128-gon or NULL */
    char *description;
    unsigned char *wkb;
    size_t wkb_size;
};

/* WGS 84 ellipsoid, as PROJ's geodesic API wants it. */
#define SINSPACE_WGS84_A 6378137.0
#define SINSPACE_WGS84_F (1.0 / 298.257223563)

/* Geodesic distance in metres between two lon/lat points (WGS 84). */
double sinspace__geodesic_distance(double lon1, double lat1, double lon2,
                                   double lat2);

/* The bounding box (west, south, east, north) of a circle region, wide
 * enough never to miss a point inside it. */
void sinspace__circle_bounds(const sinspace_region *region, double bbox[4]);

#endif
