/* fuzz_style.c: the SLD reader on any bytes: destroy(load(data)), then
 * matching every rule of an accepted style against a feature. */
#include <sinspace/sinspace.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sinspace_context *ctx;

__attribute__((destructor)) static void
free_context(void)
{
    sinspace_context_destroy(ctx); /* so LeakSanitizer sees no leak */
}

static void
count_rule(void *user, const sinspace_style_rule *rule)
{
    (void)rule;
    (*(int *)user)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx)
        ctx = sinspace_context_create();
    if (!ctx || size > 1 << 20)
        return 0;
    sinspace_style *style = NULL;
    /* allowed_dir is a folder that does not exist: no external graphic can
     * resolve, whatever the input names. */
    if (sinspace_style_load_memory(ctx, (const char *)data, size, "fuzz.sld",
                                   "/nonexistent-sinspace-fuzz", &style) == SINSPACE_OK) {
        static const sinspace_style_attr attrs[] = {
            {"risk_class", "high"}, {"risk", "2.5"}, {"sector", "brothel"},
            {"name", "Fictional KT-0001"}, {"selected", "1"}, {"status", NULL}};
        int n = 0;
        size_t matched = sinspace_style_match(style, attrs, 6, 25000.0, count_rule, &n);
        if ((size_t)n != matched)
            __builtin_trap();
        for (size_t i = 0; i < sinspace_style_rule_count(style); i++)
            (void)sinspace_style_rule_at(style, i);
    }
    sinspace_style_destroy(style);
    sinspace_context_clear(ctx);
    return 0;
}
