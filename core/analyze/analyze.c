/* Drift decision layer: picks and runs the tests per feature (docs/statistics.md's auto rule, all, or a
 * list, with per-feature overrides), applies the p-value correction, the missing-share rule and
 * the dataset share. The statistics themselves are drift.h's. */
#include "analyze/analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/catmap.h"
#include "stats/drift.h"

/* Rounding slack for the >= comparisons of shares (0.3 - 0.2 is 0.09999999999999998). */
#define SHARE_EPS 1e-12
#define MAX_UNSEEN_REPORTED 20

static const char *const method_names[DM_COUNT] = {
    [DM_KS] = "ks",
    [DM_CRAMERVONMISES] = "cramervonmises",
    [DM_ANDERSON] = "anderson",
    [DM_WASSERSTEIN] = "wasserstein",
    [DM_WASSERSTEIN_NORMED] = "wasserstein_normed",
    [DM_PSI] = "psi",
    [DM_JENSENSHANNON] = "jensenshannon",
    [DM_HELLINGER] = "hellinger",
    [DM_CHISQUARE] = "chisquare",
    [DM_LINF] = "linf",
};

const char *drift_method_name(int m)
{
    return m >= 0 && m < DM_COUNT ? method_names[m] : NULL;
}

int drift_method_from_name(const char *name)
{
    for (int m = 0; m < DM_COUNT; m++)
        if (strcmp(name, method_names[m]) == 0)
            return m;
    return DM_NONE;
}

int drift_method_applies(int m, enum col_type t)
{
    switch (m) {
    case DM_KS:
    case DM_CRAMERVONMISES:
    case DM_ANDERSON:
    case DM_WASSERSTEIN:
    case DM_WASSERSTEIN_NORMED:
        return t == COL_NUMERIC;
    case DM_CHISQUARE:
    case DM_LINF:
        return t == COL_CATEGORICAL;
    case DM_PSI:
    case DM_JENSENSHANNON:
    case DM_HELLINGER:
        return 1;
    default:
        return 0;
    }
}

int drift_method_uses_p_value(int m)
{
    return m == DM_KS || m == DM_CRAMERVONMISES || m == DM_CHISQUARE;
}

double drift_method_default_threshold(int m)
{
    switch (m) {
    case DM_KS:
    case DM_CRAMERVONMISES:
    case DM_CHISQUARE:
        return 0.05;
    case DM_ANDERSON:
        /* scipy.stats.anderson_ksamp critical values for k = 2 samples: 0.325, 1.226, 1.961,
         * 2.718, 3.752, 4.592, 6.546 at 25/10/5/2.5/1/0.5/0.1%. statistic >= 1.961 is the same
         * decision as scipy's interpolated significance level < 0.05. */
        return 1.961;
    case DM_LINF:
        return 0.3;
    case DM_WASSERSTEIN:
        return NAN;
    default:
        return 0.1;
    }
}

/* ---- options ---- */

void analyze_options_init(struct analyze_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = METHODS_AUTO;
    o->correction = CORRECTION_FDR; /* none: half of same-distribution splits of 30 features warn */
    o->dataset_share = 0.5;
    o->missing_rise = 0.1;
    o->multivariate = MV_DEFAULT;
    quality_options_init(&o->quality);
}

void analyze_options_free(struct analyze_options *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->noverrides; i++)
        free(o->overrides[i].feature);
    free(o->overrides);
    o->overrides = NULL;
    o->noverrides = 0;
    quality_options_clear(&o->quality);
    perf_options_clear(&o->perf);
}

