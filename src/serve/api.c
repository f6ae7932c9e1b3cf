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
#include "io/query_out.h"

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
/* Parameters: one table, every endpoint */

/* The parameters the endpoints take besides the filters (whose table is
 * the library's, sinspace_filter_options, the one `sinspace query` and
 * `sinspace export` parse argv with).  An endpoint lists the ones it takes;
 * anything else, a repeat, an empty or malformed value is refused with 400,
 * naming the parameter and the valid ones. */
enum {
    P_LEVEL, P_NAME, P_DESCRIPTION, P_AREA, P_FENCE, P_ZONE, P_BBOX, P_NEAR,
    P_RADIUS, P_BUFFER, P_LAYER, P_AUDIENCE, P_FORMAT, P_AGGREGATE, P_MIN_COUNT,
    P_PAPER, P_LANDSCAPE, P_DPI, P_TITLE, N_PARAMS
};

static const char *const param_names[N_PARAMS] = {
    [P_LEVEL] = "level", [P_NAME] = "name", [P_DESCRIPTION] = "description",
    [P_AREA] = "area", [P_FENCE] = "fence", [P_ZONE] = "zone", [P_BBOX] = "bbox",
    [P_NEAR] = "near", [P_RADIUS] = "radius", [P_BUFFER] = "buffer",
    [P_LAYER] = "layer", [P_AUDIENCE] = "audience", [P_FORMAT] = "format",
    [P_AGGREGATE] = "aggregate", [P_MIN_COUNT] = "min_count", [P_PAPER] = "paper",
    [P_LANDSCAPE] = "landscape", [P_DPI] = "dpi", [P_TITLE] = "title",
};

#define PB(p) (1u << (p))
#define REGION_PARAMS (PB(P_AREA) | PB(P_FENCE) | PB(P_ZONE) | PB(P_BBOX) | \
                       PB(P_NEAR) | PB(P_RADIUS) | PB(P_BUFFER))

/* One endpoint's parameters. */
typedef struct endpoint {
    const char *label;   /* "POST /api/query", for messages */
    unsigned params;     /* PB() of what it takes */
    int filters;         /* it takes the filter options */
} endpoint;

typedef struct api_args {
    const char *v[N_PARAMS];
    sinspace_filter filter;   /* sinspace_filter_clear() when done */
} api_args;

/* The filter option's name as the API spells it: min_risk for min-risk. */
static void
api_name(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s", name);
    for (char *p = out; *p; p++)
        if (*p == '-')
            *p = '_';
}

/* Edit distance (with transpositions) of two short names, capped at 3. */
static int
distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 30 || m > 30)
        return 3;
    int d[32][32];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int c = a[i - 1] != b[j - 1];
            int v = d[i - 1][j - 1] + c;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m] > 3 ? 3 : d[n][m];
}

/* 400 for a parameter the endpoint does not take: its name, the nearest
 * valid one when it looks misspelt, and every valid one. */
static void
unknown_param(sinspace_server *s, const endpoint *ep, const char *name,
              api_result *r)
{
    char valid[400] = "", near_name[40] = "";
    size_t len = 0;
    int best = 3;
    const sinspace_filter_option *fo = sinspace_filter_options();
    for (int pass = 0; pass < 3; pass++) {
        size_t n = pass == 0 ? N_PARAMS : pass == 1 ? (ep->filters ? 64 : 0)
                                                    : (s->token || s->internal_token);
        for (size_t i = 0; i < n; i++) {
            char nm[40];
            if (pass == 0 && !(ep->params & PB(i)))
                continue;
            if (pass == 1 && !fo[i].name)
                break;
            api_name(pass == 0 ? param_names[i] : pass == 1 ? fo[i].name : "token",
                     nm, sizeof nm);
            len += (size_t)snprintf(valid + len, len < sizeof valid ? sizeof valid - len : 0,
                                    "%s%s", len ? ", " : "", nm);
            int d = distance(name, nm);
            if (d < best || (strlen(name) >= 3 && !strncmp(nm, name, strlen(name)) && best > 1)) {
                best = d < best ? d : 1;
                snprintf(near_name, sizeof near_name, "%s", nm);
            }
        }
    }
    if (len >= sizeof valid)
        len = sizeof valid - 1;
    char hint[80] = "";
    if (*near_name && best <= 2)
        snprintf(hint, sizeof hint, " (did you mean %s?)", near_name);
    sinspace__api_fail(r, 400, "unknown parameter '%.60s'%s; %s takes %s", name, hint,
                       ep->label, *valid ? valid : "no parameters");
}

