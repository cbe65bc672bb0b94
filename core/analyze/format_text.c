/* `check --format text`: a status line, the baseline and window, and a table of the features
 * with the drifted ones first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/format_internal.h"

/* A drifted feature ranks by how far past its threshold it is. */
static double severity(const struct feature_verdict *fv)
{
    if (!fv->drift)
        return -1;
    if (fv->drift_statistic) {
        if (drift_method_uses_p_value(fv->method))
            return 2.0 - fv->p_adjusted; /* smaller p first */
        return 1.0 + (fv->threshold > 0 ? fv->statistic / fv->threshold : fv->statistic);
    }
    return fv->missing_share - fv->baseline_missing_share;
}

size_t *format_order_drifted_first(const struct verdict *v)
{
    size_t *order = malloc((v->n ? v->n : 1) * sizeof *order);
    if (!order)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        order[i] = i;
    /* insertion sort: stable and reentrant (qsort has no context argument); n is small */
    for (size_t i = 1; i < v->n; i++) {
        size_t cur = order[i];
        size_t k = i;
        while (k > 0) {
            const struct feature_verdict *x = &v->features[order[k - 1]], *y = &v->features[cur];
            int before; /* y goes before x */
            if (x->drift != y->drift)
                before = y->drift > x->drift;
            else if (y->drift)
                before = severity(y) > severity(x);
            else
                before = 0;
            if (!before)
                break;
            order[k] = order[k - 1];
            k--;
        }
        order[k] = cur;
    }
    return order;
}

void format_short_number(struct strbuf *out, double x)
{
    if (!isfinite(x)) {
        strbuf_append(out, "-", 1);
        return;
    }
    if (x != 0 && fabs(x) < 1e-4)
        strbuf_printf(out, "%.2e", x);
    else
        strbuf_printf(out, "%.4g", x);
}

/* Names are data: keep control characters off the terminal and cap the width. */
static void put_name(struct strbuf *out, const char *name, int width)
{
    size_t len = strlen(name);
    size_t shown = 0;
    int cut = (int)len > width;
    size_t limit = cut ? (size_t)width - 2 : len;
    for (size_t i = 0; i < len && shown < limit; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            strbuf_append(out, "?", 1);
        else
            strbuf_append(out, name + i, 1);
        /* count characters, not UTF-8 continuation bytes */
        if ((c & 0xC0) != 0x80)
            shown++;
    }
    if (cut)
        strbuf_append(out, "..", 2);
    for (int pad = (int)(cut ? (size_t)width : shown); pad < width; pad++)
        strbuf_append(out, " ", 1);
}

static size_t display_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void cell(struct strbuf *out, const char *text, int width)
{
    strbuf_printf(out, "%-*s", width, text);
}

static void number_cell(struct strbuf *out, double x, int width)
{
    struct strbuf tmp;
    strbuf_init(&tmp);
    format_short_number(&tmp, x);
    strbuf_printf(out, "%*s", width, tmp.data ? tmp.data : "-");
    strbuf_free(&tmp);
}

/* "mean 654 → 6.5": a baseline and a current value, compactly. */
static void change(struct strbuf *out, const char *label, double from, double to)
{
    strbuf_printf(out, "%s ", label);
    format_short_number(out, from);
    strbuf_puts(out, " \u2192 ");
    format_short_number(out, to);
}

/* docs/statistics.md "Summary", under a feature's row: numeric mean, p50, p5, p95 and std, baseline
 * → current; categorical the top categories' shares. Nothing when neither side has values. */