int analyze_options_set_methods(struct analyze_options *o, const char *spec, char *err, size_t errlen)
{
    if (!spec || strcmp(spec, "auto") == 0) {
        o->mode = METHODS_AUTO;
        o->nlist = 0;
        return 0;
    }
    if (strcmp(spec, "all") == 0) {
        o->mode = METHODS_ALL;
        o->nlist = 0;
        o->multivariate = MV_PCA_RECONSTRUCTION | MV_MMD; /* reported; only naming them makes them count */
        return 0;
    }
    int list[DM_COUNT];
    size_t n = 0;
    unsigned mv = 0;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name) {
            snprintf(err, errlen, "methods: empty or overlong name in '%s'", spec);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int m = drift_method_from_name(name);
        unsigned bit = multivariate_method_from_name(name);
        if (bit) {
            mv |= bit;
            p += len;
            if (*p == ',')
                p++;
            continue;
        }
        if (m == DM_NONE) {
            snprintf(err, errlen,
                     "methods: unknown method '%s' (known: auto, all, ks, cramervonmises, anderson, wasserstein, "
                     "wasserstein_normed, psi, jensenshannon, hellinger, chisquare, linf, pca_reconstruction, mmd)",
                     name);
            return -1;
        }
        int dup = 0;
        for (size_t i = 0; i < n; i++)
            dup |= list[i] == m;
        if (!dup)
            list[n++] = m;
        p += len;
        if (*p == ',')
            p++;
    }
    if (n == 0 && mv == 0) {
        snprintf(err, errlen, "methods: empty list");
        return -1;
    }
    if (mv) {
        o->multivariate = mv;
        o->multivariate_chosen = 1;
    }
    if (n == 0) {
        o->mode = METHODS_AUTO; /* only multivariate methods named: the auto rule per feature */
        o->nlist = 0;
        return 0;
    }
    o->mode = METHODS_LIST;
    memcpy(o->list, list, n * sizeof *list);
    o->nlist = n;
    return 0;
}

int analyze_options_set_correction(struct analyze_options *o, const char *name, char *err, size_t errlen)
{
    if (!name || strcmp(name, "none") == 0)
        o->correction = CORRECTION_NONE;
    else if (strcmp(name, "bonferroni") == 0)
        o->correction = CORRECTION_BONFERRONI;
    else if (strcmp(name, "fdr") == 0 || strcmp(name, "bh") == 0)
        o->correction = CORRECTION_FDR;
    else {
        snprintf(err, errlen, "correction: unknown '%s' (expected none, bonferroni or fdr)", name);
        return -1;
    }
    return 0;
}

int analyze_options_add_override(struct analyze_options *o, const char *feature, const char *method,
                                 double threshold, char *err, size_t errlen)
{
    int m = DM_NONE;
    if (method && strcmp(method, "auto") != 0) {
        m = drift_method_from_name(method);
        if (m == DM_NONE) {
            snprintf(err, errlen, "features.%s.method: unknown method '%s'", feature, method);
            return -1;
        }
    }
    if (!isnan(threshold) && !isfinite(threshold)) {
        snprintf(err, errlen, "features.%s.threshold: must be a finite number", feature);
        return -1;
    }
    struct analyze_override *ov = realloc(o->overrides, (o->noverrides + 1) * sizeof *ov);
    if (!ov) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    o->overrides = ov;
    char *name = strdup(feature);
    if (!name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ov[o->noverrides++] = (struct analyze_override){.feature = name, .method = m, .threshold = threshold};
    return 0;
}

unsigned multivariate_method_from_name(const char *name)
{
    if (strcmp(name, "pca_reconstruction") == 0)
        return MV_PCA_RECONSTRUCTION;
    if (strcmp(name, "mmd") == 0)
        return MV_MMD;
    return 0;
}

int analyze_options_set_multivariate(struct analyze_options *o, const char *const *names, size_t n, char *err,
                                     size_t errlen)
{
    unsigned mv = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned bit = multivariate_method_from_name(names[i]);
        if (!bit) {
            snprintf(err, errlen, "multivariate: unknown method '%s' (known: pca_reconstruction, mmd)", names[i]);
            return -1;
        }
        mv |= bit;
    }
    o->multivariate = mv;
    o->multivariate_chosen = 1;
    return 0;
}

/* ---- per-feature analysis ---- */

static const struct analyze_override *find_override(const struct analyze_options *o, const char *name)
{
    for (size_t i = 0; i < o->noverrides; i++)
        if (strcmp(o->overrides[i].feature, name) == 0)
            return &o->overrides[i];
    return NULL;
}

/* docs/statistics.md's auto rule on the tested type and the baseline size |R|. */
static int auto_method(enum col_type tested_as, uint64_t baseline_count)
{
    if (tested_as == COL_NUMERIC)
        return baseline_count <= 1000 ? DM_KS : DM_WASSERSTEIN_NORMED;
    return baseline_count <= 1000 ? DM_CHISQUARE : DM_JENSENSHANNON;
}

