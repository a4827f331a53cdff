/* log: leveled, structured logging to stderr (logfmt or JSON). See log.c. */
#ifndef AE_EXPORTER_LOG_H
#define AE_EXPORTER_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the threshold and format ("logfmt" or "json"); safe to call before
 * any thread starts. Returns 0 or -EINVAL. */
int log_setup(const char *level, const char *format);
/* The level named debug, info, warn or error; -1 for anything else. */
int log_level_parse(const char *name);
/* Whether name is a log format: logfmt or json. */
bool log_format_valid(const char *name);
/* One line: msg, then NULL-terminated key, value string pairs. Any thread.
 * Values are quoted/escaped as the format needs. */
void log_kv(enum log_level level, const char *msg, ...)
	__attribute__((sentinel));

#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__, (char *)0)
#define log_info(...) log_kv(LOG_INFO, __VA_ARGS__, (char *)0)
#define log_warn(...) log_kv(LOG_WARN, __VA_ARGS__, (char *)0)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__, (char *)0)

#endif
