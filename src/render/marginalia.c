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
                    sinspace__text_at(cr, layout, label, px, py + len * 1.3, 6 * m->px_pt,
                            0, 1, INK, 0);
                } else {
                    cairo_save(cr);
                    cairo_translate(cr, px - len * 1.3 - 8 * m->px_pt, py);
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
    sinspace__text_at(cr, layout, "N", 0, -r - 5 * m->px_pt, 9 * m->px_pt, 1, 1, INK, 0);
    cairo_restore(cr);

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
    int km = len_m >= 1000;
    char buf[64];
    sinspace__text_at(cr, layout, "0", bx, by + bh + 0.8 * m->px_mm, 7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "%g", km ? len_m / 2000 : len_m / 2);
    sinspace__text_at(cr, layout, buf, bx + len_px / 2, by + bh + 0.8 * m->px_mm,
            7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "%g %s", km ? len_m / 1000 : len_m, km ? "km" : "m");
    sinspace__text_at(cr, layout, buf, bx + len_px, by + bh + 0.8 * m->px_mm,
            7 * m->px_pt, 0, 1, INK, 0);
    snprintf(buf, sizeof buf, "Scale 1:%.0f at print size", m->scale);
    sinspace__text_at(cr, layout, buf, bx, by - 4.5 * m->px_mm, 7 * m->px_pt, 0, 0, MUTED, 0);
    return y + 20 * m->px_mm;
}

/* A legend row's title and count beside its sample; returns the row's
 * height (row at least). */
static double
legend_text(cairo_t *cr, render_map *m, PangoLayout *layout, const char *title,
            long long count, double x, double y, double row)
{
    double th = sinspace__text_at(cr, layout, title, x + 7 * m->px_mm, y + 0.4 * m->px_mm,
                                  7.5 * m->px_pt, 0, 0, INK,
                                  m->panel[2] - x - 19 * m->px_mm);
    char c[32];
    snprintf(c, sizeof c, "%lld", count);
    sinspace__text_at(cr, layout, c, m->panel[2], y + 0.4 * m->px_mm, 7.5 * m->px_pt,
                      0, 2, INK, 0);
    return fmax(row, th + 0.9 * m->px_mm);
}

/* The zones section: a swatch per rule that drew a zone, and how to list
 * a zone's workplaces. */
static double
draw_zone_legend(cairo_t *cr, render_map *m, PangoLayout *layout, double y)
{
    double x = m->panel[0];
    y += 2.5 * m->px_mm;
    y += sinspace__text_at(cr, layout, sinspace__zone_style_heading(m->zstyle), x, y,
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
        y += legend_text(cr, m, layout, title, count, x, y, row);
    }
    char note[128];
    snprintf(note, sizeof note,
             "%zu zone%s on this map; Z<id> labels: list a zone's workplaces "
             "with sinspace query --zone <id>", m->n_zones, m->n_zones == 1 ? "" : "s");
    y += 1 * m->px_mm;
    y += sinspace__text_at(cr, layout, note, x, y, 7 * m->px_pt, 0, 0, MUTED,
                 m->panel[2] - x);
    return y;
}

static double
draw_legend(cairo_t *cr, render_map *m, PangoLayout *layout, render_symbology *sym,
            double y)
{
    double x = m->panel[0];
    y += sinspace__text_at(cr, layout, "Legend", x, y, 10 * m->px_pt, 1, 0, INK, 0);
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
            y += sinspace__text_at(cr, layout, heading, x, y, 8 * m->px_pt, 1, 0, MUTED, 0);
            y += 0.8 * m->px_mm;
        }
        double row = 4.2 * m->px_mm;
        sinspace__symbolizer_draw(cr, sample, x + 3 * m->px_mm, y + row / 2,
                                  m->px_sld);
        y += legend_text(cr, m, layout, title, count, x, y, row);
    }
    char total[64];
    snprintf(total, sizeof total, "%zu workplaces on this map", m->n_wp);
    y += 1 * m->px_mm;
    y += sinspace__text_at(cr, layout, total, x, y, 7 * m->px_pt, 0, 0, MUTED, 0);
    if (m->zstyle && m->n_zones > 0)
        y = draw_zone_legend(cr, m, layout, y);
    return y + 3 * m->px_mm;
}

