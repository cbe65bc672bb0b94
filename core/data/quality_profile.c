/* The profile's "quality" section: rendering and validated loading (see quality_profile.h). */
#include "data/quality_profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonw.h"

/* Keys this file reads and writes; the rest of the section goes to extra. */
static const char *const known_keys[] = {"task",        "positive",         "columns",
                                         "reference",   "chunks",           "thresholds",
                                         "fairness",    "calibration",      "estimated_chunks",
                                         "estimated_thresholds"};

struct quality_profile *quality_profile_new(enum perf_task task)
{
    struct quality_profile *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->task = task;
    for (int m = 0; m < PM_COUNT; m++)
        q->reference[m] = q->lower[m] = q->upper[m] = NAN;
    for (int m = 0; m < CBPE_COUNT; m++)
        q->estimated_lower[m] = q->estimated_upper[m] = NAN;
    return q;
}

void fairness_spec_clear(struct fairness_spec *s)
{
    free(s->attribute);
    for (size_t i = 0; i < s->nprivileged; i++)
        free(s->privileged[i]);
    free(s->privileged);
    free(s->favorable);
    memset(s, 0, sizeof *s);
}

int fairness_spec_copy(struct fairness_spec *dst, const struct fairness_spec *src)
{
    memset(dst, 0, sizeof *dst);
    dst->attribute = strdup(src->attribute);
    dst->favorable = src->favorable ? strdup(src->favorable) : NULL;
    dst->privileged = calloc(src->nprivileged ? src->nprivileged : 1, sizeof *dst->privileged);
    int bad = !dst->attribute || (src->favorable && !dst->favorable) || !dst->privileged;
    for (size_t i = 0; !bad && i < src->nprivileged; i++) {
        dst->privileged[i] = strdup(src->privileged[i]);
        bad = !dst->privileged[i];
        dst->nprivileged += !bad;
    }
    if (bad) {
        fairness_spec_clear(dst);
        return -1;
    }
    return 0;
}

void quality_profile_free(struct quality_profile *q)
{
    if (!q)
        return;
    free(q->positive);
    free(q->prediction);
    free(q->score);
    free(q->target);
    for (int m = 0; m < PM_COUNT; m++)
        free(q->chunks[m]);
    isotonic_curve_clear(&q->calibration);
    for (int m = 0; m < CBPE_COUNT; m++)
        free(q->estimated_chunks[m]);
    for (size_t i = 0; i < q->nfairness; i++)
        fairness_spec_clear(&q->fairness[i].spec);
    free(q->fairness);
    json_decref(q->extra);
    free(q);
}

static void put_key(struct strbuf *sb, int *first, const char *key)
{
    strbuf_puts(sb, *first ? "\n    " : ",\n    ");
    *first = 0;
    jsonw_string(sb, key, strlen(key));
    strbuf_puts(sb, ": ");
}

static void put_text_or_null(struct strbuf *sb, const char *s)
{
    if (s)
        jsonw_string(sb, s, strlen(s));
    else
        strbuf_puts(sb, "null");
}

static void put_numbers(struct strbuf *sb, const double *v, size_t n)
{
    strbuf_puts(sb, "[");
    for (size_t k = 0; v && k < n; k++) {
        if (k)
            strbuf_puts(sb, ", ");
        jsonw_number(sb, v[k]);
    }
    strbuf_puts(sb, "]");
}

/* "calibration": {"x", "y"}, "estimated_chunks" and "estimated_thresholds" (per CBPE metric). */
static void render_estimate(const struct quality_profile *q, struct strbuf *sb, int *first)
{
    put_key(sb, first, "calibration");
    strbuf_puts(sb, "{\"x\": ");
    put_numbers(sb, q->calibration.x, q->calibration.n);
    strbuf_puts(sb, ",\n      \"y\": ");
    put_numbers(sb, q->calibration.y, q->calibration.n);
    strbuf_puts(sb, "}");
    put_key(sb, first, "estimated_chunks");
    for (int m = 0; m < CBPE_COUNT; m++) {
        strbuf_printf(sb, "%s\"%s\": ", m ? ",\n      " : "{\n      ", cbpe_metric_name(m));
        put_numbers(sb, q->estimated_chunks[m], q->nchunks);
    }
    strbuf_puts(sb, "}");
    put_key(sb, first, "estimated_thresholds");
    for (int m = 0; m < CBPE_COUNT; m++) {
        strbuf_printf(sb, "%s\"%s\": {\"lower\": ", m ? ",\n      " : "{\n      ", cbpe_metric_name(m));
        jsonw_number(sb, q->estimated_lower[m]);
        strbuf_puts(sb, ", \"upper\": ");
        jsonw_number(sb, q->estimated_upper[m]);
        strbuf_puts(sb, "}");
    }
    strbuf_puts(sb, "}");
}

