/* cover.c: the network above the engine seam (sinspace/network.h): the
 * store's key, responders listed and removed, who covers a place, and the
 * high-risk workplaces nobody covers.
 *
 * Coverage is decided here, the same way whatever engine holds the rows:
 *   - area codes: a responder assigned to an area covers every area below
 *     it (DHIS2's organisation units).  A workplace is in every area of its
 *     area_members; a point in every area containing it; an area in itself
 *     and its parents.  A code of the responder in that set covers it.
 *   - polygon: contains the point (GEOS); an area or zone: intersects it.
 *   - base and radius: the geodesic distance from the base to the point is
 *     at most the radius; for an area or zone, to its nearest point.
 * Ranking: the sector's needs (the table below) give a score, then the
 * geodesic distance from the place to the base breaks ties. */
#include "geo/cover.h"
#include "geo/queryInt.h"
#include "store/areas.h"
#include "store/network.h"
#include "store/zones.h"

#include <sinspace/audit.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------------------
 * What each sector needs (docs/network.md prints this table)
 */

typedef struct sector_need {
    const char *sector;
    const char *roles;     /* ';' lists */
    const char *expertise;
    const char *languages;
} sector_need;

static const sector_need sector_needs[] = {
    {"fishing", "labour_inspector;police", "fishing;labour;trafficking", "my;km"},
    {"seafood_processing", "labour_inspector", "fishing;labour;trafficking", "my;km"},
    {"karaoke_bar", "ngo_outreach;social_worker", "sexual_exploitation;trafficking", "th;lo;shn"},
    {"massage_parlour", "ngo_outreach;social_worker", "sexual_exploitation;trafficking", "th;lo;shn"},
    {"entertainment_venue", "ngo_outreach;social_worker", "sexual_exploitation;trafficking", "th;lo;shn"},
    {"brothel", "ngo_outreach;police;social_worker", "sexual_exploitation;child_protection;trafficking", "th;lo;shn;my"},
    {"garment_factory", "labour_inspector", "manufacturing;labour", "my;km"},
    {"other_manufacturing", "labour_inspector", "manufacturing;labour", "my;km"},
    {"construction", "labour_inspector", "construction;labour", "my;km;lo"},
    {"agriculture", "labour_inspector;ngo_outreach", "agriculture;labour", "my;shn;kar"},
    {"domestic_work_agency", "labour_inspector;social_worker", "domestic_work;labour;trafficking", "my;lo;km"},
    {"hotel_guesthouse", "police;ngo_outreach", "sexual_exploitation;trafficking;child_protection", "th;en"},
    {"restaurant", "labour_inspector", "labour", "my;lo"},
    {NULL, NULL, NULL, NULL}};

static const sector_need *
need_of(const char *sector)
{
    for (const sector_need *n = sector_needs; sector && n->sector; n++)
        if (!strcmp(n->sector, sector))
            return n;
    return NULL;
}

/* Is code an item of the ';' list? */
static int
in_list(const char *list, const char *code)
{
    if (!list || !code || !*code)
        return 0;
    size_t n = strlen(code);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, code, n))
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* Adds the items of want found in have to *score (weight each) and to
 * the match text. */
