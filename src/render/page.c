/* render.c: `sinspace map` and `sinspace atlas` (see sinspace/render.h).
 *
 * A page is laid out in device pixels at its dpi: a title band, the map
 * frame (an integer pixel rectangle, so the PNG's world file is exact), a
 * side panel (north arrow, scale bar, legend, inset locator) and a foot
 * band (attribution, generation time, marking).  Inside the frame, bottom
 * up: imagery (render_basemap.c), areas, high-risk zones (render_zones.c),
 * workplaces (render_symbology.c), labels (render_label.c).  Geometry comes from SpatiaLite as WKB and is
 * projected with OGR (PROJ underneath); no projection math is done here. */
#include "render/render_int.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <png.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MARKING "CONFIDENTIAL \xe2\x80\x94 for authorised use"

static const sinspace_rgba INK = {0.1, 0.1, 0.12, 1};
static const sinspace_rgba MUTED = {0.35, 0.35, 0.38, 1};
static const sinspace_rgba WHITE = {1, 1, 1, 1};
static const sinspace_rgba MARK_RED = {0.75, 0.05, 0.05, 1};

/* ------------------------------------------------------------------ */
/* Options */

sinspace_paper
sinspace_paper_parse(const char *name)
{
    static const char *const names[] = {"A4", "A3", "A2", "A1", "A0", "Letter"};
    for (int i = 0; name && i < 6; i++)
        if (!strcasecmp(name, names[i]))
            return (sinspace_paper)i;
    return SINSPACE_PAPER_INVALID;
}

static void
paper_mm(sinspace_paper p, int landscape, double *w, double *h)
{
    static const double sizes[][2] = {{210, 297}, {297, 420}, {420, 594},
                                      {594, 841}, {841, 1189}, {215.9, 279.4}};
    if (p < 0 || p > SINSPACE_PAPER_LETTER)
        p = SINSPACE_PAPER_A4;
    *w = sizes[p][landscape ? 1 : 0];
    *h = sizes[p][landscape ? 0 : 1];
}

void
sinspace_map_options_init(sinspace_map_options *o)
{
    memset(o, 0, sizeof *o);
    o->margin = 0.05;
    o->paper = SINSPACE_PAPER_A4;
    o->dpi = 300;
}

void
sinspace_atlas_options_init(sinspace_atlas_options *o)
{
    memset(o, 0, sizeof *o);
    o->level = SINSPACE_LEVEL_DISTRICT;
    o->paper = SINSPACE_PAPER_A4;
    o->dpi = 150;
    o->max_table_rows = 15;
}

/* ------------------------------------------------------------------ */
/* State of one map page */

typedef struct workplace {
    double x, y;           /* page pixels */
    double risk;           /* NaN when unscored */
    long long id;
    char *ext_id, *name, *name_local, *sector, *status, *risk_class;
} workplace;

/* A zone of the `zones` table that meets the frame. */
typedef struct zone_geom {
    OGRGeometryH geom;     /* in the map CRS */
    render_zone_feature f;
    char *sectors;
} zone_geom;

typedef struct area_geom {
    OGRGeometryH geom;     /* in the map CRS */
    char *code, *name_latin, *name_local;
    int selected;
} area_geom;

/* The overview page's classes of risk-weighted density. */
#define CHORO_CLASSES 5
typedef struct choro {
    double lo[CHORO_CLASSES], hi[CHORO_CLASSES];
    int counts[CHORO_CLASSES + 1]; /* the last: no data */
    int n_classes;
} choro;

typedef struct map {
    const choro *choro;        /* overview page: its key replaces the legend */
    sinspace_store *store;
    sinspace_context *ctx;
    /* Page layout (pixels). */
    double dpi, px_mm, px_pt, px_sld;
    int W, H;
    int frame[4];              /* x, y, w, h */
    double panel[4];           /* x0, y0, x1, y1 */
    double foot_y;             /* top of the foot band */
    double extra[4];           /* atlas: table and chart box, or zeros */
    /* Georeferencing. */
    OGRSpatialReferenceH srs, wgs;
    OGRCoordinateTransformationH to_map, to_wgs;
    char *wkt;
    char crs_name[64];
    double gt[6];
    double ext[4];             /* frame in map CRS: xmin, ymin, xmax, ymax */
    double ll[4];              /* frame in lon/lat */
    double scale;
    /* Content. */
    char *title, *subtitle, *target;
    OGRGeometryH selected;     /* the selected area in the map CRS, or NULL */
    char *selected_code;
    int level;                 /* level rank of the areas drawn */
    area_geom *areas;
    size_t n_areas;
    workplace *wp;
    size_t n_wp;
    render_zone_style *zstyle; /* borrowed; NULL: no zones layer */
    zone_geom *zones;
    size_t n_zones;
    char data_date[11];
    char **attributions;
    int n_attr;
    int tiles;
    long long labels;
    int is_raster;
    int is_pdf;     /* PDF pages (and atlases) paint markers from recording
                       surfaces; SVG draws each (cairo 1.16's SVG backend
                       mishandles recording-surface sources: valgrind) */
} map;

static double
px_x(const map *m, double x)
{
    return (x - m->gt[0]) / m->gt[1];
}

static double
px_y(const map *m, double y)
{
    return (y - m->gt[3]) / m->gt[5];
}

static void
map_clear_content(map *m)
{
    for (size_t i = 0; i < m->n_areas; i++) {
        OGR_G_DestroyGeometry(m->areas[i].geom);
        free(m->areas[i].code);
        free(m->areas[i].name_latin);
        free(m->areas[i].name_local);
    }
    free(m->areas);
    m->areas = NULL;
    m->n_areas = 0;
    for (size_t i = 0; i < m->n_wp; i++) {
        workplace *w = &m->wp[i];
        free(w->ext_id); free(w->name); free(w->name_local);
        free(w->sector); free(w->status); free(w->risk_class);
    }
    free(m->wp);
    m->wp = NULL;
    m->n_wp = 0;
    for (size_t i = 0; i < m->n_zones; i++) {
        OGR_G_DestroyGeometry(m->zones[i].geom);
        free(m->zones[i].sectors);
    }
    free(m->zones);
    m->zones = NULL;
    m->n_zones = 0;
    for (int i = 0; i < m->n_attr; i++)
        free(m->attributions[i]);
    free(m->attributions);
    m->attributions = NULL;
    m->n_attr = 0;
    if (m->selected)
        OGR_G_DestroyGeometry(m->selected);
    m->selected = NULL;
    free(m->selected_code);
    m->selected_code = NULL;
    free(m->title); free(m->subtitle); free(m->target);
    m->title = m->subtitle = m->target = NULL;
    if (m->to_map) OCTDestroyCoordinateTransformation(m->to_map);
    if (m->to_wgs) OCTDestroyCoordinateTransformation(m->to_wgs);
    if (m->srs) OSRDestroySpatialReference(m->srs);
    m->to_map = m->to_wgs = NULL;
    m->srs = NULL;
    CPLFree(m->wkt);
    m->wkt = NULL;
    m->data_date[0] = '\0';
    m->tiles = 0;
    m->labels = 0;
}

static void
map_free(map *m)
{
    map_clear_content(m);
    if (m->wgs)
        OSRDestroySpatialReference(m->wgs);
    m->wgs = NULL;
}

static char *
col_dup(sqlite3_stmt *stmt, int i)
{
    const unsigned char *t = sqlite3_column_text(stmt, i);
    return t ? sinspace__strdup((const char *)t) : NULL;
}

/* ------------------------------------------------------------------ */
/* Layout */

static void
layout_page(map *m, sinspace_paper paper, int landscape, double dpi,
            int atlas_extra)
{
    double wmm, hmm;
    paper_mm(paper, landscape, &wmm, &hmm);
    m->dpi = dpi;
    m->px_mm = dpi / 25.4;
    m->px_pt = dpi / 72.0;
    m->px_sld = dpi / 90.7142857; /* the 0.28 mm SLD pixel */
    m->W = (int)lround(wmm * m->px_mm);
    m->H = (int)lround(hmm * m->px_mm);
    /* The panel scales a little with the paper, within bounds. */
    double margin = 10, title_h = 20, foot_h = 12, ticks = 7;
    double panel_w = fmax(58, fmin(90, wmm * 0.22));
    double fx = margin + ticks, fy = margin + title_h;
    double fx1 = wmm - margin - panel_w - 5, fy1 = hmm - margin - foot_h - ticks;
    if (atlas_extra) {
        double extra_h = (fy1 - fy) * 0.32;
        m->extra[0] = fx * m->px_mm;
        m->extra[1] = (fy1 - extra_h + ticks + 2) * m->px_mm;
        m->extra[2] = fx1 * m->px_mm;
        m->extra[3] = fy1 * m->px_mm + ticks * m->px_mm;
        fy1 -= extra_h;
    } else {
        memset(m->extra, 0, sizeof m->extra);
    }
    m->frame[0] = (int)lround(fx * m->px_mm);
    m->frame[1] = (int)lround(fy * m->px_mm);
    m->frame[2] = (int)lround(fx1 * m->px_mm) - m->frame[0];
    m->frame[3] = (int)lround(fy1 * m->px_mm) - m->frame[1];
    m->panel[0] = (wmm - margin - panel_w) * m->px_mm;
    m->panel[1] = fy * m->px_mm;
    m->panel[2] = (wmm - margin) * m->px_mm;
    m->panel[3] = (hmm - margin - foot_h) * m->px_mm;
    m->foot_y = (hmm - margin - foot_h + 2) * m->px_mm;
}

/* ------------------------------------------------------------------ */
/* Extent */

static sinspace_status
geom_from_wkb(sinspace_context *ctx, const void *wkb, int size,
              OGRGeometryH *out)
{
    OGRGeometryH g = NULL;
    if (!wkb || OGR_G_CreateFromWkb(wkb, NULL, &g, size) != OGRERR_NONE || !g)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "map: an area has an unreadable geometry");
    *out = g;
    return SINSPACE_OK;
}

/* Looks an area up by code, Latin or local name; ambiguous names are
 * refused listing the codes. */
static sinspace_status
find_area(map *m, const char *key, OGRGeometryH *geom, int *level)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(m->store,
        "SELECT code, level_rank, name_latin, name_local, AsBinary(geom),"
        " code = ?1 AS exact FROM areas WHERE code = ?1"
        " OR name_latin = ?1 COLLATE NOCASE OR name_local = ?1"
        " ORDER BY exact DESC, level_rank, code", &stmt);
    if (st)
        return st;
    sinspace__bind_text(stmt, 1, key);
    int n = 0, exact = 0;
    char codes[512] = "";
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        if (n == 0) {
            exact = sqlite3_column_int(stmt, 5);
            m->selected_code = col_dup(stmt, 0);
            *level = sqlite3_column_int(stmt, 1);
            const char *latin = (const char *)sqlite3_column_text(stmt, 2);
            const char *local = (const char *)sqlite3_column_text(stmt, 3);
            char buf[512];
            snprintf(buf, sizeof buf, "%s%s%s%s", latin ? latin : "",
                     latin && local ? " (" : "", local ? local : "",
                     latin && local ? ")" : "");
            m->title = sinspace__strdup(buf[0] ? buf : key);
            st = geom_from_wkb(m->ctx, sqlite3_column_blob(stmt, 4),
                               sqlite3_column_bytes(stmt, 4), geom);
        }
        size_t len = strlen(codes);
        snprintf(codes + len, sizeof codes - len, "%s%s", n ? ", " : "",
                 (const char *)sqlite3_column_text(stmt, 0));
        n++;
        if (exact)
            break;
    }
    sqlite3_finalize(stmt);
    if (st)
        return st;
    if (n == 0)
        return sinspace__error(m->ctx, SINSPACE_NOT_FOUND,
                               "map: no area with code or name '%s'", key);
    if (n > 1) {
        OGR_G_DestroyGeometry(*geom);
        *geom = NULL;
        return sinspace__error(m->ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: '%s' names several areas (%s); give a code",
                               key, codes);
    }
    return SINSPACE_OK;
}

/* The union of a polygon file's features, in lon/lat. */
static sinspace_status
read_within(map *m, const char *path, OGRGeometryH *out)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    if (!ds)
        return sinspace__gdal_error(m->ctx, SINSPACE_IO, path);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    OGRGeometryH all = OGR_G_CreateGeometry(wkbGeometryCollection);
    OGRFeatureH f;
    OGR_L_ResetReading(layer);
    while (layer && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g)
            OGR_G_AddGeometry(all, g);
        OGR_F_Destroy(f);
    }
    OGRSpatialReferenceH srs = layer ? OGR_L_GetSpatialRef(layer) : NULL;
    sinspace_status st = SINSPACE_OK;
    if (OGR_G_GetGeometryCount(all) == 0)
        st = sinspace__error(m->ctx, SINSPACE_INVALID_INPUT,
                             "%s: no geometry to map", path);
    else if (srs) {
        OGRSpatialReferenceH s = OSRClone(srs);
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
        OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s, m->wgs);
        if (!ct || OGR_G_Transform(all, ct) != OGRERR_NONE)
            st = sinspace__gdal_error(m->ctx, SINSPACE_INVALID_INPUT, path);
        if (ct)
            OCTDestroyCoordinateTransformation(ct);
        OSRDestroySpatialReference(s);
    }
    GDALClose(ds);
    if (st) {
        OGR_G_DestroyGeometry(all);
        return st;
    }
    *out = all;
    return SINSPACE_OK;
}

