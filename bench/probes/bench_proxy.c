/* Proxy added latency: the same predict call at a fixed rate, straight to a small C upstream and
 * through the proxy probe (taps on, counting stand-in for the core), on one keep-alive connection
 * each; prints latency percentiles of both and their difference. Then the time to the first byte
 * of a streamed (chunked, server-sent events) answer whose upstream writes its first event at once
 * and the rest 20 ms later, direct and proxied, with both upstream clients. Asserts nothing.
 *   bench_proxy [--rate R] [--requests N] [--instances K] [--rounds M] [--no-tap] [--streams S] */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/probes/upstream.h"
#include "bench_util.h"
#include "http/http_client.h"
#include "util/metrics.h"

static char *request;
static size_t request_len;

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* One request/response on a kept-alive connection; returns the status. */
static int exchange(int fd, char *buf, size_t cap)
{
    for (size_t sent = 0; sent < request_len;) {
        ssize_t w = send(fd, request + sent, request_len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        sent += (size_t)w;
    }
    size_t len = 0;
    char *end = NULL;
    int one = 1;
    while (!end) {
        /* Quick ACKs, as the proxy does: without them an upstream that sends head and body in two
         * writes under Nagle waits for our delayed ACK (~40 ms), and "direct" would mean nothing. */
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head = (size_t)(end - buf) + 4, clen = 0;
    const char *cl = strcasestr(buf, "\r\ncontent-length:");
    if (cl && cl < end)
        clen = strtoull(cl + 17, NULL, 10);
    while (len < head + clen) {
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
    }
    return atoi(buf + 9);
}

/* ---- a streaming upstream: head and first event at once, the rest 20 ms later ---- */

static int sse_listen_fd;

static void *sse_conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        len = 0; /* GET requests only: no body */
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n10\r\ndata: {\"t\": 0}\n\n\r\n";
        static const char rest[] = "10\r\ndata: {\"t\": 1}\n\n\r\n0\r\n\r\n";
        if (send(fd, head, sizeof head - 1, MSG_NOSIGNAL) < 0)
            break;
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
        if (send(fd, rest, sizeof rest - 1, MSG_NOSIGNAL) < 0)
            break;
    }
    close(fd);
    return NULL;
}

static void *sse_accept_main(void *arg)
{
    for (;;) {
        int fd = accept(sse_listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        pthread_create(&t, NULL, sse_conn_main, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

static int sse_start(void)
{
    sse_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(sse_listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(sse_listen_fd, 64) < 0 ||
        getsockname(sse_listen_fd, (struct sockaddr *)&a, &len) < 0) {
        perror("sse upstream");
        exit(1);
    }
    pthread_t t;
    pthread_create(&t, NULL, sse_accept_main, NULL);
    pthread_detach(t);
    return ntohs(a.sin_port);
}

/* Microseconds from sending the request to receiving the first event; reads the answer to its end. */
static double stream_once(int fd, double *total_us)
{
    static const char req[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    int64_t t0 = bench_now_ns(), first = 0;
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) < 0)
        return -1;
    char buf[4096];
    size_t len = 0;
    int one = 1;
    for (;;) {
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if (!first && strstr(buf, "\"t\": 0"))
            first = bench_now_ns();
        if (len >= 5 && memcmp(buf + len - 5, "0\r\n\r\n", 5) == 0)
            break;
        if (len > sizeof buf / 2) { /* keep the tail only */
            memmove(buf, buf + len - 16, 16);
            len = 16;
        }
    }
    *total_us = (double)(bench_now_ns() - t0) / 1e3;
    return (double)(first - t0) / 1e3;
}

static void stream_run(const char *what, int port, int n)
{
    int fd = connect_to(port);
    double *ttfb = malloc((size_t)n * sizeof *ttfb), total = 0, sum_total = 0;
    int errors = 0;
    for (int i = 0; i < n; i++) {
        ttfb[i] = stream_once(fd, &total);
        if (ttfb[i] < 0) {
            errors++;
            ttfb[i] = 1e9;
        }
        sum_total += total;
    }
    close(fd);
    printf("  %-15s first event p50 %7.1f us  p99 %7.1f us  max %8.1f us  (whole answer avg %.1f ms)  errors %d\n",
           what, bench_quantile(ttfb, (size_t)n, 0.5), bench_quantile(ttfb, (size_t)n, 0.99),
           bench_quantile(ttfb, (size_t)n, 1.0), sum_total / n / 1e3, errors);
    free(ttfb);
}

struct stats {
    double p50, p90, p99, p999, max;
    int errors;
};

static struct stats run(int port, int rate, int n, char *buf, size_t cap)
{
    int fd = connect_to(port);
    for (int i = 0; i < 500; i++) /* warm-up: connections, caches, the upstream pool */
        exchange(fd, buf, cap);
    double *lat = malloc((size_t)n * sizeof *lat);
    struct stats s = {0};
    int64_t period = 1000000000LL / rate, t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        bench_sleep_until_ns(t0 + (int64_t)i * period);
        int64_t a = bench_now_ns();
        if (exchange(fd, buf, cap) != 200)
            s.errors++;
        lat[i] = (double)(bench_now_ns() - a) / 1e3;
    }
    close(fd);
    s.p50 = bench_quantile(lat, (size_t)n, 0.50);
    s.p90 = bench_quantile(lat, (size_t)n, 0.90);
    s.p99 = bench_quantile(lat, (size_t)n, 0.99);
    s.p999 = bench_quantile(lat, (size_t)n, 0.999);
    s.max = bench_quantile(lat, (size_t)n, 1.0);
    free(lat);
    return s;
}

static void print(const char *what, struct stats s)
{
    printf("  %-7s p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  p99.9 %7.1f us  max %8.1f us  errors %d\n", what, s.p50,
           s.p90, s.p99, s.p999, s.max, s.errors);
}

int main(int argc, char **argv)
{
    int rate = 2000, n = 20000, instances = 1, rounds = 2, tap = 1, external = 0, streams = 300;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = atoi(argv[++i]);
        else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (strcmp(argv[i], "--instances") == 0 && i + 1 < argc)
            instances = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--streams") == 0 && i + 1 < argc)
            streams = atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-tap") == 0)
            tap = 0;
        else if (strcmp(argv[i], "--upstream-port") == 0 && i + 1 < argc)
            external = atoi(argv[++i]);
        else {
            fprintf(stderr,
                    "usage: %s [--rate R] [--requests N] [--instances K] [--rounds M] [--no-tap] [--streams S] "
                    "[--upstream-port P (a model server already listening on 127.0.0.1:P)]\n",
                    argv[0]);
            return 2;
        }
    }
    http_client_global_init();
    bench_count_ingest();

    /* A v1 predict call with `instances` rows of 20 features, and its answer. */
    size_t cap = 4096 + (size_t)instances * 600;
    char *json = malloc(cap), *answer = malloc(cap);
    size_t used = (size_t)snprintf(json, cap, "{\"instances\": ["), aused = (size_t)snprintf(answer, cap,
                                                                                              "{\"predictions\": [");
    for (int r = 0; r < instances; r++) {
        used += (size_t)snprintf(json + used, cap - used, "%s{", r ? ", " : "");
        for (int f = 0; f < 20; f++)
            used += (size_t)snprintf(json + used, cap - used, "%s\"f%02d\": %d.%03d", f ? ", " : "", f, 17 * f + r,
                                     (31 * f) % 1000);
        used += (size_t)snprintf(json + used, cap - used, "}");
        aused += (size_t)snprintf(answer + aused, cap - aused, "%s0.%04d", r ? ", " : "", (r * 37) % 10000);
    }
    used += (size_t)snprintf(json + used, cap - used, "]}");
    aused += (size_t)snprintf(answer + aused, cap - aused, "]}");
    const char *path = tap ? "/v1/models/bench:predict" : "/v1/models/bench:explain";
    request = malloc(used + 512);
    request_len = (size_t)snprintf(request, used + 512,
                                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                   "Content-Length: %zu\r\n\r\n%s",
                                   path, used, json);

    int up = external;
    if (!external) {
        up = upstream_start();
        struct upstream_script s = {.status = 200, .headers = "Content-Type: application/json\r\n", .body = answer,
                                    .body_len = aused};
        upstream_set(&s);
    }
    int listen_port = free_port();
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "plugin: proxy\nmodel: bench\nlisten: 127.0.0.1:%d\nupstream: http://127.0.0.1:%d\nprotocol: v1\n",
             listen_port, up);
    struct plugin_instance *proxy = bench_probe(yaml);

    size_t bufcap = 1 << 20;
    char *buf = malloc(bufcap);
    printf("proxy added latency: %d requests at %d/s per run, %d instance(s) of 20 features, body %zu bytes, "
           "taps %s\n",
           n, rate, instances, used, tap ? "on" : "off (path not tapped)");
    for (int round = 0; round < rounds; round++) {
        struct stats d = run(up, rate, n, buf, bufcap);
        struct stats p = run(listen_port, rate, n, buf, bufcap);
        printf(" round %d\n", round + 1);
        print("direct", d);
        print("proxy", p);
        printf("  added   p50 %7.1f us  p99 %7.1f us\n", p.p50 - d.p50, p.p99 - d.p99);
    }
    struct timespec wait = {0, 400000000L};
    nanosleep(&wait, NULL); /* the tap thread publishes its counts */
    double dropped = 0;
    char *text;
    size_t text_len;
    if (metrics_render(&text, &text_len) == 0) {
        const char *needle = "driftwatch_samples_rejected_total{model=\"bench\",reason=\"tap_queue_full\"} ";
        const char *hit = strstr(text, needle);
        if (hit)
            dropped = strtod(hit + strlen(needle), NULL);
        free(text);
    }
    printf(" tapped samples handed to the core: %llu in %llu batches; pairs dropped (tap queue full): %.0f\n",
           (unsigned long long)bench_counted(), (unsigned long long)bench_batches(), dropped);
    plugin_instance_free(proxy);
    if (streams > 0) {
        int sse = sse_start();
        printf("streamed answer (chunked, first event at once, the rest 20 ms later), %d answers on one "
               "keep-alive connection each:\n",
               streams);
        stream_run("direct", sse, streams);
        const char *clients[] = {"builtin", "curl"};
        for (int c = 0; c < 2; c++) {
            int port = free_port();
            snprintf(yaml, sizeof yaml,
                     "plugin: proxy\nmodel: bench\nlisten: 127.0.0.1:%d\nupstream: http://127.0.0.1:%d\n"
                     "http_client: %s\n",
                     port, sse, clients[c]);
            struct plugin_instance *sp = bench_probe(yaml);
            char what[32];
            snprintf(what, sizeof what, "proxy (%s)", clients[c]);
            stream_run(what, port, streams);
            plugin_instance_free(sp);
        }
    }
    if (!external)
        upstream_stop();
    metrics_reset();
    free(buf);
    free(request);
    free(json);
    free(answer);
    http_client_global_cleanup();
    return 0;
}
