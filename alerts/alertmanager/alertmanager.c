/* Alertmanager alert sink: one alert per model, posted to Alertmanager's API v2
 * (POST {url}/api/v2/alerts), re-sent while firing and resolved with endsAt <= now. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "sink_common.h"

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

/* Features listed in the description annotation; the rest are counted ("and N more"). */
#define AM_MAX_LISTED_FEATURES 50

struct am_config {
    const char *url;
    const char *alertname;
    const char *generator_url;
    const char *bearer_token;
    struct pu_sink_http http;
};

struct am_instance {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char *name;          /* instance name: the `sink` label */
    char *endpoint;      /* {url}/api/v2/alerts */
    char *endpoint_desc; /* endpoint without userinfo or query, for messages */
    char *alertname;
    char *generator_url; /* NULL: the event's report URL */
    struct pu_label *labels;
    size_t n_labels;
    char *auth_header;   /* "Authorization: Bearer ..." or NULL */
    struct pu_sink_http http; /* timeout, attempts and deadline (labels are parsed in init) */

    /* The severity label each model's firing alert was last sent with. Labels are an alert's
     * identity in Alertmanager, so a resolve (or an escalation) must name the severity that fired,
     * whatever the event says now; kept in state_path so a restart between firing and resolve
     * still resolves the right alert. */
    pthread_mutex_t lock;
    struct pu_label *firing; /* name: model, value: severity */
    size_t n_firing;
    char *state_path;        /* NULL: no state directory, memory only */
};

static const struct dw_option am_options[] = {
    {.name = "url", .type = DW_OPT_STRING, .required = 1, .offset = offsetof(struct am_config, url),
     .description = "Alertmanager base URL, e.g. http://127.0.0.1:9093 (alerts go to {url}/api/v2/alerts)"},
    {.name = "alertname", .type = DW_OPT_STRING, .def = "DriftDetected", .offset = offsetof(struct am_config, alertname),
     .description = "value of the alertname label"},
    {.name = "generator_url", .type = DW_OPT_STRING, .offset = offsetof(struct am_config, generator_url),
     .description = "generatorURL of the alerts (default: the event's drift report URL)"},
    {.name = "bearer_token", .type = DW_OPT_SECRET, .offset = offsetof(struct am_config, bearer_token),
     .description = "sent as Authorization: Bearer <token> (Alertmanager behind an authenticating proxy)"},
    PU_SINK_HTTP_OPTIONS(struct am_config, http, "static labels added to every alert, as name=value (e.g. team=ml)",
                         "notification"),
    {0},
};

static int am_valid_label_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        int digit = *p >= '0' && *p <= '9';
        if (!alpha && !(digit && p != s))
            return 0;
    }
    return 1;
}

/* Adds key: string to obj; returns 0 or -1. */
static int am_set_text(json_t *obj, const char *key, const char *value)
{
    json_t *j = pu_json_text(value ? value : "");
    return j ? json_object_set_new(obj, key, j) : -1;
}

static void am_instance_free(struct am_instance *in)
{
    if (!in)
        return;
    free(in->name);
    free(in->endpoint);
    free(in->endpoint_desc);
    free(in->alertname);
    free(in->generator_url);
    pu_free_labels(in->labels, in->n_labels);
    free(in->auth_header);
    pu_free_labels(in->firing, in->n_firing);
    free(in->state_path);
    pthread_mutex_destroy(&in->lock);
    free(in);
}

/* ---- firing severities: lookup, update and the state file ---- */

static const char *am_firing_severity(const struct am_instance *in, const char *model)
{
    for (size_t i = 0; i < in->n_firing; i++)
        if (strcmp(in->firing[i].name, model) == 0)
            return in->firing[i].value;
    return NULL;
}

/* Records model's firing severity (NULL: not firing). Returns 1 when it changed, 0 when not, -1
 * when out of memory. */
