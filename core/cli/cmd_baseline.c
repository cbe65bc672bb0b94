/* driftwatch baseline: builds the baseline profile (docs/data-formats.md) of a training file.
 * Exit 0 written, 1 failed (bad input, I/O), 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "config/config.h"
#include "config/config_model.h"
#include "analyze/baseline.h"
#include "cli/cli_feedback.h"
#include "cli/cliargs.h"
#include "analyze/perf_table.h"
#include "util/strlist.h"
#include "plugin/data_version.h"

static const char usage[] =
    "usage: driftwatch baseline --data FILE --out B.json [options]\n"
    "       driftwatch baseline -c driftwatch.yaml [--model NAME] --data FILE [--out B.json] [options]\n"
    "\n"
    "Profiles training data (CSV with a header row, or JSON Lines) into a baseline for 'check'.\n"
    "With -c, the model's versioning plugin (e.g. dvc) records which data version FILE is in the\n"
    "profile's source.data_version, and --out defaults to the model's baseline path.\n"
    "\n"
    "  -c, --config FILE    the agent's config\n"
    "  --model NAME         the model (default: the only one)\n"
    "  --data FILE          training data: CSV with a header row, JSON Lines, or a JSON array of\n"
    "                       objects (.csv by name, the rest by the first byte)\n"
    "  --out FILE           where to write the profile JSON (atomically; '-' for stdout)\n"
    "  --categorical A,B    treat these columns as categorical even when they look numeric\n"
    "  --exclude A,B        leave these columns out (ids, timestamps)\n"
    "  --target COL         the label column (profiled, not counted in dataset drift)\n"
    "  --prediction COL     the model output column (profiled, not counted in dataset drift)\n"
    "  --sample-size N      numeric values kept per feature (default 10000; a seeded uniform\n"
    "                       reservoir when the file has more)\n"
    "  --bins N             quantile bins for psi/jensenshannon/hellinger (default 10)\n"
    "  --row-sample N       whole rows of the numeric features kept for the multivariate methods\n"
    "                       (pca_reconstruction, mmd; default 5000, a seeded uniform reservoir in\n"
    "                       file order; 0: none)\n"
    "  --seed N             reservoir seed (default 42)\n"
    "  --strict             a bad row (wrong field count, invalid JSON) is fatal\n"
    "  --task T             binary, multiclass or regression: store the model's reference performance\n"
    "                       (needs --prediction and --target; see docs/statistics.md)\n"
    "  --score COL          binary: the positive class's probability (roc_auc, log_loss, brier)\n"
    "  --positive V         binary: the target's positive label (default 1)\n"
    "  --chunks K           reference chunks for the performance thresholds (default 10)\n"
    "  --protected A=V1,V2  binary: a protected attribute and its privileged values, for the bias\n"
    "                       metrics (repeatable; the favorable outcome is --positive)\n"
    "  -h, --help           this help\n"
    "\n"
    "A column is numeric when every non-missing value is a finite number; missing values are\n"
    "empty fields, JSON null and NaN. Repeat list options or separate names with commas.\n";

enum { O_DATA, O_OUT, O_CAT, O_EXCL, O_TARGET, O_PRED, O_SAMPLE, O_BINS, O_SEED, O_STRICT, O_CONFIG, O_MODEL,
       O_ROWS, O_TASK, O_SCORE, O_POSITIVE, O_CHUNKS, O_PROTECTED };

static const struct cli_opt opts[] = {
    [O_DATA] = {"data", 0, 1},       [O_OUT] = {"out", 'o', 1},     [O_CAT] = {"categorical", 0, 1},
    [O_EXCL] = {"exclude", 0, 1},    [O_TARGET] = {"target", 0, 1}, [O_PRED] = {"prediction", 0, 1},
    [O_SAMPLE] = {"sample-size", 0, 1}, [O_BINS] = {"bins", 0, 1}, [O_SEED] = {"seed", 0, 1},
    [O_STRICT] = {"strict", 0, 0},   [O_CONFIG] = {"config", 'c', 1}, [O_MODEL] = {"model", 'm', 1},
    [O_ROWS] = {"row-sample", 0, 1}, [O_TASK] = {"task", 0, 1},     [O_SCORE] = {"score", 0, 1},
    [O_POSITIVE] = {"positive", 0, 1}, [O_CHUNKS] = {"chunks", 0, 1}, [O_PROTECTED] = {"protected", 0, 1},
};

int cmd_baseline(int argc, char **argv)
{
    struct baseline_options bo;
    baseline_options_init(&bo);
    const char *out_path = NULL, *config = NULL, *model = NULL;
    struct config *cfg = NULL;
    struct perf_options protected = {0};
    json_t *data_version = NULL;
    char **cats = NULL, **excl = NULL;
    size_t ncats = 0, nexcl = 0;
    char err[1024];
    int rc = 2;
    struct cliargs ca;
    cliargs_init(&ca, argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    int k;
    const char *v;
    unsigned long long u;
    while ((k = cliargs_next(&ca, &v)) >= 0) {
        switch (k) {
        case O_DATA: bo.data_path = v; break;
        case O_OUT: out_path = v; break;
        case O_CAT:
        case O_EXCL:
            if (strlist_split(v, k == O_CAT ? &cats : &excl, k == O_CAT ? &ncats : &nexcl) < 0) {
                fprintf(stderr, "driftwatch baseline: out of memory\n");
                rc = 1;
                goto out;
            }
            break;
        case O_TARGET: bo.target = v; break;
        case O_PRED: bo.prediction = v; break;
        case O_SAMPLE:
            if (cliargs_parse_u64(v, &u) < 0 || u == 0 || u > 100000000ULL) {
                fprintf(stderr, "driftwatch baseline: --sample-size: expected an integer from 1 to 100000000, got '%s'\n", v);
                goto out;
            }
            bo.sample_size = (size_t)u;
            break;
        case O_BINS:
            if (cliargs_parse_u64(v, &u) < 0 || u < 2 || u > 10000) {
                fprintf(stderr, "driftwatch baseline: --bins: expected an integer from 2 to 10000, got '%s'\n", v);
                goto out;
            }
            bo.bins = (int)u;
            break;
        case O_SEED:
            if (cliargs_parse_u64(v, &u) < 0) {
                fprintf(stderr, "driftwatch baseline: --seed: expected a non-negative integer, got '%s'\n", v);
                goto out;
            }
            bo.seed = u;
            break;
        case O_ROWS:
            if (cliargs_parse_u64(v, &u) < 0 || u > 10000000ULL) {
                fprintf(stderr, "driftwatch baseline: --row-sample: expected an integer from 0 to 10000000, got '%s'\n", v);
                goto out;
            }
            bo.row_sample = (size_t)u;
            break;
        case O_STRICT: bo.strict = 1; break;
        case O_TASK:
            if (!(bo.task = perf_task_parse(v))) {
                fprintf(stderr, "driftwatch baseline: --task: expected binary, multiclass or regression, got '%s'\n", v);
                goto out;
            }
            break;
        case O_SCORE: bo.score = v; break;
        case O_POSITIVE: bo.positive = v; break;
        case O_CHUNKS:
            if (cliargs_parse_u64(v, &u) < 0 || u < 1 || u > 1000) {
                fprintf(stderr, "driftwatch baseline: --chunks: expected an integer from 1 to 1000, got '%s'\n", v);
                goto out;
            }
            bo.chunks = (size_t)u;
            break;
        case O_PROTECTED: {
            struct fairness_spec fs;
            if (fairness_spec_parse(v, &fs, err, sizeof err) < 0) {
                fprintf(stderr, "driftwatch baseline: --protected: %s\n", err);
                goto out;
            }
            int added = perf_options_add_fairness(&protected, &fs);
            fairness_spec_clear(&fs);
            if (added < 0) {
                fprintf(stderr, "driftwatch baseline: out of memory\n");
                rc = 1;
                goto out;
            }
            break;
        }
        case O_CONFIG: config = v; break;
        case O_MODEL: model = v; break;
        }
    }
    if (k != CLIARGS_END) {
        if (k == CLIARGS_HELP)
            rc = 0;
        goto out;
    }
    if (config) {
        const struct model_config *mc = NULL;
        rc = 1;
        if (config_load(config, &cfg, err, sizeof err) < 0 || !(mc = config_pick_model(cfg, model, err, sizeof err)) ||
            (bo.data_path && data_version_of_model(cfg, mc, bo.data_path, &data_version, err, sizeof err) < 0)) {
            fprintf(stderr, "driftwatch baseline: %s\n", err);
            goto out;
        }
        rc = 2;
        if (!out_path)
            out_path = mc->baseline;
        /* the model's quality entry gives what the flags leave out */
        if (mc->quality && !bo.task)
            bo.task = mc->quality->task;
        if (mc->quality && !bo.positive)
            bo.positive = mc->quality->positive;
        size_t from_config = mc->quality && protected.nfairness == 0 ? mc->quality->nfairness : 0;
        for (size_t f = 0; f < from_config; f++)
            if (perf_options_add_fairness(&protected, &mc->quality->fairness[f]) < 0) {
                fprintf(stderr, "driftwatch baseline: out of memory\n");
                rc = 1;
                goto out;
            }
        bo.data_version = data_version;
    }
    if (!bo.data_path || !out_path) {
        fprintf(stderr, "driftwatch baseline: --data and --out are required (see --help)\n");
        goto out;
    }
    if (bo.target && bo.prediction && strcmp(bo.target, bo.prediction) == 0) {
        fprintf(stderr, "driftwatch baseline: --target and --prediction name the same column\n");
        goto out;
    }
    bo.fairness = protected.fairness;
    bo.nfairness = protected.nfairness;
    bo.categorical = (const char *const *)cats;
    bo.ncategorical = ncats;
    bo.exclude = (const char *const *)excl;
    bo.nexclude = nexcl;
    struct cli_feedback fb;
    cli_feedback_init(&fb, "baseline");
    bo.on_bad_row = cli_feedback_bad_row;
    bo.on_progress = cli_feedback_progress;
    bo.ud = &fb;
    struct profile *p = NULL;
    rc = 1;
    int built = baseline_build(&bo, &p, err, sizeof err);
    cli_feedback_finish(&fb);
    if (built < 0) {
        fprintf(stderr, "driftwatch baseline: %s\n", err);
        goto out;
    }
    if (profile_write(p, out_path, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch baseline: %s\n", err);
        profile_free(p);
        goto out;
    }
    size_t nnum = 0, ncat = 0;
    for (size_t f = 0; f < p->nfeatures; f++) {
        const struct profile_feature *pf = &p->features[f];
        if (pf->type == COL_NUMERIC) {
            nnum++;
            continue;
        }
        ncat++;
        if (pf->cats_overflow)
            fprintf(stderr, "driftwatch baseline: warning: column '%s' has more than %zu distinct values; the first "
                            "%zu are kept and %llu values counted as overflow (an id? consider --exclude)\n",
                    pf->name, pf->ncats, pf->ncats, (unsigned long long)pf->cats_overflow);
    }
    const json_t *bad = json_object_get(p->source, "bad_rows");
    fprintf(stderr, "driftwatch baseline: %s: %llu rows (%lld bad), %zu features (%zu numeric, %zu categorical) -> %s\n",
            bo.data_path, (unsigned long long)p->rows, bad ? (long long)json_integer_value(bad) : 0LL,
            p->nfeatures, nnum, ncat, out_path);
    if (p->quality) {
        fprintf(stderr, "driftwatch baseline: quality: task %s, %zu reference chunks", perf_task_name(p->quality->task),
                p->quality->nchunks);
        if (p->quality->calibration.n)
            fprintf(stderr, ", score calibration of %zu points (label-free estimate on)", p->quality->calibration.n);
        fputc('\n', stderr);
    }
    profile_free(p);
    rc = 0;
out:
    perf_options_clear(&protected);
    json_decref(data_version);
    config_free(cfg);
    strlist_free(cats, ncats);
    strlist_free(excl, nexcl);
    return rc;
}
