/* JSON writer helpers; see jsonw.h. */
#include "util/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sample/numparse.h"

void jsonw_string(struct strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    strbuf_append(sb, "\"", 1);
    size_t run = 0; /* start of a run of bytes that need no escaping */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_append(sb, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': strbuf_append(sb, "\\\"", 2); break;
        case '\\': strbuf_append(sb, "\\\\", 2); break;
        case '\n': strbuf_append(sb, "\\n", 2); break;
        case '\r': strbuf_append(sb, "\\r", 2); break;
        case '\t': strbuf_append(sb, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_append(sb, u, 6);
        }
        }
    }
    strbuf_append(sb, s + run, len - run);
    strbuf_append(sb, "\"", 1);
}

void jsonw_number(struct strbuf *sb, double x)
{
    if (!isfinite(x)) {
        strbuf_append(sb, "null", 4);
        return;
    }
    char buf[32];
    size_t n = num_format(x, buf);
    strbuf_append(sb, buf, n);
}

static void newline(struct strbuf *sb, int indent, int level)
{
    if (!indent)
        return;
    strbuf_append(sb, "\n", 1);
    for (int i = 0; i < indent * level; i++)
        strbuf_append(sb, " ", 1);
}

static void dump(struct strbuf *sb, const json_t *v, int indent, int level)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0) {
            strbuf_append(sb, "{}", 2);
            return;
        }
        strbuf_append(sb, "{", 1);
        const char *key;
        size_t klen;
        json_t *val;
        int first = 1;
        json_object_keylen_foreach((json_t *)v, key, klen, val)
        {
            if (!first)
                strbuf_append(sb, ",", 1);
            first = 0;
            newline(sb, indent, level + 1);
            jsonw_string(sb, key, klen);
            strbuf_append(sb, indent ? ": " : ":", indent ? 2 : 1);
            dump(sb, val, indent, level + 1);
        }
        newline(sb, indent, level);
        strbuf_append(sb, "}", 1);
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 0) {
            strbuf_append(sb, "[]", 2);
            return;
        }
        /* arrays of scalars stay on one line */
        int scalars = 1;
        for (size_t i = 0; i < n && scalars; i++)
            scalars = !json_is_object(json_array_get(v, i)) && !json_is_array(json_array_get(v, i));
        strbuf_append(sb, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_append(sb, scalars && indent ? ", " : ",", scalars && indent ? 2 : 1);
            if (!scalars)
                newline(sb, indent, level + 1);
            dump(sb, json_array_get(v, i), indent, level + 1);
        }
        if (!scalars)
            newline(sb, indent, level);
        strbuf_append(sb, "]", 1);
        return;
    }
    case JSON_STRING:
        jsonw_string(sb, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_REAL:
        jsonw_number(sb, json_real_value(v));
        return;
    case JSON_TRUE:
        strbuf_append(sb, "true", 4);
        return;
    case JSON_FALSE:
        strbuf_append(sb, "false", 5);
        return;
    case JSON_NULL:
        strbuf_append(sb, "null", 4);
        return;
    }
}

void jsonw_dump(struct strbuf *sb, const json_t *v, int indent)
{
    if (!v) {
        strbuf_append(sb, "null", 4);
        return;
    }
    dump(sb, v, indent, 0);
}

void jsonw_error(struct strbuf *sb, const char *msg, int status)
{
    strbuf_puts(sb, "{\"error\": ");
    jsonw_string(sb, msg, strlen(msg));
    strbuf_printf(sb, ", \"status\": %d}\n", status);
}
