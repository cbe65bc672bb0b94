/* Process-wide metrics registry and its Prometheus text-format (0.0.4) rendering.
 * Families keep registration order; series are found by their rendered label string.
 * Each family keeps its rendered text (and that text deflated) from the last scrape, tagged with
 * the registry generation of its last update: a scrape re-renders only the families updated since,
 * under the same lock as the updates, so it is never staler than the last completed update. */
#include "util/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/strbuf.h"

/* Untyped: a gauge-like value whose name the text format's linter reserves for histograms and
 * summaries (a "_count" suffix): promtool accepts it only untyped. */
enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM, METRIC_UNTYPED };

/* Latency buckets in seconds: 100 µs (a proxy's added latency) up to 10 s (a slow check). */
static const double histogram_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define N_BOUNDS (sizeof histogram_bounds / sizeof histogram_bounds[0])

struct series {
    char *labels;      /* k="v",k2="v2" (escaped), "" when unlabelled */
    double value;      /* counter/gauge value, or histogram sum */
    uint64_t count;    /* histogram observations */
    uint64_t *buckets; /* histogram only: N_BOUNDS non-cumulative counts (NULL otherwise: a gauge
                          of a 65k-series scrape does not carry 128 bytes of empty buckets) */
};

/* Rendered bytes, shared by the cache and the answers still being sent from them (a view):
 * freed by the last holder. refs is changed under registry_lock. */
struct held_bytes {
    size_t refs;
    char *data;
};

/* A family's exposition as last rendered: valid while rendered_gen equals the family's gen. */
struct rendered {
    uint64_t rendered_gen; /* 0: never rendered */
    char *data;            /* held->data */
    size_t len;
    struct held_bytes *held;
};

struct metrics_view {
    struct metrics_piece *pieces;
    size_t n;
    struct held_bytes **held; /* one per piece but the last (the view's own tail) */
    char *tail;
};

struct family {
    char *name;
    char *help;
    enum metric_type type;
    struct series *series;
    size_t n, cap;
    size_t *slots;           /* index of series by labels, open addressing: series index + 1, 0 free;
                                NULL until needed and after series were dropped (then rebuilt) */
    size_t nslots;           /* a power of two, more than twice n */
    uint64_t gen;            /* registry generation of its last update */
    struct rendered text;    /* HELP, TYPE and series lines */
    struct rendered deflated; /* text as raw deflate blocks ending on a byte boundary (sync flush):
                                 the gzip answer is these laid end to end */
    uint32_t text_crc;       /* CRC-32 of text, for the gzip trailer */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct family *families;
static size_t n_families, cap_families;
static uint64_t invalid_total;
static uint64_t registry_gen; /* bumped by every update: a family's gen is the value after its last one */
static z_stream deflater;     /* reused for every family (deflateReset between them) */
static int deflater_ready;

int metrics_valid_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *p = name; *p; p++) {
        int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':';
        int digit = *p >= '0' && *p <= '9';
        if (!alpha && !(digit && p != name))
            return 0;
    }
    return 1;
}

