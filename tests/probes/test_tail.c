/* Tests for the tail probe on real files: rotation by rename+create, truncation, partial lines,
 * restarts that neither lose nor repeat a line, malformed lines reported as file:line. */
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "plugin/host.h"
#include "util/metrics.h"
#include "probe_harness.h"

static char *dir;
static char logpath[512];

static int setup(void **state)
{
    dir = harness_tmpdir();
    snprintf(logpath, sizeof logpath, "%s/predictions.jsonl", dir);
    host_set_state_dir(dir);
    capture_install();
    capture_reset();
    metrics_reset();
    return 0;
}

static int teardown(void **state)
{
    harness_rmtree(dir);
    free(dir);
    return 0;
}

static struct plugin_instance *start_tail(const char *extra)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "plugin: tail\nmodel: fraud\npath: %s\npoll: 10ms\n%s", logpath, extra ? extra : "");
    struct plugin_instance *pi = harness_create(yaml, DW_KIND_PROBE, NULL, 0);
    harness_start(pi);
    return pi;
}

/* Lines {"features": {"n": first}} .. {"features": {"n": last}}. */
static char *lines(int first, int last)
{
    static char buf[8192];
    size_t used = 0;
    buf[0] = '\0';
    for (int i = first; i <= last; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "{\"features\": {\"n\": %d}}\n", i);
    return buf;
}

/* The captured samples are exactly n = first..last, in order. */
static void expect_sequence(int first, int last)
{
    size_t want = (size_t)(last - first + 1);
    size_t got = capture_wait(want, 5000);
    harness_sleep_ms(60); /* a few more polls: nothing extra may arrive */
    got = capture_count();
    if (got != want)
        fail_msg("captured %zu samples, expected %zu", got, want);
    for (size_t i = 0; i < want; i++) {
        json_t *n = json_object_get(json_object_get(capture_get(i), "features"), "n");
        if (json_integer_value(n) != first + (json_int_t)i)
            fail_msg("sample %zu has n=%lld, expected %d", i, (long long)json_integer_value(n), first + (int)i);
    }
}

static void test_tail_from_end_reads_only_new_lines(void **state)
{
    write_file(logpath, lines(1, 2));
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    append_file(logpath, lines(3, 5));
    expect_sequence(3, 5);
    plugin_instance_free(pi);
}

static void test_tail_from_beginning_reads_existing_lines(void **state)
{
    write_file(logpath, lines(1, 4));
    struct plugin_instance *pi = start_tail("from: beginning\n");
    expect_sequence(1, 4);
    plugin_instance_free(pi);
}

static void test_tail_file_created_after_start_is_read_whole(void **state)
{
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    write_file(logpath, lines(1, 3));
    expect_sequence(1, 3);
    plugin_instance_free(pi);
}

static void test_tail_waits_for_the_newline_of_a_partial_line(void **state)
{
    write_file(logpath, "");
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    append_file(logpath, "{\"features\": {\"n\": 1}}\n{\"features\": {\"n\"");
    assert_int_equal(capture_wait(1, 5000), 1);
    harness_sleep_ms(100);
    assert_int_equal(capture_count(), 1); /* the half line is not taken, nor reported */
    append_file(logpath, ": 2}}\n");
    expect_sequence(1, 2);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"malformed\"}") == -1);
    plugin_instance_free(pi);
}

/* logrotate without copytruncate: the file is renamed, the writer still appends a line through its
 * old descriptor, then a new file is created. Nothing is lost, nothing read twice. */
static void test_tail_follows_rotation_by_rename_and_create(void **state)
{
    write_file(logpath, "");
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    FILE *writer = fopen(logpath, "a");
    fputs(lines(1, 3), writer);
    fflush(writer);
    assert_int_equal(capture_wait(3, 5000), 3);
    char rotated[600];
    snprintf(rotated, sizeof rotated, "%s.1", logpath);
    assert_int_equal(rename(logpath, rotated), 0);
    fputs(lines(4, 4), writer); /* late write into the rotated file */
    fclose(writer);
    harness_sleep_ms(50);
    write_file(logpath, lines(5, 6));
    expect_sequence(1, 6);
    /* And a second rotation. */
    char rotated2[600];
    snprintf(rotated2, sizeof rotated2, "%s.2", logpath);
    assert_int_equal(rename(rotated, rotated2), 0);
    assert_int_equal(rename(logpath, rotated), 0);
    write_file(logpath, lines(7, 8));
    expect_sequence(1, 8);
    plugin_instance_free(pi);
}

static void test_tail_restarts_from_the_start_after_truncation(void **state)
{
    write_file(logpath, "");
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    append_file(logpath, lines(1, 3));
    assert_int_equal(capture_wait(3, 5000), 3);
    /* copytruncate: the file is emptied in place, then written again (shorter than before). */
    assert_int_equal(truncate(logpath, 0), 0);
    harness_sleep_ms(50);
    append_file(logpath, lines(4, 4));
    expect_sequence(1, 4);
    plugin_instance_free(pi);
}

static void test_tail_resumes_after_restart_without_loss_or_repeat(void **state)
{
    write_file(logpath, lines(1, 3));
    struct plugin_instance *pi = start_tail("from: beginning\n");
    expect_sequence(1, 3);
    plugin_instance_free(pi);
    /* While stopped: more lines, one of them still half written. */
    append_file(logpath, lines(4, 6));
    append_file(logpath, "{\"features\": {\"n\": 7");
    pi = start_tail("from: beginning\n"); /* `from` no longer matters: the saved offset does */
    expect_sequence(1, 6);
    plugin_instance_free(pi);
    append_file(logpath, "}}\n");
    pi = start_tail(NULL);
    expect_sequence(1, 7);
    plugin_instance_free(pi);
}

