/* `driftwatch report`: one self-contained HTML file (inline CSS, inline SVG, no script, no
 * external asset) with the verdict summary and, per feature, baseline vs current: the summary
 * statistics (docs/statistics.md "Summary"), overlaid histograms for numeric features, side-by-side
 * bars for categorical ones. Plots take the card's width; every label stays inside its plot's
 * viewBox. Every name from the data is HTML-escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "build_config.h"
#include "sample/numparse.h"
#include "stats/drift.h"
#include "analyze/format_internal.h"

#define HIST_BINS 30
#define MAX_BARS 15
#define BAR_LABEL_CHARS 12

/* A plot's frame in viewBox units. The SVG takes the card's width (width 100%, its height from the
 * viewBox's aspect ratio), so a viewBox about as wide as a desktop card keeps 11px labels near 11px. */
struct frame {
    int w, h;                     /* the viewBox */
    int left, right, top, bottom; /* padding around the plot area: axis labels, legend */
};
static const struct frame hist_frame = {1000, 300, 56, 16, 30, 52};
/* Category labels are rotated -45 degrees below their bars and cut at BAR_LABEL_CHARS: at most
 * ~140 units of text (wide glyphs), i.e. ~100 down and to the left of the bar's centre. */
static const struct frame bars_frame = {1000, 350, 90, 16, 30, 130};

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}"
    "header,main,footer{max-width:1100px;margin:0 auto;padding:16px 24px}"
    "h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:0 0 6px}"
    ".status{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600}"
    ".status.ok{background:#e3f4e8;color:#17603a}.status.warn{background:#fff3d6;color:#7a5200}"
    ".status.crit{background:#fde2e1;color:#a3221b}"
    "table{border-collapse:collapse;background:#fff;margin:10px 0;width:100%}"
    "th,td{padding:5px 9px;border-bottom:1px solid #e6e8ec;text-align:left;font-variant-numeric:tabular-nums}"
    "th{background:#eef0f4;font-weight:600}td.num{text-align:right}"
    "tr.drift td:first-child{border-left:3px solid #d9453c}"
    ".badge{font-size:12px;padding:2px 7px;border-radius:10px;margin-left:8px;vertical-align:middle}"
    ".badge.drift{background:#d9453c;color:#fff}.badge.ok{background:#2e9d5b;color:#fff}"
    "section.feature{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:14px 16px;margin:14px 0}"
    "section.feature.drift{border-left:4px solid #d9453c}"
    ".meta{color:#555e6e;margin:0 0 8px}svg{display:block;width:100%;height:auto}"
    "table.summary{width:auto;margin:4px 0 10px}table.summary th{background:none;color:#555e6e;font-weight:400}"
    "svg text{font:11px system-ui,sans-serif;fill:#4a5262}"
    ".kv td:first-child{width:170px;color:#555e6e}footer{color:#7a8291;font-size:12px}"
    "td.alert{color:#a3221b;font-weight:600;background:#fdecea}";

static void esc(struct strbuf *out, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: continue;
        }
        strbuf_append(out, run, (size_t)(s - run));
        strbuf_puts(out, e);
        run = s + 1;
    }
    strbuf_puts(out, run);
}

static void esc_trunc(struct strbuf *out, const char *s, size_t maxchars)
{
    size_t chars = 0, i = 0, len = strlen(s);
    while (i < len) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == maxchars)
                break;
            chars++;
        }
        i++;
    }
    char *cut = strndup(s, i);
    if (!cut) {
        out->failed = 1;
        return;
    }
    esc(out, cut);
    if (i < len)
        strbuf_puts(out, "&#8230;");
    free(cut);
}

static void num(struct strbuf *out, double x)
{
    format_short_number(out, x);
}

/* type-7 quantile of a sorted array */
static double quantile(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Opens a plot's <svg>: the viewBox is the frame, the width the card's. */
static void svg_open(struct strbuf *out, int w, int h, const char *cls, const char *title)
{
    strbuf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
                       "role=\"img\" class=\"%s\"><title>%s</title>",
                  w, h, cls, title);
}

/* text-anchor for a label at x in a viewBox w wide: towards a side, the label extends inwards
 * (centred there it would stick out of the viewBox); centred elsewhere. */
static const char *anchor_at(double x, int w)
{
    return x < w * 0.2 ? "start" : x > w * 0.8 ? "end" : "middle";
}

