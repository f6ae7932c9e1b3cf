/* serve.c: `sinspace serve`: the HTTP server (libmicrohttpd, a pool of
 * worker threads), its guards (loopback or token, Host check, body limit),
 * the in-memory table of static files, and the JSON/GeoJSON API.  Tiles are
 * drawn in serve_tiles.c.
 *
 * Threads: contexts are single-threaded, so each worker thread lazily gets
 * its own serve_worker (context, read-only store, symbology); every write
 * (fences, audit rows, export's and the print's audit) goes through the one
 * read-write store and its own context, behind rw_lock. */
#include "serve/serve_int.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */
#include "core/embedded.h"
#include "sinspace_config.h"

#include <sinspace/export.h>
#include <sinspace/fence.h>
#include <sinspace/query.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <cpl_error.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SINSPACE_WEB_VENDOR_DIR
#define SINSPACE_WEB_VENDOR_DIR "web/vendor-src/node_modules"
#endif

/* The page's own files, embedded by tools/embed_web.py. */
extern const struct sinspace_embedded sinspace__web_files[];

/* The vendored files the page loads, by their path under node_modules;
 * served as /vendor/PATH.  Read into memory at start: no request path ever
 * reaches the file system. */
static const char *const vendor_files[] = {
    "leaflet/dist/leaflet.js",
    "leaflet/dist/leaflet.css",
    "leaflet/dist/images/layers.png",
    "leaflet/dist/images/layers-2x.png",
    "leaflet/dist/images/marker-icon.png",
    "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/dist/images/marker-shadow.png",
    "leaflet-draw/dist/leaflet.draw.js",
    "leaflet-draw/dist/leaflet.draw.css",
    "leaflet-draw/dist/images/spritesheet.png",
    "leaflet-draw/dist/images/spritesheet-2x.png",
    "leaflet-draw/dist/images/spritesheet.svg",
    NULL};

typedef struct static_file {
    char *url;          /* exact request path */
    const char *data;
    size_t size;
    const char *mime;
    int owned;          /* data is ours to free */
} static_file;


struct sinspace_server {
    sinspace_context *ctx;      /* the caller's: log lines only */
    pthread_mutex_t log_lock;
    char *db_path, *style_path;
    char *token;                /* NULL: none required */
    int loopback;
    int port;
    size_t max_body;
    struct MHD_Daemon *daemon;
    serve_cache *cache;
    pthread_mutex_t rw_lock;
    sinspace_context *rw_ctx;
    sinspace_store *rw;
    char *tmpdir;               /* 0700, for export and print files */
    unsigned long long serial;  /* names in tmpdir; under rw_lock */
    static_file *files;
    size_t n_files;
    /* The workers and their queue of suspended requests. */
    pthread_mutex_t jobs_lock;
    pthread_cond_t jobs_cond;
    struct request *jobs_head, *jobs_tail;
    int stopping;
    pthread_t *threads;
    int n_threads;
};

typedef struct request {
    char *body;
    size_t size, cap;
    int too_large;
    /* A job for the workers: the connection is suspended meanwhile, and
     * resumed with resp (NULL: close it) once a worker has answered. */
    struct MHD_Connection *conn;
    const char *url, *method;
    int queued, answered;
    unsigned code;
    struct MHD_Response *resp;
    struct request *next;
} request;

/* ------------------------------------------------------------------ */
/* Small helpers */

static void
server_log(sinspace_server *s, sinspace_log_level level, const char *fmt, ...)
    SINSPACE_PRINTF(3, 4);

static void
server_log(sinspace_server *s, sinspace_log_level level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->log_lock);
    sinspace__log(s->ctx, level, "%s", buf);
    pthread_mutex_unlock(&s->log_lock);
}

/* Appends s to a memstream as a JSON string (quotes included). */
static void
json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static int
token_equal(const char *given, const char *want)
{
    /* Constant time in the length of the wanted token. */
    size_t lg = strlen(given), lw = strlen(want);
    volatile unsigned char d = (unsigned char)(lg != lw);
    for (size_t i = 0; i < lw; i++)
        d |= (unsigned char)(given[lg ? i % lg : 0] ^ want[i]);
    return d == 0;
}

static const char *
mime_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

static int
read_whole(const char *path, char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Responses */

static struct MHD_Response *
make_response(const char *mime, void *data, size_t size, int must_free,
              const char *disposition)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        size, data, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (must_free)
            free(data);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", mime);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; "
        "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
        "frame-ancestors 'none'");
    /* The data is sensitive: nothing is kept by caches on the way. */
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (disposition)
        MHD_add_response_header(r, "Content-Disposition", disposition);
    return r;
}

static struct MHD_Response *
make_error(unsigned code, const char *msg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "{\"error\":");
    json_string(f, msg);
    fprintf(f, ",\"status\":%u}\n", code);
    fclose(f);
    return make_response("application/json", buf, len, 1, NULL);
}

