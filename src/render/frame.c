/* frame.c: the layers drawn into a map frame, whatever its extent and
 * transform: imagery (basemap.c), areas, high-risk zones (zone_style.c),
 * workplaces (symbology.c) with marker stamps, and the names and labels
 * (label.c) placed over them.  A printed page draws its frame here
 * (page.c), and so does a web tile (serve/tiles.c): a tile is a frame the
 * size of the tile in EPSG:3857.  What a frame shows is read through the
 * engine's features operations (store/features.h) and projected with OGR
 * (PROJ underneath); the one polygon path code is here. */
#include "render/render_int.h"
#include "store/features.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sinspace_status
sinspace__geom_from_wkb(sinspace_context *ctx, const void *wkb, size_t size,
                        OGRGeometryH *out)
{
    OGRGeometryH g = NULL;
    if (!wkb || OGR_G_CreateFromWkb(wkb, NULL, &g, (int)size) != OGRERR_NONE || !g)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "map: an area has an unreadable geometry");
    *out = g;
    return SINSPACE_OK;
}

static char *
dup_or_null(const char *s)
{
    return s ? sinspace__strdup(s) : NULL;
}

/* ------------------------------------------------------------------ */
/* Loading */

typedef struct load_state {
    render_map *m;
    sinspace_status st;
    size_t cap;
} load_state;

/* arr (n elements of size bytes) grown by one zeroed element, or NULL
 * (ls->st set); arr is then unchanged. */