static void render_summary(const struct feature_verdict *fv, int indent, struct strbuf *out)
{
    const struct numeric_summary *b = &fv->baseline_summary, *c = &fv->window_summary;
    if (fv->type == COL_NUMERIC) {
        if (!b->ok && !c->ok)
            return;
        strbuf_printf(out, "%*s", indent, "");
        change(out, "mean", b->ok ? b->mean : NAN, c->ok ? c->mean : NAN);
        change(out, ", p50", b->ok ? b->p50 : NAN, c->ok ? c->p50 : NAN);
        change(out, ", p5", b->ok ? b->p5 : NAN, c->ok ? c->p5 : NAN);
        change(out, ", p95", b->ok ? b->p95 : NAN, c->ok ? c->p95 : NAN);
        change(out, ", std", b->ok ? b->std : NAN, c->ok ? c->std : NAN);
        strbuf_append(out, "\n", 1);
        return;
    }
    if (!fv->ntop)
        return;
    strbuf_printf(out, "%*sshares", indent, "");
    for (size_t i = 0; i < fv->ntop; i++) {
        strbuf_puts(out, i ? ", " : " ");
        int w = (int)display_width(fv->top[i].value);
        put_name(out, fv->top[i].value, w < 24 ? w : 24);
        strbuf_printf(out, " %.1f%% \u2192 %.1f%%", 100.0 * fv->top[i].baseline, 100.0 * fv->top[i].current);
    }
    strbuf_append(out, "\n", 1);
}

/* The tests a feature reports besides the deciding one (--methods all, or a list), one row each,
 * with their own default threshold and what they would say on their own. */
static void render_other_tests(const struct feature_verdict *fv, int wname, struct strbuf *out)
{
    for (int m = 0; m < DM_COUNT; m++) {
        if (m == fv->method || !(fv->tests_mask & (1u << m)))
            continue;
        const struct test_result *t = &fv->tests[m];
        double thr = drift_method_default_threshold(m);
        strbuf_printf(out, "%*s", wname + 2 + 13, "");
        cell(out, drift_method_name(m), 18);
        number_cell(out, t->statistic, 10);
        number_cell(out, t->p_value, 11);
        number_cell(out, thr, 11);
        strbuf_puts(out, "           ");
        if (!t->ran || isnan(thr))
            strbuf_puts(out, "(reported)");
        else if (drift_method_uses_p_value(m))
            strbuf_puts(out, t->p_value < thr ? "(would drift)" : "(ok)");
        else
            strbuf_puts(out, t->statistic >= thr ? "(would drift)" : "(ok)");
        strbuf_append(out, "\n", 1);
    }
}

/* One line per multivariate method asked for (docs/statistics.md), after the feature table. */
static void render_multivariate(const struct verdict *v, struct strbuf *out)
{
    if (!v->pca.ran && !v->mmd.ran)
        return;
    strbuf_puts(out, "\nMULTIVARIATE        VALUE       BAND / P-VALUE                DRIFT\n");
    if (v->pca.ran) {
        const struct mv_pca_verdict *p = &v->pca;
        cell(out, "pca_reconstruction", 20);
        if (p->ok) {
            number_cell(out, p->value, 10);
            struct strbuf band;
            strbuf_init(&band);
            strbuf_puts(&band, "[");
            format_short_number(&band, p->lower);
            strbuf_puts(&band, ", ");
            format_short_number(&band, p->upper);
            strbuf_printf(&band, "] %zu comp.", p->components);
            strbuf_printf(out, "  %-28s  %s", band.data ? band.data : "", p->drift ? "DRIFT" : "ok");
            strbuf_free(&band);
        } else {
            strbuf_printf(out, "%10s  %-28s  %s", "-", "", "-");
        }
        if (p->note)
            strbuf_printf(out, " [%s]", p->note);
        strbuf_append(out, "\n", 1);
    }
    if (v->mmd.ran) {
        const struct mv_mmd_verdict *m = &v->mmd;
        cell(out, "mmd", 20);
        if (m->ok) {
            number_cell(out, m->statistic, 10);
            struct strbuf pv;
            strbuf_init(&pv);
            strbuf_puts(&pv, "p ");
            format_short_number(&pv, m->p_value);
            strbuf_puts(&pv, m->p_value < m->threshold ? " < " : " >= ");
            format_short_number(&pv, m->threshold);
            strbuf_printf(out, "  %-28s  %s", pv.data ? pv.data : "", m->drift ? "DRIFT" : "ok");
            strbuf_free(&pv);
        } else {
            strbuf_printf(out, "%10s  %-28s  %s", "-", "", "-");
        }
        if (m->note)
            strbuf_printf(out, " [%s]", m->note);
        strbuf_append(out, "\n", 1);
    }
}

