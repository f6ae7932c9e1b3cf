/* http.c: `sinspace serve`: the HTTP server (libmicrohttpd, a pool of
 * worker threads), its guards (loopback or token, Host check, body limit),
 * request dispatch, and the in-memory table of static files.  Responses and
 * their security headers are made in reply.c, the API answered in api.c,
 * tiles drawn in tiles.c.  The server keeps no files and no folder of its
 * own: every answer is made in memory.
 *
 * Threads: contexts are single-threaded, so each worker thread lazily gets
 * its own serve_worker (context, read-only store, symbology); every write
 * (fences, audit rows, export's and the print's audit) goes through the one
 * read-write store and its own context, behind rw_lock. */
#include "serve/api_int.h"
#include "core/embedded.h"
#include "sinspace_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <cpl_error.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

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

/* ------------------------------------------------------------------ */
/* Small helpers */

void
sinspace__serve_log(sinspace_server *s, sinspace_log_level level, const char *fmt, ...)
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
        sinspace__serve_log(s, SINSPACE_LOG_ERROR, "worker: %s",
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
        sinspace__serve_log(s, SINSPACE_LOG_ERROR, "audit: %s",
                   sinspace_context_message(s->rw_ctx));
    pthread_mutex_unlock(&s->rw_lock);
}

/* ------------------------------------------------------------------ */
/* Request pieces the API shares */

/* The request being answered without a socket in this thread
 * (sinspace__serve_answer), whose arguments stand for the connection's. */
static _Thread_local const serve_request_in *local_in;

static const char *
pair_value(const serve_pair *pairs, size_t n, const char *name, int nocase)
{
    for (size_t i = 0; i < n; i++)
        if (pairs[i].name && (nocase ? !strcasecmp(pairs[i].name, name)
                                     : !strcmp(pairs[i].name, name)))
            return pairs[i].value;
    return NULL;
}

typedef struct args_list {
    sinspace__serve_argument *v;
    size_t n, max;
} args_list;

static enum MHD_Result
on_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    args_list *l = cls;
    if (l->n < l->max)
        l->v[l->n] = (sinspace__serve_argument){key ? key : "", value};
    l->n++;
    return MHD_YES;
}

size_t
sinspace__serve_args(struct MHD_Connection *conn, sinspace__serve_argument *args,
                     size_t max)
{
    args_list l = {args, 0, max};
    if (conn) {
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_argument, &l);
    } else if (local_in) {
        for (size_t i = 0; i < local_in->n_args; i++)
            on_argument(&l, MHD_GET_ARGUMENT_KIND, local_in->args[i].name,
                        local_in->args[i].value);
    }
    return l.n;
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

/* The guards every request passes first: the Host check without a token,
 * else the token (Authorization: Bearer, or ?token=). */
/* The token a request carries: Authorization: Bearer, else ?token=;
 * NULL when none. */
static const char *
given_token(const char *auth, const char *token_arg)
{
    if (auth && !strncasecmp(auth, "Bearer ", 7))
        return auth + 7;
    return token_arg;
}

/* Whether the request carries the internal token (--internal-token): only
 * then may it ask for the internal audience. */
static int
grants_internal(sinspace_server *s, const char *auth, const char *token_arg)
{
    const char *given = given_token(auth, token_arg);
    return s->internal_token && given && token_equal(given, s->internal_token);
}

static int
authorized(sinspace_server *s, const char *host, const char *auth,
           const char *token_arg, const char **why)
{
    if (s->token && grants_internal(s, auth, token_arg))
        return 1;
    if (!s->token) {
        /* No token on loopback: refuse other Host names, so a web page
         * elsewhere cannot reach the API by rebinding its DNS name to
         * 127.0.0.1. */
        if (!host_is_loopback(host)) {
            *why = "this server answers only to localhost, 127.0.0.1 and [::1]";
            return 0;
        }
        return 1;
    }
    const char *given = given_token(auth, token_arg);
    if (!given || !token_equal(given, s->token)) {
        *why = "a valid token is required (Authorization: Bearer TOKEN or ?token=TOKEN)";
        return 0;
    }
    return 1;
}

