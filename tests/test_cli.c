/* test_cli.c: the sinspace command as users run it: exit statuses (0 ok,
 * 1 failure, 2 usage, 3 invalid input), errors on stderr naming file and
 * line, usage on stdout, and a refused import leaving the database file
 * byte for byte as it was. */
#include "testutil.h"

#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>

extern char **environ;

static char dir[PATH_MAX];
static char db[PATH_MAX];
static char *out, *err; /* the last run's stdout and stderr */

static void
setup(void)
{
    tu_tmpdir(dir);
    tu_path(db, dir, "cli.sqlite");
    out = err = NULL;
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

TU_RUNNER_HOOK_START(0)
TU_RUNNER_HOOK_END

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

/* Runs sinspace with the given arguments (NULL-terminated), stdin from
 * /dev/null; keeps stdout and stderr; returns the exit status. */
static int
run_argv(const char *const *args)
{
    const char *bin = getenv("SINSPACE_BIN");
    cr_assert(bin && *bin, "SINSPACE_BIN is not set");
    char out_path[PATH_MAX], err_path[PATH_MAX];
    tu_path(out_path, dir, "stdout.txt");
    tu_path(err_path, dir, "stderr.txt");
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] && n < 31; n++)
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

#define RUN(...)                                                               \
    run_argv((const char *const[]){__VA_ARGS__, NULL})

#define ASSERT_IN(hay, needle)                                                 \
    cr_assert(strstr((hay), (needle)), "'%s' not in:\n%s", (needle), (hay))

static void
init_db(void)
{
    cr_assert_eq(RUN("init", db), 0, "init: %s", err);
}

static void
data_file(const char *name, const char *text, char path[PATH_MAX])
{
    tu_path(path, dir, name);
    tu_write_str(path, text);
}

#define HEADER "id,name,sector,lon,lat,observed,risk\n"

Test(cli, version)
{
    cr_assert_eq(RUN("--version"), 0);
    cr_assert_str_eq(out, "sinspace 0.1.0\n");
    cr_assert_str_eq(err, "");
    cr_assert_eq(RUN("-V"), 0);
}

Test(cli, no_command_is_usage_error)
{
    cr_assert_eq(run_argv((const char *const[]){NULL}), 2);
    ASSERT_IN(out, "Usage: sinspace");
}

Test(cli, unknown_command)
{
    cr_assert_eq(RUN("frobnicate"), 2);
    ASSERT_IN(err, "no command 'frobnicate'");
    cr_assert_str_eq(out, "");
}

Test(cli, bad_global_option)
{
    cr_assert_eq(RUN("--bogus", "info", db), 2);
    ASSERT_IN(err, "unknown option '--bogus'");
}

Test(cli, bad_command_options)
{
    init_db();
    char csv[PATH_MAX];
    data_file("a.csv", HEADER, csv);
    cr_assert_eq(RUN("import", "--bogus", db, csv), 2);
    ASSERT_IN(err, "Try 'sinspace import --help'");
    cr_assert_eq(RUN("import", "--as", "nonsense", db, csv), 2);
    ASSERT_IN(err, "--as takes workplaces, observations, areas or water, not 'nonsense'");
    cr_assert_eq(RUN("import", "--level", "galaxy", db, csv), 2);
    cr_assert_eq(RUN("import", db), 2);
    ASSERT_IN(err, "expected DB and at least one FILE");
    cr_assert_eq(RUN("info"), 2);
    cr_assert_eq(RUN("info", db, db), 2);
    cr_assert_eq(RUN("init"), 2);
    cr_assert_eq(RUN("init", "-x", db), 2);
}

Test(cli, help)
{
    cr_assert_eq(RUN("help"), 0);
    ASSERT_IN(out, "Usage: sinspace");
    ASSERT_IN(out, "Exit status:");
    static const char *const cmds[] = {"init", "import", "info", "sectors",
                                       "indicators", "audit"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "  %-12s ", cmds[i]);
        ASSERT_IN(out, want);
    }
    cr_assert_eq(RUN("--help"), 0);
    ASSERT_IN(out, "Usage: sinspace");
    cr_assert_eq(RUN("help", "nosuch"), 2);
    ASSERT_IN(err, "no command 'nosuch'");
}

