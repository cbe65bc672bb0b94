/* A model's `quality` config entry: parsing and validation (see config_quality.h). */
#include "config/config_quality.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/values.h"

static const char *const quality_keys[] = {"task", "positive", "label_ttl", "max_pending", "window",
                                           "metrics", "detectors", "fairness", NULL};
static const char *const window_keys[] = {"size", "every", "mode", NULL};
static const char *const fairness_keys[] = {"attribute", "privileged", "favorable", NULL};

struct qparse {
    const struct ynode **at;
    char *why;
    size_t whylen;
};

static int bad(struct qparse *p, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, p->whylen, fmt, ap);
    va_end(ap);
    *p->at = n;
    return -1;
}

static int keys_known(struct qparse *p, const struct ynode *map, const char *section, const char *const *allowed)
{
    const struct ynode *k = ynode_unknown_key(map, allowed);
    return k ? bad(p, k, "unknown key '%s' in %s", k->value, section) : 0;
}

static const struct ynode *scalar(struct qparse *p, const struct ynode *map, const char *key, int *err)
{
    const struct ynode *n = ynode_get(map, key);
    *err = 0;
    if (n && n->type != YNODE_SCALAR) {
        *err = bad(p, n, "%s must be a scalar, found %s", key, ynode_type_name(n));
        return NULL;
    }
    return n;
}

static int parse_window(struct qparse *p, const struct ynode *w, struct model_quality *q)
{
    if (w->type != YNODE_MAPPING)
        return bad(p, w, "window must be a mapping {size, every, mode}, found %s", ynode_type_name(w));
    if (keys_known(p, w, "quality.window", window_keys) < 0)
        return -1;
    int e;
    const struct ynode *n;
    if ((n = scalar(p, w, "size", &e)) &&
        (value_parse_int(n->value, &q->window_size) < 0 || q->window_size < 0 || q->window_size > 100000000))
        return bad(p, n, "window size must be an integer in [0, 100000000], not '%s'", n->value);
    if (e)
        return -1;
    if ((n = scalar(p, w, "every", &e)) && value_parse_duration_ms(n->value, &q->window_every_ms) < 0)
        return bad(p, n, "window every must be a duration like 5m, not '%s'", n->value);
    if (e)
        return -1;
    if ((n = scalar(p, w, "mode", &e)) && strcmp(n->value, "tumbling") != 0 && strcmp(n->value, "sliding") != 0)
        return bad(p, n, "window mode must be 'tumbling' or 'sliding'");
    if (e)
        return -1;
    q->window_sliding = n && strcmp(n->value, "sliding") == 0;
    if (q->window_size == 0 && q->window_every_ms == 0)
        return bad(p, w, "window needs a size (joined pairs) or every (duration), or both");
    return 0;
}

static int metric_of_task(enum perf_task t, int m)
{
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(t, &ms);
    for (size_t i = 0; i < nm; i++)
        if ((int)ms[i] == m)
            return 1;
    return 0;
}

