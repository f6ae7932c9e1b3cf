/* import_ogr.c: the OGR reader of the import (GeoJSON, GPKG, Shapefile,
 * KML, FlatGeobuf...).  Opens the source and its layer, sets up the
 * reprojection to lon/lat, and reads point (or footprint) workplaces whose
 * fields are named as the CSV contract's columns; polygon layers go to the
 * area reader (import_areas.c). */
#include "io/import_int.h"
#include "geo/geomcheck.h"

#include <cpl_error.h>
#include <gdal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A feature's field as the contract's text: OGR reads "2025-03-01" in
 * GeoJSON as a Date, which it formats as "2025/03/01", so dates are given
 * in the contract's ISO form.  The caller frees the copy. */
static char *
field_text(OGRFeatureH feat, OGRFeatureDefnH defn, int i)
{
    OGRFieldType ft = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i));
    int y, mo, d, h, mi, tz;
    float sec;
    char iso[32];
    if ((ft == OFTDate || ft == OFTDateTime) &&
        OGR_F_GetFieldAsDateTimeEx(feat, i, &y, &mo, &d, &h, &mi, &sec, &tz)) {
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mo, d);
        return sinspace__strdup(iso);
    }
    return sinspace__strdup(OGR_F_GetFieldAsString(feat, i));
}

/* Validates and writes one feature (or rejects it); map: field -> contract
 * column. */
static sinspace_status
read_feature(sinspace__importer *im, OGRFeatureH feat, OGRFeatureDefnH defn,
             const int *map, int nf, long long nfeat)
{
    sinspace__import_row r;
    char *values[N_COLUMNS];
    memset(&r, 0, sizeof r);
    memset(values, 0, sizeof values);
    for (int i = 0; i < nf; i++) {
        if (map[i] < 0 || !OGR_F_IsFieldSetAndNotNull(feat, i))
            continue;
        values[map[i]] = field_text(feat, defn, i);
        if (values[map[i]] && values[map[i]][0])
            r.v[map[i]] = values[map[i]];
    }
    char where[160];
    snprintf(where, sizeof where, "feature %lld%s%.60s%s", nfeat,
             r.v[COL_ID] ? " (id " : "", r.v[COL_ID] ? r.v[COL_ID] : "",
             r.v[COL_ID] ? ")" : "");
    sinspace_status st = SINSPACE_OK;
    OGRGeometryH g = OGR_F_GetGeometryRef(feat);
    OGRGeometryH g2 = g ? OGR_G_Clone(g) : NULL;
    if (sinspace__import_strict_fault(im, nfeat))
        sinspace__import_reject(im, where, sinspace__import_strict_fault(im, nfeat),
                                NULL, 0, NULL, 0);
    else if (!g)
        sinspace__import_reject(im, where, "no geometry", NULL, 0, NULL, 0);
    else if (im->to_wgs84 && OGR_G_Transform(g2, im->to_wgs84) != OGRERR_NONE)
        sinspace__import_reject(im, where, "cannot transform to lon/lat", NULL,
                                0, NULL, 0);
    else {
        r.geom = g2;
        st = sinspace__import_workplace_row(im, &r, where, NULL, 0, NULL, 0);
    }
    for (int c = 0; c < N_COLUMNS; c++)
        free(values[c]);
    if (g2)
        OGR_G_DestroyGeometry(g2);
    return st;
}

/* Workplaces from an OGR layer: fields named as the CSV contract's
 * columns, geometry a point or a footprint polygon. */
static sinspace_status
import_workplaces(sinspace__importer *im, OGRLayerH layer)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn);
    int *map = calloc((size_t)(nf ? nf : 1), sizeof *map);
    if (!map)
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    int have_id = 0;
    for (int i = 0; i < nf; i++) {
        map[i] = sinspace__import_column_lookup(
            OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (map[i] == COL_ID)
            have_id = 1;
    }
    if (!have_id) {
        free(map);
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s: layer %s has no 'id' field", im->path,
                               OGR_L_GetName(layer));
    }
    GIntBig total = OGR_L_GetFeatureCount(layer, 0);
    OGRFeatureH feat;
    long long nfeat = 0;
    sinspace_status st = SINSPACE_OK;
    while (!st && (feat = OGR_L_GetNextFeature(layer)) != NULL) {
        nfeat++;
        im->result.rows++;
        st = read_feature(im, feat, defn, map, nf, nfeat);
        OGR_F_Destroy(feat);
        if (!st)
            st = sinspace__import_progress(im, nfeat, 20000, (double)nfeat,
                                           total > 0 ? (double)total : 0.0);
    }
    free(map);
    return st;
}

/* The CRS of the layer's coordinates: its own, else --srs, else none
 * (lon/lat).  The caller destroys it. */
