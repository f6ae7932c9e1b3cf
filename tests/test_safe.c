/* test_safe.c: safe writing and strict dates (GitHub issue 13, items 5
 * and 6).
 *
 * - export, map, atlas and query -o keep an existing file byte for byte
 *   (exit 1, the file named and --overwrite suggested, nothing else
 *   written: no temporary file, no audit row) and replace it with
 *   --overwrite (mode 0600 whatever it was);
 * - the refusal is atomic: a file that appears between the check and the
 *   final move is kept too (core/outfile.h), and a set of files (a PNG
 *   with its sidecars) is placed whole or not at all;
 * - export formats are named as GDAL names them, in any case (checked
 *   against GDAL's own driver metadata, and the file written is read back
 *   with OGR to see which driver wrote it);
 * - audit --since/--until take dates and ISO 8601 times and refuse the
 *   rest with exit 2, and select the rows SQL on the file selects.
 *
 * Fixtures are fictional: one square district near Chiang Mai and a few
 * workplaces in it. */
#include "testutil.h" /* first: it sets _XOPEN_SOURCE */

#include "core/outfile.h"
#include "core/parse.h"

#include <sinspace/audit.h>
#include <sinspace/export.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <gdal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static char dir[PATH_MAX];
static char db[PATH_MAX];
static char *out, *err; /* the last run's stdout and stderr */

#define N_WORKPLACES 6

static void
setup(void)
{
    tu_tmpdir(dir);
    tu_path(db, dir, "safe.sqlite");
    out = err = NULL;
    /* New files a writer makes without care come out 0644 here. */
    umask(022);
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

TestSuite(safe, .init = setup, .fini = teardown, .timeout = 300);

static const char *
in_dir(const char *name)
{
    static char paths[8][PATH_MAX];
    static int next;
    char *p = paths[next++ % 8];
    tu_path(p, dir, name);
    return p;
}

/* Runs sinspace with the arguments (NULL-terminated), stdin from /dev/null;
 * keeps stdout and stderr (outside dir's listing: in dir/.run); returns the
 * exit status. */
static int
run_argv(const char *const *args)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert(bin && *bin, "SINSPACE_BIN is not set");
    char run_dir[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];
    tu_path(run_dir, dir, ".run");
    mkdir(run_dir, 0700);
    tu_path(out_path, run_dir, "stdout.txt");
    tu_path(err_path, run_dir, "stderr.txt");
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
#define ASSERT_IN(hay, needle)                                                 \
    cr_assert(strstr((hay), (needle)), "'%s' not in:\n%s", (needle), (hay))

/* A store with one square district and N_WORKPLACES workplaces in it. */
static void
make_store(void)
{
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    cr_assert_eq(tu_store_new(ctx, db, &s), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_store_close(s);
    sinspace_context_destroy(ctx);
    tu_write_str(in_dir("areas.geojson"),
                 "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                 "\"Feature\",\"properties\":{\"code\":\"dist-a\",\"name_latin\":"
                 "\"District A\"},\"geometry\":{\"type\":\"Polygon\","
                 "\"coordinates\":[[[98.9,18.7],[99.1,18.7],[99.1,18.9],"
                 "[98.9,18.9],[98.9,18.7]]]}}]}\n");
    RUN_OK("import", "--as", "areas", "--level", "district", db,
           in_dir("areas.geojson"));
    char csv[2048] = "id,name,sector,lon,lat,observed,risk\n";
    for (int i = 0; i < N_WORKPLACES; i++) {
        size_t len = strlen(csv);
        snprintf(csv + len, sizeof csv - len,
                 "P%d,Fictional place %d,karaoke_bar,%.4f,18.80,2025-01-10,2.%d\n",
                 i, i, 98.95 + 0.01 * i, i);
    }
    tu_write_str(in_dir("w.csv"), csv);
    RUN_OK("import", db, in_dir("w.csv"));
}

/* A file of old content, mode 0644, as another program left it. */
static void
make_old(const char *name)
{
    tu_write_str(in_dir(name), "old content, readable by all\n");
    cr_assert_eq(chmod(in_dir(name), 0644), 0);
}

/* name is still the old file, byte for byte, and still 0644. */
static void
expect_old(const char *name)
{
    char *c = tu_read(in_dir(name), NULL);
    cr_assert_not_null(c, "%s is gone", name);
    cr_assert_str_eq(c, "old content, readable by all\n", "%s was changed", name);
    free(c);
    cr_assert_eq(tu_mode(in_dir(name)), 0644, "%s: mode changed", name);
}

/* name was replaced: no old content, mode 0600. */
static void
expect_new(const char *name)
{
    size_t size = 0;
    char *c = tu_read(in_dir(name), &size);
    cr_assert_not_null(c, "%s missing", name);
    cr_assert(size > 0 && !strstr(c, "old content"), "%s not replaced", name);
    free(c);
    cr_assert_eq(tu_mode(in_dir(name)), 0600, "%s: mode %04o", name,
                 tu_mode(in_dir(name)));
}

/* The refusal: exit status 1, the file named, --overwrite suggested. */
static void
expect_refused(int rc, const char *name)
{
    cr_assert_eq(rc, 1, "exit %d for an existing %s; stderr:\n%s", rc, name, err);
    ASSERT_IN(err, in_dir(name));
    ASSERT_IN(err, "exists; not replaced");
    ASSERT_IN(err, "--overwrite");
}

/* Nothing but the names given (and the store's files, the run's folder)
 * in dir: no temporary file or folder left behind. */
static void
expect_only_files(const char *const *names, size_t n)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            !strcmp(e->d_name, ".run") || !strncmp(e->d_name, "safe.sqlite", 11) ||
            !strcmp(e->d_name, "areas.geojson") || !strcmp(e->d_name, "w.csv"))
            continue;
        int known = 0;
        for (size_t i = 0; i < n; i++)
            known |= !strcmp(e->d_name, names[i]);
        cr_assert(known, "left behind: %s", e->d_name);
    }
    closedir(d);
}

