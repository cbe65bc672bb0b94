/* Action policy (see policy.h). State changes are written (temp file, fsync, rename) after the
 * action they record succeeded: a crash in between repeats the action once on restart, which
 * Alertmanager deduplicates and trainers absorb through the idempotency key. */
#include "runtime/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/metrics.h"
#include "plugin/plugin_instance.h"
#include "runtime/policy_events.h"
#include "analyze/quality_window.h"
#include "util/wall_clock.h"

#define MAX_RETRAIN_HISTORY 64

struct policy {
    const struct model_config *mc;
    struct policy_links links;
    char *data_version;
    char path[4096];
    int performance_degraded; /* the last quality window left its band (policy_set_performance) */
    pthread_mutex_t realized_lock; /* guards realized: set from the label join's thread */
    struct quality_result realized; /* the last closed quality window's metrics (n == 0: none yet) */
    char firing_kind[16];     /* persisted: what fired ("data", "multivariate", "performance"), kept
                                 for the resolve so a sink that names alerts by kind resolves the same */
    /* persisted */
    int consecutive;
    int64_t streak_start; /* unix seconds of the streak's first drifted check: the key's episode time */
    int firing;
    int64_t firing_since;
    int *sink_notified; /* per sink: 1 when it knows the current firing/resolved state */
    /* not persisted: failures in a row, for rate-limited error logs and one recovery line */
    unsigned *sink_failures; /* per sink: notifications that failed transiently */
    unsigned trigger_failures;
    int retrained_this_episode;
    int64_t retrains[MAX_RETRAIN_HISTORY]; /* unix seconds of past triggers, oldest first */
    size_t n_retrains;
    char last_key[256];
    char pending_key[256]; /* a trigger started but not confirmed: retried with this same key */
};

/* A failure that keeps repeating (a sink down for hours) is logged the 1st, 2nd, 4th, 8th ... time
 * in a row, not at every check; its recovery is logged once. */
static int failure_worth_logging(unsigned n)
{
    return (n & (n - 1)) == 0;
}

static int64_t wall_now_s(void)
{
    return (int64_t)time(NULL);
}

/* Hands a policy event to the sinks that record them (the mlflow plugin). */
static void send_event(struct policy *p, const char *event, const struct verdict *v,
                       const struct policy_trigger_info *trigger)
{
    pthread_mutex_lock(&p->realized_lock);
    struct quality_result realized = p->realized;
    pthread_mutex_unlock(&p->realized_lock);
    policy_events_send(p->links.sinks, p->links.sink_names, p->links.n_sinks, event, p->mc->name, p->data_version,
                       wall_clock_ms(), v, realized.n ? &realized : NULL, trigger);
}

static int policy_save(struct policy *p)
{
    json_t *o = json_pack("{s:i, s:I, s:b, s:I, s:b, s:s, s:s, s:s}", "consecutive", p->consecutive, "streak_start",
                          (json_int_t)p->streak_start, "firing", p->firing, "firing_since",
                          (json_int_t)p->firing_since, "retrained_this_episode", p->retrained_this_episode,
                          "last_key", p->last_key, "pending_key", p->pending_key, "firing_kind", p->firing_kind);
    json_t *sinks = json_object(), *retrains = json_array();
    for (size_t i = 0; i < p->links.n_sinks; i++)
        json_object_set_new(sinks, p->links.sink_names[i], json_boolean(p->sink_notified[i]));
    for (size_t i = 0; i < p->n_retrains; i++)
        json_array_append_new(retrains, json_integer(p->retrains[i]));
    json_object_set_new(o, "sinks_notified", sinks);
    json_object_set_new(o, "retrains", retrains);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        size_t len = text ? strlen(text) : 0;
        if (text && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
            rc = 0;
        free(text);
        close(fd);
        if (rc == 0 && rename(tmp, p->path) < 0)
            rc = -1;
    }
    json_decref(o);
    if (rc < 0)
        log_error("policy", "model=%s cannot save policy state to %s: %s", p->mc->name, p->path, strerror(errno));
    return rc;
}

