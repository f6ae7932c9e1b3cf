/* query.c: the workplaces inside a region that pass a filter (see
 * sinspace/query.h and docs/query.md).
 *
 * Two phases.  Spatial: the store's spatial index gives the candidates
 * inside the bounding box of each part of the region (parts of a
 * multipolygon are prefiltered one by one, so two far-apart islands do not
 * pull in everything between them), each with its index box; a grid of
 * cells classed once by GEOS (or by geodesic distances for a circle)
 * decides most of them from the box alone, and the rest read their point
 * for the exact test, a GEOS prepared geometry (intersects: a point on the
 * boundary is inside) or the geodesic distance.  Filter: the store hands
 * out the rows of the hits that pass the filter, sorted and limited
 * (store/query.h, the engine binds every value); with no filter,
 * sinspace_query_ids hands out the hits' ids directly. */
#include "geo/queryInt.h"
#include "store/query.h"
#include "store/serve.h"
#include "core/parse.h"

#include <sinspace/hotspots.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
sinspace_filter_init(sinspace_filter *f)
{
    if (!f)
        return;
    memset(f, 0, sizeof *f);
    f->min_risk = NAN;
    f->sort = SINSPACE_SORT_ID;
}

/* -------------------------------------------------------------------------
 * The filter options, one table for every door
 */

enum { OPT_MIN_RISK, OPT_CLASS, OPT_SECTOR, OPT_STATUS, OPT_SEEN, OPT_CHANGED,
       OPT_LIMIT, OPT_SORT, OPT_HOTSPOT, N_OPTS };

static const sinspace_filter_option filter_options[N_OPTS + 1] = {
    [OPT_MIN_RISK] = {"min-risk", "a number from 1 to 3", 0},
    [OPT_CLASS] = {"class", "low, medium, high or unscored (a comma list)", 1},
    [OPT_SECTOR] = {"sector", "sector codes (a comma list)", 1},
    [OPT_STATUS] = {"status", "active, closed, unknown or open (not closed)", 0},
    [OPT_SEEN] = {"seen-since", "a date YYYY-MM-DD", 0},
    [OPT_CHANGED] = {"changed-since", "a date YYYY-MM-DD", 0},
    [OPT_LIMIT] = {"limit", "a whole number above 0", 0},
    [OPT_SORT] = {"sort", "risk, name, distance (a circle region) or id", 0},
    [OPT_HOTSPOT] = {"hotspot", "emerging hot-spot categories: " SINSPACE_EMERGING_WORDS, 1},
    [N_OPTS] = {NULL, NULL, 0},
};

/* What sinspace_filter_set copied: every value lives here, so the filter
 * does not depend on the lifetime of argv or of a request's arguments. */
struct sinspace_filter_owned {
    unsigned given;             /* bit per option */
    char **texts;               /* owned strings */
    size_t n_texts, cap_texts;
    const char **sectors;       /* filter->sectors */
    size_t cap_sectors;
};

const sinspace_filter_option *
sinspace_filter_options(void)
{
    return filter_options;
}

