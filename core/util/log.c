/* logfmt logger on stderr with level filtering and secret redaction (see log.h).
 * One fputs per line under a lock, so lines from different threads never interleave. */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/strbuf.h"

static enum dw_log_level min_level = DW_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets;
static size_t n_secrets;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum dw_log_level level)
{
    min_level = level;
}

int log_parse_level(const char *s, enum dw_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum dw_log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4) /* shorter strings would redact ordinary words */
        return;
    pthread_mutex_lock(&log_lock);
    char **p = realloc(secrets, (n_secrets + 1) * sizeof *p);
    if (p) {
        secrets = p;
        secrets[n_secrets] = strdup(secret);
        if (secrets[n_secrets])
            n_secrets++;
    }
    pthread_mutex_unlock(&log_lock);
}

void log_clear_secrets(void)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    n_secrets = 0;
    pthread_mutex_unlock(&log_lock);
}

/* Appends msg as a logfmt quoted value, redacting secrets (caller holds log_lock). */
static void append_quoted_redacted(struct strbuf *sb, const char *msg)
{
    strbuf_puts(sb, "\"");
    const char *p = msg;
    while (*p) {
        size_t skip = 0;
        for (size_t i = 0; i < n_secrets && !skip; i++) {
            size_t n = strlen(secrets[i]);
            if (strncmp(p, secrets[i], n) == 0)
                skip = n;
        }
        if (skip) {
            strbuf_puts(sb, "[REDACTED]");
            p += skip;
            continue;
        }
        if (*p == '"' || *p == '\\')
            strbuf_printf(sb, "\\%c", *p);
        else if (*p == '\n')
            strbuf_puts(sb, "\\n");
        else if ((unsigned char)*p < 0x20)
            strbuf_printf(sb, "\\u%04x", (unsigned char)*p);
        else
            strbuf_append(sb, p, 1);
        p++;
    }
    strbuf_puts(sb, "\"");
}

/* A logfmt value: bare when it is one token of safe characters, else quoted (caller holds log_lock). */
static void append_value(struct strbuf *sb, const char *v)
{
    int bare = *v != '\0';
    for (const char *p = v; *p && bare; p++)
        bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
               *p == '-' || *p == '.' || *p == '/' || *p == ':';
    if (bare)
        strbuf_puts(sb, v);
    else
        append_quoted_redacted(sb, v);
}

static void log_write(enum dw_log_level level, const char *component, const char *instance, const char *msg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_printf(&sb, "ts=%s.%03ldZ level=%s component=%s ", when, ts.tv_nsec / 1000000, level_names[level],
                  component ? component : "core");
    pthread_mutex_lock(&log_lock);
    if (instance) {
        strbuf_puts(&sb, "instance=");
        append_value(&sb, instance);
        strbuf_puts(&sb, " ");
    }
    strbuf_puts(&sb, "msg=");
    append_quoted_redacted(&sb, msg);
    strbuf_puts(&sb, "\n");
    if (!sb.failed)
        fputs(sb.data, stderr);
    pthread_mutex_unlock(&log_lock);
    strbuf_free(&sb);
}

void log_msg(enum dw_log_level level, const char *component, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_write(level, component, NULL, msg);
}

void log_vmsg_instance(enum dw_log_level level, const char *component, const char *instance, const char *fmt,
                       va_list ap)
{
    if (level < min_level)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_write(level, component, instance, msg);
}
