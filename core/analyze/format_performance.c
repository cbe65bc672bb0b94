/* The verdict's model performance and bias (docs/statistics.md "Model quality") in the JSON, text
 * and nagios renderings: realized metrics against the reference thresholds, the label-free
 * estimate against its own, and the fairness metrics per protected attribute. */
#include <math.h>
#include <string.h>

#include "analyze/format_internal.h"

static json_t *num_or_null(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static const char *direction_name(int side)
{
    return side < 0 ? "low" : side > 0 ? "high" : NULL;
}

/* {"value", "lower", "upper", "alert", "direction"} of one metric; NULL when out of memory. */
static json_t *metric_json(const struct perf_metric_report *m)
{
    const char *dir = direction_name(m->side);
    return json_pack("{s:o, s:o, s:o, s:b, s:o}", "value", num_or_null(m->value), "lower", num_or_null(m->lower),
                     "upper", num_or_null(m->upper), "alert", m->side != 0, "direction",
                     dir ? json_string(dir) : json_null());
}

/* "estimated": {metric: {...}} and "estimated_rows" when the window had scores to estimate from. */
static int add_estimated(json_t *o, const struct perf_report *r)
{
    if (!r->estimated_rows)
        return 0;
    json_t *est = json_object();
    int e = !est || json_object_set_new(o, "estimated", est) < 0 ||
            json_object_set_new(o, "estimated_rows", json_integer((json_int_t)r->estimated_rows)) < 0;
    for (int m = 0; m < CBPE_COUNT && !e; m++) {
        if (!(r->estimated_metrics & (1u << m)))
            continue;
        json_t *j = metric_json(&r->estimated[m]);
        e = !j || json_object_set_new(est, cbpe_metric_name(m), j) < 0;
    }
    return e ? -1 : 0;
}

json_t *performance_json(const struct perf_report *r)
{
    json_t *realized = json_object();
    json_t *o = json_pack("{s:s, s:I, s:o}", "task", perf_task_name(r->task), "rows", (json_int_t)r->rows,
                          "realized", realized);
    if (!o)
        return NULL;
    int e = 0;
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(r->task, &ms);
    for (size_t i = 0; i < nm && !e; i++) {
        if (!(r->metrics & (1u << ms[i])))
            continue;
        json_t *j = metric_json(&r->m[ms[i]]);
        e = !j || json_object_set_new(realized, perf_metric_name(ms[i]), j) < 0;
    }
    e |= json_object_set_new(o, "alerts", json_integer((json_int_t)r->alerts)) < 0;
    e |= add_estimated(o, r) < 0;
    if (e) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *fairness_json(const struct perf_report *r)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < r->nfairness; i++) {
        const struct quality_fairness *f = &r->fairness[i];
        json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:b}", "spd", num_or_null(f->values.spd), "dir",
                              num_or_null(f->values.dir), "eod", num_or_null(f->values.eod), "aod",
                              num_or_null(f->values.aod), "alert", f->values.alert);
        if (!j || json_object_set_new(o, f->spec.attribute, j) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* "accuracy  0.8579  0.8911  1  LOW": a metric's value, band and verdict in the text table. */
static void render_metric_row(struct strbuf *out, const char *name, const struct perf_metric_report *m)
{
    strbuf_printf(out, "%-16s", name);
    double vals[3] = {m->value, m->lower, m->upper};
    for (int k = 0; k < 3; k++) {
        struct strbuf cell;
        strbuf_init(&cell);
        format_short_number(&cell, vals[k]);
        strbuf_printf(out, " %10s", cell.data ? cell.data : "-");
        strbuf_free(&cell);
    }
    strbuf_printf(out, "  %s\n", m->side < 0 ? "LOW" : m->side > 0 ? "HIGH" : isnan(m->value) ? "-" : "ok");
}

void performance_render_text(const struct verdict *v, struct strbuf *out)
{
    const struct perf_report *r = v->performance;
    if (!r)
        return;
    strbuf_printf(out, "\nPERFORMANCE (%s, %llu rows with a target): %zu alert%s\n", perf_task_name(r->task),
                  (unsigned long long)r->rows, r->alerts, r->alerts == 1 ? "" : "s");
    strbuf_puts(out, "METRIC               VALUE      LOWER      UPPER  ALERT\n");
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(r->task, &ms);
    for (size_t i = 0; i < nm; i++)
        if (r->metrics & (1u << ms[i]))
            render_metric_row(out, perf_metric_name(ms[i]), &r->m[ms[i]]);
    if (r->estimated_rows) {
        strbuf_printf(out, "\nESTIMATED PERFORMANCE (CBPE, %llu rows with a score): %zu alert%s\n",
                      (unsigned long long)r->estimated_rows, r->estimated_alerts, r->estimated_alerts == 1 ? "" : "s");
        strbuf_puts(out, "METRIC               VALUE      LOWER      UPPER  ALERT\n");
        for (int m = 0; m < CBPE_COUNT; m++)
            if (r->estimated_metrics & (1u << m))
                render_metric_row(out, cbpe_metric_name(m), &r->estimated[m]);
    }
    if (!r->nfairness)
        return;
    strbuf_printf(out, "\nFAIRNESS: %zu alert%s (|spd| <= %g, dir within [%g, %g])\n", r->fairness_alerts,
                  r->fairness_alerts == 1 ? "" : "s", FAIRNESS_MAX_SPD, FAIRNESS_DIR_LOW, FAIRNESS_DIR_HIGH);
    strbuf_puts(out, "ATTRIBUTE                  SPD        DIR        EOD        AOD  ALERT\n");
    for (size_t i = 0; i < r->nfairness; i++) {
        const struct quality_fairness *f = &r->fairness[i];
        strbuf_printf(out, "%-20.40s", f->spec.attribute);
        double vals[4] = {f->values.spd, f->values.dir, f->values.eod, f->values.aod};
        for (int k = 0; k < 4; k++) {
            struct strbuf cell;
            strbuf_init(&cell);
            format_short_number(&cell, vals[k]);
            strbuf_printf(out, " %10s", cell.data ? cell.data : "-");
            strbuf_free(&cell);
        }
        strbuf_puts(out, f->values.alert ? "  ALERT\n" : "  ok\n");
    }
}

void performance_render_status(const struct verdict *v, struct strbuf *out)
{
    const struct perf_report *r = v->performance;
    if (!r || !(r->alerts || r->estimated_alerts || r->fairness_alerts))
        return;
    strbuf_puts(out, "; performance:");
    size_t shown = 0;
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(r->task, &ms);
    for (size_t i = 0; i < nm; i++) {
        const struct perf_metric_report *m = &r->m[ms[i]];
        if (!(r->metrics & (1u << ms[i])) || m->side == 0)
            continue;
        strbuf_printf(out, "%s %s %s", shown++ ? "," : "", perf_metric_name(ms[i]), m->side < 0 ? "low" : "high");
    }
    for (int m = 0; r->estimated_rows && m < CBPE_COUNT; m++)
        if ((r->estimated_metrics & (1u << m)) && r->estimated[m].side)
            strbuf_printf(out, "%s estimated %s %s", shown++ ? "," : "", cbpe_metric_name(m),
                          r->estimated[m].side < 0 ? "low" : "high");
    /* attribute names are data: counted here (the nagios line must not carry a '|' of theirs) */
    if (r->fairness_alerts)
        strbuf_printf(out, "%s %zu fairness alert%s", shown ? "," : "", r->fairness_alerts,
                      r->fairness_alerts == 1 ? "" : "s");
}
