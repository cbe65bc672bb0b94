/* Sample text → row of cells (see sample_row.h): a small JSON reader that looks up each key among
 * the model's columns and converts values in place; everything else is skipped, never built. */
#include "sample/sample_row.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample/json_hex.h"
#include "sample/numparse.h"

#define MAX_DEPTH 2048 /* as jansson's parser */

struct reader {
    const char *p, *end;
    char *why;
    size_t whylen;
};

static int fail(struct reader *rd, const char *what)
{
    snprintf(rd->why, rd->whylen, "%s", what);
    return -1;
}

static int is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static void skip_ws(struct reader *rd)
{
    while (rd->p < rd->end && (*rd->p == ' ' || *rd->p == '\n' || *rd->p == '\r' || *rd->p == '\t'))
        rd->p++;
}

int sample_is_envelope_key(const char *key, size_t len)
{
    static const char *const keys[] = {"features", "prediction", "label", "score", "timestamp", "request_id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (len == strlen(keys[i]) && memcmp(key, keys[i], len) == 0)
            return 1;
    return 0;
}

int sample_row_init(struct sample_row *r, size_t ncols)
{
    memset(r, 0, sizeof *r);
    r->ncols = ncols;
    r->cells = malloc((ncols ? ncols : 1) * sizeof *r->cells);
    r->given = calloc(ncols ? ncols : 1, sizeof *r->given);
    r->buf_cap = 1024;
    r->buf = malloc(r->buf_cap);
    if (!r->cells || !r->given || !r->buf) {
        sample_row_free(r);
        return -1;
    }
    return 0;
}

void sample_row_free(struct sample_row *r)
{
    free(r->cells);
    free(r->given);
    free(r->buf);
    free(r->unknown);
    memset(r, 0, sizeof *r);
}

/* Remembers a key no column has; beyond SAMPLE_ROW_MAX_UNKNOWN keys or a long key, nothing unless
 * r->unknown_all (for the agent the report is a hint for renamed columns, not an inventory). */
static int note_unknown(struct sample_row *r, const char *key, size_t len)
{
    if (len == 0 || (!r->unknown_all && (r->nunknown >= SAMPLE_ROW_MAX_UNKNOWN || len > SAMPLE_ROW_MAX_UNKNOWN_LEN)))
        return 0;
    if (r->unknown_len + len + 1 > r->unknown_cap) {
        size_t cap = r->unknown_cap ? r->unknown_cap * 2 : 256;
        while (cap < r->unknown_len + len + 1)
            cap *= 2;
        char *u = realloc(r->unknown, cap);
        if (!u)
            return -1;
        r->unknown = u;
        r->unknown_cap = cap;
    }
    memcpy(r->unknown + r->unknown_len, key, len);
    r->unknown[r->unknown_len + len] = '\0';
    r->unknown_len += len + 1;
    r->nunknown++;
    return 0;
}

const char *sample_row_unknown_next(const struct sample_row *r, size_t *off, size_t *len)
{
    if (*off >= r->unknown_len)
        return NULL;
    const char *k = r->unknown + *off;
    *len = strlen(k);
    *off += *len + 1;
    return k;
}

static int buf_reserve(struct sample_row *r, size_t more)
{
    if (r->buf_len + more <= r->buf_cap)
        return 0;
    size_t cap = r->buf_cap * 2;
    while (cap < r->buf_len + more)
        cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b)
        return -1;
    r->buf = b;
    r->buf_cap = cap;
    return 0;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at rd->p (its opening quote). raw, rawlen: its undecoded body; when it has escapes
 * and r is given, the decoded text is appended to r->buf (NUL-terminated) at *off, else *off is -1. */
static int read_string(struct reader *rd, struct sample_row *r, const char **raw, size_t *rawlen, long *off,
                       size_t *len)
{
    const char *s = ++rd->p;
    int escapes = 0;
    while (rd->p < rd->end && *rd->p != '"') {
        if ((unsigned char)*rd->p < 0x20)
            return fail(rd, "control character in a string");
        if (*rd->p == '\\') {
            escapes = 1;
            rd->p++;
        }
        rd->p++;
    }
    if (rd->p >= rd->end)
        return fail(rd, "unterminated string");
    *raw = s;
    *rawlen = (size_t)(rd->p - s);
    rd->p++;
    *off = -1;
    *len = *rawlen;
    if (!escapes || !r)
        return 0;
    /* Decoding never makes a string longer than its escaped form. */
    if (buf_reserve(r, *rawlen + 1) < 0)
        return fail(rd, "out of memory");
    char *out = r->buf + r->buf_len;
    size_t n = 0;
    for (const char *q = s; q < s + *rawlen;) {
        if (*q != '\\') {
            out[n++] = *q++;
            continue;
        }
        char e = q[1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            out[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            q += 2;
            continue;
        }
        unsigned cp;
        if (e != 'u' || s + *rawlen - q < 6 || json_hex4(q + 2, &cp) < 0)
            return fail(rd, "invalid escape in a string");
        q += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (s + *rawlen - q < 6 || q[0] != '\\' || q[1] != 'u' || json_hex4(q + 2, &lo) < 0 || lo < 0xDC00 ||
                lo > 0xDFFF)
                return fail(rd, "invalid \\u surrogate pair");
            q += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            return fail(rd, "invalid \\u escape");
        }
        n += put_utf8(out + n, cp);
    }
    out[n] = '\0';
    *off = (long)r->buf_len;
    *len = n;
    r->buf_len += n + 1;
    return 0;
}

/* Skips any value (iteratively: no recursion on deep input). The text was checked by the probe;
 * this only has to stay in bounds and end. */
static int skip_value(struct reader *rd)
{
    int depth = 0;
    for (;;) {
        skip_ws(rd);
        if (rd->p >= rd->end)
            return fail(rd, "unexpected end of text");
        char c = *rd->p;
        if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH)
                return fail(rd, "too deeply nested");
            rd->p++;
            continue;
        }
        if (c == ',' || c == ':') {
            if (depth == 0)
                return fail(rd, "invalid value");
            rd->p++;
            continue;
        }
        if (c == '}' || c == ']') {
            if (depth == 0)
                return fail(rd, "invalid value");
            depth--;
            rd->p++;
        } else if (c == '"') {
            const char *raw;
            size_t rawlen, len;
            long off;
            if (read_string(rd, NULL, &raw, &rawlen, &off, &len) < 0)
                return -1;
        } else {
            const char *s = rd->p;
            while (rd->p < rd->end && (is_number_char(*rd->p) || (*rd->p >= 'a' && *rd->p <= 'z')))
                rd->p++;
            if (rd->p == s)
                return fail(rd, "invalid value");
        }
        if (depth == 0)
            return 0;
    }
}

