/* outfile.c: private, atomic output files (see outfile.h). */
#include "core/outfile.h"
#include "core/sinspaceInt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sinspace__outfile {
    sinspace_context *ctx;
    char *path;
    char *temp;
    FILE *f;
};

sinspace_status
sinspace__outfile_open(sinspace_context *ctx, const char *path, int replace,
                       sinspace__outfile **out)
{
    if (!path || !*path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "an output file name is required");
    struct stat sb;
    if (!replace && lstat(path, &sb) == 0)
        return sinspace__error(ctx, SINSPACE_IO,
                               "%s: exists; not replaced (use --overwrite)", path);
    if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return sinspace__error(ctx, SINSPACE_IO, "%s: is a directory", path);
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
    if (!e && rename(of->temp, of->path) != 0)
        e = errno;
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
