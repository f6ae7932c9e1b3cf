/* tiles_int.h: what the imagery catalogue (tiles.c), the package fetcher
 * (tiles_fetch.c) and the basemap (render/basemap.c) share about Web
 * Mercator tile grids. */
#ifndef SINSPACE_IO_TILES_INT_H
#define SINSPACE_IO_TILES_INT_H

#include <sinspace/tiles.h>

/* The pixel size of Web Mercator zoom z (256-pixel tiles), in metres of
 * the projection (on the ground at latitude L: times cos L). */
double sinspace__tiles_zoom_res(int z);

/* Registers the package at path (GDAL reads it as any raster), fetched at
 * zoom from service (its id, URL, source, attribution and date), with one
 * audit row; *id its tile id. */
sinspace_status sinspace__tiles_add_package(sinspace_store *store,
                                            const char *path,
                                            const sinspace_tile *service,
                                            int zoom, long long *id);

#endif
