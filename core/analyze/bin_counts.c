/* Bins of the fleet metrics (see bin_counts.h): the baseline's layout and shares per feature, and a
 * window's counts per bin. The numeric bins are exactly those of the binned methods (the same edges
 * from the same sample), so summed over replicas they give the PSI the binned methods would give
 * on the union of the replicas' windows. */
#include "analyze/bin_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/catmap.h"
#include "stats/drift.h"

/* Label values the bins themselves use; a category with one of these texts (or the empty text, which
 * Prometheus reads as no label) is counted in "__other__" so that no two bins share a label. */
static int reserved_label(const char *s)
{
    return !*s || strcmp(s, BIN_LABEL_MISSING) == 0 || strcmp(s, BIN_LABEL_OTHER) == 0 ||
           strcmp(s, BIN_LABEL_UNSEEN) == 0;
}

static int feature_alloc(struct bin_feature *bf, size_t nbins)
{
    bf->nbins = nbins;
    bf->labels = calloc(nbins ? nbins : 1, sizeof *bf->labels);
    bf->share = calloc(nbins ? nbins : 1, sizeof *bf->share);
    return bf->labels && bf->share ? 0 : -1;
}

static int numeric_layout(struct bin_feature *bf, const struct profile_feature *f, int bins)
{
    if (f->nsample == 0)
        return feature_alloc(bf, 0);
    bf->edges = malloc((size_t)bins * sizeof *bf->edges);
    if (!bf->edges)
        return -1;
    bf->nedges = drift_quantile_edges(f->sample, f->nsample, bins, bf->edges);
    if (feature_alloc(bf, bf->nedges + 1) < 0)
        return -1;
    drift_bin_shares(f->sample, f->nsample, bf->edges, bf->nedges, bf->share);
    for (size_t b = 0; b < bf->nbins; b++) {
        char label[24];
        snprintf(label, sizeof label, "%zu", b);
        if (!(bf->labels[b] = strdup(label)))
            return -1;
    }
    return 0;
}

/* A baseline category for the choice of the kept ones: by descending count, ties in the profile's order. */
struct ranked_category {
    uint64_t count;
    size_t index;
};

static int by_count_desc(const void *a, const void *b)
{
    const struct ranked_category *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int categorical_layout(struct bin_feature *bf, const struct profile_feature *f)
{
    if (f->count == 0)
        return feature_alloc(bf, 0);
    size_t n = f->ncats;
    struct ranked_category *rank = malloc((n ? n : 1) * sizeof *rank);
    bf->cat_bin = malloc((n ? n : 1) * sizeof *bf->cat_bin);
    if (!rank || !bf->cat_bin || !(bf->cats = catmap_new(0))) {
        free(rank);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        rank[i] = (struct ranked_category){f->cats[i].count, i};
        if (catmap_add(bf->cats, f->cats[i].value, strlen(f->cats[i].value), 1) != (long)i) {
            free(rank); /* a duplicate category in a hand-edited profile is refused at load */
            return -1;
        }
    }
    qsort(rank, n, sizeof *rank, by_count_desc);
    size_t kept = 0;
    uint64_t kept_values = 0;
    for (size_t i = 0; i < n; i++) {
        const struct profile_category *c = &f->cats[rank[i].index];
        int own = kept < BIN_TOP_CATEGORIES && c->count > 0 && !reserved_label(c->value);
        bf->cat_bin[rank[i].index] = own ? (long)kept : -1;
        if (own) {
            rank[kept++].index = rank[i].index;
            kept_values += c->count;
        }
    }
    /* the profile's count of non-missing values includes the categories it did not keep by name */
    int has_other = kept_values < f->count;
    if (feature_alloc(bf, kept + (size_t)has_other + 1) < 0) {
        free(rank);
        return -1;
    }
    for (size_t b = 0; b < kept; b++) {
        const struct profile_category *c = &f->cats[rank[b].index];
        bf->share[b] = (double)c->count / (double)f->count;
        if (!(bf->labels[b] = strdup(c->value))) {
            free(rank);
            return -1;
        }
    }
    free(rank);
    size_t b = kept;
    bf->other_bin = -1;
    if (has_other) {
        bf->other_bin = (long)b;
        bf->share[b] = (double)(f->count - kept_values) / (double)f->count;
        bf->labels[b++] = strdup(BIN_LABEL_OTHER);
    }
    bf->unseen_bin = (long)b;
    bf->share[b] = 0.0;
    bf->labels[b] = strdup(BIN_LABEL_UNSEEN);
    /* the folded categories' bin; a category the profile lists with no value (a hand-edited
     * profile) was never seen, like one it does not list */
    for (size_t i = 0; i < n; i++)
        if (bf->cat_bin[i] < 0)
            bf->cat_bin[i] = f->cats[i].count > 0 ? bf->other_bin : bf->unseen_bin;
    for (size_t i = 0; i < bf->nbins; i++)
        if (!bf->labels[i])
            return -1;
    return 0;
}

struct bin_layout *bin_layout_new(const struct profile *p, int bins)
{
    struct bin_layout *l = calloc(1, sizeof *l);
    if (!l || !(l->features = calloc(p->nfeatures ? p->nfeatures : 1, sizeof *l->features))) {
        free(l);
        return NULL;
    }
    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *f = &p->features[i];
        struct bin_feature *bf = &l->features[l->n++];
        bf->name = f->name;
        bf->type = f->type;
        uint64_t rows = f->count + f->missing;
        bf->missing_share = rows ? (double)f->missing / (double)rows : 0.0;
        bf->other_bin = bf->unseen_bin = -1;
        int rc = f->type == COL_NUMERIC ? numeric_layout(bf, f, bins) : categorical_layout(bf, f);
        if (rc < 0) {
            bin_layout_free(l);
            return NULL;
        }
    }
    return l;
}

void bin_layout_free(struct bin_layout *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        struct bin_feature *bf = &l->features[i];
        for (size_t b = 0; b < bf->nbins && bf->labels; b++)
            free(bf->labels[b]);
        free(bf->labels);
        free(bf->share);
        free(bf->edges);
        free(bf->cat_bin);
        catmap_free(bf->cats);
    }
    free(l->features);
    free(l);
}

/* number of edges <= x (numpy.searchsorted(edges, x, 'right')), as drift_bin_shares bins */
static size_t numeric_bin(const double *edges, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (edges[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void bin_count_window(const struct bin_feature *f, const struct column *col, uint64_t rows, double *counts,
                      double *missing)
{
    for (size_t b = 0; b < f->nbins; b++)
        counts[b] = 0;
    uint64_t usable = 0;
    if (col && f->type == COL_NUMERIC) {
        usable = col->nvalues;
        for (size_t i = 0; i < col->nvalues && f->nbins; i++)
            counts[numeric_bin(f->edges, f->nedges, col->values[i])]++;
    } else if (col) {
        usable = col->count;
        for (size_t i = 0; i < catmap_size(col->cats) && f->nbins; i++) {
            size_t len;
            const char *key = catmap_key(col->cats, i, &len);
            long entry = catmap_find(f->cats, key, len);
            /* a baseline category without a bin of its own (beyond the top ones, or a reserved text)
             * has "__other__" as its bin; one the baseline never had is in "__unseen__" */
            long b = entry >= 0 ? f->cat_bin[entry] : f->unseen_bin;
            counts[b] += (double)catmap_count(col->cats, i);
        }
    }
    /* a feature whose baseline had no values has no bins: its values count with nothing */
    *missing = (double)(rows - (usable <= rows ? usable : rows));
}
