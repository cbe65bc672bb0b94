/* Plugin ABI 1 as driftwatch released it, frozen here so the test plugin abi1sink is really built
 * against ABI 1: the loader of this driftwatch must refuse it clearly. Not used by anything else. */
#ifndef DRIFTWATCH_PLUGIN_H
#define DRIFTWATCH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; the loader refuses a plugin built for another value.
 * Compatible additions are appended to the structs below and detected through their size field. */
#define DW_PLUGIN_ABI 1
#define DW_PLUGIN_SYMBOL "driftwatch_plugin"

#if defined(__GNUC__)
#define DW_EXPORT __attribute__((visibility("default")))
#else
#define DW_EXPORT
#endif

enum dw_kind {
    DW_KIND_PROBE = 0,
    DW_KIND_SAMPLER,
    DW_KIND_VERSIONING,
    DW_KIND_TRAINER,
    DW_KIND_DEPLOYER,
    DW_KIND_ALERT,
};

enum dw_log_level { DW_LOG_DEBUG = 0, DW_LOG_INFO, DW_LOG_WARN, DW_LOG_ERROR };

/* ---- Options: declared once, used for parsing, defaults, validation and documentation. ---- */

enum dw_opt_type {
    DW_OPT_STRING = 0, /* const char * (host-owned; NULL when unset without default) */
    DW_OPT_INT,        /* int64_t */
    DW_OPT_DOUBLE,     /* double */
    DW_OPT_BOOL,       /* int (0/1); YAML true/false/yes/no */
    DW_OPT_DURATION,   /* int64_t milliseconds; "250ms", "5s", "5m", "24h", "1d" or a bare number of seconds */
    DW_OPT_SIZE,       /* int64_t bytes; "512", "64K", "2M", "1G" (powers of 1024) */
    DW_OPT_LIST,       /* struct dw_list: a YAML sequence of scalars (a single scalar is a list of one) */
    DW_OPT_SECRET,     /* const char *: a string that may be "${ENV}" or read from a file via "<name>_file";
                          never logged or printed */
};

struct dw_list {
    size_t n;
    const char *const *items;
};

struct dw_option {
    const char *name;
    enum dw_opt_type type;
    const char *def;          /* default as text (parsed like config text), NULL for none */
    int required;             /* 1: config must set it */
    size_t offset;            /* offsetof() into the plugin's config struct */
    const char *description;  /* one line for `driftwatch plugins` */
};

/* ---- Metrics: the host owns the registry and renders it at /metrics. ---- */

/* labels: NULL-terminated array of key, value pairs: {"model", "fraud", "probe", "push", NULL}.
 * Values are escaped by the host; names must be valid Prometheus label names. */
struct dw_metrics_api {
    void (*counter_add)(const char *name, const char *help, const char *const *labels, double delta);
    void (*gauge_set)(const char *name, const char *help, const char *const *labels, double value);
    /* Observes into a histogram with the host's default latency buckets (seconds). */
    void (*histogram_observe)(const char *name, const char *help, const char *const *labels, double value);
    /* Drops every series of `name` whose labels include key=value (e.g. a finished job's gauges). */
    void (*forget)(const char *name, const char *key, const char *value);
};

/* ---- HTTP: routes plugins add to the agent's server, and an outgoing client. ---- */

struct dw_http_request {
    const char *method;
    const char *path;          /* without the query string */
    const char *query;         /* raw query string or NULL */
    const char *content_type;  /* NULL when absent */
    const char *authorization; /* NULL when absent */
    const char *body;
    size_t body_len;
    /* Appended: the Idempotency-Key header, NULL when absent. Present when the host has
     * emit_checked_cursor (DW_HOST_HAS(host, emit_checked_cursor)); an older host's request ends
     * before it. */
    const char *idempotency_key;
    /* Appended: any request header by name (case-insensitive; the first when repeated), NULL when
     * absent. Never returns Authorization or Proxy-Authorization (the host checks the bearer token
     * itself). Valid during the route call only. Present when DW_HTTP_REQUEST_HAS(host, header)
     * (the host's request reaches it) and then never NULL; call it as req->header(req, "ce-id"). */
    const char *(*header)(const struct dw_http_request *req, const char *name);
    void *header_ctx;          /* the host's, for header() */
};

struct dw_http_response {
    int status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd by the handler; freed by the host */
    size_t body_len;
};

typedef void (*dw_route_fn)(void *ctx, const struct dw_http_request *req, struct dw_http_response *resp);

