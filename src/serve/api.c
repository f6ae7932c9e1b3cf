/* api.c: the web API's handlers (/api/info, areas, fences, zones, query,
 * export, map).  Each answers in memory: bodies are built on memory streams,
 * exports come from sinspace_export_memory() and prints from
 * sinspace_map_render_memory(); no handler writes a file, temporary or not.
 * Reads go through the worker's read-only store (the library's public
 * functions, or the engine's serve operations, store/serve.h); writes and
 * anything that audits go through the server's one read-write store,
 * behind rw_lock. */
#include "serve/api_int.h"
#include "core/json.h"
#include "store/serve.h"

#include <sinspace/export.h>
#include <sinspace/fence.h>
#include <sinspace/query.h>
#include <sinspace/render.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Shared pieces */

/* The filters of `sinspace query` from the request's arguments. */
static int
parse_filter(struct MHD_Connection *conn, sinspace_filter *f, char *sector_buf,
             size_t sector_buf_size, const char **sectors, size_t max_sectors,
             api_result *r)
{
    sinspace_filter_init(f);
    const char *v;
    char *end;
    if ((v = sinspace__serve_arg(conn, "min_risk"))) {
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 1.0 && d <= 3.0)) {
            sinspace__api_fail(r, 400, "min_risk takes a number from 1 to 3, not '%.40s'", v);
            return -1;
        }
        f->min_risk = d;
    }
    if ((v = sinspace__serve_arg(conn, "class"))) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", v);
        const char *items[8];
        size_t n = sinspace__serve_split_list(buf, items, 8);
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(items[i], "low")) f->classes |= 1u << SINSPACE_RISK_CLASS_LOW;
            else if (!strcmp(items[i], "medium")) f->classes |= 1u << SINSPACE_RISK_CLASS_MEDIUM;
            else if (!strcmp(items[i], "high")) f->classes |= 1u << SINSPACE_RISK_CLASS_HIGH;
            else if (!strcmp(items[i], "unscored")) f->classes |= 1u << SINSPACE_RISK_NONE;
            else {
                sinspace__api_fail(r, 400, "class takes low, medium, high or unscored, not '%.40s'",
                         items[i]);
                return -1;
            }
        }
    }
    if ((v = sinspace__serve_arg(conn, "sector"))) {
        snprintf(sector_buf, sector_buf_size, "%s", v);
        f->n_sectors = sinspace__serve_split_list(sector_buf, sectors, max_sectors);
        f->sectors = sectors;
    }
    if ((v = sinspace__serve_arg(conn, "status"))) {
        if (strcmp(v, "active") && strcmp(v, "closed") && strcmp(v, "unknown")) {
            sinspace__api_fail(r, 400, "status takes active, closed or unknown, not '%.40s'", v);
            return -1;
        }
        f->status = v;
    }
    f->seen_since = sinspace__serve_arg(conn, "seen_since");
    f->changed_since = sinspace__serve_arg(conn, "changed_since");
    if ((v = sinspace__serve_arg(conn, "limit"))) {
        long long l = strtoll(v, &end, 10);
        if (end == v || *end || l <= 0) {
            sinspace__api_fail(r, 400, "limit takes a whole number above 0, not '%.40s'", v);
            return -1;
        }
        f->limit = l;
    }
    if ((v = sinspace__serve_arg(conn, "sort"))) {
        if (!strcmp(v, "risk")) f->sort = SINSPACE_SORT_RISK;
        else if (!strcmp(v, "name")) f->sort = SINSPACE_SORT_NAME;
        else if (!strcmp(v, "id")) f->sort = SINSPACE_SORT_ID;
        else {
            sinspace__api_fail(r, 400, "sort takes risk, name or id, not '%.40s'", v);
            return -1;
        }
    }
    char *d = sinspace_filter_describe(f);
    if (d) {
        snprintf(r->filters, sizeof r->filters, "%s", d);
        free(d);
    }
    return 0;
}

