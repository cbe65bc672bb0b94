/* Seeded pseudo-random numbers for reservoir sampling: xoshiro256** seeded through splitmix64,
 * so a profile built twice from the same file and seed holds the same sample. */
#ifndef DW_DATA_PRNG_H
#define DW_DATA_PRNG_H

#include <stdint.h>

struct prng {
    uint64_t s[4];
};

/* Seeds the generator; distinct (seed, stream) pairs give independent sequences. */
void prng_seed(struct prng *g, uint64_t seed, uint64_t stream);

uint64_t prng_next(struct prng *g);

/* Uniform integer in [0, bound), bound >= 1, without modulo bias (Lemire's multiply-shift with
 * rejection). */
uint64_t prng_below(struct prng *g, uint64_t bound);

#endif