/* Answers at once, in libmicrohttpd's thread. */
static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned code, const char *mime, void *data,
      size_t size, int must_free, const char *disposition)
{
    struct MHD_Response *r = make_response(mime, data, size, must_free, disposition);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
reply_error(struct MHD_Connection *conn, unsigned code, const char *msg)
{
    struct MHD_Response *r = make_error(code, msg);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static unsigned
http_code(sinspace_status st)
{
    switch (st) {
    case SINSPACE_OK: return 200;
    case SINSPACE_INVALID_ARGUMENT:
    case SINSPACE_INVALID_INPUT:
    case SINSPACE_UNSUPPORTED: return 400;
    case SINSPACE_NOT_FOUND: return 404;
    case SINSPACE_PERMISSION: return 403;
    default: return 500;
    }
}

/* ------------------------------------------------------------------ */
/* Workers */

static void
worker_free(serve_worker *w)
{
    if (!w)
        return;
    sinspace__symbology_destroy(w->sym);
    if (w->to_merc)
        OCTDestroyCoordinateTransformation(w->to_merc);
    if (w->to_ll)
        OCTDestroyCoordinateTransformation(w->to_ll);
    free(w->merc_wkt);
    sinspace_store_close(w->store);
    sinspace_context_destroy(w->ctx);
    free(w);
}

/* A worker's context, store and tile tools, made in its own thread (a
 * context must be destroyed by the thread that made it: it holds that
 * thread's GDAL error handler). */
static serve_worker *
worker_new(sinspace_server *s)
{
    serve_worker *w = calloc(1, sizeof *w);
    if (!w || !(w->ctx = sinspace_context_create())) {
        free(w);
        return NULL;
    }
    sinspace_status st = sinspace_store_open(w->ctx, s->db_path,
                                             SINSPACE_OPEN_READONLY, &w->store);
    if (!st)
        st = sinspace__serve_worker_tiles(w, s->style_path);
    if (st) {
        server_log(s, SINSPACE_LOG_ERROR, "worker: %s",
                   sinspace_context_message(w->ctx));
        worker_free(w);
        return NULL;
    }
    return w;
}

/* One audit row per API call: method, path, what it was about, rows. */
static void
audit_call(sinspace_server *s, const char *method, const char *url,
           const char *what, const char *audience, const char *filters,
           unsigned code, long long rows)
{
    char target[512];
    snprintf(target, sizeof target, "%s %s%s%s -> %u", method, url,
             what ? " " : "", what ? what : "", code);
    sinspace_audit_entry e = {0};
    e.command = "serve";
    e.target = target;
    e.audience = audience;
    e.filters = filters;
    e.rows = rows;
    pthread_mutex_lock(&s->rw_lock);
    sinspace_status st = sinspace_audit_record(s->rw, &e);
    if (st)
        server_log(s, SINSPACE_LOG_ERROR, "audit: %s",
                   sinspace_context_message(s->rw_ctx));
    pthread_mutex_unlock(&s->rw_lock);
}

/* ------------------------------------------------------------------ */
/* API: shared pieces */

static const char *
arg(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

typedef struct api_result {
    unsigned code;
    char *body;            /* malloc'd */
    size_t size;
    const char *mime;
    const char *disposition;
    char message[512];     /* on failure */
    long long rows;
    char what[256];        /* for the audit row */
    char filters[512];
    const char *audience;
} api_result;

static void
api_fail(api_result *r, unsigned code, const char *fmt, ...) SINSPACE_PRINTF(3, 4);

static void
api_fail(api_result *r, unsigned code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->code = code;
    r->rows = -1;
}

static void
api_fail_ctx(api_result *r, sinspace_context *ctx, sinspace_status st)
{
    api_fail(r, http_code(st), "%s", sinspace_context_message(ctx));
    sinspace_context_clear(ctx);
}

/* Splits a comma-separated list in place into at most max items. */
static size_t
split_list(char *text, const char **items, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(text, ",", &save); t && n < max;
         t = strtok_r(NULL, ",", &save))
        items[n++] = t;
    return n;
}

/* The filters of `sinspace query` from the request's arguments. */
static int
parse_filter(struct MHD_Connection *conn, sinspace_filter *f, char *sector_buf,
             size_t sector_buf_size, const char **sectors, size_t max_sectors,
             api_result *r)
{
    sinspace_filter_init(f);
    const char *v;
    char *end;
    if ((v = arg(conn, "min_risk"))) {
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 1.0 && d <= 3.0)) {
            api_fail(r, 400, "min_risk takes a number from 1 to 3, not '%.40s'", v);
            return -1;
        }
        f->min_risk = d;
    }
    if ((v = arg(conn, "class"))) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", v);
        const char *items[8];
        size_t n = split_list(buf, items, 8);
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(items[i], "low")) f->classes |= 1u << SINSPACE_RISK_CLASS_LOW;
            else if (!strcmp(items[i], "medium")) f->classes |= 1u << SINSPACE_RISK_CLASS_MEDIUM;
            else if (!strcmp(items[i], "high")) f->classes |= 1u << SINSPACE_RISK_CLASS_HIGH;
            else if (!strcmp(items[i], "unscored")) f->classes |= 1u << SINSPACE_RISK_NONE;
            else {
                api_fail(r, 400, "class takes low, medium, high or unscored, not '%.40s'",
                         items[i]);
                return -1;
            }
        }
    }
    if ((v = arg(conn, "sector"))) {
        snprintf(sector_buf, sector_buf_size, "%s", v);
        f->n_sectors = split_list(sector_buf, sectors, max_sectors);
        f->sectors = sectors;
    }
    if ((v = arg(conn, "status"))) {
        if (strcmp(v, "active") && strcmp(v, "closed") && strcmp(v, "unknown")) {
            api_fail(r, 400, "status takes active, closed or unknown, not '%.40s'", v);
            return -1;
        }
        f->status = v;
    }
    f->seen_since = arg(conn, "seen_since");
    f->changed_since = arg(conn, "changed_since");
    if ((v = arg(conn, "limit"))) {
        long long l = strtoll(v, &end, 10);
        if (end == v || *end || l <= 0) {
            api_fail(r, 400, "limit takes a whole number above 0, not '%.40s'", v);
            return -1;
        }
        f->limit = l;
    }
    if ((v = arg(conn, "sort"))) {
        if (!strcmp(v, "risk")) f->sort = SINSPACE_SORT_RISK;
        else if (!strcmp(v, "name")) f->sort = SINSPACE_SORT_NAME;
        else if (!strcmp(v, "id")) f->sort = SINSPACE_SORT_ID;
        else {
            api_fail(r, 400, "sort takes risk, name or id, not '%.40s'", v);
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
        api_fail(r, 400, "the request body must be a GeoJSON polygon");
        return NULL;
    }
    sinspace_region *region = NULL;
    sinspace_status st = sinspace_region_from_text(w->ctx, rq->body, rq->size,
                                                   NULL, 0, &region);
    if (st) {
        const char *msg = sinspace_context_message(w->ctx);
        /* OGR may leave only the loader's name: say what was wrong. */
        api_fail(r, st == SINSPACE_INVALID_INPUT || st == SINSPACE_INVALID_ARGUMENT ||
                        st == SINSPACE_UNSUPPORTED || st == SINSPACE_IO ? 400 : http_code(st),
                 "request body: %s", strlen(msg) > 12 ? msg
                     : "not a GeoJSON (Polygon, MultiPolygon, Feature) or WKT polygon");
        sinspace_context_clear(w->ctx);
        return NULL;
    }
    snprintf(r->what, sizeof r->what, "%s", sinspace_region_describe(region));
    return region;
}

