/* Sample shape validation for the ingest probes (see sample_check.h): what the core would reject
 * is caught here first, where the probe still knows the line number and the JSON path. */
#include "sample_check.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void sample_path_append_key(char *path, size_t pathlen, const char *key)
{
    size_t used = strlen(path);
    if (used >= pathlen)
        return;
    int plain = key[0] != '\0' && (isalpha((unsigned char)key[0]) || key[0] == '_');
    for (const char *p = key; plain && *p; p++)
        plain = isalnum((unsigned char)*p) || *p == '_';
    if (plain) {
        snprintf(path + used, pathlen - used, ".%s", key);
        return;
    }
    /* Quoted member: escape quotes and backslashes, drop control characters. */
    char quoted[256];
    size_t q = 0;
    for (const char *p = key; *p && q + 3 < sizeof quoted; p++) {
        if (*p == '"' || *p == '\\')
            quoted[q++] = '\\';
        if ((unsigned char)*p >= 0x20)
            quoted[q++] = *p;
    }
    quoted[q] = '\0';
    snprintf(path + used, pathlen - used, "[\"%s\"]", quoted);
}

static int digits(const char *s, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 0;
}

int sample_is_rfc3339(const char *s)
{
    int year, month, day, hour, minute, second;
    /* RFC 3339 §5.6: full-date "T" partial-time time-offset; "t" and " " are allowed separators. */
    if (strlen(s) < 20 || digits(s, 4, &year) || s[4] != '-' || digits(s + 5, 2, &month) || s[7] != '-' ||
        digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &hour) ||
        s[13] != ':' || digits(s + 14, 2, &minute) || s[16] != ':' || digits(s + 17, 2, &second))
        return 0;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return 1;
    int oh, om;
    if ((*p == '+' || *p == '-') && !digits(p + 1, 2, &oh) && p[3] == ':' && !digits(p + 4, 2, &om) &&
        p[6] == '\0' && oh <= 23 && om <= 59)
        return 1;
    return 0;
}

static int is_scalar(const json_t *v)
{
    return json_is_number(v) || json_is_string(v) || json_is_boolean(v) || json_is_null(v);
}

static int fail(char *path, size_t pathlen, const char *prefix, const char *key1, const char *key2, char *why,
                size_t whylen, const char *reason)
{
    snprintf(path, pathlen, "%s", prefix);
    if (key1)
        sample_path_append_key(path, pathlen, key1);
    if (key2)
        sample_path_append_key(path, pathlen, key2);
    snprintf(why, whylen, "%s", reason);
    return -1;
}

static int check_features(const json_t *obj, const char *prefix, const char *under, char *path, size_t pathlen,
                          char *why, size_t whylen)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        if (!is_scalar(value))
            return fail(path, pathlen, prefix, under, key, why, whylen,
                        under ? "a feature value must be a number, string, boolean or null"
                              : "a feature value must be a number, string, boolean or null (in a flat sample "
                                "every key is a feature; use {\"features\": {...}, \"prediction\": ...} for more)");
    }
    return 0;
}

int sample_check(const json_t *v, const char *prefix, char *path, size_t pathlen, char *why, size_t whylen)
{
    if (!json_is_object(v))
        return fail(path, pathlen, prefix, NULL, NULL, why, whylen,
                    "a sample must be a JSON object ({\"features\": {...}, \"prediction\": ...} or flat features)");
    const json_t *features = json_object_get(v, "features");
    if (!features) {
        if (json_object_size(v) == 0)
            return fail(path, pathlen, prefix, NULL, NULL, why, whylen, "a sample needs at least one feature");
        return check_features(v, prefix, NULL, path, pathlen, why, whylen);
    }
    if (!json_is_object(features))
        return fail(path, pathlen, prefix, "features", NULL, why, whylen,
                    "'features' must be an object of feature name to value");
    if (json_object_size(features) == 0)
        return fail(path, pathlen, prefix, "features", NULL, why, whylen, "'features' is empty");
    if (check_features(features, prefix, "features", path, pathlen, why, whylen) < 0)
        return -1;
    const json_t *ts = json_object_get(v, "timestamp");
    if (ts && !json_is_null(ts) && !(json_is_string(ts) && sample_is_rfc3339(json_string_value(ts))))
        return fail(path, pathlen, prefix, "timestamp", NULL, why, whylen,
                    "'timestamp' must be an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\"");
    const json_t *rid = json_object_get(v, "request_id");
    if (rid && !json_is_null(rid) && !json_is_string(rid) && !json_is_integer(rid))
        return fail(path, pathlen, prefix, "request_id", NULL, why, whylen, "'request_id' must be a string");
    return 0;
}
