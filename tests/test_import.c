/* test_import.c: loading workplaces, observations, areas and indicator
 * catalogues.  Good imports are checked value by value (risk from the
 * indicators, classes, observations over time, updates keeping what a row
 * leaves empty, footprints, reprojection, OGR sources, area membership);
 * every kind of bad input is its own test, each checking the status, that
 * the log names file and line, and that the database file is byte for byte
 * what it was.  All names are fictional. */
#include "testutil.h"
#include "store/store_int.h"

#include "core/csv.h"
#include "core/sinspaceInt.h"

#include <dirent.h>
#include <math.h>
#include <time.h>

static char dir[PATH_MAX];
static char db[PATH_MAX];
static sinspace_context *ctx;
static sinspace_store *store;
static tu_log logbuf;

static void
open_store(void)
{
    cr_assert_null(store);
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &store),
                 SINSPACE_OK, "open: %s", sinspace_context_message(ctx));
}

static void
close_store(void)
{
    sinspace_store_close(store);
    store = NULL;
}

static void
setup(void)
{
    tu_tmpdir(dir);
    tu_path(db, dir, "sin.sqlite");
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
    tu_log_clear(&logbuf);
    sinspace_context_set_logger(ctx, tu_log_fn, &logbuf);
    cr_assert_eq(tu_store_new(ctx, db, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
}

static void
teardown(void)
{
    close_store();
    sinspace_context_destroy(ctx);
    ctx = NULL;
    tu_rmtree(dir);
    tu_leak_check();
}

TU_RUNNER_HOOK_START(1)
TU_RUNNER_HOOK_END

TestSuite(import, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(import_bad, .init = setup, .fini = teardown, .timeout = 120);

/* Writes text to dir/name; the full path goes to out. */
static void
data_file(const char *name, const char *text, char out[PATH_MAX])
{
    tu_path(out, dir, name);
    tu_write_str(out, text);
}

static sinspace_status
import_text(const char *name, const char *text, const sinspace_import_options *o,
            sinspace_import_result *r, char path[PATH_MAX])
{
    char local[PATH_MAX];
    if (!path)
        path = local;
    data_file(name, text, path);
    sinspace_context_clear(ctx);
    tu_log_clear(&logbuf);
    return sinspace_import_file(store, path, o, r);
}

static void
import_ok(const char *name, const char *text, const sinspace_import_options *o,
          sinspace_import_result *r)
{
    sinspace_import_result local;
    sinspace_status st = import_text(name, text, o, r ? r : &local, NULL);
    cr_assert_eq(st, SINSPACE_OK, "import of %s: %s (%s)\nlog:\n%s", name,
                 sinspace_status_string(st), sinspace_context_message(ctx),
                 logbuf.text);
}

/* Queries on the store's own connection, which has SpatiaLite loaded.
 * The SQL is the test's own; values are bound. */
static sqlite3_stmt *
query(const char *sql, const char *param)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &s, NULL);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(store->db));
    if (param)
        sqlite3_bind_text(s, 1, param, -1, SQLITE_TRANSIENT);
    return s;
}

static long long
q_int(const char *sql, const char *param)
{
    sqlite3_stmt *s = query(sql, param);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "no row: %s", sql);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* NAN for NULL. */
static double
q_double(const char *sql, const char *param)
{
    sqlite3_stmt *s = query(sql, param);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "no row: %s", sql);
    double v = sqlite3_column_type(s, 0) == SQLITE_NULL ? NAN
                                                        : sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* "(null)" for NULL; the buffer is static, one call at a time. */
static const char *
q_text(const char *sql, const char *param)
{
    static char buf[1024];
    sqlite3_stmt *s = query(sql, param);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "no row: %s", sql);
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(buf, sizeof buf, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
    return buf;
}

#define WP(col) "SELECT " col " FROM workplaces WHERE ext_id = ?1"

static long long
count(const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return q_int(sql, NULL);
}

static void
expect_log(const char *path, long line, const char *reason)
{
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "error: %s: line %ld: ", path, line);
    const char *at = strstr(logbuf.text, want);
    if (!at) { /* --skip-invalid: the row is skipped, not an error */
        snprintf(want, sizeof want, "skipped: %s: line %ld: ", path, line);
        at = strstr(logbuf.text, want);
    }
    cr_assert_not_null(at, "log does not name %s line %ld:\n%s", path, line,
                       logbuf.text);
    const char *eol = strchr(at, '\n');
    char msg[1024];
    snprintf(msg, sizeof msg, "%.*s", (int)(eol ? eol - at : (long)strlen(at)), at);
    cr_assert(strstr(msg, reason), "'%s' does not say '%s'", msg, reason);
}

/* -------------------------------------------------------------------------
 * Good imports
 */

#define BASELINE                                                               \
    "id,name,sector,lon,lat,observed,risk\n"                                   \
    "T1,Fictional Karaoke One,karaoke_bar,98.981,18.791,2025-01-10,2.0\n"      \
    "T2,Fictional Pier Two,fishing,98.990,18.780,2025-01-10,1.2\n"

Test(import, good_csv_counts_risk_and_classes)
{
    static const char csv[] =
        "id,name,name_local,sector,lon,lat,address,status,first_seen,observed,"
        "risk,i01,i02,i03,i16,observer,source,source_note\n"
        /* (1.5*3 + 1.5*2 + 1.0*1) / 4 = 2.125: medium */
        "W1,Fictional Karaoke One,\xE0\xB8\x84\xE0\xB8\xB2\xE0\xB8\xA3\xE0\xB8\xB2,"
        "karaoke_bar,98.981,18.791,\"12 Fictional Road\nSoi 3\",active,2024-05-01,"
        "2025-01-10,,3,2,,1,team-a,primary,\"seen from the road, twice\"\n"
        /* the overall score at the medium threshold */
        "W2,Fictional Parlour Two,,massage_parlour,98.982,18.792,,,,2025-01-11,"
        "1.667,,,,,,,\n"
        "W3,Fictional Pier Three,,fishing,98.983,18.793,,,,2025-01-12,1.2,,,,,,,\n"
        /* no score at all: a workplace without an observation */
        "W4,Fictional Factory Four,,garment_factory,98.984,18.794,,,,,,,,,,,,\n"
        /* (4.5 + 4.5 + 1.5) / 4.5 = 2.333..: high, although the overall
         * risk column says 1.0 (indicators win) */
        "W5,Fictional Bar Five,,entertainment_venue,98.985,18.795,,,,2025-01-13,"
        "1.0,3,3,1,,,secondary,\n";
    sinspace_import_result r;
    memset(&r, 0xff, sizeof r);
    import_ok("good.csv", csv, NULL, &r);
    cr_assert_eq(r.rows, 5);
    cr_assert_eq(r.inserted, 5);
    cr_assert_eq(r.updated, 0);
    cr_assert_eq(r.observations, 4);
    cr_assert_eq(r.rejected, 0);
    cr_assert_eq(logbuf.errors, 0, "%s", logbuf.text);

    cr_assert_eq(q_double(WP("risk"), "W1"), 2.125);
    cr_assert_str_eq(q_text(WP("risk_class"), "W1"), "medium");
    cr_assert_eq(q_double(WP("risk"), "W2"), 1.667);
    cr_assert_str_eq(q_text(WP("risk_class"), "W2"), "medium");
    cr_assert_eq(q_double(WP("risk"), "W3"), 1.2);
    cr_assert_str_eq(q_text(WP("risk_class"), "W3"), "low");
    cr_assert(isnan(q_double(WP("risk"), "W4")));
    cr_assert_str_eq(q_text(WP("risk_class"), "W4"), "(null)");
    cr_assert_float_eq(q_double(WP("risk"), "W5"), 10.5 / 4.5, 1e-12);
    cr_assert_str_eq(q_text(WP("risk_class"), "W5"), "high");

    cr_assert_str_eq(q_text(WP("name_local"), "W1"),
                     "\xE0\xB8\x84\xE0\xB8\xB2\xE0\xB8\xA3\xE0\xB8\xB2");
    cr_assert_str_eq(q_text(WP("address"), "W1"), "12 Fictional Road\nSoi 3");
    cr_assert_str_eq(q_text(WP("status"), "W1"), "active");
    cr_assert_str_eq(q_text(WP("status"), "W4"), "unknown");
    cr_assert_str_eq(q_text(WP("first_seen"), "W1"), "2024-05-01");
    cr_assert_str_eq(q_text(WP("last_seen"), "W1"), "2025-01-10");
    cr_assert_str_eq(q_text(WP("first_seen"), "W2"), "2025-01-11");
    cr_assert_str_eq(q_text(WP("last_seen"), "W4"), "(null)");
    cr_assert_str_eq(q_text(WP("source_type"), "W1"), "primary");
    cr_assert_str_eq(q_text(WP("source_note"), "W1"), "seen from the road, twice");
    cr_assert_eq(q_double(WP("ST_X(geom)"), "W1"), 98.981);
    cr_assert_eq(q_double(WP("ST_Y(geom)"), "W1"), 18.791);
    cr_assert_eq(q_int(WP("ST_SRID(geom)"), "W1"), 4326);

    /* The observation keeps the scores as given. */
    static const char obs[] =
        "SELECT %s FROM observations AS o JOIN workplaces AS w"
        " ON w.id = o.workplace_id WHERE w.ext_id = ?1";
    char sql[256];
#define OBS(col) (snprintf(sql, sizeof sql, obs, "o." col), sql)
    cr_assert_eq(q_int(OBS("scored"), "W1"), 3);
    cr_assert_eq(q_int(OBS("i01"), "W1"), 3);
    cr_assert_eq(q_int(OBS("i02"), "W1"), 2);
    cr_assert_eq(q_int(OBS("i16"), "W1"), 1);
    cr_assert_str_eq(q_text(OBS("i03"), "W1"), "(null)");
    cr_assert_str_eq(q_text(OBS("observer"), "W1"), "team-a");
    cr_assert_str_eq(q_text(OBS("observed"), "W1"), "2025-01-10");
    cr_assert_eq(q_int(OBS("scored"), "W2"), 0);
    cr_assert_eq(q_double(OBS("risk"), "W2"), 1.667);
    cr_assert_eq(q_int("SELECT count(*) FROM observations AS o JOIN workplaces AS w"
                       " ON w.id = o.workplace_id WHERE w.ext_id = ?1", "W4"), 0);
#undef OBS

    sinspace_store_info info;
    cr_assert_eq(sinspace_store_info_get(store, &info), SINSPACE_OK);
    cr_assert_eq(info.workplaces, 5);
    cr_assert_eq(info.observations, 4);
    cr_assert_eq(info.by_class[SINSPACE_RISK_NONE], 1);
    cr_assert_eq(info.by_class[SINSPACE_RISK_CLASS_LOW], 1);
    cr_assert_eq(info.by_class[SINSPACE_RISK_CLASS_MEDIUM], 2);
    cr_assert_eq(info.by_class[SINSPACE_RISK_CLASS_HIGH], 1);
    cr_assert_str_eq(info.first_observed, "2025-01-10");
    cr_assert_str_eq(info.last_observed, "2025-01-13");
    cr_assert_eq(info.has_extent, 1);
    cr_assert_float_eq(info.min_lon, 98.981, 1e-4); /* R*Tree floats */
    cr_assert_float_eq(info.max_lat, 18.795, 1e-4);
    cr_assert_eq(info.audit_entries, 1);
    cr_assert_eq(q_int("SELECT count(*) FROM workplaces_risk", NULL), 5);
}

