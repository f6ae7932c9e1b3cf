/* test_query.c: regions, selection, filters, fences and the query command.
 *
 * The fixture is a store of fictional workplaces: a 25 x 25 grid around
 * 100..101 E, 13..14 N plus points placed exactly on edges, on vertices,
 * in holes, at 1999 m and 2001 m from a centre (geod_direct) and 900 m
 * outside a polygon.  Spatial results are compared with SpatiaLite's own
 * ST_Intersects run on the same database, and with hand-made expectations. */
#include "store/store_int.h"
#include "core/sinspaceInt.h"

#include <criterion/criterion.h>

#include <gdal.h>
#include <geodesic.h>
#include <ogr_api.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static char db_path[300];
static sinspace_context *ctx;
static sinspace_store *store;
static long long n_workplaces;

/* The circle test's centre and the buffer test's probe points. */
#define NEAR_LON 100.6
#define NEAR_LAT 13.6

static void
path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static void
write_file(const char *name, const char *text)
{
    char p[400];
    path_in(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void
direct(double lon, double lat, double az, double s, double *lon2, double *lat2)
{
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    geod_direct(&g, lat, lon, az, s, lat2, lon2, NULL);
}

static const char *const sectors[] = {"karaoke_bar", "massage_parlour", "brothel",
                                      "fishing"};
static const char *const statuses[] = {"active", "closed", "unknown"};

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sinspace_query_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    path_in(db_path, sizeof db_path, "t.db");
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
    cr_assert_eq(sinspace_store_create(ctx, db_path, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));

    char p[400];
    path_in(p, sizeof p, "w.csv");
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fprintf(f, "id,name,sector,lon,lat,risk,observed,status\n");
    int k = 0;
    for (int i = 0; i < 25; i++)
        for (int j = 0; j < 25; j++, k++)
            fprintf(f, "G%03d,%s %03d,%s,%.2f,%.2f,%.1f,2025-06-01,%s\n", k,
                    k % 2 ? "site" : "Site", k, sectors[k % 4], 99.9 + 0.05 * i,
                    12.9 + 0.05 * j, 1.0 + (k % 21) / 10.0, statuses[k % 3]);
    /* Exactly on edges and vertices of the test polygons (binary-exact). */
    static const struct { const char *id; double lon, lat; } special[] = {
        {"E_bottom", 100.5, 13.0},   {"V_sw", 100.0, 13.0},
        {"V_ne", 101.0, 14.0},       {"H_inside", 100.5, 13.5},
        {"H_edge", 100.5, 13.25},    {"H_vertex", 100.25, 13.25},
        {"D_diag", 100.125, 13.125}, {"O_east", 101.0000001, 13.5},
        {"T_apex", 100.5, 13.5625},
    };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        fprintf(f, "%s,Special %s,brothel,%.17g,%.17g,2.0,2025-06-01,active\n",
                special[i].id, special[i].id, special[i].lon, special[i].lat);
    /* 1999 m and 2001 m from the circle's centre, eight azimuths. */
    for (int az = 0; az < 360; az += 45) {
        double lon, lat;
        direct(NEAR_LON, NEAR_LAT, az, 1999.0, &lon, &lat);
        fprintf(f, "N1999_%03d,Near in %d,fishing,%.17g,%.17g,1.2,2025-06-01,active\n",
                az, az, lon, lat);
        direct(NEAR_LON, NEAR_LAT, az, 2001.0, &lon, &lat);
        fprintf(f, "N2001_%03d,Near out %d,fishing,%.17g,%.17g,1.2,2025-06-01,active\n",
                az, az, lon, lat);
    }
    /* 900 m and 1100 m east of the middle of the east edge of the square
     * 100.0..100.2 E, 13.0..13.2 N. */
    double lon, lat;
    direct(100.2, 13.1, 90.0, 900.0, &lon, &lat);
    fprintf(f, "B900,Buffer 900,fishing,%.17g,%.17g,1.2,2025-06-01,active\n", lon, lat);
    direct(100.2, 13.1, 90.0, 1100.0, &lon, &lat);
    fprintf(f, "B1100,Buffer 1100,fishing,%.17g,%.17g,1.2,2025-06-01,active\n", lon, lat);
    /* Risk history for --changed-since. */
    fprintf(f, "C_rose,Change rose,brothel,100.61,13.01,1.5,2025-06-01,active\n");
    fprintf(f, "C_fell,Change fell,brothel,100.62,13.01,2.5,2025-06-01,active\n");
    fprintf(f, "C_new,Change new,brothel,100.63,13.01,2.0,2026-01-01,active\n");
    fclose(f);
    sinspace_import_result r;
    cr_assert_eq(sinspace_import_file(store, p, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    write_file("w2.csv", "id,name,sector,lon,lat,risk,observed,status\n"
               "C_rose,Change rose,brothel,100.61,13.01,2.5,2026-01-01,active\n"
               "C_fell,Change fell,brothel,100.62,13.01,1.5,2026-01-01,active\n");
    path_in(p, sizeof p, "w2.csv");
    cr_assert_eq(sinspace_import_file(store, p, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(sinspace__query_int(store, "SELECT count(*) FROM workplaces",
                                     &n_workplaces, 0), SINSPACE_OK);
    cr_assert_eq(n_workplaces, 625 + 9 + 16 + 2 + 3);
}

static void
teardown(void)
{
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
    store = NULL;
    ctx = NULL;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(query, .init = setup, .fini = teardown);

/* -------------------------------------------------------------------------
 * Helpers: id sets as sorted comma-separated text
 */

typedef struct idset {
    char *text;
    size_t len, cap;
    long long n;
    sinspace_workplace_row last;
    double distances[64];
    char *ids[1024];
} idset;

static int
collect(void *user, const sinspace_workplace_row *r)
{
    idset *s = user;
    if (s->n < 1024)
        s->ids[s->n] = strdup(r->ext_id);
    if (s->n < 64)
        s->distances[s->n] = r->distance_m;
    s->n++;
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, comma-joined; frees the ids.  Caller frees the result. */
static char *
joined(idset *s)
{
    long long n = s->n < 1024 ? s->n : 1024;
    qsort(s->ids, (size_t)n, sizeof *s->ids, cmp_str);
    size_t len = 1;
    for (long long i = 0; i < n; i++)
        len += strlen(s->ids[i]) + 1;
    char *out = calloc(1, len);
    for (long long i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, s->ids[i]);
        free(s->ids[i]);
    }
    return out;
}

static char *
query_ids(const sinspace_region *region, const sinspace_filter *filter,
          sinspace_query_stats *stats)
{
    idset s;
    memset(&s, 0, sizeof s);
    sinspace_status st = sinspace_query_workplaces(store, region, filter, collect,
                                                   &s, stats);
    cr_assert_eq(st, SINSPACE_OK, "%s", sinspace_context_message(ctx));
    return joined(&s);
}

/* SpatiaLite's answer: workplaces whose point ST_Intersects the geometry
 * given as WKT in srid (transformed to 4326 when not 4326). */
static char *
sql_ids(const char *wkt, int srid, const char *extra_where)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT ext_id FROM workplaces WHERE ST_Intersects(geom, %s) = 1 %s"
             " ORDER BY ext_id",
             srid == 4326 ? "GeomFromText(?1, 4326)"
                          : "ST_Transform(GeomFromText(?1, ?2), 4326)",
             extra_where ? extra_where : "");
    sqlite3_stmt *stmt;
    cr_assert_eq(sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL), SQLITE_OK,
                 "%s", sqlite3_errmsg(store->db));
    sqlite3_bind_text(stmt, 1, wkt, -1, SQLITE_TRANSIENT);
    if (srid != 4326)
        sqlite3_bind_int(stmt, 2, srid);
    idset s;
    memset(&s, 0, sizeof s);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        s.ids[s.n++] = strdup((const char *)sqlite3_column_text(stmt, 0));
    cr_assert_eq(rc, SQLITE_DONE, "%s", sqlite3_errmsg(store->db));
    sqlite3_finalize(stmt);
    return joined(&s);
}

static int
has_id(const char *list, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = list; (p = strstr(p, id)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static long long
count_ids(const char *list)
{
    if (!*list)
        return 0;
    long long n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

static sinspace_region *
region_text(const char *text, const char *srs, int make_valid)
{
    sinspace_region *r = NULL;
    sinspace_status st = sinspace_region_from_text(ctx, text, strlen(text), srs,
                                                   make_valid, &r);
    cr_assert_eq(st, SINSPACE_OK, "%s", sinspace_context_message(ctx));
    return r;
}

/* -------------------------------------------------------------------------
 * Spatial semantics against SpatiaLite
 */

#define HOLE_WKT "POLYGON((100 13, 101 13, 101 14, 100 14, 100 13)," \
                 " (100.25 13.25, 100.75 13.25, 100.75 13.75, 100.25 13.75, 100.25 13.25))"

Test(query, polygon_with_hole_matches_spatialite)
{
    sinspace_region *r = region_text(HOLE_WKT, NULL, 0);
    sinspace_query_stats stats;
    char *ours = query_ids(r, NULL, &stats);
    char *theirs = sql_ids(HOLE_WKT, 4326, NULL);
    cr_assert_str_eq(ours, theirs);
    /* Boundary points count, the hole does not. */
    cr_assert(has_id(ours, "E_bottom"));
    cr_assert(has_id(ours, "V_sw"));
    cr_assert(has_id(ours, "V_ne"));
    cr_assert(has_id(ours, "H_edge"));
    cr_assert(has_id(ours, "H_vertex"));
    cr_assert(!has_id(ours, "H_inside"));
    cr_assert(!has_id(ours, "O_east"));
    /* 21 x 21 grid points in the square (13.00..14.00 in 0.05 steps), minus
     * those strictly inside the hole (13.30..13.70: 9 x 9). */
    long long grid = 0;
    for (const char *p = ours; (p = strstr(p, "G")) != NULL; p++)
        grid += p == ours || p[-1] == ',';
    cr_assert_eq(grid, 21 * 21 - 9 * 9);
    cr_assert_eq(stats.inside, count_ids(ours));
    cr_assert_eq(stats.matched, count_ids(ours));
    cr_assert_lt(stats.candidates, n_workplaces);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);
}

Test(query, diagonal_edge_and_geojson_feature_collection)
{
    const char *tri = "POLYGON((100 13, 100.5 13.5, 101 13, 100 13))";
    const char *gj =
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
        "\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
        "[[[100,13],[100.5,13.5],[101,13],[100,13]]]}}]}";
    sinspace_region *r = region_text(gj, NULL, 0);
    char *ours = query_ids(r, NULL, NULL);
    char *theirs = sql_ids(tri, 4326, NULL);
    cr_assert_str_eq(ours, theirs);
    cr_assert(has_id(ours, "D_diag")); /* on the diagonal edge */
    cr_assert(has_id(ours, "H_inside")); /* the apex vertex */
    cr_assert(!has_id(ours, "T_apex"));
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);
}

Test(query, multipolygon_prefilters_per_part)
{
    const char *mp = "MULTIPOLYGON(((100 13, 100.2 13, 100.2 13.2, 100 13.2, 100 13)),"
                     " ((100.8 13.8, 101 13.8, 101 14, 100.8 14, 100.8 13.8)))";
    sinspace_region *r = region_text(mp, NULL, 0);
    sinspace_query_stats stats;
    char *ours = query_ids(r, NULL, &stats);
    char *theirs = sql_ids(mp, 4326, NULL);
    cr_assert_str_eq(ours, theirs);
    /* Two rectangles: every index candidate of a part's box is inside, and
     * nothing between the parts was even a candidate. */
    cr_assert_eq(stats.candidates, stats.inside);
    cr_assert_eq(stats.inside, 5 * 5 + 5 * 5 + 2 /* V_sw, V_ne */ + 1 /* D_diag */);
    cr_assert_lt(stats.candidates, n_workplaces / 5);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);
}

/* A quadrilateral in UTM 47N around 100.3..100.8 E, 13.1..13.8 N. */
#define UTM_WKT "POLYGON((640000 1450000, 690000 1455000, 685000 1525000," \
                " 630000 1515000, 640000 1450000))"

Test(query, utm_geojson_with_crs_member)
{
    write_file("utm.geojson",
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\","
               "\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::32647\"}},"
               "\"features\":[{\"type\":\"Feature\",\"properties\":{},"
               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[640000,1450000],"
               "[690000,1455000],[685000,1525000],[630000,1515000],[640000,1450000]]]}}]}");
    char p[400];
    path_in(p, sizeof p, "utm.geojson");
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_file(ctx, p, NULL, 0, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char *ours = query_ids(r, NULL, NULL);
    char *theirs = sql_ids(UTM_WKT, 32647, NULL);
    cr_assert_str_eq(ours, theirs);
    cr_assert_gt(count_ids(ours), 100);
    double b[4];
    cr_assert_eq(sinspace_region_bounds(r, b), SINSPACE_OK);
    cr_assert(b[0] > 100.0 && b[2] < 101.0 && b[1] > 13.0 && b[3] < 14.0);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);
}

Test(query, utm_wkt_with_srs)
{
    write_file("utm.wkt", UTM_WKT "\n");
    char p[400];
    path_in(p, sizeof p, "utm.wkt");
    sinspace_region *r = NULL;
    /* Without --srs the metres are not lon/lat: refused. */
    cr_assert_eq(sinspace_region_from_file(ctx, p, NULL, 0, &r), SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "--srs"));
    cr_assert_eq(sinspace_region_from_file(ctx, p, "EPSG:32647", 0, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    char *ours = query_ids(r, NULL, NULL);
    char *theirs = sql_ids(UTM_WKT, 32647, NULL);
    cr_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);
    /* EWKT carries its own CRS. */
    r = region_text("SRID=32647;" UTM_WKT, NULL, 0);
    ours = query_ids(r, NULL, NULL);
    theirs = sql_ids(UTM_WKT, 32647, NULL);
    cr_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);
}

Test(query, near_radius_is_geodesic)
{
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_circle(ctx, NEAR_LON, NEAR_LAT, 2000.0, &r),
                 SINSPACE_OK);
    sinspace_filter f;
    sinspace_filter_init(&f);
    f.sort = SINSPACE_SORT_DISTANCE;
    idset s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect, &s, NULL), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    /* Sorted by distance: the grid point at the centre, then the eight at
     * 1999 m; none at 2001 m. */
    cr_assert_eq(s.n, 9);
    cr_assert_str_eq(s.ids[0], "G364"); /* 100.60, 13.60: i = 14, j = 14 */
    cr_assert(s.distances[0] < 1e-3);
    for (int i = 1; i < 9; i++)
        cr_assert(fabs(s.distances[i] - 1999.0) < 1e-3, "distance %f",
                  s.distances[i]);
    char *ids = joined(&s);
    cr_assert_str_eq(ids, "G364,N1999_000,N1999_045,N1999_090,N1999_135,"
                          "N1999_180,N1999_225,N1999_270,N1999_315");
    free(ids);
    /* Grown by a 2 m buffer, the 2001 m points come in. */
    cr_assert_eq(sinspace_region_buffer(r, 2.0), SINSPACE_OK);
    ids = query_ids(r, NULL, NULL);
    cr_assert_eq(count_ids(ids), 17);
    free(ids);
    const unsigned char *wkb;
    size_t size;
    cr_assert_eq(sinspace_region_wkb(r, &wkb, &size), SINSPACE_OK);
    cr_assert_eq(size, 1 + 4 + 4 + 4 + 129 * 16); /* a 128-gon, closed */
    sinspace_region_destroy(r);
}

