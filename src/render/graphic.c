/* graphic.c: the graphics a style draws instead of the built-in marks:
 * ExternalGraphic PNG (cairo) and SVG (librsvg), GeoServer's shape://
 * marks and ttf:// font glyphs (Pango and fontconfig).
 *
 * A file is read once, when the style is loaded (a broken image is refused
 * then, with the SLD's line), and drawn as often as the map needs: sized
 * by the symbolizer's Size (the height, width by the image's proportions),
 * rotated by its Rotation, faded by its Opacity.  On raster pages an SVG is
 * rasterised once per size and stamped; vector pages (PDF, SVG) get its
 * paths, and a PNG becomes one image the document holds once. */
#include "render/style_int.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef SINSPACE_HAVE_RSVG
#include <librsvg/rsvg.h>
#endif

typedef enum g_kind { G_PNG, G_SVG, G_SHAPE, G_TTF } g_kind;

typedef enum shape_id {
    SH_VERTLINE, SH_HORLINE, SH_SLASH, SH_BACKSLASH, SH_DOT, SH_PLUS,
    SH_TIMES, SH_OARROW, SH_CARROW
} shape_id;

static const struct {
    const char *name;
    shape_id id;
} shapes[] = {
    {"vertline", SH_VERTLINE}, {"horline", SH_HORLINE}, {"slash", SH_SLASH},
    {"backslash", SH_BACKSLASH}, {"dot", SH_DOT}, {"plus", SH_PLUS},
    {"times", SH_TIMES}, {"oarrow", SH_OARROW}, {"carrow", SH_CARROW},
};

struct sinspace_style_graphic {
    g_kind kind;
    double w, h;               /* intrinsic size, SLD pixels (files) */
    cairo_surface_t *image;    /* G_PNG */
#ifdef SINSPACE_HAVE_RSVG
    RsvgHandle *svg;           /* G_SVG */
#endif
    cairo_surface_t *raster;   /* G_SVG rasterised at raster_w x raster_h */
    int raster_w, raster_h;
    shape_id shape;            /* G_SHAPE */
    char *font;                /* G_TTF */
    char glyph[8];             /* G_TTF, UTF-8 */
    char desc[160];
};

void
sinspace__graphic_free(sinspace_style_graphic *g)
{
    if (!g)
        return;
    if (g->image)
        cairo_surface_destroy(g->image);
    if (g->raster)
        cairo_surface_destroy(g->raster);
#ifdef SINSPACE_HAVE_RSVG
    if (g->svg)
        g_object_unref(g->svg);
#endif
    free(g->font);
    free(g);
}

sinspace_status
sinspace__graphic_file(sinspace_context *ctx, const char *path, const char *format,
                       sinspace_style_graphic **out)
{
    *out = NULL;
    sinspace_style_graphic *g = calloc(1, sizeof *g);
    if (!g)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (format && !strcmp(format, "image/png")) {
        g->kind = G_PNG;
        g->image = cairo_image_surface_create_from_png(path);
        if (cairo_surface_status(g->image) != CAIRO_STATUS_SUCCESS) {
            sinspace__graphic_free(g);
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                   "graphic %s is not a readable PNG", path);
        }
        g->w = cairo_image_surface_get_width(g->image);
        g->h = cairo_image_surface_get_height(g->image);
        snprintf(g->desc, sizeof g->desc, "PNG %gx%g", g->w, g->h);
    } else {
        g->kind = G_SVG;
#ifdef SINSPACE_HAVE_RSVG
        GError *err = NULL;
        g->svg = rsvg_handle_new_from_file(path, &err);
        if (!g->svg) {
            sinspace_status st =
                sinspace__error(ctx, SINSPACE_INVALID_INPUT, "graphic %s is not a readable SVG: %s",
                                path, err && err->message ? err->message : "?");
            if (err)
                g_error_free(err);
            sinspace__graphic_free(g);
            return st;
        }
        rsvg_handle_set_dpi(g->svg, 90.7); /* SVG px are SLD pixels */
        gdouble w = 0, h = 0;
        if (!rsvg_handle_get_intrinsic_size_in_pixels(g->svg, &w, &h) || w <= 0 || h <= 0) {
            RsvgRectangle ink, logical;
            if (rsvg_handle_get_geometry_for_element(g->svg, NULL, &ink, &logical, NULL) &&
                logical.width > 0 && logical.height > 0) {
                w = logical.width;
                h = logical.height;
            } else {
                w = h = 16;
            }
        }
        g->w = w;
        g->h = h;
        snprintf(g->desc, sizeof g->desc, "SVG %gx%g", g->w, g->h);
#else
        g->w = g->h = 16;
        snprintf(g->desc, sizeof g->desc, "SVG (not drawn: built without librsvg)");
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "graphic %s: sinspace was built without librsvg: drawn "
                      "as a circle", path);
