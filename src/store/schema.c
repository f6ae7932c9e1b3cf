/* schema.c: the tables of a sinspace store, its catalogues and layers, and
 * the schema version check (with the place for migrations).
 *
 * Geometry columns are made through SpatiaLite's own AddGeometryColumn and
 * CreateSpatialIndex, so geometry_columns, the R*Trees and their triggers
 * are exactly what QGIS and OGR expect of a SpatiaLite 5 file. */
#include "store/store_int.h"
#include "core/csv.h"
#include "core/embedded.h"

#include <stdlib.h>
#include <string.h>

/* CHECKs spell out OR chains rather than IN lists of three or more
 * values: SQLite builds an ephemeral index for such a list on every row it
 * checks, which was a quarter of an import's instructions. */
static const char *const schema_sql[] = {
    "CREATE TABLE sinspace_meta ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT)",

    "CREATE TABLE sinspace_layers ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " title TEXT NOT NULL,"
    " geometry_type TEXT NOT NULL,"
    " style TEXT,"
    " description TEXT)",

    "CREATE TABLE sectors ("
    " code TEXT PRIMARY KEY NOT NULL CHECK (code GLOB '[a-z]*' AND code NOT GLOB '*[^a-z_]*'),"
    " label_en TEXT NOT NULL,"
    " label_th TEXT NOT NULL,"
    " description TEXT)",

    "CREATE TABLE indicators ("
    " position INTEGER PRIMARY KEY CHECK (position BETWEEN 1 AND 28),"
    " code TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " domain TEXT NOT NULL,"
    " weight REAL NOT NULL CHECK (weight > 0),"
    " description TEXT)",

    "CREATE TABLE imports ("
    " id INTEGER PRIMARY KEY,"
    " at TEXT NOT NULL,"
    " user TEXT NOT NULL,"
    " file TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " rows INTEGER)",

    "CREATE TABLE areas ("
    " id INTEGER PRIMARY KEY,"
    " code TEXT NOT NULL UNIQUE,"
    " parent_code TEXT,"
    " level TEXT NOT NULL CHECK (level = 'country' OR level = 'province' OR level = 'district' OR level = 'subdistrict' OR level = 'village'),"
    " level_rank INTEGER NOT NULL CHECK (level_rank BETWEEN 0 AND 4),"
    " name_local TEXT,"
    " name_latin TEXT,"
    " area_km2 REAL,"
    " source TEXT)",
    "SELECT AddGeometryColumn('areas', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1)",
    "SELECT CreateSpatialIndex('areas', 'geom')",
    "CREATE INDEX areas_parent ON areas(parent_code)",
    "CREATE INDEX areas_level ON areas(level_rank)",
    "CREATE INDEX areas_name_latin ON areas(name_latin COLLATE NOCASE)",
    "CREATE INDEX areas_name_local ON areas(name_local)",

    "CREATE TABLE workplaces ("
    " id INTEGER PRIMARY KEY,"
    " ext_id TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " name_local TEXT,"
    " sector TEXT NOT NULL REFERENCES sectors(code),"
    " address TEXT,"
    " area_code TEXT,"
    " source_type TEXT CHECK (source_type IN ('primary','secondary')),"
    " source_note TEXT,"
    " status TEXT NOT NULL DEFAULT 'unknown' CHECK (status = 'active' OR status = 'closed' OR status = 'unknown'),"
    " first_seen TEXT,"
    " last_seen TEXT,"
    " risk REAL CHECK (risk IS NULL OR risk BETWEEN 1.0 AND 3.0),"
    " risk_class TEXT CHECK (risk_class = 'low' OR risk_class = 'medium' OR risk_class = 'high'),"
    " updated TEXT NOT NULL)",
    "SELECT AddGeometryColumn('workplaces', 'geom', 4326, 'POINT', 'XY', 1)",
    "SELECT AddGeometryColumn('workplaces', 'footprint', 4326, 'MULTIPOLYGON', 'XY')",
    "SELECT CreateSpatialIndex('workplaces', 'geom')",
    "SELECT CreateSpatialIndex('workplaces', 'footprint')",
    "CREATE INDEX workplaces_by_sector ON workplaces(sector)",
    "CREATE INDEX workplaces_by_area ON workplaces(area_code)",
    "CREATE INDEX workplaces_by_risk ON workplaces(risk)",

    "CREATE TABLE area_members ("
    " area_id INTEGER NOT NULL REFERENCES areas(id) ON DELETE CASCADE,"
    " workplace_id INTEGER NOT NULL REFERENCES workplaces(id) ON DELETE CASCADE,"
    " PRIMARY KEY (area_id, workplace_id)) WITHOUT ROWID",
    "CREATE INDEX area_members_workplace ON area_members(workplace_id)",

    "CREATE TABLE observations ("
    " id INTEGER PRIMARY KEY,"
    " workplace_id INTEGER NOT NULL REFERENCES workplaces(id) ON DELETE CASCADE,"
    " observed TEXT NOT NULL,"
    " risk REAL NOT NULL CHECK (risk BETWEEN 1.0 AND 3.0),"
    " scored INTEGER NOT NULL DEFAULT 0,"
    " source_type TEXT CHECK (source_type IN ('primary','secondary')),"
    " source_note TEXT,"
    " observer TEXT,"
    " import_id INTEGER REFERENCES imports(id),"
    " i01 INTEGER, i02 INTEGER, i03 INTEGER, i04 INTEGER, i05 INTEGER,"
    " i06 INTEGER, i07 INTEGER, i08 INTEGER, i09 INTEGER, i10 INTEGER,"
    " i11 INTEGER, i12 INTEGER, i13 INTEGER, i14 INTEGER, i15 INTEGER,"
    " i16 INTEGER, i17 INTEGER, i18 INTEGER, i19 INTEGER, i20 INTEGER,"
    " i21 INTEGER, i22 INTEGER, i23 INTEGER, i24 INTEGER, i25 INTEGER,"
    " i26 INTEGER, i27 INTEGER, i28 INTEGER,"
    " UNIQUE (workplace_id, observed))",
    "CREATE INDEX observations_import ON observations(import_id)",
    "CREATE INDEX observations_date ON observations(observed)",

    "CREATE TABLE tiles ("
    " id INTEGER PRIMARY KEY,"
    " path TEXT NOT NULL UNIQUE,"
    " driver TEXT,"
    " crs TEXT,"
    " width INTEGER, height INTEGER, bands INTEGER,"
    " pixel_size REAL,"
    " pixel_size_m REAL,"
    " acquired TEXT,"
    " source TEXT,"
    " attribution TEXT,"
    " added TEXT NOT NULL)",
    "SELECT AddGeometryColumn('tiles', 'footprint', 4326, 'MULTIPOLYGON', 'XY', 1)",
    "SELECT CreateSpatialIndex('tiles', 'footprint')",

    "CREATE TABLE fences ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " description TEXT,"
    " added_by TEXT NOT NULL,"
    " added_at TEXT NOT NULL)",
    "SELECT AddGeometryColumn('fences', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1)",
    "SELECT CreateSpatialIndex('fences', 'geom')",

    "CREATE TABLE zones ("
    " id INTEGER PRIMARY KEY,"
    " computed_at TEXT NOT NULL,"
    " params TEXT,"
    " workplaces INTEGER NOT NULL,"
    " mean_risk REAL,"
    " max_risk REAL,"
    " peak_density REAL,"
    " sectors TEXT)",
    "SELECT AddGeometryColumn('zones', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1)",
    "SELECT CreateSpatialIndex('zones', 'geom')",

    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at TEXT NOT NULL,"
    " user TEXT NOT NULL,"
    " command TEXT NOT NULL,"
    " target TEXT,"
    " audience TEXT,"
    " filters TEXT,"
    " rows INTEGER)",
    "CREATE INDEX audit_at ON audit(at)",
    NULL};

