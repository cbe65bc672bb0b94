/* `check --format nagios`: one status line for a monitoring plugin (Nagios plugin guidelines):
 * "DRIFT CRITICAL - ... | share=0.6;;0.5;0;1 ...", with the exit code 0/1/2/3 of verdict_exit_code
 * (3, UNKNOWN: a schema error). Data quality alerts are named in the text, not in the state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/format_internal.h"

/* Plugin output must stay on one line and '|' starts the perfdata. */
static void put_text(struct strbuf *out, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        strbuf_append(out, (c == '|' || c == '\n' || c == '\r' || (unsigned char)c < 0x20) ? "_" : s, 1);
    }
}

/* Perfdata labels are single-quoted; quotes and '=' cannot appear in them. */
static void put_label(struct strbuf *out, const char *name, const char *suffix)
{
    strbuf_append(out, "'", 1);
    for (const char *s = name; *s; s++) {
        char c = *s;
        strbuf_append(out, (c == '\'' || c == '=' || (unsigned char)c < 0x20) ? "_" : s, 1);
    }
    strbuf_puts(out, suffix);
    strbuf_append(out, "'", 1);
}

static void put_value(struct strbuf *out, double x)
{
    if (isfinite(x))
        strbuf_printf(out, "%.6g", x);
    else
        strbuf_append(out, "U", 1);
}

int verdict_render_nagios(const struct verdict *v, struct strbuf *out)
{
    static const char *const status[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    int code = verdict_exit_code(v);
    size_t *order = format_order_drifted_first(v);
    if (!order)
        return -1;
    strbuf_printf(out, "DRIFT %s - ", status[code]);
    if (v->schema_error) {
        strbuf_puts(out, "schema error: missing column");
        strbuf_puts(out, v->schema.nmissing == 1 ? " " : "s ");
        for (size_t i = 0; i < v->schema.nmissing && i < 5; i++) {
            strbuf_puts(out, i ? ", '" : "'");
            put_text(out, v->schema.missing[i].name);
            strbuf_puts(out, "'");
            if (v->schema.missing[i].suggestion) {
                strbuf_puts(out, " (did you mean '");
                put_text(out, v->schema.missing[i].suggestion);
                strbuf_puts(out, "'?)");
            }
        }
        strbuf_puts(out, v->schema.nmissing > 5 ? ", ...; " : "; ");
    }
    if (v->dataset_drift)
        strbuf_puts(out, "dataset drift: ");
    strbuf_printf(out, "%zu of %zu features drifted", v->drifted, v->nfeatures);
    size_t listed = 0;
    for (size_t k = 0; k < v->n; k++) {
        const struct feature_verdict *fv = &v->features[order[k]];
        if (!fv->drift)
            break;
        if (fv->role != ROLE_FEATURE)
            continue;
        if (listed == 5) {
            strbuf_puts(out, ", ...");
            break;
        }
        strbuf_puts(out, listed ? ", " : " (");
        put_text(out, fv->name);
        listed++;
    }
    if (listed)
        strbuf_puts(out, ")");
    if (v->multivariate_drift && v->multivariate_counts)
        strbuf_printf(out, "; multivariate drift (%s%s%s)", v->pca.drift ? "pca_reconstruction" : "",
                      v->pca.drift && v->mmd.drift ? ", " : "", v->mmd.drift ? "mmd" : "");
    for (size_t k = 0; k < v->n; k++) {
        const struct feature_verdict *fv = &v->features[k];
        if (fv->role != ROLE_FEATURE && fv->drift) {
            strbuf_puts(out, "; ");
            strbuf_puts(out, col_role_name(fv->role));
            strbuf_puts(out, " '");
            put_text(out, fv->name);
            strbuf_puts(out, "' drifted");
        }
    }
    performance_render_status(v, out);
    if (v->quality_alerts) {
        strbuf_printf(out, "; data quality: ");
        size_t shown = 0;
        for (size_t i = 0; i < v->n && shown <= 5; i++) {
            const struct feature_verdict *fv = &v->features[i];
            for (int q = 0; q < QP_COUNT && shown <= 5; q++) {
                if (!(fv->quality.alerts & (1u << q)))
                    continue;
                if (shown++ == 5) {
                    strbuf_puts(out, ", ...");
                    break;
                }
                strbuf_puts(out, shown > 1 ? ", " : "");
                put_text(out, fv->name);
                strbuf_printf(out, " %s %.1f%%", quality_problem_name(q), 100.0 * fv->quality.share[q]);
            }
        }
    }
    strbuf_printf(out, " [model ");
    put_text(out, v->model);
    strbuf_puts(out, "]");

    /* perfdata: 'label'=value;warn;crit;min;max */
    strbuf_puts(out, " | share=");
    put_value(out, v->drift_share);
    strbuf_puts(out, ";;");
    put_value(out, v->dataset_share);
    strbuf_printf(out, ";0;1 drifted=%zu;;;0;%zu", v->drifted, v->nfeatures);
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        strbuf_append(out, " ", 1);
        if (drift_method_uses_p_value(fv->method)) {
            /* "t:" is a Nagios range that alerts below t: drift when p < threshold */
            put_label(out, fv->name, "_p_value");
            strbuf_append(out, "=", 1);
            put_value(out, fv->p_adjusted);
            strbuf_puts(out, ";;");
            put_value(out, fv->threshold);
            strbuf_puts(out, ":;0;1");
        } else {
            char suffix[64];
            snprintf(suffix, sizeof suffix, "_%s", drift_method_name(fv->method));
            put_label(out, fv->name, suffix);
            strbuf_append(out, "=", 1);
            put_value(out, fv->statistic);
            strbuf_puts(out, ";;");
            put_value(out, fv->threshold);
        }
    }
    /* multivariate: the error against its band ("lo:hi" alerts outside it), the mmd p-value */
    if (v->pca.ran && v->pca.ok) {
        strbuf_puts(out, " pca_reconstruction=");
        put_value(out, v->pca.value);
        strbuf_puts(out, ";;");
        if (isfinite(v->pca.lower)) {
            put_value(out, v->pca.lower);
            strbuf_append(out, ":", 1);
            put_value(out, v->pca.upper);
        }
        strbuf_puts(out, ";0;");
    }
    if (v->mmd.ran && v->mmd.ok) {
        strbuf_puts(out, " mmd_p_value=");
        put_value(out, v->mmd.p_value);
        strbuf_puts(out, ";;");
        put_value(out, v->mmd.threshold);
        strbuf_puts(out, ":;0;1 mmd=");
        put_value(out, v->mmd.statistic);
    }
    strbuf_append(out, "\n", 1);
    free(order);
    return out->failed ? -1 : 0;
}
