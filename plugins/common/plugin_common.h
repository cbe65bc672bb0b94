/* Plugin-side helpers shared by the plugins in this tree (a static library linked into each one):
 * URLs and answers in messages, HTTP results classified, JSON text, monotonic time and waits,
 * pending jobs, and the fleet's drift episode. */
#ifndef DW_PLUGIN_COMMON_H
#define DW_PLUGIN_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "driftwatch/plugin.h"
#include "shared_metrics.h"

/* Bytes of a receiver's answer quoted in an error message. */
#define PU_BODY_EXCERPT 200
/* Room for pu_http_outcome's detail: "failed: " and a host message of up to 512 bytes, or the
 * "answered HTTP ..." line with its excerpt. */
#define PU_HTTP_DETAIL_MAX 640

/* What became of one request through host->http_request. */
enum pu_http_result {
    PU_HTTP_OK = 0,         /* a 2xx answer */
    PU_HTTP_TRANSIENT = -1, /* network failure, 429 or 5xx (after the host's retries): try later */
    PU_HTTP_REFUSED = -2,   /* any other status: the same request would be refused again */
};

/* One static label of a sink (name=value from its `labels` option), both malloc'd. */
struct pu_label {
    char *name;
    char *value;
};

/* Vets one label name for a sink (reserved names, syntax); 0 or -1 with err starting "<who>: ". */
typedef int (*pu_label_check_fn)(const char *name, size_t index, const char *who, char *err, size_t errlen);

/* Parses "name=value" items into *labels (n of them); check (may be NULL) runs on each name before
 * the duplicate test. On error *labels holds what was parsed so far: free it with pu_free_labels.
 * who prefixes every message (e.g. "webhook hook1"). Returns 0 or -1. */
int pu_parse_labels(const struct dw_list *list, const char *who, pu_label_check_fn check, struct pu_label **labels,
                    size_t *n, char *err, size_t errlen);
void pu_free_labels(struct pu_label *labels, size_t n);

/* A malloc'd copy of s (not NULL); NULL when out of memory. */
char *pu_strdup(const char *s);

/* printf into a malloc'd string; NULL on failure. */
char *pu_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* s percent-encoded for a query value (RFC 3986 unreserved characters kept), malloc'd; NULL when
 * out of memory. */
char *pu_query_escape(const char *s);

/* "scheme://host/path" of url without userinfo, query or fragment (either may hold a credential):
 * what messages may show of a URL. Malloc'd; NULL when out of memory. */
char *pu_describe_url(const char *url);

/* RFC 3339 in UTC of unix seconds, e.g. 2024-05-01T12:00:00Z (the epoch when out of range). */
void pu_rfc3339(int64_t unix_s, char *out, size_t outlen);

/* A JSON string for untrusted text: jansson refuses invalid UTF-8, so such text is sent with every
 * non-ASCII byte replaced by '?' rather than not at all. NULL text becomes JSON null; NULL is
 * returned only when out of memory. */
json_t *pu_json_text(const char *s);

/* v as JSON text (jansson flags) in host->alloc memory, for what a plugin hands the host (an
 * action's result, a data version); NULL when out of memory. */
char *pu_json_dump_for_host(const struct dw_host *host, const json_t *v, size_t flags);

/* The value of a "k=v" item: JSON when it parses as JSON (numbers, booleans, arrays, objects,
 * quoted strings), else the text as a string. NULL when out of memory or text is not UTF-8. */
json_t *pu_param_value(const char *text);

/* The event's feature names joined with ',' (a missing name counts as ""), malloc'd; NULL when out
 * of memory. */
char *pu_join_features(const struct dw_trigger_event *ev);

/* At most PU_BODY_EXCERPT bytes of an answer body on one line: tabs and line breaks become spaces,
 * other control bytes '?', and "..." marks a cut. out gets "" for an empty body. */
void pu_excerpt(const char *body, size_t len, char *out, size_t outlen);

/* Classifies rc and resp of host->http_request (rc < 0: no answer, herr says why) and, unless the
 * answer was 2xx, writes what happened to detail, to follow "POST <url> (<what>) " in a message:
 * "failed: <herr or 'network error'>" or "answered HTTP <status> after <n> attempt(s)[ (not
 * retried)]: <excerpt or '(empty body)'>". Returns an enum pu_http_result. */
int pu_http_outcome(int rc, const struct dw_http_client_response *resp, const char *herr, char *detail,
                    size_t detaillen);

/* The result label of driftwatch_alerts_sent_total for an enum pu_http_result: ok, error
 * (transient failure after retries) or dropped (refused by the receiver). */
const char *pu_alert_result(int outcome);

/* The `code` label of a request counter: the HTTP status as text ("200", "503"), or "error" when
 * there was no HTTP answer (status 0: connection refused or reset, a timeout, no usable head). */