static sinspace_status
set_map_crs(map *m, const char *crs, double lon, double lat)
{
    m->srs = OSRNewSpatialReference(NULL);
    if (crs) {
        if (OSRSetFromUserInput(m->srs, crs) != OGRERR_NONE)
            return sinspace__error(m->ctx, SINSPACE_INVALID_ARGUMENT,
                                   "map: --crs '%s' is not a CRS PROJ knows", crs);
        snprintf(m->crs_name, sizeof m->crs_name, "%s", crs);
    } else {
        int zone = (int)floor((lon + 180) / 6) + 1;
        if (zone < 1) zone = 1;
        if (zone > 60) zone = 60;
        int epsg = (lat >= 0 ? 32600 : 32700) + zone;
        OSRImportFromEPSG(m->srs, epsg);
        snprintf(m->crs_name, sizeof m->crs_name, "EPSG:%d", epsg);
    }
    if (!OSRIsProjected(m->srs))
        return sinspace__error(m->ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --crs %s is not projected; a printed map "
                               "needs metres (e.g. a UTM zone)", crs);
    const char *auth = OSRGetAuthorityName(m->srs, NULL);
    const char *code = OSRGetAuthorityCode(m->srs, NULL);
    if (crs && auth && code)
        snprintf(m->crs_name, sizeof m->crs_name, "%s:%s", auth, code);
    OSRSetAxisMappingStrategy(m->srs, OAMS_TRADITIONAL_GIS_ORDER);
    m->to_map = OCTNewCoordinateTransformation(m->wgs, m->srs);
    m->to_wgs = OCTNewCoordinateTransformation(m->srs, m->wgs);
    if (!m->to_map || !m->to_wgs)
        return sinspace__gdal_error(m->ctx, SINSPACE_ERROR, "map: transformation");
    if (OSRExportToWkt(m->srs, &m->wkt) != OGRERR_NONE)
        return sinspace__gdal_error(m->ctx, SINSPACE_ERROR, "map: CRS as WKT");
    return SINSPACE_OK;
}

/* Fits the lon/lat geometry (or bbox) into the frame: the map CRS, the
 * resolution and the page's geotransform. */
static sinspace_status
fit_extent(map *m, OGRGeometryH ll_geom, const double *bbox, const char *crs,
           double margin)
{
    double b[4];
    if (ll_geom) {
        OGREnvelope e;
        OGR_G_GetEnvelope(ll_geom, &e);
        b[0] = e.MinX; b[1] = e.MinY; b[2] = e.MaxX; b[3] = e.MaxY;
    } else {
        memcpy(b, bbox, sizeof b);
    }
    if (!(b[2] > b[0] && b[3] > b[1]))
        return sinspace__error(m->ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: empty extent %g,%g,%g,%g", b[0], b[1],
                               b[2], b[3]);
    sinspace_status st = set_map_crs(m, crs, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2);
    if (st)
        return st;
    double x0, y0, x1, y1;
    if (ll_geom) {
        OGRGeometryH g = OGR_G_Clone(ll_geom);
        if (OGR_G_Transform(g, m->to_map) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(g);
            return sinspace__gdal_error(m->ctx, SINSPACE_ERROR, "map: projecting the extent");
        }
        OGREnvelope e;
        OGR_G_GetEnvelope(g, &e);
        OGR_G_DestroyGeometry(g);
        x0 = e.MinX; y0 = e.MinY; x1 = e.MaxX; y1 = e.MaxY;
    } else if (!OCTTransformBounds(m->to_map, b[0], b[1], b[2], b[3], &x0, &y0,
                                   &x1, &y1, 21)) {
        return sinspace__gdal_error(m->ctx, SINSPACE_ERROR, "map: projecting the extent");
    }
    double w = x1 - x0, h = y1 - y0;
    if (w <= 0 || h <= 0)
        w = h = 100;
    x0 -= w * margin; x1 += w * margin; y0 -= h * margin; y1 += h * margin;
    double res = fmax((x1 - x0) / m->frame[2], (y1 - y0) / m->frame[3]);
    double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    m->ext[0] = cx - res * m->frame[2] / 2;
    m->ext[2] = cx + res * m->frame[2] / 2;
    m->ext[1] = cy - res * m->frame[3] / 2;
    m->ext[3] = cy + res * m->frame[3] / 2;
    m->gt[0] = m->ext[0] - m->frame[0] * res;
    m->gt[1] = res;
    m->gt[2] = 0;
    m->gt[3] = m->ext[3] + m->frame[1] * res;
    m->gt[4] = 0;
    m->gt[5] = -res;
    double unit = OSRGetLinearUnits(m->srs, NULL);
    m->scale = res * unit / (0.0254 / m->dpi);
    if (!OCTTransformBounds(m->to_wgs, m->ext[0], m->ext[1], m->ext[2],
                            m->ext[3], &m->ll[0], &m->ll[1], &m->ll[2],
                            &m->ll[3], 21))
        return sinspace__gdal_error(m->ctx, SINSPACE_ERROR, "map: frame bounds");
    return SINSPACE_OK;
}

/* ------------------------------------------------------------------ */
/* Loading */

static sinspace_status
load_areas(map *m)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(m->store,
        "SELECT code, name_latin, name_local, AsBinary(geom) FROM areas"
        " WHERE level_rank = ?5 AND id IN (SELECT rowid FROM SpatialIndex"
        "  WHERE f_table_name = 'areas' AND f_geometry_column = 'geom'"
        "  AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY code", &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, m->ll[i]);
    sqlite3_bind_int(stmt, 5, m->level);
    int rc;
    while (!st && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        area_geom *n = realloc(m->areas, (m->n_areas + 1) * sizeof *n);
        if (!n) {
            st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
            break;
        }
        m->areas = n;
        area_geom *a = &m->areas[m->n_areas];
        memset(a, 0, sizeof *a);
        if ((st = geom_from_wkb(m->ctx, sqlite3_column_blob(stmt, 3),
                                sqlite3_column_bytes(stmt, 3), &a->geom)))
            break;
        OGR_G_Transform(a->geom, m->to_map);
        a->code = col_dup(stmt, 0);
        a->name_latin = col_dup(stmt, 1);
        a->name_local = col_dup(stmt, 2);
        a->selected = m->selected_code && a->code &&
                      !strcmp(a->code, m->selected_code);
        m->n_areas++;
    }
    sqlite3_finalize(stmt);
    return st;
}

/* The zones whose geometry meets the frame, by id. */
static sinspace_status
load_zones(map *m)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(m->store,
        "SELECT id, workplaces, mean_risk, max_risk, peak_density, sectors,"
        " AsBinary(geom) FROM zones"
        " WHERE id IN (SELECT rowid FROM SpatialIndex"
        "  WHERE f_table_name = 'zones' AND f_geometry_column = 'geom'"
        "  AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " AND ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY id", &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, m->ll[i]);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        zone_geom *n = realloc(m->zones, (m->n_zones + 1) * sizeof *n);
        if (!n) {
            st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
            break;
        }
        m->zones = n;
        zone_geom *z = &m->zones[m->n_zones];
        memset(z, 0, sizeof *z);
        if ((st = geom_from_wkb(m->ctx, sqlite3_column_blob(stmt, 6),
                                sqlite3_column_bytes(stmt, 6), &z->geom)))
            break;
        OGR_G_Transform(z->geom, m->to_map);
        z->f.id = sqlite3_column_int64(stmt, 0);
        z->f.workplaces = sqlite3_column_int64(stmt, 1);
        for (int k = 0; k < 3; k++) {
            double *v = k == 0 ? &z->f.mean_risk
                        : k == 1 ? &z->f.max_risk : &z->f.peak_density;
            *v = sqlite3_column_type(stmt, 2 + k) == SQLITE_NULL
                     ? NAN : sqlite3_column_double(stmt, 2 + k);
        }
        z->sectors = col_dup(stmt, 5);
        z->f.sectors = z->sectors;
        m->n_zones++;
    }
    if (!st && rc != SQLITE_DONE)
        st = sinspace__db_error(m->store, "map: reading zones");
    sqlite3_finalize(stmt);
    return st;
}

static int
by_risk(const void *a, const void *b)
{
    const workplace *x = a, *y = b;
    double rx = isnan(x->risk) ? 0 : x->risk, ry = isnan(y->risk) ? 0 : y->risk;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static sinspace_status
load_workplaces(map *m)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(m->store,
        "SELECT id, ext_id, name, name_local, sector, status, risk, risk_class,"
        " ST_X(geom), ST_Y(geom), last_seen FROM workplaces_risk"
        " WHERE id IN (SELECT rowid FROM SpatialIndex"
        "  WHERE f_table_name = 'workplaces' AND f_geometry_column = 'geom'"
        "  AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))", &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, m->ll[i]);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (m->n_wp == cap) {
            cap = cap ? 2 * cap : 256;
            workplace *n = realloc(m->wp, cap * sizeof *n);
            if (!n) {
                st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
                break;
            }
            m->wp = n;
        }
        workplace *w = &m->wp[m->n_wp++];
        w->id = sqlite3_column_int64(stmt, 0);
        w->ext_id = col_dup(stmt, 1);
        w->name = col_dup(stmt, 2);
        w->name_local = col_dup(stmt, 3);
        w->sector = col_dup(stmt, 4);
        w->status = col_dup(stmt, 5);
        w->risk = sqlite3_column_type(stmt, 6) == SQLITE_NULL
                      ? NAN : sqlite3_column_double(stmt, 6);
        w->risk_class = col_dup(stmt, 7);
        w->x = sqlite3_column_double(stmt, 8);
        w->y = sqlite3_column_double(stmt, 9);
        const char *seen = (const char *)sqlite3_column_text(stmt, 10);
        if (seen && strlen(seen) >= 10 && strncmp(seen, m->data_date, 10) > 0)
            snprintf(m->data_date, sizeof m->data_date, "%.10s", seen);
    }
    if (!st && rc != SQLITE_DONE)
        st = sinspace__db_error(m->store, "map: reading workplaces");
    sqlite3_finalize(stmt);
    if (st)
        return st;
    /* Project in batches, then keep what falls inside the frame. */
    size_t kept = 0;
    enum { BATCH = 4096 };
    double xs[BATCH], ys[BATCH];
    int ok[BATCH];
    for (size_t i = 0; i < m->n_wp; i += BATCH) {
        size_t n = m->n_wp - i < BATCH ? m->n_wp - i : BATCH;
        for (size_t k = 0; k < n; k++) {
            xs[k] = m->wp[i + k].x;
            ys[k] = m->wp[i + k].y;
        }
        OCTTransformEx(m->to_map, (int)n, xs, ys, NULL, ok);
        for (size_t k = 0; k < n; k++) {
            workplace *w = &m->wp[i + k];
            double px = px_x(m, xs[k]), py = px_y(m, ys[k]);
            if (ok[k] && px >= m->frame[0] && px < m->frame[0] + m->frame[2] &&
                py >= m->frame[1] && py < m->frame[1] + m->frame[3]) {
                w->x = px;
                w->y = py;
                m->wp[kept++] = *w;
            } else {
                free(w->ext_id); free(w->name); free(w->name_local);
                free(w->sector); free(w->status); free(w->risk_class);
            }
        }
    }
    m->n_wp = kept;
    if (m->n_wp > 1) /* qsort(NULL, 0) is undefined */
        qsort(m->wp, m->n_wp, sizeof *m->wp, by_risk);
    return SINSPACE_OK;
}

/* The tiles whose footprint meets the frame, oldest first so the newest
 * lands on top; a relative path is taken from the database's folder. */
static sinspace_status
load_tiles(map *m, char ***paths_out, int *n_out)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(m->store,
        "SELECT path, acquired, source, attribution FROM tiles"
        " WHERE id IN (SELECT rowid FROM SpatialIndex"
        "  WHERE f_table_name = 'tiles' AND f_geometry_column = 'footprint'"
        "  AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " AND ST_Intersects(footprint, BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY acquired, id", &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, m->ll[i]);
    char **paths = NULL;
    int n = 0;
    char *dir = sinspace__strdup(sinspace_store_path(m->store));
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(stmt, 0);
        const char *acq = (const char *)sqlite3_column_text(stmt, 1);
        const char *src = (const char *)sqlite3_column_text(stmt, 2);
        const char *attr = (const char *)sqlite3_column_text(stmt, 3);
        if (!p)
            continue;
        char full[4096];
        if (p[0] == '/' || !slash)
            snprintf(full, sizeof full, "%s", p);
        else
            snprintf(full, sizeof full, "%s/%s", dir, p);
        char **np = realloc(paths, (size_t)(n + 1) * sizeof *np);
        char **na = realloc(m->attributions, (size_t)(m->n_attr + 1) * sizeof *na);
        if (np) paths = np;
        if (na) m->attributions = na;
        if (!np || !na) {
            st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
            break;
        }
        paths[n++] = sinspace__strdup(full);
        char line[1024];
        snprintf(line, sizeof line, "%s%s%s%s%s", attr ? attr : src ? src : p,
                 acq ? " (acquired " : "", acq ? acq : "", acq ? ")" : "", "");
        m->attributions[m->n_attr++] = sinspace__strdup(line);
    }
    sqlite3_finalize(stmt);
    free(dir);
    *paths_out = paths;
    *n_out = n;
    return st;
}

