/* The report's model quality section: the realized metrics against their reference thresholds
 * (a table, and each metric with a band on its own axis) and the bias metrics per protected
 * attribute. */
#include <math.h>

#include "analyze/format_internal.h"

static void cell(struct strbuf *out, double x, int alert)
{
    strbuf_puts(out, alert ? "<td class=\"num alert\">" : "<td class=\"num\">");
    if (isnan(x))
        strbuf_puts(out, "&ndash;");
    else
        strbuf_printf(out, "%.4g", x);
    strbuf_puts(out, "</td>");
}

static void html_fairness(struct strbuf *out, const struct perf_report *r)
{
    strbuf_printf(out, "<h2>Bias across groups</h2>\n<p class=\"meta\">%zu alert%s (|spd| &le; %g, dir within "
                       "[%g, %g]); spd and dir compare the predictions of the unprivileged and privileged rows, eod "
                       "and aod their true and false positive rates</p>\n",
                  r->fairness_alerts, r->fairness_alerts == 1 ? "" : "s", FAIRNESS_MAX_SPD, FAIRNESS_DIR_LOW,
                  FAIRNESS_DIR_HIGH);
    strbuf_puts(out, "<table class=\"fairness\"><tr><th>attribute</th><th>privileged</th><th>spd</th><th>dir</th>"
                     "<th>eod</th><th>aod</th><th>status</th></tr>\n");
    for (size_t i = 0; i < r->nfairness; i++) {
        const struct quality_fairness *f = &r->fairness[i];
        strbuf_puts(out, f->values.alert ? "<tr class=\"drift\"><td>" : "<tr><td>");
        html_escape(out, f->spec.attribute);
        strbuf_puts(out, "</td><td>");
        for (size_t k = 0; k < f->spec.nprivileged; k++) {
            if (k)
                strbuf_puts(out, ", ");
            html_escape(out, f->spec.privileged[k]);
        }
        strbuf_puts(out, "</td>");
        cell(out, f->values.spd, fabs(f->values.spd) > FAIRNESS_MAX_SPD);
        cell(out, f->values.dir, f->values.dir < FAIRNESS_DIR_LOW || f->values.dir > FAIRNESS_DIR_HIGH);
        cell(out, f->values.eod, 0);
        cell(out, f->values.aod, 0);
        strbuf_puts(out, f->values.alert ? "<td><span class=\"badge drift\">alert</span></td></tr>\n"
                                         : "<td><span class=\"badge ok\">ok</span></td></tr>\n");
    }
    strbuf_puts(out, "</table>\n");
}

void html_performance(struct strbuf *out, const struct verdict *v)
{
    const struct perf_report *r = v->performance;
    if (!r)
        return;
    int alert = r->alerts || r->fairness_alerts;
    strbuf_printf(out, "<section class=\"feature%s\" id=\"performance\"><h2>Model performance</h2>\n"
                       "<p class=\"meta\">task %s, %llu rows with a target; %zu metric%s outside the reference "
                       "thresholds (mean &#8723; 3 std of the reference chunks)</p>\n",
                  alert ? " drift" : "", perf_task_name(r->task), (unsigned long long)r->rows, r->alerts,
                  r->alerts == 1 ? "" : "s");
    strbuf_puts(out, "<table class=\"performance\"><tr><th>metric</th><th>value</th><th>lower</th><th>upper</th>"
                     "<th>status</th></tr>\n");
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(r->task, &ms);
    for (size_t i = 0; i < nm; i++) {
        if (!(r->metrics & (1u << ms[i])))
            continue;
        const struct perf_metric_report *m = &r->m[ms[i]];
        strbuf_printf(out, "<tr%s><td>%s</td>", m->side ? " class=\"drift\"" : "", perf_metric_name(ms[i]));
        cell(out, m->value, m->side != 0);
        cell(out, m->lower, 0);
        cell(out, m->upper, 0);
        strbuf_printf(out, "<td>%s</td></tr>\n", m->side < 0   ? "<span class=\"badge drift\">low</span>"
                                                 : m->side > 0 ? "<span class=\"badge drift\">high</span>"
                                                 : isnan(m->value) ? "undefined"
                                                                   : "<span class=\"badge ok\">ok</span>");
    }
    strbuf_puts(out, "</table>\n");
    for (size_t i = 0; i < nm; i++) {
        const struct perf_metric_report *m = &r->m[ms[i]];
        if (!(r->metrics & (1u << ms[i])) || isnan(m->value))
            continue;
        strbuf_printf(out, "<p class=\"meta\"><b>%s</b></p>\n", perf_metric_name(ms[i]));
        html_band(out, m->value, m->lower, m->upper, perf_metric_name(ms[i]));
    }
    if (r->nfairness)
        html_fairness(out, r);
    strbuf_puts(out, "</section>\n");
}