/* Distinct values of two sorted arrays together, counting up to cap. */
static size_t distinct_union(const double *a, size_t na, const double *b, size_t nb, size_t cap)
{
    size_t i = 0, j = 0, u = 0;
    while ((i < na || j < nb) && u < cap) {
        double v;
        if (j >= nb || (i < na && a[i] <= b[j]))
            v = a[i];
        else
            v = b[j];
        while (i < na && a[i] == v)
            i++;
        while (j < nb && b[j] == v)
            j++;
        u++;
    }
    return u;
}

/* Counts of a sorted array's values in the sorted distinct list vals[0..k). */
static void count_values(const double *x, size_t n, const double *vals, size_t k, double *counts)
{
    size_t j = 0;
    for (size_t i = 0; i < k; i++)
        counts[i] = 0;
    for (size_t i = 0; i < n; i++) {
        while (j < k && vals[j] < x[i])
            j++;
        if (j < k && vals[j] == x[i])
            counts[j]++;
    }
}

static double pop_std(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (double)n);
}

static void set_result(struct test_result *t, int ok, const struct drift_result *r)
{
    t->ran = ok;
    t->statistic = ok ? r->statistic : NAN;
    t->p_value = ok ? r->p_value : NAN;
}

/* Binned distances over two share vectors. */
static void run_shares(int m, const double *p, const double *q, size_t k, struct test_result *t)
{
    double s = NAN;
    switch (m) {
    case DM_PSI: s = drift_psi(p, q, k); break;
    case DM_JENSENSHANNON: s = drift_jensenshannon(p, q, k); break;
    case DM_HELLINGER: s = drift_hellinger(p, q, k); break;
    case DM_LINF: s = drift_linf(p, q, k); break;
    default: return;
    }
    t->ran = 1;
    t->statistic = s;
    t->p_value = NAN;
}

/* Numeric test m on sorted finite samples r (n) and c (m). Returns -1 when out of memory. */
static int run_numeric(int m, const double *r, size_t n, const double *c, size_t nc, int bins,
                       struct test_result *t)
{
    struct drift_result res = {NAN, NAN};
    t->ran = 0;
    t->statistic = t->p_value = NAN;
    if (n == 0 || nc == 0)
        return 0;
    switch (m) {
    case DM_KS: set_result(t, drift_ks(r, n, c, nc, &res) == 0, &res); return 0;
    case DM_CRAMERVONMISES: set_result(t, drift_cramervonmises(r, n, c, nc, &res) == 0, &res); return 0;
    case DM_ANDERSON: set_result(t, drift_anderson(r, n, c, nc, &res) == 0, &res); return 0;
    case DM_WASSERSTEIN: set_result(t, drift_wasserstein(r, n, c, nc, &res) == 0, &res); return 0;
    case DM_WASSERSTEIN_NORMED:
        set_result(t, drift_wasserstein_normed(r, n, c, nc, &res) == 0, &res);
        return 0;
    case DM_PSI:
    case DM_JENSENSHANNON:
    case DM_HELLINGER: {
        double *edges = malloc((size_t)bins * sizeof *edges);
        double *p = malloc(((size_t)bins + 1) * sizeof *p);
        double *q = malloc(((size_t)bins + 1) * sizeof *q);
        if (!edges || !p || !q) {
            free(edges);
            free(p);
            free(q);
            return -1;
        }
        size_t ne = drift_quantile_edges(r, n, bins, edges);
        drift_bin_shares(r, n, edges, ne, p);
        drift_bin_shares(c, nc, edges, ne, q);
        run_shares(m, p, q, ne + 1, t);
        free(edges);
        free(p);
        free(q);
        return 0;
    }
    default:
        return 0;
    }
}

/* Categorical test m on the 2 x k count table (every category has a count in r or c). */
static int run_categorical(int m, const double *r, const double *c, size_t k, struct test_result *t)
{
    t->ran = 0;
    t->statistic = t->p_value = NAN;
    double sr = 0, sc = 0;
    for (size_t i = 0; i < k; i++) {
        sr += r[i];
        sc += c[i];
    }
    if (k == 0 || sr <= 0 || sc <= 0)
        return 0;
    if (m == DM_CHISQUARE) {
        if (k < 2) {
            /* one category: the table has no degrees of freedom; scipy's chi2_contingency
             * returns statistic 0 and p-value 1 there */
            t->ran = 1;
            t->statistic = 0.0;
            t->p_value = 1.0;
            return 0;
        }
        struct drift_result res = {NAN, NAN};
        set_result(t, drift_chisquare(r, c, k, &res) == 0, &res);
        return 0;
    }
    double *p = malloc(k * sizeof *p), *q = malloc(k * sizeof *q);
    if (!p || !q) {
        free(p);
        free(q);
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        p[i] = r[i] / sr;
        q[i] = c[i] / sc;
    }
    run_shares(m, p, q, k, t);
    free(p);
    free(q);
    return 0;
}

