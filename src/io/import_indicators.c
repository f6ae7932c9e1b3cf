/* import_indicators.c: a user's own indicator catalogue (CSV of the 28
 * indicators with their weights), checked row by row and written through
 * the engine seam in one transaction, after which every scored observation
 * and every workplace's current risk are recomputed with the new weights. */
#include "core/csv.h"
#include "core/parse.h"
#include "core/sinspaceInt.h"
#include "store/import.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const char *const want[] = {"position", "code", "name", "domain",
                                   "weight", "description"};

/* The header row: the six columns, in order. */
static sinspace_status
check_header(sinspace_context *ctx, const char *path, char **fields)
{
    for (int i = 0; i < 6; i++)
        if (strcasecmp(fields[i], want[i]))
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                   "%s:1: column %d is '%.40s'; expected '%s'",
                                   path, i + 1, fields[i], want[i]);
    return SINSPACE_OK;
}

/* One indicator row into *out (strings borrowed from fields); seen counts
 * the positions given so far. */
static sinspace_status
check_row(sinspace_context *ctx, const char *path, long line, char **fields,
          int seen[SINSPACE_INDICATORS], sinspace__import_indicator *out)
{
    long long pos;
    double weight;
    char why[160];
    if (sinspace__parse_int(fields[0], &pos, why, sizeof why) < 0 ||
        pos < 1 || pos > SINSPACE_INDICATORS)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: position must be 1..28", path, line);
    if (seen[pos - 1]++)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: position %lld given twice", path, line, pos);
    if (sinspace__parse_double(fields[4], &weight, why, sizeof why) < 0 ||
        !(weight > 0.0))
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: weight must be a number above 0", path, line);
    if (!fields[1][0] || !fields[2][0] ||
        sinspace__check_text(fields[1], 0, 64, why, sizeof why) < 0 ||
        sinspace__check_text(fields[2], 0, 200, why, sizeof why) < 0 ||
        sinspace__check_text(fields[3], 0, 64, why, sizeof why) < 0 ||
        sinspace__check_text(fields[5], 1, 2000, why, sizeof why) < 0)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: code and name are required, text must "
                               "be clean UTF-8", path, line);
    *out = (sinspace__import_indicator){
        .position = pos,
        .code = fields[1],
        .name = fields[2],
        .domain = fields[3],
        .weight = weight,
        .description = fields[5],
    };
    return SINSPACE_OK;
}

/* Reads the catalogue into the open transaction. */
static sinspace_status
read_catalogue(sinspace_store *store, const char *path, sinspace_csv *csv)
{
    sinspace_context *ctx = sinspace_store_context(store);
    const sinspace__import_ops *ops = sinspace__store_engine(store)->import;
    int seen[SINSPACE_INDICATORS] = {0};
    char **fields, err[256], where[4200]; /* "path:line" */
    size_t n;
    long line;
    int rc, header = 1;
    sinspace_status st = SINSPACE_OK;
    while (!st && (rc = sinspace__csv_next(csv, &fields, &n, &line, err, sizeof err))) {
        if (rc < 0)
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s",
                                   path, line, err);
        if (n != 6)
            return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                   "%s:%ld: %zu fields; expected position,code,name,"
                                   "domain,weight,description", path, line, n);
        if (header) {
            header = 0;
            st = check_header(ctx, path, fields);
            continue;
        }
        sinspace__import_indicator ind;
        if ((st = check_row(ctx, path, line, fields, seen, &ind)))
            break;
        snprintf(where, sizeof where, "%s:%ld", path, line);
        st = ops->indicator_write(store, &ind, where);
    }
    for (int i = 0; !st && i < SINSPACE_INDICATORS; i++)
        if (!seen[i])
            st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                                 "%s: no indicator at position %d; a catalogue "
                                 "has all 28", path, i + 1);
    return st;
}

static double
rescore(void *user, const int *scores)
{
    return sinspace_risk_score(scores, user);
}

sinspace_status
sinspace_import_indicators(sinspace_store *store, const char *path)
{
    sinspace_context *ctx = sinspace_store_context(store);
    if (!store || !path)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "import_indicators: store and path are required");
    const sinspace__import_ops *ops = sinspace__store_engine(store)->import;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sinspace__error(ctx, SINSPACE_IO, "%s: cannot read: %s", path,
                               strerror(errno));
    sinspace_csv *csv = sinspace__csv_open_file(f);
    sinspace_status st = csv ? SINSPACE_OK
                             : sinspace__error(ctx, SINSPACE_NO_MEMORY,
                                               "out of memory");
    int began = !st && !(st = ops->indicators_begin(store));
    if (!st)
        st = read_catalogue(store, path, csv);
    double w[SINSPACE_INDICATORS];
    if (!st && !(st = ops->indicator_weights(store, w)) &&
        !(st = ops->indicators_rescore(store, rescore, w))) {
        sinspace_audit_entry e = {0};
        e.command = "indicators";
        e.target = path;
        e.rows = SINSPACE_INDICATORS;
        st = ops->audit(store, &e);
    }
    if (began) {
        if (st)
            ops->indicators_end(store, 0);
        else
            st = ops->indicators_end(store, 1);
    }
    sinspace__csv_close(csv);
    fclose(f);
    return st;
}
