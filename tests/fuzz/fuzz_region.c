/* fuzz_region.c: the region reader (GeoJSON or WKT text, as `query
 * --within` and the web API take it) on any bytes: destroy(parse(data)),
 * then the operations a query runs on a region it accepted. */
#include <sinspace/sinspace.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sinspace_context *ctx;

__attribute__((destructor)) static void
free_context(void)
{
    sinspace_context_destroy(ctx); /* so LeakSanitizer sees no leak */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx)
        ctx = sinspace_context_create(); /* one per process, like the CLI */
    if (!ctx || size > 1 << 20)
        return 0;
    sinspace_region *region = NULL;
    /* Half the inputs ask for repair, as --make-valid does. */
    int make_valid = size > 0 && (data[0] & 1);
    if (sinspace_region_from_text(ctx, (const char *)data, size, NULL, make_valid,
                                  &region) == SINSPACE_OK) {
        double bbox[4];
        const unsigned char *wkb;
        size_t n;
        if (sinspace_region_bounds(region, bbox) != SINSPACE_OK ||
            sinspace_region_wkb(region, &wkb, &n) != SINSPACE_OK || n == 0)
            __builtin_trap(); /* an accepted region must answer both */
        (void)sinspace_region_describe(region);
        (void)sinspace_region_buffer(region, 100.0);
    }
    sinspace_region_destroy(region);
    sinspace_context_clear(ctx);
    return 0;
}
