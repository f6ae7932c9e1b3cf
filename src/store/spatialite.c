/* spatialite.c: the SpatiaLite engine's table of operations (engine.h).
 * Each domain's operations are in store/spatialite_<domain>.c. */
#include "store/store_int.h"
#include "store/areas.h"
#include "store/export.h"
#include "store/serve.h"

const sinspace_engine sinspace__spatialite_engine = {
    .name = "spatialite",

    .areas = &sinspace__spatialite_area_ops,

    /* .features: render's readers */

    /* .query */

    /* .fences */

    /* .import */

    .export = &sinspace__spatialite_export_ops,

    /* .zones */

    /* .tiles */

    .serve = &sinspace__spatialite_serve_ops,
};

const sinspace_engine *
sinspace__store_engine(const sinspace_store *store)
{
    return store ? store->engine : NULL;
}
