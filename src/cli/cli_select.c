/* cli_select.c: the options that select workplaces, shared by query and
 * export: one region (--within, --area, --fence, --zone, --near with
 * --radius, --bbox; --srs, --make-valid, --buffer) and the filters
 * (--min-risk, --class, --sector, --status, --seen-since, --changed-since,
 * --limit, --sort).  The filters are the library's table
 * (sinspace_filter_options), parsed by sinspace_filter_set: the web API
 * parses its query strings with the same, so both doors accept and refuse
 * the same values with the same words. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_WITHIN = CLI_OPT_SELECT, O_SRS, O_MAKE_VALID, O_AREA, O_FENCE, O_ZONE,
    O_NEAR, O_RADIUS, O_BBOX, O_BUFFER,
    O_FILTER /* then one value per option of sinspace_filter_options() */
};

/* The region options, in the order --help lists them (getopt names
 * ambiguous abbreviations in table order); the filters follow from the
 * library's table, the one the web API parses with. */
static const struct option region_options[] = {
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
    const sinspace_filter_option *fo = sinspace_filter_options();
    size_t nb = count_options(before), nr = count_options(region_options),
           na = count_options(after), nf = 0;
    while (fo[nf].name)
        nf++;
    if (nb + nr + nf + na + 1 > cap)
        return 0;
    if (nb)
        memcpy(opts, before, nb * sizeof *opts);
    memcpy(opts + nb, region_options, nr * sizeof *opts);
    for (size_t i = 0; i < nf; i++)
        opts[nb + nr + i] = (struct option){fo[i].name, required_argument, NULL,
                                            O_FILTER + (int)i};
    if (na)
        memcpy(opts + nb + nr + nf, after, na * sizeof *opts);
    opts[nb + nr + nf + na] = (struct option){NULL, 0, NULL, 0};
    return nb + nr + nf + na;
}

int
cli_select_init(cli_select *s, int argc)
{
    (void)argc;
    memset(s, 0, sizeof *s);
    sinspace_filter_init(&s->filter);
    return 0;
}

void
cli_select_free(cli_select *s)
{
    sinspace_filter_clear(&s->filter);
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

/* An option given once (a second is refused, not silently taken). */
static int
set_once(const cli_command *cmd, const char *name, const char **slot,
         const char *arg)
{
    if (*slot)
        return cli_usage_error(cmd, "%s is given twice (it takes one value)", name);
    *slot = arg;
    return EXIT_OK;
}

static int
set_region(const cli_command *cmd, cli_select *s, const char *name,
           const char **slot, const char *arg)
{
    int rc = set_once(cmd, name, slot, arg);
    if (!rc)
        s->n_regions++;
    return rc;
}

int
cli_select_option(cli *c, const cli_command *cmd, cli_select *s, int opt,
                  const char *arg)
{
    switch (opt) {
    case O_WITHIN: return set_region(cmd, s, "--within", &s->within, arg);
    case O_AREA: return set_region(cmd, s, "--area", &s->area, arg);
    case O_FENCE: return set_region(cmd, s, "--fence", &s->fence, arg);
    case O_ZONE: return set_region(cmd, s, "--zone", &s->zone, arg);
    case O_NEAR: return set_region(cmd, s, "--near", &s->near, arg);
    case O_BBOX: return set_region(cmd, s, "--bbox", &s->bbox, arg);
    case O_SRS: return set_once(cmd, "--srs", &s->srs, arg);
    case O_MAKE_VALID: s->make_valid = 1; return EXIT_OK;
    case O_RADIUS: return set_once(cmd, "--radius", &s->radius, arg);
    case O_BUFFER: return set_once(cmd, "--buffer", &s->buffer, arg);
    default:
        break;
    }
    const sinspace_filter_option *fo = sinspace_filter_options();
    int i = opt - O_FILTER, n = 0;
    while (fo[n].name)
        n++;
    if (i < 0 || i >= n)
        return -1;
    char name[64];
    snprintf(name, sizeof name, "--%s", fo[i].name);
    if (sinspace_filter_set(c->ctx, &s->filter, name, arg)) {
        int rc = cli_usage_error(cmd, "%s", sinspace_context_message(c->ctx));
        sinspace_context_clear(c->ctx);
        return rc;
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
        return cli_usage_error(cmd, "--sort distance needs a circle: --near "
                               "LON,LAT --radius DIST");
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
    /* A zone counts the open workplaces inside it: so does --zone, unless
     * --status says otherwise. */
    if (s->zone && !s->filter.status &&
        sinspace_filter_set(NULL, &s->filter, "--status", "open") == SINSPACE_OK)
        s->have_filter = 1;
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
