/* render_symbology.c: how a workplace looks on a map, and the legend.
 *
 * Two sources behind one interface: an SLD style (sinspace/style.h), whose
 * rules become the legend entries, or the built-in symbology used when no
 * style is given: fill colour by risk class, mark by sector group, with a
 * legend of two sections (classes and sector groups) counting what was
 * drawn.  Both hand out sinspace_symbolizer values, so the renderer draws
 * one kind of thing whatever the source. */
#include "render/render_int.h"
#include "render/style_int.h"
#include "core/embedded.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_CLASSES = 4, N_GROUPS = 5, MAX_RULE_SYMS = 8 };

typedef struct legend_entry {
    const char *heading;
    const char *title;
    sinspace_symbolizer sample;
    const sinspace_symbolizer *sample_ref;
    long long count;
    int hide_unused;
} legend_entry;

struct render_symbology {
    sinspace_context *ctx;
    /* built-in */
    sinspace_symbolizer composed[N_CLASSES][N_GROUPS];
    sinspace_symbolizer text;
    /* SLD */
    sinspace_style *style;
    const sinspace_style_rule **matched;
    size_t n_matched, cap_matched;
    legend_entry *legend;
    size_t n_legend;
    size_t *legend_of_rule; /* SLD: rule index -> legend entry, or -1 */
    long long drawn;        /* features given a point symbolizer */
};

/* Class colours: ColorBrewer RdYlGn-like, readable over imagery. */
static const sinspace_rgba class_fill[N_CLASSES] = {
    {0.62, 0.62, 0.62, 1}, /* not scored */
    {1.00, 0.88, 0.35, 1}, /* low */
    {0.99, 0.55, 0.24, 1}, /* medium */
    {0.84, 0.09, 0.11, 1}, /* high */
};
static const char *const class_title[N_CLASSES] = {
    "Not scored", "Low (1.0 - 1.67)", "Medium (1.67 - 2.33)", "High (2.33 - 3.0)"};

static const sinspace_mark group_mark[N_GROUPS] = {
    SINSPACE_MARK_CIRCLE, SINSPACE_MARK_TRIANGLE, SINSPACE_MARK_SQUARE,
    SINSPACE_MARK_STAR, SINSPACE_MARK_CROSS};
static const char *const group_title[N_GROUPS] = {
    "Entertainment and sex work", "Fishing and seafood", "Factories",
    "Construction and agriculture", "Services and other"};

static int
sector_group(const char *sector)
{
    static const struct { const char *code; int group; } map[] = {
        {"karaoke_bar", 0}, {"massage_parlour", 0}, {"entertainment_venue", 0},
        {"brothel", 0}, {"fishing", 1}, {"seafood_processing", 1},
        {"garment_factory", 2}, {"other_manufacturing", 2},
        {"construction", 3}, {"agriculture", 3}};
    if (sector)
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(sector, map[i].code))
                return map[i].group;
    return 4;
}

static int
class_index(const char *risk_class)
{
    if (!risk_class)
        return 0;
    sinspace_risk_class c = sinspace_risk_class_parse(risk_class);
    return c == SINSPACE_RISK_NONE ? 0 : (int)c;
}

