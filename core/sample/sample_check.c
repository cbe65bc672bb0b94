/* Sample validation (see sample_check.h): a recursive-descent JSON scanner
 * that validates as it goes and looks at the few keys a sample's shape depends on. */
#include "sample/sample_check.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample/json_hex.h"
#include "sample/rfc3339.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

enum vtype { V_ERROR = -1, V_OBJECT = 0, V_ARRAY, V_STRING, V_INTEGER, V_REAL, V_TRUE, V_FALSE, V_NULL };

struct scanner {
    const char *start, *p, *end;
    struct sample_problem *prob;
    int failed;      /* a syntax problem: scanning stops */
    int shape_bad;   /* a shape problem was recorded (the first one is kept) */
    int depth0;      /* containers around the sample being scanned: 1 for an element of a batch */
};

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

void sample_line_col(const char *text, size_t offset, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* ---- errors ---- */

static void syntax_error(struct scanner *sc, const char *what)
{
    if (sc->failed)
        return;
    sc->failed = 1;
    sc->prob->syntax = 1;
    sc->prob->empty = 0;
    sc->prob->offset = (size_t)(sc->p - sc->start);
    sc->prob->path[0] = '\0';
    snprintf(sc->prob->why, sizeof sc->prob->why, "%s", what);
}

static void shape_error(struct scanner *sc, const char *prefix, const char *key1, const char *key2, const char *why)
{
    if (sc->failed)
        return;
    if (sc->shape_bad) {
        sc->prob->empty = 0; /* the sample has another problem than being empty */
        return;
    }
    sc->shape_bad = 1;
    sc->prob->syntax = 0;
    sc->prob->empty = 0;
    sc->prob->offset = (size_t)(sc->p - sc->start);
    snprintf(sc->prob->path, sizeof sc->prob->path, "%s", prefix);
    if (key1)
        sample_path_append_key(sc->prob->path, sizeof sc->prob->path, key1);
    if (key2)
        sample_path_append_key(sc->prob->path, sizeof sc->prob->path, key2);
    snprintf(sc->prob->why, sizeof sc->prob->why, "%s", why);
}

/* A sample without any feature value: a shape problem the data file reader lets pass (see
 * sample_problem.empty) when it is the only one. */
static void empty_error(struct scanner *sc, const char *prefix, const char *key, const char *why)
{
    int first = !sc->shape_bad && !sc->failed;
    shape_error(sc, prefix, key, NULL, why);
    if (first)
        sc->prob->empty = 1;
}

/* ---- JSON (RFC 8259) ---- */

static void skip_ws(struct scanner *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\r' || *sc->p == '\t'))
        sc->p++;
}

/* FNV-1a over decoded key bytes, for the duplicate-key check. */
static void hash_bytes(uint64_t *h, const char *b, size_t k)
{
    if (!h)
        return;
    for (size_t i = 0; i < k; i++) {
        *h ^= (unsigned char)b[i];
        *h *= UINT64_C(0x100000001b3);
    }
}

/* Appends code point cp as UTF-8 to out (when there is room) and to the hash (when given). */
static void put_utf8(char *out, size_t cap, size_t *n, unsigned cp, uint64_t *hash)
{
    char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    hash_bytes(hash, b, k);
    if (out && *n + k < cap)
        memcpy(out + *n, b, k);
    *n += k;
}

/* Length of a valid UTF-8 sequence at p (no overlong forms, no surrogates, <= U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* A string at sc->p (on its opening quote). When out is given, its decoded UTF-8 is written there
 * (NUL-terminated, cut at cap - 1 bytes) and *out_len tells the full length; when hash is given,
 * it receives the FNV-1a hash of the whole decoded text. */
static int scan_string(struct scanner *sc, char *out, size_t cap, size_t *out_len, uint64_t *hash)
{
    size_t n = 0;
    if (hash)
        *hash = UINT64_C(0xcbf29ce484222325);
    sc->p++;
    for (;;) {
        if (sc->p >= sc->end) {
            syntax_error(sc, "unterminated string");
            return -1;
        }
        unsigned char c = (unsigned char)*sc->p;
        if (c == '"') {
            sc->p++;
            break;
        }
        if (c < 0x20) {
            syntax_error(sc, "control character in a string");
            return -1;
        }
        if (c == '\\') {
            if (sc->end - sc->p < 2) {
                syntax_error(sc, "unterminated string");
                return -1;
            }
            char e = sc->p[1];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e && simple) {
                static const char decoded[] = "\"\\/\b\f\n\r\t";
                const char *d = &decoded[simple - "\"\\/bfnrt"];
                hash_bytes(hash, d, 1);
                if (out && n + 1 < cap)
                    out[n] = *d;
                n++;
                sc->p += 2;
                continue;
            }
            unsigned cp;
            if (e != 'u' || sc->end - sc->p < 6 || json_hex4(sc->p + 2, &cp) < 0) {
                syntax_error(sc, "invalid escape in a string");
                return -1;
            }
            sc->p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (sc->end - sc->p < 6 || sc->p[0] != '\\' || sc->p[1] != 'u' || json_hex4(sc->p + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF) {
                    syntax_error(sc, "invalid \\u surrogate pair");
                    return -1;
                }
                sc->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                syntax_error(sc, "invalid \\u surrogate pair");
                return -1;
            } else if (cp == 0) {
                syntax_error(sc, "\\u0000 is not allowed");
                return -1;
            }
            put_utf8(out, cap, &n, cp, hash);
            continue;
        }
        if (c < 0x80) {
            hash_bytes(hash, sc->p, 1);
            if (out && n + 1 < cap)
                out[n] = (char)c;
            n++;
            sc->p++;
            continue;
        }
        size_t k = utf8_len((const unsigned char *)sc->p, (const unsigned char *)sc->end);
        if (!k) {
            syntax_error(sc, "invalid UTF-8 in a string");
            return -1;
        }
        hash_bytes(hash, sc->p, k);
        if (out && n + k < cap)
            memcpy(out + n, sc->p, k);
        n += k;
        sc->p += k;
    }
    if (out)
        out[n < cap ? n : cap - 1] = '\0';
    if (out_len)
        *out_len = n;
    return 0;
}

