/* query.c: the workplaces inside a region that pass a filter (see
 * sinspace/query.h and docs/query.md).
 *
 * Two phases.  Spatial: the R*Tree of workplaces (idx_workplaces_geom) gives
 * the candidates inside the bounding box of each part of the region (parts
 * of a multipolygon are prefiltered one by one, so two far-apart islands do
 * not pull in everything between them); each candidate's point is then
 * tested exactly, with a GEOS prepared geometry (intersects: a point on the
 * boundary is inside) or, for a circle, with the geodesic distance.  The
 * hits go to a temporary table.  Filter: one fixed SQL statement joins the
 * hits to workplaces, applies the filter with bound parameters, sorts and
 * limits.  No statement is ever built from input. */
#include "queryInt.h"
#include "parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sinspace_filter_init(sinspace_filter *f)
{
    if (!f)
        return;
    memset(f, 0, sizeof *f);
    f->min_risk = NAN;
    f->sort = SINSPACE_SORT_ID;
}

static const char *
sort_name(sinspace_sort s)
{
    switch (s) {
    case SINSPACE_SORT_RISK: return "risk";
    case SINSPACE_SORT_NAME: return "name";
    case SINSPACE_SORT_DISTANCE: return "distance";
    default: return "id";
    }
}

/* A growing string for describe. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void
sb_add(strbuf *b, const char *fmt, ...) SINSPACE_PRINTF(2, 3);

static void
sb_add(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (b->len + (size_t)n + 2 > b->cap) {
        size_t cap = (b->len + (size_t)n + 2) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    if (b->len)
        b->s[b->len++] = ' ';
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *
sinspace_filter_describe(const sinspace_filter *f)
{
    strbuf b = {NULL, 0, 0, 0};
    if (f) {
        if (!isnan(f->min_risk))
            sb_add(&b, "min-risk=%g", f->min_risk);
        if (f->classes) {
            static const char *const names[] = {"unscored", "low", "medium", "high"};
            char cls[64] = "";
            for (int i = 0; i < 4; i++)
                if (f->classes & (1u << i)) {
                    if (*cls)
                        strcat(cls, ",");
                    strcat(cls, names[i]);
                }
            sb_add(&b, "class=%s", cls);
        }
        for (size_t i = 0; i < f->n_sectors && f->sectors; i++)
            sb_add(&b, "sector=%s", f->sectors[i] ? f->sectors[i] : "");
        if (f->status)
            sb_add(&b, "status=%s", f->status);
        if (f->seen_since)
            sb_add(&b, "seen-since=%s", f->seen_since);
        if (f->changed_since)
            sb_add(&b, "changed-since=%s", f->changed_since);
        if (f->limit > 0)
            sb_add(&b, "limit=%lld", f->limit);
        if (f->sort != SINSPACE_SORT_ID)
            sb_add(&b, "sort=%s", sort_name(f->sort));
    }
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    if (!b.s)
        return _sinspace_strdup("");
    return b.s;
}

/* Checks the filter; dates are normalised into seen/changed. */
static sinspace_status
check_filter(sinspace_store *store, const sinspace_region *region,
             const sinspace_filter *f, char seen[11], char changed[11])
{
    sinspace_context *ctx = store->ctx;
    char err[160];
    seen[0] = changed[0] = '\0';
    if (!isnan(f->min_risk) && !(f->min_risk >= 1.0 && f->min_risk <= 3.0))
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "min-risk %g must be within 1.0..3.0", f->min_risk);
    if (f->classes & ~0xFu)
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "classes: unknown risk class bits");
    if (f->n_sectors && !f->sectors)
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "filter: n_sectors without sectors");
    for (size_t i = 0; i < f->n_sectors; i++) {
        long long n = 0;
        sinspace_status st = _sinspace_query_int(store,
            "SELECT count(*) FROM sectors WHERE code = ?1", &n, 1, f->sectors[i]);
        if (st)
            return st;
        if (!n)
            return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "unknown sector '%.60s' (see: sinspace sectors)",
                                   f->sectors[i] ? f->sectors[i] : "");
    }
    if (f->status && strcmp(f->status, "active") && strcmp(f->status, "closed") &&
        strcmp(f->status, "unknown"))
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "status '%.40s' must be active, closed or unknown",
                               f->status);
    if (f->seen_since && _sinspace_parse_date(f->seen_since, seen, err, sizeof err) < 0)
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT, "seen-since: %s", err);
    if (f->changed_since &&
        _sinspace_parse_date(f->changed_since, changed, err, sizeof err) < 0)
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT, "changed-since: %s", err);
    if (f->limit < 0)
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "limit %lld must be 0 (none) or more", f->limit);
    if (f->sort == SINSPACE_SORT_DISTANCE && !(region && region->is_circle))
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "sorting by distance needs a point and radius (--near)");
    if ((unsigned)f->sort > SINSPACE_SORT_DISTANCE)
        return _sinspace_error(ctx, SINSPACE_INVALID_ARGUMENT, "unknown sort order");
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Spatial phase
 */