static void
score_list(const char *want, const char *have, int weight, int *score,
           char *match, size_t size)
{
    if (!want)
        return;
    char item[64];
    for (const char *p = want; *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len < sizeof item) {
            memcpy(item, p, len);
            item[len] = '\0';
            if (in_list(have, item)) {
                *score += weight;
                size_t used = strlen(match);
                snprintf(match + used, size - used, "%s%s", used ? "; " : "", item);
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
}

/* -------------------------------------------------------------------------
 * The key
 */

static const char keycheck_ad[] = "sinspace/keycheck";
static const char keycheck_plain[] = "sinspace network key check v1";

int
sinspace__network_keycheck_seal(const sinspace__key *key, unsigned char **out,
                                size_t *size)
{
    return sinspace__seal(key, keycheck_ad, keycheck_plain,
                          sizeof keycheck_plain - 1, out, size);
}

sinspace_status
sinspace__network_key(sinspace_store *store, const char *key_file,
                      sinspace__key *key, int *have, char **path_out)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__network_ops *ops = sinspace__store_engine(store)->network;
    *have = 0;
    if (path_out)
        *path_out = NULL;
    char *path = sinspace__key_path(sinspace_store_path(store), key_file);
    if (!path)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    int missing = 0;
    sinspace_status st = sinspace__key_load(ctx, path, key, &missing);
    if (!st && !missing) {
        unsigned char *check = NULL;
        size_t n = 0;
        int found = 0;
        st = ops->keycheck_get(store, &check, &n, &found);
        if (!st && found) {
            char *plain = NULL;
            int rc = sinspace__unseal(key, keycheck_ad, check, n, &plain);
            if (rc == -2)
                st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            else if (rc || strcmp(plain, keycheck_plain))
                st = sinspace__error(ctx, SINSPACE_PERMISSION,
                                     "key file %s does not open the contacts of "
                                     "%s (a wrong or an old key; restore the "
                                     "right one from its backup)",
                                     path, sinspace_store_path(store));
            free(plain);
        }
        free(check);
        if (!st)
            *have = 1;
        else
            sinspace__wipe(key, sizeof *key);
    }
    if (path_out && !st)
        *path_out = path;
    else
        free(path);
    return st;
}

SINSPACE_API int
sinspace_network_key_path(const char *db_path, const char *key_file, char *buf,
                          size_t size)
{
    char *p = sinspace__key_path(db_path, key_file);
    if (!p)
        return -1;
    int rc = strlen(p) < size ? 0 : -1;
    if (!rc)
        memcpy(buf, p, strlen(p) + 1);
    free(p);
    return rc;
}

static sinspace_status key_create(sinspace_store *store, const char *key_file,
                                  int *created, int audited);

SINSPACE_API sinspace_status
sinspace_network_key_create(sinspace_store *store, const char *key_file,
                            int *created)
{
    return key_create(store, key_file, created, 1);
}

SINSPACE_API sinspace_status
sinspace_network_key_init(sinspace_store *store, const char *key_file)
{
    int created = 0;
    return key_create(store, key_file, &created, 0);
}

static sinspace_status
key_create(sinspace_store *store, const char *key_file, int *created, int audited)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__network_ops *ops = sinspace__store_engine(store)->network;
    *created = 0;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: opened read-only", sinspace_store_path(store));
    sinspace__key key;
    int have = 0;
    char *path = NULL;
    sinspace_status st = sinspace__network_key(store, key_file, &key, &have, &path);
    if (st)
        return st;
    if (!path && !(path = sinspace__key_path(sinspace_store_path(store), key_file)))
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (!have) {
        unsigned char *check = NULL;
        size_t n = 0;
        int found = 0;
        if ((st = ops->keycheck_get(store, &check, &n, &found)))
            goto out;
        free(check);
        if (found) {
            st = sinspace__error(ctx, SINSPACE_IO,
                                 "%s: its contacts are sealed under a key that "
                                 "is not at %s; restore that key file from its "
                                 "backup (a new key would not open them)",
                                 sinspace_store_path(store), path);
            goto out;
        }
        if ((st = sinspace__key_generate(ctx, &key)) ||
            (st = sinspace__key_write(ctx, path, &key, 0)))
            goto out;
        *created = 1;
    }
    unsigned char *check = NULL;
    size_t n = 0;
    if (sinspace__network_keycheck_seal(&key, &check, &n)) {
        st = sinspace__error(ctx, SINSPACE_ERROR, "sealing the key check failed");
    } else {
        sinspace_audit_entry e = {0};
        e.command = "key create";
        e.target = path;
        e.rows = -1;
        st = ops->keycheck_set(store, check, n, audited ? &e : NULL);
        free(check);
    }
    if (st && *created) {
        remove(path);
        *created = 0;
    }
out:
    sinspace__wipe(&key, sizeof key);
    free(path);
    return st;
}

/* -------------------------------------------------------------------------
 * Responders in memory
 */

typedef struct net_resp {
    char *id, *name, *agency, *role, *expertise, *languages, *areas;
    char *availability, *verified;
    unsigned char *sealed[3];
    size_t sealed_size[3];
    char *plain[3];
    int has_base, active;
    double lon, lat, radius_m;
    GEOSGeometry *poly;
    const GEOSPreparedGeometry *prep;
    /* per query */
    int covers;
    char covers_by[96];
    int score;
    char match[160];
    double distance_m;
} net_resp;

static const char *const fields[3] = {"phone", "email", "contact"};

typedef struct net {
    sinspace_store *store;
    sinspace_context *ctx;
    net_resp *r;
    size_t n, cap;
    sinspace_status st;
} net;

static unsigned char *
dup_blob(const unsigned char *b, size_t n)
{
    if (!b)
        return NULL;
    unsigned char *c = malloc(n ? n : 1);
    if (c)
        memcpy(c, b, n);
    return c;
}

