/* csv.c: the strict RFC 4180 reader (see csv.h). */
#include "core/csv.h"

#include <stdlib.h>
#include <string.h>

struct sinspace_csv {
    FILE *file;
    const char *mem;
    size_t mem_size, mem_pos;
    unsigned char buf[65536];
    size_t buf_len, buf_pos;
    int eof;
    long line;        /* line the reader is on, 1-based */
    int started;      /* BOM checked */
    char *rec;        /* field bytes, each NUL-terminated */
    size_t rec_len, rec_cap;
    size_t *offsets;  /* start of each field in rec */
    size_t n_off, cap_off;
    char **fields;
    size_t cap_fields;
};

static sinspace_csv *
csv_new(void)
{
    sinspace_csv *csv = calloc(1, sizeof *csv);
    if (csv)
        csv->line = 1;
    return csv;
}

sinspace_csv *
sinspace__csv_open_file(FILE *f)
{
    sinspace_csv *csv = csv_new();
    if (csv)
        csv->file = f;
    return csv;
}

sinspace_csv *
sinspace__csv_open_memory(const char *data, size_t size)
{
    sinspace_csv *csv = csv_new();
    if (csv) {
        csv->mem = data ? data : "";
        csv->mem_size = data ? size : 0;
    }
    return csv;
}

void
sinspace__csv_close(sinspace_csv *csv)
{
    if (!csv)
        return;
    free(csv->rec);
    free(csv->offsets);
    free(csv->fields);
    free(csv);
}

/* Next byte, or -1 at the end. */
static int
csv_getc(sinspace_csv *csv)
{
    if (csv->mem) {
        if (csv->mem_pos >= csv->mem_size)
            return -1;
        return (unsigned char)csv->mem[csv->mem_pos++];
    }
    if (csv->buf_pos >= csv->buf_len) {
        if (csv->eof)
            return -1;
        csv->buf_len = fread(csv->buf, 1, sizeof csv->buf, csv->file);
        csv->buf_pos = 0;
        if (csv->buf_len == 0) {
            csv->eof = 1;
            return -1;
        }
    }
    return csv->buf[csv->buf_pos++];
}

static int
csv_peek(sinspace_csv *csv)
{
    int c = csv_getc(csv);
    if (c >= 0) {
        if (csv->mem)
            csv->mem_pos--;
        else
            csv->buf_pos--;
    }
    return c;
}

static int
rec_push(sinspace_csv *csv, char c)
{
    if (csv->rec_len + 1 >= csv->rec_cap) {
        size_t cap = csv->rec_cap ? csv->rec_cap * 2 : 256;
        char *p = realloc(csv->rec, cap);
        if (!p)
            return -1;
        csv->rec = p;
        csv->rec_cap = cap;
    }
    csv->rec[csv->rec_len++] = c;
    return 0;
}

static int
field_start(sinspace_csv *csv)
{
    if (csv->n_off == csv->cap_off) {
        size_t cap = csv->cap_off ? csv->cap_off * 2 : 32;
        size_t *p = realloc(csv->offsets, cap * sizeof *p);
        if (!p)
            return -1;
        csv->offsets = p;
        csv->cap_off = cap;
    }
    csv->offsets[csv->n_off++] = csv->rec_len;
    return 0;
}

/* Skips to the start of the next line after an error. */
static void
skip_line(sinspace_csv *csv)
{
    int c;
    while ((c = csv_getc(csv)) >= 0) {
        if (c == '\n') {
            csv->line++;
            return;
        }
    }
}

#define FAIL(...)                                                              \
    do {                                                                       \
        snprintf(err, err_size, __VA_ARGS__);                                  \
        *line = start_line;                                                    \
        return -1;                                                             \
    } while (0)

