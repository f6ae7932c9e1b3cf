/* csv.h: a strict RFC 4180 reader.
 *
 * Reads records from a file or a memory buffer: comma separated, fields
 * optionally quoted, "" inside quotes for a quote, line breaks inside quoted
 * fields, CRLF or LF line ends, a UTF-8 byte-order mark skipped.  Every
 * record knows the line it started on, so errors can name it.  A record
 * longer than the limit is refused rather than grown without bound. */
#ifndef SINSPACE_CSV_H
#define SINSPACE_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct sinspace_csv sinspace_csv;

/* Maximum bytes in one record. */
#define SINSPACE_CSV_MAX_RECORD (1024 * 1024)

/* Reads from f (not closed by the reader).  NULL when memory runs out. */
sinspace_csv *sinspace__csv_open_file(FILE *f);
/* Reads size bytes of data, which must outlive the reader. */
sinspace_csv *sinspace__csv_open_memory(const char *data, size_t size);
void sinspace__csv_close(sinspace_csv *csv);

/* Reads the next record.  Returns 1 with *fields (n_fields strings, owned by
 * the reader, valid until the next call) and *line (1-based line on which
 * the record starts); 0 at the end; -1 on a malformed record, with a reason
 * in err and the line in *line.  After -1 the reader resynchronises at the
 * next line, so a caller may go on to report further errors.  Blank lines
 * are skipped. */
int sinspace__csv_next(sinspace_csv *csv, char ***fields, size_t *n_fields,
                       long *line, char *err, size_t err_size);

/* Writes one field quoted as RFC 4180 needs (only when it must be). */
void sinspace__csv_write_field(FILE *f, const char *field);

#endif
