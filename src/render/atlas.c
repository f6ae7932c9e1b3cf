/* atlas.c: `sinspace atlas` (see sinspace/render.h): a PDF of an overview
 * choropleth of risk-weighted density, then one page per area, each a map
 * page (page.c) with a table of the area's high-risk workplaces, its new
 * and intensifying hot spots of the latest emerging run, and a chart of its
 * risk over the observation years. */
#include "render/render_int.h"
#include "core/outfile.h"
#include "store/areas.h"
#include "store/features.h"

#include <sinspace/hotspots.h>

#include <cairo-pdf.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

/* --sort risk: densest first (no data last), then by code. */
static int
by_density_desc(const void *a, const void *b)
{
    const atlas_area *x = a, *y = b;
    double dx = isnan(x->density) || x->workplaces <= 0 ? -1 : x->density;
    double dy = isnan(y->density) || y->workplaces <= 0 ? -1 : y->density;
    if (dx != dy)
        return dx < dy ? 1 : -1;
    return strcmp(x->code ? x->code : "", y->code ? y->code : "");
}

static int
by_code(const void *a, const void *b)
{
    const atlas_area *x = a, *y = b;
    return strcmp(x->code ? x->code : "", y->code ? y->code : "");
}

typedef struct atlas_load {
    sinspace_context *ctx;
    atlas_area *a;
    size_t n;
    sinspace_status st;
} atlas_load;