enum scalar { S_STRING, S_INTEGER, S_REAL, S_TRUE, S_FALSE, S_NULL, S_CONTAINER };

struct scalar_value {
    enum scalar kind;
    const char *text;  /* string (decoded) or number text */
    size_t len;
    long off;          /* decoded string's offset in the row buffer, -1 when text points into the input */
    long long i;
    double x;
};

/* Reads one value; containers are skipped. */
static int read_scalar(struct reader *rd, struct sample_row *r, struct scalar_value *v)
{
    skip_ws(rd);
    if (rd->p >= rd->end)
        return fail(rd, "unexpected end of text");
    char c = *rd->p;
    if (c == '"') {
        const char *raw;
        size_t rawlen;
        if (read_string(rd, r, &raw, &rawlen, &v->off, &v->len) < 0)
            return -1;
        v->kind = S_STRING;
        v->text = v->off >= 0 ? r->buf + v->off : raw;
        return 0;
    }
    if (c == '{' || c == '[') {
        v->kind = S_CONTAINER;
        return skip_value(rd);
    }
    static const struct {
        const char *word;
        enum scalar kind;
    } words[] = {{"true", S_TRUE}, {"false", S_FALSE}, {"null", S_NULL}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(rd->end - rd->p) >= n && memcmp(rd->p, words[i].word, n) == 0) {
            rd->p += n;
            v->kind = words[i].kind;
            return 0;
        }
    }
    const char *s = rd->p;
    int real = 0;
    while (rd->p < rd->end && is_number_char(*rd->p)) {
        if (*rd->p == '.' || *rd->p == 'e' || *rd->p == 'E')
            real = 1;
        rd->p++;
    }
    size_t n = (size_t)(rd->p - s);
    if (n == 0 || n > 400)
        return fail(rd, "invalid value");
    v->text = s;
    v->len = n;
    v->off = -1;
    char num[401];
    memcpy(num, s, n);
    num[n] = '\0';
    char *endp;
    errno = 0;
    if (!real) {
        /* As jansson: an integer is a long long, a larger one is an error. */
        v->kind = S_INTEGER;
        v->i = strtoll(num, &endp, 10);
        if (errno == ERANGE)
            return fail(rd, "integer out of range");
        if (*endp)
            return fail(rd, "invalid number");
        return 0;
    }
    v->kind = S_REAL;
    if (num_parse(num, n, &v->x) < 0)
        return fail(rd, "invalid or overflowing real number");
    return 0;
}

