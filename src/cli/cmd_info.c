/* cmd_info.c: sinspace info DB: what a store holds. */
#include "cli.h"

static int
print_layer(void *user, const sinspace_layer_desc *l)
{
    (void)user;
    /* As QGIS names them: a table with two geometry columns is two layers. */
    char name[160];
    snprintf(name, sizeof name, "%s (%s)", l->name, l->geometry_column);
    printf("  %-26s %-6s %-13s EPSG:%-6d %lld\n", name,
           l->is_view ? "view" : "table", l->geometry_type, l->srid, l->features);
    return 0;
}

static int
stop_at_first(void *user, const sinspace_tile_cover *row)
{
    (void)user;
    (void)row;
    return 1; /* only the counts are wanted */
}

static int
run(cli *c, int argc, char **argv)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_info, "unknown option");
    if (argc - optind != 1)
        return cli_usage_error(&cmd_info, "expected one database path");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    sinspace_store_info info;
    sinspace_status st = sinspace_store_info_get(store, &info);
    if (st) {
        rc = cli_fail(c, st);
        sinspace_store_close(store);
        return rc;
    }
    printf("database        %s\n", argv[optind]);
    printf("schema version  %d (created %s)\n", info.schema_version, info.created);
    printf("workplaces      %lld (high %lld, medium %lld, low %lld, unscored %lld)\n",
           info.workplaces, info.by_class[SINSPACE_RISK_CLASS_HIGH],
           info.by_class[SINSPACE_RISK_CLASS_MEDIUM],
           info.by_class[SINSPACE_RISK_CLASS_LOW], info.by_class[SINSPACE_RISK_NONE]);
    printf("observations    %lld", info.observations);
    if (info.first_observed[0])
        printf(" (%s to %s)", info.first_observed, info.last_observed);
    printf("\nareas           %lld (province %lld, district %lld, subdistrict %lld, village %lld)\n",
           info.areas, info.areas_by_level[1], info.areas_by_level[2],
           info.areas_by_level[3], info.areas_by_level[4]);
    printf("tiles           %lld", info.tiles);
    if (info.tiles > 0 && info.workplaces > 0) {
        sinspace_tiles_cover_stats cs;
        st = sinspace_tiles_cover(store, stop_at_first, NULL, &cs);
        if (st) {
            rc = cli_fail(c, st);
            sinspace_store_close(store);
            return rc;
        }
        printf(" (imagery covers %lld of %lld workplaces; see: sinspace tiles cover)",
               cs.covered, cs.workplaces);
    }
    printf("\n");
    printf("fences          %lld\n", info.fences);
    printf("zones           %lld\n", info.zones);
    printf("audit entries   %lld\n", info.audit_entries);
    if (info.has_extent)
        printf("extent          %.6f, %.6f - %.6f, %.6f (lon/lat, EPSG:4326)\n",
               info.min_lon, info.min_lat, info.max_lon, info.max_lat);
    else
        printf("extent          (empty)\n");
    printf("layers:\n");
    st = sinspace_store_layers(store, print_layer, NULL);
    rc = st ? cli_fail(c, st) : EXIT_OK;
    sinspace_store_close(store);
    return rc;
}

const cli_command cmd_info = {
    "info", "summarise a database: counts, extent, layers, schema",
    "Usage: sinspace info DB\n\n"
    "Prints the schema version, the number of workplaces by risk class,\n"
    "observations and their dates, areas by level, tiles, fences, zones,\n"
    "audit entries, the extent and every spatial layer.\n",
    run};
