/* parse.h: strict parsers for the small values users type: dates,
 * numbers, distances, and a check that text is clean UTF-8.  Each returns 0
 * on success and -1 with a reason in err (when err is not NULL). */
#ifndef SINSPACE_PARSE_H
#define SINSPACE_PARSE_H

#include <stddef.h>

/* YYYY-MM-DD, a real calendar date from 1900 to 2199.  out gets the
 * normalised date (11 bytes). */
int sinspace__parse_date(const char *s, char out[11], char *err, size_t err_size);

/* A point in time as ISO 8601 writes it: a date (YYYY-MM-DD), or a date
 * and time YYYY-MM-DDTHH:MM[:SS[.fff]] (T or a space) in UTC, with Z, or
 * with an offset +HH:MM, +HHMM or +HH.  Years 1900..9999, a real calendar
 * date and clock time.  out gets it in UTC as YYYY-MM-DDTHH:MM:SSZ (21
 * bytes), the audit trail's form: a date alone is the day's first second,
 * or with end_of_day its last; a fraction of a second rounds up for a
 * start and down for an end. */
int sinspace__parse_timestamp(const char *s, int end_of_day, char out[21],
                              char *err, size_t err_size);

/* A finite decimal number, nothing else on the line (spaces around are
 * allowed). */
int sinspace__parse_double(const char *s, double *out, char *err, size_t err_size);

/* A whole number. */
int sinspace__parse_int(const char *s, long long *out, char *err, size_t err_size);

/* A distance in metres: "500", "500m", "2km", "2.5 km", "1000 m".  Must be
 * positive and at most 20,000 km. */
int sinspace__parse_distance(const char *s, double *metres, char *err, size_t err_size);

/* Valid UTF-8 with no control characters; allow_newlines lets tab, CR and
 * LF through (addresses and notes).  max_bytes 0 for no limit. */
int sinspace__check_text(const char *s, int allow_newlines, size_t max_bytes,
                         char *err, size_t err_size);

/* Today's date in UTC (11 bytes). */
void sinspace__today(char out[11]);

#endif
