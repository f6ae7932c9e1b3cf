/* export_geojson.c: export's GeoJSON and GeoJSONSeq sink, over the
 * streaming writer of io/geojson.c.
 *
 * A file is written through core/outfile.h (a private temporary file
 * beside the final name, renamed over it once the export is audited);
 * standard output is written as it goes; memory is an open_memstream
 * buffer handed to the caller. */
#include "io/export_int.h"
#include "core/outfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct geojson_state {
    sinspace__outfile *of;      /* a file */
    FILE *fp;                   /* where the writer writes */
    char *buf;                  /* memory: open_memstream's buffer */
    size_t len;
    sinspace_geojson_writer *gj;
} geojson_state;

static sinspace_status
gj_open(sinspace__exporter *ex)
{
    geojson_state *s = calloc(1, sizeof *s);
    if (!s)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    ex->state = s;
    sinspace_status st;
    if (!ex->path) {
        if (!(s->fp = open_memstream(&s->buf, &s->len)))
            return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    } else if (!strcmp(ex->path, "-")) {
        s->fp = stdout;
    } else {
        if ((st = sinspace__outfile_open(ex->ctx, ex->path,
                                         ex->o->overwrite
                                             ? SINSPACE__OUTFILE_REPLACE
                                             : SINSPACE__OUTFILE_NO_REPLACE,
                                         &s->of)))
            return st;
        s->fp = sinspace__outfile_stream(s->of);
    }
    sinspace_geojson_options go;
    sinspace_geojson_options_init(&go);
    go.precision = ex->o->precision;
    go.bbox = ex->o->bbox_member;
    go.sequence = ex->format == SINSPACE_FORMAT_GEOJSONSEQ;
    /* .geojsonl is newline-delimited; .geojsons and --format RFC 8142. */
    const char *dot = ex->path ? strrchr(ex->path, '.') : NULL;
    go.record_separator = !(dot && !strcasecmp(dot, ".geojsonl"));
    if ((st = sinspace_geojson_writer_create(ex->ctx, s->fp, &go, &s->gj)))
        return st;
    sinspace_property meta[5];
    size_t n = sinspace__export_meta(ex, meta);
    return sinspace_geojson_begin(s->gj, "sinspace", meta, n);
}

static sinspace_status
gj_write(sinspace__exporter *ex, long long id, const sinspace_property *all,
         const unsigned char *wkb, size_t wkb_size, double lon, double lat)
{
    geojson_state *s = ex->state;
    sinspace_property props[SINSPACE__EXPORT_MAX_COLUMNS];
    size_t n = 0;
    for (size_t i = 0; i < ex->n_cols; i++)
        if (sinspace__export_visible(ex, &ex->cols[i]))
            props[n++] = all[i];
    if (ex->polygons)
        return sinspace_geojson_write_feature(s->gj, id, props, n, wkb, wkb_size);
    /* A workplace's own id, where the audience sees it, is the feature id
     * too, as in `sinspace query --format geojson` and the web API; public
     * files have no id column and keep a plain sequence number. */
    for (size_t i = 0; i < n; i++)
        if (!strcmp(props[i].name, "id") && props[i].type == SINSPACE_VALUE_TEXT &&
            props[i].text)
            return sinspace_geojson_write_point_text_id(s->gj, props[i].text, props,
                                                        n, lon, lat);
    return sinspace_geojson_write_point(s->gj, id, props, n, lon, lat);
}

static sinspace_status
gj_finish(sinspace__exporter *ex)
{
    geojson_state *s = ex->state;
    sinspace_status st = sinspace_geojson_end(s->gj);
    if (st || ex->path)
        return st;
    /* Memory: the stream's buffer becomes the output. */
    int bad = fclose(s->fp) != 0;
    s->fp = NULL;
    if (bad || !s->buf)
        return sinspace__error(ex->ctx, SINSPACE_NO_MEMORY, "out of memory");
    ex->mem = (unsigned char *)s->buf;
    ex->mem_size = s->len;
    s->buf = NULL;
    return SINSPACE_OK;
}

static sinspace_status
gj_publish(sinspace__exporter *ex)
{
    geojson_state *s = ex->state;
    if (!s->of)
        return SINSPACE_OK;
    sinspace__outfile *of = s->of;
    s->of = NULL;
    s->fp = NULL;
    return sinspace__outfile_commit(of);
}

static void
gj_cleanup(sinspace__exporter *ex)
{
    geojson_state *s = ex->state;
    if (!s)
        return;
    sinspace_geojson_writer_destroy(s->gj);
    if (s->of)
        sinspace__outfile_abort(s->of);
    else if (s->fp && !ex->path)
        fclose(s->fp);
    free(s->buf);
    free(s);
    ex->state = NULL;
}

const sinspace__export_sink sinspace__export_geojson_sink = {
    .open = gj_open,
    .write = gj_write,
    .finish = gj_finish,
    .publish = gj_publish,
    .cleanup = gj_cleanup,
};
