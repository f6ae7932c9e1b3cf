/* marginalia.c: what a printed page draws around its map frame: the
 * frame's border and degree ticks, the title band, the side panel (north
 * arrow, scale bar, legend with counts or the atlas overview's choropleth
 * key, inset locator) and the foot band (attribution, generation time,
 * marking). */
#include "render/render_int.h"
#include "store/features.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Draws text with its top-left at x, y (align 0 left, 1 centre, 2 right of
 * x); returns its height. */
double
sinspace__text_at(cairo_t *cr, PangoLayout *layout, const char *text, double x, double y,
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
/* ------------------------------------------------------------------ */
/* Marginalia */

/* Degree ticks on the four frame edges, labelled bottom and left. */
static void
draw_ticks(cairo_t *cr, render_map *m, PangoLayout *layout)
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
                    sinspace__lay_text(m, cr, layout, "tick", label, px,
                                       py + len * 1.3, 6 * m->px_pt, 0, 1, INK, 0);
                } else {
                    /* Turned a quarter: its box is the text's, turned. */
                    sinspace__label_font(layout, 6 * m->px_pt, 0, 0);
                    pango_layout_set_text(layout, label, -1);
                    PangoRectangle r;
                    pango_layout_get_pixel_extents(layout, NULL, &r);
                    double ox = px - len * 1.3 - 8 * m->px_pt;
                    double bx0 = ox + r.y, bx1 = ox + r.y + r.height,
                           by0 = py - r.width / 2.0, by1 = py + r.width / 2.0;
                    if (!sinspace__labels_free(m->page, bx0, by0, bx1, by1,
                                               RENDER_BOX_HARD)) {
                        sinspace__labels_refused(m->page, "tick", label);
                        continue;
                    }
                    sinspace__labels_take(m->page, "tick", label, bx0, by0,
                                          bx1, by1, RENDER_BOX_TEXT, NULL);
                    cairo_save(cr);
                    cairo_translate(cr, ox, py);
                    cairo_rotate(cr, -M_PI / 2);
                    sinspace__text_at(cr, layout, label, 0, 0, 6 * m->px_pt, 0, 1, INK, 0);
                    cairo_restore(cr);
                }
            }
        }
    }
    cairo_restore(cr);
}

static double
draw_north_and_scale(cairo_t *cr, render_map *m, PangoLayout *layout, double y)
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
    double ax = x0 + 8 * m->px_mm, ay = y + 11 * m->px_mm, r = 6 * m->px_mm;
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
    cairo_restore(cr);
    sinspace__lay_graphic(m, "north_arrow", ax - r, ay - r, ax + r, ay + r);
    /* The N above the arrow's box, clear of it. */
    sinspace__label_font(layout, 9 * m->px_pt, 1, 0);
    pango_layout_set_text(layout, "N", -1);
    PangoRectangle nr;
    pango_layout_get_pixel_extents(layout, NULL, &nr);
    sinspace__lay_text(m, cr, layout, "north", "N", ax,
                       ay - r - 0.4 * m->px_mm - nr.height - nr.y,
                       9 * m->px_pt, 1, 1, INK, 0);

    /* Scale bar true at the centre: ground metres per pixel measured on the
     * ellipsoid between the centre and a point 100 px east of it. */
    double ex = cx + 100 * m->gt[1], ey = cy, elx = ex, ely = ey;
    OCTTransform(m->to_wgs, 1, &elx, &ely, NULL);
    double metres = NAN;
    if (sinspace__store_engine(m->store)->features->distance_m(
            m->store, lx, ly, elx, ely, &metres))
        metres = NAN;
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
    sinspace__lay_graphic(m, "scale_bar", bx, by, bx + len_px, by + bh);
    int km = len_m >= 1000;
    char buf[64];
    sinspace__lay_text(m, cr, layout, "scale", "0", bx, by + bh + 0.8 * m->px_mm,
                       7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "%g", km ? len_m / 2000 : len_m / 2);
    sinspace__lay_text(m, cr, layout, "scale", buf, bx + len_px / 2,
                       by + bh + 0.8 * m->px_mm, 7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "%g %s", km ? len_m / 1000 : len_m, km ? "km" : "m");
    /* The last figure ends inside the panel. */
    sinspace__label_font(layout, 7 * m->px_pt, 0, 0);
    pango_layout_set_text(layout, buf, -1);
    PangoRectangle lr;
    pango_layout_get_pixel_extents(layout, NULL, &lr);
    double lab_x = fmin(bx + len_px, x1 - lr.width / 2.0);
    sinspace__lay_text(m, cr, layout, "scale", buf, lab_x, by + bh + 0.8 * m->px_mm,
                       7 * m->px_pt, 0, 1, INK, 0);
    char sc[48];
    sinspace__scale_text(m->scale, sc, sizeof sc);
    snprintf(buf, sizeof buf, "Scale %s", sc);
    sinspace__lay_text(m, cr, layout, "scale", buf, bx, by - 4.5 * m->px_mm,
                       7 * m->px_pt, 0, 0, MUTED, 0);
    return y + 20 * m->px_mm;
}

