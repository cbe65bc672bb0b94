/* The action policy (DESIGN.md §7) on its own: `consecutive` drifted checks before firing, one alert
 * per transition, retrains bounded by cooldown and max_per_day, the idempotency key kept across a
 * failed trigger, and all of it restored from <state_dir>/<model>.policy.json after a restart.
 * A recording sink and trainer stand in for the plugins and an injected clock steps through time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drift/analyze.h"
#include "plugin_instance.h"
#include "policy.h"

/* ---- what the stand-in plugins saw ---- */

struct seen {
    int alerts_firing, alerts_resolved, alerts_repeat;
    int triggers;
    int fail_next_triggers; /* that many calls fail before one succeeds */
    char keys[16][256];
};
static struct seen seen;

static int record_alert(void *inst, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    (void)inst, (void)err, (void)errlen;
    if (ev->repeat)
        seen.alerts_repeat++;
    else if (ev->firing)
        seen.alerts_firing++;
    else
        seen.alerts_resolved++;
    return 0;
}

static int record_trigger(void *inst, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                          size_t errlen)
{
    (void)inst;
    assert_true(seen.triggers < 16);
    snprintf(seen.keys[seen.triggers++], sizeof seen.keys[0], "%s", ev->key);
    if (seen.fail_next_triggers > 0) {
        seen.fail_next_triggers--;
        snprintf(err, errlen, "503 from the trainer");
        return -1;
    }
    snprintf(res->job_id, sizeof res->job_id, "job-%d", seen.triggers);
    return 0;
}

static const struct dw_plugin fake_def = {
    .abi = DW_PLUGIN_ABI, .size = sizeof(struct dw_plugin), .name = "fake", .kind = DW_KIND_TRAINER,
    .alert_send = record_alert, .trigger = record_trigger,
};
static struct loaded_plugin fake_lp = {.def = &fake_def};
static struct plugin_instance sink = {.lp = &fake_lp, .name = "sink"};
static struct plugin_instance trainer = {.lp = &fake_lp, .name = "trainer"};
static struct plugin_instance *sinks[] = {&sink};
static const char *const sink_names[] = {"sink"};

static int64_t clock_s;
static int64_t fake_now(void)
{
    return clock_s;
}

struct fixture {
    char dir[64];
    struct plugin_ref retrain_ref;
    struct model_config mc;
    struct policy_links links;
    struct verdict drifted, clean;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dw-policy-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->retrain_ref.plugin = "fake";
    f->mc.name = "fraud";
    f->mc.consecutive = 2;
    f->mc.retrain = &f->retrain_ref;
    f->mc.retrain_cooldown_ms = 3600 * 1000LL;
    f->mc.retrain_max_per_day = 2;
    f->links = (struct policy_links){.state_dir = f->dir, .sinks = sinks, .sink_names = sink_names, .n_sinks = 1,
                                     .trainer = &trainer, .now = fake_now};
    f->drifted = (struct verdict){.dataset_drift = 1, .drift_share = 0.6, .drifted = 3, .nfeatures = 5,
                                  .window_to = "2026-03-01T10:00:00Z"};
    f->clean = (struct verdict){.dataset_drift = 0, .nfeatures = 5, .window_to = "2026-03-01T11:00:00Z"};
    memset(&seen, 0, sizeof seen);
    clock_s = 1772359200; /* 2026-03-01T10:00:00Z */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/fraud.policy.json", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct policy *open_policy(struct fixture *f)
{
    struct policy *p = NULL;
    char err[256];
    assert_int_equal(policy_open(&f->mc, &f->links, "0123456789abcdef0123", &p, err, sizeof err), 0);
    return p;
}

static void test_policy_fires_after_consecutive_drifted_checks(void **state)
{
    struct fixture *f = *state;
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* 1 of 2: nothing yet */
    assert_int_equal(seen.alerts_firing, 0);
    assert_int_equal(seen.triggers, 0);
    policy_on_verdict(p, &f->drifted); /* 2 of 2: one alert, one retrain */
    assert_int_equal(seen.alerts_firing, 1);
    assert_int_equal(seen.triggers, 1);
    policy_on_verdict(p, &f->drifted); /* still firing: a repeat for liveness, no second retrain */
    assert_int_equal(seen.alerts_firing, 1);
    assert_int_equal(seen.alerts_repeat, 1);
    assert_int_equal(seen.triggers, 1);
    policy_on_verdict(p, &f->clean);
    assert_int_equal(seen.alerts_resolved, 1);
    policy_close(p);
}

static void test_policy_clean_check_resets_the_streak(void **state)
{
    struct fixture *f = *state;
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->drifted);
    policy_on_verdict(p, &f->clean);
    policy_on_verdict(p, &f->drifted);
    assert_int_equal(seen.alerts_firing, 0);
    assert_int_equal(seen.alerts_resolved, 0); /* nothing fired, so nothing resolves */
    policy_close(p);
}

