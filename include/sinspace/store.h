/* sinspace/store.h: the sin-space store, a SpatiaLite 5 database.
 *
 * A store is an ordinary SpatiaLite file that QGIS and ogrinfo open as it
 * is: workplaces (points, optional footprints), their dated observations,
 * the indicator and sector catalogues, administrative areas, and the map
 * layers of layers/ registered as spatial views.  Stores are created private
 * (mode 0600), kept in WAL mode with a busy timeout so readers and one
 * writer can share them, and refused when others may write to them. */
#ifndef SINSPACE_STORE_H
#define SINSPACE_STORE_H

#include <sinspace/api.h>

#include <sinspace/context.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The schema this library writes.  Older stores are migrated on open for
 * writing; newer ones are refused with SINSPACE_SCHEMA. */
#define SINSPACE_SCHEMA_VERSION 2

typedef struct sinspace_store sinspace_store;

typedef enum sinspace_open_flags {
    SINSPACE_OPEN_READONLY = 0,
    SINSPACE_OPEN_READWRITE = 1
} sinspace_open_flags;

/* Creates a new store at path, mode 0600 whatever the umask.  Fails with
 * SINSPACE_IO if path exists.  On success *out is a store open for writing,
 * to be closed with sinspace_store_close(); on failure *out is untouched and
 * no file is left behind. */
SINSPACE_API sinspace_status sinspace_store_create(sinspace_context *ctx, const char *path,
                                      sinspace_store **out);

/* Opens an existing store.  Fails with SINSPACE_PERMISSION if the file is
 * writable by group or others, SINSPACE_SCHEMA if it is not a sinspace
 * store or has a newer schema. */
SINSPACE_API sinspace_status sinspace_store_open(sinspace_context *ctx, const char *path,
                                    sinspace_open_flags flags,
                                    sinspace_store **out);

/* Closes a store; NULL is harmless.  An open transaction is rolled back. */
SINSPACE_API void sinspace_store_close(sinspace_store *store);

SINSPACE_API sinspace_context *sinspace_store_context(const sinspace_store *store);
/* The path given at open; owned by the store. */
SINSPACE_API const char *sinspace_store_path(const sinspace_store *store);
SINSPACE_API int sinspace_store_schema_version(const sinspace_store *store);

/* A summary of what the store holds (sinspace info). */
typedef struct sinspace_store_info {
    int schema_version;
    char created[32];            /* ISO 8601 UTC */
    long long workplaces;
    long long observations;
    long long areas;
    long long areas_by_level[5]; /* country, province, district, subdistrict, village */
    long long by_class[4];       /* unscored, low, medium, high */
    long long tiles;
    long long fences;
    long long zones;
    long long audit_entries;
    int has_extent;              /* extent of workplaces and areas, EPSG:4326 */
    double min_lon, min_lat, max_lon, max_lat;
    char first_observed[11];     /* YYYY-MM-DD, "" if none */
    char last_observed[11];
} sinspace_store_info;

SINSPACE_API sinspace_status sinspace_store_info_get(sinspace_store *store,
                                        sinspace_store_info *out);

/* One spatial layer (table or view) as QGIS lists it. */
typedef struct sinspace_layer_desc {
    const char *name;
    const char *geometry_column;
    const char *geometry_type; /* "POINT", "MULTIPOLYGON", ... */
    int srid;
    int is_view;
    long long features;
} sinspace_layer_desc;

/* Calls fn once per spatial table and view; strings live until fn returns.
 * fn returns non-zero to stop. */
SINSPACE_API sinspace_status sinspace_store_layers(sinspace_store *store,
                                      int (*fn)(void *user_data,
                                                const sinspace_layer_desc *layer),
                                      void *user_data);

/* The sector catalogue, with the number of workplaces in each. */
typedef struct sinspace_sector_desc {
    const char *code;
    const char *label_en;
    const char *label_th;
    const char *description;
    long long workplaces;
} sinspace_sector_desc;

SINSPACE_API sinspace_status sinspace_store_sectors(sinspace_store *store,
                                       int (*fn)(void *user_data,
                                                 const sinspace_sector_desc *s),
                                       void *user_data);

/* The indicator catalogue, by position. */
typedef struct sinspace_indicator_desc {
    int position;
    const char *code;
    const char *name;
    const char *domain;
    double weight;
    const char *description;
} sinspace_indicator_desc;

SINSPACE_API sinspace_status sinspace_store_indicators(sinspace_store *store,
                                          int (*fn)(void *user_data,
                                                    const sinspace_indicator_desc *i),
                                          void *user_data);

/* Administrative levels, by rank. */
typedef enum sinspace_area_level {
    SINSPACE_LEVEL_COUNTRY = 0,
    SINSPACE_LEVEL_PROVINCE,
    SINSPACE_LEVEL_DISTRICT,
    SINSPACE_LEVEL_SUBDISTRICT,
    SINSPACE_LEVEL_VILLAGE,
    SINSPACE_LEVEL_INVALID = -1
} sinspace_area_level;

SINSPACE_API sinspace_area_level sinspace_area_level_parse(const char *name);
/* "country", "province", "district", "subdistrict", "village"; NULL if
 * out of range.  Static. */
SINSPACE_API const char *sinspace_area_level_name(sinspace_area_level level);

#ifdef __cplusplus
}
#endif
#endif
