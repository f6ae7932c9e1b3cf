/* store.c: opening, creating and closing stores, the SQLite helpers every
 * module runs its statements through, and the summary `sinspace info`
 * prints. */
#include "store/store_int.h"

#include <spatialite.h>

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 60000 /* a writer waits out another writer; a reader
                               * queues its audit row instead (audit.c) */

static pthread_once_t spatialite_once = PTHREAD_ONCE_INIT;

static void
spatialite_init_once(void)
{
    spatialite_initialize();
}

sinspace_status
sinspace__db_error(sinspace_store *store, const char *what)
{
    return sinspace__error(store->ctx, SINSPACE_DATABASE, "%s: %s: %s",
                           store->path, what, sqlite3_errmsg(store->db));
}

sinspace_status
sinspace__prepare(sinspace_store *store, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v2(store->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        return sinspace__db_error(store, "preparing a statement");
    }
    return SINSPACE_OK;
}

void
sinspace__bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

sinspace_status
sinspace__exec(sinspace_store *store, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sinspace_status st = sinspace__error(
            store->ctx, SINSPACE_DATABASE, "%s: %s", store->path,
            msg ? msg : sqlite3_errmsg(store->db));
        sqlite3_free(msg);
        return st;
    }
    return SINSPACE_OK;
}

sinspace_status
sinspace__query_int(sinspace_store *store, const char *sql, long long *out,
                    int n, ...)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store, sql, &stmt);
    if (st)
        return st;
    va_list ap;
    va_start(ap, n);
    for (int i = 1; i <= n; i++)
        sinspace__bind_text(stmt, i, va_arg(ap, const char *));
    va_end(ap);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else if (rc == SQLITE_DONE)
        *out = 0;
    else
        st = sinspace__db_error(store, "querying");
    sqlite3_finalize(stmt);
    return st;
}

sinspace_status
sinspace__begin(sinspace_store *store)
{
    sinspace_status st = sinspace__exec(store, "BEGIN IMMEDIATE");
    if (!st)
        store->in_transaction = 1;
    return st;
}

sinspace_status
sinspace__commit(sinspace_store *store)
{
    /* Every writer carries the audit rows readers queued while it held
     * the lock (audit.c) into its own transaction. */
    sinspace_status st = sinspace__audit_queue_take(store);
    if (!st)
        st = sinspace__exec(store, "COMMIT");
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    store->in_transaction = 0;
    sinspace__audit_queue_release(store, 1);
    return SINSPACE_OK;
}

void
sinspace__rollback(sinspace_store *store)
{
    if (!store->in_transaction)
        return;
    /* Keep the caller's error message: rollback failing is secondary. */
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    store->in_transaction = 0;
    sinspace__audit_queue_release(store, 0); /* the queued rows stay queued */
}

static sinspace_status
store_alloc(sinspace_context *ctx, const char *path, sinspace_store **out)
{
    sinspace_store *store = calloc(1, sizeof *store);
    if (!store || !(store->path = sinspace__strdup(path))) {
        free(store);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    store->ctx = ctx;
    store->engine = &sinspace__spatialite_engine;
    *out = store;
    return SINSPACE_OK;
}

/* Opens the SQLite connection and loads SpatiaLite into it. */
static sinspace_status
store_connect(sinspace_store *store, int flags)
{
    pthread_once(&spatialite_once, spatialite_init_once);
    /* A store belongs to its context, used by one thread at a time
     * (sinspace/context.h), so the connection needs no mutex of its own:
     * SQLite's serialized mode locked one for every call, 5% of an export. */
    flags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(store->path, &store->db, flags, NULL) != SQLITE_OK) {
        sinspace_status st = sinspace__error(
            store->ctx, SINSPACE_IO, "%s: cannot open: %s", store->path,
            store->db ? sqlite3_errmsg(store->db) : "out of memory");
        return st;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
    store->spatialite_cache = spatialite_alloc_connection();
    if (!store->spatialite_cache)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY,
                               "out of memory starting SpatiaLite");
    spatialite_init_ex(store->db, store->spatialite_cache, 0);
    /* An 8 MiB page cache keeps readers (exports, queries) small whatever
     * the table size; imports raise it for their transaction.  NORMAL sync
     * is safe against crashes in WAL mode (a power cut may lose the last
     * commits, never consistency). */
    sinspace_status st = sinspace__exec(store, "PRAGMA foreign_keys = ON;"
                                              " PRAGMA cache_size = -8192;"
                                              " PRAGMA synchronous = NORMAL;"
                                              " PRAGMA temp_store = MEMORY");
    if (st && sqlite3_errcode(store->db) == SQLITE_NOTADB)
        return sinspace__error(store->ctx, SINSPACE_SCHEMA,
                               "%s: not a SQLite database", store->path);
    return st;
}

