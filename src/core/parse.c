/* parse.c: strict parsers for dates, numbers, distances and text (see
 * parse.h).  Strict because these values come from spreadsheets and
 * phones: "13,7" or "2008-02-30" must be refused, not half-read. */
#include "core/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SET_ERR(...)                                                           \
    do {                                                                       \
        if (err)                                                               \
            snprintf(err, err_size, __VA_ARGS__);                              \
    } while (0)

static int
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
sinspace__parse_date(const char *s, char out[11], char *err, size_t err_size)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        SET_ERR("date '%.40s' is not of the form YYYY-MM-DD", s ? s : "");
        return -1;
    }
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (!isdigit((unsigned char)s[i])) {
            SET_ERR("date '%s' is not of the form YYYY-MM-DD", s);
            return -1;
        }
    }
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || y > 2199) {
        SET_ERR("date '%s': year out of range 1900..2199", s);
        return -1;
    }
    if (m < 1 || m > 12) {
        SET_ERR("date '%s': no month %d", s, m);
        return -1;
    }
    int dim = days[m - 1] + (m == 2 && is_leap(y));
    if (d < 1 || d > dim) {
        SET_ERR("date '%s': month %d has %d days", s, m, dim);
        return -1;
    }
    memcpy(out, s, 10);
    out[10] = '\0';
    return 0;
}

int
sinspace__parse_double(const char *s, double *out, char *err, size_t err_size)
{
    if (!s) {
        SET_ERR("missing number");
        return -1;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        SET_ERR("empty number");
        return -1;
    }
    /* Only plain decimal notation: no hex floats, no "inf", no "nan". */
    for (const char *p = s; *p; p++) {
        if (!strchr("0123456789+-.eE \t", *p)) {
            SET_ERR("'%.40s' is not a number", s);
            return -1;
        }
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end) {
        SET_ERR("'%.40s' is not a number", s);
        return -1;
    }
    if (errno == ERANGE || !isfinite(v)) {
        SET_ERR("'%.40s' is out of range", s);
        return -1;
    }
    *out = v;
    return 0;
}

int
sinspace__parse_int(const char *s, long long *out, char *err, size_t err_size)
{
    if (!s || !*s) {
        SET_ERR("missing whole number");
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || errno == ERANGE) {
        SET_ERR("'%.40s' is not a whole number", s);
        return -1;
    }
    *out = v;
    return 0;
}

int
sinspace__parse_distance(const char *s, double *metres, char *err,
                         size_t err_size)
{
    if (!s || !*s) {
        SET_ERR("missing distance");
        return -1;
    }
    char num[64];
    size_t n = 0;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    while (*p && (isdigit((unsigned char)*p) || *p == '.') && n < sizeof num - 1)
        num[n++] = *p++;
    num[n] = '\0';
    while (isspace((unsigned char)*p))
        p++;
    double factor;
    if (!*p || !strcmp(p, "m"))
        factor = 1.0;
    else if (!strcmp(p, "km"))
        factor = 1000.0;
    else {
        SET_ERR("distance '%.40s': unit must be m or km", s);
        return -1;
    }
    double v;
    if (n == 0 || sinspace__parse_double(num, &v, NULL, 0) < 0) {
        SET_ERR("distance '%.40s' does not start with a number", s);
        return -1;
    }
    v *= factor;
    if (!(v > 0.0) || v > 2.0e7) {
        SET_ERR("distance '%.40s' must be more than 0 and at most 20000 km", s);
        return -1;
    }
    *metres = v;
    return 0;
}

int
sinspace__check_text(const char *s, int allow_newlines, size_t max_bytes,
                     char *err, size_t err_size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    while (*p) {
        unsigned c = *p;
        int extra;
        unsigned cp;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                if (!(allow_newlines && (c == '\t' || c == '\n' || c == '\r'))) {
                    SET_ERR("control character 0x%02x at byte %zu", c, len);
                    return -1;
                }
            }
            p++;
            len++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            SET_ERR("invalid UTF-8 at byte %zu", len);
            return -1;
        }
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                SET_ERR("invalid UTF-8 at byte %zu", len);
                return -1;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            SET_ERR("invalid UTF-8 at byte %zu", len);
            return -1;
        }
        if (cp >= 0x80 && cp < 0xA0) {
            SET_ERR("control character U+%04X at byte %zu", cp, len);
            return -1;
        }
        p += extra + 1;
        len += extra + 1;
    }
    if (max_bytes && len > max_bytes) {
        SET_ERR("longer than %zu bytes", max_bytes);
        return -1;
    }
    return 0;
}

void
sinspace__today(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