Test(import, risk_from_indicators_matches_risk_score)
{
    /* The stored risk is sinspace_risk_score with the catalogue's weights. */
    import_ok("w.csv",
              "id,name,sector,lon,lat,i05,i09,i20,i28\n"
              "S1,Fictional Shed,seafood_processing,98.9,18.7,2,3,1,3\n",
              NULL, NULL);
    int scores[SINSPACE_INDICATORS] = {0};
    double weights[SINSPACE_INDICATORS];
    for (int i = 0; i < SINSPACE_INDICATORS; i++)
        weights[i] = i < 15 ? 1.5 : 1.0;
    scores[4] = 2;
    scores[8] = 3;
    scores[19] = 1;
    scores[27] = 3;
    double want = sinspace_risk_score(scores, weights);
    cr_assert_float_eq(want, (3.0 + 4.5 + 1.0 + 3.0) / 5.0, 1e-12);
    cr_assert_eq(q_double(WP("risk"), "S1"), want);
    /* Undated scores are observed on the day of import. */
    char today[11];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    cr_assert_str_eq(q_text(WP("last_seen"), "S1"), today);
}

Test(import, reimport_with_new_date_appends_observation)
{
    import_ok("a.csv",
              "id,name,sector,lon,lat,observed,risk\n"
              "R1,Fictional Karaoke,karaoke_bar,98.98,18.79,2025-01-10,2.0\n",
              NULL, NULL);
    sinspace_import_result r;
    import_ok("b.csv",
              "id,name,sector,lon,lat,observed,risk\n"
              "R1,Fictional Karaoke,karaoke_bar,98.98,18.79,2025-06-01,3.0\n",
              NULL, &r);
    cr_assert_eq(r.inserted, 0);
    cr_assert_eq(r.updated, 1);
    cr_assert_eq(r.observations, 1);
    cr_assert_eq(count("workplaces"), 1);
    cr_assert_eq(count("observations"), 2);
    cr_assert_eq(q_double(WP("risk"), "R1"), 3.0);
    cr_assert_str_eq(q_text(WP("risk_class"), "R1"), "high");
    cr_assert_str_eq(q_text(WP("last_seen"), "R1"), "2025-06-01");
    cr_assert_str_eq(q_text(WP("first_seen"), "R1"), "2025-01-10");

    /* An older observation adds history, but the current risk stays the
     * latest one's. */
    import_ok("c.csv",
              "id,name,sector,lon,lat,observed,risk\n"
              "R1,Fictional Karaoke,karaoke_bar,98.98,18.79,2024-12-01,1.0\n",
              NULL, NULL);
    cr_assert_eq(count("observations"), 3);
    cr_assert_eq(q_double(WP("risk"), "R1"), 3.0);
    cr_assert_str_eq(q_text(WP("last_seen"), "R1"), "2025-06-01");
    cr_assert_str_eq(q_text(WP("first_seen"), "R1"), "2024-12-01");
    cr_assert_eq(count("imports"), 3);
}

Test(import, reimport_same_date_replaces_observation)
{
    import_ok("a.csv",
              "id,name,sector,lon,lat,observed,risk,i01\n"
              "R1,Fictional Karaoke,karaoke_bar,98.98,18.79,2025-01-10,,3\n",
              NULL, NULL);
    cr_assert_eq(q_double(WP("risk"), "R1"), 3.0);
    sinspace_import_result r;
    import_ok("b.csv",
              "id,name,sector,lon,lat,observed,risk\n"
              "R1,Fictional Karaoke,karaoke_bar,98.98,18.79,2025-01-10,1.5\n",
              NULL, &r);
    cr_assert_eq(r.observations, 1);
    cr_assert_eq(count("observations"), 1);
    cr_assert_eq(q_double(WP("risk"), "R1"), 1.5);
    cr_assert_str_eq(q_text(WP("risk_class"), "R1"), "low");
    /* The replaced observation does not keep the old scores. */
    cr_assert_eq(q_int("SELECT scored FROM observations", NULL), 0);
    cr_assert_str_eq(q_text("SELECT i01 FROM observations", NULL), "(null)");
}

Test(import, update_keeps_unspecified_fields)
{
    import_ok("a.csv",
              "id,name,name_local,sector,lon,lat,address,status,source,source_note\n"
              "U1,Fictional Guesthouse,\xE0\xB8\x9A\xE0\xB9\x89\xE0\xB8\xB2\xE0\xB8\x99,"
              "hotel_guesthouse,98.98,18.79,1 Fictional Lane,closed,primary,from a leaflet\n",
              NULL, NULL);
    /* Second file: new name and position, address column present but empty,
     * other columns absent. */
    sinspace_import_result r;
    import_ok("b.csv",
              "id,name,sector,lon,lat,address\n"
              "U1,Fictional Guesthouse Renamed,hotel_guesthouse,98.99,18.80,\n",
              NULL, &r);
    cr_assert_eq(r.updated, 1);
    cr_assert_eq(r.observations, 0);
    cr_assert_str_eq(q_text(WP("name"), "U1"), "Fictional Guesthouse Renamed");
    cr_assert_str_eq(q_text(WP("name_local"), "U1"),
                     "\xE0\xB8\x9A\xE0\xB9\x89\xE0\xB8\xB2\xE0\xB8\x99");
    cr_assert_str_eq(q_text(WP("address"), "U1"), "1 Fictional Lane");
    cr_assert_str_eq(q_text(WP("status"), "U1"), "closed");
    cr_assert_str_eq(q_text(WP("source_type"), "U1"), "primary");
    cr_assert_str_eq(q_text(WP("source_note"), "U1"), "from a leaflet");
    cr_assert_eq(q_double(WP("ST_X(geom)"), "U1"), 98.99);
    cr_assert_eq(q_double(WP("ST_Y(geom)"), "U1"), 18.80);
    cr_assert_eq(count("workplaces"), 1);
}

