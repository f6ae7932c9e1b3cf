/* render_int.h: what the renderer's files share (render.c, render_basemap.c,
 * render_label.c, render_symbology.c) and the tests may call.
 *
 * All drawing is in device pixels of the page at its dpi: a PNG pixel is one
 * unit, and a PDF page is scaled by 72/dpi so the same coordinates apply. */
#ifndef SINSPACE_RENDER_INT_H
#define SINSPACE_RENDER_INT_H

#include "core/sinspaceInt.h"

#include <sinspace/render.h>
#include <sinspace/style.h>

#include <cairo.h>
#include <pango/pangocairo.h>

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

/* A collision index over a page of width x height pixels. */
render_labels *sinspace__labels_create(double width, double height);
void sinspace__labels_destroy(render_labels *labels);
/* Marks a box as taken (a marker, a legend). */
void sinspace__labels_block(render_labels *labels, double x0, double y0,
                            double x1, double y1);

typedef struct render_label_style {
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
 * (right, left, above, below, diagonals; centred when offset_px is 0); draws it with its halo and takes its box.  Returns
 * 1 when placed, 0 when every position collides. */
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
/* Fills (even-odd, so holes stay open) and strokes the current path with
 * a polygon symbolizer; k converts SLD pixels.  The path is kept. */
void sinspace__polygon_paint(cairo_t *cr, const sinspace_symbolizer *s,
                             double k);

#endif
