/* Scalar value parsers for config text (see values.h). Strict: trailing junk is an error. */
#include "util/values.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

int value_parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(d))
        return -1;
    *v = d;
    return 0;
}

int value_parse_int(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return -1;
    *v = x;
    return 0;
}

int value_parse_bool(const char *s, int *b)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", "Off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *b = 1;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *b = 0;
            return 0;
        }
    }
    return -1;
}

/* Number with a unit suffix: "<number><unit>", unit looked up in units[] (NULL-terminated pairs). */
static int parse_with_unit(const char *s, const char *const *units, const double *factors, const char *bare_unit,
                           int64_t *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(x) || x < 0)
        return -1;
    const char *unit = *end ? end : bare_unit;
    for (size_t i = 0; units[i]; i++) {
        if (strcmp(unit, units[i]) == 0) {
            double v = x * factors[i];
            if (v > 9.2e18)
                return -1;
            *out = (int64_t)llround(v);
            return 0;
        }
    }
    return -1;
}

int value_parse_duration_ms(const char *s, int64_t *ms)
{
    static const char *const units[] = {"ms", "s", "m", "h", "d", NULL};
    static const double factors[] = {1, 1e3, 60e3, 3600e3, 86400e3};
    return parse_with_unit(s, units, factors, "s", ms);
}

int value_parse_size(const char *s, int64_t *bytes)
{
    static const char *const units[] = {"B", "K", "KB", "KiB", "M", "MB", "MiB", "G", "GB", "GiB", NULL};
    static const double factors[] = {1, 1024., 1024., 1024., 1048576., 1048576., 1048576., 1073741824.,
                                     1073741824., 1073741824.};
    return parse_with_unit(s, units, factors, "B", bytes);
}

int value_expand_env(const char *in, char **out, char *missing, size_t missinglen)
{
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "");
    const char *p = in;
    while (*p) {
        if (p[0] != '$' || p[1] != '{') {
            strbuf_append(&sb, p++, 1);
            continue;
        }
        const char *close = strchr(p + 2, '}');
        if (!close) {
            snprintf(missing, missinglen, "syntax");
            strbuf_free(&sb);
            return -1;
        }
        char name[256];
        size_t n = (size_t)(close - (p + 2));
        if (n == 0 || n >= sizeof name) {
            snprintf(missing, missinglen, "syntax");
            strbuf_free(&sb);
            return -1;
        }
        memcpy(name, p + 2, n);
        name[n] = '\0';
        const char *def = NULL;
        char *sep = strstr(name, ":-");
        if (sep) {
            *sep = '\0';
            def = sep + 2;
        }
        const char *val = getenv(name);
        if (!val || (!*val && def))
            val = def;
        if (!val) {
            snprintf(missing, missinglen, "%s", name);
            strbuf_free(&sb);
            return -1;
        }
        strbuf_puts(&sb, val);
        p = close + 1;
    }
    *out = strbuf_detach(&sb, NULL);
    return *out ? 0 : -1;
}

int value_read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read secret file %s: %s", path, strerror(errno));
        return -1;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && sb.len < 1 << 20)
        strbuf_append(&sb, buf, n);
    fclose(f);
    while (sb.len > 0 && (sb.data[sb.len - 1] == '\n' || sb.data[sb.len - 1] == '\r'))
        sb.data[--sb.len] = '\0';
    if (sb.len == 0) {
        strbuf_free(&sb);
        snprintf(err, errlen, "secret file %s is empty", path);
        return -1;
    }
    *out = strbuf_detach(&sb, NULL);
    return *out ? 0 : -1;
}
