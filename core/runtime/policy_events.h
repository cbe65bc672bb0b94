/* The policy's events for alert sinks that record them (plugin.h: DW_ACTION_DRIFT_CHECKED and
 * DW_ACTION_RETRAIN_TRIGGERED through a sink's `action`): the JSON document of one event and its
 * delivery to every sink of the model that has an action. */
#ifndef DW_POLICY_EVENTS_H
#define DW_POLICY_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "driftwatch/plugin.h"
#include "analyze/analyze.h"
#include "analyze/quality_window.h"

struct plugin_instance;

/* The trigger's part of a retrain.triggered event. */
struct policy_trigger_info {
    const struct dw_trigger_event *ev;
    const struct dw_trigger_result *res;
    int joined;
    const char *trainer; /* the trainer plugin's name */
};

/* The event's params object (plugin.h); trigger NULL for drift.checked; realized: the last closed
 * quality window's metrics (delayed labels), the event's "performance" when the verdict has none,
 * or NULL. NULL when out of memory. */
json_t *policy_event_json(const char *event, const char *model, const char *data_version, int64_t time_ms,
                          const struct verdict *v, const struct quality_result *realized,
                          const struct policy_trigger_info *trigger);

/* Hands the event to each sink with an action (sinks[i] may be NULL); failures are logged with the
 * sink's name. Builds the JSON only when some sink takes it. */
void policy_events_send(struct plugin_instance *const *sinks, const char *const *sink_names, size_t n_sinks,
                        const char *event, const char *model, const char *data_version, int64_t time_ms,
                        const struct verdict *v, const struct quality_result *realized,
                        const struct policy_trigger_info *trigger);

#endif