struct dw_http_client_request {
    const char *method;             /* "GET", "POST", ... */
    const char *url;
    const char *const *headers;     /* NULL-terminated "Name: value" strings */
    const char *body;
    size_t body_len;
    int64_t timeout_ms;             /* per attempt */
    int max_attempts;               /* >= 1; retried on network errors, 429 and 5xx only */
    int64_t deadline_ms;            /* overall, across retries (0: timeout_ms * max_attempts) */
};

struct dw_http_client_response {
    long status;   /* 0 on a network error */
    char *body;    /* malloc'd, NUL-terminated; caller frees with host->free */
    size_t body_len;
    int attempts;
};

/* ---- Samples: what probes emit into the core. ---- */

struct dw_sample_batch {
    const char *model;
    const char *probe;         /* probe instance name for metrics */
    const char *json;          /* a JSON array, a single object, or NDJSON (docs/data-formats.md) */
    size_t json_len;
};

#define DW_SEND_RETRY (-1)
#define DW_SEND_DROPPED (-2)

/* emit_samples return codes: the probe maps them to its own answer (push: 202/400/404/503). */
#define DW_INGEST_OK 0
#define DW_INGEST_INVALID (-1)       /* nothing in the batch was acceptable (res->error says why) */
#define DW_INGEST_UNAVAILABLE (-2)   /* the core cannot durably take samples now (disk full): retry */
#define DW_INGEST_UNKNOWN_MODEL (-3) /* no model of that name is configured */
#define DW_INGEST_DUPLICATE (-4)     /* emit_checked_cursor: the cursor's key was taken before; nothing
                                        was stored and *stored holds the value it was taken with */
#define DW_INGEST_NO_CURSORS (-5)    /* the host keeps no cursors (no agent pipeline): nothing stored */

/* Samples a probe has already checked one by one (each text is exactly one sample object of
 * docs/data-formats.md: valid JSON, the right shape), so the core neither splits nor validates them again. */
struct dw_sample_text {
    const char *text;
    size_t len;
};

struct dw_checked_batch {
    const char *model;
    const char *probe;
    const struct dw_sample_text *samples;
    size_t n;
};

struct dw_ingest_result {
    size_t accepted;
    size_t rejected;
    char error[256];           /* first rejection: what and where (line / JSON path) */
};

/* Where a probe's source stands after a batch, journaled by the core in the same record as the
 * batch's samples: a crash leaves both or neither, so a probe that resumes from its last durable
 * cursor neither skips nor repeats a sample. One model's cursors live in its journal and snapshot. */
struct dw_cursor {
    const char *source;        /* the probe's name for what it reads: "tail:/var/log/p.jsonl" */
    const char *key;           /* NULL: the source has one cursor, replaced by each batch. Else one
                                  entry per key (an idempotency key): a key already taken makes the
                                  batch a DW_INGEST_DUPLICATE, checked under the model's lock */
    const char *value;         /* NUL-terminated text the probe reads back, or NULL with value_fn */
    /* Optional: makes the value from the batch's outcome (res as the caller will get it when the
     * journal commit succeeds). Called once, under the model's lock, before the record is written;
     * must not call the host. Returns text allocated with malloc (the core frees it), NULL when out
     * of memory (the batch is then refused as unavailable). */
    char *(*value_fn)(void *ctx, const struct dw_ingest_result *res);
    void *value_ctx;
    int64_t expires_unix_ms;   /* keyed: forgotten after this wall-clock time (0: never) */
    uint64_t max_keys;         /* keyed: at most this many keys of the source are kept, the oldest
                                  forgotten first (0: no bound) */
};

/* read_cursors' callback: key is "" for a source's single cursor. */
typedef void (*dw_cursor_fn)(void *ctx, const char *key, const char *value);

/* A host field appended after ABI 1's first release is present when the host's struct reaches it. */
#define DW_HOST_HAS(host, field) \
    ((host)->size >= offsetof(struct dw_host, field) + sizeof((host)->field) && (host)->field != NULL)

struct dw_host {
    uint32_t size;   /* sizeof(struct dw_host) of the core; fields past it are absent */
    uint32_t abi;

