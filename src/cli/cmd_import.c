/* cmd_import.c: sinspace import DB FILE. */
#include "cli.h"

#include <string.h>

static int
run(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"as", required_argument, NULL, 'a'},
        {"srs", required_argument, NULL, 's'},
        {"skip-invalid", required_argument, NULL, 'k'},
        {"layer", required_argument, NULL, 'l'},
        {"name-field", required_argument, NULL, 'n'},
        {"name-local-field", required_argument, NULL, 'N'},
        {"code-field", required_argument, NULL, 'c'},
        {"level", required_argument, NULL, 'L'},
        {"source", required_argument, NULL, 'S'},
        {"make-valid", no_argument, NULL, 'm'},
        {"allow-bidi", no_argument, NULL, 'b'},
        {"last-wins", no_argument, NULL, 'w'},
        {NULL, 0, NULL, 0}};
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            if (!strcmp(optarg, "workplaces"))
                o.kind = SINSPACE_IMPORT_WORKPLACES;
            else if (!strcmp(optarg, "observations"))
                o.kind = SINSPACE_IMPORT_OBSERVATIONS;
            else if (!strcmp(optarg, "areas"))
                o.kind = SINSPACE_IMPORT_AREAS;
            else if (!strcmp(optarg, "water"))
                o.kind = SINSPACE_IMPORT_WATER;
            else
                return cli_usage_error(&cmd_import, "--as takes workplaces, "
                                       "observations, areas or water, not '%s'",
                                       optarg);
            break;
        case 's': o.srs = optarg; break;
        case 'k': o.rejects_path = optarg; break;
        case 'l': o.layer = optarg; break;
        case 'n': o.name_field = optarg; break;
        case 'N': o.name_local_field = optarg; break;
        case 'c': o.code_field = optarg; break;
        case 'S': o.source = optarg; break;
        case 'm': o.make_valid = 1; break;
        case 'b': o.allow_bidi = 1; break;
        case 'w': o.last_wins = 1; break;
        case 'L':
            o.level = sinspace_area_level_parse(optarg);
            if (o.level == SINSPACE_LEVEL_INVALID)
                return cli_usage_error(&cmd_import, "--level takes country, "
                                       "province, district, subdistrict or "
                                       "village, not '%s'", optarg);
            break;
        default:
            return cli_usage_error(&cmd_import, "bad option");
        }
    }
    if (argc - optind < 2)
        return cli_usage_error(&cmd_import, "expected DB and at least one FILE");
    if (o.rejects_path && argc - optind > 2)
        return cli_usage_error(&cmd_import, "--skip-invalid takes one FILE at a time");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    for (int i = optind + 1; i < argc && rc == EXIT_OK; i++) {
        sinspace_import_result r;
        sinspace_status st = sinspace_import_file(store, argv[i], &o, &r);
        cli_progress_done(c);
        if (st) {
            rc = cli_fail(c, st);
            break;
        }
        if (!c->quiet)
            fprintf(stderr, "sinspace: %s: %lld rows: %lld new, %lld updated, "
                    "%lld observations%s", argv[i], r.rows, r.inserted, r.updated,
                    r.observations, r.rejected ? "" : "\n");
        if (r.rejected && !c->quiet)
            fprintf(stderr, ", %lld skipped (written to %s)\n", r.rejected,
                    o.rejects_path);
    }
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_import = {
    "import", "import workplaces, observations or areas (CSV or any OGR source)",
    "Usage: sinspace import DB FILE... [options]\n\n"
    "Imports each FILE in one transaction: one invalid row rejects the whole\n"
    "file (exit 3) and leaves DB exactly as it was; each bad row is named with\n"
    "its line (CSV) or feature number and the reason.\n\n"
    "FILE is a CSV following the workplace contract (README.md) or any vector\n"
    "source OGR reads: GeoJSON, GPKG, Shapefile, KML, FlatGeobuf...\n\n"
    "Options:\n"
    "  --as KIND             workplaces, observations, areas or water (default:\n"
    "                        areas for polygon layers, workplaces otherwise);\n"
    "                        water: polygons public points are kept out of\n"
    "  --srs CRS             CRS of coordinates when the source has none, e.g.\n"
    "                        EPSG:32647 (default EPSG:4326 lon/lat)\n"
    "  --skip-invalid FILE   load the good rows; write each rejected row and its\n"
    "                        reason to FILE (CSV, mode 0600)\n"
    "  --layer NAME          the OGR layer to read (default: the first)\n"
    "  --make-valid          repair invalid polygons (areas, footprints) with\n"
    "                        GEOS instead of refusing them, and close unclosed\n"
    "                        rings; each change is reported as a warning\n"
    "  --allow-bidi          accept bidirectional control characters (U+202A..\n"
    "                        U+202E, U+2066..U+2069) in ids and names\n"
    "  --last-wins           an id given twice in one file: keep the last row\n"
    "                        and warn (default: refuse the file)\n"
    "Areas:\n"
    "  --level LEVEL         province, district, subdistrict or village\n"
    "                        (guessed from ADMn_* field names)\n"
    "  --name-field F        field with the Latin-script name\n"
    "  --name-local-field F  field with the local-script name\n"
    "  --code-field F        field with the code (default: made from the\n"
    "                        parent's code and the Latin name)\n"
    "  --source TEXT         source and attribution recorded with the areas\n",
    run};
