/* spatialite.c: the SpatiaLite engine's table of operations (engine.h).
 * Each domain's operations are in store/spatialite_<domain>.c. */
#include "store/store_int.h"
#include "store/areas.h"
#include "store/fences.h"
#include "store/query.h"

const sinspace_engine sinspace__spatialite_engine = {
    .name = "spatialite",

    .areas = &sinspace__spatialite_area_ops,

    /* .features: render's readers */

    .query = &sinspace__spatialite_query_ops,

    .fences = &sinspace__spatialite_fence_ops,

    /* .import */

    /* .export */

    /* .zones */

    /* .tiles */

    /* .serve */
};

const sinspace_engine *
sinspace__store_engine(const sinspace_store *store)
{
    return store ? store->engine : NULL;
}
