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
    int cls;                   /* RENDER_BOX_* */
} box;

typedef struct bucket {
    box *boxes;
    int n, cap;
} bucket;

struct render_labels {
    int cols, rows;
    bucket *cells;
    double W, H;
    render_item *items;        /* what the page placed, in order */
    size_t n_items, cap_items;
    render_item *refused;      /* what found no free place */
    size_t n_refused, cap_refused;
    float (*leaders)[4];       /* leader lines drawn: x0, y0, x1, y1 */
    size_t n_leaders, cap_leaders;
};

render_labels *
sinspace__labels_create(double width, double height)
{
    render_labels *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->W = width;
    l->H = height;
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
    for (size_t i = 0; i < l->n_items; i++) {
        free(l->items[i].text);
        free(l->items[i].lines);
    }
    for (size_t i = 0; i < l->n_refused; i++)
        free(l->refused[i].text);
    free(l->items);
    free(l->refused);
    free(l->leaders);
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

/* Whether the box meets no box of class min_cls or above. */
static int
box_free_cls(const render_labels *l, double x0, double y0, double x1,
             double y1, int min_cls)
{
    int r[4];
    cell_range(l, x0, y0, x1, y1, r);
    for (int cy = r[1]; cy <= r[3]; cy++)
        for (int cx = r[0]; cx <= r[2]; cx++) {
            const bucket *b = &l->cells[cy * l->cols + cx];
            for (int i = 0; i < b->n; i++)
                if (b->boxes[i].cls >= min_cls &&
                    b->boxes[i].x0 < x1 && b->boxes[i].x1 > x0 &&
                    b->boxes[i].y0 < y1 && b->boxes[i].y1 > y0)
                    return 0;
        }
    return 1;
}

int
sinspace__labels_free(const render_labels *l, double x0, double y0, double x1,
                      double y1, int min_cls)
{
    return !l || box_free_cls(l, x0, y0, x1, y1, min_cls);
}

static void
grid_add(render_labels *l, double x0, double y0, double x1, double y1, int cls)
{
    int r[4];
    cell_range(l, x0, y0, x1, y1, r);
    box bx = {(float)x0, (float)y0, (float)x1, (float)y1, cls};
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
sinspace__labels_block(render_labels *l, double x0, double y0, double x1,
                       double y1)
{
    if (l)
        grid_add(l, x0, y0, x1, y1, RENDER_BOX_MARKER);
}

static render_item *
item_push(render_item **arr, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        render_item *na = realloc(*arr, nc * sizeof *na);
        if (!na)
            return NULL;
        *arr = na;
        *cap = nc;
    }
    render_item *it = &(*arr)[(*n)++];
    memset(it, 0, sizeof *it);
    return it;
}

void
sinspace__labels_take(render_labels *l, const char *kind, const char *text,
                      double x0, double y0, double x1, double y1, int cls,
                      const char *lines)
{
    if (!l)
        return;
    grid_add(l, x0, y0, x1, y1, cls);
    render_item *it = item_push(&l->items, &l->n_items, &l->cap_items);
    if (!it)
        return;
    snprintf(it->kind, sizeof it->kind, "%s", kind ? kind : "text");
    it->text = text ? sinspace__strdup(text) : NULL;
    it->lines = lines ? sinspace__strdup(lines) : NULL;
    it->x0 = x0; it->y0 = y0; it->x1 = x1; it->y1 = y1;
    it->cls = cls;
}

void
sinspace__labels_refused(render_labels *l, const char *kind, const char *text)
{
    if (!l)
        return;
    render_item *it = item_push(&l->refused, &l->n_refused, &l->cap_refused);
    if (!it)
        return;
    snprintf(it->kind, sizeof it->kind, "%s", kind ? kind : "text");
    it->text = text ? sinspace__strdup(text) : NULL;
}

const render_item *
sinspace__labels_items(const render_labels *l, size_t *n, int refused)
{
    *n = l ? (refused ? l->n_refused : l->n_items) : 0;
    return l ? (refused ? l->refused : l->items) : NULL;
}

double
sinspace__labels_width(const render_labels *l)
{
    return l ? l->W : 0;
}

double
sinspace__labels_height(const render_labels *l)
{
    return l ? l->H : 0;
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

/* Whether the segment (ax, ay)-(bx, by) meets the box (Liang-Barsky). */
static int
segment_meets_box(double ax, double ay, double bx, double by, double x0,
                  double y0, double x1, double y1)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0) {
            if (t > t1)
                return 0;
            if (t > t0)
                t0 = t;
        } else {
            if (t < t0)
                return 0;
            if (t < t1)
                t1 = t;
        }
    }
    return 1;
}

/* Whether a box meets no leader line already drawn. */
static int
clear_of_leaders(const render_labels *l, double x0, double y0, double x1,
                 double y1)
{
    for (size_t i = 0; i < l->n_leaders; i++) {
        const float *g = l->leaders[i];
        if (segment_meets_box(g[0], g[1], g[2], g[3], x0, y0, x1, y1))
            return 0;
    }
    return 1;
}

/* Whether a leader line from (ax, ay) to (bx, by) crosses no text. */
static int
leader_clear_of_text(const render_labels *l, double ax, double ay, double bx,
                     double by)
{
    int r[4];
    cell_range(l, fmin(ax, bx), fmin(ay, by), fmax(ax, bx), fmax(ay, by), r);
    for (int cy = r[1]; cy <= r[3]; cy++)
        for (int cx = r[0]; cx <= r[2]; cx++) {
            const bucket *b = &l->cells[cy * l->cols + cx];
            for (int i = 0; i < b->n; i++)
                if (b->boxes[i].cls >= RENDER_BOX_TEXT &&
                    segment_meets_box(ax, ay, bx, by, b->boxes[i].x0,
                                      b->boxes[i].y0, b->boxes[i].x1,
                                      b->boxes[i].y1))
                    return 0;
        }
    return 1;
}

