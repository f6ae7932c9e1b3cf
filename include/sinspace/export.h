/* sinspace/export.h: layers written out for researchers and partners.
 *
 * sinspace_export() writes one layer of a store (workplaces, observations,
 * areas, zones, fences, tiles) to a file, feature by feature (a SQLite
 * statement is stepped and each row written at once, so memory does not
 * grow with the layer), as GeoJSON (RFC 7946), GeoJSON text sequences
 * (RFC 8142) or, through OGR, GeoPackage, Shapefile, KML, FlatGeobuf or CSV.
 *
 * What a file holds depends on its audience (docs/export.md):
 *   public    no names, addresses, sources, notes or observers; workplace
 *             points displaced as the DHS programme displaces survey
 *             clusters (kept inside their district, fixed per workplace),
 *             or only counts per area with small counts suppressed;
 *   partner   exact points, names, sector, risk and class; no sources,
 *             notes, observers or addresses;
 *   internal  everything.
 * Files are created mode 0600 and appear only when complete; every export
 * writes one audit row.
 *
 * The streaming GeoJSON writer used by export is public too, for other
 * commands (query --format geojson) that write GeoJSON. */
#ifndef SINSPACE_EXPORT_H
#define SINSPACE_EXPORT_H

#include <sinspace/api.h>

#include <sinspace/query.h>
#include <sinspace/store.h>

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* -------------------------------------------------------------------------
 * Streaming GeoJSON writer
 */

typedef enum sinspace_value_type {
    SINSPACE_VALUE_NULL = 0,
    SINSPACE_VALUE_INTEGER,
    SINSPACE_VALUE_REAL,     /* NaN and infinities are written as null */
    SINSPACE_VALUE_TEXT,     /* UTF-8 */
    SINSPACE_VALUE_DATE,     /* text, ISO 8601 YYYY-MM-DD */
    SINSPACE_VALUE_DATETIME, /* text, ISO 8601 YYYY-MM-DDTHH:MM:SSZ */
    SINSPACE_VALUE_BOOLEAN   /* integer, 0 or not */
} sinspace_value_type;

/* One property (or foreign member) with its type.  A TEXT, DATE or
 * DATETIME whose text is NULL is written as null. */
typedef struct sinspace_property {
    const char *name;
    sinspace_value_type type;
    long long integer;
    double real;
    const char *text;
} sinspace_property;

typedef struct sinspace_geojson_options {
    int precision;        /* decimals of coordinates, 0..15 (default 6) */
    int bbox;             /* write a bbox member on features and the
                             collection */
    int sequence;         /* RFC 8142 text sequence instead of a collection */
    int record_separator; /* sequence: start each record with RS (0x1E), as
                             RFC 8142 says (default 1); 0 for
                             newline-delimited GeoJSON */
} sinspace_geojson_options;

SINSPACE_API void sinspace_geojson_options_init(sinspace_geojson_options *opts);

typedef struct sinspace_geojson_writer sinspace_geojson_writer;

/* A writer on fp (not closed by the writer; the caller keeps it open until
 * the writer is destroyed).  opts may be NULL for the defaults.  *out is
 * freed with sinspace_geojson_writer_destroy(). */
SINSPACE_API sinspace_status sinspace_geojson_writer_create(sinspace_context *ctx, FILE *fp,
                                               const sinspace_geojson_options *opts,
                                               sinspace_geojson_writer **out);

/* Starts the output.  A collection gets the foreign member
 * "member": { meta... } (member NULL: none); a sequence writes that member
 * into every feature instead, since RFC 8142 has no top level. */
SINSPACE_API sinspace_status sinspace_geojson_begin(sinspace_geojson_writer *w,
                                       const char *member,
                                       const sinspace_property *meta,
                                       size_t n_meta);

/* Writes one feature: id (written as the feature's "id" unless < 0), its
 * properties in the order given, and its geometry as WKB in EPSG:4326 lon/lat
 * (NULL: "geometry": null).  Polygons are written with exterior rings
 * counter-clockwise and holes clockwise. */
