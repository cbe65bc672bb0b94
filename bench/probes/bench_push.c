/* Push ingest throughput: the agent's real HTTP server with the push probe on loopback, 20-feature
 * NDJSON batches, a counting stand-in for the core. Prints figures, asserts nothing.
 *   bench_push --serve [--batch N] [--body-out F]   serve until SIGINT/SIGTERM (for wrk), then print
 *   bench_push [--batch N] [--seconds S] [--clients C]   built-in keep-alive curl clients */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "util/metrics.h"
#include "http/routes.h"

static char *body;
static size_t body_len;
static int port;
static int64_t client_deadline;

/* N samples of 14 numeric and 6 categorical features, ~550 bytes a line. */
static void make_body(size_t n)
{
    size_t cap = n * 1024 + 1;
    body = malloc(cap);
    size_t used = 0;
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(body + used, cap - used, "{\"features\": {");
        for (int f = 0; f < 14; f++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            used += (size_t)snprintf(body + used, cap - used, "%s\"num_%02d\": %.6f", f ? ", " : "", f,
                                     (double)(x % 1000000) / 1000.0);
        }
        for (int f = 0; f < 6; f++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            used += (size_t)snprintf(body + used, cap - used, ", \"cat_%02d\": \"value_%u\"", f, x % 50);
        }
        used += (size_t)snprintf(body + used, cap - used,
                                 "}, \"prediction\": 0.%04u, \"timestamp\": \"2024-05-01T12:00:%02zuZ\", "
                                 "\"request_id\": \"req-%zu\"}\n",
                                 x % 10000, i % 60, i);
    }
    body_len = used;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

struct client {
    int cpu;
    uint64_t requests, failures;
};

static void *client_main(void *arg)
{
    struct client *c = arg;
    bench_pin(c->cpu);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/models/bench/samples", port);
    CURL *h = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    while (bench_now_ns() < client_deadline) {
        long status = 0;
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status == 202)
            c->requests++;
        else
            c->failures++;
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return NULL;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    size_t batch = 100;
    int seconds = 5, clients = 2, serve = 0, server_cpu = -1, client_cpu = -1;
    const char *body_out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--server-cpu") == 0 && i + 1 < argc)
            server_cpu = atoi(argv[++i]);
        else if (strcmp(argv[i], "--client-cpu") == 0 && i + 1 < argc)
            client_cpu = atoi(argv[++i]);
        else if (strcmp(argv[i], "--body-out") == 0 && i + 1 < argc)
            body_out = argv[++i];
        else if (strcmp(argv[i], "--serve") == 0)
            serve = 1;
        else {
            fprintf(stderr, "usage: %s [--serve] [--batch N] [--seconds S] [--clients C] [--server-cpu K] "
                            "[--client-cpu K] [--body-out FILE]\n", argv[0]);
            return 2;
        }
    }
    http_client_global_init();
    make_body(batch);
    if (body_out) {
        FILE *f = fopen(body_out, "w");
        fwrite(body, 1, body_len, f);
        fclose(f);
    }
    bench_count_ingest();
    /* SIGINT/SIGTERM are taken by sigwait() in main only: every thread started later inherits the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (serve) {
        signal(SIGINT, SIG_DFL); /* a background job of a script starts with SIGINT ignored */
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    }
    /* The server's threads inherit the CPU of the thread that starts them. */
    bench_pin(server_cpu);
    char err[256];
    struct http_server_options o = {.host = "127.0.0.1", .port = 0, .max_body_bytes = 256 << 20,
                                    .max_connections = 256};
    struct http_server *srv = http_server_start(&o, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    port = http_server_port(srv);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "plugin: push\nmodel: bench\nmax_batch: %zu\n", batch + 1);
    struct plugin_instance *push = bench_probe(yaml);

    if (serve) {
        printf("port=%d batch=%zu body_bytes=%zu\n", port, batch, body_len);
        fflush(stdout);
        double cpu0 = cpu_seconds();
        int64_t t0 = bench_now_ns();
        int sig;
        sigwait(&stop_signals, &sig);
        double wall = (double)(bench_now_ns() - t0) / 1e9, cpu = cpu_seconds() - cpu0;
        printf("server: samples=%llu batches=%llu wall=%.2fs cpu=%.2fs samples_per_cpu_second=%.0f\n",
               (unsigned long long)bench_counted(), (unsigned long long)bench_batches(), wall, cpu,
               cpu > 0 ? (double)bench_counted() / cpu : 0);
    } else {
        struct client *cs = calloc((size_t)clients, sizeof *cs);
        pthread_t *ts = calloc((size_t)clients, sizeof *ts);
        double cpu0 = cpu_seconds();
        int64_t t0 = bench_now_ns();
        client_deadline = t0 + (int64_t)seconds * 1000000000LL;
        for (int i = 0; i < clients; i++) {
            cs[i].cpu = client_cpu;
            pthread_create(&ts[i], NULL, client_main, &cs[i]);
        }
        uint64_t requests = 0, failures = 0;
        for (int i = 0; i < clients; i++) {
            pthread_join(ts[i], NULL);
            requests += cs[i].requests;
            failures += cs[i].failures;
        }
        double wall = (double)(bench_now_ns() - t0) / 1e9, cpu = cpu_seconds() - cpu0;
        printf("push ingest, built-in client: batch=%zu clients=%d body=%zu bytes\n", batch, clients, body_len);
        printf("  requests=%llu failures=%llu samples=%llu in %.2fs -> %.0f samples/s, %.1f MB/s\n",
               (unsigned long long)requests, (unsigned long long)failures, (unsigned long long)bench_counted(), wall,
               (double)bench_counted() / wall, (double)requests * (double)body_len / wall / 1e6);
        printf("  process CPU (server and clients together): %.2fs\n", cpu);
        free(cs);
        free(ts);
    }
    plugin_instance_free(push);
    http_server_stop(srv);
    routes_clear();
    metrics_reset();
    free(body);
    http_client_global_cleanup();
    return 0;
}
