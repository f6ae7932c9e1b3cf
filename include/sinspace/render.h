/* sinspace/render.h: printed risk maps and atlases.
 *
 * A map is one page (PDF, SVG or PNG) of an extent: the catalogued satellite
 * tiles warped with GDAL to the map CRS at the output resolution, the
 * administrative areas, the high-risk zones of the `zones` table
 * (sinspace/zones.h) that meet the frame (translucent polygons styled by
 * styles/zones.sld, each labelled "Z<id>" for `sinspace query --zone ID`),
 * the workplaces (colour by risk class, shape by sector) with
 * collision-free labels, and the marginalia (title, legend with counts,
 * scale bar, north arrow, degree ticks, inset locator, attribution,
 * generation time, confidentiality marking).  Everything is drawn in device
 * pixels of the page at the chosen dpi, so a PNG's pixel grid is exactly
 * what its world file (.pgw) and .aux.xml describe.  An atlas is a PDF of an
 * overview choropleth and one page per area.
 *
 * Output files hold data: they are created mode 0600, and every map or atlas
 * that completes writes one audit row. */
#ifndef SINSPACE_RENDER_H
#define SINSPACE_RENDER_H

#include <sinspace/api.h>

#include <sinspace/query.h>
#include <sinspace/store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sinspace_paper {
    SINSPACE_PAPER_A4 = 0,
    SINSPACE_PAPER_A3,
    SINSPACE_PAPER_A2,
    SINSPACE_PAPER_A1,
    SINSPACE_PAPER_A0,
    SINSPACE_PAPER_LETTER,
    SINSPACE_PAPER_INVALID = -1
} sinspace_paper;

/* "A4".."A0", "Letter" (any case); SINSPACE_PAPER_INVALID otherwise. */
SINSPACE_API sinspace_paper sinspace_paper_parse(const char *name);

typedef enum sinspace_render_format {
    SINSPACE_RENDER_AUTO = 0, /* from the output file's extension */
    SINSPACE_RENDER_PDF,
    SINSPACE_RENDER_SVG,
    SINSPACE_RENDER_PNG
} sinspace_render_format;

typedef struct sinspace_map_options {
    const char *output;            /* file to write (required) */
    sinspace_render_format format;
    /* The extent: exactly one of area (code, Latin or local name), bbox
     * (has_bbox; west, south, east, north in lon/lat) or within (a polygon
     * file OGR reads). */
    const char *area;
    int has_bbox;
    double bbox[4];
    const char *within;
    /* Instead of within: a region the caller holds (the web API's drawn
     * polygon, read by sinspace_region_from_text); not owned. */
    sinspace_region *within_region;
    double margin;                 /* fraction of the extent added on each
                                      side; default 0.05 */
    sinspace_paper paper;          /* default A4 */
    int landscape;
    double dpi;                    /* default 300 */
    const char *crs;               /* projected CRS PROJ understands; NULL:
                                      the UTM zone of the extent's centre */
    const char *style_path;        /* SLD for workplaces; NULL: built-in */
    const char *title;             /* NULL: "Workplace risk: AREA" */
    const char *subtitle;          /* NULL: area and date of data */
    const char *marking;           /* NULL: "CONFIDENTIAL — for authorised
                                      use"; "" for none */
    const char *generated_at;      /* NULL: now (UTC); fixed text makes the
                                      output reproducible */
    const char *label_field;       /* "name" (default), "name_local", "id" */
    int no_basemap;                /* 1: plain background, no imagery */
    int no_labels;                 /* 1: markers only (zone ids stay) */
    int no_workplaces;             /* 1: basemap and areas only */
    double basemap_fade;           /* 0 (default, unaltered) .. 1 (white) */
    double basemap_desaturate;     /* 0 (default, unaltered) .. 1 (grey) */
    int no_zones;                  /* 1: leave out the zones layer */
    int gaps;                      /* 1: ring the high-risk workplaces no
                                      responder covers (docs/network.md) */
    const char *zones_run;         /* the zone run drawn; NULL: the latest */
    const char *layout_report;     /* JSON of every placed box, or NULL */
    int contacts;                  /* 1: a map of an area prints a "who to
                                      call" panel with the covering
                                      responders' phones (audited) */
    const char *key_file;          /* with contacts: the key file (NULL:
                                      DB.key or SINSPACE_KEY_FILE) */
    int overwrite;                 /* 1: replace existing output files (the
                                      page and a PNG's sidecars); default 0:
                                      refuse.  No meaning in memory. */
} sinspace_map_options;

