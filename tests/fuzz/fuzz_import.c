/* fuzz_import.c: import row validation on any CSV: the header's column
 * mapping, every row through the one validator (ids, sectors, lon/lat or
 * WKT, dates, statuses, risk, the 28 indicator scores, observations of
 * known workplaces) and the store's writes, in a load that is always
 * rolled back, over a store holding the Chiang Mai districts and 96
 * fictional workplaces (so observation rows can name WP-000001...).
 * The first byte picks: bit 0 observations instead of workplaces, bit 1
 * coordinates in EPSG:32647 (--srs); the rest is the CSV. */
#include "fuzz_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static sinspace_context *ctx;
static sinspace_store *store;
static char csv_path[400];

__attribute__((destructor)) static void
free_all(void)
{
    sinspace_store_close(store);
    sinspace_context_destroy(ctx); /* so LeakSanitizer sees no leak */
}

static void
quiet(void *user, sinspace_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    (void)msg;
}

/* Before the first input, so its coverage is not counted as the
 * target's. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!(ctx = sinspace_context_create()))
        abort();
    sinspace_context_set_logger(ctx, quiet, NULL);
    fuzz_setup(ctx, 1);
    fuzz_path(csv_path, sizeof csv_path, "rows.csv");
    if (sinspace_store_open(ctx, fuzz_db, SINSPACE_OPEN_READWRITE, &store))
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Every rows is written (and rolled back): long inputs only slow the
     * search down, the validator sees nothing new in the thousandth. */
    if (size < 1 || size > 8192)
        return 0;
    if (fuzz_write(csv_path, data + 1, size - 1))
        abort();
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = data[0] & 1 ? SINSPACE_IMPORT_OBSERVATIONS : SINSPACE_IMPORT_WORKPLACES;
    o.srs = data[0] & 2 ? "EPSG:32647" : NULL;
    o.max_errors_logged = 3;
    sinspace_import_result r;
    memset(&r, 0, sizeof r);
    sinspace_status st = fuzz_load(store, csv_path, 1, &o, &r);
    /* Every row read is loaded or rejected, never both or neither. */
    if (!st && r.rejected == 0 && r.inserted + r.updated > r.rows)
        __builtin_trap();
    if (r.rejected > r.rows)
        __builtin_trap();
    sinspace_context_clear(ctx);
    return 0;
}
