/* Model config → analyzer options and data versions (see config_model.h). */
#include "config/config_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/suggest.h"

const struct model_config *config_pick_model(const struct config *cfg, const char *name, char *err, size_t errlen)
{
    if (name) {
        const struct model_config *m = config_find_model(cfg, name);
        if (!m)
            snprintf(err, errlen, "%s: no model named '%s'", cfg->path, name);
        return m;
    }
    if (cfg->n_models == 1)
        return &cfg->models[0];
    snprintf(err, errlen, "%s: %s", cfg->path,
             cfg->n_models ? "several models are configured: choose one with --model" : "no model is configured");
    return NULL;
}

const char *config_nearest_feature(const struct profile *p, const char *name)
{
    const char *best = NULL;
    size_t best_d = SUGGEST_MAX_DISTANCE + 1;
    for (size_t i = 0; i < p->nfeatures; i++) {
        size_t d = suggest_distance(name, p->features[i].name, SUGGEST_MAX_DISTANCE);
        if (d < best_d) {
            best_d = d;
            best = p->features[i].name;
        }
    }
    return best;
}

static int profile_has_feature(const struct profile *p, const char *name)
{
    for (size_t i = 0; i < p->nfeatures; i++)
        if (strcmp(p->features[i].name, name) == 0)
            return 1;
    return 0;
}

/* quality: against the baseline's quality section: the same task and positive label, and
 * protected attributes that are columns of the baseline. */
static int check_quality_baseline(const struct model_config *mc, const struct profile *p, char *err, size_t errlen)
{
    const struct model_quality *q = mc->quality;
    const struct ynode *at = q->node;
    char why[512];
    const struct quality_profile *pq = p->quality;
    if (!pq) {
        snprintf(why, sizeof why, "model '%s': quality: the baseline has no quality section: build it with "
                 "'driftwatch baseline --task %s --prediction COL --target COL'", mc->name, perf_task_name(q->task));
    } else if (pq->task != q->task) {
        snprintf(why, sizeof why, "model '%s': quality: task %s, but the baseline was built with --task %s", mc->name,
                 perf_task_name(q->task), perf_task_name(pq->task));
        at = ynode_get(q->node, "task");
    } else if (q->positive && pq->positive && strcmp(q->positive, pq->positive) != 0) {
        snprintf(why, sizeof why, "model '%s': quality: positive '%s', but the baseline was built with --positive %s",
                 mc->name, q->positive, pq->positive);
        at = ynode_get(q->node, "positive");
    } else {
        for (size_t i = 0; i < q->nfairness; i++) {
            if (profile_has_feature(p, q->fairness[i].attribute))
                continue;
            snprintf(why, sizeof why, "model '%s': quality.fairness: the baseline has no column '%s'", mc->name,
                     q->fairness[i].attribute);
            suggest_append(why, sizeof why, config_nearest_feature(p, q->fairness[i].attribute));
            at = ynode_get(q->node, "fairness");
            goto fail;
        }
        return 0;
    }
fail:
    snprintf(err, errlen, "%s:%zu:%zu: %s", mc->file ? mc->file : "config", at ? at->line : 1, at ? at->col : 1, why);
    return -1;
}

int config_check_baseline(const struct model_config *mc, const struct profile *p, char *err, size_t errlen)
{
    if (mc->quality && check_quality_baseline(mc, p, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < mc->n_features; i++) {
        const struct feature_override *o = &mc->features[i];
        if (profile_has_feature(p, o->name))
            continue;
        char why[512];
        snprintf(why, sizeof why, "model '%s': drift.features: the baseline has no feature '%s'", mc->name, o->name);
        suggest_append(why, sizeof why, config_nearest_feature(p, o->name));
        snprintf(err, errlen, "%s:%zu:%zu: %s", mc->file ? mc->file : "config", o->node ? o->node->line : 1,
                 o->node ? o->node->col : 1, why);
        return -1;
    }
    /* quality_checks.features too (docs/statistics.md) */
    const struct ynode *qf = mc->quality_checks ? ynode_get(mc->quality_checks, "features") : NULL;
    for (size_t i = 0; qf && qf->type == YNODE_MAPPING && i < ynode_map_size(qf); i++) {
        const struct ynode *k = ynode_key(qf, i);
        if (profile_has_feature(p, k->value))
            continue;
        char why[512];
        snprintf(why, sizeof why, "model '%s': quality_checks.features: the baseline has no feature '%s'", mc->name,
                 k->value);
        suggest_append(why, sizeof why, config_nearest_feature(p, k->value));
        snprintf(err, errlen, "%s:%zu:%zu: %s", mc->file ? mc->file : "config", k->line, k->col, why);
        return -1;
    }
    return 0;
}

int config_analyze_options(const struct model_config *mc, struct analyze_options *o, char *err, size_t errlen)
{
    analyze_options_init(o);
    o->dataset_share = mc->dataset_share;
    char why[512];
    if (analyze_options_set_methods(o, mc->methods, why, sizeof why) < 0 ||
        analyze_options_set_correction(o, mc->correction, why, sizeof why) < 0)
        goto fail;
    if (mc->multivariate_set) {
        /* drift.multivariate: exactly these run, and their drift counts (docs/statistics.md) */
        o->multivariate = (mc->mv_pca ? MV_PCA_RECONSTRUCTION : 0u) | (mc->mv_mmd ? MV_MMD : 0u);
        o->multivariate_chosen = 1;
    }
    for (size_t i = 0; i < mc->n_features; i++)
        if (analyze_options_add_override(o, mc->features[i].name, mc->features[i].method, mc->features[i].threshold,
                                         why, sizeof why) < 0)
            goto fail;
    if (mc->quality) {
        o->perf.metrics = mc->quality->metrics;
        for (size_t i = 0; i < mc->quality->nfairness; i++)
            if (perf_options_add_fairness(&o->perf, &mc->quality->fairness[i]) < 0) {
                snprintf(err, errlen, "out of memory");
                analyze_options_free(o);
                return -1;
            }
    }
    const struct ynode *at;
    if (mc->quality_checks && config_quality_options(mc->quality_checks, &o->quality, &at, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': quality_checks: %s", mc->name, why);
        analyze_options_free(o);
        return -1;
    }
    return 0;
fail:
    snprintf(err, errlen, "model '%s': drift: %s", mc->name, why);
    analyze_options_free(o);
    return -1;
}