static sinspace_status
source_srs(sinspace__importer *im, OGRLayerH layer, OGRSpatialReferenceH *out)
{
    OGRSpatialReferenceH opt_srs = NULL;
    sinspace_status st = sinspace__import_srs_from_option(im, &opt_srs);
    if (st)
        return st;
    OGRSpatialReferenceH layer_srs = OGR_L_GetSpatialRef(layer);
    if (layer_srs && opt_srs)
        sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                      "%s declares its own CRS; --srs %s is ignored", im->path,
                      im->opts->srs);
    *out = layer_srs ? OSRClone(layer_srs) : (opt_srs ? OSRClone(opt_srs) : NULL);
    if (opt_srs)
        OSRDestroySpatialReference(opt_srs);
    return SINSPACE_OK;
}

/* Largest GeoJSON source read as written before OGR. */
#define MAX_JSON_BYTES ((size_t)2 << 30)

static int
on_strict_fault(void *user, const sinspace__geom_fault *f)
{
    sinspace__importer *im = user;
    char msg[480];
    sinspace__geom_fault_format(f, msg, sizeof msg);
    long i = f->feature > 0 ? f->feature : 1;
    if (f->fixable && im->opts->make_valid) {
        /* OGR closes the ring as it reads it; say so. */
        sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                      "%s: feature %ld: %s: closed (--make-valid)", im->path, i, msg);
        return 0;
    }
    if (i > im->n_strict) {
        long n = i > 2 * im->n_strict ? i : 2 * im->n_strict;
        char **p = calloc((size_t)n + 1, sizeof *p);
        if (!p)
            return 1;
        if (im->strict_faults)
            memcpy(p, im->strict_faults, (size_t)(im->n_strict + 1) * sizeof *p);
        free(im->strict_faults);
        im->strict_faults = p;
        im->n_strict = n;
    }
    if (!im->strict_faults[i]) {
        size_t len = strlen(msg) + 64;
        if ((im->strict_faults[i] = malloc(len)))
            snprintf(im->strict_faults[i], len, "%s%s", msg,
                     f->fixable ? " (fix it, or repair it with --make-valid)" : "");
    }
    return 0;
}

/* A GeoJSON source is read as written first (geo/geomcheck.h): OGR would
 * drop a malformed hole or position without a word.  File-level faults
 * (not JSON, not GeoJSON) fail the import; each faulty feature is
 * rejected by its reader with the fault. */
static sinspace_status
strict_read(sinspace__importer *im)
{
    const char *dot = strrchr(im->path, '.');
    int named = dot && (!strcasecmp(dot, ".geojson") || !strcasecmp(dot, ".json"));
    char head[64];
    size_t nh = 0;
    /* Through GDAL's I/O, as OGR opens it (/vsimem/, /vsizip/... too). */
    VSILFILE *f = VSIFOpenL(im->path, "rb");
    if (f) {
        nh = VSIFReadL(head, 1, sizeof head, f);
        VSIFCloseL(f);
    }
    if (!named && !sinspace__looks_like_json(head, nh))
        return SINSPACE_OK;
    char why[300];
    size_t n = 0;
    char *text = sinspace__read_input(im->path, MAX_JSON_BYTES, &n, why, sizeof why);
    if (!text)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: %s", im->path, why);
    int rc = sinspace__geojson_check(text, n, 1, on_strict_fault, im, why, sizeof why);
    free(text);
    if (rc < 0)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: %s", im->path, why);
    return SINSPACE_OK;
}

sinspace_status
sinspace__import_ogr(sinspace__importer *im)
{
    sinspace_status rst = strict_read(im);
    if (rst)
        return rst;
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(im->path, GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 NULL, NULL, NULL);
    if (!ds) {
        const char *msg = CPLGetLastErrorMsg();
        if (msg && *msg)
            return sinspace__gdal_error(im->ctx, SINSPACE_INVALID_INPUT, im->path);
        /* GDAL says nothing when no driver knows the file. */
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s: not a format sinspace can import (CSV with a "
                               ".csv name, or a vector source GDAL reads: "
                               "GeoJSON, GPKG, Shapefile, KML, FlatGeobuf...)",
                               im->path);
    }
    sinspace_status st = SINSPACE_OK;
    OGRLayerH layer = im->opts->layer ? GDALDatasetGetLayerByName(ds, im->opts->layer)
                                      : GDALDatasetGetLayer(ds, 0);
    OGRSpatialReferenceH src = NULL;
    if (!layer) {
        st = sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s: no layer %s",
                             im->path, im->opts->layer ? im->opts->layer : "");
        goto done;
    }
    if ((st = source_srs(im, layer, &src)) ||
        (st = sinspace__import_setup_transform(im, src)))
        goto done;
    if (im->kind == SINSPACE_IMPORT_AUTO) {
        OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(layer));
        im->kind = (t == wkbPolygon || t == wkbMultiPolygon) ? SINSPACE_IMPORT_AREAS
                                                             : SINSPACE_IMPORT_WORKPLACES;
    }
    if (im->kind == SINSPACE_IMPORT_AREAS)
        st = sinspace__import_areas(im, layer);
    else if (im->kind == SINSPACE_IMPORT_WORKPLACES)
        st = import_workplaces(im, layer);
    else
        st = sinspace__error(im->ctx, SINSPACE_UNSUPPORTED,
                             "%s: observations are imported from CSV", im->path);
done:
    if (src)
        OSRDestroySpatialReference(src);
    GDALClose(ds);
    return st;
}
