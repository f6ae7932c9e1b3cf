/* fuzz_indicators.c: the indicator catalogue (sinspace_import_indicators:
 * the header, 28 rows of position, code, name, domain, weight and
 * description, then the rescoring of every observation) on any CSV, over
 * a store holding 96 fictional scored workplaces.  A catalogue refused
 * leaves the old one whole: after every call the store still has 28
 * indicators with weights above 0. */
#include "fuzz_common.h"

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

static int
count(void *user, const sinspace_indicator_desc *i)
{
    int *n = user;
    if (i->weight > 0.0 && i->position >= 1 && i->position <= 28)
        (*n)++;
    return 0;
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
    fuzz_path(csv_path, sizeof csv_path, "indicators.csv");
    if (sinspace_store_open(ctx, fuzz_db, SINSPACE_OPEN_READWRITE, &store))
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    if (fuzz_write(csv_path, data, size))
        abort();
    (void)sinspace_import_indicators(store, csv_path);
    sinspace_context_clear(ctx);
    int n = 0;
    if (sinspace_store_indicators(store, count, &n) != SINSPACE_OK || n != 28)
        __builtin_trap();
    return 0;
}