static void policy_load(struct policy *p)
{
    json_error_t jerr;
    json_t *o = json_load_file(p->path, 0, &jerr);
    if (!o)
        return; /* first start */
    p->consecutive = (int)json_integer_value(json_object_get(o, "consecutive"));
    p->firing = json_is_true(json_object_get(o, "firing"));
    p->firing_since = json_integer_value(json_object_get(o, "firing_since"));
    /* A state file written before the key took the streak's start has none: the firing time, or
     * now for a streak that has not fired, is the closest this replica knows. */
    json_t *streak = json_object_get(o, "streak_start");
    if (json_is_integer(streak))
        p->streak_start = json_integer_value(streak);
    else if (p->consecutive > 0)
        p->streak_start = p->firing ? p->firing_since : p->links.now();
    p->retrained_this_episode = json_is_true(json_object_get(o, "retrained_this_episode"));
    const char *key = json_string_value(json_object_get(o, "last_key"));
    snprintf(p->last_key, sizeof p->last_key, "%s", key ? key : "");
    key = json_string_value(json_object_get(o, "pending_key"));
    snprintf(p->pending_key, sizeof p->pending_key, "%s", key ? key : "");
    key = json_string_value(json_object_get(o, "firing_kind")); /* absent before kinds: data */
    snprintf(p->firing_kind, sizeof p->firing_kind, "%s", key && *key ? key : "data");
    json_t *sinks = json_object_get(o, "sinks_notified");
    for (size_t i = 0; i < p->links.n_sinks; i++)
        p->sink_notified[i] = json_is_true(json_object_get(sinks, p->links.sink_names[i]));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "retrains"), i, v) {
        if (p->n_retrains < MAX_RETRAIN_HISTORY)
            p->retrains[p->n_retrains++] = json_integer_value(v);
    }
    json_decref(o);
    log_info("policy", "model=%s restored policy state: consecutive=%d firing=%s retrains_recorded=%zu "
             "streak_start=%" PRId64, p->mc->name, p->consecutive, p->firing ? "true" : "false", p->n_retrains,
             p->streak_start);
}

