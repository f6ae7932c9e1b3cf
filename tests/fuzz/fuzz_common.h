/* fuzz_common.h: what the fuzz targets that need a store share: one store
 * per process, made once in a private temporary folder (on /dev/shm when
 * there is one: the targets write and roll back), with the test fixtures
 * imported when asked, and removed at exit. */
#ifndef SINSPACE_FUZZ_COMMON_H
#define SINSPACE_FUZZ_COMMON_H

#include <sinspace/sinspace.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SINSPACE_FUZZ_DATA
#define SINSPACE_FUZZ_DATA "tests/data"
#endif

static char fuzz_dir[256];
static char fuzz_db[320];

static void
fuzz_rmdir(void)
{
    if (!fuzz_dir[0])
        return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* A file of the temporary folder. */
static void
fuzz_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", fuzz_dir, name);
}

/* Writes data to the folder's file name; 0 or -1. */
__attribute__((unused)) static int
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && n == size ? 0 : -1;
}

/* Makes the folder and an empty store in it (with the Chiang Mai districts
 * and the 96 fictional workplaces of tests/data when with_data), once per
 * process; aborts when it cannot, so a broken set-up is never a silent
 * no-coverage run. */
static void
fuzz_setup(sinspace_context *ctx, int with_data)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/sinspace-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_rmdir);
    fuzz_path(fuzz_db, sizeof fuzz_db, "fuzz.sqlite");
    sinspace_store *store = NULL;
    if (sinspace_store_create(ctx, fuzz_db, &store) != SINSPACE_OK) {
        fprintf(stderr, "fuzz: %s\n", sinspace_context_message(ctx));
        abort();
    }
    if (with_data) {
        sinspace_import_options o;
        sinspace_import_options_init(&o);
        if (sinspace_import_file(store, SINSPACE_FUZZ_DATA "/chiang_mai_amphoe.geojson",
                                 &o, NULL) != SINSPACE_OK ||
            sinspace_import_file(store, SINSPACE_FUZZ_DATA "/export_workplaces.csv",
                                 &o, NULL) != SINSPACE_OK) {
            fprintf(stderr, "fuzz: %s\n", sinspace_context_message(ctx));
            abort();
        }
    }
    sinspace_store_close(store);
    sinspace_context_clear(ctx);
}

#endif