/* The index of name ("--min-risk", "min-risk", "min_risk"), or -1. */
static int
option_index(const char *name)
{
    if (!name)
        return -1;
    if (name[0] == '-' && name[1] == '-')
        name += 2;
    for (int i = 0; i < N_OPTS; i++) {
        const char *a = filter_options[i].name, *b = name;
        while (*a && (*a == *b || (*a == '-' && *b == '_'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return i;
    }
    return -1;
}

const sinspace_filter_option *
sinspace_filter_option_find(const char *name)
{
    int i = option_index(name);
    return i < 0 ? NULL : &filter_options[i];
}

int
sinspace_filter_is_set(const sinspace_filter *f)
{
    return f && f->owned && f->owned->given;
}

void
sinspace_filter_clear(sinspace_filter *f)
{
    if (!f)
        return;
    struct sinspace_filter_owned *o = f->owned;
    if (o) {
        for (size_t i = 0; i < o->n_texts; i++)
            free(o->texts[i]);
        free(o->texts);
        free(o->sectors);
        free(o);
    }
    sinspace_filter_init(f);
}

/* A copy of n bytes of text kept by the filter; NULL when out of memory. */
static char *
keep_text(struct sinspace_filter_owned *o, const char *text, size_t n)
{
    if (o->n_texts == o->cap_texts) {
        size_t cap = o->cap_texts ? 2 * o->cap_texts : 8;
        char **v = realloc(o->texts, cap * sizeof *v);
        if (!v)
            return NULL;
        o->texts = v;
        o->cap_texts = cap;
    }
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, text, n);
    c[n] = '\0';
    o->texts[o->n_texts++] = c;
    return c;
}

static sinspace_status
bad_value(sinspace_context *ctx, const char *name, int i, const char *value)
{
    return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "%s takes %s, not '%.60s'",
                           name, filter_options[i].takes, value ? value : "");
}

/* One item of class's list, or -1. */
static int
class_bit(const char *item, size_t n)
{
    static const char *const names[] = {"unscored", "low", "medium", "high"};
    for (int c = 0; c < 4; c++)
        if (strlen(names[c]) == n && !strncasecmp(item, names[c], n))
            return c;
    return -1;
}

sinspace_status
sinspace_filter_set(sinspace_context *ctx, sinspace_filter *f, const char *name,
                    const char *value)
{
    if (!f || !name)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "filter_set: filter and name are required");
    int i = option_index(name);
    if (i < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "unknown option %.60s",
                               name);
    if (!f->owned && !(f->owned = calloc(1, sizeof *f->owned)))
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    struct sinspace_filter_owned *o = f->owned;
    if ((o->given & (1u << i)) && !filter_options[i].list)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "%s is given twice (it takes one value)", name);
    if (!value || !*value)
        return bad_value(ctx, name, i, value);
    char err[160];
    switch (i) {
    case OPT_MIN_RISK: {
        double d;
        if (sinspace__parse_double(value, &d, err, sizeof err) < 0 ||
            !(d >= 1.0 && d <= 3.0))
            return bad_value(ctx, name, i, value);
        f->min_risk = d;
        break;
    }
    case OPT_HOTSPOT: {
        /* Every item first, so a bad list changes nothing. */
        unsigned bits = 0;
        for (const char *p = value;; p++) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char word[32];
            if (n == 0 || n >= sizeof word)
                return bad_value(ctx, name, i, value);
            memcpy(word, p, n);
            word[n] = '\0';
            int c = sinspace_emerging_category_parse(word);
            if (c < 0)
                return bad_value(ctx, name, i, value);
            bits |= 1u << c;
            if (!e)
                break;
            p = e;
        }
        f->hotspots |= bits;
        break;
    }
    case OPT_CLASS:
    case OPT_SECTOR: {
        /* Every item first, so a bad list changes nothing. */
        unsigned bits = 0;
        size_t items = 0;
        for (const char *p = value;; p++) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (n == 0)
                return bad_value(ctx, name, i, value);
            if (i == OPT_CLASS) {
                int c = class_bit(p, n);
                if (c < 0)
                    return bad_value(ctx, name, i, value);
                bits |= 1u << c;
            } else {
                for (size_t k = 0; k < n; k++)
                    if ((unsigned char)p[k] <= ' ')
                        return bad_value(ctx, name, i, value);
            }
            items++;
            if (!e)
                break;
            p = e;
        }
        if (i == OPT_CLASS) {
            f->classes |= bits;
            break;
        }
        if (f->n_sectors + items > o->cap_sectors) {
            size_t cap = (f->n_sectors + items) * 2;
            const char **v = realloc(o->sectors, cap * sizeof *v);
            if (!v)
                return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            o->sectors = v;
            o->cap_sectors = cap;
        }
        for (const char *p = value;; p++) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char *code = keep_text(o, p, n);
            if (!code)
                return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            o->sectors[f->n_sectors++] = code;
            if (!e)
                break;
            p = e;
        }
        f->sectors = o->sectors;
        break;
    }
    case OPT_STATUS: {
        static const char *const ok[] = {"active", "closed", "unknown", "open"};
        int k = 0;
        while (k < 4 && strcasecmp(value, ok[k]))
            k++;
        if (k == 4)
            return bad_value(ctx, name, i, value);
        f->status = ok[k];
        break;
    }
    case OPT_SEEN:
    case OPT_CHANGED: {
        char d[11];
        if (sinspace__parse_date(value, d, err, sizeof err) < 0)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "%s takes %s, not '%.60s' (%s)", name,
                                   filter_options[i].takes, value, err);
        char *c = keep_text(o, d, strlen(d));
        if (!c)
            return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        if (i == OPT_SEEN)
            f->seen_since = c;
        else
            f->changed_since = c;
        break;
    }
    case OPT_LIMIT: {
        long long l;
        if (sinspace__parse_int(value, &l, err, sizeof err) < 0 || l <= 0)
            return bad_value(ctx, name, i, value);
        f->limit = l;
        break;
    }
    case OPT_SORT: {
        static const struct { const char *name; sinspace_sort sort; } sorts[] = {
            {"risk", SINSPACE_SORT_RISK}, {"name", SINSPACE_SORT_NAME},
            {"distance", SINSPACE_SORT_DISTANCE}, {"id", SINSPACE_SORT_ID}};
        size_t k = 0;
        while (k < 4 && strcmp(value, sorts[k].name))
            k++;
        if (k == 4)
            return bad_value(ctx, name, i, value);
        f->sort = sorts[k].sort;
        break;
    }
    }
    o->given |= 1u << i;
    return SINSPACE_OK;
}

