/* The subcommands of the driftwatch CLI; main() dispatches to them.
 * Each takes the arguments after the subcommand name (argv[0] is the subcommand) and returns the exit code. */
#ifndef DW_COMMANDS_H
#define DW_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_vertex(int argc, char **argv);

#endif
