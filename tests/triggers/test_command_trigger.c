/* Tests of the `command` trainer plugin, loaded from command.so as the agent loads it: argv runs
 * without a shell, the drift context in the environment, timeouts that end the process group,
 * failures with the output tail, dry runs, and one run per key across restarts. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/host.h"
#include "http/http_client.h"
#include "util/log.h"
#include "util/metrics.h"
#include "trig_harness.h"

#define KEY "fraud-0f3e8a1b2c4d-2024-05-01T12:00:00Z"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A process exists and is not a zombie (an orphan nobody reaps stays a zombie in a container). */
static int proc_alive(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    char *s = trig_read_file(path);
    if (!s)
        return 0;
    char *p = strrchr(s, ')');
    int alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    free(s);
    return alive;
}

static long read_pid(const char *path)
{
    for (int i = 0; i < 100; i++) {
        char *s = trig_read_file(path);
        long pid = s ? strtol(s, NULL, 10) : 0;
        free(s);
        if (pid > 0)
            return pid;
        usleep(20000);
    }
    return 0;
}

static size_t count_lines(const char *path)
{
    char *s = trig_read_file(path);
    size_t n = 0;
    for (char *p = s; p && *p; p++)
        n += *p == '\n';
    free(s);
    return n;
}

/* Opens an instance with its own state dir (unless state is given) from a printf'd YAML mapping. */
static void open_cmd(struct trig_instance *ti, const char *instance, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void open_cmd(struct trig_instance *ti, const char *instance, const char *fmt, ...)
{
    char yaml[4096], err[512] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(yaml, sizeof yaml, fmt, ap);
    va_end(ap);
    if (trig_open(ti, "command", instance, yaml, err, sizeof err) < 0)
        fail_msg("init failed: %s\nconfig:\n%s", err, yaml);
    assert_int_equal(trig_start(ti, err, sizeof err), 0);
}

static int setup(void **state)
{
    char *dir = trig_new_dir("case");
    trig_state_dir(dir);
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The arguments reach the program byte for byte: no word splitting, no expansion, no ';'. */
static void test_command_runs_argv_without_a_shell(void **state)
{
    const char *dir = *state;
    char script[4096], out[4096], pwned[4096];
    snprintf(script, sizeof script, "%s/args.sh", dir);
    snprintf(out, sizeof out, "%s/args.out", dir);
    snprintf(pwned, sizeof pwned, "%s/pwned", dir);
    trig_write_file(script, "#!/bin/sh\nout=\"$1\"; shift\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$out\"\n",
                    1);
    struct trig_instance ti;
    open_cmd(&ti, "literal", "argv: ['%s', '%s', 'a;b', '$(touch %s)', 'two words', '`id`', '$HOME', '\"q\"', "
             "'x > y']\n", script, out, pwned);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "SUCCEEDED");
    assert_true(strncmp(res.job_id, "pid:", 4) == 0);
    char *got = trig_read_file(out);
    char want[8192];
    snprintf(want, sizeof want, "a;b\n$(touch %s)\ntwo words\n`id`\n$HOME\n\"q\"\nx > y\n", pwned);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(access(pwned, F_OK), -1);
    free(got);
    trig_close(&ti);
}

/* The drift context arrives as DRIFTWATCH_* (winning over `env`), configured env is added and the
 * agent's environment is inherited by default. */
static void test_command_sets_drift_context_env_vars(void **state)
{
    const char *dir = *state;
    char script[4096], out[4096];
    snprintf(script, sizeof script, "%s/env.sh", dir);
    snprintf(out, sizeof out, "%s/env.out", dir);
    trig_write_file(script, "#!/bin/sh\nenv | grep -E '^(DRIFTWATCH_|EXTRA_|DW_TEST_INHERITED=)' | LC_ALL=C sort > \"$1\"\n",
                    1);
    setenv("DW_TEST_INHERITED", "yes", 1);
    struct trig_instance ti;
    open_cmd(&ti, "retrain", "argv: ['%s', '%s']\nenv: ['EXTRA_SETTING=x=y z', 'DRIFTWATCH_KEY=not-this']\n", script,
             out);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    char *got = trig_read_file(out);
    assert_non_null(got);
    assert_string_equal(got, "DRIFTWATCH_DATA_VERSION=0f3e8a1b2c4d\n"
                             "DRIFTWATCH_DRIFTED_FEATURES=amount,country\n"
                             "DRIFTWATCH_DRY_RUN=0\n"
                             "DRIFTWATCH_KEY=" KEY "\n"
                             "DRIFTWATCH_MODEL=fraud\n"
                             "DRIFTWATCH_TRAINER=retrain\n"
                             "DRIFTWATCH_WINDOW_END=2024-05-01T12:00:00Z\n"
                             "DW_TEST_INHERITED=yes\n"
                             "EXTRA_SETTING=x=y z\n");
    free(got);
    trig_close(&ti);

    /* inherit_env: false keeps PATH (and the like) but not the rest of the agent's environment. */
    snprintf(script, sizeof script, "%s/env2.sh", dir);
    trig_write_file(script, "#!/bin/sh\n{ env | grep -c '^DW_TEST_INHERITED=' ; test -n \"$PATH\" && echo path; } > \"$1\"\n",
                    1);
    open_cmd(&ti, "retrain2", "argv: ['%s', '%s']\ninherit_env: false\n", script, out);
    ev = trig_event("key-minimal-env", 0);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    got = trig_read_file(out);
    assert_string_equal(got, "0\npath\n");
    free(got);
    trig_close(&ti);
    unsetenv("DW_TEST_INHERITED");
}

/* SIGTERM to the whole group at the timeout, SIGKILL after the grace period for members that
 * ignore it: no process of the command survives. */
static void test_command_timeout_kills_the_process_group(void **state)
{
    const char *dir = *state;
    char bg[4096], leader[4096];
    snprintf(bg, sizeof bg, "%s/bg.pid", dir);
    snprintf(leader, sizeof leader, "%s/leader.pid", dir);
    struct trig_instance ti;
    /* The shell and its background sleep both ignore SIGTERM (an ignored signal is inherited). */
    open_cmd(&ti, "slow", "argv: [/bin/sh, -c, \"trap '' TERM; echo $$ > %s; sleep 60 & echo $! > %s; echo waiting; "
             "wait\"]\ntimeout: 500ms\nkill_grace: 700ms\n", leader, bg);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    int64_t t0 = mono_ms();
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    int64_t took = mono_ms() - t0;
    assert_string_equal(res.state, "TIMEOUT");
    assert_non_null(strstr(err, "timed out"));
    assert_non_null(strstr(err, "waiting"));
    assert_true(took >= 1100 && took < 5000);
    long bg_pid = read_pid(bg), leader_pid = read_pid(leader);
    assert_true(bg_pid > 0 && leader_pid > 0);
    for (int i = 0; i < 50 && (proc_alive(bg_pid) || proc_alive(leader_pid)); i++)
        usleep(20000);
    assert_false(proc_alive(leader_pid));
    assert_false(proc_alive(bg_pid));
    trig_close(&ti);

    /* Members that honour SIGTERM end at once: no waiting out the grace period. */
    open_cmd(&ti, "slow2", "argv: [/bin/sh, -c, \"sleep 60 & echo $! > %s; sleep 60\"]\ntimeout: 300ms\n"
             "kill_grace: 20s\n", bg);
    unlink(bg);
    t0 = mono_ms();
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    assert_true(mono_ms() - t0 < 3000);
    assert_string_equal(res.state, "TIMEOUT");
    bg_pid = read_pid(bg);
    for (int i = 0; i < 50 && proc_alive(bg_pid); i++)
        usleep(20000);
    assert_false(proc_alive(bg_pid));
    trig_close(&ti);
}

/* A non-zero exit is FAILED, and the error carries the exit status and the output's tail (stdout
 * and stderr together). */
static void test_command_nonzero_exit_fails_with_output_tail(void **state)
{
    struct trig_instance ti;
    open_cmd(&ti, "failing", "argv: [/bin/sh, -c, \"echo starting; echo 'boom: bad data in train.csv' >&2; exit 3\"]\n");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    capture_start();
    int rc = trig_fire(&ti, &ev, &res, err, sizeof err);
    char *log = capture_stop();
    assert_int_equal(rc, -1);
    assert_string_equal(res.state, "FAILED");
    assert_non_null(strstr(err, "exited with status 3"));
    assert_non_null(strstr(err, "starting"));
    assert_non_null(strstr(err, "boom: bad data in train.csv"));
    assert_non_null(strstr(log, "level=error"));
    assert_non_null(strstr(log, "boom: bad data in train.csv"));
    free(log);
    trig_close(&ti);

    /* Long output: the newest part is kept (the error ends with it), the beginning is dropped. */
    open_cmd(&ti, "chatty", "argv: [/bin/sh, -c, \"i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; "
             "echo LAST-LINE; exit 1\"]\n");
    capture_start();
    rc = trig_fire(&ti, &ev, &res, err, sizeof err);
    log = capture_stop();
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "LAST-LINE"));
    assert_null(strstr(err, "line 0\n"));
    assert_non_null(strstr(log, "(last 4 KB)"));
    assert_non_null(strstr(log, "line 2999"));
    assert_null(strstr(log, "line 100\\n"));
    free(log);
    trig_close(&ti);
}