/* A GeoJSON writer on a memory stream. */
typedef struct mem_json {
    char *buf;
    size_t len;
    FILE *f;
    sinspace_geojson_writer *w;
} mem_json;

static sinspace_status
mem_json_open(sinspace_context *ctx, mem_json *m)
{
    memset(m, 0, sizeof *m);
    m->f = open_memstream(&m->buf, &m->len);
    if (!m->f)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    sinspace_geojson_options o;
    sinspace_geojson_options_init(&o);
    return sinspace_geojson_writer_create(ctx, m->f, &o, &m->w);
}

static void
mem_json_close(mem_json *m, api_result *r, int ok)
{
    sinspace_geojson_writer_destroy(m->w);
    if (m->f)
        fclose(m->f);
    if (ok) {
        r->body = m->buf;
        r->size = m->len;
        r->mime = "application/geo+json";
        r->code = 200;
    } else {
        free(m->buf);
    }
}

/* Writes every row of stmt as a feature: column 0 the id, the last column
 * WKB, the others properties named by names[] (types from the row). */
static sinspace_status
write_rows(sinspace_geojson_writer *w, sinspace_store *store, sqlite3_stmt *stmt,
           const char *const *names, int n_props, long long *rows)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_property props[16];
        for (int i = 0; i < n_props; i++) {
            int col = i + 1;
            props[i].name = names[i];
            props[i].integer = 0;
            props[i].real = 0;
            props[i].text = NULL;
            switch (sqlite3_column_type(stmt, col)) {
            case SQLITE_INTEGER:
                props[i].type = SINSPACE_VALUE_INTEGER;
                props[i].integer = sqlite3_column_int64(stmt, col);
                break;
            case SQLITE_FLOAT:
                props[i].type = SINSPACE_VALUE_REAL;
                props[i].real = sqlite3_column_double(stmt, col);
                break;
            case SQLITE_NULL:
                props[i].type = SINSPACE_VALUE_NULL;
                break;
            default:
                props[i].type = SINSPACE_VALUE_TEXT;
                props[i].text = (const char *)sqlite3_column_text(stmt, col);
            }
        }
        int gcol = n_props + 1;
        sinspace_status st = sinspace_geojson_write_feature(
            w, sqlite3_column_int64(stmt, 0), props, (size_t)n_props,
            sqlite3_column_blob(stmt, gcol), (size_t)sqlite3_column_bytes(stmt, gcol));
        if (st)
            return st;
        (*rows)++;
    }
    if (rc != SQLITE_DONE)
        return sinspace__db_error(store, "layer");
    return SINSPACE_OK;
}

static void
api_layer(serve_worker *w, const char *sql, const char *const *names, int n_props,
          const char *bind_text, api_result *r)
{
    sqlite3_stmt *stmt = NULL;
    mem_json m;
    sinspace_status st = mem_json_open(w->ctx, &m);
    if (!st)
        st = sinspace__prepare(w->store, sql, &stmt);
    if (!st) {
        sinspace__bind_text(stmt, 1, bind_text);
        st = sinspace_geojson_begin(m.w, NULL, NULL, 0);
    }
    r->rows = 0;
    if (!st)
        st = write_rows(m.w, w->store, stmt, names, n_props, &r->rows);
    if (!st)
        st = sinspace_geojson_end(m.w);
    sqlite3_finalize(stmt);
    mem_json_close(&m, r, st == SINSPACE_OK);
    if (st)
        api_fail_ctx(r, w->ctx, st);
}

/* ------------------------------------------------------------------ */
/* API endpoints */