static const char *
sort_name(sinspace_sort s)
{
    switch (s) {
    case SINSPACE_SORT_RISK: return "risk";
    case SINSPACE_SORT_NAME: return "name";
    case SINSPACE_SORT_DISTANCE: return "distance";
    default: return "id";
    }
}

/* A growing string for describe. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void
sb_add(strbuf *b, const char *fmt, ...) SINSPACE_PRINTF(2, 3);

static void
sb_add(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (b->len + (size_t)n + 2 > b->cap) {
        size_t cap = (b->len + (size_t)n + 2) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    if (b->len)
        b->s[b->len++] = ' ';
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *
sinspace_filter_describe(const sinspace_filter *f)
{
    strbuf b = {NULL, 0, 0, 0};
    if (f) {
        if (!isnan(f->min_risk))
            sb_add(&b, "min-risk=%g", f->min_risk);
        if (f->classes) {
            static const char *const names[] = {"unscored", "low", "medium", "high"};
            char cls[64] = "";
            for (int i = 0; i < 4; i++)
                if (f->classes & (1u << i)) {
                    if (*cls)
                        strcat(cls, ",");
                    strcat(cls, names[i]);
                }
            sb_add(&b, "class=%s", cls);
        }
        for (size_t i = 0; i < f->n_sectors && f->sectors; i++)
            sb_add(&b, "sector=%s", f->sectors[i] ? f->sectors[i] : "");
        if (f->status)
            sb_add(&b, "status=%s", f->status);
        if (f->seen_since)
            sb_add(&b, "seen-since=%s", f->seen_since);
        if (f->changed_since)
            sb_add(&b, "changed-since=%s", f->changed_since);
        if (f->limit > 0)
            sb_add(&b, "limit=%lld", f->limit);
        if (f->sort != SINSPACE_SORT_ID)
            sb_add(&b, "sort=%s", sort_name(f->sort));
        if (f->hotspots) {
            char hs[512] = "";
            for (int c = 0; c < SINSPACE_EMERGING_COUNT; c++)
                if (f->hotspots & (1u << c)) {
                    if (*hs)
                        strcat(hs, ",");
                {
                    /* the option's words: "new", "new-cold", "none" */
                    const char *full =
                        sinspace_emerging_category_name((sinspace_emerging_category)c);
                    if (c == SINSPACE_EMERGING_NONE) {
                        strcat(hs, "none");
                    } else {
                        strncat(hs, full, strcspn(full, " "));
                        if (c >= SINSPACE_EMERGING_NEW_COLD)
                            strcat(hs, "-cold");
                    }
                }
                }
            sb_add(&b, "hotspot=%s", hs);
        }
    }
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    if (!b.s)
        return sinspace__strdup("");
    return b.s;
}

/* The sector codes of a filter as the catalogue spells them: a code given
 * in another case is the catalogue's code (sector codes are matched
 * without case). */
typedef struct sector_set {
    char **catalogue;           /* every code in the catalogue */
    size_t n_catalogue, cap;
    const char **codes;         /* the filter's, pointing into catalogue */
    size_t n;
    int failed;
} sector_set;

static int
on_catalogue(void *user, const char *code)
{
    sector_set *ss = user;
    if (ss->n_catalogue == ss->cap) {
        size_t cap = ss->cap ? 2 * ss->cap : 32;
        char **v = realloc(ss->catalogue, cap * sizeof *v);
        if (!v) {
            ss->failed = 1;
            return 1;
        }
        ss->catalogue = v;
        ss->cap = cap;
    }
    if (!(ss->catalogue[ss->n_catalogue] = sinspace__strdup(code ? code : ""))) {
        ss->failed = 1;
        return 1;
    }
    ss->n_catalogue++;
    return 0;
}

static void
sector_set_free(sector_set *ss)
{
    for (size_t i = 0; i < ss->n_catalogue; i++)
        free(ss->catalogue[i]);
    free(ss->catalogue);
    free(ss->codes);
    memset(ss, 0, sizeof *ss);
}