/* The request body as a region; 400 with the reason when it is none. */
static sinspace_region *
body_region(serve_worker *w, const request *rq, api_result *r)
{
    if (!rq->body || rq->size == 0) {
        sinspace__api_fail(r, 400, "the request body must be a GeoJSON polygon");
        return NULL;
    }
    sinspace_region *region = NULL;
    sinspace_status st = sinspace_region_from_text(w->ctx, rq->body, rq->size,
                                                   NULL, 0, &region);
    if (st) {
        const char *msg = sinspace_context_message(w->ctx);
        /* OGR may leave only the loader's name: say what was wrong. */
        sinspace__api_fail(r, st == SINSPACE_INVALID_INPUT || st == SINSPACE_INVALID_ARGUMENT ||
                        st == SINSPACE_UNSUPPORTED || st == SINSPACE_IO ? 400 : sinspace__serve_http_code(st),
                 "request body: %s", strlen(msg) > 12 ? msg
                     : "not a GeoJSON (Polygon, MultiPolygon, Feature) or WKT polygon");
        sinspace_context_clear(w->ctx);
        return NULL;
    }
    snprintf(r->what, sizeof r->what, "%s", sinspace_region_describe(region));
    return region;
}

/* The layers as GeoJSON: each engine row becomes one feature. */
typedef struct layer_ctx {
    sinspace__api_geojson m;
    long long rows;
    sinspace_status st;
} layer_ctx;

static int
layer_feature(layer_ctx *lc, long long id, const sinspace_property *props,
              size_t n, const unsigned char *wkb, size_t wkb_size)
{
    lc->st = sinspace_geojson_write_feature(lc->m.w, id, props, n, wkb, wkb_size);
    if (lc->st)
        return 1;
    lc->rows++;
    return 0;
}

/* A text property, null when absent. */
static sinspace_property
text_prop(const char *name, const char *v)
{
    return (sinspace_property){name, v ? SINSPACE_VALUE_TEXT : SINSPACE_VALUE_NULL,
                               0, 0, v};
}

/* A real property, null when unknown. */
static sinspace_property
real_prop(const char *name, double v)
{
    return (sinspace_property){name, isnan(v) ? SINSPACE_VALUE_NULL
                                              : SINSPACE_VALUE_REAL, 0, v, NULL};
}

static int
area_feature(void *user, const sinspace__serve_area_row *a)
{
    sinspace_property p[] = {
        text_prop("code", a->code),
        text_prop("parent_code", a->parent_code),
        text_prop("level", a->level),
        text_prop("name_latin", a->name_latin),
        text_prop("name_local", a->name_local),
        real_prop("area_km2", a->area_km2),
        {"workplaces", SINSPACE_VALUE_INTEGER, a->workplaces, 0, NULL},
    };
    return layer_feature(user, a->id, p, sizeof p / sizeof *p, a->wkb, a->wkb_size);
}

static int
fence_feature(void *user, const sinspace__serve_fence_row *f)
{
    sinspace_property p[] = {
        text_prop("name", f->name),
        text_prop("description", f->description),
        text_prop("added_by", f->added_by),
        text_prop("added_at", f->added_at),
    };
    return layer_feature(user, f->id, p, sizeof p / sizeof *p, f->wkb, f->wkb_size);
}

static int
zone_feature(void *user, const sinspace__serve_zone_row *z)
{
    sinspace_property p[] = {
        text_prop("computed_at", z->computed_at),
        {"workplaces", z->workplaces < 0 ? SINSPACE_VALUE_NULL
                                         : SINSPACE_VALUE_INTEGER,
         z->workplaces, 0, NULL},
        real_prop("mean_risk", z->mean_risk),
        real_prop("max_risk", z->max_risk),
        real_prop("peak_density", z->peak_density),
        text_prop("sectors", z->sectors),
    };
    return layer_feature(user, z->id, p, sizeof p / sizeof *p, z->wkb, z->wkb_size);
}