static void axis_and_legend(struct strbuf *out, const struct frame *fr, double ymax)
{
    int x0 = fr->left, y0 = fr->h - fr->bottom, x1 = fr->w - fr->right;
    strbuf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#9aa1ad\"/>", x0, y0, x1, y0);
    strbuf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#9aa1ad\"/>", x0, fr->top, x0, y0);
    strbuf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f%%</text>", x0 - 6, fr->top + 4,
                  100.0 * ymax);
    strbuf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", x0 - 6, y0);
    strbuf_printf(out,
                  "<rect x=\"%d\" y=\"8\" width=\"12\" height=\"10\" fill=\"#3b6fd8\" fill-opacity=\"0.55\"/>"
                  "<text x=\"%d\" y=\"17\">baseline</text>"
                  "<rect x=\"%d\" y=\"8\" width=\"12\" height=\"10\" fill=\"#f08c2e\" fill-opacity=\"0.65\"/>"
                  "<text x=\"%d\" y=\"17\">current</text>",
                  x1 - 160, x1 - 144, x1 - 80, x1 - 64);
}

/* Overlaid histograms on a common equal-width grid over the central 99% of both samples
 * (outliers fall into the end bins, so one extreme value does not flatten the plot). */
static void svg_histogram(struct strbuf *out, const double *r, size_t n, const double *c, size_t nc)
{
    double lo = INFINITY, hi = -INFINITY;
    if (n) {
        lo = fmin(lo, quantile(r, n, 0.005));
        hi = fmax(hi, quantile(r, n, 0.995));
    }
    if (nc) {
        lo = fmin(lo, quantile(c, nc, 0.005));
        hi = fmax(hi, quantile(c, nc, 0.995));
    }
    if (!(hi > lo)) {
        double mid = isfinite(lo) ? lo : 0.0;
        lo = mid - 0.5;
        hi = mid + 0.5;
    }
    double pr[HIST_BINS] = {0}, pc[HIST_BINS] = {0};
    double width = (hi - lo) / HIST_BINS;
    for (size_t i = 0; i < n; i++) {
        long b = (long)floor((r[i] - lo) / width);
        pr[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b] += 1.0 / (double)n;
    }
    for (size_t i = 0; i < nc; i++) {
        long b = (long)floor((c[i] - lo) / width);
        pc[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b] += 1.0 / (double)nc;
    }
    double ymax = 0;
    for (int b = 0; b < HIST_BINS; b++)
        ymax = fmax(ymax, fmax(pr[b], pc[b]));
    if (ymax <= 0)
        ymax = 1;
    const struct frame *fr = &hist_frame;
    double plot_w = fr->w - fr->left - fr->right, plot_h = fr->h - fr->top - fr->bottom;
    double bw = plot_w / HIST_BINS;
    svg_open(out, fr->w, fr->h, "hist", "baseline vs current histogram");
    for (int b = 0; b < HIST_BINS; b++) {
        double h = pr[b] / ymax * plot_h;
        strbuf_printf(out, "<rect class=\"baseline\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#3b6fd8\" fill-opacity=\"0.55\"/>",
                      fr->left + b * bw + 0.5, fr->top + plot_h - h, bw - 1, h);
    }
    for (int b = 0; b < HIST_BINS; b++) {
        double h = pc[b] / ymax * plot_h;
        strbuf_printf(out, "<rect class=\"current\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#f08c2e\" fill-opacity=\"0.45\"/>",
                      fr->left + b * bw + 0.5, fr->top + plot_h - h, bw - 1, h);
    }
    /* the current distribution's outline as a step path, readable where the bars overlap */
    if (nc) {
        strbuf_printf(out, "<path class=\"current-outline\" fill=\"none\" stroke=\"#c2620a\" stroke-width=\"1.5\" d=\"M%.1f %.1f",
                      (double)fr->left, fr->top + plot_h);
        for (int b = 0; b < HIST_BINS; b++) {
            double y = fr->top + plot_h - pc[b] / ymax * plot_h;
            strbuf_printf(out, " L%.1f %.1f L%.1f %.1f", fr->left + b * bw, y, fr->left + (b + 1) * bw, y);
        }
        strbuf_printf(out, " L%.1f %.1f\"/>", fr->left + plot_w, fr->top + plot_h);
    }
    axis_and_legend(out, fr, ymax);
    for (int t = 0; t <= 4; t++) {
        double x = fr->left + plot_w * t / 4.0;
        strbuf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">", x, fr->h - fr->bottom + 16,
                      anchor_at(x, fr->w));
        num(out, lo + (hi - lo) * t / 4.0);
        strbuf_puts(out, "</text>");
    }
    if (!nc)
        strbuf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no values in the window</text>",
                      fr->w / 2, fr->top + 20);
    strbuf_puts(out, "</svg>");
}

struct bar {
    const char *label;
    double p, q;
    int unseen;
};

static int cmp_bar(const void *a, const void *b)
{
    const struct bar *x = a, *y = b;
    double mx = fmax(x->p, x->q), my = fmax(y->p, y->q);
    return (mx < my) - (mx > my);
}

