/* Tests of the alert sinks (alerts/alertmanager, alerts/webhook, alerts/slack; alerts/log's options
 * and counters): each plugin is loaded with dlopen like the agent does, runs on the core's real host
 * table and HTTP client, and sends to receiver.py on loopback, which records requests, injects
 * 429/5xx/4xx and checks HMACs. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>

#include "alert_harness.h"
#include "config/options.h"
#include "plugin/host.h"
#include "plugin/plugin_ctx.h"
#include "http/http_client.h"
#include "util/metrics.h"
#include "util/yaml_tree.h"

#ifndef DW_TEST_PYTHON3
#define DW_TEST_PYTHON3 "/usr/bin/python3"
#endif

extern char **environ;

#define SECRET "s3cr3t-for-tests"
/* 2024-05-01T12:00:00Z and 13:00:00Z (date -u -d @1714564800). */
#define T_START 1714564800
#define T_END 1714568400

static pid_t receiver_pid = -1;
static char receiver_dir[256];
static char base_url[64];

/* ---- receiver.py ---- */

static int start_receiver(void **state)
{
    (void)state;
    char port_file[512], script[1024];
    snprintf(receiver_dir, sizeof receiver_dir, "/tmp/dw-test-alerts-XXXXXX");
    if (!mkdtemp(receiver_dir))
        return -1;
    snprintf(port_file, sizeof port_file, "%s/port", receiver_dir);
    snprintf(script, sizeof script, "%s/tests/alerts/receiver.py", DW_TEST_SOURCE_DIR);
    char *argv[] = {DW_TEST_PYTHON3, script, "--port-file", port_file, "--secret", SECRET, NULL};
    if (posix_spawn(&receiver_pid, DW_TEST_PYTHON3, NULL, NULL, argv, environ) != 0) {
        receiver_pid = -1;
        return -1;
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        FILE *f = fopen(port_file, "r");
        int port = 0;
        if (f) {
            if (fscanf(f, "%d", &port) != 1)
                port = 0;
            fclose(f);
        }
        if (port > 0) {
            snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
            return 0;
        }
        usleep(50000);
    }
    fprintf(stderr, "receiver.py did not start\n");
    return -1;
}

