/* import_areas.c: the area reader of the import.  Administrative polygons
 * from any OGR source (HDX COD-AB, geoBoundaries, a ministry's shapefile):
 * the name, local name and code fields guessed from their common names,
 * the level from the fields' ADMn prefix or --level, the parent found by
 * overlap, and a missing code made from the parent's code and the name. */
#include "io/import_int.h"
#include "core/parse.h"

#include <geodesic.h>
#include <math.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* First field of the layer whose name matches one of the candidates. */
static int
guess_field(OGRFeatureDefnH defn, const char *given, const char *const *cands,
            int *missing_given)
{
    if (given) {
        int i = OGR_FD_GetFieldIndex(defn, given);
        if (i < 0)
            *missing_given = 1;
        return i;
    }
    for (int c = 0; cands[c]; c++) {
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
            if (!strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)),
                            cands[c]))
                return i;
    }
    return -1;
}

/* "Mueang Chiang Mai" -> "mueang-chiang-mai". */
static void
slugify(const char *in, char *out, size_t size)
{
    size_t n = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 2 < size; p++) {
        if (isalnum(*p)) {
            if (dash && n)
                out[n++] = '-';
            out[n++] = (char)tolower(*p);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[n] = '\0';
}

/* The layer's fields and the level of its areas. */
typedef struct area_fields {
    int name, local, code; /* field indexes, -1 when absent */
    sinspace_area_level level;
} area_fields;

static sinspace_status
find_fields(sinspace__importer *im, OGRLayerH layer, area_fields *af)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    static const char *const name_cands[] = {
        "name_latin", "name_en", "ADM4_EN", "ADM3_EN", "ADM2_EN", "ADM1_EN",
        "dname_e", "shapeName", "NAME_EN", "name", NULL};
    static const char *const local_cands[] = {
        "name_local", "name_th", "ADM4_TH", "ADM3_TH", "ADM2_TH", "ADM1_TH",
        "dname", "NAME_TH", NULL};
    static const char *const code_cands[] = {
        "code", "ADM4_PCODE", "ADM3_PCODE", "ADM2_PCODE", "ADM1_PCODE",
        "dcode", "shapeISO", "shapeID", NULL};
    int missing = 0;
    af->name = guess_field(defn, im->opts->name_field, name_cands, &missing);
    af->local = guess_field(defn, im->opts->name_local_field, local_cands, &missing);
    af->code = guess_field(defn, im->opts->code_field, code_cands, &missing);
    if (missing)
        return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: a field named by --name-field, "
                               "--name-local-field or --code-field is not in "
                               "layer %s", im->path, OGR_L_GetName(layer));
    if (af->name < 0 && af->local < 0)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s: no name field found; name one with "
                               "--name-field", im->path);
    af->level = im->opts->level;
    if (af->level == SINSPACE_LEVEL_INVALID) {
        const char *nf = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(
            defn, af->name >= 0 ? af->name : af->local));
        if (!strncasecmp(nf, "ADM", 3) && nf[3] >= '1' && nf[3] <= '4')
            af->level = (sinspace_area_level)(nf[3] - '0');
        else
            return sinspace__error(im->ctx, SINSPACE_INVALID_ARGUMENT,
                                   "%s: cannot tell the areas' level; give --level "
                                   "province|district|subdistrict|village",
                                   im->path);
    }
    return SINSPACE_OK;
}

/* A feature's field as text, or NULL; the caller frees it. */
static char *
field_copy(OGRFeatureH feat, int f)
{
    if (f < 0 || !OGR_F_IsFieldSetAndNotNull(feat, f))
        return NULL;
    return sinspace__strdup(OGR_F_GetFieldAsString(feat, f));
}

