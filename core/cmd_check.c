/* driftwatch check: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: check: not implemented yet\n");
    return 3;
}
