/* Agent lifecycle (see agent.h): prepare = load + validate + init every plugin; start = HTTP
 * server, then plugins; free = the reverse. Optional plugins that fail are reported, not fatal. */
#include "runtime/agent.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/api_models.h"
#include "build_config.h"
#include "plugin/host.h"
#include "http/http_server.h"
#include "util/log.h"
#include "util/metrics.h"
#include "plugin/plugin_loader.h"
#include "http/routes.h"
#include "runtime/scheduler.h"
#include "runtime/stall_watch.h"

struct slot {
    struct plugin_instance *pi; /* NULL when an optional plugin failed */
    const struct plugin_ref *ref;
    enum dw_kind kind;
};

/* Where each model's plugins sit in the slot table (-1: not configured). */
struct model_slots {
    long sampler, versioning, trainer;
    struct plugin_instance **sinks; /* on_drift.alerts resolved to instances (NULL when down) */
    const char **sink_names;
};

struct agent {
    const struct config *cfg;
    struct slot *slots;
    size_t n_slots;
    struct model_slots *model_slots;
    struct model_runtime **models;
    size_t n_models;
    struct scheduler *scheduler;
    struct http_server *server;
    char public_url[300]; /* base of report links in alerts */
    struct stall_watch *stall; /* /readyz: samples seen but none kept (agent.stall_warning) */
    int started;
};

/* The running agent, for the host's emit_samples (plugins call it without a context). */
static pthread_rwlock_t current_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct agent *current;

/* The running model named `name` (caller holds current_lock for reading), or NULL with res's error
 * and code set for the probe's answer. */
static struct model_runtime *model_for_batch(const char *name, struct dw_ingest_result *res)
{
    memset(res, 0, sizeof *res);
    for (size_t i = 0; current && name && i < current->n_models; i++)
        if (strcmp(model_name(current->models[i]), name) == 0)
            return current->models[i];
    snprintf(res->error, sizeof res->error, "unknown model '%s'", name ? name : "(null)");
    return NULL;
}

/* Either door's batch into the named model (model_ingest splits a body first). */
static int agent_ingest(const struct ingest_batch *batch, struct dw_ingest_result *res)
{
    pthread_rwlock_rdlock(&current_lock);
    struct model_runtime *m = model_for_batch(batch->model, res);
    int rc = m ? model_ingest(m, batch, res) : DW_INGEST_UNKNOWN_MODEL;
    pthread_rwlock_unlock(&current_lock);
    return rc;
}

static int agent_ingest_cursor(const struct dw_checked_batch *batch, const struct dw_cursor *cursor,
                               struct dw_ingest_result *res, char **stored)
{
    if (stored)
        *stored = NULL;
    pthread_rwlock_rdlock(&current_lock);
    struct model_runtime *m = model_for_batch(batch->model, res);
    int rc = m ? model_ingest_cursor(m, batch, cursor, res, stored) : DW_INGEST_UNKNOWN_MODEL;
    pthread_rwlock_unlock(&current_lock);
    return rc;
}

static int agent_read_cursors(const char *model, const char *source, dw_cursor_fn fn, void *ctx)
{
    int rc = DW_INGEST_UNKNOWN_MODEL;
    pthread_rwlock_rdlock(&current_lock);
    for (size_t i = 0; current && model && source && i < current->n_models; i++) {
        if (strcmp(model_name(current->models[i]), model) == 0) {
            rc = model_read_cursors(current->models[i], source, fn, ctx);
            break;
        }
    }
    pthread_rwlock_unlock(&current_lock);
    return rc;
}

static int add_slot(struct agent *a, const struct plugin_ref *ref, enum dw_kind kind, const char *const *reserved,
                    char *err, size_t errlen)
{
    struct slot *s = &a->slots[a->n_slots++];
    s->ref = ref;
    s->kind = kind;
    char why[1024];
    if (plugin_instance_create(a->cfg->agent.plugin_dir, a->cfg->path, ref, reserved, kind, &s->pi, why,
                               sizeof why) == 0)
        return 0;
    plugin_instance_report_up(ref->name, kind, 0);
    if (ref->optional) {
        log_error("agent", "optional plugin unavailable, continuing without it: %s", why);
        return 0;
    }
    snprintf(err, errlen, "%s", why);
    return -1;
}

/* A model's optional sampler/versioning/trainer entry: *index is its slot, or stays -1. */
static int add_model_slot(struct agent *a, const struct plugin_ref *ref, enum dw_kind kind,
                          const char *const *reserved, long *index, char *err, size_t errlen)
{
    if (!ref)
        return 0;
    *index = (long)a->n_slots;
    return add_slot(a, ref, kind, reserved, err, errlen);
}

static size_t count_refs(const struct config *cfg)
{
    size_t n = cfg->n_alerts;
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *m = &cfg->models[i];
        n += m->n_probes + (m->sampling != NULL) + (m->versioning != NULL) + (m->retrain != NULL);
    }
    return n;
}