static void
api_info(serve_worker *w, api_result *r)
{
    sinspace_store_info info;
    sinspace_status st = sinspace_store_info_get(w->store, &info);
    if (st) {
        api_fail_ctx(r, w->ctx, st);
        return;
    }
    FILE *f = open_memstream(&r->body, &r->size);
    if (!f) {
        api_fail(r, 500, "out of memory");
        return;
    }
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
    /* Where the imagery is: the page opens over it when there is some. */
    sqlite3_stmt *stmt;
    if (sinspace__prepare(w->store,
            "SELECT MbrMinX(e), MbrMinY(e), MbrMaxX(e), MbrMaxY(e) FROM"
            " (SELECT Extent(footprint) AS e FROM tiles) WHERE e IS NOT NULL",
            &stmt) == SINSPACE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW)
            fprintf(f, ",\"imagery_extent\":[%.7f,%.7f,%.7f,%.7f]",
                    sqlite3_column_double(stmt, 0), sqlite3_column_double(stmt, 1),
                    sqlite3_column_double(stmt, 2), sqlite3_column_double(stmt, 3));
        sqlite3_finalize(stmt);
    }
    sinspace_context_clear(w->ctx);
    fprintf(f, ",\"sectors\":[");
    if (sinspace__prepare(w->store, "SELECT code FROM sectors ORDER BY code",
                          &stmt) == SINSPACE_OK) {
        int first = 1;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            if (!first)
                fputc(',', f);
            first = 0;
            json_string(f, (const char *)sqlite3_column_text(stmt, 0));
        }
        sqlite3_finalize(stmt);
    }
    fprintf(f, "]}\n");
    fclose(f);
    r->code = 200;
    r->mime = "application/json";
    r->rows = -1;
}

static void
api_areas(serve_worker *w, struct MHD_Connection *conn, api_result *r)
{
    const char *level = arg(conn, "level");
    if (level && sinspace_area_level_parse(level) == SINSPACE_LEVEL_INVALID) {
        api_fail(r, 400, "level takes country, province, district, subdistrict or "
                         "village, not '%.40s'", level);
        return;
    }
    static const char *const names[] = {"code", "parent_code", "level", "name_latin",
                                        "name_local", "area_km2", "workplaces"};
    api_layer(w,
        "SELECT a.id, a.code, a.parent_code, a.level, a.name_latin, a.name_local,"
        " a.area_km2, (SELECT count(*) FROM area_members m WHERE m.area_id = a.id),"
        " AsBinary(a.geom) FROM areas a WHERE ?1 IS NULL OR a.level = ?1"
        " ORDER BY a.level_rank, a.code", names, 7, level, r);
    if (level)
        snprintf(r->what, sizeof r->what, "level=%s", level);
}

static void
api_fences_get(serve_worker *w, api_result *r)
{
    static const char *const names[] = {"name", "description", "added_by", "added_at"};
    api_layer(w,
        "SELECT id, name, description, added_by, added_at, AsBinary(geom)"
        " FROM fences WHERE ?1 IS NULL ORDER BY name", names, 4, NULL, r);
}

