/* sinspace/fence.h: saved fences, named polygons to query by again.
 *
 * A fence is a region saved in the store's `fences` table as a MULTIPOLYGON
 * in EPSG:4326, with a name, a description, who added it and when.  It is
 * checked the same way as any region (sinspace_region_from_file refuses an
 * invalid polygon unless asked to repair it).  Adding and removing a fence
 * each write one audit row in the same transaction. */
#ifndef SINSPACE_FENCE_H
#define SINSPACE_FENCE_H

#include <sinspace/api.h>

#include <sinspace/query.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sinspace_fence_desc {
    long long id;
    const char *name;
    const char *description; /* may be NULL */
    const char *added_by;
    const char *added_at;    /* ISO 8601 UTC */
    double area_km2;         /* on the WGS 84 ellipsoid */
    long long vertices;
} sinspace_fence_desc;

/* Saves region under name (1 to 100 bytes of clean UTF-8, no control
 * characters).  A circle is saved as its 128-vertex polygon.  Fails with
 * SINSPACE_INVALID_ARGUMENT for a bad name and SINSPACE_ERROR when a fence
 * of that name exists.  added_by is the context's user. */
SINSPACE_API sinspace_status sinspace_fence_add(sinspace_store *store, const char *name,
                                   const char *description,
                                   sinspace_region *region);

/* Calls fn for each fence, by name; strings live until fn returns.  fn
 * returns non-zero to stop. */
SINSPACE_API sinspace_status sinspace_fence_list(sinspace_store *store,
                                    int (*fn)(void *user_data,
                                              const sinspace_fence_desc *fence),
                                    void *user_data);

/* Removes a fence; SINSPACE_NOT_FOUND if there is none of that name. */
SINSPACE_API sinspace_status sinspace_fence_remove(sinspace_store *store, const char *name);

#ifdef __cplusplus
}
#endif
#endif
