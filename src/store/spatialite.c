/* spatialite.c: the SpatiaLite engine's table of operations (engine.h).
 * Each domain's operations are in store/spatialite_<domain>.c. */
#include "store/store_int.h"
#include "store/areas.h"
#include "store/features.h"
#include "store/tiles.h"
#include "store/zones.h"
#include "store/fences.h"
#include "store/query.h"
#include "store/import.h"
#include "store/export.h"
#include "store/serve.h"
#include "store/network.h"

const sinspace_engine sinspace__spatialite_engine = {
    .name = "spatialite",

    .areas = &sinspace__spatialite_area_ops,

    .features = &sinspace__spatialite_feature_ops,

    .query = &sinspace__spatialite_query_ops,

    .fences = &sinspace__spatialite_fence_ops,

    .import = &sinspace__spatialite_import_ops,

    .export = &sinspace__spatialite_export_ops,

    .zones = &sinspace__spatialite_zone_ops,

    .tiles = &sinspace__spatialite_tile_ops,

    .serve = &sinspace__spatialite_serve_ops,

    .network = &sinspace__spatialite_network_ops,
};

const sinspace_engine *
sinspace__store_engine(const sinspace_store *store)
{
    return store ? store->engine : NULL;
}
