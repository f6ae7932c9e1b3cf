/* cli_select.c: the options that select workplaces, shared by query and
 * export: one region (--within, --area, --fence, --zone, --near with
 * --radius, --bbox; --srs, --make-valid, --buffer) and the filters
 * (--min-risk, --class, --sector, --status, --seen-since, --changed-since,
 * --limit).  One option table, one parser and one region builder, so both
 * commands accept and refuse the same values with the same words. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_WITHIN = CLI_OPT_SELECT, O_SRS, O_MAKE_VALID, O_AREA, O_FENCE, O_ZONE,
    O_NEAR, O_RADIUS, O_BBOX, O_BUFFER, O_MIN_RISK, O_CLASS, O_SECTOR,
    O_STATUS, O_SEEN, O_CHANGED, O_LIMIT
};

/* In the order --help lists them (getopt names ambiguous abbreviations in
 * table order). */
static const struct option select_options[] = {
    {"within", required_argument, NULL, O_WITHIN},
    {"srs", required_argument, NULL, O_SRS},
    {"make-valid", no_argument, NULL, O_MAKE_VALID},
    {"area", required_argument, NULL, O_AREA},
    {"fence", required_argument, NULL, O_FENCE},
    {"zone", required_argument, NULL, O_ZONE},
    {"near", required_argument, NULL, O_NEAR},
    {"radius", required_argument, NULL, O_RADIUS},
    {"bbox", required_argument, NULL, O_BBOX},
    {"buffer", required_argument, NULL, O_BUFFER},
    {"min-risk", required_argument, NULL, O_MIN_RISK},
    {"class", required_argument, NULL, O_CLASS},
    {"sector", required_argument, NULL, O_SECTOR},
    {"status", required_argument, NULL, O_STATUS},
    {"seen-since", required_argument, NULL, O_SEEN},
    {"changed-since", required_argument, NULL, O_CHANGED},
    {"limit", required_argument, NULL, O_LIMIT},
    {NULL, 0, NULL, 0}};

static size_t
count_options(const struct option *o)
{
    size_t n = 0;
    while (o && o[n].name)
        n++;
    return n;
}

size_t
cli_select_longopts(struct option *opts, size_t cap, const struct option *before,
                    const struct option *after)
{
    size_t nb = count_options(before), ns = count_options(select_options),
           na = count_options(after);
    if (nb + ns + na + 1 > cap)
        return 0;
    if (nb)
        memcpy(opts, before, nb * sizeof *opts);
    memcpy(opts + nb, select_options, ns * sizeof *opts);
    if (na)
        memcpy(opts + nb + ns, after, na * sizeof *opts);
    opts[nb + ns + na] = (struct option){NULL, 0, NULL, 0};
    return nb + ns + na;
}

int
cli_select_init(cli_select *s, int argc)
{
    memset(s, 0, sizeof *s);
    sinspace_filter_init(&s->filter);
    /* Every argument could be a --sector. */
    s->sectors = calloc((size_t)argc + 1, sizeof *s->sectors);
    return s->sectors ? 0 : -1;
}

void
cli_select_free(cli_select *s)
{
    free(s->sectors);
    s->sectors = NULL;
}

/* A whole number above 0 (--limit, --zone); -1 otherwise. */
static int
parse_positive(const char *arg, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (end == arg || *end || errno || v <= 0)
        return -1;
    *out = v;
    return 0;
}

