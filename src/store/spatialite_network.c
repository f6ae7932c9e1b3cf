/* spatialite_network.c: the network domain of the SpatiaLite engine
 * (store/network.h).  Responders are written and read as they are given:
 * contact fields are opaque sealed blobs here; coverage is decided above
 * the table (geo/cover.c). */
#include "store/network.h"
#include "store/store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sinspace_status
check_writable(sinspace_store *store)
{
    if (!store->writable)
        return sinspace__error(store->ctx, SINSPACE_PERMISSION,
                               "%s: opened read-only", store->path);
    return SINSPACE_OK;
}

static void
bind_blob(sqlite3_stmt *stmt, int i, const unsigned char *b, size_t n)
{
    if (b)
        sqlite3_bind_blob(stmt, i, b, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, i);
}

static sinspace_status
sl_import(sinspace_store *store, const sinspace__responder_rec *recs, size_t n,
          int overwrite, const sinspace_audit_entry *audit, long long *clash)
{
    *clash = -1;
    sinspace_status st = check_writable(store);
    if (st || (st = sinspace__begin(store)))
        return st;
    sqlite3_stmt *stmt = NULL;
    if (!overwrite) {
        for (size_t i = 0; i < n; i++) {
            long long c = 0;
            if ((st = sinspace__query_int(store,
                    "SELECT count(*) FROM responders WHERE ext_id = ?1", &c, 1,
                    recs[i].id)))
                goto fail;
            if (c) {
                *clash = (long long)i;
                sinspace__rollback(store);
                return SINSPACE_OK;
            }
        }
    }
    /* INSERT OR REPLACE would give a new rowid; an upsert keeps it. */
    if ((st = sinspace__prepare(store,
            "INSERT INTO responders(ext_id, name, agency, role, expertise,"
            " languages, areas, phone, email, contact, radius_m, availability,"
            " active, verified, updated, base, coverage) VALUES (?1, ?2, ?3, ?4,"
            " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
            " CASE WHEN ?16 IS NULL THEN NULL ELSE MakePoint(?16, ?17, 4326) END,"
            " CASE WHEN ?18 IS NULL THEN NULL ELSE"
            "  CastToMultiPolygon(GeomFromWKB(?18, 4326)) END)"
            " ON CONFLICT(ext_id) DO UPDATE SET name = excluded.name,"
            " agency = excluded.agency, role = excluded.role,"
            " expertise = excluded.expertise, languages = excluded.languages,"
            " areas = excluded.areas, phone = excluded.phone,"
            " email = excluded.email, contact = excluded.contact,"
            " radius_m = excluded.radius_m, availability = excluded.availability,"
            " active = excluded.active, verified = excluded.verified,"
            " updated = excluded.updated, base = excluded.base,"
            " coverage = excluded.coverage", &stmt)))
        goto fail;
    for (size_t i = 0; i < n && !st; i++) {
        const sinspace__responder_rec *r = &recs[i];
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        sinspace__bind_text(stmt, 1, r->id);
        sinspace__bind_text(stmt, 2, r->name);
        sinspace__bind_text(stmt, 3, r->agency);
        sinspace__bind_text(stmt, 4, r->role);
        sinspace__bind_text(stmt, 5, r->expertise);
        sinspace__bind_text(stmt, 6, r->languages);
        sinspace__bind_text(stmt, 7, r->areas);
        bind_blob(stmt, 8, r->phone, r->phone_size);
        bind_blob(stmt, 9, r->email, r->email_size);
        bind_blob(stmt, 10, r->contact, r->contact_size);
        if (r->radius_m > 0)
            sqlite3_bind_double(stmt, 11, r->radius_m);
        sinspace__bind_text(stmt, 12, r->availability);
        sqlite3_bind_int(stmt, 13, r->active ? 1 : 0);
        sinspace__bind_text(stmt, 14, r->verified);
        sinspace__bind_text(stmt, 15, r->updated);
        if (r->has_base) {
            sqlite3_bind_double(stmt, 16, r->lon);
            sqlite3_bind_double(stmt, 17, r->lat);
        }
        bind_blob(stmt, 18, r->coverage_wkb, r->coverage_size);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = sinspace__db_error(store, "writing a responder");
    }
    sqlite3_finalize(stmt);
    if (st || (st = sinspace__audit_write(store, audit)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}

static const unsigned char *
col_blob(sqlite3_stmt *stmt, int i, size_t *n)
{
    if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
        *n = 0;
        return NULL;
    }
    const unsigned char *b = sqlite3_column_blob(stmt, i);
    *n = (size_t)sqlite3_column_bytes(stmt, i);
    return b;
}

static sinspace_status
sl_list(sinspace_store *store, const char *id, sinspace__responder_fn fn,
        void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT ext_id, name, agency, role, expertise, languages, areas,"
        " phone, email, contact, base IS NOT NULL, X(base), Y(base), radius_m,"
        " AsBinary(coverage), availability, active, verified, updated"
        " FROM responders WHERE ?1 IS NULL OR ext_id = ?1 ORDER BY ext_id", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, id);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__responder_rec r;
        memset(&r, 0, sizeof r);
        r.id = (const char *)sqlite3_column_text(stmt, 0);
        r.name = (const char *)sqlite3_column_text(stmt, 1);
        r.agency = (const char *)sqlite3_column_text(stmt, 2);
        r.role = (const char *)sqlite3_column_text(stmt, 3);
        r.expertise = (const char *)sqlite3_column_text(stmt, 4);
        r.languages = (const char *)sqlite3_column_text(stmt, 5);
        r.areas = (const char *)sqlite3_column_text(stmt, 6);
        r.phone = col_blob(stmt, 7, &r.phone_size);
        r.email = col_blob(stmt, 8, &r.email_size);
        r.contact = col_blob(stmt, 9, &r.contact_size);
        r.has_base = sqlite3_column_int(stmt, 10);
        r.lon = r.has_base ? sqlite3_column_double(stmt, 11) : NAN;
        r.lat = r.has_base ? sqlite3_column_double(stmt, 12) : NAN;
        r.radius_m = sqlite3_column_type(stmt, 13) == SQLITE_NULL
                         ? 0.0 : sqlite3_column_double(stmt, 13);
        r.coverage_wkb = col_blob(stmt, 14, &r.coverage_size);
        r.availability = (const char *)sqlite3_column_text(stmt, 15);
        r.active = sqlite3_column_int(stmt, 16);
        r.verified = (const char *)sqlite3_column_text(stmt, 17);
        r.updated = (const char *)sqlite3_column_text(stmt, 18);
        if (fn(user, &r))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "listing responders");
}

