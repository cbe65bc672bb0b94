/* Performance and bias of a column table (see perf_table.h): the kept cells become perf_rows
 * (class ids or values) and fairness flags, then perf_evaluate/fairness_compute do the rest. */
#include "analyze/perf_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/catmap.h"
#include "sample/numparse.h"
#include "stats/perf_chunks.h"
#include "analyze/perf_estimate.h"
#include "util/strlist.h"

void perf_options_clear(struct perf_options *o)
{
    for (size_t i = 0; i < o->nfairness; i++)
        fairness_spec_clear(&o->fairness[i]);
    free(o->fairness);
    memset(o, 0, sizeof *o);
}

int perf_options_add_fairness(struct perf_options *o, const struct fairness_spec *s)
{
    struct fairness_spec *f = realloc(o->fairness, (o->nfairness + 1) * sizeof *f);
    if (!f)
        return -1;
    o->fairness = f;
    if (fairness_spec_copy(&f[o->nfairness], s) < 0)
        return -1;
    o->nfairness++;
    return 0;
}

int fairness_spec_parse(const char *text, struct fairness_spec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(text, '=');
    if (!eq || eq == text || !eq[1]) {
        snprintf(err, errlen, "expected ATTRIBUTE=PRIVILEGED[,PRIVILEGED...], got '%s'", text);
        return -1;
    }
    out->attribute = strndup(text, (size_t)(eq - text));
    if (!out->attribute || strlist_split(eq + 1, &out->privileged, &out->nprivileged) < 0) {
        fairness_spec_clear(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (out->nprivileged == 0) {
        snprintf(err, errlen, "expected ATTRIBUTE=PRIVILEGED[,PRIVILEGED...], got '%s' (no privileged value)", text);
        fairness_spec_clear(out);
        return -1;
    }
    return 0;
}

void perf_report_free(struct perf_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfairness; i++)
        fairness_spec_clear(&r->fairness[i].spec);
    free(r->fairness);
    free(r);
}

/* A label as the metrics compare it: text that reads as a number becomes its shortest round-trip
 * text (so "1", "1.0" and the number 1 are one label). buf holds 32 bytes. */
static const char *canon_label(const char *s, char *buf)
{
    double x;
    if (num_parse(s, strlen(s), &x) == 0) {
        num_format(x, buf);
        return buf;
    }
    return s;
}

static int label_is(const struct cells *c, size_t i, const char *want)
{
    char buf[32];
    size_t len;
    const char *s = cells_label(c, i, buf, &len);
    if (!s)
        return -1;
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

static const struct cells *column_cells(const struct columns *t, const char *name)
{
    int idx = name ? columns_find(t, name) : -1;
    if (idx < 0)
        return NULL;
    const struct cells *c = t->cols[idx].cells;
    return c && c->n == t->rows ? c : NULL;
}

static int keep(struct columns *t, const char *name, const char *what, char *err, size_t errlen)
{
    int idx = columns_find(t, name);
    if (idx < 0) {
        snprintf(err, errlen, "the %s column '%s' is not a column of the baseline", what, name);
        return -1;
    }
    if (columns_keep_cells(t, idx) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int perf_table_keep_cells(const struct quality_profile *q, const struct perf_options *o, struct columns *t,
                          char *err, size_t errlen)
{
    if (!q->target || !q->prediction) {
        snprintf(err, errlen, "the baseline's quality section names no target or prediction column");
        return -1;
    }
    if (keep(t, q->target, "target", err, errlen) < 0 || keep(t, q->prediction, "prediction", err, errlen) < 0 ||
        (q->score && keep(t, q->score, "score", err, errlen) < 0))
        return -1;
    for (size_t i = 0; i < q->nfairness; i++)
        if (keep(t, q->fairness[i].spec.attribute, "protected attribute", err, errlen) < 0)
            return -1;
    for (size_t i = 0; o && i < o->nfairness; i++)
        if (keep(t, o->fairness[i].attribute, "protected attribute", err, errlen) < 0)
            return -1;
    return 0;
}

/* Multiclass labels: the sorted union of target and prediction values (numerically when every
 * label is a number, else by bytes), then each row's class id. */
struct label_sort {
    const char *text;
    double x;
};

static int by_number(const void *a, const void *b)
{
    double x = ((const struct label_sort *)a)->x, y = ((const struct label_sort *)b)->x;
    return (x > y) - (x < y);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(((const struct label_sort *)a)->text, ((const struct label_sort *)b)->text);
}

static int class_rows(const struct cells *target, const struct cells *pred, size_t n, struct perf_rows *r)
{
    struct catmap *labels = catmap_new(0);
    struct label_sort *ls = NULL;
    long *rank = NULL;
    int rc = -1;
    char buf[32];
    size_t len;
    if (!labels)
        return -1;
    const struct cells *both[2] = {target, pred};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n; i++) {
            const char *s = cells_label(both[k], i, buf, &len);
            if (s && catmap_add(labels, s, len, 1) < 0)
                goto out;
        }
    size_t nl = catmap_size(labels);
    ls = malloc((nl ? nl : 1) * sizeof *ls);
    rank = malloc((nl ? nl : 1) * sizeof *rank);
    if (!ls || !rank)
        goto out;
    int numeric = 1;
    for (size_t i = 0; i < nl; i++) {
        ls[i].text = catmap_key(labels, i, &len);
        numeric &= num_parse(ls[i].text, len, &ls[i].x) == 0;
    }
    qsort(ls, nl, sizeof *ls, numeric ? by_number : by_text);
    for (size_t i = 0; i < nl; i++)
        rank[catmap_find(labels, ls[i].text, strlen(ls[i].text))] = (long)i;
    r->nclasses = nl;
    int *dst[2] = {r->y, r->yhat};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n; i++) {
            const char *s = cells_label(both[k], i, buf, &len);
            dst[k][i] = s ? (int)rank[catmap_find(labels, s, len)] : -1;
        }
    rc = 0;
out:
    catmap_free(labels);
    free(ls);
    free(rank);
    return rc;
}

/* The perf_rows of t; 1 when t kept no cells for them. */
static int table_rows(const struct quality_profile *q, const struct columns *t, struct perf_rows *r, char *err,
                      size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->task = q->task;
    const struct cells *target = column_cells(t, q->target), *pred = column_cells(t, q->prediction);
    const struct cells *score = column_cells(t, q->score);
    if (!target || !pred)
        return 1;
    size_t n = r->n = t->rows;
    if (q->task == PERF_REGRESSION) {
        r->ry = malloc((n ? n : 1) * sizeof *r->ry);
        r->ryhat = malloc((n ? n : 1) * sizeof *r->ryhat);
        if (!r->ry || !r->ryhat)
            goto oom;
        for (size_t i = 0; i < n; i++) {
            r->ry[i] = cells_number(target, i);
            r->ryhat[i] = cells_number(pred, i);
        }
        return 0;
    }
    r->y = malloc((n ? n : 1) * sizeof *r->y);
    r->yhat = malloc((n ? n : 1) * sizeof *r->yhat);
    if (!r->y || !r->yhat)
        goto oom;
    if (q->task == PERF_MULTICLASS) {
        if (class_rows(target, pred, n, r) < 0)
            goto oom;
        return 0;
    }
    char buf[32];
    const char *positive = canon_label(q->positive ? q->positive : "1", buf);
    r->nclasses = 2;
    for (size_t i = 0; i < n; i++) {
        r->y[i] = label_is(target, i, positive);
        r->yhat[i] = label_is(pred, i, positive);
    }
    if (score) {
        if (!(r->score = malloc((n ? n : 1) * sizeof *r->score)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            r->score[i] = cells_number(score, i);
    }
    return 0;
oom:
    perf_rows_release(r);
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Fairness of one attribute over t: outcome = the prediction's label (or the target's, at
 * baseline) against favorable, truth = the target's (none at baseline: there it is the outcome). */
static int table_fairness(const struct quality_profile *q, const struct fairness_spec *s, const struct columns *t,
                          int baseline, struct fairness_values *out, char *err, size_t errlen)
{
    const struct cells *attr = column_cells(t, s->attribute), *target = column_cells(t, q->target);
    const struct cells *outcome = baseline ? target : column_cells(t, q->prediction);
    if (!attr || !target || !outcome) {
        snprintf(err, errlen, "protected attribute '%s': no values kept", s->attribute);
        return -1;
    }
    size_t n = t->rows;
    signed char *flags = malloc(3 * (n ? n : 1));
    if (!flags) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    signed char *group = flags, *fav = flags + n, *truth = flags + 2 * n;
    char fbuf[32], pbuf[32];
    const char *favorable = canon_label(s->favorable ? s->favorable : q->positive ? q->positive : "1", fbuf);
    for (size_t i = 0; i < n; i++) {
        group[i] = -1;
        for (size_t k = 0; k < s->nprivileged; k++) {
            int is = label_is(attr, i, canon_label(s->privileged[k], pbuf));
            if (is < 0)
                break;
            group[i] = (signed char)(group[i] == 1 || is);
        }
        fav[i] = (signed char)label_is(outcome, i, favorable);
        truth[i] = (signed char)label_is(target, i, favorable);
    }
    /* at baseline the target is the outcome, and eod/aod compare it with itself */
    fairness_compute(group, fav, baseline ? fav : truth, n, out);
    free(flags);
    return 0;
}

static int fill_fairness(const struct quality_profile *q, const struct fairness_spec *specs, size_t nspecs,
                         const struct columns *t, int baseline, struct quality_fairness **out, size_t *nout,
                         size_t *alerts, char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    if (nspecs == 0)
        return 0;
    struct quality_fairness *f = calloc(nspecs, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < nspecs; i++) {
        if (fairness_spec_copy(&f[i].spec, &specs[i]) < 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        *nout = i + 1;
        if (table_fairness(q, &specs[i], t, baseline, &f[i].values, err, errlen) < 0)
            goto fail;
        if (alerts)
            *alerts += (size_t)f[i].values.alert;
    }
    *out = f;
    return 0;
fail:
    for (size_t i = 0; i < *nout; i++)
        fairness_spec_clear(&f[i].spec);
    free(f);
    *nout = 0;
    return -1;
}

int perf_table_reference(struct quality_profile *q, const struct columns *t, char *err, size_t errlen)
{
    struct perf_rows r;
    int e = table_rows(q, t, &r, err, errlen);
    if (e)
        return e < 0 ? -1 : (snprintf(err, errlen, "the target and prediction values were not kept"), -1);
    int rc = -1;
    size_t labelled = 0, positives = 0;
    for (size_t i = 0; i < r.n; i++) {
        labelled += q->task == PERF_REGRESSION ? !isnan(r.ry[i]) : r.y[i] >= 0;
        positives += q->task == PERF_BINARY && r.y[i] == 1;
    }
    if (labelled == 0) {
        snprintf(err, errlen, "--target %s: no row has a %s target value", q->target,
                 q->task == PERF_REGRESSION ? "numeric" : "");
        goto out;
    }
    if (q->task == PERF_BINARY && positives == 0) {
        snprintf(err, errlen, "--positive %s: no value of the target column '%s' equals it (is it the positive "
                 "class's label?)", q->positive ? q->positive : "1", q->target);
        goto out;
    }
    if (q->score && column_cells(t, q->score) && t->cols[columns_find(t, q->score)].type != COL_NUMERIC) {
        snprintf(err, errlen, "--score %s: not a numeric column (the positive class's probability)", q->score);
        goto out;
    }
    if (perf_evaluate(&r, 0, r.n, q->reference) < 0)
        goto oom;
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(q->task, &ms);
    double(*per)[PM_COUNT] = malloc(q->nchunks * sizeof *per);
    if (!per)
        goto oom;
    for (size_t k = 0; k < q->nchunks; k++) {
        size_t lo, hi;
        perf_chunk_rows(r.n, q->nchunks, k, &lo, &hi);
        if (perf_evaluate(&r, lo, hi, per[k]) < 0) {
            free(per);
            goto oom;
        }
    }
    for (size_t i = 0; i < nm; i++) {
        enum perf_metric m = ms[i];
        if (perf_metric_needs_score(m) && !r.score)
            continue;
        free(q->chunks[m]);
        if (!(q->chunks[m] = malloc(q->nchunks * sizeof *q->chunks[m]))) {
            free(per);
            goto oom;
        }
        for (size_t k = 0; k < q->nchunks; k++)
            q->chunks[m][k] = per[k][m];
        if (perf_thresholds(m, q->chunks[m], q->nchunks, &q->lower[m], &q->upper[m]) < 0) {
            free(per);
            goto oom;
        }
    }
    free(per);
    if (perf_estimate_reference(q, &r, err, errlen) < 0)
        goto out;
    /* the section's own specs, measured on the training data */
    for (size_t i = 0; i < q->nfairness; i++)
        if (table_fairness(q, &q->fairness[i].spec, t, 1, &q->fairness[i].values, err, errlen) < 0)
            goto out;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    perf_rows_release(&r);
    return rc;
}

int perf_table_measure(const struct quality_profile *q, const struct perf_options *o, const struct columns *t,
                       struct perf_report **out, char *err, size_t errlen)
{
    *out = NULL;
    struct perf_rows r;
    int e = table_rows(q, t, &r, err, errlen);
    if (e)
        return e < 0 ? -1 : 0;
    struct perf_report *rep = calloc(1, sizeof *rep);
    double v[PM_COUNT];
    if (!rep || perf_evaluate(&r, 0, r.n, v) < 0) {
        snprintf(err, errlen, "out of memory");
        perf_rows_release(&r);
        free(rep);
        return -1;
    }
    rep->task = q->task;
    for (size_t i = 0; i < r.n; i++)
        rep->rows += q->task == PERF_REGRESSION ? !isnan(r.ry[i]) : r.y[i] >= 0;
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(q->task, &ms);
    for (size_t i = 0; i < nm; i++) {
        enum perf_metric m = ms[i];
        if ((o && o->metrics && !(o->metrics & (1u << m))) || (perf_metric_needs_score(m) && !r.score))
            continue;
        rep->metrics |= 1u << m;
        struct perf_metric_report *mr = &rep->m[m];
        mr->value = v[m];
        mr->lower = q->lower[m];
        mr->upper = q->upper[m];
        mr->side = perf_band_side(mr->value, mr->lower, mr->upper);
        rep->alerts += mr->side != 0;
    }
    size_t estimated_rows;
    if (perf_estimate_window(q, &r, rep->estimated, &estimated_rows) < 0) {
        snprintf(err, errlen, "out of memory");
        perf_rows_release(&r);
        perf_report_free(rep);
        return -1;
    }
    for (int m = 0; estimated_rows && m < CBPE_COUNT; m++) {
        if (o && o->metrics && !(o->metrics & (1u << perf_estimate_metric(m))))
            continue;
        rep->estimated_metrics |= 1u << m;
        rep->estimated_alerts += rep->estimated[m].side != 0;
    }
    rep->estimated_rows = rep->estimated_metrics ? estimated_rows : 0;
    perf_rows_release(&r);
    const struct fairness_spec *specs = NULL;
    size_t nspecs = 0;
    struct fairness_spec *own = NULL;
    if (o && o->nfairness) {
        specs = o->fairness;
        nspecs = o->nfairness;
    } else if (q->nfairness) {
        own = calloc(q->nfairness, sizeof *own);
        if (!own) {
            snprintf(err, errlen, "out of memory");
            perf_report_free(rep);
            return -1;
        }
        for (size_t i = 0; i < q->nfairness; i++)
            own[i] = q->fairness[i].spec; /* borrowed: copied by fill_fairness */
        specs = own;
        nspecs = q->nfairness;
    }
    e = fill_fairness(q, specs, nspecs, t, 0, &rep->fairness, &rep->nfairness, &rep->fairness_alerts, err, errlen);
    free(own);
    if (e < 0) {
        perf_report_free(rep);
        return -1;
    }
    *out = rep;
    return 0;
}
