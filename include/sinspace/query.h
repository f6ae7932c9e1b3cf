/* sinspace/query.h: regions and the workplaces inside them.
 *
 * A region is an area of the earth in EPSG:4326: a polygon or multipolygon
 * (from a file, an administrative area, a saved fence, a zone, a bbox) or a
 * circle (a point and a geodesic radius), optionally grown by a metric
 * buffer.  Selection uses the R*Tree of workplaces to find candidates and a
 * GEOS prepared geometry (or a geodesic distance) to decide; points on the
 * boundary count as inside, holes and multipolygons are honoured. */
#ifndef SINSPACE_QUERY_H
#define SINSPACE_QUERY_H

#include <sinspace/api.h>

#include <sinspace/store.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sinspace_region sinspace_region;

/* A polygon region from a file: GeoJSON (Polygon, MultiPolygon, Feature or
 * FeatureCollection), WKT, or any OGR source.  srs is the CRS of a source
 * that carries none (NULL: EPSG:4326).  An invalid polygon fails with
 * SINSPACE_INVALID_INPUT and GEOS's reason, unless make_valid is set. */
SINSPACE_API sinspace_status sinspace_region_from_file(sinspace_context *ctx, const char *path,
                                          const char *srs, int make_valid,
                                          sinspace_region **out);
/* The same from GeoJSON or WKT text in memory (the web API). */
SINSPACE_API sinspace_status sinspace_region_from_text(sinspace_context *ctx, const char *text,
                                          size_t size, const char *srs,
                                          int make_valid, sinspace_region **out);
/* An administrative area by code, Latin name or local name (a name shared
 * by several areas is refused as ambiguous, listing their codes). */
SINSPACE_API sinspace_status sinspace_region_from_area(sinspace_store *store,
                                          const char *name_or_code,
                                          sinspace_region **out);
SINSPACE_API sinspace_status sinspace_region_from_fence(sinspace_store *store, const char *name,
                                           sinspace_region **out);
SINSPACE_API sinspace_status sinspace_region_from_zone(sinspace_store *store, long long zone_id,
                                          sinspace_region **out);
SINSPACE_API sinspace_status sinspace_region_from_bbox(sinspace_context *ctx, double west,
                                          double south, double east, double north,
                                          sinspace_region **out);
/* All points within radius_m metres (geodesic, WGS 84) of lon/lat. */
SINSPACE_API sinspace_status sinspace_region_from_circle(sinspace_context *ctx, double lon,
                                            double lat, double radius_m,
                                            sinspace_region **out);

/* Grows the region by metres (computed in a local metric projection). */
SINSPACE_API sinspace_status sinspace_region_buffer(sinspace_region *region, double metres);

/* The region's bounds in lon/lat: west, south, east, north. */
SINSPACE_API sinspace_status sinspace_region_bounds(const sinspace_region *region,
                                       double bbox[4]);

/* A short description for the audit trail and titles, e.g.
 * "area chiang-mai/fang" or "file fence.geojson"; owned by the region. */
SINSPACE_API const char *sinspace_region_describe(const sinspace_region *region);

/* The region as a (multi)polygon in WKB, EPSG:4326 (a circle as a
 * 128-vertex polygon); *wkb owned by the region, valid until it changes. */
SINSPACE_API sinspace_status sinspace_region_wkb(sinspace_region *region,
                                    const unsigned char **wkb, size_t *size);

SINSPACE_API void sinspace_region_destroy(sinspace_region *region);

/* Parses a distance as users type it: "500", "500m", "2km", "2.5 km".
 * Positive, at most 20,000 km; else SINSPACE_INVALID_ARGUMENT with the
 * reason.  *metres written only on success. */
SINSPACE_API sinspace_status sinspace_parse_distance(sinspace_context *ctx, const char *text,
                                        double *metres);

typedef enum sinspace_sort {
    SINSPACE_SORT_ID = 0,
    SINSPACE_SORT_RISK,     /* highest first */
    SINSPACE_SORT_NAME,
    SINSPACE_SORT_DISTANCE  /* circle regions: nearest first */
} sinspace_sort;

typedef struct sinspace_filter {
    double min_risk;            /* NaN: no minimum */
    unsigned classes;           /* bit (1 << sinspace_risk_class); 0: all */
    const char *const *sectors; /* NULL or n_sectors codes */
    size_t n_sectors;
    const char *status;         /* active, closed, unknown; NULL: all */
    const char *seen_since;     /* YYYY-MM-DD: last_seen on or after */
    const char *changed_since;  /* YYYY-MM-DD: risk rose since that date */
    long long limit;            /* 0: no limit */
    sinspace_sort sort;
    unsigned hotspots;          /* bit (1 << sinspace_emerging_category):
                                   the workplace's category in the latest
                                   emerging hot-spot run; 0: no filter */
    /* Set by sinspace_filter_set (the values it copied and the options it
     * was given); NULL otherwise.  Freed by sinspace_filter_clear. */
    struct sinspace_filter_owned *owned;
} sinspace_filter;