static void *
grow(load_state *ls, void *arr, size_t n, size_t size)
{
    unsigned char *a = realloc(arr, (n + 1) * size);
    if (!a) {
        ls->st = sinspace__error(ls->m->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return NULL;
    }
    memset(a + n * size, 0, size);
    return a;
}

/* A row's geometry in the map CRS; non-zero (ls->st set) when unreadable. */
static int
read_projected(load_state *ls, const unsigned char *wkb, size_t size,
               OGRGeometryH *g)
{
    if ((ls->st = sinspace__geom_from_wkb(ls->m->ctx, wkb, size, g)))
        return 1;
    OGR_G_Transform(*g, ls->m->to_map);
    return 0;
}

static int
on_area(void *user, const sinspace__feature_area *row)
{
    load_state *ls = user;
    render_map *m = ls->m;
    area_geom *n = grow(ls, m->areas, m->n_areas, sizeof *n);
    if (!n)
        return 1;
    m->areas = n;
    area_geom *a = &n[m->n_areas];
    if (read_projected(ls, row->wkb, row->wkb_size, &a->geom))
        return 1;
    a->code = dup_or_null(row->code);
    a->name_latin = dup_or_null(row->name_latin);
    a->name_local = dup_or_null(row->name_local);
    a->level_rank = row->level_rank;
    if (row->source && *row->source) {
        int seen = 0;
        for (int i = 0; i < m->n_bsrc && !seen; i++)
            seen = !strcmp(m->boundary_sources[i], row->source);
        char **nb = seen ? NULL : realloc(m->boundary_sources,
                                          (size_t)(m->n_bsrc + 1) * sizeof *nb);
        if (nb) {
            m->boundary_sources = nb;
            if ((nb[m->n_bsrc] = sinspace__strdup(row->source)))
                m->n_bsrc++;
        }
    }
    a->selected = m->selected_code && a->code &&
                  !strcmp(a->code, m->selected_code);
    m->n_areas++;
    return 0;
}

/* The zones whose geometry meets the frame, by id. */
static int
on_zone(void *user, const sinspace__feature_zone *row)
{
    load_state *ls = user;
    render_map *m = ls->m;
    if (m->zstyle && !sinspace__zone_style_draws_run(m->zstyle, row->run_id))
        return 0; /* maps draw one zone run */
    zone_geom *n = grow(ls, m->zones, m->n_zones, sizeof *n);
    if (!n)
        return 1;
    m->zones = n;
    zone_geom *z = &n[m->n_zones];
    if (read_projected(ls, row->wkb, row->wkb_size, &z->geom))
        return 1;
    z->f.id = row->id;
    z->f.workplaces = row->workplaces;
    z->f.mean_risk = row->mean_risk;
    z->f.max_risk = row->max_risk;
    z->f.peak_density = row->peak_density;
    z->sectors = dup_or_null(row->sectors);
    z->f.sectors = z->sectors;
    m->n_zones++;
    return 0;
}

static int
on_workplace(void *user, const sinspace__feature_workplace *row)
{
    load_state *ls = user;
    render_map *m = ls->m;
    if (m->n_wp == ls->cap) {
        ls->cap = ls->cap ? 2 * ls->cap : 256;
        workplace *n = realloc(m->wp, ls->cap * sizeof *n);
        if (!n) {
            ls->st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        m->wp = n;
    }
    workplace *w = &m->wp[m->n_wp++];
    w->id = row->id;
    w->ext_id = dup_or_null(row->ext_id);
    w->name = dup_or_null(row->name);
    w->name_local = dup_or_null(row->name_local);
    w->sector = dup_or_null(row->sector);
    w->status = dup_or_null(row->status);
    w->risk = row->risk;
    w->risk_class = dup_or_null(row->risk_class);
    w->x = w->lon = row->lon;
    w->y = w->lat = row->lat;
    const char *seen = row->last_seen;
    if (seen && strlen(seen) >= 10 && strncmp(seen, m->data_date, 10) > 0)
        snprintf(m->data_date, sizeof m->data_date, "%.10s", seen);
    return 0;
}

static void
workplace_free_fields(workplace *w)
{
    free(w->ext_id); free(w->name); free(w->name_local);
    free(w->sector); free(w->status); free(w->risk_class);
}

static int
by_risk(const void *a, const void *b)
{
    const workplace *x = a, *y = b;
    double rx = isnan(x->risk) ? 0 : x->risk, ry = isnan(y->risk) ? 0 : y->risk;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Projects the workplaces read, keeps those inside the frame (grown by
 * bleed pixels) at their pixel position, lowest risk first so the highest
 * lands on top. */
static void
place_workplaces(render_map *m, double bleed)
{
    size_t kept = 0;
    enum { BATCH = 4096 };
    double xs[BATCH], ys[BATCH];
    int ok[BATCH];
    double x0 = m->frame[0] - bleed, x1 = m->frame[0] + m->frame[2] + bleed,
           y0 = m->frame[1] - bleed, y1 = m->frame[1] + m->frame[3] + bleed;
    for (size_t i = 0; i < m->n_wp; i += BATCH) {
        size_t n = m->n_wp - i < BATCH ? m->n_wp - i : BATCH;
        for (size_t k = 0; k < n; k++) {
            xs[k] = m->wp[i + k].x;
            ys[k] = m->wp[i + k].y;
        }
        OCTTransformEx(m->to_map, (int)n, xs, ys, NULL, ok);
        for (size_t k = 0; k < n; k++) {
            workplace *w = &m->wp[i + k];
            double px = px_x(m, xs[k]), py = px_y(m, ys[k]);
            if (ok[k] && px >= x0 && px < x1 && py >= y0 && py < y1) {
                w->x = px;
                w->y = py;
                m->wp[kept++] = *w;
            } else {
                workplace_free_fields(w);
            }
        }
    }
    m->n_wp = kept;
    if (m->n_wp > 1) /* qsort(NULL, 0) is undefined */
        qsort(m->wp, m->n_wp, sizeof *m->wp, by_risk);
}

void
sinspace__frame_clear(render_map *m)
{
    for (size_t i = 0; i < m->n_areas; i++) {
        OGR_G_DestroyGeometry(m->areas[i].geom);
        free(m->areas[i].code);
        free(m->areas[i].name_latin);
        free(m->areas[i].name_local);
    }
    free(m->areas);
    m->areas = NULL;
    m->n_areas = 0;
    for (size_t i = 0; i < m->n_wp; i++)
        workplace_free_fields(&m->wp[i]);
    free(m->wp);
    m->wp = NULL;
    m->n_wp = 0;
    for (size_t i = 0; i < m->n_zones; i++) {
        OGR_G_DestroyGeometry(m->zones[i].geom);
        free(m->zones[i].sectors);
    }
    free(m->zones);
    m->zones = NULL;
    m->n_zones = 0;
    for (int i = 0; i < m->n_attr; i++)
        free(m->attributions[i]);
    free(m->attributions);
    m->attributions = NULL;
    m->n_attr = 0;
    for (int i = 0; i < m->n_callouts; i++)
        free(m->callouts[i]);
    m->n_callouts = 0;
    for (int i = 0; i < m->n_bsrc; i++)
        free(m->boundary_sources[i]);
    free(m->boundary_sources);
    m->boundary_sources = NULL;
    m->n_bsrc = 0;
    m->data_date[0] = '\0';
    m->tiles = 0;
    m->labels = 0;
}

sinspace_status
sinspace__frame_load(render_map *m, const render_frame_opts *o)
{
    const sinspace__feature_ops *ops = sinspace__store_engine(m->store)->features;
    load_state ls = {.m = m};
    sinspace_status st = SINSPACE_OK;
    if (o->layers & RENDER_LAYER_AREAS) {
        st = ops->areas_in(m->store, m->ll, m->level, o->simplify, on_area, &ls);
        if (!st)
            st = ls.st;
    }
    if (!st && (o->layers & RENDER_LAYER_WORKPLACES)) {
        st = ops->workplaces_in(m->store, m->ll, on_workplace, &ls);
        if (!st)
            st = ls.st;
        if (!st)
            place_workplaces(m, o->bleed_px);
    }
    if (!st && (o->layers & RENDER_LAYER_ZONES)) {
        st = ops->zones_in(m->store, m->ll, o->simplify, on_zone, &ls);
        if (!st)
            st = ls.st;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* Paths */

static void
path_ring(cairo_t *cr, const render_map *m, OGRGeometryH ring, double ox, double oy,
          double k)
{
    int n = OGR_G_GetPointCount(ring);
    for (int i = 0; i < n; i++) {
        double x = ox + (OGR_G_GetX(ring, i) - m->ext[0]) * k,
               y = oy + (m->ext[3] - OGR_G_GetY(ring, i)) * k;
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    if (n)
        cairo_close_path(cr);
}

/* Adds a (multi)polygon to the path; ox, oy and k map the frame's map
 * extent origin to pixels (k = 1/res for the frame itself). */
void
sinspace__path_geom(cairo_t *cr, const render_map *m, OGRGeometryH g, double ox, double oy,
          double k)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            path_ring(cr, m, OGR_G_GetGeometryRef(g, i), ox, oy, k);
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            sinspace__path_geom(cr, m, OGR_G_GetGeometryRef(g, i), ox, oy, k);
    } else if (t == wkbLineString || t == wkbLinearRing) {
        path_ring(cr, m, g, ox, oy, k);
    }
}

void
sinspace__path_frame_geom(cairo_t *cr, const render_map *m, OGRGeometryH g)
{
    sinspace__path_geom(cr, m, g, m->frame[0], m->frame[1], 1 / m->gt[1]);
}

/* ------------------------------------------------------------------ */
/* The printed map's layers */

static void
draw_areas(cairo_t *cr, render_map *m)
{
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    /* Everything but the selected area under a light veil. */
    if (m->selected) {
        cairo_new_path(cr);
        cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
        sinspace__path_frame_geom(cr, m, m->selected);
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.35);
        cairo_fill(cr);
    }
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < m->n_areas; i++) {
        if (m->areas[i].selected)
            continue;
        cairo_new_path(cr);
        sinspace__path_frame_geom(cr, m, m->areas[i].geom);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
        cairo_set_line_width(cr, 0.6 * m->px_mm);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, 0.3, 0.3, 0.35, 0.9);
        cairo_set_line_width(cr, 0.25 * m->px_mm);
        cairo_set_dash(cr, (double[]){1.5 * m->px_mm, 0.8 * m->px_mm}, 2, 0);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
    }
    if (m->selected) {
        cairo_new_path(cr);
        sinspace__path_frame_geom(cr, m, m->selected);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
        cairo_set_line_width(cr, 1.4 * m->px_mm);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, 0.55, 0.05, 0.3, 1);
        cairo_set_line_width(cr, 0.7 * m->px_mm);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* Zones over the areas and under the workplaces: translucent fills, so the
 * imagery shows through, and dashed outlines, by styles/zones.sld. */
static void
draw_zones(cairo_t *cr, render_map *m)
{
    if (!m->zstyle || m->n_zones == 0)
        return;
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    for (size_t i = 0; i < m->n_zones; i++) {
        const sinspace_symbolizer *syms[8];
        size_t n = sinspace__zone_style_apply(m->zstyle, &m->zones[i].f, m->scale,
                                              syms, 8);
        for (size_t k = 0; k < n; k++) {
            cairo_new_path(cr);
            sinspace__path_frame_geom(cr, m, m->zones[i].geom);
            sinspace__polygon_paint(cr, syms[k], m->px_sld);
        }
    }
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* "Z<id>" on the visible part of each zone, before the workplace names so
 * it wins a crowded spot: it is what `sinspace query --zone ID` takes.
 * When every position collides it is printed anyway. */
static void
draw_zone_labels(cairo_t *cr, render_map *m, render_labels *labels, PangoLayout *layout)
{
    if (!m->zstyle || m->n_zones == 0)
        return;
    const sinspace_symbolizer *t = sinspace__zone_style_text(m->zstyle);
    render_label_style ls = {0};
    memcpy(ls.clip, (double[]){m->frame[0], m->frame[1],
                               m->frame[0] + m->frame[2],
                               m->frame[1] + m->frame[3]}, sizeof ls.clip);
    ls.size_px = (t && t->font_size > 0 ? t->font_size : 11) * m->px_sld;
    ls.bold = t ? t->font_bold : 1;
    ls.italic = t ? t->font_italic : 0;
    ls.color = t && t->has_fill ? t->fill : (sinspace_rgba){0.35, 0.06, 0.06, 1};
    ls.halo = t ? t->halo_fill : WHITE;
    ls.halo_px = (t ? t->halo_radius : 1.5) * m->px_sld;
    ls.kind = "zone_label";
    ls.must = 1;
    ls.leader_rings = 0;
    ls.must_rings = 3;
    ls.report_refused = 1;
    OGRGeometryH frame = OGR_G_CreateGeometry(wkbPolygon);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
    OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[1]);
    OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[3]);
    OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[3]);
    OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
    OGR_G_AddGeometryDirectly(frame, ring);
    for (size_t i = 0; i < m->n_zones; i++) {
        OGRGeometryH vis = OGR_G_Intersection(m->zones[i].geom, frame);
        OGRGeometryH pt = vis && !OGR_G_IsEmpty(vis) ? OGR_G_PointOnSurface(vis) : NULL;
        if (pt && !OGR_G_IsEmpty(pt)) {
            char text[32];
            snprintf(text, sizeof text, "Z%lld", m->zones[i].f.id);
            double x = px_x(m, OGR_G_GetX(pt, 0)), y = px_y(m, OGR_G_GetY(pt, 0));
            sinspace__label_font_family(layout, t ? t->font_family : NULL,
                                        ls.size_px, ls.bold, ls.italic);
            /* Over markers if it must, never over another text: a zone
             * whose label finds no room is named in the layout report. */
            sinspace__label_place(labels, cr, layout, text, x, y, 0, &ls);
        }
        if (pt)
            OGR_G_DestroyGeometry(pt);
        if (vis)
            OGR_G_DestroyGeometry(vis);
    }
    OGR_G_DestroyGeometry(frame);
}

