/* test_zones.c: high-risk zones and the per-area ranking.
 *
 * Fictional workplaces only: a tight cluster of 20 high-risk places in
 * Chiang Mai city and a sparse grid of 30 medium-risk places 30+ km away,
 * generated here as a CSV and imported through sinspace_import_file. */
#include <criterion/criterion.h>

#include <sinspace/sinspace.h>

#include "store/store_int.h"
#include "store/zones.h"
#include "core/sinspaceInt.h" /* store->db, for an independent SQL check */

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLUSTER_LON 98.98
#define CLUSTER_LAT 18.79
#define N_CLUSTER 20
#define N_SCATTER 30

static char dir[64];
static char db_path[128];
static sinspace_context *ctx;
static sinspace_store *store;

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Cluster: 20 places within about 80 m; risks 2.5..2.9 four times each
 * (mean 2.7, max 2.9); 12 brothels, 8 karaoke bars.  Scatter: a 6 x 5 grid
 * 5.5 km apart, risk 2.0, restaurants; one closed high-risk place in the
 * cluster that must not count. */
static void
write_workplaces(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("id,name,sector,lon,lat,risk,status\n", f);
    for (int i = 0; i < N_CLUSTER; i++) {
        double dx = ((i % 5) - 2) * 0.00015, dy = ((i / 5) - 1.5) * 0.00015;
        fprintf(f, "C%02d,Fictional cluster %d,%s,%.6f,%.6f,%.1f,active\n", i, i,
                i < 12 ? "brothel" : "karaoke_bar", CLUSTER_LON + dx,
                CLUSTER_LAT + dy, 2.5 + (i % 5) * 0.1);
    }
    fprintf(f, "X00,Fictional closed place,brothel,%.6f,%.6f,3.0,closed\n",
            CLUSTER_LON, CLUSTER_LAT);
    for (int i = 0; i < N_SCATTER; i++)
        fprintf(f, "S%02d,Fictional scatter %d,restaurant,%.6f,%.6f,2.0,active\n",
                i, i, 98.40 + (i % 6) * 0.05, 18.30 + (i / 6) * 0.05);
    fclose(f);
}

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sinspace-zones-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/z.db", dir);
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
    cr_assert_eq(sinspace_store_create(ctx, db_path, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    char csv[160];
    snprintf(csv, sizeof csv, "%s/w.csv", dir);
    write_workplaces(csv);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_WORKPLACES;
    cr_assert_eq(sinspace_import_file(store, csv, &o, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

static void
teardown(void)
{
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A single value from the store: on its own connection (SpatiaLite loaded)
 * while it is open, else on a plain one. */
static double
sql_double(const char *sql)
{
    sqlite3 *db = store ? store->db : NULL;
    if (!db)
        cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sqlite3_stmt *stmt;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s: %s",
                 sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW, "%s", sql);
    double v = sqlite3_column_double(stmt, 0);
    sqlite3_finalize(stmt);
    if (!store)
        sqlite3_close(db);
    return v;
}

typedef struct collected {
    int n;
    sinspace_zone z[8];
    char sectors[8][256];
} collected;

static int
collect(void *user, const sinspace_zone *z)
{
    collected *c = user;
    if (c->n < 8) {
        c->z[c->n] = *z;
        snprintf(c->sectors[c->n], sizeof c->sectors[0], "%s", z->sectors);
        c->z[c->n].sectors = c->sectors[c->n];
    }
    c->n++;
    return 0;
}

TestSuite(zones, .init = setup, .fini = teardown);

Test(zones, one_zone_around_the_cluster)
{
    collected c = {0};
    sinspace_zones_result r;
    cr_assert_eq(sinspace_zones_compute(store, NULL, collect, &c, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.workplaces, N_CLUSTER + N_SCATTER);
    cr_assert_eq(r.zones, 1);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(r.epsg, 32647);
    /* 5 x 1.333 / (pi x 1 km2) */
    cr_assert_float_eq(r.threshold, 5 * (SINSPACE_RISK_HIGH - 1) / M_PI, 1e-9);
    cr_assert_eq(c.z[0].workplaces, N_CLUSTER);
    cr_assert_float_eq(c.z[0].mean_risk, 2.7, 1e-9);
    cr_assert_float_eq(c.z[0].max_risk, 2.9, 1e-9);
    cr_assert_str_eq(c.z[0].sectors, "brothel:12,karaoke_bar:8");
    cr_assert(c.z[0].peak_density > r.threshold);
    cr_assert_float_eq(c.z[0].peak_density, r.max_density, 1e-9);
    cr_assert(fabs(c.z[0].centroid_lon - CLUSTER_LON) < 0.005);
    cr_assert(fabs(c.z[0].centroid_lat - CLUSTER_LAT) < 0.005);

    /* The stored polygon, checked by SpatiaLite: valid, holds every cluster
     * place and no scatter place. */
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 1);
    cr_assert_eq(sql_double("SELECT ST_IsValid(geom) FROM zones"), 1);
    cr_assert_eq(sql_double("SELECT workplaces FROM zones"), N_CLUSTER);
    cr_assert_str_eq(c.z[0].sectors, "brothel:12,karaoke_bar:8");
    cr_assert_eq(sql_double("SELECT count(*) FROM workplaces AS w, zones AS z"
                            " WHERE ST_Intersects(z.geom, w.geom) AND w.ext_id LIKE 'C%'"),
                 N_CLUSTER);
    cr_assert_eq(sql_double("SELECT count(*) FROM workplaces AS w, zones AS z"
                            " WHERE ST_Intersects(z.geom, w.geom) AND w.ext_id LIKE 'S%'"),
                 0);
    cr_assert_float_eq(sql_double("SELECT mean_risk FROM zones"), 2.7, 1e-9);
    cr_assert_float_eq(sql_double("SELECT max_risk FROM zones"), 2.9, 1e-9);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones_ranked WHERE rank = 1"), 1);
}

Test(zones, kernel_mass_is_kept)
{
    sinspace_zones_result r;
    cr_assert_eq(sinspace_zones_compute(store, NULL, NULL, NULL, &r), SINSPACE_OK);
    /* weights: 20 cluster places (1.5..1.9, sum 34) + 30 x 1.0 */
    cr_assert_float_eq(r.weight_sum, 34.0 + 30.0, 1e-9);
    cr_assert(fabs(r.mass - r.weight_sum) <= 0.02 * r.weight_sum, "mass %g, weights %g",
              r.mass, r.weight_sum);
    /* And with a bandwidth that is not a whole number of cells. */
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    o.cell_m = 300;
    o.bandwidth_m = 1700;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, &r), SINSPACE_OK);
    cr_assert(fabs(r.mass - r.weight_sum) <= 0.02 * r.weight_sum);
}

Test(zones, rerun_replaces_and_audits)
{
    collected a = {0}, b = {0};
    cr_assert_eq(sinspace_zones_compute(store, NULL, collect, &a, NULL), SINSPACE_OK);
    cr_assert_eq(sinspace_zones_compute(store, NULL, collect, &b, NULL), SINSPACE_OK);
    cr_assert_eq(a.n, 1);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 1);
    /* A new id: an id noted from the first run does not name another zone. */
    cr_assert_gt(b.z[0].id, a.z[0].id);
    cr_assert_eq(sql_double("SELECT id FROM zones"), b.z[0].id);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"
                            " AND target = 'all' AND rows = 1 AND filters LIKE"
                            " 'area=* cell=250 bandwidth=1000 %'"), 2);
}

