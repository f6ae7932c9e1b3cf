/* test_guards.c: guards against behaviour-changing mutations that no other
 * test killed (GitHub issue #22, a mutation audit).
 *
 * Each test drives the library only through what a user has: the public
 * API (include/sinspace/) and the sinspace command ($SINSPACE_BIN).  What
 * it checks is measured independently of the code under test: SQL through
 * sqlite3 on the database file opened read-only, output files read back
 * with OGR, distances with PROJ's geodesic (geod_inverse on WGS 84), and
 * the fixtures' own coordinates, which the test makes itself.
 *
 * The comment above each test names the mutations it was seen to kill: the
 * source was changed by hand, rebuilt, the test failed, the change undone.
 *
 * Fixtures are fictional: square areas near Chiang Mai and workplaces
 * placed in them by a fixed pseudo-random sequence. */
#include "testutil.h"

#include <sinspace/export.h>
#include <sinspace/fence.h>
#include <sinspace/import.h>
#include <sinspace/query.h>
#include <sinspace/risk.h>

#include <gdal.h>
#include <geodesic.h>
#include <nettle/hmac.h>
#include <ogr_api.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/wait.h>

extern char **environ;

static char dir[PATH_MAX];
static char db[PATH_MAX];
static char *out, *err; /* the last run's stdout and stderr */

static void
setup(void)
{
    tu_tmpdir(dir);
    tu_path(db, dir, "guards.sqlite");
    out = err = NULL;
    /* Files a writer creates without care come out 0644 under this umask,
     * so a replaced file that kept its mode or a new one made in the open
     * shows. */
    umask(022);
    /* A store for the commands: copied from the runner's template. */
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    cr_assert_eq(tu_store_new(ctx, db, &s), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_store_close(s);
    sinspace_context_destroy(ctx);
}

static void
teardown(void)
{
    free(out);
    free(err);
    out = err = NULL;
    tu_rmtree(dir);
    tu_leak_check();
}

TU_RUNNER_HOOK_START(1)
TU_RUNNER_HOOK_END

TestSuite(guards, .init = setup, .fini = teardown, .timeout = 300);

/* -------------------------------------------------------------------------
 * Running the command (as test_cli.c does)
 */

/* Runs sinspace with the arguments (NULL-terminated), stdin from /dev/null;
 * keeps stdout and stderr; returns the exit status. */
static int
run_argv(const char *const *args)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert(bin && *bin, "SINSPACE_BIN is not set");
    char out_path[PATH_MAX], err_path[PATH_MAX];
    tu_path(out_path, dir, "stdout.txt");
    tu_path(err_path, dir, "stderr.txt");
    char *argv[40];
    int n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] && n < 39; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s: %s", bin, strerror(rc));
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    free(out);
    free(err);
    out = tu_read(out_path, NULL);
    err = tu_read(err_path, NULL);
    cr_assert(out && err);
    cr_assert(WIFEXITED(status), "sinspace died with signal %d; stderr:\n%s",
              WIFSIGNALED(status) ? WTERMSIG(status) : 0, err);
    return WEXITSTATUS(status);
}

#define RUN(...) run_argv((const char *const[]){__VA_ARGS__, NULL})
#define RUN_OK(...)                                                            \
    do {                                                                       \
        int rc_ = RUN(__VA_ARGS__);                                            \
        cr_assert_eq(rc_, 0, "sinspace exit %d; stderr:\n%s", rc_, err);       \
    } while (0)

/* A path in the test's folder; up to 8 live at once. */
static const char *
in_dir(const char *name)
{
    static char buf[8][PATH_MAX];
    static int k;
    k = (k + 1) % 8;
    tu_path(buf[k], dir, name);
    return buf[k];
}

/* -------------------------------------------------------------------------
 * Fixture text: CSV of workplaces, GeoJSON of square areas
 */

/* A growing string. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void
put(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0,
                          fmt, ap);
        va_end(ap);
        cr_assert_geq(n, 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = 2 * (t->cap + (size_t)n + 64);
        t->s = realloc(t->s, t->cap);
        cr_assert_not_null(t->s);
        if (t->len == 0)
            t->s[0] = '\0';
    }
}

/* A CSV cell: always quoted, quotes doubled (RFC 4180). */
static void
put_csv(text *t, const char *cell)
{
    put(t, "\"");
    for (const char *p = cell; *p; p++)
        put(t, *p == '"' ? "\"\"" : "%c", *p);
    put(t, "\"");
}

/* A JSON string. */
static void
put_json(text *t, const char *s)
{
    put(t, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(t, "\\%c", *p);
        else
            put(t, "%c", *p);
    }
    put(t, "\"");
}

#define CSV_HEADER "id,name,sector,lon,lat,observed,risk,observer\n"

/* One workplace row of CSV_HEADER; risk is written as given (text), so a
 * boundary such as 2.333 reaches the parser exactly as typed. */
static void
put_row(text *t, const char *id, const char *name, double lon, double lat,
        const char *observed, const char *risk, const char *observer)
{
    put_csv(t, id);
    put(t, ",");
    put_csv(t, name);
    put(t, ",karaoke_bar,%.7f,%.7f,%s,%s,", lon, lat, observed, risk);
    put_csv(t, observer ? observer : "");
    put(t, "\n");
}

/* A square area w,s,e,n as a GeoJSON feature (exterior ring
 * counter-clockwise). */
static void
put_square(text *t, int first, const char *code, const char *name, double w,
           double s, double e, double n)
{
    put(t, "%s{\"type\":\"Feature\",\"properties\":{\"code\":", first ? "" : ",\n");
    put_json(t, code);
    put(t, ",\"name_latin\":");
    put_json(t, name);
    put(t, "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],"
           "[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}}",
        w, s, e, s, e, n, w, n, w, s);
}

static void
save(text *t, const char *name)
{
    tu_write(in_dir(name), t->s ? t->s : "", t->len);
    free(t->s);
    memset(t, 0, sizeof *t);
}

static void
import_areas(const char *name, const char *level)
{
    RUN_OK("import", "--as", "areas", "--level", level, db, in_dir(name));
}

static void
import_workplaces(const char *name)
{
    RUN_OK("import", db, in_dir(name));
}

/* A fixed pseudo-random sequence in [0, 1), so fixtures are the same on
 * every run (the displacement itself is keyed by a fresh secret per store). */
static double
unit(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (double)((*state >> 8) & 0xffffff) / 16777216.0;
}

/* -------------------------------------------------------------------------
 * Independent readers: sqlite3 read-only, OGR, geodesic
 */

static sqlite3 *
db_open_ro(void)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
    cr_assert_eq(rc, SQLITE_OK, "sqlite3 cannot open %s: %s", db,
                 h ? sqlite3_errmsg(h) : "?");
    return h;
}

/* The keyed order of public files, from docs/export.md's statement:
 * HMAC-SHA256 under the hex secret of sinspace_meta over
 * "sinspace-order-v1" and the ext_id (each with its NUL), the first 8
 * bytes big-endian shifted right by one; ties by id.  As SQL
 * order_key(secret_hex, ext_id) on a test's own connection. */
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
    struct hmac_sha256_ctx hm;
    uint8_t d[SHA256_DIGEST_SIZE];
    hmac_sha256_set_key(&hm, n, key);
    hmac_sha256_update(&hm, sizeof "sinspace-order-v1",
                       (const uint8_t *)"sinspace-order-v1");
    hmac_sha256_update(&hm, strlen(ext) + 1, (const uint8_t *)ext);
    hmac_sha256_digest(&hm, sizeof d, d);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = (x << 8) | d[i];
    sqlite3_result_int64(c, (sqlite3_int64)(x >> 1));
}