int agent_prepare(const struct config *cfg, struct agent **out, char *err, size_t errlen)
{
    *out = NULL;
    struct agent *a = calloc(1, sizeof *a);
    if (!a || !(a->slots = calloc(count_refs(cfg) + 1, sizeof *a->slots)) ||
        !(a->model_slots = calloc(cfg->n_models + 1, sizeof *a->model_slots)) ||
        !(a->models = calloc(cfg->n_models + 1, sizeof *a->models))) {
        if (a) {
            free(a->slots);
            free(a->model_slots);
        }
        free(a);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->cfg = cfg;
    /* Plugins may look at host->state_dir in init; it is created (and its mode checked) in start. */
    host_set_state_dir(cfg->agent.state_dir);
    for (size_t i = 0; i < cfg->n_alerts; i++)
        if (add_slot(a, &cfg->alerts[i], DW_KIND_ALERT, NULL, err, errlen) < 0)
            goto error;
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *m = &cfg->models[i];
        struct model_slots *ms = &a->model_slots[i];
        ms->sampler = ms->versioning = ms->trainer = -1;
        for (size_t j = 0; j < m->n_probes; j++)
            if (add_slot(a, &m->probes[j], DW_KIND_PROBE, NULL, err, errlen) < 0)
                goto error;
        if (add_model_slot(a, m->sampling, DW_KIND_SAMPLER, NULL, &ms->sampler, err, errlen) < 0 ||
            add_model_slot(a, m->versioning, DW_KIND_VERSIONING, NULL, &ms->versioning, err, errlen) < 0 ||
            add_model_slot(a, m->retrain, DW_KIND_TRAINER, config_retrain_policy_keys, &ms->trainer, err, errlen) < 0)
            goto error;
    }
    *out = a;
    return 0;
error:
    agent_free(a);
    return -1;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A default state_dir (~/.local/state/driftwatch) may lack its parents: made 0700, as the XDG base
 * directory specification asks of the state home. A configured one must have its parent. */
static void make_parents(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            return; /* ensure_state_dir reports the directory itself */
        *p = '/';
    }
}

/* State directories must exist and be private: the journal holds accepted samples. */
static int ensure_state_dir(const char *dir, int with_parents, char *err, size_t errlen)
{
    struct stat st;
    if (with_parents)
        make_parents(dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "state_dir %s: cannot create: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "state_dir %s: not a directory", dir);
        return -1;
    }
    if (st.st_mode & S_IWOTH) {
        snprintf(err, errlen, "state_dir %s is writable by others (mode %03o): refusing to use it", dir,
                 st.st_mode & 0777);
        return -1;
    }
    return 0;
}

/* Ready once start completed: config and baselines loaded, every required plugin started (start
 * fails otherwise); optional plugins that are down show in driftwatch_plugin_up, not here. Runs on
 * server threads while start runs on the main thread, hence the atomic flag. */
static int agent_ready(void *ctx, char *why, size_t whylen)
{
    struct agent *a = ctx;
    if (!__atomic_load_n(&a->started, __ATOMIC_ACQUIRE)) {
        snprintf(why, whylen, "starting");
        return -1;
    }
    /* Still ready: the sidecar's readiness gates the pod's traffic, and a monitoring problem must not
     * take the model out of service. The warning is for people and scripts reading /readyz. */
    return stall_watch_check(a->stall, monotonic_ms(), why, whylen) > 0 ? 1 : 0;
}

static struct plugin_instance *slot_instance(const struct agent *a, long index)
{
    return index >= 0 ? a->slots[index].pi : NULL;
}

/* Loads baselines, replays journals and starts each model's worker, then opens ingest and the
 * model API. Sinks are borrowed from the slots by the names in on_drift.alerts. */
static int start_models(struct agent *a, char *err, size_t errlen)
{
    const struct config *cfg = a->cfg;
    snprintf(a->public_url, sizeof a->public_url, "%s://%s:%d", cfg->agent.tls.cert_pem ? "https" : "http",
             cfg->agent.listen_host, cfg->agent.listen_port);
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *mc = &cfg->models[i];
        struct model_slots *ms = &a->model_slots[i];
        ms->sinks = calloc(mc->n_alerts + 1, sizeof *ms->sinks);
        ms->sink_names = calloc(mc->n_alerts + 1, sizeof *ms->sink_names);
        if (!ms->sinks || !ms->sink_names) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t j = 0; j < mc->n_alerts; j++) {
            ms->sinks[j] = agent_alert_sink(a, mc->alerts[j]);
            ms->sink_names[j] = mc->alerts[j];
        }
        struct model_links links = {
            .sampler = slot_instance(a, a->model_slots[i].sampler),
            .versioning = slot_instance(a, a->model_slots[i].versioning),
            .trainer = slot_instance(a, a->model_slots[i].trainer),
            .sinks = ms->sinks,
            .sink_names = ms->sink_names,
            .n_sinks = mc->n_alerts,
            .state_dir = cfg->agent.state_dir,
            .durability_sync = cfg->agent.durability_sync,
            .durability_interval_ms = cfg->agent.durability_interval_ms,
            .public_url = a->public_url,
        };
        if (model_start(mc, &links, &a->models[a->n_models], err, errlen) < 0)
            return -1;
        a->n_models++;
    }
    if (api_models_register(a->models, a->n_models) < 0) {
        snprintf(err, errlen, "out of memory registering routes");
        return -1;
    }
    pthread_rwlock_wrlock(&current_lock);
    current = a;
    pthread_rwlock_unlock(&current_lock);
    host_set_ingest(agent_ingest);
    host_set_cursor_pipeline(agent_ingest_cursor, agent_read_cursors);
    return 0;
}

