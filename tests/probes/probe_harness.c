/* Probe test harness (see probe_harness.h): real plugins, the real HTTP server, a capture of
 * emitted samples in place of the core's pipeline. */
#include "probe_harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "plugin/host.h"
#include "http/http_server.h"
#include "util/metrics.h"
#include "util/yaml_tree.h"

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cap_cond = PTHREAD_COND_INITIALIZER;
static json_t *captured;
static size_t n_batches;
static int delay_ms;
static int refuse;
static struct http_server *server;

int64_t harness_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct plugin_instance *harness_create(const char *yaml, enum dw_kind kind, char *err, size_t errlen)
{
    char local[1024];
    char *e = err ? err : local;
    size_t elen = err ? errlen : sizeof local;
    struct ynode *root;
    if (yaml_tree_load_string(yaml, strlen(yaml), "test.yaml", &root, e, elen) < 0)
        fail_msg("bad test YAML: %s", e);
    const struct ynode *plugin = ynode_get(root, "plugin");
    assert_non_null(plugin);
    const struct ynode *name = ynode_get(root, "name");
    struct plugin_ref ref = {.plugin = plugin->value, .name = name ? name->value : plugin->value, .node = root};
    struct plugin_instance *pi = NULL;
    int rc = plugin_instance_create(DW_TEST_PLUGIN_DIR, "test.yaml", &ref, NULL, kind, &pi, e, elen);
    yaml_tree_free(root);
    if (rc < 0 && !err)
        fail_msg("cannot create instance: %s", e);
    return pi;
}

void harness_start(struct plugin_instance *pi)
{
    char err[512];
    if (plugin_instance_start(pi, err, sizeof err) < 0)
        fail_msg("cannot start: %s", err);
}

static void capture_add(json_t *sample)
{
    json_array_append(captured, sample);
}

/* Decodes each sample of the batch: the checked texts one by one, or the body (an array, an object
 * or NDJSON). */
static int capture_fn(const struct ingest_batch *batch, struct dw_ingest_result *res)
{
    pthread_mutex_lock(&cap_lock);
    int delay = delay_ms, refusing = refuse;
    pthread_mutex_unlock(&cap_lock);
    if (delay)
        harness_sleep_ms(delay);
    memset(res, 0, sizeof *res);
    if (refusing) {
        snprintf(res->error, sizeof res->error, "%s",
                 refusing == DW_INGEST_UNKNOWN_MODEL ? "unknown model 'fraud'" : "the test's pipeline is down");
        return refusing;
    }
    pthread_mutex_lock(&cap_lock);
    size_t before = json_array_size(captured);
    for (size_t i = 0; !batch->body && i < batch->n; i++) {
        json_t *s = json_loadb(batch->texts[i].text, batch->texts[i].len, 0, NULL);
        if (s)
            capture_add(s);
        else
            res->rejected++;
        json_decref(s);
    }
    json_t *doc = batch->body ? json_loadb(batch->body, batch->body_len, JSON_DECODE_ANY, NULL) : NULL;
    if (!batch->body) {
        /* the texts were taken above */
    } else if (doc && json_is_array(doc)) {
        for (size_t i = 0; i < json_array_size(doc); i++)
            capture_add(json_array_get(doc, i));
    } else if (doc && json_is_object(doc)) {
        capture_add(doc);
    } else {
        /* NDJSON: one sample a line. */
        const char *p = batch->body, *end = batch->body + batch->body_len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *stop = nl ? nl : end;
            if (stop > p) {
                json_t *s = json_loadb(p, (size_t)(stop - p), 0, NULL);
                if (s)
                    capture_add(s);
                else
                    res->rejected++;
                json_decref(s);
            }
            p = stop + 1;
        }
    }
    json_decref(doc);
    res->accepted = json_array_size(captured) - before;
    n_batches++;
    pthread_cond_broadcast(&cap_cond);
    pthread_mutex_unlock(&cap_lock);
    return res->accepted ? 0 : -1;
}