/* Fires one episode: two drifted checks then a clean one, `gap_s` seconds after the last. */
static void episode(struct policy *p, struct fixture *f, int64_t gap_s)
{
    clock_s += gap_s;
    policy_on_verdict(p, &f->drifted);
    policy_on_verdict(p, &f->drifted);
    policy_on_verdict(p, &f->clean);
}

static void test_policy_cooldown_and_max_per_day(void **state)
{
    struct fixture *f = *state;
    f->mc.retrain_max_per_day = 2;
    struct policy *p = open_policy(f);
    episode(p, f, 0);
    assert_int_equal(seen.triggers, 1);
    episode(p, f, 1800); /* 30 min later: inside the 1 h cooldown */
    assert_int_equal(seen.triggers, 1);
    episode(p, f, 1801); /* 1 h 0 min 1 s after the first trigger: allowed */
    assert_int_equal(seen.triggers, 2);
    episode(p, f, 3601); /* cooldown over, but 2 triggers in the last 24 h */
    assert_int_equal(seen.triggers, 2);
    episode(p, f, 86400 - 3601 - 3601 + 1); /* the first trigger is now 24 h + 1 s old */
    assert_int_equal(seen.triggers, 3);
    policy_close(p);
}

static void test_policy_failed_trigger_retries_with_the_same_key(void **state)
{
    struct fixture *f = *state;
    seen.fail_next_triggers = 2;
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->drifted);
    policy_on_verdict(p, &f->drifted); /* fires; the trigger fails */
    policy_on_verdict(p, &f->drifted); /* retried, fails again */
    policy_close(p);
    p = open_policy(f); /* a restart in between */
    policy_on_verdict(p, &f->drifted); /* retried after the restart, succeeds */
    policy_on_verdict(p, &f->drifted); /* done: not again */
    assert_int_equal(seen.triggers, 3);
    /* model + first 12 hex digits of the data version + window end */
    assert_string_equal(seen.keys[0], "fraud-0123456789ab-2026-03-01T10:00:00Z");
    assert_string_equal(seen.keys[1], seen.keys[0]);
    assert_string_equal(seen.keys[2], seen.keys[0]);
    policy_close(p);
}

static void test_policy_restart_keeps_streak_firing_and_history(void **state)
{
    struct fixture *f = *state;
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* streak 1 */
    policy_close(p);
    p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* streak 2 after the restart: fires */
    assert_int_equal(seen.alerts_firing, 1);
    assert_int_equal(seen.triggers, 1);
    policy_close(p);
    p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* still the same episode: no new alert, no new retrain */
    assert_int_equal(seen.alerts_firing, 1);
    assert_int_equal(seen.triggers, 1);
    policy_on_verdict(p, &f->clean);
    policy_close(p);
    p = open_policy(f);
    clock_s += 600; /* a new episode inside the cooldown recorded before the restarts */
    policy_on_verdict(p, &f->drifted);
    policy_on_verdict(p, &f->drifted);
    assert_int_equal(seen.alerts_firing, 2);
    assert_int_equal(seen.triggers, 1);
    policy_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_fires_after_consecutive_drifted_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_clean_check_resets_the_streak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_cooldown_and_max_per_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_failed_trigger_retries_with_the_same_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_restart_keeps_streak_firing_and_history, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