Test(zones, percentile_threshold)
{
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    o.percentile = 99;
    sinspace_zones_result r;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, &r), SINSPACE_OK);
    cr_assert(r.threshold > 0 && r.threshold <= r.max_density);
    cr_assert_geq(r.zones, 1);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE filters LIKE '%(p99)%'"),
                 1);
    /* A threshold above the peak: no zones, the previous ones removed. */
    sinspace_zones_options_init(&o);
    o.threshold = 1e6;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, &r), SINSPACE_OK);
    cr_assert_eq(r.zones, 0);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 0);
}

/* Asks to stop when the named task reports. */
static int
stop_at(void *user, const char *task, double done, double total)
{
    (void)done; (void)total;
    return !strcmp(task, (const char *)user);
}

Test(zones, interrupted_writes_nothing)
{
    cr_assert_eq(sinspace_zones_compute(store, NULL, NULL, NULL, NULL), SINSPACE_OK);
    double before = sql_double("SELECT id FROM zones");
    static const char *const tasks[] = {"reading", "density", "polygons", "zones"};
    for (int i = 0; i < 4; i++) {
        sinspace_context_set_progress(ctx, stop_at, (void *)tasks[i]);
        cr_assert_eq(sinspace_zones_compute(store, NULL, NULL, NULL, NULL),
                     SINSPACE_INTERRUPTED, "%s", tasks[i]);
        cr_assert_eq(sql_double("SELECT id FROM zones"), before);
        cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 1);
    }
    sinspace_context_set_progress(ctx, NULL, NULL);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"), 1);
}