/* The leader's end on the box: the box's nearest point to (x, y). */
static void
leader_end(double x, double y, double ox, double oy, double w, double h,
           double pad, double *bx, double *by)
{
    *bx = fmax(ox - pad / 2, fmin(x, ox + w + pad / 2));
    *by = fmax(oy - pad / 2, fmin(y, oy + h + pad / 2));
}

/* Tries the candidate top-left corners of a w x h box (padded by pad)
 * around (x, y) at distance d; returns the index placed or -1. */
static int
try_ring(render_labels *l, const render_label_style *s, double x, double y,
         double w, double h, double pad, double d, int centred, int min_cls,
         int leader, double *ox, double *oy)
{
    const double dd = d * 0.7;
    double cand[9][2] = {
        {x - w / 2, y - h / 2},
        {x + d, y - h / 2}, {x - d - w, y - h / 2},
        {x - w / 2, y - d - h}, {x - w / 2, y + d},
        {x + dd, y - dd - h}, {x - dd - w, y - dd - h},
        {x + dd, y + dd}, {x - dd - w, y + dd}};
    int first = centred ? 0 : 1;
    if (s->has_anchor) {
        cand[0][0] = x + s->disp_x - s->anchor_x * w;
        cand[0][1] = y - s->disp_y - (1 - s->anchor_y) * h;
        first = 0;
    }
    for (int i = first; i < 9; i++) {
        double x0 = cand[i][0] - pad, y0 = cand[i][1] - pad,
               x1 = cand[i][0] + w + pad, y1 = cand[i][1] + h + pad;
        if (x0 < s->clip[0] || y0 < s->clip[1] || x1 > s->clip[2] ||
            y1 > s->clip[3])
            continue;
        if (!box_free_cls(l, x0, y0, x1, y1, min_cls))
            continue;
        /* No text over a leader line, no leader line over a text. */
        if (!clear_of_leaders(l, x0, y0, x1, y1))
            continue;
        if (leader) {
            double bx, by;
            leader_end(x, y, cand[i][0], cand[i][1], w, h, pad, &bx, &by);
            if (!leader_clear_of_text(l, x, y, bx, by))
                continue;
        }
        *ox = cand[i][0];
        *oy = cand[i][1];
        return i;
    }
    return -1;
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
    double d = (centred ? h / 2 : offset) + pad, ox = 0, oy = 0;
    int leader = 0;
    int at = try_ring(l, s, x, y, w, h, pad, d, centred, RENDER_BOX_MARKER, 0,
                      &ox, &oy);
    /* Leader lines: the same ring farther out, a line back to the point. */
    for (int k = 0; at < 0 && k < s->leader_rings; k++) {
        double dk = d + (k + 1) * (h + 2 * pad);
        at = try_ring(l, s, x, y, w, h, pad, dk, 0, RENDER_BOX_MARKER, 1, &ox, &oy);
        leader = at >= 0;
    }
    /* A label the map must carry (an area's name) may cover markers, never
     * another text. */
    if (at < 0 && s->must)
        at = try_ring(l, s, x, y, w, h, pad, d, centred, RENDER_BOX_HARD, 0,
                      &ox, &oy);
    /* ... and farther out over markers, with a leader line. */
    for (int k = 0; at < 0 && s->must && k < s->must_rings; k++) {
        double dk = d + (k + 1) * (h + 2 * pad);
        at = try_ring(l, s, x, y, w, h, pad, dk, 0, RENDER_BOX_HARD, 1, &ox, &oy);
        leader = at >= 0;
    }
    if (at < 0) {
        if (s->report_refused)
            sinspace__labels_refused(l, s->kind, text);
        return 0;
    }
    if (leader) {
        /* From the point to the nearest point of the box. */
        double bx, by;
        leader_end(x, y, ox, oy, w, h, pad, &bx, &by);
        double dx = bx - x, dy = by - y, len = hypot(dx, dy);
        double r0 = offset > 0 ? offset * 0.8 : 0;
        if (len > r0) {
            cairo_save(cr);
            cairo_move_to(cr, x + dx / len * r0, y + dy / len * r0);
            cairo_line_to(cr, bx, by);
            cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, 0.8);
            cairo_set_line_width(cr, fmax(1, s->size_px * 0.08));
            cairo_stroke(cr);
            cairo_restore(cr);
            if (l->n_leaders == l->cap_leaders) {
                size_t nc = l->cap_leaders ? 2 * l->cap_leaders : 32;
                float (*ng)[4] = realloc(l->leaders, nc * sizeof *ng);
                if (ng) {
                    l->leaders = ng;
                    l->cap_leaders = nc;
                }
            }
            if (l->n_leaders < l->cap_leaders) {
                float *g = l->leaders[l->n_leaders++];
                g[0] = (float)(x + dx / len * r0);
                g[1] = (float)(y + dy / len * r0);
                g[2] = (float)bx;
                g[3] = (float)by;
            }
        }
    }
    grid_add(l, ox - pad, oy - pad, ox + w + pad, oy + h + pad, RENDER_BOX_TEXT);
    render_item *it = item_push(&l->items, &l->n_items, &l->cap_items);
    if (it) {
        snprintf(it->kind, sizeof it->kind, "%s", s->kind ? s->kind : "label");
        it->text = sinspace__strdup(text);
        it->x0 = ox + logical.x;
        it->y0 = oy + logical.y;
        it->x1 = it->x0 + w;
        it->y1 = it->y0 + h;
        it->cls = RENDER_BOX_TEXT;
    }
    sinspace__label_draw(cr, layout, ox, oy, s);
    return leader ? 2 : 1;
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
