/* zones_bench.c: times sinspace_zones_compute on N random fictional
 * workplaces over northern Thailand (default 1,000,000; fixed seed).
 * Not a test and not run in CI: build with `meson compile -C build
 * bench/zones_bench`, run `build/bench/zones_bench [N] [DIR]`, or
 * `build/bench/zones_bench --db FILE` to time the zones again on a store
 * made earlier (the import of a million rows takes minutes).
 *
 * Half of the places are uniform over 97.5..101.5 E, 17.0..20.5 N; the other
 * half fall in 200 Gaussian clusters (sigma 0.5..3 km) whose places lean to
 * high risk, so the run finds zones as real data would. */
#include <sinspace/sinspace.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng = 0x5eed5eed12345678ULL;

static double
uniform(void)
{
    /* xorshift64*: fixed and portable, unlike rand(). */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double
gauss(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int
fail(sinspace_context *ctx, const char *what)
{
    fprintf(stderr, "zones_bench: %s: %s\n", what, sinspace_context_message(ctx));
    return 1;
}

static int
time_zones(sinspace_store *store, sinspace_context *ctx)
{
    sinspace_zones_options zo;
    sinspace_zones_options_init(&zo);
    sinspace_zones_result r;
    double t0 = now();
    if (sinspace_zones_compute(store, &zo, NULL, NULL, &r))
        return fail(ctx, "zones");
    double t1 = now();
    printf("zones (250 m, 1 km)   %.2f s: %lld workplaces, %lld zones, grid %lld x %lld, "
           "threshold %.3g, max %.3g, mass %.6g of %.6g\n",
           t1 - t0, r.workplaces, r.zones, r.columns, r.rows, r.threshold,
           r.max_density, r.mass, r.weight_sum);
    zo.cell_m = 100;
    if (sinspace_zones_compute(store, &zo, NULL, NULL, &r))
        return fail(ctx, "zones 100 m");
    double t2 = now();
    printf("zones (100 m, 1 km)   %.2f s: %lld zones, grid %lld x %lld\n", t2 - t1,
           r.zones, r.columns, r.rows);
    sinspace_zones_options_init(&zo);
    zo.percentile = 99;
    if (sinspace_zones_compute(store, &zo, NULL, NULL, &r))
        return fail(ctx, "zones p99");
    double t3 = now();
    printf("zones (250 m, p99)    %.2f s: %lld zones, threshold %.3g\n", t3 - t2,
           r.zones, r.threshold);
    return 0;
}

static void
log_stderr(void *user, sinspace_log_level level, const char *msg)
{
    (void)user;
    if (level > SINSPACE_LOG_DEBUG || getenv("SINSPACE_DEBUG"))
        fprintf(stderr, "%s\n", msg);
}

static int
zones_only(const char *db)
{
    sinspace_context *ctx = sinspace_context_create();
    if (ctx)
        sinspace_context_set_logger(ctx, log_stderr, NULL);
    sinspace_store *store = NULL;
    if (!ctx)
        return 1;
    if (sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &store))
        return fail(ctx, db);
    int rc = time_zones(store, ctx);
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--db"))
        return zones_only(argv[2]);
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    static const char *const sectors[] = {
        "karaoke_bar", "massage_parlour", "brothel", "entertainment_venue",
        "construction", "garment_factory", "agriculture", "restaurant"};
    char db[512], csv[512];
    snprintf(db, sizeof db, "%s/zones_bench_%d.db", dir, (int)getpid());
    snprintf(csv, sizeof csv, "%s/zones_bench_%d.csv", dir, (int)getpid());

    double t0 = now();
    FILE *f = fopen(csv, "w");
    if (!f) {
        perror(csv);
        return 1;
    }
    fputs("id,name,sector,lon,lat,risk,status\n", f);
    double clon[200], clat[200], csig[200];
    for (int c = 0; c < 200; c++) {
        clon[c] = 97.8 + uniform() * 3.4;
        clat[c] = 17.2 + uniform() * 3.0;
        csig[c] = (0.5 + uniform() * 2.5) / 111.0;
    }
    for (long i = 0; i < n; i++) {
        double lon, lat, risk;
        if (i % 2) {
            int c = (int)(uniform() * 200);
            lon = clon[c] + gauss() * csig[c];
            lat = clat[c] + gauss() * csig[c];
            risk = 1.8 + uniform() * 1.2;
        } else {
            lon = 97.5 + uniform() * 4.0;
            lat = 17.0 + uniform() * 3.5;
            risk = 1.0 + uniform() * 2.0;
        }
        fprintf(f, "B%07ld,Fictional bench place %ld,%s,%.6f,%.6f,%.2f,active\n", i,
                i, sectors[i % 8], lon, lat, risk);
    }
    fclose(f);
    double t1 = now();

    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *store = NULL;
    if (!ctx)
        return 1;
    sinspace_context_set_logger(ctx, log_stderr, NULL);
    if (sinspace_store_create(ctx, db, &store))
        return fail(ctx, db);
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = SINSPACE_IMPORT_WORKPLACES;
    if (sinspace_import_file(store, csv, &o, NULL))
        return fail(ctx, csv);
    double t2 = now();

    printf("workplaces            %ld\n", n);
    printf("write CSV             %.2f s\n", t1 - t0);
    printf("import                %.2f s\n", t2 - t1);
    int rc = time_zones(store, ctx);
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
    unlink(csv);
    unlink(db);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    return rc;
}
