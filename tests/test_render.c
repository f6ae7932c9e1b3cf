/* test_render.c: maps and atlases (sinspace/render.h).
 *
 * A store of fictional workplaces over Khlong Toei (Bangkok) with the real
 * Sentinel-2 scene of tests/data/rasters catalogued as a tile.  The map is
 * compared with a golden PNG (per-pixel tolerance, a diff image written on
 * failure), a marker is found where the world file says, the imagery equals
 * `gdalwarp` of the same tile to the same grid, Thai names shape with no
 * unknown glyphs, and a PDF keeps its text as fonts.
 *
 * SINSPACE_UPDATE_GOLDEN=1 rewrites the golden image instead of comparing. */
#include "store/store_int.h"
#include "render/render_int.h"
#include "serve/serve_int.h"

#include <criterion/criterion.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static sinspace_context *ctx;
static char src_root[768];

static void
path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static void
data_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/tests/data/%s", src_root, name);
}

static void
setup(void)
{
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    snprintf(src_root, sizeof src_root, "%s", root ? root : "..");
    snprintf(dir, sizeof dir, "/tmp/sinspace-render-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
}

static void
teardown(void)
{
    sinspace_context_destroy(ctx);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static void
import(sinspace_store *store, const char *file, sinspace_area_level level,
       const char *name, const char *local, const char *code)
{
    char path[1024];
    data_path(path, sizeof path, file);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    if (level != SINSPACE_LEVEL_INVALID) {
        o.kind = SINSPACE_IMPORT_AREAS;
        o.level = level;
        o.name_field = name;
        o.name_local_field = local;
        o.code_field = code;
    }
    sinspace_status st = sinspace_import_file(store, path, &o, NULL);
    cr_assert_eq(st, SINSPACE_OK, "import %s: %s", file, sinspace_context_message(ctx));
}

/* Catalogues the Sentinel-2 scene through the tiles module. */
static void
add_tile(sinspace_store *store)
{
    char path[1024];
    data_path(path, sizeof path, "rasters/sentinel2_khlong_toei.tif");
    const char *paths[] = {path};
    sinspace_tiles_add_options o;
    sinspace_tiles_add_options_init(&o);
    o.acquired = "2023-01-05";
    o.source = "Sentinel-2";
    o.attribution = "Contains modified Copernicus Sentinel data";
    cr_assert_eq(sinspace_tiles_add(store, paths, 1, &o, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

/* The Khlong Toei store: province, districts, 40 fictional workplaces with
 * three yearly observations each, and the tile. */
static sinspace_store *
make_store(const char *name, int areas, int workplaces, int tile)
{
    char path[512];
    path_in(path, sizeof path, name);
    sinspace_store *store = NULL;
    cr_assert_eq(sinspace_store_create(ctx, path, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    if (areas) {
        import(store, "render/bangkok_province.geojson", SINSPACE_LEVEL_PROVINCE,
               "ADM1_EN", "ADM1_TH", "ADM1_EN");
        import(store, "render/bangkok_khlong_toei_districts.geojson",
               SINSPACE_LEVEL_DISTRICT, "dname_e", "dname", "dcode");
    }
    if (workplaces)
        import(store, "render/workplaces_khlong_toei.csv", SINSPACE_LEVEL_INVALID,
               NULL, NULL, NULL);
    if (tile)
        add_tile(store);
    return store;
}

static unsigned char *
read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *size = (size_t)n;
    }
    return buf;
}

static int
contains(const unsigned char *buf, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(buf + i, needle, k))
            return 1;
    return 0;
}

static uint32_t
pixel(cairo_surface_t *s, int x, int y)
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    return ((const uint32_t *)(d + (size_t)y * cairo_image_surface_get_stride(s)))[x];
}

TestSuite(render, .init = setup, .fini = teardown);

/* ---- golden image ---- */

Test(render, golden_image)
{
    sinspace_store *store = make_store("kt.db", 1, 1, 1);
    char out[512], golden[1024];
    path_in(out, sizeof out, "golden.png");
    data_path(golden, sizeof golden, "golden/khlong_toei_a4_60dpi.png");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out;
    o.area = "1033";
    o.paper = SINSPACE_PAPER_A4;
    o.landscape = 1;
    o.dpi = 60;
    o.generated_at = "2026-01-01 00:00:00 UTC";
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.workplaces, 40);
    cr_assert_eq(r.tiles, 1);
    cr_assert_str_eq(r.crs, "EPSG:32647");
    sinspace_store_close(store);
    if (getenv("SINSPACE_UPDATE_GOLDEN")) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", out, golden);
        cr_assert_eq(system(cmd), 0);
        return;
    }
    cairo_surface_t *a = cairo_image_surface_create_from_png(out);
    cairo_surface_t *b = cairo_image_surface_create_from_png(golden);
    cr_assert_eq(cairo_surface_status(a), CAIRO_STATUS_SUCCESS);
    cr_assert_eq(cairo_surface_status(b), CAIRO_STATUS_SUCCESS, "no golden %s", golden);
    int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
    cr_assert_eq(w, cairo_image_surface_get_width(b));
    cr_assert_eq(h, cairo_image_surface_get_height(b));
    /* A pixel differs when a channel is off by more than 24; up to 0.2 %
     * of pixels may (antialiasing and hinting across library versions). */
    cairo_surface_t *diff = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    unsigned char *dd = cairo_image_surface_get_data(diff);
    int ds = cairo_image_surface_get_stride(diff);
    long bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t p = pixel(a, x, y), q = pixel(b, x, y);
            int worst = 0;
            for (int c = 0; c < 24; c += 8) {
                int d = abs((int)((p >> c) & 255) - (int)((q >> c) & 255));
                if (d > worst)
                    worst = d;
            }
            ((uint32_t *)(dd + (size_t)y * ds))[x] =
                worst > 24 ? 0xff0000u : (q & 0xfefefe) >> 1 | 0x808080u;
            bad += worst > 24;
        }
    cairo_surface_mark_dirty(diff);
    if (bad > (long)w * h / 500) {
        const char *broot = getenv("SINSPACE_BUILD_ROOT");
        char dpath[1024], apath[1024];
        snprintf(dpath, sizeof dpath, "%s/render-golden-diff.png", broot ? broot : ".");
        snprintf(apath, sizeof apath, "%s/render-golden-actual.png", broot ? broot : ".");
        cairo_surface_write_to_png(diff, dpath);
        cairo_surface_write_to_png(a, apath);
        cr_assert_fail("%ld of %d pixels differ from %s; see %s and %s", bad,
                       w * h, golden, dpath, apath);
    }
    cairo_surface_destroy(diff);
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
}

