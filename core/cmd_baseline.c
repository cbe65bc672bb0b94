/* driftwatch baseline: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_baseline(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: baseline: not implemented yet\n");
    return 3;
}