static int
on_atlas_area(void *user, const sinspace__feature_atlas_area *row)
{
    atlas_load *al = user;
    atlas_area *na = realloc(al->a, (al->n + 1) * sizeof *na);
    if (!na) {
        al->st = sinspace__error(al->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return 1;
    }
    al->a = na;
    atlas_area *x = &al->a[al->n++];
    memset(x, 0, sizeof *x);
    x->code = row->code ? sinspace__strdup(row->code) : NULL;
    x->name_latin = row->name_latin ? sinspace__strdup(row->name_latin) : NULL;
    x->name_local = row->name_local ? sinspace__strdup(row->name_local) : NULL;
    x->density = row->density;
    x->workplaces = row->workplaces;
    x->high = row->high;
    al->st = sinspace__geom_from_wkb(al->ctx, row->wkb, row->wkb_size, &x->geom);
    return al->st != SINSPACE_OK;
}

/* The atlas's areas; *out the caller's (atlas_areas_free). */
static sinspace_status
atlas_load_areas(sinspace_store *store, int level, const char *parent,
                 atlas_area **out, size_t *n_out)
{
    atlas_load al = {.ctx = sinspace_store_context(store)};
    sinspace_status st = sinspace__store_engine(store)->features->atlas_areas(
        store, level, parent, on_atlas_area, &al);
    if (!st)
        st = al.st;
    if (st) {
        atlas_areas_free(al.a, al.n);
        return st;
    }
    *out = al.a;
    *n_out = al.n;
    return SINSPACE_OK;
}

/* Page 1: the areas coloured by quantile class of risk-weighted density. */
static sinspace_status
atlas_overview(cairo_t *cr, sinspace_store *store, const sinspace_atlas_options *o,
               atlas_area *areas, size_t n, const char *province_title,
               const char *when, render_symbology *sym, render_report *report)
{
    render_map m = sinspace__map_new(store, 0);
    choro c = {0};
    m.choro = &c;
    sinspace__layout_page(&m, o->paper, o->landscape, o->dpi > 0 ? o->dpi : 150, 0);
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
        c.n_valued = (int)nv;
        /* With fewer classes than colours, the colours spread over the
         * whole ramp: the top class is always the darkest. */
        for (int k = 0; k < c.n_classes; k++)
            c.fill_of[k] = c.n_classes == 1
                               ? CHORO_CLASSES - 1
                               : (int)lround((double)k * (CHORO_CLASSES - 1) /
                                             (c.n_classes - 1));
        for (int k = 0; k < c.n_classes; k++) {
            c.lo[k] = vals[(size_t)k * nv / (size_t)c.n_classes];
            c.hi[k] = vals[((size_t)k + 1) * nv / (size_t)c.n_classes - 1];
        }
        st = sinspace__fit_extent(&m, all, NULL, NULL, 0.03);
    }
    if (!st) {
        /* The areas' own records, for the boundaries' credit. */
        render_frame_opts fo = {.layers = RENDER_LAYER_AREAS, .simplify = 0.01};
        m.level = o->level;
        st = sinspace__frame_load(&m, &fo);
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
        m.page = labels;
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
            sinspace__path_frame_geom(cr, &m, g);
            set_rgba(cr, choro_fill[k < CHORO_CLASSES ? c.fill_of[k] : k]);
            cairo_fill_preserve(cr);
            set_rgba(cr, MUTED);
            cairo_set_line_width(cr, 0.25 * m.px_mm);
            cairo_stroke(cr);
            OGR_G_DestroyGeometry(g);
        }
        /* The names over every fill, so no later area covers one. */
        for (size_t i = 0; i < n; i++) {
            OGRGeometryH g = OGR_G_Clone(areas[i].geom);
            OGR_G_Transform(g, m.to_map);
            OGRGeometryH pt = OGR_G_PointOnSurface(g);
            if (pt && !OGR_G_IsEmpty(pt)) {
                render_label_style ls = {0};
                memcpy(ls.clip, (double[]){m.frame[0], m.frame[1], m.frame[0] + m.frame[2],
                                           m.frame[1] + m.frame[3]}, sizeof ls.clip);
                ls.size_px = 7 * m.px_pt;
                ls.color = INK;
                ls.halo = (sinspace_rgba){1, 1, 1, 0.8};
                ls.halo_px = 0.4 * m.px_mm;
                ls.kind = "area_name";
                ls.report_refused = 1;
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
        sinspace__draw_marginalia(cr, &m, layout, sym, o->marking ? o->marking : DEFAULT_MARKING,
                        when);
        cairo_show_page(cr);
        sinspace__report_page(report, labels, m.px_pt, m.title);
    }
    if (layout)
        g_object_unref(layout);
    m.page = NULL;
    sinspace__labels_destroy(labels);
    free(vals);
    OGR_G_DestroyGeometry(all);
    sinspace__map_free(&m);
    return st;
}

typedef struct table_row {
    char *v[4];
} table_row;

typedef struct table_state {
    table_row *rows;
    int n;
    long long total;
} table_state;

static int
on_table_row(void *user, const sinspace__feature_high_risk *row)
{
    table_state *ts = user;
    table_row *nr = realloc(ts->rows, (size_t)(ts->n + 1) * sizeof *nr);
    if (!nr)
        return 1;
    ts->rows = nr;
    char risk[16];
    snprintf(risk, sizeof risk, "%.2f", row->risk);
    const char *v[4] = {row->ext_id, row->name, row->sector_label, risk};
    for (int i = 0; i < 4; i++)
        nr[ts->n].v[i] = sinspace__strdup(v[i] ? v[i] : "");
    ts->n++;
    ts->total = row->total;
    return 0;
}

/* The area's high-risk workplaces, highest first: whole cells, never cut;
 * the ID column as wide as its widest ID, names and sectors wrap. */
static void
atlas_table(cairo_t *cr, render_map *m, PangoLayout *layout, const char *code,
            int max_rows, double x0, double y0, double x1, double y1)
{
    double mm = m->px_mm, fs = 6.8 * m->px_pt;
    double y = y0;
    y += sinspace__lay_text(m, cr, layout, "table_title", "High-risk workplaces", x0, y,
                            9 * m->px_pt, 1, 0, INK, 0);
    y += 1 * mm;
    table_state ts = {0};
    if (sinspace__store_engine(m->store)->features->high_risk_in_area(
            m->store, code, max_rows, on_table_row, &ts) && ts.n == 0) {
        sinspace_context_clear(m->ctx);
        return;
    }
    const char *heads[4] = {"ID", "Name", "Sector", "Risk"};
    /* Column widths: ID and risk as wide as their widest cell (bold risk),
     * name and sector share the rest 60:40. */
    double wid = 0, wrisk = 0;
    for (int pass = 0; pass < 2; pass++) {
        sinspace__label_font(layout, pass ? 7 * m->px_pt : fs, pass, 0);
        for (int i = -1; i < ts.n; i++) {
            for (int c = 0; c < 4; c += 3) {
                const char *t = i < 0 ? heads[c] : ts.rows[i].v[c];
                pango_layout_set_text(layout, t, -1);
                PangoRectangle r;
                pango_layout_get_pixel_extents(layout, NULL, &r);
                if (c == 0)
                    wid = fmax(wid, r.width);
                else
                    wrisk = fmax(wrisk, r.width * 1.08);
            }
        }
    }
    double gap = 1.5 * mm;
    double rest = (x1 - x0) - wid - wrisk - 3 * gap;
    /* No word is cut: the sector column at least as wide as its widest
     * word. */
    double word = 0;
    sinspace__label_font(layout, fs, 0, 0);
    for (int i = 0; i < ts.n; i++) {
        char *copy = sinspace__strdup(ts.rows[i].v[2]), *save = NULL;
        for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w;
             w = strtok_r(NULL, " ", &save)) {
            pango_layout_set_text(layout, w, -1);
            PangoRectangle r;
            pango_layout_get_pixel_extents(layout, NULL, &r);
            word = fmax(word, r.width + 1);
        }
        free(copy);
    }
    double wsec = fmin(fmax(rest * 0.4, word), rest * 0.6);
    double cw[4] = {wid, rest - wsec, wsec, wrisk};
    double cols[4] = {x0, x0 + wid + gap, x0 + wid + gap + cw[1] + gap,
                      x1 - wrisk};
    double hh = 0;
    for (int i = 0; i < 4; i++)
        hh = fmax(hh, sinspace__lay_text(m, cr, layout, "table_head", heads[i], cols[i], y,
                                         7 * m->px_pt, 1, 0, MUTED, cw[i] + 0.5));
    y += hh + 0.6 * mm;
    cairo_move_to(cr, x0, y - 0.3 * mm);
    cairo_line_to(cr, x1, y - 0.3 * mm);
    set_rgba(cr, MUTED);
    cairo_set_line_width(cr, 0.2 * mm);
    cairo_stroke(cr);
    int shown = 0;
    double note_h = 3.5 * mm;
    render_fit measure = {.measure = 1};
    for (int i = 0; i < ts.n; i++) {
        double rh = 0;
        for (int c = 0; c < 4; c++) {
            double h = sinspace__lay_text_fit(m, cr, layout, "table_cell", ts.rows[i].v[c],
                                              cols[c], 0, fs, c == 3, 0, INK,
                                              cw[c] + 0.5, &measure);
            rh = fmax(rh, h);
        }
        if (y + rh > y1 - note_h)
            break;
        for (int c = 0; c < 4; c++)
            sinspace__lay_text(m, cr, layout, "table_cell", ts.rows[i].v[c], cols[c], y,
                               fs, c == 3, 0, c == 3 ? MARK_RED : INK, cw[c] + 0.5);
        y += rh + 0.4 * mm;
        shown++;
    }
    char more[96];
    if (shown == 0 && ts.n == 0)
        snprintf(more, sizeof more, "No high-risk workplace recorded in this area.");
    else if (ts.total > shown)
        snprintf(more, sizeof more, "%d of %lld shown (highest risk first).", shown,
                 ts.total);
    else
        more[0] = '\0';
    if (more[0])
        sinspace__lay_text(m, cr, layout, "table_note", more, x0, y + 0.5 * mm,
                           6.5 * m->px_pt, 0, 0, MUTED, x1 - x0);
    for (int i = 0; i < ts.n; i++)
        for (int c = 0; c < 4; c++)
            free(ts.rows[i].v[c]);
    free(ts.rows);
}

