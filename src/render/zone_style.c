/* render_zones.c: how a high-risk zone (the `zones` table) looks on a map,
 * and its legend section.
 *
 * The style is styles/zones.sld as embedded in the library: its rules test
 * a zone's attributes (id, workplaces, mean_risk, max_risk, peak_density,
 * sectors) and hand out polygon symbolizers (a translucent fill, so the
 * imagery stays visible, and a dashed outline).  The first text symbolizer
 * of the style gives the font of the zone's "Z<id>" label, which the map
 * always prints so a planner can run `sinspace query --zone ID`.  Without
 * the embedded file a built-in red style is used. */
#include "render/render_int.h"
#include "core/embedded.h"
#include "store/zones.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct zone_legend {
    const sinspace_style_rule *rule;
    const char *title;
    const sinspace_symbolizer *sample;
    long long count;
} zone_legend;

struct render_zone_style {
    sinspace_style *style;          /* NULL: built-in */
    sinspace_symbolizer builtin;
    const sinspace_symbolizer *text;
    const sinspace_style_rule **matched;
    size_t n_matched, cap_matched;
    zone_legend *legend;
    size_t n_legend;
    /* the run drawn: -1 every zone (no run picked), 0 zones of no run */
    long long run_id;
    char heading[256];
};

sinspace_status
sinspace__zone_style_default(sinspace_context *ctx, render_zone_style **out)
{
    render_zone_style *z = calloc(1, sizeof *z);
    if (!z)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    z->run_id = -1;
    for (const struct sinspace_embedded *e = sinspace__embedded; e->name; e++)
        if (!strcmp(e->name, "zones.sld")) {
            sinspace_status st = sinspace_style_load_memory(ctx, e->data, e->size,
                                                            "zones.sld", NULL,
                                                            &z->style);
            if (st) {
                free(z);
                return st;
            }
            break;
        }
    if (!z->style) {
        sinspace_symbolizer *b = &z->builtin;
        b->kind = SINSPACE_SYMBOLIZER_POLYGON;
        b->has_fill = 1;
        b->fill = (sinspace_rgba){0.84, 0.10, 0.11, 0.25};
        b->stroke.enabled = 1;
        b->stroke.color = (sinspace_rgba){0.84, 0.10, 0.11, 1};
        b->stroke.width = 2;
        b->stroke.dash[0] = 8;
        b->stroke.dash[1] = 4;
        b->stroke.n_dash = 2;
        z->legend = calloc(1, sizeof *z->legend);
        if (!z->legend) {
            free(z);
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        z->legend[0].title = "High-risk zone";
        z->legend[0].sample = b;
        z->n_legend = 1;
        *out = z;
        return SINSPACE_OK;
    }
    size_t n = sinspace_style_rule_count(z->style);
    z->legend = calloc(n ? n : 1, sizeof *z->legend);
    if (!z->legend) {
        sinspace_style_destroy(z->style);
        free(z);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const sinspace_style_rule *r = sinspace_style_rule_at(z->style, i);
        const sinspace_symbolizer *poly = NULL;
        for (size_t k = 0; k < r->n_symbolizers; k++) {
            const sinspace_symbolizer *s = &r->symbolizers[k];
            if (s->kind == SINSPACE_SYMBOLIZER_POLYGON && !poly)
                poly = s;
            if (s->kind == SINSPACE_SYMBOLIZER_TEXT && !z->text)
                z->text = s;
        }
        if (!poly)
            continue; /* a label rule has no swatch */
        zone_legend *e = &z->legend[z->n_legend++];
        e->rule = r;
        e->title = r->title ? r->title : r->name ? r->name : "(rule)";
        e->sample = poly;
    }
    *out = z;
    return SINSPACE_OK;
}

void
sinspace__zone_style_destroy(render_zone_style *z)
{
    if (!z)
        return;
    sinspace_style_destroy(z->style);
    free(z->matched);
    free(z->legend);
    free(z);
}

static void
collect_rule(void *user, const sinspace_style_rule *rule)
{
    render_zone_style *z = user;
    if (z->n_matched == z->cap_matched) {
        size_t cap = z->cap_matched ? 2 * z->cap_matched : 8;
        const sinspace_style_rule **m = realloc(z->matched, cap * sizeof *m);
        if (!m)
            return;
        z->matched = m;
        z->cap_matched = cap;
    }
    z->matched[z->n_matched++] = rule;
}

size_t
sinspace__zone_style_apply(render_zone_style *z, const render_zone_feature *f,
                           double scale, const sinspace_symbolizer **out,
                           size_t max)
{
    if (!z->style) {
        z->legend[0].count++;
        if (max == 0)
            return 0;
        out[0] = &z->builtin;
        return 1;
    }
    char id[32], wp[32], mean[32], mx[32], peak[32];
    snprintf(id, sizeof id, "%lld", f->id);
    snprintf(wp, sizeof wp, "%lld", f->workplaces);
    snprintf(mean, sizeof mean, "%.6f", f->mean_risk);
    snprintf(mx, sizeof mx, "%.6f", f->max_risk);
    snprintf(peak, sizeof peak, "%.6f", f->peak_density);
    sinspace_style_attr attrs[] = {
        {"id", id}, {"workplaces", wp},
        {"mean_risk", isnan(f->mean_risk) ? NULL : mean},
        {"max_risk", isnan(f->max_risk) ? NULL : mx},
        {"peak_density", isnan(f->peak_density) ? NULL : peak},
        {"sectors", f->sectors}};
    z->n_matched = 0;
    sinspace_style_match(z->style, attrs, sizeof attrs / sizeof attrs[0], scale,
                         collect_rule, z);
    size_t n = 0;
    for (size_t i = 0; i < z->n_matched; i++) {
        const sinspace_style_rule *r = z->matched[i];
        for (size_t e = 0; e < z->n_legend; e++)
            if (z->legend[e].rule == r)
                z->legend[e].count++;
        for (size_t k = 0; k < r->n_symbolizers; k++)
            if (r->symbolizers[k].kind == SINSPACE_SYMBOLIZER_POLYGON && n < max)
                out[n++] = &r->symbolizers[k];
    }
    return n;
}

const sinspace_symbolizer *
sinspace__zone_style_text(const render_zone_style *z)
{
    return z->text;
}

size_t
sinspace__zone_style_legend_count(const render_zone_style *z)
{
    return z->n_legend;
}

void
sinspace__zone_style_legend_at(const render_zone_style *z, size_t i,
                               const char **title,
                               const sinspace_symbolizer **sample,
                               long long *count)
{
    *title = z->legend[i].title;
    *sample = z->legend[i].sample;
    *count = z->legend[i].count;
}

const char *
sinspace__zone_style_heading(const render_zone_style *z)
{
    /* The SLD title names how zones are classed ("... by highest risk");
     * the legend heading says what they are, and which run. */
    return z->heading[0] ? z->heading : "High-risk zones";
}

typedef struct picked {
    long long id;
    char text[256];
} picked;

static int
on_run(void *user, const sinspace_zone_run *run)
{
    picked *p = user;
    p->id = run->id;
    /* "Hot-spot zones, run kt-95 (Gi* 95 %, 500 m band, 2026-12-08)" */
    const char *conf = strstr(run->params ? run->params : "", "confidence=");
    const char *band = strstr(run->params ? run->params : "", "band=");
    int c = conf ? atoi(conf + 11) : 0;
    double b = band ? atof(band + 5) : 0;
    if (!strcmp(run->method, "gistar"))
        snprintf(p->text, sizeof p->text, "Zones: run %s (Gi* %d %%, %.0f m)", run->name,
                 c, b);
    else
        snprintf(p->text, sizeof p->text, "High-risk zones, run %s (%s, %.10s)",
                 run->name, run->method, run->computed_at);
    return 0;
}

sinspace_status
sinspace__zone_style_pick_run(render_zone_style *z, sinspace_store *store,
                              const char *name)
{
    picked p = {0, ""};
    int found = 0;
    sinspace_status st = sinspace__store_engine(store)->zones->run_find(store, name,
                                                                        on_run, &p,
                                                                        &found);
    if (st)
        return st;
    if (!found && name)
        return sinspace__error(sinspace_store_context(store), SINSPACE_NOT_FOUND,
                               "map: no zone run named '%s' (see: sinspace zones DB "
                               "--runs)", name);
    z->run_id = found ? p.id : 0;
    snprintf(z->heading, sizeof z->heading, "%s", found ? p.text : "");
    return SINSPACE_OK;
}

int
sinspace__zone_style_draws_run(const render_zone_style *z, long long run_id)
{
    return z->run_id < 0 || z->run_id == run_id;
}

void
sinspace__zone_style_reset(render_zone_style *z)
{
    for (size_t i = 0; i < z->n_legend; i++)
        z->legend[i].count = 0;
}

void
sinspace__polygon_paint(cairo_t *cr, const sinspace_symbolizer *s, double k)
{
    cairo_save(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD); /* holes stay open */
    if (s->has_fill) {
        cairo_set_source_rgba(cr, s->fill.r, s->fill.g, s->fill.b, s->fill.a);
        cairo_fill_preserve(cr);
    }
    if (s->stroke.enabled) {
        double dash[8];
        int n = s->stroke.n_dash > 8 ? 8 : s->stroke.n_dash;
        for (int i = 0; i < n; i++)
            dash[i] = s->stroke.dash[i] * k;
        cairo_set_source_rgba(cr, s->stroke.color.r, s->stroke.color.g,
                              s->stroke.color.b, s->stroke.color.a);
        cairo_set_line_width(cr, (s->stroke.width > 0 ? s->stroke.width : 1) * k);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_dash(cr, n ? dash : NULL, n, 0);
        cairo_stroke_preserve(cr);
    }
    cairo_restore(cr); /* the path stays for the caller to clear */
}
