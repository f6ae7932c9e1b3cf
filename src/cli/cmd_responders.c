/* cmd_responders.c: sinspace responders import|list|rm|roles|expertise:
 * the network's teams and people (docs/network.md). */
#include "cli.h"

#include <math.h>
#include <string.h>

static int
responders_import(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"overwrite", no_argument, NULL, 'o'},
        {"key-file", required_argument, NULL, 'k'},
        {"layer", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0}};
    sinspace_responders_import_options o = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': o.overwrite = 1; break;
        case 'k': o.key_file = optarg; break;
        case 'l': o.layer = optarg; break;
        default: return cli_usage_error(&cmd_responders, "bad option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(&cmd_responders, "responders import takes DB FILE");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    long long rows = 0;
    sinspace_status st = sinspace_responders_import(store, argv[optind + 1], &o, &rows);
    if (st)
        rc = cli_fail(c, st);
    else if (!c->quiet)
        fprintf(stderr, "sinspace: %lld responder%s imported from %s\n", rows,
                rows == 1 ? "" : "s", argv[optind + 1]);
    sinspace_store_close(store);
    return rc;
}

typedef struct list_state {
    int csv;
    int contacts;
} list_state;

static const char *
s_(const char *s)
{
    return s ? s : "";
}

static int
print_responder(void *user, const sinspace_responder *r)
{
    list_state *ls = user;
    char base[64] = "";
    if (r->has_base)
        snprintf(base, sizeof base, "%.6f,%.6f", r->lon, r->lat);
    char radius[32] = "";
    if (r->radius_m > 0)
        snprintf(radius, sizeof radius, "%.0f", r->radius_m);
    if (ls->csv) {
        cli_csv_field(r->id, 0); cli_csv_field(r->name, 0); cli_csv_field(r->agency, 0);
        cli_csv_field(r->role, 0); cli_csv_field(r->expertise, 0);
        cli_csv_field(r->languages, 0); cli_csv_field(r->areas, 0);
        cli_csv_field(r->has_polygon ? "yes" : "no", 0); cli_csv_field(base, 0);
        cli_csv_field(radius, 0); cli_csv_field(r->active ? "1" : "0", 0);
        cli_csv_field(r->verified, !ls->contacts);
        if (ls->contacts) {
            cli_csv_field(r->phone, 0); cli_csv_field(r->email, 0); cli_csv_field(r->contact, 1);
        }
        return 0;
    }
    printf("%-12s %-28.28s %-18s %-30.30s %-10s %-30.30s %s%s", r->id, r->name, r->role,
           s_(r->expertise), s_(r->languages), s_(r->areas),
           r->has_polygon ? "polygon " : "",
           r->radius_m > 0 ? "radius " : "");
    if (!r->active)
        printf(" (inactive)");
    if (ls->contacts)
        printf("  phone %s  email %s  contact %s", s_(r->phone), s_(r->email),
               s_(r->contact));
    putchar('\n');
    return 0;
}

static int
responders_list(cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"contacts", no_argument, NULL, 'c'},
        {"key-file", required_argument, NULL, 'k'},
        {"format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0}};
    list_state ls = {0};
    const char *key_file = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': ls.contacts = 1; break;
        case 'k': key_file = optarg; break;
        case 'f':
            if (!strcmp(optarg, "csv"))
                ls.csv = 1;
            else if (strcmp(optarg, "table"))
                return cli_usage_error(&cmd_responders,
                                       "--format '%s': expected table or csv", optarg);
            break;
        default: return cli_usage_error(&cmd_responders, "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(&cmd_responders, "responders list takes DB");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind],
                      ls.contacts ? SINSPACE_OPEN_READWRITE : SINSPACE_OPEN_READONLY,
                      &store);
    if (rc)
        return rc;
    if (ls.csv)
        printf("id,name,agency,role,expertise,languages,areas,polygon,base,"
               "radius_m,active,verified%s\n", ls.contacts ? ",phone,email,contact" : "");
    else
        printf("%-12s %-28s %-18s %-30s %-10s %-30s %s\n", "id", "name", "role",
               "expertise", "languages", "areas", "coverage");
    sinspace_status st = sinspace_responders_list(store, ls.contacts, key_file,
                                                  print_responder, &ls);
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
    return rc;
}

