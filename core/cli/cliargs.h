/* The command-line parser of every subcommand: `--name value`, `--name=value`, flags, `-x` short
 * aliases, positional arguments where a command takes them, and -h/--help, with the usage-error
 * line and the help text printed here so each command only handles its own options; no global
 * state (unlike getopt). */
#ifndef DW_CLI_CLIARGS_H
#define DW_CLI_CLIARGS_H

#include <stddef.h>

struct cli_opt {
    const char *name;  /* long name without dashes; "" for the command's positional arguments */
    char short_name;   /* 0: none */
    int has_value;
};

/* One subcommand's arguments being read. argv[0] is the subcommand's name (as main passes it):
 * messages start "driftwatch <argv[0]>: ". -h/--help is every command's: tables do not list it. */
struct cliargs {
    int argc;
    char **argv;
    const struct cli_opt *opts;
    size_t nopts;
    const char *usage;  /* the command's help text */
    int next;           /* index in argv of the next argument */
    char err[1024];     /* the last usage error, as printed after the prefix */
};

enum {
    CLIARGS_END = -1,   /* every argument read */
    CLIARGS_HELP = -2,  /* -h/--help: the usage was printed on stdout (the command exits 0) */
    CLIARGS_ERROR = -3, /* a usage error (unknown option, missing value, stray argument) was printed
                         * on stderr as "driftwatch CMD: what (see --help)" */
};

void cliargs_init(struct cliargs *ca, int argc, char **argv, const struct cli_opt *opts, size_t nopts,
                  const char *usage);

/* Reads the next argument: returns the index in opts of the option it is, with *value its value
 * (NULL for a flag) or, for the "" entry, the argument itself; else CLIARGS_END, CLIARGS_HELP or
 * CLIARGS_ERROR. */
int cliargs_next(struct cliargs *ca, const char **value);

/* The whole parse of commands that take only "-c FILE" (run, validate): CLIARGS_END with
 * *config_path set, CLIARGS_HELP, or CLIARGS_ERROR (a missing -c is one too). */
int cliargs_config_only(int argc, char **argv, const char *usage, const char **config_path);

/* Parses a non-negative integer, decimal digits only ("10000"); returns 0 or -1. */
int cliargs_parse_u64(const char *s, unsigned long long *out);

#endif
