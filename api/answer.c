/* api/answer.c: the answer cache (answer.h): in-process copy, Redis, single flight. */
#include "answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acache.h"
#include "api_int.h"
#include "flight.h"
#include "job.h"
#include "lcache.h"
#include "log.h"
#include "metrics.h"
#include "rq.h"
#include "warm.h"

#define GUARD_SUFFIX "#fill"
#define GUARD_TTL "60"
/* The in-process copies: a handful of keys exist (6 top lists + the summary). */
#define LOCAL_MAX_ENTRIES 64
#define LOCAL_MAX_BYTES (4 * 1024 * 1024)

/* The guarded fill: write the answer only while our guard is still there. */
static const char fill_script[] =
    "if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2])"
    " return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end return false";

/* The cache read while copies may be kept: the value and how long Redis keeps it, in one
 * step (a Lua false becomes a nil element). */
static const char get_ttl_script[] =
    "return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

struct answer {
    struct api *api;
    struct flight *flight; /* cache key -> struct fill computing it */
    struct lcache *local;  /* in-process copies of Redis' answers (used while tracking) */
    uint64_t fill_seq;     /* fill tokens: fill_prefix + a sequence number */
    char fill_prefix[48];
};

/* A MySQL job computing one key's answer (job->owner). */
struct fill {
    struct answer *an;
    struct job *job;
    bool guarded; /* our guard is set: write the answer if it still holds */
    char guard[ROUTE_KEY_MAX + sizeof(GUARD_SUFFIX)];
    char token[64];
    /* while the fill is written: the answer and who waits for it */
    struct rq *waiters;
    char *body;
    size_t len;
    answer_fill_cb done; /* answer_fill's caller, told what became of the answer */
    void *done_arg;
};

static void fill_report(struct fill *f, enum answer_fill_result res)
{
    if (f->done)
        f->done(f->done_arg, res);
}

/* ---- 1. the in-process copy ---------------------------------------------------- */

static void invalidated(void *arg, const char *key, size_t keylen)
{
    struct answer *an = arg;

    if (key)
        lcache_drop(an->local, key, keylen);
    else
        lcache_clear(an->local);
    if (an->api->warm)
        warm_invalidated(an->api->warm, key, keylen);
}

/* Keeps a copy of an answer Redis returned, if no invalidation can have been missed
 * since the read was sent (same epoch, tracking still on). It expires no later than the
 * Redis key: PTTL counts from when Redis ran the read, after we sent it. */
static void local_fill(struct rq *rq, const redisReply *val, long long pttl_ms)
{
    struct api *a = rq->api;
    int64_t ttl = pttl_ms, cap = (int64_t)a->cfg->cache_ttl * 1000;

    if (ttl <= 0 || !acache_tracking(a->cache) || acache_epoch(a->cache) != rq->lc_epoch)
        return;
    if (ttl > cap)
        ttl = cap;
    if (lcache_put(a->answer->local, rq->route.cache_key, val->str, (size_t)val->len,
                   rq->lc_sent_ms + ttl, api_mono_ms()) < 0)
        log_debug("in-process copy of %s skipped: out of memory", rq->route.cache_key);
}

/* ---- 3. MySQL, single flight ------------------------------------------------------- */

static void reply_all(struct rq *waiters, const char *body, size_t len)
{
    while (waiters) {
        struct rq *rq = waiters;
        waiters = rq->next;
        rq_reply(rq, 200, RQ_CT_JSON, body, len, "MISS");
    }
}

/* The fill landed (or Redis failed it): now the waiters get the answer, so a client
 * that saw it can never read an older one from any instance afterwards. */
static void fill_written(void *arg, const redisReply *reply)
{
    struct fill *f = arg;

    reply_all(f->waiters, f->body, f->len);
    fill_report(f, !reply                              ? ANSWER_FILL_FAILED
                   : reply->type == REDIS_REPLY_STATUS ? ANSWER_FILL_STORED
                   : reply->type == REDIS_REPLY_NIL    ? ANSWER_FILL_STALE
                                                       : ANSWER_FILL_FAILED);
    free(f->body);
    free(f);
}

/* Loop thread, after the worker: write a good answer to Redis (if our guard still holds)
 * before answering the waiters; any other result is answered at once and cached nowhere,
 * so the last good answer stays in Redis. */
static void fill_finish(struct job *j)
{
    struct fill *f = j->owner;
    struct api *a = j->api;
    char ttl[16];

    flight_del(f->an->flight, j->route.cache_key);
    if (f->guarded && j->out.status == 200 && j->out.body) {
        snprintf(ttl, sizeof(ttl), "%u", a->cfg->cache_ttl);
        if (acache_send(a->cache, fill_written, f, "EVAL", fill_script, "2", j->route.cache_key,
                        f->guard, f->token, j->out.body, ttl, NULL) == 0) {
            f->waiters = j->waiters;
            f->body = j->out.body;
            f->len = j->out.len;
            j->waiters = NULL;
            j->out.body = NULL;
            return;
        }
        log_debug("cache fill of %s skipped: Redis is down", j->route.cache_key);
    }
    job_reply_all(j, "MISS");
    fill_report(f, ANSWER_FILL_FAILED);
    free(f);
}

static void guard_set(void *arg, const redisReply *reply)
{
    struct fill *f = arg;

    f->guarded = reply && reply->type == REDIS_REPLY_STATUS;
    job_submit(f->job);
}

