/* api/acache.c: asynchronous Redis with reconnect and a watchdog. */
#include "acache.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

#include "clock.h"
#include "log.h"
#include "rconn.h"

#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 2000
#define WATCHDOG_MS 100
#define HEARTBEAT_MS 500
#define INVALIDATE_CHANNEL "__redis__:invalidate"
#define MAX_ARGS 16

/* The main connection's life. Commands are accepted from UP on; TRACK_ASKED and
 * TRACKING are UP with CLIENT TRACKING sent / confirmed. Every change goes through
 * set_state; FREEING is final.
 *
 *   DOWN --retry--> CONNECTING --connected--> FLUSHING --keys deleted--> UP
 *   UP --sub ready--> TRACK_ASKED --OK--> TRACKING
 *   any --lost / timeout / refused--> DOWN;  any --acache_free--> FREEING */
enum ac_state {
    AC_DOWN,
    AC_CONNECTING,
    AC_FLUSHING,
    AC_UP,
    AC_TRACK_ASKED,
    AC_TRACKING,
    AC_FREEING
};

/* The invalidation connection (only with a track prefix). */
enum sub_state { SUB_NONE, SUB_CONNECTING, SUB_READY };

static const char *const state_names[] = {"down",        "connecting", "flushing", "up",
                                          "track-asked", "tracking",   "freeing"};

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
    enum ac_state state;
    bool warned;       /* an outage was logged; log the recovery */
    uint64_t since_ms; /* connect start, or the last sign of progress */
    unsigned pending;  /* commands owed an answer */
    unsigned retry_ms;
    struct event *retry;
    struct event *watchdog;
    struct op *free_ops;
    /* client-side caching (acache.h): the connection receiving invalidations */
    char track_prefix[64];  /* "" = no tracking */
    redisAsyncContext *sub; /* NULL while disconnected */
    uint64_t sub_since_ms;  /* connect start */
    long long sub_id;       /* its CLIENT ID, 0 = not known yet */
    enum sub_state sub_state;
    bool track_warned; /* CLIENT TRACKING was refused (logged once) */
    uint64_t epoch;    /* bumped on every invalidation and tracking change */
    acache_inval_cb inval_cb;
    void *inval_arg;
};

static uint64_t now_ms(void)
{
    return (uint64_t)clock_mono_ms();
}

static bool is_up(const struct acache *c)
{
    return c->state >= AC_UP && c->state <= AC_TRACKING;
}

static void set_state(struct acache *c, enum ac_state to)
{
    if (c->state == to || c->state == AC_FREEING)
        return;
    log_debug("redis %s:%u: %s -> %s", c->address, c->port, state_names[c->state], state_names[to]);
    c->state = to;
}

/* Builds a command from NUL-terminated arguments (argv[argc] == NULL unused) and sends
 * it, measuring each argument's length here so no caller writes one by hand. */
static int send_argv(redisAsyncContext *ac, redisCallbackFn *fn, void *privdata, int argc,
                     const char **argv)
{
    size_t lens[MAX_ARGS];
    int i;

    if (argc > MAX_ARGS)
        return REDIS_ERR;
    for (i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return redisAsyncCommandArgv(ac, fn, privdata, argc, argv, lens);
}

static void schedule_retry(struct acache *c)
{
    struct timeval tv;

    if (c->state == AC_FREEING || evtimer_pending(c->retry, NULL))
        return;
    tv.tv_sec = c->retry_ms / 1000;
    tv.tv_usec = (c->retry_ms % 1000) * 1000;
    evtimer_add(c->retry, &tv);
    c->retry_ms = c->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->retry_ms * 2;
}

/* Invalidations may be missed from now on (or were, before now): forget everything. */
static void tracking_lost(struct acache *c)
{
    if (c->state == AC_TRACK_ASKED || c->state == AC_TRACKING)
        set_state(c, AC_UP);
    c->epoch++;
    if (c->inval_cb)
        c->inval_cb(c->inval_arg, NULL, 0);
}

static void sub_close(struct acache *c)
{
    redisAsyncContext *s = c->sub;

    c->sub = NULL; /* its callbacks from the free below must not touch c */
    c->sub_id = 0;
    c->sub_state = SUB_NONE;
    tracking_lost(c);
    if (s)
        redisAsyncFree(s);
}

static void went_down(struct acache *c, const char *why)
{
    set_state(c, AC_DOWN);
    c->ac = NULL;
    sub_close(c); /* the pair reconnects together: tracking belongs to both */
    if (!c->warned && c->state != AC_FREEING)
        log_warn("redis %s:%u: %s; answering from MySQL until it is back", c->address, c->port,
                 why);
    c->warned = true;
    schedule_retry(c);
}

static void maybe_track(struct acache *c);

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
    set_state(c, AC_UP);
    c->retry_ms = RETRY_FIRST_MS;
    c->since_ms = now_ms();
    if (c->warned || r->integer > 0)
        log_info("redis %s:%u: connected%s; %lld cached answers from before dropped", c->address,
                 c->port, c->warned ? " again" : "", (long long)r->integer);
    c->warned = false;
    /* The keys are gone (ours) and what happened to them while we were away is unknown. */
    if (c->inval_cb)
        c->inval_cb(c->inval_arg, NULL, 0);
    maybe_track(c);
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
    set_state(c, AC_FLUSHING);
    if (!c->flush_pattern[0]) {
        on_flushed(c->ac, &(redisReply){.type = REDIS_REPLY_INTEGER}, c);
        return;
    }
    /* Not up until the keys are gone: while Redis (or this connection) was down, a compute
     * run could not delete them, and answers cached before must not come back. */
    if (redisAsyncCommand(c->ac, on_flushed, c, "EVAL %s 0 %s", rconn_delete_matching_script,
                          c->flush_pattern) != REDIS_OK)
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

    if (r && r->type == REDIS_REPLY_ERROR && (c->ac == ac || c->sub == ac)) {
        log_error("redis %s:%u: AUTH refused: %s", c->address, c->port, r->str);
        redisAsyncDisconnect(ac);
    }
}

