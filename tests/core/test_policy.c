/* The action policy (docs/operations.md) on its own: `consecutive` drifted checks before firing, one alert
 * per transition, retrains bounded by cooldown and max_per_day, the idempotency key kept across a
 * failed trigger, and all of it restored from <state_dir>/<model>.policy.json after a restart; the
 * fleet key (model, data version, cooldown bucket of the streak's first check) and a trainer's
 * "joined" outcome; the events a recording sink's `action` gets. A recording sink and trainer stand
 * in for the plugins and an injected clock steps through time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "analyze/analyze.h"
#include "analyze/perf_table.h"
#include "util/metrics.h"
#include "plugin/plugin_instance.h"
#include "runtime/policy.h"
#include "analyze/quality_window.h"

/* ---- what the stand-in plugins saw ---- */

struct seen {
    int alerts_firing, alerts_resolved, alerts_repeat;
    int triggers;
    int fail_next_triggers; /* that many calls fail before one succeeds */
    int join;               /* the trainer reports the job it found as joined */
    char keys[16][256];
    int64_t cooldown_ms[16], episode_start[16];
    char last_kind[16];     /* the last alert's kind */
};
static struct seen seen;

static int record_alert(void *inst, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    (void)inst, (void)err, (void)errlen;
    snprintf(seen.last_kind, sizeof seen.last_kind, "%s", ev->kind ? ev->kind : "");
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
    seen.cooldown_ms[seen.triggers] = ev->cooldown_ms;
    seen.episode_start[seen.triggers] = ev->episode_start;
    snprintf(seen.keys[seen.triggers++], sizeof seen.keys[0], "%s", ev->key);
    if (seen.fail_next_triggers > 0) {
        seen.fail_next_triggers--;
        snprintf(err, errlen, "503 from the trainer");
        return -1;
    }
    snprintf(res->job_id, sizeof res->job_id, "job-%d", seen.triggers);
    res->joined = seen.join;
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

/* on_drift.on: [performance]: a quality window outside its band makes clean checks count as drifted;
 * the alert says it is performance, and so does its resolve, also after a restart. */
static void test_policy_performance_fires_with_its_kind(void **state)
{
    struct fixture *f = *state;
    f->mc.drift_on_set = 1;
    f->mc.on_data = 1;
    f->mc.on_performance = 1;
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->clean);
    policy_on_verdict(p, &f->clean);
    assert_int_equal(seen.alerts_firing, 0); /* performance within its band: nothing */
    policy_set_performance(p, 1);
    policy_on_verdict(p, &f->clean);
    policy_on_verdict(p, &f->clean);
    assert_int_equal(seen.alerts_firing, 1);
    assert_string_equal(seen.last_kind, "performance");
    assert_int_equal(seen.triggers, 1);
    policy_close(p);
    p = open_policy(f); /* restart while firing */
    policy_set_performance(p, 0);
    policy_on_verdict(p, &f->drifted); /* data drift now: still the same firing episode */
    assert_string_equal(seen.last_kind, "performance");
    policy_on_verdict(p, &f->clean);
    assert_int_equal(seen.alerts_resolved, 1);
    assert_string_equal(seen.last_kind, "performance");
    policy_close(p);
    /* without performance in on_drift.on a degraded window changes nothing */
    f->mc.on_performance = 0;
    memset(&seen, 0, sizeof seen);
    p = open_policy(f);
    policy_set_performance(p, 1);
    policy_on_verdict(p, &f->clean);
    policy_on_verdict(p, &f->clean);
    assert_int_equal(seen.alerts_firing, 0);
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
    /* model + first 12 hex digits of the data version + cooldown bucket of the streak's first
     * check: floor(1772359200 s (2026-03-01T10:00:00Z) / 3600 s) = 492322 exactly */
    assert_string_equal(seen.keys[0], "fraud-0123456789ab-492322");
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

/* ---- the fleet key (docs/operations.md) ---- */

static void test_policy_key_is_model_data_version_and_cooldown_bucket(void **state)
{
    (void)state;
    char key[256];
    /* 2026-03-01T10:00:00Z = 1772359200 s = 20513 days (1772323200 s) + 36000 s:
     * a 24 h cooldown gives bucket floor(1772359200 / 86400) = 20513. */
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359200, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-20513");
    /* 1 h: 1772359200 / 3600 = 492322 exactly, so the second before is in the bucket before. */
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359200, 3600 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-492322");
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359199, 3600 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-492321");
    /* 90 s (a cooldown that is no divisor of a day): floor(1772359200 / 90) = 19692880 exactly;
     * 89 s later still 19692880 (19692880 * 90 + 89 = 1772359289), 90 s later 19692881. */
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359289, 90 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-19692880");
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359290, 90 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-19692881");
    /* A cooldown under a second: milliseconds count, floor(1772359200000 / 1500) = 1181572800. */
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359200, 1500, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-1181572800");
    /* No cooldown: the bucket is the second itself. */
    policy_retrain_key("fraud", "0123456789abcdef0123", 1772359200, 0, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-1772359200");
}

static void test_policy_key_text_rules(void **state)
{
    (void)state;
    char key[256];
    /* Model names may use letters, digits, '_', '-' and '.': lowercased, the others '-', a run of
     * them one '-', none at either end. */
    policy_retrain_key("Fraud_Model.v2", "0123456789abcdef", 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-model-v2-0123456789ab-1");
    policy_retrain_key("_a__b-.c_", "0123456789abcdef", 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "a-b-c-0123456789ab-1");
    policy_retrain_key("___", "0123456789abcdef", 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "model-0123456789ab-1");
    /* The data version's first 12 hex digits, lowercased, whatever surrounds them. */
    policy_retrain_key("fraud", "0123456789ABCDEF", 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-0123456789ab-1");
    policy_retrain_key("fraud", "d41d8cd98f00b204e9800998ecf8427e.dir", 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-d41d8cd98f00-1");
    policy_retrain_key("fraud", "0123abcd", 86400, 86400 * 1000LL, key, sizeof key); /* fewer than 12 */
    assert_string_equal(key, "fraud-0123abcd-1");
    policy_retrain_key("fraud", "unknown", 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-unknown-1");
    policy_retrain_key("fraud", NULL, 86400, 86400 * 1000LL, key, sizeof key);
    assert_string_equal(key, "fraud-unknown-1");
}

/* Three replicas see one shift seconds apart (their first drifted checks at 10:20:05, 10:20:09 and
 * 10:20:31, each on its own state dir): one key for all, from the streak's first check, even when a
 * replica fires only after the bucket's end (consecutive: 2, the second check at 11:00:02). */
static void test_policy_replicas_derive_one_key(void **state)
{
    struct fixture *f = *state;
    static const int64_t first_check[] = {1772360405, 1772360409, 1772360431}; /* 10:20:05, :09, :31 */
    char dirs[3][64];
    for (int r = 0; r < 3; r++) {
        snprintf(dirs[r], sizeof dirs[r], "/tmp/dw-policy-replica-XXXXXX");
        assert_non_null(mkdtemp(dirs[r]));
        f->links.state_dir = dirs[r];
        struct policy *p = open_policy(f);
        clock_s = first_check[r];
        policy_on_verdict(p, &f->drifted);
        clock_s = r == 2 ? 1772362802 : first_check[r] + 60; /* replica 3 fires at 11:00:02 */
        policy_on_verdict(p, &f->drifted);
        policy_close(p);
    }
    assert_int_equal(seen.triggers, 3);
    /* floor(1772360405 / 3600) = 492322 (492322 * 3600 = 1772359200, 1205 s before) */
    for (int r = 0; r < 3; r++) {
        assert_string_equal(seen.keys[r], "fraud-0123456789ab-492322");
        assert_int_equal(seen.episode_start[r], first_check[r]);
        assert_int_equal(seen.cooldown_ms[r], 3600 * 1000LL);
    }
    for (int r = 0; r < 3; r++) {
        char path[256];
        snprintf(path, sizeof path, "%s/fraud.policy.json", dirs[r]);
        unlink(path);
        rmdir(dirs[r]);
    }
}

/* A restart between the streak's first check and the one that fires keeps the episode's time (the
 * streak's start is in the state file), so the key is the one the other replicas derive. */
static void test_policy_restart_keeps_the_streak_start_and_the_key(void **state)
{
    struct fixture *f = *state;
    clock_s = 1772362795; /* 10:59:55: bucket 492322 */
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* streak 1 */
    policy_close(p);
    char path[256], text[2048] = "";
    snprintf(path, sizeof path, "%s/fraud.policy.json", f->dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = '\0';
    fclose(fp);
    assert_non_null(strstr(text, "\"streak_start\": 1772362795"));
    clock_s = 1772362830; /* 11:00:30, after the restart: bucket 492323 by now */
    p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* streak 2: fires */
    assert_int_equal(seen.triggers, 1);
    assert_string_equal(seen.keys[0], "fraud-0123456789ab-492322");
    assert_int_equal(seen.episode_start[0], 1772362795);
    policy_close(p);
}

/* Counter value in the metrics text, or -1 when the series is absent. */
static double counter_value(const char *series)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(metrics_render(&text, &len), 0);
    const char *at = strstr(text, series);
    double v = at ? atof(at + strlen(series)) : -1;
    free(text);
    return v;
}

/* A trainer that found a job of this model (another replica's) reports it joined: counted as
 * result="joined", and it counts towards the cooldown like a trigger. */
static void test_policy_joined_counts_towards_the_cooldown(void **state)
{
    struct fixture *f = *state;
    metrics_reset();
    seen.join = 1;
    struct policy *p = open_policy(f);
    episode(p, f, 0);
    assert_int_equal(seen.triggers, 1);
    assert_true(counter_value("driftwatch_retrain_triggers_total{model=\"fraud\",trainer=\"fake\",result=\"joined\"} ") ==
                1);
    assert_true(counter_value("driftwatch_retrain_triggers_total{model=\"fraud\",trainer=\"fake\",result=\"triggered\"} ") ==
                -1);
    episode(p, f, 1800); /* 30 min later: inside the 1 h cooldown the join started */
    assert_int_equal(seen.triggers, 1);
    assert_true(counter_value("driftwatch_retrain_triggers_total{model=\"fraud\",trainer=\"fake\",result=\"cooldown\"} ") ==
                1);
    seen.join = 0;
    episode(p, f, 1801); /* the cooldown is over: a trigger of its own */
    assert_int_equal(seen.triggers, 2);
    assert_true(counter_value("driftwatch_retrain_triggers_total{model=\"fraud\",trainer=\"fake\",result=\"triggered\"} ") ==
                1);
    policy_close(p);
}

/* A plugin built before `joined` was appended never writes it: the host zeroes the result, so a
 * found-or-created job from such a plugin is a trigger. Here the trainer leaves the field alone
 * after the host filled it with zeroes. */
static int old_trigger(void *inst, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                       size_t errlen)
{
    (void)inst, (void)ev, (void)err, (void)errlen;
    assert_int_equal(res->joined, 0);
    memcpy(res->job_id, "old-job", 8); /* only the fields an old plugin knows */
    seen.triggers++;
    return 0;
}

static void test_policy_old_trainer_without_joined_is_a_trigger(void **state)
{
    struct fixture *f = *state;
    metrics_reset();
    static const struct dw_plugin old_def = {.abi = DW_PLUGIN_ABI, .size = sizeof(struct dw_plugin), .name = "old",
                                             .kind = DW_KIND_TRAINER, .trigger = old_trigger};
    static struct loaded_plugin old_lp = {.def = &old_def};
    static struct plugin_instance old_trainer = {.lp = &old_lp, .name = "old"};
    f->links.trainer = &old_trainer;
    struct policy *p = open_policy(f);
    episode(p, f, 0);
    assert_int_equal(seen.triggers, 1);
    assert_true(counter_value("driftwatch_retrain_triggers_total{model=\"fraud\",trainer=\"fake\",result=\"triggered\"} ") ==
                1);
    policy_close(p);
}

/* ---- the policy's events to a recording sink (an alert sink with `action`) ---- */

struct recorded_event {
    char action[32];
    json_t *params;
};
static struct recorded_event events[8];
static int n_events;

static int record_event(void *inst, const char *action, const char *params_json, char **result_json, char *err,
                        size_t errlen)
{
    (void)inst, (void)err, (void)errlen;
    *result_json = NULL;
    assert_true(n_events < 8);
    snprintf(events[n_events].action, sizeof events[0].action, "%s", action);
    events[n_events].params = json_loads(params_json, 0, NULL);
    assert_non_null(events[n_events].params);
    n_events++;
    return 0;
}

static void forget_events(void)
{
    for (int i = 0; i < n_events; i++)
        json_decref(events[i].params);
    n_events = 0;
}

static const char *event_text(int i, const char *key)
{
    return json_string_value(json_object_get(events[i].params, key));
}

static void test_policy_events_reach_recording_sinks(void **state)
{
    struct fixture *f = *state;
    static const struct dw_plugin rec_def = {.abi = DW_PLUGIN_ABI, .size = sizeof(struct dw_plugin), .name = "rec",
                                             .kind = DW_KIND_ALERT, .alert_send = record_alert,
                                             .action = record_event};
    static struct loaded_plugin rec_lp = {.def = &rec_def};
    static struct plugin_instance rec = {.lp = &rec_lp, .name = "rec"};
    /* The plain sink has no action: it never sees an event, and does not stop the other one's. */
    static struct plugin_instance *both[] = {&sink, &rec};
    static const char *const both_names[] = {"sink", "rec"};
    f->links.sinks = both;
    f->links.sink_names = both_names;
    f->links.n_sinks = 2;
    json_t *md5 = json_string("58427a5088dbf325cc777604a20de97f");
    f->drifted.baseline = json_pack("{s:O, s:{s:s}}", "md5", md5, "data_version", "git_commit", "abc123");
    json_decref(md5);
    /* The check measured performance: the events carry it as `check --format json` has it. */
    struct perf_report perf = {.task = PERF_BINARY, .rows = 190, .metrics = 1u << PM_ACCURACY};
    perf.m[PM_ACCURACY] = (struct perf_metric_report){.value = 0.85, .lower = 0.8, .upper = 1};
    f->drifted.performance = &perf;
    f->drifted.model = "fraud";
    n_events = 0;
    struct policy *p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* 1 of 2: drifted, not firing: a check event only */
    assert_int_equal(n_events, 1);
    assert_string_equal(events[0].action, DW_ACTION_DRIFT_CHECKED);
    assert_string_equal(event_text(0, "model"), "fraud");
    assert_null(json_object_get(events[0].params, "key"));
    policy_on_verdict(p, &f->drifted); /* 2 of 2: the check, then the trigger with its key and job */
    assert_int_equal(n_events, 3);
    assert_string_equal(events[1].action, DW_ACTION_DRIFT_CHECKED);
    assert_string_equal(events[2].action, DW_ACTION_RETRAIN_TRIGGERED);
    assert_string_equal(event_text(2, "key"), seen.keys[0]);
    assert_string_equal(event_text(2, "job_id"), "job-1");
    assert_string_equal(event_text(2, "trainer"), "fake");
    assert_string_equal(event_text(2, "data_version"), "0123456789abcdef0123");
    assert_string_equal(event_text(2, "git_commit"), "abc123");
    assert_string_equal(event_text(2, "baseline_md5"), "58427a5088dbf325cc777604a20de97f");
    assert_string_equal(event_text(2, "window_end"), "2026-03-01T10:00:00Z");
    assert_true(json_real_value(json_object_get(events[2].params, "drift_share")) == 0.6);
    assert_true(json_is_false(json_object_get(events[2].params, "joined")));
    assert_int_equal(json_integer_value(json_object_get(events[2].params, "episode_start")), 1772359200);
    json_t *realized = json_object_get(json_object_get(events[2].params, "performance"), "realized");
    assert_true(json_real_value(json_object_get(json_object_get(realized, "accuracy"), "value")) == 0.85);
    assert_string_equal(json_string_value(json_object_get(json_object_get(events[2].params, "performance"), "task")),
                        "binary");
    policy_on_verdict(p, &f->clean); /* no drift: no event */
    assert_int_equal(n_events, 3);
    policy_close(p);
    forget_events();

    f->drifted.performance = NULL;
    /* A trigger that failed or a dry run started nothing: no retrain event. */
    seen.fail_next_triggers = 1;
    clock_s += 86400;
    p = open_policy(f);
    policy_on_verdict(p, &f->drifted);
    policy_on_verdict(p, &f->drifted);
    assert_int_equal(n_events, 2);
    assert_string_equal(events[1].action, DW_ACTION_DRIFT_CHECKED);
    policy_close(p);
    forget_events();
    f->mc.retrain_dry_run = 1;
    p = open_policy(f);
    policy_on_verdict(p, &f->drifted); /* the retried trigger, now a dry run */
    assert_int_equal(seen.triggers, 3);
    assert_int_equal(n_events, 1);
    assert_string_equal(events[0].action, DW_ACTION_DRIFT_CHECKED);
    /* The check measured none: the last quality window the delayed labels closed goes instead. */
    struct quality_result labels_window = {.n = 50, .alerts = 1};
    for (int m = 0; m < PM_COUNT; m++)
        labels_window.value[m] = NAN;
    labels_window.value[PM_ACCURACY] = 0.7;
    labels_window.side[PM_ACCURACY] = -1;
    policy_set_realized(p, &labels_window);
    policy_on_verdict(p, &f->drifted);
    assert_int_equal(n_events, 2);
    json_t *labels_perf = json_object_get(events[1].params, "performance");
    assert_string_equal(json_string_value(json_object_get(labels_perf, "source")), "labels");
    assert_int_equal(json_integer_value(json_object_get(labels_perf, "rows")), 50);
    assert_int_equal(json_integer_value(json_object_get(labels_perf, "alerts")), 1);
    json_t *accuracy = json_object_get(json_object_get(labels_perf, "realized"), "accuracy");
    assert_true(json_real_value(json_object_get(accuracy, "value")) == 0.7);
    assert_true(json_is_true(json_object_get(accuracy, "alert")));
    assert_int_equal(json_object_size(json_object_get(labels_perf, "realized")), 1); /* the NaNs left out */
    /* The check measured performance but realized none (no targets in its window): the labels'
     * realized metrics join the check's object. */
    struct perf_report unrealized = {.task = PERF_BINARY};
    f->drifted.performance = &unrealized;
    policy_on_verdict(p, &f->drifted);
    assert_int_equal(n_events, 3);
    json_t *merged = json_object_get(events[2].params, "performance");
    assert_string_equal(json_string_value(json_object_get(merged, "task")), "binary");
    assert_string_equal(json_string_value(json_object_get(merged, "source")), "labels");
    assert_int_equal(json_integer_value(json_object_get(merged, "rows")), 50);
    assert_non_null(json_object_get(json_object_get(merged, "realized"), "accuracy"));
    f->drifted.performance = NULL;
    policy_close(p);
    forget_events();
    json_decref(f->drifted.baseline);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_fires_after_consecutive_drifted_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_clean_check_resets_the_streak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_performance_fires_with_its_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_cooldown_and_max_per_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_failed_trigger_retries_with_the_same_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_restart_keeps_streak_firing_and_history, setup, teardown),
        cmocka_unit_test(test_policy_key_is_model_data_version_and_cooldown_bucket),
        cmocka_unit_test(test_policy_key_text_rules),
        cmocka_unit_test_setup_teardown(test_policy_replicas_derive_one_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_restart_keeps_the_streak_start_and_the_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_joined_counts_towards_the_cooldown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_old_trainer_without_joined_is_a_trigger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_events_reach_recording_sinks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
