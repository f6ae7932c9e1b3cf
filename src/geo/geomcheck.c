/* geomcheck.c: GeoJSON polygon inputs checked as written (geomcheck.h).
 *
 * A small JSON parser builds a flat tree of the text (nodes in one array,
 * strings and numbers kept as spans of the text, so they are echoed as the
 * user wrote them), then the GeoJSON walk checks every position, ring size
 * and ring closure.  Depth is bounded (no recursion on hostile nesting
 * beyond MAX_DEPTH). */
#include "geo/geomcheck.h"

#include <cpl_vsi.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

/* -------------------------------------------------------------------------
 * Wording
 */

static const char *
ordinal_ring(long ring, char buf[32])
{
    if (ring == 1)
        return " (the outer ring)";
    snprintf(buf, 32, " (hole %ld)", ring - 1);
    return buf;
}

void
sinspace__geom_fault_format(const sinspace__geom_fault *f, char *buf, size_t size)
{
    char place[160] = "", rb[32];
    size_t n = 0;
    if (f->polygon > 0)
        n += (size_t)snprintf(place + n, sizeof place - n, "polygon %ld", f->polygon);
    if (f->ring > 0 && n < sizeof place)
        n += (size_t)snprintf(place + n, sizeof place - n, "%sring %ld%s",
                              n ? ", " : "", f->ring, ordinal_ring(f->ring, rb));
    if (f->position > 0 && n < sizeof place)
        snprintf(place + n, sizeof place - n, "%sposition %ld", n ? ", " : "",
                 f->position);
    if (place[0])
        snprintf(buf, size, "%s: %s", place, f->what);
    else
        snprintf(buf, size, "%s", f->what);
}

void
sinspace__geos_reason_format(const char *why, char *buf, size_t size)
{
    if (!why || !*why) {
        snprintf(buf, size, "invalid polygon (GEOS gives no reason)");
        return;
    }
    /* "Self-intersection[100.5 0.5]" -> "self-intersection at 100.5 0.5" */
    const char *br = strchr(why, '[');
    size_t head = br ? (size_t)(br - why) : strlen(why);
    char first[80];
    snprintf(first, sizeof first, "%.*s", (int)(head < 79 ? head : 79), why);
    if (first[0] >= 'A' && first[0] <= 'Z' && !(first[1] >= 'A' && first[1] <= 'Z'))
        first[0] = (char)(first[0] - 'A' + 'a');
    if (br) {
        const char *end = strchr(br, ']');
        int len = end ? (int)(end - br - 1) : (int)strlen(br + 1);
        snprintf(buf, size, "%s at %.*s", first, len > 200 ? 200 : len, br + 1);
    } else {
        snprintf(buf, size, "%s", first);
    }
}

int
sinspace__looks_like_json(const char *t, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i < n && (t[i] == '{' || t[i] == '[');
}

/* -------------------------------------------------------------------------
 * JSON
 */

typedef enum { J_NULL, J_TRUE, J_FALSE, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype t;
    int first, next;   /* children, siblings: node indexes, -1 none */
    int n;             /* children */
    const char *s;     /* the value's text (a string without its quotes) */
    size_t len;
    const char *key;   /* in an object: the member's name, unquoted */
    size_t klen;
    double num;
} jnode;

struct walk;

typedef struct jparser {
    const char *t, *p, *end;
    jnode *nodes;
    int n, cap;
    char *err;
    size_t err_size;
    /* The root's "features" are checked one by one as they are parsed and
     * their nodes dropped, so memory follows the largest feature, not the
     * file. */
    struct walk *w;
    long streamed; /* features checked so far */
} jparser;

static void stream_feature(jparser *j, int node, long index);

static void
jerror(jparser *j, const char *what)
{
    if (j->err[0])
        return;
    long line = 1, col = 1;
    for (const char *q = j->t; q < j->p && q < j->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    if (j->p >= j->end)
        snprintf(j->err, j->err_size, "not JSON: %s at the end of the text", what);
    else
        snprintf(j->err, j->err_size, "not JSON: line %ld, column %ld: %s", line,
                 col, what);
}

static void
skip_ws(jparser *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int
new_node(jparser *j, jtype t)
{
    if (j->n == j->cap) {
        int cap = j->cap ? 2 * j->cap : 256;
        jnode *nn = realloc(j->nodes, (size_t)cap * sizeof *nn);
        if (!nn) {
            jerror(j, "out of memory");
            return -1;
        }
        j->nodes = nn;
        j->cap = cap;
    }
    jnode *x = &j->nodes[j->n];
    memset(x, 0, sizeof *x);
    x->t = t;
    x->first = x->next = -1;
    return j->n++;
}

static int
parse_string(jparser *j, const char **s, size_t *len)
{
    j->p++; /* the quote */
    const char *start = j->p;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20) {
            jerror(j, "a control character inside a string");
            return -1;
        }
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                break;
            if (!strchr("\"\\/bfnrtu", *j->p)) {
                jerror(j, "a bad escape inside a string");
                return -1;
            }
        }
        j->p++;
    }
    if (j->p >= j->end) {
        jerror(j, "a string is not closed");
        return -1;
    }
    *s = start;
    *len = (size_t)(j->p - start);
    j->p++;
    return 0;
}

