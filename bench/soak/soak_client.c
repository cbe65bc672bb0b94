/* Load-and-soak client: drives push ingest, /metrics scrapes and drift reads against a running
 * agent at fixed rates while sampling its RSS, fds and CPU each second; prints figures.
 *   soak_client --write-train FILE [--rows N]             training CSV for the baseline, then exit
 *   soak_client --url http://127.0.0.1:PORT --model M --pid PID [--seconds S] [--warmup W]
 *               [--push-clients N] [--push-rate R] [--batch B] [--scrape-rate R] [--drift-rate R]
 *               [--shift-every S] [--token T] [--series FILE]
 * Exit 0 after a run whatever the figures (a bench, not a test: callers judge them), 1 when the run
 * could not happen or the agent died, 2 for usage errors. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soak_body.h"
#include "soak_proc.h"
#include "soak_stats.h"

/* Distinct samples per phase: a window made of a few hundred samples repeated would show
 * sampling noise as feature drift (W1 of 300 draws is often above the 0.1 threshold). */
#define DISTINCT_SAMPLES 4096

enum route { ROUTE_PUSH, ROUTE_METRICS, ROUTE_DRIFT, N_ROUTES };
static const char *const route_names[N_ROUTES] = {"push", "metrics", "drift"};

struct options {
    const char *url, *model, *token, *series, *train_out;
    pid_t pid;
    int seconds, warmup, push_clients, shift_every;
    double push_rate, scrape_rate, drift_rate;
    size_t batch, train_rows;
};

struct worker {
    enum route route;
    int index, count;   /* index among count workers of this route, to stagger their schedules */
    double rate;        /* requests per second for this worker; 0: back to back */
    pthread_t thread;
    uint64_t requests, http_errors, conn_errors;
    size_t last_bytes;  /* size of the last answer (watches /metrics for growing cardinality) */
    size_t warm_bytes;  /* size of the first answer after warm-up */
    struct soak_series latency_ms;  /* requests started after warm-up */
    char first_error[160];
};

static struct options opt = {
    .seconds = 300, .warmup = 60, .push_clients = 4, .push_rate = 50, .scrape_rate = 10, .drift_rate = 2,
    .batch = 100, .train_rows = 5000,
};
static char **bodies[2];
static size_t *body_lens[2];
static size_t n_bodies;
static int64_t t0_ns, warm_ns, deadline_ns;
static int stop_flag;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t)
{
    struct timespec ts = {.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static size_t count_bytes(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    *(size_t *)userdata += size * nmemb;
    return size * nmemb;
}

static CURL *worker_handle(struct worker *w, struct curl_slist **headers, size_t *bytes)
{
    char url[512], auth[512];
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    if (w->route == ROUTE_METRICS)
        snprintf(url, sizeof url, "%s/metrics", opt.url);
    else
        snprintf(url, sizeof url, "%s/v1/models/%s/%s", opt.url, opt.model, w->route == ROUTE_PUSH ? "samples" : "drift");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_bytes);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, bytes);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    if (w->route == ROUTE_PUSH) {
        *headers = curl_slist_append(*headers, "Content-Type: application/x-ndjson");
        /* No "Expect: 100-continue" round trip: it would add a wait curl's own timer decides. */
        *headers = curl_slist_append(*headers, "Expect:");
        if (opt.token) {
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", opt.token);
            *headers = curl_slist_append(*headers, auth);
        }
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
    }
    return h;
}

/* Which body set the traffic uses now: with --shift-every S, S seconds in distribution, then S
 * seconds shifted, and so on, so windows alternate between clean and drifted. */
static int phase_shifted(int64_t t)
{
    if (opt.shift_every <= 0)
        return 0;
    return (int)(((t - t0_ns) / 1000000000LL / opt.shift_every) % 2);
}

