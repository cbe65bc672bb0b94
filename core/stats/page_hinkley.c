/* Page-Hinkley (E. S. Page, "Continuous Inspection Schemes", 1954) with river's fading factor and
 * running mean: only increases are tested, since a falling error is no reason to alert. */
#include "stats/page_hinkley.h"

#include <math.h>

static void page_hinkley_restart(struct page_hinkley *ph)
{
    ph->n = 0;
    ph->mean = 0.0;
    ph->sum = 0.0;
    ph->sum_min = INFINITY;
}

void page_hinkley_init(struct page_hinkley *ph, struct page_hinkley_params params)
{
    ph->params = params;
    page_hinkley_restart(ph);
}

enum detector_signal page_hinkley_update(struct page_hinkley *ph, double error)
{
    const struct page_hinkley_params *p = &ph->params;
    ph->n++;
    ph->mean += (error - ph->mean) / (double)ph->n;
    ph->sum = p->alpha * ph->sum + (error - ph->mean) - p->delta; /* river's order of operations */
    if (ph->sum < ph->sum_min)
        ph->sum_min = ph->sum;
    if (ph->n >= p->min_instances && ph->sum - ph->sum_min > p->threshold) {
        page_hinkley_restart(ph);
        return DETECTOR_DRIFT;
    }
    return DETECTOR_NONE;
}