SINSPACE_API void sinspace_filter_init(sinspace_filter *filter);

/* The filter options, described once for every door: the command line
 * (--NAME VALUE) and the web API (NAME=VALUE in a query string).  The
 * API also takes the names with '_' for '-' (min_risk, seen_since,
 * changed_since). */
typedef struct sinspace_filter_option {
    const char *name;   /* "min-risk" */
    const char *takes;  /* what a message says it takes: "a number from 1
                           to 3" */
    int list;           /* 1: a comma list, and may be given again (the
                           values add up); 0: given once */
} sinspace_filter_option;

/* The table, ending with a NULL name. */
SINSPACE_API const sinspace_filter_option *sinspace_filter_options(void);

/* The table's entry for name as a door spells it ("--min-risk",
 * "min-risk", "min_risk"); NULL when it is no filter option. */
SINSPACE_API const sinspace_filter_option *sinspace_filter_option_find(const char *name);

/* Sets one filter option from text as users type it; name as in
 * sinspace_filter_option_find, and messages name the option as name spells
 * it.  Values are copied (into filter->owned).  Fails with
 * SINSPACE_INVALID_ARGUMENT and "NAME takes WHAT, not 'VALUE'" for a
 * malformed value, "NAME is given twice" for a repeated single option,
 * "unknown option NAME" for a name that is none.  Comma lists: class (low,
 * medium, high, unscored, in any case) and sector (codes, matched without
 * case against the sector catalogue when the query runs).  seen-since and
 * changed-since are real dates (YYYY-MM-DD); sort is risk, name, distance
 * (a circle region only, checked when the query runs) or id; hotspot a
 * comma list of emerging hot-spot categories (new, intensifying, ...,
 * new-cold, ..., none; see sinspace/hotspots.h), matched against the latest
 * emerging run (a query fails when the store has none). */
SINSPACE_API sinspace_status sinspace_filter_set(sinspace_context *ctx,
                                                 sinspace_filter *filter,
                                                 const char *name,
                                                 const char *value);

/* Whether any option was set through sinspace_filter_set. */
SINSPACE_API int sinspace_filter_is_set(const sinspace_filter *filter);

/* Frees what sinspace_filter_set copied and initialises the filter again. */
SINSPACE_API void sinspace_filter_clear(sinspace_filter *filter);

/* One workplace as a query returns it.  Strings live until the callback
 * returns; absent values are NULL (NaN for numbers). */
typedef struct sinspace_workplace_row {
    long long id;
    const char *ext_id;
    const char *name;
    const char *name_local;
    const char *sector;
    const char *status;
    double risk;
    const char *risk_class;
    double lon, lat;
    const char *area_code;
    const char *first_seen;
    const char *last_seen;
    const char *address;
    const char *source_type;
    const char *source_note;
    double distance_m;          /* circle regions only */
    double risk_change;         /* with changed_since: rise since that date */
} sinspace_workplace_row;

typedef struct sinspace_query_stats {
    long long candidates;       /* rows the spatial index returned; -1 with
                                   no region (no index used) */
    long long matched;          /* rows passed to the callback */
    long long inside;           /* candidates inside the region, before the
                                   other filters; -1 with no region */
    long long exact;            /* candidates whose point was read for the
                                   exact test (the rest were decided by the
                                   cell grid); -1 with no region */
} sinspace_query_stats;

/* Calls fn for each workplace in region (NULL: everywhere) passing filter
 * (NULL: none), in the filter's order.  fn returns non-zero to stop; it runs
 * inside the query's read transaction, so it must not write to the store
 * (write the audit row after this returns).
 * stats may be NULL.  Does not write the audit trail: the command that
 * shows or exports the rows does, through sinspace_audit_record(). */
SINSPACE_API sinspace_status sinspace_query_workplaces(sinspace_store *store,
                                          const sinspace_region *region,
                                          const sinspace_filter *filter,
                                          int (*fn)(void *user_data,
                                                    const sinspace_workplace_row *row),
                                          void *user_data,
                                          sinspace_query_stats *stats);

