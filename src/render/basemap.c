/* render_basemap.c: the imagery under a map.
 *
 * The tiles are warped in one GDALWarp call (the same engine and options as
 * `gdalwarp -te -ts -t_srs -r bilinear -ovr AUTO`) into an in-memory dataset
 * of exactly the map frame's pixel grid, so a map pixel and the warped
 * pixel are the same pixel, then copied into a cairo ARGB32 surface with
 * the destination alpha band as its alpha.  Pixels are never altered here. */
#include "render/render_int.h"
#include "store/features.h"
#include "store/tiles.h"

#include <sinspace/tiles.h>

#include <cpl_conv.h>
#include <cpl_hash_set.h>
#include <cpl_minixml.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>

#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The headers (keys) of the services whose descriptions are in /vsimem/:
 * set as GDAL_HTTP_HEADERS only while GDALWarp reads them, never written
 * into a file. */
#define MAX_KEYED 32
static pthread_mutex_t keyed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char *path, *headers; } keyed[MAX_KEYED];

static void
keyed_set(const char *path, const char *headers)
{
    pthread_mutex_lock(&keyed_lock);
    int free_slot = -1;
    for (int i = 0; i < MAX_KEYED; i++) {
        if (keyed[i].path && !strcmp(keyed[i].path, path)) {
            free_slot = -2;
            break;
        }
        if (!keyed[i].path && free_slot == -1)
            free_slot = i;
    }
    if (free_slot >= 0) {
        keyed[free_slot].path = sinspace__strdup(path);
        keyed[free_slot].headers = sinspace__strdup(headers);
    }
    pthread_mutex_unlock(&keyed_lock);
}

/* The headers for the first keyed path among paths, copied, or NULL. */
static char *
keyed_find(const char *const *paths, int n)
{
    char *h = NULL;
    pthread_mutex_lock(&keyed_lock);
    for (int j = 0; j < n && !h; j++)
        for (int i = 0; i < MAX_KEYED && !h; i++)
            if (keyed[i].path && !strcmp(keyed[i].path, paths[j]))
                h = sinspace__strdup(keyed[i].headers);
    pthread_mutex_unlock(&keyed_lock);
    return h;
}

