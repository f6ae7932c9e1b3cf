/* spatialite_query.c: the region-query domain of the SpatiaLite engine
 * (store/query.h).
 *
 * Candidates come from the workplaces' R*Tree (idx_workplaces_geom) alone;
 * points and rows by primary key.  The rows of a region's hits are joined
 * through a temporary table (temp.query_hits), the sectors of a filter
 * through another (temp.query_sectors): one fixed statement applies every
 * filter value as a bound parameter.  Only fixed fragments chosen by the
 * region's kind and the sort enum are formatted into it, never input. */
#include "store/query.h"
#include "store/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sinspace_status
sl_read_begin(sinspace_store *store)
{
    return sinspace__exec(store, "SAVEPOINT sinspace_query");
}

static void
sl_read_end(sinspace_store *store)
{
    /* Keeps the caller's first error: a failed release is secondary. */
    sqlite3_exec(store->db, "RELEASE sinspace_query", NULL, NULL, NULL);
}

static sinspace_status
sl_sector_exists(sinspace_store *store, const char *code, int *exists)
{
    long long n = 0;
    sinspace_status st = sinspace__query_int(store,
        "SELECT count(*) FROM sectors WHERE code = ?1", &n, 1, code);
    *exists = !st && n > 0;
    return st;
}

static sinspace_status
sl_candidates(sinspace_store *store, const double bbox[4],
              sinspace__candidate_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT pkid, xmin, xmax, ymin, ymax FROM idx_workplaces_geom"
        " WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2", &stmt);
    if (st)
        return st;
    for (int k = 0; k < 4; k++)
        sqlite3_bind_double(stmt, k + 1, bbox[k]);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        double box[4];
        for (int k = 0; k < 4; k++)
            box[k] = sqlite3_column_double(stmt, 1 + k);
        if (fn(user, sqlite3_column_int64(stmt, 0), box)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading the spatial index");
}

static sinspace_status
sl_points(sinspace_store *store, const long long *ids, size_t n,
          sinspace__point_fn fn, void *user)
{
    if (!n)
        return SINSPACE_OK;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT ST_X(geom), ST_Y(geom) FROM workplaces WHERE id = ?1", &stmt);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, ids[i]);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE ||
            (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_NULL))
            continue; /* an index entry whose row has no point */
        if (rc != SQLITE_ROW) {
            st = sinspace__db_error(store, "reading a workplace's point");
            break;
        }
        if (fn(user, ids[i], sqlite3_column_double(stmt, 0),
               sqlite3_column_double(stmt, 1)))
            break;
    }
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_own_ids(sinspace_store *store, const long long *ids, size_t n,
           int (*fn)(void *, const char *), void *user)
{
    if (!n)
        return SINSPACE_OK;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT ext_id FROM workplaces WHERE id = ?1", &stmt);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, ids[i]);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE)
            continue;
        if (rc != SQLITE_ROW) {
            st = sinspace__db_error(store, "reading a workplace's id");
            break;
        }
        const char *v = (const char *)sqlite3_column_text(stmt, 0);
        if (fn(user, v ? v : ""))
            break;
    }
    sqlite3_finalize(stmt);
    return st;
}

/* -------------------------------------------------------------------------
 * Rows
 */

static const char select_sql[] =
    "SELECT w.id, w.ext_id, w.name, w.name_local, w.sector, w.status, w.risk,"
    " w.risk_class, ST_X(w.geom), ST_Y(w.geom), w.area_code, w.first_seen,"
    " w.last_seen, w.address, w.source_type, w.source_note, %s AS distance,"
    " CASE WHEN ?6 IS NULL THEN NULL ELSE"
    " (SELECT o.risk FROM observations AS o WHERE o.workplace_id = w.id"
    "  AND o.observed <= ?6 ORDER BY o.observed DESC, o.id DESC LIMIT 1) END AS prior"
    " FROM %s"
    " WHERE (?1 IS NULL OR w.risk >= ?1)"
    " AND (?2 = 0"
    "  OR (w.risk_class IS NULL AND (?2 & 1))"
    "  OR (w.risk_class = 'low' AND (?2 & 2))"
    "  OR (w.risk_class = 'medium' AND (?2 & 4))"
    "  OR (w.risk_class = 'high' AND (?2 & 8)))"
    " AND (?3 = 0 OR w.sector IN (SELECT code FROM temp.query_sectors))"
    " AND (?4 IS NULL OR w.status = ?4 OR (?4 = 'open' AND w.status <> 'closed'))"
    " AND (?5 IS NULL OR w.last_seen >= ?5)"
    " AND (?6 IS NULL OR (prior IS NOT NULL AND w.risk > prior))"
    " AND (?8 = 0 OR EXISTS (SELECT 1 FROM emerging_categories AS ec"
    "  WHERE ec.run_id = (SELECT max(id) FROM emerging_runs)"
    "  AND ec.workplace_id = w.id AND ((?8 >> ec.category) & 1)))"
    " ORDER BY %s"
    " LIMIT ?7";