typedef enum { LAYER_AREAS, LAYER_FENCES, LAYER_ZONES } api_layer_kind;

static void
api_layer(serve_worker *w, api_layer_kind kind, const char *level, api_result *r)
{
    const sinspace__serve_ops *ops = sinspace__store_engine(w->store)->serve;
    layer_ctx lc;
    memset(&lc, 0, sizeof lc);
    sinspace_status st = sinspace__api_geojson_open(w->ctx, &lc.m);
    if (!st)
        st = sinspace_geojson_begin(lc.m.w, NULL, NULL, 0);
    if (!st) {
        if (kind == LAYER_AREAS)
            st = ops->areas(w->store, level, area_feature, &lc);
        else if (kind == LAYER_FENCES)
            st = ops->fences(w->store, fence_feature, &lc);
        else
            st = ops->zones(w->store, zone_feature, &lc);
        if (!st)
            st = lc.st;
    }
    if (!st)
        st = sinspace_geojson_end(lc.m.w);
    r->rows = lc.rows;
    sinspace__api_geojson_close(&lc.m, r, st == SINSPACE_OK);
    if (st)
        sinspace__api_fail_ctx(r, w->ctx, st);
}

/* ------------------------------------------------------------------ */
/* Endpoints */

/* The sector codes as a JSON array's items. */
typedef struct sectors_json {
    FILE *f;
    int first;
} sectors_json;

static int
sector_json(void *user, const char *code)
{
    sectors_json *sj = user;
    if (!sj->first)
        fputc(',', sj->f);
    sj->first = 0;
    sinspace__json_string(sj->f, code ? code : "");
    return 0;
}

static void
api_info(serve_worker *w, api_result *r)
{
    sinspace_store_info info;
    sinspace_status st = sinspace_store_info_get(w->store, &info);
    if (st) {
        sinspace__api_fail_ctx(r, w->ctx, st);
        return;
    }
    FILE *f = sinspace__api_json_open(r);
    if (!f)
        return;
    fprintf(f, "{\"workplaces\":%lld,\"high\":%lld,\"medium\":%lld,\"low\":%lld,"
            "\"unscored\":%lld,\"areas\":%lld,\"tiles\":%lld,\"fences\":%lld,"
            "\"zones\":%lld", info.workplaces, info.by_class[SINSPACE_RISK_CLASS_HIGH],
            info.by_class[SINSPACE_RISK_CLASS_MEDIUM], info.by_class[SINSPACE_RISK_CLASS_LOW],
            info.by_class[SINSPACE_RISK_NONE], info.areas, info.tiles, info.fences,
            info.zones);
    if (info.has_extent)
        fprintf(f, ",\"extent\":[%.7f,%.7f,%.7f,%.7f]", info.min_lon, info.min_lat,
                info.max_lon, info.max_lat);
    else
        fprintf(f, ",\"extent\":null");
    /* Where the imagery is: the page opens over it when there is some.
     * Best effort, as are the sectors: the counts above are the answer. */
    const sinspace__serve_ops *ops = sinspace__store_engine(w->store)->serve;
    int has = 0;
    double box[4];
    if (ops->imagery_extent(w->store, &has, box) == SINSPACE_OK && has)
        fprintf(f, ",\"imagery_extent\":[%.7f,%.7f,%.7f,%.7f]", box[0], box[1],
                box[2], box[3]);
    fprintf(f, ",\"sectors\":[");
    sectors_json sj = {f, 1};
    ops->sector_codes(w->store, sector_json, &sj);
    sinspace_context_clear(w->ctx);
    fprintf(f, "]}\n");
    sinspace__api_json_close(r, f, 200);
    r->rows = -1;
}