int metrics_valid_label_name(const char *name)
{
    return metrics_valid_name(name) && !strchr(name, ':') && strncmp(name, "__", 2) != 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not valid UTF-8. */
static size_t utf8_sequence_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* Label values are escaped per the format (\\, \", \n); bytes that are not UTF-8 become U+FFFD,
 * because Prometheus rejects a scrape with invalid UTF-8 in a label value. */
static void append_label_value(struct strbuf *sb, const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    while (*p) {
        size_t n = utf8_sequence_length(p);
        if (n == 0) {
            strbuf_puts(sb, "\xEF\xBF\xBD");
            p++;
            continue;
        }
        if (*p == '\\')
            strbuf_puts(sb, "\\\\");
        else if (*p == '"')
            strbuf_puts(sb, "\\\"");
        else if (*p == '\n')
            strbuf_puts(sb, "\\n");
        else
            strbuf_append(sb, (const char *)p, n);
        p += n;
    }
}

static int render_labels(const char *const *labels, struct strbuf *sb)
{
    for (size_t i = 0; labels && labels[i]; i += 2) {
        if (!labels[i + 1] || !metrics_valid_label_name(labels[i]))
            return -1;
        if (i)
            strbuf_puts(sb, ",");
        strbuf_printf(sb, "%s=\"", labels[i]);
        append_label_value(sb, labels[i + 1]);
        strbuf_puts(sb, "\"");
    }
    return sb->failed ? -1 : 0;
}

static struct family *family_find_or_add(const char *name, const char *help, enum metric_type type)
{
    for (size_t i = 0; i < n_families; i++) {
        if (strcmp(families[i].name, name) == 0)
            return families[i].type == type ? &families[i] : NULL;
    }
    if (n_families == cap_families) {
        size_t cap = cap_families ? cap_families * 2 : 32;
        struct family *f = realloc(families, cap * sizeof *f);
        if (!f)
            return NULL;
        families = f;
        cap_families = cap;
    }
    struct family *f = &families[n_families];
    memset(f, 0, sizeof *f);
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->type = type;
    if (!f->name || !f->help) {
        free(f->name);
        free(f->help);
        return NULL;
    }
    n_families++;
    return f;
}

static void series_free(struct series *s)
{
    free(s->labels);
    free(s->buckets);
}

/* FNV-1a of a rendered label string. */
static uint64_t labels_hash(const char *labels)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)labels; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static void index_put(struct family *f, size_t i)
{
    size_t mask = f->nslots - 1, k = (size_t)labels_hash(f->series[i].labels) & mask;
    while (f->slots[k])
        k = (k + 1) & mask;
    f->slots[k] = i + 1;
}

/* Drops the index (series were removed or moved); the next lookup rebuilds it. */
static void index_drop(struct family *f)
{
    free(f->slots);
    f->slots = NULL;
    f->nslots = 0;
}

/* Makes room in the index for one more series (at most half full). Returns 0, or -1 when out of
 * memory (lookups then scan the series). */
static int index_reserve(struct family *f)
{
    if (f->slots && 2 * (f->n + 1) <= f->nslots)
        return 0;
    size_t nslots = 64;
    while (nslots < 4 * (f->n + 1))
        nslots *= 2;
    size_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) {
        index_drop(f); /* a series added now would be missing from the old index */
        return -1;
    }
    free(f->slots);
    f->slots = slots;
    f->nslots = nslots;
    for (size_t i = 0; i < f->n; i++)
        index_put(f, i);
    return 0;
}

/* The series with these labels, or NULL. A family holds up to tens of thousands of series (a
 * hundred models' features), updated one by one at every check: a scan per update would be
 * quadratic. */
static struct series *series_find(const struct family *f, const char *labels)
{
    if (!f->slots) {
        for (size_t i = 0; i < f->n; i++)
            if (strcmp(f->series[i].labels, labels) == 0)
                return &f->series[i];
        return NULL;
    }
    size_t mask = f->nslots - 1;
    for (size_t k = (size_t)labels_hash(labels) & mask; f->slots[k]; k = (k + 1) & mask)
        if (strcmp(f->series[f->slots[k] - 1].labels, labels) == 0)
            return &f->series[f->slots[k] - 1];
    return NULL;
}

static struct series *series_find_or_add(struct family *f, const char *labels)
{
    int indexed = index_reserve(f) == 0;
    struct series *found = series_find(f, labels);
    if (found)
        return found;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct series *s = realloc(f->series, cap * sizeof *s);
        if (!s)
            return NULL;
        f->series = s;
        f->cap = cap;
    }
    struct series *s = &f->series[f->n];
    memset(s, 0, sizeof *s);
    s->labels = strdup(labels);
    if (f->type == METRIC_HISTOGRAM)
        s->buckets = calloc(N_BOUNDS, sizeof *s->buckets);
    if (!s->labels || (f->type == METRIC_HISTOGRAM && !s->buckets)) {
        series_free(s);
        return NULL;
    }
    if (indexed)
        index_put(f, f->n);
    f->n++;
    return s;
}

