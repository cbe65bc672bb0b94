/* What one event's run holds: its key and name, the driftwatch.* tags, the drift metrics (keys in
 * MLflow's allowed characters) and the params. The README.md of this directory lists them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlflow.h"

/* MLflow's limit on a metric or param key. */
#define ML_KEY_MAX 250

static const char *text_of(const json_t *event, const char *key)
{
    const char *s = json_string_value(json_object_get(event, key));
    return s && *s ? s : NULL;
}

static int is_retrain(const json_t *event)
{
    const char *ev = text_of(event, "event");
    return ev && strcmp(ev, DW_ACTION_RETRAIN_TRIGGERED) == 0;
}

char *ml_event_key(const json_t *event)
{
    if (is_retrain(event)) {
        const char *key = text_of(event, "key");
        return key ? pu_strdup(key) : NULL;
    }
    const char *model = text_of(event, "model");
    json_t *t = json_object_get(event, "time_ms");
    if (!model || !json_is_integer(t))
        return NULL;
    return pu_strf("check-%s-%" JSON_INTEGER_FORMAT, model, json_integer_value(t));
}

char *ml_run_name(const json_t *event)
{
    char *key = ml_event_key(event);
    char *name = key ? pu_strf("%s%s", is_retrain(event) ? "retrain-" : "", key) : NULL;
    free(key);
    return name;
}

void ml_sanitize_key(const char *s, char *out, size_t outlen)
{
    size_t cap = outlen - 1 < ML_KEY_MAX ? outlen - 1 : ML_KEY_MAX;
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c && o < cap; c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                 *c == '-' || *c == '.' || *c == ' ' || *c == '/';
        out[o++] = ok ? (char)*c : '_';
    }
    out[o] = '\0';
}

static int add_pair(json_t *arr, const char *key, const char *value)
{
    json_t *o = json_pack("{s:s, s:s}", "key", key, "value", value);
    return o ? json_array_append_new(arr, o) : -1;
}

json_t *ml_run_tags(const json_t *event, const char *key)
{
    static const struct {
        const char *tag, *field;
    } from_event[] = {
        {ML_TAG_MODEL, "model"},           {ML_TAG_DATA_VERSION, "data_version"},
        {ML_TAG_GIT_COMMIT, "git_commit"}, {ML_TAG_BASELINE_MD5, "baseline_md5"},
        {ML_TAG_JOB_ID, "job_id"},         {ML_TAG_EVENT, "event"},
    };
    json_t *tags = json_array();
    int bad = !tags || add_pair(tags, ML_TAG_KEY, key) < 0;
    /* A tag's value must be a string: what the event does not know is left out, not sent empty. */
    for (size_t i = 0; !bad && i < sizeof from_event / sizeof *from_event; i++) {
        const char *v = text_of(event, from_event[i].field);
        if (v)
            bad = add_pair(tags, from_event[i].tag, v) < 0;
    }
    if (bad) {
        json_decref(tags);
        return NULL;
    }
    return tags;
}

/* A feature's key prefix "feature.<name>", sanitised and cut so that ".p_value" still fits MLflow's
 * key limit; a name that comes out as one already taken (a:b and a;b both give a_b) gets
 * "_<its 1-based position>" so no two features share a series. */
static void feature_prefix(json_t *taken, const char *name, size_t index, char *out, size_t outlen)
{
    const size_t room = ML_KEY_MAX - strlen(".p_value");
    char raw[2 * ML_KEY_MAX];
    snprintf(raw, sizeof raw, "feature.%s", name);
    ml_sanitize_key(raw, out, outlen);
    if (strlen(out) > room)
        out[room] = '\0';
    if (json_object_get(taken, out)) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, "_%zu", index + 1);
        size_t n = strlen(out);
        if (n > room - strlen(suffix))
            n = room - strlen(suffix);
        snprintf(out + n, outlen - n, "%s", suffix);
    }
    json_object_set_new(taken, out, json_true());
}

static int add_metric(json_t *arr, const char *key, double value, json_int_t ts)
{
    if (!isfinite(value))
        return 0;
    json_t *o = json_pack("{s:s, s:f, s:I, s:i}", "key", key, "value", value, "timestamp", ts, "step", 0);
    return o ? json_array_append_new(arr, o) : -1;
}