/* Does s hold a bidirectional control (U+202A..U+202E, U+2066..U+2069)? */
static int
has_bidi(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (p[0] == 0xE2 && ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
                             (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
            return 1;
    return 0;
}

/* Checks a feature's names, code and geometry; on success *multi is its
 * geometry as a 2-D MULTIPOLYGON in lon/lat (the caller destroys it),
 * else reason says why. */
static void
check_feature(sinspace__importer *im, OGRFeatureH feat, const char *name,
              const char *local, const char *code, OGRGeometryH *multi,
              const char *where, long long nfeat, char *reason,
              size_t reason_size)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(feat);
    char err[160];
    OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
    reason[0] = '\0';
    *multi = NULL;
    if (!name && !local)
        snprintf(reason, reason_size, "no name");
    else if ((name && sinspace__check_text(name, 0, 300, err, sizeof err) < 0) ||
             (local && sinspace__check_text(local, 0, 300, err, sizeof err) < 0))
        snprintf(reason, reason_size, "name: %s", err);
    else if (code[0] && sinspace__check_text(code, 0, 200, err, sizeof err) < 0)
        snprintf(reason, reason_size, "code: %s", err);
    else if (!im->opts->allow_bidi && (has_bidi(name) || has_bidi(local) || has_bidi(code)))
        snprintf(reason, reason_size, "%s: bidirectional control character (it "
                 "makes text read otherwise than it is stored; --allow-bidi "
                 "accepts it)", has_bidi(code) ? "code" : "name");
    else if (sinspace__import_strict_fault(im, nfeat))
        snprintf(reason, reason_size, "%s", sinspace__import_strict_fault(im, nfeat));
    else if (!g || OGR_G_IsEmpty(g))
        snprintf(reason, reason_size, "no geometry");
    else if (t != wkbPolygon && t != wkbMultiPolygon)
        snprintf(reason, reason_size, "geometry is a %s; areas are polygons",
                 OGRGeometryTypeToName(t));
    if (reason[0])
        return;
    *multi = OGR_G_ForceToMultiPolygon(OGR_G_Clone(g));
    OGR_G_FlattenTo2D(*multi);
    if (im->opts->make_valid)
        OGR_G_CloseRings(*multi); /* reported by the strict reading */
    if (im->to_wgs84 && OGR_G_Transform(*multi, im->to_wgs84) != OGRERR_NONE)
        snprintf(reason, reason_size, "cannot transform to lon/lat");
    else
        sinspace__import_check_polygon(im, multi, where, reason, reason_size);
}

/* A made-up code: "parent/slug", or "parent/slug-k" for the k-th feature
 * of that name; cut to size like any code. */
static void
make_code(char *code, size_t size, const char *parent, const char *slug, int k)
{
    int w = k ? snprintf(code, size, "%s%s%s-%d", parent, parent[0] ? "/" : "",
                         slug, k)
              : snprintf(code, size, "%s%s%s", parent, parent[0] ? "/" : "", slug);
    if (w < 0)
        code[0] = '\0';
}

/* The geodesic area of a lon/lat MULTIPOLYGON on WGS 84, in km2: each
 * polygon's outer ring less its holes (GeographicLib, exact on the
 * ellipsoid, at the equator as anywhere). */
static double
geodesic_km2(OGRGeometryH multi)
{
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    double total = 0.0;
    for (int i = 0; i < OGR_G_GetGeometryCount(multi); i++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(multi, i);
        for (int k = 0; k < OGR_G_GetGeometryCount(poly); k++) {
            OGRGeometryH ring = OGR_G_GetGeometryRef(poly, k);
            int n = OGR_G_GetPointCount(ring);
            struct geod_polygon gp;
            geod_polygon_init(&gp, 0);
            /* The closing point repeats the first: leave it out. */
            for (int j = 0; j + 1 < n; j++)
                geod_polygon_addpoint(&g, &gp, OGR_G_GetY(ring, j), OGR_G_GetX(ring, j));
            double area = 0;
            geod_polygon_compute(&g, &gp, 0, 1, &area, NULL);
            total += (k == 0 ? 1 : -1) * fabs(area);
        }
    }
    return total / 1e6;
}

/* Writes a checked area: its parent, its code (made when the source has
 * none), then the row. */
static sinspace_status
write_area(sinspace__importer *im, sinspace_area_level level,
           OGRGeometryH multi, const char *name, const char *local,
           char *code, size_t code_size, long long nfeat, const char *where)
{
    size_t wkb_size = 0;
    unsigned char *wkb = sinspace__import_wkb(multi, &wkb_size);
    if (!wkb)
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    /* The parent: the finest area of a higher level overlapping this one. */
    char parent[256];
    OGREnvelope env;
    OGR_G_GetEnvelope(multi, &env);
    sinspace_status st = im->ops->area_parent(im->load, (int)level, wkb, wkb_size,
                                              env.MinX, env.MinY, env.MaxX,
                                              env.MaxY, parent, sizeof parent);
    int generated = !code[0];
    char slug[200];
    if (!st && generated) {
        slugify(name ? name : local, slug, sizeof slug);
        if (!slug[0])
            snprintf(slug, sizeof slug, "%lld", nfeat);
        make_code(code, code_size, parent, slug, 0);
    }
    /* Two features of one import may not share a code; a made-up one
     * gets a number (two tambon of Fang are both "Mae Kha"). */
    int fresh = 0;
    for (int k = 2; !st && k < 100; k++) {
        fresh = im->ops->area_code_claim(im->load, code);
        if (fresh || !generated)
            break;
        make_code(code, code_size, parent, slug, k);
    }
    if (!st && !fresh) {
        char reason[512];
        snprintf(reason, sizeof reason, "code '%.100s' is used by an earlier "
                 "feature of this file", code);
        sinspace__import_reject(im, where, reason, NULL, 0, NULL, 0);
    } else if (!st) {
        sinspace__import_area a = {
            .code = code,
            .parent_code = parent[0] ? parent : NULL,
            .level = sinspace_area_level_name(level),
            .level_rank = (int)level,
            .name_local = local,
            .name_latin = name,
            .source = im->opts->source,
            .wkb = wkb,
            .wkb_size = wkb_size,
            .area_km2 = geodesic_km2(multi),
        };
        int updated = 0;
        if (!(st = im->ops->area_write(im->load, &a, &updated))) {
            if (updated)
                im->result.updated++;
            else
                im->result.inserted++;
        }
    }
    free(wkb);
    return st;
}

sinspace_status
sinspace__import_areas(sinspace__importer *im, OGRLayerH layer)
{
    area_fields af;
    sinspace_status st = find_fields(im, layer, &af);
    if (st)
        return st;
    GIntBig total = OGR_L_GetFeatureCount(layer, 0);
    OGRFeatureH feat;
    long long nfeat = 0;
    char reason[512], where[160];
    while (!st && (feat = OGR_L_GetNextFeature(layer)) != NULL) {
        nfeat++;
        im->result.rows++;
        char *name = field_copy(feat, af.name), *local = field_copy(feat, af.local);
        char code[256] = "";
        if (af.code >= 0 && OGR_F_IsFieldSetAndNotNull(feat, af.code))
            snprintf(code, sizeof code, "%s", OGR_F_GetFieldAsString(feat, af.code));
        if (name || local)
            snprintf(where, sizeof where, "feature %lld (%.100s)", nfeat,
                     name ? name : local);
        else
            snprintf(where, sizeof where, "feature %lld", nfeat);
        OGRGeometryH multi;
        check_feature(im, feat, name, local, code, &multi, where, nfeat, reason,
                      sizeof reason);
        if (reason[0])
            sinspace__import_reject(im, where, reason, NULL, 0, NULL, 0);
        else
            st = write_area(im, af.level, multi, name, local, code, sizeof code,
                            nfeat, where);
        if (multi)
            OGR_G_DestroyGeometry(multi);
        free(name);
        free(local);
        OGR_F_Destroy(feat);
        if (!st)
            st = sinspace__import_progress(im, nfeat, 100, (double)nfeat,
                                           total > 0 ? (double)total : 0.0);
    }
    return st;
}