/* Audit rows of a command, counted by SQL on the file (read-only). */
static long long
audit_rows(const char *command)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM audit WHERE command = ?1",
                                    -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, command, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* The short name of the driver OGR opens path with, and its features.
 * OGR reads KML with LIBKML when it has it: both are KML. */
static void
ogr_read(const char *path, char drv[64], long long *features)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    cr_assert_not_null(ds, "OGR cannot open %s", path);
    snprintf(drv, 64, "%s", GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
    if (!strcmp(drv, "LIBKML"))
        snprintf(drv, 64, "KML");
    *features = 0;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++)
        *features += OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, i), 1);
    GDALClose(ds);
}

/* -------------------------------------------------------------------------
 * export
 */

Test(safe, export_keeps_an_existing_file_unless_overwrite)
{
    make_store();
    static const struct { const char *file, *driver; } cases[] = {
        {"out.geojson", "GeoJSON"}, {"out.geojsonl", "GeoJSONSeq"},
        {"out.gpkg", "GPKG"}, {"out.csv", "CSV"}, {"out.fgb", "FlatGeobuf"},
        {"out.kml", "KML"}, {"out.shp", "ESRI Shapefile"}};
    size_t n = sizeof cases / sizeof *cases;
    const char *names[16];
    for (size_t i = 0; i < n; i++) {
        names[i] = cases[i].file;
        make_old(cases[i].file);
        int rc = RUN("export", db, "workplaces", "--audience", "partner", "-o",
                     in_dir(cases[i].file));
        expect_refused(rc, cases[i].file);
        expect_old(cases[i].file);
    }
    /* Nothing written: no temporary file or folder, no audit row. */
    expect_only_files(names, n);
    cr_assert_eq(audit_rows("export"), 0);

    for (size_t i = 0; i < n; i++) {
        RUN_OK("export", db, "workplaces", "--audience", "partner", "-o",
               in_dir(cases[i].file), "--overwrite");
        expect_new(cases[i].file);
        char drv[64];
        long long features;
        ogr_read(in_dir(cases[i].file), drv, &features);
        cr_assert_str_eq(drv, cases[i].driver, "%s", cases[i].file);
        cr_assert_eq(features, N_WORKPLACES, "%s", cases[i].file);
    }
    cr_assert_eq(audit_rows("export"), (long long)n);
}