static void
api_areas(serve_worker *w, struct MHD_Connection *conn, api_result *r)
{
    const char *level = sinspace__serve_arg(conn, "level");
    if (level && sinspace_area_level_parse(level) == SINSPACE_LEVEL_INVALID) {
        sinspace__api_fail(r, 400, "level takes country, province, district, "
                           "subdistrict or village, not '%.40s'", level);
        return;
    }
    api_layer(w, LAYER_AREAS, level, r);
    if (level)
        snprintf(r->what, sizeof r->what, "level=%s", level);
}

typedef struct row_copy {
    long long id;
    char *ext_id, *name, *name_local, *sector, *status, *risk_class, *area_code,
        *last_seen;
    double risk, lon, lat;
} row_copy;

typedef struct rows {
    row_copy *v;
    size_t n, cap;
    int oom;
} rows;

static int
collect_row(void *user, const sinspace_workplace_row *row)
{
    rows *rs = user;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 256;
        row_copy *nv = realloc(rs->v, cap * sizeof *nv);
        if (!nv) {
            rs->oom = 1;
            return 1;
        }
        rs->v = nv;
        rs->cap = cap;
    }
    row_copy *c = &rs->v[rs->n++];
    c->id = row->id;
    c->ext_id = sinspace__strdup(row->ext_id);
    c->name = sinspace__strdup(row->name);
    c->name_local = sinspace__strdup(row->name_local);
    c->sector = sinspace__strdup(row->sector);
    c->status = sinspace__strdup(row->status);
    c->risk_class = sinspace__strdup(row->risk_class);
    c->area_code = sinspace__strdup(row->area_code);
    c->last_seen = sinspace__strdup(row->last_seen);
    c->risk = row->risk;
    c->lon = row->lon;
    c->lat = row->lat;
    return 0;
}

static void
rows_free(rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        row_copy *c = &rs->v[i];
        free(c->ext_id); free(c->name); free(c->name_local); free(c->sector);
        free(c->status); free(c->risk_class); free(c->area_code); free(c->last_seen);
    }
    free(rs->v);
}

