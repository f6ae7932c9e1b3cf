/* tiles.c: XYZ map tiles for `sinspace serve`: 256-pixel PNGs in the
 * Web Mercator tile grid (EPSG:3857, the tiling every slippy map uses).
 * A tile is the map renderer's frame (render/frame.c) drawn for the tile's
 * extent: the catalogued imagery, area outlines, zones, and workplaces
 * through the same symbology (built-in or SLD) as `sinspace map`.  Tiles are kept in a
 * bounded LRU cache keyed by z/x/y, the layers and the data's version, so a
 * change of the data makes new keys and old entries age out. */
#include "serve/serve_int.h"
#include "store/features.h"
#include "store/serve.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpl_conv.h>
#include <ogr_api.h>

#define TILE_PX 256
/* Half the width of the EPSG:3857 world: the tile grid's definition
 * (OGC Two Dimensional Tile Matrix Set, WebMercatorQuad). */
#define MERC_HALF 20037508.342789244
/* Scale denominator of zoom 0 in WebMercatorQuad (0.28 mm pixels). */
#define SCALE_Z0 559082264.0287178

/* ------------------------------------------------------------------ */
/* The cache: a hash of keys to PNG bytes with a doubly linked LRU list. */

typedef struct cache_entry {
    char *key;
    unsigned char *png;
    size_t size;
    struct cache_entry *prev, *next;   /* LRU, most recent at head */
    struct cache_entry *hnext;         /* hash chain */
} cache_entry;

#define CACHE_BUCKETS 4096

struct serve_cache {
    pthread_mutex_t lock;
    size_t max_bytes, bytes;
    cache_entry *head, *tail;
    cache_entry *buckets[CACHE_BUCKETS];
    long long hits, misses;
};

static unsigned
hash_key(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % CACHE_BUCKETS;
}

serve_cache *
sinspace__serve_cache_create(size_t max_bytes)
{
    serve_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->max_bytes = max_bytes;
    return c;
}

