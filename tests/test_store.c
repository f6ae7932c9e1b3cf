/* test_store.c: creating and opening stores (private mode, refusals of
 * unsafe or foreign files and newer schemas), what a new store holds (the
 * catalogues and layers), info, the audit trail, and every public function
 * called with NULL arguments. */
#include "testutil.h"
#include "store/store_int.h"

#include <cpl_error.h>
#include <math.h>
#include <sqlite3.h>
#include <time.h>

static char dir[PATH_MAX];
static char db[PATH_MAX];
static sinspace_context *ctx;
static tu_log logbuf;

static void
setup(void)
{
    tu_tmpdir(dir);
    tu_path(db, dir, "store.sqlite");
    ctx = sinspace_context_create();
    cr_assert_not_null(ctx);
    sinspace_context_set_logger(ctx, tu_log_fn, &logbuf);
    tu_log_clear(&logbuf);
}

static void
teardown(void)
{
    sinspace_context_destroy(ctx);
    ctx = NULL;
    tu_rmtree(dir);
    tu_leak_check();
}

TU_RUNNER_HOOK_START(0)
TU_RUNNER_HOOK_END

TestSuite(store, .init = setup, .fini = teardown);

static sinspace_store *
create_store(void)
{
    sinspace_store *s = NULL;
    sinspace_status st = sinspace_store_create(ctx, db, &s);
    cr_assert_eq(st, SINSPACE_OK, "create: %s", sinspace_context_message(ctx));
    cr_assert_not_null(s);
    return s;
}

/* Runs SQL on the database file directly, as another program would. */
static void
raw_exec(const char *path, const char *sql)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_close(h);
}

Test(store, create_is_private_even_with_umask_0)
{
    umask(0); /* each Criterion test runs in its own process */
    sinspace_store *s = create_store();
    cr_assert_eq(tu_mode(db), 0600, "mode %04o", tu_mode(db));
    char side[PATH_MAX + 8];
    snprintf(side, sizeof side, "%s-wal", db);
    if (tu_exists(side))
        cr_assert_eq(tu_mode(side), 0600, "WAL mode %04o", tu_mode(side));
    snprintf(side, sizeof side, "%s-shm", db);
    if (tu_exists(side))
        cr_assert_eq(tu_mode(side), 0600, "shm mode %04o", tu_mode(side));
    cr_assert_str_eq(sinspace_store_path(s), db);
    cr_assert_eq(sinspace_store_schema_version(s), SINSPACE_SCHEMA_VERSION);
    cr_assert_eq(sinspace_store_context(s), ctx);
    sinspace_store_close(s);
    cr_assert_eq(tu_mode(db), 0600);
}

Test(store, create_with_permissive_umask_still_0600)
{
    umask(0002);
    sinspace_store_close(create_store());
    cr_assert_eq(tu_mode(db), 0600);
}

Test(store, create_refuses_existing_file)
{
    tu_write_str(db, "precious");
    sinspace_store *s = (sinspace_store *)&s; /* must stay untouched */
    sinspace_store *before = s;
    cr_assert_eq(sinspace_store_create(ctx, db, &s), SINSPACE_IO);
    cr_assert_eq(s, before);
    cr_assert(strstr(sinspace_context_message(ctx), "file exists"), "%s",
              sinspace_context_message(ctx));
    char *text = tu_read(db, NULL);
    cr_assert_str_eq(text, "precious");
    free(text);
}

Test(store, create_refuses_existing_store)
{
    sinspace_store_close(create_store());
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_create(ctx, db, &s), SINSPACE_IO);
    cr_assert_null(s);
}

Test(store, create_in_missing_directory_leaves_nothing)
{
    char p[PATH_MAX];
    tu_path(p, dir, "no/such/dir/x.sqlite");
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_create(ctx, p, &s), SINSPACE_IO);
    cr_assert_null(s);
}

Test(store, open_existing_read_write_and_read_only)
{
    sinspace_store_close(create_store());
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &s),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    cr_assert_eq(sinspace_store_schema_version(s), SINSPACE_SCHEMA_VERSION);
    sinspace_store_close(s);
    s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    /* Writing through a read-only store fails and writes nothing. */
    sinspace_audit_entry e = {0};
    e.command = "test";
    e.rows = -1;
    cr_assert_neq(sinspace_audit_record(s, &e), SINSPACE_OK);
    sinspace_store_info info;
    cr_assert_eq(sinspace_store_info_get(s, &info), SINSPACE_OK);
    cr_assert_eq(info.audit_entries, 0);
    sinspace_store_close(s);
}

