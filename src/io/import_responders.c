/* import_responders.c: sinspace responders import (sinspace/network.h).
 *
 * A CSV (the responder contract: id,name,agency,role,expertise,languages,
 * phone,email,areas and optional contact,lon,lat,radius,active,verified,
 * availability) or any OGR source with the same fields, polygons as
 * coverage and points as the base.  As for workplaces: every row is
 * checked first, each bad row named with its line (CSV) or feature number,
 * column and reason; one bad row refuses the file (SINSPACE_INVALID_INPUT,
 * exit 3) and nothing is written.  Contact fields are sealed (core/secret.h)
 * before they reach the engine. */
#include "core/csv.h"
#include "core/parse.h"
#include "geo/cover.h"
#include "store/areas.h"
#include "store/network.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    RC_ID, RC_NAME, RC_AGENCY, RC_ROLE, RC_EXPERTISE, RC_LANGUAGES, RC_PHONE,
    RC_EMAIL, RC_AREAS, RC_CONTACT, RC_LON, RC_LAT, RC_RADIUS, RC_ACTIVE,
    RC_VERIFIED, RC_AVAILABILITY, RC_N
};

static const char *const rcol_names[RC_N] = {
    "id", "name", "agency", "role", "expertise", "languages", "phone", "email",
    "areas", "contact", "lon", "lat", "radius", "active", "verified",
    "availability"};

static int
rcol_lookup(const char *name)
{
    for (int i = 0; i < RC_N; i++)
        if (!strcasecmp(name, rcol_names[i]))
            return i;
    if (!strcasecmp(name, "longitude") || !strcasecmp(name, "x"))
        return RC_LON;
    if (!strcasecmp(name, "latitude") || !strcasecmp(name, "y"))
        return RC_LAT;
    return -1;
}

/* One row kept until the whole file is checked. */
typedef struct rrow {
    char *v[RC_N];               /* normalised text; NULL when empty */
    unsigned char *wkb;          /* coverage polygon */
    size_t wkb_size;
    int has_base;
    double lon, lat, radius_m;
    int active;
    char where[64];
} rrow;

typedef struct rimport {
    sinspace_store *store;
    sinspace_context *ctx;
    const char *path;
    rrow *rows;
    size_t n, cap;
    long long bad;
    long long logged;
    int any_contact;
} rimport;

static void
bad(rimport *im, const char *where, const char *column, const char *fmt, ...)
    SINSPACE_PRINTF(4, 5);

static void
bad(rimport *im, const char *where, const char *column, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    im->bad++;
    if (im->logged++ < 50)
        sinspace__log(im->ctx, SINSPACE_LOG_ERROR, "%s: %s: column '%s': %s",
                      im->path, where, column, reason);
}

static void
row_free(rrow *r)
{
    for (int i = 0; i < RC_N; i++)
        free(r->v[i]);
    free(r->wkb);
}

/* Checks a ';' list item by item; returns the normalised list (malloc'd),
 * NULL (with the row marked bad) on a bad item. */
