/* tiles_fetch.c: offline packages of a tile service (sinspace tiles fetch).
 *
 * The tiles a map of the region needs (the region with the map's margin,
 * filled out to the page's frame) at one Web Mercator zoom are asked with
 * GDAL's CPLHTTPMultiFetch, a few at a time and no faster than the rate
 * cap, decoded by GDAL and written through GDAL's MBTiles or GeoPackage
 * raster driver into FILE.partial/FILE, a private folder beside FILE.  A
 * tile already in that package is not asked again, so a run that was
 * interrupted or met errors is resumed by running it again.  When every
 * tile is in (or is "no imagery": 404/204), the package is made 0600,
 * moved to FILE without replacing anything unless asked, and catalogued
 * with the service's attribution. */
#include "core/sinspaceInt.h"
#include "core/outfile.h"
#include "io/tiles_int.h"
#include "store/tiles.h"

#include <sinspace/query.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_http.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define R_WM 6378137.0
#define HALF_WORLD (M_PI * R_WM)

void
sinspace_tiles_fetch_options_init(sinspace_tiles_fetch_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->zoom = -1;
    o->dpi = 300;
    o->max_connections = 4;
    o->max_rate = 10;
    o->timeout = 30;
}

/* The service: its catalogue row and its service row. */
typedef struct service {
    sinspace_tile tile;      /* strings owned below */
    char *path, *source, *attribution, *acquired, *kind, *url, *headers;
    int min_zoom, max_zoom;
    int found;
    long long want_id;       /* 0: the finest service over the region */
    const char *want_path;
} service;

static int
on_tile(void *user, const sinspace_tile *t)
{
    service *s = user;
    if (s->found || !t->service || !strcmp(t->service, "package"))
        return 0;
    if (s->want_id ? t->id != s->want_id
                   : s->want_path ? strcmp(t->path, s->want_path) != 0 : 0)
        return 0;
    s->found = 1;
    s->tile = *t;
    s->path = sinspace__strdup(t->path);
    s->source = t->source ? sinspace__strdup(t->source) : NULL;
    s->attribution = t->attribution ? sinspace__strdup(t->attribution) : NULL;
    s->acquired = t->acquired ? sinspace__strdup(t->acquired) : NULL;
    s->tile.path = s->path;
    s->tile.source = s->source;
    s->tile.attribution = s->attribution;
    s->tile.acquired = s->acquired;
    s->tile.footprint_wkb = NULL;
    s->tile.footprint_wkb_size = 0;
    return 1;
}

static int
on_service_row(void *user, const sinspace__tile_service *svc)
{
    service *s = user;
    s->kind = sinspace__strdup(svc->kind);
    s->url = sinspace__strdup(svc->url);
    s->headers = svc->headers ? sinspace__strdup(svc->headers) : NULL;
    s->min_zoom = svc->min_zoom;
    s->max_zoom = svc->max_zoom;
    return 0;
}

static void
service_free(service *s)
{
    free(s->path);
    free(s->source);
    free(s->attribution);
    free(s->acquired);
    free(s->kind);
    free(s->url);
    if (s->headers) {
        memset(s->headers, 0, strlen(s->headers));
        free(s->headers);
    }
}

static double
merc_y(double lat)
{
    return R_WM * log(tan(M_PI / 4 + lat * M_PI / 360));
}

static double
merc_x(double lon)
{
    return R_WM * lon * M_PI / 180;
}

/* The page's frame in mm, as render/page.c lays a map page out. */
static void
frame_mm(const char *paper, int landscape, double *fw, double *fh)
{
    static const struct { const char *name; double w, h; } sizes[] = {
        {"A4", 210, 297}, {"A3", 297, 420}, {"A2", 420, 594},
        {"A1", 594, 841}, {"A0", 841, 1189}, {"Letter", 215.9, 279.4}};
    double w = 210, h = 297;
    for (size_t i = 0; paper && i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcasecmp(paper, sizes[i].name))
            w = sizes[i].w, h = sizes[i].h;
    if (landscape) {
        double t = w;
        w = h;
        h = t;
    }
    double panel_w = fmax(58, fmin(90, w * 0.22));
    *fw = (w - 10 - panel_w - 5) - (10 + 7);
    *fh = (h - 10 - 12 - 7) - (10 + 20);
}

