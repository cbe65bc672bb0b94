/* The action policy of docs/operations.md for one model: `consecutive` drifted checks before acting,
 * one alert per state transition (re-sent while firing for sinks that need it), retrains bounded
 * by cooldown and max_per_day with an idempotency key shared by the model's replicas (one job per
 * drift episode for the fleet: the trainer joins a job it finds). Its state lives in
 * <state_dir>/<model>.policy.json, so a restart (or a crash loop) neither repeats nor storms. */
#ifndef DW_POLICY_H
#define DW_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "analyze/analyze.h"

struct policy;
struct plugin_instance;

/* What the policy acts through: the model's alert sinks and trainer, where it keeps its state, and
 * the clock (unix seconds; NULL: time(NULL); tests inject their own to step through cooldowns). */
struct policy_links {
    const char *state_dir;
    const char *public_url;             /* base URL for report links, or NULL */
    struct plugin_instance **sinks;     /* in on_drift.alerts order; an entry may be NULL */
    const char *const *sink_names;
    size_t n_sinks;
    struct plugin_instance *trainer;    /* NULL: no retraining */
    int64_t (*now)(void);
};

/* Restores <state_dir>/<model>.policy.json when present. links is copied; what it points to must
 * outlive the policy. */
int policy_open(const struct model_config *mc, const struct policy_links *links, const char *data_version,
                struct policy **out, char *err, size_t errlen);
void policy_close(struct policy *p);

/* Feeds one completed check; sends alerts and triggers retrains as the policy says. */
void policy_on_verdict(struct policy *p, const struct verdict *v);

/* Whether the last closed quality window's realized performance left its reference band; with
 * on_drift.on naming performance, the next checks count as drifted while it does. Any thread. */
void policy_set_performance(struct policy *p, int degraded);

struct quality_result;
/* The last closed quality window's realized metrics (delayed labels), kept for the events recording
 * sinks get: their "performance" when the check itself measured none. Any thread. */
void policy_set_realized(struct policy *p, const struct quality_result *r);

/* The retrain idempotency key of docs/operations.md, the same text on every replica of a model:
 * "<model>-<data version>-<bucket>". model: lowercased, every character other than [a-z0-9] a '-',
 * runs of '-' as one, none at either end ("model" if nothing is left); data version: its first 12
 * hex digits, lowercased ("unknown" when it has none); bucket = floor(episode_start * 1000 /
 * cooldown_ms), episode_start the unix seconds of the first check of the drifted streak that fired
 * (episode_start itself when cooldown_ms <= 0). data_version may be NULL. */
void policy_retrain_key(const char *model, const char *data_version, int64_t episode_start, int64_t cooldown_ms,
                        char *out, size_t outlen);

#endif
