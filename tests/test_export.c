/* test_export.c: the GeoJSON writer, geomasking and sinspace_export for every
 * audience, layer and format.
 *
 * Each test builds a store in a temporary folder from tests/data: the 25
 * amphoe and 204 tambon of Chiang Mai (RTSD / OCHA, see PROVENANCE.md of the
 * shared data) and 80 fictional workplaces (tools/gen_workplaces.py 80 1).
 * Output is read back with OGR, an independent reader, and checked against
 * the store. */
#include <criterion/criterion.h>

#include "store/store_int.h"
#include "geo/geomask.h"
#include "core/sinspaceInt.h"

#include <gdal.h>
#include <geodesic.h>
#include <nettle/hmac.h>
#include <ogr_api.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_WORKPLACES 80

static char dir[256];
static sinspace_context *ctx;
static sinspace_store *store;

static void
path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static const char *
data_path(const char *name)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/tests/data/%s", root ? root : "..", name);
    return buf[k];
}

static void
import(const char *file, sinspace_import_kind kind, sinspace_area_level level)
{
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = kind;
    o.level = level;
    sinspace_status st = sinspace_import_file(store, data_path(file), &o, NULL);
    cr_assert_eq(st, SINSPACE_OK, "import %s: %s", file, sinspace_context_message(ctx));
}

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sinspace-export-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    ctx = sinspace_context_create();
    char db[512];
    path_in(db, sizeof db, "store.sqlite");
    cr_assert_eq(sinspace_store_create(ctx, db, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    import("chiang_mai_amphoe.geojson", SINSPACE_IMPORT_AREAS, SINSPACE_LEVEL_DISTRICT);
    import("chiang_mai_tambon.geojson", SINSPACE_IMPORT_AREAS, SINSPACE_LEVEL_SUBDISTRICT);
    import("export_workplaces.csv", SINSPACE_IMPORT_WORKPLACES, SINSPACE_LEVEL_INVALID);
}

static void
remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static void
teardown(void)
{
    sinspace_store_close(store);
    store = NULL;
    sinspace_context_destroy(ctx);
    ctx = NULL;
    remove_tree(dir);
}

static char *
slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (size)
        *size = (size_t)n;
    return buf;
}

static sinspace_status
export_to(const char *name, sinspace_export_layer layer, sinspace_audience aud,
          sinspace_export_result *r)
{
    char out[512];
    path_in(out, sizeof out, name);
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    o.layer = layer;
    o.audience = aud;
    return sinspace_export(store, out, &o, r);
}

static GDALDatasetH
open_vector(const char *name)
{
    char p[512];
    path_in(p, sizeof p, name);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    cr_assert_not_null(ds, "OGR cannot open %s", p);
    return ds;
}

static int
mode_of(const char *name)
{
    char p[512];
    struct stat sb;
    path_in(p, sizeof p, name);
    cr_assert_eq(stat(p, &sb), 0, "%s missing", p);
    return (int)(sb.st_mode & 0777);
}

/* -------------------------------------------------------------------------
 * The GeoJSON writer
 */

static char *
write_with(const sinspace_geojson_options *opts,
           void (*body)(sinspace_geojson_writer *))
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    sinspace_context *c = sinspace_context_create();
    sinspace_geojson_writer *w = NULL;
    cr_assert_eq(sinspace_geojson_writer_create(c, f, opts, &w), SINSPACE_OK);
    body(w);
    cr_assert_eq(sinspace_geojson_end(w), SINSPACE_OK, "%s",
                 sinspace_context_message(c));
    sinspace_geojson_writer_destroy(w);
    sinspace_context_destroy(c);
    fclose(f);
    return buf;
}

static void
body_types(sinspace_geojson_writer *w)
{
    sinspace_property meta[] = {{"audience", SINSPACE_VALUE_TEXT, 0, 0, "public"}};
    cr_assert_eq(sinspace_geojson_begin(w, "sinspace", meta, 1), SINSPACE_OK);
    sinspace_property p[] = {
        {"n", SINSPACE_VALUE_INTEGER, -42, 0, NULL},
        {"r", SINSPACE_VALUE_REAL, 0, 2.5, NULL},
        {"third", SINSPACE_VALUE_REAL, 0, 1.0 / 3.0, NULL},
        {"nan", SINSPACE_VALUE_REAL, 0, NAN, NULL},
        {"s", SINSPACE_VALUE_TEXT, 0, 0, "a\"b\\c\nd\x01 ไทย/é"},
        {"d", SINSPACE_VALUE_DATE, 0, 0, "2025-01-31"},
        {"none", SINSPACE_VALUE_TEXT, 0, 0, NULL},
        {"b", SINSPACE_VALUE_BOOLEAN, 7, 0, NULL},
        {"z", SINSPACE_VALUE_NULL, 0, 0, NULL}};
    cr_assert_eq(sinspace_geojson_write_point(w, 7, p, 9, 98.98765432, -0.0000001),
                 SINSPACE_OK);
}

Test(geojson, typed_properties_and_escapes)
{
    char *out = write_with(NULL, body_types);
    cr_assert_str_eq(out,
        "{\"type\":\"FeatureCollection\",\"sinspace\":{\"audience\":\"public\"},"
        "\"features\":[\n"
        "{\"type\":\"Feature\",\"id\":7,\"properties\":{\"n\":-42,\"r\":2.5,"
        "\"third\":0.33333333333333331,\"nan\":null,"
        "\"s\":\"a\\\"b\\\\c\\nd\\u0001 ไทย/é\",\"d\":\"2025-01-31\","
        "\"none\":null,\"b\":true,\"z\":null},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[98.987654,0]}}\n]}\n");
    free(out);
}

/* A square drawn clockwise with a counter-clockwise hole: both must come
 * out reversed.  WKB through OGR, as export does. */
static void
body_polygon(sinspace_geojson_writer *w)
{
    cr_assert_eq(sinspace_geojson_begin(w, NULL, NULL, 0), SINSPACE_OK);
    OGRGeometryH g = NULL;
    char *wkt = "POLYGON ((0 0,0 10,10 10,10 0,0 0),(2 2,4 2,4 4,2 2))";
    cr_assert_eq(OGR_G_CreateFromWkt(&wkt, NULL, &g), OGRERR_NONE);
    int size = OGR_G_WkbSize(g);
    unsigned char *wkb = malloc((size_t)size);
    OGR_G_ExportToWkb(g, wkbNDR, wkb);
    sinspace_property p[] = {{"k", SINSPACE_VALUE_INTEGER, 1, 0, NULL}};
    cr_assert_eq(sinspace_geojson_write_feature(w, -1, p, 1, wkb, (size_t)size),
                 SINSPACE_OK);
    cr_assert_eq(sinspace_geojson_write_feature(w, 2, NULL, 0, NULL, 0), SINSPACE_OK);
    free(wkb);
    OGR_G_DestroyGeometry(g);
}

Test(geojson, right_hand_winding_and_bbox)
{
    sinspace_geojson_options o;
    sinspace_geojson_options_init(&o);
    o.bbox = 1;
    o.precision = 2;
    char *out = write_with(&o, body_polygon);
    cr_assert_str_eq(out,
        "{\"type\":\"FeatureCollection\",\"features\":[\n"
        "{\"type\":\"Feature\",\"properties\":{\"k\":1},\"geometry\":{\"type\":"
        "\"Polygon\",\"coordinates\":[[[0,0],[10,0],[10,10],[0,10],[0,0]],"
        "[[2,2],[4,4],[4,2],[2,2]]]},\"bbox\":[0,0,10,10]},\n"
        "{\"type\":\"Feature\",\"id\":2,\"properties\":{},\"geometry\":null}\n"
        "],\"bbox\":[0,0,10,10]}\n");
    free(out);
}

