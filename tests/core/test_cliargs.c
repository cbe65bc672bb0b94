/* Tests for the subcommands' command-line parser (core/cli/cliargs.c): value forms, flags, short
 * aliases, positional arguments, the usage-error line on stderr, -h/--help on stdout, and the
 * "-c FILE" parse of run and validate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cliargs.h"

/* What a file descriptor (1 or 2) receives between capture_start and capture_end. */
struct capture {
    FILE *stream;
    int fd, saved, tmp;
};

static void capture_start(struct capture *c, FILE *stream)
{
    char path[] = "/tmp/dwcliargs-XXXXXX";
    c->stream = stream;
    c->fd = fileno(stream);
    c->tmp = mkstemp(path);
    assert_true(c->tmp >= 0);
    unlink(path);
    fflush(stream);
    c->saved = dup(c->fd);
    dup2(c->tmp, c->fd);
}

/* Returns the captured text (static: valid until the next call). */
static const char *capture_end(struct capture *c)
{
    static char buf[4096];
    fflush(c->stream);
    dup2(c->saved, c->fd);
    close(c->saved);
    ssize_t n = pread(c->tmp, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    close(c->tmp);
    return buf;
}

enum { O_DATA, O_OUT, O_STRICT, O_POS };
static const struct cli_opt opts[] = {
    [O_DATA] = {"data", 'd', 1}, [O_OUT] = {"out", 0, 1}, [O_STRICT] = {"strict", 0, 0}, [O_POS] = {"", 0, 1}};
static const char usage[] = "usage: driftwatch demo [options]\n";

/* Parses argv (argv[0] is the command) with opts, or opts without the positional entry. */
static void start(struct cliargs *ca, char **argv, int positional)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    cliargs_init(ca, argc, argv, opts, positional ? 4 : 3, usage);
}

static void expect_next(struct cliargs *ca, int want, const char *want_value)
{
    const char *v = "unset";
    assert_int_equal(cliargs_next(ca, &v), want);
    if (want_value)
        assert_string_equal(v, want_value);
    else
        assert_null(v);
}

static void test_cliargs_value_forms_flags_and_positionals(void **state)
{
    (void)state;
    char *argv[] = {"demo", "--data", "a.csv", "--out=o.json", "-d", "b.csv", "--strict", "first",
                    "-",    "--out=", NULL};
    struct cliargs ca;
    start(&ca, argv, 1);
    expect_next(&ca, O_DATA, "a.csv");
    expect_next(&ca, O_OUT, "o.json");
    expect_next(&ca, O_DATA, "b.csv");
    expect_next(&ca, O_STRICT, NULL);
    expect_next(&ca, O_POS, "first");
    expect_next(&ca, O_POS, "-"); /* a lone '-' (stdout, stdin) is an argument, not an option */
    expect_next(&ca, O_OUT, "");
    expect_next(&ca, CLIARGS_END, NULL);
    expect_next(&ca, CLIARGS_END, NULL);
}

/* Each bad argument: CLIARGS_ERROR, the message in ca.err and the one line on stderr. */
static void expect_error(char **argv, int positional, const char *want)
{
    struct cliargs ca;
    start(&ca, argv, positional);
    struct capture out, err;
    capture_start(&out, stdout);
    capture_start(&err, stderr);
    const char *v;
    int k;
    while ((k = cliargs_next(&ca, &v)) >= 0)
        ;
    const char *printed = capture_end(&err);
    char line[2048];
    snprintf(line, sizeof line, "driftwatch demo: %s (see --help)\n", want);
    assert_string_equal(printed, line);
    assert_string_equal(capture_end(&out), "");
    assert_int_equal(k, CLIARGS_ERROR);
    assert_string_equal(ca.err, want);
}