static void
db_order_key(sqlite3 *h)
{
    cr_assert_eq(sqlite3_create_function(h, "order_key", 2, SQLITE_UTF8, NULL,
                                         order_key_sql, NULL, NULL), SQLITE_OK);
}

static sqlite3_stmt *
db_prepare(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s: %s",
                 sql, sqlite3_errmsg(h));
    return s;
}

static long long
db_int(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *s = db_prepare(h, sql);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s: no row", sql);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static double
geodesic_m(double lon1, double lat1, double lon2, double lat2)
{
    static struct geod_geodesic g;
    static int ready;
    if (!ready) {
        geod_init(&g, 6378137.0, 1.0 / 298.257223563);
        ready = 1;
    }
    double s12;
    geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

/* The area of the square w,s,e,n on WGS 84, km2. */
static double
square_km2(double w, double s, double e, double n)
{
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1.0 / 298.257223563);
    double lats[4] = {s, s, n, n}, lons[4] = {w, e, e, w};
    double a;
    geod_polygonarea(&g, lats, lons, 4, &a, NULL);
    return fabs(a) / 1e6;
}

/* A vector file's features as OGR reads them: point, and named fields as
 * text (NULL when unset or null). */
#define MAX_FEATURES 512
#define MAX_FIELDS 4

typedef struct feature {
    double lon, lat;
    char *field[MAX_FIELDS];
} feature;

typedef struct features {
    feature f[MAX_FEATURES];
    int n;
    char field_names[2048]; /* every field of the layer, ",a,b,c," */
} features;

static void
read_features(const char *path, const char *const *names, int n_names,
              features *fs)
{
    memset(fs, 0, sizeof *fs);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    cr_assert_not_null(ds, "OGR cannot open %s", path);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    size_t used = 1;
    fs->field_names[0] = ',';
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        int k = snprintf(fs->field_names + used, sizeof fs->field_names - used,
                         "%s,", fn);
        cr_assert(k > 0 && used + (size_t)k < sizeof fs->field_names);
        used += (size_t)k;
    }
    int idx[MAX_FIELDS];
    for (int i = 0; i < n_names; i++)
        idx[i] = OGR_FD_GetFieldIndex(defn, names[i]);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        cr_assert_lt(fs->n, MAX_FEATURES);
        feature *x = &fs->f[fs->n++];
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        x->lon = x->lat = NAN;
        if (g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
            x->lon = OGR_G_GetX(g, 0);
            x->lat = OGR_G_GetY(g, 0);
        }
        for (int i = 0; i < n_names; i++)
            if (idx[i] >= 0 && OGR_F_IsFieldSetAndNotNull(f, idx[i]))
                x->field[i] = strdup(OGR_F_GetFieldAsString(f, idx[i]));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

static void
free_features(features *fs)
{
    for (int i = 0; i < fs->n; i++)
        for (int k = 0; k < MAX_FIELDS; k++)
            free(fs->f[i].field[k]);
    fs->n = 0;
}

static int
has_field(const features *fs, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, ",%s,", name);
    return strstr(fs->field_names, key) != NULL;
}

/* =========================================================================
 * 1. Risk classes at the exact boundaries, on a first import and on a
 *    re-import (the refresh of a workplace's class from its observations).
 *
 * risk.h: low 1.0 <= r < 1.667, medium 1.667 <= r < 2.333, high 2.333 <= r.
 * Kills: in the re-import refresh (sinspace__refresh_risk's CASE, import.c)
 * `x.risk >= ?1` -> `x.risk > ?1` (2.333 became medium) and `x.risk >= ?2`
 * -> `>` (1.667 became low); on the first import the same mutations of
 * sinspace_risk_classify (risk.c).
 */

/* The class the store holds for ext_id, checking that its risk is exactly
 * the double want_risk (so the boundary really was hit). */
static void
expect_class(sqlite3 *h, const char *ext_id, double want_risk,
             const char *want_class)
{
    sqlite3_stmt *s = db_prepare(h,
        "SELECT risk = ?2, risk, risk_class FROM workplaces WHERE ext_id = ?1");
    sqlite3_bind_text(s, 1, ext_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, want_risk);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "no workplace %s", ext_id);
    cr_assert_eq(sqlite3_column_int(s, 0), 1, "%s: risk %.17g, not exactly %.17g",
                 ext_id, sqlite3_column_double(s, 1), want_risk);
    const char *cls = (const char *)sqlite3_column_text(s, 2);
    cr_assert_str_eq(cls ? cls : "(null)", want_class, "%s (risk %.17g)", ext_id,
                     want_risk);
    sqlite3_finalize(s);
}

Test(guards, risk_class_boundaries_first_import)
{
    text t = {0};
    put(&t, CSV_HEADER);
    put_row(&t, "H", "High edge", 98.98, 18.79, "2025-01-10", "2.333", NULL);
    put_row(&t, "M", "Medium edge", 98.99, 18.79, "2025-01-10", "1.667", NULL);
    put_row(&t, "H-", "Just below high", 98.97, 18.79, "2025-01-10", "2.3329999", NULL);
    put_row(&t, "M-", "Just below medium", 98.96, 18.79, "2025-01-10", "1.6669999", NULL);
    save(&t, "first.csv");
    import_workplaces("first.csv");

    sqlite3 *h = db_open_ro();
    expect_class(h, "H", SINSPACE_RISK_HIGH, "high");
    expect_class(h, "M", SINSPACE_RISK_MEDIUM, "medium");
    expect_class(h, "H-", 2.3329999, "medium");
    expect_class(h, "M-", 1.6669999, "low");
    sqlite3_close(h);
}

Test(guards, risk_class_boundaries_reimport)
{
    /* First seen far from the boundaries (and in the other classes)... */
    text t = {0};
    put(&t, CSV_HEADER);
    put_row(&t, "H", "To high edge", 98.98, 18.79, "2025-01-10", "1.0", NULL);
    put_row(&t, "M", "To medium edge", 98.99, 18.79, "2025-01-10", "3.0", NULL);
    put_row(&t, "H-", "Below high", 98.97, 18.79, "2025-01-10", "3.0", NULL);
    put_row(&t, "M-", "Below medium", 98.96, 18.79, "2025-01-10", "3.0", NULL);
    save(&t, "first.csv");
    import_workplaces("first.csv");
    sqlite3 *h = db_open_ro();
    expect_class(h, "H", 1.0, "low");
    expect_class(h, "M", 3.0, "high");
    sqlite3_close(h);

    /* ...then observed again later, exactly on them: the workplace row is
     * updated, and its class refreshed from its latest observation. */
    put(&t, CSV_HEADER);
    put_row(&t, "H", "To high edge", 98.98, 18.79, "2025-06-01", "2.333", NULL);
    put_row(&t, "M", "To medium edge", 98.99, 18.79, "2025-06-01", "1.667", NULL);
    put_row(&t, "H-", "Below high", 98.97, 18.79, "2025-06-01", "2.3329999", NULL);
    put_row(&t, "M-", "Below medium", 98.96, 18.79, "2025-06-01", "1.6669999", NULL);
    save(&t, "second.csv");
    import_workplaces("second.csv");

    h = db_open_ro();
    cr_assert_eq(db_int(h, "SELECT count(*) FROM observations"), 8);
    expect_class(h, "H", SINSPACE_RISK_HIGH, "high");
    expect_class(h, "M", SINSPACE_RISK_MEDIUM, "medium");
    expect_class(h, "H-", 2.3329999, "medium");
    expect_class(h, "M-", 1.6669999, "low");
    sqlite3_close(h);
}