static int am_firing_set(struct am_instance *in, const char *model, const char *severity)
{
    for (size_t i = 0; i < in->n_firing; i++) {
        if (strcmp(in->firing[i].name, model) != 0)
            continue;
        if (severity && strcmp(in->firing[i].value, severity) == 0)
            return 0;
        if (severity) {
            char *v = pu_strdup(severity);
            if (!v)
                return -1;
            free(in->firing[i].value);
            in->firing[i].value = v;
            return 1;
        }
        free(in->firing[i].name);
        free(in->firing[i].value);
        in->firing[i] = in->firing[--in->n_firing];
        return 1;
    }
    if (!severity)
        return 0;
    struct pu_label *grown = realloc(in->firing, (in->n_firing + 1) * sizeof *grown);
    if (!grown)
        return -1;
    in->firing = grown;
    char *name = pu_strdup(model), *value = pu_strdup(severity);
    if (!name || !value) {
        free(name);
        free(value);
        return -1;
    }
    in->firing[in->n_firing].name = name;
    in->firing[in->n_firing].value = value;
    in->n_firing++;
    return 1;
}

/* {"fraud": "critical", ...}, written to a temporary file and renamed over the old one. */
static void am_state_save(struct am_instance *in)
{
    if (!in->state_path)
        return;
    json_t *doc = json_object();
    for (size_t i = 0; doc && i < in->n_firing; i++)
        am_set_text(doc, in->firing[i].name, in->firing[i].value);
    size_t n = strlen(in->state_path) + sizeof ".tmp";
    char *tmp = malloc(n);
    int ok = doc && tmp;
    if (ok) {
        snprintf(tmp, n, "%s.tmp", in->state_path);
        ok = json_dump_file(doc, tmp, JSON_COMPACT) == 0 && rename(tmp, in->state_path) == 0;
        if (!ok)
            remove(tmp);
    }
    if (!ok)
        in->host->log(in->ctx, DW_LOG_WARN, "cannot write %s (%s): after a restart, a resolve may not find "
                      "an escalated alert's severity", in->state_path, strerror(errno));
    free(tmp);
    json_decref(doc);
}

static int am_state_load(struct am_instance *in, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_load_file(in->state_path, 0, &jerr);
    if (!doc) {
        FILE *f = fopen(in->state_path, "r");
        if (!f)
            return 0; /* first start */
        fclose(f);
        /* A damaged file only loses the memory of escalations; say so and go on. */
        in->host->log(in->ctx, DW_LOG_WARN, "ignoring %s: %s (line %d)", in->state_path, jerr.text, jerr.line);
        return 0;
    }
    const char *model;
    json_t *sev;
    json_object_foreach(doc, model, sev) {
        if (json_is_string(sev) && am_firing_set(in, model, json_string_value(sev)) < 0) {
            json_decref(doc);
            snprintf(err, errlen, "alertmanager %s: out of memory", in->name);
            return -1;
        }
    }
    json_decref(doc);
    return 0;
}

/* Static label names must be Prometheus label names, and the ones the sink sets itself are refused
 * so a config cannot silently change an alert's identity. */
static int am_check_label(const char *name, size_t i, const char *who, char *err, size_t errlen)
{
    static const char *const reserved[] = {"alertname", "model", "severity", NULL};
    if (!am_valid_label_name(name)) {
        snprintf(err, errlen, "%s: labels[%zu]: \"%s\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)", who, i,
                 name);
        return -1;
    }
    for (const char *const *r = reserved; *r; r++) {
        if (strcmp(name, *r) == 0) {
            snprintf(err, errlen, "%s: labels[%zu]: \"%s\" is set by the sink itself (use the alertname option to "
                     "rename the alert)", who, i, name);
            return -1;
        }
    }
    return 0;
}

