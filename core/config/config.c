/* YAML config → struct config (see config.h). Every key is checked: an unknown key is an error,
 * because a typo that silently falls back to a default is the worst kind of config bug. */
#include "config/config.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "util/log.h"
#include "config/plugin_dir.h"
#include "util/suggest.h"
#include "util/values.h"

const char *const config_retrain_policy_keys[] = {"cooldown", "max_per_day", "dry_run", NULL};

struct cfg_ctx {
    struct config *cfg;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int cfg_fail(struct cfg_ctx *c, const struct ynode *at,
                                                          const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->cfg->path, at ? at->line : 1, at ? at->col : 1, msg);
    return -1;
}

static int check_keys(struct cfg_ctx *c, const struct ynode *map, const char *section, const char *const *allowed)
{
    const struct ynode *k = ynode_unknown_key(map, allowed);
    return k ? cfg_fail(c, k, "unknown key '%s' in %s", k->value, section) : 0;
}

static int expect(struct cfg_ctx *c, const struct ynode *n, enum ynode_type type, const char *what)
{
    if (n->type == type)
        return 0;
    static const char *const names[] = {"a scalar", "a list", "a mapping"};
    return cfg_fail(c, n, "%s must be %s, found %s", what, names[type], ynode_type_name(n));
}

/* String value with ${ENV} expanded; *out stays as it is when the key is absent. */
static int get_string(struct cfg_ctx *c, const struct ynode *map, const char *key, char **out)
{
    const struct ynode *n = ynode_get(map, key);
    if (!n)
        return 0;
    if (expect(c, n, YNODE_SCALAR, key) < 0)
        return -1;
    char *v, missing[256];
    if (value_expand_env(n->value, &v, missing, sizeof missing) < 0) {
        if (strcmp(missing, "syntax") == 0)
            return cfg_fail(c, n, "%s: bad ${...} reference", key);
        return cfg_fail(c, n, "%s: environment variable %s is not set", key, missing);
    }
    free(*out);
    *out = v;
    return 0;
}

static int get_int(struct cfg_ctx *c, const struct ynode *map, const char *key, int64_t lo, int64_t hi,
                   int64_t *out)
{
    const struct ynode *n = ynode_get(map, key);
    if (!n)
        return 0;
    int64_t v;
    if (expect(c, n, YNODE_SCALAR, key) < 0)
        return -1;
    if (value_parse_int(n->value, &v) < 0 || v < lo || v > hi)
        return cfg_fail(c, n, "%s must be an integer in [%lld, %lld], not '%s'", key, (long long)lo,
                        (long long)hi, n->value);
    *out = v;
    return 0;
}

static int get_double(struct cfg_ctx *c, const struct ynode *map, const char *key, double lo, double hi,
                      double *out)
{
    const struct ynode *n = ynode_get(map, key);
    if (!n)
        return 0;
    double v;
    if (expect(c, n, YNODE_SCALAR, key) < 0)
        return -1;
    if (value_parse_double(n->value, &v) < 0 || v < lo || v > hi)
        return cfg_fail(c, n, "%s must be a number in [%g, %g], not '%s'", key, lo, hi, n->value);
    *out = v;
    return 0;
}

static int get_bool(struct cfg_ctx *c, const struct ynode *map, const char *key, int *out)
{
    const struct ynode *n = ynode_get(map, key);
    if (!n)
        return 0;
    if (expect(c, n, YNODE_SCALAR, key) < 0)
        return -1;
    if (value_parse_bool(n->value, out) < 0)
        return cfg_fail(c, n, "%s must be true or false, not '%s'", key, n->value);
    return 0;
}

static int get_duration(struct cfg_ctx *c, const struct ynode *map, const char *key, int64_t *out)
{
    const struct ynode *n = ynode_get(map, key);
    if (!n)
        return 0;
    if (expect(c, n, YNODE_SCALAR, key) < 0)
        return -1;
    if (value_parse_duration_ms(n->value, out) < 0)
        return cfg_fail(c, n, "%s must be a duration like 500ms, 30s, 5m, 24h, not '%s'", key, n->value);
    return 0;
}

/* Relative paths in the config are relative to the config file's directory. */
static int resolve_path(struct cfg_ctx *c, char **p)
{
    if (!*p || (*p)[0] == '/')
        return 0;
    const char *slash = strrchr(c->cfg->path, '/');
    if (!slash)
        return 0;
    size_t dirlen = (size_t)(slash - c->cfg->path);
    size_t n = dirlen + 1 + strlen(*p) + 1;
    char *full = malloc(n);
    if (!full)
        return -1;
    snprintf(full, n, "%.*s/%s", (int)dirlen, c->cfg->path, *p);
    free(*p);
    *p = full;
    return 0;
}

/* Names end up in file names, URLs and labels: no '/', no leading '.'. */
static int valid_identifier(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 128)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            return 0;
    return 1;
}

