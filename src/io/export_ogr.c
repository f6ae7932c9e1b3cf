/* export_ogr.c: export's OGR sink, for every format but GeoJSON
 * (GeoPackage, Shapefile, KML, FlatGeobuf, CSV).
 *
 * A driver wants a name with the right extension and may write several
 * files (a shapefile is five), so a file export is written into a private
 * folder (mkdtemp, 0700) beside its final name and published by one
 * routine, publish_folder(), which makes each file 0600 and renames it into
 * place.  An export to memory is written to GDAL's /vsimem/ (memory, not a
 * file) and its one file's buffer taken over. */
#include "io/export_int.h"
#include "core/outfile.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ogr_state {
    char *tmp_dir;              /* a file: the private folder beside it;
                                   memory: the /vsimem/ folder */
    char *tmp_path;             /* the dataset's name inside it */
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRSpatialReferenceH srs;
    int in_transaction;
    int field_index[SINSPACE__EXPORT_MAX_COLUMNS];
} ogr_state;

static OGRFieldType
ogr_type(sinspace_value_type t, OGRFieldSubType *sub)
{
    *sub = OFSTNone;
    switch (t) {
    case SINSPACE_VALUE_INTEGER: return OFTInteger64;
    case SINSPACE_VALUE_REAL: return OFTReal;
    case SINSPACE_VALUE_DATE: return OFTDate;
    case SINSPACE_VALUE_DATETIME: return OFTDateTime;
    case SINSPACE_VALUE_BOOLEAN: *sub = OFSTBoolean; return OFTInteger;
    default: return OFTString;
    }
}

static const char *
driver_name(sinspace_export_format f)
{
    switch (f) {
    case SINSPACE_FORMAT_GPKG: return "GPKG";
    case SINSPACE_FORMAT_SHAPEFILE: return "ESRI Shapefile";
    case SINSPACE_FORMAT_KML: return "KML";
    case SINSPACE_FORMAT_FLATGEOBUF: return "FlatGeobuf";
    case SINSPACE_FORMAT_CSV: return "CSV";
    default: return NULL;
    }
}

/* The extension a driver wants for a dataset written to memory. */
static const char *
memory_extension(sinspace_export_format f)
{
    switch (f) {
    case SINSPACE_FORMAT_GPKG: return "gpkg";
    case SINSPACE_FORMAT_KML: return "kml";
    case SINSPACE_FORMAT_FLATGEOBUF: return "fgb";
    case SINSPACE_FORMAT_CSV: return "csv";
    default: return NULL;
    }
}

/* The dataset's folder and name: a private folder beside a file, or a
 * folder of its own under /vsimem/. */
