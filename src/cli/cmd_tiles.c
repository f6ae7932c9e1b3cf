/* cmd_tiles.c: sinspace tiles add|list|rm|cover: the imagery catalogue. */
#include "cli.h"

#include <sinspace/tiles.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Writes a CSV field, quoted when it needs to be. */
static void
csv_field(FILE *f, const char *s, int last)
{
    if (s && strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else if (s) {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

/* A table collected in memory and printed with aligned columns. */
#define MAX_COLS 10
typedef struct table {
    int ncols;
    char **cells; /* row-major */
    size_t nrows, cap;
    int failed;
} table;

static void
table_add(table *t, const char *const *cells)
{
    if (t->failed)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->cells, cap * t->ncols * sizeof *p);
        if (!p) {
            t->failed = 1;
            return;
        }
        t->cells = p;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++) {
        char *c = strdup(cells[i] ? cells[i] : "");
        if (!c)
            t->failed = 1;
        t->cells[t->nrows * t->ncols + i] = c;
    }
    t->nrows++;
}

static void
table_print(table *t, FILE *f)
{
    size_t w[MAX_COLS] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (int i = 0; i < t->ncols; i++) {
            const char *c = t->cells[r * t->ncols + i];
            size_t n = c ? strlen(c) : 0;
            if (n > w[i])
                w[i] = n;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int i = 0; i < t->ncols; i++) {
            const char *c = t->cells[r * t->ncols + i];
            if (i == t->ncols - 1)
                fprintf(f, "%s\n", c ? c : "");
            else
                fprintf(f, "%-*s  ", (int)w[i], c ? c : "");
        }
    }
}

static void
table_free(table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

static const char *
crs_short(const char *crs)
{
    if (!crs)
        return "";
    return strchr(crs, '[') ? "(WKT)" : crs;
}

static void
fmt_pixel_m(char *buf, size_t n, double m)
{
    if (!isfinite(m))
        snprintf(buf, n, "?");
    else if (m < 10)
        snprintf(buf, n, "%.2f", m);
    else
        snprintf(buf, n, "%.1f", m);
}

/* --- add ---------------------------------------------------------------- */

/* A whole number in [lo, hi]; -1 when it is not one. */
static int
parse_int_in(const char *s, int lo, int hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    return (int)v;
}

static int
run_add(cli *c, int argc, char **argv)
{
    enum { O_MINZ = 300, O_MAXZ, O_EXTENT, O_HEADER, O_LAYER, O_TMS };
    static const struct option longopts[] = {
        {"date", required_argument, NULL, 'd'},
        {"source", required_argument, NULL, 's'},
        {"attribution", required_argument, NULL, 'a'},
        {"min-zoom", required_argument, NULL, O_MINZ},
        {"max-zoom", required_argument, NULL, O_MAXZ},
        {"extent", required_argument, NULL, O_EXTENT},
        {"header", required_argument, NULL, O_HEADER},
        {"layer", required_argument, NULL, O_LAYER},
        {"tile-matrix-set", required_argument, NULL, O_TMS},
        {NULL, 0, NULL, 0}};
    sinspace_tiles_add_options o;
    sinspace_tiles_add_options_init(&o);
    sinspace_tiles_service_options so;
    sinspace_tiles_service_options_init(&so);
    const char *headers[16];
    size_t n_headers = 0;
    int service_only = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': o.acquired = so.acquired = optarg; break;
        case 's': o.source = so.source = optarg; break;
        case 'a': o.attribution = so.attribution = optarg; break;
        case O_MINZ:
        case O_MAXZ: {
            int z = parse_int_in(optarg, 0, 24);
            if (z < 0)
                return cli_usage_error(&cmd_tiles, "--%s: a zoom from 0 to 24",
                                       opt == O_MINZ ? "min-zoom" : "max-zoom");
            *(opt == O_MINZ ? &so.min_zoom : &so.max_zoom) = z;
            service_only = 1;
            break;
        }
        case O_EXTENT:
            if (cli_parse_numbers(optarg, so.extent, 4))
                return cli_usage_error(&cmd_tiles, "--extent: expected W,S,E,N in degrees");
            so.has_extent = 1;
            service_only = 1;
            break;
        case O_HEADER:
            /* The value may be a key: never echo it. */
            if (n_headers == sizeof headers / sizeof headers[0])
                return cli_usage_error(&cmd_tiles, "--header: at most 16");
            headers[n_headers++] = optarg;
            service_only = 1;
            break;
        case O_LAYER: so.layer = optarg; service_only = 1; break;
        case O_TMS: so.matrix_set = optarg; service_only = 1; break;
        default: return cli_usage_error(&cmd_tiles, "bad option for tiles add");
        }
    }
    if (argc - optind < 2)
        return cli_usage_error(&cmd_tiles, "tiles add: expected DB and at least one RASTER or a SERVICE URL");
    int is_service = sinspace_tiles_is_service(argv[optind + 1]);
    if (is_service && argc - optind != 2)
        return cli_usage_error(&cmd_tiles, "tiles add: a tile service is added on its own");
    if (!is_service && service_only)
        return cli_usage_error(&cmd_tiles, "tiles add: --min-zoom, --max-zoom, --extent, "
                               "--header, --layer and --tile-matrix-set are for tile services");
    so.headers = headers;
    so.n_headers = n_headers;
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    if (is_service) {
        long long id = 0;
        sinspace_status st = sinspace_tiles_add_service(store, argv[optind + 1], &so, &id);
        if (st)
            rc = cli_fail(c, st);
        else if (!c->quiet)
            fprintf(stderr, "sinspace: tiles: service %lld catalogued\n", id);
        sinspace_store_close(store);
        return rc;
    }
    sinspace_tiles_add_result r;
    sinspace_status st = sinspace_tiles_add(store, (const char *const *)argv + optind + 1,
                                            (size_t)(argc - optind - 1), &o, &r);
    if (st)
        rc = cli_fail(c, st);
    else if (!c->quiet)
        fprintf(stderr, "sinspace: tiles: %lld added, %lld updated\n",
                r.inserted, r.updated);
    sinspace_store_close(store);
    return rc;
}

