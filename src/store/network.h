/* network.h: the network domain of the engine seam (see engine.h).
 *
 * Responders (teams or people who act on suspected cases: police, social
 * workers, labour inspectors, outreach, volunteers ...), what they know,
 * where they cover, and how to reach them.  Contact fields reach the store
 * already sealed (core/secret.h): the engine stores and returns opaque
 * blobs and never sees a phone number.  Coverage rules (area hierarchy,
 * polygon, base and radius) are decided above the table, in geo/cover.c;
 * the engine only hands out rows. */
#ifndef SINSPACE_STORE_NETWORK_H
#define SINSPACE_STORE_NETWORK_H

#include "core/sinspaceInt.h"
#include "store/engine.h"

#include <sinspace/audit.h>

#include <stddef.h>

/* One responder, as stored.  Lists (expertise, languages, areas) are
 * ';'-separated codes.  Strings and blobs valid while a callback runs. */
typedef struct sinspace__responder_rec {
    const char *id;
    const char *name;
    const char *agency;
    const char *role;
    const char *expertise;
    const char *languages;
    const char *areas;
    /* Sealed contact fields (core/secret.h); NULL when none. */
    const unsigned char *phone, *email, *contact;
    size_t phone_size, email_size, contact_size;
    int has_base;                 /* base point, EPSG:4326 */
    double lon, lat;
    double radius_m;              /* 0: no radius */
    const unsigned char *coverage_wkb; /* MultiPolygon; NULL: none */
    size_t coverage_size;
    const char *availability;
    int active;
    const char *verified;         /* YYYY-MM-DD or NULL */
    const char *updated;          /* ISO 8601 UTC */
} sinspace__responder_rec;

typedef int (*sinspace__responder_fn)(void *user, const sinspace__responder_rec *r);

/* A place whose cover is asked: a workplace, with every area containing
 * it (area_members), coarse to fine, ';'-separated. */
typedef struct sinspace__network_place {
    const char *id;
    const char *name;
    const char *sector;
    const char *areas;
    const char *risk_class;
    double risk;                  /* NaN when unscored */
    double lon, lat;
} sinspace__network_place;

typedef int (*sinspace__place_fn)(void *user, const sinspace__network_place *p);
typedef int (*sinspace__code_fn)(void *user, const char *code);

/* New sealed values of one responder (key rotation). */
typedef struct sinspace__resealed {
    const char *id;
    const unsigned char *phone, *email, *contact;
    size_t phone_size, email_size, contact_size;
} sinspace__resealed;

struct sinspace__network_ops {
    /* Writes the responders and the audit row in one transaction.  When a
     * responder of one of the ids exists and overwrite is 0, nothing is
     * written and *clash is the index of the first such rec (else -1).
     * Read-only store: SINSPACE_PERMISSION. */
    sinspace_status (*import)(sinspace_store *store,
                              const sinspace__responder_rec *recs, size_t n,
                              int overwrite, const sinspace_audit_entry *audit,
                              long long *clash);

    /* Every responder (id NULL) or the one with that id, by id. */
    sinspace_status (*list)(sinspace_store *store, const char *id,
                            sinspace__responder_fn fn, void *user);

    /* Removes a responder and writes the audit row, in one transaction;
     * *removed 0 when there is none of that id (nothing written). */
    sinspace_status (*remove)(sinspace_store *store, const char *id,
                              const sinspace_audit_entry *audit, int *removed);

    /* The sealed key check (*found 0 when the store has none yet). */
    sinspace_status (*keycheck_get)(sinspace_store *store,
                                    unsigned char **out, size_t *size,
                                    int *found);
    /* Sets the key check, alone (audit may be NULL) in its own
     * transaction. */
    sinspace_status (*keycheck_set)(sinspace_store *store,
                                    const unsigned char *check, size_t size,
                                    const sinspace_audit_entry *audit);
    /* Replaces every responder's sealed fields and the key check in one
     * transaction, with the audit row. */
    sinspace_status (*reseal)(sinspace_store *store,
                              const sinspace__resealed *rows, size_t n,
                              const unsigned char *check, size_t check_size,
                              const sinspace_audit_entry *audit);

    /* Is code in the catalogue of kind ("role" or "expertise")? */
    sinspace_status (*catalogue_has)(sinspace_store *store, const char *kind,
                                     const char *code, int *known);
    /* The catalogue of kind, by code. */
    sinspace_status (*catalogue)(sinspace_store *store, const char *kind,
                                 int (*fn)(void *user, const char *code,
                                           const char *label),
                                 void *user);

    /* The area code and every area above it (its parent, the parent's
     * parent ...); nothing when there is no such area. */
    sinspace_status (*lineage)(sinspace_store *store, const char *code,
                               sinspace__code_fn fn, void *user);
    /* The codes of every area containing the point. */
    sinspace_status (*areas_at)(sinspace_store *store, double lon, double lat,
                                sinspace__code_fn fn, void *user);
    /* One workplace by its id; *found 0 when none. */
    sinspace_status (*workplace)(sinspace_store *store, const char *id,
                                 sinspace__place_fn fn, void *user, int *found);
    /* Every workplace of risk class high, by id. */
    sinspace_status (*high_risk)(sinspace_store *store, sinspace__place_fn fn,
                                 void *user);
};

extern const sinspace__network_ops sinspace__spatialite_network_ops;

#endif