#endif
    }
    *out = g;
    return SINSPACE_OK;
}

/* ttf://Font Name#0xF054, #U+F054 or #65 (decimal); the glyph as UTF-8. */
static int
parse_ttf(const char *spec, sinspace_style_graphic *g)
{
    const char *hash = strrchr(spec, '#');
    if (!hash || hash == spec)
        return -1;
    const char *code = hash + 1;
    char *end;
    unsigned long cp;
    if (!strncasecmp(code, "0x", 2))
        cp = strtoul(code + 2, &end, 16);
    else if (!strncasecmp(code, "U+", 2))
        cp = strtoul(code + 2, &end, 16);
    else
        cp = strtoul(code, &end, 10);
    if (*end || end == code || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    int n = g_unichar_to_utf8((gunichar)cp, g->glyph);
    g->glyph[n] = '\0';
    size_t flen = (size_t)(hash - spec);
    if (!(g->font = malloc(flen + 1)))
        return -1;
    memcpy(g->font, spec, flen);
    g->font[flen] = '\0';
    snprintf(g->desc, sizeof g->desc, "ttf://%s#U+%04lX", g->font, cp);
    return 0;
}

sinspace_style_graphic *
sinspace__graphic_mark(const char *name)
{
    sinspace_style_graphic *g = NULL;
    if (!strncasecmp(name, "shape://", 8)) {
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            if (!strcasecmp(name + 8, shapes[i].name)) {
                if (!(g = calloc(1, sizeof *g)))
                    return NULL;
                g->kind = G_SHAPE;
                g->shape = shapes[i].id;
                g->w = g->h = 1;
                snprintf(g->desc, sizeof g->desc, "shape://%s", shapes[i].name);
                return g;
            }
        return NULL;
    }
    if (!strncasecmp(name, "ttf://", 6)) {
        if (!(g = calloc(1, sizeof *g)))
            return NULL;
        g->kind = G_TTF;
        g->w = g->h = 1;
        if (parse_ttf(name + 6, g) < 0) {
            sinspace__graphic_free(g);
            return NULL;
        }
        return g;
    }
    return NULL;
}

double
sinspace__graphic_aspect(const sinspace_style_graphic *g)
{
    return g && g->h > 0 ? g->w / g->h : 1;
}

double
sinspace__graphic_height(const sinspace_style_graphic *g)
{
    return g && (g->kind == G_PNG || g->kind == G_SVG) ? g->h : 0;
}

const char *
sinspace__graphic_describe(const sinspace_style_graphic *g)
{
    return g ? g->desc : "";
}

static void
set_rgba(cairo_t *cr, sinspace_rgba c)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

static void
shape_path(cairo_t *cr, shape_id id, double r)
{
    switch (id) {
    case SH_VERTLINE:
        cairo_move_to(cr, 0, -r);
        cairo_line_to(cr, 0, r);
        break;
    case SH_HORLINE:
        cairo_move_to(cr, -r, 0);
        cairo_line_to(cr, r, 0);
        break;
    case SH_SLASH:
        cairo_move_to(cr, -r, r);
        cairo_line_to(cr, r, -r);
        break;
    case SH_BACKSLASH:
        cairo_move_to(cr, -r, -r);
        cairo_line_to(cr, r, r);
        break;
    case SH_DOT:
        cairo_new_sub_path(cr);
        cairo_arc(cr, 0, 0, r * 0.2, 0, 2 * M_PI);
        cairo_close_path(cr);
        break;
    case SH_PLUS:
        cairo_move_to(cr, 0, -r);
        cairo_line_to(cr, 0, r);
        cairo_move_to(cr, -r, 0);
        cairo_line_to(cr, r, 0);
        break;
    case SH_TIMES:
        cairo_move_to(cr, -r, -r);
        cairo_line_to(cr, r, r);
        cairo_move_to(cr, -r, r);
        cairo_line_to(cr, r, -r);
        break;
    case SH_OARROW:
        cairo_move_to(cr, -r, -r);
        cairo_line_to(cr, r, 0);
        cairo_line_to(cr, -r, r);
        break;
    case SH_CARROW:
        cairo_move_to(cr, -r, -r);
        cairo_line_to(cr, r, 0);
        cairo_line_to(cr, -r, r);
        cairo_close_path(cr);
        break;
    }
}

static void
draw_shape(cairo_t *cr, const sinspace_symbolizer *s, double size, double k)
{
    shape_path(cr, s->graphic->shape, size / 2);
    int closed = s->graphic->shape == SH_DOT || s->graphic->shape == SH_CARROW;
    if (closed && s->has_fill) {
        set_rgba(cr, s->fill);
        cairo_fill_preserve(cr);
    }
    /* Lines take the stroke; a shape without one is drawn in its fill. */
    if (s->stroke.enabled) {
        set_rgba(cr, s->stroke.color);
        cairo_set_line_width(cr, (s->stroke.width > 0 ? s->stroke.width : 1) * k);
    } else {
        set_rgba(cr, s->fill);
        cairo_set_line_width(cr, k);
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_stroke(cr);
}

static void
draw_glyph(cairo_t *cr, const sinspace_symbolizer *s, double size, double k)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(s->graphic->font);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, s->graphic->glyph, -1);
    PangoRectangle ink;
    pango_layout_get_pixel_extents(layout, &ink, NULL);
    cairo_move_to(cr, -ink.x - ink.width / 2.0, -ink.y - ink.height / 2.0);
    pango_cairo_layout_path(cr, layout);
    set_rgba(cr, s->has_fill ? s->fill : (sinspace_rgba){0.5, 0.5, 0.5, 1});
    if (s->stroke.enabled) {
        cairo_fill_preserve(cr);
        set_rgba(cr, s->stroke.color);
        cairo_set_line_width(cr, (s->stroke.width > 0 ? s->stroke.width : 1) * k);
        cairo_stroke(cr);
    } else {
        cairo_fill(cr);
    }
    g_object_unref(layout);
}

