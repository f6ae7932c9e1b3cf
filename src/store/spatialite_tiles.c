/* spatialite_tiles.c: the imagery catalogue of the SpatiaLite engine (see
 * store/tiles.h): the tiles table, its footprint R*Tree, and the match of
 * workplaces to the tiles covering them. */
#include "store/tiles.h"
#include "store/store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Columns every tile query selects, in the order read_tile expects. */
#define TILE_COLUMNS \
    "tiles.id, path, driver, crs, width, height, bands, pixel_size, pixel_size_m," \
    " acquired, source, attribution, added, MbrMinX(footprint)," \
    " MbrMinY(footprint), MbrMaxX(footprint), MbrMaxY(footprint)," \
    " AsBinary(footprint), s.kind, s.min_zoom, s.max_zoom, s.service_id"

/* The tiles with what is known of their services. */
#define TILE_FROM \
    " FROM tiles LEFT JOIN tile_services AS s ON s.tile_id = tiles.id"

/* Finest first, then newest, undated last, then the latest registered. */
#define TILE_ORDER \
    " pixel_size_m IS NULL, pixel_size_m, acquired IS NULL, acquired DESC," \
    " added DESC, tiles.id DESC"

static void
bind_double_or_null(sqlite3_stmt *stmt, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(stmt, i, v);
    else
        sqlite3_bind_null(stmt, i);
}

static double
column_double(sqlite3_stmt *stmt, int i)
{
    return sqlite3_column_type(stmt, i) == SQLITE_NULL
               ? NAN : sqlite3_column_double(stmt, i);
}

static void
read_tile(sqlite3_stmt *stmt, int c, sinspace_tile *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(stmt, c);
    t->path = (const char *)sqlite3_column_text(stmt, c + 1);
    t->driver = (const char *)sqlite3_column_text(stmt, c + 2);
    t->crs = (const char *)sqlite3_column_text(stmt, c + 3);
    t->width = sqlite3_column_int(stmt, c + 4);
    t->height = sqlite3_column_int(stmt, c + 5);
    t->bands = sqlite3_column_int(stmt, c + 6);
    t->pixel_size = column_double(stmt, c + 7);
    t->pixel_size_m = column_double(stmt, c + 8);
    t->acquired = (const char *)sqlite3_column_text(stmt, c + 9);
    t->source = (const char *)sqlite3_column_text(stmt, c + 10);
    t->attribution = (const char *)sqlite3_column_text(stmt, c + 11);
    t->added = (const char *)sqlite3_column_text(stmt, c + 12);
    t->west = column_double(stmt, c + 13);
    t->south = column_double(stmt, c + 14);
    t->east = column_double(stmt, c + 15);
    t->north = column_double(stmt, c + 16);
    t->footprint_wkb = sqlite3_column_blob(stmt, c + 17);
    t->footprint_wkb_size = (size_t)sqlite3_column_bytes(stmt, c + 17);
    t->service = (const char *)sqlite3_column_text(stmt, c + 18);
    t->min_zoom = sqlite3_column_type(stmt, c + 19) == SQLITE_NULL
                      ? -1 : sqlite3_column_int(stmt, c + 19);
    t->max_zoom = sqlite3_column_type(stmt, c + 20) == SQLITE_NULL
                      ? -1 : sqlite3_column_int(stmt, c + 20);
    t->service_id = sqlite3_column_int64(stmt, c + 21);
}

/* Steps a tile query to its end, calling fn per row. */
static sinspace_status
each_tile(sinspace_store *store, sqlite3_stmt *stmt, sinspace__tile_fn fn,
          void *user, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_tile t;
        read_tile(stmt, 0, &t);
        if (fn(user, &t))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sinspace__db_error(store, what);
    return SINSPACE_OK;
}

static sinspace_status
sl_find(sinspace_store *store, long long id, const char *path, long long *out)
{
    *out = 0;
    if (path)
        return sinspace__query_int(store, "SELECT id FROM tiles WHERE path = ?1",
                                   out, 1, path);
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id FROM tiles WHERE id = ?1", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        st = sinspace__db_error(store, "querying");
    sqlite3_finalize(stmt);
    return st;
}

/* Inserts or updates one tile; *inserted says which.  Inside add's
 * transaction. */
