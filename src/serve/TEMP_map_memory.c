/* TEMPORARY: deleted when render/ lands.
 *
 * TEMP_map_memory.c: a stand-in for sinspace_map_render_memory() (declared
 * in sinspace/render.h, implemented for real in render/ by another branch),
 * so that the web API's /api/map links and its tests run before that
 * merge.  It is NOT the real thing: it renders through sinspace_map_render()
 * into a private temporary folder (mkdtemp, 0700, under /dev/shm when there
 * is one, which is memory; else $TMPDIR or /tmp), reads the page back and
 * removes the folder.  A within_region is handed on as opts->within naming
 * a GeoJSON made from the region's WKB in GDAL's /vsimem/ (memory), since
 * this render/ knows only a file name. */
#include "core/sinspaceInt.h"

#include <sinspace/render.h>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <ogr_api.h>

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The region as a one-feature GeoJSON in /vsimem/ at path. */
static sinspace_status
region_to_vsimem(sinspace_context *ctx, sinspace_region *region, const char *path)
{
    const unsigned char *wkb;
    size_t size;
    sinspace_status st = sinspace_region_wkb(region, &wkb, &size);
    if (st)
        return st;
    OGRGeometryH g = NULL;
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &g, size) != OGRERR_NONE || !g)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "map: unreadable region");
    char *json = OGR_G_ExportToJson(g);
    OGR_G_DestroyGeometry(g);
    if (!json)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    static const char pre[] = "{\"type\":\"FeatureCollection\",\"features\":"
                              "[{\"type\":\"Feature\",\"properties\":{},\"geometry\":";
    static const char post[] = "}]}";
    size_t n = strlen(pre) + strlen(json) + strlen(post) + 1;
    GByte *buf = CPLMalloc(n);
    snprintf((char *)buf, n, "%s%s%s", pre, json, post);
    CPLFree(json);
    VSILFILE *f = VSIFileFromMemBuffer(path, buf, n - 1, TRUE);
    if (!f) {
        CPLFree(buf);
        return sinspace__error(ctx, SINSPACE_IO, "map: %s", path);
    }
    VSIFCloseL(f);
    return SINSPACE_OK;
}

static int
read_back(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return -1;
    }
    *data = buf;
    *size = n;
    return 0;
}

sinspace_status
sinspace_map_render_memory(sinspace_store *store, const sinspace_map_options *opts,
                           unsigned char **data, size_t *size,
                           sinspace_map_result *result)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !opts || !data || !size)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: store, options, data and size are required");
    *data = NULL;
    *size = 0;
    const char *ext = opts->format == SINSPACE_RENDER_PDF ? "pdf"
                    : opts->format == SINSPACE_RENDER_SVG ? "svg"
                    : opts->format == SINSPACE_RENDER_PNG ? "png" : NULL;
    if (!ext)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "map: a page in memory needs PDF, SVG or PNG");
    static atomic_ullong serial;
    unsigned long long k = ++serial;
    char within[128] = "";
    sinspace_map_options o = *opts;
    sinspace_status st;
    if (opts->within_region) {
        snprintf(within, sizeof within, "/vsimem/sinspace-within-%ld-%llu.geojson",
                 (long)getpid(), k);
        if ((st = region_to_vsimem(ctx, opts->within_region, within)))
            return st;
        o.within = within;
        o.within_region = NULL;
    }
    struct stat sb;
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/sinspace-map.XXXXXX",
             stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm"
             : tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        st = sinspace__error(ctx, SINSPACE_IO, "map: mkdtemp %s: %s", dir,
                             strerror(errno));
        goto done;
    }
    char out[4200];
    snprintf(out, sizeof out, "%s/map.%s", dir, ext);
    o.output = out;
    st = sinspace_map_render(store, &o, result);
    if (!st && read_back(out, data, size))
        st = sinspace__error(ctx, SINSPACE_IO, "map: could not read back the page");
    /* The page and whatever sidecars came with it. */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[8192];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
done:
    if (within[0])
        VSIUnlink(within);
    return st;
}