/* Side-by-side bars of category shares: the MAX_BARS biggest, the rest as "(other)". */
static void svg_bars(struct strbuf *out, struct bar *bars, size_t k)
{
    qsort(bars, k, sizeof *bars, cmp_bar);
    size_t shown = k > MAX_BARS ? MAX_BARS - 1 : k;
    struct bar other = {"(other)", 0, 0, 0};
    for (size_t i = shown; i < k; i++) {
        other.p += bars[i].p;
        other.q += bars[i].q;
    }
    size_t nb = shown + (k > shown);
    double ymax = 0;
    for (size_t i = 0; i < nb; i++) {
        const struct bar *b = i < shown ? &bars[i] : &other;
        ymax = fmax(ymax, fmax(b->p, b->q));
    }
    if (ymax <= 0)
        ymax = 1;
    const struct frame *fr = &bars_frame;
    double plot_w = fr->w - fr->left - fr->right, plot_h = fr->h - fr->top - fr->bottom;
    double slot = plot_w / (double)(nb ? nb : 1);
    double bw = fmin(28.0, slot * 0.38);
    svg_open(out, fr->w, fr->h, "bars", "baseline vs current category shares");
    for (size_t i = 0; i < nb; i++) {
        const struct bar *b = i < shown ? &bars[i] : &other;
        double cx = fr->left + slot * ((double)i + 0.5);
        double hp = b->p / ymax * plot_h, hq = b->q / ymax * plot_h;
        strbuf_printf(out, "<rect class=\"baseline\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#3b6fd8\" fill-opacity=\"0.75\"><title>",
                      cx - bw - 1, fr->top + plot_h - hp, bw, hp);
        esc(out, b->label);
        strbuf_printf(out, ": baseline %.1f%%</title></rect>", 100 * b->p);
        strbuf_printf(out, "<rect class=\"current\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#f08c2e\" fill-opacity=\"0.85\"><title>",
                      cx + 1, fr->top + plot_h - hq, bw, hq);
        esc(out, b->label);
        strbuf_printf(out, ": current %.1f%%</title></rect>", 100 * b->q);
        int ly = fr->h - fr->bottom + 14;
        strbuf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-45 %.1f %d)\">", cx + 4,
                      ly, cx + 4, ly);
        esc_trunc(out, b->label, BAR_LABEL_CHARS);
        if (b->unseen)
            strbuf_puts(out, " *");
        strbuf_puts(out, "</text>");
    }
    axis_and_legend(out, fr, ymax);
    strbuf_puts(out, "</svg>");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Bars for a categorical feature from the profile's counts and the window's catmap. */
static int plot_categorical(struct strbuf *out, const struct profile_feature *f, const struct column *col)
{
    size_t nwin = col && col->cats ? catmap_size(col->cats) : 0;
    struct bar *bars = calloc(f->ncats + nwin + 1, sizeof *bars);
    if (!bars)
        return -1;
    double sr = 0, sc = 0;
    for (size_t i = 0; i < f->ncats; i++)
        sr += (double)f->cats[i].count;
    for (size_t i = 0; i < nwin; i++)
        sc += (double)catmap_count(col->cats, i);
    size_t k = 0;
    for (size_t i = 0; i < f->ncats; i++) {
        long w = nwin ? catmap_find(col->cats, f->cats[i].value, strlen(f->cats[i].value)) : -1;
        bars[k++] = (struct bar){f->cats[i].value, sr > 0 ? (double)f->cats[i].count / sr : 0,
                                 w >= 0 && sc > 0 ? (double)catmap_count(col->cats, (size_t)w) / sc : 0, 0};
    }
    for (size_t i = 0; i < nwin; i++) {
        const char *key = catmap_key(col->cats, i, NULL);
        int seen = 0;
        for (size_t j = 0; j < f->ncats && !seen; j++)
            seen = strcmp(f->cats[j].value, key) == 0;
        if (!seen)
            bars[k++] = (struct bar){key, 0, (double)catmap_count(col->cats, i) / sc, 1};
    }
    svg_bars(out, bars, k);
    free(bars);
    return 0;
}

