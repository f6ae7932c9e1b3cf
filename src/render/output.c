/* output.c: how a page leaves the renderer: the output format from the
 * file's extension, PNG through libpng, the PNG's georeferencing sidecars
 * (world file, .prj, GDAL .aux.xml) and the generation time printed on the
 * page.  Files are written through core/outfile.h (private, atomic). */
#include "render/render_int.h"
#include "core/outfile.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <png.h>

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

cairo_status_t
sinspace__render_write_fn(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

/* The page as PNG through libpng at zlib level 1: cairo's own writer
 * takes zlib's default level 6, which on an A3 300 dpi page cost 1.3 s of
 * 5.3 (measured: gdal_translate of the page at ZLEVEL 6 vs 1, 2.38 s vs
 * 1.09 s) for a file 13% smaller; print maps want the time.  The page is
 * an opaque RGB24 surface, written as RGB like cairo writes it; any other
 * surface goes to cairo's writer. */
cairo_status_t
sinspace__render_write_png(cairo_surface_t *surface, FILE *f)
{
    cairo_surface_flush(surface);
    if (cairo_image_surface_get_format(surface) != CAIRO_FORMAT_RGB24)
        return cairo_surface_write_to_png_stream(surface, sinspace__render_write_fn, f);
    int w = cairo_image_surface_get_width(surface);
    int h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w * 3);
    /* volatile: read after longjmp. */
    cairo_status_t volatile cs = CAIRO_STATUS_NO_MEMORY;
    if (!png || !info || !row)
        goto done;
    cs = CAIRO_STATUS_WRITE_ERROR;
    if (setjmp(png_jmpbuf(png)))
        goto done;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        /* RGB24: one native-endian 32-bit word a pixel, 0x00RRGGBB. */
        const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        unsigned char *o = row;
        for (int x = 0; x < w; x++) {
            *o++ = (unsigned char)(px[x] >> 16);
            *o++ = (unsigned char)(px[x] >> 8);
            *o++ = (unsigned char)px[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    cs = fflush(f) == 0 && !ferror(f) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
done:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(row);
    return cs;
}

sinspace_render_format
sinspace__render_format_of(const char *path, sinspace_render_format f)
{
    if (f != SINSPACE_RENDER_AUTO)
        return f;
    const char *dot = strrchr(path, '.');
    if (dot && !strcasecmp(dot, ".png"))
        return SINSPACE_RENDER_PNG;
    if (dot && !strcasecmp(dot, ".svg"))
        return SINSPACE_RENDER_SVG;
    if (dot && !strcasecmp(dot, ".pdf"))
        return SINSPACE_RENDER_PDF;
    return SINSPACE_RENDER_AUTO;
}

sinspace_status
sinspace__render_georef_names(sinspace_context *ctx, const char *png,
                              char *side[3])
{
    size_t len = strlen(png);
    const char *slash = strrchr(png, '/');
    const char *dot = strrchr(slash ? slash + 1 : png, '.');
    size_t stem = dot ? (size_t)(dot - png) : len;
    for (int i = 0; i < 3; i++) {
        if (!(side[i] = malloc(len + 16))) {
            for (int k = 0; k < i; k++) {
                free(side[k]);
                side[k] = NULL;
            }
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
    }
    snprintf(side[0], len + 16, "%.*s.pgw", (int)stem, png);
    snprintf(side[1], len + 16, "%.*s.prj", (int)stem, png);
    snprintf(side[2], len + 16, "%s.aux.xml", png);
    return SINSPACE_OK;
}

sinspace_status
sinspace__render_check_outputs(sinspace_context *ctx, const char *output,
                               sinspace_render_format fmt, int replace)
{
    sinspace_status st = sinspace__outfile_check(ctx, output, replace);
    if (st || fmt != SINSPACE_RENDER_PNG)
        return st;
    char *side[3];
    if ((st = sinspace__render_georef_names(ctx, output, side)))
        return st;
    for (int i = 0; i < 3; i++) {
        if (!st)
            st = sinspace__outfile_check(ctx, side[i], replace);
        free(side[i]);
    }
    return st;
}

/* One sidecar's text into an open outfile. */
static sinspace_status
georef_text(render_map *m, const char *path, int replace, const char *text,
            sinspace__outfile **out)
{
    sinspace_status st = sinspace__outfile_open(m->ctx, path, replace, out);
    if (!st && fputs(text, sinspace__outfile_stream(*out)) == EOF)
        st = sinspace__error(m->ctx, SINSPACE_IO, "%s: %s", path,
                             strerror(errno));
    return st;
}

/* The PNG's georeferencing: a world file (centre of the top-left pixel), an
 * ESRI .prj, and a GDAL .aux.xml with the CRS and geotransform. */
sinspace_status
sinspace__render_write_georef(render_map *m, const char *png, int replace,
                              sinspace__outfile *of[3])
{
    of[0] = of[1] = of[2] = NULL;
    char *side[3];
    sinspace_status st = sinspace__render_georef_names(m->ctx, png, side);
    if (st)
        return st;
    char text[4096];
    const double *g = m->gt;
    snprintf(text, sizeof text, "%.10f\n%.10f\n%.10f\n%.10f\n%.10f\n%.10f\n",
             g[1], g[4], g[2], g[5], g[0] + g[1] / 2 + g[2] / 2,
             g[3] + g[4] / 2 + g[5] / 2);
    st = georef_text(m, side[0], replace, text, &of[0]);
    char *esri = NULL;
    if (!st) {
        OGRSpatialReferenceH s = OSRClone(m->srs);
        OSRMorphToESRI(s);
        OSRExportToWkt(s, &esri);
        OSRDestroySpatialReference(s);
        st = georef_text(m, side[1], replace, esri ? esri : "", &of[1]);
        CPLFree(esri);
    }
    if (!st) {
        /* GDAL's PAM format, written as GDAL writes it. */
        size_t need = strlen(m->wkt) * 2 + 1024;
        char *xml = malloc(need);
        if (!xml) {
            st = sinspace__error(m->ctx, SINSPACE_NO_MEMORY, "out of memory");
        } else {
            char *esc = CPLEscapeString(m->wkt, -1, CPLES_XML);
            snprintf(xml, need,
                     "<PAMDataset>\n"
                     "  <SRS dataAxisToSRSAxisMapping=\"1,2\">%s</SRS>\n"
                     "  <GeoTransform> %.16e, %.16e, %.16e, %.16e, %.16e, %.16e</GeoTransform>\n"
                     "</PAMDataset>\n",
                     esc, g[0], g[1], g[2], g[3], g[4], g[5]);
            CPLFree(esc);
            st = georef_text(m, side[2], replace, xml, &of[2]);
            free(xml);
        }
    }
    for (int i = 0; i < 3; i++)
        free(side[i]);
    if (st)
        for (int i = 0; i < 3; i++) {
            sinspace__outfile_abort(of[i]);
            of[i] = NULL;
        }
    return st;
}

void
sinspace__render_now_text(char buf[64], const char *fixed)
{
    if (fixed) {
        snprintf(buf, 64, "%s", fixed);
        return;
    }
    char iso[32];
    sinspace__now_iso(iso);
    snprintf(buf, 64, "%.10s %.8s UTC", iso, iso + 11);
}