/* ------------------------------------------------------------------ */
/* Drawing helpers */

static void
set_rgba(cairo_t *cr, sinspace_rgba c)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

static void
path_ring(cairo_t *cr, const map *m, OGRGeometryH ring, double ox, double oy,
          double k)
{
    int n = OGR_G_GetPointCount(ring);
    for (int i = 0; i < n; i++) {
        double x = ox + (OGR_G_GetX(ring, i) - m->ext[0]) * k,
               y = oy + (m->ext[3] - OGR_G_GetY(ring, i)) * k;
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    if (n)
        cairo_close_path(cr);
}

/* Adds a (multi)polygon to the path; ox, oy and k map the frame's map
 * extent origin to pixels (k = 1/res for the frame itself). */
static void
path_geom(cairo_t *cr, const map *m, OGRGeometryH g, double ox, double oy,
          double k)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            path_ring(cr, m, OGR_G_GetGeometryRef(g, i), ox, oy, k);
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            path_geom(cr, m, OGR_G_GetGeometryRef(g, i), ox, oy, k);
    } else if (t == wkbLineString || t == wkbLinearRing) {
        path_ring(cr, m, g, ox, oy, k);
    }
}

static void
path_frame_geom(cairo_t *cr, const map *m, OGRGeometryH g)
{
    path_geom(cr, m, g, m->frame[0], m->frame[1], 1 / m->gt[1]);
}

/* Draws text with its top-left at x, y (align 0 left, 1 centre, 2 right of
 * x); returns its height. */
static double
text_at(cairo_t *cr, PangoLayout *layout, const char *text, double x, double y,
        double size_px, int bold, int align, sinspace_rgba color, double width)
{
    sinspace__label_font(layout, size_px, bold, 0);
    pango_layout_set_width(layout, width > 0 ? (int)(width * PANGO_SCALE) : -1);
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout, text, -1);
    PangoRectangle r;
    pango_layout_get_pixel_extents(layout, NULL, &r);
    double w = width > 0 ? 0 : r.width;
    cairo_save(cr);
    set_rgba(cr, color);
    cairo_move_to(cr, x - (align == 1 ? w / 2 : align == 2 ? w : 0), y);
    pango_cairo_show_layout(cr, layout);
    cairo_new_path(cr); /* no current point left for the next path */
    cairo_restore(cr);
    pango_layout_set_width(layout, -1);
    return r.height;
}

static double
nice_step(double raw)
{
    double p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* ------------------------------------------------------------------ */
/* Frame content */

static void
draw_areas(cairo_t *cr, map *m)
{
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    /* Everything but the selected area under a light veil. */
    if (m->selected) {
        cairo_new_path(cr);
        cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
        path_frame_geom(cr, m, m->selected);
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.35);
        cairo_fill(cr);
    }
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < m->n_areas; i++) {
        if (m->areas[i].selected)
            continue;
        cairo_new_path(cr);
        path_frame_geom(cr, m, m->areas[i].geom);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
        cairo_set_line_width(cr, 0.6 * m->px_mm);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, 0.3, 0.3, 0.35, 0.9);
        cairo_set_line_width(cr, 0.25 * m->px_mm);
        cairo_set_dash(cr, (double[]){1.5 * m->px_mm, 0.8 * m->px_mm}, 2, 0);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
    }
    if (m->selected) {
        cairo_new_path(cr);
        path_frame_geom(cr, m, m->selected);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
        cairo_set_line_width(cr, 1.4 * m->px_mm);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, 0.55, 0.05, 0.3, 1);
        cairo_set_line_width(cr, 0.7 * m->px_mm);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* Zones over the areas and under the workplaces: translucent fills, so the
 * imagery shows through, and dashed outlines, by styles/zones.sld. */
static void
draw_zones(cairo_t *cr, map *m)
{
    if (!m->zstyle || m->n_zones == 0)
        return;
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    for (size_t i = 0; i < m->n_zones; i++) {
        const sinspace_symbolizer *syms[8];
        size_t n = sinspace__zone_style_apply(m->zstyle, &m->zones[i].f, m->scale,
                                              syms, 8);
        for (size_t k = 0; k < n; k++) {
            cairo_new_path(cr);
            path_frame_geom(cr, m, m->zones[i].geom);
            sinspace__polygon_paint(cr, syms[k], m->px_sld);
        }
    }
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* "Z<id>" on the visible part of each zone, before the workplace names so
 * it wins a crowded spot: it is what `sinspace query --zone ID` takes.
 * When every position collides it is printed anyway. */
static void
draw_zone_labels(cairo_t *cr, map *m, render_labels *labels, PangoLayout *layout)
{
    if (!m->zstyle || m->n_zones == 0)
        return;
    const sinspace_symbolizer *t = sinspace__zone_style_text(m->zstyle);
    render_label_style ls = {0};
    memcpy(ls.clip, (double[]){m->frame[0], m->frame[1],
                               m->frame[0] + m->frame[2],
                               m->frame[1] + m->frame[3]}, sizeof ls.clip);
    ls.size_px = (t && t->font_size > 0 ? t->font_size : 11) * m->px_sld;
    ls.bold = t ? t->font_bold : 1;
    ls.italic = t ? t->font_italic : 0;
    ls.color = t && t->has_fill ? t->fill : (sinspace_rgba){0.35, 0.06, 0.06, 1};
    ls.halo = t ? t->halo_fill : WHITE;
    ls.halo_px = (t ? t->halo_radius : 1.5) * m->px_sld;
    OGRGeometryH frame = OGR_G_CreateGeometry(wkbPolygon);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
    OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[1]);
    OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[3]);
    OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[3]);
    OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
    OGR_G_AddGeometryDirectly(frame, ring);
    for (size_t i = 0; i < m->n_zones; i++) {
        OGRGeometryH vis = OGR_G_Intersection(m->zones[i].geom, frame);
        OGRGeometryH pt = vis && !OGR_G_IsEmpty(vis) ? OGR_G_PointOnSurface(vis) : NULL;
        if (pt && !OGR_G_IsEmpty(pt)) {
            char text[32];
            snprintf(text, sizeof text, "Z%lld", m->zones[i].f.id);
            double x = px_x(m, OGR_G_GetX(pt, 0)), y = px_y(m, OGR_G_GetY(pt, 0));
            sinspace__label_font_family(layout, t ? t->font_family : NULL,
                                        ls.size_px, ls.bold, ls.italic);
            if (!sinspace__label_place(labels, cr, layout, text, x, y, 0, &ls)) {
                PangoRectangle r;
                pango_layout_set_text(layout, text, -1);
                pango_layout_get_pixel_extents(layout, NULL, &r);
                sinspace__label_draw(cr, layout, x - r.width / 2.0,
                                     y - r.height / 2.0, &ls);
                sinspace__labels_block(labels, x - r.width / 2.0, y - r.height / 2.0,
                                       x + r.width / 2.0, y + r.height / 2.0);
            }
        }
        if (pt)
            OGR_G_DestroyGeometry(pt);
        if (vis)
            OGR_G_DestroyGeometry(vis);
    }
    OGR_G_DestroyGeometry(frame);
}

/* Names: the selected area large, neighbours muted; placed after the
 * markers so they keep clear of them. */
static void
draw_area_names(cairo_t *cr, map *m, render_labels *labels, PangoLayout *layout)
{
    render_label_style ls = {0};
    memcpy(ls.clip, (double[]){m->frame[0], m->frame[1],
                               m->frame[0] + m->frame[2],
                               m->frame[1] + m->frame[3]}, sizeof ls.clip);
    ls.halo = (sinspace_rgba){1, 1, 1, 0.85};
    ls.halo_px = 0.5 * m->px_mm;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->n_areas; i++) {
            area_geom *a = &m->areas[i];
            if (a->selected != (pass == 0))
                continue;
            /* The visible part of the area carries its name. */
            OGRGeometryH frame = OGR_G_CreateGeometry(wkbPolygon);
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
            OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[1]);
            OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[3]);
            OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[3]);
            OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
            OGR_G_AddGeometryDirectly(frame, ring);
            OGRGeometryH vis = OGR_G_Intersection(a->geom, frame);
            OGR_G_DestroyGeometry(frame);
            OGRGeometryH pt = vis && !OGR_G_IsEmpty(vis) ? OGR_G_PointOnSurface(vis) : NULL;
            if (pt && !OGR_G_IsEmpty(pt)) {
                char text[512];
                snprintf(text, sizeof text, "%s%s%s", a->name_latin ? a->name_latin : "",
                         a->name_latin && a->name_local ? "\n" : "",
                         a->name_local ? a->name_local : "");
                ls.size_px = (a->selected ? 12 : 8) * m->px_pt;
                ls.bold = a->selected;
                ls.color = a->selected ? (sinspace_rgba){0.45, 0.03, 0.25, 1}
                                       : (sinspace_rgba){0.25, 0.25, 0.3, 1};
                sinspace__label_font(layout, ls.size_px, ls.bold, 0);
                pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
                sinspace__label_place(labels, cr, layout, text,
                                      px_x(m, OGR_G_GetX(pt, 0)),
                                      px_y(m, OGR_G_GetY(pt, 0)), 0, &ls);
                pango_layout_set_alignment(layout, PANGO_ALIGN_LEFT);
            }
            if (pt)
                OGR_G_DestroyGeometry(pt);
            if (vis)
                OGR_G_DestroyGeometry(vis);
        }
}

/* A marker drawn once into a small image and stamped: thousands of points
 * on a raster page then cost a blit each. */
typedef struct stamp {
    const sinspace_symbolizer *sym;
    cairo_surface_t *surface;
    double half;
} stamp;

/* Symbol s drawn once, to be painted at every workplace that uses it.
 * Raster pages: an image of an odd number of pixels, its centre the middle
 * of its centre pixel (*half: half its width).  PDF pages: a recording
 * surface centred on 0,0, which the PDF holds once as a form XObject;
 * drawn marker by marker, cairo kept every path with its clip until the
 * page was written (1.1 GiB for 426,000 markers). */
static cairo_surface_t *
make_stamp(const map *m, const sinspace_symbolizer *s, double size, double *half)
{
    cairo_surface_t *surf;
    double c;
    if (m->is_raster) {
        double extent = size * 1.3 + (s->stroke.width + 2) * m->px_sld;
        int px = (int)ceil(extent) | 1; /* odd: a centre pixel */
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, px, px);
        *half = c = px / 2.0;
    } else {
        *half = ceil(size * 0.65 + (s->stroke.width + 2) * m->px_sld);
        cairo_rectangle_t ext = {-*half, -*half, 2 * *half, 2 * *half};
        surf = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
        c = 0.0;
    }
    cairo_t *scr = cairo_create(surf);
    sinspace__symbolizer_draw(scr, s, c, c, m->px_sld);
    cairo_destroy(scr);
    return surf;
}

static const char *
label_text(const workplace *w, const char *field, char buf[32])
{
    if (field && !strcmp(field, "name_local"))
        return w->name_local ? w->name_local : w->name;
    if (field && (!strcmp(field, "id") || !strcmp(field, "ext_id")))
        return w->ext_id;
    if (field && !strcmp(field, "sector"))
        return w->sector;
    if (field && !strcmp(field, "risk")) {
        if (isnan(w->risk))
            return NULL;
        snprintf(buf, 32, "%.2f", w->risk);
        return buf;
    }
    return w->name;
}