Test(zones, bad_options)
{
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    o.cell_m = 0;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_zones_options_init(&o);
    o.bandwidth_m = NAN;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_zones_options_init(&o);
    o.bandwidth_m = 100; /* less than half of a 250 m cell */
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_zones_options_init(&o);
    o.threshold = -1;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_zones_options_init(&o);
    o.percentile = 100;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    /* 1 m cells over ~60 km: far over the cap, refused before allocating. */
    sinspace_zones_options_init(&o);
    o.cell_m = 1;
    o.bandwidth_m = 1;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(sinspace_context_message(ctx), "bigger --cell"));
    sinspace_zones_options_init(&o);
    o.area = "no-such-area";
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_NOT_FOUND);
    cr_assert_eq(sinspace_zones_compute(NULL, NULL, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_zones_by_area(NULL, SINSPACE_LEVEL_DISTRICT, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_zones_by_area(store, SINSPACE_LEVEL_INVALID, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_zones_list(NULL, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    sinspace_zones_options_init(NULL);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 0);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"), 0);
}

/* Three fictional square districts: "Inner" holds the cluster (0.02 deg
 * square), "Wide" holds the scatter (0.4 deg), "Empty" nothing. */
static void
import_districts(void)
{
    char path[160];
    snprintf(path, sizeof path, "%s/d.geojson", dir);
    write_file(path,
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"t-inner\",\"name_en\":\"Inner\",\"name_th\":\"ใน\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[98.97,18.78],[98.99,18.78],[98.99,18.80],[98.97,18.80],[98.97,18.78]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"t-wide\",\"name_en\":\"Wide\",\"name_th\":\"กว้าง\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[98.35,18.25],[98.75,18.25],[98.75,18.65],[98.35,18.65],[98.35,18.25]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"t-empty\",\"name_en\":\"Empty\",\"name_th\":\"ว่าง\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[99.5,19.5],[99.6,19.5],[99.6,19.6],[99.5,19.6],[99.5,19.5]]]}}"
        "]}");
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_AREAS;
    o.level = SINSPACE_LEVEL_DISTRICT;
    cr_assert_eq(sinspace_import_file(store, path, &o, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

typedef struct ranks {
    int n;
    char code[8][32];
    double density[8];
} ranks;

static int
collect_rank(void *user, const sinspace_area_rank *a)
{
    ranks *r = user;
    cr_assert_eq(a->rank, r->n + 1);
    if (r->n < 8) {
        snprintf(r->code[r->n], sizeof r->code[0], "%s", a->code);
        r->density[r->n] = a->risk_density;
    }
    r->n++;
    return 0;
}

Test(zones, by_area_matches_sql)
{
    import_districts();
    ranks r = {0};
    long long n = -1;
    cr_assert_eq(sinspace_zones_by_area(store, SINSPACE_LEVEL_DISTRICT, collect_rank,
                                        &r, &n), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(n, 3);
    cr_assert_eq(r.n, 3);
    cr_assert_str_eq(r.code[0], "t-inner");
    cr_assert_str_eq(r.code[1], "t-wide");
    cr_assert_str_eq(r.code[2], "t-empty");
    /* The same ranking computed independently from the geometries, on the
     * store's own connection (SpatiaLite is loaded there). */
    sqlite3_stmt *stmt;
    cr_assert_eq(sqlite3_prepare_v2(store->db,
        "SELECT a.code, (SELECT coalesce(sum(w.risk), 0) FROM workplaces AS w"
        "  WHERE w.status <> 'closed' AND ST_Intersects(a.geom, w.geom) = 1)"
        "  / (ST_Area(a.geom, 1) / 1e6) AS d"
        " FROM areas AS a WHERE a.level = 'district' ORDER BY d DESC, a.code",
        -1, &stmt, NULL), SQLITE_OK, "%s", sqlite3_errmsg(store->db));
    int i = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        cr_assert_lt(i, 3);
        cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), r.code[i]);
        double d = sqlite3_column_double(stmt, 1);
        cr_assert(fabs(d - r.density[i]) <= 1e-4 + 1e-6 * d, "%s: %g vs %g",
                  r.code[i], d, r.density[i]);
        i++;
    }
    sqlite3_finalize(stmt);
    cr_assert_eq(i, 3);
    /* By hand: the cluster (20 x 2.7) over Inner, the scatter over Wide. */
    double inner = sql_double("SELECT (20 * 2.7) / area_km2 FROM areas WHERE code = 't-inner'");
    double wide = sql_double("SELECT (30 * 2.0) / area_km2 FROM areas WHERE code = 't-wide'");
    cr_assert_float_eq(r.density[0], inner, 1e-3);
    cr_assert_float_eq(r.density[1], wide, 1e-3);
    cr_assert_float_eq(r.density[2], 0.0, 1e-12);
}

Test(zones, area_runs_are_kept_apart)
{
    import_districts();
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    o.area = "Inner"; /* by Latin name */
    collected c = {0};
    sinspace_zones_result r;
    cr_assert_eq(sinspace_zones_compute(store, &o, collect, &c, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.workplaces, N_CLUSTER);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.z[0].workplaces, N_CLUSTER);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones WHERE params LIKE 'area=t-inner %'"), 1);
    /* Clipped to the district: inside its bounds. */
    cr_assert_geq(sql_double("SELECT MbrMinX(geom) FROM zones"), 98.97 - 1e-9);
    cr_assert_leq(sql_double("SELECT MbrMaxY(geom) FROM zones"), 18.80 + 1e-9);
    /* An everywhere run adds its own zone and leaves the area's. */
    cr_assert_eq(sinspace_zones_compute(store, NULL, NULL, NULL, NULL), SINSPACE_OK);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 2);
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL), SINSPACE_OK);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 2);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"
                            " AND target = 't-inner'"), 2);
    /* The empty district: no workplaces, no zones, not an error. */
    o.area = "t-empty";
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, &r), SINSPACE_OK);
    cr_assert_eq(r.workplaces, 0);
    cr_assert_eq(r.zones, 0);
}