/* Finds (or creates) the series and runs the update under the registry lock. */
static void metrics_update(const char *name, const char *help, enum metric_type type,
                           const char *const *labels, double v)
{
    struct strbuf lb;
    strbuf_init(&lb);
    strbuf_puts(&lb, ""); /* an unlabelled series still needs a "" key */
    int ok = metrics_valid_name(name) && render_labels(labels, &lb) == 0;

    pthread_mutex_lock(&registry_lock);
    struct family *f = ok ? family_find_or_add(name, help, type) : NULL;
    struct series *s = f ? series_find_or_add(f, lb.data) : NULL;
    if (s)
        f->gen = ++registry_gen;
    if (!s) {
        invalid_total++;
    } else if (type == METRIC_COUNTER) {
        if (v >= 0)
            s->value += v;
    } else if (type == METRIC_GAUGE) {
        s->value = v;
    } else {
        s->value += v;
        s->count++;
        for (size_t i = 0; i < N_BOUNDS; i++) {
            if (v <= histogram_bounds[i]) {
                s->buckets[i]++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&registry_lock);
    strbuf_free(&lb);
}

void metrics_counter_add(const char *name, const char *help, const char *const *labels, double delta)
{
    metrics_update(name, help, METRIC_COUNTER, labels, delta);
}

void metrics_gauge_set(const char *name, const char *help, const char *const *labels, double value)
{
    metrics_update(name, help, METRIC_GAUGE, labels, value);
}

void metrics_histogram_observe(const char *name, const char *help, const char *const *labels, double value)
{
    metrics_update(name, help, METRIC_HISTOGRAM, labels, value);
}

/* Drops f's series whose rendered labels hold the pair `needle` (k="v") whole: preceded by the start
 * or ',' and followed by the end or ','. Returns how many were dropped. Under the registry lock. */
static size_t drop_series_with(struct family *f, const struct strbuf *needle)
{
    size_t keep = 0;
    for (size_t j = 0; j < f->n; j++) {
        const char *hit = strstr(f->series[j].labels, needle->data);
        int whole = hit && (hit == f->series[j].labels || hit[-1] == ',') &&
                    (hit[needle->len] == '\0' || hit[needle->len] == ',');
        if (whole)
            series_free(&f->series[j]);
        else
            f->series[keep++] = f->series[j];
    }
    size_t dropped = f->n - keep;
    f->n = keep;
    if (dropped)
        index_drop(f);
    return dropped;
}

void metrics_forget(const char *name, const char *key, const char *value)
{
    struct strbuf needle;
    strbuf_init(&needle);
    const char *kv[] = {key, value, NULL};
    if (render_labels(kv, &needle) < 0) {
        strbuf_free(&needle);
        return;
    }
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_families; i++) {
        struct family *f = &families[i];
        if (strcmp(f->name, name) != 0)
            continue;
        if (drop_series_with(f, &needle))
            f->gen = ++registry_gen;
    }
    pthread_mutex_unlock(&registry_lock);
    strbuf_free(&needle);
}

static int replace_series(const char *name, const char *help, enum metric_type type, const char *key,
                          const char *value, const struct metrics_sample *samples, size_t n)
{
    struct strbuf needle;
    strbuf_init(&needle);
    const char *kv[] = {key, value, NULL};
    char **rendered = calloc(n ? n : 1, sizeof *rendered);
    int rc = rendered && metrics_valid_name(name) && render_labels(kv, &needle) == 0 ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct strbuf lb;
        strbuf_init(&lb);
        strbuf_puts(&lb, "");
        if (render_labels(samples[i].labels, &lb) < 0 || !(rendered[i] = strbuf_detach(&lb, NULL)))
            rc = -1;
        strbuf_free(&lb);
    }
    pthread_mutex_lock(&registry_lock);
    struct family *f = rc == 0 ? family_find_or_add(name, help, type) : NULL;
    if (f && f->n + n > f->cap) {
        size_t cap = f->n + n;
        struct series *grown = realloc(f->series, cap * sizeof *grown);
        if (grown) {
            f->series = grown;
            f->cap = cap;
        }
    }
    if (!f || f->n + n > f->cap) {
        invalid_total++;
        rc = -1;
    } else {
        drop_series_with(f, &needle);
        for (size_t i = 0; i < n; i++) {
            struct series *s = &f->series[f->n++];
            memset(s, 0, sizeof *s);
            s->labels = rendered[i];
            s->value = samples[i].value;
            rendered[i] = NULL;
        }
        index_drop(f); /* rebuilt by the next single update, if any */
        f->gen = ++registry_gen;
    }
    pthread_mutex_unlock(&registry_lock);
    for (size_t i = 0; rendered && i < n; i++)
        free(rendered[i]);
    free(rendered);
    strbuf_free(&needle);
    return rc;
}