/* The database row ids (internal numbers, not the workplaces' own ids) of
 * the same workplaces, in the same order: fn gets each id, returning non-zero to stop.  With a region
 * and a filter that sets nothing but a limit, sorted by id, only the
 * spatial index is read, and a workplace's point only where the index
 * cannot decide (near the region's edge): the fast way to ask which
 * workplaces lie in an area.  Otherwise it runs sinspace_query_workplaces.
 * fn runs after the read, and may write to the store. */
SINSPACE_API sinspace_status sinspace_query_ids(sinspace_store *store,
                                   const sinspace_region *region,
                                   const sinspace_filter *filter,
                                   int (*fn)(void *user_data, long long id),
                                   void *user_data, sinspace_query_stats *stats);

/* The workplaces' own ids (ext_id, "KT-0001") of the same workplaces, in
 * the same order, as fast as sinspace_query_ids (the spatial index, then
 * one lookup per hit): what `query --format ids` prints.  fn returns
 * non-zero to stop; it runs after the read. */
SINSPACE_API sinspace_status sinspace_query_own_ids(sinspace_store *store,
                                   const sinspace_region *region,
                                   const sinspace_filter *filter,
                                   int (*fn)(void *user_data, const char *own_id),
                                   void *user_data, sinspace_query_stats *stats);

/* A text form of the filter for the audit trail ("min-risk=2 sector=brothel");
 * the caller frees it with free(). */
SINSPACE_API char *sinspace_filter_describe(const sinspace_filter *filter);

/* -------------------------------------------------------------------------
 * Query output: the rows of a query written as `sinspace query` shows them
 */

typedef enum sinspace_query_format {
    SINSPACE_QUERY_TABLE = 0, /* aligned columns, then a summary per sector
                                 and class */
    SINSPACE_QUERY_CSV,       /* a header row, no summary; formula-like text
                                 cells get an apostrophe (see
                                 sinspace_csv_formula_like) */
    SINSPACE_QUERY_GEOJSON,   /* RFC 7946 points through the export module's
                                 writer: the workplace's own id as feature
                                 id and as property "id" */
    SINSPACE_QUERY_JSON,      /* region, filters, rows, count and summary */
    SINSPACE_QUERY_IDS,       /* the workplaces' own ids (the "id" of every
                                 other format), one a line */
    SINSPACE_QUERY_FORMAT_INVALID = -1
} sinspace_query_format;

/* table, csv, geojson, json or ids (exact, lower case); the _INVALID value
 * for anything else.  Names are static. */
SINSPACE_API sinspace_query_format sinspace_query_format_parse(const char *name);
SINSPACE_API const char *sinspace_query_format_name(sinspace_query_format format);

typedef struct sinspace_query_result {
    long long rows;              /* workplaces written */
    sinspace_query_stats stats;  /* as sinspace_query_workplaces fills it */
    double seconds;              /* the query with its rows' output (not
                                    opening the store or the file) */
} sinspace_query_result;

/* Flags of sinspace_query_write, OR-ed. */
enum {
    SINSPACE_QUERY_INTERNAL = 1,  /* also address, source and source_note */
    SINSPACE_QUERY_OVERWRITE = 2  /* replace an existing file at path */
};

/* Queries the workplaces in region (NULL: everywhere) passing filter (NULL:
 * none) and writes them in format to path (NULL: standard output, flushed
 * and left open).  Columns: id, name, sector, risk, class, lon, lat, area,
 * last_seen, then distance_m for a circle region, risk_rise with
 * filter->changed_since, and address, source and source_note only with
 * SINSPACE_QUERY_INTERNAL in flags (1, as the old "internal" argument).
 *
 * A file is written beside path and renamed into place, mode 0600, once
 * complete and audited; on failure nothing is left.  An existing file is
 * replaced only with SINSPACE_QUERY_OVERWRITE in flags; otherwise the
 * query fails before any work with SINSPACE_IO ("PATH: exists; not
 * replaced (give --overwrite to replace it)"), and the final rename never
 * replaces a file that appeared meanwhile.
 * The store must be open for writing: one audit row is written (command
 * "query", the region's description, audience "internal" when internal,
 * the filters with format=F and output=PATH, the row count).  result may be
 * NULL.  Failures: SINSPACE_NO_MEMORY; SINSPACE_IO ("PATH: cannot create:
 * ...", "PATH: exists; ...", "PATH: write error: ..." or "standard output:
 * write error: ..."); the query's and the audit trail's own. */
SINSPACE_API sinspace_status sinspace_query_write(sinspace_store *store,
                                                  const sinspace_region *region,
                                                  const sinspace_filter *filter,
                                                  sinspace_query_format format,
                                                  int flags, const char *path,
                                                  sinspace_query_result *result);

#ifdef __cplusplus
}
#endif
#endif
