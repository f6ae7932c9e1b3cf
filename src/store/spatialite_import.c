/* spatialite_import.c: the import domain of the SpatiaLite engine
 * (store/import.h).
 *
 * A load is one transaction holding the prepared statements of every row
 * write.  Its speed comes from what is set aside while it runs, each
 * measured in bench/RESULTS.md:
 *   - a large page cache, so a bulk load does not spill into the WAL row
 *     by row (35 s -> 7 s for 100k rows);
 *   - SpatiaLite's per-row triggers on workplaces (suspend_triggers), the
 *     R*Tree rows kept here with one prepared statement instead;
 *   - into an empty store, the secondary indexes, rebuilt once after the
 *     load (suspend_indexes), and the points' R*Tree, packed once at the
 *     end (pack_points, rtree_load.c);
 *   - the current risk of workplaces written again, refreshed in one
 *     UPDATE ... FROM at the end (sinspace__refresh_risk).
 * DDL is transactional: a rollback (or a crash) puts everything back. */
#include "store/import.h"
#include "store/store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sinspace__import_load {
    sinspace_store *store;
    long long import_id;
    int have_areas;
    char now[32]; /* one timestamp for the whole import */
    /* Prepared statements. */
    sqlite3_stmt *find_workplace, *insert_workplace, *update_workplace,
        *upsert_observation, *touch, *sector_exists, *area_exists,
        *index_point, *index_footprint, *area_upsert, *area_parent,
        *area_taken, *area_exists_count;
    /* SpatiaLite's per-row triggers on workplaces, set aside during the
     * import (see suspend_triggers), and, into an empty store, the
     * secondary indexes (suspend_indexes): their CREATE statements. */
    char **saved_sql;
    size_t n_triggers, n_saved;
    /* An empty R*Tree of points is packed once at the end (rtree_load.c)
     * instead of taking a row at a time: the points, in write order. */
    int pack;
    sinspace_rtree_point *pack_pts;
    size_t pack_n, pack_cap;
};

/* -------------------------------------------------------------------------
 * Statements
 */

static sinspace_status
step_done(sinspace__import_load *ld, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sinspace__db_error(ld->store, what);
    return SINSPACE_OK;
}

/* Whether a one-parameter lookup finds a row. */
static int
lookup(sqlite3_stmt *stmt, const char *key)
{
    sqlite3_reset(stmt);
    sinspace__bind_text(stmt, 1, key);
    int found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_reset(stmt); /* no read cursor left open between rows */
    return found;
}