static double
draw_choro_key(cairo_t *cr, render_map *m, PangoLayout *layout, double y)
{
    const choro *c = m->choro;
    double x = m->panel[0];
    y += sinspace__text_at(cr, layout, "Risk-weighted density", x, y, 10 * m->px_pt, 1, 0,
                 INK, 0);
    y += sinspace__text_at(cr, layout, "sum of workplace risk scores per km\xc2\xb2 "
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
        sinspace__text_at(cr, layout, t, x + 8 * m->px_mm, y, 7.5 * m->px_pt, 0, 0, INK, 0);
        sinspace__text_at(cr, layout, n, m->panel[2], y, 7.5 * m->px_pt, 0, 2, INK, 0);
        y += 4.5 * m->px_mm;
    }
    return y + 3 * m->px_mm;
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

/* The province around the map, the map's frame marked on it. */
static void
draw_inset(cairo_t *cr, render_map *m, PangoLayout *layout, double y)
{
    double x0 = m->panel[0], x1 = m->panel[2];
    double size = fmin(x1 - x0, m->panel[3] - y - 6 * m->px_mm);
    if (size < 20 * m->px_mm)
        return;
    double lon = (m->ll[0] + m->ll[2]) / 2, lat = (m->ll[1] + m->ll[3]) / 2;
    inset_state is = {.m = m};
    if (sinspace__store_engine(m->store)->features->area_at(
            m->store, lon, lat, SINSPACE_LEVEL_PROVINCE, on_inset_area, &is))
        return; /* as with no inset room: the panel ends at the legend */
    OGRGeometryH g = is.g;
    const char *name = is.name;
    double ty = y + sinspace__text_at(cr, layout, "Locator", x0, y, 8 * m->px_pt, 1, 0, MUTED, 0);
    cairo_save(cr);
    cairo_rectangle(cr, x0, ty + m->px_mm, size, size - 8 * m->px_mm);
    cairo_set_source_rgb(cr, 0.96, 0.96, 0.94);
    cairo_fill_preserve(cr);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * m->px_mm);
    cairo_stroke(cr);
    double bx = x0, by = ty + m->px_mm, bw = size, bh = size - 8 * m->px_mm;
    if (!g) {
        sinspace__text_at(cr, layout, "(no province boundary in the database)",
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
    sinspace__path_geom(cr, m, g, ox, oy, k);
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
    sinspace__text_at(cr, layout, name, bx, by + bh + 0.8 * m->px_mm, 7 * m->px_pt, 0, 0, MUTED, bw);
}

void
sinspace__draw_marginalia(cairo_t *cr, render_map *m, PangoLayout *layout, render_symbology *sym,
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
    ty += sinspace__text_at(cr, layout, m->title, tx, ty, 17 * m->px_pt, 1, 0, INK,
                  m->panel[0] - tx);
    sinspace__text_at(cr, layout, m->subtitle, tx, ty + 0.5 * mm, 9.5 * m->px_pt, 0, 0, MUTED,
            m->panel[0] - tx);
    if (marking && *marking) {
        sinspace__text_at(cr, layout, marking, m->panel[2], 10 * mm, 10 * m->px_pt, 1, 2,
                MARK_RED, 0);
        sinspace__text_at(cr, layout, marking, m->W / 2.0, m->H - 7.5 * mm, 8 * m->px_pt, 1, 1,
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
        len += len < sizeof line ? sinspace__basemap_note(m, line + len, sizeof line - len) : 0;
    }
    double fy = m->foot_y;
    fy += sinspace__text_at(cr, layout, line, m->frame[0], fy, 6.5 * m->px_pt, 0, 0, MUTED,
                  m->panel[2] - m->frame[0]);
    snprintf(line, sizeof line,
             "Generated %s by sinspace %s \xc2\xb7 CRS %s \xc2\xb7 "
             "workplace names are fictional or confidential; do not copy",
             generated_at, sinspace_version(), m->crs_name);
    sinspace__text_at(cr, layout, line, m->frame[0], fy + 0.3 * mm, 6.5 * m->px_pt, 0, 0,
            MUTED, m->panel[2] - m->frame[0]);
}

/* ------------------------------------------------------------------ */
/* One map page */