/* ---- the area's emerging hot spots ---------------------------------------- */

typedef struct em_list {
    char **items;               /* "ID Name" */
    size_t n;
    int failed;
} em_list;

static int
on_em_row(void *user, const sinspace_workplace_row *r)
{
    em_list *l = user;
    char **v = realloc(l->items, (l->n + 1) * sizeof *v);
    if (!v) {
        l->failed = 1;
        return 1;
    }
    l->items = v;
    const char *id = r->ext_id ? r->ext_id : "";
    const char *name = r->name ? r->name : "";
    size_t len = strlen(id) + strlen(name) + 2;
    char *t = malloc(len);
    if (!t) {
        l->failed = 1;
        return 1;
    }
    snprintf(t, len, "%s%s%s", id, *name ? " " : "", name);
    l->items[l->n++] = t;
    return 0;
}

static void
em_list_free(em_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* "New hot spots (N): ID Name, ID Name; K more not shown (query --hotspot
 * new)." with the first shown items; "New hot spots: none." when none. */
static char *
em_text(const char *what, const char *word, const em_list *l, size_t shown)
{
    size_t len = strlen(what) + strlen(word) + 96;
    for (size_t i = 0; i < shown && i < l->n; i++)
        len += strlen(l->items[i]) + 2;
    char *t = malloc(len);
    if (!t)
        return NULL;
    if (!l->n) {
        snprintf(t, len, "%s: none.", what);
        return t;
    }
    size_t o = (size_t)snprintf(t, len, "%s (%zu): ", what, l->n);
    for (size_t i = 0; i < shown && i < l->n; i++)
        o += (size_t)snprintf(t + o, len - o, "%s%s", i ? ", " : "", l->items[i]);
    if (shown < l->n)
        snprintf(t + o, len - o, "%s%zu %snot shown (query --hotspot %s).",
                 shown ? "; " : "", l->n - shown, shown ? "more " : "", word);
    else
        snprintf(t + o, len - o, ".");
    return t;
}

