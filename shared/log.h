/* shared/log.h: levelled log lines on stderr with a per-thread context.
 *
 * A line: 2026-11-22T07:50:00.123Z INFO urlmon-api [run=7] message
 * The context (run id, request path, ...) is set per thread with log_context_set. */
#ifndef URLMON_LOG_H
#define URLMON_LOG_H

#include "common.h"

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_init(const char *program, int level);
int log_level_parse(const char *name); /* -1 when unknown */
int log_enabled(int level);
void log_context_set(const char *fmt, ...) PRINTF_LIKE(1, 2); /* NULL clears */
void log_msg(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG))                                                          \
            log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
