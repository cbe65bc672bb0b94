/* Samples per second from a body to rows of cells, single thread, no window or journal:
 *   one reader:  sample_read_body (validate + split) then sample_row_parse per valid sample, as the
 *                core now reads what proxy/canary/kserve emit and push/tail check;
 *   validation:  sample_read_body alone (where the reader's time goes);
 *   jansson:     the core's former emit_samples path — jansson parses and validates the body, each
 *                array element is encoded back to text (json_dumps), then sample_row_parse.
 * Bodies: 1000 samples of 20 numeric features + 2 categorical, as a JSON array (what the tap emits)
 * and as NDJSON (what push receives). Prints figures; asserts nothing.
 *   bench_reader [ROUNDS]   (default 200 bodies per figure) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/columns.h"
#include "jansson_reference.h"
#include "sample/sample_batch.h"
#include "sample/sample_row.h"
#include "util/strbuf.h"

#define SAMPLES 1000
#define NUMERIC 20

struct reader_ctx {
    const struct row_schema *schema;
    struct sample_row *row;
    size_t rows;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_row(struct reader_ctx *c, const char *text, size_t len)
{
    char why[192];
    if (sample_row_parse(c->schema, text, len, c->row, why, sizeof why) < 0) {
        fprintf(stderr, "bench_reader: a generated sample was refused: %s\n", why);
        exit(1);
    }
    c->rows++;
}

static void on_item(void *ctx, const struct sample_item *it)
{
    if (!it->problem)
        read_row(ctx, it->text, it->len);
}

/* Validation and splitting alone: where the reader's time goes. */
static void on_item_unread(void *ctx, const struct sample_item *it)
{
    struct reader_ctx *c = ctx;
    c->rows += !it->problem;
}

static int on_jansson(void *ctx, json_t *sample, const char *text, size_t len)
{
    char *dumped = text ? NULL : json_dumps(sample, JSON_COMPACT);
    read_row(ctx, text ? text : dumped, text ? len : strlen(dumped));
    free(dumped);
    return 0;
}

static void body(struct strbuf *sb, int ndjson)
{
    if (!ndjson)
        strbuf_puts(sb, "[");
    for (int i = 0; i < SAMPLES; i++) {
        if (i && !ndjson)
            strbuf_puts(sb, ",");
        strbuf_puts(sb, "{\"features\": {");
        for (int f = 0; f < NUMERIC; f++)
            strbuf_printf(sb, "\"f%02d\": %.6f, ", f, (double)((i * 7919 + f * 104729) % 100000) / 997.0);
        strbuf_printf(sb, "\"country\": \"%s\", \"device\": \"%s\"}, \"prediction\": %d, "
                      "\"timestamp\": \"2026-05-01T12:00:%02d.%03dZ\", \"request_id\": \"r-%d\"}",
                      i % 3 ? "DE" : "FR", i % 5 ? "ios" : "android", i % 2, i % 60, i % 1000, i);
        strbuf_puts(sb, ndjson ? "\n" : "");
    }
    if (!ndjson)
        strbuf_puts(sb, "]");
}

/* how: 0 the one reader, 1 jansson, 2 the one reader's validation and split only */
static double run(const char *what, const struct strbuf *b, int how, int rounds, struct reader_ctx *c)
{
    double t0 = now_s();
    for (int r = 0; r < rounds; r++) {
        if (how == 1) {
            struct ref_stats st;
            ref_parse_body(b->data, b->len, on_jansson, c, &st);
        } else {
            struct sample_problem prob;
            sample_read_body(b->data, b->len, how == 2 ? on_item_unread : on_item, c, &prob);
        }
    }
    double dt = now_s() - t0, rate = (double)SAMPLES * rounds / dt;
    printf("  %-28s %10.0f samples/s  (%.1f MB/s)\n", what, rate, (double)b->len * rounds / dt / 1e6);
    return rate;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    struct columns *cols = columns_new(NULL);
    char name[8];
    for (int f = 0; f < NUMERIC; f++) {
        snprintf(name, sizeof name, "f%02d", f);
        columns_add(cols, name, COL_NUMERIC, ROLE_FEATURE);
    }
    columns_add(cols, "country", COL_CATEGORICAL, ROLE_FEATURE);
    columns_add(cols, "device", COL_CATEGORICAL, ROLE_FEATURE);
    struct row_schema schema;
    columns_row_schema(&schema, cols);
    struct sample_row row;
    sample_row_init(&row, cols->ncols);
    struct reader_ctx c = {.schema = &schema, .row = &row};
    struct strbuf arr, nd;
    strbuf_init(&arr);
    strbuf_init(&nd);
    body(&arr, 0);
    body(&nd, 1);
    printf("== %d-sample bodies (%d numeric + 2 categorical features), %d bodies each, one thread\n", SAMPLES,
           NUMERIC, rounds);
    double a1 = run("JSON array, one reader", &arr, 0, rounds, &c);
    double a0 = run("JSON array, jansson (before)", &arr, 1, rounds, &c);
    run("JSON array, validation only", &arr, 2, rounds, &c);
    double n1 = run("NDJSON, one reader", &nd, 0, rounds, &c);
    double n0 = run("NDJSON, jansson (before)", &nd, 1, rounds, &c);
    run("NDJSON, validation only", &nd, 2, rounds, &c);
    printf("  speed-up: array %.2fx, NDJSON %.2fx\n", a1 / a0, n1 / n0);
    strbuf_free(&arr);
    strbuf_free(&nd);
    sample_row_free(&row);
    columns_free(cols);
    return 0;
}