Test(query, buffer_grows_by_metres)
{
    const char *sq = "POLYGON((100 13, 100.2 13, 100.2 13.2, 100 13.2, 100 13))";
    static const struct { double m; int b900, b1100; } cases[] = {
        {1000.0, 1, 0}, {800.0, 0, 0}, {1200.0, 1, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sinspace_region *r = region_text(sq, NULL, 0);
        cr_assert_eq(sinspace_region_buffer(r, cases[i].m), SINSPACE_OK, "%s",
                     sinspace_context_message(ctx));
        char *ids = query_ids(r, NULL, NULL);
        cr_assert_eq(has_id(ids, "B900"), cases[i].b900, "buffer %g m", cases[i].m);
        cr_assert_eq(has_id(ids, "B1100"), cases[i].b1100, "buffer %g m", cases[i].m);
        cr_assert(strstr(sinspace_region_describe(r), "buffer"));
        free(ids);
        sinspace_region_destroy(r);
    }
}

Test(query, invalid_polygons_rejected_or_repaired)
{
    const char *bow = "POLYGON((100 13, 101 14, 101 13, 100 14, 100 13))";
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_text(ctx, bow, strlen(bow), NULL, 0, &r),
                 SINSPACE_INVALID_INPUT);
    cr_assert_null(r);
    cr_assert(strstr(sinspace_context_message(ctx), "self-intersection at"), "%s",
              sinspace_context_message(ctx));
    r = region_text(bow, NULL, 1);
    char *ours = query_ids(r, NULL, NULL);
    /* The repair keeps both triangles: compare with SpatiaLite on them. */
    char *theirs = sql_ids("MULTIPOLYGON(((100 13, 100.5 13.5, 100 14, 100 13)),"
                           " ((101 13, 101 14, 100.5 13.5, 101 13)))", 4326, NULL);
    cr_assert_str_eq(ours, theirs);
    cr_assert(has_id(ours, "H_inside"));
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);

    const char *open = "{\"type\":\"Polygon\",\"coordinates\":"
                       "[[[100,13],[101,13],[101,14],[100,14]]]}";
    r = NULL;
    cr_assert_eq(sinspace_region_from_text(ctx, open, strlen(open), NULL, 0, &r),
                 SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "not closed"), "%s",
              sinspace_context_message(ctx));
    r = region_text(open, NULL, 1);
    ours = query_ids(r, NULL, NULL);
    theirs = sql_ids("POLYGON((100 13, 101 13, 101 14, 100 14, 100 13))", 4326, NULL);
    cr_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);

    const char *line = "{\"type\":\"LineString\",\"coordinates\":[[100,13],[101,14]]}";
    r = NULL;
    cr_assert_eq(sinspace_region_from_text(ctx, line, strlen(line), NULL, 0, &r),
                 SINSPACE_INVALID_INPUT);
}

/* -------------------------------------------------------------------------
 * Filters, sort, limit
 */

Test(query, filters_match_sql)
{
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 100.0, 13.0, 101.0, 14.0, &r), SINSPACE_OK);
    const char *box = "POLYGON((100 13, 101 13, 101 14, 100 14, 100 13))";
    sinspace_filter f;

    sinspace_filter_init(&f);
    f.min_risk = 2.5;
    char *a = query_ids(r, &f, NULL), *b = sql_ids(box, 4326, "AND risk >= 2.5");
    cr_assert_str_eq(a, b);
    cr_assert_gt(count_ids(a), 10);
    free(a);
    free(b);

    sinspace_filter_init(&f);
    f.classes = 1u << SINSPACE_RISK_CLASS_HIGH | 1u << SINSPACE_RISK_CLASS_LOW;
    a = query_ids(r, &f, NULL);
    b = sql_ids(box, 4326, "AND risk_class IN ('high', 'low')");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);

    sinspace_filter_init(&f);
    const char *secs[] = {"brothel", "fishing"};
    f.sectors = secs;
    f.n_sectors = 2;
    f.status = "active";
    a = query_ids(r, &f, NULL);
    b = sql_ids(box, 4326, "AND sector IN ('brothel', 'fishing') AND status = 'active'");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);

    sinspace_filter_init(&f);
    f.seen_since = "2025-12-01";
    a = query_ids(r, &f, NULL);
    cr_assert_str_eq(a, "C_fell,C_new,C_rose");
    free(a);

    sinspace_filter_init(&f);
    f.changed_since = "2025-12-01";
    idset s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect, &s, NULL), SINSPACE_OK);
    a = joined(&s);
    cr_assert_str_eq(a, "C_rose"); /* not C_fell (fell), not C_new (no baseline) */
    free(a);

    sinspace_filter_init(&f);
    const char *bad[] = {"casino"};
    f.sectors = bad;
    f.n_sectors = 1;
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect, &s, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_filter_init(&f);
    f.seen_since = "2025-02-30";
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect, &s, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_filter_init(&f);
    f.sort = SINSPACE_SORT_DISTANCE; /* not a circle */
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect, &s, NULL),
                 SINSPACE_INVALID_ARGUMENT);

    sinspace_filter_init(&f);
    f.min_risk = 2.0;
    const char *b2[] = {"brothel"};
    f.sectors = b2;
    f.n_sectors = 1;
    f.limit = 5;
    f.sort = SINSPACE_SORT_RISK;
    char *d = sinspace_filter_describe(&f);
    cr_assert_str_eq(d, "min-risk=2 sector=brothel limit=5 sort=risk");
    free(d);
    sinspace_region_destroy(r);
}

