/* cli_args.c: the value parsers the subcommands share (numbers, lists of
 * numbers such as --bbox and --near, risk classes), so every command
 * refuses "nan", "1e999" and "1,2,3" for a bbox the same way. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
cli_parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int
cli_parse_numbers(const char *s, double *v, int n)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    int i = 0;
    for (; tok && i < n; i++, tok = strtok_r(NULL, ",", &save))
        if (cli_parse_number(tok, &v[i]) < 0)
            return -1;
    return (i == n && !tok) ? 0 : -1;
}

int
cli_parse_classes(const char *s, unsigned *classes)
{
    char buf[128];
    if (strlen(s) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        sinspace_risk_class k = sinspace_risk_class_parse(tok);
        if (k == SINSPACE_RISK_NONE && strcmp(tok, "unscored"))
            return -1;
        *classes |= 1u << k;
    }
    return 0;
}

void
cli_csv_field(const char *s, int last)
{
    s = s ? s : "";
    /* As export writes CSV: a value a spreadsheet would run as a formula
     * (a phone number starting with '+') is kept as text. */
    const char *guard = sinspace_csv_formula_like(s) ? "'" : "";
    if (*guard || strpbrk(s, ",\"\n\r")) {
        fputs("\"", stdout);
        fputs(guard, stdout);
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}