void quality_profile_render(const struct quality_profile *q, struct strbuf *sb)
{
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(q->task, &ms);
    int first = 1;
    strbuf_puts(sb, "{");
    put_key(sb, &first, "task");
    put_text_or_null(sb, perf_task_name(q->task));
    put_key(sb, &first, "positive");
    put_text_or_null(sb, q->positive);
    put_key(sb, &first, "columns");
    strbuf_puts(sb, "{\"prediction\": ");
    put_text_or_null(sb, q->prediction);
    strbuf_puts(sb, ", \"score\": ");
    put_text_or_null(sb, q->score);
    strbuf_puts(sb, ", \"target\": ");
    put_text_or_null(sb, q->target);
    strbuf_puts(sb, "}");
    put_key(sb, &first, "reference");
    for (size_t i = 0; i < nm; i++) {
        strbuf_printf(sb, "%s\"%s\": ", i ? ", " : "{", perf_metric_name(ms[i]));
        jsonw_number(sb, q->reference[ms[i]]);
    }
    strbuf_puts(sb, nm ? "}" : "{}");
    put_key(sb, &first, "chunks");
    for (size_t i = 0; i < nm; i++) {
        strbuf_printf(sb, "%s\"%s\": ", i ? ",\n      " : "{\n      ", perf_metric_name(ms[i]));
        put_numbers(sb, q->chunks[ms[i]], q->nchunks);
    }
    strbuf_puts(sb, nm ? "}" : "{}");
    put_key(sb, &first, "thresholds");
    for (size_t i = 0; i < nm; i++) {
        strbuf_printf(sb, "%s\"%s\": {\"lower\": ", i ? ",\n      " : "{\n      ", perf_metric_name(ms[i]));
        jsonw_number(sb, q->lower[ms[i]]);
        strbuf_puts(sb, ", \"upper\": ");
        jsonw_number(sb, q->upper[ms[i]]);
        strbuf_puts(sb, "}");
    }
    strbuf_puts(sb, nm ? "}" : "{}");
    if (q->calibration.n)
        render_estimate(q, sb, &first);
    if (q->nfairness) {
        put_key(sb, &first, "fairness");
        for (size_t i = 0; i < q->nfairness; i++) {
            const struct quality_fairness *f = &q->fairness[i];
            strbuf_puts(sb, i ? ",\n      " : "{\n      ");
            jsonw_string(sb, f->spec.attribute, strlen(f->spec.attribute));
            strbuf_puts(sb, ": {\"privileged\": [");
            for (size_t k = 0; k < f->spec.nprivileged; k++) {
                if (k)
                    strbuf_puts(sb, ", ");
                jsonw_string(sb, f->spec.privileged[k], strlen(f->spec.privileged[k]));
            }
            strbuf_puts(sb, "], \"favorable\": ");
            put_text_or_null(sb, f->spec.favorable);
            const char *names[4] = {"spd", "dir", "eod", "aod"};
            double vals[4] = {f->values.spd, f->values.dir, f->values.eod, f->values.aod};
            for (int k = 0; k < 4; k++) {
                strbuf_printf(sb, ", \"%s\": ", names[k]);
                jsonw_number(sb, vals[k]);
            }
            strbuf_printf(sb, ", \"alert\": %s}", f->values.alert ? "true" : "false");
        }
        strbuf_puts(sb, "}");
    }
    const char *key;
    json_t *v;
    json_object_foreach(q->extra, key, v)
    {
        put_key(sb, &first, key);
        jsonw_dump(sb, v, 0);
    }
    strbuf_puts(sb, "\n  }");
}

