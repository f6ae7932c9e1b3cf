/* outfile.c: private, atomic output files (see outfile.h). */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include "core/outfile.h"
#include "core/sinspaceInt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sinspace__outfile {
    sinspace_context *ctx;
    char *path;
    char *temp;
    FILE *f;
    int replace;
};

sinspace_status
sinspace__outfile_exists_error(sinspace_context *ctx, const char *path)
{
    return sinspace__error(ctx, SINSPACE_IO,
                           "%s: exists; not replaced (give --overwrite to "
                           "replace it)", path);
}

sinspace_status
sinspace__outfile_check(sinspace_context *ctx, const char *path, int replace)
{
    struct stat sb;
    if (!path || lstat(path, &sb) != 0)
        return SINSPACE_OK;
    if (S_ISDIR(sb.st_mode))
        return sinspace__error(ctx, SINSPACE_IO, "%s: is a directory", path);
    if (!replace)
        return sinspace__outfile_exists_error(ctx, path);
    return SINSPACE_OK;
}

/* Moves from to to.  Without replace the move is refused (errno EEXIST)
 * when to exists, atomically: rename(2) with RENAME_NOREPLACE, or where
 * the file system has no such flag, link(2), which never replaces, and an
 * unlink of the old name.  0 or -1 with errno set. */
static int
place(const char *from, const char *to, int replace)
{
    if (replace)
        return rename(from, to);
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP &&
        errno != EOPNOTSUPP)
        return -1;
#endif
    if (link(from, to) != 0)
        return -1;
    (void)unlink(from);
    return 0;
}

sinspace_status
sinspace__outfile_place(sinspace_context *ctx, const char *from,
                        const char *to, int replace)
{
    if (place(from, to, replace) == 0)
        return SINSPACE_OK;
    if (errno == EEXIST && !replace)
        return sinspace__outfile_exists_error(ctx, to);
    return sinspace__error(ctx, SINSPACE_IO, "%s: %s", to, strerror(errno));
}

sinspace_status
sinspace__outfile_open(sinspace_context *ctx, const char *path, int replace,
                       sinspace__outfile **out)
{
    if (!path || !*path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "an output file name is required");
    /* Early, so no work is done for nothing; the commit checks again,
     * atomically. */
    sinspace_status st = sinspace__outfile_check(ctx, path, replace);
    if (st)
        return st;
    sinspace__outfile *of = calloc(1, sizeof *of);
    size_t n = strlen(path) + 16;
    if (!of || !(of->path = sinspace__strdup(path)) || !(of->temp = malloc(n))) {
        if (of) {
            free(of->path);
            free(of);
        }
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    of->ctx = ctx;
    of->replace = replace;
    /* Beside the final name, so the rename stays on one file system. */
    snprintf(of->temp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(of->temp); /* 0600 whatever the umask */
    if (fd < 0) {
        int e = errno;
        free(of->temp);
        free(of->path);
        free(of);
        return sinspace__error(ctx, SINSPACE_IO, "%s: cannot create: %s", path,
                               strerror(e));
    }
    if (fchmod(fd, 0600) != 0 || !(of->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        unlink(of->temp);
        free(of->temp);
        free(of->path);
        free(of);
        return sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(e));
    }
    *out = of;
    return SINSPACE_OK;
}

FILE *
sinspace__outfile_stream(sinspace__outfile *of)
{
    return of ? of->f : NULL;
}

const char *
sinspace__outfile_temp_path(const sinspace__outfile *of)
{
    return of ? of->temp : NULL;
}

const char *
sinspace__outfile_path(const sinspace__outfile *of)
{
    return of ? of->path : NULL;
}

static void
outfile_free(sinspace__outfile *of)
{
    free(of->temp);
    free(of->path);
    free(of);
}

void
sinspace__outfile_abort(sinspace__outfile *of)
{
    if (!of)
        return;
    if (of->f)
        fclose(of->f);
    unlink(of->temp);
    outfile_free(of);
}

sinspace_status
sinspace__outfile_commit(sinspace__outfile *of)
{
    if (!of)
        return SINSPACE_OK;
    sinspace_context *ctx = of->ctx;
    int e = 0;
    if (fflush(of->f) != 0 || ferror(of->f) || fsync(fileno(of->f)) != 0)
        e = errno ? errno : EIO;
    if (fclose(of->f) != 0 && !e)
        e = errno;
    of->f = NULL;
    /* A writer given the temporary path may have replaced the file. */
    if (!e && chmod(of->temp, 0600) != 0)
        e = errno;
    if (!e && place(of->temp, of->path, of->replace) != 0)
        e = errno;
    if (e == EEXIST && !of->replace) {
        sinspace_status st = sinspace__outfile_exists_error(ctx, of->path);
        unlink(of->temp);
        outfile_free(of);
        return st;
    }
    if (e) {
        sinspace_status st = sinspace__error(ctx, SINSPACE_IO, "%s: %s",
                                             of->path, strerror(e));
        unlink(of->temp);
        outfile_free(of);
        return st;
    }
    outfile_free(of);
    return SINSPACE_OK;
}

sinspace_status
sinspace__outfile_finish(sinspace__outfile *of, sinspace_status st)
{
    if (st) {
        sinspace__outfile_abort(of);
        return st;
    }
    return sinspace__outfile_commit(of);
}

sinspace_status
sinspace__outfile_write_text(sinspace_context *ctx, const char *path,
                             int replace, const char *text)
{
    sinspace__outfile *of;
    sinspace_status st = sinspace__outfile_open(ctx, path, replace, &of);
    if (st)
        return st;
    if (fputs(text, sinspace__outfile_stream(of)) == EOF)
        st = sinspace__error(ctx, SINSPACE_IO, "%s: %s", path, strerror(errno));
    return sinspace__outfile_finish(of, st);
}

sinspace_status
sinspace__outfile_commit_all(sinspace__outfile **ofs, size_t n,
                             sinspace_status st)
{
    size_t i = 0;
    if (!st) {
        /* The files placed without replacing anything: ours to take back
         * if a later one fails, so the set is whole or not there.
         * (Replaced files cannot be given back.) */
        char **placed = calloc(n ? n : 1, sizeof *placed);
        if (!placed)
            st = sinspace__error(ofs[0] ? ofs[0]->ctx : NULL,
                                 SINSPACE_NO_MEMORY, "out of memory");
        for (; i < n && !st; i++) {
            if (!ofs[i])
                continue;
            char *copy = ofs[i]->replace ? NULL
                                         : sinspace__strdup(ofs[i]->path);
            st = sinspace__outfile_commit(ofs[i]);
            ofs[i] = NULL;
            if (!st)
                placed[i] = copy;
            else
                free(copy);
        }
        for (size_t k = 0; placed && k < n; k++) {
            if (st && placed[k])
                unlink(placed[k]);
            free(placed[k]);
        }
        free(placed);
    }
    for (; i < n; i++) {
        sinspace__outfile_abort(ofs[i]);
        ofs[i] = NULL;
    }
    return st;
}
