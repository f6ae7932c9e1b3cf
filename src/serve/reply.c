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

/* The library's messages end with advice for the command line; the API
 * gives its own. */
static const struct {
    const char *cli, *api;
} advice[] = {
    {" (fix it, or repair it with --make-valid)", " (fix the polygon and send it again)"},
    {"; remove it first (fence rm)", "; choose another name"},
    {" (see: sinspace fence list)", " (GET /api/fences lists them)"},
    {" (see: sinspace sectors)", " (GET /api/info lists them)"},
};

void
sinspace__api_words(const char *msg, char *out, size_t size)
{
    size_t n = 0;
    if (!size)
        return;
    out[0] = '\0';
    for (const char *p = msg ? msg : ""; *p && n + 1 < size;) {
        size_t k = 0, len = 0;
        for (; k < sizeof advice / sizeof *advice; k++) {
            len = strlen(advice[k].cli);
            if (!strncmp(p, advice[k].cli, len))
                break;
        }
        if (k < sizeof advice / sizeof *advice) {
            n += (size_t)snprintf(out + n, size - n, "%s", advice[k].api);
            if (n >= size)
                n = size - 1;
            p += len;
        } else if (p[0] == '-' && p[1] == '-' && p[2] >= 'a' && p[2] <= 'z' &&
                   (p == msg || p[-1] == ' ' || p[-1] == '(')) {
            /* "--dpi 400" is the parameter dpi=400 here. */
            p += 2;
            size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
            for (size_t i = 0; i < w && n + 2 < size; i++)
                out[n++] = p[i] == '-' ? '_' : p[i];
            if (n + 1 < size)
                out[n++] = '=';
            p += w;
            if (*p == ' ')
                p++;
            out[n] = '\0';
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
}

void
sinspace__api_fail_ctx(api_result *r, sinspace_context *ctx, sinspace_status st)
{
    char msg[sizeof r->message];
    sinspace__api_words(sinspace_context_message(ctx), msg, sizeof msg);
    sinspace__api_fail(r, sinspace__serve_http_code(st), "%s", msg);
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