static const char *
order_sql(sinspace_sort s)
{
    switch (s) {
    case SINSPACE_SORT_RISK: return "w.risk IS NULL, w.risk DESC, w.id";
    case SINSPACE_SORT_NAME: return "w.name COLLATE NOCASE, w.id";
    case SINSPACE_SORT_DISTANCE: return "distance, w.id";
    default: return "w.id";
    }
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static double
col_double(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Fills temp.query_sectors and temp.query_hits. */
static sinspace_status
fill_temp(sinspace_store *store, int in_region, const sinspace__query_hit *hits,
          size_t n, const sinspace__query_filter *f)
{
    sqlite3_stmt *ins;
    sinspace_status st;
    if (f->n_sectors) {
        if ((st = sinspace__prepare(store,
                "INSERT OR IGNORE INTO temp.query_sectors(code) VALUES (?1)", &ins)))
            return st;
        for (size_t i = 0; i < f->n_sectors && !st; i++) {
            sqlite3_reset(ins);
            sinspace__bind_text(ins, 1, f->sectors[i]);
            if (sqlite3_step(ins) != SQLITE_DONE)
                st = sinspace__db_error(store, "filtering sectors");
        }
        sqlite3_finalize(ins);
        if (st)
            return st;
    }
    if (!in_region || !n)
        return SINSPACE_OK;
    if ((st = sinspace__prepare(store,
            "INSERT INTO temp.query_hits(id, distance) VALUES (?1, ?2)", &ins)))
        return st;
    for (size_t i = 0; i < n && !st; i++) {
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, hits[i].id);
        if (isnan(hits[i].distance))
            sqlite3_bind_null(ins, 2);
        else
            sqlite3_bind_double(ins, 2, hits[i].distance);
        if (sqlite3_step(ins) != SQLITE_DONE)
            st = sinspace__db_error(store, "collecting the workplaces inside");
    }
    sqlite3_finalize(ins);
    return st;
}

static sinspace_status
select_rows(sinspace_store *store, int in_region, const sinspace__query_filter *f,
            sinspace__query_row_fn fn, void *user)
{
    char sql[sizeof select_sql + 256];
    snprintf(sql, sizeof sql, select_sql, in_region ? "h.distance" : "NULL",
             in_region ? "temp.query_hits AS h CROSS JOIN workplaces AS w ON w.id = h.id"
                       : "workplaces AS w",
             order_sql(f->sort));
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store, sql, &stmt);
    if (st)
        return st;
    if (isnan(f->min_risk))
        sqlite3_bind_null(stmt, 1);
    else
        sqlite3_bind_double(stmt, 1, f->min_risk);
    sqlite3_bind_int(stmt, 2, (int)f->classes);
    sqlite3_bind_int(stmt, 3, f->n_sectors > 0);
    sinspace__bind_text(stmt, 4, f->status);
    sinspace__bind_text(stmt, 5, f->seen_since);
    sinspace__bind_text(stmt, 6, f->changed_since);
    sqlite3_bind_int64(stmt, 7, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(stmt, 8, (long long)f->hotspots);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__query_row q;
        sinspace_workplace_row *r = &q.w;
        r->id = sqlite3_column_int64(stmt, 0);
        r->ext_id = col_text(stmt, 1);
        r->name = col_text(stmt, 2);
        r->name_local = col_text(stmt, 3);
        r->sector = col_text(stmt, 4);
        r->status = col_text(stmt, 5);
        r->risk = col_double(stmt, 6);
        r->risk_class = col_text(stmt, 7);
        r->lon = col_double(stmt, 8);
        r->lat = col_double(stmt, 9);
        r->area_code = col_text(stmt, 10);
        r->first_seen = col_text(stmt, 11);
        r->last_seen = col_text(stmt, 12);
        r->address = col_text(stmt, 13);
        r->source_type = col_text(stmt, 14);
        r->source_note = col_text(stmt, 15);
        r->distance_m = col_double(stmt, 16);
        r->risk_change = NAN;
        q.prior_risk = col_double(stmt, 17);
        if (fn(user, &q))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "querying workplaces");
}