int metrics_gauge_replace(const char *name, const char *help, const char *key, const char *value,
                          const struct metrics_sample *samples, size_t n)
{
    return replace_series(name, help, METRIC_GAUGE, key, value, samples, n);
}

int metrics_untyped_replace(const char *name, const char *help, const char *key, const char *value,
                            const struct metrics_sample *samples, size_t n)
{
    return replace_series(name, help, METRIC_UNTYPED, key, value, samples, n);
}

void metrics_each(const char *name, void (*fn)(void *ctx, const char *labels, double value), void *ctx)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_families; i++) {
        const struct family *f = &families[i];
        if (strcmp(f->name, name) != 0 || f->type == METRIC_HISTOGRAM)
            continue;
        for (size_t j = 0; j < f->n; j++)
            fn(ctx, f->series[j].labels, f->series[j].value);
    }
    pthread_mutex_unlock(&registry_lock);
}

static void append_value(struct strbuf *sb, double v)
{
    if (isnan(v))
        strbuf_puts(sb, "NaN");
    else if (isinf(v))
        strbuf_puts(sb, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        strbuf_printf(sb, "%.0f", v);
    else
        strbuf_printf(sb, "%.17g", v);
}

/* HELP text escapes only backslash and newline. */
static void append_help(struct strbuf *sb, const char *help)
{
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            strbuf_puts(sb, "\\\\");
        else if (*p == '\n')
            strbuf_puts(sb, "\\n");
        else
            strbuf_append(sb, p, 1);
    }
}

static void render_series_line(struct strbuf *sb, const char *name, const char *suffix, const char *labels,
                               const char *extra, double v)
{
    strbuf_printf(sb, "%s%s", name, suffix);
    if (*labels || extra) {
        strbuf_printf(sb, "{%s%s%s}", labels, *labels && extra ? "," : "", extra ? extra : "");
    }
    strbuf_puts(sb, " ");
    append_value(sb, v);
    strbuf_puts(sb, "\n");
}

static void render_family(struct strbuf *sb, const struct family *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram", "untyped"};
    if (f->n == 0)
        return;
    strbuf_printf(sb, "# HELP %s ", f->name);
    append_help(sb, f->help);
    strbuf_printf(sb, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
    for (size_t j = 0; j < f->n; j++) {
        const struct series *s = &f->series[j];
        if (f->type != METRIC_HISTOGRAM) {
            render_series_line(sb, f->name, "", s->labels, NULL, s->value);
            continue;
        }
        uint64_t cumulative = 0;
        char le[48];
        for (size_t b = 0; b < N_BOUNDS; b++) {
            cumulative += s->buckets[b];
            snprintf(le, sizeof le, "le=\"%g\"", histogram_bounds[b]);
            render_series_line(sb, f->name, "_bucket", s->labels, le, (double)cumulative);
        }
        render_series_line(sb, f->name, "_bucket", s->labels, "le=\"+Inf\"", (double)s->count);
        render_series_line(sb, f->name, "_sum", s->labels, NULL, s->value);
        render_series_line(sb, f->name, "_count", s->labels, NULL, (double)s->count);
    }
}

/* Caller holds registry_lock. */
static void held_release(struct held_bytes *h)
{
    if (h && --h->refs == 0) {
        free(h->data);
        free(h);
    }
}

/* Replaces r's bytes by data (malloc'd, taken over). Returns 0, or -1 out of memory (data freed, r
 * unchanged). */
static int rendered_set(struct rendered *r, uint64_t gen, char *data, size_t len)
{
    struct held_bytes *h = malloc(sizeof *h);
    if (!h) {
        free(data);
        return -1;
    }
    h->refs = 1;
    h->data = data;
    held_release(r->held);
    r->held = h;
    r->data = data;
    r->len = len;
    r->rendered_gen = gen;
    return 0;
}

/* Brings the family's cached text up to date. Returns 0 or -1 (out of memory). */
static int refresh_text(struct family *f)
{
    if (f->text.rendered_gen == f->gen && (f->text.data || f->n == 0))
        return 0;
    struct strbuf sb;
    strbuf_init(&sb);
    render_family(&sb, f);
    size_t len;
    char *text = strbuf_detach(&sb, &len);
    if (!text)
        return -1;
    char *tight = realloc(text, len + 1); /* the strbuf's doubling slack would stay for good */
    if (rendered_set(&f->text, f->gen, tight ? tight : text, len) < 0)
        return -1;
    f->text_crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)f->text.data, (uInt)len);
    return 0;
}

