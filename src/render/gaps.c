/* gaps.c: the network on a map.  The gaps layer (map --gaps): every high-risk workplace of
 * the frame that no active responder covers, ringed so a coordinator sees
 * uncovered risk at a glance.  The list is sinspace_cover_gaps's (one
 * audit row); nothing about responders is drawn.  And the "who to call"
 * panel of an internal map of an area (map --contacts). */
#include "render/render_int.h"

#include <sinspace/network.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct gap_pts {
    const render_map *m;
    double *x, *y;
    size_t n, cap;
    int oom;
} gap_pts;

static int
on_gap(void *user, const sinspace_gap *g)
{
    gap_pts *p = user;
    const double *ll = p->m->ll;
    if (g->lon < ll[0] || g->lon > ll[2] || g->lat < ll[1] || g->lat > ll[3])
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        double *x = realloc(p->x, cap * sizeof *x);
        if (!x) {
            p->oom = 1;
            return 1;
        }
        p->x = x;
        double *y = realloc(p->y, cap * sizeof *y);
        if (!y) {
            p->oom = 1;
            return 1;
        }
        p->y = y;
        p->cap = cap;
    }
    p->x[p->n] = g->lon;
    p->y[p->n] = g->lat;
    p->n++;
    return 0;
}

sinspace_status
sinspace__draw_gaps(cairo_t *cr, render_map *m)
{
    gap_pts p = {m, NULL, NULL, 0, 0, 0};
    sinspace_gap_query q = {NULL, NULL, 0};
    long long total = 0;
    sinspace_status st = sinspace_cover_gaps(m->store, &q, on_gap, &p, &total);
    if (!st && p.oom)
        st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    int *ok = calloc(p.n ? p.n : 1, sizeof *ok);
    if (!st && !ok)
        st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (st) {
        free(p.x);
        free(p.y);
        free(ok);
        return st;
    }
    if (p.n)
        OCTTransformEx(m->to_map, (int)p.n, p.x, p.y, NULL, ok);
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    double r = 2.4 * m->px_mm;
    long long shown = 0;
    for (size_t i = 0; i < p.n; i++) {
        if (!ok[i])
            continue;
        double x = px_x(m, p.x[i]), y = px_y(m, p.y[i]);
        cairo_new_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
        cairo_set_line_width(cr, 0.9 * m->px_mm);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgb(cr, 0.55, 0.0, 0.55);
        cairo_set_line_width(cr, 0.45 * m->px_mm);
        cairo_stroke(cr);
        shown++;
    }
    /* The key, in the frame's lower-left corner. */
    PangoLayout *layout = pango_cairo_create_layout(cr);
    if (layout) {
        char text[160];
        snprintf(text, sizeof text, "Ringed: %lld high-risk workplace%s no "
                 "responder covers", shown, shown == 1 ? "" : "s");
        double h = 9 * m->px_pt;
        double x0 = m->frame[0] + 2 * m->px_mm, y0 = m->frame[1] + m->frame[3] - h - 3 * m->px_mm;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, x0 - m->px_mm, y0 - m->px_mm, 95 * m->px_mm, h + 2 * m->px_mm);
        cairo_fill(cr);
        sinspace_rgba ink = {0.55, 0.0, 0.55, 1.0};
        sinspace__text_at(cr, layout, text, x0, y0, 7 * m->px_pt, 1, 0, ink, 0);
        g_object_unref(layout);
    }
    cairo_restore(cr);
    free(p.x);
    free(p.y);
    free(ok);
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Who to call
 */

typedef struct call_rows {
    char lines[8][256];
    int n;
    long long more;
} call_rows;

static int
on_caller(void *user, const sinspace_responder *r)
{
    call_rows *c = user;
    if (c->n == 8) {
        c->more++;
        return 0;
    }
    snprintf(c->lines[c->n++], sizeof c->lines[0], "%s \u2014 %s \u2014 %s \u2014 %s",
             r->name, r->role, r->languages ? r->languages : "",
             r->phone ? r->phone : "no phone");
    return 0;
}

sinspace_status
sinspace__draw_call_panel(cairo_t *cr, render_map *m)
{
    if (!m->selected_code)
        return SINSPACE_OK;
    sinspace_cover_query q = {0};
    q.kind = SINSPACE_COVER_AREA;
    q.key = m->selected_code;
    q.contacts = 1;
    q.key_file = m->key_file;
    call_rows c;
    memset(&c, 0, sizeof c);
    long long n = 0;
    sinspace_status st = sinspace_cover(m->store, &q, NULL, on_caller, &c, &n);
    if (st)
        return st;
    PangoLayout *layout = pango_cairo_create_layout(cr);
    if (!layout)
        return sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    cairo_save(cr);
    double size = 6.5 * m->px_pt, line = size * 1.9;
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    double w = m->frame[2] * 0.9;
    double x0 = m->frame[0] + 2 * m->px_mm, y0 = m->frame[1] + 2 * m->px_mm;
    int rows = c.n ? c.n : 1;
    double h = line * (rows + 1 + (c.more > 0)) + 2 * m->px_mm;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 0.25 * m->px_mm);
    cairo_stroke(cr);
    sinspace_rgba ink = {0.1, 0.1, 0.1, 1.0};
    double x = x0 + m->px_mm, y = y0 + m->px_mm;
    sinspace__text_at(cr, layout, "Who to call (internal: contact details)", x, y,
                      size, 1, 0, ink, w - 2 * m->px_mm);
    y += line;
    if (!c.n) {
        sinspace__text_at(cr, layout, "No responder covers this area", x, y, size,
                          0, 0, ink, w - 2 * m->px_mm);
    }
    for (int i = 0; i < c.n; i++, y += line)
        sinspace__text_at(cr, layout, c.lines[i], x, y, size, 0, 0, ink, 0);
    if (c.more) {
        char more[64];
        snprintf(more, sizeof more, "... and %lld more (sinspace cover)", c.more);
        sinspace__text_at(cr, layout, more, x, y, size, 0, 0, ink, w - 2 * m->px_mm);
    }
    cairo_restore(cr);
    g_object_unref(layout);
    for (int i = 0; i < 8; i++)
        memset(c.lines[i], 0, sizeof c.lines[i]);
    return SINSPACE_OK;
}