/* ------------------------------------------------------------------ */
/* The legend: rows that flow down the panel, into columns when needed */

enum { ROW_TITLE, ROW_HEADING, ROW_MARK, ROW_SWATCH, ROW_CHORO, ROW_NOTE };

typedef struct leg_row {
    int type;
    char text[240];
    long long count;
    int has_count;
    const sinspace_symbolizer *sample;
    int choro_class;
} leg_row;

typedef struct leg_rows {
    leg_row r[240];
    int n;
} leg_rows;

static leg_row *
leg_add(leg_rows *L, int type, const char *text)
{
    if (L->n >= (int)(sizeof L->r / sizeof L->r[0]))
        return NULL;
    leg_row *r = &L->r[L->n++];
    memset(r, 0, sizeof *r);
    r->type = type;
    snprintf(r->text, sizeof r->text, "%s", text ? text : "");
    return r;
}

/* Lays the rows out in ncols columns between x0..x1, y0..y1 at fs (the
 * entry size, pixels); draws when draw.  Returns 1 when all fit. */
static int
leg_flow(cairo_t *cr, render_map *m, PangoLayout *layout, const leg_rows *L,
         double x0, double y0, double x1, double y1, int ncols, double fs,
         int draw)
{
    double mm = m->px_mm, gap = 3 * mm;
    double colw = (x1 - x0 - (ncols - 1) * gap) / ncols;
    double k = fs / (7.5 * m->px_pt);
    int col = 0;
    double y = y0;
    render_fit measure = {.measure = 1, .whole_words = 1};
    for (int i = 0; i < L->n; i++) {
        const leg_row *r = &L->r[i];
        double cx = x0 + col * (colw + gap);
        double size = r->type == ROW_TITLE ? fs * 10 / 7.5
                      : r->type == ROW_HEADING ? fs * 8 / 7.5
                      : r->type == ROW_NOTE ? fs * 7 / 7.5 : fs;
        int bold = r->type == ROW_TITLE || r->type == ROW_HEADING;
        double before = r->type == ROW_HEADING ? 1.5 * mm * k
                        : r->type == ROW_NOTE ? 1 * mm * k : 0;
        double tx = cx, tw = colw;
        if (r->type == ROW_MARK || r->type == ROW_SWATCH || r->type == ROW_CHORO) {
            tx = cx + 7 * mm * k;
            tw = colw - 7 * mm * k - (r->has_count ? 7 * mm * k : 0);
        }
        double th = sinspace__lay_text_fit(m, cr, layout, "legend_text", r->text,
                                           tx, 0, size, bold, 0, INK, tw, &measure);
        if (th < 0)
            return 0;
        double row = r->type == ROW_MARK || r->type == ROW_SWATCH ||
                             r->type == ROW_CHORO
                         ? fmax(4.2 * mm * k, th + 0.9 * mm * k)
                         : th + (bold ? 0.8 * mm * k : 0.3 * mm * k);
        if (y + before + row > y1) {
            if (++col >= ncols)
                return 0;
            cx = x0 + col * (colw + gap);
            tx = cx + (tx - (x0 + (col - 1) * (colw + gap)));
            y = y0;
            before = 0;
        }
        y += before;
        if (draw) {
            double rh = 4.2 * mm * k;
            if (r->type == ROW_MARK && r->sample) {
                sinspace__symbolizer_draw(cr, r->sample, cx + 3 * mm * k, y + rh / 2,
                                          m->px_sld);
                sinspace__lay_graphic(m, "legend_symbol", cx, y + 0.3 * mm,
                                      cx + 6 * mm * k, y + rh - 0.3 * mm);
            } else if (r->type == ROW_SWATCH && r->sample) {
                cairo_new_path(cr);
                cairo_rectangle(cr, cx + 0.8 * mm, y + 0.7 * mm, 4.4 * mm * k,
                                rh - 1.4 * mm);
                sinspace__polygon_paint(cr, r->sample, m->px_sld);
                cairo_new_path(cr);
                sinspace__lay_graphic(m, "legend_symbol", cx + 0.8 * mm, y + 0.7 * mm,
                                      cx + 0.8 * mm + 4.4 * mm * k, y + rh - 0.7 * mm);
            } else if (r->type == ROW_CHORO) {
                cairo_rectangle(cr, cx, y, 6 * mm * k, 3.5 * mm * k);
                set_rgba(cr, choro_fill[r->choro_class]);
                cairo_fill_preserve(cr);
                set_rgba(cr, MUTED);
                cairo_set_line_width(cr, 0.2 * mm);
                cairo_stroke(cr);
                sinspace__lay_graphic(m, "legend_symbol", cx, y, cx + 6 * mm * k,
                                      y + 3.5 * mm * k);
            }
            const char *kind = r->type == ROW_TITLE || r->type == ROW_HEADING
                                   ? "legend_heading" : "legend_text";
            sinspace_rgba c = r->type == ROW_HEADING || r->type == ROW_NOTE ? MUTED : INK;
            double ty = r->type == ROW_MARK || r->type == ROW_SWATCH ? y + 0.4 * mm : y;
            sinspace__lay_text(m, cr, layout, kind, r->text, tx, ty, size, bold, 0, c, tw);
            if (r->has_count) {
                char cnt[32];
                snprintf(cnt, sizeof cnt, "%lld", r->count);
                sinspace__lay_text(m, cr, layout, "legend_count", cnt, cx + colw, ty,
                                   size, 0, 2, INK, 0);
            }
        }
        y += row;
    }
    return 1;
}

