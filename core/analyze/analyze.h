/* The drift decision layer: a baseline profile and a window of current data (a column table from
 * a file or the live sidecar) in, a verdict out — which test ran per feature, its statistic,
 * p-value and threshold, whether the feature drifted, and whether the dataset did (docs/statistics.md).
 * Also the renderings of a verdict (json, text, nagios, prom, HTML report) and the one-shot check
 * of a data file that `driftwatch check` and the config-driven path share. */
#ifndef DW_DRIFT_ANALYZE_H
#define DW_DRIFT_ANALYZE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/profile.h"
#include "analyze/analyze_multivariate.h"
#include "analyze/correlated.h"
#include "analyze/perf_table.h"
#include "analyze/quality.h"
#include "util/strbuf.h"

/* ---- methods ---- */

enum drift_method {
    DM_KS,
    DM_CRAMERVONMISES,
    DM_ANDERSON,
    DM_WASSERSTEIN,
    DM_WASSERSTEIN_NORMED,
    DM_PSI,
    DM_JENSENSHANNON,
    DM_HELLINGER,
    DM_CHISQUARE,
    DM_LINF,
    DM_COUNT
};
#define DM_NONE (-1)

/* "ks", "cramervonmises", ... (docs/statistics.md names); NULL for an invalid id. */
const char *drift_method_name(int m);
/* Method id for a name, or DM_NONE. */
int drift_method_from_name(const char *name);
/* 1 when m applies to features of type t (psi, jensenshannon, hellinger apply to both). */
int drift_method_applies(int m, enum col_type t);
/* 1 when m decides on its p-value (drift when p < threshold): ks, cramervonmises, chisquare.
 * The others decide on the statistic (drift when statistic >= threshold). */
int drift_method_uses_p_value(int m);
/* Default threshold: 0.05 for p-value methods; 0.1 for wasserstein_normed, psi, jensenshannon,
 * hellinger; 0.3 for linf (Vertex AI's default); 1.961 for anderson (the 5% critical value of
 * the 2-sample statistic, scipy's table); wasserstein (raw) uses 0.1 * max(std(R), 0.001), i.e.
 * the same decision as wasserstein_normed (NAN here: it depends on the baseline). */
double drift_method_default_threshold(int m);

/* ---- options ---- */

enum methods_mode {
    METHODS_AUTO, /* docs/statistics.md's rule picks one test per feature */
    METHODS_ALL,  /* the auto test decides; every applicable test is reported in "tests" */
    METHODS_LIST  /* the first listed test that applies decides; the listed ones are reported */
};

enum drift_correction { CORRECTION_NONE, CORRECTION_BONFERRONI, CORRECTION_FDR };

/* "pca_reconstruction" | "mmd" -> its bit, or 0. */
unsigned multivariate_method_from_name(const char *name);

struct analyze_override {
    char *feature;
    int method;       /* DM_NONE: the model's methods */
    double threshold; /* NAN: the method's default */
};

struct analyze_options {
    enum methods_mode mode;
    int list[DM_COUNT]; /* METHODS_LIST: methods in the order given */
    size_t nlist;
    enum drift_correction correction;
    double dataset_share; /* dataset drift when the drifted share >= this (default 0.5) */
    double missing_rise;  /* a feature drifts when its missing share rises by >= this (default 0.1) */
    int bins;             /* quantile bins; 0 = the profile's settings.bins */
    struct analyze_override *overrides; /* owned; analyze_options_free releases them */
    size_t noverrides;
    unsigned multivariate; /* MV_* bits to run (default MV_DEFAULT: pca_reconstruction) */
    int multivariate_chosen; /* the methods were named (--methods pca_reconstruction,mmd, config
                                drift.multivariate): their drift then sets the exit code to 2 */
    uint64_t seed;         /* the mmd permutations' seed; 0: the profile's settings.seed */
    struct pca_reference *pca_reference; /* borrowed: the baseline's kept PCA fit (the agent's shared
                                            baselines); NULL: pca_reconstruction fits at each check */
    struct quality_options quality; /* data quality thresholds and the missing-column rule (docs/statistics.md) */
    struct perf_options perf; /* model performance and bias: metrics and protected attributes (owned) */
};

void analyze_options_init(struct analyze_options *o);
/* The number of quantile bins of the binned methods: o->bins, else the profile's, else the default. */
int analyze_bins(const struct analyze_options *o, const struct profile *p);
void analyze_options_free(struct analyze_options *o);
/* "auto", "all" or a comma list of method names. Returns 0 or -1 with err naming the bad name.
 * "all" also runs every multivariate method (reported, not counted in the exit code); a list
 * naming pca_reconstruction or mmd runs exactly the multivariate ones it names and makes their
 * drift count (multivariate_chosen; a list of only those keeps the auto rule per feature);
 * auto and a list without them keep o->multivariate as it is. */