/* =========================================================================
 * 2. Files written over an existing 0644 file end 0600.
 *
 * Each target is made first, mode 0644, with content; the command is run
 * with --overwrite (map, export and query keep an existing file without
 * it: tests/test_cli.c checks that), and the file must then be new and
 * private.
 * Kills: dropping the fchmod of open_private (render/page.c: the PDF and the
 * .pgw, .prj, .aux.xml sidecars kept 0644); dropping the fchmod of the
 * rejects file (io/import.c); dropping the chmod before rename of the
 * GPKG's files (io/export.c sink_publish: GDAL makes them 0644).
 */

static void
make_public_file(const char *name)
{
    const char *p = in_dir(name);
    tu_write_str(p, "old content, readable by all\n");
    cr_assert_eq(chmod(p, 0644), 0);
    cr_assert_eq(tu_mode(p), 0644);
}

/* Appends to bad what is wrong with name: not 0600, or not replaced. */
static void
check_replaced_private(const char *name, char *bad, size_t size)
{
    const char *p = in_dir(name);
    unsigned mode = tu_mode(p);
    char *content = tu_read(p, NULL);
    cr_assert_not_null(content);
    size_t len = strlen(bad);
    if (mode != 0600)
        snprintf(bad + len, size - len, " %s:mode-%04o", name, mode);
    len = strlen(bad);
    if (strstr(content, "old content"))
        snprintf(bad + len, size - len, " %s:not-replaced", name);
    free(content);
}

Test(guards, replaced_files_end_private)
{
    text t = {0};
    put(&t, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    put_square(&t, 1, "dist-a", "District A", 98.90, 18.70, 99.10, 18.90);
    put(&t, "]}\n");
    save(&t, "areas.geojson");
    import_areas("areas.geojson", "district");
    put(&t, CSV_HEADER);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "P%d", i);
        put_row(&t, id, "Fictional place", 98.95 + 0.01 * i, 18.80, "2025-01-10",
                "2.5", "observer x");
    }
    save(&t, "w.csv");
    import_workplaces("w.csv");

    const char *names[] = {"map.pdf", "map.png", "map.pgw", "map.prj",
                           "map.png.aux.xml", "out.geojson", "out.gpkg",
                           "rejects.csv", "query.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        make_public_file(names[i]);

    RUN_OK("map", db, "-o", in_dir("map.pdf"), "--bbox", "98.9,18.7,99.1,18.9",
           "--no-basemap", "--dpi", "40", "--overwrite");
    RUN_OK("map", db, "-o", in_dir("map.png"), "--bbox", "98.9,18.7,99.1,18.9",
           "--no-basemap", "--dpi", "40", "--overwrite");
    RUN_OK("export", db, "workplaces", "-o", in_dir("out.geojson"), "--overwrite");
    RUN_OK("export", db, "workplaces", "-o", in_dir("out.gpkg"), "--overwrite");

    put(&t, CSV_HEADER);
    put_row(&t, "Q1", "Good row", 98.95, 18.81, "2025-01-10", "2.0", NULL);
    put_row(&t, "Q2", "Bad row", 98.95, 18.81, "2025-01-10", "9.5", NULL);
    save(&t, "bad.csv");
    cr_assert_eq(RUN("import", db, in_dir("bad.csv"), "--skip-invalid",
                     in_dir("rejects.csv")), 0, "%s", err);

    RUN_OK("query", db, "--area", "District A", "--format", "csv", "-o",
           in_dir("query.csv"), "--overwrite");

    /* All checked before failing, so one run names every file astray. */
    char bad[1024] = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        check_replaced_private(names[i], bad, sizeof bad);
    cr_assert_str_eq(bad, "", "astray:%s", bad);
    /* What was written is what was asked for. */
    char *rej = tu_read(in_dir("rejects.csv"), NULL);
    cr_assert_not_null(strstr(rej, "Q2"));
    free(rej);
    char *q = tu_read(in_dir("query.csv"), NULL);
    cr_assert_not_null(strstr(q, "Q1"));
    free(q);
}

/* =========================================================================
 * 3. Public observations: nothing that names a workplace or an observer,
 *    and each point is its workplace's displaced point of the public
 *    workplaces file, never the exact one.
 *
 * Kills (seen): observation points left exact in public files (io/export.c
 * step_rows: geomasking only the workplaces layer); geomasking an
 * observation with another key than its workplace's (an empty ext_id).
 * Also guards: the observer or name column opened to the public.
 */

#define OBS_WORKPLACES 5

static double obs_lon[OBS_WORKPLACES], obs_lat[OBS_WORKPLACES];