/* The network (issue 20): responders, the role and expertise catalogues
 * (extendable as sectors are: rows of their own table), and the sealed key
 * check.  Run after schema_sql when a store is created and as the
 * migration from version 1 to 2.  Contact fields are BLOBs sealed with
 * AES-256-GCM above the store (core/secret.h): the file never holds them
 * in clear.  Lists (expertise, languages, areas) are ';'-separated codes. */
static const char *const network_ddl[] = {
    "CREATE TABLE responder_roles ("
    " code TEXT PRIMARY KEY NOT NULL CHECK (code GLOB '[a-z]*' AND code NOT GLOB '*[^a-z_]*'),"
    " label TEXT NOT NULL)",
    "INSERT INTO responder_roles(code, label) VALUES"
    " ('police', 'Police'), ('social_worker', 'Social worker'),"
    " ('labour_inspector', 'Labour inspector'), ('health', 'Health worker'),"
    " ('ngo_outreach', 'NGO outreach'), ('volunteer', 'Community or watchdog volunteer'),"
    " ('interpreter', 'Interpreter'), ('prosecutor', 'Prosecutor')",
    "CREATE TABLE responder_expertise ("
    " code TEXT PRIMARY KEY NOT NULL CHECK (code GLOB '[a-z]*' AND code NOT GLOB '*[^a-z_]*'),"
    " label TEXT NOT NULL)",
    "INSERT INTO responder_expertise(code, label) VALUES"
    " ('fishing', 'Fishing and seafood'), ('labour', 'Labour exploitation'),"
    " ('trafficking', 'Human trafficking'), ('child_protection', 'Child protection'),"
    " ('sexual_exploitation', 'Sexual exploitation'), ('domestic_work', 'Domestic work'),"
    " ('construction', 'Construction'), ('agriculture', 'Agriculture'),"
    " ('manufacturing', 'Factories'), ('migration', 'Migrant workers'),"
    " ('health', 'Health'), ('legal', 'Legal aid')",
    "CREATE TABLE responders ("
    " id INTEGER PRIMARY KEY,"
    " ext_id TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " agency TEXT,"
    " role TEXT NOT NULL REFERENCES responder_roles(code),"
    " expertise TEXT,"
    " languages TEXT,"
    " areas TEXT,"
    " phone BLOB,"
    " email BLOB,"
    " contact BLOB,"
    " radius_m REAL CHECK (radius_m IS NULL OR radius_m > 0),"
    " availability TEXT,"
    " active INTEGER NOT NULL DEFAULT 1 CHECK (active = 0 OR active = 1),"
    " verified TEXT,"
    " updated TEXT NOT NULL)",
    "SELECT AddGeometryColumn('responders', 'base', 4326, 'POINT', 'XY')",
    "SELECT AddGeometryColumn('responders', 'coverage', 4326, 'MULTIPOLYGON', 'XY')",
    "CREATE INDEX responders_role ON responders(role)",
    "CREATE TABLE network_meta ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value BLOB)",
    NULL};