/* docs/statistics.md "Summary": the SUMMARY_TOP_CATEGORIES categories with the largest share on
 * either side (ties: table order), largest first. keys/lens name the k rows of the count table. */
static int top_categories(struct feature_verdict *fv, const char *const *keys, const size_t *lens, const double *r,
                          const double *c, size_t k, double rtotal, double ctotal)
{
    fv->top = calloc(SUMMARY_TOP_CATEGORIES, sizeof *fv->top);
    if (!fv->top)
        return -1;
    size_t idx[SUMMARY_TOP_CATEGORIES];
    double key[SUMMARY_TOP_CATEGORIES];
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        double pb = rtotal > 0 ? r[i] / rtotal : 0, pc = ctotal > 0 ? c[i] / ctotal : 0;
        double m = fmax(pb, pc);
        if (!(m > 0))
            continue;
        size_t pos = n;
        while (pos > 0 && key[pos - 1] < m)
            pos--;
        if (pos >= SUMMARY_TOP_CATEGORIES)
            continue;
        size_t last = n < SUMMARY_TOP_CATEGORIES ? n : SUMMARY_TOP_CATEGORIES - 1;
        memmove(&idx[pos + 1], &idx[pos], (last - pos) * sizeof *idx);
        memmove(&key[pos + 1], &key[pos], (last - pos) * sizeof *key);
        idx[pos] = i;
        key[pos] = m;
        if (n < SUMMARY_TOP_CATEGORIES)
            n++;
    }
    for (size_t j = 0; j < n; j++) {
        size_t i = idx[j];
        fv->top[j].value = strndup(keys[i], lens[i]);
        if (!fv->top[j].value)
            return -1; /* verdict_free releases the ones made */
        fv->top[j].baseline = rtotal > 0 ? r[i] / rtotal : 0;
        fv->top[j].current = ctotal > 0 ? c[i] / ctotal : 0;
        fv->ntop = j + 1;
    }
    return 0;
}

/* The count table of a categorical feature: baseline categories in profile order, then the
 * window's unseen ones in window order; unseen categories are also listed in fv. */
static int categorical_table(const struct profile_feature *f, const struct column *col, struct feature_verdict *fv,
                             double **r_out, double **c_out, size_t *k_out)
{
    size_t nwin = col ? catmap_size(col->cats) : 0;
    size_t cap = f->ncats + nwin;
    double *r = calloc(cap ? cap : 1, sizeof *r), *c = calloc(cap ? cap : 1, sizeof *c);
    struct catmap *base = catmap_new(0);
    struct unseen_category *unseen = NULL;
    const char **keys = malloc((cap ? cap : 1) * sizeof *keys);
    size_t *lens = malloc((cap ? cap : 1) * sizeof *lens);
    if (!r || !c || !base || !keys || !lens)
        goto nomem;
    size_t k = 0;
    for (size_t i = 0; i < f->ncats; i++) {
        if (catmap_add(base, f->cats[i].value, strlen(f->cats[i].value), 1) < 0)
            goto nomem;
        keys[k] = f->cats[i].value;
        lens[k] = strlen(f->cats[i].value);
        r[k++] = (double)f->cats[i].count;
    }
    size_t nunseen = 0;
    for (size_t i = 0; i < nwin; i++) {
        size_t len;
        const char *key = catmap_key(col->cats, i, &len);
        uint64_t cnt = catmap_count(col->cats, i);
        long b = catmap_find(base, key, len);
        if (b >= 0) {
            c[b] += (double)cnt;
            continue;
        }
        keys[k] = key;
        lens[k] = len;
        r[k] = 0;
        c[k++] = (double)cnt;
        fv->unseen_values += cnt;
        fv->unseen_distinct++;
        /* keep the MAX_UNSEEN_REPORTED biggest, by insertion into a small sorted array */
        if (!unseen) {
            unseen = calloc(MAX_UNSEEN_REPORTED, sizeof *unseen);
            if (!unseen)
                goto nomem;
        }
        size_t pos = nunseen;
        while (pos > 0 && unseen[pos - 1].count < cnt)
            pos--;
        if (pos >= MAX_UNSEEN_REPORTED)
            continue;
        char *v = strndup(key, len);
        if (!v)
            goto nomem;
        if (nunseen == MAX_UNSEEN_REPORTED) {
            free(unseen[MAX_UNSEEN_REPORTED - 1].value);
            nunseen--;
        }
        memmove(&unseen[pos + 1], &unseen[pos], (nunseen - pos) * sizeof *unseen);
        unseen[pos] = (struct unseen_category){.value = v, .count = cnt};
        nunseen++;
    }
    if (top_categories(fv, keys, lens, r, c, k, (double)f->count, col ? (double)col->count : 0) < 0)
        goto nomem;
    free(keys);
    free(lens);
    keys = NULL;
    lens = NULL;
    /* drop categories with no values on either side (a hand-edited profile) */
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (r[i] > 0 || c[i] > 0) {
            r[w] = r[i];
            c[w] = c[i];
            w++;
        }
    }
    catmap_free(base);
    fv->unseen = unseen;
    fv->nunseen = nunseen;
    *r_out = r;
    *c_out = c;
    *k_out = w;
    return 0;
