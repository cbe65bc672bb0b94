/* driftwatch plugin ABI: the only header a plugin compiles against.
 * A plugin exports one symbol, `driftwatch_plugin` (a const struct dw_plugin); the core hands
 * each instance a table of host functions and a context handle, so plugins never link against
 * the core. */
#ifndef DRIFTWATCH_PLUGIN_H
#define DRIFTWATCH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 2. The loader refuses a plugin built for another value, naming both numbers.
 *
 * Rules every struct follows so that compatible additions need no new ABI number:
 *  - every struct that crosses the ABI starts with `uint32_t size`, set by whoever fills it to the
 *    sizeof() it was compiled with (`.size = sizeof req`). The reader looks at a field only when the
 *    writer's struct reaches it (DW_HAS); the host copies what a plugin hands it into a zero-padded
 *    struct of its own size, so a field added later reads as 0/NULL from an older plugin.
 *    Exceptions, fixed for the whole of ABI 2 (changing them means ABI 3): the value pairs
 *    struct dw_list, struct dw_sample_text and struct dw_feature_score, which travel in arrays.
 *  - new fields are only ever appended.
 *  - memory one side allocates and the other frees comes from the host: host->alloc for what a
 *    plugin hands the host (route answers, action results, data versions, cursor values),
 *    host->free for what the host hands the plugin (HTTP client answers, stored cursors).
 *  - every host call takes the calling instance's context (struct dw_ctx, given to init), so the
 *    host attributes logs and metrics to the instance and removes its routes with it.
 * docs/plugins.md walks through writing a plugin against this header. */
#define DW_PLUGIN_ABI 2
#define DW_PLUGIN_SYMBOL "driftwatch_plugin"

#if defined(__GNUC__)
#define DW_EXPORT __attribute__((visibility("default")))
#else
#define DW_EXPORT
#endif

/* Whether the struct at ptr, as its writer built it, reaches `field`. */
#define DW_HAS(ptr, type, field) ((ptr)->size >= offsetof(type, field) + sizeof(((const type *)0)->field))
/* Whether the host has the (pointer) field: its table reaches it and it is set. Every field of
 * ABI 2's first release is always there; test only fields a later release appends. */
#define DW_HOST_HAS(host, field) (DW_HAS(host, struct dw_host, field) && (host)->field != NULL)

enum dw_kind {
    DW_KIND_PROBE = 0,
    DW_KIND_SAMPLER,
    DW_KIND_VERSIONING,
    DW_KIND_TRAINER,
    DW_KIND_ALERT,
};

enum dw_log_level { DW_LOG_DEBUG = 0, DW_LOG_INFO, DW_LOG_WARN, DW_LOG_ERROR };

/* One plugin instance as the host knows it: its plugin and instance name, its routes. Opaque;
 * valid from init until destroy returns. */
struct dw_ctx;

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

/* An option table is an array terminated by an entry with name == NULL, its entries sizeof(struct
 * dw_option) apart as the plugin was compiled (struct dw_plugin's option_size). Write entries with
 * designated initializers; the loader enforces required, min, max and choices before init sees the
 * config, so a plugin does not check them again. */
struct dw_option {
    const char *name;
    enum dw_opt_type type;
    const char *def;          /* default as text (parsed like config text), NULL for none */
    int required;             /* 1: config must set it */
    size_t offset;            /* offsetof() into the plugin's config struct */
    const char *description;  /* one line for `driftwatch plugins` */
    /* Bounds as config text of the option's type ("1", "0.5", "100ms", "64K"), inclusive, NULL for
     * none: for DW_OPT_INT, DW_OPT_DOUBLE, DW_OPT_DURATION and DW_OPT_SIZE. */
    const char *min;
    const char *max;
    /* NULL-terminated list of the values allowed, NULL for any: for DW_OPT_STRING, and for each item
     * of a DW_OPT_LIST. */
    const char *const *choices;
};

/* ---- HTTP: routes plugins add to the agent's server, and an outgoing client. ---- */

