/* cli.h: what the sinspace command's subcommands share: the table of
 * commands, exit statuses, the stderr logger and the terminal progress
 * bar.  The command only parses arguments and calls the library. */
#ifndef SINSPACE_CLI_H
#define SINSPACE_CLI_H

#include <sinspace/sinspace.h>

#include <getopt.h>
#include <stdio.h>

/* Exit statuses, documented in README.md and `sinspace help`. */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_ = 1, /* anything else went wrong */
    EXIT_USAGE = 2,    /* bad arguments */
    EXIT_INVALID = 3   /* invalid input data; nothing was written */
};

typedef struct cli {
    sinspace_context *ctx;
    int quiet;
    int progress_shown;
} cli;

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text */
    int (*run)(cli *c, int argc, char **argv);
} cli_command;

/* The exit status for a library status. */
int cli_exit_status(sinspace_status st);

/* Prints the context's message as "sinspace: MESSAGE" on stderr and
 * returns the exit status for st. */
int cli_fail(cli *c, sinspace_status st);

/* Prints "sinspace CMD: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Handles -h/--help in a command's getopt loop: prints usage, returns 1. */
int cli_wants_help(int argc, char **argv, const cli_command *cmd);

/* Resets getopt for a new command line. */
void cli_getopt_reset(void);

/* Opens a store, reporting failure; returns the exit status (0 on
 * success). */
int cli_open(cli *c, const char *path, sinspace_open_flags flags,
             sinspace_store **out);

/* Ends a progress bar line if one is shown. */
void cli_progress_done(cli *c);

/* Shared value parsers (cli_args.c); 0 on success, -1 on a bad value.
 * A number is finite decimal with nothing after it; a list is exactly n
 * comma-separated numbers ("W,S,E,N", "LON,LAT"); classes are
 * comma-separated low, medium, high or unscored, OR-ed into *classes as
 * bits (1 << sinspace_risk_class). */
/* Writes one CSV field to stdout (quoted when needed; a value a spreadsheet
 * would run as a formula kept as text), then ',' or, when last, '\n'. */
void cli_csv_field(const char *s, int last);
int cli_parse_number(const char *s, double *out);
int cli_parse_numbers(const char *s, double *v, int n);
int cli_parse_classes(const char *s, unsigned *classes);

/* The options that select workplaces, shared by query and export
 * (cli_select.c): one region and the filters.  Their getopt values start
 * at CLI_OPT_SELECT; a command numbers its own long options from
 * CLI_OPT_OWN. */
enum { CLI_OPT_SELECT = 256, CLI_OPT_OWN = 512 };

typedef struct cli_select {
    /* As given on the command line. */
    const char *within, *srs, *area, *fence, *zone, *near, *radius, *bbox,
        *buffer;
    int make_valid;
    int n_regions;           /* region options given */
    int have_filter;         /* any filter option given */
    sinspace_filter filter;  /* set by sinspace_filter_set: cli_select_free */
    /* Parsed by cli_select_check() and cli_select_distances(). */
    double centre[2], box[4], radius_m, buffer_m;
    long long zone_id;
} cli_select;

/* Clears s (argc is unused, kept for the callers); 0. */
int cli_select_init(cli_select *s, int argc);
void cli_select_free(cli_select *s);

/* Writes into opts (cap entries) the command's options before, then the
 * shared ones, then after (either may be NULL), and the terminating
 * entry.  Returns the options written, 0 when cap is too small. */
size_t cli_select_longopts(struct option *opts, size_t cap,
                           const struct option *before,
                           const struct option *after);

/* Takes one getopt result: -1 when opt is not a shared option; EXIT_OK;
 * EXIT_USAGE for a bad or repeated value (message printed).  Filters go
 * through sinspace_filter_set (comma lists for --class and --sector). */
int cli_select_option(cli *c, const cli_command *cmd, cli_select *s, int opt,
                      const char *arg);

/* Once the command's own arguments are checked: the number of regions
 * (need_region: exactly one; else at most one), --srs/--make-valid only
 * with --within, --near and --radius together, --sort distance only with
 * --near, --buffer only with a region, then the values of --near, --bbox
 * and --zone.  EXIT_OK, or EXIT_USAGE with the message printed. */
int cli_select_check(const cli_command *cmd, cli_select *s, int need_region);

/* --radius and --buffer as distances ("500m", "2km"); EXIT_OK, or
 * EXIT_USAGE with the reason printed. */
int cli_select_distances(cli *c, const cli_command *cmd, cli_select *s);

/* The region given (*out NULL when none), grown by --buffer.  The caller
 * destroys *out, also on failure. */
sinspace_status cli_select_region(cli *c, sinspace_store *store,
                                  const cli_select *s, sinspace_region **out);

/* The commands, one file each. */
extern const cli_command cmd_init, cmd_import, cmd_info, cmd_audit,
    cmd_sectors, cmd_indicators;
extern const cli_command cmd_query, cmd_fence;
extern const cli_command cmd_map, cmd_atlas;
extern const cli_command cmd_tiles;
extern const cli_command cmd_style;
extern const cli_command cmd_zones;
extern const cli_command cmd_hotspots;
extern const cli_command cmd_export;
extern const cli_command cmd_serve;
extern const cli_command cmd_responders, cmd_cover, cmd_key;

#endif
