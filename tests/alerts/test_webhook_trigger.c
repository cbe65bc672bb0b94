/* Tests of the webhook plugin as a retrain trigger (alerts/webhook/webhook.c `trigger`): the plugin
 * is loaded with dlopen like the agent does, runs on the core's host table and HTTP client, and
 * POSTs to receiver.py on loopback, which records requests, injects 4xx/5xx and checks HMACs with
 * Python's hmac module. A canned responder thread stands in where the answer's JSON body matters. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>

#include "alert_harness.h"
#include "plugin/host.h"
#include "plugin/plugin_ctx.h"
#include "http/http_client.h"
#include "util/metrics.h"
#include "plugin/plugin_loader.h"

#ifndef DW_TEST_PYTHON3
#define DW_TEST_PYTHON3 "/usr/bin/python3"
#endif

extern char **environ;

#define SECRET "s3cr3t-for-trigger-tests"
/* The policy's key shape (core/runtime/policy.c, docs/operations.md): model, the data version's first 12 hex
 * digits, and the episode's cooldown bucket: floor(1714564800 s (2024-05-01T12:00:00Z) / 86400 s) =
 * 19844 (19844 * 86400 = 1714521600, 43200 s short of the episode start). */
#define KEY "fraud-3f2a9c01b7de-19844"
#define EPISODE_START 1714564800
#define COOLDOWN_MS (86400 * 1000LL)

static pid_t receiver_pid = -1;
static char receiver_dir[256];
static char base_url[64];

/* ---- receiver.py ---- */

static int start_receiver(void)
{
    char port_file[512], script[1024];
    snprintf(receiver_dir, sizeof receiver_dir, "/tmp/dw-test-trigger-XXXXXX");
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
    (void)state;
    /* Short backoff (http_client.c reads these) keeps the retry tests fast. */
    setenv("DW_HTTP_BACKOFF_MS", "20", 1);
    setenv("DW_HTTP_BACKOFF_MAX_MS", "100", 1);
    if (http_client_global_init() < 0)
        return -1;
    if (start_receiver() < 0)
        return -1;
    host_set_state_dir(receiver_dir);
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
    json_t *arr = json_loads(resp.body, 0, NULL);
    free(resp.body);
    assert_non_null(arr);
    assert_true(json_is_array(arr));
    return arr;
}

static json_t *body_of(json_t *request)
{
    const char *body = json_string_value(json_object_get(request, "body"));
    json_error_t jerr;
    json_t *doc = json_loads(body, 0, &jerr);
    if (!doc)
        fail_msg("body is not JSON (%s): %s", jerr.text, body);
    return doc;
}