/* Runs the sinspace binary; returns its exit status. */
static int
run_cli(const char *args)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert_not_null(bin, "SINSPACE_BIN is not set");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -q zones '%s' %s >'%s/out.txt' 2>'%s/err.txt'",
             bin, db_path, args, dir, dir);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

Test(zones, cli)
{
    sinspace_store_close(store);
    store = NULL;
    cr_assert_eq(run_cli("--method kde --cell 0"), 2);
    cr_assert_eq(run_cli("--method kde --cell abc"), 2);
    cr_assert_eq(run_cli("--method kde --cell 250furlongs"), 2);
    cr_assert_eq(run_cli("--method kde --bandwidth -1km"), 2);
    cr_assert_eq(run_cli("--method kde --bandwidth 10m"), 2);
    cr_assert_eq(run_cli("--method kde --threshold p100"), 2);
    cr_assert_eq(run_cli("--method kde --threshold zero"), 2);
    cr_assert_eq(run_cli("--by-area parish"), 2);
    cr_assert_eq(run_cli("--by-area district --cell 100m"), 2);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"), 0);

    cr_assert_eq(run_cli("--method kde --cell 0.25km --bandwidth 1km"), 0);
    char path[160], line[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_eq(strncmp(line, "id\tworkplaces\t", 14), 0);
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_not_null(strstr(line, "\t20\t2.700\t2.900\t"), "%s", line);
    cr_assert_not_null(strstr(line, "brothel:12,karaoke_bar:8"));
    cr_assert_null(fgets(line, sizeof line, f));
    fclose(f);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"
                            " AND rows = 1"), 1);
    cr_assert_eq(run_cli("--by-area district"), 0);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"
                            " AND filters = 'by-area=district'"), 1);
    cr_assert_eq(run_cli("--list"), 0);
    cr_assert_eq(sql_double("SELECT count(*) FROM audit WHERE command = 'zones'"
                            " AND filters = 'list' AND rows = 1"), 1);
}

/* Zones from significance: the cluster of 20 high-risk places is a Gi*
 * hot spot (the scatter, 5.5 km apart, has no neighbour within 500 m and
 * is never binned); the zone is the disc of 500 m around the cluster's
 * places, and counts the 20 open places, not the closed one at its
 * centre.  Checked against SpatiaLite (ST_Area on the ellipsoid,
 * ST_Within) and the query command. */
