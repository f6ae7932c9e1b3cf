/* render_int.h: what the renderer's files share (page.c, frame.c,
 * marginalia.c, atlas.c, output.c, basemap.c, label.c, symbology.c,
 * zone_style.c), what serve/tiles.c draws a web tile with, and what the
 * tests may call.
 *
 * All drawing is in device pixels of the page at its dpi: a PNG pixel is one
 * unit, and a PDF page is scaled by 72/dpi so the same coordinates apply. */
#ifndef SINSPACE_RENDER_INT_H
#define SINSPACE_RENDER_INT_H

#include "core/outfile.h"
#include "core/sinspaceInt.h"

#include <sinspace/render.h>
#include <sinspace/style.h>

#include <cairo.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pango/pangocairo.h>

#include <stdio.h>

/* The font families labels use; fontconfig falls back along the list, so
 * Thai, Lao, Khmer, Burmese, Vietnamese and Chinese names all find glyphs. */
#define SINSPACE_RENDER_FONTS \
    "Noto Sans, Noto Sans Thai, Noto Sans Lao, Noto Sans Khmer, " \
    "Noto Sans Myanmar, Noto Sans CJK SC, DejaVu Sans"

/* ---- basemap (render_basemap.c) ---- */

/* Warps the n source rasters (later ones on top) with GDALWarp to the grid
 * te (xmin, ymin, xmax, ymax in dst_wkt) of w x h pixels, bilinear, using
 * overviews, and returns it as an ARGB32 surface (alpha from nodata/masks).
 * *out is the caller's, freed with cairo_surface_destroy(). */
sinspace_status sinspace__basemap_warp(sinspace_context *ctx,
                                       const char *const *paths, int n,
                                       const char *dst_wkt, const double te[4],
                                       int w, int h, cairo_surface_t **out);

/* ---- labels (render_label.c) ---- */

typedef struct render_labels render_labels;

/* The page's layout model (label.c, layout.c): every box placed on a
 * page, of a class.  Markers are soft (labels avoid them when they can),
 * graphics of the marginalia are hard, texts never overlap each other. */
enum { RENDER_BOX_MARKER = 0, RENDER_BOX_HARD = 1, RENDER_BOX_TEXT = 2 };

typedef struct render_item {
    char kind[24];
    char *text;                /* NULL for a graphic */
    char *lines;               /* the text as wrapped, lines split by \n */
    double x0, y0, x1, y1;     /* device pixels */
    int cls;
} render_item;

/* A collision index over a page of width x height pixels. */
render_labels *sinspace__labels_create(double width, double height);
void sinspace__labels_destroy(render_labels *labels);
/* Marks a box as taken (a marker, a legend). */
void sinspace__labels_block(render_labels *labels, double x0, double y0,
                            double x1, double y1);

/* Records a placed box (cls RENDER_BOX_HARD: a graphic, _TEXT: a text,
 * with its wrapped lines when it wraps). */
void sinspace__labels_take(render_labels *labels, const char *kind,
                           const char *text, double x0, double y0, double x1,
                           double y1, int cls, const char *lines);
/* Records a text that found no free place (and so was not drawn). */
void sinspace__labels_refused(render_labels *labels, const char *kind,
                              const char *text);
/* 1 when the box meets no box of class min_cls or above. */
int sinspace__labels_free(const render_labels *labels, double x0, double y0,
                          double x1, double y1, int min_cls);
const render_item *sinspace__labels_items(const render_labels *labels,
                                          size_t *n, int refused);
double sinspace__labels_width(const render_labels *labels);
double sinspace__labels_height(const render_labels *labels);

