/* mlflow plugin: an alert sink that records the policy's events as MLflow runs through the tracking
 * REST API 2.0: each retrain trigger (key, job id, data version, git commit, baseline md5, drift
 * metrics), and each drifted check when log_checks is on. The events reach it through `action`
 * (plugin.h: DW_ACTION_RETRAIN_TRIGGERED, DW_ACTION_DRIFT_CHECKED); alert notifications themselves
 * are not recorded. README.md in this directory describes runs, tags, metrics and params. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mlflow.h"

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

#define OPT(n, t, d, req, field, desc) \
    {.name = n, .type = t, .def = d, .required = req, .offset = offsetof(struct ml_config, field),       \
     .description = desc}
/* An option the loader keeps within [lo, hi] (NULL: unbounded on that side). */
#define OPT_IN(n, t, d, field, desc, lo, hi) \
    {.name = n, .type = t, .def = d, .offset = offsetof(struct ml_config, field), .description = desc, \
     .min = lo, .max = hi}
static const struct dw_option ml_options[] = {
    OPT("tracking_uri", DW_OPT_STRING, NULL, 1, tracking_uri,
        "the MLflow tracking server's base URL (http:// or https://), e.g. http://mlflow:5000"),
    OPT("experiment", DW_OPT_STRING, "driftwatch", 0, experiment,
        "experiment the runs go to (created when missing); {model} stands for the model's name"),
    OPT("token", DW_OPT_SECRET, NULL, 0, token,
        "bearer token (Authorization: Bearer), as MLFLOW_TRACKING_TOKEN; use token_file or ${ENV}"),
    OPT("username", DW_OPT_STRING, NULL, 0, username, "basic auth user (with password), as MLFLOW_TRACKING_USERNAME"),
    OPT("password", DW_OPT_SECRET, NULL, 0, password,
        "basic auth password, as MLFLOW_TRACKING_PASSWORD; use password_file or ${ENV}"),
    OPT("log_checks", DW_OPT_BOOL, "false", 0, log_checks,
        "also record each drifted check as a run (not only retrain triggers)"),
    OPT_IN("timeout", DW_OPT_DURATION, "10s", timeout, "timeout of one HTTP attempt", "1ms", NULL),
    OPT_IN("max_attempts", DW_OPT_INT, "5", max_attempts,
           "attempts per request (retried on network errors, 429 and 5xx, exponential backoff with jitter)", "1",
           "100"),
    OPT_IN("deadline", DW_OPT_DURATION, "60s", deadline, "overall time of one request across its retries", "1ms",
           NULL),
    OPT_IN("retry_delay", DW_OPT_DURATION, "1s", retry_delay,
           "first wait before searching again after a failed runs/create (doubles, full jitter, capped at 60s)", "0",
           NULL),
    OPT_IN("retry_interval", DW_OPT_DURATION, "1m", retry_interval,
           "how often events MLflow did not take (kept in the state directory) are tried again", "1ms", NULL),
    {0},
};

static void cleanse_free(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = '\0';
    free(s);
}