static void note_error(struct worker *w, const char *what)
{
    if (!w->first_error[0])
        snprintf(w->first_error, sizeof w->first_error, "%.150s", what);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct curl_slist *headers = NULL;
    size_t bytes = 0;
    char errbuf[CURL_ERROR_SIZE], what[CURL_ERROR_SIZE + 32];
    CURL *h = worker_handle(w, &headers, &bytes);
    if (!h) {
        note_error(w, "curl_easy_init failed");
        w->conn_errors++;
        return NULL;
    }
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    int64_t interval = w->rate > 0 ? (int64_t)(1e9 / w->rate) : 0;
    int64_t offset = interval * w->index / w->count;
    for (uint64_t k = 0;; k++) {
        /* Fixed schedule: a late request is sent at once, and later ones keep their slots. */
        if (interval) {
            int64_t slot = t0_ns + offset + (int64_t)k * interval;
            if (slot >= deadline_ns)
                break;
            sleep_until_ns(slot);
        }
        int64_t start = now_ns();
        if (start >= deadline_ns || __atomic_load_n(&stop_flag, __ATOMIC_RELAXED))
            break;
        if (w->route == ROUTE_PUSH) {
            int shifted = phase_shifted(start);
            size_t b = (k * (size_t)w->count + (size_t)w->index) % n_bodies;
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, bodies[shifted][b]);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_lens[shifted][b]);
        }
        bytes = 0;
        errbuf[0] = '\0';
        CURLcode rc = curl_easy_perform(h);
        int64_t end = now_ns();
        long status = 0;
        w->requests++;
        if (rc != CURLE_OK) {
            w->conn_errors++;
            snprintf(what, sizeof what, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
            note_error(w, what);
            continue;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) {
            w->http_errors++;
            snprintf(what, sizeof what, "HTTP %ld", status);
            note_error(w, what);
        }
        w->last_bytes = bytes;
        if (start >= warm_ns) {
            if (!w->warm_bytes)
                w->warm_bytes = bytes;
            if (soak_series_add(&w->latency_ms, (double)(end - start) / 1e6) < 0)
                note_error(w, "out of memory for latencies");
        }
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return NULL;
}

/* One request before the run: a push so the window is not empty and a check so that the drift
 * route has a verdict to return (it answers 404 until the first check). */
static int prime(void)
{
    char url[512], auth[512];
    size_t bytes = 0;
    long status = 0;
    int ret = -1;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    headers = curl_slist_append(headers, "Expect:");
    if (opt.token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", opt.token);
        headers = curl_slist_append(headers, auth);
    }
    CURL *h = curl_easy_init();
    if (!h)
        goto out;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_bytes);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    snprintf(url, sizeof url, "%s/v1/models/%s/samples", opt.url, opt.model);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, bodies[0][0]);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_lens[0][0]);
    if (curl_easy_perform(h) != CURLE_OK || curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        status != 202) {
        fprintf(stderr, "soak: priming push to %s failed (HTTP %ld)\n", url, status);
        goto out;
    }
    snprintf(url, sizeof url, "%s/v1/models/%s/check", opt.url, opt.model);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    if (curl_easy_perform(h) != CURLE_OK || curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        status != 200) {
        fprintf(stderr, "soak: priming check at %s failed (HTTP %ld)\n", url, status);
        goto out;
    }
    ret = 0;
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    return ret;
}

static int make_bodies(void)
{
    n_bodies = (DISTINCT_SAMPLES + opt.batch - 1) / opt.batch;
    for (int s = 0; s < 2; s++) {
        bodies[s] = calloc(n_bodies, sizeof bodies[s][0]);
        body_lens[s] = calloc(n_bodies, sizeof body_lens[s][0]);
        if (!bodies[s] || !body_lens[s])
            return -1;
        for (size_t b = 0; b < n_bodies; b++) {
            bodies[s][b] = soak_body_make(opt.batch, s, (uint32_t)(100000 * s + b + 7), &body_lens[s][b]);
            if (!bodies[s][b])
                return -1;
        }
    }
    return 0;
}