static sinspace_status
prepare_statements(sinspace__import_load *ld)
{
    sinspace_store *s = ld->store;
    sinspace_status st;
    if ((st = sinspace__prepare(s, "SELECT id FROM workplaces WHERE ext_id = ?1",
                                &ld->find_workplace)) ||
        (st = sinspace__prepare(s, "SELECT 1 FROM sectors WHERE code = ?1",
                                &ld->sector_exists)) ||
        (st = sinspace__prepare(s, "SELECT 1 FROM areas WHERE code = ?1",
                                &ld->area_exists)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO workplaces(ext_id, name, name_local, sector, address,"
            " area_code, source_type, source_note, status, first_seen, last_seen,"
            " updated, geom, footprint, risk, risk_class) VALUES (?1, ?2, ?3, ?4,"
            " ?5, ?6, ?7, ?8, coalesce(?9, 'unknown'), ?10, ?11, ?12,"
            " MakePoint(?13, ?14, 4326), CastToMultiPolygon(GeomFromWKB(?15, 4326)),"
            " ?16, ?17)",
            &ld->insert_workplace)) ||
        /* An update keeps what the row leaves empty. */
        (st = sinspace__prepare(s,
            "UPDATE workplaces SET name = ?2, name_local = coalesce(?3, name_local),"
            " sector = ?4, address = coalesce(?5, address),"
            " area_code = coalesce(?6, area_code),"
            " source_type = coalesce(?7, source_type),"
            " source_note = coalesce(?8, source_note),"
            " status = coalesce(?9, status),"
            " first_seen = CASE WHEN first_seen IS NULL OR ?10 < first_seen"
            "  THEN coalesce(?10, first_seen) ELSE first_seen END,"
            " last_seen = CASE WHEN last_seen IS NULL OR ?11 > last_seen"
            "  THEN coalesce(?11, last_seen) ELSE last_seen END,"
            " updated = ?12, geom = MakePoint(?13, ?14, 4326),"
            " footprint = coalesce(CastToMultiPolygon(GeomFromWKB(?15, 4326)), footprint)"
            " WHERE ext_id = ?1", &ld->update_workplace)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO observations(workplace_id, observed, risk, scored,"
            " source_type, source_note, observer, import_id,"
            " i01, i02, i03, i04, i05, i06, i07, i08, i09, i10, i11, i12, i13, i14,"
            " i15, i16, i17, i18, i19, i20, i21, i22, i23, i24, i25, i26, i27, i28)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
            " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
            " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)"
            " ON CONFLICT(workplace_id, observed) DO UPDATE SET risk = excluded.risk,"
            " scored = excluded.scored, source_type = excluded.source_type,"
            " source_note = excluded.source_note, observer = excluded.observer,"
            " import_id = excluded.import_id, i01 = excluded.i01, i02 = excluded.i02,"
            " i03 = excluded.i03, i04 = excluded.i04, i05 = excluded.i05,"
            " i06 = excluded.i06, i07 = excluded.i07, i08 = excluded.i08,"
            " i09 = excluded.i09, i10 = excluded.i10, i11 = excluded.i11,"
            " i12 = excluded.i12, i13 = excluded.i13, i14 = excluded.i14,"
            " i15 = excluded.i15, i16 = excluded.i16, i17 = excluded.i17,"
            " i18 = excluded.i18, i19 = excluded.i19, i20 = excluded.i20,"
            " i21 = excluded.i21, i22 = excluded.i22, i23 = excluded.i23,"
            " i24 = excluded.i24, i25 = excluded.i25, i26 = excluded.i26,"
            " i27 = excluded.i27, i28 = excluded.i28",
            &ld->upsert_observation)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO temp.import_touched(id, stale) VALUES (?1, ?2)"
            " ON CONFLICT(id) DO UPDATE SET stale = max(stale, excluded.stale)",
            &ld->touch)) ||
        (st = sinspace__prepare(s,
            "INSERT OR REPLACE INTO idx_workplaces_geom(pkid, xmin, xmax, ymin, ymax)"
            " VALUES (?1, ?2, ?3, ?4, ?5)", &ld->index_point)) ||
        (st = sinspace__prepare(s,
            "INSERT OR REPLACE INTO idx_workplaces_footprint(pkid, xmin, xmax, ymin, ymax)"
            " SELECT ?1, MbrMinX(g), MbrMaxX(g), MbrMinY(g), MbrMaxY(g)"
            " FROM (SELECT GeomFromWKB(?2, 4326) AS g)", &ld->index_footprint)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO areas(code, parent_code, level, level_rank, name_local,"
            " name_latin, source, geom, area_km2)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CastToMultiPolygon(GeomFromWKB(?8, 4326)),"
            " ?9)"
            " ON CONFLICT(code) DO UPDATE SET parent_code = excluded.parent_code,"
            " level = excluded.level, level_rank = excluded.level_rank,"
            " name_local = excluded.name_local, name_latin = excluded.name_latin,"
            " source = excluded.source, geom = excluded.geom,"
            " area_km2 = excluded.area_km2",
            &ld->area_upsert)) ||
        /* The parent: of the areas of a higher level that overlap this
         * one, the finest level, and there the largest overlap.  Upstream
         * boundaries leave slivers, so one inner point is not enough
         * ("Sop Mae Kha" of Hang Dong pokes into Saraphi). */
        (st = sinspace__prepare(s,
            "SELECT code FROM (SELECT code, level_rank, id,"
            "  ST_Area(ST_Intersection(geom, GeomFromWKB(?6, 4326))) AS overlap"
            "  FROM areas WHERE level_rank < ?1"
            "  AND id IN (SELECT pkid FROM idx_areas_geom WHERE xmin <= ?3"
            "   AND xmax >= ?2 AND ymin <= ?5 AND ymax >= ?4))"
            " WHERE overlap > 0 ORDER BY level_rank DESC, overlap DESC, id LIMIT 1",
            &ld->area_parent)) ||
        (st = sinspace__prepare(s,
            "INSERT INTO temp.import_areas(code) VALUES (?1)"
            " ON CONFLICT DO NOTHING RETURNING 1", &ld->area_taken)) ||
        (st = sinspace__prepare(s,
            "SELECT count(*) FROM areas WHERE code = ?1", &ld->area_exists_count)))
        return st;
    return SINSPACE_OK;
}

