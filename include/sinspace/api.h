/* sinspace/api.h: SINSPACE_API marks the library's public functions.
 *
 * The library is built with hidden symbol visibility, so only what carries
 * this mark is exported from libsinspace.so; everything else, including the
 * sinspace__* internals the modules share, stays inside it. */
#ifndef SINSPACE_API_H
#define SINSPACE_API_H

#if defined(__GNUC__) || defined(__clang__)
#define SINSPACE_API __attribute__((visibility("default")))
#else
#define SINSPACE_API
#endif

#endif
