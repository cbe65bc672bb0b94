/* CSV tokenizer over a growing read buffer. A record is scanned once, recording field spans;
 * only when the whole record is in the buffer are the spans unescaped in place, so a record cut
 * by the buffer end is simply rescanned after the refill. See csv.h. */
#include "util/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CSV_INITIAL_BUF (1u << 20)
/* zeroed bytes kept after the data, so 16-byte vector loads near the end stay in bounds and
 * read defined memory */
#define CSV_SLACK 16
#define CSV_MAX_RECORD (64u << 20)

struct span {
    size_t s, e;          /* raw bytes [s, e) in buf */
    unsigned char quoted; /* starts with a quote */
    unsigned char cook;   /* needs unescaping: "" inside, or text after the closing quote */
};

struct csv_reader {
    int fd;
    char *path;
    unsigned flags;
    char *buf;
    size_t cap;   /* buf holds cap bytes; at most cap-1 are data (room for a final NUL) */
    size_t start; /* first unconsumed byte */
    size_t fill;  /* end of data */
    int eof;
    int bom_pending;
    uint64_t line;
    uint64_t nread; /* bytes read from the file */
    uint64_t size;
    struct span *spans;
    size_t scap;
    struct csv_field *fields;
    size_t fcap;
    void (*hook)(void *ud, const void *p, size_t n);
    void *hook_ud;
    unsigned char special[256]; /* bytes that stop an unquoted field */
};

enum scan_result { SCAN_DONE, SCAN_MORE, SCAN_UNTERMINATED, SCAN_NOMEM };

struct csv_reader *csv_open(const char *path, unsigned flags, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->fd = fd;
    r->flags = flags;
    r->path = strdup(path);
    r->cap = CSV_INITIAL_BUF;
    r->buf = malloc(r->cap + CSV_SLACK);
    if (!r->path || !r->buf)
        goto nomem;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        r->size = (uint64_t)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    r->line = 1;
    r->bom_pending = 1;
    r->special[(unsigned char)'\n'] = 1;
    r->special[(unsigned char)'\r'] = 1;
    if (!(flags & CSV_LINES))
        r->special[(unsigned char)','] = 1;
    return r;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
    if (r) {
        free(r->path);
        free(r->buf);
        free(r);
    }
    close(fd);
    return NULL;
}

void csv_close(struct csv_reader *r)
{
    if (!r)
        return;
    close(r->fd);
    free(r->path);
    free(r->buf);
    free(r->spans);
    free(r->fields);
    free(r);
}

void csv_set_chunk_hook(struct csv_reader *r, void (*fn)(void *ud, const void *p, size_t n), void *ud)
{
    r->hook = fn;
    r->hook_ud = ud;
}

uint64_t csv_offset(const struct csv_reader *r)
{
    return r->nread - (r->fill - r->start);
}

uint64_t csv_size(const struct csv_reader *r)
{
    return r->size;
}

int csv_rewind(struct csv_reader *r, char *err, size_t errlen)
{
    if (lseek(r->fd, 0, SEEK_SET) < 0) {
        snprintf(err, errlen, "%s: cannot read it twice (%s); give a regular file, not a pipe", r->path,
                 strerror(errno));
        return -1;
    }
    r->start = r->fill = 0;
    r->eof = 0;
    r->bom_pending = 1;
    r->line = 1;
    r->nread = 0;
    return 0;
}

/* Moves the unconsumed bytes to the front, grows the buffer when a record fills it, and reads.
 * Returns 0, or -1 with err (I/O error, record too long). */