/* Built by the host; valid during the route call only. */
struct dw_http_request {
    uint32_t size;
    const char *method;
    const char *path;          /* without the query string */
    const char *query;         /* raw query string or NULL */
    const char *content_type;  /* NULL when absent */
    const char *authorization; /* NULL when absent */
    const char *body;
    size_t body_len;
    const char *idempotency_key; /* the Idempotency-Key header, NULL when absent */
    /* Any request header by name (case-insensitive; the first when repeated), NULL when absent.
     * Never returns Authorization or Proxy-Authorization (the host checks the bearer token itself).
     * Never NULL; call it as req->header(req, "ce-id"). */
    const char *(*header)(const struct dw_http_request *req, const char *name);
    void *header_ctx;          /* the host's, for header() */
};

/* Zeroed by the host (size set) before the route runs; the route fills it. */
struct dw_http_response {
    uint32_t size;
    int status;
    const char *content_type; /* static string */
    char *body;               /* from host->alloc; the host frees it */
    size_t body_len;
};

/* Runs on one of the HTTP server's worker threads; several requests, to one route or to several, may
 * run at once. route_ctx is what register_route was given. */
typedef void (*dw_route_fn)(void *route_ctx, const struct dw_http_request *req, struct dw_http_response *resp);

struct dw_http_client_request {
    uint32_t size;
    const char *method;             /* "GET", "POST", ... */
    const char *url;
    const char *const *headers;     /* NULL-terminated "Name: value" strings */
    const char *body;
    size_t body_len;
    int64_t timeout_ms;             /* per attempt */
    int max_attempts;               /* >= 1; retried on network errors, 429 and 5xx only */
    int64_t deadline_ms;            /* overall, across retries (0: timeout_ms * max_attempts) */
};

/* size set by the plugin; the host fills the rest. */
struct dw_http_client_response {
    uint32_t size;
    long status;   /* 0 on a network error */
    char *body;    /* NUL-terminated; free with host->free */
    size_t body_len;
    int attempts;
};

/* ---- Samples: what probes emit into the core. ---- */

struct dw_sample_batch {
    uint32_t size;
    const char *model;
    const char *probe;         /* probe instance name for metrics (NULL: the instance's name) */
    const char *json;          /* a JSON array, a single object, or NDJSON (docs/data-formats.md) */
    size_t json_len;
};

#define DW_SEND_RETRY (-1)
#define DW_SEND_DROPPED (-2)

/* emit_* return codes: the probe maps them to its own answer (push: 202/400/404/503). */
#define DW_INGEST_OK 0
#define DW_INGEST_INVALID (-1)       /* nothing in the batch was acceptable (res->error says why) */
#define DW_INGEST_UNAVAILABLE (-2)   /* the core cannot durably take samples now (disk full): retry */
#define DW_INGEST_UNKNOWN_MODEL (-3) /* no model of that name is configured */
#define DW_INGEST_DUPLICATE (-4)     /* emit_checked_cursor: the cursor's key was taken before; nothing
                                        was stored and *stored holds the value it was taken with */
#define DW_INGEST_NO_CURSORS (-5)    /* the host keeps no cursors (no agent pipeline): nothing stored */
#define DW_INGEST_BAD_CALL (-6)      /* a struct's size is too small for its required fields */

/* Samples a probe has already checked one by one (each text is exactly one sample object of
 * docs/data-formats.md: valid JSON, the right shape), so the core neither splits nor validates them
 * again. A value pair: fixed for ABI 2. */
struct dw_sample_text {
    const char *text;
    size_t len;
};

struct dw_checked_batch {
    uint32_t size;
    const char *model;
    const char *probe;         /* NULL: the instance's name */
    const struct dw_sample_text *samples;
    size_t n;
};

/* size set by the plugin; the host fills the rest. */
struct dw_ingest_result {
    uint32_t size;
    size_t accepted;
    size_t rejected;
    char error[256];           /* first rejection: what and where (line / JSON path) */
};

/* Where a probe's source stands after a batch, journaled by the core in the same record as the
 * batch's samples: a crash leaves both or neither, so a probe that resumes from its last durable
 * cursor neither skips nor repeats a sample. One model's cursors live in its journal and snapshot. */
