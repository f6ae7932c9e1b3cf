/* test_parse.c: the strict value parsers of src/parse.h: calendar dates,
 * decimal numbers, whole numbers, distances, and the UTF-8 / control
 * character check. */
#include "testutil.h"

#include "core/parse.h"

#include <math.h>

static char err[256];

TU_RUNNER_HOOK_START(0)
TU_RUNNER_HOOK_END

TestSuite(parse, .fini = tu_leak_check);

static void
date_ok(const char *s)
{
    char out[11] = "xxxxxxxxxx";
    err[0] = '\0';
    cr_assert_eq(sinspace__parse_date(s, out, err, sizeof err), 0,
                 "'%s' refused: %s", s, err);
    cr_assert_str_eq(out, s);
}

static void
date_bad(const char *s, const char *reason)
{
    char out[11] = "untouched!";
    err[0] = '\0';
    cr_assert_eq(sinspace__parse_date(s, out, err, sizeof err), -1,
                 "'%s' accepted", s ? s : "(null)");
    cr_assert(strstr(err, reason), "'%s': '%s' does not say '%s'",
              s ? s : "(null)", err, reason);
    cr_assert_str_eq(out, "untouched!");
}

Test(parse, dates_valid)
{
    date_ok("2024-01-31");
    date_ok("2024-12-31");
    date_ok("1900-01-01");
    date_ok("2199-12-31");
    date_ok("2008-02-29"); /* leap year */
    date_ok("2000-02-29"); /* divisible by 400 */
    date_ok("2024-04-30");
}

Test(parse, dates_not_in_the_calendar)
{
    date_bad("2008-02-30", "month 2 has 29 days");
    date_bad("2007-02-29", "month 2 has 28 days");
    date_bad("1900-02-29", "month 2 has 28 days"); /* century, not leap */
    date_bad("2100-02-29", "month 2 has 28 days");
    date_bad("2024-04-31", "month 4 has 30 days");
    date_bad("2024-00-10", "no month 0");
    date_bad("2024-13-01", "no month 13");
    date_bad("2024-01-00", "month 1 has 31 days");
    date_bad("1899-12-31", "year out of range");
    date_bad("2200-01-01", "year out of range");
}

Test(parse, dates_wrong_format)
{
    date_bad("2024-1-05", "YYYY-MM-DD");
    date_bad("24-01-05", "YYYY-MM-DD");
    date_bad("05/01/2024", "YYYY-MM-DD");
    date_bad("2024/01/05", "YYYY-MM-DD");
    date_bad("2024-01-05T10:00", "YYYY-MM-DD");
    date_bad(" 2024-01-05", "YYYY-MM-DD");
    date_bad("2024-01-0a", "YYYY-MM-DD");
    date_bad("+024-01-05", "YYYY-MM-DD");
    date_bad("2024-01--5", "YYYY-MM-DD");
    date_bad("", "YYYY-MM-DD");
    date_bad(NULL, "YYYY-MM-DD");
}

Test(parse, date_without_err_buffer)
{
    char out[11];
    cr_assert_eq(sinspace__parse_date("2008-02-30", out, NULL, 0), -1);
}

static void
double_ok(const char *s, double want)
{
    double v = -12345.0;
    err[0] = '\0';
    cr_assert_eq(sinspace__parse_double(s, &v, err, sizeof err), 0,
                 "'%s' refused: %s", s, err);
    cr_assert_eq(v, want, "'%s' read as %.17g", s, v);
}

static void
double_bad(const char *s)
{
    double v = -12345.0;
    cr_assert_eq(sinspace__parse_double(s, &v, err, sizeof err), -1,
                 "'%s' accepted as %g", s ? s : "(null)", v);
    cr_assert_eq(v, -12345.0, "out written on failure");
    cr_assert_neq(err[0], '\0');
}

