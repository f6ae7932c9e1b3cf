/* sinspace/audit.h: the audit trail.
 *
 * Every import, query, export, map and atlas that completes writes one row
 * to the store's `audit` table: when (UTC), which OS user, the command, the
 * file or region, the audience, the filters and the row count.  A failed or
 * rejected operation writes nothing: a write's row is written in the same
 * transaction as its data; a read's row after the read, in its own short
 * transaction, or, while another command holds the write lock, queued in
 * DB-audit-queue and moved into the table by the next commit (docs/store.md,
 * "Concurrent use"). */
#ifndef SINSPACE_AUDIT_H
#define SINSPACE_AUDIT_H

#include <sinspace/api.h>

#include <sinspace/store.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sinspace_audit_entry {
    long long id;
    const char *at;       /* ISO 8601 UTC, e.g. 2026-11-28T12:00:00Z */
    const char *user;
    const char *command;  /* import, query, export, map, atlas, ... */
    const char *target;   /* file, layer or region; may be NULL */
    const char *audience; /* may be NULL */
    const char *filters;  /* may be NULL */
    long long rows;       /* -1 when not applicable */
} sinspace_audit_entry;

/* Appends an entry; at and id are filled in by the store, user from the
 * context when entry->user is NULL. */
SINSPACE_API sinspace_status sinspace_audit_record(sinspace_store *store,
                                      const sinspace_audit_entry *entry);

/* Reads a bound of the trail's time range: a date (YYYY-MM-DD) or an ISO
 * 8601 time (YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or an offset such as
 * +07:00; without either, UTC).  out gets it in the trail's own form, UTC
 * YYYY-MM-DDTHH:MM:SSZ; a date alone is its first second, or with
 * end_of_day (an --until) its last.  Returns 0, or -1 with the reason in
 * reason (when not NULL), e.g. "'2026-13-45': no month 13". */
SINSPACE_API int sinspace_audit_time_parse(const char *text, int end_of_day,
                                           char out[21], char *reason,
                                           size_t reason_size);

/* Calls fn for each entry at or after since and at or before until (each
 * as sinspace_audit_time_parse reads it, until's date covering its whole
 * day; NULL for no bound), oldest first, then each row still queued (id 0:
 * written while another command held the write lock, moved into the table
 * by the next commit).  A bound that is not a date or
 * time fails with SINSPACE_INVALID_ARGUMENT naming it.  Strings live until
 * fn returns; fn returns non-zero to stop. */
SINSPACE_API sinspace_status sinspace_audit_list_range(sinspace_store *store,
                                    const char *since, const char *until,
                                    int (*fn)(void *user_data,
                                              const sinspace_audit_entry *e),
                                    void *user_data);

/* sinspace_audit_list_range(store, since, NULL, fn, user_data). */
SINSPACE_API sinspace_status sinspace_audit_list(sinspace_store *store, const char *since,
                                    int (*fn)(void *user_data,
                                              const sinspace_audit_entry *e),
                                    void *user_data);

#ifdef __cplusplus
}
#endif
#endif