/* ---- duplicate keys ---- */

/* The keys of one object, by hash and position, so that a repeated key is refused as the core's
 * parser refuses it (JSON_REJECT_DUPLICATES): a sample with two values for one feature is
 * ambiguous. Small objects stay in the inline array; the check is at the object's end. */
struct keyref {
    uint64_t hash;
    size_t off;     /* the key's opening quote, from sc->start */
    size_t raw_len; /* its encoded length, quotes included (>= its decoded length) */
};

struct keyset {
    struct keyref inline_refs[8];
    struct keyref *refs;
    size_t n, cap;
};

static void keyset_init(struct keyset *ks)
{
    ks->refs = ks->inline_refs;
    ks->n = 0;
    ks->cap = sizeof ks->inline_refs / sizeof ks->inline_refs[0];
}

static void keyset_free(struct keyset *ks)
{
    if (ks->refs != ks->inline_refs)
        free(ks->refs);
}

static int keyset_add(struct scanner *sc, struct keyset *ks, uint64_t hash, const char *key_start)
{
    if (ks->n == ks->cap) {
        size_t cap = ks->cap * 2;
        struct keyref *grown = ks->refs == ks->inline_refs ? malloc(cap * sizeof *grown)
                                                           : realloc(ks->refs, cap * sizeof *grown);
        if (!grown) {
            syntax_error(sc, "out of memory");
            return -1;
        }
        if (ks->refs == ks->inline_refs)
            memcpy(grown, ks->inline_refs, sizeof ks->inline_refs);
        ks->refs = grown;
        ks->cap = cap;
    }
    ks->refs[ks->n++] = (struct keyref){hash, (size_t)(key_start - sc->start), (size_t)(sc->p - key_start)};
    return 0;
}

