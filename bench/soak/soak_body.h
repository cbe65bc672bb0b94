/* Synthetic traffic for the soak bench: training rows for the baseline (CSV) and NDJSON push
 * batches of the same shape, optionally shifted so that windows drift and alerts fire. */
#ifndef DW_SOAK_BODY_H
#define DW_SOAK_BODY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes a header and rows of training data to f; returns 0 or -1 (write error). */
int soak_body_write_train(FILE *f, size_t rows, uint32_t seed);

/* Returns a malloc'd NDJSON batch of rows samples (length in *len), shifted away from the
 * training distribution when shifted is non-zero; NULL when memory runs out. */
char *soak_body_make(size_t rows, int shifted, uint32_t seed, size_t *len);

#endif
