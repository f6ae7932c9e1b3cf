/* test_csv.c: the strict RFC 4180 reader (src/csv.h): quoting, line
 * numbers across multi-line records, line ends, the byte-order mark, every
 * malformed-record case with resynchronisation, the record size limit, and
 * the writer's round trip. */
#include "testutil.h"

#include "core/csv.h"

/* Reads one record from csv; returns the reader's result and keeps the
 * record (or the error) in the globals below. */
static char **fld;
static size_t nfld;
static long line;
static char err[256];

TU_RUNNER_HOOK_START(0)
TU_RUNNER_HOOK_END

TestSuite(csv, .fini = tu_leak_check);

static int
next(sinspace_csv *csv)
{
    err[0] = '\0';
    fld = NULL;
    nfld = 0;
    line = -99;
    return sinspace__csv_next(csv, &fld, &nfld, &line, err, sizeof err);
}

static sinspace_csv *
open_str(const char *s)
{
    sinspace_csv *csv = sinspace__csv_open_memory(s, strlen(s));
    cr_assert_not_null(csv);
    return csv;
}

/* Asserts the next record is exactly the n strings given, on line ln. */
static void
expect_record(sinspace_csv *csv, long ln, size_t n, const char *const *want)
{
    int rc = next(csv);
    cr_assert_eq(rc, 1, "expected a record on line %ld, got %d (%s)", ln, rc, err);
    cr_assert_eq(line, ln, "record on line %ld, expected %ld", line, ln);
    cr_assert_eq(nfld, n, "record on line %ld has %zu fields, expected %zu",
                 ln, nfld, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(fld[i], want[i], "line %ld field %zu", ln, i + 1);
}

#define REC(csv, ln, ...)                                                      \
    do {                                                                       \
        static const char *const w_[] = {__VA_ARGS__};                         \
        expect_record(csv, ln, sizeof w_ / sizeof w_[0], w_);                  \
    } while (0)

static void
expect_error(sinspace_csv *csv, long ln, const char *reason)
{
    int rc = next(csv);
    cr_assert_eq(rc, -1, "expected an error on line %ld, got %d", ln, rc);
    cr_assert_eq(line, ln, "error reported on line %ld, expected %ld", line, ln);
    cr_assert(strstr(err, reason), "error '%s' does not say '%s'", err, reason);
}

static void
expect_end(sinspace_csv *csv)
{
    int rc = next(csv);
    cr_assert_eq(rc, 0, "expected the end, got %d (%s)", rc, err);
    /* And it stays at the end. */
    cr_assert_eq(next(csv), 0);
}

Test(csv, plain_records)
{
    sinspace_csv *csv = open_str("id,name,sector\n1,Alpha,fishing\n2,Beta,brothel\n");
    REC(csv, 1, "id", "name", "sector");
    REC(csv, 2, "1", "Alpha", "fishing");
    REC(csv, 3, "2", "Beta", "brothel");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, last_line_without_newline)
{
    sinspace_csv *csv = open_str("a,b\nc,d");
    REC(csv, 1, "a", "b");
    REC(csv, 2, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, empty_fields)
{
    sinspace_csv *csv = open_str("a,,b,\n,\n\"\",x\n");
    REC(csv, 1, "a", "", "b", "");
    REC(csv, 2, "", "");
    REC(csv, 3, "", "x");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, quoted_field_with_commas)
{
    sinspace_csv *csv = open_str("a,\"b,c\",d\n\"x,y,z\"\n");
    REC(csv, 1, "a", "b,c", "d");
    REC(csv, 2, "x,y,z");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, doubled_quotes)
{
    sinspace_csv *csv = open_str("\"he said \"\"hi\"\"\",\"\"\"\"\n");
    REC(csv, 1, "he said \"hi\"", "\"");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, spaces_are_kept)
{
    sinspace_csv *csv = open_str(" a , b \n");
    REC(csv, 1, " a ", " b ");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, line_breaks_inside_quotes_keep_line_numbers)
{
    sinspace_csv *csv = open_str(
        "id,address\n"
        "1,\"12 Fictional Road\nSoi 3\nTambon Test\"\n" /* lines 2-4 */
        "2,\"one\r\ntwo\"\r\n"                           /* lines 5-6 */
        "3,plain\n");                                    /* line 7 */
    REC(csv, 1, "id", "address");
    REC(csv, 2, "1", "12 Fictional Road\nSoi 3\nTambon Test");
    REC(csv, 5, "2", "one\r\ntwo");
    REC(csv, 7, "3", "plain");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, crlf_line_ends)
{
    sinspace_csv *csv = open_str("a,b\r\nc,\"d\"\r\n\r\ne,f\r\n");
    REC(csv, 1, "a", "b");
    REC(csv, 2, "c", "d");
    REC(csv, 4, "e", "f");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, lone_cr_line_ends)
{
    sinspace_csv *csv = open_str("a,b\rc,d\r");
    REC(csv, 1, "a", "b");
    REC(csv, 2, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, blank_lines_with_lone_cr)
{
    sinspace_csv *csv = open_str("a\r\rb\r\r\r\nc\n");
    REC(csv, 1, "a");
    REC(csv, 3, "b");
    REC(csv, 6, "c");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, byte_order_mark_skipped)
{
    sinspace_csv *csv = open_str("\xEF\xBB\xBFid,name\n1,\xE0\xB8\x97\n");
    REC(csv, 1, "id", "name");
    REC(csv, 2, "1", "\xE0\xB8\x97");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, byte_order_mark_only)
{
    sinspace_csv *csv = open_str("\xEF\xBB\xBF");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, broken_byte_order_mark)
{
    sinspace_csv *csv = open_str("\xEF\xBB" "a,b\nc,d\n");
    expect_error(csv, 1, "byte-order mark");
    REC(csv, 2, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, empty_input)
{
    sinspace_csv *csv = open_str("");
    expect_end(csv);
    sinspace__csv_close(csv);
    csv = sinspace__csv_open_memory(NULL, 0);
    cr_assert_not_null(csv);
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, blank_lines_skipped)
{
    sinspace_csv *csv = open_str("\n\na\n\n\r\n\nb\n\n");
    REC(csv, 3, "a");
    REC(csv, 7, "b");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, unterminated_quote)
{
    sinspace_csv *csv = open_str("a,b\n1,\"never closed\n2,x\n3,y\n");
    REC(csv, 1, "a", "b");
    expect_error(csv, 2, "not closed");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, text_after_closing_quote)
{
    sinspace_csv *csv = open_str("a,b\n\"quoted\"tail,x\nc,d\n");
    REC(csv, 1, "a", "b");
    expect_error(csv, 2, "after the closing quote of field 1");
    REC(csv, 3, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, space_after_closing_quote)
{
    sinspace_csv *csv = open_str("x,\"q\" ,y\nc,d\n");
    expect_error(csv, 1, "after the closing quote of field 2");
    REC(csv, 2, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, quote_inside_unquoted_field)
{
    sinspace_csv *csv = open_str("a,b\n1,5\" screen\nc,d\n");
    REC(csv, 1, "a", "b");
    expect_error(csv, 2, "quote inside unquoted field 2");
    REC(csv, 3, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, nul_byte_refused)
{
    static const char data[] = "a,b\nx\0y,z\nc,d\n";
    sinspace_csv *csv = sinspace__csv_open_memory(data, sizeof data - 1);
    REC(csv, 1, "a", "b");
    expect_error(csv, 2, "NUL byte");
    REC(csv, 3, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, nul_byte_in_quoted_field_refused)
{
    static const char data[] = "\"x\0y\",z\nc,d\n";
    sinspace_csv *csv = sinspace__csv_open_memory(data, sizeof data - 1);
    expect_error(csv, 1, "NUL byte");
    REC(csv, 2, "c", "d");
    expect_end(csv);
    sinspace__csv_close(csv);
}

/* An error inside a multi-line record names the line it started on, and
 * the lines it spanned are still counted. */
Test(csv, error_after_multiline_field_names_first_line)
{
    sinspace_csv *csv = open_str("h\n\"a\nb\nc\"junk\nnext\n");
    REC(csv, 1, "h");
    expect_error(csv, 2, "after the closing quote");
    REC(csv, 5, "next");
    expect_end(csv);
    sinspace__csv_close(csv);
}

Test(csv, several_errors_each_reported)
{
    sinspace_csv *csv = open_str("a\"\nok1\n\"x\"y\nok2\nz\"\n");
    expect_error(csv, 1, "quote inside");
    REC(csv, 2, "ok1");
    expect_error(csv, 3, "after the closing quote");
    REC(csv, 4, "ok2");
    expect_error(csv, 5, "quote inside");
    expect_end(csv);
    sinspace__csv_close(csv);
}

/* A 10 MB single line is refused (not grown without bound, not a crash),
 * and the reader goes on with the next line. */
Test(csv, ten_megabyte_line_refused)
{
    size_t big = 10u * 1024 * 1024;
    const char tail[] = "\nnext,line\n";
    char *data = malloc(big + sizeof tail);
    cr_assert_not_null(data);
    memset(data, 'a', big);
    memcpy(data + big, tail, sizeof tail);
    sinspace_csv *csv = sinspace__csv_open_memory(data, big + sizeof tail - 1);
    expect_error(csv, 1, "longer than");
    REC(csv, 2, "next", "line");
    expect_end(csv);
    sinspace__csv_close(csv);
    free(data);
}

Test(csv, ten_megabyte_quoted_field_from_file_refused)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    fputs("h1,h2\n1,\"", f);
    for (int i = 0; i < 10 * 1024; i++) {
        char kb[1024];
        memset(kb, 'q', sizeof kb);
        fwrite(kb, 1, sizeof kb, f);
    }
    fputs("\"\n2,ok\n", f);
    rewind(f);
    sinspace_csv *csv = sinspace__csv_open_file(f);
    cr_assert_not_null(csv);
    REC(csv, 1, "h1", "h2");
    expect_error(csv, 2, "longer than");
    REC(csv, 3, "2", "ok");
    expect_end(csv);
    sinspace__csv_close(csv);
    fclose(f);
}

/* A record of exactly the limit is read; one byte more is refused; either
 * way the following line is read, not swallowed. */
Test(csv, record_at_the_limit)
{
    size_t max = SINSPACE_CSV_MAX_RECORD;
    char *data = malloc(2 * max + 64);
    cr_assert_not_null(data);
    size_t n = 0;
    memset(data + n, 'b', max);
    n += max;
    memcpy(data + n, "\nafter1\n", 8);
    n += 8;
    memset(data + n, 'c', max + 1);
    n += max + 1;
    memcpy(data + n, "\nafter2\n", 8);
    n += 8;
    sinspace_csv *csv = sinspace__csv_open_memory(data, n);
    cr_assert_eq(next(csv), 1, "a record of exactly %zu bytes: %s", max, err);
    cr_assert_eq(line, 1);
    cr_assert_eq(nfld, 1);
    cr_assert_eq(strlen(fld[0]), max);
    REC(csv, 2, "after1");
    expect_error(csv, 3, "longer than");
    REC(csv, 4, "after2");
    expect_end(csv);
    sinspace__csv_close(csv);
    free(data);
}

/* Reading from a FILE goes through a 64 KiB buffer: records, quotes and
 * CRLF pairs that straddle a buffer boundary must come out the same. */
Test(csv, file_reader_across_buffer_boundaries)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    long lines = 0;
    for (int i = 0; i < 9000; i++) {
        fprintf(f, "%d,\"q\"\"%d\",\"multi\r\nline\"\r\n", i, i);
        lines += 2;
    }
    rewind(f);
    sinspace_csv *csv = sinspace__csv_open_file(f);
    for (int i = 0; i < 9000; i++) {
        char a[16], b[32];
        snprintf(a, sizeof a, "%d", i);
        snprintf(b, sizeof b, "q\"%d", i);
        cr_assert_eq(next(csv), 1, "record %d: %s", i, err);
        cr_assert_eq(line, 1 + 2L * i);
        cr_assert_eq(nfld, 3);
        cr_assert_str_eq(fld[0], a);
        cr_assert_str_eq(fld[1], b);
        cr_assert_str_eq(fld[2], "multi\r\nline");
    }
    expect_end(csv);
    sinspace__csv_close(csv);
    fclose(f);
    cr_assert_eq(lines, 18000);
}

Test(csv, many_fields)
{
    char data[4096];
    size_t n = 0;
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(data + n, sizeof data - n, "%s%d", i ? "," : "", i % 10);
    data[n++] = '\n';
    sinspace_csv *csv = sinspace__csv_open_memory(data, n);
    cr_assert_eq(next(csv), 1);
    cr_assert_eq(nfld, 500);
    cr_assert_str_eq(fld[499], "9");
    sinspace__csv_close(csv);
}

/* The writer quotes only when it must, and what it writes reads back the
 * same. */
static char *
written(const char *field, char *buf, size_t size)
{
    memset(buf, 0, size);
    FILE *f = fmemopen(buf, size, "w");
    cr_assert_not_null(f);
    sinspace__csv_write_field(f, field);
    fclose(f);
    return buf;
}

Test(csv, write_field_quotes_only_when_needed)
{
    char buf[128];
    cr_assert_str_eq(written("plain", buf, sizeof buf), "plain");
    cr_assert_str_eq(written("", buf, sizeof buf), "");
    cr_assert_str_eq(written("a,b", buf, sizeof buf), "\"a,b\"");
    cr_assert_str_eq(written("say \"x\"", buf, sizeof buf), "\"say \"\"x\"\"\"");
    cr_assert_str_eq(written("two\nlines", buf, sizeof buf), "\"two\nlines\"");
    cr_assert_str_eq(written("cr\r", buf, sizeof buf), "\"cr\r\"");
    cr_assert_str_eq(written(" lead", buf, sizeof buf), "\" lead\"");
    cr_assert_str_eq(written("trail ", buf, sizeof buf), "\"trail \"");
    cr_assert_str_eq(written(NULL, buf, sizeof buf), "");
}

Test(csv, write_field_round_trip)
{
    static const char *const fields[] = {
        "plain", "with,comma", "with \"quotes\"", "line\nbreak", "crlf\r\nend",
        " lead", "trail ", "", "\xE0\xB8\x97\xE0\xB8\x94\xE0\xB8\xAA\xE0\xB8\xAD\xE0\xB8\x9A",
        "\"", ",", "last"};
    size_t n = sizeof fields / sizeof fields[0];
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    cr_assert_not_null(f);
    for (int rec = 0; rec < 3; rec++) {
        for (size_t i = 0; i < n; i++) {
            if (i)
                fputc(',', f);
            sinspace__csv_write_field(f, fields[i]);
        }
        fputs("\r\n", f);
    }
    fclose(f);
    sinspace_csv *csv = sinspace__csv_open_memory(buf, size);
    long expect_line = 1;
    for (int rec = 0; rec < 3; rec++) {
        cr_assert_eq(next(csv), 1, "%s", err);
        cr_assert_eq(line, expect_line);
        cr_assert_eq(nfld, n);
        for (size_t i = 0; i < n; i++)
            cr_assert_str_eq(fld[i], fields[i], "record %d field %zu", rec, i);
        expect_line += 3; /* two fields hold one line break each */
    }
    expect_end(csv);
    sinspace__csv_close(csv);
    free(buf);
}

Test(csv, close_null_is_harmless)
{
    sinspace__csv_close(NULL);
}