/* Appends text to the row buffer and returns its categorical cell. */
static int text_cell(struct reader *rd, struct sample_row *r, const char *s, size_t len, long off, uint64_t *cell)
{
    if (off < 0) {
        if (buf_reserve(r, len + 1) < 0)
            return fail(rd, "out of memory");
        off = (long)r->buf_len;
        memcpy(r->buf + off, s, len);
        r->buf[off + (long)len] = '\0';
        r->buf_len += len + 1;
    }
    if ((uint64_t)off > UINT32_MAX || len > INT32_MAX)
        return fail(rd, "sample too large");
    *cell = ((uint64_t)len << 32) | (uint64_t)off;
    return 0;
}

/* A value for column col, as columns_put_json would count it. */
static int put_cell(struct reader *rd, const struct row_schema *s, struct sample_row *r, int col,
                    const struct scalar_value *v)
{
    int numeric = s->numeric(s->cols, col);
    uint64_t *cell = &r->cells[col];
    char tmp[32];
    switch (v->kind) {
    case S_STRING:
        if (v->len == 0 || num_is_nan_text(v->text, v->len)) {
            *cell = CELL_MISSING;
        } else if (numeric) {
            double x;
            if (num_parse(v->text, v->len, &x) == 0)
                memcpy(cell, &x, sizeof x);
            else
                *cell = CELL_INVALID;
        } else {
            return text_cell(rd, r, v->text, v->len, v->off, cell);
        }
        return 0;
    case S_INTEGER:
        if (numeric) {
            double x = (double)v->i;
            memcpy(cell, &x, sizeof x);
            return 0;
        }
        return text_cell(rd, r, tmp, (size_t)snprintf(tmp, sizeof tmp, "%lld", v->i), -1, cell);
    case S_REAL:
        if (numeric) {
            memcpy(cell, &v->x, sizeof v->x);
            return 0;
        }
        return text_cell(rd, r, tmp, num_format(v->x, tmp), -1, cell);
    case S_TRUE:
    case S_FALSE:
        if (numeric) {
            *cell = CELL_INVALID;
            return 0;
        }
        return text_cell(rd, r, v->kind == S_TRUE ? "true" : "false", v->kind == S_TRUE ? 4 : 5, -1, cell);
    case S_NULL:
        *cell = CELL_MISSING;
        return 0;
    case S_CONTAINER:
        *cell = CELL_INVALID;
        return 0;
    }
    return 0;
}

