/* fence.c: saved fences (see sinspace/fence.h).  The geometry is written
 * through SpatiaLite (CastToMultiPolygon(GeomFromWKB())) so the table stays
 * what QGIS expects; its area is SpatiaLite's ellipsoidal ST_Area. */
#include "geo/queryInt.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */
#include "core/parse.h"

#include <string.h>

static sinspace_status
check_name(sinspace_context *ctx, const char *name)
{
    char err[160];
    if (!name || !*name)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "a fence needs a name");
    if (sinspace__check_text(name, 0, 100, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "fence name: %s", err);
    if (name[0] == '-' || name[0] == ' ' || name[strlen(name) - 1] == ' ')
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "fence name '%s' must not start with '-' or begin "
                               "or end with a space", name);
    return SINSPACE_OK;
}

sinspace_status
sinspace_fence_add(sinspace_store *store, const char *name,
                   const char *description, sinspace_region *region)
{
    if (!store || !region)
        return sinspace__error(store ? store->ctx : NULL, SINSPACE_INVALID_ARGUMENT,
                               "fence_add: store and region are required");
    sinspace_context *ctx = store->ctx;
    char err[160];
    sinspace_status st = check_name(ctx, name);
    if (st)
        return st;
    if (description && sinspace__check_text(description, 1, 2000, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "description: %s", err);
    if (!store->writable)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "%s: opened read-only",
                               store->path);
    const unsigned char *wkb;
    size_t size;
    if ((st = sinspace_region_wkb(region, &wkb, &size)))
        return st;
    if ((st = sinspace__begin(store)))
        return st;
    long long exists = 0;
    if ((st = sinspace__query_int(store, "SELECT count(*) FROM fences WHERE name = ?1",
                                  &exists, 1, name)))
        goto fail;
    if (exists) {
        st = sinspace__error(ctx, SINSPACE_ERROR,
                             "fence '%s' exists already; remove it first (fence rm)",
                             name);
        goto fail;
    }
    char now[32];
    sinspace__now_iso(now);
    sqlite3_stmt *stmt;
    if ((st = sinspace__prepare(store,
            "INSERT INTO fences(name, description, added_by, added_at, geom)"
            " VALUES (?1, ?2, ?3, ?4, CastToMultiPolygon(GeomFromWKB(?5, 4326)))",
            &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, name);
    sinspace__bind_text(stmt, 2, description);
    sinspace__bind_text(stmt, 3, ctx->user);
    sinspace__bind_text(stmt, 4, now);
    sqlite3_bind_blob(stmt, 5, wkb, (int)size, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "saving the fence");
    sqlite3_finalize(stmt);
    if (st)
        goto fail;
    sinspace_audit_entry e = {0};
    e.command = "fence add";
    e.target = name;
    e.filters = sinspace_region_describe(region);
    e.rows = 1;
    if ((st = sinspace__audit_write(store, &e)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}

sinspace_status
sinspace_fence_list(sinspace_store *store,
                    int (*fn)(void *, const sinspace_fence_desc *), void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? store->ctx : NULL, SINSPACE_INVALID_ARGUMENT,
                               "fence_list: store and callback are required");
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
        if (fn(user_data, &d))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = sinspace__db_error(store, "listing fences");
    sqlite3_finalize(stmt);
    return st;
}

sinspace_status
sinspace_fence_remove(sinspace_store *store, const char *name)
{
    if (!store || !name)
        return sinspace__error(store ? store->ctx : NULL, SINSPACE_INVALID_ARGUMENT,
                               "fence_remove: store and name are required");
    if (!store->writable)
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: opened read-only", store->path);
    sinspace_status st = sinspace__begin(store);
    if (st)
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
        st = sinspace__error(store->ctx, SINSPACE_NOT_FOUND,
                             "fence '%s': no such fence (see: sinspace fence list)",
                             name);
        goto fail;
    }
    sinspace_audit_entry e = {0};
    e.command = "fence rm";
    e.target = name;
    e.rows = 1;
    if ((st = sinspace__audit_write(store, &e)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}
