/* json.c: the one JSON string escaper (see json.h). */
#include "core/json.h"

#include <math.h>

const char *
sinspace__json_escape(unsigned char c, char buf[7])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        if (c >= 0x20)
            return NULL;
        snprintf(buf, 7, "\\u%04x", c);
        return buf;
    }
}

void
sinspace__json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    char buf[7];
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *e = sinspace__json_escape(*p, buf);
        if (e)
            fputs(e, f);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void
sinspace__json_number(FILE *f, int decimals, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.*f", decimals, v);
}
