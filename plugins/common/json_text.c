/* Text for plugin payloads: string copies and printf, RFC 3339 timestamps, JSON strings from
 * untrusted text that may not be UTF-8, "k=v" values and feature lists. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_common.h"

char *pu_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *pu_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void pu_rfc3339(int64_t unix_s, char *out, size_t outlen)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outlen, "1970-01-01T00:00:00Z");
}

json_t *pu_json_text(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = pu_strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

json_t *pu_param_value(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    if (j && !json_is_null(j))
        return j;
    json_decref(j);
    return json_string(text);
}

char *pu_join_features(const struct dw_trigger_event *ev)
{
    size_t len = 1;
    for (size_t i = 0; i < ev->n_features; i++)
        len += strlen(ev->features[i].name ? ev->features[i].name : "") + 1;
    char *s = calloc(1, len);
    size_t used = 0;
    for (size_t i = 0; s && i < ev->n_features; i++) {
        const char *name = ev->features[i].name ? ev->features[i].name : "";
        size_t n = strlen(name);
        if (i)
            s[used++] = ',';
        memcpy(s + used, name, n);
        used += n;
    }
    return s;
}

char *pu_json_dump_for_host(const struct dw_host *host, const json_t *v, size_t flags)
{
    size_t n = json_dumpb(v, NULL, 0, flags);
    char *text = n ? host->alloc(n + 1) : NULL;
    if (text && json_dumpb(v, text, n, flags) != n) {
        host->free(text);
        text = NULL;
    }
    if (text)
        text[n] = '\0';
    return text;
}
