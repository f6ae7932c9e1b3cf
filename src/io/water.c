/* water.c: the water layer, polygons that displaced public points must
 * not land in (geo/geomask.c).  A water source is read feature by feature
 * through OGR, reprojected to EPSG:4326, repaired when invalid, and each
 * polygon stored through the engine's export domain (store/export.h), so
 * memory does not grow with the file and the geomask reads back only the
 * polygons near the district it works in.  Lines and points (a canal
 * drawn as a line, a spring) hold nothing and are skipped. */
#include "io/water.h"
#include "core/sinspaceInt.h"
#include "geo/srs.h"
#include "store/export.h"

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <stdlib.h>
#include <string.h>

typedef struct water_reader {
    sinspace_context *ctx;
    const char *path;
    OGRLayerH layer;
    OGRCoordinateTransformationH to_wgs84; /* NULL: already lon/lat */
    unsigned char *wkb;                   /* the last polygon handed out */
    long feature;
    long long skipped;
} water_reader;

/* Hands out the next polygonal feature as ISO WKB. */
static int
next_polygon(void *user, const unsigned char **wkb, size_t *size)
{
    water_reader *wr = user;
    free(wr->wkb);
    wr->wkb = NULL;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(wr->layer)) != NULL) {
        wr->feature++;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
        if (t != wkbPolygon && t != wkbMultiPolygon) {
            wr->skipped++;
            OGR_F_Destroy(f);
            continue;
        }
        OGRGeometryH c = OGR_G_Clone(g);
        OGR_F_Destroy(f);
        OGR_G_FlattenTo2D(c);
        if (wr->to_wgs84 && OGR_G_Transform(c, wr->to_wgs84) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(c);
            sinspace__error(wr->ctx, SINSPACE_INVALID_INPUT,
                            "%s: feature %ld: cannot be reprojected to "
                            "EPSG:4326", wr->path, wr->feature);
            return -1;
        }
        if (!OGR_G_IsValid(c)) {
            OGRGeometryH v = OGR_G_MakeValid(c);
            OGR_G_DestroyGeometry(c);
            c = v;
            /* A repair may leave a collection with lines: keep the
             * polygons. */
            if (c && wkbFlatten(OGR_G_GetGeometryType(c)) == wkbGeometryCollection)
                c = OGR_G_ForceToMultiPolygon(c);
            if (!c || OGR_G_IsEmpty(c)) {
                if (c)
                    OGR_G_DestroyGeometry(c);
                sinspace__error(wr->ctx, SINSPACE_INVALID_INPUT,
                                "%s: feature %ld: an invalid polygon that "
                                "cannot be repaired", wr->path, wr->feature);
                return -1;
            }
        }
        int n = OGR_G_WkbSize(c);
        wr->wkb = n > 0 ? malloc((size_t)n) : NULL;
        if (!wr->wkb || OGR_G_ExportToIsoWkb(c, wkbNDR, wr->wkb) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(c);
            sinspace__error(wr->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return -1;
        }
        OGR_G_DestroyGeometry(c);
        *wkb = wr->wkb;
        *size = (size_t)n;
        return 1;
    }
    return 0;
}

sinspace_status
sinspace__import_water(sinspace_store *store, const char *path,
                       const sinspace_import_options *opts,
                       sinspace_import_result *result)
{
    sinspace_context *ctx = sinspace_store_context(store);
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    if (!ds)
        return sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, path);
    water_reader wr = {ctx, path, NULL, NULL, NULL, 0, 0};
    OGRSpatialReferenceH opt = NULL, wgs84 = NULL;
    sinspace_status st = SINSPACE_OK;
    wr.layer = opts->layer ? GDALDatasetGetLayerByName(ds, opts->layer)
                           : GDALDatasetGetLayer(ds, 0);
    if (!wr.layer) {
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s: no vector layer %s",
                             path, opts->layer ? opts->layer : "");
        goto done;
    }
    if ((st = sinspace__srs_parse(ctx, opts->srs, "--srs", &opt)))
        goto done;
    /* The source's own CRS wins, except GeoJSON's implied WGS 84 (RFC
     * 7946), which --srs overrides, as everywhere else. */
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(wr.layer);
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    int geojson = drv && !strcmp(GDALGetDriverShortName(drv), "GeoJSON");
    OGRSpatialReferenceH use = lsrs;
    if (opt && (!lsrs || (geojson && sinspace__srs_is_wgs84(lsrs))))
        use = opt;
    if (use && !sinspace__srs_is_wgs84(use)) {
        wgs84 = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(wgs84, 4326);
        OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
        OGRSpatialReferenceH from = OSRClone(use);
        OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
        wr.to_wgs84 = OCTNewCoordinateTransformation(from, wgs84);
        OSRDestroySpatialReference(from);
        if (!wr.to_wgs84) {
            st = sinspace__gdal_error(ctx, SINSPACE_INVALID_INPUT, path);
            goto done;
        }
    }
    OGR_L_ResetReading(wr.layer);
    long long added = 0;
    const sinspace__export_ops *ops = sinspace__store_engine(store)->export;
    sinspace_audit_entry e = {0};
    e.command = "import";
    e.target = path;
    e.filters = "as=water";
    st = ops->water_add(store, opts->source ? opts->source : path, next_polygon,
                        &wr, &e, &added);
    if (st)
        goto done;
    if (!added) {
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s: no polygon found (water is kept as polygons)",
                             path);
        goto done;
    }
    if (wr.skipped)
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s: %lld line or point features skipped: only polygons "
                      "hold water", path, wr.skipped);
    if (result) {
        memset(result, 0, sizeof *result);
        result->rows = wr.feature;
        result->inserted = added;
        result->rejected = 0;
    }
done:
    free(wr.wkb);
    if (wr.to_wgs84)
        OCTDestroyCoordinateTransformation(wr.to_wgs84);
    if (wgs84)
        OSRDestroySpatialReference(wgs84);
    if (opt)
        OSRDestroySpatialReference(opt);
    GDALClose(ds);
    return st;
}
