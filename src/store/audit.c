/* audit.c: the audit trail (see sinspace/audit.h). */
#include "store/store_int.h"
#include "core/parse.h"

sinspace_status
sinspace__audit_write(sinspace_store *store, const sinspace_audit_entry *e)
{
    char now[32];
    sinspace__now_iso(now);
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "INSERT INTO audit(at, user, command, target, audience, filters, rows)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, now);
    sinspace__bind_text(stmt, 2, e->user ? e->user : store->ctx->user);
    sinspace__bind_text(stmt, 3, e->command);
    sinspace__bind_text(stmt, 4, e->target);
    sinspace__bind_text(stmt, 5, e->audience);
    sinspace__bind_text(stmt, 6, e->filters);
    if (e->rows >= 0)
        sqlite3_bind_int64(stmt, 7, e->rows);
    else
        sqlite3_bind_null(stmt, 7);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        st = sinspace__db_error(store, "writing the audit trail");
    sqlite3_finalize(stmt);
    return st;
}

sinspace_status
sinspace_audit_record(sinspace_store *store, const sinspace_audit_entry *entry)
{
    if (!store || !entry || !entry->command)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT,
                               "audit_record: store and command are required");
    if (store->in_transaction)
        return sinspace__audit_write(store, entry);
    sinspace_status st = sinspace__begin(store);
    if (!st)
        st = sinspace__audit_write(store, entry);
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    return sinspace__commit(store);
}

int
sinspace_audit_time_parse(const char *text, int end_of_day, char out[21],
                          char *reason, size_t reason_size)
{
    return sinspace__parse_timestamp(text, end_of_day, out, reason, reason_size);
}

sinspace_status
sinspace_audit_list_range(sinspace_store *store, const char *since,
                          const char *until,
                          int (*fn)(void *, const sinspace_audit_entry *),
                          void *user_data)
{
    if (!store || !fn)
        return sinspace__error(store ? store->ctx : NULL,
                               SINSPACE_INVALID_ARGUMENT, "audit_list: no store");
    /* The bounds in the trail's own form (UTC, whole seconds), so the text
     * comparison below compares times. */
    char from[21], to[21], why[160];
    if (since && sinspace__parse_timestamp(since, 0, from, why, sizeof why))
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "audit: since %s", why);
    if (until && sinspace__parse_timestamp(until, 1, to, why, sizeof why))
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "audit: until %s", why);
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT id, at, user, command, target, audience, filters, rows"
        " FROM audit WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at <= ?2)"
        " ORDER BY id", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, since ? from : NULL);
    sinspace__bind_text(stmt, 2, until ? to : NULL);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sinspace_audit_entry e;
        e.id = sqlite3_column_int64(stmt, 0);
        e.at = (const char *)sqlite3_column_text(stmt, 1);
        e.user = (const char *)sqlite3_column_text(stmt, 2);
        e.command = (const char *)sqlite3_column_text(stmt, 3);
        e.target = (const char *)sqlite3_column_text(stmt, 4);
        e.audience = (const char *)sqlite3_column_text(stmt, 5);
        e.filters = (const char *)sqlite3_column_text(stmt, 6);
        e.rows = sqlite3_column_type(stmt, 7) == SQLITE_NULL
                     ? -1 : sqlite3_column_int64(stmt, 7);
        if (fn(user_data, &e))
            break;
    }
    return sinspace__stmt_finish(store, stmt, rc, "reading the audit trail");
}

sinspace_status
sinspace_audit_list(sinspace_store *store, const char *since,
                    int (*fn)(void *, const sinspace_audit_entry *),
                    void *user_data)
{
    return sinspace_audit_list_range(store, since, NULL, fn, user_data);
}
