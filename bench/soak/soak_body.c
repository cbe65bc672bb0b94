/* Synthetic samples for the soak bench (see soak_body.h): 10 numeric features num_k ~ N(k, 1),
 * 4 categorical ones over 8 values, and a numeric prediction. */
#include "soak_body.h"

#include <math.h>
#include <stdlib.h>

#define N_NUMERIC 10
#define N_CATEGORICAL 4
#define N_VALUES 8
#define MAX_LINE 512

/* xorshift32: tiny and seedable; statistical quality is irrelevant here. */
static uint32_t next_u32(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static double next_unit(uint32_t *x)
{
    return ((double)next_u32(x) + 1.0) / 4294967297.0; /* in (0, 1): log() below never sees 0 */
}

/* Box-Muller; one of the pair is thrown away to keep the state simple. */
static double next_gauss(uint32_t *x)
{
    double u = next_unit(x), v = next_unit(x);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* A shifted sample moves every numeric mean by 1.5 standard deviations and squeezes the
 * categories onto the first half of their values: a clear dataset drift for any method. */
static void sample_values(uint32_t *x, int shifted, double num[N_NUMERIC], unsigned cat[N_CATEGORICAL])
{
    for (int k = 0; k < N_NUMERIC; k++)
        num[k] = k + next_gauss(x) + (shifted ? 1.5 : 0.0);
    for (int k = 0; k < N_CATEGORICAL; k++)
        cat[k] = next_u32(x) % (shifted ? N_VALUES / 2 : N_VALUES);
}

int soak_body_write_train(FILE *f, size_t rows, uint32_t seed)
{
    uint32_t x = seed ? seed : 1;
    double num[N_NUMERIC];
    unsigned cat[N_CATEGORICAL];
    for (int k = 0; k < N_NUMERIC; k++)
        fprintf(f, "num_%02d,", k);
    for (int k = 0; k < N_CATEGORICAL; k++)
        fprintf(f, "cat_%02d,", k);
    fprintf(f, "prediction\n");
    for (size_t r = 0; r < rows; r++) {
        sample_values(&x, 0, num, cat);
        for (int k = 0; k < N_NUMERIC; k++)
            fprintf(f, "%.5f,", num[k]);
        for (int k = 0; k < N_CATEGORICAL; k++)
            fprintf(f, "v%u,", cat[k]);
        fprintf(f, "%.4f\n", next_unit(&x));
    }
    return ferror(f) ? -1 : 0;
}

char *soak_body_make(size_t rows, int shifted, uint32_t seed, size_t *len)
{
    size_t cap = rows * MAX_LINE + 1, used = 0;
    char *body = malloc(cap);
    if (!body)
        return NULL;
    /* Neighbouring seeds give correlated first outputs in xorshift: spread them, then skip some. */
    uint32_t x = (seed * 2654435761u) ^ 0x9e3779b9u;
    x = x ? x : 1;
    for (int i = 0; i < 16; i++)
        next_u32(&x);
    double num[N_NUMERIC];
    unsigned cat[N_CATEGORICAL];
    for (size_t r = 0; r < rows; r++) {
        sample_values(&x, shifted, num, cat);
        /* Each line stays far below MAX_LINE (about 330 bytes), so used never passes cap. */
        used += (size_t)snprintf(body + used, cap - used, "{\"features\": {");
        for (int k = 0; k < N_NUMERIC; k++)
            used += (size_t)snprintf(body + used, cap - used, "%s\"num_%02d\": %.5f", k ? ", " : "", k, num[k]);
        for (int k = 0; k < N_CATEGORICAL; k++)
            used += (size_t)snprintf(body + used, cap - used, ", \"cat_%02d\": \"v%u\"", k, cat[k]);
        used += (size_t)snprintf(body + used, cap - used, "}, \"prediction\": %.4f}\n", next_unit(&x));
    }
    *len = used;
    return body;
}