    void (*log)(enum dw_log_level level, const char *plugin, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    const struct dw_metrics_api *metrics;

    /* Routes: exact path, or a prefix when path ends in '*'. Returns 0 or negative. */
    int (*register_route)(const char *method, const char *path, dw_route_fn fn, void *ctx);

    /* Blocking HTTP client with retries, exponential backoff and full jitter.
     * Returns 0 when a response (any status) arrived, negative on a network failure; err explains. */
    int (*http_request)(const struct dw_http_client_request *req, struct dw_http_client_response *resp,
                        char *err, size_t errlen);

    /* Hands samples to the core's sampler/window pipeline. Returns DW_INGEST_OK (some may still be
     * rejected: see res), or a negative DW_INGEST_* code. Safe from any thread. */
    int (*emit_samples)(const struct dw_sample_batch *batch, struct dw_ingest_result *res);

    const char *state_dir;  /* the agent's state directory (exists once the agent starts) */
    void (*free)(void *p);  /* frees memory the host allocated for the plugin */
    /* Registers a secret the plugin obtained at run time (a fetched access token): the host's
     * logger writes [REDACTED] wherever it would appear. */
    void (*add_secret)(const char *secret);
    /* Like emit_samples, for samples the probe checked (see dw_sample_text): the core reads each
     * once into its window and skips the ones the sampler drops unread. Appended after ABI 1's first
     * release: check host->size > offsetof(struct dw_host, emit_checked_samples) before calling. */
    int (*emit_checked_samples)(const struct dw_checked_batch *batch, struct dw_ingest_result *res);
    /* Appended (check DW_HOST_HAS(host, emit_checked_cursor) and DW_HOST_HAS(host, read_cursors)).
     * Like emit_checked_samples, and the batch's samples and cursor are one journal record: once it
     * returns DW_INGEST_OK or DW_INGEST_INVALID, both are stored (durable as the agent's
     * durability says); a crash before leaves neither. The cursor is recorded even when no sample
     * was kept (n == 0 is a cursor-only batch, answered DW_INGEST_OK). A keyed cursor whose key is
     * live returns DW_INGEST_DUPLICATE and, when stored is not NULL, a copy of its value in
     * *stored (free with host->free). DW_INGEST_UNAVAILABLE: nothing is acknowledged, but the
     * record may still be written later (read the cursor back before sending the batch again). */
    int (*emit_checked_cursor)(const struct dw_checked_batch *batch, const struct dw_cursor *cursor,
                               struct dw_ingest_result *res, char **stored);
    /* Calls fn for each cursor of model's source (oldest first; keyed sources: each live key).
     * Returns how many, DW_INGEST_UNKNOWN_MODEL, or DW_INGEST_NO_CURSORS when the host keeps none
     * (then a probe falls back to its own position file). fn must not call the host. */
    int (*read_cursors)(const char *model, const char *source, dw_cursor_fn fn, void *ctx);
    /* Appended: sizeof(struct dw_trigger_event) and sizeof(struct dw_trigger_result) as this host
     * builds them. A trainer reads an event field, or writes a result field, appended after ABI 1's
     * first release only when DW_TRIGGER_EVENT_HAS / DW_TRIGGER_RESULT_HAS say the host's struct
     * reaches it (an older host lacks these sizes: none of the appended fields is there). */
    uint32_t trigger_event_size;
    uint32_t trigger_result_size;
    /* Appended: sizeof(struct dw_http_request) as this host builds it. A route reads a request field
     * appended after idempotency_key only when DW_HTTP_REQUEST_HAS says the host's request reaches it
     * (an older host lacks this size: none of those fields is there). */
    uint32_t http_request_size;
    /* Appended: sizeof(struct dw_alert_event) as this host builds it (DW_ALERT_EVENT_HAS). */
    uint32_t alert_event_size;
};

/* A host field that is a plain value (a size, a count), present when the host's struct reaches it. */
#define DW_HOST_HAS_VALUE(host, field) ((host)->size >= offsetof(struct dw_host, field) + sizeof((host)->field))
/* Whether the host's HTTP request reaches `field` (a member appended after idempotency_key). */
#define DW_HTTP_REQUEST_HAS(host, field)                                                                   \
    (DW_HOST_HAS_VALUE(host, http_request_size) &&                                                       \
     (host)->http_request_size >=                                                                       \
         offsetof(struct dw_http_request, field) + sizeof(((const struct dw_http_request *)0)->field))
/* Whether the host's trigger event / result reaches `field` (a member appended to the struct). */
#define DW_TRIGGER_EVENT_HAS(host, field)                                                                  \
    (DW_HOST_HAS_VALUE(host, trigger_event_size) &&                                                      \
     (host)->trigger_event_size >=                                                                      \
         offsetof(struct dw_trigger_event, field) + sizeof(((const struct dw_trigger_event *)0)->field))
#define DW_ALERT_EVENT_HAS(host, field)                                                                    \
    (DW_HOST_HAS_VALUE(host, alert_event_size) &&                                                        \
     (host)->alert_event_size >=                                                                        \
         offsetof(struct dw_alert_event, field) + sizeof(((const struct dw_alert_event *)0)->field))
#define DW_TRIGGER_RESULT_HAS(host, field)                                                                 \
    (DW_HOST_HAS_VALUE(host, trigger_result_size) &&                                                     \
     (host)->trigger_result_size >=                                                                     \
         offsetof(struct dw_trigger_result, field) + sizeof(((const struct dw_trigger_result *)0)->field))

/* ---- Kind-specific operations. ---- */

struct dw_feature_score {
    const char *name;
    const char *method;
    double score;
    double p_value;   /* NAN when the method has none */
};

/* One notification: a model's drift state changed (or is re-sent while firing). */
struct dw_alert_event {
    const char *model;
    int firing;                      /* 1 firing, 0 resolved */
    const char *severity;            /* "warning" or "critical" */
    const char *summary;
    double drift_share;
    size_t n_features;
    const struct dw_feature_score *features;  /* the drifted features */
    const char *report_url;          /* may be NULL */
    int64_t starts_at;               /* unix seconds */
    int64_t ends_at;                 /* unix seconds, 0 while firing */
    int repeat;                      /* 1: a re-send of a firing state already notified; sinks that
                                        need liveness (Alertmanager) send it, the others ignore it */
    /* Appended (read only when DW_ALERT_EVENT_HAS(host, kind)): what fired the alert, the same for
     * its resolve: "data", "multivariate" or "performance" (realized performance of delayed labels
     * outside its reference band; the Alertmanager sink names that alert PerformanceDegraded). */
    const char *kind;
};

/* A retrain request. key is the idempotency key of the drift episode, the same on every replica of
 * the model (docs/operations.md): "<model>-<data version>-<bucket>", model lowercased to [a-z0-9-], the
 * data version's first 12 hex digits ("unknown" without one), bucket = floor(episode_start /
 * cooldown) (episode_start itself when the cooldown is 0). */
struct dw_trigger_event {
    const char *model;
    const char *key;
    const char *data_version;        /* may be NULL */
    const char *window_end;          /* RFC 3339 */
    size_t n_features;
    const struct dw_feature_score *features;
    int dry_run;
    /* Appended (read only when DW_TRIGGER_EVENT_HAS(host, field)): the model's retrain cooldown
     * (a trainer that can list joins a job of this model created within it instead of creating one;
     * 0: no lookup) and the unix seconds of the first check of the drifted streak that fired. */
    int64_t cooldown_ms;
    int64_t episode_start;
};

struct dw_trigger_result {
    char job_id[256];
    char state[64];
    /* Appended (written only when DW_TRIGGER_RESULT_HAS(host, joined); the host zeroes it, so a
     * plugin that never sets it reports a trigger): 1 when job_id is a job the trainer found
     * (another replica's, or one created before a restart) rather than one it created. */
    int joined;
};

/* ---- The policy's events, through an alert sink's `action` (see struct dw_plugin). ----
 * params is one JSON object:
 *   {"event": "drift.checked" | "retrain.triggered", "model": "fraud",
 *    "time_ms": <unix ms of the check>,
 *    "data_version": "<the baseline's data version, as driftwatch_baseline_info>",
 *    "git_commit": "<the baseline's source.data_version.git_commit>" | null,
 *    "baseline_md5": "<the baseline's source.md5: md5 of the training file>" | null,
 *    "window_end": "<RFC 3339>" | null, "window_rows": n,
 *    "dataset_drift": true, "drift_share": 0.5, "drifted_features": 1, "features_checked": 2,
 *    "features": [{"name", "method", "score", "p_value", "drifted"}, ...]   every feature checked
 *                                                                           (numbers may be null)
 *    "performance": the check's performance object as `check --format json` has it ("task", "rows",
 *                   "realized": {"<metric>": {"value", ...}}, "alerts", "estimated", "estimated_rows");
 *                   when the check realized nothing, "rows", "realized" ({"<metric>": {"value",
 *                   "alert"}}) and "alerts" of the last quality window the delayed labels closed, with
 *                   "source": "labels"; left out when there is neither
 *    and for retrain.triggered only: "key" (the idempotency key of dw_trigger_event),
 *    "job_id", "job_state" (dw_trigger_result), "joined" (bool), "trainer" (the plugin name),
 *    "episode_start" (unix seconds)}
 * drift.checked comes after every check whose drift counts towards on_drift (dataset drift,
 * multivariate drift under on: [multivariate], degraded performance under on: [performance]); retrain.triggered after each trigger that started
 * (or joined) a job, never for a dry run. Keys may be added; a sink ignores the ones it does not know. */
#define DW_ACTION_DRIFT_CHECKED "drift.checked"
#define DW_ACTION_RETRAIN_TRIGGERED "retrain.triggered"
/* `action`'s answer for an action name the plugin does not serve. */
#define DW_ACTION_UNKNOWN (-3)

/* What a sampler sees of one sample, before the core parses it when possible. */
struct dw_sample_info {
    const char *model;
    const char *prediction_class;  /* only when the sampler asked for it (sample_needs_class), else NULL */
    uint64_t seen_in_window;       /* samples offered in the current window so far, this one included */
    uint64_t kept_in_window;       /* samples currently held in the window */
    uint64_t window_capacity;      /* the window's size in samples (0: unbounded) */
};

enum dw_sample_decision {
    DW_SAMPLE_DROP = 0,
    DW_SAMPLE_APPEND = 1,   /* add to the window */
    DW_SAMPLE_REPLACE = 2,  /* replace the sample at *replace_index (reservoir sampling) */
};

struct dw_plugin {
    uint32_t abi;                    /* DW_PLUGIN_ABI */
    uint32_t size;                   /* sizeof(struct dw_plugin) */
    const char *name;
    enum dw_kind kind;
    const char *version;
    const char *description;
    const struct dw_option *options; /* terminated by an entry with name == NULL */
    size_t config_size;              /* size of the struct the options' offsets point into */