static void free_bodies(void)
{
    for (int s = 0; s < 2; s++) {
        for (size_t b = 0; bodies[s] && b < n_bodies; b++)
            free(bodies[s][b]);
        free(bodies[s]);
        free(body_lens[s]);
    }
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--url") == 0)
            opt.url = v;
        else if (strcmp(a, "--model") == 0)
            opt.model = v;
        else if (strcmp(a, "--token") == 0)
            opt.token = v;
        else if (strcmp(a, "--series") == 0)
            opt.series = v;
        else if (strcmp(a, "--write-train") == 0)
            opt.train_out = v;
        else if (strcmp(a, "--rows") == 0)
            opt.train_rows = (size_t)atol(v);
        else if (strcmp(a, "--pid") == 0)
            opt.pid = (pid_t)atol(v);
        else if (strcmp(a, "--seconds") == 0)
            opt.seconds = atoi(v);
        else if (strcmp(a, "--warmup") == 0)
            opt.warmup = atoi(v);
        else if (strcmp(a, "--push-clients") == 0)
            opt.push_clients = atoi(v);
        else if (strcmp(a, "--shift-every") == 0)
            opt.shift_every = atoi(v);
        else if (strcmp(a, "--push-rate") == 0)
            opt.push_rate = atof(v);
        else if (strcmp(a, "--scrape-rate") == 0)
            opt.scrape_rate = atof(v);
        else if (strcmp(a, "--drift-rate") == 0)
            opt.drift_rate = atof(v);
        else if (strcmp(a, "--batch") == 0)
            opt.batch = (size_t)atol(v);
        else
            return -1;
    }
    if (opt.train_out)
        return opt.train_rows > 0 ? 0 : -1;
    if (!opt.url || !opt.model || opt.pid <= 0 || opt.seconds <= 0 || opt.warmup < 0 || opt.warmup >= opt.seconds ||
        opt.push_clients < 1 || opt.batch < 1 || opt.push_rate < 0 || opt.scrape_rate < 0 || opt.drift_rate < 0)
        return -1;
    return 0;
}

static int write_train(void)
{
    FILE *f = fopen(opt.train_out, "w");
    if (!f) {
        fprintf(stderr, "soak: cannot write %s: %s\n", opt.train_out, strerror(errno));
        return 1;
    }
    int bad = soak_body_write_train(f, opt.train_rows, 12345) < 0;
    bad |= fclose(f) != 0;
    if (bad)
        fprintf(stderr, "soak: writing %s failed\n", opt.train_out);
    return bad;
}

struct resource_log {
    double *t, *rss_mb;
    long *fds, *hwm_kb;
    double *cpu_s;
    size_t n;
};

/* Samples the agent once a second until the deadline; returns 0, or -1 when the agent went away. */
static int watch_agent(struct resource_log *log, size_t cap, FILE *series)
{
    for (int64_t tick = t0_ns; tick < deadline_ns && log->n < cap; tick += 1000000000LL) {
        sleep_until_ns(tick);
        struct soak_proc_sample s;
        double t = (double)(now_ns() - t0_ns) / 1e9;
        if (soak_proc_read(opt.pid, &s) < 0) {
            printf("agent pid %d went away at t=%.1f s\n", (int)opt.pid, t);
            return -1;
        }
        log->t[log->n] = t;
        log->rss_mb[log->n] = (double)s.rss_kb / 1024.0;
        log->fds[log->n] = s.fds;
        log->hwm_kb[log->n] = s.hwm_kb;
        log->cpu_s[log->n] = s.cpu_s;
        log->n++;
        if (series)
            fprintf(series, "%.1f %ld %ld %.2f\n", t, s.rss_kb, s.fds, s.cpu_s);
    }
    return 0;
}

