/* JSON data files, every sample through the sample reader (core/sample): a JSON Lines line as the
 * agent reads an NDJSON line, a JSON array's elements as a batch's; each sample's problem reported
 * as a bad row with path:line[:column] and its JSON path. Also the bad-row and progress reporting
 * the CSV half shares (see source_json.h). */
#include "data/source_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample/sample_batch.h"
#include "sample/sample_check.h"

int source_bad_row(const struct source_options *o, uint64_t *count, const char *msg, char *err, size_t errlen)
{
    if (o && o->strict) {
        snprintf(err, errlen, "%s (fatal with --strict)", msg);
        return -1;
    }
    (*count)++;
    if (o && o->on_bad_row)
        o->on_bad_row(o->ud, msg);
    return 0;
}

void source_progress(const struct source_options *o, const char *phase, struct csv_reader *r, uint64_t *next)
{
    if (!o || !o->on_progress)
        return;
    uint64_t off = csv_offset(r);
    if (off >= *next) {
        o->on_progress(o->ud, phase, off, csv_size(r));
        *next = off + PROGRESS_EVERY;
    }
}

static void json_bad(struct json_pass *j, const char *msg)
{
    if (source_bad_row(j->o, j->bad_rows, msg, j->err, j->errlen) < 0)
        j->failed = 1;
}

/* One sample (problem NULL, or only empty: the sample contract refuses a sample without any
 * feature value, a data file has always read it as a row of missing values). */
static void json_take(struct json_pass *j, const char *text, size_t len, const char *skipped)
{
    char why[256];
    int rc = j->row(j->ud, text, len, why, sizeof why);
    if (rc == 0) {
        (*j->rows)++;
    } else if (rc == -2) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s:%llu: %s; %s skipped", j->path, (unsigned long long)j->line, why, skipped);
        json_bad(j, msg);
    } else {
        snprintf(j->err, j->errlen, "%s: out of memory", j->path);
        j->failed = 1;
    }
}

/* A JSON Lines line, as the agent reads an NDJSON line (blanks around it trimmed). */
static void json_line_item(void *ctx, const struct sample_item *it)
{
    struct json_pass *j = ctx;
    const struct sample_problem *p = it->problem;
    if (j->failed)
        return;
    if (!p || p->empty) {
        json_take(j, it->text, it->len, "line");
        return;
    }
    char msg[1024];
    if (p->syntax)
        snprintf(msg, sizeof msg, "%s:%llu:%zu: invalid JSON: %s; line skipped", j->path, (unsigned long long)j->line,
                 it->column0 + p->offset + 1, p->why);
    else
        snprintf(msg, sizeof msg, "%s:%llu: %s: %s; line skipped", j->path, (unsigned long long)j->line, p->path,
                 p->why);
    json_bad(j, msg);
}

int source_json_lines(struct json_pass *j, struct csv_reader *r, const char *phase)
{
    uint64_t next_progress = PROGRESS_EVERY;
    char msg[1024];
    struct csv_row line;
    int k;
    while (!j->failed && (k = csv_read_row(r, &line, msg, sizeof msg)) != 0) {
        if (k == -1) {
            snprintf(j->err, j->errlen, "%s", msg);
            return -1;
        }
        j->line = line.line;
        sample_read_ndjson(line.fields[0].ptr, line.fields[0].len, json_line_item, j);
        source_progress(j->o, phase, r, &next_progress);
    }
    if (j->failed)
        return -1;
    if (*j->rows == 0 && *j->bad_rows == 0 && csv_offset(r) == 0) {
        snprintf(j->err, j->errlen, "%s: empty file", j->path);
        return -1;
    }
    return 0;
}

/* An element of a JSON array file, named by its JSON path and its line. */
static void json_array_item(void *ctx, size_t index, const char *start, size_t len, const struct sample_problem *p)
{
    struct json_pass *j = ctx;
    (void)index;
    if (j->failed)
        return;
    /* elements come in order: count the lines since the last one */
    size_t off = (size_t)(start - j->text);
    for (size_t i = j->line_off; i < off; i++)
        j->line += j->text[i] == '\n';
    j->line_off = off;
    if (!p || p->empty) {
        json_take(j, start, len, "element");
        return;
    }
    char msg[1024];
    snprintf(msg, sizeof msg, "%s:%llu: %s: %s; element skipped", j->path, (unsigned long long)j->line, p->path,
             p->why);
    json_bad(j, msg);
}

int source_json_array(struct json_pass *j, const char *text, size_t len)
{
    j->text = text;
    j->line = 1;
    j->line_off = 0;
    struct sample_problem prob;
    if (sample_check_batch(text, len, json_array_item, j, &prob) < 0) {
        size_t line, col;
        sample_line_col(text, prob.offset, &line, &col);
        snprintf(j->err, j->errlen, "%s:%zu:%zu: invalid JSON: %s", j->path, line, col, prob.why);
        return -1;
    }
    return j->failed ? -1 : 0;
}

int source_read_whole(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            snprintf(err, errlen, "%s: out of memory", path);
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown)
            free(buf);
        buf = grown;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}