typedef struct render_label_style {
    const char *kind;            /* layout report kind; NULL: "label" */
    int must;                    /* may cover markers, never a text */
    int leader_rings;            /* farther rings tried, with a leader line */
    int must_rings;              /* must: farther rings over markers, leader */
    int report_refused;
    double size_px;              /* font size in device pixels */
    int bold, italic;
    sinspace_rgba color;
    sinspace_rgba halo;
    double halo_px;              /* 0: no halo */
    double clip[4];              /* x0, y0, x1, y1 the label must stay in */
    /* The style's own placement, tried first: SLD AnchorPoint (0..1, y up)
     * and Displacement (device pixels, y up). */
    int has_anchor;
    double anchor_x, anchor_y, disp_x, disp_y;
} render_label_style;

/* Places text near (x, y) at the first free candidate position: the
 * style's anchor when it has one, then around a point of radius offset_px
 * (right, left, above, below, diagonals; centred when offset_px is 0),
 * then (leader_rings) farther out with a leader line; draws it with its
 * halo and takes its box.  Returns 1 when placed, 2 when placed with a
 * leader, 0 when every position collides. */
int sinspace__label_place(render_labels *labels, cairo_t *cr,
                          PangoLayout *layout, const char *text, double x,
                          double y, double offset_px,
                          const render_label_style *style);

/* Draws text with a halo at (x, y) (top-left), unconditionally. */
void sinspace__label_draw(cairo_t *cr, PangoLayout *layout, double x, double y,
                          const render_label_style *style);

/* Sets layout's font: SINSPACE_RENDER_FONTS at size_px device pixels,
 * after family when one is given (an SLD's font-family). */
void sinspace__label_font(PangoLayout *layout, double size_px, int bold,
                          int italic);
void sinspace__label_font_family(PangoLayout *layout, const char *family,
                                 double size_px, int bold, int italic);

/* The number of glyphs Pango could not find for text in the label fonts
 * (0: every character shaped from an installed font). */
int sinspace__label_unknown_glyphs(const char *text);

/* ---- symbology (render_symbology.c) ---- */

typedef struct render_symbology render_symbology;

/* The attributes of a workplace a symbology may test. */
typedef struct render_feature {
    const char *id;
    const char *ext_id;
    const char *name;
    const char *name_local;
    const char *sector;
    const char *status;
    const char *risk;         /* text, NULL when unscored */
    const char *risk_class;   /* low, medium, high, NULL */
    const char *lon, *lat;    /* text, for BBOX filters and expressions */
} render_feature;

/* The built-in symbology: fill colour by risk class, mark by sector. */
sinspace_status sinspace__symbology_builtin(sinspace_context *ctx,
                                            render_symbology **out);
/* The default: styles/risk.sld as embedded in the library (the built-in
 * one if it is missing). */
sinspace_status sinspace__symbology_default(sinspace_context *ctx,
                                            render_symbology **out);
/* From an SLD file (sinspace/style.h). */
sinspace_status sinspace__symbology_load(sinspace_context *ctx,
                                         const char *path,
                                         render_symbology **out);
void sinspace__symbology_destroy(render_symbology *sym);

/* The symbolizers for f at the scale denominator: points first, then text;
 * counts f in the legend.  Returns how many were written to out (at most
 * max); they live as long as sym. */
size_t sinspace__symbology_apply(render_symbology *sym, const render_feature *f,
                                 double scale,
                                 const sinspace_symbolizer **out, size_t max);

/* Legend entries, in order: heading (NULL when the entry continues the
 * previous section), title, a sample symbolizer, the count, and whether
 * the entry is left out when nothing matched it (SLD rules). */
size_t sinspace__symbology_legend_count(const render_symbology *sym);
void sinspace__symbology_legend_at(const render_symbology *sym, size_t i,
                                   const char **heading, const char **title,
                                   const sinspace_symbolizer **sample,
                                   long long *count, int *hide_unused);
/* Forgets the counts (a new page of an atlas). */
void sinspace__symbology_reset(render_symbology *sym);
/* Features given at least one point symbolizer since the symbology was
 * made (what a map drew, not what it read). */
long long sinspace__symbology_drawn(const render_symbology *sym);
/* The text of a label computed by an SLD expression for f, or NULL when
 * t's label is a plain property (frame.c reads it itself). */
