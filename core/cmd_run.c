/* driftwatch run: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: run: not implemented yet\n");
    return 3;
}
