/* cover.h: the network's engine-neutral logic shared by geo/cover.c and
 * io/import_responders.c: the key file as a store uses it. */
#ifndef SINSPACE_GEO_COVER_H
#define SINSPACE_GEO_COVER_H

#include "core/secret.h"
#include "core/sinspaceInt.h"

#include <sinspace/export.h>
#include <sinspace/network.h>

/* Loads the store's key (key_file as sinspace_network_key_path says) and
 * checks it against the store's sealed key check.  *have 0 when the key
 * file does not exist (not an error: contacts are withheld); a key that
 * does not open the check fails with SINSPACE_PERMISSION naming the file.
 * *path_out (may be NULL) gets the malloc'd path. */
sinspace_status sinspace__network_key(sinspace_store *store, const char *key_file,
                                      sinspace__key *key, int *have,
                                      char **path_out);

/* Seals the key check for key (its associated data is fixed). */
int sinspace__network_keycheck_seal(const sinspace__key *key, unsigned char **out,
                                    size_t *size);

/* The responders layer of an export (io/export.c): its columns, in this
 * order. */
enum {
    SINSPACE__XRS_ID, SINSPACE__XRS_NAME, SINSPACE__XRS_AGENCY,
    SINSPACE__XRS_ROLE, SINSPACE__XRS_EXPERTISE, SINSPACE__XRS_LANGUAGES,
    SINSPACE__XRS_AREAS, SINSPACE__XRS_RADIUS, SINSPACE__XRS_AVAILABILITY,
    SINSPACE__XRS_ACTIVE, SINSPACE__XRS_VERIFIED, SINSPACE__XRS_PHONE,
    SINSPACE__XRS_EMAIL, SINSPACE__XRS_CONTACT, SINSPACE__XRS_N
};

/* Fills values (SINSPACE__XRS_N of them, names and types set) for each
 * responder by id and calls fn with its base (NaN without one).  Contact
 * values are opened only with contacts (else NULL). */
sinspace_status sinspace__responders_export(sinspace_store *store, int contacts,
                                            const char *key_file,
                                            sinspace_property *values,
                                            int (*fn)(void *user, long long fid,
                                                      double lon, double lat),
                                            void *user);

#endif