int policy_open(const struct model_config *mc, const struct policy_links *links, const char *data_version,
                struct policy **out, char *err, size_t errlen)
{
    struct policy *p = calloc(1, sizeof *p);
    if (!p || !(p->sink_notified = calloc(links->n_sinks + 1, sizeof *p->sink_notified)) ||
        !(p->sink_failures = calloc(links->n_sinks + 1, sizeof *p->sink_failures)) ||
        !(p->data_version = strdup(data_version ? data_version : "unknown"))) {
        if (p) {
            free(p->sink_notified);
            free(p->sink_failures);
        }
        free(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->mc = mc;
    pthread_mutex_init(&p->realized_lock, NULL);
    snprintf(p->firing_kind, sizeof p->firing_kind, "data");
    p->links = *links;
    if (!p->links.now)
        p->links.now = wall_now_s;
    snprintf(p->path, sizeof p->path, "%s/%s.policy.json", links->state_dir, mc->name);
    policy_load(p);
    *out = p;
    return 0;
}

void policy_close(struct policy *p)
{
    if (!p)
        return;
    free(p->sink_notified);
    free(p->sink_failures);
    free(p->data_version);
    pthread_mutex_destroy(&p->realized_lock);
    free(p);
}

/* The drifted features of a verdict, as the ABI's feature scores (names borrowed from v). */
static struct dw_feature_score *drifted_features(const struct verdict *v, size_t *n)
{
    struct dw_feature_score *f = calloc(v->n + 1, sizeof *f);
    *n = 0;
    for (size_t i = 0; f && i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        if (!fv->drift)
            continue;
        f[*n].name = fv->name;
        f[*n].method = drift_method_name(fv->method) ? drift_method_name(fv->method) : "missing_share";
        f[*n].score = fv->statistic;
        f[*n].p_value = fv->p_value;
        (*n)++;
    }
    return f;
}

static void send_alerts(struct policy *p, const struct verdict *v, int repeat)
{
    size_t nf = 0;
    struct dw_feature_score *features = drifted_features(v, &nf);
    char summary[512], report[1024];
    snprintf(summary, sizeof summary, "%s: %s %s (%zu of %zu features drifted, share %.2f)", p->mc->name,
             strcmp(p->firing_kind, "performance") == 0 ? "performance degradation" : "data drift",
             p->firing ? "detected" : "resolved", v->drifted, v->nfeatures, v->drift_share);
    snprintf(report, sizeof report, "%s/v1/models/%s/report", p->links.public_url ? p->links.public_url : "",
             p->mc->name);
    struct dw_alert_event ev = {
        .size = sizeof ev,
        .model = p->mc->name,
        .firing = p->firing,
        /* Only dataset drift fires, and Alertmanager identifies an alert by its labels: the resolve
         * must carry the same severity as the firing alert, whatever the resolving verdict says. */
        .severity = "critical",
        .summary = summary,
        .drift_share = v->drift_share,
        .n_features = nf,
        .features = features,
        .report_url = p->links.public_url ? report : NULL,
        .starts_at = p->firing_since,
        .ends_at = p->firing ? 0 : p->links.now(),
        .repeat = repeat,
        .kind = p->firing_kind,
    };
    int changed = 0;
    for (size_t i = 0; i < p->links.n_sinks; i++) {
        struct plugin_instance *s = p->links.sinks[i];
        if (!s || (p->sink_notified[i] && !repeat))
            continue;
        /* A sink that missed the transition gets its first notification, not a repeat. */
        ev.repeat = repeat && p->sink_notified[i];
        char err[512] = "";
        int rc = s->lp->def->alert_send(s->inst, &ev, err, sizeof err);
        if (rc == DW_SEND_DROPPED)
            log_error("policy", "model=%s alert sink %s refused the notification (not retried): %s", p->mc->name,
                      p->links.sink_names[i], err);
        if (rc < 0 && rc != DW_SEND_DROPPED) {
            unsigned n = ++p->sink_failures[i];
            if (failure_worth_logging(n))
                log_error("policy", "model=%s alert sink %s failed, %u notification(s) in a row (will retry at "
                          "the next check): %s", p->mc->name, p->links.sink_names[i], n, err);
            p->sink_notified[i] = 0;
            continue;
        }
        if (rc == 0 && p->sink_failures[i]) {
            log_info("policy", "model=%s alert sink %s delivered again after %u failed notification(s)",
                     p->mc->name, p->links.sink_names[i], p->sink_failures[i]);
            p->sink_failures[i] = 0;
        }
        if (!p->sink_notified[i]) {
            p->sink_notified[i] = 1;
            changed = 1;
        }
    }
    free(features);
    if (changed)
        policy_save(p);
}

static void count_trigger(struct policy *p, const char *result)
{
    const char *trainer = p->mc->retrain ? p->mc->retrain->plugin : "none";
    const char *labels[] = {"model", p->mc->name, "trainer", trainer, "result", result, NULL};
    metrics_counter_add("driftwatch_retrain_triggers_total", "Retrain decisions by model, trainer and result.", labels,
                        1);
}

/* Cooldown and daily cap over the persisted trigger history. */
static const char *retrain_blocked(const struct policy *p, int64_t now)
{
    if (p->n_retrains > 0 && (now - p->retrains[p->n_retrains - 1]) * 1000 < p->mc->retrain_cooldown_ms)
        return "cooldown";
    int today = 0;
    for (size_t i = 0; i < p->n_retrains; i++)
        today += now - p->retrains[i] < 86400;
    if (today >= p->mc->retrain_max_per_day)
        return "max_per_day";
    return NULL;
}

/* Lowercase, every character other than [a-z0-9] a '-', runs of '-' as one, none at either end:
 * the rule the trainers already applied to the key (a Vertex pipelineJobId, a label value). */
static void key_part(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c && o + 1 < outlen; c++) {
        char ch = (char)*c;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            ch = '-';
        if (ch == '-' && (o == 0 || out[o - 1] == '-'))
            continue;
        out[o++] = ch;
    }
    while (o > 0 && out[o - 1] == '-')
        o--;
    out[o] = '\0';
}

/* floor(a / b) for b > 0, negative a included (C's '/' truncates towards zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

void policy_retrain_key(const char *model, const char *data_version, int64_t episode_start, int64_t cooldown_ms,
                        char *out, size_t outlen)
{
    char name[160], dv[13];
    key_part(model ? model : "", name, sizeof name);
    if (!name[0])
        snprintf(name, sizeof name, "model");
    size_t n = 0;
    for (const char *c = data_version ? data_version : ""; *c && n < 12; c++) {
        char ch = *c;
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))
            dv[n++] = ch;
    }
    dv[n] = '\0';
    if (n == 0)
        snprintf(dv, sizeof dv, "unknown");
    /* Every replica that saw the episode start within the same cooldown-long slice of the epoch
     * derives the same bucket; the trainer's cooldown lookup covers a start either side of an edge. */
    int64_t bucket = cooldown_ms > 0 ? floor_div(episode_start * 1000, cooldown_ms) : episode_start;
    snprintf(out, outlen, "%s-%s-%" PRId64, name, dv, bucket);
}

