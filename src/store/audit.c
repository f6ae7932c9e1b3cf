/* audit.c: the audit trail (see sinspace/audit.h).
 *
 * A read (query, export, map, web API call) records its row after the read,
 * in its own short transaction.  While another command holds the write lock
 * (an import, fence, zones or tiles write can hold it for minutes), the row
 * is not waited for and never lost: after AUDIT_WAIT_MS it is appended to
 * the store's audit queue, DB-audit-queue (mode 0600, one line per row,
 * appended under flock), and the next transaction that commits on this
 * store, whoever runs it, moves the queued rows into the audit table before
 * its COMMIT (sinspace__audit_queue_take/_release, called by
 * sinspace__commit).  The queue is emptied only once that COMMIT has
 * succeeded: a crash in between can record a queued row twice, never
 * drop one.  docs/store.md describes the guarantees. */
#include "store/store_int.h"
#include "core/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a read waits for the write lock before queueing its row. */
#define AUDIT_WAIT_MS 250
#define BUSY_TIMEOUT_MS 60000 /* as store.c sets it */

static char *
queue_path(const sinspace_store *store)
{
    size_t n = strlen(store->path) + sizeof "-audit-queue";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s-audit-queue", store->path);
    return p;
}

/* One queued field: NULL as \N; backslash, tab, newline and CR escaped. */
static void
put_field(char **buf, size_t *len, size_t *cap, const char *s, int last)
{
    size_t need = (s ? 2 * strlen(s) : 2) + 2;
    if (*len + need > *cap) {
        size_t c = *cap ? *cap : 256;
        while (*len + need > c)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p) {
            free(*buf);
            *buf = NULL;
            return;
        }
        *buf = p;
        *cap = c;
    }
    char *o = *buf + *len;
    if (!s) {
        *o++ = '\\';
        *o++ = 'N';
    } else {
        for (; *s; s++) {
            switch (*s) {
            case '\\': *o++ = '\\'; *o++ = '\\'; break;
            case '\t': *o++ = '\\'; *o++ = 't'; break;
            case '\n': *o++ = '\\'; *o++ = 'n'; break;
            case '\r': *o++ = '\\'; *o++ = 'r'; break;
            default: *o++ = *s;
            }
        }
    }
    *o++ = last ? '\n' : '\t';
    *len = (size_t)(o - *buf);
}

/* Unescapes one field in place; returns NULL for \N. */
static char *
get_field(char *s)
{
    if (!strcmp(s, "\\N"))
        return NULL;
    char *o = s;
    for (char *i = s; *i; i++) {
        if (*i == '\\' && i[1]) {
            i++;
            *o++ = *i == 't' ? '\t' : *i == 'n' ? '\n' : *i == 'r' ? '\r' : *i;
        } else {
            *o++ = *i;
        }
    }
    *o = '\0';
    return s;
}

static sinspace_status
audit_insert(sinspace_store *store, const char *at, const sinspace_audit_entry *e)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "INSERT INTO audit(at, user, command, target, audience, filters, rows)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, at);
    sinspace__bind_text(stmt, 2, e->user ? e->user : store->ctx->user);
    sinspace__bind_text(stmt, 3, e->command);
    sinspace__bind_text(stmt, 4, e->target);
    sinspace__bind_text(stmt, 5, e->audience);
    sinspace__bind_text(stmt, 6, e->filters);
    if (e->rows >= 0)
        sqlite3_bind_int64(stmt, 7, e->rows);
    else
        sqlite3_bind_null(stmt, 7);
    return sinspace__stmt_finish(store, stmt, sqlite3_step(stmt),
                                 "writing the audit trail");
}

sinspace_status
sinspace__audit_write(sinspace_store *store, const sinspace_audit_entry *e)
{
    char now[32];
    sinspace__now_iso(now);
    return audit_insert(store, now, e);
}