static int parse_listen(struct cfg_ctx *c, const struct ynode *agent)
{
    char *listen = NULL;
    if (get_string(c, agent, "listen", &listen) < 0)
        return -1;
    if (!listen)
        return 0;
    const char *colon = strrchr(listen, ':');
    int64_t port;
    if (!colon || colon == listen || value_parse_int(colon + 1, &port) < 0 || port < 0 || port > 65535) {
        free(listen);
        return cfg_fail(c, ynode_get(agent, "listen"), "listen must be HOST:PORT (e.g. 127.0.0.1:9464)");
    }
    free(c->cfg->agent.listen_host);
    c->cfg->agent.listen_host = strndup(listen, (size_t)(colon - listen));
    c->cfg->agent.listen_port = (int)port;
    free(listen);
    return c->cfg->agent.listen_host ? 0 : -1;
}

static int parse_durability(struct cfg_ctx *c, const struct ynode *agent)
{
    struct agent_config *a = &c->cfg->agent;
    const struct ynode *n = ynode_get(agent, "durability");
    if (!n)
        return 0;
    if (n->type == YNODE_SCALAR && strcmp(n->value, "sync") == 0) {
        a->durability_sync = 1;
        return 0;
    }
    static const char *const keys[] = {"interval", NULL};
    if (n->type == YNODE_MAPPING && ynode_get(n, "interval")) {
        if (check_keys(c, n, "agent.durability", keys) < 0 || get_duration(c, n, "interval", &a->durability_interval_ms) < 0)
            return -1;
        a->durability_sync = 0;
        return 0;
    }
    return cfg_fail(c, n, "durability must be 'sync' or {interval: DURATION}");
}

/* tls: {cert_file: PATH, key_file: PATH}: both files are read and checked now, so a bad pair is a
 * config error with its position (and `validate` reports it), not a failure at listen time. */
static int parse_tls(struct cfg_ctx *c, const struct ynode *tls)
{
    static const char *const keys[] = {"cert_file", "key_file", NULL};
    struct agent_config *a = &c->cfg->agent;
    if (expect(c, tls, YNODE_MAPPING, "agent.tls") < 0 || check_keys(c, tls, "agent.tls", keys) < 0 ||
        get_string(c, tls, "cert_file", &a->tls_cert_file) < 0 || get_string(c, tls, "key_file", &a->tls_key_file) < 0)
        return -1;
    if (!a->tls_cert_file || !a->tls_key_file)
        return cfg_fail(c, tls, "agent.tls needs both cert_file and key_file (PEM files)");
    char why[640];
    if (tls_check_support(why, sizeof why) < 0)
        return cfg_fail(c, tls, "%s", why);
    if (resolve_path(c, &a->tls_cert_file) < 0 || resolve_path(c, &a->tls_key_file) < 0)
        return -1;
    int rc = tls_pair_load(a->tls_cert_file, a->tls_key_file, &a->tls, why, sizeof why);
    if (rc < 0) {
        const char *key = rc == -2 ? "key_file" : "cert_file";
        return cfg_fail(c, ynode_get(tls, key), "agent.tls.%s: %s", key, why);
    }
    return 0;
}

/* max_connections, max_connections_per_ip, connection_timeout. */
static int parse_limits(struct cfg_ctx *c, const struct ynode *agent)
{
    struct agent_config *a = &c->cfg->agent;
    const struct ynode *max_body = ynode_get(agent, "max_body");
    if (max_body && (expect(c, max_body, YNODE_SCALAR, "max_body") < 0 ||
                     value_parse_size(max_body->value, &a->max_body_bytes) < 0 || a->max_body_bytes < 1024))
        return cfg_fail(c, max_body, "max_body must be a size of at least 1K, like 10M");
    int64_t conns = a->max_connections, per_ip = a->max_connections_per_ip; /* narrowed back below */
    if (get_int(c, agent, "max_connections", 1, 65536, &conns) < 0 ||
        get_int(c, agent, "max_connections_per_ip", 0, 65536, &per_ip) < 0 ||
        get_duration(c, agent, "connection_timeout", &a->connection_timeout_ms) < 0)
        return -1;
    a->max_connections = (int)conns;
    a->max_connections_per_ip = (int)per_ip;
    /* libmicrohttpd counts the timeout in whole seconds. */
    if (a->connection_timeout_ms < 1000 || a->connection_timeout_ms > 24LL * 3600 * 1000)
        return cfg_fail(c, ynode_get(agent, "connection_timeout"), "connection_timeout must be between 1s and 24h");
    return 0;
}