sinspace_status
sinspace__basemap_warp(sinspace_context *ctx, const char *const *paths, int n,
                       const char *dst_wkt, const double te[4], int w, int h,
                       cairo_surface_t **out)
{
    if (n <= 0 || w <= 0 || h <= 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "basemap: nothing to warp");
    GDALAllRegister();
    sinspace_status st = SINSPACE_OK;
    GDALDatasetH *src = calloc((size_t)n, sizeof *src);
    GDALDatasetH dst = NULL;
    GDALWarpAppOptions *wo = NULL;
    char **argv = NULL;
    cairo_surface_t *surface = NULL;
    unsigned char *row = NULL;
    if (!src)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    /* A keyed service: its headers only while this opens and warps it.
     * GDAL's option is process-wide (the warp reads in other threads). */
    char *headers = keyed_find(paths, n);
    if (headers)
        CPLSetConfigOption("GDAL_HTTP_HEADERS", headers);
    int bands = 0;
    for (int i = 0; i < n; i++) {
        src[i] = GDALOpen(paths[i], GA_ReadOnly);
        if (!src[i]) {
            st = sinspace__gdal_error(ctx, SINSPACE_IO, paths[i]);
            goto cleanup;
        }
        int b = GDALGetRasterCount(src[i]);
        /* A mask-carrying 2- or 4-band source keeps its colour bands. */
        int colour = (b == 2 || b == 4) ? b - 1 : b;
        if (colour != 1 && colour != 3) {
            st = sinspace__error(ctx, SINSPACE_UNSUPPORTED,
                                 "%s: %d bands; a basemap tile needs 1 (grey) "
                                 "or 3 (RGB) Byte bands", paths[i], b);
            goto cleanup;
        }
        if (GDALGetRasterDataType(GDALGetRasterBand(src[i], 1)) != GDT_Byte) {
            st = sinspace__error(ctx, SINSPACE_UNSUPPORTED,
                                 "%s: not 8-bit imagery; make a Byte RGB "
                                 "rendition (gdal_translate -ot Byte -scale)",
                                 paths[i]);
            goto cleanup;
        }
        if (bands && colour != bands) {
            /* GDALWarp takes its band count from the first source. */
            st = sinspace__error(ctx, SINSPACE_UNSUPPORTED,
                                 "%s: %d colour band(s) where the other tiles of "
                                 "this map have %d; catalogue one kind per area",
                                 paths[i], colour, bands);
            goto cleanup;
        }
        bands = colour;
    }
    char num[6][40];
    snprintf(num[0], sizeof num[0], "%.17g", te[0]);
    snprintf(num[1], sizeof num[1], "%.17g", te[1]);
    snprintf(num[2], sizeof num[2], "%.17g", te[2]);
    snprintf(num[3], sizeof num[3], "%.17g", te[3]);
    snprintf(num[4], sizeof num[4], "%d", w);
    snprintf(num[5], sizeof num[5], "%d", h);
    argv = CSLAddString(argv, "-of");
    argv = CSLAddString(argv, "MEM");
    argv = CSLAddString(argv, "-t_srs");
    argv = CSLAddString(argv, dst_wkt);
    argv = CSLAddString(argv, "-te");
    for (int i = 0; i < 4; i++)
        argv = CSLAddString(argv, num[i]);
    argv = CSLAddString(argv, "-ts");
    argv = CSLAddString(argv, num[4]);
    argv = CSLAddString(argv, num[5]);
    argv = CSLAddString(argv, "-r");
    argv = CSLAddString(argv, "bilinear");
    argv = CSLAddString(argv, "-ovr");
    argv = CSLAddString(argv, "AUTO");
    argv = CSLAddString(argv, "-dstalpha");
    /* Both cores: reading and decompressing the overview's tiles in one
     * thread, warping chunks in the others (same kernel, same pixels). */
    argv = CSLAddString(argv, "-multi");
    argv = CSLAddString(argv, "-wo");
    argv = CSLAddString(argv, "NUM_THREADS=ALL_CPUS");
    argv = CSLAddString(argv, "-wm");
    argv = CSLAddString(argv, "256");
    wo = GDALWarpAppOptionsNew(argv, NULL);
    if (!wo) {
        st = sinspace__gdal_error(ctx, SINSPACE_ERROR, "basemap: warp options");
        goto cleanup;
    }
    int usage_error = 0;
    dst = GDALWarp("", NULL, n, src, wo, &usage_error);
    if (!dst) {
        st = sinspace__gdal_error(ctx, SINSPACE_ERROR, "basemap: GDALWarp");
        goto cleanup;
    }
    int nb = GDALGetRasterCount(dst);
    if (GDALGetRasterXSize(dst) != w || GDALGetRasterYSize(dst) != h || nb < 2) {
        st = sinspace__error(ctx, SINSPACE_ERROR,
                             "basemap: GDALWarp made %dx%dx%d, expected %dx%d",
                             GDALGetRasterXSize(dst), GDALGetRasterYSize(dst),
                             nb, w, h);
        goto cleanup;
    }
    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY,
                             "basemap: no memory for a %dx%d image", w, h);
        goto cleanup;
    }
    row = malloc((size_t)w * 4);
    if (!row) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto cleanup;
    }
    cairo_surface_flush(surface);
    unsigned char *data = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    int colour = nb - 1; /* the last band is the alpha -dstalpha added */
    for (int y = 0; y < h && !st; y++) {
        /* Read R, G, B (or grey) and A interleaved into row. */
        int map[4] = {1, colour >= 3 ? 2 : 1, colour >= 3 ? 3 : 1, nb};
        if (GDALDatasetRasterIO(dst, GF_Read, 0, y, w, 1, row, w, 1, GDT_Byte,
                                4, map, 4, 4 * w, 1) != CE_None) {
            st = sinspace__gdal_error(ctx, SINSPACE_ERROR, "basemap: reading");
            break;
        }
        uint32_t *px = (uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            unsigned r = row[4 * x], g = row[4 * x + 1], b = row[4 * x + 2],
                     a = row[4 * x + 3];
            /* cairo wants premultiplied alpha. */
            if (a != 255) {
                r = (r * a + 127) / 255;
                g = (g * a + 127) / 255;
                b = (b * a + 127) / 255;
            }
            px[x] = (uint32_t)a << 24 | r << 16 | g << 8 | b;
        }
    }
    cairo_surface_mark_dirty(surface);