static sinspace_status
make_target(sinspace__exporter *ex, ogr_state *s, const char *drv_name)
{
    if (!ex->path) {
        const char *ext = memory_extension(ex->format);
        if (!ext)
            return sinspace__error(ex->ctx, SINSPACE_UNSUPPORTED,
                                   "%s writes several files; export it to a "
                                   "folder, not to memory", drv_name);
        /* Unique in the process: threads may export at once. */
        static atomic_ullong serial;
        char name[128];
        snprintf(name, sizeof name, "/vsimem/sinspace-export-%ld-%llu",
                 (long)getpid(), (unsigned long long)++serial);
        size_t n = strlen(name) + 32;
        if (!(s->tmp_dir = sinspace__strdup(name)) || !(s->tmp_path = malloc(n)))
            return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
        snprintf(s->tmp_path, n, "%s/%s.%s", name, ex->layer_name, ext);
        /* The CSV driver wants its folder to exist, in memory too. */
        if (VSIMkdir(name, 0700) != 0)
            return sinspace__error(ex->ctx, SINSPACE_IO, "%s: cannot be made",
                                   name);
        return SINSPACE_OK;
    }
    char *dir = NULL;
    const char *base;
    sinspace_status st = sinspace__export_dir_and_base(ex, &dir, &base);
    if (st)
        return st;
    size_t n = strlen(dir) + 32;
    s->tmp_dir = malloc(n);
    if (!s->tmp_dir) {
        free(dir);
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    snprintf(s->tmp_dir, n, "%s/.sinspace-export-XXXXXX", dir);
    free(dir);
    /* A private folder (0700): whatever modes the driver gives its files,
     * nobody else can open them before they are set to 0600 and moved. */
    if (!mkdtemp(s->tmp_dir)) {
        free(s->tmp_dir);
        s->tmp_dir = NULL;
        return sinspace__error(ex->ctx, SINSPACE_IO, "%s: cannot create a "
                               "folder beside it: %s", ex->path, strerror(errno));
    }
    n = strlen(s->tmp_dir) + strlen(base) + 2;
    if (!(s->tmp_path = malloc(n)))
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    snprintf(s->tmp_path, n, "%s/%s", s->tmp_dir, base);
    return SINSPACE_OK;
}

static sinspace_status
ogr_open(sinspace__exporter *ex)
{
    const char *drv_name = driver_name(ex->format);
    GDALDriverH drv = GDALGetDriverByName(drv_name);
    if (!drv)
        return sinspace__error(ex->ctx, SINSPACE_UNSUPPORTED,
                               "%s: GDAL has no %s driver", ex->label, drv_name);
    if (ex->path && !strcmp(ex->path, "-"))
        return sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s cannot be written to standard output; give a "
                               "file name", drv_name);
    ogr_state *s = calloc(1, sizeof *s);
    if (!s)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    ex->state = s;
    sinspace_status st = make_target(ex, s, drv_name);
    if (st)
        return st;

    char **dsco = NULL;
    if (ex->format == SINSPACE_FORMAT_KML) {
        /* KML swallows fields called name and description into its own
         * elements; keep ours as ordinary data. */
        dsco = CSLSetNameValue(dsco, "NameField", "kml_name");
        dsco = CSLSetNameValue(dsco, "DescriptionField", "kml_description");
    }
    CPLErrorReset();
    s->ds = GDALCreate(drv, s->tmp_path, 0, 0, 0, GDT_Unknown, dsco);
    CSLDestroy(dsco);
    if (!s->ds)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->label);
    s->srs = OSRNewSpatialReference(NULL);
    if (!s->srs || OSRImportFromEPSG(s->srs, 4326) != OGRERR_NONE)
        return sinspace__gdal_error(ex->ctx, SINSPACE_ERROR, "EPSG:4326");
    OSRSetAxisMappingStrategy(s->srs, OAMS_TRADITIONAL_GIS_ORDER);
    char **lco = NULL;
    if (ex->format == SINSPACE_FORMAT_CSV)
        lco = CSLSetNameValue(lco, "GEOMETRY", ex->polygons ? "AS_WKT" : "AS_XY");
    if (ex->format == SINSPACE_FORMAT_SHAPEFILE)
        /* The DBF default is Latin-1, which has no Thai: declare UTF-8
         * (written to the .cpg file). */
        lco = CSLSetNameValue(lco, "ENCODING", "UTF-8");
    if (ex->format == SINSPACE_FORMAT_FLATGEOBUF)
        /* The packed R-tree would hold every feature's box in memory. */
        lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "NO");
    /* Layer names: the shapefile's own name is its file name. */
    s->layer = GDALDatasetCreateLayer(s->ds, ex->layer_name, s->srs,
                                      ex->polygons ? wkbMultiPolygon : wkbPoint,
                                      lco);
    CSLDestroy(lco);
    if (!s->layer)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->label);
    for (size_t i = 0; i < ex->n_cols; i++) {
        s->field_index[i] = -1;
        if (!sinspace__export_visible(ex, &ex->cols[i]))
            continue;
        OGRFieldSubType sub;
        OGRFieldType t = ogr_type(ex->cols[i].type, &sub);
        /* Shapefiles know no date-times; KML writes text anyway.  The CSV
         * driver would write its own "2004/08/21": the ISO 8601 text goes
         * out as it is. */
        if (t == OFTDateTime && ex->format == SINSPACE_FORMAT_SHAPEFILE)
            t = OFTString;
        if ((t == OFTDate || t == OFTDateTime) && ex->format == SINSPACE_FORMAT_CSV)
            t = OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(ex->cols[i].name, t);
        OGR_Fld_SetSubType(fd, sub);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(s->layer);
        int before = OGR_FD_GetFieldCount(defn);
        OGRErr err = OGR_L_CreateField(s->layer, fd, 1);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE)
            return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->label);
        /* A driver may rename the field (Shapefile cuts names to 10
         * characters) or, in principle, keep it for itself: index by what
         * the layer now holds, never by creation order alone. */
        defn = OGR_L_GetLayerDefn(s->layer);
        if (OGR_FD_GetFieldCount(defn) == before + 1)
            s->field_index[i] = before;
        else
            s->field_index[i] = OGR_FD_GetFieldIndex(defn, ex->cols[i].name);
        if (s->field_index[i] < 0)
            return sinspace__error(ex->ctx, SINSPACE_UNSUPPORTED,
                                   "%s: the %s driver did not keep field %s",
                                   ex->label, drv_name, ex->cols[i].name);
    }
    /* The audience travels as metadata where the driver keeps it (GPKG). */
    sinspace_property meta[5];
    size_t nm = sinspace__export_meta(ex, meta);
    for (size_t i = 0; i < nm; i++) {
        char key[64];
        snprintf(key, sizeof key, "SINSPACE_%s", meta[i].name);
        for (char *p = key; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        const char *v = meta[i].text ? meta[i].text : "true";
        GDALSetMetadataItem(s->ds, key, v, NULL);
        GDALSetMetadataItem((GDALMajorObjectH)s->layer, key, v, NULL);
    }
    if (GDALDatasetStartTransaction(s->ds, 0) == OGRERR_NONE)
        s->in_transaction = 1;
    return SINSPACE_OK;
}