/* A dry run builds and logs the command, its directory and context, and runs nothing. */
static void test_command_dry_run_runs_nothing(void **state)
{
    const char *dir = *state;
    char marker[4096];
    snprintf(marker, sizeof marker, "%s/marker", dir);
    struct trig_instance ti;
    open_cmd(&ti, "dry", "argv: [/usr/bin/touch, '%s']\ncwd: '%s'\nenv: ['SECRET_KEY=hunter2']\n", marker, dir);
    struct dw_trigger_event ev = trig_event(KEY, 1);
    struct dw_trigger_result res;
    char err[512];
    capture_start();
    int rc = trig_fire(&ti, &ev, &res, err, sizeof err);
    char *log = capture_stop();
    assert_int_equal(rc, 0);
    assert_string_equal(res.state, "DRY_RUN");
    assert_string_equal(res.job_id, KEY);
    usleep(100000);
    assert_int_equal(access(marker, F_OK), -1);
    assert_non_null(strstr(log, "dry run: would run `/usr/bin/touch"));
    assert_non_null(strstr(log, "DRIFTWATCH_KEY=" KEY));
    assert_non_null(strstr(log, "SECRET_KEY"));
    assert_null(strstr(log, "hunter2"));
    free(log);
    char record[4096];
    snprintf(record, sizeof record, "%s/command-dry.json", dir);
    assert_int_equal(access(record, F_OK), -1);
    trig_close(&ti);
}