static const char *header_of(json_t *request, const char *name)
{
    return json_string_value(json_object_get(json_object_get(request, "headers"), name));
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

/* ---- a host that records the plugin's log lines and counts HTTP calls ---- */

static struct dw_host test_host;
static char log_lines[16384];
static size_t log_used;
static struct dw_ctx *log_ctx; /* the context of the last line: whom the host would attribute it to */
static int http_calls;

static void capture_log(struct dw_ctx *ctx, enum dw_log_level level, const char *fmt, ...)
{
    va_list ap;
    log_ctx = ctx;
    if (log_used + 1 >= sizeof log_lines)
        return;
    int n = snprintf(log_lines + log_used, sizeof log_lines - log_used, "level=%d msg=", (int)level);
    if (n > 0)
        log_used += (size_t)n < sizeof log_lines - log_used ? (size_t)n : sizeof log_lines - log_used - 1;
    va_start(ap, fmt);
    n = vsnprintf(log_lines + log_used, sizeof log_lines - log_used, fmt, ap);
    va_end(ap);
    if (n > 0)
        log_used += (size_t)n < sizeof log_lines - log_used ? (size_t)n : sizeof log_lines - log_used - 1;
    if (log_used + 1 < sizeof log_lines)
        log_lines[log_used++] = '\n';
    log_lines[log_used] = '\0';
}

static int counting_http_request(struct dw_ctx *ctx, const struct dw_http_client_request *req,
                                 struct dw_http_client_response *resp, char *err, size_t errlen)
{
    http_calls++;
    return host_table()->http_request(ctx, req, resp, err, errlen);
}

/* The core's host table with log and http_request observed. */
static const struct dw_host *observed_host(void)
{
    test_host = *host_table();
    test_host.log = capture_log;
    test_host.http_request = counting_http_request;
    log_used = 0;
    log_lines[0] = '\0';
    log_ctx = NULL;
    http_calls = 0;
    return &test_host;
}

/* ---- the plugin ---- */

struct trig {
    struct harness h;
    struct dw_ctx *ctx;
    void *inst;
};

/* Loads webhook.so, applies settings ("key=value", NULL-terminated; "url=/path" is relative to the
 * receiver) and inits an instance on host. Returns init's result. */
static int trig_open(struct trig *t, const struct dw_host *host, const char *instance, const char *const *settings,
                     char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    /* The plugin's own kind is alert; the agent uses it as a trainer because it implements trigger. */
    if (harness_open(&t->h, harness_plugin_path("webhook"), DW_KIND_ALERT, err, errlen) < 0)
        fail_msg("%s", err);
    for (const char *const *kv = settings; kv && *kv; kv++) {
        if (strncmp(*kv, "url=/", 5) == 0) {
            char url[512];
            snprintf(url, sizeof url, "%s%s", base_url, *kv + 4);
            assert_int_equal(harness_set(&t->h, "url", url, err, errlen), 0);
        } else if (harness_set_kv(&t->h, *kv, err, errlen) < 0) {
            fail_msg("%s", err);
        }
    }
    t->ctx = plugin_ctx_new("webhook", instance);
    assert_non_null(t->ctx);
    return t->h.plugin->init(host ? host : host_table(), t->ctx, instance, t->h.config, &t->inst, err, errlen);
}

static void trig_close(struct trig *t)
{
    if (t->inst)
        t->h.plugin->destroy(t->inst);
    plugin_ctx_free(t->ctx);
    harness_close(&t->h);
}

static const struct dw_feature_score features[] = {
    {"amount", "psi", 0.31, NAN},
    {"country", "chisquare", 12.5, 0.0004},
};

static struct dw_trigger_event trigger_event(void)
{
    struct dw_trigger_event ev = {
        .size = sizeof ev,
        .model = "fraud",
        .key = KEY,
        .data_version = "3f2a9c01b7de5511",
        .window_end = "2024-05-01T12:00:00Z",
        .n_features = 2,
        .features = features,
        .dry_run = 0,
        .cooldown_ms = COOLDOWN_MS,
        .episode_start = EPISODE_START,
    };
    return ev;
}

static int fire(struct trig *t, const struct dw_trigger_event *ev, struct dw_trigger_result *res, char *err,
                size_t errlen)
{
    *res = (struct dw_trigger_result){.size = sizeof *res}; /* as the host hands it over */
    err[0] = '\0';
    return t->h.plugin->trigger(t->inst, ev, res, err, errlen);
}

/* ---- a canned responder: answers every request with one status and body ---- */

struct responder {
    int fd;
    int port;
    int status;
    const char *body;
    int served;
    char last_request[8192];
    pthread_t thread;
};

/* Reads one request (headers, then Content-Length bytes of body) and answers it; stops when the
 * listening socket is shut down. */
static void *responder_main(void *arg)
{
    struct responder *r = arg;
    for (;;) {
        int c = accept(r->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        size_t used = 0;
        long want = -1;
        while (used + 1 < sizeof r->last_request) {
            ssize_t n = read(c, r->last_request + used, sizeof r->last_request - 1 - used);
            if (n <= 0)
                break;
            used += (size_t)n;
            r->last_request[used] = '\0';
            char *end = strstr(r->last_request, "\r\n\r\n");
            if (!end)
                continue;
            if (want < 0) {
                const char *cl = strcasestr(r->last_request, "\r\ncontent-length:");
                want = cl ? strtol(cl + 17, NULL, 10) : 0;
            }
            if ((long)(used - (size_t)(end + 4 - r->last_request)) >= want)
                break;
        }
        char head[256];
        size_t blen = strlen(r->body);
        int hn = snprintf(head, sizeof head,
                          "HTTP/1.1 %d Canned\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n",
                          r->status, blen);
        if (write(c, head, (size_t)hn) < 0 || write(c, r->body, blen) < 0)
            fprintf(stderr, "responder: write failed\n");
        r->served++;
        close(c);
    }
}

static void responder_start(struct responder *r, int status, const char *body)
{
    memset(r, 0, sizeof *r);
    r->status = status;
    r->body = body;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->fd >= 0);
    assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(r->fd, 8), 0);
    assert_int_equal(getsockname(r->fd, (struct sockaddr *)&a, &len), 0);
    r->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&r->thread, NULL, responder_main, r), 0);
}

