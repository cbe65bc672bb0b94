/* Data quality and schema of a window against its baseline (docs/statistics.md): per feature the share
 * of values outside the reference range, of values in categories the baseline never saw, of cells
 * that are not numbers in a numeric feature and of missing values, each against a threshold; per
 * window the baseline columns the data lacks and the data's columns the baseline does not know,
 * each with the closest known name within 2 edits ("did you mean"). */
#ifndef DW_DRIFT_QUALITY_H
#define DW_DRIFT_QUALITY_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/profile.h"

/* The problems, in the order of their JSON keys; the names are the JSON keys, the config keys
 * (quality_checks.<name>) and the metric's `problem` label. */
enum quality_problem { QP_OUT_OF_RANGE, QP_UNSEEN_CATEGORIES, QP_TYPE_MISMATCH, QP_MISSING_SHARE, QP_COUNT };

/* "out_of_range", "unseen_categories", "type_mismatch", "missing_share"; NULL for an invalid id. */
const char *quality_problem_name(int q);
/* The id of a name, or -1. */
int quality_problem_from_name(const char *name);

/* A limit that no share exceeds: the problem is reported but never an alert ("off" in config). */
#define QUALITY_OFF INFINITY

struct quality_override {
    char *feature;
    double limit[QP_COUNT]; /* NAN: the model's */
};

struct quality_options {
    double limit[QP_COUNT]; /* a share above its limit is an alert; QUALITY_OFF: none */
    int missing_columns_warn; /* 0 (default): a baseline feature missing from the data is a schema error
                                 (check exits 3; the feature is reported, not tested, not counted);
                                 1: reported only, the feature drifts on its missing share as before */
    struct quality_override *overrides; /* owned */
    size_t noverrides;
};

/* Defaults: out_of_range 0.05, unseen_categories 0.05, type_mismatch 0 (any), missing_share off
 * (docs/statistics.md's missing-share rise is the drift rule for it), missing columns an error. */
void quality_options_init(struct quality_options *q);
void quality_options_clear(struct quality_options *q);
/* Sets the limit of problem for the model (feature NULL) or one feature. limit in [0, 1] or
 * QUALITY_OFF. Returns 0 or -1 with err ("unknown quality check 'x' (known: ...)"). */
int quality_options_set(struct quality_options *q, const char *feature, const char *problem, double limit, char *err,
                        size_t errlen);
/* A limit's text: "off" or a number in [0, 1]. Returns 0 or -1. */
int quality_parse_limit(const char *text, double *limit);
/* The limits that apply to feature (its overrides over the model's). */
void quality_limits_for(const struct quality_options *q, const char *feature, double limit[QP_COUNT]);

struct feature_quality {
    double share[QP_COUNT]; /* NAN where the problem does not apply to the feature's type, or has no
                               denominator (no values; no reference range) */
    double limit[QP_COUNT];
    unsigned alerts;        /* bit q: share[q] > limit[q] */
};

/* 1 when the data does not carry the column at all: no such column in the table, or every row
 * without its key (col->absent == rows). */
int quality_column_missing(const struct column *col, uint64_t rows);

/* The shares of feature f in a window of rows rows whose column is col (NULL: absent):
 * out_of_range = numeric values outside [f->min, f->max] / numeric values (numeric features);
 * unseen_categories = unseen_values / usable values (categorical features; the count of values in
 * categories absent from the baseline, which the analyzer has already counted);
 * type_mismatch = invalid / (usable + invalid) (numeric features: text, booleans, +-Inf, arrays);
 * missing_share = missing / rows (null, empty, NaN or absent; not the type mismatches). */
void quality_feature(const struct profile_feature *f, const struct column *col, uint64_t rows, uint64_t unseen_values,
                     const double limit[QP_COUNT], struct feature_quality *q);

struct schema_column {
    char *name;
    char *suggestion; /* the closest known name within 2 edits, or NULL */
};

#define SCHEMA_MAX_LISTED 100

struct schema_report {
    struct schema_column *missing;    /* baseline features (not target/prediction) the data lacks */
    size_t nmissing;
    struct schema_column *unexpected; /* the data's columns the baseline lacks, in order of appearance */
    size_t nunexpected;
    int unexpected_truncated;         /* more than SCHEMA_MAX_LISTED (or the table's kept names) */
};

/* Fills s for profile p and window w: a missing column's suggestion is the closest unexpected name,
 * an unexpected column's the closest baseline feature name. Returns 0 or -1 (memory). */
int quality_schema(const struct profile *p, const struct columns *w, struct schema_report *s);
void schema_report_clear(struct schema_report *s);

#endif