/* The workplace legend (and zones section) as rows. */
static void
legend_rows(render_map *m, render_symbology *sym, leg_rows *L)
{
    leg_add(L, ROW_TITLE, "Legend");
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
        if (heading && (!last_heading || strcmp(heading, last_heading))) {
            last_heading = heading;
            leg_add(L, ROW_HEADING, heading);
        }
        leg_row *r = leg_add(L, ROW_MARK, title);
        if (r) {
            r->sample = sample;
            r->count = count;
            r->has_count = 1;
        }
    }
    char total[160];
    snprintf(total, sizeof total, "%zu workplaces on this map; labels by risk "
             "class, high first%s", m->n_wp,
             m->leaders ? " (a line leads to a label set apart)" : "");
    leg_add(L, ROW_NOTE, total);
    if (m->n_callouts > 0) {
        leg_add(L, ROW_HEADING, "High risk, numbered on the map (no room for the name)");
        /* The key runs on as paragraphs ("1 Name ID · 2 Name ID ..."),
         * which wrap at spaces: a page with many callouts keeps its legend
         * rows and its locator. */
        char para[sizeof L->r[0].text];
        size_t len = 0;
        for (int i = 0; i < m->n_callouts; i++) {
            size_t cl = strlen(m->callouts[i]);
            if (len && len + cl + 4 >= sizeof para) {
                leg_add(L, ROW_NOTE, para);
                len = 0;
            }
            len += (size_t)snprintf(para + len, sizeof para - len, "%s%s",
                                    len ? " \xc2\xb7 " : "", m->callouts[i]);
            if (len >= sizeof para)
                len = sizeof para - 1;
        }
        if (len)
            leg_add(L, ROW_NOTE, para);
    }
    if (!(m->zstyle && m->n_zones > 0))
        return;
    leg_add(L, ROW_HEADING, sinspace__zone_style_heading(m->zstyle));
    size_t nz = sinspace__zone_style_legend_count(m->zstyle);
    for (size_t i = 0; i < nz; i++) {
        const char *title;
        const sinspace_symbolizer *sample;
        long long count;
        sinspace__zone_style_legend_at(m->zstyle, i, &title, &sample, &count);
        if (count == 0)
            continue;
        leg_row *r = leg_add(L, ROW_SWATCH, title);
        if (r) {
            r->sample = sample;
            r->count = count;
            r->has_count = 1;
        }
    }
    char note[160];
    snprintf(note, sizeof note,
             "%zu zone%s on this map; Z<id> labels: list a zone's workplaces "
             "with sinspace query --zone <id>", m->n_zones, m->n_zones == 1 ? "" : "s");
    leg_add(L, ROW_NOTE, note);
}

