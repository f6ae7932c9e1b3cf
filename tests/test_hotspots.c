/* test_hotspots.c: Getis-Ord Gi*, its FDR bins, the Mann-Kendall test and
 * emerging hot spots, against independent references.
 *
 * - the CSV files of tests/data/hotspots/: fictional points around Chiang Mai city and
 *   the values R wrote for them (make_reference.R: spdep::localG with
 *   include.self on dnearneigh(longlat = TRUE) neighbours, p.adjust(BH)
 *   bins, cor.test(method = "kendall")).  The neighbour sets are checked
 *   first (against R's and against a brute-force geod_inverse over every
 *   pair), then z to 1e-9.
 * - synthetic scenarios with known answers: uniform random risk gives no
 *   95 % hot spot after FDR in at least 95 % of seeds; a planted cluster is
 *   found; through a store and its observation history, clusters high
 *   throughout, high only in the last year and rising every year are
 *   "persistent", "new" and "intensifying" hot spots. */
#include <criterion/criterion.h>

#include <sinspace/sinspace.h>

#include "geo/hotspots_int.h"

#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA "tests/data/hotspots/"

static char *
data_path(const char *name)
{
    static char buf[4096];
    const char *root = getenv("SINSPACE_SOURCE_ROOT");
    snprintf(buf, sizeof buf, "%s/%s%s", root ? root : ".", DATA, name);
    return buf;
}

/* ---- the reference points ----------------------------------------------- */

#define MAXP 1024

typedef struct refset {
    size_t n;
    char id[MAXP][16];
    double lon[MAXP], lat[MAXP], risk[MAXP];
    char *nb[MAXP];          /* R's neighbour ids, space-separated */
    long long card[MAXP];
    double z[MAXP], p[MAXP];
    int bin[MAXP], bin_nofdr[MAXP];
} refset;

static refset ref;

static void
load_ref(void)
{
    char line[65536];
    FILE *f = fopen(data_path("points.csv"), "r");
    cr_assert_not_null(f, "%s", data_path("points.csv"));
    cr_assert_not_null(fgets(line, sizeof line, f));
    ref.n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t i = ref.n++;
        cr_assert_lt(i, MAXP);
        cr_assert_eq(sscanf(line, "%15[^,],%lf,%lf,%lf", ref.id[i], &ref.lon[i],
                            &ref.lat[i], &ref.risk[i]), 4, "%s", line);
    }
    fclose(f);
    f = fopen(data_path("neighbours.csv"), "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    for (size_t i = 0; i < ref.n; i++) {
        cr_assert_not_null(fgets(line, sizeof line, f));
        line[strcspn(line, "\r\n")] = '\0';
        char *comma = strchr(line, ',');
        cr_assert_not_null(comma);
        *comma = '\0';
        cr_assert_str_eq(line, ref.id[i]);
        ref.nb[i] = strdup(comma + 1);
    }
    fclose(f);
    f = fopen(data_path("gistar_ref.csv"), "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    for (size_t i = 0; i < ref.n; i++) {
        char id[16];
        cr_assert_not_null(fgets(line, sizeof line, f));
        cr_assert_eq(sscanf(line, "%15[^,],%lld,%lf,%lf,%d,%d", id, &ref.card[i],
                            &ref.z[i], &ref.p[i], &ref.bin[i], &ref.bin_nofdr[i]), 6,
                     "%s", line);
        cr_assert_str_eq(id, ref.id[i]);
    }
    fclose(f);
}

static void
free_ref(void)
{
    for (size_t i = 0; i < ref.n; i++)
        free(ref.nb[i]);
}

TestSuite(gistar, .init = load_ref, .fini = free_ref);

typedef struct nbsets {
    size_t n;
    char **ids; /* per point: a sorted list as text */
    size_t *count;
    size_t **list;
} nbsets;

static int
on_pair(void *user, size_t i, size_t j)
{
    nbsets *s = user;
    s->list[i][s->count[i]++] = j;
    s->list[j][s->count[j]++] = i;
    return 0;
}

static int
cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The neighbour list as R writes it: ids in index order. */
static void
list_text(const size_t *l, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", k ? " " : "", ref.id[l[k]]);
    }
}

