/* import_csv.c: the CSV reader of the import (workplaces and observations
 * by the workplace CSV contract, README.md).  Maps the header onto the
 * contract's columns and hands each line to the shared validator
 * (import.c); a bad line is rejected with the line as it was. */
#include "io/import_int.h"
#include "core/csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The longest header accepted. */
#define MAX_CSV_COLUMNS 256

typedef struct csv_header {
    char **names;        /* as written, trimmed; for the rejects file */
    size_t n;
    int map[MAX_CSV_COLUMNS]; /* CSV column -> contract column, or -1 */
} csv_header;

static void
header_free(csv_header *h)
{
    for (size_t i = 0; h->names && i < h->n; i++)
        free(h->names[i]);
    free(h->names);
}

/* Reads the header line into h: the contract columns it has, none twice,
 * and those the kind of import needs. */
static sinspace_status
read_header(sinspace__importer *im, sinspace_csv *csv, csv_header *h)
{
    char **fields, err[256];
    size_t n;
    long line;
    int rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err);
    if (rc <= 0)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s",
                               im->path, rc < 0 ? line : 1L,
                               rc < 0 ? err : "empty file: a header row is required");
    if (n > MAX_CSV_COLUMNS)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s:1: %zu columns; at most %d", im->path, n,
                               MAX_CSV_COLUMNS);
    if (!(h->names = calloc(n, sizeof *h->names)))
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    h->n = n;
    int seen[N_COLUMNS] = {0};
    for (size_t i = 0; i < n; i++) {
        char *name = fields[i];
        while (isspace((unsigned char)*name))
            name++;
        size_t len = strlen(name);
        while (len && isspace((unsigned char)name[len - 1]))
            name[--len] = '\0';
        if (!(h->names[i] = sinspace__strdup(name)))
            return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
        h->map[i] = sinspace__import_column_lookup(name);
        if (h->map[i] < 0) {
            sinspace__log(im->ctx, SINSPACE_LOG_WARNING,
                          "%s:1: column '%.60s' is not part of the contract; ignored",
                          im->path, name);
            continue;
        }
        if (seen[h->map[i]])
            return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                                   "%s:1: column '%s' appears twice", im->path,
                                   name);
        seen[h->map[i]] = 1;
    }
    const char *missing = NULL;
    if (!seen[COL_ID])
        missing = "id";
    else if (im->kind == SINSPACE_IMPORT_WORKPLACES) {
        if (!seen[COL_NAME])
            missing = "name";
        else if (!seen[COL_SECTOR])
            missing = "sector";
        else if (!seen[COL_WKT] && !(seen[COL_LON] && seen[COL_LAT]))
            missing = "lon and lat (or wkt)";
    }
    if (missing)
        return sinspace__error(im->ctx, SINSPACE_INVALID_INPUT,
                               "%s:1: the header has no %s column%s", im->path,
                               missing,
                               im->kind == SINSPACE_IMPORT_WORKPLACES
                                   ? " (a workplace CSV needs id,name,sector,lon,lat)"
                                   : "");
    return SINSPACE_OK;
}

/* Validates and writes one line (or rejects it).  *whole: the line was
 * a record of the header's width (only those report progress). */
static sinspace_status
read_line(sinspace__importer *im, const csv_header *h, int rc, char **fields,
          size_t n, long line, const char *err, int *whole)
{
    char where[64], reason[512];
    snprintf(where, sizeof where, "line %ld", line);
    *whole = 0;
    if (rc < 0) {
        sinspace__import_reject(im, where, err, NULL, 0, h->names, h->n);
        return SINSPACE_OK;
    }
    if (n != h->n) {
        snprintf(reason, sizeof reason, "%zu fields; the header has %zu", n, h->n);
        sinspace__import_reject(im, where, reason, fields, n, h->names, h->n);
        return SINSPACE_OK;
    }
    *whole = 1;
    sinspace__import_row r;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < n; i++)
        if (h->map[i] >= 0 && fields[i][0])
            r.v[h->map[i]] = fields[i];
    if (im->kind == SINSPACE_IMPORT_OBSERVATIONS)
        return sinspace__import_observation_row(im, &r, where, fields, n, h->names,
                                            h->n);
    return sinspace__import_workplace_row(im, &r, where, fields, n, h->names, h->n);
}

sinspace_status
sinspace__import_csv(sinspace__importer *im)
{
    FILE *f = fopen(im->path, "rb");
    if (!f)
        return sinspace__error(im->ctx, SINSPACE_IO, "%s: cannot read: %s",
                               im->path, strerror(errno));
    struct stat sb;
    double total = fstat(fileno(f), &sb) == 0 ? (double)sb.st_size : 0.0;
    sinspace_csv *csv = sinspace__csv_open_file(f);
    if (!csv) {
        fclose(f);
        return sinspace__error(im->ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    csv_header h;
    memset(&h, 0, sizeof h);
    sinspace_status st = read_header(im, csv, &h);
    char **fields, err[256];
    size_t n;
    long line;
    int rc, whole;
    while (!st &&
           (rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err)) != 0) {
        im->result.rows++;
        /* ftell is a system call: only when progress is reported. */
        if (!(st = read_line(im, &h, rc, fields, n, line, err, &whole)) &&
            whole && im->result.rows % 20000 == 0)
            st = sinspace__progress(im->ctx, "import", (double)ftell(f), total);
    }
    if (!st) {
        if (ferror(f))
            st = sinspace__error(im->ctx, SINSPACE_IO, "%s: read error", im->path);
        else
            st = sinspace__progress(im->ctx, "import", total, total);
    }
    header_free(&h);
    sinspace__csv_close(csv);
    fclose(f);
    return st;
}
