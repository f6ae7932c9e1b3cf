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
#include <sinspace/query.h>

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
    /* NULL for a raster file; for a tile service its kind ("xyz", "tms",
     * "wmts", "wms", "gdal"), for a package fetched from one "package". */
    const char *service;
    int min_zoom, max_zoom;  /* services: zooms served; packages: the zoom
                                fetched (both); -1 unknown */
    long long service_id;    /* packages: the service fetched from, or 0 */
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

/* ---- Tile services and offline packages (docs/imagery.md) ---- */

typedef struct sinspace_tiles_service_options {
    int min_zoom, max_zoom;  /* -1 (default): 0 and 19 for XYZ/TMS, the
                                service's own for WMTS/WMS/GDAL files */
    int has_extent;          /* extent: west, south, east, north (lon/lat);
                                default the service's own (the Web
                                Mercator world for XYZ/TMS) */
    double extent[4];
    const char *source;
    const char *attribution; /* required: every map prints it */
    const char *acquired;    /* YYYY-MM-DD or NULL */
    /* "Name: value" HTTP headers sent with every request (an API key).
     * Kept in the store (private already) and never printed, logged, put
     * in the audit trail or in error messages. */
    const char *const *headers;
    size_t n_headers;
    const char *layer;       /* WMTS: the layer (listed when ambiguous) */
    const char *matrix_set;  /* WMTS: the tile matrix set */
} sinspace_tiles_service_options;

SINSPACE_API void sinspace_tiles_service_options_init(sinspace_tiles_service_options *opts);

/* Whether text names a tile service rather than a raster file: an http(s)
 * URL (XYZ/TMS template with {z} {x} {y} or {-y}, WMTS GetCapabilities,
 * WMS), a "WMTS:" or "WMS:" connection string, or a file holding a GDAL
 * WMS/WMTS description (<GDAL_WMS> / <GDAL_WMTS>). */
SINSPACE_API int sinspace_tiles_is_service(const char *text);

/* Catalogues a tile service from its metadata only (an XYZ/TMS template
 * needs no request at all; WMTS/WMS/GDAL descriptions are opened by GDAL,
 * which reads the capabilities, never a block of pixels).  Its footprint
 * is its extent, its pixel size that of its finest zoom.  One audit row
 * (the URL, never the headers).  SINSPACE_INVALID_ARGUMENT for a bad
 * template, zoom, extent, header or a missing attribution; a WMTS with
 * several layers or matrix sets and none chosen fails listing them.  id
 * may be NULL. */
SINSPACE_API sinspace_status sinspace_tiles_add_service(sinspace_store *store,
                                           const char *url,
                                           const sinspace_tiles_service_options *opts,
                                           long long *id);

/* For this process: 1 makes maps use no tile service (no network request
 * at all), only files and packages; 0 (default) lets them. */
SINSPACE_API void sinspace_tiles_set_offline(int offline);
SINSPACE_API int sinspace_tiles_offline(void);

typedef struct sinspace_tiles_fetch_plan {
    long long tiles;         /* tiles of the region at the zoom */
    long long present;       /* already in the package (resume) */
    double estimated_bytes;  /* of the tiles still to fetch */
    int zoom;
    double pixel_size_m;     /* on the ground at the region's centre */
    const char *service;     /* the service's URL (no headers) */
} sinspace_tiles_fetch_plan;

typedef struct sinspace_tiles_fetch_options {
    const char *output;      /* FILE.mbtiles or FILE.gpkg (required) */
    int overwrite;           /* 1: start FILE again; 0: refuse an existing
                                FILE (a FILE.partial of the same fetch is
                                resumed either way) */
    const char *service;     /* id or URL as catalogued; NULL: the finest
                                service covering the region */
    int zoom;                /* -1: auto, from paper and dpi */
    const char *paper;       /* auto: "A4" (default), "A3", ... */
    int landscape;
    double dpi;              /* auto: default 300 */
    int max_connections;     /* parallel requests; default 4, at most 16 */
    double max_rate;         /* requests per second; default 10 */
    double timeout;          /* seconds per request; default 30 */
    const char *user_agent;  /* default "sinspace/VERSION" */
    int partial;             /* 1: place and catalogue the package even when
                                some tiles failed */
    /* Called once with the plan before any tile is fetched; non-zero
     * stops there (nothing written). */
    int (*plan)(void *user_data, const sinspace_tiles_fetch_plan *plan);
    void *user_data;
} sinspace_tiles_fetch_options;

SINSPACE_API void sinspace_tiles_fetch_options_init(sinspace_tiles_fetch_options *opts);

typedef struct sinspace_tiles_fetch_result {
    long long tiles, present, fetched, empty, failed;
    int zoom;
    long long tile_id;       /* the package's id in the catalogue, or 0 */
    char failure[256];       /* the first tile failure, or "" */
} sinspace_tiles_fetch_result;

/* Fetches the service's tiles over region (lon/lat; its bounds) at one
 * zoom into an MBTiles or GeoPackage package through GDAL, resuming a
 * FILE.partial left by an interrupted run (tiles in it are not fetched
 * again), and registers the finished package (0600) in the catalogue with
 * the service's attribution.  404 (and 204) inside the service's extent is
 * "no imagery there", not a failure; other HTTP errors and timeouts fail
 * the tile, name it and leave a valid FILE.partial to resume from
 * (SINSPACE_IO).  result may be NULL. */
SINSPACE_API sinspace_status sinspace_tiles_fetch(sinspace_store *store,
                                     const sinspace_region *region,
                                     const sinspace_tiles_fetch_options *opts,
                                     sinspace_tiles_fetch_result *result);

#ifdef __cplusplus
}
#endif
#endif