/* Decodes the key at ref into a malloc'd buffer; NULL when out of memory. */
static char *keyref_decode(const struct scanner *sc, const struct keyref *ref, size_t *len)
{
    char *buf = malloc(ref->raw_len + 1);
    struct sample_problem ignored;
    struct scanner one = {.start = sc->start, .p = sc->start + ref->off, .end = sc->end, .prob = &ignored};
    if (buf && scan_string(&one, buf, ref->raw_len + 1, len, NULL) < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* 1 when the two keys decode to the same text (their hashes being equal), -1 out of memory. */
static int keyref_same(const struct scanner *sc, const struct keyref *a, const struct keyref *b)
{
    size_t la = 0, lb = 0;
    char *ka = keyref_decode(sc, a, &la), *kb = keyref_decode(sc, b, &lb);
    int same = ka && kb ? la == lb && memcmp(ka, kb, la) == 0 : -1;
    free(ka);
    free(kb);
    return same;
}

static int keyref_cmp(const void *x, const void *y)
{
    const struct keyref *a = x, *b = y;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return a->off < b->off ? -1 : a->off > b->off;
}

/* At an object's end: a syntax error at the second of two equal keys, if any. */
static int keyset_check(struct scanner *sc, struct keyset *ks)
{
    const struct keyref *dup = NULL;
    /* A small object is compared pair by pair in text order; a large one is sorted by hash, so
     * that equal hashes sit together (in text order) and each is compared with those before it. */
    int sorted = ks->n > sizeof ks->inline_refs / sizeof ks->inline_refs[0];
    if (sorted)
        qsort(ks->refs, ks->n, sizeof *ks->refs, keyref_cmp);
    for (size_t i = 1; i < ks->n; i++) {
        for (size_t j = i; j-- > 0;) {
            if (ks->refs[j].hash != ks->refs[i].hash) {
                if (sorted)
                    break;
                continue;
            }
            int same = keyref_same(sc, &ks->refs[j], &ks->refs[i]);
            if (same < 0) {
                syntax_error(sc, "out of memory");
                return -1;
            }
            if (same && (!dup || ks->refs[i].off < dup->off))
                dup = &ks->refs[i];
            if (same)
                break;
        }
    }
    if (!dup)
        return 0;
    /* Named in the message as jansson names it (quotes and backslashes escaped, control
     * characters dropped, cut to fit). */
    char why[200] = "duplicate object key";
    size_t len = 0, n = strlen(why);
    char *key = keyref_decode(sc, dup, &len);
    if (key) {
        n += (size_t)snprintf(why + n, sizeof why - n, " \"");
        for (size_t i = 0; i < len && n + 6 < sizeof why; i++) {
            if (key[i] == '"' || key[i] == '\\')
                why[n++] = '\\';
            if ((unsigned char)key[i] >= 0x20)
                why[n++] = key[i];
        }
        snprintf(why + n, sizeof why - n, "\"");
        free(key);
    }
    sc->p = sc->start + dup->off;
    syntax_error(sc, why);
    return -1;
}

static enum vtype scan_number(struct scanner *sc)
{
    const char *s = sc->p;
    const char *p = s;
    if (p < sc->end && *p == '-')
        p++;
    if (p >= sc->end || !isdigit((unsigned char)*p)) {
        sc->p = p;
        syntax_error(sc, "invalid number");
        return V_ERROR;
    }
    if (*p == '0')
        p++;
    else
        while (p < sc->end && isdigit((unsigned char)*p))
            p++;
    int real = 0;
    long exponent = 0;
    if (p < sc->end && *p == '.') {
        real = 1;
        p++;
        if (p >= sc->end || !isdigit((unsigned char)*p)) {
            sc->p = p;
            syntax_error(sc, "invalid number");
            return V_ERROR;
        }
        while (p < sc->end && isdigit((unsigned char)*p))
            p++;
    }
    if (p < sc->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        int neg = 0;
        if (p < sc->end && (*p == '+' || *p == '-'))
            neg = *p++ == '-';
        if (p >= sc->end || !isdigit((unsigned char)*p)) {
            sc->p = p;
            syntax_error(sc, "invalid number");
            return V_ERROR;
        }
        while (p < sc->end && isdigit((unsigned char)*p)) {
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
            p++;
        }
        if (neg)
            exponent = -exponent;
    }
    size_t n = (size_t)(p - s);
    sc->p = p;
    /* Only long numbers or large exponents can fall outside a long long or a double. */
    if ((!real && n > 18) || (real && (exponent > 290 || n > 300))) {
        char buf[400];
        if (n >= sizeof buf) {
            syntax_error(sc, "number too long");
            return V_ERROR;
        }
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        if (!real) {
            (void)strtoll(buf, NULL, 10);
            if (errno == ERANGE) {
                sc->p = s;
                syntax_error(sc, "integer out of range");
                return V_ERROR;
            }
        } else if (isinf(strtod(buf, NULL))) {
            sc->p = s;
            syntax_error(sc, "real number overflow");
            return V_ERROR;
        }
    }
    return real ? V_REAL : V_INTEGER;
}

static enum vtype scan_value(struct scanner *sc, int depth);

static enum vtype scan_literal(struct scanner *sc, const char *word, size_t n, enum vtype t)
{
    if ((size_t)(sc->end - sc->p) >= n && memcmp(sc->p, word, n) == 0) {
        sc->p += n;
        return t;
    }
    syntax_error(sc, "invalid token");
    return V_ERROR;
}

/* Members of an object or items of an array, validated but not looked at. */
static enum vtype scan_container(struct scanner *sc, int depth, char close)
{
    sc->p++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == close) {
        sc->p++;
        return close == '}' ? V_OBJECT : V_ARRAY;
    }
    struct keyset keys;
    keyset_init(&keys);
    enum vtype t = V_ERROR;
    for (;;) {
        if (close == '}') {
            if (sc->p >= sc->end || *sc->p != '"') {
                syntax_error(sc, "expected a string as object key");
                goto out;
            }
            const char *key_start = sc->p;
            uint64_t hash;
            if (scan_string(sc, NULL, 0, NULL, &hash) < 0 || keyset_add(sc, &keys, hash, key_start) < 0)
                goto out;
            skip_ws(sc);
            if (sc->p >= sc->end || *sc->p != ':') {
                syntax_error(sc, "expected ':' after an object key");
                goto out;
            }
            sc->p++;
        }
        if (scan_value(sc, depth + 1) == V_ERROR)
            goto out;
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == ',') {
            sc->p++;
            skip_ws(sc);
            continue;
        }
        if (sc->p < sc->end && *sc->p == close) {
            sc->p++;
            if (close == ']')
                t = V_ARRAY;
            else if (keyset_check(sc, &keys) == 0)
                t = V_OBJECT;
            goto out;
        }
        syntax_error(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        goto out;
    }
out:
    keyset_free(&keys);
    return t;
}

/* A value inside `depth` open containers. Like jansson, only containers count: an object or array
 * here is at depth + 1, which may not exceed MAX_DEPTH. */
static enum vtype scan_value(struct scanner *sc, int depth)
{
    skip_ws(sc);
    if (sc->p < sc->end && (*sc->p == '{' || *sc->p == '[') && depth + 1 > MAX_DEPTH) {
        syntax_error(sc, "nested too deep");
        return V_ERROR;
    }
    if (sc->p >= sc->end) {
        syntax_error(sc, "expected a value, found the end");
        return V_ERROR;
    }
    switch (*sc->p) {
    case '{':
        return scan_container(sc, depth, '}');
    case '[':
        return scan_container(sc, depth, ']');
    case '"':
        return scan_string(sc, NULL, 0, NULL, NULL) < 0 ? V_ERROR : V_STRING;
    case 't':
        return scan_literal(sc, "true", 4, V_TRUE);
    case 'f':
        return scan_literal(sc, "false", 5, V_FALSE);
    case 'n':
        return scan_literal(sc, "null", 4, V_NULL);
    default:
        if (*sc->p == '-' || isdigit((unsigned char)*sc->p))
            return scan_number(sc);
        syntax_error(sc, "invalid token");
        return V_ERROR;
    }
}

static int is_scalar(enum vtype t)
{
    return t >= V_STRING;
}

/* ---- the sample's shape ---- */

#define FEATURE_ERROR "a feature value must be a number, string, boolean or null"
#define FLAT_ERROR                                                                                                  \
    "a feature value must be a number, string, boolean or null (in a flat sample every key is a feature; use "      \
    "{\"features\": {...}, \"prediction\": ...} for more)"

/* The members of `features` (sc->p on its '{'), their keys noted in keys. */
static void scan_features_members(struct scanner *sc, const char *prefix, struct keyset *keys)
{
    sc->p++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        empty_error(sc, prefix, "features", "'features' is empty");
        return;
    }
    for (;;) {
        char key[256];
        if (sc->p >= sc->end || *sc->p != '"') {
            syntax_error(sc, "expected a string as object key");
            return;
        }
        const char *key_start = sc->p;
        uint64_t hash;
        if (scan_string(sc, key, sizeof key, NULL, &hash) < 0 || keyset_add(sc, keys, hash, key_start) < 0)
            return;
        skip_ws(sc);
        if (sc->p >= sc->end || *sc->p != ':') {
            syntax_error(sc, "expected ':' after an object key");
            return;
        }
        sc->p++;
        skip_ws(sc);
        const char *at = sc->p;
        enum vtype t = scan_value(sc, sc->depth0 + 2);
        if (t == V_ERROR)
            return;
        if (!is_scalar(t)) {
            const char *after = sc->p;
            sc->p = at;
            shape_error(sc, prefix, "features", key, FEATURE_ERROR);
            sc->p = after;
        }
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == ',') {
            sc->p++;
            skip_ws(sc);
            continue;
        }
        if (sc->p < sc->end && *sc->p == '}') {
            sc->p++;
            return;
        }
        syntax_error(sc, "expected ',' or '}'");
        return;
    }
}