/* x to n decimals, as the GeoJSON writer writes coordinates. */
static double
to_precision(double x, int n)
{
    double f = pow(10.0, n);
    double r = round(x * f) / f;
    return isfinite(r) ? r : x;
}

/* Every vertex of g to n decimals: the drivers write the doubles they get
 * (the CSV one with 15 significant digits), so --precision applies to
 * every format alike. */
static void
round_geometry(OGRGeometryH g, int n)
{
    int parts = OGR_G_GetGeometryCount(g);
    if (parts > 0) {
        for (int i = 0; i < parts; i++)
            round_geometry(OGR_G_GetGeometryRef(g, i), n);
        return;
    }
    int points = OGR_G_GetPointCount(g);
    for (int i = 0; i < points; i++)
        OGR_G_SetPoint_2D(g, i, to_precision(OGR_G_GetX(g, i), n),
                          to_precision(OGR_G_GetY(g, i), n));
}

static sinspace_status
ogr_write(sinspace__exporter *ex, long long id, const sinspace_property *all,
          const unsigned char *wkb, size_t wkb_size, double lon, double lat)
{
    ogr_state *s = ex->state;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(s->layer));
    if (!f)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < ex->n_cols; i++) {
        int k = s->field_index[i];
        const sinspace_property *p = &all[i];
        if (k < 0)
            continue;
        switch (p->type) {
        case SINSPACE_VALUE_INTEGER:
        case SINSPACE_VALUE_BOOLEAN:
            OGR_F_SetFieldInteger64(f, k, p->type == SINSPACE_VALUE_BOOLEAN
                                                ? p->integer != 0 : p->integer);
            break;
        case SINSPACE_VALUE_REAL:
            if (isfinite(p->real))
                OGR_F_SetFieldDouble(f, k, p->real);
            else
                OGR_F_SetFieldNull(f, k);
            break;
        case SINSPACE_VALUE_TEXT:
        case SINSPACE_VALUE_DATE:
        case SINSPACE_VALUE_DATETIME:
            if (p->text && ex->format == SINSPACE_FORMAT_CSV &&
                sinspace_csv_formula_like(p->text)) {
                /* A spreadsheet would run it: an apostrophe first. */
                size_t n = strlen(p->text) + 2;
                char *quoted = malloc(n);
                if (!quoted) {
                    OGR_F_Destroy(f);
                    return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY,
                                           "out of memory");
                }
                snprintf(quoted, n, "'%s", p->text);
                OGR_F_SetFieldString(f, k, quoted);
                free(quoted);
            } else if (p->text) {
                OGR_F_SetFieldString(f, k, p->text);
            } else {
                OGR_F_SetFieldNull(f, k);
            }
            break;
        default:
            OGR_F_SetFieldNull(f, k);
        }
    }
    OGRGeometryH g = NULL;
    if (wkb) {
        if (OGR_G_CreateFromWkbEx(wkb, NULL, &g, wkb_size) != OGRERR_NONE || !g) {
            OGR_F_Destroy(f);
            return sinspace__error(ex->ctx, SINSPACE_INVALID_INPUT,
                                   "%s: feature %lld: unreadable geometry",
                                   ex->label, id);
        }
        if (ex->polygons)
            g = OGR_G_ForceToMultiPolygon(g);
        round_geometry(g, ex->o->precision);
    } else if (!ex->polygons && isfinite(lon) && isfinite(lat)) {
        g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, to_precision(lon, ex->o->precision),
                          to_precision(lat, ex->o->precision));
    }
    if (g)
        OGR_F_SetGeometryDirectly(f, g);
    if (id >= 0)
        OGR_F_SetFID(f, id);
    CPLErrorReset();
    OGRErr err = OGR_L_CreateFeature(s->layer, f);
    OGR_F_Destroy(f);
    if (err != OGRERR_NONE)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->label);
    return SINSPACE_OK;
}