Test(cli, command_help_on_stdout)
{
    static const char *const cmds[] = {"init", "import", "info", "sectors",
                                       "indicators", "audit"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "Usage: sinspace %s", cmds[i]);
        cr_assert_eq(RUN(cmds[i], "--help"), 0, "%s --help", cmds[i]);
        cr_assert_eq(strncmp(out, want, strlen(want)), 0, "%s --help:\n%s",
                     cmds[i], out);
        cr_assert_str_eq(err, "");
        char *first = strdup(out);
        cr_assert_eq(RUN("help", cmds[i]), 0);
        cr_assert_str_eq(out, first);
        cr_assert_eq(RUN(cmds[i], "-h"), 0);
        cr_assert_str_eq(out, first);
        free(first);
    }
    /* --help wins over missing arguments, and needs no database. */
    cr_assert_eq(RUN("import", "--help", "/nonexistent/db"), 0);
    cr_assert(!tu_exists(db));
}

Test(cli, init_creates_private_database)
{
    umask(0);
    cr_assert_eq(RUN("init", db), 0, "%s", err);
    cr_assert_eq(tu_mode(db), 0600, "mode %04o", tu_mode(db));
    ASSERT_IN(err, "created");
    cr_assert_str_eq(out, "");
}

Test(cli, init_existing_path_fails)
{
    init_db();
    size_t n1;
    char *before = tu_read(db, &n1);
    cr_assert_eq(RUN("init", db), 1);
    ASSERT_IN(err, "file exists");
    size_t n2;
    char *after = tu_read(db, &n2);
    cr_assert(n1 == n2 && !memcmp(before, after, n1), "init changed an existing file");
    free(before);
    free(after);
}

Test(cli, info)
{
    init_db();
    cr_assert_eq(RUN("info", db), 0, "%s", err);
    ASSERT_IN(out, "schema version  2");
    ASSERT_IN(out, "workplaces      0 (high 0, medium 0, low 0, unscored 0)");
    ASSERT_IN(out, "extent          (empty)");
    ASSERT_IN(out, "workplaces_risk");
    ASSERT_IN(out, "areas_risk");
    cr_assert_str_eq(err, "");
}

Test(cli, missing_database_fails)
{
    cr_assert_eq(RUN("info", db), 1);
    ASSERT_IN(err, db);
    ASSERT_IN(err, "No such file");
    char csv[PATH_MAX];
    data_file("a.csv", HEADER "A1,Fictional,restaurant,98.98,18.79,,\n", csv);
    cr_assert_eq(RUN("import", db, csv), 1);
    cr_assert(!tu_exists(db), "import created a database");
}

Test(cli, unsafe_database_refused)
{
    init_db();
    cr_assert_eq(chmod(db, 0666), 0);
    cr_assert_eq(RUN("info", db), 1);
    ASSERT_IN(err, "chmod 600");
}

Test(cli, not_a_database_fails)
{
    data_file("cli.sqlite", "id,name\n1,not a database\n", db);
    chmod(db, 0600);
    cr_assert_eq(RUN("info", db), 1);
    ASSERT_IN(err, "not a");
}

Test(cli, import_good_then_info_and_audit)
{
    init_db();
    char csv[PATH_MAX];
    data_file("good.csv",
              HEADER
              "A1,Fictional Karaoke,karaoke_bar,98.98,18.79,2025-01-10,2.5\n"
              "A2,Fictional Pier,fishing,98.99,18.78,2025-01-10,1.2\n", csv);
    cr_assert_eq(RUN("import", db, csv), 0, "%s", err);
    ASSERT_IN(err, "2 rows: 2 new, 0 updated, 2 observations");
    cr_assert_eq(RUN("--quiet", "import", db, csv), 0, "%s", err);
    cr_assert_str_eq(err, "");
    cr_assert_eq(RUN("info", db), 0);
    ASSERT_IN(out, "workplaces      2 (high 1, medium 0, low 1, unscored 0)");
    /* Each geometry column is its own layer, named as QGIS names it, and
     * counts the rows that have that geometry. */
    ASSERT_IN(out, "  workplaces (geom)          table  POINT         EPSG:4326   2\n");
    ASSERT_IN(out, "  workplaces (footprint)     table  MULTIPOLYGON  EPSG:4326   0\n");
    cr_assert_eq(RUN("audit", db), 0, "%s", err);
    ASSERT_IN(out, "\timport\t");
    ASSERT_IN(out, csv);
    cr_assert_eq(RUN("sectors", db), 0);
    ASSERT_IN(out, "karaoke_bar");
    cr_assert_eq(RUN("indicators", db), 0);
    ASSERT_IN(out, "abuse_of_vulnerability");
}