nomem:
    if (unseen)
        for (size_t i = 0; i < MAX_UNSEEN_REPORTED; i++)
            free(unseen[i].value);
    free(unseen);
    free(keys);
    free(lens);
    free(r);
    free(c);
    catmap_free(base);
    return -1;
}

static void add_test(struct feature_verdict *fv, int m)
{
    if (m >= 0)
        fv->tests_mask |= 1u << m;
}

/* Which tests run and which decides. tested_as may be switched to categorical by the auto rule. */
static void choose_methods(const struct analyze_options *o, const struct analyze_override *ov,
                           const struct profile_feature *f, size_t distinct, struct feature_verdict *fv)
{
    fv->tested_as = f->type;
    int forced = ov && ov->method != DM_NONE;
    if (forced) {
        fv->method = ov->method;
        /* a categorical test on a numeric feature compares its values as categories */
        if (f->type == COL_NUMERIC && !drift_method_applies(ov->method, COL_NUMERIC))
            fv->tested_as = COL_CATEGORICAL;
    } else {
        if (f->type == COL_NUMERIC && o->mode != METHODS_LIST && distinct >= 1 && distinct <= 5)
            fv->tested_as = COL_CATEGORICAL; /* the auto rule: few distinct values are categories */
        fv->method = auto_method(fv->tested_as, f->count);
        if (o->mode == METHODS_LIST) {
            for (size_t i = 0; i < o->nlist; i++) {
                if (drift_method_applies(o->list[i], f->type)) {
                    fv->method = o->list[i];
                    break;
                }
            }
        }
    }
    add_test(fv, fv->method);
    if (o->mode == METHODS_ALL) {
        for (int m = 0; m < DM_COUNT; m++) {
            if (drift_method_applies(m, f->type) ||
                (fv->tested_as == COL_CATEGORICAL && drift_method_applies(m, COL_CATEGORICAL)))
                add_test(fv, m);
        }
    } else if (o->mode == METHODS_LIST) {
        for (size_t i = 0; i < o->nlist; i++)
            if (drift_method_applies(o->list[i], f->type) ||
                (fv->tested_as == COL_CATEGORICAL && drift_method_applies(o->list[i], COL_CATEGORICAL)))
                add_test(fv, o->list[i]);
    }
}

