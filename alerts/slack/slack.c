/* Slack alert sink: posts drift transitions to a Slack incoming webhook as a message with a plain
 * `text` fallback and Block Kit `blocks` (drifted features, scores, report link). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "driftwatch/plugin.h"
#include "plugin_common.h"
#include "sink_common.h"

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

/* Block Kit limits (api.slack.com/reference/block-kit/blocks): header text 150 characters,
 * section text 3000, button URL 3000. Lengths below are bytes, which never undercount characters. */
#define SL_HEADER_MAX 150
#define SL_SECTION_MAX 3000
#define SL_URL_MAX 3000

struct sl_config {
    const char *url;
    const char *mention;
    struct pu_sink_http http;
};

struct sl_instance {
    const struct dw_host *host;
    struct dw_ctx *ctx;
    char *name;
    char *url;
    char *url_desc; /* scheme://host/...: the path of an incoming-webhook URL is its credential */
    char *path;     /* that path, scrubbed from the host's error messages */
    char *mention;
    char *context;  /* "driftwatch 0.1.0 · team=ml", mrkdwn-escaped */
    struct pu_sink_http http; /* timeout, attempts and deadline (labels are parsed in init) */
};

static const struct dw_option sl_options[] = {
    {.name = "url", .type = DW_OPT_SECRET, .required = 1, .offset = offsetof(struct sl_config, url),
     .description = "Slack incoming-webhook URL (https://hooks.slack.com/services/...; a credential: use ${ENV} or url_file)"},
    {.name = "mention", .type = DW_OPT_STRING, .offset = offsetof(struct sl_config, mention),
     .description = "prepended to firing messages, e.g. <!here> or <!subteam^S012345>"},
    PU_SINK_HTTP_OPTIONS(struct sl_config, http, "static labels shown under each message, as name=value",
                         "notification"),
    {0},
};

/* ---- A growing string; a failed allocation sticks and is reported once at the end. ---- */

struct sl_buf {
    char *s;
    size_t len, cap;
    int failed;
};

static void sl_buf_append(struct sl_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sl_buf_printf(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        b->failed = 1;
    else
        sl_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Slack mrkdwn treats &, < and > as control characters (links, mentions): untrusted text is
 * escaped; backticks would end the code span a feature name is shown in. */
static void sl_buf_escaped(struct sl_buf *b, const char *s, int in_code)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '&')
            sl_buf_append(b, "&amp;", 5);
        else if (*p == '<')
            sl_buf_append(b, "&lt;", 4);
        else if (*p == '>')
            sl_buf_append(b, "&gt;", 4);
        else if (in_code && *p == '`')
            sl_buf_append(b, "'", 1);
        else if (in_code && (*p == '\n' || *p == '\r'))
            sl_buf_append(b, " ", 1);
        else
            sl_buf_append(b, p, 1);
    }
}

/* ---- Text and Block Kit helpers. ---- */

/* Shortens s in place to at most max bytes without splitting a UTF-8 sequence, ending in "...". */
static void sl_truncate(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max || max < 4)
        return;
    size_t cut = max - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(s + cut, "...", 4);
}

/* {"type": type, "text": text} (plain_text adds "emoji": true); NULL when out of memory. */
static json_t *sl_text_object(const char *type, const char *text)
{
    json_t *o = json_object();
    json_t *t = pu_json_text(text ? text : "");
    if (!o || !t || json_object_set_new(o, "type", json_string(type)) || json_object_set_new(o, "text", t) ||
        (strcmp(type, "plain_text") == 0 && json_object_set_new(o, "emoji", json_true()))) {
        if (!o)
            json_decref(t);
        json_decref(o);
        return NULL;
    }
    return o;
}

static void sl_instance_free(struct sl_instance *in)
{
    if (!in)
        return;
    free(in->name);
    free(in->url);
    free(in->url_desc);
    free(in->path);
    free(in->mention);
    free(in->context);
    free(in);
}

