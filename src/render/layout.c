/* layout.c: the page's layout model seen from the marginalia, and the
 * layout report.
 *
 * Every text of a printed page goes through the page's render_labels
 * (label.c): the marginalia through sinspace__lay_text, the labels in the
 * frame through sinspace__label_place.  A text is placed only where it
 * meets no other text (nor a graphic of the marginalia): it wraps (at
 * spaces only, so a Thai, Lao, Khmer or Burmese name is never broken inside
 * a word; Pango's own word breaks only as a last resort), shrinks, or moves
 * down within the room it is given; what still does not fit is refused and
 * named in the report rather than drawn over something else.
 *
 * The layout report (`--layout-report FILE.json`) lists, per page, its size
 * and every placed box in page points, origin top left. */
#include "render/render_int.h"
#include "core/json.h"
#include "core/outfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines break only at spaces (and explicit newlines): every run of
 * non-space characters is marked unbreakable. */
static void
no_breaks_inside_words(PangoLayout *layout, const char *text)
{
    PangoAttrList *al = pango_attr_list_new();
    size_t n = strlen(text), i = 0;
    while (i < n) {
        while (i < n && (text[i] == ' ' || text[i] == '\n'))
            i++;
        size_t j = i;
        while (j < n && text[j] != ' ' && text[j] != '\n')
            j++;
        if (j > i) {
            PangoAttribute *a = pango_attr_allow_breaks_new(FALSE);
            a->start_index = (guint)i;
            a->end_index = (guint)j;
            pango_attr_list_insert(al, a);
        }
        i = j;
    }
    pango_layout_set_attributes(layout, al);
    pango_attr_list_unref(al);
}

/* The layout's lines as text, split by '\n' (malloc'd). */
static char *
layout_lines(PangoLayout *layout, const char *text)
{
    int n = pango_layout_get_line_count(layout);
    size_t len = strlen(text);
    char *out = malloc(len + (size_t)n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        PangoLayoutLine *line = pango_layout_get_line_readonly(layout, i);
        int s = line->start_index, l = line->length;
        if (s < 0 || (size_t)s > len)
            continue;
        if ((size_t)(s + l) > len)
            l = (int)len - s;
        if (i)
            out[o++] = '\n';
        memcpy(out + o, text + s, (size_t)l);
        o += (size_t)l;
    }
    out[o] = '\0';
    return out;
}

/* The widest line of the layout, in pixels. */
static double
widest_line(PangoLayout *layout)
{
    double w = 0;
    int n = pango_layout_get_line_count(layout);
    for (int i = 0; i < n; i++) {
        PangoRectangle r;
        pango_layout_line_get_pixel_extents(
            pango_layout_get_line_readonly(layout, i), NULL, &r);
        w = fmax(w, r.width);
    }
    return w;
}

double
sinspace__lay_text_fit(render_map *m, cairo_t *cr, PangoLayout *layout,
                       const char *kind, const char *text, double x, double y,
                       double size_px, int bold, int align,
                       sinspace_rgba color, double width,
                       const render_fit *fit)
{
    if (!text || !*text)
        return 0;
    double min_px = fit && fit->min_px > 0 ? fmin(fit->min_px, size_px) : size_px;
    double max_h = fit ? fit->max_h : 0, room = fit ? fit->room : 0;
    int draw = !fit || !fit->measure;
    double step = fmax(0.5 * m->px_pt, size_px * 0.06);
    int passes = fit && fit->whole_words ? 1 : 2;
    for (int pass = 0; pass < passes; pass++) {
        for (double sz = size_px; sz >= min_px - 1e-9; sz -= step) {
            sinspace__label_font(layout, sz, bold, 0);
            pango_layout_set_width(layout, width > 0 ? (int)(width * PANGO_SCALE) : -1);
            pango_layout_set_wrap(layout, pass ? PANGO_WRAP_WORD_CHAR : PANGO_WRAP_WORD);
            pango_layout_set_text(layout, text, -1);
            if (!pass)
                no_breaks_inside_words(layout, text);
            else
                pango_layout_set_attributes(layout, NULL);
            PangoRectangle r;
            pango_layout_get_pixel_extents(layout, NULL, &r);
            if (width > 0 && widest_line(layout) > width + 0.5)
                continue; /* a word longer than the width: smaller */
            if (max_h > 0 && r.height > max_h + 0.5)
                continue;
            double w = width > 0 ? 0 : r.width;
            double x0 = x - (align == 1 ? w / 2 : align == 2 ? w : 0);
            double bx0 = x0 + r.x, bx1 = bx0 + r.width;
            double dy_step = fmax(1, 0.5 * m->px_mm);
            for (double dy = 0; dy <= room + 1e-9; dy += dy_step) {
                double by0 = y + dy + r.y, by1 = by0 + r.height;
                if (draw && !sinspace__labels_free(m->page, bx0, by0, bx1, by1,
                                                   RENDER_BOX_HARD))
                    continue;
                if (draw) {
                    char *lines = pango_layout_get_line_count(layout) > 1
                                      ? layout_lines(layout, text) : NULL;
                    sinspace__labels_take(m->page, kind, text, bx0, by0, bx1,
                                          by1, RENDER_BOX_TEXT, lines);
                    free(lines);
                    cairo_save(cr);
                    set_rgba(cr, color);
                    cairo_move_to(cr, x0, y + dy);
                    pango_cairo_show_layout(cr, layout);
                    cairo_new_path(cr);
                    cairo_restore(cr);
                }
                pango_layout_set_attributes(layout, NULL);
                pango_layout_set_width(layout, -1);
                return dy + r.height;
            }
            if (room <= 0 && max_h <= 0 && min_px >= size_px)
                break;
        }
    }
    pango_layout_set_attributes(layout, NULL);
    pango_layout_set_width(layout, -1);
    if (draw) {
        sinspace__log(m->ctx, SINSPACE_LOG_DEBUG,
                      "layout: no free room for %s '%s'", kind, text);
        sinspace__labels_refused(m->page, kind, text);
    }
    return -1;
}

