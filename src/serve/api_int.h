/* api_int.h: what the server (http.c), its responses (reply.c) and the API
 * handlers (api.c) share: the server and request structs, the API call's
 * result, and the helpers each file gives the others.  Tiles have their
 * own header (serve_int.h). */
#ifndef SINSPACE_SERVE_API_INT_H
#define SINSPACE_SERVE_API_INT_H

#include "serve/serve_int.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

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
    char *internal_token;       /* NULL: no request may ask for the
                                   internal audience */
    int loopback;
    int port;
    size_t max_body;
    struct MHD_Daemon *daemon;
    serve_cache *cache;
    /* Every write (fences, audit rows, export's and the print's audit)
     * goes through this store and its context, behind rw_lock. */
    pthread_mutex_t rw_lock;
    sinspace_context *rw_ctx;
    sinspace_store *rw;
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
    int internal;               /* it carries the internal token */
    unsigned code;
    struct MHD_Response *resp;
    struct request *next;
} request;

/* What an API call produced: a body or a failure, and its audit row. */
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

/* http.c */

/* A log line through the caller's context, from any thread. */
void sinspace__serve_log(sinspace_server *s, sinspace_log_level level,
                         const char *fmt, ...) SINSPACE_PRINTF(3, 4);
/* One query argument as the request gave it (value NULL for "?name"
 * without '='). */
typedef struct sinspace__serve_argument {
    const char *name, *value;
} sinspace__serve_argument;

/* Every query argument of the request, in order, repeats included: the
 * first max go into args; returns how many there are (may exceed max). */
size_t sinspace__serve_args(struct MHD_Connection *conn,
                            sinspace__serve_argument *args, size_t max);

/* reply.c: responses, every one with the security headers. */

/* A response of data (freed by libmicrohttpd when must_free, also on
 * failure); NULL when none could be made. */
struct MHD_Response *sinspace__serve_response(const char *mime, void *data,
                                              size_t size, int must_free,
                                              const char *disposition);
/* {"error": msg, "status": code} as a response. */
struct MHD_Response *sinspace__serve_error_response(unsigned code,
                                                    const char *msg);
/* Queues an answer at once, in libmicrohttpd's thread. */
enum MHD_Result sinspace__serve_reply(struct MHD_Connection *conn, unsigned code,
                                      const char *mime, void *data, size_t size,
                                      int must_free, const char *disposition);
enum MHD_Result sinspace__serve_reply_error(struct MHD_Connection *conn,
                                            unsigned code, const char *msg);
/* The HTTP status for a library status. */
unsigned sinspace__serve_http_code(sinspace_status st);

/* Marks r failed with code and a message. */
void sinspace__api_fail(api_result *r, unsigned code, const char *fmt, ...)
    SINSPACE_PRINTF(3, 4);
/* msg in the API's words: the command line's advice ("repair it with
 * --make-valid", "fence rm", "--dpi") becomes the API's. */
void sinspace__api_words(const char *msg, char *out, size_t size);
/* Fails r with the context's message in the API's words (status by st),
 * and clears it. */
void sinspace__api_fail_ctx(api_result *r, sinspace_context *ctx,
                            sinspace_status st);

/* A JSON body written on a memory stream into r->body: open (NULL, with r
 * failed, when out of memory), write with core/json.h, then close with the
 * status code.  The stream is the caller's until it hands it to close,
 * which closes it either way; r->body then belongs to r (the server frees
 * it with the response). */
FILE *sinspace__api_json_open(api_result *r);
void sinspace__api_json_close(api_result *r, FILE *f, unsigned code);

/* A GeoJSON writer on a memory stream.  close frees the writer and the
 * stream, and on success hands the text to r (r->body), else frees it. */
typedef struct sinspace__api_geojson {
    char *buf;
    size_t len;
    FILE *f;
    sinspace_geojson_writer *w;
} sinspace__api_geojson;

sinspace_status sinspace__api_geojson_open(sinspace_context *ctx,
                                           sinspace__api_geojson *m);
void sinspace__api_geojson_close(sinspace__api_geojson *m, api_result *r,
                                 int ok);

/* api.c */

/* Answers one API call (url under /api/) into r; r->code stays 0 when
 * nothing answered it. */
void sinspace__api_handle(sinspace_server *s, serve_worker *w, request *rq,
                          api_result *r);

#endif
