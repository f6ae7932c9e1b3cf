/* testutil.h: small helpers the Criterion tests share: a temporary
 * directory per test, whole-file reads and writes, and a logger that keeps
 * every message the library logs so tests can assert on them.
 *
 * Header-only (static functions) so that each test file stays one
 * executable with one line in tests/meson.build. */
#ifndef SINSPACE_TESTUTIL_H
#define SINSPACE_TESTUTIL_H

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw; include this header first */
#endif
#include <sinspace/sinspace.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#ifdef TU_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#if defined(__GNUC__)
#define TU_UNUSED __attribute__((unused))
#else
#define TU_UNUSED
#endif

/* Makes a fresh directory under $TMPDIR (or /tmp) into out. */
static TU_UNUSED void
tu_tmpdir(char out[PATH_MAX])
{
    const char *base = getenv("TMPDIR");
    snprintf(out, PATH_MAX, "%s/sinspace-test-XXXXXX",
             base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(out), "mkdtemp failed");
}

static int
tu_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a directory tree; NULL or "" is harmless. */
static TU_UNUSED void
tu_rmtree(const char *path)
{
    if (path && *path)
        nftw(path, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name into out. */
static TU_UNUSED void
tu_path(char out[PATH_MAX], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    cr_assert(n > 0 && n < PATH_MAX, "path too long");
}

static TU_UNUSED void
tu_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);
}

static TU_UNUSED void
tu_write_str(const char *path, const char *text)
{
    tu_write(path, text, strlen(text));
}

/* The whole file, NUL-terminated, in malloc'd memory; NULL if it cannot be
 * read.  *size gets its length when size is not NULL. */
static TU_UNUSED char *
tu_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    cr_assert_not_null(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            cr_assert_not_null(buf);
        }
    }
    fclose(f);
    buf[len] = '\0';
    if (size)
        *size = len;
    return buf;
}

static TU_UNUSED int
tu_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static TU_UNUSED unsigned
tu_mode(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "stat %s", path);
    return (unsigned)(sb.st_mode & 07777);
}

/* A logger that keeps every message, one per line, with its level. */
typedef struct tu_log {
    char text[1 << 16];
    size_t len;
    int errors;
    int warnings;
} tu_log;

static TU_UNUSED void
tu_log_fn(void *user, sinspace_log_level level, const char *msg)
{
    tu_log *log = user;
    static const char *const tags[] = {"debug", "info", "warning", "error"};
    if (level == SINSPACE_LOG_ERROR)
        log->errors++;
    if (level == SINSPACE_LOG_WARNING)
        log->warnings++;
    if (level == SINSPACE_LOG_DEBUG)
        return;
    int n = snprintf(log->text + log->len, sizeof log->text - log->len,
                     "%s: %s\n", tags[level], msg);
    if (n > 0 && log->len + (size_t)n < sizeof log->text)
        log->len += (size_t)n;
}

static TU_UNUSED void
tu_log_clear(tu_log *log)
{
    log->text[0] = '\0';
    log->len = 0;
    log->errors = 0;
    log->warnings = 0;
}

/* A new store for a test, copied from a template made once per run:
 * creating a store (the full EPSG table) is most of a test's work, more so
 * under the sanitizers.  The runner process makes it before the first
 * test when the file says TU_RUNNER_HOOK_START(1), and removes it after the
 * last.  Tests of creation itself call sinspace_store_create. */
#define TU_TEMPLATE_ENV "SINSPACE_TEST_STORE_TEMPLATE"

static TU_UNUSED char tu_template_dir[PATH_MAX];

static TU_UNUSED void
tu_template_make(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tu_template_dir, sizeof tu_template_dir,
             "%s/sinspace-template-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tu_template_dir)) {
        tu_template_dir[0] = '\0';
        return;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/template.sqlite", tu_template_dir);
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *s = NULL;
    if (ctx && sinspace_store_create(ctx, path, &s) == SINSPACE_OK) {
        sinspace_store_close(s);
        setenv(TU_TEMPLATE_ENV, path, 1);
    }
    sinspace_context_destroy(ctx);
}

/* Makes a store at path (copied from the template when there is one) and
 * opens it for writing. */
static TU_UNUSED sinspace_status
tu_store_new(sinspace_context *ctx, const char *path, sinspace_store **out)
{
    const char *tpl = getenv(TU_TEMPLATE_ENV);
    if (!tpl)
        return sinspace_store_create(ctx, path, out);
    size_t size;
    char *bytes = tu_read(tpl, &size);
    cr_assert_not_null(bytes, "cannot read the store template %s", tpl);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, bytes, size), (ssize_t)size);
    cr_assert_eq(close(fd), 0);
    free(bytes);
    return sinspace_store_open(ctx, path, SINSPACE_OPEN_READWRITE, out);
}

/* Leaks.  Criterion runs each test in its own process and reports a
 * LeakSanitizer finding at that process's exit only as a warning, the test
 * still passing.  So under ASan each suite's .fini runs a leak check, and a
 * test that leaked leaves a mark the runner finds after the last test: it
 * then exits 1, failing the suite for meson.  Without ASan this is a no-op. */
#define TU_LEAK_ENV "SINSPACE_TEST_LEAK_MARK"

static TU_UNUSED char tu_leak_mark[PATH_MAX];

static TU_UNUSED void
tu_leak_check(void)
{
#ifdef TU_ASAN
    const char *mark = getenv(TU_LEAK_ENV);
    if (__lsan_do_recoverable_leak_check() && mark) {
        FILE *f = fopen(mark, "a");
        if (f) {
            fputs("leak\n", f);
            fclose(f);
        }
    }
#endif
}

static TU_UNUSED void
tu_runner_start(int make_template)
{
    const char *base = getenv("TMPDIR");
    snprintf(tu_leak_mark, sizeof tu_leak_mark, "%s/sinspace-leaks-%ld",
             base && *base ? base : "/tmp", (long)getpid());
    unlink(tu_leak_mark);
    setenv(TU_LEAK_ENV, tu_leak_mark, 1);
    if (make_template)
        tu_template_make();
}

static TU_UNUSED void
tu_runner_end(void)
{
    tu_rmtree(tu_template_dir);
    if (tu_leak_mark[0] && access(tu_leak_mark, F_OK) == 0) {
        unlink(tu_leak_mark);
        fprintf(stderr, "[FAIL] memory leaked in at least one test: see the "
                "LeakSanitizer reports above\n");
        exit(1);
    }
}

/* Every test file says, each on its own line (Criterion names hooks by
 * line):
 *     TU_RUNNER_HOOK_START(0)   (1: also make the store template)
 *     TU_RUNNER_HOOK_END
 * and every suite's .fini calls tu_leak_check(). */
#define TU_RUNNER_HOOK_START(make_template)                                    \
    ReportHook(PRE_ALL)(struct criterion_test_set *set_)                       \
    {                                                                          \
        (void)set_;                                                            \
        tu_runner_start(make_template);                                        \
    }
#define TU_RUNNER_HOOK_END                                                     \
    ReportHook(POST_ALL)(struct criterion_global_stats *stats_)                \
    {                                                                          \
        (void)stats_;                                                          \
        tu_runner_end();                                                       \
    }

#endif
