/* Option parsing for every subcommand: `--name value`, `--name=value`, flags, `-x` short aliases,
 * and positional arguments where a command takes them; no global state (unlike getopt). */
#ifndef DW_DATA_CLIARGS_H
#define DW_DATA_CLIARGS_H

#include <stddef.h>

struct cli_opt {
    const char *name;  /* long name without dashes; "" for the command's positional arguments */
    char short_name;   /* 0: none */
    int has_value;
};

/* Returns the index of the option matched at argv[*i] and sets *value (NULL for flags), advancing
 * *i; a non-option argument matches the "" entry (its text in *value), else it is an error; -1 at
 * the end; -2 on an error (unknown option, missing value, stray argument) with err. */
int cliargs_next(int argc, char **argv, int *i, const struct cli_opt *opts, size_t nopts, const char **value,
                 char *err, size_t errlen);

/* Parses a non-negative integer ("10000"); returns 0 or -1. */
int cliargs_parse_u64(const char *s, unsigned long long *out);

#endif

/* ---- terminal feedback for the data subcommands (CLI layer only: these print to stderr) ---- */

#include <stdint.h>

struct cli_feedback {
    const char *command;    /* "baseline", "check", ... for message prefixes */
    int tty;                /* stderr is a terminal */
    uint64_t min_bytes;     /* show progress only for files at least this big */
    int shown;              /* a progress line is on screen */
    uint64_t bad_rows;      /* bad rows seen */
    uint64_t max_messages;  /* bad-row messages printed before going quiet */
};

void cli_feedback_init(struct cli_feedback *fb, const char *command);
/* source/baseline callbacks (ud = struct cli_feedback *) */
void cli_feedback_progress(void *ud, const char *phase, uint64_t done, uint64_t total);
void cli_feedback_bad_row(void *ud, const char *msg);
/* Clears the progress line and says how many bad-row messages were not shown. */
void cli_feedback_finish(struct cli_feedback *fb);