static int
collect(void *user, const sinspace__responder_rec *rec)
{
    net *nt = user;
    if (nt->n == nt->cap) {
        size_t cap = nt->cap ? 2 * nt->cap : 16;
        net_resp *t = realloc(nt->r, cap * sizeof *t);
        if (!t) {
            nt->st = sinspace__error(nt->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        nt->r = t;
        nt->cap = cap;
    }
    net_resp *r = &nt->r[nt->n++];
    memset(r, 0, sizeof *r);
    r->id = sinspace__strdup(rec->id);
    r->name = sinspace__strdup(rec->name);
    r->agency = sinspace__strdup(rec->agency);
    r->role = sinspace__strdup(rec->role);
    r->expertise = sinspace__strdup(rec->expertise);
    r->languages = sinspace__strdup(rec->languages);
    r->areas = sinspace__strdup(rec->areas);
    r->availability = sinspace__strdup(rec->availability);
    r->verified = sinspace__strdup(rec->verified);
    r->sealed[0] = dup_blob(rec->phone, rec->phone_size);
    r->sealed_size[0] = rec->phone_size;
    r->sealed[1] = dup_blob(rec->email, rec->email_size);
    r->sealed_size[1] = rec->email_size;
    r->sealed[2] = dup_blob(rec->contact, rec->contact_size);
    r->sealed_size[2] = rec->contact_size;
    r->has_base = rec->has_base;
    r->lon = rec->lon;
    r->lat = rec->lat;
    r->radius_m = rec->radius_m;
    r->active = rec->active;
    if (rec->coverage_wkb) {
        r->poly = GEOSGeomFromWKB_buf_r(nt->ctx->geos, rec->coverage_wkb,
                                        rec->coverage_size);
        if (r->poly)
            r->prep = GEOSPrepare_r(nt->ctx->geos, r->poly);
    }
    if (!r->id || !r->name || !r->role) {
        nt->st = sinspace__error(nt->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return 1;
    }
    return 0;
}

static void
net_free(net *nt)
{
    for (size_t i = 0; i < nt->n; i++) {
        net_resp *r = &nt->r[i];
        free(r->id); free(r->name); free(r->agency); free(r->role);
        free(r->expertise); free(r->languages); free(r->areas);
        free(r->availability); free(r->verified);
        for (int f = 0; f < 3; f++) {
            free(r->sealed[f]);
            if (r->plain[f]) {
                sinspace__wipe(r->plain[f], strlen(r->plain[f]));
                free(r->plain[f]);
            }
        }
        if (r->prep)
            GEOSPreparedGeom_destroy_r(nt->ctx->geos, r->prep);
        if (r->poly)
            GEOSGeom_destroy_r(nt->ctx->geos, r->poly);
    }
    free(nt->r);
    memset(nt, 0, sizeof *nt);
}

static sinspace_status
net_load(sinspace_store *store, net *nt)
{
    memset(nt, 0, sizeof *nt);
    nt->store = store;
    nt->ctx = sinspace_store_context(store);
    sinspace_status st = sinspace__store_engine(store)->network->list(
        store, NULL, collect, nt);
    if (!st)
        st = nt->st;
    return st;
}

/* Opens the contacts of the responders marked (all when only_covering is
 * 0) with the store's key; without one they read "withheld". */
static sinspace_status
net_open_contacts(net *nt, const char *key_file, int only_covering)
{
    sinspace__key key;
    int have = 0;
    char *path = NULL;
    sinspace_status st = sinspace__network_key(nt->store, key_file, &key, &have,
                                               &path);
    if (st)
        return st;
    if (!have)
        sinspace__log(nt->ctx, SINSPACE_LOG_WARNING,
                      "no key file %s: contacts are withheld", path);
    for (size_t i = 0; i < nt->n && !st; i++) {
        net_resp *r = &nt->r[i];
        if (only_covering && !r->covers)
            continue;
        for (int f = 0; f < 3 && !st; f++) {
            if (!r->sealed[f])
                continue;
            if (!have) {
                r->plain[f] = sinspace__strdup(SINSPACE_CONTACT_WITHHELD);
                continue;
            }
            char ad[256];
            sinspace__seal_ad(ad, sizeof ad, r->id, fields[f]);
            int rc = sinspace__unseal(&key, ad, r->sealed[f], r->sealed_size[f],
                                      &r->plain[f]);
            if (rc == -2)
                st = sinspace__error(nt->ctx, SINSPACE_NO_MEMORY, "out of memory");
            else if (rc)
                st = sinspace__error(nt->ctx, SINSPACE_PERMISSION,
                                     "responder '%s': its %s does not open with "
                                     "key file %s (altered, or moved from "
                                     "another row or field)", r->id, fields[f],
                                     path);
        }
    }
    sinspace__wipe(&key, sizeof key);
    free(path);
    return st;
}

static void
to_public(const net_resp *r, sinspace_responder *out)
{
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->name = r->name;
    out->agency = r->agency;
    out->role = r->role;
    out->expertise = r->expertise;
    out->languages = r->languages;
    out->areas = r->areas;
    out->phone = r->plain[0];
    out->email = r->plain[1];
    out->contact = r->plain[2];
    out->has_base = r->has_base;
    out->lon = r->lon;
    out->lat = r->lat;
    out->radius_m = r->radius_m;
    out->has_polygon = r->poly != NULL;
    out->availability = r->availability;
    out->active = r->active;
    out->verified = r->verified;
    out->covers_by = r->covers ? r->covers_by : NULL;
    out->score = r->score;
    out->match = r->match;
    out->distance_m = r->distance_m;
}

static sinspace_status
audit(sinspace_store *store, const char *command, const char *target,
      const char *filters, long long rows)
{
    sinspace_audit_entry e = {0};
    e.command = command;
    e.target = target;
    e.audience = "internal";
    e.filters = filters;
    e.rows = rows;
    return sinspace_audit_record(store, &e);
}

SINSPACE_API sinspace_status
sinspace_responders_list(sinspace_store *store, int contacts, const char *key_file,
                         sinspace_responder_fn fn, void *user)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (contacts && !sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: reading contacts records itself in the audit "
                               "trail; open the database for writing",
                               sinspace_store_path(store));
    net nt;
    sinspace_status st = net_load(store, &nt);
    if (!st && contacts)
        st = net_open_contacts(&nt, key_file, 0);
    if (!st && contacts)
        st = audit(store, "responders list", sinspace_store_path(store), "contacts",
                   (long long)nt.n);
    for (size_t i = 0; i < nt.n && !st; i++) {
        sinspace_responder out;
        to_public(&nt.r[i], &out);
        if (fn(user, &out))
            break;
    }
    net_free(&nt);
    return st;
}

SINSPACE_API sinspace_status
sinspace_responders_remove(sinspace_store *store, const char *id)
{
    sinspace_context *ctx = sinspace_store_context(store);
    sinspace_audit_entry e = {0};
    e.command = "responders rm";
    e.target = id;
    e.rows = 1;
    int removed = 0;
    sinspace_status st = sinspace__store_engine(store)->network->remove(store, id, &e,
                                                                        &removed);
    if (!st && !removed)
        st = sinspace__error(ctx, SINSPACE_NOT_FOUND, "no responder '%s'", id);
    return st;
}

SINSPACE_API sinspace_status
sinspace_responders_catalogue(sinspace_store *store, const char *kind,
                              int (*fn)(void *, const char *, const char *),
                              void *user)
{
    if (!kind || (strcmp(kind, "role") && strcmp(kind, "expertise")))
        return sinspace__error(sinspace_store_context(store),
                               SINSPACE_INVALID_ARGUMENT,
                               "catalogue: expected role or expertise");
    return sinspace__store_engine(store)->network->catalogue(store, kind, fn, user);
}

SINSPACE_API sinspace_status
sinspace_network_key_rotate(sinspace_store *store, const char *key_file,
                            long long *resealed)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__network_ops *ops = sinspace__store_engine(store)->network;
    *resealed = 0;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION, "%s: opened read-only",
                               sinspace_store_path(store));
    sinspace__key old, fresh;
    int have = 0;
    char *path = NULL, *tmp = NULL;
    sinspace_status st = sinspace__network_key(store, key_file, &old, &have, &path);
    if (st)
        return st;
    if (!have) {
        char p[4096];
        sinspace_network_key_path(sinspace_store_path(store), key_file, p, sizeof p);
        return sinspace__error(ctx, SINSPACE_IO,
                               "no key file %s: nothing to rotate from (create "
                               "one with: sinspace key create DB)", p);
    }
    sinspace__wipe(&old, sizeof old);
    net nt;
    sinspace__resealed *rows = NULL;
    unsigned char *check = NULL;
    size_t check_size = 0;
    if ((st = net_load(store, &nt)) || (st = net_open_contacts(&nt, key_file, 0)))
        goto out;
    if ((st = sinspace__key_generate(ctx, &fresh)))
        goto out;
    rows = calloc(nt.n ? nt.n : 1, sizeof *rows);
    if (!rows) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nt.n && !st; i++) {
        net_resp *r = &nt.r[i];
        rows[i].id = r->id;
        for (int f = 0; f < 3 && !st; f++) {
            if (!r->plain[f])
                continue;
            char ad[256];
            unsigned char *b = NULL;
            size_t n = 0;
            sinspace__seal_ad(ad, sizeof ad, r->id, fields[f]);
            if (sinspace__seal(&fresh, ad, r->plain[f], strlen(r->plain[f]), &b, &n)) {
                st = sinspace__error(ctx, SINSPACE_ERROR, "sealing failed");
                break;
            }
            /* The old sealed value is replaced by the new one. */
            free(r->sealed[f]);
            r->sealed[f] = b;
            r->sealed_size[f] = n;
        }
        rows[i].phone = r->sealed[0];
        rows[i].phone_size = r->sealed_size[0];
        rows[i].email = r->sealed[1];
        rows[i].email_size = r->sealed_size[1];
        rows[i].contact = r->sealed[2];
        rows[i].contact_size = r->sealed_size[2];
    }
    if (st)
        goto out;
    if (sinspace__network_keycheck_seal(&fresh, &check, &check_size)) {
        st = sinspace__error(ctx, SINSPACE_ERROR, "sealing the key check failed");
        goto out;
    }
    /* The new key is on disk (KEYFILE.new) before the store changes, so a
     * crash between the two leaves a key for whichever state committed. */
    size_t tn = strlen(path) + 5;
    tmp = malloc(tn);
    if (!tmp) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto out;
    }
    snprintf(tmp, tn, "%s.new", path);
    if ((st = sinspace__key_write(ctx, tmp, &fresh, 1)))
        goto out;
    sinspace_audit_entry e = {0};
    e.command = "key rotate";
    e.target = path;
    e.rows = (long long)nt.n;
    if ((st = ops->reseal(store, rows, nt.n, check, check_size, &e))) {
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        st = sinspace__error(ctx, SINSPACE_IO,
                             "the contacts are sealed under the new key in %s, "
                             "but moving it over %s failed: move it by hand",
                             tmp, path);
        goto out;
    }
    *resealed = (long long)nt.n;