static void
api_zones(serve_worker *w, api_result *r)
{
    static const char *const names[] = {"computed_at", "workplaces", "mean_risk",
                                        "max_risk", "peak_density", "sectors"};
    api_layer(w,
        "SELECT id, computed_at, workplaces, mean_risk, max_risk, peak_density,"
        " sectors, AsBinary(geom) FROM zones WHERE ?1 IS NULL ORDER BY id",
        names, 6, NULL, r);
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
    sinspace_region *region = body_region(w, rq, r);
    if (!region)
        return;
    rows rs = {0};
    sinspace_query_stats stats;
    sinspace_status st = sinspace_query_workplaces(w->store, region, &filter,
                                                   collect_row, &rs, &stats);
    if (!st && rs.oom)
        st = sinspace__error(w->ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (st) {
        api_fail_ctx(r, w->ctx, st);
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
    mem_json m;
    st = mem_json_open(w->ctx, &m);
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
    mem_json_close(&m, r, st == SINSPACE_OK);
    if (st)
        api_fail_ctx(r, w->ctx, st);
    r->rows = st ? -1 : (long long)rs.n;
done:
    rows_free(&rs);
    sinspace_region_destroy(region);
}

static void
api_fences_post(sinspace_server *s, serve_worker *w, struct MHD_Connection *conn,
                const request *rq, api_result *r)
{
    const char *name = arg(conn, "name");
    if (!name) {
        api_fail(r, 400, "a fence needs a name (?name=...)");
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
        st = sinspace_fence_add(s->rw, name, arg(conn, "description"), region);
    if (st) {
        /* A fence of that name exists: a conflict, not a server fault. */
        api_fail(r, st == SINSPACE_ERROR ? 409 : http_code(st), "%s",
                 sinspace_context_message(s->rw_ctx));
        sinspace_context_clear(s->rw_ctx);
    }
    pthread_mutex_unlock(&s->rw_lock);
    sinspace_region_destroy(region);
    snprintf(r->what, sizeof r->what, "fence %.200s", name);
    if (st)
        return;
    FILE *f = open_memstream(&r->body, &r->size);
    if (!f) {
        api_fail(r, 500, "out of memory");
        return;
    }
    fprintf(f, "{\"saved\":");
    json_string(f, name);
    fprintf(f, "}\n");
    fclose(f);
    r->code = 201;
    r->mime = "application/json";
    r->rows = 1;
}

/* Reads a file the server wrote into tmpdir into the result, then removes
 * it. */
static int
take_file(const char *path, api_result *r)
{
    char *data;
    size_t size;
    int rc = read_whole(path, &data, &size);
    unlink(path);
    if (rc) {
        api_fail(r, 500, "could not read back the output");
        return -1;
    }
    r->body = data;
    r->size = size;
    r->code = 200;
    return 0;
}

static void
api_export(sinspace_server *s, serve_worker *w, struct MHD_Connection *conn,
           api_result *r)
{
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    const char *v;
    if ((v = arg(conn, "layer")) &&
        (o.layer = sinspace_export_layer_parse(v)) == SINSPACE_EXPORT_LAYER_INVALID) {
        api_fail(r, 400, "layer takes workplaces, observations, areas, zones, fences "
                         "or tiles, not '%.40s'", v);
        return;
    }
    /* The audience defaults to public, the safest, as in `sinspace export`. */
    if ((v = arg(conn, "audience")) &&
        (o.audience = sinspace_audience_parse(v)) == SINSPACE_AUDIENCE_INVALID) {
        api_fail(r, 400, "audience takes public, partner or internal, not '%.40s'", v);
        return;
    }
    const char *fmt = arg(conn, "format");
    if (!fmt || !strcasecmp(fmt, "geojson"))
        o.format = SINSPACE_FORMAT_GEOJSON;
    else if (!strcasecmp(fmt, "csv"))
        o.format = SINSPACE_FORMAT_CSV;
    else {
        api_fail(r, 400, "format takes geojson or csv, not '%.40s'", fmt);
        return;
    }
    if ((v = arg(conn, "aggregate")))
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
    const char *fence = arg(conn, "fence");
    sinspace_region *region = NULL;
    char path[4096];
    sinspace_export_result res;
    sinspace_status st = SINSPACE_OK;
    const char *ext = o.format == SINSPACE_FORMAT_CSV ? "csv" : "geojson";
    r->audience = sinspace_audience_name(o.audience);
    pthread_mutex_lock(&s->rw_lock);
    if (fence) {
        st = sinspace_region_from_fence(s->rw, fence, &region);
        o.region = region;
    }
    snprintf(r->what, sizeof r->what, "%s%s%s", sinspace_export_layer_name(o.layer),
             region ? " " : "", region ? sinspace_region_describe(region) : "");
    snprintf(path, sizeof path, "%s/export-%llu.%s", s->tmpdir, ++s->serial, ext);
    if (!st)
        st = sinspace_export(s->rw, path, &o, &res);
    if (st) {
        api_fail(r, http_code(st), "%s", sinspace_context_message(s->rw_ctx));
        sinspace_context_clear(s->rw_ctx);
    }
    sinspace_region_destroy(region);
    pthread_mutex_unlock(&s->rw_lock);
    if (st || take_file(path, r))
        return;
    r->rows = res.rows;
    r->mime = o.format == SINSPACE_FORMAT_CSV ? "text/csv; charset=utf-8"
                                              : "application/geo+json";
    r->disposition = o.format == SINSPACE_FORMAT_CSV
                         ? "attachment; filename=\"sinspace-export.csv\""
                         : "attachment; filename=\"sinspace-export.geojson\"";
}

static void
api_map(sinspace_server *s, serve_worker *w, struct MHD_Connection *conn,
        const request *rq, api_result *r)
{
    sinspace_region *region = body_region(w, rq, r);
    if (!region)
        return;
    sinspace_region_destroy(region);
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.format = SINSPACE_RENDER_PDF;
    const char *v;
    if ((v = arg(conn, "paper")) &&
        (o.paper = sinspace_paper_parse(v)) == SINSPACE_PAPER_INVALID) {
        api_fail(r, 400, "paper takes A4, A3, A2, A1, A0 or Letter, not '%.40s'", v);
        return;
    }
    if ((v = arg(conn, "landscape")))
        o.landscape = !strcmp(v, "1") || !strcmp(v, "true");
    o.dpi = 150;
    if ((v = arg(conn, "dpi"))) {
        char *end;
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 72 && d <= 300)) {
            api_fail(r, 400, "dpi takes a number from 72 to 300, not '%.40s'", v);
            return;
        }
        o.dpi = d;
    }
    o.title = arg(conn, "title");
    char in[4096], out[4096];
    pthread_mutex_lock(&s->rw_lock);
    unsigned long long n = ++s->serial;
    snprintf(in, sizeof in, "%s/extent-%llu.geojson", s->tmpdir, n);
    snprintf(out, sizeof out, "%s/map-%llu.pdf", s->tmpdir, n);
    sinspace_status st = SINSPACE_OK;
    int fd = open(in, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, rq->body, rq->size) != (ssize_t)rq->size) {
        api_fail(r, 500, "could not write the extent");
        st = SINSPACE_IO;
    }
    if (fd >= 0)
        close(fd);
    if (!st) {
        o.within = in;
        o.output = out;
        st = sinspace_map_render(s->rw, &o, NULL);
        if (st) {
            api_fail(r, http_code(st), "%s", sinspace_context_message(s->rw_ctx));
            sinspace_context_clear(s->rw_ctx);
        }
    }
    unlink(in);
    pthread_mutex_unlock(&s->rw_lock);
    if (st) {
        unlink(out);
        return;
    }
    if (take_file(out, r))
        return;
    r->mime = "application/pdf";
    r->disposition = "attachment; filename=\"sinspace-map.pdf\"";
    r->rows = -1;
}

/* ------------------------------------------------------------------ */
/* The handler */

static int
host_is_loopback(const char *host)
{
    if (!host)
        return 0;
    static const char *const ok[] = {"127.0.0.1", "localhost", "[::1]", NULL};
    for (int i = 0; ok[i]; i++) {
        size_t n = strlen(ok[i]);
        if (!strncasecmp(host, ok[i], n) && (host[n] == '\0' || host[n] == ':'))
            return 1;
    }
    return 0;
}

