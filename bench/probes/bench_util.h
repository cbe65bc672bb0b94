/* Helpers shared by the probe benchmarks: plugin instances from YAML text, a counting stand-in
 * for the core's sample pipeline, CPU pinning, clocks and percentiles. */
#ifndef DW_BENCH_UTIL_H
#define DW_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/plugin_instance.h"

/* Loads and starts a probe from YAML (exits on error: this is a benchmark's main). */
struct plugin_instance *bench_probe(const char *yaml);

/* Installs an ingest function that only counts the samples of each batch (lines / array items),
 * the way a cheap core would see them; returns the running total. */
void bench_count_ingest(void);
uint64_t bench_counted(void);
uint64_t bench_batches(void);

/* Pins the calling thread (and threads it creates later) to one CPU; -1 leaves it alone. */
void bench_pin(int cpu);

int64_t bench_now_ns(void);
void bench_sleep_until_ns(int64_t t);
/* Sorts v and returns the q-quantile (nearest rank). */
double bench_quantile(double *v, size_t n, double q);

#endif