/* Bars for a numeric feature with few distinct values (tested as categorical). */
static int plot_numeric_values(struct strbuf *out, const double *r, size_t n, const double *c, size_t nc)
{
    double *vals = malloc((n + nc + 1) * sizeof *vals);
    struct bar *bars = calloc(n + nc + 1, sizeof *bars);
    char(*labels)[32] = calloc(n + nc + 1, sizeof *labels);
    if (!vals || !bars || !labels) {
        free(vals);
        free(bars);
        free(labels);
        return -1;
    }
    if (n)
        memcpy(vals, r, n * sizeof *r);
    if (nc)
        memcpy(vals + n, c, nc * sizeof *c);
    qsort(vals, n + nc, sizeof *vals, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n + nc; i++)
        if (k == 0 || vals[i] != vals[k - 1])
            vals[k++] = vals[i];
    for (size_t i = 0; i < k; i++) {
        num_format(vals[i], labels[i]);
        bars[i].label = labels[i];
    }
    for (size_t i = 0; i < n; i++) {
        double *hit = bsearch(&r[i], vals, k, sizeof *vals, cmp_double);
        bars[hit - vals].p += 1.0 / (double)n;
    }
    for (size_t i = 0; i < nc; i++) {
        double *hit = bsearch(&c[i], vals, k, sizeof *vals, cmp_double);
        bars[hit - vals].q += 1.0 / (double)nc;
    }
    svg_bars(out, bars, k);
    free(vals);
    free(bars);
    free(labels);
    return 0;
}

static void stat_cells(struct strbuf *out, const struct feature_verdict *fv)
{
    strbuf_puts(out, "<td>");
    esc(out, drift_method_name(fv->method));
    strbuf_puts(out, "</td><td class=\"num\">");
    num(out, fv->statistic);
    strbuf_puts(out, "</td><td class=\"num\">");
    num(out, drift_method_uses_p_value(fv->method) ? fv->p_adjusted : NAN);
    strbuf_puts(out, "</td><td class=\"num\">");
    num(out, fv->threshold);
    strbuf_printf(out, "</td><td class=\"num\">%.1f%%</td>", 100 * fv->missing_share);
}

/* A numeric summary's statistics in the report's order; NAN for a side without values. */
#define SUMMARY_STATS 5
static const char *const summary_labels[SUMMARY_STATS] = {"mean", "std", "p5", "p50", "p95"};

static void summary_values(const struct numeric_summary *s, double out[SUMMARY_STATS])
{
    const double v[SUMMARY_STATS] = {s->mean, s->std, s->p5, s->p50, s->p95};
    for (int i = 0; i < SUMMARY_STATS; i++)
        out[i] = s->ok ? v[i] : NAN;
}

/* The overview's "baseline → current" cell (docs/statistics.md "Summary", the numbers text and
 * JSON show): "mean 654 → 6.5" for a numeric feature, the top category's shares for a categorical one. */
static void summary_cell(struct strbuf *out, const struct feature_verdict *fv)
{
    strbuf_puts(out, "<td class=\"change\">");
    if (fv->type == COL_NUMERIC && (fv->baseline_summary.ok || fv->window_summary.ok)) {
        double b[SUMMARY_STATS], c[SUMMARY_STATS];
        summary_values(&fv->baseline_summary, b);
        summary_values(&fv->window_summary, c);
        strbuf_puts(out, "mean ");
        num(out, b[0]);
        strbuf_puts(out, " &rarr; ");
        num(out, c[0]);
    } else if (fv->type != COL_NUMERIC && fv->ntop) {
        esc_trunc(out, fv->top[0].value, 24);
        strbuf_printf(out, " %.1f%% &rarr; %.1f%%", 100.0 * fv->top[0].baseline, 100.0 * fv->top[0].current);
    } else {
        strbuf_puts(out, "-");
    }
    strbuf_puts(out, "</td>");
}

/* A signed difference: "+1.5", "-3", "-" when either side is missing. */
static void signed_num(struct strbuf *out, double x)
{
    if (x > 0)
        strbuf_puts(out, "+");
    num(out, x);
}

/* The feature card's table of docs/statistics.md "Summary": baseline, current and their change per
 * statistic (numeric) or per top category share (categorical). Nothing when neither side has values. */
static void summary_table(struct strbuf *out, const struct feature_verdict *fv)
{
    if (fv->type == COL_NUMERIC) {
        if (!fv->baseline_summary.ok && !fv->window_summary.ok)
            return;
        double b[SUMMARY_STATS], c[SUMMARY_STATS];
        summary_values(&fv->baseline_summary, b);
        summary_values(&fv->window_summary, c);
        strbuf_puts(out, "<table class=\"summary numeric\"><tr><th></th><th>baseline</th><th>current</th>"
                         "<th>change</th></tr>\n");
        for (int i = 0; i < SUMMARY_STATS; i++) {
            strbuf_printf(out, "<tr><th>%s</th><td class=\"num\">", summary_labels[i]);
            num(out, b[i]);
            strbuf_puts(out, "</td><td class=\"num\">");
            num(out, c[i]);
            strbuf_puts(out, "</td><td class=\"num\">");
            signed_num(out, c[i] - b[i]);
            strbuf_puts(out, "</td></tr>\n");
        }
        strbuf_puts(out, "</table>\n");
        return;
    }
    if (!fv->ntop)
        return;
    strbuf_puts(out, "<table class=\"summary categorical\"><tr><th>category</th><th>baseline</th><th>current</th>"
                     "<th>change</th></tr>\n");
    for (size_t i = 0; i < fv->ntop; i++) {
        const struct category_share *t = &fv->top[i];
        strbuf_puts(out, "<tr><th>");
        esc_trunc(out, t->value, 40);
        strbuf_printf(out, "</th><td class=\"num\">%.1f%%</td><td class=\"num\">%.1f%%</td>"
                           "<td class=\"num\">%+.1f pp</td></tr>\n",
                      100.0 * t->baseline, 100.0 * t->current, 100.0 * (t->current - t->baseline));
    }
    strbuf_puts(out, "</table>\n");
}

