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

static void
print_symbolizer(const sinspace_symbolizer *s)
{
    switch (s->kind) {
    case SINSPACE_SYMBOLIZER_POINT:
        printf("      point %s %gpx", sinspace_mark_name(s->mark), s->size);
        if (s->mark == SINSPACE_MARK_GRAPHIC)
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
    case SINSPACE_SYMBOLIZER_TEXT:
        printf("      text [%s] %s %gpx%s%s", s->label_property ? s->label_property : "?",
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
        break;
    }
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
        sinspace_style_destroy(style);
    }
    return rc;
}

const cli_command cmd_style = {
    "style", "check SLD styles (SLD 1.0 or QGIS's SE 1.1)",
    "Usage: sinspace style check FILE... [--graphics-dir DIR]\n\n"
    "Loads each SLD file and prints its rules: name and legend title, filter,\n"
    "scale range and symbolizers.  Elements sinspace does not use are\n"
    "reported as warnings with their line.  Exit status 0 when every file is\n"
    "usable (warnings allowed), 3 when one is invalid (malformed XML, a bad\n"
    "colour or number, an unsupported filter), 1 when one cannot be read or\n"
    "refers to a graphic outside its folder.\n\n"
    "Options:\n"
    "  --graphics-dir DIR  folder external graphics must be in (default: the\n"
    "                      folder of each SLD file)\n",
    run};
