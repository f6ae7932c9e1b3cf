/* fuzz_style.c: the SLD reader on any bytes: destroy(load(data)), then
 * matching every rule of an accepted style against a feature. */
#include <sinspace/sinspace.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sinspace_context *ctx;
/* An empty folder of its own: external graphics must be inside it, and
 * none is.  (It must exist: a folder that does not is refused before the
 * XML is read, and a target given one never reaches the parser.) */
static char empty_dir[] = "/tmp/sinspace-fuzz-style-XXXXXX";

__attribute__((destructor)) static void
free_context(void)
{
    sinspace_context_destroy(ctx); /* so LeakSanitizer sees no leak */
    if (empty_dir[sizeof empty_dir - 2] != 'X')
        rmdir(empty_dir);
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
    if (!ctx) {
        ctx = sinspace_context_create();
        if (!mkdtemp(empty_dir))
            abort();
    }
    if (!ctx || size > 1 << 20)
        return 0;
    sinspace_style *style = NULL;
    /* allowed_dir is an empty folder: no external graphic can resolve,
     * whatever the input names. */
    if (sinspace_style_load_memory(ctx, (const char *)data, size, "fuzz.sld",
                                   empty_dir, &style) == SINSPACE_OK) {
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