double
sinspace__lay_text(render_map *m, cairo_t *cr, PangoLayout *layout,
                   const char *kind, const char *text, double x, double y,
                   double size_px, int bold, int align, sinspace_rgba color,
                   double width)
{
    double h = sinspace__lay_text_fit(m, cr, layout, kind, text, x, y, size_px,
                                      bold, align, color, width, NULL);
    return h < 0 ? 0 : h;
}

void
sinspace__lay_graphic(render_map *m, const char *kind, double x0, double y0,
                      double x1, double y1)
{
    sinspace__labels_take(m->page, kind, NULL, fmin(x0, x1), fmin(y0, y1),
                          fmax(x0, x1), fmax(y0, y1), RENDER_BOX_HARD, NULL);
}

/* ------------------------------------------------------------------ */
/* The report */

struct render_report {
    FILE *f;
    char *data;
    size_t size;
    int pages;
};

render_report *
sinspace__report_new(void)
{
    render_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->f = open_memstream(&r->data, &r->size);
    if (!r->f) {
        free(r);
        return NULL;
    }
    return r;
}

void
sinspace__report_free(render_report *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->data);
    free(r);
}

static void
item_json(FILE *f, const render_item *it, double k, int with_box)
{
    fputs("{\"kind\": ", f);
    sinspace__json_string(f, it->kind);
    fputs(", \"text\": ", f);
    if (it->text)
        sinspace__json_string(f, it->text);
    else
        fputs("null", f);
    if (it->lines) {
        fputs(", \"lines\": [", f);
        const char *p = it->lines;
        for (int first = 1;; first = 0) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char *one = malloc(n + 1);
            if (one) {
                memcpy(one, p, n);
                one[n] = '\0';
                fputs(first ? "" : ", ", f);
                sinspace__json_string(f, one);
                free(one);
            }
            if (!e)
                break;
            p = e + 1;
        }
        fputs("]", f);
    }
    if (with_box) {
        fputs(", \"x\": ", f);
        sinspace__json_number(f, 2, it->x0 * k);
        fputs(", \"y\": ", f);
        sinspace__json_number(f, 2, it->y0 * k);
        fputs(", \"w\": ", f);
        sinspace__json_number(f, 2, (it->x1 - it->x0) * k);
        fputs(", \"h\": ", f);
        sinspace__json_number(f, 2, (it->y1 - it->y0) * k);
    }
    fputs("}", f);
}

void
sinspace__report_page(render_report *r, const render_labels *page,
                      double px_pt, const char *name)
{
    if (!r || !r->f || !page)
        return;
    double k = 1 / px_pt;
    FILE *f = r->f;
    fprintf(f, "%s\n  {\"page\": %d, \"name\": ", r->pages ? "," : "", r->pages + 1);
    sinspace__json_string(f, name ? name : "");
    fputs(", \"width\": ", f);
    sinspace__json_number(f, 2, sinspace__labels_width(page) * k);
    fputs(", \"height\": ", f);
    sinspace__json_number(f, 2, sinspace__labels_height(page) * k);
    fputs(",\n   \"items\": [", f);
    size_t n;
    const render_item *it = sinspace__labels_items(page, &n, 0);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        item_json(f, &it[i], k, 1);
    }
    fputs("],\n   \"refused\": [", f);
    it = sinspace__labels_items(page, &n, 1);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        item_json(f, &it[i], k, 0);
    }
    fputs("]}", f);
    r->pages++;
}

sinspace_status
sinspace__report_write(sinspace_context *ctx, render_report *r,
                       const char *path, int replace)
{
    if (!r || !r->f)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (fflush(r->f) != 0)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    sinspace__outfile *of = NULL;
    sinspace_status st = sinspace__outfile_open(ctx, path, replace, &of);
    if (st)
        return st;
    FILE *f = sinspace__outfile_stream(of);
    fputs("{\"units\": \"pt\", \"origin\": \"top-left\", \"pages\": [", f);
    fwrite(r->data, 1, r->size, f);
    fputs("\n]}\n", f);
    return sinspace__outfile_finish(of, SINSPACE_OK);
}
