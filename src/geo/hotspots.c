/* hotspots.c: Getis-Ord Gi* hot spots, their false-discovery-rate bins,
 * the Mann-Kendall trend test and ArcGIS's emerging-hot-spot categories
 * (see sinspace/hotspots.h and docs/zones.md).
 *
 * Engine-neutral: the store hands out the open workplaces (current risk, or
 * the observation history) through the zones domain of the engine; the
 * statistics are here.  Neighbours are found with a grid of cells at least
 * one band wide in degrees (a box prefilter), and decided by the geodesic
 * distance on WGS 84 (geod_inverse): a local ellipsoidal approximation
 * accepts or rejects the clear cases, geod_inverse decides every pair
 * within 0.1 % of the band, so the answer is geod_inverse's. */
#include "geo/hotspots_int.h"
#include "geo/queryInt.h"
#include "store/zones.h"

#include <sinspace/hotspots.h>

#include <geodesic.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- geodesy ------------------------------------------------------------ */

static struct geod_geodesic geod;
static int geod_ready;

static const struct geod_geodesic *
wgs84(void)
{
    if (!geod_ready) {
        geod_init(&geod, SINSPACE_WGS84_A, SINSPACE_WGS84_F);
        geod_ready = 1;
    }
    return &geod;
}

double
sinspace__hotspot_distance(double lon1, double lat1, double lon2, double lat2)
{
    double s12 = 0;
    geod_inverse(wgs84(), lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

/* Metres per degree of latitude (meridional) and longitude at lat. */
static void
metres_per_degree(double lat, double *m_lat, double *m_lon)
{
    const double a = SINSPACE_WGS84_A, f = SINSPACE_WGS84_F;
    const double e2 = f * (2 - f);
    double phi = lat * M_PI / 180.0, s = sin(phi);
    double w = sqrt(1 - e2 * s * s);
    *m_lat = M_PI / 180.0 * a * (1 - e2) / (w * w * w);
    *m_lon = M_PI / 180.0 * a * cos(phi) / w;
}

/* ---- the grid ----------------------------------------------------------- */

typedef struct grid {
    double lon0, lat0, cw, ch; /* origin and cell size, degrees */
    long nx, ny;
    size_t *start;             /* nx*ny + 1 */
    size_t *idx;               /* point indices by cell */
} grid;

static long
cell_of(double v, double v0, double c, long nmax)
{
    long k = (long)floor((v - v0) / c);
    return k < 0 ? 0 : k >= nmax ? nmax - 1 : k;
}

static void
grid_free(grid *g)
{
    free(g->start);
    free(g->idx);
    memset(g, 0, sizeof *g);
}

/* A grid over the points with cells at least cw x ch degrees, grown when it
 * would have far more cells than points. */
static int
grid_build(grid *g, size_t n, const double *lon, const double *lat, double cw,
           double ch)
{
    memset(g, 0, sizeof *g);
    double w = lon[0], e = lon[0], s = lat[0], nn = lat[0];
    for (size_t i = 1; i < n; i++) {
        if (lon[i] < w) w = lon[i];
        if (lon[i] > e) e = lon[i];
        if (lat[i] < s) s = lat[i];
        if (lat[i] > nn) nn = lat[i];
    }
    for (;;) {
        double fx = floor((e - w) / cw) + 1, fy = floor((nn - s) / ch) + 1;
        if (fx * fy <= 4.0 * (double)n + 1024) {
            g->nx = (long)fx;
            g->ny = (long)fy;
            break;
        }
        cw *= 1.5;
        ch *= 1.5;
    }
    g->lon0 = w;
    g->lat0 = s;
    g->cw = cw;
    g->ch = ch;
    size_t cells = (size_t)g->nx * (size_t)g->ny;
    g->start = calloc(cells + 1, sizeof *g->start);
    g->idx = malloc((n ? n : 1) * sizeof *g->idx);
    size_t *cell = malloc((n ? n : 1) * sizeof *cell);
    if (!g->start || !g->idx || !cell) {
        free(cell);
        grid_free(g);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        cell[i] = (size_t)cell_of(lat[i], s, ch, g->ny) * (size_t)g->nx +
                  (size_t)cell_of(lon[i], w, cw, g->nx);
        g->start[cell[i] + 1]++;
    }
    for (size_t c = 0; c < cells; c++)
        g->start[c + 1] += g->start[c];
    size_t *fill = malloc((cells ? cells : 1) * sizeof *fill);
    if (!fill) {
        free(cell);
        grid_free(g);
        return -1;
    }
    memcpy(fill, g->start, cells * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        g->idx[fill[cell[i]]++] = i;
    free(fill);
    free(cell);
    return 0;
}

/* ---- pairs within the band ---------------------------------------------- */

typedef struct band_geom {
    double band;
    double dlat, dlon;      /* the band in degrees, conservatively wide */
} band_geom;

static void
band_degrees(band_geom *b, double band, size_t n, const double *lat)
{
    double maxabs = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(lat[i]) > maxabs)
            maxabs = fabs(lat[i]);
    double m_lat, m_lon, m_lat0, m_lon0;
    metres_per_degree(0.0, &m_lat0, &m_lon0);
    double lat_edge = maxabs + band / m_lat0 + 0.01;
    if (lat_edge > 89.0)
        lat_edge = 89.0;
    metres_per_degree(lat_edge, &m_lat, &m_lon);
    b->band = band;
    b->dlat = band / m_lat0 * 1.001;        /* m_lat is smallest at the equator */
    b->dlon = band / m_lon * 1.001;         /* m_lon is smallest poleward */
}

/* Whether j is within the band of i: the clear cases by a local
 * ellipsoidal plane at the mean latitude, the rest by geod_inverse. */
static int
within_band(const band_geom *b, double lon1, double lat1, double lon2, double lat2)
{
    double dy = lat2 - lat1, dx = lon2 - lon1;
    if (fabs(dy) > b->dlat || fabs(dx) > b->dlon)
        return 0;
    double m_lat, m_lon;
    metres_per_degree(0.5 * (lat1 + lat2), &m_lat, &m_lon);
    double d = hypot(dy * m_lat, dx * m_lon);
    if (d < b->band * 0.999)
        return 1;
    if (d > b->band * 1.001)
        return 0;
    return sinspace__hotspot_distance(lon1, lat1, lon2, lat2) <= b->band;
}

sinspace_status
sinspace__hotspot_pairs(sinspace_context *ctx, size_t n, const double *lon,
                        const double *lat, double band_m,
                        int (*fn)(void *user, size_t i, size_t j), void *user)
{
    if (n == 0)
        return SINSPACE_OK;
    band_geom b;
    band_degrees(&b, band_m, n, lat);
    grid g;
    if (grid_build(&g, n, lon, lat, b.dlon, b.dlat) < 0)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "hot spots: out of memory");
    long rx = (long)ceil(b.dlon / g.cw), ry = (long)ceil(b.dlat / g.ch);
    sinspace_status st = SINSPACE_OK;
    for (long cy = 0; cy < g.ny && !st; cy++)
        for (long cx = 0; cx < g.nx && !st; cx++) {
            size_t c = (size_t)cy * (size_t)g.nx + (size_t)cx;
            for (size_t a = g.start[c]; a < g.start[c + 1] && !st; a++) {
                size_t i = g.idx[a];
                for (long y = cy - ry; y <= cy + ry && !st; y++) {
                    if (y < 0 || y >= g.ny)
                        continue;
                    for (long x = cx - rx; x <= cx + rx && !st; x++) {
                        if (x < 0 || x >= g.nx)
                            continue;
                        size_t d = (size_t)y * (size_t)g.nx + (size_t)x;
                        for (size_t k = g.start[d]; k < g.start[d + 1]; k++) {
                            size_t j = g.idx[k];
                            if (j <= i)
                                continue;
                            if (within_band(&b, lon[i], lat[i], lon[j], lat[j]) &&
                                fn(user, i, j)) {
                                st = SINSPACE_INTERRUPTED;
                                break;
                            }
                        }
                    }
                }
            }
        }
    grid_free(&g);
    return st;
}

/* ---- Gi* ---------------------------------------------------------------- */

typedef struct gsum {
    const double *xc; /* centred values */
    long long *w;
    double *l;
} gsum;

static int
on_pair_sum(void *user, size_t i, size_t j)
{
    gsum *s = user;
    s->w[i]++;
    s->w[j]++;
    s->l[i] += s->xc[j];
    s->l[j] += s->xc[i];
    return 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p thresholds of the 90/95/99 % levels, Benjamini-Hochberg when fdr. */
static sinspace_status
thresholds(sinspace_context *ctx, size_t n, const double *p, int fdr, double thr[4])
{
    static const double alpha[4] = {0, 0.10, 0.05, 0.01};
    thr[0] = 0;
    if (!fdr) {
        for (int k = 1; k <= 3; k++)
            thr[k] = alpha[k];
        return SINSPACE_OK;
    }
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "hot spots: out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]))
            s[m++] = p[i];
    qsort(s, m, sizeof *s, cmp_double);
    for (int k = 1; k <= 3; k++) {
        thr[k] = 0;
        for (size_t r = m; r > 0; r--)
            if (s[r - 1] <= (double)r / (double)m * alpha[k]) {
                thr[k] = s[r - 1];
                break;
            }
    }
    free(s);
    return SINSPACE_OK;
}

sinspace_status
sinspace_gistar(sinspace_context *ctx, size_t n, const double *lon,
                const double *lat, const double *x, double band_m, int fdr,
                long long *neighbours, double *z, double *p, int *bin,
                sinspace_gistar_result *result)
{
    if (!ctx)
        return SINSPACE_INVALID_ARGUMENT;
    if (!lon || !lat || !x)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "gistar: points and values are required");
    if (n < 2)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hot spots: %zu workplace%s; Gi* needs at least 2 "
                               "(and %d for a trustworthy answer)", n,
                               n == 1 ? "" : "s", SINSPACE_HOTSPOTS_MIN_WORKPLACES);
    if (!(band_m > 0) || !isfinite(band_m))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hot spots: the band must be a distance above 0 m");
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    double s2 = 0;
    for (size_t i = 0; i < n; i++)
        s2 += (x[i] - mean) * (x[i] - mean);
    s2 /= (double)n;
    if (!(s2 > 0))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hot spots: all %zu workplaces have the same risk "
                               "(%.3g); Gi* is undefined without variation", n, mean);
    double *xc = malloc(n * sizeof *xc), *l = calloc(n, sizeof *l);
    long long *w = malloc(n * sizeof *w);
    double *pp = malloc(n * sizeof *pp), *zz = malloc(n * sizeof *zz);
    if (!xc || !l || !w || !pp || !zz) {
        free(xc); free(l); free(w); free(pp); free(zz);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "hot spots: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        xc[i] = x[i] - mean;
        l[i] = xc[i];  /* the workplace itself */
        w[i] = 1;
    }
    gsum gs = {xc, w, l};
    sinspace_status st = sinspace__hotspot_pairs(ctx, n, lon, lat, band_m,
                                                 on_pair_sum, &gs);
    long long isolated = 0;
    double dn = (double)n;
    for (size_t i = 0; !st && i < n; i++) {
        double wi = (double)w[i];
        double var = s2 * (dn * wi - wi * wi) / (dn - 1);
        if (w[i] == 1)
            isolated++;
        if (var > 0) {
            zz[i] = l[i] / sqrt(var);
            pp[i] = erfc(fabs(zz[i]) / M_SQRT2);
        } else { /* every workplace is a neighbour: no contrast */
            zz[i] = NAN;
            pp[i] = NAN;
        }
    }
    double thr[4] = {0};
    if (!st)
        st = thresholds(ctx, n, pp, fdr, thr);
    sinspace_gistar_result r;
    memset(&r, 0, sizeof r);
    r.band_m = band_m;
    r.mean = mean;
    r.variance = s2;
    r.isolated = isolated;
    for (int k = 0; k < 4; k++)
        r.threshold[k] = thr[k];
    for (size_t i = 0; !st && i < n; i++) {
        int b = 0;
        if (w[i] > 1 && !isnan(pp[i]))
            for (int k = 3; k >= 1; k--)
                if (fdr ? pp[i] <= thr[k] : pp[i] < thr[k]) {
                    b = k;
                    break;
                }
        if (b && zz[i] < 0)
            b = -b;
        if (b > 0)
            r.hot[b]++;
        else if (b < 0)
            r.cold[-b]++;
        if (neighbours) neighbours[i] = w[i];
        if (z) z[i] = zz[i];
        if (p) p[i] = pp[i];
        if (bin) bin[i] = b;
    }
    free(xc); free(l); free(w); free(pp); free(zz);
    if (!st && result)
        *result = r;
    return st;
}