static void report_routes(struct worker *ws, int nw, uint64_t *errors)
{
    printf("%-8s %9s %9s %9s %8s %8s %8s %8s   (latency over requests started after warm-up)\n", "route",
           "requests", "req/s", "non-2xx", "conn_err", "p50_ms", "p99_ms", "max_ms");
    for (int r = 0; r < N_ROUTES; r++) {
        struct soak_series all = {0};
        uint64_t req = 0, http = 0, conn = 0;
        size_t warm_bytes = 0, last_bytes = 0;
        const char *first = NULL;
        for (int i = 0; i < nw; i++) {
            if (ws[i].route != (enum route)r)
                continue;
            req += ws[i].requests;
            http += ws[i].http_errors;
            conn += ws[i].conn_errors;
            if (soak_series_merge(&all, &ws[i].latency_ms) < 0)
                fprintf(stderr, "soak: out of memory merging latencies\n");
            if (!first && ws[i].first_error[0])
                first = ws[i].first_error;
            warm_bytes = ws[i].warm_bytes;
            last_bytes = ws[i].last_bytes;
        }
        if (!req)
            continue;
        printf("%-8s %9llu %9.1f %9llu %8llu %8.2f %8.2f %8.2f\n", route_names[r], (unsigned long long)req,
               (double)req / opt.seconds, (unsigned long long)http, (unsigned long long)conn,
               soak_series_quantile(&all, 0.50), soak_series_quantile(&all, 0.99), soak_series_quantile(&all, 1.0));
        if (first)
            printf("         first error: %s\n", first);
        if (r == ROUTE_METRICS)
            printf("         /metrics answer: %zu bytes after warm-up, %zu bytes at the end\n", warm_bytes, last_bytes);
        *errors += http + conn;
        soak_series_free(&all);
    }
}

/* Prints the resource figures over the samples taken after warm-up, then one machine-readable
 * 'totals:' line (key=value) for scripts. */
static void report_resources(const struct resource_log *log, uint64_t errors, uint64_t push_requests)
{
    size_t first = 0;
    while (first < log->n && log->t[first] < opt.warmup)
        first++;
    size_t n = log->n - first;
    if (n < 2) {
        printf("too few resource samples after warm-up (%zu)\n", n);
        printf("totals: errors=%llu samples=%zu\n", (unsigned long long)errors, n);
        return;
    }
    const double *t = log->t + first, *rss = log->rss_mb + first;
    double rss_min = rss[0], rss_max = rss[0];
    long fd_min = log->fds[first], fd_max = log->fds[first];
    for (size_t i = 0; i < n; i++) {
        rss_min = rss[i] < rss_min ? rss[i] : rss_min;
        rss_max = rss[i] > rss_max ? rss[i] : rss_max;
        fd_min = log->fds[first + i] < fd_min ? log->fds[first + i] : fd_min;
        fd_max = log->fds[first + i] > fd_max ? log->fds[first + i] : fd_max;
    }
    double slope = soak_slope(t, rss, n) * 60.0; /* MB/s to MB/min */
    double cpu = log->cpu_s[log->n - 1] - log->cpu_s[0], wall = log->t[log->n - 1] - log->t[0];
    printf("agent RSS: %.1f MB at start, %.1f MB at warm-up end (t=%.0f s), %.1f MB at the end (t=%.0f s); "
           "after warm-up min %.1f max %.1f MB, slope %+.3f MB/min (least squares over %zu samples); peak %.1f MB\n",
           log->rss_mb[0], rss[0], t[0], rss[n - 1], t[n - 1], rss_min, rss_max, slope, n,
           (double)log->hwm_kb[log->n - 1] / 1024.0);
    printf("agent fds: %ld at start; after warm-up min %ld max %ld\n", log->fds[0], fd_min, fd_max);
    printf("agent CPU: %.1f s over %.0f s (%.0f%% of one core)\n", cpu, wall, wall > 0 ? 100 * cpu / wall : 0);
    printf("totals: errors=%llu push_requests=%llu samples_sent=%llu rss_warm_mb=%.2f rss_end_mb=%.2f "
           "rss_max_mb=%.2f rss_slope_mb_per_min=%.4f fd_min=%ld fd_max=%ld\n",
           (unsigned long long)errors, (unsigned long long)push_requests,
           (unsigned long long)(push_requests * opt.batch), rss[0], rss[n - 1], rss_max, slope, fd_min, fd_max);
}

