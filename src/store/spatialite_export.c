/* spatialite_export.c: the export domain of the SpatiaLite engine
 * (store/export.h).
 *
 * Each layer is one statement stepped row by row: a base SELECT whose
 * columns follow the layer's enum in store/export.h, then fixed clauses
 * chosen here (never text from input), values bound.  A selection of
 * workplaces is a temporary table, so memory stays bounded however many
 * are selected. */
#include "store/export.h"
#include "store/store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char workplace_select[] =
    "SELECT w.id, w.ext_id, w.name, w.name_local, w.sector, w.status, w.risk,"
    " w.risk_class, w.area_code, NULL, w.first_seen, w.last_seen,"
    " (SELECT max(o.observed) FROM observations AS o WHERE o.workplace_id = w.id),"
    " w.address, w.source_type, w.source_note,"
    " (SELECT o.observer FROM observations AS o WHERE o.workplace_id = w.id"
    "  ORDER BY o.observed DESC LIMIT 1),"
    " w.updated, X(w.geom), Y(w.geom), w.id, w.ext_id"
    " FROM workplaces AS w";
/* The same columns without the latest observation's date and observer. */
static const char workplace_select_shared[] =
    "SELECT w.id, w.ext_id, w.name, w.name_local, w.sector, w.status, w.risk,"
    " w.risk_class, w.area_code, NULL, w.first_seen, w.last_seen,"
    " NULL, w.address, w.source_type, w.source_note, NULL,"
    " w.updated, X(w.geom), Y(w.geom), w.id, w.ext_id"
    " FROM workplaces AS w";

static const char observation_select[] =
    "SELECT o.id, w.ext_id, w.name, w.sector, o.observed, o.risk,"
    " CASE WHEN o.risk >= ?3 THEN 'high' WHEN o.risk >= ?4 THEN 'medium'"
    " ELSE 'low' END, o.scored, NULL, o.source_type, o.source_note, o.observer,"
    " o.i01, o.i02, o.i03, o.i04, o.i05, o.i06, o.i07, o.i08, o.i09, o.i10,"
    " o.i11, o.i12, o.i13, o.i14, o.i15, o.i16, o.i17, o.i18, o.i19, o.i20,"
    " o.i21, o.i22, o.i23, o.i24, o.i25, o.i26, o.i27, o.i28,"
    " X(w.geom), Y(w.geom), w.id, w.ext_id"
    " FROM observations AS o JOIN workplaces AS w ON w.id = o.workplace_id";

/* Counts as the areas_risk layer makes them: closed workplaces left out. */
static const char area_select[] =
    "SELECT r.id, r.code, r.parent_code, r.level, r.name_latin, r.name_local,"
    " r.area_km2, r.workplaces, r.high_risk, r.mean_risk, r.risk_density, 0,"
    " a.source, ST_AsBinary(a.geom)"
    " FROM areas_risk AS r JOIN areas AS a ON a.id = r.id";

/* Aggregated workplaces: the same columns as areas. */
static const char aggregate_select[] =
    "SELECT a.id, a.code, a.parent_code, a.level, a.name_latin, a.name_local,"
    " a.area_km2, count(w.id), coalesce(sum(w.risk_class = 'high'), 0),"
    " round(avg(w.risk), 3),"
    " CASE WHEN a.area_km2 > 0 THEN round(coalesce(sum(w.risk), 0) / a.area_km2, 4) END,"
    " 0, a.source, ST_AsBinary(a.geom)"
    " FROM areas AS a LEFT JOIN area_members AS m ON m.area_id = a.id";

static const char zone_select[] =
    "SELECT z.id, z.id, z.computed_at, z.params, z.workplaces, z.mean_risk,"
    " z.max_risk, z.peak_density, z.sectors, ST_AsBinary(z.geom) FROM zones AS z";

static const char fence_select[] =
    "SELECT f.id, f.name, f.description, f.added_by, f.added_at,"
    " ST_AsBinary(f.geom) FROM fences AS f";

static const char tile_select[] =
    "SELECT t.id, t.path, t.driver, t.crs, t.width, t.height, t.bands,"
    " t.pixel_size, t.pixel_size_m, t.acquired, t.source, t.attribution,"
    " t.added, ST_AsBinary(t.footprint) FROM tiles AS t";

/* -------------------------------------------------------------------------
 * Selections
 */

struct sinspace__export_selection {
    sinspace_store *store;
    sqlite3_stmt *insert;
};