static int expect_char(struct reader *rd, char c, const char *what)
{
    skip_ws(rd);
    if (rd->p >= rd->end || *rd->p != c)
        return fail(rd, what);
    rd->p++;
    return 0;
}

/* Calls member(ctx, key, keylen, rd) for each member of the object at rd->p; member reads the value. */
typedef int (*member_fn)(void *ctx, const char *key, size_t keylen, struct reader *rd);

static int read_object(struct reader *rd, struct sample_row *r, member_fn member, void *ctx)
{
    if (expect_char(rd, '{', "a sample must be a JSON object") < 0)
        return -1;
    skip_ws(rd);
    if (rd->p < rd->end && *rd->p == '}') {
        rd->p++;
        return 0;
    }
    for (;;) {
        skip_ws(rd);
        if (rd->p >= rd->end || *rd->p != '"')
            return fail(rd, "expected a string as object key");
        const char *raw;
        size_t rawlen, keylen;
        long off;
        size_t mark = r ? r->buf_len : 0;
        if (read_string(rd, r, &raw, &rawlen, &off, &keylen) < 0 || expect_char(rd, ':', "expected ':'") < 0)
            return -1;
        const char *key = off >= 0 ? r->buf + off : raw;
        if (member(ctx, key, keylen, rd) < 0)
            return -1;
        if (r && off >= 0 && r->buf_len == (size_t)off + keylen + 1)
            r->buf_len = mark; /* the decoded key is not needed any more */
        skip_ws(rd);
        if (rd->p < rd->end && *rd->p == ',') {
            rd->p++;
            continue;
        }
        return expect_char(rd, '}', "expected ',' or '}'");
    }
}

struct row_ctx {
    const struct row_schema *s;
    struct sample_row *r;
    int nested;
    unsigned seen;            /* top-level special keys seen (bit per key) */
    const char *pred_at, *label_at, *score_at;
};

static int put_member(struct row_ctx *c, int col, struct reader *rd)
{
    struct scalar_value v;
    if (col < 0)
        return skip_value(rd);
    if (c->r->given[col] == c->r->rowno)
        return fail(rd, "a key of the sample appears twice");
    c->r->given[col] = c->r->rowno;
    if (read_scalar(rd, c->r, &v) < 0)
        return -1;
    return put_cell(rd, c->s, c->r, col, &v);
}

static int feature_member(void *ctx, const char *key, size_t keylen, struct reader *rd)
{
    struct row_ctx *c = ctx;
    int col = c->s->find(c->s->cols, key, keylen);
    if (col < 0 && note_unknown(c->r, key, keylen) < 0)
        return fail(rd, "out of memory");
    return put_member(c, col, rd);
}

static void start_row(struct sample_row *r)
{
    r->rowno++;
    for (size_t i = 0; i < r->ncols; i++)
        r->cells[i] = CELL_ABSENT;
    r->unknown_len = r->nunknown = 0;
}

static void class_of(const struct scalar_value *v, char *cls, size_t clslen)
{
    cls[0] = '\0';
    if (v->kind == S_STRING)
        snprintf(cls, clslen, "%.*s", (int)v->len, v->text);
    else if (v->kind == S_INTEGER)
        snprintf(cls, clslen, "%lld", v->i);
    else if (v->kind == S_REAL)
        snprintf(cls, clslen, "%g", v->x);
}

#define SEEN_FEATURES 1u
#define SEEN_PREDICTION 2u
#define SEEN_LABEL 4u
#define SEEN_TIMESTAMP 8u
#define SEEN_SCORE 16u

static int key_is(const char *key, size_t keylen, const char *word)
{
    return keylen == strlen(word) && memcmp(key, word, keylen) == 0;
}