static int analyze_numeric(const struct analyze_options *o, const struct analyze_override *ov,
                           const struct profile_feature *f, const struct column *col, int bins,
                           struct feature_verdict *fv)
{
    const double *r = f->sample;
    size_t n = f->nsample;
    size_t nc = col ? col->nvalues : 0;
    double *c = NULL;
    double *vals = NULL, *cr = NULL, *cc = NULL;
    int rc = -1;
    if (nc) {
        c = malloc(nc * sizeof *c);
        if (!c)
            return -1;
        memcpy(c, col->values, nc * sizeof *c);
        if (drift_sort(c, nc) < 0)
            goto out;
    }
    if (f->count > 0 && n > 0) {
        /* the baseline's moments are the whole training file's; its percentiles, the sample's */
        fv->baseline_summary = (struct numeric_summary){1, f->mean, f->std, drift_percentile(r, n, 5),
                                                        drift_percentile(r, n, 50), drift_percentile(r, n, 95)};
    }
    if (nc > 0) {
        struct numeric_summary *ws = &fv->window_summary;
        ws->ok = 1;
        drift_mean_std(c, nc, &ws->mean, &ws->std);
        ws->p5 = drift_percentile(c, nc, 5);
        ws->p50 = drift_percentile(c, nc, 50);
        ws->p95 = drift_percentile(c, nc, 95);
    }
    size_t distinct = distinct_union(r, n, c, nc, 6);
    size_t u = 0;
    choose_methods(o, ov, f, distinct, fv);
    if (fv->tested_as == COL_CATEGORICAL) {
        /* values as categories: the distinct values of R and C together */
        u = distinct_union(r, n, c, nc, SIZE_MAX);
        vals = malloc((u ? u : 1) * sizeof *vals);
        cr = malloc((u ? u : 1) * sizeof *cr);
        cc = malloc((u ? u : 1) * sizeof *cc);
        if (!vals || !cr || !cc)
            goto out;
        size_t i = 0, j = 0, k = 0;
        while (i < n || j < nc) {
            double v = (j >= nc || (i < n && r[i] <= c[j])) ? r[i] : c[j];
            vals[k++] = v;
            while (i < n && r[i] == v)
                i++;
            while (j < nc && c[j] == v)
                j++;
        }
        count_values(r, n, vals, u, cr);
        count_values(c, nc, vals, u, cc);
    }
    for (int m = 0; m < DM_COUNT; m++) {
        if (!(fv->tests_mask & (1u << m)))
            continue;
        int e;
        if (fv->tested_as == COL_CATEGORICAL && drift_method_applies(m, COL_CATEGORICAL))
            e = run_categorical(m, cr, cc, u, &fv->tests[m]);
        else
            e = run_numeric(m, r, n, c, nc, bins, &fv->tests[m]);
        if (e < 0)
            goto out;
    }
    if (fv->method == DM_WASSERSTEIN && isnan(fv->threshold))
        fv->threshold = 0.1 * fmax(pop_std(r, n), 0.001);
    rc = 0;
out:
    free(c);
    free(vals);
    free(cr);
    free(cc);
    return rc;
}

static int analyze_categorical(const struct analyze_options *o, const struct analyze_override *ov,
                               const struct profile_feature *f, const struct column *col, struct feature_verdict *fv)
{
    if (ov && ov->method != DM_NONE && !drift_method_applies(ov->method, COL_CATEGORICAL)) {
        /* a numeric-only test asked of a categorical feature: ignored, the auto rule applies */
        struct analyze_override plain = *ov;
        plain.method = DM_NONE;
        choose_methods(o, &plain, f, 0, fv);
        fv->note = "the configured method does not apply to categorical features; used the auto rule";
    } else {
        choose_methods(o, ov, f, 0, fv);
    }
    double *r = NULL, *c = NULL;
    size_t k = 0;
    if (categorical_table(f, col, fv, &r, &c, &k) < 0)
        return -1;
    int rc = 0;
    for (int m = 0; m < DM_COUNT && rc == 0; m++) {
        if (fv->tests_mask & (1u << m))
            rc = run_categorical(m, r, c, k, &fv->tests[m]);
    }
    free(r);
    free(c);
    return rc;
}

static int cmp_pidx(const void *a, const void *b)
{
    const double *x = *(const double *const *)a, *y = *(const double *const *)b;
    return (*x > *y) - (*x < *y);
}

/* Bonferroni: p * m. Benjamini-Hochberg: with p sorted ascending, p_(i) * m / i made monotone
 * from the largest rank down (the step-up procedure's adjusted p-values, as
 * statsmodels.stats.multitest.multipletests(method='fdr_bh') computes them); capped at 1. */
static int correct_p_values(struct verdict *v, enum drift_correction corr)
{
    size_t m = 0;
    for (size_t i = 0; i < v->n; i++) {
        struct feature_verdict *fv = &v->features[i];
        fv->p_adjusted = fv->p_value;
        if (drift_method_uses_p_value(fv->method) && !isnan(fv->p_value))
            m++;
    }
    if (corr == CORRECTION_NONE || m == 0)
        return 0;
    double **ps = malloc(m * sizeof *ps);
    if (!ps)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < v->n; i++) {
        struct feature_verdict *fv = &v->features[i];
        if (drift_method_uses_p_value(fv->method) && !isnan(fv->p_value))
            ps[k++] = &fv->p_adjusted;
    }
    if (corr == CORRECTION_BONFERRONI) {
        for (size_t i = 0; i < m; i++)
            *ps[i] = fmin(1.0, *ps[i] * (double)m);
    } else {
        qsort(ps, m, sizeof *ps, cmp_pidx);
        double run = 1.0;
        for (size_t i = m; i-- > 0;) {
            double adj = *ps[i] * (double)m / (double)(i + 1);
            if (adj < run)
                run = adj;
            *ps[i] = run;
        }
    }
    free(ps);
    return 0;
}

