/* areas.h: the one area resolver, and the areas domain of the engine seam.
 *
 * Every command and the web API turn "--area X" into an area here, by the
 * same rule: X is an area's code, or, when no code is X, its Latin name (in
 * any case) or its local name.  A name shared by several areas is refused
 * listing each as "code (level in parent)", so the user can give a code. */
#ifndef SINSPACE_STORE_AREAS_H
#define SINSPACE_STORE_AREAS_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <stddef.h>

/* One area as the engine hands it out; valid while the callback runs. */
typedef struct sinspace__area_row {
    long long id;
    const char *code;
    const char *level;        /* "district", ... */
    int level_rank;           /* sinspace_area_level */
    const char *name_latin;   /* NULL when unknown */
    const char *name_local;
    const char *parent_code;  /* NULL for a root */
    const unsigned char *wkb; /* ISO WKB, EPSG:4326 */
    size_t wkb_size;
} sinspace__area_row;

typedef int (*sinspace__area_fn)(void *user, const sinspace__area_row *row);

struct sinspace__area_ops {
    /* The areas whose code is key; when there is none, those whose Latin
     * name (any case) or local name is key.  Ordered by code.  Geometry
     * included. */
    sinspace_status (*match)(sinspace_store *store, const char *key,
                             sinspace__area_fn fn, void *user);
};

extern const sinspace__area_ops sinspace__spatialite_area_ops;

/* A resolved area, owned by the caller (sinspace__area_free). */
typedef struct sinspace__area {
    long long id;
    char *code;
    char *level;
    int level_rank;
    char *name_latin;
    char *name_local;
    char *parent_code;
    unsigned char *wkb;
    size_t wkb_size;
} sinspace__area;

/* Resolves key to exactly one area.  SINSPACE_NOT_FOUND when nothing
 * matches ("area 'X': no area has that code, Latin or local name"),
 * SINSPACE_INVALID_ARGUMENT when a name is shared ("area 'X' is ambiguous:
 * N areas have that name: C1 (district in P), ...; give a code"); the
 * message is the same whoever asks. */
sinspace_status sinspace__area_resolve(sinspace_store *store, const char *key,
                                       sinspace__area **out);
void sinspace__area_free(sinspace__area *area);

/* "Latin (local)", "Latin", "local" or the code: how maps title an area.
 * Written into buf. */
const char *sinspace__area_title(const sinspace__area *area, char *buf,
                                 size_t size);

#endif