static sinspace_status
sl_rows(sinspace_store *store, int in_region, const sinspace__query_hit *hits,
        size_t n, const sinspace__query_filter *f, sinspace__query_row_fn fn,
        void *user)
{
    sinspace_status st = sinspace__exec(store,
        "CREATE TEMP TABLE IF NOT EXISTS query_hits"
        " (id INTEGER PRIMARY KEY, distance REAL);"
        "CREATE TEMP TABLE IF NOT EXISTS query_sectors (code TEXT PRIMARY KEY);"
        "DELETE FROM temp.query_hits; DELETE FROM temp.query_sectors;");
    if (st)
        return st;
    if (!(st = fill_temp(store, in_region, hits, n, f)))
        st = select_rows(store, in_region, f, fn, user);
    /* The temporary rows are working state only: empty them whatever
     * happened, keeping the first error's message. */
    sqlite3_exec(store->db,
                 "DELETE FROM temp.query_hits; DELETE FROM temp.query_sectors;",
                 NULL, NULL, NULL);
    return st;
}

/* -------------------------------------------------------------------------
 * Stored geometries
 */

/* Runs a one-row statement whose first column is a geometry as WKB. */
static sinspace_status
one_geometry(sinspace_store *store, sqlite3_stmt *stmt, const char *what,
             sinspace__wkb_fn fn, void *user, int *found, int null_is_missing)
{
    int rc = sqlite3_step(stmt);
    *found = 0;
    if (rc == SQLITE_DONE)
        return SINSPACE_OK;
    if (rc != SQLITE_ROW)
        return sinspace__db_error(store, what);
    int is_blob = sqlite3_column_type(stmt, 0) == SQLITE_BLOB;
    if (!is_blob && null_is_missing)
        return SINSPACE_OK;
    *found = 1;
    const unsigned char *wkb = is_blob ? sqlite3_column_blob(stmt, 0) : NULL;
    size_t size = is_blob ? (size_t)sqlite3_column_bytes(stmt, 0) : 0;
    fn(user, wkb, size);
    return SINSPACE_OK;
}

static sinspace_status
sl_zone_geometry(sinspace_store *store, long long zone_id, sinspace__wkb_fn fn,
                 void *user, int *found)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT AsBinary(geom) FROM zones WHERE id = ?1", &stmt);
    if (st)
        return st;
    sqlite3_bind_int64(stmt, 1, zone_id);
    st = one_geometry(store, stmt, "reading a zone", fn, user, found, 0);
    sqlite3_finalize(stmt);
    return st;
}

/* -------------------------------------------------------------------------
 * Geomasking
 */

static sinspace_status
sl_geomask_secret(sinspace_store *store, char *hex, size_t size)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT value FROM sinspace_meta WHERE key = 'geomask_secret'", &stmt);
    if (st)
        return st;
    if (size)
        hex[0] = '\0';
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        snprintf(hex, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return SINSPACE_OK;
}

static sinspace_status
sl_geomask_secret_create(sinspace_store *store, const char *hex)
{
    if (!store->writable)
        return sinspace__error(store->ctx, SINSPACE_PERMISSION,
                               "%s: opened read-only", store->path);
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    sqlite3_stmt *stmt;
    st = sinspace__prepare(store,
        "INSERT OR IGNORE INTO sinspace_meta(key, value)"
        " VALUES ('geomask_secret', ?1)", &stmt);
    if (!st) {
        sinspace__bind_text(stmt, 1, hex);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = sinspace__db_error(store, "storing the geomasking secret");
        sqlite3_finalize(stmt);
    }
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    return sinspace__commit(store);
}