/* The static file at url, or NULL. */
static const static_file *
find_static(sinspace_server *s, const char *url)
{
    if (!strcmp(url, "/"))
        url = "/index.html";
    for (size_t i = 0; i < s->n_files; i++)
        if (!strcmp(s->files[i].url, url))
            return &s->files[i];
    return NULL;
}

static enum MHD_Result
serve_static(sinspace_server *s, struct MHD_Connection *conn, const char *url)
{
    const static_file *f = find_static(s, url);
    if (f)
        return sinspace__serve_reply(conn, 200, f->mime, (void *)f->data, f->size,
                                     0, NULL);
    return sinspace__serve_reply_error(conn, 404, "no such page");
}

static unsigned
parse_layers(const char *v)
{
    if (!v)
        return SERVE_LAYER_ALL;
    unsigned mask = 0;
    char buf[128];
    if (!*v || strlen(v) >= sizeof buf || strstr(v, ",,") || *v == ',' ||
        v[strlen(v) - 1] == ',')
        return 0;
    snprintf(buf, sizeof buf, "%s", v);
    const char *items[8];
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (n == 8)
            return 0;
        items[n++] = t;
    }
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(items[i], "imagery")) mask |= SERVE_LAYER_IMAGERY;
        else if (!strcmp(items[i], "areas")) mask |= SERVE_LAYER_AREAS;
        else if (!strcmp(items[i], "zones")) mask |= SERVE_LAYER_ZONES;
        else if (!strcmp(items[i], "workplaces")) mask |= SERVE_LAYER_WORKPLACES;
        else return 0;
    }
    return mask;
}

/* An answer: data (malloc'd, handed over) with its type, or with mime
 * NULL an error whose message is msg. */
static void
answer(serve_answer *a, unsigned code, const char *mime, void *data, size_t size,
       const char *disposition)
{
    a->code = code;
    a->mime = mime;
    a->body = data;
    a->size = size;
    a->disposition = disposition;
}

static void
answer_error(serve_answer *a, unsigned code, const char *msg)
{
    answer(a, code, NULL, NULL, 0, NULL);
    snprintf(a->message, sizeof a->message, "%s", msg ? msg : "");
}

static void
serve_tile(sinspace_server *s, serve_worker *w, request *rq, serve_answer *a)
{
    int z, x, y, end = 0;
    if (sscanf(rq->url, "/tiles/%d/%d/%d.png%n", &z, &x, &y, &end) != 3 ||
        rq->url[end] != '\0') {
        answer_error(a, 404, "tiles are /tiles/Z/X/Y.png");
        return;
    }
    /* Only layers= (and the token, where the server takes one): anything
     * else is refused, as on the API. */
    sinspace__serve_argument args[16];
    size_t n_args = sinspace__serve_args(rq->conn, args, 16);
    const char *layers_arg = NULL;
    if (n_args > 16) {
        answer_error(a, 400, "too many parameters");
        return;
    }
    for (size_t i = 0; i < n_args; i++) {
        char msg[256];
        if (!strcmp(args[i].name, "token") && (s->token || s->internal_token))
            continue;
        if (strcmp(args[i].name, "layers")) {
            snprintf(msg, sizeof msg, "unknown parameter '%.60s'; tiles take: layers%s",
                     args[i].name, s->token || s->internal_token ? ", token" : "");
            answer_error(a, 400, msg);
            return;
        }
        if (layers_arg) {
            answer_error(a, 400, "layers is given twice (it takes one comma list)");
            return;
        }
        layers_arg = args[i].value ? args[i].value : "";
    }
    unsigned layers = parse_layers(layers_arg);
    if (!layers) {
        answer_error(a, 400, "layers takes imagery, areas, zones and "
                             "workplaces, comma-separated");
        return;
    }
    unsigned char *png = NULL;
    size_t size = 0;
    sinspace_status st = sinspace__serve_tile(w, s->cache, z, x, y, layers, &png, &size);
    if (st) {
        answer_error(a, sinspace__serve_http_code(st), sinspace_context_message(w->ctx));
        sinspace_context_clear(w->ctx);
        return;
    }
    answer(a, 200, "image/png", png, size, NULL);
}