static void
api_query(serve_worker *w, struct MHD_Connection *conn, const request *rq,
          api_result *r)
{
    sinspace_filter filter;
    char sector_buf[512];
    const char *sectors[32];
    if (parse_filter(conn, &filter, sector_buf, sizeof sector_buf, sectors, 32, r))
        return;
    /* A drawn polygon in the body, or an area by code or name as the
     * command line's --area takes it (the one resolver). */
    const char *area = sinspace__serve_arg(conn, "area");
    sinspace_region *region = NULL;
    if (area && rq->body && rq->size > 0) {
        sinspace__api_fail(r, 400, "give a polygon in the body or area=, not both");
        return;
    }
    if (area) {
        sinspace_status ast = sinspace_region_from_area(w->store, area, &region);
        if (ast) {
            sinspace__api_fail_ctx(r, w->ctx, ast);
            return;
        }
        snprintf(r->what, sizeof r->what, "%s", sinspace_region_describe(region));
    } else if (!(region = body_region(w, rq, r))) {
        return;
    }
    rows rs = {0};
    sinspace_query_stats stats;
    sinspace_status st = sinspace_query_workplaces(w->store, region, &filter,
                                                   collect_row, &rs, &stats);
    if (!st && rs.oom)
        st = sinspace__error(w->ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (st) {
        sinspace__api_fail_ctx(r, w->ctx, st);
        goto done;
    }
    long long by_class[4] = {0};
    double sum = 0;
    long long scored = 0;
    for (size_t i = 0; i < rs.n; i++) {
        const char *c = rs.v[i].risk_class;
        by_class[!c ? 0 : !strcmp(c, "low") ? 1 : !strcmp(c, "medium") ? 2 : 3]++;
        if (!isnan(rs.v[i].risk)) {
            sum += rs.v[i].risk;
            scored++;
        }
    }
    sinspace_property meta[] = {
        {"matched", SINSPACE_VALUE_INTEGER, (long long)rs.n, 0, NULL},
        {"candidates", SINSPACE_VALUE_INTEGER, stats.candidates, 0, NULL},
        {"inside", SINSPACE_VALUE_INTEGER, stats.inside, 0, NULL},
        {"high", SINSPACE_VALUE_INTEGER, by_class[3], 0, NULL},
        {"medium", SINSPACE_VALUE_INTEGER, by_class[2], 0, NULL},
        {"low", SINSPACE_VALUE_INTEGER, by_class[1], 0, NULL},
        {"unscored", SINSPACE_VALUE_INTEGER, by_class[0], 0, NULL},
        {"mean_risk", SINSPACE_VALUE_REAL, 0, scored ? sum / scored : NAN, NULL},
        {"region", SINSPACE_VALUE_TEXT, 0, 0, sinspace_region_describe(region)},
        {"filters", SINSPACE_VALUE_TEXT, 0, 0, r->filters},
    };
    sinspace__api_geojson m;
    st = sinspace__api_geojson_open(w->ctx, &m);
    if (!st)
        st = sinspace_geojson_begin(m.w, "summary", meta, sizeof meta / sizeof *meta);
    for (size_t i = 0; !st && i < rs.n; i++) {
        const row_copy *c = &rs.v[i];
        /* What a partner may see (docs/export.md): no addresses, sources
         * or notes leave the store through the page. */
        sinspace_property p[] = {
            {"ext_id", SINSPACE_VALUE_TEXT, 0, 0, c->ext_id},
            {"name", SINSPACE_VALUE_TEXT, 0, 0, c->name},
            {"name_local", SINSPACE_VALUE_TEXT, 0, 0, c->name_local},
            {"sector", SINSPACE_VALUE_TEXT, 0, 0, c->sector},
            {"status", SINSPACE_VALUE_TEXT, 0, 0, c->status},
            {"risk", SINSPACE_VALUE_REAL, 0, c->risk, NULL},
            {"risk_class", SINSPACE_VALUE_TEXT, 0, 0, c->risk_class},
            {"area_code", SINSPACE_VALUE_TEXT, 0, 0, c->area_code},
            {"last_seen", SINSPACE_VALUE_DATE, 0, 0, c->last_seen},
        };
        st = sinspace_geojson_write_point(m.w, c->id, p, sizeof p / sizeof *p,
                                          c->lon, c->lat);
    }
    if (!st)
        st = sinspace_geojson_end(m.w);
    sinspace__api_geojson_close(&m, r, st == SINSPACE_OK);
    if (st)
        sinspace__api_fail_ctx(r, w->ctx, st);
    r->rows = st ? -1 : (long long)rs.n;
done:
    rows_free(&rs);
    sinspace_region_destroy(region);
}

static void
api_fences_post(sinspace_server *s, serve_worker *w, struct MHD_Connection *conn,
                const request *rq, api_result *r)
{
    const char *name = sinspace__serve_arg(conn, "name");
    if (!name) {
        sinspace__api_fail(r, 400, "a fence needs a name (?name=...)");
        return;
    }
    /* Checked in this worker's context for the message, then made again
     * in the read-write store's context, which fence_add works in. */
    sinspace_region *region = body_region(w, rq, r);
    if (!region)
        return;
    sinspace_region_destroy(region);
    region = NULL;
    pthread_mutex_lock(&s->rw_lock);
    sinspace_status st = sinspace_region_from_text(s->rw_ctx, rq->body, rq->size,
                                                   NULL, 0, &region);
    if (!st)
        st = sinspace_fence_add(s->rw, name, sinspace__serve_arg(conn, "description"), region);
    if (st) {
        /* A fence of that name exists: a conflict, not a server fault. */
        sinspace__api_fail(r, st == SINSPACE_ERROR ? 409 : sinspace__serve_http_code(st), "%s",
                 sinspace_context_message(s->rw_ctx));
        sinspace_context_clear(s->rw_ctx);
    }
    pthread_mutex_unlock(&s->rw_lock);
    sinspace_region_destroy(region);
    snprintf(r->what, sizeof r->what, "fence %.200s", name);
    if (st)
        return;
    FILE *f = sinspace__api_json_open(r);
    if (!f)
        return;
    fprintf(f, "{\"saved\":");
    sinspace__json_string(f, name);
    fprintf(f, "}\n");
    sinspace__api_json_close(r, f, 201);
    if (r->code == 201)
        r->rows = 1;
}

static void
api_export(sinspace_server *s, serve_worker *w, struct MHD_Connection *conn,
           api_result *r)
{
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    const char *v;
    if ((v = sinspace__serve_arg(conn, "layer")) &&
        (o.layer = sinspace_export_layer_parse(v)) == SINSPACE_EXPORT_LAYER_INVALID) {
        sinspace__api_fail(r, 400, "layer takes workplaces, observations, areas, zones, fences "
                         "or tiles, not '%.40s'", v);
        return;
    }
    /* The audience defaults to public, the safest, as in `sinspace export`. */
    if ((v = sinspace__serve_arg(conn, "audience")) &&
        (o.audience = sinspace_audience_parse(v)) == SINSPACE_AUDIENCE_INVALID) {
        sinspace__api_fail(r, 400, "audience takes public, partner or internal, not '%.40s'", v);
        return;
    }
    const char *fmt = sinspace__serve_arg(conn, "format");
    if (!fmt || !strcasecmp(fmt, "geojson"))
        o.format = SINSPACE_FORMAT_GEOJSON;
    else if (!strcasecmp(fmt, "csv"))
        o.format = SINSPACE_FORMAT_CSV;
    else {
        sinspace__api_fail(r, 400, "format takes geojson or csv, not '%.40s'", fmt);
        return;
    }
    if ((v = sinspace__serve_arg(conn, "aggregate")))
        o.aggregate = !strcmp(v, "1") || !strcmp(v, "true");
    sinspace_filter filter;
    char sector_buf[512];
    const char *sectors[32];
    if (parse_filter(conn, &filter, sector_buf, sizeof sector_buf, sectors, 32, r))
        return;
    if (o.layer == SINSPACE_EXPORT_WORKPLACES || o.layer == SINSPACE_EXPORT_OBSERVATIONS)
        o.filter = &filter;
    /* The region is made in the read-write store's context, which export
     * works in; so it is looked up under the lock. */
    const char *fence = sinspace__serve_arg(conn, "fence");
    const char *area = sinspace__serve_arg(conn, "area");
    if (fence && area) {
        sinspace__api_fail(r, 400, "give fence= or area=, not both");
        return;
    }
    sinspace_region *region = NULL;
    sinspace_export_result res;
    unsigned char *data = NULL;
    size_t size = 0;
    sinspace_status st = SINSPACE_OK;
    r->audience = sinspace_audience_name(o.audience);
    pthread_mutex_lock(&s->rw_lock);
    if (fence)
        st = sinspace_region_from_fence(s->rw, fence, &region);
    else if (area)
        st = sinspace_region_from_area(s->rw, area, &region);
    o.region = region;
    snprintf(r->what, sizeof r->what, "%s%s%s", sinspace_export_layer_name(o.layer),
             region ? " " : "", region ? sinspace_region_describe(region) : "");
    if (!st)
        st = sinspace_export_memory(s->rw, &o, &data, &size, &res);
    if (st)
        sinspace__api_fail_ctx(r, s->rw_ctx, st);
    sinspace_region_destroy(region);
    pthread_mutex_unlock(&s->rw_lock);
    if (st)
        return;
    r->body = (char *)data;
    r->size = size;
    r->code = 200;
    r->rows = res.rows;
    r->mime = o.format == SINSPACE_FORMAT_CSV ? "text/csv; charset=utf-8"
                                              : "application/geo+json";
    r->disposition = o.format == SINSPACE_FORMAT_CSV
                         ? "attachment; filename=\"sinspace-export.csv\""
                         : "attachment; filename=\"sinspace-export.geojson\"";
}

/* A print of the drawn region: made in memory, from the region itself. */
static void
api_map(sinspace_server *s, serve_worker *w, struct MHD_Connection *conn,
        const request *rq, api_result *r)
{
    sinspace_region *region = body_region(w, rq, r);
    if (!region)
        return;
    sinspace_region_destroy(region);
    region = NULL;
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.format = SINSPACE_RENDER_PDF;
    const char *v;
    if ((v = sinspace__serve_arg(conn, "paper")) &&
        (o.paper = sinspace_paper_parse(v)) == SINSPACE_PAPER_INVALID) {
        sinspace__api_fail(r, 400, "paper takes A4, A3, A2, A1, A0 or Letter, "
                           "not '%.40s'", v);
        return;
    }
    if ((v = sinspace__serve_arg(conn, "landscape")))
        o.landscape = !strcmp(v, "1") || !strcmp(v, "true");
    o.dpi = 150;
    if ((v = sinspace__serve_arg(conn, "dpi"))) {
        char *end;
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 72 && d <= 300)) {
            sinspace__api_fail(r, 400, "dpi takes a number from 72 to 300, "
                               "not '%.40s'", v);
            return;
        }
        o.dpi = d;
    }
    o.title = sinspace__serve_arg(conn, "title");
    unsigned char *pdf = NULL;
    size_t size = 0;
    /* Checked above in this worker's context for the message; made again
     * in the read-write store's context, which the map works in. */
    pthread_mutex_lock(&s->rw_lock);
    sinspace_status st = sinspace_region_from_text(s->rw_ctx, rq->body, rq->size,
                                                   NULL, 0, &region);
    if (!st) {
        o.within_region = region;
        st = sinspace_map_render_memory(s->rw, &o, &pdf, &size, NULL);
    }
    if (st)
        sinspace__api_fail_ctx(r, s->rw_ctx, st);
    sinspace_region_destroy(region);
    pthread_mutex_unlock(&s->rw_lock);
    if (st)
        return;
    r->body = (char *)pdf;
    r->size = size;
    r->code = 200;
    r->mime = "application/pdf";
    r->disposition = "attachment; filename=\"sinspace-map.pdf\"";
    r->rows = -1;
}