/* Reads every query argument of the request against ep: 0, or -1 with r
 * failed (400). */
static int
parse_args(sinspace_server *s, serve_worker *w, const request *rq,
           const endpoint *ep, api_args *a, api_result *r)
{
    memset(a, 0, sizeof *a);
    sinspace_filter_init(&a->filter);
    sinspace__serve_argument args[64];
    size_t n = sinspace__serve_args(rq->conn, args, 64);
    if (n > 64) {
        sinspace__api_fail(r, 400, "too many parameters (%zu; at most 64)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = args[i].name, *value = args[i].value;
        if (!strcmp(name, "token") && (s->token || s->internal_token))
            continue; /* checked before the request got here */
        size_t k = 0;
        while (k < N_PARAMS && strcmp(name, param_names[k]))
            k++;
        if (k < N_PARAMS && (ep->params & PB(k))) {
            if (a->v[k]) {
                sinspace__api_fail(r, 400, "%s is given twice (it takes one value)",
                                   name);
                return -1;
            }
            if (!value || !*value) {
                sinspace__api_fail(r, 400, "%s needs a value (%s=...)", name, name);
                return -1;
            }
            a->v[k] = value;
            continue;
        }
        if (ep->filters && sinspace_filter_option_find(name)) {
            if (sinspace_filter_set(w->ctx, &a->filter, name, value)) {
                sinspace__api_fail_ctx(r, w->ctx, SINSPACE_INVALID_ARGUMENT);
                return -1;
            }
            continue;
        }
        unknown_param(s, ep, name, r);
        return -1;
    }
    if (ep->filters) {
        char *d = sinspace_filter_describe(&a->filter);
        if (d) {
            snprintf(r->filters, sizeof r->filters, "%s", d);
            free(d);
        }
    }
    return 0;
}

/* A yes/no parameter: 1, true, yes / 0, false, no; -1 otherwise (r
 * failed). */
static int
parse_flag(const char *name, const char *v, api_result *r)
{
    if (!v)
        return 0;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
        return 1;
    if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"))
        return 0;
    sinspace__api_fail(r, 400, "%s takes 1 or 0 (true or false), not '%.40s'", name, v);
    return -1;
}

/* Exactly n comma-separated finite numbers. */
static int
parse_numbers(const char *v, double *out, int n)
{
    const char *p = v;
    for (int i = 0; i < n; i++) {
        char *end;
        if (!*p || *p == ' ')
            return -1;
        out[i] = strtod(p, &end);
        if (end == p || !isfinite(out[i]))
            return -1;
        if (i < n - 1 && *end != ',')
            return -1;
        p = end + (i < n - 1);
        if (i == n - 1 && *end)
            return -1;
    }
    return 0;
}

/* The request body as a region made in ctx; 400 with the reason when it
 * is none. */
static sinspace_region *
body_region(sinspace_context *ctx, const request *rq, api_result *r)
{
    if (!rq->body || rq->size == 0) {
        sinspace__api_fail(r, 400, "the request body must be a GeoJSON polygon");
        return NULL;
    }
    sinspace_region *region = NULL;
    sinspace_status st = sinspace_region_from_text(ctx, rq->body, rq->size,
                                                   NULL, 0, &region);
    if (st) {
        char msg[400];
        sinspace__api_words(sinspace_context_message(ctx), msg, sizeof msg);
        /* OGR may leave only the loader's name: say what was wrong. */
        sinspace__api_fail(r, st == SINSPACE_INVALID_INPUT || st == SINSPACE_INVALID_ARGUMENT ||
                        st == SINSPACE_UNSUPPORTED || st == SINSPACE_IO ? 400 : sinspace__serve_http_code(st),
                 "request body: %s", strlen(msg) > 12 ? msg
                     : "not a GeoJSON (Polygon, MultiPolygon, Feature) or WKT polygon");
        sinspace_context_clear(ctx);
        return NULL;
    }
    snprintf(r->what, sizeof r->what, "%s", sinspace_region_describe(region));
    return region;
}

#define REGION_CHOICES "a polygon in the body, area=, fence=, zone=, bbox=W,S,E,N " \
                       "or near=LON,LAT with radius=DIST"

/* The region the arguments or the body give, made in ctx and store (as
 * `--area`, `--fence`, `--zone`, `--bbox`, `--near --radius`, `--buffer`
 * and `--within` make it): 0 with *out (NULL when none is given and need
 * is 0), or -1 with r failed. */
static int
api_region(sinspace_context *ctx, sinspace_store *store, const api_args *a,
           const request *rq, int need, sinspace_region **out, api_result *r)
{
    *out = NULL;
    int body = rq->body && rq->size > 0;
    int given = body + !!a->v[P_AREA] + !!a->v[P_FENCE] + !!a->v[P_ZONE] +
                !!a->v[P_BBOX] + !!a->v[P_NEAR];
    if (given > 1) {
        sinspace__api_fail(r, 400, "give one region, not %d: " REGION_CHOICES, given);
        return -1;
    }
    if (!a->v[P_NEAR] != !a->v[P_RADIUS]) {
        sinspace__api_fail(r, 400, a->v[P_NEAR] ? "near needs radius=DIST (500m, 2km)"
                                                : "radius goes with near=LON,LAT");
        return -1;
    }
    if (!given) {
        if (a->v[P_BUFFER]) {
            sinspace__api_fail(r, 400, "buffer grows a region; give one: " REGION_CHOICES);
            return -1;
        }
        if (need) {
            sinspace__api_fail(r, 400, "give a region: " REGION_CHOICES);
            return -1;
        }
        return 0;
    }
    double v[4], radius = 0, buffer = 0;
    char *end;
    long long zone = 0;
    if (a->v[P_ZONE]) {
        zone = strtoll(a->v[P_ZONE], &end, 10);
        if (*end || zone <= 0) {
            sinspace__api_fail(r, 400, "zone takes a zone id (a whole number above 0), "
                               "not '%.40s'", a->v[P_ZONE]);
            return -1;
        }
    }
    if (a->v[P_BBOX] && (parse_numbers(a->v[P_BBOX], v, 4) < 0)) {
        sinspace__api_fail(r, 400, "bbox takes W,S,E,N in degrees, not '%.60s'",
                           a->v[P_BBOX]);
        return -1;
    }
    if (a->v[P_NEAR] && (parse_numbers(a->v[P_NEAR], v, 2) < 0)) {
        sinspace__api_fail(r, 400, "near takes LON,LAT in degrees, not '%.60s'",
                           a->v[P_NEAR]);
        return -1;
    }
    if (a->v[P_RADIUS] && sinspace_parse_distance(ctx, a->v[P_RADIUS], &radius)) {
        sinspace__api_fail(r, 400, "radius: %s", sinspace_context_message(ctx));
        sinspace_context_clear(ctx);
        return -1;
    }
    if (a->v[P_BUFFER] && sinspace_parse_distance(ctx, a->v[P_BUFFER], &buffer)) {
        sinspace__api_fail(r, 400, "buffer: %s", sinspace_context_message(ctx));
        sinspace_context_clear(ctx);
        return -1;
    }
    sinspace_status st = SINSPACE_OK;
    if (body) {
        if (!(*out = body_region(ctx, rq, r)))
            return -1;
    } else if (a->v[P_AREA])
        st = sinspace_region_from_area(store, a->v[P_AREA], out);
    else if (a->v[P_FENCE])
        st = sinspace_region_from_fence(store, a->v[P_FENCE], out);
    else if (a->v[P_ZONE])
        st = sinspace_region_from_zone(store, zone, out);
    else if (a->v[P_BBOX])
        st = sinspace_region_from_bbox(ctx, v[0], v[1], v[2], v[3], out);
    else
        st = sinspace_region_from_circle(ctx, v[0], v[1], radius, out);
    if (!st && a->v[P_BUFFER])
        st = sinspace_region_buffer(*out, buffer);
    if (st) {
        sinspace__api_fail_ctx(r, ctx, st);
        sinspace_region_destroy(*out);
        *out = NULL;
        return -1;
    }
    snprintf(r->what, sizeof r->what, "%s", sinspace_region_describe(*out));
    return 0;
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

/* The credits as JSON objects. */
static int
credit_json(void *user, const char *kind, const char *source,
            const char *attribution, const char *acquired)
{
    sectors_json *sj = user;
    if (!sj->first)
        fputc(',', sj->f);
    sj->first = 0;
    fputs("{\"kind\":", sj->f);
    sinspace__json_string(sj->f, kind ? kind : "");
    fputs(",\"source\":", sj->f);
    sinspace__json_string(sj->f, source ? source : "");
    fputs(strcmp(kind ? kind : "", "boundaries") ? ",\"attribution\":" : ",\"levels\":",
          sj->f);
    sinspace__json_string(sj->f, attribution ? attribution : "");
    fputs(",\"acquired\":", sj->f);
    if (acquired && *acquired)
        sinspace__json_string(sj->f, acquired);
    else
        fputs("null", sj->f);
    fputc('}', sj->f);
    return 0;
}

static void
api_info(serve_worker *w, const request *rq, api_result *r)
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
    /* The audiences this request may export for: internal only with the
     * internal token (--internal-token); the page offers these alone. */
    fprintf(f, ",\"audiences\":[\"public\",\"partner\"%s]",
            rq->internal ? ",\"internal\"" : "");
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
    /* Every credit, from the store's own records (the page's attribution,
     * as the printed map's foot). */
    fprintf(f, "],\"credits\":[");
    sectors_json cj = {f, 1};
    ops->credits(w->store, credit_json, &cj);
    sinspace_context_clear(w->ctx);
    fprintf(f, "]}\n");
    sinspace__api_json_close(r, f, 200);
    r->rows = -1;
}

static void
api_areas(serve_worker *w, const api_args *a, api_result *r)
{
    const char *level = a->v[P_LEVEL];
    if (level && sinspace_area_level_parse(level) == SINSPACE_LEVEL_INVALID) {
        sinspace__api_fail(r, 400, "level takes country, province, district, "
                           "subdistrict or village, not '%.40s'", level);
        return;
    }
    api_layer(w, LAYER_AREAS, level, r);
    if (level)
        snprintf(r->what, sizeof r->what, "level=%s", level);
}

/* A query's rows, copied: the summary comes before them in the answer. */
typedef struct rows {
    sinspace_workplace_row *v;
    size_t n, cap;
    int oom;
} rows;

static int
collect_row(void *user, const sinspace_workplace_row *row)
{
    rows *rs = user;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 256;
        sinspace_workplace_row *nv = realloc(rs->v, cap * sizeof *nv);
        if (!nv) {
            rs->oom = 1;
            return 1;
        }
        rs->v = nv;
        rs->cap = cap;
    }
    sinspace_workplace_row *c = &rs->v[rs->n++];
    /* What a partner may see (docs/export.md): no addresses, sources or
     * notes leave the store through the page. */
    memset(c, 0, sizeof *c);
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
    c->distance_m = row->distance_m;
    c->risk_change = row->risk_change;
    return 0;
}