/* 413's message; an API call refused so is audited like any other. */
static void
too_large(sinspace_server *s, const char *url, const char *method, char *msg,
          size_t size)
{
    snprintf(msg, size, "the request body is larger than %zu bytes", s->max_body);
    if (!strncmp(url, "/api/", 5))
        audit_call(s, method, url, "body too large", NULL, NULL, 413, -1);
}

static enum MHD_Result
reply_too_large(sinspace_server *s, struct MHD_Connection *conn, const char *url,
                const char *method)
{
    char msg[128];
    too_large(s, url, method, msg, sizeof msg);
    return sinspace__serve_reply_error(conn, 413, msg);
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
        if (!authorized(s, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
                        MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    "Authorization"),
                        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                                    "token"),
                        &why))
            return sinspace__serve_reply_error(conn, s->token ? 401 : 403, why);
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
            return sinspace__serve_reply_error(conn, 405, "method not allowed");
        return serve_static(s, conn, url);
    }
    /* The work is done by the workers, off libmicrohttpd's threads: the
     * connection waits, suspended, for their answer. */
    rq->conn = conn;
    rq->url = url;
    rq->method = method;
    rq->internal = grants_internal(
        s, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token"));
    pthread_mutex_lock(&s->jobs_lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->jobs_lock);
        return sinspace__serve_reply_error(conn, 503, "the server is stopping");
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

/* One API call or tile, in a worker thread (or in the caller's, without a
 * socket): the answer is left in a. */
static void
process(sinspace_server *s, serve_worker *w, request *rq, serve_answer *a)
{
    const char *url = rq->url, *method = rq->method;
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!w) {
        answer_error(a, 500, "the store could not be opened");
        return;
    }
    if (!strncmp(url, "/tiles/", 7)) {
        if (!is_get)
            answer_error(a, 405, "method not allowed");
        else
            serve_tile(s, w, rq, a);
        return;
    }

    api_result r = {0};
    r.code = 0;
    r.rows = -1;
    sinspace__api_handle(s, w, rq, &r);
    if (!r.code)
        sinspace__api_fail(&r, 500, "internal error");

    audit_call(s, method, url, r.what[0] ? r.what : NULL, r.audience,
               r.filters[0] ? r.filters : NULL, r.code, r.rows);
    if (r.code >= 400) {
        sinspace__serve_log(s, r.code >= 500 ? SINSPACE_LOG_ERROR : SINSPACE_LOG_INFO,
                   "%s %s: %u %s", method, url, r.code, r.message);
        free(r.body);
        answer_error(a, r.code, r.message);
        return;
    }
    answer(a, r.code, r.mime ? r.mime : "application/json", r.body, r.size,
           r.disposition);
}