Test(import, header_spellings_and_unknown_columns)
{
    import_ok("a.csv",
              " ID , Name ,SECTOR,Longitude,latitude,colour\n"
              "H1,Fictional Stall,restaurant,98.98,18.79,blue\n",
              NULL, NULL);
    cr_assert_eq(logbuf.warnings, 1, "%s", logbuf.text);
    cr_assert(strstr(logbuf.text, "'colour' is not part of the contract"), "%s",
              logbuf.text);
    cr_assert_eq(q_double(WP("ST_X(geom)"), "H1"), 98.98);
}

Test(import, wkt_point)
{
    import_ok("k.csv",
              "id,name,sector,wkt\n"
              "K1,Fictional House,brothel,POINT (98.95 18.80)\n",
              NULL, NULL);
    cr_assert_eq(q_double(WP("ST_X(geom)"), "K1"), 98.95);
    cr_assert_eq(q_double(WP("ST_Y(geom)"), "K1"), 18.80);
    cr_assert_str_eq(q_text(WP("footprint"), "K1"), "(null)");
}

Test(import, wkt_polygon_footprint)
{
    import_ok("k.csv",
              "id,name,sector,lon,lat,wkt\n"
              "K2,Fictional Factory,garment_factory,,,"
              "\"POLYGON ((98.95 18.80, 98.96 18.80, 98.96 18.81, 98.95 18.81, 98.95 18.80))\"\n"
              "K3,Fictional Yard,construction,,,"
              "\"MULTIPOLYGON (((99.0 18.0, 99.01 18.0, 99.0 18.01, 99.0 18.0)),"
              "((99.1 18.1, 99.11 18.1, 99.1 18.11, 99.1 18.1)))\"\n",
              NULL, NULL);
    cr_assert_str_eq(q_text(WP("GeometryType(footprint)"), "K2"), "MULTIPOLYGON");
    cr_assert_eq(q_int(WP("ST_Within(geom, footprint)"), "K2"), 1);
    cr_assert_float_eq(q_double(WP("ST_Area(footprint)"), "K2"), 1e-4, 1e-12);
    double x = q_double(WP("ST_X(geom)"), "K2"), y = q_double(WP("ST_Y(geom)"), "K2");
    cr_assert(x > 98.95 && x < 98.96 && y > 18.80 && y < 18.81, "%f %f", x, y);
    cr_assert_eq(q_int(WP("ST_NumGeometries(footprint)"), "K3"), 2);
    cr_assert_eq(q_int(WP("ST_Within(geom, footprint)"), "K3"), 1);
}

/* UTM zone 47N coordinates (reference values from PROJ's cs2cs) come out
 * as the lon/lat they were made from. */
Test(import, srs_utm_to_lonlat)
{
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.srs = "EPSG:32647";
    import_ok("utm.csv",
              "id,name,sector,lon,lat,wkt\n"
              "M1,Fictional Site One,construction,497892.375560,2077591.796269,\n"
              "M2,Fictional Site Two,construction,662176.290477,1520582.494360,\n"
              "M3,Fictional Site Three,construction,,,POINT (500000 1990185.542104)\n",
              &o, NULL);
    cr_assert_float_eq(q_double(WP("ST_X(geom)"), "M1"), 98.98, 1e-6);
    cr_assert_float_eq(q_double(WP("ST_Y(geom)"), "M1"), 18.79, 1e-6);
    cr_assert_float_eq(q_double(WP("ST_X(geom)"), "M2"), 100.5, 1e-6);
    cr_assert_float_eq(q_double(WP("ST_Y(geom)"), "M2"), 13.75, 1e-6);
    cr_assert_float_eq(q_double(WP("ST_X(geom)"), "M3"), 99.0, 1e-6);
    cr_assert_float_eq(q_double(WP("ST_Y(geom)"), "M3"), 18.0, 1e-6);
}