/* The imagery catalogue's services and fetched packages (issue 19): one
 * row per catalogued tile that is a tile service (XYZ, TMS, WMTS, WMS or a
 * GDAL description file) or a package fetched from one.  The tile itself
 * (footprint, pixel size, attribution) stays in `tiles`.  headers holds
 * what `--header` gave (an API key, say): the store is private already;
 * nothing prints it.  Created with a store and as the migration 1 -> 2. */
static const char *const tiles_ddl[] = {
    "CREATE TABLE tile_services ("
    " tile_id INTEGER PRIMARY KEY NOT NULL REFERENCES tiles(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind = 'xyz' OR kind = 'tms' OR kind = 'wmts'"
    "  OR kind = 'wms' OR kind = 'gdal' OR kind = 'package'),"
    " url TEXT NOT NULL,"
    " min_zoom INTEGER,"
    " max_zoom INTEGER,"
    " headers TEXT,"
    " service_id INTEGER,"
    " zoom INTEGER)",
    NULL};

/* Runs a NULL-terminated list of DDL statements; SpatiaLite's SELECT
 * functions (AddGeometryColumn...) say they failed by returning 0. */
static sinspace_status
run_ddl(sinspace_store *store, const char *const *sql)
{
    sinspace_status st = SINSPACE_OK;
    for (int i = 0; !st && sql[i]; i++) {
        sqlite3_stmt *stmt;
        st = sinspace__prepare(store, sql[i], &stmt);
        if (st)
            break;
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_INTEGER &&
            sqlite3_column_int(stmt, 0) == 0 && !strncmp(sql[i], "SELECT", 6))
            st = sinspace__error(store->ctx, SINSPACE_DATABASE,
                                 "%s: SpatiaLite refused: %s", store->path, sql[i]);
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            st = sinspace__db_error(store, "creating the schema");
        sqlite3_finalize(stmt);
    }
    return st;
}

