/* serve_int.h: what http.c (HTTP, API) and tiles.c (XYZ tiles and their
 * cache) share, and the tests may call. */
#ifndef SINSPACE_SERVE_INT_H
#define SINSPACE_SERVE_INT_H

#include "render/render_int.h"

#include <sinspace/serve.h>

#include <ogr_srs_api.h>

/* Layers a tile may draw (bits of the tile request's "layers"). */
enum {
    SERVE_LAYER_IMAGERY = 1u << 0,
    SERVE_LAYER_AREAS = 1u << 1,
    SERVE_LAYER_ZONES = 1u << 2,
    SERVE_LAYER_WORKPLACES = 1u << 3,
    SERVE_LAYER_ALL = 0xfu
};

/* What one worker thread owns: contexts are single-threaded, so each
 * worker has its own context, read-only store, symbology and transforms. */
typedef struct serve_worker {
    sinspace_context *ctx;
    sinspace_store *store;
    render_symbology *sym;
    OGRCoordinateTransformationH to_merc; /* EPSG:4326 (lon, lat) -> 3857 */
    OGRCoordinateTransformationH to_ll;   /* and back */
    char *merc_wkt;
    char version[256];                    /* the data's last change */
    double version_at;                    /* monotonic seconds it was read */
} serve_worker;

typedef struct serve_cache serve_cache;

serve_cache *sinspace__serve_cache_create(size_t max_bytes);
void sinspace__serve_cache_destroy(serve_cache *cache);
/* Hits and misses so far (for the log and the tests). */
void sinspace__serve_cache_stats(serve_cache *cache, long long *hits,
                                 long long *misses, size_t *bytes);

/* Sets up w's transforms and symbology (style_path NULL: built-in). */
sinspace_status sinspace__serve_worker_tiles(serve_worker *w,
                                             const char *style_path);

/* Reads the data version (workplaces, tiles, zones, areas) into
 * w->version, at most once a second. */
sinspace_status sinspace__serve_version(serve_worker *w);

/* The PNG of tile z/x/y with the layers given, from the cache or drawn.
 * *png is the caller's (free()). */
sinspace_status sinspace__serve_tile(serve_worker *w, serve_cache *cache,
                                     int z, int x, int y, unsigned layers,
                                     unsigned char **png, size_t *size);

/* Draws tile z/x/y with the layers given, uncached: the renderer's frame
 * for the tile's extent.  *out is the caller's (cairo_surface_destroy). */
sinspace_status sinspace__serve_tile_draw(serve_worker *w, int z, int x, int y,
                                          unsigned layers,
                                          cairo_surface_t **out);

/* A request without a socket (the fuzzers and tests): the same guards,
 * dispatch, API and audit rows as over HTTP, in the caller's thread. */
typedef struct serve_pair {
    const char *name, *value;
} serve_pair;

typedef struct serve_request_in {
    const char *method;        /* "GET", "POST", ... */
    const char *url;           /* the path, without the query string */
    const serve_pair *headers; /* Host, Authorization, Content-Length... */
    size_t n_headers;          /* (names match without case) */
    const serve_pair *args;    /* the query string, decoded */
    size_t n_args;
    const char *body;
    size_t size;
} serve_request_in;

typedef struct serve_answer {
    unsigned code;
    const char *mime;          /* NULL: an error, whose reason is message */
    char *body;                /* malloc'd, the caller's (free()) */
    size_t size;
    const char *disposition;   /* Content-Disposition, or NULL */
    char message[512];
} serve_answer;

/* The server without its workers or socket (stop it with
 * sinspace_server_stop); a worker for the caller's thread. */
sinspace_status sinspace__serve_open(sinspace_context *ctx,
                                     const sinspace_server_options *opts,
                                     sinspace_server **out);
serve_worker *sinspace__serve_worker_open(sinspace_server *s);
void sinspace__serve_worker_close(serve_worker *w);

/* Answers in into *a, as the server would over HTTP.  a->body is the
 * caller's. */
void sinspace__serve_answer(sinspace_server *s, serve_worker *w,
                            const serve_request_in *in, serve_answer *a);

#endif
