/* check/report setup shared by both commands (see check_setup.h). */
#include "cli/check_setup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_model.h"
#include "cli/cli_feedback.h"
#include "cli/cliargs.h"
#include "state/state_window.h"
#include "util/suggest.h"
#include "plugin/data_version.h"

void drift_flags_init(struct drift_flags *f)
{
    memset(f, 0, sizeof *f);
    f->dataset_share = NAN;
}

void drift_flags_clear(struct drift_flags *f)
{
    for (size_t i = 0; i < f->noverrides; i++)
        free(f->overrides[i].feature);
    free(f->overrides);
    drift_flags_init(f);
}

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

/* --quality NAME=VALUE into q: a share threshold (a number in [0, 1] or off) or
 * missing_columns=error|warn. Returns 0 or -1 with why. */
static int quality_flag_apply(struct quality_options *q, const char *arg, char *why, size_t whylen)
{
    char *name = NULL;
    const char *val;
    if (split_assignment(arg, &name, &val) < 0) {
        free(name);
        snprintf(why, whylen, "expected NAME=VALUE such as out_of_range=0.1 or missing_columns=warn");
        return -1;
    }
    int rc = -1;
    double limit;
    if (strcmp(name, "missing_columns") == 0) {
        if (strcmp(val, "error") == 0 || strcmp(val, "warn") == 0) {
            q->missing_columns_warn = strcmp(val, "warn") == 0;
            rc = 0;
        } else {
            snprintf(why, whylen, "missing_columns must be error or warn");
        }
    } else if (quality_problem_from_name(name) >= 0 && quality_parse_limit(val, &limit) < 0) {
        snprintf(why, whylen, "%s must be a share in [0, 1] or off, not '%s'", name, val);
    } else {
        rc = quality_options_set(q, NULL, name, quality_problem_from_name(name) >= 0 ? limit : 0, why, whylen);
    }
    free(name);
    return rc;
}