const char *sinspace__symbology_label(const render_symbology *sym,
                                      const sinspace_symbolizer *t,
                                      const render_feature *f, char *buf,
                                      size_t size);

/* Draws a mark's path centred on (0, 0), size px across. */
void sinspace__mark_path(cairo_t *cr, sinspace_mark mark, double size);
/* Draws a point symbolizer at (x, y); px_per_sld converts SLD pixels. */
void sinspace__symbolizer_draw(cairo_t *cr, const sinspace_symbolizer *s,
                               double x, double y, double px_per_sld);

/* ---- zones (render_zones.c) ---- */

typedef struct render_zone_style render_zone_style;

/* The attributes of a zone its style may test. */
typedef struct render_zone_feature {
    long long id, workplaces;
    double mean_risk, max_risk, peak_density; /* NaN when null */
    const char *sectors;
} render_zone_feature;

/* styles/zones.sld as embedded in the library (a built-in red style if it
 * is missing).  *out is freed with sinspace__zone_style_destroy(). */
sinspace_status sinspace__zone_style_default(sinspace_context *ctx,
                                             render_zone_style **out);
void sinspace__zone_style_destroy(render_zone_style *zs);
/* The polygon symbolizers for f at the scale denominator, in rule order;
 * counts f in the legend.  They live as long as zs. */
size_t sinspace__zone_style_apply(render_zone_style *zs,
                                  const render_zone_feature *f, double scale,
                                  const sinspace_symbolizer **out, size_t max);
/* The style's first text symbolizer (the font of the zone labels), or
 * NULL. */
const sinspace_symbolizer *sinspace__zone_style_text(const render_zone_style *zs);
/* The legend section: its heading and one entry per polygon rule, with the
 * zones drawn since the last reset. */
const char *sinspace__zone_style_heading(const render_zone_style *zs);
size_t sinspace__zone_style_legend_count(const render_zone_style *zs);
void sinspace__zone_style_legend_at(const render_zone_style *zs, size_t i,
                                    const char **title,
                                    const sinspace_symbolizer **sample,
                                    long long *count);
void sinspace__zone_style_reset(render_zone_style *zs);
/* The zone run a map draws: name (NULL: the latest run; with no run at
 * all, the zones of no run).  SINSPACE_NOT_FOUND for an unknown name.  The
 * legend heading then names the run. */
sinspace_status sinspace__zone_style_pick_run(render_zone_style *zs,
                                              sinspace_store *store,
                                              const char *name);
/* Whether a zone of run run_id (0: none) is drawn. */
int sinspace__zone_style_draws_run(const render_zone_style *zs, long long run_id);
/* Fills (even-odd, so holes stay open) and strokes the current path with
 * a polygon symbolizer; k converts SLD pixels.  The path is kept. */
void sinspace__polygon_paint(cairo_t *cr, const sinspace_symbolizer *s,
                             double k);

/* ---- the map: one page, or one web tile (page.c, frame.c) ---- */

#define DEFAULT_MARKING "CONFIDENTIAL \xe2\x80\x94 for authorised use"

static const sinspace_rgba INK = {0.1, 0.1, 0.12, 1};
static const sinspace_rgba MUTED = {0.35, 0.35, 0.38, 1};
static const sinspace_rgba WHITE = {1, 1, 1, 1};
static const sinspace_rgba MARK_RED = {0.75, 0.05, 0.05, 1};

typedef struct workplace {
    double x, y;           /* page pixels */
    double lon, lat;       /* WGS 84, as stored (BBOX filters read them) */
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
    int level_rank;
    int selected;
} area_geom;

/* The overview page's classes of risk-weighted density. */
#define CHORO_CLASSES 5
typedef struct choro {
    double lo[CHORO_CLASSES], hi[CHORO_CLASSES];
    int fill_of[CHORO_CLASSES];    /* class -> colour: the top class darkest */
    int n_valued;                  /* areas classified */
    int counts[CHORO_CLASSES + 1]; /* the last: no data */
    int n_classes;
} choro;