/* One run per key: a second trigger with the same key is answered from the record, also by a new
 * instance (a restart); another key runs. */
static void test_command_same_key_runs_once_also_after_restart(void **state)
{
    const char *dir = *state;
    char count[4096];
    snprintf(count, sizeof count, "%s/count", dir);
    const char *cfg = "argv: [/bin/sh, -c, 'echo \"ran $DRIFTWATCH_KEY\" >> %s']\n";
    struct trig_instance ti;
    open_cmd(&ti, "once", cfg, count);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512], first_job[256];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "SUCCEEDED");
    snprintf(first_job, sizeof first_job, "%s", res.job_id);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "SUCCEEDED");
    assert_string_equal(res.job_id, first_job);
    assert_int_equal(count_lines(count), 1);
    trig_close(&ti);

    char record[4096];
    snprintf(record, sizeof record, "%s/command-once.json", dir);
    char *text = trig_read_file(record);
    assert_non_null(text);
    assert_non_null(strstr(text, KEY));
    assert_non_null(strstr(text, "\"succeeded\""));
    free(text);

    open_cmd(&ti, "once", cfg, count); /* restart: a new instance reads the record */
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "SUCCEEDED");
    assert_string_equal(res.job_id, first_job);
    assert_int_equal(count_lines(count), 1);
    ev = trig_event("fraud-0f3e8a1b2c4d-2024-05-02T12:00:00Z", 0);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_int_equal(count_lines(count), 2);
    trig_close(&ti);

    char *metrics = metrics_text();
    assert_non_null(strstr(metrics, "driftwatch_trainer_runs_total{plugin=\"once\",result=\"succeeded\"} 2"));
    assert_non_null(strstr(metrics, "driftwatch_trainer_runs_total{plugin=\"once\",result=\"skipped\"} 2"));
    assert_non_null(strstr(metrics, "driftwatch_trainer_last_duration_seconds{plugin=\"once\"}"));
    free(metrics);
}

