/* The agent's clock: one thread that, about once a second, closes time-based windows (model_tick)
 * and runs the config's schedules (`every` intervals and 5-field cron expressions, UTC). */
#ifndef DW_SCHEDULER_H
#define DW_SCHEDULER_H

#include <stddef.h>

#include "config/config.h"
#include "runtime/model.h"

struct scheduler;

/* models[i] runs checks for cfg->models[i]. Cron expressions were validated by the config, but a
 * failure here is still reported in err. */
int scheduler_start(const struct config *cfg, struct model_runtime **models, size_t n, struct scheduler **out,
                    char *err, size_t errlen);
void scheduler_stop(struct scheduler *s);

#endif