static int sl_init(const struct dw_host *host, struct dw_ctx *ctx, const char *instance_name, const void *config,
                   void **instance, char *err, size_t errlen)
{
    const struct sl_config *cfg = config;
    const char *iname = instance_name ? instance_name : "slack";
    struct sl_instance *in = NULL;
    struct sl_buf context = {0};

    *instance = NULL;
    if (!cfg->url || !*cfg->url) {
        snprintf(err, errlen, "slack %s: option url is required (the incoming-webhook URL; e.g. "
                 "url: ${SLACK_WEBHOOK_URL})", iname);
        return -1;
    }
    /* The URL is a credential: messages never quote it. */
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        snprintf(err, errlen, "slack %s: url must start with https:// (an incoming-webhook URL)", iname);
        return -1;
    }

    in = calloc(1, sizeof *in);
    if (!in)
        goto oom;
    in->host = host;
    in->ctx = ctx;
    in->http = cfg->http;
    in->name = pu_strdup(iname);
    in->url = pu_strdup(cfg->url);
    if (!in->name || !in->url)
        goto oom;
    {
        const char *host_part = strstr(cfg->url, "://") + 3;
        const char *path = host_part + strcspn(host_part, "/?#");
        const char *at = memchr(host_part, '@', (size_t)(path - host_part));
        if (at)
            host_part = at + 1;
        size_t n = (size_t)(strstr(cfg->url, "://") + 3 - cfg->url) + (size_t)(path - host_part) + sizeof "/...";
        in->url_desc = malloc(n);
        in->path = pu_strdup(path);
        if (!in->url_desc || !in->path)
            goto oom;
        snprintf(in->url_desc, n, "%.*s%.*s%s", (int)(strstr(cfg->url, "://") + 3 - cfg->url), cfg->url,
                 (int)(path - host_part), host_part, *path ? "/..." : "");
    }
    if (cfg->mention && *cfg->mention && !(in->mention = pu_strdup(cfg->mention)))
        goto oom;

    sl_buf_append(&context, "driftwatch " DW_VERSION, strlen("driftwatch " DW_VERSION));
    for (size_t i = 0; i < cfg->http.labels.n; i++) {
        const char *item = cfg->http.labels.items[i] ? cfg->http.labels.items[i] : "";
        const char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            snprintf(err, errlen, "slack %s: labels[%zu] \"%s\" is not name=value", iname, i, item);
            free(context.s);
            sl_instance_free(in);
            return -1;
        }
        sl_buf_append(&context, " \xc2\xb7 ", 4); /* U+00B7 middle dot */
        sl_buf_escaped(&context, item, 0);
    }
    if (context.failed)
        goto oom;
    in->context = context.s;
    context.s = NULL;

    pu_sink_count_init(host, ctx, in->name);
    *instance = in;
    return 0;

oom:
    free(context.s);
    sl_instance_free(in);
    snprintf(err, errlen, "slack %s: out of memory", iname);
    return -1;
}

static void sl_destroy(void *instance)
{
    sl_instance_free(instance);
}

/* "<!date^1714564800^{date_short_pretty} {time}|2024-05-01T12:00:00Z>": Slack shows the time in
 * the reader's own time zone, other clients the RFC 3339 fallback. */
static void sl_buf_date(struct sl_buf *b, int64_t t)
{
    char iso[32];
    pu_rfc3339(t, iso, sizeof iso);
    sl_buf_printf(b, "<!date^%lld^{date_short_pretty} {time}|%s>", (long long)t, iso);
}

/* "*Drifted features*\n• `amount` psi = 0.312\n..." within the section limit. */
static void sl_buf_features(struct sl_buf *b, const struct dw_alert_event *ev)
{
    sl_buf_printf(b, "*Drifted features* (%zu)", ev->n_features);
    for (size_t i = 0; ev->features && i < ev->n_features; i++) {
        const struct dw_feature_score *f = &ev->features[i];
        struct sl_buf line = {0};
        sl_buf_append(&line, "\n\xe2\x80\xa2 `", 6); /* U+2022 bullet */
        sl_buf_escaped(&line, f->name, 1);
        sl_buf_append(&line, "` ", 2);
        sl_buf_escaped(&line, f->method ? f->method : "?", 0);
        sl_buf_printf(&line, " = %.4g", f->score);
        if (!isnan(f->p_value))
            sl_buf_printf(&line, " (p = %.4g)", f->p_value);
        /* Room for this line and the "and N more" that may follow it. */
        if (line.failed || b->len + line.len + 32 > SL_SECTION_MAX) {
            free(line.s);
            sl_buf_printf(b, "\n\xe2\x80\xa6 and %zu more", ev->n_features - i);
            return;
        }
        sl_buf_append(b, line.s, line.len);
        free(line.s);
    }
}

