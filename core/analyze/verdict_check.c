/* One-shot check of a data file against a baseline: load, read into a window, analyze. Shared by
 * `driftwatch check/report --baseline --data` and the config-driven check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "data/source.h"

int check_run(const struct check_request *req, struct verdict **out, struct columns **window_out,
              struct profile **profile_out, char *err, size_t errlen)
{
    *out = NULL;
    if (window_out)
        *window_out = NULL;
    if (profile_out)
        *profile_out = NULL;
    struct profile *loaded = NULL;
    const struct profile *p = req->profile;
    struct columns *w = NULL;
    int rc = -1;
    if (!p) {
        if (!req->baseline_path) {
            snprintf(err, errlen, "no baseline given");
            return -1;
        }
        if (profile_load(req->baseline_path, &loaded, err, errlen) < 0)
            return -1;
        p = loaded;
    }
    if (!req->data_path) {
        snprintf(err, errlen, "no data file given");
        goto out;
    }
    /* whole rows too, for the multivariate methods (docs/statistics.md), when the profile has rows */
    struct columns_options co = {.row_sample = p->has_rows ? COLUMNS_ALL_ROWS : 0};
    w = columns_new_for_profile(p, &co);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    const struct perf_options *po = req->analyze ? &req->analyze->perf : NULL;
    if (po && po->nfairness && !p->quality) {
        snprintf(err, errlen, "--protected needs a baseline made with 'baseline --task binary' (its quality section "
                 "names the prediction and target columns)");
        goto out;
    }
    if (po && po->nfairness && p->quality->task != PERF_BINARY) {
        snprintf(err, errlen, "--protected applies to binary tasks (the baseline's task is %s)",
                 perf_task_name(p->quality->task));
        goto out;
    }
    if (p->quality && perf_table_keep_cells(p->quality, po, w, err, errlen) < 0)
        goto out;
    struct source_options so = {
        .strict = req->strict,
        .on_bad_row = req->on_bad_row,
        .on_progress = req->on_progress,
        .ud = req->ud,
    };
    struct source_stats st;
    if (source_read(req->data_path, &so, w, &st, err, errlen) < 0)
        goto out;
    if (st.rows == 0) {
        snprintf(err, errlen, "%s: no data rows%s", req->data_path,
                 st.bad_rows ? " (every row was bad)" : " (header only?)");
        goto out;
    }
    uint64_t usable = 0;
    int missing_columns = 0;
    for (size_t i = 0; i < w->ncols; i++) {
        usable += w->cols[i].count + w->cols[i].invalid;
        missing_columns |= w->cols[i].role == ROLE_FEATURE && quality_column_missing(&w->cols[i], w->rows);
    }
    /* Missing columns are a schema error with its own report (which columns, and the file's names
     * that look like them): analyze; without that rule, a file without any value is not this
     * baseline's data. */
    int schema_rule = !(req->analyze && req->analyze->quality.missing_columns_warn);
    if (usable == 0 && !(missing_columns && schema_rule)) {
        snprintf(err, errlen, "%s: none of the baseline's %zu features has a value in this file (first: '%s'); "
                              "is it the right data for this baseline?",
                 req->data_path, p->nfeatures, p->nfeatures ? p->features[0].name : "");
        goto out;
    }
    if (analyze_window(p, w, req->analyze, out, err, errlen) < 0)
        goto out;
    if (p->quality && perf_table_measure(p->quality, po, w, &(*out)->performance, err, errlen) < 0) {
        verdict_free(*out);
        *out = NULL;
        goto out;
    }
    if (verdict_set_model(*out, req->model) < 0) {
        snprintf(err, errlen, "out of memory");
        verdict_free(*out);
        *out = NULL;
        goto out;
    }
    rc = 0;
out:
    if (rc == 0 && window_out) {
        *window_out = w;
        w = NULL;
    }
    if (rc == 0 && profile_out) {
        *profile_out = loaded;
        loaded = NULL;
    }
    columns_free(w);
    profile_free(loaded);
    return rc;
}