static void
finalize_statements(sinspace__import_load *ld)
{
    sqlite3_stmt **all[] = {
        &ld->find_workplace, &ld->sector_exists, &ld->area_exists,
        &ld->insert_workplace, &ld->update_workplace, &ld->upsert_observation,
        &ld->touch, &ld->index_point, &ld->index_footprint, &ld->area_upsert,
        &ld->area_parent, &ld->area_taken, &ld->area_exists_count};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
}

/* -------------------------------------------------------------------------
 * What is set aside during a load
 */

/* SpatiaLite 5 keeps the R*Tree through triggers that call RTreeAlign(),
 * which builds and prepares a new SQL statement for every row, stamps
 * geometry_columns_time on every insert and update, and checks each
 * geometry's type and SRID against geometry_columns (the import makes
 * every geometry itself, as POINT or MULTIPOLYGON in 4326): together most
 * of an import's time.  Inside the import's transaction we drop those triggers,
 * maintain the R*Tree rows with one prepared statement, and put the
 * triggers back, exactly as SpatiaLite wrote them, before commit.  A
 * rollback (or a crash) restores them too: DDL is transactional. */
static const char trigger_select[] =
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    " AND tbl_name = 'workplaces'"
    " AND (name GLOB 'gii_workplaces_*' OR name GLOB 'giu_workplaces_*'"
    "  OR name GLOB 'tmi_workplaces_*' OR name GLOB 'tmu_workplaces_*'"
    "  OR name GLOB 'ggi_workplaces_*' OR name GLOB 'ggu_workplaces_*')";

/* The secondary indexes of workplaces and observations (not the UNIQUE
 * ones, which the import itself relies on and which have no sql). */
static const char index_select[] =
    "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
    " AND tbl_name IN ('workplaces', 'observations') AND sql IS NOT NULL";

/* Drops what select lists (kind: TRIGGER or INDEX), keeping each one's
 * CREATE statement to put it back verbatim (restore_set_aside). */
