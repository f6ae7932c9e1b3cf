/* cmd_map.c: sinspace map DB -o OUT.pdf|.svg|.png (extent, paper, CRS). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int
run(cli *c, int argc, char **argv)
{
    enum { O_AREA = 256, O_BBOX, O_WITHIN, O_MARGIN, O_PAPER, O_LANDSCAPE,
           O_DPI, O_CRS, O_STYLE, O_TITLE, O_SUBTITLE, O_MARKING, O_GENERATED,
           O_LABEL, O_NO_BASEMAP, O_NO_LABELS, O_NO_WORKPLACES, O_FADE,
           O_DESATURATE, O_NO_ZONES, O_ZONES_RUN, O_OVERWRITE, O_GAPS,
           O_REMOTE_GRAPHICS, O_LAYOUT_REPORT, O_CONTACTS, O_KEY_FILE };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"overwrite", no_argument, NULL, O_OVERWRITE},
        {"area", required_argument, NULL, O_AREA},
        {"bbox", required_argument, NULL, O_BBOX},
        {"within", required_argument, NULL, O_WITHIN},
        {"margin", required_argument, NULL, O_MARGIN},
        {"paper", required_argument, NULL, O_PAPER},
        {"landscape", no_argument, NULL, O_LANDSCAPE},
        {"dpi", required_argument, NULL, O_DPI},
        {"crs", required_argument, NULL, O_CRS},
        {"style", required_argument, NULL, O_STYLE},
        {"title", required_argument, NULL, O_TITLE},
        {"subtitle", required_argument, NULL, O_SUBTITLE},
        {"marking", required_argument, NULL, O_MARKING},
        {"generated-at", required_argument, NULL, O_GENERATED},
        {"label", required_argument, NULL, O_LABEL},
        {"no-basemap", no_argument, NULL, O_NO_BASEMAP},
        {"offline", no_argument, NULL, 'F'},
        {"no-labels", no_argument, NULL, O_NO_LABELS},
        {"no-workplaces", no_argument, NULL, O_NO_WORKPLACES},
        {"no-zones", no_argument, NULL, O_NO_ZONES},
        {"gaps", no_argument, NULL, O_GAPS},
        {"zones", required_argument, NULL, O_ZONES_RUN},
        {"contacts", no_argument, NULL, O_CONTACTS},
        {"key-file", required_argument, NULL, O_KEY_FILE},
        {"fade", required_argument, NULL, O_FADE},
        {"desaturate", required_argument, NULL, O_DESATURATE},
        {"allow-remote-graphics", no_argument, NULL, O_REMOTE_GRAPHICS},
        {"layout-report", required_argument, NULL, O_LAYOUT_REPORT},
        {NULL, 0, NULL, 0}};
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    int opt;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': o.output = optarg; break;
        case O_OVERWRITE: o.overwrite = 1; break;
        case O_LAYOUT_REPORT: o.layout_report = optarg; break;
        case O_AREA: o.area = optarg; break;
        case O_BBOX:
            if (cli_parse_numbers(optarg, o.bbox, 4))
                return cli_usage_error(&cmd_map, "--bbox needs W,S,E,N, got '%s'", optarg);
            o.has_bbox = 1;
            break;
        case O_WITHIN: o.within = optarg; break;
        case O_MARGIN:
            if (cli_parse_number(optarg, &o.margin))
                return cli_usage_error(&cmd_map, "--margin needs a number");
            break;
        case O_PAPER:
            o.paper = sinspace_paper_parse(optarg);
            if (o.paper == SINSPACE_PAPER_INVALID)
                return cli_usage_error(&cmd_map, "--paper is A4, A3, A2, A1, A0 or Letter");
            break;
        case O_LANDSCAPE: o.landscape = 1; break;
        case O_DPI:
            if (cli_parse_number(optarg, &o.dpi))
                return cli_usage_error(&cmd_map, "--dpi needs a number");
            break;
        case O_CRS: o.crs = optarg; break;
        case O_STYLE: o.style_path = optarg; break;
        case O_TITLE: o.title = optarg; break;
        case O_SUBTITLE: o.subtitle = optarg; break;
        case O_MARKING: o.marking = optarg; break;
        case O_GENERATED: o.generated_at = optarg; break;
        case O_LABEL:
            if (strcmp(optarg, "name") && strcmp(optarg, "name_local") &&
                strcmp(optarg, "id"))
                return cli_usage_error(&cmd_map, "--label is name, name_local or id");
            o.label_field = optarg;
            break;
        case O_NO_BASEMAP: o.no_basemap = 1; break;
        case 'F': sinspace_tiles_set_offline(1); break; /* docs/imagery.md */
        case O_NO_LABELS: o.no_labels = 1; break;
        case O_NO_WORKPLACES: o.no_workplaces = 1; break;
        case O_NO_ZONES: o.no_zones = 1; break;
        case O_GAPS: o.gaps = 1; break;
        case O_ZONES_RUN: o.zones_run = optarg; break;
        case O_CONTACTS: o.contacts = 1; break;
        case O_KEY_FILE: o.key_file = optarg; break;
        case O_FADE:
            if (cli_parse_number(optarg, &o.basemap_fade) || o.basemap_fade < 0 ||
                o.basemap_fade > 1)
                return cli_usage_error(&cmd_map, "--fade needs a number in 0..1");
            break;
        case O_DESATURATE:
            if (cli_parse_number(optarg, &o.basemap_desaturate) ||
                o.basemap_desaturate < 0 || o.basemap_desaturate > 1)
                return cli_usage_error(&cmd_map, "--desaturate needs a number in 0..1");
            break;
        case O_REMOTE_GRAPHICS: sinspace_style_allow_outside_graphics(1); break;
        default:
            return cli_usage_error(&cmd_map, "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_map, "expected one database path");
    if (!o.output)
        return cli_usage_error(&cmd_map, "-o OUT.pdf|.svg|.png is required");
    if (!!o.area + o.has_bbox + !!o.within != 1)
        return cli_usage_error(&cmd_map, "give exactly one of --area, --bbox, --within");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_map_result r;
    sinspace_status st = sinspace_map_render(store, &o, &r);
    if (st) {
        rc = cli_fail(c, st);
    } else if (!c->quiet) {
        char scale_text[48];
        sinspace_scale_text(r.scale, scale_text, sizeof scale_text);
        cli_progress_done(c);
        fprintf(stderr, "sinspace: wrote %s: %dx%d px, %lld workplaces, %lld labels, "
                "%lld zone(s), %d tile(s), %s, %s (exact 1:%.0f)\n", o.output, r.width,
                r.height, r.workplaces, r.labels, r.zones, r.tiles, r.crs, scale_text,
                r.scale);
    }
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_map = {
    "map", "draw a risk map of an area to PDF, SVG or PNG",
    "Usage: sinspace map DB -o OUT.pdf|.svg|.png EXTENT [OPTIONS]\n\n"
    "Output:\n"
    "  -o, --output OUT     the page to write, PDF, SVG or PNG by its extension\n"
    "  --overwrite          replace OUT (and a PNG's sidecars) if they exist;\n"
    "                       without it an existing file is kept (exit status 1)\n"
    "  --layout-report FILE.json   every box placed on the page (title, legend,\n"
    "                       labels...) as {kind, text, x, y, w, h} in points,\n"
    "                       origin top left, and any text refused for want of room\n\n"
    "Extent (exactly one):\n"
    "  --area NAME|CODE     a district or province, by code or name (either script)\n"
    "  --bbox W,S,E,N       a box in degrees\n"
    "  --within FILE        the extent of the polygons in a vector file\n"
    "  --margin F           fraction added on each side (default 0.05)\n\n"
    "Page:\n"
    "  --paper A4|A3|A2|A1|A0|Letter   (default A4)   --landscape\n"
    "  --dpi N              page resolution; PNG pixels and PDF imagery (default 300)\n"
    "  --crs CRS            projected map CRS (default: UTM zone of the centre)\n\n"
    "Content:\n"
    "  --style FILE.sld     workplace symbology (default: colour by risk class,\n"
    "                       shape by sector)\n"
    "  --allow-remote-graphics  the style's graphics may be files outside its\n"
    "                       folder (URLs are never fetched)\n"
    "  --label name|name_local|id   workplace label text (default name)\n"
    "  --title T --subtitle S        override the titles\n"
    "  --marking TEXT       confidentiality marking (default \"CONFIDENTIAL \xe2\x80\x94\n"
    "                       for authorised use\"; \"\" for none)\n"
    "  --generated-at TEXT  fixed generation time (reproducible output)\n"
    "  --no-basemap --no-labels --no-workplaces\n"
    "  --no-zones           leave out the high-risk zones (`sinspace zones`)\n"
    "  --gaps               ring the high-risk workplaces no responder covers\n"
    "                       (docs/network.md)\n"
    "  --offline            no tile service is asked (files and packages only)\n"
    "  --zones RUN          draw the zone run RUN (default: the latest run;\n"
    "                       see sinspace zones DB --runs)\n"
    "  --contacts           with --area: a \"who to call\" panel (team, role,\n"
    "                       languages, phone), audited; --key-file KEY\n"
    "  --fade F             fade the imagery towards white, 0..1 (default 0)\n"
    "  --desaturate F       take colour out of the imagery, 0..1 (default 0)\n\n"
    "Imagery: the catalogued tiles covering the extent, warped with GDAL to the\n"
    "map CRS at the page's resolution. A PNG gets a world file (.pgw), a .prj\n"
    "and an .aux.xml describing its pixel grid, so it reopens in QGIS.\n"
    "Zones: the zones of `sinspace zones` that meet the map are drawn over the\n"
    "areas (translucent, styled by styles/zones.sld) and labelled Z<id>; list a\n"
    "zone's workplaces with `sinspace query DB --zone <id>`.\n"
    "Labels: at every scale, workplaces are labelled by risk class, high first,\n"
    "then medium, then low (highest score first within a class); a label goes\n"
    "beside its marker where it covers no other text or marker, and a high or\n"
    "medium one that finds no room there is set farther out with a leader line.\n"
    "Labels never overlap; what finds no room is left out (the layout report\n"
    "lists the map's labels). The style's text symbolizer (styles/risk.sld)\n"
    "sets the font; --label chooses the text.\n"
    "The output files are created mode 0600; an audit row is written.\n",
    run};
