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

/* n decimal digits at s into *v; 0, or -1 when one is not a digit. */
static int
digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int
sinspace__parse_timestamp(const char *s, int end_of_day, char out[21],
                          char *err, size_t err_size)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, have_time = 0;
    long offset = 0;
    const char *p;
    if (!s || strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
        digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
        goto bad;
    if (y < 1900 || y > 9999) {
        SET_ERR("'%.40s': year out of range 1900..9999", s);
        return -1;
    }
    if (mo < 1 || mo > 12) {
        SET_ERR("'%.40s': no month %d", s, mo);
        return -1;
    }
    int dim = days[mo - 1] + (mo == 2 && is_leap(y));
    if (d < 1 || d > dim) {
        SET_ERR("'%.40s': month %d has %d days", s, mo, dim);
        return -1;
    }
    p = s + 10;
    if (*p) {
        /* RFC 3339 lets a space stand for the T. */
        if (*p != 'T' && *p != 't' && *p != ' ')
            goto bad;
        p++;
        if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
            goto bad;
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec))
                goto bad;
            p += 3;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    goto bad;
                for (; isdigit((unsigned char)*p); p++)
                    frac |= *p != '0';
            }
        }
        if (h > 23 || mi > 59 || sec > 60) {
            SET_ERR("'%.40s': no time %02d:%02d:%02d", s, h, mi, sec);
            return -1;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (digits(p, 2, &oh))
                goto bad;
            p += 2;
            if (*p == ':') {
                if (digits(p + 1, 2, &om))
                    goto bad;
                p += 3;
            } else if (isdigit((unsigned char)*p)) {
                if (digits(p, 2, &om))
                    goto bad;
                p += 2;
            }
            if (oh > 14 || om > 59) {
                SET_ERR("'%.40s': no UTC offset %c%02d:%02d", s,
                        sign < 0 ? '-' : '+', oh, om);
                return -1;
            }
            offset = sign * (oh * 3600L + om * 60L);
        }
        if (*p)
            goto bad;
        have_time = 1;
    }
    if (sec == 60)
        sec = 59; /* a leap second */
    if (!have_time && end_of_day) {
        h = 23;
        mi = 59;
        sec = 59;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm) - offset;
    /* Whole seconds: a start within a second begins with the next one. */
    if (frac && !end_of_day)
        t += 1;
    struct tm u;
    if (!gmtime_r(&t, &u) || u.tm_year + 1900 < 1900 || u.tm_year + 1900 > 9999) {
        SET_ERR("'%.40s': year out of range 1900..9999", s);
        return -1;
    }
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &u); /* 4-digit year: checked */
    return 0;
bad:
    SET_ERR("'%.40s' is neither a date (YYYY-MM-DD) nor an ISO 8601 time "
            "(YYYY-MM-DDTHH:MM:SSZ, or with +HH:MM)", s ? s : "");
    return -1;
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
