/* Writes a synthetic CSV to stdout for the data-layer benchmarks: numeric columns ~ N(shift, 1)
 * (some with missing values) and categorical columns over a few labels, seeded.
 * usage: bench_data_gen --bytes N | --rows N [--numeric K] [--categorical K] [--seed S] [--shift X]
 *        [--missing 0|1] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/prng.h"

static double uniform01(struct prng *g)
{
    return ((double)(prng_next(g) >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller */
static double normal(struct prng *g)
{
    return sqrt(-2.0 * log(uniform01(g))) * cos(6.283185307179586 * uniform01(g));
}

int main(int argc, char **argv)
{
    unsigned long long bytes = 0, rows = 0, seed = 1;
    int numeric = 16, categorical = 4;
    double shift = 0;
    int missing = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bytes"))
            bytes = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--rows"))
            rows = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--numeric"))
            numeric = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--categorical"))
            categorical = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--shift"))
            shift = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--missing"))
            missing = (int)strtol(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!bytes && !rows) {
        fprintf(stderr, "usage: bench_data_gen --bytes N | --rows N [--numeric K] [--categorical K] [--seed S] [--shift X] "
                        "[--missing 0|1]\n");
        return 2;
    }
    static const char *labels[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
    static char buf[1 << 16];
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    struct prng g;
    prng_seed(&g, seed, 0);
    unsigned long long written = 0;
    int n = 0;
    for (int c = 0; c < numeric; c++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%snum_%02d", c ? "," : "", c);
    for (int c = 0; c < categorical; c++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%scat_%02d", numeric + c ? "," : "", c);
    buf[n++] = '\n';
    fwrite(buf, 1, (size_t)n, stdout);
    written += (unsigned long long)n;
    for (unsigned long long r = 0; rows ? r < rows : written < bytes; r++) {
        n = 0;
        for (int c = 0; c < numeric; c++) {
            if (c)
                buf[n++] = ',';
            /* every 4th column has 1% missing values */
            if (missing && c % 4 == 3 && prng_below(&g, 100) == 0)
                continue;
            n += snprintf(buf + n, sizeof buf - (size_t)n, "%.6g", 10.0 * (c + 1) + (double)(c + 1) * (normal(&g) + shift));
        }
        for (int c = 0; c < categorical; c++) {
            if (numeric + c)
                buf[n++] = ',';
            const char *l = labels[prng_below(&g, 2 + (uint64_t)c)];
            size_t len = strlen(l);
            memcpy(buf + n, l, len);
            n += (int)len;
        }
        buf[n++] = '\n';
        fwrite(buf, 1, (size_t)n, stdout);
        written += (unsigned long long)n;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