int agent_start(struct agent *a, char *err, size_t errlen)
{
    const struct agent_config *ac = &a->cfg->agent;
    if (ac->state_dir_default)
        log_info("agent", "state_dir %s (%s; set agent.state_dir to choose)", ac->state_dir, ac->state_dir_default);
    else
        log_info("agent", "state_dir %s", ac->state_dir);
    if (ensure_state_dir(ac->state_dir, ac->state_dir_default != NULL, err, errlen) < 0)
        return -1;
    const char *build[] = {"version", DW_VERSION, NULL};
    metrics_gauge_set("driftwatch_build_info", "driftwatch build information; always 1.", build, 1);

    if (start_models(a, err, errlen) < 0)
        return -1;
    struct http_server_options so = {
        .host = ac->listen_host,
        .port = ac->listen_port,
        .max_body_bytes = ac->max_body_bytes,
        .max_connections = ac->max_connections,
        .max_connections_per_ip = ac->max_connections_per_ip,
        .connection_timeout_s = (int)(ac->connection_timeout_ms / 1000),
        .auth_token = ac->auth_token,
        .tls_cert_pem = ac->tls.cert_pem,
        .tls_key_pem = ac->tls.key_pem,
        .ready = agent_ready,
        .ready_ctx = a,
    };
    char why[512];
    if (!(a->server = http_server_start(&so, why, sizeof why))) {
        snprintf(err, errlen, "%s: agent.listen: %s", a->cfg->path, why);
        return -1;
    }
    for (size_t i = 0; i < a->n_slots; i++) {
        struct slot *s = &a->slots[i];
        if (!s->pi)
            continue;
        if (plugin_instance_start(s->pi, why, sizeof why) < 0) {
            plugin_instance_report_up(s->ref->name, s->kind, 0);
            if (!s->ref->optional) {
                snprintf(err, errlen, "%s:%zu:%zu: %s", a->cfg->path, s->ref->node->line, s->ref->node->col, why);
                return -1;
            }
            log_error("agent", "optional plugin failed to start, continuing without it: %s", why);
            plugin_instance_free(s->pi);
            s->pi = NULL;
            continue;
        }
        plugin_instance_report_up(s->ref->name, s->kind, 1);
    }
    if (scheduler_start(a->cfg, a->models, a->n_models, &a->scheduler, err, errlen) < 0)
        return -1;
    const char **names = calloc(a->n_models + 1, sizeof *names);
    for (size_t i = 0; names && i < a->n_models; i++)
        names[i] = model_name(a->models[i]);
    a->stall = names ? stall_watch_new(names, a->n_models, ac->stall_warning_ms, monotonic_ms()) : NULL;
    free(names);
    if (!a->stall) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    __atomic_store_n(&a->started, 1, __ATOMIC_RELEASE);
    log_info("agent", "listening on %s:%d (%s) with %zu plugin instance(s), %zu model(s)", ac->listen_host,
             http_server_port(a->server), ac->tls.cert_pem ? "https" : "http", a->n_slots, a->cfg->n_models);
    return 0;
}

void agent_free(struct agent *a)
{
    if (!a)
        return;
    /* Outside in: no request, probe or schedule may reach a model or plugin being torn down. */
    http_server_stop(a->server);
    scheduler_stop(a->scheduler);
    for (size_t i = a->n_slots; i-- > 0;)
        plugin_instance_stop(a->slots[i].pi);
    pthread_rwlock_wrlock(&current_lock);
    if (current == a)
        current = NULL;
    pthread_rwlock_unlock(&current_lock);
    for (size_t i = 0; i < a->n_models; i++)
        model_stop(a->models[i]);
    routes_clear();
    for (size_t i = a->n_slots; i-- > 0;)
        plugin_instance_free(a->slots[i].pi);
    free(a->models);
    for (size_t i = 0; a->model_slots && i < a->cfg->n_models; i++) {
        free(a->model_slots[i].sinks);
        free((void *)a->model_slots[i].sink_names);
    }
    free(a->model_slots);
    free(a->slots);
    stall_watch_free(a->stall);
    free(a);
}

int agent_http_port(const struct agent *a)
{
    return a->server ? http_server_port(a->server) : -1;
}

struct plugin_instance *agent_alert_sink(const struct agent *a, const char *name)
{
    for (size_t i = 0; i < a->n_slots; i++)
        if (a->slots[i].kind == DW_KIND_ALERT && strcmp(a->slots[i].ref->name, name) == 0)
            return a->slots[i].pi;
    return NULL;
}