static int
responders_rm(cli *c, int argc, char **argv)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_responders, "bad option");
    if (argc - optind != 2)
        return cli_usage_error(&cmd_responders, "responders rm takes DB ID");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READWRITE, &store);
    if (rc)
        return rc;
    sinspace_status st = sinspace_responders_remove(store, argv[optind + 1]);
    if (st)
        rc = cli_fail(c, st);
    else if (!c->quiet)
        fprintf(stderr, "sinspace: responder '%s' removed\n", argv[optind + 1]);
    sinspace_store_close(store);
    return rc;
}

static int
print_code(void *user, const char *code, const char *label)
{
    (void)user;
    printf("%-22s %s\n", code, label);
    return 0;
}

static int
responders_catalogue(cli *c, int argc, char **argv, const char *kind)
{
    if (getopt(argc, argv, "") != -1)
        return cli_usage_error(&cmd_responders, "bad option");
    if (argc - optind != 1)
        return cli_usage_error(&cmd_responders, "responders %s takes DB",
                               !strcmp(kind, "role") ? "roles" : "expertise");
    sinspace_store *store = NULL;
    int rc = cli_open(c, argv[optind], SINSPACE_OPEN_READONLY, &store);
    if (rc)
        return rc;
    sinspace_status st = sinspace_responders_catalogue(store, kind, print_code, NULL);
    if (st)
        rc = cli_fail(c, st);
    sinspace_store_close(store);
    return rc;
}

static int
run(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_responders,
                               "expected import, list, rm, roles or expertise");
    const char *action = argv[1];
    if (!strcmp(action, "import"))
        return responders_import(c, argc - 1, argv + 1);
    if (!strcmp(action, "list"))
        return responders_list(c, argc - 1, argv + 1);
    if (!strcmp(action, "rm"))
        return responders_rm(c, argc - 1, argv + 1);
    if (!strcmp(action, "roles"))
        return responders_catalogue(c, argc - 1, argv + 1, "role");
    if (!strcmp(action, "expertise"))
        return responders_catalogue(c, argc - 1, argv + 1, "expertise");
    return cli_usage_error(&cmd_responders, "unknown action '%s': expected import, "
                           "list, rm, roles or expertise", action);
}

const cli_command cmd_responders = {
    "responders", "the network: import, list and remove responders",
    "Usage: sinspace responders import DB FILE [--overwrite] [--key-file KEY]\n"
    "                                  [--layer NAME]\n"
    "       sinspace responders list DB [--format table|csv] [--contacts]\n"
    "                                [--key-file KEY]\n"
    "       sinspace responders rm DB ID\n"
    "       sinspace responders roles DB\n"
    "       sinspace responders expertise DB\n\n"
    "import  reads a CSV with columns id,name,agency,role,expertise,languages,\n"
    "        phone,email,areas and optional contact,lon,lat,radius,active,\n"
    "        verified,availability (lists separated by ';'; areas are codes or\n"
    "        names, each covering every area below it), or any OGR source with\n"
    "        the same fields (polygons: coverage; points: the base).  One bad\n"
    "        row refuses the file (exit 3, naming line and column); an id\n"
    "        already stored is refused unless --overwrite.  Phone, email and\n"
    "        contact are sealed with the key file (DB.key, SINSPACE_KEY_FILE\n"
    "        or --key-file); without one, a file with contacts is refused.\n"
    "list    prints the responders; --contacts opens their contacts (written\n"
    "        to the audit trail; 'withheld' without the key file).\n"
    "rm      removes responder ID (audited).\n"
    "roles, expertise  print the catalogues.\n\n"
    "Exit status: 0 ok, 1 failure (a wrong key file: 1, with the reason),\n"
    "2 usage, 3 invalid input.  See docs/network.md.\n",
    run};