/* ---- the automatic band ------------------------------------------------- */

sinspace_status
sinspace_gistar_auto_band(sinspace_context *ctx, size_t n, const double *lon,
                          const double *lat, double *band_m, size_t *farthest,
                          double *median_m)
{
    if (!ctx)
        return SINSPACE_INVALID_ARGUMENT;
    if (n < 2 || !band_m)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hot spots: an automatic band needs at least 2 "
                               "workplaces");
    double w = lon[0], e = lon[0], s = lat[0], nn = lat[0], maxabs = 0;
    for (size_t i = 0; i < n; i++) {
        if (lon[i] < w) w = lon[i];
        if (lon[i] > e) e = lon[i];
        if (lat[i] < s) s = lat[i];
        if (lat[i] > nn) nn = lat[i];
        if (fabs(lat[i]) > maxabs) maxabs = fabs(lat[i]);
    }
    double side = sqrt(((e - w) + 1e-9) * ((nn - s) + 1e-9) / (double)n) * 2;
    if (!(side > 1e-7))
        side = 1e-7;
    grid g;
    if (grid_build(&g, n, lon, lat, side, side) < 0)
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "hot spots: out of memory");
    double m_lat0, m_lon0, m_lat, m_lon;
    metres_per_degree(0.0, &m_lat0, &m_lon0);
    metres_per_degree(maxabs > 89 ? 89 : maxabs, &m_lat, &m_lon);
    /* A point k rings away is at least this far, in metres. */
    double ring_m = fmin(g.ch * m_lat0, g.cw * m_lon) * 0.999;
    double worst = -1;
    size_t worst_i = 0;
    double *nnd = malloc(n * sizeof *nnd);
    if (!nnd) {
        grid_free(&g);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "hot spots: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        long cx = cell_of(lon[i], g.lon0, g.cw, g.nx);
        long cy = cell_of(lat[i], g.lat0, g.ch, g.ny);
        double best = INFINITY;
        for (long k = 0;; k++) {
            if (k > g.nx && k > g.ny)
                break;
            for (long y = cy - k; y <= cy + k; y++) {
                if (y < 0 || y >= g.ny)
                    continue;
                for (long x = cx - k; x <= cx + k; x++) {
                    if (x < 0 || x >= g.nx)
                        continue;
                    if (labs(x - cx) != k && labs(y - cy) != k)
                        continue; /* only the ring */
                    size_t c = (size_t)y * (size_t)g.nx + (size_t)x;
                    for (size_t a = g.start[c]; a < g.start[c + 1]; a++) {
                        size_t j = g.idx[a];
                        if (j == i)
                            continue;
                        double d = sinspace__hotspot_distance(lon[i], lat[i],
                                                              lon[j], lat[j]);
                        if (d < best)
                            best = d;
                    }
                }
            }
            if (best <= (double)k * ring_m)
                break;
        }
        nnd[i] = best;
        if (best > worst) {
            worst = best;
            worst_i = i;
        }
    }
    grid_free(&g);
    qsort(nnd, n, sizeof *nnd, cmp_double);
    if (median_m)
        *median_m = n % 2 ? nnd[n / 2] : 0.5 * (nnd[n / 2 - 1] + nnd[n / 2]);
    free(nnd);
    double b = ceil(worst);
    if (b < 1)
        b = 1;
    *band_m = b;
    if (farthest)
        *farthest = worst_i;
    return SINSPACE_OK;
}