/* The area's new and intensifying hot spots in the latest emerging run
 * (by row id), placed through the layout model within x0..x1, y0..y1: as
 * many as fit, then "and K more".  Says plainly when there is no run. */
static void
atlas_emerging(cairo_t *cr, render_map *m, PangoLayout *layout, const char *code,
               double x0, double y0, double x1, double y1)
{
    double mm = m->px_mm, fs = 6.5 * m->px_pt;
    double y = y0;
    sinspace_emerging_run er;
    int found = 0;
    if (sinspace_emerging_latest(m->store, &er, &found)) {
        sinspace_context_clear(m->ctx);
        found = 0;
    }
    char title[160];
    if (found)
        snprintf(title, sizeof title, "Emerging hot spots (run %lld, %.10s, %s steps "
                 "%s-%s)", er.id, er.computed_at, er.step, er.first_step, er.last_step);
    else
        snprintf(title, sizeof title, "Emerging hot spots");
    y += sinspace__lay_text(m, cr, layout, "emerging_title", title, x0, y,
                            8 * m->px_pt, 1, 0, INK, x1 - x0);
    y += 0.6 * mm;
    if (!found) {
        sinspace__lay_text(m, cr, layout, "emerging_note",
                           "No emerging hot-spot run in this database (sinspace "
                           "hotspots DB --emerging).", x0, y, fs, 0, 0, MUTED, x1 - x0);
        return;
    }
    em_list lists[2] = {{0}, {0}};
    sinspace_region *region = NULL;
    if (sinspace_region_from_area(m->store, code, &region)) {
        sinspace_context_clear(m->ctx);
        return;
    }
    static const sinspace_emerging_category cats[2] = {SINSPACE_EMERGING_NEW_HOT,
                                                      SINSPACE_EMERGING_INTENSIFYING_HOT};
    for (int k = 0; k < 2; k++) {
        sinspace_filter f;
        sinspace_filter_init(&f);
        f.hotspots = 1u << cats[k];
        if (sinspace_query_workplaces(m->store, region, &f, on_em_row, &lists[k], NULL))
            sinspace_context_clear(m->ctx);
    }
    sinspace_region_destroy(region);
    static const char *const what[2] = {"New hot spots", "Intensifying hot spots"};
    static const char *const word[2] = {"new", "intensifying"};
    render_fit measure = {.measure = 1};
    for (int k = 0; k < 2; k++) {
        /* The most items whose text fits in what is left (the second list
         * keeps at least a line for itself). */
        double room = y1 - y - (k == 0 ? 4 * mm : 0);
        size_t shown = lists[k].n;
        char *t = NULL;
        for (;;) {
            free(t);
            t = em_text(what[k], word[k], &lists[k], shown);
            if (!t)
                break;
            double h = sinspace__lay_text_fit(m, cr, layout, "emerging_list", t, x0, 0, fs,
                                              0, 0, INK, x1 - x0, &measure);
            if ((h >= 0 && h <= room) || shown == 0)
                break;
            shown--;
        }
        if (t)
            y += sinspace__lay_text(m, cr, layout, "emerging_list", t, x0, y, fs, 0, 0,
                                    INK, x1 - x0) + 0.5 * mm;
        free(t);
        em_list_free(&lists[k]);
    }
}