static sinspace_status
set_aside(sinspace__import_load *ld, const char *select, const char *kind)
{
    sinspace_context *ctx = ld->store->ctx;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(ld->store, select, &stmt);
    if (st)
        return st;
    size_t cap = ld->n_saved;
    while (!st && sqlite3_step(stmt) == SQLITE_ROW) {
        if (ld->n_saved == cap) {
            cap = cap ? cap * 2 : 8;
            char **p = realloc(ld->saved_sql, cap * sizeof *p);
            if (!p) {
                st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
                break;
            }
            ld->saved_sql = p;
        }
        char *sql = sinspace__strdup((const char *)sqlite3_column_text(stmt, 1));
        if (!sql) {
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            break;
        }
        ld->saved_sql[ld->n_saved++] = sql;
        /* Names come from the store's own schema; quoted all the same. */
        char *drop = sqlite3_mprintf("DROP %s \"%w\"", kind,
                                     (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        stmt = NULL;
        st = drop ? sinspace__exec(ld->store, drop)
                  : sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        sqlite3_free(drop);
        if (!st)
            st = sinspace__prepare(ld->store, select, &stmt);
    }
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
suspend_triggers(sinspace__import_load *ld)
{
    sinspace_status st = set_aside(ld, trigger_select, "TRIGGER");
    ld->n_triggers = ld->n_saved;
    return st;
}

/* Into an empty store, the secondary indexes are built once after the
 * load (CREATE INDEX sorts) instead of taking a million random inserts
 * each: 4 s of a 30 s 1M import.  Put back with the triggers. */
static sinspace_status
suspend_indexes(sinspace__import_load *ld)
{
    return set_aside(ld, index_select, "INDEX");
}

static sinspace_status
restore_set_aside(sinspace__import_load *ld)
{
    sinspace_status st = SINSPACE_OK;
    for (size_t i = 0; i < ld->n_saved && !st; i++)
        st = sinspace__exec(ld->store, ld->saved_sql[i]);
    if (!st && ld->n_triggers) {
        /* What the stamping triggers would have left. */
        st = sinspace__exec(ld->store,
            "UPDATE geometry_columns_time SET"
            " last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
            " last_update = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            " WHERE Lower(f_table_name) = 'workplaces'");
    }
    return st;
}

/* A point's workplace id and its place in write order. */
typedef struct keyed_point {
    long long id;
    size_t at;
} keyed_point;

static int
by_id_then_at(const void *a, const void *b)
{
    const keyed_point *p = a, *q = b;
    if (p->id != q->id)
        return (p->id > q->id) - (p->id < q->id);
    return (p->at > q->at) - (p->at < q->at);
}

/* Packs the workplaces' points into their empty R*Tree.  A workplace
 * written twice (a file holding its history) keeps its last point: the
 * points are sorted by id, then by write order (part of the key, qsort
 * not being stable). */
static sinspace_status
pack_points(sinspace__import_load *ld)
{
    sinspace_context *ctx = ld->store->ctx;
    size_t n = ld->pack_n;
    sinspace_rtree_point *v = ld->pack_pts;
    keyed_point *k = n ? malloc(n * sizeof *k) : NULL;
    if (n && !k)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed_point){v[i].id, i};
    if (n > 1) /* qsort(NULL, 0) is undefined (UBSan) */
        qsort(k, n, sizeof *k, by_id_then_at);
    sinspace_rtree_point *out = n ? malloc(n * sizeof *out) : NULL;
    if (n && !out) {
        free(k);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && k[i + 1].id == k[i].id)
            continue; /* a later point of the same workplace follows */
        out[m++] = v[k[i].at];
    }
    free(k);
    sinspace_status st = sinspace__rtree_pack(ld->store, "idx_workplaces_geom", out, m);
    free(out);
    return st;
}

/* -------------------------------------------------------------------------
 * Derived columns (declared in store_int.h)
 */

sinspace_status
sinspace__refresh_risk(sinspace_store *store, long long batch)
{
    (void)batch;
    /* One pass, one rewrite of each touched row: its latest observation's
     * risk, that risk's class, and the latest observation date. */
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "UPDATE workplaces SET risk = x.risk,"
        " risk_class = CASE WHEN x.risk IS NULL THEN NULL"
        "  WHEN x.risk >= ?1 THEN 'high' WHEN x.risk >= ?2 THEN 'medium'"
        "  ELSE 'low' END,"
        " last_seen = coalesce(x.last, workplaces.last_seen)"
        " FROM (SELECT t.id AS id,"
        "  (SELECT o.risk FROM observations AS o WHERE o.workplace_id = t.id"
        "   ORDER BY o.observed DESC, o.id DESC LIMIT 1) AS risk,"
        "  (SELECT max(o.observed) FROM observations AS o"
        "   WHERE o.workplace_id = t.id) AS last"
        "  FROM temp.import_touched AS t WHERE t.stale) AS x"
        " WHERE workplaces.id = x.id", &stmt);
    if (st)
        return st;
    sqlite3_bind_double(stmt, 1, SINSPACE_RISK_HIGH);
    sqlite3_bind_double(stmt, 2, SINSPACE_RISK_MEDIUM);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "refreshing risk");
    sqlite3_finalize(stmt);
    return st;
}

/* Area membership of the touched workplaces: the R*Tree of areas narrows
 * the candidates, ST_Intersects decides (a point on a shared edge belongs
 * to both areas).  The finest containing area becomes area_code. */
static sinspace_status
refresh_members(sinspace_store *store)
{
    sinspace_status st;
    if ((st = sinspace__exec(store,
            "DELETE FROM area_members WHERE workplace_id IN"
            " (SELECT id FROM temp.import_touched)")) ||
        (st = sinspace__exec(store,
            "INSERT INTO area_members(area_id, workplace_id)"
            " SELECT a.id, w.id FROM temp.import_touched AS t"
            " JOIN workplaces AS w ON w.id = t.id"
            " JOIN areas AS a ON a.id IN (SELECT pkid FROM idx_areas_geom"
            "  WHERE xmin <= ST_X(w.geom) AND xmax >= ST_X(w.geom)"
            "  AND ymin <= ST_Y(w.geom) AND ymax >= ST_Y(w.geom))"
            " WHERE ST_Intersects(a.geom, w.geom) = 1")) ||
        (st = sinspace__exec(store,
            "UPDATE workplaces SET area_code = coalesce((SELECT a.code"
            "  FROM area_members AS m JOIN areas AS a ON a.id = m.area_id"
            "  WHERE m.workplace_id = workplaces.id"
            "  ORDER BY a.level_rank DESC, a.id LIMIT 1), area_code)"
            " WHERE id IN (SELECT id FROM temp.import_touched)")))
        return st;
    return SINSPACE_OK;
}

sinspace_status
sinspace__refresh_areas(sinspace_store *store)
{
    sinspace_status st;
    if ((st = sinspace__exec(store, "DELETE FROM temp.import_touched")) ||
        (st = sinspace__exec(store,
            "INSERT INTO temp.import_touched(id) SELECT id FROM workplaces")))
        return st;
    return refresh_members(store);
}

