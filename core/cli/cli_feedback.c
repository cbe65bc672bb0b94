/* Progress and bad-row warnings on stderr for the data subcommands; see cli_feedback.h. */
#include "cli/cli_feedback.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cli_feedback_init(struct cli_feedback *fb, const char *command)
{
    memset(fb, 0, sizeof *fb);
    fb->command = command;
    fb->tty = isatty(STDERR_FILENO);
    fb->min_bytes = 64u << 20;
    fb->max_messages = 20;
}

void cli_feedback_progress(void *ud, const char *phase, uint64_t done, uint64_t total)
{
    struct cli_feedback *fb = ud;
    if (!fb->tty || total < fb->min_bytes)
        return;
    int pct = total ? (int)(done * 100 / total) : 0;
    int bar = pct * 30 / 100;
    fprintf(stderr, "\r%s: %-8s [%.*s%*s] %3d%% %llu/%llu MB", fb->command, phase, bar,
            "##############################", 30 - bar, "", pct, (unsigned long long)(done >> 20),
            (unsigned long long)(total >> 20));
    fflush(stderr);
    fb->shown = 1;
}

static void clear_line(struct cli_feedback *fb)
{
    if (fb->shown) {
        fputs("\r\033[K", stderr);
        fb->shown = 0;
    }
}

void cli_feedback_bad_row(void *ud, const char *msg)
{
    struct cli_feedback *fb = ud;
    fb->bad_rows++;
    if (fb->bad_rows > fb->max_messages)
        return;
    clear_line(fb);
    fprintf(stderr, "driftwatch %s: warning: %s\n", fb->command, msg);
}

void cli_feedback_finish(struct cli_feedback *fb)
{
    clear_line(fb);
    if (fb->bad_rows > fb->max_messages)
        fprintf(stderr, "driftwatch %s: warning: %llu more bad rows not shown\n", fb->command,
                (unsigned long long)(fb->bad_rows - fb->max_messages));
}
