/* page.c: `sinspace map` (see sinspace/render.h): the options, the page's
 * layout and extent, and the page itself, to a file or to memory.
 *
 * A page is laid out in device pixels at its dpi: a title band, the map
 * frame (an integer pixel rectangle, so the PNG's world file is exact), a
 * side panel and a foot band (marginalia.c).  Inside the frame, bottom up:
 * imagery, areas, high-risk zones, workplaces, labels (frame.c).  The
 * page leaves through output.c. */
#include "render/render_int.h"
#include "core/outfile.h"
#include "store/areas.h"
#include "store/features.h"

#include <cpl_conv.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

void
sinspace__paper_mm(sinspace_paper p, int landscape, double *w, double *h)
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
/* The map's state */

render_map
sinspace__map_new(sinspace_store *store, int is_raster)
{
    render_map m = {0};
    m.store = store;
    m.ctx = sinspace_store_context(store);
    m.is_raster = is_raster;
    m.wgs = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(m.wgs, "WGS84");
    OSRSetAxisMappingStrategy(m.wgs, OAMS_TRADITIONAL_GIS_ORDER);
    return m;
}

static void
map_clear_content(render_map *m)
{
    sinspace__frame_clear(m);
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
}

void
sinspace__map_free(render_map *m)
{
    map_clear_content(m);
    if (m->wgs)
        OSRDestroySpatialReference(m->wgs);
    m->wgs = NULL;
}

/* ------------------------------------------------------------------ */
/* Layout */