/* The one filter table both doors parse with: each option as text, the
 * rows checked against SQL; each bad value refused naming the option. */
Test(query, filter_set_table_matches_sql)
{
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 100.0, 13.0, 101.0, 14.0, &r), SINSPACE_OK);
    const char *box = "POLYGON((100 13, 101 13, 101 14, 100 14, 100 13))";
    static const struct {
        const char *name[3], *value[3];
        const char *sql;
    } good[] = {
        {{"--min-risk"}, {"2.5"}, "AND risk >= 2.5"},
        {{"min_risk"}, {" 2.5 "}, "AND risk >= 2.5"},
        {{"class"}, {"high,LOW"}, "AND risk_class IN ('high', 'low')"},
        {{"--class", "--class"}, {"high", "low"}, "AND risk_class IN ('high', 'low')"},
        {{"sector"}, {"brothel,Fishing"}, "AND sector IN ('brothel', 'fishing')"},
        {{"sector", "sector", "status"}, {"BROTHEL", "fishing", "active"},
         "AND sector IN ('brothel', 'fishing') AND status = 'active'"},
        {{"seen-since"}, {"2025-12-01"}, "AND last_seen >= '2025-12-01'"},
        {{"status"}, {"open"}, "AND status <> 'closed'"},
        {{"seen_since", "class"}, {"2025-12-01", "high,medium"},
         "AND last_seen >= '2025-12-01' AND risk_class IN ('high', 'medium')"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        sinspace_filter f;
        sinspace_filter_init(&f);
        for (int k = 0; k < 3 && good[i].name[k]; k++)
            cr_assert_eq(sinspace_filter_set(ctx, &f, good[i].name[k], good[i].value[k]),
                         SINSPACE_OK, "%s %s: %s", good[i].name[k], good[i].value[k],
                         sinspace_context_message(ctx));
        cr_assert(sinspace_filter_is_set(&f));
        char *a = query_ids(r, &f, NULL), *b = sql_ids(box, 4326, good[i].sql);
        cr_assert_str_eq(a, b, "%s", good[i].sql);
        cr_assert_gt(count_ids(a), 0, "%s", good[i].sql);
        free(a);
        free(b);
        sinspace_filter_clear(&f);
        cr_assert_null(f.owned);
    }
    static const struct {
        const char *name, *value, *message;
    } refused[] = {
        {"--class", "purple", "--class takes low, medium, high or unscored (a comma list), not 'purple'"},
        {"class", "high,", "class takes low, medium, high or unscored (a comma list), not 'high,'"},
        {"min_risk", "9", "min_risk takes a number from 1 to 3, not '9'"},
        {"min-risk", "", "min-risk takes a number from 1 to 3, not ''"},
        {"limit", "-3", "limit takes a whole number above 0, not '-3'"},
        {"status", "ajar", "status takes active, closed, unknown or open (not closed), not 'ajar'"},
        {"sort", "size", "sort takes risk, name, distance (a circle region) or id, not 'size'"},
        {"sector", "a,,b", "sector takes sector codes (a comma list), not 'a,,b'"},
        {"clas", "high", "unknown option clas"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        sinspace_filter f;
        sinspace_filter_init(&f);
        cr_assert_eq(sinspace_filter_set(ctx, &f, refused[i].name, refused[i].value),
                     SINSPACE_INVALID_ARGUMENT, "%s", refused[i].name);
        cr_assert_str_eq(sinspace_context_message(ctx), refused[i].message);
        sinspace_context_clear(ctx);
        sinspace_filter_clear(&f);
    }
    sinspace_filter f;
    sinspace_filter_init(&f);
    cr_assert_eq(sinspace_filter_set(ctx, &f, "seen_since", "2026-13-45"),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "seen_since takes a date YYYY-MM-DD, not '2026-13-45'"));
    /* Once only: a second value is refused, not taken silently. */
    cr_assert_eq(sinspace_filter_set(ctx, &f, "status", "active"), SINSPACE_OK);
    cr_assert_eq(sinspace_filter_set(ctx, &f, "--status", "closed"), SINSPACE_INVALID_ARGUMENT);
    cr_assert_str_eq(sinspace_context_message(ctx), "--status is given twice (it takes one value)");
    cr_assert_eq(sinspace_filter_set(ctx, &f, "min_risk", "2"), SINSPACE_OK);
    cr_assert_eq(sinspace_filter_set(ctx, &f, "min-risk", "2"), SINSPACE_INVALID_ARGUMENT);
    /* An unknown sector names the catalogue's codes. */
    cr_assert_eq(sinspace_filter_set(ctx, &f, "sector", "casino"), SINSPACE_OK);
    sinspace_context_clear(ctx);
    idset s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect, &s, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "unknown sector 'casino' (the sectors are: "),
              "%s", sinspace_context_message(ctx));
    cr_assert(strstr(sinspace_context_message(ctx), "brothel"));
    sinspace_filter_clear(&f);
    /* The table lists every option once. */
    const sinspace_filter_option *o = sinspace_filter_options();
    size_t n = 0;
    while (o[n].name)
        n++;
    cr_assert_eq(n, 9); /* hotspot (issue 16) is the ninth */
    cr_assert_eq(sinspace_filter_option_find("--changed-since"),
                 sinspace_filter_option_find("changed_since"));
    cr_assert_null(sinspace_filter_option_find("changed"));
    sinspace_region_destroy(r);
}

typedef struct sorted {
    double risk[1024];
    char *name[1024];
    long long n;
} sorted;

static int
collect_sorted(void *user, const sinspace_workplace_row *r)
{
    sorted *s = user;
    if (s->n < 1024) {
        s->risk[s->n] = r->risk;
        s->name[s->n] = strdup(r->name);
    }
    s->n++;
    return 0;
}

Test(query, sort_and_limit)
{
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 100.0, 13.0, 101.0, 14.0, &r), SINSPACE_OK);
    sinspace_filter f;
    sinspace_filter_init(&f);
    f.sort = SINSPACE_SORT_RISK;
    sorted all;
    memset(&all, 0, sizeof all);
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect_sorted, &all, NULL),
                 SINSPACE_OK);
    cr_assert_gt(all.n, 100);
    for (long long i = 1; i < all.n; i++)
        cr_assert_geq(all.risk[i - 1], all.risk[i]);
    cr_assert_float_eq(all.risk[0], 3.0, 1e-9);

    f.limit = 7;
    sorted top;
    memset(&top, 0, sizeof top);
    sinspace_query_stats stats;
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect_sorted, &top, &stats),
                 SINSPACE_OK);
    cr_assert_eq(top.n, 7);
    cr_assert_eq(stats.matched, 7);
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(top.name[i], all.name[i]);
        free(top.name[i]);
    }
    for (long long i = 0; i < all.n && i < 1024; i++)
        free(all.name[i]);

    sinspace_filter_init(&f);
    f.sort = SINSPACE_SORT_NAME;
    sorted byname;
    memset(&byname, 0, sizeof byname);
    cr_assert_eq(sinspace_query_workplaces(store, r, &f, collect_sorted, &byname, NULL),
                 SINSPACE_OK);
    for (long long i = 1; i < byname.n; i++)
        cr_assert_leq(strcasecmp(byname.name[i - 1], byname.name[i]), 0, "%s > %s",
                      byname.name[i - 1], byname.name[i]);
    for (long long i = 0; i < byname.n && i < 1024; i++)
        free(byname.name[i]);
    sinspace_region_destroy(r);
}

Test(query, empty_result)
{
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 90.0, 5.0, 91.0, 6.0, &r), SINSPACE_OK);
    sinspace_query_stats stats;
    char *ids = query_ids(r, NULL, &stats);
    cr_assert_str_eq(ids, "");
    cr_assert_eq(stats.candidates, 0);
    cr_assert_eq(stats.matched, 0);
    free(ids);
    sinspace_region_destroy(r);
}

Test(query, read_only_store_and_no_region)
{
    sinspace_store *ro = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db_path, SINSPACE_OPEN_READONLY, &ro),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 100.0, 13.0, 100.2, 13.2, &r), SINSPACE_OK);
    idset s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(sinspace_query_workplaces(ro, r, NULL, collect, &s, NULL), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(s.n, 25 + 2); /* 5 x 5 grid, V_sw, D_diag */
    free(joined(&s));
    memset(&s, 0, sizeof s);
    sinspace_query_stats stats;
    cr_assert_eq(sinspace_query_workplaces(ro, NULL, NULL, collect, &s, &stats),
                 SINSPACE_OK);
    cr_assert_eq(s.n, n_workplaces);
    cr_assert_eq(stats.candidates, -1);
    free(joined(&s));
    sinspace_region_destroy(r);
    sinspace_store_close(ro);
}

/* -------------------------------------------------------------------------
 * Areas, zones, fences
 */