static sinspace_status
draw_workplaces(cairo_t *cr, map *m, render_symbology *sym,
                render_labels *labels, PangoLayout *layout,
                const char *label_field, int no_labels)
{
    enum { MAXS = 8, MAX_STAMPS = 64 };
    stamp stamps[MAX_STAMPS];
    int n_stamps = 0;
    const sinspace_symbolizer **text_of = calloc(m->n_wp ? m->n_wp : 1,
                                                 sizeof *text_of);
    float *radius = calloc(m->n_wp ? m->n_wp : 1, sizeof *radius);
    if (!text_of || !radius) {
        free(text_of);
        free(radius);
        return sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    int block_markers = m->n_wp <= 20000;
    for (size_t i = 0; i < m->n_wp; i++) {
        workplace *w = &m->wp[i];
        char idbuf[32], riskbuf[32];
        snprintf(idbuf, sizeof idbuf, "%lld", w->id);
        if (!isnan(w->risk))
            snprintf(riskbuf, sizeof riskbuf, "%.3f", w->risk);
        render_feature f = {idbuf, w->ext_id, w->name, w->name_local, w->sector,
                            w->status, isnan(w->risk) ? NULL : riskbuf,
                            w->risk_class};
        const sinspace_symbolizer *syms[MAXS];
        size_t n = sinspace__symbology_apply(sym, &f, m->scale, syms, MAXS);
        for (size_t k = 0; k < n; k++) {
            const sinspace_symbolizer *s = syms[k];
            if (s->kind == SINSPACE_SYMBOLIZER_TEXT) {
                if (!text_of[i])
                    text_of[i] = s;
                continue;
            }
            if (s->kind != SINSPACE_SYMBOLIZER_POINT)
                continue;
            double size = (s->size > 0 ? s->size : 6) * m->px_sld;
            if (size / 2 > radius[i])
                radius[i] = (float)(size / 2);
            if (block_markers)
                sinspace__labels_block(labels, w->x - size / 2, w->y - size / 2,
                                       w->x + size / 2, w->y + size / 2);
            if (!m->is_raster && !m->is_pdf) {
                sinspace__symbolizer_draw(cr, s, w->x, w->y, m->px_sld);
                continue;
            }
            int j;
            for (j = 0; j < n_stamps && stamps[j].sym != s; j++)
                ;
            if (j == n_stamps && n_stamps < MAX_STAMPS) {
                stamps[n_stamps].sym = s;
                stamps[n_stamps].surface = make_stamp(m, s, size, &stamps[n_stamps].half);
                n_stamps++;
            }
            if (j == n_stamps) {
                sinspace__symbolizer_draw(cr, s, w->x, w->y, m->px_sld);
            } else if (m->is_raster) {
                /* The stamp's centre is the middle of its centre pixel. */
                double x0 = floor(w->x) + 0.5 - stamps[j].half,
                       y0 = floor(w->y) + 0.5 - stamps[j].half;
                cairo_set_source_surface(cr, stamps[j].surface, x0, y0);
                cairo_paint(cr);
            } else {
                cairo_set_source_surface(cr, stamps[j].surface, w->x, w->y);
                cairo_rectangle(cr, w->x - stamps[j].half, w->y - stamps[j].half,
                                2 * stamps[j].half, 2 * stamps[j].half);
                cairo_fill(cr);
            }
        }
    }
    for (int j = 0; j < n_stamps; j++)
        cairo_surface_destroy(stamps[j].surface);
    cairo_restore(cr);
    draw_area_names(cr, m, labels, layout);
    draw_zone_labels(cr, m, labels, layout);
    /* Labels, highest risk first; past a point a full map places no more,
     * so the attempts are bounded. */
    long long tries = 0;
    if (!no_labels) {
        render_label_style ls = {0};
        memcpy(ls.clip, (double[]){m->frame[0], m->frame[1],
                                   m->frame[0] + m->frame[2],
                                   m->frame[1] + m->frame[3]}, sizeof ls.clip);
        const sinspace_symbolizer *cur = NULL;
        for (size_t i = m->n_wp; i-- > 0 && tries < 50000;) {
            const sinspace_symbolizer *t = text_of[i];
            if (!t)
                continue;
            if (t != cur) {
                cur = t;
                ls.size_px = (t->font_size > 0 ? t->font_size : 9) * m->px_sld;
                ls.bold = t->font_bold;
                ls.italic = t->font_italic;
                ls.color = t->has_fill ? t->fill : INK;
                ls.halo = t->halo_fill;
                ls.halo_px = t->halo_radius * m->px_sld;
                ls.has_anchor = t->anchor_x != 0.5 || t->anchor_y != 0.5 ||
                                t->displacement_x != 0 || t->displacement_y != 0;
                ls.anchor_x = t->anchor_x;
                ls.anchor_y = t->anchor_y;
                ls.disp_x = t->displacement_x * m->px_sld;
                ls.disp_y = t->displacement_y * m->px_sld;
                sinspace__label_font_family(layout, t->font_family, ls.size_px,
                                            ls.bold, ls.italic);
            }
            char buf[32];
            const char *field = label_field ? label_field : t->label_property;
            const char *text = label_text(&m->wp[i], field, buf);
            tries++;
            m->labels += sinspace__label_place(labels, cr, layout, text,
                                               m->wp[i].x, m->wp[i].y,
                                               radius[i] + 1.5 * m->px_sld, &ls);
        }
    }
    free(text_of);
    free(radius);
    return SINSPACE_OK;
}

/* ------------------------------------------------------------------ */
/* Marginalia */

/* Degree ticks on the four frame edges, labelled bottom and left. */
static void
draw_ticks(cairo_t *cr, map *m, PangoLayout *layout)
{
    double span = fmax(m->ll[2] - m->ll[0], m->ll[3] - m->ll[1]);
    double step = nice_step(span / 5);
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    enum { N = 256 };
    double xs[N], ys[N];
    double fx0 = m->frame[0], fy0 = m->frame[1], fx1 = fx0 + m->frame[2],
           fy1 = fy0 + m->frame[3];
    double len = 1.5 * m->px_mm;
    cairo_save(cr);
    set_rgba(cr, INK);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    for (int edge = 0; edge < 4; edge++) {
        /* 0 bottom, 1 top (longitudes); 2 left, 3 right (latitudes). */
        int lon = edge < 2;
        for (int i = 0; i < N; i++) {
            double t = (double)i / (N - 1);
            double px = lon ? fx0 + t * (fx1 - fx0) : (edge == 2 ? fx0 : fx1);
            double py = lon ? (edge == 0 ? fy1 : fy0) : fy1 - t * (fy1 - fy0);
            xs[i] = m->gt[0] + px * m->gt[1];
            ys[i] = m->gt[3] + py * m->gt[5];
        }
        int ok[N];
        OCTTransformEx(m->to_wgs, N, xs, ys, NULL, ok);
        for (int i = 0; i + 1 < N; i++) {
            double a = lon ? xs[i] : ys[i], b = lon ? xs[i + 1] : ys[i + 1];
            if (!ok[i] || !ok[i + 1])
                continue;
            double v = ceil(fmin(a, b) / step) * step;
            if (v > fmax(a, b) || (v == fmax(a, b) && i + 2 < N))
                continue;
            double t = (v - a) / (b - a);
            double tt = ((double)i + t) / (N - 1);
            double px = lon ? fx0 + tt * (fx1 - fx0) : (edge == 2 ? fx0 : fx1);
            double py = lon ? (edge == 0 ? fy1 : fy0) : fy1 - tt * (fy1 - fy0);
            double dx = lon ? 0 : (edge == 2 ? -len : len);
            double dy = lon ? (edge == 0 ? len : -len) : 0;
            cairo_move_to(cr, px, py);
            cairo_line_to(cr, px + dx, py + dy);
            cairo_stroke(cr);
            if (edge == 0 || edge == 2) {
                char label[32];
                snprintf(label, sizeof label, "%.*f\xc2\xb0%s", decimals, fabs(v),
                         lon ? (v < 0 ? "W" : "E") : (v < 0 ? "S" : "N"));
                if (edge == 0) {
                    text_at(cr, layout, label, px, py + len * 1.3, 6 * m->px_pt,
                            0, 1, INK, 0);
                } else {
                    cairo_save(cr);
                    cairo_translate(cr, px - len * 1.3 - 8 * m->px_pt, py);
                    cairo_rotate(cr, -M_PI / 2);
                    text_at(cr, layout, label, 0, 0, 6 * m->px_pt, 0, 1, INK, 0);
                    cairo_restore(cr);
                }
            }
        }
    }
    cairo_restore(cr);
}

static double
draw_north_and_scale(cairo_t *cr, map *m, PangoLayout *layout, double y)
{
    double x0 = m->panel[0], x1 = m->panel[2];
    /* True north at the centre: the direction from the centre to a point
     * a little north of it, both projected. */
    double cx = (m->ext[0] + m->ext[2]) / 2, cy = (m->ext[1] + m->ext[3]) / 2;
    double lx = cx, ly = cy;
    OCTTransform(m->to_wgs, 1, &lx, &ly, NULL);
    double nx = lx, ny = ly + 0.01;
    OCTTransform(m->to_map, 1, &nx, &ny, NULL);
    double angle = atan2(nx - cx, ny - cy);
    double ax = x0 + 8 * m->px_mm, ay = y + 9 * m->px_mm, r = 6 * m->px_mm;
    cairo_save(cr);
    cairo_translate(cr, ax, ay);
    cairo_rotate(cr, angle);
    cairo_move_to(cr, 0, -r);
    cairo_line_to(cr, r * 0.4, r * 0.6);
    cairo_line_to(cr, 0, r * 0.3);
    cairo_close_path(cr);
    set_rgba(cr, INK);
    cairo_fill(cr);
    cairo_move_to(cr, 0, -r);
    cairo_line_to(cr, -r * 0.4, r * 0.6);
    cairo_line_to(cr, 0, r * 0.3);
    cairo_close_path(cr);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    cairo_stroke(cr);
    text_at(cr, layout, "N", 0, -r - 5 * m->px_pt, 9 * m->px_pt, 1, 1, INK, 0);
    cairo_restore(cr);

    /* Scale bar true at the centre: ground metres per pixel measured on the
     * ellipsoid between the centre and a point 100 px east of it. */
    double ex = cx + 100 * m->gt[1], ey = cy, elx = ex, ely = ey;
    OCTTransform(m->to_wgs, 1, &elx, &ely, NULL);
    double metres = NAN;
    sqlite3_stmt *stmt;
    if (!sinspace__prepare(m->store,
            "SELECT ST_Distance(MakePoint(?1, ?2, 4326), MakePoint(?3, ?4, 4326), 1)",
            &stmt)) {
        sqlite3_bind_double(stmt, 1, lx);
        sqlite3_bind_double(stmt, 2, ly);
        sqlite3_bind_double(stmt, 3, elx);
        sqlite3_bind_double(stmt, 4, ely);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            metres = sqlite3_column_double(stmt, 0);
        sqlite3_finalize(stmt);
    }
    if (!(metres > 0))
        metres = 100 * m->gt[1] * OSRGetLinearUnits(m->srs, NULL);
    double m_per_px = metres / 100;
    double avail = (x1 - x0) - 22 * m->px_mm;
    double len_m = nice_step(avail * 0.75 * m_per_px);
    if (len_m / m_per_px > avail)
        len_m /= 2;
    double len_px = len_m / m_per_px;
    double bx = x0 + 20 * m->px_mm, by = y + 8 * m->px_mm, bh = 1.6 * m->px_mm;
    cairo_save(cr);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    for (int i = 0; i < 4; i++) {
        cairo_rectangle(cr, bx + i * len_px / 4, by, len_px / 4, bh);
        set_rgba(cr, i % 2 ? WHITE : INK);
        cairo_fill_preserve(cr);
        set_rgba(cr, INK);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    int km = len_m >= 1000;
    char buf[64];
    text_at(cr, layout, "0", bx, by + bh + 0.8 * m->px_mm, 7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "%g", km ? len_m / 2000 : len_m / 2);
    text_at(cr, layout, buf, bx + len_px / 2, by + bh + 0.8 * m->px_mm,
            7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "%g %s", km ? len_m / 1000 : len_m, km ? "km" : "m");
    text_at(cr, layout, buf, bx + len_px, by + bh + 0.8 * m->px_mm,
            7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "Scale 1:%.0f at print size", m->scale);
    text_at(cr, layout, buf, bx, by - 4.5 * m->px_mm, 7 * m->px_pt, 0, 0, MUTED, 0);
    return y + 20 * m->px_mm;
}

/* The zones section: a swatch per rule that drew a zone, and how to list
 * a zone's workplaces. */
static double
draw_zone_legend(cairo_t *cr, map *m, PangoLayout *layout, double y)
{
    double x = m->panel[0];
    y += 2.5 * m->px_mm;
    y += text_at(cr, layout, sinspace__zone_style_heading(m->zstyle), x, y,
                 8 * m->px_pt, 1, 0, MUTED, 0);
    y += 0.8 * m->px_mm;
    size_t n = sinspace__zone_style_legend_count(m->zstyle);
    for (size_t i = 0; i < n; i++) {
        const char *title;
        const sinspace_symbolizer *sample;
        long long count;
        sinspace__zone_style_legend_at(m->zstyle, i, &title, &sample, &count);
        if (count == 0)
            continue;
        double row = 4.2 * m->px_mm;
        cairo_new_path(cr);
        cairo_rectangle(cr, x + 0.8 * m->px_mm, y + 0.7 * m->px_mm, 4.4 * m->px_mm,
                        row - 1.4 * m->px_mm);
        sinspace__polygon_paint(cr, sample, m->px_sld);
        cairo_new_path(cr);
        double th = text_at(cr, layout, title, x + 7 * m->px_mm, y + 0.4 * m->px_mm,
                            7.5 * m->px_pt, 0, 0, INK,
                            m->panel[2] - x - 19 * m->px_mm);
        char c[32];
        snprintf(c, sizeof c, "%lld", count);
        text_at(cr, layout, c, m->panel[2], y + 0.4 * m->px_mm, 7.5 * m->px_pt,
                0, 2, INK, 0);
        y += fmax(row, th + 0.9 * m->px_mm);
    }
    char note[128];
    snprintf(note, sizeof note,
             "%zu zone%s on this map; Z<id> labels: list a zone's workplaces "
             "with sinspace query --zone <id>", m->n_zones, m->n_zones == 1 ? "" : "s");
    y += 1 * m->px_mm;
    y += text_at(cr, layout, note, x, y, 7 * m->px_pt, 0, 0, MUTED,
                 m->panel[2] - x);
    return y;
}

static double
draw_legend(cairo_t *cr, map *m, PangoLayout *layout, render_symbology *sym,
            double y)
{
    double x = m->panel[0];
    y += text_at(cr, layout, "Legend", x, y, 10 * m->px_pt, 1, 0, INK, 0);
    y += 1 * m->px_mm;
    size_t n = sinspace__symbology_legend_count(sym);
    const char *last_heading = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *heading, *title;
        const sinspace_symbolizer *sample;
        long long count;
        int hide_unused;
        sinspace__symbology_legend_at(sym, i, &heading, &title, &sample, &count,
                                      &hide_unused);
        if (hide_unused && count == 0)
            continue;
        /* A heading starts each section: printed when it changes. */
        if (heading && (!last_heading || strcmp(heading, last_heading))) {
            last_heading = heading;
            y += 1.5 * m->px_mm;
            y += text_at(cr, layout, heading, x, y, 8 * m->px_pt, 1, 0, MUTED, 0);
            y += 0.8 * m->px_mm;
        }
        double row = 4.2 * m->px_mm;
        sinspace__symbolizer_draw(cr, sample, x + 3 * m->px_mm, y + row / 2,
                                  m->px_sld);
        double th = text_at(cr, layout, title, x + 7 * m->px_mm, y + 0.4 * m->px_mm,
                            7.5 * m->px_pt, 0, 0, INK,
                            m->panel[2] - x - 19 * m->px_mm);
        char c[32];
        snprintf(c, sizeof c, "%lld", count);
        text_at(cr, layout, c, m->panel[2], y + 0.4 * m->px_mm, 7.5 * m->px_pt,
                0, 2, INK, 0);
        y += fmax(row, th + 0.9 * m->px_mm);
    }
    char total[64];
    snprintf(total, sizeof total, "%zu workplaces on this map", m->n_wp);
    y += 1 * m->px_mm;
    y += text_at(cr, layout, total, x, y, 7 * m->px_pt, 0, 0, MUTED, 0);
    if (m->zstyle && m->n_zones > 0)
        y = draw_zone_legend(cr, m, layout, y);
    return y + 3 * m->px_mm;
}

static const sinspace_rgba choro_fill[CHORO_CLASSES + 1] = {
    {1.00, 0.96, 0.80, 1}, {0.99, 0.80, 0.50, 1}, {0.99, 0.55, 0.30, 1},
    {0.89, 0.26, 0.17, 1}, {0.65, 0.06, 0.12, 1}, {0.85, 0.85, 0.85, 1}};

static double
draw_choro_key(cairo_t *cr, map *m, PangoLayout *layout, double y)
{
    const choro *c = m->choro;
    double x = m->panel[0];
    y += text_at(cr, layout, "Risk-weighted density", x, y, 10 * m->px_pt, 1, 0,
                 INK, 0);
    y += text_at(cr, layout, "sum of workplace risk scores per km\xc2\xb2 "
                 "(open workplaces); classes by quantile", x, y, 7 * m->px_pt, 0, 0,
                 MUTED, m->panel[2] - x);
    y += 2 * m->px_mm;
    for (int i = 0; i <= c->n_classes; i++) {
        int k = i == c->n_classes ? CHORO_CLASSES : i;
        char t[96], n[16];
        if (i == c->n_classes)
            snprintf(t, sizeof t, "no workplaces or no area");
        else
            snprintf(t, sizeof t, "%.2f \xe2\x80\x93 %.2f", c->lo[i], c->hi[i]);
        snprintf(n, sizeof n, "%d", c->counts[k]);
        cairo_rectangle(cr, x, y, 6 * m->px_mm, 3.5 * m->px_mm);
        set_rgba(cr, choro_fill[k]);
        cairo_fill_preserve(cr);
        set_rgba(cr, MUTED);
        cairo_set_line_width(cr, 0.2 * m->px_mm);
        cairo_stroke(cr);
        text_at(cr, layout, t, x + 8 * m->px_mm, y, 7.5 * m->px_pt, 0, 0, INK, 0);
        text_at(cr, layout, n, m->panel[2], y, 7.5 * m->px_pt, 0, 2, INK, 0);
        y += 4.5 * m->px_mm;
    }
    return y + 3 * m->px_mm;
}

/* The province around the map, the map's frame marked on it. */
static void
draw_inset(cairo_t *cr, map *m, PangoLayout *layout, double y)
{
    double x0 = m->panel[0], x1 = m->panel[2];
    double size = fmin(x1 - x0, m->panel[3] - y - 6 * m->px_mm);
    if (size < 20 * m->px_mm)
        return;
    double lon = (m->ll[0] + m->ll[2]) / 2, lat = (m->ll[1] + m->ll[3]) / 2;
    sqlite3_stmt *stmt;
    if (sinspace__prepare(m->store,
            "SELECT AsBinary(geom), name_latin, name_local FROM areas"
            " WHERE level_rank = 1 AND id IN (SELECT rowid FROM SpatialIndex"
            "  WHERE f_table_name = 'areas' AND f_geometry_column = 'geom'"
            "  AND search_frame = MakePoint(?1, ?2, 4326))"
            " AND ST_Intersects(geom, MakePoint(?1, ?2, 4326)) LIMIT 1", &stmt))
        return;
    sqlite3_bind_double(stmt, 1, lon);
    sqlite3_bind_double(stmt, 2, lat);
    OGRGeometryH g = NULL;
    char name[256] = "";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        if (geom_from_wkb(m->ctx, sqlite3_column_blob(stmt, 0),
                          sqlite3_column_bytes(stmt, 0), &g))
            g = NULL;
        const char *n1 = (const char *)sqlite3_column_text(stmt, 1);
        const char *n2 = (const char *)sqlite3_column_text(stmt, 2);
        snprintf(name, sizeof name, "%s%s%s", n1 ? n1 : "", n1 && n2 ? " " : "",
                 n2 ? n2 : "");
    }
    sqlite3_finalize(stmt);
    double ty = y + text_at(cr, layout, "Locator", x0, y, 8 * m->px_pt, 1, 0, MUTED, 0);
    cairo_save(cr);
    cairo_rectangle(cr, x0, ty + m->px_mm, size, size - 8 * m->px_mm);
    cairo_set_source_rgb(cr, 0.96, 0.96, 0.94);
    cairo_fill_preserve(cr);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    cairo_stroke(cr);
    double bx = x0, by = ty + m->px_mm, bw = size, bh = size - 8 * m->px_mm;
    if (!g) {
        text_at(cr, layout, "(no province boundary in the database)",
                bx + 2 * m->px_mm, by + 2 * m->px_mm, 6.5 * m->px_pt, 0, 0,
                MUTED, bw - 4 * m->px_mm);
        cairo_restore(cr);
        return;
    }
    OGR_G_Transform(g, m->to_map);
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    e.MinX = fmin(e.MinX, m->ext[0]); e.MaxX = fmax(e.MaxX, m->ext[2]);
    e.MinY = fmin(e.MinY, m->ext[1]); e.MaxY = fmax(e.MaxY, m->ext[3]);
    double pad = 3 * m->px_mm;
    double k = fmin((bw - 2 * pad) / (e.MaxX - e.MinX), (bh - 2 * pad) / (e.MaxY - e.MinY));
    double ox = bx + bw / 2 - k * (e.MaxX - e.MinX) / 2 - k * (e.MinX - m->ext[0]);
    double oy = by + bh / 2 - k * (e.MaxY - e.MinY) / 2 + k * (e.MaxY - m->ext[3]) * -1;
    /* path_geom maps x to ox + (X - ext0) k and y to oy + (ext3 - Y) k. */
    oy = by + bh / 2 - k * (e.MaxY - e.MinY) / 2 - k * (m->ext[3] - e.MaxY);
    cairo_new_path(cr);
    path_geom(cr, m, g, ox, oy, k);
    cairo_set_source_rgb(cr, 0.86, 0.86, 0.82);
    cairo_fill_preserve(cr);
    set_rgba(cr, MUTED);
    cairo_stroke(cr);
    cairo_rectangle(cr, ox, oy, (m->ext[2] - m->ext[0]) * k, (m->ext[3] - m->ext[1]) * k);
    cairo_set_source_rgb(cr, 0.8, 0.05, 0.05);
    cairo_set_line_width(cr, 0.5 * m->px_mm);
    cairo_stroke(cr);
    cairo_restore(cr);
    OGR_G_DestroyGeometry(g);
    text_at(cr, layout, name, bx, by + bh + 0.8 * m->px_mm, 7 * m->px_pt, 0, 0, MUTED, bw);
}