static double
text_width_px(PangoLayout *layout, const char *text, double size)
{
    sinspace__label_font(layout, size, 0, 0);
    pango_layout_set_width(layout, -1);
    pango_layout_set_text(layout, text, -1);
    PangoRectangle r;
    pango_layout_get_pixel_extents(layout, NULL, &r);
    return r.width;
}

enum { MAXY = 40 };

typedef struct chart_state {
    char years[MAXY][8];
    double mean[MAXY];
    long long count[MAXY], high[MAXY];
    int n;
} chart_state;

static int
on_chart_year(void *user, const sinspace__feature_year *row)
{
    chart_state *cs = user;
    if (cs->n >= MAXY)
        return 1;
    snprintf(cs->years[cs->n], sizeof cs->years[cs->n], "%s", row->year);
    cs->mean[cs->n] = row->mean_risk;
    cs->count[cs->n] = row->observations;
    cs->high[cs->n] = row->high;
    cs->n++;
    return 0;
}

/* Mean observed risk per year of the area's workplaces, over the class
 * bands, with the number of observations under each year. */
static void
atlas_chart(cairo_t *cr, render_map *m, PangoLayout *layout, const char *code,
            double x0, double y0, double x1, double y1)
{
    double mm = m->px_mm;
    sinspace__lay_text(m, cr, layout, "chart_title", "Risk over the observation years",
                       x0, y0, 9 * m->px_pt, 1, 0, INK, x1 - x0);
    chart_state cs = {0};
    if (sinspace__store_engine(m->store)->features->risk_by_year(
            m->store, code, on_chart_year, &cs) && cs.n == 0)
        return;
    int n = cs.n;
    char (*years)[8] = cs.years;
    double *mean = cs.mean;
    long long *count = cs.count, *high = cs.high;
    double px0 = x0 + 8 * mm, px1 = x1 - 2 * mm, py0 = y0 + 7 * mm, py1 = y1 - 10 * mm;
    if (n == 0 || px1 <= px0 || py1 <= py0) {
        sinspace__lay_text(m, cr, layout, "chart_label", "No observations.", x0,
                           y0 + 7 * mm, 7 * m->px_pt, 0, 0, MUTED, 0);
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
        sinspace__lay_text(m, cr, layout, "chart_label", lab, px0 - 1 * mm,
                           CY(v) - 1.3 * mm, 6 * m->px_pt, 0, 2, MUTED, 0);
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
        /* Each year's labels within its own slot: they shrink rather
         * than run into the next year's. */
        double slot = n > 1 ? step - 0.8 * mm : px1 - px0;
        render_fit fit = {.min_px = 4 * m->px_pt};
        int above = y - 4 * mm > py0 + 0.5 * mm;
        sinspace__label_font(layout, 6 * m->px_pt, 1, 0);
        sinspace__lay_text_fit(m, cr, layout, "chart_label", lab, x,
                               above ? y - 4 * mm : y + 1.2 * mm, 6 * m->px_pt, 1, 1,
                               INK, 0, &fit);
        double yh = sinspace__lay_text_fit(m, cr, layout, "chart_label", years[i], x,
                                           py1 + 0.6 * mm, 6.5 * m->px_pt, 0, 1, INK,
                                           0, &fit);
        if (yh < 0)
            yh = 3 * mm;
        snprintf(lab, sizeof lab, "n=%lld\nhigh %lld", count[i], high[i]);
        double lw = text_width_px(layout, lab, 5.5 * m->px_pt);
        double fsz = lw > slot ? fmax(4 * m->px_pt, 5.5 * m->px_pt * slot / lw) : 5.5 * m->px_pt;
        sinspace__lay_text_fit(m, cr, layout, "chart_label", lab, x,
                               py1 + 0.8 * mm + yh, fsz, 0, 1, MUTED, 0, &fit);
    }
#undef CY
}

