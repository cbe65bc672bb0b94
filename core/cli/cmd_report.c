/* driftwatch report --baseline B.json --data D --out report.html (or -c CONFIG [--model NAME]): the
 * check's verdict as one self-contained HTML page with a plot per feature. It takes the data and
 * every decision flag as `check` does (check_setup.h), so it shows the verdict of that check.
 * Exit 0 written, 1 failed, 2 usage error. */
#include <stdio.h>
#include <string.h>

#include "cli/check_setup.h"
#include "cli/commands.h"
#include "cli/cliargs.h"
#include "util/outfile.h"
#include "analyze/analyze.h"

static const char usage[] =
    "usage: driftwatch report --baseline B.json --data D.csv|D.jsonl --out report.html [options]\n"
    "       driftwatch report -c driftwatch.yaml [--model NAME] [--data D] --out report.html [options]\n"
    "\n"
    "Writes one self-contained HTML file (inline CSS and SVG, no external assets): the verdict of\n"
    "'check' and, per feature, baseline vs current (histograms or category bars), drifted first.\n"
    "It takes the same data, config and decision flags as 'check' (see 'check --help'), so the\n"
    "report shows the verdict of the check run with the same arguments.\n"
    "\n"
    "  -c, --config FILE     the agent's YAML config: the model's baseline and drift settings; the\n"
    "                        data is --data or the agent's current window in state_dir\n"
    "  --model NAME          with -c: the model; otherwise the model name shown in the report\n"
    "  --baseline FILE       profile from 'driftwatch baseline'\n"
    "  --data FILE           current data (CSV or JSON Lines)\n"
    "  --out FILE            the HTML file to write ('-' for stdout)\n"
    "  --methods SPEC        auto (default), all, or a list of methods (see 'check --help')\n"
    "  --correction C        fdr (default), bonferroni, none (see 'check --help')\n"
    "  --dataset-share X     dataset drift when this share of features drifted (default 0.5)\n"
    "  --threshold F=X       per-feature threshold (repeatable)\n"
    "  --feature-method F=M  per-feature method (repeatable)\n"
    "  --quality NAME=VALUE  data quality threshold (repeatable; see 'check --help')\n"
    "  --protected A=V1,V2   protected attribute for the bias metrics (repeatable; see 'check --help')\n"
    "  --bins N              quantile bins for binned methods (default: the baseline's)\n"
    "  --strict              a bad row in the data is fatal\n"
    "  -h, --help            this help\n";

static const struct cli_opt opts[] = {CHECK_INPUT_OPTIONS};

int cmd_report(int argc, char **argv)
{
    struct check_input in = {.command = "report"};
    struct drift_flags flags;
    drift_flags_init(&flags);
    in.flags = &flags;
    const char *out_path = NULL;
    char err[1024];
    int rc = 2;
    struct cliargs ca;
    cliargs_init(&ca, argc, argv, opts, sizeof opts / sizeof opts[0], usage);
    int k;
    const char *v;
    struct check_setup setup;
    int prepared = 0;
    while ((k = cliargs_next(&ca, &v)) >= 0) {
        if (check_input_take(&in, &flags, &out_path, opts[k].name, v, err, sizeof err) < 0) {
            fprintf(stderr, "driftwatch report: %s\n", err);
            goto out;
        }
    }
    if (k != CLIARGS_END) {
        if (k == CLIARGS_HELP)
            rc = 0;
        goto out;
    }
    if ((!in.config && (!in.baseline || !in.data)) || !out_path) {
        fprintf(stderr, "driftwatch report: %s are required (see --help)\n",
                in.config ? "--out" : "--baseline, --data and --out (or -c CONFIG and --out)");
        goto out;
    }
    rc = 1;
    prepared = 1;
    struct verdict *verdict = NULL;
    struct columns *window = NULL;
    if (check_setup_prepare(&in, &setup, err, sizeof err) < 0 ||
        check_setup_run(&setup, &verdict, &window, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch report: %s\n", err);
        goto out;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    if (report_render_html(setup.profile, window, verdict, &sb) < 0) {
        fprintf(stderr, "driftwatch report: out of memory rendering the report\n");
    } else if (outfile_write(out_path, sb.data, sb.len, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch report: %s\n", err);
    } else {
        if (strcmp(out_path, "-") != 0)
            fprintf(stderr, "driftwatch report: %zu of %zu features drifted%s%s -> %s\n", verdict->drifted,
                    verdict->nfeatures, verdict->dataset_drift ? " (dataset drift)" : "",
                    verdict->schema_error ? "; schema error: baseline columns missing from the data" : "", out_path);
        rc = 0;
    }
    strbuf_free(&sb);
    verdict_free(verdict);
    columns_free(window);
out:
    if (prepared)
        check_setup_clear(&setup);
    drift_flags_clear(&flags);
    return rc;
}
