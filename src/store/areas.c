/* areas.c: the one area resolver (see areas.h), above the engine's lookup,
 * so every engine resolves by the same rule and refuses in the same words. */
#include "store/areas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct resolve_state {
    sinspace_context *ctx;
    int n;
    sinspace__area *first;
    sinspace_status st;
    char list[1024];
    size_t used;
} resolve_state;

static char *
dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

static int
on_match(void *user, const sinspace__area_row *row)
{
    resolve_state *rs = user;
    rs->n++;
    if (rs->used < sizeof rs->list - 1) {
        int w = snprintf(rs->list + rs->used, sizeof rs->list - rs->used,
                         "%s%s (%s%s%s)", rs->n > 1 ? ", " : "", row->code,
                         row->level ? row->level : "?",
                         row->parent_code ? " in " : "",
                         row->parent_code ? row->parent_code : "");
        rs->used = w > 0 ? rs->used + (size_t)w : rs->used;
        if (rs->used >= sizeof rs->list)
            rs->used = sizeof rs->list - 1;
    }
    if (rs->n > 1)
        return 0;
    sinspace__area *a = calloc(1, sizeof *a);
    int failed = !a;
    if (a) {
        a->id = row->id;
        a->level_rank = row->level_rank;
        a->code = dup_or_null(row->code, &failed);
        a->level = dup_or_null(row->level, &failed);
        a->name_latin = dup_or_null(row->name_latin, &failed);
        a->name_local = dup_or_null(row->name_local, &failed);
        a->parent_code = dup_or_null(row->parent_code, &failed);
        if (row->wkb && row->wkb_size) {
            a->wkb = malloc(row->wkb_size);
            if (a->wkb) {
                memcpy(a->wkb, row->wkb, row->wkb_size);
                a->wkb_size = row->wkb_size;
            } else
                failed = 1;
        }
    }
    rs->first = a;
    if (failed) {
        rs->st = sinspace__error(rs->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return 1;
    }
    return 0;
}

sinspace_status
sinspace__area_resolve(sinspace_store *store, const char *key,
                       sinspace__area **out)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !key || !*key || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "an area name or code is required");
    resolve_state rs = { .ctx = ctx };
    sinspace_status st = sinspace__store_engine(store)->areas->match(
        store, key, on_match, &rs);
    if (!st)
        st = rs.st;
    if (!st && rs.n == 0)
        st = sinspace__error(ctx, SINSPACE_NOT_FOUND,
                             "area '%s': no area has that code, Latin or local "
                             "name", key);
    if (!st && rs.n > 1)
        st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                             "area '%s' is ambiguous: %d areas have that name: %s;"
                             " give a code", key, rs.n, rs.list);
    if (!st && !rs.first->wkb)
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "area %s has no geometry", rs.first->code);
    if (st) {
        sinspace__area_free(rs.first);
        return st;
    }
    *out = rs.first;
    return SINSPACE_OK;
}

void
sinspace__area_free(sinspace__area *a)
{
    if (!a)
        return;
    free(a->code);
    free(a->level);
    free(a->name_latin);
    free(a->name_local);
    free(a->parent_code);
    free(a->wkb);
    free(a);
}

const char *
sinspace__area_title(const sinspace__area *a, char *buf, size_t size)
{
    const char *latin = a->name_latin, *local = a->name_local;
    if (latin && local)
        snprintf(buf, size, "%s (%s)", latin, local);
    else if (latin || local)
        snprintf(buf, size, "%s", latin ? latin : local);
    else
        snprintf(buf, size, "%s", a->code);
    return buf;
}
