/* driftwatch check --baseline B.json --data D, or -c CONFIG [--model NAME]: one-shot drift check
 * with monitoring-plugin exit codes: 0 no drift, 1 some features drifted (or a performance or
 * fairness alert), 2 dataset drift, 3 the check could not run. */
#include <stdio.h>

#include "cli/check_setup.h"
#include "cli/commands.h"
#include "cli/cliargs.h"
#include "util/outfile.h"
#include "analyze/analyze.h"

#define EXIT_UNKNOWN 3

static const char usage[] =
    "usage: driftwatch check --baseline B.json --data D.csv|D.jsonl [options]\n"
    "       driftwatch check -c driftwatch.yaml [--model NAME] [--data D.csv|D.jsonl] [options]\n"
    "\n"
    "Compares current data with a baseline profile. Exit codes (monitoring-plugin style):\n"
    "0 no drift, 1 some features drifted but not the dataset, 2 dataset drift, 3 could not run\n"
    "(also: a baseline column missing from the data, with the verdict still printed). With a\n"
    "baseline made with --task, the data's prediction and target columns give the realized\n"
    "performance against the reference thresholds; a metric outside them, or a fairness alert,\n"
    "makes the exit code at least 1.\n"
    "\n"
    "With -c (the one-shot check from cron), the model's baseline (unless --baseline) and drift\n"
    "settings (methods, correction, dataset_share, per-feature overrides) come from the config, the\n"
    "flags below on top of them; the data is --data or, without it, the agent's current window in\n"
    "the config's state_dir (read from a copy: works while the agent runs, without its lock). Which\n"
    "data was checked is said on stderr. The versioning plugin is asked whether the baseline's\n"
    "training data is still the tracked version (a warning if not).\n"
    "\n"
    "  -c, --config FILE     the agent's YAML config\n"
    "  --model NAME          with -c: the model to check (needed when several are configured);\n"
    "                        otherwise the model name in the output (default \"default\")\n"
    "  --baseline FILE       profile from 'driftwatch baseline'\n"
    "  --data FILE           current data: CSV with a header row, JSON Lines or a JSON array (flat\n"
    "                        objects or {\"features\": {...}, \"prediction\": ...} samples)\n"
    "  --methods SPEC        auto (default: ks / wasserstein_normed / chisquare / jensenshannon by\n"
    "                        type and baseline size), all (every test reported, auto decides), or\n"
    "                        a list: ks,cramervonmises,anderson,wasserstein,wasserstein_normed,\n"
    "                        psi,jensenshannon,hellinger,chisquare,linf (first that applies decides)\n"
    "  --correction C        p-value correction across features: fdr (default; Benjamini-Hochberg),\n"
    "                        bonferroni, or none (each feature at its own threshold, as Evidently)\n"
    "  --dataset-share X     dataset drift when this share of features drifted (default 0.5)\n"
    "  --threshold F=X       per-feature threshold (repeatable; F must be a baseline feature)\n"
    "  --feature-method F=M  per-feature method (repeatable)\n"
    "  --bins N              quantile bins for binned methods (default: the baseline's)\n"
    "  --quality NAME=VALUE  data quality threshold (repeatable): out_of_range, unseen_categories,\n"
    "                        type_mismatch, missing_share = a share or off (defaults 0.05, 0.05, 0,\n"
    "                        off); missing_columns=error (default: a baseline column missing from\n"
    "                        the data is a schema error, exit 3) or warn\n"
    "  --protected A=V1,V2   binary task: a protected attribute and its privileged values for the\n"
    "                        bias metrics (repeatable; replaces the baseline's and the config's)\n"
    "  --format FMT          text (default), json, nagios, prom\n"
    "  --out FILE            write there (atomically: temp file + rename) instead of stdout\n"
    "  --strict              a bad row in the data is fatal (exit 3)\n"
    "  -h, --help            this help\n";

enum { O_FORMAT = CHECK_INPUT_NOPTIONS };

static const struct cli_opt opts[] = {CHECK_INPUT_OPTIONS, [O_FORMAT] = {"format", 'f', 1}};

/* One stderr line for a schema error (docs/statistics.md), beside the verdict on stdout: the first
 * missing columns with their suggestions, and how to check anyway. */
static void warn_schema_error(const struct verdict *v)
{
    const struct schema_report *s = &v->schema;
    fprintf(stderr, "driftwatch check: schema error: %zu baseline column%s missing from the data:", s->nmissing,
            s->nmissing == 1 ? "" : "s");
    for (size_t i = 0; i < s->nmissing && i < 5; i++) {
        fprintf(stderr, "%s '%s'", i ? "," : "", s->missing[i].name);
        if (s->missing[i].suggestion)
            fprintf(stderr, " (did you mean '%s'?)", s->missing[i].suggestion);
    }
    fprintf(stderr, "%s; exit 3 (with --quality missing_columns=warn: reported, and checked anyway)\n",
            s->nmissing > 5 ? ", ..." : "");
}

int cmd_check(int argc, char **argv)
{
    struct check_input in = {.command = "check"};
    struct drift_flags flags;
    drift_flags_init(&flags);
    in.flags = &flags;
    const char *out_path = NULL;
    enum verdict_format fmt = VERDICT_TEXT;
    char err[1024];
    int rc = EXIT_UNKNOWN;
    struct cliargs ca;
    cliargs_init(&ca, argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    int k;
    const char *v;
    struct check_setup setup;
    int prepared = 0;
    while ((k = cliargs_next(&ca, &v)) >= 0) {
        if (k == O_FORMAT) {
            if (verdict_format_parse(v, &fmt) < 0) {
                fprintf(stderr, "driftwatch check: --format: unknown '%s' (text, json, nagios, prom)\n", v);
                goto out;
            }
        } else if (check_input_take(&in, &flags, &out_path, opts[k].name, v, err, sizeof err) < 0) {
            fprintf(stderr, "driftwatch check: %s\n", err);
            goto out;
        }
    }
    if (k != CLIARGS_END) {
        if (k == CLIARGS_HELP)
            rc = 0;
        goto out;
    }
    prepared = 1;
    struct verdict *verdict = NULL;
    if (check_setup_prepare(&in, &setup, err, sizeof err) < 0 ||
        check_setup_run(&setup, &verdict, NULL, err, sizeof err) < 0) {
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
        if (verdict->schema_error)
            warn_schema_error(verdict);
    }
    strbuf_free(&sb);
    verdict_free(verdict);
out:
    if (prepared)
        check_setup_clear(&setup);
    drift_flags_clear(&flags);
    return rc;
}
