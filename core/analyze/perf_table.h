/* Model performance and bias of a column table (docs/statistics.md "Model quality"): the
 * reference's metrics, chunks and thresholds at `baseline`, and a window's realized metrics
 * against those thresholds at `check`. The table keeps the rows of the target, prediction, score
 * and protected attribute columns aligned (columns_keep_cells) so they are read row by row. */
#ifndef DW_DRIFT_PERF_TABLE_H
#define DW_DRIFT_PERF_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/quality_profile.h"
#include "stats/perf_chunks.h"
#include "stats/perf_eval.h"

/* What a check measures beyond the profile's section. */
struct perf_options {
    unsigned metrics;                 /* bit m: report metric m; 0 = every metric of the task */
    struct fairness_spec *fairness;   /* owned; when nfairness > 0 these replace the profile's */
    size_t nfairness;
};

void perf_options_clear(struct perf_options *o);
/* Adds a copy of s (or of ATTR=V1,V2 text: see fairness_spec_parse). Returns 0 or -1 (memory). */
int perf_options_add_fairness(struct perf_options *o, const struct fairness_spec *s);
/* "--protected ATTR=V1[,V2...]": the attribute and its privileged values. Returns 0 or -1 with err. */
int fairness_spec_parse(const char *text, struct fairness_spec *out, char *err, size_t errlen);

/* A window's realized performance and bias. */
struct perf_report {
    enum perf_task task;
    uint64_t rows;     /* rows with a target value */
    unsigned metrics;  /* bit m: metric m is reported */
    struct perf_metric_report m[PM_COUNT];
    size_t alerts;     /* reported metrics outside their band */
    struct quality_fairness *fairness;
    size_t nfairness;
    size_t fairness_alerts;
    /* the label-free estimate (perf_estimate.h), per enum cbpe_metric; none when estimated_rows == 0 */
    struct perf_metric_report estimated[CBPE_COUNT];
    unsigned estimated_metrics; /* bit m (enum cbpe_metric): reported (the options' metrics select them too) */
    uint64_t estimated_rows;    /* rows with a score */
    size_t estimated_alerts;
};
void perf_report_free(struct perf_report *r);

/* Keeps the cells of the columns q (and o's fairness attributes) reads. A column the table lacks is
 * an error naming it. Returns 0 or -1 with err. */
int perf_table_keep_cells(const struct quality_profile *q, const struct perf_options *o, struct columns *t,
                          char *err, size_t errlen);

/* Fills q's reference, chunks (q->nchunks of them), thresholds and fairness values from the
 * table (the training data; the target stands in for the prediction in the fairness metrics).
 * Errors: no target value, a binary positive label that no target value equals, a score column
 * that is not numeric. Returns 0 or -1 with err. */
int perf_table_reference(struct quality_profile *q, const struct columns *t, char *err, size_t errlen);

/* The realized metrics of window t against q's thresholds, and the fairness of q's (or o's)
 * attributes. *out NULL (and 0 returned) when t kept no cells (a window read without them). Returns 0
 * or -1 with err. */
int perf_table_measure(const struct quality_profile *q, const struct perf_options *o, const struct columns *t,
                       struct perf_report **out, char *err, size_t errlen);

#endif
