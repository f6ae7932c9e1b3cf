/* geojson.c: the streaming GeoJSON writer (RFC 7946 and RFC 8142).
 *
 * Writes straight to a FILE*, feature by feature: no JSON tree is built, so
 * memory stays flat whatever the number of features.  Geometries come as
 * WKB, are read by OGR and walked here so that rings can be written in the
 * right-hand order RFC 7946 asks for (OGR_G_ExportToJsonEx in GDAL 3.6 does
 * not reorient them) with a fixed number of decimals.  The writer keeps a
 * sticky status like a cairo object: after the first failure every call
 * returns it. */
#include "core/json.h"
#include "core/sinspaceInt.h"

#include <ogr_api.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sinspace_geojson_writer {
    sinspace_context *ctx;
    FILE *fp;
    sinspace_geojson_options opts;
    sinspace_status status;
    int begun, ended;
    long long count;
    /* Sequences repeat the top-level member in each feature. */
    char *seq_member;
    /* Bounds of everything written, for the collection's bbox. */
    double minx, miny, maxx, maxy;
    /* Bounds of the current feature. */
    double fminx, fminy, fmaxx, fmaxy;
    /* Output is composed here and written in chunks of OUT_CHUNK or more:
     * the pieces are many and small, stdio locks the FILE for each, and
     * big writes skip stdio's own 4 KiB buffer. */
    char *obuf;
    size_t olen, ocap;
};

void
sinspace_geojson_options_init(sinspace_geojson_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->precision = 6;
    opts->record_separator = 1;
}

sinspace_status
sinspace_geojson_writer_create(sinspace_context *ctx, FILE *fp,
                               const sinspace_geojson_options *opts,
                               sinspace_geojson_writer **out)
{
    if (!ctx || !fp || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "geojson_writer_create: ctx, fp and out are required");
    sinspace_geojson_options o;
    sinspace_geojson_options_init(&o);
    if (opts)
        o = *opts;
    if (o.precision < 0 || o.precision > 15)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "GeoJSON precision %d is outside 0..15", o.precision);
    sinspace_geojson_writer *w = calloc(1, sizeof *w);
    if (!w)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    w->ctx = ctx;
    w->fp = fp;
    w->opts = o;
    w->minx = w->miny = INFINITY;
    w->maxx = w->maxy = -INFINITY;
    *out = w;
    return SINSPACE_OK;
}

void
sinspace_geojson_writer_destroy(sinspace_geojson_writer *w)
{
    if (!w)
        return;
    free(w->seq_member);
    free(w->obuf);
    free(w);
}

long long
sinspace_geojson_count(const sinspace_geojson_writer *w)
{
    return w ? w->count : 0;
}

/* -------------------------------------------------------------------------
 * Text helpers.  Text is composed in a growing buffer: for the output, the
 * writer's own buffer, reused and written out once a feature (see check);
 * for the sequence member, a buffer of its own.
 */

typedef struct sink {
    FILE *fp;                   /* where check() writes the buffer; NULL: kept */
    char *buf;
    size_t len, cap;
    int failed;                 /* 1 out of memory, 2 write error */
} sink;

/* A sink onto the writer's output buffer. */
static sink
out_sink(sinspace_geojson_writer *w)
{
    sink s = {w ? w->fp : NULL, w ? w->obuf : NULL, w ? w->olen : 0,
              w ? w->ocap : 0, 0};
    return s;
}

