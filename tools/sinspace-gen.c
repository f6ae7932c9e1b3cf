/* sinspace-gen.c: deterministic, fictional workplaces for the sample
 * database and for benchmarks.
 *
 *   sinspace-gen sample --out DIR [--data DIR]
 *   sinspace-gen bench --n N --out DIR
 *
 * Every workplace, name and address written here is invented; names are
 * composed from neutral words, a sector word and an id code ("Lotus
 * Karaoke CM-00042") so that none can be mistaken for a real business.
 *
 * The output is the same bytes on every machine: the generator has its own
 * PRNG (splitmix64), works in integer micro-degrees and hundredths of a
 * risk point, and the only floating point it does (the benchmark query
 * polygons) uses + - * / alone, compiled with -ffp-contract=off.  The one
 * outside judgement is GEOS's point-in-polygon, which is exact for points
 * not on an edge.  Each workplace draws from its own stream seeded by its
 * index, so the first K workplaces of a benchmark of N are those of N' > N.
 *
 * Output is streamed row by row: memory does not grow with --n. */
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SINSPACE_GEN_DATA_DIR
#define SINSPACE_GEN_DATA_DIR "samples/data"
#endif

#define SEED 0x5115ACE2004ull
#define N_IND 28
#define FIRST_YEAR 2004
#define LAST_YEAR 2008
#define MICRO 1000000L

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
    va_list ap;
    fputs("sinspace-gen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* -------------------------------------------------------------------------
 * PRNG: splitmix64, one stream per workplace.
 */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t
rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static rng
rng_for(uint64_t stream, uint64_t index)
{
    rng r = {SEED ^ (stream * 0xD1B54A32D192ED03ull)};
    r.s ^= index * 0xA24BAED4963EE407ull;
    rng_next(&r);
    return r;
}

/* Uniform in 0..n-1 (n > 0); the tiny modulo bias does not matter here. */
static long
rng_below(rng *r, long n)
{
    return (long)(rng_next(r) % (uint64_t)n);
}

/* Uniform in lo..hi inclusive. */
static long
rng_range(rng *r, long lo, long hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* Percent chance. */
static int
rng_pct(rng *r, int pct)
{
    return rng_below(r, 100) < pct;
}

/* A bell-shaped offset in -3s..3s (sum of three uniforms), sd ~ s. */
static long
rng_bell(rng *r, long s)
{
    return rng_range(r, -s, s) + rng_range(r, -s, s) + rng_range(r, -s, s);
}

/* Index into weights[0..n-1], chosen with probability weight/sum. */
static int
rng_pick(rng *r, const int *weights, int n)
{
    long sum = 0;
    for (int i = 0; i < n; i++)
        sum += weights[i];
    long x = rng_below(r, sum);
    for (int i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/* -------------------------------------------------------------------------
 * Catalogues: sectors, name words, places.
 */

enum sector {
    FISHING, SEAFOOD, KARAOKE, MASSAGE, ENTERTAINMENT, BROTHEL, GARMENT,
    OTHER_MANUF, CONSTRUCTION, AGRICULTURE, DOMESTIC, HOTEL, RESTAURANT,
    N_SECTORS
};

static const struct {
    const char *code, *word, *word_th;
    int base; /* typical risk, hundredths */
} sectors[N_SECTORS] = {
    {"fishing", "Fishing Boat", "เรือประมง", 230},
    {"seafood_processing", "Seafood Shed", "โรงแปรรูปอาหารทะเล", 220},
    {"karaoke_bar", "Karaoke", "คาราโอเกะ", 215},
    {"massage_parlour", "Massage", "ร้านนวด", 205},
    {"entertainment_venue", "Bar", "ร้านบันเทิง", 200},
    {"brothel", "House", "บ้านพัก", 250},
    {"garment_factory", "Garment Workshop", "โรงงานเสื้อผ้า", 190},
    {"other_manufacturing", "Workshop", "โรงงาน", 170},
    {"construction", "Building Site", "ไซต์ก่อสร้าง", 185},
    {"agriculture", "Farm", "ไร่", 175},
    {"domestic_work_agency", "Job Agency", "สำนักงานจัดหางาน", 195},
    {"hotel_guesthouse", "Guesthouse", "เกสต์เฮาส์", 160},
    {"restaurant", "Restaurant", "ร้านอาหาร", 150},
};

static const char *const words[][2] = {
    {"Lotus", "บัว"},     {"River", "ริมน้ำ"},  {"Star", "ดาว"},
    {"Moon", "จันทร์"},   {"Sun", "ตะวัน"},    {"Garden", "สวน"},
    {"Golden", "ทอง"},    {"Green", "เขียว"},   {"Silver", "เงิน"},
    {"Hill", "ดอย"},      {"Rose", "กุหลาบ"},   {"Orchid", "กล้วยไม้"},
    {"Sky", "ฟ้า"},       {"Rain", "ฝน"},      {"Palm", "ปาล์ม"},
    {"Bamboo", "ไผ่"},
};
#define N_WORDS ((int)(sizeof words / sizeof words[0]))

/* Sector mixes (weights by enum sector). */
static const int mix_town[N_SECTORS] = {1, 1, 12, 12, 12, 4, 6, 8, 12, 8, 4, 10, 10};
static const int mix_rural[N_SECTORS] = {1, 0, 1, 1, 1, 0, 1, 6, 20, 60, 2, 3, 4};
static const int mix_port[N_SECTORS] = {30, 35, 2, 2, 4, 0, 0, 0, 20, 0, 0, 5, 0};
static const int mix_nightlife[N_SECTORS] = {0, 0, 25, 25, 30, 0, 0, 0, 5, 0, 0, 15, 0};
static const int mix_market[N_SECTORS] = {10, 30, 10, 10, 10, 0, 0, 0, 20, 0, 0, 10, 0};

typedef struct place {
    const char *name;
    long lon, lat;  /* micro-degrees */
    int weight;
    long spread;    /* micro-degrees, ~1 sd */
    const int *mix;
} place;

/* Town centres of Chiang Mai province (amphoe seats), approximate. */
static const place cm_towns[] = {
    {"Mueang Chiang Mai", 98985300, 18788300, 30, 22000, mix_town},
    {"San Sai", 99041000, 18860000, 8, 15000, mix_town},
    {"Saraphi", 99038000, 18712000, 6, 12000, mix_town},
    {"Hang Dong", 98920000, 18687000, 7, 14000, mix_town},
    {"San Kamphaeng", 99120000, 18745000, 7, 14000, mix_town},
    {"Mae Rim", 98948000, 18915000, 7, 14000, mix_town},
    {"Doi Saket", 99163000, 18873000, 5, 12000, mix_town},
    {"San Pa Tong", 98895000, 18628000, 5, 12000, mix_town},
    {"Mae Taeng", 98947000, 19120000, 4, 12000, mix_town},
    {"Chiang Dao", 98960000, 19366000, 4, 12000, mix_town},
    {"Fang", 99208000, 19919000, 6, 14000, mix_town},
    {"Mae Ai", 99288000, 19943000, 3, 10000, mix_town},
    {"Chom Thong", 98680000, 18419000, 4, 12000, mix_town},
    {"Hot", 98610000, 18193000, 3, 10000, mix_town},
    {"Phrao", 99201000, 19366000, 2, 10000, mix_town},
    {"Chai Prakan", 99140000, 19732000, 2, 10000, mix_town},
    {"Mae Chaem", 98362000, 18498000, 1, 8000, mix_town},
};
#define N_CM_TOWNS ((int)(sizeof cm_towns / sizeof cm_towns[0]))

/* Khlong Toei, Bangkok: the port, the market, the Sukhumvit side, the
 * Phra Khanong side. */
static const place kt_spots[] = {
    {"Khlong Toei", 100566000, 13706000, 40, 4000, mix_port},
    {"Khlong Toei", 100557000, 13720000, 25, 3000, mix_market},
    {"Khlong Toei", 100562000, 13733000, 25, 3000, mix_nightlife},
    {"Khlong Toei", 100590000, 13716000, 10, 4000, mix_market},
};
#define N_KT_SPOTS ((int)(sizeof kt_spots / sizeof kt_spots[0]))

/* Towns of northern Thailand inside the benchmark box. */
static const place bench_towns[] = {
    {"Chiang Mai", 98985000, 18788000, 40, 35000, mix_town},
    {"Lamphun", 99008000, 18579000, 10, 20000, mix_town},
    {"Lampang", 99490000, 18290000, 15, 25000, mix_town},
    {"Mae Hong Son", 97968000, 19302000, 5, 15000, mix_town},
    {"Pai", 98440000, 19359000, 4, 12000, mix_town},
    {"Mae Sariang", 97934000, 18163000, 4, 12000, mix_town},
    {"Fang", 99208000, 19919000, 6, 15000, mix_town},
    {"Mae Ai", 99288000, 19943000, 3, 12000, mix_town},
    {"Chiang Dao", 98960000, 19366000, 3, 12000, mix_town},
    {"Mae Taeng", 98947000, 19120000, 3, 12000, mix_town},
    {"Mae Rim", 98948000, 18915000, 5, 14000, mix_town},
    {"San Kamphaeng", 99120000, 18745000, 5, 14000, mix_town},
    {"Doi Saket", 99163000, 18873000, 3, 12000, mix_town},
    {"Hang Dong", 98920000, 18687000, 5, 14000, mix_town},
    {"San Pa Tong", 98895000, 18628000, 4, 12000, mix_town},
    {"Chom Thong", 98680000, 18419000, 3, 12000, mix_town},
    {"Hot", 98610000, 18193000, 3, 12000, mix_town},
    {"Mae Chaem", 98362000, 18498000, 2, 10000, mix_town},
    {"Pa Sang", 98940000, 18526000, 3, 12000, mix_town},
    {"Ban Hong", 98815000, 18311000, 2, 10000, mix_town},
    {"Li", 98680000, 17800000, 2, 10000, mix_town},
    {"Thoen", 99230000, 17610000, 3, 12000, mix_town},
    {"Ko Kha", 99395000, 18190000, 2, 10000, mix_town},
    {"Chae Hom", 99570000, 18715000, 2, 10000, mix_town},
    {"Phrao", 99201000, 19366000, 2, 10000, mix_town},
    {"Chai Prakan", 99140000, 19732000, 2, 10000, mix_town},
    {"Khun Yuam", 97945000, 18826000, 2, 10000, mix_town},
    {"Pang Mapha", 98130000, 19505000, 1, 8000, mix_town},
    {"Omkoi", 98358000, 17798000, 2, 10000, mix_town},
    {"Sam Ngao", 98990000, 17260000, 2, 10000, mix_town},
};
#define N_BENCH_TOWNS ((int)(sizeof bench_towns / sizeof bench_towns[0]))

#define BENCH_MIN_LON 97300000L
#define BENCH_MAX_LON 99600000L
#define BENCH_MIN_LAT 17200000L
#define BENCH_MAX_LAT 20200000L

/* -------------------------------------------------------------------------
 * Output: CSV, and for benchmarks the same rows as GeoJSON features.
 */

typedef struct out {
    FILE *csv;
    FILE *json;
    const char *csv_path, *json_path;
    long long workplaces, rows, features;
    long long per_sector[N_SECTORS];
} out;

/* Data files are created 0600, as everything sinspace writes. */
static FILE *
create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        die("%s: cannot write: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f)
        die("%s: %s", path, strerror(errno));
    return f;
}

static void
close_file(FILE *f, const char *path)
{
    if (ferror(f) | fclose(f))
        die("%s: write error", path);
}

static char *
path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        die("out of memory");
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void
make_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("%s: cannot create: %s", dir, strerror(errno));
}

/* "98.985300" from 98985300; exact, no floating point. */
static void
fmt_micro(char *buf, size_t size, long v)
{
    const char *sign = v < 0 ? "-" : "";
    long a = v < 0 ? -v : v;
    snprintf(buf, size, "%s%ld.%06ld", sign, a / MICRO, a % MICRO);
}

static void
csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Our strings carry no control characters; only " and \ need escapes. */
static void
json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static const char *const header[] = {
    "id", "name", "name_local", "sector", "lon", "lat", "address", "area",
    "source", "source_note", "status", "first_seen", "observed", "risk"};
#define N_HEAD ((int)(sizeof header / sizeof header[0]))

/* One row of the workplace CSV contract. */
typedef struct row {
    const char *v[N_HEAD];
    long lon, lat;
    int scores[N_IND]; /* 0: not scored */
} row;

static void
out_open(out *o, const char *csv_path, const char *json_path)
{
    memset(o, 0, sizeof *o);
    o->csv_path = csv_path;
    o->json_path = json_path;
    o->csv = create_file(csv_path);
    for (int i = 0; i < N_HEAD; i++)
        fprintf(o->csv, "%s%s", i ? "," : "", header[i]);
    for (int i = 0; i < N_IND; i++)
        fprintf(o->csv, ",i%02d", i + 1);
    fputc('\n', o->csv);
    if (json_path) {
        o->json = create_file(json_path);
        fputs("{\"type\":\"FeatureCollection\",\"name\":\"workplaces\",\"features\":[\n",
              o->json);
    }
}

static void
out_row(out *o, const row *r)
{
    char lon[32], lat[32];
    fmt_micro(lon, sizeof lon, r->lon);
    fmt_micro(lat, sizeof lat, r->lat);
    for (int i = 0; i < N_HEAD; i++) {
        if (i)
            fputc(',', o->csv);
        csv_field(o->csv, i == 4 ? lon : i == 5 ? lat : r->v[i]);
    }
    for (int i = 0; i < N_IND; i++) {
        if (r->scores[i])
            fprintf(o->csv, ",%d", r->scores[i]);
        else
            fputc(',', o->csv);
    }
    fputc('\n', o->csv);
    o->rows++;
    if (!o->json)
        return;
    fprintf(o->json, "%s{\"type\":\"Feature\",\"properties\":{",
            o->features++ ? ",\n" : "");
    int first = 1;
    for (int i = 0; i < N_HEAD; i++) {
        if (i == 4 || i == 5 || !r->v[i])
            continue;
        fprintf(o->json, "%s\"%s\":", first ? "" : ",", header[i]);
        first = 0;
        if (i == 13)
            fputs(r->v[i], o->json); /* risk is a number */
        else
            json_string(o->json, r->v[i]);
    }
    for (int i = 0; i < N_IND; i++)
        if (r->scores[i])
            fprintf(o->json, ",\"i%02d\":%d", i + 1, r->scores[i]);
    fprintf(o->json, "},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%s,%s]}}",
            lon, lat);
}

static void
out_close(out *o)
{
    close_file(o->csv, o->csv_path);
    if (o->json) {
        fputs("\n]}\n", o->json);
        close_file(o->json, o->json_path);
    }
}

/* -------------------------------------------------------------------------
 * One workplace and its yearly observations.
 */

static const char *const primary_notes[] = {
    "Outreach team visit (fictional sample data)",
    "Field visit by a partner team (fictional sample data)",
    "Interview with former workers (fictional sample data)",
};
static const char *const secondary_notes[] = {
    "Partner organisation report (fictional sample data)",
    "Press monitoring (fictional sample data)",
    "Labour inspection summary (fictional sample data)",
    "Hotline referral summary (fictional sample data)",
};

static int
clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Writes workplace `id` of sector s at lon/lat, with one observation a
 * year from its first year to its last; its latent risk drifts by a
 * yearly trend so that some workplaces rise and some fall. */
static void
emit_workplace(out *o, rng *r, const char *id, int s, long lon, long lat,
               const char *locality, int scored_pct, int risk_only_pct,
               int min_years, int max_years)
{
    char name[200], name_th[300], address[200];
    int w = (int)rng_below(r, N_WORDS);
    snprintf(name, sizeof name, "%s %s %s", words[w][0], sectors[s].word, id);
    snprintf(name_th, sizeof name_th, "%s%s %s", sectors[s].word_th, words[w][1], id);
    snprintf(address, sizeof address, "Soi %ld, Test Road %ld, %s (fictional)",
             rng_range(r, 1, 60), rng_range(r, 1, 12), locality);

    /* Years: most were already there in 2004; some close. */
    int nyears = rng_pct(r, 55) ? max_years : (int)rng_range(r, min_years, max_years);
    int last = LAST_YEAR;
    int st = (int)rng_below(r, 100);
    const char *status = st < 85 ? "active" : st < 97 ? "closed" : "unknown";
    if (st >= 85 && st < 97 && nyears < LAST_YEAR - FIRST_YEAR + 1)
        last = LAST_YEAR - (int)rng_range(r, 0, LAST_YEAR - FIRST_YEAR + 1 - nyears);
    int first = last - nyears + 1;

    int level = clamp(sectors[s].base + (int)rng_range(r, -55, 55), 100, 300);
    int trend_kind = (int)rng_below(r, 100);
    int trend = trend_kind < 35 ? (int)rng_range(r, 8, 25)
                : trend_kind < 70 ? -(int)rng_range(r, 8, 25)
                                  : (int)rng_range(r, -3, 3);
    /* Start where the trend ends near the sector's level. */
    level = clamp(level - trend * (nyears - 1) / 2, 100, 300);

    char first_seen[32], observed[32], risk[32];
    snprintf(first_seen, sizeof first_seen, "%d-%02d-%02d", first,
             (int)rng_range(r, 1, 12), (int)rng_range(r, 1, 28));
    for (int y = first; y <= last; y++) {
        row rw;
        memset(&rw, 0, sizeof rw);
        int lv = clamp(level + trend * (y - first) + (int)rng_range(r, -12, 12), 100, 300);
        if (y == first)
            snprintf(observed, sizeof observed, "%s", first_seen);
        else
            snprintf(observed, sizeof observed, "%d-%02d-%02d", y,
                     (int)rng_range(r, 1, 12), (int)rng_range(r, 1, 28));
        int kind = (int)rng_below(r, 100);
        if (kind < risk_only_pct) {
            snprintf(risk, sizeof risk, "%d.%02d", lv / 100, lv % 100);
            rw.v[13] = risk;
        } else {
            int partial = kind >= 100 - (100 - risk_only_pct - scored_pct);
            for (int i = 0; i < N_IND; i++) {
                if (partial && rng_pct(r, 45))
                    continue;
                /* Round (lv + noise) / 100 to 1..3. */
                rw.scores[i] = clamp((lv + (int)rng_range(r, -70, 70) + 50) / 100, 1, 3);
            }
            if (partial) /* at least one score, or the row says nothing */
                rw.scores[rng_below(r, N_IND)] = clamp((lv + 50) / 100, 1, 3);
        }
        int primary = rng_pct(r, 60);
        rw.v[0] = id;
        rw.v[1] = name;
        rw.v[2] = name_th;
        rw.v[3] = sectors[s].code;
        rw.v[6] = address;
        rw.v[8] = primary ? "primary" : "secondary";
        rw.v[9] = primary ? primary_notes[rng_below(r, 3)] : secondary_notes[rng_below(r, 4)];
        rw.v[10] = status;
        rw.v[11] = first_seen;
        rw.v[12] = observed;
        rw.lon = lon;
        rw.lat = lat;
        out_row(o, &rw);
    }
    o->workplaces++;
    o->per_sector[s]++;
}

/* -------------------------------------------------------------------------
 * Polygons (sample mode): OGR reads them, GEOS answers point-in-polygon.
 */

typedef struct polyset {
    int n;
    GEOSGeometry **g;
    const GEOSPreparedGeometry **p;
    double (*env)[4];
} polyset;

static GEOSContextHandle_t geos;

static void
geos_message(const char *fmt, ...)
{
    va_list ap;
    fputs("sinspace-gen: GEOS: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The polygons of path's first layer matching filter (NULL: all). */
static void
polyset_load(polyset *ps, const char *path, const char *filter)
{
    memset(ps, 0, sizeof *ps);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds)
        die("%s: cannot open as a vector source%s%s", path,
            *CPLGetLastErrorMsg() ? ": " : "", CPLGetLastErrorMsg());
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    if (!layer)
        die("%s: no layer", path);
    if (filter && OGR_L_SetAttributeFilter(layer, filter) != OGRERR_NONE)
        die("%s: bad filter %s", path, filter);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g) {
            int size = OGR_G_WkbSize(g);
            unsigned char *wkb = malloc((size_t)size);
            if (!wkb || OGR_G_ExportToWkb(g, wkbNDR, wkb) != OGRERR_NONE)
                die("%s: cannot export a geometry", path);
            GEOSGeometry *gg = GEOSGeomFromWKB_buf_r(geos, wkb, (size_t)size);
            free(wkb);
            if (!gg)
                die("%s: GEOS cannot read a geometry", path);
            ps->g = realloc(ps->g, (size_t)(ps->n + 1) * sizeof *ps->g);
            ps->p = realloc(ps->p, (size_t)(ps->n + 1) * sizeof *ps->p);
            ps->env = realloc(ps->env, (size_t)(ps->n + 1) * sizeof *ps->env);
            if (!ps->g || !ps->p || !ps->env)
                die("out of memory");
            OGREnvelope e;
            OGR_G_GetEnvelope(g, &e);
            ps->g[ps->n] = gg;
            ps->p[ps->n] = GEOSPrepare_r(geos, gg);
            ps->env[ps->n][0] = e.MinX;
            ps->env[ps->n][1] = e.MinY;
            ps->env[ps->n][2] = e.MaxX;
            ps->env[ps->n][3] = e.MaxY;
            ps->n++;
        }
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    if (!ps->n)
        die("%s: no polygon%s%s", path, filter ? " where " : "", filter ? filter : "");
}

static void
polyset_free(polyset *ps)
{
    for (int i = 0; i < ps->n; i++) {
        GEOSPreparedGeom_destroy_r(geos, ps->p[i]);
        GEOSGeom_destroy_r(geos, ps->g[i]);
    }
    free(ps->g);
    free(ps->p);
    free(ps->env);
}

/* 1 if any polygon of ps contains the point (strictly inside). */
static int
polyset_contains(const polyset *ps, long lon, long lat)
{
    double x = (double)lon / MICRO, y = (double)lat / MICRO;
    GEOSGeometry *pt = NULL;
    int in = 0;
    for (int i = 0; i < ps->n && !in; i++) {
        if (x < ps->env[i][0] || x > ps->env[i][2] || y < ps->env[i][1] ||
            y > ps->env[i][3])
            continue;
        if (!pt && !(pt = GEOSGeom_createPointFromXY_r(geos, x, y)))
            die("GEOS cannot make a point");
        char c = GEOSPreparedContains_r(geos, ps->p[i], pt);
        if (c == 2)
            die("GEOS contains failed");
        in = c == 1;
    }
    if (pt)
        GEOSGeom_destroy_r(geos, pt);
    return in;
}

/* -------------------------------------------------------------------------
 * sample
 */

#define CM_WORKPLACES 3000
#define CM_SCATTERED 150
#define KT_WORKPLACES 300

/* Chiang Mai: inside the province, a district and a sub-district (the
 * three layers are simplified separately and leave slivers). */
static int
in_chiang_mai(const polyset *prov, const polyset *amphoe, const polyset *tambon,
              long lon, long lat)
{
    return polyset_contains(prov, lon, lat) && polyset_contains(amphoe, lon, lat) &&
           polyset_contains(tambon, lon, lat);
}

static int
in_khlong_toei(const polyset *prov, const polyset *district, const polyset *water,
               long lon, long lat)
{
    return lon >= 100550000 && lon <= 100600000 && lat >= 13700000 &&
           lat <= 13740000 && polyset_contains(prov, lon, lat) &&
           polyset_contains(district, lon, lat) && !polyset_contains(water, lon, lat);
}

static void
print_summary(const out *o)
{
    fprintf(stderr, "sinspace-gen: %lld workplaces, %lld rows ->  %s%s%s\n",
            o->workplaces, o->rows, o->csv_path, o->json ? ", " : "",
            o->json ? o->json_path : "");
    for (int s = 0; s < N_SECTORS; s++)
        fprintf(stderr, "  %-22s %lld\n", sectors[s].code, o->per_sector[s]);
}

static int
run_sample(const char *dir, const char *data)
{
    char *p;
    polyset cm_prov, cm_amphoe, cm_tambon, bkk_prov, kt, water;
    polyset_load(&cm_prov, p = path_join(data, "chiang_mai_province.geojson"), NULL);
    free(p);
    polyset_load(&cm_amphoe, p = path_join(data, "chiang_mai_amphoe.geojson"), NULL);
    free(p);
    polyset_load(&cm_tambon, p = path_join(data, "chiang_mai_tambon.geojson"), NULL);
    free(p);
    polyset_load(&bkk_prov, p = path_join(data, "bangkok_province.geojson"), NULL);
    free(p);
    polyset_load(&kt, p = path_join(data, "bangkok_districts.geojson"), "dcode = '1033'");
    free(p);
    polyset_load(&water, p = path_join(data, "water_khlong_toei.geojson"), NULL);
    free(p);

    for (int t = 0; t < N_CM_TOWNS; t++)
        if (!in_chiang_mai(&cm_prov, &cm_amphoe, &cm_tambon, cm_towns[t].lon,
                           cm_towns[t].lat))
            die("town centre of %s is outside the Chiang Mai polygons", cm_towns[t].name);

    make_dir(dir);
    char *csv = path_join(dir, "workplaces.csv");
    out o;
    out_open(&o, csv, NULL);
    int tw[N_CM_TOWNS];
    for (int t = 0; t < N_CM_TOWNS; t++)
        tw[t] = cm_towns[t].weight;
    char id[32];
    for (long i = 0; i < CM_WORKPLACES; i++) {
        rng r = rng_for(1, (uint64_t)i);
        snprintf(id, sizeof id, "CM-%05ld", i + 1);
        long lon = 0, lat = 0;
        int s, tries = 0, ok = 0;
        const char *locality;
        if (i < CM_SCATTERED) {
            /* Farms and sites away from towns, anywhere in the province. */
            s = rng_pick(&r, mix_rural, N_SECTORS);
            locality = "Chiang Mai";
            while (!ok && tries++ < 10000) {
                lon = rng_range(&r, 98000000, 99600000);
                lat = rng_range(&r, 17200000, 20200000);
                ok = in_chiang_mai(&cm_prov, &cm_amphoe, &cm_tambon, lon, lat);
            }
        } else {
            const place *t = &cm_towns[rng_pick(&r, tw, N_CM_TOWNS)];
            s = rng_pick(&r, t->mix, N_SECTORS);
            locality = t->name;
            /* A third of the town's workplaces spread to its outskirts. */
            long spread = rng_pct(&r, 33) ? t->spread * 3 : t->spread;
            while (!ok && tries++ < 1000) {
                lon = t->lon + rng_bell(&r, spread);
                lat = t->lat + rng_bell(&r, spread);
                ok = in_chiang_mai(&cm_prov, &cm_amphoe, &cm_tambon, lon, lat);
            }
        }
        if (!ok)
            die("%s: no point inside Chiang Mai after %d tries", id, tries);
        emit_workplace(&o, &r, id, s, lon, lat, locality, 70, 20, 1, 5);
    }
    int sw[N_KT_SPOTS];
    for (int t = 0; t < N_KT_SPOTS; t++)
        sw[t] = kt_spots[t].weight;
    for (long i = 0; i < KT_WORKPLACES; i++) {
        rng r = rng_for(2, (uint64_t)i);
        snprintf(id, sizeof id, "KT-%04ld", i + 1);
        const place *t = &kt_spots[rng_pick(&r, sw, N_KT_SPOTS)];
        int s = rng_pick(&r, t->mix, N_SECTORS);
        long lon = 0, lat = 0;
        int ok = 0, tries = 0;
        while (!ok && tries++ < 1000) {
            lon = t->lon + rng_bell(&r, t->spread);
            lat = t->lat + rng_bell(&r, t->spread);
            ok = in_khlong_toei(&bkk_prov, &kt, &water, lon, lat);
        }
        while (!ok && tries++ < 100000) { /* fall back: anywhere in the district */
            lon = rng_range(&r, 100550000, 100600000);
            lat = rng_range(&r, 13700000, 13740000);
            ok = in_khlong_toei(&bkk_prov, &kt, &water, lon, lat);
        }
        if (!ok)
            die("%s: no point inside Khlong Toei", id);
        emit_workplace(&o, &r, id, s, lon, lat, "Khlong Toei, Bangkok", 70, 20, 1, 5);
    }
    out_close(&o);
    print_summary(&o);
    free(csv);
    polyset_free(&cm_prov);
    polyset_free(&cm_amphoe);
    polyset_free(&cm_tambon);
    polyset_free(&bkk_prov);
    polyset_free(&kt);
    polyset_free(&water);
    return 0;
}

/* -------------------------------------------------------------------------
 * bench
 */

/* sin and cos by their series on [-pi, pi]: + - * / only, so every
 * machine computes the same bits (libm's may differ in the last place). */
static const double PI = 3.14159265358979323846;

static double
det_sin(double x)
{
    while (x > PI)
        x -= 2 * PI;
    while (x < -PI)
        x += 2 * PI;
    double term = x, sum = x, x2 = x * x;
    for (int k = 1; k < 20; k++) {
        term = -term * x2 / ((2 * k) * (2 * k + 1));
        sum += term;
    }
    return sum;
}

static double
det_cos(double x)
{
    return det_sin(x + PI / 2);
}

static void
write_coord(FILE *f, double x, double y)
{
    /* Round to micro-degrees as integers, then print exactly. */
    char a[32], b[32];
    long lx = (long)(x * MICRO + (x < 0 ? -0.5 : 0.5));
    long ly = (long)(y * MICRO + (y < 0 ? -0.5 : 0.5));
    fmt_micro(a, sizeof a, lx);
    fmt_micro(b, sizeof b, ly);
    fprintf(f, "[%s,%s]", a, b);
}

/* A closed ring of n vertices around (cx, cy): radius r * (1 + a sin(k t))
 * plus per-vertex jitter j (fraction of r); counter-clockwise, or clockwise
 * for holes. */
static void
write_ring(FILE *f, rng *rg, double cx, double cy, double r, double a, int k,
           double j, int n, int clockwise)
{
    fputc('[', f);
    double x0 = 0, y0 = 0;
    for (int i = 0; i < n; i++) {
        double t = 2 * PI * (clockwise ? n - i : i) / n;
        double jitter = j > 0 ? j * (double)rng_range(rg, -1000, 1000) / 1000.0 : 0.0;
        double rr = r * (1 + a * det_sin(k * t) + jitter);
        double x = cx + rr * det_cos(t), y = cy + rr * det_sin(t);
        if (i == 0) {
            x0 = x;
            y0 = y;
        }
        write_coord(f, x, y);
        fputc(',', f);
    }
    write_coord(f, x0, y0);
    fputc(']', f);
}

static void
write_query(const char *dir, const char *file, const char *name,
            const char *description, void (*geom)(FILE *))
{
    char *path = path_join(dir, file);
    FILE *f = create_file(path);
    fprintf(f, "{\"type\":\"FeatureCollection\",\"name\":\"%s\",\"features\":[\n"
               "{\"type\":\"Feature\",\"properties\":{\"name\":\"%s\","
               "\"description\":\"%s\"},\"geometry\":",
            name, name, description);
    geom(f);
    fputs("}\n]}\n", f);
    close_file(f, path);
    free(path);
}

/* Around Chiang Mai and Lamphun: 200 vertices, seven lobes, ~0.35 deg^2
 * (about 5% of the benchmark box). */
static void
geom_concave(FILE *f)
{
    rng r = rng_for(10, 0);
    fputs("{\"type\":\"Polygon\",\"coordinates\":[", f);
    write_ring(f, &r, 98.99, 18.70, 0.32, 0.35, 7, 0.02, 200, 0);
    fputs("]}", f);
}

/* Greater Chiang Mai without its centre, and Lampang. */
static void
geom_multi(FILE *f)
{
    rng r = rng_for(11, 0);
    fputs("{\"type\":\"MultiPolygon\",\"coordinates\":[[", f);
    write_ring(f, &r, 98.985, 18.788, 0.25, 0.1, 3, 0.0, 64, 0);
    fputc(',', f);
    write_ring(f, &r, 98.985, 18.788, 0.06, 0.0, 1, 0.0, 32, 1);
    fputs("],[", f);
    write_ring(f, &r, 99.49, 18.29, 0.15, 0.2, 4, 0.0, 48, 0);
    fputs("]]}", f);
}

/* About the size of an amphoe (~600 km2) around San Kamphaeng. */
static void
geom_district(FILE *f)
{
    rng r = rng_for(12, 0);
    fputs("{\"type\":\"Polygon\",\"coordinates\":[", f);
    write_ring(f, &r, 99.12, 18.745, 0.13, 0.15, 3, 0.05, 80, 0);
    fputs("]}", f);
}

static int
run_bench(const char *dir, long long n)
{
    make_dir(dir);
    char csvname[64], jsonname[64];
    snprintf(csvname, sizeof csvname, "workplaces_%lld.csv", n);
    snprintf(jsonname, sizeof jsonname, "workplaces_%lld.geojson", n);
    char *csv = path_join(dir, csvname), *json = path_join(dir, jsonname);
    out o;
    out_open(&o, csv, json);
    int tw[N_BENCH_TOWNS];
    for (int t = 0; t < N_BENCH_TOWNS; t++)
        tw[t] = bench_towns[t].weight;
    char id[32];
    for (long long i = 0; i < n; i++) {
        rng r = rng_for(3, (uint64_t)i);
        snprintf(id, sizeof id, "B-%07lld", i + 1);
        long lon, lat;
        int s;
        const char *locality;
        if (rng_pct(&r, 20)) {
            s = rng_pick(&r, mix_rural, N_SECTORS);
            locality = "Northern Thailand";
            lon = rng_range(&r, BENCH_MIN_LON, BENCH_MAX_LON);
            lat = rng_range(&r, BENCH_MIN_LAT, BENCH_MAX_LAT);
        } else {
            const place *t = &bench_towns[rng_pick(&r, tw, N_BENCH_TOWNS)];
            s = rng_pick(&r, t->mix, N_SECTORS);
            locality = t->name;
            long spread = rng_pct(&r, 33) ? t->spread * 3 : t->spread;
            int tries = 0;
            do {
                lon = t->lon + rng_bell(&r, spread);
                lat = t->lat + rng_bell(&r, spread);
            } while ((lon < BENCH_MIN_LON || lon > BENCH_MAX_LON ||
                      lat < BENCH_MIN_LAT || lat > BENCH_MAX_LAT) && ++tries < 100);
            if (tries >= 100) {
                lon = t->lon;
                lat = t->lat;
            }
        }
        if (i < N_SECTORS) /* every sector, whatever N */
            s = (int)i;
        emit_workplace(&o, &r, id, s, lon, lat, locality, 70, 20, 1, 3);
    }
    out_close(&o);
    print_summary(&o);
    write_query(dir, "query_concave.geojson", "query_concave",
                "concave 200-vertex polygon over about 5% of the area", geom_concave);
    write_query(dir, "query_multipolygon_hole.geojson", "query_multipolygon_hole",
                "two polygons, the first with a hole", geom_multi);
    write_query(dir, "query_district.geojson", "query_district",
                "a polygon the size of a district", geom_district);
    free(csv);
    free(json);
    return 0;
}

/* -------------------------------------------------------------------------
 * main
 */

static const char usage[] =
    "Usage: sinspace-gen sample --out DIR [--data DIR]\n"
    "       sinspace-gen bench --n N --out DIR\n\n"
    "Writes fictional workplaces, the same bytes on every run and machine.\n"
    "  sample  DIR/workplaces.csv: 3000 workplaces around Chiang Mai towns and\n"
    "          300 in Khlong Toei, Bangkok, one observation a year 2004-2008;\n"
    "          --data is the folder of the sample polygons (default\n"
    "          " SINSPACE_GEN_DATA_DIR ")\n"
    "  bench   DIR/workplaces_N.csv and .geojson: N workplaces over northern\n"
    "          Thailand (the same rows in both), and the query polygons\n"
    "          DIR/query_*.geojson\n";

int
main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *mode = argv[1], *dir = NULL, *data = SINSPACE_GEN_DATA_DIR;
    long long n = -1;
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--out"))
            dir = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--data"))
            data = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--n")) {
            char *end;
            errno = 0;
            n = strtoll(argv[++i], &end, 10);
            if (errno || *end || n < 1 || n > 9999999) {
                fprintf(stderr, "sinspace-gen: --n takes 1..9999999\n");
                return 2;
            }
        } else {
            fprintf(stderr, "sinspace-gen: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "sinspace-gen: --out DIR is required\n%s", usage);
        return 2;
    }
    if (!strcmp(mode, "sample")) {
        GDALAllRegister();
        geos = GEOS_init_r();
        GEOSContext_setNoticeHandler_r(geos, geos_message);
        GEOSContext_setErrorHandler_r(geos, geos_message);
        int rc = run_sample(dir, data);
        GEOS_finish_r(geos);
        return rc;
    }
    if (!strcmp(mode, "bench")) {
        if (n < 0) {
            fprintf(stderr, "sinspace-gen: bench needs --n N\n");
            return 2;
        }
        return run_bench(dir, n);
    }
    fprintf(stderr, "sinspace-gen: unknown mode '%s'\n%s", mode, usage);
    return 2;
}