out:
    sinspace__wipe(&fresh, sizeof fresh);
    free(rows);
    free(check);
    free(tmp);
    free(path);
    net_free(&nt);
    return st;
}

/* -------------------------------------------------------------------------
 * Who covers a place
 */

typedef struct place {
    char *label;
    char *sector;
    char *areas;          /* ';' codes of every area it is in */
    int has_point;
    double lon, lat;
    GEOSGeometry *geom;   /* areas and zones; NULL for points */
} place;

static void
place_free(sinspace_context *ctx, place *p)
{
    free(p->label);
    free(p->sector);
    free(p->areas);
    if (p->geom)
        GEOSGeom_destroy_r(ctx->geos, p->geom);
    memset(p, 0, sizeof *p);
}

typedef struct strbuf {
    char *s;
    size_t n, cap;
    int oom;
} strbuf;

static int
sb_add(void *user, const char *code)
{
    strbuf *b = user;
    size_t len = strlen(code);
    if (b->n + len + 2 > b->cap) {
        size_t cap = (b->n + len + 2) * 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = 1;
            return 1;
        }
        b->s = t;
        b->cap = cap;
    }
    if (b->n)
        b->s[b->n++] = ';';
    memcpy(b->s + b->n, code, len + 1);
    b->n += len;
    return 0;
}