/* ---- loading ---- */

struct qctx {
    const char *name;
    char *err;
    size_t errlen;
};

static int qfail(struct qctx *c, const char *path, const char *what)
{
    snprintf(c->err, c->errlen, "%s: quality%s%s: %s", c->name, *path ? "." : "", path, what);
    return -1;
}

/* An optional string member (absent or null: NULL); a copy in *out. */
static int get_text(struct qctx *c, const json_t *obj, const char *key, const char *path, char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return qfail(c, path, "expected a string or null");
    *out = strdup(json_string_value(v));
    return *out ? 0 : qfail(c, path, "out of memory");
}

static int get_num(struct qctx *c, const json_t *v, const char *path, double *out)
{
    *out = NAN;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return qfail(c, path, "expected a number or null");
    *out = json_number_value(v);
    return 0;
}

/* A metric-keyed object: every key must be a metric of the task. */
static int check_metric_key(struct qctx *c, const struct quality_profile *q, const char *section, const char *key,
                            int *m)
{
    char path[300];
    snprintf(path, sizeof path, "%s.%s", section, key);
    *m = perf_metric_parse(key);
    const enum perf_metric *ms;
    size_t nm = perf_task_metrics(q->task, &ms);
    for (size_t i = 0; *m >= 0 && i < nm; i++)
        if (ms[i] == (enum perf_metric)*m)
            return 0;
    return qfail(c, path, "not a metric of this task");
}

static int load_metrics(struct qctx *c, const json_t *obj, struct quality_profile *q)
{
    const char *key;
    json_t *v;
    char path[300];
    int m;
    const json_t *ref = json_object_get(obj, "reference");
    if (ref && !json_is_object(ref))
        return qfail(c, "reference", "expected an object");
    json_object_foreach((json_t *)ref, key, v)
    {
        snprintf(path, sizeof path, "reference.%s", key);
        if (check_metric_key(c, q, "reference", key, &m) < 0 || get_num(c, v, path, &q->reference[m]) < 0)
            return -1;
    }
    const json_t *chunks = json_object_get(obj, "chunks");
    if (chunks && !json_is_object(chunks))
        return qfail(c, "chunks", "expected an object");
    json_object_foreach((json_t *)chunks, key, v)
    {
        snprintf(path, sizeof path, "chunks.%s", key);
        if (check_metric_key(c, q, "chunks", key, &m) < 0)
            return -1;
        if (!json_is_array(v))
            return qfail(c, path, "expected an array");
        size_t n = json_array_size(v);
        if (q->nchunks && n != q->nchunks)
            return qfail(c, path, "not as many chunk values as the other metrics have");
        q->nchunks = n;
        q->chunks[m] = malloc((n ? n : 1) * sizeof *q->chunks[m]);
        if (!q->chunks[m])
            return qfail(c, path, "out of memory");
        for (size_t k = 0; k < n; k++) {
            snprintf(path, sizeof path, "chunks.%s[%zu]", key, k);
            if (get_num(c, json_array_get(v, k), path, &q->chunks[m][k]) < 0)
                return -1;
        }
    }
    const json_t *th = json_object_get(obj, "thresholds");
    if (th && !json_is_object(th))
        return qfail(c, "thresholds", "expected an object");
    json_object_foreach((json_t *)th, key, v)
    {
        if (check_metric_key(c, q, "thresholds", key, &m) < 0)
            return -1;
        snprintf(path, sizeof path, "thresholds.%s", key);
        if (!json_is_object(v))
            return qfail(c, path, "expected an object {\"lower\", \"upper\"}");
        snprintf(path, sizeof path, "thresholds.%s.lower", key);
        if (get_num(c, json_object_get(v, "lower"), path, &q->lower[m]) < 0)
            return -1;
        snprintf(path, sizeof path, "thresholds.%s.upper", key);
        if (get_num(c, json_object_get(v, "upper"), path, &q->upper[m]) < 0)
            return -1;
    }
    return 0;
}