struct dw_cursor {
    uint32_t size;
    const char *source;        /* the probe's name for what it reads: "tail:/var/log/p.jsonl" */
    const char *key;           /* NULL: the source has one cursor, replaced by each batch. Else one
                                  entry per key (an idempotency key): a key already taken makes the
                                  batch a DW_INGEST_DUPLICATE, checked under the model's lock */
    const char *value;         /* NUL-terminated text the probe reads back, or NULL with value_fn */
    /* Optional: makes the value from the batch's outcome (res as the caller will get it when the
     * journal commit succeeds). Called once, on the emitting thread under the model's lock, before
     * the record is written; must not call the host except host->alloc. Returns text from
     * host->alloc (the core frees it), NULL when out of memory (the batch is then refused as
     * unavailable). */
    char *(*value_fn)(void *value_ctx, const struct dw_ingest_result *res);
    void *value_ctx;
    int64_t expires_unix_ms;   /* keyed: forgotten after this wall-clock time (0: never) */
    uint64_t max_keys;         /* keyed: at most this many keys of the source are kept, the oldest
                                  forgotten first (0: no bound) */
};

/* read_cursors' callback: key is "" for a source's single cursor. */
typedef void (*dw_cursor_fn)(void *fn_ctx, const char *key, const char *value);

/* The host's functions. Unless said otherwise each is safe from any thread and takes the calling
 * instance's context first; a function that returns memory to the plugin says how to free it. */
struct dw_host {
    uint32_t size;   /* sizeof(struct dw_host) of the core (DW_HOST_HAS) */
    uint32_t abi;    /* DW_PLUGIN_ABI of the core */