/* ---- client-side caching: the invalidation connection ----------------------------- */

/* Drops both connections (from anywhere but a callback of the main one) and reconnects. */
static void drop_pair(struct acache *c, const char *why)
{
    redisAsyncContext *ac = c->ac;

    c->ac = NULL; /* callbacks from the free below must not touch it */
    set_state(c, AC_DOWN);
    if (ac)
        redisAsyncFree(ac);
    went_down(c, why);
}

static void on_tracking(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    struct acache *c = privdata;

    if (c->ac != ac || c->state != AC_TRACK_ASKED)
        return;
    if (r && r->type == REDIS_REPLY_STATUS) {
        set_state(c, AC_TRACKING);
        c->epoch++; /* fills sent before now may have missed invalidations */
        log_debug("redis %s:%u: invalidations of %s* arrive on client %lld", c->address, c->port,
                  c->track_prefix, c->sub_id);
        /* Messages may have been missed until now (the delete after connecting included). */
        if (c->inval_cb)
            c->inval_cb(c->inval_arg, NULL, 0);
        return;
    }
    if (r && !c->track_warned)
        log_warn("redis %s:%u: CLIENT TRACKING refused (%s): no in-process copies, every cached "
                 "answer comes from Redis",
                 c->address, c->port, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
    c->track_warned = c->track_warned || r;
}

/* Once the main connection is up (its flush done) and the other one subscribed: ask Redis
 * to send it an invalidation for every key under the prefix anyone writes, deletes,
 * expires or evicts (broadcast mode), and for FLUSHDB/FLUSHALL. */
static void maybe_track(struct acache *c)
{
    char id[32];
    const char *argv[8] = {"CLIENT", "TRACKING", "ON", "REDIRECT", id, "BCAST", "PREFIX", NULL};

    if (c->state != AC_UP || !c->ac || !c->sub || c->sub_state != SUB_READY || !c->sub_id)
        return;
    snprintf(id, sizeof(id), "%lld", c->sub_id);
    argv[7] = c->track_prefix;
    if (send_argv(c->ac, on_tracking, c, 8, argv) == REDIS_OK)
        set_state(c, AC_TRACK_ASKED);
}

static void on_sub_msg(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply, *what;
    struct acache *c = privdata;
    size_t i;

    if (c->sub != ac)
        return;
    if (!r) { /* the connection is going away */
        c->sub = NULL;
        drop_pair(c, "invalidation connection lost");
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(r->element[0]->str, "subscribe") == 0) {
        c->sub_state = SUB_READY;
        maybe_track(c);
        return;
    }
    if (strcmp(r->element[0]->str, "message") != 0)
        return;
    c->epoch++;
    if (!c->inval_cb)
        return;
    what = r->element[2];
    if (what->type != REDIS_REPLY_ARRAY) { /* nil: FLUSHDB / FLUSHALL */
        c->inval_cb(c->inval_arg, NULL, 0);
        return;
    }
    for (i = 0; i < what->elements; i++)
        if (what->element[i]->type == REDIS_REPLY_STRING)
            c->inval_cb(c->inval_arg, what->element[i]->str, (size_t)what->element[i]->len);
}

static void on_sub_id(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    struct acache *c = privdata;

    if (c->sub != ac || !r)
        return;
    if (r->type != REDIS_REPLY_INTEGER) {
        redisAsyncDisconnect(ac);
        return;
    }
    c->sub_id = r->integer;
    maybe_track(c);
}

static void on_sub_connect(const redisAsyncContext *ac, int status)
{
    struct acache *c = ac->data;

    if (c->sub != ac || status == REDIS_OK)
        return;
    c->sub = NULL; /* hiredis frees it */
    drop_pair(c, ac->errstr[0] ? ac->errstr : "cannot connect");
}

static void on_sub_disconnect(const redisAsyncContext *ac, int status)
{
    struct acache *c = ac->data;

    if (c->sub != ac)
        return;
    c->sub = NULL;
    drop_pair(c, status == REDIS_OK
                     ? "invalidation connection closed"
                     : (ac->errstr[0] ? ac->errstr : "invalidation connection lost"));
}

static int start_sub(struct acache *c)
{
    redisAsyncContext *ac = redisAsyncConnect(c->address, (int)c->port);

    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        return -1;
    }
    ac->data = c;
    if (redisLibeventAttach(ac, c->base) != REDIS_OK) {
        redisAsyncFree(ac);
        return -1;
    }
    c->sub = ac;
    c->sub_state = SUB_CONNECTING;
    c->sub_since_ms = now_ms();
    redisAsyncSetConnectCallback(ac, on_sub_connect);
    redisAsyncSetDisconnectCallback(ac, on_sub_disconnect);
    if (c->password[0])
        redisAsyncCommand(ac, on_auth, c, "AUTH %s", c->password);
    if (redisAsyncCommand(ac, on_sub_id, c, "CLIENT ID") != REDIS_OK ||
        redisAsyncCommand(ac, on_sub_msg, c, "SUBSCRIBE " INVALIDATE_CHANNEL) != REDIS_OK)
        return -1; /* the caller drops the pair, c->sub with it */
    return 0;
}