typedef struct cand {
    long long id;
    double x, y;
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cands;

static int
cand_cmp(const void *a, const void *b)
{
    long long x = ((const cand *)a)->id, y = ((const cand *)b)->id;
    return (x > y) - (x < y);
}

/* Appends the R*Tree candidates of one box. */
static sinspace_status
index_box(sinspace_store *store, sqlite3_stmt *stmt, const double box[4],
          cands *c)
{
    sqlite3_reset(stmt);
    sqlite3_bind_double(stmt, 1, box[0]);
    sqlite3_bind_double(stmt, 2, box[1]);
    sqlite3_bind_double(stmt, 3, box[2]);
    sqlite3_bind_double(stmt, 4, box[3]);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (sqlite3_column_type(stmt, 1) == SQLITE_NULL)
            continue;
        if (c->n == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 256;
            cand *v = realloc(c->v, cap * sizeof *v);
            if (!v)
                return _sinspace_error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
            c->v = v;
            c->cap = cap;
        }
        c->v[c->n].id = sqlite3_column_int64(stmt, 0);
        c->v[c->n].x = sqlite3_column_double(stmt, 1);
        c->v[c->n].y = sqlite3_column_double(stmt, 2);
        c->n++;
    }
    if (rc != SQLITE_DONE)
        return _sinspace_db_error(store, "reading the spatial index");
    return SINSPACE_OK;
}

static sinspace_status
part_box(sinspace_context *ctx, const GEOSGeometry *g, double box[4])
{
    GEOSContextHandle_t h = ctx->geos;
    if (!GEOSGeom_getXMin_r(h, g, &box[0]) || !GEOSGeom_getYMin_r(h, g, &box[1]) ||
        !GEOSGeom_getXMax_r(h, g, &box[2]) || !GEOSGeom_getYMax_r(h, g, &box[3]))
        return _sinspace_error(ctx, SINSPACE_ERROR, "region bounds: %s",
                               ctx->geos_message);
    return SINSPACE_OK;
}

