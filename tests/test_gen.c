/* test_gen.c: sinspace-gen writes the same bytes every time, covers every
 * sector, keeps the sample inside Chiang Mai and Bangkok, and
 * samples/build-sample.sh turns it into the expected database. */
#include <criterion/criterion.h>

#include "core/sinspaceInt.h"
#include "store/store_int.h"

#include <sinspace/sinspace.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The sample as generated today: change these only with the generator. */
#define SAMPLE_WORKPLACES 3300
#define SAMPLE_ROWS 13617

static char tmp[64];
static char gen[1024], src[1024], bin[1024];

static void
setup(void)
{
    const char *b = getenv("SINSPACE_BUILD_ROOT"), *s = getenv("SINSPACE_SOURCE_ROOT"),
               *x = getenv("SINSPACE_BIN");
    cr_assert(b && s && x, "run through meson test");
    snprintf(gen, sizeof gen, "%s/tools/sinspace-gen", b);
    snprintf(src, sizeof src, "%s", s);
    snprintf(bin, sizeof bin, "%s", x);
    snprintf(tmp, sizeof tmp, "/tmp/sinspace-test-gen.XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void
teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(gen, .init = setup, .fini = teardown);

/* Runs a shell command; returns its exit status. */
static int
run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    cr_assert_eq(na, nb, "%s and %s differ in size", a, b);
    cr_assert(memcmp(x, y, na) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

static uint64_t
fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The sector codes of layers/sectors.csv. */
static int
load_sectors(char codes[][64], int max)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/layers/sectors.csv", src);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[1024];
    int n = 0;
    cr_assert_not_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) && n < max) {
        char *comma = strchr(line, ',');
        cr_assert_not_null(comma);
        cr_assert_lt(comma - line, 64);
        memcpy(codes[n], line, (size_t)(comma - line));
        codes[n++][comma - line] = '\0';
    }
    fclose(f);
    return n;
}

Test(gen, sample_is_deterministic)
{
    cr_assert_eq(run("'%s' sample --out '%s/a' 2>/dev/null", gen, tmp), 0);
    cr_assert_eq(run("'%s' sample --out '%s/b' 2>/dev/null", gen, tmp), 0);
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/a/workplaces.csv", tmp);
    snprintf(b, sizeof b, "%s/b/workplaces.csv", tmp);
    assert_same_file(a, b);
    /* The same bytes on any machine: a golden checksum of today's file. */
    size_t n;
    char *csv = slurp(a, &n);
    cr_expect_eq(fnv1a(csv, n), 0xf6cfe3ef73b80e3bull,
                 "sample checksum changed: %#llx",
                 (unsigned long long)fnv1a(csv, n));
    free(csv);
}

Test(gen, sample_content)
{
    cr_assert_eq(run("'%s' sample --out '%s' 2>/dev/null", gen, tmp), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/workplaces.csv", tmp);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char codes[32][64];
    int n_codes = load_sectors(codes, 32);
    cr_assert_eq(n_codes, 13);
    long seen[32] = {0};
    char line[4096], last_id[64] = "";
    long rows = 0, workplaces = 0, cm = 0, kt = 0;
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line,
        "id,name,name_local,sector,lon,lat,address,area,source,source_note,"
        "status,first_seen,observed,risk,i01,i02,i03,i04,i05,i06,i07,i08,i09,"
        "i10,i11,i12,i13,i14,i15,i16,i17,i18,i19,i20,i21,i22,i23,i24,i25,i26,"
        "i27,i28\n");
    while (fgets(line, sizeof line, f)) {
        rows++;
        /* id, name, name_local and sector hold no comma or quote. */
        char *id = strtok(line, ","), *name = strtok(NULL, ",");
        strtok(NULL, ",");
        char *sector = strtok(NULL, ",");
        cr_assert(id && name && sector);
        cr_assert_not_null(strstr(name, id), "name '%s' is not generic", name);
        if (strcmp(id, last_id)) {
            workplaces++;
            snprintf(last_id, sizeof last_id, "%s", id);
            cm += !strncmp(id, "CM-", 3);
            kt += !strncmp(id, "KT-", 3);
        }
        int k;
        for (k = 0; k < n_codes && strcmp(codes[k], sector); k++)
            ;
        cr_assert_lt(k, n_codes, "unknown sector %s", sector);
        seen[k]++;
    }
    fclose(f);
    cr_expect_eq(rows, SAMPLE_ROWS);
    cr_expect_eq(workplaces, SAMPLE_WORKPLACES);
    cr_expect_eq(cm, 3000);
    cr_expect_eq(kt, 300);
    for (int k = 0; k < n_codes; k++)
        cr_expect_gt(seen[k], 0, "sector %s is missing", codes[k]);
}