/* ---- a marker lands where the world file says ---- */

Test(render, marker_matches_world_file)
{
    sinspace_store *store = make_store("one.db", 0, 0, 0);
    char csv[512];
    path_in(csv, sizeof csv, "one.csv");
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    const double lon = 100.5734, lat = 13.7187;
    fprintf(f, "id,name,sector,lon,lat,observed,risk\n"
               "T-1,Fictional Test Site,brothel,%.6f,%.6f,2024-01-01,3.0\n", lon, lat);
    fclose(f);
    sinspace_import_options io;
    sinspace_import_options_init(&io);
    cr_assert_eq(sinspace_import_file(store, csv, &io, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char out[512];
    path_in(out, sizeof out, "one.png");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out;
    o.has_bbox = 1;
    o.bbox[0] = 100.56; o.bbox[1] = 13.71; o.bbox[2] = 100.59; o.bbox[3] = 13.73;
    char sld[1024];
    data_path(sld, sizeof sld, "render/marker.sld");
    o.style_path = sld;
    o.dpi = 100;
    o.no_labels = 1;
    o.marking = "";
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.workplaces, 1);
    sinspace_store_close(store);

    /* The world file. */
    char pgw[512];
    path_in(pgw, sizeof pgw, "one.pgw");
    f = fopen(pgw, "r");
    cr_assert_not_null(f);
    double A, D, B, E, C, F;
    cr_assert_eq(fscanf(f, "%lf %lf %lf %lf %lf %lf", &A, &D, &B, &E, &C, &F), 6);
    fclose(f);
    cr_assert_eq(D, 0);
    cr_assert_eq(B, 0);
    cr_assert_float_eq(E, -A, 1e-9);
    struct stat sb;
    cr_assert_eq(stat(pgw, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    cr_assert_eq(stat(out, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);

    /* The point in the map CRS, through OGR. */
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), utm = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRImportFromEPSG(utm, 32647);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, utm);
    double X = lon, Y = lat;
    cr_assert(OCTTransform(ct, 1, &X, &Y, NULL));
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(utm);
    double want_col = (X - C) / A, want_row = (Y - F) / E;

    /* The centroid of the style's magenta inside the frame. */
    cairo_surface_t *s = cairo_image_surface_create_from_png(out);
    cr_assert_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    double sx = 0, sy = 0;
    long n = 0;
    for (int y = r.frame[1] + 2; y < r.frame[1] + r.frame[3] - 2; y++)
        for (int x = r.frame[0] + 2; x < r.frame[0] + r.frame[2] - 2; x++) {
            uint32_t p = pixel(s, x, y);
            int R = (p >> 16) & 255, G = (p >> 8) & 255, Bl = p & 255;
            if (R > 200 && G < 60 && Bl > 200) {
                sx += x;
                sy += y;
                n++;
            }
        }
    cairo_surface_destroy(s);
    cr_assert_gt(n, 10, "marker not found");
    cr_assert_leq(fabs(sx / n - want_col), 1.0, "column %g, world file says %g",
                  sx / n, want_col);
    cr_assert_leq(fabs(sy / n - want_row), 1.0, "row %g, world file says %g",
                  sy / n, want_row);

    /* GDAL reads the same grid from the .aux.xml and world file. */
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(out, GA_ReadOnly);
    cr_assert_not_null(ds);
    double gt[6];
    cr_assert_eq(GDALGetGeoTransform(ds, gt), CE_None);
    for (int i = 0; i < 6; i++)
        cr_assert_float_eq(gt[i], r.geotransform[i], 1e-6);
    const char *wkt = GDALGetProjectionRef(ds);
    cr_assert(wkt && strstr(wkt, "UTM zone 47N"), "projection: %s", wkt ? wkt : "(none)");
    GDALClose(ds);
}

/* ---- --within: the extent of a polygon file ---- */

Test(render, within_file_extent)
{
    sinspace_store *store = make_store("within.db", 1, 1, 0);
    char poly[512], out[512];
    path_in(poly, sizeof poly, "fence.geojson");
    path_in(out, sizeof out, "within.png");
    FILE *f = fopen(poly, "w");
    cr_assert_not_null(f);
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
          "\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
          "[[[100.56,13.71],[100.58,13.71],[100.58,13.73],[100.56,13.73],[100.56,13.71]]]}}]}",
          f);
    fclose(f);
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out;
    o.within = poly;
    o.margin = 0;
    o.dpi = 50;
    o.crs = "EPSG:32647";
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    /* Every workplace drawn lies in the frame, which holds the polygon. */
    long long inside = -1;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM workplaces WHERE ST_X(geom) BETWEEN 100.56 AND 100.58"
        " AND ST_Y(geom) BETWEEN 13.71 AND 13.73", &inside, 0), SINSPACE_OK);
    cr_assert_geq(r.workplaces, inside);
    cr_assert_lt(r.workplaces, 40);
    cr_assert_str_eq(r.crs, "EPSG:32647");
    char target[600];
    snprintf(target, sizeof target, "file %s", poly);
    long long n = -1;
    sqlite3_stmt *stmt;
    cr_assert_eq(sinspace__prepare(store, "SELECT rows FROM audit WHERE target = ?1",
                                   &stmt), SINSPACE_OK);
    sinspace__bind_text(stmt, 1, target);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
    n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    cr_assert_eq(n, r.workplaces);
    sinspace_store_close(store);
}