/* The tile URL of z/x/y (TMS counts y from the south). */
static char *
tile_url(const char *tmpl, int tms, int z, long x, long y)
{
    long yy = tms ? (1L << z) - 1 - y : y;
    size_t cap = strlen(tmpl) + 64;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    for (const char *c = tmpl; *c;) {
        if (!strncmp(c, "{z}", 3)) {
            o += sprintf(o, "%d", z);
            c += 3;
        } else if (!strncmp(c, "{x}", 3)) {
            o += sprintf(o, "%ld", x);
            c += 3;
        } else if (!strncmp(c, "{y}", 3)) {
            o += sprintf(o, "%ld", yy);
            c += 3;
        } else if (!strncmp(c, "{-y}", 4)) {
            o += sprintf(o, "%ld", yy);
            c += 4;
        } else {
            *o++ = *c++;
        }
    }
    *o = '\0';
    return out;
}

/* The HTTP status in GDAL's error text, or 0. */
static int
http_code(const CPLHTTPResult *r)
{
    const char *e = r->pszErrBuf ? strstr(r->pszErrBuf, "HTTP error code : ") : NULL;
    return e ? atoi(e + 18) : 0;
}

/* Decodes a tile into RGBA 256x256. */
static int
decode_tile(const GByte *data, int len, unsigned char *rgba, char *why,
            size_t why_n)
{
    static int counter;
    char name[64];
    snprintf(name, sizeof name, "/vsimem/sinspace-fetch-%d", ++counter);
    VSILFILE *f = VSIFileFromMemBuffer(name, (GByte *)data, (vsi_l_offset)len, FALSE);
    if (!f) {
        snprintf(why, why_n, "out of memory");
        return -1;
    }
    VSIFCloseL(f);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(name, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    CPLPopErrorHandler();
    int rc = -1;
    if (!ds) {
        snprintf(why, why_n, "not an image GDAL can read");
    } else if (GDALGetRasterXSize(ds) != 256 || GDALGetRasterYSize(ds) != 256) {
        snprintf(why, why_n, "a %dx%d image, not a 256x256 tile",
                 GDALGetRasterXSize(ds), GDALGetRasterYSize(ds));
    } else {
        int nb = GDALGetRasterCount(ds);
        GDALRasterBandH b1 = GDALGetRasterBand(ds, 1);
        GDALColorTableH ct = nb == 1 ? GDALGetRasterColorTable(b1) : NULL;
        unsigned char *band = malloc(256 * 256);
        rc = band ? 0 : -1;
        for (int c = 0; c < 4 && !rc; c++) {
            int src = nb >= 3 ? (c < 3 ? c + 1 : (nb == 4 ? 4 : 0))
                              : (c < 3 ? 1 : (nb == 2 ? 2 : 0));
            if (ct && c > 0)
                break;
            if (!src) {
                for (int i = 0; i < 256 * 256; i++)
                    rgba[4 * i + c] = 255;
                continue;
            }
            if (GDALRasterIO(GDALGetRasterBand(ds, src), GF_Read, 0, 0, 256, 256,
                             band, 256, 256, GDT_Byte, 0, 0) != CE_None) {
                snprintf(why, why_n, "cannot decode the image");
                rc = -1;
                break;
            }
            if (ct) {
                for (int i = 0; i < 256 * 256; i++) {
                    const GDALColorEntry *e = GDALGetColorEntry(ct, band[i]);
                    rgba[4 * i] = e ? (unsigned char)e->c1 : 0;
                    rgba[4 * i + 1] = e ? (unsigned char)e->c2 : 0;
                    rgba[4 * i + 2] = e ? (unsigned char)e->c3 : 0;
                    rgba[4 * i + 3] = e ? (unsigned char)e->c4 : 0;
                }
            } else {
                for (int i = 0; i < 256 * 256; i++)
                    rgba[4 * i + c] = band[i];
            }
        }
        free(band);
    }
    if (ds)
        GDALClose(ds);
    VSIUnlink(name);
    return rc;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether the package already holds tile (col,row) of its grid: any pixel
 * not transparent. */
static int
has_tile(GDALDatasetH ds, int col, int row, unsigned char *buf)
{
    if (GDALRasterIO(GDALGetRasterBand(ds, 4), GF_Read, col * 256, row * 256,
                     256, 256, buf, 256, 256, GDT_Byte, 0, 0) != CE_None) {
        CPLErrorReset();
        return 0;
    }
    for (int i = 0; i < 256 * 256; i++)
        if (buf[i])
            return 1;
    return 0;
}

sinspace_status
sinspace_tiles_fetch(sinspace_store *store, const sinspace_region *region,
                     const sinspace_tiles_fetch_options *opts,
                     sinspace_tiles_fetch_result *result)
{
    sinspace_context *ctx = store ? sinspace_store_context(store) : NULL;
    if (!store || !region || !opts || !opts->output || !*opts->output)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles fetch: a region and -o FILE are required");
    sinspace_tiles_fetch_result res;
    memset(&res, 0, sizeof res);
    const char *out = opts->output;
    size_t olen = strlen(out);
    const char *drv_name = NULL;
    if (olen > 8 && !strcasecmp(out + olen - 8, ".mbtiles"))
        drv_name = "MBTiles";
    else if (olen > 5 && !strcasecmp(out + olen - 5, ".gpkg"))
        drv_name = "GPKG";
    else
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s: a package is FILE.mbtiles or FILE.gpkg", out);
    if (opts->zoom > 24 || opts->zoom < -1)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "--zoom: from 0 to 24, or auto");
    if (!(opts->dpi > 0 && opts->dpi <= 2400))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "--dpi: from 1 to 2400");
    int maxconn = opts->max_connections > 0 ? opts->max_connections : 4;
    if (maxconn > 16)
        maxconn = 16;
    double rate = opts->max_rate > 0 ? opts->max_rate : 10;
    double timeout = opts->timeout > 0 ? opts->timeout : 30;
    if (!sinspace__store_writable(store))
        return sinspace__error(ctx, SINSPACE_PERMISSION,
                               "%s: opened read-only", sinspace_store_path(store));
    sinspace_status st = sinspace__outfile_check(ctx, out, opts->overwrite);
    if (st)
        return st;

    double bb[4];
    if ((st = sinspace_region_bounds(region, bb)))
        return st;
    if (bb[1] < -85 || bb[3] > 85)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles fetch: the region reaches beyond 85 degrees "
                               "of latitude, outside Web Mercator tiles");

    /* The service. */
    service svc;
    memset(&svc, 0, sizeof svc);
    svc.min_zoom = svc.max_zoom = -1;
    if (opts->service) {
        char *end;
        long long id = strtoll(opts->service, &end, 10);
        if (*opts->service && !*end && id > 0)
            svc.want_id = id;
        else
            svc.want_path = opts->service;
        st = sinspace_tiles_list(store, on_tile, &svc);
    } else {
        st = sinspace_tiles_covering(store, bb, on_tile, &svc);
    }
    if (!st && !svc.found)
        st = sinspace__error(ctx, SINSPACE_NOT_FOUND,
                             opts->service ? "tiles fetch: no tile service %s in "
                                             "the catalogue"
                                           : "tiles fetch: no catalogued tile "
                                             "service covers the region%s",
                             opts->service ? opts->service : "");
    if (!st)
        st = sinspace__store_engine(store)->tiles->service(store, svc.tile.id,
                                                           on_service_row, &svc);
    if (!st && (!svc.kind || (strcmp(svc.kind, "xyz") && strcmp(svc.kind, "tms"))))
        st = sinspace__error(ctx, SINSPACE_UNSUPPORTED,
                             "tiles fetch: %s is a %s service; packages are "
                             "fetched from XYZ/TMS templates (for WMTS/WMS, "
                             "gdal_translate the service to a GeoPackage)",
                             svc.path, svc.kind ? svc.kind : "?");
    if (st) {
        service_free(&svc);
        return st;
    }
    int tms = !strcmp(svc.kind, "tms");
    int minz = svc.min_zoom >= 0 ? svc.min_zoom : 0;
    int maxz = svc.max_zoom >= 0 ? svc.max_zoom : 19;

    /* The frame a map of the region gets: the region with a 5% margin,
     * filled out to the frame's shape (Web Mercator keeps shapes). */
    double x0 = merc_x(bb[0]), x1 = merc_x(bb[2]);
    double y0 = merc_y(bb[1]), y1 = merc_y(bb[3]);
    double w = x1 - x0, h = y1 - y0;
    x0 -= w * 0.05, x1 += w * 0.05, y0 -= h * 0.05, y1 += h * 0.05;
    double fw, fh;
    frame_mm(opts->paper, opts->landscape, &fw, &fh);
    double fpx = fw / 25.4 * opts->dpi, fpy = fh / 25.4 * opts->dpi;
    double pres = fmax((x1 - x0) / fpx, (y1 - y0) / fpy);
    double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    /* 2% more, so rounding in the map's own UTM grid stays inside. */
    x0 = cx - pres * fpx / 2 * 1.02, x1 = cx + pres * fpx / 2 * 1.02;
    y0 = cy - pres * fpy / 2 * 1.02, y1 = cy + pres * fpy / 2 * 1.02;
    double coslat = cos((bb[1] + bb[3]) / 2 * M_PI / 180);
    double page_m = pres * coslat;
    int zoom = opts->zoom;
    if (zoom < 0) {
        /* The coarsest zoom not upsampled by more than 1.5x on the page. */
        zoom = maxz;
        for (int z = minz; z <= maxz; z++)
            if (sinspace__tiles_zoom_res(z) * coslat <= page_m * 1.5) {
                zoom = z;
                break;
            }
    } else if (zoom < minz || zoom > maxz) {
        st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                             "--zoom %d: the service serves zooms %d to %d",
                             zoom, minz, maxz);
        service_free(&svc);
        return st;
    }
    double tile_m = 256 * sinspace__tiles_zoom_res(zoom);
    long n_side = 1L << zoom;
    /* Within the service's extent too. */
    double sx0 = merc_x(svc.tile.west), sx1 = merc_x(svc.tile.east);
    double sy0 = merc_y(fmax(svc.tile.south, -85.0511)),
           sy1 = merc_y(fmin(svc.tile.north, 85.0511));
    if (isfinite(sx0) && isfinite(sx1)) {
        x0 = fmax(x0, sx0), x1 = fmin(x1, sx1);
        y0 = fmax(y0, sy0), y1 = fmin(y1, sy1);
    }
    long tx0 = (long)floor((x0 + HALF_WORLD) / tile_m);
    long tx1 = (long)floor((x1 + HALF_WORLD) / tile_m);
    long ty0 = (long)floor((HALF_WORLD - y1) / tile_m);
    long ty1 = (long)floor((HALF_WORLD - y0) / tile_m);
    tx0 = tx0 < 0 ? 0 : tx0, ty0 = ty0 < 0 ? 0 : ty0;
    tx1 = tx1 >= n_side ? n_side - 1 : tx1, ty1 = ty1 >= n_side ? n_side - 1 : ty1;
    if (tx1 < tx0 || ty1 < ty0) {
        service_free(&svc);
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles fetch: the region is outside the "
                               "service's extent");
    }
    long cols = tx1 - tx0 + 1, rows = ty1 - ty0 + 1;
    long long total = (long long)cols * rows;
    if (total > 200000) {
        service_free(&svc);
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "tiles fetch: %lld tiles at zoom %d; more than "
                               "200000 is a bulk download: choose a smaller "
                               "region or zoom", total, zoom);
    }
    res.tiles = total;
    res.zoom = zoom;

    /* The package in progress: FILE.partial/NAME, private. */
    const char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    size_t plen = olen + 16;
    char *dir = malloc(plen), *pkg = malloc(plen + strlen(base) + 2),
         *statefile = malloc(plen + 16);
    unsigned char *rgba = malloc(256 * 256 * 4);
    char state[4400];
    snprintf(state, sizeof state, "%s\n%d\n%ld %ld %ld %ld\n", svc.path, zoom,
             tx0, ty0, tx1, ty1);
    GDALDatasetH ds = NULL;
    if (!dir || !pkg || !statefile || !rgba) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    snprintf(dir, plen, "%s.partial", out);
    sprintf(pkg, "%s/%s", dir, base);
    sprintf(statefile, "%s/fetch.txt", dir);
    struct stat sb;
    int resume = 0;
    if (stat(dir, &sb) == 0) {
        char old[4400] = "";
        FILE *f = fopen(statefile, "r");
        size_t n = f ? fread(old, 1, sizeof old - 1, f) : 0;
        if (f)
            fclose(f);
        old[n] = '\0';
        if (!strcmp(old, state) && stat(pkg, &sb) == 0) {
            resume = 1;
        } else if (opts->overwrite) {
            unlink(pkg);
            unlink(statefile);
            rmdir(dir);
        } else {
            st = sinspace__error(ctx, SINSPACE_IO,
                                 "%s: left by a different fetch (another "
                                 "service, zoom or region); remove it or give "
                                 "--overwrite", dir);
            goto done;
        }
    }
    GDALDriverH drv = GDALGetDriverByName(drv_name);
    if (!drv) {
        st = sinspace__error(ctx, SINSPACE_UNSUPPORTED, "GDAL has no %s driver",
                             drv_name);
        goto done;
    }
    if (!resume) {
        if (mkdir(dir, 0700) != 0) {
            st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", dir, strerror(errno));
            goto done;
        }
        char **co = NULL;
        co = CSLSetNameValue(co, "TILE_FORMAT", "PNG");
        if (!strcmp(drv_name, "GPKG"))
            co = CSLSetNameValue(co, "TILING_SCHEME", "GoogleMapsCompatible");
        CPLErrorReset();
        GDALDatasetH nds = GDALCreate(drv, pkg, (int)(cols * 256), (int)(rows * 256),
                                      4, GDT_Byte, co);
        CSLDestroy(co);
        if (!nds) {
            st = sinspace__gdal_error(ctx, SINSPACE_IO, pkg);
            goto done;
        }
        double gt[6] = {tx0 * tile_m - HALF_WORLD, tile_m / 256, 0,
                        HALF_WORLD - ty0 * tile_m, 0, -tile_m / 256};
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, 3857);
        GDALSetGeoTransform(nds, gt);
        GDALSetSpatialRef(nds, srs);
        OSRDestroySpatialReference(srs);
        /* Closed once so its extent is on disk before any tile is. */
        GDALClose(nds);
        chmod(pkg, 0600);
        FILE *f = fopen(statefile, "w");
        if (!f || fputs(state, f) == EOF || fclose(f) != 0) {
            st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", statefile, strerror(errno));
            goto done;
        }
        chmod(statefile, 0600);
    }
    CPLErrorReset();
    ds = GDALOpenEx(pkg, GDAL_OF_RASTER | GDAL_OF_UPDATE | GDAL_OF_VERBOSE_ERROR,
                    NULL, NULL, NULL);
    if (!ds) {
        st = sinspace__gdal_error(ctx, SINSPACE_IO, pkg);
        goto done;
    }
    if (GDALGetRasterXSize(ds) != cols * 256 || GDALGetRasterYSize(ds) != rows * 256 ||
        GDALGetRasterCount(ds) != 4) {
        st = sinspace__error(ctx, SINSPACE_IO, "%s: not the package this fetch "
                             "started; remove it or give --overwrite", pkg);
        goto done;
    }
    /* Which tiles are still to fetch. */
    long long *todo = malloc((size_t)total * sizeof *todo);
    long long n_todo = 0;
    if (!todo) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    for (long long i = 0; i < total; i++) {
        if (resume && has_tile(ds, (int)(i % cols), (int)(i / cols), rgba))
            res.present++;
        else
            todo[n_todo++] = i;
    }
    if (opts->plan) {
        sinspace_tiles_fetch_plan plan = {total, res.present,
                                          (double)n_todo * 20000.0, zoom,
                                          sinspace__tiles_zoom_res(zoom) * coslat,
                                          svc.path};
        if (opts->plan(opts->user_data, &plan)) {
            free(todo);
            goto done;
        }
    }
    char ua[128];
    snprintf(ua, sizeof ua, "%s", opts->user_agent ? opts->user_agent : "");
    if (!*ua)
        snprintf(ua, sizeof ua, "sinspace/%s", sinspace_version());
    char tmo[32];
    snprintf(tmo, sizeof tmo, "%g", timeout);
    char **http = NULL;
    http = CSLSetNameValue(http, "TIMEOUT", tmo);
    http = CSLSetNameValue(http, "CONNECTTIMEOUT", tmo);
    http = CSLSetNameValue(http, "USERAGENT", ua);
    http = CSLSetNameValue(http, "MAX_RETRY", "2");
    http = CSLSetNameValue(http, "RETRY_DELAY", "1");
    if (svc.headers)
        http = CSLSetNameValue(http, "HEADERS", svc.headers);
    long long done_n = 0;
    for (long long b = 0; b < n_todo && !st; b += maxconn) {
        int n = (int)(n_todo - b < maxconn ? n_todo - b : maxconn);
        char *urls[16];
        double t0 = now_s();
        for (int i = 0; i < n; i++) {
            long long k = todo[b + i];
            urls[i] = tile_url(svc.url, tms, zoom, tx0 + (long)(k % cols),
                               ty0 + (long)(k / cols));
        }
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLHTTPResult **r = CPLHTTPMultiFetch((const char *const *)urls, n,
                                              maxconn, http);
        CPLPopErrorHandler();
        for (int i = 0; i < n; i++) {
            long long k = todo[b + i];
            long tx = tx0 + (long)(k % cols), ty = ty0 + (long)(k / cols);
            CPLHTTPResult *one = r ? r[i] : NULL;
            int code = one ? http_code(one) : 0;
            char why[200] = "";
            if (!one) {
                snprintf(why, sizeof why, "no answer");
            } else if (code == 404 || code == 204 ||
                       (one->nStatus == 0 && !one->pszErrBuf && one->nDataLen == 0)) {
                res.empty++;
                continue;
            } else if (code) {
                snprintf(why, sizeof why, "HTTP %d", code);
            } else if (one->nStatus != 0 || one->pszErrBuf) {
                snprintf(why, sizeof why, "%s%s",
                         one->nStatus == 28 ? "timed out: " : "",
                         one->pszErrBuf ? one->pszErrBuf : "request failed");
            } else if (decode_tile(one->pabyData, one->nDataLen, rgba, why,
                                   sizeof why) == 0) {
                if (GDALDatasetRasterIO(ds, GF_Write, (int)(k % cols) * 256,
                                        (int)(k / cols) * 256, 256, 256, rgba,
                                        256, 256, GDT_Byte, 4, NULL, 4, 256 * 4,
                                        1) != CE_None) {
                    st = sinspace__gdal_error(ctx, SINSPACE_IO, pkg);
                    break;
                }
                res.fetched++;
                continue;
            }
            /* The tile named, never the URL (it may carry a key). */
            res.failed++;
            if (!res.failure[0])
                snprintf(res.failure, sizeof res.failure, "tile %d/%ld/%ld: %s",
                         zoom, tx, ty, why);
            sinspace__log(ctx, SINSPACE_LOG_WARNING, "tile %d/%ld/%ld: %s", zoom,
                          tx, ty, why);
        }
        if (r)
            CPLHTTPDestroyMultiResult(r, n);
        for (int i = 0; i < n; i++)
            free(urls[i]);
        /* On disk after every batch: an interruption keeps them. */
        GDALFlushCache(ds);
        done_n += n;
        if (!st)
            st = sinspace__progress(ctx, "tiles", (double)done_n, (double)n_todo);
        double wait = n / rate - (now_s() - t0);
        if (!st && wait > 0)
            usleep((useconds_t)(wait * 1e6));
    }
    CSLDestroy(http);
    free(todo);
    CPLErrorReset();
    GDALClose(ds);
    ds = NULL;
    if (!st && CPLGetLastErrorType() >= CE_Failure)
        st = sinspace__gdal_error(ctx, SINSPACE_IO, pkg);
    if (st)
        goto done;
    chmod(pkg, 0600);
    if (res.failed && !opts->partial) {
        st = sinspace__error(ctx, SINSPACE_IO,
                             "tiles fetch: %lld of %lld tiles failed (first: %s); "
                             "%s is a valid package holding the %lld fetched: "
                             "run the same command again to fetch the rest, or "
                             "give --partial to keep it as it is",
                             res.failed, total, res.failure, pkg,
                             res.present + res.fetched);
        goto done;
    }
    if ((st = sinspace__outfile_place(ctx, pkg, out, opts->overwrite)))
        goto done;
    unlink(statefile);
    {
        /* GDAL's side file of the package, if it wrote one. */
        char aux[4200];
        snprintf(aux, sizeof aux, "%s.aux.xml", pkg);
        unlink(aux);
    }
    rmdir(dir);
    st = sinspace__tiles_add_package(store, out, &svc.tile, zoom, &res.tile_id);
done:
    if (ds)
        GDALClose(ds);
    free(dir);
    free(pkg);
    free(statefile);
    free(rgba);
    service_free(&svc);
    if (result)
        *result = res;
    return st;
}
