/* What every alert sink shares: the HTTP sinks' common options (labels, timeout, max_attempts,
 * deadline) and their request, and the notification counter every sink keeps (sink_http.c,
 * sink_metrics.c). */
#ifndef DW_PLUGIN_SINK_COMMON_H
#define DW_PLUGIN_SINK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "driftwatch/plugin.h"

/* The common options of an HTTP alert sink: a member of the sink's config struct, filled through
 * PU_SINK_HTTP_OPTIONS. The loader applies the defaults and bounds, so the values are usable as
 * they are. */
struct pu_sink_http {
    struct dw_list labels; /* name=value items; each sink parses (and vets) them its own way */
    int64_t timeout_ms;
    int64_t max_attempts;
    int64_t deadline_ms;
};

/* The option table entries of struct pu_sink_http, for a config struct config_type whose member
 * `member` is one: labels (its description says where the sink shows them), timeout, max_attempts
 * and deadline ("attempts per <request>", "overall time for one <request>"; request is a string
 * literal such as "notification"). */
#define PU_SINK_HTTP_OPTIONS(config_type, member, labels_description, request)                                \
    {.name = "labels", .type = DW_OPT_LIST, .offset = offsetof(config_type, member.labels),                   \
     .description = labels_description},                                                                      \
    {.name = "timeout", .type = DW_OPT_DURATION, .def = "10s", .min = "1ms",                                  \
     .offset = offsetof(config_type, member.timeout_ms), .description = "timeout of one HTTP attempt"},       \
    {.name = "max_attempts", .type = DW_OPT_INT, .def = "5", .min = "1", .max = "100",                        \
     .offset = offsetof(config_type, member.max_attempts),                                                    \
     .description = "attempts per " request " (retried on network errors, 429 and 5xx)"},                     \
    {.name = "deadline", .type = DW_OPT_DURATION, .def = "60s", .min = "1ms",                                 \
     .offset = offsetof(config_type, member.deadline_ms),                                                     \
     .description = "overall time for one " request " across retries"}

/* A POST of body to url (headers NULL-terminated "Name: value") under http's timeout, attempts and
 * deadline, sized for the host's http_request. */
struct dw_http_client_request pu_sink_post(const struct pu_sink_http *http, const char *url,
                                           const char *const *headers, const char *body, size_t body_len);

/* driftwatch_alerts_sent_total{sink, result} (docs/metrics.md): one notification of sink instance
 * `sink` with result ok, error or dropped (pu_alert_result). */
void pu_sink_count(const struct dw_host *host, struct dw_ctx *ctx, const char *sink, const char *result);

/* Creates sink's series of every result at 0, so rate() and alerts on errors work before the first
 * failure. Call from init. */
void pu_sink_count_init(const struct dw_host *host, struct dw_ctx *ctx, const char *sink);

#endif