static int
take_place(void *user, const sinspace__network_place *np)
{
    place *p = user;
    p->sector = sinspace__strdup(np->sector);
    p->areas = sinspace__strdup(np->areas ? np->areas : "");
    p->has_point = 1;
    p->lon = np->lon;
    p->lat = np->lat;
    return 1;
}

/* The point on a geometry's surface, for distances. */
static void
surface_point(sinspace_context *ctx, const GEOSGeometry *g, place *p)
{
    GEOSGeometry *pt = GEOSPointOnSurface_r(ctx->geos, g);
    if (pt) {
        double x, y;
        if (GEOSGeomGetX_r(ctx->geos, pt, &x) && GEOSGeomGetY_r(ctx->geos, pt, &y)) {
            p->lon = x;
            p->lat = y;
            p->has_point = 1;
        }
        GEOSGeom_destroy_r(ctx->geos, pt);
    }
}

static int
zone_wkb(void *user, const unsigned char *wkb, size_t size)
{
    void **ud = user;
    sinspace_context *ctx = ud[0];
    if (wkb)
        *(GEOSGeometry **)ud[1] = GEOSGeomFromWKB_buf_r(ctx->geos, wkb, size);
    return 1;
}

static sinspace_status
resolve_place(sinspace_store *store, const sinspace_cover_query *q, place *p)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace_engine *eng = sinspace__store_engine(store);
    sinspace_status st = SINSPACE_OK;
    char label[512];
    memset(p, 0, sizeof *p);
    strbuf b = {0};
    switch (q->kind) {
    case SINSPACE_COVER_WORKPLACE: {
        int found = 0;
        if (!q->key)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "cover: no workplace id");
        if ((st = eng->network->workplace(store, q->key, take_place, p, &found)))
            return st;
        if (!found)
            return sinspace__error(ctx, SINSPACE_NOT_FOUND, "no workplace '%s'", q->key);
        snprintf(label, sizeof label, "workplace %s", q->key);
        break;
    }
    case SINSPACE_COVER_AREA: {
        sinspace__area *a = NULL;
        if ((st = sinspace__area_resolve(store, q->key, &a)))
            return st;
        if ((st = eng->network->lineage(store, a->code, sb_add, &b)))
            goto area_out;
        p->areas = b.s ? b.s : sinspace__strdup("");
        b.s = NULL;
        if (a->wkb) {
            p->geom = GEOSGeomFromWKB_buf_r(ctx->geos, a->wkb, a->wkb_size);
            if (p->geom)
                surface_point(ctx, p->geom, p);
        }
        char title[300];
        snprintf(label, sizeof label, "area %s (%s)", a->code,
                 sinspace__area_title(a, title, sizeof title));
area_out:
        sinspace__area_free(a);
        if (st)
            return st;
        break;
    }
    case SINSPACE_COVER_ZONE: {
        GEOSGeometry *g = NULL;
        void *ud[2] = {ctx, &g};
        int found = 0;
        if ((st = eng->zones->geometry(store, q->zone, zone_wkb, ud, &found)))
            return st;
        if (!found || !g) {
            if (g)
                GEOSGeom_destroy_r(ctx->geos, g);
            return sinspace__error(ctx, SINSPACE_NOT_FOUND, "no zone %lld", q->zone);
        }
        p->geom = g;
        surface_point(ctx, g, p);
        if (p->has_point &&
            (st = eng->network->areas_at(store, p->lon, p->lat, sb_add, &b)))
            return st;
        p->areas = b.s ? b.s : sinspace__strdup("");
        snprintf(label, sizeof label, "zone %lld", q->zone);
        break;
    }
    case SINSPACE_COVER_POINT:
        p->has_point = 1;
        p->lon = q->lon;
        p->lat = q->lat;
        if ((st = eng->network->areas_at(store, q->lon, q->lat, sb_add, &b)))
            return st;
        p->areas = b.s ? b.s : sinspace__strdup("");
        snprintf(label, sizeof label, "point %.6f,%.6f", q->lon, q->lat);
        break;
    default:
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "cover: unknown place");
    }
    if (b.oom || !p->areas)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    p->label = sinspace__strdup(label);
    return SINSPACE_OK;
}