/* A failed run is not recorded: the core's retry at the next drifted check runs the key again. */
static void test_command_failed_key_runs_again(void **state)
{
    const char *dir = *state;
    char count[4096], flag[4096];
    snprintf(count, sizeof count, "%s/count", dir);
    snprintf(flag, sizeof flag, "%s/flag", dir);
    struct trig_instance ti;
    open_cmd(&ti, "flaky", "argv: [/bin/sh, -c, 'echo run >> %s; if [ -f %s ]; then exit 0; fi; touch %s; exit 1']\n",
             count, flag, flag);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    assert_string_equal(res.state, "FAILED");
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "SUCCEEDED");
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_int_equal(count_lines(count), 2);
    trig_close(&ti);
}

/* shell: true runs the one string with /bin/sh -c: expansions and pipes work. */
static void test_command_shell_true_runs_through_sh(void **state)
{
    const char *dir = *state;
    char out[4096];
    snprintf(out, sizeof out, "%s/shell.out", dir);
    struct trig_instance ti;
    open_cmd(&ti, "shelly", "shell: true\ncwd: '%s'\nargv: 'printf \"%%s\\n\" \"$DRIFTWATCH_MODEL\" | tr a-z A-Z > "
             "shell.out; echo \"$DRIFTWATCH_DRIFTED_FEATURES\" >> shell.out'\n", dir);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    char *got = trig_read_file(out);
    assert_non_null(got);
    assert_string_equal(got, "FRAUD\namount,country\n");
    free(got);
    trig_close(&ti);
}

/* wait: false returns RUNNING at once, never starts the key twice while it runs, and records the
 * success when the background reaper sees the exit. */
static void test_command_wait_false_returns_running_then_records(void **state)
{
    const char *dir = *state;
    char out[4096], record[4096];
    snprintf(out, sizeof out, "%s/bg.out", dir);
    snprintf(record, sizeof record, "%s/command-background.json", dir);
    struct trig_instance ti;
    open_cmd(&ti, "background", "argv: [/bin/sh, -c, 'sleep 0.4; echo done >> %s']\nwait: false\n", out);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    int64_t t0 = mono_ms();
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_true(mono_ms() - t0 < 300);
    assert_string_equal(res.state, "RUNNING");
    assert_true(strncmp(res.job_id, "pid:", 4) == 0);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "RUNNING");
    int recorded = 0;
    for (int i = 0; i < 100 && !recorded; i++) {
        char *text = trig_read_file(record);
        recorded = text && strstr(text, "\"succeeded\"") != NULL;
        free(text);
        if (!recorded)
            usleep(50000);
    }
    assert_true(recorded);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "SUCCEEDED");
    assert_int_equal(count_lines(out), 1);
    trig_close(&ti);
}

/* stop() does not kill a background command (a reload must not end a training run) and returns at
 * once; a new instance sees the key still running and does not start it again. */