static void responder_stop(struct responder *r)
{
    shutdown(r->fd, SHUT_RDWR); /* accept() returns an error: the thread ends */
    pthread_join(r->thread, NULL);
    close(r->fd);
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

/* ---- tests ---- */

static void test_webhook_serves_as_trainer_through_the_loader(void **state)
{
    (void)state;
    char err[512];
    struct loaded_plugin *lp = NULL;
    assert_int_equal(loader_open(DW_TEST_PLUGIN_DIR, "webhook", &lp, err, sizeof err), 0);
    assert_int_equal(lp->def->kind, DW_KIND_ALERT);
    assert_non_null(lp->def->alert_send);
    assert_non_null(lp->def->trigger);
    assert_true(loader_serves_kind(lp->def, DW_KIND_ALERT));
    assert_true(loader_serves_kind(lp->def, DW_KIND_TRAINER));
    assert_false(loader_serves_kind(lp->def, DW_KIND_PROBE));
    assert_non_null(strstr(lp->def->description, "retrain"));
    loader_close(lp);
}

static void test_trigger_body_and_headers(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/trg1/dispatch?token=abc", "secret=" SECRET, "labels=team=ml",
                              "labels=env=test", NULL};
    assert_int_equal(trig_open(&t, NULL, "retrain-hook", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    time_t before = time(NULL);
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    time_t after = time(NULL);
    /* receiver.py answers 200 "ok" (not JSON): the job id is the key. */
    assert_string_equal(res.state, "TRIGGERED");
    assert_string_equal(res.job_id, KEY);

    json_t *reqs = recorded("/trg1/");
    assert_int_equal(json_array_size(reqs), 1);
    json_t *r = json_array_get(reqs, 0);
    assert_string_equal(json_string_value(json_object_get(r, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(r, "path")), "/trg1/dispatch");
    assert_string_equal(json_string_value(json_object_get(r, "query")), "token=abc");
    assert_string_equal(header_of(r, "content-type"), "application/json");
    assert_string_equal(header_of(r, "user-agent"), "driftwatch/" DW_TEST_VERSION);
    assert_string_equal(header_of(r, "x-driftwatch-event"), "retrain.requested");
    assert_string_equal(header_of(r, "idempotency-key"), KEY);
    long long ts = atoll(header_of(r, "x-driftwatch-timestamp"));
    assert_true(ts >= before && ts <= after);

    json_t *b = body_of(r);
    /* Exactly the documented fields (alerts/webhook/README.md), no more. */
    static const char *const fields[] = {"version", "event", "id", "model", "key", "data_version", "window_end",
                                         "episode_start", "cooldown_seconds", "features", "dry_run", "sent_at",
                                         "labels"};
    assert_int_equal(json_object_size(b), sizeof fields / sizeof *fields);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!json_object_get(b, fields[i]))
            fail_msg("body lacks \"%s\"", fields[i]);
    assert_int_equal(json_integer_value(json_object_get(b, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(b, "event")), "retrain.requested");
    assert_string_equal(json_string_value(json_object_get(b, "id")), KEY);
    assert_string_equal(json_string_value(json_object_get(b, "key")), KEY);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "fraud");
    assert_string_equal(json_string_value(json_object_get(b, "data_version")), "3f2a9c01b7de5511");
    assert_string_equal(json_string_value(json_object_get(b, "window_end")), "2024-05-01T12:00:00Z");
    assert_string_equal(json_string_value(json_object_get(b, "episode_start")), "2024-05-01T12:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(b, "cooldown_seconds")), 86400);
    assert_true(json_is_false(json_object_get(b, "dry_run")));
    time_t sent = parse_rfc3339(json_string_value(json_object_get(b, "sent_at")));
    assert_true(sent >= before && sent <= after);
    assert_int_equal((long long)sent, ts); /* the signed timestamp is the body's sent_at */
    json_t *fs = json_object_get(b, "features");
    assert_int_equal(json_array_size(fs), 2);
    json_t *f0 = json_array_get(fs, 0), *f1 = json_array_get(fs, 1);
    assert_int_equal(json_object_size(f0), 4);
    assert_string_equal(json_string_value(json_object_get(f0, "name")), "amount");
    assert_string_equal(json_string_value(json_object_get(f0, "method")), "psi");
    assert_true(json_real_value(json_object_get(f0, "score")) == 0.31);
    assert_true(json_is_null(json_object_get(f0, "p_value"))); /* NAN: psi has no p-value */
    assert_string_equal(json_string_value(json_object_get(f1, "name")), "country");
    assert_string_equal(json_string_value(json_object_get(f1, "method")), "chisquare");
    assert_true(json_real_value(json_object_get(f1, "score")) == 12.5);
    assert_true(json_real_value(json_object_get(f1, "p_value")) == 0.0004);
    json_t *labels = json_object_get(b, "labels");
    assert_int_equal(json_object_size(labels), 2);
    assert_string_equal(json_string_value(json_object_get(labels, "team")), "ml");
    assert_string_equal(json_string_value(json_object_get(labels, "env")), "test");
    json_decref(b);
    json_decref(reqs);
    trig_close(&t);
}

static void test_trigger_without_data_version_episode_or_features_sends_nulls_and_empty_list(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/trg-null", "secret=" SECRET, NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-null", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    ev.data_version = NULL;
    ev.n_features = 0;
    ev.features = NULL;
    ev.episode_start = 0; /* no episode named, no cooldown */
    ev.cooldown_ms = 0;
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    json_t *reqs = recorded("/trg-null");
    json_t *b = body_of(json_array_get(reqs, 0));
    assert_true(json_is_null(json_object_get(b, "data_version")));
    assert_true(json_is_null(json_object_get(b, "episode_start")));
    assert_true(json_is_integer(json_object_get(b, "cooldown_seconds")));
    assert_int_equal(json_integer_value(json_object_get(b, "cooldown_seconds")), 0);
    assert_true(json_is_array(json_object_get(b, "features")));
    assert_int_equal(json_array_size(json_object_get(b, "features")), 0);
    assert_int_equal(json_object_size(json_object_get(b, "labels")), 0);
    json_decref(b);
    json_decref(reqs);
    trig_close(&t);
}

static void test_trigger_signature_verifies_with_python_hmac(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/trg-sig", "secret=" SECRET, NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-sig", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    json_t *reqs = recorded("/trg-sig");
    assert_int_equal(json_array_size(reqs), 1);
    json_t *r = json_array_get(reqs, 0);
    /* receiver.py: hmac.new(secret, ts + b"." + body, sha256).hexdigest() == header */
    assert_true(json_is_true(json_object_get(r, "signature_valid")));
    const char *sig = header_of(r, "x-driftwatch-signature-256");
    assert_int_equal(strncmp(sig, "sha256=", 7), 0);
    assert_int_equal(strlen(sig), 7 + 64);
    json_decref(reqs);
    trig_close(&t);

    /* The check is real: another key does not verify. */
    const char *other[] = {"url=/trg-badsig", "secret=not-the-receivers", NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-badsig", other, err, sizeof err), 0);
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    reqs = recorded("/trg-badsig");
    assert_true(json_is_false(json_object_get(json_array_get(reqs, 0), "signature_valid")));
    json_decref(reqs);
    trig_close(&t);
}

static void test_trigger_dry_run_logs_the_body_and_sends_nothing(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/trg-dry?token=abc", "secret=" SECRET, "labels=team=ml", NULL};
    assert_int_equal(trig_open(&t, observed_host(), "trg-dry", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    ev.dry_run = 1;
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "DRY_RUN");
    assert_string_equal(res.job_id, KEY);
    assert_int_equal(http_calls, 0);
    json_t *reqs = recorded("/trg-dry");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);

    /* The log line shows what would be sent: URL without its query, the key and the body. */
    assert_ptr_equal(log_ctx, t.ctx);
    assert_non_null(strstr(log_lines, "dry run"));
    assert_non_null(strstr(log_lines, "/trg-dry "));
    assert_null(strstr(log_lines, "token=abc"));
    assert_non_null(strstr(log_lines, "Idempotency-Key: " KEY));
    const char *json = strchr(log_lines, '{');
    assert_non_null(json);
    json_t *b = json_loadb(json, strcspn(json, "\n"), 0, NULL);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "event")), "retrain.requested");
    assert_string_equal(json_string_value(json_object_get(b, "key")), KEY);
    assert_true(json_is_true(json_object_get(b, "dry_run")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "labels"), "team")), "ml");
    json_decref(b);
    assert_null(strstr(log_lines, SECRET));
    trig_close(&t);
}