static sinspace_status
resolve_sectors(sinspace_store *store, const sinspace_filter *f, sector_set *ss)
{
    sinspace_context *ctx = sinspace_store_context(store);
    memset(ss, 0, sizeof *ss);
    if (!f->n_sectors)
        return SINSPACE_OK;
    /* The codes alone, through the engine (no counts: this runs for every
     * query with a sector filter). */
    sinspace_status st = sinspace__store_engine(store)->serve->sector_codes(
        store, on_catalogue, ss);
    if (!st && (ss->failed || !(ss->codes = calloc(f->n_sectors, sizeof *ss->codes))))
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    for (size_t i = 0; !st && i < f->n_sectors; i++) {
        const char *want = f->sectors[i] ? f->sectors[i] : "";
        const char *hit = NULL;
        for (size_t k = 0; k < ss->n_catalogue && !hit; k++)
            if (!strcmp(ss->catalogue[k], want))
                hit = ss->catalogue[k];
        for (size_t k = 0; k < ss->n_catalogue && !hit; k++)
            if (!strcasecmp(ss->catalogue[k], want))
                hit = ss->catalogue[k];
        if (hit) {
            ss->codes[ss->n++] = hit;
            continue;
        }
        /* Name the known codes: the message serves every door. */
        char known[600] = "";
        size_t len = 0;
        for (size_t k = 0; k < ss->n_catalogue && len < sizeof known - 80; k++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s",
                                    k ? ", " : "", ss->catalogue[k]);
        if (len >= sizeof known - 80 && ss->n_catalogue)
            snprintf(known + len, sizeof known - len, ", ...");
        st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                             "unknown sector '%.60s' (the sectors are: %s)", want,
                             *known ? known : "none; the catalogue is empty");
    }
    if (st)
        sector_set_free(ss);
    return st;
}

/* Checks the filter; dates are normalised into seen/changed. */
static sinspace_status
check_filter(sinspace_store *store, const sinspace_region *region,
             const sinspace_filter *f, char seen[11], char changed[11])
{
    sinspace_context *ctx = sinspace_store_context(store);
    char err[160];
    seen[0] = changed[0] = '\0';
    if (!isnan(f->min_risk) && !(f->min_risk >= 1.0 && f->min_risk <= 3.0))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "min-risk %g must be within 1.0..3.0", f->min_risk);
    if (f->classes & ~0xFu)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "classes: unknown risk class bits");
    if (f->n_sectors && !f->sectors)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "filter: n_sectors without sectors");
    if (f->status && strcmp(f->status, "active") && strcmp(f->status, "closed") &&
        strcmp(f->status, "unknown") && strcmp(f->status, "open"))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "status '%.40s' must be active, closed, unknown or open",
                               f->status);
    if (f->seen_since && sinspace__parse_date(f->seen_since, seen, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "seen-since: %s", err);
    if (f->changed_since &&
        sinspace__parse_date(f->changed_since, changed, err, sizeof err) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "changed-since: %s", err);
    if (f->limit < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "limit %lld must be 0 (none) or more", f->limit);
    if (f->sort == SINSPACE_SORT_DISTANCE && !(region && region->is_circle))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "sort by distance needs a circle region (a point "
                               "and a radius)");
    if ((unsigned)f->sort > SINSPACE_SORT_DISTANCE)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "unknown sort order");
    if (f->hotspots >> SINSPACE_EMERGING_COUNT)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hotspot: unknown category bits");
    if (f->hotspots) {
        sinspace_emerging_run er;
        int found = 0;
        sinspace_status st = sinspace_emerging_latest(store, &er, &found);
        if (st)
            return st;
        if (!found)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "hotspot: the store has no emerging hot-spot run; "
                                   "run `sinspace hotspots DB --emerging` first");
    }
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * Spatial phase
 */

typedef struct cand {
    long long id;
    float box[4];               /* the R*Tree's box: xmin, xmax, ymin, ymax */
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cands;

static int
cand_cmp(const void *a, const void *b)
{
    long long x = ((const cand *)a)->id, y = ((const cand *)b)->id;
    return (x > y) - (x < y);
}

/* Appends one index entry.  Only the index is read: for a point the
 * entry is the point itself, rounded outward to 32-bit floats, so the exact
 * point always lies inside the entry's box (the float copy is exact). */
typedef struct cand_state {
    cands *c;
    int failed;
} cand_state;

static int
add_cand(void *user, long long id, const double box[4])
{
    cand_state *cs = user;
    cands *c = cs->c;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        cand *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            cs->failed = 1;
            return 1;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n].id = id;
    for (int k = 0; k < 4; k++)
        c->v[c->n].box[k] = (float)box[k];
    c->n++;
    return 0;
}

/* Appends the index entries of one box (west, south, east, north). */
static sinspace_status
index_box(sinspace_store *store, const double box[4], cands *c)
{
    cand_state cs = {c, 0};
    sinspace_status st = sinspace__store_engine(store)->query->candidates(
        store, box, add_cand, &cs);
    if (!st && cs.failed)
        st = sinspace__error(sinspace_store_context(store), SINSPACE_NO_MEMORY,
                             "out of memory");
    return st;
}

static sinspace_status
part_box(sinspace_context *ctx, const GEOSGeometry *g, double box[4])
{
    GEOSContextHandle_t h = ctx->geos;
    if (!GEOSGeom_getXMin_r(h, g, &box[0]) || !GEOSGeom_getYMin_r(h, g, &box[1]) ||
        !GEOSGeom_getXMax_r(h, g, &box[2]) || !GEOSGeom_getYMax_r(h, g, &box[3]))
        return sinspace__error(ctx, SINSPACE_ERROR, "region bounds: %s",
                               ctx->geos_message);
    return SINSPACE_OK;
}