static int group_setup(void **state)
{
    /* Short backoff (http_client.c reads these) keeps the retry tests fast; the delays' shape is
     * the HTTP client's own tests' business. */
    setenv("DW_HTTP_BACKOFF_MS", "20", 1);
    setenv("DW_HTTP_BACKOFF_MAX_MS", "100", 1);
    if (http_client_global_init() < 0)
        return -1;
    if (start_receiver(state) < 0)
        return -1;
    host_set_state_dir(receiver_dir); /* the alertmanager sink keeps its firing severities there */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char path[512];
    if (receiver_pid > 0) {
        kill(receiver_pid, SIGTERM);
        waitpid(receiver_pid, NULL, 0);
    }
    DIR *d = opendir(receiver_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", receiver_dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(receiver_dir);
    metrics_reset();
    http_client_global_cleanup();
    return 0;
}

/* Recorded requests whose path starts with prefix (a JSON array; caller decrefs). */
static json_t *recorded(const char *prefix)
{
    char url[512], err[512];
    snprintf(url, sizeof url, "%s/_requests?prefix=%s", base_url, prefix);
    struct dw_http_client_request req = {
        .size = sizeof req, .method = "GET", .url = url, .timeout_ms = 5000, .max_attempts = 1};
    struct dw_http_client_response resp = {.size = sizeof resp};
    assert_int_equal(http_client_request(&req, &resp, err, sizeof err), 0);
    assert_int_equal(resp.status, 200);
    json_error_t jerr;
    json_t *arr = json_loads(resp.body, 0, &jerr);
    free(resp.body);
    assert_non_null(arr);
    assert_true(json_is_array(arr));
    return arr;
}

/* The body of the index-th recorded request under prefix, parsed. */
static json_t *recorded_body(const char *prefix, size_t index)
{
    json_t *arr = recorded(prefix);
    assert_true(json_array_size(arr) > index);
    const char *body = json_string_value(json_object_get(json_array_get(arr, index), "body"));
    json_error_t jerr;
    json_t *doc = json_loads(body, 0, &jerr);
    if (!doc)
        fail_msg("body is not JSON (%s): %s", jerr.text, body);
    json_decref(arr);
    return doc;
}

static const char *header_of(json_t *request, const char *name)
{
    return json_string_value(json_object_get(json_object_get(request, "headers"), name));
}

/* ---- sinks ---- */

struct sink {
    struct harness h;
    struct dw_ctx *ctx;
    void *inst;
};

/* Loads plugin, applies settings ("key=value", NULL-terminated; "url=/path" is relative to the
 * receiver) and inits an instance named instance. Returns init's result; err holds its message. */
static int sink_open(struct sink *s, const char *plugin, const char *instance, const char *const *settings,
                     char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (harness_open(&s->h, harness_plugin_path(plugin), DW_KIND_ALERT, err, errlen) < 0)
        fail_msg("%s", err);
    for (const char *const *kv = settings; kv && *kv; kv++) {
        if (strncmp(*kv, "url=/", 5) == 0) {
            char url[512];
            snprintf(url, sizeof url, "%s%s", base_url, *kv + 4);
            assert_int_equal(harness_set(&s->h, "url", url, err, errlen), 0);
        } else if (harness_set_kv(&s->h, *kv, err, errlen) < 0) {
            fail_msg("%s", err);
        }
    }
    s->ctx = plugin_ctx_new(plugin, instance);
    assert_non_null(s->ctx);
    return s->h.plugin->init(host_table(), s->ctx, instance, s->h.config, &s->inst, err, errlen);
}

static void sink_close(struct sink *s)
{
    if (s->inst)
        s->h.plugin->destroy(s->inst);
    plugin_ctx_free(s->ctx);
    harness_close(&s->h);
}

static int sink_send(struct sink *s, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    err[0] = '\0';
    return s->h.plugin->alert_send(s->inst, ev, err, errlen);
}

static const struct dw_feature_score features[] = {
    {"amount", "psi", 0.31, NAN},
    {"country", "chisquare", 12.5, 0.0004},
};

static struct dw_alert_event firing_event(void)
{
    struct dw_alert_event ev = {
        .size = sizeof ev,
        .model = "fraud",
        .firing = 1,
        .severity = "critical",
        .summary = NULL,
        .drift_share = 0.5,
        .n_features = 2,
        .features = features,
        .report_url = "http://127.0.0.1:9464/v1/models/fraud/report",
        .starts_at = T_START,
        .kind = "data",
    };
    return ev;
}

static struct dw_alert_event resolved_event(void)
{
    struct dw_alert_event ev = firing_event();
    ev.firing = 0;
    ev.n_features = 0;
    ev.features = NULL;
    ev.drift_share = 0;
    ev.ends_at = T_END;
    return ev;
}

/* Value of driftwatch_alerts_sent_total{sink,result} in the rendered registry, -1 when absent. */
static double sent_total(const char *sink, const char *result)
{
    char *text = NULL, needle[256];
    size_t len = 0;
    double v = -1;
    assert_int_equal(metrics_render(&text, &len), 0);
    snprintf(needle, sizeof needle, "driftwatch_alerts_sent_total{sink=\"%s\",result=\"%s\"} ", sink, result);
    const char *hit = strstr(text, needle);
    if (hit)
        v = strtod(hit + strlen(needle), NULL);
    free(text);
    return v;
}

static time_t parse_rfc3339(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_non_null(s);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    assert_non_null(end);
    assert_int_equal(*end, '\0');
    return timegm(&tm);
}

/* ---- option tables and init ---- */

static const struct dw_option *option(const struct dw_plugin *p, const char *name)
{
    for (const struct dw_option *o = p->options; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static void test_plugins_declare_alert_abi_and_options(void **state)
{
    (void)state;
    static const char *const names[] = {"alertmanager", "webhook", "slack"};
    char err[512];
    for (size_t i = 0; i < 3; i++) {
        struct harness h;
        assert_int_equal(harness_open(&h, harness_plugin_path(names[i]), DW_KIND_ALERT, err, sizeof err), 0);
        const struct dw_plugin *p = h.plugin;
        assert_string_equal(p->name, names[i]);
        assert_non_null(p->alert_send);
        assert_non_null(p->init);
        assert_non_null(p->destroy);
        assert_true(strlen(p->description) > 10);
        const struct dw_option *url = option(p, "url");
        assert_non_null(url);
        assert_int_equal(url->required, 1);
        /* A Slack incoming-webhook URL is itself the credential. */
        assert_int_equal(url->type, strcmp(names[i], "slack") == 0 ? DW_OPT_SECRET : DW_OPT_STRING);
        assert_int_equal(p->option_size, sizeof(struct dw_option));
        /* The common options (plugins/common/sink_common.h): the same in every HTTP sink. */
        assert_int_equal(option(p, "timeout")->type, DW_OPT_DURATION);
        assert_string_equal(option(p, "timeout")->def, "10s");
        assert_string_equal(option(p, "timeout")->min, "1ms");
        assert_int_equal(option(p, "deadline")->type, DW_OPT_DURATION);
        assert_string_equal(option(p, "deadline")->def, "60s");
        assert_string_equal(option(p, "deadline")->min, "1ms");
        assert_int_equal(option(p, "max_attempts")->type, DW_OPT_INT);
        assert_string_equal(option(p, "max_attempts")->def, "5");
        assert_string_equal(option(p, "max_attempts")->min, "1");
        assert_string_equal(option(p, "max_attempts")->max, "100");
        assert_int_equal(option(p, "labels")->type, DW_OPT_LIST);
        for (const struct dw_option *o = p->options; o->name; o++) {
            assert_non_null(o->description);
            assert_true(o->offset < p->config_size);
        }
        /* Defaults parse, and a missing url is what the loader reports. */
        assert_int_equal(harness_check_required(&h, err, sizeof err), -1);
        assert_non_null(strstr(err, "url"));
        harness_close(&h);
    }
    struct harness h;
    assert_int_equal(harness_open(&h, harness_plugin_path("webhook"), DW_KIND_ALERT, err, sizeof err), 0);
    assert_int_equal(option(h.plugin, "secret")->type, DW_OPT_SECRET);
    assert_int_equal(option(h.plugin, "secret")->required, 1);
    harness_close(&h);
}

/* Parses yaml (one plugin entry's options) through the agent's config loader into cfg, as the
 * agent does before init. Returns options_apply's result; err holds its message. */
static int load_options(const struct dw_plugin *p, const char *yaml, struct plugin_config *cfg, char *err,
                        size_t errlen)
{
    struct ynode *tree = NULL;
    memset(cfg, 0, sizeof *cfg);
    if (yaml_tree_load_string(yaml, strlen(yaml), "test.yaml", &tree, err, errlen) < 0)
        fail_msg("%s", err);
    int rc = options_apply(p, tree, NULL, "test.yaml", cfg, err, errlen);
    yaml_tree_free(tree);
    return rc;
}

/* The bounds of the common options are the loader's to enforce (the sinks no longer check them):
 * its messages, and the boundary values accepted and usable by init. */
static void test_loader_enforces_the_common_option_bounds(void **state)
{
    (void)state;
    static const char *const names[] = {"alertmanager", "webhook", "slack"};
    static const struct {
        const char *yaml, *message;
    } refused[] = {
        {"max_attempts: 0\n", "option 'max_attempts' must be at least 1 (got '0')"},
        {"max_attempts: 101\n", "option 'max_attempts' must be at most 100 (got '101')"},
        {"timeout: 0s\n", "option 'timeout' must be at least 1ms"},
        {"deadline: 0s\n", "option 'deadline' must be at least 1ms"},
    };
    char err[512], yaml[512], plugin_quote[64];
    for (size_t i = 0; i < 3; i++) {
        struct harness h;
        struct plugin_config cfg;
        assert_int_equal(harness_open(&h, harness_plugin_path(names[i]), DW_KIND_ALERT, err, sizeof err), 0);
        snprintf(plugin_quote, sizeof plugin_quote, "plugin '%s'", names[i]);
        for (size_t k = 0; k < sizeof refused / sizeof *refused; k++) {
            snprintf(yaml, sizeof yaml, "url: %s/bounds\nsecret: x\n%s", base_url, refused[k].yaml);
            if (strcmp(names[i], "webhook") != 0)
                snprintf(yaml, sizeof yaml, "url: %s/bounds\n%s", base_url, refused[k].yaml);
            assert_int_equal(load_options(h.plugin, yaml, &cfg, err, sizeof err), -1);
            if (!strstr(err, refused[k].message) || !strstr(err, plugin_quote))
                fail_msg("%s: expected \"%s\", got \"%s\"", names[i], refused[k].message, err);
            plugin_config_free(&cfg);
        }
        /* The bounds themselves are allowed, and init takes them as they are. */
        snprintf(yaml, sizeof yaml, "url: %s/bounds\n%smax_attempts: 100\ntimeout: 1ms\ndeadline: 1ms\n", base_url,
                 strcmp(names[i], "webhook") == 0 ? "secret: x\n" : "");
        assert_int_equal(load_options(h.plugin, yaml, &cfg, err, sizeof err), 0);
        struct dw_ctx *ctx = plugin_ctx_new(names[i], "bounds");
        void *inst = NULL;
        assert_int_equal(h.plugin->init(host_table(), ctx, "bounds", cfg.data, &inst, err, sizeof err), 0);
        h.plugin->destroy(inst);
        plugin_ctx_free(ctx);
        plugin_config_free(&cfg);
        harness_close(&h);
    }
}

/* The log sink's level is one of three names, checked by the loader. */
static void test_loader_enforces_the_log_sink_levels(void **state)
{
    (void)state;
    char err[512];
    struct harness h;
    struct plugin_config cfg;
    assert_int_equal(harness_open(&h, harness_plugin_path("log"), DW_KIND_ALERT, err, sizeof err), 0);
    assert_int_equal(load_options(h.plugin, "level: debug\n", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "option 'level' must be one of info, warn, error (got 'debug')"));
    plugin_config_free(&cfg);
    assert_int_equal(load_options(h.plugin, "level: error\n", &cfg, err, sizeof err), 0);
    plugin_config_free(&cfg);
    harness_close(&h);
}

static void test_init_requires_url(void **state)
{
    (void)state;
    static const char *const names[] = {"alertmanager", "webhook", "slack"};
    const char *settings[] = {"secret=x", NULL};
    char err[512];
    for (size_t i = 0; i < 3; i++) {
        struct sink s;
        assert_true(sink_open(&s, names[i], "nourl", strcmp(names[i], "webhook") == 0 ? settings : NULL, err,
                              sizeof err) < 0);
        assert_null(s.inst);
        assert_non_null(strstr(err, names[i]));
        assert_non_null(strstr(err, "nourl"));
        assert_non_null(strstr(err, "url is required"));
        sink_close(&s);
    }
}

static void test_init_rejects_non_http_url(void **state)
{
    (void)state;
    const char *settings[] = {"url=ftp://example.org/x", "secret=x", NULL};
    char err[512];
    struct sink s;
    assert_true(sink_open(&s, "webhook", "wh", settings, err, sizeof err) < 0);
    assert_non_null(strstr(err, "http://"));
    sink_close(&s);
    const char *slack[] = {"url=ftp://hooks.example.org/services/T0/B0/SECRETPATH", NULL};
    assert_true(sink_open(&s, "slack", "sl", slack, err, sizeof err) < 0);
    assert_null(strstr(err, "SECRETPATH"));
    sink_close(&s);
}

static void test_init_rejects_malformed_static_labels(void **state)
{
    (void)state;
    static const char *const names[] = {"alertmanager", "webhook", "slack"};
    const char *settings[] = {"url=/x", "secret=x", "labels=team=ml", "labels=oops", NULL};
    char err[512];
    for (size_t i = 0; i < 3; i++) {
        struct sink s;
        const char *const *use = settings;
        const char *no_secret[] = {"url=/x", "labels=team=ml", "labels=oops", NULL};
        if (strcmp(names[i], "webhook") != 0)
            use = no_secret;
        assert_true(sink_open(&s, names[i], "lbl", use, err, sizeof err) < 0);
        assert_non_null(strstr(err, "labels[1]"));
        assert_non_null(strstr(err, "oops"));
        sink_close(&s);
    }
}

static void test_alertmanager_rejects_reserved_and_invalid_label_names(void **state)
{
    (void)state;
    char err[512];
    struct sink s;
    const char *reserved[] = {"url=/x", "labels=severity=page", NULL};
    assert_true(sink_open(&s, "alertmanager", "am", reserved, err, sizeof err) < 0);
    assert_non_null(strstr(err, "\"severity\" is set by the sink"));
    sink_close(&s);
    const char *invalid[] = {"url=/x", "labels=team-name=ml", NULL};
    assert_true(sink_open(&s, "alertmanager", "am", invalid, err, sizeof err) < 0);
    assert_non_null(strstr(err, "not a valid label name"));
    sink_close(&s);
    const char *dup[] = {"url=/x", "labels=team=a", "labels=team=b", NULL};
    assert_true(sink_open(&s, "alertmanager", "am", dup, err, sizeof err) < 0);
    assert_non_null(strstr(err, "twice"));
    sink_close(&s);
}

static void test_webhook_requires_secret(void **state)
{
    (void)state;
    char err[512];
    struct sink s;
    const char *settings[] = {"url=/x", NULL};
    assert_true(sink_open(&s, "webhook", "wh", settings, err, sizeof err) < 0);
    assert_non_null(strstr(err, "secret is required"));
    sink_close(&s);
}

/* ---- Alertmanager ---- */

static void test_alertmanager_firing_body_has_labels_annotations_and_starts_at(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/am1/", "labels=team=ml", "labels=env=test", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am1", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);

    json_t *reqs = recorded("/am1/");
    assert_int_equal(json_array_size(reqs), 1);
    json_t *r = json_array_get(reqs, 0);
    /* A trailing slash on url does not double up. */
    assert_string_equal(json_string_value(json_object_get(r, "path")), "/am1/api/v2/alerts");
    assert_string_equal(json_string_value(json_object_get(r, "method")), "POST");
    assert_string_equal(header_of(r, "content-type"), "application/json");
    assert_string_equal(header_of(r, "user-agent"), "driftwatch/" DW_TEST_VERSION);
    json_decref(reqs);

    json_t *body = recorded_body("/am1/", 0);
    assert_true(json_is_array(body));
    assert_int_equal(json_array_size(body), 1);
    json_t *alert = json_array_get(body, 0);
    json_t *labels = json_object_get(alert, "labels");
    assert_int_equal(json_object_size(labels), 5);
    assert_string_equal(json_string_value(json_object_get(labels, "alertname")), "DriftDetected");
    assert_string_equal(json_string_value(json_object_get(labels, "model")), "fraud");
    assert_string_equal(json_string_value(json_object_get(labels, "severity")), "critical");
    assert_string_equal(json_string_value(json_object_get(labels, "team")), "ml");
    assert_string_equal(json_string_value(json_object_get(labels, "env")), "test");
    json_t *ann = json_object_get(alert, "annotations");
    const char *summary = json_string_value(json_object_get(ann, "summary"));
    assert_non_null(strstr(summary, "fraud"));
    assert_non_null(strstr(summary, "2 features"));
    const char *desc = json_string_value(json_object_get(ann, "description"));
    assert_string_equal(desc, "amount: psi = 0.31\ncountry: chisquare = 12.5 (p = 0.0004)");
    assert_string_equal(json_string_value(json_object_get(ann, "drift_share")), "0.5");
    assert_string_equal(json_string_value(json_object_get(ann, "drifted_features")), "amount,country");
    assert_string_equal(json_string_value(json_object_get(ann, "report_url")), ev.report_url);
    assert_string_equal(json_string_value(json_object_get(alert, "startsAt")), "2024-05-01T12:00:00Z");
    /* Firing: no endsAt, so Alertmanager applies resolve_timeout and the core's repeats keep it alive. */
    assert_null(json_object_get(alert, "endsAt"));
    assert_string_equal(json_string_value(json_object_get(alert, "generatorURL")), ev.report_url);
    json_decref(body);
    assert_int_equal((int)sent_total("am1", "ok"), 1);
    sink_close(&s);
}

static void test_alertmanager_sends_repeats_and_resolves_with_ends_at(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/am2", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am2", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    ev.repeat = 1;
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    struct dw_alert_event res = resolved_event();
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);

    json_t *reqs = recorded("/am2/");
    assert_int_equal(json_array_size(reqs), 3);
    json_decref(reqs);
    json_t *first = recorded_body("/am2/", 0), *repeat = recorded_body("/am2/", 1), *resolved = recorded_body("/am2/", 2);
    /* The repeat is the same alert (same identity and start). */
    assert_true(json_equal(json_object_get(json_array_get(first, 0), "labels"),
                           json_object_get(json_array_get(repeat, 0), "labels")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(repeat, 0), "startsAt")),
                        "2024-05-01T12:00:00Z");
    /* Resolve: same labels, endsAt from the event. */
    json_t *ra = json_array_get(resolved, 0);
    assert_true(json_equal(json_object_get(json_array_get(first, 0), "labels"), json_object_get(ra, "labels")));
    assert_string_equal(json_string_value(json_object_get(ra, "startsAt")), "2024-05-01T12:00:00Z");
    assert_string_equal(json_string_value(json_object_get(ra, "endsAt")), "2024-05-01T13:00:00Z");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(ra, "annotations"), "summary")),
                           "cleared"));
    json_decref(first);
    json_decref(repeat);
    json_decref(resolved);
    assert_int_equal((int)sent_total("am2", "ok"), 3);
    sink_close(&s);
}

