/* fuzz_load.h: an import as sinspace_import_file runs it (one load, the
 * source's reader, every row through the one validator, the derived
 * columns), but always rolled back, so the fuzz store never grows and
 * never commits; and the source may be a /vsimem/ file. */
#ifndef SINSPACE_FUZZ_LOAD_H
#define SINSPACE_FUZZ_LOAD_H

#include "fuzz_common.h"
#include "core/parse.h"
#include "io/import_int.h"
#include "store/engine.h"

static sinspace_status
fuzz_load(sinspace_store *store, const char *path, int csv,
          const sinspace_import_options *opts, sinspace_import_result *result)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__import_ops *ops = sinspace__store_engine(store)->import;
    sinspace__importer im;
    memset(&im, 0, sizeof im);
    im.store = store;
    im.ctx = ctx;
    im.ops = ops;
    im.path = path;
    im.opts = opts;
    im.kind = opts->kind;
    sinspace__today(im.today);
    if (csv && im.kind == SINSPACE_IMPORT_AUTO)
        im.kind = SINSPACE_IMPORT_WORKPLACES;
    sinspace__import_start start = {
        .file = path,
        .kind = "fuzz",
        .may_write_workplaces = im.kind != SINSPACE_IMPORT_AREAS,
    };
    sinspace_status st = ops->begin(store, &start, &im.load, &im.have_areas);
    if (st)
        return st;
    if (!(st = ops->indicator_weights(store, im.weights))) {
        if (csv && opts->srs) {
            OGRSpatialReferenceH srs = NULL;
            if (!(st = sinspace__import_srs_from_option(&im, &srs))) {
                st = sinspace__import_setup_transform(&im, srs);
                OSRDestroySpatialReference(srs);
            }
        }
        if (!st)
            st = csv ? sinspace__import_csv(&im) : sinspace__import_ogr(&im);
    }
    if (!st && !im.result.rejected) {
        if (im.kind == SINSPACE_IMPORT_AREAS)
            st = ops->refresh_members(im.load, 1);
        else if (!(st = ops->refresh_risk(im.load)) && im.have_areas)
            st = ops->refresh_members(im.load, 0);
    }
    ops->end(im.load, 0);
    sinspace__import_release(&im);
    if (result)
        *result = im.result;
    return st;
}

#endif