/* A page in memory: the same bytes' worth of map, no file (the output
 * option is ignored, no sidecar), and an audit row saying "(memory)"; the
 * extent may be a region the caller holds (the web API's drawn polygon). */
Test(render, page_in_memory_from_a_held_region)
{
    sinspace_store *store = make_store("memory.db", 1, 1, 0);
    const char *gj = "{\"type\":\"Polygon\",\"coordinates\":"
        "[[[100.56,13.71],[100.58,13.71],[100.58,13.73],[100.56,13.73],[100.56,13.71]]]}";
    sinspace_region *region = NULL;
    cr_assert_eq(sinspace_region_from_text(ctx, gj, strlen(gj), NULL, 0, &region),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    char out[512], side[600];
    path_in(out, sizeof out, "never.png");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out; /* ignored */
    o.format = SINSPACE_RENDER_PNG;
    o.within_region = region;
    o.margin = 0;
    o.dpi = 50;
    o.crs = "EPSG:32647";
    unsigned char *page = NULL;
    size_t size = 0;
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render_memory(store, &o, &page, &size, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_gt(size, 8);
    cr_assert_eq(memcmp(page, "\x89PNG\r\n\x1a\n", 8), 0);
    free(page);
    cr_assert_gt(r.workplaces, 0);
    cr_assert_lt(r.workplaces, 40);
    struct stat sb;
    cr_assert_neq(stat(out, &sb), 0, "a file was written");
    snprintf(side, sizeof side, "%s/never.pgw", dir);
    cr_assert_neq(stat(side, &sb), 0, "a sidecar was written");
    long long n = -1;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM audit WHERE command = 'map'"
        " AND filters LIKE 'output=(memory) %'", &n, 0), SINSPACE_OK);
    cr_assert_eq(n, 1);

    /* Both a region and a file: refused, as two extents are. */
    o.within = "fence.geojson";
    cr_assert_eq(sinspace_map_render_memory(store, &o, &page, &size, &r),
                 SINSPACE_INVALID_ARGUMENT);
    o.within = NULL;
    /* A page in memory needs its format. */
    o.format = SINSPACE_RENDER_AUTO;
    cr_assert_eq(sinspace_map_render_memory(store, &o, &page, &size, &r),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_region_destroy(region);
    sinspace_store_close(store);
}


/* ---- imagery pixels are gdalwarp's ---- */

Test(render, basemap_matches_gdalwarp)
{
    sinspace_store *store = make_store("tile.db", 0, 0, 1);
    char out[512], ref[512], tif[1024];
    path_in(out, sizeof out, "tile.png");
    path_in(ref, sizeof ref, "ref.tif");
    data_path(tif, sizeof tif, "rasters/sentinel2_khlong_toei.tif");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out;
    o.has_bbox = 1;
    /* Mostly inside the scene (clipped to the district: nodata beyond). */
    o.bbox[0] = 100.57; o.bbox[1] = 13.712; o.bbox[2] = 100.58; o.bbox[3] = 13.724;
    o.landscape = 1;
    o.dpi = 200; /* a frame over 1024 rows: warped in two strips */
    o.marking = "";
    o.no_workplaces = 1;
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.tiles, 1);
    cr_assert_gt(r.frame[3], 1024);
    sinspace_store_close(store);
    const double *g = r.geotransform;
    double xmin = g[0] + r.frame[0] * g[1], ymax = g[3] + r.frame[1] * g[5];
    double xmax = xmin + r.frame[2] * g[1], ymin = ymax + r.frame[3] * g[5];
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "gdalwarp -q -overwrite -t_srs EPSG:32647 -te %.10f %.10f %.10f %.10f"
             " -ts %d %d -r bilinear -ovr AUTO '%s' '%s'", xmin, ymin, xmax, ymax,
             r.frame[2], r.frame[3], tif, ref);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(ref, GA_ReadOnly);
    cr_assert_not_null(ds);
    int w = r.frame[2], h = r.frame[3];
    unsigned char *rgb = malloc((size_t)w * h * 3);
    cr_assert_not_null(rgb);
    cr_assert_eq(GDALDatasetRasterIO(ds, GF_Read, 0, 0, w, h, rgb, w, h, GDT_Byte, 3,
                                     NULL, 3, 3 * w, 1), CE_None);
    GDALClose(ds);
    cairo_surface_t *s = cairo_image_surface_create_from_png(out);
    long compared = 0, worst = 0;
    /* The frame's outline covers its edge pixels. */
    for (int y = 3; y < h - 3; y++)
        for (int x = 3; x < w - 3; x++) {
            const unsigned char *q = rgb + 3 * ((size_t)y * w + x);
            if (!q[0] && !q[1] && !q[2])
                continue; /* nodata outside the scene */
            uint32_t p = pixel(s, r.frame[0] + x, r.frame[1] + y);
            int d[3] = {abs((int)((p >> 16) & 255) - q[0]),
                        abs((int)((p >> 8) & 255) - q[1]), abs((int)(p & 255) - q[2])};
            for (int c = 0; c < 3; c++)
                if (d[c] > worst)
                    worst = d[c];
            compared++;
        }
    cairo_surface_destroy(s);
    cr_assert_gt(compared, (long)(w - 6) * (h - 6) * 8 / 10,
                 "too few imagery pixels: %ld", compared);
    cr_assert_leq(worst, 1, "a pixel differs from gdalwarp by %ld", worst);

    /* A style may take the colour out: then grey, pixel for pixel. */
    store = NULL;
    char db[512];
    path_in(db, sizeof db, "tile.db");
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &store), SINSPACE_OK);
    o.basemap_desaturate = 1;
    o.overwrite = 1; /* over the map above */
    cr_assert_eq(sinspace_map_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_store_close(store);
    s = cairo_image_surface_create_from_png(out);
    long coloured = 0;
    for (int y = 3; y < h - 3; y++)
        for (int x = 3; x < w - 3; x++) {
            const unsigned char *q = rgb + 3 * ((size_t)y * w + x);
            if (!q[0] && !q[1] && !q[2])
                continue; /* the plain background beyond the scene */
            uint32_t p = pixel(s, r.frame[0] + x, r.frame[1] + y);
            int R = (p >> 16) & 255, G = (p >> 8) & 255, B = p & 255;
            coloured += abs(R - G) > 1 || abs(G - B) > 1;
        }
    cairo_surface_destroy(s);
    free(rgb);
    cr_assert_eq(coloured, 0);
}

