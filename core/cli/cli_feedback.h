/* Terminal feedback of the data subcommands (baseline, check, report): a progress bar for big
 * files and bad-row warnings, on stderr. */
#ifndef DW_CLI_FEEDBACK_H
#define DW_CLI_FEEDBACK_H

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

#endif