/* Appends the row to the queue: one write() of one line, under flock. */
static sinspace_status
queue_append(sinspace_store *store, const char *at, const sinspace_audit_entry *e)
{
    char *buf = NULL, rows[32];
    size_t len = 0, cap = 0;
    if (e->rows >= 0)
        snprintf(rows, sizeof rows, "%lld", e->rows);
    const char *f[8] = {"v1", at, e->user ? e->user : store->ctx->user,
                        e->command, e->target, e->audience, e->filters,
                        e->rows >= 0 ? rows : NULL};
    for (int i = 0; i < 8; i++) {
        put_field(&buf, &len, &cap, f[i], i == 7);
        if (!buf)
            return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    char *qp = queue_path(store);
    if (!qp) {
        free(buf);
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    sinspace_status st = SINSPACE_OK;
    int fd = open(qp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        st = sinspace__error(store->ctx, SINSPACE_IO,
                             "%s: cannot queue the audit row: %s", qp, strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fchmod(fd, 0600) != 0 || flock(fd, LOCK_EX) != 0 || fstat(fd, &sb) != 0) {
        st = sinspace__error(store->ctx, SINSPACE_IO,
                             "%s: cannot queue the audit row: %s", qp, strerror(errno));
        goto out;
    }
    /* A line cut short by a crash is ended, so this one stays whole. */
    if (sb.st_size > 0) {
        char last = '\n';
        if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n' &&
            write(fd, "\n", 1) != 1)
            st = sinspace__error(store->ctx, SINSPACE_IO, "%s: %s", qp, strerror(errno));
    }
    if (!st) {
        ssize_t w = write(fd, buf, len);
        if (w != (ssize_t)len || fdatasync(fd) != 0)
            st = sinspace__error(store->ctx, SINSPACE_IO,
                                 "%s: cannot queue the audit row: %s", qp,
                                 w < 0 || w == (ssize_t)len ? strerror(errno)
                                                            : "short write");
    }
out:
    if (fd >= 0)
        close(fd); /* releases the flock */
    free(qp);
    free(buf);
    return st;
}

/* Parses one queued line (NUL-terminated, no newline) into e; 0 or -1. */
static int
parse_line(char *line, char **at, sinspace_audit_entry *e)
{
    char *f[8];
    int n = 0;
    char *p = line;
    while (n < 8) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    if (n != 8 || strcmp(f[0], "v1"))
        return -1;
    for (int i = 1; i < 8; i++)
        f[i] = get_field(f[i]);
    if (!f[1] || !f[3])
        return -1;
    memset(e, 0, sizeof *e);
    *at = f[1];
    e->user = f[2];
    e->command = f[3];
    e->target = f[4];
    e->audience = f[5];
    e->filters = f[6];
    e->rows = f[7] ? strtoll(f[7], NULL, 10) : -1;
    return 0;
}

/* Reads the whole queue file of fd into a NUL-terminated buffer. */
static char *
read_all(int fd, size_t *len)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return NULL;
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf)
        return NULL;
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t r = pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Calls fn for each queued row (a line that cannot be read is handed on as
 * command "audit", target "unreadable queued row", its text as filters,
 * rather than dropped).  Returns fn's first non-zero. */
static int
queue_each(char *buf, size_t len,
           int (*fn)(void *, const char *at, const sinspace_audit_entry *),
           void *user)
{
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        if (stop > p) {
            char *raw = sinspace__strdup(p);
            char *at = NULL;
            sinspace_audit_entry e;
            int r;
            if (parse_line(p, &at, &e) == 0) {
                r = fn(user, at, &e);
            } else {
                char now[32];
                sinspace__now_iso(now);
                memset(&e, 0, sizeof e);
                e.command = "audit";
                e.target = "unreadable queued row";
                e.filters = raw;
                e.rows = -1;
                r = fn(user, now, &e);
            }
            free(raw);
            if (r)
                return r;
        }
        p = stop + 1;
    }
    return 0;
}

typedef struct flush_ctx {
    sinspace_store *store;
    sinspace_status st;
} flush_ctx;