static int parse_agent(struct cfg_ctx *c, const struct ynode *agent)
{
    static const char *const keys[] = {"listen", "state_dir", "plugin_dir", "auth_token", "auth_token_file",
                                       "durability", "log", "max_body", "max_connections",
                                       "max_connections_per_ip", "connection_timeout", "tls", "stall_warning",
                                       NULL};
    static const char *const log_keys[] = {"level", "format", NULL};
    struct agent_config *a = &c->cfg->agent;
    if (expect(c, agent, YNODE_MAPPING, "agent") < 0 || check_keys(c, agent, "agent", keys) < 0)
        return -1;
    if (parse_listen(c, agent) < 0 || get_string(c, agent, "state_dir", &a->state_dir) < 0 ||
        get_string(c, agent, "plugin_dir", &a->plugin_dir) < 0 || get_string(c, agent, "auth_token", &a->auth_token) < 0 ||
        parse_durability(c, agent) < 0)
        return -1;
    char *token_file = NULL;
    if (get_string(c, agent, "auth_token_file", &token_file) < 0)
        return -1;
    if (token_file) {
        char why[512];
        free(a->auth_token);
        a->auth_token = NULL;
        int rc = value_read_secret_file(token_file, &a->auth_token, why, sizeof why);
        free(token_file);
        if (rc < 0)
            return cfg_fail(c, ynode_get(agent, "auth_token_file"), "%s", why);
    }
    if (a->auth_token) {
        if (!*a->auth_token)
            return cfg_fail(c, ynode_get(agent, "auth_token"), "auth_token is empty");
        log_add_secret(a->auth_token);
    }
    if (parse_limits(c, agent) < 0 || get_duration(c, agent, "stall_warning", &a->stall_warning_ms) < 0)
        return -1;
    if (ynode_get(agent, "state_dir"))
        a->state_dir_default = NULL;
    const struct ynode *tls = ynode_get(agent, "tls");
    if (tls && parse_tls(c, tls) < 0)
        return -1;
    const struct ynode *log = ynode_get(agent, "log");
    if (log) {
        if (expect(c, log, YNODE_MAPPING, "agent.log") < 0 || check_keys(c, log, "agent.log", log_keys) < 0 ||
            get_string(c, log, "level", &a->log_level) < 0 || get_string(c, log, "format", &a->log_format) < 0)
            return -1;
        enum dw_log_level lvl;
        if (log_parse_level(a->log_level, &lvl) < 0)
            return cfg_fail(c, ynode_get(log, "level"), "log level must be debug, info, warn or error");
        if (strcmp(a->log_format, "logfmt") != 0)
            return cfg_fail(c, ynode_get(log, "format"), "log format must be 'logfmt' (the only format driftwatch writes)");
    }
    return resolve_path(c, &a->state_dir) < 0 || resolve_path(c, &a->plugin_dir) < 0 ? -1 : 0;
}

/* {plugin: NAME, name: INSTANCE, optional: BOOL, ...plugin options} */
static int parse_plugin_ref(struct cfg_ctx *c, const struct ynode *n, const char *what, struct plugin_ref *ref)
{
    if (expect(c, n, YNODE_MAPPING, what) < 0)
        return -1;
    const struct ynode *p = ynode_get(n, "plugin");
    if (!p)
        return cfg_fail(c, n, "%s: missing 'plugin' (the plugin's name, e.g. plugin: log)", what);
    if (get_string(c, n, "plugin", &ref->plugin) < 0 || get_string(c, n, "name", &ref->name) < 0 ||
        get_bool(c, n, "optional", &ref->optional) < 0)
        return -1;
    if (!valid_identifier(ref->plugin))
        return cfg_fail(c, p, "%s: invalid plugin name '%s'", what, ref->plugin);
    if (!ref->name && !(ref->name = strdup(ref->plugin)))
        return -1;
    ref->node = n;
    return 0;
}

static void plugin_ref_clear(struct plugin_ref *r)
{
    if (!r)
        return;
    free(r->plugin);
    free(r->name);
}

static struct plugin_ref *parse_plugin_ref_new(struct cfg_ctx *c, const struct ynode *n, const char *what)
{
    struct plugin_ref *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (parse_plugin_ref(c, n, what, r) < 0) {
        plugin_ref_clear(r);
        free(r);
        return NULL;
    }
    return r;
}

static int parse_window(struct cfg_ctx *c, const struct ynode *w, struct model_config *m)
{
    static const char *const keys[] = {"size", "every", "mode", "time", "max_pending", NULL};
    if (expect(c, w, YNODE_MAPPING, "window") < 0 || check_keys(c, w, "window", keys) < 0 ||
        get_int(c, w, "size", 0, 100000000, &m->window_size) < 0 || get_duration(c, w, "every", &m->window_every_ms) < 0)
        return -1;
    const struct ynode *mode = ynode_get(w, "mode");
    if (mode) {
        if (mode->type != YNODE_SCALAR || (strcmp(mode->value, "tumbling") != 0 && strcmp(mode->value, "sliding") != 0))
            return cfg_fail(c, mode, "window mode must be 'tumbling' or 'sliding'");
        m->window_sliding = strcmp(mode->value, "sliding") == 0;
    }
    if (m->window_size == 0 && m->window_every_ms == 0)
        return cfg_fail(c, w, "window needs a size (samples) or every (duration), or both");
    const struct ynode *pending = ynode_get(w, "max_pending");
    if (pending && (expect(c, pending, YNODE_SCALAR, "max_pending") < 0 ||
                    value_parse_size(pending->value, &m->window_max_pending_bytes) < 0 ||
                    m->window_max_pending_bytes < 1))
        return cfg_fail(c, pending, "window max_pending must be a size like 64M");
    const struct ynode *time = ynode_get(w, "time");
    if (time) {
        if (time->type != YNODE_SCALAR || (strcmp(time->value, "arrival") != 0 && strcmp(time->value, "sample") != 0))
            return cfg_fail(c, time, "window time must be 'arrival' or 'sample'");
        m->window_time_sample = strcmp(time->value, "sample") == 0;
        if (m->window_time_sample && (m->window_every_ms == 0 || m->window_sliding))
            return cfg_fail(c, time, "window time: sample places samples in tumbling windows of 'every' by their "
                                     "timestamp: it needs mode tumbling and an 'every' duration");
    }
    return 0;
}

