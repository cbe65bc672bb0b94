/* driftwatch report --baseline B.json --data D --out report.html: the check's verdict as one
 * self-contained HTML page with a plot per feature. Exit 0 written, 1 failed, 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "data/cliargs.h"
#include "data/outfile.h"
#include "drift/analyze.h"

static const char usage[] =
    "usage: driftwatch report --baseline B.json --data D.csv|D.jsonl --out report.html [options]\n"
    "\n"
    "Writes one self-contained HTML file (inline CSS and SVG, no external assets): the verdict of\n"
    "'check' and, per feature, baseline vs current (histograms or category bars), drifted first.\n"
    "\n"
    "  --baseline FILE   profile from 'driftwatch baseline'\n"
    "  --data FILE       current data (CSV or JSON Lines)\n"
    "  --out FILE        the HTML file to write ('-' for stdout)\n"
    "  --methods SPEC    auto (default), all, or a list of methods (see 'check --help')\n"
    "  --correction C    none (default), bonferroni, fdr\n"
    "  --model NAME      model name shown in the report\n"
    "  --strict          a bad row in the data is fatal\n"
    "  -h, --help        this help\n";

enum { O_BASELINE, O_DATA, O_OUT, O_METHODS, O_CORR, O_MODEL, O_STRICT, O_HELP };

static const struct cli_opt opts[] = {
    [O_BASELINE] = {"baseline", 'b', 1}, [O_DATA] = {"data", 'd', 1},   [O_OUT] = {"out", 'o', 1},
    [O_METHODS] = {"methods", 0, 1},     [O_CORR] = {"correction", 0, 1}, [O_MODEL] = {"model", 'm', 1},
    [O_STRICT] = {"strict", 0, 0},       [O_HELP] = {"help", 'h', 0},
};

int cmd_report(int argc, char **argv)
{
    const char *baseline = NULL, *data = NULL, *out_path = NULL, *model = NULL;
    struct analyze_options ao;
    analyze_options_init(&ao);
    int strict = 0;
    char err[1024];
    int rc = 2;
    int i = 1, k;
    const char *v;
    for (;;) {
        k = cliargs_next(argc, argv, &i, opts, sizeof opts / sizeof opts[0], &v, err, sizeof err);
        if (k == -1)
            break;
        switch (k) {
        case -2:
            fprintf(stderr, "driftwatch report: %s (see --help)\n", err);
            goto out;
        case O_HELP:
            fputs(usage, stdout);
            rc = 0;
            goto out;
        case O_BASELINE: baseline = v; break;
        case O_DATA: data = v; break;
        case O_OUT: out_path = v; break;
        case O_MODEL: model = v; break;
        case O_STRICT: strict = 1; break;
        case O_METHODS:
        case O_CORR:
            if ((k == O_METHODS ? analyze_options_set_methods(&ao, v, err, sizeof err)
                                : analyze_options_set_correction(&ao, v, err, sizeof err)) < 0) {
                fprintf(stderr, "driftwatch report: --%s\n", err);
                goto out;
            }
            break;
        }
    }
    if (!baseline || !data || !out_path) {
        fprintf(stderr, "driftwatch report: --baseline, --data and --out are required (see --help)\n");
        goto out;
    }
    rc = 1;
    struct cli_feedback fb;
    cli_feedback_init(&fb, "report");
    struct check_request req = {
        .baseline_path = baseline,
        .data_path = data,
        .model = model,
        .analyze = &ao,
        .strict = strict,
        .on_bad_row = cli_feedback_bad_row,
        .on_progress = cli_feedback_progress,
        .ud = &fb,
    };
    struct verdict *verdict = NULL;
    struct columns *window = NULL;
    struct profile *profile = NULL;
    int e = check_run(&req, &verdict, &window, &profile, err, sizeof err);
    cli_feedback_finish(&fb);
    if (e < 0) {
        fprintf(stderr, "driftwatch report: %s\n", err);
        goto out;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    if (report_render_html(profile, window, verdict, &sb) < 0) {
        fprintf(stderr, "driftwatch report: out of memory rendering the report\n");
    } else if (outfile_write(out_path, sb.data, sb.len, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch report: %s\n", err);
    } else {
        if (strcmp(out_path, "-") != 0)
            fprintf(stderr, "driftwatch report: %zu of %zu features drifted%s -> %s\n", verdict->drifted,
                    verdict->nfeatures, verdict->dataset_drift ? " (dataset drift)" : "", out_path);
        rc = 0;
    }
    strbuf_free(&sb);
    verdict_free(verdict);
    columns_free(window);
    profile_free(profile);
out:
    analyze_options_free(&ao);
    return rc;
}
