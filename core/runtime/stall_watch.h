/* Notices a model whose probes see samples while its window keeps none (a proxy that cannot read
 * any tapped payload, a sampler that drops everything, samples of the wrong shape), for /readyz.
 * It reads the counters the probes and the core already keep in the metrics registry
 * (driftwatch_samples_received_total, _rejected_total, _kept_total), so no probe has to report. */
#ifndef DW_STALL_WATCH_H
#define DW_STALL_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct stall_watch;

/* Watches the n models (names copied); a model is stalled when its samples received or rejected
 * grew since its kept count last grew, and that was at least after_ms ago (now_ms on a monotonic
 * clock; the watch starts at now_ms with the counters as they are). after_ms 0: never stalled.
 * Returns NULL when out of memory. */
struct stall_watch *stall_watch_new(const char *const *models, size_t n, int64_t after_ms, int64_t now_ms);
void stall_watch_free(struct stall_watch *w);

/* Reads the counters at now_ms and returns how many models are stalled, each described in why
 * ("warning: model 'fraud': ..." lines, truncated to whylen). Safe from any thread. */
int stall_watch_check(struct stall_watch *w, int64_t now_ms, char *why, size_t whylen);

#endif
