/* The `sampler` plugin: decides which served predictions enter a model's window.
 * Policies all, rate (Bernoulli), reservoir (Algorithm R) and stratified (per-class caps). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "driftwatch/plugin.h"
#include "util/prng.h" /* the core's xoshiro256** (dw_prng: plugins cannot link dwcore) */

#define METRIC "driftwatch_sampler_samples_total"
#define METRIC_HELP "Sampling decisions per model: kept (appended or replacing) or dropped."
/* Counters are published in batches so a decision does not take the registry's lock each time. */
#define FLUSH_EVERY 256
#define FLUSH_NS 1000000000LL

struct sampler_config {
    const char *policy;
    double rate;
    int64_t seed;
    int64_t per_class_cap;
};

enum policy { POLICY_ALL, POLICY_RATE, POLICY_RESERVOIR, POLICY_STRATIFIED };

struct class_count {
    char *name;
    uint64_t kept;
};

/* Per-model state: one sampler instance may serve several models; each has its own window. */
struct model_state {
    char *model;
    struct prng rng;
    uint64_t seen;        /* in the current window (used when the core gives no count) */
    struct class_count *classes;
    size_t n_classes;
    uint64_t pending_kept, pending_dropped;
    int64_t last_flush_ns;
};

struct sampler {
    const struct dw_host *host;
    struct dw_ctx *ctx; /* for the decision counters */
    enum policy policy;
    double rate;
    uint64_t seed;
    uint64_t per_class_cap;
    pthread_mutex_t lock;
    struct model_state *models;
    size_t n_models;
};

static const char *const policy_choices[] = {"all", "rate", "reservoir", "stratified", NULL};

static const struct dw_option sampler_options[] = {
    {.name = "policy", .type = DW_OPT_STRING, .def = "all", .offset = offsetof(struct sampler_config, policy),
     .description = "all, rate (keep each sample with probability `rate`), reservoir (uniform sample of the window's size) or "
     "stratified (at most `per_class_cap` samples per prediction class and window)",
     .choices = policy_choices},
    {.name = "rate", .type = DW_OPT_DOUBLE, .def = "1.0", .offset = offsetof(struct sampler_config, rate),
     .description = "probability of keeping a sample under policy rate, in [0, 1]", .min = "0", .max = "1"},
    {.name = "seed", .type = DW_OPT_INT, .def = "-1", .offset = offsetof(struct sampler_config, seed),
     .description = "seed of the pseudo-random generator (xoshiro256**); -1 seeds from the OS", .min = "-1"},
    {.name = "per_class_cap", .type = DW_OPT_INT, .def = "1000", .offset = offsetof(struct sampler_config, per_class_cap),
     .description = "policy stratified: samples kept per prediction class and window", .min = "1"},
    {0},
};

/* Uniform double in [0, 1) from the top 53 bits. */
static double prng_unit(struct prng *r)
{
    return (double)(prng_next(r) >> 11) * 0x1.0p-53;
}

/* FNV-1a: mixes the model name into its generator's seed so models sample independently. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int sampler_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                        void **instance, char *err, size_t errlen)
{
    (void)instance_name; /* the host attributes the counters to the instance through ctx */
    const struct sampler_config *cfg = config;
    /* The loader has checked policy against its choices, rate, seed and per_class_cap against their bounds. */
    enum policy policy = POLICY_ALL;
    if (strcmp(cfg->policy, "rate") == 0)
        policy = POLICY_RATE;
    else if (strcmp(cfg->policy, "reservoir") == 0)
        policy = POLICY_RESERVOIR;
    else if (strcmp(cfg->policy, "stratified") == 0)
        policy = POLICY_STRATIFIED;
    struct sampler *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->host = host;
    s->ctx = ctx;
    s->policy = policy;
    s->rate = cfg->rate;
    s->per_class_cap = (uint64_t)cfg->per_class_cap;
    if (cfg->seed >= 0) {
        s->seed = (uint64_t)cfg->seed;
    } else if (getrandom(&s->seed, sizeof s->seed, 0) != (ssize_t)sizeof s->seed) {
        s->seed = (uint64_t)now_ns() ^ (uint64_t)(uintptr_t)s;
    }
    pthread_mutex_init(&s->lock, NULL);
    *instance = s;
    return 0;
}

static void flush_counts(struct sampler *s, struct model_state *m)
{
    if (m->pending_kept) {
        const char *labels[] = {"model", m->model, "decision", "kept", NULL};
        s->host->counter_add(s->ctx, METRIC, METRIC_HELP, labels, (double)m->pending_kept);
    }
    if (m->pending_dropped) {
        const char *labels[] = {"model", m->model, "decision", "dropped", NULL};
        s->host->counter_add(s->ctx, METRIC, METRIC_HELP, labels, (double)m->pending_dropped);
    }
    m->pending_kept = m->pending_dropped = 0;
    m->last_flush_ns = now_ns();
}