cleanup:
    free(row);
    if (dst)
        GDALClose(dst);
    GDALWarpAppOptionsFree(wo);
    CSLDestroy(argv);
    for (int i = 0; i < n; i++)
        if (src[i])
            GDALClose(src[i]);
    free(src);
    if (headers) {
        CPLSetConfigOption("GDAL_HTTP_HEADERS", NULL);
        memset(headers, 0, strlen(headers));
        free(headers);
    }
    if (st) {
        if (surface)
            cairo_surface_destroy(surface);
        return st;
    }
    *out = surface;
    return SINSPACE_OK;
}

/* ------------------------------------------------------------------ */
/* Choosing the imagery of a frame */

typedef struct pick {
    long long id;
    char *path, *service, *acquired, *source, *attribution;
    double pixel_size_m;
    int covers;        /* the footprint covers the whole frame */
} pick;

typedef struct pick_state {
    render_map *m;
    GEOSGeometry *frame;   /* the frame's lon/lat box */
    pick *p;
    int n, cap;
    int failed;
} pick_state;

static int
on_candidate(void *user, const sinspace_tile *t)
{
    pick_state *ps = user;
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 8;
        pick *np = realloc(ps->p, (size_t)cap * sizeof *np);
        if (!np) {
            ps->failed = 1;
            return 1;
        }
        ps->p = np;
        ps->cap = cap;
    }
    pick *k = &ps->p[ps->n++];
    memset(k, 0, sizeof *k);
    k->id = t->id;
    k->path = sinspace__strdup(t->path);
    k->service = t->service ? sinspace__strdup(t->service) : NULL;
    k->acquired = t->acquired ? sinspace__strdup(t->acquired) : NULL;
    k->source = t->source ? sinspace__strdup(t->source) : NULL;
    k->attribution = t->attribution ? sinspace__strdup(t->attribution) : NULL;
    k->pixel_size_m = t->pixel_size_m;
    GEOSContextHandle_t gh = ps->m->ctx->geos;
    GEOSGeometry *fp = t->footprint_wkb
        ? GEOSGeomFromWKB_buf_r(gh, t->footprint_wkb, t->footprint_wkb_size)
        : NULL;
    k->covers = fp && ps->frame && GEOSCovers_r(gh, fp, ps->frame) == 1;
    if (fp)
        GEOSGeom_destroy_r(gh, fp);
    return 0;
}

static void
picks_free(pick_state *ps)
{
    for (int i = 0; i < ps->n; i++) {
        free(ps->p[i].path);
        free(ps->p[i].service);
        free(ps->p[i].acquired);
        free(ps->p[i].source);
        free(ps->p[i].attribution);
    }
    free(ps->p);
    if (ps->frame)
        GEOSGeom_destroy_r(ps->m->ctx->geos, ps->frame);
}

static int
is_service(const pick *k)
{
    return k->service && strcmp(k->service, "package") != 0;
}