/* Deflates n bytes of text into out as raw deflate blocks: finish 0 ends on a byte boundary with
 * more to follow (Z_SYNC_FLUSH), 1 with the final block. *out is malloc'd. Returns 0 or -1. */
static int deflate_text(const char *text, size_t n, int finish, unsigned char **out, size_t *out_len)
{
    if (!deflater_ready) {
        /* level 1: a family re-deflated at each scrape after it changed must cost little; metrics
         * text is repetitive enough that level 1 gets most of the gain */
        if (deflateInit2(&deflater, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        deflater_ready = 1;
    }
    deflateReset(&deflater);
    size_t cap = deflateBound(&deflater, (uLong)n) + 16;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    deflater.next_in = (Bytef *)text;
    deflater.avail_in = (uInt)n;
    deflater.next_out = buf;
    deflater.avail_out = (uInt)cap;
    int rc = deflate(&deflater, finish ? Z_FINISH : Z_SYNC_FLUSH);
    if (rc == Z_STREAM_ERROR || deflater.avail_in != 0 || (finish && rc != Z_STREAM_END)) {
        free(buf);
        return -1;
    }
    *out_len = cap - deflater.avail_out;
    unsigned char *tight = realloc(buf, *out_len ? *out_len : 1);
    *out = tight ? tight : buf;
    return 0;
}

static int refresh_deflated(struct family *f)
{
    if (refresh_text(f) < 0)
        return -1;
    if (f->deflated.rendered_gen == f->gen && (f->deflated.data || f->text.len == 0))
        return 0;
    unsigned char *z = NULL;
    size_t zlen = 0;
    if (f->text.len && deflate_text(f->text.data, f->text.len, 0, &z, &zlen) < 0)
        return -1;
    return rendered_set(&f->deflated, f->gen, (char *)z, zlen);
}

/* The registry's own counter, rendered at every scrape: it changes without a family update. */
static void render_invalid_total(struct strbuf *sb)
{
    strbuf_printf(sb, "# HELP driftwatch_metrics_invalid_total Metric updates ignored for an invalid name or label.\n"
                      "# TYPE driftwatch_metrics_invalid_total counter\n"
                      "driftwatch_metrics_invalid_total %llu\n", (unsigned long long)invalid_total);
}

int metrics_render(char **out, size_t *len)
{
    *out = NULL;
    pthread_mutex_lock(&registry_lock);
    struct strbuf tail;
    strbuf_init(&tail);
    render_invalid_total(&tail);
    size_t total = tail.len;
    int failed = tail.failed;
    for (size_t i = 0; i < n_families && !failed; i++) {
        failed = refresh_text(&families[i]) < 0;
        total += families[i].text.len;
    }
    char *text = failed ? NULL : malloc(total + 1);
    if (text) {
        size_t at = 0;
        for (size_t i = 0; i < n_families; i++) {
            if (families[i].text.len)
                memcpy(text + at, families[i].text.data, families[i].text.len);
            at += families[i].text.len;
        }
        memcpy(text + at, tail.data, tail.len + 1);
        *out = text;
        *len = total;
    }
    pthread_mutex_unlock(&registry_lock);
    strbuf_free(&tail);
    return *out ? 0 : -1;
}

int metrics_view_take(struct metrics_view **out)
{
    *out = NULL;
    struct metrics_view *v = calloc(1, sizeof *v);
    pthread_mutex_lock(&registry_lock);
    struct strbuf tail;
    strbuf_init(&tail);
    render_invalid_total(&tail);
    int failed = !v || tail.failed;
    for (size_t i = 0; i < n_families && !failed; i++)
        failed = refresh_text(&families[i]) < 0;
    if (!failed && (!(v->pieces = calloc(n_families + 1, sizeof *v->pieces)) ||
                    !(v->held = calloc(n_families + 1, sizeof *v->held))))
        failed = 1;
    for (size_t i = 0; i < n_families && !failed; i++) {
        struct rendered *t = &families[i].text;
        if (!t->len)
            continue;
        t->held->refs++;
        v->held[v->n] = t->held;
        v->pieces[v->n++] = (struct metrics_piece){t->data, t->len};
    }
    if (!failed) {
        v->tail = strbuf_detach(&tail, &v->pieces[v->n].len);
        v->pieces[v->n++].data = v->tail;
        *out = v;
    }
    pthread_mutex_unlock(&registry_lock);
    strbuf_free(&tail);
    if (!*out)
        metrics_view_release(v);
    return *out ? 0 : -1;
}

const struct metrics_piece *metrics_view_pieces(const struct metrics_view *v, size_t *n)
{
    *n = v->n;
    return v->pieces;
}

void metrics_view_release(struct metrics_view *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; v->held && v->held[i]; i++)
        held_release(v->held[i]);
    pthread_mutex_unlock(&registry_lock);
    free(v->held);
    free(v->pieces);
    free(v->tail);
    free(v);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int metrics_render_gzip(unsigned char **out, size_t *len)
{
    /* RFC 1952: a 10-byte header (no name, no mtime, OS unix), the families' deflate blocks, a
     * final block with the invalid-total lines, CRC-32 and size of the whole text. */
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    *out = NULL;
    pthread_mutex_lock(&registry_lock);
    struct strbuf tail;
    strbuf_init(&tail);
    render_invalid_total(&tail);
    unsigned char *ztail = NULL;
    size_t ztail_len = 0;
    int failed = tail.failed || deflate_text(tail.data, tail.len, 1, &ztail, &ztail_len) < 0;
    size_t total = sizeof header + ztail_len + 8;
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t text_len = 0;
    for (size_t i = 0; i < n_families && !failed; i++) {
        struct family *f = &families[i];
        failed = refresh_deflated(f) < 0;
        total += f->deflated.len;
        crc = crc32_combine(crc, f->text_crc, (z_off_t)f->text.len);
        text_len += f->text.len;
    }
    unsigned char *gz = failed ? NULL : malloc(total);
    if (gz) {
        size_t at = sizeof header;
        memcpy(gz, header, sizeof header);
        for (size_t i = 0; i < n_families; i++) {
            if (families[i].deflated.len)
                memcpy(gz + at, families[i].deflated.data, families[i].deflated.len);
            at += families[i].deflated.len;
        }
        memcpy(gz + at, ztail, ztail_len);
        at += ztail_len;
        crc = crc32(crc, (const Bytef *)tail.data, (uInt)tail.len);
        put_le32(gz + at, (uint32_t)crc);
        put_le32(gz + at + 4, (uint32_t)(text_len + tail.len)); /* ISIZE: the size modulo 2^32 */
        *out = gz;
        *len = total;
    }
    pthread_mutex_unlock(&registry_lock);
    strbuf_free(&tail);
    free(ztail);
    return *out ? 0 : -1;
}

void metrics_reset(void)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_families; i++) {
        for (size_t j = 0; j < families[i].n; j++)
            series_free(&families[i].series[j]);
        free(families[i].series);
        free(families[i].slots);
        free(families[i].name);
        free(families[i].help);
        held_release(families[i].text.held);
        held_release(families[i].deflated.held);
    }
    free(families);
    families = NULL;
    n_families = cap_families = 0;
    invalid_total = 0;
    if (deflater_ready)
        deflateEnd(&deflater);
    deflater_ready = 0;
    pthread_mutex_unlock(&registry_lock);
}
