/* `check --format prom`: the drift metrics of docs/metrics.md in the Prometheus text format 0.0.4,
 * for the node_exporter textfile collector. Feature names only ever appear as escaped label
 * values, never in metric names. */
#include <math.h>
#include <string.h>

#include "data/numparse.h"
#include "format_internal.h"

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

static void series_start(struct strbuf *out, const char *name, const struct verdict *v, const char *feature,
                         const char *method)
{
    strbuf_printf(out, "%s{model=\"", name);
    put_label_value(out, v->model);
    if (feature) {
        strbuf_puts(out, "\",feature=\"");
        put_label_value(out, feature);
    }
    if (method) {
        strbuf_puts(out, "\",method=\"");
        put_label_value(out, method);
    }
    strbuf_puts(out, "\"} ");
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
    header(out, "driftwatch_window_samples", "Rows in the window the last check ran on.");
    series_start(out, "driftwatch_window_samples", v, NULL, NULL);
    strbuf_printf(out, "%llu\n", (unsigned long long)v->window_rows);
    return out->failed ? -1 : 0;
}
