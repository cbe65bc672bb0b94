/* The subcommands' command-line parser; see cliargs.h. */
#include "cli/cliargs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every command's -h/--help; cliargs_next gives it index nopts while matching. */
static const struct cli_opt help_opt = {"help", 'h', 0};

void cliargs_init(struct cliargs *ca, int argc, char **argv, const struct cli_opt *opts, size_t nopts,
                  const char *usage)
{
    ca->argc = argc;
    ca->argv = argv;
    ca->opts = opts;
    ca->nopts = nopts;
    ca->usage = usage;
    ca->next = 1;
    ca->err[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static int usage_error(struct cliargs *ca, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ca->err, sizeof ca->err, fmt, ap);
    va_end(ap);
    fprintf(stderr, "driftwatch %s: %s (see --help)\n", ca->argv[0], ca->err);
    return CLIARGS_ERROR;
}

static const struct cli_opt *opt_at(const struct cliargs *ca, size_t k)
{
    return k == ca->nopts ? &help_opt : &ca->opts[k];
}

/* The index of the option named name[0..len) ("" for positional arguments), nopts for help, -1 if none. */
static int find_long(const struct cliargs *ca, const char *name, size_t len)
{
    for (size_t k = 0; k <= ca->nopts; k++) {
        const char *n = opt_at(ca, k)->name;
        if (strlen(n) == len && strncmp(n, name, len) == 0)
            return (int)k;
    }
    return -1;
}

static int find_short(const struct cliargs *ca, char c)
{
    for (size_t k = 0; k <= ca->nopts; k++)
        if (opt_at(ca, k)->short_name == c)
            return (int)k;
    return -1;
}

int cliargs_next(struct cliargs *ca, const char **value)
{
    *value = NULL;
    if (ca->next >= ca->argc)
        return CLIARGS_END;
    const char *a = ca->argv[ca->next];
    const char *inline_value = NULL;
    int k;
    if (a[0] == '-' && a[1] == '-' && a[2]) {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if ((k = find_long(ca, name, len)) < 0)
            return usage_error(ca, "unknown option '--%.*s'", (int)len, name);
        inline_value = eq ? eq + 1 : NULL;
    } else if (a[0] == '-' && a[1] && !a[2]) {
        if ((k = find_short(ca, a[1])) < 0)
            return usage_error(ca, "unknown option '%s'", a);
    } else {
        if ((k = find_long(ca, "", 0)) < 0)
            return usage_error(ca, "unexpected argument '%s'", a);
        *value = ca->argv[ca->next++];
        return k;
    }
    ca->next++;
    const struct cli_opt *o = opt_at(ca, (size_t)k);
    if (!o->has_value) {
        if (inline_value)
            return usage_error(ca, "option '--%s' takes no value", o->name);
        if (o == &help_opt) {
            fputs(ca->usage, stdout);
            return CLIARGS_HELP;
        }
        return k;
    }
    if (inline_value) {
        *value = inline_value;
        return k;
    }
    if (ca->next >= ca->argc)
        return usage_error(ca, "option '%s' needs a value", a); /* as it was typed: -c or --config */
    *value = ca->argv[ca->next++];
    return k;
}

int cliargs_config_only(int argc, char **argv, const char *usage, const char **config_path)
{
    static const struct cli_opt opts[] = {{"config", 'c', 1}};
    struct cliargs ca;
    cliargs_init(&ca, argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    const char *v;
    int k;
    *config_path = NULL;
    while ((k = cliargs_next(&ca, &v)) >= 0)
        *config_path = v;
    if (k == CLIARGS_END && !*config_path)
        return usage_error(&ca, "missing -c FILE");
    return k;
}

int cliargs_parse_u64(const char *s, unsigned long long *out)
{
    /* strtoull would skip blanks and take a sign (" -1" is ULLONG_MAX): digits only */
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}