/* One overview row; why (NULL for a counted feature) says why a row is not counted. */
static void overview_row(struct strbuf *out, const struct verdict *v, const struct feature_verdict *fv, size_t index,
                         const char *why)
{
    strbuf_printf(out, "<tr class=\"%s\"><td><a href=\"#f%zu\">", fv->drift ? "drift" : "ok", index);
    esc(out, fv->name);
    strbuf_puts(out, "</a></td>");
    if (why)
        strbuf_printf(out, "<td>%s</td>", why);
    strbuf_puts(out, "<td>");
    esc(out, col_type_name(fv->type));
    strbuf_puts(out, "</td>");
    stat_cells(out, fv);
    summary_cell(out, fv);
    const char *state = fv->drift                            ? "<span class=\"badge drift\">drift</span>"
                        : fv->missing_column && v->schema_error ? "missing"
                                                                : "ok";
    strbuf_printf(out, "<td>%s</td></tr>\n", state);
}

/* The overview: the counted features (exactly the rows "N of M features" counts), then the target,
 * prediction and columns missing under a schema error apart, not counted. Drifted first. */
static void overview_tables(struct strbuf *out, const struct verdict *v, const size_t *order)
{
    static const char head[] = "<th>type</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th>"
                               "<th>missing</th><th>baseline &rarr; current</th><th>drift</th></tr>\n";
    strbuf_printf(out, "<h2>Features</h2>\n<table class=\"overview features\"><tr><th>feature</th>%s", head);
    size_t apart = 0;
    for (size_t k = 0; k < v->n; k++) {
        const struct feature_verdict *fv = &v->features[order[k]];
        if (verdict_counts_feature(v, fv))
            overview_row(out, v, fv, order[k], NULL);
        else
            apart++;
    }
    strbuf_puts(out, "</table>\n");
    if (!apart)
        return;
    strbuf_printf(out, "<h2 id=\"apart\">Not counted in the drifted share</h2>\n<table class=\"overview apart\"><tr>"
                       "<th>column</th><th>why</th>%s", head);
    for (size_t k = 0; k < v->n; k++) {
        const struct feature_verdict *fv = &v->features[order[k]];
        if (!verdict_counts_feature(v, fv))
            overview_row(out, v, fv, order[k], fv->role != ROLE_FEATURE ? col_role_name(fv->role) : "missing from the data");
    }
    strbuf_puts(out, "</table>\n");
}

static void kv(struct strbuf *out, const char *k, const char *v)
{
    strbuf_puts(out, "<tr><td>");
    esc(out, k);
    strbuf_puts(out, "</td><td>");
    esc(out, v ? v : "-");
    strbuf_puts(out, "</td></tr>");
}

/* A value against its reference band on one axis (the reconstruction error, a performance
 * metric): the band shaded, the window's value a marker (red when outside). The axis starts at 0
 * at the lowest when nothing shown is negative. */
static void svg_band(struct strbuf *out, double value, double lower, double upper, const char *title)
{
    const int W = 1000, H = 64, L = 20, R = 980;
    double lo = fmin(value, isfinite(lower) ? lower : value), hi = fmax(value, isfinite(upper) ? upper : value);
    double pad = (hi - lo) * 0.15 + 1e-9;
    lo = lo >= 0 ? fmax(0.0, lo - pad) : lo - pad;
    hi += pad;
#define BAND_X(x) (L + ((x) - lo) / (hi - lo) * (R - L))
    svg_open(out, W, H, "band", title);
    strbuf_printf(out, "<line x1=\"%d\" y1=\"32\" x2=\"%d\" y2=\"32\" stroke=\"#9aa3b2\"/>", L, R);
    int outside = isfinite(lower) && (value < lower || value > upper);
    if (isfinite(lower))
        strbuf_printf(out, "<rect x=\"%.1f\" y=\"22\" width=\"%.1f\" height=\"20\" fill=\"#4c78a8\" "
                           "fill-opacity=\"0.35\"><title>reference band [%.4g, %.4g]</title></rect>"
                           "<text x=\"%.1f\" y=\"58\" text-anchor=\"%s\">%.4g</text>"
                           "<text x=\"%.1f\" y=\"58\" text-anchor=\"%s\">%.4g</text>",
                      BAND_X(lower), BAND_X(upper) - BAND_X(lower), lower, upper, BAND_X(lower),
                      anchor_at(BAND_X(lower), W), lower, BAND_X(upper), anchor_at(BAND_X(upper), W), upper);
    strbuf_printf(out, "<circle cx=\"%.1f\" cy=\"32\" r=\"6\" fill=\"%s\"><title>window %.4g</title></circle>"
                       "<text x=\"%.1f\" y=\"14\" text-anchor=\"%s\">window %.4g</text></svg>",
                  BAND_X(value), outside ? "#d9453c" : "#2a9d55", value, BAND_X(value), anchor_at(BAND_X(value), W),
                  value);
#undef BAND_X
}