static void test_alertmanager_clamps_future_ends_at_to_now(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/am3", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am3", settings, err, sizeof err), 0);
    struct dw_alert_event res = resolved_event();
    time_t before = time(NULL);
    res.starts_at = before - 600;
    res.ends_at = before + 3600; /* a clock ahead of Alertmanager's would keep the alert firing */
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    time_t after = time(NULL);
    json_t *body = recorded_body("/am3/", 0);
    time_t ends = parse_rfc3339(json_string_value(json_object_get(json_array_get(body, 0), "endsAt")));
    assert_true(ends >= before && ends <= after);
    json_decref(body);

    /* Resolved without ends_at: now. */
    res.ends_at = 0;
    before = time(NULL);
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    after = time(NULL);
    body = recorded_body("/am3/", 1);
    ends = parse_rfc3339(json_string_value(json_object_get(json_array_get(body, 0), "endsAt")));
    assert_true(ends >= before && ends <= after);
    json_decref(body);
    sink_close(&s);
}

static void test_alertmanager_alertname_and_generator_url_options(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/am4", "alertname=ModelDrift", "generator_url=http://grafana.local/d/dw",
                              "bearer_token=tok123", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am4", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    ev.summary = "custom summary";
    ev.report_url = NULL;
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *reqs = recorded("/am4/");
    assert_string_equal(header_of(json_array_get(reqs, 0), "authorization"), "Bearer tok123");
    json_decref(reqs);
    json_t *body = recorded_body("/am4/", 0);
    json_t *alert = json_array_get(body, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(alert, "labels"), "alertname")),
                        "ModelDrift");
    assert_string_equal(json_string_value(json_object_get(alert, "generatorURL")), "http://grafana.local/d/dw");
    json_t *ann = json_object_get(alert, "annotations");
    assert_string_equal(json_string_value(json_object_get(ann, "summary")), "custom summary");
    assert_null(json_object_get(ann, "report_url"));
    json_decref(body);
    /* an alert fired by realized performance is PerformanceDegraded, its resolve too */
    ev.kind = "performance";
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    body = recorded_body("/am4/", 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(body, 0), "labels"),
                                                          "alertname")),
                        "PerformanceDegraded");
    json_decref(body);
    sink_close(&s);
}