/* --- fetch -------------------------------------------------------------- */

static int
print_plan(void *user, const sinspace_tiles_fetch_plan *p)
{
    cli *c = user;
    if (!c->quiet)
        fprintf(stderr, "sinspace: tiles fetch: %lld tiles at zoom %d (%.2f m/px), "
                "%lld already in the package, about %.1f MB to fetch\n",
                p->tiles, p->zoom, p->pixel_size_m, p->present,
                p->estimated_bytes / 1e6);
    return 0;
}

static int
run_fetch(cli *c, int argc, char **argv)
{
    enum { O_ZOOM = CLI_OPT_OWN, O_PAPER, O_DPI, O_LANDSCAPE, O_SERVICE,
           O_OVERWRITE, O_CONN, O_RATE, O_TIMEOUT, O_PARTIAL, O_UA };
    static const struct option own[] = {
        {"zoom", required_argument, NULL, O_ZOOM},
        {"paper", required_argument, NULL, O_PAPER},
        {"dpi", required_argument, NULL, O_DPI},
        {"landscape", no_argument, NULL, O_LANDSCAPE},
        {"service", required_argument, NULL, O_SERVICE},
        {"overwrite", no_argument, NULL, O_OVERWRITE},
        {"max-connections", required_argument, NULL, O_CONN},
        {"max-rate", required_argument, NULL, O_RATE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"partial", no_argument, NULL, O_PARTIAL},
        {"user-agent", required_argument, NULL, O_UA},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0}};
    struct option longopts[64];
    cli_select_longopts(longopts, sizeof longopts / sizeof *longopts, NULL, own);
    cli_select sel;
    if (cli_select_init(&sel, argc) < 0)
        return EXIT_FAILURE_;
    sinspace_tiles_fetch_options o;
    sinspace_tiles_fetch_options_init(&o);
    int opt, rc = EXIT_OK;
    double v;
    while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': o.output = optarg; break;
        case O_ZOOM:
            if (!strcmp(optarg, "auto"))
                o.zoom = -1;
            else if ((o.zoom = parse_int_in(optarg, 0, 24)) < 0)
                rc = cli_usage_error(&cmd_tiles, "--zoom: 0 to 24, or auto");
            break;
        case O_PAPER:
            if (sinspace_paper_parse(optarg) == SINSPACE_PAPER_INVALID)
                rc = cli_usage_error(&cmd_tiles, "--paper: A4, A3, A2, A1, A0 or Letter");
            o.paper = optarg;
            break;
        case O_DPI:
            if (cli_parse_number(optarg, &v) || v < 1 || v > 2400)
                rc = cli_usage_error(&cmd_tiles, "--dpi: from 1 to 2400");
            o.dpi = v;
            break;
        case O_LANDSCAPE: o.landscape = 1; break;
        case O_SERVICE: o.service = optarg; break;
        case O_OVERWRITE: o.overwrite = 1; break;
        case O_CONN:
            if ((o.max_connections = parse_int_in(optarg, 1, 16)) < 0)
                rc = cli_usage_error(&cmd_tiles, "--max-connections: 1 to 16");
            break;
        case O_RATE:
            if (cli_parse_number(optarg, &v) || !(v > 0) || v > 1000)
                rc = cli_usage_error(&cmd_tiles, "--max-rate: requests per second, above 0");
            o.max_rate = v;
            break;
        case O_TIMEOUT:
            if (cli_parse_number(optarg, &v) || !(v > 0) || v > 3600)
                rc = cli_usage_error(&cmd_tiles, "--timeout: seconds, above 0");
            o.timeout = v;
            break;
        case O_PARTIAL: o.partial = 1; break;
        case O_UA: o.user_agent = optarg; break;
        default: {
            int r = cli_select_option(c, &cmd_tiles, &sel, opt, optarg);
            if (r < 0)
                rc = cli_usage_error(&cmd_tiles, "bad option for tiles fetch");
            else if (r)
                rc = r;
        }
        }
        if (rc) {
            cli_select_free(&sel);
            return rc;
        }
    }
    if (argc - optind != 1 || !o.output) {
        cli_select_free(&sel);
        return cli_usage_error(&cmd_tiles, "tiles fetch: expected DB, a region "
                               "(--area, --within or --bbox) and -o FILE");
    }
    if (sel.have_filter) {
        cli_select_free(&sel);
        return cli_usage_error(&cmd_tiles, "tiles fetch: workplace filters do not apply");
    }
    if ((rc = cli_select_check(&cmd_tiles, &sel, 1)) ||
        (rc = cli_select_distances(c, &cmd_tiles, &sel))) {
        cli_select_free(&sel);
        return rc;
    }
    sinspace_store *store = NULL;
    if ((rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store))) {
        cli_select_free(&sel);
        return rc;
    }
    sinspace_region *region = NULL;
    sinspace_status st = cli_select_region(c, store, &sel, &region);
    o.plan = print_plan;
    o.user_data = c;
    sinspace_tiles_fetch_result r;
    memset(&r, 0, sizeof r);
    if (!st)
        st = sinspace_tiles_fetch(store, region, &o, &r);
    cli_progress_done(c);
    if (st)
        rc = cli_fail(c, st);
    else if (!c->quiet)
        fprintf(stderr, "sinspace: tiles fetch: %s: %lld tiles fetched, %lld "
                "already there, %lld with no imagery (404), %lld failed; "
                "catalogued as tile %lld\n", o.output, r.fetched, r.present,
                r.empty, r.failed, r.tile_id);
    sinspace_region_destroy(region);
    sinspace_store_close(store);
    cli_select_free(&sel);
    return rc;
}

