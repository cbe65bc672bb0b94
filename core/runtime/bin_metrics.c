/* driftwatch_window_bin_count and driftwatch_baseline_bin_share of a model, published after each check
 * (see bin_metrics.h). Each family is replaced as a whole, so a scrape never sees half a check's bins. */
#include "runtime/bin_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"

/* untyped: see metrics_untyped_replace (the name is docs/metrics.md's, fixed for the fleet's rules) */
#define WINDOW_FAMILY "driftwatch_window_bin_count"
#define WINDOW_HELP                                                                                              \
    "Values of the feature in each baseline bin in the last checked window (bin: quantile bin index, category, " \
    "__other__, __unseen__, or missing)."
#define BASELINE_FAMILY "driftwatch_baseline_bin_share"
#define BASELINE_HELP                                                                                            \
    "Share of the baseline's non-missing values in each bin (bin=\"missing\": the baseline's missing share of its " \
    "rows, not part of PSI or Jensen-Shannon)."

/* The labels of one series: model, feature, bin and the terminating NULL. */
struct bin_labels {
    const char *kv[7];
};

int bin_metrics_publish(const char *model, const struct bin_layout *l, const struct verdict *v,
                        const struct columns *w)
{
    size_t n = 0, maxbins = 0;
    for (size_t i = 0; i < l->n; i++) {
        n += l->features[i].nbins + 1;
        if (l->features[i].nbins > maxbins)
            maxbins = l->features[i].nbins;
    }
    struct bin_labels *labels = malloc((n ? n : 1) * sizeof *labels);
    struct metrics_sample *counts = malloc((n ? n : 1) * sizeof *counts);
    struct metrics_sample *shares = malloc((n ? n : 1) * sizeof *shares);
    double *scratch = malloc((maxbins + 1) * sizeof *scratch);
    int rc = -1;
    if (!labels || !counts || !shares || !scratch)
        goto out;
    size_t k = 0, j = 0;
    /* the verdict's features are a subset of the profile's, in the profile's order */
    for (size_t i = 0; i < v->n; i++) {
        while (j < l->n && strcmp(l->features[j].name, v->features[i].name) != 0)
            j++;
        if (j == l->n)
            break;
        const struct bin_feature *f = &l->features[j];
        int idx = columns_find(w, f->name);
        double missing;
        bin_count_window(f, idx >= 0 ? &w->cols[idx] : NULL, w->rows, scratch, &missing);
        for (size_t b = 0; b <= f->nbins; b++, k++) {
            const char *bin = b < f->nbins ? f->labels[b] : BIN_LABEL_MISSING;
            labels[k] = (struct bin_labels){{"model", model, "feature", f->name, "bin", bin, NULL}};
            counts[k] = (struct metrics_sample){labels[k].kv, b < f->nbins ? scratch[b] : missing};
            shares[k] = (struct metrics_sample){labels[k].kv, b < f->nbins ? f->share[b] : f->missing_share};
        }
    }
    rc = metrics_untyped_replace(WINDOW_FAMILY, WINDOW_HELP, "model", model, counts, k) < 0 ||
                 metrics_gauge_replace(BASELINE_FAMILY, BASELINE_HELP, "model", model, shares, k) < 0
             ? -1
             : 0;
out:
    free(labels);
    free(counts);
    free(shares);
    free(scratch);
    return rc;
}

void bin_metrics_forget(const char *model)
{
    metrics_forget(WINDOW_FAMILY, "model", model);
    metrics_forget(BASELINE_FAMILY, "model", model);
}
