/* driftwatch vertex: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_vertex(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: vertex: not implemented yet\n");
    return 3;
}