/* --- list --------------------------------------------------------------- */

typedef struct list_state {
    int csv;
    table t;
    long long missing;
} list_state;

static int
list_row(void *user, const sinspace_tile *tile)
{
    list_state *s = user;
    char id[24], size[48], px[32], pxm[32];
    snprintf(id, sizeof id, "%lld", tile->id);
    if (tile->service && strcmp(tile->service, "package") && tile->max_zoom < 0)
        snprintf(size, sizeof size, "%s", tile->service);
    else if (tile->service && strcmp(tile->service, "package"))
        snprintf(size, sizeof size, "%s z%d-%d", tile->service,
                 tile->min_zoom, tile->max_zoom);
    else if (tile->service)
        snprintf(size, sizeof size, "%dx%dx%d z%d", tile->width, tile->height,
                 tile->bands, tile->max_zoom);
    else
        snprintf(size, sizeof size, "%dx%dx%d", tile->width, tile->height, tile->bands);
    snprintf(px, sizeof px, "%.10g", tile->pixel_size);
    if (s->csv && isfinite(tile->pixel_size_m))
        snprintf(pxm, sizeof pxm, "%.3f", tile->pixel_size_m);
    else
        fmt_pixel_m(pxm, sizeof pxm, tile->pixel_size_m);
    if (tile->missing)
        s->missing++;
    if (s->csv) {
        char w[24], h[24], b[24];
        snprintf(w, sizeof w, "%d", tile->width);
        snprintf(h, sizeof h, "%d", tile->height);
        snprintf(b, sizeof b, "%d", tile->bands);
        const char *f[] = {id, tile->path, tile->missing ? "missing" : "ok",
                           tile->driver, tile->crs, w, h, b, px, pxm,
                           tile->acquired, tile->source, tile->attribution};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            csv_field(stdout, f[i], i + 1 == sizeof f / sizeof f[0]);
        return 0;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s%s", tile->path,
             tile->missing ? "  MISSING" : "");
    const char *cells[] = {id, crs_short(tile->crs), size, pxm,
                           tile->acquired ? tile->acquired : "-",
                           tile->source ? tile->source : "-", path};
    table_add(&s->t, cells);
    return 0;
}