/* Fills temp.query_hits with the workplaces inside region. */
static sinspace_status
spatial_phase(sinspace_store *store, const sinspace_region *region,
              sinspace_query_stats *stats)
{
    sinspace_context *ctx = store->ctx;
    GEOSContextHandle_t h = ctx->geos;
    sqlite3_stmt *idx = NULL, *ins = NULL;
    cands c = {NULL, 0, 0};
    const GEOSPreparedGeometry *prep = NULL;
    sinspace_status st = _sinspace_prepare(store,
        "SELECT w.id, ST_X(w.geom), ST_Y(w.geom) FROM workplaces AS w"
        " WHERE w.id IN (SELECT pkid FROM idx_workplaces_geom"
        "  WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)", &idx);
    if (st)
        goto done;
    double box[4];
    if (region->is_circle) {
        _sinspace_circle_bounds(region, box);
        if ((st = index_box(store, idx, box, &c)))
            goto done;
    } else {
        int parts = GEOSGetNumGeometries_r(h, region->geom);
        for (int i = 0; i < parts; i++) {
            if ((st = part_box(ctx, GEOSGetGeometryN_r(h, region->geom, i), box)) ||
                (st = index_box(store, idx, box, &c)))
                goto done;
        }
    }
    /* Parts' boxes may overlap: each workplace is tested once. */
    if (c.n > 1) {
        qsort(c.v, c.n, sizeof *c.v, cand_cmp);
        size_t k = 1;
        for (size_t i = 1; i < c.n; i++)
            if (c.v[i].id != c.v[k - 1].id)
                c.v[k++] = c.v[i];
        c.n = k;
    }
    stats->candidates = (long long)c.n;
    if (!region->is_circle && !(prep = GEOSPrepare_r(h, region->geom))) {
        st = _sinspace_error(ctx, SINSPACE_ERROR, "region: %s", ctx->geos_message);
        goto done;
    }
    if ((st = _sinspace_prepare(store,
            "INSERT INTO temp.query_hits(id, distance) VALUES (?1, ?2)", &ins)))
        goto done;
    for (size_t i = 0; i < c.n; i++) {
        int inside;
        double dist = NAN;
        if (region->is_circle) {
            dist = _sinspace_geodesic_distance(region->lon, region->lat,
                                               c.v[i].x, c.v[i].y);
            inside = dist <= region->radius_m;
        } else {
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, c.v[i].x, c.v[i].y);
            if (!pt) {
                st = _sinspace_error(ctx, SINSPACE_NO_MEMORY, "out of memory");
                goto done;
            }
            char r = GEOSPreparedIntersects_r(h, prep, pt);
            GEOSGeom_destroy_r(h, pt);
            if (r == 2) {
                st = _sinspace_error(ctx, SINSPACE_ERROR, "region test: %s",
                                     ctx->geos_message);
                goto done;
            }
            inside = r == 1;
        }
        if (!inside)
            continue;
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, c.v[i].id);
        if (isnan(dist))
            sqlite3_bind_null(ins, 2);
        else
            sqlite3_bind_double(ins, 2, dist);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            st = _sinspace_db_error(store, "collecting the workplaces inside");
            goto done;
        }
        stats->inside++;
        if (i % 4096 == 0 &&
            (st = _sinspace_progress(ctx, "query", (double)i, (double)c.n)))
            goto done;
    }
done:
    if (prep)
        GEOSPreparedGeom_destroy_r(h, prep);
    sqlite3_finalize(idx);
    sqlite3_finalize(ins);
    free(c.v);
    return st;
}

/* -------------------------------------------------------------------------
 * Filter phase
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
    " AND (?4 IS NULL OR w.status = ?4)"
    " AND (?5 IS NULL OR w.last_seen >= ?5)"
    " AND (?6 IS NULL OR (prior IS NOT NULL AND w.risk > prior))"
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

static sinspace_status
filter_phase(sinspace_store *store, const sinspace_region *region,
             const sinspace_filter *f, const char *seen, const char *changed,
             int (*fn)(void *, const sinspace_workplace_row *), void *user_data,
             sinspace_query_stats *stats)
{
    /* Only fixed fragments are formatted in: the choice of FROM and ORDER BY
     * depends on the region's kind and the sort enum, never on input text. */
    char sql[sizeof select_sql + 256];
    snprintf(sql, sizeof sql, select_sql, region ? "h.distance" : "NULL",
             region ? "temp.query_hits AS h JOIN workplaces AS w ON w.id = h.id"
                    : "workplaces AS w",
             order_sql(f->sort));
    sqlite3_stmt *stmt;
    sinspace_status st = _sinspace_prepare(store, sql, &stmt);
    if (st)
        return st;
    if (isnan(f->min_risk))
        sqlite3_bind_null(stmt, 1);
    else
        sqlite3_bind_double(stmt, 1, f->min_risk);
    sqlite3_bind_int(stmt, 2, (int)f->classes);
    sqlite3_bind_int(stmt, 3, f->n_sectors > 0);
    _sinspace_bind_text(stmt, 4, f->status);
    _sinspace_bind_text(stmt, 5, *seen ? seen : NULL);
    _sinspace_bind_text(stmt, 6, *changed ? changed : NULL);
    sqlite3_bind_int64(stmt, 7, f->limit > 0 ? f->limit : -1);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_workplace_row r;
        r.id = sqlite3_column_int64(stmt, 0);
        r.ext_id = col_text(stmt, 1);
        r.name = col_text(stmt, 2);
        r.name_local = col_text(stmt, 3);
        r.sector = col_text(stmt, 4);
        r.status = col_text(stmt, 5);
        r.risk = col_double(stmt, 6);
        r.risk_class = col_text(stmt, 7);
        r.lon = col_double(stmt, 8);
        r.lat = col_double(stmt, 9);
        r.area_code = col_text(stmt, 10);
        r.first_seen = col_text(stmt, 11);
        r.last_seen = col_text(stmt, 12);
        r.address = col_text(stmt, 13);
        r.source_type = col_text(stmt, 14);
        r.source_note = col_text(stmt, 15);
        r.distance_m = col_double(stmt, 16);
        r.risk_change = *changed ? r.risk - col_double(stmt, 17) : NAN;
        stats->matched++;
        if (fn(user_data, &r))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = _sinspace_db_error(store, "querying workplaces");
    sqlite3_finalize(stmt);
    return st;
}