Test(import, srs_unknown_refused)
{
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.srs = "EPSG:999999";
    sinspace_import_result r;
    cr_assert_eq(import_text("x.csv", BASELINE, &o, &r, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(count("workplaces"), 0);
}

Test(import, geojson_workplaces)
{
    static const char gj[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"G1\",\"name\":\"Fictional Pier\","
        "\"sector\":\"fishing\",\"observed\":\"2025-03-01\",\"i01\":3,\"i16\":1},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[98.98,18.79]}},"
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"G2\",\"name\":\"Fictional Shed\","
        "\"sector\":\"seafood_processing\",\"observed\":\"2025-03-02\",\"risk\":1.4},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[100.5,13.75]}}]}";
    sinspace_import_result r;
    import_ok("wp.geojson", gj, NULL, &r);
    cr_assert_eq(r.rows, 2);
    cr_assert_eq(r.inserted, 2);
    cr_assert_eq(r.observations, 2);
    cr_assert_float_eq(q_double(WP("risk"), "G1"), 5.5 / 2.5, 1e-12);
    cr_assert_str_eq(q_text(WP("last_seen"), "G1"), "2025-03-01");
    cr_assert_eq(q_double(WP("risk"), "G2"), 1.4);
    cr_assert_eq(q_double(WP("ST_X(geom)"), "G2"), 100.5);
    cr_assert_eq(q_double(WP("ST_Y(geom)"), "G2"), 13.75);
}

Test(import, geojson_footprint_workplace)
{
    static const char gj[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"F1\",\"name\":\"Fictional Mill\","
        "\"sector\":\"other_manufacturing\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[98.95,18.80],[98.96,18.80],"
        "[98.96,18.81],[98.95,18.81],[98.95,18.80]]]}}]}";
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_WORKPLACES; /* a polygon layer would be areas */
    import_ok("fp.geojson", gj, &o, NULL);
    cr_assert_eq(q_int(WP("ST_Within(geom, footprint)"), "F1"), 1);
}

/* -------------------------------------------------------------------------
 * Areas
 */

#define SQUARE(x0, y0, x1, y1)                                                 \
    "{\"type\":\"Polygon\",\"coordinates\":[[[" #x0 "," #y0 "],[" #x1 "," #y0   \
    "],[" #x1 "," #y1 "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]]}"

static const char provinces_gj[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"P1\",\"name_en\":\"Fictional Province\","
    "\"name_th\":\"\xE0\xB8\x88\xE0\xB8\xB1\xE0\xB8\x87\xE0\xB8\xAB\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\x94\"},"
    "\"geometry\":" SQUARE(98.9, 18.7, 99.1, 18.9) "}]}";

/* Two districts without codes, sharing the edge at lon 99.0. */
static const char districts_gj[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"name_en\":\"West District\"},"
    "\"geometry\":" SQUARE(98.9, 18.7, 99.0, 18.9) "},"
    "{\"type\":\"Feature\",\"properties\":{\"name_en\":\"East District\"},"
    "\"geometry\":" SQUARE(99.0, 18.7, 99.1, 18.9) "}]}";

static void
import_areas(const char *name, const char *gj, sinspace_area_level level,
             sinspace_import_result *r)
{
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.level = level;
    o.source = "test fixture";
    import_ok(name, gj, &o, r);
}

Test(import, areas_codes_parents_and_members)
{
    /* Workplaces first: west, east, on the shared edge, outside. */
    import_ok("w.csv",
              "id,name,sector,lon,lat,risk\n"
              "A1,Fictional West,karaoke_bar,98.95,18.80,3\n"
              "A2,Fictional East,karaoke_bar,99.05,18.80,2\n"
              "A3,Fictional Edge,karaoke_bar,99.0,18.80,1\n"
              "A4,Fictional Far,karaoke_bar,100.5,13.75,1\n",
              NULL, NULL);
    sinspace_import_result r;
    import_areas("p.geojson", provinces_gj, SINSPACE_LEVEL_PROVINCE, &r);
    cr_assert_eq(r.rows, 1);
    cr_assert_eq(r.inserted, 1);
    import_areas("d.geojson", districts_gj, SINSPACE_LEVEL_DISTRICT, &r);
    cr_assert_eq(r.rows, 2);
    cr_assert_eq(r.inserted, 2);

    cr_assert_eq(count("areas"), 3);
    cr_assert_str_eq(q_text("SELECT parent_code FROM areas WHERE code = ?1", "P1"), "(null)");
    cr_assert_str_eq(q_text("SELECT name_local FROM areas WHERE code = ?1", "P1"),
                     "\xE0\xB8\x88\xE0\xB8\xB1\xE0\xB8\x87\xE0\xB8\xAB\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\x94");
    cr_assert_str_eq(q_text("SELECT level FROM areas WHERE code = ?1", "P1"), "province");
    cr_assert_str_eq(q_text("SELECT source FROM areas WHERE code = ?1", "P1"), "test fixture");
    /* Generated codes: parent code / slug of the Latin name. */
    cr_assert_str_eq(q_text("SELECT parent_code FROM areas WHERE code = ?1",
                            "P1/west-district"), "P1");
    cr_assert_str_eq(q_text("SELECT level FROM areas WHERE code = ?1",
                            "P1/east-district"), "district");
    /* 0.1 x 0.2 degrees at 18.8 N: about 10.5 km x 22.1 km. */
    double km2 = q_double("SELECT area_km2 FROM areas WHERE code = ?1", "P1/west-district");
    cr_assert(km2 > 225.0 && km2 < 240.0, "area %f km2", km2);

    cr_assert_str_eq(q_text(WP("area_code"), "A1"), "P1/west-district");
    cr_assert_str_eq(q_text(WP("area_code"), "A2"), "P1/east-district");
    cr_assert_str_eq(q_text(WP("area_code"), "A4"), "(null)");
    static const char members[] =
        "SELECT count(*) FROM area_members AS m JOIN workplaces AS w"
        " ON w.id = m.workplace_id WHERE w.ext_id = ?1";
    cr_assert_eq(q_int(members, "A1"), 2);
    cr_assert_eq(q_int(members, "A2"), 2);
    cr_assert_eq(q_int(members, "A3"), 3, "a point on a shared edge is in both");
    cr_assert_eq(q_int(members, "A4"), 0);
    /* On the edge, the first-loaded of the finest areas wins. */
    cr_assert_str_eq(q_text(WP("area_code"), "A3"), "P1/west-district");

    cr_assert_eq(q_int("SELECT workplaces FROM areas_risk WHERE code = ?1", "P1"), 3);
    cr_assert_eq(q_int("SELECT workplaces FROM areas_risk WHERE code = ?1",
                       "P1/east-district"), 2);

    /* A workplace imported after the areas is placed at once; an unknown
     * area code is refused now that areas exist. */
    import_ok("w2.csv",
              "id,name,sector,lon,lat\n"
              "A5,Fictional New,brothel,99.07,18.85\n",
              NULL, NULL);
    cr_assert_str_eq(q_text(WP("area_code"), "A5"), "P1/east-district");
    char path[PATH_MAX];
    cr_assert_eq(import_text("w3.csv",
                             "id,name,sector,lon,lat,area\n"
                             "A6,Fictional Other,brothel,99.07,18.85,NOWHERE\n",
                             NULL, &r, path),
                 SINSPACE_INVALID_INPUT);
    expect_log(path, 2, "unknown area code 'NOWHERE'");

    /* A closed workplace keeps its area but the map layer leaves it out. */
    import_ok("w4.csv",
              "id,name,sector,lon,lat,status\n"
              "C1,Fictional Closed,brothel,99.06,18.86,closed\n",
              NULL, NULL);
    cr_assert_str_eq(q_text(WP("area_code"), "C1"), "P1/east-district");
    cr_assert_eq(q_int("SELECT workplaces FROM areas_risk WHERE code = ?1",
                       "P1/east-district"), 3, "A2, A3, A5; not the closed C1");

    sinspace_store_info info;
    cr_assert_eq(sinspace_store_info_get(store, &info), SINSPACE_OK);
    cr_assert_eq(info.areas, 3);
    cr_assert_eq(info.areas_by_level[SINSPACE_LEVEL_PROVINCE], 1);
    cr_assert_eq(info.areas_by_level[SINSPACE_LEVEL_DISTRICT], 2);
}

Test(import, areas_same_generated_name_numbered)
{
    static const char gj[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"name_en\":\"Mae Test\"},"
        "\"geometry\":" SQUARE(98.9, 18.7, 99.0, 18.8) "},"
        "{\"type\":\"Feature\",\"properties\":{\"name_en\":\"Mae Test\"},"
        "\"geometry\":" SQUARE(99.0, 18.7, 99.1, 18.8) "}]}";
    import_areas("t.geojson", gj, SINSPACE_LEVEL_SUBDISTRICT, NULL);
    cr_assert_eq(q_int("SELECT count(*) FROM areas WHERE code = ?1", "mae-test"), 1);
    cr_assert_eq(q_int("SELECT count(*) FROM areas WHERE code = ?1", "mae-test-2"), 1);
}

Test(import, areas_invalid_polygon_refused)
{
    static const char gj[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"name_en\":\"Good Area\"},"
        "\"geometry\":" SQUARE(98.9, 18.7, 99.0, 18.8) "},"
        "{\"type\":\"Feature\",\"properties\":{\"name_en\":\"Bow Tie\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[98.9,18.7],[99.0,18.8],"
        "[99.0,18.7],[98.9,18.8],[98.9,18.7]]]}}]}";
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.level = SINSPACE_LEVEL_DISTRICT;
    sinspace_import_result r;
    char path[PATH_MAX];
    cr_assert_eq(import_text("bad.geojson", gj, &o, &r, path), SINSPACE_INVALID_INPUT);
    cr_assert_eq(r.rejected, 1);
    cr_assert(strstr(logbuf.text, "feature 2 (Bow Tie): invalid polygon: self-intersection at"),
              "%s", logbuf.text);
    cr_assert_eq(count("areas"), 0);
}

/* -------------------------------------------------------------------------
 * Bad input: one test per kind.  Each loads a baseline, closes the store,
 * takes the file's bytes, tries the bad file, closes again and compares.
 */

static char *before_bytes;
static size_t before_size;
static long long before_audit;

static void
snapshot(void)
{
    import_ok("baseline.csv", BASELINE, NULL, NULL);
    close_store();
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", db);
    cr_assert(!tu_exists(wal), "a WAL file outlived the store");
    before_bytes = tu_read(db, &before_size);
    cr_assert_not_null(before_bytes);
    open_store();
    before_audit = count("audit");
}

static void
expect_unchanged(void)
{
    cr_assert_eq(count("audit"), before_audit, "a failed import wrote an audit row");
    close_store();
    size_t after_size;
    char *after = tu_read(db, &after_size);
    cr_assert_not_null(after);
    cr_assert_eq(after_size, before_size, "database size changed: %zu -> %zu",
                 before_size, after_size);
    cr_assert_eq(memcmp(after, before_bytes, after_size), 0,
                 "database bytes changed");
    free(after);
    free(before_bytes);
    before_bytes = NULL;
    open_store();
    cr_assert_eq(count("workplaces"), 2);
    cr_assert_eq(count("observations"), 2);
    cr_assert_eq(count("imports"), 1);
}

/* A CSV whose line `line` is bad for `reason`: rejected as a whole. */
static void
expect_bad_csv(const char *csv, long line, const char *reason)
{
    snapshot();
    char path[PATH_MAX];
    sinspace_import_result r;
    memset(&r, 0, sizeof r);
    sinspace_status st = import_text("bad.csv", csv, NULL, &r, path);
    cr_assert_eq(st, SINSPACE_INVALID_INPUT, "status %s: %s",
                 sinspace_status_string(st), sinspace_context_message(ctx));
    cr_assert_eq(sinspace_context_status(ctx), SINSPACE_INVALID_INPUT);
    cr_assert_eq(r.rejected, 1, "%lld rejected", r.rejected);
    expect_log(path, line, reason);
    cr_assert(strstr(sinspace_context_message(ctx), path), "%s",
              sinspace_context_message(ctx));
    cr_assert(strstr(sinspace_context_message(ctx), "nothing was imported"), "%s",
              sinspace_context_message(ctx));
    expect_unchanged();
}

/* A CSV whose header is bad: the context message names file and line 1. */
static void
expect_bad_header(const char *csv, const char *reason)
{
    snapshot();
    char path[PATH_MAX], want[PATH_MAX + 8];
    sinspace_import_result r;
    sinspace_status st = import_text("bad.csv", csv, NULL, &r, path);
    cr_assert_eq(st, SINSPACE_INVALID_INPUT, "status %s: %s",
                 sinspace_status_string(st), sinspace_context_message(ctx));
    snprintf(want, sizeof want, "%s:1: ", path);
    const char *msg = sinspace_context_message(ctx);
    cr_assert_eq(strncmp(msg, want, strlen(want)), 0, "'%s' does not start '%s'",
                 msg, want);
    cr_assert(strstr(msg, reason), "'%s' does not say '%s'", msg, reason);
    expect_unchanged();
}

#define GOOD_ROW "G1,Fictional Good Row,restaurant,98.98,18.79,2025-01-10,2.0\n"
#define HEADER "id,name,sector,lon,lat,observed,risk\n"

Test(import_bad, unknown_sector)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Casino,casino,98.98,18.79,2025-01-10,2.0\n",
                   3, "unknown sector 'casino'");
}

Test(import_bad, lon_lat_swapped)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,18.79,98.98,2025-01-10,2.0\n",
                   3, "lon and lat look swapped");
}

Test(import_bad, latitude_out_of_range)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,-91,2025-01-10,2.0\n",
                   3, "latitude -91 is out of range -90..90");
}

Test(import_bad, longitude_out_of_range)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,198.98,18.79,2025-01-10,2.0\n",
                   3, "longitude 198.98 is out of range");
}

