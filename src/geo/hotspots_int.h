/* hotspots_int.h: what geo/hotspots.c shares with geo/zones.c and the
 * tests: the geodesic pairs within a band. */
#ifndef SINSPACE_HOTSPOTS_INT_H
#define SINSPACE_HOTSPOTS_INT_H

#include "core/sinspaceInt.h"

#include <stddef.h>

/* Geodesic distance in metres on WGS 84 (geod_inverse). */
double sinspace__hotspot_distance(double lon1, double lat1, double lon2,
                                  double lat2);

/* Calls fn(user, i, j) once for each pair i < j of points within band_m
 * metres of each other (geodesic, inclusive); fn returns non-zero to stop
 * (the result is then SINSPACE_INTERRUPTED). */
sinspace_status sinspace__hotspot_pairs(sinspace_context *ctx, size_t n,
                                        const double *lon, const double *lat,
                                        double band_m,
                                        int (*fn)(void *user, size_t i, size_t j),
                                        void *user);

#endif