static void test_cliargs_usage_errors(void **state)
{
    (void)state;
    expect_error((char *[]){"demo", "--bogus", NULL}, 1, "unknown option '--bogus'");
    expect_error((char *[]){"demo", "--bogus=3", NULL}, 1, "unknown option '--bogus'");
    expect_error((char *[]){"demo", "-x", NULL}, 1, "unknown option '-x'");
    expect_error((char *[]){"demo", "--", NULL}, 1, "unknown option '--'");
    expect_error((char *[]){"demo", "-data", NULL}, 0, "unexpected argument '-data'");
    expect_error((char *[]){"demo", "stray", NULL}, 0, "unexpected argument 'stray'");
    expect_error((char *[]){"demo", "--strict=yes", NULL}, 1, "option '--strict' takes no value");
    expect_error((char *[]){"demo", "--help=1", NULL}, 1, "option '--help' takes no value");
    /* the option as it was typed */
    expect_error((char *[]){"demo", "--out", "o", "-d", NULL}, 1, "option '-d' needs a value");
    expect_error((char *[]){"demo", "--data", NULL}, 1, "option '--data' needs a value");
    /* the first problem stops the parse: a later --help is not reached */
    expect_error((char *[]){"demo", "--bogus", "--help", NULL}, 1, "unknown option '--bogus'");
}

static void test_cliargs_help_prints_usage_and_stops(void **state)
{
    (void)state;
    const char *forms[] = {"-h", "--help"};
    for (size_t f = 0; f < 2; f++) {
        char *argv[] = {"demo", "--data", "a.csv", (char *)forms[f], "--bogus", NULL};
        struct cliargs ca;
        start(&ca, argv, 0);
        expect_next(&ca, O_DATA, "a.csv");
        struct capture out, err;
        capture_start(&out, stdout);
        capture_start(&err, stderr);
        const char *v;
        int k = cliargs_next(&ca, &v);
        assert_string_equal(capture_end(&err), "");
        assert_string_equal(capture_end(&out), usage);
        assert_int_equal(k, CLIARGS_HELP);
    }
}

static int config_only(char **argv, const char **path, const char **printed_out, const char **printed_err)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    static char out_text[4096], err_text[4096];
    struct capture out, err;
    capture_start(&out, stdout);
    capture_start(&err, stderr);
    int k = cliargs_config_only(argc, argv, usage, path);
    snprintf(err_text, sizeof err_text, "%s", capture_end(&err));
    snprintf(out_text, sizeof out_text, "%s", capture_end(&out));
    *printed_out = out_text;
    *printed_err = err_text;
    return k;
}

static void test_cliargs_config_only(void **state)
{
    (void)state;
    const char *path, *out, *err;
    assert_int_equal(config_only((char *[]){"run", "-c", "a.yaml", "--config=b.yaml", NULL}, &path, &out, &err),
                     CLIARGS_END);
    assert_string_equal(path, "b.yaml"); /* the last -c counts */
    assert_string_equal(out, "");

    assert_int_equal(config_only((char *[]){"run", NULL}, &path, &out, &err), CLIARGS_ERROR);
    assert_string_equal(err, "driftwatch run: missing -c FILE (see --help)\n");

    assert_int_equal(config_only((char *[]){"validate", "-c", "a.yaml", "extra", NULL}, &path, &out, &err),
                     CLIARGS_ERROR);
    assert_string_equal(err, "driftwatch validate: unexpected argument 'extra' (see --help)\n");

    assert_int_equal(config_only((char *[]){"validate", "--help", NULL}, &path, &out, &err), CLIARGS_HELP);
    assert_string_equal(out, usage);
    assert_string_equal(err, "");
}

static void test_cliargs_parse_u64(void **state)
{
    (void)state;
    unsigned long long u = 7;
    assert_int_equal(cliargs_parse_u64("10000", &u), 0);
    assert_true(u == 10000);
    assert_int_equal(cliargs_parse_u64("0", &u), 0);
    assert_true(u == 0);
    const char *bad[] = {"", "-1", "+1", "12x", " 1", " -1", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cliargs_parse_u64(bad[i], &u), -1);
    assert_int_equal(cliargs_parse_u64(NULL, &u), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cliargs_value_forms_flags_and_positionals),
        cmocka_unit_test(test_cliargs_usage_errors),
        cmocka_unit_test(test_cliargs_help_prints_usage_and_stops),
        cmocka_unit_test(test_cliargs_config_only),
        cmocka_unit_test(test_cliargs_parse_u64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