static void ml_free(struct ml *m)
{
    if (!m)
        return;
    ml_queue_free(m);
    cleanse_free(m->auth_header);
    free(m->name);
    free(m->base);
    free(m->base_desc);
    free(m->experiment);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* "Authorization: Basic <base64(user:password)>", malloc'd; NULL when out of memory. */
static char *basic_header(const char *user, const char *password)
{
    char *plain = pu_strf("%s:%s", user, password);
    if (!plain)
        return NULL;
    size_t n = strlen(plain);
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
    char *header = b64 ? pu_strf("Authorization: Basic %s", b64) : NULL;
    cleanse_free(plain);
    cleanse_free(b64);
    return header;
}

static int check_config(const struct ml_config *c, const char *iname, char *err, size_t errlen)
{
    if (!c->tracking_uri || (strncmp(c->tracking_uri, "http://", 7) != 0 && strncmp(c->tracking_uri, "https://", 8) != 0)) {
        snprintf(err, errlen, "mlflow %s: option 'tracking_uri' must be an http:// or https:// URL of the tracking "
                 "server, e.g. http://127.0.0.1:5000", iname);
        return -1;
    }
    if (strchr(c->tracking_uri, '?') || strchr(c->tracking_uri, '#')) {
        snprintf(err, errlen, "mlflow %s: option 'tracking_uri' must not have a query or fragment", iname);
        return -1;
    }
    if (!c->experiment || !*c->experiment) {
        snprintf(err, errlen, "mlflow %s: option 'experiment' is empty", iname);
        return -1;
    }
    int token = c->token && *c->token, user = c->username && *c->username, pass = c->password && *c->password;
    if (token && (user || pass)) {
        snprintf(err, errlen, "mlflow %s: set either 'token' or 'username' and 'password', not both", iname);
        return -1;
    }
    if (user != pass) {
        snprintf(err, errlen, "mlflow %s: basic auth needs both 'username' and 'password' (password_file)", iname);
        return -1;
    }
    if (has_control(c->token) || has_control(c->username) || has_control(c->password)) {
        snprintf(err, errlen, "mlflow %s: option 'token', 'username' or 'password' holds a control character (a "
                 "trailing newline from a file?)", iname);
        return -1;
    }
    if (user && strchr(c->username, ':')) {
        snprintf(err, errlen, "mlflow %s: option 'username' must not contain ':' (basic auth)", iname);
        return -1;
    }
    return 0;
}

static int ml_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                   void **instance, char *err, size_t errlen)
{
    const struct ml_config *c = config;
    const char *iname = instance_name;
    *instance = NULL;
    if (check_config(c, iname, err, errlen) < 0)
        return -1;
    struct ml *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "mlflow %s: out of memory", iname);
        return -1;
    }
    pthread_mutex_init(&m->lock, NULL);
    pu_cond_init_monotonic(&m->cond);
    m->host = host;
    m->ctx = ctx;
    m->log_checks = c->log_checks;
    m->timeout_ms = c->timeout;
    m->deadline_ms = c->deadline;
    m->max_attempts = (int)c->max_attempts;
    m->retry_delay_ms = c->retry_delay > 0 ? c->retry_delay : 1; /* a delay of 0 would never double */
    m->retry_interval_ms = c->retry_interval;
    int failed = !(m->name = pu_strdup(iname)) || !(m->base = pu_strdup(c->tracking_uri)) ||
                 !(m->experiment = pu_strdup(c->experiment));
    if (!failed) {
        size_t n = strlen(m->base);
        while (n > 0 && m->base[n - 1] == '/')
            m->base[--n] = '\0';
        failed = !(m->base_desc = pu_describe_url(m->base));
    }
    if (!failed && c->token && *c->token)
        failed = !(m->auth_header = pu_strf("Authorization: Bearer %s", c->token));
    else if (!failed && c->username && *c->username)
        failed = !(m->auth_header = basic_header(c->username, c->password));
    if (failed) {
        ml_free(m);
        snprintf(err, errlen, "mlflow %s: out of memory", iname);
        return -1;
    }
    /* The basic header's base64 is a secret the host does not know of. */
    if (m->auth_header)
        host->add_secret(ctx, strchr(m->auth_header, ' ') + 1);
    static const char *const results[] = {"created", "found", "error", "refused"};
    static const char *const events[] = {DW_ACTION_RETRAIN_TRIGGERED, DW_ACTION_DRIFT_CHECKED};
    for (size_t e = 0; e < (c->log_checks ? 2u : 1u); e++)
        for (size_t r = 0; r < sizeof results / sizeof *results; r++) {
            const char *labels[] = {"plugin", m->name, "event", events[e], "result", results[r], NULL};
            host->counter_add(ctx, ML_METRIC, ML_METRIC_HELP, labels, 0);
        }
    *instance = m;
    return 0;
}

static int ml_start(void *instance, char *err, size_t errlen)
{
    return ml_queue_start(instance, err, errlen);
}

static void ml_stop(void *instance)
{
    ml_queue_stop(instance);
}

static void ml_destroy(void *instance)
{
    ml_free(instance);
}

/* Alert notifications are not runs: the policy's events come through ml_action. */
static int ml_alert_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    (void)instance;
    (void)ev;
    (void)err;
    (void)errlen;
    return 0;
}

static int ml_action(void *instance, const char *action, const char *params_json, char **result_json, char *err,
                     size_t errlen)
{
    struct ml *m = instance;
    *result_json = NULL;
    int checked = strcmp(action, DW_ACTION_DRIFT_CHECKED) == 0;
    if (!checked && strcmp(action, DW_ACTION_RETRAIN_TRIGGERED) != 0) {
        snprintf(err, errlen, "mlflow %s: unknown action '%s' (the plugin records %s and %s events)", m->name, action,
                 DW_ACTION_RETRAIN_TRIGGERED, DW_ACTION_DRIFT_CHECKED);
        return DW_ACTION_UNKNOWN;
    }
    if (checked && !m->log_checks)
        return 0;
    json_error_t jerr;
    json_t *event = json_loads(params_json, 0, &jerr);
    if (!json_is_object(event)) {
        snprintf(err, errlen, "mlflow %s: the %s event is not a JSON object: %s", m->name, action, jerr.text);
        json_decref(event);
        return DW_SEND_DROPPED;
    }
    int rc = ml_queue_add(m, event, err, errlen);
    json_decref(event);
    return rc == PU_HTTP_OK ? 0 : rc == PU_HTTP_TRANSIENT ? DW_SEND_RETRY : DW_SEND_DROPPED;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "mlflow",
    .kind = DW_KIND_ALERT,
    .version = DW_VERSION,
    .description = "records retrain triggers (and, with log_checks, drifted checks) as MLflow runs through the "
                   "tracking REST API 2.0 (an alert sink listed in on_drift.alerts)",
    .options = ml_options,
    .config_size = sizeof(struct ml_config),
    .init = ml_init,
    .start = ml_start,
    .stop = ml_stop,
    .destroy = ml_destroy,
    .alert_send = ml_alert_send,
    .action = ml_action,
};
