/* spatialite_zones.c: the zones domain of the SpatiaLite engine (see
 * store/zones.h): the workplaces a run weighs, the replacement of a run's
 * zones, the stored zones and the ranking of areas by risk density. */
#include "store/zones.h"
#include "store/store_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double
column_double_or_nan(sqlite3_stmt *stmt, int i)
{
    return sqlite3_column_type(stmt, i) == SQLITE_NULL
               ? NAN : sqlite3_column_double(stmt, i);
}

static void
bind_double_or_null(sqlite3_stmt *stmt, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(stmt, i);
    else
        sqlite3_bind_double(stmt, i, v);
}

static sinspace_status
sl_sectors(sinspace_store *store, sinspace__zone_sector_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    /* ORDER BY uses BINARY collation, the same order as strcmp. */
    sinspace_status st = sinspace__prepare(store,
        "SELECT code FROM sectors ORDER BY code", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (fn(user, (const char *)sqlite3_column_text(stmt, 0))) {
            rc = SQLITE_DONE;
            break;
        }
    return sinspace__stmt_finish(store, stmt, rc, "reading sectors");
}

static sinspace_status
sl_count_workplaces(sinspace_store *store, const long long *area_id,
                    long long *out)
{
    if (!area_id)
        return sinspace__query_int(store,
            "SELECT count(*) FROM workplaces WHERE status <> 'closed'"
            " AND risk IS NOT NULL", out, 0);
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%lld", *area_id);
    return sinspace__query_int(store,
        "SELECT count(*) FROM workplaces WHERE status <> 'closed'"
        " AND risk IS NOT NULL AND id IN (SELECT workplace_id FROM area_members"
        " WHERE area_id = CAST(?1 AS INTEGER))", out, 1, idbuf);
}

static sinspace_status
sl_workplaces(sinspace_store *store, const long long *area_id,
              sinspace__zone_workplace_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT ST_X(geom), ST_Y(geom), risk, sector FROM workplaces"
        " WHERE status <> 'closed' AND risk IS NOT NULL AND geom IS NOT NULL"
        " AND (?1 IS NULL OR id IN (SELECT workplace_id FROM area_members"
        "  WHERE area_id = ?1))", &stmt);
    if (st)
        return st;
    if (area_id)
        sqlite3_bind_int64(stmt, 1, *area_id);
    else
        sqlite3_bind_null(stmt, 1);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__zone_workplace w = {
            .lon = sqlite3_column_double(stmt, 0),
            .lat = sqlite3_column_double(stmt, 1),
            .risk = sqlite3_column_double(stmt, 2),
            .sector = (const char *)sqlite3_column_text(stmt, 3),
        };
        if (fn(user, &w)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    /* A stop from fn carries its own status in the caller's state. */
    return sinspace__stmt_finish(store, stmt, rc, "reading workplaces");
}

/* Writes n zones with fresh ids (never reused: above both the last id given
 * and any kept), each linked to run_id with its high-risk share and mean z
 * when run_id > 0, and remembers the last id.  Inside the caller's
 * transaction. */
static sinspace_status
write_zones(sinspace_store *store, const char *computed_at, const char *params,
            sinspace__zone_new *zones, size_t n, long long run_id,
            const double *high_share, const double *mean_z)
{
    sqlite3_stmt *stmt = NULL, *link = NULL;
    long long next = 0;
    sinspace_status st = sinspace__query_int(store,
        "SELECT max(coalesce((SELECT CAST(value AS INTEGER) FROM sinspace_meta"
        " WHERE key = 'zones_last_id'), 0), coalesce((SELECT max(id) FROM zones), 0))",
        &next, 0);
    if (st)
        return st;
    if ((st = sinspace__prepare(store,
            "INSERT INTO zones(id, computed_at, params, workplaces, mean_risk,"
            " max_risk, peak_density, sectors, geom) VALUES (?1, ?2, ?3, ?4, ?5,"
            " ?6, ?7, ?8, CastToMultiPolygon(GeomFromWKB(?9, 4326)))", &stmt)))
        return st;
    if (run_id > 0 && (st = sinspace__prepare(store,
            "INSERT INTO zone_run_zones(zone_id, run_id, high_share, mean_z)"
            " VALUES (?1, ?2, ?3, ?4)", &link)))
        goto done;
    for (size_t i = 0; i < n && !st; i++) {
        sinspace__zone_new *zz = &zones[i];
        sqlite3_reset(stmt);
        zz->id = ++next;
        sqlite3_bind_int64(stmt, 1, zz->id);
        sinspace__bind_text(stmt, 2, computed_at);
        sinspace__bind_text(stmt, 3, params);
        sqlite3_bind_int64(stmt, 4, zz->workplaces);
        bind_double_or_null(stmt, 5, zz->mean_risk);
        bind_double_or_null(stmt, 6, zz->max_risk);
        sqlite3_bind_double(stmt, 7, zz->peak_density);
        sinspace__bind_text(stmt, 8, zz->sectors);
        sqlite3_bind_blob(stmt, 9, zz->wkb, (int)zz->wkb_size, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            st = sinspace__db_error(store, "writing a zone");
            break;
        }
        if (!link)
            continue;
        sqlite3_reset(link);
        sqlite3_bind_int64(link, 1, zz->id);
        sqlite3_bind_int64(link, 2, run_id);
        bind_double_or_null(link, 3, high_share[i]);
        bind_double_or_null(link, 4, mean_z[i]);
        if (sqlite3_step(link) != SQLITE_DONE)
            st = sinspace__db_error(store, "writing a zone");
    }
    sqlite3_finalize(link);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (st)
        return st;
    if ((st = sinspace__prepare(store,
            "INSERT INTO sinspace_meta(key, value) VALUES ('zones_last_id', ?1)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &stmt)))
        return st;
    sqlite3_bind_int64(stmt, 1, next);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "writing zones");
done:
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_replace(sinspace_store *store, const sinspace__zone_run *run,
           sinspace__zone_new *zones, size_t n)
{
    sqlite3_stmt *stmt = NULL;
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    if ((st = sinspace__prepare(store,
            "DELETE FROM zones WHERE substr(params, 1, length(?1)) = ?1", &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, run->scope);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        st = sinspace__db_error(store, "replacing zones");
        goto fail;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if ((st = write_zones(store, run->computed_at, run->params, zones, n, 0,
                          NULL, NULL)))
        goto fail;
    if (run->audit && (st = sinspace__audit_write(store, run->audit)))
        goto fail;
    return sinspace__commit(store);

fail:
    sqlite3_finalize(stmt);
    sinspace__rollback(store);
    return st;
}

#define ZONE_COLUMNS \
    "SELECT z.id, z.workplaces, z.mean_risk, z.max_risk, z.peak_density, z.sectors," \
    " ST_X(ST_Centroid(z.geom)), ST_Y(ST_Centroid(z.geom)), ST_Area(z.geom, 1) / 1e6," \
    " r.high_share, r.mean_z, r.run_id FROM zones z" \
    " LEFT JOIN zone_run_zones r ON r.zone_id = z.id"

static sinspace_status
zone_rows(sinspace_store *store, sqlite3_stmt *stmt, sinspace__zone_fn fn, void *user)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_zone zz;
        zz.id = sqlite3_column_int64(stmt, 0);
        zz.workplaces = sqlite3_column_int64(stmt, 1);
        zz.mean_risk = column_double_or_nan(stmt, 2);
        zz.max_risk = column_double_or_nan(stmt, 3);
        zz.peak_density = sqlite3_column_double(stmt, 4);
        zz.sectors = (const char *)sqlite3_column_text(stmt, 5);
        zz.centroid_lon = sqlite3_column_double(stmt, 6);
        zz.centroid_lat = sqlite3_column_double(stmt, 7);
        zz.area_km2 = sqlite3_column_double(stmt, 8);
        zz.high_share = column_double_or_nan(stmt, 9);
        zz.mean_z = column_double_or_nan(stmt, 10);
        zz.run_id = sqlite3_column_int64(stmt, 11);
        if (fn(user, &zz)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "listing zones");
}

static sinspace_status
sl_list(sinspace_store *store, sinspace__zone_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store, ZONE_COLUMNS " ORDER BY z.id", &stmt);
    if (st)
        return st;
    return zone_rows(store, stmt, fn, user);
}

static sinspace_status
sl_run_zones(sinspace_store *store, long long run_id, sinspace__zone_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        ZONE_COLUMNS " WHERE r.run_id = ?1 ORDER BY z.id", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, run_id);
    return zone_rows(store, stmt, fn, user);
}

static sinspace_status
run_rows(sinspace_store *store, sqlite3_stmt *stmt, sinspace__zone_run_fn fn,
         void *user, int *found)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_zone_run r = {
            .id = sqlite3_column_int64(stmt, 0),
            .name = (const char *)sqlite3_column_text(stmt, 1),
            .computed_at = (const char *)sqlite3_column_text(stmt, 2),
            .method = (const char *)sqlite3_column_text(stmt, 3),
            .params = (const char *)sqlite3_column_text(stmt, 4),
            .region = (const char *)sqlite3_column_text(stmt, 5),
            .zones = sqlite3_column_int64(stmt, 6),
            .workplaces = sqlite3_column_int64(stmt, 7),
        };
        if (found)
            *found = 1;
        if (fn(user, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading zone runs");
}

#define RUN_COLUMNS \
    "SELECT id, name, computed_at, method, params, region, zones, workplaces" \
    " FROM zone_runs"

static sinspace_status
sl_runs(sinspace_store *store, sinspace__zone_run_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store, RUN_COLUMNS " ORDER BY id", &stmt);
    if (st)
        return st;
    return run_rows(store, stmt, fn, user, NULL);
}

static sinspace_status
sl_run_find(sinspace_store *store, const char *name, sinspace__zone_run_fn fn,
            void *user, int *found)
{
    sqlite3_stmt *stmt;
    *found = 0;
    sinspace_status st = sinspace__prepare(store,
        RUN_COLUMNS " WHERE (?1 IS NULL OR name = ?1) ORDER BY id DESC LIMIT 1", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, name);
    return run_rows(store, stmt, fn, user, found);
}

static sinspace_status
sl_run_write(sinspace_store *store, const sinspace__zone_run_new *run,
             sinspace__zone_new *zones, size_t n, const double *high_share,
             const double *mean_z)
{
    sqlite3_stmt *stmt = NULL;
    long long run_id = 0;
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    static const char *const drop[] = {
        "DELETE FROM zones WHERE id IN (SELECT zone_id FROM zone_run_zones"
        " WHERE run_id IN (SELECT id FROM zone_runs WHERE name = ?1))",
        "DELETE FROM zone_run_zones WHERE run_id IN"
        " (SELECT id FROM zone_runs WHERE name = ?1)",
        "DELETE FROM zone_runs WHERE name = ?1",
    };
    for (size_t k = 0; k < sizeof drop / sizeof *drop; k++) {
        if ((st = sinspace__prepare(store, drop[k], &stmt)))
            goto fail;
        sinspace__bind_text(stmt, 1, run->name);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            st = sinspace__db_error(store, "replacing a zone run");
            goto fail;
        }
        sqlite3_finalize(stmt);
        stmt = NULL;
    }
    if ((st = sinspace__prepare(store,
            "INSERT INTO zone_runs(name, computed_at, method, params, region, zones,"
            " workplaces) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, run->name);
    sinspace__bind_text(stmt, 2, run->computed_at);
    sinspace__bind_text(stmt, 3, run->method);
    sinspace__bind_text(stmt, 4, run->params);
    sinspace__bind_text(stmt, 5, run->region);
    sqlite3_bind_int64(stmt, 6, (long long)n);
    sqlite3_bind_int64(stmt, 7, run->workplaces);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        st = sinspace__db_error(store, "writing a zone run");
        goto fail;
    }
    run_id = sqlite3_last_insert_rowid(store->db);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if ((st = write_zones(store, run->computed_at, run->params, zones, n, run_id,
                          high_share, mean_z)))
        goto fail;
    if (run->audit && (st = sinspace__audit_write(store, run->audit)))
        goto fail;
    return sinspace__commit(store);

fail:
    sqlite3_finalize(stmt);
    sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_geometry(sinspace_store *store, long long id,
            int (*fn)(void *user, const unsigned char *wkb, size_t size),
            void *user, int *found)
{
    sqlite3_stmt *stmt;
    *found = 0;
    sinspace_status st = sinspace__prepare(store,
        "SELECT AsBinary(geom) FROM zones WHERE id = ?1", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *found = 1;
        fn(user, sqlite3_column_blob(stmt, 0),
           (size_t)sqlite3_column_bytes(stmt, 0));
    } else if (rc != SQLITE_DONE) {
        st = sinspace__db_error(store, "reading a zone");
    }
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_ranks(sinspace_store *store, const char *level, sinspace__zone_rank_fn fn,
         void *user)
{
    /* The areas_risk layer is the choropleth; rank by its density. */
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT code, name_latin, name_local, workplaces, mean_risk,"
        " risk_density, area_km2 FROM areas_risk WHERE level = ?1"
        " ORDER BY risk_density IS NULL, risk_density DESC, code", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, level);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_area_rank a;
        a.rank = 0;
        a.code = (const char *)sqlite3_column_text(stmt, 0);
        a.name_latin = (const char *)sqlite3_column_text(stmt, 1);
        a.name_local = (const char *)sqlite3_column_text(stmt, 2);
        a.workplaces = sqlite3_column_int64(stmt, 3);
        a.mean_risk = column_double_or_nan(stmt, 4);
        a.risk_density = column_double_or_nan(stmt, 5);
        a.area_km2 = column_double_or_nan(stmt, 6);
        if (fn(user, &a)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return sinspace__db_error(store, "ranking areas");
    return SINSPACE_OK;
}

/* The R*Tree narrows to bbox; the point itself decides (a point's box is
 * the point). */
#define HOTSPOT_WHERE \
    " w.status <> 'closed' AND w.risk IS NOT NULL AND w.geom IS NOT NULL" \
    " AND (?1 IS NULL OR w.id IN (SELECT pkid FROM idx_workplaces_geom" \
    "  WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2))"

static void
bind_bbox(sqlite3_stmt *stmt, const double *bbox)
{
    for (int k = 0; k < 4; k++) {
        if (bbox)
            sqlite3_bind_double(stmt, k + 1, bbox[k]);
        else
            sqlite3_bind_null(stmt, k + 1);
    }
}

static sinspace_status
sl_hotspot_points(sinspace_store *store, const double *bbox,
                  sinspace__hotspot_point_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT w.id, w.ext_id, ST_X(w.geom), ST_Y(w.geom), w.risk"
        " FROM workplaces w WHERE" HOTSPOT_WHERE " ORDER BY w.id", &stmt);
    if (st)
        return st;
    bind_bbox(stmt, bbox);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__hotspot_point p = {
            .row_id = sqlite3_column_int64(stmt, 0),
            .ext_id = (const char *)sqlite3_column_text(stmt, 1),
            .lon = sqlite3_column_double(stmt, 2),
            .lat = sqlite3_column_double(stmt, 3),
            .risk = sqlite3_column_double(stmt, 4),
            .observed = NULL,
        };
        if (fn(user, &p)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading workplaces");
}

static sinspace_status
sl_hotspot_history(sinspace_store *store, const double *bbox, const char *until,
                   sinspace__hotspot_point_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT w.id, w.ext_id, ST_X(w.geom), ST_Y(w.geom), o.risk, o.observed"
        " FROM workplaces w JOIN observations o ON o.workplace_id = w.id"
        " WHERE" HOTSPOT_WHERE
        " AND (?5 IS NULL OR substr(o.observed, 1, 10) <= ?5)"
        " ORDER BY w.id, o.observed", &stmt);
    if (st)
        return st;
    bind_bbox(stmt, bbox);
    sinspace__bind_text(stmt, 5, until);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__hotspot_point p = {
            .row_id = sqlite3_column_int64(stmt, 0),
            .ext_id = (const char *)sqlite3_column_text(stmt, 1),
            .lon = sqlite3_column_double(stmt, 2),
            .lat = sqlite3_column_double(stmt, 3),
            .risk = sqlite3_column_double(stmt, 4),
            .observed = (const char *)sqlite3_column_text(stmt, 5),
        };
        if (fn(user, &p)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading observations");
}

static sinspace_status
sl_emerging_write(sinspace_store *store, const char *step, double band_m,
                  const char *region, const char *first_step, const char *last_step,
                  size_t n, const long long *row_ids, const int *categories,
                  long long *run_id)
{
    sqlite3_stmt *stmt = NULL;
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    if ((st = sinspace__prepare(store,
            "INSERT INTO emerging_runs(computed_at, step, band_m, region, first_step,"
            " last_step, workplaces) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
            " ?1, ?2, ?3, ?4, ?5, ?6)", &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, step);
    sqlite3_bind_double(stmt, 2, band_m);
    sinspace__bind_text(stmt, 3, region);
    sinspace__bind_text(stmt, 4, first_step);
    sinspace__bind_text(stmt, 5, last_step);
    sqlite3_bind_int64(stmt, 6, (long long)n);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        st = sinspace__db_error(store, "writing an emerging hot-spot run");
        goto fail;
    }
    long long id = sqlite3_last_insert_rowid(store->db);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if ((st = sinspace__prepare(store,
            "INSERT INTO emerging_categories(run_id, workplace_id, category)"
            " VALUES (?1, ?2, ?3)", &stmt)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, row_ids[i]);
        sqlite3_bind_int(stmt, 3, categories[i]);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            st = sinspace__db_error(store, "writing emerging hot-spot categories");
            goto fail;
        }
    }
    sqlite3_finalize(stmt);
    if (run_id)
        *run_id = id;
    return sinspace__commit(store);
fail:
    sqlite3_finalize(stmt);
    sinspace__rollback(store);
    return st;
}

static void
copy_col(char *dst, size_t size, sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    snprintf(dst, size, "%s", t ? t : "");
}

static sinspace_status
sl_emerging_latest(sinspace_store *store, sinspace_emerging_run *out, int *found)
{
    sqlite3_stmt *stmt;
    *found = 0;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, computed_at, step, band_m, region, first_step, last_step,"
        " workplaces FROM emerging_runs ORDER BY id DESC LIMIT 1", &stmt);
    if (st)
        return st;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(stmt, 0);
        copy_col(out->computed_at, sizeof out->computed_at, stmt, 1);
        copy_col(out->step, sizeof out->step, stmt, 2);
        out->band_m = sqlite3_column_double(stmt, 3);
        copy_col(out->region, sizeof out->region, stmt, 4);
        copy_col(out->first_step, sizeof out->first_step, stmt, 5);
        copy_col(out->last_step, sizeof out->last_step, stmt, 6);
        out->workplaces = sqlite3_column_int64(stmt, 7);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        st = sinspace__db_error(store, "reading emerging hot-spot runs");
    }
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_emerging_workplaces(sinspace_store *store, unsigned mask, const double *bbox,
                       int (*fn)(void *user, long long row_id, const char *ext_id,
                                 const char *name, int category),
                       void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT w.id, w.ext_id, w.name, c.category FROM emerging_categories AS c"
        " JOIN workplaces AS w ON w.id = c.workplace_id"
        " WHERE c.run_id = (SELECT max(id) FROM emerging_runs)"
        " AND ((?1 >> c.category) & 1)"
        " AND (?2 IS NULL OR (ST_X(w.geom) BETWEEN ?2 AND ?4"
        "  AND ST_Y(w.geom) BETWEEN ?3 AND ?5))"
        " ORDER BY w.id", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, (long long)mask);
    for (int k = 0; k < 4; k++) {
        if (bbox)
            sqlite3_bind_double(stmt, 2 + k, bbox[k]);
        else
            sqlite3_bind_null(stmt, 2 + k);
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (fn(user, sqlite3_column_int64(stmt, 0),
               (const char *)sqlite3_column_text(stmt, 1),
               (const char *)sqlite3_column_text(stmt, 2), sqlite3_column_int(stmt, 3)))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = sinspace__db_error(store, "reading emerging hot-spot categories");
    sqlite3_finalize(stmt);
    return st;
}

const sinspace__zone_ops sinspace__spatialite_zone_ops = {
    .emerging_write = sl_emerging_write,
    .emerging_latest = sl_emerging_latest,
    .emerging_workplaces = sl_emerging_workplaces,
    .run_write = sl_run_write,
    .runs = sl_runs,
    .run_find = sl_run_find,
    .run_zones = sl_run_zones,
    .hotspot_points = sl_hotspot_points,
    .hotspot_history = sl_hotspot_history,
    .sectors = sl_sectors,
    .count_workplaces = sl_count_workplaces,
    .workplaces = sl_workplaces,
    .replace = sl_replace,
    .list = sl_list,
    .geometry = sl_geometry,
    .ranks = sl_ranks,
};