static int run(void)
{
    int ret = 1, nw = 0;
    struct worker *ws = calloc((size_t)opt.push_clients + 2, sizeof *ws);
    size_t cap = (size_t)opt.seconds + 2;
    struct resource_log log = {.t = calloc(cap, sizeof(double)), .rss_mb = calloc(cap, sizeof(double)),
                               .fds = calloc(cap, sizeof(long)), .hwm_kb = calloc(cap, sizeof(long)),
                               .cpu_s = calloc(cap, sizeof(double))};
    FILE *series = NULL;
    if (!ws || !log.t || !log.rss_mb || !log.fds || !log.hwm_kb || !log.cpu_s || make_bodies() < 0) {
        fprintf(stderr, "soak: out of memory\n");
        goto out;
    }
    if (opt.series && !(series = fopen(opt.series, "w"))) {
        fprintf(stderr, "soak: cannot write %s: %s\n", opt.series, strerror(errno));
        goto out;
    }
    if (prime() < 0)
        goto out;
    for (int i = 0; i < opt.push_clients; i++)
        ws[nw++] = (struct worker){.route = ROUTE_PUSH, .index = i, .count = opt.push_clients,
                                   .rate = opt.push_rate / opt.push_clients};
    if (opt.scrape_rate > 0)
        ws[nw++] = (struct worker){.route = ROUTE_METRICS, .count = 1, .rate = opt.scrape_rate};
    if (opt.drift_rate > 0)
        ws[nw++] = (struct worker){.route = ROUTE_DRIFT, .count = 1, .rate = opt.drift_rate};
    printf("soak: %d s (warm-up %d s) against %s, agent pid %d\n", opt.seconds, opt.warmup, opt.url, (int)opt.pid);
    if (opt.push_rate > 0)
        printf("  push: %d connections, %.0f requests/s in total = %.0f samples/s", opt.push_clients, opt.push_rate,
               opt.push_rate * (double)opt.batch);
    else
        printf("  push: %d connections back to back", opt.push_clients);
    printf(", %zu samples (%zu bytes) a request; /metrics %.0f/s; drift reads %.0f/s; traffic shifted every %d s\n",
           opt.batch, body_lens[0][0], opt.scrape_rate, opt.drift_rate, opt.shift_every);
    fflush(stdout);
    t0_ns = now_ns();
    warm_ns = t0_ns + (int64_t)opt.warmup * 1000000000LL;
    deadline_ns = t0_ns + (int64_t)opt.seconds * 1000000000LL;
    int started = 0;
    for (; started < nw; started++)
        if (pthread_create(&ws[started].thread, NULL, worker_main, &ws[started]) != 0)
            break;
    int gone = started < nw ? -1 : watch_agent(&log, cap, series);
    if (started < nw)
        fprintf(stderr, "soak: cannot start worker threads\n");
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    uint64_t errors = 0;
    report_routes(ws, nw, &errors);
    uint64_t push_requests = 0;
    for (int i = 0; i < nw; i++)
        push_requests += ws[i].route == ROUTE_PUSH ? ws[i].requests : 0;
    report_resources(&log, errors, push_requests);
    ret = gone < 0 ? 1 : 0;
out:
    if (series)
        fclose(series);
    for (int i = 0; ws && i < nw; i++)
        soak_series_free(&ws[i].latency_ms);
    free(ws);
    free(log.t);
    free(log.rss_mb);
    free(log.fds);
    free(log.hwm_kb);
    free(log.cpu_s);
    free_bodies();
    return ret;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0) {
        fprintf(stderr, "usage: %s --write-train FILE [--rows N]\n"
                        "       %s --url URL --model M --pid PID [--seconds S] [--warmup W] [--push-clients N]\n"
                        "          [--push-rate R] [--batch B] [--scrape-rate R] [--drift-rate R] [--shift-every S]\n"
                        "          [--token T] [--series FILE]\n", argv[0], argv[0]);
        return 2;
    }
    if (opt.train_out)
        return write_train();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "soak: curl_global_init failed\n");
        return 1;
    }
    int ret = run();
    curl_global_cleanup();
    return ret;
}
