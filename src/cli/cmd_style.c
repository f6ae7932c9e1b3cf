#include "cli.h"
static int run(cli *c, int argc, char **argv) { return 0; }
const cli_command cmd_style = {"style", "check SLD styles", "Usage: sinspace style check FILE...\n", run};
