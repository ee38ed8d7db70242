/* api/warm.c: recompute the invalidated answers once, on one instance (warm.h). */
#include "warm.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acache.h"
#include "answer.h"
#include "api_int.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "route.h"

#define NKEYS 7

/* KEYS[1] the lock, KEYS[2..] the answers; ARGV[1] our token, ARGV[2] the lock's ms,
 * ARGV[3] this process' token prefix. Answers 0/1 per answer (1 = present) and takes the
 * lock only when one is missing; false: one is missing but another instance holds the
 * lock. A lock this process still holds from an earlier warm (its release was lost with
 * the connection) is taken over: this process runs one warm at a time. */
static const char check_script[] =
    "local r, n = {}, 0 for i = 2, #KEYS do r[i - 1] = redis.call('EXISTS', KEYS[i])"
    " if r[i - 1] == 0 then n = n + 1 end end"
    " if n == 0 then return r end"
    " local cur = redis.call('GET', KEYS[1])"
    " if cur and string.sub(cur, 1, #ARGV[3]) ~= ARGV[3] then return false end"
    " redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return r";

/* Releases the lock only if it is still ours. */
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
    " return 0";

/*   IDLE --invalidation--> PENDING --debounce--> CHECKING --some missing, lock--> FILLING
 *   CHECKING --none missing / lock held elsewhere / Redis gone--> IDLE
 *   FILLING --last answer--> IDLE (or PENDING again: invalidated meanwhile) */
enum warm_state { WARM_IDLE, WARM_PENDING, WARM_CHECKING, WARM_FILLING };

struct warm {
    struct api *api;
    struct event *timer;
    enum warm_state state;
    int64_t first_ms;     /* monotonic: the first invalidation of this round */
    bool again;           /* invalidated while CHECKING or FILLING: another round after */
    int64_t again_ms;     /* monotonic: the first of those */
    unsigned outstanding; /* fills not reported yet, + 1 while they are being started */
    unsigned stored, stale, failed;
    uint64_t seq; /* lock tokens: token_prefix + a sequence number */
    char token_prefix[48];
    char token[64];
    struct route_req routes[NKEYS]; /* the default answers, parsed as a GET would be */
};

static void arm(struct warm *w, int64_t first_ms)
{
    int64_t wait = WARM_DEBOUNCE_MS - (api_mono_ms() - first_ms);
    struct timeval tv;

    if (wait < 0)
        wait = 0;
    tv.tv_sec = (time_t)(wait / 1000);
    tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
    w->first_ms = first_ms;
    w->state = WARM_PENDING;
    evtimer_add(w->timer, &tv);
}

/* The round is over: another one if something was invalidated meanwhile. */
static void round_end(struct warm *w)
{
    w->state = WARM_IDLE;
    if (w->again) {
        w->again = false;
        arm(w, w->again_ms);
    }
}

static void invalidated_while_busy(struct warm *w)
{
    if (!w->again) {
        w->again = true;
        w->again_ms = api_mono_ms();
    }
}

static void lock_released(void *arg, const redisReply *reply)
{
    (void)arg;
    (void)reply;
}

static void warm_done(struct warm *w)
{
    double seconds = (double)(api_mono_ms() - w->first_ms) / 1000.0;

    metrics_warm(w->api->metrics, w->stored, w->failed, seconds);
    if (w->failed)
        log_warn("cache warm: %u of %u answers written in %.3f s, %u failed (MySQL or Redis); "
                 "GETs compute those on demand",
                 w->stored, w->stored + w->stale + w->failed, seconds, w->failed);
    else
        log_info("cache warm: %u answers written in %.3f s after the first invalidation%s",
                 w->stored, seconds,
                 w->stale ? " (some invalidated again meanwhile: another warm follows)" : "");
    if (acache_send(w->api->cache, lock_released, NULL, "EVAL", release_script, "1", RKEY_WARM_LOCK,
                    w->token, NULL) != 0)
        log_debug("cache warm: lock not released (Redis is down); it expires by itself");
    round_end(w);
}

static void fill_done(void *arg, enum answer_fill_result res)
{
    struct warm *w = arg;

    if (res == ANSWER_FILL_STORED) {
        w->stored++;
    } else if (res == ANSWER_FILL_STALE) {
        w->stale++; /* deleted again while computed: that deletion's round recomputes it */
        invalidated_while_busy(w);
    } else {
        w->failed++;
    }
    if (--w->outstanding == 0)
        warm_done(w);
}