void
sinspace_store_close(sinspace_store *store)
{
    if (!store)
        return;
    sinspace__rollback(store);
    if (store->db)
        sqlite3_close_v2(store->db);
    if (store->spatialite_cache)
        spatialite_cleanup_ex(store->spatialite_cache);
    free(store->path);
    free(store);
}

sinspace_status
sinspace_store_create(sinspace_context *ctx, const char *path,
                      sinspace_store **out)
{
    if (!ctx || !path || !*path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "store_create: path and out are required");
    /* Create the file ourselves, exclusively and private: SQLite would
     * honour the umask, and the WAL and shared-memory files it makes later
     * copy the database file's mode. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sinspace__error(ctx, SINSPACE_IO, "%s: cannot create: %s", path,
                               errno == EEXIST ? "file exists" : strerror(errno));
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return sinspace__error(ctx, SINSPACE_IO, "%s: cannot set mode 0600: %s",
                               path, strerror(e));
    }
    close(fd);

    sinspace_store *store = NULL;
    sinspace_status st = store_alloc(ctx, path, &store);
    if (st) {
        unlink(path);
        return st;
    }
    store->writable = 1;
    st = store_connect(store, SQLITE_OPEN_READWRITE);
    if (!st)
        st = sinspace__exec(store, "PRAGMA journal_mode = WAL");
    if (!st)
        st = sinspace__schema_create(store);
    if (st) {
        sinspace_store_close(store);
        unlink(path);
        char side[4096];
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
        return st;
    }
    store->schema_version = SINSPACE_SCHEMA_VERSION;
    *out = store;
    return SINSPACE_OK;
}

sinspace_status
sinspace_store_open(sinspace_context *ctx, const char *path,
                    sinspace_open_flags flags, sinspace_store **out)
{
    if (!ctx || !path || !*path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "store_open: path and out are required");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sinspace__error(ctx, errno == ENOENT ? SINSPACE_NOT_FOUND : SINSPACE_IO,
                               "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return sinspace__error(ctx, SINSPACE_IO, "%s: not a regular file", path);
    if (sb.st_mode & (S_IWGRP | S_IWOTH))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: refusing a database that group or others can "
                               "write (mode %04o); run: chmod 600 %s",
                               path, (unsigned)(sb.st_mode & 07777), path);

    sinspace_store *store = NULL;
    sinspace_status st = store_alloc(ctx, path, &store);
    if (st)
        return st;
    store->writable = (flags & SINSPACE_OPEN_READWRITE) != 0;
    st = store_connect(store, store->writable ? SQLITE_OPEN_READWRITE
                                              : SQLITE_OPEN_READONLY);
    if (!st)
        st = sinspace__schema_check(store);
    if (st) {
        sinspace_store_close(store);
        return st;
    }
    *out = store;
    return SINSPACE_OK;
}

sinspace_context *
sinspace_store_context(const sinspace_store *store)
{
    return store ? store->ctx : NULL;
}

const char *
sinspace_store_path(const sinspace_store *store)
{
    return store ? store->path : NULL;
}

int
sinspace_store_schema_version(const sinspace_store *store)
{
    return store ? store->schema_version : 0;
}

static const char *const level_names[] = {
    "country", "province", "district", "subdistrict", "village"};

sinspace_area_level
sinspace_area_level_parse(const char *name)
{
    if (!name)
        return SINSPACE_LEVEL_INVALID;
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, level_names[i]))
            return (sinspace_area_level)i;
    if (!strcmp(name, "sub-district") || !strcmp(name, "tambon"))
        return SINSPACE_LEVEL_SUBDISTRICT;
    if (!strcmp(name, "amphoe") || !strcmp(name, "khet"))
        return SINSPACE_LEVEL_DISTRICT;
    if (!strcmp(name, "changwat"))
        return SINSPACE_LEVEL_PROVINCE;
    return SINSPACE_LEVEL_INVALID;
}

const char *
sinspace_area_level_name(sinspace_area_level level)
{
    if (level < SINSPACE_LEVEL_COUNTRY || level > SINSPACE_LEVEL_VILLAGE)
        return NULL;
    return level_names[level];
}

static sinspace_status
count_into(sinspace_store *store, const char *sql, long long *out)
{
    return sinspace__query_int(store, sql, out, 0);
}

sinspace_status
sinspace_store_info_get(sinspace_store *store, sinspace_store_info *out)
{
    if (!store || !out)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT, "info: no store");
    sinspace_store_info info;
    memset(&info, 0, sizeof info);
    info.schema_version = store->schema_version;
    sinspace_status st;
    if ((st = count_into(store, "SELECT count(*) FROM workplaces", &info.workplaces)) ||
        (st = count_into(store, "SELECT count(*) FROM observations", &info.observations)) ||
        (st = count_into(store, "SELECT count(*) FROM areas", &info.areas)) ||
        (st = count_into(store, "SELECT count(*) FROM tiles", &info.tiles)) ||
        (st = count_into(store, "SELECT count(*) FROM fences", &info.fences)) ||
        (st = count_into(store, "SELECT count(*) FROM zones", &info.zones)) ||
        (st = count_into(store, "SELECT count(*) FROM audit", &info.audit_entries)))
        return st;

    sqlite3_stmt *stmt;
    if ((st = sinspace__prepare(store,
            "SELECT level_rank, count(*) FROM areas GROUP BY level_rank", &stmt)))
        return st;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        int r = sqlite3_column_int(stmt, 0);
        if (r >= 0 && r < 5)
            info.areas_by_level[r] = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);

    if ((st = sinspace__prepare(store,
            "SELECT coalesce(risk_class, ''), count(*) FROM workplaces GROUP BY 1",
            &stmt)))
        return st;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        sinspace_risk_class c =
            sinspace_risk_class_parse((const char *)sqlite3_column_text(stmt, 0));
        info.by_class[c] += sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);

    /* The extent from the R*Trees: no geometry is decoded. */
    if ((st = sinspace__prepare(store,
            "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM ("
            " SELECT xmin, ymin, xmax, ymax FROM idx_workplaces_geom"
            " UNION ALL SELECT xmin, ymin, xmax, ymax FROM idx_areas_geom)",
            &stmt)))
        return st;
    if (sqlite3_step(stmt) == SQLITE_ROW &&
        sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
        info.has_extent = 1;
        info.min_lon = sqlite3_column_double(stmt, 0);
        info.min_lat = sqlite3_column_double(stmt, 1);
        info.max_lon = sqlite3_column_double(stmt, 2);
        info.max_lat = sqlite3_column_double(stmt, 3);
    }
    sqlite3_finalize(stmt);

    if ((st = sinspace__prepare(store,
            "SELECT min(observed), max(observed) FROM observations", &stmt)))
        return st;
    if (sqlite3_step(stmt) == SQLITE_ROW &&
        sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
        snprintf(info.first_observed, sizeof info.first_observed, "%s",
                 (const char *)sqlite3_column_text(stmt, 0));
        snprintf(info.last_observed, sizeof info.last_observed, "%s",
                 (const char *)sqlite3_column_text(stmt, 1));
    }
    sqlite3_finalize(stmt);

    if ((st = sinspace__prepare(store,
            "SELECT value FROM sinspace_meta WHERE key = 'created'", &stmt)))
        return st;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        snprintf(info.created, sizeof info.created, "%s",
                 (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    *out = info;
    return SINSPACE_OK;
}

static const char *
geometry_type_name(int code)
{
    switch (code % 1000) {
    case 1: return "POINT";
    case 2: return "LINESTRING";
    case 3: return "POLYGON";
    case 4: return "MULTIPOINT";
    case 5: return "MULTILINESTRING";
    case 6: return "MULTIPOLYGON";
    case 7: return "GEOMETRYCOLLECTION";
    default: return "GEOMETRY";
    }
}

sinspace_status
sinspace_store_layers(sinspace_store *store,
                      int (*fn)(void *, const sinspace_layer_desc *),
                      void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT, "layers: no store");
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT f_table_name, f_geometry_column, geometry_type, srid, 0"
        " FROM geometry_columns"
        " UNION ALL"
        " SELECT v.view_name, v.view_geometry, g.geometry_type, g.srid, 1"
        " FROM views_geometry_columns AS v JOIN geometry_columns AS g"
        "  ON g.f_table_name = v.f_table_name"
        "  AND g.f_geometry_column = v.f_geometry_column"
        " ORDER BY 5, 1, 2", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_layer_desc d;
        d.name = (const char *)sqlite3_column_text(stmt, 0);
        d.geometry_column = (const char *)sqlite3_column_text(stmt, 1);
        d.geometry_type = geometry_type_name(sqlite3_column_int(stmt, 2));
        d.srid = sqlite3_column_int(stmt, 3);
        d.is_view = sqlite3_column_int(stmt, 4);
        d.features = -1;
        /* Table and column names come from the store's own metadata; quote
         * them as identifiers all the same.  A table with two geometry
         * columns is two layers: each counts the rows that have its one. */
        char *sql = sqlite3_mprintf("SELECT count(\"%w\") FROM \"%w\"",
                                    d.geometry_column, d.name);
        if (sql) {
            long long n = 0;
            if (sinspace__query_int(store, sql, &n, 0) == SINSPACE_OK)
                d.features = n;
            sqlite3_free(sql);
        }
        if (fn(user_data, &d))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "listing layers");
}