SINSPACE_API sinspace_status sinspace_geojson_write_feature(sinspace_geojson_writer *w,
                                               long long id,
                                               const sinspace_property *props,
                                               size_t n_props,
                                               const unsigned char *wkb,
                                               size_t wkb_size);

/* The same for a point feature, without building WKB. */
SINSPACE_API sinspace_status sinspace_geojson_write_point(sinspace_geojson_writer *w,
                                             long long id,
                                             const sinspace_property *props,
                                             size_t n_props, double lon,
                                             double lat);

/* The same with a text feature id (a workplace's own id, "KT-0001"; NULL:
 * no id). */
SINSPACE_API sinspace_status sinspace_geojson_write_point_text_id(
    sinspace_geojson_writer *w, const char *id, const sinspace_property *props,
    size_t n_props, double lon, double lat);

/* Closes the collection (with its bbox when asked) and flushes; fails with
 * SINSPACE_IO if anything could not be written. */
SINSPACE_API sinspace_status sinspace_geojson_end(sinspace_geojson_writer *w);

/* Features written so far. */
SINSPACE_API long long sinspace_geojson_count(const sinspace_geojson_writer *w);

SINSPACE_API void sinspace_geojson_writer_destroy(sinspace_geojson_writer *w);

/* -------------------------------------------------------------------------
 * Export
 */

typedef enum sinspace_export_layer {
    SINSPACE_EXPORT_WORKPLACES = 0,
    SINSPACE_EXPORT_OBSERVATIONS,
    SINSPACE_EXPORT_AREAS,
    SINSPACE_EXPORT_ZONES,
    SINSPACE_EXPORT_FENCES,
    SINSPACE_EXPORT_TILES,
    SINSPACE_EXPORT_RESPONDERS, /* the network (sinspace/network.h) */
    SINSPACE_EXPORT_LAYER_INVALID = -1
} sinspace_export_layer;

typedef enum sinspace_audience {
    SINSPACE_AUDIENCE_PUBLIC = 0, /* the default: the safest */
    SINSPACE_AUDIENCE_PARTNER,
    SINSPACE_AUDIENCE_INTERNAL,
    SINSPACE_AUDIENCE_INVALID = -1
} sinspace_audience;

typedef enum sinspace_export_format {
    SINSPACE_FORMAT_AUTO = 0, /* from the file's extension; GeoJSON if none */
    SINSPACE_FORMAT_GEOJSON,
    SINSPACE_FORMAT_GEOJSONSEQ,
    SINSPACE_FORMAT_GPKG,
    SINSPACE_FORMAT_SHAPEFILE,
    SINSPACE_FORMAT_KML,
    SINSPACE_FORMAT_FLATGEOBUF,
    SINSPACE_FORMAT_CSV,
    SINSPACE_FORMAT_INVALID = -1
} sinspace_export_format;

/* Parsers return the _INVALID value for unknown names; names are static. */
SINSPACE_API sinspace_export_layer sinspace_export_layer_parse(const char *name);
SINSPACE_API const char *sinspace_export_layer_name(sinspace_export_layer layer);
/* 1 when a spreadsheet opening a CSV cell holding text would take it for a
 * formula: it starts with =, +, -, @, a tab or a carriage return and is not
 * a plain number.  sinspace's CSV output (query --format csv, export to
 * CSV) writes such a cell with an apostrophe before it, as OWASP advises
 * against CSV injection; numbers are never touched. */
SINSPACE_API int sinspace_csv_formula_like(const char *text);

SINSPACE_API sinspace_audience sinspace_audience_parse(const char *name);
SINSPACE_API const char *sinspace_audience_name(sinspace_audience audience);
/* A format by any name GDAL gives it, in any case: the driver's short name
 * (GeoJSON, GeoJSONSeq, GPKG, "ESRI Shapefile", KML, FlatGeobuf, CSV), its
 * long name (GeoPackage, "Comma Separated Value (.csv)", "Keyhole Markup
 * Language (KML)", ...), its extension (json, gpkg, shp, kml, fgb, csv,
 * geojsons, geojsonl), or Shapefile. */
