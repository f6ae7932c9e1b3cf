/* fuzz_args.c: the sinspace command line on any arguments.  The input is
 * split at NUL bytes into argv[1..]; the whole CLI runs (global options,
 * subcommand lookup, getopt and every value parser) in a fresh empty
 * folder, where no database exists, so every command stops at opening its
 * store: what is fuzzed is the argument parsing, never a write.  `init`,
 * the one command that creates a file, is left out. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int cli_main(int argc, char **argv);

#define MAX_ARGS 24

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        char dir[] = "/tmp/sinspace-fuzz-args-XXXXXX";
        if (!mkdtemp(dir) || chdir(dir) != 0)
            abort();
        /* The CLI's data output is not what is checked; its error messages
         * stay on stderr with libFuzzer's report. */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        close(null);
        ready = 1;
    }
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "sinspace";
    for (char *p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    int skip = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "init") || !strcmp(argv[i], "serve"))
            skip = 1;
    if (!skip)
        (void)cli_main(argc, argv);
    free(buf);
    return 0;
}
