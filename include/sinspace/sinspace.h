/* sinspace/sinspace.h: the whole public interface of libsinspace. */
#ifndef SINSPACE_H
#define SINSPACE_H

#include <sinspace/context.h>
#include <sinspace/store.h>
#include <sinspace/risk.h>
#include <sinspace/import.h>
#include <sinspace/audit.h>
#include <sinspace/query.h>
#include <sinspace/fence.h>
#include <sinspace/render.h>
#include <sinspace/tiles.h>
#include <sinspace/style.h>
#include <sinspace/zones.h>
#include <sinspace/hotspots.h>
#include <sinspace/export.h>
#include <sinspace/serve.h>
#include <sinspace/network.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH"; static. */
SINSPACE_API const char *sinspace_version(void);

#ifdef __cplusplus
}
#endif
#endif