static int
parse_number(jparser *j, int id)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) {
        j->p = s;
        jerror(j, "expected a value");
        return -1;
    }
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) {
            jerror(j, "a number has no digits after its point");
            return -1;
        }
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) {
            jerror(j, "a number has no digits in its exponent");
            return -1;
        }
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    char buf[64];
    size_t len = (size_t)(j->p - s);
    jnode *x = &j->nodes[id];
    x->s = s;
    x->len = len;
    if (len < sizeof buf) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        x->num = strtod(buf, NULL);
    } else {
        x->num = 0; /* 64 digits: not a coordinate anyone meant */
    }
    return 0;
}

static int parse_value(jparser *j, int depth, int stream);

/* Appends child to parent's list (tail kept in *last). */
static void
link_child(jparser *j, int parent, int child, int *last)
{
    if (*last < 0)
        j->nodes[parent].first = child;
    else
        j->nodes[*last].next = child;
    *last = child;
    j->nodes[parent].n++;
}

static int
parse_value(jparser *j, int depth, int stream)
{
    skip_ws(j);
    if (j->p >= j->end) {
        jerror(j, "expected a value");
        return -1;
    }
    if (depth > MAX_DEPTH) {
        jerror(j, "nested deeper than 64 levels");
        return -1;
    }
    const char *start = j->p;
    char c = *j->p;
    int id;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        if ((id = new_node(j, obj ? J_OBJ : J_ARR)) < 0)
            return -1;
        j->p++;
        int last = -1;
        skip_ws(j);
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
            j->p++;
        } else {
            for (;;) {
                const char *k = NULL;
                size_t kl = 0;
                if (obj) {
                    skip_ws(j);
                    if (j->p >= j->end || *j->p != '"') {
                        jerror(j, "expected a member name in quotes");
                        return -1;
                    }
                    if (parse_string(j, &k, &kl) < 0)
                        return -1;
                    skip_ws(j);
                    if (j->p >= j->end || *j->p != ':') {
                        jerror(j, "expected ':' after a member name");
                        return -1;
                    }
                    j->p++;
                }
                int mark = j->n;
                int child = parse_value(j, depth + 1,
                                        obj && depth == 0 && kl == 8 &&
                                            !memcmp(k, "features", 8));
                if (child < 0)
                    return -1;
                j->nodes[child].key = k;
                j->nodes[child].klen = kl;
                if (stream && !obj) {
                    stream_feature(j, child, ++j->streamed);
                    j->n = mark; /* its nodes are done with */
                } else {
                    link_child(j, id, child, &last);
                }
                skip_ws(j);
                if (j->p < j->end && *j->p == ',') {
                    j->p++;
                    continue;
                }
                if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                    j->p++;
                    break;
                }
                jerror(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
                return -1;
            }
        }
        j->nodes[id].s = start;
        j->nodes[id].len = (size_t)(j->p - start);
        return id;
    }
    if (c == '"') {
        if ((id = new_node(j, J_STR)) < 0)
            return -1;
        return parse_string(j, &j->nodes[id].s, &j->nodes[id].len) < 0 ? -1 : id;
    }
    static const struct { const char *w; jtype t; } words[] = {
        {"null", J_NULL}, {"true", J_TRUE}, {"false", J_FALSE}};
    for (int i = 0; i < 3; i++) {
        size_t wl = strlen(words[i].w);
        if ((size_t)(j->end - j->p) >= wl && !memcmp(j->p, words[i].w, wl)) {
            if ((id = new_node(j, words[i].t)) < 0)
                return -1;
            j->nodes[id].s = j->p;
            j->nodes[id].len = wl;
            j->p += wl;
            return id;
        }
    }
    if ((id = new_node(j, J_NUM)) < 0)
        return -1;
    return parse_number(j, id) < 0 ? -1 : id;
}

