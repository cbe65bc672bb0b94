/* Helpers shared by the verdict renderers (format_*.c); not part of the public API. */
#ifndef DW_DRIFT_FORMAT_INTERNAL_H
#define DW_DRIFT_FORMAT_INTERNAL_H

#include <stddef.h>

#include "analyze/analyze.h"

int verdict_render_text(const struct verdict *v, struct strbuf *out);
int verdict_render_nagios(const struct verdict *v, struct strbuf *out);
int verdict_render_prom(const struct verdict *v, struct strbuf *out);

/* Feature indices, drifted first (then by the deciding statistic's strength), stable otherwise.
 * Returns a malloc'd array of v->n indices or NULL (memory). */
size_t *format_order_drifted_first(const struct verdict *v);

/* The verdict's correlated feature groups (format_correlated.c): the JSON object, or NULL when the
 * profile has no row sample (or out of memory); the text lines after the feature table. */
json_t *correlated_groups_json(const struct verdict *v);
void correlated_groups_render_text(const struct verdict *v, struct strbuf *out);

/* The verdict's performance and fairness (format_performance.c): the JSON objects (NULL when out of
 * memory), the text section after the feature table, and "; performance: f1 low, ..." for the
 * status lines (nothing without an alert). */
json_t *performance_json(const struct perf_report *r);
json_t *fairness_json(const struct perf_report *r);
void performance_render_text(const struct verdict *v, struct strbuf *out);
void performance_render_status(const struct verdict *v, struct strbuf *out);

/* The report (format_html.c): HTML escaping, a value against its band (an inline SVG), and the
 * model quality section (format_html_performance.c; nothing without performance). */
void html_escape(struct strbuf *out, const char *s);
void html_band(struct strbuf *out, double value, double lower, double upper, const char *title);
void html_performance(struct strbuf *out, const struct verdict *v);

/* Appends a compact number (%.4g-like, "-" when not finite). */
void format_short_number(struct strbuf *out, double x);

#endif