/* Answers of a 2xx and the job id the trigger reports for them. */
static void expect_job_id(int status, const char *answer, const char *job_id)
{
    char err[1024], setting[128];
    struct responder r;
    struct trig t;
    struct dw_trigger_result res;
    responder_start(&r, status, answer);
    snprintf(setting, sizeof setting, "url=http://127.0.0.1:%d/api/v1/dispatch", r.port);
    const char *settings[] = {setting, "secret=" SECRET, "max_attempts=1", NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-json", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    int rc = fire(&t, &ev, &res, err, sizeof err);
    responder_stop(&r);
    if (rc != 0)
        fail_msg("answer %d %s: trigger failed: %s", status, answer, err);
    assert_int_equal(r.served, 1);
    assert_string_equal(res.state, "TRIGGERED");
    if (strcmp(res.job_id, job_id) != 0)
        fail_msg("answer %d %s: job id \"%s\", expected \"%s\"", status, answer, res.job_id, job_id);
    assert_non_null(strcasestr(r.last_request, "\r\nIdempotency-Key: " KEY "\r\n"));
    trig_close(&t);
}

static void test_trigger_picks_up_the_job_id_of_a_json_answer(void **state)
{
    (void)state;
    expect_job_id(200, "{\"id\": \"run-42\", \"state\": \"queued\"}", "run-42");
    expect_job_id(201, "{\"run_id\": \"manual__2024-05-01\"}", "manual__2024-05-01");
    expect_job_id(202, "{\"job_id\": \"j-7\"}", "j-7");
    expect_job_id(200, "{\"run_id\": 12345}", "12345");                 /* integers are ids too */
    expect_job_id(200, "{\"job_id\": \"b\", \"id\": \"a\"}", "a");       /* id comes first */
    expect_job_id(200, "{\"id\": \"\", \"run_id\": \"r\"}", "r");        /* an empty id is none */
    expect_job_id(200, "{\"status\": \"queued\"}", KEY);                 /* no id field: the key */
    expect_job_id(200, "[{\"id\": \"x\"}]", KEY);                        /* not an object */
    expect_job_id(200, "{\"id\": 1.5}", KEY);                            /* not a string or integer */
    expect_job_id(204, "", KEY);                                         /* GitHub's dispatch answer */
    expect_job_id(200, "{\"id\": \"a\\nlevel=error\"}", "a?level=error"); /* no log-line injection */
}

static void test_trigger_400_fails_without_retry(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/status/400/always/trg-400", "secret=" SECRET, "max_attempts=5", NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-400", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -2);
    assert_string_not_equal(res.state, "TRIGGERED");
    json_t *reqs = recorded("/status/400/always/trg-400");
    assert_int_equal(json_array_size(reqs), 1); /* the host client does not retry a 4xx */
    json_decref(reqs);
    /* The message names the plugin instance, URL, event, model, key, status and the answer. */
    assert_non_null(strstr(err, "webhook trg-400"));
    assert_non_null(strstr(err, "/status/400/always/trg-400"));
    assert_non_null(strstr(err, "retrain.requested"));
    assert_non_null(strstr(err, "fraud"));
    assert_non_null(strstr(err, KEY));
    assert_non_null(strstr(err, "HTTP 400 after 1 attempt (not retried)"));
    assert_non_null(strstr(err, "invalid_payload"));
    trig_close(&t);
}