/* Names: the selected area large, neighbours muted; placed after the
 * markers so they keep clear of them. */
static void
draw_area_names(cairo_t *cr, render_map *m, render_labels *labels, PangoLayout *layout)
{
    render_label_style ls = {0};
    memcpy(ls.clip, (double[]){m->frame[0], m->frame[1],
                               m->frame[0] + m->frame[2],
                               m->frame[1] + m->frame[3]}, sizeof ls.clip);
    ls.halo = (sinspace_rgba){1, 1, 1, 0.85};
    ls.halo_px = 0.5 * m->px_mm;
    ls.kind = "area_name";
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->n_areas; i++) {
            area_geom *a = &m->areas[i];
            if (a->selected != (pass == 0))
                continue;
            /* The visible part of the area carries its name. */
            OGRGeometryH frame = OGR_G_CreateGeometry(wkbPolygon);
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
            OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[1]);
            OGR_G_AddPoint_2D(ring, m->ext[2], m->ext[3]);
            OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[3]);
            OGR_G_AddPoint_2D(ring, m->ext[0], m->ext[1]);
            OGR_G_AddGeometryDirectly(frame, ring);
            OGRGeometryH vis = OGR_G_Intersection(a->geom, frame);
            OGR_G_DestroyGeometry(frame);
            OGRGeometryH pt = vis && !OGR_G_IsEmpty(vis) ? OGR_G_PointOnSurface(vis) : NULL;
            if (pt && !OGR_G_IsEmpty(pt)) {
                char text[512];
                snprintf(text, sizeof text, "%s%s%s", a->name_latin ? a->name_latin : "",
                         a->name_latin && a->name_local ? "\n" : "",
                         a->name_local ? a->name_local : "");
                ls.size_px = (a->selected ? 12 : 8) * m->px_pt;
                ls.bold = a->selected;
                /* The area the map is of always carries its name. */
                ls.must = a->selected;
                ls.report_refused = a->selected;
                ls.color = a->selected ? (sinspace_rgba){0.45, 0.03, 0.25, 1}
                                       : (sinspace_rgba){0.25, 0.25, 0.3, 1};
                sinspace__label_font(layout, ls.size_px, ls.bold, 0);
                pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
                sinspace__label_place(labels, cr, layout, text,
                                      px_x(m, OGR_G_GetX(pt, 0)),
                                      px_y(m, OGR_G_GetY(pt, 0)), 0, &ls);
                pango_layout_set_alignment(layout, PANGO_ALIGN_LEFT);
            }
            if (pt)
                OGR_G_DestroyGeometry(pt);
            if (vis)
                OGR_G_DestroyGeometry(vis);
        }
}