/* Commits and closes the dataset; memory: takes over its file's buffer. */
static sinspace_status
ogr_finish(sinspace__exporter *ex)
{
    ogr_state *s = ex->state;
    if (s->in_transaction) {
        s->in_transaction = 0;
        if (GDALDatasetCommitTransaction(s->ds) != OGRERR_NONE)
            return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->label);
    }
    CPLErrorReset();
    GDALClose(s->ds);
    s->ds = NULL;
    if (CPLGetLastErrorType() >= CE_Failure)
        return sinspace__gdal_error(ex->ctx, SINSPACE_IO, ex->label);
    if (ex->path)
        return SINSPACE_OK;
    vsi_l_offset len = 0;
    GByte *buf = VSIGetMemFileBuffer(s->tmp_path, &len, TRUE);
    if (!buf)
        return sinspace__error(ex->ctx, SINSPACE_IO, "%s: the driver wrote "
                               "nothing", ex->label);
    /* GDAL's buffer is freed with VSIFree; the caller gets malloc'd memory. */
    ex->mem = malloc(len ? (size_t)len : 1);
    if (ex->mem) {
        memcpy(ex->mem, buf, (size_t)len);
        ex->mem_size = (size_t)len;
    }
    VSIFree(buf);
    return ex->mem ? SINSPACE_OK
                   : sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
}

/* The one routine that publishes a folder of finished files: each file
 * made 0600 and moved beside the export's name (never over the database;
 * over an existing file only with opts->overwrite, refused atomically
 * otherwise).  Without overwrite, a refusal takes back the files already
 * moved, so a shapefile is there whole or not at all. */
static sinspace_status
publish_folder(sinspace__exporter *ex, const char *folder)
{
    char *dir = NULL;
    const char *base;
    sinspace_status st = sinspace__export_dir_and_base(ex, &dir, &base);
    if (st)
        return st;
    int replace = ex->o->overwrite ? SINSPACE__OUTFILE_REPLACE
                                   : SINSPACE__OUTFILE_NO_REPLACE;
    DIR *d = opendir(folder);
    if (!d) {
        free(dir);
        return sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", folder,
                               strerror(errno));
    }
    struct dirent *e;
    char from[4096], to[4096];
    /* The names moved so far, to take back on a refusal. */
    char **moved = NULL;
    size_t n_moved = 0;
    while (!st && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(from, sizeof from, "%s/%s", folder, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(from, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            /* A driver given a name without its extension (CSV, Shapefile,
             * FlatGeobuf) makes a folder of that name. */
            st = sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                                 "%s: the %s driver wrote a folder, not a file; "
                                 "give the file its format's extension",
                                 ex->path, sinspace_export_format_name(ex->format));
        } else if (sinspace__export_is_store_file(ex->store, to)) {
            st = sinspace__error(ex->ctx, SINSPACE_INVALID_ARGUMENT,
                                 "%s: that is the database itself; not replaced",
                                 to);
        } else if (chmod(from, 0600) != 0) {
            st = sinspace__error(ex->ctx, SINSPACE_IO, "%s: %s", to,
                                 strerror(errno));
        } else if (!(st = sinspace__outfile_place(ex->ctx, from, to, replace)) &&
                   !replace) {
            char **grown = realloc(moved, (n_moved + 1) * sizeof *moved);
            char *copy = sinspace__strdup(to);
            if (grown)
                moved = grown;
            if (grown && copy)
                moved[n_moved++] = copy;
            else
                free(copy);
        }
    }
    closedir(d);
    for (size_t i = 0; i < n_moved; i++) {
        if (st)
            unlink(moved[i]);
        free(moved[i]);
    }
    free(moved);
    free(dir);
    return st;
}

static sinspace_status
ogr_publish(sinspace__exporter *ex)
{
    ogr_state *s = ex->state;
    if (!ex->path || !s->tmp_dir)
        return SINSPACE_OK;
    return publish_folder(ex, s->tmp_dir);
}

/* Removes folder and what the driver left in it, folders too (a driver
 * given a name without its extension makes one), depth levels deep. */
static void
remove_tree(const char *folder, int depth)
{
    DIR *d = opendir(folder);
    if (d) {
        struct dirent *e;
        char p[4096];
        struct stat sb;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", folder, e->d_name);
            if (depth > 0 && lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
                remove_tree(p, depth - 1);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(folder);
}

static void
ogr_cleanup(sinspace__exporter *ex)
{
    ogr_state *s = ex->state;
    if (!s)
        return;
    if (s->ds) {
        if (s->in_transaction)
            GDALDatasetRollbackTransaction(s->ds);
        GDALClose(s->ds);
    }
    if (s->srs)
        OSRDestroySpatialReference(s->srs);
    if (s->tmp_dir && !ex->path) {
        VSIRmdirRecursive(s->tmp_dir);
    } else if (s->tmp_dir) {
        remove_tree(s->tmp_dir, 4);
    }
    free(s->tmp_dir);
    free(s->tmp_path);
    free(s);
    ex->state = NULL;
}

const sinspace__export_sink sinspace__export_ogr_sink = {
    .open = ogr_open,
    .write = ogr_write,
    .finish = ogr_finish,
    .publish = ogr_publish,
    .cleanup = ogr_cleanup,
};
