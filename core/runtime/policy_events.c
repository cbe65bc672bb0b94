/* The policy's events for recording sinks (see policy_events.h): built from the verdict and, for a
 * retrain, the trigger's event and result. */
#include "runtime/policy_events.h"

#include <math.h>
#include <stdlib.h>

#include "util/log.h"
#include "plugin/plugin_instance.h"
#include "plugin/plugin_loader.h"

/* JSON has no NaN or infinity: a number a test did not produce is null. */
static json_t *number_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *text_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *features_json(const struct verdict *v)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        const char *method = drift_method_name(fv->method);
        json_t *f = json_pack("{s:s, s:o, s:o, s:o, s:b}", "name", fv->name, "method",
                              text_or_null(method ? method : "missing_share"), "score", number_or_null(fv->statistic),
                              "p_value", number_or_null(fv->p_value), "drifted", fv->drift);
        if (!f || json_array_append_new(arr, f) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The last closed quality window's metrics (delayed labels) as {metric: {"value", "alert"}}; NULL
 * when out of memory. */
static json_t *labels_realized(const struct quality_result *r)
{
    json_t *metrics = json_object();
    for (int m = 0; metrics && m < PM_COUNT; m++) {
        if (!isfinite(r->value[m]))
            continue;
        json_t *j = json_pack("{s:f, s:b}", "value", r->value[m], "alert", r->side[m] != 0);
        if (!j || json_object_set_new(metrics, perf_metric_name((enum perf_metric)m), j) < 0) {
            json_decref(metrics);
            return NULL;
        }
    }
    return metrics;
}

/* The performance of the event: the check's as `check --format json` reports it ({"task", "rows",
 * "realized": {metric: {"value", "lower", "upper", "alert", "direction"}}, "alerts", and "estimated",
 * "estimated_rows" when it estimated}); when the check realized nothing (its window had no
 * targets), "rows", "realized" and "alerts" of the last quality window the delayed labels closed,
 * with "source": "labels". NULL when there is neither (or out of memory: the event goes without). */
static json_t *performance_of(const struct verdict *v, const struct quality_result *realized)
{
    json_t *perf = NULL;
    if (v->performance) {
        json_t *full = verdict_to_json(v);
        perf = json_incref(json_object_get(full, "performance"));
        json_decref(full);
    }
    if (!realized || realized->n == 0 || json_object_size(json_object_get(perf, "realized")) > 0)
        return perf;
    if (!perf && !(perf = json_object()))
        return NULL;
    json_t *metrics = labels_realized(realized);
    if (!metrics || json_object_set_new(perf, "realized", metrics) < 0 ||
        json_object_set_new(perf, "rows", json_integer((json_int_t)realized->n)) < 0 ||
        json_object_set_new(perf, "alerts", json_integer(realized->alerts)) < 0 ||
        json_object_set_new(perf, "source", json_string("labels")) < 0) {
        json_decref(perf);
        return NULL;
    }
    return perf;
}

json_t *policy_event_json(const char *event, const char *model, const char *data_version, int64_t time_ms,
                          const struct verdict *v, const struct quality_result *realized,
                          const struct policy_trigger_info *trigger)
{
    /* v->baseline is the profile's source: {"md5", "data_version": {"git_commit", ...}, ...}. */
    const char *md5 = json_string_value(json_object_get(v->baseline, "md5"));
    const char *commit =
        json_string_value(json_object_get(json_object_get(v->baseline, "data_version"), "git_commit"));
    json_t *features = features_json(v);
    if (!features)
        return NULL;
    json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:I, s:b, s:o, s:I, s:I, s:o}", "event", event,
                          "model", model, "time_ms", (json_int_t)time_ms, "data_version", text_or_null(data_version),
                          "git_commit", text_or_null(commit), "baseline_md5", text_or_null(md5), "window_end",
                          text_or_null(v->window_to), "window_rows", (json_int_t)v->window_rows, "dataset_drift",
                          v->dataset_drift, "drift_share", number_or_null(v->drift_share), "drifted_features",
                          (json_int_t)v->drifted, "features_checked", (json_int_t)v->nfeatures, "features", features);
    json_t *perf = o ? performance_of(v, realized) : NULL;
    if (perf && json_object_set_new(o, "performance", perf) < 0) {
        json_decref(o);
        return NULL;
    }
    if (o && trigger) {
        json_t *t = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I}", "key", trigger->ev->key, "job_id",
                              trigger->res->job_id, "job_state", trigger->res->state, "joined", trigger->joined,
                              "trainer", trigger->trainer, "episode_start", (json_int_t)trigger->ev->episode_start);
        if (!t || json_object_update(o, t) < 0) {
            json_decref(o);
            o = NULL;
        }
        json_decref(t);
    }
    return o;
}

void policy_events_send(struct plugin_instance *const *sinks, const char *const *sink_names, size_t n_sinks,
                        const char *event, const char *model, const char *data_version, int64_t time_ms,
                        const struct verdict *v, const struct quality_result *realized,
                        const struct policy_trigger_info *trigger)
{
    char *params = NULL;
    for (size_t i = 0; i < n_sinks; i++) {
        struct plugin_instance *s = sinks[i];
        if (!s || !loader_has_action(s->lp->def))
            continue;
        if (!params) {
            json_t *doc = policy_event_json(event, model, data_version, time_ms, v, realized, trigger);
            params = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
            json_decref(doc);
            if (!params) {
                log_error("policy", "model=%s cannot build the %s event for the alert sinks: out of memory", model,
                          event);
                return;
            }
        }
        char err[768] = "";
        char *result = NULL;
        int rc = s->lp->def->action(s->inst, event, params, &result, err, sizeof err);
        free(result);
        if (rc == DW_SEND_DROPPED)
            log_error("policy", "model=%s alert sink %s refused the %s event (not retried): %s", model, sink_names[i],
                      event, err);
        else if (rc < 0 && rc != DW_ACTION_UNKNOWN)
            log_warn("policy", "model=%s alert sink %s could not record the %s event now: %s", model, sink_names[i],
                     event, err);
    }
    free(params);
}