/* -------------------------------------------------------------------------
 * The cell grid: most candidates decided from the index entry alone.
 *
 * The region's bounds are cut into GRID x GRID cells, and each cell is
 * classed once: wholly inside the region, wholly outside, or on its edge.
 * Polygons are classed by GEOS (prepared contains / intersects of the cell's
 * rectangle, quartering only the cells that are neither, so the work follows
 * the boundary); circles by the triangle inequality on geodesic distances
 * (a cell is inside when its centre's distance plus its radius is within the
 * circle's).  A candidate whose index box lies in cells of one decided class
 * takes that class, which is exact because the point lies in its box; only
 * the candidates in edge cells read their point from the table for the
 * exact test.  Far fewer rows are read than candidates. */

enum { CELL_OUT = 0, CELL_IN = 1, CELL_EDGE = 2, GRID = 256 };

typedef struct cell_grid {
    double x0, y0, dx, dy;
    unsigned char *cell;        /* GRID * GRID, row j, column i */
} cell_grid;

static void
grid_fill(cell_grid *g, int i0, int j0, int size, unsigned char cls)
{
    for (int j = j0; j < j0 + size; j++)
        memset(g->cell + (size_t)j * GRID + i0, cls, (size_t)size);
}

/* The class of a block by the triangle inequality: every point of the
 * block is within rc of its centre, rc being the farthest corner's
 * distance plus 1% for the sides' curvature (blocks are small patches of
 * the ellipsoid: see grid_build). */
static int
circle_block(const sinspace_region *r, double xa, double ya, double xb, double yb)
{
    double xc = (xa + xb) / 2, yc = (ya + yb) / 2;
    double rc = fmax(fmax(sinspace__geodesic_distance(xc, yc, xa, ya),
                          sinspace__geodesic_distance(xc, yc, xb, ya)),
                     fmax(sinspace__geodesic_distance(xc, yc, xa, yb),
                          sinspace__geodesic_distance(xc, yc, xb, yb)));
    rc = rc * 1.01 + 1e-3;
    double d = sinspace__geodesic_distance(r->lon, r->lat, xc, yc);
    return d + rc <= r->radius_m ? CELL_IN : d - rc > r->radius_m ? CELL_OUT : CELL_EDGE;
}

/* The class of a block by GEOS: contained (boundary included) or disjoint. */
static int
polygon_block(GEOSContextHandle_t h, const GEOSPreparedGeometry *prep,
              double xa, double ya, double xb, double yb)
{
    GEOSGeometry *rect = GEOSGeom_createRectangle_r(h, xa, ya, xb, yb);
    if (!rect)
        return -1;
    char in = GEOSPreparedContains_r(h, prep, rect);
    char meets = in == 1 ? 1 : GEOSPreparedIntersects_r(h, prep, rect);
    GEOSGeom_destroy_r(h, rect);
    if (in == 2 || meets == 2)
        return -1;
    return in == 1 ? CELL_IN : meets ? CELL_EDGE : CELL_OUT;
}

/* Classes the size x size block at (i0, j0), quartering edge blocks: the
 * work follows the region's boundary. */
static int
grid_block(cell_grid *g, GEOSContextHandle_t h, const sinspace_region *r,
           const GEOSPreparedGeometry *prep, int i0, int j0, int size)
{
    double xa = g->x0 + i0 * g->dx, ya = g->y0 + j0 * g->dy;
    double xb = g->x0 + (i0 + size) * g->dx, yb = g->y0 + (j0 + size) * g->dy;
    int cls = r->is_circle ? circle_block(r, xa, ya, xb, yb)
                           : polygon_block(h, prep, xa, ya, xb, yb);
    if (cls < 0)
        return -1;
    if (cls != CELL_EDGE || size == 1) {
        grid_fill(g, i0, j0, size, (unsigned char)cls);
        return 0;
    }
    int half = size / 2;
    return grid_block(g, h, r, prep, i0, j0, half) ||
           grid_block(g, h, r, prep, i0 + half, j0, half) ||
           grid_block(g, h, r, prep, i0, j0 + half, half) ||
           grid_block(g, h, r, prep, i0 + half, j0 + half, half) ? -1 : 0;
}

/* Builds the grid over box; returns 0, or -1 (no grid: test every point). */
static int
grid_build(cell_grid *g, sinspace_context *ctx, const sinspace_region *r,
           const GEOSPreparedGeometry *prep, const double box[4])
{
    g->cell = NULL;
    if (!(box[2] > box[0] && box[3] > box[1]))
        return -1;
    /* Circles: the bound on a block's radius wants blocks on a regular
     * patch of the ellipsoid, not round a pole. */
    if (r->is_circle && (r->radius_m > 100e3 || fabs(r->lat) > 80.0))
        return -1;
    if (!(g->cell = malloc((size_t)GRID * GRID)))
        return -1;
    g->x0 = box[0];
    g->y0 = box[1];
    g->dx = (box[2] - box[0]) / GRID;
    g->dy = (box[3] - box[1]) / GRID;
    if (grid_block(g, ctx->geos, r, prep, 0, 0, GRID)) {
        free(g->cell);
        g->cell = NULL;
        return -1;
    }
    return 0;
}