#ifdef SINSPACE_HAVE_RSVG
static void
render_svg(cairo_t *cr, RsvgHandle *h, double x, double y, double w, double hh)
{
    RsvgRectangle vp = {x, y, w, hh};
    rsvg_handle_render_document(h, cr, &vp, NULL);
}
#endif

void
sinspace__graphic_draw(cairo_t *cr, const sinspace_symbolizer *s, double x,
                       double y, double k)
{
    sinspace_style_graphic *g = s->graphic;
    if (!g)
        return;
    double size = (s->size > 0 ? s->size : g->h) * k;
    if (!(size > 0) || size > 1e5)
        return;
    cairo_save(cr);
    cairo_translate(cr, x + s->displacement_x * k, y - s->displacement_y * k);
    if (s->rotation != 0)
        cairo_rotate(cr, s->rotation * M_PI / 180);
    cairo_new_path(cr);
    double h = size, w = size * sinspace__graphic_aspect(g);
    double alpha = s->graphic_opacity;
    if (!(alpha >= 0 && alpha <= 1))
        alpha = 1;
    switch (g->kind) {
    case G_SHAPE:
        draw_shape(cr, s, size, k);
        break;
    case G_TTF:
        draw_glyph(cr, s, size, k);
        break;
    case G_PNG:
        cairo_scale(cr, w / g->w, h / g->h);
        cairo_set_source_surface(cr, g->image, -g->w / 2, -g->h / 2);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint_with_alpha(cr, alpha);
        break;
    case G_SVG:
#ifdef SINSPACE_HAVE_RSVG
        if (cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE) {
            /* Raster: rasterised once at this size, then stamped. */
            int rw = (int)ceil(w), rh = (int)ceil(h);
            if (!g->raster || g->raster_w != rw || g->raster_h != rh) {
                if (g->raster)
                    cairo_surface_destroy(g->raster);
                g->raster = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, rw, rh);
                g->raster_w = rw;
                g->raster_h = rh;
                cairo_t *rc = cairo_create(g->raster);
                render_svg(rc, g->svg, 0, 0, rw, rh);
                cairo_destroy(rc);
            }
            cairo_set_source_surface(cr, g->raster, -rw / 2.0, -rh / 2.0);
            cairo_paint_with_alpha(cr, alpha);
        } else {
            if (alpha < 1)
                cairo_push_group(cr);
            render_svg(cr, g->svg, -w / 2, -h / 2, w, h);
            if (alpha < 1) {
                cairo_pop_group_to_source(cr);
                cairo_paint_with_alpha(cr, alpha);
            }
        }
#else
        cairo_arc(cr, 0, 0, size / 2, 0, 2 * M_PI);
        cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, alpha);
        cairo_fill(cr);
#endif
        break;
    }
    cairo_new_path(cr);
    cairo_restore(cr);
}