Test(zones, gistar_run_counts_what_query_zone_lists)
{
    sinspace_zones_gistar_options g;
    sinspace_zones_gistar_options_init(&g);
    g.band_m = 500;
    g.name = "cm-95";
    sinspace_zones_gistar_result r;
    collected c = {0};
    cr_assert_eq(sinspace_zones_gistar(store, &g, collect, &c, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(r.workplaces, 50);
    cr_assert_eq(r.hot, 20);
    cr_assert_eq(r.zones, 1);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.z[0].workplaces, 20);
    cr_expect_float_eq(c.z[0].high_share, 1.0, 1e-12);
    cr_expect_float_eq(c.z[0].mean_risk, 2.7, 1e-9);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM workplaces w, zones z WHERE z.id = %lld"
             " AND w.status <> 'closed' AND ST_Within(w.geom, z.geom)", c.z[0].id);
    cr_expect_eq(sql_double(sql), 20);
    snprintf(sql, sizeof sql, "SELECT ST_Area(geom, 1) / 1e6 FROM zones WHERE id = %lld",
             c.z[0].id);
    double km2 = sql_double(sql);
    /* the 20 places span a 63.2 x 49.8 m box: the union of 500 m discs is
     * that box grown by 500 m, A + P r + pi r^2 = 0.00315 + 0.2260 x 0.5 +
     * 0.7854 x 0.99839 (the 64-gon's share of the disc) = 0.9002 km2 */
    cr_expect(fabs(km2 - 0.9002) < 0.002, "zone of %.4f km2", km2);
    cr_expect_float_eq(c.z[0].area_km2, km2, 0.002);
    /* a second run under the same name replaces it; another name adds one */
    cr_assert_eq(sinspace_zones_gistar(store, &g, NULL, NULL, &r), SINSPACE_OK);
    g.name = "cm-99";
    g.confidence = 99;
    cr_assert_eq(sinspace_zones_gistar(store, &g, NULL, NULL, &r), SINSPACE_OK);
    cr_expect_eq(sql_double("SELECT count(*) FROM zone_runs"), 2);
    cr_expect_eq(sql_double("SELECT count(*) FROM zone_run_zones"), 2);
    cr_expect_eq(sql_double("SELECT count(*) FROM zones"), 2);
    long long run_id = 0, n = 0;
    cr_assert_eq(sinspace_zone_run_zones(store, NULL, NULL, NULL, &run_id), SINSPACE_OK);
    cr_expect_eq(run_id, (long long)sql_double("SELECT id FROM zone_runs WHERE name = 'cm-99'"));
    cr_expect_eq(sinspace_zone_run_zones(store, "nope", NULL, NULL, NULL), SINSPACE_NOT_FOUND);
    (void)n;
    /* query --zone lists what the zone counts: the 20 open places */
    long long zid = (long long)sql_double("SELECT zone_id FROM zone_run_zones r JOIN"
                                          " zone_runs u ON u.id = r.run_id WHERE u.name = 'cm-95'");
    sinspace_store_close(store);
    store = NULL;
    const char *bin = getenv("SINSPACE_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -q query '%s' --zone %lld --format ids | wc -l >'%s/n.txt'",
             bin, db_path, zid, dir);
    cr_assert_eq(system(cmd), 0);
    char path[160];
    snprintf(path, sizeof path, "%s/n.txt", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    int lines = -1;
    cr_assert_eq(fscanf(f, "%d", &lines), 1);
    fclose(f);
    cr_expect_eq(lines, 20, "query --zone listed %d", lines);
    /* the command: a band in degrees is refused, runs are listed */
    cr_expect_eq(run_cli("--band 0.005deg"), 2);
    cr_expect_eq(run_cli("--confidence 80"), 2);
    cr_expect_eq(run_cli("--runs"), 0);
    cr_expect_eq(run_cli("list"), 0);
}

/* A ring of 24 high-risk places 2 km around a centre with one low-risk
 * place: a second zone, shaped as a ring, whose hole holds the centre. */
Test(zones, ring_zone_has_a_hole)
{
    char csv[160];
    snprintf(csv, sizeof csv, "%s/ring.csv", dir);
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fputs("id,name,sector,lon,lat,risk,status\n", f);
    const double lon0 = 99.50, lat0 = 19.50;
    const double m_lat = 1.0 / 110700.0, m_lon = 1.0 / (111320.0 * cos(lat0 * M_PI / 180));
    for (int i = 0; i < 24; i++) {
        double a = 2 * M_PI * i / 24;
        fprintf(f, "R%02d,Fictional ring %d,massage_parlour,%.7f,%.7f,3.0,active\n", i, i,
                lon0 + 2000 * cos(a) * m_lon, lat0 + 2000 * sin(a) * m_lat);
    }
    fprintf(f, "R99,Fictional centre,massage_parlour,%.7f,%.7f,1.0,active\n", lon0, lat0);
    fclose(f);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_WORKPLACES;
    cr_assert_eq(sinspace_import_file(store, csv, &o, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));

    collected c = {0};
    sinspace_zones_result r;
    cr_assert_eq(sinspace_zones_compute(store, NULL, collect, &c, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.zones, 2);
    /* Hottest first: the tight cluster, then the ring. */
    cr_assert_eq(c.z[0].workplaces, N_CLUSTER);
    cr_assert_lt(c.z[0].id, c.z[1].id);
    cr_assert_gt(c.z[0].peak_density, c.z[1].peak_density);
    cr_assert_eq(c.z[1].workplaces, 24);
    cr_assert_float_eq(c.z[1].mean_risk, 3.0, 1e-9);
    cr_assert_str_eq(c.z[1].sectors, "massage_parlour:24");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT NumInteriorRing(GeometryN(geom, 1)) FROM zones"
             " WHERE id = %lld", c.z[1].id);
    cr_assert_geq(sql_double(sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM workplaces AS w, zones AS z"
             " WHERE z.id = %lld AND ST_Intersects(z.geom, w.geom)", c.z[1].id);
    cr_assert_eq(sql_double(sql), 24);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones_ranked"), 2);
    snprintf(sql, sizeof sql, "SELECT rank FROM zones_ranked WHERE id = %lld", c.z[1].id);
    cr_assert_eq(sql_double(sql), 2);
}

Test(zones, ambiguous_area_name_is_refused)
{
    import_districts();
    char path[160];
    snprintf(path, sizeof path, "%s/d2.geojson", dir);
    write_file(path,
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"t-inner-2\",\"name_en\":\"Inner\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[99.7,19.7],[99.8,19.7],[99.8,19.8],[99.7,19.8],[99.7,19.7]]]}}"
        "]}");
    sinspace_import_options io;
    sinspace_import_options_init(&io);
    io.kind = SINSPACE_IMPORT_AREAS;
    io.level = SINSPACE_LEVEL_DISTRICT;
    cr_assert_eq(sinspace_import_file(store, path, &io, NULL), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_zones_options o;
    sinspace_zones_options_init(&o);
    o.area = "inner"; /* Latin names match without regard to case */
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_not_null(strstr(sinspace_context_message(ctx), "t-inner ("),
                       "%s", sinspace_context_message(ctx));
    cr_assert_not_null(strstr(sinspace_context_message(ctx), "t-inner-2 ("),
                       "%s", sinspace_context_message(ctx));
    o.area = "t-inner";
    sinspace_zones_result r;
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, &r), SINSPACE_OK);
    cr_assert_eq(r.zones, 1);
    o.area = "ใน"; /* the local-script name */
    cr_assert_eq(sinspace_zones_compute(store, &o, NULL, NULL, &r), SINSPACE_OK);
    cr_assert_eq(r.zones, 1);
    cr_assert_eq(sql_double("SELECT count(*) FROM zones"), 1);
}

static int
keep_wkb_size(void *user, const unsigned char *wkb, size_t size)
{
    cr_assert_not_null(wkb);
    *(size_t *)user = size;
    return 0;
}

Test(zones, engine_zone_geometry_and_ids)
{
    const sinspace__zone_ops *ops = sinspace__store_engine(store)->zones;
    cr_assert_not_null(ops);
    cr_assert_eq(sinspace__store_writable(store), 1);
    collected c = {0};
    cr_assert_eq(sinspace_zones_compute(store, NULL, collect, &c, NULL), SINSPACE_OK);
    cr_assert_eq(c.n, 1);
    size_t size = 0;
    int found = 0;
    cr_assert_eq(ops->geometry(store, c.z[0].id, keep_wkb_size, &size, &found),
                 SINSPACE_OK);
    cr_assert_eq(found, 1);
    cr_assert_eq((double)size,
                 sql_double("SELECT length(AsBinary(geom)) FROM zones"));
    cr_assert_eq(ops->geometry(store, c.z[0].id + 100, keep_wkb_size, &size,
                               &found), SINSPACE_OK);
    cr_assert_eq(found, 0);
    /* The listing gives the same zone, with "" for no sectors never NULL. */
    collected l = {0};
    cr_assert_eq(sinspace_zones_list(store, collect, &l), SINSPACE_OK);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.z[0].id, c.z[0].id);
    cr_assert_eq(l.z[0].workplaces, c.z[0].workplaces);
    cr_assert_str_eq(l.z[0].sectors, c.z[0].sectors);
}