SINSPACE_API sinspace_export_format sinspace_export_format_parse(const char *name);
SINSPACE_API const char *sinspace_export_format_name(sinspace_export_format format);
/* The names sinspace_export_format_parse() takes, for messages: "GeoJSON,
 * GeoJSONSeq, GPKG (GeoPackage), ..." (static). */
SINSPACE_API const char *sinspace_export_format_list(void);
/* From a path's extension (.geojson .json .geojsons .geojsonl .gpkg .shp
 * .kml .fgb .csv); SINSPACE_FORMAT_GEOJSON when there is none or for "-",
 * SINSPACE_FORMAT_INVALID for an unknown one. */
SINSPACE_API sinspace_export_format sinspace_export_format_from_path(const char *path);

typedef struct sinspace_export_options {
    sinspace_export_layer layer;
    sinspace_audience audience;
    sinspace_export_format format;
    int precision;               /* GeoJSON coordinate decimals (default 6) */
    int bbox_member;             /* GeoJSON bbox members */
    /* Workplaces and observations: only workplaces in region (NULL:
     * everywhere) passing filter (NULL: all).  Other layers: features whose
     * geometry overlaps region (intersects it, more than by touching). */
    sinspace_region *region;
    const sinspace_filter *filter;
    /* Workplaces: counts and mean risk per area of this level instead of
     * points (always so with min_count suppression). */
    int aggregate;
    sinspace_area_level level;   /* default district */
    long long min_count;         /* public: counts below it are suppressed
                                    (default 5) */
    int contacts;                /* responders, internal only: open the
                                    contacts (audited); default 0 */
    const char *key_file;        /* responders: the key file (NULL: DB.key) */
    int overwrite;               /* 1: replace an existing file (default 0:
                                    refuse, as ogr2ogr without -overwrite);
                                    no meaning for memory or "-" */
} sinspace_export_options;

SINSPACE_API void sinspace_export_options_init(sinspace_export_options *opts);

typedef struct sinspace_export_result {
    long long rows;        /* features written */
    long long displaced;   /* public workplace points geomasked */
    long long suppressed;  /* areas or zones whose counts were withheld */
    sinspace_export_format format;
} sinspace_export_result;

/* Exports to path ("-": standard output, GeoJSON or GeoJSONSeq only).  The
 * store must be open for writing: the audit row, and the geomasking secret
 * on first public export, are written to it.  The file is written beside
 * its final name and renamed into place, mode 0600, only once complete and
 * audited; on failure nothing is left.  An existing file (for a Shapefile,
 * any of its .shp .shx .dbf .prj .cpg) is kept and the export refused with
 * SINSPACE_IO ("PATH: exists; not replaced (give --overwrite to replace
 * it)") unless opts->overwrite; the refusal comes before any work, and
 * the final rename never replaces a file that appeared meanwhile.  result
 * may be NULL. */
SINSPACE_API sinspace_status sinspace_export(sinspace_store *store, const char *path,
                                const sinspace_export_options *opts,
                                sinspace_export_result *result);

/* The same export into memory: on success *data (free() it) and *size hold
 * what the file would hold.  No file is written, temporary or not (formats
 * OGR writes are made in GDAL's /vsimem/, which is memory); a Shapefile,
 * being several files, is refused with SINSPACE_UNSUPPORTED.  The format
 * is opts->format (AUTO: GeoJSON).  Writes the same audit row (target
 * "(memory)"), so the store must be open for writing.  result may be
 * NULL. */
SINSPACE_API sinspace_status sinspace_export_memory(sinspace_store *store,
                                const sinspace_export_options *opts,
                                unsigned char **data, size_t *size,
                                sinspace_export_result *result);

#ifdef __cplusplus
}
#endif
#endif