static sinspace_status
write_tile(sinspace_store *store, const sinspace_tile *t, int *inserted)
{
    long long existing = 0;
    sinspace_status st = sinspace__query_int(store,
        "SELECT id FROM tiles WHERE path = ?1", &existing, 1, t->path);
    if (st)
        return st;
    sqlite3_stmt *stmt;
    /* An update keeps date, source and attribution the call does not give. */
    st = sinspace__prepare(store, existing
        ? "UPDATE tiles SET driver = ?2, crs = ?3, width = ?4, height = ?5,"
          " bands = ?6, pixel_size = ?7, pixel_size_m = ?8,"
          " acquired = coalesce(?9, acquired), source = coalesce(?10, source),"
          " attribution = coalesce(?11, attribution), added = ?12,"
          " footprint = CastToMultiPolygon(GeomFromWKB(?13, 4326))"
          " WHERE path = ?1"
        : "INSERT INTO tiles(path, driver, crs, width, height, bands,"
          " pixel_size, pixel_size_m, acquired, source, attribution, added,"
          " footprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
          " ?12, CastToMultiPolygon(GeomFromWKB(?13, 4326)))", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, t->path);
    sinspace__bind_text(stmt, 2, t->driver);
    sinspace__bind_text(stmt, 3, t->crs);
    sqlite3_bind_int(stmt, 4, t->width);
    sqlite3_bind_int(stmt, 5, t->height);
    sqlite3_bind_int(stmt, 6, t->bands);
    bind_double_or_null(stmt, 7, t->pixel_size);
    bind_double_or_null(stmt, 8, t->pixel_size_m);
    sinspace__bind_text(stmt, 9, t->acquired);
    sinspace__bind_text(stmt, 10, t->source);
    sinspace__bind_text(stmt, 11, t->attribution);
    sinspace__bind_text(stmt, 12, t->added);
    sqlite3_bind_blob(stmt, 13, t->footprint_wkb, (int)t->footprint_wkb_size,
                      SQLITE_STATIC);
    /* GeomFromWKB yields NULL for WKB SpatiaLite refuses; the NOT NULL
     * constraint catches it, named by the file. */
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, t->path);
    sqlite3_finalize(stmt);
    if (!st)
        *inserted = !existing;
    return st;
}

static sinspace_status
sl_add(sinspace_store *store, const sinspace_tile *tiles, size_t n,
       const sinspace_audit_entry *audit, long long *inserted,
       long long *updated)
{
    long long ins = 0, upd = 0;
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    for (size_t i = 0; i < n && !st; i++) {
        int was_inserted = 0;
        st = write_tile(store, &tiles[i], &was_inserted);
        if (!st && was_inserted)
            ins++;
        else if (!st)
            upd++;
    }
    if (!st && audit)
        st = sinspace__audit_write(store, audit);
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    if ((st = sinspace__commit(store)))
        return st;
    if (inserted)
        *inserted = ins;
    if (updated)
        *updated = upd;
    return SINSPACE_OK;
}