static int
authorized(sinspace_server *s, struct MHD_Connection *conn, const char **why)
{
    if (!s->token) {
        /* No token on loopback: refuse other Host names, so a web page
         * elsewhere cannot reach the API by rebinding its DNS name to
         * 127.0.0.1. */
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
        if (!host_is_loopback(host)) {
            *why = "this server answers only to localhost, 127.0.0.1 and [::1]";
            return 0;
        }
        return 1;
    }
    const char *given = NULL;
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   "Authorization");
    if (auth && !strncasecmp(auth, "Bearer ", 7))
        given = auth + 7;
    else
        given = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    if (!given || !token_equal(given, s->token)) {
        *why = "a valid token is required (Authorization: Bearer TOKEN or ?token=TOKEN)";
        return 0;
    }
    return 1;
}

static enum MHD_Result
serve_static(sinspace_server *s, struct MHD_Connection *conn, const char *url)
{
    if (!strcmp(url, "/"))
        url = "/index.html";
    for (size_t i = 0; i < s->n_files; i++)
        if (!strcmp(s->files[i].url, url))
            return reply(conn, 200, s->files[i].mime, (void *)s->files[i].data,
                         s->files[i].size, 0, NULL);
    return reply_error(conn, 404, "no such page");
}

static unsigned
parse_layers(const char *v)
{
    if (!v)
        return SERVE_LAYER_ALL;
    unsigned mask = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    const char *items[8];
    size_t n = split_list(buf, items, 8);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(items[i], "imagery")) mask |= SERVE_LAYER_IMAGERY;
        else if (!strcmp(items[i], "areas")) mask |= SERVE_LAYER_AREAS;
        else if (!strcmp(items[i], "zones")) mask |= SERVE_LAYER_ZONES;
        else if (!strcmp(items[i], "workplaces")) mask |= SERVE_LAYER_WORKPLACES;
        else return 0;
    }
    return mask;
}

static void
answer(request *rq, unsigned code, struct MHD_Response *resp)
{
    rq->code = code;
    rq->resp = resp;
    rq->answered = 1;
}

static void
serve_tile(sinspace_server *s, serve_worker *w, request *rq)
{
    struct MHD_Connection *conn = rq->conn;
    int z, x, y, end = 0;
    if (sscanf(rq->url, "/tiles/%d/%d/%d.png%n", &z, &x, &y, &end) != 3 ||
        rq->url[end] != '\0') {
        answer(rq, 404, make_error(404, "tiles are /tiles/Z/X/Y.png"));
        return;
    }
    unsigned layers = parse_layers(arg(conn, "layers"));
    if (!layers) {
        answer(rq, 400, make_error(400, "layers takes imagery, areas, zones and "
                                        "workplaces, comma-separated"));
        return;
    }
    unsigned char *png = NULL;
    size_t size = 0;
    sinspace_status st = sinspace__serve_tile(w, s->cache, z, x, y, layers, &png, &size);
    if (st) {
        unsigned code = http_code(st);
        answer(rq, code, make_error(code, sinspace_context_message(w->ctx)));
        sinspace_context_clear(w->ctx);
        return;
    }
    answer(rq, 200, make_response("image/png", png, size, 1, NULL));
}

/* 413; an API call refused so is audited like any other. */
static enum MHD_Result
reply_too_large(sinspace_server *s, struct MHD_Connection *conn, const char *url,
                const char *method)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the request body is larger than %zu bytes",
             s->max_body);
    if (!strncmp(url, "/api/", 5))
        audit_call(s, method, url, "body too large", NULL, NULL, 413, -1);
    return reply_error(conn, 413, msg);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size,
       void **con_cls)
{
    sinspace_server *s = cls;
    request *rq = *con_cls;
    if (rq && rq->queued) {
        if (!rq->answered)
            return MHD_YES; /* still with a worker */
        struct MHD_Response *resp = rq->resp;
        rq->resp = NULL;
        if (!resp)
            return MHD_NO;
        enum MHD_Result ret = MHD_queue_response(conn, rq->code, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        const char *why = NULL;
        if (!authorized(s, conn, &why))
            return reply_error(conn, s->token ? 401 : 403, why);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->max_body) {
            rq->too_large = 1;
            return reply_too_large(s, conn, url, method);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->too_large || rq->size + n > s->max_body) {
            rq->too_large = 1;
            return MHD_YES;
        }
        if (rq->size + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->size + n + 1)
                cap *= 2;
            char *nb = realloc(rq->body, cap);
            if (!nb)
                return MHD_NO;
            rq->body = nb;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->size, upload_data, n);
        rq->size += n;
        rq->body[rq->size] = '\0';
        return MHD_YES;
    }
    if (rq->too_large)
        return reply_too_large(s, conn, url, method);
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (strncmp(url, "/api/", 5) && strncmp(url, "/tiles/", 7)) {
        if (!is_get)
            return reply_error(conn, 405, "method not allowed");
        return serve_static(s, conn, url);
    }
    /* The work is done by the workers, off libmicrohttpd's threads: the
     * connection waits, suspended, for their answer. */
    rq->conn = conn;
    rq->url = url;
    rq->method = method;
    pthread_mutex_lock(&s->jobs_lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->jobs_lock);
        return reply_error(conn, 503, "the server is stopping");
    }
    MHD_suspend_connection(conn);
    rq->queued = 1;
    rq->next = NULL;
    if (s->jobs_tail)
        s->jobs_tail->next = rq;
    else
        s->jobs_head = rq;
    s->jobs_tail = rq;
    pthread_cond_signal(&s->jobs_cond);
    pthread_mutex_unlock(&s->jobs_lock);
    return MHD_YES;
}

