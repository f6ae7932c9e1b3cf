/* spatialite_fences.c: the fences domain of the SpatiaLite engine
 * (store/fences.h).  The geometry is written through SpatiaLite
 * (CastToMultiPolygon(GeomFromWKB())) so the table stays what QGIS expects;
 * a fence's area is SpatiaLite's ellipsoidal ST_Area. */
#include "store/fences.h"
#include "store/store_int.h"

static sinspace_status
check_writable(sinspace_store *store)
{
    if (!store->writable)
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: opened read-only", store->path);
    return SINSPACE_OK;
}

static sinspace_status
sl_fence_add(sinspace_store *store, const sinspace__fence_new *f,
             const sinspace_audit_entry *audit, int *exists)
{
    *exists = 0;
    sinspace_status st = check_writable(store);
    if (st || (st = sinspace__begin(store)))
        return st;
    long long n = 0;
    if ((st = sinspace__query_int(store, "SELECT count(*) FROM fences WHERE name = ?1",
                                  &n, 1, f->name)))
        goto fail;
    if (n) {
        *exists = 1;
        sinspace__rollback(store);
        return SINSPACE_OK;
    }
    sqlite3_stmt *stmt;
    if ((st = sinspace__prepare(store,
            "INSERT INTO fences(name, description, added_by, added_at, geom)"
            " VALUES (?1, ?2, ?3, ?4, CastToMultiPolygon(GeomFromWKB(?5, 4326)))",
            &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, f->name);
    sinspace__bind_text(stmt, 2, f->description);
    sinspace__bind_text(stmt, 3, f->added_by);
    sinspace__bind_text(stmt, 4, f->added_at);
    sqlite3_bind_blob(stmt, 5, f->wkb, (int)f->wkb_size, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "saving the fence");
    sqlite3_finalize(stmt);
    if (st || (st = sinspace__audit_write(store, audit)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_fence_list(sinspace_store *store,
              int (*fn)(void *, const sinspace_fence_desc *), void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, name, description, added_by, added_at,"
        " ST_Area(geom, 1) / 1e6, ST_NPoints(geom) FROM fences ORDER BY name", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_fence_desc d;
        d.id = sqlite3_column_int64(stmt, 0);
        d.name = (const char *)sqlite3_column_text(stmt, 1);
        d.description = (const char *)sqlite3_column_text(stmt, 2);
        d.added_by = (const char *)sqlite3_column_text(stmt, 3);
        d.added_at = (const char *)sqlite3_column_text(stmt, 4);
        d.area_km2 = sqlite3_column_double(stmt, 5);
        d.vertices = sqlite3_column_int64(stmt, 6);
        if (fn(user, &d))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "listing fences");
}

static sinspace_status
sl_fence_remove(sinspace_store *store, const char *name,
                const sinspace_audit_entry *audit, int *removed)
{
    *removed = 0;
    sinspace_status st = check_writable(store);
    if (st || (st = sinspace__begin(store)))
        return st;
    sqlite3_stmt *stmt;
    if ((st = sinspace__prepare(store, "DELETE FROM fences WHERE name = ?1", &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, name);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "removing the fence");
    sqlite3_finalize(stmt);
    if (st)
        goto fail;
    if (sqlite3_changes(store->db) == 0) {
        sinspace__rollback(store);
        return SINSPACE_OK;
    }
    *removed = 1;
    if ((st = sinspace__audit_write(store, audit)))
        goto fail;
    if ((st = sinspace__commit(store)))
        *removed = 0;
    return st;
fail:
    sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_fence_geometry(sinspace_store *store, const char *name, sinspace__wkb_fn fn,
                  void *user, int *found)
{
    sqlite3_stmt *stmt;
    *found = 0;
    sinspace_status st = sinspace__prepare(store,
        "SELECT AsBinary(geom) FROM fences WHERE name = ?1", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, name);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *found = 1;
        int is_blob = sqlite3_column_type(stmt, 0) == SQLITE_BLOB;
        fn(user, is_blob ? sqlite3_column_blob(stmt, 0) : NULL,
           is_blob ? (size_t)sqlite3_column_bytes(stmt, 0) : 0);
    } else if (rc != SQLITE_DONE) {
        st = sinspace__db_error(store, "reading a fence");
    }
    sqlite3_finalize(stmt);
    return st;
}

const sinspace__fence_ops sinspace__spatialite_fence_ops = {
    .add = sl_fence_add,
    .list = sl_fence_list,
    .remove = sl_fence_remove,
    .geometry = sl_fence_geometry,
};