static void test_tail_resumes_after_restart_across_rotation(void **state)
{
    write_file(logpath, "");
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    append_file(logpath, lines(1, 2));
    expect_sequence(1, 2);
    plugin_instance_free(pi);
    /* While stopped: two lines more, then the file is rotated and the new one gets two lines. */
    append_file(logpath, lines(3, 4));
    char rotated[600];
    snprintf(rotated, sizeof rotated, "%s.1", logpath);
    assert_int_equal(rename(logpath, rotated), 0);
    write_file(logpath, lines(5, 6));
    pi = start_tail(NULL);
    expect_sequence(1, 6);
    plugin_instance_free(pi);
}

/* Issue #15: the file was renamed while the probe was stopped and its successor is not created
 * yet. The writer still appends to the renamed file; the restarted probe must follow it (as a
 * running probe does) until the new file appears, not read it once and drop what comes later. */
static void test_tail_restart_follows_a_renamed_file_until_its_successor_appears(void **state)
{
    write_file(logpath, lines(1, 2));
    struct plugin_instance *pi = start_tail("from: beginning\n");
    expect_sequence(1, 2);
    plugin_instance_free(pi);
    char rotated[600];
    snprintf(rotated, sizeof rotated, "%s.1", logpath);
    assert_int_equal(rename(logpath, rotated), 0);
    append_file(rotated, lines(3, 4));
    pi = start_tail(NULL);
    expect_sequence(1, 4); /* the rest of the renamed file, read at start */
    append_file(rotated, lines(5, 6)); /* the writer has not reopened yet */
    expect_sequence(1, 6);
    write_file(logpath, lines(7, 8)); /* the successor appears */
    expect_sequence(1, 8);
    plugin_instance_free(pi);
}

/* Runs fn with stderr sent to a file; returns what was logged (malloc'd). */
static char *stderr_during(void (*fn)(void))
{
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.log", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void run_malformed(void)
{
    write_file(logpath, lines(1, 5));
    struct plugin_instance *pi = start_tail(NULL); /* from the end: numbering continues at 6 */
    harness_sleep_ms(50);
    append_file(logpath, "{\"features\": {\"n\": 6}}\nnot json\n{\"features\": 3}\n\n{\"features\": {\"n\": 10}}\n");
    capture_wait(2, 5000);
    harness_sleep_ms(50);
    plugin_instance_free(pi);
}

static void test_tail_reports_malformed_lines_with_file_and_line(void **state)
{
    char *logged = stderr_during(run_malformed);
    assert_int_equal(capture_count(), 2);
    char want[700];
    snprintf(want, sizeof want, "%s:7: skipped: invalid JSON at column", logpath);
    if (!strstr(logged, want))
        fail_msg("log lacks '%s':\n%s", want, logged);
    snprintf(want, sizeof want, "%s:8: skipped: $.features: 'features' must be an object", logpath);
    if (!strstr(logged, want))
        fail_msg("log lacks '%s':\n%s", want, logged);
    free(logged);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"malformed\"}") == 2);
    assert_true(metric_value("driftwatch_samples_received_total", "{model=\"fraud\",probe=\"tail\"}") == 4);
}

static void test_tail_skips_lines_longer_than_max_line(void **state)
{
    write_file(logpath, "");
    struct plugin_instance *pi = start_tail("max_line: 64\n");
    harness_sleep_ms(50);
    char longline[400];
    snprintf(longline, sizeof longline, "{\"features\": {\"pad\": \"%0300d\"}}\n", 0);
    append_file(logpath, lines(1, 1));
    append_file(logpath, longline);
    append_file(logpath, lines(2, 2));
    expect_sequence(1, 2);
    assert_true(metric_value("driftwatch_samples_rejected_total", "{model=\"fraud\",reason=\"line_too_long\"}") == 1);
    plugin_instance_free(pi);
}

/* While the core cannot take samples, the position does not move; once it can, every line arrives once. */
static void test_tail_keeps_lines_while_the_pipeline_is_down(void **state)
{
    capture_set_refuse(DW_INGEST_UNAVAILABLE);
    write_file(logpath, "");
    struct plugin_instance *pi = start_tail(NULL);
    harness_sleep_ms(50);
    append_file(logpath, lines(1, 3));
    harness_sleep_ms(100);
    assert_int_equal(capture_count(), 0);
    capture_set_refuse(0);
    expect_sequence(1, 3);
    plugin_instance_free(pi);
}

/* Bounds and choices of single options are the option table's, enforced by the loader. */
static void test_tail_rejects_bad_options(void **state)
{
    char err[1024];
    assert_null(harness_create("plugin: tail\nmodel: m\npath: /x\nfrom: middle\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "plugin 'tail': option 'from' must be one of beginning, end (got 'middle')"));
    assert_null(harness_create("plugin: tail\nmodel: m\npath: /x\nmax_line: 8\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'max_line' must be at least 16 (got '8')"));
    assert_null(harness_create("plugin: tail\nmodel: m\npath: /x\nmax_line: 64M\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "option 'max_line' must be at most 32M (got '64M')"));
    assert_null(harness_create("plugin: tail\nmodel: m\n", DW_KIND_PROBE, err, sizeof err));
    assert_non_null(strstr(err, "path"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tail_from_end_reads_only_new_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_from_beginning_reads_existing_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_file_created_after_start_is_read_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_waits_for_the_newline_of_a_partial_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_follows_rotation_by_rename_and_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_restarts_from_the_start_after_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_resumes_after_restart_without_loss_or_repeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_resumes_after_restart_across_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_restart_follows_a_renamed_file_until_its_successor_appears, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tail_reports_malformed_lines_with_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_skips_lines_longer_than_max_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_keeps_lines_while_the_pipeline_is_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_rejects_bad_options, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    return rc;
}