/* The core sends severity "critical" while the dataset drifts and may send "warning" with the
 * resolve; severity is part of the alert's identity, so the resolve must name the one that fired. */
static void test_alertmanager_resolve_uses_the_severity_that_fired(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/am-sev", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am-sev", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event(); /* critical */
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    struct dw_alert_event res = resolved_event();
    res.severity = "warning";
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    json_t *body = recorded_body("/am-sev/", 1);
    assert_int_equal(json_array_size(body), 1);
    json_t *a = json_array_get(body, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "labels"), "severity")), "critical");
    assert_non_null(json_object_get(a, "endsAt"));
    json_decref(body);

    /* Once resolved, the memory is gone: the next episode uses the event's severity. */
    ev.severity = "warning";
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    body = recorded_body("/am-sev/", 2);
    assert_int_equal(json_array_size(body), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(body, 0), "labels"),
                                                          "severity")),
                        "warning");
    json_decref(body);
    sink_close(&s);
}

static void test_alertmanager_escalation_resolves_the_old_alert(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/am-esc", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am-esc", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    ev.severity = "warning";
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    ev.severity = "critical";
    ev.repeat = 1;
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *body = recorded_body("/am-esc/", 1);
    assert_int_equal(json_array_size(body), 2);
    json_t *old = json_array_get(body, 0), *cur = json_array_get(body, 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(old, "labels"), "severity")), "warning");
    assert_non_null(json_object_get(old, "endsAt"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(cur, "labels"), "severity")), "critical");
    assert_null(json_object_get(cur, "endsAt"));
    json_decref(body);
    /* Further repeats at the same severity are one alert again. */
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    body = recorded_body("/am-esc/", 2);
    assert_int_equal(json_array_size(body), 1);
    json_decref(body);
    sink_close(&s);
}