/* Reads an embedded CSV catalogue into a table, every value bound. */
static sinspace_status
seed_csv(sinspace_store *store, const char *name, const char *insert_sql,
         size_t n_columns)
{
    const struct sinspace_embedded *e;
    for (e = sinspace__embedded; e->name; e++)
        if (!strcmp(e->name, name))
            break;
    if (!e->name)
        return sinspace__error(store->ctx, SINSPACE_ERROR,
                               "built-in catalogue %s is missing", name);
    sinspace_csv *csv = sinspace__csv_open_memory(e->data, e->size);
    if (!csv)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    sqlite3_stmt *stmt = NULL;
    sinspace_status st = sinspace__prepare(store, insert_sql, &stmt);
    char **fields;
    size_t n;
    long line;
    char err[256];
    int rc, header = 1;
    while (!st && (rc = sinspace__csv_next(csv, &fields, &n, &line, err,
                                           sizeof err)) != 0) {
        if (rc < 0 || n != n_columns) {
            st = sinspace__error(store->ctx, SINSPACE_ERROR,
                                 "built-in %s:%ld: %s", name, line,
                                 rc < 0 ? err : "wrong number of fields");
            break;
        }
        if (header) {
            header = 0;
            continue;
        }
        sqlite3_reset(stmt);
        for (size_t i = 0; i < n; i++)
            sinspace__bind_text(stmt, (int)i + 1, fields[i]);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = sinspace__db_error(store, name);
    }
    sqlite3_finalize(stmt);
    sinspace__csv_close(csv);
    return st;
}

/* Version 2, hot-spot zones (issue 16): named zone runs (date, method,
 * parameters) and which zones each run made, with each zone's high-risk
 * share and mean Gi* z.  The zones table itself is unchanged.  Run when a
 * store is created and as the migration 1 -> 2. */
static const char *const hotspot_ddl[] = {
    "CREATE TABLE zone_runs ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " computed_at TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " params TEXT NOT NULL,"
    " region TEXT,"
    " zones INTEGER NOT NULL,"
    " workplaces INTEGER NOT NULL)",
    "CREATE TABLE zone_run_zones ("
    " zone_id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES zone_runs(id) ON DELETE CASCADE,"
    " high_share REAL,"
    " mean_z REAL)",
    "CREATE INDEX zone_run_zones_run ON zone_run_zones(run_id)",
    /* Emerging hot-spot runs and each workplace's category in them (the
     * sinspace_emerging_category number), for query --hotspot and the
     * atlas; the latest run (highest id) is the one they read. */
    "CREATE TABLE emerging_runs ("
    " id INTEGER PRIMARY KEY,"
    " computed_at TEXT NOT NULL,"
    " step TEXT NOT NULL,"
    " band_m REAL NOT NULL,"
    " region TEXT,"
    " first_step TEXT,"
    " last_step TEXT,"
    " workplaces INTEGER NOT NULL)",
    "CREATE TABLE emerging_categories ("
    " run_id INTEGER NOT NULL REFERENCES emerging_runs(id) ON DELETE CASCADE,"
    " workplace_id INTEGER NOT NULL,"
    " category INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, workplace_id))",
    NULL};

/* Version 2's tables: each domain's own list, run in this order both when a
 * store is created and as the migration 1 -> 2. */
static const char *const *const v2_parts[] = {network_ddl, tiles_ddl, hotspot_ddl,
                                              NULL};

sinspace_status
sinspace__schema_create(sinspace_store *store)
{
    sinspace_status st = sinspace__exec(store, "BEGIN");
    if (st)
        return st;
    store->in_transaction = 1;
    /* The full EPSG table: tiles and maps need the UTM zones. */
    st = sinspace__exec(store, "SELECT InitSpatialMetadata(0)");
    if (!st)
        st = run_ddl(store, schema_sql);
    /* The version-2 tables follow version 1's, as the migration adds them. */
    for (int part = 0; !st && v2_parts[part]; part++)
        st = run_ddl(store, v2_parts[part]);
    if (!st)
        st = seed_csv(store, "sectors.csv",
                      "INSERT INTO sectors(code, label_en, label_th, description)"
                      " VALUES (?1, ?2, ?3, ?4)", 4);
    if (!st)
        st = seed_csv(store, "indicators.csv",
                      "INSERT INTO indicators(position, code, name, domain,"
                      " weight, description) VALUES (CAST(?1 AS INTEGER), ?2, ?3,"
                      " ?4, CAST(?5 AS REAL), ?6)", 6);
    /* The layers: every .sql file of layers/, in name order. */
    for (const struct sinspace_embedded *e = sinspace__embedded; !st && e->name; e++) {
        size_t len = strlen(e->name);
        if (len > 4 && !strcmp(e->name + len - 4, ".sql"))
            st = sinspace__exec(store, e->data);
    }
    if (!st) {
        char now[32], version[16];
        sinspace__now_iso(now);
        snprintf(version, sizeof version, "%d", SINSPACE_SCHEMA_VERSION);
        sqlite3_stmt *stmt;
        st = sinspace__prepare(store,
            "INSERT INTO sinspace_meta(key, value) VALUES"
            " ('application', 'sinspace'), ('schema_version', ?1),"
            " ('created', ?2), ('created_by', ?3)", &stmt);
        if (!st) {
            sinspace__bind_text(stmt, 1, version);
            sinspace__bind_text(stmt, 2, now);
            sinspace__bind_text(stmt, 3, sinspace_version());
            if (sqlite3_step(stmt) != SQLITE_DONE)
                st = sinspace__db_error(store, "writing the schema version");
            sqlite3_finalize(stmt);
        }
    }
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    return sinspace__commit(store);
}

