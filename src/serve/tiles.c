/* serve_tiles.c: XYZ map tiles for `sinspace serve`: 256-pixel PNGs in the
 * Web Mercator tile grid (EPSG:3857, the tiling every slippy map uses),
 * drawn with the renderer's pieces: the catalogued imagery warped by
 * sinspace__basemap_warp, area outlines, zones, and workplaces through the
 * same symbology (built-in or SLD) as `sinspace map`.  Tiles are kept in a
 * bounded LRU cache keyed by z/x/y, the layers and the data's version, so a
 * change of the data makes new keys and old entries age out. */
#include "serve/serve_int.h"
#include "store/store_int.h" /* TRANSITIONAL: SQL still here */

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
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(w->store,
        "SELECT (SELECT ifnull(max(updated), '') || '/' || count(*) FROM workplaces)"
        " || '|' || (SELECT count(*) || '/' || ifnull(max(id), 0) || '/'"
        "            || ifnull(max(added), '') FROM tiles)"
        " || '|' || (SELECT count(*) || '/' || ifnull(max(id), 0) || '/'"
        "            || ifnull(max(computed_at), '') FROM zones)"
        " || '|' || (SELECT count(*) || '/' || ifnull(max(id), 0) FROM areas)",
        &stmt);
    if (st)
        return st;
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        st = sinspace__db_error(w->store, "data version");
    } else {
        const char *v = (const char *)sqlite3_column_text(stmt, 0);
        snprintf(w->version, sizeof w->version, "%s", v ? v : "");
        w->version_at = now;
    }
    sqlite3_finalize(stmt);
    return st;
}

/* ------------------------------------------------------------------ */
/* Drawing */

typedef struct tile {
    serve_worker *w;
    double te[4];        /* xmin, ymin, xmax, ymax in EPSG:3857 */
    double res;          /* metres per pixel */
    double ll[4];        /* lon/lat bounds (with a margin) */
} tile;

static void
path_geom(cairo_t *cr, const tile *t, OGRGeometryH g)
{
    OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(g));
    if (type == wkbPolygon || type == wkbMultiPolygon ||
        type == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            path_geom(cr, t, OGR_G_GetGeometryRef(g, i));
        return;
    }
    int n = OGR_G_GetPointCount(g);
    for (int i = 0; i < n; i++) {
        double px = (OGR_G_GetX(g, i) - t->te[0]) / t->res;
        double py = (t->te[3] - OGR_G_GetY(g, i)) / t->res;
        if (i == 0)
            cairo_move_to(cr, px, py);
        else
            cairo_line_to(cr, px, py);
    }
    if (n)
        cairo_close_path(cr);
}

/* Draws the polygons a statement returns in column col as WKB. */
static sinspace_status
draw_polygons(cairo_t *cr, const tile *t, sqlite3_stmt *stmt, int col,
              void (*style)(cairo_t *cr, sqlite3_stmt *stmt))
{
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, t->ll[i]);
    /* Half a pixel in degrees (at worst, the equator's): vertices closer
     * than that cannot show, so SpatiaLite drops them before PROJ and
     * cairo see them. */
    sqlite3_bind_double(stmt, 5, t->res / 2 / 111319.49);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const void *wkb = sqlite3_column_blob(stmt, col);
        int n = sqlite3_column_bytes(stmt, col);
        OGRGeometryH g = NULL;
        if (!wkb || OGR_G_CreateFromWkb(wkb, NULL, &g, n) != OGRERR_NONE || !g)
            continue;
        if (OGR_G_Transform(g, t->w->to_merc) == OGRERR_NONE) {
            cairo_new_path(cr);
            path_geom(cr, t, g);
            style(cr, stmt);
        }
        OGR_G_DestroyGeometry(g);
    }
    if (rc != SQLITE_DONE)
        return sinspace__db_error(t->w->store, "tile");
    return SINSPACE_OK;
}