static void
make_observations(void)
{
    /* Workplaces 60 km and more apart: a point displaced at most 10 km
     * still tells unambiguously whose it is.  One lies in a district, so
     * both the kept-inside and the free paths are taken. */
    text t = {0};
    put(&t, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    put_square(&t, 1, "obs-d", "Obs District", 97.80, 17.80, 98.20, 18.20);
    put(&t, "]}\n");
    save(&t, "areas.geojson");
    import_areas("areas.geojson", "district");
    const char *dates[2] = {"2024-03-01", "2025-03-01"};
    for (int pass = 0; pass < 2; pass++) {
        put(&t, CSV_HEADER);
        for (int i = 0; i < OBS_WORKPLACES; i++) {
            obs_lon[i] = 98.0 + 0.6 * i;
            obs_lat[i] = 18.0 + 0.3 * (i % 2);
            char id[16], name[64], observer[64], risk[16];
            snprintf(id, sizeof id, "OBSWP%d", i);
            snprintf(name, sizeof name, "Secret Name %d", i);
            snprintf(observer, sizeof observer, "Observer Person %d-%d", i, pass);
            snprintf(risk, sizeof risk, "%.1f", 1.0 + 0.4 * i + 0.1 * pass);
            put_row(&t, id, name, obs_lon[i], obs_lat[i], dates[pass], risk, observer);
        }
        save(&t, pass ? "obs2.csv" : "obs1.csv");
        import_workplaces(pass ? "obs2.csv" : "obs1.csv");
    }
}

/* The workplace whose exact point is nearest lon/lat, and how far it is. */
static int
nearest_obs_workplace(double lon, double lat, double *metres)
{
    int best = -1;
    double best_m = INFINITY;
    for (int i = 0; i < OBS_WORKPLACES; i++) {
        double m = geodesic_m(obs_lon[i], obs_lat[i], lon, lat);
        if (m < best_m) {
            best_m = m;
            best = i;
        }
    }
    *metres = best_m;
    return best;
}

Test(guards, public_observations_follow_displaced_workplaces)
{
    make_observations();
    RUN_OK("export", db, "workplaces", "--audience", "public", "-o",
           in_dir("wp.geojson"));
    RUN_OK("export", db, "observations", "--audience", "public", "-o",
           in_dir("obs.geojson"));

    sqlite3 *h = db_open_ro();
    long long n_obs = db_int(h, "SELECT count(*) FROM observations");
    cr_assert_eq(n_obs, 2 * OBS_WORKPLACES);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM workplaces"), OBS_WORKPLACES);
    sqlite3_close(h);

    /* Nothing that names a workplace or an observer: no such field and
     * none of their text. */
    features wp, ob;
    read_features(in_dir("wp.geojson"), NULL, 0, &wp);
    read_features(in_dir("obs.geojson"), NULL, 0, &ob);
    const char *withheld[] = {"name", "name_local", "workplace", "id", "observer",
                              "source", "source_note", "address", "area"};
    for (size_t i = 0; i < sizeof withheld / sizeof withheld[0]; i++) {
        cr_assert(!has_field(&ob, withheld[i]),
                  "public observations have field %s (%s)", withheld[i],
                  ob.field_names);
        cr_assert(!has_field(&wp, withheld[i]),
                  "public workplaces have field %s (%s)", withheld[i],
                  wp.field_names);
    }
    const char *files[] = {"wp.geojson", "obs.geojson"};
    for (int k = 0; k < 2; k++) {
        char *body = tu_read(in_dir(files[k]), NULL);
        cr_assert_not_null(body);
        const char *secrets[] = {"Secret Name", "Observer Person", "OBSWP",
                                 "\"observer\"", "\"name\"", "\"workplace\""};
        for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
            cr_assert_null(strstr(body, secrets[i]), "%s holds %s", files[k],
                           secrets[i]);
        free(body);
    }

    /* Public workplaces: one point each, none at (or within 100 m of) any
     * exact location. */
    cr_assert_eq(wp.n, OBS_WORKPLACES);
    int wp_owner[OBS_WORKPLACES];
    int seen[OBS_WORKPLACES] = {0};
    for (int i = 0; i < wp.n; i++) {
        for (int k = 0; k < OBS_WORKPLACES; k++) {
            double m = geodesic_m(obs_lon[k], obs_lat[k], wp.f[i].lon, wp.f[i].lat);
            cr_assert_geq(m, 99.0, "public workplace %d is %.1f m from an exact point",
                          i, m);
        }
        double m;
        wp_owner[i] = nearest_obs_workplace(wp.f[i].lon, wp.f[i].lat, &m);
        cr_assert_leq(m, 10001.0);
        seen[wp_owner[i]]++;
    }
    for (int k = 0; k < OBS_WORKPLACES; k++)
        cr_assert_eq(seen[k], 1, "workplace %d appears %d times", k, seen[k]);

    /* Each observation sits exactly on its own workplace's public point. */
    cr_assert_eq(ob.n, n_obs);
    int per[OBS_WORKPLACES] = {0};
    for (int i = 0; i < ob.n; i++) {
        double m;
        int owner = nearest_obs_workplace(ob.f[i].lon, ob.f[i].lat, &m);
        cr_assert_geq(m, 99.0, "observation %d is %.1f m from its exact point", i, m);
        cr_assert_leq(m, 10001.0);
        int match = -1;
        for (int k = 0; k < wp.n; k++)
            if (wp.f[k].lon == ob.f[i].lon && wp.f[k].lat == ob.f[i].lat)
                match = k;
        cr_assert_geq(match, 0, "observation %d (%.6f, %.6f) is at no public "
                      "workplace point", i, ob.f[i].lon, ob.f[i].lat);
        cr_assert_eq(wp_owner[match], owner);
        per[owner]++;
    }
    for (int k = 0; k < OBS_WORKPLACES; k++)
        cr_assert_eq(per[k], 2);
    free_features(&wp);
    free_features(&ob);
}

/* =========================================================================
 * 4. k-suppression at its boundary: a district with exactly K workplaces
 *    is shown, one with K-1 is withheld (docs/export.md: "fewer than").
 *
 * Kills (seen): `count < min_count` -> `count <= min_count` (io/export.c
 * step_rows).  Also guards: --min-count not reaching the export.
 */

static void
make_districts(void)
{
    text t = {0};
    put(&t, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    put_square(&t, 1, "k-five", "Five", 98.00, 18.00, 98.10, 18.10);
    put_square(&t, 0, "k-four", "Four", 98.50, 18.00, 98.60, 18.10);
    put_square(&t, 0, "k-three", "Three", 99.00, 18.00, 99.10, 18.10);
    put(&t, "]}\n");
    save(&t, "districts.geojson");
    import_areas("districts.geojson", "district");
    put(&t, CSV_HEADER);
    const double west[3] = {98.00, 98.50, 99.00};
    const int count[3] = {5, 4, 3};
    for (int d = 0; d < 3; d++)
        for (int i = 0; i < count[d]; i++) {
            char id[16];
            snprintf(id, sizeof id, "K%d-%d", d, i);
            put_row(&t, id, "Fictional", west[d] + 0.02 + 0.01 * i, 18.05,
                    "2025-01-10", "2.0", NULL);
        }
    save(&t, "k.csv");
    import_workplaces("k.csv");
}

/* The public aggregate of path: per code, the count shown (-1: withheld)
 * and the suppressed flag. */
static void
expect_aggregate(const char *path, const char *code, long long shown,
                 int suppressed)
{
    const char *names[] = {"code", "workplaces", "suppressed"};
    features fs;
    read_features(path, names, 3, &fs);
    int found = 0;
    for (int i = 0; i < fs.n; i++) {
        if (!fs.f[i].field[0] || strcmp(fs.f[i].field[0], code))
            continue;
        found++;
        if (shown < 0)
            cr_assert_null(fs.f[i].field[1], "%s: %s shows %s", path, code,
                           fs.f[i].field[1]);
        else {
            cr_assert_not_null(fs.f[i].field[1], "%s: %s withheld", path, code);
            cr_assert_eq(atoll(fs.f[i].field[1]), shown);
        }
        cr_assert_not_null(fs.f[i].field[2]);
        cr_assert_eq(atoi(fs.f[i].field[2]) != 0, suppressed, "%s: %s suppressed=%s",
                     path, code, fs.f[i].field[2]);
    }
    cr_assert_eq(found, 1, "%s: %d features for %s", path, found, code);
    free_features(&fs);
}

Test(guards, k_suppression_boundary)
{
    make_districts();
    sqlite3 *h = db_open_ro();
    /* The fixture as meant: membership by the store's own table. */
    cr_assert_eq(db_int(h, "SELECT count(*) FROM area_members AS m JOIN areas AS a"
                           " ON a.id = m.area_id WHERE a.code = 'k-four'"), 4);
    sqlite3_close(h);

    /* The API with its default K = 5. */
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &s), SINSPACE_OK);
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    cr_assert_eq(o.min_count, 5);
    o.layer = SINSPACE_EXPORT_WORKPLACES;
    o.audience = SINSPACE_AUDIENCE_PUBLIC;
    o.aggregate = 1;
    o.level = SINSPACE_LEVEL_DISTRICT;
    sinspace_export_result r;
    cr_assert_eq(sinspace_export(s, in_dir("k5.geojson"), &o, &r), SINSPACE_OK,
                 "%s", sinspace_context_message(ctx));
    cr_assert_eq(r.suppressed, 2);
    sinspace_store_close(s);
    sinspace_context_destroy(ctx);
    expect_aggregate(in_dir("k5.geojson"), "k-five", 5, 0);
    expect_aggregate(in_dir("k5.geojson"), "k-four", -1, 1);
    expect_aggregate(in_dir("k5.geojson"), "k-three", -1, 1);

    /* The command with K = 4 and K = 3. */
    RUN_OK("export", db, "workplaces", "--aggregate", "--audience", "public",
           "--min-count", "4", "-o", in_dir("k4.geojson"));
    expect_aggregate(in_dir("k4.geojson"), "k-five", 5, 0);
    expect_aggregate(in_dir("k4.geojson"), "k-four", 4, 0);
    expect_aggregate(in_dir("k4.geojson"), "k-three", -1, 1);
    RUN_OK("export", db, "workplaces", "--aggregate", "--audience", "public",
           "--min-count", "3", "-o", in_dir("k3.geojson"));
    expect_aggregate(in_dir("k3.geojson"), "k-four", 4, 0);
    expect_aggregate(in_dir("k3.geojson"), "k-three", 3, 0);
}