static void
draw_marginalia(cairo_t *cr, map *m, PangoLayout *layout, render_symbology *sym,
                const char *marking, const char *generated_at)
{
    double mm = m->px_mm;
    /* Frame. */
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    set_rgba(cr, INK);
    cairo_set_line_width(cr, 0.35 * mm);
    cairo_stroke(cr);
    cairo_restore(cr);
    draw_ticks(cr, m, layout);
    /* Title band. */
    double tx = m->frame[0], ty = 10 * mm;
    ty += text_at(cr, layout, m->title, tx, ty, 17 * m->px_pt, 1, 0, INK,
                  m->panel[0] - tx);
    text_at(cr, layout, m->subtitle, tx, ty + 0.5 * mm, 9.5 * m->px_pt, 0, 0, MUTED,
            m->panel[0] - tx);
    if (marking && *marking) {
        text_at(cr, layout, marking, m->panel[2], 10 * mm, 10 * m->px_pt, 1, 2,
                MARK_RED, 0);
        text_at(cr, layout, marking, m->W / 2.0, m->H - 7.5 * mm, 8 * m->px_pt, 1, 1,
                MARK_RED, 0);
    }
    /* Panel. */
    double y = m->panel[1];
    y = draw_north_and_scale(cr, m, layout, y);
    y = m->choro ? draw_choro_key(cr, m, layout, y)
                 : draw_legend(cr, m, layout, sym, y);
    draw_inset(cr, m, layout, y);
    /* Foot band. */
    char line[2048];
    size_t len = 0;
    if (m->choro)
        len = (size_t)snprintf(line, sizeof line,
                               "Overview: area boundaries and workplace counts "
                               "from the database; no imagery.");
    else if (m->n_attr == 0)
        len = (size_t)snprintf(line, sizeof line,
                               "No imagery catalogued for this extent: plain background.");
    else {
        len = (size_t)snprintf(line, sizeof line, "Imagery: ");
        for (int i = 0; i < m->n_attr && len < sizeof line; i++)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
                                    i ? "; " : "", m->attributions[i]);
    }
    double fy = m->foot_y;
    fy += text_at(cr, layout, line, m->frame[0], fy, 6.5 * m->px_pt, 0, 0, MUTED,
                  m->panel[2] - m->frame[0]);
    snprintf(line, sizeof line,
             "Generated %s by sinspace %s \xc2\xb7 CRS %s \xc2\xb7 "
             "workplace names are fictional or confidential; do not copy",
             generated_at, sinspace_version(), m->crs_name);
    text_at(cr, layout, line, m->frame[0], fy + 0.3 * mm, 6.5 * m->px_pt, 0, 0,
            MUTED, m->panel[2] - m->frame[0]);
}

/* ------------------------------------------------------------------ */
/* One map page */

typedef struct page_opts {
    const char *area;
    const double *bbox;
    const char *within;
    double margin;
    const char *crs;
    const char *title, *subtitle, *marking, *generated_at, *label_field;
    int no_basemap, no_labels, no_workplaces;
    double fade, desaturate;
    int no_zones;
} page_opts;

/* Mixes each pixel towards its luma (Rec. 709) by k; the image stays
 * premultiplied, as the mix is linear. */
static void
desaturate(cairo_surface_t *image, double k)
{
    cairo_surface_flush(image);
    unsigned char *d = cairo_image_surface_get_data(image);
    int w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
    int stride = cairo_image_surface_get_stride(image);
    for (int y = 0; y < h; y++) {
        uint32_t *p = (uint32_t *)(d + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            double r = (p[x] >> 16) & 255, g = (p[x] >> 8) & 255, b = p[x] & 255;
            double l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            unsigned R = (unsigned)lround(r + (l - r) * k),
                     G = (unsigned)lround(g + (l - g) * k),
                     B = (unsigned)lround(b + (l - b) * k);
            p[x] = (p[x] & 0xff000000u) | R << 16 | G << 8 | B;
        }
    }
    cairo_surface_mark_dirty(image);
}

