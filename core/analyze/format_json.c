/* The `check --format json` object (docs/statistics.md) and the format dispatch of verdict_render. */
#include <math.h>
#include <string.h>

#include "analyze/analyze.h"
#include "util/jsonw.h"
#include "analyze/format_internal.h"

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static const char *correction_label(enum drift_correction c)
{
    return c == CORRECTION_BONFERRONI ? "bonferroni" : c == CORRECTION_FDR ? "fdr" : "none";
}

/* docs/statistics.md's per-feature "quality": the four shares (null where one does not apply), plus the
 * problems above their thresholds ("alerts") and the thresholds used (null: off). */
static json_t *quality_json(const struct feature_quality *q)
{
    json_t *o = json_object(), *alerts = json_array(), *limits = json_object();
    int e = !o || !alerts || !limits;
    for (int k = 0; !e && k < QP_COUNT; k++) {
        const char *name = quality_problem_name(k);
        e |= json_object_set_new(o, name, num_or_null(q->share[k]));
        e |= json_object_set_new(limits, name, num_or_null(q->limit[k]));
        if (q->alerts & (1u << k))
            e |= json_array_append_new(alerts, json_string(name));
    }
    if (!e) {
        e |= json_object_set_new(o, "alerts", alerts);
        e |= json_object_set_new(o, "thresholds", limits);
        if (!e)
            return o;
        alerts = limits = NULL;
    }
    json_decref(o);
    json_decref(alerts);
    json_decref(limits);
    return NULL;
}