void
sinspace__layout_page(render_map *m, sinspace_paper paper, int landscape, double dpi,
            int atlas_extra)
{
    double wmm, hmm;
    sinspace__paper_mm(paper, landscape, &wmm, &hmm);
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

/* The area to map, by the one resolver: its geometry in lon/lat, its
 * level, code and title. */
static sinspace_status
extent_of_area(render_map *m, const char *key, OGRGeometryH *geom, int *level)
{
    sinspace__area *a = NULL;
    sinspace_status st = sinspace__area_resolve(m->store, key, &a);
    if (st)
        return st;
    char title[512];
    *level = a->level_rank;
    m->selected_code = sinspace__strdup(a->code);
    m->title = sinspace__strdup(sinspace__area_title(a, title, sizeof title));
    st = sinspace__geom_from_wkb(m->ctx, a->wkb, a->wkb_size, geom);
    sinspace__area_free(a);
    return st;
}

/* A region's polygons in lon/lat; *geom the caller's. */
static sinspace_status
extent_of_region(render_map *m, sinspace_region *r, OGRGeometryH *geom)
{
    const unsigned char *wkb = NULL;
    size_t size = 0;
    sinspace_status st = sinspace_region_wkb(r, &wkb, &size);
    if (!st)
        st = sinspace__geom_from_wkb(m->ctx, wkb, size, geom);
    return st;
}


static sinspace_status
set_map_crs(render_map *m, const char *crs, double lon, double lat)
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

sinspace_status
sinspace__fit_extent(render_map *m, OGRGeometryH ll_geom, const double *bbox, const char *crs,
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
/* The page */

/* What a page's frame shows. */
static render_frame_opts
frame_opts(const render_map *m, const page_opts *o)
{
    render_frame_opts fo = {0};
    fo.layers = RENDER_LAYER_AREAS;
    if (!o->no_basemap)
        fo.layers |= RENDER_LAYER_IMAGERY;
    if (!o->no_workplaces)
        fo.layers |= RENDER_LAYER_WORKPLACES;
    if (!o->no_zones && m->zstyle)
        fo.layers |= RENDER_LAYER_ZONES;
    fo.no_labels = o->no_labels;
    fo.label_field = o->label_field;
    fo.fade = o->fade;
    fo.desaturate = o->desaturate;
    return fo;
}

sinspace_status
sinspace__prepare_map(render_map *m, const page_opts *o)
{
    sinspace_status st = SINSPACE_OK;
    OGRGeometryH ll = NULL;
    int level = SINSPACE_LEVEL_DISTRICT;
    char target[512];
    if (o->area) {
        st = extent_of_area(m, o->area, &ll, &level);
        snprintf(target, sizeof target, "area %s",
                 m->selected_code ? m->selected_code : o->area);
    } else if (o->within) {
        sinspace_region *r = NULL;
        st = sinspace_region_from_file(m->ctx, o->within, NULL, 0, &r);
        if (!st)
            st = extent_of_region(m, r, &ll);
        sinspace_region_destroy(r);
        snprintf(target, sizeof target, "file %s", o->within);
    } else if (o->within_region) {
        st = extent_of_region(m, o->within_region, &ll);
        const char *d = sinspace_region_describe(o->within_region);
        snprintf(target, sizeof target, "%s", d ? d : "region");
    } else {
        snprintf(target, sizeof target, "bbox %.6f,%.6f,%.6f,%.6f", o->bbox[0],
                 o->bbox[1], o->bbox[2], o->bbox[3]);
    }
    if (!st)
        st = sinspace__fit_extent(m, ll, o->bbox, o->crs, o->margin);
    /* The area, or the --within polygons, stand out from the rest. */
    if (!st && (o->area || o->within || o->within_region)) {
        m->selected = OGR_G_Clone(ll);
        OGR_G_Transform(m->selected, m->to_map);
    }
    if (ll)
        OGR_G_DestroyGeometry(ll);
    if (st)
        return st;
    m->level = level;
    m->target = sinspace__strdup(target);
    render_frame_opts fo = frame_opts(m, o);
    if ((st = sinspace__frame_load(m, &fo)))
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

sinspace_status
sinspace__draw_map(cairo_t *cr, render_map *m, const page_opts *o,
                   render_symbology *sym)
{
    sinspace_status st = SINSPACE_OK;
    render_frame_opts fo = frame_opts(m, o);
    /* The page's layout model: the caller's (an atlas page's table and
     * chart, a layout report), or one for this drawing. */
    int own = !m->page;
    if (own)
        m->page = sinspace__labels_create(m->W, m->H);
    render_labels *labels = m->page;
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
    if ((st = sinspace__frame_imagery(cr, m, &fo)))
        goto cleanup;
    if ((st = sinspace__progress(m->ctx, "map", 1, 4)))
        goto cleanup;
    if ((st = sinspace__frame_features(cr, m, &fo, sym, labels, layout)))
        goto cleanup;
    if ((st = sinspace__progress(m->ctx, "map", 3, 4)))
        goto cleanup;
    sinspace__draw_marginalia(cr, m, layout, sym, o->marking, o->generated_at);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        st = sinspace__error(m->ctx, SINSPACE_ERROR, "map: cairo: %s",
                             cairo_status_to_string(cairo_status(cr)));
cleanup:
    if (layout)
        g_object_unref(layout);
    if (own) {
        sinspace__labels_destroy(labels);
        m->page = NULL;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* sinspace_map_render and sinspace_map_render_memory */

/* Where a page goes: a private file (output set), or memory. */
typedef struct page_sink {
    const char *output;        /* NULL: memory */
    int replace;               /* SINSPACE__OUTFILE_REPLACE or _NO_REPLACE */
    sinspace__outfile *of;
    FILE *mem;
    char *mem_data;
    size_t mem_size;
} page_sink;

static sinspace_status
sink_open(sinspace_context *ctx, page_sink *s, FILE **f)
{
    if (s->output) {
        /* An existing file is replaced only when the caller said so. */
        sinspace_status st = sinspace__outfile_open(ctx, s->output, s->replace,
                                                    &s->of);
        if (!st)
            *f = sinspace__outfile_stream(s->of);
        return st;
    }
    s->mem = open_memstream(&s->mem_data, &s->mem_size);
    if (!s->mem)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    *f = s->mem;
    return SINSPACE_OK;
}

/* Commits (or, st set, drops) what was written, the page with its
 * sidecars (side: NULL or three outfiles, placed before the page, so a PNG
 * never appears without its georeferencing); returns the first failure. */
static sinspace_status
sink_close(sinspace_context *ctx, page_sink *s, sinspace__outfile *side[3],
           sinspace_status st)
{
    if (s->of) {
        sinspace__outfile *set[4] = {side ? side[0] : NULL,
                                     side ? side[1] : NULL,
                                     side ? side[2] : NULL, s->of};
        st = sinspace__outfile_commit_all(set, 4, st);
        s->of = NULL;
        if (side)
            side[0] = side[1] = side[2] = NULL;
    }
    if (s->mem) {
        if (fclose(s->mem) != 0 && !st)
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "map: out of memory");
        s->mem = NULL;
        if (st) {
            free(s->mem_data);
            s->mem_data = NULL;
            s->mem_size = 0;
        }
    }
    return st;
}

/* The one map renderer: checks the options, draws the page into the sink,
 * writes the PNG's sidecars when it went to a file, and the audit row. */
static sinspace_status
map_render(sinspace_store *store, const sinspace_map_options *opts,
           page_sink *sink, sinspace_map_result *result)
{
    sinspace_context *ctx = sinspace_store_context(store);
    int extents = !!opts->area + !!opts->has_bbox + !!opts->within +
                  !!opts->within_region;
    if (extents != 1)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: give exactly one of --area, --bbox, --within");
    if (opts->has_bbox && !(opts->bbox[2] > opts->bbox[0] &&
                            opts->bbox[3] > opts->bbox[1] &&
                            opts->bbox[0] >= -180 && opts->bbox[2] <= 180 &&
                            opts->bbox[1] >= -90 && opts->bbox[3] <= 90))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --bbox needs W,S,E,N in degrees with W<E, S<N");
    sinspace_render_format fmt = sink->output
                                     ? sinspace__render_format_of(sink->output,
                                                                  opts->format)
                                     : opts->format;
    if (fmt == SINSPACE_RENDER_AUTO && sink->output)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: %s: the output must end in .pdf, .svg or .png",
                               sink->output);
    if (fmt != SINSPACE_RENDER_PDF && fmt != SINSPACE_RENDER_SVG &&
        fmt != SINSPACE_RENDER_PNG)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: a page in memory needs a format: PDF, SVG "
                               "or PNG");
    sinspace_status st;
    /* Before any work: an existing page or sidecar is kept unless the
     * caller asked to replace it. */
    if (sink->output &&
        (st = sinspace__render_check_outputs(ctx, sink->output, fmt,
                                             sink->replace)))
        return st;
    double dpi = opts->dpi > 0 ? opts->dpi : 300;
    if (dpi < 36 || dpi > 1200)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --dpi %g is outside 36..1200", dpi);
    if (opts->margin < 0 || opts->margin > 2)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: --margin %g is outside 0..2", opts->margin);
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "map: the store must be open for writing (audit)");

    render_map m = sinspace__map_new(store, fmt == SINSPACE_RENDER_PNG);
    m.is_pdf = fmt == SINSPACE_RENDER_PDF;
    sinspace__layout_page(&m, opts->paper, opts->landscape, dpi, 0);

    char when[64];
    sinspace__render_now_text(when, opts->generated_at);
    page_opts po = {
        .area = opts->area,
        .bbox = opts->has_bbox ? opts->bbox : NULL,
        .within = opts->within,
        .within_region = opts->within_region,
        .margin = opts->margin,
        .crs = opts->crs,
        .title = opts->title,
        .subtitle = opts->subtitle,
        .marking = opts->marking ? opts->marking : DEFAULT_MARKING,
        .generated_at = when,
        .label_field = opts->label_field,
        .no_basemap = opts->no_basemap,
        .no_labels = opts->no_labels,
        .no_workplaces = opts->no_workplaces,
        .fade = opts->basemap_fade,
        .desaturate = opts->basemap_desaturate,
        .no_zones = opts->no_zones,
    };
    render_symbology *sym = NULL;
    render_zone_style *zstyle = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    FILE *f = NULL;
    sinspace__outfile *side[3] = {NULL, NULL, NULL};
    render_report *report = NULL;
    st = opts->style_path ? sinspace__symbology_load(ctx, opts->style_path, &sym)
                          : sinspace__symbology_default(ctx, &sym);
    if (!st && !opts->no_zones)
        st = sinspace__zone_style_default(ctx, &zstyle);
    if (!st && zstyle)
        st = sinspace__zone_style_pick_run(zstyle, store, opts->zones_run);
    m.zstyle = zstyle;
    m.gaps = opts->gaps;
    m.contacts = opts->contacts;
    m.key_file = opts->key_file;
    if (!st)
        st = sinspace__prepare_map(&m, &po);
    if (!st)
        st = sink_open(ctx, sink, &f);
    if (st)
        goto cleanup;
    if (fmt == SINSPACE_RENDER_PNG) {
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, m.W, m.H);
    } else {
        double k = 72.0 / dpi;
        surface = fmt == SINSPACE_RENDER_PDF
                      ? cairo_pdf_surface_create_for_stream(sinspace__render_write_fn,
                                                            f, m.W * k, m.H * k)
                      : cairo_svg_surface_create_for_stream(sinspace__render_write_fn,
                                                            f, m.W * k, m.H * k);
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
    if (opts->layout_report) {
        report = sinspace__report_new();
        m.page = sinspace__labels_create(m.W, m.H);
        if (!report || !m.page) {
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            goto cleanup;
        }
    }
    if ((st = sinspace__draw_map(cr, &m, &po, sym)))
        goto cleanup;
    if (report)
        sinspace__report_page(report, m.page, m.px_pt, m.title);
    cairo_destroy(cr);
    cr = NULL;
    cairo_status_t cs;
    if (fmt == SINSPACE_RENDER_PNG)
        cs = sinspace__render_write_png(surface, f);
    else {
        cairo_surface_finish(surface);
        cs = cairo_surface_status(surface);
    }
    if (cs != CAIRO_STATUS_SUCCESS) {
        st = sinspace__error(ctx, SINSPACE_IO, "%s: %s",
                             sink->output ? sink->output : "(memory)",
                             cairo_status_to_string(cs));
        goto cleanup;
    }
cleanup:
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    if (!st && fmt == SINSPACE_RENDER_PNG && sink->output)
        st = sinspace__render_write_georef(&m, sink->output, sink->replace,
                                           side);
    st = sink_close(ctx, sink, side, st);
    if (!st && report)
        st = sinspace__report_write(ctx, report, opts->layout_report,
                                    opts->overwrite ? SINSPACE__OUTFILE_REPLACE
                                                    : SINSPACE__OUTFILE_NO_REPLACE);
    sinspace__report_free(report);
    sinspace__labels_destroy(m.page);
    m.page = NULL;
    if (!st) {
        static const char *const papers[] = {"A4", "A3", "A2", "A1", "A0", "Letter"};
        char what[1200];
        snprintf(what, sizeof what, "output=%s paper=%s%s dpi=%g crs=%s",
                 sink->output ? sink->output : "(memory)",
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
        /* What was drawn, not what was read (style.c warns why). */
        result->workplaces = sinspace__symbology_drawn(sym);
        if (m.n_wp > 0 && result->workplaces == 0 && !opts->no_workplaces)
            sinspace__log(ctx, SINSPACE_LOG_WARNING,
                          "the style drew none of the %zu workplaces on the map",
                          m.n_wp);
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
    sinspace__map_free(&m);
    return st;
}

sinspace_status
sinspace_map_render(sinspace_store *store, const sinspace_map_options *opts,
                    sinspace_map_result *result)
{
    if (!store || !opts || !opts->output)
        return sinspace__error(sinspace_store_context(store),
                               SINSPACE_INVALID_ARGUMENT,
                               "map: a store and an output file are required");
    page_sink sink = {.output = opts->output,
                      .replace = opts->overwrite ? SINSPACE__OUTFILE_REPLACE
                                                 : SINSPACE__OUTFILE_NO_REPLACE};
    return map_render(store, opts, &sink, result);
}

sinspace_status
sinspace_map_render_memory(sinspace_store *store,
                           const sinspace_map_options *opts,
                           unsigned char **data, size_t *size,
                           sinspace_map_result *result)
{
    if (!store || !opts || !data || !size)
        return sinspace__error(sinspace_store_context(store),
                               SINSPACE_INVALID_ARGUMENT,
                               "map: a store, options and a place for the page "
                               "are required");
    *data = NULL;
    *size = 0;
    page_sink sink = {0};
    sinspace_status st = map_render(store, opts, &sink, result);
    if (st)
        return st;
    *data = (unsigned char *)sink.mem_data;
    *size = sink.mem_size;
    return SINSPACE_OK;
}