/* The queued request answered by a worker, as libmicrohttpd's response. */
static void
process_queued(sinspace_server *s, serve_worker *w, request *rq)
{
    serve_answer a;
    memset(&a, 0, sizeof a);
    process(s, w, rq, &a);
    rq->code = a.code;
    rq->resp = a.mime ? sinspace__serve_response(a.mime, a.body, a.size, 1,
                                                 a.disposition)
                      : sinspace__serve_error_response(a.code, a.message);
    rq->answered = 1;
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
        process_queued(s, w, rq);
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
/* A request without a socket: the same guards, dispatch and answers as
 * handle() and process(), in the caller's thread (fuzzers, tests). */

serve_worker *
sinspace__serve_worker_open(sinspace_server *s)
{
    return s ? worker_new(s) : NULL;
}

void
sinspace__serve_worker_close(serve_worker *w)
{
    worker_free(w);
}

void
sinspace__serve_answer(sinspace_server *s, serve_worker *w,
                       const serve_request_in *in, serve_answer *a)
{
    memset(a, 0, sizeof a[0]);
    const char *url = in->url ? in->url : "", *method = in->method ? in->method : "";
    const char *why = NULL;
    if (!authorized(s, pair_value(in->headers, in->n_headers, "Host", 1),
                    pair_value(in->headers, in->n_headers, "Authorization", 1),
                    pair_value(in->args, in->n_args, "token", 0), &why)) {
        answer_error(a, s->token ? 401 : 403, why);
        return;
    }
    const char *cl = pair_value(in->headers, in->n_headers, "Content-Length", 1);
    if ((cl && strtoull(cl, NULL, 10) > s->max_body) || in->size > s->max_body) {
        char msg[128];
        too_large(s, url, method, msg, sizeof msg);
        answer_error(a, 413, msg);
        return;
    }
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (strncmp(url, "/api/", 5) && strncmp(url, "/tiles/", 7)) {
        if (!is_get) {
            answer_error(a, 405, "method not allowed");
            return;
        }
        const static_file *f = find_static(s, url);
        if (!f) {
            answer_error(a, 404, "no such page");
            return;
        }
        char *copy = malloc(f->size ? f->size : 1);
        if (!copy) {
            answer_error(a, 500, "out of memory");
            return;
        }
        memcpy(copy, f->data, f->size);
        answer(a, 200, f->mime, copy, f->size, NULL);
        return;
    }
    request rq;
    memset(&rq, 0, sizeof rq);
    /* The body NUL-terminated, as handle() keeps it. */
    if (in->size) {
        if (!(rq.body = malloc(in->size + 1))) {
            answer_error(a, 500, "out of memory");
            return;
        }
        memcpy(rq.body, in->body, in->size);
        rq.body[in->size] = '\0';
        rq.size = rq.cap = in->size;
    }
    rq.url = url;
    rq.method = method;
    rq.internal = grants_internal(s, pair_value(in->headers, in->n_headers,
                                                "Authorization", 1),
                                  pair_value(in->args, in->n_args, "token", 0));
    local_in = in;
    process(s, w, &rq, a);
    local_in = NULL;
    free(rq.body);
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
        sinspace__serve_log(s, SINSPACE_LOG_WARNING,
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

/* The address to listen on (--bind, default 127.0.0.1) into ss; *bind is
 * its text. */
static sinspace_status
bind_address(sinspace_context *ctx, const sinspace_server_options *opts,
             struct sockaddr_storage *ss, const char **bind_text)
{
    memset(ss, 0, sizeof *ss);
    const char *bind = opts->bind ? opts->bind : "127.0.0.1";
    if (!strcmp(bind, "localhost"))
        bind = "127.0.0.1";
    *bind_text = bind;
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
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
    return SINSPACE_OK;
}

/* Everything but the workers and the socket: the stores, the files, the
 * cache. */
static sinspace_status
server_setup(sinspace_context *ctx, const sinspace_server_options *opts,
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
    if (opts->internal_token && strlen(opts->internal_token) < 16)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "serve: the internal token needs at least 16 "
                               "characters");
    if (opts->internal_token && opts->token && !strcmp(opts->internal_token, opts->token))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "serve: the internal token must differ from the "
                               "token");
    struct sockaddr_storage ss;
    const char *bind;
    sinspace_status bst = bind_address(ctx, opts, &ss, &bind);
    if (bst)
        return bst;

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
    if (opts->internal_token &&
        !(s->internal_token = sinspace__strdup(opts->internal_token))) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto fail;
    }
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
    st = load_files(s, opts->vendor_dir ? opts->vendor_dir : SINSPACE_WEB_VENDOR_DIR);
    if (st)
        goto fail;
    s->cache = sinspace__serve_cache_create(opts->cache_bytes ? opts->cache_bytes
                                                              : 64u << 20);
    if (!s->cache) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto fail;
    }
    *out = s;
    return SINSPACE_OK;
fail:
    sinspace_server_stop(s);
    return st;
}

sinspace_status
sinspace__serve_open(sinspace_context *ctx, const sinspace_server_options *opts,
                     sinspace_server **out)
{
    return server_setup(ctx, opts, out);
}

sinspace_status
sinspace_server_start(sinspace_context *ctx, const sinspace_server_options *opts,
                      sinspace_server **out)
{
    sinspace_server *s = NULL;
    sinspace_status st = server_setup(ctx, opts, &s);
    if (st)
        return st;
    struct sockaddr_storage ss;
    const char *bind;
    (void)bind_address(ctx, opts, &ss, &bind); /* checked by server_setup */
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
    sinspace_store_close(s->rw);
    sinspace_context_destroy(s->rw_ctx);
    pthread_mutex_destroy(&s->rw_lock);
    pthread_mutex_destroy(&s->log_lock);
    free(s->db_path);
    free(s->style_path);
    free(s->token);
    free(s->internal_token);
    free(s);
}
