/* driftwatch report: placeholder until the subcommand lands. */
#include <stdio.h>
#include "commands.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftwatch: report: not implemented yet\n");
    return 3;
}
