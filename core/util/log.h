/* Structured logging: one logfmt line per event on stderr,
 * `ts=<RFC 3339 UTC> level=<debug|info|warn|error> component=<who> [instance=<name>] msg="..."`. */
#ifndef DW_LOG_H
#define DW_LOG_H

#include <stdarg.h>

#include "driftwatch/plugin.h"

void log_set_level(enum dw_log_level level);
/* Parses "debug|info|warn|error"; returns 0 or -1. */
int log_parse_level(const char *s, enum dw_log_level *out);

/* Registers a secret (token, key) that must never appear in a log line: any occurrence is written
 * as "[REDACTED]". The string is copied. */
void log_add_secret(const char *secret);
void log_clear_secrets(void);

void log_msg(enum dw_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A plugin instance's line: component is the plugin, instance the configured instance name. */
void log_vmsg_instance(enum dw_log_level level, const char *component, const char *instance, const char *fmt,
                       va_list ap) __attribute__((format(printf, 4, 0)));

#define log_debug(c, ...) log_msg(DW_LOG_DEBUG, c, __VA_ARGS__)
#define log_info(c, ...) log_msg(DW_LOG_INFO, c, __VA_ARGS__)
#define log_warn(c, ...) log_msg(DW_LOG_WARN, c, __VA_ARGS__)
#define log_error(c, ...) log_msg(DW_LOG_ERROR, c, __VA_ARGS__)

#endif