Test(gistar, neighbour_sets_equal_spdep_and_brute_force_geodesic)
{
    sinspace_context *ctx = sinspace_context_create();
    nbsets s = {ref.n, NULL, calloc(ref.n, sizeof(size_t)), calloc(ref.n, sizeof(size_t *))};
    for (size_t i = 0; i < ref.n; i++)
        s.list[i] = calloc(ref.n, sizeof(size_t));
    cr_assert_eq(sinspace__hotspot_pairs(ctx, ref.n, ref.lon, ref.lat, 500.0, on_pair, &s),
                 SINSPACE_OK);
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    char mine[16384];
    size_t pairs = 0;
    for (size_t i = 0; i < ref.n; i++) {
        qsort(s.list[i], s.count[i], sizeof(size_t), cmp_size);
        list_text(s.list[i], s.count[i], mine, sizeof mine);
        cr_expect_str_eq(mine, ref.nb[i], "%s: sinspace's neighbours differ from spdep's",
                         ref.id[i]);
        /* brute force: every other point by geod_inverse */
        size_t k = 0;
        for (size_t j = 0; j < ref.n; j++) {
            if (j == i)
                continue;
            double d;
            geod_inverse(&g, ref.lat[i], ref.lon[i], ref.lat[j], ref.lon[j], &d, NULL, NULL);
            if (d <= 500.0) {
                cr_assert_lt(k, s.count[i], "%s: missed %s at %.3f m", ref.id[i],
                             ref.id[j], d);
                cr_expect_eq(s.list[i][k], j, "%s: neighbour %zu", ref.id[i], k);
                k++;
            }
        }
        cr_expect_eq(k, s.count[i], "%s: %zu neighbours, brute force %zu", ref.id[i],
                     s.count[i], k);
        pairs += s.count[i];
        free(s.list[i]);
    }
    cr_assert_gt(pairs, 1000, "the fixture has too few pairs to test anything");
    free(s.list);
    free(s.count);
    sinspace_context_destroy(ctx);
}

