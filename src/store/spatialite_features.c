/* spatialite_features.c: the features domain of the SpatiaLite engine
 * (store/features.h): what map frames, web tiles and atlas pages read.
 * Boxes reach SpatiaLite's R*Tree through its SpatialIndex virtual table. */
#include "store/features.h"
#include "store/store_int.h"

#include <math.h>
#include <stdio.h>

/* The R*Tree look-up of the rows of TABLE.COLUMN whose box meets
 * BuildMbr(?1, ?2, ?3, ?4). */
#define IN_BOX(table, column)                                              \
    " id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = '" table \
    "' AND f_geometry_column = '" column "'"                               \
    " AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"

static void
bind_box(sqlite3_stmt *stmt, const double box[4])
{
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, box[i]);
}

static const char *
col_text(sqlite3_stmt *stmt, int i)
{
    return (const char *)sqlite3_column_text(stmt, i);
}

static double
col_double_or_nan(sqlite3_stmt *stmt, int i)
{
    return sqlite3_column_type(stmt, i) == SQLITE_NULL
               ? NAN : sqlite3_column_double(stmt, i);
}

/* The caller's callback, kept as a generic function pointer and cast back
 * to its own type by the emitter of its rows. */
typedef struct callback {
    void (*fn)(void);
    void *user;
} callback;

/* Builds the row struct from the statement's current row and hands it to
 * the callback; returns what the callback returns. */
typedef int (*row_emitter)(sqlite3_stmt *stmt, const callback *cb);

/* Steps stmt, emitting each row until the callback stops; finalizes. */
static sinspace_status
each_row(sinspace_store *store, sqlite3_stmt *stmt, row_emitter emit,
         const callback *cb, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (emit(stmt, cb)) {
            rc = SQLITE_DONE;
            break;
        }
    return sinspace__stmt_finish(store, stmt, rc, what);
}