static void
choro_rows(render_map *m, leg_rows *L)
{
    const choro *c = m->choro;
    leg_add(L, ROW_TITLE, "Risk-weighted density");
    char t[240];
    snprintf(t, sizeof t, "sum of workplace risk scores per km\xc2\xb2 (open "
             "workplaces); %d classes by quantile of the %d areas shown "
             "with workplaces, densest darkest", c->n_classes, c->n_valued);
    leg_add(L, ROW_NOTE, t);
    for (int i = 0; i <= c->n_classes; i++) {
        int k = i == c->n_classes ? CHORO_CLASSES : c->fill_of[i];
        if (i == c->n_classes)
            snprintf(t, sizeof t, "no workplaces or no area");
        else
            snprintf(t, sizeof t, "%.2f \xe2\x80\x93 %.2f", c->lo[i], c->hi[i]);
        leg_row *r = leg_add(L, ROW_CHORO, t);
        if (r) {
            r->choro_class = k;
            r->count = c->counts[i == c->n_classes ? CHORO_CLASSES : i];
            r->has_count = 1;
        }
    }
}

typedef struct inset_state {
    render_map *m;
    OGRGeometryH g;            /* lon/lat, or NULL */
    char name[256];
} inset_state;

static int
on_inset_area(void *user, const sinspace__feature_area *row)
{
    inset_state *is = user;
    if (sinspace__geom_from_wkb(is->m->ctx, row->wkb, row->wkb_size, &is->g))
        is->g = NULL;
    const char *n1 = row->name_latin, *n2 = row->name_local;
    snprintf(is->name, sizeof is->name, "%s%s%s", n1 ? n1 : "",
             n1 && n2 ? " " : "", n2 ? n2 : "");
    return 1;
}

/* The province around the map, the map's frame marked on it, in the box
 * x0, y0 (its heading's top), bw x bh (the map box). */
static void
draw_inset(cairo_t *cr, render_map *m, PangoLayout *layout, double x0, double y,
           double bw, double bh)
{
    double lon = (m->ll[0] + m->ll[2]) / 2, lat = (m->ll[1] + m->ll[3]) / 2;
    inset_state is = {.m = m};
    if (sinspace__store_engine(m->store)->features->area_at(
            m->store, lon, lat, SINSPACE_LEVEL_PROVINCE, on_inset_area, &is))
        is.g = NULL;
    OGRGeometryH g = is.g;
    const char *name = is.name;
    double th = sinspace__lay_text(m, cr, layout, "locator_title", "Locator", x0, y,
                                   8 * m->px_pt, 1, 0, MUTED, 0);
    double bx = x0, by = y + th + m->px_mm;
    cairo_save(cr);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_set_source_rgb(cr, 0.96, 0.96, 0.94);
    cairo_fill_preserve(cr);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (!g) {
        sinspace__lay_text(m, cr, layout, "locator_text",
                           "(no province boundary in the database)",
                           bx + 2 * m->px_mm, by + 2 * m->px_mm, 6.5 * m->px_pt, 0, 0,
                           MUTED, bw - 4 * m->px_mm);
        sinspace__lay_graphic(m, "locator", bx, by, bx + bw, by + bh);
        return;
    }
    sinspace__lay_graphic(m, "locator", bx, by, bx + bw, by + bh);
    cairo_save(cr);
    OGR_G_Transform(g, m->to_map);
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    e.MinX = fmin(e.MinX, m->ext[0]); e.MaxX = fmax(e.MaxX, m->ext[2]);
    e.MinY = fmin(e.MinY, m->ext[1]); e.MaxY = fmax(e.MaxY, m->ext[3]);
    double pad = 3 * m->px_mm;
    double k = fmin((bw - 2 * pad) / (e.MaxX - e.MinX), (bh - 2 * pad) / (e.MaxY - e.MinY));
    double ox = bx + bw / 2 - k * (e.MaxX - e.MinX) / 2 - k * (e.MinX - m->ext[0]);
    /* path_geom maps x to ox + (X - ext0) k and y to oy + (ext3 - Y) k. */
    double oy = by + bh / 2 - k * (e.MaxY - e.MinY) / 2 - k * (m->ext[3] - e.MaxY);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_clip(cr);
    cairo_new_path(cr);
    sinspace__path_geom(cr, m, g, ox, oy, k);
    cairo_set_source_rgb(cr, 0.86, 0.86, 0.82);
    cairo_fill_preserve(cr);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    cairo_stroke(cr);
    cairo_rectangle(cr, ox, oy, (m->ext[2] - m->ext[0]) * k, (m->ext[3] - m->ext[1]) * k);
    cairo_set_source_rgb(cr, 0.8, 0.05, 0.05);
    cairo_set_line_width(cr, 0.5 * m->px_mm);
    cairo_stroke(cr);
    cairo_restore(cr);
    OGR_G_DestroyGeometry(g);
    sinspace__lay_text(m, cr, layout, "locator_text", name, bx, by + bh + 0.8 * m->px_mm,
                       7 * m->px_pt, 0, 0, MUTED, bw);
}