static int add_feature_metric(json_t *arr, const char *prefix, const char *what, const json_t *value, json_int_t ts)
{
    if (!json_is_number(value) && !json_is_boolean(value))
        return 0;
    char key[ML_KEY_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", prefix, what);
    return add_metric(arr, key, json_is_boolean(value) ? (json_is_true(value) ? 1 : 0) : json_number_value(value), ts);
}

json_t *ml_run_metrics(const json_t *event)
{
    static const char *const dataset[] = {"drift_share", "drifted_features", "features_checked", "window_rows"};
    json_int_t ts = json_integer_value(json_object_get(event, "time_ms"));
    json_t *arr = json_array(), *taken = json_object();
    int bad = !arr || !taken;
    for (size_t i = 0; !bad && i < sizeof dataset / sizeof *dataset; i++) {
        json_t *v = json_object_get(event, dataset[i]);
        if (json_is_number(v))
            bad = add_metric(arr, dataset[i], json_number_value(v), ts) < 0;
    }
    if (!bad)
        bad = add_metric(arr, "dataset_drift", json_is_true(json_object_get(event, "dataset_drift")), ts) < 0;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(event, "features"), i, f) {
        const char *name = text_of(f, "name");
        if (bad || !name)
            continue;
        char prefix[ML_KEY_MAX + 1];
        feature_prefix(taken, name, i, prefix, sizeof prefix);
        bad = add_feature_metric(arr, prefix, "score", json_object_get(f, "score"), ts) < 0 ||
              add_feature_metric(arr, prefix, "p_value", json_object_get(f, "p_value"), ts) < 0 ||
              add_feature_metric(arr, prefix, "drifted", json_object_get(f, "drifted"), ts) < 0;
    }
    /* The performance, when the event has it: performance.<metric> (realized) and .rows,
     * performance.estimated.<metric> and .estimated_rows. */
    json_t *perf = json_object_get(event, "performance");
    static const char *const counts[] = {"rows", "estimated_rows"};
    for (size_t c = 0; !bad && c < 2; c++) {
        json_t *n = json_object_get(perf, counts[c]);
        char key[64];
        snprintf(key, sizeof key, "performance.%s", counts[c]);
        if (json_is_integer(n))
            bad = add_metric(arr, key, (double)json_integer_value(n), ts) < 0;
    }
    static const char *const kinds[][2] = {{"realized", "performance."}, {"estimated", "performance.estimated."}};
    for (size_t k = 0; k < 2; k++) {
        const char *metric;
        json_t *m;
        json_object_foreach(json_object_get(perf, kinds[k][0]), metric, m) {
            json_t *value = json_object_get(m, "value");
            char raw[2 * ML_KEY_MAX], key[ML_KEY_MAX + 1];
            snprintf(raw, sizeof raw, "%s%s", kinds[k][1], metric);
            ml_sanitize_key(raw, key, sizeof key);
            if (!bad && json_is_number(value))
                bad = add_metric(arr, key, json_number_value(value), ts) < 0;
        }
    }
    json_decref(taken);
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

json_t *ml_run_params(const json_t *event)
{
    static const char *const fields[] = {"trainer", "job_state", "window_end"};
    json_t *arr = json_array(), *taken = json_object();
    int bad = !arr || !taken;
    for (size_t i = 0; !bad && i < sizeof fields / sizeof *fields; i++) {
        const char *v = text_of(event, fields[i]);
        if (v)
            bad = add_pair(arr, fields[i], v) < 0;
    }
    const char *task = text_of(json_object_get(event, "performance"), "task");
    if (!bad && task)
        bad = add_pair(arr, "performance.task", task) < 0;
    json_t *episode = json_object_get(event, "episode_start");
    if (!bad && json_is_integer(episode)) {
        char text[32];
        pu_rfc3339(json_integer_value(episode), text, sizeof text);
        bad = add_pair(arr, "episode_start", text) < 0;
    }
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(event, "features"), i, f) {
        const char *name = text_of(f, "name"), *method = text_of(f, "method");
        if (bad || !name || !method)
            continue;
        char prefix[ML_KEY_MAX + 1], key[ML_KEY_MAX + 16];
        feature_prefix(taken, name, i, prefix, sizeof prefix);
        snprintf(key, sizeof key, "%s.method", prefix);
        bad = add_pair(arr, key, method) < 0;
    }
    json_decref(taken);
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