/* -------------------------------------------------------------------------
 * A load
 */

/* The cache a reader keeps; a load raises it (see begin). */
static void
cache_back_to_reader(sinspace_store *store)
{
    sqlite3_exec(store->db, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
}

static void
load_free(sinspace__import_load *ld)
{
    finalize_statements(ld);
    for (size_t i = 0; i < ld->n_saved; i++)
        free(ld->saved_sql[i]);
    free(ld->saved_sql);
    free(ld->pack_pts);
    free(ld);
}

static sinspace_status
sl_end(sinspace__import_load *ld, int commit)
{
    if (!ld)
        return SINSPACE_OK;
    sinspace_store *store = ld->store;
    finalize_statements(ld);
    sinspace_status st = SINSPACE_OK;
    if (commit)
        st = sinspace__commit(store);
    else
        sinspace__rollback(store);
    cache_back_to_reader(store);
    load_free(ld);
    return st;
}

static sinspace_status
record_import(sinspace__import_load *ld, const sinspace__import_start *start)
{
    sinspace_store *store = ld->store;
    char now[32];
    sinspace__now_iso(now);
    sqlite3_stmt *s;
    sinspace_status st = sinspace__prepare(store,
        "INSERT INTO imports(at, user, file, kind) VALUES (?1, ?2, ?3, ?4)", &s);
    if (st)
        return st;
    sinspace__bind_text(s, 1, now);
    sinspace__bind_text(s, 2, store->ctx->user);
    sinspace__bind_text(s, 3, start->file);
    sinspace__bind_text(s, 4, start->kind);
    if (sqlite3_step(s) != SQLITE_DONE)
        st = sinspace__db_error(store, "recording the import");
    sqlite3_finalize(s);
    if (!st)
        ld->import_id = sqlite3_last_insert_rowid(store->db);
    return st;
}

static sinspace_status
sl_begin(sinspace_store *store, const sinspace__import_start *start,
         sinspace__import_load **out, int *have_areas)
{
    sinspace_status st;
    if ((st = sinspace__exec(store,
            "CREATE TEMP TABLE IF NOT EXISTS import_touched(id INTEGER PRIMARY KEY,"
            " stale INTEGER NOT NULL DEFAULT 1);"
            "CREATE TEMP TABLE IF NOT EXISTS import_areas(code TEXT PRIMARY KEY);"
            "DELETE FROM temp.import_touched; DELETE FROM temp.import_areas;")))
        return st;
    /* A large page cache keeps a bulk import from spilling into the WAL
     * row by row (35 s -> 7 s for 100k rows here); back to the reader's
     * size at end. */
    if ((st = sinspace__exec(store, "PRAGMA cache_size = -131072")))
        return st;
    sinspace__import_load *ld = calloc(1, sizeof *ld);
    if (!ld)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    ld->store = store;
    if ((st = sinspace__begin(store))) {
        load_free(ld);
        return st;
    }
    sinspace__now_iso(ld->now);
    if ((st = suspend_triggers(ld)) || (st = prepare_statements(ld)))
        goto fail;
    long long n_areas = 0;
    if ((st = sinspace__query_int(store, "SELECT count(*) FROM areas", &n_areas, 0)))
        goto fail;
    /* Workplaces into an empty store: their R*Tree is packed at the end. */
    if (start->may_write_workplaces) {
        long long indexed = 0;
        if ((st = sinspace__query_int(store,
                "SELECT (SELECT count(*) FROM idx_workplaces_geom_rowid)"
                " + (SELECT count(*) FROM workplaces)", &indexed, 0)))
            goto fail;
        ld->pack = indexed == 0;
        if (ld->pack && (st = suspend_indexes(ld)))
            goto fail;
    }
    ld->have_areas = n_areas > 0;
    if ((st = record_import(ld, start)))
        goto fail;
    *have_areas = ld->have_areas;
    *out = ld;
    return SINSPACE_OK;
fail:
    sl_end(ld, 0);
    return st;
}

static sinspace_status
sl_finish(sinspace__import_load *ld, long long rows)
{
    sinspace_store *store = ld->store;
    sqlite3_stmt *s;
    sinspace_status st = sinspace__prepare(store,
        "UPDATE imports SET rows = ?1 WHERE id = ?2", &s);
    if (st)
        return st;
    sqlite3_bind_int64(s, 1, rows);
    sqlite3_bind_int64(s, 2, ld->import_id);
    if (sqlite3_step(s) != SQLITE_DONE)
        st = sinspace__db_error(store, "recording the import");
    sqlite3_finalize(s);
    if (st)
        return st;
    if (ld->pack && (st = pack_points(ld)))
        return st;
    return restore_set_aside(ld);
}

static sinspace_status
sl_refresh_risk(sinspace__import_load *ld)
{
    return sinspace__refresh_risk(ld->store, ld->import_id);
}

static sinspace_status
sl_refresh_members(sinspace__import_load *ld, int all)
{
    return all ? sinspace__refresh_areas(ld->store) : refresh_members(ld->store);
}

/* -------------------------------------------------------------------------
 * Rows
 */

static int
sl_sector_known(sinspace__import_load *ld, const char *code)
{
    return lookup(ld->sector_exists, code);
}

static int
sl_area_known(sinspace__import_load *ld, const char *code)
{
    return lookup(ld->area_exists, code);
}

static long long
sl_workplace_find(sinspace__import_load *ld, const char *ext_id)
{
    sqlite3_reset(ld->find_workplace);
    sinspace__bind_text(ld->find_workplace, 1, ext_id);
    long long id = 0;
    if (sqlite3_step(ld->find_workplace) == SQLITE_ROW)
        id = sqlite3_column_int64(ld->find_workplace, 0);
    sqlite3_reset(ld->find_workplace);
    return id;
}

static sinspace_status
touch(sinspace__import_load *ld, long long wid, int stale)
{
    sqlite3_bind_int64(ld->touch, 1, wid);
    sqlite3_bind_int(ld->touch, 2, stale);
    return step_done(ld, ld->touch, "recording a workplace");
}

static sinspace_status
sl_workplace_write(sinspace__import_load *ld, const sinspace__import_workplace *w,
                   long long *id, int *updated)
{
    long long wid = sl_workplace_find(ld, w->ext_id);
    sqlite3_stmt *s = wid ? ld->update_workplace : ld->insert_workplace;
    sinspace__bind_text(s, 1, w->ext_id);
    sinspace__bind_text(s, 2, w->name);
    sinspace__bind_text(s, 3, w->name_local);
    sinspace__bind_text(s, 4, w->sector);
    sinspace__bind_text(s, 5, w->address);
    sinspace__bind_text(s, 6, w->area_code);
    sinspace__bind_text(s, 7, w->source_type);
    sinspace__bind_text(s, 8, w->source_note);
    sinspace__bind_text(s, 9, w->status);
    sinspace__bind_text(s, 10, w->first_seen);
    sinspace__bind_text(s, 11, w->last_seen);
    sinspace__bind_text(s, 12, ld->now);
    sqlite3_bind_double(s, 13, w->lon);
    sqlite3_bind_double(s, 14, w->lat);
    if (w->footprint_wkb)
        sqlite3_bind_blob(s, 15, w->footprint_wkb, (int)w->footprint_size,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 15);
    if (!wid) {
        if (isnan(w->risk))
            sqlite3_bind_null(s, 16);
        else
            sqlite3_bind_double(s, 16, w->risk);
        sinspace__bind_text(s, 17, w->risk_class);
    }
    sinspace_status st = step_done(ld, s, "writing a workplace");
    sqlite3_clear_bindings(s);
    if (st)
        return st;
    *updated = wid != 0;
    if (!wid)
        wid = sqlite3_last_insert_rowid(ld->store->db);
    *id = wid;
    /* A workplace written again has its risk refreshed at the end. */
    if ((st = touch(ld, wid, *updated)))
        return st;
    /* The R*Trees, kept here while SpatiaLite's triggers are set aside.
     * SQLite's rtree rounds min down and max up to 32-bit floats. */
    if (ld->pack) {
        if (ld->pack_n == ld->pack_cap) {
            size_t cap = ld->pack_cap ? 2 * ld->pack_cap : 4096;
            sinspace_rtree_point *v = realloc(ld->pack_pts, cap * sizeof *v);
            if (!v)
                return sinspace__error(ld->store->ctx, SINSPACE_NO_MEMORY,
                                       "out of memory");
            ld->pack_pts = v;
            ld->pack_cap = cap;
        }
        ld->pack_pts[ld->pack_n++] = (sinspace_rtree_point){wid, w->lon, w->lat};
    } else {
        sqlite3_bind_int64(ld->index_point, 1, wid);
        sqlite3_bind_double(ld->index_point, 2, w->lon);
        sqlite3_bind_double(ld->index_point, 3, w->lon);
        sqlite3_bind_double(ld->index_point, 4, w->lat);
        sqlite3_bind_double(ld->index_point, 5, w->lat);
        if ((st = step_done(ld, ld->index_point, "indexing a workplace")))
            return st;
    }
    if (w->footprint_wkb) {
        sqlite3_bind_int64(ld->index_footprint, 1, wid);
        sqlite3_bind_blob(ld->index_footprint, 2, w->footprint_wkb,
                          (int)w->footprint_size, SQLITE_STATIC);
        if ((st = step_done(ld, ld->index_footprint, "indexing a footprint")))
            return st;
    }
    return SINSPACE_OK;
}

static sinspace_status
sl_observation_write(sinspace__import_load *ld, long long wid,
                     const sinspace__import_observation *o, int refresh)
{
    sqlite3_stmt *s = ld->upsert_observation;
    sqlite3_bind_int64(s, 1, wid);
    sinspace__bind_text(s, 2, o->observed);
    sqlite3_bind_double(s, 3, o->risk);
    sqlite3_bind_int(s, 4, o->scored);
    sinspace__bind_text(s, 5, o->source_type);
    sinspace__bind_text(s, 6, o->source_note);
    sinspace__bind_text(s, 7, o->observer);
    sqlite3_bind_int64(s, 8, ld->import_id);
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        if (o->scores[i])
            sqlite3_bind_int(s, 9 + i, o->scores[i]);
        else
            sqlite3_bind_null(s, 9 + i);
    }
    sinspace_status st = step_done(ld, s, "writing an observation");
    if (!st && refresh)
        st = touch(ld, wid, 1);
    return st;
}

