/* driftwatch check --baseline B.json --data D: one-shot drift check with monitoring-plugin exit
 * codes: 0 no drift, 1 some features drifted, 2 dataset drift, 3 the check could not run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "config_model.h"
#include "data/cliargs.h"
#include "data/outfile.h"
#include "drift/analyze.h"

#define EXIT_UNKNOWN 3

static const char usage[] =
    "usage: driftwatch check --baseline B.json --data D.csv|D.jsonl [options]\n"
    "       driftwatch check -c driftwatch.yaml [--model NAME] --data D.csv|D.jsonl [options]\n"
    "\n"
    "With -c, the model's baseline (unless --baseline), drift settings (methods, correction,\n"
    "dataset_share, per-feature overrides) come from the config, and its versioning plugin is asked\n"
    "whether the baseline's training data is still the tracked version (a warning if not).\n"
    "\n"
    "Compares current data with a baseline profile. Exit codes (monitoring-plugin style):\n"
    "0 no drift, 1 some features drifted but not the dataset, 2 dataset drift, 3 could not run.\n"
    "\n"
    "  --baseline FILE       profile from 'driftwatch baseline'\n"
    "  --data FILE           current data: CSV with a header row, JSON Lines or a JSON array (flat\n"
    "                        objects or {\"features\": {...}, \"prediction\": ...} samples)\n"
    "  --methods SPEC        auto (default: ks / wasserstein_normed / chisquare / jensenshannon by\n"
    "                        type and baseline size), all (every test reported, auto decides), or\n"
    "                        a list: ks,cramervonmises,anderson,wasserstein,wasserstein_normed,\n"
    "                        psi,jensenshannon,hellinger,chisquare,linf (first that applies decides)\n"
    "  --correction C        p-value correction across features: none (default), bonferroni, fdr\n"
    "  --dataset-share X     dataset drift when this share of features drifted (default 0.5)\n"
    "  --threshold F=X       per-feature threshold (repeatable)\n"
    "  --feature-method F=M  per-feature method (repeatable)\n"
    "  --bins N              quantile bins for binned methods (default: the baseline's)\n"
    "  --format FMT          text (default), json, nagios, prom\n"
    "  --out FILE            write there (atomically: temp file + rename) instead of stdout\n"
    "  --model NAME          model name in the output and metric labels (default \"default\")\n"
    "  --strict              a bad row in the data is fatal (exit 3)\n"
    "  -h, --help            this help\n";

enum {
    O_BASELINE, O_DATA, O_METHODS, O_CORR, O_SHARE, O_THRESH, O_FMETHOD, O_BINS, O_FORMAT, O_OUT, O_MODEL,
    O_STRICT, O_CONFIG, O_HELP
};

static const struct cli_opt opts[] = {
    [O_BASELINE] = {"baseline", 'b', 1}, [O_DATA] = {"data", 'd', 1},     [O_METHODS] = {"methods", 0, 1},
    [O_CORR] = {"correction", 0, 1},     [O_SHARE] = {"dataset-share", 0, 1}, [O_THRESH] = {"threshold", 0, 1},
    [O_FMETHOD] = {"feature-method", 0, 1}, [O_BINS] = {"bins", 0, 1},    [O_FORMAT] = {"format", 'f', 1},
    [O_OUT] = {"out", 'o', 1},           [O_MODEL] = {"model", 'm', 1},   [O_STRICT] = {"strict", 0, 0},
    [O_CONFIG] = {"config", 'c', 1},     [O_HELP] = {"help", 'h', 0},
};

/* "name=value" -> name (malloc'd) and value; the name may itself contain '=' up to the last one. */
static int split_assignment(const char *s, char **name, const char **value)
{
    const char *eq = strrchr(s, '=');
    if (!eq || eq == s || !eq[1])
        return -1;
    *name = strndup(s, (size_t)(eq - s));
    *value = eq + 1;
    return *name ? 0 : -1;
}