/* An array of numbers (null allowed when nullable: NAN) into a malloc'd *out of *n values. */
static int get_numbers(struct qctx *c, const json_t *v, const char *path, int nullable, double **out, size_t *n)
{
    char where[300];
    *out = NULL;
    if (!json_is_array(v))
        return qfail(c, path, "expected an array of numbers");
    *n = json_array_size(v);
    if (!(*out = malloc((*n ? *n : 1) * sizeof **out)))
        return qfail(c, path, "out of memory");
    for (size_t k = 0; k < *n; k++) {
        const json_t *e = json_array_get(v, k);
        snprintf(where, sizeof where, "%.270s[%zu]", path, k); /* a path is short; bounded for -Wformat-truncation */
        int rc = json_is_null(e) && !nullable ? qfail(c, where, "expected a number")
                                              : get_num(c, e, where, &(*out)[k]);
        if (rc < 0) {
            free(*out);
            *out = NULL;
            return -1;
        }
    }
    return 0;
}

/* The CBPE keys: "calibration" {"x", "y"} (a valid isotonic curve), "estimated_chunks" and
 * "estimated_thresholds" keyed by the estimated metrics. */
static int load_estimate(struct qctx *c, const json_t *obj, struct quality_profile *q)
{
    const json_t *cal = json_object_get(obj, "calibration");
    if (cal && !json_is_null(cal)) {
        if (q->task != PERF_BINARY)
            return qfail(c, "calibration", "only a binary task has a calibration");
        if (!json_is_object(cal))
            return qfail(c, "calibration", "expected an object {\"x\": [...], \"y\": [...]}");
        double *x = NULL, *y = NULL;
        size_t nx = 0, ny = 0;
        char why[200];
        if (get_numbers(c, json_object_get(cal, "x"), "calibration.x", 0, &x, &nx) < 0)
            return -1;
        if (get_numbers(c, json_object_get(cal, "y"), "calibration.y", 0, &y, &ny) < 0) {
            free(x);
            return -1;
        }
        if (nx != ny || isotonic_curve_adopt(&q->calibration, x, y, nx, why, sizeof why) < 0) {
            free(x);
            free(y);
            return qfail(c, "calibration", nx != ny ? "x and y differ in length" : why);
        }
    }
    const char *key;
    json_t *v;
    char path[300];
    const json_t *chunks = json_object_get(obj, "estimated_chunks");
    if (chunks && !json_is_object(chunks))
        return qfail(c, "estimated_chunks", "expected an object");
    json_object_foreach((json_t *)chunks, key, v)
    {
        int m = cbpe_metric_parse(key);
        size_t n = 0;
        snprintf(path, sizeof path, "estimated_chunks.%s", key);
        if (m < 0)
            return qfail(c, path, "not an estimated metric (accuracy, precision, recall, f1)");
        free(q->estimated_chunks[m]);
        if (get_numbers(c, v, path, 1, &q->estimated_chunks[m], &n) < 0)
            return -1;
        if (n != q->nchunks)
            return qfail(c, path, "not as many chunk values as the realized metrics have");
    }
    const json_t *th = json_object_get(obj, "estimated_thresholds");
    if (th && !json_is_object(th))
        return qfail(c, "estimated_thresholds", "expected an object");
    json_object_foreach((json_t *)th, key, v)
    {
        int m = cbpe_metric_parse(key);
        snprintf(path, sizeof path, "estimated_thresholds.%s", key);
        if (m < 0)
            return qfail(c, path, "not an estimated metric (accuracy, precision, recall, f1)");
        if (!json_is_object(v))
            return qfail(c, path, "expected an object {\"lower\", \"upper\"}");
        snprintf(path, sizeof path, "estimated_thresholds.%s.lower", key);
        if (get_num(c, json_object_get(v, "lower"), path, &q->estimated_lower[m]) < 0)
            return -1;
        snprintf(path, sizeof path, "estimated_thresholds.%s.upper", key);
        if (get_num(c, json_object_get(v, "upper"), path, &q->estimated_upper[m]) < 0)
            return -1;
    }
    return 0;
}