Test(gistar, z_equals_spdep_localG_to_1e9_and_bins_equal_BH)
{
    sinspace_context *ctx = sinspace_context_create();
    double z[MAXP], p[MAXP];
    long long w[MAXP];
    int bin[MAXP];
    sinspace_gistar_result r;
    cr_assert_eq(sinspace_gistar(ctx, ref.n, ref.lon, ref.lat, ref.risk, 500.0, 1, w, z,
                                 p, bin, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    double worst = 0;
    int hot95 = 0;
    for (size_t i = 0; i < ref.n; i++) {
        cr_expect_eq(w[i], ref.card[i], "%s: W", ref.id[i]);
        cr_expect(fabs(z[i] - ref.z[i]) <= 1e-9, "%s: z %.15g, spdep %.15g", ref.id[i],
                  z[i], ref.z[i]);
        cr_expect(fabs(p[i] - ref.p[i]) <= 1e-9, "%s: p %.15g, R %.15g", ref.id[i], p[i],
                  ref.p[i]);
        cr_expect_eq(bin[i], ref.bin[i], "%s: bin %d, BH reference %d (p %.6g)", ref.id[i],
                     bin[i], ref.bin[i], p[i]);
        worst = fmax(worst, fabs(z[i] - ref.z[i]));
        hot95 += bin[i] >= 2;
    }
    cr_log_info("gistar: %zu points, max |z - spdep| = %.3g, %d hot at 95%% FDR", ref.n,
                worst, hot95);
    cr_expect_eq(r.isolated, 2);
    cr_expect_gt(hot95, 20);
    /* without FDR */
    cr_assert_eq(sinspace_gistar(ctx, ref.n, ref.lon, ref.lat, ref.risk, 500.0, 0, NULL,
                                 NULL, NULL, bin, NULL), SINSPACE_OK);
    for (size_t i = 0; i < ref.n; i++)
        cr_expect_eq(bin[i], ref.bin_nofdr[i], "%s: bin without FDR", ref.id[i]);
    sinspace_context_destroy(ctx);
}

/* The planted cluster (within 250 m of 98.9870, 18.7870) is flagged at
 * 95 % after FDR; the background far from it is not. */
Test(gistar, planted_cluster_found_background_not)
{
    sinspace_context *ctx = sinspace_context_create();
    int bin[MAXP];
    cr_assert_eq(sinspace_gistar(ctx, ref.n, ref.lon, ref.lat, ref.risk, 500.0, 1, NULL,
                                 NULL, NULL, bin, NULL), SINSPACE_OK);
    int in = 0, in_hot = 0, far = 0, far_hot = 0;
    for (size_t i = 0; i < ref.n; i++) {
        double d = sinspace__hotspot_distance(ref.lon[i], ref.lat[i], 98.9870, 18.7870);
        if (d <= 250) {
            in++;
            in_hot += bin[i] >= 2;
        } else if (d > 1000) {
            far++;
            far_hot += bin[i] >= 2;
        }
    }
    cr_log_info("planted: %d/%d cluster points hot at 95%% FDR; %d/%d far points", in_hot,
                in, far_hot, far);
    cr_expect_geq(in, 40);
    cr_expect_geq(in_hot * 10, in * 9, "only %d of %d cluster points found", in_hot, in);
    cr_expect_leq(far_hot * 100, far, "%d of %d far points called hot", far_hot, far);
    sinspace_context_destroy(ctx);
}

/* ---- Mann-Kendall against cor.test -------------------------------------- */

Test(mann_kendall, equals_cor_test_kendall_to_1e9)
{
    FILE *f = fopen(data_path("mk_ref.csv"), "r");
    cr_assert_not_null(f);
    char line[4096];
    cr_assert_not_null(fgets(line, sizeof line, f));
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        int series;
        char values[2048];
        double tau, z, p;
        cr_assert_eq(sscanf(line, "%d,%2047[^,],%lf,%lf,%lf", &series, values, &tau, &z,
                            &p), 5, "%s", line);
        double y[64];
        size_t n = 0;
        for (char *t = strtok(values, " "); t; t = strtok(NULL, " "))
            y[n++] = strtod(t, NULL);
        sinspace_mann_kendall mk;
        sinspace_mann_kendall_test(y, n, &mk);
        cr_expect(fabs(mk.tau - tau) <= 1e-9, "series %d: tau %.15g, R %.15g", series,
                  mk.tau, tau);
        cr_expect(fabs(mk.z - z) <= 1e-9, "series %d: z %.15g, R %.15g", series, mk.z, z);
        cr_expect(fabs(mk.p - p) <= 1e-9, "series %d: p %.15g, R %.15g", series, mk.p, p);
        rows++;
    }
    fclose(f);
    cr_expect_geq(rows, 20);
}

/* ---- categories ---------------------------------------------------------- */

Test(emerging, categories_as_arcgis_defines_them)
{
    sinspace_mann_kendall flat = {0, 0, 0, 1}, up = {10, 1, 2.45, 0.014},
                          down = {-10, -1, -2.45, 0.014};
    struct { int bins[10]; size_t n; const sinspace_mann_kendall *mk; const char *want; } c[] = {
        {{0, 0, 0, 0, 2}, 5, &flat, "new hot spot"},
        {{0, -1, 0, 0, 2}, 5, &flat, "new hot spot"},
        {{0, 0, 0, 1, 2}, 5, &flat, "consecutive hot spot"},
        {{2, 2, 3, 3, 3}, 5, &up, "intensifying hot spot"},
        {{2, 2, 3, 3, 3}, 5, &flat, "persistent hot spot"},
        {{3, 3, 3, 2, 1}, 5, &down, "diminishing hot spot"},
        {{2, 0, 2, 0, 2}, 5, &flat, "sporadic hot spot"},
        {{2, 0, -2, 0, 2}, 5, &flat, "oscillating hot spot"},
        {{2, 2, 2, 2, 2, 2, 2, 2, 2, 0}, 10, &flat, "historical hot spot"},
        {{0, 0, 0, 0, -2}, 5, &flat, "new cold spot"},
        {{-2, -2, -3, -3, -3}, 5, &down, "intensifying cold spot"},
        {{-1, -1, -1, -1, -1}, 5, &flat, "persistent cold spot"},
        {{0, 0, 0, 0, 0}, 5, &flat, "no pattern detected"},
        {{0, 2, 0, 0, 0}, 5, &flat, "no pattern detected"},
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        const char *got = sinspace_emerging_category_name(
            sinspace_emerging_classify(c[k].bins, c[k].n, c[k].mk));
        cr_expect_str_eq(got, c[k].want, "case %zu", k);
    }
    cr_expect_eq(sinspace_emerging_category_parse("new"), SINSPACE_EMERGING_NEW_HOT);
    cr_expect_eq(sinspace_emerging_category_parse("Intensifying hot spot"),
                 SINSPACE_EMERGING_INTENSIFYING_HOT);
    cr_expect_eq(sinspace_emerging_category_parse("new-cold"), SINSPACE_EMERGING_NEW_COLD);
    cr_expect_eq(sinspace_emerging_category_parse("bogus"), -1);
}

/* ---- synthetic scenarios ------------------------------------------------- */

static unsigned long long rng_state;

static double
unif(void)
{
    /* splitmix64 */
    unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

Test(gistar, uniform_random_risk_no_hot_spot_after_fdr_in_95_percent_of_seeds, .timeout = 300)
{
    sinspace_context *ctx = sinspace_context_create();
    enum { SEEDS = 200, N = 400 };
    double lon[N], lat[N], x[N];
    int bin[N];
    int clean = 0, clean_nofdr = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        rng_state = 1000 + (unsigned long long)seed;
        for (int i = 0; i < N; i++) {
            lon[i] = 98.955 + 0.05 * unif();
            lat[i] = 18.770 + 0.045 * unif();
            x[i] = 1 + 2 * unif();
        }
        cr_assert_eq(sinspace_gistar(ctx, N, lon, lat, x, 500.0, 1, NULL, NULL, NULL, bin,
                                     NULL), SINSPACE_OK);
        int any = 0;
        for (int i = 0; i < N; i++)
            any |= bin[i] >= 2;
        clean += !any;
        cr_assert_eq(sinspace_gistar(ctx, N, lon, lat, x, 500.0, 0, NULL, NULL, NULL, bin,
                                     NULL), SINSPACE_OK);
        any = 0;
        for (int i = 0; i < N; i++)
            any |= bin[i] >= 2;
        clean_nofdr += !any;
    }
    cr_log_info("uniform risk: no 95%% hot spot after FDR in %d of %d seeds (without FDR: "
                "%d)", clean, SEEDS, clean_nofdr);
    cr_expect_geq(clean * 100, SEEDS * 95, "only %d of %d seeds clean", clean, SEEDS);
    /* and the correction is what makes it so */
    cr_expect_lt(clean_nofdr * 100, SEEDS * 50);
    sinspace_context_destroy(ctx);
}

Test(gistar, pitfalls)
{
    sinspace_context *ctx = sinspace_context_create();
    double band;
    cr_expect_eq(sinspace_hotspots_parse_band(ctx, "0.005deg", &band),
                 SINSPACE_INVALID_ARGUMENT);
    cr_expect(strstr(sinspace_context_message(ctx), "degrees") != NULL, "%s",
              sinspace_context_message(ctx));
    cr_expect_eq(sinspace_hotspots_parse_band(ctx, "0.005", &band),
                 SINSPACE_INVALID_ARGUMENT);
    cr_expect_eq(sinspace_hotspots_parse_band(ctx, "500m", &band), SINSPACE_OK);
    cr_expect_eq(band, 500.0);
    cr_expect_eq(sinspace_hotspots_parse_band(ctx, "0.5km", &band), SINSPACE_OK);
    cr_expect_eq(band, 500.0);
    double lon[3] = {98.98, 98.981, 98.982}, lat[3] = {18.79, 18.79, 18.79},
           same[3] = {2, 2, 2};
    cr_expect_eq(sinspace_gistar(ctx, 3, lon, lat, same, 500, 1, NULL, NULL, NULL, NULL,
                                 NULL), SINSPACE_INVALID_ARGUMENT);
    /* auto band: the largest nearest-neighbour distance, by brute force */
    size_t far;
    cr_assert_eq(sinspace_gistar_auto_band(ctx, ref.n, ref.lon, ref.lat, &band, &far, NULL),
                 SINSPACE_OK);
    double worst = 0;
    for (size_t i = 0; i < ref.n; i++) {
        double best = INFINITY;
        for (size_t j = 0; j < ref.n; j++)
            if (j != i)
                best = fmin(best, sinspace__hotspot_distance(ref.lon[i], ref.lat[i],
                                                             ref.lon[j], ref.lat[j]));
        worst = fmax(worst, best);
    }
    cr_expect_eq(band, ceil(worst), "auto band %.0f, brute force %.3f", band, worst);
    sinspace_context_destroy(ctx);
}

/* ---- emerging hot spots through a store --------------------------------- */

#define YEARS 5
#define N_BG 1200
#define N_CL 25

typedef struct scen {
    double lon[N_BG + 3 * N_CL], lat[N_BG + 3 * N_CL];
    int kind[N_BG + 3 * N_CL]; /* 0 background, 1 persistent, 2 new, 3 intensifying */
    double base[N_BG + 3 * N_CL]; /* a workplace's usual risk */
    int n;
} scen;

static void
cluster(scen *s, int kind, double clon, double clat)
{
    for (int i = 0; i < N_CL; i++) {
        double r = 200 * sqrt(unif()), a = 2 * M_PI * unif();
        s->lon[s->n] = clon + r * cos(a) / 105400.0;
        s->lat[s->n] = clat + r * sin(a) / 110600.0;
        s->kind[s->n++] = kind;
    }
}

typedef struct cats {
    int total[4], match[4];
    const char *want[4];
    /* the row ids compute called "new hot spot", in row-id order, and the
     * kind of each (its own id's first digit) */
    long long new_ids[N_BG + 3 * N_CL];
    int n_new;
} cats;

static int
on_row(void *user, const sinspace_hotspot_row *r)
{
    cats *c = user;
    int k = r->id[0] - '0';
    if (!strcmp(r->category, "new hot spot"))
        c->new_ids[c->n_new++] = r->row_id;
    static const double centre[3][2] = {{98.965, 18.775}, {98.995, 18.805},
                                        {98.995, 18.777}};
    if (k == 0) /* the background near a cluster is rightly hot with it */
        for (int m = 0; m < 3; m++)
            if (sinspace__hotspot_distance(r->lon, r->lat, centre[m][0],
                                           centre[m][1]) < 800)
                return 0;
    c->total[k]++;
    c->match[k] += !strcmp(r->category, c->want[k]);
    if (strcmp(r->category, c->want[k]) && c->total[k] <= 3)
        cr_log_info("%s: %s (hot in %d of %d steps, trend tau %.2f p %.3g)", r->id,
                    r->category, r->steps_hot, r->steps, r->trend_tau, r->trend_p);
    return 0;
}

typedef struct idacc {
    long long *v;
    size_t n;
} idacc;

static int
collect(void *u, const sinspace_workplace_row *w)
{
    idacc *acc = u;
    acc->v[acc->n++] = w->id;
    return 0;
}

Test(emerging, persistent_new_and_intensifying_clusters_through_a_store, .timeout = 300)
{
    char dir[] = "/tmp/sinspace-hotspots-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char db[256], csv[256];
    snprintf(db, sizeof db, "%s/h.db", dir);
    sinspace_context *ctx = sinspace_context_create();
    sinspace_store *store;
    cr_assert_eq(sinspace_store_create(ctx, db, &store), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    scen s = {.n = 0};
    rng_state = 42;
    for (int i = 0; i < N_BG; i++) {
        s.lon[s.n] = 98.955 + 0.05 * unif();
        s.lat[s.n] = 18.770 + 0.045 * unif();
        s.kind[s.n++] = 0;
    }
    for (int i = 0; i < N_BG + 3 * N_CL; i++)
        s.base[i] = 1.05 + 1.1 * unif();
    cluster(&s, 1, 98.965, 18.775);
    cluster(&s, 2, 98.995, 18.805);
    cluster(&s, 3, 98.995, 18.777);
    static const double persistent[YEARS] = {2.9, 2.8, 2.95, 2.82, 2.9};
    /* z is relative to each year's mean and spread, which the new cluster
     * raises in the last year: the rise must outrun that */
    static const double rising[YEARS] = {2.15, 2.3, 2.45, 2.6, 2.98};
    for (int y = 0; y < YEARS; y++) {
        snprintf(csv, sizeof csv, "%s/y%d.csv", dir, y);
        FILE *f = fopen(csv, "w");
        cr_assert_not_null(f);
        fputs("id,name,sector,lon,lat,observed,risk,status\n", f);
        for (int i = 0; i < s.n; i++) {
            /* the background: its usual risk, give or take 0.05 a year */
            double v = s.base[i] + 0.1 * (unif() - 0.5);
            if (s.kind[i] == 1)
                v = persistent[y] - 0.1 * unif();
            else if (s.kind[i] == 2 && y == YEARS - 1)
                v = 2.9 + 0.1 * unif();
            else if (s.kind[i] == 3)
                v = rising[y] + 0.02 * unif();
            /* the id's first digit is the kind, for on_row */
            fprintf(f, "%d-%04d,Fictional %d,restaurant,%.7f,%.7f,%d-06-15,%.3f,active\n",
                    s.kind[i], i, i, s.lon[i], s.lat[i], 2021 + y, v);
        }
        fclose(f);
        sinspace_import_options o;
        sinspace_import_options_init(&o);
        o.kind = SINSPACE_IMPORT_WORKPLACES;
        cr_assert_eq(sinspace_import_file(store, csv, &o, NULL), SINSPACE_OK, "%s",
                     sinspace_context_message(ctx));
    }
    sinspace_hotspots_options ho;
    sinspace_hotspots_options_init(&ho);
    ho.band_m = 500;
    ho.emerging = 1;
    ho.step = SINSPACE_STEP_YEAR;
    ho.save = 1;
    static cats c = {.want = {"no pattern detected", "persistent hot spot", "new hot spot",
                       "intensifying hot spot"}};
    sinspace_hotspots_result r;
    cr_assert_eq(sinspace_hotspots_compute(store, &ho, on_row, &c, &r), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_expect_eq(r.steps, YEARS);
    cr_expect_str_eq(r.first_step, "2021");
    cr_expect_str_eq(r.last_step, "2025");
    cr_log_info("emerging: background %d/%d no pattern, persistent %d/%d, new %d/%d, "
                "intensifying %d/%d", c.match[0], c.total[0], c.match[1], c.total[1],
                c.match[2], c.total[2], c.match[3], c.total[3]);
    for (int k = 1; k <= 3; k++) {
        cr_expect_eq(c.total[k], N_CL);
        cr_expect_geq(c.match[k] * 10, c.total[k] * 8, "%s: only %d of %d", c.want[k],
                      c.match[k], c.total[k]);
    }
    cr_expect_geq(c.match[0] * 10, c.total[0] * 8, "background: %d of %d no pattern",
                  c.match[0], c.total[0]);

    /* The stored run: the filter hotspot=new gives exactly the workplaces
     * compute called "new hot spot" (query --hotspot new). */
    sinspace_emerging_run er;
    int found = 0;
    cr_assert_eq(sinspace_emerging_latest(store, &er, &found), SINSPACE_OK);
    cr_assert_eq(found, 1);
    cr_expect_str_eq(er.step, "year");
    cr_expect_str_eq(er.first_step, "2021");
    cr_expect_str_eq(er.last_step, "2025");
    cr_expect_eq(er.workplaces, N_BG + 3 * N_CL);
    sinspace_filter f;
    sinspace_filter_init(&f);
    cr_assert_eq(sinspace_filter_set(ctx, &f, "hotspot", "new"), SINSPACE_OK);
    cr_assert_gt(c.n_new, N_CL * 8 / 10);
    static long long got[N_BG + 3 * N_CL];
    idacc acc = {got, 0};
    cr_assert_eq(sinspace_query_workplaces(store, NULL, &f, collect, &acc, NULL),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    size_t n_got = acc.n;
    cr_expect_eq(n_got, (size_t)c.n_new, "hotspot=new: %zu workplaces, compute said %d",
                 n_got, c.n_new);
    for (size_t i = 0; i < n_got && i < (size_t)c.n_new; i++)
        cr_expect_eq(got[i], c.new_ids[i], "hotspot=new row %zu", i);
    sinspace_filter_clear(&f);
    /* An unknown word is refused, naming the option and the valid words. */
    cr_expect_eq(sinspace_filter_set(ctx, &f, "hotspot", "newish"),
                 SINSPACE_INVALID_ARGUMENT);
    cr_expect(strstr(sinspace_context_message(ctx), "hotspot takes") &&
                  strstr(sinspace_context_message(ctx), "intensifying"),
              "%s", sinspace_context_message(ctx));
    sinspace_filter_clear(&f);
    sinspace_store_close(store);
    sinspace_context_destroy(ctx);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
