/* Samples seen but none kept, per model, from the metrics registry's counters (see stall_watch.h). */
#include "runtime/stall_watch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"

#define MAX_REASONS 8

struct reason_count {
    char name[48];
    double count;
};

struct model_watch {
    char *name;
    double seen, kept;        /* as last read */
    int64_t kept_changed_ms;  /* when kept last grew (or the watch started) */
    int seen_since_kept;      /* seen grew after kept last grew */
};

struct stall_watch {
    pthread_mutex_t lock;
    int64_t after_ms;
    struct model_watch *models;
    size_t n;
};

/* What one model's counters say right now. */
struct tally {
    const char *model;
    double value;
    struct reason_count reasons[MAX_REASONS];
    size_t n_reasons;
    const char *by;           /* the label to break the sum down by, or NULL */
};

/* Whether a rendered label string holds key="value" as a whole pair. Model names are plain
 * identifiers (config.c refuses others), so they appear unescaped. */
static int has_pair(const char *labels, const char *key, const char *value)
{
    char needle[256];
    int n = snprintf(needle, sizeof needle, "%s=\"%s\"", key, value);
    if (n < 0 || (size_t)n >= sizeof needle)
        return 0;
    for (const char *hit = strstr(labels, needle); hit; hit = strstr(hit + 1, needle))
        if ((hit == labels || hit[-1] == ',') && (hit[n] == '\0' || hit[n] == ','))
            return 1;
    return 0;
}

/* The value of key in a rendered label string ("" when absent); values we read are identifiers. */
static void label_value(const char *labels, const char *key, char *out, size_t outlen)
{
    char needle[64];
    snprintf(needle, sizeof needle, "%s=\"", key);
    out[0] = '\0';
    for (const char *hit = strstr(labels, needle); hit; hit = strstr(hit + 1, needle)) {
        if (hit != labels && hit[-1] != ',')
            continue;
        const char *v = hit + strlen(needle);
        size_t len = strcspn(v, "\"");
        snprintf(out, outlen, "%.*s", (int)len, v);
        return;
    }
}

static void add_series(void *ctx, const char *labels, double value)
{
    struct tally *t = ctx;
    if (!has_pair(labels, "model", t->model))
        return;
    t->value += value;
    if (!t->by)
        return;
    char name[48];
    label_value(labels, t->by, name, sizeof name);
    for (size_t i = 0; i < t->n_reasons; i++) {
        if (strcmp(t->reasons[i].name, name) == 0) {
            t->reasons[i].count += value;
            return;
        }
    }
    if (t->n_reasons < MAX_REASONS) {
        snprintf(t->reasons[t->n_reasons].name, sizeof t->reasons[t->n_reasons].name, "%s", name);
        t->reasons[t->n_reasons++].count = value;
    }
}

static double sum_of(const char *family, const char *model, const char *by, struct tally *t)
{
    memset(t, 0, sizeof *t);
    t->model = model;
    t->by = by;
    metrics_each(family, add_series, t);
    return t->value;
}

struct stall_watch *stall_watch_new(const char *const *models, size_t n, int64_t after_ms, int64_t now_ms)
{
    struct stall_watch *w = calloc(1, sizeof *w);
    if (!w || !(w->models = calloc(n ? n : 1, sizeof *w->models))) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    w->after_ms = after_ms;
    for (size_t i = 0; i < n; i++) {
        struct model_watch *m = &w->models[w->n];
        struct tally t;
        if (!(m->name = strdup(models[i]))) {
            stall_watch_free(w);
            return NULL;
        }
        w->n++;
        m->seen = sum_of("driftwatch_samples_received_total", m->name, NULL, &t) +
                  sum_of("driftwatch_samples_rejected_total", m->name, NULL, &t);
        m->kept = sum_of("driftwatch_samples_kept_total", m->name, NULL, &t);
        m->kept_changed_ms = now_ms;
    }
    return w;
}

void stall_watch_free(struct stall_watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->models[i].name);
    free(w->models);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* One model's line: what its counters say since the process started. */
static void describe(const struct model_watch *m, int64_t stalled_ms, char *out, size_t outlen)
{
    struct tally received, rejected, sampler;
    double dropped = 0;
    sum_of("driftwatch_samples_received_total", m->name, NULL, &received);
    sum_of("driftwatch_samples_rejected_total", m->name, "reason", &rejected);
    sum_of("driftwatch_sampler_samples_total", m->name, "decision", &sampler);
    for (size_t i = 0; i < sampler.n_reasons; i++)
        if (strcmp(sampler.reasons[i].name, "dropped") == 0)
            dropped = sampler.reasons[i].count;
    int n = snprintf(out, outlen, "warning: model '%s': samples arrived but none was kept for %llds (since start: "
                     "%.0f received, %.0f rejected", m->name, (long long)(stalled_ms / 1000), received.value,
                     rejected.value);
    for (size_t i = 0; i < rejected.n_reasons && n >= 0 && (size_t)n < outlen; i++)
        n += snprintf(out + n, outlen - (size_t)n, "%s%s %.0f", i ? ", " : ": ", rejected.reasons[i].name,
                      rejected.reasons[i].count);
    if (n >= 0 && (size_t)n < outlen && dropped > 0)
        n += snprintf(out + n, outlen - (size_t)n, "; %.0f dropped by the sampler", dropped);
    if (n >= 0 && (size_t)n < outlen)
        snprintf(out + n, outlen - (size_t)n, "; see the agent's log)");
}

int stall_watch_check(struct stall_watch *w, int64_t now_ms, char *why, size_t whylen)
{
    int stalled = 0;
    size_t used = 0;
    if (whylen)
        why[0] = '\0';
    if (!w)
        return 0;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->n; i++) {
        struct model_watch *m = &w->models[i];
        struct tally t;
        double seen = sum_of("driftwatch_samples_received_total", m->name, NULL, &t) +
                      sum_of("driftwatch_samples_rejected_total", m->name, NULL, &t);
        double kept = sum_of("driftwatch_samples_kept_total", m->name, NULL, &t);
        if (kept != m->kept) {
            m->kept_changed_ms = now_ms;
            m->seen_since_kept = 0;
        } else if (seen != m->seen) {
            m->seen_since_kept = 1;
        }
        m->seen = seen;
        m->kept = kept;
        if (w->after_ms <= 0 || !m->seen_since_kept || now_ms - m->kept_changed_ms < w->after_ms)
            continue;
        stalled++;
        if (used < whylen) {
            char line[768];
            describe(m, now_ms - m->kept_changed_ms, line, sizeof line);
            int n = snprintf(why + used, whylen - used, "%s%s", used ? "\n" : "", line);
            used = n < 0 ? whylen : used + (size_t)n;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return stalled;
}
