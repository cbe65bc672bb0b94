/* The running agent: plugin instances for one config, the HTTP server, readiness.
 * `driftwatch run` owns the process loop (signals, reload); this is what it starts and stops. */
#ifndef DW_AGENT_H
#define DW_AGENT_H

#include <stddef.h>

#include "config/config.h"
#include "plugin/plugin_instance.h"

struct agent;

/* Loads every plugin the config names, validates their options and initialises them, without
 * starting anything (no sockets, no threads). Used by `validate` and as the first step of start. */
int agent_prepare(const struct config *cfg, struct agent **out, char *err, size_t errlen);

/* Starts the HTTP server and the plugins. cfg must outlive the agent. */
int agent_start(struct agent *a, char *err, size_t errlen);

/* Stops plugins and the server, frees everything; accepts NULL. */
void agent_free(struct agent *a);

int agent_http_port(const struct agent *a);

/* The alert sink instance configured under `name`, or NULL when absent or down. */
struct plugin_instance *agent_alert_sink(const struct agent *a, const char *name);

#endif