/* One API call or tile, in a worker thread; the answer is left in rq. */
static void
process(sinspace_server *s, serve_worker *w, request *rq)
{
    struct MHD_Connection *conn = rq->conn;
    const char *url = rq->url, *method = rq->method;
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int is_post = !strcmp(method, "POST");
    if (!w) {
        answer(rq, 500, make_error(500, "the store could not be opened"));
        return;
    }
    if (!strncmp(url, "/tiles/", 7)) {
        if (!is_get)
            answer(rq, 405, make_error(405, "method not allowed"));
        else
            serve_tile(s, w, rq);
        return;
    }

    api_result r = {0};
    r.code = 0;
    r.rows = -1;
    if (!strcmp(url, "/api/info") && is_get)
        api_info(w, &r);
    else if (!strcmp(url, "/api/areas") && is_get)
        api_areas(w, conn, &r);
    else if (!strcmp(url, "/api/fences") && is_get)
        api_fences_get(w, &r);
    else if (!strcmp(url, "/api/fences") && is_post)
        api_fences_post(s, w, conn, rq, &r);
    else if (!strcmp(url, "/api/zones") && is_get)
        api_zones(w, &r);
    else if (!strcmp(url, "/api/query") && is_post)
        api_query(w, conn, rq, &r);
    else if (!strcmp(url, "/api/export") && is_get)
        api_export(s, w, conn, &r);
    else if (!strcmp(url, "/api/map") && is_post)
        api_map(s, w, conn, rq, &r);
    else if (!strcmp(url, "/api/info") || !strcmp(url, "/api/areas") ||
             !strcmp(url, "/api/fences") || !strcmp(url, "/api/zones") ||
             !strcmp(url, "/api/query") || !strcmp(url, "/api/export") ||
             !strcmp(url, "/api/map"))
        api_fail(&r, 405, "method %.10s not allowed on %.40s", method, url);
    else
        api_fail(&r, 404, "no such endpoint: %.100s", url);
    if (!r.code)
        api_fail(&r, 500, "internal error");

    audit_call(s, method, url, r.what[0] ? r.what : NULL, r.audience,
               r.filters[0] ? r.filters : NULL, r.code, r.rows);
    if (r.code >= 400) {
        server_log(s, r.code >= 500 ? SINSPACE_LOG_ERROR : SINSPACE_LOG_INFO,
                   "%s %s: %u %s", method, url, r.code, r.message);
        free(r.body);
        answer(rq, r.code, make_error(r.code, r.message));
        return;
    }
    answer(rq, r.code, make_response(r.mime ? r.mime : "application/json", r.body,
                                     r.size, 1, r.disposition));
}