/* Does r cover p?  Sets r->covers and r->covers_by. */
static void
test_cover(sinspace_context *ctx, net_resp *r, const place *p)
{
    r->covers = 0;
    r->covers_by[0] = '\0';
    /* Area codes: any of the responder's in the place's set. */
    if (r->areas && p->areas) {
        char item[80];
        for (const char *s = r->areas; *s;) {
            const char *e = strchr(s, ';');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (len < sizeof item) {
                memcpy(item, s, len);
                item[len] = '\0';
                if (in_list(p->areas, item)) {
                    r->covers = 1;
                    snprintf(r->covers_by, sizeof r->covers_by, "area %s", item);
                    return;
                }
            }
            if (!e)
                break;
            s = e + 1;
        }
    }
    if (r->prep) {
        int hit = 0;
        if (p->geom) {
            hit = GEOSPreparedIntersects_r(ctx->geos, r->prep, p->geom) == 1;
        } else if (p->has_point) {
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx->geos, p->lon, p->lat);
            if (pt) {
                hit = GEOSPreparedIntersects_r(ctx->geos, r->prep, pt) == 1;
                GEOSGeom_destroy_r(ctx->geos, pt);
            }
        }
        if (hit) {
            r->covers = 1;
            snprintf(r->covers_by, sizeof r->covers_by, "polygon");
            return;
        }
    }
    if (r->has_base && r->radius_m > 0) {
        double d = INFINITY;
        if (p->geom) {
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx->geos, r->lon, r->lat);
            if (pt) {
                if (GEOSIntersects_r(ctx->geos, p->geom, pt) == 1) {
                    d = 0;
                } else {
                    GEOSCoordSequence *cs = GEOSNearestPoints_r(ctx->geos, p->geom, pt);
                    double x, y;
                    if (cs && GEOSCoordSeq_getXY_r(ctx->geos, cs, 0, &x, &y))
                        d = sinspace__geodesic_distance(r->lon, r->lat, x, y);
                    if (cs)
                        GEOSCoordSeq_destroy_r(ctx->geos, cs);
                }
                GEOSGeom_destroy_r(ctx->geos, pt);
            }
        } else if (p->has_point) {
            d = sinspace__geodesic_distance(r->lon, r->lat, p->lon, p->lat);
        }
        if (d <= r->radius_m) {
            r->covers = 1;
            snprintf(r->covers_by, sizeof r->covers_by, "radius");
        }
    }
}

static void
score(net_resp *r, const place *p)
{
    r->score = 0;
    r->match[0] = '\0';
    const sector_need *n = need_of(p->sector);
    if (n) {
        score_list(n->expertise, r->expertise, 3, &r->score, r->match, sizeof r->match);
        score_list(n->roles, r->role, 2, &r->score, r->match, sizeof r->match);
        score_list(n->languages, r->languages, 1, &r->score, r->match, sizeof r->match);
    }
    r->distance_m = p->has_point && r->has_base
                        ? sinspace__geodesic_distance(p->lon, p->lat, r->lon, r->lat)
                        : NAN;
}

static const char *
s_or(const char *s)
{
    return s ? s : "";
}

static int
by_rank(const void *a, const void *b)
{
    const net_resp *x = *(net_resp *const *)a, *y = *(net_resp *const *)b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    int xn = isnan(x->distance_m), yn = isnan(y->distance_m);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x->distance_m != y->distance_m)
        return x->distance_m < y->distance_m ? -1 : 1;
    return strcmp(x->id, y->id);
}