/* ---- Mann-Kendall ------------------------------------------------------- */

void
sinspace_mann_kendall_test(const double *y, size_t n, sinspace_mann_kendall *out)
{
    sinspace_mann_kendall r = {0, 0, 0, 1};
    if (!out)
        return;
    if (!y || n < 3) {
        *out = r;
        return;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            s += (y[j] > y[i]) - (y[j] < y[i]);
    /* Ties in y: groups of equal values. */
    double *sorted = malloc(n * sizeof *sorted);
    double t2 = 0, vu = 0;
    if (sorted) {
        memcpy(sorted, y, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_double);
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            while (j < n && sorted[j] == sorted[i])
                j++;
            double t = (double)(j - i);
            if (t > 1) {
                t2 += t * (t - 1) / 2;
                vu += t * (t - 1) * (2 * t + 5);
            }
            i = j;
        }
        free(sorted);
    }
    double dn = (double)n, t0 = dn * (dn - 1) / 2;
    double var = (dn * (dn - 1) * (2 * dn + 5) - vu) / 18.0;
    r.s = s;
    if (t0 - t2 > 0 && var > 0) {
        r.tau = s / sqrt(t0 * (t0 - t2));
        r.z = s / sqrt(var);
        r.p = erfc(fabs(r.z) / M_SQRT2);
        if (r.p > 1)
            r.p = 1;
    }
    *out = r;
}