static sinspace_status
sl_selection_open(sinspace_store *store, sinspace__export_selection **out)
{
    *out = NULL;
    sinspace__export_selection *sel = calloc(1, sizeof *sel);
    if (!sel)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    sel->store = store;
    sinspace_status st = sinspace__exec(store,
        "CREATE TEMP TABLE IF NOT EXISTS export_selection"
        " (id INTEGER PRIMARY KEY, k INTEGER NOT NULL);"
        " CREATE INDEX IF NOT EXISTS temp.export_selection_k"
        " ON export_selection(k, id);"
        " DELETE FROM temp.export_selection");
    if (!st)
        st = sinspace__prepare(store,
            "INSERT OR IGNORE INTO temp.export_selection(id, k) VALUES (?1, ?2)",
            &sel->insert);
    if (st) {
        free(sel);
        return st;
    }
    *out = sel;
    return SINSPACE_OK;
}

static sinspace_status
sl_selection_add(sinspace__export_selection *sel, long long workplace_id,
                 long long order_key)
{
    sqlite3_reset(sel->insert);
    sqlite3_bind_int64(sel->insert, 1, workplace_id);
    sqlite3_bind_int64(sel->insert, 2, order_key);
    if (sqlite3_step(sel->insert) != SQLITE_DONE)
        return sinspace__db_error(sel->store, "selecting workplaces");
    return SINSPACE_OK;
}

static sinspace_status
sl_selection_add_all(sinspace__export_selection *sel,
                     long long (*key)(void *user, const char *ext_id), void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(sel->store,
        "SELECT id, ext_id FROM workplaces", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *ext = (const char *)sqlite3_column_text(stmt, 1);
        if ((st = sl_selection_add(sel, sqlite3_column_int64(stmt, 0),
                                   key(user, ext ? ext : "")))) {
            sqlite3_finalize(stmt);
            return st;
        }
    }
    return sinspace__stmt_finish(sel->store, stmt, rc, "selecting workplaces");
}

static void
sl_selection_close(sinspace__export_selection *sel)
{
    if (!sel)
        return;
    sqlite3_finalize(sel->insert);
    sinspace__exec(sel->store, "DROP TABLE IF EXISTS temp.export_selection");
    free(sel);
}

/* -------------------------------------------------------------------------
 * Layers
 */

/* Fills values[0..n) from statement columns first..first+n, by the types
 * the caller set. */
static void
read_values(sqlite3_stmt *stmt, int first, sinspace_property *values, size_t n,
            const sinspace_value_type *types)
{
    for (size_t i = 0; i < n; i++) {
        int k = first + (int)i;
        sinspace_property *p = &values[i];
        p->type = types[i];
        p->integer = 0;
        p->real = NAN;
        p->text = NULL;
        int null = sqlite3_column_type(stmt, k) == SQLITE_NULL;
        switch (types[i]) {
        case SINSPACE_VALUE_INTEGER:
        case SINSPACE_VALUE_BOOLEAN:
            if (null)
                p->type = SINSPACE_VALUE_NULL;
            else
                p->integer = sqlite3_column_int64(stmt, k);
            break;
        case SINSPACE_VALUE_REAL:
            if (!null)
                p->real = sqlite3_column_double(stmt, k);
            break;
        default:
            p->text = null ? NULL : (const char *)sqlite3_column_text(stmt, k);
        }
    }
}

/* The overlap test for a polygon layer's geometry column: true with no
 * region (?1 NULL), else when the geometry meets the region more than by
 * touching it. */
#define OVERLAP_TEST(g)                                                      \
    "?1 IS NULL OR (MbrIntersects(" g ", GeomFromWKB(?1, 4326))"            \
    " AND ST_Intersects(" g ", GeomFromWKB(?1, 4326))"                       \
    " AND NOT ST_Touches(" g ", GeomFromWKB(?1, 4326)))"
#define OVERLAPS(g) " WHERE " OVERLAP_TEST(g)

