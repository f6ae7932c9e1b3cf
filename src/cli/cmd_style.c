/* cmd_style.c: sinspace style check FILE...: load SLD styles and show what
 * sinspace understood of them. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
print_color(const char *what, sinspace_rgba c)
{
    printf("%s%s #%02x%02x%02x", *what ? " " : "", what, (int)lround(c.r * 255), (int)lround(c.g * 255),
           (int)lround(c.b * 255));
    if (c.a < 1.0)
        printf("@%.2g", c.a);
}

static void
print_stroke(const sinspace_stroke *s)
{
    if (!s->enabled)
        return;
    print_color("stroke", s->color);
    printf(" %gpx", s->width);
    if (s->n_dash) {
        printf(" dash");
        for (int i = 0; i < s->n_dash; i++)
            printf("%s%g", i ? "," : " ", s->dash[i]);
    }
}

/* " name=EXPR" for each value the symbolizer computes per feature. */
static void
print_exprs(const sinspace_symbolizer *s)
{
    static const char *const names[SINSPACE_SLOT_COUNT] = {
        "size", "rotation", "opacity", "fill", "fill-opacity", "stroke",
        "stroke-width", "stroke-opacity", "label", "font-size", "label-rotation"};
    for (int i = 0; i < SINSPACE_SLOT_COUNT; i++) {
        if (!s->expr[i] || i == SINSPACE_SLOT_LABEL)
            continue;
        char *t = sinspace_style_expr_describe(s->expr[i]);
        printf(" %s=%s", names[i], t ? t : "?");
        free(t);
    }
}

static void
print_symbolizer(const sinspace_symbolizer *s)
{
    switch (s->kind) {
    case SINSPACE_SYMBOLIZER_POINT:
        printf("      point %s %gpx", sinspace_mark_name(s->mark), s->size);
        if (s->mark == SINSPACE_MARK_GRAPHIC && s->graphic_path)
            printf(" %s (%s)", s->graphic_path, s->graphic_format);
        if (s->rotation != 0)
            printf(" rotated %g", s->rotation);
        if (s->has_fill)
            print_color("fill", s->fill);
        print_stroke(&s->stroke);
        break;
    case SINSPACE_SYMBOLIZER_LINE:
        printf("      line");
        print_stroke(&s->stroke);
        break;
    case SINSPACE_SYMBOLIZER_POLYGON:
        printf("      polygon");
        if (s->has_fill)
            print_color("fill", s->fill);
        else
            printf(" no fill");
        print_stroke(&s->stroke);
        break;
    case SINSPACE_SYMBOLIZER_TEXT: {
        char *label = s->expr[SINSPACE_SLOT_LABEL]
                          ? sinspace_style_expr_describe(s->expr[SINSPACE_SLOT_LABEL])
                          : NULL;
        printf("      text [%s] %s %gpx%s%s",
               label ? label : s->label_property ? s->label_property : "?",
               s->font_family ? s->font_family : "(default font)", s->font_size,
               s->font_bold ? " bold" : "", s->font_italic ? " italic" : "");
        if (s->has_fill)
            print_color("fill", s->fill);
        if (s->halo_radius > 0) {
            printf(" halo %gpx", s->halo_radius);
            print_color("", s->halo_fill);
        }
        printf(" anchor %g,%g", s->anchor_x, s->anchor_y);
        if (s->displacement_x != 0 || s->displacement_y != 0)
            printf(" offset %g,%g", s->displacement_x, s->displacement_y);
        if (s->label_rotation != 0)
            printf(" rotated %g", s->label_rotation);
        if (s->line_placement)
            printf(" along lines (at the point for workplaces)");
        if (s->max_displacement > 0)
            printf(" maxDisplacement %g", s->max_displacement);
        if (s->space_around != 0)
            printf(" spaceAround %g", s->space_around);
        free(label);
        break;
    }
    }
    if (s->perpendicular_offset != 0)
        printf(" offset %gpx", s->perpendicular_offset);
    if (s->uom_metres > 0)
        printf(" in %s", s->uom_metres == 1 ? "metres" : "feet");
    if (s->fill_pattern)
        printf(" fill-pattern %s", sinspace_mark_name(s->fill_pattern->mark));
    if (s->stroke_pattern)
        printf(" stroke-pattern %s", sinspace_mark_name(s->stroke_pattern->mark));
    print_exprs(s);
    printf("\n");
}