/* The class of the cells under an index box; CELL_EDGE when they differ or
 * the box leaves the grid.  The indexes are widened by a hair so that a box
 * on a cell line takes both cells: rounding cannot hide a neighbour. */
static int
grid_class(const cell_grid *g, const float box[4])
{
    if (!g->cell)
        return CELL_EDGE;
    double fa = (box[0] - g->x0) / g->dx, fb = (box[1] - g->x0) / g->dx;
    double ga = (box[2] - g->y0) / g->dy, gb = (box[3] - g->y0) / g->dy;
    if (!(fa >= 0.0 && ga >= 0.0 && fb < GRID && gb < GRID))
        return CELL_EDGE;
    int ia = (int)floor(fa - 1e-6), ib = (int)floor(fb + 1e-6);
    int ja = (int)floor(ga - 1e-6), jb = (int)floor(gb + 1e-6);
    if (ia < 0 || ja < 0 || ib >= GRID || jb >= GRID)
        return CELL_EDGE;
    int cls = g->cell[(size_t)ja * GRID + ia];
    for (int j = ja; j <= jb; j++)
        for (int i = ia; i <= ib; i++)
            if (g->cell[(size_t)j * GRID + i] != cls)
                return CELL_EDGE;
    return cls;
}

/* Workplaces inside the region, and their distance from a circle's centre
 * (NaN when not asked for or not a circle). */
typedef struct hits {
    sinspace__query_hit *v;
    size_t n;
} hits;

/* Candidates are decided a chunk at a time: the chunk's edge candidates
 * read their points in one call to the store, and progress is reported
 * between chunks. */
enum { CHUNK = 16384 };

/* The exact test of one chunk's edge candidates, as their points arrive
 * (in the order asked, some perhaps missing). */
typedef struct exact_state {
    sinspace_context *ctx;
    const sinspace_region *region;
    const GEOSPreparedGeometry *prep;
    const long long *ids;       /* the edge candidates' ids */
    const size_t *at;           /* their indexes in the chunk */
    size_t n, next;
    unsigned char *cls;         /* the chunk's classes, by index */
    double *dist;               /* the chunk's distances, by index */
    sinspace_status st;
} exact_state;

