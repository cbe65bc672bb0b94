/* drift_np_sum: summation in numpy's pairwise order, so sums that feed a statistic round
 * exactly as numpy.sum does in the scipy functions the statistics are defined by. */
#include "stats/drift.h"

/* numpy's pairwise_sum (umath loops): runs below 8 are summed in order, blocks up to 128 with
 * eight interleaved accumulators, longer runs split in two at a multiple of 8. */
static double pairwise(drift_term_fn term, const void *ctx, size_t lo, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++)
            res += term(ctx, lo + i);
        return res;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (size_t j = 0; j < 8; j++)
            r[j] = term(ctx, lo + j);
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t j = 0; j < 8; j++)
                r[j] += term(ctx, lo + i + j);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += term(ctx, lo + i);
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(term, ctx, lo, n2) + pairwise(term, ctx, lo + n2, n - n2);
}

double drift_np_sum(drift_term_fn term, const void *ctx, size_t n)
{
    /* numpy's add.reduce starts from its identity, 0 */
    return 0.0 + pairwise(term, ctx, 0, n);
}