static char *
check_list(rimport *im, const char *where, int col, const char *text)
{
    const sinspace__network_ops *ops = sinspace__store_engine(im->store)->network;
    size_t cap = strlen(text) * 2 + 64;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    size_t used = 0;
    int ok = 1;
    char item[256];
    for (const char *p = text; ok;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len >= sizeof item) {
            bad(im, where, rcol_names[col], "an item is longer than 255 bytes");
            ok = 0;
            break;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (len) {
            char code[256];
            snprintf(code, sizeof code, "%s", item);
            if (col == RC_EXPERTISE) {
                int known = 0;
                if (ops->catalogue_has(im->store, "expertise", item, &known) || !known) {
                    bad(im, where, "expertise", "'%.60s' is not in the expertise "
                        "catalogue (sinspace responders expertise lists it)", item);
                    ok = 0;
                }
            } else if (col == RC_LANGUAGES) {
                int lang = len >= 2 && len <= 3;
                for (size_t i = 0; lang && i < len; i++)
                    lang = item[i] >= 'a' && item[i] <= 'z';
                if (!lang) {
                    bad(im, where, "languages", "'%.60s' is not an ISO 639 code "
                        "(two or three lower-case letters: th, my, km, shn ...)", item);
                    ok = 0;
                }
            } else if (col == RC_AREAS) {
                sinspace__area *a = NULL;
                if (sinspace__area_resolve(im->store, item, &a)) {
                    bad(im, where, "areas", "%s", sinspace_context_message(im->ctx));
                    ok = 0;
                } else {
                    snprintf(code, sizeof code, "%s", a->code);
                    sinspace__area_free(a);
                }
            }
            if (ok) {
                size_t cl = strlen(code);
                if (used + cl + 2 > cap) {
                    cap = (used + cl + 2) * 2;
                    char *t = realloc(out, cap);
                    if (!t) {
                        ok = 0;
                        break;
                    }
                    out = t;
                }
                if (used)
                    out[used++] = ';';
                memcpy(out + used, code, cl + 1);
                used += cl;
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (!ok || !used) {
        free(out);
        return NULL;
    }
    return out;
}

/* Checks one row (v: raw texts, NULL when empty; geom: OGR geometry in
 * EPSG:4326 or NULL) and keeps it. */
static void
take_row(rimport *im, const char *where, char *const v[RC_N], OGRGeometryH geom)
{
    const sinspace__network_ops *ops = sinspace__store_engine(im->store)->network;
    rrow r;
    memset(&r, 0, sizeof r);
    snprintf(r.where, sizeof r.where, "%s", where);
    long long before = im->bad;
    char err[256];
    /* Text: clean UTF-8, no control characters. */
    for (int c = 0; c < RC_N; c++) {
        if (v[c] && sinspace__check_text(v[c], c == RC_AVAILABILITY || c == RC_CONTACT,
                                         4096, err, sizeof err)) {
            bad(im, where, rcol_names[c], "%s", err);
        }
    }
    if (im->bad != before)
        return;
    if (!v[RC_ID])
        bad(im, where, "id", "missing");
    else {
        size_t len = strlen(v[RC_ID]);
        int ok = len <= 64;
        for (size_t i = 0; ok && i < len; i++) {
            char ch = v[RC_ID][i];
            ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                 (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        }
        if (!ok)
            bad(im, where, "id", "'%.60s': letters, digits, '-', '_' and '.' only, "
                "at most 64", v[RC_ID]);
    }
    if (!v[RC_NAME])
        bad(im, where, "name", "missing");
    if (!v[RC_ROLE]) {
        bad(im, where, "role", "missing");
    } else {
        int known = 0;
        if (ops->catalogue_has(im->store, "role", v[RC_ROLE], &known) || !known)
            bad(im, where, "role", "'%.60s' is not a role (sinspace responders "
                "roles lists them: police, social_worker, labour_inspector, "
                "health, ngo_outreach, volunteer, interpreter, prosecutor ...)",
                v[RC_ROLE]);
    }
    for (int c = RC_EXPERTISE; c <= RC_AREAS; c++) {
        if (c != RC_EXPERTISE && c != RC_LANGUAGES && c != RC_AREAS)
            continue;
        if (v[c])
            r.v[c] = check_list(im, where, c, v[c]);
    }
    if (v[RC_EMAIL] && !strchr(v[RC_EMAIL], '@'))
        bad(im, where, "email", "'%.60s' is not an e-mail address", v[RC_EMAIL]);
    if (v[RC_PHONE]) {
        int ok = 1;
        for (const char *p = v[RC_PHONE]; *p && ok; p++)
            ok = (*p >= '0' && *p <= '9') || strchr(" +-().", *p);
        if (!ok)
            bad(im, where, "phone", "digits, spaces, '+', '-', '(', ')' and '.' only");
    }
    if (v[RC_LON] || v[RC_LAT]) {
        if (!v[RC_LON] || !v[RC_LAT])
            bad(im, where, v[RC_LON] ? "lat" : "lon", "lon and lat go together");
        else if (sinspace__parse_double(v[RC_LON], &r.lon, err, sizeof err) ||
                 r.lon < -180 || r.lon > 180)
            bad(im, where, "lon", "'%.60s' is not a longitude", v[RC_LON]);
        else if (sinspace__parse_double(v[RC_LAT], &r.lat, err, sizeof err) ||
                 r.lat < -90 || r.lat > 90)
            bad(im, where, "lat", "'%.60s' is not a latitude", v[RC_LAT]);
        else
            r.has_base = 1;
    }
    if (v[RC_RADIUS]) {
        if (sinspace__parse_distance(v[RC_RADIUS], &r.radius_m, err, sizeof err))
            bad(im, where, "radius", "%s", err);
        else if (!r.has_base && !geom)
            bad(im, where, "radius", "a radius needs the base (lon, lat)");
    }
    r.active = 1;
    if (v[RC_ACTIVE]) {
        const char *a = v[RC_ACTIVE];
        if (!strcasecmp(a, "1") || !strcasecmp(a, "yes") || !strcasecmp(a, "true"))
            r.active = 1;
        else if (!strcasecmp(a, "0") || !strcasecmp(a, "no") || !strcasecmp(a, "false"))
            r.active = 0;
        else
            bad(im, where, "active", "'%.20s': expected 1/0, yes/no or true/false", a);
    }
    char date[11];
    if (v[RC_VERIFIED]) {
        if (sinspace__parse_date(v[RC_VERIFIED], date, err, sizeof err))
            bad(im, where, "verified", "%s", err);
        else
            r.v[RC_VERIFIED] = sinspace__strdup(date);
    }
    if (geom) {
        OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(geom));
        if (t == wkbPolygon || t == wkbMultiPolygon) {
            if (!OGR_G_IsValid(geom)) {
                bad(im, where, "geometry", "the coverage polygon is not valid");
            } else {
                r.wkb_size = (size_t)OGR_G_WkbSize(geom);
                r.wkb = malloc(r.wkb_size);
                if (r.wkb)
                    OGR_G_ExportToIsoWkb(geom, wkbNDR, r.wkb);
            }
        } else if (t == wkbPoint) {
            if (r.has_base)
                bad(im, where, "geometry", "a point geometry and lon/lat both give "
                    "the base; give one");
            r.has_base = 1;
            r.lon = OGR_G_GetX(geom, 0);
            r.lat = OGR_G_GetY(geom, 0);
        } else {
            bad(im, where, "geometry", "%s: expected a polygon (coverage) or a "
                "point (base)", OGRGeometryTypeToName(t));
        }
    }
    if (im->bad == before && !r.v[RC_AREAS] && !r.wkb && !(r.has_base && r.radius_m > 0))
        bad(im, where, "areas", "no coverage: give area codes, a polygon, or a "
            "base (lon, lat) with a radius");
    /* Duplicates within the file. */
    for (size_t i = 0; v[RC_ID] && i < im->n; i++)
        if (!strcmp(im->rows[i].v[RC_ID], v[RC_ID])) {
            bad(im, where, "id", "'%.60s' was given already at %s (one row per "
                "responder)", v[RC_ID], im->rows[i].where);
            break;
        }
    if (im->bad != before) {
        row_free(&r);
        return;
    }
    static const int copy[] = {RC_ID, RC_NAME, RC_AGENCY, RC_ROLE, RC_PHONE,
                               RC_EMAIL, RC_CONTACT, RC_AVAILABILITY};
    for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++)
        r.v[copy[i]] = sinspace__strdup(v[copy[i]]);
    if (v[RC_PHONE] || v[RC_EMAIL] || v[RC_CONTACT])
        im->any_contact = 1;
    if (im->n == im->cap) {
        size_t cap = im->cap ? 2 * im->cap : 16;
        rrow *t = realloc(im->rows, cap * sizeof *t);
        if (!t) {
            row_free(&r);
            im->bad++;
            sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return;
        }
        im->rows = t;
        im->cap = cap;
    }
    im->rows[im->n++] = r;
}

static char *
trimmed(const char *s)
{
    if (!s)
        return NULL;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n)
        return NULL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static sinspace_status
read_csv(rimport *im)
{
    FILE *f = fopen(im->path, "rb");
    if (!f)
        return sinspace__error(im->ctx, SINSPACE_IO, "%s: %s", im->path, strerror(errno));
    sinspace_csv *csv = sinspace__csv_open_file(f);
    if (!csv) {
        fclose(f);
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    char **fields;
    size_t n;
    long line;
    char err[256];
    int rc, map[256];
    size_t n_header = 0;
    int header = 1;
    sinspace_status st = SINSPACE_OK;
    while ((rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err)) != 0) {
        char where[64];
        snprintf(where, sizeof where, "line %ld", line);
        if (rc < 0) {
            bad(im, where, "-", "%s", err);
            continue;
        }
        if (header) {
            header = 0;
            if (n > 256) {
                st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                                     "%s: line %ld: more than 256 columns", im->path, line);
                break;
            }
            int seen[RC_N] = {0};
            for (size_t i = 0; i < n; i++) {
                map[i] = rcol_lookup(fields[i]);
                if (map[i] < 0) {
                    st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                                         "%s: line %ld: column '%s' is not in the "
                                         "responder contract (docs/network.md)",
                                         im->path, line, fields[i]);
                    break;
                }
                if (seen[map[i]]++) {
                    st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                                         "%s: line %ld: column '%s' given twice",
                                         im->path, line, fields[i]);
                    break;
                }
            }
            if (!st && (!seen[RC_ID] || !seen[RC_NAME] || !seen[RC_ROLE]))
                st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                                     "%s: line %ld: the header needs at least id, "
                                     "name and role", im->path, line);
            if (st)
                break;
            n_header = n;
            continue;
        }
        if (n != n_header) {
            bad(im, where, "-", "%zu fields, the header has %zu", n, n_header);
            continue;
        }
        char *v[RC_N] = {0};
        for (size_t i = 0; i < n; i++)
            v[map[i]] = trimmed(fields[i]);
        take_row(im, where, v, NULL);
        for (int c = 0; c < RC_N; c++) {
            if (v[c] && (c == RC_PHONE || c == RC_EMAIL || c == RC_CONTACT))
                sinspace__wipe(v[c], strlen(v[c]));
            free(v[c]);
        }
    }
    if (!st && header)
        st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: empty file", im->path);
    sinspace__csv_close(csv);
    fclose(f);
    return st;
}