static void schema_rows(struct strbuf *out, const char *what, const struct schema_column *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(out, "<tr><td>");
        esc_trunc(out, c[i].name, 80);
        strbuf_printf(out, "</td><td%s>%s</td><td>", strcmp(what, "missing") == 0 ? " class=\"alert\"" : "",
                      strcmp(what, "missing") == 0 ? "missing from the data" : "not in the baseline");
        if (c[i].suggestion) {
            strbuf_puts(out, "did you mean <b>");
            esc_trunc(out, c[i].suggestion, 80);
            strbuf_puts(out, "</b>?");
        } else {
            strbuf_puts(out, "-");
        }
        strbuf_puts(out, "</td></tr>\n");
    }
}

static void quality_cell(struct strbuf *out, const struct feature_quality *q, int k)
{
    if (isnan(q->share[k])) {
        strbuf_puts(out, "<td class=\"num\">-</td>");
        return;
    }
    strbuf_printf(out, "<td class=\"num%s\"", q->alerts & (1u << k) ? " alert" : "");
    if (isfinite(q->limit[k]))
        strbuf_printf(out, " title=\"threshold %.4g%%\"", 100.0 * q->limit[k]);
    strbuf_printf(out, ">%.2f%%</td>", 100.0 * q->share[k]);
}

/* docs/statistics.md, first in the report: the schema (missing and unexpected columns with "did you
 * mean") and the quality shares per feature, those above their thresholds marked. */
static void html_quality(struct strbuf *out, const struct verdict *v)
{
    const struct schema_report *s = &v->schema;
    strbuf_printf(out, "<section class=\"feature%s\" id=\"quality\"><h2>Data quality</h2>\n<p class=\"meta\">",
                  v->schema_error || v->quality_alerts ? " drift" : "");
    if (v->schema_error)
        strbuf_printf(out, "<b>Schema error</b>: %zu column%s of the baseline missing from the data (check exits 3). ",
                      s->nmissing, s->nmissing == 1 ? "" : "s");
    strbuf_printf(out, "%zu quality share%s above %s threshold%s.</p>\n", v->quality_alerts,
                  v->quality_alerts == 1 ? "" : "s", v->quality_alerts == 1 ? "its" : "their",
                  v->quality_alerts == 1 ? "" : "s");
    if (s->nmissing || s->nunexpected) {
        strbuf_puts(out, "<table class=\"schema\"><tr><th>column</th><th>schema</th><th>suggestion</th></tr>\n");
        schema_rows(out, "missing", s->missing, s->nmissing);
        schema_rows(out, "unexpected", s->unexpected, s->nunexpected);
        if (s->unexpected_truncated)
            strbuf_puts(out, "<tr><td colspan=\"3\">more unexpected columns not listed</td></tr>\n");
        strbuf_puts(out, "</table>\n");
    }
    strbuf_puts(out, "<table class=\"quality\"><tr><th>feature</th><th>out of range</th><th>unseen categories</th>"
                     "<th>type mismatch</th><th>missing</th></tr>\n");
    for (size_t i = 0; i < v->n; i++) {
        const struct feature_verdict *fv = &v->features[i];
        strbuf_printf(out, "<tr><td><a href=\"#f%zu\">", i);
        esc_trunc(out, fv->name, 80);
        strbuf_puts(out, "</a></td>");
        for (int k = 0; k < QP_COUNT; k++)
            quality_cell(out, &fv->quality, k);
        strbuf_puts(out, "</tr>\n");
    }
    strbuf_puts(out, "</table></section>\n");
}

