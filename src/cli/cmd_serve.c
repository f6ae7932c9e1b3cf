/* cmd_serve.c: sinspace serve DB: the planners' local web map until
 * interrupted (SIGINT or SIGTERM). */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static int
run(cli *c, int argc, char **argv)
{
    enum { O_PORT = 256, O_BIND, O_TOKEN, O_THREADS, O_MAX_BODY, O_CACHE,
           O_VENDOR, O_STYLE, O_INTERNAL_TOKEN };
    static const struct option longopts[] = {
        {"port", required_argument, NULL, O_PORT},
        {"bind", required_argument, NULL, O_BIND},
        {"token", required_argument, NULL, O_TOKEN},
        {"threads", required_argument, NULL, O_THREADS},
        {"max-body", required_argument, NULL, O_MAX_BODY},
        {"cache-mb", required_argument, NULL, O_CACHE},
        {"vendor-dir", required_argument, NULL, O_VENDOR},
        {"style", required_argument, NULL, O_STYLE},
        {"internal-token", required_argument, NULL, O_INTERNAL_TOKEN},
        {NULL, 0, NULL, 0}};
    const cli_command *cmd = &cmd_serve;
    sinspace_server_options o;
    sinspace_server_options_init(&o);
    o.port = 8080;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        long v;
        switch (opt) {
        case O_PORT:
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || errno || v < 0 || v > 65535)
                return cli_usage_error(cmd, "--port takes 0 to 65535 (0: any free "
                                       "port), not '%s'", optarg);
            o.port = (int)v;
            break;
        case O_BIND: o.bind = optarg; break;
        case O_TOKEN: o.token = optarg; break;
        case O_INTERNAL_TOKEN: o.internal_token = optarg; break;
        case O_THREADS:
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 64)
                return cli_usage_error(cmd, "--threads takes 1 to 64, not '%s'", optarg);
            o.threads = (int)v;
            break;
        case O_MAX_BODY:
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1024 || v > 64L * 1024 * 1024)
                return cli_usage_error(cmd, "--max-body takes 1024 to 67108864 bytes, "
                                       "not '%s'", optarg);
            o.max_body = (size_t)v;
            break;
        case O_CACHE:
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 4096)
                return cli_usage_error(cmd, "--cache-mb takes 1 to 4096, not '%s'", optarg);
            o.cache_bytes = (size_t)v << 20;
            break;
        case O_VENDOR: o.vendor_dir = optarg; break;
        case O_STYLE: o.style_path = optarg; break;
        default: return cli_usage_error(cmd, "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(cmd, "expected one database path");
    o.db_path = argv[optind];

    /* The signals are waited for below, so block them before the server's
     * threads start: they inherit the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    sinspace_server *server = NULL;
    sinspace_status st = sinspace_server_start(c->ctx, &o, &server);
    if (st)
        return cli_fail(c, st);
    const char *bind = o.bind ? o.bind : "127.0.0.1";
    int v6 = strchr(bind, ':') != NULL;
    const char *token = sinspace_server_token(server);
    printf("sinspace serve: http://%s%s%s:%d/%s%s\n", v6 ? "[" : "", bind,
           v6 ? "]" : "", sinspace_server_port(server), token ? "?token=" : "",
           token ? token : "");
    if (token)
        printf("token: %s (required on every request: Authorization: Bearer "
               "TOKEN, or ?token=TOKEN)\n", token);
    printf("press Ctrl-C to stop\n");
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    sinspace_server_stop(server);
    if (!c->quiet)
        fprintf(stderr, "sinspace serve: stopped\n");
    return EXIT_OK;
}

const cli_command cmd_serve = {
    "serve", "a local web map for planners: draw a polygon, see the workplaces",
    "Usage: sinspace serve DB [--port 8080] [--bind 127.0.0.1] [--token T]\n\n"
    "Serves a slippy map of DB (imagery, areas, zones, workplaces by risk) and\n"
    "its API until Ctrl-C.  Draw a polygon, rectangle or circle to list the\n"
    "workplaces inside (the same rows as `sinspace query --within`), save it\n"
    "as a fence, download the rows as GeoJSON or CSV, or print a PDF map.\n\n"
    "  --port N          port (default 8080; 0: any free port, printed)\n"
    "  --bind ADDR       address to listen on (default 127.0.0.1, loopback\n"
    "                    only).  Any other address requires a token\n"
    "  --token T         token every request must carry (at least 16\n"
    "                    characters), as 'Authorization: Bearer T' or\n"
    "                    ?token=T.  With a non-loopback --bind and no --token\n"
    "                    one is generated and printed\n"
    "  --internal-token T  a second token (16 characters at least) whose\n"
    "                    bearer may also export for the internal audience;\n"
    "                    without it no web request may (not printed)\n"
    "  --threads N       worker threads (default 4)\n"
    "  --max-body BYTES  largest request body (default 1048576; 413 beyond)\n"
    "  --cache-mb N      tile cache size in MiB (default 64)\n"
    "  --vendor-dir DIR  node_modules holding leaflet and leaflet-draw\n"
    "                    (default: the build's web/vendor-src/node_modules,\n"
    "                    filled by scripts/deps-npm.sh)\n"
    "  --style SLD       workplace symbology for tiles (default: built-in)\n\n"
    "Endpoints: / (the page), /tiles/Z/X/Y.png[?layers=imagery,areas,zones,\n"
    "workplaces], GET /api/info, /api/areas[?level=L], /api/fences,\n"
    "/api/zones, /api/export?layer=&audience=&format=geojson|csv (or POST\n"
    "with a drawn polygon), POST /api/query (GeoJSON body or area=, fence=,\n"
    "zone=, bbox=, near= with radius=; the filters of `sinspace query`:\n"
    "min_risk, class, sector, status, seen_since, changed_since, limit,\n"
    "sort), POST\n"
    "/api/fences?name=N[&description=D], POST /api/map (PDF).  Every API call\n"
    "writes an audit row.  See docs/serve.md.\n",
    run};
