/* render_basemap.c: the imagery under a map.
 *
 * The tiles are warped in one GDALWarp call (the same engine and options as
 * `gdalwarp -te -ts -t_srs -r bilinear -ovr AUTO`) into an in-memory dataset
 * of exactly the map frame's pixel grid, so a map pixel and the warped
 * pixel are the same pixel, then copied into a cairo ARGB32 surface with
 * the destination alpha band as its alpha.  Pixels are never altered here. */
#include "render/render_int.h"

#include <gdal.h>
#include <gdal_utils.h>
#include <cpl_string.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (st) {
        if (surface)
            cairo_surface_destroy(surface);
        return st;
    }
    *out = surface;
    return SINSPACE_OK;
}