static void
import_areas(void)
{
    write_file("areas.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"TA\",\"name_en\":\"Testland\","
        "\"name_th\":\"\xe0\xb8\x97\xe0\xb8\x94\xe0\xb8\xaa\xe0\xb8\xad\xe0\xb8\x9a\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
        "[[[100,13],[100.2,13],[100.2,13.2],[100,13.2],[100,13]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"TB\",\"name_en\":\"Twin\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
        "[[[100.8,13.8],[101,13.8],[101,14],[100.8,14],[100.8,13.8]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"TC\",\"name_en\":\"twin\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
        "[[[100,13.8],[100.2,13.8],[100.2,14],[100,14],[100,13.8]]]}}]}");
    char p[400];
    path_in(p, sizeof p, "areas.geojson");
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_AREAS;
    o.level = SINSPACE_LEVEL_DISTRICT;
    cr_assert_eq(sinspace_import_file(store, p, &o, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

Test(query, areas_by_code_latin_and_local_name)
{
    import_areas();
    const char *sq = "POLYGON((100 13, 100.2 13, 100.2 13.2, 100 13.2, 100 13))";
    char *expect = sql_ids(sq, 4326, NULL);
    static const char *const keys[] = {
        "TA", "testland", "TESTLAND",
        "\xe0\xb8\x97\xe0\xb8\x94\xe0\xb8\xaa\xe0\xb8\xad\xe0\xb8\x9a"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        sinspace_region *r = NULL;
        cr_assert_eq(sinspace_region_from_area(store, keys[i], &r), SINSPACE_OK,
                     "%s: %s", keys[i], sinspace_context_message(ctx));
        char *ids = query_ids(r, NULL, NULL);
        cr_assert_str_eq(ids, expect);
        cr_assert_str_eq(sinspace_region_describe(r), "area TA (Testland)");
        free(ids);
        sinspace_region_destroy(r);
    }
    free(expect);
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_area(store, "Twin", &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "TB"));
    cr_assert(strstr(sinspace_context_message(ctx), "TC"));
    cr_assert_eq(sinspace_region_from_area(store, "Atlantis", &r), SINSPACE_NOT_FOUND);
    cr_assert_null(r);
}

Test(query, zone_by_id)
{
    cr_assert_eq(sinspace__exec(store,
        "INSERT INTO zones(id, computed_at, workplaces, geom) VALUES (7,"
        " '2026-01-01T00:00:00Z', 0, CastToMultiPolygon(GeomFromText("
        "'POLYGON((100.8 13.8, 101 13.8, 101 14, 100.8 14, 100.8 13.8))', 4326)))"),
        SINSPACE_OK, "%s", sinspace_context_message(ctx));
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_zone(store, 7, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char *ids = query_ids(r, NULL, NULL);
    char *theirs = sql_ids("POLYGON((100.8 13.8, 101 13.8, 101 14, 100.8 14, 100.8 13.8))",
                           4326, NULL);
    cr_assert_str_eq(ids, theirs);
    free(ids);
    free(theirs);
    sinspace_region_destroy(r);
    r = NULL;
    cr_assert_eq(sinspace_region_from_zone(store, 8, &r), SINSPACE_NOT_FOUND);
}

typedef struct fence_seen {
    int n;
    char name[64];
    double km2;
    long long vertices;
    char by[64];
} fence_seen;

static int
on_fence(void *user, const sinspace_fence_desc *d)
{
    fence_seen *s = user;
    s->n++;
    snprintf(s->name, sizeof s->name, "%s", d->name);
    snprintf(s->by, sizeof s->by, "%s", d->added_by);
    s->km2 = d->area_km2;
    s->vertices = d->vertices;
    return 0;
}

static int
count_audit(void *user, const sinspace_audit_entry *e)
{
    long long *n = user;
    if (!strncmp(e->command, "fence", 5))
        (*n)++;
    return 0;
}

Test(query, fences_add_list_query_remove)
{
    cr_assert_eq(sinspace_context_set_user(ctx, "tester"), SINSPACE_OK);
    sinspace_region *r = region_text(HOLE_WKT, NULL, 0);
    cr_assert_eq(sinspace_fence_add(store, "harbour", "fictional test fence", r),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(sinspace_fence_add(store, "harbour", NULL, r), SINSPACE_ERROR);
    cr_assert_eq(sinspace_fence_add(store, "", NULL, r), SINSPACE_INVALID_ARGUMENT);
    sinspace_region_destroy(r);

    fence_seen s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(sinspace_fence_list(store, on_fence, &s), SINSPACE_OK);
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.name, "harbour");
    cr_assert_str_eq(s.by, "tester");
    cr_assert_eq(s.vertices, 10);
    /* 1 x 1 degree minus 0.5 x 0.5 at 13.5 N: about 0.75 * 108.3 * 110.6 km2. */
    cr_assert(s.km2 > 8800 && s.km2 < 9100, "%f", s.km2);

    cr_assert_eq(sinspace_region_from_fence(store, "harbour", &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char *ours = query_ids(r, NULL, NULL), *theirs = sql_ids(HOLE_WKT, 4326, NULL);
    cr_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    sinspace_region_destroy(r);

    cr_assert_eq(sinspace_fence_remove(store, "harbour"), SINSPACE_OK);
    cr_assert_eq(sinspace_fence_remove(store, "harbour"), SINSPACE_NOT_FOUND);
    r = NULL;
    cr_assert_eq(sinspace_region_from_fence(store, "harbour", &r), SINSPACE_NOT_FOUND);
    long long n = 0;
    cr_assert_eq(sinspace_audit_list(store, NULL, count_audit, &n), SINSPACE_OK);
    cr_assert_eq(n, 2); /* add and rm; the failed ones wrote nothing */
}

/* -------------------------------------------------------------------------
 * The command
 */

/* Runs the sinspace binary with args (shell words), output to files in the
 * test directory; returns the exit status. */
static int
run_cli(const char *args)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert_not_null(bin, "SINSPACE_BIN is not set");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >out.txt 2>err.txt", dir, bin, args);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static char *
slurp(const char *name)
{
    char p[400];
    path_in(p, sizeof p, name);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f, "%s", p);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(query, cli_exit_statuses)
{
    /* The fixture's store is closed so the command can open it. */
    import_areas();
    sinspace_store_close(store);
    store = NULL;
    cr_assert_eq(run_cli("query t.db --area Atlantis"), 1);
    cr_assert(strstr(slurp("err.txt"), "Atlantis"));
    cr_assert_eq(run_cli("query t.db --area Twin"), 2);
    cr_assert(strstr(slurp("err.txt"), "ambiguous"));
    write_file("bow.wkt", "POLYGON((100 13, 101 14, 101 13, 100 14, 100 13))\n");
    cr_assert_eq(run_cli("query t.db --within bow.wkt"), 3);
    cr_assert(strstr(slurp("err.txt"), "self-intersection at"));
    cr_assert_eq(run_cli("query t.db --within bow.wkt --make-valid --format csv"), 0);
    cr_assert_eq(run_cli("query t.db --near 100.6,13.6 --radius 2mi"), 2);
    cr_assert_eq(run_cli("query t.db --near 100.6,13.6 --radius -1km"), 2);
    cr_assert_eq(run_cli("query t.db --near 100.6,13.6"), 2);
    cr_assert_eq(run_cli("query t.db --bbox 1,2,3"), 2);
    cr_assert_eq(run_cli("query t.db --bbox 101,13,100,14"), 2);
    cr_assert_eq(run_cli("query t.db"), 2);
    cr_assert_eq(run_cli("query t.db --bbox 100,13,101,14 --class huge"), 2);
    cr_assert_eq(run_cli("query t.db --bbox 100,13,101,14 --sort distance"), 2);
    cr_assert_eq(run_cli("query t.db --fence nothing"), 1);
    cr_assert_eq(run_cli("fence add t.db bad bow.wkt"), 3);
    cr_assert_eq(run_cli("fence rm t.db nothing"), 1);
    cr_assert_eq(run_cli("query t.db --bbox 100,13,101,14 -o t.db"), 2);
    cr_assert_eq(run_cli("query t.db --bbox 100,13,101,14 --limit 0"), 2);
}

Test(query, cli_near_csv_file_and_audit)
{
    sinspace_store_close(store);
    store = NULL;
    cr_assert_eq(run_cli("query t.db --near 100.6,13.6 --radius 2km --format csv "
                         "--sort distance -o near.csv"), 0);
    char p[400];
    path_in(p, sizeof p, "near.csv");
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    char *csv = slurp("near.csv");
    const char *head = "id,name,sector,risk,class,lon,lat,area,last_seen,distance_m\n"
                       "G364,";
    cr_assert(!strncmp(csv, head, strlen(head)), "%s", csv);
    int lines = 0;
    for (char *q = csv; *q; q++)
        lines += *q == '\n';
    cr_assert_eq(lines, 1 + 9);
    cr_assert(!strstr(csv, "N2001"));
    cr_assert(!strstr(csv, "address"));

    /* --format ids: the same workplaces' own ids (the id column of the
     * CSV), one a line (the audit row is checked below). */
    cr_assert_eq(run_cli("query t.db --near 100.6,13.6 --radius 2km --format ids "
                         "--sort distance"), 0);
    char *ids = strdup(slurp("out.txt"));
    lines = 0;
    char want_ids[4096] = "";
    csv = slurp("near.csv");
    for (char *q = strchr(csv, '\n') + 1; *q; q = strchr(q, '\n') + 1) {
        size_t len = strcspn(q, ",");
        strncat(want_ids, q, len);
        strcat(want_ids, "\n");
        lines++;
    }
    cr_assert_eq(lines, 9);
    cr_assert_str_eq(ids, want_ids);
    free(ids);

    cr_assert_eq(run_cli("query t.db --bbox 90,5,91,6"), 0);
    cr_assert(strstr(slurp("out.txt"), "0 workplaces"));
    cr_assert_eq(run_cli("query t.db --bbox 90,5,91,6 --format csv"), 0);
    cr_assert_str_eq(slurp("out.txt"),
                     "id,name,sector,risk,class,lon,lat,area,last_seen\n");

    /* The table ends with a summary per sector and class: in the square
     * 100..100.2 x 13..13.2, 25 grid points (sectors cycle over 4) and the
     * two brothel specials. */
    cr_assert_eq(run_cli("query t.db --bbox 100,13,100.2,13.2 --sector brothel"), 0);
    char *table = slurp("out.txt");
    cr_assert(!strncmp(table, "id ", 3), "%s", table);
    cr_assert_not_null(strstr(table, "\nsector "), "%s", table);
    const char *all = strstr(table, "\nall ");
    cr_assert_not_null(all, "%s", table);
    long long k[5];
    cr_assert_eq(sscanf(all, "\nall %lld %lld %lld %lld %lld", &k[0], &k[1], &k[2],
                        &k[3], &k[4]), 5);
    cr_assert_eq(k[4], k[0] + k[1] + k[2] + k[3]);
    cr_assert_eq(run_cli("query t.db --bbox 100,13,100.2,13.2 --sector brothel "
                         "--format json"), 0);
    char *json = slurp("out.txt");
    cr_assert(!strncmp(json, "{\"region\":\"bbox ", 16), "%s", json);
    char want[64];
    snprintf(want, sizeof want, "\"count\":%lld,", k[4]);
    cr_assert_not_null(strstr(json, want), "%s", json);
    cr_assert_not_null(strstr(json, "\"summary\":{\"by_class\":"), "%s", json);

    cr_assert_eq(run_cli("query t.db --bbox 100,13,100.2,13.2 --internal --explain "
                         "--format geojson"), 0);
    char *gj = slurp("out.txt");
    const char *fc = "{\"type\":\"FeatureCollection\",\"features\":[";
    cr_assert(!strncmp(gj, fc, strlen(fc)), "%s", gj);
    cr_assert(strstr(gj, "\"address\":"));
    cr_assert(!strstr(gj, "\"crs\""));
    char *err = slurp("err.txt");
    long long cand = -1, total = -1;
    const char *e = strstr(err, "index candidates: ");
    cr_assert_not_null(e, "%s", err);
    cr_assert_eq(sscanf(e, "index candidates: %lld of %lld", &cand, &total), 2);
    cr_assert_eq(total, n_workplaces);
    cr_assert_eq(cand, 27);
    cr_assert_lt(cand, total);

    /* The GeoJSON reads back through OGR with typed fields. */
    cr_assert_eq(run_cli("query t.db --bbox 100,13,100.2,13.2 --format geojson "
                         "-o sq.geojson"), 0);
    path_in(p, sizeof p, "sq.geojson");
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    cr_assert_eq(OGR_L_GetFeatureCount(layer, 1), 27);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int fi = OGR_FD_GetFieldIndex(defn, "risk");
    cr_assert_geq(fi, 0);
    cr_assert_eq(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, fi)), OFTReal);
    cr_assert_lt(OGR_FD_GetFieldIndex(defn, "address"), 0);
    /* Written by the export module's writer: the workplace's own id is the
     * first property, risk keeps the table's 3 decimals. */
    cr_assert_str_eq(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, 0)), "id");
    cr_assert_eq(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, 0)), OFTString);
    OGR_L_ResetReading(layer);
    OGRFeatureH feat;
    while ((feat = OGR_L_GetNextFeature(layer))) {
        if (OGR_F_IsFieldSetAndNotNull(feat, fi)) {
            double v = OGR_F_GetFieldAsDouble(feat, fi) * 1000;
            cr_assert_float_eq(v, round(v), 1e-6);
        }
        OGR_F_Destroy(feat);
    }
    GDALClose(ds);
    char *sq = slurp("sq.geojson");
    /* One vocabulary (the web API writes the same): the feature id is
     * the workplace's own id, the "id" property, not a row number. */
    for (const char *f = strstr(sq, "{\"type\":\"Feature\""); f;
         f = strstr(f + 1, "{\"type\":\"Feature\"")) {
        char fid[64], pid[64];
        cr_assert_eq(sscanf(f, "{\"type\":\"Feature\",\"id\":\"%63[^\"]\","
                            "\"properties\":{\"id\":\"%63[^\"]\"", fid, pid), 2,
                     "%.200s", f);
        cr_assert_str_eq(fid, pid);
    }

    cr_assert_eq(sinspace_store_open(ctx, db_path, SINSPACE_OPEN_READONLY, &store),
                 SINSPACE_OK);
    sqlite3_stmt *stmt;
    cr_assert_eq(sqlite3_prepare_v2(store->db,
        "SELECT command, target, audience, filters, rows FROM audit"
        " WHERE command = 'query' ORDER BY id", -1, &stmt, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 1),
                     "circle 100.600000,13.600000 radius 2000 m");
    cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 3),
                     "sort=distance format=csv output=near.csv");
    cr_assert_eq(sqlite3_column_int(stmt, 4), 9);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW); /* --format ids */
    cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 3), "sort=distance format=ids");
    cr_assert_eq(sqlite3_column_int(stmt, 4), 9);
    for (int i = 0; i < 4; i++) /* 0 rows twice, table and json */
        cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 2), "internal");
    cr_assert_eq(sqlite3_column_int(stmt, 4), 27);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW); /* sq.geojson */
    cr_assert_eq(sqlite3_column_int(stmt, 4), 27);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
}