static void
body_seq(sinspace_geojson_writer *w)
{
    sinspace_property meta[] = {{"audience", SINSPACE_VALUE_TEXT, 0, 0, "partner"}};
    cr_assert_eq(sinspace_geojson_begin(w, "sinspace", meta, 1), SINSPACE_OK);
    cr_assert_eq(sinspace_geojson_write_point(w, 1, NULL, 0, 1.5, 2.25), SINSPACE_OK);
    cr_assert_eq(sinspace_geojson_write_point(w, 2, NULL, 0, -1, 0.1234567), SINSPACE_OK);
}

Test(geojson, rfc8142_sequence)
{
    sinspace_geojson_options o;
    sinspace_geojson_options_init(&o);
    o.sequence = 1;
    char *out = write_with(&o, body_seq);
    cr_assert_str_eq(out,
        "\x1e{\"type\":\"Feature\",\"id\":1,\"sinspace\":{\"audience\":\"partner\"},"
        "\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1.5,2.25]}}\n"
        "\x1e{\"type\":\"Feature\",\"id\":2,\"sinspace\":{\"audience\":\"partner\"},"
        "\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[-1,0.123457]}}\n");
    free(out);
}

Test(geojson, misuse_is_refused)
{
    sinspace_context *c = sinspace_context_create();
    sinspace_geojson_writer *w = NULL;
    cr_assert_eq(sinspace_geojson_writer_create(c, NULL, NULL, &w),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_geojson_options o;
    sinspace_geojson_options_init(&o);
    o.precision = 16;
    cr_assert_eq(sinspace_geojson_writer_create(c, stdout, &o, &w),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_null(w);
    cr_assert_eq(sinspace_geojson_writer_create(c, stdout, NULL, &w), SINSPACE_OK);
    /* A feature before begin is refused, and the status sticks. */
    cr_assert_eq(sinspace_geojson_write_point(w, 1, NULL, 0, 0, 0),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_geojson_begin(w, NULL, NULL, 0), SINSPACE_INVALID_ARGUMENT);
    sinspace_geojson_writer_destroy(w);
    sinspace_geojson_writer_destroy(NULL);
    sinspace_context_destroy(c);
}

/* -------------------------------------------------------------------------
 * Geomasking
 */

Test(geomask, stream_is_keyed_and_fixed)
{
    unsigned char k1[32] = {1}, k2[32] = {2};
    double a[4], b[4], c[4], d[4];
    sinspace__geomask_uniforms(k1, 32, "WP-1", 3, a);
    sinspace__geomask_uniforms(k1, 32, "WP-1", 3, b);
    sinspace__geomask_uniforms(k2, 32, "WP-1", 3, c);
    sinspace__geomask_uniforms(k1, 32, "WP-2", 3, d);
    for (int i = 0; i < 4; i++) {
        cr_assert(a[i] >= 0.0 && a[i] < 1.0);
        cr_assert_eq(a[i], b[i]);
    }
    cr_assert_neq(a[0], c[0]);
    cr_assert_neq(a[0], d[0]);
}

/* The keyed order of public files as docs/export.md states it, written
 * here from the statement (not from geomask.c): HMAC-SHA256 under the
 * store's geomask secret over "sinspace-order-v1" and the ext_id (each with
 * its NUL), the first 8 bytes big-endian shifted right by one; ties by id.
 * Registered as the SQL function order_key(secret_hex, ext_id), so a test
 * lists workplaces in the order a public file must hold them. */
static void
order_key_sql(sqlite3_context *c, int argc, sqlite3_value **v)
{
    (void)argc;
    const char *hex = (const char *)sqlite3_value_text(v[0]);
    const char *ext = (const char *)sqlite3_value_text(v[1]);
    if (!hex || !ext) {
        sqlite3_result_null(c);
        return;
    }
    uint8_t key[32];
    size_t n = 0;
    for (; n < 32 && hex[2 * n] && hex[2 * n + 1]; n++) {
        unsigned b;
        sscanf(hex + 2 * n, "%2x", &b);
        key[n] = (uint8_t)b;
    }
    struct hmac_sha256_ctx h;
    uint8_t d[SHA256_DIGEST_SIZE];
    hmac_sha256_set_key(&h, n, key);
    hmac_sha256_update(&h, sizeof "sinspace-order-v1",
                       (const uint8_t *)"sinspace-order-v1");
    hmac_sha256_update(&h, strlen(ext) + 1, (const uint8_t *)ext);
    hmac_sha256_digest(&h, sizeof d, d);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = (x << 8) | d[i];
    sqlite3_result_int64(c, (sqlite3_int64)(x >> 1));
}

static void
register_order_key(void)
{
    cr_assert_eq(sqlite3_create_function(store->db, "order_key", 2, SQLITE_UTF8,
                                         NULL, order_key_sql, NULL, NULL),
                 SQLITE_OK);
}

/* ORDER BY of workplaces w in a public file's order. */
#define PUBLIC_ORDER                                                        \
    " ORDER BY order_key((SELECT value FROM sinspace_meta"                  \
    " WHERE key = 'geomask_secret'), w.ext_id), w.id"

/* Reads every point of a GeoJSON export, by feature id. */
typedef struct pts {
    double lon[N_WORKPLACES + 1], lat[N_WORKPLACES + 1];
    char district[N_WORKPLACES + 1][64];
    long long n;
} pts;

static void
read_points(const char *name, pts *p)
{
    memset(p, 0, sizeof *p);
    GDALDatasetH ds = open_vector(name);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    int fd = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "district");
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        long long id = OGR_F_GetFID(f);
        cr_assert(id >= 1 && id <= N_WORKPLACES, "feature id %lld", id);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        p->lon[id] = OGR_G_GetX(g, 0);
        p->lat[id] = OGR_G_GetY(g, 0);
        if (fd >= 0 && OGR_F_IsFieldSetAndNotNull(f, fd))
            snprintf(p->district[id], 64, "%s", OGR_F_GetFieldAsString(f, fd));
        p->n++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

Test(export, public_points_are_displaced_within_limits_and_district,
     .init = setup, .fini = teardown)
{
    sinspace_export_result r;
    cr_assert_eq(export_to("public.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.rows, N_WORKPLACES);
    cr_assert_eq(r.displaced, N_WORKPLACES);
    cr_assert_eq(mode_of("public.geojson"), 0600);

    /* No withheld field name, no ext_id, no name, no exact coordinate. */
    char p[512];
    path_in(p, sizeof p, "public.geojson");
    char *text = slurp(p, NULL);
    const char *withheld[] = {"\"name\"", "\"name_local\"", "\"address\"",
                              "\"source\"", "\"source_note\"", "\"observer\"",
                              "\"area\"", "WP-0", "Workplace ", "Fictional",
                              "observer ", "note line"};
    for (size_t i = 0; i < sizeof withheld / sizeof withheld[0]; i++)
        cr_assert_null(strstr(text, withheld[i]), "public file holds %s", withheld[i]);
    cr_assert_not_null(strstr(text, "\"sinspace\":{\"audience\":\"public\""));
    cr_assert_null(strstr(text, "\"crs\""));

    pts got;
    read_points("public.geojson", &got);
    cr_assert_eq(got.n, N_WORKPLACES);
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1.0 / 298.257223563);
    sqlite3_stmt *truth, *in_district;
    /* Public features 1..n pair with workplaces in the keyed order. */
    register_order_key();
    cr_assert_eq(sinspace__prepare(store,
        "SELECT X(geom), Y(geom), (SELECT a.code FROM area_members AS m JOIN areas"
        " AS a ON a.id = m.area_id WHERE m.workplace_id = w.id AND a.level = 'district')"
        " FROM workplaces AS w" PUBLIC_ORDER, &truth), SINSPACE_OK);
    cr_assert_eq(sinspace__prepare(store,
        "SELECT ST_Intersects(geom, MakePoint(?2, ?3, 4326)) FROM areas"
        " WHERE code = ?1", &in_district), SINSPACE_OK);
    int k = 0, with_district = 0, far = 0;
    while (sqlite3_step(truth) == SQLITE_ROW) {
        k++;
        double lon = sqlite3_column_double(truth, 0), lat = sqlite3_column_double(truth, 1);
        const char *district = (const char *)sqlite3_column_text(truth, 2);
        double s12;
        geod_inverse(&g, lat, lon, got.lat[k], got.lon[k], &s12, NULL, NULL);
        /* 100 m at least; 0.2 m allowed for the 6 decimals of output. */
        cr_assert(s12 >= 99.8 && s12 <= 10000.2, "workplace %d moved %.1f m", k, s12);
        if (s12 > 5000.2)
            far++;
        if (district) {
            with_district++;
            cr_assert_str_eq(got.district[k], district);
            sqlite3_reset(in_district);
            sqlite3_bind_text(in_district, 1, district, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(in_district, 2, got.lon[k]);
            sqlite3_bind_double(in_district, 3, got.lat[k]);
            cr_assert_eq(sqlite3_step(in_district), SQLITE_ROW);
            cr_assert_eq(sqlite3_column_int(in_district, 0), 1,
                         "workplace %d left district %s", k, district);
        } else {
            cr_assert_str_eq(got.district[k], "");
        }
    }
    sqlite3_finalize(truth);
    sqlite3_finalize(in_district);
    cr_assert_eq(k, N_WORKPLACES);
    cr_assert_gt(with_district, 30); /* the data puts most inside Chiang Mai */
    cr_assert_leq(far, 5);

    /* The same displacement on a second export. */
    cr_assert_eq(export_to("again.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_OK);
    pts again;
    read_points("again.geojson", &again);
    for (int i = 1; i <= N_WORKPLACES; i++) {
        cr_assert_eq(again.lon[i], got.lon[i]);
        cr_assert_eq(again.lat[i], got.lat[i]);
    }
    /* The secret is kept in the store. */
    long long n = 0;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT length(value) FROM sinspace_meta WHERE key = 'geomask_secret'",
        &n, 0), SINSPACE_OK);
    cr_assert_eq(n, 64);
    free(text);
}

Test(export, urban_points_move_at_most_2km, .init = setup, .fini = teardown)
{
    /* Chang Khlan and Wat Ket (Mueang Chiang Mai) hold several of the
     * clustered workplaces in a few km2: urban under the rule. */
    sinspace_geomask *gm = NULL;
    cr_assert_eq(sinspace__geomask_create(store, &gm), SINSPACE_OK);
    sqlite3_stmt *s;
    cr_assert_eq(sinspace__prepare(store,
        "SELECT w.id, w.ext_id, X(w.geom), Y(w.geom),"
        " (SELECT count(*) FROM area_members WHERE area_id = a.id) / a.area_km2"
        " FROM workplaces AS w JOIN area_members AS m ON m.workplace_id = w.id"
        " JOIN areas AS a ON a.id = m.area_id AND a.level = 'subdistrict'"
        " ORDER BY w.id", &s), SINSPACE_OK);
    int urban = 0, rural = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        sinspace_geomask_result r;
        cr_assert_eq(sinspace__geomask_point(gm, sqlite3_column_int64(s, 0),
                     (const char *)sqlite3_column_text(s, 1),
                     sqlite3_column_double(s, 2), sqlite3_column_double(s, 3), &r),
                     SINSPACE_OK);
        int expect_urban = sqlite3_column_double(s, 4) >= SINSPACE_GEOMASK_URBAN_DENSITY;
        cr_assert_eq(r.urban, expect_urban);
        cr_assert(r.distance_m >= 100.0 && r.distance_m <= r.max_m);
        if (r.urban) {
            urban++;
            cr_assert_leq(r.max_m, 2000.0);
        } else {
            rural++;
            cr_assert(r.max_m == 5000.0 || r.max_m == 10000.0);
        }
    }
    sqlite3_finalize(s);
    sinspace__geomask_destroy(gm);
    cr_assert_gt(urban, 5);
    cr_assert_gt(rural, 5);
}

/* -------------------------------------------------------------------------
 * Audiences
 */

/* A property of a GeoJSON feature as text (NULL when null or absent). */
static const char *
field_text(OGRFeatureH f, const char *name)
{
    int i = OGR_FD_GetFieldIndex(OGR_F_GetDefnRef(f), name);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsString(f, i)
                                                     : NULL;
}

Test(export, partner_has_exact_points_and_no_sources, .init = setup, .fini = teardown)
{
    cr_assert_eq(export_to("partner.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PARTNER, NULL), SINSPACE_OK);
    char p[512];
    path_in(p, sizeof p, "partner.geojson");
    char *text = slurp(p, NULL);
    const char *withheld[] = {"\"address\"", "\"source\"", "\"source_note\"",
                              "\"observer\"", "Fictional", "note line", "observer "};
    for (size_t i = 0; i < sizeof withheld / sizeof withheld[0]; i++)
        cr_assert_null(strstr(text, withheld[i]), "partner file holds %s", withheld[i]);
    cr_assert_not_null(strstr(text, "\"name\":\"Workplace 000007 \\\"Star\\\"\""));
    cr_assert_not_null(strstr(text, "\"name_local\":\"สถานที่ทำงาน 1\""));
    cr_assert_not_null(strstr(text, "\"audience\":\"partner\""));
    free(text);

    GDALDatasetH ds = open_vector("partner.geojson");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    cr_assert_eq(OGR_L_GetFeatureCount(l, 1), N_WORKPLACES);
    sqlite3_stmt *s;
    cr_assert_eq(sinspace__prepare(store,
        "SELECT X(geom), Y(geom) FROM workplaces WHERE ext_id = ?1", &s), SINSPACE_OK);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        /* The feature's id is the workplace's own id (as `query` writes). */
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, field_text(f, "id"), -1, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        cr_assert_float_eq(OGR_G_GetX(g, 0), sqlite3_column_double(s, 0), 5.1e-7);
        cr_assert_float_eq(OGR_G_GetY(g, 0), sqlite3_column_double(s, 1), 5.1e-7);
        OGR_F_Destroy(f);
    }
    sqlite3_finalize(s);
    GDALClose(ds);
}

Test(export, internal_imports_back_as_the_same_workplaces, .init = setup,
     .fini = teardown)
{
    cr_assert_eq(export_to("internal.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_INTERNAL, NULL), SINSPACE_OK);
    char db2[512], in[512];
    path_in(db2, sizeof db2, "copy.sqlite");
    path_in(in, sizeof in, "internal.geojson");
    sinspace_store *copy = NULL;
    cr_assert_eq(sinspace_store_create(ctx, db2, &copy), SINSPACE_OK);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_WORKPLACES;
    sinspace_import_result r;
    cr_assert_eq(sinspace_import_file(copy, in, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.inserted, N_WORKPLACES);
    cr_assert_eq(r.rejected, 0);

    static const char q[] =
        "SELECT ext_id, name, name_local, sector, address, area_code, source_type,"
        " source_note, status, first_seen, last_seen, risk, risk_class, X(geom),"
        " Y(geom) FROM workplaces ORDER BY ext_id";
    sqlite3_stmt *a, *b;
    cr_assert_eq(sinspace__prepare(store, q, &a), SINSPACE_OK);
    cr_assert_eq(sinspace__prepare(copy, q, &b), SINSPACE_OK);
    int n = 0;
    while (sqlite3_step(a) == SQLITE_ROW) {
        cr_assert_eq(sqlite3_step(b), SQLITE_ROW);
        n++;
        for (int c = 0; c < 13; c++) {
            const char *x = (const char *)sqlite3_column_text(a, c);
            const char *y = (const char *)sqlite3_column_text(b, c);
            cr_assert_str_eq(x ? x : "(null)", y ? y : "(null)",
                             "row %d column %d", n, c);
        }
        for (int c = 13; c < 15; c++)
            cr_assert_float_eq(sqlite3_column_double(a, c),
                               sqlite3_column_double(b, c), 5.1e-7);
    }
    cr_assert_eq(sqlite3_step(b), SQLITE_DONE);
    cr_assert_eq(n, N_WORKPLACES);
    /* The latest observation's observer travelled too. */
    long long same = 0;
    cr_assert_eq(sinspace__query_int(copy,
        "SELECT count(*) FROM observations WHERE observer LIKE 'observer %'",
        &same, 0), SINSPACE_OK);
    cr_assert_eq(same, 71);
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    sinspace_store_close(copy);
}

Test(export, observations_public_hide_observers, .init = setup, .fini = teardown)
{
    sinspace_export_result r;
    cr_assert_eq(export_to("obs.geojsons", SINSPACE_EXPORT_OBSERVATIONS,
                           SINSPACE_AUDIENCE_PUBLIC, &r), SINSPACE_OK);
    cr_assert_eq(r.rows, 71);
    cr_assert_eq(r.format, SINSPACE_FORMAT_GEOJSONSEQ);
    char p[512];
    path_in(p, sizeof p, "obs.geojsons");
    char *text = slurp(p, NULL);
    cr_assert_eq(text[0], '\x1e');
    cr_assert_null(strstr(text, "observer"));
    cr_assert_null(strstr(text, "WP-0"));
    cr_assert_null(strstr(text, "\"source"));
    free(text);
    GDALDatasetH ds = open_vector("obs.geojsons");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    cr_assert_eq(OGR_L_GetFeatureCount(l, 1), 71);
    /* Each observation's class follows its own risk. */
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int fr = OGR_FD_GetFieldIndex(d, "risk"), fc = OGR_FD_GetFieldIndex(d, "risk_class");
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        const char *want = sinspace_risk_class_name(
            sinspace_risk_classify(OGR_F_GetFieldAsDouble(f, fr)));
        cr_assert_str_eq(OGR_F_GetFieldAsString(f, fc), want);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

Test(export, aggregate_suppresses_small_counts, .init = setup, .fini = teardown)
{
    char out[512];
    path_in(out, sizeof out, "agg.geojson");
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    o.aggregate = 1;
    sinspace_export_result r;
    cr_assert_eq(sinspace_export(store, out, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.rows, 25);
    /* Districts with 5 or more non-closed workplaces keep their counts;
     * those with none show 0; only 1 to 4 are withheld. */
    long long big = 0, small = 0;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM (SELECT a.id FROM areas AS a JOIN area_members AS m"
        " ON m.area_id = a.id JOIN workplaces AS w ON w.id = m.workplace_id"
        " AND w.status <> 'closed' WHERE a.level = 'district' GROUP BY a.id"
        " HAVING count(*) >= 5)", &big, 0), SINSPACE_OK);
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM (SELECT a.id FROM areas AS a JOIN area_members AS m"
        " ON m.area_id = a.id JOIN workplaces AS w ON w.id = m.workplace_id"
        " AND w.status <> 'closed' WHERE a.level = 'district' GROUP BY a.id"
        " HAVING count(*) BETWEEN 1 AND 4)", &small, 0), SINSPACE_OK);
    cr_assert_eq(r.suppressed, small);
    cr_assert_lt(big + small, 25, "the fixture has districts with none");
    GDALDatasetH ds = open_vector("agg.geojson");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int fw = OGR_FD_GetFieldIndex(d, "workplaces");
    int fm = OGR_FD_GetFieldIndex(d, "mean_risk");
    int fs = OGR_FD_GetFieldIndex(d, "suppressed");
    cr_assert(fw >= 0 && fm >= 0 && fs >= 0);
    OGRFeatureH f;
    long long shown = 0, zero = 0;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        if (OGR_F_GetFieldAsInteger(f, fs)) {
            cr_assert(!OGR_F_IsFieldSetAndNotNull(f, fw));
            cr_assert(!OGR_F_IsFieldSetAndNotNull(f, fm));
        } else {
            cr_assert(OGR_F_IsFieldSetAndNotNull(f, fw));
            long long w = OGR_F_GetFieldAsInteger64(f, fw);
            cr_assert(w == 0 || w >= 5, "%lld workplaces shown", w);
            if (w == 0)
                zero++;
            shown++;
        }
        OGR_F_Destroy(f);
    }
    cr_assert_eq(shown, 25 - small);
    cr_assert_eq(zero, 25 - small - big);
    GDALClose(ds);
}

/* -------------------------------------------------------------------------
 * Formats, files, audit
 */

Test(export, every_ogr_format_reads_back, .init = setup, .fini = teardown)
{
    static const char *const files[] = {"w.gpkg", "w.shp", "w.kml", "w.fgb",
                                        "w.csv", "w.geojsonl", "w.geojson"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        sinspace_export_result r;
        cr_assert_eq(export_to(files[i], SINSPACE_EXPORT_WORKPLACES,
                               SINSPACE_AUDIENCE_PARTNER, &r), SINSPACE_OK,
                     "%s: %s", files[i], sinspace_context_message(ctx));
        cr_assert_eq(r.rows, N_WORKPLACES);
        GDALDatasetH ds = open_vector(files[i]);
        OGRLayerH l = GDALDatasetGetLayer(ds, 0);
        cr_assert_eq(OGR_L_GetFeatureCount(l, 1), N_WORKPLACES, "%s", files[i]);
        OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
        cr_assert_geq(OGR_FD_GetFieldIndex(d, "sector"), 0, "%s", files[i]);
        cr_assert_geq(OGR_FD_GetFieldIndex(d, "risk_class"), 0, "%s", files[i]);
        cr_assert_lt(OGR_FD_GetFieldIndex(d, "source_note"), 0, "%s", files[i]);
        /* UTF-8 text survives every format. */
        OGR_L_SetAttributeFilter(l, "id = 'WP-000001'");
        OGRFeatureH f = OGR_L_GetNextFeature(l);
        cr_assert_not_null(f, "%s", files[i]);
        cr_assert_str_eq(OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(d, "name_local")),
                         "สถานที่ทำงาน 1", "%s", files[i]);
        cr_assert_str_eq(OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(d, "sector")),
                         "other_manufacturing", "%s", files[i]);
        cr_assert_str_eq(OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(d, "risk_class")),
                         "low", "%s", files[i]);
        cr_assert_float_eq(OGR_F_GetFieldAsDouble(f, OGR_FD_GetFieldIndex(d, "risk")),
                           1.188, 1e-9, "%s", files[i]);
        OGR_F_Destroy(f);
        if (!strcmp(files[i], "w.gpkg")) {
            const char *aud = GDALGetMetadataItem(ds, "SINSPACE_AUDIENCE", NULL);
            cr_assert_str_eq(aud ? aud : "", "partner");
        }
        GDALClose(ds);
    }
    /* Every file made, side files included, is private; no temporary file
     * or folder is left. */
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
            continue;
        cr_assert_neq(e->d_name[0], '.', "left behind: %s", e->d_name);
        if (!strncmp(e->d_name, "w.", 2)) {
            cr_assert_eq(mode_of(e->d_name), 0600, "%s", e->d_name);
            n++;
        }
    }
    closedir(d);
    cr_assert_geq(n, 11); /* .shp .shx .dbf .prj .cpg among them */
}

Test(export, polygon_layers, .init = setup, .fini = teardown)
{
    sinspace_export_result r;
    cr_assert_eq(export_to("areas.gpkg", SINSPACE_EXPORT_AREAS,
                           SINSPACE_AUDIENCE_INTERNAL, &r), SINSPACE_OK);
    cr_assert_eq(r.rows, 229);
    cr_assert_eq(r.suppressed, 0);
    cr_assert_eq(export_to("areas.geojson", SINSPACE_EXPORT_AREAS,
                           SINSPACE_AUDIENCE_PUBLIC, &r), SINSPACE_OK);
    cr_assert_eq(r.rows, 229);
    /* Withheld: the areas holding 1 to 4 workplaces, not the empty ones. */
    long long small = 0;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM areas_risk WHERE workplaces BETWEEN 1 AND 4",
        &small, 0), SINSPACE_OK);
    cr_assert_gt(small, 10);
    cr_assert_eq(r.suppressed, small);
    /* Empty layers still make valid files. */
    for (int layer = SINSPACE_EXPORT_ZONES; layer <= SINSPACE_EXPORT_TILES; layer++) {
        char name[32]; /* one file each: an export keeps an existing one */
        snprintf(name, sizeof name, "empty-%d.geojson", layer);
        cr_assert_eq(export_to(name, (sinspace_export_layer)layer,
                               SINSPACE_AUDIENCE_PUBLIC, &r), SINSPACE_OK);
        cr_assert_eq(r.rows, 0);
    }
}

