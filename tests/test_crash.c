/* test_crash.c: crash safety and concurrent use.
 *
 * `sinspace import` is killed with SIGKILL at many moments of a large
 * import; afterwards the database must pass PRAGMA integrity_check and
 * hold either the whole file or none of it.  Readers (`sinspace info`,
 * `query`, `map`) running while an import writes must succeed and see
 * either the state before or after, never a half-written one. */
#include <criterion/criterion.h>
#include <sinspace/sinspace.h>

#include <sqlite3.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define ROWS 5000

static char dir[256];
static char csv_path[300], base_db[300];

static const char *
bin(void)
{
    const char *b = getenv("SINSPACE_BIN");
    cr_assert(b, "SINSPACE_BIN is not set");
    return b;
}

static pid_t
spawn(const char *const argv[])
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s", argv[0]);
    return pid;
}

static int
run_wait(const char *const argv[])
{
    int status;
    waitpid(spawn(argv), &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    chmod(to, 0600);
}

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sinspace-crash-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(csv_path, sizeof csv_path, "%s/big.csv", dir);
    snprintf(base_db, sizeof base_db, "%s/base.sqlite", dir);
    FILE *f = fopen(csv_path, "w");
    cr_assert(f);
    fprintf(f, "id,name,sector,lon,lat,observed,risk\n");
    unsigned s = 12345;
    for (int i = 0; i < ROWS; i++) {
        s = s * 1103515245u + 12345u;
        double lon = 98.0 + (s >> 8) % 100000 / 100000.0;
        s = s * 1103515245u + 12345u;
        double lat = 18.0 + (s >> 8) % 100000 / 100000.0;
        fprintf(f, "C%05d,Fictional workplace %d,construction,%.6f,%.6f,2006-05-01,%.2f\n",
                i, i, lon, lat, 1.0 + (i % 200) / 100.0);
    }
    fclose(f);
    const char *init[] = {bin(), "--quiet", "init", base_db, NULL};
    cr_assert_eq(run_wait(init), 0);
}

static void
teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Opens with plain SQLite: integrity and the workplace count. */
static long long
check_db_audit(const char *path, long long *audit)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    cr_assert_eq(sqlite3_prepare_v2(db,
        "SELECT (SELECT count(*) FROM workplaces), (SELECT count(*) FROM observations),"
        " (SELECT count(*) FROM idx_workplaces_geom), (SELECT count(*) FROM audit)",
        -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long long w = sqlite3_column_int64(st, 0);
    long long o = sqlite3_column_int64(st, 1);
    long long r = sqlite3_column_int64(st, 2);
    long long a = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* All of it or none of it, index and audit included. */
    cr_assert(w == 0 || w == ROWS, "%lld workplaces: a partial import survived", w);
    cr_assert_eq(o, w);
    cr_assert_eq(r, w, "spatial index holds %lld entries for %lld workplaces", r, w);
    *audit = a;
    return w;
}

/* After one import attempt on a fresh copy: an audit row exactly when the
 * data is there. */
static long long
check_db(const char *path)
{
    long long a;
    long long w = check_db_audit(path, &a);
    cr_assert_eq(a, w ? 1 : 0, "%lld audit rows for %lld workplaces", a, w);
    return w;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

Test(crash, sigkill_during_import_leaves_all_or_nothing, .init = setup,
     .fini = teardown, .timeout = 600)
{
    /* How long a whole import takes here, to spread the kills over it. */
    char db[320];
    snprintf(db, sizeof db, "%s/timing.sqlite", dir);
    copy_file(base_db, db);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *imp[] = {bin(), "--quiet", "import", db, csv_path, NULL};
    cr_assert_eq(run_wait(imp), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long total_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_assert_eq(check_db(db), ROWS);

    int kills = 10, none = 0, all = 0;
    for (int k = 0; k < kills; k++) {
        snprintf(db, sizeof db, "%s/kill%d.sqlite", dir, k);
        copy_file(base_db, db);
        const char *argv[] = {bin(), "--quiet", "import", db, csv_path, NULL};
        pid_t pid = spawn(argv);
        sleep_ms(5 + total_ms * (k + 1) / (kills + 2));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        long long n = check_db(db);
        if (n == 0)
            none++;
        else
            all++;
        /* The killed import can be run again and completes, adding its
         * own audit row (checked for every other kill, to keep the test
         * short under sanitizers). */
        if (k % 2)
            continue;
        cr_assert_eq(run_wait(argv), 0);
        long long audit;
        cr_assert_eq(check_db_audit(db, &audit), ROWS);
        cr_assert_eq(audit, n ? 2 : 1);
    }
    cr_log_info("%d kills: %d left nothing, %d had committed", kills, none, all);
    cr_assert_gt(none, 0, "no kill landed inside the import's transaction");
}

Test(crash, readers_during_import_see_before_or_after, .init = setup,
     .fini = teardown, .timeout = 600)
{
    char db[320];
    snprintf(db, sizeof db, "%s/conc.sqlite", dir);
    copy_file(base_db, db);
    const char *imp[] = {bin(), "--quiet", "import", db, csv_path, NULL};
    pid_t writer = spawn(imp);
    int readers = 0, status;
    for (;;) {
        pid_t done = waitpid(writer, &status, WNOHANG);
        /* Read-only open, a full summary, while the writer holds its
         * transaction: must never fail or block past the busy timeout. */
        sqlite3 *r;
        cr_assert_eq(sqlite3_open_v2(db, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_busy_timeout(r, 10000);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(r,
            "SELECT count(*), (SELECT count(*) FROM idx_workplaces_geom) FROM workplaces",
            -1, &st, NULL), SQLITE_OK);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        long long w = sqlite3_column_int64(st, 0), ix = sqlite3_column_int64(st, 1);
        cr_assert(w == 0 || w == ROWS, "reader saw %lld workplaces", w);
        cr_assert_eq(ix, w);
        sqlite3_finalize(st);
        sqlite3_close(r);
        const char *info[] = {bin(), "info", db, NULL};
        cr_assert_eq(run_wait(info), 0, "sinspace info failed during an import");
        /* A query and a map render: they write their audit rows, so they
         * wait for the import's lock (busy timeout) and then see all of
         * it or none of it. */
        if (readers % 3 == 0) {
            char out[400];
            snprintf(out, sizeof out, "%s/q.csv", dir);
            const char *q[] = {bin(), "--quiet", "query", db, "--bbox", "97.9,17.9,99.1,19.1",
                               "--format", "csv", "-o", out, NULL};
            cr_assert_eq(run_wait(q), 0, "sinspace query failed during an import");
            FILE *f = fopen(out, "r");
            cr_assert(f);
            int lines = 0, ch;
            while ((ch = fgetc(f)) != EOF)
                lines += ch == '\n';
            fclose(f);
            cr_assert(lines == 1 || lines == ROWS + 1,
                      "query saw %d rows during an import", lines - 1);
            snprintf(out, sizeof out, "%s/m.png", dir);
            const char *m[] = {bin(), "--quiet", "map", db, "--bbox", "97.9,17.9,99.1,19.1",
                               "--paper", "A4", "--dpi", "40", "--no-labels", "-o", out, NULL};
            cr_assert_eq(run_wait(m), 0, "sinspace map failed during an import");
        }
        readers++;
        if (done == writer)
            break;
    }
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    long long audit;
    cr_assert_eq(check_db_audit(db, &audit), ROWS);
    /* The import's row, plus one per query and map that ran. */
    cr_assert_eq(audit, 1 + 2 * ((readers + 2) / 3), "%lld audit rows", audit);
    cr_assert_gt(readers, 1);
}