/* The acceptance case: one bad row, exit 3, the row named on stderr, the
 * database file unchanged. */
Test(cli, import_one_bad_row_exits_3_and_changes_nothing)
{
    init_db();
    char good[PATH_MAX], bad[PATH_MAX];
    data_file("good.csv",
              HEADER "A1,Fictional Karaoke,karaoke_bar,98.98,18.79,2025-01-10,2.5\n",
              good);
    cr_assert_eq(RUN("import", db, good), 0, "%s", err);
    size_t n1;
    char *before = tu_read(db, &n1);
    cr_assert_not_null(before);

    data_file("bad.csv",
              HEADER
              "B1,Fictional One,restaurant,98.98,18.79,2025-01-10,2.0\n"
              "B2,Fictional Two,casino,98.98,18.79,2025-01-10,2.0\n"
              "B3,Fictional Three,brothel,98.98,18.79,2025-01-10,2.0\n", bad);
    cr_assert_eq(RUN("import", db, bad), 3, "stderr:\n%s", err);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s: line 3: unknown sector 'casino'", bad);
    ASSERT_IN(err, want);
    ASSERT_IN(err, "nothing was imported");
    cr_assert_str_eq(out, "");

    size_t n2;
    char *after = tu_read(db, &n2);
    cr_assert_not_null(after);
    cr_assert_eq(n2, n1, "size changed %zu -> %zu", n1, n2);
    cr_assert_eq(memcmp(before, after, n1), 0, "database bytes changed");
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", db);
    cr_assert(!tu_exists(wal) || tu_mode(wal) == 0600);
    free(before);
    free(after);

    cr_assert_eq(RUN("info", db), 0);
    ASSERT_IN(out, "workplaces      1 ");
}

Test(cli, import_bad_header_exits_3)
{
    init_db();
    char bad[PATH_MAX], want[PATH_MAX + 16];
    data_file("bad.csv", "id,name,lon,lat\nB1,Fictional,98.98,18.79\n", bad);
    cr_assert_eq(RUN("import", db, bad), 3);
    snprintf(want, sizeof want, "%s:1: ", bad);
    ASSERT_IN(err, want);
    ASSERT_IN(err, "no sector column");
}

Test(cli, import_skip_invalid)
{
    umask(0);
    init_db();
    char csv[PATH_MAX], rejects[PATH_MAX];
    data_file("mixed.csv",
              HEADER
              "B1,Fictional One,restaurant,98.98,18.79,2025-01-10,2.0\n"
              "B2,Fictional Two,casino,98.98,18.79,2025-01-10,2.0\n", csv);
    tu_path(rejects, dir, "rejects.csv");
    cr_assert_eq(RUN("import", "--skip-invalid", rejects, db, csv), 0, "%s", err);
    ASSERT_IN(err, "1 skipped (written to ");
    cr_assert_eq(tu_mode(rejects), 0600);
    char *text = tu_read(rejects, NULL);
    ASSERT_IN(text, "line 3,unknown sector 'casino'");
    free(text);
    cr_assert_eq(RUN("info", db), 0);
    ASSERT_IN(out, "workplaces      1 ");
}

Test(cli, import_missing_source_fails)
{
    init_db();
    char missing[PATH_MAX];
    tu_path(missing, dir, "missing.csv");
    cr_assert_eq(RUN("import", db, missing), 1);
    ASSERT_IN(err, "missing.csv");
}