    /* init: validate the parsed config and build an instance. Errors: negative return and a
     * message in err (never exit, never print). */
    int (*init)(const struct dw_host *host, const char *instance_name, const void *config,
                void **instance, char *err, size_t errlen);
    int (*start)(void *instance, char *err, size_t errlen);   /* optional */
    void (*stop)(void *instance);                             /* optional */
    void (*destroy)(void *instance);

    /* DW_KIND_ALERT: 0 sent; DW_SEND_RETRY (-1) a transient failure, the core tries again at the
     * next check; DW_SEND_DROPPED (-2) refused for good (a 4xx), the core does not repeat it. */
    int (*alert_send)(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen);
    /* DW_KIND_TRAINER */
    int (*trigger)(void *instance, const struct dw_trigger_event *ev, struct dw_trigger_result *res,
                   char *err, size_t errlen);
    /* DW_KIND_VERSIONING: the data version of a file as a JSON object (malloc'd, freed with
     * host->free), e.g. {"tool":"dvc","md5":...,"size":...,"stage":...,"git_commit":...,"matches":true}. */
    int (*data_version)(void *instance, const char *path, char **json_out, char *err, size_t errlen);
    /* Named actions a user runs through the CLI (`driftwatch vertex deploy ...`): params and result
     * are JSON text; result malloc'd, freed with host->free. Optional for every kind.
     * The core also calls the action of an alert sink (one listed in a model's on_drift.alerts) with
     * the policy's events, DW_ACTION_DRIFT_CHECKED and DW_ACTION_RETRAIN_TRIGGERED (params below):
     * a sink that records them (the `mlflow` plugin) answers 0, DW_SEND_RETRY when it could not
     * record the event now (it keeps it and tries again itself) or DW_SEND_DROPPED when the receiver
     * refused it for good; the core logs the last two with err. A plugin answers an action name it
     * does not know with DW_ACTION_UNKNOWN, which the core ignores for these events. */
    int (*action)(void *instance, const char *action, const char *params_json, char **result_json,
                  char *err, size_t errlen);
    /* DW_KIND_SAMPLER: decides per sample; called under the model's window lock, must not block. */
    enum dw_sample_decision (*sample)(void *instance, const struct dw_sample_info *info, uint64_t *replace_index);
    /* Whether `sample` needs info->prediction_class (so the core must parse the prediction first). */
    int (*sample_needs_class)(void *instance);
    /* A window closed: per-window sampler state (reservoir counts, per-class caps) starts over. */
    void (*window_reset)(void *instance, const char *model);
};

#ifdef __cplusplus
}
#endif
#endif