/* ---- a web tile is the map's frame for the tile's extent ---- */

/* Tile 14/12769/7561 (twelve of the workplaces, part of the scene) drawn
 * by the server's tile function equals the same extent drawn by the map
 * renderer in EPSG:3857: a map at 0.28 mm pixels (one SLD pixel a pixel,
 * as tiles draw) whose frame's shorter side spans the tile at the tile's
 * resolution, so the tile is a 256-pixel square in the middle of the
 * frame.  The tile is transparent where the map shows its frame
 * background, so it is laid over that colour first. */
Test(render, web_tile_is_the_map_frame)
{
    sinspace_store *store = make_store("webtile.db", 0, 1, 1);
    const int z = 14, tx = 12769, ty = 7561;
    const double half = 20037508.342789244, span = 2 * half / (1 << z);
    double te[4] = {-half + tx * span, half - (ty + 1) * span,
                    -half + (tx + 1) * span, half - ty * span};

    /* The tile, through the server's worker. */
    serve_worker w = {0};
    w.ctx = ctx;
    w.store = store;
    cr_assert_eq(sinspace__serve_worker_tiles(&w, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cairo_surface_t *tile = NULL, *bare = NULL;
    cr_assert_eq(sinspace__serve_tile_draw(&w, z, tx, ty,
                                           SERVE_LAYER_IMAGERY | SERVE_LAYER_WORKPLACES,
                                           &tile), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(sinspace__serve_tile_draw(&w, z, tx, ty, SERVE_LAYER_IMAGERY, &bare),
                 SINSPACE_OK);
    /* The tile holds markers: without them it differs. */
    long marked = 0;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
            marked += pixel(tile, x, y) != pixel(bare, x, y);
    cr_assert_gt(marked, 200, "the tile shows no workplaces (%ld px)", marked);
    cairo_surface_destroy(bare);

    /* The same extent as a map page, in memory. */
    double ll[4] = {te[0], te[1], te[2], te[3]};
    OGRSpatialReferenceH merc = OSRNewSpatialReference(NULL);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(merc, 3857);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(merc, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(merc, wgs);
    double xs[2] = {te[0], te[2]}, ys[2] = {te[1], te[3]};
    cr_assert(OCTTransform(ct, 2, xs, ys, NULL));
    ll[0] = xs[0]; ll[1] = ys[0]; ll[2] = xs[1]; ll[3] = ys[1];
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(merc);
    OSRDestroySpatialReference(wgs);
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.format = SINSPACE_RENDER_PNG;
    o.has_bbox = 1;
    memcpy(o.bbox, ll, sizeof ll);
    o.crs = "EPSG:3857";
    o.dpi = 90.7142857; /* the 0.28 mm pixel: one SLD pixel a pixel */
    o.margin = 0;
    o.no_labels = 1;
    o.generated_at = "2026-01-01 00:00:00 UTC";
    unsigned char *page = NULL;
    size_t size = 0;
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render_memory(store, &o, &page, &size, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    free(page);
    /* A margin that makes the frame's shorter side the tile's 256 pixels. */
    int shorter = r.frame[2] < r.frame[3] ? r.frame[2] : r.frame[3];
    cr_assert_eq(r.frame[2] % 2, 0);
    cr_assert_eq(r.frame[3] % 2, 0);
    o.margin = (shorter / 256.0 - 1) / 2;
    cr_assert_eq(sinspace_map_render_memory(store, &o, &page, &size, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_str_eq(r.crs, "EPSG:3857");
    cr_assert_float_eq(r.geotransform[1], span / 256, span / 256 * 1e-9);
    double fx = (te[0] - r.geotransform[0]) / r.geotransform[1];
    double fy = (te[3] - r.geotransform[3]) / r.geotransform[5];
    int x0 = (int)lround(fx), y0 = (int)lround(fy);
    cr_assert_float_eq(fx, x0, 1e-6, "tile not on the page's pixel grid: %f", fx);
    cr_assert_float_eq(fy, y0, 1e-6, "tile not on the page's pixel grid: %f", fy);
    cr_assert(x0 >= r.frame[0] && x0 + 256 <= r.frame[0] + r.frame[2]);
    cr_assert(y0 >= r.frame[1] && y0 + 256 <= r.frame[1] + r.frame[3]);
    char png[512];
    path_in(png, sizeof png, "webtile-map.png");
    FILE *f = fopen(png, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(page, 1, size, f), size);
    fclose(f);
    free(page);
    cairo_surface_t *map = cairo_image_surface_create_from_png(png);
    cr_assert_eq(cairo_surface_status(map), CAIRO_STATUS_SUCCESS);

    /* The tile over the frame's background, against the map's pixels. */
    cairo_surface_t *flat = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 256, 256);
    cairo_t *cr = cairo_create(flat);
    cairo_set_source_rgb(cr, 0.93, 0.92, 0.89);
    cairo_paint(cr);
    cairo_set_source_surface(cr, tile, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_flush(flat);
    double sum[3] = {0};
    long differing = 0, visible = 0;
    int worst = 0;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++) {
            uint32_t a = pixel(flat, x, y), b = pixel(map, x0 + x, y0 + y);
            int most = 0;
            for (int c = 0; c < 3; c++) {
                int d = abs((int)((a >> (8 * c)) & 255) - (int)((b >> (8 * c)) & 255));
                sum[c] += d;
                if (d > most)
                    most = d;
            }
            differing += most != 0;
            visible += most > 2; /* beyond the warps' rounding */
            if (most > worst)
                worst = most;
        }
    cairo_surface_destroy(flat);
    cairo_surface_destroy(map);
    cairo_surface_destroy(tile);
    for (int c = 0; c < 3; c++)
        cr_assert_lt(sum[c] / (256.0 * 256.0), 1.0,
                     "tile and map differ: mean %f in channel %d (%ld pixels, max %d)",
                     sum[c] / (256.0 * 256.0), c, differing, worst);
    /* A marker missing, moved or resized changes dozens of pixels. */
    cr_assert_lt(visible, 40, "%ld pixels differ by more than 2 (max %d)", visible,
                 worst);
    cr_log_info("web tile vs map frame: %ld differing pixels, max %d", differing, worst);
    sinspace__symbology_destroy(w.sym);
    OCTDestroyCoordinateTransformation(w.to_merc);
    OCTDestroyCoordinateTransformation(w.to_ll);
    free(w.merc_wkt);
    sinspace_store_close(store);
}

/* ---- Thai (and GMS) names shape from installed fonts ---- */

Test(render, thai_names_have_no_unknown_glyphs)
{
    char path[1024];
    data_path(path, sizeof path, "render/bangkok_khlong_toei_districts.geojson");
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    int n = 0;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        const char *name = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "dname"));
        cr_assert(name && *name);
        cr_assert_eq(sinspace__label_unknown_glyphs(name), 0, "unknown glyphs in %s", name);
        OGR_F_Destroy(f);
        n++;
    }
    GDALClose(ds);
    cr_assert_eq(n, 25);
    static const char *const others[] = {
        "\xe0\xb8\x81\xe0\xb8\xa3\xe0\xb8\xb8\xe0\xb8\x87\xe0\xb9\x80\xe0\xb8\x97\xe0\xb8\x9e", /* Thai */
        "\xe0\xba\xa7\xe0\xba\xbd\xe0\xba\x87\xe0\xba\x88\xe0\xba\xb1\xe0\xba\x99", /* Lao */
        "\xe1\x9e\x97\xe1\x9f\x92\xe1\x9e\x93\xe1\x9f\x86\xe1\x9e\x96\xe1\x9f\x81\xe1\x9e\x89", /* Khmer */
        "\xe1\x80\x99\xe1\x80\xbc\xe1\x80\x94\xe1\x80\xba\xe1\x80\x99\xe1\x80\xac", /* Burmese */
        "H\xc3\xa0 N\xe1\xbb\x99i, \xc4\x90\xe1\xbb\x93ng Th\xc3\xa1p", /* Vietnamese */
        "\xe6\x98\x86\xe6\x98\x8e\xe5\xb8\x82", /* Chinese */
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        cr_assert_eq(sinspace__label_unknown_glyphs(others[i]), 0, "unknown glyphs in %s",
                     others[i]);
    /* The check can fail: a private-use character has no glyph. */
    cr_assert_gt(sinspace__label_unknown_glyphs("\xee\x80\x80"), 0);
}

/* ---- PDF: text stays text ---- */

Test(render, pdf_has_vector_text_and_audit)
{
    sinspace_store *store = make_store("pdf.db", 1, 1, 1);
    char out[512];
    path_in(out, sizeof out, "kt.pdf");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out;
    o.area = "\xe0\xb9\x80\xe0\xb8\x82\xe0\xb8\x95\xe0\xb8\x84\xe0\xb8\xa5\xe0\xb8\xad"
             "\xe0\xb8\x87\xe0\xb9\x80\xe0\xb8\x95\xe0\xb8\xa2"; /* เขตคลองเตย */
    o.paper = SINSPACE_PAPER_A3;
    o.landscape = 1;
    o.dpi = 100;
    sinspace_map_result r;
    cr_assert_eq(sinspace_map_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    size_t n = 0;
    unsigned char *pdf = read_file(out, &n);
    cr_assert_not_null(pdf);
    cr_assert(n > 5 && !memcmp(pdf, "%PDF-", 5));
    cr_assert(contains(pdf, n, "/Type /Font"), "no font resources");
    cr_assert(contains(pdf, n, "/FontFile"), "no embedded font program");
    cr_assert(contains(pdf, n, "/Subtype /Image"), "no embedded imagery");
    free(pdf);
    long long rows = -1;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT rows FROM audit WHERE command = 'map' AND target = 'area 1033'",
        &rows, 0), SINSPACE_OK);
    cr_assert_eq(rows, r.workplaces);
    cr_assert_eq(r.workplaces, 40);
    sinspace_store_close(store);
}

/* ---- the zones layer ---- */

static int
keep_zone(void *user, const sinspace_zone *z)
{
    *(sinspace_zone *)user = *z;
    ((sinspace_zone *)user)->sectors = NULL; /* lives only in the callback */
    return 0;
}

/* Page pixel of a lon/lat through the map's grid (OGR to UTM 47N). */
static void
lonlat_pixel(const sinspace_map_result *r, double lon, double lat, int *col, int *row)
{
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), utm = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRImportFromEPSG(utm, 32647);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, utm);
    double X = lon, Y = lat;
    cr_assert(OCTTransform(ct, 1, &X, &Y, NULL));
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(utm);
    *col = (int)floor((X - r->geotransform[0]) / r->geotransform[1]);
    *row = (int)floor((Y - r->geotransform[3]) / r->geotransform[5]);
}

/* Pixels of the page close to an RGB colour inside a box. */
static long
count_colour(cairo_surface_t *s, int x0, int y0, int x1, int y1, int R, int G, int B)
{
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint32_t p = pixel(s, x, y);
            if (abs((int)((p >> 16) & 255) - R) <= 3 && abs((int)((p >> 8) & 255) - G) <= 3 &&
                abs((int)(p & 255) - B) <= 3)
                n++;
        }
    return n;
}

