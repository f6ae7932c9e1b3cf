/* export_int.h: what the export files share (io/export.c and one file per
 * format family: export_geojson.c, export_ogr.c).
 *
 * export.c reads the layer through the engine (store/export.h), applies
 * the audience rules (which columns go out, geomasking, suppression) and
 * hands each feature to a sink.  A sink writes one format family to one of
 * three targets: a file (written beside its final name, published only
 * once complete and audited), standard output, or memory. */
#ifndef SINSPACE_IO_EXPORT_INT_H
#define SINSPACE_IO_EXPORT_INT_H

#include "core/sinspaceInt.h"

#include <stddef.h>

#define SINSPACE__EXPORT_MAX_COLUMNS 48
#define SINSPACE__EXPORT_MONTH 1
#define SINSPACE__EXPORT_ROUND1 2

/* One attribute of a layer and the audiences allowed to see it (bits of
 * 1u << sinspace_audience). */
typedef struct sinspace__export_column {
    const char *name;
    sinspace_value_type type;
    unsigned audiences;
} sinspace__export_column;

typedef struct sinspace__export_sink sinspace__export_sink;

typedef struct sinspace__exporter {
    sinspace_store *store;
    sinspace_context *ctx;
    const sinspace_export_options *o;
    sinspace_export_format format;
    const char *path;           /* the file, "-" for standard output, NULL
                                   for memory */
    const char *label;          /* path, or "(memory)": for messages */
    char generated[32];
    const char *layer_name;
    const sinspace__export_column *cols;
    size_t n_cols;
    /* The columns as this audience gets them (cols points here): for the
     * public, dates become text cut to the month. */
    sinspace__export_column cols_buf[SINSPACE__EXPORT_MAX_COLUMNS];
    /* Per column, what the public gets of it: 0 as stored,
     * SINSPACE__EXPORT_MONTH a date cut to "YYYY-MM",
     * SINSPACE__EXPORT_ROUND1 a risk rounded to one decimal. */
    unsigned char coarse[SINSPACE__EXPORT_MAX_COLUMNS];
    int polygons;               /* else points */
    /* The sink and its state (the family's own struct). */
    const sinspace__export_sink *sink;
    void *state;
    /* Memory: the finished output, set by the sink's finish (malloc'd;
     * the exporter frees it unless it was handed to the caller). */
    unsigned char *mem;
    size_t mem_size;
} sinspace__exporter;

/* A format family.  open prepares the target and writes the header;
 * write takes one feature (all[] holds every column of the layer; only
 * the audience's go out); finish completes the output without publishing
 * it (memory: sets ex->mem); publish moves a file into place; cleanup
 * removes whatever is left of an unfinished export and frees the state. */
struct sinspace__export_sink {
    sinspace_status (*open)(sinspace__exporter *ex);
    sinspace_status (*write)(sinspace__exporter *ex, long long id,
                             const sinspace_property *all,
                             const unsigned char *wkb, size_t wkb_size,
                             double lon, double lat);
    sinspace_status (*finish)(sinspace__exporter *ex);
    sinspace_status (*publish)(sinspace__exporter *ex);
    void (*cleanup)(sinspace__exporter *ex);
};

/* GeoJSON and GeoJSONSeq through the streaming writer (io/geojson.c). */
extern const sinspace__export_sink sinspace__export_geojson_sink;
/* Every other format, through OGR. */
extern const sinspace__export_sink sinspace__export_ogr_sink;

/* 1 when the exporter's audience may see column c. */
int sinspace__export_visible(const sinspace__exporter *ex,
                             const sinspace__export_column *c);

/* The dataset metadata ("sinspace" member in GeoJSON, SINSPACE_* items in
 * OGR): audience, generated, layer, generator, geomasked.  Returns how
 * many of meta[5] it filled. */
size_t sinspace__export_meta(const sinspace__exporter *ex,
                             sinspace_property meta[5]);

/* 1 if path names the store itself (or its WAL, shared-memory or journal
 * file). */
int sinspace__export_is_store_file(const sinspace_store *store,
                                   const char *path);

/* Splits ex->path into its folder (*dir, malloc'd, the caller frees) and
 * its last component (*base, inside ex->path). */
sinspace_status sinspace__export_dir_and_base(sinspace__exporter *ex, char **dir,
                                              const char **base);

#endif
