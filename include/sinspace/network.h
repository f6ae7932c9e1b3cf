/* sinspace/network.h: the network of responders, who covers a place, and
 * where nobody does (docs/network.md).
 *
 * A responder is a team or a person who acts on suspected cases (police,
 * social workers, labour inspectors, outreach, volunteers ...), with a
 * role, expertise tags, languages (ISO 639 codes) and coverage: area codes
 * (each covering every area below it, as DHIS2 assigns users to
 * organisation units), and/or a polygon, and/or a base point with a radius.
 *
 * Phone, email and other contact are sealed at rest with AES-256-GCM under
 * a key file (DB.key beside the database, mode 0600, unless key_file or
 * SINSPACE_KEY_FILE names another).  Without the key everything works and
 * contacts read "withheld"; a wrong key is refused with a clear message
 * (SINSPACE_PERMISSION).  Contacts are handed out only when asked
 * (contacts = 1) and every such read writes an audit row. */
#ifndef SINSPACE_NETWORK_H
#define SINSPACE_NETWORK_H

#include <sinspace/api.h>

#include <sinspace/store.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What contacts read as when the key file is missing. */
#define SINSPACE_CONTACT_WITHHELD "withheld"

/* One responder.  Lists (expertise, languages, areas) are ';'-separated
 * codes.  Strings live until the callback returns. */
typedef struct sinspace_responder {
    const char *id;
    const char *name;
    const char *agency;
    const char *role;
    const char *expertise;
    const char *languages;
    const char *areas;
    /* NULL unless contacts were asked for; "withheld" without the key. */
    const char *phone;
    const char *email;
    const char *contact;
    int has_base;          /* base point, EPSG:4326 */
    double lon, lat;
    double radius_m;       /* 0: none */
    int has_polygon;
    const char *availability;
    int active;
    const char *verified;  /* YYYY-MM-DD or NULL */
    /* Filled by sinspace_cover only. */
    const char *covers_by; /* "area CODE", "polygon", "radius", "nearby" */
    int score;             /* how well expertise, role and languages match */
    const char *match;     /* what matched, e.g. "fishing; my" ("" none) */
    double distance_m;     /* geodesic, place to base; NaN without a base */
} sinspace_responder;

typedef int (*sinspace_responder_fn)(void *user_data, const sinspace_responder *r);

typedef struct sinspace_responders_import_options {
    const char *key_file;  /* NULL: SINSPACE_KEY_FILE or DB.key */
    int overwrite;         /* replace responders whose id exists */
    const char *layer;     /* OGR sources: the layer (default the first) */
} sinspace_responders_import_options;

/* Imports a CSV (id,name,agency,role,expertise,languages,phone,email,areas
 * and optional contact,lon,lat,radius,active,verified; lists separated by
 * ';') or any OGR source (the same fields; polygons are coverage, points
 * the base) in one transaction: one bad row refuses the file with
 * SINSPACE_INVALID_INPUT naming file, line and column, and nothing is
 * written.  An id already stored is refused unless overwrite.  *rows gets
 * the number written. */
SINSPACE_API sinspace_status sinspace_responders_import(
    sinspace_store *store, const char *path,
    const sinspace_responders_import_options *opts, long long *rows);

/* Every responder, by id.  With contacts, phone/email/contact are opened
 * (key_file as above) and the read is recorded in the audit trail (the
 * store must be open for writing). */
SINSPACE_API sinspace_status sinspace_responders_list(
    sinspace_store *store, int contacts, const char *key_file,
    sinspace_responder_fn fn, void *user_data);

/* Removes a responder (SINSPACE_NOT_FOUND when none), with an audit row. */
SINSPACE_API sinspace_status sinspace_responders_remove(sinspace_store *store,
                                                        const char *id);

/* The role or expertise catalogue ("role", "expertise"), by code. */
SINSPACE_API sinspace_status sinspace_responders_catalogue(
    sinspace_store *store, const char *kind,
    int (*fn)(void *user_data, const char *code, const char *label),
    void *user_data);

/* The key file the store at db_path uses (key_file, else
 * SINSPACE_KEY_FILE, else db_path.key), into buf; -1 when it does not
 * fit. */
SINSPACE_API int sinspace_network_key_path(const char *db_path,
                                           const char *key_file, char *buf,
                                           size_t size);

/* Creates the key file (refused when it exists and does not open the
 * store's contacts) and records its check in the store.  *created is 1
 * when a new key was written, 0 when an existing one was adopted. */
SINSPACE_API sinspace_status sinspace_network_key_create(sinspace_store *store,
                                                         const char *key_file,
                                                         int *created);

/* As sinspace_network_key_create for a store just created (sinspace
 * init): no audit row, as the creation of a store writes none. */
SINSPACE_API sinspace_status sinspace_network_key_init(sinspace_store *store,
                                                       const char *key_file);

/* Re-seals every contact under a new key: the new key is written first to
 * KEYFILE.new (0600, synced), the store re-sealed in one transaction with
 * its audit row, then KEYFILE.new renamed over KEYFILE (docs/network.md).
 * *resealed counts the responders. */
SINSPACE_API sinspace_status sinspace_network_key_rotate(sinspace_store *store,
                                                         const char *key_file,
                                                         long long *resealed);

typedef enum sinspace_cover_kind {
    SINSPACE_COVER_WORKPLACE = 0,
    SINSPACE_COVER_AREA,
    SINSPACE_COVER_ZONE,
    SINSPACE_COVER_POINT
} sinspace_cover_kind;

typedef struct sinspace_cover_query {
    sinspace_cover_kind kind;
    const char *key;       /* workplace id or area code/name */
    long long zone;
    double lon, lat;       /* SINSPACE_COVER_POINT */
    double radius_m;       /* POINT: also teams based within it (0: none) */
    int contacts;          /* open the contacts (an audit row says so) */
    const char *key_file;
    int include_inactive;
} sinspace_cover_query;

/* The place covered, as the query resolved it. */
typedef struct sinspace_cover_place {
    char label[512];       /* "workplace KT-0001", "area 1033 (Khlong Toei)" */
    char sector[64];       /* a workplace's sector, or "" */
    int has_point;
    double lon, lat;
} sinspace_cover_place;

/* The active responders covering the place, best first: by score
 * (expertise, role and languages the place's sector needs, docs/network.md),
 * then by distance to their base.  place (may be NULL) is filled before
 * the first call of fn.  An audit row records the read. */
SINSPACE_API sinspace_status sinspace_cover(sinspace_store *store,
                                            const sinspace_cover_query *q,
                                            sinspace_cover_place *place,
                                            sinspace_responder_fn fn,
                                            void *user_data, long long *count);

/* One uncovered high-risk workplace. */
typedef struct sinspace_gap {
    const char *id;
    const char *name;
    const char *sector;
    const char *area;      /* the finest area containing it */
    double risk;
    double lon, lat;
    const char *missing;   /* "no responder", "no responder with my" ... */
    long long covering;    /* active responders covering it at all */
} sinspace_gap;

typedef struct sinspace_gap_query {
    const char *region;    /* area code or name; NULL: everywhere */
    const char *const *needs; /* role, expertise or language codes */
    size_t n_needs;
} sinspace_gap_query;

/* High-risk workplaces (not closed) in region with no active covering
 * responder, or none having each need, by id.  An audit row records it. */
SINSPACE_API sinspace_status sinspace_cover_gaps(sinspace_store *store,
                                                 const sinspace_gap_query *q,
                                                 int (*fn)(void *user_data,
                                                           const sinspace_gap *g),
                                                 void *user_data,
                                                 long long *count);

#ifdef __cplusplus
}
#endif
#endif
