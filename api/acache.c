/* api/acache.c: asynchronous Redis with reconnect and a watchdog. */
#include "acache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

#include "log.h"

#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 2000
#define WATCHDOG_MS 100

struct op {
    acache_cb cb;
    void *arg;
    struct acache *cache;
    struct op *next; /* free list */
};

struct acache {
    struct event_base *base;
    char address[256];
    unsigned port;
    char password[256];
    char flush_pattern[64]; /* deleted on every connect before commands are accepted */
    redisAsyncContext *ac;  /* NULL while disconnected */
    bool up;                /* connect completed (and AUTH sent) */
    bool freeing;
    bool warned;       /* an outage was logged; log the recovery */
    uint64_t since_ms; /* connect start, or the last sign of progress */
    unsigned pending;  /* commands owed an answer */
    unsigned retry_ms;
    struct event *retry;
    struct event *watchdog;
    struct op *free_ops;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void schedule_retry(struct acache *c)
{
    struct timeval tv;

    if (c->freeing || evtimer_pending(c->retry, NULL))
        return;
    tv.tv_sec = c->retry_ms / 1000;
    tv.tv_usec = (c->retry_ms % 1000) * 1000;
    evtimer_add(c->retry, &tv);
    c->retry_ms = c->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->retry_ms * 2;
}

static void went_down(struct acache *c, const char *why)
{
    c->up = false;
    c->ac = NULL;
    if (!c->warned && !c->freeing)
        log_warn("redis %s:%u: %s; answering from MySQL until it is back", c->address, c->port,
                 why);
    c->warned = true;
    schedule_retry(c);
}

/* Deletes every key matching ARGV[1] in one step; answers how many. */
static const char flush_script[] =
    "local cursor, n = '0', 0 repeat"
    " local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = r[1]"
    " for _, k in ipairs(r[2]) do redis.call('UNLINK', k) n = n + 1 end"
    " until cursor == '0' return n";

static void on_flushed(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    struct acache *c = privdata;

    if (c->ac != ac)
        return;
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        log_error("redis %s:%u: cannot delete %s after connecting (%s); reconnecting", c->address,
                  c->port, c->flush_pattern,
                  r && r->type == REDIS_REPLY_ERROR ? r->str : "no answer");
        redisAsyncDisconnect(ac);
        return;
    }
    c->up = true;
    c->retry_ms = RETRY_FIRST_MS;
    c->since_ms = now_ms();
    if (c->warned || r->integer > 0)
        log_info("redis %s:%u: connected%s; %lld cached answers from before dropped", c->address,
                 c->port, c->warned ? " again" : "", (long long)r->integer);
    c->warned = false;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct acache *c = ac->data;

    if (c->ac != ac)
        return;
    if (status != REDIS_OK) {
        went_down(c, ac->errstr[0] ? ac->errstr : "cannot connect");
        return; /* hiredis frees the context */
    }
    c->since_ms = now_ms();
    if (!c->flush_pattern[0]) {
        on_flushed(c->ac, &(redisReply){.type = REDIS_REPLY_INTEGER}, c);
        return;
    }
    /* Not up until the keys are gone: while Redis (or this connection) was down, a compute
     * run could not delete them, and answers cached before must not come back. */
    if (redisAsyncCommand(c->ac, on_flushed, c, "EVAL %s 0 %s", flush_script, c->flush_pattern) !=
        REDIS_OK)
        redisAsyncDisconnect(c->ac);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct acache *c = ac->data;

    if (c->ac == ac)
        went_down(c, status == REDIS_OK ? "connection closed"
                                        : (ac->errstr[0] ? ac->errstr : "connection lost"));
}

static void on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    struct acache *c = privdata;

    if (r && r->type == REDIS_REPLY_ERROR && c->ac == ac) {
        log_error("redis %s:%u: AUTH refused: %s", c->address, c->port, r->str);
        redisAsyncDisconnect(ac);
    }
}