static int
parse_format(const char *arg, int *csv)
{
    if (!strcmp(arg, "csv"))
        *csv = 1;
    else if (!strcmp(arg, "table"))
        *csv = 0;
    else
        return -1;
    return 0;
}

static int
run_list(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    list_state s = {0};
    s.t.ncols = 7;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt != 'f' || parse_format(optarg, &s.csv))
            return cli_usage_error(&cmd_tiles, "tiles list: --format takes table or csv");
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_tiles, "tiles list: expected DB");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    if (s.csv)
        fputs("id,path,status,driver,crs,width,height,bands,pixel_size,"
              "pixel_size_m,acquired,source,attribution\n", stdout);
    else {
        const char *hdr[] = {"ID", "CRS", "SIZE", "PIXEL_M", "DATE", "SOURCE", "PATH"};
        table_add(&s.t, hdr);
    }
    sinspace_status st = sinspace_tiles_list(store, list_row, &s);
    if (st)
        rc = cli_fail(c, st);
    else if (!s.csv) {
        table_print(&s.t, stdout);
        printf("%zu tile%s", s.t.nrows - 1, s.t.nrows == 2 ? "" : "s");
        if (s.missing)
            printf(", %lld MISSING (file gone or moved: add it again from its "
                   "new place, or rm it)", s.missing);
        printf("\n");
    }
    if (s.t.failed && !rc) {
        fprintf(stderr, "sinspace: out of memory\n");
        rc = EXIT_FAILURE_;
    }
    table_free(&s.t);
    sinspace_store_close(store);
    return rc;
}

/* --- rm ----------------------------------------------------------------- */

static int
run_rm(cli *c, int argc, char **argv)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_tiles, "tiles rm: unknown option");
    if (argc - optind < 2)
        return cli_usage_error(&cmd_tiles, "tiles rm: expected DB and ID or PATH");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    for (int i = optind + 1; i < argc && !rc; i++) {
        long long id = 0;
        sinspace_status st = sinspace_tiles_remove(store, argv[i], &id);
        if (st)
            rc = cli_fail(c, st);
        else if (!c->quiet)
            fprintf(stderr, "sinspace: tile %lld removed from the catalogue "
                    "(the file is untouched)\n", id);
    }
    sinspace_store_close(store);
    return rc;
}