/* code, name_latin, name_local, level_rank, WKB[, source] */
static int
emit_area(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_area row = {
        .code = col_text(stmt, 0),
        .name_latin = col_text(stmt, 1),
        .name_local = col_text(stmt, 2),
        .level_rank = sqlite3_column_int(stmt, 3),
        .wkb = sqlite3_column_blob(stmt, 4),
        .wkb_size = (size_t)sqlite3_column_bytes(stmt, 4),
        .source = sqlite3_column_count(stmt) > 5 ? col_text(stmt, 5) : NULL,
    };
    return ((sinspace__feature_area_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_areas_in(sinspace_store *store, const double box[4], int level,
            double tolerance, sinspace__feature_area_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    /* ?5: the level (one level by code, or every level finest first);
     * ?6: the simplification tolerance, 0 for none. */
    sinspace_status st = sinspace__prepare(store, level >= 0
        ? "SELECT code, name_latin, name_local, level_rank,"
          " AsBinary(CASE WHEN ?6 > 0 THEN SimplifyPreserveTopology(geom, ?6)"
          " ELSE geom END), source FROM areas WHERE level_rank = ?5 AND"
          IN_BOX("areas", "geom") " ORDER BY code"
        : "SELECT code, name_latin, name_local, level_rank,"
          " AsBinary(CASE WHEN ?6 > 0 THEN SimplifyPreserveTopology(geom, ?6)"
          " ELSE geom END), source FROM areas WHERE ?5 < 0 AND"
          IN_BOX("areas", "geom") " ORDER BY level_rank DESC", &stmt);
    if (st)
        return st;
    bind_box(stmt, box);
    sqlite3_bind_int(stmt, 5, level);
    sqlite3_bind_double(stmt, 6, tolerance > 0 ? tolerance : 0);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_area, &cb, "reading areas");
}

static int
emit_zone(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_zone row = {
        .id = sqlite3_column_int64(stmt, 0),
        .workplaces = sqlite3_column_int64(stmt, 1),
        .mean_risk = col_double_or_nan(stmt, 2),
        .max_risk = col_double_or_nan(stmt, 3),
        .peak_density = col_double_or_nan(stmt, 4),
        .sectors = col_text(stmt, 5),
        .wkb = sqlite3_column_blob(stmt, 6),
        .wkb_size = (size_t)sqlite3_column_bytes(stmt, 6),
        .run_id = sqlite3_column_int64(stmt, 7),
    };
    return ((sinspace__feature_zone_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_zones_in(sinspace_store *store, const double box[4], double tolerance,
            sinspace__feature_zone_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, workplaces, mean_risk, max_risk, peak_density, sectors,"
        " AsBinary(CASE WHEN ?5 > 0 THEN SimplifyPreserveTopology(geom, ?5)"
        " ELSE geom END), coalesce((SELECT run_id FROM zone_run_zones"
        " WHERE zone_id = zones.id), 0) FROM zones WHERE" IN_BOX("zones", "geom")
        " AND ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY id", &stmt);
    if (st)
        return st;
    bind_box(stmt, box);
    sqlite3_bind_double(stmt, 5, tolerance > 0 ? tolerance : 0);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_zone, &cb, "map: reading zones");
}

static int
emit_workplace(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_workplace row = {
        .id = sqlite3_column_int64(stmt, 0),
        .ext_id = col_text(stmt, 1),
        .name = col_text(stmt, 2),
        .name_local = col_text(stmt, 3),
        .sector = col_text(stmt, 4),
        .status = col_text(stmt, 5),
        .risk = col_double_or_nan(stmt, 6),
        .risk_class = col_text(stmt, 7),
        .lon = sqlite3_column_double(stmt, 8),
        .lat = sqlite3_column_double(stmt, 9),
        .last_seen = col_text(stmt, 10),
    };
    return ((sinspace__feature_workplace_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_workplaces_in(sinspace_store *store, const double box[4],
                 sinspace__feature_workplace_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    /* The workplaces_risk layer: what a map may show of a workplace. */
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, ext_id, name, name_local, sector, status, risk, risk_class,"
        " ST_X(geom), ST_Y(geom), last_seen FROM workplaces_risk WHERE"
        IN_BOX("workplaces", "geom"), &stmt);
    if (st)
        return st;
    bind_box(stmt, box);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_workplace, &cb, "map: reading workplaces");
}

static int
emit_imagery(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_imagery row = {
        .path = col_text(stmt, 0),
        .acquired = col_text(stmt, 1),
        .source = col_text(stmt, 2),
        .attribution = col_text(stmt, 3),
    };
    return ((sinspace__feature_imagery_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_imagery_in(sinspace_store *store, const double box[4],
              sinspace__feature_imagery_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT path, acquired, source, attribution FROM tiles WHERE"
        IN_BOX("tiles", "footprint")
        " AND ST_Intersects(footprint, BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY acquired, id", &stmt);
    if (st)
        return st;
    bind_box(stmt, box);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_imagery, &cb, "reading the imagery catalogue");
}

static sinspace_status
sl_area_at(sinspace_store *store, double lon, double lat, int level,
           sinspace__feature_area_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT code, name_latin, name_local, level_rank, AsBinary(geom),"
        " source FROM areas WHERE level_rank = ?3 AND id IN (SELECT rowid FROM"
        " SpatialIndex WHERE f_table_name = 'areas' AND f_geometry_column ="
        " 'geom' AND search_frame = MakePoint(?1, ?2, 4326))"
        " AND ST_Intersects(geom, MakePoint(?1, ?2, 4326)) LIMIT 1", &stmt);
    if (st)
        return st;
    sqlite3_bind_double(stmt, 1, lon);
    sqlite3_bind_double(stmt, 2, lat);
    sqlite3_bind_int(stmt, 3, level);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_area, &cb, "looking up an area at a point");
}

static int
emit_atlas_area(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_atlas_area row = {
        .code = col_text(stmt, 0),
        .name_latin = col_text(stmt, 1),
        .name_local = col_text(stmt, 2),
        .density = col_double_or_nan(stmt, 3),
        .workplaces = sqlite3_column_int64(stmt, 4),
        .high = sqlite3_column_int64(stmt, 5),
        .wkb = sqlite3_column_blob(stmt, 6),
        .wkb_size = (size_t)sqlite3_column_bytes(stmt, 6),
    };
    return ((sinspace__feature_atlas_area_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_atlas_areas(sinspace_store *store, int level, const char *parent_code,
               sinspace__feature_atlas_area_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT code, name_latin, name_local, risk_density, workplaces,"
        " high_risk, AsBinary(geom) FROM areas_risk AS r"
        " WHERE r.id IN (SELECT id FROM areas WHERE level_rank = ?1"
        "  AND (?2 IS NULL OR parent_code = ?2))"
        " ORDER BY coalesce(name_latin, name_local, code)", &stmt);
    if (st)
        return st;
    sqlite3_bind_int(stmt, 1, level);
    sinspace__bind_text(stmt, 2, parent_code);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_atlas_area, &cb, "atlas: reading areas");
}

static int
emit_high_risk(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_high_risk row = {
        .ext_id = col_text(stmt, 0),
        .name = col_text(stmt, 1),
        .sector_label = col_text(stmt, 2),
        .risk = sqlite3_column_double(stmt, 3),
        .total = sqlite3_column_int64(stmt, 4),
    };
    return ((sinspace__feature_high_risk_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_high_risk_in_area(sinspace_store *store, const char *code, int max,
                     sinspace__feature_high_risk_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT w.ext_id, w.name, w.sector_label, w.risk,"
        " count(*) OVER () FROM workplaces_risk AS w"
        " JOIN area_members AS am ON am.workplace_id = w.id"
        " JOIN areas AS a ON a.id = am.area_id"
        " WHERE a.code = ?1 AND w.risk_class = 'high'"
        " ORDER BY w.risk DESC, w.id LIMIT ?2", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, code);
    sqlite3_bind_int(stmt, 2, max);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_high_risk, &cb, "atlas: high-risk workplaces");
}

static int
emit_year(sqlite3_stmt *stmt, const callback *cb)
{
    sinspace__feature_year row = {
        .year = col_text(stmt, 0),
        .mean_risk = sqlite3_column_double(stmt, 1),
        .observations = sqlite3_column_int64(stmt, 2),
        .high = sqlite3_column_int64(stmt, 3),
    };
    return ((sinspace__feature_year_fn)cb->fn)(cb->user, &row);
}

static sinspace_status
sl_risk_by_year(sinspace_store *store, const char *code,
                sinspace__feature_year_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT substr(o.observed, 1, 4) AS year, avg(o.risk), count(*),"
        " sum(o.risk >= 2.333) FROM observations AS o"
        " JOIN area_members AS am ON am.workplace_id = o.workplace_id"
        " JOIN areas AS a ON a.id = am.area_id WHERE a.code = ?1"
        " GROUP BY year ORDER BY year", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, code);
    callback cb = {(void (*)(void))fn, user};
    return each_row(store, stmt, emit_year, &cb, "atlas: observations by year");
}

static sinspace_status
sl_distance_m(sinspace_store *store, double lon1, double lat1, double lon2,
              double lat2, double *out)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT ST_Distance(MakePoint(?1, ?2, 4326), MakePoint(?3, ?4, 4326), 1)",
        &stmt);
    if (st)
        return st;
    sqlite3_bind_double(stmt, 1, lon1);
    sqlite3_bind_double(stmt, 2, lat1);
    sqlite3_bind_double(stmt, 3, lon2);
    sqlite3_bind_double(stmt, 4, lat2);
    *out = NAN;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *out = col_double_or_nan(stmt, 0);
        rc = SQLITE_DONE;
    }
    return sinspace__stmt_finish(store, stmt, rc, "geodesic distance");
}

const sinspace__feature_ops sinspace__spatialite_feature_ops = {
    .areas_in = sl_areas_in,
    .zones_in = sl_zones_in,
    .workplaces_in = sl_workplaces_in,
    .imagery_in = sl_imagery_in,
    .area_at = sl_area_at,
    .atlas_areas = sl_atlas_areas,
    .high_risk_in_area = sl_high_risk_in_area,
    .risk_by_year = sl_risk_by_year,
    .distance_m = sl_distance_m,
};
