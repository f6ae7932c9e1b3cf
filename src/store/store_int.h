/* store_int.h: the SpatiaLite engine's internals, for store/ alone.
 *
 * The store struct, the SQLite statement helpers every store file uses to
 * run statements with bound parameters, schema, risk and area refreshes, the
 * R*Tree loader and the audit writer.  Nothing outside store/ includes this
 * file (the tree test "sql-in-store" checks): the rest of the library reaches
 * the store through store/store.h and the engine's table of operations. */
#ifndef SINSPACE_STORE_INT_H
#define SINSPACE_STORE_INT_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <sqlite3.h>

struct sinspace_store {
    const sinspace_engine *engine; /* the table of operations */
    sinspace_context *ctx;
    sqlite3 *db;
    void *spatialite_cache;
    char *path;
    int writable;
    int schema_version;
    int in_transaction;
    int queue_fd; /* the audit queue, held from flush to COMMIT (audit.c) */
};

/* As above, with SQLite's own message appended. */
sinspace_status sinspace__db_error(sinspace_store *store, const char *what);

/* Statements.  prepare logs the failure into the context.  Binding helpers
 * bind NULL for a NULL string. */
sinspace_status sinspace__prepare(sinspace_store *store, const char *sql,
                                  sqlite3_stmt **out);
void sinspace__bind_text(sqlite3_stmt *stmt, int index, const char *text);
/* Ends a stepped statement and finalizes it: rc is the last sqlite3_step
 * result.  SQLITE_DONE (all rows read) and SQLITE_ROW (the row callback
 * stopped early) are success; anything else is reported as "WHAT: SQLite's
 * message". */
sinspace_status sinspace__stmt_finish(sinspace_store *store, sqlite3_stmt *stmt,
                                      int rc, const char *what);
/* Runs SQL with no parameters and no rows (DDL, BEGIN, ...). */
sinspace_status sinspace__exec(sinspace_store *store, const char *sql);
/* Runs a query with one integer result, e.g. SELECT count(*); params are
 * bound as text, n of them. */
sinspace_status sinspace__query_int(sinspace_store *store, const char *sql,
                                    long long *out, int n, ...);

/* Transactions: begin immediate (takes the write lock at once), commit,
 * rollback.  Not nested. */
sinspace_status sinspace__begin(sinspace_store *store);
sinspace_status sinspace__commit(sinspace_store *store);
void sinspace__rollback(sinspace_store *store);

/* Schema (schema.c). */
sinspace_status sinspace__schema_create(sinspace_store *store);
sinspace_status sinspace__schema_check(sinspace_store *store);

/* Loads the indicator weights, indexed by position - 1. */
sinspace_status sinspace__indicator_weights(sinspace_store *store,
                                            double weights[SINSPACE_INDICATORS]);

/* Recomputes each workplace's current risk and class from its latest
 * observation, for the workplaces touched by the given import batch (or all
 * when batch < 0). */
sinspace_status sinspace__refresh_risk(sinspace_store *store, long long batch);

/* A point for sinspace__rtree_pack. */
typedef struct sinspace_rtree_point {
    long long id;
    double x, y;
} sinspace_rtree_point;

/* Fills table, an empty 2-D SQLite R*Tree (pkid, xmin, xmax, ymin, ymax),
 * with the points, packed Sort-Tile-Recursive (rtree_load.c).  table is a
 * fixed internal name, never input.  Inside the caller's transaction. */
sinspace_status sinspace__rtree_pack(sinspace_store *store, const char *table,
                                     const sinspace_rtree_point *pts, size_t n);

/* Recomputes which areas contain which workplaces (area_members) and each
 * workplace's finest area code, for all workplaces. */
sinspace_status sinspace__refresh_areas(sinspace_store *store);

/* Writes an audit row inside the current transaction. */
sinspace_status sinspace__audit_write(sinspace_store *store,
                                      const sinspace_audit_entry *entry);

/* The audit queue (audit.c): rows a reader could not write while another
 * command held the write lock.  take moves them into the audit table inside
 * the current transaction and keeps the queue locked; release empties it
 * once the COMMIT succeeded (committed != 0) and unlocks it.  Called by
 * sinspace__commit and sinspace__rollback. */
sinspace_status sinspace__audit_queue_take(sinspace_store *store);
void sinspace__audit_queue_release(sinspace_store *store, int committed);

#endif