/* A fictional cluster of twelve high-risk sites at one point makes one zone
 * (a disc of about 830 m: 12 x 2 x 3/(pi km2) x (1 - d2)2 reaches the
 * default 5 x 1.333/(pi km2) up to d = 0.83 km).  Inside it a pixel is the
 * --no-zones pixel blended with zones.sld's high fill (#d7191c, opacity
 * 0.25); 2.5 km away nothing changes; the legend gets the zone swatch. */
Test(render, zones_layer_drawn_blended_and_in_legend)
{
    sinspace_store *store = make_store("zones.db", 0, 0, 0);
    char csv[512];
    path_in(csv, sizeof csv, "cluster.csv");
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    const double lon = 100.5734, lat = 13.7187;
    fprintf(f, "id,name,sector,lon,lat,observed,risk\n");
    for (int i = 0; i < 12; i++)
        fprintf(f, "Z-%02d,Fictional Cluster Site %d,karaoke_bar,%.6f,%.6f,2024-01-01,3.0\n",
                i + 1, i + 1, lon, lat);
    fclose(f);
    sinspace_import_options io;
    sinspace_import_options_init(&io);
    cr_assert_eq(sinspace_import_file(store, csv, &io, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_zones_options zo;
    sinspace_zones_options_init(&zo);
    sinspace_zone zone = {0};
    sinspace_zones_result zr;
    cr_assert_eq(sinspace_zones_compute(store, &zo, keep_zone, &zone, &zr), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(zr.zones, 1);
    cr_assert_eq(zone.workplaces, 12);
    cr_assert_float_eq(zone.max_risk, 3.0, 1e-9);

    char with[512], without[512];
    path_in(with, sizeof with, "zones.png");
    path_in(without, sizeof without, "nozones.png");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.has_bbox = 1;
    o.bbox[0] = lon - 0.03; o.bbox[1] = lat - 0.03;
    o.bbox[2] = lon + 0.03; o.bbox[3] = lat + 0.03;
    o.dpi = 100;
    o.marking = "";
    o.generated_at = "2026-01-01 00:00:00 UTC";
    /* Workplace labels are drawn at every scale now; the pixels sampled
     * are the zone's fill, so no label may land on them. */
    o.no_labels = 1;
    sinspace_map_result r1, r0;
    o.output = with;
    cr_assert_eq(sinspace_map_render(store, &o, &r1), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    o.output = without;
    o.no_zones = 1;
    cr_assert_eq(sinspace_map_render(store, &o, &r0), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_store_close(store);
    cr_assert_eq(r1.zones, 1);
    cr_assert_eq(r0.zones, 0);
    cr_assert_eq(r1.workplaces, 12);
    for (int i = 0; i < 6; i++)
        cr_assert_float_eq(r1.geotransform[i], r0.geotransform[i], 1e-9);

    cairo_surface_t *a = cairo_image_surface_create_from_png(with);
    cairo_surface_t *b = cairo_image_surface_create_from_png(without);
    cr_assert_eq(cairo_surface_status(a), CAIRO_STATUS_SUCCESS);
    cr_assert_eq(cairo_surface_status(b), CAIRO_STATUS_SUCCESS);
    /* 500 m east and west of the cluster (inside), 2.5 km north-east
     * (outside): 1 degree of longitude is 108.1 km at this latitude. */
    const double inside[][2] = {{lon + 0.5 / 108.1, lat}, {lon - 0.5 / 108.1, lat},
                                {lon, lat - 0.5 / 110.6}};
    const double fill[3] = {0xd7, 0x19, 0x1c};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        int x, y;
        lonlat_pixel(&r1, inside[i][0], inside[i][1], &x, &y);
        cr_assert(x > r1.frame[0] && x < r1.frame[0] + r1.frame[2] && y > r1.frame[1] &&
                  y < r1.frame[1] + r1.frame[3]);
        uint32_t pz = pixel(a, x, y), pn = pixel(b, x, y);
        for (int c = 0; c < 3; c++) {
            int sh = 16 - 8 * c;
            double under = (pn >> sh) & 255, got = (pz >> sh) & 255;
            double want = under * 0.75 + fill[c] * 0.25;
            cr_assert_leq(fabs(got - want), 2.0,
                          "point %zu (%d,%d) channel %d: %g, want %g over %g", i, x, y,
                          c, got, want, under);
        }
        cr_assert_neq(pz, pn);
    }
    int x, y;
    lonlat_pixel(&r1, lon + 1.77 / 108.1, lat + 1.77 / 110.6, &x, &y);
    cr_assert(x > r1.frame[0] && x < r1.frame[0] + r1.frame[2] && y > r1.frame[1] &&
              y < r1.frame[1] + r1.frame[3]);
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++)
            cr_assert_eq(pixel(a, x + dx, y + dy), pixel(b, x + dx, y + dy),
                         "outside the zone (%d,%d) changed", x + dx, y + dy);
    /* The legend: the zone swatch (the high fill over the white panel,
     * 245,198,198; a 4.4 x 2.8 mm box, about 17 x 11 px at 100 dpi) right
     * of the frame, only when zones are drawn (anti-aliased edges of red
     * marks give a few such pixels on both pages). */
    int px0 = r1.frame[0] + r1.frame[2] + 2, W = cairo_image_surface_get_width(a),
        H = cairo_image_surface_get_height(a);
    long sa = count_colour(a, px0, 0, W, H, 245, 198, 198),
         sb = count_colour(b, px0, 0, W, H, 245, 198, 198);
    cr_assert_geq(sa - sb, 100, "no zone swatch in the legend (%ld vs %ld px)", sa, sb);
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
}

/* ---- errors ---- */

Test(render, refuses_bad_requests)
{
    sinspace_store *store = make_store("err.db", 1, 0, 0);
    char out[512];
    path_in(out, sizeof out, "x.png");
    sinspace_map_options o;
    sinspace_map_options_init(&o);
    o.output = out;
    cr_assert_eq(sinspace_map_render(store, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    o.area = "Nowhere";
    cr_assert_eq(sinspace_map_render(store, &o, NULL), SINSPACE_NOT_FOUND);
    cr_assert(access(out, F_OK) != 0, "a failed map left a file");
    o.area = "1033";
    o.output = "x.tiff";
    cr_assert_eq(sinspace_map_render(store, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    o.output = out;
    o.crs = "EPSG:4326";
    cr_assert_eq(sinspace_map_render(store, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    o.crs = NULL;
    o.area = NULL;
    o.has_bbox = 1;
    o.bbox[0] = 101; o.bbox[1] = 13; o.bbox[2] = 100; o.bbox[3] = 14;
    cr_assert_eq(sinspace_map_render(store, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_map_render(NULL, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    long long n = -1;
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM audit WHERE command = 'map'",
                                     &n, 0), SINSPACE_OK);
    cr_assert_eq(n, 0);
    sinspace_store_close(store);
    cr_assert_eq(sinspace_paper_parse("a3"), SINSPACE_PAPER_A3);
    cr_assert_eq(sinspace_paper_parse("Letter"), SINSPACE_PAPER_LETTER);
    cr_assert_eq(sinspace_paper_parse("B5"), SINSPACE_PAPER_INVALID);
}

/* ---- atlas ---- */

Test(render, atlas_pages_and_audit)
{
    sinspace_store *store = make_store("atlas.db", 1, 1, 0);
    char out[512];
    path_in(out, sizeof out, "atlas.pdf");
    sinspace_atlas_options o;
    sinspace_atlas_options_init(&o);
    o.output = out;
    o.province = "Bangkok";
    o.dpi = 50;
    o.no_basemap = 1;
    sinspace_atlas_result r;
    cr_assert_eq(sinspace_atlas_render(store, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.areas, 25);
    cr_assert_eq(r.pages, 26);
    size_t n = 0;
    unsigned char *pdf = read_file(out, &n);
    cr_assert_not_null(pdf);
    cr_assert(contains(pdf, n, "/Count 26"), "the PDF does not have 26 pages");
    free(pdf);
    struct stat sb;
    cr_assert_eq(stat(out, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    long long rows = -1;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM audit WHERE command = 'atlas' AND target = 'Bangkok level district'",
        &rows, 0), SINSPACE_OK);
    cr_assert_eq(rows, 1);
    o.province = "1033"; /* a district, not a province */
    o.overwrite = 1;     /* the atlas above is there */
    cr_assert_eq(sinspace_atlas_render(store, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    sinspace_store_close(store);
}

/* ---- the command ---- */

Test(render, cli_map_exit_statuses)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert_not_null(bin);
    sinspace_store *store = make_store("cli.db", 1, 1, 0);
    sinspace_store_close(store);
    char cmd[2048], db[512], out[512];
    path_in(db, sizeof db, "cli.db");
    path_in(out, sizeof out, "cli.svg");
    snprintf(cmd, sizeof cmd, "'%s' -q map '%s' -o '%s' --area 'Khlong Toei' --dpi 72"
             " --no-basemap", bin, db, out);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 0);
    size_t n = 0;
    unsigned char *svg = read_file(out, &n);
    cr_assert_not_null(svg);
    cr_assert(contains(svg, n, "<svg"));
    free(svg);
    snprintf(cmd, sizeof cmd, "'%s' -q map '%s' -o '%s' 2>/dev/null", bin, db, out);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 2, "no extent is a usage error");
    snprintf(cmd, sizeof cmd, "'%s' -q map '%s' -o '%s' --bbox 1,2,3 2>/dev/null", bin, db, out);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "'%s' -q map '%s' -o '%s' --area Atlantis 2>/dev/null", bin,
             db, out);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 1);
}
