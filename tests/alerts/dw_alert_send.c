/* dw_alert_send: sends one alert event through an alert-sink plugin, loaded and run on the core's
 * host table as the agent would, so shell tests can drive a sink against real services. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_harness.h"
#include "plugin/host.h"
#include "plugin/plugin_ctx.h"
#include "http/http_client.h"
#include "util/metrics.h"

static const char usage[] =
    "usage: dw_alert_send PLUGIN.so INSTANCE [--set key=value]... --model NAME (--firing|--resolved)\n"
    "         [--repeat] [--severity S] [--summary S] [--share X] [--feature name:method:score[:p]]...\n"
    "         [--report-url URL] [--starts-at UNIX] [--ends-at UNIX] [--state-dir DIR] [--metrics]\n"
    "Exit: 0 sent, 1 the sink failed (message on stderr), 2 usage or init error.\n";

#define MAX_FEATURES 64

int main(int argc, char **argv)
{
    static struct dw_feature_score feats[MAX_FEATURES];
    static char feat_text[MAX_FEATURES][256];
    struct dw_alert_event ev = {.size = sizeof ev, .severity = "warning", .firing = -1, .kind = "data"};
    struct harness h;
    char err[2048];
    int print_metrics = 0, rc = 2;
    void *inst = NULL;
    struct dw_ctx *ctx = NULL;

    if (argc < 3) {
        fputs(usage, stderr);
        return 2;
    }
    if (harness_open(&h, argv[1], DW_KIND_ALERT, err, sizeof err) < 0) {
        fprintf(stderr, "dw_alert_send: %s\n", err);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--firing")) {
            ev.firing = 1;
        } else if (!strcmp(a, "--resolved")) {
            ev.firing = 0;
        } else if (!strcmp(a, "--repeat")) {
            ev.repeat = 1;
        } else if (!strcmp(a, "--metrics")) {
            print_metrics = 1;
        } else if (!v) {
            fprintf(stderr, "dw_alert_send: %s needs a value\n%s", a, usage);
            goto out;
        } else if (!strcmp(a, "--set")) {
            if (harness_set_kv(&h, v, err, sizeof err) < 0) {
                fprintf(stderr, "dw_alert_send: %s\n", err);
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--model")) {
            ev.model = v, i++;
        } else if (!strcmp(a, "--severity")) {
            ev.severity = v, i++;
        } else if (!strcmp(a, "--summary")) {
            ev.summary = v, i++;
        } else if (!strcmp(a, "--share")) {
            ev.drift_share = atof(v), i++;
        } else if (!strcmp(a, "--state-dir")) {
            host_set_state_dir(v), i++;
        } else if (!strcmp(a, "--report-url")) {
            ev.report_url = v, i++;
        } else if (!strcmp(a, "--starts-at")) {
            ev.starts_at = atoll(v), i++;
        } else if (!strcmp(a, "--ends-at")) {
            ev.ends_at = atoll(v), i++;
        } else if (!strcmp(a, "--feature")) {
            if (ev.n_features == MAX_FEATURES) {
                fprintf(stderr, "dw_alert_send: at most %d features\n", MAX_FEATURES);
                goto out;
            }
            char *t = feat_text[ev.n_features];
            snprintf(t, sizeof feat_text[0], "%s", v);
            char *method = strchr(t, ':');
            char *score = method ? strchr(method + 1, ':') : NULL;
            if (!score) {
                fprintf(stderr, "dw_alert_send: --feature %s: expected name:method:score[:p]\n", v);
                goto out;
            }
            *method++ = '\0';
            *score++ = '\0';
            char *p = strchr(score, ':');
            if (p)
                *p++ = '\0';
            feats[ev.n_features] = (struct dw_feature_score){t, method, atof(score), p ? atof(p) : NAN};
            ev.n_features++;
            i++;
        } else {
            fprintf(stderr, "dw_alert_send: unknown argument %s\n%s", a, usage);
            goto out;
        }
    }
    ev.features = feats;
    if (!ev.model || ev.firing < 0) {
        fputs(usage, stderr);
        goto out;
    }
    if (harness_check_required(&h, err, sizeof err) < 0) {
        fprintf(stderr, "dw_alert_send: %s\n", err);
        goto out;
    }
    if (http_client_global_init() < 0) {
        fprintf(stderr, "dw_alert_send: curl_global_init failed\n");
        goto out;
    }
    if (!(ctx = plugin_ctx_new(h.plugin->name, argv[2]))) {
        fprintf(stderr, "dw_alert_send: out of memory\n");
        http_client_global_cleanup();
        goto out;
    }
    if (h.plugin->init(host_table(), ctx, argv[2], h.config, &inst, err, sizeof err) < 0) {
        fprintf(stderr, "dw_alert_send: init: %s\n", err);
        plugin_ctx_free(ctx);
        http_client_global_cleanup();
        goto out;
    }
    err[0] = '\0';
    if (h.plugin->alert_send(inst, &ev, err, sizeof err) < 0) {
        fprintf(stderr, "dw_alert_send: %s\n", err);
        rc = 1;
    } else {
        rc = 0;
    }
    h.plugin->destroy(inst);
    plugin_ctx_free(ctx);
    if (print_metrics) {
        char *text = NULL;
        size_t len = 0;
        if (metrics_render(&text, &len) == 0)
            fwrite(text, 1, len, stdout);
        free(text);
    }
    metrics_reset();
    http_client_global_cleanup();
out:
    harness_close(&h);
    return rc;
}