static void
put(sink *s, const char *text, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->failed = 1;
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static void
puts_(sink *s, const char *text)
{
    put(s, text, strlen(text));
}

/* A JSON string, escaped by the library's one escaper (core/json.h):
 * UTF-8 passes through; runs of plain bytes are copied at once. */
static void
put_string(sink *s, const char *text)
{
    put(s, "\"", 1);
    const char *run = text;
    char buf[7];
    for (const char *p = text; *p; p++) {
        const char *esc = sinspace__json_escape((unsigned char)*p, buf);
        if (!esc)
            continue;
        put(s, run, (size_t)(p - run));
        puts_(s, esc);
        run = p + 1;
    }
    puts_(s, run);
    put(s, "\"", 1);
}

/* u / 10^decimals in decimal, trailing zeros (and a bare point) dropped,
 * with a minus sign when neg and u is not 0; returns the length. */
static int
fixed_text(char *buf, unsigned long long u, int decimals, int neg)
{
    char tmp[32];
    int n = 0;
    for (; u || n <= decimals; u /= 10)
        tmp[n++] = (char)('0' + u % 10);  /* digits, least significant first */
    int lead = 0;                         /* trailing fraction zeros */
    while (lead < decimals && tmp[lead] == '0')
        lead++;
    int len = 0;
    int zero = 1;
    for (int i = 0; i < n; i++)
        zero &= tmp[i] == '0';
    if (neg && !zero)
        buf[len++] = '-';
    for (int i = n - 1; i >= decimals; i--)
        buf[len++] = tmp[i];
    if (lead < decimals) {
        buf[len++] = '.';
        for (int i = decimals - 1; i >= lead; i--)
            buf[len++] = tmp[i];
    }
    buf[len] = '\0';
    return len;
}

/* 10^0 .. 10^22: every one exact in a double. */
static const double pow10_[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                                1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* v rounded to decimals (0..8) as printf's "%.*f" rounds it, without
 * printf, when v scaled (t) is below 1e10 and not within 1e-6 of a
 * rounding tie: below 2^34 the product's rounding error is at most half an
 * ulp, 2^-19, too small to change the rounding.  Returns 0 when it cannot
 * say (printf must). */
static int
fast_fixed(char *buf, double v, int decimals)
{
    if (!(decimals >= 0 && decimals <= 8 && fabs(v) < 1e9))
        return 0;
    double t = fabs(v) * pow10_[decimals];
    if (!(t < 1e10 && fabs(t - floor(t) - 0.5) > 1e-6))
        return 0;
    return fixed_text(buf, (unsigned long long)llround(t), decimals, v < 0);
}

/* The p significant digits (15 or 17) that "%.<p>g" prints for v, as an
 * integer m of p digits and the decimals d to put them at (v ~ m / 10^d),
 * without printf, when 1e-4 <= |v| < 1e14 (where %g writes no exponent).
 * 15 digits: in double, when v scaled is clear of a rounding tie by more
 * than the product's own rounding error (half an ulp, at most 2^-4 below
 * 1e15).  17 digits: exactly, in 128-bit integers: v = f * 2^e2 with f an
 * integer of 53 bits, so v * 10^d = f * 5^d * 2^(d + e2), and the rounding
 * is read off the bits shifted out; an exact tie is left to printf (its
 * rounding mode decides).  Returns 0 when it cannot say (printf must). */
static int
g_digits(double v, int p, unsigned long long *m, int *d)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e14))
        return 0;
    int e = (int)floor(log10(a));
    if (e < -4 || e > 13)
        return 0;
    int decimals = p - 1 - e; /* 1..20 */
    unsigned long long lo = (unsigned long long)pow10_[p - 1];
    unsigned long long hi = (unsigned long long)pow10_[p];
    if (p == 15) {
        double t = a * pow10_[decimals];
        if (!(t >= (double)lo && t < (double)hi) || fabs(t - floor(t) - 0.5) <= 0.1)
            return 0;
        *m = (unsigned long long)llround(t);
    } else {
#ifdef __SIZEOF_INT128__
        int ex;
        double f = frexp(a, &ex);               /* a = f * 2^ex, 0.5 <= f < 1 */
        unsigned long long mant = (unsigned long long)ldexp(f, 53); /* exact */
        int shift = decimals + ex - 53;
        unsigned __int128 t = mant;
        for (int i = 0; i < decimals; i++)
            t *= 5;                             /* < 2^53 * 5^20 < 2^100 */
        unsigned long long q;
        if (shift >= 0) {
            if (shift > 10)                      /* >= 2^63: far beyond hi */
                return 0;
            t <<= shift;
            if (t >= hi)
                return 0;
            q = (unsigned long long)t;
        } else {
            if (-shift >= 100)
                return 0;
            unsigned __int128 one = 1;
            unsigned __int128 rem = t & ((one << -shift) - 1);
            unsigned __int128 half = one << (-shift - 1);
            t >>= -shift;
            if (t >= hi)
                return 0;
            q = (unsigned long long)t;
            if (rem == half)
                return 0;                       /* an exact tie: printf's call */
            if (rem > half)
                q++;
        }
        if (q < lo)
            return 0;
        *m = q;
#else
        return 0;
#endif
    }
    if (*m >= hi) /* rounded up into a new power of ten */
        return 0;
    *d = decimals;
    return 1;
}

