/* shared/log.c: one formatted line per call, written with a single fwrite. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"

static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
static char program_name[64] = "urlmon";
static int min_level = LOG_LEVEL_INFO;
static _Thread_local char context[160];

void log_init(const char *program, int level)
{
    snprintf(program_name, sizeof(program_name), "%s", program ? program : "urlmon");
    min_level = level;
}

int log_level_parse(const char *name)
{
    if (strcasecmp(name, "debug") == 0)
        return LOG_LEVEL_DEBUG;
    if (strcasecmp(name, "info") == 0)
        return LOG_LEVEL_INFO;
    if (strcasecmp(name, "warn") == 0 || strcasecmp(name, "warning") == 0)
        return LOG_LEVEL_WARN;
    if (strcasecmp(name, "error") == 0)
        return LOG_LEVEL_ERROR;
    return -1;
}

int log_enabled(int level)
{
    return level >= min_level;
}

void log_context_set(const char *fmt, ...)
{
    va_list ap;

    if (!fmt) {
        context[0] = '\0';
        return;
    }
    va_start(ap, fmt);
    vsnprintf(context, sizeof(context), fmt, ap);
    va_end(ap);
}

void log_msg(int level, const char *fmt, ...)
{
    char line[2048], at[40];
    int n, m;
    va_list ap;

    if (level < min_level || level < 0 || level > LOG_LEVEL_ERROR)
        return;
    clock_utc_format(clock_wall_ms(), CLOCK_UTC_ISO_MS, at, sizeof(at));
    n = snprintf(line, sizeof(line), "%s %s %s%s%s%s ", at, names[level], program_name,
                 context[0] ? " [" : "", context, context[0] ? "]" : "");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}