/* A shapefile is five files: any one of them existing refuses the export,
 * and nothing of the new one appears. */
Test(safe, export_shapefile_checks_every_part)
{
    make_store();
    make_old("parts.dbf");
    int rc = RUN("export", db, "workplaces", "-o", in_dir("parts.shp"));
    expect_refused(rc, "parts.dbf");
    expect_old("parts.dbf");
    const char *only[] = {"parts.dbf"};
    expect_only_files(only, 1);
    RUN_OK("export", db, "workplaces", "-o", in_dir("parts.shp"), "--overwrite");
    static const char *const parts[] = {"parts.shp", "parts.shx", "parts.dbf",
                                        "parts.prj", "parts.cpg"};
    for (size_t i = 0; i < 5; i++)
        expect_new(parts[i]);
}

/* CSV, Shapefile and FlatGeobuf make a folder of a name without their
 * extension: refused before any work, nothing left behind. */
Test(safe, export_refuses_a_name_gdal_would_make_a_folder_of)
{
    make_store();
    static const char *const formats[] = {"CSV", "ESRI Shapefile", "FlatGeobuf"};
    for (size_t i = 0; i < 3; i++) {
        int rc = RUN("export", db, "workplaces", "--format", formats[i], "-o",
                     in_dir("x.out"));
        cr_assert_eq(rc, 2, "%s: exit %d: %s", formats[i], rc, err);
        ASSERT_IN(err, "x.out");
        expect_only_files(NULL, 0);
    }
    cr_assert_eq(audit_rows("export"), 0);
}

/* Standard output and memory are not files: nothing to refuse. */
Test(safe, export_to_stdout_and_memory_unaffected)
{
    make_store();
    RUN_OK("export", db, "workplaces", "-o", "-");
    ASSERT_IN(out, "FeatureCollection");
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &s), SINSPACE_OK);
    sinspace_export_options o;
    sinspace_export_options_init(&o);
    cr_assert_eq(o.overwrite, 0, "overwrite must default to 0");
    unsigned char *data = NULL;
    size_t size = 0;
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(sinspace_export_memory(s, &o, &data, &size, NULL), SINSPACE_OK,
                     "%s", sinspace_context_message(ctx));
        cr_assert(size > 0);
        free(data);
    }
    sinspace_store_close(s);
    sinspace_context_destroy(ctx);
}

/* -------------------------------------------------------------------------
 * map, atlas, query -o
 */

Test(safe, map_png_and_sidecars_kept_unless_overwrite)
{
    make_store();
    static const char *const set[] = {"m.png", "m.pgw", "m.prj", "m.png.aux.xml"};
    /* Any one of the four existing refuses the map; none is written. */
    for (size_t k = 0; k < 4; k++) {
        make_old(set[k]);
        int rc = RUN("map", db, "--area", "dist-a", "--no-basemap", "--dpi", "40",
                     "-o", in_dir("m.png"));
        expect_refused(rc, set[k]);
        expect_old(set[k]);
        const char *only[] = {set[k]};
        expect_only_files(only, 1);
        unlink(in_dir(set[k]));
    }
    cr_assert_eq(audit_rows("map"), 0);
    for (size_t k = 0; k < 4; k++)
        make_old(set[k]);
    RUN_OK("map", db, "--area", "dist-a", "--no-basemap", "--dpi", "40", "-o",
           in_dir("m.png"), "--overwrite");
    for (size_t k = 0; k < 4; k++)
        expect_new(set[k]);
    cr_assert_eq(audit_rows("map"), 1);
    /* The PNG is one: OGR/GDAL reads it with its georeferencing. */
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(in_dir("m.png"), GA_ReadOnly);
    cr_assert_not_null(ds);
    double gt[6];
    cr_assert_eq(GDALGetGeoTransform(ds, gt), CE_None);
    GDALClose(ds);

    /* A PDF the same way; a fresh one is written without asking. */
    make_old("m.pdf");
    expect_refused(RUN("map", db, "--area", "dist-a", "--no-basemap", "--dpi",
                       "40", "-o", in_dir("m.pdf")), "m.pdf");
    expect_old("m.pdf");
    RUN_OK("map", db, "--area", "dist-a", "--no-basemap", "--dpi", "40", "-o",
           in_dir("fresh.pdf"));
    expect_new("fresh.pdf");
}