/* A marker drawn once into a small image and stamped: thousands of points
 * on a raster page then cost a blit each. */
typedef struct stamp {
    const sinspace_symbolizer *sym;
    cairo_surface_t *surface;
    double half;
} stamp;

/* Symbol s drawn once, to be painted at every workplace that uses it.
 * Raster pages: an image of an odd number of pixels, its centre the middle
 * of its centre pixel (*half: half its width).  PDF pages: a recording
 * surface centred on 0,0, which the PDF holds once as a form XObject;
 * drawn marker by marker, cairo kept every path with its clip until the
 * page was written (1.1 GiB for 426,000 markers). */
static cairo_surface_t *
make_stamp(const render_map *m, const sinspace_symbolizer *s, double size, double *half)
{
    cairo_surface_t *surf;
    double c;
    if (m->is_raster) {
        double extent = size * 1.3 + (s->stroke.width + 2) * m->px_sld;
        int px = (int)ceil(extent) | 1; /* odd: a centre pixel */
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, px, px);
        *half = c = px / 2.0;
    } else {
        *half = ceil(size * 0.65 + (s->stroke.width + 2) * m->px_sld);
        cairo_rectangle_t ext = {-*half, -*half, 2 * *half, 2 * *half};
        surf = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
        c = 0.0;
    }
    cairo_t *scr = cairo_create(surf);
    sinspace__symbolizer_draw(scr, s, c, c, m->px_sld);
    cairo_destroy(scr);
    return surf;
}