static int sl_add_block(json_t *blocks, json_t *block)
{
    return block ? json_array_append_new(blocks, block) : -1;
}

static char *sl_build_body(const struct sl_instance *in, const struct dw_alert_event *ev, int64_t now)
{
    char *out = NULL;
    char header[SL_HEADER_MAX + 64];
    struct sl_buf text = {0}, summary = {0}, features = {0};
    const char *severity = ev->severity && *ev->severity ? ev->severity : "warning";
    int64_t starts_at = ev->starts_at > 0 ? ev->starts_at : now;
    json_t *doc = json_object();
    json_t *blocks = json_array();
    int bad = !doc || !blocks;
    if (bad)
        goto out;

    /* text: the notification and fallback line (no Block Kit in push notifications). */
    if (ev->firing && in->mention) {
        sl_buf_append(&text, in->mention, strlen(in->mention));
        sl_buf_append(&text, " ", 1);
    }
    sl_buf_printf(&text, "[%s] ", ev->firing ? "FIRING" : "RESOLVED");
    if (ev->summary && *ev->summary) {
        sl_buf_escaped(&text, ev->summary, 0);
    } else if (ev->firing) {
        sl_buf_append(&text, "Data drift on model ", 20);
        sl_buf_escaped(&text, ev->model, 0);
        sl_buf_printf(&text, ": %zu feature%s drifted (drift share %.0f%%)", ev->n_features,
                      ev->n_features == 1 ? "" : "s", ev->drift_share * 100);
    } else {
        sl_buf_append(&text, "Data drift on model ", 20);
        sl_buf_escaped(&text, ev->model, 0);
        sl_buf_append(&text, " has cleared", 12);
    }
    bad |= text.failed || json_object_set_new(doc, "text", pu_json_text(text.s ? text.s : ""));

    snprintf(header, sizeof header, "%s %s: %s", ev->firing ? "\xf0\x9f\x9a\xa8" /* U+1F6A8 */ : "\xe2\x9c\x85",
             ev->firing ? "Drift detected" : "Drift resolved", ev->model);
    sl_truncate(header, SL_HEADER_MAX);
    bad |= sl_add_block(blocks, json_pack("{s:s, s:o}", "type", "header", "text",
                                          sl_text_object("plain_text", header)));

    if (ev->summary && *ev->summary) {
        sl_buf_escaped(&summary, ev->summary, 0);
    } else {
        sl_buf_append(&summary, "Data drift on model *", 21);
        sl_buf_escaped(&summary, ev->model, 0);
        sl_buf_append(&summary, ev->firing ? "*." : "* has cleared.", ev->firing ? 2 : 14);
    }
    if (!ev->firing) {
        sl_buf_append(&summary, "\nDrifting since ", 16);
        sl_buf_date(&summary, starts_at);
        sl_buf_append(&summary, ", resolved ", 11);
        sl_buf_date(&summary, ev->ends_at > 0 ? ev->ends_at : now);
        sl_buf_append(&summary, ".", 1);
    }
    bad |= summary.failed;
    if (!bad && summary.len > SL_SECTION_MAX)
        sl_truncate(summary.s, SL_SECTION_MAX);
    json_t *section = bad ? NULL : json_pack("{s:s, s:o}", "type", "section", "text",
                                             sl_text_object("mrkdwn", summary.s));
    if (section && ev->firing) {
        char share[64], count[64];
        struct sl_buf since = {0};
        snprintf(share, sizeof share, "*Drift share*\n%.0f%%", ev->drift_share * 100);
        snprintf(count, sizeof count, "*Drifted features*\n%zu", ev->n_features);
        sl_buf_append(&since, "*Since*\n", 8);
        sl_buf_date(&since, starts_at);
        char sev[96];
        snprintf(sev, sizeof sev, "*Severity*\n%.64s", severity);
        json_t *fields = since.failed ? NULL : json_pack("[o, o, o, o]", sl_text_object("mrkdwn", sev),
                                                           sl_text_object("mrkdwn", share),
                                                           sl_text_object("mrkdwn", count),
                                                           sl_text_object("mrkdwn", since.s));
        free(since.s);
        bad |= !fields || json_object_set_new(section, "fields", fields);
    }
    bad |= sl_add_block(blocks, section);

    if (ev->firing && ev->n_features > 0) {
        sl_buf_features(&features, ev);
        bad |= features.failed ||
               sl_add_block(blocks, json_pack("{s:s, s:o}", "type", "section", "text",
                                              sl_text_object("mrkdwn", features.s)));
    }
    if (ev->report_url && strlen(ev->report_url) <= SL_URL_MAX &&
        (strncmp(ev->report_url, "https://", 8) == 0 || strncmp(ev->report_url, "http://", 7) == 0)) {
        json_t *url = pu_json_text(ev->report_url ? ev->report_url : "");
        bad |= sl_add_block(blocks, json_pack("{s:s, s:[{s:s, s:o, s:o}]}", "type", "actions", "elements",
                                              "type", "button", "text",
                                              sl_text_object("plain_text", "Open drift report"), "url", url));
    }
    bad |= sl_add_block(blocks, json_pack("{s:s, s:[o]}", "type", "context", "elements",
                                          sl_text_object("mrkdwn", in->context)));
    bad |= json_object_set_new(doc, "blocks", blocks);
    blocks = NULL;
    if (!bad)
        out = json_dumps(doc, JSON_COMPACT);

out:
    free(text.s);
    free(summary.s);
    free(features.s);
    json_decref(blocks);
    json_decref(doc);
    return out;
}

