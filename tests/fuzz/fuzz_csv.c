/* fuzz_csv.c: the CSV reader must read any bytes without crashing,
 * reading out of bounds or growing without limit. */
#include "core/csv.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sinspace_csv *csv = sinspace__csv_open_memory((const char *)data, size);
    if (!csv)
        return 0;
    char **fields, err[256];
    size_t n;
    long line, last = 0;
    int rc, records = 0;
    while ((rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err)) != 0) {
        /* Line numbers never go backwards. */
        if (line < last)
            __builtin_trap();
        last = line;
        if (rc > 0)
            for (size_t i = 0; i < n; i++)
                (void)strlen(fields[i]);
        if (++records > 100000)
            break;
    }
    sinspace__csv_close(csv);
    return 0;
}