/* Resolves the extent and loads what the page shows. */
static sinspace_status
prepare_map(map *m, const page_opts *o)
{
    sinspace_status st = SINSPACE_OK;
    OGRGeometryH ll = NULL;
    int level = SINSPACE_LEVEL_DISTRICT;
    char target[512];
    if (o->area) {
        st = find_area(m, o->area, &ll, &level);
        snprintf(target, sizeof target, "area %s",
                 m->selected_code ? m->selected_code : o->area);
    } else if (o->within) {
        st = read_within(m, o->within, &ll);
        snprintf(target, sizeof target, "file %s", o->within);
    } else {
        snprintf(target, sizeof target, "bbox %.6f,%.6f,%.6f,%.6f", o->bbox[0],
                 o->bbox[1], o->bbox[2], o->bbox[3]);
    }
    if (!st)
        st = fit_extent(m, ll, o->bbox, o->crs, o->margin);
    /* The area, or the --within polygons, stand out from the rest. */
    if (!st && (o->area || o->within)) {
        m->selected = OGR_G_Clone(ll);
        OGR_G_Transform(m->selected, m->to_map);
    }
    if (ll)
        OGR_G_DestroyGeometry(ll);
    if (st)
        return st;
    m->level = level;
    m->target = sinspace__strdup(target);
    if ((st = load_areas(m)))
        return st;
    if (!o->no_workplaces && (st = load_workplaces(m)))
        return st;
    if (!o->no_zones && m->zstyle && (st = load_zones(m)))
        return st;
    char buf[1024];
    if (o->title)
        snprintf(buf, sizeof buf, "%s", o->title);
    else if (m->title)
        snprintf(buf, sizeof buf, "Workplace risk map: %s", m->title);
    else
        snprintf(buf, sizeof buf, "Workplace risk map");
    free(m->title);
    m->title = sinspace__strdup(buf);
    if (o->subtitle)
        snprintf(buf, sizeof buf, "%s", o->subtitle);
    else
        snprintf(buf, sizeof buf, "%s \xc2\xb7 %s%s", target,
                 m->data_date[0] ? "data as of " : "no workplace data",
                 m->data_date);
    m->subtitle = sinspace__strdup(buf);
    if (!m->title || !m->subtitle || !m->target)
        return sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    return SINSPACE_OK;
}

static sinspace_status
draw_map(cairo_t *cr, map *m, const page_opts *o, render_symbology *sym)
{
    sinspace_status st = SINSPACE_OK;
    char **paths = NULL;
    int n_paths = 0;
    cairo_surface_t *image = NULL;
    render_labels *labels = sinspace__labels_create(m->W, m->H);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    if (!labels || !layout) {
        st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto cleanup;
    }
    /* Page and frame background. */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_set_source_rgb(cr, 0.93, 0.92, 0.89);
    cairo_fill(cr);
    if (!o->no_basemap) {
        if ((st = load_tiles(m, &paths, &n_paths)))
            goto cleanup;
        if (n_paths > 0) {
            sinspace__log(m->ctx, SINSPACE_LOG_DEBUG,
                          "map: warping %d tile(s) to %dx%d px", n_paths,
                          m->frame[2], m->frame[3]);
            /* In strips of rows, so a large page never holds the whole
             * frame twice.  Each output pixel is computed from the source
             * alone, so strips give the pixels one warp would.  A raster page
             * takes each strip as it comes; a vector page gets one image,
             * assembled first, so viewers show no seams. */
            cairo_surface_t *whole = NULL;
            if (!m->is_raster) {
                whole = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, m->frame[2],
                                                   m->frame[3]);
                if (cairo_surface_status(whole) != CAIRO_STATUS_SUCCESS) {
                    cairo_surface_destroy(whole);
                    st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY,
                                         "map: no memory for a %dx%d image",
                                         m->frame[2], m->frame[3]);
                    goto cleanup;
                }
            }
            const int rows = 1024;
            for (int y0 = 0; y0 < m->frame[3] && !st; y0 += rows) {
                int h = m->frame[3] - y0 < rows ? m->frame[3] - y0 : rows;
                double te[4] = {m->ext[0], m->ext[3] - (y0 + h) * m->gt[1],
                                m->ext[2], m->ext[3] - y0 * m->gt[1]};
                st = sinspace__basemap_warp(m->ctx, (const char *const *)paths,
                                            n_paths, m->wkt, te, m->frame[2], h,
                                            &image);
                if (st)
                    break;
                if (o->desaturate > 0)
                    desaturate(image, fmin(o->desaturate, 1));
                cairo_t *dst = whole ? cairo_create(whole) : cr;
                double ox = whole ? 0 : m->frame[0], oy = (whole ? 0 : m->frame[1]) + y0;
                cairo_save(dst);
                cairo_set_source_surface(dst, image, ox, oy);
                cairo_pattern_set_filter(cairo_get_source(dst), CAIRO_FILTER_NEAREST);
                cairo_rectangle(dst, ox, oy, m->frame[2], h);
                cairo_fill(dst);
                cairo_restore(dst);
                if (whole)
                    cairo_destroy(dst);
                cairo_surface_destroy(image);
                image = NULL;
                if ((st = sinspace__progress(m->ctx, "imagery", y0 + h, m->frame[3])))
                    break;
            }
            if (whole && !st) {
                cairo_set_source_surface(cr, whole, m->frame[0], m->frame[1]);
                cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
                cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
                cairo_fill(cr);
            }
            if (whole)
                cairo_surface_destroy(whole);
            if (st)
                goto cleanup;
            m->tiles = n_paths;
            if (o->fade > 0) {
                cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
                cairo_set_source_rgba(cr, 1, 1, 1, fmin(o->fade, 1));
                cairo_fill(cr);
            }
        }
    }
    if ((st = sinspace__progress(m->ctx, "map", 1, 4)))
        goto cleanup;
    draw_areas(cr, m);
    draw_zones(cr, m);
    if ((st = draw_workplaces(cr, m, sym, labels, layout, o->label_field,
                              o->no_labels)))
        goto cleanup;
    if ((st = sinspace__progress(m->ctx, "map", 3, 4)))
        goto cleanup;
    draw_marginalia(cr, m, layout, sym, o->marking, o->generated_at);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        st = sinspace__error(m->ctx, SINSPACE_ERROR, "map: cairo: %s",
                             cairo_status_to_string(cairo_status(cr)));
cleanup:
    for (int i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    if (image)
        cairo_surface_destroy(image);
    if (layout)
        g_object_unref(layout);
    sinspace__labels_destroy(labels);
    return st;
}

/* ------------------------------------------------------------------ */
/* Output files */

static cairo_status_t
write_fn(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

/* The page as PNG through libpng at zlib level 1: cairo's own writer
 * takes zlib's default level 6, which on an A3 300 dpi page cost 1.3 s of
 * 5.3 (measured: gdal_translate of the page at ZLEVEL 6 vs 1, 2.38 s vs
 * 1.09 s) for a file 13% smaller; print maps want the time.  The page is
 * an opaque RGB24 surface, written as RGB like cairo writes it; any other
 * surface goes to cairo's writer. */
static cairo_status_t
write_png(cairo_surface_t *surface, FILE *f)
{
    cairo_surface_flush(surface);
    if (cairo_image_surface_get_format(surface) != CAIRO_FORMAT_RGB24)
        return cairo_surface_write_to_png_stream(surface, write_fn, f);
    int w = cairo_image_surface_get_width(surface);
    int h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w * 3);
    /* volatile: read after longjmp. */
    cairo_status_t volatile cs = CAIRO_STATUS_NO_MEMORY;
    if (!png || !info || !row)
        goto done;
    cs = CAIRO_STATUS_WRITE_ERROR;
    if (setjmp(png_jmpbuf(png)))
        goto done;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        /* RGB24: one native-endian 32-bit word a pixel, 0x00RRGGBB. */
        const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        unsigned char *o = row;
        for (int x = 0; x < w; x++) {
            *o++ = (unsigned char)(px[x] >> 16);
            *o++ = (unsigned char)(px[x] >> 8);
            *o++ = (unsigned char)px[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    cs = fflush(f) == 0 && !ferror(f) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
done:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(row);
    return cs;
}

static sinspace_status
open_private(sinspace_context *ctx, const char *path, FILE **out)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(errno));
    /* An existing file keeps its mode through O_TRUNC: make it private. */
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        return sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(e));
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    *out = f;
    return SINSPACE_OK;
}

static sinspace_status
close_private(sinspace_context *ctx, const char *path, FILE *f, sinspace_status st)
{
    if (fclose(f) != 0 && !st)
        st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(errno));
    if (st)
        unlink(path);
    return st;
}

static sinspace_render_format
format_of(const char *path, sinspace_render_format f)
{
    if (f != SINSPACE_RENDER_AUTO)
        return f;
    const char *dot = strrchr(path, '.');
    if (dot && !strcasecmp(dot, ".png"))
        return SINSPACE_RENDER_PNG;
    if (dot && !strcasecmp(dot, ".svg"))
        return SINSPACE_RENDER_SVG;
    if (dot && !strcasecmp(dot, ".pdf"))
        return SINSPACE_RENDER_PDF;
    return SINSPACE_RENDER_AUTO;
}

static sinspace_status
write_sidecar(sinspace_context *ctx, const char *path, const char *text)
{
    FILE *f;
    sinspace_status st = open_private(ctx, path, &f);
    if (st)
        return st;
    if (fputs(text, f) == EOF)
        st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(errno));
    return close_private(ctx, path, f, st);
}

/* The PNG's georeferencing: a world file (centre of the top-left pixel), an
 * ESRI .prj, and a GDAL .aux.xml with the CRS and geotransform. */
