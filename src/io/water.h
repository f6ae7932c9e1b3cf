/* water.h: loading the water layer (sinspace import --as water; see
 * docs/export.md, "Geomasking").  Private to the library. */
#ifndef SINSPACE_IO_WATER_H
#define SINSPACE_IO_WATER_H

#include <sinspace/import.h>

/* Reads the polygons of path (any source the region reader opens: GeoJSON,
 * GPKG, Shapefile..., WKT; reprojected from opts->srs or the source's own
 * CRS, repaired when invalid) and adds each to the store's water layer in
 * one transaction, with one audit row.  result->rows and ->inserted count
 * the polygons added. */
sinspace_status sinspace__import_water(sinspace_store *store, const char *path,
                                       const sinspace_import_options *opts,
                                       sinspace_import_result *result);

#endif