/* =========================================================================
 * 5. Displacement limits, measured independently.
 *
 * The rule (geo/geomask.h): a workplace is urban when its subdistrict (else
 * its district) holds at least SINSPACE_GEOMASK_URBAN_DENSITY (1.0) mapped
 * workplaces per km2; urban points move 100 m .. 2 km, rural ones 100 m ..
 * 5 km, 1 in 100 rural ones up to 10 km.  Urban or rural is decided here by
 * SQL on the store (area_members counts over area_km2, which is checked
 * against the squares' own geodesic area), distances by geod_inverse from
 * the exact points this test made.
 *
 * With a fresh random secret per store the distances are random; the
 * numbers of workplaces make a mutant pass only with odds below 1e-4.
 * Kills: SINSPACE_GEOMASK_URBAN_M 2000 -> 2500; SINSPACE_GEOMASK_RURAL_M
 * 5000 -> 6000; SINSPACE_GEOMASK_MIN_M 100 -> 0; density judged on the
 * subdistrict only (`rank >= DISTRICT` -> `rank > DISTRICT` in geomask.c:
 * the dense district without subdistricts turned rural).  Also guards:
 * every workplace treated as urban (rural never beyond 2 km).
 */

#define U_N 150 /* urban subdistrict */
#define D_N 60  /* urban district without subdistricts */
#define R_N 150 /* rural subdistrict */
#define ALL_N (U_N + D_N + R_N)

static double ex_lon[ALL_N], ex_lat[ALL_N];

/* name, w, s, e, n, level */
static const struct {
    const char *code, *name;
    double w, s, e, n;
    const char *level;
} disp_areas[] = {
    {"big", "Big District", 99.00, 18.60, 99.30, 18.90, "district"},
    {"small", "Small District", 99.40, 18.70, 99.44, 18.74, "district"},
    {"old-town", "Old Town", 99.14, 18.74, 99.16, 18.76, "subdistrict"},
    {"farmland", "Farmland", 99.00, 18.60, 99.30, 18.70, "subdistrict"},
};

static void
make_displacement(void)
{
    text t = {0};
    for (int level = 0; level < 2; level++) {
        const char *lv = level ? "subdistrict" : "district";
        put(&t, "{\"type\":\"FeatureCollection\",\"features\":[\n");
        int first = 1;
        for (size_t i = 0; i < sizeof disp_areas / sizeof disp_areas[0]; i++) {
            if (strcmp(disp_areas[i].level, lv))
                continue;
            put_square(&t, first, disp_areas[i].code, disp_areas[i].name,
                       disp_areas[i].w, disp_areas[i].s, disp_areas[i].e,
                       disp_areas[i].n);
            first = 0;
        }
        put(&t, "]}\n");
        save(&t, "a.geojson");
        import_areas("a.geojson", lv);
    }
    unsigned seed = 22;
    put(&t, CSV_HEADER);
    for (int i = 0; i < ALL_N; i++) {
        double lon, lat;
        if (i < U_N) { /* inside Old Town */
            lon = 99.143 + 0.014 * unit(&seed);
            lat = 18.743 + 0.014 * unit(&seed);
        } else if (i < U_N + D_N) { /* near the middle of Small District */
            lon = 99.417 + 0.006 * unit(&seed);
            lat = 18.717 + 0.006 * unit(&seed);
        } else { /* Farmland, away from Big District's edge */
            lon = 99.10 + 0.10 * unit(&seed);
            lat = 18.64 + 0.04 * unit(&seed);
        }
        char cell[32], id[16];
        /* The exact point is the one the CSV says, to its last digit. */
        snprintf(cell, sizeof cell, "%.7f", lon);
        ex_lon[i] = strtod(cell, NULL);
        snprintf(cell, sizeof cell, "%.7f", lat);
        ex_lat[i] = strtod(cell, NULL);
        snprintf(id, sizeof id, "D%03d", i);
        put_row(&t, id, "Fictional", ex_lon[i], ex_lat[i], "2025-01-10", "2.0", NULL);
    }
    save(&t, "d.csv");
    import_workplaces("d.csv");
}

Test(guards, displacement_limits_measured_independently)
{
    make_displacement();
    RUN_OK("export", db, "workplaces", "--audience", "public", "-o",
           in_dir("public.geojson"));
    features fs;
    read_features(in_dir("public.geojson"), NULL, 0, &fs);
    cr_assert_eq(fs.n, ALL_N);

    sqlite3 *h = db_open_ro();
    /* The stored areas are the squares made here. */
    sqlite3_stmt *km2 = db_prepare(h, "SELECT area_km2 FROM areas WHERE code = ?1");
    for (size_t i = 0; i < sizeof disp_areas / sizeof disp_areas[0]; i++) {
        sqlite3_reset(km2);
        sqlite3_bind_text(km2, 1, disp_areas[i].code, -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(km2), SQLITE_ROW);
        cr_assert_neq(sqlite3_column_type(km2, 0), SQLITE_NULL);
        double want = square_km2(disp_areas[i].w, disp_areas[i].s, disp_areas[i].e,
                                 disp_areas[i].n);
        double got = sqlite3_column_double(km2, 0);
        cr_assert(fabs(got - want) < 0.01 * want, "%s: %.3f km2, not %.3f",
                  disp_areas[i].code, got, want);
    }
    sqlite3_finalize(km2);

    /* Per workplace, in the order public files number them (1..n in
     * the keyed order, docs/export.md; a wrong pairing could only make
     * distances fail, never pass): its ext_id and the density of its
     * subdistrict, else its district. */
    db_order_key(h);
    sqlite3_stmt *s = db_prepare(h,
        "SELECT w.ext_id,"
        " (SELECT CAST((SELECT count(*) FROM area_members AS c"
        "               WHERE c.area_id = a.id) AS REAL) / a.area_km2"
        "  FROM area_members AS m JOIN areas AS a ON a.id = m.area_id"
        "  WHERE m.workplace_id = w.id AND a.level_rank IN (2, 3)"
        "  ORDER BY a.level_rank DESC LIMIT 1)"
        " FROM workplaces AS w ORDER BY order_key((SELECT value FROM"
        " sinspace_meta WHERE key = 'geomask_secret'), w.ext_id), w.id");
    int k = 0, urban = 0, rural = 0, far = 0, rural_beyond_2km = 0;
    int urban_beyond_1500 = 0, near_min = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        cr_assert_lt(k, fs.n);
        const char *ext = (const char *)sqlite3_column_text(s, 0);
        cr_assert(ext && ext[0] == 'D');
        int i = atoi(ext + 1);
        cr_assert(i >= 0 && i < ALL_N);
        cr_assert_neq(sqlite3_column_type(s, 1), SQLITE_NULL, "%s: no area", ext);
        double density = sqlite3_column_double(s, 1);
        int is_urban = density >= 1.0; /* SINSPACE_GEOMASK_URBAN_DENSITY */
        /* The fixture as designed, far from the threshold either way. */
        cr_assert_eq(is_urban, i < U_N + D_N, "%s: density %.3f", ext, density);
        cr_assert(density > 2.0 || density < 0.6, "%s: density %.3f", ext, density);

        double m = geodesic_m(ex_lon[i], ex_lat[i], fs.f[k].lon, fs.f[k].lat);
        cr_assert_geq(m, 100.0 - 1.0, "%s moved only %.1f m", ext, m);
        if (m < 300.0)
            near_min++;
        if (is_urban) {
            urban++;
            cr_assert_leq(m, 2000.0 + 1.0, "urban %s moved %.1f m", ext, m);
            if (m > 1500.0)
                urban_beyond_1500++;
        } else {
            rural++;
            cr_assert_leq(m, 10000.0 + 1.0, "rural %s moved %.1f m", ext, m);
            if (m > 5000.0 + 1.0)
                far++;
            if (m > 2000.0 + 1.0)
                rural_beyond_2km++;
        }
        k++;
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    cr_assert_eq(k, ALL_N);
    cr_assert_eq(urban, U_N + D_N);
    cr_assert_eq(rural, R_N);
    /* 1 in 100 rural ones may go beyond 5 km: about 1.5 of 150 expected;
     * more than 8 has odds near 2e-5. */
    cr_assert_leq(far, 8, "%d of %d rural workplaces moved beyond 5 km", far, rural);
    /* The limits are used, not merely respected: each has odds below 1e-9
     * to fail by chance. */
    cr_assert_gt(rural_beyond_2km, 0);
    cr_assert_gt(urban_beyond_1500, 0);
    cr_assert_gt(near_min, 0);
    free_features(&fs);
}