struct sinspace__area_lookup {
    sqlite3_stmt *areas_of, *density_of, *polygon_of;
};

static void
sl_lookup_close(sinspace__area_lookup *lk)
{
    if (!lk)
        return;
    sqlite3_finalize(lk->areas_of);
    sqlite3_finalize(lk->density_of);
    sqlite3_finalize(lk->polygon_of);
    free(lk);
}

static sinspace_status
sl_lookup_open(sinspace_store *store, sinspace__area_lookup **out)
{
    sinspace__area_lookup *lk = calloc(1, sizeof *lk);
    if (!lk)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    sinspace_status st = sinspace__prepare(store,
        "SELECT a.id, a.level_rank, a.code FROM area_members AS m"
        " JOIN areas AS a ON a.id = m.area_id"
        " WHERE m.workplace_id = ?1 AND a.level_rank BETWEEN ?2 AND ?3",
        &lk->areas_of);
    if (!st)
        st = sinspace__prepare(store,
            "SELECT (SELECT count(*) FROM area_members WHERE area_id = a.id),"
            " coalesce(a.area_km2, ST_Area(a.geom, 1) / 1e6)"
            " FROM areas AS a WHERE a.id = ?1", &lk->density_of);
    if (!st)
        st = sinspace__prepare(store,
            "SELECT ST_AsBinary(geom) FROM areas WHERE id = ?1", &lk->polygon_of);
    if (st) {
        sl_lookup_close(lk);
        return st;
    }
    *out = lk;
    return SINSPACE_OK;
}

static sinspace_status
sl_areas_of(sinspace_store *store, sinspace__area_lookup *lk,
            long long workplace_id, int min_rank, int max_rank,
            sinspace__area_of_fn fn, void *user)
{
    sqlite3_stmt *s = lk->areas_of;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, workplace_id);
    sqlite3_bind_int(s, 2, min_rank);
    sqlite3_bind_int(s, 3, max_rank);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (fn(user, sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1),
               (const char *)sqlite3_column_text(s, 2))) {
            rc = SQLITE_DONE;
            break;
        }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return sinspace__db_error(store, "geomasking: areas of a workplace");
    return SINSPACE_OK;
}

static sinspace_status
sl_area_density(sinspace_store *store, sinspace__area_lookup *lk,
                long long area_id, long long *workplaces, double *km2)
{
    sqlite3_stmt *s = lk->density_of;
    *workplaces = 0;
    *km2 = NAN;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, area_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *workplaces = sqlite3_column_int64(s, 0);
        if (sqlite3_column_type(s, 1) != SQLITE_NULL)
            *km2 = sqlite3_column_double(s, 1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sinspace__db_error(store, "geomasking: area density");
    return SINSPACE_OK;
}

static sinspace_status
sl_area_geometry(sinspace_store *store, sinspace__area_lookup *lk,
                 long long area_id, sinspace__wkb_fn fn, void *user, int *found)
{
    sqlite3_stmt *s = lk->polygon_of;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, area_id);
    sinspace_status st = one_geometry(store, s, "geomasking: an area's polygon",
                                      fn, user, found, 1);
    sqlite3_reset(s);
    return st;
}

const sinspace__query_ops sinspace__spatialite_query_ops = {
    .read_begin = sl_read_begin,
    .read_end = sl_read_end,
    .sector_exists = sl_sector_exists,
    .candidates = sl_candidates,
    .points = sl_points,
    .own_ids = sl_own_ids,
    .rows = sl_rows,
    .zone_geometry = sl_zone_geometry,
    .geomask_secret = sl_geomask_secret,
    .geomask_secret_create = sl_geomask_secret_create,
    .lookup_open = sl_lookup_open,
    .lookup_close = sl_lookup_close,
    .areas_of = sl_areas_of,
    .area_density = sl_area_density,
    .area_geometry = sl_area_geometry,
};