static void test_alertmanager_remembers_firing_severity_across_restart(void **state)
{
    (void)state;
    char err[1024], path[512];
    struct sink s;
    const char *settings[] = {"url=/am-restart", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am/restart", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event(); /* critical */
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    sink_close(&s);

    /* The instance name is reduced to a safe file name. */
    snprintf(path, sizeof path, "%s/alertmanager-am_restart.json", receiver_dir);
    json_error_t jerr;
    json_t *saved = json_load_file(path, 0, &jerr);
    assert_non_null(saved);
    assert_string_equal(json_string_value(json_object_get(saved, "fraud")), "critical");
    json_decref(saved);

    assert_int_equal(sink_open(&s, "alertmanager", "am/restart", settings, err, sizeof err), 0);
    struct dw_alert_event res = resolved_event();
    res.severity = "warning";
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    json_t *body = recorded_body("/am-restart/", 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(body, 0), "labels"),
                                                          "severity")),
                        "critical");
    json_decref(body);
    saved = json_load_file(path, 0, &jerr);
    assert_non_null(saved);
    assert_int_equal(json_object_size(saved), 0);
    json_decref(saved);
    sink_close(&s);
}

static void test_alertmanager_failed_send_does_not_record_firing(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/status/503/1/am-keep", "max_attempts=1", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am-keep", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event(); /* critical; answered 503 and not retried (1 attempt) */
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), -1);
    assert_non_null(strstr(err, "HTTP 503"));
    /* Nothing fired, so the resolve uses the event's own severity. */
    struct dw_alert_event res = resolved_event();
    res.severity = "warning";
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    json_t *body = recorded_body("/status/503/1/am-keep/", 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(body, 0), "labels"),
                                                          "severity")),
                        "warning");
    json_decref(body);
    assert_int_equal((int)sent_total("am-keep", "error"), 1);
    assert_int_equal((int)sent_total("am-keep", "ok"), 1);
    sink_close(&s);
}

/* ---- webhook ---- */

static void test_webhook_body_shape(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/wh1/hook?token=abc", "secret=" SECRET, "labels=team=ml", NULL};
    assert_int_equal(sink_open(&s, "webhook", "wh1", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    time_t before = time(NULL);
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    time_t after = time(NULL);

    json_t *reqs = recorded("/wh1/");
    json_t *r = json_array_get(reqs, 0);
    assert_string_equal(json_string_value(json_object_get(r, "query")), "token=abc");
    assert_string_equal(header_of(r, "user-agent"), "driftwatch/" DW_TEST_VERSION);
    assert_string_equal(header_of(r, "content-type"), "application/json");
    assert_string_equal(header_of(r, "x-driftwatch-event"), "drift.firing");
    json_decref(reqs);

    json_t *b = recorded_body("/wh1/", 0);
    assert_int_equal(json_integer_value(json_object_get(b, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(b, "event")), "drift.firing");
    assert_string_equal(json_string_value(json_object_get(b, "model")), "fraud");
    assert_string_equal(json_string_value(json_object_get(b, "severity")), "critical");
    assert_non_null(strstr(json_string_value(json_object_get(b, "summary")), "fraud"));
    assert_true(json_real_value(json_object_get(b, "drift_share")) == 0.5);
    json_t *fs = json_object_get(b, "features");
    assert_int_equal(json_array_size(fs), 2);
    json_t *f0 = json_array_get(fs, 0), *f1 = json_array_get(fs, 1);
    assert_string_equal(json_string_value(json_object_get(f0, "name")), "amount");
    assert_string_equal(json_string_value(json_object_get(f0, "method")), "psi");
    assert_true(json_real_value(json_object_get(f0, "score")) == 0.31);
    assert_true(json_is_null(json_object_get(f0, "p_value"))); /* NAN: the method has none */
    assert_string_equal(json_string_value(json_object_get(f1, "name")), "country");
    assert_true(json_real_value(json_object_get(f1, "p_value")) == 0.0004);
    assert_string_equal(json_string_value(json_object_get(b, "report_url")), ev.report_url);
    assert_string_equal(json_string_value(json_object_get(b, "starts_at")), "2024-05-01T12:00:00Z");
    assert_true(json_is_null(json_object_get(b, "ends_at")));
    time_t sent = parse_rfc3339(json_string_value(json_object_get(b, "sent_at")));
    assert_true(sent >= before && sent <= after);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "labels"), "team")), "ml");
    const char *id = json_string_value(json_object_get(b, "id"));
    assert_int_equal(strlen(id), 64);

    /* Resolved: its own id, ends_at set, no features. */
    struct dw_alert_event res = resolved_event();
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    json_t *rb = recorded_body("/wh1/", 1);
    assert_string_equal(json_string_value(json_object_get(rb, "event")), "drift.resolved");
    assert_string_equal(json_string_value(json_object_get(rb, "ends_at")), "2024-05-01T13:00:00Z");
    assert_int_equal(json_array_size(json_object_get(rb, "features")), 0);
    assert_string_not_equal(json_string_value(json_object_get(rb, "id")), id);

    /* The same transition sent again (e.g. after a restart) keeps its id. */
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *again = recorded_body("/wh1/", 2);
    assert_string_equal(json_string_value(json_object_get(again, "id")), id);
    json_decref(again);
    json_decref(rb);
    json_decref(b);
    sink_close(&s);
}

