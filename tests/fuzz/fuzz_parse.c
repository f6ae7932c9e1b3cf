/* fuzz_parse.c: the date, number, distance and text parsers on any bytes.
 * The first byte picks the parser; the rest, NUL-terminated, is the input. */
#include "core/parse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    char err[160], date[11];
    double d;
    long long i;
    switch (data[0] % 5) {
    case 0:
        if (sinspace__parse_date(s, date, err, sizeof err) == 0 && strlen(date) != 10)
            __builtin_trap();
        break;
    case 1:
        if (sinspace__parse_double(s, &d, err, sizeof err) == 0 && !isfinite(d))
            __builtin_trap();
        break;
    case 2:
        if (sinspace__parse_distance(s, &d, err, sizeof err) == 0 &&
            !(d > 0.0 && d <= 2.0e7))
            __builtin_trap();
        break;
    case 3:
        (void)sinspace__parse_int(s, &i, err, sizeof err);
        break;
    default:
        (void)sinspace__check_text(s, data[0] & 8, 0, err, sizeof err);
        break;
    }
    free(s);
    return 0;
}