Test(export, region_and_filter, .init = setup, .fini = teardown)
{
    sinspace_region *region = NULL;
    cr_assert_eq(sinspace_region_from_area(store, "mueang-chiang-mai", &region),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    sinspace_filter filter;
    sinspace_filter_init(&filter);
    filter.min_risk = 2.0;
    char out[512];
    path_in(out, sizeof out, "sel.geojson");
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    o.audience = SINSPACE_AUDIENCE_PARTNER;
    o.region = region;
    o.filter = &filter;
    sinspace_export_result r;
    cr_assert_eq(sinspace_export(store, out, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    long long expect = 0;
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM workplaces AS w JOIN area_members AS m"
        " ON m.workplace_id = w.id JOIN areas AS a ON a.id = m.area_id"
        " WHERE a.code = 'mueang-chiang-mai' AND w.risk >= 2.0", &expect, 0),
        SINSPACE_OK);
    cr_assert_gt(expect, 3);
    cr_assert_eq(r.rows, expect);
    /* The audit row names the layer, file, audience, region and filter. */
    sqlite3_stmt *s;
    cr_assert_eq(sinspace__prepare(store,
        "SELECT command, target, audience, filters, rows FROM audit"
        " ORDER BY id DESC LIMIT 1", &s), SINSPACE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "export");
    char target[600];
    snprintf(target, sizeof target, "workplaces -> %s (GeoJSON)", out);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 1), target);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 2), "partner");
    cr_assert_not_null(strstr((const char *)sqlite3_column_text(s, 3),
                              "mueang-chiang-mai"));
    cr_assert_not_null(strstr((const char *)sqlite3_column_text(s, 3), "min-risk"));
    cr_assert_eq(sqlite3_column_int64(s, 4), expect);
    sqlite3_finalize(s);

    /* Other layers: what overlaps the region; neighbours that only touch
     * it are left out, so the one district is Mueang Chiang Mai. */
    path_in(out, sizeof out, "areas-in.geojson");
    o.layer = SINSPACE_EXPORT_AREAS;
    o.filter = NULL;
    cr_assert_eq(sinspace_export(store, out, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    GDALDatasetH ds = open_vector("areas-in.geojson");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGR_L_SetAttributeFilter(l, "level = 'district'");
    cr_assert_eq(OGR_L_GetFeatureCount(l, 1), 1);
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    cr_assert_str_eq(OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(
                         OGR_L_GetLayerDefn(l), "code")), "mueang-chiang-mai");
    OGR_F_Destroy(f);
    GDALClose(ds);
    cr_assert_gt(r.rows, 10);
    sinspace_region_destroy(region);
}