Test(safe, atlas_kept_unless_overwrite)
{
    make_store();
    make_old("atlas.pdf");
    int rc = RUN("atlas", db, "--level", "district", "--no-basemap", "--dpi", "40",
                 "-o", in_dir("atlas.pdf"));
    expect_refused(rc, "atlas.pdf");
    expect_old("atlas.pdf");
    const char *only[] = {"atlas.pdf"};
    expect_only_files(only, 1);
    cr_assert_eq(audit_rows("atlas"), 0);
    RUN_OK("atlas", db, "--level", "district", "--no-basemap", "--dpi", "40",
           "-o", in_dir("atlas.pdf"), "--overwrite");
    expect_new("atlas.pdf");
    char *pdf = tu_read(in_dir("atlas.pdf"), NULL);
    cr_assert(!strncmp(pdf, "%PDF-", 5));
    free(pdf);
}

Test(safe, query_output_kept_unless_overwrite)
{
    make_store();
    make_old("q.csv");
    int rc = RUN("query", db, "--area", "dist-a", "--format", "csv", "-o",
                 in_dir("q.csv"));
    expect_refused(rc, "q.csv");
    expect_old("q.csv");
    cr_assert_eq(audit_rows("query"), 0);
    RUN_OK("query", db, "--area", "dist-a", "--format", "csv", "-o",
           in_dir("q.csv"), "--overwrite");
    expect_new("q.csv");
    char *c = tu_read(in_dir("q.csv"), NULL);
    for (int i = 0; i < N_WORKPLACES; i++) {
        char id[8];
        snprintf(id, sizeof id, "P%d,", i);
        ASSERT_IN(c, id);
    }
    free(c);
    /* The library's flag: 1 is still "internal", as the old argument. */
    cr_assert_eq(SINSPACE_QUERY_INTERNAL, 1);
}

/* -------------------------------------------------------------------------
 * core/outfile.h: atomic refusal and sets
 */

Test(safe, outfile_keeps_a_file_that_appears_meanwhile)
{
    sinspace_context *ctx = sinspace_context_create();
    const char *p = in_dir("race.txt");
    sinspace__outfile *of = NULL;
    cr_assert_eq(sinspace__outfile_open(ctx, p, SINSPACE__OUTFILE_NO_REPLACE, &of),
                 SINSPACE_OK);
    fputs("new\n", sinspace__outfile_stream(of));
    /* Another program writes the name after the check. */
    make_old("race.txt");
    cr_assert_eq(sinspace__outfile_commit(of), SINSPACE_IO);
    ASSERT_IN(sinspace_context_message(ctx), p);
    ASSERT_IN(sinspace_context_message(ctx), "--overwrite");
    expect_old("race.txt");
    const char *only[] = {"race.txt"};
    expect_only_files(only, 1);

    /* Replacing, the same file ends new and private. */
    cr_assert_eq(sinspace__outfile_open(ctx, p, SINSPACE__OUTFILE_REPLACE, &of),
                 SINSPACE_OK);
    fputs("new\n", sinspace__outfile_stream(of));
    cr_assert_eq(sinspace__outfile_commit(of), SINSPACE_OK);
    char *c = tu_read(p, NULL);
    cr_assert_str_eq(c, "new\n");
    free(c);
    cr_assert_eq(tu_mode(p), 0600);
    sinspace_context_destroy(ctx);
}