/* -------------------------------------------------------------------------
 * GeoJSON
 */

typedef struct walk {
    jparser *j;
    int report_fixable;
    sinspace__geom_fault_fn fn;
    void *user;
    int stopped;
    char *reason;
    size_t reason_size;
} walk;

static const jnode *
N(const walk *w, int i)
{
    return i >= 0 ? &w->j->nodes[i] : NULL;
}

static int
member(const walk *w, const jnode *obj, const char *name)
{
    size_t nl = strlen(name);
    for (int c = obj->first; c >= 0; c = w->j->nodes[c].next)
        if (w->j->nodes[c].klen == nl && !memcmp(w->j->nodes[c].key, name, nl))
            return c;
    return -1;
}

static int
str_is(const jnode *x, const char *s)
{
    return x && x->t == J_STR && x->len == strlen(s) && !memcmp(x->s, s, x->len);
}

static const char *
jtype_name(const jnode *x)
{
    switch (x->t) {
    case J_NULL: return "null";
    case J_TRUE: case J_FALSE: return "a boolean";
    case J_NUM: return "a number";
    case J_STR: return "a string";
    case J_ARR: return "an array";
    default: return "an object";
    }
}

/* The text of a node, cut for a message. */
static void
echo(const jnode *x, char *buf, size_t size)
{
    size_t max = 48;
    const char *q = x->t == J_STR ? "\"" : "";
    if (x->len <= max)
        snprintf(buf, size, "%s%.*s%s", q, (int)x->len, x->s, q);
    else
        snprintf(buf, size, "%s%.*s...%s", q, (int)max, x->s, q);
    /* Positions are short; a newline inside one is shown as a space. */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

#define FAULT(...) do { snprintf(f->what, sizeof f->what, __VA_ARGS__); return -1; } while (0)

/* A position: an array of two or more numbers. */
static int
check_position(const walk *w, const jnode *pos, sinspace__geom_fault *f)
{
    char e[64];
    echo(pos, e, sizeof e);
    if (pos->t != J_ARR)
        FAULT("%s is %s; a position is an array [lon, lat]", e, jtype_name(pos));
    int k = 0;
    for (int c = pos->first; c >= 0; c = w->j->nodes[c].next, k++)
        if (w->j->nodes[c].t != J_NUM)
            FAULT("%s holds %s; a position holds numbers [lon, lat]", e,
                  jtype_name(&w->j->nodes[c]));
    if (k < 2)
        FAULT("%s has %d number%s; a position is [lon, lat]", e, k, k == 1 ? "" : "s");
    return 0;
}

/* An array of positions; as a ring (ring > 0) also at least four of them,
 * the last the first. */
static int
check_positions(const walk *w, const jnode *arr, int as_ring, sinspace__geom_fault *f)
{
    char e[64];
    if (arr->t != J_ARR) {
        echo(arr, e, sizeof e);
        FAULT("%s is %s; expected an array of positions", e, jtype_name(arr));
    }
    long k = 0;
    for (int c = arr->first; c >= 0; c = w->j->nodes[c].next) {
        f->position = ++k;
        if (check_position(w, &w->j->nodes[c], f) < 0)
            return -1;
    }
    f->position = 0;
    if (!as_ring)
        return 0;
    if (k < 4)
        FAULT("%ld position%s; a ring needs at least 4 (3 corners and the first "
              "again)", k, k == 1 ? "" : "s");
    const jnode *a = N(w, arr->first), *b = a;
    while (b->next >= 0)
        b = N(w, b->next);
    const jnode *ax = N(w, a->first), *ay = N(w, ax->next);
    const jnode *bx = N(w, b->first), *by = N(w, bx->next);
    if (ax->num != bx->num || ay->num != by->num) {
        char s1[64], s2[64];
        echo(a, s1, sizeof s1);
        echo(b, s2, sizeof s2);
        f->fixable = 1;
        FAULT("not closed: starts at %s, ends at %s (a ring ends where it "
              "starts)", s1, s2);
    }
    return 0;
}

/* coordinates of a geometry type, nested `depth` arrays above positions;
 * rings at depth 1 of a Polygon, 2 of a MultiPolygon. */
static int
check_polygon(const walk *w, const jnode *poly, sinspace__geom_fault *f)
{
    char e[64];
    if (poly->t != J_ARR) {
        echo(poly, e, sizeof e);
        FAULT("%s is %s; a polygon is an array of rings", e, jtype_name(poly));
    }
    if (poly->n == 0)
        FAULT("a polygon with no ring");
    long r = 0;
    for (int c = poly->first; c >= 0; c = w->j->nodes[c].next) {
        f->ring = ++r;
        if (check_positions(w, &w->j->nodes[c], 1, f) < 0)
            return -1;
    }
    f->ring = 0;
    return 0;
}

static int check_geometry(walk *w, const jnode *g, sinspace__geom_fault *f, int depth);

static int
check_coordinates(walk *w, const jnode *g, const jnode *type, sinspace__geom_fault *f)
{
    int ci = member(w, g, "coordinates");
    const jnode *co = N(w, ci);
    char tn[64];
    echo(type, tn, sizeof tn);
    if (!co)
        FAULT("a %s without \"coordinates\"", tn);
    if (str_is(type, "Point"))
        return check_position(w, co, f);
    if (str_is(type, "MultiPoint") || str_is(type, "LineString"))
        return check_positions(w, co, 0, f);
    if (co->t != J_ARR) {
        char e[64];
        echo(co, e, sizeof e);
        FAULT("coordinates %s is %s, not an array", e, jtype_name(co));
    }
    if (str_is(type, "MultiLineString")) {
        for (int c = co->first; c >= 0; c = w->j->nodes[c].next)
            if (check_positions(w, &w->j->nodes[c], 0, f) < 0)
                return -1;
        return 0;
    }
    if (str_is(type, "Polygon"))
        return check_polygon(w, co, f);
    /* MultiPolygon */
    long p = 0;
    for (int c = co->first; c >= 0; c = w->j->nodes[c].next) {
        f->polygon = ++p;
        if (check_polygon(w, &w->j->nodes[c], f) < 0)
            return -1;
    }
    f->polygon = 0;
    return 0;
}

static const char *const geometry_types[] = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
    "MultiPolygon", "GeometryCollection", NULL};

