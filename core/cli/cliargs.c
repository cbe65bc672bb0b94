/* Option parsing for the subcommands; see cliargs.h. */
#include "cli/cliargs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cliargs_next(int argc, char **argv, int *i, const struct cli_opt *opts, size_t nopts, const char **value,
                 char *err, size_t errlen)
{
    *value = NULL;
    if (*i >= argc)
        return -1;
    const char *a = argv[*i];
    size_t k;
    const char *inline_value = NULL;
    if (a[0] == '-' && a[1] == '-' && a[2]) {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0)
                break;
        if (k == nopts) {
            snprintf(err, errlen, "unknown option '--%.*s'", (int)len, name);
            return -2;
        }
        inline_value = eq ? eq + 1 : NULL;
    } else if (a[0] == '-' && a[1] && !a[2]) {
        for (k = 0; k < nopts; k++)
            if (opts[k].short_name && opts[k].short_name == a[1])
                break;
        if (k == nopts) {
            snprintf(err, errlen, "unknown option '%s'", a);
            return -2;
        }
    } else {
        for (k = 0; k < nopts; k++)
            if (!opts[k].name[0])
                break;
        if (k == nopts) {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return -2;
        }
        *value = argv[(*i)++];
        return (int)k;
    }
    (*i)++;
    if (!opts[k].has_value) {
        if (inline_value) {
            snprintf(err, errlen, "option '--%s' takes no value", opts[k].name);
            return -2;
        }
        return (int)k;
    }
    if (inline_value) {
        *value = inline_value;
        return (int)k;
    }
    if (*i >= argc) {
        snprintf(err, errlen, "option '%s' needs a value", a); /* as it was typed: -c or --config */
        return -2;
    }
    *value = argv[(*i)++];
    return (int)k;
}

int cliargs_parse_u64(const char *s, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

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
