/* sinspaceInt.h: what the library's modules share and users never see.
 *
 * The context and store structs, the one error funnel (_sinspace_error),
 * logging and progress helpers, and the SQLite helpers every module uses to
 * run statements with bound parameters. */
#ifndef SINSPACE_INT_H
#define SINSPACE_INT_H

#include <sinspace/sinspace.h>

#include <geos_c.h>
#include <proj.h>
#include <sqlite3.h>
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

struct sinspace_store {
    sinspace_context *ctx;
    sqlite3 *db;
    void *spatialite_cache;
    char *path;
    int writable;
    int schema_version;
    int in_transaction;
};

/* The funnel every failure goes through: keeps status and message on the
 * context and returns status, so detecting code writes
 *     return _sinspace_error(ctx, SINSPACE_IO, "%s: %s", path, strerror(e));
 * and callers only propagate.  Break here to catch every error. */
sinspace_status _sinspace_error(sinspace_context *ctx, sinspace_status status,
                                const char *fmt, ...) SINSPACE_PRINTF(3, 4);

/* As above, with SQLite's own message appended. */
sinspace_status _sinspace_db_error(sinspace_store *store, const char *what);

void _sinspace_log(sinspace_context *ctx, sinspace_log_level level,
                   const char *fmt, ...) SINSPACE_PRINTF(3, 4);

/* Reports progress; returns SINSPACE_INTERRUPTED (already set as the error)
 * when the callback asks to stop. */
sinspace_status _sinspace_progress(sinspace_context *ctx, const char *task,
                                   double done, double total);

/* Copies GDAL's last error into the context. */
sinspace_status _sinspace_gdal_error(sinspace_context *ctx,
                                     sinspace_status status, const char *what);

/* Current UTC time as ISO 8601 (YYYY-MM-DDTHH:MM:SSZ), in buf[32]. */
void _sinspace_now_iso(char buf[32]);

/* Statements.  prepare logs the failure into the context.  Binding helpers
 * bind NULL for a NULL string. */
sinspace_status _sinspace_prepare(sinspace_store *store, const char *sql,
                                  sqlite3_stmt **out);
void _sinspace_bind_text(sqlite3_stmt *stmt, int index, const char *text);
/* Runs SQL with no parameters and no rows (DDL, BEGIN, ...). */
sinspace_status _sinspace_exec(sinspace_store *store, const char *sql);
/* Runs a query with one integer result, e.g. SELECT count(*); params are
 * bound as text, n of them. */
sinspace_status _sinspace_query_int(sinspace_store *store, const char *sql,
                                    long long *out, int n, ...);

/* Transactions: begin immediate (takes the write lock at once), commit,
 * rollback.  Not nested. */
sinspace_status _sinspace_begin(sinspace_store *store);
sinspace_status _sinspace_commit(sinspace_store *store);
void _sinspace_rollback(sinspace_store *store);

/* Schema (schema.c). */
sinspace_status _sinspace_schema_create(sinspace_store *store);
sinspace_status _sinspace_schema_check(sinspace_store *store);

/* Loads the indicator weights, indexed by position - 1. */
sinspace_status _sinspace_indicator_weights(sinspace_store *store,
                                            double weights[SINSPACE_INDICATORS]);

/* Recomputes each workplace's current risk and class from its latest
 * observation, for the workplaces touched by the given import batch (or all
 * when batch < 0). */
sinspace_status _sinspace_refresh_risk(sinspace_store *store, long long batch);

/* A point for _sinspace_rtree_pack. */
typedef struct sinspace_rtree_point {
    long long id;
    double x, y;
} sinspace_rtree_point;

/* Fills table, an empty 2-D SQLite R*Tree (pkid, xmin, xmax, ymin, ymax),
 * with the points, packed Sort-Tile-Recursive (rtree_load.c).  table is a
 * fixed internal name, never input.  Inside the caller's transaction. */
sinspace_status _sinspace_rtree_pack(sinspace_store *store, const char *table,
                                     const sinspace_rtree_point *pts, size_t n);

/* Recomputes which areas contain which workplaces (area_members) and each
 * workplace's finest area code, for all workplaces. */
sinspace_status _sinspace_refresh_areas(sinspace_store *store);

/* Writes an audit row inside the current transaction. */
sinspace_status _sinspace_audit_write(sinspace_store *store,
                                      const sinspace_audit_entry *entry);

/* Duplicates a string; NULL for NULL.  Sets SINSPACE_NO_MEMORY on failure. */
char *_sinspace_strdup(const char *s);

#endif