static int am_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                   void **instance, char *err, size_t errlen)
{
    const struct am_config *cfg = config;
    const char *iname = instance_name ? instance_name : "alertmanager";
    struct am_instance *in = NULL;

    *instance = NULL;
    if (!cfg->url || !*cfg->url) {
        snprintf(err, errlen, "alertmanager %s: option url is required (e.g. url: http://127.0.0.1:9093)", iname);
        return -1;
    }
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        char *desc = pu_describe_url(cfg->url); /* without credentials */
        snprintf(err, errlen, "alertmanager %s: url \"%s\" must start with http:// or https://", iname,
                 desc ? desc : "?");
        free(desc);
        return -1;
    }

    in = calloc(1, sizeof *in);
    if (!in)
        goto oom;
    pthread_mutex_init(&in->lock, NULL);
    in->host = host;
    in->ctx = ctx;
    in->http = cfg->http;
    in->name = pu_strdup(iname);
    in->alertname = pu_strdup(cfg->alertname && *cfg->alertname ? cfg->alertname : "DriftDetected");
    if (!in->name || !in->alertname)
        goto oom;
    if (cfg->generator_url && *cfg->generator_url && !(in->generator_url = pu_strdup(cfg->generator_url)))
        goto oom;

    /* {url}/api/v2/alerts, whether or not the configured URL ends in a slash. */
    size_t base_len = strlen(cfg->url);
    while (base_len > 0 && cfg->url[base_len - 1] == '/')
        base_len--;
    size_t n = base_len + sizeof "/api/v2/alerts";
    in->endpoint = malloc(n);
    if (!in->endpoint)
        goto oom;
    snprintf(in->endpoint, n, "%.*s/api/v2/alerts", (int)base_len, cfg->url);
    if (!(in->endpoint_desc = pu_describe_url(in->endpoint)))
        goto oom;

    if (cfg->bearer_token && *cfg->bearer_token) {
        n = strlen(cfg->bearer_token) + sizeof "Authorization: Bearer ";
        if (!(in->auth_header = malloc(n)))
            goto oom;
        snprintf(in->auth_header, n, "Authorization: Bearer %s", cfg->bearer_token);
    }
    char who[160];
    snprintf(who, sizeof who, "alertmanager %s", iname);
    if (pu_parse_labels(&cfg->http.labels, who, am_check_label, &in->labels, &in->n_labels, err, errlen) < 0) {
        am_instance_free(in);
        return -1;
    }

    if (host->state_dir && *host->state_dir) {
        /* <state_dir>/alertmanager-<instance>.json, the instance name reduced to safe characters. */
        n = strlen(host->state_dir) + strlen(iname) + sizeof "/alertmanager-.json";
        if (!(in->state_path = malloc(n)))
            goto oom;
        int w = snprintf(in->state_path, n, "%s/alertmanager-", host->state_dir);
        for (const char *c = iname; *c; c++) {
            int safe = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                       *c == '-' || *c == '_' || *c == '.';
            in->state_path[w++] = safe ? *c : '_';
        }
        snprintf(in->state_path + w, n - (size_t)w, ".json");
        if (am_state_load(in, err, errlen) < 0) {
            am_instance_free(in);
            return -1;
        }
    }

    pu_sink_count_init(host, ctx, in->name);
    *instance = in;
    return 0;

oom:
    am_instance_free(in);
    snprintf(err, errlen, "alertmanager %s: out of memory", iname);
    return -1;
}

static void am_destroy(void *instance)
{
    am_instance_free(instance);
}

