/* json.h: the one JSON string escaper, for every writer in the library and
 * the command (API replies, query output, GeoJSON).
 *
 * UTF-8 passes through; only what RFC 8259 requires is escaped: the quote,
 * the backslash and C0 controls (\n \r \t by name, the rest as \u00XX). */
#ifndef SINSPACE_CORE_JSON_H
#define SINSPACE_CORE_JSON_H

#include <stddef.h>
#include <stdio.h>

/* The escape for byte c, or NULL when c goes out as it is.  buf (7 bytes)
 * holds \u00XX escapes; the returned pointer is buf or a static string. */
const char *sinspace__json_escape(unsigned char c, char buf[7]);

/* Writes s as a JSON string, quotes included; NULL is written as null. */
void sinspace__json_string(FILE *f, const char *s);

/* Writes v with the given decimals; NaN and infinities as null (JSON has
 * neither). */
void sinspace__json_number(FILE *f, int decimals, double v);

#endif