static int top_member(void *ctx, const char *key, size_t keylen, struct reader *rd)
{
    struct row_ctx *c = ctx;
    unsigned bit = key_is(key, keylen, "features")     ? SEEN_FEATURES
                   : key_is(key, keylen, "prediction") ? SEEN_PREDICTION
                   : key_is(key, keylen, "label")      ? SEEN_LABEL
                   : key_is(key, keylen, "timestamp")  ? SEEN_TIMESTAMP
                   : key_is(key, keylen, "score")      ? SEEN_SCORE
                                                       : 0;
    if (bit & c->seen)
        return fail(rd, "a key of the sample appears twice");
    c->seen |= bit;
    skip_ws(rd);
    const char *at = rd->p;
    if (bit == SEEN_FEATURES && at < rd->end && *at == '{') {
        /* A nested sample: what a flat reading put so far does not count. */
        c->nested = 1;
        start_row(c->r);
        return read_object(rd, c->r, feature_member, c);
    }
    if (bit == SEEN_PREDICTION) {
        c->pred_at = at;
        struct reader peek = *rd;
        struct scalar_value v;
        if (read_scalar(&peek, c->r, &v) < 0)
            return -1;
        class_of(&v, c->r->cls, sizeof c->r->cls);
    }
    if (bit == SEEN_LABEL)
        c->label_at = at;
    if (bit == SEEN_SCORE)
        c->score_at = at;
    if (bit == SEEN_TIMESTAMP && at < rd->end && *at == '"') {
        struct reader peek = *rd;
        struct scalar_value v;
        uint64_t cell;
        if (read_scalar(&peek, c->r, &v) < 0 || text_cell(&peek, c->r, v.text, v.len, v.off, &cell) < 0)
            return -1;
        c->r->ts_off = (long)(cell & 0xffffffffu);
        c->r->ts_len = v.len;
    }
    if (c->nested)
        return skip_value(rd);
    int col = c->s->find(c->s->cols, key, keylen);
    /* a flat sample: its keys are features, but for the envelope's */
    if (col < 0 && (c->r->unknown_envelope || !sample_is_envelope_key(key, keylen)) &&
        note_unknown(c->r, key, keylen) < 0)
        return fail(rd, "out of memory");
    return put_member(c, col, rd);
}

/* A nested sample's "prediction", "label" or "score" (scalars only) into its column unless a
 * feature of that name already gave it a value. */
static int put_role(struct row_ctx *c, int col, const char *at, struct reader *outer)
{
    if (!at || col < 0 || c->r->given[col] == c->r->rowno)
        return 0;
    struct reader rd = {.p = at, .end = outer->end, .why = outer->why, .whylen = outer->whylen};
    struct scalar_value v;
    if (read_scalar(&rd, c->r, &v) < 0)
        return -1;
    if (v.kind == S_CONTAINER)
        return 0;
    c->r->given[col] = c->r->rowno;
    return put_cell(&rd, c->s, c->r, col, &v);
}

struct pred_object {
    const char *label_at, *score_at;
};

static int pred_member(void *ctx, const char *key, size_t keylen, struct reader *rd)
{
    struct pred_object *o = ctx;
    skip_ws(rd);
    if (key_is(key, keylen, "label"))
        o->label_at = rd->p;
    else if (key_is(key, keylen, "score"))
        o->score_at = rd->p;
    return skip_value(rd);
}

/* A prediction object {"label", "score"}: its label into the prediction's column, its score into
 * the score's (a top-level "score" wins). */
static int put_prediction_object(struct row_ctx *c, struct reader *outer)
{
    struct reader rd = {.p = c->pred_at, .end = outer->end, .why = outer->why, .whylen = outer->whylen};
    struct pred_object o = {0};
    if (read_object(&rd, NULL, pred_member, &o) < 0)
        return -1;
    return put_role(c, c->s->prediction_col, o.label_at, outer) < 0 ||
                   (!c->score_at && put_role(c, c->s->score_col, o.score_at, outer) < 0)
               ? -1
               : 0;
}