static const char *
label_text(const workplace *w, const char *field, char buf[32])
{
    if (field && !strcmp(field, "name_local"))
        return w->name_local ? w->name_local : w->name;
    if (field && (!strcmp(field, "id") || !strcmp(field, "ext_id")))
        return w->ext_id;
    if (field && !strcmp(field, "sector"))
        return w->sector;
    if (field && !strcmp(field, "risk")) {
        if (isnan(w->risk))
            return NULL;
        snprintf(buf, 32, "%.2f", w->risk);
        return buf;
    }
    return w->name;
}

/* Marks, in text_of, a high-risk workplace left without a label. */
static const sinspace_symbolizer callout_mark;

static sinspace_status
draw_workplaces(cairo_t *cr, render_map *m, render_symbology *sym,
                render_labels *labels, PangoLayout *layout,
                const char *label_field, int no_labels, int web)
{
    enum { MAXS = 8, MAX_STAMPS = 64 };
    stamp stamps[MAX_STAMPS];
    int n_stamps = 0;
    const sinspace_symbolizer **text_of = calloc(m->n_wp ? m->n_wp : 1,
                                                 sizeof *text_of);
    float *radius = calloc(m->n_wp ? m->n_wp : 1, sizeof *radius);
    if (!text_of || !radius) {
        free(text_of);
        free(radius);
        return sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    cairo_save(cr);
    cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
    cairo_clip(cr);
    int block_markers = m->n_wp <= 20000;
    for (size_t i = 0; i < m->n_wp; i++) {
        workplace *w = &m->wp[i];
        char idbuf[32], riskbuf[32], lonbuf[32], latbuf[32];
        snprintf(idbuf, sizeof idbuf, "%lld", w->id);
        if (!isnan(w->risk))
            snprintf(riskbuf, sizeof riskbuf, "%.3f", w->risk);
        snprintf(lonbuf, sizeof lonbuf, "%.9g", w->lon);
        snprintf(latbuf, sizeof latbuf, "%.9g", w->lat);
        render_feature f = {idbuf, w->ext_id, w->name, w->name_local, w->sector,
                            w->status, isnan(w->risk) ? NULL : riskbuf,
                            w->risk_class, lonbuf, latbuf};
        const sinspace_symbolizer *syms[MAXS];
        size_t n = sinspace__symbology_apply(sym, &f, m->scale, syms, MAXS);
        for (size_t k = 0; k < n; k++) {
            const sinspace_symbolizer *s = syms[k];
            if (s->kind == SINSPACE_SYMBOLIZER_TEXT) {
                if (!text_of[i])
                    text_of[i] = s;
                continue;
            }
            if (s->kind != SINSPACE_SYMBOLIZER_POINT)
                continue;
            double size = (s->size > 0 ? s->size : 6) * m->px_sld;
            if (size / 2 > radius[i])
                radius[i] = (float)(size / 2);
            if (block_markers && labels)
                sinspace__labels_block(labels, w->x - size / 2, w->y - size / 2,
                                       w->x + size / 2, w->y + size / 2);
            /* Computed per feature, or a graphic: drawn as it is. */
            if ((!m->is_raster && !m->is_pdf) || s->dynamic || s->graphic) {
                sinspace__symbolizer_draw(cr, s, w->x, w->y, m->px_sld);
                continue;
            }
            int j;
            for (j = 0; j < n_stamps && stamps[j].sym != s; j++)
                ;
            if (j == n_stamps && n_stamps < MAX_STAMPS) {
                stamps[n_stamps].sym = s;
                stamps[n_stamps].surface = make_stamp(m, s, size, &stamps[n_stamps].half);
                n_stamps++;
            }
            if (j == n_stamps) {
                sinspace__symbolizer_draw(cr, s, w->x, w->y, m->px_sld);
            } else if (m->is_raster) {
                /* The stamp's centre is the middle of its centre pixel. */
                double x0 = floor(w->x) + 0.5 - stamps[j].half,
                       y0 = floor(w->y) + 0.5 - stamps[j].half;
                cairo_set_source_surface(cr, stamps[j].surface, x0, y0);
                cairo_paint(cr);
            } else {
                cairo_set_source_surface(cr, stamps[j].surface, w->x, w->y);
                cairo_rectangle(cr, w->x - stamps[j].half, w->y - stamps[j].half,
                                2 * stamps[j].half, 2 * stamps[j].half);
                cairo_fill(cr);
            }
        }
    }
    for (int j = 0; j < n_stamps; j++)
        cairo_surface_destroy(stamps[j].surface);
    cairo_restore(cr);
    if (web) { /* a web tile: markers only */
        free(text_of);
        free(radius);
        return SINSPACE_OK;
    }
    draw_area_names(cr, m, labels, layout);
    draw_zone_labels(cr, m, labels, layout);
    /* Labels, highest risk first; past a point a full map places no more,
     * so the attempts are bounded. */
    long long tries = 0;
    if (!no_labels) {
        render_label_style ls = {0};
        memcpy(ls.clip, (double[]){m->frame[0], m->frame[1],
                                   m->frame[0] + m->frame[2],
                                   m->frame[1] + m->frame[3]}, sizeof ls.clip);
        const sinspace_symbolizer *cur = NULL;
        /* --label asks for labels whatever the style's scale range: a
         * workplace without a text symbolizer gets the default one. */
        sinspace_symbolizer fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.kind = SINSPACE_SYMBOLIZER_TEXT;
        fallback.font_size = 9;
        fallback.fill = INK;
        fallback.has_fill = 1;
        fallback.halo_fill = (sinspace_rgba){1, 1, 1, 0.9};
        fallback.halo_radius = 1.5;
        fallback.anchor_x = fallback.anchor_y = 0.5;
        ls.kind = "label";
        for (size_t i = m->n_wp; i-- > 0 && tries < 50000;) {
            const sinspace_symbolizer *t = text_of[i];
            if (!t && label_field)
                t = &fallback;
            if (!t)
                continue;
            if (t != cur) {
                cur = t;
                ls.size_px = (t->font_size > 0 ? t->font_size : 9) * m->px_sld;
                ls.bold = t->font_bold;
                ls.italic = t->font_italic;
                ls.color = t->has_fill ? t->fill : INK;
                ls.halo = t->halo_fill;
                ls.halo_px = t->halo_radius * m->px_sld;
                ls.has_anchor = t->anchor_x != 0.5 || t->anchor_y != 0.5 ||
                                t->displacement_x != 0 || t->displacement_y != 0;
                ls.anchor_x = t->anchor_x;
                ls.anchor_y = t->anchor_y;
                ls.disp_x = t->displacement_x * m->px_sld;
                ls.disp_y = t->displacement_y * m->px_sld;
                sinspace__label_font_family(layout, t->font_family, ls.size_px,
                                            ls.bold, ls.italic);
            }
            char buf[32];
            const char *field = label_field ? label_field : t->label_property;
            const char *text = NULL;
            char lbuf[512];
            if (!label_field && t->expr[SINSPACE_SLOT_LABEL]) {
                /* A label computed by the style's expression (style.c). */
                const workplace *w = &m->wp[i];
                char idbuf[32], riskbuf[32], lonbuf[32], latbuf[32];
                snprintf(idbuf, sizeof idbuf, "%lld", w->id);
                if (!isnan(w->risk))
                    snprintf(riskbuf, sizeof riskbuf, "%.3f", w->risk);
                snprintf(lonbuf, sizeof lonbuf, "%.9g", w->lon);
                snprintf(latbuf, sizeof latbuf, "%.9g", w->lat);
                render_feature f = {idbuf, w->ext_id, w->name, w->name_local,
                                    w->sector, w->status,
                                    isnan(w->risk) ? NULL : riskbuf, w->risk_class,
                                    lonbuf, latbuf};
                text = sinspace__symbology_label(sym, t, &f, lbuf, sizeof lbuf);
            } else {
                text = label_text(&m->wp[i], field, buf);
            }
            tries++;
            /* High and medium risk reach farther, with a leader line. */
            const char *rc = m->wp[i].risk_class;
            ls.leader_rings = rc && !strcmp(rc, "high") ? 6
                              : rc && !strcmp(rc, "medium") ? 2 : 0;
            int placed = sinspace__label_place(labels, cr, layout, text,
                                               m->wp[i].x, m->wp[i].y,
                                               radius[i] + 1.5 * m->px_sld, &ls);
            m->labels += placed > 0;
            m->leaders += placed == 2;
            if (placed <= 0 && rc && !strcmp(rc, "high") && text && *text)
                text_of[i] = &callout_mark; /* numbered below */
        }
        /* High-risk workplaces whose name found no room: a number beside
         * the marker, keyed to the list in the legend, rather than
         * nothing. */
        render_label_style cs = ls;
        cs.kind = "callout";
        cs.size_px = 7 * m->px_pt;
        cs.bold = 1;
        cs.italic = 0;
        cs.color = MARK_RED;
        cs.halo = WHITE;
        cs.halo_px = 0.35 * m->px_mm;
        cs.has_anchor = 0;
        cs.leader_rings = 2;
        sinspace__label_font(layout, cs.size_px, 1, 0);
        /* The key must fit the legend panel beside the legend rows and the
         * locator: about a fifth of the panel at 5 pt, some 80 pt of line
         * an entry ("12  Golden Karaoke CM-01309 · ").  Past that, a
         * workplace keeps its marker and no number. */
        double pw_pt = (m->panel[2] - m->panel[0]) / m->px_pt;
        double ph_pt = (m->panel[3] - m->panel[1]) / m->px_pt;
        int max_callouts = (int)(0.2 * ph_pt / 6.5 * fmax(1, floor(pw_pt / 80)));
        if (max_callouts > RENDER_MAX_CALLOUTS)
            max_callouts = RENDER_MAX_CALLOUTS;
        for (size_t i = m->n_wp; i-- > 0 && m->n_callouts < max_callouts;) {
            if (text_of[i] != &callout_mark)
                continue;
            char num[16], buf[32];
            snprintf(num, sizeof num, "%d", m->n_callouts + 1);
            if (sinspace__label_place(labels, cr, layout, num, m->wp[i].x, m->wp[i].y,
                                      radius[i] + 1 * m->px_sld, &cs) <= 0)
                continue;
            const char *field = label_field ? label_field : "name";
            const char *text = label_text(&m->wp[i], field, buf);
            char line[600];
            snprintf(line, sizeof line, "%s  %s", num, text ? text : "");
            char *d = sinspace__strdup(line);
            if (!d)
                break;
            m->callouts[m->n_callouts++] = d;
        }
    }
    free(text_of);
    free(radius);
    return SINSPACE_OK;
}


/* ------------------------------------------------------------------ */
/* The web tile look */

/* Every level's outline, a white casing under a dark line so it reads on
 * imagery and on white; coarser levels wider, the finest dashed. */
static void
draw_areas_web(cairo_t *cr, render_map *m)
{
    for (size_t i = 0; i < m->n_areas; i++) {
        int rank = m->areas[i].level_rank;
        cairo_new_path(cr);
        sinspace__path_frame_geom(cr, m, m->areas[i].geom);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.7);
        cairo_set_line_width(cr, rank <= 1 ? 4.0 : 3.0);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, 0.2, 0.2, 0.35, 0.9);
        cairo_set_line_width(cr, rank <= 1 ? 2.0 : rank == 2 ? 1.2 : 0.7);
        if (rank >= 3) {
            double dash[] = {4, 3};
            cairo_set_dash(cr, dash, 2, 0);
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

static void
draw_zones_web(cairo_t *cr, render_map *m)
{
    for (size_t i = 0; i < m->n_zones; i++) {
        cairo_new_path(cr);
        sinspace__path_frame_geom(cr, m, m->zones[i].geom);
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
        cairo_set_source_rgba(cr, 0.85, 0.2, 0.6, 0.22);
        cairo_fill_preserve(cr);
        cairo_set_source_rgba(cr, 0.6, 0.05, 0.4, 0.9);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
    }
}

/* ------------------------------------------------------------------ */
/* Imagery */

/* Mixes each pixel towards its luma (Rec. 709) by k; the image stays
 * premultiplied, as the mix is linear. */
static void
desaturate(cairo_surface_t *image, double k)
{
    cairo_surface_flush(image);
    unsigned char *d = cairo_image_surface_get_data(image);
    int w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
    int stride = cairo_image_surface_get_stride(image);
    for (int y = 0; y < h; y++) {
        uint32_t *p = (uint32_t *)(d + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            double r = (p[x] >> 16) & 255, g = (p[x] >> 8) & 255, b = p[x] & 255;
            double l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            unsigned R = (unsigned)lround(r + (l - r) * k),
                     G = (unsigned)lround(g + (l - g) * k),
                     B = (unsigned)lround(b + (l - b) * k);
            p[x] = (p[x] & 0xff000000u) | R << 16 | G << 8 | B;
        }
    }
    cairo_surface_mark_dirty(image);
}

typedef struct imagery_state {
    render_map *m;
    const char *dir;           /* the database's folder, or NULL */
    char **paths;
    int n;
    sinspace_status st;
} imagery_state;

/* A catalogued tile: its path (a relative one from the database's folder)
 * and its attribution line. */
static int
on_imagery(void *user, const sinspace__feature_imagery *row)
{
    imagery_state *is = user;
    render_map *m = is->m;
    const char *p = row->path, *acq = row->acquired;
    if (!p)
        return 0;
    char full[4096];
    if (p[0] == '/' || !is->dir)
        snprintf(full, sizeof full, "%s", p);
    else
        snprintf(full, sizeof full, "%s/%s", is->dir, p);
    char **np = realloc(is->paths, (size_t)(is->n + 1) * sizeof *np);
    char **na = realloc(m->attributions, (size_t)(m->n_attr + 1) * sizeof *na);
    if (np) is->paths = np;
    if (na) m->attributions = na;
    if (!np || !na) {
        is->st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return 1;
    }
    is->paths[is->n++] = sinspace__strdup(full);
    char line[1024];
    /* Source, attribution and acquisition date, each as recorded. */
    const char *src = row->source && *row->source ? row->source : NULL;
    const char *att = row->attribution && *row->attribution ? row->attribution : NULL;
    if (att && src && strcmp(att, src))
        snprintf(line, sizeof line, "%s, %s, %s%s", src, att,
                 acq && *acq ? "acquired " : "date unknown", acq && *acq ? acq : "");
    else
        snprintf(line, sizeof line, "%s, %s%s", att ? att : src ? src : p,
                 acq && *acq ? "acquired " : "date unknown", acq && *acq ? acq : "");
    m->attributions[m->n_attr++] = sinspace__strdup(line);
    return 0;
}

/* Warps the n paths into the frame in strips of rows, so a large page
 * never holds the whole frame twice.  Each output pixel is computed from
 * the source alone, so strips give the pixels one warp would.  A raster
 * page takes each strip as it comes; a vector page gets one image,
 * assembled first, so viewers show no seams. */
static sinspace_status
warp_into_frame(cairo_t *cr, render_map *m, const render_frame_opts *o,
                char **paths, int n_paths)
{
    sinspace_status st = SINSPACE_OK;
    cairo_surface_t *whole = NULL, *image = NULL;
    if (!m->is_raster) {
        whole = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, m->frame[2],
                                           m->frame[3]);
        if (cairo_surface_status(whole) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(whole);
            return sinspace__error(m->ctx, SINSPACE_NO_MEMORY,
                                   "map: no memory for a %dx%d image",
                                   m->frame[2], m->frame[3]);
        }
    }
    const int rows = 1024;
    for (int y0 = 0; y0 < m->frame[3] && !st; y0 += rows) {
        int h = m->frame[3] - y0 < rows ? m->frame[3] - y0 : rows;
        double te[4] = {m->ext[0], m->ext[3] - (y0 + h) * m->gt[1],
                        m->ext[2], m->ext[3] - y0 * m->gt[1]};
        st = sinspace__basemap_warp(m->ctx, (const char *const *)paths,
                                    n_paths, m->wkt, te, m->frame[2], h,
                                    &image);
        if (st)
            break;
        if (o->desaturate > 0)
            desaturate(image, fmin(o->desaturate, 1));
        cairo_t *dst = whole ? cairo_create(whole) : cr;
        double ox = whole ? 0 : m->frame[0], oy = (whole ? 0 : m->frame[1]) + y0;
        cairo_save(dst);
        cairo_set_source_surface(dst, image, ox, oy);
        cairo_pattern_set_filter(cairo_get_source(dst), CAIRO_FILTER_NEAREST);
        cairo_rectangle(dst, ox, oy, m->frame[2], h);
        cairo_fill(dst);
        cairo_restore(dst);
        if (whole)
            cairo_destroy(dst);
        cairo_surface_destroy(image);
        image = NULL;
        st = sinspace__progress(m->ctx, "imagery", y0 + h, m->frame[3]);
    }
    if (whole && !st) {
        cairo_set_source_surface(cr, whole, m->frame[0], m->frame[1]);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2], m->frame[3]);
        cairo_fill(cr);
    }
    if (whole)
        cairo_surface_destroy(whole);
    return st;
}

