/* test_tiles.c: the imagery catalogue: footprints against gdalinfo's
 * corners, CRSs north and south, GCP rasters, corrupt files, missing
 * files, re-adding, removal and which tile covers which workplace. */
#include <criterion/criterion.h>

#include "core/sinspaceInt.h"
#include "store/store_int.h" /* sinspace__query_int, for counts */
#include "store/tiles.h"

#include <gdal.h>
#include <gdal_utils.h>
#include <geodesic.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/sinspace-tiles-XXXXXX";
static char dbpath[4096];
static char rasters[4096];
static sinspace_context *ctx;
static sinspace_store *store;

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(tmpdir));
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    cr_assert_not_null(root, "SINSPACE_SOURCE_ROOT is not set");
    snprintf(rasters, sizeof rasters, "%s/tests/data/rasters", root);
    snprintf(dbpath, sizeof dbpath, "%s/t.db", tmpdir);
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
    cr_assert_eq(sinspace_store_create(ctx, dbpath, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

static void
teardown(void)
{
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

TestSuite(tiles, .init = setup, .fini = teardown);

static const char *
raster(const char *name)
{
    static char buf[8][4200];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", rasters, name);
    return buf[i];
}

static const char *
tmpfile_path(const char *name)
{
    static char buf[8][4200];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static void
copy_file(const char *from, const char *to, long max_bytes)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out);
    char buf[65536];
    size_t n;
    long total = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (max_bytes >= 0 && total + (long)n > max_bytes)
            n = (size_t)(max_bytes - total);
        fwrite(buf, 1, n, out);
        total += (long)n;
        if (max_bytes >= 0 && total >= max_bytes)
            break;
    }
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

static long long
count(const char *sql)
{
    long long n = -1;
    cr_assert_eq(sinspace__query_int(store, sql, &n, 0), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    return n;
}

static sinspace_status
add1(const char *path, const char *date, const char *source)
{
    sinspace_tiles_add_options o;
    sinspace_tiles_add_options_init(&o);
    o.acquired = date;
    o.source = source;
    const char *paths[1] = {path};
    return sinspace_tiles_add(store, paths, 1, &o, NULL);
}

/* A copy of the first tile list entry, footprint included. */
typedef struct tile_copy {
    int found;
    long long id;
    char path[4200], crs[64], driver[32], acquired[16], source[64];
    int width, height, bands, missing;
    double pixel_size, pixel_size_m, west, south, east, north;
    OGRGeometryH footprint;
} tile_copy;

static int
copy_tile(void *user, const sinspace_tile *t)
{
    tile_copy *c = user;
    c->found++;
    c->id = t->id;
    snprintf(c->path, sizeof c->path, "%s", t->path);
    snprintf(c->crs, sizeof c->crs, "%s", t->crs ? t->crs : "");
    snprintf(c->driver, sizeof c->driver, "%s", t->driver ? t->driver : "");
    snprintf(c->acquired, sizeof c->acquired, "%s", t->acquired ? t->acquired : "");
    snprintf(c->source, sizeof c->source, "%s", t->source ? t->source : "");
    c->width = t->width;
    c->height = t->height;
    c->bands = t->bands;
    c->missing = t->missing;
    c->pixel_size = t->pixel_size;
    c->pixel_size_m = t->pixel_size_m;
    c->west = t->west;
    c->south = t->south;
    c->east = t->east;
    c->north = t->north;
    if (c->footprint)
        OGR_G_DestroyGeometry(c->footprint);
    c->footprint = NULL;
    OGR_G_CreateFromWkb(t->footprint_wkb, NULL, &c->footprint,
                        (int)t->footprint_wkb_size);
    return 0;
}

static tile_copy
only_tile(void)
{
    tile_copy c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(sinspace_tiles_list(store, copy_tile, &c), SINSPACE_OK);
    cr_assert_eq(c.found, 1);
    cr_assert_not_null(c.footprint);
    return c;
}

static void
assert_vertex(OGRGeometryH multi, int index, double lon, double lat, double tol)
{
    OGRGeometryH poly = OGR_G_GetGeometryRef(multi, 0);
    OGRGeometryH ring = OGR_G_GetGeometryRef(poly, 0);
    double x = OGR_G_GetX(ring, index), y = OGR_G_GetY(ring, index);
    cr_assert(fabs(x - lon) < tol && fabs(y - lat) < tol,
              "vertex %d is %.8f %.8f, expected %.8f %.8f", index, x, y, lon, lat);
}

Test(tiles, sentinel2_utm47n_matches_gdalinfo_corners)
{
    cr_assert_eq(add1(raster("sentinel2_khlong_toei.tif"), NULL, "Sentinel-2"),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    tile_copy t = only_tile();
    cr_assert_str_eq(t.crs, "EPSG:32647");
    cr_assert_str_eq(t.driver, "GTiff");
    cr_assert_eq(t.width, 553);
    cr_assert_eq(t.height, 504);
    cr_assert_eq(t.bands, 3);
    cr_assert_float_eq(t.pixel_size, 10.0, 1e-9);
    cr_assert(fabs(t.pixel_size_m - 10.0) < 0.1, "pixel %.4f m", t.pixel_size_m);
    cr_assert_str_eq(t.acquired, "");
    cr_assert_str_eq(t.source, "Sentinel-2");
    cr_assert_eq(t.path[0], '/');
    /* gdalinfo -json wgs84Extent: UL, LL, LR, UR; the ring goes down the
     * left edge first, 20 points per edge. */
    OGRGeometryH ring = OGR_G_GetGeometryRef(OGR_G_GetGeometryRef(t.footprint, 0), 0);
    cr_assert_eq(OGR_G_GetPointCount(ring), 81);
    assert_vertex(t.footprint, 0, 100.5507541, 13.7427936, 1e-6);
    assert_vertex(t.footprint, 20, 100.5504549, 13.6972377, 1e-6);
    assert_vertex(t.footprint, 40, 100.6015772, 13.6969121, 1e-6);
    assert_vertex(t.footprint, 60, 100.6018862, 13.7424669, 1e-6);
    assert_vertex(t.footprint, 80, 100.5507541, 13.7427936, 1e-6);
    cr_assert(OGR_G_IsValid(t.footprint));
    cr_assert_float_eq(t.west, 100.5504549, 1e-6);
    cr_assert_float_eq(t.north, 13.7427936, 1e-6);
    OGR_G_DestroyGeometry(t.footprint);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE command = 'tiles add' AND rows = 1"), 1);
    /* The spatial index knows it. */
    cr_assert_eq(count("SELECT count(*) FROM idx_tiles_footprint"
                       " WHERE xmin < 100.56 AND xmax > 100.59"), 1);
}

Test(tiles, gcp_raster_follows_the_gcps_in_southern_india)
{
    cr_assert_eq(add1(raster("cog_gcps.tif"), NULL, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    tile_copy t = only_tile();
    cr_assert_str_eq(t.crs, "EPSG:4326");
    cr_assert_str_eq(t.acquired, "2018-07-16"); /* TIFFTAG_DATETIME */
    cr_assert(!OGR_G_IsEmpty(t.footprint));
    cr_assert(OGR_G_IsValid(t.footprint));
    cr_assert(t.west > 75.5 && t.east < 78.3 && t.south > 9.1 && t.north < 11.3,
              "bounds %f %f %f %f", t.west, t.south, t.east, t.north);
    cr_assert(t.east - t.west > 2.0 && t.north - t.south > 1.5);
    /* A rotated scene: the corner of its bounding box is outside, its
     * middle inside. */
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(p, 0, t.west + 0.05, t.north - 0.05);
    cr_assert(!OGR_G_Contains(t.footprint, p));
    OGR_G_SetPoint_2D(p, 0, 77.0, 10.2);
    cr_assert(OGR_G_Contains(t.footprint, p));
    OGR_G_DestroyGeometry(p);
    cr_assert(t.pixel_size > 0.001 && t.pixel_size < 0.004, "%g deg", t.pixel_size);
    cr_assert(t.pixel_size_m > 150 && t.pixel_size_m < 300, "%g m", t.pixel_size_m);
    OGR_G_DestroyGeometry(t.footprint);
}

Test(tiles, web_mercator_raster)
{
    cr_assert_eq(add1(raster("web.tif"), NULL, NULL), SINSPACE_OK);
    tile_copy t = only_tile();
    cr_assert_str_eq(t.crs, "EPSG:3857");
    cr_assert_float_eq(t.west, -78.75, 1e-6);
    cr_assert_float_eq(t.east, -73.125, 1e-6);
    cr_assert_float_eq(t.south, 44.087585, 1e-6);
    cr_assert_float_eq(t.north, 47.9899217, 1e-6);
    cr_assert_float_eq(t.pixel_size, 611.496226281410031, 1e-6);
    /* Mercator stretches: a 611 m pixel is about 424 m on the ground at
     * 46 degrees north. */
    cr_assert(t.pixel_size_m > 415 && t.pixel_size_m < 435, "%g", t.pixel_size_m);
    OGR_G_DestroyGeometry(t.footprint);
}

Test(tiles, utm_south_raster)
{
    cr_assert_eq(add1(raster("pix4d_alpha_nodata.tif"), NULL, NULL), SINSPACE_OK);
    tile_copy t = only_tile();
    cr_assert_str_eq(t.crs, "EPSG:32750");
    assert_vertex(t.footprint, 0, 115.1596765, -8.5837869, 1e-6);
    assert_vertex(t.footprint, 20, 115.1596649, -8.586204, 1e-6);
    assert_vertex(t.footprint, 40, 115.1618627, -8.5862145, 1e-6);
    assert_vertex(t.footprint, 60, 115.1618743, -8.5837974, 1e-6);
    cr_assert(t.pixel_size_m > 0.34 && t.pixel_size_m < 0.36, "%g", t.pixel_size_m);
    OGR_G_DestroyGeometry(t.footprint);
}

Test(tiles, all_sample_rasters_in_one_call)
{
    const char *names[] = {"201404_13SED190110_201404_0x1500m_CL_1.tif",
                           "RGB.byte.tif", "cog_gcps.tif", "cog_scale_epsg4326.tif",
                           "pix4d_alpha_nodata.tif", "sentinel2_khlong_toei.tif",
                           "web.tif", "world.rgb.tif"};
    const char *paths[8];
    for (int i = 0; i < 8; i++)
        paths[i] = raster(names[i]);
    sinspace_tiles_add_result r;
    cr_assert_eq(sinspace_tiles_add(store, paths, 8, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.inserted, 8);
    cr_assert_eq(r.updated, 0);
    cr_assert_eq(count("SELECT count(*) FROM tiles WHERE ST_IsValid(footprint) = 1"
                       " AND GeometryType(footprint) = 'MULTIPOLYGON'"), 8);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE command = 'tiles add'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM tiles WHERE crs = 'EPSG:26913'"
                       " AND pixel_size_m BETWEEN 0.14 AND 0.16"), 1);
}

/* Converts a raster with GDALTranslate (e.g. "-of", "VRT"). */
static void
translate(const char *from, const char *to, const char *fmt)
{
    char *argv[] = {"-of", (char *)fmt, NULL};
    GDALTranslateOptions *o = GDALTranslateOptionsNew(argv, NULL);
    GDALDatasetH src = GDALOpen(from, GA_ReadOnly);
    cr_assert(o && src);
    GDALDatasetH out = GDALTranslate(to, src, o, NULL);
    cr_assert_not_null(out, "%s: %s", fmt, CPLGetLastErrorMsg());
    GDALClose(out);
    GDALClose(src);
    GDALTranslateOptionsFree(o);
}

static int
find_by_driver(void *user, const sinspace_tile *t)
{
    tile_copy *c = user;
    if (strcmp(t->driver, c->driver))
        return 0;
    copy_tile(c, t);
    return 1;
}

Test(tiles, vrt_jpeg2000_and_mbtiles)
{
    const char *src = raster("sentinel2_khlong_toei.tif");
    translate(src, tmpfile_path("s2.vrt"), "VRT");
    translate(src, tmpfile_path("s2.jp2"), "JP2OpenJPEG");
    translate(src, tmpfile_path("s2.mbtiles"), "MBTiles");
    const char *paths[3] = {tmpfile_path("s2.vrt"), tmpfile_path("s2.jp2"),
                            tmpfile_path("s2.mbtiles")};
    sinspace_tiles_add_result r;
    cr_assert_eq(sinspace_tiles_add(store, paths, 3, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.inserted, 3);
    const char *drivers[] = {"VRT", "JP2OpenJPEG"};
    for (int i = 0; i < 2; i++) {
        tile_copy t;
        memset(&t, 0, sizeof t);
        snprintf(t.driver, sizeof t.driver, "%s", drivers[i]);
        cr_assert_eq(sinspace_tiles_list(store, find_by_driver, &t), SINSPACE_OK);
        cr_assert_eq(t.found, 1, "%s", drivers[i]);
        cr_assert_str_eq(t.crs, "EPSG:32647");
        assert_vertex(t.footprint, 0, 100.5507541, 13.7427936, 1e-6);
        assert_vertex(t.footprint, 40, 100.6015772, 13.6969121, 1e-6);
        OGR_G_DestroyGeometry(t.footprint);
    }
    tile_copy m;
    memset(&m, 0, sizeof m);
    snprintf(m.driver, sizeof m.driver, "MBTiles");
    cr_assert_eq(sinspace_tiles_list(store, find_by_driver, &m), SINSPACE_OK);
    cr_assert_eq(m.found, 1);
    cr_assert_str_eq(m.crs, "EPSG:3857");
    /* The scene warped to web mercator: the same place, within a pixel. */
    cr_assert(fabs(m.west - 100.5504549) < 1e-4 && fabs(m.east - 100.6018862) < 1e-4 &&
              fabs(m.south - 13.6969121) < 1e-4 && fabs(m.north - 13.7427936) < 1e-4,
              "%f %f %f %f", m.west, m.south, m.east, m.north);
    OGR_G_DestroyGeometry(m.footprint);
}

Test(tiles, date_from_imagery_metadata_and_override)
{
    const char *copy = tmpfile_path("dated.tif");
    GDALDatasetH src = GDALOpen(raster("sentinel2_khlong_toei.tif"), GA_ReadOnly);
    GDALDatasetH dst = GDALCreateCopy(GDALGetDriverByName("GTiff"), copy, src, 0,
                                      NULL, NULL, NULL);
    cr_assert_not_null(dst);
    GDALSetMetadataItem(dst, "ACQUISITIONDATETIME", "2021-12-24T03:45:00Z", "IMAGERY");
    GDALClose(dst);
    GDALClose(src);
    cr_assert_eq(add1(copy, NULL, NULL), SINSPACE_OK);
    tile_copy t = only_tile();
    cr_assert_str_eq(t.acquired, "2021-12-24");
    OGR_G_DestroyGeometry(t.footprint);
    /* --date wins over the metadata. */
    cr_assert_eq(add1(copy, "2022-01-15", NULL), SINSPACE_OK);
    t = only_tile();
    cr_assert_str_eq(t.acquired, "2022-01-15");
    OGR_G_DestroyGeometry(t.footprint);
}

static void
assert_nothing_written(void)
{
    cr_assert_eq(count("SELECT count(*) FROM tiles"), 0);
    cr_assert_eq(count("SELECT count(*) FROM audit"), 0);
}

Test(tiles, truncated_geotiff_is_refused_and_nothing_written)
{
    const char *bad = tmpfile_path("truncated.tif");
    copy_file(raster("sentinel2_khlong_toei.tif"), bad, 1000);
    const char *paths[2] = {raster("web.tif"), bad};
    cr_assert_eq(sinspace_tiles_add(store, paths, 2, NULL, NULL),
                 SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "truncated.tif"), "%s",
              sinspace_context_message(ctx));
    assert_nothing_written();
    /* A file whose pixels are cut off after a readable header. */
    const char *cut = tmpfile_path("cut.tif");
    copy_file(raster("web.tif"), cut, 1000);
    cr_assert_eq(add1(cut, NULL, NULL), SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "cut.tif"));
    assert_nothing_written();
}

Test(tiles, text_file_named_tif_is_refused)
{
    const char *txt = tmpfile_path("notes.tif");
    FILE *f = fopen(txt, "w");
    cr_assert_not_null(f);
    fputs("these are not pixels\n", f);
    fclose(f);
    const char *paths[2] = {raster("web.tif"), txt};
    cr_assert_eq(sinspace_tiles_add(store, paths, 2, NULL, NULL),
                 SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "notes.tif"));
    assert_nothing_written();
}

Test(tiles, missing_file_is_not_found)
{
    cr_assert_eq(add1(tmpfile_path("nowhere.tif"), NULL, NULL), SINSPACE_NOT_FOUND);
    cr_assert(strstr(sinspace_context_message(ctx), "nowhere.tif"));
    assert_nothing_written();
}

Test(tiles, bad_date_is_a_usage_error)
{
    cr_assert_eq(add1(raster("web.tif"), "2024-02-30", NULL), SINSPACE_INVALID_ARGUMENT);
    assert_nothing_written();
}

Test(tiles, readding_updates_the_same_row)
{
    cr_assert_eq(add1(raster("web.tif"), "2020-05-01", "first"), SINSPACE_OK);
    long long id = count("SELECT id FROM tiles");
    sinspace_tiles_add_result r;
    const char *paths[1] = {raster("web.tif")};
    cr_assert_eq(sinspace_tiles_add(store, paths, 1, NULL, &r), SINSPACE_OK);
    cr_assert_eq(r.inserted, 0);
    cr_assert_eq(r.updated, 1);
    tile_copy t = only_tile();
    cr_assert_eq(t.id, id);
    cr_assert_str_eq(t.acquired, "2020-05-01"); /* kept */
    cr_assert_str_eq(t.source, "first");
    OGR_G_DestroyGeometry(t.footprint);
    /* The same file through a relative path with "..": one row. */
    char rel[4300];
    snprintf(rel, sizeof rel, "%s/../rasters/web.tif", rasters);
    cr_assert_eq(add1(rel, "2021-01-01", NULL), SINSPACE_OK);
    cr_assert_eq(count("SELECT count(*) FROM tiles"), 1);
    cr_assert_eq(count("SELECT count(*) FROM tiles WHERE acquired = '2021-01-01'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE command = 'tiles add'"), 3);
}

Test(tiles, moved_file_is_missing_and_can_be_removed_by_path)
{
    const char *a = tmpfile_path("scene.tif"), *b = tmpfile_path("scene-moved.tif");
    copy_file(raster("web.tif"), a, -1);
    cr_assert_eq(add1(a, NULL, NULL), SINSPACE_OK);
    tile_copy t = only_tile();
    cr_assert_eq(t.missing, 0);
    OGR_G_DestroyGeometry(t.footprint);
    cr_assert_eq(rename(a, b), 0);
    t = only_tile();
    cr_assert_eq(t.missing, 1);
    OGR_G_DestroyGeometry(t.footprint);
    long long id = 0;
    cr_assert_eq(sinspace_tiles_remove(store, a, &id), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(id, t.id);
    cr_assert_eq(count("SELECT count(*) FROM tiles"), 0);
    cr_assert_eq(count("SELECT count(*) FROM idx_tiles_footprint"), 0);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE command = 'tiles rm'"), 1);
    cr_assert_eq(sinspace_tiles_remove(store, a, NULL), SINSPACE_NOT_FOUND);
}

Test(tiles, remove_by_id)
{
    cr_assert_eq(add1(raster("web.tif"), NULL, NULL), SINSPACE_OK);
    cr_assert_eq(add1(raster("world.rgb.tif"), NULL, NULL), SINSPACE_OK);
    long long id = count("SELECT id FROM tiles WHERE path LIKE '%web.tif'");
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", id);
    cr_assert_eq(sinspace_tiles_remove(store, buf, NULL), SINSPACE_OK);
    cr_assert_eq(count("SELECT count(*) FROM tiles"), 1);
    cr_assert_eq(sinspace_tiles_remove(store, "999", NULL), SINSPACE_NOT_FOUND);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE command = 'tiles rm'"), 1);
}

/* --- cover and covering ------------------------------------------------ */

static void
import_workplaces(void)
{
    const char *csv = tmpfile_path("wp.csv");
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    /* Fictional workplaces. */
    fputs("id,name,sector,lon,lat\n"
          "T1,Test Venue Inside,karaoke_bar,100.575,13.72\n"
          "T2,Test Pier Outside,fishing,100.70,13.60\n"
          "T3,Test Site India,construction,77.0,10.2\n"
          "T4,Test Corner India,garment_factory,75.66,11.14\n", f);
    fclose(f);
    cr_assert_eq(sinspace_import_file(store, csv, NULL, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

typedef struct cover_result {
    char ext[8][8];
    long long tile[8];
    int n;
} cover_result;

static int
collect_cover(void *user, const sinspace_tile_cover *r)
{
    cover_result *c = user;
    if (c->n < 8) {
        snprintf(c->ext[c->n], sizeof c->ext[c->n], "%s", r->ext_id);
        c->tile[c->n] = r->tile ? r->tile->id : 0;
        c->n++;
    }
    return 0;
}

Test(tiles, cover_picks_the_finest_then_newest)
{
    import_workplaces();
    const char *older = tmpfile_path("s2-old.tif"), *newer = tmpfile_path("s2-new.tif");
    copy_file(raster("sentinel2_khlong_toei.tif"), older, -1);
    copy_file(raster("sentinel2_khlong_toei.tif"), newer, -1);
    cr_assert_eq(add1(raster("world.rgb.tif"), "2030-01-01", NULL), SINSPACE_OK);
    cr_assert_eq(add1(newer, "2024-03-01", NULL), SINSPACE_OK);
    cr_assert_eq(add1(older, "2019-03-01", NULL), SINSPACE_OK);
    cr_assert_eq(add1(raster("cog_gcps.tif"), NULL, NULL), SINSPACE_OK);
    /* ids: world 1, newer 2, older 3, gcps 4 */
    cover_result c = {0};
    sinspace_tiles_cover_stats s;
    cr_assert_eq(sinspace_tiles_cover(store, collect_cover, &c, &s), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(s.workplaces, 4);
    cr_assert_eq(s.covered, 4); /* the world image covers everything */
    cr_assert_str_eq(c.ext[0], "T1");
    cr_assert_eq(c.tile[0], 2);   /* 10 m, newest of the two */
    cr_assert_eq(c.tile[1], 1);   /* only the world */
    cr_assert_eq(c.tile[2], 4);   /* inside the GCP scene */
    cr_assert_eq(c.tile[3], 1);   /* in its bbox, outside its footprint */
}

Test(tiles, cover_lists_workplaces_without_imagery)
{
    import_workplaces();
    cr_assert_eq(add1(raster("sentinel2_khlong_toei.tif"), NULL, NULL), SINSPACE_OK);
    cover_result c = {0};
    sinspace_tiles_cover_stats s;
    cr_assert_eq(sinspace_tiles_cover(store, collect_cover, &c, &s), SINSPACE_OK);
    cr_assert_eq(s.workplaces, 4);
    cr_assert_eq(s.covered, 1);
    cr_assert_eq(c.tile[0], 1);
    cr_assert_eq(c.tile[1], 0);
    cr_assert_eq(c.tile[2], 0);
    cr_assert_eq(c.tile[3], 0);
}

static int
collect_ids(void *user, const sinspace_tile *t)
{
    cover_result *c = user;
    if (c->n < 8)
        c->tile[c->n++] = t->id;
    return 0;
}

Test(tiles, covering_a_bbox_orders_finest_first)
{
    cr_assert_eq(add1(raster("world.rgb.tif"), NULL, NULL), SINSPACE_OK);
    cr_assert_eq(add1(raster("sentinel2_khlong_toei.tif"), NULL, NULL), SINSPACE_OK);
    cr_assert_eq(add1(raster("web.tif"), NULL, NULL), SINSPACE_OK);
    const double kt[4] = {100.56, 13.70, 100.59, 13.73};
    cover_result c = {0};
    cr_assert_eq(sinspace_tiles_covering(store, kt, collect_ids, &c), SINSPACE_OK);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.tile[0], 2);
    cr_assert_eq(c.tile[1], 1);
    const double atlantic[4] = {-30, 0, -29, 1};
    memset(&c, 0, sizeof c);
    cr_assert_eq(sinspace_tiles_covering(store, atlantic, collect_ids, &c), SINSPACE_OK);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.tile[0], 1);
    const double bad[4] = {10, 0, 5, 1};
    cr_assert_eq(sinspace_tiles_covering(store, bad, collect_ids, &c),
                 SINSPACE_INVALID_ARGUMENT);
}

Test(tiles, null_arguments)
{
    cr_assert_eq(sinspace_tiles_add(NULL, NULL, 0, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    const char *none[1] = {NULL};
    cr_assert_eq(sinspace_tiles_add(store, none, 0, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_tiles_add(store, none, 1, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    assert_nothing_written();
    cr_assert_eq(sinspace_tiles_list(NULL, copy_tile, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_tiles_remove(store, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_tiles_remove(store, "", NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_tiles_covering(store, NULL, collect_ids, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_tiles_cover(NULL, collect_cover, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
}

/* --- the command ------------------------------------------------------- */

static int
run(const char *args, const char *out_name)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert_not_null(bin);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2>&1", bin, args,
             tmpfile_path(out_name));
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static char *
slurp(const char *name)
{
    static char buf[65536];
    FILE *f = fopen(tmpfile_path(name), "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(tiles, cli_exit_statuses_and_output)
{
    import_workplaces();
    sinspace_store_close(store);
    store = NULL;
    char args[16384];
    const char *bad = tmpfile_path("short.tif");
    copy_file(raster("sentinel2_khlong_toei.tif"), bad, 1000);
    snprintf(args, sizeof args, "tiles add '%s' '%s' '%s'", dbpath,
             raster("web.tif"), bad);
    cr_assert_eq(run(args, "o1"), 3);
    cr_assert(strstr(slurp("o1"), "short.tif"));
    snprintf(args, sizeof args, "tiles add '%s' '%s'", dbpath, tmpfile_path("gone.tif"));
    cr_assert_eq(run(args, "o2"), 1);
    cr_assert(strstr(slurp("o2"), "gone.tif"));

    const char *moving = tmpfile_path("moving.tif");
    copy_file(raster("web.tif"), moving, -1);
    snprintf(args, sizeof args, "tiles add '%s' '%s' '%s' --date 2023-04-05"
             " --source 'Sentinel-2' --attribution 'Contains Copernicus data'",
             dbpath, raster("sentinel2_khlong_toei.tif"), moving);
    cr_assert_eq(run(args, "o3"), 0, "%s", slurp("o3"));
    cr_assert(rename(moving, tmpfile_path("moved.tif")) == 0);
    snprintf(args, sizeof args, "tiles list '%s'", dbpath);
    cr_assert_eq(run(args, "o4"), 0);
    char *out = slurp("o4");
    cr_assert(strstr(out, "EPSG:32647"), "%s", out);
    cr_assert(strstr(out, "2023-04-05"));
    cr_assert(strstr(out, "moving.tif  MISSING"), "%s", out);
    cr_assert(strstr(out, "2 tiles, 1 MISSING"), "%s", out);

    snprintf(args, sizeof args, "tiles cover '%s'", dbpath);
    cr_assert_eq(run(args, "o5"), 0);
    out = slurp("o5");
    cr_assert(strstr(out, "1 of 4 workplaces covered by imagery"), "%s", out);
    cr_assert(strstr(out, "Workplaces with no imagery"), "%s", out);
    snprintf(args, sizeof args, "tiles cover '%s' --format csv", dbpath);
    cr_assert_eq(run(args, "o6"), 0);
    out = slurp("o6");
    cr_assert(strstr(out, "workplace_id,ext_id,name,sector,lon,lat,tile_id"), "%s", out);
    cr_assert(strstr(out, "T1,Test Venue Inside,karaoke_bar,100.5750000,13.7200000,1,"), "%s", out);
    cr_assert(strstr(out, "T2,Test Pier Outside,fishing,100.7000000,13.6000000,,,,\n"), "%s", out);

    snprintf(args, sizeof args, "tiles rm '%s' 1", dbpath);
    cr_assert_eq(run(args, "o7"), 0);
    snprintf(args, sizeof args, "tiles rm '%s' 1", dbpath);
    cr_assert_eq(run(args, "o8"), 1);
    snprintf(args, sizeof args, "tiles frobnicate '%s'", dbpath);
    cr_assert_eq(run(args, "o9"), 2);
}

/* --- the engine's tile operations -------------------------------------- */

static int
stop_at_first(void *user, const sinspace_tile_cover *r)
{
    (void)r;
    ++*(int *)user;
    return 1;
}

Test(tiles, engine_find_and_cover_stats_after_a_stop)
{
    const sinspace__tile_ops *ops = sinspace__store_engine(store)->tiles;
    cr_assert_not_null(ops);
    cr_assert_eq(sinspace__store_writable(store), 1);
    cr_assert_eq(add1(raster("world.rgb.tif"), NULL, NULL), SINSPACE_OK);
    long long id = -1;
    cr_assert_eq(ops->find(store, 0, raster("world.rgb.tif"), &id), SINSPACE_OK);
    cr_assert_eq(id, 1);
    cr_assert_eq(ops->find(store, 1, NULL, &id), SINSPACE_OK);
    cr_assert_eq(id, 1);
    cr_assert_eq(ops->find(store, 2, NULL, &id), SINSPACE_OK);
    cr_assert_eq(id, 0);
    cr_assert_eq(ops->find(store, 0, "/no/such/file.tif", &id), SINSPACE_OK);
    cr_assert_eq(id, 0);
    /* A callback that stops still leaves every workplace counted. */
    import_workplaces();
    int calls = 0;
    sinspace_tiles_cover_stats s;
    cr_assert_eq(sinspace_tiles_cover(store, stop_at_first, &calls, &s), SINSPACE_OK);
    cr_assert_eq(calls, 1);
    cr_assert_eq(s.workplaces, 4);
    cr_assert_eq(s.covered, 4);
}

/* ---- tile services (docs/imagery.md) ---- */

static sinspace_status
add_svc(const char *url, const char *attribution, int minz, int maxz,
        const double *extent, const char *header)
{
    sinspace_tiles_service_options o;
    sinspace_tiles_service_options_init(&o);
    o.attribution = attribution;
    o.source = "test service";
    o.min_zoom = minz;
    o.max_zoom = maxz;
    if (extent) {
        o.has_extent = 1;
        memcpy(o.extent, extent, sizeof o.extent);
    }
    const char *h[1] = {header};
    if (header) {
        o.headers = h;
        o.n_headers = 1;
    }
    return sinspace_tiles_add_service(store, url, &o, NULL);
}

typedef struct svc_copy {
    int found;
    char service[16];
    int min_zoom, max_zoom, missing;
    double pixel_size_m, west, south, east, north;
} svc_copy;

static int
copy_svc(void *user, const sinspace_tile *t)
{
    svc_copy *c = user;
    c->found++;
    snprintf(c->service, sizeof c->service, "%s", t->service ? t->service : "");
    c->min_zoom = t->min_zoom;
    c->max_zoom = t->max_zoom;
    c->missing = t->missing;
    c->pixel_size_m = t->pixel_size_m;
    c->west = t->west, c->south = t->south, c->east = t->east, c->north = t->north;
    return 0;
}

Test(tiles, xyz_service_is_catalogued_from_its_template)
{
    const double ext[4] = {100.5, 13.6, 100.7, 13.8};
    cr_assert_eq(add_svc("http://127.0.0.1:9/{z}/{x}/{y}.png", "Test credit", 3,
                         17, ext, "X-Api-Key: very-secret-value"),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    svc_copy c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(sinspace_tiles_list(store, copy_svc, &c), SINSPACE_OK);
    cr_assert_eq(c.found, 1);
    cr_assert_str_eq(c.service, "xyz");
    cr_assert_eq(c.min_zoom, 3);
    cr_assert_eq(c.max_zoom, 17);
    cr_assert_eq(c.missing, 0, "a service is not a missing file");
    /* The footprint is the extent. */
    cr_assert(fabs(c.west - 100.5) < 1e-9 && fabs(c.south - 13.6) < 1e-9 &&
              fabs(c.east - 100.7) < 1e-9 && fabs(c.north - 13.8) < 1e-9,
              "bounds %.9f %.9f %.9f %.9f", c.west, c.south, c.east, c.north);
    /* The ground size of a zoom-17 pixel at 13.7 N, measured independently:
     * two Web Mercator points one pixel apart, back to lon/lat by OGR, the
     * geodesic between them. */
    OGRSpatialReferenceH wm = OSRNewSpatialReference(NULL), ll = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wm, 3857);
    OSRImportFromEPSG(ll, 4326);
    OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wm, ll);
    double res = 2 * M_PI * 6378137.0 / 256 / 131072.0;
    double y0 = 6378137.0 * log(tan(M_PI / 4 + 13.7 * M_PI / 360));
    double xs[2] = {11190000, 11190000 + res}, ys[2] = {y0, y0};
    cr_assert(OCTTransform(ct, 2, xs, ys, NULL));
    struct geod_geodesic g;
    geod_init(&g, 6378137, 1 / 298.257223563);
    double s12;
    geod_inverse(&g, ys[0], xs[0], ys[1], xs[1], &s12, NULL, NULL);
    cr_assert(fabs(c.pixel_size_m - s12) / s12 < 0.01,
              "pixel %.4f m, geodesic %.4f m", c.pixel_size_m, s12);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wm);
    OSRDestroySpatialReference(ll);
    /* The key is in the store, never in the audit trail. */
    cr_assert_eq(count("SELECT count(*) FROM tile_services WHERE headers ="
                       " 'X-Api-Key: very-secret-value'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE command = 'tiles add'"
                       " AND target = 'http://127.0.0.1:9/{z}/{x}/{y}.png'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM audit WHERE target LIKE '%secret%'"
                       " OR filters LIKE '%secret%'"), 0);
    /* Covering finds it; removing it removes its service row. */
    double box[4] = {100.55, 13.65, 100.6, 13.7};
    memset(&c, 0, sizeof c);
    cr_assert_eq(sinspace_tiles_covering(store, box, copy_svc, &c), SINSPACE_OK);
    cr_assert_eq(c.found, 1);
    cr_assert_eq(sinspace_tiles_remove(store, "http://127.0.0.1:9/{z}/{x}/{y}.png", NULL),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(count("SELECT count(*) FROM tile_services"), 0);
}

Test(tiles, tms_default_zooms_and_world_extent)
{
    cr_assert_eq(add_svc("https://example.invalid/tms/{z}/{x}/{-y}.jpg", "c", -1, -1,
                         NULL, NULL), SINSPACE_OK, "%s", sinspace_context_message(ctx));
    svc_copy c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(sinspace_tiles_list(store, copy_svc, &c), SINSPACE_OK);
    cr_assert_str_eq(c.service, "tms");
    cr_assert_eq(c.min_zoom, 0);
    cr_assert_eq(c.max_zoom, 19);
    cr_assert(fabs(c.west + 180) < 1e-9 && fabs(c.north - 85.0511287798066) < 1e-9);
}

Test(tiles, bad_services_are_refused_and_write_nothing)
{
    const double bad_ext[4] = {101, 13, 100, 14};
    struct { const char *url, *attr; int minz, maxz; const double *ext;
             const char *header, *msg; } cases[] = {
        {"http://h/tiles.png", "c", -1, -1, NULL, NULL, "{z}"},
        {"http://h/{z}/{x}/{y}.png", NULL, -1, -1, NULL, NULL, "--attribution"},
        {"http://h/{z}/{x}/{y}.png", "", -1, -1, NULL, NULL, "--attribution"},
        {"http://h/{z}/{x}/{y}.png", "c", 12, 10, NULL, NULL, "zoom"},
        {"http://h/{z}/{x}/{y}.png", "c", -1, 25, NULL, NULL, "zoom"},
        {"http://h/{z}/{x}/{y}.png", "c", -1, -1, bad_ext, NULL, "--extent"},
        {"http://h/{z}/{x}/{y}.png", "c", -1, -1, NULL, "no colon secret", "--header 1"},
        {"http://h/{z}/{x}/{y}.png", "c", -1, -1, NULL, "Bad Name: secret", "--header 1"},
        {"http://h/{z}/{x}/{y} .png", "c", -1, -1, NULL, NULL, "percent-encoded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sinspace_status st = add_svc(cases[i].url, cases[i].attr, cases[i].minz,
                                     cases[i].maxz, cases[i].ext, cases[i].header);
        cr_assert_eq(st, SINSPACE_INVALID_ARGUMENT, "case %zu: %d %s", i, st,
                     sinspace_context_message(ctx));
        const char *m = sinspace_context_message(ctx);
        cr_assert(strstr(m, cases[i].msg), "case %zu: %s", i, m);
        cr_assert_null(strstr(m, "secret"), "case %zu echoes the header: %s", i, m);
    }
    cr_assert_eq(count("SELECT count(*) FROM tiles"), 0);
    cr_assert_eq(count("SELECT count(*) FROM tile_services"), 0);
    cr_assert_eq(count("SELECT count(*) FROM audit"), 0);
}

/* A version-1 store: every version-2 table gone (the network's, the tile
 * services', the zone runs'), as a store made before them has it.  The one
 * migration 1 -> 2 must bring all of them back. */
Test(tiles, schema_1_store_is_migrated_to_tile_services)
{
    static const char *const v2[] = {
        "DROP TABLE tile_services", "DROP TABLE zone_run_zones",
        "DROP TABLE zone_runs", "SELECT DropGeoTable('responders')",
        "DROP TABLE IF EXISTS responders", "DROP TABLE responder_roles",
        "DROP TABLE responder_expertise", "DROP TABLE network_meta",
        "DROP TABLE emerging_categories", "DROP TABLE emerging_runs"};
    for (size_t i = 0; i < sizeof v2 / sizeof v2[0]; i++)
        cr_assert_eq(sinspace__exec(store, v2[i]), SINSPACE_OK, "%s: %s", v2[i],
                     sinspace_context_message(ctx));
    cr_assert_eq(count("SELECT count(*) FROM sqlite_master WHERE name IN"
                       " ('tile_services', 'zone_runs', 'responders',"
                       " 'responder_roles', 'network_meta')"), 0);
    cr_assert_eq(sinspace__exec(store, "UPDATE sinspace_meta SET value = '1'"
                                       " WHERE key = 'schema_version'"), SINSPACE_OK);
    sinspace_store_close(store);
    store = NULL;
    cr_assert_eq(sinspace_store_open(ctx, dbpath, SINSPACE_OPEN_READWRITE, &store),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(count("SELECT CAST(value AS INTEGER) FROM sinspace_meta"
                       " WHERE key = 'schema_version'"), SINSPACE_SCHEMA_VERSION);
    cr_assert_eq(count("SELECT count(*) FROM sqlite_master WHERE name = 'tile_services'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                       " ('zone_runs', 'zone_run_zones', 'responders',"
                       " 'responder_roles', 'responder_expertise', 'network_meta',"
                       " 'emerging_runs', 'emerging_categories')"), 8);
    cr_assert_eq(count("SELECT count(*) FROM geometry_columns"
                       " WHERE f_table_name = 'responders'"), 2);
    cr_assert_eq(add_svc("http://h/{z}/{x}/{y}.png", "c", -1, -1, NULL, NULL),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
}

Test(tiles, fetch_refuses_bad_requests_before_any_request)
{
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 100.55, 13.69, 100.6, 13.74, &r),
                 SINSPACE_OK);
    sinspace_tiles_fetch_options o;
    sinspace_tiles_fetch_options_init(&o);
    o.output = tmpfile_path("p.tif");
    cr_assert_eq(sinspace_tiles_fetch(store, r, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), ".mbtiles"));
    o.output = tmpfile_path("p.mbtiles");
    cr_assert_eq(sinspace_tiles_fetch(store, r, &o, NULL), SINSPACE_NOT_FOUND,
                 "no service: %s", sinspace_context_message(ctx));
    /* A port nobody listens on: the request never matters, the zoom is
     * checked first. */
    cr_assert_eq(add_svc("http://127.0.0.1:9/{z}/{x}/{y}.png", "c", 2, 14, NULL, NULL),
                 SINSPACE_OK);
    o.zoom = 16;
    cr_assert_eq(sinspace_tiles_fetch(store, r, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "zooms 2 to 14"), "%s",
              sinspace_context_message(ctx));
    /* An existing FILE is not replaced. */
    FILE *f = fopen(tmpfile_path("p.mbtiles"), "w");
    fclose(f);
    o.zoom = 14;
    cr_assert_eq(sinspace_tiles_fetch(store, r, &o, NULL), SINSPACE_IO);
    cr_assert(strstr(sinspace_context_message(ctx), "exists"), "%s",
              sinspace_context_message(ctx));
    sinspace_region_destroy(r);
}
