/* srs.c: coordinate reference systems as users give them and as PROJ reads
 * them (see srs.h). */
#include "geo/srs.h"

#include <cpl_conv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
sinspace__srs_text(OGRSpatialReferenceH srs)
{
    if (!srs)
        return NULL;
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code) {
        size_t n = strlen(auth) + strlen(code) + 2;
        char *s = malloc(n);
        if (s)
            snprintf(s, n, "%s:%s", auth, code);
        return s;
    }
    char *wkt = NULL;
    const char *const opts[] = {"FORMAT=WKT2_2019", NULL};
    if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        return NULL;
    }
    /* Handed out as the C library's string, whatever GDAL's allocator. */
    char *s = sinspace__strdup(wkt);
    CPLFree(wkt);
    return s;
}

sinspace_status
sinspace__srs_parse(sinspace_context *ctx, const char *text, const char *option,
                    OGRSpatialReferenceH *out)
{
    *out = NULL;
    if (!text)
        return SINSPACE_OK;
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!s)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    if (OSRSetFromUserInput(s, text) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s%s%s: unknown coordinate reference system",
                               option ? option : "", option ? " " : "", text);
    }
    *out = s;
    return SINSPACE_OK;
}

int
sinspace__srs_is_wgs84(OGRSpatialReferenceH srs)
{
    OGRSpatialReferenceH w = OSRNewSpatialReference(NULL);
    if (!w)
        return 0;
    OSRImportFromEPSG(w, 4326);
    const char *opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                          "CRITERION=EQUIVALENT", NULL};
    int same = OSRIsSameEx(srs, w, opts);
    OSRDestroySpatialReference(w);
    return same;
}