static const sinspace_rgba choro_fill[CHORO_CLASSES + 1] = {
    {1.00, 0.96, 0.80, 1}, {0.99, 0.80, 0.50, 1}, {0.99, 0.55, 0.30, 1},
    {0.89, 0.26, 0.17, 1}, {0.65, 0.06, 0.12, 1}, {0.85, 0.85, 0.85, 1}};

/* A map: the page layout, its georeferencing and what the frame shows.  A
 * web tile is a map whose page is its frame (serve/tiles.c). */
typedef struct render_map {
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
    double ll[4];              /* the box read, in lon/lat: the frame's */
    double scale;
    /* Content. */
    char *title, *subtitle, *target;
    OGRGeometryH selected;     /* the selected area in the map CRS, or NULL */
    char *selected_code;
    int level;                 /* level rank of the areas drawn; -1: all */
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
    char **boundary_sources;   /* the areas' own source records */
    int n_bsrc;
#define RENDER_MAX_CALLOUTS 60
    char *callouts[RENDER_MAX_CALLOUTS]; /* "N  name": numbered on the map */
    int n_callouts;
    int tiles;
    long long labels;
    render_labels *page;       /* the page's layout model (every box) */
    long long leaders;         /* labels placed with a leader line */
    int is_raster;
    int is_pdf;     /* PDF pages (and atlases) paint markers from recording
                       surfaces; SVG draws each (cairo 1.16's SVG backend
                       mishandles recording-surface sources: valgrind) */
    int gaps;       /* ring uncovered high-risk workplaces (gaps.c) */
    int contacts;   /* the "who to call" panel of an area (gaps.c) */
    const char *key_file;
} render_map;

static inline double
px_x(const render_map *m, double x)
{
    return (x - m->gt[0]) / m->gt[1];
}

static inline double
px_y(const render_map *m, double y)
{
    return (y - m->gt[3]) / m->gt[5];
}

static inline void
set_rgba(cairo_t *cr, sinspace_rgba c)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

/* ---- page (page.c) ---- */

typedef struct page_opts {
    const char *area;
    const double *bbox;
    const char *within;
    sinspace_region *within_region;
    double margin;
    const char *crs;
    const char *title, *subtitle, *marking, *generated_at, *label_field;
    int no_basemap, no_labels, no_workplaces;
    double fade, desaturate;
    int no_zones;
} page_opts;

/* A map with WGS 84 set up and nothing else; free with
 * sinspace__map_free(). */
render_map sinspace__map_new(sinspace_store *store, int is_raster);
void sinspace__map_free(render_map *m);
void sinspace__paper_mm(sinspace_paper p, int landscape, double *w, double *h);
/* Lays the page out: frame, panel, foot band (and the atlas's table and
 * chart box when atlas_extra). */
void sinspace__layout_page(render_map *m, sinspace_paper paper, int landscape,
                           double dpi, int atlas_extra);
/* Fits the lon/lat geometry (or bbox) into the frame: the map CRS, the
 * resolution and the page's geotransform. */
sinspace_status sinspace__fit_extent(render_map *m, OGRGeometryH ll_geom,
                                     const double *bbox, const char *crs,
                                     double margin);
/* Resolves the extent and loads what the page shows. */
sinspace_status sinspace__prepare_map(render_map *m, const page_opts *o);
/* Draws the whole page: background, frame, marginalia. */
sinspace_status sinspace__draw_map(cairo_t *cr, render_map *m,
                                   const page_opts *o, render_symbology *sym);

/* ---- frame (frame.c): the layers drawn into any extent ---- */

/* What a frame reads and draws. */
enum {
    RENDER_LAYER_IMAGERY = 1u << 0,
    RENDER_LAYER_AREAS = 1u << 1,
    RENDER_LAYER_ZONES = 1u << 2,
    RENDER_LAYER_WORKPLACES = 1u << 3
};