/* The candidates, best first, and how many of them the frame uses. */
static sinspace_status
choose(render_map *m, pick_state *ps, int *used)
{
    memset(ps, 0, sizeof *ps);
    ps->m = m;
    *used = 0;
    GEOSContextHandle_t gh = m->ctx->geos;
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(gh, 5, 2);
    if (seq) {
        const double xs[5] = {m->ll[0], m->ll[2], m->ll[2], m->ll[0], m->ll[0]};
        const double ys[5] = {m->ll[1], m->ll[1], m->ll[3], m->ll[3], m->ll[1]};
        for (int i = 0; i < 5; i++)
            GEOSCoordSeq_setXY_r(gh, seq, (unsigned)i, xs[i], ys[i]);
        GEOSGeometry *ring = GEOSGeom_createLinearRing_r(gh, seq);
        ps->frame = ring ? GEOSGeom_createPolygon_r(gh, ring, NULL, 0) : NULL;
    }
    /* A web tile of the whole world can come back from PROJ with west >
     * east or a little beyond the poles: ask for the world then. */
    double box[4] = {m->ll[0], m->ll[1], m->ll[2], m->ll[3]};
    if (!(box[0] < box[2]) || !isfinite(box[0]) || !isfinite(box[2]))
        box[0] = -180, box[2] = 180;
    if (!(box[1] < box[3]) || !isfinite(box[1]) || !isfinite(box[3]))
        box[1] = -90, box[3] = 90;
    sinspace_status st = sinspace_tiles_covering(m->store, box, on_candidate, ps);
    if (!st && ps->failed)
        st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (st)
        return st;
    /* A package covering the frame holds what this map needs from its
     * service: no request then (nor with --offline). */
    int offline = sinspace_tiles_offline();
    for (int i = 0; i < ps->n && !offline; i++)
        if (ps->p[i].service && !strcmp(ps->p[i].service, "package") &&
            ps->p[i].covers)
            offline = 1;
    /* Best first; keep down to the first that covers the frame. */
    int k = 0;
    for (int i = 0; i < ps->n; i++) {
        if (offline && is_service(&ps->p[i])) {
            free(ps->p[i].path);
            free(ps->p[i].service);
            free(ps->p[i].acquired);
            free(ps->p[i].source);
            free(ps->p[i].attribution);
            continue;
        }
        ps->p[k++] = ps->p[i];
    }
    ps->n = k;
    for (int i = 0; i < ps->n; i++) {
        (*used)++;
        if (ps->p[i].covers)
            break;
    }
    if (offline)
        sinspace__log(m->ctx, SINSPACE_LOG_DEBUG,
                      "map: offline: no tile service is asked");
    return SINSPACE_OK;
}

/* Appends text to a growing string. */
static int
cat_text(char **s, size_t *len, size_t *cap, const char *t)
{
    size_t n = strlen(t);
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *p = realloc(*s, c);
        if (!p)
            return -1;
        *s = p;
        *cap = c;
    }
    memcpy(*s + *len, t, n + 1);
    *len += n;
    return 0;
}

/* The XML-escaped copy of s. */
static char *
xml_escape(const char *s)
{
    return CPLEscapeString(s, -1, CPLES_XML);
}

typedef struct service_row {
    char *xml_path;
    sinspace_status st;
    render_map *m;
} service_row;

/* The private disk cache of a store's tile services: DB.imagery-cache/,
 * 0700, beside the database (what it holds shows where a team looks). */
static char *
cache_dir(render_map *m)
{
    /* Absolute: GDAL resolves a relative cache path against whatever the
     * working directory is when a block is read. */
    char *db = realpath(sinspace_store_path(m->store), NULL);
    if (!db)
        return NULL;
    size_t n = strlen(db) + 32;
    char *dir = malloc(n);
    if (!dir) {
        free(db);
        return NULL;
    }
    snprintf(dir, n, "%s.imagery-cache", db);
    free(db);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        free(dir);
        return NULL;
    }
    chmod(dir, 0700);
    return dir;
}

/* A WMTS or WMS service ("WMTS:URL,layer=..,tilematrixset=.." or
 * "WMS:URL"): GDAL opens it (reading its capabilities), writes its own
 * description of it to /vsimem/, to which the private disk cache is
 * added. */