int sample_row_parse(const struct row_schema *s, const char *text, size_t len, struct sample_row *r, char *why,
                     size_t whylen)
{
    struct reader rd = {.p = text, .end = text + len, .why = why, .whylen = whylen};
    struct row_ctx c = {.s = s, .r = r};
    r->buf_len = 0;
    r->ts_off = -1;
    r->ts_len = 0;
    r->cls[0] = '\0';
    start_row(r);
    if (read_object(&rd, r, top_member, &c) < 0)
        return -1;
    skip_ws(&rd);
    if (rd.p != rd.end)
        return fail(&rd, "text after the sample object");
    if (c.nested) {
        int pred_object = c.pred_at && *c.pred_at == '{';
        if ((pred_object ? put_prediction_object(&c, &rd) : put_role(&c, s->prediction_col, c.pred_at, &rd)) < 0 ||
            put_role(&c, s->target_col, c.label_at, &rd) < 0 || put_role(&c, s->score_col, c.score_at, &rd) < 0)
            return -1;
    }
    return 0;
}

const char *sample_row_text(const struct sample_row *r, uint64_t cell, size_t *len)
{
    *len = (size_t)(cell >> 32);
    return r->buf + (cell & 0xffffffffu);
}

const char *sample_row_timestamp(const struct sample_row *r, size_t *len)
{
    if (r->ts_off < 0)
        return NULL;
    *len = r->ts_len;
    return r->buf + r->ts_off;
}

/* Reads a scalar at rd into text (class_of's form); containers are skipped and give "". */
static int envelope_text(struct reader *rd, char *out, size_t outlen, double *number)
{
    struct scalar_value v;
    /* Escaped strings are decoded into a small row buffer of their own. */
    struct sample_row tmp;
    if (sample_row_init(&tmp, 0) < 0)
        return fail(rd, "out of memory");
    int rc = read_scalar(rd, &tmp, &v);
    if (rc == 0) {
        class_of(&v, out, outlen);
        if (v.kind == S_TRUE || v.kind == S_FALSE)
            snprintf(out, outlen, "%s", v.kind == S_TRUE ? "true" : "false");
        if (number)
            *number = v.kind == S_REAL ? v.x : v.kind == S_INTEGER ? (double)v.i : NAN;
    }
    sample_row_free(&tmp);
    return rc;
}

static int prediction_member(void *ctx, const char *key, size_t keylen, struct reader *rd)
{
    struct sample_envelope *e = ctx;
    if (key_is(key, keylen, "label"))
        return envelope_text(rd, e->prediction, sizeof e->prediction, &e->prediction_value);
    if (key_is(key, keylen, "score"))
        return envelope_text(rd, (char[32]){0}, 32, &e->score);
    return skip_value(rd);
}

static int envelope_member(void *ctx, const char *key, size_t keylen, struct reader *rd)
{
    struct sample_envelope *e = ctx;
    if (key_is(key, keylen, "prediction")) {
        skip_ws(rd);
        if (rd->p < rd->end && *rd->p == '{')
            return read_object(rd, NULL, prediction_member, e);
        return envelope_text(rd, e->prediction, sizeof e->prediction, &e->prediction_value);
    }
    if (key_is(key, keylen, "request_id"))
        return envelope_text(rd, e->request_id, sizeof e->request_id, NULL);
    if (key_is(key, keylen, "label"))
        return envelope_text(rd, e->label, sizeof e->label, &e->label_value);
    if (key_is(key, keylen, "score"))
        return envelope_text(rd, (char[32]){0}, 32, &e->score);
    return skip_value(rd);
}

int sample_read_envelope(const char *text, size_t len, struct sample_envelope *e)
{
    char why[64];
    struct reader rd = {.p = text, .end = text + len, .why = why, .whylen = sizeof why};
    memset(e, 0, sizeof *e);
    e->score = e->prediction_value = e->label_value = NAN;
    return read_object(&rd, NULL, envelope_member, e);
}