/* ---- ArcGIS's emerging hot spot categories ------------------------------ */

static const char *const category_names[SINSPACE_EMERGING_COUNT] = {
    "no pattern detected",
    "new hot spot", "consecutive hot spot", "intensifying hot spot",
    "persistent hot spot", "diminishing hot spot", "sporadic hot spot",
    "oscillating hot spot", "historical hot spot",
    "new cold spot", "consecutive cold spot", "intensifying cold spot",
    "persistent cold spot", "diminishing cold spot", "sporadic cold spot",
    "oscillating cold spot", "historical cold spot",
};

const char *
sinspace_emerging_category_name(sinspace_emerging_category c)
{
    if ((int)c < 0 || c >= SINSPACE_EMERGING_COUNT)
        return NULL;
    return category_names[c];
}

int
sinspace_emerging_category_parse(const char *name)
{
    if (!name)
        return -1;
    size_t len = strlen(name);
    for (int c = 0; c < SINSPACE_EMERGING_COUNT; c++) {
        const char *full = category_names[c];
        if (!strcasecmp(name, full))
            return c;
        /* "new" is "new hot spot"; "no-pattern" / "none" the first. */
        if (c >= SINSPACE_EMERGING_NEW_HOT && c <= SINSPACE_EMERGING_HISTORICAL_HOT &&
            !strncasecmp(name, full, len) && full[len] == ' ')
            return c;
    }
    if (!strcasecmp(name, "none") || !strcasecmp(name, "no-pattern"))
        return SINSPACE_EMERGING_NONE;
    /* "new-cold", "new_cold" */
    for (int c = SINSPACE_EMERGING_NEW_COLD; c < SINSPACE_EMERGING_COUNT; c++) {
        const char *full = category_names[c];
        size_t w = strcspn(full, " ");
        if (len == w + 5 && !strncasecmp(name, full, w) &&
            (name[w] == '-' || name[w] == '_') && !strcasecmp(name + w + 1, "cold"))
            return c;
    }
    return -1;
}

/* The hot side of ArcGIS's definitions, on sign-adjusted bins (sig > 0 is
 * the side asked) and a sign-adjusted trend (up > 0 is "intensifying").
 * Returns 0 (none) or 1..8 (new .. historical). */
static int
classify_side(const int *bins, size_t n, int sign, double trend_z, double trend_p)
{
    size_t last = n - 1, hot = 0, other = 0;
    for (size_t t = 0; t < n; t++) {
        int b = bins[t] * sign;
        if (b > 0)
            hot++;
        else if (b < 0)
            other++;
    }
    int last_hot = bins[last] * sign > 0;
    double share = (double)hot / (double)n;
    int trend_sig = trend_p < SINSPACE_HOTSPOTS_TREND_ALPHA;
    double up = trend_z * sign;
    /* New: significant in the final step, never before. */
    if (last_hot && hot == 1)
        return 1;
    /* Consecutive: one uninterrupted run of at least two significant steps
     * ending with the final one, never significant before the run, and
     * under 90 % of the steps significant. */
    if (last_hot && share < 0.9) {
        size_t run = 0;
        while (run < n && bins[last - run] * sign > 0)
            run++;
        if (run >= 2 && run == hot)
            return 2;
    }
    /* Intensifying: significant in 90 % of the steps including the final
     * one, with a significant upward trend of z. */
    if (share >= 0.9 && last_hot && trend_sig && up > 0)
        return 3;
    /* Historical (checked before persistent, whose definition does not
     * mention the final step): not significant in the final step, but in at
     * least 90 % of the steps. */
    if (share >= 0.9 && !last_hot)
        return 8;
    /* Persistent: 90 % of the steps, no significant trend. */
    if (share >= 0.9 && !trend_sig)
        return 4;
    /* Diminishing: 90 % including the final one, significant downward. */
    if (share >= 0.9 && last_hot && trend_sig && up < 0)
        return 5;
    /* Sporadic: significant in the final step, on and off before, under
     * 90 %, never the opposite spot.  Oscillating: the same with some step
     * the opposite spot. */
    if (last_hot && share < 0.9)
        return other == 0 ? 6 : 7;
    return 0;
}