static sinspace_status
read_ogr(rimport *im, const char *layer_name)
{
    GDALDatasetH ds = GDALOpenEx(im->path, GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 NULL, NULL, NULL);
    if (!ds)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s: neither a CSV nor a vector source GDAL reads",
                               im->path);
    OGRLayerH layer = layer_name ? GDALDatasetGetLayerByName(ds, layer_name)
                                 : GDALDatasetGetLayer(ds, 0);
    if (!layer) {
        GDALClose(ds);
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: no layer %s",
                               im->path, layer_name ? layer_name : "");
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn);
    int map[256];
    for (int i = 0; i < nf && i < 256; i++)
        map[i] = rcol_lookup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    OGRSpatialReferenceH wgs84 = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(wgs84, "WGS84");
    OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    OGRCoordinateTransformationH tr = NULL;
    if (src && !OSRIsSame(src, wgs84))
        tr = OCTNewCoordinateTransformation(src, wgs84);
    OGRFeatureH feat;
    long fno = 0;
    OGR_L_ResetReading(layer);
    while ((feat = OGR_L_GetNextFeature(layer))) {
        char where[64];
        snprintf(where, sizeof where, "feature %ld", ++fno);
        char *v[RC_N] = {0};
        for (int i = 0; i < nf && i < 256; i++)
            if (map[i] >= 0 && OGR_F_IsFieldSetAndNotNull(feat, i))
                v[map[i]] = trimmed(OGR_F_GetFieldAsString(feat, i));
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        OGRGeometryH gc = g ? OGR_G_Clone(g) : NULL;
        if (gc && tr)
            OGR_G_Transform(gc, tr);
        take_row(im, where, v, gc);
        if (gc)
            OGR_G_DestroyGeometry(gc);
        for (int c = 0; c < RC_N; c++)
            free(v[c]);
        OGR_F_Destroy(feat);
    }
    if (tr)
        OCTDestroyCoordinateTransformation(tr);
    OSRDestroySpatialReference(wgs84);
    GDALClose(ds);
    if (!fno)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: no features",
                               im->path);
    return SINSPACE_OK;
}

