/* shared/log.c: one formatted line per call (text or JSON), written with a single fwrite. */
#include "log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "utf8.h"

#define MSG_MAX_BYTES 2048
/* the head is < 1 KiB; an escaped message at most 6 bytes per byte (\u00XX) */
#define LINE_MAX_BYTES (1024 + 6 * MSG_MAX_BYTES)

static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
static const char *json_names[] = {"debug", "info", "warn", "error"};
static char program_name[64] = "urlmon";
static char instance_name[64];
static int min_level = LOG_LEVEL_INFO;
static int out_format = LOG_FORMAT_TEXT;

struct log_ctx {
    uint64_t run_id;
    uint64_t url_id;
    char shard[24];
    char task[16];
    char path[128];
    char note[96];
};
static _Thread_local struct log_ctx ctx;

/* A bounded line: appends past the end are dropped, the last byte is kept for '\n'. */
struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
};

void log_init(const char *program, int level)
{
    snprintf(program_name, sizeof(program_name), "%s", program ? program : "urlmon");
    min_level = level;
}

void log_set_output(int format, const char *instance)
{
    out_format = format == LOG_FORMAT_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
    snprintf(instance_name, sizeof(instance_name), "%s", instance ? instance : "");
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

int log_format_parse(const char *name)
{
    if (strcasecmp(name, "text") == 0)
        return LOG_FORMAT_TEXT;
    if (strcasecmp(name, "json") == 0)
        return LOG_FORMAT_JSON;
    return -1;
}

int log_enabled(int level)
{
    return level >= min_level;
}

void log_context_run(uint64_t run_id, const char *shard, const char *task)
{
    ctx.run_id = run_id;
    snprintf(ctx.shard, sizeof(ctx.shard), "%s", shard ? shard : "");
    snprintf(ctx.task, sizeof(ctx.task), "%s", task ? task : "");
}

void log_context_set(const char *fmt, ...)
{
    va_list ap;

    ctx.note[0] = '\0';
    if (!fmt)
        return;
    va_start(ap, fmt);
    vsnprintf(ctx.note, sizeof(ctx.note), fmt, ap);
    va_end(ap);
}

void log_context_url(uint64_t url_id)
{
    ctx.url_id = url_id;
}

void log_context_path(const char *path)
{
    size_t n = path ? strcspn(path, "?#") : 0;

    if (n >= sizeof(ctx.path))
        n = sizeof(ctx.path) - 1;
    memcpy(ctx.path, path ? path : "", n);
    ctx.path[n] = '\0';
}

void log_context_clear(void)
{
    memset(&ctx, 0, sizeof(ctx));
}

static void put(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - 1 - l->len;

    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void PRINTF_LIKE(2, 3) putf(struct line *l, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static size_t seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

/* A JSON string body: quotes, backslashes and controls escaped, bad UTF-8 as U+FFFD. */
static void put_json_str(struct line *l, const char *s, size_t len)
{
    size_t i = 0;

    put(l, "\"", 1);
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = seq_len(c);
        if (c == '"' || c == '\\') {
            put(l, "\\", 1);
            put(l, (const char *)&s[i], 1);
        } else if (c == '\n') {
            put(l, "\\n", 2);
        } else if (c == '\t') {
            put(l, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            putf(l, "\\u%04x", c);
        } else if (n == 0 || i + n > len || !utf8_valid(s + i, n, NULL)) {
            put(l, "\\ufffd", 6);
            n = 1;
        } else {
            put(l, s + i, n);
            i += n;
            continue;
        }
        i++;
    }
    put(l, "\"", 1);
}

static void put_json_field(struct line *l, const char *key, const char *val)
{
    putf(l, ",\"%s\":", key);
    put_json_str(l, val, strlen(val));
}

static void put_time(struct line *l)
{
    char at[40];

    clock_utc_format(clock_wall_ms(), CLOCK_UTC_ISO_MS, at, sizeof(at));
    putf(l, "%s", at);
}

/* " [run=7 shard=0/1 writer url=42 path=/urls note]" or nothing. */
static void put_text_context(struct line *l)
{
    const char *sep = " [";

    if (ctx.run_id) {
        putf(l, "%srun=%" PRIu64, sep, ctx.run_id);
        sep = " ";
    }
    if (ctx.shard[0]) {
        putf(l, "%sshard=%s", sep, ctx.shard);
        sep = " ";
    }
    if (ctx.task[0]) {
        putf(l, "%s%s", sep, ctx.task);
        sep = " ";
    }
    if (ctx.url_id) {
        putf(l, "%surl=%" PRIu64, sep, ctx.url_id);
        sep = " ";
    }
    if (ctx.path[0]) {
        putf(l, "%spath=%s", sep, ctx.path);
        sep = " ";
    }
    if (ctx.note[0]) {
        putf(l, "%s%s", sep, ctx.note);
        sep = " ";
    }
    if (sep[0] == ' ' && sep[1] == '\0')
        put(l, "]", 1);
}

static void put_json_head(struct line *l, int level)
{
    put(l, "{\"time\":\"", 9);
    put_time(l);
    putf(l, "\",\"level\":\"%s\"", json_names[level]);
    put_json_field(l, "program", program_name);
    if (instance_name[0])
        put_json_field(l, "instance", instance_name);
    if (ctx.run_id)
        putf(l, ",\"run_id\":%" PRIu64, ctx.run_id);
    if (ctx.shard[0])
        put_json_field(l, "shard", ctx.shard);
    if (ctx.task[0])
        put_json_field(l, "task", ctx.task);
    if (ctx.url_id)
        putf(l, ",\"url_id\":%" PRIu64, ctx.url_id);
    if (ctx.path[0])
        put_json_field(l, "path", ctx.path);
    if (ctx.note[0])
        put_json_field(l, "context", ctx.note);
}

void log_msg(int level, const char *fmt, ...)
{
    struct line l;
    char msg[MSG_MAX_BYTES];
    va_list ap;
    int m;
    size_t mlen;

    if (level < min_level || level < 0 || level > LOG_LEVEL_ERROR)
        return;
    va_start(ap, fmt);
    m = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mlen = m < 0 ? 0 : (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
    l.len = 0;
    if (out_format == LOG_FORMAT_JSON) {
        put_json_head(&l, level);
        put(&l, ",\"message\":", 11);
        put_json_str(&l, msg, mlen);
        put(&l, "}", 1);
    } else {
        put_time(&l);
        putf(&l, " %s %s", names[level], program_name);
        if (instance_name[0])
            putf(&l, " (%s)", instance_name);
        put_text_context(&l);
        put(&l, " ", 1);
        put(&l, msg, mlen);
    }
    l.buf[l.len++] = '\n';
    fwrite(l.buf, 1, l.len, stderr);
}