sinspace_emerging_category
sinspace_emerging_classify(const int *bins, size_t n, const sinspace_mann_kendall *mk)
{
    if (!bins || n == 0)
        return SINSPACE_EMERGING_NONE;
    double tz = mk ? mk->z : 0, tp = mk ? mk->p : 1;
    int h = classify_side(bins, n, +1, tz, tp);
    if (h)
        return (sinspace_emerging_category)h;
    int c = classify_side(bins, n, -1, tz, tp);
    if (c)
        return (sinspace_emerging_category)(SINSPACE_EMERGING_HISTORICAL_HOT + c);
    return SINSPACE_EMERGING_NONE;
}

/* ---- options ------------------------------------------------------------ */

void
sinspace_hotspots_options_init(sinspace_hotspots_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->band_m = 0;
    opts->fdr = 1;
    opts->step = SINSPACE_STEP_YEAR;
}

sinspace_status
sinspace_hotspots_parse_band(sinspace_context *ctx, const char *text, double *band_m)
{
    if (!ctx)
        return SINSPACE_INVALID_ARGUMENT;
    if (!text || !band_m)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "band: no value");
    const char *t = text;
    char *end;
    double v = strtod(t, &end);
    if (end != t) {
        while (*end == ' ')
            end++;
        if (!strcasecmp(end, "deg") || !strcasecmp(end, "d") ||
            !strcasecmp(end, "degrees") || !strcmp(end, "\xc2\xb0"))
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "band '%s' is in degrees: a degree of longitude is "
                                   "not a fixed distance, so Gi* would weigh north-"
                                   "south and east-west neighbours differently; give "
                                   "metres (500m) or kilometres (0.5km)", text);
        if (*end == '\0' && isfinite(v) && v > 0 && v < 1)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "band '%s' looks like degrees (a bare number is "
                                   "metres, and under 1 m is no band); give metres "
                                   "(500m) or kilometres (0.5km)", text);
    }
    double m;
    if (sinspace_parse_distance(ctx, text, &m))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT, "band: %s",
                               sinspace_context_message(ctx));
    if (!(m > 0))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "band '%s': must be above 0 m", text);
    *band_m = m;
    return SINSPACE_OK;
}

/* ---- hot spots of a store ----------------------------------------------- */

typedef struct hpoint {
    long long row_id;
    char *ext_id;
    double lon, lat;
    double risk;       /* current, or the latest up to the last step */
    int first_step;    /* emerging: the step of its first observation */
} hpoint;

typedef struct hrun {
    sinspace_context *ctx;
    const sinspace_hotspots_options *o;
    long long *ids;    /* the region's row ids, sorted; NULL: all */
    size_t n_ids;
    hpoint *pts;
    size_t n, cap;
    /* emerging: values per step, n x steps (NaN before the first) */
    double *vals;
    size_t vcap;
    int p0, steps;     /* the first period index and the number of steps */
    sinspace_status st;
} hrun;

static int
cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int
on_id(void *user, long long id)
{
    hrun *r = user;
    if (r->n_ids % 4096 == 0) {
        long long *g = realloc(r->ids, (r->n_ids + 4096) * sizeof *g);
        if (!g) {
            r->st = sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        r->ids = g;
    }
    r->ids[r->n_ids++] = id;
    return 0;
}

static int
wanted(const hrun *r, long long id)
{
    if (!r->o->region)
        return 1;
    return r->ids && bsearch(&id, r->ids, r->n_ids, sizeof id, cmp_ll) != NULL;
}

static hpoint *
add_point(hrun *r, const sinspace__hotspot_point *p)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        hpoint *g = realloc(r->pts, cap * sizeof *g);
        if (!g)
            return NULL;
        r->pts = g;
        r->cap = cap;
    }
    hpoint *h = &r->pts[r->n];
    h->row_id = p->row_id;
    h->ext_id = strdup(p->ext_id ? p->ext_id : "");
    if (!h->ext_id)
        return NULL;
    h->lon = p->lon;
    h->lat = p->lat;
    h->risk = p->risk;
    h->first_step = -1;
    r->n++;
    return h;
}

static int
on_point(void *user, const sinspace__hotspot_point *p)
{
    hrun *r = user;
    if (!wanted(r, p->row_id))
        return 0;
    if (!add_point(r, p)) {
        r->st = sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
        return 1;
    }
    return 0;
}