Test(parse, doubles_valid)
{
    double_ok("13.7", 13.7);
    double_ok("-13.7", -13.7);
    double_ok("+2", 2.0);
    double_ok("0", 0.0);
    double_ok(".5", 0.5);
    double_ok("1e3", 1000.0);
    double_ok("2.5E-1", 0.25);
    double_ok("  98.98  ", 98.98);
    double_ok("18.790000", 18.79);
}

Test(parse, doubles_refused)
{
    double_bad("13,7"); /* a decimal comma */
    double_bad("nan");
    double_bad("NaN");
    double_bad("inf");
    double_bad("-Infinity");
    double_bad("0x10");
    double_bad("0x1p3");
    double_bad("");
    double_bad("   ");
    double_bad(NULL);
    double_bad("1 2");
    double_bad("12abc");
    double_bad("1e999"); /* overflows */
    double_bad("-");
    double_bad(".");
    double_bad("1..2");
    double_bad("98\xC2\xB0");
}

Test(parse, ints)
{
    long long v = 7;
    cr_assert_eq(sinspace__parse_int("28", &v, err, sizeof err), 0);
    cr_assert_eq(v, 28);
    cr_assert_eq(sinspace__parse_int("-3", &v, err, sizeof err), 0);
    cr_assert_eq(v, -3);
    v = 7;
    cr_assert_eq(sinspace__parse_int("1.5", &v, err, sizeof err), -1);
    cr_assert_eq(sinspace__parse_int("0x10", &v, err, sizeof err), -1);
    cr_assert_eq(sinspace__parse_int("", &v, err, sizeof err), -1);
    cr_assert_eq(sinspace__parse_int(NULL, &v, err, sizeof err), -1);
    cr_assert_eq(sinspace__parse_int("99999999999999999999", &v, err, sizeof err), -1);
    cr_assert_eq(sinspace__parse_int("12 monkeys", &v, err, sizeof err), -1);
    cr_assert_eq(v, 7, "out written on failure");
}

static void
distance_ok(const char *s, double metres)
{
    double v = -1.0;
    err[0] = '\0';
    cr_assert_eq(sinspace__parse_distance(s, &v, err, sizeof err), 0,
                 "'%s' refused: %s", s, err);
    cr_assert_eq(v, metres, "'%s' read as %.17g m", s, v);
}

static void
distance_bad(const char *s)
{
    double v = -1.0;
    err[0] = '\0';
    cr_assert_eq(sinspace__parse_distance(s, &v, err, sizeof err), -1,
                 "'%s' accepted as %g m", s ? s : "(null)", v);
    cr_assert_eq(v, -1.0);
    cr_assert_neq(err[0], '\0');
}

Test(parse, distances_valid)
{
    distance_ok("500", 500.0);
    distance_ok("500m", 500.0);
    distance_ok("500 m", 500.0);
    distance_ok("1000 m", 1000.0);
    distance_ok("2km", 2000.0);
    distance_ok("2.5 km", 2500.0);
    distance_ok("0.25km", 250.0);
    distance_ok("20000km", 2.0e7);
}

Test(parse, distances_refused)
{
    distance_bad("-1km");
    distance_bad("5 miles");
    distance_bad("0");
    distance_bad("0km");
    distance_bad("");
    distance_bad(NULL);
    distance_bad("km");
    distance_bad("m");
    distance_bad("2 KM km");
    distance_bad("20001km");
    distance_bad("1..2km");
    distance_bad("1,5km");
    distance_bad("1e3m");
}

static int
text(const char *s, int newlines, size_t max)
{
    err[0] = '\0';
    return sinspace__check_text(s, newlines, max, err, sizeof err);
}

