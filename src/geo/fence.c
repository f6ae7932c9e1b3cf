/* fence.c: saved fences (see sinspace/fence.h).  Names and descriptions
 * are checked here; the store saves the polygon and the audit row in one
 * transaction (store/fences.h). */
#include "geo/queryInt.h"
#include "store/fences.h"
#include "core/parse.h"

#include <string.h>

static sinspace_status
check_name(sinspace_context *ctx, const char *name)
{
    char err[160];
    if (!name || !*name)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "a fence needs a name");
    if (sinspace__check_text(name, 0, 100, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "fence name: %s", err);
    if (name[0] == '-' || name[0] == ' ' || name[strlen(name) - 1] == ' ')
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "fence name '%s' must not start with '-' or begin "
                               "or end with a space", name);
    return SINSPACE_OK;
}

sinspace_status
sinspace_fence_add(sinspace_store *store, const char *name,
                   const char *description, sinspace_region *region)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !region)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "fence_add: store and region are required");
    char err[160];
    sinspace_status st = check_name(ctx, name);
    if (st)
        return st;
    if (description && sinspace__check_text(description, 1, 2000, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "description: %s", err);
    const unsigned char *wkb;
    size_t size;
    if ((st = sinspace_region_wkb(region, &wkb, &size)))
        return st;
    char now[32];
    sinspace__now_iso(now);
    sinspace__fence_new f = {name, description, ctx->user, now, wkb, size};
    sinspace_audit_entry e = {0};
    e.command = "fence add";
    e.target = name;
    e.filters = sinspace_region_describe(region);
    e.rows = 1;
    int exists = 0;
    if ((st = sinspace__store_engine(store)->fences->add(store, &f, &e, &exists)))
        return st;
    if (exists)
        return sinspace__error(ctx, SINSPACE_ERROR,
                               "fence '%s' exists already; remove it first (fence rm)",
                               name);
    return SINSPACE_OK;
}

sinspace_status
sinspace_fence_list(sinspace_store *store,
                    int (*fn)(void *, const sinspace_fence_desc *), void *user_data)
{
    if (!store || !fn)
        return sinspace__error(sinspace_store_context(store), SINSPACE_INVALID_ARGUMENT,
                               "fence_list: store and callback are required");
    return sinspace__store_engine(store)->fences->list(store, fn, user_data);
}

sinspace_status
sinspace_fence_remove(sinspace_store *store, const char *name)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !name)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "fence_remove: store and name are required");
    sinspace_audit_entry e = {0};
    e.command = "fence rm";
    e.target = name;
    e.rows = 1;
    int removed = 0;
    sinspace_status st = sinspace__store_engine(store)->fences->remove(store, name,
                                                                       &e, &removed);
    if (st)
        return st;
    if (!removed)
        return sinspace__error(ctx, SINSPACE_NOT_FOUND,
                               "fence '%s': no such fence (see: sinspace fence list)",
                               name);
    return SINSPACE_OK;
}