SINSPACE_API void sinspace_map_options_init(sinspace_map_options *opts);

/* A scale as printed on the page: two significant figures with thousands
 * separators ("1:23,000" for 23,346). */
SINSPACE_API void sinspace_scale_text(double scale, char *buf, size_t size);

typedef struct sinspace_map_result {
    long long workplaces;          /* workplaces drawn */
    long long labels;              /* workplace labels placed */
    long long zones;               /* zones drawn (meeting the frame) */
    int tiles;                     /* imagery tiles used */
    int width, height;             /* page size in pixels at dpi */
    /* The page's pixel grid in the map CRS, GDAL order: x of the left edge,
     * pixel width, 0, y of the top edge, 0, -pixel height. */
    double geotransform[6];
    /* The map frame in page pixels: x, y, width, height. */
    int frame[4];
    char crs[64];                  /* e.g. "EPSG:32647" */
    double scale;                  /* scale denominator at the page's dpi */
} sinspace_map_result;

/* Draws the map to opts->output.  A PNG also gets OUT.pgw, OUT.prj and
 * OUT.png.aux.xml; the page and its sidecars appear together, mode 0600.
 * If any of them exists and opts->overwrite is 0, nothing is drawn or
 * written and the map fails with SINSPACE_IO ("PATH: exists; not replaced
 * (give --overwrite to replace it)"); the final moves never replace a file
 * that appeared meanwhile.  result may be NULL.  Writes an audit row (command
 * "map", target the extent, rows the workplaces drawn), so the store must
 * be open for writing. */
SINSPACE_API sinspace_status sinspace_map_render(sinspace_store *store,
                                    const sinspace_map_options *opts,
                                    sinspace_map_result *result);

/* As sinspace_map_render, into memory: on success *data (free() it) and
 * *size hold the page.  opts->output is ignored and opts->format must be
 * PDF, SVG or PNG; a PNG gets no sidecar files.  Writes the same audit row
 * (output "(memory)").  Writes no file, temporary or not. */
SINSPACE_API sinspace_status sinspace_map_render_memory(sinspace_store *store,
                                    const sinspace_map_options *opts,
                                    unsigned char **data, size_t *size,
                                    sinspace_map_result *result);

typedef struct sinspace_atlas_options {
    const char *output;            /* PDF to write (required) */
    sinspace_area_level level;     /* default district */
    const char *province;          /* NULL: every area of the level */
    sinspace_paper paper;          /* default A4 */
    int landscape;
    double dpi;                    /* imagery resolution; default 150 */
    const char *style_path;
    const char *marking;
    const char *generated_at;
    int no_basemap;
    int max_table_rows;            /* high-risk rows per area; default 15 */
    int no_zones;                  /* 1: leave out the zones layer */
    const char *layout_report;     /* JSON of every placed box, or NULL */
    int skip_empty;                /* 1: no page for an area without data */
    int sort;                      /* 0 name (default), 1 risk, 2 code */
    int overwrite;                 /* 1: replace an existing PDF; default 0:
                                      refuse, as for maps */
} sinspace_atlas_options;

SINSPACE_API void sinspace_atlas_options_init(sinspace_atlas_options *opts);

typedef struct sinspace_atlas_result {
    int pages;
    int areas;
    long long workplaces;          /* drawn over all area pages */
} sinspace_atlas_result;

/* Writes the atlas, reporting progress per area as task "atlas".  result
 * may be NULL.  Writes one audit row (command "atlas"). */
SINSPACE_API sinspace_status sinspace_atlas_render(sinspace_store *store,
                                      const sinspace_atlas_options *opts,
                                      sinspace_atlas_result *result);

#ifdef __cplusplus
}
#endif
#endif