static void decide(struct feature_verdict *fv, double missing_rise)
{
    const struct test_result *t = &fv->tests[fv->method];
    if (drift_method_uses_p_value(fv->method))
        fv->drift_statistic = t->ran && !isnan(fv->p_adjusted) && fv->p_adjusted < fv->threshold;
    else
        fv->drift_statistic = t->ran && !isnan(t->statistic) && t->statistic >= fv->threshold;
    fv->drift_missing = fv->missing_share - fv->baseline_missing_share >= missing_rise - SHARE_EPS;
    fv->drift = fv->drift_statistic || fv->drift_missing;
}

void verdict_free(struct verdict *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        struct feature_verdict *fv = &v->features[i];
        free(fv->name);
        for (size_t k = 0; k < fv->nunseen; k++)
            free(fv->unseen[k].value);
        free(fv->unseen);
        for (size_t k = 0; k < fv->ntop; k++)
            free(fv->top[k].value);
        free(fv->top);
    }
    schema_report_clear(&v->schema);
    correlated_groups_clear(&v->correlated);
    free(v->features);
    free(v->model);
    free(v->window_from);
    free(v->window_to);
    json_decref(v->baseline);
    perf_report_free(v->performance);
    free(v);
}

int verdict_set_model(struct verdict *v, const char *model)
{
    char *m = strdup(model ? model : "default");
    if (!m)
        return -1;
    free(v->model);
    v->model = m;
    return 0;
}

int verdict_counts_feature(const struct verdict *v, const struct feature_verdict *fv)
{
    /* analyze_window's count: a missing column is left out only under missing_columns: error,
     * which is exactly when the verdict has a schema error */
    return fv->role == ROLE_FEATURE && !(fv->missing_column && v->schema_error);
}

int verdict_exit_code(const struct verdict *v)
{
    if (v->schema_error)
        return VERDICT_EXIT_SCHEMA_ERROR;
    if (v->dataset_drift || (v->multivariate_drift && v->multivariate_counts))
        return 2;
    int perf_alerts = v->performance && (v->performance->alerts || v->performance->estimated_alerts ||
                                         v->performance->fairness_alerts);
    return v->drifted > 0 || v->role_drift || perf_alerts ? 1 : 0;
}

int analyze_bins(const struct analyze_options *o, const struct profile *p)
{
    int bins = o && o->bins > 0 ? o->bins : p->bins;
    return bins < 2 ? PROFILE_DEFAULT_BINS : bins;
}

