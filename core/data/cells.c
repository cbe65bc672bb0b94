/* Row-aligned cells (see cells.h). */
#include "data/cells.h"

#include <math.h>
#include <stdlib.h>

#include "sample/numparse.h"

struct cells *cells_new(int numeric)
{
    struct cells *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!numeric && !(c->texts = catmap_new(0))) {
        free(c);
        return NULL;
    }
    cells_row_missing(c);
    return c;
}

void cells_free(struct cells *c)
{
    if (!c)
        return;
    free(c->num);
    free(c->cat);
    catmap_free(c->texts);
    free(c);
}

void cells_clear(struct cells *c)
{
    c->n = 0;
    if (c->texts)
        catmap_clear(c->texts);
    cells_row_missing(c);
}

void cells_row_missing(struct cells *c)
{
    c->cur_num = NAN;
    c->cur_cat = -1;
}

void cells_row_number(struct cells *c, double x)
{
    c->cur_num = x;
}

int cells_row_text(struct cells *c, const char *s, size_t len)
{
    long i = catmap_add(c->texts, s, len, 1);
    if (i < 0)
        return -1;
    c->cur_cat = i;
    return 0;
}

int cells_end_row(struct cells *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        if (c->texts) {
            long *v = realloc(c->cat, cap * sizeof *v);
            if (!v)
                return -1;
            c->cat = v;
        } else {
            double *v = realloc(c->num, cap * sizeof *v);
            if (!v)
                return -1;
            c->num = v;
        }
        c->cap = cap;
    }
    if (c->texts)
        c->cat[c->n++] = c->cur_cat;
    else
        c->num[c->n++] = c->cur_num;
    cells_row_missing(c);
    return 0;
}

const char *cells_label(const struct cells *c, size_t i, char *buf, size_t *len)
{
    double x;
    if (!c->texts) {
        if (isnan(c->num[i]))
            return NULL;
        *len = num_format(c->num[i], buf);
        return buf;
    }
    if (c->cat[i] < 0)
        return NULL;
    const char *s = catmap_key(c->texts, (size_t)c->cat[i], len);
    if (num_parse(s, *len, &x) == 0) {
        *len = num_format(x, buf);
        return buf;
    }
    return s;
}

double cells_number(const struct cells *c, size_t i)
{
    double x;
    if (!c->texts)
        return c->num[i];
    size_t len;
    if (c->cat[i] < 0)
        return NAN;
    const char *s = catmap_key(c->texts, (size_t)c->cat[i], &len);
    return num_parse(s, len, &x) == 0 ? x : NAN;
}
