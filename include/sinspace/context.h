/* sinspace/context.h: the context every sinspace call works in.
 *
 * A context owns the error state (status code and message of the last
 * failure), the log and progress callbacks, and the handles of the libraries
 * underneath (PROJ context, GEOS handle, GDAL error hook).  The library never
 * prints: a program installs a logger.  A context is used by one thread at a
 * time; make one per thread. */
#ifndef SINSPACE_CONTEXT_H
#define SINSPACE_CONTEXT_H

#include <sinspace/api.h>

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes.  Every function that can fail returns one; the detailed
 * message is kept on the context until the next failure or clear. */
typedef enum sinspace_status {
    SINSPACE_OK = 0,
    SINSPACE_ERROR,            /* failure not covered below */
    SINSPACE_INVALID_ARGUMENT, /* the caller's arguments are wrong (usage) */
    SINSPACE_INVALID_INPUT,    /* an input file or value is malformed */
    SINSPACE_NO_MEMORY,
    SINSPACE_IO,               /* a file could not be read or written */
    SINSPACE_DATABASE,         /* SQLite or SpatiaLite failed */
    SINSPACE_NOT_FOUND,        /* a named thing does not exist */
    SINSPACE_UNSUPPORTED,      /* a format or feature sinspace does not handle */
    SINSPACE_PERMISSION,       /* unsafe permissions, refused access */
    SINSPACE_SCHEMA,           /* not a sinspace database, or a newer schema */
    SINSPACE_INTERRUPTED       /* stopped by the caller's progress callback */
} sinspace_status;

/* A static English name for a status; never NULL. */
SINSPACE_API const char *sinspace_status_string(sinspace_status status);

typedef enum sinspace_log_level {
    SINSPACE_LOG_DEBUG = 0,
    SINSPACE_LOG_INFO,
    SINSPACE_LOG_WARNING,
    SINSPACE_LOG_ERROR
} sinspace_log_level;

/* Receives every message the library logs.  msg lives until the callback
 * returns. */
typedef void (*sinspace_log_fn)(void *user_data, sinspace_log_level level,
                                const char *msg);

/* Reports progress of long work: done out of total units of task (total 0
 * when unknown).  Return non-zero to ask the work to stop; it then fails with
 * SINSPACE_INTERRUPTED and writes nothing. */
typedef int (*sinspace_progress_fn)(void *user_data, const char *task,
                                    double done, double total);

typedef struct sinspace_context sinspace_context;

/* Creates a context.  Returns NULL only when memory runs out.  Free with
 * sinspace_context_destroy(). */
SINSPACE_API sinspace_context *sinspace_context_create(void);

/* Frees a context; NULL is harmless.  Stores opened with it must be closed
 * first. */
SINSPACE_API void sinspace_context_destroy(sinspace_context *ctx);

/* The status of the last failure, SINSPACE_OK if none since the last clear. */
SINSPACE_API sinspace_status sinspace_context_status(const sinspace_context *ctx);

/* The message of the last failure ("" if none).  Owned by the context, valid
 * until the next call that fails or sinspace_context_clear(). */
SINSPACE_API const char *sinspace_context_message(const sinspace_context *ctx);

/* Forgets the last failure. */
SINSPACE_API void sinspace_context_clear(sinspace_context *ctx);

SINSPACE_API void sinspace_context_set_logger(sinspace_context *ctx, sinspace_log_fn fn,
                                 void *user_data);
SINSPACE_API void sinspace_context_set_progress(sinspace_context *ctx,
                                   sinspace_progress_fn fn, void *user_data);

/* The name recorded as "user" in the audit table.  Defaults to the login of
 * the process's real user id.  The string is copied. */
SINSPACE_API sinspace_status sinspace_context_set_user(sinspace_context *ctx,
                                          const char *user);
SINSPACE_API const char *sinspace_context_user(const sinspace_context *ctx);

#ifdef __cplusplus
}
#endif
#endif