int analyze_options_set_methods(struct analyze_options *o, const char *spec, char *err, size_t errlen);
/* "none", "bonferroni" or "fdr" (Benjamini-Hochberg). Returns 0 or -1 with err. */
int analyze_options_set_correction(struct analyze_options *o, const char *name, char *err, size_t errlen);
/* Per-feature method (NULL: keep the model's) and threshold (NAN: the method's default), e.g. from
 * config `drift.features: {amount: {method: psi, threshold: 0.2}}`. Returns 0 or -1 with err. */
int analyze_options_add_override(struct analyze_options *o, const char *feature, const char *method,
                                 double threshold, char *err, size_t errlen);
/* Config `drift.multivariate: [pca_reconstruction, mmd]`: exactly these (an empty list: none).
 * Returns 0 or -1 with err naming the bad name. */
int analyze_options_set_multivariate(struct analyze_options *o, const char *const *names, size_t n, char *err,
                                     size_t errlen);

/* ---- verdict ---- */

struct test_result {
    int ran;          /* 0: the test could not run (an empty sample) */
    double statistic; /* NAN when not ran */
    double p_value;   /* NAN for methods without one */
};

struct unseen_category {
    char *value;
    uint64_t count;
};

/* docs/statistics.md "Summary": a numeric sample's magnitude. ok = 0 when it has no values. */
struct numeric_summary {
    int ok;
    double mean, std;     /* numpy.mean, numpy.std (ddof 0) */
    double p5, p50, p95;  /* numpy.percentile, linear interpolation */
};

/* A category's share of the usable values in the baseline and in the window. */
struct category_share {
    char *value;
    double baseline, current;
};
#define SUMMARY_TOP_CATEGORIES 5

struct feature_verdict {
    char *name;
    enum col_type type;      /* the baseline's type */
    enum col_type tested_as; /* categorical for a numeric feature with <= 5 distinct values under auto */
    enum col_role role;      /* target/prediction features do not count towards dataset drift */
    int method;              /* the deciding test */
    double threshold;
    double statistic, p_value; /* of the deciding test; NAN when it could not run or has no p-value */
    double p_adjusted;       /* after the correction (= p_value with none) */
    int drift;               /* drift_statistic || drift_missing */
    int drift_statistic;
    int drift_missing;
    double missing_share;          /* of the window: (missing + invalid) / rows */
    double baseline_missing_share;
    uint64_t count;                /* usable values in the window */
    uint64_t invalid;              /* unusable values in the window (text in a numeric column, Inf) */
    uint64_t baseline_count;
    struct test_result tests[DM_COUNT];
    unsigned tests_mask;           /* bit m set: tests[m] is reported */
    struct unseen_category *unseen; /* window categories absent from the baseline, by count (at most 20) */
    size_t nunseen;
    uint64_t unseen_values;        /* window values in unseen categories (all of them) */
    size_t unseen_distinct;
    const char *note;              /* why a test did not run, or NULL */
    struct feature_quality quality; /* docs/statistics.md's shares and their alerts */
    struct numeric_summary baseline_summary, window_summary; /* numeric features */
    struct category_share *top;    /* categorical: at most SUMMARY_TOP_CATEGORIES categories by the
                                      larger of their two shares, largest first */
    size_t ntop;
    int missing_column;            /* the data does not carry the column (see quality_column_missing);
                                      under missing_columns: error the feature is not tested and not
                                      counted in n_features */
};

struct verdict {
    char *model;
    int dataset_drift;
    double drift_share;
    size_t drifted;         /* drifted features (roles excluded) */
    size_t nfeatures;       /* features counted (roles excluded) */
    int role_drift;         /* a target/prediction column drifted */
    double dataset_share;   /* the threshold used */
    struct feature_verdict *features; /* in profile order */
    size_t n;
    json_t *baseline;       /* the profile's source object plus created_at (owned) */
    uint64_t window_rows;
    char *window_from, *window_to; /* earliest/latest sample timestamp, or NULL */
    struct mv_pca_verdict pca;
    struct mv_mmd_verdict mmd;
    int multivariate_drift; /* pca.drift || mmd.drift */
    int multivariate_counts; /* the methods were chosen, not the default: their drift counts like
                                dataset drift for the exit code (2) and the status lines */
    enum methods_mode mode;
    char methods[192];      /* "auto", "all" or the list as given ("psi,ks") */
    enum drift_correction correction;
    struct correlated_groups correlated; /* the baseline's strongly correlated features */
    struct schema_report schema; /* missing and unexpected columns (docs/statistics.md) */
    int schema_error;       /* a missing column under missing_columns: error: the check could not run
                               as asked (exit 3), its verdict is still reported */
    size_t quality_alerts;  /* feature quality shares above their thresholds, all features together */
    struct perf_report *performance; /* realized performance and bias (a profile with a quality
                                        section and a window with its columns), or NULL */
};