Test(parse, text_clean_utf8_accepted)
{
    cr_assert_eq(text("Fictional Karaoke 7", 0, 0), 0, "%s", err);
    cr_assert_eq(text("", 0, 0), 0);
    /* Thai, Burmese, Khmer, Chinese, and a 4-byte emoji. */
    cr_assert_eq(text("\xE0\xB8\xA3\xE0\xB9\x89\xE0\xB8\xB2\xE0\xB8\x99", 0, 0), 0, "%s", err);
    cr_assert_eq(text("\xE1\x80\x99\xE1\x80\xBC\xE1\x80\x94\xE1\x80\xBA", 0, 0), 0, "%s", err);
    cr_assert_eq(text("\xE1\x9E\x81\xE1\x9F\x92\xE1\x9E\x98\xE1\x9F\x82\xE1\x9E\x9A", 0, 0), 0, "%s", err);
    cr_assert_eq(text("\xE4\xB8\xAD\xE6\x96\x87", 0, 0), 0, "%s", err);
    cr_assert_eq(text("\xF0\x9F\x8D\xBA", 0, 0), 0, "%s", err);
    cr_assert_eq(text("\xC2\xA0nbsp", 0, 0), 0, "%s", err); /* U+00A0 is not a control */
}

Test(parse, text_control_characters)
{
    cr_assert_eq(text("bell\a", 0, 0), -1);
    cr_assert_str_eq(err, "control character 0x07 at byte 4");
    cr_assert_eq(text("tab\there", 0, 0), -1);
    cr_assert_eq(text("line\nbreak", 0, 0), -1);
    cr_assert_eq(text("cr\r", 0, 0), -1);
    cr_assert_eq(text("del\x7f", 0, 0), -1);
    cr_assert_eq(text("esc\x1b[31m", 0, 0), -1);
    /* C1 controls, encoded in UTF-8. */
    cr_assert_eq(text("c1\xC2\x85", 0, 0), -1);
    cr_assert_str_eq(err, "control character U+0085 at byte 2");
    cr_assert_eq(text("c1\xC2\x9F", 0, 0), -1);
    /* Addresses and notes may hold tabs and line breaks, nothing else. */
    cr_assert_eq(text("12 Fictional Rd\r\nSoi\t3", 1, 0), 0, "%s", err);
    cr_assert_eq(text("bell\a", 1, 0), -1);
    cr_assert_eq(text("form\ffeed", 1, 0), -1);
}

Test(parse, text_invalid_utf8)
{
    static const char *const bad[] = {
        "\x80",                 /* continuation byte first */
        "abc\xBF",
        "\xC3",                 /* truncated */
        "\xE0\xB8",             /* truncated 3-byte */
        "\xC3\x28",             /* bad continuation */
        "\xC0\xAF",             /* overlong '/' */
        "\xC1\xBF",             /* overlong */
        "\xE0\x80\xAF",         /* overlong 3-byte */
        "\xF0\x80\x80\xAF",     /* overlong 4-byte */
        "\xED\xA0\x80",         /* UTF-16 surrogate */
        "\xF4\x90\x80\x80",     /* above U+10FFFF */
        "\xF8\x88\x80\x80\x80", /* 5-byte form */
        "\xFF",
        "ok \xE0\xB8\x97\xE0 tail"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(text(bad[i], 1, 0), -1, "case %zu accepted", i);
        cr_assert(strstr(err, "invalid UTF-8"), "case %zu: %s", i, err);
    }
    cr_assert_eq(text("abc\xBF", 0, 0), -1);
    cr_assert_str_eq(err, "invalid UTF-8 at byte 3");
}

Test(parse, text_length_limit)
{
    cr_assert_eq(text("abcde", 0, 5), 0);
    cr_assert_eq(text("abcdef", 0, 5), -1);
    cr_assert_str_eq(err, "longer than 5 bytes");
    /* Counted in bytes, not characters: two Thai letters are 6 bytes. */
    cr_assert_eq(text("\xE0\xB8\x81\xE0\xB8\x82", 0, 5), -1);
    cr_assert_eq(text("\xE0\xB8\x81\xE0\xB8\x82", 0, 6), 0);
}

Test(parse, today_is_a_date)
{
    char today[11], out[11];
    sinspace__today(today);
    cr_assert_eq(strlen(today), 10);
    cr_assert_eq(sinspace__parse_date(today, out, err, sizeof err), 0, "%s", err);
}
