/* `check --format prom`: the drift metrics of docs/metrics.md in the Prometheus text format 0.0.4,
 * for the node_exporter textfile collector. Feature names only ever appear as escaped label
 * values, never in metric names. */
#include <math.h>
#include <string.h>

#include "sample/numparse.h"
#include "analyze/format_internal.h"

/* Label value escaping of the text format: backslash, double quote and line feed. */
static void put_label_value(struct strbuf *out, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
        if (!esc)
            continue;
        strbuf_append(out, run, (size_t)(s - run));
        strbuf_puts(out, esc);
        run = s + 1;
    }
    strbuf_puts(out, run);
}

static void put_value(struct strbuf *out, double x)
{
    char buf[32];
    size_t n = num_format(x, buf);
    strbuf_append(out, buf, n);
}

static void header(struct strbuf *out, const char *name, const char *help)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{model,feature,<key>=value} (key "method" or "problem"); feature and value may be NULL. */
static void series_start_kv(struct strbuf *out, const char *name, const struct verdict *v, const char *feature,
                            const char *key, const char *value)
{
    strbuf_printf(out, "%s{model=\"", name);
    put_label_value(out, v->model);
    if (feature) {
        strbuf_puts(out, "\",feature=\"");
        put_label_value(out, feature);
    }
    if (value) {
        strbuf_printf(out, "\",%s=\"", key);
        put_label_value(out, value);
    }
    strbuf_puts(out, "\"} ");
}

static void series_start(struct strbuf *out, const char *name, const struct verdict *v, const char *feature,
                         const char *method)
{
    series_start_kv(out, name, v, feature, "method", method);
}

/* docs/metrics.md: driftwatch_performance and driftwatch_performance_alert{model,metric} for the
 * realized metrics that have a value, driftwatch_performance_estimated{model,metric} for the
 * label-free estimates that have one, driftwatch_fairness{model,attribute,metric} for the bias
 * metrics that have one. */
static void render_performance(const struct verdict *v, struct strbuf *out)
{
    const struct perf_report *r = v->performance;
    if (!r)
        return;
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(r->task, &ms);
    header(out, "driftwatch_performance", "Realized model performance in the last checked window (metric: accuracy, "
           "f1, roc_auc, mae, ...).");
    for (size_t i = 0; i < nm; i++) {
        if (!(r->metrics & (1u << ms[i])) || isnan(r->m[ms[i]].value))
            continue;
        series_start_kv(out, "driftwatch_performance", v, NULL, "metric", perf_metric_name(ms[i]));
        put_value(out, r->m[ms[i]].value);
        strbuf_append(out, "\n", 1);
    }
    header(out, "driftwatch_performance_alert",
           "1 when the realized metric is outside the reference thresholds, else 0.");
    for (size_t i = 0; i < nm; i++) {
        if (!(r->metrics & (1u << ms[i])))
            continue;
        series_start_kv(out, "driftwatch_performance_alert", v, NULL, "metric", perf_metric_name(ms[i]));
        strbuf_puts(out, r->m[ms[i]].side ? "1\n" : "0\n");
    }
    if (r->estimated_rows) {
        header(out, "driftwatch_performance_estimated", "Model performance estimated from the scores alone (CBPE) in "
               "the last checked window (metric: accuracy, precision, recall, f1).");
        for (int m = 0; m < CBPE_COUNT; m++) {
            if (!(r->estimated_metrics & (1u << m)) || isnan(r->estimated[m].value))
                continue;
            series_start_kv(out, "driftwatch_performance_estimated", v, NULL, "metric", cbpe_metric_name(m));
            put_value(out, r->estimated[m].value);
            strbuf_append(out, "\n", 1);
        }
    }
    if (!r->nfairness)
        return;
    header(out, "driftwatch_fairness", "Bias metric of a protected attribute in the last checked window (metric: "
           "spd, dir, eod, aod).");
    static const char *const names[4] = {"spd", "dir", "eod", "aod"};
    for (size_t i = 0; i < r->nfairness; i++) {
        const struct quality_fairness *f = &r->fairness[i];
        double vals[4] = {f->values.spd, f->values.dir, f->values.eod, f->values.aod};
        for (int k = 0; k < 4; k++) {
            if (isnan(vals[k]))
                continue;
            strbuf_puts(out, "driftwatch_fairness{model=\"");
            put_label_value(out, v->model);
            strbuf_puts(out, "\",attribute=\"");
            put_label_value(out, f->spec.attribute);
            strbuf_printf(out, "\",metric=\"%s\"} ", names[k]);
            put_value(out, vals[k]);
            strbuf_append(out, "\n", 1);
        }
    }
}

/* docs/statistics.md: driftwatch_feature_quality_ratio{model,feature,problem} for every share that applies
 * to the feature, and the threshold of each that has one (the DataQuality rule compares the two). */
static void render_quality(const struct verdict *v, struct strbuf *out)
{
    header(out, "driftwatch_feature_quality_ratio",
           "Data quality share of the feature in the last checked window (problem: out_of_range, unseen_categories, "
           "type_mismatch, missing_share).");
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        for (int q = 0; q < QP_COUNT; q++) {
            if (isnan(fv->quality.share[q]))
                continue;
            series_start_kv(out, "driftwatch_feature_quality_ratio", v, fv->name, "problem", quality_problem_name(q));
            put_value(out, fv->quality.share[q]);
            strbuf_append(out, "\n", 1);
        }
    }
    header(out, "driftwatch_feature_quality_threshold",
           "Share above which the data quality problem is an alert (quality_checks).");
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        for (int q = 0; q < QP_COUNT; q++) {
            if (isnan(fv->quality.share[q]) || !isfinite(fv->quality.limit[q]))
                continue;
            series_start_kv(out, "driftwatch_feature_quality_threshold", v, fv->name, "problem",
                            quality_problem_name(q));
            put_value(out, fv->quality.limit[q]);
            strbuf_append(out, "\n", 1);
        }
    }
}