static void test_webhook_signature_verifies_with_python_hmac(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/wh2", "secret=" SECRET, NULL};
    assert_int_equal(sink_open(&s, "webhook", "wh2", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    time_t before = time(NULL);
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    time_t after = time(NULL);
    json_t *reqs = recorded("/wh2");
    assert_int_equal(json_array_size(reqs), 1);
    json_t *r = json_array_get(reqs, 0);
    /* receiver.py: hmac.new(secret, ts + b"." + body, sha256).hexdigest() == header */
    assert_true(json_is_true(json_object_get(r, "signature_valid")));
    const char *sig = header_of(r, "x-driftwatch-signature-256");
    assert_int_equal(strncmp(sig, "sha256=", 7), 0);
    assert_int_equal(strlen(sig), 7 + 64);
    long long ts = atoll(header_of(r, "x-driftwatch-timestamp"));
    assert_true(ts >= before && ts <= after);
    json_decref(reqs);
    sink_close(&s);
}

static void test_webhook_signature_fails_with_other_secret(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/wh3", "secret=not-the-receivers", NULL};
    assert_int_equal(sink_open(&s, "webhook", "wh3", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *reqs = recorded("/wh3");
    /* The receiver's check is real: a different key does not verify. */
    assert_true(json_is_false(json_object_get(json_array_get(reqs, 0), "signature_valid")));
    json_decref(reqs);
    sink_close(&s);
}

static void test_webhook_and_slack_ignore_repeats(void **state)
{
    (void)state;
    char err[1024];
    const char *wh[] = {"url=/rep-wh", "secret=" SECRET, NULL};
    const char *sl[] = {"url=/rep-sl", NULL};
    struct sink a, b;
    assert_int_equal(sink_open(&a, "webhook", "rep-wh", wh, err, sizeof err), 0);
    assert_int_equal(sink_open(&b, "slack", "rep-sl", sl, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    ev.repeat = 1;
    assert_int_equal(sink_send(&a, &ev, err, sizeof err), 0);
    assert_int_equal(sink_send(&b, &ev, err, sizeof err), 0);
    json_t *reqs = recorded("/rep-");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    assert_int_equal((int)sent_total("rep-wh", "ok"), 0);
    assert_int_equal((int)sent_total("rep-sl", "ok"), 0);
    sink_close(&a);
    sink_close(&b);
}

/* ---- Slack ---- */

static json_t *block_of_type(json_t *blocks, const char *type, size_t nth)
{
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        json_t *b = json_array_get(blocks, i);
        if (strcmp(json_string_value(json_object_get(b, "type")), type) == 0 && nth-- == 0)
            return b;
    }
    return NULL;
}

static void test_slack_firing_message_blocks_and_escaping(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/sl1/services/T0/B0/XYZ", "labels=team=ml", "mention=<!here>", NULL};
    assert_int_equal(sink_open(&s, "slack", "sl1", settings, err, sizeof err), 0);
    const struct dw_feature_score hostile[] = {
        {"a<b>&c`d", "psi", 0.25, NAN},
        {"country", "chisquare", 12.5, 0.0004},
    };
    struct dw_alert_event ev = firing_event();
    ev.features = hostile;
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);

    json_t *reqs = recorded("/sl1/");
    assert_string_equal(header_of(json_array_get(reqs, 0), "user-agent"), "driftwatch/" DW_TEST_VERSION);
    json_decref(reqs);
    json_t *b = recorded_body("/sl1/", 0);
    const char *text = json_string_value(json_object_get(b, "text"));
    assert_int_equal(strncmp(text, "<!here> [FIRING] ", 17), 0);
    assert_non_null(strstr(text, "fraud"));
    json_t *blocks = json_object_get(b, "blocks");
    json_t *header = block_of_type(blocks, "header", 0);
    assert_non_null(header);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(header, "text"), "text")),
                           "Drift detected: fraud"));
    json_t *section = block_of_type(blocks, "section", 0);
    json_t *fields = json_object_get(section, "fields");
    assert_int_equal(json_array_size(fields), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 0), "text")), "*Severity*\ncritical");
    assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 1), "text")), "*Drift share*\n50%");
    const char *list = json_string_value(json_object_get(json_object_get(block_of_type(blocks, "section", 1), "text"),
                                                         "text"));
    /* mrkdwn control characters escaped, a backtick cannot end the code span. */
    assert_non_null(strstr(list, "`a&lt;b&gt;&amp;c'd` psi = 0.25"));
    assert_non_null(strstr(list, "`country` chisquare = 12.5 (p = 0.0004)"));
    json_t *actions = block_of_type(blocks, "actions", 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(actions, "elements"), 0),
                                                          "url")),
                        ev.report_url);
    json_t *context = block_of_type(blocks, "context", 0);
    const char *ctx = json_string_value(json_object_get(json_array_get(json_object_get(context, "elements"), 0), "text"));
    assert_non_null(strstr(ctx, "driftwatch " DW_TEST_VERSION));
    assert_non_null(strstr(ctx, "team=ml"));
    json_decref(b);
    sink_close(&s);
}