/* A real with the fewest digits that read back as the same double:
 * "%.15g" when that reads back, else "%.17g", as printf writes them. */
static void
put_real(sink *s, double v)
{
    if (!isfinite(v)) {
        puts_(s, "null");
        return;
    }
    char buf[40];
    unsigned long long m;
    int d;
    if (g_digits(v, 15, &m, &d)) {
        /* m < 1e15 < 2^53 and 10^d are exact: the division is the double
         * nearest the printed decimal, what strtod would read back. */
        if ((double)m / pow10_[d] == fabs(v)) {
            fixed_text(buf, m, d, v < 0);
            puts_(s, buf);
            return;
        }
        if (g_digits(v, 17, &m, &d)) {
            fixed_text(buf, m, d, v < 0);
            puts_(s, buf);
            return;
        }
    }
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    puts_(s, buf);
}

/* A coordinate with a fixed number of decimals, trailing zeros dropped. */
static void
put_coord(sink *s, double v, int precision)
{
    char buf[64];
    if (fast_fixed(buf, v, precision)) {
        puts_(s, buf);
        return;
    }
    snprintf(buf, sizeof buf, "%.*f", precision, v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    if (!strcmp(buf, "-0"))
        strcpy(buf, "0");
    puts_(s, buf);
}

static void
put_property_value(sink *s, const sinspace_property *p)
{
    char buf[32];
    switch (p->type) {
    case SINSPACE_VALUE_INTEGER:
        snprintf(buf, sizeof buf, "%lld", p->integer);
        puts_(s, buf);
        break;
    case SINSPACE_VALUE_REAL:
        put_real(s, p->real);
        break;
    case SINSPACE_VALUE_BOOLEAN:
        puts_(s, p->integer ? "true" : "false");
        break;
    case SINSPACE_VALUE_TEXT:
    case SINSPACE_VALUE_DATE:
    case SINSPACE_VALUE_DATETIME:
        if (p->text)
            put_string(s, p->text);
        else
            puts_(s, "null");
        break;
    default:
        puts_(s, "null");
    }
}

static void
put_object(sink *s, const sinspace_property *props, size_t n)
{
    put(s, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(s, ",", 1);
        put_string(s, props[i].name);
        put(s, ":", 1);
        put_property_value(s, &props[i]);
    }
    put(s, "}", 1);
}

/* -------------------------------------------------------------------------
 * Geometry
 */

static void
grow_bounds(sinspace_geojson_writer *w, double x, double y)
{
    if (x < w->fminx) w->fminx = x;
    if (x > w->fmaxx) w->fmaxx = x;
    if (y < w->fminy) w->fminy = y;
    if (y > w->fmaxy) w->fmaxy = y;
}

static void
put_position(sinspace_geojson_writer *w, sink *s, double x, double y)
{
    put(s, "[", 1);
    put_coord(s, x, w->opts.precision);
    put(s, ",", 1);
    put_coord(s, y, w->opts.precision);
    put(s, "]", 1);
    grow_bounds(w, x, y);
}

/* Points of a line or ring, reversed when asked. */
static void
put_points(sinspace_geojson_writer *w, sink *s, OGRGeometryH g, int reverse)
{
    int n = OGR_G_GetPointCount(g);
    put(s, "[", 1);
    for (int i = 0; i < n; i++) {
        int k = reverse ? n - 1 - i : i;
        if (i)
            put(s, ",", 1);
        put_position(w, s, OGR_G_GetX(g, k), OGR_G_GetY(g, k));
    }
    put(s, "]", 1);
}

/* Twice the signed area of a ring (shoelace): positive when
 * counter-clockwise. */
static double
ring_signed_area(OGRGeometryH ring)
{
    int n = OGR_G_GetPointCount(ring);
    double sum = 0.0;
    for (int i = 0; i + 1 < n; i++)
        sum += OGR_G_GetX(ring, i) * OGR_G_GetY(ring, i + 1) -
               OGR_G_GetX(ring, i + 1) * OGR_G_GetY(ring, i);
    return sum;
}

static void
put_polygon_rings(sinspace_geojson_writer *w, sink *s, OGRGeometryH poly)
{
    int n = OGR_G_GetGeometryCount(poly);
    put(s, "[", 1);
    for (int i = 0; i < n; i++) {
        OGRGeometryH ring = OGR_G_GetGeometryRef(poly, i);
        double a = ring_signed_area(ring);
        /* Exterior counter-clockwise (a > 0), holes clockwise (a < 0). */
        int reverse = i == 0 ? a < 0 : a > 0;
        if (i)
            put(s, ",", 1);
        put_points(w, s, ring, reverse);
    }
    put(s, "]", 1);
}

static int
put_geometry(sinspace_geojson_writer *w, sink *s, OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int n = OGR_G_GetGeometryCount(g);
    switch (t) {
    case wkbPoint:
        if (OGR_G_IsEmpty(g)) {
            puts_(s, "null");
            return 0;
        }
        puts_(s, "{\"type\":\"Point\",\"coordinates\":");
        put_position(w, s, OGR_G_GetX(g, 0), OGR_G_GetY(g, 0));
        break;
    case wkbLineString:
        puts_(s, "{\"type\":\"LineString\",\"coordinates\":");
        put_points(w, s, g, 0);
        break;
    case wkbPolygon:
        puts_(s, "{\"type\":\"Polygon\",\"coordinates\":");
        put_polygon_rings(w, s, g);
        break;
    case wkbMultiPoint:
    case wkbMultiLineString:
    case wkbMultiPolygon:
        puts_(s, t == wkbMultiPoint ? "{\"type\":\"MultiPoint\",\"coordinates\":["
                 : t == wkbMultiLineString
                     ? "{\"type\":\"MultiLineString\",\"coordinates\":["
                     : "{\"type\":\"MultiPolygon\",\"coordinates\":[");
        for (int i = 0; i < n; i++) {
            OGRGeometryH part = OGR_G_GetGeometryRef(g, i);
            if (i)
                put(s, ",", 1);
            if (t == wkbMultiPoint)
                put_position(w, s, OGR_G_GetX(part, 0), OGR_G_GetY(part, 0));
            else if (t == wkbMultiLineString)
                put_points(w, s, part, 0);
            else
                put_polygon_rings(w, s, part);
        }
        put(s, "]", 1);
        break;
    case wkbGeometryCollection:
        puts_(s, "{\"type\":\"GeometryCollection\",\"geometries\":[");
        for (int i = 0; i < n; i++) {
            if (i)
                put(s, ",", 1);
            if (put_geometry(w, s, OGR_G_GetGeometryRef(g, i)) < 0)
                return -1;
        }
        put(s, "]", 1);
        break;
    default:
        return -1;
    }
    put(s, "}", 1);
    return 0;
}

/* -------------------------------------------------------------------------
 * Document
 */

enum { OUT_CHUNK = 1 << 16 };

/* Hands an output sink's buffer back to the writer, writing it out once it
 * holds OUT_CHUNK bytes (or always, with flush); records the first
 * failure. */
static sinspace_status
check_(sinspace_geojson_writer *w, sink *s, int flush)
{
    if (s->fp) {
        if (!s->failed && s->len && (flush || s->len >= OUT_CHUNK)) {
            if (fwrite(s->buf, 1, s->len, s->fp) != s->len)
                s->failed = 2;
            s->len = 0;
        }
        w->obuf = s->buf;
        w->olen = s->failed ? 0 : s->len;
        w->ocap = s->cap;
    }
    if (s->failed && !w->status)
        w->status = sinspace__error(w->ctx, s->failed == 2 ? SINSPACE_IO
                                                           : SINSPACE_NO_MEMORY,
                                    "GeoJSON: %s", s->failed == 2
                                        ? "cannot write the output" : "out of memory");
    return w->status;
}

static sinspace_status
check(sinspace_geojson_writer *w, sink *s)
{
    return check_(w, s, 0);
}

sinspace_status
sinspace_geojson_begin(sinspace_geojson_writer *w, const char *member,
                       const sinspace_property *meta, size_t n_meta)
{
    if (!w)
        return SINSPACE_INVALID_ARGUMENT;
    if (w->status)
        return w->status;
    if (w->begun)
        return w->status = sinspace__error(w->ctx, SINSPACE_INVALID_ARGUMENT,
                                           "GeoJSON: begun twice");
    w->begun = 1;
    sink s = w->opts.sequence ? (sink){NULL, NULL, 0, 0, 0} : out_sink(w);
    if (!w->opts.sequence)
        puts_(&s, "{\"type\":\"FeatureCollection\"");
    if (member) {
        put(&s, ",", 1);
        put_string(&s, member);
        put(&s, ":", 1);
        put_object(&s, meta, n_meta);
    }
    if (!w->opts.sequence)
        puts_(&s, ",\"features\":[\n");
    else
        w->seq_member = s.buf; /* NULL without a member */
    return check(w, &s);
}

static sinspace_status
feature_start(sinspace_geojson_writer *w, sink *s, long long id,
              const char *text_id, const sinspace_property *props,
              size_t n_props)
{
    if (!w)
        return SINSPACE_INVALID_ARGUMENT;
    if (w->status)
        return w->status;
    if (!w->begun || w->ended)
        return w->status = sinspace__error(w->ctx, SINSPACE_INVALID_ARGUMENT,
                                           "GeoJSON: feature outside begin/end");
    if (w->opts.sequence) {
        if (w->opts.record_separator)
            put(s, "\x1e", 1);
    } else if (w->count) {
        puts_(s, ",\n");
    }
    puts_(s, "{\"type\":\"Feature\"");
    if (text_id) {
        puts_(s, ",\"id\":");
        put_string(s, text_id);
    } else if (id >= 0) {
        char buf[32];
        snprintf(buf, sizeof buf, ",\"id\":%lld", id);
        puts_(s, buf);
    }
    if (w->seq_member)
        puts_(s, w->seq_member);
    puts_(s, ",\"properties\":");
    put_object(s, props, n_props);
    puts_(s, ",\"geometry\":");
    w->fminx = w->fminy = INFINITY;
    w->fmaxx = w->fmaxy = -INFINITY;
    return SINSPACE_OK;
}

static void
put_bbox(sinspace_geojson_writer *w, sink *s, double minx, double miny,
         double maxx, double maxy)
{
    puts_(s, ",\"bbox\":[");
    put_coord(s, minx, w->opts.precision);
    put(s, ",", 1);
    put_coord(s, miny, w->opts.precision);
    put(s, ",", 1);
    put_coord(s, maxx, w->opts.precision);
    put(s, ",", 1);
    put_coord(s, maxy, w->opts.precision);
    put(s, "]", 1);
}

static sinspace_status
feature_end(sinspace_geojson_writer *w, sink *s)
{
    if (w->opts.bbox && w->fminx <= w->fmaxx) {
        put_bbox(w, s, w->fminx, w->fminy, w->fmaxx, w->fmaxy);
        if (w->fminx < w->minx) w->minx = w->fminx;
        if (w->fminy < w->miny) w->miny = w->fminy;
        if (w->fmaxx > w->maxx) w->maxx = w->fmaxx;
        if (w->fmaxy > w->maxy) w->maxy = w->fmaxy;
    }
    put(s, "}", 1);
    if (w->opts.sequence)
        put(s, "\n", 1);
    w->count++;
    return check(w, s);
}

static sinspace_status
write_point(sinspace_geojson_writer *w, long long id, const char *text_id,
            const sinspace_property *props, size_t n_props, double lon,
            double lat)
{
    sink s = out_sink(w);
    sinspace_status st = feature_start(w, &s, id, text_id, props, n_props);
    if (st)
        return st;
    if (isfinite(lon) && isfinite(lat)) {
        puts_(&s, "{\"type\":\"Point\",\"coordinates\":");
        put_position(w, &s, lon, lat);
        put(&s, "}", 1);
    } else {
        puts_(&s, "null");
    }
    return feature_end(w, &s);
}

sinspace_status
sinspace_geojson_write_point(sinspace_geojson_writer *w, long long id,
                             const sinspace_property *props, size_t n_props,
                             double lon, double lat)
{
    return write_point(w, id, NULL, props, n_props, lon, lat);
}

sinspace_status
sinspace_geojson_write_point_text_id(sinspace_geojson_writer *w, const char *id,
                                     const sinspace_property *props,
                                     size_t n_props, double lon, double lat)
{
    return write_point(w, -1, id, props, n_props, lon, lat);
}

sinspace_status
sinspace_geojson_write_feature(sinspace_geojson_writer *w, long long id,
                               const sinspace_property *props, size_t n_props,
                               const unsigned char *wkb, size_t wkb_size)
{
    OGRGeometryH g = NULL;
    if (w && !w->status && wkb &&
        (OGR_G_CreateFromWkbEx(wkb, NULL, &g, wkb_size) !=
             OGRERR_NONE || !g))
        return w->status = sinspace__error(w->ctx, SINSPACE_INVALID_INPUT,
                                           "GeoJSON: feature %lld: unreadable "
                                           "geometry", id);
    sink s = out_sink(w);
    sinspace_status st = feature_start(w, &s, id, NULL, props, n_props);
    if (!st) {
        if (!g) {
            puts_(&s, "null");
        } else if (put_geometry(w, &s, g) < 0) {
            OGR_G_DestroyGeometry(g);
            w->obuf = s.buf; /* keep the (maybe moved) buffer, not this feature */
            w->ocap = s.cap;
            return w->status = sinspace__error(
                       w->ctx, SINSPACE_UNSUPPORTED,
                       "GeoJSON: feature %lld: geometry type %s has no GeoJSON "
                       "form", id, OGRGeometryTypeToName(OGR_G_GetGeometryType(g)));
        }
        st = feature_end(w, &s);
    }
    if (g)
        OGR_G_DestroyGeometry(g);
    return st;
}

sinspace_status
sinspace_geojson_end(sinspace_geojson_writer *w)
{
    if (!w)
        return SINSPACE_INVALID_ARGUMENT;
    if (w->status)
        return w->status;
    if (!w->begun || w->ended)
        return w->status = sinspace__error(w->ctx, SINSPACE_INVALID_ARGUMENT,
                                           "GeoJSON: end without begin");
    w->ended = 1;
    sink s = out_sink(w);
    if (!w->opts.sequence) {
        puts_(&s, "\n]");
        if (w->opts.bbox && w->minx <= w->maxx)
            put_bbox(w, &s, w->minx, w->miny, w->maxx, w->maxy);
        puts_(&s, "}\n");
    }
    if (check_(w, &s, 1))
        return w->status;
    if (fflush(w->fp) != 0 || ferror(w->fp))
        s.failed = 2;
    return check_(w, &s, 1);
}