static int parse_metrics(struct qparse *p, const struct ynode *n, struct model_quality *q)
{
    if (n->type != YNODE_SEQUENCE)
        return bad(p, n, "metrics must be a list of metric names, found %s", ynode_type_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        if (it->type != YNODE_SCALAR)
            return bad(p, it, "a metric name must be a scalar");
        int m = perf_metric_parse(it->value);
        if (m < 0 || !metric_of_task(q->task, m)) {
            const enum perf_metric *ms;
            size_t nm = perf_task_metrics(q->task, &ms);
            char list[256] = "";
            for (size_t k = 0; k < nm; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", perf_metric_name(ms[k]));
            return bad(p, it, "'%s' is not a metric of task %s (known: %s)", it->value, perf_task_name(q->task), list);
        }
        q->metrics |= 1u << m;
    }
    return 0;
}

static int parse_detectors(struct qparse *p, const struct ynode *n, struct model_quality *q)
{
    if (n->type != YNODE_SEQUENCE)
        return bad(p, n, "detectors must be a list (ddm, page_hinkley), found %s", ynode_type_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        if (it->type != YNODE_SCALAR)
            return bad(p, it, "a detector name must be a scalar");
        if (strcmp(it->value, "ddm") == 0) {
            if (q->task == PERF_REGRESSION)
                return bad(p, it, "ddm watches classification errors: use page_hinkley for task regression");
            q->detectors |= QD_DDM;
        } else if (strcmp(it->value, "page_hinkley") == 0) {
            if (q->task != PERF_REGRESSION)
                return bad(p, it, "page_hinkley watches regression errors: use ddm for task %s", perf_task_name(q->task));
            q->detectors |= QD_PAGE_HINKLEY;
        } else {
            return bad(p, it, "unknown detector '%s' (known: ddm, page_hinkley)", it->value);
        }
    }
    return 0;
}

static int parse_fairness_entry(struct qparse *p, const struct ynode *n, struct fairness_spec *f)
{
    if (n->type != YNODE_MAPPING)
        return bad(p, n, "a fairness entry must be a mapping {attribute, privileged, favorable}");
    if (keys_known(p, n, "a fairness entry", fairness_keys) < 0)
        return -1;
    int e;
    const struct ynode *a = scalar(p, n, "attribute", &e);
    if (e)
        return -1;
    if (!a || !*a->value)
        return bad(p, n, "a fairness entry needs 'attribute' (the protected column)");
    const struct ynode *pv = ynode_get(n, "privileged");
    if (!pv || pv->type != YNODE_SEQUENCE || pv->n == 0)
        return bad(p, pv ? pv : n, "fairness '%s': privileged must be a non-empty list of values", a->value);
    const struct ynode *fav = scalar(p, n, "favorable", &e);
    if (e)
        return -1;
    if (!(f->attribute = strdup(a->value)) || !(f->privileged = calloc(pv->n, sizeof *f->privileged)) ||
        (fav && !(f->favorable = strdup(fav->value))))
        return bad(p, n, "out of memory");
    for (size_t i = 0; i < pv->n; i++) {
        if (pv->items[i]->type != YNODE_SCALAR)
            return bad(p, pv->items[i], "a privileged value must be a scalar");
        if (!(f->privileged[i] = strdup(pv->items[i]->value)))
            return bad(p, pv->items[i], "out of memory");
        f->nprivileged++;
    }
    return 0;
}

static int parse_fairness(struct qparse *p, const struct ynode *n, struct model_quality *q)
{
    if (n->type != YNODE_SEQUENCE)
        return bad(p, n, "fairness must be a list of {attribute, privileged, favorable}");
    if (q->task != PERF_BINARY)
        return bad(p, n, "fairness applies to task binary only");
    if (!(q->fairness = calloc(n->n ? n->n : 1, sizeof *q->fairness)))
        return bad(p, n, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        q->nfairness++;
        if (parse_fairness_entry(p, n->items[i], &q->fairness[i]) < 0)
            return -1;
        for (size_t k = 0; k < i; k++)
            if (strcmp(q->fairness[k].attribute, q->fairness[i].attribute) == 0)
                return bad(p, n->items[i], "fairness: attribute '%s' is listed twice", q->fairness[i].attribute);
    }
    return 0;
}

int config_quality_parse(const struct ynode *n, struct model_quality **out, const struct ynode **at, char *why,
                         size_t whylen)
{
    struct qparse p = {at, why, whylen};
    *out = NULL;
    why[0] = '\0';
    if (n->type != YNODE_MAPPING)
        return bad(&p, n, "quality must be a mapping {task, positive, ...}, found %s", ynode_type_name(n));
    if (keys_known(&p, n, "quality", quality_keys) < 0)
        return -1;
    struct model_quality *q = calloc(1, sizeof *q);
    if (!q)
        return bad(&p, n, "out of memory");
    q->node = n;
    q->label_ttl_ms = QUALITY_LABEL_TTL_DEFAULT_MS;
    q->max_pending = QUALITY_MAX_PENDING_DEFAULT;
    int e;
    const struct ynode *x = scalar(&p, n, "task", &e);
    if (e)
        goto fail;
    if (!x) {
        bad(&p, n, "quality needs 'task' (binary, multiclass or regression)");
        goto fail;
    }
    if (!(q->task = perf_task_parse(x->value))) {
        bad(&p, x, "task must be binary, multiclass or regression, not '%s'", x->value);
        goto fail;
    }
    if ((x = scalar(&p, n, "positive", &e)) && q->task != PERF_BINARY) {
        bad(&p, x, "positive applies to task binary only");
        goto fail;
    }
    if (e || (x && !(q->positive = strdup(x->value))))
        goto fail;
    if ((x = scalar(&p, n, "label_ttl", &e)) && (value_parse_duration_ms(x->value, &q->label_ttl_ms) < 0 ||
                                                  q->label_ttl_ms <= 0)) {
        bad(&p, x, "label_ttl must be a duration like 7d or 24h, not '%s'", x->value);
        goto fail;
    }
    if (e)
        goto fail;
    if ((x = scalar(&p, n, "max_pending", &e)) &&
        (value_parse_int(x->value, &q->max_pending) < 0 || q->max_pending < 1 || q->max_pending > 1000000000)) {
        bad(&p, x, "max_pending must be an integer in [1, 1000000000], not '%s'", x->value);
        goto fail;
    }
    if (e)
        goto fail;
    if (((x = ynode_get(n, "window")) && parse_window(&p, x, q) < 0) ||
        ((x = ynode_get(n, "metrics")) && parse_metrics(&p, x, q) < 0) ||
        ((x = ynode_get(n, "detectors")) && parse_detectors(&p, x, q) < 0) ||
        ((x = ynode_get(n, "fairness")) && parse_fairness(&p, x, q) < 0))
        goto fail;
    *out = q;
    return 0;
fail:
    if (!why[0])
        bad(&p, n, "out of memory");
    model_quality_free(q);
    return -1;
}

void model_quality_free(struct model_quality *q)
{
    if (!q)
        return;
    free(q->positive);
    for (size_t i = 0; i < q->nfairness; i++)
        fairness_spec_clear(&q->fairness[i]);
    free(q->fairness);
    free(q);
}
