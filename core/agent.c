/* Agent lifecycle (see agent.h): prepare = load + validate + init every plugin; start = HTTP
 * server, then plugins; free = the reverse. Optional plugins that fail are reported, not fatal. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build_config.h"
#include "host.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "plugin_loader.h"
#include "routes.h"

/* Core-owned keys of a retrain entry: the retrain policy (DESIGN.md §7), not plugin options. */
static const char *const retrain_policy_keys[] = {"cooldown", "max_per_day", "dry_run", NULL};

struct slot {
    struct plugin_instance *pi; /* NULL when an optional plugin failed */
    const struct plugin_ref *ref;
    enum dw_kind kind;
};

struct agent {
    const struct config *cfg;
    struct slot *slots;
    size_t n_slots;
    struct http_server *server;
    int started;
};

const char *agent_plugin_dir(const struct config *cfg)
{
    return cfg->agent.plugin_dir ? cfg->agent.plugin_dir : loader_default_dir();
}

static int add_slot(struct agent *a, const struct plugin_ref *ref, enum dw_kind kind, const char *const *reserved,
                    char *err, size_t errlen)
{
    struct slot *s = &a->slots[a->n_slots++];
    s->ref = ref;
    s->kind = kind;
    char why[1024];
    if (plugin_instance_create(agent_plugin_dir(a->cfg), a->cfg->path, ref, reserved, kind, &s->pi, why,
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
    if (!a || !(a->slots = calloc(count_refs(cfg) + 1, sizeof *a->slots))) {
        free(a);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->cfg = cfg;
    for (size_t i = 0; i < cfg->n_alerts; i++)
        if (add_slot(a, &cfg->alerts[i], DW_KIND_ALERT, NULL, err, errlen) < 0)
            goto error;
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct model_config *m = &cfg->models[i];
        for (size_t j = 0; j < m->n_probes; j++)
            if (add_slot(a, &m->probes[j], DW_KIND_PROBE, NULL, err, errlen) < 0)
                goto error;
        if (m->sampling && add_slot(a, m->sampling, DW_KIND_SAMPLER, NULL, err, errlen) < 0)
            goto error;
        if (m->versioning && add_slot(a, m->versioning, DW_KIND_VERSIONING, NULL, err, errlen) < 0)
            goto error;
        if (m->retrain && add_slot(a, m->retrain, DW_KIND_TRAINER, retrain_policy_keys, err, errlen) < 0)
            goto error;
    }
    *out = a;
    return 0;
error:
    agent_free(a);
    return -1;
}

/* State directories must exist and be private: the journal holds accepted samples. */
static int ensure_state_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
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

static int agent_ready(void *ctx, char *why, size_t whylen)
{
    struct agent *a = ctx;
    if (!a->started) {
        snprintf(why, whylen, "starting");
        return -1;
    }
    for (size_t i = 0; i < a->n_slots; i++) {
        /* An optional plugin that is down is reported through driftwatch_plugin_up, not readiness. */
        if (a->slots[i].ref->optional)
            continue;
        if (!a->slots[i].pi || !a->slots[i].pi->started) {
            snprintf(why, whylen, "plugin '%s' is down", a->slots[i].ref->name);
            return -1;
        }
    }
    return 0;
}

int agent_start(struct agent *a, char *err, size_t errlen)
{
    const struct agent_config *ac = &a->cfg->agent;
    if (ensure_state_dir(ac->state_dir, err, errlen) < 0)
        return -1;
    host_set_state_dir(ac->state_dir);
    const char *build[] = {"version", DW_VERSION, NULL};
    metrics_gauge_set("driftwatch_build_info", "driftwatch build information; always 1.", build, 1);

    struct http_server_options so = {
        .host = ac->listen_host,
        .port = ac->listen_port,
        .max_body_bytes = ac->max_body_bytes,
        .max_connections = ac->max_connections,
        .auth_token = ac->auth_token,
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
    a->started = 1;
    log_info("agent", "listening on %s:%d with %zu plugin instance(s), %zu model(s)", ac->listen_host,
             http_server_port(a->server), a->n_slots, a->cfg->n_models);
    return 0;
}

void agent_free(struct agent *a)
{
    if (!a)
        return;
    /* Server first: no request may reach a plugin being torn down. */
    http_server_stop(a->server);
    routes_clear();
    for (size_t i = a->n_slots; i-- > 0;)
        plugin_instance_free(a->slots[i].pi);
    free(a->slots);
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