/* The names a method setting may use: "auto", "all" and docs/statistics.md's methods. */
static const char *nearest_method(const char *name, int with_all)
{
    const char *names[DM_COUNT + 3];
    size_t n = 0;
    names[n++] = "auto";
    if (with_all)
        names[n++] = "all";
    for (int m = 0; m < DM_COUNT; m++)
        names[n++] = drift_method_name(m);
    return suggest_nearest(name, names, n);
}

static void unknown_method(const char *name, int with_all, char *why, size_t whylen)
{
    snprintf(why, whylen, "unknown method '%s'", name);
    suggest_append(why, whylen, nearest_method(name, with_all));
    size_t used = strnlen(why, whylen);
    snprintf(why + used, whylen - used, "; known: %s ks, cramervonmises, anderson, wasserstein, wasserstein_normed, "
             "psi, jensenshannon, hellinger, chisquare, linf", with_all ? "auto, all," : "auto,");
}

int config_check_methods(const char *spec, char *why, size_t whylen)
{
    if (strcmp(spec, "auto") == 0 || strcmp(spec, "all") == 0)
        return 0;
    for (const char *p = spec;;) {
        size_t len = strcspn(p, ",");
        char name[64];
        if (len == 0 || len >= sizeof name) {
            snprintf(why, whylen, "empty or overlong method name in '%s' (a comma list such as ks,psi)", spec);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (drift_method_from_name(name) == DM_NONE && !multivariate_method_from_name(name)) {
            unknown_method(name, strcmp(name, spec) == 0, why, whylen);
            size_t used = strnlen(why, whylen);
            snprintf(why + used, whylen - used, "; multivariate: pca_reconstruction, mmd");
            return -1;
        }
        p += len;
        if (!*p)
            return 0;
        p++;
    }
}

int config_check_override(const char *method, double threshold, char *why, size_t whylen)
{
    int m = DM_NONE;
    if (method && strcmp(method, "auto") != 0 && (m = drift_method_from_name(method)) == DM_NONE) {
        unknown_method(method, 0, why, whylen);
        return -1;
    }
    if (isnan(threshold))
        return 0;
    if (!isfinite(threshold) || threshold < 0 || threshold > 1e9) {
        snprintf(why, whylen, "threshold must be a number in [0, 1e9], not %g", threshold);
        return -1;
    }
    if (m != DM_NONE && drift_method_uses_p_value(m) && threshold > 1) {
        snprintf(why, whylen, "threshold %g with method %s, which decides on its p-value (drift when p < threshold): "
                 "use a p-value threshold such as 0.05", threshold, method);
        return -1;
    }
    return 0;
}

static int parse_feature_overrides(struct cfg_ctx *c, const struct ynode *f, struct model_config *m)
{
    static const char *const keys[] = {"method", "threshold", NULL};
    if (expect(c, f, YNODE_MAPPING, "drift.features") < 0)
        return -1;
    m->features = calloc(ynode_map_size(f) + 1, sizeof *m->features);
    if (!m->features)
        return -1;
    for (size_t i = 0; i < ynode_map_size(f); i++) {
        const struct ynode *v = ynode_value(f, i);
        struct feature_override *o = &m->features[m->n_features++];
        o->threshold = NAN;
        if (!(o->name = strdup(ynode_key(f, i)->value)))
            return -1;
        o->node = ynode_key(f, i);
        if (expect(c, v, YNODE_MAPPING, "a feature override") < 0 || check_keys(c, v, "drift.features", keys) < 0 ||
            get_string(c, v, "method", &o->method) < 0 || get_double(c, v, "threshold", 0, 1e9, &o->threshold) < 0)
            return -1;
        char why[512];
        if (config_check_override(o->method, NAN, why, sizeof why) < 0)
            return cfg_fail(c, ynode_get(v, "method"), "model '%s': drift.features.%s.method: %s", m->name, o->name, why);
        if (config_check_override(o->method, o->threshold, why, sizeof why) < 0)
            return cfg_fail(c, ynode_get(v, "threshold"), "model '%s': drift.features.%s: %s", m->name, o->name, why);
    }
    return 0;
}

static int parse_drift(struct cfg_ctx *c, const struct ynode *d, struct model_config *m)
{
    static const char *const keys[] = {"methods", "correction", "dataset_share", "features", "multivariate", NULL};
    if (expect(c, d, YNODE_MAPPING, "drift") < 0 || check_keys(c, d, "drift", keys) < 0 ||
        get_string(c, d, "methods", &m->methods) < 0 || get_string(c, d, "correction", &m->correction) < 0 ||
        get_double(c, d, "dataset_share", 0, 1, &m->dataset_share) < 0)
        return -1;
    char why[512];
    if (config_check_methods(m->methods, why, sizeof why) < 0)
        return cfg_fail(c, ynode_get(d, "methods"), "model '%s': drift.methods: %s", m->name, why);
    if (strcmp(m->correction, "none") != 0 && strcmp(m->correction, "bonferroni") != 0 &&
        strcmp(m->correction, "fdr") != 0)
        return cfg_fail(c, ynode_get(d, "correction"), "correction must be none, bonferroni or fdr");
    const struct ynode *mv = ynode_get(d, "multivariate");
    if (mv) {
        if (expect(c, mv, YNODE_SEQUENCE, "drift.multivariate (a list: [pca_reconstruction, mmd])") < 0)
            return -1;
        m->multivariate_set = 1;
        for (size_t i = 0; i < mv->n; i++) {
            const struct ynode *it = mv->items[i];
            if (expect(c, it, YNODE_SCALAR, "a multivariate method name") < 0)
                return -1;
            if (strcmp(it->value, "pca_reconstruction") == 0)
                m->mv_pca = 1;
            else if (strcmp(it->value, "mmd") == 0)
                m->mv_mmd = 1;
            else
                return cfg_fail(c, it, "model '%s': drift.multivariate: unknown method '%s' (known: pca_reconstruction, mmd)",
                                m->name, it->value);
        }
    }
    const struct ynode *f = ynode_get(d, "features");
    return f ? parse_feature_overrides(c, f, m) : 0;
}

/* One share limit of quality_checks: a number in [0, 1] or off. */
static int quality_limit(struct quality_options *q, const char *feature, const struct ynode *key,
                         const struct ynode *val, const struct ynode **at, char *why, size_t whylen)
{
    double limit = 0;
    *at = key;
    if (quality_problem_from_name(key->value) < 0)
        return quality_options_set(q, feature, key->value, limit, why, whylen); /* names the known ones */
    *at = val;
    if (val->type != YNODE_SCALAR || quality_parse_limit(val->value, &limit) < 0) {
        snprintf(why, whylen, "%s must be a share in [0, 1] or off, not %s%s%s", key->value,
                 val->type == YNODE_SCALAR ? "'" : "", val->type == YNODE_SCALAR ? val->value : ynode_type_name(val),
                 val->type == YNODE_SCALAR ? "'" : "");
        return -1;
    }
    return quality_options_set(q, feature, key->value, limit, why, whylen);
}

int config_quality_options(const struct ynode *node, struct quality_options *q, const struct ynode **at, char *why,
                           size_t whylen)
{
    *at = node;
    if (node->type != YNODE_MAPPING) {
        snprintf(why, whylen,
                 "must be a mapping such as {out_of_range: 0.05, type_mismatch: 0, missing_columns: error}");
        return -1;
    }
    for (size_t i = 0; i < ynode_map_size(node); i++) {
        const struct ynode *k = ynode_key(node, i), *v = ynode_value(node, i);
        if (strcmp(k->value, "missing_columns") == 0) {
            *at = v;
            if (v->type != YNODE_SCALAR || (strcmp(v->value, "error") != 0 && strcmp(v->value, "warn") != 0)) {
                snprintf(why, whylen, "missing_columns must be error (a missing column makes check exit 3) or warn");
                return -1;
            }
            q->missing_columns_warn = strcmp(v->value, "warn") == 0;
        } else if (strcmp(k->value, "features") == 0) {
            *at = v;
            if (v->type != YNODE_MAPPING) {
                snprintf(why, whylen, "features must be a mapping {FEATURE: {out_of_range: 0.1, ...}}");
                return -1;
            }
            for (size_t j = 0; j < ynode_map_size(v); j++) {
                const struct ynode *fk = ynode_key(v, j), *fv = ynode_value(v, j);
                *at = fv;
                if (fv->type != YNODE_MAPPING) {
                    snprintf(why, whylen, "features.%s must be a mapping {out_of_range: 0.1, ...}", fk->value);
                    return -1;
                }
                for (size_t l = 0; l < ynode_map_size(fv); l++)
                    if (quality_limit(q, fk->value, ynode_key(fv, l), ynode_value(fv, l), at, why, whylen) < 0)
                        return -1;
            }
        } else if (quality_limit(q, NULL, k, v, at, why, whylen) < 0) {
            return -1;
        }
    }
    return 0;
}

static int parse_quality_checks(struct cfg_ctx *c, const struct ynode *n, struct model_config *m)
{
    struct quality_options q;
    quality_options_init(&q);
    const struct ynode *at = n;
    char why[512];
    int e = config_quality_options(n, &q, &at, why, sizeof why);
    quality_options_clear(&q);
    if (e < 0)
        return cfg_fail(c, at, "model '%s': quality_checks: %s", m->name, why);
    m->quality_checks = n;
    return 0;
}

static int parse_on_drift(struct cfg_ctx *c, const struct ynode *o, struct model_config *m)
{
    static const char *const keys[] = {"consecutive", "alerts", "retrain", "on", NULL};
    int64_t consecutive = m->consecutive;
    if (expect(c, o, YNODE_MAPPING, "on_drift") < 0 || check_keys(c, o, "on_drift", keys) < 0 ||
        get_int(c, o, "consecutive", 1, 1000, &consecutive) < 0)
        return -1;
    const struct ynode *on = ynode_get(o, "on");
    if (on) {
        /* what counts as drift for alerts and retraining: [data] (default), multivariate, performance */
        if (expect(c, on, YNODE_SEQUENCE, "on_drift.on (a list: [data, multivariate, performance])") < 0)
            return -1;
        m->drift_on_set = 1;
        m->on_data = m->on_multivariate = m->on_performance = 0;
        for (size_t i = 0; i < on->n; i++) {
            const struct ynode *it = on->items[i];
            if (expect(c, it, YNODE_SCALAR, "a drift kind") < 0)
                return -1;
            if (strcmp(it->value, "data") == 0)
                m->on_data = 1;
            else if (strcmp(it->value, "multivariate") == 0)
                m->on_multivariate = 1;
            else if (strcmp(it->value, "performance") == 0)
                m->on_performance = 1;
            else
                return cfg_fail(c, it,
                                "model '%s': on_drift.on: unknown drift kind '%s' (known: data, multivariate, "
                                "performance)",
                                m->name, it->value);
        }
    }
    m->consecutive = (int)consecutive;
    const struct ynode *alerts = ynode_get(o, "alerts");
    if (alerts) {
        if (expect(c, alerts, YNODE_SEQUENCE, "on_drift.alerts") < 0)
            return -1;
        m->alerts = calloc(alerts->n + 1, sizeof *m->alerts);
        if (!m->alerts)
            return -1;
        for (size_t i = 0; i < alerts->n; i++) {
            if (expect(c, alerts->items[i], YNODE_SCALAR, "an alert name") < 0)
                return -1;
            if (!(m->alerts[m->n_alerts++] = strdup(alerts->items[i]->value)))
                return -1;
        }
    }
    const struct ynode *r = ynode_get(o, "retrain");
    if (!r)
        return 0;
    if (!(m->retrain = parse_plugin_ref_new(c, r, "on_drift.retrain")))
        return -1;
    int64_t per_day = m->retrain_max_per_day;
    if (get_duration(c, r, "cooldown", &m->retrain_cooldown_ms) < 0 ||
        get_int(c, r, "max_per_day", 0, 1000, &per_day) < 0 || get_bool(c, r, "dry_run", &m->retrain_dry_run) < 0)
        return -1;
    m->retrain_max_per_day = (int)per_day;
    return 0;
}

/* metrics: {bins: BOOL}: the fleet metrics' bin families (docs/metrics.md), on by default. */
static int parse_metrics(struct cfg_ctx *c, const struct ynode *n, struct model_config *m)
{
    static const char *const keys[] = {"bins", NULL};
    int bins = 1;
    if (expect(c, n, YNODE_MAPPING, "metrics") < 0 || check_keys(c, n, "metrics", keys) < 0 ||
        get_bool(c, n, "bins", &bins) < 0)
        return -1;
    m->bin_metrics_off = !bins;
    return 0;
}

static int parse_model(struct cfg_ctx *c, const struct ynode *n, struct model_config *m)
{
    static const char *const keys[] = {"name", "baseline", "window", "drift", "probes", "sampling",
                                       "versioning", "on_drift", "quality_checks", "metrics", "quality", NULL};
    m->window_size = 10000;
    m->window_max_pending_bytes = WINDOW_MAX_PENDING_DEFAULT;
    m->methods = strdup("auto");
    m->correction = strdup("fdr");
    m->dataset_share = 0.5;
    m->consecutive = 2;
    m->retrain_cooldown_ms = 24LL * 3600 * 1000;
    m->retrain_max_per_day = 2;
    m->file = c->cfg->path;
    if (!m->methods || !m->correction)
        return -1;
    if (expect(c, n, YNODE_MAPPING, "a model") < 0 || check_keys(c, n, "a model", keys) < 0 ||
        get_string(c, n, "name", &m->name) < 0 || get_string(c, n, "baseline", &m->baseline) < 0)
        return -1;
    if (!m->name)
        return cfg_fail(c, n, "model: missing 'name'");
    if (!valid_identifier(m->name))
        return cfg_fail(c, ynode_get(n, "name"), "model name '%s' may only use letters, digits, '_', '-' and '.'", m->name);
    if (!m->baseline)
        return cfg_fail(c, n, "model '%s': missing 'baseline' (a profile from 'driftwatch baseline')", m->name);
    if (resolve_path(c, &m->baseline) < 0)
        return -1;
    m->baseline_node = ynode_get(n, "baseline");
    const struct ynode *x;
    if ((x = ynode_get(n, "window")) && parse_window(c, x, m) < 0)
        return -1;
    if ((x = ynode_get(n, "drift")) && parse_drift(c, x, m) < 0)
        return -1;
    if ((x = ynode_get(n, "quality_checks")) && parse_quality_checks(c, x, m) < 0)
        return -1;
    if ((x = ynode_get(n, "metrics")) && parse_metrics(c, x, m) < 0)
        return -1;
    if ((x = ynode_get(n, "quality"))) {
        const struct ynode *at = x;
        char why[512];
        if (config_quality_parse(x, &m->quality, &at, why, sizeof why) < 0)
            return cfg_fail(c, at, "model '%s': quality: %s", m->name, why);
    }
    if ((x = ynode_get(n, "probes"))) {
        if (expect(c, x, YNODE_SEQUENCE, "probes") < 0)
            return -1;
        m->probes = calloc(x->n + 1, sizeof *m->probes);
        if (!m->probes)
            return -1;
        for (size_t i = 0; i < x->n; i++) {
            m->n_probes++;
            if (parse_plugin_ref(c, x->items[i], "a probe", &m->probes[i]) < 0)
                return -1;
            /* A probe listed under a model feeds that model: its `model` option defaults to it, and
             * one that names another model is a mistake (its samples would go elsewhere). */
            m->probes[i].model = m->name;
            char *named = NULL;
            if (get_string(c, x->items[i], "model", &named) < 0)
                return -1;
            int other = named && strcmp(named, m->name) != 0;
            if (other)
                cfg_fail(c, ynode_get(x->items[i], "model"), "plugin '%s': model '%s' is not the model this probe is "
                         "listed under ('%s'): leave 'model' out or name '%s'", m->probes[i].plugin, named, m->name,
                         m->name);
            free(named);
            if (other)
                return -1;
        }
    }
    if ((x = ynode_get(n, "sampling")) && !(m->sampling = parse_plugin_ref_new(c, x, "sampling")))
        return -1;
    if ((x = ynode_get(n, "versioning")) && !(m->versioning = parse_plugin_ref_new(c, x, "versioning")))
        return -1;
    if ((x = ynode_get(n, "on_drift")) && parse_on_drift(c, x, m) < 0)
        return -1;
    return 0;
}

static int parse_models(struct cfg_ctx *c, const struct ynode *models)
{
    struct config *cfg = c->cfg;
    if (expect(c, models, YNODE_SEQUENCE, "models") < 0)
        return -1;
    cfg->models = calloc(models->n + 1, sizeof *cfg->models);
    if (!cfg->models)
        return -1;
    for (size_t i = 0; i < models->n; i++) {
        cfg->n_models++;
        if (parse_model(c, models->items[i], &cfg->models[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->models[j].name, cfg->models[i].name) == 0)
                return cfg_fail(c, models->items[i], "duplicate model name '%s'", cfg->models[i].name);
    }
    return 0;
}

static int parse_alerts(struct cfg_ctx *c, const struct ynode *alerts)
{
    struct config *cfg = c->cfg;
    if (expect(c, alerts, YNODE_SEQUENCE, "alerts") < 0)
        return -1;
    cfg->alerts = calloc(alerts->n + 1, sizeof *cfg->alerts);
    if (!cfg->alerts)
        return -1;
    for (size_t i = 0; i < alerts->n; i++) {
        cfg->n_alerts++;
        if (parse_plugin_ref(c, alerts->items[i], "an alert sink", &cfg->alerts[i]) < 0)
            return -1;
        if (!ynode_get(alerts->items[i], "name"))
            return cfg_fail(c, alerts->items[i], "alert sink: missing 'name' (models refer to sinks by name)");
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->alerts[j].name, cfg->alerts[i].name) == 0)
                return cfg_fail(c, alerts->items[i], "duplicate alert sink name '%s'", cfg->alerts[i].name);
    }
    return 0;
}

