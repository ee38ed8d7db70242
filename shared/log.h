/* shared/log.h: levelled log lines on stderr with a per-thread context.
 *
 * Two formats (LOG_FORMAT), one line per call, written with a single fwrite:
 *   text: 2026-11-22T07:50:00.123Z INFO urlmon-compute [run=7 shard=0/1 url=42] message
 *   json: {"time":"2026-11-22T07:50:00.123Z","level":"info","program":"urlmon-compute",
 *          "instance":"box-1","run_id":7,"shard":"0/1","url_id":42,"message":"message"}
 * Context fields (run id, shard, task, URL id, request path, free-form context) are per
 * thread and appear
 * only while set; "instance" only when URLMON_INSTANCE is set. JSON lines are valid
 * UTF-8 (bad bytes become U+FFFD). Callers never pass secrets: nothing here filters. */
#ifndef URLMON_LOG_H
#define URLMON_LOG_H

#include <stdint.h>

#include "common.h"

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_init(const char *program, int level);
/* Format and instance name (NULL or "" = none); call after log_init, before threads. */
void log_set_output(int format, const char *instance);
int log_level_parse(const char *name);  /* -1 when unknown */
int log_format_parse(const char *name); /* "text" or "json"; -1 when unknown */
int log_enabled(int level);

/* Per-thread context; each setter replaces its fields, 0/NULL = absent. */
void log_context_run(uint64_t run_id, const char *shard, const char *task);
void log_context_url(uint64_t url_id);   /* 0 clears */
void log_context_path(const char *path); /* NULL clears; the path only, no query string */
/* Free-form context text (JSON: "context") for callers without a structured field;
 * prefer the setters above, whose fields log shippers can filter on. NULL clears. */
void log_context_set(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_context_clear(void); /* every field */

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
