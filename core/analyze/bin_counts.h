/* The baseline's bins of each feature as the fleet metrics name them (docs/metrics.md, "Fleet-wide
 * drift"): numeric features by the quantile bins of docs/statistics.md ("0".."k"), categorical ones
 * by category (the baseline's BIN_TOP_CATEGORIES most frequent; the rest in "__other__"; values
 * the baseline never saw in "__unseen__"), and the baseline's share per bin; then the counts of a
 * window's values per bin. Recording rules sum these counts over replicas and compute PSI and
 * Jensen-Shannon against the shares. */
#ifndef DW_DRIFT_BIN_COUNTS_H
#define DW_DRIFT_BIN_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/profile.h"

/* Baseline categories with a bin of their own; the rest share "__other__". */
#define BIN_TOP_CATEGORIES 50
#define BIN_LABEL_MISSING "missing"
#define BIN_LABEL_OTHER "__other__"
#define BIN_LABEL_UNSEEN "__unseen__"

struct bin_feature {
    const char *name;      /* the profile feature's (borrowed) */
    enum col_type type;
    size_t nbins;          /* bins of non-missing values; 0 when the baseline has none */
    char **labels;         /* nbins label values */
    double *share;         /* the baseline's share of its non-missing values per bin (sum 1) */
    double missing_share;  /* the baseline's missing (and unusable) values over its rows */
    /* numeric: a value x is in bin = the number of edges <= x */
    double *edges;
    size_t nedges;
    /* categorical: every category of the profile, in its order, and the bin of each (the kept ones
     * their own, the others "__other__") */
    struct catmap *cats;
    long *cat_bin;
    long other_bin;        /* -1 when no baseline category folds into "__other__" */
    long unseen_bin;
};

struct bin_layout {
    struct bin_feature *features; /* in profile order */
    size_t n;
};

/* The layout of every feature of p with `bins` quantile bins (analyze_bins). Returns NULL when out
 * of memory. */
struct bin_layout *bin_layout_new(const struct profile *p, int bins);
void bin_layout_free(struct bin_layout *l);

/* Counts column col's values (a window of `rows` rows; col NULL: the data lacks the column) per bin
 * of f into counts[0..f->nbins) and the rows without a usable value into *missing. */
void bin_count_window(const struct bin_feature *f, const struct column *col, uint64_t rows, double *counts,
                      double *missing);

#endif