static int parse_schedules(struct cfg_ctx *c, const struct ynode *s)
{
    static const char *const keys[] = {"cron", "every", "model", NULL};
    struct config *cfg = c->cfg;
    if (expect(c, s, YNODE_SEQUENCE, "schedules") < 0)
        return -1;
    cfg->schedules = calloc(s->n + 1, sizeof *cfg->schedules);
    if (!cfg->schedules)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const struct ynode *n = s->items[i];
        struct schedule_config *sc = &cfg->schedules[cfg->n_schedules++];
        if (expect(c, n, YNODE_MAPPING, "a schedule") < 0 || check_keys(c, n, "a schedule", keys) < 0 ||
            get_string(c, n, "cron", &sc->cron) < 0 || get_duration(c, n, "every", &sc->every_ms) < 0 ||
            get_string(c, n, "model", &sc->model) < 0)
            return -1;
        if (!sc->cron == !sc->every_ms)
            return cfg_fail(c, n, "a schedule needs exactly one of 'cron' or 'every'");
        if (!sc->model)
            return cfg_fail(c, n, "a schedule needs 'model'");
        if (!config_find_model(cfg, sc->model))
            return cfg_fail(c, ynode_get(n, "model"), "schedule for unknown model '%s'", sc->model);
    }
    return 0;
}