/* docs/statistics.md's methods: the reconstruction error against its band, and the MMD test. */
static void html_multivariate(struct strbuf *out, const struct verdict *v)
{
    if (!v->pca.ran && !v->mmd.ran)
        return;
    strbuf_printf(out, "<section class=\"feature%s\" id=\"multivariate\"><h2>Multivariate drift</h2>\n",
                  v->multivariate_drift ? " drift" : "");
    if (v->pca.ran) {
        const struct mv_pca_verdict *p = &v->pca;
        strbuf_puts(out, "<p class=\"meta\"><b>pca_reconstruction</b>: ");
        if (p->ok) {
            strbuf_printf(out, "mean reconstruction error %.4g with %zu component%s (reference band [%.4g, %.4g], "
                               "mean &#8723; 3 std of 10 chunks of the row sample) &mdash; %s",
                          p->value, p->components, p->components == 1 ? "" : "s", p->lower, p->upper,
                          p->drift ? "<span class=\"badge drift\">drift</span>" : "ok");
        }
        if (p->note) {
            strbuf_puts(out, " (");
            esc(out, p->note);
            strbuf_puts(out, ")");
        }
        strbuf_puts(out, "</p>\n");
        if (p->ok && isfinite(p->value))
            svg_band(out, p->value, p->lower, p->upper, "reconstruction error against its band");
    }
    if (v->mmd.ran) {
        const struct mv_mmd_verdict *m = &v->mmd;
        strbuf_puts(out, "<p class=\"meta\"><b>mmd</b>: ");
        if (m->ok)
            strbuf_printf(out, "MMD&sup2; %.4g, permutation p-value %.4g (drift when &lt; %.2g), kernel &sigma;&sup2; "
                               "%.4g &mdash; %s",
                          m->statistic, m->p_value, m->threshold, m->sigma2,
                          m->drift ? "<span class=\"badge drift\">drift</span>" : "ok");
        if (m->note) {
            strbuf_puts(out, " (");
            esc(out, m->note);
            strbuf_puts(out, ")");
        }
        strbuf_puts(out, "</p>\n");
    }
    strbuf_puts(out, "</section>\n");
}

