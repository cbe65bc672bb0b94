/* Request bodies as samples (see sample_batch.h). */
#include "sample/sample_batch.h"

#include <stdio.h>
#include <string.h>

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

size_t sample_read_ndjson(const char *body, size_t len, sample_item_fn fn, void *ctx)
{
    size_t line = 0, n = 0;
    for (const char *p = body, *end = body + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        line++;
        const char *start = p, *line_start = p;
        p = stop + 1;
        while (start < stop && blank(*start))
            start++;
        const char *last = stop;
        while (last > start && blank(last[-1]))
            last--;
        if (last == start)
            continue;
        struct sample_problem prob;
        int bad = sample_check_text(start, (size_t)(last - start), "$", &prob) < 0;
        struct sample_item it = {
            .index = n++, .line = line, .column0 = (size_t)(start - line_start), .text = start, .len = (size_t)(last - start), .problem = bad ? &prob : NULL};
        fn(ctx, &it);
    }
    return n;
}

struct json_items {
    sample_item_fn fn;
    void *ctx;
};

static void on_element(void *ctx, size_t index, const char *start, size_t len, const struct sample_problem *problem)
{
    struct json_items *j = ctx;
    /* only shape problems reach here (a syntax error refuses the whole body): they are read by path */
    struct sample_item it = {.index = index, .text = start, .len = len, .problem = problem};
    j->fn(j->ctx, &it);
}

int sample_body_has_lines(const char *body, size_t len)
{
    const char *nl = memchr(body, '\n', len);
    if (!nl)
        return 0;
    for (const char *p = nl + 1; p < body + len; p++)
        if (!blank(*p))
            return 1;
    return 0;
}

long sample_read_body(const char *body, size_t len, sample_item_fn fn, void *ctx, struct sample_problem *prob)
{
    struct json_items j = {.fn = fn, .ctx = ctx};
    long n = sample_check_batch(body, len, on_element, &j, prob);
    if (n >= 0 || !sample_body_has_lines(body, len))
        return n;
    return (long)sample_read_ndjson(body, len, fn, ctx);
}

void sample_item_describe(const struct sample_item *it, char *out, size_t outlen)
{
    const struct sample_problem *p = it->problem;
    if (!p) {
        snprintf(out, outlen, "a valid sample");
        return;
    }
    if (p->syntax) {
        /* an NDJSON line: the problem's offset is within the line's text */
        snprintf(out, outlen, "line %zu, column %zu: %s", it->line, it->column0 + p->offset + 1, p->why);
        return;
    }
    if (it->line)
        snprintf(out, outlen, "line %zu: %s: %s", it->line, p->path, p->why);
    else
        snprintf(out, outlen, "%s: %s", p->path, p->why);
}

void sample_body_describe(const char *body, const struct sample_problem *prob, char *out, size_t outlen)
{
    size_t line, col;
    sample_line_col(body, prob->offset, &line, &col);
    snprintf(out, outlen, "line %zu, column %zu: %s", line, col, prob->why);
}