int analyze_window(const struct profile *p, const struct columns *w, const struct analyze_options *o,
                   struct verdict **out, char *err, size_t errlen)
{
    *out = NULL;
    struct analyze_options defaults;
    analyze_options_init(&defaults);
    if (!o)
        o = &defaults;
    if (p->nfeatures == 0) {
        snprintf(err, errlen, "the baseline profile has no features");
        return -1;
    }
    if (w->rows == 0) {
        snprintf(err, errlen, "the window has no rows");
        return -1;
    }
    int bins = analyze_bins(o, p);
    struct verdict *v = calloc(1, sizeof *v);
    if (!v)
        goto nomem;
    v->features = calloc(p->nfeatures, sizeof *v->features);
    v->baseline = json_deep_copy(p->source);
    if (!v->features || !v->baseline || verdict_set_model(v, NULL) < 0)
        goto nomem;
    if (p->created_at && json_object_set_new(v->baseline, "created_at", json_string(p->created_at)) < 0)
        goto nomem;
    v->window_rows = w->rows;
    v->dataset_share = o->dataset_share;
    v->mode = o->mode;
    v->correction = o->correction;
    if (o->mode == METHODS_LIST) {
        size_t n = 0;
        for (size_t i = 0; i < o->nlist && n < sizeof v->methods; i++)
            n += (size_t)snprintf(v->methods + n, sizeof v->methods - n, "%s%s", i ? "," : "",
                                  drift_method_name(o->list[i]));
    } else {
        snprintf(v->methods, sizeof v->methods, "%s", o->mode == METHODS_ALL ? "all" : "auto");
    }
    v->window_from = w->ts_from ? strdup(w->ts_from) : NULL;
    v->window_to = w->ts_to ? strdup(w->ts_to) : NULL;
    if ((w->ts_from && !v->window_from) || (w->ts_to && !v->window_to))
        goto nomem;

    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *f = &p->features[i];
        int idx = columns_find(w, f->name);
        const struct column *col = idx >= 0 ? &w->cols[idx] : NULL;
        /* a target/prediction the window does not carry (labels arrive late) is left out */
        if (f->role != ROLE_FEATURE && (!col || (col->count == 0 && col->invalid == 0)))
            continue;
        if (col && col->type != f->type) {
            snprintf(err, errlen, "feature '%s': the window holds it as %s, the baseline as %s", f->name,
                     col_type_name(col->type), col_type_name(f->type));
            goto fail;
        }
        struct feature_verdict *fv = &v->features[v->n++];
        fv->name = strdup(f->name);
        if (!fv->name)
            goto nomem;
        fv->type = f->type;
        fv->role = f->role;
        fv->baseline_count = f->count;
        fv->count = col ? col->count : 0;
        fv->invalid = col ? col->invalid : 0;
        fv->missing_share = col ? columns_missing_share(w, idx) : 1.0;
        uint64_t brows = f->count + f->missing;
        fv->baseline_missing_share = brows ? (double)f->missing / (double)brows : 0.0;
        for (int m = 0; m < DM_COUNT; m++)
            fv->tests[m] = (struct test_result){0, NAN, NAN};
        const struct analyze_override *ov = find_override(o, f->name);
        fv->threshold = NAN;
        int e = f->type == COL_NUMERIC ? analyze_numeric(o, ov, f, col, bins, fv)
                                       : analyze_categorical(o, ov, f, col, fv);
        if (e < 0)
            goto nomem;
        fv->statistic = fv->tests[fv->method].statistic;
        fv->p_value = fv->tests[fv->method].p_value;
        if (ov && !isnan(ov->threshold))
            fv->threshold = ov->threshold;
        else if (isnan(fv->threshold))
            fv->threshold = drift_method_default_threshold(fv->method);
        fv->missing_column = f->role == ROLE_FEATURE && quality_column_missing(col, w->rows);
        double limits[QP_COUNT];
        quality_limits_for(&o->quality, f->name, limits);
        quality_feature(f, col, w->rows, fv->unseen_values, limits, &fv->quality);
        if (fv->missing_column)
            fv->note = "absent from the window";
        else if (fv->count == 0)
            fv->note = "no usable values in the window";
        else if (f->count == 0)
            fv->note = "no values in the baseline";
    }
    if (correct_p_values(v, o->correction) < 0)
        goto nomem;
    for (size_t i = 0; i < v->n; i++) {
        struct feature_verdict *fv = &v->features[i];
        for (int q = 0; q < QP_COUNT; q++)
            v->quality_alerts += (fv->quality.alerts >> q) & 1u;
        if (fv->missing_column && !o->quality.missing_columns_warn)
            continue; /* a schema error, not "100% missing" drift: not tested, not counted */
        decide(fv, o->missing_rise);
        if (fv->role != ROLE_FEATURE) {
            v->role_drift |= fv->drift;
            continue;
        }
        v->nfeatures++;
        if (fv->drift)
            v->drifted++;
    }
    v->drift_share = v->nfeatures ? (double)v->drifted / (double)v->nfeatures : 0.0;
    v->dataset_drift = v->nfeatures > 0 && v->drift_share >= o->dataset_share - SHARE_EPS;
    int mv_drift = analyze_multivariate(p, w, o->multivariate, o->seed ? o->seed : p->seed, o->pca_reference,
                                        &v->pca, &v->mmd);
    if (mv_drift < 0)
        goto nomem;
    v->multivariate_drift = mv_drift;
    v->multivariate_counts = o->multivariate_chosen;
    if (correlated_groups_find(p, &v->correlated) < 0)
        goto nomem;
    if (quality_schema(p, w, &v->schema) < 0)
        goto nomem;
    v->schema_error = v->schema.nmissing > 0 && !o->quality.missing_columns_warn;
    *out = v;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory analyzing the window");
fail:
    verdict_free(v);
    return -1;
}