Test(import_bad, risk_above_3)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,2025-01-10,3.5\n",
                   3, "risk 3.5 is outside 1.0..3.0");
}

Test(import_bad, risk_below_1)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,2025-01-10,0.5\n",
                   3, "risk 0.5 is outside 1.0..3.0");
}

Test(import_bad, risk_decimal_comma)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,2025-01-10,\"2,5\"\n",
                   3, "risk: '2,5' is not a number");
}

Test(import_bad, indicator_score_4)
{
    expect_bad_csv("id,name,sector,lon,lat,i01,i02\n"
                   "G1,Fictional Good Row,restaurant,98.98,18.79,1,2\n"
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,3,4\n",
                   3, "i02: indicator score '4' must be 1, 2 or 3");
}

Test(import_bad, impossible_date)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,2008-02-30,2.0\n",
                   3, "observed: date '2008-02-30': month 2 has 29 days");
}

Test(import_bad, date_format)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,10/01/2025,2.0\n",
                   3, "is not of the form YYYY-MM-DD");
}

Test(import_bad, future_date)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,2199-01-01,2.0\n",
                   3, "observed: 2199-01-01 is in the future");
}

Test(import_bad, broken_wkt)
{
    expect_bad_csv("id,name,sector,wkt\n"
                   "G1,Fictional Good Row,restaurant,POINT (98.98 18.79)\n"
                   "B1,Fictional Bar,karaoke_bar,\"POINT (98.98 18.79\"\n",
                   3, "wkt: not well-known text");
}

Test(import_bad, wkt_trailing_text)
{
    expect_bad_csv("id,name,sector,wkt\n"
                   "G1,Fictional Good Row,restaurant,POINT (98.98 18.79)\n"
                   "B1,Fictional Bar,karaoke_bar,POINT (98.98 18.79) POINT (1 2)\n",
                   3, "wkt: unexpected text after the geometry");
}

Test(import_bad, wkt_and_lonlat_both)
{
    expect_bad_csv("id,name,sector,lon,lat,wkt\n"
                   "G1,Fictional Good Row,restaurant,,,POINT (98.98 18.79)\n"
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,POINT (98.98 18.79)\n",
                   3, "either lon/lat or wkt");
}

Test(import_bad, self_intersecting_footprint)
{
    expect_bad_csv("id,name,sector,wkt\n"
                   "G1,Fictional Good Row,restaurant,POINT (98.98 18.79)\n"
                   "B1,Fictional Factory,garment_factory,\"POLYGON ((98.98 18.78, "
                   "98.99 18.79, 98.99 18.78, 98.98 18.79, 98.98 18.78))\"\n",
                   3, "invalid polygon: self-intersection at");
}

Test(import_bad, linestring_geometry)
{
    expect_bad_csv("id,name,sector,wkt\n"
                   "G1,Fictional Good Row,restaurant,POINT (98.98 18.79)\n"
                   "B1,Fictional Road,construction,\"LINESTRING (98.98 18.78, 98.99 18.79)\"\n",
                   3, "geometry is a Line String");
}

Test(import_bad, missing_required_column)
{
    expect_bad_header("id,name,lon,lat\n"
                      "B1,Fictional Bar,98.98,18.79\n",
                      "the header has no sector column");
}

Test(import_bad, missing_coordinates_column)
{
    expect_bad_header("id,name,sector,lon\n"
                      "B1,Fictional Bar,brothel,98.98\n",
                      "the header has no lon and lat (or wkt) column");
}

Test(import_bad, duplicate_header_column)
{
    expect_bad_header("id,name,sector,lon,lat,name\n"
                      "B1,Fictional Bar,brothel,98.98,18.79,Other\n",
                      "column 'name' appears twice");
}

Test(import_bad, duplicate_column_by_alias)
{
    expect_bad_header("id,name,sector,lon,lat,longitude\n"
                      "B1,Fictional Bar,brothel,98.98,18.79,98.98\n",
                      "column 'longitude' appears twice");
}

Test(import_bad, empty_file)
{
    expect_bad_header("", "a header row is required");
}

Test(import_bad, wrong_field_count)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional Bar,karaoke_bar,98.98\n",
                   3, "4 fields; the header has 7");
}

Test(import_bad, unterminated_quote)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,\"Fictional Bar,karaoke_bar,98.98,18.79,2025-01-10,2.0\n",
                   3, "quoted field not closed");
}

Test(import_bad, control_character_in_name)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional\aBar,karaoke_bar,98.98,18.79,2025-01-10,2.0\n",
                   3, "name: control character 0x07");
}

Test(import_bad, line_break_in_name)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,\"Fictional\nBar\",karaoke_bar,98.98,18.79,2025-01-10,2.0\n",
                   3, "name: control character 0x0a");
}

Test(import_bad, invalid_utf8_in_name)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,Fictional \xC3\x28 Bar,karaoke_bar,98.98,18.79,2025-01-10,2.0\n",
                   3, "name: invalid UTF-8");
}

Test(import_bad, bad_status)
{
    expect_bad_csv("id,name,sector,lon,lat,status\n"
                   "G1,Fictional Good Row,restaurant,98.98,18.79,active\n"
                   "B1,Fictional Bar,karaoke_bar,98.98,18.79,open\n",
                   3, "status 'open' must be active, closed or unknown");
}

Test(import_bad, missing_name_value)
{
    expect_bad_csv(HEADER GOOD_ROW
                   "B1,,karaoke_bar,98.98,18.79,2025-01-10,2.0\n",
                   3, "name is missing");
}

/* The line of a row after a multi-line address is its real line. */
Test(import_bad, line_number_after_multiline_field)
{
    expect_bad_csv("id,name,sector,lon,lat,address\n"
                   "G1,Fictional Good Row,restaurant,98.98,18.79,\"1 Road\nSoi 2\nTambon 3\"\n"
                   "B1,Fictional Bar,casino,98.98,18.79,\n",
                   5, "unknown sector");
}