static sinspace_status
write_georef(map *m, const char *png)
{
    size_t len = strlen(png);
    char *side = malloc(len + 16);
    if (!side)
        return sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    const char *dot = strrchr(png, '.');
    size_t stem = dot && !strchr(dot, '/') ? (size_t)(dot - png) : len;
    char text[4096];
    const double *g = m->gt;
    snprintf(text, sizeof text, "%.10f\n%.10f\n%.10f\n%.10f\n%.10f\n%.10f\n",
             g[1], g[4], g[2], g[5], g[0] + g[1] / 2 + g[2] / 2,
             g[3] + g[4] / 2 + g[5] / 2);
    snprintf(side, len + 16, "%.*s.pgw", (int)stem, png);
    sinspace_status st = write_sidecar(m->ctx, side, text);
    char *esri = NULL;
    if (!st) {
        OGRSpatialReferenceH s = OSRClone(m->srs);
        OSRMorphToESRI(s);
        OSRExportToWkt(s, &esri);
        OSRDestroySpatialReference(s);
        snprintf(side, len + 16, "%.*s.prj", (int)stem, png);
        st = write_sidecar(m->ctx, side, esri ? esri : "");
        CPLFree(esri);
    }
    if (!st) {
        /* GDAL's PAM format, written as GDAL writes it. */
        char *xml = NULL;
        size_t need = strlen(m->wkt) * 2 + 1024;
        xml = malloc(need);
        if (!xml) {
            free(side);
            return sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        char *esc = CPLEscapeString(m->wkt, -1, CPLES_XML);
        snprintf(xml, need,
                 "<PAMDataset>\n"
                 "  <SRS dataAxisToSRSAxisMapping=\"1,2\">%s</SRS>\n"
                 "  <GeoTransform> %.16e, %.16e, %.16e, %.16e, %.16e, %.16e</GeoTransform>\n"
                 "</PAMDataset>\n",
                 esc, g[0], g[1], g[2], g[3], g[4], g[5]);
        CPLFree(esc);
        snprintf(side, len + 16, "%s.aux.xml", png);
        st = write_sidecar(m->ctx, side, xml);
        free(xml);
    }
    free(side);
    return st;
}

static void
now_text(char buf[64], const char *fixed)
{
    if (fixed) {
        snprintf(buf, 64, "%s", fixed);
        return;
    }
    char iso[32];
    sinspace__now_iso(iso);
    snprintf(buf, 64, "%.10s %.8s UTC", iso, iso + 11);
}

sinspace_status
sinspace_map_render(sinspace_store *store, const sinspace_map_options *opts,
                    sinspace_map_result *result)
{
    sinspace_context *ctx = store ? store->ctx : NULL;
    if (!store || !opts || !opts->output)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: a store and an output file are required");
    int extents = !!opts->area + !!opts->has_bbox + !!opts->within;
    if (extents != 1)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: give exactly one of --area, --bbox, --within");
    if (opts->has_bbox && !(opts->bbox[2] > opts->bbox[0] &&
                            opts->bbox[3] > opts->bbox[1] &&
                            opts->bbox[0] >= -180 && opts->bbox[2] <= 180 &&
                            opts->bbox[1] >= -90 && opts->bbox[3] <= 90))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --bbox needs W,S,E,N in degrees with W<E, S<N");
    sinspace_render_format fmt = format_of(opts->output, opts->format);
    if (fmt == SINSPACE_RENDER_AUTO)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: %s: the output must end in .pdf, .svg or .png",
                               opts->output);
    double dpi = opts->dpi > 0 ? opts->dpi : 300;
    if (dpi < 36 || dpi > 1200)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --dpi %g is outside 36..1200", dpi);
    if (opts->margin < 0 || opts->margin > 2)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --margin %g is outside 0..2", opts->margin);
    if (!store->writable)
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "map: the store must be open for writing (audit)");

    map m = {0};
    m.store = store;
    m.ctx = ctx;
    m.is_raster = fmt == SINSPACE_RENDER_PNG;
    m.is_pdf = fmt == SINSPACE_RENDER_PDF;
    m.wgs = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(m.wgs, "WGS84");
    OSRSetAxisMappingStrategy(m.wgs, OAMS_TRADITIONAL_GIS_ORDER);
    layout_page(&m, opts->paper, opts->landscape, dpi, 0);

    char when[64];
    now_text(when, opts->generated_at);
    page_opts po = {opts->area, opts->has_bbox ? opts->bbox : NULL, opts->within,
                    opts->margin, opts->crs, opts->title, opts->subtitle,
                    opts->marking ? opts->marking : DEFAULT_MARKING, when,
                    opts->label_field, opts->no_basemap, opts->no_labels,
                    opts->no_workplaces, opts->basemap_fade,
                    opts->basemap_desaturate, opts->no_zones};
    render_symbology *sym = NULL;
    render_zone_style *zstyle = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    FILE *f = NULL;
    sinspace_status st = opts->style_path
                             ? sinspace__symbology_load(ctx, opts->style_path, &sym)
                             : sinspace__symbology_default(ctx, &sym);
    if (!st && !opts->no_zones)
        st = sinspace__zone_style_default(ctx, &zstyle);
    m.zstyle = zstyle;
    if (!st)
        st = prepare_map(&m, &po);
    if (!st)
        st = open_private(ctx, opts->output, &f);
    if (st)
        goto cleanup;
    if (fmt == SINSPACE_RENDER_PNG) {
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, m.W, m.H);
    } else {
        double k = 72.0 / dpi;
        surface = fmt == SINSPACE_RENDER_PDF
                      ? cairo_pdf_surface_create_for_stream(write_fn, f, m.W * k, m.H * k)
                      : cairo_svg_surface_create_for_stream(write_fn, f, m.W * k, m.H * k);
        if (fmt == SINSPACE_RENDER_PDF) {
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, m.title);
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
                                           "sinspace");
        }
    }
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY,
                             "map: cannot make a %dx%d page: %s", m.W, m.H,
                             cairo_status_to_string(cairo_surface_status(surface)));
        goto cleanup;
    }
    cr = cairo_create(surface);
    if (!m.is_raster)
        cairo_scale(cr, 72.0 / dpi, 72.0 / dpi);
    if ((st = draw_map(cr, &m, &po, sym)))
        goto cleanup;
    cairo_destroy(cr);
    cr = NULL;
    cairo_status_t cs;
    if (fmt == SINSPACE_RENDER_PNG)
        cs = write_png(surface, f);
    else {
        cairo_surface_finish(surface);
        cs = cairo_surface_status(surface);
    }
    if (cs != CAIRO_STATUS_SUCCESS) {
        st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", opts->output,
                             cairo_status_to_string(cs));
        goto cleanup;
    }
cleanup:
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    if (f)
        st = close_private(ctx, opts->output, f, st);
    if (!st && fmt == SINSPACE_RENDER_PNG)
        st = write_georef(&m, opts->output);
    if (!st) {
        static const char *const papers[] = {"A4", "A3", "A2", "A1", "A0", "Letter"};
        char what[1200];
        snprintf(what, sizeof what, "output=%s paper=%s%s dpi=%g crs=%s",
                 opts->output,
                 papers[opts->paper >= 0 && opts->paper <= SINSPACE_PAPER_LETTER
                            ? opts->paper : 0],
                 opts->landscape ? " landscape" : "", dpi, m.crs_name);
        sinspace_audit_entry e = {0};
        e.command = "map";
        e.target = m.target;
        e.filters = what;
        e.rows = (long long)m.n_wp;
        st = sinspace_audit_record(store, &e);
    }
    if (!st && result) {
        memset(result, 0, sizeof *result);
        result->workplaces = (long long)m.n_wp;
        result->zones = (long long)m.n_zones;
        result->labels = m.labels;
        result->tiles = m.tiles;
        result->width = m.W;
        result->height = m.H;
        memcpy(result->geotransform, m.gt, sizeof m.gt);
        memcpy(result->frame, m.frame, sizeof m.frame);
        snprintf(result->crs, sizeof result->crs, "%s", m.crs_name);
        result->scale = m.scale;
    }
    sinspace__symbology_destroy(sym);
    sinspace__zone_style_destroy(zstyle);
    map_free(&m);
    return st;
}

/* ------------------------------------------------------------------ */
/* Atlas */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct atlas_area {
    char *code, *name_latin, *name_local;
    double density;            /* NaN: none */
    long long workplaces, high;
    OGRGeometryH geom;         /* lon/lat */
} atlas_area;

static void
atlas_areas_free(atlas_area *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].code); free(a[i].name_latin); free(a[i].name_local);
        if (a[i].geom)
            OGR_G_DestroyGeometry(a[i].geom);
    }
    free(a);
}

static sinspace_status
atlas_load_areas(sinspace_store *store, int level, const char *parent,
                 atlas_area **out, size_t *n_out)
{
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(store,
        "SELECT code, name_latin, name_local, risk_density, workplaces,"
        " high_risk, AsBinary(geom) FROM areas_risk AS r"
        " WHERE r.id IN (SELECT id FROM areas WHERE level_rank = ?1"
        "  AND (?2 IS NULL OR parent_code = ?2))"
        " ORDER BY coalesce(name_latin, name_local, code)", &stmt);
    if (st)
        return st;
    sqlite3_bind_int(stmt, 1, level);
    sinspace__bind_text(stmt, 2, parent);
    atlas_area *a = NULL;
    size_t n = 0;
    int rc;
    while (!st && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        atlas_area *na = realloc(a, (n + 1) * sizeof *na);
        if (!na) {
            st = sinspace__error(store->ctx, SINSPACE_NO_MEMORY, "out of memory");
            break;
        }
        a = na;
        atlas_area *x = &a[n++];
        memset(x, 0, sizeof *x);
        x->code = col_dup(stmt, 0);
        x->name_latin = col_dup(stmt, 1);
        x->name_local = col_dup(stmt, 2);
        x->density = sqlite3_column_type(stmt, 3) == SQLITE_NULL
                         ? NAN : sqlite3_column_double(stmt, 3);
        x->workplaces = sqlite3_column_int64(stmt, 4);
        x->high = sqlite3_column_int64(stmt, 5);
        st = geom_from_wkb(store->ctx, sqlite3_column_blob(stmt, 6),
                           sqlite3_column_bytes(stmt, 6), &x->geom);
    }
    sqlite3_finalize(stmt);
    if (st) {
        atlas_areas_free(a, n);
        return st;
    }
    *out = a;
    *n_out = n;
    return SINSPACE_OK;
}

static map
map_new(sinspace_store *store, int is_raster)
{
    map m = {0};
    m.store = store;
    m.ctx = store->ctx;
    m.is_raster = is_raster;
    m.wgs = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(m.wgs, "WGS84");
    OSRSetAxisMappingStrategy(m.wgs, OAMS_TRADITIONAL_GIS_ORDER);
    return m;
}

/* Page 1: the areas coloured by quantile class of risk-weighted density. */
static sinspace_status
atlas_overview(cairo_t *cr, sinspace_store *store, const sinspace_atlas_options *o,
               atlas_area *areas, size_t n, const char *province_title,
               const char *when, render_symbology *sym)
{
    map m = map_new(store, 0);
    choro c = {0};
    m.choro = &c;
    layout_page(&m, o->paper, o->landscape, o->dpi > 0 ? o->dpi : 150, 0);
    OGRGeometryH all = OGR_G_CreateGeometry(wkbGeometryCollection);
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        OGR_G_AddGeometry(all, areas[i].geom);
        if (!isnan(areas[i].density) && areas[i].workplaces > 0 && vals)
            vals[nv++] = areas[i].density;
    }
    sinspace_status st = vals ? SINSPACE_OK
                              : sinspace__error(m.ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (!st) {
        /* Quantile classes by rank: class k holds the values of ranks
         * k*nv/n .. (k+1)*nv/n - 1, and the key shows each class's range. */
        if (nv > 1)
            qsort(vals, nv, sizeof *vals, cmp_double);
        c.n_classes = nv == 0 ? 0 : nv < CHORO_CLASSES ? (int)nv : CHORO_CLASSES;
        for (int k = 0; k < c.n_classes; k++) {
            c.lo[k] = vals[(size_t)k * nv / (size_t)c.n_classes];
            c.hi[k] = vals[((size_t)k + 1) * nv / (size_t)c.n_classes - 1];
        }
        st = fit_extent(&m, all, NULL, NULL, 0.03);
    }
    PangoLayout *layout = NULL;
    render_labels *labels = NULL;
    if (!st) {
        char title[512], sub[512];
        snprintf(title, sizeof title, "Risk atlas: %s", province_title);
        snprintf(sub, sizeof sub, "%zu %s areas by risk-weighted density of "
                 "workplaces \xc2\xb7 overview", n,
                 sinspace_area_level_name(o->level));
        m.title = sinspace__strdup(title);
        m.subtitle = sinspace__strdup(sub);
        layout = pango_cairo_create_layout(cr);
        labels = sinspace__labels_create(m.W, m.H);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_save(cr);
        cairo_rectangle(cr, m.frame[0], m.frame[1], m.frame[2], m.frame[3]);
        cairo_clip(cr);
        for (size_t i = 0; i < n; i++) {
            int k = CHORO_CLASSES;
            if (!isnan(areas[i].density) && areas[i].workplaces > 0 && c.n_classes) {
                size_t rank = 0;
                while (rank + 1 < nv && vals[rank] < areas[i].density)
                    rank++;
                k = (int)(rank * (size_t)c.n_classes / nv);
            }
            c.counts[k]++;
            OGRGeometryH g = OGR_G_Clone(areas[i].geom);
            OGR_G_Transform(g, m.to_map);
            cairo_new_path(cr);
            path_frame_geom(cr, &m, g);
            set_rgba(cr, choro_fill[k]);
            cairo_fill_preserve(cr);
            set_rgba(cr, MUTED);
            cairo_set_line_width(cr, 0.25 * m.px_mm);
            cairo_stroke(cr);
            OGRGeometryH pt = OGR_G_PointOnSurface(g);
            if (pt && !OGR_G_IsEmpty(pt)) {
                render_label_style ls = {0};
                memcpy(ls.clip, (double[]){m.frame[0], m.frame[1], m.frame[0] + m.frame[2],
                                           m.frame[1] + m.frame[3]}, sizeof ls.clip);
                ls.size_px = 7 * m.px_pt;
                ls.color = INK;
                ls.halo = (sinspace_rgba){1, 1, 1, 0.8};
                ls.halo_px = 0.4 * m.px_mm;
                sinspace__label_font(layout, ls.size_px, 0, 0);
                sinspace__label_place(labels, cr, layout,
                                      areas[i].name_latin ? areas[i].name_latin
                                                          : areas[i].code,
                                      px_x(&m, OGR_G_GetX(pt, 0)),
                                      px_y(&m, OGR_G_GetY(pt, 0)), 0, &ls);
            }
            if (pt)
                OGR_G_DestroyGeometry(pt);
            OGR_G_DestroyGeometry(g);
        }
        cairo_restore(cr);
        draw_marginalia(cr, &m, layout, sym, o->marking ? o->marking : DEFAULT_MARKING,
                        when);
        cairo_show_page(cr);
    }
    if (layout)
        g_object_unref(layout);
    sinspace__labels_destroy(labels);
    free(vals);
    OGR_G_DestroyGeometry(all);
    map_free(&m);
    return st;
}