void
sinspace__serve_cache_destroy(serve_cache *c)
{
    if (!c)
        return;
    for (cache_entry *e = c->head, *n; e; e = n) {
        n = e->next;
        free(e->key);
        free(e->png);
        free(e);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void
sinspace__serve_cache_stats(serve_cache *c, long long *hits, long long *misses,
                            size_t *bytes)
{
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    *bytes = c->bytes;
    pthread_mutex_unlock(&c->lock);
}

static void
lru_unlink(serve_cache *c, cache_entry *e)
{
    if (e->prev) e->prev->next = e->next; else c->head = e->next;
    if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void
lru_push(serve_cache *c, cache_entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static void
hash_remove(serve_cache *c, cache_entry *e)
{
    cache_entry **pp = &c->buckets[hash_key(e->key)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
}

/* A copy of the cached PNG, or NULL. */
static unsigned char *
cache_get(serve_cache *c, const char *key, size_t *size)
{
    unsigned char *copy = NULL;
    pthread_mutex_lock(&c->lock);
    cache_entry *e = c->buckets[hash_key(key)];
    while (e && strcmp(e->key, key))
        e = e->hnext;
    if (e) {
        copy = malloc(e->size);
        if (copy) {
            memcpy(copy, e->png, e->size);
            *size = e->size;
            lru_unlink(c, e);
            lru_push(c, e);
            c->hits++;
        }
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return copy;
}

static void
cache_put(serve_cache *c, const char *key, const unsigned char *png, size_t size)
{
    if (size > c->max_bytes / 4)
        return;
    cache_entry *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->key = sinspace__strdup(key);
    e->png = malloc(size);
    if (!e->key || !e->png) {
        free(e->key);
        free(e->png);
        free(e);
        return;
    }
    memcpy(e->png, png, size);
    e->size = size;
    pthread_mutex_lock(&c->lock);
    cache_entry *old = c->buckets[hash_key(key)];
    while (old && strcmp(old->key, key))
        old = old->hnext;
    if (old) { /* drawn twice at once: keep the first */
        pthread_mutex_unlock(&c->lock);
        free(e->key);
        free(e->png);
        free(e);
        return;
    }
    unsigned h = hash_key(key);
    e->hnext = c->buckets[h];
    c->buckets[h] = e;
    lru_push(c, e);
    c->bytes += size + strlen(key) + sizeof *e;
    while (c->bytes > c->max_bytes && c->tail && c->tail != e) {
        cache_entry *t = c->tail;
        lru_unlink(c, t);
        hash_remove(c, t);
        c->bytes -= t->size + strlen(t->key) + sizeof *t;
        free(t->key);
        free(t->png);
        free(t);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------ */
/* Worker set-up and the data version */

sinspace_status
sinspace__serve_worker_tiles(serve_worker *w, const char *style_path)
{
    OGRSpatialReferenceH ll = OSRNewSpatialReference(NULL);
    OGRSpatialReferenceH merc = OSRNewSpatialReference(NULL);
    sinspace_status st = SINSPACE_OK;
    if (!ll || !merc || OSRImportFromEPSG(ll, 4326) != OGRERR_NONE ||
        OSRImportFromEPSG(merc, 3857) != OGRERR_NONE) {
        st = sinspace__gdal_error(w->ctx, SINSPACE_ERROR, "EPSG:3857");
        goto done;
    }
    OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(merc, OAMS_TRADITIONAL_GIS_ORDER);
    w->to_merc = OCTNewCoordinateTransformation(ll, merc);
    w->to_ll = OCTNewCoordinateTransformation(merc, ll);
    if (!w->to_merc || !w->to_ll) {
        st = sinspace__gdal_error(w->ctx, SINSPACE_ERROR, "EPSG:4326 to EPSG:3857");
        goto done;
    }
    char *wkt = NULL;
    if (OSRExportToWkt(merc, &wkt) != OGRERR_NONE) {
        st = sinspace__gdal_error(w->ctx, SINSPACE_ERROR, "EPSG:3857 WKT");
        goto done;
    }
    w->merc_wkt = sinspace__strdup(wkt);
    CPLFree(wkt);
    st = style_path ? sinspace__symbology_load(w->ctx, style_path, &w->sym)
                    : sinspace__symbology_default(w->ctx, &w->sym);
done:
    OSRDestroySpatialReference(ll);
    OSRDestroySpatialReference(merc);
    return st;
}

static double
mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

sinspace_status
sinspace__serve_version(serve_worker *w)
{
    double now = mono_now();
    if (w->version[0] && now - w->version_at < 1.0)
        return SINSPACE_OK;
    sinspace_status st = sinspace__store_engine(w->store)->serve->data_version(
        w->store, w->version, sizeof w->version);
    if (!st)
        w->version_at = now;
    return st;
}

/* ------------------------------------------------------------------ */
/* Drawing: a tile is the renderer's frame (render/frame.c) for the tile's
 * extent, as MapServer draws a tile by setting the map's extent to it
 * (msTileSetExtent) and drawing the map. */

/* The map of tile z/x/y: a 256-pixel frame in EPSG:3857 at the tile's
 * resolution, one SLD pixel a pixel, reading a box 24 pixels wider so
 * markers and lines cut by the edge are drawn on both sides of the seam.
 * The transforms and WKT are the worker's (borrowed). */
static sinspace_status
tile_map(serve_worker *w, int z, int x, int y, render_map *m)
{
    double span = 2 * MERC_HALF / (double)(1 << z);
    double res = span / TILE_PX;
    memset(m, 0, sizeof *m);
    m->store = w->store;
    m->ctx = w->ctx;
    m->dpi = 25.4 / 0.28; /* the 0.28 mm pixel of WebMercatorQuad */
    m->px_sld = 1.0;      /* screen tiles: one SLD pixel is one pixel */
    m->px_mm = 1 / 0.28;
    m->px_pt = m->px_mm * 25.4 / 72;
    m->W = m->H = TILE_PX;
    m->frame[2] = m->frame[3] = TILE_PX;
    m->ext[0] = -MERC_HALF + x * span;
    m->ext[2] = m->ext[0] + span;
    m->ext[3] = MERC_HALF - y * span;
    m->ext[1] = m->ext[3] - span;
    double gt[6] = {m->ext[0], res, 0, m->ext[3], 0, -res};
    memcpy(m->gt, gt, sizeof gt);
    m->scale = SCALE_Z0 / (double)(1 << z);
    m->to_map = w->to_merc;
    m->wkt = w->merc_wkt;
    m->level = -1; /* every level's outline */
    m->is_raster = 1;
    double b = 24 * res;
    double cx[2] = {m->ext[0] - b, m->ext[2] + b};
    double cy[2] = {fmax(m->ext[1] - b, -MERC_HALF), fmin(m->ext[3] + b, MERC_HALF)};
    if (!OCTTransform(w->to_ll, 2, cx, cy, NULL))
        return sinspace__error(w->ctx, SINSPACE_ERROR, "tile %d/%d/%d: bounds",
                               z, x, y);
    m->ll[0] = fmax(cx[0], -180);
    m->ll[1] = fmax(cy[0], -85.06);
    m->ll[2] = fmin(cx[1], 180);
    m->ll[3] = fmin(cy[1], 85.06);
    return SINSPACE_OK;
}

/* Draws tile z/x/y with the layers given into a new 256-pixel surface
 * (*out the caller's, cairo_surface_destroy). */
sinspace_status
sinspace__serve_tile_draw(serve_worker *w, int z, int x, int y,
                          unsigned layers, cairo_surface_t **out)
{
    render_map m;
    sinspace_status st = tile_map(w, z, x, y, &m);
    if (st)
        return st;
    render_frame_opts fo = {0};
    fo.web = 1;
    fo.no_labels = 1;
    fo.bleed_px = 24;
    /* Half a pixel in degrees (at worst, the equator's): vertices closer
     * than that cannot show, so the store drops them before PROJ and cairo
     * see them. */
    fo.simplify = m.gt[1] / 2 / 111319.49;
    if (layers & SERVE_LAYER_IMAGERY)
        fo.layers |= RENDER_LAYER_IMAGERY;
    if (layers & SERVE_LAYER_AREAS)
        fo.layers |= RENDER_LAYER_AREAS;
    if (layers & SERVE_LAYER_ZONES)
        fo.layers |= RENDER_LAYER_ZONES;
    if (layers & SERVE_LAYER_WORKPLACES)
        fo.layers |= RENDER_LAYER_WORKPLACES;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32,
                                                       TILE_PX, TILE_PX);
    cairo_t *cr = cairo_create(surf);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    st = sinspace__frame_load(&m, &fo);
    if (!st)
        st = sinspace__frame_imagery(cr, &m, &fo);
    if (!st)
        st = sinspace__frame_features(cr, &m, &fo, w->sym, NULL, NULL);
    cairo_destroy(cr);
    sinspace__frame_clear(&m);
    if (st) {
        cairo_surface_destroy(surf);
        return st;
    }
    cairo_surface_flush(surf);
    *out = surf;
    return SINSPACE_OK;
}

typedef struct png_buf {
    unsigned char *data;
    size_t size, cap;
} png_buf;

static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int length)
{
    png_buf *b = closure;
    if (b->size + length > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->size + length)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d)
            return CAIRO_STATUS_NO_MEMORY;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->size, data, length);
    b->size += length;
    return CAIRO_STATUS_SUCCESS;
}

sinspace_status
sinspace__serve_tile(serve_worker *w, serve_cache *cache, int z, int x, int y,
                     unsigned layers, unsigned char **png, size_t *size)
{
    if (z < 0 || z > 22 || x < 0 || y < 0 || x >= (1 << z) || y >= (1 << z))
        return sinspace__error(w->ctx, SINSPACE_NOT_FOUND,
                               "tile %d/%d/%d: outside the tile grid", z, x, y);
    sinspace_status st = sinspace__serve_version(w);
    if (st)
        return st;
    char key[400];
    snprintf(key, sizeof key, "%d/%d/%d/%x/%s", z, x, y, layers, w->version);
    unsigned char *hit = cache_get(cache, key, size);
    if (hit) {
        *png = hit;
        return SINSPACE_OK;
    }

    cairo_surface_t *surf = NULL;
    if ((st = sinspace__serve_tile_draw(w, z, x, y, layers, &surf)))
        return st;
    png_buf b = {0};
    if (cairo_surface_write_to_png_stream(surf, png_write, &b) != CAIRO_STATUS_SUCCESS)
        st = sinspace__error(w->ctx, SINSPACE_NO_MEMORY, "tile %d/%d/%d: PNG", z, x, y);
    cairo_surface_destroy(surf);
    if (st) {
        free(b.data);
        return st;
    }
    cache_put(cache, key, b.data, b.size);
    *png = b.data;
    *size = b.size;
    return SINSPACE_OK;
}
