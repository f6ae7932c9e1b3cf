/* spatialite_serve.c: the serve domain of the SpatiaLite engine
 * (store/serve.h). */
#include "store/serve.h"
#include "store/store_int.h"

#include <math.h>
#include <stdio.h>

static const char *
text(sqlite3_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt, col);
}

static double
real_or_nan(sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt, col) == SQLITE_NULL
               ? NAN : sqlite3_column_double(stmt, col);
}

static sinspace_status
sl_data_version(sinspace_store *store, char *buf, size_t size)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT (SELECT ifnull(max(updated), '') || '/' || count(*) FROM workplaces)"
        " || '|' || (SELECT count(*) || '/' || ifnull(max(id), 0) || '/'"
        "            || ifnull(max(added), '') FROM tiles)"
        " || '|' || (SELECT count(*) || '/' || ifnull(max(id), 0) || '/'"
        "            || ifnull(max(computed_at), '') FROM zones)"
        " || '|' || (SELECT count(*) || '/' || ifnull(max(id), 0) FROM areas)",
        &stmt);
    if (st)
        return st;
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        st = sinspace__db_error(store, "data version");
    } else {
        const char *v = text(stmt, 0);
        snprintf(buf, size, "%s", v ? v : "");
    }
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_imagery_extent(sinspace_store *store, int *has, double box[4])
{
    *has = 0;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT MbrMinX(e), MbrMinY(e), MbrMaxX(e), MbrMaxY(e) FROM"
        " (SELECT Extent(footprint) AS e FROM tiles) WHERE e IS NOT NULL",
        &stmt);
    if (st)
        return st;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        for (int i = 0; i < 4; i++)
            box[i] = sqlite3_column_double(stmt, i);
        *has = 1;
        rc = SQLITE_DONE;
    }
    return sinspace__stmt_finish(store, stmt, rc, "imagery extent");
}

static sinspace_status
sl_sector_codes(sinspace_store *store, int (*fn)(void *, const char *),
                void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT code FROM sectors ORDER BY code", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (fn(user, text(stmt, 0))) {
            rc = SQLITE_DONE;
            break;
        }
    return sinspace__stmt_finish(store, stmt, rc, "sectors");
}

static sinspace_status
sl_credits(sinspace_store *store,
           int (*fn)(void *, const char *, const char *, const char *,
                     const char *),
           void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT 'imagery', source, attribution, acquired FROM"
        " (SELECT DISTINCT source, attribution, acquired FROM tiles"
        "  ORDER BY acquired, source)"
        " UNION ALL"
        " SELECT 'boundaries', source, group_concat(level, ', '), NULL FROM"
        " (SELECT DISTINCT source, level, level_rank FROM areas"
        "  WHERE source IS NOT NULL ORDER BY level_rank)"
        " GROUP BY source", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (fn(user, text(stmt, 0), text(stmt, 1), text(stmt, 2), text(stmt, 3))) {
            rc = SQLITE_DONE;
            break;
        }
    return sinspace__stmt_finish(store, stmt, rc, "credits");
}

static sinspace_status
sl_areas(sinspace_store *store, const char *level, sinspace__serve_area_fn fn,
         void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT a.id, a.code, a.parent_code, a.level, a.name_latin, a.name_local,"
        " a.area_km2, (SELECT count(*) FROM area_members m WHERE m.area_id = a.id),"
        " AsBinary(a.geom) FROM areas a WHERE ?1 IS NULL OR a.level = ?1"
        " ORDER BY a.level_rank, a.code", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, level);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__serve_area_row row = {
            .id = sqlite3_column_int64(stmt, 0),
            .code = text(stmt, 1),
            .parent_code = text(stmt, 2),
            .level = text(stmt, 3),
            .name_latin = text(stmt, 4),
            .name_local = text(stmt, 5),
            .area_km2 = real_or_nan(stmt, 6),
            .workplaces = sqlite3_column_int64(stmt, 7),
            .wkb = sqlite3_column_blob(stmt, 8),
            .wkb_size = (size_t)sqlite3_column_bytes(stmt, 8),
        };
        if (fn(user, &row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "areas");
}

static sinspace_status
sl_fences(sinspace_store *store, sinspace__serve_fence_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, name, description, added_by, added_at, AsBinary(geom)"
        " FROM fences ORDER BY name", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__serve_fence_row row = {
            .id = sqlite3_column_int64(stmt, 0),
            .name = text(stmt, 1),
            .description = text(stmt, 2),
            .added_by = text(stmt, 3),
            .added_at = text(stmt, 4),
            .wkb = sqlite3_column_blob(stmt, 5),
            .wkb_size = (size_t)sqlite3_column_bytes(stmt, 5),
        };
        if (fn(user, &row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "fences");
}

static sinspace_status
sl_zones(sinspace_store *store, sinspace__serve_zone_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, computed_at, workplaces, mean_risk, max_risk, peak_density,"
        " sectors, AsBinary(geom) FROM zones ORDER BY id", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__serve_zone_row row = {
            .id = sqlite3_column_int64(stmt, 0),
            .computed_at = text(stmt, 1),
            .workplaces = sqlite3_column_type(stmt, 2) == SQLITE_NULL
                              ? -1 : sqlite3_column_int64(stmt, 2),
            .mean_risk = real_or_nan(stmt, 3),
            .max_risk = real_or_nan(stmt, 4),
            .peak_density = real_or_nan(stmt, 5),
            .sectors = text(stmt, 6),
            .wkb = sqlite3_column_blob(stmt, 7),
            .wkb_size = (size_t)sqlite3_column_bytes(stmt, 7),
        };
        if (fn(user, &row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "zones");
}

const sinspace__serve_ops sinspace__spatialite_serve_ops = {
    .data_version = sl_data_version,
    .imagery_extent = sl_imagery_extent,
    .sector_codes = sl_sector_codes,
    .credits = sl_credits,
    .areas = sl_areas,
    .fences = sl_fences,
    .zones = sl_zones,
};