static void
print_style(const char *path, const sinspace_style *style)
{
    size_t n = sinspace_style_rule_count(style);
    printf("%s: %s%s%s%s, %zu rule%s\n", path,
           sinspace_style_name(style) ? sinspace_style_name(style) : "(unnamed)",
           sinspace_style_title(style) ? " \"" : "",
           sinspace_style_title(style) ? sinspace_style_title(style) : "",
           sinspace_style_title(style) ? "\"" : "", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        const sinspace_style_rule *r = sinspace_style_rule_at(style, i);
        char *f = sinspace_style_rule_describe_filter(style, r);
        printf("  rule %zu: %s", i + 1, r->name ? r->name : "(unnamed)");
        if (r->title && (!r->name || strcmp(r->title, r->name)))
            printf(" \"%s\"", r->title);
        printf("\n    filter: %s\n", f ? f : "?");
        free(f);
        /* Denominators: min inclusive, max exclusive. */
        if (r->min_scale > 0 && isfinite(r->max_scale))
            printf("    scale: from 1:%g to below 1:%g\n", r->min_scale, r->max_scale);
        else if (isfinite(r->max_scale))
            printf("    scale: larger than 1:%g\n", r->max_scale);
        else if (r->min_scale > 0)
            printf("    scale: 1:%g and smaller\n", r->min_scale);
        /* What it draws for workplaces (points): markers and labels. */
        int points = 0, texts = 0, others = 0;
        for (size_t k = 0; k < r->n_symbolizers; k++) {
            sinspace_symbolizer_kind kd = r->symbolizers[k].kind;
            points += kd == SINSPACE_SYMBOLIZER_POINT;
            texts += kd == SINSPACE_SYMBOLIZER_TEXT;
            others += kd == SINSPACE_SYMBOLIZER_LINE || kd == SINSPACE_SYMBOLIZER_POLYGON;
        }
        if (points || texts)
            printf("    draws: workplace %s%s%s\n", points ? "markers" : "",
                   points && texts ? " and " : "", texts ? "labels" : "");
        else
            printf("    draws: nothing for workplaces (%s)\n",
                   others ? "line and polygon symbolizers: workplaces are points"
                          : "no symbolizer");
        char *props = sinspace_style_rule_properties(style, r);
        if (props && *props) {
            printf("    reads: %s", props);
            /* Those workplaces lack are null on a map. */
            const char *const *have = sinspace_style_workplace_properties();
            char *copy = strdup(props), *save = NULL;
            int first = 1;
            for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t;
                 t = strtok_r(NULL, ", ", &save)) {
                int known = 0;
                for (size_t h = 0; have[h]; h++)
                    known |= !strcmp(have[h], t);
                if (!known) {
                    printf("%s%s", first ? " (workplaces lack: " : ", ", t);
                    first = 0;
                }
            }
            if (!first)
                printf(")");
            free(copy);
            printf("\n");
        }
        free(props);
        for (size_t k = 0; k < r->n_symbolizers; k++)
            print_symbolizer(&r->symbolizers[k]);
    }
}

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"graphics-dir", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int opt;
    if (argc < 2 || strcmp(argv[1], "check"))
        return cli_usage_error(&cmd_style, "expected: style check FILE...");
    argc--;
    argv++;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt != 'g')
            return cli_usage_error(&cmd_style, "bad option");
        dir = optarg;
    }
    if (argc - optind < 1)
        return cli_usage_error(&cmd_style, "expected at least one FILE");
    int rc = EXIT_OK;
    for (int i = optind; i < argc; i++) {
        sinspace_style *style = NULL;
        sinspace_status st = sinspace_style_load(c->ctx, argv[i], dir, &style);
        if (st) {
            int r = cli_fail(c, st);
            if (rc == EXIT_OK)
                rc = r;
            continue;
        }
        print_style(argv[i], style);
        sinspace_style_check_workplaces(c->ctx, style, argv[i]);
        sinspace_style_destroy(style);
    }
    return rc;
}

const cli_command cmd_style = {
    "style", "check SLD styles (SLD 1.0 or QGIS's SE 1.1)",
    "Usage: sinspace style check FILE... [--graphics-dir DIR]\n\n"
    "Loads each SLD file and prints its rules: name and legend title, filter,\n"
    "scale range, what it draws for workplaces, the properties it reads\n"
    "(naming those workplaces lack) and its symbolizers, with the values\n"
    "computed per feature (size=..., rotation=...).  It warns when the style\n"
    "draws no workplace.  Elements sinspace does not use are\n"
    "reported as warnings with their line.  Exit status 0 when every file is\n"
    "usable (warnings allowed), 3 when one is invalid (malformed XML, a bad\n"
    "colour or number, a value out of range such as a Size of 1e300, an\n"
    "unsupported filter or function), 1 when one cannot be read or\n"
    "refers to a graphic outside its folder.\n\n"
    "Options:\n"
    "  --graphics-dir DIR  folder external graphics must be in (default: the\n"
    "                      folder of each SLD file)\n",
    run};