void
sinspace__scale_text(double scale, char *buf, size_t size)
{
    /* Two significant figures, with thousands separators: 1:23,000. */
    double p = scale >= 100 ? pow(10, floor(log10(scale)) - 1) : 1;
    long long v = (long long)llround(scale / p) * (long long)llround(p);
    char digits[32], out[48];
    snprintf(digits, sizeof digits, "%lld", v);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, size, "1:%s", out);
}

void
sinspace_scale_text(double scale, char *buf, size_t size)
{
    sinspace__scale_text(scale, buf, size);
}

/* The text's width at size px, in pixels. */
static double
text_width(PangoLayout *layout, const char *text, double size, int bold)
{
    sinspace__label_font(layout, size, bold, 0);
    pango_layout_set_width(layout, -1);
    pango_layout_set_text(layout, text, -1);
    PangoRectangle r;
    pango_layout_get_pixel_extents(layout, NULL, &r);
    return r.width;
}

void
sinspace__draw_marginalia(cairo_t *cr, render_map *m, PangoLayout *layout, render_symbology *sym,
                const char *marking, const char *generated_at)
{
    double mm = m->px_mm;
    int own = !m->page;
    if (own)
        m->page = sinspace__labels_create(m->W, m->H);
    /* Frame. */
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    set_rgba(cr, INK);
    cairo_set_line_width(cr, 0.35 * mm);
    cairo_stroke(cr);
    cairo_restore(cr);
    /* The banners first: they keep their own space. */
    double title_x1 = m->panel[0] - 2 * mm;
    double foot_y1 = m->H - 10 * mm + 2 * mm;
    if (marking && *marking) {
        double bw = text_width(layout, marking, 10 * m->px_pt, 1);
        sinspace__lay_text(m, cr, layout, "banner", marking, m->panel[2], 10 * mm,
                           10 * m->px_pt, 1, 2, MARK_RED, 0);
        title_x1 = fmin(m->panel[2] - bw - 4 * mm, m->panel[2]);
        double bh = sinspace__lay_text(m, cr, layout, "banner", marking, m->W / 2.0,
                                       m->H - 7.5 * mm, 8 * m->px_pt, 1, 1, MARK_RED, 0);
        (void)bh;
        foot_y1 = m->H - 7.5 * mm - 0.5 * mm;
    }
    /* Title band: the title wraps (at spaces) or shrinks to leave the
     * subtitle its line above the frame. */
    double tx = m->frame[0], ty = 10 * mm;
    double band = m->frame[1] - 2.5 * mm - ty;
    double tw = title_x1 - tx;
    render_fit sub_fit = {.measure = 1};
    double sub_h = sinspace__lay_text_fit(m, cr, layout, "subtitle", m->subtitle, tx, 0,
                                          9.5 * m->px_pt, 0, 0, MUTED, tw, &sub_fit);
    if (sub_h < 0 || sub_h > band * 0.45)
        sub_h = band * 0.45;
    render_fit title_fit = {.min_px = 9 * m->px_pt, .max_h = band - sub_h - 0.5 * mm};
    double th = sinspace__lay_text_fit(m, cr, layout, "title", m->title, tx, ty,
                                       17 * m->px_pt, 1, 0, INK, tw, &title_fit);
    if (th < 0)
        th = 0;
    render_fit sfit = {.min_px = 6 * m->px_pt, .max_h = band - th - 0.5 * mm};
    sinspace__lay_text_fit(m, cr, layout, "subtitle", m->subtitle, tx, ty + th + 0.5 * mm,
                           9.5 * m->px_pt, 0, 0, MUTED, tw, &sfit);
    draw_ticks(cr, m, layout);
    /* Panel: north arrow and scale, then the legend, which flows into
     * columns (and shrinks) so the locator always keeps its place. */
    double y = m->panel[1];
    y = draw_north_and_scale(cr, m, layout, y);
    double x0 = m->panel[0], x1 = m->panel[2], pw = x1 - x0;
    leg_rows *L = calloc(1, sizeof *L);
    if (L) {
        if (m->choro)
            choro_rows(m, L);
        else
            legend_rows(m, sym, L);
        static const struct { double loc; int cols; double pt; } tries[] = {
            {0.8, 1, 7.5}, {0.8, 1, 6.5}, {0.55, 1, 6.5}, {0.55, 2, 6.5},
            {0.55, 2, 5.5}, {0.4, 2, 5}, {0.4, 3, 5}, {0.3, 3, 4.5}};
        int nt = (int)(sizeof tries / sizeof tries[0]), t;
        double loc_extra = 4 * mm + 1 * mm + 5 * mm; /* heading, gap, name */
        for (t = 0; t < nt; t++) {
            double lh = fmin(pw * tries[t].loc, m->panel[3] - y);
            double ly = m->panel[3] - lh - loc_extra;
            if (leg_flow(cr, m, layout, L, x0, y, x1, ly - 2 * mm, tries[t].cols,
                         tries[t].pt * m->px_pt, 0))
                break;
        }
        if (t == nt)
            t = nt - 1;
        double lh = pw * tries[t].loc;
        double ly = m->panel[3] - lh - loc_extra;
        if (!leg_flow(cr, m, layout, L, x0, y, x1, ly - 2 * mm, tries[t].cols,
                      tries[t].pt * m->px_pt, 1))
            /* Said in the layout report, so no test passes a page whose
             * legend was cut short. */
            sinspace__labels_refused(m->page, "legend_text",
                                     "the legend's last rows (no room in the panel)");
        draw_inset(cr, m, layout, x0, ly, pw, lh);
        free(L);
    }
    /* Foot band: every credit, from the store's own records. */
    char line[4096];
    size_t len = 0;
    if (m->choro)
        len = (size_t)snprintf(line, sizeof line,
                               "Overview: workplace counts from the database; "
                               "no imagery.");
    else if (m->n_attr == 0)
        len = (size_t)snprintf(line, sizeof line,
                               "Imagery: none catalogued for this extent (plain background).");
    else {
        len = (size_t)snprintf(line, sizeof line, "Imagery: ");
        for (int i = 0; i < m->n_attr && len < sizeof line; i++)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
                                    i ? "; " : "", m->attributions[i]);
        len += len < sizeof line ? sinspace__basemap_note(m, line + len, sizeof line - len) : 0;
    }
    if (m->n_bsrc > 0 && len < sizeof line) {
        len += (size_t)snprintf(line + len, sizeof line - len, "%sBoundaries: ",
                                len ? " \xc2\xb7 " : "");
        for (int i = 0; i < m->n_bsrc && len < sizeof line; i++)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
                                    i ? "; " : "", m->boundary_sources[i]);
    } else if (len < sizeof line) {
        len += (size_t)snprintf(line + len, sizeof line - len,
                                " \xc2\xb7 Boundaries: source not recorded");
    }
    double fy = m->foot_y, fw = m->panel[2] - m->frame[0];
    render_fit ffit = {.min_px = 5 * m->px_pt, .max_h = (foot_y1 - fy) * 0.6};
    double fh = sinspace__lay_text_fit(m, cr, layout, "credit", line, m->frame[0], fy,
                                       6.5 * m->px_pt, 0, 0, MUTED, fw, &ffit);
    if (fh < 0)
        fh = 0;
    snprintf(line, sizeof line,
             "Generated %s by sinspace %s \xc2\xb7 CRS %s \xc2\xb7 exact scale "
             "1:%.0f at print size \xc2\xb7 "
             "workplace names are fictional or confidential; do not copy",
             generated_at, sinspace_version(), m->crs_name, m->scale);
    render_fit gfit = {.min_px = 4.5 * m->px_pt, .max_h = foot_y1 - fy - fh - 0.3 * mm};
    sinspace__lay_text_fit(m, cr, layout, "credit", line, m->frame[0], fy + fh + 0.3 * mm,
                           6.5 * m->px_pt, 0, 0, MUTED, fw, &gfit);
    if (own) {
        sinspace__labels_destroy(m->page);
        m->page = NULL;
    }
}
