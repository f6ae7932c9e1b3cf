/* geomask.h: displacing workplace points for public exports (private to
 * the library; see docs/export.md for the rule).
 *
 * A point is moved in a random direction by a random geodesic distance:
 * 100 m .. 2 km for urban workplaces, 100 m .. 5 km for rural ones, and
 * 100 m .. 10 km for 1 in 100 rural ones, kept inside the workplace's
 * district (else its province), as the DHS programme displaces survey
 * clusters.  The random stream is HMAC-SHA256 keyed with a per-database
 * secret over the workplace's ext_id, so a workplace is displaced the same
 * way on every export and repeated exports cannot be averaged.  Where the
 * store holds a water layer, a displaced point never lands in water: the
 * draw is retried, within the same limits and area. */
#ifndef SINSPACE_GEOMASK_H
#define SINSPACE_GEOMASK_H

#include "core/sinspaceInt.h"

#include <stddef.h>

#define SINSPACE_GEOMASK_MIN_M 100.0
#define SINSPACE_GEOMASK_URBAN_M 2000.0
#define SINSPACE_GEOMASK_RURAL_M 5000.0
#define SINSPACE_GEOMASK_FAR_M 10000.0
#define SINSPACE_GEOMASK_FAR_SHARE 0.01
/* Urban: the workplace's subdistrict (else district) holds at least this
 * many mapped workplaces per km2. */
#define SINSPACE_GEOMASK_URBAN_DENSITY 1.0
#define SINSPACE_GEOMASK_SECRET_BYTES 32

typedef struct sinspace_geomask sinspace_geomask;

/* Reads the store's geomasking secret, creating it (from getrandom()) on
 * first use, which needs the store open for writing. */
sinspace_status sinspace__geomask_create(sinspace_store *store,
                                         sinspace_geomask **out);
void sinspace__geomask_destroy(sinspace_geomask *gm);

/* The result for one workplace. */
typedef struct sinspace_geomask_result {
    double lon, lat;          /* displaced point */
    double distance_m;        /* how far it moved */
    double max_m;             /* the limit that applied */
    int urban;
    char kept_in[64];         /* code of the district or province it was
                                 kept inside; "" if none is known */
    int kept_level;           /* level rank of kept_in, -1 if none */
} sinspace_geomask_result;

sinspace_status sinspace__geomask_point(sinspace_geomask *gm,
                                        long long workplace_id,
                                        const char *ext_id, double lon,
                                        double lat,
                                        sinspace_geomask_result *out);

/* The key public files are ordered by: HMAC-SHA256 of ext_id under the
 * same secret in a domain of its own ("sinspace-order-v1"), 63 bits.  The
 * order is the same on every export of one store and tells nothing of the
 * database ids or of another file's order. */
long long sinspace__geomask_order_key(const sinspace_geomask *gm,
                                      const char *ext_id);

/* Four uniform numbers in [0, 1) from block `block` of the stream of
 * ext_id under secret (exposed for tests). */
void sinspace__geomask_uniforms(const unsigned char *secret, size_t secret_size,
                                const char *ext_id, unsigned block, double u[4]);

#endif