#define PU_STATUS_LABEL_MAX 8
void pu_status_label(long status, char out[PU_STATUS_LABEL_MAX]);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t pu_now_ms(void);

/* A random time in [0, max] ms (0 when max <= 0): the wait of a full-jitter back-off. */
int64_t pu_random_upto(int64_t max);

/* Initialises cond to time its waits on CLOCK_MONOTONIC, so a wall-clock jump neither stalls nor
 * hurries a poller or a back-off. */
void pu_cond_init_monotonic(pthread_cond_t *cond);

/* One wait of up to ms on cond (which must wait on CLOCK_MONOTONIC) with lock held: returns when
 * signalled, spuriously, or at the time; the caller re-checks its condition. */
void pu_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t ms);

/* Sleeps up to ms (negative: 0) on cond, which must wait on CLOCK_MONOTONIC, under lock; returns 1
 * early when *stopping (read under lock) is set and cond signalled, else 0. */
int pu_sleep(pthread_mutex_t *lock, pthread_cond_t *cond, const int *stopping, int64_t ms);

/* ---- episode.c: joining the fleet's drift episode (docs/operations.md) ----
 * A trainer that can list looks, before any create, for a job of the event's model created within
 * the cooldown, and reports one it finds as joined instead of creating another. */

/* The unix second after which a job counts as created within the cooldown (now - cooldown,
 * rounded so the window is never shorter than the cooldown). */
int64_t pu_lookup_cutoff(int64_t cooldown_ms);
/* Parses an RFC 3339 time (fraction and offset allowed) into unix seconds: 0, or -1 when s is not one. */
int pu_parse_rfc3339(const char *s, int64_t *unix_s);
/* The model part of a retrain key "<model>-<data version>-<bucket>" (the text before its last two
 * '-'), malloc'd; NULL when the key has not that shape or out of memory. */
char *pu_key_model_part(const char *key);

/* ---- pending_jobs.c: jobs a trainer started and has not yet seen finish ----
 * File <state_dir>/<plugin>-<instance>.jobs.json (instance lowercased, runs of characters other
 * than [a-z0-9_] as one '-'): a JSON array of objects, each with a string "name" (the job's id at
 * its service: a Vertex resource name, a KFP run_id) and whatever else the plugin keeps ("state",
 * "pipeline", "display_name"); unknown keys are kept as they are. Every change rewrites the file
 * atomically (temp file, fsync, rename, fsync of the directory) before the call returns, so a job
 * recorded before a crash or a SIGKILL is polled again after the restart. Not thread-safe: the
 * plugin calls it under its own lock. Without a state directory the store lives in memory. */
/* A route's answer: body (consumed; NULL or unprintable: 500) as one line of JSON plus a newline,
 * in host->alloc memory. */
void pu_respond_json(const struct dw_host *host, struct dw_http_response *resp, int status, json_t *body);
/* {"error": msg, "status": status} through pu_respond_json. */
void pu_respond_error(const struct dw_host *host, struct dw_http_response *resp, int status, const char *msg);

/* Replaces path by len bytes of text: a temp file beside it (mode 0600), fsync, rename over path,
 * fsync of the directory; a crash leaves the old or the new content. 0, or -1 with err. */
int pu_write_file_atomic(const char *path, const char *text, size_t len, char *err, size_t errlen);

/* Lowercases s into out, maps every character outside [a-z0-9] (and '_' unless keep_underscore)
 * to '-', collapses runs of '-' and trims them at both ends; out may end up empty. */
void pu_slug(const char *s, int keep_underscore, char *out, size_t outlen);

struct pu_pending_jobs;

/* Opens the store and loads the file when there is one. 0; 1 when the file exists but cannot be
 * read (err says where; *out is an empty store and the next change replaces the file); -1 out of
 * memory (*out NULL). */
int pu_pending_jobs_open(const char *state_dir, const char *plugin, const char *instance,
                         struct pu_pending_jobs **out, char *err, size_t errlen);
/* The file's path (NULL without a state directory). */
const char *pu_pending_jobs_path(const struct pu_pending_jobs *s);
/* The jobs (borrowed array of objects; valid until the next put or remove). */
json_t *pu_pending_jobs_list(const struct pu_pending_jobs *s);
/* Adds job (copied; needs a non-empty string "name"), or replaces the one with that name, and
 * writes the file unless nothing changed. 0, or -1 with err (the job is kept in memory all the same). */
int pu_pending_jobs_put(struct pu_pending_jobs *s, json_t *job, char *err, size_t errlen);
/* Forgets the job with this name (a final state was seen) and writes the file. 0, or -1 with err. */
int pu_pending_jobs_remove(struct pu_pending_jobs *s, const char *name, char *err, size_t errlen);
void pu_pending_jobs_free(struct pu_pending_jobs *s);

#endif