Test(store, open_missing_file)
{
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_NOT_FOUND);
    cr_assert_null(s);
    cr_assert_eq(sinspace_context_status(ctx), SINSPACE_NOT_FOUND);
    cr_assert(strstr(sinspace_context_message(ctx), db));
    cr_assert(!tu_exists(db), "open created the file");
}

Test(store, open_refuses_group_or_other_writable)
{
    sinspace_store_close(create_store());
    static const unsigned modes[] = {0620, 0602, 0660, 0666};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        cr_assert_eq(chmod(db, modes[i]), 0);
        sinspace_store *s = NULL;
        cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                     SINSPACE_PERMISSION, "mode %04o", modes[i]);
        cr_assert_null(s);
        cr_assert(strstr(sinspace_context_message(ctx), "chmod 600"), "%s",
                  sinspace_context_message(ctx));
    }
    /* Readable by group is the owner's choice, writable is not. */
    cr_assert_eq(chmod(db, 0640), 0);
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_OK, "%s", sinspace_context_message(ctx));
    sinspace_store_close(s);
}

Test(store, open_refuses_directory)
{
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, dir, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_IO);
    cr_assert_null(s);
}

Test(store, open_refuses_non_sqlite_file)
{
    char text[8192];
    memset(text, 'x', sizeof text);
    memcpy(text, "id,name\n1,not a database\n", 25);
    tu_write(db, text, sizeof text);
    chmod(db, 0600);
    for (int w = 0; w < 2; w++) {
        sinspace_store *s = NULL;
        cr_assert_eq(sinspace_store_open(ctx, db, w ? SINSPACE_OPEN_READWRITE
                                                    : SINSPACE_OPEN_READONLY, &s),
                     SINSPACE_SCHEMA, "%s", sinspace_context_message(ctx));
        cr_assert_null(s);
    }
    size_t n;
    char *after = tu_read(db, &n);
    cr_assert_eq(n, sizeof text);
    cr_assert_eq(memcmp(after, text, n), 0, "open changed a foreign file");
    free(after);
}

Test(store, open_refuses_empty_file)
{
    tu_write(db, "", 0);
    chmod(db, 0600);
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_SCHEMA, "%s", sinspace_context_message(ctx));
}

Test(store, open_refuses_plain_sqlite_database)
{
    raw_exec(db, "CREATE TABLE people(name TEXT); INSERT INTO people VALUES ('x')");
    chmod(db, 0600);
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READWRITE, &s),
                 SINSPACE_SCHEMA);
    cr_assert_null(s);
    cr_assert(strstr(sinspace_context_message(ctx), "sinspace_meta"), "%s",
              sinspace_context_message(ctx));
}

Test(store, open_refuses_newer_schema)
{
    sinspace_store_close(create_store());
    raw_exec(db, "UPDATE sinspace_meta SET value = '99' WHERE key = 'schema_version'");
    for (int w = 0; w < 2; w++) {
        sinspace_store *s = NULL;
        cr_assert_eq(sinspace_store_open(ctx, db, w ? SINSPACE_OPEN_READWRITE
                                                    : SINSPACE_OPEN_READONLY, &s),
                     SINSPACE_SCHEMA);
        cr_assert_null(s);
        cr_assert(strstr(sinspace_context_message(ctx), "newer"), "%s",
                  sinspace_context_message(ctx));
    }
}

Test(store, open_refuses_missing_schema_version)
{
    sinspace_store_close(create_store());
    raw_exec(db, "DELETE FROM sinspace_meta WHERE key = 'schema_version'");
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_SCHEMA);
}