static void test_command_stop_leaves_background_run_and_new_instance_sees_it(void **state)
{
    const char *dir = *state;
    char pidfile[4096];
    snprintf(pidfile, sizeof pidfile, "%s/long.pid", dir);
    const char *cfg = "argv: [/bin/sh, -c, 'echo $$ > %s; exec sleep 30']\nwait: false\n";
    struct trig_instance ti;
    open_cmd(&ti, "long", cfg, pidfile);
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    long pid = read_pid(pidfile);
    assert_true(pid > 0);
    int64_t t0 = mono_ms();
    trig_close(&ti);
    assert_true(mono_ms() - t0 < 1000);
    assert_true(proc_alive(pid));

    open_cmd(&ti, "long", cfg, pidfile);
    unlink(pidfile);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "RUNNING");
    char want[64];
    snprintf(want, sizeof want, "pid:%ld", pid);
    assert_string_equal(res.job_id, want);
    assert_int_equal(access(pidfile, F_OK), -1); /* not started again */

    /* It ends badly (killed): the next trigger learns that and runs the key again. */
    kill((pid_t)pid, SIGKILL);
    usleep(100000);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "RUNNING");
    long pid2 = read_pid(pidfile);
    assert_true(pid2 > 0 && pid2 != pid);
    kill((pid_t)pid2, SIGKILL);
    trig_close(&ti);
}

static void test_command_program_not_found_is_an_error(void **state)
{
    struct trig_instance ti;
    open_cmd(&ti, "missing", "argv: [no-such-program-dw-test, --flag]\n");
    struct dw_trigger_event ev = trig_event(KEY, 0);
    struct dw_trigger_result res;
    char err[512];
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "'no-such-program-dw-test' not found in PATH"));
    trig_close(&ti);

    /* A file that is not executable is refused before anything is started. */
    char script[4096];
    snprintf(script, sizeof script, "%s/not-exec.sh", (const char *)*state);
    trig_write_file(script, "#!/bin/sh\nexit 0\n", 0);
    open_cmd(&ti, "notexec", "argv: ['%s']\n", script);
    assert_int_equal(trig_fire(&ti, &ev, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not an executable file"));
    trig_close(&ti);
}

static void test_command_init_rejects_bad_options(void **state)
{
    struct trig_instance ti;
    char err[512];
    assert_int_equal(trig_open(&ti, "command", "bad", "shell: true\nargv: [echo, hi]\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "must be one string"));
    assert_int_equal(trig_open(&ti, "command", "bad", "argv: [echo]\nenv: ['1BAD=x']\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "option 'env'"));
    assert_int_equal(trig_open(&ti, "command", "bad", "argv: [echo]\nenv: ['NOEQUALS']\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "option 'env'"));
    assert_int_equal(trig_open(&ti, "command", "bad", "argv: [echo]\ncwd: /no/such/dir\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "/no/such/dir"));
    assert_int_equal(trig_open(&ti, "command", "bad", "shell: true\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "argv"));
    /* Bounds of the option table, enforced by the loader. */
    assert_int_equal(trig_open(&ti, "command", "bad", "argv: [echo]\ntimeout: 0s\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "option 'timeout' must be at least 1ms"));

    /* A record that does not parse stops the instance (at start: the agent prepares the state
     * directory after init) rather than risking a second run. */
    char record[4096];
    snprintf(record, sizeof record, "%s/command-broken.json", (const char *)*state);
    trig_write_file(record, "{\"driftwatch_command_record\": 1, \"runs\": {", 0);
    assert_int_equal(trig_open(&ti, "command", "broken", "argv: [echo]\n", err, sizeof err), 0);
    assert_int_equal(trig_start(&ti, err, sizeof err), -1);
    assert_non_null(strstr(err, "command-broken.json:1:"));
    trig_close(&ti);
}

int main(void)
{
    http_client_global_init();
    log_set_level(DW_LOG_DEBUG);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_command_runs_argv_without_a_shell, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_sets_drift_context_env_vars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_timeout_kills_the_process_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_nonzero_exit_fails_with_output_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_dry_run_runs_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_same_key_runs_once_also_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_failed_key_runs_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_shell_true_runs_through_sh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_wait_false_returns_running_then_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_stop_leaves_background_run_and_new_instance_sees_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_command_program_not_found_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_init_rejects_bad_options, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    http_client_global_cleanup();
    return rc;
}
