/* cmd_fence.c: sinspace fence add|list|rm: saved polygons to query by
 * (sinspace query --fence NAME). */
#include "cli.h"

#include <string.h>

static int
print_fence(void *user, const sinspace_fence_desc *d)
{
    (void)user;
    printf("%-24s %-16s %-20s %12.3f %9lld  %s\n", d->name, d->added_by, d->added_at,
           d->area_km2, d->vertices, d->description ? d->description : "");
    return 0;
}

static int
fence_add(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"description", required_argument, NULL, 'd'},
        {"srs", required_argument, NULL, 's'},
        {"make-valid", no_argument, NULL, 'm'},
        {NULL, 0, NULL, 0}};
    const char *description = NULL, *srs = NULL;
    int make_valid = 0, opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': description = optarg; break;
        case 's': srs = optarg; break;
        case 'm': make_valid = 1; break;
        default: return cli_usage_error(&cmd_fence, "bad option");
        }
    }
    if (argc - optind != 3)
        return cli_usage_error(&cmd_fence, "fence add takes DB NAME FILE");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_region *region = NULL;
    sinspace_status st = sinspace_region_from_file(c->ctx, argv[optind + 2], srs,
                                                   make_valid, &region);
    if (!st)
        st = sinspace_fence_add(store, argv[optind + 1], description, region);
    if (st)
        rc = cli_fail(c, st);
    else if (!c->quiet)
        fprintf(stderr, "sinspace: fence '%s' saved\n", argv[optind + 1]);
    sinspace_region_destroy(region);
    sinspace_store_close(store);
    return rc;
}

static int
fence_list(cli *c, int argc, char **argv)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_fence, "bad option");
    if (argc - optind != 1)
        return cli_usage_error(&cmd_fence, "fence list takes DB");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    printf("%-24s %-16s %-20s %12s %9s  %s\n", "name", "added_by", "added_at",
           "area_km2", "vertices", "description");
    sinspace_status st = sinspace_fence_list(store, print_fence, NULL);
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
    return rc;
}

static int
fence_rm(cli *c, int argc, char **argv)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_fence, "bad option");
    if (argc - optind != 2)
        return cli_usage_error(&cmd_fence, "fence rm takes DB NAME");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_status st = sinspace_fence_remove(store, argv[optind + 1]);
    if (st)
        rc = cli_fail(c, st);
    else if (!c->quiet)
        fprintf(stderr, "sinspace: fence '%s' removed\n", argv[optind + 1]);
    sinspace_store_close(store);
    return rc;
}

static int
run(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_fence, "expected add, list or rm");
    /* The action is argv[1]; its own options follow. */
    const char *action = argv[1];
    if (!strcmp(action, "add"))
        return fence_add(c, argc - 1, argv + 1);
    if (!strcmp(action, "list"))
        return fence_list(c, argc - 1, argv + 1);
    if (!strcmp(action, "rm"))
        return fence_rm(c, argc - 1, argv + 1);
    return cli_usage_error(&cmd_fence, "unknown action '%s': expected add, list or rm",
                           action);
}

const cli_command cmd_fence = {
    "fence", "save, list and remove named polygons (fences) to query by",
    "Usage: sinspace fence add DB NAME FILE [--description TEXT] [--srs CRS]\n"
    "                          [--make-valid]\n"
    "       sinspace fence list DB\n"
    "       sinspace fence rm DB NAME\n\n"
    "add   saves the polygon of FILE (GeoJSON, WKT or any OGR source, checked\n"
    "      like sinspace query --within: an invalid polygon is refused with\n"
    "      the reason, exit 3, unless --make-valid repairs it) as fence NAME,\n"
    "      with who added it and when.\n"
    "list  prints name, added by, when (UTC), area in km2 (ellipsoidal),\n"
    "      vertex count and description.\n"
    "rm    removes fence NAME.\n\n"
    "Query a fence with: sinspace query DB --fence NAME.  Adding and removing\n"
    "are written to the audit trail.\n",
    run};