Test(export, failures_leave_nothing, .init = setup, .fini = teardown)
{
    long long before = 0, after = 0;
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM audit", &before, 0),
                 SINSPACE_OK);
    cr_assert_eq(export_to("x.unknown", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(export_to("nodir/x.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_IO);
    cr_assert_eq(export_to("nodir/x.gpkg", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_IO);
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    o.format = SINSPACE_FORMAT_GPKG;
    cr_assert_eq(sinspace_export(store, "-", &o, NULL), SINSPACE_INVALID_ARGUMENT);
    o.format = SINSPACE_FORMAT_AUTO;
    o.layer = SINSPACE_EXPORT_AREAS;
    o.aggregate = 1;
    cr_assert_eq(sinspace_export(store, "/dev/null", &o, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    /* The database itself is never an output. */
    char db[512];
    path_in(db, sizeof db, "store.sqlite");
    o.layer = SINSPACE_EXPORT_WORKPLACES;
    o.aggregate = 0;
    o.format = SINSPACE_FORMAT_GEOJSON;
    cr_assert_eq(sinspace_export(store, db, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(sinspace_context_message(ctx), "database itself"));
    o.format = SINSPACE_FORMAT_GPKG;
    cr_assert_eq(sinspace_export(store, db, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_export(store, dir, &o, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM audit", &after, 0),
                 SINSPACE_OK);
    cr_assert_eq(after, before);
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        cr_assert(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                  !strncmp(e->d_name, "store.sqlite", 12),
                  "left behind: %s", e->d_name);
    closedir(d);
}

Test(export, names_parse_both_ways)
{
    cr_assert_eq(sinspace_export_format_from_path("a/b.GeoJSON"), SINSPACE_FORMAT_GEOJSON);
    cr_assert_eq(sinspace_export_format_from_path("b.shp"), SINSPACE_FORMAT_SHAPEFILE);
    cr_assert_eq(sinspace_export_format_from_path("b.geojsons"), SINSPACE_FORMAT_GEOJSONSEQ);
    cr_assert_eq(sinspace_export_format_from_path("-"), SINSPACE_FORMAT_GEOJSON);
    cr_assert_eq(sinspace_export_format_from_path("dir.v2/noext"), SINSPACE_FORMAT_GEOJSON);
    cr_assert_eq(sinspace_export_format_from_path("b.xlsx"), SINSPACE_FORMAT_INVALID);
    cr_assert_eq(sinspace_export_format_parse("shapefile"), SINSPACE_FORMAT_SHAPEFILE);
    cr_assert_eq(sinspace_export_format_parse("flatgeobuf"), SINSPACE_FORMAT_FLATGEOBUF);
    cr_assert_eq(sinspace_audience_parse("internal"), SINSPACE_AUDIENCE_INTERNAL);
    cr_assert_eq(sinspace_audience_parse("intern"), SINSPACE_AUDIENCE_INVALID);
    cr_assert_eq(sinspace_audience_parse(NULL), SINSPACE_AUDIENCE_INVALID);
    cr_assert_eq(sinspace_export_layer_parse("tiles"), SINSPACE_EXPORT_TILES);
    cr_assert_str_eq(sinspace_export_layer_name(SINSPACE_EXPORT_ZONES), "zones");
    cr_assert_null(sinspace_export_layer_name(SINSPACE_EXPORT_LAYER_INVALID));
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    cr_assert_eq(o.audience, SINSPACE_AUDIENCE_PUBLIC);
    cr_assert_eq(o.precision, 6);
    cr_assert_eq(o.min_count, 5);
    cr_assert_eq(sinspace_export(NULL, "x", &o, NULL), SINSPACE_INVALID_ARGUMENT);
}

Test(export, zones_fences_tiles_by_audience, .init = setup, .fini = teardown)
{
    cr_assert_eq(sinspace__exec(store,
        "INSERT INTO zones(computed_at, params, workplaces, mean_risk, max_risk,"
        " peak_density, sectors, geom) VALUES"
        " ('2026-11-28T00:00:00Z', 'bw=1km', 12, 2.1, 2.9, 3.3, 'brothel',"
        "  CastToMultiPolygon(BuildMbr(98.97, 18.77, 99.01, 18.81, 4326))),"
        " ('2026-11-28T00:00:00Z', 'bw=1km', 2, 2.5, 2.9, 1.1, 'brothel',"
        "  CastToMultiPolygon(BuildMbr(99.2, 19.7, 99.21, 19.71, 4326)));"
        "INSERT INTO tiles(path, driver, crs, width, height, bands, pixel_size,"
        " pixel_size_m, acquired, source, attribution, added, footprint) VALUES"
        " ('/private/imagery/t1.tif', 'GTiff', 'EPSG:32647', 100, 100, 3, 10, 10,"
        "  '2025-01-02', 'Sentinel-2', 'ESA', '2026-11-28T00:00:00Z',"
        "  CastToMultiPolygon(BuildMbr(98.9, 18.7, 99.1, 18.9, 4326)));"
        "INSERT INTO fences(name, description, added_by, added_at, geom) VALUES"
        " ('old-town', 'test fence', 'planner-7', '2026-11-28T00:00:00Z',"
        "  CastToMultiPolygon(BuildMbr(98.95, 18.75, 99.05, 18.85, 4326)))"),
        SINSPACE_OK, "%s", sinspace_context_message(ctx));
    sinspace_export_result r;
    char p[512];
    cr_assert_eq(export_to("z.geojson", SINSPACE_EXPORT_ZONES,
                           SINSPACE_AUDIENCE_PUBLIC, &r), SINSPACE_OK);
    cr_assert_eq(r.rows, 1);
    cr_assert_eq(r.suppressed, 1);
    cr_assert_eq(export_to("z-partner.geojson", SINSPACE_EXPORT_ZONES,
                           SINSPACE_AUDIENCE_PARTNER, &r), SINSPACE_OK);
    cr_assert_eq(r.rows, 2);

    cr_assert_eq(export_to("t.geojson", SINSPACE_EXPORT_TILES,
                           SINSPACE_AUDIENCE_PUBLIC, &r), SINSPACE_OK);
    cr_assert_eq(r.rows, 1);
    path_in(p, sizeof p, "t.geojson");
    char *text = slurp(p, NULL);
    cr_assert_null(strstr(text, "/private"));
    cr_assert_not_null(strstr(text, "\"acquired\":\"2025-01-02\""));
    free(text);
    cr_assert_eq(export_to("t-internal.geojson", SINSPACE_EXPORT_TILES,
                           SINSPACE_AUDIENCE_INTERNAL, &r), SINSPACE_OK);
    path_in(p, sizeof p, "t-internal.geojson");
    text = slurp(p, NULL);
    cr_assert_not_null(strstr(text, "\"path\":\"/private/imagery/t1.tif\""));
    free(text);

    cr_assert_eq(export_to("f.geojson", SINSPACE_EXPORT_FENCES,
                           SINSPACE_AUDIENCE_PARTNER, &r), SINSPACE_OK);
    path_in(p, sizeof p, "f.geojson");
    text = slurp(p, NULL);
    cr_assert_null(strstr(text, "planner-7"));
    /* BuildMbr rings run counter-clockwise already; they must stay so. */
    cr_assert_not_null(strstr(text,
        "[[[[98.95,18.75],[99.05,18.75],[99.05,18.85],[98.95,18.85],[98.95,18.75]]]]"));
    free(text);
}

/* The writer formats coordinates and reals without printf where it can
 * (geojson.c, fast_fixed and put_real): its text must be printf's, to the
 * digit, for every precision, near rounding ties, for short decimals and
 * for values that are not short.  The expected text is made here with the
 * printf rules the writer documents: "%.*f" with trailing zeros dropped
 * ("-0" as "0") for coordinates; "%.15g", or "%.17g" when that does not
 * read back, for reals. */
static void
expect_coord(char *buf, size_t size, double v, int precision)
{
    snprintf(buf, size, "%.*f", precision, v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    if (!strcmp(buf, "-0"))
        strcpy(buf, "0");
}

static double numbers[4096];
static int n_numbers;

static void
body_numbers(sinspace_geojson_writer *w)
{
    cr_assert_eq(sinspace_geojson_begin(w, NULL, NULL, 0), SINSPACE_OK);
    for (int i = 0; i + 1 < n_numbers; i += 2) {
        sinspace_property p[] = {{"r", SINSPACE_VALUE_REAL, 0, numbers[i], NULL},
                                 {"s", SINSPACE_VALUE_REAL, 0, numbers[i + 1], NULL}};
        cr_assert_eq(sinspace_geojson_write_point(w, i, p, 2, numbers[i],
                                                  numbers[i + 1]), SINSPACE_OK);
    }
}

Test(geojson, numbers_as_printf_writes_them)
{
    srand(7);
    for (int precision = 0; precision <= 9; precision++) {
        n_numbers = 0;
        double scale = pow(10, precision);
        while (n_numbers < 4096) {
            double v;
            switch (n_numbers % 8) {
            case 0: /* lon/lat-like */
                v = (rand() / (double)RAND_MAX - 0.5) * 360.0;
                break;
            case 1: /* exactly on a tie at this precision, and next to it */
                v = (rand() % 2000000 - 1000000 + 0.5) / scale;
                break;
            case 2:
                v = nextafter((rand() % 2000000 + 0.5) / scale, 0.0);
                break;
            case 3: /* short decimals: risks, areas */
                v = (rand() % 3000) / 1000.0;
                break;
            case 4:
                v = -(rand() % 100000) / 100.0;
                break;
            case 5: /* tiny, huge, zero and negative zero */
                v = (double[]){1e-7, -3e-5, 0.0, -0.0, 1e9, 2.5e12, 1e-4,
                               123456789.123}[rand() % 8];
                break;
            case 6: /* thirds and other long fractions */
                v = (rand() % 1000) / 3.0;
                break;
            default:
                v = ldexp(rand() / (double)RAND_MAX, rand() % 60 - 30);
            }
            numbers[n_numbers++] = v;
        }
        sinspace_geojson_options o;
        sinspace_geojson_options_init(&o);
        o.precision = precision;
        o.sequence = 1;
        o.record_separator = 0;
        char *out = write_with(&o, body_numbers);
        char *line = out;
        for (int i = 0; i + 1 < n_numbers; i += 2) {
            char want[512], r[64], r2[64], x[64], y[64];
            snprintf(r, sizeof r, "%.15g", numbers[i]);
            if (strtod(r, NULL) != numbers[i])
                snprintf(r, sizeof r, "%.17g", numbers[i]);
            snprintf(r2, sizeof r2, "%.15g", numbers[i + 1]);
            if (strtod(r2, NULL) != numbers[i + 1])
                snprintf(r2, sizeof r2, "%.17g", numbers[i + 1]);
            expect_coord(x, sizeof x, numbers[i], precision);
            expect_coord(y, sizeof y, numbers[i + 1], precision);
            snprintf(want, sizeof want,
                     "{\"type\":\"Feature\",\"id\":%d,\"properties\":{\"r\":%s,"
                     "\"s\":%s},\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                     "[%s,%s]}}\n", i, r, r2, x, y);
            cr_assert(!strncmp(line, want, strlen(want)),
                      "precision %d, values %.17g %.17g:\n got %.*s\nwant %s", precision,
                      numbers[i], numbers[i + 1], (int)strlen(want), line, want);
            line += strlen(want);
        }
        cr_assert_eq(*line, '\0');
        free(out);
    }
}

/* Blanks the "generated" time of a GeoJSON export, the one part two
 * exports of the same data may not share. */
static void
blank_generated(char *json)
{
    char *g = strstr(json, "\"generated\":\"");
    cr_assert_not_null(g);
    for (g += 13; *g && *g != '"'; g++)
        *g = 'T';
}

Test(export, memory_holds_what_the_file_holds, .init = setup, .fini = teardown)
{
    long long before = 0, after = 0;
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM audit", &before, 0),
                 SINSPACE_OK);
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    o.audience = SINSPACE_AUDIENCE_PARTNER;
    unsigned char *data = NULL;
    size_t size = 0;
    sinspace_export_result r;
    cr_assert_eq(sinspace_export_memory(store, &o, &data, &size, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.rows, N_WORKPLACES);
    cr_assert_eq(r.format, SINSPACE_FORMAT_GEOJSON);
    cr_assert_eq(export_to("w.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PARTNER, NULL), SINSPACE_OK);
    char p[512];
    path_in(p, sizeof p, "w.geojson");
    size_t fsize;
    char *file = slurp(p, &fsize);
    char *mem = malloc(size + 1);
    memcpy(mem, data, size);
    mem[size] = '\0';
    blank_generated(mem);
    blank_generated(file);
    cr_assert_eq(size, fsize);
    cr_assert_str_eq(mem, file);
    free(mem);
    free(file);
    free(data);

    /* CSV through OGR: the same bytes as the file. */
    o.format = SINSPACE_FORMAT_CSV;
    o.layer = SINSPACE_EXPORT_AREAS;
    cr_assert_eq(sinspace_export_memory(store, &o, &data, &size, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.rows, 229);
    path_in(p, sizeof p, "a.csv");
    cr_assert_eq(sinspace_export(store, p, &o, NULL), SINSPACE_OK);
    file = slurp(p, &fsize);
    cr_assert_eq(size, fsize);
    cr_assert_eq(memcmp(data, file, size), 0);
    free(file);
    free(data);

    /* A GeoPackage is a whole database in memory. */
    o.format = SINSPACE_FORMAT_GPKG;
    cr_assert_eq(sinspace_export_memory(store, &o, &data, &size, NULL), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_gt(size, 16);
    cr_assert_eq(memcmp(data, "SQLite format 3", 15), 0);
    free(data);

    /* A shapefile is several files: refused, nothing returned. */
    o.format = SINSPACE_FORMAT_SHAPEFILE;
    data = (unsigned char *)"x";
    cr_assert_eq(sinspace_export_memory(store, &o, &data, &size, NULL),
                 SINSPACE_UNSUPPORTED);
    cr_assert_null(data);

    /* One audit row for each export, memory or file, that succeeded. */
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM audit", &after, 0),
                 SINSPACE_OK);
    cr_assert_eq(after, before + 5);
    long long mem_rows = 0;
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM audit WHERE"
                                     " target LIKE '%(memory)%'", &mem_rows, 0),
                 SINSPACE_OK);
    cr_assert_eq(mem_rows, 3);
    /* Nothing but the two files asked for was written beside them. */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        cr_assert(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                  !strncmp(e->d_name, "store.sqlite", 12) ||
                  !strcmp(e->d_name, "w.geojson") || !strcmp(e->d_name, "a.csv"),
                  "left behind: %s", e->d_name);
    closedir(d);
}

/* -------------------------------------------------------------------------
 * Public files cannot be re-linked (docs/export.md)
 */

Test(export, public_order_is_keyed_and_values_coarse, .init = setup,
     .fini = teardown)
{
    cr_assert_eq(export_to("pub.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    register_order_key();
    /* The truth in the order the documented key gives. */
    sqlite3_stmt *s;
    cr_assert_eq(sinspace__prepare(store,
        "SELECT w.id, w.sector, w.status, w.risk, w.first_seen, w.last_seen"
        " FROM workplaces AS w" PUBLIC_ORDER, &s), SINSPACE_OK);
    GDALDatasetH ds = open_vector("pub.geojson");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    int k = 0, moved = 0, rounded = 0;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        k++;
        cr_assert_eq(OGR_F_GetFID(f), k);
        if (sqlite3_column_int64(s, 0) != k)
            moved++;
        const char *sector = field_text(f, "sector"), *status = field_text(f, "status");
        cr_assert(sector && status, "feature %d", k);
        cr_assert_str_eq(sector, (const char *)sqlite3_column_text(s, 1), "feature %d", k);
        cr_assert_str_eq(status, (const char *)sqlite3_column_text(s, 2), "feature %d", k);
        const char *risk_text = field_text(f, "risk");
        if (sqlite3_column_type(s, 3) == SQLITE_NULL) {
            cr_assert_null(risk_text, "feature %d", k);
            OGR_F_Destroy(f);
            continue;
        }
        cr_assert_not_null(risk_text, "feature %d", k);
        double risk = sqlite3_column_double(s, 3);
        double got = atof(risk_text);
        cr_assert(fabs(got - round(risk * 10.0) / 10.0) < 1e-12,
                  "feature %d: risk %.17g for %.17g", k, got, risk);
        if (fabs(got - risk) > 1e-9)
            rounded++;
        for (int c = 4; c <= 5; c++) {
            const char *full = (const char *)sqlite3_column_text(s, c);
            const char *month = field_text(f, c == 4 ? "first_seen" : "last_seen");
            if (!full) {
                cr_assert_null(month);
                continue;
            }
            cr_assert_not_null(month);
            cr_assert_eq(strlen(month), 7, "feature %d: %s", k, month);
            cr_assert(!strncmp(month, full, 7), "feature %d: %s for %s", k, month, full);
        }
        OGR_F_Destroy(f);
    }
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    GDALClose(ds);
    cr_assert_eq(k, N_WORKPLACES);
    /* Not the database's order, and the rounding did something. */
    cr_assert_gt(moved, N_WORKPLACES / 2);
    cr_assert_gt(rounded, N_WORKPLACES / 2);

    /* Observations: the same order (then by date), month dates, one
     * decimal, no indicator scores. */
    cr_assert_eq(export_to("pubobs.geojson", SINSPACE_EXPORT_OBSERVATIONS,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_OK);
    cr_assert_eq(sinspace__prepare(store,
        "SELECT o.observed, o.risk FROM observations AS o JOIN workplaces AS w"
        " ON w.id = o.workplace_id" PUBLIC_ORDER ", o.observed, o.id", &s),
        SINSPACE_OK);
    ds = open_vector("pubobs.geojson");
    l = GDALDatasetGetLayer(ds, 0);
    cr_assert_lt(OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "i01"), 0);
    cr_assert_lt(OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "i28"), 0);
    k = 0;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        k++;
        const char *full = (const char *)sqlite3_column_text(s, 0);
        const char *month = field_text(f, "observed");
        cr_assert(month && strlen(month) == 7 && !strncmp(month, full, 7),
                  "observation %d: %s for %s", k, month ? month : "null", full);
        double risk = sqlite3_column_double(s, 1);
        cr_assert(fabs(atof(field_text(f, "risk")) - round(risk * 10.0) / 10.0) < 1e-12);
        OGR_F_Destroy(f);
    }
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    GDALClose(ds);
    cr_assert_eq(k, 71);

    /* Partner files keep the database's order and whole values. */
    cr_assert_eq(export_to("par.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PARTNER, NULL), SINSPACE_OK);
    ds = open_vector("par.geojson");
    l = GDALDatasetGetLayer(ds, 0);
    long long prev = 0;
    cr_assert_eq(sinspace__prepare(store, "SELECT id FROM workplaces WHERE ext_id = ?1",
                                   &s), SINSPACE_OK);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, field_text(f, "id"), -1, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        cr_assert_gt(sqlite3_column_int64(s, 0), prev);
        prev = sqlite3_column_int64(s, 0);
        const char *first = field_text(f, "first_seen");
        cr_assert(!first || strlen(first) == 10, "partner first_seen %s", first);
        OGR_F_Destroy(f);
    }
    sqlite3_finalize(s);
    GDALClose(ds);
}

/* A north-south "river" 500 m wide through Chiang Mai's clustered
 * workplaces, an axis-aligned box so the test checks it by comparison
 * alone. */
#define RIVER_W 98.9940
#define RIVER_E 98.9987
#define RIVER_S 18.70
#define RIVER_N 18.86

static int
count_in_river(const char *name, pts *p)
{
    read_points(name, p);
    int wet = 0;
    for (int i = 1; i <= N_WORKPLACES; i++)
        if (p->lon[i] >= RIVER_W && p->lon[i] <= RIVER_E && p->lat[i] >= RIVER_S &&
            p->lat[i] <= RIVER_N)
            wet++;
    return wet;
}

Test(export, public_points_stay_out_of_water, .init = setup, .fini = teardown)
{
    static pts before, after;
    cr_assert_eq(export_to("dry.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_OK);
    int wet_before = count_in_river("dry.geojson", &before);
    cr_assert_gt(wet_before, 0, "the fixture must put some points in the river");

    /* The water file: the river, a pond elsewhere as a MultiPolygon, and a
     * canal drawn as a line (skipped). */
    char water[512];
    path_in(water, sizeof water, "water.geojson");
    FILE *w = fopen(water, "w");
    cr_assert_not_null(w);
    fprintf(w, "{\"type\":\"FeatureCollection\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\","
               "\"coordinates\":[[[%.4f,%.2f],[%.4f,%.2f],[%.4f,%.2f],[%.4f,%.2f],[%.4f,%.2f]]]}},"
               "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"MultiPolygon\","
               "\"coordinates\":[[[[99.5,19.5],[99.51,19.5],[99.51,19.51],[99.5,19.5]]]]}},"
               "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"LineString\","
               "\"coordinates\":[[98.9,18.7],[99.1,18.9]]}}]}\n",
            RIVER_W, RIVER_S, RIVER_E, RIVER_S, RIVER_E, RIVER_N, RIVER_W, RIVER_N,
            RIVER_W, RIVER_S);
    fclose(w);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_WATER;
    sinspace_import_result ir;
    cr_assert_eq(sinspace_import_file(store, water, &o, &ir), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(ir.inserted, 2);
    long long n = 0;
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM water", &n, 0),
                 SINSPACE_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(sinspace__query_int(store, "SELECT rows FROM audit WHERE"
                 " command = 'import' AND filters = 'as=water'", &n, 0), SINSPACE_OK);
    cr_assert_eq(n, 2);

    cr_assert_eq(export_to("wet.geojson", SINSPACE_EXPORT_WORKPLACES,
                           SINSPACE_AUDIENCE_PUBLIC, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(count_in_river("wet.geojson", &after), 0);
    /* Only the points that were in the water moved; the others are the
     * same draws; every one still within its limits and district. */
    register_order_key();
    sqlite3_stmt *s;
    cr_assert_eq(sinspace__prepare(store,
        "SELECT X(geom), Y(geom), (SELECT a.geom FROM area_members AS m JOIN areas"
        " AS a ON a.id = m.area_id WHERE m.workplace_id = w.id AND a.level = 'district')"
        " FROM workplaces AS w" PUBLIC_ORDER, &s), SINSPACE_OK);
    sqlite3_stmt *in;
    cr_assert_eq(sinspace__prepare(store,
        "SELECT ST_Intersects(?1, MakePoint(?2, ?3, 4326))", &in), SINSPACE_OK);
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1.0 / 298.257223563);
    int changed = 0;
    for (int k = 1; k <= N_WORKPLACES; k++) {
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        int was_wet = before.lon[k] >= RIVER_W && before.lon[k] <= RIVER_E &&
                      before.lat[k] >= RIVER_S && before.lat[k] <= RIVER_N;
        if (!was_wet) {
            cr_assert_eq(after.lon[k], before.lon[k], "feature %d moved", k);
            cr_assert_eq(after.lat[k], before.lat[k], "feature %d moved", k);
            continue;
        }
        changed++;
        double s12;
        geod_inverse(&g, sqlite3_column_double(s, 1), sqlite3_column_double(s, 0),
                     after.lat[k], after.lon[k], &s12, NULL, NULL);
        cr_assert(s12 >= 99.8 && s12 <= 5000.2, "feature %d moved %.1f m", k, s12);
        if (sqlite3_column_type(s, 2) == SQLITE_NULL)
            continue;
        sqlite3_reset(in);
        sqlite3_bind_value(in, 1, sqlite3_column_value(s, 2));
        sqlite3_bind_double(in, 2, after.lon[k]);
        sqlite3_bind_double(in, 3, after.lat[k]);
        cr_assert_eq(sqlite3_step(in), SQLITE_ROW);
        cr_assert_eq(sqlite3_column_int(in, 0), 1, "feature %d left its district", k);
    }
    sqlite3_finalize(in);
    sqlite3_finalize(s);
    cr_assert_eq(changed, wet_before);

    /* Lines and points alone are no water: refused, nothing stored. */
    w = fopen(water, "w");
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
          "\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":"
          "[99,18.8]}}]}\n", w);
    fclose(w);
    cr_assert_eq(sinspace_import_file(store, water, &o, &ir), SINSPACE_INVALID_INPUT);
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM water", &n, 0),
                 SINSPACE_OK);
    cr_assert_eq(n, 2);
}

Test(export, aggregate_keeps_the_areas_of_its_region, .init = setup,
     .fini = teardown)
{
    sinspace_region *fang = NULL;
    cr_assert_eq(sinspace_region_from_area(store, "fang", &fang), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char out[512];
    path_in(out, sizeof out, "fang-agg.geojson");
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    o.aggregate = 1;
    o.level = SINSPACE_LEVEL_SUBDISTRICT;
    o.region = fang;
    o.audience = SINSPACE_AUDIENCE_PARTNER;
    sinspace_export_result r;
    cr_assert_eq(sinspace_export(store, out, &o, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_region_destroy(fang);
    /* Fang's own subdistricts all, and few others (slivers of a
     * separately simplified layer): those whose overlap with Fang has an
     * area, as SpatiaLite measures it. */
    long long own = 0, overlapping = 0, in_fang = 0;
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM areas WHERE"
                 " level = 'subdistrict' AND code LIKE 'fang/%'", &own, 0), SINSPACE_OK);
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM areas AS a, areas AS f WHERE f.code = 'fang'"
        " AND a.level = 'subdistrict'"
        " AND ST_Area(ST_Intersection(a.geom, f.geom)) > 0", &overlapping, 0),
        SINSPACE_OK);
    cr_assert_eq(sinspace__query_int(store,
        "SELECT count(*) FROM workplaces AS w, areas AS f WHERE f.code = 'fang'"
        " AND ST_Intersects(f.geom, w.geom) = 1", &in_fang, 0), SINSPACE_OK);
    cr_assert_gt(own, 3);
    cr_assert_eq(r.rows, overlapping);
    cr_assert_geq(r.rows, own);
    cr_assert_lt(r.rows, 204);
    /* The counts are of Fang's workplaces only. */
    GDALDatasetH ds = open_vector("fang-agg.geojson");
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    long long sum = 0;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        sum += atoll(field_text(f, "workplaces"));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    cr_assert_gt(in_fang, 0);
    cr_assert_eq(sum, in_fang);
}