static int load_fairness(struct qctx *c, const json_t *obj, struct quality_profile *q)
{
    const json_t *fa = json_object_get(obj, "fairness");
    if (!fa)
        return 0;
    if (!json_is_object(fa))
        return qfail(c, "fairness", "expected an object");
    q->fairness = calloc(json_object_size(fa) ? json_object_size(fa) : 1, sizeof *q->fairness);
    if (!q->fairness)
        return qfail(c, "fairness", "out of memory");
    const char *key;
    json_t *v;
    char path[300];
    json_object_foreach((json_t *)fa, key, v)
    {
        struct quality_fairness *f = &q->fairness[q->nfairness++];
        snprintf(path, sizeof path, "fairness.%s", key);
        if (!json_is_object(v))
            return qfail(c, path, "expected an object");
        f->spec.attribute = strdup(key);
        const json_t *pv = json_object_get(v, "privileged");
        snprintf(path, sizeof path, "fairness.%s.privileged", key);
        if (!json_is_array(pv) || json_array_size(pv) == 0)
            return qfail(c, path, "expected a non-empty array of strings");
        f->spec.privileged = calloc(json_array_size(pv), sizeof *f->spec.privileged);
        if (!f->spec.attribute || !f->spec.privileged)
            return qfail(c, path, "out of memory");
        for (size_t k = 0; k < json_array_size(pv); k++) {
            const char *s = json_string_value(json_array_get(pv, k));
            snprintf(path, sizeof path, "fairness.%s.privileged[%zu]", key, k);
            if (!s)
                return qfail(c, path, "expected a string");
            if (!(f->spec.privileged[f->spec.nprivileged] = strdup(s)))
                return qfail(c, path, "out of memory");
            f->spec.nprivileged++;
        }
        snprintf(path, sizeof path, "fairness.%s.favorable", key);
        if (get_text(c, v, "favorable", path, &f->spec.favorable) < 0)
            return -1;
        const char *names[4] = {"spd", "dir", "eod", "aod"};
        double *vals[4] = {&f->values.spd, &f->values.dir, &f->values.eod, &f->values.aod};
        for (int k = 0; k < 4; k++) {
            snprintf(path, sizeof path, "fairness.%s.%s", key, names[k]);
            if (get_num(c, json_object_get(v, names[k]), path, vals[k]) < 0)
                return -1;
        }
        f->values.alert = json_is_true(json_object_get(v, "alert"));
    }
    return 0;
}

static int is_known(const char *key)
{
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
        if (strcmp(key, known_keys[i]) == 0)
            return 1;
    return 0;
}

int quality_profile_from_json(const json_t *obj, const char *name, struct quality_profile **out, char *err,
                              size_t errlen)
{
    *out = NULL;
    struct qctx c = {name, err, errlen};
    if (!json_is_object(obj))
        return qfail(&c, "", "expected an object");
    const char *task = json_string_value(json_object_get(obj, "task"));
    enum perf_task t = task ? perf_task_parse(task) : 0;
    if (!t)
        return qfail(&c, "task", "expected \"binary\", \"multiclass\" or \"regression\"");
    struct quality_profile *q = quality_profile_new(t);
    if (!q || !(q->extra = json_object()))
        goto oom;
    const json_t *cols = json_object_get(obj, "columns");
    if (cols && !json_is_object(cols)) {
        qfail(&c, "columns", "expected an object");
        goto fail;
    }
    if (get_text(&c, obj, "positive", "positive", &q->positive) < 0 ||
        get_text(&c, cols, "prediction", "columns.prediction", &q->prediction) < 0 ||
        get_text(&c, cols, "score", "columns.score", &q->score) < 0 ||
        get_text(&c, cols, "target", "columns.target", &q->target) < 0 || load_metrics(&c, obj, q) < 0 ||
        load_estimate(&c, obj, q) < 0 || load_fairness(&c, obj, q) < 0)
        goto fail;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!is_known(key) && json_object_set(q->extra, key, v) < 0)
            goto oom;
    }
    *out = q;
    return 0;
oom:
    qfail(&c, "", "out of memory");
fail:
    quality_profile_free(q);
    return -1;
}
