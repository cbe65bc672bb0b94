/* What `check` and `report` share, so a report always shows the verdict of the check it documents:
 * the decision flags (--methods, --correction, --dataset-share, --threshold, --feature-method,
 * --bins), the -c setup (the model's baseline and drift settings from the config, the flags on
 * top), and where the data comes from (--data, or with -c the agent's window in its state_dir).
 * CLI layer: check_setup_run prints one line on stderr saying which data was checked. */
#ifndef DW_CHECK_SETUP_H
#define DW_CHECK_SETUP_H

#include <stddef.h>

#include "config/config.h"
#include "data/columns.h"
#include "data/profile.h"
#include "analyze/analyze.h"

/* The decision flags as given (validated as far as they can be without the baseline). */
struct drift_flags {
    const char *methods;    /* NULL: not given */
    const char *correction; /* NULL: not given */
    double dataset_share;   /* NAN: not given */
    int bins;               /* 0: not given */
    struct flag_override {
        char *feature;
        const char *method; /* --feature-method (NULL: not this flag) */
        double threshold;   /* --threshold (NAN: not this flag) */
        const char *arg;    /* the flag's argument, for messages */
    } *overrides;           /* in the order given */
    size_t noverrides;
    const char *quality[16]; /* --quality NAME=VALUE arguments (docs/statistics.md thresholds), in order */
    size_t nquality;
    const char *protected[16]; /* --protected ATTR=V1,V2 arguments, in order (replace the config's fairness) */
    size_t nprotected;
};

void drift_flags_init(struct drift_flags *f);
void drift_flags_clear(struct drift_flags *f);
/* Takes one decision flag (its long name, without dashes; "quality" is --quality NAME=VALUE: a
 * quality_checks key of the config, out_of_range=0.1, type_mismatch=off, missing_columns=warn). Returns 1 taken, 0 not a decision flag,
 * -1 with err ("--threshold: expected FEATURE=NUMBER, got 'x'"). */
int drift_flags_take(struct drift_flags *f, const char *name, const char *value, char *err, size_t errlen);

struct check_input {
    const char *command;  /* "check" or "report", for messages */
    const char *config;   /* -c FILE, or NULL */
    const char *model;    /* --model: with -c the model to check; else the name in the output */
    const char *baseline; /* --baseline (with -c: instead of the model's) */
    const char *data;     /* --data; NULL with -c: the agent's window in state_dir */
    const struct drift_flags *flags;
    int strict;
};

/* The options check and report share (struct cli_opt entries, cliargs.h): where the baseline and
 * the data come from, --out, --strict and the decision flags. A command's table starts with them;
 * its own options follow from index CHECK_INPUT_NOPTIONS. */
#define CHECK_INPUT_OPTIONS                                                                                    \
    {"baseline", 'b', 1}, {"data", 'd', 1}, {"out", 'o', 1}, {"model", 'm', 1}, {"config", 'c', 1},         \
        {"strict", 0, 0}, {"methods", 0, 1}, {"correction", 0, 1}, {"dataset-share", 0, 1},                 \
        {"threshold", 0, 1}, {"feature-method", 0, 1}, {"bins", 0, 1}, {"quality", 0, 1}, {"protected", 0, 1}
#define CHECK_INPUT_NOPTIONS 14

/* Takes one of CHECK_INPUT_OPTIONS (its long name) into in, flags (the decision flags) or *out_path.
 * Returns 0, or -1 with err. */
int check_input_take(struct check_input *in, struct drift_flags *flags, const char **out_path, const char *name,
                     const char *value, char *err, size_t errlen);

struct check_setup {
    struct config *cfg; /* with -c */
    const struct model_config *mc;
    struct profile *profile;
    struct analyze_options ao;
    const char *model;
    const char *data;   /* NULL: the agent's window */
    const struct check_input *in;
};

/* Loads the config (with -c) and the baseline, and builds the analyzer options: the model's drift
 * settings, then the flags over them (a flag's feature must be one of the baseline's, with a
 * suggestion when it is close to one). Returns 0, or -1 with err (exit 3: could not run). */
int check_setup_prepare(const struct check_input *in, struct check_setup *s, char *err, size_t errlen);

/* Reads the data (the file, or the agent's window) and analyzes it. window_out (may be NULL)
 * receives the table the verdict was computed from. Returns 0 or -1 with err. */
int check_setup_run(struct check_setup *s, struct verdict **out, struct columns **window_out, char *err,
                    size_t errlen);

void check_setup_clear(struct check_setup *s);

#endif