static sinspace_status
sl_read(sinspace_store *store, const sinspace__export_read *q,
        sinspace__export_fn fn, void *user)
{
    const char *base, *where = "", *tail = "";
    size_t n_cols;
    int polygons = 1;
    int selected = q->selection != NULL;
    int keyed = selected && q->keyed;

    switch (q->layer) {
    case SINSPACE_EXPORT_WORKPLACES:
        if (q->aggregate) {
            base = aggregate_select;
            /* With a region, only the areas of the level it overlaps
             * (as the areas layer chooses them). */
            where = selected
                ? " LEFT JOIN workplaces AS w ON w.id = m.workplace_id"
                  " AND w.id IN (SELECT id FROM temp.export_selection)"
                  " WHERE a.level_rank = ?2 AND (" OVERLAP_TEST("a.geom") ")"
                : " LEFT JOIN workplaces AS w ON w.id = m.workplace_id"
                  " AND w.status <> 'closed' WHERE a.level_rank = ?2"
                  " AND (" OVERLAP_TEST("a.geom") ")";
            tail = " GROUP BY a.id ORDER BY a.code";
            n_cols = SINSPACE__XAR_N;
        } else {
            base = q->latest ? workplace_select : workplace_select_shared;
            where = keyed
                ? " JOIN temp.export_selection AS s ON s.id = w.id"
                : selected
                ? " WHERE w.id IN (SELECT id FROM temp.export_selection)" : "";
            tail = keyed ? " ORDER BY s.k, s.id" : " ORDER BY w.id";
            n_cols = SINSPACE__XWP_N;
            polygons = 0;
        }
        break;
    case SINSPACE_EXPORT_OBSERVATIONS:
        base = observation_select;
        where = keyed
            ? " JOIN temp.export_selection AS s ON s.id = w.id"
            : selected
            ? " WHERE w.id IN (SELECT id FROM temp.export_selection)" : "";
        tail = keyed ? " ORDER BY s.k, s.id, o.observed, o.id" : " ORDER BY o.id";
        n_cols = SINSPACE__XOB_N;
        polygons = 0;
        break;
    case SINSPACE_EXPORT_AREAS:
        base = area_select;
        where = OVERLAPS("a.geom");
        tail = " ORDER BY a.level_rank, a.code";
        n_cols = SINSPACE__XAR_N;
        break;
    case SINSPACE_EXPORT_ZONES:
        base = zone_select;
        where = OVERLAPS("z.geom");
        tail = " ORDER BY z.id";
        n_cols = SINSPACE__XZO_N;
        break;
    case SINSPACE_EXPORT_FENCES:
        base = fence_select;
        where = OVERLAPS("f.geom");
        tail = " ORDER BY f.name";
        n_cols = SINSPACE__XFE_N;
        break;
    case SINSPACE_EXPORT_TILES:
        base = tile_select;
        where = OVERLAPS("t.footprint");
        tail = " ORDER BY t.acquired, t.id";
        n_cols = SINSPACE__XTI_N;
        break;
    default:
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "export: unknown layer %d", (int)q->layer);
    }
    if (q->n_values != n_cols || n_cols > 64)
        return sinspace__error(store->ctx, SINSPACE_ERROR,
                               "export: layer %d has %zu columns, not %zu",
                               (int)q->layer, n_cols, q->n_values);
    /* The types as the caller set them: read_values may turn a NULL
     * integer's type into SINSPACE_VALUE_NULL row by row. */
    sinspace_value_type types[64];
    for (size_t i = 0; i < n_cols; i++)
        types[i] = q->values[i].type;

    size_t len = strlen(base) + strlen(where) + strlen(tail) + 1;
    char *sql = malloc(len);
    if (!sql)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    snprintf(sql, len, "%s%s%s", base, where, tail);
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store, sql, &stmt);
    free(sql);
    if (st)
        return st;
    if (polygons) {
        if (q->region_wkb)
            sqlite3_bind_blob(stmt, 1, q->region_wkb, (int)q->region_wkb_size,
                              SQLITE_STATIC);
        else
            sqlite3_bind_null(stmt, 1);
    }
    if (q->layer == SINSPACE_EXPORT_WORKPLACES && q->aggregate)
        sqlite3_bind_int(stmt, 2, (int)q->level);
    if (q->layer == SINSPACE_EXPORT_OBSERVATIONS) {
        /* An observation's class, by the thresholds of risk.h. */
        sqlite3_bind_double(stmt, 3, SINSPACE_RISK_HIGH);
        sqlite3_bind_double(stmt, 4, SINSPACE_RISK_MEDIUM);
    }

    int n = (int)n_cols;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__export_row row = {.fid = sqlite3_column_int64(stmt, 0),
                                    .lon = NAN, .lat = NAN};
        read_values(stmt, 1, q->values, n_cols, types);
        if (polygons) {
            row.wkb = sqlite3_column_blob(stmt, n + 1);
            row.wkb_size = (size_t)sqlite3_column_bytes(stmt, n + 1);
        } else {
            if (sqlite3_column_type(stmt, n + 1) != SQLITE_NULL)
                row.lon = sqlite3_column_double(stmt, n + 1);
            if (sqlite3_column_type(stmt, n + 2) != SQLITE_NULL)
                row.lat = sqlite3_column_double(stmt, n + 2);
            row.workplace_id = sqlite3_column_int64(stmt, n + 3);
            row.ext_id = (const char *)sqlite3_column_text(stmt, n + 4);
        }
        if (fn(user, &row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "exporting");
}