static sinspace_status
sl_area_parent(sinspace__import_load *ld, int level_rank,
               const unsigned char *wkb, size_t wkb_size, double min_x,
               double min_y, double max_x, double max_y, char *code,
               size_t code_size)
{
    sqlite3_stmt *s = ld->area_parent;
    code[0] = '\0';
    sqlite3_bind_int(s, 1, level_rank);
    sqlite3_bind_double(s, 2, min_x);
    sqlite3_bind_double(s, 3, max_x);
    sqlite3_bind_double(s, 4, min_y);
    sqlite3_bind_double(s, 5, max_y);
    sqlite3_bind_blob(s, 6, wkb, (int)wkb_size, SQLITE_STATIC);
    /* No row, or a failed step, leaves the area a root, as before. */
    if (sqlite3_step(s) == SQLITE_ROW)
        snprintf(code, code_size, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return SINSPACE_OK;
}

static int
sl_area_code_claim(sinspace__import_load *ld, const char *code)
{
    sinspace__bind_text(ld->area_taken, 1, code);
    int fresh = sqlite3_step(ld->area_taken) == SQLITE_ROW;
    sqlite3_reset(ld->area_taken);
    return fresh;
}

static sinspace_status
sl_area_write(sinspace__import_load *ld, const sinspace__import_area *a,
              int *updated)
{
    sqlite3_stmt *s = ld->area_upsert;
    sinspace__bind_text(s, 1, a->code);
    sinspace__bind_text(s, 2, a->parent_code);
    sinspace__bind_text(s, 3, a->level);
    sqlite3_bind_int(s, 4, a->level_rank);
    sinspace__bind_text(s, 5, a->name_local);
    sinspace__bind_text(s, 6, a->name_latin);
    sinspace__bind_text(s, 7, a->source);
    sqlite3_bind_blob(s, 8, a->wkb, (int)a->wkb_size, SQLITE_STATIC);
    /* Computed by the reader with GeographicLib: SpatiaLite's ellipsoidal
     * ST_Area (RTTOPO) prints an error for any ring crossing the equator. */
    sqlite3_bind_double(s, 9, a->area_km2);
    long long before = 0;
    sqlite3_stmt *c = ld->area_exists_count;
    sinspace__bind_text(c, 1, a->code);
    if (sqlite3_step(c) == SQLITE_ROW)
        before = sqlite3_column_int64(c, 0);
    sqlite3_reset(c);
    int rc = sqlite3_step(s);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(s);
    sinspace_status st = SINSPACE_OK;
    if (rc != SQLITE_DONE)
        st = sinspace__db_error(ld->store, "writing an area");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s); /* the blob is the caller's */
    *updated = before != 0;
    return st;
}