sinspace_status
sinspace_store_sectors(sinspace_store *store,
                       int (*fn)(void *, const sinspace_sector_desc *),
                       void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT, "sectors: no store");
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT s.code, s.label_en, s.label_th, s.description,"
        " (SELECT count(*) FROM workplaces AS w WHERE w.sector = s.code)"
        " FROM sectors AS s ORDER BY s.rowid", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_sector_desc d;
        d.code = (const char *)sqlite3_column_text(stmt, 0);
        d.label_en = (const char *)sqlite3_column_text(stmt, 1);
        d.label_th = (const char *)sqlite3_column_text(stmt, 2);
        d.description = (const char *)sqlite3_column_text(stmt, 3);
        d.workplaces = sqlite3_column_int64(stmt, 4);
        if (fn(user_data, &d))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "listing sectors");
}

sinspace_status
sinspace_store_indicators(sinspace_store *store,
                          int (*fn)(void *, const sinspace_indicator_desc *),
                          void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT, "indicators: no store");
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT position, code, name, domain, weight, description"
        " FROM indicators ORDER BY position", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_indicator_desc d;
        d.position = sqlite3_column_int(stmt, 0);
        d.code = (const char *)sqlite3_column_text(stmt, 1);
        d.name = (const char *)sqlite3_column_text(stmt, 2);
        d.domain = (const char *)sqlite3_column_text(stmt, 3);
        d.weight = sqlite3_column_double(stmt, 4);
        d.description = (const char *)sqlite3_column_text(stmt, 5);
        if (fn(user_data, &d))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "listing indicators");
}

sinspace_status
sinspace__stmt_finish(sinspace_store *store, sqlite3_stmt *stmt, int rc,
                      const char *what)
{
    sinspace_status st = rc == SQLITE_DONE || rc == SQLITE_ROW
                             ? SINSPACE_OK : sinspace__db_error(store, what);
    sqlite3_finalize(stmt);
    return st;
}

int
sinspace__store_writable(const sinspace_store *store)
{
    return store && store->writable;
}