static void test_trigger_retries_503_and_429_with_the_same_signed_request(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/status/503/2/trg-503", "secret=" SECRET, "max_attempts=5", NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-503", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    assert_string_equal(res.state, "TRIGGERED");
    json_t *reqs = recorded("/status/503/2/trg-503");
    assert_int_equal(json_array_size(reqs), 3);
    const char *sig0 = header_of(json_array_get(reqs, 0), "x-driftwatch-signature-256");
    for (size_t i = 0; i < 3; i++) {
        json_t *r = json_array_get(reqs, i);
        assert_true(json_is_true(json_object_get(r, "signature_valid")));
        assert_string_equal(header_of(r, "idempotency-key"), KEY);
        assert_string_equal(header_of(r, "x-driftwatch-signature-256"), sig0);
    }
    json_decref(reqs);
    trig_close(&t);

    const char *limited[] = {"url=/status/429/1/trg-429", "secret=" SECRET, NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-429", limited, err, sizeof err), 0);
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), 0);
    reqs = recorded("/status/429/1/trg-429");
    assert_int_equal(json_array_size(reqs), 2);
    json_decref(reqs);
    trig_close(&t);
}

static void test_trigger_gives_up_after_max_attempts_on_500(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/status/500/always/trg-500", "secret=" SECRET, "max_attempts=3", NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-500", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -1);
    json_t *reqs = recorded("/status/500/always/trg-500");
    assert_int_equal(json_array_size(reqs), 3);
    json_decref(reqs);
    assert_non_null(strstr(err, "HTTP 500 after 3 attempts"));
    assert_null(strstr(err, "not retried"));
    trig_close(&t);
}