    /* A log line attributed to the instance: component=<plugin> instance=<instance name>. */
    void (*log)(struct dw_ctx *ctx, enum dw_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

    /* Metrics: the host owns the registry and renders it at /metrics. labels: NULL-terminated array
     * of key, value pairs: {"model", "fraud", "probe", "push", NULL}. Values are escaped by the host;
     * names must be valid Prometheus label names. */
    void (*counter_add)(struct dw_ctx *ctx, const char *name, const char *help, const char *const *labels,
                        double delta);
    void (*gauge_set)(struct dw_ctx *ctx, const char *name, const char *help, const char *const *labels,
                      double value);
    /* Observes into a histogram with the host's default latency buckets (seconds). */
    void (*histogram_observe)(struct dw_ctx *ctx, const char *name, const char *help, const char *const *labels,
                              double value);
    /* Drops every series of `name` whose labels include key=value (e.g. a finished job's gauges). */
    void (*metric_forget)(struct dw_ctx *ctx, const char *name, const char *key, const char *value);

    /* Routes of the agent's HTTP server: exact path, or a prefix when path ends in '*'. The route
     * belongs to the instance: the host removes it (waiting for calls in progress) before the
     * instance's stop. Returns 0 or negative. Call from init or start. */
    int (*register_route)(struct dw_ctx *ctx, const char *method, const char *path, dw_route_fn fn,
                          void *route_ctx);

    /* Blocking HTTP client with retries, exponential backoff and full jitter. Returns 0 when a
     * response (any status) arrived, negative on a network failure (err explains) or on a request
     * whose size is too small. */
    int (*http_request)(struct dw_ctx *ctx, const struct dw_http_client_request *req,
                        struct dw_http_client_response *resp, char *err, size_t errlen);

    /* Hands samples to the core's sampler/window pipeline. Returns DW_INGEST_OK (some may still be
     * rejected: see res), or a negative DW_INGEST_* code. */
    int (*emit_samples)(struct dw_ctx *ctx, const struct dw_sample_batch *batch, struct dw_ingest_result *res);
    /* Like emit_samples, for samples the probe checked (see dw_sample_text): the core reads each
     * once into its window and skips the ones the sampler drops unread. */
    int (*emit_checked_samples)(struct dw_ctx *ctx, const struct dw_checked_batch *batch,
                                struct dw_ingest_result *res);
    /* Like emit_checked_samples, and the batch's samples and cursor are one journal record: once it
     * returns DW_INGEST_OK or DW_INGEST_INVALID, both are stored (durable as the agent's
     * durability says); a crash before leaves neither. The cursor is recorded even when no sample
     * was kept (n == 0 is a cursor-only batch, answered DW_INGEST_OK). A keyed cursor whose key is
     * live returns DW_INGEST_DUPLICATE and, when stored is not NULL, a copy of its value in
     * *stored (free with host->free). DW_INGEST_UNAVAILABLE: nothing is acknowledged, but the
     * record may still be written later (read the cursor back before sending the batch again).
     * DW_INGEST_NO_CURSORS: the host keeps none (no agent pipeline); the probe keeps its own
     * position instead. */
    int (*emit_checked_cursor)(struct dw_ctx *ctx, const struct dw_checked_batch *batch,
                               const struct dw_cursor *cursor, struct dw_ingest_result *res, char **stored);
    /* Calls fn for each cursor of model's source (oldest first; keyed sources: each live key).
     * Returns how many, DW_INGEST_UNKNOWN_MODEL, or DW_INGEST_NO_CURSORS when the host keeps none.
     * fn runs on the caller's thread and must not call the host. */
    int (*read_cursors)(struct dw_ctx *ctx, const char *model, const char *source, dw_cursor_fn fn,
                        void *fn_ctx);

    /* Registers a secret the plugin obtained at run time (a fetched access token): the host's
     * logger writes [REDACTED] wherever it would appear. */
    void (*add_secret)(struct dw_ctx *ctx, const char *secret);

    /* Memory that crosses the ABI: alloc for what the plugin hands the host, free for what the host
     * hands the plugin. alloc returns NULL when out of memory. */
    void *(*alloc)(size_t n);
    void (*free)(void *p);

    const char *state_dir;  /* the agent's state directory (exists once the agent starts) */
};

/* ---- Kind-specific operations. ---- */

/* A value pair: fixed for ABI 2. */
struct dw_feature_score {
    const char *name;
    const char *method;
    double score;
    double p_value;   /* NAN when the method has none */
};

/* One notification: a model's drift state changed (or is re-sent while firing). */
struct dw_alert_event {
    uint32_t size;
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
    /* What fired the alert, the same for its resolve: "data", "multivariate" or "performance"
     * (realized performance of delayed labels outside its reference band; the Alertmanager sink
     * names that alert PerformanceDegraded). */
    const char *kind;
};

/* A retrain request. key is the idempotency key of the drift episode, the same on every replica of
 * the model (docs/operations.md): "<model>-<data version>-<bucket>", model lowercased to [a-z0-9-], the
 * data version's first 12 hex digits ("unknown" without one), bucket = floor(episode_start /
 * cooldown) (episode_start itself when the cooldown is 0). */
struct dw_trigger_event {
    uint32_t size;
    const char *model;
    const char *key;
    const char *data_version;        /* may be NULL */
    const char *window_end;          /* RFC 3339 */
    size_t n_features;
    const struct dw_feature_score *features;
    int dry_run;
    /* The model's retrain cooldown (a trainer that can list joins a job of this model created
     * within it instead of creating one; 0: no lookup) and the unix seconds of the first check of
     * the drifted streak that fired. */
    int64_t cooldown_ms;
    int64_t episode_start;
};

/* Zeroed by the host (size set) before trigger; the trainer fills it. */
struct dw_trigger_result {
    uint32_t size;
    char job_id[256];
    char state[64];
    int joined;   /* 1 when job_id is a job the trainer found (another replica's, or one created
                     before a restart) rather than one it created */
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
 * multivariate drift under on: [multivariate], degraded performance under on: [performance]);
 * retrain.triggered after each trigger that started (or joined) a job, never for a dry run. Keys may
 * be added; a sink ignores the ones it does not know. */
#define DW_ACTION_DRIFT_CHECKED "drift.checked"
#define DW_ACTION_RETRAIN_TRIGGERED "retrain.triggered"
/* `action`'s answer for an action name the plugin does not serve. */
#define DW_ACTION_UNKNOWN (-3)

/* What a sampler sees of one sample, before the core parses it when possible. */
struct dw_sample_info {
    uint32_t size;
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

/* What a plugin exports as `driftwatch_plugin`. The loader copies it (size bytes) into a zeroed
 * struct of its own size, so an operation a plugin's older header lacks reads as NULL.
 *
 * Threads: init, start, stop and destroy run on the agent's main thread (or the CLI's), one instance
 * at a time. The other operations may run on several threads at once, for this instance and for
 * others of the same plugin: each says which. */
struct dw_plugin {
    uint32_t abi;                    /* DW_PLUGIN_ABI */
    uint32_t size;                   /* sizeof(struct dw_plugin) */
    uint32_t option_size;            /* sizeof(struct dw_option) */
    const char *name;
    enum dw_kind kind;
    const char *version;
    const char *description;
    const struct dw_option *options; /* terminated by an entry with name == NULL */
    size_t config_size;              /* size of the struct the options' offsets point into */

