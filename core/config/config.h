/* The agent's YAML configuration (docs/configuration.md) as typed structs, with defaults and validation.
 * Errors are "file:line:col: message". Plugin options stay as YAML nodes here: they are validated
 * against each plugin's option table when the plugin is loaded (see plugin_instance.h). */
#ifndef DW_CONFIG_H
#define DW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config/config_quality.h"
#include "config/tls_pair.h"
#include "util/yaml_tree.h"

/* One `{plugin: NAME, ...options}` entry. */
struct plugin_ref {
    char *plugin;
    char *name;              /* instance name: `name:` or the plugin name */
    int optional;            /* `optional: true`: a failure is reported, not fatal */
    const struct ynode *node; /* the mapping (borrowed from config->root) */
    const char *model;        /* a probe listed under a model: that model's name (borrowed), which its
                               * `model` option takes when the entry leaves it out; NULL elsewhere */
};

struct feature_override {
    char *name;
    char *method;      /* NULL: the model's methods */
    double threshold;  /* NAN: the method's default */
    const struct ynode *node; /* the feature's key in drift.features, for positions (borrowed) */
};

/* Default bound of closed windows waiting for a check (window.max_pending). */
#define WINDOW_MAX_PENDING_DEFAULT (64 * 1024 * 1024)

struct model_config {
    const char *file;         /* the config file's path, for positions (borrowed from config->path) */
    char *name;
    char *baseline;
    const struct ynode *baseline_node; /* its value in the file, for positions (borrowed from config->root) */
    int64_t window_size;      /* samples; 0 = unbounded by count */
    int64_t window_every_ms;  /* 0 = no time-based closing */
    int window_sliding;       /* mode: tumbling (0) or sliding (1) */
    int window_time_sample;   /* time: windows of `every` by the samples' timestamp (1) or arrival (0) */
    int64_t window_max_pending_bytes; /* closed windows waiting for (or in) a check, in bytes */
    char *methods;            /* "auto", "all" or "m1,m2" */
    char *correction;         /* fdr (default) | bonferroni | none */
    int multivariate_set;     /* drift.multivariate given: exactly mv_pca/mv_mmd run and count */
    int mv_pca, mv_mmd;       /* pca_reconstruction, mmd (docs/statistics.md) */
    int drift_on_set;         /* on_drift.on given; else [data] (a zeroed config means the default) */
    int on_data, on_multivariate, on_performance; /* on_drift.on: what drift fires alerts/retraining */
    double dataset_share;
    struct feature_override *features;
    size_t n_features;
    const struct ynode *quality_checks; /* quality_checks: {...} as given (checked at load; NULL: the
                                           defaults), see config_quality_options */
    struct model_quality *quality; /* quality: the model's task, labels and fairness (NULL: none) */
    struct plugin_ref *probes;
    size_t n_probes;
    struct plugin_ref *sampling;   /* NULL: keep all */
    struct plugin_ref *versioning; /* NULL: none */
    int consecutive;
    char **alerts;                 /* names of entries in config->alerts */
    size_t n_alerts;
    struct plugin_ref *retrain;    /* NULL: none */
    int64_t retrain_cooldown_ms;
    int retrain_max_per_day;
    int retrain_dry_run;
    int bin_metrics_off;           /* metrics.bins: false: no driftwatch_window_bin_count and
                                      driftwatch_baseline_bin_share for this model */
};

struct schedule_config {
    char *cron;          /* NULL when `every` is used */
    int64_t every_ms;
    char *model;
};

struct agent_config {
    char *listen_host;
    int listen_port;
    char *state_dir;
    /* How state_dir was chosen, for the start-up log: NULL when the config sets it, else why this
     * default (root: /var/lib/driftwatch; others: $XDG_STATE_HOME/driftwatch,
     * ~/.local/state/driftwatch, or ./driftwatch-state). A default's parents are created too. */
    const char *state_dir_default;
    char *plugin_dir;
    char *auth_token;        /* NULL: no auth on write routes */
    int durability_sync;     /* 1: fsync before ack; 0: every durability_interval_ms */
    int64_t durability_interval_ms;
    char *log_level;
    char *log_format;
    int64_t max_body_bytes;
    int max_connections;          /* open connections in all; more wait in the kernel's backlog */
    int max_connections_per_ip;   /* 0: no per-address limit */
    int64_t connection_timeout_ms; /* an idle or stalled connection is closed after this */
    int64_t stall_warning_ms;     /* /readyz warns when a model's probes saw samples but none was kept
                                     for this long (default 5m; 0: off) */
    char *tls_cert_file;          /* NULL: plain HTTP */
    char *tls_key_file;
    struct tls_pair tls;          /* both files' PEM text, checked at load */
};

struct config {
    char *path;
    struct ynode *root;
    struct agent_config agent;
    struct model_config *models;
    size_t n_models;
    struct plugin_ref *alerts;
    size_t n_alerts;
    struct schedule_config *schedules;
    size_t n_schedules;
};

/* Keys of an on_drift.retrain entry that the core's retrain policy reads (docs/operations.md); the rest
 * are the trainer plugin's options. NULL-terminated. */
extern const char *const config_retrain_policy_keys[];

struct quality_options;
/* A model's `quality_checks` mapping (docs/statistics.md) into q (initialised by the caller):
 * {out_of_range, unseen_categories, type_mismatch, missing_share: a share in [0, 1] or off,
 * missing_columns: error|warn, features: {NAME: {out_of_range: ..., ...}}}. Returns 0, or -1 with
 * why and *at the node at fault (for its position). */
int config_quality_options(const struct ynode *node, struct quality_options *q, const struct ynode **at, char *why,
                           size_t whylen);

/* The rules of the drift settings, shared by the config and the command line's decision flags so
 * both refuse the same values. Each returns 0, or -1 with why (a message without a position; an
 * unknown method name comes with the closest known one, "did you mean 'ks'?").
 * methods: "auto", "all" or a comma list of method names. */
int config_check_methods(const char *spec, char *why, size_t whylen);
/* A per-feature override: method (NULL or "auto": the model's) must be a method name; threshold
 * (NAN: the method's default) a finite number >= 0, and at most 1 when the method decides on a
 * p-value (ks, cramervonmises, chisquare: drift when p < threshold). */
int config_check_override(const char *method, double threshold, char *why, size_t whylen);

/* Loads and validates everything that does not need the baselines (config_model.h's
 * config_check_baseline checks what does); on error returns -1 with err filled and *out NULL. */
int config_load(const char *path, struct config **out, char *err, size_t errlen);
void config_free(struct config *cfg);

const struct model_config *config_find_model(const struct config *cfg, const char *name);

#endif