typedef struct render_frame_opts {
    unsigned layers;           /* RENDER_LAYER_* */
    /* The web tile look: every level's outline cased in white, finest
     * first, under one zone colour drawn below them; no names or labels;
     * imagery that cannot be read is left out with a warning. */
    int web;
    int no_labels;
    const char *label_field;
    double fade, desaturate;   /* imagery: 0 unaltered .. 1 */
    double bleed_px;           /* workplaces kept this far outside the frame
                                  (a tile's markers cut by its edge) */
    double simplify;           /* polygons simplified to this many degrees;
                                  0: as stored */
} render_frame_opts;

/* Reads the frame's areas (m->level), zones (when m->zstyle or web) and
 * workplaces in m->ll, projected to the map CRS; frees what a previous
 * load held. */
sinspace_status sinspace__frame_load(render_map *m, const render_frame_opts *o);
/* Frees what sinspace__frame_load read (not the map's CRS or page). */
void sinspace__frame_clear(render_map *m);
/* The catalogued imagery warped into the frame; m->tiles and
 * m->attributions say what was used. */
sinspace_status sinspace__frame_imagery(cairo_t *cr, render_map *m,
                                        const render_frame_opts *o);
/* The imagery a frame draws (basemap.c): of the catalogued files, packages
 * and tile services meeting m->ll, the finest first down to the first
 * that covers the whole frame, handed to fn coarsest first (so the finest
 * is warped on top) with absolute paths (a service as a GDAL WMS
 * description in /vsimem/ with a private disk cache beside the database).
 * No service is used when sinspace_tiles_offline() or when a package
 * fetched from a service covers the frame. */
struct sinspace__feature_imagery;
sinspace_status sinspace__basemap_imagery(render_map *m,
                                          int (*fn)(void *user,
                                                    const struct sinspace__feature_imagery *row),
                                          void *user);
/* Appends to buf (size n) "; imagery 10 m/px, page 0.3 m/px" when the
 * finest imagery of the frame is coarser than the page's pixel by more
 * than 1.5 times; returns the characters written (0: nothing). */
size_t sinspace__basemap_note(render_map *m, char *buf, size_t n);

/* Areas, zones, workplaces and (page maps) their names and labels;
 * labels and layout may be NULL for a web tile. */
sinspace_status sinspace__frame_features(cairo_t *cr, render_map *m,
                                         const render_frame_opts *o,
                                         render_symbology *sym,
                                         render_labels *labels,
                                         PangoLayout *layout);
/* The one polygon path: a (multi)polygon's rings added to the path, x to
 * ox + (X - ext0) k and y to oy + (ext3 - Y) k. */
void sinspace__path_geom(cairo_t *cr, const render_map *m, OGRGeometryH g,
                         double ox, double oy, double k);
/* The same at the frame's own pixels. */
void sinspace__path_frame_geom(cairo_t *cr, const render_map *m,
                               OGRGeometryH g);
/* A geometry from WKB; *out the caller's (OGR_G_DestroyGeometry). */
sinspace_status sinspace__geom_from_wkb(sinspace_context *ctx, const void *wkb,
                                        size_t size, OGRGeometryH *out);

/* ---- the network's gaps (gaps.c) ---- */

/* Rings each high-risk workplace of the frame that no active responder
 * covers (sinspace_cover_gaps, audited), with a count in the frame's
 * corner.  Never names a responder or shows a contact. */
sinspace_status sinspace__draw_gaps(cairo_t *cr, render_map *m);

/* The "who to call" panel of a map of an area (m->contacts): the
 * responders covering m->selected_code, best first, with role, languages
 * and phone (sinspace_cover with contacts: an audit row).  Nothing when
 * the map is not of an area. */
sinspace_status sinspace__draw_call_panel(cairo_t *cr, render_map *m);

/* ---- marginalia (marginalia.c) ---- */

/* Draws text with its top-left at x, y (align 0 left, 1 centre, 2 right of
 * x), wrapped to width when > 0; returns its height. */