    /* init: build an instance from the parsed config (options already checked against their type,
     * required, min, max and choices). ctx identifies the instance in every host call; keep it.
     * Errors: negative return and a message in err (never exit, never print). */
    int (*init)(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                void **instance, char *err, size_t errlen);
    int (*start)(void *instance, char *err, size_t errlen);   /* optional */
    void (*stop)(void *instance);                             /* optional; the instance's routes are gone */
    void (*destroy)(void *instance);

    /* DW_KIND_ALERT, on the checking model's worker thread (models are checked concurrently, so two
     * models' alerts may be sent at once): 0 sent; DW_SEND_RETRY (-1) a transient failure, the core
     * tries again at the next check; DW_SEND_DROPPED (-2) refused for good (a 4xx), the core does
     * not repeat it. */
    int (*alert_send)(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen);
    /* DW_KIND_TRAINER, on the checking model's worker thread. */
    int (*trigger)(void *instance, const struct dw_trigger_event *ev, struct dw_trigger_result *res,
                   char *err, size_t errlen);
    /* DW_KIND_VERSIONING, on the thread that builds a baseline or starts a model: the data version of
     * a file as a JSON object (from host->alloc), e.g.
     * {"tool":"dvc","md5":...,"size":...,"stage":...,"git_commit":...,"matches":true}. */
    int (*data_version)(void *instance, const char *path, char **json_out, char *err, size_t errlen);
    /* Named actions a user runs through the CLI (`driftwatch vertex deploy ...`, on the CLI's main
     * thread): params and result are JSON text; result from host->alloc. Optional for every kind.
     * The core also calls the action of an alert sink (one listed in a model's on_drift.alerts) with
     * the policy's events, DW_ACTION_DRIFT_CHECKED and DW_ACTION_RETRAIN_TRIGGERED (params above),
     * on the checking model's worker thread: a sink that records them (the `mlflow` plugin) answers
     * 0, DW_SEND_RETRY when it could not record the event now (it keeps it and tries again itself)
     * or DW_SEND_DROPPED when the receiver refused it for good; the core logs the last two with err.
     * A plugin answers an action name it does not know with DW_ACTION_UNKNOWN, which the core
     * ignores for these events. */
    int (*action)(void *instance, const char *action, const char *params_json, char **result_json,
                  char *err, size_t errlen);
    /* DW_KIND_SAMPLER: decides per sample, on whichever thread emitted it (a probe's, an HTTP
     * worker), under the model's window lock: must not block, and of the host may call only the
     * metric functions (the registry's lock is never held while a window lock is taken). */
    enum dw_sample_decision (*sample)(void *instance, const struct dw_sample_info *info, uint64_t *replace_index);
    /* Whether `sample` needs info->prediction_class (so the core must parse the prediction first);
     * same thread and lock as sample. */
    int (*sample_needs_class)(void *instance);
    /* A window closed, on the thread that closed it, under the window lock: per-window sampler state
     * (reservoir counts, per-class caps) starts over. */
    void (*window_reset)(void *instance, const char *model);
};

#ifdef __cplusplus
}
#endif
#endif
