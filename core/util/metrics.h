/* Metrics registry: counters, gauges and histograms with label sets, rendered in the Prometheus
 * text exposition format 0.0.4. One process-wide registry, safe to use from any thread. */
#ifndef DW_METRICS_H
#define DW_METRICS_H

#include <stddef.h>

#include "driftwatch/plugin.h"

/* labels: NULL-terminated key, value pairs. Invalid metric or label names are ignored (and counted
 * in driftwatch_metrics_invalid_total) rather than corrupting the exposition. */
void metrics_counter_add(const char *name, const char *help, const char *const *labels, double delta);
void metrics_gauge_set(const char *name, const char *help, const char *const *labels, double value);
void metrics_histogram_observe(const char *name, const char *help, const char *const *labels, double value);

/* Drops every series of a family whose labels include key=value (e.g. a model's old features). */
void metrics_forget(const char *name, const char *key, const char *value);

/* One series of metrics_gauge_replace: NULL-terminated key, value label pairs and its value. */
struct metrics_sample {
    const char *const *labels;
    double value;
};

/* Replaces every series of the gauge `name` whose labels include key=value by the n samples given
 * (distinct label sets, each including key=value), under one lock: a scrape sees the old set or the
 * new one, never a mix, and no series is looked up one by one (a model's thousands of bins cost
 * one pass). Returns 0, or -1 (invalid name or labels, out of memory: counted in
 * driftwatch_metrics_invalid_total, nothing changed). */
int metrics_gauge_replace(const char *name, const char *help, const char *key, const char *value,
                          const struct metrics_sample *samples, size_t n);

/* The same for an untyped family: a gauge whose name ends in "_count", which the text format's
 * linter (promtool check metrics) accepts only untyped. */
int metrics_untyped_replace(const char *name, const char *help, const char *key, const char *value,
                            const struct metrics_sample *samples, size_t n);

/* Calls fn for each series of the counter or gauge `name` with its rendered label string
 * (`model="fraud",reason="late"`, "" when unlabelled) and value, under the registry's lock: fn must
 * not call the registry. For readers inside the agent (/readyz), not for plugins. */
void metrics_each(const char *name, void (*fn)(void *ctx, const char *labels, double value), void *ctx);

/* Renders the whole registry; *out is malloc'd and NUL-terminated. Only the families updated since
 * the last render are rendered again; the text shows every update completed before the call.
 * Returns 0 or -1 (out of memory). */
int metrics_render(char **out, size_t *len);
/* The same text as pieces to send without copying them (the families' cached texts, then the
 * registry's own counter): valid until metrics_view_release, whatever updates come meanwhile.
 * Returns 0 or -1 (out of memory). */
struct metrics_view;
struct metrics_piece {
    const char *data;
    size_t len;
};
int metrics_view_take(struct metrics_view **out);
const struct metrics_piece *metrics_view_pieces(const struct metrics_view *v, size_t *n);
void metrics_view_release(struct metrics_view *v);
/* The same text as one gzip member (RFC 1952; *out malloc'd, *len bytes), from each family's cached
 * deflate blocks: for a scraper sending Accept-Encoding: gzip. Returns 0 or -1 (out of memory). */
int metrics_render_gzip(unsigned char **out, size_t *len);

/* Empties the registry (tests, and a clean shutdown for leak checkers). */
void metrics_reset(void);

/* Helpers shared with other renderers of the text format. */
int metrics_valid_name(const char *name);
int metrics_valid_label_name(const char *name);

#endif