static void *
worker_main(void *arg)
{
    sinspace_server *s = arg;
    serve_worker *w = worker_new(s);
    for (;;) {
        pthread_mutex_lock(&s->jobs_lock);
        while (!s->jobs_head && !s->stopping)
            pthread_cond_wait(&s->jobs_cond, &s->jobs_lock);
        request *rq = s->jobs_head;
        if (!rq) { /* stopping, and nothing left to answer */
            pthread_mutex_unlock(&s->jobs_lock);
            break;
        }
        s->jobs_head = rq->next;
        if (!s->jobs_head)
            s->jobs_tail = NULL;
        pthread_mutex_unlock(&s->jobs_lock);
        process(s, w, rq);
        MHD_resume_connection(rq->conn);
    }
    worker_free(w);
    /* context.c pushes its GDAL error handler once per thread and leaves it
     * for the thread's life; this thread ends here, so take it off, or
     * GDAL's per-thread stack node outlives the thread. */
    CPLPopErrorHandler();
    return NULL;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    request *rq = *con_cls;
    if (rq) {
        if (rq->resp)
            MHD_destroy_response(rq->resp);
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* ------------------------------------------------------------------ */
/* Start and stop */

void
sinspace_server_options_init(sinspace_server_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
}

static sinspace_status
load_files(sinspace_server *s, const char *vendor_dir)
{
    size_t n_web = 0, n_vendor = 0;
    while (sinspace__web_files[n_web].name)
        n_web++;
    while (vendor_files[n_vendor])
        n_vendor++;
    s->files = calloc(n_web + n_vendor, sizeof *s->files);
    if (!s->files)
        return sinspace__error(s->ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < n_web; i++) {
        static_file *f = &s->files[s->n_files];
        size_t len = strlen(sinspace__web_files[i].name) + 2;
        f->url = malloc(len);
        if (!f->url)
            return sinspace__error(s->ctx, SINSPACE_NO_MEMORY, "out of memory");
        snprintf(f->url, len, "/%s", sinspace__web_files[i].name);
        f->data = sinspace__web_files[i].data;
        f->size = sinspace__web_files[i].size;
        f->mime = mime_of(f->url);
        s->n_files++;
    }
    int missing = 0;
    for (size_t i = 0; i < n_vendor; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", vendor_dir, vendor_files[i]);
        char *data;
        size_t size;
        if (read_whole(path, &data, &size)) {
            missing++;
            continue;
        }
        static_file *f = &s->files[s->n_files];
        size_t len = strlen(vendor_files[i]) + 9;
        f->url = malloc(len);
        if (!f->url) {
            free(data);
            return sinspace__error(s->ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        snprintf(f->url, len, "/vendor/%s", vendor_files[i]);
        f->data = data;
        f->size = size;
        f->mime = mime_of(f->url);
        f->owned = 1;
        s->n_files++;
    }
    if (missing)
        server_log(s, SINSPACE_LOG_WARNING,
                   "%d of the page's libraries are missing from %s: the API "
                   "works, the map page does not (run scripts/deps-npm.sh)",
                   missing, vendor_dir);
    return SINSPACE_OK;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

sinspace_status
sinspace_server_start(sinspace_context *ctx, const sinspace_server_options *opts,
                      sinspace_server **out)
{
    if (!ctx || !opts || !opts->db_path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "serve: a database path is required");
    if (opts->port < 0 || opts->port > 65535)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "serve: port %d is out of range", opts->port);
    if (opts->token && strlen(opts->token) < 16)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "serve: a token needs at least 16 characters");
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    const char *bind = opts->bind ? opts->bind : "127.0.0.1";
    if (!strcmp(bind, "localhost"))
        bind = "127.0.0.1";
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)opts->port);
    } else if (inet_pton(AF_INET6, bind, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)opts->port);
    } else {
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "serve: --bind takes an IPv4 or IPv6 address, not '%s'",
                               bind);
    }

    sinspace_server *s = calloc(1, sizeof *s);
    if (!s)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    s->ctx = ctx;
    pthread_mutex_init(&s->log_lock, NULL);
    pthread_mutex_init(&s->rw_lock, NULL);
    pthread_mutex_init(&s->jobs_lock, NULL);
    pthread_cond_init(&s->jobs_cond, NULL);
    s->loopback = is_loopback(&ss);
    s->max_body = opts->max_body ? opts->max_body : 1024 * 1024;
    s->db_path = sinspace__strdup(opts->db_path);
    s->style_path = opts->style_path ? sinspace__strdup(opts->style_path) : NULL;
    sinspace_status st = SINSPACE_OK;
    if (opts->token) {
        s->token = sinspace__strdup(opts->token);
    } else if (!s->loopback) {
        unsigned char rnd[16];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
            st = sinspace__error(ctx, SINSPACE_ERROR, "serve: getrandom: %s",
                                 strerror(errno));
            goto fail;
        }
        s->token = malloc(2 * sizeof rnd + 1);
        if (s->token)
            for (size_t i = 0; i < sizeof rnd; i++)
                snprintf(s->token + 2 * i, 3, "%02x", rnd[i]);
    }
    if (!s->db_path || (opts->token || !s->loopback ? !s->token : 0)) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto fail;
    }
    /* The read-write store: checked now, so a bad path fails at start. */
    s->rw_ctx = sinspace_context_create();
    if (!s->rw_ctx) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto fail;
    }
    sinspace_context_set_user(s->rw_ctx, sinspace_context_user(ctx));
    st = sinspace_store_open(s->rw_ctx, s->db_path, SINSPACE_OPEN_READWRITE, &s->rw);
    if (st) {
        st = sinspace__error(ctx, st, "%s", sinspace_context_message(s->rw_ctx));
        goto fail;
    }
    /* Export and print files live a moment in a private folder. */
    const char *tmp = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/sinspace-serve.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf)) {
        st = sinspace__error(ctx, SINSPACE_IO, "serve: mkdtemp %s: %s", buf,
                             strerror(errno));
        goto fail;
    }
    s->tmpdir = sinspace__strdup(buf);
    st = load_files(s, opts->vendor_dir ? opts->vendor_dir : SINSPACE_WEB_VENDOR_DIR);
    if (st)
        goto fail;
    s->cache = sinspace__serve_cache_create(opts->cache_bytes ? opts->cache_bytes
                                                              : 64u << 20);
    if (!s->cache) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto fail;
    }
    int threads = opts->threads > 0 ? opts->threads : 4;
    s->threads = calloc((size_t)threads, sizeof *s->threads);
    if (!s->threads) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto fail;
    }
    for (; s->n_threads < threads; s->n_threads++)
        if (pthread_create(&s->threads[s->n_threads], NULL, worker_main, s)) {
            st = sinspace__error(ctx, SINSPACE_ERROR, "serve: cannot start a worker");
            goto fail;
        }
    /* libmicrohttpd's own threads only read requests and write answers;
     * the workers do the rest. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, (uint16_t)opts->port, NULL, NULL, handle, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        st = sinspace__error(ctx, SINSPACE_IO, "serve: could not listen on %s:%d "
                             "(in use, or not an address of this machine)", bind,
                             opts->port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
    *out = s;
    return SINSPACE_OK;
fail:
    sinspace_server_stop(s);
    return st;
}

int
sinspace_server_port(const sinspace_server *s)
{
    return s ? s->port : 0;
}

const char *
sinspace_server_token(const sinspace_server *s)
{
    return s ? s->token : NULL;
}

void
sinspace_server_stop(sinspace_server *s)
{
    if (!s)
        return;
    /* The workers answer what is queued, then end; requests after that get
     * 503 without being suspended, so none is left suspended when
     * libmicrohttpd stops. */
    pthread_mutex_lock(&s->jobs_lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->jobs_cond);
    pthread_mutex_unlock(&s->jobs_lock);
    for (int i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    pthread_cond_destroy(&s->jobs_cond);
    pthread_mutex_destroy(&s->jobs_lock);
    sinspace__serve_cache_destroy(s->cache);
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].url);
        if (s->files[i].owned)
            free((void *)s->files[i].data);
    }
    free(s->files);
    if (s->tmpdir)
        rmdir(s->tmpdir);
    free(s->tmpdir);
    sinspace_store_close(s->rw);
    sinspace_context_destroy(s->rw_ctx);
    pthread_mutex_destroy(&s->rw_lock);
    pthread_mutex_destroy(&s->log_lock);
    free(s->db_path);
    free(s->style_path);
    free(s->token);
    free(s);
}