static json_t *schema_list(const struct schema_column *cols, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *c = json_pack("{s:s, s:s?}", "name", cols[i].name, "suggestion", cols[i].suggestion);
        if (!c || json_array_append_new(a, c) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* docs/statistics.md: "schema": {"missing_columns": [{"name", "suggestion"}], "unexpected_columns": [...]},
 * plus "unexpected_truncated": true when more names were seen than are listed. */
static json_t *schema_json(const struct schema_report *s)
{
    json_t *o = json_pack("{s:o, s:o}", "missing_columns", schema_list(s->missing, s->nmissing), "unexpected_columns",
                          schema_list(s->unexpected, s->nunexpected));
    if (o && s->unexpected_truncated && json_object_set_new(o, "unexpected_truncated", json_true()) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *numeric_summary_json(const struct numeric_summary *s)
{
    if (!s->ok)
        return json_null();
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "mean", num_or_null(s->mean), "std", num_or_null(s->std), "p5",
                     num_or_null(s->p5), "p50", num_or_null(s->p50), "p95", num_or_null(s->p95));
}

/* docs/statistics.md "Summary": numeric {"baseline": {mean, std, p5, p50, p95}, "current": {...}}
 * (null for a side without values); categorical {"top_categories": [{value, baseline, current}]}. */
static json_t *summary_json(const struct feature_verdict *fv)
{
    if (fv->type == COL_NUMERIC)
        return json_pack("{s:o, s:o}", "baseline", numeric_summary_json(&fv->baseline_summary), "current",
                         numeric_summary_json(&fv->window_summary));
    json_t *a = json_array();
    for (size_t i = 0; a && i < fv->ntop; i++) {
        json_t *c = json_pack("{s:s, s:f, s:f}", "value", fv->top[i].value, "baseline", fv->top[i].baseline,
                              "current", fv->top[i].current);
        if (!c || json_array_append_new(a, c) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a ? json_pack("{s:o}", "top_categories", a) : NULL;
}

static json_t *feature_json(const struct verdict *v, const struct feature_verdict *fv)
{
    json_t *tests = json_object();
    if (!tests)
        return NULL;
    for (int m = 0; m < DM_COUNT; m++) {
        if (!(fv->tests_mask & (1u << m)))
            continue;
        json_t *t = json_pack("{s:o, s:o}", "statistic", num_or_null(fv->tests[m].statistic), "p_value",
                              num_or_null(fv->tests[m].p_value));
        if (!t || json_object_set_new(tests, drift_method_name(m), t) < 0) {
            json_decref(tests);
            return NULL;
        }
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "name", fv->name, "type",
                          col_type_name(fv->type), "method", drift_method_name(fv->method), "statistic",
                          num_or_null(fv->statistic), "p_value", num_or_null(fv->p_value), "threshold",
                          num_or_null(fv->threshold), "drift", fv->drift, "missing_share",
                          num_or_null(fv->missing_share), "tests", tests);
    if (!o)
        return NULL;
    int e = 0;
    if (v->correction != CORRECTION_NONE && drift_method_uses_p_value(fv->method))
        e |= json_object_set_new(o, "p_value_adjusted", num_or_null(fv->p_adjusted));
    json_t *by = json_array();
    if (fv->drift_statistic)
        e |= json_array_append_new(by, json_string(drift_method_uses_p_value(fv->method) ? "p_value" : "statistic"));
    if (fv->drift_missing)
        e |= json_array_append_new(by, json_string("missing_share"));
    e |= json_object_set_new(o, "drift_by", by);
    e |= json_object_set_new(o, "baseline_missing_share", num_or_null(fv->baseline_missing_share));
    e |= json_object_set_new(o, "count", json_integer((json_int_t)fv->count));
    if (fv->invalid)
        e |= json_object_set_new(o, "invalid", json_integer((json_int_t)fv->invalid));
    if (fv->tested_as != fv->type)
        e |= json_object_set_new(o, "tested_as", json_string(col_type_name(fv->tested_as)));
    if (fv->role != ROLE_FEATURE)
        e |= json_object_set_new(o, "role", json_string(col_role_name(fv->role)));
    if (fv->type == COL_CATEGORICAL) {
        json_t *u = json_object();
        for (size_t i = 0; u && i < fv->nunseen; i++)
            e |= json_object_set_new(u, fv->unseen[i].value, json_integer((json_int_t)fv->unseen[i].count));
        e |= json_object_set_new(o, "unseen_categories", u);
        e |= json_object_set_new(o, "unseen_share",
                                 json_real(fv->count ? (double)fv->unseen_values / (double)fv->count : 0.0));
        if (fv->unseen_distinct > fv->nunseen)
            e |= json_object_set_new(o, "unseen_distinct", json_integer((json_int_t)fv->unseen_distinct));
    }
    if (fv->note)
        e |= json_object_set_new(o, "note", json_string(fv->note));
    json_t *sum = summary_json(fv);
    e |= !sum || json_object_set_new(o, "summary", sum) < 0;
    json_t *q = quality_json(&fv->quality);
    e |= !q || json_object_set_new(o, "quality", q) < 0;
    if (fv->missing_column)
        e |= json_object_set_new(o, "missing_column", json_true());
    if (e) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* docs/statistics.md: "multivariate": {"pca_reconstruction": {"value", "lower", "upper", "components",
 * "drift"}, "mmd": {"statistic", "p_value", "sigma2", "drift"}}, each with a "note" when it could
 * not run or has no thresholds; only the methods asked for appear. */
static json_t *multivariate_json(const struct verdict *v)
{
    json_t *o = json_object();
    int e = !o;
    if (o && v->pca.ran) {
        const struct mv_pca_verdict *p = &v->pca;
        json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:b}", "value", num_or_null(p->value), "lower",
                              num_or_null(p->lower), "upper", num_or_null(p->upper), "components",
                              p->ok ? json_integer((json_int_t)p->components) : json_null(), "drift", p->drift);
        if (j && p->note)
            e |= json_object_set_new(j, "note", json_string(p->note));
        e |= !j || json_object_set_new(o, "pca_reconstruction", j) < 0;
    }
    if (o && v->mmd.ran) {
        const struct mv_mmd_verdict *m = &v->mmd;
        json_t *j = json_pack("{s:o, s:o, s:o, s:b}", "statistic", num_or_null(m->statistic), "p_value",
                              num_or_null(m->p_value), "sigma2", num_or_null(m->sigma2), "drift", m->drift);
        if (j && m->note)
            e |= json_object_set_new(j, "note", json_string(m->note));
        e |= !j || json_object_set_new(o, "mmd", j) < 0;
    }
    if (e) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *verdict_to_json(const struct verdict *v)
{
    json_t *features = json_array();
    if (!features)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        json_t *f = feature_json(v, &v->features[i]);
        if (!f || json_array_append_new(features, f) < 0) {
            json_decref(features);
            return NULL;
        }
    }
    json_t *window = json_pack("{s:I, s:s?, s:s?}", "rows", (json_int_t)v->window_rows, "from", v->window_from,
                               "to", v->window_to);
    json_t *o = json_pack("{s:s, s:b, s:f, s:I, s:I, s:o, s:O, s:o, s:s, s:s, s:f}", "model", v->model,
                          "dataset_drift", v->dataset_drift, "drift_share", v->drift_share, "drifted_features",
                          (json_int_t)v->drifted, "n_features", (json_int_t)v->nfeatures, "features", features,
                          "baseline", v->baseline, "window", window, "methods", v->methods, "correction",
                          correction_label(v->correction), "dataset_share_threshold", v->dataset_share);
    if (o) {
        json_t *schema = schema_json(&v->schema);
        if (!schema || json_object_set_new(o, "schema", schema) < 0 ||
            json_object_set_new(o, "schema_error", json_boolean(v->schema_error)) < 0 ||
            json_object_set_new(o, "quality_alerts", json_integer((json_int_t)v->quality_alerts)) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    json_t *corr = o && v->correlated.computed ? correlated_groups_json(v) : NULL;
    if (o && v->correlated.computed && (!corr || json_object_set_new(o, "correlated_groups", corr) < 0)) {
        json_decref(o);
        return NULL;
    }
    if (o && v->performance) {
        json_t *perf = performance_json(v->performance);
        json_t *fair = v->performance->nfairness ? fairness_json(v->performance) : NULL;
        if (!perf || json_object_set_new(o, "performance", perf) < 0 ||
            (v->performance->nfairness && (!fair || json_object_set_new(o, "fairness", fair) < 0))) {
            json_decref(o);
            return NULL;
        }
    }
    if (o && (v->pca.ran || v->mmd.ran)) {
        json_t *mv = multivariate_json(v);
        if (!mv || json_object_set_new(o, "multivariate", mv) < 0 ||
            json_object_set_new(o, "multivariate_drift", json_boolean(v->multivariate_drift)) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int verdict_format_parse(const char *name, enum verdict_format *f)
{
    static const struct {
        const char *name;
        enum verdict_format f;
    } names[] = {{"text", VERDICT_TEXT}, {"json", VERDICT_JSON}, {"nagios", VERDICT_NAGIOS}, {"prom", VERDICT_PROM}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    }
    return -1;
}

int verdict_render(const struct verdict *v, enum verdict_format f, struct strbuf *out)
{
    switch (f) {
    case VERDICT_JSON: {
        json_t *j = verdict_to_json(v);
        if (!j)
            return -1;
        jsonw_dump(out, j, 2);
        strbuf_append(out, "\n", 1);
        json_decref(j);
        return out->failed ? -1 : 0;
    }
    case VERDICT_TEXT: return verdict_render_text(v, out);
    case VERDICT_NAGIOS: return verdict_render_nagios(v, out);
    case VERDICT_PROM: return verdict_render_prom(v, out);
    }
    return -1;
}
