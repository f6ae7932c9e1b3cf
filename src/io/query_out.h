/* query_out.h: what the query's output shares with the web API, so both
 * doors name a workplace's properties the same way and write their values
 * in the same form. */
#ifndef SINSPACE_IO_QUERY_OUT_H
#define SINSPACE_IO_QUERY_OUT_H

#include <sinspace/export.h>
#include <sinspace/query.h>

#include <stddef.h>

/* Most properties a workplace's feature has. */
#define SINSPACE__QUERY_MAX_PROPS 16

/* The GeoJSON properties of a row as `sinspace query --format geojson`
 * writes them: id (the workplace's own id; also the feature id), name,
 * sector, risk (3 decimals), class, area, last_seen (ISO 8601 date), then
 * distance_m with near (a circle region), risk_rise with changed, and
 * address, source and source_note with internal.  Text points into r.
 * Returns the number written into p. */
size_t sinspace__query_geojson_properties(const sinspace_workplace_row *r,
                                          int near, int changed, int internal,
                                          sinspace_property *p);

#endif
