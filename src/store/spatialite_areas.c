/* spatialite_areas.c: the areas domain of the SpatiaLite engine. */
#include "store/areas.h"
#include "store/store_int.h"

static sinspace_status
sl_area_match(sinspace_store *store, const char *key, sinspace__area_fn fn,
              void *user)
{
    sqlite3_stmt *stmt;
    /* A code wins over names; names are matched only when no code does. */
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, code, level, level_rank, name_latin, name_local,"
        " parent_code, AsBinary(geom) FROM areas WHERE code = ?1"
        " UNION ALL"
        " SELECT id, code, level, level_rank, name_latin, name_local,"
        " parent_code, AsBinary(geom) FROM areas"
        " WHERE (name_latin = ?1 COLLATE NOCASE OR name_local = ?1)"
        " AND NOT EXISTS (SELECT 1 FROM areas WHERE code = ?1)"
        " ORDER BY 2", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, key);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__area_row row = {
            .id = sqlite3_column_int64(stmt, 0),
            .code = (const char *)sqlite3_column_text(stmt, 1),
            .level = (const char *)sqlite3_column_text(stmt, 2),
            .level_rank = sqlite3_column_int(stmt, 3),
            .name_latin = (const char *)sqlite3_column_text(stmt, 4),
            .name_local = (const char *)sqlite3_column_text(stmt, 5),
            .parent_code = (const char *)sqlite3_column_text(stmt, 6),
            .wkb = sqlite3_column_blob(stmt, 7),
            .wkb_size = (size_t)sqlite3_column_bytes(stmt, 7),
        };
        if (fn(user, &row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "looking up an area");
}

const sinspace__area_ops sinspace__spatialite_area_ops = {
    .match = sl_area_match,
};
