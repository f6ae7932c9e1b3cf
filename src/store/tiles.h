/* tiles.h: the imagery catalogue's domain of the engine seam (see
 * store/engine.h).
 *
 * What io/tiles.c asks of a store: find a registered tile by id or path,
 * register or refresh analysed tiles, unregister one, list the catalogue,
 * the tiles over a box, and for every workplace the best tile covering it.
 * Opening rasters with GDAL and working out their footprints stays in
 * io/tiles.c; the engine only keeps and searches what it is given.
 *
 * Tiles are handed out (and taken in) as the public sinspace_tile, valid
 * while the callback runs; a NULL number is NaN.  "Best" is everywhere the
 * same order: finest first (smallest pixel_size_m, unknown last), then
 * newest (acquired, later first, undated last), then the latest added,
 * then the highest id. */
#ifndef SINSPACE_STORE_TILES_H
#define SINSPACE_STORE_TILES_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <sinspace/audit.h>
#include <sinspace/tiles.h>

#include <stddef.h>

typedef int (*sinspace__tile_fn)(void *user, const sinspace_tile *tile);
typedef int (*sinspace__tile_cover_fn)(void *user,
                                       const sinspace_tile_cover *row);

/* A tile service (or a package fetched from one), as `tile_services`
 * keeps it.  Numbers unknown are -1 (ids 0). */
typedef struct sinspace__tile_service {
    long long tile_id;
    const char *kind;      /* xyz, tms, wmts, wms, gdal, package */
    const char *url;       /* the template, GetCapabilities URL, GDAL
                              connection string or description file */
    const char *headers;   /* "Name: value" lines; secret: never printed */
    int min_zoom, max_zoom;
    long long service_id;  /* package: the service it was fetched from */
    int zoom;              /* package: its zoom level */
} sinspace__tile_service;

struct sinspace__tile_ops {
    /* The id of tile id, or of the tile registered at path (compared as
     * stored); *out is 0 when there is none.  Give id > 0 or path. */
    sinspace_status (*find)(sinspace_store *store, long long id,
                            const char *path, long long *out);

    /* In one transaction with audit: each of the n tiles (path, driver,
     * crs, width, height, bands, pixel_size, pixel_size_m, acquired,
     * source, attribution, added, footprint_wkb; NaN sizes stored as
     * unknown) is inserted, or refreshes the row registered at its path,
     * keeping that row's id and its acquired, source and attribution where
     * the tile has NULL.  *inserted and *updated count each kind.  Nothing
     * is written on failure. */
    sinspace_status (*add)(sinspace_store *store, const sinspace_tile *tiles,
                           size_t n, const sinspace_audit_entry *audit,
                           long long *inserted, long long *updated);

    /* In one transaction: unregisters tile id and writes audit, whose
     * target the engine sets to the tile's stored path (audit->target is
     * kept when the row is already gone). */
    sinspace_status (*remove)(sinspace_store *store, long long id,
                              const sinspace_audit_entry *audit);

    /* Every tile, by id (missing left 0). */
    sinspace_status (*list)(sinspace_store *store, sinspace__tile_fn fn,
                            void *user);

    /* The tiles whose footprint intersects bbox = {west, south, east,
     * north} (lon/lat), best first. */
    sinspace_status (*covering)(sinspace_store *store, const double bbox[4],
                                sinspace__tile_fn fn, void *user);

    /* Every workplace, by id, with the best tile whose footprint covers
     * its point (the edge counts), or tile NULL.  The tile carries id,
     * path, driver, crs, pixel sizes, acquired, source and attribution;
     * its bounds are NaN. */
    sinspace_status (*cover)(sinspace_store *store, sinspace__tile_cover_fn fn,
                             void *user);

    /* In one transaction with audit: registers (or refreshes, at the same
     * path) tile and its service row svc (svc->tile_id is ignored); *id is
     * the tile's id, *inserted 1 when it is new.  Nothing written on
     * failure. */
    sinspace_status (*add_service)(sinspace_store *store,
                                   const sinspace_tile *tile,
                                   const sinspace__tile_service *svc,
                                   const sinspace_audit_entry *audit,
                                   long long *id, int *inserted);

    /* Calls fn once with the service row of tile id, or not at all when
     * the tile is a plain file. */
    sinspace_status (*service)(sinspace_store *store, long long id,
                               int (*fn)(void *user,
                                         const sinspace__tile_service *svc),
                               void *user);
};

extern const sinspace__tile_ops sinspace__spatialite_tile_ops;

#endif
