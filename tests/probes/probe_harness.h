/* Test harness for the probe and sampler plugins: real plugin instances from YAML, a capture of
 * what they emit into the core, the agent's real HTTP server on a loopback port, and a curl client. */
#ifndef DW_TEST_PROBE_HARNESS_H
#define DW_TEST_PROBE_HARNESS_H

#include <jansson.h>
#include <stddef.h>

#include "plugin/plugin_instance.h"

/* Loads DW_TEST_PLUGIN_DIR/<plugin>.so with the options in `yaml` (a mapping that includes
 * `plugin:`), calls init. Fails the test on error unless err is given (then returns NULL). */
struct plugin_instance *harness_create(const char *yaml, enum dw_kind kind, char *err, size_t errlen);
void harness_start(struct plugin_instance *pi);

/* Samples emitted through host->emit_samples or emit_checked_samples since the last reset, each decoded. */
void capture_install(void);
void capture_reset(void);
size_t capture_count(void);
size_t capture_batches(void);
json_t *capture_get(size_t i);           /* borrowed */
/* Every call to emit_samples sleeps this long first (tests of a slow core). */
void capture_set_delay_ms(int ms);
/* While code is a DW_INGEST_* error, emit_samples takes nothing and returns it (0: normal again). */
void capture_set_refuse(int code);
/* Waits until at least n samples arrived or timeout; returns the count. */
size_t capture_wait(size_t n, int timeout_ms);

/* The agent's HTTP server on 127.0.0.1, any free port. */
int harness_server_start(const char *token);
void harness_server_stop(void);

struct http_answer {
    long status;
    char *body;
    size_t body_len;
    char *headers;   /* raw response header block */
    double seconds;
};

/* One request with curl; headers NULL-terminated "Name: value". Returns 0 or -1 (network error). */
int http_call(const char *method, const char *url, const char *const *headers, const char *body, size_t body_len,
              struct http_answer *ans);
void http_answer_free(struct http_answer *ans);

/* The value of `name` in the current /metrics text with exactly these labels (rendered like
 * `{model="m",probe="p"}`, or "" for none); -1 when the series is absent. */
double metric_value(const char *name, const char *labels);

/* Scratch directory under /tmp, removed by harness_rmtree. */
char *harness_tmpdir(void);
void harness_rmtree(const char *dir);
void write_file(const char *path, const char *text);
void append_file(const char *path, const char *text);
int64_t harness_now_ms(void);
void harness_sleep_ms(int ms);

#endif
