/* outfile.h: the one way the library writes a private output file.
 *
 * The data is written to a temporary file beside the final name (mkstemp,
 * mode 0600 whatever the umask) and renamed over it only when everything
 * was written and flushed: a reader never sees half a file, an interrupted
 * write leaves the old file as it was, and a replaced file ends 0600 even
 * if the old one was 0644.  Every writer (maps, sidecars, exports, query
 * output, rejects) goes through here.
 *
 * A file opened without replace is never put over an existing one, as
 * ogr2ogr refuses without -overwrite: opening refuses early, so no work is
 * done for nothing, and the commit moves the file into place with
 * rename(2)'s RENAME_NOREPLACE (or link(2) where the file system has no
 * such flag), so a file that appeared meanwhile is still kept. */
#ifndef SINSPACE_CORE_OUTFILE_H
#define SINSPACE_CORE_OUTFILE_H

#include <sinspace/context.h>

#include <stddef.h>
#include <stdio.h>

typedef struct sinspace__outfile sinspace__outfile;

/* Replacing an existing file: allowed, or refused with SINSPACE_IO naming
 * the file ("PATH: exists; not replaced (give --overwrite to replace
 * it)"). */
enum { SINSPACE__OUTFILE_NO_REPLACE = 0, SINSPACE__OUTFILE_REPLACE = 1 };

/* The early check of a path about to be written: SINSPACE_IO when it is a
 * directory, or when it exists and replace is 0.  A writer with several
 * files (a PNG and its sidecars, a shapefile) checks each before any work;
 * the final move checks again, atomically. */
sinspace_status sinspace__outfile_check(sinspace_context *ctx, const char *path,
                                        int replace);

/* The refusal for an existing path, the same words everywhere. */
sinspace_status sinspace__outfile_exists_error(sinspace_context *ctx,
                                               const char *path);

/* Moves a finished private file from to to (the same file system);
 * without replace, atomically refused when to exists. */
sinspace_status sinspace__outfile_place(sinspace_context *ctx, const char *from,
                                        const char *to, int replace);

/* Opens the temporary file for path.  On success *out owns it; finish with
 * sinspace__outfile_commit() or sinspace__outfile_abort(). */
sinspace_status sinspace__outfile_open(sinspace_context *ctx, const char *path,
                                       int replace, sinspace__outfile **out);

/* The stream to write to (binary); owned by the outfile. */
FILE *sinspace__outfile_stream(sinspace__outfile *of);
/* The temporary file's path, for writers that want a name (GDAL); it
 * exists, mode 0600, until commit or abort. */
const char *sinspace__outfile_temp_path(const sinspace__outfile *of);
/* The final path. */
const char *sinspace__outfile_path(const sinspace__outfile *of);

/* Flushes, syncs and renames the file into place; frees of either way.  On
 * failure the temporary file is removed and the old file (if any) kept. */
sinspace_status sinspace__outfile_commit(sinspace__outfile *of);
/* Removes the temporary file and frees of; NULL is harmless. */
void sinspace__outfile_abort(sinspace__outfile *of);

/* As commit when st is SINSPACE_OK, else abort; returns the first failure.
 * Lets a writer end with `return sinspace__outfile_finish(of, st);`. */
sinspace_status sinspace__outfile_finish(sinspace__outfile *of,
                                         sinspace_status st);

/* Commits ofs[0..n) in order (NULL entries skipped), or aborts them all
 * when st is set.  If one fails, the rest are aborted and those already
 * placed without replacing anything are removed again: a set (a PNG and
 * its sidecars) is there whole or not at all.  Sets every entry to NULL;
 * returns the first failure. */
sinspace_status sinspace__outfile_commit_all(sinspace__outfile **ofs, size_t n,
                                             sinspace_status st);

/* Writes text to path through an outfile (sidecars: .prj, .pgw, .aux.xml). */
sinspace_status sinspace__outfile_write_text(sinspace_context *ctx,
                                             const char *path, int replace,
                                             const char *text);

#endif