Test(safe, outfile_set_is_whole_or_absent)
{
    sinspace_context *ctx = sinspace_context_create();
    sinspace__outfile *set[3] = {NULL, NULL, NULL};
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(sinspace__outfile_open(ctx, in_dir(names[i]),
                                            SINSPACE__OUTFILE_NO_REPLACE, &set[i]),
                     SINSPACE_OK);
        fputs("new\n", sinspace__outfile_stream(set[i]));
    }
    make_old("b.txt");
    cr_assert_eq(sinspace__outfile_commit_all(set, 3, SINSPACE_OK), SINSPACE_IO);
    for (int i = 0; i < 3; i++)
        cr_assert_null(set[i]);
    /* a.txt was placed, then taken back; c.txt never placed; b.txt kept. */
    cr_assert(!tu_exists(in_dir("a.txt")));
    cr_assert(!tu_exists(in_dir("c.txt")));
    expect_old("b.txt");
    const char *only[] = {"b.txt"};
    expect_only_files(only, 1);

    /* A failure before the commit aborts them all. */
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sinspace__outfile_open(ctx, in_dir(names[i]),
                                            SINSPACE__OUTFILE_REPLACE, &set[i]),
                     SINSPACE_OK);
    cr_assert_eq(sinspace__outfile_commit_all(set, 3, SINSPACE_INTERRUPTED),
                 SINSPACE_INTERRUPTED);
    expect_only_files(only, 1);
    sinspace_context_destroy(ctx);
}

/* -------------------------------------------------------------------------
 * Format names as GDAL spells them
 */