static int
is_csv(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && !strcasecmp(path + n - 4, ".csv");
}

SINSPACE_API sinspace_status
sinspace_responders_import(sinspace_store *store, const char *path,
                           const sinspace_responders_import_options *opts,
                           long long *rows)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__network_ops *ops = sinspace__store_engine(store)->network;
    sinspace_responders_import_options defaults = {0};
    if (!opts)
        opts = &defaults;
    if (rows)
        *rows = 0;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION, "%s: opened read-only",
                               sinspace_store_path(store));
    rimport im;
    memset(&im, 0, sizeof im);
    im.store = store;
    im.ctx = ctx;
    im.path = path;
    sinspace_status st = is_csv(path) ? read_csv(&im) : read_ogr(&im, opts->layer);
    if (!st && im.bad)
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s: %lld of %zu rows invalid; nothing was imported "
                             "(each is named above)", path, im.bad,
                             im.n + (size_t)im.bad);
    if (!st && !im.n)
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: no responders", path);
    sinspace__key key;
    int have = 0;
    char *key_path = NULL;
    if (!st && im.any_contact) {
        st = sinspace__network_key(store, opts->key_file, &key, &have, &key_path);
        if (!st && !have)
            st = sinspace__error(ctx, SINSPACE_IO,
                                 "%s: no key file %s to seal the contacts with; "
                                 "create one with: sinspace key create %s",
                                 path, key_path ? key_path : "(DB.key)",
                                 sinspace_store_path(store));
    }
    sinspace__responder_rec *recs = NULL;
    char now[32];
    sinspace__now_iso(now);
    if (!st) {
        recs = calloc(im.n, sizeof *recs);
        if (!recs)
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; !st && i < im.n; i++) {
        rrow *r = &im.rows[i];
        sinspace__responder_rec *c = &recs[i];
        c->id = r->v[RC_ID];
        c->name = r->v[RC_NAME];
        c->agency = r->v[RC_AGENCY];
        c->role = r->v[RC_ROLE];
        c->expertise = r->v[RC_EXPERTISE];
        c->languages = r->v[RC_LANGUAGES];
        c->areas = r->v[RC_AREAS];
        c->has_base = r->has_base;
        c->lon = r->lon;
        c->lat = r->lat;
        c->radius_m = r->radius_m;
        c->coverage_wkb = r->wkb;
        c->coverage_size = r->wkb_size;
        c->availability = r->v[RC_AVAILABILITY];
        c->active = r->active;
        c->verified = r->v[RC_VERIFIED];
        c->updated = now;
        static const int cf[3] = {RC_PHONE, RC_EMAIL, RC_CONTACT};
        static const char *const fn[3] = {"phone", "email", "contact"};
        const unsigned char **outs[3] = {&c->phone, &c->email, &c->contact};
        size_t *sizes[3] = {&c->phone_size, &c->email_size, &c->contact_size};
        for (int f = 0; f < 3 && !st; f++) {
            char *plain = r->v[cf[f]];
            if (!plain)
                continue;
            char ad[256];
            unsigned char *b = NULL;
            sinspace__seal_ad(ad, sizeof ad, r->v[RC_ID], fn[f]);
            if (sinspace__seal(&key, ad, plain, strlen(plain), &b, sizes[f]))
                st = sinspace__error(ctx, SINSPACE_ERROR, "sealing a contact failed");
            *outs[f] = b;
            /* The clear text goes as soon as it is sealed. */
            sinspace__wipe(plain, strlen(plain));
        }
    }
    if (!st) {
        /* A key that was adopted but never checked gets its check now. */
        unsigned char *check = NULL;
        size_t n = 0;
        int found = 0;
        if (have && !(st = ops->keycheck_get(store, &check, &n, &found)) && !found) {
            unsigned char *kc = NULL;
            size_t kn = 0;
            if (!sinspace__network_keycheck_seal(&key, &kc, &kn))
                st = ops->keycheck_set(store, kc, kn, NULL);
            free(kc);
        }
        free(check);
    }
    if (!st) {
        sinspace_audit_entry e = {0};
        e.command = "responders import";
        e.target = path;
        e.filters = opts->overwrite ? "overwrite" : NULL;
        e.rows = (long long)im.n;
        long long clash = -1;
        st = ops->import(store, recs, im.n, opts->overwrite, &e, &clash);
        if (!st && clash >= 0)
            st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                 "%s: %s: column 'id': responder '%s' is stored "
                                 "already; nothing was imported (--overwrite "
                                 "replaces it)", path, im.rows[clash].where,
                                 im.rows[clash].v[RC_ID]);
        else if (!st && rows)
            *rows = (long long)im.n;
    }
    if (have)
        sinspace__wipe(&key, sizeof key);
    for (size_t i = 0; recs && i < im.n; i++) {
        free((void *)recs[i].phone);
        free((void *)recs[i].email);
        free((void *)recs[i].contact);
    }
    free(recs);
    free(key_path);
    for (size_t i = 0; i < im.n; i++)
        row_free(&im.rows[i]);
    free(im.rows);
    return st;
}