static int
flush_one(void *user, const char *at, const sinspace_audit_entry *e)
{
    flush_ctx *f = user;
    f->st = audit_insert(f->store, at, e);
    return f->st != SINSPACE_OK;
}

sinspace_status
sinspace__audit_queue_take(sinspace_store *store)
{
    if (store->queue_fd > 0)
        return SINSPACE_OK; /* taken already in this transaction */
    char *qp = queue_path(store);
    if (!qp)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    int fd = open(qp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    free(qp);
    if (fd < 0)
        return SINSPACE_OK; /* no queue: nothing waits */
    struct stat sb;
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &sb) != 0 || sb.st_size == 0) {
        close(fd);
        return SINSPACE_OK;
    }
    size_t len = 0;
    char *buf = read_all(fd, &len);
    if (!buf) {
        close(fd);
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    flush_ctx f = {store, SINSPACE_OK};
    queue_each(buf, len, flush_one, &f);
    free(buf);
    if (f.st) {
        close(fd);
        return f.st;
    }
    /* Held (and so is the flock) until the COMMIT is known. */
    store->queue_fd = fd;
    return SINSPACE_OK;
}

void
sinspace__audit_queue_release(sinspace_store *store, int committed)
{
    if (store->queue_fd <= 0)
        return;
    /* No row was appended meanwhile: appending takes the same flock. */
    if (committed && ftruncate(store->queue_fd, 0) == 0)
        fdatasync(store->queue_fd);
    close(store->queue_fd);
    store->queue_fd = 0;
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
    if (!store->writable)
        return sinspace__error(store->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: opened read-only: cannot write the audit trail",
                               store->path);
    char now[32];
    sinspace__now_iso(now);
    /* Its own short transaction: wait a little for the write lock, then
     * queue the row rather than fail or hold up the reader. */
    sqlite3_busy_timeout(store->db, AUDIT_WAIT_MS);
    int rc = sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return queue_append(store, now, entry);
    if (rc != SQLITE_OK)
        return sinspace__db_error(store, "writing the audit trail");
    store->in_transaction = 1;
    sinspace_status st = audit_insert(store, now, entry);
    if (st) {
        sinspace__rollback(store);
        return st;
    }
    st = sinspace__commit(store);
    if (st && ((sqlite3_errcode(store->db) & 0xff) == SQLITE_BUSY))
        return queue_append(store, now, entry);
    return st;
}

typedef struct list_ctx {
    const char *since, *until; /* the trail's form, or NULL */
    int (*fn)(void *, const sinspace_audit_entry *);
    void *user;
} list_ctx;

static int
list_queued(void *user, const char *at, const sinspace_audit_entry *e)
{
    list_ctx *l = user;
    if ((l->since && strcmp(at, l->since) < 0) ||
        (l->until && strcmp(at, l->until) > 0))
        return 0;
    sinspace_audit_entry q = *e;
    q.id = 0; /* not in the table yet */
    q.at = at;
    return l->fn(l->user, &q);
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
    int rc, stopped = 0;
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
        if (fn(user_data, &e)) {
            stopped = 1;
            break;
        }
    }
    st = sinspace__stmt_finish(store, stmt, rc, "reading the audit trail");
    if (st || stopped)
        return st;
    /* Then the rows still queued (id 0), read under a shared flock. */
    char *qp = queue_path(store);
    if (!qp)
        return sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
    int fd = open(qp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(qp);
    if (fd < 0)
        return SINSPACE_OK;
    size_t len = 0;
    char *buf = flock(fd, LOCK_SH) == 0 ? read_all(fd, &len) : NULL;
    close(fd);
    if (buf) {
        list_ctx l = {since ? from : NULL, until ? to : NULL, fn, user_data};
        queue_each(buf, len, list_queued, &l);
        free(buf);
    }
    return SINSPACE_OK;
}

sinspace_status
sinspace_audit_list(sinspace_store *store, const char *since,
                    int (*fn)(void *, const sinspace_audit_entry *),
                    void *user_data)
{
    return sinspace_audit_list_range(store, since, NULL, fn, user_data);
}