static sinspace_status
sl_audit(sinspace_store *store, const sinspace_audit_entry *entry)
{
    return sinspace__audit_write(store, entry);
}

/* -------------------------------------------------------------------------
 * A user's indicator catalogue
 */

static sinspace_status
sl_indicators_begin(sinspace_store *store)
{
    sinspace_status st;
    if ((st = sinspace__exec(store,
            "CREATE TEMP TABLE IF NOT EXISTS import_touched(id INTEGER PRIMARY KEY,"
            " stale INTEGER NOT NULL DEFAULT 1);"
            "DELETE FROM temp.import_touched")) ||
        (st = sinspace__begin(store)))
        return st;
    if ((st = sinspace__exec(store, "DELETE FROM indicators")))
        sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_indicator_write(sinspace_store *store, const sinspace__import_indicator *ind,
                   const char *where)
{
    sqlite3_stmt *ins;
    sinspace_status st = sinspace__prepare(store,
        "INSERT INTO indicators(position, code, name, domain, weight,"
        " description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &ins);
    if (st)
        return st;
    sqlite3_bind_int64(ins, 1, ind->position);
    sinspace__bind_text(ins, 2, ind->code);
    sinspace__bind_text(ins, 3, ind->name);
    sinspace__bind_text(ins, 4, ind->domain);
    sqlite3_bind_double(ins, 5, ind->weight);
    sinspace__bind_text(ins, 6, ind->description);
    if (sqlite3_step(ins) != SQLITE_DONE)
        st = sinspace__error(store->ctx, SINSPACE_INVALID_INPUT, "%s: %s", where,
                             sqlite3_errmsg(store->db));
    sqlite3_finalize(ins);
    return st;
}

static sinspace_status
rescore_observations(sinspace_store *store, sinspace__import_score_fn fn,
                     void *user)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    sinspace_status st;
    if ((st = sinspace__prepare(store,
            "SELECT id, i01, i02, i03, i04, i05, i06, i07, i08, i09, i10, i11,"
            " i12, i13, i14, i15, i16, i17, i18, i19, i20, i21, i22, i23, i24,"
            " i25, i26, i27, i28 FROM observations WHERE scored > 0", &sel)) ||
        (st = sinspace__prepare(store,
            "UPDATE observations SET risk = ?1 WHERE id = ?2", &upd)))
        goto done;
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        int scores[SINSPACE_INDICATORS];
        for (int i = 0; i < SINSPACE_INDICATORS; i++)
            scores[i] = sqlite3_column_type(sel, i + 1) == SQLITE_NULL
                            ? 0 : sqlite3_column_int(sel, i + 1);
        double r = fn(user, scores);
        if (isnan(r))
            continue;
        sqlite3_bind_double(upd, 1, r);
        sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
        if (sqlite3_step(upd) != SQLITE_DONE) {
            st = sinspace__db_error(store, "rescoring observations");
            goto done;
        }
        sqlite3_reset(upd);
    }
    if (rc != SQLITE_DONE)
        st = sinspace__db_error(store, "rescoring observations");
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return st;
}