static void test_slack_lists_at_most_a_section_of_features(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/sl-many", NULL};
    assert_int_equal(sink_open(&s, "slack", "sl-many", settings, err, sizeof err), 0);
    enum { N = 400 };
    static struct dw_feature_score many[N];
    static char names[N][32];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "feature_number_%zu", i);
        many[i] = (struct dw_feature_score){names[i], "wasserstein_normed", 0.123456, NAN};
    }
    struct dw_alert_event ev = firing_event();
    ev.features = many;
    ev.n_features = N;
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *b = recorded_body("/sl-many", 0);
    const char *list = json_string_value(
        json_object_get(json_object_get(block_of_type(json_object_get(b, "blocks"), "section", 1), "text"), "text"));
    assert_true(strlen(list) <= 3000); /* Block Kit's section text limit */
    assert_non_null(strstr(list, "more"));
    json_decref(b);
    sink_close(&s);
}

static void test_slack_resolved_message(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/sl2", "mention=<!here>", NULL};
    assert_int_equal(sink_open(&s, "slack", "sl2", settings, err, sizeof err), 0);
    struct dw_alert_event res = resolved_event();
    assert_int_equal(sink_send(&s, &res, err, sizeof err), 0);
    json_t *b = recorded_body("/sl2", 0);
    const char *text = json_string_value(json_object_get(b, "text"));
    /* No mention on resolve: nobody needs paging for good news. */
    assert_string_equal(text, "[RESOLVED] Data drift on model fraud has cleared");
    json_t *blocks = json_object_get(b, "blocks");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(block_of_type(blocks, "header", 0), "text"),
                                                             "text")),
                           "Drift resolved: fraud"));
    const char *sec = json_string_value(json_object_get(json_object_get(block_of_type(blocks, "section", 0), "text"),
                                                        "text"));
    assert_non_null(strstr(sec, "has cleared"));
    assert_non_null(strstr(sec, "<!date^1714564800^"));
    assert_non_null(strstr(sec, "<!date^1714568400^"));
    assert_null(block_of_type(blocks, "section", 1)); /* no feature list */
    json_decref(b);
    sink_close(&s);
}

/* ---- delivery: retries, errors, counters ---- */

static void test_retries_on_500_then_succeeds(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/status/500/2/wh-retry", "secret=" SECRET, "max_attempts=5", NULL};
    assert_int_equal(sink_open(&s, "webhook", "wh-retry", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *reqs = recorded("/status/500/2/wh-retry");
    assert_int_equal(json_array_size(reqs), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(reqs, 0), "status")), 500);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(reqs, 2), "status")), 200);
    /* Every attempt carries the same signed body. */
    for (size_t i = 0; i < 3; i++)
        assert_true(json_is_true(json_object_get(json_array_get(reqs, i), "signature_valid")));
    json_decref(reqs);
    assert_int_equal((int)sent_total("wh-retry", "ok"), 1);
    assert_int_equal((int)sent_total("wh-retry", "error"), 0);
    sink_close(&s);
}

static void test_retries_on_429_then_succeeds(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/status/429/1/sl-429", NULL};
    assert_int_equal(sink_open(&s, "slack", "sl-429", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), 0);
    json_t *reqs = recorded("/status/429/1/sl-429");
    assert_int_equal(json_array_size(reqs), 2);
    json_decref(reqs);
    assert_int_equal((int)sent_total("sl-429", "ok"), 1);
    sink_close(&s);
}

static void test_no_retry_on_400_and_counts_dropped(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/status/400/always/am-400", "max_attempts=5", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am-400", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_true(sink_send(&s, &ev, err, sizeof err) < 0);
    json_t *reqs = recorded("/status/400/always/am-400");
    assert_int_equal(json_array_size(reqs), 1);
    json_decref(reqs);
    /* The message names the sink, the URL, the status and what the receiver said. */
    assert_non_null(strstr(err, "alertmanager am-400"));
    assert_non_null(strstr(err, "/status/400/always/am-400/api/v2/alerts"));
    assert_non_null(strstr(err, "HTTP 400"));
    assert_non_null(strstr(err, "invalid_payload"));
    assert_non_null(strstr(err, "fraud"));
    assert_int_equal((int)sent_total("am-400", "dropped"), 1);
    assert_int_equal((int)sent_total("am-400", "error"), 0);
    assert_int_equal((int)sent_total("am-400", "ok"), 0);
    sink_close(&s);
}

static void test_gives_up_after_max_attempts_on_500_and_counts_error(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/status/500/always/wh-500", "secret=" SECRET, "max_attempts=3", NULL};
    assert_int_equal(sink_open(&s, "webhook", "wh-500", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), -1);
    json_t *reqs = recorded("/status/500/always/wh-500");
    assert_int_equal(json_array_size(reqs), 3);
    json_decref(reqs);
    assert_non_null(strstr(err, "webhook wh-500"));
    assert_non_null(strstr(err, "HTTP 500 after 3 attempts"));
    assert_non_null(strstr(err, "injected server error"));
    assert_int_equal((int)sent_total("wh-500", "error"), 1);
    assert_int_equal((int)sent_total("wh-500", "ok"), 0);
    sink_close(&s);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* nothing listens there now */
    return ntohs(a.sin_port);
}

