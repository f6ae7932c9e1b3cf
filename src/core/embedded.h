/* embedded.h: data files of layers/ compiled into the library
 * (tools/embed.py writes the table), so every database gets the same
 * catalogues and layer views whatever the install prefix. */
#ifndef SINSPACE_EMBEDDED_H
#define SINSPACE_EMBEDDED_H

#include <stddef.h>

struct sinspace_embedded {
    const char *name; /* file name, e.g. "sectors.csv" */
    const char *data; /* contents, NUL-terminated */
    size_t size;
};

/* Ends with a { NULL, NULL, 0 } entry; sorted by name. */
extern const struct sinspace_embedded sinspace__embedded[];

#endif
