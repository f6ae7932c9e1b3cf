/* srs.h: coordinate reference systems as users give them and as PROJ
 * reads them, for every module that meets a CRS (regions, imagery, ...).
 *
 * OGR parses what users type (EPSG:32647, a WKT, a PROJ string, an .prj
 * file's text); PROJ is handed the authority code when there is one, so it
 * picks the same transformation as for the user's own "EPSG:n", else WKT2. */
#ifndef SINSPACE_GEO_SRS_H
#define SINSPACE_GEO_SRS_H

#include "core/sinspaceInt.h"

#include <ogr_srs_api.h>

/* The text PROJ (or a store's tiles table) reads for srs: "AUTH:CODE" when
 * it has an authority code, else its WKT2 (2019).  NULL when it cannot be
 * written (or out of memory).  The caller frees it with free(). */
char *sinspace__srs_text(OGRSpatialReferenceH srs);

/* Parses a CRS as a user gives it (anything OSRSetFromUserInput reads).
 * text NULL: *out NULL and SINSPACE_OK.  Unreadable: SINSPACE_INVALID_ARGUMENT
 * "OPTION TEXT: unknown coordinate reference system", option naming where
 * it came from (e.g. "--srs").  *out freed with OSRDestroySpatialReference. */
sinspace_status sinspace__srs_parse(sinspace_context *ctx, const char *text,
                                    const char *option,
                                    OGRSpatialReferenceH *out);

/* 1 when srs is WGS 84 lon/lat (EPSG:4326, whatever its axis order), else
 * 0. */
int sinspace__srs_is_wgs84(OGRSpatialReferenceH srs);

#endif