Test(safe, format_names_as_gdal_gives_them)
{
    sinspace_context *ctx = sinspace_context_create(); /* registers GDAL */
    static const char *const drivers[] = {"GeoJSON", "GeoJSONSeq", "GPKG",
                                          "ESRI Shapefile", "KML", "FlatGeobuf",
                                          "CSV"};
    for (size_t i = 0; i < 7; i++) {
        GDALDriverH d = GDALGetDriverByName(drivers[i]);
        cr_assert_not_null(d, "GDAL has no %s", drivers[i]);
        const char *names[] = {drivers[i],
                               GDALGetMetadataItem(d, GDAL_DMD_LONGNAME, NULL)};
        for (size_t k = 0; k < 2; k++) {
            cr_assert_not_null(names[k]);
            char lower[128], upper[128];
            snprintf(lower, sizeof lower, "%s", names[k]);
            snprintf(upper, sizeof upper, "%s", names[k]);
            for (char *c = lower; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            for (char *c = upper; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            const char *spellings[] = {names[k], lower, upper};
            for (size_t j = 0; j < 3; j++) {
                sinspace_export_format f = sinspace_export_format_parse(spellings[j]);
                cr_assert_neq(f, SINSPACE_FORMAT_INVALID, "'%s' refused",
                              spellings[j]);
                cr_assert_str_eq(sinspace_export_format_name(f), drivers[i],
                                 "'%s'", spellings[j]);
            }
        }
    }
    cr_assert_eq(sinspace_export_format_parse("GeoPackage"), SINSPACE_FORMAT_GPKG);
    cr_assert_eq(sinspace_export_format_parse("geopackage"), SINSPACE_FORMAT_GPKG);
    cr_assert_eq(sinspace_export_format_parse("gpkg"), SINSPACE_FORMAT_GPKG);
    cr_assert_eq(sinspace_export_format_parse("Shapefile"), SINSPACE_FORMAT_SHAPEFILE);
    cr_assert_eq(sinspace_export_format_parse(".fgb"), SINSPACE_FORMAT_FLATGEOBUF);
    cr_assert_eq(sinspace_export_format_parse("GeoPack"), SINSPACE_FORMAT_INVALID);
    cr_assert_eq(sinspace_export_format_parse(""), SINSPACE_FORMAT_INVALID);
    cr_assert_eq(sinspace_export_format_parse(NULL), SINSPACE_FORMAT_INVALID);
    sinspace_context_destroy(ctx);
}

Test(safe, export_format_aliases_through_the_command)
{
    make_store();
    static const struct { const char *format, *file, *driver; } cases[] = {
        {"GeoPackage", "a.gpkg", "GPKG"},
        {"geopackage", "b.gpkg", "GPKG"},
        {"GPKG", "c.gpkg", "GPKG"},
        {"gpkg", "d.gpkg", "GPKG"},
        {"ESRI Shapefile", "e.shp", "ESRI Shapefile"},
        {"Comma Separated Value (.csv)", "f.csv", "CSV"},
        {"flatgeobuf", "g.fgb", "FlatGeobuf"},
        {"GEOJSON", "h.geojson", "GeoJSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        RUN_OK("export", db, "workplaces", "--format", cases[i].format, "-o",
               in_dir(cases[i].file));
        char drv[64];
        long long features;
        ogr_read(in_dir(cases[i].file), drv, &features);
        cr_assert_str_eq(drv, cases[i].driver, "--format %s", cases[i].format);
        cr_assert_eq(features, N_WORKPLACES);
    }
    /* A name GDAL does not give: usage error listing the valid ones. */
    cr_assert_eq(RUN("export", db, "workplaces", "--format", "GeoPack", "-o",
                     in_dir("x.gpkg")), 2);
    ASSERT_IN(err, "'GeoPack'");
    ASSERT_IN(err, "GPKG (GeoPackage)");
    ASSERT_IN(err, "FlatGeobuf");
    ASSERT_IN(err, "ESRI Shapefile");
    cr_assert(!tu_exists(in_dir("x.gpkg")));
}

/* -------------------------------------------------------------------------
 * audit --since / --until
 */

Test(safe, audit_refuses_what_is_not_a_date)
{
    make_store();
    static const char *const bad[] = {
        "garbage", "2026-13-45", "2026-02-29", "2026-04-31", "2026-1-5",
        "20261105", "2026-11-05T25:00", "2026-11-05T10:60", "2026-11-05T",
        "2026-11-05Tnoon", "2026-11-05T10:00:00+25:00", "2026-11-05 junk", "",
        "1899-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        for (int k = 0; k < 2; k++) {
            const char *opt = k ? "--until" : "--since";
            int rc = RUN("audit", db, opt, bad[i]);
            cr_assert_eq(rc, 2, "%s '%s': exit %d", opt, bad[i], rc);
            ASSERT_IN(err, opt);
            char quoted[64];
            snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
            ASSERT_IN(err, quoted);
            cr_assert_str_eq(out, "", "%s '%s' printed rows", opt, bad[i]);
        }
    }
    /* Repeated, or an empty range. */
    cr_assert_eq(RUN("audit", db, "--since", "2026-01-01", "--since", "2026-02-01"), 2);
    cr_assert_eq(RUN("audit", db, "--since", "2026-02-01", "--until", "2026-01-01"), 2);
    ASSERT_IN(err, "after");
    /* The library refuses the same way. */
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s), SINSPACE_OK);
    cr_assert_eq(sinspace_audit_list_range(s, "2026-13-45", NULL, NULL, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    sinspace_store_close(s);
    sinspace_context_destroy(ctx);
}

/* Rows printed by `audit` (the header line left out). */
static int
printed_rows(void)
{
    int n = -1;
    for (const char *p = out; *p; p++)
        n += *p == '\n';
    return n;
}

/* Rows whose `at` is in [from, to] by SQL on the file (NULL: open). */
static int
sql_rows(const char *from, const char *to)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM audit WHERE "
                                    "(?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at <= ?2)",
                                    -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* The audit trail's times, set by SQL so the test knows them. */
static void
set_audit_times(void)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h,
        "UPDATE audit SET at = CASE id % 3 WHEN 0 THEN '2026-10-31T23:59:59Z'"
        " WHEN 1 THEN '2026-11-01T00:00:00Z' ELSE '2026-11-01T17:30:00Z' END",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

Test(safe, audit_dates_and_times_select_as_sql_does)
{
    make_store();
    for (int i = 0; i < 4; i++)
        RUN_OK("query", db, "--area", "dist-a", "--format", "ids");
    set_audit_times();
    cr_assert_eq(RUN("audit", db), 0);
    cr_assert_eq(printed_rows(), sql_rows(NULL, NULL));
    static const struct {
        const char *since, *until;   /* as typed */
        const char *from, *to;       /* the same bounds in UTC, for SQL */
    } cases[] = {
        {"2026-11-01", NULL, "2026-11-01T00:00:00Z", NULL},
        {NULL, "2026-10-31", NULL, "2026-10-31T23:59:59Z"},
        {NULL, "2026-11-01", NULL, "2026-11-01T23:59:59Z"},
        {"2026-11-01T00:00:01Z", NULL, "2026-11-01T00:00:01Z", NULL},
        /* 07:00 in Bangkok is midnight UTC. */
        {"2026-11-01T07:00:00+07:00", NULL, "2026-11-01T00:00:00Z", NULL},
        {"2026-11-01T07:00+0700", "2026-11-02T00:30:00+07:00",
         "2026-11-01T00:00:00Z", "2026-11-01T17:30:00Z"},
        {"2026-11-01 17:30:00", NULL, "2026-11-01T17:30:00Z", NULL},
        {"2026-10-31T23:59:59.5Z", NULL, "2026-11-01T00:00:00Z", NULL},
        {"2026-10-31", "2026-10-31", "2026-10-31T00:00:00Z", "2026-10-31T23:59:59Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[8] = {"audit", db};
        int n = 2;
        if (cases[i].since) {
            args[n++] = "--since";
            args[n++] = cases[i].since;
        }
        if (cases[i].until) {
            args[n++] = "--until";
            args[n++] = cases[i].until;
        }
        args[n] = NULL;
        cr_assert_eq(run_argv(args), 0, "%s", err);
        int want = sql_rows(cases[i].from, cases[i].to);
        cr_assert_eq(printed_rows(), want, "since %s until %s: %d rows, SQL %d",
                     cases[i].since ? cases[i].since : "-",
                     cases[i].until ? cases[i].until : "-", printed_rows(), want);
    }
    /* The cases do split the trail. */
    cr_assert(sql_rows("2026-11-01T00:00:00Z", NULL) > 0);
    cr_assert(sql_rows(NULL, "2026-10-31T23:59:59Z") > 0);
}

Test(safe, timestamp_parser)
{
    char o[21], why[160];
    cr_assert_eq(sinspace__parse_timestamp("2024-02-29", 0, o, why, sizeof why), 0);
    cr_assert_str_eq(o, "2024-02-29T00:00:00Z");
    cr_assert_eq(sinspace__parse_timestamp("2024-02-29", 1, o, why, sizeof why), 0);
    cr_assert_str_eq(o, "2024-02-29T23:59:59Z");
    cr_assert_eq(sinspace__parse_timestamp("2026-01-01T03:00-05:00", 0, o, NULL, 0), 0);
    cr_assert_str_eq(o, "2026-01-01T08:00:00Z");
    cr_assert_eq(sinspace__parse_timestamp("2026-01-01T03:00:00+07", 0, o, NULL, 0), 0);
    cr_assert_str_eq(o, "2025-12-31T20:00:00Z");
    cr_assert_eq(sinspace__parse_timestamp("2026-06-30T23:59:60Z", 0, o, NULL, 0), 0);
    cr_assert_str_eq(o, "2026-06-30T23:59:59Z");
    cr_assert_eq(sinspace__parse_timestamp("2026-01-01T00:00:00.250Z", 1, o, NULL, 0), 0);
    cr_assert_str_eq(o, "2026-01-01T00:00:00Z");
    cr_assert_eq(sinspace__parse_timestamp("2026-13-45", 0, o, why, sizeof why), -1);
    ASSERT_IN(why, "no month 13");
    cr_assert_eq(sinspace__parse_timestamp("2026-02-29", 0, o, why, sizeof why), -1);
    ASSERT_IN(why, "28 days");
    cr_assert_eq(sinspace__parse_timestamp("2026-01-01T00:00:00Zjunk", 0, o, NULL, 0), -1);
    cr_assert_eq(sinspace__parse_timestamp("2026-01-01T00:00:00.Z", 0, o, NULL, 0), -1);
    cr_assert_eq(sinspace__parse_timestamp(NULL, 0, o, NULL, 0), -1);
}