static sinspace_status
sl_remove(sinspace_store *store, long long id, const sinspace_audit_entry *audit)
{
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    sqlite3_stmt *stmt;
    char *path = NULL;
    st = sinspace__prepare(store, "SELECT path FROM tiles WHERE id = ?1", &stmt);
    if (!st) {
        sqlite3_bind_int64(stmt, 1, id);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            path = sinspace__strdup((const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        st = sinspace__prepare(store, "DELETE FROM tiles WHERE id = ?1", &stmt);
    }
    if (!st) {
        sqlite3_bind_int64(stmt, 1, id);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = sinspace__db_error(store, "removing a tile");
        sqlite3_finalize(stmt);
    }
    if (!st && audit) {
        sinspace_audit_entry e = *audit;
        if (path)
            e.target = path;
        st = sinspace__audit_write(store, &e);
    }
    free(path);
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    return sinspace__commit(store);
}

static sinspace_status
sl_list(sinspace_store *store, sinspace__tile_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT " TILE_COLUMNS TILE_FROM " ORDER BY tiles.id", &stmt);
    if (st)
        return st;
    st = each_tile(store, stmt, fn, user, "listing tiles");
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_covering(sinspace_store *store, const double bbox[4], sinspace__tile_fn fn,
            void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT " TILE_COLUMNS TILE_FROM
        " WHERE tiles.id IN (SELECT pkid FROM idx_tiles_footprint"
        "  WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)"
        " AND ST_Intersects(footprint, BuildMbr(?1, ?2, ?3, ?4, 4326)) = 1"
        " ORDER BY" TILE_ORDER, &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, bbox[i]);
    st = each_tile(store, stmt, fn, user, "finding tiles");
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_cover(sinspace_store *store, sinspace__tile_cover_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    /* The R*Tree gives the candidates; ST_Covers decides, so a workplace
     * on the footprint's edge counts and one in a corner of the bounding
     * box outside a rotated footprint does not. */
    sinspace_status st = sinspace__prepare(store,
        "SELECT w.id, w.ext_id, w.name, w.sector, ST_X(w.geom), ST_Y(w.geom),"
        " t.id, t.path, t.driver, t.crs, t.pixel_size, t.pixel_size_m,"
        " t.acquired, t.source, t.attribution"
        " FROM workplaces AS w LEFT JOIN tiles AS t ON t.id = ("
        "  SELECT c.id FROM tiles AS c"
        "  WHERE c.id IN (SELECT pkid FROM idx_tiles_footprint"
        "   WHERE xmin <= ST_X(w.geom) AND xmax >= ST_X(w.geom)"
        "   AND ymin <= ST_Y(w.geom) AND ymax >= ST_Y(w.geom))"
        "  AND ST_Covers(c.footprint, w.geom) = 1"
        "  ORDER BY c.pixel_size_m IS NULL, c.pixel_size_m,"
        "  c.acquired IS NULL, c.acquired DESC, c.added DESC, c.id DESC"
        "  LIMIT 1)"
        " ORDER BY w.id", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_tile_cover row;
        sinspace_tile t;
        memset(&t, 0, sizeof t);
        row.workplace_id = sqlite3_column_int64(stmt, 0);
        row.ext_id = (const char *)sqlite3_column_text(stmt, 1);
        row.name = (const char *)sqlite3_column_text(stmt, 2);
        row.sector = (const char *)sqlite3_column_text(stmt, 3);
        row.lon = column_double(stmt, 4);
        row.lat = column_double(stmt, 5);
        row.tile = NULL;
        if (sqlite3_column_type(stmt, 6) != SQLITE_NULL) {
            t.id = sqlite3_column_int64(stmt, 6);
            t.path = (const char *)sqlite3_column_text(stmt, 7);
            t.driver = (const char *)sqlite3_column_text(stmt, 8);
            t.crs = (const char *)sqlite3_column_text(stmt, 9);
            t.pixel_size = column_double(stmt, 10);
            t.pixel_size_m = column_double(stmt, 11);
            t.acquired = (const char *)sqlite3_column_text(stmt, 12);
            t.source = (const char *)sqlite3_column_text(stmt, 13);
            t.attribution = (const char *)sqlite3_column_text(stmt, 14);
            t.west = t.south = t.east = t.north = NAN;
            row.tile = &t;
        }
        if (fn(user, &row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "matching workplaces to tiles");
}

/* Writes the service row of tile id (replacing any). */
static sinspace_status
write_service(sinspace_store *store, long long id,
              const sinspace__tile_service *svc)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "INSERT OR REPLACE INTO tile_services(tile_id, kind, url, min_zoom,"
        " max_zoom, headers, service_id, zoom) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " ?7, ?8)", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    sinspace__bind_text(stmt, 2, svc->kind);
    sinspace__bind_text(stmt, 3, svc->url);
    if (svc->min_zoom >= 0)
        sqlite3_bind_int(stmt, 4, svc->min_zoom);
    if (svc->max_zoom >= 0)
        sqlite3_bind_int(stmt, 5, svc->max_zoom);
    sinspace__bind_text(stmt, 6, svc->headers);
    if (svc->service_id > 0)
        sqlite3_bind_int64(stmt, 7, svc->service_id);
    if (svc->zoom >= 0)
        sqlite3_bind_int(stmt, 8, svc->zoom);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "recording a tile service");
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_add_service(sinspace_store *store, const sinspace_tile *tile,
               const sinspace__tile_service *svc,
               const sinspace_audit_entry *audit, long long *id, int *inserted)
{
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    int ins = 0;
    long long tid = 0;
    st = write_tile(store, tile, &ins);
    if (!st)
        st = sinspace__query_int(store, "SELECT id FROM tiles WHERE path = ?1",
                                 &tid, 1, tile->path);
    if (!st)
        st = write_service(store, tid, svc);
    if (!st && audit)
        st = sinspace__audit_write(store, audit);
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    if ((st = sinspace__commit(store)))
        return st;
    if (id)
        *id = tid;
    if (inserted)
        *inserted = ins;
    return SINSPACE_OK;
}

static sinspace_status
sl_service(sinspace_store *store, long long id,
           int (*fn)(void *user, const sinspace__tile_service *svc),
           void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT tile_id, kind, url, min_zoom, max_zoom, headers, service_id,"
        " zoom FROM tile_services WHERE tile_id = ?1", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        sinspace__tile_service svc;
        svc.tile_id = sqlite3_column_int64(stmt, 0);
        svc.kind = (const char *)sqlite3_column_text(stmt, 1);
        svc.url = (const char *)sqlite3_column_text(stmt, 2);
        svc.min_zoom = sqlite3_column_type(stmt, 3) == SQLITE_NULL
                           ? -1 : sqlite3_column_int(stmt, 3);
        svc.max_zoom = sqlite3_column_type(stmt, 4) == SQLITE_NULL
                           ? -1 : sqlite3_column_int(stmt, 4);
        svc.headers = (const char *)sqlite3_column_text(stmt, 5);
        svc.service_id = sqlite3_column_int64(stmt, 6);
        svc.zoom = sqlite3_column_type(stmt, 7) == SQLITE_NULL
                       ? -1 : sqlite3_column_int(stmt, 7);
        fn(user, &svc);
        rc = SQLITE_DONE;
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading a tile service");
}

const sinspace__tile_ops sinspace__spatialite_tile_ops = {
    .find = sl_find,
    .add = sl_add,
    .remove = sl_remove,
    .list = sl_list,
    .covering = sl_covering,
    .cover = sl_cover,
    .add_service = sl_add_service,
    .service = sl_service,
};