/* Cross-references: alert names used by models must exist. */
static int check_references(struct cfg_ctx *c)
{
    struct config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *m = &cfg->models[i];
        for (size_t j = 0; j < m->n_alerts; j++) {
            int found = 0;
            for (size_t k = 0; k < cfg->n_alerts && !found; k++)
                found = strcmp(cfg->alerts[k].name, m->alerts[j]) == 0;
            if (!found) {
                const struct ynode *model_node = ynode_get(cfg->root, "models")->items[i];
                const struct ynode *names = ynode_get(ynode_get(model_node, "on_drift"), "alerts");
                return cfg_fail(c, names->items[j], "model '%s': on_drift.alerts names '%s', which is not in 'alerts'",
                                m->name, m->alerts[j]);
            }
        }
    }
    return 0;
}

/* agent.state_dir left out: root keeps the system path; anyone else gets a directory they can write
 * (the XDG base directory specification's state home), not a failure to create /var/lib/driftwatch.
 * The agent logs which one it took and why (state_dir_default). */
static char *default_state_dir(const char **why)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char buf[4096], cwd[4000];
    if (geteuid() == 0) {
        *why = "agent.state_dir is not set: running as root, the system default";
        snprintf(buf, sizeof buf, "/var/lib/driftwatch");
    } else if (xdg && xdg[0] == '/') {
        *why = "agent.state_dir is not set: $XDG_STATE_HOME/driftwatch";
        snprintf(buf, sizeof buf, "%s/driftwatch", xdg);
    } else if (home && home[0] == '/') {
        *why = "agent.state_dir is not set: ~/.local/state/driftwatch ($XDG_STATE_HOME is not set)";
        snprintf(buf, sizeof buf, "%s/.local/state/driftwatch", home);
    } else {
        *why = "agent.state_dir is not set, nor are $XDG_STATE_HOME and $HOME: driftwatch-state in the working "
               "directory";
        if (getcwd(cwd, sizeof cwd))
            snprintf(buf, sizeof buf, "%s/driftwatch-state", strcmp(cwd, "/") == 0 ? "" : cwd);
        else
            snprintf(buf, sizeof buf, "driftwatch-state");
    }
    return strdup(buf);
}