/* The period index of a date: years, or quarters (year * 4 + q). */
static int
period_of(const char *date, sinspace_hotspot_step step, int *out)
{
    int y, m;
    if (!date || sscanf(date, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12)
        return -1;
    *out = step == SINSPACE_STEP_QUARTER ? y * 4 + (m - 1) / 3 : y;
    return 0;
}

static void
period_name(int p, sinspace_hotspot_step step, char *buf, size_t size)
{
    if (step == SINSPACE_STEP_QUARTER)
        snprintf(buf, size, "%dQ%d", p / 4, p % 4 + 1);
    else
        snprintf(buf, size, "%d", p);
}

/* History: the first pass finds the periods, the second fills values.  We
 * read the history once, keeping (point, period, risk) triples. */
typedef struct hobs {
    size_t point;
    int period;
    double risk;
} hobs;

typedef struct hhist {
    hrun *r;
    hobs *obs;
    size_t n, cap;
    int pmin, pmax;
} hhist;

static int
on_history(void *user, const sinspace__hotspot_point *p)
{
    hhist *h = user;
    hrun *r = h->r;
    if (!wanted(r, p->row_id))
        return 0;
    int per;
    if (period_of(p->observed, r->o->step ? r->o->step : SINSPACE_STEP_YEAR, &per) < 0)
        return 0; /* an undated observation: cannot be placed in a step */
    if (r->n == 0 || r->pts[r->n - 1].row_id != p->row_id) {
        if (!add_point(r, p)) {
            r->st = sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
    }
    r->pts[r->n - 1].risk = p->risk; /* ordered by date: the latest wins */
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4096;
        hobs *g = realloc(h->obs, cap * sizeof *g);
        if (!g) {
            r->st = sinspace__error(r->ctx, SINSPACE_NO_MEMORY, "out of memory");
            return 1;
        }
        h->obs = g;
        h->cap = cap;
    }
    h->obs[h->n++] = (hobs){r->n - 1, per, p->risk};
    if (h->n == 1 || per < h->pmin)
        h->pmin = per;
    if (h->n == 1 || per > h->pmax)
        h->pmax = per;
    return 0;
}

static void
append_warning(sinspace_hotspots_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void
append_warning(sinspace_hotspots_result *res, const char *fmt, ...)
{
    size_t len = strlen(res->warnings);
    if (len && len + 2 < sizeof res->warnings) {
        strcat(res->warnings, "; ");
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->warnings + len, sizeof res->warnings - len, fmt, ap);
    va_end(ap);
}

static void
hrun_free(hrun *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->pts[i].ext_id);
    free(r->pts);
    free(r->ids);
    free(r->vals);
}

sinspace_status
sinspace_hotspots_compute(sinspace_store *store, const sinspace_hotspots_options *opts,
                          int (*fn)(void *user_data, const sinspace_hotspot_row *row),
                          void *user_data, sinspace_hotspots_result *result)
{
    if (!store)
        return SINSPACE_INVALID_ARGUMENT;
    sinspace_context *ctx = sinspace_store_context(store);
    sinspace_hotspots_options def;
    if (!opts) {
        sinspace_hotspots_options_init(&def);
        opts = &def;
    }
    if (opts->band_m < 0 || !isfinite(opts->band_m))
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hot spots: the band must be a distance above 0 m");
    if (opts->emerging && opts->step != SINSPACE_STEP_YEAR &&
        opts->step != SINSPACE_STEP_QUARTER)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "hot spots: --step is year or quarter");
    if (opts->at) {
        int y, m, d;
        char tail;
        if (sscanf(opts->at, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
            strlen(opts->at) != 10 || m < 1 || m > 12 || d < 1 || d > 31)
            return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                   "hot spots: --at takes a date YYYY-MM-DD, not '%s'",
                                   opts->at);
    }
    sinspace_hotspots_result res;
    memset(&res, 0, sizeof res);
    res.steps = 1;
    hrun r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.o = opts;
    const sinspace__zone_ops *ops = sinspace__store_engine(store)->zones;
    double bbox[4], *pbox = NULL;
    sinspace_status st = SINSPACE_OK;
    if (opts->region) {
        st = sinspace_region_bounds(opts->region, bbox);
        pbox = bbox;
        if (!st)
            st = sinspace_query_ids(store, opts->region, NULL, on_id, &r, NULL);
        if (!st && r.st)
            st = r.st;
        if (!st && r.n_ids)
            qsort(r.ids, r.n_ids, sizeof *r.ids, cmp_ll);
    }
    hhist hist = {&r, NULL, 0, 0, 0, 0};
    if (!st) {
        if (opts->emerging || opts->at)
            st = ops->hotspot_history(store, pbox, opts->at, on_history, &hist);
        else
            st = ops->hotspot_points(store, pbox, on_point, &r);
        if (r.st)
            st = r.st;
    }
    size_t n = r.n;
    double *lon = NULL, *lat = NULL, *x = NULL, *z = NULL, *p = NULL;
    long long *nb = NULL;
    int *bin = NULL, *bins = NULL;
    double *zs = NULL;
    if (!st && n < 2)
        st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                             "hot spots: %zu open workplace%s with a risk score%s%s; "
                             "Gi* needs at least 2", n, n == 1 ? "" : "s",
                             opts->at ? " as of " : "", opts->at ? opts->at : "");
    if (!st) {
        lon = malloc(n * sizeof *lon);
        lat = malloc(n * sizeof *lat);
        x = malloc(n * sizeof *x);
        z = malloc(n * sizeof *z);
        p = malloc(n * sizeof *p);
        nb = malloc(n * sizeof *nb);
        bin = malloc(n * sizeof *bin);
        if (!lon || !lat || !x || !z || !p || !nb || !bin)
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    if (!st) {
        for (size_t i = 0; i < n; i++) {
            lon[i] = r.pts[i].lon;
            lat[i] = r.pts[i].lat;
        }
        res.workplaces = (long long)n;
        double band = opts->band_m;
        if (band == 0) {
            size_t far = 0;
            double median = 0;
            st = sinspace_gistar_auto_band(ctx, n, lon, lat, &band, &far, &median);
            if (!st && band > 5 * median && band > 100)
                append_warning(&res, "the automatic band (%.0f m) is %.0f times the "
                               "median nearest-neighbour distance (%.0f m): %s is far "
                               "from the rest, and so wide a band smooths every hot "
                               "spot away; give --band (e.g. %.0fm) and accept that "
                               "remote workplaces are never binned", band,
                               band / median, median, r.pts[far].ext_id,
                               ceil(median * 5 / 50) * 50);
            if (!st) {
                res.band_auto = 1;
                snprintf(res.band_reason, sizeof res.band_reason,
                         "%.0f m, the smallest band that gives every workplace at "
                         "least one neighbour besides itself (the farthest nearest "
                         "neighbour is that of %s)", band, r.pts[far].ext_id);
            }
        }
        if (!st && n < SINSPACE_HOTSPOTS_MIN_WORKPLACES)
            append_warning(&res, "only %zu workplaces: under %d, Gi*'s normal "
                           "approximation is unreliable", n,
                           SINSPACE_HOTSPOTS_MIN_WORKPLACES);
        if (!st && !opts->emerging) {
            for (size_t i = 0; i < n; i++)
                x[i] = r.pts[i].risk;
            st = sinspace_gistar(ctx, n, lon, lat, x, band, opts->fdr, nb, z, p, bin,
                                 &res.gistar);
        } else if (!st) {
            /* Steps from the first observation's period to the last's (or
             * --at's). */
            int pmin = hist.pmin, pmax = hist.pmax;
            if (opts->at)
                period_of(opts->at, opts->step, &pmax);
            int steps = pmax - pmin + 1;
            if (steps < 2)
                st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                     "emerging hot spots: the observations span one "
                                     "%s; a trend needs at least 2 steps (3 for the "
                                     "Mann-Kendall test)",
                                     opts->step == SINSPACE_STEP_QUARTER ? "quarter"
                                                                         : "year");
            else if ((double)steps * (double)n > 2e9)
                st = sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                                     "emerging hot spots: %d steps over %zu "
                                     "workplaces is too many", steps, n);
            if (!st) {
                res.steps = steps;
                period_name(pmin, opts->step, res.first_step, sizeof res.first_step);
                period_name(pmax, opts->step, res.last_step, sizeof res.last_step);
                if (steps < 3)
                    append_warning(&res, "%d steps: the Mann-Kendall test needs 3 "
                                   "or more, so no trend is detected", steps);
                size_t cells = (size_t)steps * n;
                r.vals = malloc(cells * sizeof *r.vals);
                zs = malloc(cells * sizeof *zs);
                bins = malloc(cells * sizeof *bins);
                if (!r.vals || !zs || !bins)
                    st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            }
            if (!st) {
                /* vals[i * steps + t]: the latest observation up to step t. */
                for (size_t c = 0; c < (size_t)steps * n; c++)
                    r.vals[c] = NAN;
                for (size_t k = 0; k < hist.n; k++) {
                    hobs *ob = &hist.obs[k];
                    int t = ob->period - pmin;
                    if (t < 0 || t >= steps)
                        continue;
                    r.vals[ob->point * (size_t)steps + (size_t)t] = ob->risk;
                    if (r.pts[ob->point].first_step < 0 ||
                        t < r.pts[ob->point].first_step)
                        r.pts[ob->point].first_step = t;
                }
                for (size_t i = 0; i < n; i++) {
                    double last = NAN;
                    for (int t = 0; t < steps; t++) {
                        double *v = &r.vals[i * (size_t)steps + (size_t)t];
                        if (isnan(*v))
                            *v = last;
                        else
                            last = *v;
                    }
                }
                double *sl = malloc(n * sizeof *sl), *sa = malloc(n * sizeof *sa);
                double *sx = malloc(n * sizeof *sx), *sz = malloc(n * sizeof *sz);
                int *sb = malloc(n * sizeof *sb);
                size_t *map = malloc(n * sizeof *map);
                if (!sl || !sa || !sx || !sz || !sb || !map)
                    st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
                for (int t = 0; !st && t < steps; t++) {
                    size_t m = 0;
                    for (size_t i = 0; i < n; i++) {
                        double v = r.vals[i * (size_t)steps + (size_t)t];
                        zs[i * (size_t)steps + (size_t)t] = NAN;
                        bins[i * (size_t)steps + (size_t)t] = 0;
                        if (isnan(v))
                            continue;
                        sl[m] = lon[i];
                        sa[m] = lat[i];
                        sx[m] = v;
                        map[m++] = i;
                    }
                    if (m < 2)
                        continue;
                    sinspace_gistar_result gr;
                    st = sinspace_gistar(ctx, m, sl, sa, sx, band, opts->fdr, NULL, sz,
                                         NULL, sb, &gr);
                    if (st == SINSPACE_INVALID_ARGUMENT) {
                        /* A step where every risk is equal: no hot spot. */
                        sinspace_context_clear(ctx);
                        st = SINSPACE_OK;
                        continue;
                    }
                    for (size_t k = 0; !st && k < m; k++) {
                        zs[map[k] * (size_t)steps + (size_t)t] = sz[k];
                        bins[map[k] * (size_t)steps + (size_t)t] = sb[k];
                    }
                }
                free(sl); free(sa); free(sx); free(sz); free(sb); free(map);
                /* The last step's full statistic for the rows. */
                if (!st) {
                    for (size_t i = 0; i < n; i++)
                        x[i] = r.vals[i * (size_t)steps + (size_t)(steps - 1)];
                    st = sinspace_gistar(ctx, n, lon, lat, x, band, opts->fdr, nb, z,
                                         p, bin, &res.gistar);
                }
            }
        }
    }
    if (!st) {
        if (res.gistar.isolated)
            append_warning(&res, "%lld workplace%s ha%s no neighbour besides %s within "
                           "%.0f m: %s Gi* is %s own standardised risk, so %s never "
                           "binned as a hot or cold spot; widen the band or use "
                           "--band auto", res.gistar.isolated,
                           res.gistar.isolated == 1 ? "" : "s",
                           res.gistar.isolated == 1 ? "s" : "ve",
                           res.gistar.isolated == 1 ? "itself" : "themselves",
                           res.gistar.band_m,
                           res.gistar.isolated == 1 ? "its" : "their",
                           res.gistar.isolated == 1 ? "its" : "their",
                           res.gistar.isolated == 1 ? "it is" : "they are");
        int steps = res.steps;
        int stopped = 0;
        long long *save_ids = NULL;
        int *save_cats = NULL;
        if (opts->emerging && opts->save) {
            save_ids = malloc((n ? n : 1) * sizeof *save_ids);
            save_cats = malloc((n ? n : 1) * sizeof *save_cats);
            if (!save_ids || !save_cats)
                st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        }
        for (size_t i = 0; !st && i < n; i++) {
            sinspace_hotspot_row row;
            memset(&row, 0, sizeof row);
            row.row_id = r.pts[i].row_id;
            row.id = r.pts[i].ext_id;
            row.lon = lon[i];
            row.lat = lat[i];
            row.risk = x[i];
            row.neighbours = nb[i];
            row.z = z[i];
            row.p = p[i];
            row.bin = bin[i];
            row.trend_tau = row.trend_z = row.trend_p = NAN;
            if (opts->emerging) {
                int t0 = r.pts[i].first_step < 0 ? 0 : r.pts[i].first_step;
                size_t len = (size_t)(steps - t0);
                const double *zi = &zs[i * (size_t)steps + (size_t)t0];
                const int *bi = &bins[i * (size_t)steps + (size_t)t0];
                /* isolated steps give NaN z: leave them out of the trend */
                double *zz = malloc(len * sizeof *zz);
                size_t m = 0;
                for (size_t t = 0; zz && t < len; t++)
                    if (!isnan(zi[t]))
                        zz[m++] = zi[t];
                sinspace_mann_kendall mk;
                sinspace_mann_kendall_test(zz, m, &mk);
                free(zz);
                sinspace_emerging_category c = sinspace_emerging_classify(bi, len, &mk);
                res.categories[c]++;
                if (save_ids) {
                    save_ids[i] = r.pts[i].row_id;
                    save_cats[i] = (int)c;
                }
                row.category = sinspace_emerging_category_name(c);
                row.trend_tau = mk.tau;
                row.trend_z = mk.z;
                row.trend_p = mk.p;
                row.steps = (int)len;
                for (size_t t = 0; t < len; t++) {
                    if (bi[t] > 0)
                        row.steps_hot++;
                    else if (bi[t] < 0)
                        row.steps_cold++;
                }
            }
            if (fn && !stopped && fn(user_data, &row)) {
                stopped = 1;
                if (!save_ids)
                    break;
            }
        }
        /* Stored only once every workplace is classified. */
        if (!st && save_ids)
            st = ops->emerging_write(store,
                                     opts->step == SINSPACE_STEP_QUARTER ? "quarter" : "year",
                                     res.gistar.band_m,
                                     opts->region ? sinspace_region_describe(opts->region)
                                                  : NULL,
                                     res.first_step, res.last_step, n, save_ids,
                                     save_cats, NULL);
        free(save_ids);
        free(save_cats);
    }
    free(hist.obs);
    free(lon); free(lat); free(x); free(z); free(p); free(nb); free(bin);
    free(bins); free(zs);
    hrun_free(&r);
    if (!st && result)
        *result = res;
    return st;
}

/* ---- stored emerging runs ------------------------------------------------ */

sinspace_status
sinspace_emerging_latest(sinspace_store *store, sinspace_emerging_run *out, int *found)
{
    if (!store || !out || !found)
        return SINSPACE_INVALID_ARGUMENT;
    return sinspace__store_engine(store)->zones->emerging_latest(store, out, found);
}

sinspace_status
sinspace_emerging_workplaces(sinspace_store *store, unsigned mask, const double *bbox,
                             int (*fn)(void *user, long long row_id, const char *id,
                                       const char *name, int category),
                             void *user)
{
    if (!store || !fn)
        return SINSPACE_INVALID_ARGUMENT;
    return sinspace__store_engine(store)->zones->emerging_workplaces(store, mask, bbox,
                                                                     fn, user);
}
