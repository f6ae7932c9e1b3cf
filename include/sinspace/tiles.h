/* sinspace/tiles.h: the catalogue of satellite and aerial imagery.
 *
 * A tile is a raster file GDAL opens (GeoTIFF, COG, JPEG2000, VRT,
 * MBTiles, ...) in any CRS, registered in the store's `tiles` table with
 * its absolute path, driver, CRS, size, pixel size, acquisition date,
 * source and attribution, and its true footprint: the outline of its pixel
 * grid (20 points per edge) carried to EPSG:4326 through the raster's
 * geotransform or GCPs and PROJ, kept as a spatially indexed MULTIPOLYGON.
 * The files stay where they are; the store only points at them. */
#ifndef SINSPACE_TILES_H
#define SINSPACE_TILES_H

#include <sinspace/api.h>

#include <sinspace/store.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One registered tile.  Strings and the footprint live until the callback
 * returns; absent values are NULL (NaN for numbers). */
typedef struct sinspace_tile {
    long long id;
    const char *path;        /* absolute, symbolic links resolved */
    const char *driver;      /* GDAL short name: GTiff, JP2OpenJPEG, VRT, ... */
    const char *crs;         /* "EPSG:32647", or WKT2 when it has no code */
    int width, height, bands;
    double pixel_size;       /* in CRS units (degrees, metres, ...) */
    double pixel_size_m;     /* approximately, on the ground, in metres */
    const char *acquired;    /* YYYY-MM-DD or NULL */
    const char *source;
    const char *attribution;
    const char *added;       /* ISO 8601 UTC of the last registration */
    double west, south, east, north;  /* bounds of the footprint, lon/lat */
    const unsigned char *footprint_wkb; /* MULTIPOLYGON, EPSG:4326 */
    size_t footprint_wkb_size;
    int missing;             /* list only: the file is gone or unreadable */
} sinspace_tile;

typedef struct sinspace_tiles_add_options {
    /* YYYY-MM-DD; overrides the date found in the raster's metadata
     * (TIFFTAG_DATETIME, ACQUISITIONDATETIME, IMAGERY domain).  NULL: use
     * the metadata, or none. */
    const char *acquired;
    const char *source;      /* e.g. "Copernicus Sentinel-2"; may be NULL */
    const char *attribution; /* e.g. "Contains modified Copernicus ..." */
} sinspace_tiles_add_options;

SINSPACE_API void sinspace_tiles_add_options_init(sinspace_tiles_add_options *opts);

typedef struct sinspace_tiles_add_result {
    long long inserted;      /* new tiles */
    long long updated;       /* paths registered before, refreshed */
} sinspace_tiles_add_result;

/* Registers n raster files in one transaction, with one audit row.  A file
 * that cannot be read fails with SINSPACE_IO or SINSPACE_NOT_FOUND, a file
 * that is not a georeferenced raster (corrupt, truncated, text) with
 * SINSPACE_INVALID_INPUT, both naming the file; then nothing is written.
 * Registering a path again updates its row (same id).  opts and result may
 * be NULL. */
SINSPACE_API sinspace_status sinspace_tiles_add(sinspace_store *store,
                                   const char *const *paths, size_t n,
                                   const sinspace_tiles_add_options *opts,
                                   sinspace_tiles_add_result *result);

/* Calls fn for each tile, by id, with missing set for files that are gone
 * (or are no longer readable).  fn returns non-zero to stop. */
SINSPACE_API sinspace_status sinspace_tiles_list(sinspace_store *store,
                                    int (*fn)(void *user_data,
                                              const sinspace_tile *tile),
                                    void *user_data);

/* Unregisters a tile given by id (all digits) or by path (resolved like
 * add, or as stored when the file is gone); writes an audit row.  The file
 * itself is not touched.  SINSPACE_NOT_FOUND when no tile matches.
 * removed_id may be NULL. */
SINSPACE_API sinspace_status sinspace_tiles_remove(sinspace_store *store,
                                      const char *id_or_path,
                                      long long *removed_id);

/* Calls fn for each tile whose footprint intersects the lon/lat box
 * bbox = {west, south, east, north}, finest first (smallest pixel_size_m),
 * then newest (acquired, later first, undated last), then latest added.
 * For the renderer and `info`.  fn returns non-zero to stop. */
SINSPACE_API sinspace_status sinspace_tiles_covering(sinspace_store *store,
                                        const double bbox[4],
                                        int (*fn)(void *user_data,
                                                  const sinspace_tile *tile),
                                        void *user_data);

/* One workplace and the tile that images it best. */
typedef struct sinspace_tile_cover {
    long long workplace_id;
    const char *ext_id;
    const char *name;
    const char *sector;
    double lon, lat;
    const sinspace_tile *tile; /* finest then newest covering it; NULL: none */
} sinspace_tile_cover;

typedef struct sinspace_tiles_cover_stats {
    long long workplaces;
    long long covered;
} sinspace_tiles_cover_stats;

/* Calls fn for every workplace, by id, with the finest then newest tile
 * whose footprint covers its point (R*Tree candidates, ST_Covers decides;
 * a point on the edge counts).  Tiles only carry id, path, pixel sizes,
 * date and source here.  fn returns non-zero to stop being called (stats
 * still count every workplace).  Does not write the audit trail.  stats may
 * be NULL. */
SINSPACE_API sinspace_status sinspace_tiles_cover(sinspace_store *store,
                                     int (*fn)(void *user_data,
                                               const sinspace_tile_cover *row),
                                     void *user_data,
                                     sinspace_tiles_cover_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