/* The `features` object, whose keys must differ (a repeated one is a syntax error, as for the core). */
static void scan_features(struct scanner *sc, const char *prefix)
{
    struct keyset keys;
    keyset_init(&keys);
    scan_features_members(sc, prefix, &keys);
    if (!sc->failed)
        keyset_check(sc, &keys);
    keyset_free(&keys);
}

/* The members of one sample at sc->p (after whitespace), their keys noted in keys. */
static void scan_sample_members(struct scanner *sc, const char *prefix, struct keyset *keys)
{
    skip_ws(sc);
    const char *at = sc->p;
    if (sc->p >= sc->end || *sc->p != '{') {
        if (scan_value(sc, sc->depth0) != V_ERROR) {
            const char *after = sc->p;
            sc->p = at;
            shape_error(sc, prefix, NULL, NULL,
                        "a sample must be a JSON object ({\"features\": {...}, \"prediction\": ...} or flat features)");
            sc->p = after;
        }
        return;
    }
    sc->p++;
    skip_ws(sc);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        const char *after = sc->p;
        sc->p = at;
        empty_error(sc, prefix, NULL, "a sample needs at least one feature");
        sc->p = after;
        return;
    }
    int has_features = 0, ts_bad = 0, rid_bad = 0;
    char first_nonscalar[256] = "";
    const char *nonscalar_at = NULL, *ts_at = NULL, *rid_at = NULL;
    for (;;) {
        char key[256];
        size_t key_len;
        if (sc->p >= sc->end || *sc->p != '"') {
            syntax_error(sc, "expected a string as object key");
            return;
        }
        const char *key_start = sc->p;
        uint64_t hash;
        if (scan_string(sc, key, sizeof key, &key_len, &hash) < 0 || keyset_add(sc, keys, hash, key_start) < 0)
            return;
        skip_ws(sc);
        if (sc->p >= sc->end || *sc->p != ':') {
            syntax_error(sc, "expected ':' after an object key");
            return;
        }
        sc->p++;
        skip_ws(sc);
        const char *vat = sc->p;
        enum vtype t;
        if (key_len == 8 && strcmp(key, "features") == 0) {
            has_features = 1;
            if (sc->p < sc->end && *sc->p == '{') {
                scan_features(sc, prefix);
                if (sc->failed)
                    return;
            } else {
                if (scan_value(sc, sc->depth0 + 1) == V_ERROR)
                    return;
                const char *after = sc->p;
                sc->p = vat;
                shape_error(sc, prefix, "features", NULL, "'features' must be an object of feature name to value");
                sc->p = after;
            }
            t = V_OBJECT;
        } else if (key_len == 9 && strcmp(key, "timestamp") == 0 && sc->p < sc->end && *sc->p == '"') {
            char ts[64];
            size_t ts_len;
            if (scan_string(sc, ts, sizeof ts, &ts_len, NULL) < 0)
                return;
            int64_t ms;
            if (ts_len >= sizeof ts || rfc3339_to_ms(ts, ts_len, &ms) < 0) {
                ts_bad = 1;
                ts_at = vat;
            }
            t = V_STRING;
        } else {
            t = scan_value(sc, sc->depth0 + 1);
            if (t == V_ERROR)
                return;
            if (key_len == 9 && strcmp(key, "timestamp") == 0 && t != V_NULL) {
                ts_bad = 1;
                ts_at = vat;
            }
            if (key_len == 10 && strcmp(key, "request_id") == 0 && t != V_STRING && t != V_INTEGER && t != V_NULL) {
                rid_bad = 1;
                rid_at = vat;
            }
        }
        if (!is_scalar(t) && !nonscalar_at) {
            snprintf(first_nonscalar, sizeof first_nonscalar, "%s", key);
            nonscalar_at = vat;
        }
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == ',') {
            sc->p++;
            skip_ws(sc);
            continue;
        }
        if (sc->p < sc->end && *sc->p == '}') {
            sc->p++;
            break;
        }
        syntax_error(sc, "expected ',' or '}'");
        return;
    }
    const char *after = sc->p;
    if (has_features) {
        if (ts_bad) {
            sc->p = ts_at;
            shape_error(sc, prefix, "timestamp", NULL,
                        "'timestamp' must be an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\"");
        }
        if (rid_bad) {
            sc->p = rid_at;
            shape_error(sc, prefix, "request_id", NULL, "'request_id' must be a string");
        }
    } else if (nonscalar_at) {
        sc->p = nonscalar_at;
        shape_error(sc, prefix, first_nonscalar, NULL, FLAT_ERROR);
    }
    sc->p = after;
}