/* -------------------------------------------------------------------------
 * The water layer
 */

/* 1 when the store has a water table. */
static sinspace_status
water_exists(sinspace_store *store, int *out)
{
    long long n = 0;
    sinspace_status st = sinspace__query_int(store,
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        " AND name = 'water'", &n, 0);
    *out = n > 0;
    return st;
}

/* Makes the water table as schema.c makes the others (SpatiaLite's own
 * AddGeometryColumn and CreateSpatialIndex), inside the caller's
 * transaction. */
static sinspace_status
water_create(sinspace_store *store)
{
    sinspace_status st = sinspace__exec(store,
        "CREATE TABLE water ("
        " id INTEGER PRIMARY KEY,"
        " source TEXT,"
        " added TEXT NOT NULL)");
    long long ok = 0;
    if (!st)
        st = sinspace__query_int(store,
            "SELECT AddGeometryColumn('water', 'geom', 4326, 'MULTIPOLYGON',"
            " 'XY', 1)", &ok, 0);
    if (!st && ok != 1)
        return sinspace__error(store->ctx, SINSPACE_DATABASE,
                               "%s: cannot add the water layer's geometry column",
                               sinspace_store_path(store));
    if (!st)
        st = sinspace__query_int(store,
            "SELECT CreateSpatialIndex('water', 'geom')", &ok, 0);
    if (!st && ok != 1)
        return sinspace__error(store->ctx, SINSPACE_DATABASE,
                               "%s: cannot index the water layer",
                               sinspace_store_path(store));
    return st;
}

static sinspace_status
sl_water_add(sinspace_store *store, const char *source,
             int (*next)(void *user, const unsigned char **wkb, size_t *size),
             void *user, const sinspace_audit_entry *audit, long long *added)
{
    *added = 0;
    sinspace_status st = sinspace__begin(store);
    if (st)
        return st;
    int exists = 0;
    sqlite3_stmt *ins = NULL;
    if (!(st = water_exists(store, &exists)) && !exists)
        st = water_create(store);
    if (!st)
        st = sinspace__prepare(store,
            "INSERT INTO water(source, added, geom)"
            " VALUES (?1, ?2, CastToMultiPolygon(GeomFromWKB(?3, 4326)))", &ins);
    char now[32];
    sinspace__now_iso(now);
    const unsigned char *wkb;
    size_t size;
    int more = 0;
    while (!st && (more = next(user, &wkb, &size)) == 1) {
        sqlite3_reset(ins);
        sinspace__bind_text(ins, 1, source);
        sinspace__bind_text(ins, 2, now);
        sqlite3_bind_blob(ins, 3, wkb, (int)size, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            st = sinspace__db_error(store, "adding water");
        else
            ++*added;
    }
    if (!st && more < 0)
        st = store->ctx->status ? store->ctx->status : SINSPACE_ERROR;
    sqlite3_finalize(ins);
    if (!st && !*added) {
        sinspace__rollback(store);
        return SINSPACE_OK;
    }
    if (!st && audit) {
        sinspace_audit_entry e = *audit;
        e.rows = *added;
        st = sinspace__audit_write(store, &e);
    }
    if (!st)
        st = sinspace__commit(store);
    if (st) {
        sinspace__rollback(store);
        *added = 0;
    }
    return st;
}

static sinspace_status
sl_water_in_box(sinspace_store *store, const double box[4],
                int (*fn)(void *user, const unsigned char *wkb, size_t size),
                void *user)
{
    int exists = 0;
    sinspace_status st = water_exists(store, &exists);
    if (st || !exists)
        return st;
    sqlite3_stmt *stmt;
    if ((st = sinspace__prepare(store,
            "SELECT ST_AsBinary(w.geom) FROM water AS w"
            " JOIN idx_water_geom AS i ON i.pkid = w.id"
            " WHERE i.xmax >= ?1 AND i.xmin <= ?3"
            " AND i.ymax >= ?2 AND i.ymin <= ?4 ORDER BY w.id", &stmt)))
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, box[i]);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *wkb = sqlite3_column_blob(stmt, 0);
        size_t size = (size_t)sqlite3_column_bytes(stmt, 0);
        if (wkb && fn(user, wkb, size)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading water");
}

const sinspace__export_ops sinspace__spatialite_export_ops = {
    .selection_open = sl_selection_open,
    .selection_add = sl_selection_add,
    .selection_add_all = sl_selection_add_all,
    .selection_close = sl_selection_close,
    .read = sl_read,
    .water_add = sl_water_add,
    .water_in_box = sl_water_in_box,
};