/* =========================================================================
 * 6. Names made of SQL and quoting stay data.
 *
 * Workplace, area and fence names full of ', ", ;, --, $$ and an
 * "'); DROP TABLE workplaces; --" are imported, selected by --area and
 * --fence, exported, and read back byte for byte, and every table is still
 * there with its rows.
 * Kills (seen): the fence name spliced into the SQL text of
 * sinspace_region_from_fence (geo/region.c) instead of bound.  Also guards:
 * the same splice elsewhere (a statement fails or a table goes), and any
 * escaping that changes the bytes (the read-back differs).
 */

static const char *const hostile[] = {
    "O'Brien's ''Bar'''",
    "The \"Big\" \"\"Star\"\"\"",
    "a;b; ;c;;",
    "x -- y --",
    "$$ $q$ body $q$ $$",
    "'); DROP TABLE workplaces; --",
    "\"); DROP TABLE areas; --",
    "'; DROP TABLE fences; SELECT '",
};
#define N_HOSTILE ((int)(sizeof hostile / sizeof hostile[0]))

/* Area i: a square of its own; workplace i in its middle. */
static double
hostile_west(int i)
{
    return 98.0 + 0.2 * i;
}

static void
make_hostile(void)
{
    text t = {0};
    put(&t, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (int i = 0; i < N_HOSTILE; i++) {
        char code[16];
        snprintf(code, sizeof code, "h-%d", i);
        put_square(&t, i == 0, code, hostile[i], hostile_west(i), 18.0,
                   hostile_west(i) + 0.1, 18.1);
    }
    put(&t, "]}\n");
    save(&t, "areas.geojson");
    import_areas("areas.geojson", "district");
    put(&t, CSV_HEADER);
    for (int i = 0; i < N_HOSTILE; i++) {
        char id[16];
        snprintf(id, sizeof id, "H%d", i);
        put_row(&t, id, hostile[i], hostile_west(i) + 0.05, 18.05, "2025-01-10",
                "2.0", hostile[i]);
    }
    save(&t, "h.csv");
    import_workplaces("h.csv");
    for (int i = 0; i < N_HOSTILE; i++) {
        char poly[64];
        snprintf(poly, sizeof poly, "fence%d.geojson", i);
        put(&t, "{\"type\":\"Polygon\",\"coordinates\":[[[%.2f,18.01],"
                "[%.2f,18.01],[%.2f,18.09],[%.2f,18.09],[%.2f,18.01]]]}\n",
            hostile_west(i) + 0.01, hostile_west(i) + 0.09, hostile_west(i) + 0.09,
            hostile_west(i) + 0.01, hostile_west(i) + 0.01);
        save(&t, poly);
        RUN_OK("fence", "add", db, hostile[i], in_dir(poly), "--description",
               hostile[i]);
    }
}

/* Every table the store had is there, with the rows this test put in. */
static void
expect_tables_intact(void)
{
    sqlite3 *h = db_open_ro();
    const char *tables[] = {"workplaces", "observations", "areas", "area_members",
                            "fences", "audit", "sectors", "indicators",
                            "sinspace_meta", "imports", "zones", "tiles"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        sqlite3_stmt *s = db_prepare(h,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
        sqlite3_bind_text(s, 1, tables[i], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        cr_assert_eq(sqlite3_column_int(s, 0), 1, "table %s is gone", tables[i]);
        sqlite3_finalize(s);
    }
    cr_assert_eq(db_int(h, "SELECT count(*) FROM workplaces"), N_HOSTILE);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM observations"), N_HOSTILE);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM areas"), N_HOSTILE);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM fences"), N_HOSTILE);
    cr_assert_gt(db_int(h, "SELECT count(*) FROM sectors"), 5);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM indicators"), SINSPACE_INDICATORS);
    /* Stored byte for byte. */
    sqlite3_stmt *s = db_prepare(h,
        "SELECT (SELECT name FROM workplaces WHERE ext_id = ?1),"
        " (SELECT name_latin FROM areas WHERE code = ?2),"
        " (SELECT count(*) FROM fences WHERE name = ?3 AND description = ?3),"
        " (SELECT o.observer FROM observations AS o JOIN workplaces AS w"
        "  ON w.id = o.workplace_id WHERE w.ext_id = ?1)");
    for (int i = 0; i < N_HOSTILE; i++) {
        char id[16], code[16];
        snprintf(id, sizeof id, "H%d", i);
        snprintf(code, sizeof code, "h-%d", i);
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, hostile[i], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        const char *a = (const char *)sqlite3_column_text(s, 0);
        cr_assert_str_eq(a ? a : "(null)", hostile[i]);
        const char *b = (const char *)sqlite3_column_text(s, 1);
        cr_assert_str_eq(b ? b : "(null)", hostile[i]);
        cr_assert_eq(sqlite3_column_int(s, 2), 1, "fence %s", hostile[i]);
        const char *c = (const char *)sqlite3_column_text(s, 3);
        cr_assert_str_eq(c ? c : "(null)", hostile[i]);
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
}

/* The query output (GeoJSON) holds exactly workplace i, its name intact. */
static void
expect_only(const char *path, int i)
{
    const char *names[] = {"id", "name"};
    features fs;
    read_features(path, names, 2, &fs);
    cr_assert_eq(fs.n, 1, "%s: %d workplaces for %s", path, fs.n, hostile[i]);
    char id[16];
    snprintf(id, sizeof id, "H%d", i);
    cr_assert_str_eq(fs.f[0].field[0] ? fs.f[0].field[0] : "(null)", id);
    cr_assert_str_eq(fs.f[0].field[1] ? fs.f[0].field[1] : "(null)", hostile[i]);
    free_features(&fs);
}

Test(guards, hostile_names_stay_data)
{
    make_hostile();
    expect_tables_intact();

    /* Selected by area name and by fence name, through the command. */
    for (int i = 0; i < N_HOSTILE; i++) {
        RUN_OK("query", db, "--area", hostile[i], "--format", "geojson", "-o",
               in_dir("by-area.geojson"), "--overwrite");
        expect_only(in_dir("by-area.geojson"), i);
        RUN_OK("query", db, "--fence", hostile[i], "--format", "geojson", "-o",
               in_dir("by-fence.geojson"), "--overwrite");
        expect_only(in_dir("by-fence.geojson"), i);
        RUN_OK("export", db, "workplaces", "--audience", "partner", "--fence",
               hostile[i], "-o", in_dir("one.geojson"), "--overwrite");
        expect_only(in_dir("one.geojson"), i);
    }

    /* And through the API. */
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s), SINSPACE_OK);
    for (int i = 0; i < N_HOSTILE; i++) {
        sinspace_region *r = NULL;
        cr_assert_eq(sinspace_region_from_area(s, hostile[i], &r), SINSPACE_OK,
                     "%s: %s", hostile[i], sinspace_context_message(ctx));
        double bb[4];
        cr_assert_eq(sinspace_region_bounds(r, bb), SINSPACE_OK);
        cr_assert_float_eq(bb[0], hostile_west(i), 1e-9);
        sinspace_region_destroy(r);
        r = NULL;
        cr_assert_eq(sinspace_region_from_fence(s, hostile[i], &r), SINSPACE_OK,
                     "%s: %s", hostile[i], sinspace_context_message(ctx));
        cr_assert_eq(sinspace_region_bounds(r, bb), SINSPACE_OK);
        cr_assert_float_eq(bb[0], hostile_west(i) + 0.01, 1e-9);
        sinspace_region_destroy(r);
    }
    sinspace_store_close(s);
    sinspace_context_destroy(ctx);

    /* Exported and read back byte for byte: workplaces (name, observer),
     * areas and fences (name, description). */
    RUN_OK("export", db, "workplaces", "--audience", "internal", "-o",
           in_dir("wp.geojson"));
    RUN_OK("export", db, "areas", "--audience", "internal", "-o",
           in_dir("areas.gpkg"));
    RUN_OK("export", db, "fences", "--audience", "internal", "-o",
           in_dir("fences.geojson"));
    struct {
        const char *file;
        const char *fields[3];
    } reads[] = {
        {"wp.geojson", {"name", "observer", "id"}},
        {"areas.gpkg", {"name_latin", "name_latin", "code"}},
        {"fences.geojson", {"name", "description", "name"}},
    };
    for (size_t r = 0; r < sizeof reads / sizeof reads[0]; r++) {
        features fs;
        read_features(in_dir(reads[r].file), reads[r].fields, 3, &fs);
        cr_assert_eq(fs.n, N_HOSTILE, "%s: %d features", reads[r].file, fs.n);
        int seen[N_HOSTILE] = {0};
        for (int i = 0; i < fs.n; i++) {
            int match = -1;
            for (int k = 0; k < N_HOSTILE; k++)
                if (fs.f[i].field[0] && !strcmp(fs.f[i].field[0], hostile[k]))
                    match = k;
            cr_assert_geq(match, 0, "%s: name '%s' is none of the names",
                          reads[r].file, fs.f[i].field[0] ? fs.f[i].field[0] : "(null)");
            cr_assert_str_eq(fs.f[i].field[1] ? fs.f[i].field[1] : "(null)",
                             hostile[match], "%s", reads[r].file);
            seen[match]++;
        }
        for (int k = 0; k < N_HOSTILE; k++)
            cr_assert_eq(seen[k], 1, "%s: %s seen %d times", reads[r].file,
                         hostile[k], seen[k]);
        free_features(&fs);
    }

    /* Removing a fence by such a name removes that fence only. */
    RUN_OK("fence", "rm", db, hostile[5]);
    sqlite3 *h = db_open_ro();
    cr_assert_eq(db_int(h, "SELECT count(*) FROM fences"), N_HOSTILE - 1);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM workplaces"), N_HOSTILE);
    sqlite3_close(h);
}

