/* Tests for the logfmt logger: line shape, quoting, level filtering and secret redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Runs fn with stderr redirected to a temp file and returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/dwlog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return buf;
}

static void emit_lines(void)
{
    log_set_level(DW_LOG_INFO);
    log_debug("core", "hidden");
    log_warn("push", "bad \"sample\" at line %d\nnext", 3);
}

static void test_log_logfmt_line_with_quoting_and_levels(void **state)
{
    char *out = capture_stderr(emit_lines);
    assert_null(strstr(out, "hidden"));
    assert_true(strncmp(out, "ts=", 3) == 0);
    assert_non_null(strstr(out, "Z level=warn component=push msg=\"bad \\\"sample\\\" at line 3\\nnext\"\n"));
}

static void emit_secret(void)
{
    log_add_secret("hunter2-token");
    log_error("vertex", "request failed with Authorization: Bearer hunter2-token (twice: hunter2-token)");
}

static void test_log_redacts_registered_secrets(void **state)
{
    char *out = capture_stderr(emit_secret);
    assert_null(strstr(out, "hunter2"));
    assert_non_null(strstr(out, "Bearer [REDACTED] (twice: [REDACTED])"));
    log_clear_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_logfmt_line_with_quoting_and_levels),
        cmocka_unit_test(test_log_redacts_registered_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