static int
exact_point(void *user, long long id, double x, double y)
{
    exact_state *es = user;
    while (es->next < es->n && es->ids[es->next] != id)
        es->next++;
    if (es->next == es->n)
        return 0;               /* not asked for: cannot happen */
    size_t k = es->at[es->next++];
    const sinspace_region *region = es->region;
    if (region->is_circle) {
        es->dist[k] = sinspace__geodesic_distance(region->lon, region->lat, x, y);
        es->cls[k] = es->dist[k] <= region->radius_m ? CELL_IN : CELL_OUT;
        return 0;
    }
    GEOSContextHandle_t h = es->ctx->geos;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    if (!pt) {
        es->st = sinspace__error(es->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return 1;
    }
    char r = GEOSPreparedIntersects_r(h, es->prep, pt);
    GEOSGeom_destroy_r(h, pt);
    if (r == 2) {
        es->st = sinspace__error(es->ctx, SINSPACE_ERROR, "region test: %s",
                                 es->ctx->geos_message);
        return 1;
    }
    es->cls[k] = r == 1 ? CELL_IN : CELL_OUT;
    return 0;
}

/* Finds the workplaces inside region, in id order.  need_distance: every
 * hit of a circle gets its distance (so every point is read). */
static sinspace_status
spatial_phase(sinspace_store *store, const sinspace_region *region,
              int need_distance, hits *out, sinspace_query_stats *stats)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__query_ops *ops = sinspace__store_engine(store)->query;
    GEOSContextHandle_t h = ctx->geos;
    cands c = {NULL, 0, 0};
    cell_grid grid = {0, 0, 0, 0, NULL};
    const GEOSPreparedGeometry *prep = NULL;
    long long *edge_ids = NULL;
    size_t *edge_at = NULL;
    unsigned char *cls = NULL;
    double *dist = NULL;
    out->v = NULL;
    out->n = 0;
    sinspace_status st = SINSPACE_OK;
    double box[4], all[4];
    if (region->is_circle) {
        sinspace__circle_bounds(region, box);
        memcpy(all, box, sizeof all);
        if ((st = index_box(store, box, &c)))
            goto done;
    } else {
        if ((st = part_box(ctx, region->geom, all)))
            goto done;
        int parts = GEOSGetNumGeometries_r(h, region->geom);
        for (int i = 0; i < parts; i++) {
            if ((st = part_box(ctx, GEOSGetGeometryN_r(h, region->geom, i), box)) ||
                (st = index_box(store, box, &c)))
                goto done;
        }
    }
    /* Parts' boxes may overlap: each workplace is tested once. */
    if (c.n > 1) {
        qsort(c.v, c.n, sizeof *c.v, cand_cmp);
        size_t k = 1;
        for (size_t i = 1; i < c.n; i++)
            if (c.v[i].id != c.v[k - 1].id)
                c.v[k++] = c.v[i];
        c.n = k;
    }
    stats->candidates = (long long)c.n;
    if (!c.n)
        goto done;
    if (!region->is_circle && !(prep = GEOSPrepare_r(h, region->geom))) {
        st = sinspace__error(ctx, SINSPACE_ERROR, "region: %s", ctx->geos_message);
        goto done;
    }
    /* A grid pays for itself over more than a few candidates. */
    if (!(need_distance && region->is_circle) && c.n >= 64)
        grid_build(&grid, ctx, region, prep, all);
    size_t chunk = c.n < CHUNK ? c.n : CHUNK;
    if (!(out->v = malloc(c.n * sizeof *out->v)) ||
        !(edge_ids = malloc(chunk * sizeof *edge_ids)) ||
        !(edge_at = malloc(chunk * sizeof *edge_at)) ||
        !(cls = malloc(chunk)) || !(dist = malloc(chunk * sizeof *dist))) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    for (size_t i0 = 0; i0 < c.n; i0 += chunk) {
        size_t m = c.n - i0 < chunk ? c.n - i0 : chunk;
        exact_state es = {ctx, region, prep, edge_ids, edge_at, 0, 0, cls, dist,
                          SINSPACE_OK};
        for (size_t k = 0; k < m; k++) {
            const cand *cd = &c.v[i0 + k];
            dist[k] = NAN;
            cls[k] = (unsigned char)grid_class(&grid, cd->box);
            if (cls[k] == CELL_EDGE) {
                /* Decided below by its point; out when it has none. */
                cls[k] = CELL_OUT;
                edge_ids[es.n] = cd->id;
                edge_at[es.n++] = k;
            }
        }
        stats->exact += (long long)es.n;
        if ((st = ops->points(store, edge_ids, es.n, exact_point, &es)) ||
            (st = es.st))
            goto done;
        for (size_t k = 0; k < m; k++)
            if (cls[k] == CELL_IN) {
                out->v[out->n].id = c.v[i0 + k].id;
                out->v[out->n].distance = dist[k];
                out->n++;
            }
        if ((st = sinspace__progress(ctx, "query", (double)i0, (double)c.n)))
            goto done;
    }
    stats->inside = (long long)out->n;
done:
    if (prep)
        GEOSPreparedGeom_destroy_r(h, prep);
    free(grid.cell);
    free(c.v);
    free(edge_ids);
    free(edge_at);
    free(cls);
    free(dist);
    if (st) {
        free(out->v);
        out->v = NULL;
        out->n = 0;
    }
    return st;
}

/* -------------------------------------------------------------------------
 * Filter phase
 */

typedef struct rows_state {
    int (*fn)(void *, const sinspace_workplace_row *);
    void *user;
    int changed;
    sinspace_query_stats *stats;
} rows_state;

static int
on_row(void *user, const sinspace__query_row *q)
{
    rows_state *rs = user;
    sinspace_workplace_row r = q->w;
    r.risk_change = rs->changed ? r.risk - q->prior_risk : NAN;
    rs->stats->matched++;
    return rs->fn(rs->user, &r);
}

/* The checks both query functions start with: store, callback (has_fn),
 * region's context, and the filter (NULL: *none, initialised), its dates
 * normalised into seen and changed. */
static sinspace_status
start_query(sinspace_store *store, const sinspace_region *region, int has_fn,
            const sinspace_filter **filter, sinspace_filter *none, char seen[11],
            char changed[11], sector_set *ss)
{
    memset(ss, 0, sizeof *ss);
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !has_fn)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "query: store and callback are required");
    if (region && region->ctx != ctx)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "query: region made in another context");
    if (!*filter) {
        sinspace_filter_init(none);
        *filter = none;
    }
    sinspace_status st = check_filter(store, region, *filter, seen, changed);
    return st ? st : resolve_sectors(store, *filter, ss);
}