/* Runs the methods on every profile feature over window w (a table from columns_new_for_profile,
 * or any table whose columns are named and typed like the profile's). w is not modified.
 * Defined edge cases: a feature with no values in the window or the baseline gets no test (note
 * says why) and can still drift on its missing share; a window without rows is an error.
 * Returns 0 with *out, or -1 with err. */
int analyze_window(const struct profile *p, const struct columns *w, const struct analyze_options *o,
                   struct verdict **out, char *err, size_t errlen);
void verdict_free(struct verdict *v);
/* Model name shown in every rendering (default "default"). Returns 0 or -1 (memory). */
int verdict_set_model(struct verdict *v, const char *model);
/* 1 when fv is one of the nfeatures the drifted share counts: a feature (not the target or the
 * prediction) that was tested (not a column missing under missing_columns: error). */
int verdict_counts_feature(const struct verdict *v, const struct feature_verdict *fv);
/* 0 no drift, 1 some features (or the target/prediction) drifted, 2 dataset drift (or the drift
 * of a multivariate method that was asked for: a property of the whole dataset too; the default
 * pca_reconstruction is reported but leaves the code as the per-feature tests set it), 3 a schema
 * error (a baseline column missing from the data, docs/statistics.md). Data-quality alerts leave it
 * as is; a performance or fairness alert makes it at least 1 (like a drifted target/prediction). */
#define VERDICT_EXIT_SCHEMA_ERROR 3
int verdict_exit_code(const struct verdict *v);

/* The `check --format json` object of docs/data-formats.md (new reference). */
json_t *verdict_to_json(const struct verdict *v);

enum verdict_format { VERDICT_TEXT, VERDICT_JSON, VERDICT_NAGIOS, VERDICT_PROM };
/* "text" | "json" | "nagios" | "prom". Returns 0 or -1. */
int verdict_format_parse(const char *name, enum verdict_format *f);
/* Appends the rendering to out. text: a table, drifted features first; json: as verdict_to_json,
 * pretty; nagios: one status line with perfdata; prom: the docs/metrics.md drift metrics with HELP
 * and TYPE, for the node_exporter textfile collector. Returns 0 or -1 (memory). */
int verdict_render(const struct verdict *v, enum verdict_format f, struct strbuf *out);

/* Self-contained HTML report (inline CSS, one inline SVG per feature: overlaid histograms for
 * numeric, side-by-side bars for categorical; drifted features first). p and w are what v was
 * computed from. Returns 0 or -1 (memory). */
int report_render_html(const struct profile *p, const struct columns *w, const struct verdict *v,
                       struct strbuf *out);

/* ---- one-shot check of a data file ---- */

struct check_request {
    const char *baseline_path;           /* loaded when profile is NULL */
    const struct profile *profile;       /* borrowed */
    const char *data_path;               /* CSV or JSON Lines */
    const char *model;                   /* NULL: "default" */
    const struct analyze_options *analyze; /* NULL: defaults (auto, fdr, share 0.5) */
    int strict;                          /* bad rows are fatal */
    void (*on_bad_row)(void *ud, const char *msg);
    void (*on_progress)(void *ud, const char *phase, uint64_t done, uint64_t total);
    void *ud;
};

/* Loads the baseline (unless given), reads the data file into a window and analyzes it.
 * window_out and profile_out (may be NULL) hand over the window and, when it was loaded here, the
 * profile (NULL when the caller supplied one) for a report. Errors (exit code 3 territory):
 * unreadable or invalid baseline, unreadable data, no data rows, no value of any baseline feature
 * in the data (unless columns are missing under missing_columns: error: that is a verdict with a
 * schema error, listing them with suggestions).
 * Returns 0 or -1 with err. */
int check_run(const struct check_request *req, struct verdict **out, struct columns **window_out,
              struct profile **profile_out, char *err, size_t errlen);

#endif