static void maybe_retrain(struct policy *p, const struct verdict *v)
{
    struct plugin_instance *t = p->links.trainer;
    if (!p->mc->retrain || p->retrained_this_episode)
        return;
    if (!t) {
        count_trigger(p, "unavailable");
        return;
    }
    int64_t now = p->links.now();
    const char *blocked = retrain_blocked(p, now);
    if (blocked) {
        log_info("policy", "model=%s retrain not triggered: %s", p->mc->name, blocked);
        count_trigger(p, blocked);
        p->retrained_this_episode = 1;
        policy_save(p);
        return;
    }
    char window_end[64];
    if (v->window_to)
        snprintf(window_end, sizeof window_end, "%s", v->window_to);
    else {
        struct tm tm;
        time_t tnow = (time_t)now;
        gmtime_r(&tnow, &tm);
        strftime(window_end, sizeof window_end, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    /* model + baseline version + the episode's cooldown bucket: every replica that sees this drift
     * episode derives the same key, so the fleet starts one job (docs/operations.md). A trigger that was
     * started but never confirmed (a crash, a trainer error) is retried with the key it had, so the
     * trainer's idempotency (a pipelineJobId, a run name) absorbs the retry. The key is saved
     * before the trigger runs. */
    char key[256];
    if (p->pending_key[0])
        snprintf(key, sizeof key, "%s", p->pending_key);
    else
        policy_retrain_key(p->mc->name, p->data_version, p->streak_start, p->mc->retrain_cooldown_ms, key,
                           sizeof key);
    snprintf(p->pending_key, sizeof p->pending_key, "%s", key);
    if (policy_save(p) < 0)
        return; /* without the pending key on disk a crash could start a second job */
    size_t nf = 0;
    struct dw_feature_score *features = drifted_features(v, &nf);
    struct dw_trigger_event ev = {.size = sizeof ev, .model = p->mc->name, .key = key, .data_version = p->data_version,
                                  .window_end = window_end, .n_features = nf, .features = features,
                                  .dry_run = p->mc->retrain_dry_run, .cooldown_ms = p->mc->retrain_cooldown_ms,
                                  .episode_start = p->streak_start};
    /* Zeroed: a trainer that never sets `joined` reports a trigger. */
    struct dw_trigger_result res = {.size = sizeof res};
    char err[512] = "", names[512] = "";
    for (size_t i = 0, used = 0; i < nf && used < sizeof names; i++) {
        int n = snprintf(names + used, sizeof names - used, "%s%s", i ? "," : "", features[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    int rc = t->lp->def->trigger(t->inst, &ev, &res, err, sizeof err);
    free(features);
    ev.features = NULL; /* the retrain.triggered event below reads the verdict's features instead */
    ev.n_features = 0;
    if (rc < 0) {
        unsigned n = ++p->trigger_failures;
        if (failure_worth_logging(n))
            log_error("policy", "model=%s retrain trigger failed, %u time(s) in a row (will retry at the next "
                      "drifted check): key=%s %s", p->mc->name, n, key, err);
        count_trigger(p, "error");
        return;
    }
    if (p->trigger_failures) {
        log_info("policy", "model=%s retrain trigger succeeded again after %u failure(s): key=%s", p->mc->name,
                 p->trigger_failures, key);
        p->trigger_failures = 0;
    }
    /* joined: the trainer found a job of this model created within the cooldown (another replica's,
     * or this one's before a restart) and took it as this trigger's outcome: it counts towards the
     * cooldown and max_per_day like a trigger. */
    int joined = !ev.dry_run && res.joined;
    log_info("policy", "model=%s retrain %s: trainer=%s data_version=%s features=%s key=%s job=%s state=%s%s",
             p->mc->name, ev.dry_run ? "dry-run" : joined ? "joined" : "triggered", p->mc->retrain->plugin,
             p->data_version, names, key, res.job_id[0] ? res.job_id : "-", res.state[0] ? res.state : "-",
             joined ? " (a job of this model started within the cooldown: not starting another)" : "");
    count_trigger(p, ev.dry_run ? "dry_run" : joined ? "joined" : "triggered");
    if (!ev.dry_run) {
        struct policy_trigger_info info = {.ev = &ev, .res = &res, .joined = joined, .trainer = p->mc->retrain->plugin};
        send_event(p, DW_ACTION_RETRAIN_TRIGGERED, v, &info);
    }
    if (p->n_retrains == MAX_RETRAIN_HISTORY) {
        memmove(p->retrains, p->retrains + 1, (MAX_RETRAIN_HISTORY - 1) * sizeof *p->retrains);
        p->n_retrains--;
    }
    p->retrains[p->n_retrains++] = now;
    p->retrained_this_episode = 1;
    snprintf(p->last_key, sizeof p->last_key, "%s", key);
    p->pending_key[0] = '\0';
    policy_save(p);
}

void policy_set_performance(struct policy *p, int degraded)
{
    __atomic_store_n(&p->performance_degraded, degraded, __ATOMIC_RELAXED);
}

void policy_set_realized(struct policy *p, const struct quality_result *r)
{
    pthread_mutex_lock(&p->realized_lock);
    p->realized = *r;
    pthread_mutex_unlock(&p->realized_lock);
}

void policy_on_verdict(struct policy *p, const struct verdict *v)
{
    /* on_drift.on: dataset drift (data), a multivariate method's drift (multivariate) */
    int on_data = !p->mc->drift_on_set || p->mc->on_data;
    int degraded = __atomic_load_n(&p->performance_degraded, __ATOMIC_RELAXED);
    int data = on_data && v->dataset_drift, multivariate = p->mc->on_multivariate && v->multivariate_drift;
    int drifting = data || multivariate || (p->mc->on_performance && degraded);
    int was_firing = p->firing;
    int old_consecutive = p->consecutive;
    p->consecutive = drifting ? p->consecutive + 1 : 0;
    if (drifting && old_consecutive == 0)
        p->streak_start = p->links.now(); /* the episode's time in the retrain key */
    if (drifting && p->consecutive >= p->mc->consecutive && !p->firing) {
        p->firing = 1;
        snprintf(p->firing_kind, sizeof p->firing_kind, "%s",
                 data ? "data" : multivariate ? "multivariate" : "performance");
        p->firing_since = p->links.now();
        p->retrained_this_episode = 0;
        memset(p->sink_notified, 0, p->links.n_sinks * sizeof *p->sink_notified);
    } else if (!drifting && p->firing) {
        p->firing = 0;
        p->pending_key[0] = '\0'; /* a new episode gets its own key */
        memset(p->sink_notified, 0, p->links.n_sinks * sizeof *p->sink_notified);
    }
    if (p->firing != was_firing || p->consecutive != old_consecutive)
        policy_save(p);
    if (p->firing != was_firing) {
        log_info("policy", "model=%s drift %s after %d consecutive drifted check(s)", p->mc->name,
                 p->firing ? "firing" : "resolved", p->firing ? p->consecutive : old_consecutive);
        send_alerts(p, v, 0);
    } else if (p->firing) {
        send_alerts(p, v, 1);
    } else if (!drifting && p->firing_since) {
        /* resolved notifications that failed earlier are retried until every sink has one */
        for (size_t i = 0; i < p->links.n_sinks; i++)
            if (!p->sink_notified[i]) {
                send_alerts(p, v, 0);
                break;
            }
    }
    if (drifting)
        send_event(p, DW_ACTION_DRIFT_CHECKED, v, NULL);
    if (p->firing)
        maybe_retrain(p, v);
}