static int
known_geometry(const jnode *type)
{
    for (int i = 0; geometry_types[i]; i++)
        if (str_is(type, geometry_types[i]))
            return 1;
    return 0;
}

/* A geometry object (not null). */
static int
check_geometry(walk *w, const jnode *g, sinspace__geom_fault *f, int depth)
{
    char e[64];
    if (g->t != J_OBJ) {
        echo(g, e, sizeof e);
        FAULT("geometry %s is %s, not a GeoJSON geometry object", e, jtype_name(g));
    }
    const jnode *type = N(w, member(w, g, "type"));
    if (!type)
        FAULT("a geometry without \"type\"");
    echo(type, e, sizeof e);
    if (!known_geometry(type))
        FAULT("unknown geometry type %s (GeoJSON has Point, MultiPoint, "
              "LineString, MultiLineString, Polygon, MultiPolygon, "
              "GeometryCollection)", e);
    if (!str_is(type, "GeometryCollection"))
        return check_coordinates(w, g, type, f);
    const jnode *gs = N(w, member(w, g, "geometries"));
    if (!gs || gs->t != J_ARR)
        FAULT("a GeometryCollection without a \"geometries\" array");
    if (depth > 8)
        FAULT("GeometryCollections nested too deep");
    for (int c = gs->first; c >= 0; c = w->j->nodes[c].next)
        if (check_geometry(w, &w->j->nodes[c], f, depth + 1) < 0)
            return -1;
    return 0;
}

static void
report(walk *w, sinspace__geom_fault *f)
{
    if (f->fixable && !w->report_fixable)
        return;
    if (!w->stopped && w->fn(w->user, f))
        w->stopped = 1;
}

/* A Feature: its geometry (null is left to the reader: "no geometry"). */
static void
check_feature(walk *w, const jnode *feat, long index)
{
    sinspace__geom_fault f;
    memset(&f, 0, sizeof f);
    f.feature = index;
    if (feat->t != J_OBJ) {
        char e[64];
        echo(feat, e, sizeof e);
        snprintf(f.what, sizeof f.what, "%s is %s, not a Feature", e, jtype_name(feat));
        report(w, &f);
        return;
    }
    const jnode *type = N(w, member(w, feat, "type"));
    if (!str_is(type, "Feature")) {
        char e[64] = "none";
        if (type)
            echo(type, e, sizeof e);
        snprintf(f.what, sizeof f.what, "type %s; a member of \"features\" is a "
                 "Feature", e);
        report(w, &f);
        return;
    }
    const jnode *g = N(w, member(w, feat, "geometry"));
    if (!g || g->t == J_NULL)
        return;
    if (check_geometry(w, g, &f, 0) < 0)
        report(w, &f);
}

