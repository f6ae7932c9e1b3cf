/* main.c: the sinspace command: global options, the command table, the
 * stderr logger and the progress bar on a terminal. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const cli_command *const commands[] = {
    &cmd_init, &cmd_import, &cmd_info, &cmd_sectors, &cmd_indicators,
    &cmd_audit,
    &cmd_query,
    &cmd_fence,
    &cmd_map,
    &cmd_atlas,
    &cmd_tiles,
    &cmd_style,
    &cmd_zones,
    &cmd_hotspots,
    &cmd_export,
    &cmd_serve,
    &cmd_responders, &cmd_cover, &cmd_key,
    NULL};

int
cli_exit_status(sinspace_status st)
{
    switch (st) {
    case SINSPACE_OK: return EXIT_OK;
    case SINSPACE_INVALID_ARGUMENT: return EXIT_USAGE;
    case SINSPACE_INVALID_INPUT: return EXIT_INVALID;
    default: return EXIT_FAILURE_;
    }
}

int
cli_fail(cli *c, sinspace_status st)
{
    cli_progress_done(c);
    const char *msg = sinspace_context_message(c->ctx);
    fprintf(stderr, "sinspace: %s\n", msg && *msg ? msg : sinspace_status_string(st));
    return cli_exit_status(st);
}

int
cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sinspace %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sinspace %s --help'.\n", cmd->name);
    return EXIT_USAGE;
}

int
cli_wants_help(int argc, char **argv, const cli_command *cmd)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(cmd->usage, stdout);
            return 1;
        }
    }
    return 0;
}

void
cli_getopt_reset(void)
{
    optind = 0; /* glibc: full reinitialisation */
    opterr = 1;
}

int
cli_open(cli *c, const char *path, sinspace_open_flags flags,
         sinspace_store **out)
{
    sinspace_status st = sinspace_store_open(c->ctx, path, flags, out);
    return st ? cli_fail(c, st) : EXIT_OK;
}

static void
log_to_stderr(void *user, sinspace_log_level level, const char *msg)
{
    cli *c = user;
    if (level == SINSPACE_LOG_DEBUG && !getenv("SINSPACE_DEBUG"))
        return;
    if (level == SINSPACE_LOG_INFO && c->quiet)
        return;
    cli_progress_done(c);
    static const char *const tags[] = {"debug", "info", "warning", "error"};
    fprintf(stderr, "sinspace: %s: %s\n", tags[level], msg);
}

/* A one-line bar on stderr, redrawn at most ten times a second, only on a
 * terminal. */
static int
progress_bar(void *user, const char *task, double done, double total)
{
    cli *c = user;
    static struct timespec last;
    struct timespec now;
    if (c->quiet || !isatty(STDERR_FILENO))
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (now.tv_sec - last.tv_sec) + (now.tv_nsec - last.tv_nsec) / 1e9;
    int finished = total > 0 && done >= total;
    if (dt < 0.1 && !finished)
        return 0;
    last = now;
    if (total > 0) {
        int pct = (int)(100.0 * done / total);
        if (pct > 100)
            pct = 100;
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%-10s [%s] %3d%%", task, bar, pct);
    } else {
        fprintf(stderr, "\r%-10s %.0f", task, done);
    }
    c->progress_shown = 1;
    return 0;
}

void
cli_progress_done(cli *c)
{
    if (c->progress_shown) {
        fputc('\n', stderr);
        c->progress_shown = 0;
    }
}

static void
print_help(void)
{
    printf("sinspace %s: maps of workplaces in sectors linked to labour and\n"
           "sexual exploitation, for surveillance, planning and research.\n\n"
           "Usage: sinspace [--quiet] COMMAND [ARGS...]\n"
           "       sinspace COMMAND --help\n"
           "       sinspace --version\n\nCommands:\n",
           sinspace_version());
    for (int i = 0; commands[i]; i++)
        printf("  %-12s %s\n", commands[i]->name, commands[i]->summary);
    printf("  %-12s %s\n", "help", "this text, or help COMMAND");
    printf("\nExit status:\n"
           "  0  success\n"
           "  1  failure (file, database, permission, ...)\n"
           "  2  usage error (bad command line)\n"
           "  3  invalid input data; nothing was written\n"
           "\nEnvironment: SINSPACE_DEBUG=1 shows library debug messages.\n");
}

static const cli_command *
find_command(const char *name)
{
    for (int i = 0; commands[i]; i++)
        if (!strcmp(commands[i]->name, name))
            return commands[i];
    return NULL;
}

/* The whole command line, from the global options to the subcommand's
 * exit status.  main() only calls this; the argument-parser fuzz target
 * (tests/fuzz/fuzz_args.c) calls it with argument vectors of its own. */
int cli_main(int argc, char **argv);

int
cli_main(int argc, char **argv)
{
    cli c = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            printf("sinspace %s\n", sinspace_version());
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_help();
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            c.quiet = 1;
            continue;
        }
        fprintf(stderr, "sinspace: unknown option '%s'\nTry 'sinspace help'.\n",
                argv[i]);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        print_help();
        return EXIT_USAGE;
    }
    if (!strcmp(argv[i], "help")) {
        if (i + 1 < argc) {
            const cli_command *cmd = find_command(argv[i + 1]);
            if (!cmd) {
                fprintf(stderr, "sinspace: no command '%s'\n", argv[i + 1]);
                return EXIT_USAGE;
            }
            fputs(cmd->usage, stdout);
            return EXIT_OK;
        }
        print_help();
        return EXIT_OK;
    }
    const cli_command *cmd = find_command(argv[i]);
    if (!cmd) {
        fprintf(stderr, "sinspace: no command '%s'\nTry 'sinspace help'.\n",
                argv[i]);
        return EXIT_USAGE;
    }
    if (cli_wants_help(argc - i, argv + i, cmd))
        return EXIT_OK;
    c.ctx = sinspace_context_create();
    if (!c.ctx) {
        fprintf(stderr, "sinspace: out of memory\n");
        return EXIT_FAILURE_;
    }
    sinspace_context_set_logger(c.ctx, log_to_stderr, &c);
    sinspace_context_set_progress(c.ctx, progress_bar, &c);
    cli_getopt_reset();
    int rc = cmd->run(&c, argc - i, argv + i);
    cli_progress_done(&c);
    sinspace_context_destroy(c.ctx);
    if (fflush(stdout) != 0 && rc == EXIT_OK) {
        perror("sinspace: writing output");
        rc = EXIT_FAILURE_;
    }
    return rc;
}

#ifndef SINSPACE_CLI_NO_MAIN
int
main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
#endif