static void
rows_free(rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        sinspace_workplace_row *c = &rs->v[i];
        free((char *)c->ext_id); free((char *)c->name); free((char *)c->name_local);
        free((char *)c->sector); free((char *)c->status); free((char *)c->risk_class);
        free((char *)c->area_code); free((char *)c->last_seen);
    }
    free(rs->v);
}

static const endpoint ep_query = {"POST /api/query", REGION_PARAMS, 1};

static void
api_query(sinspace_server *s, serve_worker *w, const request *rq, api_result *r)
{
    api_args a;
    if (parse_args(s, w, rq, &ep_query, &a, r))
        goto out;
    /* A drawn polygon in the body, or a region as the command line's
     * options give it (the one area resolver for area=). */
    sinspace_region *region = NULL;
    if (api_region(w->ctx, w->store, &a, rq, 1, &region, r))
        goto out;
    int near = a.v[P_NEAR] != NULL, changed = a.filter.changed_since != NULL;
    rows rs = {0};
    sinspace_query_stats stats;
    sinspace_status st = sinspace_query_workplaces(w->store, region, &a.filter,
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
        const sinspace_workplace_row *c = &rs.v[i];
        /* The properties of `sinspace query --format geojson`, named and
         * written the same way (io/query_out.h), then the page's two
         * more; the workplace's own id is the feature id. */
        sinspace_property p[SINSPACE__QUERY_MAX_PROPS + 2];
        size_t np = sinspace__query_geojson_properties(c, near, changed, 0, p);
        p[np++] = (sinspace_property){"name_local", SINSPACE_VALUE_TEXT, 0, 0,
                                      c->name_local};
        p[np++] = (sinspace_property){"status", SINSPACE_VALUE_TEXT, 0, 0, c->status};
        st = sinspace_geojson_write_point_text_id(m.w, c->ext_id, p, np, c->lon,
                                                  c->lat);
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
out:
    sinspace_filter_clear(&a.filter);
}

static void
api_fences_post(sinspace_server *s, serve_worker *w, const request *rq,
                const api_args *a, api_result *r)
{
    const char *name = a->v[P_NAME];
    if (!name) {
        sinspace__api_fail(r, 400, "a fence needs a name (?name=...)");
        return;
    }
    /* Checked in this worker's context for the message, then made again
     * in the read-write store's context, which fence_add works in. */
    sinspace_region *region = body_region(w->ctx, rq, r);
    if (!region)
        return;
    sinspace_region_destroy(region);
    region = NULL;
    pthread_mutex_lock(&s->rw_lock);
    sinspace_status st = sinspace_region_from_text(s->rw_ctx, rq->body, rq->size,
                                                   NULL, 0, &region);
    if (!st)
        st = sinspace_fence_add(s->rw, name, a->v[P_DESCRIPTION], region);
    if (st) {
        /* A fence of that name exists: a conflict, not a server fault. */
        sinspace__api_fail_ctx(r, s->rw_ctx, st);
        if (st == SINSPACE_ERROR)
            r->code = 409;
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

static const endpoint ep_export = {
    "/api/export", PB(P_LAYER) | PB(P_AUDIENCE) | PB(P_FORMAT) | PB(P_AGGREGATE) |
                       PB(P_LEVEL) | PB(P_MIN_COUNT) | REGION_PARAMS, 1};

/* GET with a region by parameter (or none), or POST with a drawn polygon
 * in the body (the page's "Export a layer"). */
static void
api_export(sinspace_server *s, serve_worker *w, const request *rq, api_result *r)
{
    api_args a;
    if (parse_args(s, w, rq, &ep_export, &a, r))
        goto out;
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    const char *v;
    if ((v = a.v[P_LAYER]) &&
        (o.layer = sinspace_export_layer_parse(v)) == SINSPACE_EXPORT_LAYER_INVALID) {
        sinspace__api_fail(r, 400, "layer takes workplaces, observations, areas, zones, fences "
                         "or tiles, not '%.40s'", v);
        goto out;
    }
    /* The audience defaults to public, the safest, as in `sinspace export`. */
    if ((v = a.v[P_AUDIENCE]) &&
        (o.audience = sinspace_audience_parse(v)) == SINSPACE_AUDIENCE_INVALID) {
        sinspace__api_fail(r, 400, "audience takes public, partner or internal, not '%.40s'", v);
        goto out;
    }
    r->audience = sinspace_audience_name(o.audience);
    if (o.audience == SINSPACE_AUDIENCE_INTERNAL && !rq->internal) {
        sinspace__api_fail(r, 403, "audience internal needs the server's internal token "
                           "(Authorization: Bearer TOKEN); this request may export "
                           "for public or partner");
        goto out;
    }
    const char *fmt = a.v[P_FORMAT];
    if (!fmt || !strcasecmp(fmt, "geojson"))
        o.format = SINSPACE_FORMAT_GEOJSON;
    else if (!strcasecmp(fmt, "csv"))
        o.format = SINSPACE_FORMAT_CSV;
    else {
        sinspace__api_fail(r, 400, "format takes geojson or csv, not '%.40s'", fmt);
        goto out;
    }
    if ((o.aggregate = parse_flag("aggregate", a.v[P_AGGREGATE], r)) < 0)
        goto out;
    if ((v = a.v[P_LEVEL]) &&
        (o.level = sinspace_area_level_parse(v)) == SINSPACE_LEVEL_INVALID) {
        sinspace__api_fail(r, 400, "level takes country, province, district, "
                           "subdistrict or village, not '%.40s'", v);
        goto out;
    }
    if ((v = a.v[P_MIN_COUNT])) {
        char *end;
        long long k = strtoll(v, &end, 10);
        if (*end || end == v || k < 1) {
            sinspace__api_fail(r, 400, "min_count takes a whole number of at least 1, "
                               "not '%.40s'", v);
            goto out;
        }
        o.min_count = k;
    }
    if (sinspace_filter_is_set(&a.filter)) {
        if (o.layer != SINSPACE_EXPORT_WORKPLACES &&
            o.layer != SINSPACE_EXPORT_OBSERVATIONS) {
            sinspace__api_fail(r, 400, "the filters (%s) apply to the workplaces and "
                               "observations layers, not to %s", r->filters,
                               sinspace_export_layer_name(o.layer));
            goto out;
        }
        o.filter = &a.filter;
    }
    /* The region is made in the read-write store's context, which export
     * works in; so it is made under the lock. */
    sinspace_region *region = NULL;
    sinspace_export_result res;
    unsigned char *data = NULL;
    size_t size = 0;
    sinspace_status st = SINSPACE_OK;
    pthread_mutex_lock(&s->rw_lock);
    if (api_region(s->rw_ctx, s->rw, &a, rq, 0, &region, r)) {
        pthread_mutex_unlock(&s->rw_lock);
        goto out;
    }
    o.region = region;
    snprintf(r->what, sizeof r->what, "%s%s%s", sinspace_export_layer_name(o.layer),
             region ? " " : "", region ? sinspace_region_describe(region) : "");
    st = sinspace_export_memory(s->rw, &o, &data, &size, &res);
    if (st)
        sinspace__api_fail_ctx(r, s->rw_ctx, st);
    sinspace_region_destroy(region);
    pthread_mutex_unlock(&s->rw_lock);
    if (st)
        goto out;
    r->body = (char *)data;
    r->size = size;
    r->code = 200;
    r->rows = res.rows;
    r->mime = o.format == SINSPACE_FORMAT_CSV ? "text/csv; charset=utf-8"
                                              : "application/geo+json";
    r->disposition = o.format == SINSPACE_FORMAT_CSV
                         ? "attachment; filename=\"sinspace-export.csv\""
                         : "attachment; filename=\"sinspace-export.geojson\"";
out:
    sinspace_filter_clear(&a.filter);
}

/* A print of the drawn region: made in memory, from the region itself. */
static void
api_map(sinspace_server *s, serve_worker *w, const request *rq, const api_args *a,
        api_result *r)
{
    sinspace_region *region = body_region(w->ctx, rq, r);
    if (!region)
        return;
    sinspace_region_destroy(region);
    region = NULL;
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.format = SINSPACE_RENDER_PDF;
    const char *v;
    if ((v = a->v[P_PAPER]) &&
        (o.paper = sinspace_paper_parse(v)) == SINSPACE_PAPER_INVALID) {
        sinspace__api_fail(r, 400, "paper takes A4, A3, A2, A1, A0 or Letter, "
                           "not '%.40s'", v);
        return;
    }
    if ((o.landscape = parse_flag("landscape", a->v[P_LANDSCAPE], r)) < 0)
        return;
    o.dpi = 150;
    if ((v = a->v[P_DPI])) {
        char *end;
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 72 && d <= 300)) {
            sinspace__api_fail(r, 400, "dpi takes a number from 72 to 300, "
                               "not '%.40s'", v);
            return;
        }
        o.dpi = d;
    }
    o.title = a->v[P_TITLE];
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
    static const endpoint ep_info = {"/api/info", 0, 0},
                          ep_areas = {"/api/areas", PB(P_LEVEL), 0},
                          ep_fences = {"GET /api/fences", 0, 0},
                          ep_fences_post = {"POST /api/fences",
                                            PB(P_NAME) | PB(P_DESCRIPTION), 0},
                          ep_zones = {"/api/zones", 0, 0},
                          ep_map = {"/api/map", PB(P_PAPER) | PB(P_LANDSCAPE) |
                                                    PB(P_DPI) | PB(P_TITLE), 0};
    const char *url = rq->url, *method = rq->method;
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int is_post = !strcmp(method, "POST");
    const endpoint *ep = NULL;
    if (!strcmp(url, "/api/info") && is_get) ep = &ep_info;
    else if (!strcmp(url, "/api/areas") && is_get) ep = &ep_areas;
    else if (!strcmp(url, "/api/fences") && is_get) ep = &ep_fences;
    else if (!strcmp(url, "/api/fences") && is_post) ep = &ep_fences_post;
    else if (!strcmp(url, "/api/zones") && is_get) ep = &ep_zones;
    else if (!strcmp(url, "/api/map") && is_post) ep = &ep_map;
    if (ep) {
        /* The endpoints without filters or regions: their parameters
         * checked here, the same way. */
        api_args a;
        if (parse_args(s, w, rq, ep, &a, r))
            return;
        if (ep == &ep_info)
            api_info(w, rq, r);
        else if (ep == &ep_areas)
            api_areas(w, &a, r);
        else if (ep == &ep_fences)
            api_layer(w, LAYER_FENCES, NULL, r);
        else if (ep == &ep_fences_post)
            api_fences_post(s, w, rq, &a, r);
        else if (ep == &ep_zones)
            api_layer(w, LAYER_ZONES, NULL, r);
        else
            api_map(s, w, rq, &a, r);
    } else if (!strcmp(url, "/api/query") && is_post)
        api_query(s, w, rq, r);
    else if (!strcmp(url, "/api/export") && (is_get || is_post))
        api_export(s, w, rq, r);
    else if (!strcmp(url, "/api/info") || !strcmp(url, "/api/areas") ||
             !strcmp(url, "/api/fences") || !strcmp(url, "/api/zones") ||
             !strcmp(url, "/api/query") || !strcmp(url, "/api/export") ||
             !strcmp(url, "/api/map"))
        sinspace__api_fail(r, 405, "method %.10s not allowed on %.40s", method, url);
    else
        sinspace__api_fail(r, 404, "no such endpoint: %.100s", url);
}