static int set_defaults(struct config *cfg)
{
    struct agent_config *a = &cfg->agent;
    a->listen_host = strdup("127.0.0.1");
    a->listen_port = 9464;
    a->state_dir = default_state_dir(&a->state_dir_default);
    a->stall_warning_ms = 5 * 60 * 1000;
    a->durability_sync = 1;
    a->durability_interval_ms = 100;
    a->log_level = strdup("info");
    a->log_format = strdup("logfmt");
    a->max_body_bytes = 10 * 1024 * 1024;
    a->max_connections = 256;
    a->connection_timeout_ms = 30 * 1000;
    return a->listen_host && a->state_dir && a->log_level && a->log_format ? 0 : -1;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
    static const char *const keys[] = {"agent", "models", "alerts", "schedules", NULL};
    *out = NULL;
    struct config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup(path)) || set_defaults(cfg) < 0) {
        config_free(cfg);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    struct cfg_ctx c = {.cfg = cfg, .err = err, .errlen = errlen};
    const struct ynode *x;
    if (yaml_tree_load_file(path, &cfg->root, err, errlen) < 0)
        goto error;
    if (expect(&c, cfg->root, YNODE_MAPPING, "the config file") < 0 || check_keys(&c, cfg->root, "the config file", keys) < 0)
        goto error;
    if ((x = ynode_get(cfg->root, "agent")) && parse_agent(&c, x) < 0)
        goto error;
    /* The default plugin directory is set here, once, before anything loads a plugin, so every user
     * of the config (agent, validate, vertex) loads from the same place without asking the agent. */
    if (!cfg->agent.plugin_dir && !(cfg->agent.plugin_dir = strdup(plugin_dir_default()))) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto error;
    }
    if ((x = ynode_get(cfg->root, "models")) && parse_models(&c, x) < 0)
        goto error;
    if ((x = ynode_get(cfg->root, "alerts")) && parse_alerts(&c, x) < 0)
        goto error;
    if ((x = ynode_get(cfg->root, "schedules")) && parse_schedules(&c, x) < 0)
        goto error;
    if (check_references(&c) < 0)
        goto error;
    *out = cfg;
    return 0;