/* --- cover -------------------------------------------------------------- */

typedef struct cover_state {
    int csv;
    table covered, uncovered;
} cover_state;

static int
cover_row(void *user, const sinspace_tile_cover *r)
{
    cover_state *s = user;
    char wid[24], tid[24] = "", pxm[32] = "", lon[32], lat[32];
    snprintf(wid, sizeof wid, "%lld", r->workplace_id);
    snprintf(lon, sizeof lon, "%.7f", r->lon);
    snprintf(lat, sizeof lat, "%.7f", r->lat);
    if (r->tile) {
        snprintf(tid, sizeof tid, "%lld", r->tile->id);
        if (s->csv && isfinite(r->tile->pixel_size_m))
            snprintf(pxm, sizeof pxm, "%.3f", r->tile->pixel_size_m);
        else
            fmt_pixel_m(pxm, sizeof pxm, r->tile->pixel_size_m);
    }
    if (s->csv) {
        const char *f[] = {wid, r->ext_id, r->name, r->sector, lon, lat, tid,
                           r->tile ? r->tile->path : NULL, pxm,
                           r->tile ? r->tile->acquired : NULL};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            csv_field(stdout, f[i], i + 1 == sizeof f / sizeof f[0]);
        return 0;
    }
    if (r->tile) {
        const char *cells[] = {r->ext_id, r->name, r->sector, tid, pxm,
                               r->tile->acquired ? r->tile->acquired : "-",
                               r->tile->path};
        table_add(&s->covered, cells);
    } else {
        const char *cells[] = {r->ext_id, r->name, r->sector, lon, lat};
        table_add(&s->uncovered, cells);
    }
    return 0;
}

static int
run_cover(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    cover_state s = {0};
    s.covered.ncols = 7;
    s.uncovered.ncols = 5;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt != 'f' || parse_format(optarg, &s.csv))
            return cli_usage_error(&cmd_tiles, "tiles cover: --format takes table or csv");
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_tiles, "tiles cover: expected DB");
    sinspace_store *store = NULL;
    /* Read-write only for the audit row: workplace names are shown. */
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    const char *h1[] = {"WORKPLACE", "NAME", "SECTOR", "TILE", "PIXEL_M", "DATE", "PATH"};
    const char *h2[] = {"WORKPLACE", "NAME", "SECTOR", "LON", "LAT"};
    if (s.csv)
        fputs("workplace_id,ext_id,name,sector,lon,lat,tile_id,tile_path,"
              "pixel_size_m,acquired\n", stdout);
    else {
        table_add(&s.covered, h1);
        table_add(&s.uncovered, h2);
    }
    sinspace_tiles_cover_stats stats;
    sinspace_status st = sinspace_tiles_cover(store, cover_row, &s, &stats);
    if (!st) {
        sinspace_audit_entry e = {0};
        e.command = "tiles cover";
        e.target = argv[optind];
        e.rows = stats.workplaces;
        st = sinspace_audit_record(store, &e);
    }
    if (st) {
        rc = cli_fail(c, st);
    } else {
        if (!s.csv) {
            if (s.covered.nrows > 1)
                table_print(&s.covered, stdout);
            if (s.uncovered.nrows > 1) {
                printf("%sWorkplaces with no imagery:\n", s.covered.nrows > 1 ? "\n" : "");
                table_print(&s.uncovered, stdout);
            }
        }
        fprintf(s.csv ? stderr : stdout,
                "%s%lld of %lld workplaces covered by imagery\n",
                s.csv ? "sinspace: " : (stats.workplaces ? "\n" : ""),
                stats.covered, stats.workplaces);
    }
    if ((s.covered.failed || s.uncovered.failed) && !rc) {
        fprintf(stderr, "sinspace: out of memory\n");
        rc = EXIT_FAILURE_;
    }
    table_free(&s.covered);
    table_free(&s.uncovered);
    sinspace_store_close(store);
    return rc;
}

