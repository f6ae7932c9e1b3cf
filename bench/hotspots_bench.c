/* hotspots_bench.c: Gi* with a 500 m geodesic band on N fictional points
 * around Chiang Mai (uniform, the box grown with N so the density stays
 * about 110 workplaces per km2, ~85 neighbours each), and emerging hot spots
 * over 5 steps (Gi* per step, Mann-Kendall and the category per point).
 * Library calls on arrays: the store read is not timed.  With --csv FILE it
 * also writes the points for bench/hotspots_spdep.R.
 *
 *     hotspots_bench N [--emerging] [--csv FILE]
 */
#include <sinspace/sinspace.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long state = 12345;

static double
unif(void)
{
    unsigned long long z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    size_t n = (size_t)strtoull(argv[1], NULL, 10);
    int emerging = 0;
    const char *csv = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--emerging"))
            emerging = 1;
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
    }
    double side_km = 30.0 * sqrt((double)n / 100000.0);
    double dlat = side_km / 110.6, dlon = side_km / (111.32 * cos(18.79 * M_PI / 180));
    double *lon = malloc(n * sizeof *lon), *lat = malloc(n * sizeof *lat);
    double *x = malloc(n * sizeof *x), *z = malloc(n * sizeof *z);
    int *bin = malloc(n * sizeof *bin);
    long long *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        lon[i] = 98.98 - dlon / 2 + dlon * unif();
        lat[i] = 18.79 - dlat / 2 + dlat * unif();
        x[i] = 1 + 2 * unif();
    }
    if (csv) {
        FILE *f = fopen(csv, "w");
        fprintf(f, "lon,lat,risk\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.7f,%.7f,%.6f\n", lon[i], lat[i], x[i]);
        fclose(f);
    }
    sinspace_context *ctx = sinspace_context_create();
    sinspace_gistar_result r;
    double t0 = now();
    if (!emerging) {
        if (sinspace_gistar(ctx, n, lon, lat, x, 500.0, 1, w, z, NULL, bin, &r)) {
            fprintf(stderr, "%s\n", sinspace_context_message(ctx));
            return 1;
        }
        double t = now() - t0;
        double mean_w = 0;
        for (size_t i = 0; i < n; i++)
            mean_w += (double)w[i];
        printf("gistar n=%zu band=500m: %.3f s; mean neighbours %.1f; hot 95%%: %lld; "
               "z[0]=%.12g\n", n, t, mean_w / (double)n, r.hot[2] + r.hot[3], z[0]);
    } else {
        enum { STEPS = 5 };
        double *zs = malloc(n * STEPS * sizeof *zs);
        int *bs = malloc(n * STEPS * sizeof *bs);
        for (int s = 0; s < STEPS; s++) {
            for (size_t i = 0; i < n; i++)
                x[i] = 1 + 2 * unif();
            if (sinspace_gistar(ctx, n, lon, lat, x, 500.0, 1, NULL, z, NULL, bin, &r))
                return 1;
            for (size_t i = 0; i < n; i++) {
                zs[i * STEPS + (size_t)s] = z[i];
                bs[i * STEPS + (size_t)s] = bin[i];
            }
        }
        long long cats[SINSPACE_EMERGING_COUNT] = {0};
        for (size_t i = 0; i < n; i++) {
            sinspace_mann_kendall mk;
            sinspace_mann_kendall_test(&zs[i * STEPS], STEPS, &mk);
            cats[sinspace_emerging_classify(&bs[i * STEPS], STEPS, &mk)]++;
        }
        printf("emerging n=%zu steps=5 band=500m: %.3f s; no pattern %lld\n", n,
               now() - t0, cats[0]);
        free(zs);
        free(bs);
    }
    sinspace_context_destroy(ctx);
    free(lon); free(lat); free(x); free(z); free(bin); free(w);
    return 0;
}