static void start_connect(struct acache *c)
{
    redisAsyncContext *ac = redisAsyncConnect(c->address, (int)c->port);

    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        c->ac = NULL;
        went_down(c, "cannot start a connection");
        return;
    }
    ac->data = c;
    c->ac = ac;
    c->since_ms = now_ms();
    if (redisLibeventAttach(ac, c->base) != REDIS_OK) {
        c->ac = NULL;
        redisAsyncFree(ac);
        went_down(c, "cannot attach to the event loop");
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (c->password[0])
        redisAsyncCommand(ac, on_auth, c, "AUTH %s", c->password);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct acache *c = arg;

    if (!c->ac && !c->freeing)
        start_connect(c);
}

/* Drops a connection that owes an answer (or a connect) for too long. */
static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    struct acache *c = arg;
    redisAsyncContext *ac = c->ac;
    bool stuck;

    if (!ac)
        return;
    stuck = (c->up && c->pending > 0) || !c->up;
    if (stuck && now_ms() - c->since_ms > ACACHE_TIMEOUT_MS) {
        c->ac = NULL; /* callbacks from the free below must not touch it */
        c->up = false;
        redisAsyncFree(ac);
        went_down(c, c->pending ? "no answer in time" : "connect timed out");
    }
}

int acache_open(struct event_base *base, const struct config *cfg, const char *flush_pattern,
                struct acache **out, char *err, size_t errlen)
{
    struct acache *c = NULL;
    struct timeval tv = {0, WATCHDOG_MS * 1000};

    *out = NULL;
    if (!(c = calloc(1, sizeof(*c))))
        goto oom;
    c->base = base;
    snprintf(c->address, sizeof(c->address), "%s", cfg->cache_address);
    snprintf(c->password, sizeof(c->password), "%s", cfg->cache_password);
    snprintf(c->flush_pattern, sizeof(c->flush_pattern), "%s", flush_pattern ? flush_pattern : "");
    c->port = cfg->cache_port;
    c->retry_ms = RETRY_FIRST_MS;
    if (!(c->retry = evtimer_new(base, retry_cb, c)) ||
        !(c->watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, c)))
        goto oom;
    if (event_add(c->watchdog, &tv) != 0)
        goto oom;
    start_connect(c);
    *out = c;
    return 0;
oom:
    snprintf(err, errlen, "cannot set up the Redis client: out of memory");
    acache_free(&c);
    return -1;
}

void acache_free(struct acache **cp)
{
    struct acache *c;

    if (!cp || !*cp)
        return;
    c = *cp;
    c->freeing = true;
    if (c->ac) {
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        redisAsyncFree(ac);
    }
    if (c->retry)
        event_free(c->retry);
    if (c->watchdog)
        event_free(c->watchdog);
    while (c->free_ops) {
        struct op *o = c->free_ops;
        c->free_ops = o->next;
        free(o);
    }
    free(c);
    *cp = NULL;
}

bool acache_up(const struct acache *c)
{
    return c && c->up && c->ac;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct op *o = privdata;
    struct acache *c = o->cache;
    acache_cb cb = o->cb;
    void *arg = o->arg;

    c->pending--;
    if (reply)
        c->since_ms = now_ms();
    o->next = c->free_ops;
    c->free_ops = o;
    cb(arg, reply);
}

int acache_cmd(struct acache *c, acache_cb cb, void *arg, int argc, const char **argv,
               const size_t *argvlen)
{
    struct op *o;

    if (!acache_up(c))
        return -1;
    if (c->free_ops) {
        o = c->free_ops;
        c->free_ops = o->next;
    } else if (!(o = malloc(sizeof(*o)))) {
        return -1;
    }
    o->cb = cb;
    o->arg = arg;
    o->cache = c;
    if (redisAsyncCommandArgv(c->ac, on_reply, o, argc, argv, argvlen) != REDIS_OK) {
        o->next = c->free_ops;
        c->free_ops = o;
        return -1;
    }
    if (c->pending++ == 0)
        c->since_ms = now_ms();
    return 0;
}