static void
style_area(cairo_t *cr, sqlite3_stmt *stmt)
{
    int rank = sqlite3_column_int(stmt, 1);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    /* A white casing under a dark line reads on imagery and on white. */
    cairo_set_source_rgba(cr, 1, 1, 1, 0.7);
    cairo_set_line_width(cr, rank <= 1 ? 4.0 : 3.0);
    cairo_stroke_preserve(cr);
    cairo_set_source_rgba(cr, 0.2, 0.2, 0.35, 0.9);
    cairo_set_line_width(cr, rank <= 1 ? 2.0 : rank == 2 ? 1.2 : 0.7);
    if (rank >= 3) {
        double dash[] = {4, 3};
        cairo_set_dash(cr, dash, 2, 0);
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

static void
style_zone(cairo_t *cr, sqlite3_stmt *stmt)
{
    (void)stmt;
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_set_source_rgba(cr, 0.85, 0.2, 0.6, 0.22);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, 0.6, 0.05, 0.4, 0.9);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
}

static sinspace_status
draw_imagery(cairo_t *cr, const tile *t)
{
    serve_worker *w = t->w;
    sqlite3_stmt *stmt;
    sinspace_status st = sinspace__prepare(w->store,
        "SELECT path FROM tiles"
        " WHERE id IN (SELECT rowid FROM SpatialIndex"
        "  WHERE f_table_name = 'tiles' AND f_geometry_column = 'footprint'"
        "  AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " AND ST_Intersects(footprint, BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY acquired, id", &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, t->ll[i]);
    char *paths[64];
    int n = 0;
    char *dir = sinspace__strdup(sinspace_store_path(w->store));
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    while (n < 64 && sqlite3_step(stmt) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(stmt, 0);
        if (!p)
            continue;
        char full[4096];
        if (p[0] == '/' || !slash)
            snprintf(full, sizeof full, "%s", p);
        else
            snprintf(full, sizeof full, "%s/%s", dir, p);
        paths[n] = sinspace__strdup(full);
        if (paths[n])
            n++;
    }
    sqlite3_finalize(stmt);
    free(dir);
    if (n > 0) {
        cairo_surface_t *img = NULL;
        st = sinspace__basemap_warp(w->ctx, (const char *const *)paths, n,
                                    w->merc_wkt, t->te, TILE_PX, TILE_PX, &img);
        if (st == SINSPACE_OK) {
            cairo_set_source_surface(cr, img, 0, 0);
            cairo_paint(cr);
            cairo_surface_destroy(img);
        } else {
            /* A missing or unreadable raster must not take the map down:
             * the tile is drawn without it and the reason logged. */
            sinspace__log(w->ctx, SINSPACE_LOG_WARNING, "tile imagery: %s",
                          sinspace_context_message(w->ctx));
            sinspace_context_clear(w->ctx);
            st = SINSPACE_OK;
        }
    }
    for (int i = 0; i < n; i++)
        free(paths[i]);
    return st;
}

static sinspace_status
draw_workplaces(cairo_t *cr, const tile *t, double scale)
{
    serve_worker *w = t->w;
    sqlite3_stmt *stmt;
    /* Unscored first, then by risk, so the highest lands on top. */
    sinspace_status st = sinspace__prepare(w->store,
        "SELECT id, ext_id, name, name_local, sector, status, risk, risk_class,"
        " X(geom), Y(geom) FROM workplaces"
        " WHERE id IN (SELECT rowid FROM SpatialIndex"
        "  WHERE f_table_name = 'workplaces' AND f_geometry_column = 'geom'"
        "  AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"
        " ORDER BY risk IS NOT NULL, risk, id", &stmt);
    if (st)
        return st;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(stmt, i + 1, t->ll[i]);
    int rc;
    double px_sld = 1.0; /* screen tiles: one SLD pixel is one pixel */
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        char idbuf[32], riskbuf[32];
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)sqlite3_column_int64(stmt, 0));
        int scored = sqlite3_column_type(stmt, 6) != SQLITE_NULL;
        if (scored)
            snprintf(riskbuf, sizeof riskbuf, "%.3f", sqlite3_column_double(stmt, 6));
        render_feature f = {idbuf,
                            (const char *)sqlite3_column_text(stmt, 1),
                            (const char *)sqlite3_column_text(stmt, 2),
                            (const char *)sqlite3_column_text(stmt, 3),
                            (const char *)sqlite3_column_text(stmt, 4),
                            (const char *)sqlite3_column_text(stmt, 5),
                            scored ? riskbuf : NULL,
                            (const char *)sqlite3_column_text(stmt, 7)};
        double x = sqlite3_column_double(stmt, 8), y = sqlite3_column_double(stmt, 9);
        if (!OCTTransform(w->to_merc, 1, &x, &y, NULL))
            continue;
        double px = (x - t->te[0]) / t->res, py = (t->te[3] - y) / t->res;
        const sinspace_symbolizer *syms[8];
        size_t n = sinspace__symbology_apply(w->sym, &f, scale, syms, 8);
        for (size_t k = 0; k < n; k++)
            if (syms[k]->kind == SINSPACE_SYMBOLIZER_POINT)
                sinspace__symbolizer_draw(cr, syms[k], px, py, px_sld);
    }
    if (rc != SQLITE_DONE)
        st = sinspace__db_error(w->store, "tile workplaces");
    sqlite3_finalize(stmt);
    return st;
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

    tile t = {.w = w};
    double span = 2 * MERC_HALF / (double)(1 << z);
    t.te[0] = -MERC_HALF + x * span;
    t.te[2] = t.te[0] + span;
    t.te[3] = MERC_HALF - y * span;
    t.te[1] = t.te[3] - span;
    t.res = span / TILE_PX;
    /* Look-ups reach 24 pixels beyond the tile so markers and lines cut
     * by its edge are drawn on both sides of the seam. */
    double m = 24 * t.res;
    double cx[2] = {t.te[0] - m, t.te[2] + m};
    double cy[2] = {fmax(t.te[1] - m, -MERC_HALF), fmin(t.te[3] + m, MERC_HALF)};
    if (!OCTTransform(w->to_ll, 2, cx, cy, NULL))
        return sinspace__error(w->ctx, SINSPACE_ERROR, "tile %d/%d/%d: bounds", z, x, y);
    t.ll[0] = fmax(cx[0], -180);
    t.ll[1] = fmax(cy[0], -85.06);
    t.ll[2] = fmin(cx[1], 180);
    t.ll[3] = fmin(cy[1], 85.06);

    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32,
                                                       TILE_PX, TILE_PX);
    cairo_t *cr = cairo_create(surf);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    if (layers & SERVE_LAYER_IMAGERY)
        st = draw_imagery(cr, &t);
    if (!st && (layers & SERVE_LAYER_ZONES)) {
        sqlite3_stmt *stmt;
        st = sinspace__prepare(w->store,
            "SELECT AsBinary(SimplifyPreserveTopology(geom, ?5)), 0 FROM zones WHERE id IN (SELECT rowid FROM"
            " SpatialIndex WHERE f_table_name = 'zones' AND f_geometry_column = 'geom'"
            " AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))", &stmt);
        if (!st) {
            st = draw_polygons(cr, &t, stmt, 0, style_zone);
            sqlite3_finalize(stmt);
        }
    }
    if (!st && (layers & SERVE_LAYER_AREAS)) {
        sqlite3_stmt *stmt;
        st = sinspace__prepare(w->store,
            "SELECT AsBinary(SimplifyPreserveTopology(geom, ?5)), level_rank FROM areas WHERE id IN (SELECT rowid"
            " FROM SpatialIndex WHERE f_table_name = 'areas' AND f_geometry_column = 'geom'"
            " AND search_frame = BuildMbr(?1, ?2, ?3, ?4, 4326))"
            " ORDER BY level_rank DESC", &stmt);
        if (!st) {
            st = draw_polygons(cr, &t, stmt, 0, style_area);
            sqlite3_finalize(stmt);
        }
    }
    if (!st && (layers & SERVE_LAYER_WORKPLACES))
        st = draw_workplaces(cr, &t, SCALE_Z0 / (double)(1 << z));
    cairo_destroy(cr);
    png_buf b = {0};
    if (!st) {
        cairo_surface_flush(surf);
        if (cairo_surface_write_to_png_stream(surf, png_write, &b) != CAIRO_STATUS_SUCCESS)
            st = sinspace__error(w->ctx, SINSPACE_NO_MEMORY, "tile %d/%d/%d: PNG", z, x, y);
    }
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
