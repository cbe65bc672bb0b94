/* Joined pairs and their realized metrics (see quality_window.h). */
#include "analyze/quality_window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/perf_chunks.h"
#include "stats/perf_eval.h"
#include "sample/numparse.h"

void quality_window_init(struct quality_window *w, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->cap = cap ? cap : 1;
}

static void free_texts(struct label_pair *p)
{
    free((char *)p->prediction.text);
    free((char *)p->label.text);
}

void quality_window_clear(struct quality_window *w)
{
    for (size_t i = 0; i < w->n; i++)
        free_texts(&w->pairs[i]);
    w->n = 0;
}

void quality_window_free(struct quality_window *w)
{
    quality_window_clear(w);
    free(w->pairs);
    memset(w, 0, sizeof *w);
}

int quality_window_add(struct quality_window *w, const struct label_pair *p)
{
    if (!w->pairs && !(w->pairs = malloc(w->cap * sizeof *w->pairs)))
        return -1;
    struct label_pair *q = &w->pairs[w->n];
    *q = *p;
    q->prediction.text = strdup(p->prediction.text ? p->prediction.text : "");
    q->label.text = strdup(p->label.text ? p->label.text : "");
    if (!q->prediction.text || !q->label.text) {
        free_texts(q);
        return -1;
    }
    return ++w->n >= w->cap;
}

double quality_pair_number(const struct join_value *v)
{
    double x;
    if (!isnan(v->number))
        return v->number;
    return v->text && num_parse(v->text, strlen(v->text), &x) == 0 ? x : NAN;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Class id of t among the k sorted texts. */
static int class_id(const char **sorted, size_t k, const char *t)
{
    const char **at = bsearch(&t, sorted, k, sizeof *sorted, cmp_text);
    return at ? (int)(at - sorted) : -1;
}

/* multiclass: ids over the sorted union of label and prediction texts (an empty text is missing). */
static int fill_classes(const struct quality_window *w, struct perf_rows *r)
{
    const char **all = malloc((2 * w->n + 1) * sizeof *all);
    if (!all)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->pairs[i].label.text[0])
            all[k++] = w->pairs[i].label.text;
        if (w->pairs[i].prediction.text[0])
            all[k++] = w->pairs[i].prediction.text;
    }
    qsort(all, k, sizeof *all, cmp_text);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(all[u - 1], all[i]) != 0)
            all[u++] = all[i];
    r->nclasses = u;
    for (size_t i = 0; i < w->n; i++) {
        r->y[i] = w->pairs[i].label.text[0] ? class_id(all, u, w->pairs[i].label.text) : -1;
        r->yhat[i] = w->pairs[i].prediction.text[0] ? class_id(all, u, w->pairs[i].prediction.text) : -1;
    }
    free(all);
    return 0;
}

int quality_window_evaluate(const struct quality_window *w, const struct quality_reference *ref,
                            struct quality_result *out)
{
    memset(out, 0, sizeof *out);
    out->n = w->n;
    for (int m = 0; m < PM_COUNT; m++)
        out->value[m] = NAN;
    struct perf_rows r = {.task = ref->task, .n = w->n};
    size_t n = w->n ? w->n : 1;
    int rc = -1;
    if (ref->task == PERF_REGRESSION) {
        if (!(r.ry = malloc(n * sizeof *r.ry)) || !(r.ryhat = malloc(n * sizeof *r.ryhat)))
            goto out;
        for (size_t i = 0; i < w->n; i++) {
            r.ry[i] = quality_pair_number(&w->pairs[i].label);
            r.ryhat[i] = quality_pair_number(&w->pairs[i].prediction);
        }
    } else {
        if (!(r.y = malloc(n * sizeof *r.y)) || !(r.yhat = malloc(n * sizeof *r.yhat)))
            goto out;
        if (ref->task == PERF_BINARY) {
            if (!(r.score = malloc(n * sizeof *r.score)))
                goto out;
            r.nclasses = 2;
            for (size_t i = 0; i < w->n; i++) {
                const struct label_pair *p = &w->pairs[i];
                r.y[i] = p->label.text[0] ? strcmp(p->label.text, ref->positive) == 0 : -1;
                r.yhat[i] = p->prediction.text[0] ? strcmp(p->prediction.text, ref->positive) == 0
                            : !isnan(p->score) ? p->score >= 0.5
                                                : -1;
                r.score[i] = p->score;
            }
        } else if (fill_classes(w, &r) < 0) {
            goto out;
        }
    }
    if (perf_evaluate(&r, 0, w->n, out->value) < 0)
        goto out;
    for (int m = 0; m < PM_COUNT; m++) {
        out->side[m] = perf_band_side(out->value[m], ref->lower[m], ref->upper[m]);
        out->alerts += out->side[m] != 0;
    }
    rc = 0;
out:
    perf_rows_release(&r);
    return rc;
}