/* ------------------------------------------------------------------ */
/* Dispatch */

void
sinspace__api_handle(sinspace_server *s, serve_worker *w, request *rq,
                     api_result *r)
{
    struct MHD_Connection *conn = rq->conn;
    const char *url = rq->url, *method = rq->method;
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int is_post = !strcmp(method, "POST");
    if (!strcmp(url, "/api/info") && is_get)
        api_info(w, r);
    else if (!strcmp(url, "/api/areas") && is_get)
        api_areas(w, conn, r);
    else if (!strcmp(url, "/api/fences") && is_get)
        api_layer(w, LAYER_FENCES, NULL, r);
    else if (!strcmp(url, "/api/fences") && is_post)
        api_fences_post(s, w, conn, rq, r);
    else if (!strcmp(url, "/api/zones") && is_get)
        api_layer(w, LAYER_ZONES, NULL, r);
    else if (!strcmp(url, "/api/query") && is_post)
        api_query(w, conn, rq, r);
    else if (!strcmp(url, "/api/export") && is_get)
        api_export(s, w, conn, r);
    else if (!strcmp(url, "/api/map") && is_post)
        api_map(s, w, conn, rq, r);
    else if (!strcmp(url, "/api/info") || !strcmp(url, "/api/areas") ||
             !strcmp(url, "/api/fences") || !strcmp(url, "/api/zones") ||
             !strcmp(url, "/api/query") || !strcmp(url, "/api/export") ||
             !strcmp(url, "/api/map"))
        sinspace__api_fail(r, 405, "method %.10s not allowed on %.40s", method, url);
    else
        sinspace__api_fail(r, 404, "no such endpoint: %.100s", url);
}