/* "  missing column     name  (did you mean 'x'?)", names padded to width */
static void schema_line(struct strbuf *out, const char *what, const struct schema_column *c, int width)
{
    strbuf_printf(out, "  %-18s ", what);
    int own = (int)display_width(c->name);
    put_name(out, c->name, c->suggestion || own > width ? width : own); /* no trailing blanks */
    if (c->suggestion) {
        strbuf_puts(out, "  (did you mean '");
        put_name(out, c->suggestion, (int)(display_width(c->suggestion) < 40 ? display_width(c->suggestion) : 40));
        strbuf_puts(out, "'?)");
    }
    strbuf_append(out, "\n", 1);
}

/* docs/statistics.md, shown before the drift table: the schema's missing and unexpected columns and the
 * quality shares above their thresholds; nothing when there is nothing to say. */
static void render_quality(const struct verdict *v, struct strbuf *out)
{
    const struct schema_report *s = &v->schema;
    if (!s->nmissing && !s->nunexpected && !v->quality_alerts)
        return;
    int width = 6;
    for (size_t i = 0; i < s->nmissing; i++)
        width = (int)display_width(s->missing[i].name) > width ? (int)display_width(s->missing[i].name) : width;
    for (size_t i = 0; i < s->nunexpected; i++)
        width = (int)display_width(s->unexpected[i].name) > width ? (int)display_width(s->unexpected[i].name) : width;
    for (size_t i = 0; i < v->n; i++)
        if (v->features[i].quality.alerts)
            width = (int)display_width(v->features[i].name) > width ? (int)display_width(v->features[i].name) : width;
    if (width > 32)
        width = 32;
    strbuf_printf(out, "DATA QUALITY%s\n", v->schema_error ? " (schema error)" : "");
    for (size_t i = 0; i < s->nmissing; i++)
        schema_line(out, "missing column", &s->missing[i], width);
    for (size_t i = 0; i < s->nunexpected; i++)
        schema_line(out, "unexpected column", &s->unexpected[i], width);
    if (s->unexpected_truncated)
        strbuf_puts(out, "  (more unexpected columns not listed)\n");
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        for (int q = 0; q < QP_COUNT; q++) {
            if (!(fv->quality.alerts & (1u << q)))
                continue;
            strbuf_printf(out, "  %-18s ", quality_problem_name(q));
            put_name(out, fv->name, width);
            strbuf_printf(out, "  %.1f%% > threshold %.1f%%\n", 100.0 * fv->quality.share[q],
                          100.0 * fv->quality.limit[q]);
        }
    }
    strbuf_append(out, "\n", 1);
}