/* A job computing r's answer, registered for single flight, its guard named; NULL on OOM.
 * fill_submit starts it. */
static struct job *fill_new(struct answer *an, const struct route_req *r)
{
    struct fill *f = calloc(1, sizeof(*f));
    struct job *j = NULL;

    if (!f || !(j = job_new(an->api, r->id == ROUTE_TOP ? QUERY_TOP : QUERY_SUMMARY, r)) ||
        flight_put(an->flight, r->cache_key, j) != 0) {
        free(f);
        free(j);
        return NULL;
    }
    f->an = an;
    f->job = j;
    j->owner = f;
    j->finish = fill_finish;
    snprintf(f->guard, sizeof(f->guard), "%s" GUARD_SUFFIX, r->cache_key);
    snprintf(f->token, sizeof(f->token), "%s%llu", an->fill_prefix,
             (unsigned long long)++an->fill_seq);
    return j;
}

static void fill_submit(struct job *j)
{
    struct fill *f = j->owner;

    /* The guard must be in place before the query reads MySQL. */
    if (acache_send(j->api->cache, guard_set, f, "SET", f->guard, f->token, "EX", GUARD_TTL,
                    NULL) != 0)
        job_submit(j);
}

static void compute(struct rq *rq)
{
    struct api *a = rq->api;
    struct job *j = flight_get(a->answer->flight, rq->route.cache_key);

    metrics_cache(a->metrics, rq->route.id, false);
    if (j) {
        metrics_flight_join(a->metrics);
        job_add_waiter(j, rq);
        return;
    }
    if (!(j = fill_new(a->answer, &rq->route))) {
        rq_error(rq, 500, "internal error: out of memory");
        return;
    }
    job_add_waiter(j, rq);
    fill_submit(j);
}

int answer_fill(struct answer *an, const struct route_req *r, answer_fill_cb cb, void *arg)
{
    /* a miss computing it already: report when that job's answer is written */
    struct job *j = flight_get(an->flight, r->cache_key);
    bool start = !j;
    struct fill *f;

    if (start && !(j = fill_new(an, r)))
        return -1;
    f = j->owner;
    if (f->done)
        return -1;
    f->done = cb;
    f->done_arg = arg;
    if (start)
        fill_submit(j);
    return 0;
}

/* ---- 2. Redis -------------------------------------------------------------------- */

static void redis_got(void *arg, const redisReply *reply)
{
    struct rq *rq = arg;
    const redisReply *val = reply, *ttl = NULL;

    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        val = reply->element[0];
        ttl = reply->element[1];
    }
    /* Answers are JSON ('[' or '{'); anything else is a miss. */
    if (val && val->type == REDIS_REPLY_STRING && val->len > 0 &&
        (val->str[0] == '[' || val->str[0] == '{')) {
        if (ttl && ttl->type == REDIS_REPLY_INTEGER)
            local_fill(rq, val, ttl->integer);
        metrics_cache(rq->api->metrics, rq->route.id, true);
        rq_reply(rq, 200, RQ_CT_JSON, val->str, (size_t)val->len, "HIT");
        return;
    }
    compute(rq);
}

/* ---- the entry ----------------------------------------------------------------------- */

void answer_serve(struct rq *rq)
{
    struct api *a = rq->api;
    const char *key = rq->route.cache_key, *body;
    size_t len = 0;
    int rc;

    if (!rq->route.cache) {
        compute(rq);
        return;
    }
    if (!acache_tracking(a->cache)) {
        rc = acache_send(a->cache, redis_got, rq, "GET", key, NULL);
    } else if ((body = lcache_get(a->answer->local, key, api_mono_ms(), &len))) {
        metrics_cache(a->metrics, rq->route.id, true);
        metrics_local_hit(a->metrics);
        rq_reply(rq, 200, RQ_CT_JSON, body, len, "HIT");
        return;
    } else {
        rq->lc_epoch = acache_epoch(a->cache);
        rq->lc_sent_ms = api_mono_ms();
        rc = acache_send(a->cache, redis_got, rq, "EVAL", get_ttl_script, "1", key, NULL);
    }
    if (rc != 0)
        compute(rq);
}

int answer_open(struct api *a, struct answer **out)
{
    struct answer *an = calloc(1, sizeof(*an));

    *out = NULL;
    if (!an || flight_open(&an->flight) != 0 ||
        lcache_open(LOCAL_MAX_ENTRIES, LOCAL_MAX_BYTES, &an->local) != 0) {
        answer_free(&an);
        return -1;
    }
    an->api = a;
    snprintf(an->fill_prefix, sizeof(an->fill_prefix), "fill:%ld:%lld:", (long)getpid(),
             (long long)api_now_ms());
    acache_on_invalidate(a->cache, invalidated, an);
    *out = an;
    return 0;
}

void answer_free(struct answer **anp)
{
    struct answer *an;

    if (!anp || !*anp)
        return;
    an = *anp;
    if (an->api && an->api->cache)
        acache_on_invalidate(an->api->cache, NULL, NULL);
    flight_free(&an->flight);
    lcache_free(&an->local);
    free(an);
    *anp = NULL;
}

size_t answer_local_count(const struct answer *an)
{
    return lcache_count(an->local);
}
