/* fences.h: the fences domain of the engine seam (see engine.h).
 *
 * Named polygons saved to query by again (sinspace/fence.h).  Names and
 * descriptions are checked by geo/fence.c before they get here; the engine
 * stores the geometry as a MULTIPOLYGON in EPSG:4326 and writes the audit
 * row in the same transaction as the change. */
#ifndef SINSPACE_STORE_FENCES_H
#define SINSPACE_STORE_FENCES_H

#include "core/sinspaceInt.h"
#include "store/engine.h"
#include "store/query.h"

#include <sinspace/audit.h>
#include <sinspace/fence.h>

#include <stddef.h>

/* A fence to save. */
typedef struct sinspace__fence_new {
    const char *name;
    const char *description;  /* may be NULL */
    const char *added_by;
    const char *added_at;     /* ISO 8601 UTC */
    const unsigned char *wkb; /* Polygon or MultiPolygon, EPSG:4326 */
    size_t wkb_size;
} sinspace__fence_new;

struct sinspace__fence_ops {
    /* Saves the fence and writes audit, in one transaction.  When a fence
     * of that name exists nothing is written and *exists is 1.  A store not
     * open for writing: SINSPACE_INVALID_ARGUMENT ("PATH: opened
     * read-only"). */
    sinspace_status (*add)(sinspace_store *store, const sinspace__fence_new *fence,
                           const sinspace_audit_entry *audit, int *exists);

    /* Each fence by name, with its ellipsoidal area and vertex count. */
    sinspace_status (*list)(sinspace_store *store,
                            int (*fn)(void *user, const sinspace_fence_desc *fence),
                            void *user);

    /* Removes the fence and writes audit, in one transaction; when there
     * is none of that name nothing is written and *removed is 0.  Read-only
     * store: as add. */
    sinspace_status (*remove)(sinspace_store *store, const char *name,
                              const sinspace_audit_entry *audit, int *removed);

    /* The fence's geometry: fn called once (wkb NULL when it has none);
     * *found 0 and fn not called when there is no fence of that name. */
    sinspace_status (*geometry)(sinspace_store *store, const char *name,
                                sinspace__wkb_fn fn, void *user, int *found);
};

extern const sinspace__fence_ops sinspace__spatialite_fence_ops;

#endif