SINSPACE_API sinspace_status
sinspace_cover(sinspace_store *store, const sinspace_cover_query *q,
               sinspace_cover_place *out_place, sinspace_responder_fn fn,
               void *user, long long *count)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (count)
        *count = 0;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: cover records itself in the audit trail; "
                               "open the database for writing",
                               sinspace_store_path(store));
    place p;
    net nt;
    memset(&nt, 0, sizeof nt);
    net_resp **order = NULL;
    size_t n_order = 0;
    sinspace_status st = resolve_place(store, q, &p);
    if (st)
        goto out;
    if ((st = net_load(store, &nt)))
        goto out;
    order = calloc(nt.n ? nt.n : 1, sizeof *order);
    if (!order) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nt.n; i++) {
        net_resp *r = &nt.r[i];
        if (!r->active && !q->include_inactive)
            continue;
        test_cover(ctx, r, &p);
        score(r, &p);
        if (!r->covers && q->kind == SINSPACE_COVER_POINT && q->radius_m > 0 &&
            !isnan(r->distance_m) && r->distance_m <= q->radius_m) {
            r->covers = 1;
            snprintf(r->covers_by, sizeof r->covers_by, "nearby");
        }
        if (r->covers)
            order[n_order++] = r;
    }
    qsort(order, n_order, sizeof *order, by_rank);
    if (q->contacts && (st = net_open_contacts(&nt, q->key_file, 1)))
        goto out;
    if ((st = audit(store, "cover", p.label, q->contacts ? "contacts" : NULL,
                    (long long)n_order)))
        goto out;
    if (out_place) {
        snprintf(out_place->label, sizeof out_place->label, "%s", p.label);
        snprintf(out_place->sector, sizeof out_place->sector, "%s", s_or(p.sector));
        out_place->has_point = p.has_point;
        out_place->lon = p.lon;
        out_place->lat = p.lat;
    }
    for (size_t i = 0; i < n_order; i++) {
        sinspace_responder r;
        to_public(order[i], &r);
        if (count)
            (*count)++;
        if (fn && fn(user, &r))
            break;
    }
out:
    free(order);
    net_free(&nt);
    place_free(ctx, &p);
    return st;
}

/* -------------------------------------------------------------------------
 * Where is nobody
 */

enum need_kind { NEED_ROLE, NEED_EXPERTISE, NEED_LANGUAGE };

typedef struct gaps_run {
    sinspace_context *ctx;
    net *nt;
    const sinspace_gap_query *q;
    const char *region_code;
    const int *kinds;
    int (*fn)(void *, const sinspace_gap *);
    void *user;
    long long count;
    int stopped;
} gaps_run;

static const char *
finest_area(const char *areas, char *buf, size_t size)
{
    /* The engine lists a workplace's areas coarse to fine: the last is
     * the finest. */
    buf[0] = '\0';
    if (!areas)
        return NULL;
    const char *last = strrchr(areas, ';');
    snprintf(buf, size, "%s", last ? last + 1 : areas);
    return buf;
}

static int
on_high(void *user, const sinspace__network_place *np)
{
    gaps_run *g = user;
    if (g->region_code && !in_list(np->areas, g->region_code))
        return 0;
    place p;
    memset(&p, 0, sizeof p);
    p.areas = (char *)(np->areas ? np->areas : "");
    p.has_point = 1;
    p.lon = np->lon;
    p.lat = np->lat;
    long long covering = 0;
    int have[64] = {0};
    size_t nn = g->q->n_needs < 64 ? g->q->n_needs : 64;
    for (size_t i = 0; i < g->nt->n; i++) {
        net_resp *r = &g->nt->r[i];
        if (!r->active)
            continue;
        test_cover(g->ctx, r, &p);
        if (!r->covers)
            continue;
        covering++;
        for (size_t k = 0; k < nn; k++) {
            const char *need = g->q->needs[k];
            const char *list = g->kinds[k] == NEED_ROLE ? r->role
                               : g->kinds[k] == NEED_EXPERTISE ? r->expertise
                                                               : r->languages;
            if (in_list(list, need))
                have[k] = 1;
        }
    }
    char missing[512] = "";
    if (!covering) {
        snprintf(missing, sizeof missing, "no responder");
    } else {
        for (size_t k = 0; k < nn; k++) {
            if (have[k])
                continue;
            size_t used = strlen(missing);
            snprintf(missing + used, sizeof missing - used, "%s%s",
                     used ? ", " : "no responder with ", g->q->needs[k]);
        }
    }
    if (!missing[0])
        return 0;
    char area[128];
    sinspace_gap gap = {
        .id = np->id, .name = np->name, .sector = np->sector,
        .area = finest_area(np->areas, area, sizeof area),
        .risk = np->risk, .lon = np->lon, .lat = np->lat,
        .missing = missing, .covering = covering};
    g->count++;
    if (g->fn && g->fn(g->user, &gap)) {
        g->stopped = 1;
        return 1;
    }
    return 0;
}