sinspace_status
sinspace_atlas_render(sinspace_store *store, const sinspace_atlas_options *opts,
                      sinspace_atlas_result *result)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !opts || !opts->output)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: a store and an output file are required");
    if (sinspace__render_format_of(opts->output, SINSPACE_RENDER_AUTO) != SINSPACE_RENDER_PDF)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: %s: an atlas is a PDF (.pdf)", opts->output);
    int replace = opts->overwrite ? SINSPACE__OUTFILE_REPLACE
                                  : SINSPACE__OUTFILE_NO_REPLACE;
    /* Before any work; the final move checks again, atomically. */
    sinspace_status st = sinspace__outfile_check(ctx, opts->output, replace);
    if (st)
        return st;
    if (opts->level < SINSPACE_LEVEL_PROVINCE || opts->level > SINSPACE_LEVEL_VILLAGE)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: --level must be province, district, "
                               "subdistrict or village");
    double dpi = opts->dpi > 0 ? opts->dpi : 150;
    if (dpi < 36 || dpi > 1200)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "atlas: --dpi %g is outside 36..1200", dpi);
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "atlas: the store must be open for writing (audit)");
    char *parent = NULL;
    char province_title[512] = "all areas";
    if (opts->province) {
        sinspace__area *prov = NULL;
        st = sinspace__area_resolve(store, opts->province, &prov);
        if (!st && prov->level_rank != SINSPACE_LEVEL_PROVINCE)
            st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                 "atlas: '%s' is a %s, not a province", opts->province,
                                 sinspace_area_level_name((sinspace_area_level)prov->level_rank));
        if (!st) {
            parent = sinspace__strdup(prov->code);
            sinspace__area_title(prov, province_title, sizeof province_title);
        }
        sinspace__area_free(prov);
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
    if (opts->sort == 1 && n > 1)
        qsort(areas, n, sizeof *areas, by_density_desc);
    else if (opts->sort == 2 && n > 1)
        qsort(areas, n, sizeof *areas, by_code);
    char when[64];
    sinspace__render_now_text(when, opts->generated_at);
    render_symbology *sym = NULL;
    render_zone_style *zstyle = NULL;
    sinspace__outfile *of = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    long long drawn = 0;
    int pages = 0;
    render_report *report = NULL;
    st = opts->style_path ? sinspace__symbology_load(ctx, opts->style_path, &sym)
                          : sinspace__symbology_default(ctx, &sym);
    if (!st && !opts->no_zones)
        st = sinspace__zone_style_default(ctx, &zstyle);
    if (!st && zstyle) /* the latest zone run (zone_style.c) */
        st = sinspace__zone_style_pick_run(zstyle, store, NULL);
    if (!st)
        st = sinspace__outfile_open(ctx, opts->output, replace, &of);
    if (st)
        goto cleanup;
    {
        double wmm, hmm, k = 72.0 / dpi;
        sinspace__paper_mm(opts->paper, opts->landscape, &wmm, &hmm);
        surface = cairo_pdf_surface_create_for_stream(
            sinspace__render_write_fn, sinspace__outfile_stream(of), lround(wmm / 25.4 * dpi) * k, lround(hmm / 25.4 * dpi) * k);
        char title[600];
        snprintf(title, sizeof title, "Risk atlas: %s", province_title);
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sinspace");
        cr = cairo_create(surface);
        cairo_scale(cr, k, k);
    }
    if (opts->layout_report && !(report = sinspace__report_new())) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto cleanup;
    }
    if ((st = atlas_overview(cr, store, opts, areas, n, province_title, when, sym,
                             report)))
        goto cleanup;
    pages++;
    for (size_t i = 0; i < n && !st; i++) {
        if ((st = sinspace__progress(ctx, "atlas", (double)i, (double)n)))
            break;
        if (opts->skip_empty && areas[i].workplaces <= 0)
            continue;
        render_map m = sinspace__map_new(store, 0);
        sinspace__layout_page(&m, opts->paper, opts->landscape, dpi, 1);
        m.page = sinspace__labels_create(m.W, m.H);
        sinspace__symbology_reset(sym);
        if (zstyle)
            sinspace__zone_style_reset(zstyle);
        m.zstyle = zstyle;
        page_opts po = {.area = areas[i].code, .margin = 0.05,
                        .marking = opts->marking ? opts->marking : DEFAULT_MARKING,
                        .generated_at = when, .no_basemap = opts->no_basemap,
                        .no_zones = opts->no_zones};
        /* draw_map reports its own progress; keep the atlas's. */
        sinspace_progress_fn saved = ctx->progress_fn;
        ctx->progress_fn = NULL;
        st = sinspace__prepare_map(&m, &po);
        if (!st)
            st = sinspace__draw_map(cr, &m, &po, sym);
        ctx->progress_fn = saved;
        if (!st) {
            PangoLayout *layout = pango_cairo_create_layout(cr);
            double *e = m.extra, mid = e[0] + (e[2] - e[0]) * 0.55;
            /* The lower part of the left column: the emerging hot spots. */
            double split = e[3] - fmin(0.3 * (e[3] - e[1]), 32 * m.px_mm);
            atlas_table(cr, &m, layout, areas[i].code,
                        opts->max_table_rows > 0 ? opts->max_table_rows : 15,
                        e[0], e[1], mid - 4 * m.px_mm, split - 1.5 * m.px_mm);
            atlas_emerging(cr, &m, layout, areas[i].code, e[0], split,
                           mid - 4 * m.px_mm, e[3]);
            atlas_chart(cr, &m, layout, areas[i].code, mid, e[1], e[2], e[3]);
            g_object_unref(layout);
            cairo_show_page(cr);
            drawn += (long long)m.n_wp;
            pages++;
            sinspace__report_page(report, m.page, m.px_pt, m.title);
        }
        sinspace__labels_destroy(m.page);
        m.page = NULL;
        sinspace__map_free(&m);
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
    if (of)
        st = sinspace__outfile_finish(of, st);
    if (!st && report)
        st = sinspace__report_write(ctx, report, opts->layout_report, replace);
    sinspace__report_free(report);
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
