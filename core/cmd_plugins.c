/* driftwatch plugins: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_plugins(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: plugins: not implemented yet\n");
    return 3;
}
