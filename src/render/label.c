/* render_label.c: labels that do not collide.
 *
 * Greedy placement: labels come in priority order (the caller sorts), each
 * tries eight positions around its point and takes the first whose box
 * touches no box already taken.  Taken boxes live in a uniform grid of
 * buckets, so a test costs a few buckets whatever the number of labels.
 * Text goes through Pango, which shapes Thai, Lao, Khmer, Burmese,
 * Vietnamese and Chinese and falls back across the Noto families. */
#include "render/render_int.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define CELL 64.0

typedef struct box {
    float x0, y0, x1, y1;
} box;

typedef struct bucket {
    box *boxes;
    int n, cap;
} bucket;

struct render_labels {
    int cols, rows;
    bucket *cells;
};

render_labels *
sinspace__labels_create(double width, double height)
{
    render_labels *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cols = (int)ceil(width / CELL) + 1;
    l->rows = (int)ceil(height / CELL) + 1;
    l->cells = calloc((size_t)l->cols * l->rows, sizeof *l->cells);
    if (!l->cells) {
        free(l);
        return NULL;
    }
    return l;
}

void
sinspace__labels_destroy(render_labels *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->cols * l->rows; i++)
        free(l->cells[i].boxes);
    free(l->cells);
    free(l);
}

static void
cell_range(const render_labels *l, double x0, double y0, double x1, double y1,
           int r[4])
{
    r[0] = (int)floor(x0 / CELL);
    r[1] = (int)floor(y0 / CELL);
    r[2] = (int)floor(x1 / CELL);
    r[3] = (int)floor(y1 / CELL);
    if (r[0] < 0) r[0] = 0;
    if (r[1] < 0) r[1] = 0;
    if (r[2] >= l->cols) r[2] = l->cols - 1;
    if (r[3] >= l->rows) r[3] = l->rows - 1;
}

static int
box_free(const render_labels *l, double x0, double y0, double x1, double y1)
{
    int r[4];
    cell_range(l, x0, y0, x1, y1, r);
    for (int cy = r[1]; cy <= r[3]; cy++)
        for (int cx = r[0]; cx <= r[2]; cx++) {
            const bucket *b = &l->cells[cy * l->cols + cx];
            for (int i = 0; i < b->n; i++)
                if (b->boxes[i].x0 < x1 && b->boxes[i].x1 > x0 &&
                    b->boxes[i].y0 < y1 && b->boxes[i].y1 > y0)
                    return 0;
        }
    return 1;
}

void
sinspace__labels_block(render_labels *l, double x0, double y0, double x1,
                       double y1)
{
    if (!l)
        return;
    int r[4];
    cell_range(l, x0, y0, x1, y1, r);
    box bx = {(float)x0, (float)y0, (float)x1, (float)y1};
    for (int cy = r[1]; cy <= r[3]; cy++)
        for (int cx = r[0]; cx <= r[2]; cx++) {
            bucket *b = &l->cells[cy * l->cols + cx];
            if (b->n == b->cap) {
                int cap = b->cap ? 2 * b->cap : 8;
                box *nb = realloc(b->boxes, (size_t)cap * sizeof *nb);
                if (!nb)
                    return; /* the box is then simply not protected */
                b->boxes = nb;
                b->cap = cap;
            }
            b->boxes[b->n++] = bx;
        }
}

void
sinspace__label_font_family(PangoLayout *layout, const char *family,
                            double size_px, int bold, int italic)
{
    PangoFontDescription *fd = pango_font_description_from_string(
        SINSPACE_RENDER_FONTS);
    if (family && *family) {
        /* The style's family first; the Noto list still covers the
         * scripts it lacks. */
        char list[512];
        snprintf(list, sizeof list, "%s, %s", family, SINSPACE_RENDER_FONTS);
        pango_font_description_set_family(fd, list);
    }
    pango_font_description_set_absolute_size(fd, size_px * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD
                                               : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_style(fd, italic ? PANGO_STYLE_ITALIC
                                                : PANGO_STYLE_NORMAL);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
}

void
sinspace__label_font(PangoLayout *layout, double size_px, int bold, int italic)
{
    sinspace__label_font_family(layout, NULL, size_px, bold, italic);
}

void
sinspace__label_draw(cairo_t *cr, PangoLayout *layout, double x, double y,
                     const render_label_style *s)
{
    cairo_save(cr);
    cairo_move_to(cr, x, y);
    if (s->halo_px > 0) {
        pango_cairo_layout_path(cr, layout);
        cairo_set_source_rgba(cr, s->halo.r, s->halo.g, s->halo.b, s->halo.a);
        cairo_set_line_width(cr, 2 * s->halo_px);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
        cairo_move_to(cr, x, y);
    }
    cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, s->color.a);
    pango_cairo_show_layout(cr, layout);
    cairo_restore(cr);
}

int
sinspace__label_place(render_labels *l, cairo_t *cr, PangoLayout *layout,
                      const char *text, double x, double y, double offset,
                      const render_label_style *s)
{
    if (!text || !*text)
        return 0;
    pango_layout_set_text(layout, text, -1);
    PangoRectangle ink, logical;
    pango_layout_get_pixel_extents(layout, &ink, &logical);
    double w = logical.width, h = logical.height, pad = s->halo_px + 1;
    /* Candidate top-left corners: right, left, above, below, then the
     * diagonals, the padded box clear of a circle of radius offset.  A
     * centred label (offset 0, an area name) tries the centre first, then
     * the same ring one text height away. */
    int centred = offset <= 0;
    const double d = (centred ? h / 2 : offset) + pad, dd = d * 0.7;
    double cand[9][2] = {
        {x - w / 2, y - h / 2},
        {x + d, y - h / 2}, {x - d - w, y - h / 2},
        {x - w / 2, y - d - h}, {x - w / 2, y + d},
        {x + dd, y - dd - h}, {x - dd - w, y - dd - h},
        {x + dd, y + dd}, {x - dd - w, y + dd}};
    int first = centred ? 0 : 1, n = 9;
    if (s->has_anchor) {
        cand[0][0] = x + s->disp_x - s->anchor_x * w;
        cand[0][1] = y - s->disp_y - (1 - s->anchor_y) * h;
        first = 0;
    }
    for (int i = first; i < n; i++) {
        double x0 = cand[i][0] - pad, y0 = cand[i][1] - pad,
               x1 = cand[i][0] + w + pad, y1 = cand[i][1] + h + pad;
        if (x0 < s->clip[0] || y0 < s->clip[1] || x1 > s->clip[2] ||
            y1 > s->clip[3])
            continue;
        if (!box_free(l, x0, y0, x1, y1))
            continue;
        sinspace__labels_block(l, x0, y0, x1, y1);
        sinspace__label_draw(cr, layout, cand[i][0], cand[i][1], s);
        return 1;
    }
    return 0;
}

int
sinspace__label_unknown_glyphs(const char *text)
{
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 4);
    cairo_t *cr = cairo_create(surface);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    sinspace__label_font(layout, 20, 0, 0);
    pango_layout_set_text(layout, text, -1);
    int unknown = pango_layout_get_unknown_glyphs_count(layout);
    g_object_unref(layout);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return unknown;
}