static int refill(struct csv_reader *r, char *err, size_t errlen)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->fill - r->start);
        r->fill -= r->start;
        r->start = 0;
    }
    if (r->fill >= r->cap - 1) {
        if (r->cap >= CSV_MAX_RECORD) {
            snprintf(err, errlen, "%s:%llu: record longer than %u MiB (an unterminated quote?)", r->path,
                     (unsigned long long)r->line, CSV_MAX_RECORD >> 20);
            return -1;
        }
        char *b = realloc(r->buf, r->cap * 2 + CSV_SLACK);
        if (!b) {
            snprintf(err, errlen, "%s: out of memory", r->path);
            return -1;
        }
        r->buf = b;
        r->cap *= 2;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->fill, r->cap - 1 - r->fill);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: read error: %s", r->path, strerror(errno));
            return -1;
        }
        if (n == 0) {
            r->eof = 1;
        } else {
            if (r->hook)
                r->hook(r->hook_ud, r->buf + r->fill, (size_t)n);
            r->fill += (size_t)n;
            r->nread += (uint64_t)n;
        }
        memset(r->buf + r->fill, 0, CSV_SLACK);
        return 0;
    }
}

static int push_span(struct csv_reader *r, size_t n)
{
    if (n < r->scap)
        return 0;
    size_t cap = r->scap ? r->scap * 2 : 64;
    struct span *s = realloc(r->spans, cap * sizeof *s);
    if (!s)
        return -1;
    r->spans = s;
    r->scap = cap;
    return 0;
}

/* First byte at or after p (and before fill) that ends an unquoted field: a separator, LF or CR.
 * Fields are short, so the vector path tests 16 bytes per step with SSE2 where available. */
static inline size_t scan_plain(const struct csv_reader *r, size_t p, size_t fill)
{
    const char *buf = r->buf;
#ifdef __SSE2__
    const __m128i sep = _mm_set1_epi8((r->flags & CSV_LINES) ? '\n' : ',');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    while (p < fill) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sep), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask) {
            size_t q = p + (size_t)__builtin_ctz(mask);
            return q < fill ? q : fill;
        }
        p += 16;
    }
    return fill;
#else
    while (p < fill && !r->special[(unsigned char)buf[p]])
        p++;
    return p;
#endif
}

/* Scans one record from r->start. On SCAN_DONE: *nspans spans, *next = first byte after the
 * terminator, *newlines = line breaks inside quoted fields. */
static enum scan_result scan(struct csv_reader *r, size_t *nspans, size_t *next, uint64_t *newlines)
{
    const char *buf = r->buf;
    const size_t fill = r->fill;
    const int lines = (r->flags & CSV_LINES) != 0;
    size_t p = r->start;
    size_t n = 0;
    uint64_t nl = 0;
    for (;;) {
        if (push_span(r, n) < 0)
            return SCAN_NOMEM;
        struct span *sp = &r->spans[n];
        sp->s = p;
        sp->quoted = 0;
        sp->cook = 0;
        if (!lines && p < fill && buf[p] == '"') {
            sp->quoted = 1;
            p++;
            for (;;) {
                const char *q = memchr(buf + p, '"', fill - p);
                size_t qe = q ? (size_t)(q - buf) : fill;
                for (const char *c = buf + p; (c = memchr(c, '\n', (size_t)(buf + qe - c))) != NULL; c++)
                    nl++;
                if (!q)
                    return r->eof ? SCAN_UNTERMINATED : SCAN_MORE;
                p = qe + 1;
                if (p == fill && !r->eof)
                    return SCAN_MORE; /* cannot tell "" from a closing quote yet */
                if (p < fill && buf[p] == '"') {
                    sp->cook = 1;
                    p++;
                    continue;
                }
                break;
            }
        }
        size_t tail = p;
        int end_record = 0;
        size_t after = 0;
        for (;;) {
            p = scan_plain(r, p, fill);
            if (p == fill) {
                if (!r->eof)
                    return SCAN_MORE;
                end_record = 1;
                after = p;
                break;
            }
            if (buf[p] == '\r') {
                if (p + 1 == fill && !r->eof)
                    return SCAN_MORE;
                if (p + 1 < fill && buf[p + 1] != '\n') {
                    p++; /* a lone CR is data */
                    continue;
                }
                end_record = 1;
                after = p + 1 < fill ? p + 2 : p + 1;
                break;
            }
            if (buf[p] == '\n') {
                end_record = 1;
                after = p + 1;
            }
            break;
        }
        if (p > tail && sp->quoted)
            sp->cook = 1; /* text after the closing quote: kept, as Python's csv does */
        sp->e = p;
        n++;
        if (end_record) {
            *nspans = n;
            *next = after;
            *newlines = nl;
            return SCAN_DONE;
        }
        p++; /* the comma */
    }
}

