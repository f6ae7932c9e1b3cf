/* context.c: the context, its error funnel, logging and progress, and the
 * handles of PROJ, GEOS and GDAL that every module borrows from it. */
#include "core/sinspaceInt.h"
#include "sinspace_config.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>

#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

static void
gdal_init_once(void)
{
    GDALAllRegister();
    /* Traditional lon/lat order everywhere: sinspace speaks RFC 7946. */
    CPLSetConfigOption("OGR_CT_FORCE_TRADITIONAL_GIS_ORDER", "YES");
    /* GDAL's worker threads (a multi-threaded warp, a tile service's block
     * reads) have no handler of ours, and GDAL's default one writes
     * "ERROR 1: ..." to stderr in the middle of a command's output: GDAL
     * 3.6's WMS cache says "Unable to open downloaded block" there for a
     * block it then asks again.  Such threads report nothing; what fails
     * reaches the calling thread's handler and the context. */
    CPLSetErrorHandler(CPLQuietErrorHandler);
}

/* GDAL reports through a per-thread stack of handlers; ours keeps its
 * messages out of stderr and routes them to the logger of the thread's
 * newest live context at debug level.  The failing call's caller copies
 * CPLGetLastErrorMsg() into the context.  The handler is pushed once per
 * thread and never popped, and finds its context through a thread-local
 * pointer that destroy clears: contexts may be destroyed in any order
 * without the handler ever holding a freed one. */
static _Thread_local sinspace_context *gdal_ctx;
static _Thread_local int gdal_handler_pushed;

static void
gdal_error_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    sinspace_context *ctx = gdal_ctx;
    (void)num;
    if (ctx && ctx->log_fn)
        ctx->log_fn(ctx->log_user,
                    cls >= CE_Failure ? SINSPACE_LOG_DEBUG : SINSPACE_LOG_DEBUG,
                    msg);
}

static void
geos_message(const char *msg, void *user)
{
    sinspace_context *ctx = user;
    snprintf(ctx->geos_message, sizeof ctx->geos_message, "%s", msg);
}

const char *
sinspace_version(void)
{
    return SINSPACE_VERSION;
}

const char *
sinspace_status_string(sinspace_status status)
{
    switch (status) {
    case SINSPACE_OK: return "success";
    case SINSPACE_ERROR: return "failure";
    case SINSPACE_INVALID_ARGUMENT: return "invalid argument";
    case SINSPACE_INVALID_INPUT: return "invalid input";
    case SINSPACE_NO_MEMORY: return "out of memory";
    case SINSPACE_IO: return "input/output error";
    case SINSPACE_DATABASE: return "database error";
    case SINSPACE_NOT_FOUND: return "not found";
    case SINSPACE_UNSUPPORTED: return "unsupported";
    case SINSPACE_PERMISSION: return "permission refused";
    case SINSPACE_SCHEMA: return "not a usable sinspace database";
    case SINSPACE_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

sinspace_context *
sinspace_context_create(void)
{
    sinspace_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    pthread_once(&gdal_once, gdal_init_once);
    ctx->proj = proj_context_create();
    ctx->geos = GEOS_init_r();
    if (!ctx->proj || !ctx->geos) {
        sinspace_context_destroy(ctx);
        return NULL;
    }
    proj_log_level(ctx->proj, PJ_LOG_NONE);
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);

    struct passwd *pw = getpwuid(getuid());
    snprintf(ctx->user, sizeof ctx->user, "%s",
             pw && pw->pw_name ? pw->pw_name : "unknown");
    if (!gdal_handler_pushed) {
        CPLPushErrorHandlerEx(gdal_error_handler, NULL);
        gdal_handler_pushed = 1;
    }
    gdal_ctx = ctx;
    return ctx;
}

void
sinspace_context_destroy(sinspace_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->geos)
        GEOS_finish_r(ctx->geos);
    if (ctx->proj)
        proj_context_destroy(ctx->proj);
    if (gdal_ctx == ctx)
        gdal_ctx = NULL;
    free(ctx);
}

sinspace_status
sinspace_context_status(const sinspace_context *ctx)
{
    return ctx ? ctx->status : SINSPACE_INVALID_ARGUMENT;
}

const char *
sinspace_context_message(const sinspace_context *ctx)
{
    return ctx ? ctx->message : "no context";
}

void
sinspace_context_clear(sinspace_context *ctx)
{
    if (!ctx)
        return;
    ctx->status = SINSPACE_OK;
    ctx->message[0] = '\0';
}

void
sinspace_context_set_logger(sinspace_context *ctx, sinspace_log_fn fn,
                            void *user_data)
{
    if (!ctx)
        return;
    ctx->log_fn = fn;
    ctx->log_user = user_data;
}

void
sinspace_context_set_progress(sinspace_context *ctx, sinspace_progress_fn fn,
                              void *user_data)
{
    if (!ctx)
        return;
    ctx->progress_fn = fn;
    ctx->progress_user = user_data;
}

sinspace_status
sinspace_context_set_user(sinspace_context *ctx, const char *user)
{
    if (!ctx)
        return SINSPACE_INVALID_ARGUMENT;
    if (!user || !*user || strlen(user) >= sizeof ctx->user)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "user name must be 1 to %zu bytes",
                               sizeof ctx->user - 1);
    snprintf(ctx->user, sizeof ctx->user, "%s", user);
    return SINSPACE_OK;
}

const char *
sinspace_context_user(const sinspace_context *ctx)
{
    return ctx ? ctx->user : "";
}

sinspace_status
sinspace__error(sinspace_context *ctx, sinspace_status status,
                const char *fmt, ...)
{
    if (!ctx)
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
    va_end(ap);
    ctx->status = status;
    return status;
}

void
sinspace__log(sinspace_context *ctx, sinspace_log_level level,
              const char *fmt, ...)
{
    if (!ctx || !ctx->log_fn)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_user, level, buf);
}

sinspace_status
sinspace__progress(sinspace_context *ctx, const char *task, double done,
                   double total)
{
    if (!ctx || !ctx->progress_fn)
        return SINSPACE_OK;
    if (ctx->progress_fn(ctx->progress_user, task, done, total))
        return sinspace__error(ctx, SINSPACE_INTERRUPTED, "%s: interrupted",
                               task);
    return SINSPACE_OK;
}

sinspace_status
sinspace__gdal_error(sinspace_context *ctx, sinspace_status status,
                     const char *what)
{
    const char *msg = CPLGetLastErrorMsg();
    if (msg && *msg)
        return sinspace__error(ctx, status, "%s: %s", what, msg);
    return sinspace__error(ctx, status, "%s", what);
}

void
sinspace__now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
sinspace__strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