sinspace_status
sinspace_query_workplaces(sinspace_store *store, const sinspace_region *region,
                          const sinspace_filter *filter,
                          int (*fn)(void *, const sinspace_workplace_row *),
                          void *user_data, sinspace_query_stats *stats)
{
    sinspace_filter none;
    char seen[11], changed[11];
    sector_set ss;
    sinspace_status st = start_query(store, region, fn != NULL, &filter, &none,
                                     seen, changed, &ss);
    if (st)
        return st;
    sinspace_query_stats s = {region ? 0 : -1, 0, region ? 0 : -1, region ? 0 : -1};
    const sinspace__query_ops *ops = sinspace__store_engine(store)->query;
    sinspace__query_filter qf = {
        .min_risk = filter->min_risk,
        .classes = filter->classes,
        .sectors = ss.codes,
        .n_sectors = ss.n,
        .status = filter->status,
        .seen_since = *seen ? seen : NULL,
        .changed_since = *changed ? changed : NULL,
        .limit = filter->limit,
        .sort = filter->sort,
        .hotspots = filter->hotspots,
    };
    /* One snapshot for the index, the points and the rows. */
    if ((st = ops->read_begin(store))) {
        sector_set_free(&ss);
        return st;
    }
    hits hs = {NULL, 0};
    if (region)
        st = spatial_phase(store, region, 1, &hs, &s);
    if (!st) {
        rows_state rs = {fn, user_data, *changed != '\0', &s};
        st = ops->rows(store, region != NULL, hs.v, hs.n, &qf, on_row, &rs);
    }
    free(hs.v);
    ops->read_end(store);
    sector_set_free(&ss);
    if (!st && stats)
        *stats = s;
    return st;
}

/* The ids of a general query, collected for sinspace_query_ids. */
typedef struct id_list {
    long long *v;
    size_t n, cap;
    int failed;
} id_list;

static int
collect_id(void *user, const sinspace_workplace_row *r)
{
    id_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        long long *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->failed = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = r->id;
    return 0;
}

sinspace_status
sinspace_query_ids(sinspace_store *store, const sinspace_region *region,
                   const sinspace_filter *filter, int (*fn)(void *, long long),
                   void *user_data, sinspace_query_stats *stats)
{
    sinspace_filter none;
    char seen[11], changed[11];
    sector_set ss;
    sinspace_status st = start_query(store, region, fn != NULL, &filter, &none,
                                     seen, changed, &ss);
    sector_set_free(&ss);
    if (st)
        return st;
    int spatial_only = region && isnan(filter->min_risk) && !filter->classes &&
                       !filter->n_sectors && !filter->status && !*seen &&
                       !*changed && filter->sort == SINSPACE_SORT_ID &&
                       !filter->hotspots;
    sinspace_query_stats s = {-1, 0, -1, -1};
    hits hs = {NULL, 0};
    id_list l = {NULL, 0, 0, 0};
    if (spatial_only) {
        s.candidates = s.inside = s.exact = 0;
        /* A read snapshot: one state for the index and the points. */
        const sinspace__query_ops *ops = sinspace__store_engine(store)->query;
        if ((st = ops->read_begin(store)))
            return st;
        st = spatial_phase(store, region, 0, &hs, &s);
        ops->read_end(store);
        if (st)
            return st;
        for (size_t i = 0; i < hs.n; i++) {
            if (filter->limit > 0 && s.matched >= filter->limit)
                break;
            s.matched++;
            if (fn(user_data, hs.v[i].id))
                break;
        }
        free(hs.v);
    } else {
        /* The callback may write: gather the ids, then hand them out. */
        st = sinspace_query_workplaces(store, region, filter, collect_id, &l, &s);
        if (!st && l.failed)
            st = sinspace__error(sinspace_store_context(store), SINSPACE_NO_MEMORY,
                                 "out of memory");
        if (!st) {
            s.matched = 0;
            for (size_t i = 0; i < l.n; i++) {
                s.matched++;
                if (fn(user_data, l.v[i]))
                    break;
            }
        }
        free(l.v);
        if (st)
            return st;
    }
    if (stats)
        *stats = s;
    return SINSPACE_OK;
}

/* The row ids of a query, gathered for sinspace_query_own_ids. */
static int
gather_id(void *user, long long id)
{
    id_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        long long *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->failed = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = id;
    return 0;
}

sinspace_status
sinspace_query_own_ids(sinspace_store *store, const sinspace_region *region,
                       const sinspace_filter *filter,
                       int (*fn)(void *, const char *), void *user_data,
                       sinspace_query_stats *stats)
{
    id_list l = {NULL, 0, 0, 0};
    sinspace_status st = sinspace_query_ids(store, region, filter, fn ? gather_id : NULL,
                                            &l, stats);
    if (!st && l.failed)
        st = sinspace__error(sinspace_store_context(store), SINSPACE_NO_MEMORY,
                             "out of memory");
    if (!st && fn && l.n) {
        /* One read transaction for the lookups, not a lock per row. */
        const sinspace__query_ops *ops = sinspace__store_engine(store)->query;
        if (!(st = ops->read_begin(store))) {
            st = ops->own_ids(store, l.v, l.n, fn, user_data);
            ops->read_end(store);
        }
    }
    free(l.v);
    return st;
}