/* Warns on stderr when the data the baseline was built from is no longer the tracked version. */
static void warn_data_version(const struct config *cfg, const struct model_config *mc, const struct profile *p)
{
    json_t *now = NULL;
    char err[768];
    if (config_data_version(cfg, mc, NULL, &now, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch check: warning: %s\n", err);
        return;
    }
    const char *then = json_string_value(json_object_get(json_object_get(p->source, "data_version"), "md5"));
    const char *current = json_string_value(json_object_get(now, "md5"));
    if (then && current && strcmp(then, current) != 0)
        fprintf(stderr, "driftwatch check: warning: model '%s': the baseline was built from data version %s, the "
                        "tracked training data is now %s: rebuild the baseline\n", mc->name, then, current);
    if (now && json_is_false(json_object_get(now, "matches")))
        fprintf(stderr, "driftwatch check: warning: model '%s': the training data on disk no longer matches its "
                        "tracked version\n", mc->name);
    json_decref(now);
}

/* -c: the model's baseline (unless --baseline), drift settings and data version check. */
static int config_check_setup(const char *config, const char *model, const char *baseline, struct config **cfg,
                              const char **model_out, struct profile **profile, struct analyze_options *ao, char *err,
                              size_t errlen)
{
    if (config_load(config, cfg, err, errlen) < 0)
        return -1;
    const struct model_config *mc = config_pick_model(*cfg, model, err, errlen);
    if (!mc)
        return -1;
    char why[768];
    if (profile_load(baseline ? baseline : mc->baseline, profile, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': baseline: %s", mc->name, why);
        return -1;
    }
    analyze_options_free(ao);
    if (config_analyze_options(mc, ao, err, errlen) < 0) {
        analyze_options_init(ao);
        return -1;
    }
    *model_out = mc->name;
    warn_data_version(*cfg, mc, *profile);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    const char *baseline = NULL, *data = NULL, *out_path = NULL, *model = NULL, *config = NULL;
    enum verdict_format fmt = VERDICT_TEXT;
    struct analyze_options ao;
    analyze_options_init(&ao);
    int strict = 0;
    char err[1024];
    int rc = EXIT_UNKNOWN;
    int i = 1, k;
    const char *v;
    int cli_drift_options = 0;
    struct config *cfg = NULL;       /* declared before the first goto out, which frees them */
    struct profile *profile = NULL;
    for (;;) {
        k = cliargs_next(argc, argv, &i, opts, sizeof opts / sizeof opts[0], &v, err, sizeof err);
        if (k == -1)
            break;
        if (k == O_METHODS || k == O_CORR || k == O_SHARE || k == O_THRESH || k == O_FMETHOD || k == O_BINS)
            cli_drift_options = 1;
        switch (k) {
        case -2:
            fprintf(stderr, "driftwatch check: %s (see --help)\n", err);
            goto out;
        case O_HELP:
            fputs(usage, stdout);
            rc = 0;
            goto out;
        case O_BASELINE: baseline = v; break;
        case O_DATA: data = v; break;
        case O_OUT: out_path = v; break;
        case O_MODEL: model = v; break;
        case O_CONFIG: config = v; break;
        case O_STRICT: strict = 1; break;
        case O_METHODS:
            if (analyze_options_set_methods(&ao, v, err, sizeof err) < 0) {
                fprintf(stderr, "driftwatch check: --%s\n", err);
                goto out;
            }
            break;
        case O_CORR:
            if (analyze_options_set_correction(&ao, v, err, sizeof err) < 0) {
                fprintf(stderr, "driftwatch check: --%s\n", err);
                goto out;
            }
            break;
        case O_SHARE: {
            char *end;
            double x = strtod(v, &end);
            if (*end || !(x > 0 && x <= 1)) {
                fprintf(stderr, "driftwatch check: --dataset-share: expected a number in (0, 1], got '%s'\n", v);
                goto out;
            }
            ao.dataset_share = x;
            break;
        }
        case O_BINS: {
            unsigned long long u;
            if (cliargs_parse_u64(v, &u) < 0 || u < 2 || u > 10000) {
                fprintf(stderr, "driftwatch check: --bins: expected an integer from 2 to 10000, got '%s'\n", v);
                goto out;
            }
            ao.bins = (int)u;
            break;
        }
        case O_THRESH:
        case O_FMETHOD: {
            char *name = NULL;
            const char *val;
            if (split_assignment(v, &name, &val) < 0) {
                fprintf(stderr, "driftwatch check: --%s: expected FEATURE=%s, got '%s'\n", opts[k].name,
                        k == O_THRESH ? "NUMBER" : "METHOD", v);
                free(name);
                goto out;
            }
            double thr = NAN;
            const char *method = NULL;
            if (k == O_THRESH) {
                char *end;
                thr = strtod(val, &end);
                if (*end || !isfinite(thr)) {
                    fprintf(stderr, "driftwatch check: --threshold: '%s' is not a number\n", val);
                    free(name);
                    goto out;
                }
            } else {
                method = val;
            }
            /* a feature named twice keeps the first override's other half */
            int merged = 0;
            for (size_t o = 0; o < ao.noverrides; o++) {
                if (strcmp(ao.overrides[o].feature, name) != 0)
                    continue;
                if (method) {
                    int m = drift_method_from_name(method);
                    if (m == DM_NONE) {
                        fprintf(stderr, "driftwatch check: --feature-method: unknown method '%s'\n", method);
                        free(name);
                        goto out;
                    }
                    ao.overrides[o].method = m;
                } else {
                    ao.overrides[o].threshold = thr;
                }
                merged = 1;
            }
            int e = merged ? 0 : analyze_options_add_override(&ao, name, method, thr, err, sizeof err);
            free(name);
            if (e < 0) {
                fprintf(stderr, "driftwatch check: %s\n", err);
                goto out;
            }
            break;
        }
        case O_FORMAT:
            if (verdict_format_parse(v, &fmt) < 0) {
                fprintf(stderr, "driftwatch check: --format: unknown '%s' (text, json, nagios, prom)\n", v);
                goto out;
            }
            break;
        }
    }
    if (config) {
        if (cli_drift_options) {
            fprintf(stderr, "driftwatch check: with -c the model's drift settings apply: set methods, correction, "
                            "dataset_share and per-feature overrides in the config, not on the command line\n");
            goto out;
        }
        if (config_check_setup(config, model, baseline, &cfg, &model, &profile, &ao, err, sizeof err) < 0) {
            fprintf(stderr, "driftwatch check: %s\n", err);
            goto out;
        }
        if (!baseline) /* for messages: the profile itself is already loaded */
            baseline = config_find_model(cfg, model)->baseline;
    }
    if (!baseline || !data) {
        fprintf(stderr, "driftwatch check: --baseline and --data are required (see --help)\n");
        goto out;
    }
    struct cli_feedback fb;
    cli_feedback_init(&fb, "check");
    struct check_request req = {
        .baseline_path = baseline,
        .profile = profile,
        .data_path = data,
        .model = model,
        .analyze = &ao,
        .strict = strict,
        .on_bad_row = cli_feedback_bad_row,
        .on_progress = cli_feedback_progress,
        .ud = &fb,
    };
    struct verdict *verdict = NULL;
    int e = check_run(&req, &verdict, NULL, NULL, err, sizeof err);
    cli_feedback_finish(&fb);
    if (e < 0) {
        fprintf(stderr, "driftwatch check: %s\n", err);
        if (fmt == VERDICT_NAGIOS)
            printf("DRIFT UNKNOWN - %s\n", err);
        goto out;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    if (verdict_render(verdict, fmt, &sb) < 0) {
        fprintf(stderr, "driftwatch check: out of memory rendering the result\n");
    } else if (outfile_write(out_path ? out_path : "-", sb.data, sb.len, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch check: %s\n", err);
    } else {
        rc = verdict_exit_code(verdict);
    }
    strbuf_free(&sb);
    verdict_free(verdict);
out:
    analyze_options_free(&ao);
    profile_free(profile);
    config_free(cfg);
    return rc;
}