/* =========================================================================
 * 6. The workplaces_risk layer (layers/10-workplaces_risk.sql) has the
 *    columns docs/store.md promises and no others: sector labels, risk and
 *    class, and never an address, source, note or observer ("a map layer
 *    is what anyone holding the map sees").  Read as QGIS reads it, through
 *    OGR, and its values checked against the base tables by SQL.
 *
 * Kills: a personal column (w.address, w.source, w.source_note) added to
 * the view; the class or the label taken from the wrong column; the join
 * to sectors dropped (labels gone) or made an outer join of the wrong side.
 */

Test(guards, workplaces_risk_layer_columns)
{
    text t = {0};
    put(&t, "id,name,sector,lon,lat,address,source,source_note,observed,risk,observer\n");
    put(&t, "R1,Fictional R1,karaoke_bar,98.95,18.75,\"1 Secret Road\",primary,"
            "\"informant Somchai\",2025-01-10,2.5,\"observer Nok\"\n");
    put(&t, "R2,Fictional R2,brothel,98.96,18.76,\"2 Secret Road\",secondary,"
            "\"note two\",2025-01-10,1.2,\"observer Ploy\"\n");
    save(&t, "r.csv");
    import_workplaces("r.csv");

    /* The view's columns, as the database declares them. */
    static const char *const want[] = {
        "id", "ext_id", "name", "name_local", "sector", "sector_label",
        "sector_label_th", "status", "risk", "risk_class", "area_code",
        "first_seen", "last_seen"};
    const size_t n_want = sizeof want / sizeof want[0];
    sqlite3 *h = db_open_ro();
    sqlite3_stmt *s = db_prepare(h, "SELECT name FROM pragma_table_info('workplaces_risk')");
    char seen[1024] = ",";
    while (sqlite3_step(s) == SQLITE_ROW) {
        strncat(seen, (const char *)sqlite3_column_text(s, 0),
                sizeof seen - strlen(seen) - 2);
        strcat(seen, ",");
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < n_want; i++) {
        char key[64];
        snprintf(key, sizeof key, ",%s,", want[i]);
        cr_assert_not_null(strstr(seen, key), "workplaces_risk lacks %s: %s", want[i], seen);
    }
    static const char *const never[] = {",address,", ",source,", ",source_note,",
                                        ",observer,", ",note,", ",notes,"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        cr_assert_null(strstr(seen, never[i]), "workplaces_risk shows %s: %s",
                       never[i], seen);

    /* Through OGR, as a GIS opens the layer: the same fields (and only
     * those, besides its geometry), the personal text nowhere. */
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(db, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "workplaces_risk");
    cr_assert_not_null(l, "OGR does not list the layer workplaces_risk");
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    int n_fields = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n_fields; i++) {
        const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        int ok = 0;
        for (size_t k = 0; k < n_want; k++)
            ok |= !strcmp(fn, want[k]);
        cr_assert(ok, "OGR shows the field %s in workplaces_risk", fn);
    }
    cr_assert_geq(n_fields, (int)n_want - 1, "%d fields", n_fields); /* id may be the FID */
    OGRFeatureH f;
    int n_read = 0;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        n_read++;
        for (int i = 0; i < n_fields; i++) {
            const char *v = OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsString(f, i) : "";
            cr_assert_null(strstr(v, "Secret"), "address in workplaces_risk: %s", v);
            cr_assert_null(strstr(v, "informant"), "note in workplaces_risk: %s", v);
            cr_assert_null(strstr(v, "observer "), "observer in workplaces_risk: %s", v);
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        cr_assert(g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    cr_assert_eq(n_read, 2);

    /* Its values are the base tables', joined here by the test's own SQL. */
    cr_assert_eq(db_int(h,
        "SELECT count(*) FROM workplaces_risk AS v JOIN workplaces AS w ON w.id = v.id"
        " JOIN sectors AS s ON s.code = w.sector"
        " WHERE v.ext_id IS w.ext_id AND v.name IS w.name AND v.sector IS w.sector"
        " AND v.sector_label IS s.label_en AND v.sector_label_th IS s.label_th"
        " AND v.risk IS w.risk AND v.risk_class IS w.risk_class"
        " AND v.status IS w.status AND v.area_code IS w.area_code"
        " AND v.sector_label IS NOT NULL AND v.sector_label_th IS NOT NULL"
        " AND v.geom = w.geom"), 2);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM workplaces_risk WHERE"
                           " (ext_id = 'R1' AND risk_class = 'high' AND risk = 2.5)"
                           " OR (ext_id = 'R2' AND risk_class = 'low' AND risk = 1.2)"), 2);
    sqlite3_close(h);
}