Test(query, null_and_bad_arguments)
{
    sinspace_region_destroy(NULL);
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_file(ctx, NULL, NULL, 0, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_text(NULL, "x", 1, NULL, 0, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_area(NULL, "x", &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_fence(store, NULL, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_zone(NULL, 1, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_bbox(ctx, 0, 0, 0, 0, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_bbox(ctx, NAN, 0, 1, 1, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_circle(ctx, 100, 13, 0, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_region_from_circle(ctx, 200, 13, 10, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_null(r);
    cr_assert_eq(sinspace_region_buffer(NULL, 10), SINSPACE_INVALID_ARGUMENT);
    double b[4];
    cr_assert_eq(sinspace_region_bounds(NULL, b), SINSPACE_INVALID_ARGUMENT);
    cr_assert_str_eq(sinspace_region_describe(NULL), "");
    const unsigned char *wkb;
    size_t size;
    cr_assert_eq(sinspace_region_wkb(NULL, &wkb, &size), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_query_workplaces(NULL, NULL, NULL, collect, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_query_workplaces(store, NULL, NULL, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_filter_init(NULL);
    char *d = sinspace_filter_describe(NULL);
    cr_assert_str_eq(d, "");
    free(d);
    double m = -1;
    cr_assert_eq(sinspace_parse_distance(ctx, "2 km", &m), SINSPACE_OK);
    cr_assert_float_eq(m, 2000.0, 1e-9);
    cr_assert_eq(sinspace_parse_distance(ctx, "2 miles", &m), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_parse_distance(ctx, "0m", &m), SINSPACE_INVALID_ARGUMENT);
    cr_assert_float_eq(m, 2000.0, 1e-9); /* untouched on failure */
    cr_assert_eq(sinspace_fence_add(NULL, "x", NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_fence_list(NULL, on_fence, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_fence_remove(store, NULL), SINSPACE_INVALID_ARGUMENT);
}

/* -------------------------------------------------------------------------
 * The cell grid (query.c): index boxes decided without reading the point
 */

/* Ids (database ids) as a sorted, comma-joined list. */
typedef struct idlist {
    long long v[40000];
    size_t n;
} idlist;

static int
collect_db_id(void *user, long long id)
{
    idlist *l = user;
    cr_assert_lt(l->n, sizeof l->v / sizeof *l->v);
    l->v[l->n++] = id;
    return 0;
}

static int
collect_row_id(void *user, const sinspace_workplace_row *r)
{
    return collect_db_id(user, r->id);
}

static void
assert_same_ids(const idlist *a, const idlist *b, const char *what)
{
    cr_assert_eq(a->n, b->n, "%s: %zu ids against %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        cr_assert_eq(a->v[i], b->v[i], "%s: id %zu differs", what, i);
}

/* A lattice of 129 x 129 points at 1/128 degree over 100..101 E, 13..14 N:
 * binary-exact values, so many lie exactly on the polygons' edges and
 * vertices and on the lines of the 256 x 256 cell grid laid over them. */
static void
add_lattice(void)
{
    char p[400];
    path_in(p, sizeof p, "lattice.csv");
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fprintf(f, "id,name,sector,lon,lat,risk,observed,status\n");
    for (int i = 0; i <= 128; i++)
        for (int j = 0; j <= 128; j++)
            fprintf(f, "L%03d_%03d,Lattice,fishing,%.17g,%.17g,1.5,2025-06-01,active\n",
                    i, j, 100.0 + i / 128.0, 13.0 + j / 128.0);
    fclose(f);
    sinspace_import_result r;
    cr_assert_eq(sinspace_import_file(store, p, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

Test(query, ids_exact_on_a_dense_lattice)
{
    add_lattice();
    static const char *const wkts[] = {
        HOLE_WKT,
        "POLYGON((100 13, 100.5 13.5, 101 13, 100 13))",
        "POLYGON((100.1 13.1, 100.9 13.05, 100.5 13.5, 100.95 13.9, 100.05 13.95,"
        " 100.3 13.5, 100.1 13.1))",
        "MULTIPOLYGON(((100 13, 100.25 13, 100.25 13.25, 100 13.25, 100 13)),"
        " ((100.5 13.5, 101 13.5, 101 14, 100.5 14, 100.5 13.5),"
        " (100.625 13.625, 100.875 13.625, 100.875 13.875, 100.625 13.875,"
        " 100.625 13.625)))",
    };
    static idlist fast, rows, sql;
    for (size_t k = 0; k < sizeof wkts / sizeof *wkts; k++) {
        sinspace_region *r = region_text(wkts[k], NULL, 0);
        sinspace_query_stats st;
        fast.n = rows.n = sql.n = 0;
        cr_assert_eq(sinspace_query_ids(store, r, NULL, collect_db_id, &fast, &st),
                     SINSPACE_OK, "%s", sinspace_context_message(ctx));
        /* The grid decided most candidates without reading their point. */
        cr_assert_gt(st.candidates, 1000);
        cr_assert_lt(st.exact * 4, st.candidates, "%lld of %lld read", st.exact,
                     st.candidates);
        cr_assert_eq(st.inside, (long long)fast.n);
        cr_assert_eq(sinspace_query_workplaces(store, r, NULL, collect_row_id, &rows,
                                               NULL), SINSPACE_OK);
        assert_same_ids(&fast, &rows, wkts[k]);
        /* SpatiaLite's exact answer, point by point. */
        sqlite3_stmt *stmt;
        cr_assert_eq(sqlite3_prepare_v2(store->db,
            "SELECT id FROM workplaces WHERE ST_Intersects(geom, GeomFromText(?1, 4326)) = 1"
            " ORDER BY id", -1, &stmt, NULL), SQLITE_OK);
        sqlite3_bind_text(stmt, 1, wkts[k], -1, SQLITE_STATIC);
        while (sqlite3_step(stmt) == SQLITE_ROW)
            collect_db_id(&sql, sqlite3_column_int64(stmt, 0));
        sqlite3_finalize(stmt);
        assert_same_ids(&fast, &sql, wkts[k]);
        sinspace_region_destroy(r);
    }
    /* A 30 km circle: the grid against the geodesic distance of each point. */
    sinspace_region *c = NULL;
    cr_assert_eq(sinspace_region_from_circle(ctx, 100.5, 13.5, 30000.0, &c), SINSPACE_OK);
    sinspace_query_stats st;
    fast.n = sql.n = 0;
    cr_assert_eq(sinspace_query_ids(store, c, NULL, collect_db_id, &fast, &st), SINSPACE_OK);
    cr_assert_lt(st.exact * 4, st.candidates);
    sqlite3_stmt *stmt;
    cr_assert_eq(sqlite3_prepare_v2(store->db,
        "SELECT id, ST_X(geom), ST_Y(geom) FROM workplaces ORDER BY id", -1, &stmt,
        NULL), SQLITE_OK);
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        double s12;
        geod_inverse(&g, 13.5, 100.5, sqlite3_column_double(stmt, 2),
                     sqlite3_column_double(stmt, 1), &s12, NULL, NULL);
        if (s12 <= 30000.0)
            collect_db_id(&sql, sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
    cr_assert_gt(sql.n, 2000);
    assert_same_ids(&fast, &sql, "circle 30 km");
    /* Filters and limits go the general way and agree with it. */
    sinspace_filter f;
    sinspace_filter_init(&f);
    f.min_risk = 2.0;
    f.limit = 7;
    fast.n = rows.n = 0;
    cr_assert_eq(sinspace_query_ids(store, c, &f, collect_db_id, &fast, &st), SINSPACE_OK);
    cr_assert_eq(sinspace_query_workplaces(store, c, &f, collect_row_id, &rows, NULL),
                 SINSPACE_OK);
    cr_assert_eq(fast.n, 7);
    assert_same_ids(&fast, &rows, "filtered");
    f.min_risk = NAN;
    fast.n = 0;
    cr_assert_eq(sinspace_query_ids(store, c, &f, collect_db_id, &fast, &st), SINSPACE_OK);
    cr_assert_eq(fast.n, 7);
    cr_assert_eq(fast.v[6], sql.v[6]);
    cr_assert_eq(sinspace_query_ids(NULL, c, NULL, collect_db_id, &fast, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_query_ids(store, c, NULL, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_region_destroy(c);
}

/* -------------------------------------------------------------------------
 * The query command's output, byte for byte
 */

/* Workplaces whose text needs care in every format: a formula-like name,
 * commas, quotes, a leading space, a newline and a tab in the internal
 * fields, Thai text, a number-like name, an unscored workplace; one with
 * a risk history for --changed-since.  Far from the fixture's grid. */
static void
import_odd_rows(void)
{
    write_file("odd.csv",
        "id,name,sector,lon,lat,risk,observed,status,address,source,source_note\n"
        "O1,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,120,20,1.5,2025-06-01,"
        "active,\"12 Moo 3,\nSoi \"\"Tiger\"\"\",primary,\"tab\there\"\n"
        "O2,\" leading space\",karaoke_bar,120.001,20.001,,,closed,,,\n"
        "O3,\"\xe0\xb8\xa3\xe0\xb9\x89\xe0\xb8\xb2\xe0\xb8\x99, Thai\",massage_parlour,"
        "120.002,20.002,1.2,2025-06-03,unknown,\"trailing \",secondary,\"back\\\\slash\"\n"
        "O4,-5,fishing,120.01,20.01,3.0,2025-06-04,active,,,\n"
        "O5,+plus,fishing,120.02,19.99,1.9,2025-06-05,active,@at,,\n");
    write_file("odd2.csv",
        "id,name,sector,lon,lat,risk,observed,status\n"
        "O1,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,120,20,2.75,2026-01-01,"
        "active\n");
    char p[400];
    sinspace_import_result r;
    path_in(p, sizeof p, "odd.csv");
    cr_assert_eq(sinspace_import_file(store, p, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    path_in(p, sizeof p, "odd2.csv");
    cr_assert_eq(sinspace_import_file(store, p, NULL, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

#define ODD_BBOX "--bbox 119.9,19.9,120.1,20.1"
#define ODD_NEAR "--near 120,20 --radius 5km --sort distance"
#define ODD_CHANGED "--changed-since 2025-12-01"

/* Each run's stdout (or -o file), exit status, stderr and audit row
 * (target|audience|filters|rows), as the command wrote them before its
 * output moved into the library (sinspace_query_write). */
static const struct {
    const char *args;
    const char *file; /* NULL: stdout */
    const char *out;
    int rc;
    const char *err;
    const char *audit;
} golden_runs[] = {
    {ODD_BBOX, NULL,
        "id  name                        sector           risk   class   lon         lat        area  last_seen\n"
        "O1  =HYPERLINK(\"http://x\",\"y\")  brothel          2.750  high    120.000000  20.000000  -     2026-01-01\n"
        "O2   leading space              karaoke_bar      -      -       120.001000  20.001000  -     -\n"
        "O3  ร้าน, Thai                  massage_parlour  1.200  low     120.002000  20.002000  -     2025-06-03\n"
        "O4  -5                          fishing          3.000  high    120.010000  20.010000  -     2025-06-04\n"
        "O5  +plus                       fishing          1.900  medium  120.020000  19.990000  -     2025-06-05\n"
        "\n"
        "5 workplaces\n"
        "\n"
        "sector               low   medium     high unscored    total\n"
        "brothel                0        0        1        0        1\n"
        "karaoke_bar            0        0        0        1        1\n"
        "massage_parlour        1        0        0        0        1\n"
        "fishing                0        1        1        0        2\n"
        "all                    1        1        2        1        5\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|format=table|5"},
    {ODD_BBOX " --internal", NULL,
        "id  name                        sector           risk   class   lon         lat        area  last_seen   address                source     source_note\n"
        "O1  =HYPERLINK(\"http://x\",\"y\")  brothel          2.750  high    120.000000  20.000000  -     2026-01-01  12 Moo 3, Soi \"Tiger\"  primary    tab here\n"
        "O2   leading space              karaoke_bar      -      -       120.001000  20.001000  -     -           -                      -          -\n"
        "O3  ร้าน, Thai                  massage_parlour  1.200  low     120.002000  20.002000  -     2025-06-03  trailing               secondary  back\\\\slash\n"
        "O4  -5                          fishing          3.000  high    120.010000  20.010000  -     2025-06-04  -                      -          -\n"
        "O5  +plus                       fishing          1.900  medium  120.020000  19.990000  -     2025-06-05  @at                    -          -\n"
        "\n"
        "5 workplaces\n"
        "\n"
        "sector               low   medium     high unscored    total\n"
        "brothel                0        0        1        0        1\n"
        "karaoke_bar            0        0        0        1        1\n"
        "massage_parlour        1        0        0        0        1\n"
        "fishing                0        1        1        0        2\n"
        "all                    1        1        2        1        5\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|internal|format=table|5"},
    {ODD_BBOX " --internal --format csv", NULL,
        "id,name,sector,risk,class,lon,lat,area,last_seen,address,source,source_note\n"
        "O1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,2.750,high,120.000000,20.000000,,2026-01-01,\"12 Moo 3,\n"
        "Soi \"\"Tiger\"\"\",primary,tab\there\n"
        "O2,\" leading space\",karaoke_bar,,,120.001000,20.001000,,,,,\n"
        "O3,\"ร้าน, Thai\",massage_parlour,1.200,low,120.002000,20.002000,,2025-06-03,\"trailing \",secondary,back\\\\slash\n"
        "O4,-5,fishing,3.000,high,120.010000,20.010000,,2025-06-04,,,\n"
        "O5,'+plus,fishing,1.900,medium,120.020000,19.990000,,2025-06-05,'@at,,\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|internal|format=csv|5"},
    {ODD_BBOX " --internal --format json", NULL,
        "{\"region\":\"bbox 119.900000,19.900000,120.100000,20.100000\",\n"
        "\"filters\":\"\",\n"
        "\"rows\":[\n"
        "{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.750,\"class\":\"high\",\"lon\":120.000000,\"lat\":20.000000,\"area\":null,\"last_seen\":\"2026-01-01\",\"address\":\"12 Moo 3,\\nSoi \\\"Tiger\\\"\",\"source\":\"primary\",\"source_note\":\"tab\\there\"},\n"
        "{\"id\":\"O2\",\"name\":\" leading space\",\"sector\":\"karaoke_bar\",\"risk\":null,\"class\":null,\"lon\":120.001000,\"lat\":20.001000,\"area\":null,\"last_seen\":null,\"address\":null,\"source\":null,\"source_note\":null},\n"
        "{\"id\":\"O3\",\"name\":\"ร้าน, Thai\",\"sector\":\"massage_parlour\",\"risk\":1.200,\"class\":\"low\",\"lon\":120.002000,\"lat\":20.002000,\"area\":null,\"last_seen\":\"2025-06-03\",\"address\":\"trailing \",\"source\":\"secondary\",\"source_note\":\"back\\\\\\\\slash\"},\n"
        "{\"id\":\"O4\",\"name\":\"-5\",\"sector\":\"fishing\",\"risk\":3.000,\"class\":\"high\",\"lon\":120.010000,\"lat\":20.010000,\"area\":null,\"last_seen\":\"2025-06-04\",\"address\":null,\"source\":null,\"source_note\":null},\n"
        "{\"id\":\"O5\",\"name\":\"+plus\",\"sector\":\"fishing\",\"risk\":1.900,\"class\":\"medium\",\"lon\":120.020000,\"lat\":19.990000,\"area\":null,\"last_seen\":\"2025-06-05\",\"address\":\"@at\",\"source\":null,\"source_note\":null}],\n"
        "\"count\":5,\n"
        "\"summary\":{\"by_class\":{\"unscored\":1,\"low\":1,\"medium\":1,\"high\":2},\"by_sector\":{\"brothel\":{\"unscored\":0,\"low\":0,\"medium\":0,\"high\":1,\"total\":1},\"karaoke_bar\":{\"unscored\":1,\"low\":0,\"medium\":0,\"high\":0,\"total\":1},\"massage_parlour\":{\"unscored\":0,\"low\":1,\"medium\":0,\"high\":0,\"total\":1},\"fishing\":{\"unscored\":0,\"low\":0,\"medium\":1,\"high\":1,\"total\":2}}}}\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|internal|format=json|5"},
    {ODD_BBOX " --internal --format geojson", NULL,
        "{\"type\":\"FeatureCollection\",\"features\":[\n"
        "{\"type\":\"Feature\",\"id\":\"O1\",\"properties\":{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.75,\"class\":\"high\",\"area\":null,\"last_seen\":\"2026-01-01\",\"address\":\"12 Moo 3,\\nSoi \\\"Tiger\\\"\",\"source\":\"primary\",\"source_note\":\"tab\\there\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120,20]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O2\",\"properties\":{\"id\":\"O2\",\"name\":\" leading space\",\"sector\":\"karaoke_bar\",\"risk\":null,\"class\":null,\"area\":null,\"last_seen\":null,\"address\":null,\"source\":null,\"source_note\":null},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.001,20.001]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O3\",\"properties\":{\"id\":\"O3\",\"name\":\"ร้าน, Thai\",\"sector\":\"massage_parlour\",\"risk\":1.2,\"class\":\"low\",\"area\":null,\"last_seen\":\"2025-06-03\",\"address\":\"trailing \",\"source\":\"secondary\",\"source_note\":\"back\\\\\\\\slash\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.002,20.002]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O4\",\"properties\":{\"id\":\"O4\",\"name\":\"-5\",\"sector\":\"fishing\",\"risk\":3,\"class\":\"high\",\"area\":null,\"last_seen\":\"2025-06-04\",\"address\":null,\"source\":null,\"source_note\":null},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.01,20.01]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O5\",\"properties\":{\"id\":\"O5\",\"name\":\"+plus\",\"sector\":\"fishing\",\"risk\":1.9,\"class\":\"medium\",\"area\":null,\"last_seen\":\"2025-06-05\",\"address\":\"@at\",\"source\":null,\"source_note\":null},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.02,19.99]}}\n"
        "]}\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|internal|format=geojson|5"},
    {ODD_BBOX " --format ids", NULL,
        "O1\n"
        "O2\n"
        "O3\n"
        "O4\n"
        "O5\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|format=ids|5"},
    {ODD_BBOX " --format csv --sort risk --class high,low,unscored", NULL,
        "id,name,sector,risk,class,lon,lat,area,last_seen\n"
        "O4,-5,fishing,3.000,high,120.010000,20.010000,,2025-06-04\n"
        "O1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,2.750,high,120.000000,20.000000,,2026-01-01\n"
        "O3,\"ร้าน, Thai\",massage_parlour,1.200,low,120.002000,20.002000,,2025-06-03\n"
        "O2,\" leading space\",karaoke_bar,,,120.001000,20.001000,,\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|class=unscored,low,high sort=risk format=csv|4"},
    {ODD_NEAR, NULL,
        "id  name                        sector           risk   class   lon         lat        area  last_seen   distance_m\n"
        "O1  =HYPERLINK(\"http://x\",\"y\")  brothel          2.750  high    120.000000  20.000000  -     2026-01-01  0.0\n"
        "O2   leading space              karaoke_bar      -      -       120.001000  20.001000  -     -           152.3\n"
        "O3  ร้าน, Thai                  massage_parlour  1.200  low     120.002000  20.002000  -     2025-06-03  304.7\n"
        "O4  -5                          fishing          3.000  high    120.010000  20.010000  -     2025-06-04  1523.3\n"
        "O5  +plus                       fishing          1.900  medium  120.020000  19.990000  -     2025-06-05  2367.7\n"
        "\n"
        "5 workplaces\n"
        "\n"
        "sector               low   medium     high unscored    total\n"
        "brothel                0        0        1        0        1\n"
        "karaoke_bar            0        0        0        1        1\n"
        "massage_parlour        1        0        0        0        1\n"
        "fishing                0        1        1        0        2\n"
        "all                    1        1        2        1        5\n",
        0, "",
        "circle 120.000000,20.000000 radius 5000 m|NULL|sort=distance format=table|5"},
    {ODD_NEAR " --format csv", NULL,
        "id,name,sector,risk,class,lon,lat,area,last_seen,distance_m\n"
        "O1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,2.750,high,120.000000,20.000000,,2026-01-01,0.0\n"
        "O2,\" leading space\",karaoke_bar,,,120.001000,20.001000,,,152.3\n"
        "O3,\"ร้าน, Thai\",massage_parlour,1.200,low,120.002000,20.002000,,2025-06-03,304.7\n"
        "O4,-5,fishing,3.000,high,120.010000,20.010000,,2025-06-04,1523.3\n"
        "O5,'+plus,fishing,1.900,medium,120.020000,19.990000,,2025-06-05,2367.7\n",
        0, "",
        "circle 120.000000,20.000000 radius 5000 m|NULL|sort=distance format=csv|5"},
    {ODD_NEAR " --format json", NULL,
        "{\"region\":\"circle 120.000000,20.000000 radius 5000 m\",\n"
        "\"filters\":\"sort=distance\",\n"
        "\"rows\":[\n"
        "{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.750,\"class\":\"high\",\"lon\":120.000000,\"lat\":20.000000,\"area\":null,\"last_seen\":\"2026-01-01\",\"distance_m\":0.0},\n"
        "{\"id\":\"O2\",\"name\":\" leading space\",\"sector\":\"karaoke_bar\",\"risk\":null,\"class\":null,\"lon\":120.001000,\"lat\":20.001000,\"area\":null,\"last_seen\":null,\"distance_m\":152.3},\n"
        "{\"id\":\"O3\",\"name\":\"ร้าน, Thai\",\"sector\":\"massage_parlour\",\"risk\":1.200,\"class\":\"low\",\"lon\":120.002000,\"lat\":20.002000,\"area\":null,\"last_seen\":\"2025-06-03\",\"distance_m\":304.7},\n"
        "{\"id\":\"O4\",\"name\":\"-5\",\"sector\":\"fishing\",\"risk\":3.000,\"class\":\"high\",\"lon\":120.010000,\"lat\":20.010000,\"area\":null,\"last_seen\":\"2025-06-04\",\"distance_m\":1523.3},\n"
        "{\"id\":\"O5\",\"name\":\"+plus\",\"sector\":\"fishing\",\"risk\":1.900,\"class\":\"medium\",\"lon\":120.020000,\"lat\":19.990000,\"area\":null,\"last_seen\":\"2025-06-05\",\"distance_m\":2367.7}],\n"
        "\"count\":5,\n"
        "\"summary\":{\"by_class\":{\"unscored\":1,\"low\":1,\"medium\":1,\"high\":2},\"by_sector\":{\"brothel\":{\"unscored\":0,\"low\":0,\"medium\":0,\"high\":1,\"total\":1},\"karaoke_bar\":{\"unscored\":1,\"low\":0,\"medium\":0,\"high\":0,\"total\":1},\"massage_parlour\":{\"unscored\":0,\"low\":1,\"medium\":0,\"high\":0,\"total\":1},\"fishing\":{\"unscored\":0,\"low\":0,\"medium\":1,\"high\":1,\"total\":2}}}}\n",
        0, "",
        "circle 120.000000,20.000000 radius 5000 m|NULL|sort=distance format=json|5"},
    {ODD_NEAR " --format geojson", NULL,
        "{\"type\":\"FeatureCollection\",\"features\":[\n"
        "{\"type\":\"Feature\",\"id\":\"O1\",\"properties\":{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.75,\"class\":\"high\",\"area\":null,\"last_seen\":\"2026-01-01\",\"distance_m\":0},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120,20]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O2\",\"properties\":{\"id\":\"O2\",\"name\":\" leading space\",\"sector\":\"karaoke_bar\",\"risk\":null,\"class\":null,\"area\":null,\"last_seen\":null,\"distance_m\":152.3},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.001,20.001]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O3\",\"properties\":{\"id\":\"O3\",\"name\":\"ร้าน, Thai\",\"sector\":\"massage_parlour\",\"risk\":1.2,\"class\":\"low\",\"area\":null,\"last_seen\":\"2025-06-03\",\"distance_m\":304.7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.002,20.002]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O4\",\"properties\":{\"id\":\"O4\",\"name\":\"-5\",\"sector\":\"fishing\",\"risk\":3,\"class\":\"high\",\"area\":null,\"last_seen\":\"2025-06-04\",\"distance_m\":1523.3},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.01,20.01]}},\n"
        "{\"type\":\"Feature\",\"id\":\"O5\",\"properties\":{\"id\":\"O5\",\"name\":\"+plus\",\"sector\":\"fishing\",\"risk\":1.9,\"class\":\"medium\",\"area\":null,\"last_seen\":\"2025-06-05\",\"distance_m\":2367.7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.02,19.99]}}\n"
        "]}\n",
        0, "",
        "circle 120.000000,20.000000 radius 5000 m|NULL|sort=distance format=geojson|5"},
    {ODD_BBOX " " ODD_CHANGED, NULL,
        "id  name                        sector   risk   class  lon         lat        area  last_seen   risk_rise\n"
        "O1  =HYPERLINK(\"http://x\",\"y\")  brothel  2.750  high   120.000000  20.000000  -     2026-01-01  +1.250\n"
        "\n"
        "1 workplace\n"
        "\n"
        "sector       low   medium     high unscored    total\n"
        "brothel        0        0        1        0        1\n"
        "all            0        0        1        0        1\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|changed-since=2025-12-01 format=table|1"},
    {ODD_BBOX " " ODD_CHANGED " --format csv", NULL,
        "id,name,sector,risk,class,lon,lat,area,last_seen,risk_rise\n"
        "O1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,2.750,high,120.000000,20.000000,,2026-01-01,+1.250\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|changed-since=2025-12-01 format=csv|1"},
    {ODD_BBOX " " ODD_CHANGED " --format json", NULL,
        "{\"region\":\"bbox 119.900000,19.900000,120.100000,20.100000\",\n"
        "\"filters\":\"changed-since=2025-12-01\",\n"
        "\"rows\":[\n"
        "{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.750,\"class\":\"high\",\"lon\":120.000000,\"lat\":20.000000,\"area\":null,\"last_seen\":\"2026-01-01\",\"risk_rise\":1.250}],\n"
        "\"count\":1,\n"
        "\"summary\":{\"by_class\":{\"unscored\":0,\"low\":0,\"medium\":0,\"high\":1},\"by_sector\":{\"brothel\":{\"unscored\":0,\"low\":0,\"medium\":0,\"high\":1,\"total\":1}}}}\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|changed-since=2025-12-01 format=json|1"},
    {ODD_BBOX " " ODD_CHANGED " --format geojson", NULL,
        "{\"type\":\"FeatureCollection\",\"features\":[\n"
        "{\"type\":\"Feature\",\"id\":\"O1\",\"properties\":{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.75,\"class\":\"high\",\"area\":null,\"last_seen\":\"2026-01-01\",\"risk_rise\":1.25},\"geometry\":{\"type\":\"Point\",\"coordinates\":[120,20]}}\n"
        "]}\n",
        0, "",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|changed-since=2025-12-01 format=geojson|1"},
    {ODD_BBOX " --internal --format csv -o odd.out", "odd.out",
        "id,name,sector,risk,class,lon,lat,area,last_seen,address,source,source_note\n"
        "O1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",brothel,2.750,high,120.000000,20.000000,,2026-01-01,\"12 Moo 3,\n"
        "Soi \"\"Tiger\"\"\",primary,tab\there\n"
        "O2,\" leading space\",karaoke_bar,,,120.001000,20.001000,,,,,\n"
        "O3,\"ร้าน, Thai\",massage_parlour,1.200,low,120.002000,20.002000,,2025-06-03,\"trailing \",secondary,back\\\\slash\n"
        "O4,-5,fishing,3.000,high,120.010000,20.010000,,2025-06-04,,,\n"
        "O5,'+plus,fishing,1.900,medium,120.020000,19.990000,,2025-06-05,'@at,,\n",
        0, "sinspace: 5 workplaces written to odd.out\n",
        "bbox 119.900000,19.900000,120.100000,20.100000|internal|format=csv output=odd.out|5"},
    /* Over the file of the run above: --overwrite. */
    {ODD_BBOX " --format json -o odd.out --overwrite", "odd.out",
        "{\"region\":\"bbox 119.900000,19.900000,120.100000,20.100000\",\n"
        "\"filters\":\"\",\n"
        "\"rows\":[\n"
        "{\"id\":\"O1\",\"name\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\",\"sector\":\"brothel\",\"risk\":2.750,\"class\":\"high\",\"lon\":120.000000,\"lat\":20.000000,\"area\":null,\"last_seen\":\"2026-01-01\"},\n"
        "{\"id\":\"O2\",\"name\":\" leading space\",\"sector\":\"karaoke_bar\",\"risk\":null,\"class\":null,\"lon\":120.001000,\"lat\":20.001000,\"area\":null,\"last_seen\":null},\n"
        "{\"id\":\"O3\",\"name\":\"ร้าน, Thai\",\"sector\":\"massage_parlour\",\"risk\":1.200,\"class\":\"low\",\"lon\":120.002000,\"lat\":20.002000,\"area\":null,\"last_seen\":\"2025-06-03\"},\n"
        "{\"id\":\"O4\",\"name\":\"-5\",\"sector\":\"fishing\",\"risk\":3.000,\"class\":\"high\",\"lon\":120.010000,\"lat\":20.010000,\"area\":null,\"last_seen\":\"2025-06-04\"},\n"
        "{\"id\":\"O5\",\"name\":\"+plus\",\"sector\":\"fishing\",\"risk\":1.900,\"class\":\"medium\",\"lon\":120.020000,\"lat\":19.990000,\"area\":null,\"last_seen\":\"2025-06-05\"}],\n"
        "\"count\":5,\n"
        "\"summary\":{\"by_class\":{\"unscored\":1,\"low\":1,\"medium\":1,\"high\":2},\"by_sector\":{\"brothel\":{\"unscored\":0,\"low\":0,\"medium\":0,\"high\":1,\"total\":1},\"karaoke_bar\":{\"unscored\":1,\"low\":0,\"medium\":0,\"high\":0,\"total\":1},\"massage_parlour\":{\"unscored\":0,\"low\":1,\"medium\":0,\"high\":0,\"total\":1},\"fishing\":{\"unscored\":0,\"low\":0,\"medium\":1,\"high\":1,\"total\":2}}}}\n",
        0, "sinspace: 5 workplaces written to odd.out\n",
        "bbox 119.900000,19.900000,120.100000,20.100000|NULL|format=json output=odd.out|5"},
    {"--bbox 90,5,91,6", NULL,
        "0 workplaces\n",
        0, "",
        "bbox 90.000000,5.000000,91.000000,6.000000|NULL|format=table|0"},
    {"--bbox 90,5,91,6 --format csv", NULL,
        "id,name,sector,risk,class,lon,lat,area,last_seen\n",
        0, "sinspace: 0 workplaces\n",
        "bbox 90.000000,5.000000,91.000000,6.000000|NULL|format=csv|0"},
    {"--bbox 90,5,91,6 --format json", NULL,
        "{\"region\":\"bbox 90.000000,5.000000,91.000000,6.000000\",\n"
        "\"filters\":\"\",\n"
        "\"rows\":[],\n"
        "\"count\":0,\n"
        "\"summary\":{\"by_class\":{\"unscored\":0,\"low\":0,\"medium\":0,\"high\":0},\"by_sector\":{}}}\n",
        0, "sinspace: 0 workplaces\n",
        "bbox 90.000000,5.000000,91.000000,6.000000|NULL|format=json|0"},
    {"--bbox 90,5,91,6 --format geojson", NULL,
        "{\"type\":\"FeatureCollection\",\"features\":[\n"
        "\n"
        "]}\n",
        0, "sinspace: 0 workplaces\n",
        "bbox 90.000000,5.000000,91.000000,6.000000|NULL|format=geojson|0"},
    {"--bbox 90,5,91,6 --format ids", NULL,
        "",
        0, "sinspace: 0 workplaces\n",
        "bbox 90.000000,5.000000,91.000000,6.000000|NULL|format=ids|0"},
};

Test(query, cli_output_bytes_per_format)
{
    import_odd_rows();
    sinspace_store_close(store);
    store = NULL;
    size_t n = sizeof golden_runs / sizeof *golden_runs;
    for (size_t i = 0; i < n; i++) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "query t.db %s", golden_runs[i].args);
        cr_assert_eq(run_cli(cmd), golden_runs[i].rc, "%s", cmd);
        cr_assert_str_eq(slurp("err.txt"), golden_runs[i].err, "%s", cmd);
        const char *got = slurp(golden_runs[i].file ? golden_runs[i].file : "out.txt");
        cr_assert_str_eq(got, golden_runs[i].out, "%s", cmd);
    }
    cr_assert_eq(sinspace_store_open(ctx, db_path, SINSPACE_OPEN_READONLY, &store),
                 SINSPACE_OK);
    sqlite3_stmt *stmt;
    cr_assert_eq(sqlite3_prepare_v2(store->db,
        "SELECT target || '|' || ifnull(audience, 'NULL') || '|' || filters"
        " || '|' || rows FROM audit WHERE command = 'query' ORDER BY id",
        -1, &stmt, NULL), SQLITE_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
        cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 0),
                         golden_runs[i].audit, "%s", golden_runs[i].args);
    }
    cr_assert_eq(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sinspace_store_close(store);
    store = NULL;

    /* -o --overwrite replaces a file, which ends private (0600) whatever
     * it was. */
    char p[400];
    path_in(p, sizeof p, "odd.out");
    cr_assert_eq(chmod(p, 0644), 0);
    cr_assert_eq(run_cli("query t.db " ODD_BBOX " --format ids -o odd.out "
                         "--overwrite"), 0);
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    cr_assert_str_eq(slurp("odd.out"), "O1\nO2\nO3\nO4\nO5\n");
}

static int
count_query_audit(void *user, const sinspace_audit_entry *e)
{
    if (!strcmp(e->command, "query"))
        ++*(long long *)user;
    return 0;
}

/* The library call behind the command: formats by name, a file written
 * and audited, a file that cannot be created leaving no audit row. */
Test(query, query_write_api)
{
    static const char *const names[] = {"table", "csv", "geojson", "json", "ids"};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(sinspace_query_format_parse(names[i]), (sinspace_query_format)i);
        cr_assert_str_eq(sinspace_query_format_name((sinspace_query_format)i), names[i]);
    }
    cr_assert_eq(sinspace_query_format_parse("CSV"), SINSPACE_QUERY_FORMAT_INVALID);
    cr_assert_eq(sinspace_query_format_parse(NULL), SINSPACE_QUERY_FORMAT_INVALID);
    cr_assert_null(sinspace_query_format_name(SINSPACE_QUERY_FORMAT_INVALID));
    cr_assert_eq(sinspace_query_write(NULL, NULL, NULL, SINSPACE_QUERY_CSV, 0, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_query_write(store, NULL, NULL, SINSPACE_QUERY_FORMAT_INVALID, 0,
                                      NULL, NULL), SINSPACE_INVALID_ARGUMENT);

    import_odd_rows();
    sinspace_region *r = NULL;
    cr_assert_eq(sinspace_region_from_bbox(ctx, 119.9, 19.9, 120.1, 20.1, &r), SINSPACE_OK);
    char p[400];
    path_in(p, sizeof p, "api.csv");
    sinspace_query_result res;
    cr_assert_eq(sinspace_query_write(store, r, NULL, SINSPACE_QUERY_CSV, 1, p, &res),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(res.rows, 5);
    cr_assert_eq(res.stats.matched, 5);
    cr_assert_geq(res.seconds, 0);
    /* The same bytes as the command's --internal --format csv. */
    cr_assert_str_eq(slurp("api.csv"), golden_runs[2].out);
    long long n = 0;
    cr_assert_eq(sinspace_audit_list(store, NULL, count_query_audit, &n), SINSPACE_OK);
    cr_assert_eq(n, 1);

    path_in(p, sizeof p, "no/such/dir/api.csv");
    cr_assert_eq(sinspace_query_write(store, r, NULL, SINSPACE_QUERY_CSV, 0, p, &res),
                 SINSPACE_IO);
    cr_assert(strstr(sinspace_context_message(ctx), "cannot create"), "%s",
              sinspace_context_message(ctx));
    n = 0;
    cr_assert_eq(sinspace_audit_list(store, NULL, count_query_audit, &n), SINSPACE_OK);
    cr_assert_eq(n, 1, "a failed query writes no audit row");
    sinspace_region_destroy(r);
}