sinspace_status
sinspace__frame_imagery(cairo_t *cr, render_map *m, const render_frame_opts *o)
{
    if (!(o->layers & RENDER_LAYER_IMAGERY))
        return SINSPACE_OK;
    char *dir = sinspace__strdup(sinspace_store_path(m->store));
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    imagery_state is = {.m = m, .dir = slash ? dir : NULL};
    sinspace_status st = sinspace__basemap_imagery(m, on_imagery, &is);
    if (!st)
        st = is.st;
    if (!st && is.n > 0) {
        sinspace__log(m->ctx, SINSPACE_LOG_DEBUG,
                      "map: warping %d tile(s) to %dx%d px", is.n,
                      m->frame[2], m->frame[3]);
        st = warp_into_frame(cr, m, o, is.paths, is.n);
        if (st && o->web) {
            /* A missing or unreadable raster must not take a web map
             * down: the tile is drawn without it and the reason logged. */
            sinspace__log(m->ctx, SINSPACE_LOG_WARNING, "tile imagery: %s",
                          sinspace_context_message(m->ctx));
            sinspace_context_clear(m->ctx);
            st = SINSPACE_OK;
        } else if (!st) {
            m->tiles = is.n;
            if (o->fade > 0) {
                cairo_rectangle(cr, m->frame[0], m->frame[1], m->frame[2],
                                m->frame[3]);
                cairo_set_source_rgba(cr, 1, 1, 1, fmin(o->fade, 1));
                cairo_fill(cr);
            }
        }
    }
    for (int i = 0; i < is.n; i++)
        free(is.paths[i]);
    free(is.paths);
    free(dir);
    return st;
}

/* ------------------------------------------------------------------ */
/* The frame's features */

sinspace_status
sinspace__frame_features(cairo_t *cr, render_map *m, const render_frame_opts *o,
                         render_symbology *sym, render_labels *labels,
                         PangoLayout *layout)
{
    if (o->web) {
        /* A web map: zones under the outlines, markers on top. */
        draw_zones_web(cr, m);
        draw_areas_web(cr, m);
        return draw_workplaces(cr, m, sym, NULL, NULL, NULL, 1, 1);
    }
    draw_areas(cr, m);
    draw_zones(cr, m);
    sinspace_status st = draw_workplaces(cr, m, sym, labels, layout, o->label_field,
                                         o->no_labels, 0);
    if (!st && m->gaps)
        st = sinspace__draw_gaps(cr, m);
    return !st && m->contacts ? sinspace__draw_call_panel(cr, m) : st;
}