double sinspace__text_at(cairo_t *cr, PangoLayout *layout, const char *text,
                         double x, double y, double size_px, int bold,
                         int align, sinspace_rgba color, double width);
/* The scale as printed: two significant figures, "1:23,000". */
void sinspace__scale_text(double scale, char *buf, size_t size);
/* Frame border, ticks, title band, panel (north arrow, scale, legend or
 * choropleth key, inset) and foot band. */
void sinspace__draw_marginalia(cairo_t *cr, render_map *m, PangoLayout *layout,
                               render_symbology *sym, const char *marking,
                               const char *generated_at);

/* ---- the layout model seen from the marginalia (layout.c) ---- */

/* How a text may give way: shrink down to min_px (0: no), stay within
 * max_h (0: any height), move down by up to room pixels; measure: only
 * say the height it would take. */
typedef struct render_fit {
    double min_px, max_h, room;
    int measure;
    int whole_words;           /* never break inside a word: refuse instead */
} render_fit;

/* Places text through m->page as sinspace__text_at would draw it (wrapped
 * at spaces to width when > 0), where it meets no other text or graphic;
 * returns the height taken (with any move), -1 when refused. */
double sinspace__lay_text_fit(render_map *m, cairo_t *cr, PangoLayout *layout,
                              const char *kind, const char *text, double x,
                              double y, double size_px, int bold, int align,
                              sinspace_rgba color, double width,
                              const render_fit *fit);
/* The same, neither shrinking nor moving; 0 when refused. */
double sinspace__lay_text(render_map *m, cairo_t *cr, PangoLayout *layout,
                          const char *kind, const char *text, double x,
                          double y, double size_px, int bold, int align,
                          sinspace_rgba color, double width);
/* Takes a graphic's box (north arrow, scale bar, locator...). */
void sinspace__lay_graphic(render_map *m, const char *kind, double x0,
                           double y0, double x1, double y1);

typedef struct render_report render_report;
render_report *sinspace__report_new(void);
void sinspace__report_free(render_report *r);
/* Adds a page: its size and every box of its model, in points. */
void sinspace__report_page(render_report *r, const render_labels *page,
                           double px_pt, const char *name);
/* Writes the report (a private file, replaced only with replace). */
sinspace_status sinspace__report_write(sinspace_context *ctx, render_report *r,
                                       const char *path, int replace);

/* ---- output (output.c) ---- */

/* cairo's write function for a stdio stream. */
cairo_status_t sinspace__render_write_fn(void *closure,
                                         const unsigned char *data,
                                         unsigned int length);
/* The page surface as PNG to f (libpng, zlib level 1, for RGB24). */
cairo_status_t sinspace__render_write_png(cairo_surface_t *surface, FILE *f);
/* The format the caller asked for, or the output's extension's. */
sinspace_render_format sinspace__render_format_of(const char *path,
                                                  sinspace_render_format f);
/* The sidecar names of a PNG: OUT.pgw, OUT.prj, OUT.png.aux.xml
 * (malloc'd into side[0..3); on failure none is left allocated). */
sinspace_status sinspace__render_georef_names(sinspace_context *ctx,
                                              const char *png, char *side[3]);
/* Refuses, before any drawing, an output that is a directory or, without
 * replace, that exists: the page and, for a PNG, each of its sidecars. */
sinspace_status sinspace__render_check_outputs(sinspace_context *ctx,
                                               const char *output,
                                               sinspace_render_format fmt,
                                               int replace);
/* Writes OUT.pgw, OUT.prj and OUT.png.aux.xml into three outfiles
 * (core/outfile.h), not yet committed: the caller commits them with the
 * page, as one set (sinspace__outfile_commit_all). */
sinspace_status sinspace__render_write_georef(render_map *m, const char *png,
                                              int replace,
                                              sinspace__outfile *side[3]);
/* The generation time as printed: fixed, or now in UTC. */
void sinspace__render_now_text(char buf[64], const char *fixed);

#endif