sinspace_status
sinspace__symbology_builtin(sinspace_context *ctx, render_symbology **out)
{
    render_symbology *s = calloc(1, sizeof *s);
    if (!s)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    s->ctx = ctx;
    const sinspace_rgba outline = {0.1, 0.1, 0.1, 1};
    for (int c = 0; c < N_CLASSES; c++)
        for (int g = 0; g < N_GROUPS; g++) {
            sinspace_symbolizer *p = &s->composed[c][g];
            p->kind = SINSPACE_SYMBOLIZER_POINT;
            p->mark = group_mark[g];
            p->size = c == 3 ? 11 : 9;
            p->has_fill = 1;
            p->fill = class_fill[c];
            p->stroke.enabled = 1;
            p->stroke.color = outline;
            p->stroke.width = 1;
        }
    s->text.kind = SINSPACE_SYMBOLIZER_TEXT;
    s->text.label_property = "name";
    s->text.font_size = 9;
    s->text.halo_radius = 1.5;
    s->text.halo_fill = (sinspace_rgba){1, 1, 1, 0.9};
    s->text.fill = (sinspace_rgba){0.05, 0.05, 0.05, 1};
    s->text.has_fill = 1;
    s->text.anchor_x = s->text.anchor_y = 0.5;
    s->n_legend = N_CLASSES + N_GROUPS;
    s->legend = calloc(s->n_legend, sizeof *s->legend);
    if (!s->legend) {
        free(s);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    for (int c = 0; c < N_CLASSES; c++) {
        legend_entry *e = &s->legend[N_CLASSES - 1 - c]; /* high first */
        e->heading = c == N_CLASSES - 1 ? "Risk class" : NULL;
        e->title = class_title[c];
        e->sample = s->composed[c][0];
        e->sample.size = 10;
    }
    for (int g = 0; g < N_GROUPS; g++) {
        legend_entry *e = &s->legend[N_CLASSES + g];
        e->heading = g == 0 ? "Sector" : NULL;
        e->title = group_title[g];
        e->sample = s->composed[0][g];
        e->sample.fill = (sinspace_rgba){0.85, 0.85, 0.85, 1};
        e->sample.size = 10;
    }
    *out = s;
    return SINSPACE_OK;
}

static sinspace_status from_style(sinspace_context *ctx, sinspace_style *style,
                                  render_symbology **out);

sinspace_status
sinspace__symbology_load(sinspace_context *ctx, const char *path,
                         render_symbology **out)
{
    sinspace_style *style = NULL;
    sinspace_status st = sinspace_style_load(ctx, path, NULL, &style);
    if (st)
        return st;
    return from_style(ctx, style, out);
}

sinspace_status
sinspace__symbology_default(sinspace_context *ctx, render_symbology **out)
{
    /* styles/risk.sld, embedded at build time like the layers. */
    for (const struct sinspace_embedded *e = sinspace__embedded; e->name; e++)
        if (!strcmp(e->name, "risk.sld")) {
            sinspace_style *style = NULL;
            sinspace_status st = sinspace_style_load_memory(ctx, e->data, e->size,
                                                            "risk.sld", NULL, &style);
            if (st)
                return st;
            return from_style(ctx, style, out);
        }
    return sinspace__symbology_builtin(ctx, out);
}

/* Takes style over: its rules become the legend, in document order; only
 * the rules that drew something are listed. */
static sinspace_status
from_style(sinspace_context *ctx, sinspace_style *style, render_symbology **out)
{
    render_symbology *s = calloc(1, sizeof *s);
    size_t n = sinspace_style_rule_count(style);
    if (s)
        s->legend = calloc(n ? n : 1, sizeof *s->legend);
    if (!s || !s->legend) {
        free(s);
        sinspace_style_destroy(style);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    s->ctx = ctx;
    s->style = style;
    /* Says when the style will draw nothing for workplaces (style.c). */
    sinspace__style_warn_workplaces(ctx, style, sinspace_style_name(style)
                                                    ? sinspace_style_name(style)
                                                    : "style");
    s->legend_of_rule = malloc((n ? n : 1) * sizeof *s->legend_of_rule);
    if (!s->legend_of_rule) {
        free(s->legend);
        free(s);
        sinspace_style_destroy(style);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        s->legend_of_rule[i] = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const sinspace_style_rule *r = sinspace_style_rule_at(style, i);
        legend_entry *e = &s->legend[s->n_legend];
        const sinspace_symbolizer *sample = NULL;
        for (size_t k = 0; k < r->n_symbolizers && !sample; k++)
            if (r->symbolizers[k].kind == SINSPACE_SYMBOLIZER_POINT)
                sample = &r->symbolizers[k];
        if (!sample)
            continue; /* a text-only rule has no swatch */
        e->heading = sinspace_style_title(style) ? sinspace_style_title(style)
                                                 : "Workplaces";
        e->title = r->title ? r->title : r->name ? r->name : "(rule)";
        e->sample = *sample;
        e->sample_ref = (const sinspace_symbolizer *)r; /* rule identity */
        e->hide_unused = 1;
        s->legend_of_rule[i] = s->n_legend;
        s->n_legend++;
    }
    *out = s;
    return SINSPACE_OK;
}

static void
collect_rule(void *user, const sinspace_style_rule *rule)
{
    render_symbology *s = user;
    if (s->n_matched == s->cap_matched) {
        size_t cap = s->cap_matched ? 2 * s->cap_matched : 8;
        const sinspace_style_rule **m = realloc(s->matched, cap * sizeof *m);
        if (!m)
            return;
        s->matched = m;
        s->cap_matched = cap;
    }
    s->matched[s->n_matched++] = rule;
}
void
sinspace__symbology_destroy(render_symbology *s)
{
    if (!s)
        return;
    sinspace_style_destroy(s->style);
    free(s->matched);
    free(s->legend);
    free(s->legend_of_rule);
    free(s);
}

size_t
sinspace__symbology_apply(render_symbology *s, const render_feature *f,
                          double scale, const sinspace_symbolizer **out,
                          size_t max)
{
    if (!s->style) {
        int c = class_index(f->risk_class), g = sector_group(f->sector);
        size_t n = 0;
        s->drawn++;
        if (max > n)
            out[n++] = &s->composed[c][g];
        if (max > n)
            out[n++] = &s->text;
        s->legend[N_CLASSES - 1 - c].count++;
        s->legend[N_CLASSES + g].count++;
        return n;
    }
    sinspace_style_attr attrs[] = {
        {"id", f->id}, {"ext_id", f->ext_id}, {"name", f->name},
        {"name_local", f->name_local}, {"sector", f->sector},
        {"status", f->status}, {"risk", f->risk},
        {"risk_class", f->risk_class}, {"lon", f->lon}, {"lat", f->lat}};
    s->n_matched = 0;
    sinspace_style_match(s->style, attrs, sizeof attrs / sizeof attrs[0],
                         scale, collect_rule, s);
    size_t n = 0, points = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->n_matched; i++) {
            const sinspace_style_rule *r = s->matched[i];
            if (pass == 0) {
                /* The rule's legend entry by index: scanning the legend
                 * for every matched rule was quadratic in rules. */
                size_t ri = sinspace__style_rule_index(s->style, r);
                if (ri != (size_t)-1 && s->legend_of_rule[ri] != (size_t)-1)
                    s->legend[s->legend_of_rule[ri]].count++;
            }
            for (size_t k = 0; k < r->n_symbolizers; k++) {
                int is_text = r->symbolizers[k].kind == SINSPACE_SYMBOLIZER_TEXT;
                int is_point = r->symbolizers[k].kind == SINSPACE_SYMBOLIZER_POINT;
                if (((pass == 0 && is_point) || (pass == 1 && is_text)) && n < max) {
                    /* Expressions evaluated for this feature (style.c). */
                    out[n++] = sinspace__style_resolve(
                        s->style, &r->symbolizers[k], attrs,
                        sizeof attrs / sizeof attrs[0], scale);
                    points += (size_t)is_point;
                }
            }
        }
    if (points)
        s->drawn++;
    return n;
}

size_t
sinspace__symbology_legend_count(const render_symbology *s)
{
    return s->n_legend;
}

void
sinspace__symbology_legend_at(const render_symbology *s, size_t i,
                              const char **heading, const char **title,
                              const sinspace_symbolizer **sample,
                              long long *count, int *hide_unused)
{
    *hide_unused = s->legend[i].hide_unused;
    *heading = s->legend[i].heading;
    *title = s->legend[i].title;
    *sample = &s->legend[i].sample;
    *count = s->legend[i].count;
}

long long
sinspace__symbology_drawn(const render_symbology *s)
{
    return s->drawn;
}

const char *
sinspace__symbology_label(const render_symbology *s, const sinspace_symbolizer *t,
                          const render_feature *f, char *buf, size_t size)
{
    sinspace_style_attr attrs[] = {
        {"id", f->id}, {"ext_id", f->ext_id}, {"name", f->name},
        {"name_local", f->name_local}, {"sector", f->sector},
        {"status", f->status}, {"risk", f->risk},
        {"risk_class", f->risk_class}, {"lon", f->lon}, {"lat", f->lat}};
    (void)s;
    return sinspace__style_label(t, attrs, sizeof attrs / sizeof attrs[0], buf, size);
}

void
sinspace__symbology_reset(render_symbology *s)
{
    for (size_t i = 0; i < s->n_legend; i++)
        s->legend[i].count = 0;
}

void
sinspace__mark_path(cairo_t *cr, sinspace_mark mark, double size)
{
    double r = size / 2;
    switch (mark) {
    case SINSPACE_MARK_SQUARE:
        cairo_rectangle(cr, -r * 0.85, -r * 0.85, 1.7 * r, 1.7 * r);
        break;
    case SINSPACE_MARK_TRIANGLE:
        cairo_move_to(cr, 0, -r);
        cairo_line_to(cr, r * 0.866 * 1.1, r * 0.6);
        cairo_line_to(cr, -r * 0.866 * 1.1, r * 0.6);
        cairo_close_path(cr);
        break;
    case SINSPACE_MARK_STAR:
        for (int i = 0; i < 10; i++) {
            double a = -M_PI / 2 + i * M_PI / 5, rr = i % 2 ? r * 0.45 : r * 1.1;
            if (i == 0)
                cairo_move_to(cr, rr * cos(a), rr * sin(a));
            else
                cairo_line_to(cr, rr * cos(a), rr * sin(a));
        }
        cairo_close_path(cr);
        break;
    case SINSPACE_MARK_CROSS:
    case SINSPACE_MARK_X: {
        /* A filled plus (or a rotated one), so it takes a fill colour. */
        double t = r * 0.38;
        double pts[12][2] = {{-t, -r}, {t, -r}, {t, -t}, {r, -t}, {r, t}, {t, t},
                             {t, r}, {-t, r}, {-t, t}, {-r, t}, {-r, -t}, {-t, -t}};
        double c = mark == SINSPACE_MARK_X ? M_SQRT1_2 : 1,
               sn = mark == SINSPACE_MARK_X ? M_SQRT1_2 : 0;
        for (int i = 0; i < 12; i++) {
            double x = pts[i][0] * c - pts[i][1] * sn,
                   y = pts[i][0] * sn + pts[i][1] * c;
            if (i == 0)
                cairo_move_to(cr, x, y);
            else
                cairo_line_to(cr, x, y);
        }
        cairo_close_path(cr);
        break;
    }
    case SINSPACE_MARK_CIRCLE:
    case SINSPACE_MARK_GRAPHIC: /* drawn as a circle until graphics load */
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, 0, 0, r, 0, 2 * M_PI);
        cairo_close_path(cr);
        break;
    }
}

void
sinspace__symbolizer_draw(cairo_t *cr, const sinspace_symbolizer *s, double x,
                          double y, double k)
{
    if (s->graphic) { /* ExternalGraphic, shape://, ttf:// (graphic.c) */
        sinspace__graphic_draw(cr, s, x, y, k);
        return;
    }
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (s->rotation != 0)
        cairo_rotate(cr, s->rotation * M_PI / 180);
    cairo_new_path(cr);
    sinspace__mark_path(cr, s->mark, (s->size > 0 ? s->size : 6) * k);
    if (s->has_fill) {
        cairo_set_source_rgba(cr, s->fill.r, s->fill.g, s->fill.b, s->fill.a);
        if (s->stroke.enabled)
            cairo_fill_preserve(cr);
        else
            cairo_fill(cr);
    }
    if (s->stroke.enabled) {
        cairo_set_source_rgba(cr, s->stroke.color.r, s->stroke.color.g,
                              s->stroke.color.b, s->stroke.color.a);
        cairo_set_line_width(cr, (s->stroke.width > 0 ? s->stroke.width : 1) * k);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
    }
    cairo_new_path(cr);
    cairo_restore(cr);
}