static void test_network_error_counts_error_and_names_url(void **state)
{
    (void)state;
    char err[1024], url[128], setting[160];
    struct sink s;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/down", closed_port());
    snprintf(setting, sizeof setting, "url=%s", url);
    const char *settings[] = {setting, "max_attempts=2", "timeout=2s", NULL};
    assert_int_equal(sink_open(&s, "alertmanager", "am-down", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), -1);
    assert_non_null(strstr(err, "alertmanager am-down"));
    assert_non_null(strstr(err, url));
    assert_int_equal((int)sent_total("am-down", "error"), 1);
    sink_close(&s);
}

static void test_slack_errors_never_show_the_webhook_path(void **state)
{
    (void)state;
    char err[1024], url[160], setting[200];
    struct sink s;
    const char *settings[] = {"url=/status/404/always/services/T0/B0/SECRETPATH", NULL};
    assert_int_equal(sink_open(&s, "slack", "sl-404", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), -2);
    assert_non_null(strstr(err, "slack sl-404"));
    assert_non_null(strstr(err, "HTTP 404"));
    assert_non_null(strstr(err, "no_service"));
    assert_non_null(strstr(err, base_url));
    assert_null(strstr(err, "SECRETPATH"));
    assert_int_equal((int)sent_total("sl-404", "dropped"), 1);
    sink_close(&s);

    /* Network errors: the host's message quotes the path; the sink scrubs it. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/services/T0/B0/SECRETPATH", closed_port());
    snprintf(setting, sizeof setting, "url=%s", url);
    const char *down[] = {setting, "max_attempts=1", NULL};
    assert_int_equal(sink_open(&s, "slack", "sl-down", down, err, sizeof err), 0);
    assert_int_equal(sink_send(&s, &ev, err, sizeof err), -1);
    assert_null(strstr(err, "SECRETPATH"));
    assert_non_null(strstr(err, "slack sl-down"));
    sink_close(&s);
}

static void test_counters_start_at_zero_for_each_result(void **state)
{
    (void)state;
    static const char *const names[] = {"alertmanager", "webhook", "slack", "log"};
    static const char *const instances[] = {"am-zero", "wh-zero", "sl-zero", "log-zero"};
    const char *settings[] = {"url=/zero", "secret=x", NULL};
    const char *no_secret[] = {"url=/zero", NULL};
    char err[1024];
    for (size_t i = 0; i < 4; i++) {
        struct sink s;
        const char *const *use = i == 1 ? settings : i == 3 ? NULL : no_secret;
        assert_int_equal(sink_open(&s, names[i], instances[i], use, err, sizeof err), 0);
        /* rate() and "increase(...{result=error}) > 0" alerts need the series before the first failure. */
        assert_int_equal((int)sent_total(instances[i], "ok"), 0);
        assert_int_equal((int)sent_total(instances[i], "error"), 0);
        assert_int_equal((int)sent_total(instances[i], "dropped"), 0);
        sink_close(&s);
    }
}

static void test_event_without_model_is_dropped(void **state)
{
    (void)state;
    char err[1024];
    struct sink s;
    const char *settings[] = {"url=/nomodel", "secret=x", NULL};
    assert_int_equal(sink_open(&s, "webhook", "wh-nomodel", settings, err, sizeof err), 0);
    struct dw_alert_event ev = firing_event();
    ev.model = NULL;
    assert_true(sink_send(&s, &ev, err, sizeof err) < 0);
    assert_non_null(strstr(err, "without a model"));
    assert_int_equal((int)sent_total("wh-nomodel", "dropped"), 1);
    json_t *reqs = recorded("/nomodel");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    sink_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugins_declare_alert_abi_and_options),
        cmocka_unit_test(test_loader_enforces_the_common_option_bounds),
        cmocka_unit_test(test_loader_enforces_the_log_sink_levels),
        cmocka_unit_test(test_init_requires_url),
        cmocka_unit_test(test_init_rejects_non_http_url),
        cmocka_unit_test(test_init_rejects_malformed_static_labels),
        cmocka_unit_test(test_alertmanager_rejects_reserved_and_invalid_label_names),
        cmocka_unit_test(test_webhook_requires_secret),
        cmocka_unit_test(test_alertmanager_firing_body_has_labels_annotations_and_starts_at),
        cmocka_unit_test(test_alertmanager_sends_repeats_and_resolves_with_ends_at),
        cmocka_unit_test(test_alertmanager_clamps_future_ends_at_to_now),
        cmocka_unit_test(test_alertmanager_alertname_and_generator_url_options),
        cmocka_unit_test(test_alertmanager_resolve_uses_the_severity_that_fired),
        cmocka_unit_test(test_alertmanager_escalation_resolves_the_old_alert),
        cmocka_unit_test(test_alertmanager_remembers_firing_severity_across_restart),
        cmocka_unit_test(test_alertmanager_failed_send_does_not_record_firing),
        cmocka_unit_test(test_webhook_body_shape),
        cmocka_unit_test(test_webhook_signature_verifies_with_python_hmac),
        cmocka_unit_test(test_webhook_signature_fails_with_other_secret),
        cmocka_unit_test(test_webhook_and_slack_ignore_repeats),
        cmocka_unit_test(test_slack_firing_message_blocks_and_escaping),
        cmocka_unit_test(test_slack_lists_at_most_a_section_of_features),
        cmocka_unit_test(test_slack_resolved_message),
        cmocka_unit_test(test_retries_on_500_then_succeeds),
        cmocka_unit_test(test_retries_on_429_then_succeeds),
        cmocka_unit_test(test_no_retry_on_400_and_counts_dropped),
        cmocka_unit_test(test_gives_up_after_max_attempts_on_500_and_counts_error),
        cmocka_unit_test(test_network_error_counts_error_and_names_url),
        cmocka_unit_test(test_slack_errors_never_show_the_webhook_path),
        cmocka_unit_test(test_counters_start_at_zero_for_each_result),
        cmocka_unit_test(test_event_without_model_is_dropped),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