/* Migrations from version N to N+1 go here, indexed by N, each run in one
 * transaction when a store is opened for writing.  Version 1 is the first;
 * 1 -> 2 adds each domain's version-2 tables (v2_parts). */
static const char *const *const *const migrations[] = {v2_parts};

sinspace_status
sinspace__schema_check(sinspace_store *store)
{
    long long n = 0;
    sinspace_status st = sinspace__query_int(store,
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        " AND name = 'sinspace_meta'", &n, 0);
    if (st) {
        /* "file is not a database" comes out here. */
        return sinspace__error(store->ctx, SINSPACE_SCHEMA,
                               "%s: not a SQLite database (%s)", store->path,
                               sqlite3_errmsg(store->db));
    }
    if (n == 0)
        return sinspace__error(store->ctx, SINSPACE_SCHEMA,
                               "%s: not a sinspace database (no sinspace_meta "
                               "table); create one with: sinspace init",
                               store->path);
    long long version = 0;
    st = sinspace__query_int(store,
        "SELECT CAST(value AS INTEGER) FROM sinspace_meta"
        " WHERE key = 'schema_version'", &version, 0);
    if (st)
        return st;
    if (version < 1)
        return sinspace__error(store->ctx, SINSPACE_SCHEMA,
                               "%s: no schema version recorded", store->path);
    if (version > SINSPACE_SCHEMA_VERSION)
        return sinspace__error(store->ctx, SINSPACE_SCHEMA,
                               "%s: schema version %lld is newer than this "
                               "sinspace (%s) understands (%d); upgrade sinspace",
                               store->path, version, sinspace_version(),
                               SINSPACE_SCHEMA_VERSION);
    if (version < SINSPACE_SCHEMA_VERSION) {
        if (!store->writable)
            return sinspace__error(store->ctx, SINSPACE_SCHEMA,
                                   "%s: schema version %lld needs migrating to "
                                   "%d; open it for writing once",
                                   store->path, version, SINSPACE_SCHEMA_VERSION);
        for (long long v = version; v < SINSPACE_SCHEMA_VERSION; v++) {
            const char *const *const *parts = migrations[v - 1];
            if ((st = sinspace__begin(store)))
                return st;
            for (int part = 0; parts[part] && !st; part++)
                st = run_ddl(store, parts[part]);
            if (!st) {
                char next[16];
                snprintf(next, sizeof next, "%lld", v + 1);
                sqlite3_stmt *stmt;
                st = sinspace__prepare(store,
                    "UPDATE sinspace_meta SET value = ?1"
                    " WHERE key = 'schema_version'", &stmt);
                if (!st) {
                    sinspace__bind_text(stmt, 1, next);
                    if (sqlite3_step(stmt) != SQLITE_DONE)
                        st = sinspace__db_error(store, "migrating");
                    sqlite3_finalize(stmt);
                }
            }
            if (st) {
                sinspace__rollback(store);
                return st;
            }
            if ((st = sinspace__commit(store)))
                return st;
        }
        version = SINSPACE_SCHEMA_VERSION;
    }
    store->schema_version = (int)version;
    return SINSPACE_OK;
}

sinspace_status
sinspace__indicator_weights(sinspace_store *store,
                            double weights[SINSPACE_INDICATORS])
{
    for (int i = 0; i < SINSPACE_INDICATORS; i++)
        weights[i] = 0.0;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT position, weight FROM indicators", &stmt);
    if (st)
        return st;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        int pos = sqlite3_column_int(stmt, 0);
        if (pos >= 1 && pos <= SINSPACE_INDICATORS)
            weights[pos - 1] = sqlite3_column_double(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return SINSPACE_OK;
}