static void checked(void *arg, const redisReply *reply)
{
    struct warm *w = arg;
    size_t i;
    bool missing = false;

    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_NIL) {
            metrics_warm_yield(w->api->metrics);
            log_debug("cache warm: another instance holds %s", RKEY_WARM_LOCK);
        } else if (reply) {
            log_warn("cache warm: Redis refused the check (%s)",
                     reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected answer");
        }
        round_end(w);
        return;
    }
    w->stored = w->stale = w->failed = 0;
    w->outstanding = 1; /* held until every fill is started: a fill may report at once */
    w->state = WARM_FILLING;
    for (i = 0; i < NKEYS && i < reply->elements; i++) {
        if (reply->element[i]->type == REDIS_REPLY_INTEGER && reply->element[i]->integer == 1)
            continue;
        missing = true;
        w->outstanding++;
        if (answer_fill(w->api->answer, &w->routes[i], fill_done, w) != 0) {
            w->outstanding--;
            w->failed++;
            log_warn("cache warm: %s not started (out of memory)", w->routes[i].cache_key);
        }
    }
    if (!missing) { /* everything is there: no lock was taken, nothing to report */
        w->outstanding = 0;
        round_end(w);
        return;
    }
    if (--w->outstanding == 0)
        warm_done(w);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct warm *w = arg;
    char lock_ms[16];

    (void)fd;
    (void)what;
    if (w->api->stopping || !acache_up(w->api->cache)) {
        w->state = WARM_IDLE; /* the reconnect reports "anything" and warms then */
        return;
    }
    snprintf(lock_ms, sizeof(lock_ms), "%d", WARM_LOCK_MS);
    snprintf(w->token, sizeof(w->token), "%s%llu", w->token_prefix, (unsigned long long)++w->seq);
    w->state = WARM_CHECKING;
    if (acache_send(w->api->cache, checked, w, "EVAL", check_script, "8", RKEY_WARM_LOCK,
                    w->routes[0].cache_key, w->routes[1].cache_key, w->routes[2].cache_key,
                    w->routes[3].cache_key, w->routes[4].cache_key, w->routes[5].cache_key,
                    w->routes[6].cache_key, w->token, lock_ms, w->token_prefix, NULL) != 0)
        w->state = WARM_IDLE;
}

/* Only the answers themselves count: not the fill guards beside them ("<key>#fill"),
 * not cached answers of other queries. */
static bool is_answer(const struct warm *w, const char *key, size_t keylen)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strlen(w->routes[i].cache_key) == keylen &&
            memcmp(w->routes[i].cache_key, key, keylen) == 0)
            return true;
    return false;
}

void warm_invalidated(struct warm *w, const char *key, size_t keylen)
{
    if (key && !is_answer(w, key, keylen))
        return;
    if (w->state == WARM_IDLE)
        arm(w, api_mono_ms());
    else if (w->state != WARM_PENDING)
        invalidated_while_busy(w);
}

int warm_open(struct api *a, struct warm **out)
{
    static const char *const paths[NKEYS] = {
        "/urls/top/success/hour", "/urls/top/success/week", "/urls/top/success/month",
        "/urls/top/fail/hour",    "/urls/top/fail/week",    "/urls/top/fail/month",
        "/urls/summary"};
    struct warm *w = calloc(1, sizeof(*w));
    char err[128];
    size_t i;
    int rc = -1;

    *out = NULL;
    if (!w || !(w->timer = evtimer_new(a->base, timer_cb, w)))
        goto out;
    for (i = 0; i < NKEYS; i++)
        if (route_parse(paths[i], NULL, &w->routes[i], err, sizeof(err)) != 0 ||
            !route_cacheable(&w->routes[i]))
            goto out;
    w->api = a;
    snprintf(w->token_prefix, sizeof(w->token_prefix), "warm:%ld:%lld:", (long)getpid(),
             (long long)api_now_ms());
    *out = w;
    w = NULL;
    rc = 0;
out:
    warm_free(&w);
    return rc;
}

void warm_free(struct warm **wp)
{
    if (!wp || !*wp)
        return;
    if ((*wp)->timer)
        event_free((*wp)->timer);
    free(*wp);
    *wp = NULL;
}
