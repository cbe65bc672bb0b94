/* Page-Hinkley test for an increase of a regression model's absolute error, pair by pair in
 * arrival order, as river's drift.PageHinkley (mode "up"); the exact recurrence is in
 * docs/statistics.md. */
#ifndef DW_DRIFT_PAGE_HINKLEY_H
#define DW_DRIFT_PAGE_HINKLEY_H

#include <stdint.h>

#include "stats/detector.h"

struct page_hinkley_params {
    double delta;           /* tolerated increase per pair, in the error's unit */
    double threshold;       /* lambda: drift when the sum rises this far above its minimum */
    double alpha;           /* forgetting factor of the sum */
    uint64_t min_instances; /* pairs before drift can be signalled */
};

#define PAGE_HINKLEY_DEFAULTS ((struct page_hinkley_params){0.005, 50.0, 0.9999, 30})

struct page_hinkley {
    struct page_hinkley_params params;
    uint64_t n;     /* pairs since the last reset */
    double mean;    /* their mean error */
    double sum;     /* the faded cumulative deviation */
    double sum_min; /* its minimum since the last reset */
};

/* Starts the detector with these parameters and no pairs seen. */
void page_hinkley_init(struct page_hinkley *ph, struct page_hinkley_params params);

/* Adds one absolute error; DETECTOR_DRIFT (after which the detector has reset) or DETECTOR_NONE. */
enum detector_signal page_hinkley_update(struct page_hinkley *ph, double error);

#endif