/* The area's high-risk workplaces, highest first. */
static void
atlas_table(cairo_t *cr, map *m, PangoLayout *layout, const char *code,
            int max_rows, double x0, double y0, double x1, double y1)
{
    double y = y0;
    y += text_at(cr, layout, "High-risk workplaces", x0, y, 9 * m->px_pt, 1, 0, INK, 0);
    y += 1 * m->px_mm;
    double cols[4] = {x0, x0 + (x1 - x0) * 0.16, x0 + (x1 - x0) * 0.62,
                      x0 + (x1 - x0) * 0.86};
    const char *heads[4] = {"ID", "Name", "Sector", "Risk"};
    for (int i = 0; i < 4; i++)
        text_at(cr, layout, heads[i], cols[i], y, 7 * m->px_pt, 1, 0, MUTED, 0);
    y += 3.8 * m->px_mm;
    cairo_move_to(cr, x0, y - 0.4 * m->px_mm);
    cairo_line_to(cr, x1, y - 0.4 * m->px_mm);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    cairo_stroke(cr);
    sqlite3_stmt *stmt;
    if (sinspace__prepare(m->store,
            "SELECT w.ext_id, w.name, w.sector_label, w.risk,"
            " count(*) OVER () FROM workplaces_risk AS w"
            " JOIN area_members AS am ON am.workplace_id = w.id"
            " JOIN areas AS a ON a.id = am.area_id"
            " WHERE a.code = ?1 AND w.risk_class = 'high'"
            " ORDER BY w.risk DESC, w.id LIMIT ?2", &stmt))
        return;
    sinspace__bind_text(stmt, 1, code);
    sqlite3_bind_int(stmt, 2, max_rows);
    int rows = 0;
    long long total = 0;
    double row_h = 3.4 * m->px_mm;
    while (sqlite3_step(stmt) == SQLITE_ROW && y + row_h < y1 - 4 * m->px_mm) {
        const char *v[3];
        for (int i = 0; i < 3; i++) {
            v[i] = (const char *)sqlite3_column_text(stmt, i);
            if (!v[i])
                v[i] = "";
        }
        char risk[16];
        snprintf(risk, sizeof risk, "%.2f", sqlite3_column_double(stmt, 3));
        total = sqlite3_column_int64(stmt, 4);
        for (int i = 0; i < 3; i++) {
            /* Ellipsize to the column. */
            sinspace__label_font(layout, 6.8 * m->px_pt, 0, 0);
            pango_layout_set_width(layout, (int)((cols[i + 1] - cols[i] - m->px_mm) * PANGO_SCALE));
            pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
            pango_layout_set_text(layout, v[i], -1);
            cairo_move_to(cr, cols[i], y);
            set_rgba(cr, INK);
            pango_cairo_show_layout(cr, layout);
            pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_NONE);
            pango_layout_set_width(layout, -1);
        }
        text_at(cr, layout, risk, cols[3], y, 6.8 * m->px_pt, 1, 0, MARK_RED, 0);
        y += row_h;
        rows++;
    }
    sqlite3_finalize(stmt);
    char more[96];
    if (rows == 0)
        snprintf(more, sizeof more, "No high-risk workplace recorded in this area.");
    else if (total > rows)
        snprintf(more, sizeof more, "%d of %lld shown (highest risk first).", rows, total);
    else
        more[0] = '\0';
    if (more[0])
        text_at(cr, layout, more, x0, y + 0.5 * m->px_mm, 6.5 * m->px_pt, 0, 0, MUTED, 0);
}

/* Mean observed risk per year of the area's workplaces, over the class
 * bands, with the number of observations under each year. */
static void
atlas_chart(cairo_t *cr, map *m, PangoLayout *layout, const char *code,
            double x0, double y0, double x1, double y1)
{
    double mm = m->px_mm;
    text_at(cr, layout, "Risk over the observation years", x0, y0, 9 * m->px_pt, 1,
            0, INK, 0);
    sqlite3_stmt *stmt;
    if (sinspace__prepare(m->store,
            "SELECT substr(o.observed, 1, 4) AS year, avg(o.risk), count(*),"
            " sum(o.risk >= 2.333) FROM observations AS o"
            " JOIN area_members AS am ON am.workplace_id = o.workplace_id"
            " JOIN areas AS a ON a.id = am.area_id WHERE a.code = ?1"
            " GROUP BY year ORDER BY year", &stmt))
        return;
    sinspace__bind_text(stmt, 1, code);
    enum { MAXY = 40 };
    char years[MAXY][8];
    double mean[MAXY];
    long long count[MAXY], high[MAXY];
    int n = 0;
    while (n < MAXY && sqlite3_step(stmt) == SQLITE_ROW) {
        snprintf(years[n], sizeof years[n], "%s", (const char *)sqlite3_column_text(stmt, 0));
        mean[n] = sqlite3_column_double(stmt, 1);
        count[n] = sqlite3_column_int64(stmt, 2);
        high[n] = sqlite3_column_int64(stmt, 3);
        n++;
    }
    sqlite3_finalize(stmt);
    double px0 = x0 + 8 * mm, px1 = x1 - 2 * mm, py0 = y0 + 7 * mm, py1 = y1 - 9 * mm;
    if (n == 0 || px1 <= px0 || py1 <= py0) {
        text_at(cr, layout, "No observations.", x0, y0 + 7 * mm, 7 * m->px_pt, 0, 0,
                MUTED, 0);
        return;
    }
    /* Class bands, 1..3. */
    const double bounds[4] = {1.0, SINSPACE_RISK_MEDIUM, SINSPACE_RISK_HIGH, 3.0};
    const sinspace_rgba band[3] = {{1, 0.95, 0.7, 1}, {1, 0.85, 0.7, 1}, {0.98, 0.75, 0.75, 1}};
#define CY(v) (py1 - ((v) - 1.0) / 2.0 * (py1 - py0))
    for (int b = 0; b < 3; b++) {
        cairo_rectangle(cr, px0, CY(bounds[b + 1]), px1 - px0, CY(bounds[b]) - CY(bounds[b + 1]));
        set_rgba(cr, band[b]);
        cairo_fill(cr);
    }
    for (int t = 0; t < 5; t++) {
        double v = 1 + t * 0.5;
        char lab[8];
        snprintf(lab, sizeof lab, "%.1f", v);
        text_at(cr, layout, lab, px0 - 1 * mm, CY(v) - 1.3 * mm, 6 * m->px_pt, 0, 2, MUTED, 0);
    }
    cairo_rectangle(cr, px0, py0, px1 - px0, py1 - py0);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * mm);
    cairo_stroke(cr);
    double step = n > 1 ? (px1 - px0 - 8 * mm) / (n - 1) : 0;
    double xs0 = n > 1 ? px0 + 4 * mm : (px0 + px1) / 2;
    cairo_set_line_width(cr, 0.5 * mm);
    set_rgba(cr, INK);
    for (int i = 0; i < n; i++) {
        double x = xs0 + i * step, y = CY(mean[i]);
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
    for (int i = 0; i < n; i++) {
        double x = xs0 + i * step, y = CY(mean[i]);
        cairo_new_path(cr);
        cairo_arc(cr, x, y, 0.9 * mm, 0, 2 * M_PI);
        set_rgba(cr, INK);
        cairo_fill(cr);
        char lab[64];
        snprintf(lab, sizeof lab, "%.2f", mean[i]);
        text_at(cr, layout, lab, x, y - 4 * mm, 6 * m->px_pt, 1, 1, INK, 0);
        text_at(cr, layout, years[i], x, py1 + 0.6 * mm, 6.5 * m->px_pt, 0, 1, INK, 0);
        snprintf(lab, sizeof lab, "n=%lld, high %lld", count[i], high[i]);
        text_at(cr, layout, lab, x, py1 + 3.6 * mm, 5.5 * m->px_pt, 0, 1, MUTED, 0);
    }
#undef CY
}

sinspace_status
sinspace_atlas_render(sinspace_store *store, const sinspace_atlas_options *opts,
                      sinspace_atlas_result *result)
{
    sinspace_context *ctx = store ? store->ctx : NULL;
    if (!store || !opts || !opts->output)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: a store and an output file are required");
    if (format_of(opts->output, SINSPACE_RENDER_AUTO) != SINSPACE_RENDER_PDF)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: %s: an atlas is a PDF (.pdf)", opts->output);
    if (opts->level < SINSPACE_LEVEL_PROVINCE || opts->level > SINSPACE_LEVEL_VILLAGE)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: --level must be province, district, "
                               "subdistrict or village");
    double dpi = opts->dpi > 0 ? opts->dpi : 150;
    if (dpi < 36 || dpi > 1200)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: --dpi %g is outside 36..1200", dpi);
    if (!store->writable)
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "atlas: the store must be open for writing (audit)");
    sinspace_status st = SINSPACE_OK;
    char *parent = NULL;
    char province_title[512] = "all areas";
    if (opts->province) {
        map pm = map_new(store, 0);
        OGRGeometryH g = NULL;
        int level = 0;
        st = find_area(&pm, opts->province, &g, &level);
        if (!st && level != SINSPACE_LEVEL_PROVINCE)
            st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                 "atlas: '%s' is a %s, not a province", opts->province,
                                 sinspace_area_level_name((sinspace_area_level)level));
        if (!st) {
            parent = sinspace__strdup(pm.selected_code);
            snprintf(province_title, sizeof province_title, "%s", pm.title);
        }
        if (g)
            OGR_G_DestroyGeometry(g);
        map_free(&pm);
        if (st) {
            free(parent);
            return st;
        }
    }
    atlas_area *areas = NULL;
    size_t n = 0;
    if ((st = atlas_load_areas(store, opts->level, parent, &areas, &n))) {
        free(parent);
        return st;
    }
    if (n == 0) {
        free(parent);
        return sinspace__error(ctx, SINSPACE_NOT_FOUND,
                               "atlas: no %s areas%s%s", sinspace_area_level_name(opts->level),
                               opts->province ? " in " : "",
                               opts->province ? opts->province : "");
    }
    char when[64];
    now_text(when, opts->generated_at);
    render_symbology *sym = NULL;
    render_zone_style *zstyle = NULL;
    FILE *f = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    long long drawn = 0;
    int pages = 0;
    st = opts->style_path ? sinspace__symbology_load(ctx, opts->style_path, &sym)
                          : sinspace__symbology_default(ctx, &sym);
    if (!st && !opts->no_zones)
        st = sinspace__zone_style_default(ctx, &zstyle);
    if (!st)
        st = open_private(ctx, opts->output, &f);
    if (st)
        goto cleanup;
    {
        double wmm, hmm, k = 72.0 / dpi;
        paper_mm(opts->paper, opts->landscape, &wmm, &hmm);
        surface = cairo_pdf_surface_create_for_stream(
            write_fn, f, lround(wmm / 25.4 * dpi) * k, lround(hmm / 25.4 * dpi) * k);
        char title[600];
        snprintf(title, sizeof title, "Risk atlas: %s", province_title);
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sinspace");
        cr = cairo_create(surface);
        cairo_scale(cr, k, k);
    }
    if ((st = atlas_overview(cr, store, opts, areas, n, province_title, when, sym)))
        goto cleanup;
    pages++;
    for (size_t i = 0; i < n && !st; i++) {
        if ((st = sinspace__progress(ctx, "atlas", (double)i, (double)n)))
            break;
        map m = map_new(store, 0);
        layout_page(&m, opts->paper, opts->landscape, dpi, 1);
        sinspace__symbology_reset(sym);
        if (zstyle)
            sinspace__zone_style_reset(zstyle);
        m.zstyle = zstyle;
        page_opts po = {areas[i].code, NULL, NULL, 0.05, NULL, NULL, NULL,
                        opts->marking ? opts->marking : DEFAULT_MARKING, when,
                        NULL, opts->no_basemap, 0, 0, 0, 0, opts->no_zones};
        /* draw_map reports its own progress; keep the atlas's. */
        sinspace_progress_fn saved = ctx->progress_fn;
        ctx->progress_fn = NULL;
        st = prepare_map(&m, &po);
        if (!st)
            st = draw_map(cr, &m, &po, sym);
        ctx->progress_fn = saved;
        if (!st) {
            PangoLayout *layout = pango_cairo_create_layout(cr);
            double *e = m.extra, mid = e[0] + (e[2] - e[0]) * 0.55;
            atlas_table(cr, &m, layout, areas[i].code,
                        opts->max_table_rows > 0 ? opts->max_table_rows : 15,
                        e[0], e[1], mid - 4 * m.px_mm, e[3]);
            atlas_chart(cr, &m, layout, areas[i].code, mid, e[1], e[2], e[3]);
            g_object_unref(layout);
            cairo_show_page(cr);
            drawn += (long long)m.n_wp;
            pages++;
        }
        map_free(&m);
    }
    if (!st)
        st = sinspace__progress(ctx, "atlas", (double)n, (double)n);
    if (st)
        goto cleanup;
    cairo_destroy(cr);
    cr = NULL;
    cairo_surface_finish(surface);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
        st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", opts->output,
                             cairo_status_to_string(cairo_surface_status(surface)));
cleanup:
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    if (f)
        st = close_private(ctx, opts->output, f, st);
    if (!st) {
        char target[600];
        snprintf(target, sizeof target, "%s level %s", parent ? parent : "all",
                 sinspace_area_level_name(opts->level));
        sinspace_audit_entry e = {0};
        char what[1100];
        snprintf(what, sizeof what, "output=%s", opts->output);
        e.command = "atlas";
        e.target = target;
        e.filters = what;
        e.rows = drawn;
        st = sinspace_audit_record(store, &e);
    }
    if (!st && result) {
        result->pages = pages;
        result->areas = (int)n;
        result->workplaces = drawn;
    }
    sinspace__symbology_destroy(sym);
    sinspace__zone_style_destroy(zstyle);
    atlas_areas_free(areas, n);
    free(parent);
    return st;
}