static void
stream_feature(jparser *j, int node, long index)
{
    if (!j->w->stopped)
        check_feature(j->w, &j->nodes[node], index);
}

static int
file_fault(walk *w, const char *body)
{
    snprintf(w->reason, w->reason_size, "not GeoJSON: %s", body);
    return -1;
}

int
sinspace__geojson_check(const char *text, size_t size, int report_fixable,
                        sinspace__geom_fault_fn fn, void *user,
                        char *file_reason, size_t reason_size)
{
    file_reason[0] = '\0';
    jparser j = {text, text, text + size, NULL, 0, 0, file_reason, reason_size,
                 NULL, 0};
    if (size >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        j.p += 3;
    walk w = {&j, report_fixable, fn, user, 0, file_reason, reason_size};
    j.w = &w;
    int root = parse_value(&j, 0, 0);
    if (root >= 0) {
        skip_ws(&j);
        if (j.p < j.end) {
            jerror(&j, "unexpected text after the JSON value");
            root = -1;
        }
    }
    if (root < 0) {
        free(j.nodes);
        return -1;
    }
    const jnode *r = &j.nodes[root];
    int rc = 0;
    char e[64];
    if (r->t != J_OBJ) {
        char body[120];
        snprintf(body, sizeof body, "the text is %s; GeoJSON is an object with "
                 "a \"type\"", jtype_name(r));
        rc = file_fault(&w, body);
        goto out;
    }
    const jnode *type = N(&w, member(&w, r, "type"));
    if (!type) {
        rc = file_fault(&w, r->n ? "the object has no \"type\" member"
                                 : "an empty object {}");
        goto out;
    }
    echo(type, e, sizeof e);
    if (str_is(type, "FeatureCollection")) {
        const jnode *fs = N(&w, member(&w, r, "features"));
        if (!fs || fs->t != J_ARR) {
            rc = file_fault(&w, "a FeatureCollection without a \"features\" array");
            goto out;
        }
        (void)fs; /* its features were checked as they were parsed */
    } else if (str_is(type, "Feature")) {
        check_feature(&w, r, 1);
    } else if (known_geometry(type)) {
        sinspace__geom_fault f;
        memset(&f, 0, sizeof f);
        if (check_geometry(&w, r, &f, 0) < 0)
            report(&w, &f);
    } else {
        char body[200];
        snprintf(body, sizeof body, "unknown type %s (expected FeatureCollection, "
                 "Feature or a geometry such as Polygon)", e);
        rc = file_fault(&w, body);
    }
out:
    free(j.nodes);
    return rc;
}

/* -------------------------------------------------------------------------
 * Reading an input
 */

static const char *
file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a pipe";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

char *
sinspace__read_input(const char *path, size_t max, size_t *size, char *reason,
                     size_t reason_size)
{
    if (!strncmp(path, "/vsi", 4)) {
        /* GDAL's virtual files (/vsimem/, /vsizip/...), which OGR reads
         * too: through GDAL's own I/O. */
        GByte *data = NULL;
        vsi_l_offset len = 0;
        if (!VSIIngestFile(NULL, path, &data, &len, (GIntBig)max)) {
            VSIFree(data);
            snprintf(reason, reason_size, "cannot be read, or larger than %zu MB",
                     max >> 20);
            return NULL;
        }
        char *buf = malloc((size_t)len + 1);
        if (!buf) {
            VSIFree(data);
            snprintf(reason, reason_size, "out of memory");
            return NULL;
        }
        if (len)
            memcpy(buf, data, (size_t)len);
        buf[len] = '\0';
        VSIFree(data);
        *size = (size_t)len;
        return buf;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0) {
        snprintf(reason, reason_size, "%s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(reason, reason_size, "%s, not a file of data",
                 fstat(fd, &sb) != 0 ? strerror(errno) : file_kind(sb.st_mode));
        close(fd);
        return NULL;
    }
    if ((unsigned long long)sb.st_size > max) {
        snprintf(reason, reason_size, "larger than %zu MB", max >> 20);
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        snprintf(reason, reason_size, "out of memory");
        close(fd);
        return NULL;
    }
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0) {
                snprintf(reason, reason_size, "%s", strerror(errno));
                free(buf);
                close(fd);
                return NULL;
            }
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *size = got;
    return buf;
}