/* Every bad row is named, not only the first. */
Test(import, every_bad_row_reported)
{
    snapshot();
    char path[PATH_MAX];
    sinspace_import_result r;
    cr_assert_eq(import_text("bad.csv",
                             HEADER GOOD_ROW
                             "B1,Fictional A,casino,98.98,18.79,2025-01-10,2.0\n"
                             "G2,Fictional Good Row,restaurant,98.98,18.79,2025-01-10,2.0\n"
                             "B2,Fictional B,brothel,98.98,18.79,2025-01-10,9\n",
                             NULL, &r, path),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(r.rows, 4);
    cr_assert_eq(r.rejected, 2);
    expect_log(path, 3, "unknown sector");
    expect_log(path, 5, "risk 9 is outside");
    cr_assert_eq(logbuf.errors, 2, "%s", logbuf.text);
    expect_unchanged();
}

Test(import, error_log_is_capped)
{
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.max_errors_logged = 2;
    sinspace_import_result r;
    cr_assert_eq(import_text("bad.csv",
                             HEADER
                             "B1,Fictional A,casino,98.98,18.79,,\n"
                             "B2,Fictional B,casino,98.98,18.79,,\n"
                             "B3,Fictional C,casino,98.98,18.79,,\n"
                             "B4,Fictional D,casino,98.98,18.79,,\n",
                             &o, &r, NULL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(r.rejected, 4);
    cr_assert_eq(logbuf.errors, 3, "%s", logbuf.text);
    cr_assert(strstr(logbuf.text, "only counting them"), "%s", logbuf.text);
}

Test(import, geojson_bad_feature_named)
{
    snapshot();
    static const char gj[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"G1\",\"name\":\"Fictional Pier\","
        "\"sector\":\"fishing\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[98.98,18.79]}},"
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"G2\",\"name\":\"Fictional Casino\","
        "\"sector\":\"casino\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[98.98,18.79]}}]}";
    char path[PATH_MAX], want[PATH_MAX + 64];
    sinspace_import_result r;
    cr_assert_eq(import_text("bad.geojson", gj, NULL, &r, path), SINSPACE_INVALID_INPUT);
    snprintf(want, sizeof want, "%s: feature 2 (id G2): unknown sector 'casino'", path);
    cr_assert(strstr(logbuf.text, want), "%s", logbuf.text);
    expect_unchanged();
}

/* -------------------------------------------------------------------------
 * Rejects files
 */

Test(import, skip_invalid_writes_private_rejects_and_loads_good_rows)
{
    umask(0);
    char rejects[PATH_MAX];
    tu_path(rejects, dir, "rejects.csv");
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.rejects_path = rejects;
    sinspace_import_result r;
    char path[PATH_MAX];
    cr_assert_eq(import_text("mixed.csv",
                             HEADER
                             "S1,Fictional One,restaurant,98.98,18.79,2025-01-10,2.0\n"
                             "S2,\"Fictional, Two\",casino,98.98,18.79,2025-01-10,2.0\n"
                             "S3,Fictional Three,brothel,98.97,18.78,2025-01-10,2.5\n"
                             "S4,Fictional Four,brothel,98.97\n",
                             &o, &r, path),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.rows, 4);
    cr_assert_eq(r.inserted, 2);
    cr_assert_eq(r.rejected, 2);
    cr_assert_eq(count("workplaces"), 2);
    cr_assert_eq(q_int("SELECT count(*) FROM workplaces WHERE ext_id IN ('S1', 'S3')", NULL), 2);
    expect_log(path, 3, "unknown sector 'casino'");
    cr_assert_eq(tu_mode(rejects), 0600, "rejects mode %04o", tu_mode(rejects));

    /* The rejects file is CSV: where, reason, then the row as it was. */
    size_t size;
    char *text = tu_read(rejects, &size);
    cr_assert_not_null(text);
    sinspace_csv *csv = sinspace__csv_open_memory(text, size);
    char **f, err[256];
    size_t n;
    long line;
    cr_assert_eq(sinspace__csv_next(csv, &f, &n, &line, err, sizeof err), 1);
    cr_assert_eq(n, 9);
    cr_assert_str_eq(f[0], "where");
    cr_assert_str_eq(f[1], "reason");
    cr_assert_str_eq(f[2], "id");
    cr_assert_str_eq(f[8], "risk");
    cr_assert_eq(sinspace__csv_next(csv, &f, &n, &line, err, sizeof err), 1);
    cr_assert_eq(n, 9);
    cr_assert_str_eq(f[0], "line 3");
    cr_assert(strstr(f[1], "unknown sector 'casino'"), "%s", f[1]);
    cr_assert_str_eq(f[2], "S2");
    cr_assert_str_eq(f[3], "Fictional, Two");
    cr_assert_str_eq(f[8], "2.0");
    cr_assert_eq(sinspace__csv_next(csv, &f, &n, &line, err, sizeof err), 1);
    cr_assert_eq(n, 6);
    cr_assert_str_eq(f[0], "line 5");
    cr_assert_str_eq(f[1], "4 fields; the header has 7");
    cr_assert_str_eq(f[2], "S4");
    cr_assert_eq(sinspace__csv_next(csv, &f, &n, &line, err, sizeof err), 0);
    sinspace__csv_close(csv);
    free(text);

    cr_assert_str_eq(q_text("SELECT filters FROM audit", NULL), "as=workplaces skip-invalid");
    cr_assert_eq(q_int("SELECT rows FROM audit", NULL), 2);
}

/* An existing rejects file is replaced whole, and ends private even if it
 * was not; no temporary file is left beside it. */
Test(import, skip_invalid_replaces_existing_rejects)
{
    umask(0);
    char rejects[PATH_MAX];
    tu_path(rejects, dir, "rejects.csv");
    tu_write_str(rejects, "an older, longer rejects file that must not survive\n"
                          "second line\nthird line\n");
    cr_assert_eq(chmod(rejects, 0644), 0);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.rejects_path = rejects;
    sinspace_import_result r;
    cr_assert_eq(import_text("mixed.csv",
                             HEADER GOOD_ROW
                             "B1,Fictional Casino,casino,98.98,18.79,2025-01-10,2.0\n",
                             &o, &r, NULL),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.rejected, 1);
    cr_assert_eq(tu_mode(rejects), 0600, "rejects mode %04o", tu_mode(rejects));
    char *text = tu_read(rejects, NULL);
    cr_assert_not_null(text);
    cr_assert(!strstr(text, "older"), "%s", text);
    cr_assert(strstr(text, "line 3,unknown sector 'casino'"), "%s", text);
    free(text);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        cr_assert(!strstr(de->d_name, ".tmp."), "left behind: %s", de->d_name);
    closedir(d);
}

/* A failed import writes no rejects file: one that was there is kept as
 * it was (it is only replaced when the import commits). */
Test(import, skip_invalid_failed_import_keeps_old_rejects)
{
    char rejects[PATH_MAX];
    tu_path(rejects, dir, "rejects.csv");
    tu_write_str(rejects, "old rejects\n");
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.rejects_path = rejects;
    sinspace_import_result r;
    cr_assert_eq(import_text("noheader.csv", "id,name,lon,lat\nB1,X,98.9,18.7\n",
                             &o, &r, NULL),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(count("workplaces"), 0);
    char *text = tu_read(rejects, NULL);
    cr_assert_not_null(text);
    cr_assert_str_eq(text, "old rejects\n");
    free(text);
}

Test(import, skip_invalid_unwritable_rejects_path)
{
    /* A read-only rejects path is an I/O failure before any row. */
    char rejects[PATH_MAX];
    tu_path(rejects, dir, "no/such/dir/rejects.csv");
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.rejects_path = rejects;
    sinspace_import_result r;
    cr_assert_eq(import_text("a.csv", BASELINE, &o, &r, NULL), SINSPACE_IO);
    cr_assert_eq(count("workplaces"), 0);
    cr_assert_eq(count("audit"), 0);
}

/* The rejects file is truncated when opened: naming the source or the
 * database by mistake must not destroy them. */
Test(import, skip_invalid_refuses_source_as_rejects)
{
    char path[PATH_MAX];
    data_file("src.csv", BASELINE, path);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.rejects_path = path;
    sinspace_import_result r;
    cr_assert_eq(sinspace_import_file(store, path, &o, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "may not be the file being imported"),
              "%s", sinspace_context_message(ctx));
    char *text = tu_read(path, NULL);
    cr_assert_str_eq(text, BASELINE);
    free(text);
    cr_assert_eq(count("workplaces"), 0);
}

Test(import, skip_invalid_refuses_database_as_rejects)
{
    snapshot();
    char path[PATH_MAX];
    data_file("more.csv", HEADER GOOD_ROW, path);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.rejects_path = db;
    sinspace_import_result r;
    cr_assert_eq(sinspace_import_file(store, path, &o, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert(strstr(sinspace_context_message(ctx), "may not be the database"),
              "%s", sinspace_context_message(ctx));
    expect_unchanged();
}

/* -------------------------------------------------------------------------
 * Observations
 */

Test(import, observations_for_known_workplaces)
{
    import_ok("w.csv", BASELINE, NULL, NULL);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_OBSERVATIONS;
    sinspace_import_result r;
    import_ok("obs.csv",
              "id,observed,i01,i02,observer\n"
              "T1,2025-06-01,1,1,team-b\n"
              "T2,2025-06-02,3,3,team-b\n",
              &o, &r);
    cr_assert_eq(r.rows, 2);
    cr_assert_eq(r.observations, 2);
    cr_assert_eq(r.inserted, 0);
    cr_assert_eq(count("observations"), 4);
    cr_assert_eq(q_double(WP("risk"), "T1"), 1.0);
    cr_assert_str_eq(q_text(WP("risk_class"), "T1"), "low");
    cr_assert_eq(q_double(WP("risk"), "T2"), 3.0);
    cr_assert_str_eq(q_text(WP("last_seen"), "T2"), "2025-06-02");
    cr_assert_str_eq(q_text("SELECT filters FROM audit ORDER BY id DESC LIMIT 1", NULL),
                     "as=observations");
}

Test(import, observations_unknown_id_rejected)
{
    snapshot();
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_OBSERVATIONS;
    sinspace_import_result r;
    char path[PATH_MAX];
    cr_assert_eq(import_text("obs.csv",
                             "id,observed,risk\n"
                             "T1,2025-06-01,2.9\n"
                             "NOPE,2025-06-01,2.0\n",
                             &o, &r, path),
                 SINSPACE_INVALID_INPUT);
    cr_assert_eq(r.rejected, 1);
    expect_log(path, 3, "no workplace with id 'NOPE'");
    expect_unchanged();
}

Test(import, observations_empty_id_rejected)
{
    snapshot();
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_OBSERVATIONS;
    sinspace_import_result r;
    char path[PATH_MAX];
    cr_assert_eq(import_text("obs.csv",
                             "id,observed,risk\n"
                             ",2025-06-01,2.9\n",
                             &o, &r, path),
                 SINSPACE_INVALID_INPUT);
    expect_log(path, 2, "id is missing");
    expect_unchanged();
}

Test(import, observations_without_score_rejected)
{
    import_ok("w.csv", BASELINE, NULL, NULL);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_OBSERVATIONS;
    sinspace_import_result r;
    char path[PATH_MAX];
    cr_assert_eq(import_text("obs.csv", "id,risk\nT1,\n", &o, &r, path),
                 SINSPACE_INVALID_INPUT);
    expect_log(path, 2, "no risk and no indicator score");
}

/* -------------------------------------------------------------------------
 * Indicator catalogue
 */

/* The shipped catalogue with indicator 1's weight replaced. */
static void
catalogue_with_weight1(const char *weight, char out[PATH_MAX], int drop_last)
{
    char src[PATH_MAX];
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    cr_assert_not_null(root, "SINSPACE_SOURCE_ROOT is not set");
    tu_path(src, root, "layers/indicators.csv");
    char *text = tu_read(src, NULL);
    cr_assert_not_null(text, "cannot read %s", src);
    const char *old = ",forced_labour,1.5,";
    char *line1 = strstr(text, "\n1,abuse_of_vulnerability,");
    cr_assert_not_null(line1);
    char *at = strstr(line1, old);
    cr_assert_not_null(at);
    size_t len = strlen(text) + 64;
    char *copy = malloc(len);
    snprintf(copy, len, "%.*s,forced_labour,%s,%s", (int)(at - text), text, weight,
             at + strlen(old));
    if (drop_last) {
        /* Cut the final line (position 28). */
        size_t n = strlen(copy);
        while (n && copy[n - 1] == '\n')
            copy[--n] = '\0';
        char *nl = strrchr(copy, '\n');
        cr_assert_not_null(nl);
        nl[1] = '\0';
    }
    tu_path(out, dir, "catalogue.csv");
    tu_write_str(out, copy);
    free(copy);
    free(text);
}

static int
weight_of_1(void *user, const sinspace_indicator_desc *d)
{
    if (d->position == 1)
        *(double *)user = d->weight;
    return 0;
}

Test(import, indicator_weights_recompute_risk)
{
    import_ok("w.csv",
              "id,name,sector,lon,lat,observed,risk,i01,i16\n"
              "I1,Fictional Boat,fishing,98.98,18.79,2025-01-10,,3,1\n"
              "I2,Fictional Stall,restaurant,98.98,18.79,2025-01-10,1.2,,\n",
              NULL, NULL);
    cr_assert_float_eq(q_double(WP("risk"), "I1"), 5.5 / 2.5, 1e-12);
    cr_assert_str_eq(q_text(WP("risk_class"), "I1"), "medium");

    char cat[PATH_MAX];
    catalogue_with_weight1("7", cat, 0);
    sinspace_context_clear(ctx);
    cr_assert_eq(sinspace_import_indicators(store, cat), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    double w = 0;
    cr_assert_eq(sinspace_store_indicators(store, weight_of_1, &w), SINSPACE_OK);
    cr_assert_eq(w, 7.0);
    /* (7*3 + 1*1) / 8 = 2.75 */
    cr_assert_eq(q_double(WP("risk"), "I1"), 2.75);
    cr_assert_str_eq(q_text(WP("risk_class"), "I1"), "high");
    cr_assert_eq(q_double("SELECT o.risk FROM observations AS o JOIN workplaces AS w"
                          " ON w.id = o.workplace_id WHERE w.ext_id = ?1", "I1"), 2.75);
    /* An overall score without indicators is left alone. */
    cr_assert_eq(q_double(WP("risk"), "I2"), 1.2);
    cr_assert_eq(q_int("SELECT count(*) FROM audit WHERE command = 'indicators'"
                       " AND target = ?1 AND rows = 28", cat), 1);
}

Test(import, indicator_catalogue_incomplete_refused)
{
    import_ok("w.csv",
              "id,name,sector,lon,lat,observed,risk,i01,i16\n"
              "I1,Fictional Boat,fishing,98.98,18.79,2025-01-10,,3,1\n",
              NULL, NULL);
    char cat[PATH_MAX];
    catalogue_with_weight1("7", cat, 1);
    long long audits = count("audit");
    cr_assert_eq(sinspace_import_indicators(store, cat), SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), "no indicator at position 28"),
              "%s", sinspace_context_message(ctx));
    double w = 0;
    cr_assert_eq(sinspace_store_indicators(store, weight_of_1, &w), SINSPACE_OK);
    cr_assert_eq(w, 1.5);
    cr_assert_eq(count("indicators"), 28);
    cr_assert_float_eq(q_double(WP("risk"), "I1"), 2.2, 1e-12);
    cr_assert_eq(count("audit"), audits);
}

Test(import, indicator_catalogue_bad_weight_refused)
{
    char cat[PATH_MAX];
    catalogue_with_weight1("0", cat, 0);
    cr_assert_eq(sinspace_import_indicators(store, cat), SINSPACE_INVALID_INPUT);
    cr_assert(strstr(sinspace_context_message(ctx), ":2: weight must be a number above 0"),
              "%s", sinspace_context_message(ctx));
    catalogue_with_weight1("nan", cat, 0);
    cr_assert_eq(sinspace_import_indicators(store, cat), SINSPACE_INVALID_INPUT);
    cr_assert_eq(count("indicators"), 28);
}

/* -------------------------------------------------------------------------
 * Audit, imports table, refusals before any row
 */

Test(import, audit_row_on_success_only)
{
    char path[PATH_MAX];
    sinspace_import_result r;
    cr_assert_eq(sinspace_context_set_user(ctx, "importer-7"), SINSPACE_OK);
    cr_assert_eq(import_text("good.csv", BASELINE, NULL, &r, path), SINSPACE_OK);
    cr_assert_eq(count("audit"), 1);
    cr_assert_str_eq(q_text("SELECT command FROM audit", NULL), "import");
    cr_assert_str_eq(q_text("SELECT target FROM audit", NULL), path);
    cr_assert_str_eq(q_text("SELECT user FROM audit", NULL), "importer-7");
    cr_assert_str_eq(q_text("SELECT filters FROM audit", NULL), "as=workplaces");
    cr_assert_eq(q_int("SELECT rows FROM audit", NULL), 2);
    cr_assert_eq(q_int("SELECT rows FROM imports", NULL), 2);
    cr_assert_str_eq(q_text("SELECT user FROM imports", NULL), "importer-7");
    cr_assert_eq(q_int("SELECT count(*) FROM observations WHERE import_id ="
                       " (SELECT id FROM imports)", NULL), 2);

    cr_assert_eq(import_text("bad.csv", HEADER "X,Fictional,casino,1,1,,\n", NULL, &r,
                             NULL), SINSPACE_INVALID_INPUT);
    cr_assert_eq(count("audit"), 1);
    cr_assert_eq(count("imports"), 1);
}

static int
stop_progress(void *user, const char *task, double done, double total)
{
    (void)task;
    (void)done;
    (void)total;
    ++*(int *)user;
    return 1;
}

Test(import, interrupted_by_progress_writes_nothing)
{
    snapshot();
    int calls = 0;
    sinspace_context_set_progress(ctx, stop_progress, &calls);
    sinspace_import_result r;
    cr_assert_eq(import_text("more.csv",
                             HEADER "N1,Fictional New,restaurant,98.9,18.7,,\n",
                             NULL, &r, NULL),
                 SINSPACE_INTERRUPTED);
    cr_assert_geq(calls, 1);
    sinspace_context_set_progress(ctx, NULL, NULL);
    expect_unchanged();
}

Test(import, refusals_before_reading)
{
    sinspace_import_result r;
    char missing[PATH_MAX];
    tu_path(missing, dir, "missing.csv");
    cr_assert_eq(sinspace_import_file(store, missing, NULL, &r), SINSPACE_IO);

    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_AREAS;
    cr_assert_eq(import_text("a.csv", BASELINE, &o, &r, NULL), SINSPACE_UNSUPPORTED);

    o.kind = SINSPACE_IMPORT_OBSERVATIONS;
    cr_assert_eq(import_text("o.geojson", provinces_gj, &o, &r, NULL),
                 SINSPACE_UNSUPPORTED);

    cr_assert_eq(import_text("junk.geojson", "{ not json", NULL, &r, NULL),
                 SINSPACE_INVALID_INPUT);

    /* A read-only store refuses imports. */
    close_store();
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &store),
                 SINSPACE_OK);
    cr_assert_eq(import_text("a.csv", BASELINE, NULL, &r, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(count("workplaces"), 0);
    cr_assert_eq(count("audit"), 0);
}

/* -------------------------------------------------------------------------
 * The packed R*Tree (rtree_load.c): an import into an empty store packs
 * the points' R*Tree at the end; later imports insert row by row.  Both
 * must leave a tree SQLite's rtreecheck() and SpatiaLite's
 * CheckSpatialIndex() accept, holding each workplace's current point.
 */

/* Every box query on the R*Tree agrees with a scan of the points. */
static void
assert_index_matches_points(void)
{
    cr_assert_str_eq(q_text("SELECT rtreecheck('idx_workplaces_geom')", NULL), "ok");
    cr_assert_eq(q_int("SELECT CheckSpatialIndex('workplaces', 'geom')", NULL), 1);
    cr_assert_eq(q_int("SELECT count(*) FROM idx_workplaces_geom", NULL),
                 q_int("SELECT count(*) FROM workplaces WHERE geom IS NOT NULL", NULL));
    /* Each entry is its own workplace's point, rounded outward. */
    cr_assert_eq(q_int("SELECT count(*) FROM idx_workplaces_geom AS r"
                       " JOIN workplaces AS w ON w.id = r.pkid"
                       " WHERE r.xmin <= ST_X(w.geom) AND r.xmax >= ST_X(w.geom)"
                       " AND r.ymin <= ST_Y(w.geom) AND r.ymax >= ST_Y(w.geom)"
                       " AND r.xmax - r.xmin < 1e-4 AND r.ymax - r.ymin < 1e-4", NULL),
                 q_int("SELECT count(*) FROM workplaces", NULL));
    for (int i = 0; i < 40; i++) {
        double x0 = 97.3 + (i * 7 % 23) * 0.1, y0 = 17.2 + (i * 5 % 29) * 0.1;
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM workplaces WHERE ROWID IN"
                 " (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'workplaces'"
                 "  AND f_geometry_column = 'geom' AND search_frame ="
                 "  BuildMbr(%.3f, %.3f, %.3f, %.3f, 4326))"
                 "  AND MbrWithin(geom, BuildMbr(%.3f, %.3f, %.3f, %.3f, 4326)))"
                 " - (SELECT count(*) FROM workplaces"
                 "  WHERE MbrWithin(geom, BuildMbr(%.3f, %.3f, %.3f, %.3f, 4326)))",
                 x0, y0, x0 + 0.35, y0 + 0.3, x0, y0, x0 + 0.35, y0 + 0.3,
                 x0, y0, x0 + 0.35, y0 + 0.3);
        cr_assert_eq(q_int(sql, NULL), 0, "box %d", i);
    }
}

/* n workplaces W<k>, spread over northern Thailand; with moved, the same
 * ids again at other points (a file holding history). */
static char *
spread_csv(int n, int first, int moved)
{
    size_t cap = (size_t)n * (size_t)(moved + 1) * 96 + 128, len = 0;
    char *t = malloc(cap);
    cr_assert_not_null(t);
    len += (size_t)snprintf(t + len, cap - len, "id,name,sector,lon,lat,observed,risk\n");
    for (int pass = 0; pass <= moved; pass++)
        for (int k = first; k < first + n; k++) {
            unsigned h = (unsigned)k * 2654435761u + (unsigned)pass * 40503u;
            double lon = 97.3 + (h % 23000) / 10000.0;
            double lat = 17.2 + (h / 23000 % 30000) / 10000.0;
            len += (size_t)snprintf(t + len, cap - len,
                                    "W%06d,Fictional Place %d,karaoke_bar,%.6f,%.6f,"
                                    "2025-0%d-01,%.1f\n", k, k, lon, lat, pass + 1,
                                    1.0 + (k % 20) / 10.0);
        }
    return t;
}

/* The whole schema as text: an import into an empty store sets SpatiaLite's
 * triggers and the secondary indexes aside and must put every one back,
 * verbatim, whether it commits or fails. */
static char *
schema_text(void)
{
    sqlite3_stmt *s = query("SELECT group_concat(type || ' ' || name || ' '"
                            " || coalesce(sql, ''), char(10)) FROM"
                            " (SELECT * FROM sqlite_master ORDER BY type, name)", NULL);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    char *t = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    cr_assert_not_null(t);
    return t;
}

Test(import, rtree_packed_on_first_import_then_row_by_row)
{
    char *schema = schema_text();
    cr_assert(strstr(schema, "CREATE INDEX observations_date"), "%s", schema);
    cr_assert(strstr(schema, "trigger gii_workplaces_geom"), "%s", schema);
    /* A failed import into the empty store changes nothing. */
    sinspace_import_result r;
    cr_assert_eq(import_text("bad.csv", "id,name,sector,lon,lat,observed,risk\n"
                             "B1,Fictional Bad,karaoke_bar,98.9,18.8,2025-01-01,2.0\n"
                             "B2,Fictional Bad,no_such_sector,98.9,18.8,2025-01-01,2.0\n",
                             NULL, &r, NULL), SINSPACE_INVALID_INPUT);
    char *after = schema_text();
    cr_assert_str_eq(after, schema);
    free(after);
    cr_assert_eq(q_int("SELECT count(*) FROM workplaces", NULL), 0);
    /* 20,000 rows of 5,000 workplaces, each moved three times: packed,
     * several levels deep, each keeping its last point. */
    char *t = spread_csv(5000, 0, 3);
    import_ok("first.csv", t, NULL, NULL);
    free(t);
    after = schema_text();
    cr_assert_str_eq(after, schema);
    free(after);
    free(schema);
    cr_assert_eq(q_int("SELECT count(*) FROM workplaces", NULL), 5000);
    cr_assert_geq(q_int("SELECT count(*) FROM idx_workplaces_geom_node", NULL), 100);
    assert_index_matches_points();
    /* The last point of W000007 (pass 3) is where the index has it. */
    unsigned h = 7u * 2654435761u + 3u * 40503u;
    char want[64];
    snprintf(want, sizeof want, "%.6f", 97.3 + (h % 23000) / 10000.0);
    cr_assert_str_eq(q_text("SELECT printf('%.6f', ST_X(geom)) FROM workplaces"
                            " WHERE ext_id = 'W000007'", NULL), want);
    cr_assert_eq(q_int("SELECT count(*) FROM idx_workplaces_geom AS r JOIN workplaces AS w"
                       " ON w.id = r.pkid WHERE w.ext_id = 'W000007'"
                       " AND abs(r.xmin - ST_X(w.geom)) < 1e-4", NULL), 1);
    /* A second import: new workplaces and moves of old ones, row by row
     * into the packed tree. */
    t = spread_csv(3000, 4000, 1);
    import_ok("second.csv", t, NULL, NULL);
    free(t);
    cr_assert_eq(q_int("SELECT count(*) FROM workplaces", NULL), 7000);
    assert_index_matches_points();
    /* A store of one workplace: the root is a leaf. */
    close_store();
    tu_path(db, dir, "one.sqlite");
    cr_assert_eq(tu_store_new(ctx, db, &store), SINSPACE_OK);
    import_ok("one.csv", "id,name,sector,lon,lat,observed,risk\n"
              "W1,Fictional One,karaoke_bar,98.9,18.8,2025-01-01,2.0\n", NULL, NULL);
    assert_index_matches_points();
    cr_assert_eq(q_int("SELECT count(*) FROM idx_workplaces_geom_node", NULL), 1);
}

/* A new workplace's risk is set as it is written; one written again in the
 * same file is refreshed from all its observations at the end.  Either way
 * the risk is the latest observation's, whatever the rows' order. */
Test(import, history_in_one_file_takes_the_latest_observation)
{
    import_ok("hist.csv",
              "id,name,sector,lon,lat,observed,risk\n"
              "H1,Fictional History,karaoke_bar,98.98,18.79,2025-03-01,2.9\n"
              "H1,Fictional History,karaoke_bar,98.98,18.79,2025-05-01,1.2\n"
              "H1,Fictional History,karaoke_bar,98.98,18.79,2025-01-01,2.0\n"
              "H2,Fictional Single,brothel,98.99,18.78,2025-02-01,2.5\n"
              "H3,Fictional Unobserved,brothel,98.97,18.77,,\n", NULL, NULL);
    cr_assert_float_eq(q_double(WP("risk"), "H1"), 1.2, 1e-12);
    cr_assert_str_eq(q_text(WP("risk_class"), "H1"), "low");
    cr_assert_str_eq(q_text(WP("last_seen"), "H1"), "2025-05-01");
    cr_assert_str_eq(q_text(WP("first_seen"), "H1"), "2025-01-01");
    cr_assert_float_eq(q_double(WP("risk"), "H2"), 2.5, 1e-12);
    cr_assert_str_eq(q_text(WP("risk_class"), "H2"), "high");
    cr_assert_str_eq(q_text(WP("last_seen"), "H2"), "2025-02-01");
    cr_assert(isnan(q_double(WP("risk"), "H3")));
    cr_assert_str_eq(q_text(WP("risk_class"), "H3"), "(null)");
}