/* Turns the raw spans of a complete record into NUL-terminated fields, unescaping in place
 * (the unescaped text is never longer than the raw text). */
static int cook_fields(struct csv_reader *r, size_t nspans)
{
    if (nspans > r->fcap) {
        size_t cap = r->fcap ? r->fcap : 64;
        while (cap < nspans)
            cap *= 2;
        struct csv_field *f = realloc(r->fields, cap * sizeof *f);
        if (!f)
            return -1;
        r->fields = f;
        r->fcap = cap;
    }
    char *buf = r->buf;
    for (size_t i = 0; i < nspans; i++) {
        const struct span *sp = &r->spans[i];
        struct csv_field *f = &r->fields[i];
        if (!sp->quoted) {
            f->ptr = buf + sp->s;
            f->len = sp->e - sp->s;
            buf[sp->e] = '\0';
        } else if (!sp->cook) {
            /* "text": drop both quotes (an unterminated quote at EOF has no closing one) */
            size_t e = sp->e;
            if (e > sp->s + 1 && buf[e - 1] == '"')
                e--;
            f->ptr = buf + sp->s + 1;
            f->len = e - sp->s - 1;
            buf[e] = '\0';
        } else {
            size_t w = sp->s;
            int inq = 1;
            for (size_t k = sp->s + 1; k < sp->e; k++) {
                char c = buf[k];
                if (inq && c == '"') {
                    if (k + 1 < sp->e && buf[k + 1] == '"') {
                        buf[w++] = '"';
                        k++;
                    } else {
                        inq = 0;
                    }
                    continue;
                }
                buf[w++] = c;
            }
            buf[w] = '\0';
            f->ptr = buf + sp->s;
            f->len = w - sp->s;
        }
    }
    return 0;
}

int csv_read_row(struct csv_reader *r, struct csv_row *row, char *err, size_t errlen)
{
    for (;;) {
        if (r->bom_pending) {
            if (r->fill - r->start < 3 && !r->eof) {
                if (refill(r, err, errlen) < 0)
                    return -1;
                continue;
            }
            if (r->fill - r->start >= 3 && memcmp(r->buf + r->start, "\xEF\xBB\xBF", 3) == 0)
                r->start += 3;
            r->bom_pending = 0;
        }
        if (r->start == r->fill) {
            if (r->eof)
                return 0;
            if (refill(r, err, errlen) < 0)
                return -1;
            continue;
        }
        size_t nspans = 0, next = 0;
        uint64_t newlines = 0;
        enum scan_result sr = scan(r, &nspans, &next, &newlines);
        if (sr == SCAN_MORE) {
            if (refill(r, err, errlen) < 0)
                return -1;
            continue;
        }
        if (sr == SCAN_NOMEM) {
            snprintf(err, errlen, "%s: out of memory", r->path);
            return -1;
        }
        if (sr == SCAN_UNTERMINATED) {
            snprintf(err, errlen, "%s:%llu: unterminated quoted field (runs to the end of the file)", r->path,
                     (unsigned long long)r->line);
            r->start = r->fill;
            return -2;
        }
        uint64_t line = r->line;
        r->line += 1 + newlines;
        if (nspans == 1 && !r->spans[0].quoted && r->spans[0].e == r->spans[0].s) {
            r->start = next;
            continue; /* blank line */
        }
        if (cook_fields(r, nspans) < 0) {
            snprintf(err, errlen, "%s: out of memory", r->path);
            return -1;
        }
        r->start = next;
        row->fields = r->fields;
        row->nfields = nspans;
        row->line = line;
        return 1;
    }
}