error:
    if (!*err)
        snprintf(err, errlen, "%s: out of memory", path);
    config_free(cfg);
    return -1;
}

static void model_config_clear(struct model_config *m)
{
    free(m->name);
    free(m->baseline);
    free(m->methods);
    free(m->correction);
    for (size_t i = 0; i < m->n_features; i++) {
        free(m->features[i].name);
        free(m->features[i].method);
    }
    free(m->features);
    for (size_t i = 0; i < m->n_probes; i++)
        plugin_ref_clear(&m->probes[i]);
    free(m->probes);
    plugin_ref_clear(m->sampling);
    free(m->sampling);
    plugin_ref_clear(m->versioning);
    free(m->versioning);
    for (size_t i = 0; i < m->n_alerts; i++)
        free(m->alerts[i]);
    free(m->alerts);
    plugin_ref_clear(m->retrain);
    free(m->retrain);
    model_quality_free(m->quality);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    struct agent_config *a = &cfg->agent;
    free(a->listen_host);
    free(a->state_dir);
    free(a->plugin_dir);
    free(a->auth_token);
    free(a->tls_cert_file);
    free(a->tls_key_file);
    tls_pair_clear(&a->tls);
    free(a->log_level);
    free(a->log_format);
    for (size_t i = 0; i < cfg->n_models; i++)
        model_config_clear(&cfg->models[i]);
    free(cfg->models);
    for (size_t i = 0; i < cfg->n_alerts; i++)
        plugin_ref_clear(&cfg->alerts[i]);
    free(cfg->alerts);
    for (size_t i = 0; i < cfg->n_schedules; i++) {
        free(cfg->schedules[i].cron);
        free(cfg->schedules[i].model);
    }
    free(cfg->schedules);
    yaml_tree_free(cfg->root);
    free(cfg->path);
    free(cfg);
}

const struct model_config *config_find_model(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_models; i++)
        if (strcmp(cfg->models[i].name, name) == 0)
            return &cfg->models[i];
    return NULL;
}