static int
describe_ogc(service_row *r, const sinspace__tile_service *svc)
{
    render_map *m = r->m;
    if (svc->headers && *svc->headers)
        CPLSetConfigOption("GDAL_HTTP_HEADERS", svc->headers);
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(svc->url, GDAL_OF_RASTER | GDAL_OF_READONLY |
                                 GDAL_OF_VERBOSE_ERROR, NULL, NULL, NULL);
    char path[128];
    snprintf(path, sizeof path, "/vsimem/sinspace-imagery/%lld.xml", svc->tile_id);
    GDALDriverH drv = GDALGetDriverByName(strcmp(svc->kind, "wmts") ? "WMS" : "WMTS");
    GDALDatasetH copy = ds && drv ? GDALCreateCopy(drv, path, ds, FALSE, NULL, NULL, NULL)
                                  : NULL;
    if (svc->headers && *svc->headers)
        CPLSetConfigOption("GDAL_HTTP_HEADERS", NULL);
    if (copy)
        GDALClose(copy);
    if (ds)
        GDALClose(ds);
    if (!copy) {
        char what[160];
        snprintf(what, sizeof what, "map: tile service %lld (%s) cannot be opened",
                 svc->tile_id, svc->kind);
        r->st = sinspace__gdal_error(m->ctx, SINSPACE_IO, what);
        return 1;
    }
    /* Add the cache to GDAL's description. */
    CPLXMLNode *root = CPLParseXMLFile(path);
    char *cache = cache_dir(m);
    if (root && cache) {
        CPLXMLNode *top = root->eType == CXT_Element ? root : root->psNext;
        CPLXMLNode *c = top ? CPLGetXMLNode(top, "Cache") : NULL;
        if (top && !c)
            c = CPLCreateXMLNode(top, CXT_Element, "Cache");
        if (c && !CPLGetXMLNode(c, "Path"))
            CPLCreateXMLElementAndValue(c, "Path", cache);
        CPLSerializeXMLTreeToFile(root, path);
    }
    if (root)
        CPLDestroyXMLNode(root);
    free(cache);
    if (svc->headers && *svc->headers)
        keyed_set(path, svc->headers);
    r->xml_path = sinspace__strdup(path);
    return 0;
}

