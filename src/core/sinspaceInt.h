/* sinspaceInt.h: what the library's modules share and users never see.
 *
 * The context struct, the one error funnel (sinspace__error), logging and
 * progress helpers.  Nothing here knows SQL: the store's own internals are
 * in store/store_int.h, which only store/ includes. */
#ifndef SINSPACE_INT_H
#define SINSPACE_INT_H

#include <sinspace/sinspace.h>

#include <geos_c.h>
#include <proj.h>
#include <stddef.h>

#if defined(__GNUC__)
#define SINSPACE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SINSPACE_PRINTF(f, a)
#endif

struct sinspace_context {
    sinspace_status status;
    char message[1024];
    sinspace_log_fn log_fn;
    void *log_user;
    sinspace_progress_fn progress_fn;
    void *progress_user;
    char user[128];
    PJ_CONTEXT *proj;
    GEOSContextHandle_t geos;
    char geos_message[512];
};


/* The funnel every failure goes through: keeps status and message on the
 * context and returns status, so detecting code writes
 *     return sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(e));
 * and callers only propagate.  Break here to catch every error. */
sinspace_status sinspace__error(sinspace_context *ctx, sinspace_status status,
                                const char *fmt, ...) SINSPACE_PRINTF(3, 4);

void sinspace__log(sinspace_context *ctx, sinspace_log_level level,
                   const char *fmt, ...) SINSPACE_PRINTF(3, 4);

/* Reports progress; returns SINSPACE_INTERRUPTED (already set as the error)
 * when the callback asks to stop. */
sinspace_status sinspace__progress(sinspace_context *ctx, const char *task,
                                   double done, double total);

/* Copies GDAL's last error into the context. */
sinspace_status sinspace__gdal_error(sinspace_context *ctx,
                                     sinspace_status status, const char *what);

/* Current UTC time as ISO 8601 (YYYY-MM-DDTHH:MM:SSZ), in buf[32]. */
void sinspace__now_iso(char buf[32]);

/* Duplicates a string; NULL for NULL.  Sets SINSPACE_NO_MEMORY on failure. */
char *sinspace__strdup(const char *s);

#endif