sinspace_status
sinspace_query_workplaces(sinspace_store *store, const sinspace_region *region,
                          const sinspace_filter *filter,
                          int (*fn)(void *, const sinspace_workplace_row *),
                          void *user_data, sinspace_query_stats *stats)
{
    if (!store || !fn)
        return _sinspace_error(store ? store->ctx : NULL, SINSPACE_INVALID_ARGUMENT,
                               "query: store and callback are required");
    if (region && region->ctx != store->ctx)
        return _sinspace_error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "query: region made in another context");
    sinspace_filter none;
    if (!filter) {
        sinspace_filter_init(&none);
        filter = &none;
    }
    char seen[11], changed[11];
    sinspace_status st = check_filter(store, region, filter, seen, changed);
    if (st)
        return st;
    sinspace_query_stats s = {region ? 0 : -1, 0, region ? 0 : -1};
    if ((st = _sinspace_exec(store,
            "CREATE TEMP TABLE IF NOT EXISTS query_hits"
            " (id INTEGER PRIMARY KEY, distance REAL);"
            "CREATE TEMP TABLE IF NOT EXISTS query_sectors (code TEXT PRIMARY KEY);")))
        return st;
    /* One transaction for the hits and the read: a consistent snapshot, and
     * thousands of temp inserts without a commit each. */
    if ((st = _sinspace_exec(store, "SAVEPOINT sinspace_query")))
        return st;
    if ((st = _sinspace_exec(store,
            "DELETE FROM temp.query_hits; DELETE FROM temp.query_sectors;")))
        goto done;
    if (filter->n_sectors) {
        sqlite3_stmt *ins;
        if ((st = _sinspace_prepare(store,
                "INSERT OR IGNORE INTO temp.query_sectors(code) VALUES (?1)", &ins)))
            goto done;
        for (size_t i = 0; i < filter->n_sectors && !st; i++) {
            sqlite3_reset(ins);
            _sinspace_bind_text(ins, 1, filter->sectors[i]);
            if (sqlite3_step(ins) != SQLITE_DONE)
                st = _sinspace_db_error(store, "filtering sectors");
        }
        sqlite3_finalize(ins);
        if (st)
            goto done;
    }
    if (region && (st = spatial_phase(store, region, &s)))
        goto done;
    st = filter_phase(store, region, filter, seen, changed, fn, user_data, &s);
done:
    /* The temporary rows are working state only: release and empty them,
     * whatever happened, keeping the first error's message. */
    sqlite3_exec(store->db, "RELEASE sinspace_query;"
                 "DELETE FROM temp.query_hits; DELETE FROM temp.query_sectors;",
                 NULL, NULL, NULL);
    if (!st && stats)
        *stats = s;
    return st;
}