/* Writes the GDAL WMS description of an XYZ/TMS service to /vsimem/. */
static int
on_service(void *user, const sinspace__tile_service *svc)
{
    service_row *r = user;
    render_map *m = r->m;
    if (!strcmp(svc->kind, "gdal")) {
        /* A description file: GDAL opens it as it is. */
        r->xml_path = sinspace__strdup(svc->url);
        if (svc->headers && *svc->headers && r->xml_path)
            keyed_set(r->xml_path, svc->headers);
        return 0;
    }
    if (strcmp(svc->kind, "xyz") && strcmp(svc->kind, "tms"))
        return describe_ogc(r, svc);
    /* GDAL's TMS minidriver: ${z}/${x}/${y}; {-y} counts from the south. */
    char *url = NULL;
    size_t len = 0, cap = 0;
    int tms = !strcmp(svc->kind, "tms");
    for (const char *c = svc->url; *c;) {
        const char *rep = NULL;
        size_t skip = 1;
        if (!strncmp(c, "{z}", 3)) rep = "${z}", skip = 3;
        else if (!strncmp(c, "{x}", 3)) rep = "${x}", skip = 3;
        else if (!strncmp(c, "{y}", 3)) rep = "${y}", skip = 3;
        else if (!strncmp(c, "{-y}", 4)) rep = "${y}", skip = 4;
        char one[2] = {*c, 0};
        if (cat_text(&url, &len, &cap, rep ? rep : one)) {
            r->st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
            free(url);
            return 1;
        }
        c += skip;
    }
    char *cache = cache_dir(m);
    char *eurl = xml_escape(url ? url : "");
    char *ecache = cache ? xml_escape(cache) : NULL;
    int maxz = svc->max_zoom >= 0 ? svc->max_zoom : 19;
    char *xml = CPLStrdup(CPLSPrintf(
        "<GDAL_WMS><Service name=\"TMS\"><ServerUrl>%s</ServerUrl></Service>"
        "<DataWindow><UpperLeftX>-20037508.342789244</UpperLeftX>"
        "<UpperLeftY>20037508.342789244</UpperLeftY>"
        "<LowerRightX>20037508.342789244</LowerRightX>"
        "<LowerRightY>-20037508.342789244</LowerRightY>"
        "<TileLevel>%d</TileLevel><TileCountX>1</TileCountX>"
        "<TileCountY>1</TileCountY><YOrigin>%s</YOrigin></DataWindow>"
        "<Projection>EPSG:3857</Projection><BlockSizeX>256</BlockSizeX>"
        "<BlockSizeY>256</BlockSizeY><BandsCount>4</BandsCount>"
        "<UserAgent>sinspace/%s</UserAgent>"
        "<ZeroBlockHttpCodes>204,404</ZeroBlockHttpCodes>"
        "%s%s%s</GDAL_WMS>",
        eurl, maxz, tms ? "bottom" : "top", sinspace_version(),
        ecache ? "<Cache><Path>" : "", ecache ? ecache : "",
        ecache ? "</Path></Cache>" : ""));
    CPLFree(eurl);
    CPLFree(ecache);
    free(cache);
    free(url);
    char path[128];
    snprintf(path, sizeof path, "/vsimem/sinspace-imagery/%lld-%08x.xml",
             svc->tile_id, (unsigned)CPLHashSetHashStr(xml));
    VSILFILE *have = VSIFOpenL(path, "rb");
    if (have)
        VSIFCloseL(have);
    if (!have) {
        VSILFILE *f = VSIFileFromMemBuffer(path, (GByte *)xml, strlen(xml), TRUE);
        if (!f) {
            CPLFree(xml);
            r->st = sinspace__error(m->ctx, SINSPACE_ERROR,
                                    "map: cannot describe tile service %lld",
                                    svc->tile_id);
            return 1;
        }
        VSIFCloseL(f);
    } else {
        CPLFree(xml);
    }
    /* The headers (a key) go with the warp, never into a file. */
    if (svc->headers && *svc->headers)
        keyed_set(path, svc->headers);
    r->xml_path = sinspace__strdup(path);
    return 0;
}

sinspace_status
sinspace__basemap_imagery(render_map *m,
                          int (*fn)(void *, const struct sinspace__feature_imagery *),
                          void *user)
{
    pick_state ps;
    int used = 0;
    sinspace_status st = choose(m, &ps, &used);
    /* Coarsest first: the finest is warped last, on top. */
    for (int i = used - 1; !st && i >= 0; i--) {
        pick *k = &ps.p[i];
        char *path = NULL;
        if (is_service(k)) {
            service_row r = {NULL, SINSPACE_OK, m};
            st = sinspace__store_engine(m->store)->tiles->service(
                m->store, k->id, on_service, &r);
            if (!st)
                st = r.st;
            path = r.xml_path;
            if (!st && !path)
                continue;
        }
        sinspace__feature_imagery row = {
            .path = path ? path : k->path,
            .acquired = k->acquired,
            .source = k->source,
            .attribution = k->attribution,
        };
        if (!st && fn(user, &row))
            i = 0;
        free(path);
    }
    picks_free(&ps);
    return st;
}

size_t
sinspace__basemap_note(render_map *m, char *buf, size_t n)
{
    if (!buf || n < 2 || !m->tiles)
        return 0;
    pick_state ps;
    int used = 0;
    double finest = INFINITY;
    if (choose(m, &ps, &used) == SINSPACE_OK)
        for (int i = 0; i < used; i++)
            if (isfinite(ps.p[i].pixel_size_m))
                finest = fmin(finest, ps.p[i].pixel_size_m);
    picks_free(&ps);
    double unit = OSRGetLinearUnits(m->srs, NULL);
    double page = fabs(m->gt[1]) * unit;
    if (!isfinite(finest) || !(page > 0) || finest <= page * 1.5)
        return 0;
    int w = snprintf(buf, n, "; imagery %.2g m/px, page %.2g m/px", finest, page);
    return w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
}
