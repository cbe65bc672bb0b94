/* driftwatch validate: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: validate: not implemented yet\n");
    return 3;
}