Test(gen, bench_is_deterministic_and_a_prefix)
{
    cr_assert_eq(run("'%s' bench --n 500 --out '%s/a' 2>/dev/null", gen, tmp), 0);
    cr_assert_eq(run("'%s' bench --n 500 --out '%s/b' 2>/dev/null", gen, tmp), 0);
    cr_assert_eq(run("'%s' bench --n 200 --out '%s/c' 2>/dev/null", gen, tmp), 0);
    static const char *const files[] = {
        "workplaces_500.csv", "workplaces_500.geojson", "query_concave.geojson",
        "query_multipolygon_hole.geojson", "query_district.geojson"};
    char a[256], b[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(a, sizeof a, "%s/a/%s", tmp, files[i]);
        snprintf(b, sizeof b, "%s/b/%s", tmp, files[i]);
        assert_same_file(a, b);
    }
    /* The first 200 workplaces of 500 are the 200 of --n 200. */
    size_t n500, n200;
    snprintf(a, sizeof a, "%s/a/workplaces_500.csv", tmp);
    snprintf(b, sizeof b, "%s/c/workplaces_200.csv", tmp);
    char *x = slurp(a, &n500), *y = slurp(b, &n200);
    cr_assert_lt(n200, n500);
    cr_assert(memcmp(x, y, n200) == 0);
    /* Every sector even in a small set. */
    char codes[32][64];
    int n_codes = load_sectors(codes, 32);
    for (int k = 0; k < n_codes; k++) {
        char needle[80] = ",";
        strcat(strcat(needle, codes[k]), ",");
        cr_expect_not_null(strstr(y, needle), "sector %s missing", codes[k]);
    }
    free(x);
    free(y);
}

static long long
q(sinspace_store *store, const char *sql)
{
    long long v = -1;
    cr_assert_eq(sinspace__query_int(store, sql, &v, 0), SINSPACE_OK, "%s", sql);
    return v;
}

Test(gen, build_sample_database)
{
    char db[128], info[128];
    snprintf(db, sizeof db, "%s/sample.sqlite", tmp);
    snprintf(info, sizeof info, "%s/info.txt", tmp);
    /* Over an old file, which the script must replace. */
    FILE *old = fopen(db, "w");
    cr_assert_not_null(old);
    fputs("an old sample\n", old);
    fclose(old);
    cr_assert_eq(run("SINSPACE='%s' SINSPACE_GEN='%s' SAMPLE_DB='%s' "
                     "bash '%s/samples/build-sample.sh' >'%s' 2>/dev/null",
                     bin, gen, db, src, info), 0);
    size_t n;
    char *text = slurp(info, &n);
    cr_expect_not_null(strstr(text, "\nworkplaces      3300 ("), "%s", text);
    cr_expect_not_null(strstr(text, "\nobservations    13617 (2004-"), "%s", text);
    cr_expect_not_null(strstr(text, "\nareas           281 (province 2, district 75, "
                                    "subdistrict 204, village 0)"), "%s", text);
    free(text);

    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *store = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &store),
                 SINSPACE_OK);
    cr_expect_eq(q(store, "SELECT count(*) FROM areas WHERE level = 'district'"
                          " AND parent_code = 'chiang-mai'"), 25);
    cr_expect_eq(q(store, "SELECT count(*) FROM areas WHERE level = 'subdistrict'"
                          " AND code LIKE 'chiang-mai/%/%'"), 204);
    cr_expect_eq(q(store, "SELECT count(*) FROM areas WHERE level = 'district'"
                          " AND parent_code = 'bangkok'"), 50);
    cr_expect_eq(q(store, "SELECT count(*) FROM workplaces"), SAMPLE_WORKPLACES);
    cr_expect_eq(q(store, "SELECT count(*) FROM observations"), SAMPLE_ROWS);
    /* Every point inside the Chiang Mai or Bangkok outline. */
    cr_expect_eq(q(store, "SELECT count(*) FROM workplaces AS w WHERE NOT EXISTS"
                          " (SELECT 1 FROM areas AS a WHERE a.level = 'province'"
                          "  AND a.code IN ('chiang-mai', 'bangkok')"
                          "  AND ST_Contains(a.geom, w.geom) = 1)"), 0);
    cr_expect_eq(q(store, "SELECT count(*) FROM workplaces WHERE ext_id LIKE 'CM-%'"
                          " AND area_code LIKE 'chiang-mai/%/%'"), 3000);
    cr_expect_eq(q(store, "SELECT count(*) FROM workplaces WHERE ext_id LIKE 'KT-%'"
                          " AND area_code = '1033'"), 300);
    cr_expect_eq(q(store, "SELECT count(DISTINCT sector) FROM workplaces"), 13);
    cr_expect_eq(q(store, "SELECT count(DISTINCT substr(observed, 1, 4))"
                          " FROM observations"), 5);
    cr_expect_eq(q(store, "SELECT min(observed) >= '2004-01-01' AND"
                          " max(observed) <= '2008-12-31' FROM observations"), 1);
    cr_expect_gt(q(store, "SELECT count(*) FROM observations WHERE scored = 0"), 0);
    cr_expect_gt(q(store, "SELECT count(*) FROM workplaces WHERE status = 'closed'"), 0);
    /* Risk moves: some workplaces rise, some fall, between their first and
     * last observations. */
    static const char trend[] =
        "SELECT count(*) FROM (SELECT"
        " (SELECT risk FROM observations o WHERE o.workplace_id = w.id"
        "  ORDER BY observed DESC LIMIT 1) -"
        " (SELECT risk FROM observations o WHERE o.workplace_id = w.id"
        "  ORDER BY observed LIMIT 1) AS d FROM workplaces w) WHERE d ";
    char sql[sizeof trend + 16];
    snprintf(sql, sizeof sql, "%s> 0.3", trend);
    cr_expect_gt(q(store, sql), 300);
    snprintf(sql, sizeof sql, "%s< -0.3", trend);
    cr_expect_gt(q(store, sql), 300);
    cr_expect_gt(q(store, "SELECT count(*) FROM workplaces WHERE risk_class = 'high'"), 0);
    cr_expect_gt(q(store, "SELECT count(*) FROM workplaces WHERE risk_class = 'low'"), 0);
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
}