/* Replaces each occurrence of the webhook's secret path in msg with "/...". */
static void sl_scrub(const struct sl_instance *in, char *msg)
{
    size_t plen = strlen(in->path);
    if (plen <= 1)
        return;
    char *hit;
    while ((hit = strstr(msg, in->path)) != NULL) {
        memmove(hit + 4, hit + plen, strlen(hit + plen) + 1);
        memcpy(hit, "/...", 4);
    }
}

/* Returns 0 when Slack took the message (or a repeat was skipped); -1 on a transient failure
 * (network, 429, 5xx after the host's retries); -2 when refused (e.g. 400 invalid_blocks,
 * 403 action_prohibited, 404 no_service, 410 channel_is_archived) or not encodable. */
static int sl_alert_send(void *instance, const struct dw_alert_event *ev, char *err, size_t errlen)
{
    struct sl_instance *in = instance;
    int ret = -1;

    if (ev && ev->repeat)
        return 0; /* one message per transition */
    if (!ev || !ev->model || !*ev->model) {
        snprintf(err, errlen, "slack %s: event without a model name, not sent", in->name);
        pu_sink_count(in->host, in->ctx, in->name, "dropped");
        return -2;
    }
    char *body = sl_build_body(in, ev, (int64_t)time(NULL));
    if (!body) {
        snprintf(err, errlen, "slack %s: cannot encode the message for model %s (out of memory)", in->name,
                 ev->model);
        pu_sink_count(in->host, in->ctx, in->name, "dropped");
        return -2;
    }
    const char *headers[] = {"Content-Type: application/json", "User-Agent: driftwatch/" DW_VERSION, NULL};
    struct dw_http_client_request req = pu_sink_post(&in->http, in->url, headers, body, strlen(body));
    struct dw_http_client_response resp = {.size = sizeof resp};
    char herr[512] = "";
    int rc = in->host->http_request(in->ctx, &req, &resp, herr, sizeof herr);
    const char *what = ev->firing ? "firing" : "resolved";
    if (rc < 0)
        sl_scrub(in, herr);
    char detail[PU_HTTP_DETAIL_MAX];
    ret = pu_http_outcome(rc, &resp, herr, detail, sizeof detail);
    if (ret != PU_HTTP_OK)
        snprintf(err, errlen, "slack %s: POST %s (%s message for model %s) %s", in->name, in->url_desc, what,
                 ev->model, detail);
    pu_sink_count(in->host, in->ctx, in->name, pu_alert_result(ret));
    if (resp.body)
        in->host->free(resp.body);
    free(body);
    return ret;
}

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = DW_PLUGIN_ABI,
    .size = sizeof(struct dw_plugin),
    .option_size = sizeof(struct dw_option),
    .name = "slack",
    .kind = DW_KIND_ALERT,
    .version = DW_VERSION,
    .description = "Posts drift alerts and their resolution to a Slack incoming webhook (Block Kit message)",
    .options = sl_options,
    .config_size = sizeof(struct sl_config),
    .init = sl_init,
    .destroy = sl_destroy,
    .alert_send = sl_alert_send,
};