void capture_install(void)
{
    pthread_mutex_lock(&cap_lock);
    if (!captured)
        captured = json_array();
    pthread_mutex_unlock(&cap_lock);
    host_set_ingest(capture_fn);
}

void capture_reset(void)
{
    pthread_mutex_lock(&cap_lock);
    json_array_clear(captured);
    n_batches = 0;
    delay_ms = 0;
    refuse = 0;
    pthread_mutex_unlock(&cap_lock);
}

size_t capture_count(void)
{
    pthread_mutex_lock(&cap_lock);
    size_t n = json_array_size(captured);
    pthread_mutex_unlock(&cap_lock);
    return n;
}

size_t capture_batches(void)
{
    pthread_mutex_lock(&cap_lock);
    size_t n = n_batches;
    pthread_mutex_unlock(&cap_lock);
    return n;
}

json_t *capture_get(size_t i)
{
    pthread_mutex_lock(&cap_lock);
    json_t *s = json_array_get(captured, i);
    pthread_mutex_unlock(&cap_lock);
    return s;
}

void capture_set_delay_ms(int ms)
{
    pthread_mutex_lock(&cap_lock);
    delay_ms = ms;
    pthread_mutex_unlock(&cap_lock);
}

void capture_set_refuse(int code)
{
    pthread_mutex_lock(&cap_lock);
    refuse = code;
    pthread_mutex_unlock(&cap_lock);
}

size_t capture_wait(size_t n, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&cap_lock);
    while (json_array_size(captured) < n && pthread_cond_timedwait(&cap_cond, &cap_lock, &deadline) == 0)
        ;
    size_t got = json_array_size(captured);
    pthread_mutex_unlock(&cap_lock);
    return got;
}

int harness_server_start(const char *token)
{
    char err[256];
    struct http_server_options o = {.host = "127.0.0.1",
                                    .port = 0,
                                    .max_body_bytes = 64 << 20,
                                    .max_connections = 64,
                                    .auth_token = token};
    server = http_server_start(&o, err, sizeof err);
    if (!server)
        fail_msg("cannot start the HTTP server: %s", err);
    return http_server_port(server);
}

void harness_server_stop(void)
{
    http_server_stop(server);
    server = NULL;
}

struct growbuf {
    char *data;
    size_t len;
};

static size_t grow_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct growbuf *b = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->data = grown;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int http_call(const char *method, const char *url, const char *const *headers, const char *body, size_t body_len,
              struct http_answer *ans)
{
    memset(ans, 0, sizeof *ans);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    struct growbuf b = {0}, h = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grow_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    int64_t t0 = harness_now_ms();
    CURLcode rc = curl_easy_perform(c);
    ans->seconds = (double)(harness_now_ms() - t0) / 1000.0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    ans->body = b.data ? b.data : calloc(1, 1);
    ans->body_len = b.len;
    ans->headers = h.data ? h.data : calloc(1, 1);
    return rc == CURLE_OK ? 0 : -1;
}

void http_answer_free(struct http_answer *ans)
{
    free(ans->body);
    free(ans->headers);
    memset(ans, 0, sizeof *ans);
}

double metric_value(const char *name, const char *labels)
{
    char *text;
    size_t len;
    assert_int_equal(metrics_render(&text, &len), 0);
    char needle[1024];
    snprintf(needle, sizeof needle, "\n%s%s ", name, labels);
    double v = -1;
    const char *hit = strstr(text, needle);
    if (hit)
        v = strtod(hit + strlen(needle), NULL);
    free(text);
    return v;
}

char *harness_tmpdir(void)
{
    char *dir = strdup("/tmp/dw-probes-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

void harness_rmtree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_mode(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

void write_file(const char *path, const char *text)
{
    write_mode(path, text, "w");
}

void append_file(const char *path, const char *text)
{
    write_mode(path, text, "a");
}