static sinspace_status
sl_indicators_rescore(sinspace_store *store, sinspace__import_score_fn fn,
                      void *user)
{
    sinspace_status st;
    if ((st = rescore_observations(store, fn, user)) ||
        (st = sinspace__exec(store,
            "INSERT INTO temp.import_touched(id) SELECT id FROM workplaces")))
        return st;
    return sinspace__refresh_risk(store, -1);
}

static sinspace_status
sl_indicators_end(sinspace_store *store, int commit)
{
    if (commit)
        return sinspace__commit(store);
    sinspace__rollback(store);
    return SINSPACE_OK;
}

const sinspace__import_ops sinspace__spatialite_import_ops = {
    .indicator_weights = sinspace__indicator_weights,
    .begin = sl_begin,
    .end = sl_end,
    .sector_known = sl_sector_known,
    .area_known = sl_area_known,
    .workplace_find = sl_workplace_find,
    .workplace_write = sl_workplace_write,
    .observation_write = sl_observation_write,
    .area_parent = sl_area_parent,
    .area_code_claim = sl_area_code_claim,
    .area_write = sl_area_write,
    .refresh_risk = sl_refresh_risk,
    .refresh_members = sl_refresh_members,
    .finish = sl_finish,
    .audit = sl_audit,
    .indicators_begin = sl_indicators_begin,
    .indicator_write = sl_indicator_write,
    .indicators_rescore = sl_indicators_rescore,
    .indicators_end = sl_indicators_end,
};
