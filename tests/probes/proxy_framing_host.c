/* Runs two proxy probes in front of one upstream for tests/probes/proxy_framing.py: one with the
 * built-in upstream client, one with `http_client: curl`. Prints "builtin=PORT curl=PORT" and
 * serves until its standard input closes.
 *   proxy_framing_host UPSTREAM_PORT [extra YAML option lines] */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "http/http_client.h"
#include "util/metrics.h"
#include "probe_harness.h"
#include "upstream.h"

static struct plugin_instance *start(int upstream_port, const char *client, const char *extra, int *port)
{
    char yaml[1024], err[1024];
    *port = free_port();
    snprintf(yaml, sizeof yaml,
             "plugin: proxy\nmodel: fraud\nlisten: 127.0.0.1:%d\nupstream: http://127.0.0.1:%d\ntimeout: 5s\n"
             "http_client: %s\ntap_priority: normal\n%s",
             *port, upstream_port, client, extra);
    struct plugin_instance *pi = harness_create(yaml, DW_KIND_PROBE, err, sizeof err);
    if (!pi) {
        fprintf(stderr, "proxy_framing_host: %s\n", err);
        exit(1);
    }
    harness_start(pi);
    return pi;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s UPSTREAM_PORT [extra YAML]\n", argv[0]);
        return 2;
    }
    http_client_global_init();
    capture_install();
    int up = atoi(argv[1]), builtin_port, curl_port;
    const char *extra = argc > 2 ? argv[2] : "";
    struct plugin_instance *builtin = start(up, "builtin", extra, &builtin_port);
    struct plugin_instance *curl = start(up, "curl", extra, &curl_port);
    printf("builtin=%d curl=%d\n", builtin_port, curl_port);
    fflush(stdout);
    char buf[256];
    while (fgets(buf, sizeof buf, stdin)) {
        /* "metric NAME LABELS": prints the value, for the tap counters */
        char name[128], labels[128];
        if (sscanf(buf, "metric %127s %127s", name, labels) == 2) {
            printf("%g\n", metric_value(name, labels));
            fflush(stdout);
        }
    }
    plugin_instance_free(builtin);
    plugin_instance_free(curl);
    metrics_reset();
    http_client_global_cleanup();
    return 0;
}