/* One sample at sc->p (after whitespace). Syntax problems stop the scan; the first shape problem
 * is recorded and the scan goes on to the end of the value. */
static void scan_sample(struct scanner *sc, const char *prefix)
{
    struct keyset keys;
    keyset_init(&keys);
    scan_sample_members(sc, prefix, &keys);
    if (!sc->failed)
        keyset_check(sc, &keys);
    keyset_free(&keys);
}

int sample_check_text(const char *text, size_t len, const char *prefix, struct sample_problem *prob)
{
    struct scanner sc = {.start = text, .p = text, .end = text + len, .prob = prob};
    memset(prob, 0, sizeof *prob);
    scan_sample(&sc, prefix);
    if (!sc.failed) {
        skip_ws(&sc);
        if (sc.p < sc.end)
            syntax_error(&sc, "end of file expected after the value");
    }
    return sc.failed || sc.shape_bad ? -1 : 0;
}

long sample_check_batch(const char *text, size_t len, sample_each_fn fn, void *ctx, struct sample_problem *prob)
{
    struct scanner sc = {.start = text, .p = text, .end = text + len, .prob = prob};
    memset(prob, 0, sizeof *prob);
    skip_ws(&sc);
    if (sc.p >= sc.end || *sc.p != '[') {
        /* One sample. */
        const char *start = sc.p;
        scan_sample(&sc, "$");
        if (!sc.failed) {
            const char *stop = sc.p;
            skip_ws(&sc);
            if (sc.p < sc.end)
                syntax_error(&sc, "end of file expected after the value");
            if (!sc.failed) {
                fn(ctx, 0, start, (size_t)(stop - start), sc.shape_bad ? prob : NULL);
                return 1;
            }
        }
        return -1;
    }
    /* A first pass validates the whole body, so that nothing is reported for a body that is not
     * JSON; the second reports each element. Elements' spans are kept between the passes. */
    size_t cap = 64, n = 0;
    struct span {
        size_t start, len;
        struct sample_problem prob;
        int bad;
    } *spans = malloc(cap * sizeof *spans);
    if (!spans) {
        syntax_error(&sc, "out of memory");
        return -1;
    }
    sc.p++;
    skip_ws(&sc);
    if (sc.p < sc.end && *sc.p == ']') {
        sc.p++;
    } else {
        for (;;) {
            if (n == cap) {
                struct span *grown = realloc(spans, cap * 2 * sizeof *spans);
                if (!grown) {
                    syntax_error(&sc, "out of memory");
                    break;
                }
                spans = grown;
                cap *= 2;
            }
            char prefix[32];
            snprintf(prefix, sizeof prefix, "$[%zu]", n);
            skip_ws(&sc);
            struct span *s = &spans[n];
            s->start = (size_t)(sc.p - text);
            struct scanner one = {.start = text, .p = sc.p, .end = sc.end, .prob = &s->prob, .depth0 = 1};
            memset(&s->prob, 0, sizeof s->prob);
            scan_sample(&one, prefix);
            if (one.failed) {
                *prob = s->prob;
                sc.failed = 1;
                break;
            }
            s->len = (size_t)(one.p - sc.p);
            s->bad = one.shape_bad;
            sc.p = one.p;
            n++;
            skip_ws(&sc);
            if (sc.p < sc.end && *sc.p == ',') {
                sc.p++;
                continue;
            }
            if (sc.p < sc.end && *sc.p == ']') {
                sc.p++;
                break;
            }
            syntax_error(&sc, "expected ',' or ']'");
            break;
        }
    }
    if (!sc.failed) {
        skip_ws(&sc);
        if (sc.p < sc.end)
            syntax_error(&sc, "end of file expected after the value");
    }
    if (sc.failed) {
        free(spans);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        fn(ctx, i, text + spans[i].start, spans[i].len, spans[i].bad ? &spans[i].prob : NULL);
    free(spans);
    return (long)n;
}