/* "amount: psi = 0.312\ncountry: chisquare = 12.5 (p = 0.0004)" */
static char *am_describe_features(const struct dw_alert_event *ev)
{
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    if (ev->n_features == 0 || !ev->features) {
        snprintf(out, cap, "%s", ev->firing ? "No feature drifted on its own; the dataset as a whole did."
                                            : "Drift has cleared.");
        return out;
    }
    size_t listed = ev->n_features < AM_MAX_LISTED_FEATURES ? ev->n_features : AM_MAX_LISTED_FEATURES;
    for (size_t i = 0; i <= listed; i++) {
        char line[640];
        if (i == listed) {
            if (ev->n_features == listed)
                break;
            snprintf(line, sizeof line, "... and %zu more", ev->n_features - listed);
        } else {
            const struct dw_feature_score *f = &ev->features[i];
            char p[48] = "";
            if (!isnan(f->p_value))
                snprintf(p, sizeof p, " (p = %.4g)", f->p_value);
            snprintf(line, sizeof line, "%s%.256s: %.64s = %.4g%s", i ? "\n" : "", f->name ? f->name : "?",
                     f->method ? f->method : "?", f->score, p);
        }
        size_t ln = strlen(line);
        if (len + ln + 2 > cap) {
            size_t ncap = (len + ln + 2) * 2;
            char *grown = realloc(out, ncap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
            cap = ncap;
        }
        if (i == listed)
            out[len++] = '\n';
        memcpy(out + len, line, ln + 1);
        len += ln;
    }
    return out;
}

/* One alert of the request: this model's alert with the given severity label, firing (no endsAt)
 * or resolved (endsAt <= now). NULL when out of memory. */
static json_t *am_alert_json(const struct am_instance *in, const struct dw_alert_event *ev, const char *severity,
                             int firing, int64_t now)
{
    char *description = NULL;
    char starts[32], ends[32], share[32], summary[512], names[1024];
    json_t *alert = json_object();
    json_t *labels = json_object();
    json_t *ann = json_object();
    int bad = !alert || !labels || !ann;
    if (bad)
        goto out;

    /* realized performance is its own alert (the Prometheus rule's name), resolved by the same name */
    int performance = ev->kind && strcmp(ev->kind, "performance") == 0;
    bad |= am_set_text(labels, "alertname", performance ? "PerformanceDegraded" : in->alertname) |
           am_set_text(labels, "model", ev->model) |
           am_set_text(labels, "severity", severity);
    for (size_t i = 0; i < in->n_labels; i++)
        bad |= am_set_text(labels, in->labels[i].name, in->labels[i].value);

    if (ev->summary && *ev->summary)
        snprintf(summary, sizeof summary, "%s", ev->summary);
    else if (ev->firing)
        snprintf(summary, sizeof summary, "Data drift on model %.200s: %zu feature%s drifted (drift share %.2f)",
                 ev->model, ev->n_features, ev->n_features == 1 ? "" : "s", ev->drift_share);
    else
        snprintf(summary, sizeof summary, "Data drift on model %.200s has cleared", ev->model);
    description = am_describe_features(ev);
    snprintf(share, sizeof share, "%.4g", isfinite(ev->drift_share) ? ev->drift_share : 0.0);
    names[0] = '\0';
    for (size_t i = 0, used = 0; ev->features && i < ev->n_features; i++) {
        const char *nm = ev->features[i].name ? ev->features[i].name : "?";
        int w = snprintf(names + used, sizeof names - used, "%s%s", i ? "," : "", nm);
        if (w < 0 || (size_t)w >= sizeof names - used) {
            names[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    bad |= am_set_text(ann, "summary", summary) | am_set_text(ann, "description", description ? description : "") |
           am_set_text(ann, "drift_share", share) | am_set_text(ann, "drifted_features", names);
    if (ev->report_url && *ev->report_url)
        bad |= am_set_text(ann, "report_url", ev->report_url);

    int64_t starts_at = ev->starts_at > 0 ? ev->starts_at : now;
    pu_rfc3339(starts_at, starts, sizeof starts);
    bad |= json_object_set_new(alert, "labels", labels);
    labels = NULL;
    bad |= json_object_set_new(alert, "annotations", ann);
    ann = NULL;
    bad |= am_set_text(alert, "startsAt", starts);
    if (!firing) {
        /* Alertmanager resolves an alert whose endsAt is not in the future; a clock that runs ahead
         * of Alertmanager's would otherwise leave it firing until then. */
        int64_t ends_at = !ev->firing && ev->ends_at > 0 && ev->ends_at <= now ? ev->ends_at : now;
        if (ends_at < starts_at)
            ends_at = starts_at;
        pu_rfc3339(ends_at, ends, sizeof ends);
        bad |= am_set_text(alert, "endsAt", ends);
    }
    const char *gen = in->generator_url ? in->generator_url : ev->report_url;
    if (gen && *gen)
        bad |= am_set_text(alert, "generatorURL", gen);

out:
    free(description);
    json_decref(labels);
    json_decref(ann);
    if (bad) {
        json_decref(alert);
        return NULL;
    }
    return alert;
}

/* The request body, a JSON array: the model's alert, preceded by the resolve of its alert under
 * an earlier severity (prev_severity, may be NULL) when the severity changed while firing. */
static char *am_build_body(const struct am_instance *in, const struct dw_alert_event *ev, const char *severity,
                           const char *prev_severity, int64_t now)
{
    char *body = NULL;
    json_t *arr = json_array();
    int bad = !arr;
    if (!bad && prev_severity && strcmp(prev_severity, severity) != 0) {
        json_t *old = am_alert_json(in, ev, prev_severity, 0, now);
        bad |= !old || json_array_append_new(arr, old);
    }
    json_t *alert = bad ? NULL : am_alert_json(in, ev, severity, ev->firing, now);
    bad |= !alert || json_array_append_new(arr, alert);
    if (!bad)
        body = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return body;
}

/* Returns 0 when Alertmanager accepted the alert; -1 on a transient failure (network, 429, 5xx
 * after the host's retries: sending later may work); -2 when it was refused (other 4xx) or could
 * not be built: the same alert would be refused again. */
static int am_alert_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    struct am_instance *in = instance;
    int ret = -1;
    char *body = NULL;

    if (!ev || !ev->model || !*ev->model) {
        snprintf(err, errlen, "alertmanager %s: event without a model name, not sent", in->name);
        pu_sink_count(in->host, in->ctx, in->name, "dropped");
        return -2;
    }
    /* Severity label: a resolve names the severity that fired; firing under a new severity resolves
     * the old alert in the same request. The lock guards the table (sinks may be called from
     * several threads); one model's events come one at a time. */
    pthread_mutex_lock(&in->lock);
    const char *ev_severity = ev->severity && *ev->severity ? ev->severity : "warning";
    const char *known = am_firing_severity(in, ev->model);
    char severity[64], prev[64] = "";
    snprintf(severity, sizeof severity, "%s", !ev->firing && known ? known : ev_severity);
    if (ev->firing && known)
        snprintf(prev, sizeof prev, "%s", known);
    pthread_mutex_unlock(&in->lock);

    body = am_build_body(in, ev, severity, prev[0] ? prev : NULL, (int64_t)time(NULL));
    if (!body) {
        snprintf(err, errlen, "alertmanager %s: cannot encode the alert for model %s (out of memory)", in->name,
                 ev->model);
        pu_sink_count(in->host, in->ctx, in->name, "dropped");
        return -2;
    }

    const char *headers[5];
    size_t nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = "User-Agent: driftwatch/" DW_VERSION;
    if (in->auth_header)
        headers[nh++] = in->auth_header;
    headers[nh] = NULL;

    struct dw_http_client_request req = pu_sink_post(&in->http, in->endpoint, headers, body, strlen(body));
    struct dw_http_client_response resp = {.size = sizeof resp};
    char herr[512] = "";
    int rc = in->host->http_request(in->ctx, &req, &resp, herr, sizeof herr);
    const char *what = ev->firing ? (ev->repeat ? "firing (repeat)" : "firing") : "resolved";
    char detail[PU_HTTP_DETAIL_MAX];
    ret = pu_http_outcome(rc, &resp, herr, detail, sizeof detail);
    if (ret != PU_HTTP_OK)
        snprintf(err, errlen, "alertmanager %s: POST %s (%s alert for model %s) %s", in->name, in->endpoint_desc,
                 what, ev->model, detail);
    pu_sink_count(in->host, in->ctx, in->name, pu_alert_result(ret));
    if (ret == PU_HTTP_OK) {
        pthread_mutex_lock(&in->lock);
        if (am_firing_set(in, ev->model, ev->firing ? severity : NULL) > 0)
            am_state_save(in);
        pthread_mutex_unlock(&in->lock);
    }
    if (resp.body)
        in->host->free(resp.body);
    free(body);
    return ret;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "alertmanager",
    .kind = DW_KIND_ALERT,
    .version = DW_VERSION,
    .description = "Sends drift alerts to Prometheus Alertmanager (API v2), resolved when drift clears",
    .options = am_options,
    .config_size = sizeof(struct am_config),
    .init = am_init,
    .destroy = am_destroy,
    .alert_send = am_alert_send,
};
