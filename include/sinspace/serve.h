/* sinspace/serve.h: the planners' local web map.
 *
 * A small HTTP server (libmicrohttpd) over one store: XYZ tiles in Web
 * Mercator drawn with the renderer's basemap warp and symbology, a JSON /
 * GeoJSON API (areas, fences, zones, polygon queries, saving fences, layer
 * export by audience, print PDF) and one page with a slippy map.
 *
 * Safety (SECURITY.md, docs/serve.md): it binds to loopback unless told
 * otherwise, and then every request must carry the token; request bodies
 * are limited in size; every API call writes one audit row; nothing in a
 * request names a file: the page and its vendored libraries are served
 * from an in-memory table by exact name.  Each worker thread has its own
 * context and read-only store; writes (fences, audit, export, print) go
 * through one read-write store behind a mutex. */
#ifndef SINSPACE_SERVE_H
#define SINSPACE_SERVE_H

#include <sinspace/api.h>

#include <sinspace/context.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sinspace_server sinspace_server;

typedef struct sinspace_server_options {
    const char *db_path;      /* the store (required) */
    const char *bind;         /* address; NULL: 127.0.0.1 */
    int port;                 /* 0: any free port (see sinspace_server_port) */
    const char *token;        /* NULL: none on loopback, generated otherwise;
                                 at least 16 characters when given */
    size_t max_body;          /* bytes; 0: 1 MiB.  Larger bodies get 413 */
    int threads;              /* worker threads; 0: 4 */
    size_t cache_bytes;       /* tile cache bound; 0: 64 MiB */
    const char *vendor_dir;   /* where npm installed leaflet and
                                 leaflet-draw (the node_modules folder);
                                 NULL: the build's web/vendor-src */
    const char *style_path;   /* SLD for workplaces; NULL: built-in */
    const char *internal_token; /* a second token (16 characters at least,
                                 not the token) that grants the internal
                                 audience of /api/export; it also opens the
                                 server where the token does.  NULL: no
                                 request may export for internal */
} sinspace_server_options;

SINSPACE_API void sinspace_server_options_init(sinspace_server_options *opts);

/* Opens the stores, loads the page and vendored files into memory and
 * starts listening.  *out is freed with sinspace_server_stop().  ctx
 * receives errors of the start and the server's log lines (from several
 * threads, so its logger must be thread-safe); it must outlive the server. */
SINSPACE_API sinspace_status sinspace_server_start(sinspace_context *ctx,
                                      const sinspace_server_options *opts,
                                      sinspace_server **out);

/* The port listened on. */
SINSPACE_API int sinspace_server_port(const sinspace_server *server);

/* The token requests must carry; NULL when none is required (loopback
 * without --token).  Owned by the server. */
SINSPACE_API const char *sinspace_server_token(const sinspace_server *server);

/* Stops listening, waits for the workers and frees everything.  NULL is
 * harmless. */
SINSPACE_API void sinspace_server_stop(sinspace_server *server);

#ifdef __cplusplus
}
#endif
#endif