static void test_trigger_network_error_is_transient(void **state)
{
    (void)state;
    char err[1024], setting[128];
    struct trig t;
    struct dw_trigger_result res;
    snprintf(setting, sizeof setting, "url=http://user:pw@127.0.0.1:%d/down?token=abc", closed_port());
    const char *settings[] = {setting, "secret=" SECRET, "max_attempts=2", "timeout=2s", NULL};
    assert_int_equal(trig_open(&t, NULL, "trg-down", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "webhook trg-down"));
    assert_non_null(strstr(err, "/down"));
    assert_null(strstr(err, "user:pw")); /* only scheme, host and path appear in messages */
    trig_close(&t);
}

static void test_trigger_refuses_keys_that_cannot_be_a_header(void **state)
{
    (void)state;
    char err[1024];
    struct trig t;
    struct dw_trigger_result res;
    const char *settings[] = {"url=/trg-badkey", "secret=" SECRET, NULL};
    assert_int_equal(trig_open(&t, observed_host(), "trg-badkey", settings, err, sizeof err), 0);
    struct dw_trigger_event ev = trigger_event();
    ev.key = "fraud-x\r\nX-Injected: 1";
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -2);
    assert_non_null(strstr(err, "Idempotency-Key"));
    char long_key[400];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    ev.key = long_key; /* longer than dw_trigger_result.job_id could report */
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -2);
    ev.key = "";
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -2);
    assert_non_null(strstr(err, "without a model or a key"));
    ev = trigger_event();
    ev.model = NULL;
    assert_int_equal(fire(&t, &ev, &res, err, sizeof err), -2);
    assert_int_equal(http_calls, 0);
    json_t *reqs = recorded("/trg-badkey");
    assert_int_equal(json_array_size(reqs), 0);
    json_decref(reqs);
    trig_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_serves_as_trainer_through_the_loader),
        cmocka_unit_test(test_trigger_body_and_headers),
        cmocka_unit_test(test_trigger_without_data_version_episode_or_features_sends_nulls_and_empty_list),
        cmocka_unit_test(test_trigger_signature_verifies_with_python_hmac),
        cmocka_unit_test(test_trigger_dry_run_logs_the_body_and_sends_nothing),
        cmocka_unit_test(test_trigger_picks_up_the_job_id_of_a_json_answer),
        cmocka_unit_test(test_trigger_400_fails_without_retry),
        cmocka_unit_test(test_trigger_retries_503_and_429_with_the_same_signed_request),
        cmocka_unit_test(test_trigger_gives_up_after_max_attempts_on_500),
        cmocka_unit_test(test_trigger_network_error_is_transient),
        cmocka_unit_test(test_trigger_refuses_keys_that_cannot_be_a_header),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