int
cli_select_option(const cli_command *cmd, cli_select *s, int opt, const char *arg)
{
    switch (opt) {
    case O_WITHIN: s->within = arg; s->n_regions++; return EXIT_OK;
    case O_AREA: s->area = arg; s->n_regions++; return EXIT_OK;
    case O_FENCE: s->fence = arg; s->n_regions++; return EXIT_OK;
    case O_ZONE: s->zone = arg; s->n_regions++; return EXIT_OK;
    case O_NEAR: s->near = arg; s->n_regions++; return EXIT_OK;
    case O_BBOX: s->bbox = arg; s->n_regions++; return EXIT_OK;
    case O_SRS: s->srs = arg; return EXIT_OK;
    case O_MAKE_VALID: s->make_valid = 1; return EXIT_OK;
    case O_RADIUS: s->radius = arg; return EXIT_OK;
    case O_BUFFER: s->buffer = arg; return EXIT_OK;
    case O_MIN_RISK:
        if (cli_parse_number(arg, &s->filter.min_risk) < 0 ||
            s->filter.min_risk < 1.0 || s->filter.min_risk > 3.0)
            return cli_usage_error(cmd, "--min-risk takes a number from 1 to 3, "
                                   "not '%s'", arg);
        break;
    case O_CLASS:
        if (cli_parse_classes(arg, &s->filter.classes) < 0)
            return cli_usage_error(cmd, "--class takes low, medium, high or "
                                   "unscored (comma-separated), not '%s'", arg);
        break;
    case O_SECTOR:
        s->sectors[s->filter.n_sectors++] = arg;
        s->filter.sectors = s->sectors;
        break;
    case O_STATUS: s->filter.status = arg; break;
    case O_SEEN: s->filter.seen_since = arg; break;
    case O_CHANGED: s->filter.changed_since = arg; break;
    case O_LIMIT:
        if (parse_positive(arg, &s->filter.limit) < 0)
            return cli_usage_error(cmd, "--limit takes a whole number above 0, "
                                   "not '%s'", arg);
        break;
    default:
        return -1;
    }
    s->have_filter = 1;
    return EXIT_OK;
}

int
cli_select_check(const cli_command *cmd, cli_select *s, int need_region)
{
    if (need_region && s->n_regions != 1)
        return cli_usage_error(cmd, s->n_regions ? "give only one region"
                                                 : "give a region: --within, --area, "
                                                   "--fence, --zone, --near or --bbox");
    if (s->n_regions > 1)
        return cli_usage_error(cmd, "give only one region");
    if ((s->srs || s->make_valid) && !s->within)
        return cli_usage_error(cmd, "--srs and --make-valid go with --within FILE");
    if (!s->near != !s->radius)
        return cli_usage_error(cmd, s->near ? "--near needs --radius"
                                            : "--radius goes with --near LON,LAT");
    if (s->filter.sort == SINSPACE_SORT_DISTANCE && !s->near)
        return cli_usage_error(cmd, "--sort distance needs --near");
    if (s->buffer && !s->n_regions)
        return cli_usage_error(cmd, "--buffer grows a region; give one");
    if (s->near && cli_parse_numbers(s->near, s->centre, 2) < 0)
        return cli_usage_error(cmd, "--near takes LON,LAT in degrees, not '%s'",
                               s->near);
    if (s->bbox && cli_parse_numbers(s->bbox, s->box, 4) < 0)
        return cli_usage_error(cmd, "--bbox takes W,S,E,N in degrees, not '%s'",
                               s->bbox);
    if (s->zone && parse_positive(s->zone, &s->zone_id) < 0)
        return cli_usage_error(cmd, "--zone takes a zone id, not '%s'", s->zone);
    return EXIT_OK;
}

int
cli_select_distances(cli *c, const cli_command *cmd, cli_select *s)
{
    if (s->radius && sinspace_parse_distance(c->ctx, s->radius, &s->radius_m))
        return cli_usage_error(cmd, "--radius: %s", sinspace_context_message(c->ctx));
    if (s->buffer && sinspace_parse_distance(c->ctx, s->buffer, &s->buffer_m))
        return cli_usage_error(cmd, "--buffer: %s", sinspace_context_message(c->ctx));
    return EXIT_OK;
}

sinspace_status
cli_select_region(cli *c, sinspace_store *store, const cli_select *s,
                  sinspace_region **out)
{
    sinspace_status st = SINSPACE_OK;
    *out = NULL;
    if (s->within)
        st = sinspace_region_from_file(c->ctx, s->within, s->srs, s->make_valid, out);
    else if (s->area)
        st = sinspace_region_from_area(store, s->area, out);
    else if (s->fence)
        st = sinspace_region_from_fence(store, s->fence, out);
    else if (s->zone)
        st = sinspace_region_from_zone(store, s->zone_id, out);
    else if (s->near)
        st = sinspace_region_from_circle(c->ctx, s->centre[0], s->centre[1],
                                         s->radius_m, out);
    else if (s->bbox)
        st = sinspace_region_from_bbox(c->ctx, s->box[0], s->box[1], s->box[2],
                                       s->box[3], out);
    if (!st && s->buffer)
        st = sinspace_region_buffer(*out, s->buffer_m);
    return st;
}