/* How many baseline columns the data lacked (a schema error unless missing_columns: warn) and how
 * many of its columns the baseline does not know. */
static void render_schema(const struct verdict *v, struct strbuf *out)
{
    header(out, "driftwatch_schema_missing_columns", "Baseline feature columns missing from the last checked data.");
    series_start(out, "driftwatch_schema_missing_columns", v, NULL, NULL);
    strbuf_printf(out, "%zu\n", v->schema.nmissing);
    header(out, "driftwatch_schema_unexpected_columns", "Columns of the last checked data that the baseline lacks "
                                                         "(at most 100 counted).");
    series_start(out, "driftwatch_schema_unexpected_columns", v, NULL, NULL);
    strbuf_printf(out, "%zu\n", v->schema.nunexpected);
}

int verdict_render_prom(const struct verdict *v, struct strbuf *out)
{
    header(out, "driftwatch_feature_drift_score", "Drift statistic of a feature for one test (docs/statistics.md).");
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        for (int m = 0; m < DM_COUNT; m++) {
            if (!(fv->tests_mask & (1u << m)) || !isfinite(fv->tests[m].statistic))
                continue;
            series_start(out, "driftwatch_feature_drift_score", v, fv->name, drift_method_name(m));
            put_value(out, fv->tests[m].statistic);
            strbuf_append(out, "\n", 1);
        }
    }
    int any_p = 0;
    for (size_t i = 0; i < v->n; i++)
        for (int m = 0; m < DM_COUNT; m++)
            any_p |= (v->features[i].tests_mask & (1u << m)) && isfinite(v->features[i].tests[m].p_value);
    if (any_p) {
        header(out, "driftwatch_feature_drift_p_value", "P-value of a feature's drift test, for tests that have one.");
        for (size_t i = 0; i < v->n; i++) {
            const struct feature_verdict *fv = &v->features[i];
            for (int m = 0; m < DM_COUNT; m++) {
                if (!(fv->tests_mask & (1u << m)) || !isfinite(fv->tests[m].p_value))
                    continue;
                series_start(out, "driftwatch_feature_drift_p_value", v, fv->name, drift_method_name(m));
                put_value(out, fv->tests[m].p_value);
                strbuf_append(out, "\n", 1);
            }
        }
    }
    header(out, "driftwatch_feature_drifted", "1 when the feature drifted (its test or its missing share), else 0.");
    for (size_t i = 0; i < v->n; i++) {
        series_start(out, "driftwatch_feature_drifted", v, v->features[i].name, NULL);
        strbuf_puts(out, v->features[i].drift ? "1\n" : "0\n");
    }
    header(out, "driftwatch_feature_missing_ratio", "Share of the window's rows without a usable value for the feature.");
    for (size_t i = 0; i < v->n; i++) {
        series_start(out, "driftwatch_feature_missing_ratio", v, v->features[i].name, NULL);
        put_value(out, v->features[i].missing_share);
        strbuf_append(out, "\n", 1);
    }
    render_quality(v, out);
    render_schema(v, out);
    header(out, "driftwatch_dataset_drift_share", "Share of the model's features that drifted.");
    series_start(out, "driftwatch_dataset_drift_share", v, NULL, NULL);
    put_value(out, v->drift_share);
    strbuf_append(out, "\n", 1);
    header(out, "driftwatch_dataset_drifted", "1 when the drifted share reached the dataset threshold, else 0.");
    series_start(out, "driftwatch_dataset_drifted", v, NULL, NULL);
    strbuf_puts(out, v->dataset_drift ? "1\n" : "0\n");
    if (v->pca.ran || v->mmd.ran) {
        /* docs/statistics.md: the score is the reconstruction error (pca_reconstruction) or MMD^2 (mmd) */
        const char *names[2] = {"pca_reconstruction", "mmd"};
        int ok[2] = {v->pca.ran && v->pca.ok, v->mmd.ran && v->mmd.ok};
        double score[2] = {v->pca.value, v->mmd.statistic};
        int drifted[2] = {v->pca.drift, v->mmd.drift};
        header(out, "driftwatch_multivariate_drift_score",
               "Multivariate drift score: reconstruction error (pca_reconstruction) or MMD^2 (mmd).");
        for (int k = 0; k < 2; k++) {
            if (!ok[k])
                continue;
            series_start(out, "driftwatch_multivariate_drift_score", v, NULL, names[k]);
            put_value(out, score[k]);
            strbuf_append(out, "\n", 1);
        }
        header(out, "driftwatch_multivariate_drifted", "1 when the multivariate method found drift, else 0.");
        for (int k = 0; k < 2; k++) {
            if (!(k ? v->mmd.ran : v->pca.ran))
                continue;
            series_start(out, "driftwatch_multivariate_drifted", v, NULL, names[k]);
            strbuf_puts(out, drifted[k] ? "1\n" : "0\n");
        }
    }
    render_performance(v, out);
    header(out, "driftwatch_window_samples", "Rows in the window the last check ran on.");
    series_start(out, "driftwatch_window_samples", v, NULL, NULL);
    strbuf_printf(out, "%llu\n", (unsigned long long)v->window_rows);
    return out->failed ? -1 : 0;
}