/* =========================================================================
 * 7. An interrupted export keeps the old file: the caller's progress
 *    callback stops an export (SINSPACE_INTERRUPTED, as Ctrl-C in a GUI
 *    would) after its first 10,000 rows; the file it was to replace still
 *    has its old bytes and mode, and nothing else is left in the folder
 *    (no temporary file, no temporary folder, no half Shapefile).
 *
 * Kills: a writer opening its final path directly (fopen(path, "w")), or
 * renaming its temporary file into place before the last row; the abort
 * path leaving the temporary file or folder behind.
 */

static int
stop_at_once(void *user, const char *task, double done, double total)
{
    (void)task;
    (void)done;
    (void)total;
    (*(int *)user)++;
    return 1;
}

/* The names in the test's folder, sorted, ",a,b," (stdout/stderr files of
 * the command runs left out). */
static void
list_dir(char *outbuf, size_t size)
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -v '^std' | sort", dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    snprintf(outbuf, size, ",");
    char line[512];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        strncat(outbuf, line, size - strlen(outbuf) - 2);
        strcat(outbuf, ",");
    }
    pclose(p);
}

Test(guards, interrupted_export_keeps_old_file)
{
    /* More rows than the export's progress interval (10,000). */
    text t = {0};
    put(&t, CSV_HEADER);
    unsigned st_rand = 7;
    for (int i = 0; i < 10050; i++) {
        char id[16];
        snprintf(id, sizeof id, "X%05d", i);
        put_row(&t, id, "Fictional", 98.9 + 0.1 * unit(&st_rand),
                18.7 + 0.1 * unit(&st_rand), "2025-01-10", "1.5", NULL);
    }
    save(&t, "many.csv");
    import_workplaces("many.csv");

    static const char *const files[] = {"old.geojson", "old.csv", "old.gpkg",
                                        "old.fgb", "old.shp"};
    static const char old_bytes[] = "the old file, which must survive\n";
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        const char *path = in_dir(files[k]);
        tu_write(path, old_bytes, sizeof old_bytes - 1);
        cr_assert_eq(chmod(path, 0644), 0);
        char before[4096], after[4096];
        list_dir(before, sizeof before);

        sinspace_context *ctx = sinspace_context_create();
        int calls = 0;
        sinspace_context_set_progress(ctx, stop_at_once, &calls);
        sinspace_store *s = NULL;
        cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &s), SINSPACE_OK);
        sinspace_export_options o;
        sinspace_export_options_init(&o);
        o.layer = SINSPACE_EXPORT_WORKPLACES;
        o.audience = SINSPACE_AUDIENCE_INTERNAL;
        o.format = sinspace_export_format_from_path(path);
        /* Asked to replace the old file, and stopped before it could. */
        o.overwrite = 1;
        sinspace_status st = sinspace_export(s, path, &o, NULL);
        cr_assert_eq(st, SINSPACE_INTERRUPTED, "%s: status %d (%s)", files[k], st,
                     sinspace_context_message(ctx));
        cr_assert_geq(calls, 1, "%s: the progress callback was never called", files[k]);
        sinspace_store_close(s);
        sinspace_context_destroy(ctx);

        size_t size = 0;
        char *now = tu_read(path, &size);
        cr_assert_not_null(now, "%s: the old file is gone", files[k]);
        cr_assert(size == sizeof old_bytes - 1 && !memcmp(now, old_bytes, size),
                  "%s: the old file was changed (%zu bytes)", files[k], size);
        free(now);
        struct stat sb;
        cr_assert_eq(stat(path, &sb), 0);
        cr_assert_eq(sb.st_mode & 07777, 0644, "%s: mode %o", files[k],
                     (unsigned)(sb.st_mode & 07777));
        list_dir(after, sizeof after);
        cr_assert_str_eq(after, before, "%s: the folder changed", files[k]);
    }

    /* And the same export, not interrupted, does replace it (so the test
     * above stopped a real replacement). */
    RUN_OK("export", db, "workplaces", "--audience", "internal", "--overwrite",
           "-o", in_dir("old.geojson"));
    size_t size = 0;
    char *now = tu_read(in_dir("old.geojson"), &size);
    cr_assert(now && size > 10000 && strstr(now, "X10049"));
    free(now);
}

/* =========================================================================
 * 8. Usage errors the library finds (not the option parser) exit 2, as the
 *    command's help says ("2 usage error (bad command line)"): a token too
 *    short for `serve`, filters given to a layer that has none.  Nothing is
 *    written.
 *
 * Kills: SINSPACE_INVALID_ARGUMENT mapped to exit 1 in cli_exit_status
 * (cli/main.c); the option parser's own exits were tested, this path not.
 */

Test(guards, library_usage_errors_exit_2)
{
    int rc = RUN("serve", db, "--token", "short", "--port", "0");
    cr_assert_eq(rc, 2, "serve --token short: exit %d; stderr:\n%s", rc, err);
    cr_assert_not_null(strstr(err, "token"), "the message names the token: %s", err);
    rc = RUN("export", db, "areas", "--min-risk", "2", "-o", in_dir("a.geojson"));
    cr_assert_eq(rc, 2, "export areas --min-risk: exit %d; stderr:\n%s", rc, err);
    cr_assert_not_null(strstr(err, "filters"), "the message names the filters: %s", err);
    cr_assert_neq(access(in_dir("a.geojson"), F_OK), 0, "a file was written");
}