SINSPACE_API sinspace_status
sinspace_cover_gaps(sinspace_store *store, const sinspace_gap_query *q,
                    int (*fn)(void *, const sinspace_gap *), void *user,
                    long long *count)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__network_ops *ops = sinspace__store_engine(store)->network;
    if (count)
        *count = 0;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: cover records itself in the audit trail; "
                               "open the database for writing",
                               sinspace_store_path(store));
    if (q->n_needs > 64)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "--need: at most 64 needs");
    int kinds[64];
    sinspace_status st = SINSPACE_OK;
    for (size_t k = 0; k < q->n_needs; k++) {
        int known = 0;
        const char *need = q->needs[k];
        if ((st = ops->catalogue_has(store, "role", need, &known)))
            return st;
        if (known) {
            kinds[k] = NEED_ROLE;
            continue;
        }
        if ((st = ops->catalogue_has(store, "expertise", need, &known)))
            return st;
        if (known) {
            kinds[k] = NEED_EXPERTISE;
            continue;
        }
        size_t len = strlen(need);
        int lang = len >= 2 && len <= 3;
        for (size_t i = 0; lang && i < len; i++)
            lang = need[i] >= 'a' && need[i] <= 'z';
        if (!lang)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "--need '%s': not a role, an expertise or an "
                                   "ISO 639 language code (sinspace responders "
                                   "roles|expertise lists them)", need);
        kinds[k] = NEED_LANGUAGE;
    }
    sinspace__area *region = NULL;
    if (q->region && (st = sinspace__area_resolve(store, q->region, &region)))
        return st;
    net nt;
    if ((st = net_load(store, &nt))) {
        sinspace__area_free(region);
        return st;
    }
    gaps_run g = {ctx, &nt, q, region ? region->code : NULL, kinds, fn, user, 0, 0};
    st = ops->high_risk(store, on_high, &g);
    if (!st) {
        char filters[1024] = "gaps";
        for (size_t k = 0; k < q->n_needs; k++) {
            size_t used = strlen(filters);
            snprintf(filters + used, sizeof filters - used, " need=%s", q->needs[k]);
        }
        st = audit(store, "cover", region ? region->code : "everywhere", filters,
                   g.count);
    }
    if (count)
        *count = g.count;
    net_free(&nt);
    sinspace__area_free(region);
    return st;
}

/* -------------------------------------------------------------------------
 * The responders layer of an export
 */

static void
set_text(sinspace_property *p, const char *text)
{
    p->text = text;
    p->type = text ? SINSPACE_VALUE_TEXT : SINSPACE_VALUE_NULL;
}

sinspace_status
sinspace__responders_export(sinspace_store *store, int contacts,
                            const char *key_file, sinspace_property *v,
                            int (*fn)(void *, long long, double, double),
                            void *user)
{
    net nt;
    sinspace_status st = net_load(store, &nt);
    if (!st && contacts)
        st = net_open_contacts(&nt, key_file, 0);
    for (size_t i = 0; i < nt.n && !st; i++) {
        net_resp *r = &nt.r[i];
        set_text(&v[SINSPACE__XRS_ID], r->id);
        set_text(&v[SINSPACE__XRS_NAME], r->name);
        set_text(&v[SINSPACE__XRS_AGENCY], r->agency);
        set_text(&v[SINSPACE__XRS_ROLE], r->role);
        set_text(&v[SINSPACE__XRS_EXPERTISE], r->expertise);
        set_text(&v[SINSPACE__XRS_LANGUAGES], r->languages);
        set_text(&v[SINSPACE__XRS_AREAS], r->areas);
        v[SINSPACE__XRS_RADIUS].type = r->radius_m > 0 ? SINSPACE_VALUE_REAL
                                                       : SINSPACE_VALUE_NULL;
        v[SINSPACE__XRS_RADIUS].real = r->radius_m;
        set_text(&v[SINSPACE__XRS_AVAILABILITY], r->availability);
        v[SINSPACE__XRS_ACTIVE].type = SINSPACE_VALUE_BOOLEAN;
        v[SINSPACE__XRS_ACTIVE].integer = r->active;
        set_text(&v[SINSPACE__XRS_VERIFIED], r->verified);
        if (v[SINSPACE__XRS_VERIFIED].text)
            v[SINSPACE__XRS_VERIFIED].type = SINSPACE_VALUE_DATE;
        set_text(&v[SINSPACE__XRS_PHONE], contacts ? r->plain[0] : NULL);
        set_text(&v[SINSPACE__XRS_EMAIL], contacts ? r->plain[1] : NULL);
        set_text(&v[SINSPACE__XRS_CONTACT], contacts ? r->plain[2] : NULL);
        if (fn(user, (long long)i + 1, r->has_base ? r->lon : NAN,
               r->has_base ? r->lat : NAN))
            break;
    }
    net_free(&nt);
    return st;
}