int
sinspace__csv_next(sinspace_csv *csv, char ***fields, size_t *n_fields,
                   long *line, char *err, size_t err_size)
{
    int c;
    if (!csv->started) {
        csv->started = 1;
        if (csv_peek(csv) == 0xEF) {
            csv_getc(csv);
            if (csv_getc(csv) != 0xBB || csv_getc(csv) != 0xBF) {
                long start_line = 1;
                skip_line(csv);
                FAIL("invalid byte-order mark");
            }
        }
    }
    /* Skip blank lines. */
    for (;;) {
        c = csv_peek(csv);
        if (c == '\r') {
            csv_getc(csv);
            /* CRLF: the LF is counted below; a lone CR ends a line too. */
            if (csv_peek(csv) != '\n')
                csv->line++;
            continue;
        }
        if (c != '\n')
            break;
        csv_getc(csv);
        csv->line++;
    }
    if (c < 0)
        return 0;

    long start_line = csv->line;
    csv->rec_len = 0;
    csv->n_off = 0;
    if (field_start(csv) < 0)
        FAIL("out of memory");
    int quoted = 0, after_quote = 0, at_field_start = 1;
    for (;;) {
        c = csv_getc(csv);
        /* Over the limit only when another byte would be stored: a record
         * of exactly the limit ends here, and its line end must not make
         * skip_line swallow the next record. */
        if (csv->rec_len >= SINSPACE_CSV_MAX_RECORD && c >= 0 &&
            (quoted || (c != '\n' && c != '\r'))) {
            /* Inside quotes there is no telling where the record ends:
             * resynchronise at the next line end. */
            if (c == '\n')
                csv->line++;
            else
                skip_line(csv);
            FAIL("record longer than %d bytes", SINSPACE_CSV_MAX_RECORD);
        }
        if (quoted) {
            if (c < 0)
                FAIL("quoted field not closed before the end of the file");
            if (c == '"') {
                if (csv_peek(csv) == '"') {
                    csv_getc(csv);
                    if (rec_push(csv, '"') < 0)
                        FAIL("out of memory");
                } else {
                    quoted = 0;
                    after_quote = 1;
                }
                continue;
            }
            if (c == '\n')
                csv->line++;
            if (c == 0) {
                skip_line(csv);
                FAIL("NUL byte in field");
            }
            if (rec_push(csv, (char)c) < 0)
                FAIL("out of memory");
            continue;
        }
        if (c < 0 || c == '\n' || c == '\r') {
            if (c == '\r') {
                if (csv_peek(csv) == '\n')
                    csv_getc(csv);
            }
            if (c >= 0)
                csv->line++;
            break;
        }
        if (c == ',') {
            if (rec_push(csv, '\0') < 0 || field_start(csv) < 0)
                FAIL("out of memory");
            at_field_start = 1;
            after_quote = 0;
            continue;
        }
        if (after_quote) {
            skip_line(csv);
            FAIL("text after the closing quote of field %zu", csv->n_off);
        }
        if (c == '"') {
            if (!at_field_start) {
                skip_line(csv);
                FAIL("quote inside unquoted field %zu (quote the whole field "
                     "and double the quote)", csv->n_off);
            }
            quoted = 1;
            at_field_start = 0;
            continue;
        }
        if (c == 0) {
            skip_line(csv);
            FAIL("NUL byte in field");
        }
        at_field_start = 0;
        if (rec_push(csv, (char)c) < 0)
            FAIL("out of memory");
    }
    if (rec_push(csv, '\0') < 0)
        FAIL("out of memory");
    if (csv->n_off > csv->cap_fields) {
        char **p = realloc(csv->fields, csv->n_off * sizeof *p);
        if (!p)
            FAIL("out of memory");
        csv->fields = p;
        csv->cap_fields = csv->n_off;
    }
    for (size_t i = 0; i < csv->n_off; i++)
        csv->fields[i] = csv->rec + csv->offsets[i];
    *fields = csv->fields;
    *n_fields = csv->n_off;
    *line = start_line;
    return 1;
}

void
sinspace__csv_write_field(FILE *f, const char *field)
{
    if (!field)
        return;
    if (!strpbrk(field, ",\"\r\n") && field[0] != ' ' &&
        (field[0] == '\0' || field[strlen(field) - 1] != ' ')) {
        fputs(field, f);
        return;
    }
    fputc('"', f);
    for (const char *p = field; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}
