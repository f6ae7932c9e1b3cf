/* fuzz_ogr.c: the OGR import (GeoJSON, and whatever else OGR recognises
 * in the bytes) through /vsimem/, never the disk: the reader, the
 * workplace validator for point sources and the area reader for polygon
 * sources (names, codes, levels, parents, validity), in a load that is
 * always rolled back, over a store holding the Chiang Mai districts.
 * The first byte picks the kind: auto, workplaces, observations or areas
 * (bits 0-1), and bit 2 a district level for areas; the rest is the
 * source. */
#include "fuzz_load.h"

#include <cpl_vsi.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static sinspace_context *ctx;
static sinspace_store *store;

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
    if (sinspace_store_open(ctx, fuzz_db, SINSPACE_OPEN_READWRITE, &store))
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Every features is written (and rolled back): long inputs only slow the
     * search down, the validator sees nothing new in the thousandth. */
    if (size < 1 || size > 16384)
        return 0;
    static const char path[] = "/vsimem/sinspace-fuzz/source.geojson";
    VSILFILE *f = VSIFileFromMemBuffer(path, (GByte *)(data + 1), size - 1, FALSE);
    if (!f)
        return 0;
    VSIFCloseL(f);
    static const sinspace_import_kind kinds[] = {
        SINSPACE_IMPORT_AUTO, SINSPACE_IMPORT_WORKPLACES,
        SINSPACE_IMPORT_OBSERVATIONS, SINSPACE_IMPORT_AREAS};
    sinspace_import_options o;
    sinspace_import_options_init(&o);
    o.kind = kinds[data[0] & 3];
    if (data[0] & 4)
        o.level = SINSPACE_LEVEL_DISTRICT;
    o.max_errors_logged = 3;
    sinspace_import_result r;
    memset(&r, 0, sizeof r);
    (void)fuzz_load(store, path, 0, &o, &r);
    if (r.rejected > r.rows)
        __builtin_trap();
    VSIUnlink(path);
    sinspace_context_clear(ctx);
    return 0;
}
