/* reply.c: the server's responses: every one carries the security headers
 * and no-store; errors are {"error": ..., "status": ...}; API bodies are
 * written on memory streams with core/json.h (the one JSON escaper) or the
 * streaming GeoJSON writer. */
#include "serve/api_int.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct MHD_Response *
sinspace__serve_response(const char *mime, void *data, size_t size,
                         int must_free, const char *disposition)
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

struct MHD_Response *
sinspace__serve_error_response(unsigned code, const char *msg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "{\"error\":");
    sinspace__json_string(f, msg ? msg : "");
    fprintf(f, ",\"status\":%u}\n", code);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return sinspace__serve_response("application/json", buf, len, 1, NULL);
}

enum MHD_Result
sinspace__serve_reply(struct MHD_Connection *conn, unsigned code, const char *mime,
                      void *data, size_t size, int must_free,
                      const char *disposition)
{
    struct MHD_Response *r = sinspace__serve_response(mime, data, size, must_free,
                                                      disposition);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result
sinspace__serve_reply_error(struct MHD_Connection *conn, unsigned code,
                            const char *msg)
{
    struct MHD_Response *r = sinspace__serve_error_response(code, msg);
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

unsigned
sinspace__serve_http_code(sinspace_status st)
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

void
sinspace__api_fail(api_result *r, unsigned code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->code = code;
    r->rows = -1;
}

void
sinspace__api_fail_ctx(api_result *r, sinspace_context *ctx, sinspace_status st)
{
    sinspace__api_fail(r, sinspace__serve_http_code(st), "%s",
                       sinspace_context_message(ctx));
    sinspace_context_clear(ctx);
}

FILE *
sinspace__api_json_open(api_result *r)
{
    FILE *f = open_memstream(&r->body, &r->size);
    if (!f)
        sinspace__api_fail(r, 500, "out of memory");
    return f;
}

void
sinspace__api_json_close(api_result *r, FILE *f, unsigned code)
{
    if (fclose(f) != 0 || !r->body) {
        free(r->body);
        r->body = NULL;
        r->size = 0;
        sinspace__api_fail(r, 500, "out of memory");
        return;
    }
    r->code = code;
    r->mime = "application/json";
}

sinspace_status
sinspace__api_geojson_open(sinspace_context *ctx, sinspace__api_geojson *m)
{
    memset(m, 0, sizeof *m);
    m->f = open_memstream(&m->buf, &m->len);
    if (!m->f)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    sinspace_geojson_options o;
    sinspace_geojson_options_init(&o);
    return sinspace_geojson_writer_create(ctx, m->f, &o, &m->w);
}

void
sinspace__api_geojson_close(sinspace__api_geojson *m, api_result *r, int ok)
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