static void sampler_destroy(void *instance)
{
    struct sampler *s = instance;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_models; i++) {
        struct model_state *m = &s->models[i];
        flush_counts(s, m);
        for (size_t c = 0; c < m->n_classes; c++)
            free(m->classes[c].name);
        free(m->classes);
        free(m->model);
    }
    free(s->models);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* The model's state, created on first use; NULL when out of memory. Caller holds s->lock. */
static struct model_state *model_get(struct sampler *s, const char *model)
{
    const char *key = model ? model : "";
    for (size_t i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].model, key) == 0)
            return &s->models[i];
    struct model_state *grown = realloc(s->models, (s->n_models + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    s->models = grown;
    struct model_state *m = &s->models[s->n_models];
    memset(m, 0, sizeof *m);
    if (!(m->model = strdup(key)))
        return NULL;
    prng_seed(&m->rng, s->seed ^ fnv1a(key), 0);
    m->last_flush_ns = now_ns();
    s->n_models++;
    return m;
}

/* Kept count of a class; NULL when out of memory. */
static uint64_t *class_slot(struct model_state *m, const char *cls)
{
    const char *key = cls ? cls : "";
    for (size_t i = 0; i < m->n_classes; i++)
        if (strcmp(m->classes[i].name, key) == 0)
            return &m->classes[i].kept;
    struct class_count *grown = realloc(m->classes, (m->n_classes + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    m->classes = grown;
    char *name = strdup(key);
    if (!name)
        return NULL;
    m->classes[m->n_classes].name = name;
    m->classes[m->n_classes].kept = 0;
    return &m->classes[m->n_classes++].kept;
}

static enum dw_sample_decision decide(struct sampler *s, struct model_state *m, const struct dw_sample_info *info,
                                      uint64_t *replace_index)
{
    switch (s->policy) {
    case POLICY_ALL:
        return DW_SAMPLE_APPEND;
    case POLICY_RATE:
        /* rate 1 keeps everything and rate 0 nothing, without consulting the generator. */
        if (s->rate >= 1.0)
            return DW_SAMPLE_APPEND;
        return prng_unit(&m->rng) < s->rate ? DW_SAMPLE_APPEND : DW_SAMPLE_DROP;
    case POLICY_RESERVOIR: {
        /* Algorithm R (Vitter 1985): the first k samples fill the reservoir; sample n > k replaces
         * a uniformly chosen slot with probability k/n, i.e. j uniform in [0, n) replaces slot j when
         * j < k. Every prefix of the stream then leaves each sample in with probability k/n. */
        uint64_t k = info->window_capacity;
        uint64_t n = info->seen_in_window ? info->seen_in_window : m->seen;
        if (k == 0 || info->kept_in_window < k)
            return DW_SAMPLE_APPEND;
        if (n <= k)
            n = k + 1;
        uint64_t j = prng_below(&m->rng, n);
        if (j < k) {
            *replace_index = j;
            return DW_SAMPLE_REPLACE;
        }
        return DW_SAMPLE_DROP;
    }
    case POLICY_STRATIFIED: {
        uint64_t *kept = class_slot(m, info->prediction_class);
        if (!kept || *kept >= s->per_class_cap)
            return DW_SAMPLE_DROP;
        (*kept)++;
        return DW_SAMPLE_APPEND;
    }
    }
    return DW_SAMPLE_DROP;
}

static enum dw_sample_decision sampler_sample(void *instance, const struct dw_sample_info *info,
                                              uint64_t *replace_index)
{
    struct sampler *s = instance;
    pthread_mutex_lock(&s->lock);
    struct model_state *m = model_get(s, info->model);
    enum dw_sample_decision d = DW_SAMPLE_DROP;
    if (m) {
        m->seen++;
        d = decide(s, m, info, replace_index);
        if (d == DW_SAMPLE_DROP)
            m->pending_dropped++;
        else
            m->pending_kept++;
        if (m->pending_kept + m->pending_dropped >= FLUSH_EVERY || now_ns() - m->last_flush_ns >= FLUSH_NS)
            flush_counts(s, m);
    }
    pthread_mutex_unlock(&s->lock);
    return d;
}

static int sampler_needs_class(void *instance)
{
    const struct sampler *s = instance;
    return s->policy == POLICY_STRATIFIED;
}

static void sampler_window_reset(void *instance, const char *model)
{
    struct sampler *s = instance;
    pthread_mutex_lock(&s->lock);
    struct model_state *m = model_get(s, model);
    if (m) {
        m->seen = 0;
        for (size_t c = 0; c < m->n_classes; c++)
            m->classes[c].kept = 0;
        flush_counts(s, m);
    }
    pthread_mutex_unlock(&s->lock);
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "sampler",
    .kind = DW_KIND_SAMPLER,
    .version = "1.0.0",
    .description = "Chooses which predictions enter the window: all, Bernoulli rate, reservoir or per-class caps.",
    .options = sampler_options,
    .config_size = sizeof(struct sampler_config),
    .init = sampler_init,
    .destroy = sampler_destroy,
    .sample = sampler_sample,
    .sample_needs_class = sampler_needs_class,
    .window_reset = sampler_window_reset,
};
