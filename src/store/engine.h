/* engine.h: the engine seam, the table of operations a store engine fills.
 *
 * As MapServer draws through rendererVTableObj and Mapnik reads through its
 * datasource plugins, the library reaches its data through this table:
 * query, render, export and serve never know which engine they read.  The
 * embedded engine is SpatiaLite (store/spatialite.c); a second one
 * (PostgreSQL/PostGIS) fills the same table.
 *
 * The table is split by domain.  Each domain's operations and the rows they
 * hand out are declared in that domain's header (store/areas.h,
 * store/import.h, ...); callers include the header and call through the
 * store's table:
 *
 *     const sinspace__area_ops *ops = sinspace__store_engine(store)->areas;
 *     st = ops->match(store, key, on_row, &state);
 *
 * Conventions every operation keeps:
 *   - values reach SQL only as bound parameters;
 *   - rows go to the caller through a callback (fn returns non-zero to
 *     stop, which is not an error) with strings and WKB blobs valid until
 *     fn returns; geometries are ISO WKB in EPSG:4326;
 *   - failures are reported through the store's context (sinspace__error),
 *     and the status is returned. */
#ifndef SINSPACE_STORE_ENGINE_H
#define SINSPACE_STORE_ENGINE_H

#include <sinspace/store.h>

typedef struct sinspace_engine sinspace_engine;

/* One struct per domain, defined in the domain's header. */
typedef struct sinspace__area_ops sinspace__area_ops;       /* store/areas.h */
typedef struct sinspace__feature_ops sinspace__feature_ops; /* store/features.h */
typedef struct sinspace__query_ops sinspace__query_ops;     /* store/query.h */
typedef struct sinspace__fence_ops sinspace__fence_ops;     /* store/fences.h */
typedef struct sinspace__import_ops sinspace__import_ops;   /* store/import.h */
typedef struct sinspace__export_ops sinspace__export_ops;   /* store/export.h */
typedef struct sinspace__zone_ops sinspace__zone_ops;       /* store/zones.h */
typedef struct sinspace__tile_ops sinspace__tile_ops;       /* store/tiles.h */
typedef struct sinspace__serve_ops sinspace__serve_ops;     /* store/serve.h */
typedef struct sinspace__network_ops sinspace__network_ops; /* store/network.h */

struct sinspace_engine {
    const char *name; /* "spatialite" */

    /* Areas: the one resolver's lookups, areas by level and parent. */
    const sinspace__area_ops *areas;

    /* Features a map frame draws: areas, zones, workplaces, imagery. */
    const sinspace__feature_ops *features;

    /* Region queries: candidates by box, the rows of the hits. */
    const sinspace__query_ops *query;

    /* Named fences. */
    const sinspace__fence_ops *fences;

    /* Imports of workplaces, observations and areas. */
    const sinspace__import_ops *import;

    /* Layers read for export. */
    const sinspace__export_ops *export;

    /* Zones: their runs, geometries and members. */
    const sinspace__zone_ops *zones;

    /* The imagery catalogue. */
    const sinspace__tile_ops *tiles;

    /* What the web server asks of the store (the data's version). */
    const sinspace__serve_ops *serve;

    /* The network: responders, their coverage and sealed contacts. */
    const sinspace__network_ops *network;
};

/* The store's table of operations; never NULL for an open store. */
const sinspace_engine *sinspace__store_engine(const sinspace_store *store);

/* Non-zero when the store was opened for writing.  Whatever writes an audit
 * row (a map, an export, a zones run) or data asks before any work, so a
 * read-only store refuses at once rather than after the page is drawn. */
int sinspace__store_writable(const sinspace_store *store);

/* The embedded engine. */
extern const sinspace_engine sinspace__spatialite_engine;

#endif
