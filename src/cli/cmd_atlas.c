/* cmd_atlas.c: sinspace atlas DB -o OUT.pdf --level LEVEL [--province NAME]. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int
run(cli *c, int argc, char **argv)
{
    enum { O_LEVEL = 256, O_PROVINCE, O_PAPER, O_LANDSCAPE, O_DPI, O_STYLE,
           O_MARKING, O_GENERATED, O_NO_BASEMAP, O_ROWS,
           O_NO_ZONES, O_OVERWRITE, O_LAYOUT_REPORT, O_SKIP_EMPTY, O_SORT };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"overwrite", no_argument, NULL, O_OVERWRITE},
        {"level", required_argument, NULL, O_LEVEL},
        {"province", required_argument, NULL, O_PROVINCE},
        {"paper", required_argument, NULL, O_PAPER},
        {"landscape", no_argument, NULL, O_LANDSCAPE},
        {"dpi", required_argument, NULL, O_DPI},
        {"style", required_argument, NULL, O_STYLE},
        {"marking", required_argument, NULL, O_MARKING},
        {"generated-at", required_argument, NULL, O_GENERATED},
        {"no-basemap", no_argument, NULL, O_NO_BASEMAP},
        {"no-zones", no_argument, NULL, O_NO_ZONES},
        {"table-rows", required_argument, NULL, O_ROWS},
        {"layout-report", required_argument, NULL, O_LAYOUT_REPORT},
        {"skip-empty", no_argument, NULL, O_SKIP_EMPTY},
        {"sort", required_argument, NULL, O_SORT},
        {NULL, 0, NULL, 0}};
    sinspace_atlas_options o;
    sinspace_atlas_options_init(&o);
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': o.output = optarg; break;
        case O_OVERWRITE: o.overwrite = 1; break;
        case O_LAYOUT_REPORT: o.layout_report = optarg; break;
        case O_SKIP_EMPTY: o.skip_empty = 1; break;
        case O_SORT:
            if (!strcmp(optarg, "name"))
                o.sort = 0;
            else if (!strcmp(optarg, "risk"))
                o.sort = 1;
            else if (!strcmp(optarg, "code"))
                o.sort = 2;
            else
                return cli_usage_error(&cmd_atlas, "--sort is risk, name or code");
            break;
        case O_LEVEL:
            o.level = sinspace_area_level_parse(optarg);
            if (o.level == SINSPACE_LEVEL_INVALID || o.level == SINSPACE_LEVEL_COUNTRY)
                return cli_usage_error(&cmd_atlas,
                                       "--level is province, district, subdistrict or village");
            break;
        case O_PROVINCE: o.province = optarg; break;
        case O_PAPER:
            o.paper = sinspace_paper_parse(optarg);
            if (o.paper == SINSPACE_PAPER_INVALID)
                return cli_usage_error(&cmd_atlas, "--paper is A4, A3, A2, A1, A0 or Letter");
            break;
        case O_LANDSCAPE: o.landscape = 1; break;
        case O_DPI:
            o.dpi = strtod(optarg, &end);
            if (end == optarg || *end)
                return cli_usage_error(&cmd_atlas, "--dpi needs a number");
            break;
        case O_STYLE: o.style_path = optarg; break;
        case O_MARKING: o.marking = optarg; break;
        case O_GENERATED: o.generated_at = optarg; break;
        case O_NO_BASEMAP: o.no_basemap = 1; break;
        case O_NO_ZONES: o.no_zones = 1; break;
        case O_ROWS:
            o.max_table_rows = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || o.max_table_rows < 1)
                return cli_usage_error(&cmd_atlas, "--table-rows needs a positive number");
            break;
        default:
            return cli_usage_error(&cmd_atlas, "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_atlas, "expected one database path");
    if (!o.output)
        return cli_usage_error(&cmd_atlas, "-o OUT.pdf is required");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_atlas_result r;
    sinspace_status st = sinspace_atlas_render(store, &o, &r);
    if (st) {
        rc = cli_fail(c, st);
    } else if (!c->quiet) {
        cli_progress_done(c);
        fprintf(stderr, "sinspace: wrote %s: %d pages, %d areas\n", o.output,
                r.pages, r.areas);
    }
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_atlas = {
    "atlas", "a PDF atlas: overview choropleth and one map page per area",
    "Usage: sinspace atlas DB -o OUT.pdf [--level LEVEL] [--province NAME]\n"
    "                      [--paper A4|A3|A2|A1|A0|Letter] [--landscape] [--dpi N]\n"
    "                      [--style FILE.sld] [--marking TEXT] [--table-rows N]\n"
    "                      [--no-basemap] [--no-zones] [--generated-at TEXT]\n"
    "                      [--skip-empty] [--sort risk|name|code]\n"
    "                      [--layout-report FILE.json] [--overwrite]\n\n"
    "Page 1 colours the areas of LEVEL (default district; only those in the\n"
    "province NAME when given) by risk-weighted density, with a key. Then one\n"
    "page per area: its map (as `sinspace map --area`, with its high-risk\n"
    "zones unless --no-zones), a table of its high-risk workplaces and a chart\n"
    "of their mean observed risk per year.\n"
    "--dpi sets the imagery resolution (default 150). Progress is shown on a\n"
    "terminal. The PDF is created mode 0600; an audit row is written.\n"
    "An existing OUT.pdf is kept (exit status 1) unless --overwrite is given.\n"
    "--skip-empty leaves out the pages of areas without workplaces; --sort\n"
    "orders the area pages by name (default), by risk-weighted density (densest\n"
    "first) or by code. --layout-report writes every box placed on every page\n"
    "as JSON (see `sinspace map --help`).\n",
    run};