int verdict_render_text(const struct verdict *v, struct strbuf *out)
{
    size_t *order = format_order_drifted_first(v);
    if (!order)
        return -1;
    if (v->schema_error)
        strbuf_printf(out, "SCHEMA ERROR: %zu column%s of the baseline missing from the data; %zu of %zu other "
                           "features drifted",
                      v->schema.nmissing, v->schema.nmissing == 1 ? "" : "s", v->drifted, v->nfeatures);
    else if (v->dataset_drift)
        strbuf_printf(out, "DATASET DRIFT: %zu of %zu features drifted (share %.2f >= %.2f)", v->drifted,
                      v->nfeatures, v->drift_share, v->dataset_share);
    else if (v->multivariate_drift && v->multivariate_counts)
        strbuf_printf(out, "MULTIVARIATE DRIFT: %s%s%s; %zu of %zu features drifted", v->pca.drift ? "pca_reconstruction" : "",
                      v->pca.drift && v->mmd.drift ? ", " : "", v->mmd.drift ? "mmd" : "", v->drifted, v->nfeatures);
    else if (v->drifted || v->role_drift)
        strbuf_printf(out, "FEATURE DRIFT: %zu of %zu features drifted (share %.2f < %.2f)%s", v->drifted,
                      v->nfeatures, v->drift_share, v->dataset_share,
                      v->role_drift ? "; target/prediction drifted" : "");
    else
        strbuf_printf(out, "NO DRIFT: 0 of %zu features drifted", v->nfeatures);
    performance_render_status(v, out);
    strbuf_puts(out, "  [model ");
    put_name(out, v->model, (int)(display_width(v->model) < 40 ? display_width(v->model) : 40));
    strbuf_puts(out, "]\n");
    const char *bpath = json_string_value(json_object_get(v->baseline, "path"));
    const json_t *brows = json_object_get(v->baseline, "rows");
    strbuf_puts(out, "baseline: ");
    put_name(out, bpath ? bpath : "?", (int)(bpath && display_width(bpath) < 60 ? display_width(bpath) : 60));
    if (json_is_integer(brows))
        strbuf_printf(out, " (%lld rows)", (long long)json_integer_value(brows));
    strbuf_printf(out, "; window: %llu rows", (unsigned long long)v->window_rows);
    if (v->window_from && v->window_to)
        strbuf_printf(out, " from %s to %s", v->window_from, v->window_to);
    strbuf_puts(out, "\n\n");
    render_quality(v, out);

    int wname = 7;
    for (size_t i = 0; i < v->n; i++) {
        int w = (int)display_width(v->features[i].name) +
                (v->features[i].role != ROLE_FEATURE ? (int)strlen(col_role_name(v->features[i].role)) + 3 : 0);
        if (w > wname)
            wname = w;
    }
    if (wname > 32)
        wname = 32;
    cell(out, "FEATURE", wname + 2);
    strbuf_puts(out, "TYPE         METHOD              STATISTIC    P-VALUE  THRESHOLD  MISSING  DRIFT\n");
    for (size_t k = 0; k < v->n; k++) {
        const struct feature_verdict *fv = &v->features[order[k]];
        if (fv->role != ROLE_FEATURE) {
            struct strbuf nm;
            strbuf_init(&nm);
            strbuf_printf(&nm, "%s (%s)", fv->name, col_role_name(fv->role));
            put_name(out, nm.data ? nm.data : fv->name, wname);
            strbuf_free(&nm);
        } else {
            put_name(out, fv->name, wname);
        }
        strbuf_puts(out, "  ");
        cell(out, col_type_name(fv->type), 13);
        cell(out, drift_method_name(fv->method), 18);
        number_cell(out, fv->statistic, 10);
        number_cell(out, drift_method_uses_p_value(fv->method) ? fv->p_adjusted : NAN, 11);
        number_cell(out, fv->threshold, 11);
        strbuf_printf(out, "  %6.1f%%  ", 100.0 * fv->missing_share);
        strbuf_puts(out, fv->drift ? "DRIFT" : fv->missing_column && v->schema_error ? "MISSING" : "ok");
        if (fv->drift_missing)
            strbuf_printf(out, " (missing %+.1f%%)", 100.0 * (fv->missing_share - fv->baseline_missing_share));
        if (fv->unseen_distinct) {
            strbuf_printf(out, " (%zu unseen categor%s, %.1f%% of values)", fv->unseen_distinct,
                          fv->unseen_distinct == 1 ? "y" : "ies",
                          fv->count ? 100.0 * (double)fv->unseen_values / (double)fv->count : 0.0);
        }
        if (fv->note)
            strbuf_printf(out, " [%s]", fv->note);
        strbuf_append(out, "\n", 1);
        render_other_tests(fv, wname, out);
        render_summary(fv, 4, out);
    }
    free(order);
    correlated_groups_render_text(v, out);
    render_multivariate(v, out);
    performance_render_text(v, out);
    return out->failed ? -1 : 0;
}