static int take_override(struct drift_flags *f, const char *name, const char *arg, char *err, size_t errlen)
{
    int is_threshold = strcmp(name, "threshold") == 0;
    char *feature = NULL;
    const char *val;
    if (split_assignment(arg, &feature, &val) < 0) {
        snprintf(err, errlen, "--%s: expected FEATURE=%s, got '%s'", name, is_threshold ? "NUMBER" : "METHOD", arg);
        free(feature);
        return -1;
    }
    struct flag_override o = {.feature = feature, .threshold = NAN, .arg = arg};
    char why[512];
    if (is_threshold) {
        char *end;
        o.threshold = strtod(val, &end);
        if (*end || !isfinite(o.threshold)) {
            snprintf(err, errlen, "--threshold: '%s' is not a number", val);
            free(feature);
            return -1;
        }
    } else {
        o.method = val;
    }
    if (config_check_override(o.method, o.threshold, why, sizeof why) < 0) {
        snprintf(err, errlen, "--%s %s: %s", name, arg, why);
        free(feature);
        return -1;
    }
    struct flag_override *grown = realloc(f->overrides, (f->noverrides + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        free(feature);
        return -1;
    }
    f->overrides = grown;
    f->overrides[f->noverrides++] = o;
    return 1;
}

int check_input_take(struct check_input *in, struct drift_flags *flags, const char **out_path, const char *name,
                     const char *value, char *err, size_t errlen)
{
    if (strcmp(name, "baseline") == 0)
        in->baseline = value;
    else if (strcmp(name, "data") == 0)
        in->data = value;
    else if (strcmp(name, "out") == 0)
        *out_path = value;
    else if (strcmp(name, "model") == 0)
        in->model = value;
    else if (strcmp(name, "config") == 0)
        in->config = value;
    else if (strcmp(name, "strict") == 0)
        in->strict = 1;
    else if (drift_flags_take(flags, name, value, err, errlen) < 0)
        return -1;
    return 0;
}

int drift_flags_take(struct drift_flags *f, const char *name, const char *value, char *err, size_t errlen)
{
    char why[512];
    if (strcmp(name, "methods") == 0) {
        if (config_check_methods(value, why, sizeof why) < 0) {
            snprintf(err, errlen, "--methods: %s", why);
            return -1;
        }
        f->methods = value;
        return 1;
    }
    if (strcmp(name, "correction") == 0) {
        struct analyze_options tmp;
        analyze_options_init(&tmp);
        int e = analyze_options_set_correction(&tmp, value, why, sizeof why);
        analyze_options_free(&tmp);
        if (e < 0) {
            snprintf(err, errlen, "--%s", why);
            return -1;
        }
        f->correction = value;
        return 1;
    }
    if (strcmp(name, "dataset-share") == 0) {
        char *end;
        double x = strtod(value, &end);
        if (*end || !(x > 0 && x <= 1)) {
            snprintf(err, errlen, "--dataset-share: expected a number in (0, 1], got '%s'", value);
            return -1;
        }
        f->dataset_share = x;
        return 1;
    }
    if (strcmp(name, "bins") == 0) {
        unsigned long long u;
        if (cliargs_parse_u64(value, &u) < 0 || u < 2 || u > 10000) {
            snprintf(err, errlen, "--bins: expected an integer from 2 to 10000, got '%s'", value);
            return -1;
        }
        f->bins = (int)u;
        return 1;
    }
    if (strcmp(name, "threshold") == 0 || strcmp(name, "feature-method") == 0)
        return take_override(f, name, value, err, errlen);
    if (strcmp(name, "quality") == 0) {
        struct quality_options tmp;
        quality_options_init(&tmp);
        int e = quality_flag_apply(&tmp, value, why, sizeof why);
        quality_options_clear(&tmp);
        if (e < 0 || f->nquality == sizeof f->quality / sizeof f->quality[0]) {
            snprintf(err, errlen, "--quality %s: %s", value, e < 0 ? why : "too many --quality flags");
            return -1;
        }
        f->quality[f->nquality++] = value;
        return 1;
    }
    if (strcmp(name, "protected") == 0) {
        struct fairness_spec fs;
        if (fairness_spec_parse(value, &fs, why, sizeof why) < 0 ||
            f->nprotected == sizeof f->protected / sizeof f->protected[0]) {
            if (f->nprotected < sizeof f->protected / sizeof f->protected[0])
                snprintf(err, errlen, "--protected: %s", why);
            else
                snprintf(err, errlen, "--protected %s: too many --protected flags", value);
            fairness_spec_clear(&fs);
            return -1;
        }
        fairness_spec_clear(&fs);
        f->protected[f->nprotected++] = value;
        return 1;
    }
    return 0;
}

/* The flags over the options the model's config (or the defaults) gave: a flag replaces a
 * setting; a per-feature flag replaces that half of the feature's override and keeps the other. */
static int apply_flags(const struct drift_flags *f, const struct profile *p, struct analyze_options *ao, char *err,
                       size_t errlen)
{
    char why[512];
    if (f->methods && analyze_options_set_methods(ao, f->methods, why, sizeof why) < 0) {
        snprintf(err, errlen, "--%s", why);
        return -1;
    }
    if (f->correction && analyze_options_set_correction(ao, f->correction, why, sizeof why) < 0) {
        snprintf(err, errlen, "--%s", why);
        return -1;
    }
    if (!isnan(f->dataset_share))
        ao->dataset_share = f->dataset_share;
    for (size_t i = 0; i < f->nquality; i++) {
        if (quality_flag_apply(&ao->quality, f->quality[i], why, sizeof why) < 0) {
            snprintf(err, errlen, "--quality %s: %s", f->quality[i], why);
            return -1;
        }
    }
    if (f->bins)
        ao->bins = f->bins;
    if (f->nprotected) {
        /* the flags replace the config's protected attributes */
        unsigned metrics = ao->perf.metrics;
        perf_options_clear(&ao->perf);
        ao->perf.metrics = metrics;
    }
    for (size_t i = 0; i < f->nprotected; i++) {
        struct fairness_spec fs;
        if (fairness_spec_parse(f->protected[i], &fs, why, sizeof why) < 0) {
            snprintf(err, errlen, "--protected: %s", why);
            return -1;
        }
        int e = profile_find(p, fs.attribute) < 0 ? -2 : perf_options_add_fairness(&ao->perf, &fs);
        if (e == -2) {
            snprintf(err, errlen, "--protected %s: the baseline has no column '%s'", f->protected[i], fs.attribute);
            suggest_append(err, errlen, config_nearest_feature(p, fs.attribute));
        } else if (e < 0) {
            snprintf(err, errlen, "out of memory");
        }
        fairness_spec_clear(&fs);
        if (e < 0)
            return -1;
    }
    for (size_t i = 0; i < f->noverrides; i++) {
        const struct flag_override *o = &f->overrides[i];
        const char *flag = o->method ? "feature-method" : "threshold";
        if (profile_find(p, o->feature) < 0) {
            snprintf(err, errlen, "--%s %s: the baseline has no feature '%s'", flag, o->arg, o->feature);
            suggest_append(err, errlen, config_nearest_feature(p, o->feature));
            return -1;
        }
        struct analyze_override *ov = NULL;
        for (size_t k = 0; k < ao->noverrides && !ov; k++)
            if (strcmp(ao->overrides[k].feature, o->feature) == 0)
                ov = &ao->overrides[k];
        if (!ov) {
            if (analyze_options_add_override(ao, o->feature, NULL, NAN, why, sizeof why) < 0) {
                snprintf(err, errlen, "--%s %s: %s", flag, o->arg, why);
                return -1;
            }
            ov = &ao->overrides[ao->noverrides - 1];
        }
        if (o->method)
            ov->method = strcmp(o->method, "auto") == 0 ? DM_NONE : drift_method_from_name(o->method);
        else
            ov->threshold = o->threshold;
        /* the two halves may come from different places (config, flags): check them together */
        if (config_check_override(ov->method == DM_NONE ? NULL : drift_method_name(ov->method), ov->threshold, why,
                                  sizeof why) < 0) {
            snprintf(err, errlen, "--%s %s: feature '%s': %s", flag, o->arg, o->feature, why);
            return -1;
        }
    }
    return 0;
}

/* Warns on stderr when the data the baseline was built from is no longer the tracked version. */
static void warn_data_version(const char *command, const struct config *cfg, const struct model_config *mc,
                              const struct profile *p)
{
    json_t *now = NULL;
    char err[768];
    if (data_version_of_model(cfg, mc, NULL, &now, err, sizeof err) < 0) {
        fprintf(stderr, "driftwatch %s: warning: %s\n", command, err);
        return;
    }
    const char *then = json_string_value(json_object_get(json_object_get(p->source, "data_version"), "md5"));
    const char *current = json_string_value(json_object_get(now, "md5"));
    if (then && current && strcmp(then, current) != 0)
        fprintf(stderr, "driftwatch %s: warning: model '%s': the baseline was built from data version %s, the "
                        "tracked training data is now %s: rebuild the baseline\n", command, mc->name, then, current);
    if (now && json_is_false(json_object_get(now, "matches")))
        fprintf(stderr, "driftwatch %s: warning: model '%s': the training data on disk no longer matches its "
                        "tracked version\n", command, mc->name);
    json_decref(now);
}

int check_setup_prepare(const struct check_input *in, struct check_setup *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    analyze_options_init(&s->ao);
    s->in = in;
    s->model = in->model;
    s->data = in->data;
    char why[768];
    if (!in->config) {
        if (!in->baseline || !in->data) {
            snprintf(err, errlen, "--baseline and --data are required, or -c CONFIG (see --help)");
            return -1;
        }
        if (profile_load(in->baseline, &s->profile, err, errlen) < 0)
            return -1;
        return apply_flags(in->flags, s->profile, &s->ao, err, errlen);
    }
    if (config_load(in->config, &s->cfg, err, errlen) < 0)
        return -1;
    if (!(s->mc = config_pick_model(s->cfg, in->model, err, errlen)))
        return -1;
    s->model = s->mc->name;
    if (profile_load(in->baseline ? in->baseline : s->mc->baseline, &s->profile, why, sizeof why) < 0) {
        snprintf(err, errlen, "model '%s': baseline: %s", s->mc->name, why);
        return -1;
    }
    analyze_options_free(&s->ao);
    if (config_check_baseline(s->mc, s->profile, err, errlen) < 0 ||
        config_analyze_options(s->mc, &s->ao, err, errlen) < 0) {
        analyze_options_init(&s->ao);
        return -1;
    }
    if (apply_flags(in->flags, s->profile, &s->ao, err, errlen) < 0)
        return -1;
    if (!s->data && !state_window_exists(s->cfg->agent.state_dir, s->mc->name)) {
        snprintf(err, errlen, "model '%s': no --data given, and state_dir %s holds no window of the model (%s.journal "
                 "or %s.snapshot, written by 'driftwatch run'): pass --data FILE", s->mc->name,
                 s->cfg->agent.state_dir, s->mc->name, s->mc->name);
        return -1;
    }
    warn_data_version(in->command, s->cfg, s->mc, s->profile);
    return 0;
}

static int run_on_state(struct check_setup *s, struct verdict **out, struct columns **window_out, char *err,
                        size_t errlen)
{
    const char *dir = s->cfg->agent.state_dir;
    struct columns *w = NULL;
    struct state_window_info info;
    if (state_window_read(dir, s->mc, s->profile, &w, &info, err, errlen) < 0)
        return -1;
    int rc = -1;
    if (w->rows == 0) {
        snprintf(err, errlen, "model '%s': the agent's window in %s is empty (%llu snapshot + %llu journal "
                 "record(s) read): nothing to check yet; pass --data FILE to check a file", s->mc->name, dir,
                 (unsigned long long)info.snapshot_records, (unsigned long long)info.journal_records);
        goto out;
    }
    fprintf(stderr, "driftwatch %s: model '%s': data: the agent's current window in %s, %llu sample(s) (from %llu "
            "snapshot + %llu journal record(s), read from a copy without the agent's lock%s%s)\n", s->in->command,
            s->mc->name, dir, (unsigned long long)w->rows, (unsigned long long)info.snapshot_records,
            (unsigned long long)info.journal_records, info.torn_bytes ? "; a record being written was left out" : "",
            info.unreadable ? "; unreadable samples skipped" : "");
    if (analyze_window(s->profile, w, &s->ao, out, err, errlen) < 0)
        goto out;
    if (verdict_set_model(*out, s->model) < 0) {
        snprintf(err, errlen, "out of memory");
        verdict_free(*out);
        *out = NULL;
        goto out;
    }
    if (window_out) {
        *window_out = w;
        w = NULL;
    }
    rc = 0;
out:
    columns_free(w);
    return rc;
}

int check_setup_run(struct check_setup *s, struct verdict **out, struct columns **window_out, char *err,
                    size_t errlen)
{
    *out = NULL;
    if (window_out)
        *window_out = NULL;
    if (!s->data)
        return run_on_state(s, out, window_out, err, errlen);
    if (s->cfg)
        fprintf(stderr, "driftwatch %s: model '%s': data: %s\n", s->in->command, s->mc->name, s->data);
    struct cli_feedback fb;
    cli_feedback_init(&fb, s->in->command);
    struct check_request req = {
        .profile = s->profile,
        .data_path = s->data,
        .model = s->model,
        .analyze = &s->ao,
        .strict = s->in->strict,
        .on_bad_row = cli_feedback_bad_row,
        .on_progress = cli_feedback_progress,
        .ud = &fb,
    };
    int e = check_run(&req, out, window_out, NULL, err, errlen);
    cli_feedback_finish(&fb);
    return e;
}

void check_setup_clear(struct check_setup *s)
{
    analyze_options_free(&s->ao);
    profile_free(s->profile);
    config_free(s->cfg);
    memset(s, 0, sizeof *s);
}