static sinspace_status
sl_remove(sinspace_store *store, const char *id,
          const sinspace_audit_entry *audit, int *removed)
{
    *removed = 0;
    sinspace_status st = check_writable(store);
    if (st || (st = sinspace__begin(store)))
        return st;
    sqlite3_stmt *stmt;
    if ((st = sinspace__prepare(store, "DELETE FROM responders WHERE ext_id = ?1",
                                &stmt)))
        goto fail;
    sinspace__bind_text(stmt, 1, id);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "removing the responder");
    *removed = sqlite3_changes(store->db) > 0;
    sqlite3_finalize(stmt);
    if (st)
        goto fail;
    if (!*removed) {
        sinspace__rollback(store);
        return SINSPACE_OK;
    }
    if ((st = sinspace__audit_write(store, audit)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_keycheck_get(sinspace_store *store, unsigned char **out, size_t *size,
                int *found)
{
    *out = NULL;
    *size = 0;
    *found = 0;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT value FROM network_meta WHERE key = 'keycheck'", &stmt);
    if (st)
        return st;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_BLOB) {
        size_t n = (size_t)sqlite3_column_bytes(stmt, 0);
        unsigned char *b = malloc(n ? n : 1);
        if (!b) {
            sqlite3_finalize(stmt);
            return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        memcpy(b, sqlite3_column_blob(stmt, 0), n);
        *out = b;
        *size = n;
        *found = 1;
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading the key check");
}

static sinspace_status
write_keycheck(sinspace_store *store, const unsigned char *check, size_t size)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "INSERT INTO network_meta(key, value) VALUES ('keycheck', ?1)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &stmt);
    if (st)
        return st;
    sqlite3_bind_blob(stmt, 1, check, (int)size, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "writing the key check");
    sqlite3_finalize(stmt);
    return st;
}

static sinspace_status
sl_keycheck_set(sinspace_store *store, const unsigned char *check, size_t size,
                const sinspace_audit_entry *audit)
{
    sinspace_status st = check_writable(store);
    if (st || (st = sinspace__begin(store)))
        return st;
    if ((st = write_keycheck(store, check, size)))
        goto fail;
    if (audit && (st = sinspace__audit_write(store, audit)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_reseal(sinspace_store *store, const sinspace__resealed *rows, size_t n,
          const unsigned char *check, size_t check_size,
          const sinspace_audit_entry *audit)
{
    sinspace_status st = check_writable(store);
    if (st || (st = sinspace__begin(store)))
        return st;
    sqlite3_stmt *stmt = NULL;
    if ((st = sinspace__prepare(store,
            "UPDATE responders SET phone = ?2, email = ?3, contact = ?4"
            " WHERE ext_id = ?1", &stmt)))
        goto fail;
    for (size_t i = 0; i < n && !st; i++) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        sinspace__bind_text(stmt, 1, rows[i].id);
        bind_blob(stmt, 2, rows[i].phone, rows[i].phone_size);
        bind_blob(stmt, 3, rows[i].email, rows[i].email_size);
        bind_blob(stmt, 4, rows[i].contact, rows[i].contact_size);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            st = sinspace__db_error(store, "re-sealing a responder");
    }
    sqlite3_finalize(stmt);
    if (st || (st = write_keycheck(store, check, check_size)) ||
        (st = sinspace__audit_write(store, audit)))
        goto fail;
    return sinspace__commit(store);
fail:
    sinspace__rollback(store);
    return st;
}

static sinspace_status
sl_catalogue_has(sinspace_store *store, const char *kind, const char *code,
                 int *known)
{
    long long n = 0;
    sinspace_status st = sinspace__query_int(store,
        !strcmp(kind, "role")
            ? "SELECT count(*) FROM responder_roles WHERE code = ?1"
            : "SELECT count(*) FROM responder_expertise WHERE code = ?1",
        &n, 1, code);
    *known = n > 0;
    return st;
}

static sinspace_status
sl_catalogue(sinspace_store *store, const char *kind,
             int (*fn)(void *, const char *, const char *), void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        !strcmp(kind, "role")
            ? "SELECT code, label FROM responder_roles ORDER BY code"
            : "SELECT code, label FROM responder_expertise ORDER BY code", &stmt);
    if (st)
        return st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (fn(user, (const char *)sqlite3_column_text(stmt, 0),
               (const char *)sqlite3_column_text(stmt, 1)))
            break;
    return sinspace__stmt_finish(store, stmt, rc, "listing the catalogue");
}

static sinspace_status
codes(sinspace_store *store, sqlite3_stmt *stmt, sinspace__code_fn fn,
      void *user, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (fn(user, (const char *)sqlite3_column_text(stmt, 0)))
            break;
    return sinspace__stmt_finish(store, stmt, rc, what);
}

static sinspace_status
sl_lineage(sinspace_store *store, const char *code, sinspace__code_fn fn,
           void *user)
{
    sqlite3_stmt *stmt;
    /* Depth-limited: a parent loop in bad data cannot spin. */
    sinspace_status st = sinspace__prepare(store,
        "WITH RECURSIVE up(code, parent, depth) AS ("
        " SELECT code, parent_code, 0 FROM areas WHERE code = ?1"
        " UNION ALL SELECT a.code, a.parent_code, up.depth + 1"
        " FROM areas a JOIN up ON a.code = up.parent WHERE up.depth < 8)"
        " SELECT code FROM up ORDER BY depth", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, code);
    return codes(store, stmt, fn, user, "reading an area's parents");
}

static sinspace_status
sl_areas_at(sinspace_store *store, double lon, double lat, sinspace__code_fn fn,
            void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT code FROM areas WHERE id IN (SELECT rowid FROM SpatialIndex"
        " WHERE f_table_name = 'areas' AND f_geometry_column = 'geom'"
        " AND search_frame = MakePoint(?1, ?2, 4326))"
        " AND ST_Contains(geom, MakePoint(?1, ?2, 4326)) = 1"
        " ORDER BY level_rank", &stmt);
    if (st)
        return st;
    sqlite3_bind_double(stmt, 1, lon);
    sqlite3_bind_double(stmt, 2, lat);
    return codes(store, stmt, fn, user, "finding the areas of a point");
}

#define PLACE_SQL \
    "SELECT w.ext_id, w.name, w.sector, (SELECT group_concat(code, ';')" \
    " FROM (SELECT a.code FROM area_members m JOIN areas a ON a.id = m.area_id" \
    " WHERE m.workplace_id = w.id ORDER BY a.level_rank, a.code))," \
    " w.risk_class, w.risk, X(w.geom), Y(w.geom)" \
    " FROM workplaces w"

static int
place_rows(sqlite3_stmt *stmt, sinspace__place_fn fn, void *user, int *n)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace__network_place p;
        p.id = (const char *)sqlite3_column_text(stmt, 0);
        p.name = (const char *)sqlite3_column_text(stmt, 1);
        p.sector = (const char *)sqlite3_column_text(stmt, 2);
        p.areas = (const char *)sqlite3_column_text(stmt, 3);
        p.risk_class = (const char *)sqlite3_column_text(stmt, 4);
        p.risk = sqlite3_column_type(stmt, 5) == SQLITE_NULL
                     ? NAN : sqlite3_column_double(stmt, 5);
        p.lon = sqlite3_column_double(stmt, 6);
        p.lat = sqlite3_column_double(stmt, 7);
        if (n)
            (*n)++;
        if (fn(user, &p))
            break;
    }
    return rc;
}

static sinspace_status
sl_workplace(sinspace_store *store, const char *id, sinspace__place_fn fn,
             void *user, int *found)
{
    *found = 0;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store, PLACE_SQL " WHERE w.ext_id = ?1",
                                           &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, id);
    int rc = place_rows(stmt, fn, user, found);
    return sinspace__stmt_finish(store, stmt, rc, "reading the workplace");
}

static sinspace_status
sl_high_risk(sinspace_store *store, sinspace__place_fn fn, void *user)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        PLACE_SQL " WHERE w.risk_class = 'high' AND w.status <> 'closed'"
        " ORDER BY w.ext_id", &stmt);
    if (st)
        return st;
    int rc = place_rows(stmt, fn, user, NULL);
    return sinspace__stmt_finish(store, stmt, rc, "reading high-risk workplaces");
}

const sinspace__network_ops sinspace__spatialite_network_ops = {
    .import = sl_import,
    .list = sl_list,
    .remove = sl_remove,
    .keycheck_get = sl_keycheck_get,
    .keycheck_set = sl_keycheck_set,
    .reseal = sl_reseal,
    .catalogue_has = sl_catalogue_has,
    .catalogue = sl_catalogue,
    .lineage = sl_lineage,
    .areas_at = sl_areas_at,
    .workplace = sl_workplace,
    .high_risk = sl_high_risk,
};