int report_render_html(const struct profile *p, const struct columns *w, const struct verdict *v,
                       struct strbuf *out)
{
    size_t *order = format_order_drifted_first(v);
    if (!order)
        return -1;
    int code = verdict_exit_code(v);
    strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>driftwatch report: ");
    esc(out, v->model);
    strbuf_printf(out, "</title><style>%s</style></head><body>\n<header><h1>Drift report: ", css);
    esc(out, v->model);
    strbuf_printf(out, "</h1><p class=\"status %s\">", code >= 2 ? "crit" : code == 1 ? "warn" : "ok");
    if (v->schema_error)
        strbuf_printf(out, "Schema error (<a href=\"#quality\">%zu missing column%s</a>); %zu of %zu other features "
                           "drifted", v->schema.nmissing, v->schema.nmissing == 1 ? "" : "s", v->drifted, v->nfeatures);
    else if (v->dataset_drift)
        strbuf_printf(out, "Dataset drift: %zu of %zu features drifted (share %.2f &ge; %.2f)", v->drifted,
                      v->nfeatures, v->drift_share, v->dataset_share);
    else if (v->multivariate_drift && v->multivariate_counts)
        strbuf_printf(out, "Multivariate drift (<a href=\"#multivariate\">%s%s%s</a>): %zu of %zu features drifted",
                      v->pca.drift ? "pca_reconstruction" : "", v->pca.drift && v->mmd.drift ? ", " : "",
                      v->mmd.drift ? "mmd" : "", v->drifted, v->nfeatures);
    else if (code == 1 && (v->drifted || v->role_drift))
        strbuf_printf(out, "Feature drift: %zu of %zu features drifted (share %.2f &lt; %.2f)", v->drifted,
                      v->nfeatures, v->drift_share, v->dataset_share);
    else if (code == 1)
        strbuf_printf(out, "No drift: 0 of %zu features drifted", v->nfeatures);
    else
        strbuf_printf(out, "No drift: 0 of %zu features drifted", v->nfeatures);
    if (v->role_drift)
        strbuf_puts(out, "; <a href=\"#apart\">target/prediction drifted</a>");
    if (v->performance && (v->performance->alerts || v->performance->fairness_alerts))
        strbuf_printf(out, "; <a href=\"#performance\">model performance: %zu alert%s</a>",
                      v->performance->alerts + v->performance->fairness_alerts,
                      v->performance->alerts + v->performance->fairness_alerts == 1 ? "" : "s");
    strbuf_puts(out, "</p>\n<table class=\"kv\">");
    kv(out, "baseline", json_string_value(json_object_get(v->baseline, "path")));
    char buf[64];
    const json_t *brows = json_object_get(v->baseline, "rows");
    snprintf(buf, sizeof buf, "%lld", json_is_integer(brows) ? (long long)json_integer_value(brows) : 0LL);
    kv(out, "baseline rows", buf);
    kv(out, "baseline md5", json_string_value(json_object_get(v->baseline, "md5")));
    kv(out, "baseline created", json_string_value(json_object_get(v->baseline, "created_at")));
    const json_t *dv = json_object_get(v->baseline, "data_version");
    if (dv && !json_is_null(dv)) {
        char *dvs = json_dumps(dv, JSON_COMPACT);
        kv(out, "data version", dvs);
        free(dvs);
    }
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v->window_rows);
    kv(out, "window rows", buf);
    if (v->window_from)
        kv(out, "window from", v->window_from);
    if (v->window_to)
        kv(out, "window to", v->window_to);
    kv(out, "methods", v->methods);
    kv(out, "correction", v->correction == CORRECTION_FDR          ? "fdr (Benjamini-Hochberg)"
                          : v->correction == CORRECTION_BONFERRONI ? "bonferroni"
                                                                   : "none");
    profile_timestamp(buf, sizeof buf);
    kv(out, "generated", buf);
    strbuf_puts(out, "</table></header>\n<main>\n");
    html_quality(out, v);
    overview_tables(out, v, order);
    html_multivariate(out, v);
    html_performance(out, v);

    int rc = 0;
    for (size_t k = 0; k < v->n && rc == 0; k++) {
        const struct feature_verdict *fv = &v->features[order[k]];
        int pi = profile_find(p, fv->name);
        int wi = columns_find(w, fv->name);
        const struct profile_feature *f = pi >= 0 ? &p->features[pi] : NULL;
        const struct column *col = wi >= 0 ? &w->cols[wi] : NULL;
        strbuf_printf(out, "<section class=\"feature%s\" id=\"f%zu\"><h2>", fv->drift ? " drift" : "", order[k]);
        esc(out, fv->name);
        strbuf_printf(out, "<span class=\"badge %s\">%s</span></h2><p class=\"meta\">", fv->drift ? "drift" : "ok",
                      fv->drift ? "drift" : "no drift");
        esc(out, col_type_name(fv->type));
        if (fv->role != ROLE_FEATURE) {
            strbuf_puts(out, " (");
            esc(out, col_role_name(fv->role));
            strbuf_puts(out, ")");
        }
        strbuf_puts(out, " &middot; ");
        esc(out, drift_method_name(fv->method));
        strbuf_puts(out, " = ");
        num(out, fv->statistic);
        if (drift_method_uses_p_value(fv->method)) {
            strbuf_puts(out, ", p = ");
            num(out, fv->p_adjusted);
            strbuf_puts(out, " (drift below ");
        } else {
            strbuf_puts(out, " (drift at ");
        }
        num(out, fv->threshold);
        strbuf_printf(out, ") &middot; missing %.1f%% (baseline %.1f%%)", 100 * fv->missing_share,
                      100 * fv->baseline_missing_share);
        if (fv->unseen_distinct)
            strbuf_printf(out, " &middot; %zu unseen categor%s (marked *)", fv->unseen_distinct,
                          fv->unseen_distinct == 1 ? "y" : "ies");
        if (fv->note) {
            strbuf_puts(out, " &middot; ");
            esc(out, fv->note);
        }
        strbuf_puts(out, "</p>\n");
        summary_table(out, fv);
        if (f && f->type == COL_CATEGORICAL) {
            rc = plot_categorical(out, f, col);
        } else if (f) {
            size_t nc = col ? col->nvalues : 0;
            double *c = nc ? malloc(nc * sizeof *c) : NULL;
            if (nc && !c) {
                rc = -1;
                break;
            }
            if (nc) {
                memcpy(c, col->values, nc * sizeof *c);
                if (drift_sort(c, nc) < 0) {
                    free(c);
                    rc = -1;
                    break;
                }
            }
            if (fv->tested_as == COL_CATEGORICAL)
                rc = plot_numeric_values(out, f->sample, f->nsample, c, nc);
            else
                svg_histogram(out, f->sample, f->nsample, c, nc);
            free(c);
        }
        strbuf_puts(out, "\n</section>\n");
    }
    free(order);
    strbuf_printf(out, "</main>\n<footer>driftwatch %s &middot; statistics defined in driftwatch's docs/statistics.md "
                       "(scipy definitions)</footer>\n</body></html>\n",
                  DW_VERSION);
    return rc < 0 || out->failed ? -1 : 0;
}

/* For format_html_performance.c: the same escaping and band plot. */
void html_escape(struct strbuf *out, const char *s)
{
    esc(out, s);
}

void html_band(struct strbuf *out, double value, double lower, double upper, const char *title)
{
    svg_band(out, value, lower, upper, title);
}
