/* Probe benchmark helpers (see bench_util.h). */
#include "bench_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/host.h"
#include "util/yaml_tree.h"

static uint64_t counted, batches;

struct plugin_instance *bench_probe(const char *yaml)
{
    char err[1024];
    struct ynode *root;
    if (yaml_tree_load_string(yaml, strlen(yaml), "bench.yaml", &root, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        exit(2);
    }
    const struct ynode *plugin = ynode_get(root, "plugin");
    struct plugin_ref ref = {.plugin = plugin->value, .name = plugin->value, .node = root};
    struct plugin_instance *pi = NULL;
    if (plugin_instance_create(DW_BENCH_PLUGIN_DIR, "bench.yaml", &ref, NULL, DW_KIND_PROBE, &pi, err, sizeof err) < 0 ||
        plugin_instance_start(pi, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        exit(2);
    }
    yaml_tree_free(root);
    return pi;
}

/* Counts a batch's samples: the checked texts, or a body's top-level objects (array) or lines. */
static int count_fn(const struct ingest_batch *batch, struct dw_ingest_result *res)
{
    memset(res, 0, sizeof res[0]);
    size_t n = batch->body ? 0 : batch->n;
    const char *p = batch->body, *end = batch->body + batch->body_len;
    if (!batch->body) {
        /* counted above */
    } else if (batch->body_len && p[0] == '[') {
        /* A JSON array from the proxy's tap: count its top-level objects. */
        int depth = 0, in_string = 0;
        for (; p < end; p++) {
            char ch = *p;
            if (in_string) {
                if (ch == '\\')
                    p++;
                else if (ch == '"')
                    in_string = 0;
            } else if (ch == '"') {
                in_string = 1;
            } else if (ch == '{' || ch == '[') {
                if (ch == '{' && depth == 1)
                    n++;
                depth++;
            } else if (ch == '}' || ch == ']') {
                depth--;
            }
        }
    } else {
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *stop = nl ? nl : end;
            if (stop > p)
                n++;
            p = stop + 1;
        }
    }
    __atomic_add_fetch(&counted, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&batches, 1, __ATOMIC_RELAXED);
    res->accepted = n;
    return 0;
}

void bench_count_ingest(void)
{
    host_set_ingest(count_fn);
}

uint64_t bench_counted(void)
{
    return __atomic_load_n(&counted, __ATOMIC_RELAXED);
}

uint64_t bench_batches(void)
{
    return __atomic_load_n(&batches, __ATOMIC_RELAXED);
}

void bench_pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void bench_sleep_until_ns(int64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000LL), (long)(t % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}
