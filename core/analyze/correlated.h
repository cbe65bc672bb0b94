/* Groups of strongly correlated features in a baseline's row sample (|Pearson r| >= 0.95). Such
 * features drift together, so a verdict that says "3 drifted" may mean one change seen three
 * times; the verdict names the groups so a reader can tell. The dataset share is not changed. */
#ifndef DW_DRIFT_CORRELATED_H
#define DW_DRIFT_CORRELATED_H

#include <stddef.h>

#include "data/profile.h"

#define CORRELATED_MIN_ABS_R 0.95
/* Rows of the row sample used, evenly spaced: r's standard error near 0.95 is about 0.003 at
 * 1000 rows, and 1000 features then cost 5e8 multiply-adds. */
#define CORRELATED_MAX_ROWS 1000

struct correlated_group {
    char **names; /* in profile order */
    size_t n;     /* >= 2 */
};

struct correlated_groups {
    int computed; /* the profile has a row sample (version 2); else no groups are known */
    struct correlated_group *groups;
    size_t n;
};

/* Connected components of the graph "|r| >= CORRELATED_MIN_ABS_R" over the numeric features of
 * p's row sample: r is Pearson's over up to CORRELATED_MAX_ROWS rows taken evenly spaced, a
 * missing value counting as the feature's mean; a constant feature joins no group. Groups in the
 * order of their first feature. Returns 0 (out->computed 0 when p has no row sample) or -1 (memory). */
int correlated_groups_find(const struct profile *p, struct correlated_groups *out);
void correlated_groups_clear(struct correlated_groups *g);

#endif