Test(store, info_of_new_store)
{
    sinspace_store *s = create_store();
    sinspace_store_info info;
    memset(&info, 0x5a, sizeof info);
    cr_assert_eq(sinspace_store_info_get(s, &info), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(info.schema_version, SINSPACE_SCHEMA_VERSION);
    cr_assert_eq(strlen(info.created), 20, "created '%s'", info.created);
    cr_assert_eq(info.created[10], 'T');
    cr_assert_eq(info.created[19], 'Z');
    cr_assert_eq(info.workplaces, 0);
    cr_assert_eq(info.observations, 0);
    cr_assert_eq(info.areas, 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(info.areas_by_level[i], 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(info.by_class[i], 0);
    cr_assert_eq(info.tiles, 0);
    cr_assert_eq(info.fences, 0);
    cr_assert_eq(info.zones, 0);
    cr_assert_eq(info.audit_entries, 0);
    cr_assert_eq(info.has_extent, 0);
    cr_assert_str_eq(info.first_observed, "");
    cr_assert_str_eq(info.last_observed, "");
    sinspace_store_close(s);
}

typedef struct layer_seen {
    int n;
    int workplaces_risk, areas_risk, workplaces_geom, workplaces_footprint,
        areas_geom;
} layer_seen;

static int
collect_layer(void *user, const sinspace_layer_desc *l)
{
    layer_seen *ls = user;
    ls->n++;
    cr_assert_not_null(l->name);
    cr_assert_eq(l->srid, 4326, "%s srid %d", l->name, l->srid);
    cr_assert_eq(l->features, 0, "%s has %lld features", l->name, l->features);
    if (!strcmp(l->name, "workplaces_risk")) {
        ls->workplaces_risk++;
        cr_assert_eq(l->is_view, 1);
        cr_assert_str_eq(l->geometry_type, "POINT");
        cr_assert_str_eq(l->geometry_column, "geom");
    } else if (!strcmp(l->name, "areas_risk")) {
        ls->areas_risk++;
        cr_assert_eq(l->is_view, 1);
        cr_assert_str_eq(l->geometry_type, "MULTIPOLYGON");
    } else if (!strcmp(l->name, "workplaces")) {
        cr_assert_eq(l->is_view, 0);
        if (!strcmp(l->geometry_column, "geom")) {
            ls->workplaces_geom++;
            cr_assert_str_eq(l->geometry_type, "POINT");
        } else if (!strcmp(l->geometry_column, "footprint")) {
            ls->workplaces_footprint++;
            cr_assert_str_eq(l->geometry_type, "MULTIPOLYGON");
        }
    } else if (!strcmp(l->name, "areas")) {
        ls->areas_geom++;
        cr_assert_str_eq(l->geometry_type, "MULTIPOLYGON");
    }
    return 0;
}

Test(store, layers_include_the_views)
{
    sinspace_store *s = create_store();
    layer_seen ls = {0};
    cr_assert_eq(sinspace_store_layers(s, collect_layer, &ls), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    cr_assert_eq(ls.workplaces_risk, 1);
    cr_assert_eq(ls.areas_risk, 1);
    cr_assert_eq(ls.workplaces_geom, 1);
    cr_assert_eq(ls.workplaces_footprint, 1);
    cr_assert_eq(ls.areas_geom, 1);
    /* areas, workplaces x2, tiles, fences, zones + the three views
     * (workplaces_risk, areas_risk, zones_ranked). */
    cr_assert_eq(ls.n, 9, "%d layers", ls.n);
    sinspace_store_close(s);
}

static int
stop_at_first(void *user, const sinspace_layer_desc *l)
{
    (void)l;
    ++*(int *)user;
    return 1;
}

Test(store, layers_callback_can_stop)
{
    sinspace_store *s = create_store();
    int n = 0;
    cr_assert_eq(sinspace_store_layers(s, stop_at_first, &n), SINSPACE_OK);
    cr_assert_eq(n, 1);
    sinspace_store_close(s);
}

typedef struct sectors_seen {
    int n;
    int fishing, brothel;
} sectors_seen;

static int
collect_sector(void *user, const sinspace_sector_desc *d)
{
    sectors_seen *ss = user;
    ss->n++;
    cr_assert(d->code && d->label_en && d->label_th && *d->label_th);
    cr_assert_eq(d->workplaces, 0);
    if (!strcmp(d->code, "fishing")) {
        ss->fishing++;
        cr_assert_str_eq(d->label_en, "Fishing");
        cr_assert_eq(ss->n, 1, "sectors keep catalogue order");
    }
    if (!strcmp(d->code, "brothel"))
        ss->brothel++;
    return 0;
}

Test(store, sectors_seeded)
{
    sinspace_store *s = create_store();
    sectors_seen ss = {0};
    cr_assert_eq(sinspace_store_sectors(s, collect_sector, &ss), SINSPACE_OK);
    cr_assert_eq(ss.n, 13);
    cr_assert_eq(ss.fishing, 1);
    cr_assert_eq(ss.brothel, 1);
    sinspace_store_close(s);
}

typedef struct indicators_seen {
    int n;
    double weight_sum;
    int positions_in_order;
} indicators_seen;

static int
collect_indicator(void *user, const sinspace_indicator_desc *d)
{
    indicators_seen *is = user;
    is->n++;
    if (d->position != is->n)
        is->positions_in_order = 0;
    cr_assert(d->code && *d->code && d->name && *d->name && d->domain);
    cr_assert(d->weight > 0.0);
    is->weight_sum += d->weight;
    if (d->position == 1)
        cr_assert_str_eq(d->code, "abuse_of_vulnerability");
    return 0;
}

Test(store, indicators_seeded)
{
    sinspace_store *s = create_store();
    indicators_seen is = {0, 0.0, 1};
    cr_assert_eq(sinspace_store_indicators(s, collect_indicator, &is), SINSPACE_OK);
    cr_assert_eq(is.n, 28);
    cr_assert_eq(is.positions_in_order, 1);
    /* 15 forced-labour indicators at 1.5, 13 others at 1.0. */
    cr_assert_float_eq(is.weight_sum, 15 * 1.5 + 13 * 1.0, 1e-9);
    sinspace_store_close(s);
}

Test(store, close_and_destroy_null_harmless)
{
    sinspace_store_close(NULL);
    sinspace_context_destroy(NULL);
}

Test(store, area_levels)
{
    cr_assert_eq(sinspace_area_level_parse("province"), SINSPACE_LEVEL_PROVINCE);
    cr_assert_eq(sinspace_area_level_parse("tambon"), SINSPACE_LEVEL_SUBDISTRICT);
    cr_assert_eq(sinspace_area_level_parse("amphoe"), SINSPACE_LEVEL_DISTRICT);
    cr_assert_eq(sinspace_area_level_parse("Province"), SINSPACE_LEVEL_INVALID);
    cr_assert_eq(sinspace_area_level_parse(NULL), SINSPACE_LEVEL_INVALID);
    for (int l = SINSPACE_LEVEL_COUNTRY; l <= SINSPACE_LEVEL_VILLAGE; l++)
        cr_assert_eq(sinspace_area_level_parse(
                         sinspace_area_level_name((sinspace_area_level)l)), l);
    cr_assert_null(sinspace_area_level_name(SINSPACE_LEVEL_INVALID));
    cr_assert_null(sinspace_area_level_name((sinspace_area_level)5));
}

Test(store, status_strings)
{
    for (int st = SINSPACE_OK; st <= SINSPACE_INTERRUPTED; st++) {
        const char *s = sinspace_status_string((sinspace_status)st);
        cr_assert(s && *s && strcmp(s, "unknown status"), "status %d", st);
    }
    cr_assert_str_eq(sinspace_status_string((sinspace_status)999), "unknown status");
    cr_assert_str_eq(sinspace_version(), "0.1.0");
}

Test(store, context_error_state)
{
    cr_assert_eq(sinspace_context_status(ctx), SINSPACE_OK);
    cr_assert_str_eq(sinspace_context_message(ctx), "");
    sinspace_store *s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s),
                 SINSPACE_NOT_FOUND);
    cr_assert_eq(sinspace_context_status(ctx), SINSPACE_NOT_FOUND);
    cr_assert_neq(sinspace_context_message(ctx)[0], '\0');
    sinspace_context_clear(ctx);
    cr_assert_eq(sinspace_context_status(ctx), SINSPACE_OK);
    cr_assert_str_eq(sinspace_context_message(ctx), "");
    cr_assert_eq(sinspace_context_set_user(ctx, "field-team-3"), SINSPACE_OK);
    cr_assert_str_eq(sinspace_context_user(ctx), "field-team-3");
    char longname[300];
    memset(longname, 'u', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_eq(sinspace_context_set_user(ctx, longname), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_context_set_user(ctx, ""), SINSPACE_INVALID_ARGUMENT);
    cr_assert_str_eq(sinspace_context_user(ctx), "field-team-3");
}

/* Every public function, given NULL where a pointer belongs, fails with an
 * error (or does nothing) instead of crashing. */
static int
never_layer(void *user, const sinspace_layer_desc *item)
{
    (void)user;
    (void)item;
    cr_assert_fail("callback called");
    return 1;
}

static int
never_sector(void *user, const sinspace_sector_desc *item)
{
    (void)user;
    (void)item;
    cr_assert_fail("callback called");
    return 1;
}

static int
never_indicator(void *user, const sinspace_indicator_desc *item)
{
    (void)user;
    (void)item;
    cr_assert_fail("callback called");
    return 1;
}

static int
never_audit(void *user, const sinspace_audit_entry *item)
{
    (void)user;
    (void)item;
    cr_assert_fail("callback called");
    return 1;
}

static int
stop_at_first_audit(void *user, const sinspace_audit_entry *e)
{
    (void)e;
    ++*(int *)user;
    return 1;
}

Test(store, null_arguments)
{
    sinspace_store *s = create_store();
    sinspace_store *out = NULL;
    sinspace_store_info info;
    sinspace_audit_entry e = {0};
    sinspace_import_result r;

    /* Context. */
    cr_assert_eq(sinspace_context_status(NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_not_null(sinspace_context_message(NULL));
    sinspace_context_clear(NULL);
    sinspace_context_set_logger(NULL, tu_log_fn, NULL);
    sinspace_context_set_progress(NULL, NULL, NULL);
    cr_assert_eq(sinspace_context_set_user(NULL, "x"), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_context_set_user(ctx, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_not_null(sinspace_context_user(NULL));

    /* Store. */
    cr_assert_eq(sinspace_store_create(NULL, db, &out), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_create(ctx, NULL, &out), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_create(ctx, "", &out), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_create(ctx, db, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_open(NULL, db, SINSPACE_OPEN_READONLY, &out),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_open(ctx, NULL, SINSPACE_OPEN_READONLY, &out),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_null(out);
    cr_assert_null(sinspace_store_context(NULL));
    cr_assert_null(sinspace_store_path(NULL));
    cr_assert_eq(sinspace_store_schema_version(NULL), 0);
    cr_assert_eq(sinspace_store_info_get(NULL, &info), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_info_get(s, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_layers(NULL, never_layer, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_layers(s, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_sectors(NULL, never_sector, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_sectors(s, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_indicators(NULL, never_indicator, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_store_indicators(s, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_area_level_parse(NULL), SINSPACE_LEVEL_INVALID);

    /* Risk. */
    cr_assert(isnan(sinspace_risk_score(NULL, NULL)));
    cr_assert_eq(sinspace_risk_class_parse(NULL), SINSPACE_RISK_NONE);

    /* Import. */
    sinspace_import_options_init(NULL);
    cr_assert_eq(sinspace_import_file(NULL, db, NULL, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_import_file(s, NULL, NULL, &r), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_import_file(NULL, NULL, NULL, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_import_indicators(NULL, db), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_import_indicators(s, NULL), SINSPACE_INVALID_ARGUMENT);

    /* Audit. */
    cr_assert_eq(sinspace_audit_record(NULL, &e), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_audit_record(s, NULL), SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_audit_record(s, &e), SINSPACE_INVALID_ARGUMENT,
                 "an entry without a command");
    cr_assert_eq(sinspace_audit_list(NULL, NULL, never_audit, NULL),
                 SINSPACE_INVALID_ARGUMENT);
    cr_assert_eq(sinspace_audit_list(s, NULL, NULL, NULL), SINSPACE_INVALID_ARGUMENT);

    /* Nothing above wrote anything. */
    cr_assert_eq(sinspace_store_info_get(s, &info), SINSPACE_OK);
    cr_assert_eq(info.audit_entries, 0);
    cr_assert_eq(info.workplaces, 0);
    sinspace_store_close(s);
}

typedef struct audit_seen {
    int n;
    sinspace_audit_entry last;
    char at[32], user[64], command[32], target[64], audience[32], filters[64];
    int has_target, has_audience, has_filters;
} audit_seen;

static int
collect_audit(void *user, const sinspace_audit_entry *e)
{
    audit_seen *as = user;
    as->n++;
    as->last = *e;
    snprintf(as->at, sizeof as->at, "%s", e->at);
    snprintf(as->user, sizeof as->user, "%s", e->user);
    snprintf(as->command, sizeof as->command, "%s", e->command);
    as->has_target = e->target != NULL;
    as->has_audience = e->audience != NULL;
    as->has_filters = e->filters != NULL;
    snprintf(as->target, sizeof as->target, "%s", e->target ? e->target : "");
    snprintf(as->audience, sizeof as->audience, "%s", e->audience ? e->audience : "");
    snprintf(as->filters, sizeof as->filters, "%s", e->filters ? e->filters : "");
    return 0;
}

Test(store, audit_record_and_list)
{
    sinspace_store *s = create_store();
    cr_assert_eq(sinspace_context_set_user(ctx, "analyst-1"), SINSPACE_OK);
    sinspace_audit_entry e = {0};
    e.command = "export";
    e.target = "district-7.gpkg";
    e.audience = "partners";
    e.filters = "sector=brothel";
    e.rows = 12;
    cr_assert_eq(sinspace_audit_record(s, &e), SINSPACE_OK, "%s",
                 sinspace_context_message(ctx));
    sinspace_audit_entry e2 = {0};
    e2.command = "map";
    e2.user = "someone-else";
    e2.rows = -1;
    cr_assert_eq(sinspace_audit_record(s, &e2), SINSPACE_OK);

    audit_seen as;
    memset(&as, 0, sizeof as);
    cr_assert_eq(sinspace_audit_list(s, NULL, collect_audit, &as), SINSPACE_OK);
    cr_assert_eq(as.n, 2);
    /* The last one seen is the newest: the map entry. */
    cr_assert_str_eq(as.command, "map");
    cr_assert_str_eq(as.user, "someone-else");
    cr_assert_eq(as.last.rows, -1);
    cr_assert_eq(as.has_target, 0);
    cr_assert_eq(as.has_audience, 0);
    cr_assert_eq(as.has_filters, 0);

    /* The first, alone, by stopping after one. */
    sinspace_store_close(s);
    s = NULL;
    cr_assert_eq(sinspace_store_open(ctx, db, SINSPACE_OPEN_READONLY, &s), SINSPACE_OK);
    int n = 0;
    cr_assert_eq(sinspace_audit_list(s, "1900-01-01",
                                     stop_at_first_audit,
                                     &n), SINSPACE_OK);
    cr_assert_eq(n, 1);
    memset(&as, 0, sizeof as);
    cr_assert_eq(sinspace_audit_list(s, "2999-01-01", collect_audit, &as), SINSPACE_OK);
    cr_assert_eq(as.n, 0);

    sinspace_store_info info;
    cr_assert_eq(sinspace_store_info_get(s, &info), SINSPACE_OK);
    cr_assert_eq(info.audit_entries, 2);
    sinspace_store_close(s);
}

static int
first_audit(void *user, const sinspace_audit_entry *e)
{
    collect_audit(user, e);
    return 1;
}

Test(store, audit_fields_kept)
{
    sinspace_store *s = create_store();
    cr_assert_eq(sinspace_context_set_user(ctx, "analyst-1"), SINSPACE_OK);
    sinspace_audit_entry e = {0};
    e.command = "export";
    e.target = "district-7.gpkg";
    e.audience = "partners";
    e.filters = "sector=brothel";
    e.rows = 12;
    cr_assert_eq(sinspace_audit_record(s, &e), SINSPACE_OK);
    audit_seen as;
    memset(&as, 0, sizeof as);
    cr_assert_eq(sinspace_audit_list(s, NULL, first_audit, &as), SINSPACE_OK);
    cr_assert_eq(as.n, 1);
    cr_assert_eq(as.last.id, 1);
    cr_assert_str_eq(as.user, "analyst-1");
    cr_assert_str_eq(as.command, "export");
    cr_assert_str_eq(as.target, "district-7.gpkg");
    cr_assert_str_eq(as.audience, "partners");
    cr_assert_str_eq(as.filters, "sector=brothel");
    cr_assert_eq(as.last.rows, 12);
    /* YYYY-MM-DDTHH:MM:SSZ, and today. */
    cr_assert_eq(strlen(as.at), 20, "at '%s'", as.at);
    cr_assert_eq(as.at[4], '-');
    cr_assert_eq(as.at[10], 'T');
    cr_assert_eq(as.at[19], 'Z');
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char today[11];
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    cr_assert_eq(strncmp(as.at, today, 10), 0, "at %s, today %s", as.at, today);
    sinspace_store_close(s);
}

/* Contexts destroyed in any order leave no GDAL error handler holding a
 * freed context (ASan reports a use-after-free if one does). */
static int gdal_logged;

static void
count_log(void *user, sinspace_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    (void)msg;
    gdal_logged++;
}

Test(store, contexts_destroyed_out_of_order)
{
    sinspace_context *a = sinspace_context_create();
    sinspace_context *b = sinspace_context_create();
    cr_assert(a && b);
    sinspace_context_set_logger(b, count_log, NULL);
    CPLError(CE_Warning, CPLE_AppDefined, "routed to b");
    cr_assert_eq(gdal_logged, 1);
    sinspace_context_destroy(a);
    sinspace_context_destroy(b);
    CPLError(CE_Warning, CPLE_AppDefined, "no context left: dropped");
    cr_assert_eq(gdal_logged, 1);
}