/* ---- connecting ---------------------------------------------------------------------- */

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
    set_state(c, AC_CONNECTING);
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
    if (c->track_prefix[0] && start_sub(c) != 0)
        drop_pair(c, "cannot start the invalidation connection");
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct acache *c = arg;

    if (!c->ac && c->state != AC_FREEING)
        start_connect(c);
}

static void heartbeat_done(void *arg, const redisReply *reply)
{
    (void)arg;
    (void)reply;
}

/* Drops a connection that owes an answer (or a connect) for too long. While answers are
 * served from in-process copies the main connection may carry nothing, so it is kept
 * busy with a PING now and then: a hung Redis is noticed (and the copies dropped) as
 * soon as it would be with every request asking Redis. */
static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    struct acache *c = arg;
    redisAsyncContext *ac = c->ac;
    uint64_t now = now_ms();
    bool stuck;

    if (!ac)
        return;
    stuck = !is_up(c) || c->pending > 0;
    if (stuck && now - c->since_ms > ACACHE_TIMEOUT_MS) {
        drop_pair(c, c->pending ? "no answer in time" : "connect timed out");
        return;
    }
    if (c->track_prefix[0] && c->sub_state == SUB_CONNECTING && c->sub &&
        now - c->sub_since_ms > ACACHE_TIMEOUT_MS) {
        drop_pair(c, "invalidation connection timed out");
        return;
    }
    if (c->track_prefix[0] && is_up(c) && c->pending == 0 && now - c->since_ms >= HEARTBEAT_MS) {
        if (acache_send(c, heartbeat_done, NULL, "PING", NULL) != 0)
            log_debug("redis %s:%u: heartbeat not sent", c->address, c->port);
    }
}

int acache_open(struct event_base *base, const struct config *cfg, const char *flush_pattern,
                const char *track_prefix, struct acache **out, char *err, size_t errlen)
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
    snprintf(c->track_prefix, sizeof(c->track_prefix), "%s", track_prefix ? track_prefix : "");
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
    set_state(c, AC_FREEING);
    c->inval_cb = NULL;
    if (c->ac) {
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        redisAsyncFree(ac);
    }
    sub_close(c);
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
    return c && is_up(c) && c->ac;
}

void acache_on_invalidate(struct acache *c, acache_inval_cb cb, void *arg)
{
    c->inval_cb = cb;
    c->inval_arg = arg;
}

bool acache_tracking(const struct acache *c)
{
    return c && c->state == AC_TRACKING && c->ac && c->sub;
}

uint64_t acache_epoch(const struct acache *c)
{
    return c->epoch;
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

int acache_send(struct acache *c, acache_cb cb, void *arg, const char *cmd, ...)
{
    const char *argv[MAX_ARGS];
    int argc = 0;
    struct op *o;
    va_list ap;
    const char *s;

    argv[argc++] = cmd;
    va_start(ap, cmd);
    while ((s = va_arg(ap, const char *)) && argc < MAX_ARGS)
        argv[argc++] = s;
    va_end(ap);
    if (s || !acache_up(c))
        return -1; /* too many arguments, or not connected */
    if (c->free_ops) {
        o = c->free_ops;
        c->free_ops = o->next;
    } else if (!(o = malloc(sizeof(*o)))) {
        return -1;
    }
    o->cb = cb;
    o->arg = arg;
    o->cache = c;
    if (send_argv(c->ac, on_reply, o, argc, argv) != REDIS_OK) {
        o->next = c->free_ops;
        c->free_ops = o;
        return -1;
    }
    if (c->pending++ == 0)
        c->since_ms = now_ms();
    return 0;
}