static int
run(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_tiles, "expected add, list, rm or cover");
    const char *sub = argv[1];
    /* Each subcommand parses its own options from its own argv[0]. */
    cli_getopt_reset();
    if (!strcmp(sub, "add"))
        return run_add(c, argc - 1, argv + 1);
    if (!strcmp(sub, "list") || !strcmp(sub, "ls"))
        return run_list(c, argc - 1, argv + 1);
    if (!strcmp(sub, "rm") || !strcmp(sub, "remove"))
        return run_rm(c, argc - 1, argv + 1);
    if (!strcmp(sub, "cover"))
        return run_cover(c, argc - 1, argv + 1);
    if (!strcmp(sub, "fetch"))
        return run_fetch(c, argc - 1, argv + 1);
    return cli_usage_error(&cmd_tiles, "no tiles subcommand '%s' (add, list, rm, cover, fetch)", sub);
}

const cli_command cmd_tiles = {
    "tiles", "register satellite/aerial imagery and see which workplaces it covers",
    "Usage: sinspace tiles add DB RASTER... [--date YYYY-MM-DD] [--source TEXT]\n"
    "                          [--attribution TEXT]\n"
    "       sinspace tiles add DB SERVICE-URL --attribution TEXT [--source TEXT]\n"
    "                          [--min-zoom N] [--max-zoom N] [--extent W,S,E,N]\n"
    "                          [--header \"Name: value\"]... [--layer L]\n"
    "                          [--tile-matrix-set T] [--date YYYY-MM-DD]\n"
    "       sinspace tiles fetch DB --area X|--within F|--bbox W,S,E,N\n"
    "                          [--zoom N|auto] [--paper A4 --dpi 300 --landscape]\n"
    "                          [--service ID|URL] [--max-connections 4]\n"
    "                          [--max-rate 10] [--timeout 30] [--partial]\n"
    "                          [--overwrite] -o FILE.mbtiles|FILE.gpkg\n"
    "       sinspace tiles list DB [--format table|csv]\n"
    "       sinspace tiles rm DB ID|PATH...\n"
    "       sinspace tiles cover DB [--format table|csv]\n\n"
    "add      registers rasters GDAL opens (GeoTIFF, COG, JPEG2000, VRT,\n"
    "         MBTiles, ...) in any CRS: absolute path, driver, CRS, size, pixel\n"
    "         size, acquisition date and the true footprint (the pixel grid's\n"
    "         outline in EPSG:4326, through the geotransform or the GCPs).\n"
    "         The files stay where they are.  All files in one transaction:\n"
    "         one unreadable (exit 1) or corrupt (exit 3) raster adds nothing.\n"
    "         Adding a path again updates it.\n"
    "           --date D          acquisition date (default: from the\n"
    "                             metadata, TIFFTAG_DATETIME or\n"
    "                             ACQUISITIONDATETIME; else none)\n"
    "           --source TEXT     e.g. \"Copernicus Sentinel-2\"\n"
    "           --attribution T   the credit line maps print\n"
    "         A SERVICE-URL is an XYZ/TMS template (https://host/{z}/{x}/{y}.png,\n"
    "         {-y} for TMS), a WMTS GetCapabilities or WMS URL, or a GDAL\n"
    "         WMS/WMTS description file; only its metadata is read.\n"
    "         --attribution is required; --header values (keys) are kept in\n"
    "         the database and never printed.  See docs/imagery.md.\n"
    "fetch    an offline package of a service's tiles for the maps of a\n"
    "         region: count and size first, progress, resumes an interrupted\n"
    "         run (FILE.partial/), 404 = no imagery; catalogued when whole\n"
    "list     the catalogue; files gone from their path are marked MISSING\n"
    "rm       unregisters tiles by id or path (the files are not deleted)\n"
    "cover    for each workplace, the finest then newest tile covering it,\n"
    "         then the workplaces with no imagery and a summary line (on\n"
    "         stderr with --format csv)\n",
    run};
